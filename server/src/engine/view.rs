//! What each seat may see. This module is the single place that decides visibility: the
//! snapshot a seat gets (`view`), the form each recorded event takes for a seat (`event_for`),
//! and the turn reports (`report_for`). Live events, resync, reports and exports all go through
//! these functions.
//!
//! Rules: a faction sees its own orders, builds, purse and team channel, public channels, the
//! bilateral channels it is in, proposals and agreements it is party to, public agreements, its
//! own perceived indices and the variables it can know (others' private variables only as its
//! intelligence picture). Control sees everything. Observers see public information only until
//! the game ends; after the end everyone sees everything.

use super::adjudicate::{effective_vars, indices};
use super::game::{perceived_vars, Game};
use super::ids::*;
use super::model::{Indices, Perspective};
use super::scenario::Scenario;
use super::types::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The state of a game as one seat may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeatView {
    pub seat: Seat,
    pub scenario: String,
    /// The language of the game's scenario texts (names, descriptions, events, the bots'
    /// lines): `en`, or a locale of the scenario such as `ru`. Read the scenario with
    /// `GET /api/scenarios/{id}?lang=<language>` to show it in the same language.
    pub language: String,
    /// The game's name, if the facilitator gave one.
    pub title: Option<String>,
    pub round: u32,
    pub round_label: String,
    pub rounds: u32,
    pub phase: Phase,
    /// When the game leaves its lobby (`now` once it has begun at creation).
    pub start: StartMode,
    /// What makes a team of several people ready.
    pub team_ready: TeamReady,
    pub paused: bool,
    pub deadline_at: Option<i64>,
    /// Variable values as this seat knows them.
    pub vars: BTreeMap<VarId, f64>,
    pub purses: BTreeMap<FactionId, Purse>,
    pub orders: BTreeMap<FactionId, Vec<Order>>,
    pub ready: Vec<FactionId>,
    /// Members of a team who said Ready in this phase: the seat's own team (every team for
    /// Control).
    pub members_ready: BTreeMap<FactionId, Vec<ReadyMember>>,
    pub builds: Vec<Build>,
    pub messages: Vec<Message>,
    pub proposals: Vec<Proposal>,
    pub agreements: Vec<Agreement>,
    pub briefings: Vec<(u32, FiredEvent)>,
    /// The seat's picture of the model: a faction's perception; Control the technical truth
    /// followed by each faction's perception; observers the public picture.
    pub indices: Vec<Indices>,
    pub reports: Vec<SeatReport>,
    /// Game scores this seat may see.
    pub scores: BTreeMap<FactionId, f64>,
    pub bots: BTreeMap<FactionId, Temperament>,
    /// Factions outside agents play (everyone sees which, and whether Control approves their
    /// messages).
    #[serde(default)]
    pub agents: BTreeMap<FactionId, Agent>,
    /// Agents' messages held for Control's approval, waiting or decided: every one for
    /// Control, a faction's own for that faction, none for anyone else (also after the end).
    #[serde(default)]
    pub held: Vec<HeldMessage>,
    pub annotations: Vec<(u32, String)>,
    /// Control's overrides (Control, and everyone after the end).
    pub overrides: Vec<(u32, VarId, f64, f64, String)>,
    /// For a faction: per own action, the clauses an order of it would break.
    pub order_warnings: BTreeMap<ActionId, Vec<String>>,
    /// Moderation: hidden messages of the channels this seat reads, and mutes of its own
    /// faction's people (every record for Control, and for everyone after the end, the names
    /// of other factions' people left out).
    #[serde(default)]
    pub moderation: Vec<Moderation>,
    /// Where this game branched from another (a "what if?"), if it is a branch.
    #[serde(default)]
    pub branch: Option<BranchPoint>,
    pub ending: Option<Ending>,
}

/// A team member who said Ready.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReadyMember {
    /// The member's seat.
    pub member: Uuid,
    pub name: String,
}

/// Messages of each channel a view carries (the latest); the rest page over REST, so a long
/// game's welcome does not grow with every message ever posted.
pub const VIEW_MESSAGES: usize = 200;

