//! Tests of the rules engine against the real default scenario ("missile-defence-2013").
//!
//! 1. every command error path: its stable code, and that the refused command changed nothing;
//! 2. happy paths: chat, proposals and agreements, orders, readiness, the clock, adjudication;
//! 3. breaches of agreements and their detection;
//! 4. properties over random command sequences (proptest): determinism, replay, refusals change
//!    nothing, secrecy of every seat's view and events, state and index bounds;
//! 5. bots: whole games are deterministic and end whatever the temperaments.
//!
//! Tests that expose an engine bug are `#[ignore = "BUG: …"]` so that the suite stays green
//! while the bug is open; run them with `cargo test --lib engine::tests -- --ignored`.

use super::adjudicate::indices;
use super::game::KEPT_MESSAGES;
use super::model::{Explained, Indices, Perspective};
use super::scenario::{ClauseForm, Scenario, Visibility};
use super::view::{can_read, messages_in_log, MessagePage};
use super::*;
use crate::cli::play_game;
use crate::scenarios::built_in;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use uuid::Uuid;

const SCENARIO: &str = "missile-defence-2013";
const SEED: u64 = 20_130_307;
/// 7 March 2013, 00:00 UTC: the day of the invitation to Moscow.
const T0: i64 = 1_362_614_400_000;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The default scenario, parsed and validated once for the whole test binary.
fn scenario() -> Arc<Scenario> {
    static S: OnceLock<Arc<Scenario>> = OnceLock::new();
    S.get_or_init(|| built_in(SCENARIO).expect("the default scenario loads"))
        .clone()
}

fn fid(s: &str) -> FactionId {
    FactionId::from(s)
}

fn ru() -> Seat {
    Seat::Faction(fid("russia"))
}

fn us() -> Seat {
    Seat::Faction(fid("us_nato"))
}

fn csto() -> Seat {
    Seat::Faction(fid("csto"))
}

fn faction_seats() -> Vec<Seat> {
    vec![ru(), us(), csto()]
}

fn config(seed: u64) -> GameConfig {
    GameConfig {
        seed,
        preset: None,
        deadlines: None,
        bots: BTreeMap::new(),
        agents: BTreeMap::new(),
        team_sizes: BTreeMap::new(),
        start: StartMode::Now,
        title: None,
        team_ready: Default::default(),
        language: None,
    }
}

/// A game under test, with its event log and a clock.
struct Play {
    game: Game,
    log: Vec<Event>,
    now: i64,
}

impl Play {
    fn new() -> Play {
        Play::with_seed(SEED)
    }

    fn with_seed(seed: u64) -> Play {
        Play::with_config(config(seed))
    }

    fn with_config(cfg: GameConfig) -> Play {
        let (game, log) = Game::create(scenario(), cfg, T0).expect("game created");
        Play { game, log, now: T0 }
    }

    fn ctx(&self) -> Ctx {
        Ctx::at(self.now)
    }

    /// Applies a command that must succeed; returns its events.
    fn ok(&mut self, seat: &Seat, cmd: Command) -> Vec<Event> {
        let ctx = self.ctx();
        match self.game.apply(seat, &cmd, &ctx) {
            Ok(events) => {
                self.log.extend(events.iter().cloned());
                events
            }
            Err(e) => panic!("{seat:?} {cmd:?} was refused: {e} ({})", e.code()),
        }
    }

    /// Applies a command that must be refused with `code`, and checks that nothing changed.
    fn err(&mut self, seat: &Seat, cmd: Command, code: &str) -> CommandError {
        let before = self.game.clone();
        let ctx = self.ctx();
        match self.game.apply(seat, &cmd, &ctx) {
            Ok(events) => panic!("{seat:?} {cmd:?} was accepted: {events:?}"),
            Err(e) => {
                assert_eq!(e.code(), code, "{seat:?} {cmd:?}: {e}");
                assert!(
                    self.game == before,
                    "{seat:?} {cmd:?} was refused ({e}) but changed the game"
                );
                e
            }
        }
    }

    /// Control moves the game to its next phase.
    fn advance(&mut self) -> Vec<Event> {
        self.ok(&Seat::Control, Command::AdvancePhase {})
    }

    /// Advances until the game is in `phase` (of this round or, if passed, the next).
    fn to(&mut self, phase: Phase) {
        for _ in 0..8 {
            if self.game.phase == phase {
                return;
            }
            self.advance();
        }
        panic!("never reached {phase:?}");
    }

    /// Advances to the briefing of the next round.
    fn next_round(&mut self) {
        let round = self.game.round;
        for _ in 0..8 {
            if self.game.round == round + 1 && self.game.phase == Phase::Briefing {
                return;
            }
            self.advance();
        }
        panic!("never reached round {}", round + 1);
    }

    /// The `n`-th proposal made in the game (1-based); ids themselves are opaque.
    fn proposal(&self, n: usize) -> &Proposal {
        &self.game.proposals[n - 1]
    }

    /// The id of the `n`-th proposal made in the game (1-based).
    fn pid(&self, n: usize) -> u32 {
        self.proposal(n).id
    }
}

fn chat(channel: Channel, text: &str) -> Command {
    Command::Chat {
        channel,
        text: text.into(),
    }
}

/// An order, given knowingly even if it breaks an agreement (the refusal without
/// confirmation has its own test).
fn order(action: &str, quantity: u32) -> Command {
    Command::SubmitOrder {
        action: ActionId::from(action),
        quantity,
        confirm_breach: true,
    }
}

fn clause(kind: &str, by: &str) -> Clause {
    Clause {
        kind: ClauseKindId::from(kind),
        by: fid(by),
        action: None,
        var: None,
        max: None,
        to: None,
        amount: None,
    }
}

fn forbid(kind: &str, by: &str, action: &str) -> Clause {
    Clause {
        action: Some(ActionId::from(action)),
        ..clause(kind, by)
    }
}

fn cap(kind: &str, by: &str, var: &str, max: Option<f64>) -> Clause {
    Clause {
        var: Some(VarId::from(var)),
        max,
        ..clause(kind, by)
    }
}

fn transfer(by: &str, to: &str, amount: f64) -> Clause {
    Clause {
        to: Some(fid(to)),
        amount: Some(amount),
        ..clause("budget_transfer", by)
    }
}

fn terms(title: &str, parties: &[&str], clauses: Vec<Clause>) -> Terms {
    Terms {
        title: title.into(),
        parties: parties.iter().map(|p| fid(p)).collect(),
        clauses,
        duration_rounds: 3,
        public: true,
    }
}

fn propose(title: &str, parties: &[&str], clauses: Vec<Clause>) -> Command {
    Command::Propose {
        terms: terms(title, parties, clauses),
    }
}

fn all_control_commands() -> Vec<Command> {
    vec![
        Command::AdvancePhase {},
        Command::Pause {},
        Command::Resume {},
        Command::ExtendDeadline { seconds: 60 },
        Command::InjectEvent {
            event: EventId::from("iran_missile_test"),
        },
        Command::Override {
            var: VarId::from("tension"),
            value: 50.0,
            reason: "exercise".into(),
        },
        Command::SetBot {
            faction: fid("csto"),
            temperament: Some(Temperament::Dove),
        },
        Command::SetScheduledEvent {
            event: EventId::from("ukraine_crisis"),
            enabled: false,
        },
        Command::SetAgent {
            faction: fid("russia"),
            agent: None,
        },
        Command::ApproveMessage {
            faction: fid("russia"),
            held: 1,
        },
        Command::RejectMessage {
            faction: fid("russia"),
            held: 1,
            reason: String::new(),
        },
        Command::Annotate {
            text: "note".into(),
        },
        Command::HideMessage {
            channel: Channel::Plenary,
            message: 1,
            reason: String::new(),
        },
        Command::MuteMember {
            member: Uuid::nil(),
            minutes: 5,
            reason: String::new(),
        },
        Command::UnmuteMember {
            member: Uuid::nil(),
        },
        Command::EndGame { note: "".into() },
    ]
}

/// Asserts that a number is finite and within [lo, hi].
fn within(what: &str, x: f64, lo: f64, hi: f64) {
    assert!(
        x.is_finite() && x >= lo - 1e-9 && x <= hi + 1e-9,
        "{what} = {x} is outside [{lo}, {hi}]"
    );
}

/// Bounds of each index of the model, by id.
fn index_bounds(id: &str) -> (f64, f64) {
    match id {
        "deterrence_balance" => (0.0, 100.0),
        "objects_per_warhead" => (1.0, f64::INFINITY),
        "expected_intercepts" => (0.0, f64::INFINITY),
        _ => (0.0, 1.0),
    }
}

fn check_indices(what: &str, ix: &Indices) {
    for e in ix.all() {
        let (lo, hi) = index_bounds(&e.id);
        within(&format!("{what}: index {}", e.id), e.value, lo, hi);
    }
    let v = &ix.values;
    for (name, x) in [
        ("kill_probability", v.kill_probability),
        ("engageability", v.engageability),
        ("upgrade_headroom", v.upgrade_headroom),
        ("guarantee_credit", v.guarantee_credit),
        ("perceived_engageability", v.perceived_engageability),
        ("e_used", v.e_used),
        ("retaliation_russia", v.retaliation_russia),
        ("retaliation_us", v.retaliation_us),
        ("rho_ru", v.rho_ru),
        ("rho_us", v.rho_us),
        ("stability", v.stability),
        ("coverage", v.coverage),
        ("border_security", v.border_security),
    ] {
        within(&format!("{what}: value {name}"), x, 0.0, 1.0);
    }
    within(
        &format!("{what}: value deterrence_balance"),
        v.deterrence_balance,
        0.0,
        100.0,
    );
    within(
        &format!("{what}: value objects_per_warhead"),
        v.objects_per_warhead,
        1.0,
        f64::INFINITY,
    );
    for (name, x) in [
        ("expected_intercepts", v.expected_intercepts),
        ("capacity_interceptors", v.capacity_interceptors),
        ("ru_arriving", v.ru_arriving),
        ("ru_first", v.ru_first),
        ("us_arriving", v.us_arriving),
        ("us_first", v.us_first),
        ("europe_interceptors", v.europe_interceptors),
    ] {
        within(&format!("{what}: value {name}"), x, 0.0, f64::INFINITY);
    }
}

fn check_explained(what: &str, e: &Explained) {
    assert!(
        !e.formula.trim().is_empty(),
        "{what}: {} has no formula",
        e.id
    );
    assert!(!e.inputs.is_empty(), "{what}: {} has no inputs", e.id);
    assert!(
        !e.source.trim().is_empty(),
        "{what}: {} has no source",
        e.id
    );
    for i in &e.inputs {
        assert!(
            !i.source.trim().is_empty(),
            "{what}: input {} of {} has no source",
            i.symbol,
            e.id
        );
        assert!(
            i.value.is_finite(),
            "{what}: input {} of {}",
            i.symbol,
            e.id
        );
    }
}

/// Signs a public agreement between Russia and US/NATO in the current (negotiation) phase.
fn sign(play: &mut Play, proposer: &Seat, other: &Seat, t: Terms) -> Agreement {
    let events = play.ok(proposer, Command::Propose { terms: t });
    let Event::ProposalMade { proposal } = &events[0] else {
        panic!("expected proposal_made, got {events:?}");
    };
    let id = proposal.id;
    let events = play.ok(other, Command::Accept { proposal: id });
    match events.last() {
        Some(Event::AgreementSigned { agreement, .. }) => agreement.clone(),
        other => panic!("expected agreement_signed, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Error paths
// ---------------------------------------------------------------------------------------------

#[test]
fn order_in_negotiation_is_wrong_phase() {
    let mut p = Play::new();
    p.err(&ru(), order("iskander_kaliningrad", 1), "wrong_phase");
    p.to(Phase::Negotiation);
    let e = p.err(&ru(), order("iskander_kaliningrad", 1), "wrong_phase");
    assert!(e.to_string().contains("negotiation"), "{e}");
    p.err(
        &ru(),
        Command::AmendOrder {
            order: 1,
            quantity: 1,
        },
        "wrong_phase",
    );
    p.err(&ru(), Command::WithdrawOrder { order: 1 }, "wrong_phase");
}

#[test]
fn proposal_in_orders_is_wrong_phase() {
    let mut p = Play::new();
    let t = || {
        propose(
            "Moscow accord",
            &["russia", "us_nato"],
            vec![clause("political_guarantee", "us_nato")],
        )
    };
    p.err(&ru(), t(), "wrong_phase");
    p.to(Phase::Negotiation);
    p.ok(&ru(), t());
    p.to(Phase::Orders);
    let e = p.err(&ru(), t(), "wrong_phase");
    assert!(e.to_string().contains("orders"), "{e}");
    // The proposal made in negotiation expired and cannot be answered any more.
    p.err(&us(), Command::Accept { proposal: p.pid(1) }, "wrong_phase");
    p.err(
        &us(),
        Command::Reject {
            proposal: p.pid(1),
            reason: String::new(),
        },
        "wrong_phase",
    );
    p.err(
        &us(),
        Command::Counter {
            proposal: p.pid(1),
            terms: terms(
                "Counter",
                &["russia", "us_nato"],
                vec![clause("political_guarantee", "us_nato")],
            ),
        },
        "wrong_phase",
    );
}

#[test]
fn ordering_another_factions_action_is_not_your_faction() {
    let mut p = Play::new();
    p.to(Phase::Orders);
    let e = p.err(&ru(), order("deveselu", 1), "not_your_faction");
    assert!(e.to_string().contains("US/NATO"), "{e}");
    p.err(
        &csto(),
        order("iskander_kaliningrad", 1),
        "not_your_faction",
    );
    p.err(&us(), order("crrf_exercise", 1), "not_your_faction");
}

#[test]
fn observer_cannot_act() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    let obs = Seat::Observer;
    p.err(&obs, chat(Channel::Plenary, "hello"), "not_your_faction");
    p.err(&obs, Command::Ready {}, "not_your_faction");
    p.err(
        &obs,
        propose(
            "Observer accord",
            &["russia", "us_nato"],
            vec![clause("political_guarantee", "us_nato")],
        ),
        "not_your_faction",
    );
    p.err(&obs, Command::Tick {}, "not_your_faction");
    p.to(Phase::Orders);
    p.err(&obs, order("deveselu", 1), "not_your_faction");
}

#[test]
fn posting_in_another_factions_channel_is_not_your_faction() {
    let mut p = Play::new();
    let team = Channel::Team {
        faction: fid("us_nato"),
    };
    p.err(&ru(), chat(team, "psst"), "not_your_faction");
    let bilateral = Channel::Bilateral {
        factions: [fid("us_nato"), fid("csto")],
    };
    p.err(&ru(), chat(bilateral, "psst"), "not_your_faction");
    let control = Channel::Control {
        faction: fid("csto"),
    };
    p.err(&ru(), chat(control, "psst"), "not_your_faction");
    // Channels naming factions that do not exist are unknown, with a hint.
    let e = p.err(
        &ru(),
        chat(
            Channel::Team {
                faction: fid("rusia"),
            },
            "psst",
        ),
        "unknown",
    );
    assert!(e.to_string().contains("did you mean \"russia\""), "{e}");
    p.err(
        &ru(),
        chat(
            Channel::Bilateral {
                factions: [fid("russia"), fid("russia")],
            },
            "psst",
        ),
        "invalid",
    );
    // The System seat never chats.
    p.err(
        &Seat::System,
        chat(Channel::Plenary, "tick"),
        "not_your_faction",
    );
}

#[test]
fn withdrawing_someone_elses_proposal_is_refused() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    p.ok(
        &us(),
        propose(
            "Lisbon follow-up",
            &["russia", "us_nato"],
            vec![clause("political_guarantee", "us_nato")],
        ),
    );
    let e = p.err(
        &ru(),
        Command::Withdraw { proposal: p.pid(1) },
        "not_your_faction",
    );
    assert!(e.to_string().contains("US/NATO"), "{e}");
    // A faction that is not a party learns nothing, not even that the proposal exists.
    p.err(&csto(), Command::Withdraw { proposal: p.pid(1) }, "unknown");
    p.err(&us(), Command::Withdraw { proposal: 99 }, "unknown");
    p.ok(&us(), Command::Withdraw { proposal: p.pid(1) });
    p.err(&us(), Command::Withdraw { proposal: p.pid(1) }, "invalid");
}

#[test]
fn accepting_a_proposal_you_are_not_party_to_is_unknown() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    p.ok(
        &us(),
        propose(
            "Lisbon follow-up",
            &["russia", "us_nato"],
            vec![clause("political_guarantee", "us_nato")],
        ),
    );
    let id = p.pid(1);
    let not_party = p.err(&csto(), Command::Accept { proposal: id }, "unknown");
    let other = id.wrapping_add(1);
    let missing = p.err(&csto(), Command::Accept { proposal: other }, "unknown");
    // Same error for a proposal that exists and one that does not.
    assert_eq!(
        not_party.to_string().replace(&id.to_string(), "#"),
        missing.to_string().replace(&other.to_string(), "#")
    );
    p.err(
        &csto(),
        Command::Reject {
            proposal: p.pid(1),
            reason: String::new(),
        },
        "unknown",
    );
    p.err(
        &csto(),
        Command::Counter {
            proposal: p.pid(1),
            terms: terms(
                "CSTO view",
                &["csto", "russia"],
                vec![clause("data_exchange", "csto")],
            ),
        },
        "unknown",
    );
}

#[test]
fn control_commands_from_other_seats_are_control_only() {
    let mut p = Play::new();
    for seat in [ru(), us(), csto(), Seat::Observer, Seat::System] {
        for cmd in all_control_commands() {
            let e = p.err(&seat, cmd.clone(), "control_only");
            assert!(e.to_string().starts_with("only Control may"), "{e}");
        }
    }
    // And Control may give each of them (EndGame last). A mute needs the server to name the
    // person, a decision an agent's held message (their own tests); a hidden message needs one
    // posted.
    p.ok(&ru(), chat(Channel::Plenary, "to be hidden"));
    for cmd in all_control_commands() {
        if matches!(
            cmd,
            Command::Resume {}
                | Command::MuteMember { .. }
                | Command::UnmuteMember { .. }
                | Command::ApproveMessage { .. }
                | Command::RejectMessage { .. }
        ) {
            continue;
        }
        if matches!(cmd, Command::ExtendDeadline { .. }) {
            p.ok(&Seat::Control, Command::Resume {});
        }
        p.ok(&Seat::Control, cmd);
    }
    assert_eq!(p.game.phase, Phase::Ended);
}

#[test]
fn a_game_in_the_lobby_has_no_clock_until_control_starts_it() {
    let cfg = GameConfig {
        start: StartMode::Lobby,
        bots: [(fid("csto"), Temperament::Dove)].into_iter().collect(),
        ..config(SEED)
    };
    let (game, log) = Game::create(scenario(), cfg, T0).expect("game created");
    assert!(
        matches!(log.as_slice(), [Event::GameCreated { .. }]),
        "only game_created is recorded: {log:?}"
    );
    let mut p = Play { game, log, now: T0 };
    assert_eq!((p.game.phase, p.game.deadline_at), (Phase::Lobby, None));
    // Time passes: the clock does nothing, bots do nothing.
    p.now = T0 + 3_600_000;
    assert!(p.ok(&Seat::System, Command::Tick {}).is_empty());
    let ctx = p.ctx();
    assert!(
        bots::play_bots(&mut p.game, &ctx).is_empty(),
        "bots wait too"
    );
    // Nothing that belongs to a round can happen; people may talk and Control may set up.
    for (seat, cmd) in [
        (ru(), Command::Ready {}),
        (Seat::Control, Command::Pause {}),
        (Seat::Control, Command::ExtendDeadline { seconds: 60 }),
        (
            Seat::Control,
            Command::InjectEvent {
                event: EventId::from("iran_missile_test"),
            },
        ),
    ] {
        let e = p.err(&seat, cmd, "wrong_phase");
        assert!(e.to_string().contains("Start"), "{e}");
    }
    p.err(&ru(), order("iskander_kaliningrad", 1), "wrong_phase");
    p.ok(&ru(), chat(Channel::Plenary, "hello"));
    p.ok(
        &Seat::Control,
        Command::SetBot {
            faction: fid("us_nato"),
            temperament: Some(Temperament::Hawk),
        },
    );
    // Only Control (or the server itself) starts it.
    for seat in [ru(), us(), csto(), Seat::Observer] {
        p.err(&seat, Command::Start {}, "control_only");
    }
    p.now = T0 + 7_200_000;
    let events = p.ok(&Seat::Control, Command::Start {});
    let briefing = i64::from(scenario().phases.briefing) * 1000;
    assert!(
        matches!(
            events.as_slice(),
            [Event::RoundBegan { round: 0, deadline_at: Some(d), .. }] if *d == p.now + briefing
        ),
        "the first round begins and its deadline runs from Start: {events:?}"
    );
    assert_eq!(p.game.phase, Phase::Briefing);
    p.err(&Seat::Control, Command::Start {}, "wrong_phase");
    // The log replays to the same game.
    let replayed = Game::replay(scenario(), &p.log).expect("replay");
    assert_eq!(replayed, p.game);
}

