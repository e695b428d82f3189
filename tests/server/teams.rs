//! Teams: who in a team is connected and captain, and when a team's Ready counts.

use crate::harness::*;
use detente::engine::{FactionId, Phase};
use detente::protocol::ServerFrame;
use serde_json::json;
use std::time::{Duration, Instant};

/// The last `team` frame a client received: (name, connected, captain) per member.
fn last_team(c: &Client) -> Vec<(String, bool, bool)> {
    c.frames
        .iter()
        .rev()
        .find_map(|(_, f)| match f {
            ServerFrame::Team { members, .. } => Some(
                members
                    .iter()
                    .map(|m| (m.name.clone(), m.connected, m.captain))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

/// Waits until `c`'s last team frame is `want`.
async fn wait_team(c: &mut Client, want: &[(&str, bool, bool)]) {
    let want: Vec<(String, bool, bool)> = want
        .iter()
        .map(|(n, a, b)| ((*n).to_owned(), *a, *b))
        .collect();
    let started = Instant::now();
    while last_team(c) != want {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}: team {:?}, want {want:?}",
            c.label,
            last_team(c)
        );
        c.ping().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teams_ready_waits_for_every_connected_member() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    // Bots play the others: they are ready at once, so only Russia's team holds the phase.
    let g = create_game(
        addr,
        json!({"bots": {"us_nato": "dove", "csto": "dove"}, "start": "lobby"}),
    )
    .await;
    let anna_token = join(addr, &g.code, "Anna", "russia").await;
    let boris_token = join(addr, &g.code, "Boris", "russia").await;
    let mut anna = Client::connect(addr, "anna", &anna_token).await;
    let mut boris = Client::connect(addr, "boris", &boris_token).await;
    // Who is in the team, connected, and captain (seated first).
    wait_team(&mut anna, &[("Anna", true, true), ("Boris", true, false)]).await;
    wait_team(&mut boris, &[("Anna", true, true), ("Boris", true, false)]).await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    control.ok(json!({"type": "start"})).await;

    // Anna's Ready is hers: the phase waits for Boris.
    anna.ok(ready()).await;
    let (_, view) = summary(addr, &g.id, &boris_token).await;
    assert_eq!(view.phase, Phase::Briefing, "Boris has not said Ready");
    let marks: Vec<_> = view.members_ready[&FactionId::from("russia")]
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(marks, ["Anna"]);
    // Other factions do not see who in Russia's team is ready.
    let (_, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(view.members_ready.len(), 1, "Control sees it");
    // Withdrawn and given again.
    anna.ok(json!({"type": "withdraw_ready"})).await;
    let (_, view) = summary(addr, &g.id, &anna_token).await;
    assert!(view
        .members_ready
        .get(&FactionId::from("russia"))
        .is_none_or(|m| m.is_empty()));
    anna.ok(ready()).await;
    boris.ok(ready()).await;
    wait_phase(addr, &g.id, &anna_token, Phase::Negotiation).await;

    // Boris leaves with Anna ready: the team no longer waits for him.
    anna.ok(ready()).await;
    let (_, view) = summary(addr, &g.id, &anna_token).await;
    assert_eq!(view.phase, Phase::Negotiation);
    boris.disconnect().await;
    wait_phase(addr, &g.id, &anna_token, Phase::Orders).await;
    wait_team(&mut anna, &[("Anna", true, true), ("Boris", false, false)]).await;
    // Alone now, Anna's Ready is the team's.
    anna.ok(ready()).await;
    wait_phase(addr, &g.id, &anna_token, Phase::Review).await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_captain_the_captains_ready_decides() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"bots": {"us_nato": "dove", "csto": "dove"}, "team_ready": "captain", "start": "now"}),
    )
    .await;
    let anna_token = join(addr, &g.code, "Anna", "russia").await;
    let boris_token = join(addr, &g.code, "Boris", "russia").await;
    let mut anna = Client::connect(addr, "anna", &anna_token).await;
    let mut boris = Client::connect(addr, "boris", &boris_token).await;
    wait_team(&mut boris, &[("Anna", true, true), ("Boris", true, false)]).await;
    boris.ok(ready()).await;
    let (_, view) = summary(addr, &g.id, &anna_token).await;
    assert_eq!(view.phase, Phase::Briefing, "Boris is not the captain");
    anna.ok(ready()).await;
    wait_phase(addr, &g.id, &anna_token, Phase::Negotiation).await;
    // The captain leaves: Boris, ready, is captain now, and his Ready decides.
    boris.ok(ready()).await;
    anna.disconnect().await;
    wait_phase(addr, &g.id, &boris_token, Phase::Orders).await;
    wait_team(&mut boris, &[("Anna", false, false), ("Boris", true, true)]).await;
    app.stop().await.cleanup().await;
}