/// Where the earlier messages asked for are (see [`Game::earlier_messages`]).
#[derive(Debug, PartialEq)]
pub enum MessagePage {
    /// Held in memory: here they are.
    Here(Vec<Message>),
    /// Some are older than the messages memory holds: read the messages of the channel
    /// before `before` from the event log ([`messages_in_log`]). The seat may read them.
    InLog { before: u32 },
}

/// Up to `limit` messages of `channel` before message `before`, oldest first, from the
/// events of a game's log (the reader's right to the channel is checked by
/// [`Game::earlier_messages`] first).
pub fn messages_in_log<'e>(
    events: impl IntoIterator<Item = &'e Event>,
    channel: &Channel,
    before: u32,
    limit: usize,
) -> Vec<Message> {
    let mut out = std::collections::VecDeque::with_capacity(limit);
    for e in events {
        if let Event::ChatPosted { message } = e {
            if message.channel == *channel && message.id < before {
                if out.len() == limit {
                    out.pop_front();
                }
                out.push_back(message.clone());
            }
        }
    }
    out.into()
}

/// A turn report as one seat may read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeatReport {
    pub round: u32,
    pub label: String,
    pub public: PublicReport,
    /// The faction parts this seat may read (its own; all for Control and after the end).
    pub factions: BTreeMap<FactionId, FactionReport>,
    pub control: Option<ControlReport>,
}

/// A recorded event in the form one seat may receive it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SeatEvent {
    GameCreated {
        scenario: String,
    },
    RoundBegan {
        round: u32,
        fired: Vec<FiredEvent>,
        vars: BTreeMap<VarId, f64>,
        purses: BTreeMap<FactionId, Purse>,
        deadline_at: Option<i64>,
    },
    PhaseChanged {
        round: u32,
        phase: Phase,
        deadline_at: Option<i64>,
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
    ProposalsExpired {
        proposals: Vec<u32>,
    },
    AgreementSigned {
        agreement: Agreement,
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
    ReadyWithdrawn {
        faction: FactionId,
    },
    MemberReady {
        faction: FactionId,
        member: Uuid,
        name: String,
    },
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
        vars: BTreeMap<VarId, f64>,
    },
    Overridden {
        var: VarId,
        new: f64,
        reason: String,
        round: u32,
    },
    BotSet {
        faction: FactionId,
        temperament: Option<Temperament>,
    },
    /// An outside agent plays `faction` from now on, or (`null`) people do again.
    AgentSet {
        faction: FactionId,
        agent: Option<Agent>,
    },
    /// A message of this seat's agent faction waits for Control's approval (to Control and
    /// that faction).
    ChatHeld {
        held: HeldMessage,
    },
    /// Control approved or refused a held message (to Control and that faction); an approval
    /// is followed by the message's `chat_posted`.
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
    /// This game is a branch of `branch.parent` from here on: paused, with its own bots.
    Branched {
        branch: BranchPoint,
        bots: BTreeMap<FactionId, Temperament>,
    },
    /// A message of a channel this seat reads was hidden: show it without its text.
    MessageHidden {
        channel: Channel,
        message: u32,
        reason: String,
        by: String,
        round: u32,
        at_ms: i64,
    },
    /// A person of this seat's faction was muted (to Control and that faction).
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
    /// A mute was lifted early (to Control and that faction).
    MemberUnmuted {
        faction: FactionId,
        member: Uuid,
        name: String,
        by: String,
        round: u32,
        at_ms: i64,
    },
    Adjudicated {
        report: Box<SeatReport>,
        vars: BTreeMap<VarId, f64>,
        purses: BTreeMap<FactionId, Purse>,
    },
    GameEnded {
        ending: Ending,
    },
}

/// Whether `seat` may export the whole game: the event log as stored, with every faction's
/// secrets in it. Control only. (The export's view is Control's `view`, like any seat's.)
pub fn may_export(seat: &Seat) -> bool {
    is_control(seat)
}

fn is_control(seat: &Seat) -> bool {
    matches!(seat, Seat::Control | Seat::System)
}

