//! Two server nodes in this process on one Postgres database (issue 16, decision record 0012):
//! a player reaches a game through either node (REST forwarded, WebSocket relayed to the
//! owner), seat presence and seat moves work across them, and a node that shuts down hands
//! its games over: its players reconnect to the other node and go on, nothing lost.

use crate::harness::*;
use detente::engine::Seat;
use detente::protocol::ServerFrame;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Nodes A and B on a fresh Postgres database of their own (dropped by [`stop`]), or `None`
/// when the test is skipped (no Postgres, `CI` unset).
async fn two_nodes(test: &str) -> Option<(App, App)> {
    let db = Db::postgres(test).await?;
    let other = match &db {
        Db::Postgres { admin, name } => Db::Postgres {
            admin: admin.clone(),
            name: name.clone(),
        },
        Db::Sqlite { .. } => unreachable!("several nodes share a Postgres database"),
    };
    Some((node(db, "node-a").await, node(other, "node-b").await))
}

/// Stops both nodes and drops their database.
async fn stop(a: App, b: App) {
    let db = b.stop().await;
    a.stop().await;
    db.cleanup().await;
}

/// How long a class connection's awaited frame may take.
const FRAME: Duration = Duration::from_secs(5);

async fn node(db: Db, id: &str) -> App {
    let id = id.to_owned();
    spawn_app_with(db, move |c| {
        c.node_id = Some(id);
        c.lease_ms = 1500;
    })
    .await
}

#[tokio::test]
async fn any_node_serves_a_player_and_a_stopping_node_hands_its_games_over() {
    let Some((a, b)) = two_nodes("nodes").await else {
        return;
    };
    // Created on A: A owns the game.
    let g = create_game(a.addr, json!({})).await;
    // Joins through B are forwarded to A (B cannot claim the game while A's lease runs).
    let ru = join(b.addr, &g.code, "Ivan", "russia").await;
    let us = join(a.addr, &g.code, "Jane", "us_nato").await;
    assert!(metric(b.addr, "detente_requests_forwarded_total").await >= 1);
    assert_eq!(metric(a.addr, "detente_requests_forwarded_total").await, 0);
    // Control and Russia connect to B, relayed to A; US/NATO to A.
    let mut control = Client::connect(b.addr, "control", &g.control_token).await;
    let mut ivan = Client::connect(b.addr, "ivan", &ru).await;
    let mut jane = Client::connect(a.addr, "jane", &us).await;
    assert_eq!(metric(b.addr, "detente_ws_proxied_open").await, 2);
    assert_eq!(metric(b.addr, "detente_games_in_memory").await, 0);
    assert_eq!(metric(a.addr, "detente_games_in_memory").await, 1);
    let said = ivan
        .ok(chat(bilateral("russia", "us_nato"), "through node B"))
        .await;
    jane.wait_seq(said).await;
    control.wait_seq(said).await;
    // A forged forwarding header is a player's header: B still relays the connection.
    let mut forged = tokio_tungstenite::connect_async({
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{}/ws", b.addr)
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "x-detente-forwarded",
            "node-a not-the-secret".parse().unwrap(),
        );
        req
    })
    .await
    .expect("connect")
    .0;
    forged
        .send(Message::text(
            json!({"type": "hello", "token": us}).to_string(),
        ))
        .await
        .expect("hello");
    let first = tokio::time::timeout(RECV, forged.next())
        .await
        .expect("an answer")
        .expect("a frame")
        .expect("a frame");
    let first: ServerFrame = serde_json::from_str(first.to_text().expect("text")).expect("frame");
    assert!(
        matches!(first, ServerFrame::Welcome { .. }),
        "relayed: {first:?}"
    );
    drop(forged);
    // Presence, asked of either node, is the owner's: it serves every socket of the game.
    let seats_on = |addr| {
        let (path, token) = (
            format!("/api/games/{}/seats", g.id),
            g.control_token.clone(),
        );
        async move {
            let (status, seats) = http(addr, "GET", &path, None, Some(&token)).await;
            assert_eq!(status, 200, "{seats}");
            seats.as_array().expect("seats").clone()
        }
    };
    let seats = seats_on(b.addr).await;
    let ivan_seat = seats
        .iter()
        .find(|s| s["name"] == "Ivan")
        .expect("Ivan's seat");
    assert_eq!(ivan_seat["connected"], 1, "{seats:?}");
    assert_eq!(seats_on(a.addr).await, seats);
    // Control moves Ivan's seat through B: his relayed socket closes with 4000.
    let moved = format!(
        "/api/games/{}/seats/{}",
        g.id,
        ivan_seat["seat_id"].as_str().expect("seat id")
    );
    let (status, body) = http(
        b.addr,
        "PUT",
        &moved,
        Some(&json!({"observer": true})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, code) = read_until_close(ivan.ws(), RECV).await;
    assert_eq!(code, Some(4000), "a moved seat's relayed socket");
    ivan.ws = None;
    ivan.hello(Some(ivan.seen)).await;
    assert_eq!(ivan.seat, Seat::Observer);
    // A shuts down: it releases its games; the relayed sockets get its 1001 and reconnect (to
    // B, which takes the game at once); Jane moves from A to B. Nothing is lost on the way.
    let acked_before = jane.ok(chat(plenary(), "before the handover")).await;
    let a_db = a.stop().await;
    for c in [&mut control, &mut ivan, &mut jane] {
        let (_, code) = read_until_close(c.ws(), RECV).await;
        assert_eq!(code, Some(1001), "{}: the stopping node's close", c.label);
        c.ws = None;
        c.addr = b.addr;
        let started = std::time::Instant::now();
        c.hello(Some(c.seen)).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{}: reconnected in {:?}",
            c.label,
            started.elapsed()
        );
    }
    assert_eq!(metric(b.addr, "detente_games_in_memory").await, 1);
    let after = jane.ok(chat(plenary(), "after the handover")).await;
    assert!(after > acked_before);
    control.wait_seq(after).await;
    // Control's stream has every event once and in order across both nodes.
    let seqs: Vec<i64> = control.events().map(|(s, _)| s).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert!(control.has_event(|e| format!("{e:?}").contains("before the handover")));
    for c in [&mut control, &mut ivan, &mut jane] {
        c.disconnect().await;
    }
    drop(a_db);
    b.stop().await.cleanup().await;
}

