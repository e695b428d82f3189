//! Bad input: each gets its error and changes nothing. Bad frames and commands, connections
//! without a proper hello, silence, oversized frames, bad UTF-8, bad REST requests.

use crate::harness::*;
use detente::protocol::ServerFrame;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_and_commands_change_nothing() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let ob_token = join_observer(addr, &g.code, "Projector").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ob = Client::connect(addr, "observer", &ob_token).await;
    let (seq0, view0) = summary(addr, &g.id, &g.control_token).await;

    // Frames that are not valid protocol: an error without id; the connection stays usable.
    for bad in [
        "{not json".to_owned(),
        r#"{"type":"launch_everything"}"#.to_owned(),
        r#"{"type":"command","id":"x1","command":{"type":"chat","channel":{"kind":"plenary"},"text":"hi","from":{"role":"control"}}}"#.to_owned(),
        r#"{"type":"command","id":"x2","command":{"type":"ready"},"seat":{"role":"control"}}"#.to_owned(),
        r#"{"type":"command","id":"x3","command":{"type":"submit_order","action":"mirv_new_icbms","quantity":-1}}"#.to_owned(),
        r#"{"type":"command","command":{"type":"ready"}}"#.to_owned(),
        "[]".to_owned(),
    ] {
        ru.send_text(&bad).await;
        let (id, code) = ru.next_error().await;
        assert_eq!((id, code.as_str()), (None, "bad_frame"), "{bad}");
    }
    ru.ping().await;
    ru.send_text(&json!({"type": "hello", "token": ru_token}).to_string())
        .await;
    assert_eq!(ru.next_error().await.1, "already_hello");
    for id in [String::new(), "x".repeat(65)] {
        match ru.send_command(&id, &ready()).await {
            ServerFrame::Error { code, .. } => assert_eq!(code, "bad_id"),
            other => panic!("{other:?}"),
        }
    }

    // Commands the rules refuse.
    assert_eq!(ru.refused(order("mirv_new_icbms", 1)).await, "wrong_phase");
    assert_eq!(
        ru.refused(propose(
            "Too early",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true
        ))
        .await,
        "wrong_phase"
    );
    assert_eq!(
        ru.refused(chat(team("us_nato"), "let me in")).await,
        "not_your_faction"
    );
    assert_eq!(
        ru.refused(chat(bilateral("us_nato", "csto"), "eavesdrop"))
            .await,
        "not_your_faction"
    );
    assert_eq!(
        ob.refused(chat(plenary(), "observer speaks")).await,
        "not_your_faction"
    );
    for c in [
        advance(),
        json!({"type": "end_game", "note": "coup"}),
        json!({"type": "pause"}),
        json!({"type": "override", "var": "tension", "value": 0.0, "reason": "peace"}),
        json!({"type": "set_bot", "faction": "us_nato", "temperament": "dove"}),
    ] {
        assert_eq!(ru.refused(c).await, "control_only");
    }
    assert_eq!(ru.refused(json!({"type": "tick"})).await, "forbidden");
    assert_eq!(control.refused(json!({"type": "tick"})).await, "forbidden");
    assert_eq!(
        control.refused(order("mirv_new_icbms", 1)).await,
        "not_your_faction"
    );

    let (seq1, view1) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    assert_eq!(view1, view0, "nothing changed");
    ru.ping().await;
    assert!(
        ru.events().next().is_none() && control.events().next().is_none(),
        "no events"
    );
    // The connection still works.
    ru.ok(chat(plenary(), "still here")).await;

    for mut c in [ru, ob, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_a_proper_hello_are_closed() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let (seq0, _) = summary(addr, &g.id, &g.control_token).await;

    // A command before hello: error, then close with 1002.
    let mut ws = ws_connect(addr).await;
    let cmd = json!({"type": "command", "id": "c1", "command": chat(plenary(), "hi")});
    ws.send(Message::text(cmd.to_string())).await.expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["code"], "hello_first");
    assert_eq!(code, Some(1002));

    // Not JSON as the first frame.
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text("hello?")).await.expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames[0]["code"], "bad_frame", "{frames:?}");
    assert_eq!(code, Some(1002));

    // A binary first frame.
    let mut ws = ws_connect(addr).await;
    ws.send(Message::binary(b"{}".to_vec()))
        .await
        .expect("send");
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1002));

    // A bad token: error, then close with 1008.
    for token in ["0123456789abcdef0123456789abcdef", ""] {
        let mut ws = ws_connect(addr).await;
        ws.send(Message::text(
            json!({"type": "hello", "token": token}).to_string(),
        ))
        .await
        .expect("send");
        let (frames, code) = read_until_close(&mut ws, RECV).await;
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(frames[0]["code"], "bad_token");
        assert_eq!(code, Some(1008));
    }

    // Hello with an unknown field.
    let mut ws = ws_connect(addr).await;
    let hello = json!({"type": "hello", "token": g.control_token, "seat": {"role": "control"}});
    ws.send(Message::text(hello.to_string()))
        .await
        .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames[0]["code"], "bad_frame", "{frames:?}");
    assert_eq!(code, Some(1002));

    // The token in the URL is not a way in.
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={}", g.control_token))
            .await
            .expect("connect");
    ws.send(Message::text(r#"{"type":"ping"}"#))
        .await
        .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames[0]["code"], "hello_first", "{frames:?}");
    assert_eq!(code, Some(1002));

    // A page from another origin may not open /ws; the server's own origin may.
    let with_origin = |origin: String| {
        let mut req = format!("ws://{addr}/ws")
            .into_client_request()
            .expect("request");
        req.headers_mut()
            .insert("Origin", origin.parse().expect("header"));
        req
    };
    match tokio_tungstenite::connect_async(with_origin("http://evil.example".into())).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("a foreign origin was let in: {:?}", other.map(|_| ())),
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(with_origin(format!("http://{addr}")))
        .await
        .expect("same origin");
    ws.send(Message::text(
        json!({"type": "hello", "token": g.control_token}).to_string(),
    ))
    .await
    .expect("send");
    let welcome = ws.next().await.expect("frame").expect("frame");
    assert!(welcome
        .to_text()
        .expect("text")
        .contains(r#""type":"welcome""#));

    let (seq1, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connection_is_closed_after_the_hello_time() {
    // 5 s by default (Limits::default, held to the docs by a unit test); 1 s here.
    let hello = Duration::from_secs(1);
    let app = spawn_app_with(Db::sqlite(), |c| c.limits.hello = hello).await;
    let mut ws = ws_connect(app.addr).await;
    let start = Instant::now();
    let (frames, code) = read_until_close(&mut ws, Duration::from_secs(8)).await;
    let took = start.elapsed();
    assert!(frames.is_empty(), "{frames:?}");
    assert_eq!(code, Some(1008));
    assert!(
        took >= hello * 9 / 10 && took <= hello + Duration::from_secs(1),
        "closed after {took:?}"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_the_connection() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let (seq0, _) = summary(addr, &g.id, &g.control_token).await;

    let big = json!({"type": "command", "id": "big",
        "command": chat(plenary(), &"x".repeat(70 * 1024))});
    let mut ws = ru.ws.take().expect("connected");
    let _ = ws.send(Message::text(big.to_string())).await;
    let (frames, _code) = read_until_close(&mut ws, RECV).await;
    assert!(
        frames.iter().all(|f| f["type"] != "ack"),
        "no ack: {frames:?}"
    );
    let (seq1, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    // The seat can come back.
    ru.hello(None).await;
    ru.ok(chat(plenary(), "small again")).await;
    ru.disconnect().await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_with_1009() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.take().expect("connected");
    let _ = ws.send(Message::text("x".repeat(70 * 1024))).await;
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1009));
    // A frame far over the limit, its bytes written whole to the socket before reading (as a
    // simple client does): the server reads the rest and discards it, so the write completes
    // and the client gets the 1009 close rather than a reset.
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.take().expect("connected");
    let len: u64 = 4 << 20;
    let mut frame = vec![0x81, 0x80 | 127];
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]); // a zero mask leaves the payload as it is
    frame.resize(frame.len() + len as usize, b'x');
    let raw = match ws.get_mut() {
        MaybeTlsStream::Plain(tcp) => tcp,
        _ => unreachable!("plain TCP"),
    };
    let written = tokio::time::timeout(RECV, raw.write_all(&frame)).await;
    assert!(
        matches!(written, Ok(Ok(()))),
        "the frame's bytes were not all taken: {written:?}"
    );
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1009));
    app.stop().await.cleanup().await;
}