/// Whether a seat may read a channel.
pub fn can_read(seat: &Seat, channel: &Channel) -> bool {
    match (channel, seat) {
        (_, s) if is_control(s) => true,
        (Channel::Plenary, _) => true,
        (Channel::Bilateral { factions }, Seat::Faction(f)) => factions.contains(f),
        (Channel::Team { faction }, Seat::Faction(f)) => faction == f,
        (Channel::Control { faction }, Seat::Faction(f)) => faction == f,
        _ => false,
    }
}

fn party(seat: &Seat, parties: &[FactionId]) -> bool {
    is_control(seat) || seat.faction().is_some_and(|f| parties.contains(f))
}

/// Variables as a seat knows them, by id.
pub fn vars_for(scn: &Scenario, core: &Core, seat: &Seat) -> BTreeMap<VarId, f64> {
    let values = match seat {
        s if is_control(s) => core.vars.clone(),
        Seat::Faction(f) => perceived_vars(scn, core, Some(f)),
        _ => perceived_vars(scn, core, None),
    };
    scn.variables
        .iter()
        .zip(values)
        .map(|(v, x)| (v.id.clone(), x))
        .collect()
}

fn purses_for(core: &Core, seat: &Seat) -> BTreeMap<FactionId, Purse> {
    core.purses
        .iter()
        .filter(|(f, _)| is_control(seat) || seat.faction() == Some(*f))
        .map(|(f, p)| (f.clone(), *p))
        .collect()
}

/// A turn report as `seat` may read it. `full`: everything (Control, or after the end).
pub fn report_for(report: &TurnReport, seat: &Seat, full: bool) -> SeatReport {
    let full = full || is_control(seat);
    SeatReport {
        round: report.round,
        label: report.label.clone(),
        public: report.public.clone(),
        factions: report
            .factions
            .iter()
            .filter(|(f, _)| full || seat.faction() == Some(*f))
            .map(|(f, r)| (f.clone(), r.clone()))
            .collect(),
        control: full.then(|| report.control.clone()),
    }
}

impl Game {
    /// Whether the game is over, after which everyone sees everything.
    pub fn ended(&self) -> bool {
        self.phase == Phase::Ended
    }

    /// The snapshot of the game that `seat` may see.
    pub fn view(&self, seat: &Seat) -> SeatView {
        let scn = &self.scenario;
        let full = is_control(seat) || self.ended();
        let sees_faction = |f: &FactionId| full || seat.faction() == Some(f);
        let sees_proposal = |parties: &[FactionId]| full || party(seat, parties);
        let effective_seat = if self.ended() { &Seat::Control } else { seat };
        let indices_list = match seat {
            _ if full => {
                let mut v = vec![indices(self, &self.core, Perspective::Technical)];
                for f in &scn.factions {
                    v.push(indices(
                        self,
                        &self.core,
                        Perspective::Faction(f.id.clone()),
                    ));
                }
                v
            }
            Seat::Faction(f) => vec![indices(self, &self.core, Perspective::Faction(f.clone()))],
            _ => vec![indices(self, &self.core, Perspective::Public)],
        };
        let mut order_warnings = BTreeMap::new();
        if let Some(f) = seat.faction() {
            for a in scn.actions.iter().filter(|a| a.owner == *f) {
                let w = self.would_breach(f, &a.id);
                if !w.is_empty() {
                    order_warnings.insert(a.id.clone(), w);
                }
            }
        }
        SeatView {
            seat: seat.clone(),
            scenario: scn.id.clone(),
            language: scn.language.clone(),
            title: self.config.title.clone(),
            round: self.round,
            round_label: self.round_label().to_owned(),
            rounds: scn.rounds.len() as u32,
            phase: self.phase,
            start: self.config.start,
            team_ready: self.config.team_ready,
            paused: self.paused,
            deadline_at: self.deadline_at,
            vars: vars_for(scn, &self.core, effective_seat),
            purses: purses_for(&self.core, effective_seat),
            orders: self
                .orders
                .iter()
                .filter(|(f, _)| sees_faction(f))
                .map(|(f, o)| (f.clone(), o.clone()))
                .collect(),
            ready: self.ready.iter().cloned().collect(),
            members_ready: self
                .members_ready
                .iter()
                .filter(|(f, _)| is_control(seat) || seat.faction() == Some(*f))
                .map(|(f, m)| {
                    let m = m.iter().map(|(id, name)| ReadyMember {
                        member: *id,
                        name: name.clone(),
                    });
                    (f.clone(), m.collect())
                })
                .collect(),
            builds: self
                .core
                .builds
                .iter()
                .filter(|b| !b.covert || sees_faction(&b.faction))
                .cloned()
                .collect(),
            messages: self.latest_messages(seat, full),
            proposals: self
                .proposals
                .iter()
                .filter(|p| sees_proposal(&p.terms.parties))
                .cloned()
                .collect(),
            agreements: self
                .core
                .agreements
                .iter()
                .filter(|a| a.terms.public || sees_proposal(&a.terms.parties))
                .cloned()
                .collect(),
            briefings: self.briefings.clone(),
            indices: indices_list,
            reports: self
                .reports
                .iter()
                .map(|r| report_for(r, seat, full))
                .collect(),
            scores: self
                .core
                .score_history
                .iter()
                .filter(|(f, h)| sees_faction(f) && !h.is_empty())
                .map(|(f, h)| (f.clone(), h.iter().sum::<f64>() / h.len() as f64))
                .collect(),
            bots: self.config.bots.clone(),
            agents: self.config.agents.clone(),
            held: self
                .held
                .iter()
                .filter_map(|h| self.held_for(seat, h))
                .collect(),
            annotations: self.annotations.clone(),
            overrides: if full {
                self.overrides.clone()
            } else {
                Vec::new()
            },
            order_warnings,
            moderation: self.moderation_for(seat),
            branch: self.branch.clone(),
            ending: self.ending.clone(),
        }
    }

