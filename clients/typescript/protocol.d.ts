// Types of the Détente protocol (docs/protocol.md), generated from docs/protocol.schema.json
// by tests/browser/gen-types.mjs (json-schema-to-typescript). Do not edit: regenerate with
//   node tests/browser/gen-types.mjs
// `cargo test --test typescript_types` fails when this file is stale.

/**
 * An action in the scenario's catalogue, e.g. `iskander_kaliningrad`.
 */
export type ActionId = string;
/**
 * A faction of the scenario, e.g. `russia`, `us_nato`, `csto`.
 */
export type FactionId = string;
/**
 * A clause kind of the scenario's agreement catalogue.
 */
export type ClauseKindId = string;
/**
 * A state variable, e.g. `tension`.
 */
export type VarId = string;
/**
 * - `status: "pending_ratification"`: Signed; a clause needs ratification, rolled at the next adjudication.
 * - `status: "lapsed"`: Ratification failed.
 * - `status: "broken"`: A detected breach voided it.
 * - `status: "expired"`: Its duration ran out.
 */
export type AgreementStatus =
  | {
      status: 'pending_ratification';
    }
  | {
      status: 'in_force';
    }
  | {
      status: 'lapsed';
    }
  | {
      status: 'broken';
      by: FactionId;
      round: number;
    }
  | {
      status: 'expired';
    };
/**
 * - `"lobby"`: Before Start: people join and Control seats them; no clock runs and nobody acts.
 */
export type Phase = ('briefing' | 'negotiation' | 'orders' | 'review' | 'ended') | 'lobby';
/**
 * Bot temperaments: how a bot weighs its objectives and how readily it signs.
 */
export type Temperament = 'hawk' | 'pragmatist' | 'dove';
/**
 * A chat channel.
 * - `kind: "plenary"`: Everyone, observers included (read only for them).
 * - `kind: "bilateral"`: Two factions (and Control). Stored with the pair sorted.
 * - `kind: "team"`: A faction's own team (and Control).
 * - `kind: "control"`: A faction and Control.
 */
export type Channel =
  | {
      kind: 'plenary';
    }
  | {
      kind: 'bilateral';
      /**
       * @minItems 2
       * @maxItems 2
       */
      factions: [FactionId, FactionId];
    }
  | {
      kind: 'team';
      faction: FactionId;
    }
  | {
      kind: 'control';
      faction: FactionId;
    };
/**
 * A command, from any seat. The seat comes with it from the connection, not inside it.
 * - `type: "ready"`: The faction is done with this phase; when every faction is ready the phase advances.
 *   From one member of a team, the member's Ready; the team's when the game's team rule
 *   says so (`team_ready`).
 * - `type: "withdraw_ready"`: Takes a Ready back while the phase is still open: the member's, and the team's when
 *   the team rule lets this member decide.
 * - `type: "start"`: Ends the lobby: the first round begins and the clock starts. Control (or the server
 *   itself, for a game that starts when seated).
 * - `type: "set_agent"`: An outside agent plays `faction` (`agent`), or people do again (`null`). The server's
 *   `POST /api/games/{id}/agents` sends it and hands out the agent's seat token.
 * - `type: "approve_message"`: Delivers held message `held` of agent faction `faction` to its channel.
 * - `type: "reject_message"`: Refuses held message `held` of agent faction `faction`: it is never delivered.
 * - `type: "set_start"`: In the lobby: when the game starts (`lobby`: at Control's `start`; `when_seated`: by
 *   itself once every faction has a player or a bot). Not `now`: `start` does that.
 * - `type: "hide_message"`: Moderation: the message goes on being listed, without its text, for every seat but
 *   Control. Also after the game has ended. Cannot be undone.
 * - `type: "mute_member"`: Moderation: the person in seat `member` (a faction seat of this game) cannot post
 *   chat messages for `minutes` (1 to [`MAX_MUTE_MINUTES`]).
 * - `type: "unmute_member"`: Moderation: lifts a mute before its time.
 * - `type: "tick"`: The server's clock: advance if the deadline has passed. System seat only.
 */
export type Command =
  | {
      type: 'chat';
      channel: Channel;
      text: string;
    }
  | {
      type: 'propose';
      terms: Terms;
    }
  | {
      type: 'accept';
      proposal: number;
    }
  | {
      type: 'reject';
      proposal: number;
      reason?: string;
    }
  | {
      type: 'counter';
      proposal: number;
      terms: Terms;
    }
  | {
      type: 'withdraw';
      proposal: number;
    }
  | {
      type: 'submit_order';
      action: ActionId;
      /**
       * The faction knows the order breaks a standing agreement and gives it anyway;
       * without it such an order is refused with `would_breach`.
       */
      confirm_breach?: boolean;
      quantity?: number;
    }
  | {
      type: 'amend_order';
      order: number;
      quantity: number;
    }
  | {
      type: 'withdraw_order';
      order: number;
    }
  | {
      type: 'ready';
    }
  | {
      type: 'withdraw_ready';
    }
  | {
      type: 'start';
    }
  | {
      type: 'advance_phase';
    }
  | {
      type: 'pause';
    }
  | {
      type: 'resume';
    }
  | {
      type: 'extend_deadline';
      seconds: number;
    }
  | {
      type: 'inject_event';
      event: EventId;
    }
  | {
      type: 'override';
      var: VarId;
      value: number;
      reason: string;
    }
  | {
      type: 'set_bot';
      faction: FactionId;
      temperament?: Temperament | null;
    }
  | {
      type: 'set_agent';
      faction: FactionId;
      agent?: Agent | null;
    }
  | {
      type: 'approve_message';
      faction: FactionId;
      held: number;
    }
  | {
      type: 'reject_message';
      faction: FactionId;
      held: number;
      reason?: string;
    }
  | {
      type: 'set_scheduled_event';
      event: EventId;
      enabled: boolean;
    }
  | {
      type: 'set_start';
      start: StartMode;
    }
  | {
      type: 'annotate';
      text: string;
    }
  | {
      type: 'hide_message';
      channel: Channel;
      message: number;
      reason?: string;
    }
  | {
      type: 'mute_member';
      member: string;
      minutes: number;
      reason?: string;
    }
  | {
      type: 'unmute_member';
      member: string;
    }
  | {
      type: 'end_game';
      note?: string;
    }
  | {
      type: 'tick';
    };
/**
 * A scheduled or random event of the scenario's deck.
 */
export type EventId = string;
/**
 * When a game's first round begins (and its clock starts).
 * - `"now"`: At creation.
 * - `"lobby"`: When Control sends `start`; until then the game waits in the lobby.
 * - `"when_seated"`: In the lobby until every faction has a player or a bot, then by itself (Control may
 *   still start it earlier).
 */
export type StartMode = 'now' | 'lobby' | 'when_seated';
/**
 * Every error code the server sends, in `error` frames and in the HTTP API's error bodies:
 * the list a client can match on (docs/protocol.md §8 says what to do for each).
 * - `"wrong_phase"`: The command is not allowed in this phase.
 * - `"not_your_faction"`: Only a faction seat (or another faction) may do that.
 * - `"control_only"`: Only Control may do that.
 * - `"forbidden"`: An agreement in force forbids it, or the rules do.
 * - `"unknown"`: An id that does not exist (or that this seat may not see).
 * - `"over_budget"`: Not enough budget or political capital.
 * - `"prerequisite"`: An action's prerequisite is not met.
 * - `"limit"`: Over a limit (length, quantity, count).
 * - `"malformed_clause"`: A clause of a proposal is not well formed.
 * - `"would_breach"`: The order would break an agreement in force; send it with `confirm_breach` to go ahead.
 * - `"invalid"`: Any other bad value or state.
 * - `"game_ended"`: The game has ended.
 * - `"bad_frame"`: Not a valid frame.
 * - `"hello_first"`: The first frame must be `hello`.
 * - `"already_hello"`: A second `hello` on one connection.
 * - `"bad_token"`: Unknown token.
 * - `"bad_id"`: A command id that is empty or too long.
 * - `"duplicate_id"`: This seat used this id for a different command.
 * - `"rate_limited"`: Too many frames, wrong codes, games or seats from this client.
 * - `"unavailable"`: The database or the game could not be reached in time; retry with the same id.
 * - `"internal"`: A server fault (logged).
 * - `"too_many_connections"`: This seat has as many connections open as it may.
 * - `"seat_changed"`: Control moved this seat; say hello again.
 * - `"bad_request"`: The request is not of the expected shape.
 * - `"unauthorized"`: No token, or not a token of this game (or not the admin token).
 * - `"unknown_code"`: No game has that join code.
 * - `"not_found"`: The game (or seat) no longer exists.
 * - `"no_route"`: No such endpoint under /api/.
 * - `"method_not_allowed"`: The route exists but not with this method.
 * - `"bot_seat"`: A bot plays that faction.
 * - `"agent_seat"`: An outside agent plays that faction (people cannot join it), or it already has its
 *   agent's seat, or people already sit in it (an agent cannot take it).
 * - `"team_full"`: That faction's team is full.
 * - `"game_full"`: Every faction's team is full.
 * - `"observers_full"`: The game has as many observers as it may.
 * - `"too_large"`: The body is over 64 KiB.
 * - `"unknown_scenario"`: No scenario with that id.
 * - `"unknown_faction"`: No faction with that id.
 * - `"invalid_name"`: A name that is empty, too long or holds control characters.
 * - `"teacher_only"`: Only the class's teacher may do that.
 * - `"class_started"`: The class has started: its students are seated at their tables.
 * - `"muted"`: A facilitator has muted this person for a while: no chat until the mute ends.
 */
