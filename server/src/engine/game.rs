//! One game: its state, the validation of every command, and the fold of events into state.
//!
//! `apply` = decide (validate, compute the events; nothing changes on error) + `evolve` (the
//! only place state changes). Replaying the event log through `evolve` rebuilds the game.

use super::error::{hint, CommandError};
use super::ids::*;
use super::model::Params;
use super::scenario::{ClauseForm, EventEffect, PhaseDeadlines, Scenario, Visibility};
use super::types::*;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use uuid::Uuid;

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;
/// Longest title, reason or annotation, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most clauses in one proposal.
pub const MAX_CLAUSES: usize = 12;
/// Most units in one order.
pub const MAX_QUANTITY: u32 = 100;

/// Context of a command that the engine cannot know by itself.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// Wall-clock time in milliseconds since the epoch, given by the caller.
    pub now_ms: i64,
    /// Display name of the person acting (chat author).
    pub author: String,
    /// The team member acting for a faction seat, when the faction is a team of people; `None`
    /// when the faction acts as one (bots, simulations, a single player's tests).
    pub member: Option<TeamMember>,
}

impl Ctx {
    pub fn at(now_ms: i64) -> Ctx {
        Ctx {
            now_ms,
            ..Ctx::default()
        }
    }
}

/// One member of a faction's team, as the server sees the team at the moment of a command.
#[derive(Clone, Debug, Default)]
pub struct TeamMember {
    /// The member's seat.
    pub id: Uuid,
    /// The team's members connected to the game now, this one included.
    pub connected: Vec<Uuid>,
    /// Whether this member is the team's captain (the member seated longest among those
    /// connected).
    pub captain: bool,
}

/// A shared scenario; two are equal when they have the same id (scenarios are immutable once
/// loaded, so this keeps state comparisons cheap).
#[derive(Clone, Debug)]
pub struct ScenarioRef(pub Arc<Scenario>);

impl PartialEq for ScenarioRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.id == other.0.id
    }
}

