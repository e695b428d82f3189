//! Research exports: a class's table exported, re-read and checked against its event log —
//! every message, order and index there, no name anywhere, a formula-like text neutralised in
//! the CSV — and refused where the class did not allow research use.

use crate::harness::*;
use serde_json::{json, Value};

const NAMES: [&str; 3] = ["Zofia", "Bartholomew", "Quentin"];

async fn class_of_three(
    addr: std::net::SocketAddr,
    research: Value,
) -> (String, String, Vec<String>, Value) {
    let mut body = json!({"name": "Research class", "teacher": "Ms Novak",
                          "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}});
    for (k, v) in research.as_object().expect("object") {
        body[k] = v.clone();
    }
    let (st, created) = http(addr, "POST", "/api/classes", Some(&body), None).await;
    assert_eq!(st, 201, "{created}");
    let id = created["class_id"].as_str().expect("id").to_owned();
    let code = created["join_code"].as_str().expect("code").to_owned();
    let teacher = created["teacher_token"].as_str().expect("t").to_owned();
    let mut tokens = Vec::new();
    for name in NAMES {
        tokens.push(join_class(addr, &code, name).await);
    }
    let (st, started) = http(
        addr,
        "POST",
        &format!("/api/classes/{id}/start"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{started}");
    (id, teacher, tokens, started)
}

/// No seated person's name anywhere in `text`.
fn nameless(text: &str) {
    for name in NAMES.iter().chain(&["Ms Novak", "Novak"]) {
        assert!(!text.contains(name), "{name} appears in the export: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_exported_for_research_matches_its_log_without_a_name() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (class_id, teacher, tokens, started) = class_of_three(
        addr,
        json!({"research_use": true, "research_free_text": true}),
    )
    .await;
    let game = started["games"][0]["game_id"]
        .as_str()
        .expect("game")
        .to_owned();
    let control = started["games"][0]["control_token"]
        .as_str()
        .expect("c")
        .to_owned();
    let mut clients = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        clients.push(Client::connect(addr, NAMES[i], t).await);
    }
    let ru = clients
        .iter()
        .position(|c| c.seat == faction("russia"))
        .expect("russia");
    let us = clients
        .iter()
        .position(|c| c.seat == faction("us_nato"))
        .expect("us_nato");
    let command = format!("/api/classes/{class_id}/command");
    let advance = |i: u32| json!({"id": format!("adv-{i}"), "command": {"type": "advance_phase"}});
    http(addr, "POST", &command, Some(&advance(0)), Some(&teacher)).await;
    let formula = format!(
        "=HYPERLINK(\"http://example.com\",\"look\") thanks {}",
        NAMES[us]
    );
    clients[ru].ok(chat(plenary(), &formula)).await;
    clients[us]
        .ok(chat(
            bilateral("russia", "us_nato"),
            &format!("{}: radar talks?", NAMES[ru].to_lowercase()),
        ))
        .await;
    let (st, msg) = http(addr, "POST", &command, Some(&json!({"id": "all", "command": {"type": "chat", "channel": {"kind": "plenary"}, "text": "Ms Novak here: five minutes"}})), Some(&teacher)).await;
    assert_eq!(st, 200, "{msg}");
    http(addr, "POST", &command, Some(&advance(1)), Some(&teacher)).await;
    clients[ru].ok(order("mirv_new_icbms", 1)).await;
    http(addr, "POST", &command, Some(&advance(2)), Some(&teacher)).await;

    let path = format!("/api/games/{game}/research");
    let (st, x) = http(addr, "GET", &path, None, Some(&control)).await;
    assert_eq!(st, 200, "{x}");
    nameless(&x.to_string());
    assert_eq!(x["free_text"], true);
    assert_eq!(x["class_id"], class_id.as_str());
    // Against the log (Control's full export): every message, with its channel and id.
    let (_, log) = http(
        addr,
        "GET",
        &format!("/api/games/{game}/export"),
        None,
        Some(&control),
    )
    .await;
    let events = log["events"].as_array().expect("events");
    let logged: Vec<(Value, Value)> = events
        .iter()
        .filter(|e| e["type"] == "chat_posted")
        .map(|e| (e["message"]["id"].clone(), e["message"]["channel"].clone()))
        .collect();
    let exported: Vec<(Value, Value)> = x["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| (m["id"].clone(), m["channel"].clone()))
        .collect();
    assert_eq!(exported, logged);
    assert_eq!(logged.len(), 3);
    for m in x["messages"].as_array().expect("m") {
        assert_eq!(m["phase"], "negotiation", "{m}");
        assert!(
            m["sender"].as_str().is_some_and(|s| s.contains('-')),
            "a pseudonym: {m}"
        );
    }
    // Names inside the text are pseudonyms too.
    let first = x["messages"][0]["text"].as_str().expect("text");
    assert!(
        first.starts_with("=HYPERLINK") && first.ends_with("thanks us_nato-1"),
        "{first}"
    );
    assert!(
        x["messages"][1]["text"]
            .as_str()
            .expect("t")
            .starts_with("russia-1:"),
        "{x}"
    );
    // Every order adjudicated, every index of every perspective, every score.
    let orders: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "order_submitted")
        .collect();
    assert_eq!(
        x["orders"].as_array().map(Vec::len),
        Some(orders.len()),
        "{x}"
    );
    assert_eq!(x["orders"][0]["action"], "mirv_new_icbms");
    let reports = log["view"]["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 1);
    let indices = x["indices"].as_array().expect("indices");
    let tech = reports[0]["control"]["technical"]["values"]
        .as_object()
        .expect("values");
    for (k, v) in tech {
        let Some(v) = v.as_f64() else { continue };
        assert!(
            indices.iter().any(|i| i["perspective"] == "technical"
                && i["index"] == k.as_str()
                && i["value"].as_f64() == Some(v)),
            "technical {k} = {v} missing"
        );
    }
    for f in ["russia", "us_nato", "csto", "public"] {
        assert!(
            indices
                .iter()
                .any(|i| i["perspective"] == f && i["index"] == "deterrence_balance"),
            "{f}'s deterrence balance"
        );
    }
    assert_eq!(x["scores"].as_array().map(Vec::len), Some(3));

    // CSV: the same records, a formula-like text neutralised, no name.
    let (st, headers, body) = try_http_text(addr, &format!("{path}?format=csv"), &control).await;
    assert_eq!(st, 200, "{body}");
    assert!(headers.contains("text/csv"), "{headers}");
    nameless(&body);
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    let head: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        head,
        [
            "record", "round", "phase", "channel", "who", "faction", "id", "item", "value",
            "length", "text"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    let of = |kind: &str| rows.iter().filter(|r| &r[0] == kind).count();
    assert_eq!(of("message"), 3);
    assert_eq!(of("order"), orders.len());
    assert_eq!(of("index"), indices.len());
    let texts: Vec<&str> = rows
        .iter()
        .filter(|r| &r[0] == "message")
        .map(|r| r.get(10).unwrap_or(""))
        .collect();
    assert!(
        texts[0].starts_with("'=HYPERLINK"),
        "neutralised: {texts:?}"
    );
    for r in &rows {
        for field in r.iter() {
            assert!(
                !field.starts_with(['=', '+', '@']),
                "a field that could run: {field}"
            );
        }
    }

    // A faction's token may not export; a class's CSV needs a table.
    let (st, err) = http(addr, "GET", &path, None, Some(&tokens[ru])).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("control_only")),
        "{err}"
    );
    let class_path = format!("/api/classes/{class_id}/research");
    let (st, all) = http(addr, "GET", &class_path, None, Some(&teacher)).await;
    assert_eq!(st, 200, "{all}");
    assert_eq!(all["tables"].as_array().map(Vec::len), Some(1));
    nameless(&all.to_string());
    let (st, err) = http(
        addr,
        "GET",
        &format!("{class_path}?format=csv"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    let (st, _, body) =
        try_http_text(addr, &format!("{class_path}?format=csv&table=0"), &teacher).await;
    assert_eq!(st, 200, "{body}");
    let (st, err) = http(
        addr,
        "GET",
        &format!("{class_path}?format=xml"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (400, Some("bad_request")),
        "{err}"
    );
    let (st, err) = http(addr, "GET", &class_path, None, Some(&tokens[0])).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("teacher_only")),
        "{err}"
    );
    drop(clients);
    app.stop().await.cleanup().await;
}

/// Without research use, neither the class nor its tables export; without free text, the chat
/// goes out as lengths only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn research_export_follows_what_the_class_allows() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (class_id, teacher, _, started) = class_of_three(addr, json!({})).await;
    let control = started["games"][0]["control_token"].as_str().expect("c");
    let game = started["games"][0]["game_id"].as_str().expect("g");
    let (st, err) = http(
        addr,
        "GET",
        &format!("/api/classes/{class_id}/research"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("forbidden")),
        "{err}"
    );
    let (st, err) = http(
        addr,
        "GET",
        &format!("/api/games/{game}/research"),
        None,
        Some(control),
    )
    .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("forbidden")),
        "{err}"
    );

    let (class_id, teacher, tokens, _) = class_of_three(addr, json!({"research_use": true})).await;
    let mut c = Client::connect(addr, "s", &tokens[0]).await;
    let command = format!("/api/classes/{class_id}/command");
    http(
        addr,
        "POST",
        &command,
        Some(&json!({"id": "a", "command": {"type": "advance_phase"}})),
        Some(&teacher),
    )
    .await;
    c.ok(chat(plenary(), "a secret plan")).await;
    let (st, x) = http(
        addr,
        "GET",
        &format!("/api/classes/{class_id}/research"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{x}");
    let m = &x["tables"][0]["messages"][0];
    assert_eq!(m["text"], Value::Null, "{m}");
    assert_eq!(m["length"], 13);
    assert!(!x.to_string().contains("secret"), "{x}");
    drop(c);
    app.stop().await.cleanup().await;
}