export type ErrorCode =
  | 'wrong_phase'
  | 'not_your_faction'
  | 'control_only'
  | 'forbidden'
  | 'unknown'
  | 'over_budget'
  | 'prerequisite'
  | 'limit'
  | 'malformed_clause'
  | 'would_breach'
  | 'invalid'
  | 'game_ended'
  | 'bad_frame'
  | 'hello_first'
  | 'already_hello'
  | 'bad_token'
  | 'bad_id'
  | 'duplicate_id'
  | 'rate_limited'
  | 'unavailable'
  | 'internal'
  | 'too_many_connections'
  | 'seat_changed'
  | 'bad_request'
  | 'unauthorized'
  | 'unknown_code'
  | 'not_found'
  | 'no_route'
  | 'method_not_allowed'
  | 'bot_seat'
  | 'agent_seat'
  | 'team_full'
  | 'game_full'
  | 'observers_full'
  | 'too_large'
  | 'unknown_scenario'
  | 'unknown_faction'
  | 'invalid_name'
  | 'teacher_only'
  | 'class_started'
  | 'muted';
/**
 * Who a class connection is.
 */
export type ClassRole = 'teacher' | 'student';
/**
 * Why the game ended.
 */
export type Ending =
  | {
      reason: 'last_round';
    }
  | {
      reason: 'crisis';
      tension: number;
    }
  | {
      reason: 'control';
      note: string;
    };
/**
 * Client → server.
 * - `type: "hello"`: First frame, within 5 seconds of connecting.
 * - `type: "command"`: A game command. `id` makes it idempotent: a retry with the same id gets the same answer
 *   and has no second effect; the same id with a different command is an error.
 * - `type: "ping"`: Keep-alive; answered with `pong`.
 */
export type ClientFrame =
  | {
      type: 'hello';
      /**
       * The seat token from joining (or the Control token), or a class's token: its
       * teacher's, or a student's waiting for the class to start.
       */
      token: string;
      /**
       * The last event sequence this client saw, to resume without gaps or repeats.
       */
      last_seq?: number | null;
    }
  | {
      type: 'command';
      id: string;
      command: Command;
    }
  | {
      type: 'ping';
    };
/**
 * What a join code opens: a game (`"kind": "game"`) or a class (`"kind": "class"`).
 */
export type CodePreview =
  | (JoinPreview & {
      kind: 'game';
    })
  | (ClassPreview & {
      kind: 'class';
    });
/**
 * Whose eyes the model looks through.
 * - `kind: "technical"`: Technical truth, as Control sees it.
 * - `kind: "public"`: What the public knows: private variables at their last revealed values, no perception.
 * - `kind: "faction"`: A faction's perception: its intelligence picture of others' private variables, and Ê
 *   instead of E if the faction `perceives_threat`.
 */
export type Perspective =
  | {
      kind: 'technical';
    }
  | {
      kind: 'public';
    }
  | {
      kind: 'faction';
      faction: FactionId;
    };
/**
 * What makes a team of several people ready.
 * - `"everyone"`: Every member connected to the game has said Ready.
 * - `"captain"`: The captain's Ready is the team's: the member seated longest among those connected.
 */
export type TeamReady = 'everyone' | 'captain';
/**
 * What `apply` records. The game is the fold of its events.
 * - `type: "round_began"`: A new round's briefing: resources refilled, events fired, their effects applied.
 * - `type: "proposals_expired"`: Open proposals lapse when negotiation ends.
 * - `type: "ready_withdrawn"`: A faction's Ready was taken back; the phase stays open for it.
 * - `type: "member_ready"`: One member of a team said Ready (the team may not be ready yet).
 * - `type: "member_ready_withdrawn"`: One member of a team took their Ready back.
 * - `type: "agent_set"`: An outside agent plays `faction` from now on, or (`None`) people do again.
 * - `type: "chat_held"`: An agent's message waits for Control's approval (Control and that faction read it).
 * - `type: "held_message_decided"`: Control decided about held message `held` of `faction`; an approval is followed by
 *   the message's `chat_posted`.
 * - `type: "message_hidden"`: Control hid message `message` of `channel`. `by`: the facilitator's name.
 * - `type: "member_muted"`: Control muted the person in seat `member` of `faction` until `until_ms`.
 * - `type: "member_unmuted"`: Control lifted the mute of seat `member` before its time.
 * - `type: "branched"`: The first event of a branch after the log it copied from another game (up to the
 *   start of `round`, or of `phase` in it): from here it is a game of its own, under its own
 *   title, preset, deadlines and bots, waiting paused for Control to resume.
 */
export type Event =
  | {
      type: 'game_created';
      scenario: string;
      /**
       * [`super::scenario::Scenario::fingerprint`] of the scenario the game was created with.
       */
      scenario_fingerprint: string;
      config: GameConfig;
      core: Core;
    }
  | {
      type: 'round_began';
      round: number;
      fired: FiredEvent[];
      core: Core;
      deadline_at?: number | null;
      /**
       * The phase's full duration; a phase entered while paused gets it on resume.
       */
      duration_ms?: number | null;
    }
  | {
      type: 'phase_changed';
      round: number;
      phase: Phase;
      deadline_at?: number | null;
      duration_ms?: number | null;
    }
  | {
      type: 'chat_posted';
      message: Message;
    }
  | {
      type: 'proposal_made';
      proposal: Proposal;
    }
  | {
      type: 'proposal_accepted';
      proposal: number;
      by: FactionId;
    }
  | {
      type: 'proposal_rejected';
      proposal: number;
      by: FactionId;
      reason: string;
    }
  | {
      type: 'proposal_countered';
      proposal: number;
      by: FactionId;
      counter: number;
    }
  | {
      type: 'proposal_withdrawn';
      proposal: number;
    }
  | {
      type: 'proposals_expired';
      proposals: number[];
    }
  | {
      type: 'agreement_signed';
      agreement: Agreement;
      /**
       * Capital and budget moved by the signature.
       */
      purses: {
        [k: string]: Purse;
      };
    }
  | {
      type: 'order_submitted';
      faction: FactionId;
      order: Order;
    }
  | {
      type: 'order_amended';
      faction: FactionId;
      order: number;
      quantity: number;
    }
  | {
      type: 'order_withdrawn';
      faction: FactionId;
      order: number;
    }
  | {
      type: 'faction_ready';
      faction: FactionId;
    }
  | {
      type: 'ready_withdrawn';
      faction: FactionId;
    }
  | {
      type: 'member_ready';
      faction: FactionId;
      /**
       * The member's seat.
       */
      member: string;
      name: string;
    }
  | {
      type: 'member_ready_withdrawn';
      faction: FactionId;
      member: string;
    }
  | {
      type: 'paused';
      remaining_ms?: number | null;
    }
  | {
      type: 'resumed';
      deadline_at?: number | null;
    }
  | {
      type: 'deadline_extended';
      deadline_at: number;
    }
  | {
      type: 'event_injected';
      fired: FiredEvent;
      core: Core;
    }
  | {
      type: 'overridden';
      var: VarId;
      old: number;
      new: number;
      reason: string;
      round: number;
    }
  | {
      type: 'bot_set';
      faction: FactionId;
      temperament?: Temperament | null;
    }
  | {
      type: 'agent_set';
      faction: FactionId;
      agent?: Agent | null;
    }
  | {
      type: 'chat_held';
      held: HeldMessage;
    }
  | {
      type: 'held_message_decided';
      faction: FactionId;
      held: number;
      decision: HeldDecision;
    }
  | {
      type: 'scheduled_event_set';
      event: EventId;
      enabled: boolean;
    }
  | {
      type: 'start_set';
      start: StartMode;
    }
  | {
      type: 'annotated';
      round: number;
      text: string;
    }
  | {
      type: 'message_hidden';
      channel: Channel;
      message: number;
      reason: string;
      by: string;
      round: number;
      at_ms: number;
    }
  | {
      type: 'member_muted';
      faction: FactionId;
      member: string;
      name: string;
      until_ms: number;
      reason: string;
      by: string;
      round: number;
      at_ms: number;
    }
  | {
      type: 'member_unmuted';
      faction: FactionId;
      member: string;
      name: string;
      by: string;
      round: number;
      at_ms: number;
    }
  | {
      type: 'branched';
      parent: string;
      /**
       * The sequence of the parent's last event copied.
       */
      parent_seq: number;
      round: number;
      phase: Phase;
      bots: {
        [k: string]: Temperament;
      };
      deadlines?: PhaseDeadlines | null;
      preset?: string | null;
      /**
       * The phase's full time under the branch's deadlines, kept for the resume.
       */
      remaining_ms?: number | null;
      title?: string | null;
    }
  | {
      type: 'adjudicated';
      report: TurnReport;
      core: Core;
    }
  | {
      type: 'game_ended';
      ending: Ending;
    };
/**
 * Who is acting or looking. The server derives it from the authenticated connection, never
 * from a message.
 * - `role: "control"`: The facilitator ("White cell").
 * - `role: "system"`: The server's own clock (deadlines). Never reachable from a connection.
 */
export type Seat =
  | {
      role: 'faction';
      faction: FactionId;
    }
  | {
      role: 'control';
    }
  | {
      role: 'observer';
    }
  | {
      role: 'system';
    };
/**
 * - `status: "expired"`: The negotiation phase ended before every party accepted.
 */
export type ProposalStatus =
  | {
      status: 'open';
    }
  | {
      status: 'signed';
      agreement: number;
    }
  | {
      status: 'rejected';
      by: FactionId;
      reason: string;
    }
  | {
      status: 'countered';
      by: FactionId;
      counter: number;
    }
  | {
      status: 'withdrawn';
    }
  | {
      status: 'expired';
    };
