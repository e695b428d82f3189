//! Bot seats play server-side.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::engine::{Channel, Seat};
use serde_json::json;

fn is_ready(e: &SeatEvent, faction: &str) -> bool {
    matches!(e, SeatEvent::FactionReady { faction: f } if f.as_str() == faction)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_play_their_seats_server_side() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"bots": {"us_nato": "pragmatist", "csto": "dove"}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let bots = ["csto", "us_nato"];
    let view = welcome_view(&ru.frames[0].1);
    assert_eq!(
        view.bots.keys().map(|f| f.as_str()).collect::<Vec<_>>(),
        bots
    );
    // In the briefing the bots have nothing to do but declare themselves ready.
    assert_eq!(
        view.ready.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        bots,
        "the bots are ready"
    );

    // Control opens the negotiation. Each bot makes the human player a proposal, says why in
    // their bilateral channel, then declares itself ready.
    let negotiation = control.ok(advance()).await;
    for bot in bots {
        wait_event(&mut control, negotiation, "a bot ready", |e| {
            is_ready(e, bot)
        })
        .await;
        wait_event(&mut ru, negotiation, "a bot's proposal to Russia", |e| {
            matches!(e, SeatEvent::ProposalMade { proposal }
                if proposal.proposer.as_str() == bot
                    && proposal.terms.parties.iter().any(|p| p.as_str() == "russia"))
        })
        .await;
        wait_event(&mut ru, negotiation, "a bot's word to Russia", |e| {
            matches!(e, SeatEvent::ChatPosted { message }
                if message.from == Seat::Faction(bot.into())
                    && matches!(&message.channel, Channel::Bilateral { factions }
                        if factions.iter().any(|f| f.as_str() == "russia"))
                    && message.author.ends_with("(bot)"))
        })
        .await;
    }

    // Russia proposes to each bot; each answers by itself (accepting, rejecting or countering)
    // with a line giving its reason.
    for (bot, clause) in [
        (
            "us_nato",
            json!({"kind": "political_guarantee", "by": "us_nato"}),
        ),
        (
            "csto",
            json!({"kind": "no_systems_belarus", "by": "csto", "action": "host_russian_systems_belarus"}),
        ),
    ] {
        let seq = ru
            .ok(propose(
                &format!("Offer to {bot}"),
                &["russia", bot],
                json!([clause]),
                false,
            ))
            .await;
        ru.wait_seq(seq).await;
        let p = proposal_at(&ru, seq);
        let answer = wait_event(&mut ru, seq, "the bot's answer", |e| match e {
            SeatEvent::ProposalAccepted { proposal, by }
            | SeatEvent::ProposalRejected { proposal, by, .. }
            | SeatEvent::ProposalCountered { proposal, by, .. } => {
                *proposal == p && by.as_str() == bot
            }
            _ => false,
        })
        .await;
        wait_event(&mut ru, answer, "the bot's reason", |e| {
            matches!(e, SeatEvent::ChatPosted { message }
                if message.from == Seat::Faction(bot.into()) && !message.text.is_empty())
        })
        .await;
    }

    // Control opens the orders phase: the bots give their orders and declare themselves ready.
    let orders = control.ok(advance()).await;
    for bot in bots {
        wait_event(&mut control, orders, "a bot ready", |e| is_ready(e, bot)).await;
    }
    let bot_orders: Vec<String> = control
        .events()
        .filter(|(s, _)| *s > orders)
        .filter_map(|(_, e)| match e {
            SeatEvent::OrderSubmitted { faction, order } => {
                Some(format!("{faction}: {}", order.action.as_str()))
            }
            _ => None,
        })
        .collect();
    assert!(
        bots.iter()
            .all(|b| bot_orders.iter().any(|o| o.starts_with(&format!("{b}: ")))),
        "each bot gave orders: {bot_orders:?}"
    );
    let adjudicated = |c: &Client| c.has_event(|e| matches!(e, SeatEvent::Adjudicated { .. }));
    assert!(!adjudicated(&control), "not before Russia is ready");

    // The human gives an order and is ready: every faction is ready, so the round is judged.
    ru.ok(order("mirv_new_icbms", 1)).await;
    let done = ru.ok(ready()).await;
    ru.wait_seq(done).await;
    control.wait_seq(done).await;
    let (at, report) = control
        .events()
        .find_map(|(s, e)| match e {
            SeatEvent::Adjudicated { report, .. } => Some((s, report.clone())),
            _ => None,
        })
        .expect("adjudicated");
    assert!(at <= done, "adjudicated by Russia's ready");
    assert_eq!(report.factions.len(), 3, "Control's report covers the bots");
    assert!(adjudicated(&ru));
    // Review → the next round: the bots are ready again by themselves.
    let next = control.ok(advance()).await;
    for bot in bots {
        wait_event(&mut ru, next, "a bot ready", |e| is_ready(e, bot)).await;
    }

    // Russia saw nothing of the bots' secrets (their draft orders, their purses).
    control.wait_seq(ru.seen).await;
    control.ping().await;
    let secrets = Secrets::from_control(&control, Vec::new());
    secrets.check(&ru.label, &ru.seat, &ru.frames, false);

    for mut c in [ru, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}