#[test]
fn the_server_may_start_a_game_and_advance_starts_it_too() {
    for (seat, cmd) in [
        (Seat::System, Command::Start {}),
        (Seat::Control, Command::AdvancePhase {}),
    ] {
        let cfg = GameConfig {
            start: StartMode::WhenSeated,
            ..config(SEED)
        };
        let mut p = Play::with_config(cfg);
        p.ok(&seat, cmd);
        assert_eq!((p.game.round, p.game.phase), (0, Phase::Briefing));
    }
}

#[test]
fn tick_from_any_seat_but_system_is_refused() {
    let mut p = Play::new();
    p.now = T0 + 10_000_000;
    for seat in [ru(), us(), csto(), Seat::Control] {
        p.err(&seat, Command::Tick {}, "forbidden");
    }
    p.err(&Seat::Observer, Command::Tick {}, "not_your_faction");
    let events = p.ok(&Seat::System, Command::Tick {});
    assert!(matches!(
        events.as_slice(),
        [Event::PhaseChanged {
            phase: Phase::Negotiation,
            ..
        }]
    ));
}

#[test]
fn refusing_a_tick_names_the_right_seat() {
    let mut p = Play::new();
    let e = p.err(&Seat::Control, Command::Tick {}, "forbidden");
    assert!(
        !e.to_string().starts_with("only Control may"),
        "Control is told: {e}"
    );
}

#[test]
fn unknown_action_hints_at_the_right_id() {
    let mut p = Play::new();
    p.to(Phase::Orders);
    let e = p.err(&ru(), order("iskander_kalinigrad", 1), "unknown");
    let msg = e.to_string();
    assert!(msg.contains("iskander_kalinigrad"), "{msg}");
    assert!(
        msg.contains("did you mean \"iskander_kaliningrad\""),
        "{msg}"
    );
    // Nothing close: no hint.
    let e = p.err(&ru(), order("zzzz", 1), "unknown");
    assert!(!e.to_string().contains("did you mean"), "{e}");
    // Other unknown ids hint too.
    let e = p.err(
        &Seat::Control,
        Command::InjectEvent {
            event: EventId::from("ukraine_crisiss"),
        },
        "unknown",
    );
    assert!(
        e.to_string().contains("did you mean \"ukraine_crisis\""),
        "{e}"
    );
    let e = p.err(
        &Seat::Control,
        Command::Override {
            var: VarId::from("tenson"),
            value: 1.0,
            reason: "typo".into(),
        },
        "unknown",
    );
    assert!(e.to_string().contains("did you mean \"tension\""), "{e}");
    p.err(
        &Seat::Control,
        Command::SetBot {
            faction: fid("nato"),
            temperament: None,
        },
        "unknown",
    );
}

#[test]
fn orders_beyond_the_budget_are_over_budget() {
    let mut p = Play::new();
    p.to(Phase::Orders);
    // US/NATO starts with 12 budget: Deveselu (8) + two Rota destroyers (2 × 2) = 12.
    p.ok(&us(), order("deveselu", 1));
    p.ok(&us(), order("rota_destroyer", 2));
    let e = p.err(&us(), order("aegis_ship_med", 1), "over_budget");
    assert!(e.to_string().contains("14"), "{e}");
    // Amending an order upwards is checked against the budget too.
    p.ok(
        &us(),
        Command::AmendOrder {
            order: 2,
            quantity: 1,
        },
    );
    p.ok(&us(), order("aegis_ship_med", 1));
    p.err(
        &us(),
        Command::AmendOrder {
            order: 2,
            quantity: 2,
        },
        "over_budget",
    );
    // Political capital: the unilateral legal guarantee costs 6, all US/NATO has; a political
    // statement (2) on top is too much.
    p.ok(&us(), order("legal_guarantee", 1));
    let e = p.err(&us(), order("political_statement", 1), "over_budget");
    assert!(e.to_string().contains("political capital"), "{e}");
}

#[test]
fn action_before_its_prerequisite_is_refused() {
    let mut p = Play::new();
    p.to(Phase::Orders);
    let e = p.err(&us(), order("redzikowo_iib", 1), "prerequisite");
    assert!(
        e.to_string().contains("SM-3 IIB must be fielded first"),
        "{e}"
    );
    p.err(&us(), order("north_sea_iib_ship", 1), "prerequisite");
    // The radar is operating, so it cannot be redeployed.
    p.err(&us(), order("tpy2_redeploy", 1), "prerequisite");
}

#[test]
fn max_per_round_is_a_limit() {
    let mut p = Play::new();
    p.to(Phase::Orders);
    let e = p.err(&us(), order("rota_destroyer", 3), "limit");
    assert!(e.to_string().contains("per round"), "{e}");
    p.ok(&us(), order("aegis_ship_med", 1));
    p.err(&us(), order("aegis_ship_med", 1), "limit");
    // Quantities outside 1..=100 are invalid.
    p.err(&us(), order("rota_destroyer", 0), "invalid");
    p.err(&us(), order("rota_destroyer", 101), "invalid");
}

#[test]
fn max_total_is_a_limit() {
    let mut p = Play::new();
    // Rota: at most 2 a round and 4 in the whole game.
    for _ in 0..2 {
        p.to(Phase::Orders);
        p.ok(&us(), order("rota_destroyer", 2));
        p.next_round();
    }
    assert_eq!(p.game.core.used.get("rota_destroyer"), Some(&4));
    p.to(Phase::Orders);
    let e = p.err(&us(), order("rota_destroyer", 1), "limit");
    assert!(e.to_string().contains("whole game"), "{e}");
}

#[test]
fn malformed_clauses_are_refused() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    let parties = ["russia", "us_nato"];
    let cases: Vec<(&str, Clause)> = vec![
        ("unknown kind", clause("no_iskandr_kaliningrad", "russia")),
        ("bound party not a party", clause("data_exchange", "csto")),
        (
            "forbid another faction's action",
            forbid("forbid_action", "russia", "deveselu"),
        ),
        (
            "forbid an action the kind does not cover",
            forbid("no_iskander_kaliningrad", "russia", "voronezh_kaliningrad"),
        ),
        (
            "forbid without action",
            clause("no_iskander_kaliningrad", "russia"),
        ),
        (
            "cap without max",
            cap("cap_iskander", "russia", "iskander_kaliningrad", None),
        ),
        (
            "cap above the variable's bounds",
            cap("cap_iskander", "russia", "iskander_kaliningrad", Some(7.0)),
        ),
        (
            "cap of a variable one does not control",
            cap("cap_warheads", "russia", "us_warheads", Some(1500.0)),
        ),
        ("transfer to self", transfer("russia", "russia", 1.0)),
        ("transfer to a non-party", transfer("russia", "csto", 1.0)),
        ("transfer of nothing", transfer("russia", "us_nato", 0.0)),
        ("transfer of NaN", transfer("russia", "us_nato", f64::NAN)),
        ("wrong giver", clause("political_guarantee", "russia")),
        (
            "guarantee with stray fields",
            Clause {
                amount: Some(1.0),
                ..clause("political_guarantee", "us_nato")
            },
        ),
    ];
    for (what, c) in cases {
        let cmd = propose(
            "Bad accord",
            &parties,
            vec![clause("data_exchange", "russia"), c],
        );
        let e = p.err(&ru(), cmd, "malformed_clause");
        assert!(
            e.to_string().starts_with("malformed clause 2"),
            "{what}: {e}"
        );
    }
    let e = p.err(
        &ru(),
        propose(
            "Bad accord",
            &parties,
            vec![clause("no_iskandr_kaliningrad", "russia")],
        ),
        "malformed_clause",
    );
    assert!(
        e.to_string()
            .contains("did you mean \"no_iskander_kaliningrad\""),
        "{e}"
    );
    // Whole-proposal problems are invalid (or a limit), not malformed clauses.
    let ok_clause = || vec![clause("data_exchange", "russia")];
    p.err(&ru(), propose(" ", &parties, ok_clause()), "invalid");
    p.err(&ru(), propose("Solo", &["russia"], ok_clause()), "invalid");
    p.err(
        &ru(),
        propose(
            "Not mine",
            &["us_nato", "csto"],
            vec![clause("data_exchange", "csto")],
        ),
        "invalid",
    );
    p.err(&ru(), propose("Empty", &parties, vec![]), "invalid");
    p.err(
        &ru(),
        propose("Ghost", &["russia", "nato"], ok_clause()),
        "unknown",
    );
    p.err(
        &ru(),
        propose(&"x".repeat(201), &parties, ok_clause()),
        "limit",
    );
    p.err(
        &ru(),
        propose(
            "Long",
            &parties,
            vec![clause("data_exchange", "russia"); 13],
        ),
        "limit",
    );
    let mut t = terms("Forever", &parties, ok_clause());
    t.duration_rounds = 0;
    p.err(&ru(), Command::Propose { terms: t.clone() }, "invalid");
    t.duration_rounds = 9;
    p.err(&ru(), Command::Propose { terms: t }, "invalid");
}

#[test]
fn empty_and_too_long_chat_are_refused() {
    let mut p = Play::new();
    p.err(&ru(), chat(Channel::Plenary, ""), "invalid");
    p.err(&ru(), chat(Channel::Plenary, " \n\t "), "invalid");
    let e = p.err(&ru(), chat(Channel::Plenary, &"я".repeat(2001)), "limit");
    assert!(e.to_string().contains("2000"), "{e}");
    // Exactly the limit is fine (counted in characters, not bytes).
    p.ok(&ru(), chat(Channel::Plenary, &"я".repeat(2000)));
}

#[test]
fn duplicate_accept_is_refused() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    p.ok(
        &ru(),
        propose(
            "Three-way accord",
            &["russia", "us_nato", "csto"],
            vec![clause("data_exchange", "russia")],
        ),
    );
    // The proposer has accepted by proposing.
    p.err(&ru(), Command::Accept { proposal: p.pid(1) }, "invalid");
    p.ok(&us(), Command::Accept { proposal: p.pid(1) });
    let e = p.err(&us(), Command::Accept { proposal: p.pid(1) }, "invalid");
    assert!(e.to_string().contains("already accepted"), "{e}");
    p.ok(&csto(), Command::Accept { proposal: p.pid(1) });
    // Signed: no longer open.
    p.err(&csto(), Command::Accept { proposal: p.pid(1) }, "invalid");
}

#[test]
fn override_needs_a_reason_and_a_value_in_bounds() {
    let mut p = Play::new();
    let ov = |var: &str, value: f64, reason: &str| Command::Override {
        var: VarId::from(var),
        value,
        reason: reason.into(),
    };
    let e = p.err(&Seat::Control, ov("tension", 50.0, ""), "invalid");
    assert!(e.to_string().contains("reason"), "{e}");
    p.err(&Seat::Control, ov("tension", 50.0, "   "), "invalid");
    p.err(
        &Seat::Control,
        ov("tension", 50.0, &"r".repeat(201)),
        "limit",
    );
    let e = p.err(&Seat::Control, ov("tension", 100.5, "too hot"), "invalid");
    assert!(e.to_string().contains("between 0 and 100"), "{e}");
    p.err(&Seat::Control, ov("tension", -1.0, "too cold"), "invalid");
    p.err(&Seat::Control, ov("tension", f64::NAN, "nan"), "invalid");
    p.err(&Seat::Control, ov("ru_survival", 1.5, "share"), "invalid");
    p.ok(
        &Seat::Control,
        ov("tension", 100.0, "the bound itself is allowed"),
    );
    assert_eq!(p.game.var("tension"), 100.0);
    assert_eq!(p.game.overrides.len(), 1);
}

#[test]
fn other_control_command_errors() {
    let mut p = Play::new();
    p.err(&Seat::Control, Command::Resume {}, "invalid");
    p.err(
        &Seat::Control,
        Command::ExtendDeadline { seconds: 0 },
        "invalid",
    );
    p.err(
        &Seat::Control,
        Command::ExtendDeadline {
            seconds: 24 * 3600 + 1,
        },
        "invalid",
    );
    p.ok(&Seat::Control, Command::Pause {});
    p.err(&Seat::Control, Command::Pause {}, "invalid");
    p.err(
        &Seat::Control,
        Command::ExtendDeadline { seconds: 60 },
        "invalid",
    );
    p.err(
        &Seat::Control,
        Command::SetScheduledEvent {
            event: EventId::from("iran_missile_test"),
            enabled: false,
        },
        "invalid",
    );
    p.err(
        &Seat::Control,
        Command::Annotate { text: " ".into() },
        "invalid",
    );
    p.err(
        &Seat::Control,
        Command::EndGame {
            note: "n".repeat(201),
        },
        "limit",
    );
}

#[test]
fn everything_is_refused_once_the_game_has_ended() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    p.ok(
        &Seat::Control,
        Command::EndGame {
            note: "out of time".into(),
        },
    );
    assert_eq!(p.game.phase, Phase::Ended);
    assert_eq!(
        p.game.ending,
        Some(Ending::Control {
            note: "out of time".into()
        })
    );
    // All but hiding a message, which a facilitator may still do after the end.
    let mut cmds = all_control_commands();
    cmds.retain(|c| !matches!(c, Command::HideMessage { .. }));
    cmds.extend([
        chat(Channel::Plenary, "hello?"),
        Command::Ready {},
        order("iskander_kaliningrad", 1),
        propose(
            "Late",
            &["russia", "us_nato"],
            vec![clause("data_exchange", "russia")],
        ),
    ]);
    for cmd in cmds {
        p.err(&Seat::Control, cmd.clone(), "game_ended");
        p.err(&ru(), cmd, "game_ended");
    }
    p.err(&Seat::System, Command::Tick {}, "game_ended");
    p.err(&Seat::Observer, Command::Ready {}, "game_ended");
}

#[test]
fn creating_a_game_checks_its_config() {
    let mut c = config(SEED);
    c.bots.insert(fid("nato"), Temperament::Hawk);
    let e = Game::create(scenario(), c, T0).unwrap_err();
    assert_eq!(e.code(), "unknown");
    let mut c = config(SEED);
    c.preset = Some("rosy".into());
    let e = Game::create(scenario(), c, T0).unwrap_err();
    assert_eq!(e.code(), "invalid");
    assert!(Game::replay(scenario(), &[]).is_err());
}

// ---------------------------------------------------------------------------------------------
// 2. Happy paths
// ---------------------------------------------------------------------------------------------

#[test]
fn a_new_game_starts_in_the_first_briefing() {
    let p = Play::new();
    assert_eq!(p.game.round, 0);
    assert_eq!(p.game.phase, Phase::Briefing);
    assert_eq!(p.game.round_label(), "2013");
    assert_eq!(p.game.deadline_at, Some(T0 + 120_000));
    assert!(matches!(p.log[0], Event::GameCreated { .. }));
    assert!(matches!(p.log[1], Event::RoundBegan { round: 0, .. }));
    // The Moscow conference is scheduled for the first briefing.
    assert!(p
        .game
        .briefings
        .iter()
        .any(|(r, f)| *r == 0 && f.id.as_str() == "moscow_conference"));
    assert_eq!(p.game.core.purses[&fid("us_nato")].budget, 12.0);
}

#[test]
fn chat_in_every_channel_kind() {
    let mut p = Play::new();
    p.now = T0 + 5_000;
    let channels = [
        (ru(), Channel::Plenary),
        (
            ru(),
            Channel::Bilateral {
                factions: [fid("us_nato"), fid("russia")],
            },
        ),
        (
            ru(),
            Channel::Team {
                faction: fid("russia"),
            },
        ),
        (
            ru(),
            Channel::Control {
                faction: fid("russia"),
            },
        ),
        (
            Seat::Control,
            Channel::Team {
                faction: fid("csto"),
            },
        ),
        (
            Seat::Control,
            Channel::Bilateral {
                factions: [fid("csto"), fid("us_nato")],
            },
        ),
    ];
    for (i, (seat, ch)) in channels.iter().enumerate() {
        let text = format!("message {i}");
        let events = p.ok(seat, chat(ch.clone(), &text));
        let [Event::ChatPosted { message }] = events.as_slice() else {
            panic!("{events:?}");
        };
        // Ids count per channel, so they reveal nothing about channels one cannot read.
        assert_eq!(message.id, 1);
        assert_eq!(message.text, text);
        assert_eq!(message.from, *seat);
        assert_eq!(message.at_ms, T0 + 5_000);
    }
    // Bilateral channels are stored with the pair sorted.
    assert_eq!(
        p.game.messages[1].channel,
        Channel::Bilateral {
            factions: [fid("russia"), fid("us_nato")]
        }
    );
    assert_eq!(
        p.game.messages[5].channel,
        Channel::Bilateral {
            factions: [fid("csto"), fid("us_nato")]
        }
    );
    // Who reads what.
    let seen = |seat: &Seat| -> Vec<String> {
        p.game
            .view(seat)
            .messages
            .iter()
            .map(|m| m.text.replace("message ", ""))
            .collect()
    };
    assert_eq!(seen(&ru()), vec!["0", "1", "2", "3"]);
    assert_eq!(seen(&us()), vec!["0", "1", "5"]);
    assert_eq!(seen(&csto()), vec!["0", "4", "5"]);
    assert_eq!(seen(&Seat::Observer), vec!["0"]);
    assert_eq!(seen(&Seat::Control), vec!["0", "1", "2", "3", "4", "5"]);
    // Chat is allowed in every phase; ids go on counting in their channel.
    p.to(Phase::Orders);
    let events = p.ok(&us(), chat(Channel::Plenary, "still talking"));
    assert!(matches!(&events[0], Event::ChatPosted { message } if message.id == 2));
}

#[test]
fn propose_accept_signs_an_agreement_in_force() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    let capital = p.game.core.purses[&fid("us_nato")].capital;
    let budget_ru = p.game.core.purses[&fid("russia")].budget;
    let events = p.ok(
        &ru(),
        propose(
            "Moscow accord",
            &["us_nato", "russia", "russia"],
            vec![
                clause("political_guarantee", "us_nato"),
                transfer("us_nato", "russia", 2.0),
            ],
        ),
    );
    let [Event::ProposalMade { proposal }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(proposal.id, p.pid(1));
    assert_eq!(proposal.status, ProposalStatus::Open);
    // Parties are sorted and deduplicated; the proposer has accepted.
    assert_eq!(proposal.terms.parties, vec![fid("russia"), fid("us_nato")]);
    assert!(proposal.accepted_by.contains(&fid("russia")));
    let id = p.pid(1);
    let events = p.ok(&us(), Command::Accept { proposal: id });
    assert!(matches!(
        events[0],
        Event::ProposalAccepted { proposal, .. } if proposal == id
    ));
    let Event::AgreementSigned { agreement, purses } = &events[1] else {
        panic!("{events:?}");
    };
    assert_eq!(agreement.status, AgreementStatus::InForce);
    assert!(agreement.in_force());
    assert_eq!(agreement.signed_round, 0);
    assert_eq!(agreement.until_round, 3);
    assert_eq!(purses[&fid("us_nato")].capital, capital - 1.0);
    assert_eq!(purses[&fid("russia")].budget, budget_ru + 2.0);
    assert_eq!(p.game.core.agreements.len(), 1);
    assert_eq!(agreement.proposal, id);
    assert_eq!(
        p.proposal(1).status,
        ProposalStatus::Signed {
            agreement: agreement.id
        }
    );
    assert_eq!(p.game.core.purses[&fid("russia")].budget, budget_ru + 2.0);
    // The agreement provides the guarantee to the model.
    let ix = indices(&p.game, &p.game.core, Perspective::Faction(fid("russia")));
    assert!(ix.values.guarantee_credit > 0.0);
}

#[test]
fn a_legal_guarantee_waits_for_ratification() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    let a = sign(
        &mut p,
        &us(),
        &ru(),
        terms(
            "Legal guarantee",
            &["russia", "us_nato"],
            vec![clause("legal_guarantee", "us_nato")],
        ),
    );
    assert_eq!(a.status, AgreementStatus::PendingRatification);
    assert_eq!(p.game.core.purses[&fid("us_nato")].capital, 0.0);
    p.to(Phase::Review);
    let status = &p.game.core.agreements[0].status;
    assert!(
        matches!(status, AgreementStatus::InForce | AgreementStatus::Lapsed),
        "{status:?}"
    );
    let rolls = &p.game.reports[0].control.rolls;
    assert!(
        rolls.iter().any(|r| r.contains("ratification")),
        "{rolls:?}"
    );
}