/**
 * What a moderation record is about.
 * - `"hide_message"`: A message was hidden (`channel`, `message`).
 * - `"mute"`: A person was muted (`faction`, `member`, `name`, `until_ms`).
 * - `"unmute"`: A mute was lifted early (`faction`, `member`, `name`).
 */
export type ModerationKind = 'hide_message' | 'mute' | 'unmute';
/**
 * Every frame of the Détente WebSocket protocol (/ws), generated from the server's Rust types (server/src/protocol.rs); docs/protocol.md explains each message. The root accepts a frame of either direction; validate what a client sends against #/$defs/ClientFrame and what the server sends against #/$defs/ServerFrame. $defs also holds the bodies of the HTTP API (CreateGame, Created, Join, Joined, Summary, ScenarioInfo, Export, ErrorBody), which /api/openapi.json describes with these same definitions. Regenerate with `UPDATE_SCHEMA=1 cargo test --lib protocol` in server/.
 */
export type Frame = ClientFrame | ServerFrame;
/**
 * Server → client.
 * - `type: "event"`: One event of the game, as this seat may see it. Sequences increase; a seat does not
 *   receive events it may not see, so it can observe gaps.
 * - `type: "ack"`: The command `id` was committed; its last event has sequence `seq`.
 * - `type: "error"`: The command `id` (or the frame, when `id` is absent) was refused; nothing changed.
 * - `type: "team"`: The seat's team when it has more than one member: who is in it, who is connected to
 *   the game now and who is captain. Sent after `welcome` and whenever it changes. Not an
 *   event: it has no sequence of its own and is not stored.
 * - `type: "class_welcome"`: A class's connection (`hello` with the teacher's token, or with a student's before the
 *   class starts): the class and who this is in it. Sent first, and again to the teacher
 *   when the class starts (with its tables). Then `class_roster` as the roster changes and,
 *   for the teacher, `class_table` per table. A waiting student's connection closes with
 *   4000 when the class starts: the same token then opens the student's seat.
 * - `type: "class_roster"`: The class's roster changed (a student joined or was pinned): read it again
 *   (`GET /api/classes/{id}`). Sent at most every quarter of a second.
 * - `type: "class_table"`: One table's public status (the teacher's connection): after `class_welcome` for each
 *   table, then whenever it changes, at most every quarter of a second per table.
 */
export type ServerFrame =
  | {
      type: 'welcome';
      game_id: string;
      you: SeatInfo;
      /**
       * Sequence of the last event in the game.
       */
      seq: number;
      /**
       * The seat's whole view, unless the client resumed from `last_seq`: then the events it
       * missed follow instead.
       */
      view?: SeatView | null;
    }
  | {
      type: 'event';
      seq: number;
      event: SeatEvent;
    }
  | {
      type: 'ack';
      id: string;
      seq: number;
    }
  | {
      type: 'error';
      /**
       * One of [`ErrorCode`].
       */
      code: ErrorCode;
      message: string;
      /**
       * Whether sending the same command again later may succeed (e.g. database down).
       */
      retryable: boolean;
      id?: string | null;
    }
  | {
      type: 'pong';
    }
  | {
      type: 'team';
      faction: FactionId;
      members: Teammate[];
    }
  | {
      type: 'class_welcome';
      class_id: string;
      /**
       * The class's name.
       */
      name: string;
      role: ClassRole;
      /**
       * Students on the roster.
       */
      students: number;
      started: boolean;
      /**
       * Whether the class's games may be used for research, and with the chat's text.
       */
      research_use: boolean;
      research_free_text: boolean;
      /**
       * The tables' games, by number (the teacher's connection, once started).
       */
      tables: ClassTableRef[];
      /**
       * The student's name (a student's connection).
       */
      you?: string | null;
    }
  | {
      type: 'class_roster';
      students: number;
    }
  | {
      type: 'class_table';
      table: number;
      game_id: string;
      /**
       * The table's game's sequence when the status was read.
       */
      seq: number;
      status: TableStatus;
    };
/**
 * A recorded event in the form one seat may receive it.
 * - `type: "agent_set"`: An outside agent plays `faction` from now on, or (`null`) people do again.
 * - `type: "chat_held"`: A message of this seat's agent faction waits for Control's approval (to Control and
 *   that faction).
 * - `type: "held_message_decided"`: Control approved or refused a held message (to Control and that faction); an approval
 *   is followed by the message's `chat_posted`.
 * - `type: "branched"`: This game is a branch of `branch.parent` from here on: paused, with its own bots.
 * - `type: "message_hidden"`: A message of a channel this seat reads was hidden: show it without its text.
 * - `type: "member_muted"`: A person of this seat's faction was muted (to Control and that faction).
 * - `type: "member_unmuted"`: A mute was lifted early (to Control and that faction).
 */
export type SeatEvent =
  | {
      type: 'game_created';
      scenario: string;
    }
  | {
      type: 'round_began';
      round: number;
      fired: FiredEvent[];
      vars: {
        [k: string]: number;
      };
      purses: {
        [k: string]: Purse;
      };
      deadline_at?: number | null;
    }
  | {
      type: 'phase_changed';
      round: number;
      phase: Phase;
      deadline_at?: number | null;
    }
  | {
      type: 'chat_posted';
      message: Message;
    }
  | {
      type: 'proposal_made';
      proposal: Proposal;
    }
  | {
      type: 'proposal_accepted';
      proposal: number;
      by: FactionId;
    }
  | {
      type: 'proposal_rejected';
      proposal: number;
      by: FactionId;
      reason: string;
    }
  | {
      type: 'proposal_countered';
      proposal: number;
      by: FactionId;
      counter: number;
    }
  | {
      type: 'proposal_withdrawn';
      proposal: number;
    }
  | {
      type: 'proposals_expired';
      proposals: number[];
    }
  | {
      type: 'agreement_signed';
      agreement: Agreement;
      purses: {
        [k: string]: Purse;
      };
    }
  | {
      type: 'order_submitted';
      faction: FactionId;
      order: Order;
    }
  | {
      type: 'order_amended';
      faction: FactionId;
      order: number;
      quantity: number;
    }
  | {
      type: 'order_withdrawn';
      faction: FactionId;
      order: number;
    }
  | {
      type: 'faction_ready';
      faction: FactionId;
    }
  | {
      type: 'ready_withdrawn';
      faction: FactionId;
    }
  | {
      type: 'member_ready';
      faction: FactionId;
      member: string;
      name: string;
    }
  | {
      type: 'member_ready_withdrawn';
      faction: FactionId;
      member: string;
    }
  | {
      type: 'paused';
      remaining_ms?: number | null;
    }
  | {
      type: 'resumed';
      deadline_at?: number | null;
    }
  | {
      type: 'deadline_extended';
      deadline_at: number;
    }
  | {
      type: 'event_injected';
      fired: FiredEvent;
      vars: {
        [k: string]: number;
      };
    }
  | {
      type: 'overridden';
      var: VarId;
      new: number;
      reason: string;
      round: number;
    }
  | {
      type: 'bot_set';
      faction: FactionId;
      temperament?: Temperament | null;
    }
  | {
      type: 'agent_set';
      faction: FactionId;
      agent?: Agent | null;
    }
  | {
      type: 'chat_held';
      held: HeldMessage;
    }
  | {
      type: 'held_message_decided';
      faction: FactionId;
      held: number;
      decision: HeldDecision;
    }
  | {
      type: 'scheduled_event_set';
      event: EventId;
      enabled: boolean;
    }
  | {
      type: 'start_set';
      start: StartMode;
    }
  | {
      type: 'annotated';
      round: number;
      text: string;
    }
  | {
      type: 'branched';
      branch: BranchPoint;
      bots: {
        [k: string]: Temperament;
      };
    }
  | {
      type: 'message_hidden';
      channel: Channel;
      message: number;
      reason: string;
      by: string;
      round: number;
      at_ms: number;
    }
  | {
      type: 'member_muted';
      faction: FactionId;
      member: string;
      name: string;
      until_ms: number;
      reason: string;
      by: string;
      round: number;
      at_ms: number;
    }
  | {
      type: 'member_unmuted';
      faction: FactionId;
      member: string;
      name: string;
      by: string;
      round: number;
      at_ms: number;
    }
  | {
      type: 'adjudicated';
      report: SeatReport;
      vars: {
        [k: string]: number;
      };
      purses: {
        [k: string]: Purse;
      };
    }
  | {
      type: 'game_ended';
      ending: Ending;
    };
export type LinkKind = 'facilitator' | 'projector' | 'replay';

/**
 * Every type of the protocol by its name in `$defs` of docs/protocol.schema.json: `Protocol['SeatView']` is `SeatView`. `Frame` is the schema's root: a frame of either direction on `/ws`.
 */
