//! Creating, joining and starting games: the admin token, seats Control assigns, full teams,
//! the lobby and its start modes, facilitator and projector links.

use crate::harness::*;
use detente::engine::{Phase, Seat};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// With an admin token set, only its holders create games: no token or a wrong one gets 401
/// `unauthorized` and creates nothing; joining and playing need no admin token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_guards_game_creation() {
    let app = spawn_app_with(Db::sqlite(), |c| {
        c.admin_token = Some("s3cret-admin".into())
    })
    .await;
    let addr = app.addr;
    let body = json!({"name": "Guarded", "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}});
    for bearer in [None, Some("wrong"), Some("s3cret-admi")] {
        let (st, answer) = http(addr, "POST", "/api/games", Some(&body), bearer).await;
        assert_eq!(
            (st, answer["code"].as_str()),
            (401, Some("unauthorized")),
            "{bearer:?}: {answer}"
        );
    }
    let (st, created) = http(
        addr,
        "POST",
        "/api/games",
        Some(&body),
        Some("s3cret-admin"),
    )
    .await;
    assert_eq!(st, 201, "{created}");
    let code = created["join_code"].as_str().expect("join_code");
    let (st, joined) = http(
        addr,
        "POST",
        "/api/join",
        Some(&json!({"code": code, "name": "Anna", "faction": "russia"})),
        None,
    )
    .await;
    assert_eq!(st, 201, "{joined}");
    // The refused attempts created no game: the store holds exactly the one.
    let db = app.stop().await;
    let url = db.url();
    let mut conn = {
        use sqlx::Connection;
        sqlx::SqliteConnection::connect(&url)
            .await
            .expect("open the test database")
    };
    let games: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM games")
        .fetch_one(&mut conn)
        .await
        .expect("count games");
    assert_eq!(games, 1);
    drop(conn);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_assigns_seats_and_sees_who_is_connected() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"team_sizes": {"russia": 1, "us_nato": 1}, "bots": {"csto": "dove"}}),
    )
    .await;
    let anna = join(addr, &g.code, "Anna", "russia").await;
    let _ben = join(addr, &g.code, "Ben", "us_nato").await;
    let mut a = Client::connect(addr, "anna", &anna).await;
    assert_eq!(a.seat, faction("russia"));

    // The seat list: Control only; shows who is connected.
    let path = format!("/api/games/{}/seats", g.id);
    let (st, body) = http(addr, "GET", &path, None, Some(&anna)).await;
    assert_eq!((st, body["code"].as_str()), (403, Some("control_only")));
    let (st, seats) = http(addr, "GET", &path, None, Some(&g.control_token)).await;
    assert_eq!(st, 200, "{seats}");
    let seats = seats.as_array().expect("a list").clone();
    assert_eq!(seats.len(), 3, "Control, Anna, Ben: {seats:?}");
    let entry = |name: &str| {
        seats
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    assert_eq!(entry("Anna")["connected"], 1);
    assert_eq!(entry("Ben")["connected"], 0);
    assert_eq!(entry("White cell")["seat"], json!({"role": "control"}));
    let anna_id = entry("Anna")["seat_id"].as_str().unwrap().to_owned();
    let ben_id = entry("Ben")["seat_id"].as_str().unwrap().to_owned();
    let control_id = entry("White cell")["seat_id"].as_str().unwrap().to_owned();
    let seat_path = |id: &str| format!("/api/games/{}/seats/{id}", g.id);

    // Refusals change nothing.
    let stranger = Uuid::new_v4().to_string();
    let cases: Vec<(Value, &str, u16, &str)> = vec![
        (json!({"faction": "us_nato"}), &anna_id, 409, "team_full"),
        (json!({"faction": "csto"}), &anna_id, 409, "bot_seat"),
        (json!({"faction": "nato"}), &anna_id, 422, "unknown_faction"),
        (
            json!({"faction": "russia", "observer": true}),
            &anna_id,
            422,
            "invalid",
        ),
        (json!({}), &anna_id, 422, "invalid"),
        (json!({"observer": true}), &control_id, 404, "not_found"),
        (json!({"observer": true}), &stranger, 404, "not_found"),
        (
            json!({"faction": "russia", "seat": "control"}),
            &ben_id,
            400,
            "bad_request",
        ),
    ];
    for (body, id, status, code) in cases {
        let (st, answer) = http(
            addr,
            "PUT",
            &seat_path(id),
            Some(&body),
            Some(&g.control_token),
        )
        .await;
        assert_eq!(
            (st, answer["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    let (st, _) = http(
        addr,
        "PUT",
        &seat_path(&ben_id),
        Some(&json!({"observer": true})),
        Some(&anna),
    )
    .await;
    assert_eq!(st, 403, "players cannot move seats");
    a.ping().await; // still connected: nothing moved

    // Control moves Anna to observers: her socket is told and closed with 4000; her token
    // now opens an observer's view.
    let (st, moved) = http(
        addr,
        "PUT",
        &seat_path(&anna_id),
        Some(&json!({"observer": true})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["seat"], json!({"role": "observer"}));
    let (frames, code) = read_until_close(a.ws(), Duration::from_secs(5)).await;
    assert_eq!(code, Some(4000), "{frames:?}");
    assert!(
        frames.iter().any(|f| f["code"] == "seat_changed"),
        "{frames:?}"
    );
    a.ws = None;
    a.hello(None).await;
    assert_eq!(a.seat, Seat::Observer);
    // And back to Russia, now free: the seat is hers again.
    let (st, _) = http(
        addr,
        "PUT",
        &seat_path(&anna_id),
        Some(&json!({"faction": "russia"})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 200);
    let (_, code) = read_until_close(a.ws(), Duration::from_secs(5)).await;
    assert_eq!(code, Some(4000));
    a.ws = None;
    a.hello(None).await;
    assert_eq!(a.seat, faction("russia"));
    a.ok(chat(team("russia"), "back in the team")).await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_never_overfill_a_team() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"team_sizes": {"russia": 1, "us_nato": 2, "csto": 1}}),
    )
    .await;
    let joins = (0..10).map(|i| {
        let body = json!({"code": g.code, "name": format!("N{i}"), "faction": "us_nato"});
        async move { http(addr, "POST", "/api/join", Some(&body), None).await }
    });
    let results = futures_util::future::join_all(joins).await;
    let admitted = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(admitted, 2, "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == 201 || (*s == 409 && b["code"] == "team_full")));
    // "Assign me": the two other factions have one place each.
    let joins = (0..8).map(|i| {
        let body = json!({"code": g.code, "name": format!("A{i}")});
        async move { http(addr, "POST", "/api/join", Some(&body), None).await }
    });
    let results = futures_util::future::join_all(joins).await;
    let mut got: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["seat"]["faction"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    assert_eq!(got, ["csto", "russia"], "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == 201 || (*s == 409 && b["code"] == "game_full")));
    let (_, seats) = http(
        addr,
        "GET",
        &format!("/api/games/{}/seats", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(seats.as_array().unwrap().len(), 1 + 2 + 2);
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_game_waits_in_its_lobby_until_control_presses_start() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    // The API's default: a lobby. Deadlines of 1 s would end phases quickly if a clock ran.
    let g = create_game(
        addr,
        json!({"start": null, "deadlines": {"briefing": 1, "negotiation": 1, "orders": 1, "review": 1}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(
        (view.phase, view.deadline_at, view.round),
        (Phase::Lobby, None, 0),
        "no clock before Start"
    );
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let refused = ru.refused(ready()).await;
    assert_eq!(refused, "wrong_phase");
    let refused = ru.refused(json!({"type": "start"})).await;
    assert_eq!(refused, "control_only");
    ru.ok(chat(plenary(), "hello from the lobby")).await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let before = crate_now_ms();
    control.ok(json!({"type": "start"})).await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Briefing);
    let deadline = view.deadline_at.expect("the clock runs from Start");
    assert!(
        deadline >= before + 1000,
        "the deadline counts from Start: {deadline} vs {before}"
    );
    assert_eq!(
        control.refused(json!({"type": "start"})).await,
        "wrong_phase"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_that_starts_when_seated_starts_when_the_last_faction_is_taken() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"start": "when_seated", "bots": {"csto": "dove"}, "title": "Year 11, period 3"}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    let _observer = join_observer(addr, &g.code, "Olga").await;
    // The join form's preview: the game's name and scenario, seats per faction (no names).
    let (st, preview) = http(addr, "GET", &format!("/api/join/{}", g.code), None, None).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(preview["kind"], "game", "{preview}");
    assert_eq!(preview["title"], "Year 11, period 3", "{preview}");
    assert_eq!(preview["scenario"], "missile-defence-2013", "{preview}");
    assert_eq!(preview["phase"], "lobby", "{preview}");
    let seats: Vec<(String, Value, u64)> = preview["factions"]
        .as_array()
        .expect("factions")
        .iter()
        .map(|f| {
            (
                f["faction"].as_str().unwrap_or("").to_owned(),
                f["bot"].clone(),
                f["players"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        seats,
        vec![
            ("russia".into(), Value::Null, 1),
            ("us_nato".into(), Value::Null, 0),
            ("csto".into(), json!("dove"), 0)
        ]
    );
    assert!(!preview.to_string().contains("Anna"), "no names: {preview}");
    let (st, body) = http(addr, "GET", "/api/join/ZZZZZZ", None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("unknown_code")));
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Lobby, "US/NATO has nobody yet");
    join(addr, &g.code, "Ben", "us_nato").await;
    let started = Instant::now();
    loop {
        let (_, view) = summary(addr, &g.id, &ru_token).await;
        if view.phase != Phase::Lobby {
            assert_eq!((view.round, view.phase), (0, Phase::Briefing));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still in the lobby with every faction seated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await.cleanup().await;
}

fn crate_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_switches_a_lobby_to_start_when_seated() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"bots": {"csto": "dove"}, "start": "lobby"})).await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    control
        .ok(json!({"type": "set_start", "start": "when_seated"}))
        .await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Lobby, "US/NATO has nobody yet");
    assert_eq!(view.start, detente::engine::StartMode::WhenSeated);
    // Back to waiting for Start, then on again once every faction is seated: it starts at once.
    control
        .ok(json!({"type": "set_start", "start": "lobby"}))
        .await;
    join(addr, &g.code, "Ben", "us_nato").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Lobby, "waits for Start");
    control
        .ok(json!({"type": "set_start", "start": "when_seated"}))
        .await;
    wait_phase(addr, &g.id, &ru_token, Phase::Briefing).await;
    assert_eq!(
        control
            .refused(json!({"type": "set_start", "start": "lobby"}))
            .await,
        "wrong_phase"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facilitator_and_projector_links_open_their_seats_and_the_projector_cannot_act() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"start": "lobby"})).await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    let links = format!("/api/games/{}/links", g.id);
    let post_link = |token: String, body: Value| {
        let links = links.clone();
        async move { http(addr, "POST", &links, Some(&body), Some(&token)).await }
    };
    // Only Control makes links.
    let (st, body) = post_link(ru_token.clone(), json!({"kind": "projector"})).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("control_only")),
        "{body}"
    );
    let (st, body) = post_link(g.control_token.clone(), json!({"kind": "spy"})).await;
    assert_eq!(st, 400, "{body}");
    // Control's own token opens its seat anywhere (the recovery link carries it).
    let (st, me) = http(addr, "GET", "/api/seat", None, Some(&g.control_token)).await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["game_id"].as_str(), Some(g.id.as_str()));
    assert_eq!(me["you"]["seat"], json!({"role": "control"}));
    assert_eq!(me["join_code"].as_str(), Some(g.code.as_str()));
    let (st, _) = http(addr, "GET", "/api/seat", None, Some("not-a-token")).await;
    assert_eq!(st, 401);
    // A co-facilitator: another Control seat, which can run the game.
    let (st, co) = post_link(
        g.control_token.clone(),
        json!({"kind": "facilitator", "name": "Mr Okafor"}),
    )
    .await;
    assert_eq!(st, 201, "{co}");
    assert_eq!(co["seat"], json!({"role": "control"}));
    let co_token = co["token"].as_str().expect("token").to_owned();
    let (st, seen) = http(addr, "GET", "/api/seat", None, Some(&co_token)).await;
    assert_eq!((st, seen["you"]["name"].as_str()), (200, Some("Mr Okafor")));
    let mut co_ws = Client::connect(addr, "co-facilitator", &co_token).await;
    co_ws.ok(json!({"type": "start"})).await;
    // A projector: an observer seat that reads public information and cannot act.
    let (st, pj) = post_link(g.control_token.clone(), json!({"kind": "projector"})).await;
    assert_eq!(st, 201, "{pj}");
    assert_eq!(pj["seat"], json!({"role": "observer"}));
    assert_eq!(pj["name"], "Projector");
    let pj_token = pj["token"].as_str().expect("token").to_owned();
    let mut projector = Client::connect(addr, "projector", &pj_token).await;
    for cmd in [
        chat(plenary(), "from the projector"),
        ready(),
        advance(),
        json!({"type": "start"}),
        json!({"type": "end_game", "note": ""}),
    ] {
        let code = projector.refused(cmd.clone()).await;
        assert!(
            code == "not_your_faction" || code == "control_only",
            "{cmd}: {code}"
        );
    }
    let (st, body) = http(
        addr,
        "GET",
        &format!("/api/games/{}/seats", g.id),
        None,
        Some(&pj_token),
    )
    .await;
    assert_eq!((st, body["code"].as_str()), (403, Some("control_only")));
    app.stop().await.cleanup().await;
}