impl std::ops::Deref for ScenarioRef {
    type Target = Scenario;
    fn deref(&self) -> &Scenario {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Game {
    pub scenario: ScenarioRef,
    pub config: GameConfig,
    pub params: Params,
    pub deadlines: PhaseDeadlines,
    /// 0-based index into `scenario.rounds`.
    pub round: u32,
    pub phase: Phase,
    pub paused: bool,
    /// Absolute deadline of the current phase (ms since epoch), if any.
    pub deadline_at: Option<i64>,
    /// Time left when paused, to re-arm the deadline on resume.
    pub paused_remaining: Option<i64>,
    pub core: Core,
    pub orders: BTreeMap<FactionId, Vec<Order>>,
    /// Next order id per faction. Ids are per faction so that a faction's ids say nothing
    /// about how many orders the others have drafted.
    pub next_order: BTreeMap<FactionId, u32>,
    /// Messages posted per channel; a message's id counts within its channel only, so ids say
    /// nothing about traffic in channels the reader cannot see.
    pub channel_counts: BTreeMap<Channel, u32>,
    pub ready: BTreeSet<FactionId>,
    /// Members of each team who said Ready in this phase, with their names.
    pub members_ready: BTreeMap<FactionId, BTreeMap<Uuid, String>>,
    pub proposals: Vec<Proposal>,
    pub messages: Vec<Message>,
    /// Every event fired, by round.
    pub briefings: Vec<(u32, FiredEvent)>,
    pub reports: Vec<TurnReport>,
    pub overrides: Vec<(u32, VarId, f64, f64, String)>,
    pub annotations: Vec<(u32, String)>,
    pub scheduled_off: BTreeSet<EventId>,
    pub ending: Option<Ending>,
}

/// A deterministic random stream for one purpose in one round of one game.
pub fn rng(seed: u64, round: u32, stream: u64) -> ChaCha8Rng {
    // splitmix64 of the three inputs, so neighbouring seeds give unrelated streams.
    let mut x = seed ^ (u64::from(round) << 40) ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    ChaCha8Rng::seed_from_u64(x)
}

/// A uniform draw in [0, 1).
pub fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

pub(crate) const STREAM_EVENTS: u64 = 1;
pub(crate) const STREAM_ADJUDICATION: u64 = 2;
pub(crate) const STREAM_BOTS: u64 = 3;
const STREAM_PROPOSAL_IDS: u64 = 4;
const STREAM_AGREEMENT_IDS: u64 = 5;

/// The `n`th id of a kind: a deterministic number in 1..2^31 that does not reveal how many
/// others exist (a sequential id would show a reader the proposals it is not party to).
fn opaque_id(seed: u64, stream: u64, n: usize, taken: impl Fn(u32) -> bool) -> u32 {
    let mut rng = rng(seed, 0, stream.wrapping_add((n as u64) << 8));
    loop {
        let id = (rng.next_u32() & 0x7fff_ffff).max(1);
        if !taken(id) {
            return id;
        }
    }
}

impl Game {
    /// Creates a game and begins its first round. Returns the events to record.
    pub fn create(
        scenario: Arc<Scenario>,
        config: GameConfig,
        now_ms: i64,
    ) -> Result<(Game, Vec<Event>), CommandError> {
        for f in config.bots.keys() {
            if scenario.faction(f.as_str()).is_none() {
                return Err(unknown_faction(&scenario, f.as_str()));
            }
        }
        Params::resolve(&scenario, config.preset.as_deref()).map_err(CommandError::Invalid)?;
        let core = initial_core(&scenario);
        let start = config.start;
        let created = Event::GameCreated {
            scenario: scenario.id.clone(),
            scenario_fingerprint: scenario.fingerprint(),
            config,
            core: Box::new(core),
        };
        let mut game = Game::from_created(scenario, &created)?;
        let mut events = vec![created];
        // A game that waits for Start stays in the lobby, with no clock.
        if start == StartMode::Now {
            let begin = game.begin_round(0, now_ms);
            game.evolve(&begin);
            events.push(begin);
        }
        Ok((game, events))
    }

    /// Rebuilds a game from its recorded events.
    pub fn replay(scenario: Arc<Scenario>, events: &[Event]) -> Result<Game, CommandError> {
        let first = events
            .first()
            .ok_or_else(|| CommandError::Invalid("an event log starts with game_created".into()))?;
        let mut game = Game::from_created(scenario, first)?;
        for e in &events[1..] {
            game.evolve(e);
        }
        Ok(game)
    }

    fn from_created(scenario: Arc<Scenario>, created: &Event) -> Result<Game, CommandError> {
        let Event::GameCreated {
            config,
            core,
            scenario: id,
            scenario_fingerprint,
        } = created
        else {
            return Err(CommandError::Invalid(
                "an event log starts with game_created".into(),
            ));
        };
        if *id != scenario.id || *scenario_fingerprint != scenario.fingerprint() {
            return Err(CommandError::Invalid(format!(
                "this game was recorded with scenario \"{id}\" ({scenario_fingerprint}); the scenario given is \"{}\" ({}), a different version",
                scenario.id,
                scenario.fingerprint()
            )));
        }
        let params =
            Params::resolve(&scenario, config.preset.as_deref()).map_err(CommandError::Invalid)?;
        let deadlines = config.deadlines.unwrap_or(scenario.phases);
        Ok(Game {
            params,
            deadlines,
            config: config.clone(),
            round: 0,
            // Until the first round begins (at once, or at Start).
            phase: Phase::Lobby,
            paused: false,
            deadline_at: None,
            paused_remaining: None,
            core: (**core).clone(),
            orders: BTreeMap::new(),
            next_order: BTreeMap::new(),
            channel_counts: BTreeMap::new(),
            ready: BTreeSet::new(),
            members_ready: BTreeMap::new(),
            proposals: Vec::new(),
            messages: Vec::new(),
            briefings: Vec::new(),
            reports: Vec::new(),
            overrides: Vec::new(),
            annotations: Vec::new(),
            scheduled_off: BTreeSet::new(),
            ending: None,
            scenario: ScenarioRef(scenario),
        })
    }

    pub fn faction_ids(&self) -> impl Iterator<Item = &FactionId> {
        self.scenario.factions.iter().map(|f| &f.id)
    }

    pub fn round_label(&self) -> &str {
        self.scenario
            .rounds
            .get(self.round as usize)
            .map(|r| r.label.as_str())
            .unwrap_or("")
    }

    pub fn var(&self, id: &str) -> f64 {
        self.scenario
            .var_index(id)
            .map(|i| self.core.vars[i])
            .unwrap_or(0.0)
    }

    /// Validates `cmd` from `seat` and applies it. On error nothing changes.
    pub fn apply(
        &mut self,
        seat: &Seat,
        cmd: &Command,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        let events = self.plan(seat, cmd, ctx)?;
        for e in &events {
            self.evolve(e);
        }
        Ok(events)
    }

    /// As [`Game::apply`], for callers that keep no event log (simulations, the balance
    /// harness): the events' contents move into the state instead of being copied.
    pub fn apply_unlogged(
        &mut self,
        seat: &Seat,
        cmd: &Command,
        ctx: &Ctx,
    ) -> Result<(), CommandError> {
        let events = self.plan(seat, cmd, ctx)?;
        for e in events {
            self.evolve_owned(e);
        }
        Ok(())
    }

    /// [`Game::evolve`] taking the event by value, so a turn report or a state is moved, not
    /// copied. The same fold: anything not moved goes through `evolve`.
    pub fn evolve_owned(&mut self, e: Event) {
        match e {
            Event::Adjudicated { report, core } => {
                self.core = *core;
                self.reports.push(*report);
                self.orders.clear();
                self.clear_ready();
            }
            Event::ChatPosted { message } => {
                let n = self
                    .channel_counts
                    .entry(message.channel.clone())
                    .or_default();
                *n = (*n).max(message.id);
                self.messages.push(message);
            }
            other => self.evolve(&other),
        }
    }

    /// The events `cmd` would cause, without applying them: the server persists them first and
    /// evolves the game only after the commit.
    pub fn plan(&self, seat: &Seat, cmd: &Command, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
        let mut events = self.decide(seat, cmd, ctx)?;
        // Everyone ready moves the phase on, unless the game is paused; resuming a game in
        // which everyone is ready moves it on then.
        let team_ready = events
            .iter()
            .any(|e| matches!(e, Event::FactionReady { .. }));
        if let (Command::Ready {}, Some(f), true) = (cmd, seat.faction(), team_ready) {
            // Readiness is all that FactionReady changes, and advancing does not read it:
            // decide from the state as it is, without cloning the game.
            let all = self
                .scenario
                .factions
                .iter()
                .all(|x| x.id == *f || self.ready.contains(&x.id));
            if all && !self.paused && self.phase != Phase::Ended {
                events.extend(self.advance_events(ctx.now_ms));
            }
        } else if matches!(cmd, Command::Resume {}) && !events.is_empty() {
            let mut after = self.clone();
            for e in &events {
                after.evolve(e);
            }
            if !after.paused && after.all_ready() && after.phase != Phase::Ended {
                events.extend(after.advance_events(ctx.now_ms));
            }
        }
        Ok(events)
    }

    fn clear_ready(&mut self) {
        self.ready.clear();
        self.members_ready.clear();
    }

    fn all_ready(&self) -> bool {
        self.scenario
            .factions
            .iter()
            .all(|f| self.ready.contains(&f.id))
    }

    fn decide(&self, seat: &Seat, cmd: &Command, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
        if self.phase == Phase::Ended {
            return Err(CommandError::GameEnded);
        }
        let system_start = matches!(cmd, Command::Start {}) && *seat == Seat::System;
        if cmd.is_control() && *seat != Seat::Control && !system_start {
            return Err(CommandError::ControlOnly(control_verb(cmd).into()));
        }
        if self.phase == Phase::Lobby {
            self.lobby_allows(cmd)?;
        }
        if *seat == Seat::Observer {
            return Err(CommandError::NotYourFaction(
                "observers can read but not act".into(),
            ));
        }
        match cmd {
            Command::Chat { channel, text } => self.chat(seat, channel, text, ctx),
            Command::Propose { terms } => {
                let f = self.acting_faction(seat, "propose")?;
                self.need_phase(Phase::Negotiation, "proposals are made in negotiation")?;
                self.check_terms(f, terms)?;
                Ok(vec![Event::ProposalMade {
                    proposal: self.new_proposal(f, terms.clone(), None),
                }])
            }
            Command::Accept { proposal } => self.accept(seat, *proposal),
            Command::Reject { proposal, reason } => {
                let f = self.acting_faction(seat, "reject a proposal")?;
                self.need_phase(Phase::Negotiation, "proposals are answered in negotiation")?;
                let p = self.open_proposal_for(f, *proposal)?;
                check_len("reason", reason, MAX_TITLE_CHARS)?;
                Ok(vec![Event::ProposalRejected {
                    proposal: p.id,
                    by: f.clone(),
                    reason: reason.clone(),
                }])
            }
            Command::Counter { proposal, terms } => {
                let f = self.acting_faction(seat, "counter a proposal")?;
                self.need_phase(Phase::Negotiation, "proposals are answered in negotiation")?;
                let p = self.open_proposal_for(f, *proposal)?;
                self.check_terms(f, terms)?;
                // Same parties, so that a counter never tells a newcomer about the proposal it
                // answers (or the original's parties about a counter they cannot see).
                let mut parties = terms.parties.clone();
                parties.sort();
                parties.dedup();
                if parties != p.terms.parties {
                    return Err(CommandError::Invalid(
                        "a counter-proposal keeps the parties of the proposal it answers; make a new proposal to involve others"
                            .into(),
                    ));
                }
                let counter = self.new_proposal(f, terms.clone(), Some(p.id));
                Ok(vec![
                    Event::ProposalCountered {
                        proposal: p.id,
                        by: f.clone(),
                        counter: counter.id,
                    },
                    Event::ProposalMade { proposal: counter },
                ])
            }
            Command::Withdraw { proposal } => {
                let f = self.acting_faction(seat, "withdraw a proposal")?;
                let p = self.find_proposal(*proposal, Some(f))?;
                if p.proposer != *f {
                    return Err(CommandError::NotYourFaction(format!(
                        "proposal {} was made by {}; only its proposer can withdraw it",
                        p.id,
                        self.faction_name(&p.proposer)
                    )));
                }
                if p.status != ProposalStatus::Open {
                    return Err(CommandError::Invalid(format!(
                        "proposal {} is no longer open",
                        p.id
                    )));
                }
                Ok(vec![Event::ProposalWithdrawn { proposal: p.id }])
            }
            Command::SubmitOrder {
                action,
                quantity,
                confirm_breach,
            } => {
                let f = self.acting_faction(seat, "give orders")?;
                self.need_phase(Phase::Orders, "orders are given in the orders phase")?;
                let order = Order {
                    id: self.next_order.get(f).copied().unwrap_or(1),
                    action: action.clone(),
                    quantity: *quantity,
                };
                self.check_orders(f, None, Some(&order))?;
                if !confirm_breach {
                    let breaks = self.would_breach(f, action);
                    if !breaks.is_empty() {
                        return Err(CommandError::WouldBreach {
                            action: self
                                .scenario
                                .action(action.as_str())
                                .map_or_else(|| action.to_string(), |a| a.name.to_string()),
                            breaks,
                        });
                    }
                }
                Ok(vec![Event::OrderSubmitted {
                    faction: f.clone(),
                    order,
                }])
            }
            Command::AmendOrder { order, quantity } => {
                let f = self.acting_faction(seat, "amend orders")?;
                self.need_phase(Phase::Orders, "orders are amended in the orders phase")?;
                let existing = self.own_order(f, *order)?;
                let amended = Order {
                    quantity: *quantity,
                    ..existing.clone()
                };
                self.check_orders(f, Some(*order), Some(&amended))?;
                Ok(vec![Event::OrderAmended {
                    faction: f.clone(),
                    order: *order,
                    quantity: *quantity,
                }])
            }
            Command::WithdrawOrder { order } => {
                let f = self.acting_faction(seat, "withdraw orders")?;
                self.need_phase(Phase::Orders, "orders are withdrawn in the orders phase")?;
                self.own_order(f, *order)?;
                Ok(vec![Event::OrderWithdrawn {
                    faction: f.clone(),
                    order: *order,
                }])
            }
            Command::Ready {} => {
                let f = self.acting_faction(seat, "declare ready")?;
                let marks = self.members_ready.get(f);
                let mut events = Vec::new();
                if let Some(m) = &ctx.member {
                    if !marks.is_some_and(|r| r.contains_key(&m.id)) {
                        events.push(Event::MemberReady {
                            faction: f.clone(),
                            member: m.id,
                            name: ctx.author.clone(),
                        });
                    }
                }
                let team = match (&ctx.member, self.config.team_ready) {
                    (None, _) => true,
                    (Some(m), TeamReady::Captain) => m.captain,
                    (Some(m), TeamReady::Everyone) => m
                        .connected
                        .iter()
                        .all(|c| *c == m.id || marks.is_some_and(|r| r.contains_key(c))),
                };
                if team && !self.ready.contains(f) {
                    events.push(Event::FactionReady { faction: f.clone() });
                }
                Ok(events)
            }
            Command::WithdrawReady {} => {
                let f = self.acting_faction(seat, "withdraw Ready")?;
                let mut events = Vec::new();
                if let Some(m) = &ctx.member {
                    if self
                        .members_ready
                        .get(f)
                        .is_some_and(|r| r.contains_key(&m.id))
                    {
                        events.push(Event::MemberReadyWithdrawn {
                            faction: f.clone(),
                            member: m.id,
                        });
                    }
                }
                // Under a captain, only the captain's word counts for the team.
                let decides = match (&ctx.member, self.config.team_ready) {
                    (Some(m), TeamReady::Captain) => m.captain,
                    _ => true,
                };
                if decides && self.ready.contains(f) {
                    events.push(Event::ReadyWithdrawn { faction: f.clone() });
                }
                Ok(events)
            }
            Command::SetStart { start } => {
                self.need_phase(Phase::Lobby, "the game has started already")?;
                if *start == StartMode::Now {
                    return Err(CommandError::Invalid(
                        "to start the game now, send start".into(),
                    ));
                }
                if *start == self.config.start {
                    return Ok(vec![]);
                }
                Ok(vec![Event::StartSet { start: *start }])
            }
            Command::Start {} => {
                self.need_phase(Phase::Lobby, "the game has started already")?;
                Ok(self.advance_events(ctx.now_ms))
            }
            Command::AdvancePhase {} => Ok(self.advance_events(ctx.now_ms)),
            Command::Pause {} => {
                if self.paused {
                    return Err(CommandError::Invalid("the game is already paused".into()));
                }
                Ok(vec![Event::Paused {
                    remaining_ms: self.deadline_at.map(|d| (d - ctx.now_ms).max(0)),
                }])
            }
            Command::Resume {} => {
                if !self.paused {
                    return Err(CommandError::Invalid("the game is not paused".into()));
                }
                Ok(vec![Event::Resumed {
                    deadline_at: self.paused_remaining.map(|r| ctx.now_ms + r),
                }])
            }
            Command::ExtendDeadline { seconds } => {
                if *seconds == 0 || *seconds > 24 * 3600 {
                    return Err(CommandError::Invalid(
                        "extend by 1 second to 24 hours".into(),
                    ));
                }
                if self.paused {
                    return Err(CommandError::Invalid(
                        "resume the game before extending its deadline".into(),
                    ));
                }
                let base = self.deadline_at.unwrap_or(ctx.now_ms).max(ctx.now_ms);
                Ok(vec![Event::DeadlineExtended {
                    deadline_at: base + i64::from(*seconds) * 1000,
                }])
            }
            Command::InjectEvent { event } => {
                let card = self.event_card(event)?;
                let mut core = self.core.clone();
                let mut builds_note = Vec::new();
                apply_event_effects(&self.scenario, &mut core, &card.effects, &mut builds_note);
                *core.fired.entry(card.id.clone()).or_default() += 1;
                Ok(vec![Event::EventInjected {
                    fired: FiredEvent {
                        id: card.id.clone(),
                        name: card.name.clone(),
                        text: card.text.clone(),
                        injected: true,
                    },
                    core: Box::new(core),
                }])
            }
            Command::Override { var, value, reason } => {
                let i = self.var_index(var)?;
                let v = &self.scenario.variables[i];
                if reason.trim().is_empty() {
                    return Err(CommandError::Invalid(
                        "an override needs a written reason (it appears in the after-action report)"
                            .into(),
                    ));
                }
                check_len("reason", reason, MAX_TITLE_CHARS)?;
                if !value.is_finite() || *value < v.min || *value > v.max {
                    return Err(CommandError::Invalid(format!(
                        "{} must be between {} and {}",
                        v.id, v.min, v.max
                    )));
                }
                Ok(vec![Event::Overridden {
                    var: var.clone(),
                    old: self.core.vars[i],
                    new: *value,
                    reason: reason.clone(),
                    round: self.round,
                }])
            }
            Command::SetBot {
                faction,
                temperament,
            } => {
                self.faction_exists(faction)?;
                Ok(vec![Event::BotSet {
                    faction: faction.clone(),
                    temperament: *temperament,
                }])
            }
            Command::SetScheduledEvent { event, enabled } => {
                let card = self.event_card(event)?;
                if card.kind != super::scenario::EventKind::Scheduled {
                    return Err(CommandError::Invalid(format!(
                        "\"{}\" is a random event; only scheduled events can be switched",
                        card.id
                    )));
                }
                Ok(vec![Event::ScheduledEventSet {
                    event: event.clone(),
                    enabled: *enabled,
                }])
            }
            Command::Annotate { text } => {
                if text.trim().is_empty() {
                    return Err(CommandError::Invalid("the annotation is empty".into()));
                }
                check_len("annotation", text, MAX_CHAT_CHARS)?;
                Ok(vec![Event::Annotated {
                    round: self.round,
                    text: text.clone(),
                }])
            }
            Command::EndGame { note } => {
                check_len("note", note, MAX_TITLE_CHARS)?;
                Ok(vec![Event::GameEnded {
                    ending: Ending::Control { note: note.clone() },
                }])
            }
            Command::Tick {} => {
                if *seat != Seat::System {
                    return Err(CommandError::Forbidden(
                        "only the server's own clock may tick".into(),
                    ));
                }
                match self.deadline_at {
                    Some(d) if !self.paused && ctx.now_ms >= d => {
                        Ok(self.advance_events(ctx.now_ms))
                    }
                    _ => Ok(vec![]),
                }
            }
        }
    }

    // ----- helpers for decide -----

    fn acting_faction<'s>(
        &self,
        seat: &'s Seat,
        what: &str,
    ) -> Result<&'s FactionId, CommandError> {
        match seat {
            Seat::Faction(f) => Ok(f),
            _ => Err(CommandError::NotYourFaction(format!(
                "only a faction seat can {what}"
            ))),
        }
    }