export interface Protocol {
  ActionId: ActionId;
  Agent: Agent;
  AgentRevoked: AgentRevoked;
  AgentSeat: AgentSeat;
  Agreement: Agreement;
  AgreementNote: AgreementNote;
  AgreementStatus: AgreementStatus;
  BranchCreated: BranchCreated;
  BranchGame: BranchGame;
  BranchPoint: BranchPoint;
  BranchSeat: BranchSeat;
  Breach: Breach;
  Build: Build;
  Channel: Channel;
  ClassCommand: ClassCommand;
  ClassCommandDone: ClassCommandDone;
  ClassCreated: ClassCreated;
  ClassDebrief: ClassDebrief;
  ClassJoined: ClassJoined;
  ClassLobby: ClassLobby;
  ClassPreview: ClassPreview;
  ClassResearch: ClassResearch;
  ClassRole: ClassRole;
  ClassStudent: ClassStudent;
  ClassTableOf: ClassTableOf;
  ClassTableRef: ClassTableRef;
  Clause: Clause;
  ClauseKindId: ClauseKindId;
  ClientFrame: ClientFrame;
  CodePreview: CodePreview;
  Command: Command;
  ControlReport: ControlReport;
  Core: Core;
  CreateClass: CreateClass;
  CreateGame: CreateGame;
  Created: Created;
  DebriefAgreement: DebriefAgreement;
  DebriefBreach: DebriefBreach;
  DebriefOrder: DebriefOrder;
  DebriefRound: DebriefRound;
  Ending: Ending;
  ErrorBody: ErrorBody;
  ErrorCode: ErrorCode;
  Event: Event;
  EventId: EventId;
  Explained: Explained;
  Export: Export;
  FactionAtTable: FactionAtTable;
  FactionId: FactionId;
  FactionReport: FactionReport;
  FactionSeats: FactionSeats;
  FiredEvent: FiredEvent;
  FirstDifference: FirstDifference;
  Frame: Frame;
  GameComparison: GameComparison;
  GameConfig: GameConfig;
  Headline: Headline;
  HeldDecision: HeldDecision;
  HeldMessage: HeldMessage;
  IndexValue: IndexValue;
  Indices: Indices;
  Input: Input;
  Join: Join;
  JoinClass: JoinClass;
  JoinPreview: JoinPreview;
  Joined: Joined;
  LinkKind: LinkKind;
  Message: Message;
  Moderation: Moderation;
  ModerationKind: ModerationKind;
  MoveSeat: MoveSeat;
  NewAgent: NewAgent;
  NewLink: NewLink;
  NewLinkSeat: NewLinkSeat;
  ObjectiveScore: ObjectiveScore;
  Order: Order;
  Participant: Participant;
  Perspective: Perspective;
  Phase: Phase;
  PhaseDeadlines: PhaseDeadlines;
  Pin: Pin;
  PinStudent: PinStudent;
  PlannedTable: PlannedTable;
  Proposal: Proposal;
  ProposalStatus: ProposalStatus;
  PublicReport: PublicReport;
  Purse: Purse;
  ReadyMember: ReadyMember;
  ReplayFrame: ReplayFrame;
  ReplayStep: ReplayStep;
  ResearchAgreement: ResearchAgreement;
  ResearchAnswer: ResearchAnswer;
  ResearchBreach: ResearchBreach;
  ResearchExport: ResearchExport;
  ResearchMessage: ResearchMessage;
  ResearchOrder: ResearchOrder;
  ResearchProposal: ResearchProposal;
  RevealedOrder: RevealedOrder;
  ScenarioInfo: ScenarioInfo;
  ScoreCard: ScoreCard;
  ScoreValue: ScoreValue;
  Seat: Seat;
  SeatEntry: SeatEntry;
  SeatEvent: SeatEvent;
  SeatInfo: SeatInfo;
  SeatReport: SeatReport;
  SeatView: SeatView;
  ServerFrame: ServerFrame;
  ServerInfo: ServerInfo;
  Settings: Settings;
  StartMode: StartMode;
  Summary: Summary;
  TableAgreement: TableAgreement;
  TableAnswer: TableAnswer;
  TableDebrief: TableDebrief;
  TableError: TableError;
  TableGame: TableGame;
  TableStatus: TableStatus;
  TeamReady: TeamReady;
  Teammate: Teammate;
  Temperament: Temperament;
  Terms: Terms;
  TokenSeat: TokenSeat;
  TurnReport: TurnReport;
  Values: Values;
  VarChange: VarChange;
  VarId: VarId;
}
/**
 * A faction played by an outside agent: a program (scripted or language-model based) that
 * plays through a seat token Control gave it, under the same rules and limits as a person.
 * Everyone sees which factions agents play.
 */
export interface Agent {
  /**
   * The agent's name as the table reads it ("Negotiator v2").
   */
  name: string;
  /**
   * Control approves each message the agent sends to other factions (plenary and
   * bilateral channels) before it is delivered; until then it waits in Control's queue.
   */
  approve_chat?: boolean;
}
/**
 * Answer to `DELETE /api/games/{id}/agents/{faction}`.
 */
export interface AgentRevoked {
  faction: FactionId;
  /**
   * Seats revoked: their tokens open nothing now, and their connections were closed.
   */
  seats: string[];
}
/**
 * Answer to `POST /api/games/{id}/agents`: the agent's seat and its token, shown once.
 */
export interface AgentSeat {
  seat_id: string;
  faction: FactionId;
  name: string;
  approve_chat: boolean;
  /**
   * The agent's bearer token: its `hello` (or `Authorization: Bearer`). Only its hash is
   * stored; revoking the seat makes it worthless.
   */
  token: string;
}
export interface Agreement {
  id: number;
  proposal: number;
  terms: Terms;
  signed_round: number;
  /**
   * First round in which it is no longer in force.
   */
  until_round: number;
  status: AgreementStatus;
}
/**
 * What a proposal offers, as written by its proposer.
 */
export interface Terms {
  /**
   * A name for the accord, e.g. "Moscow accord".
   */
  title: string;
  parties: FactionId[];
  clauses: Clause[];
  /**
   * Rounds the agreement stays in force, counted from the round it is signed.
   */
  duration_rounds: number;
  /**
   * Public agreements are announced to everyone; private ones only to the parties.
   */
  public?: boolean;
}
/**
 * One clause of a proposal. Which fields are needed depends on the clause kind's form.
 */
export interface Clause {
  kind: ClauseKindId;
  /**
   * The party bound by (or giving) this clause.
   */
  by: FactionId;
  action?: ActionId | null;
  amount?: number | null;
  max?: number | null;
  to?: FactionId | null;
  var?: VarId | null;
}
export interface AgreementNote {
  agreement: number;
  title: string;
  parties: FactionId[];
  public: boolean;
  note: string;
}
/**
 * Answer to `POST /api/games/{id}/branch`.
 */
export interface BranchCreated {
  game_id: string;
  join_code: string;
  /**
   * Control's bearer token in the branch. Shown once; only its hash is stored.
   */
  control_token: string;
  control_seat_id: string;
  branch: BranchPoint;
  /**
   * The parent's people, seated again (empty unless `same_people`).
   */
  seats: BranchSeat[];
}
/**
 * Where a branch came from ([`Event::Branched`]): everyone may read it.
 */
export interface BranchPoint {
  parent: string;
  parent_seq: number;
  /**
   * 0-based.
   */
  round: number;
  phase: Phase;
}
/**
 * A seat made for one of the parent's people (`same_people`).
 */
export interface BranchSeat {
  seat_id: string;
  name: string;
  faction: FactionId;
  /**
   * Shown once; only its hash is stored. `/game/<branch id>` opens with it.
   */
  seat_token: string;
}
/**
 * Body of `POST /api/games/{id}/branch`.
 */
export interface BranchGame {
  /**
   * The round to start from, 0-based (the game must have reached it).
   */
  round: number;
  /**
   * Factions played by bots (default: those the parent's bots played at that point).
   */
  bots?: {
    [k: string]: Temperament;
  } | null;
  /**
   * Phase deadlines in seconds (default: the parent's).
   */
  deadlines?: PhaseDeadlines | null;
  /**
   * Control's name in the branch (default: the caller's).
   */
  name?: string | null;
  /**
   * The phase of that round to start from: `briefing` (the default, the round's start),
   * `negotiation`, `orders` or `review`.
   */
  phase?: Phase | null;
  /**
   * Model preset (default: the parent's).
   */
  preset?: string | null;
  /**
   * Seat everyone who sits in a faction of the parent in the same faction of the branch,
   * each with a new token (answered in `seats`, to hand out as links).
   */
  same_people?: boolean;
  /**
   * The branch's title (default: the parent's).
   */
  title?: string | null;
}
export interface PhaseDeadlines {
  briefing: number;
  negotiation: number;
  orders: number;
  review: number;
}
/**
 * An order that broke a clause.
 */
export interface Breach {
  agreement: number;
  agreement_title: string;
  /**
   * 1-based, as players read it ("clause 2").
   */
  clause: number;
  by: FactionId;
  what: string;
  /**
   * Probability of detection that applied.
   */
  detection_probability: number;
  detected: boolean;
  /**
   * Parties of the agreement (they learn of a detected breach even if it is private).
   */
  parties: FactionId[];
  public: boolean;
}
/**
 * An order under construction.
 */
export interface Build {
  faction: FactionId;
  action: ActionId;
  quantity: number;
  ordered_round: number;
  /**
   * Round (0-based) at whose adjudication the effects apply.
   */
  due_round: number;
  covert: boolean;
}
/**
 * Body of `POST /api/classes/{id}/command`.
 */
export interface ClassCommand {
  /**
   * The client's id for this command, 1–56 bytes: table `n` gets it as `<id>@<n>`, so
   * sending the same body again has no second effect at any table.
   */
  id: string;
  /**
   * What Control does at each table (pause, resume, extend the deadline, inject an event,
   * a message in the plenary, …), as in a `command` frame.
   */
  command: Command;
  /**
   * The tables (from 0); every table when absent.
   */
  tables?: number[] | null;
}
/**
 * Answer to `POST /api/classes/{id}/command`: each table's answer, by table.
 */
export interface ClassCommandDone {
  tables: TableAnswer[];
}
/**
 * One table's answer to a class command: `ack` with the sequence of its last event, or the
 * `error` a `command` frame would have got (nothing changed at that table).
 */