    /// A message as `seat` reads it: without its text once hidden (but for Control), and
    /// without the poster's seat (but for Control). Hiding cannot be undone, so reading the
    /// current state is right for a message sent before it was hidden too.
    pub fn message_for(&self, seat: &Seat, m: &Message) -> Message {
        let hidden = m.hidden
            || self
                .hidden
                .get(&m.channel)
                .is_some_and(|h| h.contains(&m.id));
        let control = is_control(seat);
        Message {
            text: if hidden && !control {
                String::new()
            } else {
                m.text.clone()
            },
            member: if control { m.member } else { None },
            hidden,
            ..m.clone()
        }
    }

    /// A held message as `seat` reads it: Control whole, its own faction without the writer's
    /// seat, anyone else not at all.
    pub fn held_for(&self, seat: &Seat, h: &HeldMessage) -> Option<HeldMessage> {
        if is_control(seat) {
            Some(h.clone())
        } else if seat.faction() == Some(&h.faction) {
            Some(HeldMessage {
                member: None,
                ..h.clone()
            })
        } else {
            None
        }
    }

    /// The moderation records `seat` may read: Control all; a faction the hidden messages of
    /// channels it reads and its own people's mutes; an observer the plenary's. After the end
    /// every record, but another faction's muted person unnamed.
    pub fn moderation_for(&self, seat: &Seat) -> Vec<Moderation> {
        let control = is_control(seat);
        let own = |f: &Option<FactionId>| f.is_some() && seat.faction() == f.as_ref();
        self.moderation
            .iter()
            .filter(|m| {
                control
                    || self.ended()
                    || match m.kind {
                        ModerationKind::HideMessage => {
                            m.channel.as_ref().is_some_and(|c| can_read(seat, c))
                        }
                        ModerationKind::Mute | ModerationKind::Unmute => own(&m.faction),
                    }
            })
            .map(|m| {
                if control || own(&m.faction) {
                    m.clone()
                } else {
                    Moderation {
                        member: None,
                        name: None,
                        ..m.clone()
                    }
                }
            })
            .collect()
    }

    /// The messages a view carries: those `seat` may read (all once `full`), the latest
    /// [`VIEW_MESSAGES`] of each channel; older ones come from [`Game::earlier_messages`].
    fn latest_messages(&self, seat: &Seat, full: bool) -> Vec<Message> {
        let mut kept: BTreeMap<&Channel, usize> = BTreeMap::new();
        let mut out: Vec<Message> = self
            .messages
            .iter()
            .rev()
            .filter(|m| full || can_read(seat, &m.channel))
            .filter(|m| {
                let n = kept.entry(&m.channel).or_default();
                *n += 1;
                *n <= VIEW_MESSAGES
            })
            .map(|m| self.message_for(seat, m))
            .collect();
        out.reverse();
        out
    }

