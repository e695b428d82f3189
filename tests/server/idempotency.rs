//! Idempotency: a command retried with its id has one effect and gets the same answer.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::protocol::ServerFrame;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_command_has_one_effect() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    let once = chat(plenary(), "said once");
    let first = ru.send_command("same-id", &once).await;
    let ServerFrame::Ack { seq, .. } = first else {
        panic!("{first:?}")
    };
    assert_eq!(ru.send_command("same-id", &once).await, first, "same ack");
    // From a new connection of the same seat too.
    ru.reconnect(true).await;
    assert_eq!(ru.send_command("same-id", &once).await, first, "same ack");
    // Same id, other command: refused.
    match ru
        .send_command("same-id", &chat(plenary(), "something else"))
        .await
    {
        ServerFrame::Error {
            code, retryable, ..
        } => {
            assert_eq!(code, "duplicate_id");
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    // Ids belong to a seat: another seat may use the same one.
    match us.send_command("same-id", &once).await {
        ServerFrame::Ack { seq: s, .. } => assert_eq!(s, seq + 1),
        other => panic!("{other:?}"),
    }
    // A refusal is remembered as well.
    let early = order("mirv_new_icbms", 1);
    let refusal = ru.send_command("too-early", &early).await;
    assert!(matches!(&refusal, ServerFrame::Error { code, .. } if code == "wrong_phase"));
    assert_eq!(ru.send_command("too-early", &early).await, refusal);

    let (now, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(now, seq + 1, "exactly two effects: Russia's and US/NATO's");
    let said = view
        .messages
        .iter()
        .filter(|m| m.text == "said once")
        .count();
    assert_eq!(said, 2, "one message from each seat");
    control.wait_seq(now).await;
    control.ping().await;
    let posted = control
        .events()
        .filter(|(_, e)| matches!(e, SeatEvent::ChatPosted { .. }))
        .count();
    assert_eq!(posted, 2, "no second chat event");

    for mut c in [ru, us, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}