#[test]
fn signature_needs_the_capital_of_every_giver() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    // A legal guarantee (6) and a political one (1) exceed US/NATO's 6 capital.
    p.ok(
        &ru(),
        propose(
            "Too generous",
            &["russia", "us_nato"],
            vec![
                clause("legal_guarantee", "us_nato"),
                clause("political_guarantee", "us_nato"),
            ],
        ),
    );
    p.err(&us(), Command::Accept { proposal: p.pid(1) }, "over_budget");
    p.ok(
        &ru(),
        propose(
            "Too rich",
            &["russia", "us_nato"],
            vec![transfer("us_nato", "russia", 13.0)],
        ),
    );
    p.err(&us(), Command::Accept { proposal: p.pid(2) }, "over_budget");
}

#[test]
fn counter_replaces_the_proposal() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    p.ok(
        &ru(),
        propose(
            "Legal first",
            &["russia", "us_nato"],
            vec![clause("legal_guarantee", "us_nato")],
        ),
    );
    let events = p.ok(
        &us(),
        Command::Counter {
            proposal: p.pid(1),
            terms: terms(
                "Political first",
                &["russia", "us_nato"],
                vec![clause("political_guarantee", "us_nato")],
            ),
        },
    );
    assert_eq!(events.len(), 2);
    let (first, second) = (p.pid(1), p.pid(2));
    assert_ne!(first, second);
    assert!(matches!(
        &events[0],
        Event::ProposalCountered { proposal, counter, by }
            if *proposal == first && *counter == second && *by == fid("us_nato")
    ));
    let old = p.proposal(1);
    assert_eq!(
        old.status,
        ProposalStatus::Countered {
            by: fid("us_nato"),
            counter: second
        }
    );
    let new = p.proposal(2).clone();
    assert_eq!(new.status, ProposalStatus::Open);
    assert_eq!(new.counter_of, Some(first));
    assert_eq!(new.proposer, fid("us_nato"));
    assert_eq!(new.terms.title, "Political first");
    // The countered proposal can no longer be accepted; the counter can.
    p.err(&us(), Command::Accept { proposal: p.pid(1) }, "invalid");
    let events = p.ok(&ru(), Command::Accept { proposal: p.pid(2) });
    assert!(matches!(events.last(), Some(Event::AgreementSigned { .. })));
}

#[test]
fn a_counter_among_other_parties_reveals_nothing_of_the_original() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    p.ok(
        &ru(),
        propose(
            "Original",
            &["russia", "us_nato"],
            vec![clause("political_guarantee", "us_nato")],
        ),
    );
    let original = p.pid(1);
    let counter = Command::Counter {
        proposal: original,
        terms: terms(
            "Counter",
            &["us_nato", "csto"],
            vec![clause("afghanistan_cooperation", "csto")],
        ),
    };
    // A counter keeps the original's parties, so the CSTO (not party to the original)
    // never hears of it: the counter is refused and nothing changes.
    let ctx = p.ctx();
    let before = p.game.clone();
    let e = p
        .game
        .apply(&us(), &counter, &ctx)
        .expect_err("a counter among other parties is refused");
    assert_eq!(e.code(), "invalid", "{e}");
    assert!(!e.to_string().contains(&original.to_string()), "{e}");
    assert!(p.game == before, "a refused counter changed the game");
}

#[test]
fn reject_withdraw_and_expiry() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    let t = |title: &str| {
        propose(
            title,
            &["russia", "us_nato"],
            vec![clause("data_exchange", "russia")],
        )
    };
    p.ok(&ru(), t("One"));
    p.ok(&ru(), t("Two"));
    p.ok(&ru(), t("Three"));
    p.ok(
        &us(),
        Command::Reject {
            proposal: p.pid(1),
            reason: "not enough".into(),
        },
    );
    assert_eq!(
        p.proposal(1).status,
        ProposalStatus::Rejected {
            by: fid("us_nato"),
            reason: "not enough".into()
        }
    );
    p.err(
        &us(),
        Command::Reject {
            proposal: p.pid(2),
            reason: "r".repeat(201),
        },
        "limit",
    );
    p.ok(&ru(), Command::Withdraw { proposal: p.pid(2) });
    assert_eq!(p.proposal(2).status, ProposalStatus::Withdrawn);
    let events = p.advance();
    assert!(matches!(
        &events[0],
        Event::ProposalsExpired { proposals } if proposals == &vec![p.pid(3)]
    ));
    assert_eq!(p.proposal(3).status, ProposalStatus::Expired);
    assert_eq!(p.game.phase, Phase::Orders);
}

#[test]
fn orders_submit_amend_withdraw() {
    let mut p = Play::new();
    p.to(Phase::Orders);
    let submit = |p: &mut Play, seat: &Seat, action: &str| -> u32 {
        let events = p.ok(seat, order(action, 1));
        let [Event::OrderSubmitted { faction, order: o }] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(Some(faction), seat.faction());
        assert_eq!(o.action.as_str(), action);
        assert_eq!(o.quantity, 1);
        o.id
    };
    let rota = submit(&mut p, &us(), "rota_destroyer");
    let aegis = submit(&mut p, &us(), "aegis_ship_med");
    assert_ne!(rota, aegis);
    let mut russian = Vec::new();
    for a in [
        "voronezh_kaliningrad",
        "iskander_kaliningrad",
        "penetration_aids",
    ] {
        russian.push(submit(&mut p, &ru(), a));
    }
    assert_eq!(p.game.orders[&fid("us_nato")].len(), 2);
    assert_eq!(p.game.orders[&fid("russia")].len(), 3);
    p.ok(
        &us(),
        Command::AmendOrder {
            order: rota,
            quantity: 2,
        },
    );
    assert_eq!(p.game.orders[&fid("us_nato")][0].quantity, 2);
    // Another faction's order is unknown to you.
    let theirs = *russian
        .iter()
        .filter(|id| **id != rota && **id != aegis)
        .max()
        .expect("a Russian order id that US/NATO does not have");
    p.err(
        &us(),
        Command::AmendOrder {
            order: theirs,
            quantity: 1,
        },
        "unknown",
    );
    p.err(&us(), Command::WithdrawOrder { order: theirs }, "unknown");
    p.err(
        &us(),
        Command::AmendOrder {
            order: rota,
            quantity: 0,
        },
        "invalid",
    );
    p.ok(&us(), Command::WithdrawOrder { order: aegis });
    assert_eq!(p.game.orders[&fid("us_nato")].len(), 1);
    p.err(&us(), Command::WithdrawOrder { order: aegis }, "unknown");
    // Other factions and observers do not see US orders; Control does.
    assert!(!p.game.view(&ru()).orders.contains_key(&fid("us_nato")));
    assert!(p.game.view(&Seat::Observer).orders.is_empty());
    assert_eq!(p.game.view(&Seat::Control).orders.len(), 2);
    // Orders are paid for at adjudication.
    p.advance();
    let purse = p.game.core.purses[&fid("us_nato")];
    assert_eq!(purse.budget, 12.0 - 4.0);
    assert_eq!(p.game.core.purses[&fid("russia")].budget, 0.0);
    assert!(p.game.orders.is_empty());
    // Rota and the three Russian orders (the Aegis ship was withdrawn).
    assert_eq!(p.game.core.builds.len(), 4);
}

#[test]
fn ready_by_every_faction_advances_the_phase() {
    let mut p = Play::new();
    p.ok(&ru(), Command::Ready {});
    // Ready twice changes nothing.
    assert!(p.ok(&ru(), Command::Ready {}).is_empty());
    p.ok(&us(), Command::Ready {});
    assert_eq!(p.game.phase, Phase::Briefing);
    let events = p.ok(&csto(), Command::Ready {});
    assert!(matches!(events[0], Event::FactionReady { .. }));
    assert!(matches!(
        events[1],
        Event::PhaseChanged {
            phase: Phase::Negotiation,
            ..
        }
    ));
    assert!(p.game.ready.is_empty());
    // In orders, a ready faction may still change its orders and stays ready (an un-ready
    // would tell the others that it changed something).
    p.to(Phase::Orders);
    p.ok(&us(), Command::Ready {});
    p.ok(&us(), order("rota_destroyer", 1));
    assert!(p.game.ready.contains(&fid("us_nato")));
    p.ok(&ru(), Command::Ready {});
    p.ok(&csto(), Command::Ready {});
    assert_eq!(p.game.phase, Phase::Review);
    assert_eq!(p.game.reports.len(), 1);
    assert_eq!(p.game.reports[0].control.orders.len(), 1);
}

/// Two members of Russia's team, `a` (seated first) and `b`, both connected.
fn team_of_two() -> (Uuid, Uuid) {
    (Uuid::from_u128(1), Uuid::from_u128(2))
}

impl Play {
    /// Applies `cmd` from member `id` of a faction's team, with `connected` members connected
    /// (the first is the captain).
    fn member(&mut self, seat: &Seat, id: Uuid, connected: &[Uuid], cmd: Command) -> Vec<Event> {
        let ctx = Ctx {
            now_ms: self.now,
            author: format!("member {}", id.as_u128()),
            member: Some(TeamMember {
                id,
                connected: connected.to_vec(),
                captain: connected.first() == Some(&id),
            }),
            person: Some(id),
            subject: None,
        };
        let events = self.game.apply(seat, &cmd, &ctx).expect("member's command");
        self.log.extend(events.iter().cloned());
        events
    }
}

#[test]
fn a_team_is_ready_when_every_connected_member_is() {
    let mut p = Play::new();
    let (a, b) = team_of_two();
    let both = [a, b];
    let events = p.member(&ru(), a, &both, Command::Ready {});
    assert!(matches!(&events[..], [Event::MemberReady { member, .. }] if *member == a));
    assert!(
        !p.game.ready.contains(&fid("russia")),
        "b has not said Ready"
    );
    // Ready again changes nothing; withdrawn, it is gone; given again, it is back.
    assert!(p.member(&ru(), a, &both, Command::Ready {}).is_empty());
    let events = p.member(&ru(), a, &both, Command::WithdrawReady {});
    assert!(matches!(&events[..], [Event::MemberReadyWithdrawn { .. }]));
    assert!(p
        .member(&ru(), a, &both, Command::WithdrawReady {})
        .is_empty());
    p.member(&ru(), a, &both, Command::Ready {});
    let events = p.member(&ru(), b, &both, Command::Ready {});
    assert!(matches!(
        &events[..],
        [Event::MemberReady { .. }, Event::FactionReady { .. }]
    ));
    assert!(p.game.ready.contains(&fid("russia")));
    // While the phase is open, any member may take the team's Ready back.
    let events = p.member(&ru(), b, &both, Command::WithdrawReady {});
    assert!(matches!(
        &events[..],
        [
            Event::MemberReadyWithdrawn { .. },
            Event::ReadyWithdrawn { .. }
        ]
    ));
    assert!(!p.game.ready.contains(&fid("russia")));
    // With b gone, a alone is the team: a's Ready (already given) makes the team ready.
    let events = p.member(&ru(), a, &[a], Command::Ready {});
    assert!(matches!(&events[..], [Event::FactionReady { .. }]));
    // The others' Ready moves the phase on and clears every mark.
    p.ok(&us(), Command::Ready {});
    p.ok(&csto(), Command::Ready {});
    assert_eq!(p.game.phase, Phase::Negotiation);
    assert!(p.game.members_ready.is_empty() && p.game.ready.is_empty());
    assert_eq!(
        Game::replay(scenario(), &p.log)
            .expect("replays")
            .members_ready,
        p.game.members_ready
    );
}

#[test]
fn under_a_captain_the_captains_ready_is_the_teams() {
    let mut p = Play::with_config(GameConfig {
        team_ready: TeamReady::Captain,
        ..config(SEED)
    });
    let (a, b) = team_of_two();
    let both = [a, b];
    // b is not captain: b's Ready is b's only.
    let events = p.member(&ru(), b, &both, Command::Ready {});
    assert!(matches!(&events[..], [Event::MemberReady { .. }]));
    assert!(!p.game.ready.contains(&fid("russia")));
    // a is: a's Ready is the team's, whoever else is ready.
    p.member(&ru(), b, &both, Command::WithdrawReady {});
    let events = p.member(&ru(), a, &both, Command::Ready {});
    assert!(matches!(
        &events[..],
        [Event::MemberReady { .. }, Event::FactionReady { .. }]
    ));
    // b cannot take the team's Ready back; a can.
    p.member(&ru(), b, &both, Command::Ready {});
    let events = p.member(&ru(), b, &both, Command::WithdrawReady {});
    assert!(matches!(&events[..], [Event::MemberReadyWithdrawn { .. }]));
    assert!(p.game.ready.contains(&fid("russia")));
    let events = p.member(&ru(), a, &both, Command::WithdrawReady {});
    assert!(matches!(
        &events[..],
        [
            Event::MemberReadyWithdrawn { .. },
            Event::ReadyWithdrawn { .. }
        ]
    ));
}

#[test]
fn who_in_a_team_is_ready_is_the_teams_business() {
    let mut p = Play::new();
    let (a, b) = team_of_two();
    let events = p.member(&ru(), a, &[a, b], Command::Ready {});
    for seat in [ru(), Seat::Control] {
        assert!(p.game.event_for(&seat, &events[0]).is_some(), "{seat:?}");
        let v = p.game.view(&seat);
        assert_eq!(v.members_ready[&fid("russia")][0].member, a, "{seat:?}");
    }
    for seat in [us(), csto(), Seat::Observer] {
        assert!(p.game.event_for(&seat, &events[0]).is_none(), "{seat:?}");
        assert!(p.game.view(&seat).members_ready.is_empty(), "{seat:?}");
    }
    // The team's Ready, and its withdrawal, are public.
    let events = p.member(&ru(), b, &[a, b], Command::Ready {});
    assert!(p.game.event_for(&us(), &events[1]).is_some());
    let events = p.member(&ru(), b, &[a, b], Command::WithdrawReady {});
    assert!(p.game.event_for(&us(), &events[1]).is_some());
    assert!(p.game.event_for(&us(), &events[0]).is_none());
}

#[test]
fn chat_refuses_invisible_text_control_characters_and_direction_overrides() {
    let mut p = Play::new();
    let chat = |text: &str| Command::Chat {
        channel: Channel::Plenary,
        text: text.into(),
    };
    for bad in [
        "\u{200B}\u{200D} \u{FEFF}",
        "a\u{0}b",
        "price \u{202E}0001$",
        "x\u{2066}y",
    ] {
        p.err(&ru(), chat(bad), "invalid");
    }
    p.ok(&ru(), chat("Два слова,\nand a tab\there 🙂"));
}

#[test]
fn a_view_carries_the_latest_messages_of_each_channel_and_the_rest_page() {
    let mut p = Play::new();
    let say = |channel: Channel, text: String| Command::Chat { channel, text };
    for i in 1..=250 {
        p.ok(&us(), say(Channel::Plenary, format!("plenary {i}")));
    }
    for i in 1..=3 {
        let team = Channel::Team {
            faction: fid("russia"),
        };
        p.ok(&ru(), say(team, format!("team {i}")));
    }
    let v = p.game.view(&ru());
    let plenary: Vec<u32> = v
        .messages
        .iter()
        .filter(|m| m.channel == Channel::Plenary)
        .map(|m| m.id)
        .collect();
    assert_eq!(
        plenary,
        (51..=250).collect::<Vec<_>>(),
        "the latest 200, in order"
    );
    assert_eq!(
        v.messages
            .iter()
            .filter(|m| m.channel != Channel::Plenary)
            .count(),
        3
    );
    let Some(MessagePage::Here(earlier)) =
        p.game
            .earlier_messages(&ru(), &Channel::Plenary, Some(51), 200)
    else {
        panic!("readable, and held in memory")
    };
    assert_eq!(
        earlier.iter().map(|m| m.id).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>()
    );
    let team = Channel::Team {
        faction: fid("russia"),
    };
    assert!(
        p.game.earlier_messages(&us(), &team, None, 200).is_none(),
        "not US/NATO's to read"
    );
    assert_eq!(
        p.game.earlier_messages(&Seat::Control, &team, None, 200),
        Some(MessagePage::Here(
            p.game
                .messages
                .iter()
                .filter(|m| m.channel == team)
                .cloned()
                .collect()
        ))
    );
}

/// A long chat does not stay in memory: each channel holds its latest messages (at least
/// `KEPT_MESSAGES`, at most twice that), views still carry the latest 200, bots still count
/// what they said in the round, and pages older than memory are read from the log, the same
/// messages as if they had been kept.
#[test]
fn a_long_chat_keeps_only_its_latest_messages_in_memory() {
    let mut p = Play::new();
    let say = |channel: Channel, text: String| Command::Chat { channel, text };
    let team = Channel::Team {
        faction: fid("russia"),
    };
    for i in 1..=2_000u32 {
        p.ok(&us(), say(Channel::Plenary, format!("plenary {i}")));
        if i % 100 == 0 {
            p.ok(&ru(), say(team.clone(), format!("team {i}")));
        }
    }
    let held = |c: &Channel| p.game.messages.iter().filter(|m| m.channel == *c).count();
    let plenary = held(&Channel::Plenary);
    assert!(
        (KEPT_MESSAGES..2 * KEPT_MESSAGES).contains(&plenary),
        "{plenary} plenary messages held"
    );
    assert_eq!(held(&team), 20, "a quiet channel keeps all of its own");
    assert_eq!(p.game.channel_counts[&Channel::Plenary], 2_000);
    assert_eq!(p.game.posted[&(p.game.round, fid("us_nato"))], 2_000);
    let latest: Vec<u32> = p
        .game
        .view(&ru())
        .messages
        .iter()
        .filter(|m| m.channel == Channel::Plenary)
        .map(|m| m.id)
        .collect();
    assert_eq!(latest, (1_801..=2_000).collect::<Vec<_>>());

    // The page before message 1,750 is in memory; the one before 300 is not.
    let Some(MessagePage::Here(recent)) =
        p.game
            .earlier_messages(&ru(), &Channel::Plenary, Some(1_750), 200)
    else {
        panic!("held in memory")
    };
    assert_eq!(
        recent.iter().map(|m| m.id).collect::<Vec<_>>(),
        (1_550..1_750).collect::<Vec<_>>()
    );
    let old = p
        .game
        .earlier_messages(&ru(), &Channel::Plenary, Some(300), 200);
    assert_eq!(old, Some(MessagePage::InLog { before: 300 }));
    let from_log = messages_in_log(&p.log, &Channel::Plenary, 300, 200);
    assert_eq!(
        from_log.iter().map(|m| m.id).collect::<Vec<_>>(),
        (100..300).collect::<Vec<_>>()
    );
    assert_eq!(from_log[0].text, "plenary 100");
    // The right to read is checked before the log is: Russia's team channel, long enough
    // that its old pages are in the log, is not US/NATO's to read.
    for i in 1..=600u32 {
        p.ok(&ru(), say(team.clone(), format!("more {i}")));
    }
    assert!(p.game.dropped_through.contains_key(&team));
    assert!(p
        .game
        .earlier_messages(&us(), &team, Some(5), 200)
        .is_none());
    assert_eq!(
        p.game.earlier_messages(&ru(), &team, Some(5), 200),
        Some(MessagePage::InLog { before: 5 })
    );
    // Replaying the log gives the same state as playing it.
    let replayed = Game::replay(scenario(), &p.log).expect("replay");
    assert!(replayed == p.game, "replay differs");
}

#[test]
fn control_chooses_in_the_lobby_when_the_game_starts() {
    let mut p = Play::with_config(GameConfig {
        start: StartMode::Lobby,
        ..config(SEED)
    });
    p.err(
        &ru(),
        Command::SetStart {
            start: StartMode::WhenSeated,
        },
        "control_only",
    );
    p.err(
        &Seat::Control,
        Command::SetStart {
            start: StartMode::Now,
        },
        "invalid",
    );
    let events = p.ok(
        &Seat::Control,
        Command::SetStart {
            start: StartMode::WhenSeated,
        },
    );
    assert_eq!(
        events,
        vec![Event::StartSet {
            start: StartMode::WhenSeated
        }]
    );
    assert_eq!(p.game.view(&ru()).start, StartMode::WhenSeated);
    // Again: nothing new.
    assert!(p
        .ok(
            &Seat::Control,
            Command::SetStart {
                start: StartMode::WhenSeated
            }
        )
        .is_empty());
    p.ok(
        &Seat::Control,
        Command::SetStart {
            start: StartMode::Lobby,
        },
    );
    p.ok(&Seat::Control, Command::Start {});
    p.err(
        &Seat::Control,
        Command::SetStart {
            start: StartMode::WhenSeated,
        },
        "wrong_phase",
    );
    assert_eq!(
        Game::replay(scenario(), &p.log)
            .expect("replays")
            .config
            .start,
        StartMode::Lobby
    );
}