/// A class across two nodes: the teacher's console on A hears a student who joins through B
/// (announced through the database), a student waiting on A hears the Start given on B, the
/// class's tables run on B, which started it, and the console (moved there), the class
/// command and the debrief reached through A are answered there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_works_across_nodes() {
    let Some((a, b)) = two_nodes("nodes_class").await else {
        return;
    };
    let body = json!({"name": "Two nodes",
                      "deadlines": {"briefing": 600, "negotiation": 600, "orders": 600, "review": 600}});
    let (st, created) = http(b.addr, "POST", "/api/classes", Some(&body), None).await;
    assert_eq!(st, 201, "{created}");
    let class_id = created["class_id"].as_str().expect("id").to_owned();
    let code = created["join_code"].as_str().expect("code").to_owned();
    let teacher = created["teacher_token"].as_str().expect("token").to_owned();
    let mut console = ws_hello(a.addr, &teacher).await;
    let welcome = next_frame(&mut console, FRAME).await;
    assert_eq!(welcome["type"], "class_welcome", "{welcome}");
    let mut tokens = Vec::new();
    for (k, name) in ["Ada", "Boris", "Chen"].into_iter().enumerate() {
        let via = if k % 2 == 0 { b.addr } else { a.addr };
        tokens.push(join_class(via, &code, name).await);
    }
    frame_where(&mut console, FRAME, |v| {
        v["type"] == "class_roster" && v["students"] == 3
    })
    .await;
    // Once things are quiet, one more joins through B: A's console hears it (from B, through
    // the database: nothing on A rang).
    tokio::time::sleep(Duration::from_millis(600)).await;
    join_class(b.addr, &code, "Dana").await;
    let roster = frame_where(&mut console, FRAME, |v| {
        v["type"] == "class_roster" && v["students"] == 4
    })
    .await;
    assert_eq!(roster["students"], 4);
    // Ada waits on A; the teacher starts the class through B, whose tables they become.
    let mut waiting = ws_hello(a.addr, &tokens[0]).await;
    assert_eq!(
        next_frame(&mut waiting, FRAME).await["type"],
        "class_welcome"
    );
    let (st, started) = http(
        b.addr,
        "POST",
        &format!("/api/classes/{class_id}/start"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{started}");
    let (_, close) = read_until_close(&mut waiting, RECV).await;
    assert_eq!(
        close,
        Some(4000),
        "the Start given on B reached the student waiting on A"
    );
    assert!(metric(b.addr, "detente_games_in_memory").await >= 1);
    assert_eq!(metric(a.addr, "detente_games_in_memory").await, 0);
    // The console open on A hears the Start, finds the tables on B, and asks to be opened
    // again (1001): its new connection, through A, is relayed to B.
    let (_, close) = read_until_close(&mut console, RECV).await;
    assert_eq!(close, Some(1001), "the console moves to the class's node");
    let mut console = ws_hello(a.addr, &teacher).await;
    let welcome = frame_where(&mut console, FRAME, |v| v["type"] == "class_welcome").await;
    assert_eq!(welcome["started"], true, "{welcome}");
    // Ada's seat through A (relayed to B); the console sees her connected.
    let ada = Client::connect(a.addr, "Ada", &tokens[0]).await;
    let faction = ada.seat.faction().expect("a faction").to_string();
    frame_where(&mut console, FRAME, |v| {
        v["type"] == "class_table"
            && v["status"]["factions"].as_array().is_some_and(|fs| {
                fs.iter()
                    .any(|f| f["faction"] == faction.as_str() && f["connected"] == 1)
            })
    })
    .await;
    // The class command and the debrief through A are answered by B.
    let (st, done) = http(
        a.addr,
        "POST",
        &format!("/api/classes/{class_id}/command"),
        Some(&json!({"id": "pause-1", "command": {"type": "pause"}})),
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{done}");
    assert!(done["tables"][0]["ack"].as_i64().is_some(), "{done}");
    frame_where(&mut console, FRAME, |v| {
        v["type"] == "class_table" && v["status"]["paused"] == true
    })
    .await;
    let (st, debrief) = http(
        a.addr,
        "GET",
        &format!("/api/classes/{class_id}/debrief"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{debrief}");
    assert!(
        debrief["tables"].as_array().is_some_and(|t| !t.is_empty()),
        "{debrief}"
    );
    assert_eq!(
        metric(a.addr, "detente_games_in_memory").await,
        0,
        "all on B"
    );
    drop((console, ada));
    stop(a, b).await;
}

/// A branch made through another node than its parent's lives there; comparing them works
/// through either node (the parent is read from its log where it does not run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_and_its_parent_on_two_nodes_compare() {
    let Some((a, b)) = two_nodes("nodes_branch").await else {
        return;
    };
    let g = create_game(a.addr, json!({})).await;
    let mut control = Client::connect(a.addr, "control", &g.control_token).await;
    control.ok(chat(plenary(), "before the branch")).await;
    let (st, branched) = http(
        b.addr,
        "POST",
        &format!("/api/games/{}/branch", g.id),
        Some(&json!({"round": 0, "title": "What if"})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 201, "{branched}");
    let id = branched["game_id"].as_str().expect("id");
    let token = branched["control_token"].as_str().expect("token");
    assert_eq!(metric(a.addr, "detente_games_in_memory").await, 1);
    assert_eq!(metric(b.addr, "detente_games_in_memory").await, 1);
    for via in [a.addr, b.addr] {
        let (st, compared) = http(
            via,
            "GET",
            &format!("/api/games/{id}/compare"),
            None,
            Some(token),
        )
        .await;
        assert_eq!(st, 200, "{compared}");
        assert_eq!(compared["parent_id"], g.id.as_str());
        assert_eq!(compared["tables"].as_array().map(Vec::len), Some(2));
    }
    control.disconnect().await;
    stop(a, b).await;
}
