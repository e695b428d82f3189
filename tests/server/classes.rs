//! Classes over HTTP: a teacher creates a class, students join it by its code, the teacher
//! reads the roster and the seating plan and pins students; bad input changes nothing.

use crate::harness::*;
use serde_json::{json, Value};

async fn create_class(addr: std::net::SocketAddr, body: Value) -> (String, String, String) {
    let (st, created) = http(addr, "POST", "/api/classes", Some(&body), None).await;
    assert_eq!(st, 201, "{created}");
    let s = |k: &str| created[k].as_str().expect(k).to_owned();
    (s("class_id"), s("join_code"), s("teacher_token"))
}

async fn join_class(addr: std::net::SocketAddr, code: &str, name: &str) -> Value {
    let body = json!({"code": code, "name": name});
    let (st, joined) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
    assert_eq!(st, 201, "{joined}");
    joined
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Five students join a class of single players: two tables (3 and 2), the second with a gap;
/// the teacher sees the roster in join order; a pin moves a student and the plan follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn students_join_a_class_and_the_teacher_sees_the_plan() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (id, code, teacher) = create_class(
        addr,
        json!({"name": "Year 11 history", "teacher": "Ms Novak", "research_use": true}),
    )
    .await;
    let mut students = Vec::new();
    for name in ["Ada", "Boris", "Chen", "Dana", "Emil"] {
        let joined = join_class(addr, &code.to_lowercase(), name).await;
        assert_eq!(joined["class_name"], "Year 11 history");
        assert_eq!(joined["research_use"], true);
        assert_eq!(joined["research_free_text"], false);
        students.push(joined);
    }
    let path = format!("/api/classes/{id}");
    let (st, lobby) = http(addr, "GET", &path, None, Some(&teacher)).await;
    assert_eq!(st, 200, "{lobby}");
    assert_eq!(lobby["join_code"], code);
    assert_eq!(lobby["settings"]["teacher"], "Ms Novak");
    assert_eq!(lobby["settings"]["team_size"], 1);
    let names: Vec<&str> = lobby["students"]
        .as_array()
        .expect("roster")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["Ada", "Boris", "Chen", "Dana", "Emil"]);
    let tables = lobby["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), 2);
    let student = |k: usize| students[k]["student_id"].as_str().expect("id").to_owned();
    assert_eq!(ids(&tables[0]["teams"]["russia"]), [student(0)]);
    // Each student goes to the table furthest below its share (3 and 2): Boris joins Ada.
    assert_eq!(ids(&tables[0]["teams"]["us_nato"]), [student(1)]);
    assert_eq!(ids(&tables[1]["teams"]["russia"]), [student(2)]);
    assert_eq!(ids(&tables[0]["teams"]["csto"]), [student(3)]);
    assert_eq!(tables[1]["gaps"], json!(["csto"]));
    assert_eq!(tables[0]["gaps"], json!([]));

    // The teacher puts Emil with Ada's table as CSTO... which Dana holds in the plan: Dana is
    // dealt elsewhere.
    let pin_path = format!("/api/classes/{id}/students/{}", student(4));
    let body = json!({"pin": {"table": 0, "faction": "csto"}});
    let (st, lobby) = http(addr, "PUT", &pin_path, Some(&body), Some(&teacher)).await;
    assert_eq!(st, 200, "{lobby}");
    assert_eq!(ids(&lobby["tables"][0]["teams"]["csto"]), [student(4)]);
    assert_eq!(
        lobby["students"][4]["pinned"],
        json!({"table": 0, "faction": "csto"})
    );
    // A second pin to that team of one is refused and changes nothing.
    let other = format!("/api/classes/{id}/students/{}", student(3));
    let (st, err) = http(addr, "PUT", &other, Some(&body), Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (409, Some("team_full")),
        "{err}"
    );
    // Pins to a table past the next new one, or to no faction, are refused.
    let far = json!({"pin": {"table": 3, "faction": "csto"}});
    let (st, err) = http(addr, "PUT", &other, Some(&far), Some(&teacher)).await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    let nobody = json!({"pin": {"table": 0, "faction": "prussia"}});
    let (st, err) = http(addr, "PUT", &other, Some(&nobody), Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (422, Some("unknown_faction")),
        "{err}"
    );
    // The next new table is allowed: a third table opens for Dana.
    let new_table = json!({"pin": {"table": 2, "faction": "us_nato"}});
    let (st, lobby) = http(addr, "PUT", &other, Some(&new_table), Some(&teacher)).await;
    assert_eq!(st, 200, "{lobby}");
    assert_eq!(lobby["tables"].as_array().map(Vec::len), Some(3));
    // Pinning Dana again to "the next new table" does not add a table each time: the next
    // one is counted without her own pin.
    let further = json!({"pin": {"table": 3, "faction": "us_nato"}});
    let (st, err) = http(addr, "PUT", &other, Some(&further), Some(&teacher)).await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    // Unpinned, Dana is dealt again.
    let (st, lobby) = http(
        addr,
        "PUT",
        &other,
        Some(&json!({"pin": null})),
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200, "{lobby}");
    assert_eq!(lobby["students"][3]["pinned"], Value::Null);
    assert_eq!(lobby["tables"].as_array().map(Vec::len), Some(2));

    // Only the teacher reads the roster.
    let student_token = students[0]["student_token"].as_str().expect("token");
    let (st, err) = http(addr, "GET", &path, None, Some(student_token)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("teacher_only")),
        "{err}"
    );
    assert!(!err.to_string().contains("Boris"));
    let (st, err) = http(addr, "PUT", &pin_path, Some(&body), Some(student_token)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("teacher_only")),
        "{err}"
    );
    let (st, err) = http(addr, "GET", &path, None, None).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (401, Some("unauthorized")),
        "{err}"
    );
    let (st, err) = http(addr, "GET", &path, None, Some("not-a-token")).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (401, Some("unauthorized")),
        "{err}"
    );
    let nowhere = "/api/classes/00000000-0000-0000-0000-000000000000";
    let (st, err) = http(addr, "GET", nowhere, None, Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (404, Some("not_found")),
        "{err}"
    );
    // Another class's teacher is a stranger here.
    let (_, _, stranger) = create_class(addr, json!({"name": "Other"})).await;
    let (st, _) = http(addr, "GET", &path, None, Some(&stranger)).await;
    assert_eq!(st, 401);
    app.stop().await.cleanup().await;
}

