//! The vocabulary of a game: seats, phases, channels, commands, proposals, agreements, orders,
//! events and turn reports. Everything here is plain data with serde; the rules live in
//! `game.rs` and `adjudicate.rs`, visibility in `view.rs`.

use super::ids::*;
use super::model::Indices;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Who is acting or looking. The server derives it from the authenticated connection, never
/// from a message.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "role", content = "faction", rename_all = "snake_case")]
pub enum Seat {
    Faction(FactionId),
    /// The facilitator ("White cell").
    Control,
    Observer,
    /// The server's own clock (deadlines). Never reachable from a connection.
    System,
}

impl Seat {
    pub fn faction(&self) -> Option<&FactionId> {
        match self {
            Seat::Faction(f) => Some(f),
            _ => None,
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before Start: people join and Control seats them; no clock runs and nobody acts.
    Lobby,
    Briefing,
    Negotiation,
    Orders,
    Review,
    Ended,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Lobby => "lobby",
            Phase::Briefing => "briefing",
            Phase::Negotiation => "negotiation",
            Phase::Orders => "orders",
            Phase::Review => "review",
            Phase::Ended => "ended",
        }
    }
}

/// Bot temperaments: how a bot weighs its objectives and how readily it signs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Temperament {
    Hawk,
    Pragmatist,
    Dove,
}

impl std::str::FromStr for Temperament {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hawk" => Ok(Temperament::Hawk),
            "pragmatist" => Ok(Temperament::Pragmatist),
            "dove" => Ok(Temperament::Dove),
            _ => Err(format!(
                "unknown temperament \"{s}\": expected hawk, pragmatist or dove"
            )),
        }
    }
}

/// How a game is set up. Fixed at creation; recorded in the first event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GameConfig {
    /// Seed of every random draw in the game (events, detection, ratification, bots).
    pub seed: u64,
    /// Model preset; the scenario's default if absent.
    #[serde(default)]
    pub preset: Option<String>,
    /// Phase deadlines in seconds, overriding the scenario's defaults.
    #[serde(default)]
    pub deadlines: Option<super::scenario::PhaseDeadlines>,
    /// Factions played by bots.
    #[serde(default)]
    pub bots: BTreeMap<FactionId, Temperament>,
    /// Factions played by outside agents (programs with a seat token, not people), set by
    /// Control's `set_agent`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<FactionId, Agent>,
    /// Most people per faction seat, overriding the scenario's team sizes (the server's join
    /// checks it; the rules do not depend on it).
    #[serde(default)]
    pub team_sizes: BTreeMap<FactionId, u32>,
    /// When the first round begins: at once (the default in a recorded game), when Control
    /// presses Start, or as soon as every faction has a player or a bot.
    #[serde(default, skip_serializing_if = "StartMode::is_now")]
    pub start: StartMode,
    /// The game's name, as the facilitator gave it ("Year 11, period 3").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When a team of several people is ready: when every connected member is (the default),
    /// or when its captain says so.
    #[serde(default, skip_serializing_if = "TeamReady::is_everyone")]
    pub team_ready: TeamReady,
    /// The language of the scenario's texts in this game: the code of one of its locales
    /// (`"ru"`). Absent: the scenario's own language (English for the built-in scenario), as
    /// in every game recorded before games had a language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// What makes a team of several people ready.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamReady {
    /// Every member connected to the game has said Ready.
    #[default]
    Everyone,
    /// The captain's Ready is the team's: the member seated longest among those connected.
    Captain,
}

impl TeamReady {
    pub fn is_everyone(&self) -> bool {
        *self == TeamReady::Everyone
    }
}

/// When a game's first round begins (and its clock starts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// At creation.
    #[default]
    Now,
    /// When Control sends `start`; until then the game waits in the lobby.
    Lobby,
    /// In the lobby until every faction has a player or a bot, then by itself (Control may
    /// still start it earlier).
    WhenSeated,
}

impl StartMode {
    pub fn is_now(&self) -> bool {
        *self == StartMode::Now
    }
}