    /// In the lobby people talk and Control sets the game up; nothing that belongs to a round
    /// can happen before Start.
    fn lobby_allows(&self, cmd: &Command) -> Result<(), CommandError> {
        let what = match cmd {
            Command::Ready {} | Command::WithdrawReady {} => "declare ready",
            Command::Pause {} | Command::Resume {} | Command::ExtendDeadline { .. } => {
                "use the clock"
            }
            Command::InjectEvent { .. } => "inject an event",
            _ => return Ok(()),
        };
        Err(CommandError::WrongPhase {
            phase: Phase::Lobby.name(),
            what: format!("the game waits for Control to press Start; nobody can {what} before"),
        })
    }

    fn need_phase(&self, phase: Phase, what: &str) -> Result<(), CommandError> {
        if self.phase != phase {
            return Err(CommandError::WrongPhase {
                phase: self.phase.name(),
                what: what.into(),
            });
        }
        Ok(())
    }

    pub fn faction_name(&self, f: &FactionId) -> String {
        self.scenario
            .faction(f.as_str())
            .map(|x| x.name.clone())
            .unwrap_or_else(|| f.to_string())
    }

    fn faction_exists(&self, f: &FactionId) -> Result<(), CommandError> {
        if self.scenario.faction(f.as_str()).is_none() {
            return Err(unknown_faction(&self.scenario, f.as_str()));
        }
        Ok(())
    }

