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
use rand_core::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use uuid::Uuid;

mod agents;
mod branch;
pub use agents::MAX_HELD_PENDING;
pub use branch::BranchSettings;
mod control;
mod orders;
mod proposals;

/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 2000;
/// Messages of each channel held in memory at least (see [`Game::messages`]).
pub const KEPT_MESSAGES: usize = 256;
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
    /// The seat of the person acting, when a person acts (`None` for bots and the clock): a
    /// muted person's chat is refused, and Control's form of a message names it.
    pub person: Option<Uuid>,
    /// The faction and name of the person a command names (`mute_member`), as the seats say:
    /// filled in by the server, which knows the seats (the rules do not).
    pub subject: Option<(FactionId, String)>,
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

/// What decides when a phase ends by itself: the deadline, the pause, and whether the game is
/// over. [`Clock::evolve`] is the only place these change, for the game and for the status the
/// server stores beside the log.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Clock {
    pub paused: bool,
    /// Absolute deadline of the current phase (ms since epoch), if any.
    pub deadline_at: Option<i64>,
    /// Time left when paused, to re-arm the deadline on resume.
    pub paused_remaining: Option<i64>,
    pub ended: bool,
}

impl Clock {
    /// Folds one event into the clock.
    pub fn evolve(&mut self, e: &Event) {
        match e {
            Event::RoundBegan {
                deadline_at,
                duration_ms,
                ..
            }
            | Event::PhaseChanged {
                deadline_at,
                duration_ms,
                ..
            } => {
                // A new phase's deadline: armed now, or (while paused) its full duration kept
                // for the resume.
                if self.paused {
                    self.deadline_at = None;
                    self.paused_remaining = *duration_ms;
                } else {
                    self.deadline_at = *deadline_at;
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
            Event::Branched { remaining_ms, .. } => {
                self.paused = true;
                self.paused_remaining = *remaining_ms;
                self.deadline_at = None;
                self.ended = false;
            }
            Event::GameEnded { .. } => {
                self.ended = true;
                self.deadline_at = None;
            }
            _ => {}
        }
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
    /// Per channel, the id of the latest message no longer held in `messages` (absent: none
    /// dropped). Older messages are read from the event log.
    pub dropped_through: BTreeMap<Channel, u32>,
    /// Messages each faction posted in each round (bots keep to a budget per round).
    pub posted: BTreeMap<(u32, FactionId), u32>,
    pub ready: BTreeSet<FactionId>,
    /// Members of each team who said Ready in this phase, with their names.
    pub members_ready: BTreeMap<FactionId, BTreeMap<Uuid, String>>,
    pub proposals: Vec<Proposal>,
    /// The latest messages of each channel, oldest first: at least [`KEPT_MESSAGES`] of each
    /// (all of a channel that has fewer), at most twice that. A long game's chat would
    /// otherwise hold its whole history in memory; a view carries fewer
    /// (`view::VIEW_MESSAGES`), and older pages come from the log.
    pub messages: Vec<Message>,
    /// Every event fired, by round.
    pub briefings: Vec<(u32, FiredEvent)>,
    pub reports: Vec<TurnReport>,
    pub overrides: Vec<(u32, VarId, f64, f64, String)>,
    pub annotations: Vec<(u32, String)>,
    /// Hidden messages: channel → message ids (moderation).
    pub hidden: BTreeMap<Channel, BTreeSet<u32>>,
    /// Muted people: seat → the end of the mute (ms since the epoch).
    pub mutes: BTreeMap<Uuid, i64>,
    /// Every moderation action, oldest first.
    pub moderation: Vec<Moderation>,
    /// Where this game branched from another, if it is a branch.
    pub branch: Option<BranchPoint>,
    /// Messages of agent factions held for Control's approval, waiting or decided, oldest
    /// first.
    pub held: Vec<HeldMessage>,
    pub scheduled_off: BTreeSet<EventId>,
    pub ending: Option<Ending>,
}

/// The message for a game asked in a language its scenario does not have.
pub fn unknown_language(scenario: &Scenario, lang: &str) -> String {
    format!(
        "scenario \"{}\" has no language \"{lang}\"; it can be played in: {}",
        scenario.id,
        scenario.language_codes().join(", ")
    )
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
        if let Some(lang) = &config.language {
            if !scenario.has_language(lang) {
                return Err(CommandError::Invalid(unknown_language(&scenario, lang)));
            }
        }
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
        // The game's texts in its language. A log whose language the scenario no longer has
        // (a locale taken out of the file) replays in the scenario's own: texts change no rule.
        let scenario = match &config.language {
            Some(lang) => scenario.in_language(lang).unwrap_or(scenario),
            None => scenario,
        };
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
            dropped_through: BTreeMap::new(),
            posted: BTreeMap::new(),
            ready: BTreeSet::new(),
            members_ready: BTreeMap::new(),
            proposals: Vec::new(),
            messages: Vec::new(),
            briefings: Vec::new(),
            reports: Vec::new(),
            overrides: Vec::new(),
            annotations: Vec::new(),
            hidden: BTreeMap::new(),
            mutes: BTreeMap::new(),
            moderation: Vec::new(),
            held: Vec::new(),
            branch: None,
            scheduled_off: BTreeSet::new(),
            ending: None,
            scenario: ScenarioRef(scenario),
        })
    }

