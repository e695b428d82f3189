//! Limits: rate limits per connection and per address, connection caps, slow headers.

use crate::harness::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Sends 200 pings at once; the frames received and the close code.
async fn flood(ws: &mut Ws) -> (Vec<Value>, Option<u16>) {
    for _ in 0..200 {
        if ws.feed(Message::text(r#"{"type":"ping"}"#)).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
    read_until_close(ws, RECV).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_cut_off() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let (seq0, _) = summary(addr, &g.id, &g.control_token).await;

    let mut ws = ru.ws.take().expect("connected");
    let (frames, _) = flood(&mut ws).await;
    let pongs = frames.iter().filter(|f| f["type"] == "pong").count();
    assert!(pongs <= 60, "the flood was cut short: {pongs} pongs");
    let (seq1, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    // The seat can come back.
    ru.hello(None).await;
    ru.ping().await;
    ru.disconnect().await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_closes_with_1008() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.take().expect("connected");
    let (frames, code) = flood(&mut ws).await;
    assert!(
        frames.iter().any(|f| f["code"] == "rate_limited"),
        "told why: {frames:?}"
    );
    assert_eq!(code, Some(1008));
    app.stop().await.cleanup().await;
}

/// Frames one after the other, each answered, faster than the rate limit: after the burst
/// allowance the connection is closed with 1008 and told why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_closes_with_1008() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.expect("connected");
    let start = Instant::now();
    let mut pongs = 0;
    let (frames, code) = loop {
        ws.send(Message::text(r#"{"type":"ping"}"#))
            .await
            .expect("send");
        match tokio::time::timeout(RECV, ws.next()).await.expect("answer") {
            Some(Ok(Message::Text(t))) if t.as_str() == r#"{"type":"pong"}"# => pongs += 1,
            Some(Ok(Message::Text(t))) => {
                let first: Value = serde_json::from_str(&t).expect("JSON");
                let (mut frames, code) = read_until_close(&mut ws, RECV).await;
                frames.insert(0, first);
                break (frames, code);
            }
            other => panic!("after {pongs} pongs: {other:?}"),
        }
        assert!(pongs < 200, "no rate limit");
    };
    let allowed = 40.0 + 20.0 * start.elapsed().as_secs_f64();
    assert!(
        pongs >= 39 && f64::from(pongs) <= allowed + 1.0,
        "{pongs} frames allowed (burst 40, 20/s)"
    );
    assert_eq!(frames[0]["code"], "rate_limited", "{frames:?}");
    assert_eq!(code, Some(1008));
    app.stop().await.cleanup().await;
}

/// A burst of commands past the rate limit: every command read before the limit still gets its
/// one answer, in order, before the `rate_limited` error and the 1008 close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_answers_every_command_read_before_closing() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (_, mut ws) = ivan_socket(addr).await;
    for i in 0..60 {
        let frame = json!({"type": "command", "id": format!("c-{i}"), "command": chat(plenary(), &format!("burst {i}"))});
        ws.feed(Message::text(frame.to_string()))
            .await
            .expect("feed");
    }
    ws.flush().await.expect("flush");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    let answers: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "ack" || (f["type"] == "error" && f["id"].is_string()))
        .collect();
    let ids: Vec<String> = answers
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_owned())
        .collect();
    let want: Vec<String> = (0..ids.len()).map(|i| format!("c-{i}")).collect();
    assert_eq!(ids, want, "one answer per command read, in order");
    assert!(
        ids.len() >= 39,
        "the burst of 40 is answered: {}",
        ids.len()
    );
    let last = frames.last().expect("frames");
    assert_eq!(last["code"], "rate_limited", "{frames:?}");
    assert_eq!(code, Some(1008));
    app.stop().await.cleanup().await;
}

/// WebSocket pings count against the rate limit like any frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_frames_count_against_the_rate_limit() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (_, mut ws) = ivan_socket(addr).await;
    for _ in 0..500 {
        if ws.feed(Message::Ping(vec![1, 2, 3].into())).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1008), "{frames:?}");
    assert!(
        frames.iter().any(|f| f["code"] == "rate_limited"),
        "{frames:?}"
    );
    app.stop().await.cleanup().await;
}