/// A chat channel.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// Everyone, observers included (read only for them).
    Plenary,
    /// Two factions (and Control). Stored with the pair sorted.
    Bilateral { factions: [FactionId; 2] },
    /// A faction's own team (and Control).
    Team { faction: FactionId },
    /// A faction and Control.
    Control { faction: FactionId },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    pub id: u32,
    pub round: u32,
    pub channel: Channel,
    pub from: Seat,
    /// Display name of the person, as the server knows them.
    pub author: String,
    /// The text; empty in the form a seat other than Control reads once the message is
    /// hidden.
    pub text: String,
    pub at_ms: i64,
    /// The seat of the person who posted it (to mute them by): in Control's form only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Uuid>,
    /// Control hid the message (`hide_message`): the other seats get it without its text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// A faction played by an outside agent: a program (scripted or language-model based) that
/// plays through a seat token Control gave it, under the same rules and limits as a person.
/// Everyone sees which factions agents play.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// The agent's name as the table reads it ("Negotiator v2").
    #[schemars(length(min = 1, max = 40))]
    pub name: String,
    /// Control approves each message the agent sends to other factions (plenary and
    /// bilateral channels) before it is delivered; until then it waits in Control's queue.
    #[serde(default)]
    pub approve_chat: bool,
}

/// A message of an agent's faction waiting for Control's approval, or decided: only Control
/// and the faction that wrote it ever read it (an approved one is delivered as a new message).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HeldMessage {
    /// Counts within the faction's held messages.
    pub id: u32,
    pub faction: FactionId,
    pub round: u32,
    pub channel: Channel,
    pub author: String,
    pub text: String,
    pub at_ms: i64,
    /// The seat that wrote it: in Control's form only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Uuid>,
    /// Control's decision; absent while the message waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<HeldDecision>,
}

/// What Control decided about a held message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HeldDecision {
    pub approved: bool,
    /// Why it was not delivered (empty when approved or when no reason was given).
    #[serde(default)]
    pub reason: String,
    /// The facilitator who decided.
    pub by: String,
    pub at_ms: i64,
    /// The id the delivered message has in its channel, when approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<u32>,
}

/// Where a branch came from ([`Event::Branched`]): everyone may read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BranchPoint {
    pub parent: Uuid,
    pub parent_seq: i64,
    /// 0-based.
    pub round: u32,
    pub phase: Phase,
}

/// The longest mute Control may give, in minutes (a class period and then some).
pub const MAX_MUTE_MINUTES: u32 = 120;

/// What a moderation record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationKind {
    /// A message was hidden (`channel`, `message`).
    HideMessage,
    /// A person was muted (`faction`, `member`, `name`, `until_ms`).
    Mute,
    /// A mute was lifted early (`faction`, `member`, `name`).
    Unmute,
}

/// One moderation action, as the log records it and the after-action page lists it. Seats
/// other than Control read the person's name and seat only for their own faction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Moderation {
    pub kind: ModerationKind,
    pub round: u32,
    pub at_ms: i64,
    /// The facilitator who acted.
    pub by: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction: Option<FactionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

/// One clause of a proposal. Which fields are needed depends on the clause kind's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub kind: ClauseKindId,
    /// The party bound by (or giving) this clause.
    pub by: FactionId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var: Option<VarId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<FactionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
}

