//! Deadlines move games on by themselves, also after a restart.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::engine::Phase;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_move_the_game_on_by_themselves() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 1, "orders": 1, "review": 1}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let start = detente::limits::WallClock::system().now_ms();
    let view = welcome_view(&control.frames[0].1);
    assert_eq!((view.round, view.phase), (0, Phase::Briefing));
    let briefing_ends = view.deadline_at.expect("a briefing deadline");

    // Nobody sends anything: the clock alone takes the game through a whole round.
    let next_round = wait_event(&mut control, 0, "round 1", |e| {
        matches!(e, SeatEvent::RoundBegan { round: 1, .. })
    })
    .await;
    let took = detente::limits::WallClock::system().now_ms() - start;
    assert!(
        (2_500..10_000).contains(&took),
        "four one-second phases took {took} ms"
    );
    let milestones: Vec<(String, Option<i64>)> = control
        .events()
        .filter_map(|(_, e)| match e {
            SeatEvent::PhaseChanged {
                phase, deadline_at, ..
            } => Some((format!("{phase:?}"), *deadline_at)),
            SeatEvent::Adjudicated { report, .. } => {
                Some((format!("adjudicated {}", report.round), None))
            }
            SeatEvent::RoundBegan {
                round, deadline_at, ..
            } => Some((format!("round {round}"), *deadline_at)),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = milestones.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Negotiation",
            "Orders",
            "adjudicated 0",
            "Review",
            "round 1"
        ]
    );
    // Each phase began when the previous one's deadline passed, and got a second of its own.
    let mut previous = briefing_ends;
    for (name, deadline) in milestones.iter().filter(|(_, d)| d.is_some()) {
        let deadline = deadline.expect("a deadline");
        let began = deadline - 1_000;
        assert!(
            began >= previous && began < previous + 2_000,
            "{name} began at {began}, the previous deadline was {previous}"
        );
        previous = deadline;
    }
    // A player gets the same events, filtered for its seat.
    ru.wait_seq(next_round).await;
    let report = ru
        .events()
        .find_map(|(_, e)| match e {
            SeatEvent::Adjudicated { report, .. } => Some(report.clone()),
            _ => None,
        })
        .expect("russia saw the adjudication");
    assert_eq!(
        report
            .factions
            .keys()
            .map(|f| f.as_str())
            .collect::<Vec<_>>(),
        vec!["russia"]
    );
    assert!(ru.has_event(|e| matches!(e, SeatEvent::RoundBegan { round: 1, .. })));
    // No more deadlines: the game's task must not keep ticking after the test (in-process game
    // tasks outlive the server; see `a_stopped_server_leaves_no_game_task_behind`).
    control
        .ok(json!({"type": "end_game", "note": "the clock ran"}))
        .await;

    for mut c in [ru, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

/// A restart of the real binary (whose game tasks end with it, unlike an in-process server's;
/// see `a_stopped_server_leaves_no_game_task_behind`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_is_rearmed_after_a_restart() {
    let db = Db::sqlite();
    let Db::Sqlite { dir } = &db else {
        unreachable!()
    };
    let log = dir.join("server.log");
    let server = start_binary(&db, &log).await;
    let addr = server.addr;
    // The briefing ends in 2 s; the negotiation's long deadline dates the tick that ends it.
    let negotiation_ms = 600_000;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 2, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let view = welcome_view(&control.frames[0].1);
    assert_eq!(view.phase, Phase::Briefing);
    let briefing_ends = view.deadline_at.expect("a briefing deadline");
    control.disconnect().await;
    terminate(server);
    assert!(
        detente::limits::WallClock::system().now_ms() < briefing_ends - 200,
        "the server stopped before the deadline"
    );

    // A new server on the same file, and nobody connects until well past the deadline.
    let server = start_binary(&db, &log).await;
    let wait = briefing_ends + 1_200 - detente::limits::WallClock::system().now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let connected_at = detente::limits::WallClock::system().now_ms();
    control.addr = server.addr;
    let view = welcome_view(&control.hello(None).await);
    assert_eq!(
        view.phase,
        Phase::Negotiation,
        "the briefing deadline fired with nobody connected"
    );
    let ticked_at = view.deadline_at.expect("a negotiation deadline") - negotiation_ms;
    assert!(
        ticked_at >= briefing_ends && ticked_at < briefing_ends + 1_000,
        "the deadline fired on time: {} ms after it",
        ticked_at - briefing_ends
    );
    assert!(ticked_at < connected_at, "before anyone connected");

    control.disconnect().await;
    drop(server);
    db.cleanup().await;
}

/// `serve` has returned: nothing of that server may write to its database any more (a new
/// server may own the games now).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_leaves_no_game_task_behind() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let briefing_ends = welcome_view(&control.frames[0].1)
        .deadline_at
        .expect("a briefing deadline");
    let at_stop = control.seen;
    control.disconnect().await;
    let db = app.stop().await;
    let wait = briefing_ends + 700 - detente::limits::WallClock::system().now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let last_seq: i64 = {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db.url())
            .await
            .expect("open the SQLite file");
        sqlx::query_scalar("SELECT last_seq FROM games WHERE id = $1")
            .bind(&g.id)
            .fetch_one(&mut conn)
            .await
            .expect("the game's row")
    };
    assert_eq!(
        last_seq, at_stop,
        "events were appended after the server stopped"
    );
    db.cleanup().await;
}