#[test]
fn ready_is_withdrawn_only_by_a_faction_and_not_in_the_lobby() {
    let mut p = Play::with_config(GameConfig {
        start: StartMode::Lobby,
        ..config(SEED)
    });
    p.err(&ru(), Command::WithdrawReady {}, "wrong_phase");
    p.ok(&Seat::Control, Command::Start {});
    p.err(
        &Seat::Control,
        Command::WithdrawReady {},
        "not_your_faction",
    );
    p.err(
        &Seat::Observer,
        Command::WithdrawReady {},
        "not_your_faction",
    );
    // A one-person faction withdraws its own Ready.
    p.ok(&ru(), Command::Ready {});
    let events = p.ok(&ru(), Command::WithdrawReady {});
    assert!(matches!(&events[..], [Event::ReadyWithdrawn { .. }]));
}

#[test]
fn pause_resume_and_extend_deadlines() {
    let mut p = Play::new();
    assert_eq!(p.game.deadline_at, Some(T0 + 120_000));
    p.now = T0 + 20_000;
    let events = p.ok(&Seat::Control, Command::Pause {});
    assert_eq!(
        events,
        vec![Event::Paused {
            remaining_ms: Some(100_000)
        }]
    );
    assert!(p.game.paused);
    assert_eq!(p.game.deadline_at, None);
    // The clock does not run while paused.
    p.now = T0 + 500_000;
    assert!(p.ok(&Seat::System, Command::Tick {}).is_empty());
    assert_eq!(p.game.phase, Phase::Briefing);
    p.now = T0 + 600_000;
    p.ok(&Seat::Control, Command::Resume {});
    assert!(!p.game.paused);
    assert_eq!(p.game.deadline_at, Some(T0 + 700_000));
    p.ok(&Seat::Control, Command::ExtendDeadline { seconds: 60 });
    assert_eq!(p.game.deadline_at, Some(T0 + 760_000));
    // Extending a deadline that has passed counts from now.
    p.now = T0 + 900_000;
    p.ok(&Seat::Control, Command::ExtendDeadline { seconds: 30 });
    assert_eq!(p.game.deadline_at, Some(T0 + 930_000));
}

#[test]
fn tick_advances_only_after_the_deadline() {
    let mut p = Play::new();
    p.now = T0 + 119_999;
    assert!(p.ok(&Seat::System, Command::Tick {}).is_empty());
    assert_eq!(p.game.phase, Phase::Briefing);
    p.now = T0 + 120_000;
    let events = p.ok(&Seat::System, Command::Tick {});
    assert!(
        matches!(
            events.as_slice(),
            [Event::PhaseChanged {
                round: 0,
                phase: Phase::Negotiation,
                deadline_at: Some(d),
                ..
            }] if *d == T0 + 120_000 + 900_000
        ),
        "{events:?}"
    );
    assert_eq!(p.game.deadline_at, Some(T0 + 1_020_000));
    // A second tick at the same moment does nothing.
    assert!(p.ok(&Seat::System, Command::Tick {}).is_empty());
    // Through negotiation and orders by the clock alone: adjudication happens.
    p.now = T0 + 1_020_000;
    p.ok(&Seat::System, Command::Tick {});
    assert_eq!(p.game.phase, Phase::Orders);
    p.now += 300_000;
    p.ok(&Seat::System, Command::Tick {});
    assert_eq!(p.game.phase, Phase::Review);
    assert_eq!(p.game.reports.len(), 1);
}

#[test]
fn resume_after_advancing_while_paused_arms_the_new_phases_deadline() {
    let mut p = Play::new();
    p.now = T0 + 100_000;
    p.ok(&Seat::Control, Command::Pause {}); // 20 s of the briefing left
    p.advance(); // to negotiation, still paused: no deadline
    assert_eq!(p.game.phase, Phase::Negotiation);
    assert_eq!(p.game.deadline_at, None);
    p.now = T0 + 200_000;
    p.ok(&Seat::Control, Command::Resume {});
    // The negotiation phase has 900 s, not the 20 s left of the briefing.
    assert_eq!(p.game.deadline_at, Some(T0 + 200_000 + 900_000));
}

#[test]
fn readiness_does_not_advance_a_paused_game_until_it_resumes() {
    let mut p = Play::new();
    p.ok(&Seat::Control, Command::Pause {});
    for s in faction_seats() {
        p.ok(&s, Command::Ready {});
    }
    assert_eq!(p.game.phase, Phase::Briefing);
    let events = p.ok(&Seat::Control, Command::Resume {});
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::PhaseChanged {
                phase: Phase::Negotiation,
                ..
            }
        )),
        "{events:?}"
    );
    assert_eq!(p.game.phase, Phase::Negotiation);
}

#[test]
fn a_full_adjudication_explains_every_index() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    sign(
        &mut p,
        &ru(),
        &us(),
        terms(
            "Data accord",
            &["russia", "us_nato"],
            vec![
                clause("data_exchange", "russia"),
                clause("joint_centre", "us_nato"),
            ],
        ),
    );
    p.to(Phase::Orders);
    p.ok(&us(), order("deveselu", 1));
    p.ok(&us(), order("nato_infrastructure", 1)); // build_rounds = 0: completes now
    p.ok(&ru(), order("penetration_aids", 1));
    p.ok(&ru(), order("voronezh_kaliningrad", 1));
    p.ok(&csto(), order("crrf_exercise", 1));
    let tension_before = p.game.var("tension");
    let events = p.advance();
    let [Event::Adjudicated { report, core }, Event::PhaseChanged {
        phase: Phase::Review,
        ..
    }] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(report.round, 0);
    assert_eq!(report.label, "2013");
    assert_eq!(**core, p.game.core);
    // Every explained number has its working.
    for e in report.public.indices.all() {
        check_explained("public", e);
    }
    check_explained("public tension", &report.public.tension);
    for e in report.control.technical.all() {
        check_explained("technical", e);
    }
    assert_eq!(report.factions.len(), 3);
    for (f, r) in &report.factions {
        for e in r.indices.all() {
            check_explained(&format!("{f}"), e);
        }
        assert_eq!(r.indices.perspective, Perspective::Faction(f.clone()));
        within(&format!("{f} round score"), r.score.round_score, 0.0, 100.0);
        assert!(!r.score.objectives.is_empty());
        assert!(!r.score.formula.is_empty());
        assert!(r.score.source.contains("model.md"), "{}", r.score.source);
        for o in &r.score.objectives {
            within(&format!("{f} objective {}", o.id), o.value, 0.0, 1.0);
            assert!(!o.formula.is_empty());
        }
    }
    check_indices("public", &report.public.indices);
    check_indices("technical", &report.control.technical);
    // Orders revealed: the covert one only to its owner and Control.
    assert_eq!(report.control.orders.len(), 5);
    assert_eq!(report.public.orders.len(), 4);
    assert!(report.public.orders.iter().all(|o| !o.covert));
    assert!(report.factions[&fid("russia")]
        .orders
        .iter()
        .any(|o| o.action.as_str() == "penetration_aids"));
    // The infrastructure step and the CRRF exercise completed at once and moved tension.
    assert!(report
        .public
        .completed
        .iter()
        .any(|o| o.action.as_str() == "nato_infrastructure"));
    assert_eq!(p.game.var("nato_infrastructure"), 1.0);
    assert_ne!(p.game.var("tension"), tension_before);
    assert!(!report.public.changes.is_empty());
    // Agreements in force moved trust.
    assert!(report
        .public
        .changes
        .iter()
        .any(|c| c.var.as_str() == "trust"));
    // Builds under way are kept for later rounds.
    assert!(p
        .game
        .core
        .builds
        .iter()
        .any(|b| b.action.as_str() == "deveselu" && b.due_round == 3));
    // Scores recorded.
    for f in faction_seats() {
        let f = f.faction().unwrap().clone();
        assert_eq!(p.game.core.score_history[&f].len(), 1);
    }
    // The next round refills resources.
    let budget = p.game.core.purses[&fid("us_nato")].budget;
    p.next_round();
    assert_eq!(p.game.round, 1);
    assert_eq!(
        p.game.core.purses[&fid("us_nato")].budget,
        (budget + 10.0).min(20.0)
    );
}

#[test]
fn the_game_ends_after_the_last_round() {
    let mut p = Play::new();
    for _ in 0..7 {
        p.next_round();
    }
    assert_eq!(p.game.round, 7);
    p.to(Phase::Review);
    let events = p.advance();
    assert_eq!(
        events,
        vec![Event::GameEnded {
            ending: Ending::LastRound
        }]
    );
    assert!(p.game.ended());
    assert_eq!(p.game.reports.len(), 8);
    assert_eq!(Game::replay(scenario(), &p.log).unwrap(), p.game);
}

#[test]
fn control_can_switch_scheduled_events_and_inject_others() {
    let mut p = Play::new();
    p.ok(
        &Seat::Control,
        Command::SetScheduledEvent {
            event: EventId::from("ukraine_crisis"),
            enabled: false,
        },
    );
    let trust = p.game.var("trust");
    let events = p.ok(
        &Seat::Control,
        Command::InjectEvent {
            event: EventId::from("snap_exercise"),
        },
    );
    assert!(matches!(&events[0], Event::EventInjected { fired, .. } if fired.injected));
    assert_eq!(p.game.var("trust"), trust);
    p.next_round();
    assert!(!p
        .game
        .briefings
        .iter()
        .any(|(_, f)| f.id.as_str() == "ukraine_crisis"));
    assert!(p
        .game
        .briefings
        .iter()
        .any(|(r, f)| *r == 1 && f.id.as_str() == "isaf_drawdown"));
    // Observers do not learn which scheduled events Control switched.
    let ev = Event::ScheduledEventSet {
        event: EventId::from("ukraine_crisis"),
        enabled: false,
    };
    assert!(p.game.event_for(&Seat::Observer, &ev).is_none());
    assert!(p.game.event_for(&ru(), &ev).is_none());
    assert!(p.game.event_for(&Seat::Control, &ev).is_some());
}

#[test]
fn tension_at_the_threshold_ends_the_game_in_crisis() {
    let mut p = Play::new();
    p.ok(
        &Seat::Control,
        Command::Override {
            var: VarId::from("tension"),
            value: 84.0,
            reason: "scenario injects a war scare".into(),
        },
    );
    p.to(Phase::Orders);
    p.ok(&us(), order("nato_infrastructure", 1)); // +6 tension at this adjudication
    let events = p.advance();
    let Some(Event::GameEnded {
        ending: Ending::Crisis { tension },
    }) = events.last()
    else {
        panic!("{events:?}");
    };
    assert!(*tension >= scenario().crisis_threshold, "{tension}");
    assert!(p.game.ended());
    let report = &p.game.reports[0];
    assert!(report.public.crisis);
    for r in report.factions.values() {
        assert!(r.score.penalty > 0.0);
    }
    p.err(&Seat::Control, Command::AdvancePhase {}, "game_ended");
}

fn var_for(game: &Game, seat: &Seat, var: &str) -> f64 {
    game.view(seat).vars[&VarId::from(var)]
}

#[test]
fn private_variables_are_known_to_their_owner_until_revealed() {
    let mut p = Play::new();
    p.ok(
        &Seat::Control,
        Command::Override {
            var: VarId::from("ru_survival"),
            value: 0.3,
            reason: "exercise: Russia disperses its forces".into(),
        },
    );
    let initial = 0.18;
    assert_eq!(var_for(&p.game, &ru(), "ru_survival"), 0.3);
    assert_eq!(var_for(&p.game, &Seat::Control, "ru_survival"), 0.3);
    for seat in [us(), csto(), Seat::Observer] {
        assert_eq!(var_for(&p.game, &seat, "ru_survival"), initial, "{seat:?}");
    }
    // Overrides of a private variable are not announced to those who cannot see it.
    let last = p.log.last().unwrap();
    assert!(p.game.event_for(&us(), last).is_none());
    assert!(p.game.event_for(&Seat::Observer, last).is_none());
    assert!(p.game.event_for(&ru(), last).is_some());
    // A leak tells everyone.
    p.ok(
        &Seat::Control,
        Command::InjectEvent {
            event: EventId::from("intelligence_leak_russia"),
        },
    );
    for seat in [us(), csto(), Seat::Observer] {
        assert_eq!(var_for(&p.game, &seat, "ru_survival"), 0.3, "{seat:?}");
    }
}

#[test]
fn transparency_reveals_private_variables_to_the_parties_only() {
    let mut p = Play::new();
    p.ok(
        &Seat::Control,
        Command::Override {
            var: VarId::from("ru_decoys"),
            value: 3.0,
            reason: "Russia fits more decoys".into(),
        },
    );
    p.to(Phase::Negotiation);
    // Inspections between Russia and the CSTO (the data exchange is NATO–Russia's).
    let mut t = terms(
        "Data accord",
        &["russia", "csto"],
        vec![clause("inspections", "russia")],
    );
    t.public = false;
    sign(&mut p, &csto(), &ru(), t);
    p.to(Phase::Review);
    assert_eq!(var_for(&p.game, &csto(), "ru_decoys"), 3.0);
    assert_eq!(var_for(&p.game, &us(), "ru_decoys"), 1.0);
    assert_eq!(var_for(&p.game, &Seat::Observer, "ru_decoys"), 1.0);
    // US/NATO does not see the private agreement.
    assert!(p.game.view(&us()).agreements.is_empty());
    assert_eq!(p.game.view(&csto()).agreements.len(), 1);
}

#[test]
fn after_the_end_everyone_sees_everything() {
    let mut p = Play::new();
    p.ok(
        &ru(),
        chat(
            Channel::Team {
                faction: fid("russia"),
            },
            "our plan",
        ),
    );
    p.ok(
        &Seat::Control,
        Command::Override {
            var: VarId::from("ru_survival"),
            value: 0.3,
            reason: "test".into(),
        },
    );
    p.to(Phase::Review);
    assert!(p.game.view(&Seat::Observer).reports[0].control.is_none());
    p.ok(
        &Seat::Control,
        Command::EndGame {
            note: "time".into(),
        },
    );
    let v = p.game.view(&Seat::Observer);
    assert!(v.messages.iter().any(|m| m.text == "our plan"));
    assert_eq!(v.vars[&VarId::from("ru_survival")], 0.3);
    assert_eq!(v.overrides.len(), 1);
    assert!(v.reports[0].control.is_some());
    assert_eq!(v.reports[0].factions.len(), 3);
    assert_eq!(v.scores.len(), 3);
}

#[test]
fn replay_refuses_another_version_of_the_scenario() {
    let p = Play::new();
    assert!(Game::replay(scenario(), &p.log).unwrap() == p.game);
    let mut changed = (*scenario()).clone();
    changed.model.parameters[0].value += 0.01;
    changed.prepare();
    let e = Game::replay(Arc::new(changed), &p.log).unwrap_err();
    assert_eq!(e.code(), "invalid");
    assert!(e.to_string().contains("different version"), "{e}");
}

#[test]
fn a_clause_needs_the_factions_it_concerns_among_the_parties() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    // The NATO–Russia joint centre between Russia and the CSTO: refused, naming the clause and
    // the missing party.
    let e = p.err(
        &ru(),
        propose(
            "Eastern accord",
            &["russia", "csto"],
            vec![clause("joint_centre", "russia")],
        ),
        "malformed_clause",
    );
    let msg = e.to_string();
    assert!(msg.contains("clause 1"), "{msg}");
    assert!(msg.contains("Joint data-fusion centre"), "{msg}");
    assert!(msg.contains("needs US/NATO"), "{msg}");
    // CSTO–NATO cooperation on Afghanistan without NATO, and a guarantee to Russia that Russia
    // does not sign: refused too.
    let e = p.err(
        &ru(),
        propose(
            "Border accord",
            &["russia", "csto"],
            vec![clause("afghanistan_cooperation", "csto")],
        ),
        "malformed_clause",
    );
    assert!(e.to_string().contains("needs US/NATO"), "{e}");
    let e = p.err(
        &us(),
        propose(
            "Assurance",
            &["us_nato", "csto"],
            vec![clause("political_guarantee", "us_nato")],
        ),
        "malformed_clause",
    );
    assert!(e.to_string().contains("needs Russia"), "{e}");
    // With every faction it concerns among the parties, the same clause is fine.
    p.ok(
        &ru(),
        propose(
            "Lisbon accord",
            &["russia", "us_nato"],
            vec![clause("joint_centre", "russia")],
        ),
    );
    p.ok(
        &csto(),
        propose(
            "Panj accord",
            &["csto", "russia", "us_nato"],
            vec![clause("afghanistan_cooperation", "csto")],
        ),
    );
}

#[test]
fn an_agreement_for_n_rounds_is_read_by_the_model_at_n_adjudications() {
    // A one-round political guarantee signed in 2013 counts at the 2013 adjudication (and
    // only there); a two-round one at 2013 and 2014.
    for rounds in [1u32, 2] {
        let mut p = Play::new();
        p.to(Phase::Negotiation);
        let mut t = terms(
            "Assurance",
            &["russia", "us_nato"],
            vec![clause("political_guarantee", "us_nato")],
        );
        t.duration_rounds = rounds;
        sign(&mut p, &us(), &ru(), t);
        for r in 0..3u32 {
            p.to(Phase::Review);
            let report = &p.game.reports[r as usize];
            let credit = report.control.technical.guarantee_credit.value;
            let g = report.control.technical.guarantee_credit.inputs[0].value;
            if r < rounds {
                assert!(
                    credit > 0.0,
                    "round {r} of a {rounds}-round agreement: G = 0"
                );
                assert_eq!(g, 1.0, "round {r}: the guarantee is not read as in force");
            } else {
                assert_eq!(
                    credit, 0.0,
                    "round {r}, after a {rounds}-round agreement: G > 0"
                );
            }
            let expired = report
                .control
                .agreements
                .iter()
                .any(|n| n.note.contains("expired"));
            assert_eq!(expired, r + 1 == rounds, "round {r}: expiry note");
            p.next_round();
        }
    }
}

/// The worked example in docs/model.md is the engine's own arithmetic: every number in its
/// summary table matches the engine to the precision it is printed with.
#[test]
fn worked_example_matches_the_engine() {
    use super::model::{compute, ModelVars, Params, Perspective};
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/model.md");
    let doc = std::fs::read_to_string(&path).expect("docs/model.md");
    let table = doc
        .split("### Summary of the example")
        .nth(1)
        .and_then(|t| t.split("###").next())
        .expect("the summary table");
    let s = scenario();
    let params = Params::resolve(&s, None).unwrap();
    let initial: Vec<f64> = s.variables.iter().map(|v| v.initial).collect();
    let vars = ModelVars {
        scenario: &s,
        values: &initial,
    };
    let values =
        |p: Perspective| serde_json::to_value(compute(&s, &params, &vars, &p).values).unwrap();
    let technical = values(Perspective::Technical);
    let russia = values(Perspective::Faction(fid("russia")));
    let mut rows = 0;
    for line in table.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | name | `field` | technical | russia |
        let Some(field) = cells
            .get(2)
            .and_then(|c| c.strip_prefix('`')?.strip_suffix('`'))
        else {
            continue;
        };
        for (cell, got) in [(cells[3], &technical), (cells[4], &russia)] {
            let printed: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{field}: \"{cell}\" is not a number"));
            let decimals = cell.split('.').nth(1).map_or(0, str::len) as i32;
            let tolerance = 0.5 * 10f64.powi(-decimals) + 1e-12;
            let engine = got[field]
                .as_f64()
                .unwrap_or_else(|| panic!("the engine's values have no field {field}"));
            assert!(
                (engine - printed).abs() <= tolerance,
                "docs/model.md says {field} = {printed}, the engine computes {engine}"
            );
        }
        rows += 1;
    }
    assert!(rows >= 20, "only {rows} rows read from the summary table");
}

// ---------------------------------------------------------------------------------------------
// 3. Breaches
// ---------------------------------------------------------------------------------------------