/// What a proposal offers, as written by its proposer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// A name for the accord, e.g. "Moscow accord".
    pub title: String,
    pub parties: Vec<FactionId>,
    pub clauses: Vec<Clause>,
    /// Rounds the agreement stays in force, counted from the round it is signed.
    pub duration_rounds: u32,
    /// Public agreements are announced to everyone; private ones only to the parties.
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProposalStatus {
    Open,
    Signed {
        agreement: u32,
    },
    Rejected {
        by: FactionId,
        reason: String,
    },
    Countered {
        by: FactionId,
        counter: u32,
    },
    Withdrawn,
    /// The negotiation phase ended before every party accepted.
    Expired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Proposal {
    pub id: u32,
    pub round: u32,
    pub proposer: FactionId,
    pub terms: Terms,
    pub accepted_by: BTreeSet<FactionId>,
    pub status: ProposalStatus,
    /// The proposal this one counters, if any.
    pub counter_of: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Signed; a clause needs ratification, rolled at the next adjudication.
    PendingRatification,
    InForce,
    /// Ratification failed.
    Lapsed,
    /// A detected breach voided it.
    Broken {
        by: FactionId,
        round: u32,
    },
    /// Its duration ran out.
    Expired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Agreement {
    pub id: u32,
    pub proposal: u32,
    pub terms: Terms,
    pub signed_round: u32,
    /// First round in which it is no longer in force.
    pub until_round: u32,
    pub status: AgreementStatus,
}

impl Agreement {
    pub fn in_force(&self) -> bool {
        matches!(self.status, AgreementStatus::InForce)
    }
}

/// One order in a faction's orders draft.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    pub id: u32,
    pub action: ActionId,
    pub quantity: u32,
}

/// A faction's two resources.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
pub struct Purse {
    pub budget: f64,
    pub capital: f64,
}

/// An order under construction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Build {
    pub faction: FactionId,
    pub action: ActionId,
    pub quantity: u32,
    pub ordered_round: u32,
    /// Round (0-based) at whose adjudication the effects apply.
    pub due_round: u32,
    pub covert: bool,
}

/// The part of the state that rounds and adjudication change as a whole. Events that resolve
/// randomness carry the resulting `Core`, so replay never re-rolls a die.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Core {
    /// Technical values of the scenario's variables, in scenario order.
    pub vars: Vec<f64>,
    /// Per faction, the values it believes the variables have (used for other factions'
    /// private variables; refreshed by reveals and transparency).
    pub intel: BTreeMap<FactionId, Vec<f64>>,
    /// What the public (observers) knows of private variables.
    pub public_intel: Vec<f64>,
    pub purses: BTreeMap<FactionId, Purse>,
    pub builds: Vec<Build>,
    pub agreements: Vec<Agreement>,
    /// Units ordered so far, per action, for `max_total`.
    pub used: BTreeMap<ActionId, u32>,
    /// How often each event has happened.
    pub fired: BTreeMap<EventId, u32>,
    /// Shift of ratification odds this round (events).
    pub ratification_shift: f64,
    /// Score per faction per adjudicated round.
    pub score_history: BTreeMap<FactionId, Vec<f64>>,
}

/// An event that happened at a briefing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FiredEvent {
    pub id: EventId,
    pub name: String,
    pub text: String,
    /// True when Control injected it.
    pub injected: bool,
}

/// Why the game ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Ending {
    LastRound,
    Crisis { tension: f64 },
    Control { note: String },
}