    /// Up to `limit` messages of `channel` before message `before` (the latest when `None`),
    /// oldest first, if `seat` may read the channel (every channel once the game has ended);
    /// `None` if it may not. The messages come from memory when it still holds them all,
    /// else the answer says to read them from the log with [`messages_in_log`].
    pub fn earlier_messages(
        &self,
        seat: &Seat,
        channel: &Channel,
        before: Option<u32>,
        limit: usize,
    ) -> Option<MessagePage> {
        let full = is_control(seat) || self.ended();
        if !full && !can_read(seat, channel) {
            return None;
        }
        let latest = self.channel_counts.get(channel).copied().unwrap_or(0);
        let before = before.unwrap_or(latest + 1).min(latest + 1);
        let oldest_wanted = before.saturating_sub(limit as u32).max(1);
        let dropped = self.dropped_through.get(channel).copied().unwrap_or(0);
        if before > 1 && oldest_wanted <= dropped {
            return Some(MessagePage::InLog { before });
        }
        let mut out: Vec<Message> = self
            .messages
            .iter()
            .rev()
            .filter(|m| m.channel == *channel && m.id < before)
            .take(limit)
            .map(|m| self.message_for(seat, m))
            .collect();
        out.reverse();
        Some(MessagePage::Here(out))
    }

    /// The form of a recorded event that `seat` may receive, or `None`. Looks up only facts
    /// that never change once recorded (a proposal's or agreement's parties) or change once
    /// and for good (a message hidden), so it is correct for past events as well as the
    /// latest one.
    pub fn event_for(&self, seat: &Seat, event: &Event) -> Option<SeatEvent> {
        self.may_see(seat, event)
            .then(|| self.seat_form(seat, event))
    }

    /// Whether `seat` may receive `event` at all: the secrecy rule of the event stream.
    fn may_see(&self, seat: &Seat, event: &Event) -> bool {
        let own = |f: &FactionId| is_control(seat) || seat.faction() == Some(f);
        let party_to = |id: &u32| party(seat, &self.proposal_parties(*id));
        match event {
            Event::ChatPosted { message } => can_read(seat, &message.channel),
            Event::ProposalMade { proposal } => party(seat, &proposal.terms.parties),
            Event::ProposalAccepted { proposal, .. }
            | Event::ProposalRejected { proposal, .. }
            | Event::ProposalCountered { proposal, .. }
            | Event::ProposalWithdrawn { proposal } => party_to(proposal),
            Event::ProposalsExpired { proposals } => proposals.iter().any(party_to),
            Event::AgreementSigned { agreement, .. } => {
                agreement.terms.public || party(seat, &agreement.terms.parties)
            }
            // Orders, and who in a team is ready, are the faction's business (and Control's).
            Event::OrderSubmitted { faction, .. }
            | Event::OrderAmended { faction, .. }
            | Event::OrderWithdrawn { faction, .. }
            | Event::MemberReady { faction, .. }
            | Event::MemberReadyWithdrawn { faction, .. } => own(faction),
            Event::Overridden { var, .. } => {
                let scn = &self.scenario;
                is_control(seat)
                    || scn.var_index(var.as_str()).is_some_and(|i| {
                        let v = &scn.variables[i];
                        v.visibility == super::scenario::Visibility::Public
                            || (seat.faction().is_some() && v.owner.as_ref() == seat.faction())
                    })
            }
            Event::ScheduledEventSet { .. } => is_control(seat),
            Event::MessageHidden { channel, .. } => can_read(seat, channel),
            Event::MemberMuted { faction, .. } | Event::MemberUnmuted { faction, .. } => {
                own(faction)
            }
            Event::ChatHeld { held } => own(&held.faction),
            Event::HeldMessageDecided { faction, .. } => own(faction),
            // Seen by every seat, each in its own form (variables, purses and reports are
            // redacted in `seat_form`).
            Event::GameCreated { .. }
            | Event::RoundBegan { .. }
            | Event::PhaseChanged { .. }
            | Event::FactionReady { .. }
            | Event::ReadyWithdrawn { .. }
            | Event::Paused { .. }
            | Event::Resumed { .. }
            | Event::DeadlineExtended { .. }
            | Event::EventInjected { .. }
            | Event::BotSet { .. }
            | Event::AgentSet { .. }
            | Event::StartSet { .. }
            | Event::Annotated { .. }
            | Event::Branched { .. }
            | Event::Adjudicated { .. }
            | Event::GameEnded { .. } => true,
        }
    }