/// Russia promises no Iskander in Kaliningrad (with or without inspections) and then orders one.
fn iskander_breach(seed: u64, inspections: bool, public: bool) -> Play {
    let mut p = Play::with_seed(seed);
    p.to(Phase::Negotiation);
    let mut clauses = vec![forbid(
        "no_iskander_kaliningrad",
        "russia",
        "iskander_kaliningrad",
    )];
    if inspections {
        clauses.push(clause("inspections", "russia"));
    }
    let mut t = terms("Kaliningrad accord", &["russia", "us_nato"], clauses);
    t.public = public;
    let a = sign(&mut p, &us(), &ru(), t);
    assert_eq!(a.status, AgreementStatus::InForce);
    p.to(Phase::Orders);
    // The engine warns before the order but allows it: states can cheat.
    let warnings = p
        .game
        .would_breach(&fid("russia"), &ActionId::from("iskander_kaliningrad"));
    assert_eq!(
        warnings,
        vec!["clause 1 of the Kaliningrad accord".to_string()]
    );
    assert!(p
        .game
        .view(&ru())
        .order_warnings
        .contains_key(&ActionId::from("iskander_kaliningrad")));
    assert!(p.game.view(&us()).order_warnings.is_empty());
    // Without confirmation the order is refused, naming the agreement and the clause; with it,
    // it is placed.
    let e = p.err(
        &ru(),
        Command::SubmitOrder {
            action: ActionId::from("iskander_kaliningrad"),
            quantity: 1,
            confirm_breach: false,
        },
        "would_breach",
    );
    assert!(
        e.to_string().contains("clause 1 of the Kaliningrad accord")
            && e.to_string().contains("confirm_breach"),
        "{e}"
    );
    p.ok(&ru(), order("iskander_kaliningrad", 1));
    p
}

#[test]
fn a_breach_under_inspections_is_detected_and_breaks_the_agreement() {
    let mut p = iskander_breach(SEED, true, true);
    let capital = p.game.core.purses[&fid("russia")].capital;
    let trust = p.game.var("trust");
    p.advance();
    let report = &p.game.reports[0];
    let [b] = report.control.breaches.as_slice() else {
        panic!("{:?}", report.control.breaches);
    };
    assert_eq!(b.by, fid("russia"));
    assert_eq!(b.agreement, p.game.core.agreements[0].id);
    assert_eq!(b.clause, 1);
    assert_eq!(b.agreement_title, "Kaliningrad accord");
    assert_eq!(b.detection_probability, 1.0);
    assert!(b.detected);
    assert_eq!(
        p.game.core.agreements[0].status,
        AgreementStatus::Broken {
            by: fid("russia"),
            round: 0
        }
    );
    // A public agreement's detected breach is public; everyone's report lists it.
    assert_eq!(report.public.breaches.len(), 1);
    for f in ["russia", "us_nato", "csto"] {
        let n = report.factions[&fid(f)].breaches.len();
        assert_eq!(n, if f == "csto" { 0 } else { 1 }, "{f}");
    }
    assert!(report
        .control
        .rolls
        .iter()
        .any(|r| r.contains("detection") && r.contains("detected")));
    // The breaker pays.
    let breach_capital = p.game.params.get("breach_capital");
    assert_eq!(
        p.game.core.purses[&fid("russia")].capital,
        (capital - breach_capital).max(0.0)
    );
    assert!(p.game.var("trust") < trust);
    assert!(report
        .public
        .changes
        .iter()
        .any(|c| c.cause.contains("detected breach")));
    // A broken agreement binds no more.
    assert!(p
        .game
        .would_breach(&fid("russia"), &ActionId::from("iskander_kaliningrad"))
        .is_empty());
}

#[test]
fn a_breach_without_inspections_is_listed_for_control_and_may_go_unseen() {
    let detect_base = scenario()
        .model
        .parameters
        .iter()
        .find(|x| x.id.as_str() == "detect_base")
        .unwrap()
        .value;
    let (mut detected, mut unseen) = (0, 0);
    for seed in 0..16 {
        let mut p = iskander_breach(seed, false, true);
        p.advance();
        let report = &p.game.reports[0];
        let [b] = report.control.breaches.as_slice() else {
            panic!("seed {seed}: {:?}", report.control.breaches);
        };
        assert_eq!(b.detection_probability, detect_base);
        let status = &p.game.core.agreements[0].status;
        if b.detected {
            detected += 1;
            assert!(
                matches!(status, AgreementStatus::Broken { .. }),
                "{status:?}"
            );
            assert_eq!(report.public.breaches.len(), 1);
        } else {
            unseen += 1;
            // Undetected: still in force, and only the breaker and Control know.
            assert_eq!(*status, AgreementStatus::InForce);
            assert!(report.public.breaches.is_empty());
            assert!(report.factions[&fid("us_nato")].breaches.is_empty());
            assert_eq!(report.factions[&fid("russia")].breaches.len(), 1);
        }
    }
    assert!(
        detected > 0 && unseen > 0,
        "{detected} detected, {unseen} unseen"
    );
}

#[test]
fn a_private_agreements_breach_is_not_public() {
    let mut p = iskander_breach(SEED, true, false);
    p.advance();
    let report = &p.game.reports[0];
    assert_eq!(report.control.breaches.len(), 1);
    assert!(report.control.breaches[0].detected);
    assert!(report.public.breaches.is_empty());
    assert!(report.factions[&fid("csto")].breaches.is_empty());
    assert_eq!(report.factions[&fid("us_nato")].breaches.len(), 1);
}

#[test]
fn exceeding_a_cap_is_a_breach() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    sign(
        &mut p,
        &ru(),
        &us(),
        terms(
            "Ship cap",
            &["russia", "us_nato"],
            vec![
                cap("cap_interceptors", "us_nato", "aegis_ships_med", Some(1.0)),
                clause("inspections", "russia"),
            ],
        ),
    );
    p.to(Phase::Orders);
    assert!(!p
        .game
        .would_breach(&fid("us_nato"), &ActionId::from("aegis_ship_med"))
        .is_empty());
    p.ok(&us(), order("aegis_ship_med", 1));
    p.next_round(); // the ship arrives at the next adjudication
    p.to(Phase::Review);
    let report = &p.game.reports[1];
    let [b] = report.control.breaches.as_slice() else {
        panic!("{:?}", report.control.breaches);
    };
    assert_eq!(b.by, fid("us_nato"));
    assert!(b.detected);
    assert!(b.what.contains("aegis_ships_med"), "{}", b.what);
}

#[test]
fn a_private_agreements_title_stays_private() {
    let mut p = Play::new();
    p.to(Phase::Negotiation);
    let mut t = terms(
        "SECRET-CHANNEL-ACCORD",
        &["russia", "us_nato"],
        vec![clause("joint_centre", "us_nato")],
    );
    t.public = false;
    sign(&mut p, &ru(), &us(), t);
    p.to(Phase::Review);
    for seat in [csto(), Seat::Observer] {
        let view = serde_json::to_string(&p.game.view(&seat)).unwrap();
        if let Some(i) = view.find("SECRET-CHANNEL-ACCORD") {
            let context = &view[i.saturating_sub(120)..(i + 40).min(view.len())];
            panic!("{seat:?} learns the private agreement's title: …{context}…");
        }
        for e in &p.log {
            if let Some(se) = p.game.event_for(&seat, e) {
                let json = serde_json::to_string(&se).unwrap();
                assert!(
                    !json.contains("SECRET-CHANNEL-ACCORD"),
                    "{seat:?} learns the private agreement's title from {json}"
                );
            }
        }
    }
}

#[test]
fn a_private_agreements_breach_leaves_no_title_in_public_changes() {
    let mut p = iskander_breach(SEED, true, false);
    p.advance();
    let report = &p.game.reports[0];
    assert!(report.control.breaches[0].detected);
    for c in &report.public.changes {
        assert!(
            !c.cause.contains("Kaliningrad accord"),
            "public change of {} caused by \"{}\"",
            c.var,
            c.cause
        );
    }
    for c in &report.factions[&fid("csto")].changes {
        assert!(!c.cause.contains("Kaliningrad accord"), "{}", c.cause);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Properties over random command sequences
// ---------------------------------------------------------------------------------------------

/// One step of a random session: who acts, what they send, and how much time passed before.
#[derive(Clone, Debug)]
struct Step {
    seat: Seat,
    cmd: Command,
    dt_ms: i64,
}

/// Placeholder replaced by a marker unique to the step, so leaks can be found by substring.
const MARK: &str = "@";

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Known ids (mostly) and garbage (sometimes).
fn id_of(known: Vec<String>, garbage: &[&str]) -> BoxedStrategy<String> {
    prop_oneof![
        9 => prop::sample::select(known),
        1 => prop::sample::select(strings(garbage)),
    ]
    .boxed()
}

fn faction_id() -> BoxedStrategy<FactionId> {
    id_of(
        strings(&["russia", "us_nato", "csto"]),
        &["nato", "", "Russia", "russiaa"],
    )
    .prop_map(FactionId::from)
    .boxed()
}

fn action_id() -> BoxedStrategy<ActionId> {
    let known = scenario()
        .actions
        .iter()
        .map(|a| a.id.as_str().to_owned())
        .collect();
    id_of(known, &["iskander", "deveselu2", "", "launch_everything"])
        .prop_map(ActionId::from)
        .boxed()
}

fn var_id() -> BoxedStrategy<VarId> {
    let known = scenario()
        .variables
        .iter()
        .map(|v| v.id.as_str().to_owned())
        .collect();
    id_of(known, &["tenson", "", "score"])
        .prop_map(VarId::from)
        .boxed()
}

fn event_id() -> BoxedStrategy<EventId> {
    let known = scenario()
        .events
        .iter()
        .map(|e| e.id.as_str().to_owned())
        .collect();
    id_of(known, &["armageddon", "ukraine"])
        .prop_map(EventId::from)
        .boxed()
}

fn clause_kind_id() -> BoxedStrategy<ClauseKindId> {
    let known = scenario()
        .clause_kinds
        .iter()
        .map(|k| k.id.as_str().to_owned())
        .collect();
    id_of(known, &["no_anything", "peace"])
        .prop_map(ClauseKindId::from)
        .boxed()
}

fn number() -> BoxedStrategy<f64> {
    prop_oneof![
        4 => 0.0..3.0f64,
        2 => -10.0..3000.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-1.0),
    ]
    .boxed()
}

fn text(max_ok: usize) -> BoxedStrategy<String> {
    prop_oneof![
        12 => Just(MARK.to_string()),
        1 => Just(String::new()),
        1 => Just("  \n ".to_string()),
        1 => Just("x".repeat(max_ok + 1)),
    ]
    .boxed()
}

fn channel() -> BoxedStrategy<Channel> {
    prop_oneof![
        2 => Just(Channel::Plenary),
        3 => (faction_id(), faction_id()).prop_map(|(a, b)| Channel::Bilateral { factions: [a, b] }),
        3 => faction_id().prop_map(|faction| Channel::Team { faction }),
        2 => faction_id().prop_map(|faction| Channel::Control { faction }),
    ]
    .boxed()
}

/// Clauses that are well formed when their bound party is a party.
fn good_clauses() -> Vec<Clause> {
    vec![
        forbid("no_iskander_kaliningrad", "russia", "iskander_kaliningrad"),
        forbid("no_sm3_iib", "us_nato", "field_sm3_iib"),
        forbid("no_nato_infrastructure", "us_nato", "nato_infrastructure"),
        forbid("no_systems_belarus", "csto", "host_russian_systems_belarus"),
        forbid("forbid_action", "russia", "penetration_aids"),
        forbid("forbid_action", "csto", "crrf_exercise"),
        cap("cap_iskander", "russia", "iskander_kaliningrad", Some(1.0)),
        cap("cap_interceptors", "us_nato", "aegis_ships_med", Some(1.0)),
        cap("cap_warheads", "russia", "ru_warheads", Some(1500.0)),
        clause("political_guarantee", "us_nato"),
        clause("legal_guarantee", "us_nato"),
        clause("data_exchange", "russia"),
        clause("data_exchange", "us_nato"),
        clause("burnout_transparency", "us_nato"),
        clause("inspections", "russia"),
        clause("inspections", "csto"),
        clause("joint_centre", "us_nato"),
        clause("afghanistan_cooperation", "csto"),
        clause("afghanistan_cooperation", "us_nato"),
        transfer("us_nato", "russia", 2.0),
        transfer("russia", "csto", 1.0),
        transfer("us_nato", "csto", 3.0),
    ]
}

/// A clause with random fields: mostly malformed.
fn random_clause() -> BoxedStrategy<Clause> {
    (
        clause_kind_id(),
        faction_id(),
        prop::option::of(action_id()),
        prop::option::of(var_id()),
        prop::option::of(number()),
        prop::option::of(faction_id()),
        prop::option::of(number()),
    )
        .prop_map(|(kind, by, action, var, max, to, amount)| Clause {
            kind,
            by,
            action,
            var,
            max,
            to,
            amount,
        })
        .boxed()
}

/// Clauses for a proposal among `parties`: mostly well formed for them, sometimes not.
fn clauses_for(parties: &[FactionId]) -> BoxedStrategy<Vec<Clause>> {
    let mut fitting: Vec<Clause> = good_clauses()
        .into_iter()
        .filter(|c| parties.contains(&c.by) && c.to.as_ref().is_none_or(|t| parties.contains(t)))
        .collect();
    if fitting.is_empty() {
        fitting = good_clauses();
    }
    let clause = prop_oneof![
        6 => prop::sample::select(fitting),
        1 => prop::sample::select(good_clauses()),
        1 => random_clause(),
    ];
    prop_oneof![
        8 => prop::collection::vec(clause, 1..4),
        1 => Just(Vec::new()),
    ]
    .boxed()
}

/// Parties of a proposal by `proposer`: mostly a plausible set that includes it.
fn parties(proposer: Option<FactionId>) -> BoxedStrategy<Vec<FactionId>> {
    let sets: Vec<Vec<FactionId>> = [
        vec!["russia", "us_nato"],
        vec!["russia", "csto"],
        vec!["us_nato", "csto"],
        vec!["russia", "us_nato", "csto"],
        vec!["us_nato", "russia", "us_nato"],
    ]
    .iter()
    .map(|s| s.iter().map(|f| fid(f)).collect::<Vec<_>>())
    .collect();
    let mine: Vec<Vec<FactionId>> = match &proposer {
        Some(f) => sets.iter().filter(|s| s.contains(f)).cloned().collect(),
        None => sets.clone(),
    };
    prop_oneof![
        8 => prop::sample::select(mine),
        2 => prop::sample::select(sets),
        1 => prop::collection::vec(faction_id(), 0..4),
    ]
    .boxed()
}

fn terms_strategy(proposer: Option<FactionId>) -> BoxedStrategy<Terms> {
    parties(proposer)
        .prop_flat_map(|parties| {
            (
                text(200),
                Just(parties.clone()),
                clauses_for(&parties),
                prop_oneof![8 => 1..=8u32, 1 => Just(0u32), 1 => Just(9u32)],
                prop::bool::weighted(0.6),
            )
        })
        .prop_map(|(title, parties, clauses, duration_rounds, public)| Terms {
            title,
            parties,
            clauses,
            duration_rounds,
            public,
        })
        .boxed()
}

/// Ids from `RECENT` up stand for "the latest proposal (or order) but k" and are resolved
/// against the game when the step is played (see [`resolve`]), so that answers often reach a
/// proposal that exists.
const RECENT: u32 = 1_000_000;

fn proposal_id() -> BoxedStrategy<u32> {
    prop_oneof![
        6 => RECENT..=RECENT + 2,
        3 => 1..=6u32,
        1 => Just(0u32),
        1 => Just(999u32),
    ]
    .boxed()
}

fn order_id() -> BoxedStrategy<u32> {
    prop_oneof![
        5 => RECENT..=RECENT + 3,
        3 => 1..=12u32,
        1 => Just(0u32),
        1 => Just(999u32),
    ]
    .boxed()
}

/// Resolves the relative ids of a step against the game.
fn resolve(game: &Game, seat: &Seat, mut cmd: Command) -> Command {
    let n = game.proposals.len();
    let latest_order = seat
        .faction()
        .and_then(|f| game.orders.get(f))
        .and_then(|os| os.iter().map(|o| o.id).max())
        .unwrap_or(0);
    let rel = |id: &mut u32, latest: u32| {
        if *id >= RECENT {
            *id = latest.saturating_sub(*id - RECENT);
        }
    };
    match &mut cmd {
        Command::Accept { proposal }
        | Command::Reject { proposal, .. }
        | Command::Counter { proposal, .. }
        | Command::Withdraw { proposal }
            if *proposal >= RECENT =>
        {
            let back = (*proposal - RECENT) as usize;
            *proposal = n
                .checked_sub(back + 1)
                .map(|i| game.proposals[i].id)
                .unwrap_or(0);
        }
        Command::AmendOrder { order, .. } | Command::WithdrawOrder { order } => {
            rel(order, latest_order)
        }
        _ => {}
    }
    cmd
}

/// Actions: mostly the acting faction's own.
fn own_action_id(f: Option<FactionId>) -> BoxedStrategy<ActionId> {
    let own: Vec<ActionId> = scenario()
        .actions
        .iter()
        .filter(|a| Some(&a.owner) == f.as_ref())
        .map(|a| a.id.clone())
        .collect();
    if own.is_empty() {
        return action_id();
    }
    prop_oneof![4 => prop::sample::select(own), 1 => action_id()].boxed()
}

fn quantity() -> BoxedStrategy<u32> {
    prop_oneof![12 => Just(1u32), 3 => Just(2u32), 1 => Just(0u32), 1 => 3..=200u32].boxed()
}

/// Commands a faction would give.
fn faction_command(f: Option<FactionId>) -> BoxedStrategy<Command> {
    prop_oneof![
        3 => (channel(), text(2000)).prop_map(|(channel, text)| Command::Chat { channel, text }),
        4 => terms_strategy(f.clone()).prop_map(|terms| Command::Propose { terms }),
        6 => proposal_id().prop_map(|proposal| Command::Accept { proposal }),
        1 => (proposal_id(), prop_oneof![Just(MARK.to_string()), Just(String::new())])
            .prop_map(|(proposal, reason)| Command::Reject { proposal, reason }),
        1 => (proposal_id(), terms_strategy(f.clone()))
            .prop_map(|(proposal, terms)| Command::Counter { proposal, terms }),
        1 => proposal_id().prop_map(|proposal| Command::Withdraw { proposal }),
        7 => (own_action_id(f), quantity(), any::<bool>())
            .prop_map(|(action, quantity, confirm_breach)| Command::SubmitOrder { action, quantity, confirm_breach }),
        1 => (order_id(), quantity())
            .prop_map(|(order, quantity)| Command::AmendOrder { order, quantity }),
        1 => order_id().prop_map(|order| Command::WithdrawOrder { order }),
        1 => Just(Command::Ready {}),
    ]
    .boxed()
}

/// Commands Control would give.
fn control_command() -> BoxedStrategy<Command> {
    prop_oneof![
        6 => Just(Command::AdvancePhase {}),
        1 => Just(Command::Pause {}),
        1 => Just(Command::Resume {}),
        1 => prop_oneof![1..=600u32, Just(0u32), Just(100_000u32)]
            .prop_map(|seconds| Command::ExtendDeadline { seconds }),
        1 => event_id().prop_map(|event| Command::InjectEvent { event }),
        2 => (var_id(), number(), text(200))
            .prop_map(|(var, value, reason)| Command::Override { var, value, reason }),
        1 => (faction_id(), prop::option::of(prop_oneof![
                Just(Temperament::Hawk),
                Just(Temperament::Pragmatist),
                Just(Temperament::Dove)
            ]))
            .prop_map(|(faction, temperament)| Command::SetBot { faction, temperament }),
        1 => (event_id(), any::<bool>())
            .prop_map(|(event, enabled)| Command::SetScheduledEvent { event, enabled }),
        1 => text(2000).prop_map(|text| Command::Annotate { text }),
        2 => (channel(), text(2000)).prop_map(|(channel, text)| Command::Chat { channel, text }),
        // Outside agents whose messages wait for approval, and Control's decisions.
        1 => (faction_id(), prop::bool::weighted(0.8)).prop_map(|(faction, on)| Command::SetAgent {
            faction,
            agent: on.then(|| Agent { name: "Agent".into(), approve_chat: true }),
        }),
        2 => (faction_id(), 0..5u32).prop_map(|(faction, held)| Command::ApproveMessage { faction, held }),
        1 => (faction_id(), 0..5u32).prop_map(|(faction, held)| Command::RejectMessage {
            faction,
            held,
            reason: String::new(),
        }),
        1 => (channel(), 0..8u32).prop_map(|(channel, message)| Command::HideMessage {
            channel,
            message,
            reason: String::new(),
        }),
        // Rare, or most sessions would end early.
        1 => prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 6, 7]).prop_map(|n| {
            if n == 0 {
                Command::EndGame { note: String::new() }
            } else {
                Command::AdvancePhase {}
            }
        }),
    ]
    .boxed()
}