export interface TableAnswer {
  table: number;
  game_id: string;
  ack?: number | null;
  error?: TableError | null;
}
/**
 * A table's refusal of a class command.
 */
export interface TableError {
  code: ErrorCode;
  message: string;
  /**
   * Sending the same body again later may succeed at this table.
   */
  retryable: boolean;
}
/**
 * Answer to `POST /api/classes`.
 */
export interface ClassCreated {
  class_id: string;
  /**
   * The code students type (or reach by the link and QR code of `/join/<code>`).
   */
  join_code: string;
  /**
   * The teacher's bearer token for the class. Shown once; only its hash is stored.
   */
  teacher_token: string;
}
/**
 * Answer to `GET /api/classes/{id}/debrief`: the class's tables compared.
 */
export interface ClassDebrief {
  class_id: string;
  name: string;
  scenario: string;
  /**
   * Who reads it: `teacher` (Control of every table: everything) or `student` (an observer
   * of each table: its public side until it ends, everything after).
   */
  reader: ClassRole;
  tables: TableDebrief[];
  /**
   * Where the tables' orders first differed, among the rounds every table has played.
   */
  first_difference?: FirstDifference | null;
}
/**
 * One table, for the debrief.
 */
export interface TableDebrief {
  /**
   * From 0.
   */
  table: number;
  game_id: string;
  phase: Phase;
  /**
   * Game scores by faction (the mean of its round scores), those the reader may see.
   */
  scores: {
    [k: string]: number;
  };
  /**
   * Agreements the reader may see, oldest first.
   */
  agreements: DebriefAgreement[];
  /**
   * Breaches of agreements the reader may see: undetected ones only for Control, and for
   * everyone once the game has ended.
   */
  breaches: DebriefBreach[];
  /**
   * Rounds whose adjudication ended in crisis.
   */
  crises: number;
  /**
   * Each adjudicated round.
   */
  rounds: DebriefRound[];
  ending?: Ending | null;
  title?: string | null;
}
/**
 * An agreement signed at a table.
 */
export interface DebriefAgreement {
  id: number;
  title: string;
  parties: FactionId[];
  public: boolean;
  /**
   * 0-based.
   */
  signed_round: number;
  status: AgreementStatus;
}
/**
 * A breach of an agreement.
 */
export interface DebriefBreach {
  /**
   * 0-based round of the adjudication that found (or missed) it.
   */
  round: number;
  agreement: number;
  agreement_title: string;
  by: FactionId;
  what: string;
  detected: boolean;
}
/**
 * One adjudicated round at a table.
 */
export interface DebriefRound {
  /**
   * 0-based.
   */
  round: number;
  label: string;
  /**
   * Tension after the round: Control's full working where the reader may read it, else
   * the public report's (as on the after-action page).
   */
  tension: number;
  crisis: boolean;
  /**
   * Each faction's perceived deterrence balance after the round (0–100), where the reader
   * may read that faction's report.
   */
  balance: {
    [k: string]: number;
  };
  /**
   * The orders given for this round that the reader may see, by faction.
   */
  orders: DebriefOrder[];
  /**
   * The technical deterrence balance, where the reader may read Control's report.
   */
  technical_balance?: number | null;
}
/**
 * An order, for comparing tables.
 */
export interface DebriefOrder {
  faction: FactionId;
  action: ActionId;
  name: string;
  quantity: number;
}
/**
 * Where the tables' choices first differed: the first round whose orders were not the same at
 * every table, with each table's orders of that round that not every table gave.
 */
export interface FirstDifference {
  /**
   * 0-based.
   */
  round: number;
  label: string;
  /**
   * Per table (in table order): its orders of that round that some other table did not give.
   */
  tables: [number, DebriefOrder[]][];
}
/**
 * Answer to `POST /api/classes/join`.
 */
export interface ClassJoined {
  class_id: string;
  student_id: string;
  /**
   * This student's bearer token: once the class starts, it is also the token of their seat
   * in their table. Shown once; only its hash is stored.
   */
  student_token: string;
  name: string;
  /**
   * The class's name.
   */
  class_name: string;
  /**
   * Whether the class's games may be used for research, and with the chat's text.
   */
  research_use: boolean;
  research_free_text: boolean;
}
/**
 * Answer to `GET /api/classes/{id}`: the class as its teacher sees it before Start.
 */
export interface ClassLobby {
  class_id: string;
  name: string;
  join_code: string;
  scenario: string;
  settings: Settings;
  /**
   * The roster, in the order the students joined.
   */
  students: ClassStudent[];
  /**
   * Where the students sit: before Start, where they would sit if the class started now
   * (`class::plan`; it changes as students join and as the teacher pins them); once
   * started, where their seats are.
   */
  tables: PlannedTable[];
  /**
   * Once started, each table's game: its id, its own join code, and the teacher's Control
   * token for it (derived from the teacher's token, so only its holder gets it).
   */
  games: TableGame[];
  /**
   * When the class started (ms since the epoch), if it has.
   */
  started_at?: number | null;
}
/**
 * The teacher's choices for a class, stored with it as JSON and given to each of its tables.
 */
export interface Settings {
  /**
   * The teacher's display name (Control of every table).
   */
  teacher: string;
  /**
   * Most students per faction at a table: 1 to 50.
   */
  team_size: number;
  /**
   * Whether the class's games may be used for research. Students see it when they join.
   */
  research_use: boolean;
  /**
   * Whether a research export carries the chat's text (only with `research_use`).
   */
  research_free_text: boolean;
  /**
   * The temperament of the bots that play a faction nobody sits in at a table; absent:
   * no bots, and such a faction waits for the teacher.
   */
  bots_for_gaps?: Temperament | null;
  /**
   * Phase deadlines in seconds (0: none); the scenario's defaults when absent.
   */
  deadlines?: PhaseDeadlines | null;
  /**
   * The language of every table's scenario texts and bots' lines (a locale of the
   * scenario); absent: the scenario's own, as in classes created before classes had one.
   */
  language?: string | null;
  /**
   * Model preset of every table (e.g. "optimistic"); the scenario's default when absent.
   */
  preset?: string | null;
}
/**
 * A student on the roster.
 */
export interface ClassStudent {
  id: string;
  name: string;
  /**
   * When they joined (ms since the epoch).
   */
  joined_at: number;
  /**
   * Where the teacher put them, if anywhere.
   */
  pinned?: Pin | null;
}
/**
 * A table and faction the teacher puts a student at.
 */
export interface Pin {
  /**
   * The table, from 0.
   */
  table: number;
  faction: FactionId;
}
/**
 * One table of the plan.
 */
export interface PlannedTable {
  /**
   * From 0.
   */
  table: number;
  /**
   * Each faction's team: student ids, in the order seated.
   */
  teams: {
    [k: string]: string[];
  };
  /**
   * The factions nobody sits in here: bots play them if the class fills gaps with bots.
   */
  gaps: FactionId[];
}
/**
 * A started class's table.
 */
export interface TableGame {
  /**
   * From 0.
   */
  table: number;
  game_id: string;
  join_code: string;
  /**
   * Control's token for this table: connect to `/ws` with it to open its console.
   */
  control_token: string;
}
/**
 * What the join form shows for a class's code: students join it with a name only.
 */
export interface ClassPreview {
  /**
   * The class's name.
   */
  name: string;
  scenario: string;
  scenario_title: string;
  /**
   * Whether the class has started (a student who joins then is seated at once, where
   * there is room).
   */
  started: boolean;
  /**
   * Whether the class's games may be used for research, and with the chat's text: the
   * join form says so before a student joins.
   */
  research_use: boolean;
  research_free_text: boolean;
}
/**
 * Answer to `GET /api/classes/{id}/research` in JSON: every table's export.
 */
export interface ClassResearch {
  class_id: string;
  scenario: string;
  free_text: boolean;
  tables: ResearchExport[];
}
/**
 * One game's research data.
 */
export interface ResearchExport {
  game_id: string;
  scenario: string;
  /**
   * Whether the free-text fields (`text`, `title`, `reason`) carry text; otherwise they are
   * null and only their length in characters is given.
   */
  free_text: boolean;
  /**
   * Everyone seated, by pseudonym.
   */
  participants: Participant[];
  messages: ResearchMessage[];
  proposals: ResearchProposal[];
  answers: ResearchAnswer[];
  orders: ResearchOrder[];
  agreements: ResearchAgreement[];
  breaches: ResearchBreach[];
  indices: IndexValue[];
  scores: ScoreValue[];
  /**
   * The class and table, when the game is a class's table.
   */
  class_id?: string | null;
  table?: number | null;
}
/**
 * A seated person (or a bot) under their pseudonym.
 */
export interface Participant {
  /**
   * `<faction>-<n>` (n: the order they took their seat in that faction), `control-<n>`,
   * `observer-<n>`, or `<faction>-bot`.
   */
  pseudonym: string;
  role: string;
  faction?: FactionId | null;
}
/**
 * A chat message.
 */
export interface ResearchMessage {
  /**
   * Counts within its channel.
   */
  id: number;
  /**
   * 0-based.
   */
  round: number;
  phase: Phase;
  channel: Channel;
  sender: string;
  at_ms: number;
  length: number;
  /**
   * A facilitator hid the message (moderation): its text never goes out.
   */
  hidden?: boolean;
  sender_faction?: FactionId | null;
  text?: string | null;
}
/**
 * A proposal as it was made.
 */
export interface ResearchProposal {
  id: number;
  round: number;
  phase: Phase;
  proposer: FactionId;
  parties: FactionId[];
  /**
   * The clause kinds, in order.
   */
  clauses: string[];
  duration_rounds: number;
  public: boolean;
  title_length: number;
  counter_of?: number | null;
  title?: string | null;
}
/**
 * An answer to a proposal.
 */
