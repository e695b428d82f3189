//! A tiny HTTP/1.1 client and the REST calls the tests make.

use super::*;
use detente::engine::view::SeatView;
use detente::engine::Phase;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One HTTP/1.1 request; the status and the body (JSON when it parses, else a string).
pub(crate) async fn try_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    bearer: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    let (status, _, body) = raw_http(addr, method, path, body, bearer).await?;
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    Ok((status, value))
}

/// A GET's status, head and body as text (a CSV download, say).
pub(crate) async fn try_http_text(
    addr: SocketAddr,
    path: &str,
    bearer: &str,
) -> (u16, String, String) {
    raw_http(addr, "GET", path, None, Some(bearer))
        .await
        .expect("HTTP request")
}

/// One request on a fresh connection: the status, the head, the body (de-chunked).
async fn raw_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    bearer: Option<&str>,
) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect(addr).await?;
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    if let Some(t) = bearer {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(RECV, s.read_to_end(&mut buf))
        .await
        .map_err(|_| std::io::Error::other("HTTP response timed out"))??;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no HTTP head in {text:?}")))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, head.to_owned(), body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub(crate) async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    bearer: Option<&str>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    try_http(addr, method, path, body.as_deref(), bearer)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub(crate) struct GameInfo {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) control_token: String,
}

/// Creates a game without deadlines (only the test moves it on), started at once unless
/// `extra` says otherwise.
pub(crate) async fn create_game(addr: SocketAddr, extra: Value) -> GameInfo {
    let mut body = json!({
        "name": "White cell",
        "seed": 42,
        "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0},
        "start": "now",
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, created) = http(addr, "POST", "/api/games", Some(&body), None).await;
    assert_eq!(status, 201, "create game: {created}");
    let code = created["join_code"].as_str().expect("join_code").to_owned();
    assert_eq!(code.len(), 6, "{created}");
    assert!(
        code.bytes()
            .all(|b| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(&b)),
        "join code of unambiguous characters: {code}"
    );
    GameInfo {
        id: created["game_id"].as_str().expect("game_id").to_owned(),
        code,
        control_token: created["control_token"]
            .as_str()
            .expect("control_token")
            .to_owned(),
    }
}

/// Joins as a faction; the seat token.
pub(crate) async fn join(addr: SocketAddr, code: &str, name: &str, faction: &str) -> String {
    let body = json!({"code": code, "name": name, "faction": faction});
    let (status, joined) = http(addr, "POST", "/api/join", Some(&body), None).await;
    assert_eq!(status, 201, "join as {faction}: {joined}");
    assert_eq!(
        joined["seat"],
        json!({"role": "faction", "faction": faction})
    );
    joined["seat_token"]
        .as_str()
        .expect("seat_token")
        .to_owned()
}

pub(crate) async fn join_observer(addr: SocketAddr, code: &str, name: &str) -> String {
    let body = json!({"code": code, "name": name, "observer": true});
    let (status, joined) = http(addr, "POST", "/api/join", Some(&body), None).await;
    assert_eq!(status, 201, "join as observer: {joined}");
    assert_eq!(joined["seat"], json!({"role": "observer"}));
    joined["seat_token"]
        .as_str()
        .expect("seat_token")
        .to_owned()
}

/// Joins a class by its code as `name`; the student's token.
pub(crate) async fn join_class(addr: SocketAddr, code: &str, name: &str) -> String {
    let body = json!({"code": code, "name": name});
    let (status, joined) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
    assert_eq!(status, 201, "join the class as {name}: {joined}");
    joined["student_token"]
        .as_str()
        .expect("student_token")
        .to_owned()
}

/// The game's current sequence and the caller's view, over REST.
pub(crate) async fn summary(addr: SocketAddr, game: &str, token: &str) -> (i64, SeatView) {
    let (status, body) = http(
        addr,
        "GET",
        &format!("/api/games/{game}"),
        None,
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "summary: {body}");
    let seq = body["seq"].as_i64().expect("seq");
    let view = serde_json::from_value(body["view"].clone()).expect("a seat view");
    (seq, view)
}

pub(crate) async fn wait_phase(addr: SocketAddr, game: &str, token: &str, phase: Phase) {
    let started = Instant::now();
    loop {
        let (_, view) = summary(addr, game, token).await;
        if view.phase == phase {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still in {:?}, want {phase:?}",
            view.phase
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A counter from `/metrics`.
pub(crate) async fn metric(addr: SocketAddr, name: &str) -> u64 {
    let (st, body) = http(addr, "GET", "/metrics", None, None).await;
    assert_eq!(st, 200);
    body.as_str()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in /metrics: {body}"))
}