/// Wrong join codes are limited per client address: a few typos are fine, guessing is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_code_guessing_is_rate_limited() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let mut statuses = Vec::new();
    for i in 0..30u32 {
        let code: String = format!("{i:06}")
            .bytes()
            .map(|b| b"ABCDEFGHJK"[usize::from(b - b'0')] as char)
            .collect();
        let body = json!({"code": code, "name": "Mallory"});
        let (st, body) = http(addr, "POST", "/api/join", Some(&body), None).await;
        if st == 429 {
            assert_eq!(body["code"], "rate_limited", "{body}");
        }
        statuses.push(st);
    }
    let first = statuses.iter().position(|s| *s == 429);
    assert!(
        first.is_some_and(|i| i >= 5),
        "a few typos are allowed, then guessing is refused: {statuses:?}"
    );
    assert!(
        statuses[first.unwrap_or(0)..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    // While limited, even the right code is refused (the limit is checked first).
    let body = json!({"code": g.code, "name": "Mallory", "faction": "russia"});
    let (st, _) = http(addr, "POST", "/api/join", Some(&body), None).await;
    assert_eq!(st, 429);
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_creation_is_rate_limited_per_address() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let mut statuses = Vec::new();
    for _ in 0..22 {
        let (st, body) = http(addr, "POST", "/api/games", Some(&json!({})), None).await;
        if st == 429 {
            assert_eq!(body["code"], "rate_limited", "{body}");
        }
        statuses.push(st);
    }
    assert!(statuses[..20].iter().all(|s| *s == 201), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    app.stop().await.cleanup().await;
}

/// Per-address limits hold under concurrency: 150 creations at once from one address create
/// 20 games (the burst), and 150 wrong join codes at once are looked up 10 times (the burst);
/// the rest get 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_limits_hold_for_concurrent_requests() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let creations: Vec<_> = (0..150)
        .map(|_| {
            tokio::spawn(async move {
                http(addr, "POST", "/api/games", Some(&json!({})), None)
                    .await
                    .0
            })
        })
        .collect();
    let mut created = 0;
    for c in creations {
        match c.await.expect("task") {
            201 => created += 1,
            429 => {}
            other => panic!("status {other}"),
        }
    }
    assert_eq!(created, 20, "games created by 150 concurrent requests");
    let guesses: Vec<_> = (0..150)
        .map(|_| {
            tokio::spawn(async move {
                let body = json!({"code": "ZZZZZZ", "name": "Guesser"});
                http(addr, "POST", "/api/join", Some(&body), None).await
            })
        })
        .collect();
    let mut looked_up = 0;
    for g in guesses {
        let (st, body) = g.await.expect("task");
        match st {
            404 => looked_up += 1,
            429 => assert_eq!(body["code"], "rate_limited", "{body}"),
            other => panic!("status {other}: {body}"),
        }
    }
    assert_eq!(
        looked_up, 10,
        "wrong codes looked up by 150 concurrent requests"
    );
    app.stop().await.cleanup().await;
}

/// One game takes at most 100 observers by its code (409 `observers_full`); one address takes
/// at most 200 seats at once (a class behind one router), then one a second (429), unless the
/// request carries the admin token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observers_and_seats_per_address_are_bounded() {
    // The refill (one a second by default) is slowed to one an hour: on a busy machine the 200
    // joins below can take more than a second, and a refilled token let the 201st in.
    let app = spawn_app_with(Db::sqlite(), |c| c.limits.seatings.per_sec = 1.0 / 3600.0).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let observe = json!({"code": g.code, "name": "Olga", "observer": true});
    for i in 0..100 {
        let (st, body) = http(addr, "POST", "/api/join", Some(&observe), None).await;
        assert_eq!(st, 201, "observer {i}: {body}");
    }
    let (st, body) = http(addr, "POST", "/api/join", Some(&observe), None).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (409, Some("observers_full")),
        "{body}"
    );
    // The refused join gave its token back: 100 seats taken so far from this address.
    let g2 = create_game(
        addr,
        json!({"team_sizes": {"russia": 50, "us_nato": 50, "csto": 50}}),
    )
    .await;
    for i in 0..100 {
        let (st, body) = http(
            addr,
            "POST",
            "/api/join",
            Some(&json!({"code": g2.code, "name": format!("p{i}")})),
            None,
        )
        .await;
        assert_eq!(st, 201, "player {i}: {body}");
    }
    let (st, body) = http(
        addr,
        "POST",
        "/api/join",
        Some(&json!({"code": g2.code, "name": "late"})),
        None,
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    app.stop().await.cleanup().await;

    let app = spawn_app_with(Db::sqlite(), |c| c.admin_token = Some("adm".into())).await;
    let addr = app.addr;
    let (_, made) = http(
        addr,
        "POST",
        "/api/games",
        Some(&json!({"team_sizes": {"russia": 50, "us_nato": 50, "csto": 50}})),
        Some("adm"),
    )
    .await;
    let code = made["join_code"].as_str().expect("code").to_owned();
    for i in 0..150 {
        let join = json!({"code": code, "name": format!("p{i}")});
        let (st, body) = http(addr, "POST", "/api/join", Some(&join), Some("adm")).await;
        assert_eq!(st, 201, "player {i} with the admin token: {body}");
    }
    let (_, made) = http(addr, "POST", "/api/games", Some(&json!({})), Some("adm")).await;
    let code = made["join_code"].as_str().expect("code").to_owned();
    for i in 0..60 {
        let join = json!({"code": code, "name": format!("o{i}"), "observer": true});
        let (st, body) = http(addr, "POST", "/api/join", Some(&join), Some("adm")).await;
        assert_eq!(st, 201, "observer {i}: {body}");
    }
    app.stop().await.cleanup().await;
}