export interface ResearchAnswer {
  proposal: number;
  round: number;
  phase: Phase;
  /**
   * `accepted`, `rejected`, `countered`, `withdrawn` or `expired`.
   */
  answer: string;
  reason_length: number;
  /**
   * The faction that answered (none for a withdrawal or an expiry).
   */
  by?: FactionId | null;
  /**
   * The counter-proposal's id, for `countered`.
   */
  counter?: number | null;
  reason?: string | null;
}
/**
 * An order as adjudicated.
 */
export interface ResearchOrder {
  /**
   * The round whose orders phase gave it.
   */
  round: number;
  faction: FactionId;
  action: string;
  quantity: number;
  covert: boolean;
  budget: number;
  capital: number;
  completes_round: number;
}
/**
 * An agreement, with its final status.
 */
export interface ResearchAgreement {
  id: number;
  proposal: number;
  signed_round: number;
  until_round: number;
  parties: FactionId[];
  clauses: string[];
  public: boolean;
  /**
   * `pending_ratification`, `in_force`, `lapsed`, `broken` or `expired`.
   */
  status: string;
  title_length: number;
  title?: string | null;
}
/**
 * A breach found (or missed) at an adjudication.
 */
export interface ResearchBreach {
  round: number;
  agreement: number;
  clause: number;
  by: FactionId;
  what: string;
  detection_probability: number;
  detected: boolean;
}
/**
 * One index after one round's adjudication, from one perspective.
 */
export interface IndexValue {
  round: number;
  /**
   * `technical`, `public`, or a faction's id (its perception).
   */
  perspective: string;
  /**
   * A field of the model's values (docs/model.md), e.g. `deterrence_balance`, `tension`.
   */
  index: string;
  value: number;
}
/**
 * A faction's score after one round.
 */
export interface ScoreValue {
  round: number;
  faction: FactionId;
  round_score: number;
  game_score: number;
}
/**
 * The class a game is a table of.
 */
export interface ClassTableOf {
  class_id: string;
  /**
   * From 0.
   */
  table: number;
}
/**
 * A class's table and its game.
 */
export interface ClassTableRef {
  /**
   * From 0.
   */
  table: number;
  game_id: string;
}
/**
 * What the join form shows before a student picks a faction.
 */
export interface JoinPreview {
  scenario: string;
  scenario_title: string;
  phase: Phase;
  /**
   * 0-based.
   */
  round: number;
  factions: FactionSeats[];
  /**
   * The game's name, if it has one.
   */
  title?: string | null;
}
/**
 * One faction's seats, as the join form shows them (counts only, no names).
 */
export interface FactionSeats {
  faction: FactionId;
  name: string;
  players: number;
  team_size: number;
  /**
   * The bot playing it, if one does (it takes no people).
   */
  bot?: Temperament | null;
}
/**
 * What only Control may read (and everyone after the game ends).
 */
export interface ControlReport {
  technical: Indices;
  /**
   * Tension's full working (the public report shows only what the public can attribute).
   */
  tension: Explained;
  orders: RevealedOrder[];
  completed: RevealedOrder[];
  breaches: Breach[];
  agreements: AgreementNote[];
  changes: VarChange[];
  rolls: string[];
}
/**
 * Every index of one perspective, in report order.
 */
export interface Indices {
  perspective: Perspective;
  /**
   * The bare numbers, for charts and scoring.
   */
  values: Values;
  /**
   * Defence layer kill probability per engaged warhead, P_L.
   */
  kill_probability: Explained;
  /**
   * Objects the defence must engage per warhead.
   */
  objects_per_warhead: Explained;
  /**
   * Technical engageability E of Russian ICBM warheads by the European system.
   */
  engageability: Explained;
  /**
   * Upgrade headroom U.
   */
  upgrade_headroom: Explained;
  /**
   * Guarantee credit G (already weighted by trust).
   */
  guarantee_credit: Explained;
  /**
   * Perceived engageability Ê.
   */
  perceived_engageability: Explained;
  /**
   * Warheads the European system would intercept in a Russian second strike.
   */
  expected_intercepts: Explained;
  retaliation_russia: Explained;
  retaliation_us: Explained;
  stability: Explained;
  coverage: Explained;
  /**
   * Share of a potential future Iranian ICBM threat to the United States the European
   * system could engage.
   */
  homeland_defence: Explained;
  border_security: Explained;
  /**
   * The headline deterrence balance, 0–100 (stability × 100).
   */
  deterrence_balance: Explained;
}
/**
 * The numbers of every index, without their working: what bots and forecasts need, and
 * the single place where the model's arithmetic lives ([`compute`] adds the explanations).
 */
export interface Values {
  kill_probability: number;
  objects_per_warhead: number;
  engageability: number;
  upgrade_headroom: number;
  guarantee_credit: number;
  /**
   * Ẽ: engageability with sites held at risk discounted, the first term of Ê.
   */
  engageability_seen: number;
  perceived_engageability: number;
  /**
   * Engageability used for intercepts: Ê for a perceiving faction, else E.
   */
  e_used: number;
  /**
   * Interceptors counted against ICBMs (all European ones for a perceiving faction).
   */
  capacity_interceptors: number;
  expected_intercepts: number;
  retaliation_russia: number;
  retaliation_us: number;
  ru_arriving: number;
  ru_first: number;
  us_arriving: number;
  us_first: number;
  rho_ru: number;
  rho_us: number;
  stability: number;
  europe_interceptors: number;
  /**
   * European interceptors with those at sites held at risk discounted (what a threatened
   * faction counts before growing them by its fear of upgrades).
   */
  europe_interceptors_seen: number;
  coverage: number;
  homeland_defence: number;
  border_security: number;
  deterrence_balance: number;
}
/**
 * A number with its working.
 */
export interface Explained {
  id: string;
  name: string;
  formula: string;
  inputs: Input[];
  value: number;
  /**
   * Section of `docs/model.md` and the idea's origin.
   */
  source: string;
}
/**
 * One input of a formula, as printed in the report.
 */
export interface Input {
  /**
   * Symbol used in the formula, e.g. `Pk`.
   */
  symbol: string;
  name: string;
  value: number;
  /**
   * Where the number comes from: a publication, "design default", "state variable x",
   * or "index y" when it is another index's result.
   */
  source: string;
}
/**
 * One order as revealed in the report.
 */
export interface RevealedOrder {
  faction: FactionId;
  action: ActionId;
  name: string;
  quantity: number;
  budget: number;
  capital: number;
  covert: boolean;
  /**
   * Round whose adjudication applies its effects.
   */
  completes_round: number;
}
/**
 * A change of a variable during adjudication, with its cause.
 */
export interface VarChange {
  var: VarId;
  before: number;
  after: number;
  cause: string;
  /**
   * Set when the cause is a covert action of this faction: others read "undisclosed".
   */
  covert_of?: FactionId | null;
  /**
   * Set when the cause is a private agreement: only its parties read the cause.
   */
  private_to?: FactionId[] | null;
}
/**
 * The part of the state that rounds and adjudication change as a whole. Events that resolve
 * randomness carry the resulting `Core`, so replay never re-rolls a die.
 */
export interface Core {
  /**
   * Technical values of the scenario's variables, in scenario order.
   */
  vars: number[];
  /**
   * Per faction, the values it believes the variables have (used for other factions'
   * private variables; refreshed by reveals and transparency).
   */
  intel: {
    [k: string]: number[];
  };
  /**
   * What the public (observers) knows of private variables.
   */
  public_intel: number[];
  purses: {
    [k: string]: Purse;
  };
  builds: Build[];
  agreements: Agreement[];
  /**
   * Units ordered so far, per action, for `max_total`.
   */
  used: {
    [k: string]: number;
  };
  /**
   * How often each event has happened.
   */
  fired: {
    [k: string]: number;
  };
  /**
   * Shift of ratification odds this round (events).
   */
  ratification_shift: number;
  /**
   * Score per faction per adjudicated round.
   */
  score_history: {
    [k: string]: number[];
  };
}
/**
 * A faction's two resources.
 */
export interface Purse {
  budget: number;
  capital: number;
}
/**
 * Body of `POST /api/classes`.
 */
export interface CreateClass {
  /**
   * The class's name, shown to students when they join: 1–60 characters.
   */
  name: string;
  /**
   * Bots of this temperament play the factions nobody sits in at a table; absent: no bots.
   */
  bots_for_gaps?: Temperament | null;
  /**
   * Phase deadlines in seconds (0: none); the scenario's defaults when absent.
   */
  deadlines?: PhaseDeadlines | null;
  /**
   * The language of every table's scenario texts and bots' lines: `en` (the default) or
   * one of the scenario's languages (`GET /api/scenarios`, `languages`), such as `ru`.
   */
  language?: string | null;
  /**
   * Model preset of every table (e.g. "optimistic").
   */
  preset?: string | null;
  /**
   * Whether a research export carries the chat's text (needs `research_use`).
   */
  research_free_text?: boolean;
  /**
   * Whether the class's games may be used for research; students see it when they join.
   */
  research_use?: boolean;
  /**
   * Scenario id; the default scenario when absent.
   */
  scenario?: string | null;
  /**
   * The teacher's display name; "Teacher" when absent.
   */
  teacher?: string | null;
  /**
   * Most students per faction at a table: 1 to 50; 1 when absent (tables of three).
   */
  team_size?: number | null;
}
/**
 * Body of `POST /api/games`. Every field is optional: `{}` creates a game of the default
 * scenario with its default deadlines and no bots.
 */