    fn event_card(&self, id: &EventId) -> Result<&super::scenario::EventCard, CommandError> {
        self.scenario
            .event(id.as_str())
            .ok_or_else(|| CommandError::Unknown {
                kind: "event",
                id: id.to_string(),
                hint: hint(
                    id.as_str(),
                    self.scenario.events.iter().map(|e| e.id.as_str()),
                ),
            })
    }

    fn var_index(&self, var: &VarId) -> Result<usize, CommandError> {
        self.scenario
            .var_index(var.as_str())
            .ok_or_else(|| CommandError::Unknown {
                kind: "state variable",
                id: var.to_string(),
                hint: hint(
                    var.as_str(),
                    self.scenario.variables.iter().map(|v| v.id.as_str()),
                ),
            })
    }

    fn chat(
        &self,
        seat: &Seat,
        channel: &Channel,
        text: &str,
        ctx: &Ctx,
    ) -> Result<Vec<Event>, CommandError> {
        if !is_visible(text) {
            return Err(CommandError::Invalid("the message is empty".into()));
        }
        check_len("message", text, MAX_CHAT_CHARS)?;
        let channel = self.normalise_channel(channel)?;
        let allowed = match (&channel, seat) {
            (_, Seat::Control) => true,
            (Channel::Plenary, Seat::Faction(_)) => true,
            (Channel::Bilateral { factions }, Seat::Faction(f)) => factions.contains(f),
            (Channel::Team { faction }, Seat::Faction(f)) => faction == f,
            (Channel::Control { faction }, Seat::Faction(f)) => faction == f,
            _ => false,
        };
        if !allowed {
            return Err(CommandError::NotYourFaction(
                "you cannot post in that channel".into(),
            ));
        }
        Ok(vec![Event::ChatPosted {
            message: Message {
                id: self.channel_counts.get(&channel).copied().unwrap_or(0) + 1,
                round: self.round,
                channel,
                from: seat.clone(),
                author: truncate(&ctx.author, 64),
                text: text.to_owned(),
                at_ms: ctx.now_ms,
            },
        }])
    }

    /// `channel` with its factions checked and a bilateral pair in order.
    pub fn normalise_channel(&self, channel: &Channel) -> Result<Channel, CommandError> {
        Ok(match channel {
            Channel::Plenary => Channel::Plenary,
            Channel::Bilateral { factions: [a, b] } => {
                self.faction_exists(a)?;
                self.faction_exists(b)?;
                if a == b {
                    return Err(CommandError::Invalid(
                        "a bilateral channel needs two different factions".into(),
                    ));
                }
                let (a, b) = if a < b { (a, b) } else { (b, a) };
                Channel::Bilateral {
                    factions: [a.clone(), b.clone()],
                }
            }
            Channel::Team { faction } => {
                self.faction_exists(faction)?;
                channel.clone()
            }
            Channel::Control { faction } => {
                self.faction_exists(faction)?;
                channel.clone()
            }
        })
    }

    fn new_proposal(&self, f: &FactionId, mut terms: Terms, counter_of: Option<u32>) -> Proposal {
        terms.parties.sort();
        terms.parties.dedup();
        Proposal {
            id: opaque_id(
                self.config.seed,
                STREAM_PROPOSAL_IDS,
                self.proposals.len(),
                |id| self.proposals.iter().any(|p| p.id == id),
            ),
            round: self.round,
            proposer: f.clone(),
            terms,
            accepted_by: BTreeSet::from([f.clone()]),
            status: ProposalStatus::Open,
            counter_of,
        }
    }

    fn find_proposal(
        &self,
        id: u32,
        viewer: Option<&FactionId>,
    ) -> Result<&Proposal, CommandError> {
        // A faction that is not a party learns nothing about the proposal, not even that it
        // exists: same error as an unknown id.
        self.proposals
            .iter()
            .find(|p| p.id == id && viewer.is_none_or(|f| p.terms.parties.contains(f)))
            .ok_or_else(|| CommandError::Unknown {
                kind: "proposal",
                id: id.to_string(),
                hint: String::new(),
            })
    }

    fn open_proposal_for(&self, f: &FactionId, id: u32) -> Result<&Proposal, CommandError> {
        let p = self.find_proposal(id, Some(f))?;
        if p.status != ProposalStatus::Open {
            return Err(CommandError::Invalid(format!(
                "proposal {id} is no longer open"
            )));
        }
        Ok(p)
    }