/// Waits until the server counts `n` open WebSockets.
async fn wait_open_sockets(addr: SocketAddr, n: i64) {
    let started = Instant::now();
    loop {
        let (_, metrics) = http(addr, "GET", "/metrics", None, None).await;
        let open = metrics.as_str().and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("detente_ws_connections_open "))
                .and_then(|v| v.trim().parse::<i64>().ok())
        });
        if open == Some(n) {
            return;
        }
        assert!(
            started.elapsed() < RECV,
            "{open:?} sockets open, waiting for {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    // The header timeout is 10 s (Limits::default, held to the docs by a unit test); 1 s here.
    let timeout = Duration::from_secs(1);
    let app = spawn_app_with(Db::sqlite(), |c| c.limits.header_read = timeout).await;
    // Slowloris: a request whose headers never finish, a connection that sends nothing, and
    // one that sends only the HTTP/2 preface are each closed after the header timeout at the
    // latest, with nothing served. The three wait side by side.
    let started = Instant::now();
    let tries: [&'static [u8]; 3] = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        b"",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ];
    let waits = tries.map(|sent| {
        let addr = app.addr;
        tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.write_all(sent).await.expect("write");
            let mut buf = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
            (read.is_ok(), String::from_utf8_lossy(&buf).into_owned())
        })
    });
    for (sent, wait) in tries.iter().zip(waits) {
        let (closed, text) = wait.await.expect("task");
        let sent = String::from_utf8_lossy(sent);
        assert!(closed, "{sent:?}: still open after 20 s");
        assert!(started.elapsed() < timeout * 5, "{sent:?}: closed late");
        assert!(!text.contains("200 OK"), "{sent:?}: {text}");
    }
    assert!(
        started.elapsed() >= timeout * 9 / 10,
        "the slow request was closed too early: {:?}",
        started.elapsed()
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_caps_hold() {
    let app = spawn_app_with(Db::sqlite(), |c| c.max_connections = 20).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let anna = join(addr, &g.code, "Anna", "russia").await;

    // One seat: 16 sockets; the 17th is refused with a reason and 1008.
    let mut tabs = Vec::new();
    for i in 0..16 {
        tabs.push(Client::connect(addr, &format!("tab{i}"), &anna).await);
    }
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text(
        json!({"type": "hello", "token": anna}).to_string(),
    ))
    .await
    .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1008), "{frames:?}");
    assert_eq!(frames[0]["code"], "too_many_connections", "{frames:?}");
    tabs.pop().expect("a tab").disconnect().await;
    wait_open_sockets(addr, 15).await;
    tabs.push(Client::connect(addr, "again", &anna).await);

    // The server: 20 sockets in all; past that an upgrade gets 503.
    let ben = join(addr, &g.code, "Ben", "us_nato").await;
    wait_open_sockets(addr, 16).await;
    for i in 0..4 {
        tabs.push(Client::connect(addr, &format!("ben{i}"), &ben).await);
    }
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 503),
        other => panic!("expected 503, got {other:?}"),
    }
    // HTTP still answers: the cap on HTTP connections counts open HTTP connections only.
    let (st, _) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(st, 200);
    for mut t in tabs {
        t.disconnect().await;
    }

    // 20 HTTP connections that never send a request take every place: a 21st waits until
    // one of them goes.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = tokio::time::timeout(
        Duration::from_secs(1),
        try_http(addr, "GET", "/healthz", None, None),
    )
    .await;
    assert!(waiting.is_err(), "answered past the cap: {waiting:?}");
    idle.clear();
    let (st, _) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(st, 200, "answered once places are free");
    app.stop().await.cleanup().await;
}