/// A command, from any seat. The seat comes with it from the connection, not inside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Chat {
        channel: Channel,
        text: String,
    },
    Propose {
        terms: Terms,
    },
    Accept {
        proposal: u32,
    },
    Reject {
        proposal: u32,
        #[serde(default)]
        reason: String,
    },
    Counter {
        proposal: u32,
        terms: Terms,
    },
    Withdraw {
        proposal: u32,
    },
    SubmitOrder {
        action: ActionId,
        #[serde(default = "one")]
        quantity: u32,
        /// The faction knows the order breaks a standing agreement and gives it anyway;
        /// without it such an order is refused with `would_breach`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        confirm_breach: bool,
    },
    AmendOrder {
        order: u32,
        quantity: u32,
    },
    WithdrawOrder {
        order: u32,
    },
    /// The faction is done with this phase; when every faction is ready the phase advances.
    /// From one member of a team, the member's Ready; the team's when the game's team rule
    /// says so (`team_ready`).
    Ready {},
    /// Takes a Ready back while the phase is still open: the member's, and the team's when
    /// the team rule lets this member decide.
    WithdrawReady {},
    // Control only.
    /// Ends the lobby: the first round begins and the clock starts. Control (or the server
    /// itself, for a game that starts when seated).
    Start {},
    AdvancePhase {},
    Pause {},
    Resume {},
    ExtendDeadline {
        seconds: u32,
    },
    InjectEvent {
        event: EventId,
    },
    Override {
        var: VarId,
        value: f64,
        reason: String,
    },
    SetBot {
        faction: FactionId,
        temperament: Option<Temperament>,
    },
    /// An outside agent plays `faction` (`agent`), or people do again (`null`). The server's
    /// `POST /api/games/{id}/agents` sends it and hands out the agent's seat token.
    SetAgent {
        faction: FactionId,
        agent: Option<Agent>,
    },
    /// Delivers held message `held` of agent faction `faction` to its channel.
    ApproveMessage {
        faction: FactionId,
        held: u32,
    },
    /// Refuses held message `held` of agent faction `faction`: it is never delivered.
    RejectMessage {
        faction: FactionId,
        held: u32,
        #[serde(default)]
        reason: String,
    },
    SetScheduledEvent {
        event: EventId,
        enabled: bool,
    },
    /// In the lobby: when the game starts (`lobby`: at Control's `start`; `when_seated`: by
    /// itself once every faction has a player or a bot). Not `now`: `start` does that.
    SetStart {
        start: StartMode,
    },
    Annotate {
        text: String,
    },
    /// Moderation: the message goes on being listed, without its text, for every seat but
    /// Control. Also after the game has ended. Cannot be undone.
    HideMessage {
        channel: Channel,
        message: u32,
        #[serde(default)]
        reason: String,
    },
    /// Moderation: the person in seat `member` (a faction seat of this game) cannot post
    /// chat messages for `minutes` (1 to [`MAX_MUTE_MINUTES`]).
    MuteMember {
        member: Uuid,
        minutes: u32,
        #[serde(default)]
        reason: String,
    },
    /// Moderation: lifts a mute before its time.
    UnmuteMember {
        member: Uuid,
    },
    EndGame {
        #[serde(default)]
        note: String,
    },
    /// The server's clock: advance if the deadline has passed. System seat only.
    Tick {},
}

fn one() -> u32 {
    1
}

impl Command {
    /// Commands only Control may give.
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            Command::Start {}
                | Command::AdvancePhase {}
                | Command::Pause {}
                | Command::Resume {}
                | Command::ExtendDeadline { .. }
                | Command::InjectEvent { .. }
                | Command::Override { .. }
                | Command::SetBot { .. }
                | Command::SetAgent { .. }
                | Command::ApproveMessage { .. }
                | Command::RejectMessage { .. }
                | Command::SetScheduledEvent { .. }
                | Command::SetStart { .. }
                | Command::Annotate { .. }
                | Command::HideMessage { .. }
                | Command::MuteMember { .. }
                | Command::UnmuteMember { .. }
                | Command::EndGame { .. }
        )
    }
}

