//! What-if branches over the real server: a game played to round 5 is branched at round 3
//! twice; the branches and the parent go on independently; a branch of a branch works; each
//! seat of a branch sees what it saw then; every game's log rebuilds it after a restart.

use crate::harness::*;
use detente::engine::Phase;
use serde_json::{json, Value};

async fn branch(addr: std::net::SocketAddr, game: &str, token: &str, body: Value) -> (u16, Value) {
    http(
        addr,
        "POST",
        &format!("/api/games/{game}/branch"),
        Some(&body),
        Some(token),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_branched_twice_at_round_3_goes_on_three_ways() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"bots": {"us_nato": "dove", "csto": "dove"}})).await;
    let anna_token = join(addr, &g.code, "Anna", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut anna = Client::connect(addr, "anna", &anna_token).await;
    // Five rounds: Anna says where she is; Control moves the phases on.
    for r in 0..5 {
        anna.ok(chat(plenary(), &format!("Anna in round {r}")))
            .await;
        anna.ok(chat(team("russia"), &format!("Russia's secret {r}")))
            .await;
        for _ in 0..4 {
            control.ok(advance()).await;
        }
    }
    let (_, parent_before) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(parent_before.round, 5);

    // Only Control branches; not past where the game has been.
    let (st, err) = branch(addr, &g.id, &anna_token, json!({"round": 2})).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("control_only")),
        "{err}"
    );
    let (st, err) = branch(addr, &g.id, &g.control_token, json!({"round": 7})).await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    let (st, err) = branch(
        addr,
        &g.id,
        &g.control_token,
        json!({"round": 2, "colour": "red"}),
    )
    .await;
    assert_eq!(st, 400, "{err}");

    // Two branches from the start of round 3: one with the same people, one with a hawk.
    let (st, b1) = branch(
        addr,
        &g.id,
        &g.control_token,
        json!({"round": 2, "same_people": true, "title": "What if, 2015"}),
    )
    .await;
    assert_eq!(st, 201, "{b1}");
    let (st, b2) = branch(
        addr,
        &g.id,
        &g.control_token,
        json!({"round": 2, "bots": {"us_nato": "hawk", "csto": "dove"}}),
    )
    .await;
    assert_eq!(st, 201, "{b2}");
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or("").to_owned();
    let (b1_id, b1_control) = (s(&b1, "game_id"), s(&b1, "control_token"));
    let (b2_id, b2_control) = (s(&b2, "game_id"), s(&b2, "control_token"));
    assert_eq!(b1["branch"]["round"], 2);
    assert_eq!(b1["branch"]["phase"], "briefing");
    assert_ne!(b1["join_code"], b2["join_code"]);
    let seats = b1["seats"].as_array().expect("seats");
    assert_eq!(seats.len(), 1, "Anna, again");
    assert_eq!(seats[0]["faction"], "russia");
    let anna_b1 = seats[0]["seat_token"].as_str().expect("token").to_owned();

    // Anna's seat in the branch: round 3, paused, her messages up to then and not after.
    let (_, v) = summary(addr, &b1_id, &anna_b1).await;
    assert_eq!((v.round, v.phase, v.paused), (2, Phase::Briefing, true));
    assert_eq!(v.title.as_deref(), Some("What if, 2015"));
    assert_eq!(
        v.branch.as_ref().map(|b| b.parent.to_string()),
        Some(g.id.clone())
    );
    let texts: Vec<&str> = v.messages.iter().map(|m| m.text.as_str()).collect();
    assert!(
        texts.contains(&"Anna in round 1") && texts.contains(&"Russia's secret 1"),
        "{texts:?}"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.contains("round 2") || t.contains("secret 2")),
        "{texts:?}"
    );
    assert_eq!(v.reports.len(), 2);
    // The bots' picture in the second: the branch's own.
    let (_, c2) = summary(addr, &b2_id, &b2_control).await;
    assert_eq!(
        serde_json::to_value(&c2.bots).unwrap(),
        json!({"us_nato": "hawk", "csto": "dove"})
    );
    // Secrets stay secret: an observer of the branch does not read Russia's team channel.
    let code2 = b2["join_code"].as_str().unwrap_or("").to_owned();
    let olga = join_observer(addr, &code2, "Olga").await;
    let (_, ov) = summary(addr, &b2_id, &olga).await;
    let seen = serde_json::to_string(&ov).unwrap();
    assert!(
        !seen.contains("Russia's secret"),
        "an observer reads a team channel"
    );

    // All three go on, each its own way.
    let mut c1 = Client::connect(addr, "b1 control", &b1_control).await;
    c1.ok(json!({"type": "resume"})).await;
    c1.ok(advance()).await;
    let mut anna1 = Client::connect(addr, "anna in b1", &anna_b1).await;
    anna1.ok(chat(plenary(), "A different 2015")).await;
    control.ok(advance()).await;
    let (_, p) = summary(addr, &g.id, &g.control_token).await;
    assert!(
        p.messages.iter().all(|m| m.text != "A different 2015"),
        "the parent is untouched"
    );
    assert_eq!(p.round, parent_before.round);
    let (_, v1) = summary(addr, &b1_id, &b1_control).await;
    assert_eq!(
        (v1.round, v1.phase, v1.paused),
        (2, Phase::Negotiation, false)
    );
    let (_, v2) = summary(addr, &b2_id, &b2_control).await;
    assert!(v2.messages.iter().all(|m| m.text != "A different 2015"));
    assert_eq!((v2.round, v2.phase), (2, Phase::Briefing));

    // A branch of the branch, at its negotiation.
    let (st, bb) = branch(
        addr,
        &b1_id,
        &b1_control,
        json!({"round": 2, "phase": "negotiation"}),
    )
    .await;
    assert_eq!(st, 201, "{bb}");
    let bb_id = s(&bb, "game_id");
    let bb_control = s(&bb, "control_token");
    let (_, vb) = summary(addr, &bb_id, &bb_control).await;
    assert_eq!((vb.round, vb.phase), (2, Phase::Negotiation));
    assert!(
        vb.messages.iter().all(|m| m.text != "A different 2015"),
        "posted after the point"
    );
    assert_eq!(
        vb.branch.as_ref().map(|b| b.parent.to_string()),
        Some(b1_id.clone())
    );

    // The branch compared with the original: Control reads both as Control, Anna both as an
    // observer would; their orders first differ at the branch point or later.
    let (st, cmp) = http(
        addr,
        "GET",
        &format!("/api/games/{b1_id}/compare"),
        None,
        Some(&b1_control),
    )
    .await;
    assert_eq!(st, 200, "{cmp}");
    assert_eq!(cmp["reader"], "teacher");
    assert_eq!(cmp["tables"].as_array().map(Vec::len), Some(2));
    assert_eq!(cmp["tables"][0]["game_id"], g.id.as_str());
    assert_eq!(cmp["tables"][0]["rounds"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        cmp["tables"][1]["rounds"].as_array().map(Vec::len),
        Some(2),
        "the shared rounds"
    );
    if let Some(r) = cmp["first_difference"]["round"].as_u64() {
        assert!(r >= 2, "{cmp}");
    }
    let (st, cmp) = http(
        addr,
        "GET",
        &format!("/api/games/{b1_id}/compare"),
        None,
        Some(&anna_b1),
    )
    .await;
    assert_eq!(
        (st, cmp["reader"].as_str()),
        (200, Some("student")),
        "{cmp}"
    );
    assert!(!cmp.to_string().contains("Russia's secret"));
    let (st, err) = http(
        addr,
        "GET",
        &format!("/api/games/{}/compare", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");

    // After a restart every game is rebuilt from its own log, as it was.
    let views = [
        (g.id.clone(), g.control_token.clone()),
        (b1_id.clone(), b1_control.clone()),
        (b2_id.clone(), b2_control.clone()),
        (bb_id.clone(), bb_control.clone()),
    ];
    let mut before = Vec::new();
    for (id, token) in &views {
        before.push(summary(addr, id, token).await.1);
    }
    drop((control, anna, c1, anna1));
    let db = app.stop().await;
    let app = spawn_app(db).await;
    for ((id, token), was) in views.iter().zip(before) {
        let (_, now) = summary(app.addr, id, token).await;
        assert_eq!(
            serde_json::to_value(&now).unwrap(),
            serde_json::to_value(&was).unwrap(),
            "game {id} after a restart"
        );
    }
    app.stop().await.cleanup().await;
}

/// A finished game stepped through as Control, as a faction and as the public: each step's
/// view is that seat's view then (the exported log cut there and replayed); Control may replay
/// a running game, anyone else only an ended one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_game_is_replayed_step_by_step_from_each_seat() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"bots": {"us_nato": "dove", "csto": "hawk"}})).await;
    let anna = join(addr, &g.code, "Anna", "russia").await;
    let path = |q: &str| format!("/api/games/{}/replay{q}", g.id);
    // Running: Control may, Anna may not.
    let (st, _) = http(addr, "GET", &path(""), None, Some(&g.control_token)).await;
    assert_eq!(st, 200);
    let (st, err) = http(addr, "GET", &path(""), None, Some(&anna)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("control_only")),
        "{err}"
    );
    // Play it out: Control moves every phase on; the bots play their factions.
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    for _ in 0..40 {
        let (_, v) = summary(addr, &g.id, &g.control_token).await;
        if v.phase == Phase::Ended {
            break;
        }
        control.ok(advance()).await;
    }
    let (_, end) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(end.phase, Phase::Ended);
    // A replay link: an observer seat that reads the replay once the game has ended.
    let (st, link) = http(
        addr,
        "POST",
        &format!("/api/games/{}/links", g.id),
        Some(&json!({"kind": "replay"})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 201, "{link}");
    let viewer = link["token"].as_str().expect("token").to_owned();
    let (st, last) = http(addr, "GET", &path("?as=russia"), None, Some(&viewer)).await;
    assert_eq!(st, 200, "{last}");
    let steps = last["steps"].as_array().expect("steps").clone();
    assert_eq!(steps.len(), 8 * 4 + 1, "four phases a round, then the end");
    // At each round's review: Russia reads the reports so far, its own parts only; the public
    // has no purse; Control sees the technical truth. (A faction's picture at the review is
    // not always its report's: an agreement that ends with the round counts in the report and
    // has expired by the review.)
    for r in 0..8u64 {
        let review = steps
            .iter()
            .find(|s| s["round"] == r && s["phase"] == "review")
            .expect("a review step");
        let seq = review["seq"].as_i64().unwrap_or(0);
        let (_, ru) = http(
            addr,
            "GET",
            &path(&format!("?at={seq}&as=russia")),
            None,
            Some(&viewer),
        )
        .await;
        let reports = ru["view"]["reports"].as_array().expect("reports");
        assert_eq!(reports.len() as u64, r + 1, "round {r}");
        assert!(
            reports[r as usize]["factions"].get("us_nato").is_none(),
            "Russia reads US/NATO's part"
        );
        assert!(reports[r as usize]["control"].is_null());
        let (_, public) = http(
            addr,
            "GET",
            &path(&format!("?at={seq}&as=public")),
            None,
            Some(&viewer),
        )
        .await;
        assert_eq!(
            public["view"]["purses"],
            json!({}),
            "the public has no purse"
        );
        let (_, tech) = http(
            addr,
            "GET",
            &path(&format!("?at={seq}&as=control")),
            None,
            Some(&viewer),
        )
        .await;
        assert_eq!(
            tech["view"]["indices"][0]["perspective"]["kind"],
            "technical"
        );
    }
    // Every step, as every seat: the server's replay is the exported log, cut at the step,
    // replayed by the engine, through the view function.
    let (_, export) = http(
        addr,
        "GET",
        &format!("/api/games/{}/export", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    let events: Vec<detente::engine::Event> =
        serde_json::from_value(export["events"].clone()).expect("the exported log");
    let scenario = detente::scenarios::built_in("missile-defence-2013").expect("scenario");
    for step in steps.iter().step_by(3) {
        let seq = step["seq"].as_i64().unwrap_or(0);
        let game = detente::engine::Game::replay(scenario.clone(), &events[..seq as usize])
            .expect("replay");
        for (who, seat) in [
            ("control", detente::engine::Seat::Control),
            ("public", detente::engine::Seat::Observer),
            ("russia", faction("russia")),
            ("csto", faction("csto")),
        ] {
            let (_, frame) = http(
                addr,
                "GET",
                &path(&format!("?at={seq}&as={who}")),
                None,
                Some(&viewer),
            )
            .await;
            assert_eq!(
                frame["view"],
                serde_json::to_value(game.view(&seat)).unwrap(),
                "step {seq} as {who}"
            );
        }
    }

    // Bad steps and seats are refused.
    let (st, _) = http(addr, "GET", &path("?at=3&as=russia"), None, Some(&viewer)).await;
    assert_eq!(st, 422);
    let (st, _) = http(addr, "GET", &path("?as=nato"), None, Some(&viewer)).await;
    assert_eq!(st, 422);
    let (st, _) = http(addr, "GET", &path("?colour=red"), None, Some(&viewer)).await;
    assert_eq!(st, 400);
    app.stop().await.cleanup().await;
}
