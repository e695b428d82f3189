//! Moderation over the real server: Control hides a message and mutes a person; the seats
//! named come from the server's own seating, and the hidden text stays with Control on every
//! path (live, welcome, REST view, earlier pages, after the end).

use crate::harness::*;
use detente::engine::view::SeatEvent;
use serde_json::{json, Value};

/// Anna's seat id, from Control's list of seats.
async fn seat_id(addr: std::net::SocketAddr, g: &GameInfo, name: &str) -> String {
    let (status, seats) = http(
        addr,
        "GET",
        &format!("/api/games/{}/seats", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(status, 200, "{seats}");
    seats
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["seat_id"].as_str())
        .unwrap_or_else(|| panic!("{name} in {seats}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_hides_a_message_and_mutes_a_person_and_both_hold_on_every_path() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"bots": {"csto": "dove"}})).await;
    let anna_token = join(addr, &g.code, "Anna", "russia").await;
    let boris_token = join(addr, &g.code, "Boris", "russia").await;
    let ben_token = join(addr, &g.code, "Ben", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut anna = Client::connect(addr, "anna", &anna_token).await;
    let mut boris = Client::connect(addr, "boris", &boris_token).await;
    let mut ben = Client::connect(addr, "ben", &ben_token).await;

    let rude = marker("rude");
    anna.ok(chat(plenary(), "Good morning")).await;
    let seq = anna.ok(chat(plenary(), &rude)).await;
    control.wait_seq(seq).await;
    // Control's form names the poster's seat; Ben's does not.
    let anna_seat = seat_id(addr, &g, "Anna").await;
    let posted = control
        .events()
        .find_map(|(_, e)| match e {
            SeatEvent::ChatPosted { message } if message.text == rude => Some(message.clone()),
            _ => None,
        })
        .expect("Control got the message");
    assert_eq!(
        posted.member.map(|m| m.to_string()),
        Some(anna_seat.clone())
    );
    ben.wait_seq(seq).await;
    assert!(ben
        .events()
        .all(|(_, e)| !matches!(e, SeatEvent::ChatPosted { message } if message.member.is_some())));

    // Only Control hides; an unknown id is refused; then it is hidden, live, for everyone else.
    let hide = json!({"type": "hide_message", "channel": plenary(), "message": posted.id, "reason": "insult"});
    assert_eq!(ben.refused(hide.clone()).await, "control_only");
    let wrong = json!({"type": "hide_message", "channel": plenary(), "message": 99});
    assert_eq!(control.refused(wrong).await, "unknown");
    let seq = control.ok(hide).await;
    ben.wait_seq(seq).await;
    assert!(ben.has_event(|e| matches!(e, SeatEvent::MessageHidden { message, reason, .. } if *message == posted.id && reason == "insult")));

    // A fresh welcome, the REST view and the page of earlier messages: no text for Ben.
    let (_, view) = summary(addr, &g.id, &ben_token).await;
    let m = view.messages.iter().find(|m| m.id == posted.id).unwrap();
    assert!(m.hidden && m.text.is_empty());
    let mut ben2 = Client::connect(addr, "ben2", &ben_token).await;
    let welcome = ben2.hello(None).await;
    let text = serde_json::to_string(&welcome).unwrap();
    assert!(!text.contains(&rude), "welcome carries the hidden text");
    let (status, page) = http(
        addr,
        "GET",
        &format!("/api/games/{}/messages?channel=plenary", g.id),
        None,
        Some(&ben_token),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!page.to_string().contains(&rude), "{page}");
    let (_, control_view) = summary(addr, &g.id, &g.control_token).await;
    assert!(control_view
        .messages
        .iter()
        .any(|m| m.text == rude && m.hidden));

    // Muting: an unknown seat, a mute of 0 minutes, then Anna for 10 minutes.
    let nobody = json!({"type": "mute_member", "member": uuid::Uuid::new_v4(), "minutes": 10});
    assert_eq!(control.refused(nobody).await, "unknown");
    let zero = json!({"type": "mute_member", "member": anna_seat, "minutes": 0});
    assert_eq!(control.refused(zero).await, "limit");
    let mute = json!({"type": "mute_member", "member": anna_seat, "minutes": 10, "reason": "spam"});
    let seq = control.ok(mute).await;
    anna.wait_seq(seq).await;
    assert!(anna.has_event(|e| matches!(e, SeatEvent::MemberMuted { name, .. } if name == "Anna")));
    assert_eq!(anna.refused(chat(plenary(), "let me speak")).await, "muted");
    assert_eq!(anna.refused(chat(team("russia"), "psst")).await, "muted");
    boris.ok(chat(plenary(), "Boris speaks for Russia")).await;
    // Ben is not told who was muted in Russia's team.
    let seq = ben.ok(chat(plenary(), "noted")).await;
    ben.wait_seq(seq).await;
    assert!(!ben.has_event(|e| matches!(e, SeatEvent::MemberMuted { .. })));
    let (_, ben_view) = summary(addr, &g.id, &ben_token).await;
    assert_eq!(ben_view.moderation.len(), 1, "Ben reads the hiding only");

    // Lifted early; Anna speaks again; a second unmute is refused.
    let unmute = json!({"type": "unmute_member", "member": anna_seat});
    control.ok(unmute.clone()).await;
    anna.ok(chat(plenary(), "Thank you")).await;
    assert_eq!(control.refused(unmute).await, "invalid");

    // After the end: a message can still be hidden; every record is listed, others unnamed.
    control.ok(json!({"type": "end_game"})).await;
    control
        .ok(json!({"type": "hide_message", "channel": plenary(), "message": 1}))
        .await;
    let (_, after) = summary(addr, &g.id, &ben_token).await;
    let kinds: Vec<Value> = after
        .moderation
        .iter()
        .map(|m| serde_json::to_value(m.kind).unwrap())
        .collect();
    assert_eq!(kinds, ["hide_message", "mute", "unmute", "hide_message"]);
    assert!(after.moderation.iter().all(|m| m.name.is_none()));
    assert!(!serde_json::to_string(&after).unwrap().contains(&rude));
    assert!(after.messages.iter().filter(|m| m.hidden).count() == 2);
    // Ben replays the game as Control, at its last step and at its end, before the first
    // message was hidden: the hidden texts, the seats' ids and the muted person's name stay out.
    let (_, last) = http(
        addr,
        "GET",
        &format!("/api/games/{}/replay?as=control", g.id),
        None,
        Some(&ben_token),
    )
    .await;
    let end = last["steps"]
        .as_array()
        .and_then(|s| s.last())
        .expect("a step")["seq"]
        .as_i64();
    let (_, early) = http(
        addr,
        "GET",
        &format!(
            "/api/games/{}/replay?as=control&at={}",
            g.id,
            end.expect("seq")
        ),
        None,
        Some(&ben_token),
    )
    .await;
    let first = &early["view"]["messages"][0];
    assert_eq!(
        (first["id"].as_i64(), first["text"].as_str()),
        (Some(1), Some("")),
        "{first}"
    );
    for frame in [&last, &early] {
        let text = frame.to_string();
        assert!(!text.contains(&rude), "a replay holds the hidden text");
        assert!(!text.contains(&anna_seat), "a replay holds Anna's seat id");
        let records = frame["view"]["moderation"].as_array().expect("records");
        assert!(
            records.iter().all(|m| m.get("name").is_none()),
            "a replay names the muted person: {records:?}"
        );
    }
}