/// What `apply` records. The game is the fold of its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    GameCreated {
        scenario: String,
        /// [`super::scenario::Scenario::fingerprint`] of the scenario the game was created with.
        scenario_fingerprint: String,
        config: GameConfig,
        core: Box<Core>,
    },
    /// A new round's briefing: resources refilled, events fired, their effects applied.
    RoundBegan {
        round: u32,
        fired: Vec<FiredEvent>,
        core: Box<Core>,
        deadline_at: Option<i64>,
        /// The phase's full duration; a phase entered while paused gets it on resume.
        duration_ms: Option<i64>,
    },
    PhaseChanged {
        round: u32,
        phase: Phase,
        deadline_at: Option<i64>,
        duration_ms: Option<i64>,
    },
    ChatPosted {
        message: Message,
    },
    ProposalMade {
        proposal: Proposal,
    },
    ProposalAccepted {
        proposal: u32,
        by: FactionId,
    },
    ProposalRejected {
        proposal: u32,
        by: FactionId,
        reason: String,
    },
    ProposalCountered {
        proposal: u32,
        by: FactionId,
        counter: u32,
    },
    ProposalWithdrawn {
        proposal: u32,
    },
    /// Open proposals lapse when negotiation ends.
    ProposalsExpired {
        proposals: Vec<u32>,
    },
    AgreementSigned {
        agreement: Agreement,
        /// Capital and budget moved by the signature.
        purses: BTreeMap<FactionId, Purse>,
    },
    OrderSubmitted {
        faction: FactionId,
        order: Order,
    },
    OrderAmended {
        faction: FactionId,
        order: u32,
        quantity: u32,
    },
    OrderWithdrawn {
        faction: FactionId,
        order: u32,
    },
    FactionReady {
        faction: FactionId,
    },
    /// A faction's Ready was taken back; the phase stays open for it.
    ReadyWithdrawn {
        faction: FactionId,
    },
    /// One member of a team said Ready (the team may not be ready yet).
    MemberReady {
        faction: FactionId,
        /// The member's seat.
        member: Uuid,
        name: String,
    },
    /// One member of a team took their Ready back.
    MemberReadyWithdrawn {
        faction: FactionId,
        member: Uuid,
    },
    Paused {
        remaining_ms: Option<i64>,
    },
    Resumed {
        deadline_at: Option<i64>,
    },
    DeadlineExtended {
        deadline_at: i64,
    },
    EventInjected {
        fired: FiredEvent,
        core: Box<Core>,
    },
    Overridden {
        var: VarId,
        old: f64,
        new: f64,
        reason: String,
        round: u32,
    },
    BotSet {
        faction: FactionId,
        temperament: Option<Temperament>,
    },
    /// An outside agent plays `faction` from now on, or (`None`) people do again.
    AgentSet {
        faction: FactionId,
        agent: Option<Agent>,
    },
    /// An agent's message waits for Control's approval (Control and that faction read it).
    ChatHeld {
        held: HeldMessage,
    },
    /// Control decided about held message `held` of `faction`; an approval is followed by
    /// the message's `chat_posted`.
    HeldMessageDecided {
        faction: FactionId,
        held: u32,
        decision: HeldDecision,
    },
    ScheduledEventSet {
        event: EventId,
        enabled: bool,
    },
    StartSet {
        start: StartMode,
    },
    Annotated {
        round: u32,
        text: String,
    },
    /// Control hid message `message` of `channel`. `by`: the facilitator's name.
    MessageHidden {
        channel: Channel,
        message: u32,
        reason: String,
        by: String,
        round: u32,
        at_ms: i64,
    },
    /// Control muted the person in seat `member` of `faction` until `until_ms`.
    MemberMuted {
        faction: FactionId,
        member: Uuid,
        name: String,
        until_ms: i64,
        reason: String,
        by: String,
        round: u32,
        at_ms: i64,
    },
    /// Control lifted the mute of seat `member` before its time.
    MemberUnmuted {
        faction: FactionId,
        member: Uuid,
        name: String,
        by: String,
        round: u32,
        at_ms: i64,
    },
    /// The first event of a branch after the log it copied from another game (up to the
    /// start of `round`, or of `phase` in it): from here it is a game of its own, under its own
    /// title, preset, deadlines and bots, waiting paused for Control to resume.
    Branched {
        parent: Uuid,
        /// The sequence of the parent's last event copied.
        parent_seq: i64,
        round: u32,
        phase: Phase,
        title: Option<String>,
        preset: Option<String>,
        deadlines: Option<super::scenario::PhaseDeadlines>,
        bots: BTreeMap<FactionId, Temperament>,
        /// The phase's full time under the branch's deadlines, kept for the resume.
        remaining_ms: Option<i64>,
    },
    Adjudicated {
        report: Box<TurnReport>,
        core: Box<Core>,
    },
    GameEnded {
        ending: Ending,
    },
}

/// One order as revealed in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RevealedOrder {
    pub faction: FactionId,
    pub action: ActionId,
    pub name: String,
    pub quantity: u32,
    pub budget: f64,
    pub capital: f64,
    pub covert: bool,
    /// Round whose adjudication applies its effects.
    pub completes_round: u32,
}

/// An order that broke a clause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Breach {
    pub agreement: u32,
    pub agreement_title: String,
    /// 1-based, as players read it ("clause 2").
    pub clause: usize,
    pub by: FactionId,
    pub what: String,
    /// Probability of detection that applied.
    pub detection_probability: f64,
    pub detected: bool,
    /// Parties of the agreement (they learn of a detected breach even if it is private).
    pub parties: Vec<FactionId>,
    pub public: bool,
}