    /// The parties of a proposal, from the proposals on record.
    fn proposal_parties(&self, id: u32) -> Vec<FactionId> {
        self.proposals
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.terms.parties.clone())
            .unwrap_or_default()
    }

    /// A visible event as `seat` reads it: variables, purses and the report redacted to what
    /// the seat may know, a list of expired proposals to the ones it was party to.
    fn seat_form(&self, seat: &Seat, event: &Event) -> SeatEvent {
        let scn = &self.scenario;
        let own = |f: &FactionId| is_control(seat) || seat.faction() == Some(f);
        match event {
            Event::GameCreated { scenario, .. } => SeatEvent::GameCreated {
                scenario: scenario.clone(),
            },
            Event::RoundBegan {
                round,
                fired,
                core,
                deadline_at,
                ..
            } => SeatEvent::RoundBegan {
                round: *round,
                fired: fired.clone(),
                vars: vars_for(scn, core, seat),
                purses: purses_for(core, seat),
                deadline_at: *deadline_at,
            },
            Event::PhaseChanged {
                round,
                phase,
                deadline_at,
                ..
            } => SeatEvent::PhaseChanged {
                round: *round,
                phase: *phase,
                deadline_at: *deadline_at,
            },
            Event::ChatPosted { message } => SeatEvent::ChatPosted {
                message: self.message_for(seat, message),
            },
            Event::Branched {
                parent,
                parent_seq,
                round,
                phase,
                bots,
                ..
            } => SeatEvent::Branched {
                branch: BranchPoint {
                    parent: *parent,
                    parent_seq: *parent_seq,
                    round: *round,
                    phase: *phase,
                },
                bots: bots.clone(),
            },
            Event::MessageHidden {
                channel,
                message,
                reason,
                by,
                round,
                at_ms,
            } => SeatEvent::MessageHidden {
                channel: channel.clone(),
                message: *message,
                reason: reason.clone(),
                by: by.clone(),
                round: *round,
                at_ms: *at_ms,
            },
            Event::MemberMuted {
                faction,
                member,
                name,
                until_ms,
                reason,
                by,
                round,
                at_ms,
            } => SeatEvent::MemberMuted {
                faction: faction.clone(),
                member: *member,
                name: name.clone(),
                until_ms: *until_ms,
                reason: reason.clone(),
                by: by.clone(),
                round: *round,
                at_ms: *at_ms,
            },
            Event::MemberUnmuted {
                faction,
                member,
                name,
                by,
                round,
                at_ms,
            } => SeatEvent::MemberUnmuted {
                faction: faction.clone(),
                member: *member,
                name: name.clone(),
                by: by.clone(),
                round: *round,
                at_ms: *at_ms,
            },
            Event::ProposalMade { proposal } => SeatEvent::ProposalMade {
                proposal: proposal.clone(),
            },
            Event::ProposalAccepted { proposal, by } => SeatEvent::ProposalAccepted {
                proposal: *proposal,
                by: by.clone(),
            },
            Event::ProposalRejected {
                proposal,
                by,
                reason,
            } => SeatEvent::ProposalRejected {
                proposal: *proposal,
                by: by.clone(),
                reason: reason.clone(),
            },
            Event::ProposalCountered {
                proposal,
                by,
                counter,
            } => SeatEvent::ProposalCountered {
                proposal: *proposal,
                by: by.clone(),
                counter: *counter,
            },
            Event::ProposalWithdrawn { proposal } => SeatEvent::ProposalWithdrawn {
                proposal: *proposal,
            },
            Event::ProposalsExpired { proposals } => {
                let mine: Vec<u32> = proposals
                    .iter()
                    .copied()
                    .filter(|id| party(seat, &self.proposal_parties(*id)))
                    .collect();
                SeatEvent::ProposalsExpired { proposals: mine }
            }
            Event::AgreementSigned { agreement, purses } => SeatEvent::AgreementSigned {
                agreement: agreement.clone(),
                purses: purses
                    .iter()
                    .filter(|(f, _)| own(f))
                    .map(|(f, p)| (f.clone(), *p))
                    .collect(),
            },
            Event::OrderSubmitted { faction, order } => SeatEvent::OrderSubmitted {
                faction: faction.clone(),
                order: order.clone(),
            },
            Event::OrderAmended {
                faction,
                order,
                quantity,
            } => SeatEvent::OrderAmended {
                faction: faction.clone(),
                order: *order,
                quantity: *quantity,
            },
            Event::OrderWithdrawn { faction, order } => SeatEvent::OrderWithdrawn {
                faction: faction.clone(),
                order: *order,
            },
            Event::FactionReady { faction } => SeatEvent::FactionReady {
                faction: faction.clone(),
            },
            Event::ReadyWithdrawn { faction } => SeatEvent::ReadyWithdrawn {
                faction: faction.clone(),
            },
            // Who in a team is ready is the team's business (and Control's).
            Event::MemberReady {
                faction,
                member,
                name,
            } => SeatEvent::MemberReady {
                faction: faction.clone(),
                member: *member,
                name: name.clone(),
            },
            Event::MemberReadyWithdrawn { faction, member } => SeatEvent::MemberReadyWithdrawn {
                faction: faction.clone(),
                member: *member,
            },
            Event::Paused { remaining_ms } => SeatEvent::Paused {
                remaining_ms: *remaining_ms,
            },
            Event::Resumed { deadline_at } => SeatEvent::Resumed {
                deadline_at: *deadline_at,
            },
            Event::DeadlineExtended { deadline_at } => SeatEvent::DeadlineExtended {
                deadline_at: *deadline_at,
            },
            Event::EventInjected { fired, core } => SeatEvent::EventInjected {
                fired: fired.clone(),
                vars: vars_for(scn, core, seat),
            },
            Event::Overridden {
                var,
                new,
                reason,
                round,
                ..
            } => SeatEvent::Overridden {
                var: var.clone(),
                new: *new,
                reason: reason.clone(),
                round: *round,
            },
            Event::BotSet {
                faction,
                temperament,
            } => SeatEvent::BotSet {
                faction: faction.clone(),
                temperament: *temperament,
            },
            Event::AgentSet { faction, agent } => SeatEvent::AgentSet {
                faction: faction.clone(),
                agent: agent.clone(),
            },
            // Only Control and the faction receive it (`may_see`); the faction without the seat.
            Event::ChatHeld { held } => SeatEvent::ChatHeld {
                held: HeldMessage {
                    member: held.member.filter(|_| is_control(seat)),
                    ..held.clone()
                },
            },
            Event::HeldMessageDecided {
                faction,
                held,
                decision,
            } => SeatEvent::HeldMessageDecided {
                faction: faction.clone(),
                held: *held,
                decision: decision.clone(),
            },
            Event::ScheduledEventSet { event, enabled } => SeatEvent::ScheduledEventSet {
                event: event.clone(),
                enabled: *enabled,
            },
            Event::StartSet { start } => SeatEvent::StartSet { start: *start },
            Event::Annotated { round, text } => SeatEvent::Annotated {
                round: *round,
                text: text.clone(),
            },
            Event::Adjudicated { report, core } => SeatEvent::Adjudicated {
                report: Box::new(report_for(report, seat, false)),
                vars: vars_for(scn, core, seat),
                purses: purses_for(core, seat),
            },
            Event::GameEnded { ending } => SeatEvent::GameEnded {
                ending: ending.clone(),
            },
        }
    }

    /// The model values a faction would see if `vars` were the state (used by bots).
    pub fn effective_vars_for(&self, f: &FactionId) -> Vec<f64> {
        effective_vars(&self.scenario, &self.core, Some(f))
    }
}