/// Bad requests to create, join or pin get a clear error and change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_class_requests_are_refused() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    for (body, status, code) in [
        (json!({}), 400, "bad_request"),
        (json!({"name": "A", "colour": "red"}), 400, "bad_request"),
        (json!({"name": "  "}), 422, "invalid_name"),
        (json!({"name": "A", "team_size": 0}), 422, "invalid"),
        (json!({"name": "A", "team_size": 51}), 422, "invalid"),
        (json!({"name": "A", "preset": "rosy"}), 422, "invalid"),
        (
            json!({"name": "A", "scenario": "nope"}),
            422,
            "unknown_scenario",
        ),
        (
            json!({"name": "A", "research_free_text": true}),
            422,
            "invalid",
        ),
        (
            json!({"name": "A", "bots_for_gaps": "grumpy"}),
            400,
            "bad_request",
        ),
    ] {
        let (st, err) = http(addr, "POST", "/api/classes", Some(&body), None).await;
        assert_eq!(
            (st, err["code"].as_str()),
            (status, Some(code)),
            "{body}: {err}"
        );
    }
    let (id, code, teacher) = create_class(
        addr,
        json!({"name": "A", "team_size": 2, "bots_for_gaps": "hawk"}),
    )
    .await;
    for (body, status, err_code) in [
        (json!({"code": code}), 400, "bad_request"),
        (json!({"code": code, "name": ""}), 422, "invalid_name"),
        (
            json!({"code": "ZZZZZZ", "name": "Ada"}),
            404,
            "unknown_code",
        ),
        (
            json!({"code": code, "name": "Ada", "faction": "russia"}),
            400,
            "bad_request",
        ),
    ] {
        let (st, err) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
        assert_eq!(
            (st, err["code"].as_str()),
            (status, Some(err_code)),
            "{body}: {err}"
        );
    }
    // A class code is not a game's.
    let (st, err) = http(
        addr,
        "POST",
        "/api/join",
        Some(&json!({"code": code, "name": "Ada"})),
        None,
    )
    .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (404, Some("unknown_code")),
        "{err}"
    );
    let path = format!("/api/classes/{id}");
    let (_, lobby) = http(addr, "GET", &path, None, Some(&teacher)).await;
    assert_eq!(lobby["students"], json!([]), "nobody joined");
    assert_eq!(lobby["settings"]["bots_for_gaps"], "hawk");
    let ada = join_class(addr, &code, "Ada").await;
    let pin = format!(
        "/api/classes/{id}/students/{}",
        ada["student_id"].as_str().unwrap_or("")
    );
    for body in [json!({}), json!({"pin": {"table": 0}}), json!([])] {
        let (st, err) = http(addr, "PUT", &pin, Some(&body), Some(&teacher)).await;
        assert_eq!(
            (st, err["code"].as_str()),
            (400, Some("bad_request")),
            "{body}: {err}"
        );
    }
    let nobody = format!("/api/classes/{id}/students/00000000-0000-0000-0000-000000000000");
    let body = json!({"pin": {"table": 0, "faction": "russia"}});
    let (st, err) = http(addr, "PUT", &nobody, Some(&body), Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (404, Some("not_found")),
        "{err}"
    );
    let (_, lobby) = http(addr, "GET", &path, None, Some(&teacher)).await;
    assert_eq!(lobby["students"][0]["pinned"], Value::Null, "no pin stored");
    app.stop().await.cleanup().await;
}

