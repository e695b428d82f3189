//! Reconnect mid-round: exactly the missed events, nothing doubled.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::protocol::ServerFrame;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_mid_round_resumes_exactly() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru1_token = join(addr, &g.code, "Ivan", "russia").await;
    let ru2_token = join(addr, &g.code, "Olga", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let cs_token = join(addr, &g.code, "Aigerim", "csto").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru1 = Client::connect(addr, "russia-1", &ru1_token).await;
    let mut ru2 = Client::connect(addr, "russia-2", &ru2_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;
    let mut cs = Client::connect(addr, "csto", &cs_token).await;

    ru2.ok(chat(team("russia"), "before the break")).await;
    control.ok(advance()).await;
    barrier(&mut control, &mut [&mut ru1, &mut ru2, &mut us, &mut cs]).await;
    let left_at = ru2.seen;
    ru2.disconnect().await;

    // The game goes on without russia-2: events it may see and events it may not.
    let m_hidden = marker("bilateral-us-csto");
    ru1.ok(chat(team("russia"), "while you were out")).await;
    us.ok(chat(bilateral("us_nato", "csto"), &m_hidden)).await;
    let seq = ru1
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            false,
        ))
        .await;
    ru1.wait_seq(seq).await;
    let p = proposal_at(&ru1, seq);
    us.ok(json!({"type": "accept", "proposal": p})).await;
    cs.ok(propose(
        "Hidden from Russia",
        &["us_nato", "csto"],
        json!([{"kind": "afghanistan_cooperation", "by": "csto"}]),
        false,
    ))
    .await;
    ru1.ok(ready()).await;
    us.ok(ready()).await;
    cs.ok(ready()).await; // → orders
    ru1.ok(order("mirv_new_icbms", 1)).await;
    us.ok(order("aegis_ship_med", 1)).await;
    let last = barrier(&mut control, &mut [&mut ru1, &mut us, &mut cs]).await;

    // Resume: a welcome without view, then exactly the events russia-1 got meanwhile.
    let before = ru2.frames.len();
    match ru2.reconnect(true).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert_eq!(seq, last, "the welcome names the current sequence");
            assert!(view.is_none(), "a resume replays events, not a snapshot");
        }
        other => panic!("{other:?}"),
    }
    ru2.wait_seq(last).await;
    let missed: Vec<(i64, &SeatEvent)> = ru1.events().filter(|(s, _)| *s > left_at).collect();
    let replayed: Vec<(i64, &SeatEvent)> = ru2.frames[before..]
        .iter()
        .filter_map(|(_, f)| match f {
            ServerFrame::Event { seq, event } => Some((*seq, event)),
            _ => None,
        })
        .collect();
    assert!(!missed.is_empty());
    assert_eq!(
        replayed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        missed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        "nothing missing, nothing doubled"
    );
    assert_eq!(replayed, missed, "the same events as a connected teammate");
    assert!(
        replayed
            .iter()
            .any(|(_, e)| matches!(e, SeatEvent::OrderSubmitted { .. })),
        "own faction's orders are replayed"
    );

    // Live again: the next event reaches both once, with the same sequence.
    let back = control.ok(chat(plenary(), "welcome back")).await;
    ru1.wait_seq(back).await;
    ru2.wait_seq(back).await;
    assert_eq!(ru1.seen, ru2.seen);
    ru2.ping().await;
    let count = |c: &Client| {
        c.events()
            .filter(|(_, e)| matches!(e, SeatEvent::ChatPosted { message } if message.text == "welcome back"))
            .count()
    };
    assert_eq!((count(&ru1), count(&ru2)), (1, 1));

    // Resuming with nothing missed: a welcome without view and no events.
    let before = ru2.frames.len();
    ru2.reconnect(true).await;
    ru2.ping().await;
    assert!(
        ru2.frames[before..]
            .iter()
            .all(|(_, f)| !matches!(f, ServerFrame::Event { .. })),
        "nothing to replay"
    );
    // A last_seq from the future (or garbage) gets a full snapshot.
    ru2.disconnect().await;
    ru2.seen = 1_000_000;
    match ru2.reconnect(true).await {
        ServerFrame::Welcome { view, seq, .. } => {
            assert!(view.is_some(), "a fresh snapshot");
            assert_eq!(seq, back);
        }
        other => panic!("{other:?}"),
    }

    // Nothing of US/NATO's or the CSTO's secrets reached russia-2, replay included.
    let secrets = Secrets::from_control(
        &control,
        vec![
            (m_hidden, vec![faction("us_nato"), faction("csto")]),
            (
                "Hidden from Russia".into(),
                vec![faction("us_nato"), faction("csto")],
            ),
            ("aegis_ship_med".into(), vec![faction("us_nato")]),
        ],
    );
    secrets.check(&ru2.label, &ru2.seat, &ru2.frames, false);
    secrets.check(&ru1.label, &ru1.seat, &ru1.frames, false);

    for mut c in [ru1, ru2, us, cs, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}
