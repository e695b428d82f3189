//! SIGKILL the real binary mid-game: nothing acknowledged is lost.

use crate::harness::*;
use detente::engine::Phase;
use detente::protocol::ServerFrame;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_game_loses_nothing_acknowledged() {
    let db = Db::sqlite();
    let Db::Sqlite { dir } = &db else {
        unreachable!()
    };
    let log = dir.join("server.log");
    let mut server = start_binary(&db, &log).await;
    let addr = server.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    let mut acked = Vec::new();
    for i in 0..5 {
        let text = format!("acknowledged {i}");
        let cmd = chat(plenary(), &text);
        let id = format!("ru-chat-{i}");
        let ack = ru.send_command(&id, &cmd).await;
        assert!(matches!(ack, ServerFrame::Ack { .. }), "{ack:?}");
        acked.push((id, cmd, ack, text));
    }
    us.ok(chat(
        bilateral("russia", "us_nato"),
        "bilateral, acknowledged",
    ))
    .await;
    control.ok(advance()).await;
    let last = ru
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true,
        ))
        .await;
    // One more command in flight when the server dies: acknowledged or not, a retry must
    // leave exactly one message.
    let in_flight = chat(plenary(), "in flight");
    us.send_text(
        &json!({"type": "command", "id": "us-in-flight", "command": in_flight}).to_string(),
    )
    .await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    drop(server);
    for c in [&mut ru, &mut us, &mut control] {
        c.ws = None;
    }

    let server = start_binary(&db, &log).await;
    let addr = server.addr;
    for c in [&mut ru, &mut us, &mut control] {
        c.addr = addr;
    }
    let view = match control.hello(None).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert!(seq >= last, "acknowledged events kept: {seq} < {last}");
            view.expect("view")
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(view.phase, Phase::Negotiation);
    for (_, _, _, text) in &acked {
        assert_eq!(
            view.messages.iter().filter(|m| &m.text == text).count(),
            1,
            "{text}"
        );
    }
    assert!(view
        .messages
        .iter()
        .any(|m| m.text == "bilateral, acknowledged"));
    assert_eq!(view.proposals.len(), 1, "the acknowledged proposal");

    // Retries: the same acks; the in-flight command has exactly one effect.
    ru.hello(None).await;
    us.hello(None).await;
    for (id, cmd, ack, _) in &acked {
        assert_eq!(&ru.send_command(id, cmd).await, ack, "{id}");
    }
    let in_flight_ack = match us.send_command("us-in-flight", &in_flight).await {
        ServerFrame::Ack { seq, .. } => seq,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        us.send_command("us-in-flight", &in_flight).await,
        ServerFrame::Ack {
            id: "us-in-flight".into(),
            seq: in_flight_ack
        }
    );
    // The game goes on.
    let p = view.proposals[0].id;
    let signed = us.ok(json!({"type": "accept", "proposal": p})).await;
    let (seq, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, signed);
    assert_eq!(
        view.messages
            .iter()
            .filter(|m| m.text == "in flight")
            .count(),
        1,
        "exactly one effect"
    );
    assert_eq!(view.agreements.len(), 1);
    for (_, _, _, text) in &acked {
        assert_eq!(view.messages.iter().filter(|m| &m.text == text).count(), 1);
    }

    for mut c in [ru, us, control] {
        c.disconnect().await;
    }
    drop(server);
    db.cleanup().await;
}
