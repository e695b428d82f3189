//! The class console's live connection: `hello` with the teacher's token follows the roster,
//! then every table's public status; a waiting student's connection is sent on to their seat
//! when the class starts; one command reaches every table (`POST /api/classes/{id}/command`).

use crate::harness::*;
use futures_util::SinkExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// How soon the console must show a change (the issue: within a second).
const LIVE: Duration = Duration::from_secs(1);

fn is_type(v: &Value, t: &str) -> bool {
    v["type"] == t
}

/// Six students, two tables of three. The teacher's connection hears each join and, once the
/// class starts, every table: a student connecting and a class-wide pause show within a
/// second. The waiting student's connection closes with 4000 at Start and the same token then
/// opens their seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_class_console_follows_the_roster_and_every_table_live() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let body = json!({"name": "Year 11 history",
                      "deadlines": {"briefing": 600, "negotiation": 600, "orders": 600, "review": 600}});
    let (st, created) = http(addr, "POST", "/api/classes", Some(&body), None).await;
    assert_eq!(st, 201, "{created}");
    let class_id = created["class_id"].as_str().expect("id").to_owned();
    let code = created["join_code"].as_str().expect("code").to_owned();
    let teacher = created["teacher_token"].as_str().expect("token").to_owned();

    // A class's code opens the join form as a class.
    let (st, preview) = http(addr, "GET", &format!("/api/join/{code}"), None, None).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(preview["kind"], "class", "{preview}");
    assert_eq!(preview["name"], "Year 11 history");
    assert_eq!(preview["started"], false);
    assert_eq!(preview["research_use"], false);

    let mut console = ws_hello(addr, &teacher).await;
    let welcome = next_frame(&mut console, RECV).await;
    assert_eq!(welcome["type"], "class_welcome", "{welcome}");
    assert_eq!(welcome["role"], "teacher");
    assert_eq!(welcome["students"], 0);
    assert_eq!(welcome["started"], false);

    let join = |name: &'static str| {
        let code = code.clone();
        async move {
            let body = json!({"code": code, "name": name});
            let (st, joined) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
            assert_eq!(st, 201, "{joined}");
            joined
        }
    };
    let ada = join("Ada").await;
    let roster = frame_where(&mut console, LIVE, |v| is_type(v, "class_roster")).await;
    assert_eq!(roster["students"], 1, "{roster}");

    // Ada waits for the start on a connection of her own.
    let ada_token = ada["student_token"].as_str().expect("token").to_owned();
    let mut waiting = ws_hello(addr, &ada_token).await;
    let w = next_frame(&mut waiting, RECV).await;
    assert_eq!(w["type"], "class_welcome", "{w}");
    assert_eq!(w["role"], "student");
    assert_eq!(w["you"], "Ada");
    assert_eq!(w["tables"], json!([]), "a student is not told the tables");

    let mut tokens = vec![ada_token.clone()];
    for name in ["Boris", "Chen", "Dana", "Emil", "Fay"] {
        tokens.push(
            join(name).await["student_token"]
                .as_str()
                .expect("t")
                .to_owned(),
        );
    }
    let roster = frame_where(&mut console, LIVE * 2, |v| {
        is_type(v, "class_roster") && v["students"] == 6
    })
    .await;
    assert_eq!(roster["students"], 6);

    let (st, started) = http(
        addr,
        "POST",
        &format!("/api/classes/{class_id}/start"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{started}");

    // The waiting student is sent on: seat_changed, close 4000; hello again opens her seat.
    let (frames, close) = read_until_close(&mut waiting, RECV).await;
    assert_eq!(close, Some(4000), "{frames:?}");
    assert!(
        frames.iter().any(|f| f["code"] == "seat_changed"),
        "{frames:?}"
    );
    let ada_seat = Client::connect(addr, "Ada", &ada_token).await;
    let ada_faction = ada_seat.seat.faction().expect("a faction").to_string();

    // The console: the class again, with its tables, then each table's status.
    let welcome = frame_where(&mut console, LIVE, |v| is_type(v, "class_welcome")).await;
    assert_eq!(welcome["started"], true, "{welcome}");
    let tables = welcome["tables"].as_array().expect("tables").clone();
    assert_eq!(tables.len(), 2);
    let ada_game = ada_seat_game(&started, &ada["student_id"]);
    let ada_table = tables
        .iter()
        .find(|t| t["game_id"] == ada_game.as_str())
        .expect("Ada's table")["table"]
        .as_u64()
        .expect("n");
    // Ada's connection shows at her table within a second.
    let status = frame_where(&mut console, LIVE * 2, |v| {
        is_type(v, "class_table")
            && v["table"] == ada_table
            && v["status"]["factions"].as_array().is_some_and(|fs| {
                fs.iter()
                    .any(|f| f["faction"] == ada_faction.as_str() && f["connected"] == 1)
            })
    })
    .await;
    assert_eq!(status["status"]["phase"], "briefing", "{status}");
    assert_eq!(status["status"]["paused"], false);
    assert!(status["status"]["deadline_at"].as_i64().is_some());
    assert!(status["status"]["tension"].as_f64().is_some());
    for f in status["status"]["factions"].as_array().expect("factions") {
        assert_eq!(f["players"], 1, "{status}");
    }

    // One command pauses every table; each answers; the console shows both paused.
    let command = format!("/api/classes/{class_id}/command");
    let pause = json!({"id": "pause-1", "command": {"type": "pause"}});
    let (st, done) = http(addr, "POST", &command, Some(&pause), Some(&teacher)).await;
    assert_eq!(st, 200, "{done}");
    let acks: Vec<i64> = done["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| t["ack"].as_i64().unwrap_or_else(|| panic!("{done}")))
        .collect();
    assert_eq!(acks.len(), 2);
    let mut paused = std::collections::BTreeSet::new();
    while paused.len() < 2 {
        let v = frame_where(&mut console, LIVE * 2, |v| {
            is_type(v, "class_table") && v["status"]["paused"] == true
        })
        .await;
        assert!(v["status"]["paused_remaining"].as_i64().is_some(), "{v}");
        assert_eq!(v["status"]["deadline_at"], Value::Null, "{v}");
        paused.insert(v["table"].as_u64().expect("n"));
    }
    // The same body again: the same answers, nothing more happens.
    let (st, again) = http(addr, "POST", &command, Some(&pause), Some(&teacher)).await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again, done);
    // A second pause with a new id is refused by each table (already paused): nothing changes.
    let pause2 = json!({"id": "pause-2", "command": {"type": "pause"}, "tables": [1]});
    let (st, refused) = http(addr, "POST", &command, Some(&pause2), Some(&teacher)).await;
    assert_eq!(st, 200, "{refused}");
    assert_eq!(refused["tables"].as_array().map(Vec::len), Some(1));
    assert!(
        refused["tables"][0]["error"]["code"].is_string(),
        "{refused}"
    );

    // Bad input: a table the class does not have, a bad id, a student's token, unknown fields.
    for (body, token, want) in [
        (
            json!({"id": "x", "command": {"type": "resume"}, "tables": [5]}),
            teacher.as_str(),
            (422, "invalid"),
        ),
        (
            json!({"id": "", "command": {"type": "resume"}}),
            teacher.as_str(),
            (422, "bad_id"),
        ),
        (
            json!({"id": "x", "command": {"type": "resume"}}),
            tokens[1].as_str(),
            (403, "teacher_only"),
        ),
        (
            json!({"id": "x", "command": {"type": "resume"}, "oops": 1}),
            teacher.as_str(),
            (400, "bad_request"),
        ),
    ] {
        let (st, err) = http(addr, "POST", &command, Some(&body), Some(token)).await;
        assert_eq!(
            (st, err["code"].as_str().unwrap_or("")),
            want,
            "{body}: {err}"
        );
    }
    // Still paused everywhere: none of those changed anything.
    for t in &tables {
        let game = t["game_id"].as_str().expect("id");
        let control = started["games"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["game_id"] == game))
            .and_then(|g| g["control_token"].as_str())
            .expect("control token");
        let (_, view) = summary(addr, game, control).await;
        assert!(view.paused, "table {t}");
    }

    // The class connection takes no commands; it says so and stays open.
    let cmd = json!({"type": "command", "id": "c1", "command": {"type": "resume"}}).to_string();
    console.send(Message::text(cmd)).await.expect("send");
    let err = frame_where(&mut console, RECV, |v| is_type(v, "error")).await;
    assert_eq!(err["code"], "invalid", "{err}");
    assert_eq!(err["id"], "c1");
    console
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .expect("ping");
    frame_where(&mut console, RECV, |v| is_type(v, "pong")).await;

    drop(ada_seat);
    app.stop().await.cleanup().await;
}