export interface CreateGame {
  /**
   * Factions played by bots, with their temperament.
   */
  bots?: {
    [k: string]: Temperament;
  };
  /**
   * Phase deadlines in seconds (0: none); the scenario's defaults when absent.
   */
  deadlines?: PhaseDeadlines | null;
  /**
   * The language of the scenario's texts and the bots' lines: `en` (the default) or one of
   * the scenario's languages (`GET /api/scenarios`, `languages`), such as `ru`.
   */
  language?: string | null;
  /**
   * Display name of the facilitator.
   */
  name?: string | null;
  /**
   * Model preset (e.g. "optimistic").
   */
  preset?: string | null;
  /**
   * Scenario id; the default scenario when absent.
   */
  scenario?: string | null;
  /**
   * Random seed (for reproducible exercises); random when absent.
   */
  seed?: number | null;
  /**
   * When the first round begins: `lobby` (the default: when Control sends `start`),
   * `when_seated` (as soon as every faction has a player or a bot) or `now`.
   */
  start?: StartMode | null;
  /**
   * When a team of several people is ready: `everyone` (the default: every member connected
   * has said Ready) or `captain` (the member seated longest among those connected decides).
   */
  team_ready?: TeamReady;
  /**
   * Most people per faction seat; the scenario's team sizes when absent.
   */
  team_sizes?: {
    [k: string]: number;
  };
  /**
   * The game's name, shown to everyone and on the join form: 1–60 characters.
   */
  title?: string | null;
}
/**
 * Answer to `POST /api/games`.
 */
export interface Created {
  game_id: string;
  join_code: string;
  /**
   * Control's bearer token. Shown once; only its hash is stored.
   */
  control_token: string;
  control_seat_id: string;
}
/**
 * The body of every HTTP error: a stable `code` to branch on and a `message` to show.
 */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
}
/**
 * How a game is set up. Fixed at creation; recorded in the first event.
 */
export interface GameConfig {
  /**
   * Seed of every random draw in the game (events, detection, ratification, bots).
   */
  seed: number;
  /**
   * Factions played by outside agents (programs with a seat token, not people), set by
   * Control's `set_agent`.
   */
  agents?: {
    [k: string]: Agent;
  };
  /**
   * Factions played by bots.
   */
  bots?: {
    [k: string]: Temperament;
  };
  /**
   * Phase deadlines in seconds, overriding the scenario's defaults.
   */
  deadlines?: PhaseDeadlines | null;
  /**
   * The language of the scenario's texts in this game: the code of one of its locales
   * (`"ru"`). Absent: the scenario's own language (English for the built-in scenario), as
   * in every game recorded before games had a language.
   */
  language?: string | null;
  /**
   * Model preset; the scenario's default if absent.
   */
  preset?: string | null;
  /**
   * When the first round begins: at once (the default in a recorded game), when Control
   * presses Start, or as soon as every faction has a player or a bot.
   */
  start?: StartMode;
  /**
   * When a team of several people is ready: when every connected member is (the default),
   * or when its captain says so.
   */
  team_ready?: TeamReady;
  /**
   * Most people per faction seat, overriding the scenario's team sizes (the server's join
   * checks it; the rules do not depend on it).
   */
  team_sizes?: {
    [k: string]: number;
  };
  /**
   * The game's name, as the facilitator gave it ("Year 11, period 3").
   */
  title?: string | null;
}
/**
 * An event that happened at a briefing.
 */
export interface FiredEvent {
  id: EventId;
  name: string;
  text: string;
  /**
   * True when Control injected it.
   */
  injected: boolean;
}
export interface Message {
  id: number;
  round: number;
  channel: Channel;
  from: Seat;
  /**
   * Display name of the person, as the server knows them.
   */
  author: string;
  /**
   * The text; empty in the form a seat other than Control reads once the message is
   * hidden.
   */
  text: string;
  at_ms: number;
  /**
   * Control hid the message (`hide_message`): the other seats get it without its text.
   */
  hidden?: boolean;
  /**
   * The seat of the person who posted it (to mute them by): in Control's form only.
   */
  member?: string | null;
}
export interface Proposal {
  id: number;
  round: number;
  proposer: FactionId;
  terms: Terms;
  accepted_by: FactionId[];
  status: ProposalStatus;
  /**
   * The proposal this one counters, if any.
   */
  counter_of?: number | null;
}
/**
 * One order in a faction's orders draft.
 */
export interface Order {
  id: number;
  action: ActionId;
  quantity: number;
}
/**
 * A message of an agent's faction waiting for Control's approval, or decided: only Control
 * and the faction that wrote it ever read it (an approved one is delivered as a new message).
 */
export interface HeldMessage {
  /**
   * Counts within the faction's held messages.
   */
  id: number;
  faction: FactionId;
  round: number;
  channel: Channel;
  author: string;
  text: string;
  at_ms: number;
  /**
   * Control's decision; absent while the message waits.
   */
  decision?: HeldDecision | null;
  /**
   * The seat that wrote it: in Control's form only.
   */
  member?: string | null;
}
/**
 * What Control decided about a held message.
 */
export interface HeldDecision {
  approved: boolean;
  /**
   * The facilitator who decided.
   */
  by: string;
  at_ms: number;
  /**
   * The id the delivered message has in its channel, when approved.
   */
  message?: number | null;
  /**
   * Why it was not delivered (empty when approved or when no reason was given).
   */
  reason?: string;
}
export interface TurnReport {
  /**
   * 0-based round index.
   */
  round: number;
  label: string;
  public: PublicReport;
  factions: {
    [k: string]: FactionReport;
  };
  control: ControlReport;
}
/**
 * What everyone may read.
 */
export interface PublicReport {
  orders: RevealedOrder[];
  completed: RevealedOrder[];
  breaches: Breach[];
  agreements: AgreementNote[];
  changes: VarChange[];
  indices: Indices;
  tension: Explained;
  crisis: boolean;
}
/**
 * What one faction may read.
 */
export interface FactionReport {
  orders: RevealedOrder[];
  completed: RevealedOrder[];
  breaches: Breach[];
  agreements: AgreementNote[];
  changes: VarChange[];
  indices: Indices;
  score: ScoreCard;
  purse: Purse;
}
export interface ScoreCard {
  faction: FactionId;
  objectives: ObjectiveScore[];
  /**
   * 100 · Σ w·o / Σ w.
   */
  weighted: number;
  /**
   * Shared stability bonus this round.
   */
  bonus: number;
  /**
   * Crisis penalty, if the game ended in crisis this round.
   */
  penalty: number;
  /**
   * clamp(weighted + bonus − penalty, 0, 100).
   */
  round_score: number;
  /**
   * Mean of round scores so far: the game score.
   */
  game_score: number;
  formula: string;
  /**
   * Where the weights and the method come from.
   */
  source: string;
}
/**
 * One objective's contribution to a score.
 */
export interface ObjectiveScore {
  id: string;
  weight: number;
  value: number;
  formula: string;
}
/**
 * Answer to `GET /api/games/{id}/export`.
 */
export interface Export {
  game_id: string;
  scenario: string;
  seq: number;
  /**
   * The whole event log, up to `seq`.
   */
  events: Event[];
  /**
   * Control's view of the game now.
   */
  view: SeatView;
}
/**
 * The state of a game as one seat may see it.
 */
export interface SeatView {
  seat: Seat;
  scenario: string;
  /**
   * The language of the game's scenario texts (names, descriptions, events, the bots'
   * lines): `en`, or a locale of the scenario such as `ru`. Read the scenario with
   * `GET /api/scenarios/{id}?lang=<language>` to show it in the same language.
   */
  language: string;
  round: number;
  round_label: string;
  rounds: number;
  phase: Phase;
  /**
   * When the game leaves its lobby (`now` once it has begun at creation).
   */
  start: StartMode;
  /**
   * What makes a team of several people ready.
   */
  team_ready: TeamReady;
  paused: boolean;
  /**
   * Variable values as this seat knows them.
   */
  vars: {
    [k: string]: number;
  };
  purses: {
    [k: string]: Purse;
  };
  orders: {
    [k: string]: Order[];
  };
  ready: FactionId[];
  /**
   * Members of a team who said Ready in this phase: the seat's own team (every team for
   * Control).
   */
  members_ready: {
    [k: string]: ReadyMember[];
  };
  builds: Build[];
  messages: Message[];
  proposals: Proposal[];
  agreements: Agreement[];
  briefings: [number, FiredEvent][];
  /**
   * The seat's picture of the model: a faction's perception; Control the technical truth
   * followed by each faction's perception; observers the public picture.
   */
  indices: Indices[];
  reports: SeatReport[];
  /**
   * Game scores this seat may see.
   */
  scores: {
    [k: string]: number;
  };
  bots: {
    [k: string]: Temperament;
  };
  annotations: [number, string][];
  /**
   * Control's overrides (Control, and everyone after the end).
   */
  overrides: [number, VarId, number, number, string][];
  /**
   * For a faction: per own action, the clauses an order of it would break.
   */
  order_warnings: {
    [k: string]: string[];
  };
  /**
   * Factions outside agents play (everyone sees which, and whether Control approves their
   * messages).
   */
  agents?: {
    [k: string]: Agent;
  };
  /**
   * Where this game branched from another (a "what if?"), if it is a branch.
   */
  branch?: BranchPoint | null;
  deadline_at?: number | null;
  ending?: Ending | null;
  /**
   * Agents' messages held for Control's approval, waiting or decided: every one for
   * Control, a faction's own for that faction, none for anyone else (also after the end).
   */
  held?: HeldMessage[];
  /**
   * Moderation: hidden messages of the channels this seat reads, and mutes of its own
   * faction's people (every record for Control, and for everyone after the end, the names
   * of other factions' people left out).
   */
  moderation?: Moderation[];
  /**
   * The game's name, if the facilitator gave one.
   */
  title?: string | null;
}
/**
 * A team member who said Ready.
 */