/// A client's close after hello is answered with a close (RFC 6455 §5.5.1), and a text frame
/// that is not UTF-8 closes the connection with 1007.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_is_answered_and_bad_utf8_gets_1007() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (ru_token, mut ws) = ivan_socket(addr).await;
    ws.close(None).await.expect("close sent");
    let answered = tokio::time::timeout(RECV, async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Close(_)) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
        false
    })
    .await
    .expect("an answer to the close");
    assert!(answered, "the close was not answered");

    let ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.expect("connected");
    let bad = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(bad)).await.expect("send");
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1007));
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_errors() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"team_sizes": {"csto": 1}})).await;
    let (seq0, view0) = summary(addr, &g.id, &g.control_token).await;
    let post = |path: &'static str, body: Value| async move {
        http(addr, "POST", path, Some(&body), None).await
    };

    // A route asked with a method it does not answer: the JSON form, 405.
    for (method, path) in [
        ("DELETE", "/api/games"),
        ("PUT", "/api/join"),
        ("POST", "/healthz"),
    ] {
        let (st, body) = try_http(addr, method, path, None, None)
            .await
            .expect("answer");
        assert_eq!(
            (st, body["code"].as_str()),
            (405, Some("method_not_allowed")),
            "{method} {path}: {body}"
        );
    }
    // Unknown join code (well-formed or not).
    for code in ["ZZZZZZ", "!!", ""] {
        let (st, body) = post("/api/join", json!({"code": code, "name": "Eve"})).await;
        assert_eq!(st, 404, "{body}");
        assert_eq!(body["code"], "unknown_code");
    }
    // Unknown fields, wrong types, not JSON.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Eve", "seat": "control"}),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    let (st, _) = post("/api/join", json!({"code": g.code, "name": 7})).await;
    assert_eq!(st, 400);
    let (st, _) = post(
        "/api/games",
        json!({"scenario": "missile-defence-2013", "admin": true}),
    )
    .await;
    assert_eq!(st, 400);
    let (st, _) = try_http(addr, "POST", "/api/join", Some("{"), None)
        .await
        .expect("http");
    assert_eq!(st, 400);
    // A game id that is not a UUID: a JSON bad_request like any other.
    let (st, body) = http(
        addr,
        "GET",
        "/api/games/not-a-uuid",
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    // A JSON array is not an object, even where serde could read the fields by position.
    let (st, body) = post("/api/games", json!([])).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (st, body) = post("/api/join", json!([g.code, "Eve"])).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    // A bad field is named by its path.
    let (st, body) = post("/api/games", json!({"bots": {"csto": "owl"}})).await;
    assert_eq!(st, 400);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("bots.csto")),
        "{body}"
    );
    // Bodies over 64 KiB.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "n".repeat(70 * 1024), "faction": "csto"}),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    let (st, body) = post(
        "/api/games",
        json!({"scenario": "missile-defence-2013", "name": "n".repeat(70 * 1024)}),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    // Bad names.
    for name in ["", "   ", &"n".repeat(41), "bell\u{7}", "new\nline"] {
        let (st, body) = post(
            "/api/join",
            json!({"code": g.code, "name": name, "faction": "russia"}),
        )
        .await;
        assert_eq!(st, 422, "{name:?}: {body}");
        assert_eq!(body["code"], "invalid_name");
    }
    let (st, body) = post("/api/games", json!({"name": ""})).await;
    assert_eq!(st, 422, "{body}");
    // Unknown faction or scenario; observer and faction at once.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Eve", "faction": "atlantis"}),
    )
    .await;
    assert_eq!((st, body["code"].as_str()), (422, Some("unknown_faction")));
    let (st, _) = post("/api/games", json!({"scenario": "no-such-scenario"})).await;
    assert_eq!(st, 422);
    let (st, _) = post(
        "/api/join",
        json!({"code": g.code, "name": "Eve", "faction": "csto", "observer": true}),
    )
    .await;
    assert_eq!(st, 422);
    // A full team.
    join(addr, &g.code, "Aigerim", "csto").await;
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Nursultan", "faction": "csto"}),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (409, Some("team_full")),
        "{body}"
    );
    // The summary needs the game's own token.
    let (st, _) = http(addr, "GET", &format!("/api/games/{}", g.id), None, None).await;
    assert_eq!(st, 401);
    let other = create_game(addr, json!({})).await;
    let (st, _) = http(
        addr,
        "GET",
        &format!("/api/games/{}", g.id),
        None,
        Some(&other.control_token),
    )
    .await;
    assert_eq!(st, 401);

    let (seq1, view1) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!((seq1, &view1), (seq0, &view0), "nothing changed");
    // Only the one CSTO player joined: a second game's join still assigns that team as full.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Third", "faction": "csto"}),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    app.stop().await.cleanup().await;
}
