"""The JSON forms of the protocol, as static types.

These are :class:`typing.TypedDict` and :data:`typing.Literal` definitions written by hand after
``docs/protocol.md`` and ``docs/protocol.schema.json`` (the Rust types are the source of truth).
At run time they are plain ``dict``, ``list``, ``str`` and numbers, exactly as decoded from
JSON: nothing is generated or validated at run time, and fields a newer server adds are kept.

Client input (commands, request bodies) is strict on the server: an unknown field is refused, so
build commands with the names here. Deeply nested, model-computed parts (indices, turn reports,
the scenario file) are typed as :data:`JsonObject`.

Optional fields (``NotRequired`` is Python 3.11+) are written as a ``total=False`` subclass of
a base holding the required ones.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

JsonObject = Dict[str, Any]
"""A JSON object this library does not type field by field."""

FactionId = str
"""A faction id from the scenario: ``"russia"``, ``"us_nato"``, ``"csto"``."""

ErrorCode = Literal[
    # engine codes (§8)
    "wrong_phase",
    "not_your_faction",
    "control_only",
    "forbidden",
    "unknown",
    "over_budget",
    "prerequisite",
    "limit",
    "malformed_clause",
    "would_breach",
    "invalid",
    "game_ended",
    "muted",
    # connection and protocol codes (§8)
    "bad_frame",
    "hello_first",
    "already_hello",
    "bad_token",
    "bad_id",
    "duplicate_id",
    "rate_limited",
    "unavailable",
    "internal",
    "too_many_connections",
    "seat_changed",
    # HTTP codes (§2)
    "bad_request",
    "unauthorized",
    "unknown_code",
    "not_found",
    "no_route",
    "method_not_allowed",
    "bot_seat",
    "agent_seat",
    "team_full",
    "game_full",
    "observers_full",
    "too_large",
    "unknown_scenario",
    "unknown_faction",
    "invalid_name",
    "teacher_only",
    "class_started",
]
"""Every stable error code the server sends (``#/$defs/ErrorCode`` of the JSON Schema)."""

Phase = Literal["lobby", "briefing", "negotiation", "orders", "review", "ended"]
Temperament = Literal["hawk", "pragmatist", "dove"]
StartMode = Literal["now", "lobby", "when_seated"]
TeamReadyRule = Literal["everyone", "captain"]


# ---------------------------------------------------------------------------------------------
# Seats and channels


class FactionSeat(TypedDict):
    role: Literal["faction"]
    faction: FactionId


class ControlSeat(TypedDict):
    role: Literal["control"]


class ObserverSeat(TypedDict):
    role: Literal["observer"]


Seat = Union[FactionSeat, ControlSeat, ObserverSeat]
"""Who is acting or looking (``{"role": "faction", "faction": "russia"}``, …)."""


class SeatInfo(TypedDict):
    """Who a connection is, as the server established it from the token."""

    seat_id: str
    seat: Seat
    name: str


class PlenaryChannel(TypedDict):
    kind: Literal["plenary"]


class BilateralChannel(TypedDict):
    kind: Literal["bilateral"]
    factions: List[FactionId]


class TeamChannel(TypedDict):
    kind: Literal["team"]
    faction: FactionId


class ControlChannel(TypedDict):
    kind: Literal["control"]
    faction: FactionId


Channel = Union[PlenaryChannel, BilateralChannel, TeamChannel, ControlChannel]


# ---------------------------------------------------------------------------------------------
# HTTP bodies


class PhaseDeadlines(TypedDict):
    """Seconds per phase; ``0`` means no deadline. All four keys are required."""

    briefing: int
    negotiation: int
    orders: int
    review: int


class CreateGame(TypedDict, total=False):
    """Body of ``POST /api/games``: every field is optional."""

    scenario: str
    name: str
    preset: str
    deadlines: PhaseDeadlines
    bots: Dict[FactionId, Temperament]
    team_sizes: Dict[FactionId, int]
    seed: int
    start: StartMode
    title: str
    team_ready: TeamReadyRule
    language: str


class ScenarioInfo(TypedDict):
    """One entry of ``GET /api/scenarios``."""

    id: str
    title: str
    summary: str
    factions: List[FactionId]
    rounds: List[str]
    presets: List[str]
    default_preset: str
    language: str
    languages: List[str]


# ---------------------------------------------------------------------------------------------
# Game data


class Purse(TypedDict):
    budget: float
    capital: float


_MessageBase = TypedDict(
    "_MessageBase",
    {
        "id": int,
        "round": int,
        "channel": Channel,
        "from": Seat,
        "author": str,
        "text": str,
        "at_ms": int,
    },
)


class Message(_MessageBase, total=False):
    """A chat message (``message["from"]`` is the seat that posted it). ``hidden`` once Control
    hid it; ``member`` (the poster's seat id) in Control's form only."""

    hidden: bool
    member: Optional[str]


class _ClauseBase(TypedDict):
    kind: str
    by: FactionId


class Clause(_ClauseBase, total=False):
    """One clause of a proposal: ``kind`` and ``by``, plus exactly the details its card's
    form needs (``action``; ``var`` and ``max``; ``to`` and ``amount``; or none)."""

    action: str
    var: str
    max: float
    to: FactionId
    amount: float


class _TermsBase(TypedDict):
    title: str
    parties: List[FactionId]
    clauses: List[Clause]
    duration_rounds: int


class Terms(_TermsBase, total=False):
    public: bool


class _ProposalBase(TypedDict):
    id: int
    round: int
    proposer: FactionId
    terms: Terms
    accepted_by: List[FactionId]
    status: JsonObject
    """``{"status": "open"}``, ``{"status": "signed", "agreement": N}``, … (§6)."""


class Proposal(_ProposalBase, total=False):
    counter_of: Optional[int]


class Agreement(TypedDict):
    id: int
    proposal: int
    terms: Terms
    signed_round: int
    until_round: int
    status: JsonObject
    """``{"status": "in_force"}``, ``{"status": "broken", "by": F, "round": R}``, … (§6)."""


class Order(TypedDict):
    id: int
    action: str
    quantity: int


class ReadyMember(TypedDict):
    member: str
    name: str


class FiredEvent(TypedDict):
    id: str
    name: str
    text: str
    injected: bool


class Build(TypedDict):
    faction: FactionId
    action: str
    quantity: int
    ordered_round: int
    due_round: int
    covert: bool


class BranchPoint(TypedDict):
    """Where a branch ("what if?") came from: the parent game and the point it branched at."""

    parent: str
    parent_seq: int
    round: int
    phase: Phase


class _AgentBase(TypedDict):
    name: str


class Agent(_AgentBase, total=False):
    """An outside agent (a program with a seat token Control gave it) playing a faction.
    ``approve_chat``: Control approves each of its messages to other factions first."""

    approve_chat: bool


class _HeldDecisionBase(TypedDict):
    approved: bool
    by: str
    at_ms: int


class HeldDecision(_HeldDecisionBase, total=False):
    """What Control decided about a held message: ``reason`` when refused (may be empty),
    ``message`` (the delivered message's id in its channel) when approved."""

    reason: str
    message: int


class _HeldMessageBase(TypedDict):
    id: int
    faction: FactionId
    round: int
    channel: Channel
    author: str
    text: str
    at_ms: int


class HeldMessage(_HeldMessageBase, total=False):
    """An agent's message to other factions, waiting for Control's approval or decided.
    ``id`` counts within the faction's held messages. Only Control and that faction read it;
    ``member`` (the writer's seat id) in Control's form only; ``decision`` once decided."""

    member: Optional[str]
    decision: HeldDecision


class _SeatViewBase(TypedDict):
    seat: Seat
    scenario: str
    language: str
    round: int
    round_label: str
    rounds: int
    phase: Phase
    start: StartMode
    team_ready: TeamReadyRule
    paused: bool
    vars: Dict[str, float]
    purses: Dict[FactionId, Purse]
    orders: Dict[FactionId, List[Order]]
    ready: List[FactionId]
    members_ready: Dict[FactionId, List[ReadyMember]]
    builds: List[Build]
    messages: List[Message]
    proposals: List[Proposal]
    agreements: List[Agreement]
    briefings: List[List[Any]]
    """``[round, FiredEvent]`` pairs."""
    indices: List[JsonObject]
    reports: List[JsonObject]
    scores: Dict[FactionId, float]
    bots: Dict[FactionId, Temperament]
    annotations: List[List[Any]]
    """``[round, text]`` pairs."""
    overrides: List[List[Any]]
    """``[round, var, old, new, reason]``."""
    order_warnings: Dict[str, List[str]]


class SeatView(_SeatViewBase, total=False):
    """The whole game as one seat may see it (§7)."""

    title: Optional[str]
    deadline_at: Optional[int]
    moderation: List[JsonObject]
    agents: Dict[FactionId, Agent]
    """The factions outside agents play (everyone sees them)."""
    held: List[HeldMessage]
    """Agents' held messages: all for Control, a faction's own for it, none for others."""
    branch: Optional[BranchPoint]
    ending: Optional[JsonObject]
    """``{"reason": "last_round"}``, ``{"reason": "crisis", "tension": 87.2}``,
    ``{"reason": "control", "note": "…"}``, or ``None`` while the game runs."""


class _SummaryBase(TypedDict):
    game_id: str
    seq: int
    you: SeatInfo
    join_code: str
    view: SeatView


_SummaryClass = TypedDict("_SummaryClass", {"class": Optional[JsonObject]}, total=False)


class Summary(_SummaryBase, _SummaryClass):
    """Answer to ``GET /api/games/{id}``: the game as the caller's seat sees it, as of ``seq``.
    ``summary["class"]`` is ``{"class_id", "table"}`` for a table of a class, else ``None``."""


class Teammate(TypedDict):
    seat_id: str
    name: str
    connected: bool
    captain: bool


# ---------------------------------------------------------------------------------------------
# Commands (§5): the ``command`` object of a ``command`` frame


class ChatCommand(TypedDict):
    type: Literal["chat"]
    channel: Channel
    text: str


class ProposeCommand(TypedDict):
    type: Literal["propose"]
    terms: Terms


class AcceptCommand(TypedDict):
    type: Literal["accept"]
    proposal: int


class _RejectBase(TypedDict):
    type: Literal["reject"]
    proposal: int


class RejectCommand(_RejectBase, total=False):
    reason: str


class CounterCommand(TypedDict):
    type: Literal["counter"]
    proposal: int
    terms: Terms


class WithdrawCommand(TypedDict):
    type: Literal["withdraw"]
    proposal: int


class _SubmitOrderBase(TypedDict):
    type: Literal["submit_order"]
    action: str


class SubmitOrderCommand(_SubmitOrderBase, total=False):
    quantity: int
    confirm_breach: bool


class _AmendOrderBase(TypedDict):
    type: Literal["amend_order"]
    order: int
    quantity: int


class AmendOrderCommand(_AmendOrderBase, total=False):
    confirm_breach: bool


class WithdrawOrderCommand(TypedDict):
    type: Literal["withdraw_order"]
    order: int


class SimpleCommand(TypedDict):
    """Commands without fields."""

    type: Literal[
        "ready",
        "withdraw_ready",
        "start",
        "advance_phase",
        "pause",
        "resume",
        "tick",
    ]


class ExtendDeadlineCommand(TypedDict):
    type: Literal["extend_deadline"]
    seconds: int


class InjectEventCommand(TypedDict):
    type: Literal["inject_event"]
    event: str


class OverrideCommand(TypedDict):
    type: Literal["override"]
    var: str
    value: float
    reason: str


class _SetBotBase(TypedDict):
    type: Literal["set_bot"]
    faction: FactionId


class SetBotCommand(_SetBotBase, total=False):
    temperament: Optional[Temperament]


class _SetAgentBase(TypedDict):
    type: Literal["set_agent"]
    faction: FactionId


class SetAgentCommand(_SetAgentBase, total=False):
    """Marks ``faction`` as an outside agent's, or (``None``) people's again. To seat an
    agent, use ``POST /api/games/{id}/agents`` (``Client.add_agent``): it sends this and
    issues the token."""

    agent: Optional[Agent]


class ApproveMessageCommand(TypedDict):
    """Control delivers held message ``held`` of agent faction ``faction``."""

    type: Literal["approve_message"]
    faction: FactionId
    held: int


class _RejectMessageBase(TypedDict):
    type: Literal["reject_message"]
    faction: FactionId
    held: int


class RejectMessageCommand(_RejectMessageBase, total=False):
    """Control refuses held message ``held`` of ``faction``: it is never delivered."""

    reason: str


class SetScheduledEventCommand(TypedDict):
    type: Literal["set_scheduled_event"]
    event: str
    enabled: bool


class SetStartCommand(TypedDict):
    type: Literal["set_start"]
    start: StartMode


class AnnotateCommand(TypedDict):
    type: Literal["annotate"]
    text: str


class _HideMessageBase(TypedDict):
    type: Literal["hide_message"]
    channel: Channel
    message: int


class HideMessageCommand(_HideMessageBase, total=False):
    reason: str


class _MuteMemberBase(TypedDict):
    type: Literal["mute_member"]
    member: str
    minutes: int


class MuteMemberCommand(_MuteMemberBase, total=False):
    reason: str


class UnmuteMemberCommand(TypedDict):
    type: Literal["unmute_member"]
    member: str


class _EndGameBase(TypedDict):
    type: Literal["end_game"]


class EndGameCommand(_EndGameBase, total=False):
    note: str


Command = Union[
    ChatCommand,
    ProposeCommand,
    AcceptCommand,
    RejectCommand,
    CounterCommand,
    WithdrawCommand,
    SubmitOrderCommand,
    AmendOrderCommand,
    WithdrawOrderCommand,
    SimpleCommand,
    ExtendDeadlineCommand,
    InjectEventCommand,
    OverrideCommand,
    SetBotCommand,
    SetAgentCommand,
    ApproveMessageCommand,
    RejectMessageCommand,
    SetScheduledEventCommand,
    SetStartCommand,
    AnnotateCommand,
    HideMessageCommand,
    MuteMemberCommand,
    UnmuteMemberCommand,
    EndGameCommand,
]
"""A game command (§5). Tagged by ``type``; unknown fields are refused by the server."""


# ---------------------------------------------------------------------------------------------
# Events (§6): the ``event`` object of an ``event`` frame, as this seat may see it


class GameCreated(TypedDict):
    type: Literal["game_created"]
    scenario: str


class _RoundBeganBase(TypedDict):
    type: Literal["round_began"]
    round: int
    fired: List[FiredEvent]
    vars: Dict[str, float]
    purses: Dict[FactionId, Purse]


class RoundBegan(_RoundBeganBase, total=False):
    deadline_at: Optional[int]


class _PhaseChangedBase(TypedDict):
    type: Literal["phase_changed"]
    round: int
    phase: Phase


class PhaseChanged(_PhaseChangedBase, total=False):
    deadline_at: Optional[int]


class ChatPosted(TypedDict):
    type: Literal["chat_posted"]
    message: Message


class ProposalMade(TypedDict):
    type: Literal["proposal_made"]
    proposal: Proposal


class ProposalAccepted(TypedDict):
    type: Literal["proposal_accepted"]
    proposal: int
    by: FactionId


class ProposalRejected(TypedDict):
    type: Literal["proposal_rejected"]
    proposal: int
    by: FactionId
    reason: str


class ProposalCountered(TypedDict):
    type: Literal["proposal_countered"]
    proposal: int
    by: FactionId
    counter: int


class ProposalWithdrawn(TypedDict):
    type: Literal["proposal_withdrawn"]
    proposal: int


class ProposalsExpired(TypedDict):
    type: Literal["proposals_expired"]
    proposals: List[int]


class AgreementSigned(TypedDict):
    type: Literal["agreement_signed"]
    agreement: Agreement
    purses: Dict[FactionId, Purse]


class OrderSubmitted(TypedDict):
    type: Literal["order_submitted"]
    faction: FactionId
    order: Order


class OrderAmended(TypedDict):
    type: Literal["order_amended"]
    faction: FactionId
    order: int
    quantity: int


class OrderWithdrawn(TypedDict):
    type: Literal["order_withdrawn"]
    faction: FactionId
    order: int


class FactionReady(TypedDict):
    type: Literal["faction_ready"]
    faction: FactionId


class ReadyWithdrawn(TypedDict):
    type: Literal["ready_withdrawn"]
    faction: FactionId


class MemberReadyEvent(TypedDict):
    type: Literal["member_ready"]
    faction: FactionId
    member: str
    name: str


class MemberReadyWithdrawn(TypedDict):
    type: Literal["member_ready_withdrawn"]
    faction: FactionId
    member: str


class _PausedBase(TypedDict):
    type: Literal["paused"]


class Paused(_PausedBase, total=False):
    remaining_ms: Optional[int]


class _ResumedBase(TypedDict):
    type: Literal["resumed"]


class Resumed(_ResumedBase, total=False):
    deadline_at: Optional[int]


class DeadlineExtended(TypedDict):
    type: Literal["deadline_extended"]
    deadline_at: int


class EventInjected(TypedDict):
    type: Literal["event_injected"]
    fired: FiredEvent
    vars: Dict[str, float]


class Overridden(TypedDict):
    type: Literal["overridden"]
    var: str
    new: float
    reason: str
    round: int


class _BotSetBase(TypedDict):
    type: Literal["bot_set"]
    faction: FactionId


class BotSet(_BotSetBase, total=False):
    temperament: Optional[Temperament]


class _AgentSetBase(TypedDict):
    type: Literal["agent_set"]
    faction: FactionId


class AgentSet(_AgentSetBase, total=False):
    agent: Optional[Agent]


class ChatHeld(TypedDict):
    type: Literal["chat_held"]
    held: HeldMessage


class HeldMessageDecided(TypedDict):
    """Control decided about held message ``held`` of ``faction``; an approval is followed
    by the message's ``chat_posted``."""

    type: Literal["held_message_decided"]
    faction: FactionId
    held: int
    decision: HeldDecision


class ScheduledEventSet(TypedDict):
    type: Literal["scheduled_event_set"]
    event: str
    enabled: bool


class StartSet(TypedDict):
    type: Literal["start_set"]
    start: StartMode


class Annotated(TypedDict):
    type: Literal["annotated"]
    round: int
    text: str


class Branched(TypedDict):
    type: Literal["branched"]
    branch: BranchPoint
    bots: Dict[FactionId, Temperament]


class MessageHidden(TypedDict):
    type: Literal["message_hidden"]
    channel: Channel
    message: int
    reason: str
    by: str
    round: int
    at_ms: int


class MemberMuted(TypedDict):
    type: Literal["member_muted"]
    faction: FactionId
    member: str
    name: str
    until_ms: int
    reason: str
    by: str
    round: int
    at_ms: int


class MemberUnmuted(TypedDict):
    type: Literal["member_unmuted"]
    faction: FactionId
    member: str
    name: str
    by: str
    round: int
    at_ms: int


class Adjudicated(TypedDict):
    type: Literal["adjudicated"]
    report: JsonObject
    vars: Dict[str, float]
    purses: Dict[FactionId, Purse]


class GameEnded(TypedDict):
    type: Literal["game_ended"]
    ending: JsonObject


SeatEvent = Union[
    GameCreated,
    RoundBegan,
    PhaseChanged,
    ChatPosted,
    ProposalMade,
    ProposalAccepted,
    ProposalRejected,
    ProposalCountered,
    ProposalWithdrawn,
    ProposalsExpired,
    AgreementSigned,
    OrderSubmitted,
    OrderAmended,
    OrderWithdrawn,
    FactionReady,
    ReadyWithdrawn,
    MemberReadyEvent,
    MemberReadyWithdrawn,
    Paused,
    Resumed,
    DeadlineExtended,
    EventInjected,
    Overridden,
    BotSet,
    AgentSet,
    ChatHeld,
    HeldMessageDecided,
    ScheduledEventSet,
    StartSet,
    Annotated,
    Branched,
    MessageHidden,
    MemberMuted,
    MemberUnmuted,
    Adjudicated,
    GameEnded,
]
"""An event as a seat receives it (§6). Narrow it on ``event["type"]``."""