/// A table of a class at a glance, for the class console and the class projector: public
/// information only (what an observer sees), the same for every reader. The server adds who
/// sits and who is connected ([`FactionAtTable`]); the rest comes from [`Game::table_status`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableStatus {
    /// The game's name, if it has one.
    pub title: Option<String>,
    /// 0-based.
    pub round: u32,
    pub round_label: String,
    pub rounds: u32,
    pub phase: Phase,
    pub paused: bool,
    /// When the phase's deadline falls (ms since the epoch), if it has one and runs.
    pub deadline_at: Option<i64>,
    /// Time left on the paused clock (ms).
    pub paused_remaining: Option<i64>,
    /// Tension as the public knows it, and the threshold at which a round ends in crisis.
    pub tension: f64,
    pub crisis_threshold: f64,
    /// Rounds whose adjudication ended in crisis.
    pub crises: u32,
    /// Public agreements, oldest first.
    pub agreements: Vec<TableAgreement>,
    /// The latest plenary message, if any.
    pub headline: Option<Headline>,
    pub ending: Option<Ending>,
    /// Each faction: who sits, who is connected, whether it said Ready, its bot.
    pub factions: Vec<FactionAtTable>,
}

/// A public agreement on the class console.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TableAgreement {
    pub id: u32,
    pub title: String,
    pub parties: Vec<FactionId>,
    pub status: AgreementStatus,
}