    /// Validates a proposal's terms for `proposer`.
    pub fn check_terms(&self, proposer: &FactionId, terms: &Terms) -> Result<(), CommandError> {
        let scn = &self.scenario;
        if terms.title.trim().is_empty() {
            return Err(CommandError::Invalid(
                "give the proposal a title, e.g. \"Moscow accord\"".into(),
            ));
        }
        check_len("title", &terms.title, MAX_TITLE_CHARS)?;
        for p in &terms.parties {
            self.faction_exists(p)?;
        }
        let parties: BTreeSet<&FactionId> = terms.parties.iter().collect();
        if !parties.contains(proposer) {
            return Err(CommandError::Invalid(
                "the proposer must be one of the parties".into(),
            ));
        }
        if parties.len() < 2 {
            return Err(CommandError::Invalid(
                "an agreement needs at least two parties".into(),
            ));
        }
        if terms.clauses.is_empty() {
            return Err(CommandError::Invalid(
                "a proposal needs at least one clause".into(),
            ));
        }
        if terms.clauses.len() > MAX_CLAUSES {
            return Err(CommandError::Limit(format!(
                "a proposal has at most {MAX_CLAUSES} clauses"
            )));
        }
        let rounds = scn.rounds.len() as u32;
        if terms.duration_rounds == 0 || terms.duration_rounds > rounds {
            return Err(CommandError::Invalid(format!(
                "duration must be 1 to {rounds} rounds"
            )));
        }
        for (i, c) in terms.clauses.iter().enumerate() {
            let n = i + 1;
            let bad = |message: String| CommandError::MalformedClause { clause: n, message };
            let kind = scn.clause_kind(c.kind.as_str()).ok_or_else(|| {
                bad(format!(
                    "unknown clause kind \"{}\"{}",
                    c.kind,
                    hint(
                        c.kind.as_str(),
                        scn.clause_kinds.iter().map(|k| k.id.as_str())
                    )
                ))
            })?;
            if !parties.contains(&c.by) {
                return Err(bad(format!(
                    "the bound party \"{}\" is not a party to the proposal",
                    c.by
                )));
            }
            if !kind.givers.is_empty() && !kind.givers.contains(&c.by) {
                return Err(bad(format!(
                    "\"{}\" can only be given by {}",
                    kind.name,
                    kind.givers
                        .iter()
                        .map(|g| self.faction_name(g))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            // An agreement binds only its parties: a clause that names an institution of
            // other factions, or is given to one, needs them to sign.
            let missing: Vec<String> = kind
                .parties
                .iter()
                .filter(|f| !parties.contains(f))
                .map(|f| self.faction_name(f))
                .collect();
            if !missing.is_empty() {
                let needed: Vec<String> =
                    kind.parties.iter().map(|f| self.faction_name(f)).collect();
                return Err(bad(format!(
                    "\"{}\" needs {} among the parties (it concerns {}); add {} or drop the clause",
                    kind.name,
                    missing.join(" and "),
                    needed.join(" and "),
                    if missing.len() == 1 { "it" } else { "them" }
                )));
            }
            let unexpected = |field: &str| bad(format!("\"{}\" takes no {field}", kind.name));
            match kind.form {
                ClauseForm::Forbid => {
                    let a = c
                        .action
                        .as_ref()
                        .ok_or_else(|| bad(format!("\"{}\" needs an action", kind.name)))?;
                    let action = scn.action(a.as_str()).ok_or_else(|| {
                        bad(format!(
                            "unknown action \"{a}\"{}",
                            hint(a.as_str(), scn.actions.iter().map(|x| x.id.as_str()))
                        ))
                    })?;
                    if !kind.actions.is_empty() && !kind.actions.contains(a) {
                        return Err(bad(format!(
                            "\"{}\" cannot name \"{}\"; it covers: {}",
                            kind.name,
                            a,
                            kind.actions
                                .iter()
                                .map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    if action.owner != c.by {
                        return Err(bad(format!(
                            "\"{}\" is an action of {}, so {} cannot promise to refrain from it",
                            action.name,
                            self.faction_name(&action.owner),
                            self.faction_name(&c.by)
                        )));
                    }
                    if c.var.is_some() || c.max.is_some() || c.to.is_some() || c.amount.is_some() {
                        return Err(unexpected("var, max, to or amount"));
                    }
                }
                ClauseForm::Cap => {
                    let v = c
                        .var
                        .as_ref()
                        .ok_or_else(|| bad(format!("\"{}\" needs a var", kind.name)))?;
                    let vi = scn.var_index(v.as_str()).ok_or_else(|| {
                        bad(format!(
                            "unknown state variable \"{v}\"{}",
                            hint(v.as_str(), scn.variables.iter().map(|x| x.id.as_str()))
                        ))
                    })?;
                    let var = &scn.variables[vi];
                    if !kind.vars.is_empty() && !kind.vars.contains(v) {
                        return Err(bad(format!("\"{}\" cannot cap \"{v}\"", kind.name)));
                    }
                    if var.owner.as_ref() != Some(&c.by) {
                        return Err(bad(format!(
                            "{} does not control \"{}\"",
                            self.faction_name(&c.by),
                            var.name
                        )));
                    }
                    let max = c
                        .max
                        .ok_or_else(|| bad(format!("\"{}\" needs a max", kind.name)))?;
                    if !max.is_finite() || max < var.min || max > var.max {
                        return Err(bad(format!(
                            "max must be between {} and {}",
                            var.min, var.max
                        )));
                    }
                    if c.action.is_some() || c.to.is_some() || c.amount.is_some() {
                        return Err(unexpected("action, to or amount"));
                    }
                }
                ClauseForm::Transfer => {
                    let to =
                        c.to.as_ref()
                            .ok_or_else(|| bad("a transfer needs \"to\"".into()))?;
                    if !parties.contains(to) || *to == c.by {
                        return Err(bad(
                            "a transfer goes to another party of the proposal".into()
                        ));
                    }
                    let amount = c
                        .amount
                        .ok_or_else(|| bad("a transfer needs an amount".into()))?;
                    if !amount.is_finite() || amount <= 0.0 || amount > 1000.0 {
                        return Err(bad("the amount must be above 0 and at most 1000".into()));
                    }
                    if c.action.is_some() || c.var.is_some() || c.max.is_some() {
                        return Err(unexpected("action, var or max"));
                    }
                }
                ClauseForm::Guarantee | ClauseForm::Transparency | ClauseForm::Cooperation => {
                    if c.action.is_some()
                        || c.var.is_some()
                        || c.max.is_some()
                        || c.to.is_some()
                        || c.amount.is_some()
                    {
                        return Err(unexpected("action, var, max, to or amount"));
                    }
                }
            }
        }
        Ok(())
    }

    fn accept(&self, seat: &Seat, id: u32) -> Result<Vec<Event>, CommandError> {
        let f = self.acting_faction(seat, "accept a proposal")?;
        self.need_phase(Phase::Negotiation, "proposals are answered in negotiation")?;
        let p = self.open_proposal_for(f, id)?;
        if p.accepted_by.contains(f) {
            return Err(CommandError::Invalid(format!(
                "{} has already accepted proposal {id}",
                self.faction_name(f)
            )));
        }
        let mut events = vec![Event::ProposalAccepted {
            proposal: id,
            by: f.clone(),
        }];
        let everyone = p
            .terms
            .parties
            .iter()
            .all(|x| x == f || p.accepted_by.contains(x));
        // The accepting party must be able to pay its own share now; at the last signature a
        // party that can no longer pay is not named (that would reveal its capital).
        let own_share = Terms {
            clauses: p
                .terms
                .clauses
                .iter()
                .filter(|c| c.by == *f)
                .cloned()
                .collect(),
            ..p.terms.clone()
        };
        self.signature_purses(&own_share)
            .map_err(|(_, m)| CommandError::OverBudget(m))?;
        if everyone {
            let purses = self.signature_purses(&p.terms).map_err(|(payer, m)| {
                if payer == *f {
                    CommandError::OverBudget(m)
                } else {
                    CommandError::OverBudget(
                        "a party can no longer pay its share of this agreement; it cannot be signed as it stands"
                            .into(),
                    )
                }
            })?;
            let needs_ratification = p.terms.clauses.iter().any(|c| {
                self.scenario
                    .clause_kind(c.kind.as_str())
                    .is_some_and(|k| k.ratification.is_some())
            });
            let agreement = Agreement {
                id: opaque_id(
                    self.config.seed,
                    STREAM_AGREEMENT_IDS,
                    self.core.agreements.len(),
                    |id| self.core.agreements.iter().any(|a| a.id == id),
                ),
                proposal: id,
                terms: p.terms.clone(),
                signed_round: self.round,
                until_round: self.round + p.terms.duration_rounds,
                status: if needs_ratification {
                    AgreementStatus::PendingRatification
                } else {
                    AgreementStatus::InForce
                },
            };
            events.push(Event::AgreementSigned { agreement, purses });
        }
        Ok(events)
    }

    /// The parties' purses after paying clause costs and transfers, or an error naming who
    /// cannot pay.
    fn signature_purses(
        &self,
        terms: &Terms,
    ) -> Result<BTreeMap<FactionId, Purse>, (FactionId, String)> {
        let mut purses: BTreeMap<FactionId, Purse> = terms
            .parties
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    self.core.purses.get(f).copied().unwrap_or_default(),
                )
            })
            .collect();
        for (i, c) in terms.clauses.iter().enumerate() {
            let Some(kind) = self.scenario.clause_kind(c.kind.as_str()) else {
                continue;
            };
            let payer = purses.entry(c.by.clone()).or_default();
            payer.capital -= kind.capital_cost;
            if payer.capital < -1e-9 {
                return Err((
                    c.by.clone(),
                    format!(
                        "{} lacks the political capital for clause {} ({} needed)",
                        self.faction_name(&c.by),
                        i + 1,
                        kind.capital_cost
                    ),
                ));
            }
            if kind.form == ClauseForm::Transfer {
                let amount = c.amount.unwrap_or(0.0);
                payer.budget -= amount;
                if payer.budget < -1e-9 {
                    return Err((
                        c.by.clone(),
                        format!(
                            "{} lacks the budget for the transfer in clause {}",
                            self.faction_name(&c.by),
                            i + 1
                        ),
                    ));
                }
                if let Some(to) = &c.to {
                    purses.entry(to.clone()).or_default().budget += amount;
                }
            }
        }
        Ok(purses)
    }

    fn own_order(&self, f: &FactionId, id: u32) -> Result<&Order, CommandError> {
        self.orders
            .get(f)
            .and_then(|os| os.iter().find(|o| o.id == id))
            .ok_or_else(|| CommandError::Unknown {
                kind: "order",
                id: id.to_string(),
                hint: String::new(),
            })
    }

    /// Checks a faction's orders draft with `replace` removed and `add` added: action known
    /// and owned, quantity, prerequisites, limits and budget.
    pub fn check_orders(
        &self,
        f: &FactionId,
        replace: Option<u32>,
        add: Option<&Order>,
    ) -> Result<(), CommandError> {
        self.check_orders_with(f, replace, add.map(std::slice::from_ref).unwrap_or(&[]))
    }

    /// As [`Game::check_orders`], adding several orders (bots plan a whole draft at once).
    pub fn check_orders_with(
        &self,
        f: &FactionId,
        replace: Option<u32>,
        extra: &[Order],
    ) -> Result<(), CommandError> {
        let scn = &self.scenario;
        let mut draft: Vec<&Order> = self
            .orders
            .get(f)
            .map(|os| os.iter().filter(|o| Some(o.id) != replace).collect())
            .unwrap_or_default();
        for o in extra {
            let action = scn
                .action(o.action.as_str())
                .ok_or_else(|| CommandError::Unknown {
                    kind: "action",
                    id: o.action.to_string(),
                    hint: hint(
                        o.action.as_str(),
                        scn.actions
                            .iter()
                            .filter(|a| a.owner == *f)
                            .map(|a| a.id.as_str()),
                    ),
                })?;
            if action.owner != *f {
                return Err(CommandError::NotYourFaction(format!(
                    "\"{}\" is an action of {}",
                    action.name,
                    self.faction_name(&action.owner)
                )));
            }
            if o.quantity == 0 || o.quantity > MAX_QUANTITY {
                return Err(CommandError::Invalid(format!(
                    "quantity must be 1 to {MAX_QUANTITY}"
                )));
            }
            for r in &action.requires {
                let v = self.var(r.var.as_str());
                let ok = r.min.is_none_or(|m| v >= m) && r.max.is_none_or(|m| v <= m);
                if !ok {
                    let msg = if r.message.is_empty() {
                        format!(
                            "\"{}\" requires {} {}",
                            action.name,
                            r.var,
                            describe_bounds(r.min, r.max)
                        )
                    } else {
                        r.message.clone()
                    };
                    return Err(CommandError::Prerequisite(msg));
                }
            }
            draft.push(o);
        }
        let mut per_action: BTreeMap<&ActionId, u32> = BTreeMap::new();
        let mut budget = 0.0;
        let mut capital = 0.0;
        for o in &draft {
            let Some(a) = scn.action(o.action.as_str()) else {
                continue;
            };
            *per_action.entry(&o.action).or_default() += o.quantity;
            budget += a.budget * f64::from(o.quantity);
            capital += a.capital * f64::from(o.quantity);
        }
        for (id, q) in per_action {
            let Some(a) = scn.action(id.as_str()) else {
                continue;
            };
            if q > a.max_per_round {
                return Err(CommandError::Limit(format!(
                    "\"{}\": at most {} per round",
                    a.name, a.max_per_round
                )));
            }
            if let Some(max) = a.max_total {
                let used = self.core.used.get(id).copied().unwrap_or(0);
                if used + q > max {
                    return Err(CommandError::Limit(format!(
                        "\"{}\": at most {} in the whole game, {} already ordered",
                        a.name, max, used
                    )));
                }
            }
        }
        let purse = self.core.purses.get(f).copied().unwrap_or_default();
        if budget > purse.budget + 1e-9 {
            return Err(CommandError::OverBudget(format!(
                "these orders cost {budget} budget and {} has {}",
                self.faction_name(f),
                purse.budget
            )));
        }
        if capital > purse.capital + 1e-9 {
            return Err(CommandError::OverBudget(format!(
                "these orders cost {capital} political capital and {} has {}",
                self.faction_name(f),
                purse.capital
            )));
        }
        Ok(())
    }

    /// Clauses of agreements in force (or pending) that an order of `action` by `f` would
    /// break, as "clause N of TITLE". Used by clients to warn before submitting.
    pub fn would_breach(&self, f: &FactionId, action: &ActionId) -> Vec<String> {
        let mut out = Vec::new();
        let Some(a) = self.scenario.action(action.as_str()) else {
            return out;
        };
        for ag in &self.core.agreements {
            if !matches!(
                ag.status,
                AgreementStatus::InForce | AgreementStatus::PendingRatification
            ) {
                continue;
            }
            for (i, c) in ag.terms.clauses.iter().enumerate() {
                if c.by != *f {
                    continue;
                }
                let Some(kind) = self.scenario.clause_kind(c.kind.as_str()) else {
                    continue;
                };
                let breaks = match kind.form {
                    ClauseForm::Forbid => c.action.as_ref() == Some(action),
                    ClauseForm::Cap => c.var.as_ref().is_some_and(|v| {
                        let now = self.var(v.as_str());
                        let delta: f64 = a
                            .effects
                            .iter()
                            .filter(|e| e.var == *v)
                            .map(|e| match (e.delta, e.set) {
                                (Some(d), _) => d,
                                (None, Some(s)) => s - now,
                                _ => 0.0,
                            })
                            .sum();
                        delta > 0.0 && now + delta > c.max.unwrap_or(f64::INFINITY) + 1e-9
                    }),
                    _ => false,
                };
                if breaks {
                    out.push(format!("clause {} of the {}", i + 1, ag.terms.title));
                }
            }
        }
        out
    }

    // ----- phases -----

    /// Events that move the game to its next phase (adjudicating when leaving orders).
    pub fn advance_events(&self, now_ms: i64) -> Vec<Event> {
        let mut out = Vec::new();
        match self.phase {
            Phase::Lobby => out.push(self.begin_round(0, now_ms)),
            Phase::Briefing => out.push(self.phase_change(Phase::Negotiation, now_ms)),
            Phase::Negotiation => {
                let open: Vec<u32> = self
                    .proposals
                    .iter()
                    .filter(|p| p.status == ProposalStatus::Open)
                    .map(|p| p.id)
                    .collect();
                if !open.is_empty() {
                    out.push(Event::ProposalsExpired { proposals: open });
                }
                out.push(self.phase_change(Phase::Orders, now_ms));
            }
            Phase::Orders => {
                let (report, core, crisis) = super::adjudicate::adjudicate(self);
                out.push(Event::Adjudicated {
                    report: Box::new(report),
                    core: Box::new(core),
                });
                if let Some(tension) = crisis {
                    out.push(Event::GameEnded {
                        ending: Ending::Crisis { tension },
                    });
                } else {
                    out.push(self.phase_change(Phase::Review, now_ms));
                }
            }
            Phase::Review => {
                if self.round as usize + 1 >= self.scenario.rounds.len() {
                    out.push(Event::GameEnded {
                        ending: Ending::LastRound,
                    });
                } else {
                    out.push(self.begin_round(self.round + 1, now_ms));
                }
            }
            Phase::Ended => {}
        }
        out
    }

    fn deadline_for(&self, phase: Phase, now_ms: i64) -> Option<i64> {
        let secs = match phase {
            Phase::Briefing => self.deadlines.briefing,
            Phase::Negotiation => self.deadlines.negotiation,
            Phase::Orders => self.deadlines.orders,
            Phase::Review => self.deadlines.review,
            Phase::Lobby | Phase::Ended => 0,
        };
        (secs > 0).then(|| now_ms + i64::from(secs) * 1000)
    }

    fn phase_change(&self, phase: Phase, now_ms: i64) -> Event {
        Event::PhaseChanged {
            round: self.round,
            phase,
            deadline_at: if self.paused {
                None
            } else {
                self.deadline_for(phase, now_ms)
            },
            duration_ms: self.deadline_for(phase, 0),
        }
    }

    /// Refills resources, fires the round's events (scheduled, then random draws).
    fn begin_round(&self, round: u32, now_ms: i64) -> Event {
        let scn = &self.scenario;
        let mut core = self.core.clone();
        core.ratification_shift = 0.0;
        if round > 0 {
            for r in &scn.resources {
                let p = core.purses.entry(r.faction.clone()).or_default();
                p.budget = (p.budget + r.budget_per_round).min(r.budget_max);
                p.capital = (p.capital + r.capital_per_round).min(r.capital_max);
            }
        }
        let mut fired = Vec::new();
        let mut notes = Vec::new();
        for card in &scn.events {
            if card.kind == super::scenario::EventKind::Scheduled
                && card.round == Some(round + 1)
                && !self.scheduled_off.contains(&card.id)
            {
                fired.push(card);
            }
        }
        let mut rng = rng(self.config.seed, round, STREAM_EVENTS);
        for _ in 0..scn.random_events_per_round {
            let candidates: Vec<_> = scn
                .events
                .iter()
                .filter(|c| {
                    c.kind == super::scenario::EventKind::Random
                        && c.rounds.is_none_or(|[a, b]| (a..=b).contains(&(round + 1)))
                        && core.fired.get(&c.id).copied().unwrap_or(0) < c.max_times
                        && !fired.iter().any(|f| f.id == c.id)
                })
                .collect();
            let total: f64 = candidates.iter().map(|c| c.weight.unwrap_or(0.0)).sum();
            if total <= 0.0 {
                break;
            }
            let mut x = unit(&mut rng) * total;
            let mut pick = None;
            for c in &candidates {
                x -= c.weight.unwrap_or(0.0);
                if x < 0.0 {
                    pick = Some(*c);
                    break;
                }
            }
            if let Some(c) = pick.or(candidates.last().copied()) {
                fired.push(c);
            }
        }
        for card in &fired {
            apply_event_effects(scn, &mut core, &card.effects, &mut notes);
            *core.fired.entry(card.id.clone()).or_default() += 1;
        }
        Event::RoundBegan {
            round,
            fired: fired
                .iter()
                .map(|c| FiredEvent {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    text: c.text.clone(),
                    injected: false,
                })
                .collect(),
            core: Box::new(core),
            deadline_at: if self.paused {
                None
            } else {
                self.deadline_for(Phase::Briefing, now_ms)
            },
            duration_ms: self.deadline_for(Phase::Briefing, 0),
        }
    }

    // ----- evolve: the only place state changes -----

    pub fn evolve(&mut self, e: &Event) {
        match e {
            Event::GameCreated { core, .. } => self.core = (**core).clone(),
            Event::RoundBegan {
                round,
                fired,
                core,
                deadline_at,
                duration_ms,
            } => {
                self.round = *round;
                self.phase = Phase::Briefing;
                self.core = (**core).clone();
                self.set_deadline(*deadline_at, *duration_ms);
                self.clear_ready();
                self.orders.clear();
                for f in fired {
                    self.briefings.push((*round, f.clone()));
                }
            }
            Event::PhaseChanged {
                round,
                phase,
                deadline_at,
                duration_ms,
            } => {
                self.round = *round;
                self.phase = *phase;
                self.set_deadline(*deadline_at, *duration_ms);
                self.clear_ready();
            }
            Event::ChatPosted { message } => {
                let n = self
                    .channel_counts
                    .entry(message.channel.clone())
                    .or_default();
                *n = (*n).max(message.id);
                self.messages.push(message.clone());
            }
            Event::ProposalMade { proposal } => self.proposals.push(proposal.clone()),
            Event::ProposalAccepted { proposal, by } => {
                if let Some(p) = self.proposal_mut(*proposal) {
                    p.accepted_by.insert(by.clone());
                }
            }
            Event::ProposalRejected {
                proposal,
                by,
                reason,
            } => {
                if let Some(p) = self.proposal_mut(*proposal) {
                    p.status = ProposalStatus::Rejected {
                        by: by.clone(),
                        reason: reason.clone(),
                    };
                }
            }
            Event::ProposalCountered {
                proposal,
                by,
                counter,
            } => {
                if let Some(p) = self.proposal_mut(*proposal) {
                    p.status = ProposalStatus::Countered {
                        by: by.clone(),
                        counter: *counter,
                    };
                }
            }
            Event::ProposalWithdrawn { proposal } => {
                if let Some(p) = self.proposal_mut(*proposal) {
                    p.status = ProposalStatus::Withdrawn;
                }
            }
            Event::ProposalsExpired { proposals } => {
                for id in proposals {
                    if let Some(p) = self.proposal_mut(*id) {
                        p.status = ProposalStatus::Expired;
                    }
                }
            }
            Event::AgreementSigned { agreement, purses } => {
                if let Some(p) = self.proposal_mut(agreement.proposal) {
                    p.status = ProposalStatus::Signed {
                        agreement: agreement.id,
                    };
                }
                for (f, purse) in purses {
                    self.core.purses.insert(f.clone(), *purse);
                }
                self.core.agreements.push(agreement.clone());
            }
            Event::OrderSubmitted { faction, order } => {
                self.orders
                    .entry(faction.clone())
                    .or_default()
                    .push(order.clone());
                let next = self.next_order.entry(faction.clone()).or_insert(1);
                *next = (*next).max(order.id.saturating_add(1));
            }
            Event::OrderAmended {
                faction,
                order,
                quantity,
            } => {
                if let Some(o) = self
                    .orders
                    .get_mut(faction)
                    .and_then(|os| os.iter_mut().find(|o| o.id == *order))
                {
                    o.quantity = *quantity;
                }
            }
            Event::OrderWithdrawn { faction, order } => {
                if let Some(os) = self.orders.get_mut(faction) {
                    os.retain(|o| o.id != *order);
                }
            }
            Event::FactionReady { faction } => {
                self.ready.insert(faction.clone());
            }
            Event::ReadyWithdrawn { faction } => {
                self.ready.remove(faction);
            }
            Event::MemberReady {
                faction,
                member,
                name,
            } => {
                self.members_ready
                    .entry(faction.clone())
                    .or_default()
                    .insert(*member, name.clone());
            }
            Event::MemberReadyWithdrawn { faction, member } => {
                if let Some(m) = self.members_ready.get_mut(faction) {
                    m.remove(member);
                }
            }
            Event::Paused { remaining_ms } => {
                self.paused = true;
                self.paused_remaining = *remaining_ms;
                self.deadline_at = None;
            }
            Event::Resumed { deadline_at } => {
                self.paused = false;
                self.paused_remaining = None;
                self.deadline_at = *deadline_at;
            }
            Event::DeadlineExtended { deadline_at } => self.deadline_at = Some(*deadline_at),
            Event::EventInjected { fired, core } => {
                self.core = (**core).clone();
                self.briefings.push((self.round, fired.clone()));
            }
            Event::Overridden {
                var,
                old,
                new,
                reason,
                round,
            } => {
                if let Some(i) = self.scenario.var_index(var.as_str()) {
                    self.core.vars[i] = *new;
                }
                self.overrides
                    .push((*round, var.clone(), *old, *new, reason.clone()));
            }
            Event::BotSet {
                faction,
                temperament,
            } => match temperament {
                Some(t) => {
                    self.config.bots.insert(faction.clone(), *t);
                }
                None => {
                    self.config.bots.remove(faction);
                }
            },
            Event::StartSet { start } => self.config.start = *start,
            Event::ScheduledEventSet { event, enabled } => {
                if *enabled {
                    self.scheduled_off.remove(event);
                } else {
                    self.scheduled_off.insert(event.clone());
                }
            }
            Event::Annotated { round, text } => self.annotations.push((*round, text.clone())),
            Event::Adjudicated { report, core } => {
                self.core = (**core).clone();
                self.reports.push((**report).clone());
                self.orders.clear();
                self.clear_ready();
            }
            Event::GameEnded { ending } => {
                self.phase = Phase::Ended;
                self.deadline_at = None;
                self.ending = Some(ending.clone());
            }
        }
    }

    /// A new phase's deadline: armed now, or (while paused) its full duration kept for resume.
    fn set_deadline(&mut self, deadline_at: Option<i64>, duration_ms: Option<i64>) {
        if self.paused {
            self.deadline_at = None;
            self.paused_remaining = duration_ms;
        } else {
            self.deadline_at = deadline_at;
        }
    }

    fn proposal_mut(&mut self, id: u32) -> Option<&mut Proposal> {
        self.proposals.iter_mut().find(|p| p.id == id)
    }

    /// Variable values as `faction` believes them: its own and public variables true, other
    /// factions' private variables from its intelligence picture. `None`: the public picture.
    pub fn perceived_vars(&self, faction: Option<&FactionId>) -> Vec<f64> {
        perceived_vars(&self.scenario, &self.core, faction)
    }
}

/// See [`Game::perceived_vars`].
pub fn perceived_vars(scn: &Scenario, core: &Core, faction: Option<&FactionId>) -> Vec<f64> {
    let intel = match faction {
        Some(f) => core.intel.get(f).unwrap_or(&core.public_intel),
        None => &core.public_intel,
    };
    scn.variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let hidden = v.visibility == Visibility::Owner
                && (faction.is_none() || v.owner.as_ref() != faction);
            if hidden {
                intel.get(i).copied().unwrap_or(v.initial)
            } else {
                core.vars[i]
            }
        })
        .collect()
}

/// The state before the first round.
pub fn initial_core(scn: &Scenario) -> Core {
    let vars: Vec<f64> = scn.variables.iter().map(|v| v.initial).collect();
    Core {
        intel: scn
            .factions
            .iter()
            .map(|f| (f.id.clone(), vars.clone()))
            .collect(),
        public_intel: vars.clone(),
        vars,
        purses: scn
            .resources
            .iter()
            .map(|r| {
                (
                    r.faction.clone(),
                    Purse {
                        budget: r.budget_initial,
                        capital: r.capital_initial,
                    },
                )
            })
            .collect(),
        builds: Vec::new(),
        agreements: Vec::new(),
        used: BTreeMap::new(),
        fired: BTreeMap::new(),
        ratification_shift: 0.0,
        score_history: scn
            .factions
            .iter()
            .map(|f| (f.id.clone(), Vec::new()))
            .collect(),
    }
}

/// Applies an event card's effects to `core`; notes describe what happened to builds.
pub fn apply_event_effects(
    scn: &Scenario,
    core: &mut Core,
    effects: &[EventEffect],
    notes: &mut Vec<String>,
) {
    for eff in effects {
        match eff {
            EventEffect::Var(e) => apply_effect(scn, &mut core.vars, e, 1.0),
            EventEffect::Reveal { reveal } => reveal_to_all(scn, core, reveal),
            EventEffect::DelayBuilds {
                delay_builds,
                rounds,
            } => {
                for b in core
                    .builds
                    .iter_mut()
                    .filter(|b| b.faction == *delay_builds)
                {
                    b.due_round = b.due_round.saturating_add(*rounds);
                    notes.push(format!("{} delayed by {rounds} round(s)", b.action));
                }
            }
            EventEffect::Ratification { ratification } => {
                core.ratification_shift += ratification;
            }
        }
    }
}

/// Everyone (other factions and the public) learns `owner`'s private variables.
pub fn reveal_to_all(scn: &Scenario, core: &mut Core, owner: &FactionId) {
    for (i, v) in scn.variables.iter().enumerate() {
        if v.owner.as_ref() == Some(owner) {
            let value = core.vars[i];
            for intel in core.intel.values_mut() {
                intel[i] = value;
            }
            core.public_intel[i] = value;
        }
    }
}

/// `to` learns `owner`'s private variables.
pub fn reveal_to(scn: &Scenario, core: &mut Core, owner: &FactionId, to: &FactionId) {
    for (i, v) in scn.variables.iter().enumerate() {
        if v.owner.as_ref() == Some(owner) {
            let value = core.vars[i];
            if let Some(intel) = core.intel.get_mut(to) {
                intel[i] = value;
            }
        }
    }
}

/// Applies one effect `times` times, clamped to the variable's bounds.
pub fn apply_effect(scn: &Scenario, vars: &mut [f64], e: &super::scenario::Effect, times: f64) {
    let i = if e.slot < scn.variables.len() {
        e.slot
    } else {
        match scn.var_index(e.var.as_str()) {
            Some(i) => i,
            None => return,
        }
    };
    let v = &scn.variables[i];
    let new = match (e.delta, e.set) {
        (Some(d), _) => vars[i] + d * times,
        (None, Some(s)) => s,
        (None, None) => vars[i],
    };
    vars[i] = new.clamp(v.min, v.max);
}

fn describe_bounds(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => String::new(),
    }
}

/// A free text's length and characters: at most `max` characters, no control characters but
/// line breaks and tabs, and no text-direction overrides or isolates (which can make a message
/// read as something it is not).
fn check_len(what: &str, s: &str, max: usize) -> Result<(), CommandError> {
    if s.chars().count() > max {
        return Err(CommandError::Limit(format!(
            "the {what} is longer than {max} characters"
        )));
    }
    if s.chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_direction_control(c))
    {
        return Err(CommandError::Invalid(format!(
            "the {what} holds a control character or a text-direction override"
        )));
    }
    Ok(())
}

/// Unicode's explicit direction embeddings, overrides and isolates.
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a text shows anything: not only spaces and invisible characters (zero-width space,
/// joiners, word joiner, byte-order mark, soft hyphen).
pub fn is_visible(s: &str) -> bool {
    s.chars().any(|c| {
        !c.is_whitespace()
            && !matches!(
                c,
                '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
            )
    })
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn unknown_faction(scn: &Scenario, f: &str) -> CommandError {
    CommandError::Unknown {
        kind: "faction",
        id: f.to_owned(),
        hint: hint(f, scn.factions.iter().map(|x| x.id.as_str())),
    }
}

fn control_verb(cmd: &Command) -> &'static str {
    match cmd {
        Command::Start {} => "start the game",
        Command::AdvancePhase {} => "advance the phase",
        Command::Pause {} => "pause the game",
        Command::Resume {} => "resume the game",
        Command::ExtendDeadline { .. } => "extend a deadline",
        Command::InjectEvent { .. } => "inject an event",
        Command::Override { .. } => "override a value",
        Command::SetBot { .. } => "assign bots",
        Command::SetScheduledEvent { .. } => "switch scheduled events",
        Command::SetStart { .. } => "choose when the game starts",
        Command::Annotate { .. } => "annotate the round",
        Command::EndGame { .. } => "end the game",
        _ => "do that",
    }
}
