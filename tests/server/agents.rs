//! Outside agents over the real server: Control hands a faction to an agent and gets its seat
//! token; the agent plays through it like a person; its messages to other factions wait for
//! Control's approval, seen by Control and the agent only; revoking the seat makes the token
//! worthless and gives the faction back to people.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use futures_util::SinkExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn agents_of(addr: std::net::SocketAddr, game: &str, token: &str) -> Vec<String> {
    let (_, view) = summary(addr, game, token).await;
    view.agents.keys().map(|f| f.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_seats_an_agent_approves_its_messages_and_revokes_its_token() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"bots": {"csto": "dove"}})).await;
    let ben_token = join(addr, &g.code, "Ben", "us_nato").await;
    let path = format!("/api/games/{}/agents", g.id);
    let post = |body: Value, token: String| {
        let path = path.clone();
        async move { http(addr, "POST", &path, Some(&body), Some(&token)).await }
    };

    // Refusals, each with its code, and nothing changes.
    let ctl = || g.control_token.clone();
    let cases = [
        (
            json!({"faction": "russia", "name": "N"}),
            ben_token.clone(),
            403,
            "control_only",
        ),
        (
            json!({"faction": "russia", "name": "N", "x": 1}),
            ctl(),
            400,
            "bad_request",
        ),
        (
            json!({"faction": "atlantis", "name": "N"}),
            ctl(),
            422,
            "unknown_faction",
        ),
        (
            json!({"faction": "russia", "name": " "}),
            ctl(),
            422,
            "invalid_name",
        ),
        (
            json!({"faction": "csto", "name": "N"}),
            ctl(),
            409,
            "bot_seat",
        ),
        (
            json!({"faction": "us_nato", "name": "N"}),
            ctl(),
            409,
            "agent_seat",
        ),
    ];
    for (body, token, status, code) in cases {
        let (s, answer) = post(body.clone(), token).await;
        assert_eq!(
            (s, answer["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    assert!(agents_of(addr, &g.id, &ben_token).await.is_empty());

    // Russia goes to an agent whose messages Control approves; the token is shown once.
    let body = json!({"faction": "russia", "name": "Negotiator v2", "approve_chat": true});
    let (s, seat) = post(body.clone(), ctl()).await;
    assert_eq!(s, 201, "{seat}");
    let token = seat["token"].as_str().expect("token").to_owned();
    let (s, again) = post(body, ctl()).await;
    assert_eq!((s, again["code"].as_str()), (409, Some("agent_seat")));
    assert_eq!(agents_of(addr, &g.id, &ben_token).await, ["russia"]);
    // People cannot join the agent's faction.
    let anna = json!({"code": g.code, "name": "Anna", "faction": "russia"});
    let (s, refused) = http(addr, "POST", "/api/join", Some(&anna), None).await;
    assert_eq!((s, refused["code"].as_str()), (409, Some("agent_seat")));

    // The agent plays through its token like a person: its seat is Russia.
    let mut agent = Client::connect(addr, "agent", &token).await;
    assert_eq!(agent.seat, faction("russia"));
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ben = Client::connect(addr, "ben", &ben_token).await;

    // A message to the plenary waits: Control and the agent hear of it, Ben does not.
    let approved = marker("approved");
    let seq = agent.ok(chat(plenary(), &approved)).await;
    control.wait_seq(seq).await;
    let held = control
        .events()
        .find_map(|(_, e)| match e {
            SeatEvent::ChatHeld { held } if held.text == approved => Some(held.clone()),
            _ => None,
        })
        .expect("Control got the held message");
    assert!(
        held.member.is_some(),
        "Control's form names the agent's seat"
    );
    // Its team channel needs no approval.
    agent.ok(chat(team("russia"), "note to self")).await;
    barrier(&mut control, &mut [&mut ben, &mut agent]).await;
    assert!(agent.has_event(|e| matches!(e, SeatEvent::ChatHeld { held } if held.member.is_none())));
    assert!(!ben.has_event(|e| matches!(e, SeatEvent::ChatHeld { .. })));

    // Only Control decides. Approved, the message reaches Ben, posted by Russia.
    let approve = json!({"type": "approve_message", "faction": "russia", "held": held.id});
    assert_eq!(agent.refused(approve.clone()).await, "control_only");
    let seq = control.ok(approve.clone()).await;
    ben.wait_seq(seq).await;
    assert!(
        ben.has_event(|e| matches!(e, SeatEvent::ChatPosted { message }
        if message.text == approved && message.from == faction("russia")))
    );
    assert_eq!(control.refused(approve).await, "invalid");

    // Refused, a message never leaves: the agent learns why, Ben learns nothing.
    let rejected = marker("rejected");
    agent
        .ok(chat(bilateral("russia", "us_nato"), &rejected))
        .await;
    let reject = json!({"type": "reject_message", "faction": "russia", "held": held.id + 1, "reason": "off topic"});
    let seq = control.ok(reject).await;
    agent.wait_seq(seq).await;
    assert!(agent.has_event(
        |e| matches!(e, SeatEvent::HeldMessageDecided { decision, .. }
        if !decision.approved && decision.reason == "off topic")
    ));
    barrier(&mut control, &mut [&mut ben, &mut agent]).await;
    let secrets = Secrets::from_control(&control, vec![team_only(&rejected, "russia")]);
    secrets.check("ben", &ben.seat, &ben.frames, false);
    secrets.check("agent", &agent.seat, &agent.frames, true);
    let (_, view) = summary(addr, &g.id, &ben_token).await;
    assert!(view.held.is_empty());
    secrets.check_view("ben's view", &ben.seat, &view);
    let (_, view) = summary(addr, &g.id, &token).await;
    assert_eq!(view.held.len(), 2);
    // Only the HTTP endpoints hand a faction to an agent (they make and revoke its seat).
    let set = json!({"type": "set_agent", "faction": "csto", "agent": {"name": "x"}});
    assert_eq!(control.refused(set).await, "invalid");
    // A message still waiting when the agent goes is refused for it.
    let waiting = marker("waiting");
    let seq = agent.ok(chat(plenary(), &waiting)).await;
    control.wait_seq(seq).await;

    // Revoking: only Control; the agent's connection closes, its token opens nothing, and
    // people may play Russia again.
    let revoke = format!("/api/games/{}/agents/russia", g.id);
    let (s, _) = http(addr, "DELETE", &revoke, None, Some(&ben_token)).await;
    assert_eq!(s, 403);
    let (s, done) = http(addr, "DELETE", &revoke, None, Some(&g.control_token)).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["seats"], json!([seat["seat_id"]]));
    let (_, view) = summary(addr, &g.id, &g.control_token).await;
    let left = view.held.iter().find(|h| h.text == waiting).expect("held");
    let decision = left.decision.as_ref().expect("decided at the revocation");
    assert!(!decision.approved && decision.reason.contains("no longer plays"));
    let (_, code) = read_until_close(agent.ws(), Duration::from_secs(5)).await;
    assert_eq!(code, Some(4000));
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text(
        json!({"type": "hello", "token": token}).to_string(),
    ))
    .await
    .expect("send");
    let (frames, code) = read_until_close(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(code, Some(1008), "{frames:?}");
    assert_eq!(frames[0]["code"], "bad_token");
    let (s, _) = http(addr, "GET", "/api/seat", None, Some(&token)).await;
    assert_eq!(s, 401);
    let (s, joined) = http(addr, "POST", "/api/join", Some(&anna), None).await;
    assert_eq!(s, 201, "{joined}");
    assert!(agents_of(addr, &g.id, &ben_token).await.is_empty());
    // Control's seat list no longer has the agent; revoking again changes nothing.
    let (_, seats) = http(
        addr,
        "GET",
        &format!("/api/games/{}/seats", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert!(!seats.to_string().contains("Negotiator v2"), "{seats}");
    let (s, done) = http(addr, "DELETE", &revoke, None, Some(&g.control_token)).await;
    assert_eq!((s, done["seats"].clone()), (200, json!([])));
    // People's seats are never an agent's: Anna's faction cannot be handed over, nor her seat
    // revoked.
    let anna_token = joined["seat_token"].as_str().unwrap().to_owned();
    let (s, refused) = post(json!({"faction": "russia", "name": "N"}), ctl()).await;
    assert_eq!(
        (s, refused["code"].as_str()),
        (409, Some("agent_seat")),
        "{refused}"
    );
    let (s, _) = http(addr, "GET", "/api/seat", None, Some(&anna_token)).await;
    assert_eq!(s, 200);

    // After the end, a replay read by another faction, whichever picture it asks for, never
    // holds Russia's held messages, nor seat ids.
    control.ok(json!({"type": "end_game"})).await;
    for as_seat in ["control", "russia", "public"] {
        let path = format!("/api/games/{}/replay?as={as_seat}", g.id);
        let (s, frame) = http(addr, "GET", &path, None, Some(&ben_token)).await;
        assert_eq!(s, 200, "{frame}");
        let text = frame.to_string();
        for secret in [&rejected, &waiting] {
            assert!(
                !text.contains(secret.as_str()),
                "replay as {as_seat} holds {secret}"
            );
        }
        assert_eq!(frame["view"]["held"], json!([]), "as {as_seat}");
        assert!(
            !text.contains("\"member\""),
            "replay as {as_seat} names seats"
        );
    }
    // Russia's own replay (Anna's seat, Russia now) still lists them.
    let path = format!("/api/games/{}/replay?as=control", g.id);
    let (_, frame) = http(addr, "GET", &path, None, Some(&anna_token)).await;
    assert_eq!(frame["view"]["held"].as_array().map(Vec::len), Some(3));
}
