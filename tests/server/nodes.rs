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

/// The same Postgres database again, for a second node (cleaned up once, by the first).
fn same_db(db: &Db) -> Db {
    match db {
        Db::Postgres { admin, name } => Db::Postgres {
            admin: admin.clone(),
            name: name.clone(),
        },
        Db::Sqlite { .. } => unreachable!("several nodes share a Postgres database"),
    }
}

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
    let Some(db) = Db::postgres("nodes").await else {
        return;
    };
    let other = same_db(&db);
    let a = node(db, "node-a").await;
    let b = node(other, "node-b").await;
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
        req.headers_mut()
            .insert("x-detente-forwarded", "node-a not-the-secret".parse().unwrap());
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
        let (path, token) = (format!("/api/games/{}/seats", g.id), g.control_token.clone());
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