/// The game of the table where the start answer seated `student`.
fn ada_seat_game(started: &Value, student: &Value) -> String {
    let tables = started["tables"].as_array().expect("tables");
    let t = tables
        .iter()
        .find(|t| {
            t["teams"].as_object().is_some_and(|teams| {
                teams
                    .values()
                    .any(|ids| ids.as_array().is_some_and(|a| a.contains(student)))
            })
        })
        .expect("the student's table")["table"]
        .as_u64()
        .expect("n");
    started["games"][t as usize]["game_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// The debrief compares the tables from what its reader may see: the teacher reads each table
/// as its Control (the technical balance, every faction's picture), a student as an observer
/// (the public side until the table ends, everything after). The tables' first different
/// round names the order one table gave and the other did not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debrief_compares_the_tables_as_its_reader_may_see_them() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let body = json!({"name": "Debrief class",
                      "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}});
    let (_, created) = http(addr, "POST", "/api/classes", Some(&body), None).await;
    let class_id = created["class_id"].as_str().expect("id").to_owned();
    let code = created["join_code"].as_str().expect("code").to_owned();
    let teacher = created["teacher_token"].as_str().expect("token").to_owned();
    let mut students = Vec::new();
    for name in ["Ada", "Boris", "Chen", "Dana", "Emil", "Fay"] {
        let body = json!({"code": code, "name": name});
        let (st, joined) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
        assert_eq!(st, 201, "{joined}");
        students.push(joined["student_token"].as_str().expect("t").to_owned());
    }
    let debrief = format!("/api/classes/{class_id}/debrief");
    let (st, err) = http(addr, "GET", &debrief, None, Some(&teacher)).await;
    assert_eq!((st, err["code"].as_str()), (409, Some("invalid")), "{err}");
    let (st, started) = http(
        addr,
        "POST",
        &format!("/api/classes/{class_id}/start"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{started}");
    // Russia at table 0 orders something; Russia at table 1 does not.
    let mut russia0 = None;
    for token in &students {
        let (_, seat) = http(addr, "GET", "/api/seat", None, Some(token)).await;
        if seat["you"]["seat"]["faction"] == "russia"
            && seat["game_id"] == started["games"][0]["game_id"]
        {
            russia0 = Some(token.clone());
        }
    }
    let russia0 = russia0.expect("Russia at table 0");
    let command = format!("/api/classes/{class_id}/command");
    for (i, _) in ["negotiation", "orders"].iter().enumerate() {
        let body = json!({"id": format!("advance-{i}"), "command": {"type": "advance_phase"}});
        let (st, done) = http(addr, "POST", &command, Some(&body), Some(&teacher)).await;
        assert_eq!(st, 200, "{done}");
        assert!(
            done["tables"]
                .as_array()
                .expect("t")
                .iter()
                .all(|t| t["ack"].is_i64()),
            "{done}"
        );
    }
    let mut ru = Client::connect(addr, "ru0", &russia0).await;
    ru.ok(order("mirv_new_icbms", 1)).await;
    let body = json!({"id": "advance-2", "command": {"type": "advance_phase"}});
    let (_, done) = http(addr, "POST", &command, Some(&body), Some(&teacher)).await;
    assert!(
        done["tables"]
            .as_array()
            .expect("t")
            .iter()
            .all(|t| t["ack"].is_i64()),
        "{done}"
    );

    // The teacher: both tables, one round each, the technical truth and every faction's picture.
    let (st, d) = http(addr, "GET", &debrief, None, Some(&teacher)).await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["reader"], "teacher");
    let tables = d["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), 2);
    for t in tables {
        let rounds = t["rounds"].as_array().expect("rounds");
        assert_eq!(rounds.len(), 1, "{t}");
        assert!(rounds[0]["technical_balance"].is_f64(), "{t}");
        assert_eq!(
            rounds[0]["balance"].as_object().map(|b| b.len()),
            Some(3),
            "{t}"
        );
    }
    let diff = &d["first_difference"];
    assert_eq!(diff["round"], 0, "{d}");
    assert_eq!(diff["tables"][0][0], 0);
    assert_eq!(diff["tables"][0][1][0]["faction"], "russia", "{diff}");
    assert_eq!(
        diff["tables"][0][1][0]["action"], "mirv_new_icbms",
        "{diff}"
    );
    assert_eq!(diff["tables"][1][1], json!([]), "{diff}");

    // A student, while the tables play: the public side only (no technical truth, no faction's
    // picture); the order was revealed publicly once adjudicated, so it shows.
    let (st, s) = http(addr, "GET", &debrief, None, Some(&students[1])).await;
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["reader"], "student");
    for t in s["tables"].as_array().expect("tables") {
        let round = &t["rounds"][0];
        assert_eq!(round["technical_balance"], Value::Null, "{t}");
        assert_eq!(round["balance"], json!({}), "{t}");
    }
    // Someone else's token is no reader of this class's debrief.
    let other = create_game(addr, json!({})).await;
    let (st, _) = http(addr, "GET", &debrief, None, Some(&other.control_token)).await;
    assert_eq!(st, 401);

    // Once every table has ended, the student reads everything too.
    let body = json!({"id": "end", "command": {"type": "end_game", "note": "time"}});
    let (_, done) = http(addr, "POST", &command, Some(&body), Some(&teacher)).await;
    assert!(
        done["tables"]
            .as_array()
            .expect("t")
            .iter()
            .all(|t| t["ack"].is_i64()),
        "{done}"
    );
    let (_, s) = http(addr, "GET", &debrief, None, Some(&students[1])).await;
    for t in s["tables"].as_array().expect("tables") {
        assert_eq!(t["phase"], "ended", "{t}");
        assert!(t["rounds"][0]["technical_balance"].is_f64(), "{t}");
        assert_eq!(t["scores"].as_object().map(|b| b.len()), Some(3), "{t}");
    }
    drop(ru);
    app.stop().await.cleanup().await;
}