/// Start creates the tables as planned: each student's own token opens their seat at their
/// table, bots play the gaps, the teacher is Control of every table with a token derived from
/// theirs; the class then refuses a second start, new students and pins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_class_seats_every_student_at_their_table() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (id, code, teacher) = create_class(
        addr,
        json!({"name": "Year 11 history", "bots_for_gaps": "dove",
               "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}}),
    )
    .await;
    let start = format!("/api/classes/{id}/start");
    let (st, err) = http(addr, "POST", &start, None, Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (422, Some("invalid")),
        "nobody yet: {err}"
    );
    let mut students = Vec::new();
    for name in ["Ada", "Boris", "Chen", "Dana", "Emil"] {
        students.push(join_class(addr, &code, name).await);
    }
    let (st, err) = http(
        addr,
        "POST",
        &start,
        None,
        Some(students[0]["student_token"].as_str().unwrap_or("")),
    )
    .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("teacher_only")),
        "{err}"
    );
    let (st, class) = http(addr, "POST", &start, None, Some(&teacher)).await;
    assert_eq!(st, 200, "{class}");
    assert!(class["started_at"].as_i64().is_some());
    let games = class["games"].as_array().expect("games").clone();
    assert_eq!(games.len(), 2);
    // Every student is where the plan put them, by their own token.
    for table in class["tables"].as_array().expect("tables") {
        let t = table["table"].as_u64().expect("table") as usize;
        let game_id = games[t]["game_id"].as_str().expect("game id");
        for (faction, team) in table["teams"].as_object().expect("teams") {
            for student_id in ids(team) {
                let s = students
                    .iter()
                    .find(|s| s["student_id"] == student_id.as_str())
                    .expect("a student of the class");
                let token = s["student_token"].as_str().expect("token");
                let (st, seat) = http(addr, "GET", "/api/seat", None, Some(token)).await;
                assert_eq!(st, 200, "{seat}");
                assert_eq!(seat["game_id"], game_id);
                assert_eq!(seat["you"]["seat"]["faction"], faction.as_str());
                assert_eq!(seat["you"]["name"], s["name"]);
                assert_eq!(seat["title"], format!("Year 11 history · table {}", t + 1));
            }
        }
    }
    // The second table's gap is a bot's; the teacher is Control there and can act.
    let control = games[1]["control_token"].as_str().expect("control token");
    let (st, summary) = http(
        addr,
        "GET",
        &format!("/api/games/{}", games[1]["game_id"].as_str().unwrap_or("")),
        None,
        Some(control),
    )
    .await;
    assert_eq!(st, 200, "{summary}");
    assert_eq!(summary["you"]["seat"]["role"], "control");
    assert_eq!(summary["view"]["bots"], json!({"csto": "dove"}));
    let mut teacher_at_1 = Client::connect(addr, "teacher", control).await;
    teacher_at_1.ok(chat(plenary(), "Welcome to table 2")).await;
    // A student plays from their class token.
    let ada = students[0]["student_token"].as_str().expect("token");
    let mut ada = Client::connect(addr, "ada", ada).await;
    ada.ok(chat(plenary(), "Ada here")).await;
    // Started: no second start, no pins (late students: their own test).
    let (st, err) = http(addr, "POST", &start, None, Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (409, Some("class_started")),
        "{err}"
    );
    let pin = format!(
        "/api/classes/{id}/students/{}",
        students[1]["student_id"].as_str().unwrap_or("")
    );
    let body = json!({"pin": {"table": 0, "faction": "csto"}});
    let (st, err) = http(addr, "PUT", &pin, Some(&body), Some(&teacher)).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (409, Some("class_started")),
        "{err}"
    );
    let (st, again) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        again["games"],
        json!(games),
        "the same tables, the same tokens"
    );
    assert_eq!(again["tables"], class["tables"], "seated as planned");
    // Control moves a student within a table: the class shows where the seat is now.
    let game_1 = games[1]["game_id"].as_str().unwrap_or("").to_owned();
    let (st, seats) = http(
        addr,
        "GET",
        &format!("/api/games/{game_1}/seats"),
        None,
        Some(control),
    )
    .await;
    assert_eq!(st, 200, "{seats}");
    let mover = seats
        .as_array()
        .expect("seats")
        .iter()
        .find(|s| s["seat"]["faction"] == "russia")
        .expect("a Russian seat at table 2")
        .clone();
    let (st, moved) = http(
        addr,
        "PUT",
        &format!(
            "/api/games/{game_1}/seats/{}",
            mover["seat_id"].as_str().unwrap_or("")
        ),
        Some(&json!({"observer": true})),
        Some(control),
    )
    .await;
    assert_eq!(st, 200, "{moved}");
    let (_, after) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(after["tables"][1]["teams"]["russia"], json!([]));
    assert_eq!(after["tables"][1]["gaps"], json!(["csto", "russia"]));
    assert_eq!(
        after["tables"][0], class["tables"][0],
        "the other table as it was"
    );
    app.stop().await.cleanup().await;
}

