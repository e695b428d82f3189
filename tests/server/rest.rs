//! What the server serves over HTTP besides commands: compression, join links and QR codes,
//! scenarios, the web client, earlier messages.

use crate::harness::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_answers_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let head = |gzip: bool| {
        let path = format!("/api/games/{}", g.id);
        let token = g.control_token.clone();
        async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let accept = if gzip {
                "Accept-Encoding: gzip\r\n"
            } else {
                ""
            };
            let req = format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{accept}Authorization: Bearer {token}\r\n\r\n"
            );
            s.write_all(req.as_bytes()).await.expect("send");
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await.expect("read");
            let text = String::from_utf8_lossy(&buf).into_owned();
            text.split("\r\n\r\n")
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        }
    };
    let gz = head(true).await;
    assert!(gz.starts_with("http/1.1 200"), "{gz}");
    assert!(gz.contains("content-encoding: gzip"), "compressed: {gz}");
    let plain = head(false).await;
    assert!(plain.starts_with("http/1.1 200"), "{plain}");
    assert!(
        !plain.contains("content-encoding"),
        "not compressed unasked: {plain}"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_links_use_the_public_url_or_else_say_where_students_can_go() {
    // Listening on loopback (as tests do) and opened there: no address to offer students.
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (st, info) = http(addr, "GET", "/api/server", None, None).await;
    assert_eq!(st, 200, "{info}");
    assert_eq!(info["public_url"], Value::Null, "{info}");
    assert_eq!(info["reachable"], json!([]), "{info}");
    assert_eq!(info["join_base"], json!(format!("http://{addr}")), "{info}");
    app.stop().await.cleanup().await;

    // With a public URL, links and the QR code are built on it whatever the browser used.
    let app = spawn_app_with(Db::sqlite(), |c| {
        c.public_url = Some("https://detente.school.example/".into())
    })
    .await;
    let addr = app.addr;
    let (st, info) = http(addr, "GET", "/api/server", None, None).await;
    assert_eq!(st, 200, "{info}");
    assert_eq!(
        info["public_url"], "https://detente.school.example",
        "{info}"
    );
    assert_eq!(
        info["join_base"], "https://detente.school.example",
        "{info}"
    );
    let g = create_game(addr, json!({})).await;
    let with_base = |base: &str| {
        let link = format!("{base}/join/{}", g.code);
        qrcode::QrCode::new(link.as_bytes())
            .expect("qr")
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build()
    };
    let (st, svg) = try_http(
        addr,
        "GET",
        &format!("/api/join/{}/qr.svg", g.code),
        None,
        None,
    )
    .await
    .expect("qr");
    assert_eq!(st, 200);
    let svg = svg.as_str().map(str::to_owned).unwrap_or_default();
    assert_eq!(
        svg,
        with_base("https://detente.school.example"),
        "the QR code encodes the public URL's join link"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_join_code_qr_and_the_web_client_are_served() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let (st, sc) = http(
        addr,
        "GET",
        "/api/scenarios/missile-defence-2013",
        None,
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert!(
        sc["actions"].as_array().is_some_and(|a| a.len() > 20),
        "{sc}"
    );
    assert!(sc["map"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(sc["factions"][0]["id"], "russia");
    let (st, body) = http(addr, "GET", "/api/scenarios/nope", None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("unknown_scenario")));

    let (st, s) = http(
        addr,
        "GET",
        &format!("/api/games/{}", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(s["join_code"], g.code.as_str());

    let (st, svg) = http(
        addr,
        "GET",
        &format!("/api/join/{}/qr.svg", g.code.to_lowercase()),
        None,
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert!(svg.as_str().is_some_and(|t| t.contains("<svg")), "{svg}");
    let (st, body) = http(addr, "GET", "/api/join/no/qr.svg", None, None).await;
    assert_eq!((st, body["code"].as_str()), (422, Some("invalid")));

    // The client: index.html for the root and for client routes, its modules as JavaScript,
    // API paths still answer JSON.
    for path in ["/", "/join/ABC234", &format!("/game/{}", g.id)] {
        let (st, page) = http(addr, "GET", path, None, None).await;
        assert_eq!(st, 200, "{path}");
        assert!(
            page.as_str().is_some_and(|t| t.contains("<!doctype html>")),
            "{path}: {page}"
        );
    }
    let (st, _) = http(addr, "GET", "/js/main.js", None, None).await;
    assert_eq!(st, 200);
    let (st, body) = http(addr, "GET", "/api/nothing-here", None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("no_route")));
    let (st, _) = http(addr, "GET", "/js/../Cargo.toml", None, None).await;
    assert_ne!(st, 200);
    app.stop().await.cleanup().await;
}

/// A chat longer than a game holds in memory pages back whole: the latest messages come with
/// the welcome, older pages from memory and then from the log, every id once and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_chat_pages_back_whole_from_memory_and_the_log() {
    let app = spawn_app_with(Db::sqlite(), |c| {
        c.limits.frames = detente::limits::Rate {
            per_sec: 10_000.0,
            burst: 10_000.0,
        }
    })
    .await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let total = 3 * detente::engine::game::KEPT_MESSAGES as u64 + 17;
    for i in 1..=total {
        ru.ok(chat(plenary(), &format!("line {i}"))).await;
    }
    let mut ids = Vec::new();
    let mut before = None::<u64>;
    loop {
        let q = match before {
            Some(b) => format!("channel=plenary&before={b}"),
            None => "channel=plenary".to_owned(),
        };
        let (st, body) = http(
            addr,
            "GET",
            &format!("/api/games/{}/messages?{q}", g.id),
            None,
            Some(&us_token),
        )
        .await;
        assert_eq!(st, 200, "{body}");
        let page: Vec<(u64, String)> = body
            .as_array()
            .expect("list")
            .iter()
            .map(|m| {
                let id = m["id"].as_u64().unwrap_or(0);
                (id, m["text"].as_str().unwrap_or("").to_owned())
            })
            .collect();
        for (id, text) in &page {
            assert_eq!(*text, format!("line {id}"));
        }
        let Some(first) = page.first().map(|(id, _)| *id) else {
            break;
        };
        ids.splice(0..0, page.iter().map(|(id, _)| *id));
        before = Some(first);
    }
    assert_eq!(ids, (1..=total).collect::<Vec<_>>());
    app.stop().await.cleanup().await;
}

/// Earlier messages page over REST, from channels the seat may read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_messages_page_from_readable_channels_only() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    for i in 1..=3 {
        ru.ok(chat(plenary(), &format!("plenary {i}"))).await;
    }
    ru.ok(chat(team("russia"), "team secret")).await;
    let path = |q: &str| format!("/api/games/{}/messages?{q}", g.id);
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=plenary&before=3"),
        None,
        Some(&us_token),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let ids: Vec<u64> = body
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["id"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(ids, [1, 2]);
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=team-russia"),
        None,
        Some(&us_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    assert!(!body.to_string().contains("team secret"));
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=team-russia"),
        None,
        Some(&ru_token),
    )
    .await;
    assert_eq!(
        (st, body[0]["text"].as_str()),
        (200, Some("team secret")),
        "{body}"
    );
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=team-prussia"),
        None,
        Some(&ru_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=plenary&extra=1"),
        None,
        Some(&ru_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    app.stop().await.cleanup().await;
}