export interface ReadyMember {
  /**
   * The member's seat.
   */
  member: string;
  name: string;
}
/**
 * A turn report as one seat may read it.
 */
export interface SeatReport {
  round: number;
  label: string;
  public: PublicReport;
  /**
   * The faction parts this seat may read (its own; all for Control and after the end).
   */
  factions: {
    [k: string]: FactionReport;
  };
  control?: ControlReport | null;
}
/**
 * One moderation action, as the log records it and the after-action page lists it. Seats
 * other than Control read the person's name and seat only for their own faction.
 */
export interface Moderation {
  kind: ModerationKind;
  round: number;
  at_ms: number;
  /**
   * The facilitator who acted.
   */
  by: string;
  reason: string;
  channel?: Channel | null;
  faction?: FactionId | null;
  member?: string | null;
  message?: number | null;
  name?: string | null;
  until_ms?: number | null;
}
/**
 * One faction at a table.
 */
export interface FactionAtTable {
  faction: FactionId;
  /**
   * People seated in it.
   */
  players: number;
  /**
   * Of those, how many have a connection open to the game now.
   */
  connected: number;
  /**
   * It said Ready in this phase.
   */
  ready: boolean;
  /**
   * The bot playing it, if one does.
   */
  bot?: Temperament | null;
}
/**
 * Who the connection is, as the server established it from the token.
 */
export interface SeatInfo {
  seat_id: string;
  seat: Seat;
  name: string;
}
/**
 * One member of a faction's team.
 */
export interface Teammate {
  seat_id: string;
  name: string;
  /**
   * Has a connection open to the game now.
   */
  connected: boolean;
  /**
   * The member seated longest among those connected: under the `captain` team rule, this
   * member's Ready is the team's.
   */
  captain: boolean;
}
/**
 * A table of a class at a glance, for the class console and the class projector: public
 * information only (what an observer sees), the same for every reader. The server adds who
 * sits and who is connected ([`FactionAtTable`]); the rest comes from [`Game::table_status`].
 */
export interface TableStatus {
  /**
   * 0-based.
   */
  round: number;
  round_label: string;
  rounds: number;
  phase: Phase;
  paused: boolean;
  /**
   * Tension as the public knows it, and the threshold at which a round ends in crisis.
   */
  tension: number;
  crisis_threshold: number;
  /**
   * Rounds whose adjudication ended in crisis.
   */
  crises: number;
  /**
   * Public agreements, oldest first.
   */
  agreements: TableAgreement[];
  /**
   * Each faction: who sits, who is connected, whether it said Ready, its bot.
   */
  factions: FactionAtTable[];
  /**
   * When the phase's deadline falls (ms since the epoch), if it has one and runs.
   */
  deadline_at?: number | null;
  ending?: Ending | null;
  /**
   * The latest plenary message, if any.
   */
  headline?: Headline | null;
  /**
   * Time left on the paused clock (ms).
   */
  paused_remaining?: number | null;
  /**
   * The game's name, if it has one.
   */
  title?: string | null;
}
/**
 * A public agreement on the class console.
 */
export interface TableAgreement {
  id: number;
  title: string;
  parties: FactionId[];
  status: AgreementStatus;
}
/**
 * A plenary message on the class console and projector.
 */
export interface Headline {
  author: string;
  from: Seat;
  text: string;
  at_ms: number;
}
/**
 * Answer to `GET /api/games/{id}/compare`: a branch and the game it branched from, side by
 * side (the same form as a class's debrief, the original first).
 */
export interface GameComparison {
  game_id: string;
  parent_id: string;
  /**
   * The branch's title, or the original's.
   */
  name: string;
  scenario: string;
  /**
   * `teacher`: both games as their Control sees them (the branch's Control made it from the
   * original's); `student`: both as an observer sees them (the public side until a game
   * ends, everything after).
   */
  reader: ClassRole;
  branch: BranchPoint;
  /**
   * The original (table 0) and the branch (table 1).
   */
  tables: TableDebrief[];
  /**
   * The first round whose orders differ: at the branch point or after.
   */
  first_difference?: FirstDifference | null;
}
/**
 * Body of `POST /api/join`.
 */
export interface Join {
  code: string;
  name: string;
  /**
   * The faction wanted; absent: the faction with the fewest players is assigned.
   */
  faction?: FactionId | null;
  /**
   * Join as an observer (public information only).
   */
  observer?: boolean;
}
/**
 * Body of `POST /api/classes/join`.
 */
export interface JoinClass {
  code: string;
  name: string;
}
/**
 * Answer to `POST /api/join`.
 */
export interface Joined {
  game_id: string;
  seat_id: string;
  /**
   * This person's bearer token for `hello`. Shown once; only its hash is stored.
   */
  seat_token: string;
  seat: Seat;
  name: string;
}
/**
 * Body of `PUT /api/games/{id}/seats/{seat_id}`: a faction, or `observer: true`.
 */
export interface MoveSeat {
  faction?: FactionId | null;
  observer?: boolean;
}
/**
 * Body of `POST /api/games/{id}/agents`.
 */
export interface NewAgent {
  /**
   * The faction the agent plays. No bot may play it and nobody may sit in it.
   */
  faction: FactionId;
  /**
   * The agent's name, as the table reads it.
   */
  name: string;
  /**
   * Control approves each message the agent sends to other factions before it is
   * delivered (a queue on the console).
   */
  approve_chat?: boolean;
}
/**
 * Body of `POST /api/games/{id}/links`.
 */
export interface NewLink {
  /**
   * `facilitator`: another Control seat (a co-facilitator, or Control on another device);
   * `projector`: an observer seat for the classroom screen, which sees public information
   * only and cannot act; `replay`: an observer seat to share the replay of the game once it
   * has ended (read-only, like any observer).
   */
  kind: LinkKind;
  /**
   * The seat's display name; "Co-facilitator" or "Projector" when absent.
   */
  name?: string | null;
}
/**
 * Answer to `POST /api/games/{id}/links`: the new seat and its token, shown once.
 */
export interface NewLinkSeat {
  seat_id: string;
  seat: Seat;
  name: string;
  /**
   * The new seat's bearer token. Put it in a link's fragment (`<base>/seat#<token>`), never
   * in its path or query.
   */
  token: string;
}
/**
 * Body of `PUT /api/classes/{id}/students/{student_id}`.
 */
export interface PinStudent {
  /**
   * Where to put the student; `null` lets the plan seat them again.
   */
  pin?: Pin | null;
}
/**
 * Answer to `GET /api/games/{id}/replay`: the game at one step, as one seat saw it then.
 */
export interface ReplayFrame {
  game_id: string;
  /**
   * The sequence shown.
   */
  seq: number;
  /**
   * Whose picture: `control`, `public` or a faction's id.
   */
  as: string;
  /**
   * Every step of the game, in order.
   */
  steps: ReplayStep[];
  /**
   * The seat's view at `seq`, as the view function gave it then.
   */
  view: SeatView;
}
/**
 * One step of a replay: where a phase began (or the game ended).
 */
export interface ReplayStep {
  seq: number;
  /**
   * 0-based.
   */
  round: number;
  phase: Phase;
}
/**
 * One entry of `GET /api/scenarios`.
 */
export interface ScenarioInfo {
  id: string;
  title: string;
  summary: string;
  factions: string[];
  rounds: string[];
  presets: string[];
  default_preset: string;
  /**
   * The language of `title`, `summary` and `rounds`: the one asked for with `lang`, or the
   * scenario's own when it has no such language.
   */
  language: string;
  /**
   * Every language the scenario can be played in, its own first (e.g. `["en", "ru"]`): the
   * values of `language` when creating a game or a class.
   */
  languages: string[];
}
/**
 * One seat of a game, as Control's seat list shows it.
 */
export interface SeatEntry {
  seat_id: string;
  name: string;
  seat: Seat;
  /**
   * Sockets of this seat open now (on the game's owner, which serves them all).
   */
  connected: number;
}
/**
 * Where students' devices can reach this server.
 */
export interface ServerInfo {
  /**
   * The base of join links for this request: the public URL; else the address the browser
   * used, unless that is this computer's loopback address, in which case the machine's
   * first network address (when it listens on one).
   */
  join_base: string;
  /**
   * `http://<address>:<port>` for each of the machine's addresses other devices may use
   * (empty with a public URL, and when the server listens on a loopback address only).
   */
  reachable: string[];
  /**
   * The server's `--public-url`, if it has one.
   */
  public_url?: string | null;
}
/**
 * Answer to `GET /api/games/{id}`: the game as the caller's seat may see it.
 */
export interface Summary {
  game_id: string;
  seq: number;
  you: SeatInfo;
  /**
   * The code to join this game (for the projector and for inviting more people).
   */
  join_code: string;
  view: SeatView;
  /**
   * The class this game is a table of, if it is one (its debrief compares the tables).
   */
  class?: ClassTableOf | null;
}
/**
 * Answer to `GET /api/seat`: the game and seat a token opens.
 */
export interface TokenSeat {
  game_id: string;
  you: SeatInfo;
  join_code: string;
  phase: Phase;
  /**
   * 0-based.
   */
  round: number;
  round_label: string;
  /**
   * The game's name, if it has one.
   */
  title?: string | null;
}