/// A plenary message on the class console and projector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Headline {
    pub author: String,
    pub from: Seat,
    pub text: String,
    pub at_ms: i64,
}

/// One faction at a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FactionAtTable {
    pub faction: FactionId,
    /// People seated in it.
    pub players: u32,
    /// Of those, how many have a connection open to the game now.
    pub connected: u32,
    /// It said Ready in this phase.
    pub ready: bool,
    /// The bot playing it, if one does.
    pub bot: Option<Temperament>,
}

impl Game {
    /// The table's public state (see [`TableStatus`]); `seated(f)` says how many people sit
    /// in faction `f` and how many of them are connected.
    pub fn table_status(&self, seated: impl Fn(&FactionId) -> (u32, u32)) -> TableStatus {
        let scn = &self.scenario;
        let public = Seat::Observer;
        let tension = vars_for(scn, &self.core, &public)
            .get("tension")
            .copied()
            .unwrap_or(0.0);
        let headline = self
            .messages
            .iter()
            .rev()
            .find(|m| m.channel == Channel::Plenary && !m.hidden)
            .map(|m| Headline {
                author: m.author.clone(),
                from: m.from.clone(),
                text: m.text.clone(),
                at_ms: m.at_ms,
            });
        TableStatus {
            title: self.config.title.clone(),
            round: self.round,
            round_label: self.round_label().to_owned(),
            rounds: scn.rounds.len() as u32,
            phase: self.phase,
            paused: self.paused,
            deadline_at: self.deadline_at.filter(|_| !self.paused),
            paused_remaining: self.paused_remaining.filter(|_| self.paused),
            tension,
            crisis_threshold: scn.crisis_threshold,
            crises: self.reports.iter().filter(|r| r.public.crisis).count() as u32,
            agreements: self
                .core
                .agreements
                .iter()
                .filter(|a| a.terms.public)
                .map(|a| TableAgreement {
                    id: a.id,
                    title: a.terms.title.clone(),
                    parties: a.terms.parties.clone(),
                    status: a.status.clone(),
                })
                .collect(),
            headline,
            ending: self.ending.clone(),
            factions: scn
                .factions
                .iter()
                .map(|f| {
                    let (players, connected) = seated(&f.id);
                    FactionAtTable {
                        faction: f.id.clone(),
                        players,
                        connected,
                        ready: self.ready.contains(&f.id),
                        bot: self.config.bots.get(&f.id).copied(),
                    }
                })
                .collect(),
        }
    }
}

/// The messages a facilitator hid anywhere in `log` (a whole game's events), by channel and
/// message id: a replay or an export leaves out their text at every step, also before they
/// were hidden.
pub fn hidden_messages(log: &[Event]) -> std::collections::BTreeSet<(&Channel, u32)> {
    log.iter()
        .filter_map(|e| match e {
            Event::MessageHidden {
                channel, message, ..
            } => Some((channel, *message)),
            _ => None,
        })
        .collect()
}
