//! Games in another language: the scenario over REST in Russian (`?lang=ru`), a game created
//! with `"language": "ru"` whose bots write Russian and which stays Russian after a restart, a
//! class whose tables are Russian, and a language the scenario does not have refused.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::engine::{Channel, Seat};
use serde_json::json;

/// Whether a text has Cyrillic letters.
fn cyrillic(t: &str) -> bool {
    t.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

const SCENARIO: &str = "/api/scenarios/missile-defence-2013";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenario_answers_in_the_language_asked_for() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (st, list) = http(addr, "GET", "/api/scenarios?lang=ru", None, None).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(
        list[0]["title"],
        "Противоракетная оборона в Европе, 2013–2020"
    );
    assert!(list[0]["summary"]
        .as_str()
        .is_some_and(|s| s.starts_with("Март 2013 года.")));
    assert_eq!(list[0]["language"], "ru");
    assert_eq!(list[0]["languages"], json!(["en", "ru"]));
    for path in [
        "/api/scenarios",
        "/api/scenarios?lang=xx",
        "/api/scenarios?lang=",
    ] {
        let (st, list) = http(addr, "GET", path, None, None).await;
        assert_eq!(st, 200, "{path}: {list}");
        assert_eq!(
            list[0]["title"], "Missile defence in Europe, 2013–2020",
            "{path}"
        );
        assert_eq!(list[0]["language"], "en", "{path}");
        assert_eq!(list[0]["languages"], json!(["en", "ru"]), "{path}");
    }

    let (st, en) = http(addr, "GET", SCENARIO, None, None).await;
    assert_eq!(st, 200, "{en}");
    let (st, ru) = http(addr, "GET", &format!("{SCENARIO}?lang=ru"), None, None).await;
    assert_eq!(st, 200, "{ru}");
    assert_eq!(en["language"], "en");
    assert_eq!(ru["language"], "ru");
    assert_eq!(ru["languages"], json!(["en", "ru"]));
    assert!(ru.get("locales").is_none() && en.get("locales").is_none());
    assert_eq!(en["factions"][0]["name"], "Russia");
    assert_eq!(ru["factions"][0]["name"], "Россия");
    assert_eq!(ru["factions"][1]["name"], "США/НАТО");
    assert_eq!(ru["factions"][2]["name"], "ОДКБ");
    // Texts translated; ids, numbers and sources as in English.
    for (i, (a, b)) in en["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .zip(ru["actions"].as_array().expect("actions"))
        .enumerate()
    {
        assert_eq!(a["id"], b["id"], "actions[{i}]");
        assert_eq!(a["budget"], b["budget"], "actions[{i}]");
        assert_eq!(a["source"], b["source"], "actions[{i}]");
        assert!(
            cyrillic(b["name"].as_str().unwrap_or("")),
            "actions[{i}]: {b}"
        );
    }
    assert!(cyrillic(ru["events"][0]["text"].as_str().unwrap_or("")));
    assert!(cyrillic(
        ru["bot_chat"]["propose"][0].as_str().unwrap_or("")
    ));
    assert_eq!(en["model"], {
        // Only names, units and descriptions differ in the model.
        let mut m = ru["model"].clone();
        for (k, kind) in [
            ("parameters", "parameters"),
            ("presets", "presets"),
            ("batteries", "batteries"),
        ] {
            let english = en["model"][kind].as_array().expect(k);
            for (x, e) in m[k].as_array_mut().expect(k).iter_mut().zip(english) {
                for field in ["name", "unit", "description"] {
                    if e.get(field).is_some() {
                        x[field] = e[field].clone();
                    }
                }
            }
        }
        m
    });
    // A language the scenario lacks: its own.
    let (st, other) = http(addr, "GET", &format!("{SCENARIO}?lang=de"), None, None).await;
    assert_eq!(st, 200);
    assert_eq!(other, en);
    let (st, err) = http(addr, "GET", "/api/scenarios/nope?lang=ru", None, None).await;
    assert_eq!((st, err["code"].as_str()), (404, Some("unknown_scenario")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_in_russian_has_russian_bots_and_stays_russian_after_a_restart() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    // A language the scenario does not have is refused, naming those it has.
    let body = json!({"language": "de"});
    let (st, err) = http(addr, "POST", "/api/games", Some(&body), None).await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    let message = err["message"].as_str().unwrap_or("");
    assert!(
        message.contains("no language \"de\"") && message.contains("en, ru"),
        "{message}"
    );

    let g = create_game(
        addr,
        json!({"language": "ru", "bots": {"us_nato": "pragmatist", "csto": "dove"}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Иван", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let view = welcome_view(&ru.frames[0].1);
    assert_eq!(view.language, "ru");
    assert!(!view.briefings.is_empty());
    for (_, e) in &view.briefings {
        assert!(cyrillic(&e.name) && cyrillic(&e.text), "{e:?}");
    }
    // The join form names the factions in the game's language.
    let (st, preview) = http(addr, "GET", &format!("/api/join/{}", g.code), None, None).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(
        preview["scenario_title"],
        "Противоракетная оборона в Европе, 2013–2020"
    );
    assert_eq!(preview["factions"][0]["name"], "Россия");

    // In the negotiation each bot proposes to Russia and says why, in Russian.
    let negotiation = control.ok(advance()).await;
    for (bot, name) in [("us_nato", "США/НАТО"), ("csto", "ОДКБ")] {
        let said = wait_event(&mut ru, negotiation, "a bot's word to Russia", |e| {
            matches!(e, SeatEvent::ChatPosted { message }
                if message.from == Seat::Faction(bot.into())
                    && matches!(&message.channel, Channel::Bilateral { .. }))
        })
        .await;
        let message = ru
            .events()
            .find_map(|(s, e)| match e {
                SeatEvent::ChatPosted { message } if s == said => Some(message.clone()),
                _ => None,
            })
            .expect("the message");
        assert_eq!(message.author, format!("{name} (бот)"));
        assert!(cyrillic(&message.text), "{}", message.text);
        assert!(!message.text.contains(" accord of "), "{}", message.text);
    }
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.language, "ru");
    let titles: Vec<&str> = view
        .proposals
        .iter()
        .map(|p| p.terms.title.as_str())
        .collect();
    assert!(!titles.is_empty());
    for t in &titles {
        assert!(cyrillic(t), "{t}");
    }
    // A person's words are theirs: not translated.
    ru.ok(chat(plenary(), "Hello from Moscow")).await;

    // The language is recorded with the game: after a restart it is Russian still, and what
    // the engine writes from then on is Russian too.
    drop(ru);
    let db = app.stop().await;
    let app = spawn_app(db).await;
    let addr = app.addr;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.language, "ru");
    assert!(view.messages.iter().any(|m| m.text == "Hello from Moscow"));
    // Control comes back (with its own command ids going on).
    control.addr = addr;
    control.hello(None).await;
    control.ok(advance()).await; // to the orders, which the bots give
    control.ok(advance()).await; // to the review: the round is adjudicated
    let (_, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(view.language, "ru");
    let report = view.reports.first().expect("the round was adjudicated");
    let control_part = report.control.as_ref().expect("Control's part");
    assert!(!control_part.orders.is_empty(), "the bots gave orders");
    for o in &control_part.orders {
        assert!(cyrillic(&o.name), "{o:?}");
    }
    let (st, preview) = http(addr, "GET", &format!("/api/join/{}", g.code), None, None).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(preview["factions"][1]["name"], "США/НАТО");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_in_russian_plays_its_tables_in_russian() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let bad = json!({"name": "10 «А»", "language": "kk"});
    let (st, err) = http(addr, "POST", "/api/classes", Some(&bad), None).await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    assert!(err["message"]
        .as_str()
        .unwrap_or("")
        .contains("no language \"kk\""));

    let body = json!({"name": "10 «А»", "teacher": "Ольга Петровна", "language": "ru",
                      "bots_for_gaps": "dove",
                      "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}});
    let (st, created) = http(addr, "POST", "/api/classes", Some(&body), None).await;
    assert_eq!(st, 201, "{created}");
    let id = created["class_id"].as_str().expect("class_id");
    let code = created["join_code"].as_str().expect("join_code");
    let teacher = created["teacher_token"].as_str().expect("teacher_token");
    let (st, preview) = http(addr, "GET", &format!("/api/join/{code}"), None, None).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(
        preview["scenario_title"],
        "Противоракетная оборона в Европе, 2013–2020"
    );
    let join = json!({"code": code, "name": "Аня"});
    let (st, joined) = http(addr, "POST", "/api/classes/join", Some(&join), None).await;
    assert_eq!(st, 201, "{joined}");
    let (st, lobby) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(teacher),
    )
    .await;
    assert_eq!(st, 200, "{lobby}");
    assert_eq!(lobby["settings"]["language"], "ru");
    let (st, class) = http(
        addr,
        "POST",
        &format!("/api/classes/{id}/start"),
        None,
        Some(teacher),
    )
    .await;
    assert_eq!(st, 200, "{class}");
    let game = class["games"][0]["game_id"].as_str().expect("game id");
    let token = joined["student_token"].as_str().expect("token");
    let (_, view) = summary(addr, game, token).await;
    assert_eq!(view.language, "ru");
    assert_eq!(view.bots.len(), 2, "bots play the other factions");
    // The bots spoke at the briefing, in Russian, under their Russian names.
    let bot_lines: Vec<_> = view
        .messages
        .iter()
        .filter(|m| matches!(m.from, Seat::Faction(_)) && m.author.ends_with("(бот)"))
        .collect();
    for m in &bot_lines {
        assert!(cyrillic(&m.text), "{m:?}");
    }
}