/// Start refuses a plan with a table nobody sits at (pins can leave one), and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_does_not_start_with_an_empty_table() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (id, code, teacher) = create_class(addr, json!({"name": "Pairs"})).await;
    let a = join_class(addr, &code, "Ada").await;
    let b = join_class(addr, &code, "Boris").await;
    for (s, faction) in [(&a, "russia"), (&b, "us_nato")] {
        let path = format!(
            "/api/classes/{id}/students/{}",
            s["student_id"].as_str().unwrap_or("")
        );
        let body = json!({"pin": {"table": 1, "faction": faction}});
        let (st, lobby) = http(addr, "PUT", &path, Some(&body), Some(&teacher)).await;
        assert_eq!(st, 200, "{lobby}");
    }
    let start = format!("/api/classes/{id}/start");
    let (st, err) = http(addr, "POST", &start, None, Some(&teacher)).await;
    assert_eq!((st, err["code"].as_str()), (422, Some("invalid")), "{err}");
    assert!(
        err["message"].as_str().unwrap_or("").contains("table 1"),
        "{err}"
    );
    let (_, lobby) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(lobby["started_at"], Value::Null);
    assert_eq!(lobby["games"], json!([]));
    app.stop().await.cleanup().await;
}

/// A class's joins count against the class, not the address (a school shares one): 300
/// students join from one address, past the per-address seat limit of 200; the roster then
/// holds what 100 tables of three seat, and the next join is refused, changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_of_300_joins_from_one_address_and_the_301st_is_refused() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (id, code, teacher) = create_class(addr, json!({"name": "Whole school"})).await;
    for k in 0..300 {
        join_class(addr, &code, &format!("Student {k}")).await;
    }
    let body = json!({"code": code, "name": "One too many"});
    let (st, err) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
    assert_eq!((st, err["code"].as_str()), (409, Some("limit")), "{err}");
    let (_, lobby) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(lobby["students"].as_array().map(Vec::len), Some(300));
    assert_eq!(lobby["tables"].as_array().map(Vec::len), Some(100));
    app.stop().await.cleanup().await;
}