    /// Records a posted message: counts it, and holds it among the channel's latest. When a
    /// channel holds twice [`KEPT_MESSAGES`], its oldest half is dropped (one pass for every
    /// `KEPT_MESSAGES` messages, so the cost per message stays constant).
    fn keep_message(&mut self, message: Message) {
        let count = self
            .channel_counts
            .entry(message.channel.clone())
            .or_default();
        *count = (*count).max(message.id);
        let latest = *count;
        if let Seat::Faction(f) = &message.from {
            *self.posted.entry((message.round, f.clone())).or_default() += 1;
        }
        let channel = message.channel.clone();
        self.messages.push(message);
        let from = self.dropped_through.get(&channel).copied().unwrap_or(0);
        let held = (latest - from) as usize;
        if held >= 2 * KEPT_MESSAGES {
            let through = latest - KEPT_MESSAGES as u32;
            self.messages
                .retain(|m| m.channel != channel || m.id > through);
            self.dropped_through.insert(channel, through);
        }
    }

    /// The language of the game's texts (the scenario's, or one of its locales).
    pub fn language(&self) -> &str {
        &self.scenario.language
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
            Event::ChatPosted { message } => self.keep_message(message),
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
        // A message can be hidden after the end too: a facilitator reviewing the game may
        // find one before the class reads the after-action page.
        let after_end = matches!(cmd, Command::HideMessage { .. }) && *seat == Seat::Control;
        if self.phase == Phase::Ended && !after_end {
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
            // Proposals (proposals.rs).
            Command::Propose { terms } => self.propose(seat, terms),
            Command::Accept { proposal } => self.accept(seat, *proposal),
            Command::Reject { proposal, reason } => self.reject(seat, *proposal, reason),
            Command::Counter { proposal, terms } => self.counter(seat, *proposal, terms),
            Command::Withdraw { proposal } => self.withdraw(seat, *proposal),
            // Orders (orders.rs).
            Command::SubmitOrder {
                action,
                quantity,
                confirm_breach,
            } => self.submit_order(seat, action, *quantity, *confirm_breach),
            Command::AmendOrder { order, quantity } => self.amend_order(seat, *order, *quantity),
            Command::WithdrawOrder { order } => self.withdraw_order(seat, *order),
            // Readiness.
            Command::Ready {} => self.ready(seat, ctx),
            Command::WithdrawReady {} => self.withdraw_ready(seat, ctx),
            // Control (control.rs).
            Command::SetStart { start } => self.set_start(*start),
            Command::Start {} => {
                self.need_phase(Phase::Lobby, "the game has started already")?;
                Ok(self.advance_events(ctx.now_ms))
            }
            Command::AdvancePhase {} => Ok(self.advance_events(ctx.now_ms)),
            Command::Pause {} => self.pause(ctx),
            Command::Resume {} => self.resume(ctx),
            Command::ExtendDeadline { seconds } => self.extend_deadline(*seconds, ctx),
            Command::InjectEvent { event } => self.inject_event(event),
            Command::Override { var, value, reason } => self.override_var(var, *value, reason),
            Command::SetBot {
                faction,
                temperament,
            } => {
                self.faction_exists(faction)?;
                if temperament.is_some() && self.config.agents.contains_key(faction) {
                    return Err(CommandError::Invalid(format!(
                        "an outside agent plays {}; revoke its seat first",
                        self.faction_name(faction)
                    )));
                }
                Ok(vec![Event::BotSet {
                    faction: faction.clone(),
                    temperament: *temperament,
                }])
            }
            // Outside agents (agents.rs).
            Command::SetAgent { faction, agent } => self.set_agent(faction, agent, ctx),
            Command::ApproveMessage { faction, held } => self.approve_message(faction, *held, ctx),
            Command::RejectMessage {
                faction,
                held,
                reason,
            } => self.reject_message(faction, *held, reason, ctx),
            Command::SetScheduledEvent { event, enabled } => {
                self.set_scheduled_event(event, *enabled)
            }
            Command::Annotate { text } => self.annotate(text),
            Command::HideMessage {
                channel,
                message,
                reason,
            } => self.hide_message(channel, *message, reason, ctx),
            Command::MuteMember {
                member,
                minutes,
                reason,
            } => self.mute_member(*member, *minutes, reason, ctx),
            Command::UnmuteMember { member } => self.unmute_member(*member, ctx),
            Command::EndGame { note } => {
                check_len("note", note, MAX_TITLE_CHARS)?;
                Ok(vec![Event::GameEnded {
                    ending: Ending::Control { note: note.clone() },
                }])
            }
            Command::Tick {} => self.tick(seat, ctx),
        }
    }