fn any_seat() -> BoxedStrategy<Seat> {
    prop_oneof![
        Just(ru()),
        Just(us()),
        Just(csto()),
        Just(Seat::Control),
        Just(Seat::Observer),
        Just(Seat::System),
    ]
    .boxed()
}

fn step() -> BoxedStrategy<Step> {
    let faction_pair = prop::sample::select(vec!["russia", "us_nato", "csto"])
        .prop_flat_map(|f| (Just(Seat::Faction(fid(f))), faction_command(Some(fid(f)))));
    let dt = prop_oneof![4 => Just(0i64), 4 => 0..5_000i64, 1 => 100_000..1_000_000i64];
    let pair = prop_oneof![
        14 => faction_pair,
        6 => (Just(Seat::Control), control_command()),
        2 => (Just(Seat::System), Just(Command::Tick {})),
        2 => (
            any_seat(),
            prop_oneof![faction_command(None), control_command(), Just(Command::Tick {})]
        ),
    ];
    (pair, dt)
        .prop_map(|((seat, cmd), dt_ms)| Step { seat, cmd, dt_ms })
        .boxed()
}

/// Replaces the placeholder texts of step `i` by markers unique to the step.
fn mark(i: usize, mut s: Step) -> Step {
    let m = |prefix: &str, t: &mut String| {
        if t == MARK {
            *t = format!("{prefix}{i:03}X");
        }
    };
    match &mut s.cmd {
        Command::Chat { text, .. } => m("CHAT", text),
        Command::Propose { terms } | Command::Counter { terms, .. } => m("TITLE", &mut terms.title),
        Command::Reject { reason, .. } => m("WHY", reason),
        Command::Override { reason, .. } => m("OVERRIDE", reason),
        Command::Annotate { text } => m("NOTE", text),
        _ => {}
    }
    s
}

/// A negotiation in a few steps: a proposal and the other parties' answers (acceptances, or a
/// counter-proposal that the proposer then accepts). Answers name the latest proposal, so they
/// reach it when it was made, and something else (or nothing) when it was refused.
fn deal() -> BoxedStrategy<Vec<Step>> {
    let faction = prop::sample::select(vec!["russia", "us_nato", "csto"]);
    faction
        .prop_flat_map(|f| {
            let f = fid(f);
            (
                Just(f.clone()),
                terms_strategy(Some(f)),
                prop::sample::select(vec!["russia", "us_nato", "csto"]),
                prop::bool::weighted(0.25),
                prop::bool::weighted(0.85),
            )
        })
        .prop_flat_map(|(f, terms, g, counter, everyone)| {
            let g = fid(g);
            (
                Just((f, terms, counter, everyone)),
                terms_strategy(Some(g.clone())),
                Just(g),
            )
        })
        .prop_map(|((f, terms, counter, everyone), counter_terms, g)| {
            let at = |seat: &FactionId, cmd: Command| Step {
                seat: Seat::Faction(seat.clone()),
                cmd,
                dt_ms: 1_000,
            };
            let latest = RECENT;
            let others: Vec<FactionId> = terms
                .parties
                .iter()
                .filter(|p| **p != f)
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut v = vec![at(&f, Command::Propose { terms })];
            if counter {
                v.push(at(
                    &g,
                    Command::Counter {
                        proposal: latest,
                        terms: counter_terms,
                    },
                ));
                v.push(at(&f, Command::Accept { proposal: latest }));
            } else {
                let n = if everyone { others.len() } else { 1 };
                for p in others.iter().take(n) {
                    v.push(at(p, Command::Accept { proposal: latest }));
                }
            }
            v
        })
        .boxed()
}

/// A faction's orders for the round, then its readiness.
fn orders_batch() -> BoxedStrategy<Vec<Step>> {
    prop::sample::select(vec!["russia", "us_nato", "csto"])
        .prop_flat_map(|f| {
            (
                Just(fid(f)),
                prop::collection::vec((own_action_id(Some(fid(f))), quantity()), 1..4),
                prop::bool::weighted(0.5),
            )
        })
        .prop_map(|(f, orders, ready)| {
            let mut v: Vec<Step> = orders
                .into_iter()
                .map(|(action, quantity)| Step {
                    seat: Seat::Faction(f.clone()),
                    cmd: Command::SubmitOrder {
                        action,
                        quantity,
                        confirm_breach: true,
                    },
                    dt_ms: 500,
                })
                .collect();
            if ready {
                v.push(Step {
                    seat: Seat::Faction(f),
                    cmd: Command::Ready {},
                    dt_ms: 500,
                });
            }
            v
        })
        .boxed()
}

/// Up to `max` steps: single random steps, negotiations and batches of orders.
fn steps(max: usize) -> BoxedStrategy<Vec<Step>> {
    let fragment = prop_oneof![
        12 => step().prop_map(|s| vec![s]),
        2 => deal(),
        1 => orders_batch(),
    ];
    prop::collection::vec(fragment, 0..max)
        .prop_map(move |v| {
            v.into_iter()
                .flatten()
                .take(max)
                .enumerate()
                .map(|(i, s)| mark(i, s))
                .collect()
        })
        .boxed()
}

/// The outcome of a session.
struct Session {
    game: Game,
    log: Vec<Event>,
    results: Vec<Result<Vec<Event>, CommandError>>,
}

/// Plays `steps` on a fresh game. After each step, `check` sees the game, the step and the
/// events it produced (empty if refused). Asserts that refused commands change nothing.
fn run(seed: u64, steps: &[Step], mut check: impl FnMut(&Game, &Step, &[Event])) -> Session {
    let (mut game, log) = Game::create(scenario(), config(seed), T0).expect("game created");
    let mut session_log = log.clone();
    for e in &log {
        check(
            &game,
            &Step {
                seat: Seat::System,
                cmd: Command::Tick {},
                dt_ms: 0,
            },
            std::slice::from_ref(e),
        );
    }
    let mut results = Vec::new();
    let mut now = T0;
    for s in steps {
        now += s.dt_ms;
        let before = game.clone();
        let s = &Step {
            cmd: resolve(&game, &s.seat, s.cmd.clone()),
            ..s.clone()
        };
        let r = game.apply(&s.seat, &s.cmd, &Ctx::at(now));
        match &r {
            Ok(events) => {
                session_log.extend(events.iter().cloned());
                check(&game, s, events);
            }
            Err(e) => {
                assert!(
                    game == before,
                    "refused command changed the game: {:?} {:?}: {e}",
                    s.seat,
                    s.cmd
                );
                check(&game, s, &[]);
            }
        }
        results.push(r);
    }
    Session {
        game,
        log: session_log,
        results,
    }
}

/// Whether `seat` may not know the true value of variable `i`.
fn hidden(scn: &Scenario, i: usize, seat: &Seat) -> bool {
    let v = &scn.variables[i];
    v.visibility == Visibility::Owner
        && (seat.faction().is_none() || v.owner.as_ref() != seat.faction())
}

/// What `seat` is supposed to believe about the variables in `core`.
fn picture<'c>(core: &'c Core, seat: &Seat) -> &'c [f64] {
    match seat.faction() {
        Some(f) => &core.intel[f],
        None => &core.public_intel,
    }
}

fn walk<'a>(v: &'a Value, f: &mut impl FnMut(&'a serde_json::Map<String, Value>)) {
    match v {
        Value::Object(m) => {
            f(m);
            for x in m.values() {
                walk(x, f);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(x, f);
            }
        }
        _ => {}
    }
}

/// Asserts that `json`, sent to `seat` (a faction or an observer), reveals nothing it may not
/// know. `core`: the state the JSON describes, when it is the current one (private variables
/// are then checked against the seat's picture).
fn assert_secret(game: &Game, seat: &Seat, what: &str, json: &Value, core: Option<&Core>) {
    let scn = &game.scenario;
    let text = json.to_string();
    let own = |f: &str| seat.faction().is_some_and(|s| s.as_str() == f);
    // Hidden messages' texts, for every seat but Control (after the end too).
    for m in game
        .messages
        .iter()
        .filter(|m| m.hidden && m.text.starts_with("CHAT"))
    {
        assert!(
            !text.contains(&m.text),
            "{what}: {seat:?} sees hidden message {:?} of {:?}",
            m.text,
            m.channel
        );
    }
    // Agents' messages Control has not let through: Control and the agent's faction only.
    for h in game
        .held
        .iter()
        .filter(|h| !h.decision.as_ref().is_some_and(|d| d.approved))
    {
        if *seat != Seat::Control && seat.faction() != Some(&h.faction) {
            assert!(
                !text.contains(&h.text),
                "{what}: {seat:?} sees {}'s held message {:?}",
                h.faction,
                h.text
            );
        }
    }
    // Messages of channels the seat cannot read.
    for m in &game.messages {
        if !can_read(seat, &m.channel) {
            assert!(
                !text.contains(&m.text),
                "{what}: {seat:?} sees message {:?} of {:?}",
                m.text,
                m.channel
            );
        }
    }
    // Proposals the seat is not party to (unless signed into a public agreement).
    for p in &game.proposals {
        if seat.faction().is_some_and(|f| p.terms.parties.contains(f)) {
            continue;
        }
        if let ProposalStatus::Signed { agreement } = p.status {
            let public = game
                .core
                .agreements
                .iter()
                .any(|a| a.id == agreement && a.terms.public);
            if public {
                continue;
            }
        }
        assert!(
            !text.contains(&p.terms.title),
            "{what}: {seat:?} sees proposal {} ({}) among {:?}",
            p.id,
            p.terms.title,
            p.terms.parties
        );
        if let ProposalStatus::Rejected { reason, .. } = &p.status {
            if !reason.is_empty() {
                assert!(
                    !text.contains(reason.as_str()),
                    "{what}: {seat:?} sees why proposal {} was rejected",
                    p.id
                );
            }
        }
    }
    // Other factions' orders and covert activity, until the game ends.
    if !game.ended() {
        if let Some(Value::Object(orders)) = json.get("orders") {
            for f in orders.keys() {
                assert!(own(f), "{what}: {seat:?} sees {f}'s orders draft");
            }
        }
        walk(json, &mut |m| {
            let faction = m.get("faction").and_then(Value::as_str);
            if let Some(Value::String(t)) = m.get("type") {
                if t.starts_with("order_") {
                    let f = faction.unwrap_or("");
                    assert!(own(f), "{what}: {seat:?} sees {f}'s order: {m:?}");
                }
            }
            if m.get("covert") == Some(&Value::Bool(true)) {
                let f = faction.unwrap_or("");
                assert!(own(f), "{what}: {seat:?} sees {f}'s covert activity: {m:?}");
            }
        });
    }
    // Private variables: never their true value, only the seat's picture.
    if let Some(core) = core {
        // A faction may also read the public picture (in the public part of a report), which
        // can lag behind what the faction itself has learnt.
        let pic = picture(core, seat);
        let public = &core.public_intel;
        let check = |var: &str, x: Option<f64>, how: &str| {
            if let Some(i) = scn.var_index(var) {
                if hidden(scn, i, seat) {
                    let x = x.unwrap_or(f64::NAN);
                    assert!(
                        (x - pic[i]).abs() < 1e-9 || (x - public[i]).abs() < 1e-9,
                        "{what}: {seat:?} gets {var} = {x} ({how}); its picture is {}, the \
                         public's {}, the truth {}",
                        pic[i],
                        public[i],
                        core.vars[i]
                    );
                }
            }
        };
        walk(json, &mut |m| {
            if let Some(Value::Object(vars)) = m.get("vars") {
                for (k, x) in vars {
                    check(k, x.as_f64(), "vars");
                }
            }
            if let Some(Value::String(src)) = m.get("source") {
                if let Some(var) = src.strip_prefix("state variable ") {
                    check(var, m.get("value").and_then(Value::as_f64), "formula input");
                }
            }
            if let Some(Value::String(var)) = m.get("var") {
                if m.contains_key("after") || m.contains_key("new") {
                    if let Some(i) = scn.var_index(var) {
                        assert!(
                            !hidden(scn, i, seat),
                            "{what}: {seat:?} learns a change of private {var}: {m:?}"
                        );
                    }
                }
            }
        });
    }
}

/// The checker itself must see each kind of leak (and not cry wolf).
#[test]
fn the_secrecy_checker_catches_leaks() {
    use serde_json::json;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let mut p = Play::new();
    p.ok(
        &us(),
        chat(
            Channel::Team {
                faction: fid("us_nato"),
            },
            "TEAMSECRET",
        ),
    );
    p.ok(
        &Seat::Control,
        Command::Override {
            var: VarId::from("ru_survival"),
            value: 0.5,
            reason: "test".into(),
        },
    );
    p.to(Phase::Negotiation);
    let mut t = terms(
        "BACKCHANNEL",
        &["russia", "us_nato"],
        vec![clause("data_exchange", "russia")],
    );
    t.public = false;
    p.ok(&ru(), Command::Propose { terms: t });
    p.to(Phase::Orders);
    p.ok(&us(), order("rota_destroyer", 1));
    let game = &p.game;
    let core = Some(&game.core);
    let leaks = |seat: Seat, json: Value, core: Option<&Core>| {
        catch_unwind(AssertUnwindSafe(|| {
            assert_secret(game, &seat, "checker test", &json, core)
        }))
        .is_err()
    };
    let message = json!({ "messages": [{ "text": "TEAMSECRET" }] });
    assert!(leaks(ru(), message.clone(), None));
    assert!(leaks(Seat::Observer, message.clone(), None));
    assert!(!leaks(us(), message, None));
    let title = json!({ "proposals": [{ "title": "BACKCHANNEL" }] });
    assert!(leaks(csto(), title.clone(), None));
    assert!(!leaks(ru(), title, None));
    let orders = serde_json::to_value(game.view(&Seat::Control)).unwrap();
    assert!(leaks(ru(), json!({ "orders": orders["orders"] }), None));
    let order_event = json!({ "type": "order_submitted", "faction": "us_nato", "order": {} });
    assert!(leaks(csto(), order_event.clone(), None));
    assert!(!leaks(us(), order_event, None));
    let covert = json!({ "faction": "russia", "covert": true });
    assert!(leaks(us(), covert.clone(), None));
    assert!(!leaks(ru(), covert, None));
    let vars = json!({ "vars": { "ru_survival": 0.5 } });
    assert!(leaks(Seat::Observer, vars.clone(), core));
    assert!(leaks(us(), vars.clone(), core));
    assert!(!leaks(ru(), vars, core));
    let input = json!({ "source": "state variable ru_survival", "value": 0.5 });
    assert!(leaks(csto(), input.clone(), core));
    assert!(!leaks(ru(), input, core));
    let change = json!({ "var": "ru_survival", "before": 0.18, "after": 0.5, "cause": "x" });
    assert!(leaks(Seat::Observer, change.clone(), core));
    assert!(!leaks(ru(), change, core));
    // Each seat's own view is clean.
    for seat in readers() {
        let json = serde_json::to_value(game.view(&seat)).unwrap();
        assert!(!leaks(seat.clone(), json, core), "{seat:?}");
    }
}

/// The core an event carries, if it replaces the state's.
fn event_core(e: &Event) -> Option<&Core> {
    match e {
        Event::GameCreated { core, .. }
        | Event::RoundBegan { core, .. }
        | Event::EventInjected { core, .. }
        | Event::Adjudicated { core, .. } => Some(core),
        _ => None,
    }
}

fn readers() -> Vec<Seat> {
    vec![ru(), us(), csto(), Seat::Observer]
}

/// Checks every event of a step and (every few steps) every seat's view.
fn check_secrecy(game: &Game, events: &[Event], with_views: bool) {
    for e in events {
        // A core-carrying event describes the current state only if no later event of the
        // step replaced it.
        let core = event_core(e).filter(|c| **c == game.core);
        for seat in readers() {
            if let Some(se) = game.event_for(&seat, e) {
                let json = serde_json::to_value(&se).unwrap();
                assert_secret(game, &seat, &format!("event {e:?}"), &json, core);
            }
        }
    }
    if with_views && !game.ended() {
        for seat in readers() {
            let mut json = serde_json::to_value(game.view(&seat)).unwrap();
            // Past reports hold past pictures; they were checked when they were sent.
            let reports = json.as_object_mut().unwrap().remove("reports").unwrap();
            assert_secret(game, &seat, "view", &json, Some(&game.core));
            assert_secret(game, &seat, "view reports", &reports, None);
        }
    }
}

fn check_bounds(game: &Game, events: &[Event]) {
    let scn = &game.scenario;
    for (f, p) in &game.core.purses {
        within(&format!("{f} budget"), p.budget, 0.0, f64::INFINITY);
        within(&format!("{f} capital"), p.capital, 0.0, f64::INFINITY);
    }
    let all_pictures = game
        .core
        .intel
        .iter()
        .map(|(f, v)| (format!("{f}'s picture"), v))
        .chain([
            ("the truth".to_string(), &game.core.vars),
            ("the public picture".to_string(), &game.core.public_intel),
        ]);
    for (whose, values) in all_pictures {
        assert_eq!(values.len(), scn.variables.len());
        for (v, x) in scn.variables.iter().zip(values) {
            within(&format!("{} in {whose}", v.id), *x, v.min, v.max);
        }
    }
    let mut perspectives = vec![Perspective::Technical, Perspective::Public];
    perspectives.extend(
        scn.factions
            .iter()
            .map(|f| Perspective::Faction(f.id.clone())),
    );
    for p in perspectives {
        check_indices(&format!("{p:?}"), &indices(game, &game.core, p.clone()));
    }
    for (f, h) in &game.core.score_history {
        for s in h {
            within(&format!("{f} score"), *s, 0.0, 100.0);
        }
    }
    for e in events {
        if let Event::Adjudicated { report, .. } = e {
            check_indices("public report", &report.public.indices);
            check_indices("technical report", &report.control.technical);
            within("tension", report.public.tension.value, 0.0, 100.0);
            for (f, r) in &report.factions {
                check_indices(&format!("{f} report"), &r.indices);
                within(&format!("{f} round score"), r.score.round_score, 0.0, 100.0);
                within(&format!("{f} game score"), r.score.game_score, 0.0, 100.0);
                within(&format!("{f} weighted"), r.score.weighted, 0.0, 100.0);
                for o in &r.score.objectives {
                    within(&format!("{f} objective {}", o.id), o.value, 0.0, 1.0);
                }
                within(&format!("{f} purse"), r.purse.budget, 0.0, f64::INFINITY);
            }
        }
    }
}

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    /// (a) The same commands give the same game; (b) replaying the log rebuilds it; (c) refused
    /// commands change nothing (asserted inside `run`).
    #[test]
    fn prop_deterministic_and_replayable(seed in any::<u64>(), steps in steps(60)) {
        let a = run(seed, &steps, |_, _, _| {});
        let b = run(seed, &steps, |_, _, _| {});
        prop_assert!(a.game == b.game, "same commands, different games");
        prop_assert_eq!(&a.log, &b.log);
        prop_assert_eq!(&a.results, &b.results);
        let replayed = Game::replay(scenario(), &a.log).expect("replay");
        prop_assert!(replayed == a.game, "replay differs from the live game");
    }

    /// (d) No faction or observer learns what it may not, live or on resync.
    #[test]
    fn prop_secrecy(seed in any::<u64>(), steps in steps(60)) {
        let mut i = 0;
        let s = run(seed, &steps, |game, _, events| {
            i += 1;
            check_secrecy(game, events, i % 2 == 0);
        });
        check_secrecy(&s.game, &[], true);
        // Resync: every past event, as each seat would receive it now.
        for seat in readers() {
            for e in &s.log {
                if let Some(se) = s.game.event_for(&seat, e) {
                    let json = serde_json::to_value(&se).unwrap();
                    assert_secret(&s.game, &seat, &format!("resync {e:?}"), &json, None);
                }
            }
        }
    }

    /// (e) Purses, variables, indices and scores stay within their bounds.
    #[test]
    fn prop_bounds(seed in any::<u64>(), steps in steps(60)) {
        run(seed, &steps, |game, _, events| check_bounds(game, events));
    }
}