/// Students who join after Start sit where there is room, taking a faction from a bot; with
/// every table full, a class that fills gaps with bots opens a new table (its console opens
/// with the teacher's token), and one that does not refuses with nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_students_take_a_bots_place_then_open_a_new_table() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (id, code, teacher) = create_class(
        addr,
        json!({"name": "Period 4", "bots_for_gaps": "dove",
               "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}}),
    )
    .await;
    for name in ["Ada", "Boris", "Chen", "Dana", "Emil"] {
        join_class(addr, &code, name).await;
    }
    let start = format!("/api/classes/{id}/start");
    let (st, class) = http(addr, "POST", &start, None, Some(&teacher)).await;
    assert_eq!(st, 200, "{class}");
    assert_eq!(class["tables"][1]["gaps"], json!(["csto"]));
    let table_2 = class["games"][1]["game_id"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let control_2 = class["games"][1]["control_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut console = Client::connect(addr, "teacher", &control_2).await;
    // Fay takes the CSTO's place at table 2 from its bot.
    let fay = join_class(addr, &code, "Fay").await;
    let fay_token = fay["student_token"].as_str().expect("token");
    let (st, seat) = http(addr, "GET", "/api/seat", None, Some(fay_token)).await;
    assert_eq!(st, 200, "{seat}");
    assert_eq!(seat["game_id"], table_2.as_str());
    assert_eq!(
        seat["you"]["seat"],
        json!({"role": "faction", "faction": "csto"})
    );
    console.ping().await;
    let handed = |c: &Client| {
        c.has_event(|e| {
            matches!(e, detente::engine::view::SeatEvent::BotSet { faction, temperament: None } if faction.as_str() == "csto")
        })
    };
    let started = std::time::Instant::now();
    while !handed(&console) {
        assert!(started.elapsed().as_secs() < 5, "the bot never handed over");
        console.ping().await;
    }
    let mut fay_client = Client::connect(addr, "fay", fay_token).await;
    fay_client.ok(chat(plenary(), "Fay for the CSTO")).await;
    // Every table full: Gus opens table 3, with bots at the other factions.
    let gus = join_class(addr, &code, "Gus").await;
    let gus_token = gus["student_token"].as_str().expect("token");
    let (st, seat) = http(addr, "GET", "/api/seat", None, Some(gus_token)).await;
    assert_eq!(st, 200, "{seat}");
    assert_eq!(seat["title"], "Period 4 · table 3");
    assert_eq!(
        seat["you"]["seat"],
        json!({"role": "faction", "faction": "russia"})
    );
    let (_, lobby) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(lobby["students"].as_array().map(Vec::len), Some(7));
    let games = lobby["games"].as_array().expect("games");
    assert_eq!(games.len(), 3);
    assert_eq!(lobby["tables"][2]["gaps"], json!(["csto", "us_nato"]));
    // The teacher's token opens the new table's console (its Control seat came with the read).
    let control_3 = games[2]["control_token"].as_str().expect("control token");
    let (st, summary) = http(
        addr,
        "GET",
        &format!("/api/games/{}", games[2]["game_id"].as_str().unwrap_or("")),
        None,
        Some(control_3),
    )
    .await;
    assert_eq!(st, 200, "{summary}");
    assert_eq!(summary["you"]["seat"]["role"], "control");
    assert_eq!(
        summary["view"]["bots"],
        json!({"csto": "dove", "us_nato": "dove"})
    );
    app.stop().await.cleanup().await;

    // Without bots for gaps, a full class refuses the late student and changes nothing.
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (id, code, teacher) = create_class(addr, json!({"name": "Full"})).await;
    for name in ["Ada", "Boris", "Chen"] {
        join_class(addr, &code, name).await;
    }
    let (st, _) = http(
        addr,
        "POST",
        &format!("/api/classes/{id}/start"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(st, 200);
    let body = json!({"code": code, "name": "Late"});
    let (st, err) = http(addr, "POST", "/api/classes/join", Some(&body), None).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (409, Some("game_full")),
        "{err}"
    );
    let (_, lobby) = http(
        addr,
        "GET",
        &format!("/api/classes/{id}"),
        None,
        Some(&teacher),
    )
    .await;
    assert_eq!(lobby["students"].as_array().map(Vec::len), Some(3));
    assert_eq!(lobby["games"].as_array().map(Vec::len), Some(1));
    app.stop().await.cleanup().await;
}