/// One objective's contribution to a score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectiveScore {
    pub id: String,
    pub weight: f64,
    pub value: f64,
    pub formula: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScoreCard {
    pub faction: FactionId,
    pub objectives: Vec<ObjectiveScore>,
    /// 100 · Σ w·o / Σ w.
    pub weighted: f64,
    /// Shared stability bonus this round.
    pub bonus: f64,
    /// Crisis penalty, if the game ended in crisis this round.
    pub penalty: f64,
    /// clamp(weighted + bonus − penalty, 0, 100).
    pub round_score: f64,
    /// Mean of round scores so far: the game score.
    pub game_score: f64,
    pub formula: String,
    /// Where the weights and the method come from.
    pub source: String,
}

/// A change of a variable during adjudication, with its cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VarChange {
    pub var: VarId,
    pub before: f64,
    pub after: f64,
    pub cause: String,
    /// Set when the cause is a covert action of this faction: others read "undisclosed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covert_of: Option<FactionId>,
    /// Set when the cause is a private agreement: only its parties read the cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_to: Option<Vec<FactionId>>,
}

/// What everyone may read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PublicReport {
    pub orders: Vec<RevealedOrder>,
    pub completed: Vec<RevealedOrder>,
    pub breaches: Vec<Breach>,
    pub agreements: Vec<AgreementNote>,
    pub changes: Vec<VarChange>,
    pub indices: Indices,
    pub tension: super::model::Explained,
    pub crisis: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgreementNote {
    pub agreement: u32,
    pub title: String,
    pub parties: Vec<FactionId>,
    pub public: bool,
    pub note: String,
}

/// What one faction may read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FactionReport {
    pub orders: Vec<RevealedOrder>,
    pub completed: Vec<RevealedOrder>,
    pub breaches: Vec<Breach>,
    pub agreements: Vec<AgreementNote>,
    pub changes: Vec<VarChange>,
    pub indices: Indices,
    pub score: ScoreCard,
    pub purse: Purse,
}

/// What only Control may read (and everyone after the game ends).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ControlReport {
    pub technical: Indices,
    /// Tension's full working (the public report shows only what the public can attribute).
    pub tension: super::model::Explained,
    pub orders: Vec<RevealedOrder>,
    pub completed: Vec<RevealedOrder>,
    pub breaches: Vec<Breach>,
    pub agreements: Vec<AgreementNote>,
    pub changes: Vec<VarChange>,
    pub rolls: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TurnReport {
    /// 0-based round index.
    pub round: u32,
    pub label: String,
    pub public: PublicReport,
    pub factions: BTreeMap<FactionId, FactionReport>,
    pub control: ControlReport,
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn commands_parse_from_json() {
        let c: Command = serde_json::from_str(
            r#"{"type":"submit_order","action":"iskander_kaliningrad","quantity":2}"#,
        )
        .expect("parse");
        assert_eq!(
            c,
            Command::SubmitOrder {
                action: "iskander_kaliningrad".into(),
                quantity: 2,
                confirm_breach: false,
            }
        );
        let c: Command = serde_json::from_str(
            r#"{"type":"chat","channel":{"kind":"bilateral","factions":["russia","us_nato"]},"text":"hi"}"#,
        )
        .expect("parse");
        assert!(matches!(c, Command::Chat { .. }));
        let c: Command = serde_json::from_str(r#"{"type":"ready"}"#).expect("parse");
        assert_eq!(c, Command::Ready {});
    }

    #[test]
    fn unknown_fields_and_types_are_refused() {
        for bad in [
            r#"{"type":"submit_order","action":"x","quantity":1,"faction":"russia"}"#,
            r#"{"type":"ready","seat":"control"}"#,
            r#"{"type":"launch_everything"}"#,
            r#"{"type":"propose","terms":{"title":"t","parties":[],"clauses":[],"duration_rounds":1,"secret":true}}"#,
            r#"{"type":"chat","channel":{"kind":"team","faction":"russia","as":"us_nato"},"text":"x"}"#,
            r#"{"type":"submit_order","action":"x","quantity":-1}"#,
            r#"{"type":"chat","text":"#,
        ] {
            assert!(
                serde_json::from_str::<Command>(bad).is_err(),
                "accepted: {bad}"
            );
        }
    }
}