/// The property tests must reach the interesting states; this keeps the strategy honest.
#[test]
fn random_sessions_cover_the_game() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = steps(60);
    let (mut signed, mut adjudicated, mut accepted, mut refused, mut ordered) = (0, 0, 0, 0, 0);
    let mut codes = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let steps = strategy.new_tree(&mut runner).unwrap().current();
        let s = run(seed, &steps, |_, _, _| {});
        for r in &s.results {
            match r {
                Ok(_) => accepted += 1,
                Err(e) => {
                    refused += 1;
                    codes.insert(e.code());
                }
            }
        }
        for e in &s.log {
            match e {
                Event::AgreementSigned { .. } => signed += 1,
                Event::Adjudicated { .. } => adjudicated += 1,
                Event::OrderSubmitted { .. } => ordered += 1,
                _ => {}
            }
        }
    }
    println!(
        "{accepted} accepted, {refused} refused, {signed} signed, {adjudicated} adjudicated, \
         {ordered} orders, codes {codes:?}"
    );
    assert!(accepted > 500, "{accepted} commands accepted");
    assert!(refused > 500, "{refused} commands refused");
    assert!(signed >= 10, "{signed} agreements signed");
    assert!(adjudicated >= 20, "{adjudicated} adjudications");
    assert!(ordered >= 20, "{ordered} orders");
    for code in [
        "wrong_phase",
        "not_your_faction",
        "control_only",
        "unknown",
        "malformed_clause",
        "invalid",
        "limit",
        "game_ended",
    ] {
        assert!(
            codes.contains(code),
            "no command refused with {code}: {codes:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Bots
// ---------------------------------------------------------------------------------------------

fn bots(t: Temperament) -> BTreeMap<FactionId, Temperament> {
    scenario()
        .factions
        .iter()
        .map(|f| (f.id.clone(), t))
        .collect()
}

/// Plays a whole game with pragmatist bots in every seat, keeping its event log.
fn bot_game_with_log(seed: u64) -> (Game, Vec<Event>) {
    mixed_bot_game_with_log(seed, bots(Temperament::Pragmatist))
}

/// Plays a whole game with these bots, keeping its event log.
fn mixed_bot_game_with_log(seed: u64, mix: BTreeMap<FactionId, Temperament>) -> (Game, Vec<Event>) {
    let mut c = config(seed);
    c.bots = mix;
    bot_game_of(c)
}

/// Plays a whole game of bots (the factions of `c.bots`) to its end, keeping its event log.
fn bot_game_of(c: GameConfig) -> (Game, Vec<Event>) {
    let (mut game, mut log) = Game::create(scenario(), c, T0).unwrap();
    let ctx = Ctx::at(T0);
    for _ in 0..80 {
        if game.ended() {
            break;
        }
        let before = (game.round, game.phase);
        log.extend(super::bots::play_bots(&mut game, &ctx));
        if (game.round, game.phase) == before && !game.ended() {
            log.extend(
                game.apply(&Seat::Control, &Command::AdvancePhase {}, &ctx)
                    .unwrap(),
            );
        }
    }
    assert!(game.ended());
    (game, log)
}

#[test]
fn a_bot_games_log_replays_to_the_same_game() {
    let (game, log) = bot_game_with_log(3);
    assert!(log.iter().any(|e| matches!(e, Event::Adjudicated { .. })));
    assert!(Game::replay(scenario(), &log).unwrap() == game);
}

#[test]
fn a_person_alone_with_two_bots_has_proposals_to_answer_in_round_one() {
    let temperaments = [
        Temperament::Hawk,
        Temperament::Pragmatist,
        Temperament::Dove,
    ];
    for human in ["russia", "us_nato", "csto"] {
        for (i, a) in temperaments.iter().enumerate() {
            for b in &temperaments[i..] {
                for seed in 1..=3u64 {
                    let mut c = config(seed);
                    let others: Vec<&str> = ["russia", "us_nato", "csto"]
                        .into_iter()
                        .filter(|f| *f != human)
                        .collect();
                    c.bots.insert(fid(others[0]), *a);
                    c.bots.insert(fid(others[1]), *b);
                    let (mut game, _) = Game::create(scenario(), c, T0).unwrap();
                    let ctx = Ctx::at(T0);
                    super::bots::play_bots(&mut game, &ctx);
                    game.apply(&Seat::Control, &Command::AdvancePhase {}, &ctx)
                        .unwrap();
                    assert_eq!(game.phase, Phase::Negotiation);
                    super::bots::play_bots(&mut game, &ctx);
                    let view = game.view(&Seat::Faction(fid(human)));
                    for bot in &others {
                        let proposed = view.proposals.iter().any(|p| {
                            p.proposer.as_str() == *bot && p.status == ProposalStatus::Open
                        });
                        assert!(
                            proposed,
                            "{human} with {bot} ({a:?}/{b:?}, seed {seed}): no proposal from {bot} in round 1"
                        );
                        let said = view.messages.iter().any(|m| {
                            m.from == Seat::Faction(fid(bot))
                                && matches!(&m.channel, Channel::Bilateral { factions } if factions.contains(&fid(human)))
                        });
                        assert!(said, "{human}: {bot} said nothing to go with its proposal");
                    }
                }
            }
        }
    }
}

#[test]
fn bot_lines_are_filled_in_and_their_numbers_say_something() {
    // Every line a bot says, over games of every temperament against every other: no
    // placeholder left unfilled, and no reason that quotes a change too small to show
    // ("30 instead of 30").
    let temperaments = [
        Temperament::Hawk,
        Temperament::Pragmatist,
        Temperament::Dove,
    ];
    let mut lines = 0;
    for (i, t) in temperaments.iter().enumerate() {
        let mut mix = bots(*t);
        mix.insert(fid("us_nato"), temperaments[(i + 1) % 3]);
        for seed in 1..=4u64 {
            let game = play_game(scenario(), seed, &mix, None).unwrap();
            for m in &game.messages {
                let text = m.text.as_str();
                lines += 1;
                assert!(!text.trim().is_empty(), "an empty bot line");
                assert!(
                    !text.contains('{') && !text.contains('}'),
                    "a placeholder left in {text:?}"
                );
                let mut rest = text;
                while let Some(at) = rest.find(" instead of ") {
                    let before = rest[..at].rsplit(['(', ' ']).next().unwrap_or("");
                    let after = rest[at + 12..].split([')', ' ']).next().unwrap_or("");
                    assert!(
                        !before.is_empty() && !after.is_empty() && before != after,
                        "a reason without a change to show: {text:?}"
                    );
                    rest = &rest[at + 12..];
                }
            }
        }
    }
    assert!(lines > 100, "only {lines} bot lines in 12 games");
}

#[test]
fn bots_never_sign_a_clause_an_agreement_in_force_already_holds() {
    // A clause signed twice would be broken twice: a bot answers terms that repeat part of an
    // agreement in force with the rest of them, and turns down terms that only repeat.
    let t = [
        Temperament::Hawk,
        Temperament::Pragmatist,
        Temperament::Dove,
    ];
    let mut signed = 0;
    for (i, r) in t.iter().enumerate() {
        for u in &t {
            let mix: BTreeMap<FactionId, Temperament> = [
                (fid("russia"), *r),
                (fid("us_nato"), *u),
                (fid("csto"), t[(i + 2) % 3]),
            ]
            .into_iter()
            .collect();
            for seed in 1..=2u64 {
                let (_, log) = mixed_bot_game_with_log(seed, mix.clone());
                let mut game = Game::replay(scenario(), &log[..1]).unwrap();
                for e in &log[1..] {
                    if let Event::AgreementSigned { agreement, .. } = e {
                        signed += 1;
                        for c in &agreement.terms.clauses {
                            let held = game.core.agreements.iter().find(|a| {
                                matches!(
                                    a.status,
                                    AgreementStatus::InForce | AgreementStatus::PendingRatification
                                ) && a.terms.clauses.contains(c)
                            });
                            assert!(
                                held.is_none(),
                                "{mix:?} seed {seed}: {:?} signs {c:?} again, already in {:?}",
                                agreement.terms.title,
                                held.map(|a| &a.terms.title)
                            );
                        }
                    }
                    game.evolve(e);
                }
            }
        }
    }
    assert!(signed > 50, "only {signed} agreements signed in 18 games");
}

#[test]
fn folding_events_by_value_gives_the_same_game() {
    // Simulations evolve by value (`evolve_owned`), the server by reference (`evolve`): the
    // same log must give the same game either way.
    let (game, log) = bot_game_with_log(5);
    let first = log.first().cloned().expect("a log");
    let mut owned = Game::replay(scenario(), std::slice::from_ref(&first)).unwrap();
    for e in log.iter().skip(1).cloned() {
        owned.evolve_owned(e);
    }
    assert!(owned == game, "evolve_owned and evolve disagree");
    // And a whole unlogged game equals the same game played with a log.
    let all = bots(Temperament::Dove);
    let unlogged = play_game(scenario(), 5, &all, None).unwrap();
    let mut c = config(5);
    c.bots = all;
    let (mut logged, _) = Game::create(scenario(), c, 0).unwrap();
    let ctx = Ctx::at(0);
    for _ in 0..80 {
        if logged.ended() {
            break;
        }
        let before = (logged.round, logged.phase);
        super::bots::play_bots(&mut logged, &ctx);
        if (logged.round, logged.phase) == before && !logged.ended() {
            logged
                .apply(&Seat::Control, &Command::AdvancePhase {}, &ctx)
                .unwrap();
        }
    }
    assert!(
        logged == unlogged,
        "an unlogged game differs from a logged one"
    );
}

#[test]
fn an_event_log_survives_a_json_round_trip() {
    let (game, log) = bot_game_with_log(3);
    let json = serde_json::to_string(&log).unwrap();
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert!(back == log, "events differ after a JSON round trip");
    assert!(Game::replay(scenario(), &back).unwrap() == game);
}

#[test]
fn bot_games_are_deterministic() {
    let all = bots(Temperament::Pragmatist);
    let a = play_game(scenario(), 7, &all, None).unwrap();
    let b = play_game(scenario(), 7, &all, None).unwrap();
    assert_eq!(
        serde_json::to_string(&a.reports).unwrap(),
        serde_json::to_string(&b.reports).unwrap()
    );
    assert!(a == b);
    assert!(!a.reports.is_empty());
    let c = play_game(scenario(), 8, &all, None).unwrap();
    assert!(c.ending.is_some());
}

#[test]
fn bot_games_end_whatever_the_temperaments() {
    let mut mixed = BTreeMap::new();
    mixed.insert(fid("russia"), Temperament::Hawk);
    mixed.insert(fid("us_nato"), Temperament::Dove);
    mixed.insert(fid("csto"), Temperament::Pragmatist);
    let cases = [
        (bots(Temperament::Hawk), None),
        (bots(Temperament::Dove), None),
        (bots(Temperament::Pragmatist), Some("pessimistic")),
        (mixed, Some("optimistic")),
    ];
    for (i, (b, preset)) in cases.iter().enumerate() {
        let g = play_game(scenario(), 100 + i as u64, b, *preset).unwrap();
        assert!(g.ending.is_some(), "{b:?}: no ending");
        assert!(g.ended());
        assert!(!g.reports.is_empty());
        for (f, h) in &g.core.score_history {
            assert_eq!(h.len(), g.reports.len(), "{f}");
            for s in h {
                within(&format!("{f} score"), *s, 0.0, 100.0);
            }
        }
        // A bot game's state respects the bounds too.
        check_bounds(&g, &[]);
    }
}

#[test]
fn bots_only_give_commands_the_engine_accepts_in_their_seat() {
    use super::bots::{bot_commands, BotStep};
    let mut p = Play::new();
    let temperaments = [
        Temperament::Hawk,
        Temperament::Pragmatist,
        Temperament::Dove,
    ];
    for _ in 0..3 * 4 {
        if p.game.ended() {
            break;
        }
        for (i, seat) in faction_seats().iter().enumerate() {
            let f = seat.faction().unwrap().clone();
            for step in [BotStep::Propose, BotStep::Respond, BotStep::Act] {
                for cmd in bot_commands(&p.game, &f, temperaments[i], step) {
                    // Bot commands may race each other (a proposal signed meanwhile); the
                    // ones that fail must fail cleanly.
                    let before = p.game.clone();
                    let ctx = p.ctx();
                    if let Err(e) = p.game.apply(seat, &cmd, &ctx) {
                        assert!(p.game == before, "{e}");
                        assert!(
                            !matches!(
                                e.code(),
                                "control_only" | "not_your_faction" | "wrong_phase"
                            ),
                            "{f} bot gave {cmd:?}: {e}"
                        );
                    }
                }
            }
        }
        if !p.game.ended() {
            p.advance();
        }
    }
}

// Keep `ClauseForm` in use: a sanity check that the scenario has every clause form the tests
// rely on.
#[test]
fn the_scenario_has_every_clause_form() {
    let scn = scenario();
    for form in [
        ClauseForm::Forbid,
        ClauseForm::Cap,
        ClauseForm::Guarantee,
        ClauseForm::Transparency,
        ClauseForm::Cooperation,
        ClauseForm::Transfer,
    ] {
        assert!(scn.clause_kinds.iter().any(|k| k.form == form), "{form:?}");
    }
}

/// Only Control may export the whole game (the raw log holds every faction's secrets).
#[test]
fn only_control_may_export() {
    assert!(super::view::may_export(&Seat::Control));
    for seat in [
        Seat::Faction(fid("russia")),
        Seat::Faction(fid("us_nato")),
        Seat::Faction(fid("csto")),
        Seat::Observer,
    ] {
        assert!(!super::view::may_export(&seat), "{seat:?}");
    }
}

/// The fingerprint a game records leaves out every `source` string (prose citing where a number
/// comes from), at any depth, but covers the numbers: correcting a citation keeps recorded
/// games replayable, changing a rule does not.
#[test]
fn fingerprint_ignores_sources_but_not_numbers() {
    let (_, src) = crate::scenarios::BUILT_IN
        .iter()
        .find(|(id, _)| *id == SCENARIO)
        .expect("the built-in scenario");
    let parse = |text: &str| {
        super::validate::parse_and_validate("test", text)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .fingerprint()
    };
    let original = parse(src);
    assert_eq!(original, scenario().fingerprint());
    // Every `source` line: the scenario's own, the actions', the parameters', the batteries',
    // the scoring tables'.
    let mut edited = 0;
    let resourced: String = src
        .lines()
        .map(|l| {
            if l.starts_with("source = \"") {
                edited += 1;
                "source = \"an edited citation\"".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(edited > 50, "only {edited} source lines edited");
    assert_ne!(resourced, *src);
    assert_eq!(
        parse(&resourced),
        original,
        "editing a source changed the fingerprint"
    );
    // A number changes it.
    let threshold = "crisis_threshold = 85.0";
    assert!(src.contains(threshold));
    let renumbered = src.replacen(threshold, "crisis_threshold = 86.0", 1);
    assert_ne!(
        parse(&renumbered),
        original,
        "changing a number kept the fingerprint"
    );
    // So does a parameter's value next to its source.
    let moscow = "value = 20.0\nunit = \"warheads\"";
    assert!(src.contains(moscow));
    let renumbered = src.replacen(moscow, "value = 21.0\nunit = \"warheads\"", 1);
    assert_ne!(
        parse(&renumbered),
        original,
        "changing a parameter kept the fingerprint"
    );
}

// ---------------------------------------------------------------------------------------------
// Moderation: hiding a message, muting a person
// ---------------------------------------------------------------------------------------------

impl Play {
    /// Applies a command in `ctx`, logging its events.
    fn apply_in(
        &mut self,
        seat: &Seat,
        cmd: Command,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        let events = self.game.apply(seat, &cmd, ctx)?;
        self.log.extend(events.iter().cloned());
        Ok(events)
    }
}

fn hide(channel: Channel, message: u32) -> Command {
    Command::HideMessage {
        channel,
        message,
        reason: "insult".into(),
    }
}

#[test]
fn a_hidden_message_loses_its_text_for_every_seat_but_control_live_on_resync_and_after_the_end() {
    let mut p = Play::new();
    let pair = Channel::Bilateral {
        factions: [fid("csto"), fid("russia")],
    };
    p.ok(&ru(), chat(Channel::Plenary, "first, harmless"));
    let posted = p.ok(&ru(), chat(Channel::Plenary, "SECRET-RUDE"));
    p.ok(&csto(), chat(pair.clone(), "BILATERAL-RUDE"));
    // Only Control hides; an id never posted is unknown; nothing changes on refusal.
    p.err(&us(), hide(Channel::Plenary, 2), "control_only");
    p.err(&Seat::Control, hide(Channel::Plenary, 9), "unknown");
    p.err(&Seat::Control, hide(Channel::Plenary, 0), "unknown");
    let events = p.ok(&Seat::Control, hide(Channel::Plenary, 2));
    assert!(matches!(
        &events[..],
        [Event::MessageHidden { message: 2, .. }]
    ));
    // Hiding twice records nothing more.
    assert!(p.ok(&Seat::Control, hide(Channel::Plenary, 2)).is_empty());
    let hidden_bilateral = p.ok(&Seat::Control, hide(pair.clone(), 1));
    // The hiding goes to the channel's readers only.
    assert!(p.game.event_for(&us(), &hidden_bilateral[0]).is_none());
    assert!(p.game.event_for(&ru(), &hidden_bilateral[0]).is_some());
    let check = |p: &Play| {
        for seat in [ru(), us(), csto(), Seat::Observer] {
            let view = p.game.view(&seat);
            let json = serde_json::to_string(&view).unwrap();
            assert!(!json.contains("SECRET-RUDE"), "{seat:?} view");
            assert!(!json.contains("BILATERAL-RUDE"), "{seat:?} view");
            let m = view
                .messages
                .iter()
                .find(|m| m.channel == Channel::Plenary && m.id == 2);
            let m = m.expect("the hidden message is still listed");
            assert!(m.hidden && m.text.is_empty() && m.member.is_none());
            // Resync: the message's own event, sent before it was hidden, read now.
            let resync = serde_json::to_string(
                &p.log
                    .iter()
                    .filter_map(|e| p.game.event_for(&seat, e))
                    .collect::<Vec<_>>(),
            )
            .unwrap();
            assert!(!resync.contains("SECRET-RUDE"), "{seat:?} resync");
            assert!(!resync.contains("BILATERAL-RUDE"), "{seat:?} resync");
            // Paging earlier messages.
            if let Some(MessagePage::Here(page)) =
                p.game.earlier_messages(&seat, &Channel::Plenary, None, 50)
            {
                assert!(
                    page.iter().all(|m| !m.text.contains("RUDE")),
                    "{seat:?} page"
                );
            }
        }
        let control = p.game.view(&Seat::Control);
        let m = control
            .messages
            .iter()
            .find(|m| m.id == 2 && m.channel == Channel::Plenary);
        assert_eq!(m.unwrap().text, "SECRET-RUDE", "Control still reads it");
        assert!(m.unwrap().hidden);
    };
    check(&p);
    let _ = posted;
    // Replaying the log gives the same game; the end reveals everything but hidden texts.
    let replayed = Game::replay(scenario(), &p.log).expect("replay");
    assert!(replayed == p.game);
    p.ok(
        &Seat::Control,
        Command::EndGame {
            note: String::new(),
        },
    );
    check(&p);
    // A message can still be hidden after the end; other commands are refused.
    p.ok(&Seat::Control, hide(Channel::Plenary, 1));
    p.err(
        &Seat::Control,
        Command::Annotate {
            text: "late".into(),
        },
        "game_ended",
    );
    let seen = p.game.view(&us());
    assert_eq!(
        seen.moderation.len(),
        3,
        "after the end every record is listed"
    );
}

#[test]
fn a_muted_person_cannot_chat_until_the_mute_ends_or_is_lifted_and_only_their_team_knows() {
    let mut p = Play::new();
    let (anna, boris) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let as_person = |p: &Play, who: Uuid| Ctx {
        person: Some(who),
        ..Ctx::at(p.now)
    };
    let mute = |minutes: u32| Command::MuteMember {
        member: anna,
        minutes,
        reason: "spam".into(),
    };
    let named = |p: &Play| Ctx {
        subject: Some((fid("russia"), "Anna".into())),
        author: "Ms Novak".into(),
        ..Ctx::at(p.now)
    };
    // A person the seats do not know, and mutes of no or too much time, are refused.
    p.err(&Seat::Control, mute(5), "unknown");
    for minutes in [0, MAX_MUTE_MINUTES + 1] {
        let before = p.game.clone();
        let e = p
            .apply_in(&Seat::Control, mute(minutes), &named(&p))
            .unwrap_err();
        assert_eq!(e.code(), "limit");
        assert!(p.game == before);
    }
    let ctx = named(&p);
    p.apply_in(&ru(), mute(5), &ctx)
        .expect_err("only Control mutes");
    let muted = p.apply_in(&Seat::Control, mute(5), &ctx).expect("muted");
    assert!(
        matches!(&muted[..], [Event::MemberMuted { until_ms, .. }] if *until_ms == p.now + 300_000)
    );
    // Anna cannot post anywhere; Boris of the same team can.
    let ctx = as_person(&p, anna);
    let e = p
        .apply_in(&ru(), chat(Channel::Plenary, "hello"), &ctx)
        .unwrap_err();
    assert_eq!(e.code(), "muted");
    assert!(e.to_string().contains("5 more minute"), "{e}");
    let team = Channel::Team {
        faction: fid("russia"),
    };
    assert_eq!(
        p.apply_in(&ru(), chat(team, "x"), &ctx).unwrap_err().code(),
        "muted"
    );
    p.apply_in(
        &ru(),
        chat(Channel::Plenary, "Boris here"),
        &as_person(&p, boris),
    )
    .expect("Boris posts");
    // Who knows: Control and Russia's team, by name; not the others while the game runs.
    assert!(p.game.event_for(&us(), &muted[0]).is_none());
    assert!(p.game.event_for(&ru(), &muted[0]).is_some());
    assert_eq!(
        p.game.view(&ru()).moderation[0].name.as_deref(),
        Some("Anna")
    );
    assert!(p.game.view(&us()).moderation.is_empty());
    assert!(p.game.view(&Seat::Observer).moderation.is_empty());
    // Control's form of a message names the poster's seat; nobody else's does.
    let control = p.game.view(&Seat::Control);
    assert_eq!(control.messages.last().unwrap().member, Some(boris));
    assert_eq!(p.game.view(&us()).messages.last().unwrap().member, None);
    // Five minutes later Anna posts again.
    p.now += 300_000;
    p.apply_in(&ru(), chat(Channel::Plenary, "back"), &as_person(&p, anna))
        .expect("the mute has ended");
    // Lifted early: muted again, then unmuted.
    let ctx = named(&p);
    p.apply_in(&Seat::Control, mute(60), &ctx)
        .expect("muted again");
    let unmute = Command::UnmuteMember { member: anna };
    p.apply_in(&Seat::Control, unmute.clone(), &ctx)
        .expect("unmuted");
    p.apply_in(&ru(), chat(Channel::Plenary, "free"), &as_person(&p, anna))
        .expect("posts after the unmute");
    assert_eq!(
        p.apply_in(&Seat::Control, unmute, &ctx).unwrap_err().code(),
        "invalid",
        "not muted"
    );
    let replayed = Game::replay(scenario(), &p.log).expect("replay");
    assert!(replayed == p.game);
    // After the end everyone reads the records; other factions without the name.
    p.ok(
        &Seat::Control,
        Command::EndGame {
            note: String::new(),
        },
    );
    let us_view = p.game.view(&us());
    assert_eq!(us_view.moderation.len(), 3);
    assert!(us_view
        .moderation
        .iter()
        .all(|m| m.name.is_none() && m.member.is_none()));
    assert!(p
        .game
        .view(&ru())
        .moderation
        .iter()
        .all(|m| m.name.as_deref() == Some("Anna")));
}

// ---------------------------------------------------------------------------------------------
// Languages
// ---------------------------------------------------------------------------------------------

/// Whether a text has Cyrillic letters.
fn cyrillic(t: &str) -> bool {
    t.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

#[test]
fn a_game_in_russian_writes_the_scenario_texts_and_the_bots_lines_in_russian() {
    let temperaments = [
        Temperament::Hawk,
        Temperament::Pragmatist,
        Temperament::Dove,
    ];
    let mut lines = 0;
    for (i, t) in temperaments.iter().enumerate() {
        let mut c = config(i as u64 + 1);
        c.bots = bots(*t);
        c.bots.insert(fid("us_nato"), temperaments[(i + 1) % 3]);
        c.language = Some("ru".into());
        let (game, log) = bot_game_of(c);
        assert_eq!(game.language(), "ru");
        assert_eq!(game.view(&Seat::Control).language, "ru");
        // The scenario's texts the engine copies into the log: events' names and texts,
        // orders' names in the turn reports.
        let mut fired = 0;
        for e in &log {
            match e {
                Event::RoundBegan { fired: f, .. } => {
                    for x in f {
                        fired += 1;
                        assert!(cyrillic(&x.name) && cyrillic(&x.text), "{x:?}");
                    }
                }
                Event::Adjudicated { report, .. } => {
                    for o in report
                        .control
                        .orders
                        .iter()
                        .chain(&report.control.completed)
                    {
                        assert!(cyrillic(&o.name), "{o:?}");
                    }
                }
                _ => {}
            }
        }
        assert!(fired > 0);
        // Every line the bots wrote, with its author, in Russian; no placeholder left and no
        // English words of the engine's ("accord of", "draft", "(bot)", " and ").
        for e in &log {
            let Event::ChatPosted { message: m } = e else {
                continue;
            };
            lines += 1;
            assert!(m.author.ends_with(" (бот)") && cyrillic(&m.author), "{m:?}");
            assert!(cyrillic(&m.text), "not Russian: {:?}", m.text);
            assert!(
                !m.text.contains('{') && !m.text.contains('}'),
                "{:?}",
                m.text
            );
            for english in [" accord of ", " draft)", "(bot)", " and ", " instead of "] {
                assert!(!m.text.contains(english), "English in {:?}", m.text);
            }
        }
        for p in &game.proposals {
            assert!(cyrillic(&p.terms.title), "{:?}", p.terms.title);
        }
        // The log replays to the same game, in Russian.
        let replayed = Game::replay(scenario(), &log).expect("replay");
        assert!(replayed == game);
        assert_eq!(replayed.language(), "ru");
        assert_eq!(
            replayed.scenario.faction("russia").map(|f| f.name.as_str()),
            Some("Россия")
        );
    }
    assert!(lines > 50, "only {lines} bot lines in 3 games");
}

#[test]
fn a_game_in_a_language_its_scenario_lacks_is_refused() {
    let mut c = config(SEED);
    c.language = Some("de".into());
    let e = Game::create(scenario(), c, T0).expect_err("refused");
    assert_eq!(e.code(), "invalid");
    assert!(e.to_string().contains("no language \"de\""), "{e}");
    assert!(e.to_string().contains("en, ru"), "{e}");
}

#[test]
fn a_game_without_a_language_is_in_the_scenarios_own() {
    let p = Play::new();
    assert_eq!(p.game.language(), "en");
    assert_eq!(p.game.view(&ru()).language, "en");
    assert_eq!(
        p.game.scenario.faction("russia").map(|f| f.name.as_str()),
        Some("Russia")
    );
    // A game recorded before games had a language has none in its config, and reads as the
    // scenario's own; a game in English records none either.
    let Event::GameCreated { config, .. } = &p.log[0] else {
        panic!("the log starts with game_created")
    };
    assert_eq!(config.language, None);
    let json = serde_json::to_value(config).unwrap();
    assert!(json.get("language").is_none(), "{json}");
    let mut ru_config = config.clone();
    ru_config.language = Some("ru".into());
    let json = serde_json::to_value(&ru_config).unwrap();
    assert_eq!(json["language"], "ru");
    // A log whose language the scenario no longer has replays in the scenario's own.
    let mut log = p.log.clone();
    if let Event::GameCreated { config, .. } = &mut log[0] {
        config.language = Some("de".into());
    }
    assert_eq!(Game::replay(scenario(), &log).unwrap().language(), "en");
}

// ---------------------------------------------------------------------------------------------
// Branches
// ---------------------------------------------------------------------------------------------

/// A log with sequence numbers, as the store gives it.
fn numbered(log: &[Event]) -> Vec<(i64, Event)> {
    log.iter()
        .enumerate()
        .map(|(i, e)| (i as i64 + 1, e.clone()))
        .collect()
}

#[test]
fn a_branch_starts_from_a_past_round_as_each_seat_saw_it_and_goes_its_own_way() {
    let mut p = Play::new();
    let parent = Uuid::from_u128(7);
    // Five rounds with talk, a signed agreement and orders, the bots' way.
    for r in 0..5 {
        p.ok(&ru(), chat(Channel::Plenary, &format!("round {r}")));
        p.ok(
            &us(),
            chat(
                Channel::Bilateral {
                    factions: [fid("russia"), fid("us_nato")],
                },
                &format!("secret {r}"),
            ),
        );
        p.next_round();
    }
    assert_eq!(p.game.round, 5);
    let log = numbered(&p.log);
    let before = p.log.clone();
    // The state at the start of round 3 (0-based 2), from the parent's own log.
    let cut = log
        .iter()
        .position(|(_, e)| matches!(e, Event::RoundBegan { round: 2, .. }))
        .unwrap();
    let then = Game::replay(scenario(), &p.log[..=cut]).unwrap();
    let (mut b1, events1) = Game::branch(
        scenario(),
        parent,
        &log,
        2,
        Phase::Briefing,
        BranchSettings::default(),
    )
    .expect("branch");
    let (b2, _) = Game::branch(
        scenario(),
        parent,
        &log,
        2,
        Phase::Briefing,
        BranchSettings {
            title: Some("What if".into()),
            bots: Some([(fid("csto"), Temperament::Hawk)].into_iter().collect()),
            ..BranchSettings::default()
        },
    )
    .expect("second branch");
    assert_eq!(p.log, before, "the parent is untouched");
    assert_eq!(
        events1.len(),
        cut + 2,
        "the parent's log up to the cut, then the marker"
    );
    assert_eq!(
        b1.branch,
        Some(BranchPoint {
            parent,
            parent_seq: cut as i64 + 1,
            round: 2,
            phase: Phase::Briefing
        })
    );
    assert!(b1.paused && b1.deadline_at.is_none() && b1.round == 2);
    assert_eq!(b2.config.title.as_deref(), Some("What if"));
    assert_eq!(b2.config.bots.get(&fid("csto")), Some(&Temperament::Hawk));
    // Each seat sees in the branch what it saw then: nothing more, nothing less.
    for seat in [ru(), us(), csto(), Seat::Observer, Seat::Control] {
        let (a, b) = (then.view(&seat), b1.view(&seat));
        assert_eq!(a.messages, b.messages, "{seat:?} messages");
        assert_eq!(a.proposals, b.proposals, "{seat:?} proposals");
        assert_eq!(a.agreements, b.agreements, "{seat:?} agreements");
        assert_eq!(a.reports, b.reports, "{seat:?} reports");
        assert_eq!(a.vars, b.vars, "{seat:?} vars");
        assert_eq!(a.purses, b.purses, "{seat:?} purses");
        assert_eq!(a.indices, b.indices, "{seat:?} indices");
        let json = serde_json::to_string(&b).unwrap();
        assert!(
            !json.contains("round 2") && !json.contains("secret 3"),
            "{seat:?} sees the parent's future"
        );
        if seat == csto() || seat == Seat::Observer {
            assert!(
                !json.contains("secret 0"),
                "{seat:?} reads a bilateral it is not in"
            );
        }
    }
    // The branch goes on by itself; its log replays to the same game.
    let mut branch_log = events1;
    let now = p.now;
    for cmd in [Command::Resume {}, Command::AdvancePhase {}] {
        let evs = b1
            .apply(&Seat::Control, &cmd, &Ctx::at(now))
            .expect("branch plays");
        branch_log.extend(evs);
    }
    let evs = b1
        .apply(
            &ru(),
            &chat(Channel::Plenary, "a different 2015"),
            &Ctx::at(now),
        )
        .unwrap();
    branch_log.extend(evs);
    assert_eq!(b1.phase, Phase::Negotiation);
    let replayed = Game::replay(scenario(), &branch_log).expect("replay");
    assert!(replayed == b1, "the branch's log rebuilds it");
    // A branch of the branch, at its own round 3 negotiation.
    let (bb, _) = Game::branch(
        scenario(),
        Uuid::from_u128(8),
        &numbered(&branch_log),
        2,
        Phase::Negotiation,
        BranchSettings::default(),
    )
    .expect("branch of a branch");
    assert_eq!((bb.round, bb.phase), (2, Phase::Negotiation));
    assert!(bb
        .view(&ru())
        .messages
        .iter()
        .all(|m| m.text != "a different 2015"));
    // Points the game has not reached, and lobby or end, are refused.
    let e = Game::branch(
        scenario(),
        parent,
        &log,
        6,
        Phase::Briefing,
        BranchSettings::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid");
    for phase in [Phase::Lobby, Phase::Ended] {
        assert!(Game::branch(
            scenario(),
            parent,
            &log,
            1,
            phase,
            BranchSettings::default()
        )
        .is_err());
    }
    let bad = BranchSettings {
        preset: Some("no_such_preset".into()),
        ..BranchSettings::default()
    };
    assert!(Game::branch(scenario(), parent, &log, 1, Phase::Briefing, bad).is_err());
}

// ---------------------------------------------------------------------------------------------
// Outside agents: a faction played through a token, its messages approved by Control
// ---------------------------------------------------------------------------------------------

fn agent(approve_chat: bool) -> Command {
    Command::SetAgent {
        faction: fid("russia"),
        agent: Some(Agent {
            name: " Negotiator v2 ".into(),
            approve_chat,
        }),
    }
}

fn approve(held: u32) -> Command {
    Command::ApproveMessage {
        faction: fid("russia"),
        held,
    }
}

#[test]
fn an_agent_s_messages_to_other_factions_wait_for_control_and_only_control_and_its_faction_read_them(
) {
    let mut p = Play::new();
    p.err(&ru(), agent(true), "control_only");
    p.ok(&Seat::Control, agent(true));
    // Setting the same agent again records nothing; everyone sees who plays Russia.
    assert!(p.ok(&Seat::Control, agent(true)).is_empty());
    for seat in readers() {
        let a = &p.game.view(&seat).agents[&fid("russia")];
        assert_eq!((a.name.as_str(), a.approve_chat), ("Negotiator v2", true));
    }
    // To other factions: held. To its own team and to Control: delivered at once.
    let pair = Channel::Bilateral {
        factions: [fid("russia"), fid("us_nato")],
    };
    let held = p.ok(&ru(), chat(Channel::Plenary, "HELD-PLENARY"));
    assert!(matches!(&held[..], [Event::ChatHeld { held }] if held.id == 1));
    p.ok(&ru(), chat(pair.clone(), "HELD-BILATERAL"));
    p.ok(
        &ru(),
        chat(
            Channel::Team {
                faction: fid("russia"),
            },
            "team note",
        ),
    );
    p.ok(
        &ru(),
        chat(
            Channel::Control {
                faction: fid("russia"),
            },
            "to Control",
        ),
    );
    assert_eq!(
        p.game.messages.len(),
        2,
        "only the team and Control messages are out"
    );
    // People of other factions are not held.
    p.ok(&us(), chat(Channel::Plenary, "from people"));
    assert_eq!(p.game.view(&us()).messages.len(), 1);
    let secret = |p: &Play, seat: &Seat, texts: &[&str]| {
        let view = serde_json::to_string(&p.game.view(seat)).unwrap();
        let resync: Vec<_> = p
            .log
            .iter()
            .filter_map(|e| p.game.event_for(seat, e))
            .collect();
        let resync = serde_json::to_string(&resync).unwrap();
        for text in texts {
            assert!(!view.contains(text), "{seat:?} view has {text}");
            assert!(!resync.contains(text), "{seat:?} resync has {text}");
        }
        assert!(p.game.view(seat).held.is_empty());
    };
    for seat in [us(), csto(), Seat::Observer] {
        secret(&p, &seat, &["HELD-PLENARY", "HELD-BILATERAL"]);
        assert!(p.game.event_for(&seat, &held[0]).is_none());
    }
    // Russia reads its own held messages, without the writer's seat; Control reads them whole.
    let own = p.game.view(&ru()).held;
    assert_eq!(own.len(), 2);
    assert!(own
        .iter()
        .all(|h| h.member.is_none() && h.decision.is_none()));
    assert_eq!(p.game.view(&Seat::Control).held.len(), 2);
    // Only Control decides, about a message that waits.
    p.err(&ru(), approve(1), "control_only");
    p.err(&Seat::Control, approve(9), "invalid");
    p.err(
        &Seat::Control,
        Command::ApproveMessage {
            faction: fid("us_nato"),
            held: 1,
        },
        "invalid",
    );
    p.now += 5_000;
    let approved = p.ok(&Seat::Control, approve(1));
    let [Event::HeldMessageDecided { decision, .. }, Event::ChatPosted { message }] = &approved[..]
    else {
        panic!("approval: {approved:?}");
    };
    assert!(decision.approved);
    assert_eq!(decision.message, Some(message.id));
    assert_eq!(message.id, 2, "the plenary's next message");
    assert_eq!(
        (message.text.as_str(), message.at_ms),
        ("HELD-PLENARY", p.now)
    );
    assert_eq!(message.from, ru());
    // The delivered message reaches every reader of the channel; the decision only Russia.
    assert!(p.game.event_for(&us(), &approved[1]).is_some());
    assert!(p.game.event_for(&us(), &approved[0]).is_none());
    assert!(p.game.event_for(&ru(), &approved[0]).is_some());
    p.err(&Seat::Control, approve(1), "invalid");
    // A refusal: never delivered, and Russia learns why.
    p.ok(
        &Seat::Control,
        Command::RejectMessage {
            faction: fid("russia"),
            held: 2,
            reason: "off topic".into(),
        },
    );
    p.err(&Seat::Control, approve(2), "invalid");
    assert!(!p.game.messages.iter().any(|m| m.text == "HELD-BILATERAL"));
    let decided = &p.game.view(&ru()).held[1];
    let d = decided.decision.as_ref().expect("decided");
    assert!(!d.approved && d.reason == "off topic" && d.message.is_none());
    secret(&p, &csto(), &["HELD-BILATERAL"]);
    // A bot cannot take an agent's faction, nor an agent a bot's.
    p.err(
        &Seat::Control,
        Command::SetBot {
            faction: fid("russia"),
            temperament: Some(Temperament::Dove),
        },
        "invalid",
    );
    p.ok(
        &Seat::Control,
        Command::SetBot {
            faction: fid("csto"),
            temperament: Some(Temperament::Dove),
        },
    );
    p.err(
        &Seat::Control,
        Command::SetAgent {
            faction: fid("csto"),
            agent: Some(Agent {
                name: "x".into(),
                approve_chat: false,
            }),
        },
        "invalid",
    );
    // Replaying the log gives the same game; after the end the held texts stay with Control
    // and Russia.
    assert!(Game::replay(scenario(), &p.log).expect("replay") == p.game);
    p.ok(&ru(), chat(Channel::Plenary, "HELD-AT-THE-END"));
    p.ok(
        &Seat::Control,
        Command::EndGame {
            note: String::new(),
        },
    );
    for seat in [us(), csto(), Seat::Observer] {
        secret(&p, &seat, &["HELD-BILATERAL", "HELD-AT-THE-END"]);
    }
    assert_eq!(p.game.view(&Seat::Control).held.len(), 3);
    // People play Russia again: what still waited is refused, and its messages go out at once.
    let mut p = Play::new();
    p.ok(&Seat::Control, agent(true));
    p.ok(&ru(), chat(Channel::Plenary, "left waiting"));
    let back = p.ok(
        &Seat::Control,
        Command::SetAgent {
            faction: fid("russia"),
            agent: None,
        },
    );
    assert!(
        matches!(&back[..], [Event::HeldMessageDecided { decision, .. }, Event::AgentSet { agent: None, .. }]
        if !decision.approved && decision.reason.contains("no longer plays"))
    );
    assert!(p.game.view(&us()).agents.is_empty());
    let out = p.ok(&ru(), chat(Channel::Plenary, "straight out"));
    assert!(matches!(&out[..], [Event::ChatPosted { .. }]));
}

#[test]
fn an_agent_without_approval_chats_like_people_and_a_flood_of_held_messages_is_a_limit() {
    let mut p = Play::new();
    p.ok(&Seat::Control, agent(false));
    let out = p.ok(&ru(), chat(Channel::Plenary, "straight out"));
    assert!(matches!(&out[..], [Event::ChatPosted { .. }]));
    p.ok(&Seat::Control, agent(true));
    for i in 0..super::game::MAX_HELD_PENDING {
        p.ok(&ru(), chat(Channel::Plenary, &format!("m{i}")));
    }
    p.err(&ru(), chat(Channel::Plenary, "one too many"), "limit");
    // A decision makes room.
    p.ok(&Seat::Control, approve(3));
    p.ok(&ru(), chat(Channel::Plenary, "now it fits"));
    let ids: Vec<u32> = p.game.held.iter().map(|h| h.id).collect();
    assert_eq!(
        ids.last(),
        Some(&(super::game::MAX_HELD_PENDING as u32 + 1))
    );
    // An agent needs a name.
    p.err(
        &Seat::Control,
        Command::SetAgent {
            faction: fid("us_nato"),
            agent: Some(Agent {
                name: "  ".into(),
                approve_chat: false,
            }),
        },
        "invalid",
    );
}