    /// A faction declares itself ready: the member's mark, and the faction's when the team
    /// rule says the team is ready.
    fn ready(&self, seat: &Seat, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
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

    /// A member takes their Ready back, and the faction's with it when their word counts.
    fn withdraw_ready(&self, seat: &Seat, ctx: &Ctx) -> Result<Vec<Event>, CommandError> {
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
        if let Some(&until_ms) = ctx.person.and_then(|p| self.mutes.get(&p)) {
            if until_ms > ctx.now_ms {
                return Err(CommandError::Muted {
                    until_ms,
                    now_ms: ctx.now_ms,
                });
            }
        }
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
        if let Some(held) = self.hold_chat(seat, &channel, text, ctx)? {
            return Ok(vec![held]);
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
                member: ctx.person,
                hidden: false,
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
        deadline_under(&self.deadlines, phase, now_ms)
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
        let mut clock = self.clock();
        clock.evolve(e);
        self.set_clock(clock);
        match e {
            Event::GameCreated { core, .. } => self.core = (**core).clone(),
            Event::RoundBegan {
                round, fired, core, ..
            } => {
                self.round = *round;
                self.phase = Phase::Briefing;
                self.core = (**core).clone();
                self.clear_ready();
                self.orders.clear();
                for f in fired {
                    self.briefings.push((*round, f.clone()));
                }
            }
            Event::PhaseChanged { round, phase, .. } => {
                self.round = *round;
                self.phase = *phase;
                self.clear_ready();
            }
            Event::ChatPosted { message } => self.keep_message(message.clone()),
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
            // The clock, above, is all these change.
            Event::Paused { .. } | Event::Resumed { .. } | Event::DeadlineExtended { .. } => {}
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
            Event::AgentSet { .. } | Event::ChatHeld { .. } | Event::HeldMessageDecided { .. } => {
                self.evolve_agents(e)
            }
            Event::StartSet { start } => self.config.start = *start,
            Event::ScheduledEventSet { event, enabled } => {
                if *enabled {
                    self.scheduled_off.remove(event);
                } else {
                    self.scheduled_off.insert(event.clone());
                }
            }
            Event::Annotated { round, text } => self.annotations.push((*round, text.clone())),
            Event::MessageHidden { .. }
            | Event::MemberMuted { .. }
            | Event::MemberUnmuted { .. } => self.moderate(e),
            Event::Branched { .. } => self.branched(e),
            Event::Adjudicated { report, core } => {
                self.core = (**core).clone();
                self.reports.push((**report).clone());
                self.orders.clear();
                self.clear_ready();
            }
            Event::GameEnded { ending } => {
                self.phase = Phase::Ended;
                self.ending = Some(ending.clone());
            }
        }
    }

    /// The clock's fields of the game.
    pub fn clock(&self) -> Clock {
        Clock {
            paused: self.paused,
            deadline_at: self.deadline_at,
            paused_remaining: self.paused_remaining,
            ended: self.phase == Phase::Ended,
        }
    }

    fn set_clock(&mut self, clock: Clock) {
        self.paused = clock.paused;
        self.deadline_at = clock.deadline_at;
        self.paused_remaining = clock.paused_remaining;
    }

    /// The clock once `events` are applied, without applying them: the server records the
    /// deadline and the end beside the log in the same transaction as the events.
    pub fn clock_after(&self, events: &[Event]) -> Clock {
        let mut clock = self.clock();
        for e in events {
            clock.evolve(e);
        }
        clock
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
        Command::SetAgent { .. } => "hand a faction to an outside agent",
        Command::ApproveMessage { .. } | Command::RejectMessage { .. } => {
            "decide about an agent's message"
        }
        Command::SetScheduledEvent { .. } => "switch scheduled events",
        Command::SetStart { .. } => "choose when the game starts",
        Command::Annotate { .. } => "annotate the round",
        Command::HideMessage { .. } => "hide a message",
        Command::MuteMember { .. } | Command::UnmuteMember { .. } => "mute a player",
        Command::EndGame { .. } => "end the game",
        _ => "do that",
    }
}

/// When a phase begun at `now_ms` ends under `deadlines` (`None`: it has no deadline).
fn deadline_under(deadlines: &PhaseDeadlines, phase: Phase, now_ms: i64) -> Option<i64> {
    let secs = match phase {
        Phase::Briefing => deadlines.briefing,
        Phase::Negotiation => deadlines.negotiation,
        Phase::Orders => deadlines.orders,
        Phase::Review => deadlines.review,
        Phase::Lobby | Phase::Ended => 0,
    };
    (secs > 0).then(|| now_ms + i64::from(secs) * 1000)
}
