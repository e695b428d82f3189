//! Restarts lose nothing: a graceful restart on the same SQLite file, SIGTERM of the real
//! binary, a game that leaves memory and comes back by replay.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::engine::Phase;
use detente::protocol::ServerFrame;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_every_acknowledged_action() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    let said = chat(plenary(), "before the restart");
    let first = ru.send_command("ru-said", &said).await;
    us.ok(chat(team("us_nato"), "team secret")).await;
    control.ok(advance()).await;
    let proposed = ru
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            false,
        ))
        .await;
    ru.wait_seq(proposed).await;

    // Graceful shutdown closes every socket with 1001.
    let db = app.stop().await;
    for c in [&mut ru, &mut us, &mut control] {
        let mut ws = c.ws.take().expect("connected");
        let (_, code) = read_until_close(&mut ws, RECV).await;
        assert_eq!(code, Some(1001), "{}: going away", c.label);
    }

    let app = spawn_app(db).await;
    let addr = app.addr;
    for c in [&mut ru, &mut us, &mut control] {
        c.addr = addr;
    }
    // Russia resumes: it missed nothing.
    match ru.hello(Some(ru.seen)).await {
        ServerFrame::Welcome { seq, .. } => assert_eq!(seq, proposed),
        other => panic!("{other:?}"),
    }
    // US/NATO comes back fresh: a full view with everything acknowledged.
    let view = match us.hello(None).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert_eq!(seq, proposed);
            view.expect("view")
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(view.phase, Phase::Negotiation);
    let texts: Vec<&str> = view.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["before the restart", "team secret"]);
    assert_eq!(view.proposals.len(), 1);
    let p = view.proposals[0].id;
    // Control resumes from a few events back: the restarted server sends just those events
    // (read back from the log), not a whole view.
    let back = proposed - 3;
    let before = control.events().count();
    match control.hello(Some(back)).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert_eq!(seq, proposed);
            assert!(view.is_none(), "missed events, not a snapshot");
        }
        other => panic!("{other:?}"),
    }
    control.wait_seq(proposed).await;
    let resent: Vec<i64> = control.events().skip(before).map(|(s, _)| s).collect();
    assert_eq!(resent, ((back + 1)..=proposed).collect::<Vec<_>>());

    // A retry of an acknowledged command: the same ack, no second message.
    assert_eq!(ru.send_command("ru-said", &said).await, first);
    // The game goes on.
    let signed = us.ok(json!({"type": "accept", "proposal": p})).await;
    assert_eq!(signed, proposed + 2, "accepted and signed");
    ru.wait_seq(signed).await;
    assert!(ru.has_event(|e| matches!(e, SeatEvent::AgreementSigned { .. })));
    let (seq, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, signed);
    assert_eq!(
        view.messages
            .iter()
            .filter(|m| m.text == "before the restart")
            .count(),
        1
    );
    // Before and after the restart (live, resumed and fresh), neither faction received the
    // other's secrets: US/NATO's team chat, or anything else only Control may see.
    control.wait_seq(signed).await;
    us.wait_seq(signed).await;
    let secrets = Secrets::from_control(&control, vec![team_only("team secret", "us_nato")]);
    secrets.check(&ru.label, &ru.seat, &ru.frames, false);
    secrets.check(&us.label, &us.seat, &us.frames, true);

    for mut c in [ru, us, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_every_socket_with_1001_and_exits_0() {
    let db = Db::sqlite();
    let Db::Sqlite { dir } = &db else {
        unreachable!()
    };
    let log = dir.join("server.log");
    let mut server = start_binary(&db, &log).await;
    let addr = server.addr;
    let g = create_game(addr, json!({"team_sizes": {"russia": 10, "us_nato": 10}})).await;
    // 20 players, each with a command acknowledged and one more in flight at SIGTERM.
    let mut players = Vec::new();
    for i in 0..20 {
        let f = if i % 2 == 0 { "russia" } else { "us_nato" };
        let token = join(addr, &g.code, &format!("P{i}"), f).await;
        let mut c = Client::connect(addr, &format!("p{i}"), &token).await;
        c.ok(chat(plenary(), &format!("acknowledged {i}"))).await;
        players.push(c);
    }
    for (i, c) in players.iter_mut().enumerate() {
        let cmd = chat(plenary(), &format!("in flight {i}"));
        c.send_text(
            &json!({"type": "command", "id": format!("flight-{i}"), "command": cmd}).to_string(),
        )
        .await;
    }
    let pid = server.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    // Every socket: maybe the answer to its in-flight command, then a 1001 close saying the
    // server is shutting down; no new welcome (the game is not caught up with as it stops).
    let mut in_flight_acked = Vec::new();
    for c in players.iter_mut() {
        let mut ws = c.ws.take().expect("connected");
        let mut frames: Vec<Value> = Vec::new();
        let close = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    frames.push(serde_json::from_str(&t).expect("JSON"))
                }
                Ok(Some(Ok(Message::Close(c)))) => break c,
                Ok(Some(Ok(_))) => {}
                other => panic!("{}: no close: {other:?}; {frames:?}", c.label),
            }
        };
        let close = close.expect("a close frame");
        assert_eq!(
            (u16::from(close.code), close.reason.as_str()),
            (1001, "server shutting down"),
            "{}: {frames:?}",
            c.label
        );
        assert!(
            !frames.iter().any(|f| f["type"] == "welcome"),
            "{}: a welcome while shutting down: {frames:?}",
            c.label
        );
        for f in &frames {
            if f["type"] == "ack" {
                in_flight_acked.push(f["id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    let started = Instant::now();
    let status = loop {
        if let Some(st) = server.child.try_wait().expect("try_wait") {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}");
    drop(server);

    // After a restart: every acknowledged message is there once; every in-flight one is
    // there at most once, and a retry with the same id makes it exactly once.
    let server = start_binary(&db, &log).await;
    let addr = server.addr;
    for c in players.iter_mut() {
        c.addr = addr;
        c.hello(None).await;
    }
    for (i, c) in players.iter_mut().enumerate() {
        let cmd = chat(plenary(), &format!("in flight {i}"));
        let answer = c.send_command(&format!("flight-{i}"), &cmd).await;
        assert!(matches!(answer, ServerFrame::Ack { .. }), "{answer:?}");
    }
    let (_, view) = summary(addr, &g.id, &g.control_token).await;
    for i in 0..20 {
        for text in [format!("acknowledged {i}"), format!("in flight {i}")] {
            let n = view.messages.iter().filter(|m| m.text == text).count();
            assert_eq!(n, 1, "{text:?} appears {n} times");
        }
    }
    eprintln!(
        "{} of 20 in-flight commands were acknowledged before the close",
        in_flight_acked.len()
    );
    drop(server);
    db.cleanup().await;
}

/// An unwatched game without a deadline leaves memory, and comes back by replaying its log
/// with everything in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_game_leaves_memory_and_comes_back_by_replay() {
    let app = spawn_app_idle(Db::sqlite(), 1).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &token).await;
    let seq = ru
        .ok(chat(json!({"kind": "plenary"}), "still here after a nap"))
        .await;
    assert!(metric(addr, "detente_games_in_memory").await >= 1);
    // The command was timed: in its game's queue, in the commit, and from hand-over to answer.
    for timed in [
        "detente_command_queue_seconds_count",
        "detente_commit_seconds_count",
        "detente_command_seconds_count",
    ] {
        assert_eq!(metric(addr, timed).await, 1, "{timed}");
    }
    ru.disconnect().await;
    let start = Instant::now();
    while metric(addr, "detente_games_in_memory").await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "an unwatched game without deadline should leave memory after ~1 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Back by replay: a fresh connection sees the message, and the game goes on.
    let mut again = Client::connect(addr, "russia-again", &token).await;
    let welcome = again
        .frames
        .iter()
        .find_map(|(raw, f)| matches!(f, ServerFrame::Welcome { .. }).then(|| raw.clone()))
        .expect("a welcome");
    assert!(welcome.contains("still here after a nap"), "{welcome}");
    assert_eq!(again.seen, seq, "the replayed game is at the same sequence");
    let next = again
        .ok(chat(json!({"kind": "plenary"}), "and on we go"))
        .await;
    assert_eq!(next, seq + 1);
    app.stop().await;
}
