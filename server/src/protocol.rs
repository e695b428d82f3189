//! The WebSocket protocol: every frame in both directions. JSON text frames, each an object
//! with a `type`. Unknown types and unknown fields are refused. Documented with examples in
//! `docs/protocol.md`.
//!
//! A connection opens with `hello` (the seat's token; never in the URL), gets `welcome` with
//! the seat's view and the game's current sequence, then sends `command`s, each with a
//! client-generated `id`, answered by `ack` (after the durable commit) or `error`. Events reach
//! every seat as `event` frames, filtered for that seat, carrying the game's sequence; a
//! reconnecting client sends the last sequence it saw and gets exactly what it missed, or a
//! fresh view when it is far behind. A connection that cannot keep up gets a second
//! `welcome` on the same socket (missed events, or a view), never a silent gap.

use crate::engine::view::{SeatEvent, SeatView, TableStatus};
use crate::engine::{Command, FactionId, Seat};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest frame or message the server reads, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest client command id, in bytes (UTF-8), not characters.
pub const MAX_CLIENT_ID: usize = 64;

/// Client → server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame, within 5 seconds of connecting.
    Hello {
        /// The seat token from joining (or the Control token), or a class's token: its
        /// teacher's, or a student's waiting for the class to start.
        token: String,
        /// The last event sequence this client saw, to resume without gaps or repeats.
        #[serde(default)]
        last_seq: Option<i64>,
    },
    /// A game command. `id` makes it idempotent: a retry with the same id gets the same answer
    /// and has no second effect; the same id with a different command is an error.
    Command { id: String, command: Command },
    /// Keep-alive; answered with `pong`.
    Ping {},
}

/// Who the connection is, as the server established it from the token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeatInfo {
    pub seat_id: Uuid,
    pub seat: Seat,
    pub name: String,
}

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        game_id: Uuid,
        you: SeatInfo,
        /// Sequence of the last event in the game.
        seq: i64,
        /// The seat's whole view, unless the client resumed from `last_seq`: then the events it
        /// missed follow instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        view: Option<Box<SeatView>>,
    },
    /// One event of the game, as this seat may see it. Sequences increase; a seat does not
    /// receive events it may not see, so it can observe gaps.
    Event {
        seq: i64,
        event: SeatEvent,
    },
    /// The command `id` was committed; its last event has sequence `seq`.
    Ack {
        id: String,
        seq: i64,
    },
    /// The command `id` (or the frame, when `id` is absent) was refused; nothing changed.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// One of [`ErrorCode`].
        #[schemars(with = "ErrorCode")]
        code: String,
        message: String,
        /// Whether sending the same command again later may succeed (e.g. database down).
        retryable: bool,
    },
    Pong {},
    /// The seat's team when it has more than one member: who is in it, who is connected to
    /// the game now and who is captain. Sent after `welcome` and whenever it changes. Not an
    /// event: it has no sequence of its own and is not stored.
    Team {
        faction: FactionId,
        members: Vec<Teammate>,
    },
    /// A class's connection (`hello` with the teacher's token, or with a student's before the
    /// class starts): the class and who this is in it. Sent first, and again to the teacher
    /// when the class starts (with its tables). Then `class_roster` as the roster changes and,
    /// for the teacher, `class_table` per table. A waiting student's connection closes with
    /// 4000 when the class starts: the same token then opens the student's seat.
    ClassWelcome {
        class_id: Uuid,
        /// The class's name.
        name: String,
        role: ClassRole,
        /// The student's name (a student's connection).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        you: Option<String>,
        /// Students on the roster.
        students: u32,
        started: bool,
        /// Whether the class's games may be used for research, and with the chat's text.
        research_use: bool,
        research_free_text: bool,
        /// The tables' games, by number (the teacher's connection, once started).
        tables: Vec<ClassTableRef>,
    },
    /// The class's roster changed (a student joined or was pinned): read it again
    /// (`GET /api/classes/{id}`). Sent at most every quarter of a second.
    ClassRoster {
        students: u32,
    },
    /// One table's public status (the teacher's connection): after `class_welcome` for each
    /// table, then whenever it changes, at most every quarter of a second per table.
    ClassTable {
        table: u32,
        game_id: Uuid,
        /// The table's game's sequence when the status was read.
        seq: i64,
        status: TableStatus,
    },
}

/// Who a class connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClassRole {
    Teacher,
    Student,
}

/// The class a game is a table of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassTableOf {
    pub class_id: Uuid,
    /// From 0.
    pub table: u32,
}

/// A class's table and its game.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassTableRef {
    /// From 0.
    pub table: u32,
    pub game_id: Uuid,
}

/// One member of a faction's team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Teammate {
    pub seat_id: Uuid,
    pub name: String,
    /// Has a connection open to the game now.
    pub connected: bool,
    /// The member seated longest among those connected: under the `captain` team rule, this
    /// member's Ready is the team's.
    pub captain: bool,
}

impl ServerFrame {
    pub fn error(
        id: Option<String>,
        code: ErrorCode,
        message: impl Into<String>,
        retryable: bool,
    ) -> Self {
        ServerFrame::Error {
            id,
            code: code.as_str().into(),
            message: message.into(),
            retryable,
        }
    }
}

/// Every error code the server sends, in `error` frames and in the HTTP API's error bodies:
/// the list a client can match on (docs/protocol.md §8 says what to do for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The command is not allowed in this phase.
    WrongPhase,
    /// Only a faction seat (or another faction) may do that.
    NotYourFaction,
    /// Only Control may do that.
    ControlOnly,
    /// An agreement in force forbids it, or the rules do.
    Forbidden,
    /// An id that does not exist (or that this seat may not see).
    Unknown,
    /// Not enough budget or political capital.
    OverBudget,
    /// An action's prerequisite is not met.
    Prerequisite,
    /// Over a limit (length, quantity, count).
    Limit,
    /// A clause of a proposal is not well formed.
    MalformedClause,
    /// The order would break an agreement in force; send it with `confirm_breach` to go ahead.
    WouldBreach,
    /// Any other bad value or state.
    Invalid,
    /// The game has ended.
    GameEnded,
    /// Not a valid frame.
    BadFrame,
    /// The first frame must be `hello`.
    HelloFirst,
    /// A second `hello` on one connection.
    AlreadyHello,
    /// Unknown token.
    BadToken,
    /// A command id that is empty or too long.
    BadId,
    /// This seat used this id for a different command.
    DuplicateId,
    /// Too many frames, wrong codes, games or seats from this client.
    RateLimited,
    /// The database or the game could not be reached in time; retry with the same id.
    Unavailable,
    /// A server fault (logged).
    Internal,
    /// This seat has as many connections open as it may.
    TooManyConnections,
    /// Control moved this seat; say hello again.
    SeatChanged,
    /// The request is not of the expected shape.
    BadRequest,
    /// No token, or not a token of this game (or not the admin token).
    Unauthorized,
    /// No game has that join code.
    UnknownCode,
    /// The game (or seat) no longer exists.
    NotFound,
    /// No such endpoint under /api/.
    NoRoute,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// A bot plays that faction.
    BotSeat,
    /// An outside agent plays that faction (people cannot join it), or it already has its
    /// agent's seat, or people already sit in it (an agent cannot take it).
    AgentSeat,
    /// That faction's team is full.
    TeamFull,
    /// Every faction's team is full.
    GameFull,
    /// The game has as many observers as it may.
    ObserversFull,
    /// The body is over 64 KiB.
    TooLarge,
    /// No scenario with that id.
    UnknownScenario,
    /// No faction with that id.
    UnknownFaction,
    /// A name that is empty, too long or holds control characters.
    InvalidName,
    /// Only the class's teacher may do that.
    TeacherOnly,
    /// The class has started: its students are seated at their tables.
    ClassStarted,
    /// A facilitator has muted this person for a while: no chat until the mute ends.
    Muted,
}

impl ErrorCode {
    /// Every code, in the order above.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::WrongPhase,
        ErrorCode::NotYourFaction,
        ErrorCode::ControlOnly,
        ErrorCode::Forbidden,
        ErrorCode::Unknown,
        ErrorCode::OverBudget,
        ErrorCode::Prerequisite,
        ErrorCode::Limit,
        ErrorCode::MalformedClause,
        ErrorCode::WouldBreach,
        ErrorCode::Invalid,
        ErrorCode::GameEnded,
        ErrorCode::BadFrame,
        ErrorCode::HelloFirst,
        ErrorCode::AlreadyHello,
        ErrorCode::BadToken,
        ErrorCode::BadId,
        ErrorCode::DuplicateId,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
        ErrorCode::TooManyConnections,
        ErrorCode::SeatChanged,
        ErrorCode::BadRequest,
        ErrorCode::Unauthorized,
        ErrorCode::UnknownCode,
        ErrorCode::NotFound,
        ErrorCode::NoRoute,
        ErrorCode::MethodNotAllowed,
        ErrorCode::BotSeat,
        ErrorCode::AgentSeat,
        ErrorCode::TeamFull,
        ErrorCode::GameFull,
        ErrorCode::ObserversFull,
        ErrorCode::TooLarge,
        ErrorCode::UnknownScenario,
        ErrorCode::UnknownFaction,
        ErrorCode::InvalidName,
        ErrorCode::TeacherOnly,
        ErrorCode::ClassStarted,
        ErrorCode::Muted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::WrongPhase => "wrong_phase",
            ErrorCode::NotYourFaction => "not_your_faction",
            ErrorCode::ControlOnly => "control_only",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unknown => "unknown",
            ErrorCode::OverBudget => "over_budget",
            ErrorCode::Prerequisite => "prerequisite",
            ErrorCode::Limit => "limit",
            ErrorCode::MalformedClause => "malformed_clause",
            ErrorCode::WouldBreach => "would_breach",
            ErrorCode::Invalid => "invalid",
            ErrorCode::GameEnded => "game_ended",
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::HelloFirst => "hello_first",
            ErrorCode::AlreadyHello => "already_hello",
            ErrorCode::BadToken => "bad_token",
            ErrorCode::BadId => "bad_id",
            ErrorCode::DuplicateId => "duplicate_id",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::SeatChanged => "seat_changed",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::UnknownCode => "unknown_code",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NoRoute => "no_route",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::BotSeat => "bot_seat",
            ErrorCode::AgentSeat => "agent_seat",
            ErrorCode::TeamFull => "team_full",
            ErrorCode::GameFull => "game_full",
            ErrorCode::ObserversFull => "observers_full",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnknownScenario => "unknown_scenario",
            ErrorCode::UnknownFaction => "unknown_faction",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::TeacherOnly => "teacher_only",
            ErrorCode::ClassStarted => "class_started",
            ErrorCode::Muted => "muted",
        }
    }

    /// The code of a command the rules refused.
    pub fn of(e: &crate::engine::CommandError) -> ErrorCode {
        use crate::engine::CommandError as E;
        match e {
            E::WrongPhase { .. } => ErrorCode::WrongPhase,
            E::NotYourFaction(_) => ErrorCode::NotYourFaction,
            E::ControlOnly(_) => ErrorCode::ControlOnly,
            E::Forbidden(_) => ErrorCode::Forbidden,
            E::Unknown { .. } => ErrorCode::Unknown,
            E::OverBudget(_) => ErrorCode::OverBudget,
            E::Prerequisite(_) => ErrorCode::Prerequisite,
            E::Limit(_) => ErrorCode::Limit,
            E::MalformedClause { .. } => ErrorCode::MalformedClause,
            E::WouldBreach { .. } => ErrorCode::WouldBreach,
            E::Invalid(_) => ErrorCode::Invalid,
            E::GameEnded => ErrorCode::GameEnded,
            E::Muted { .. } => ErrorCode::Muted,
        }
    }
}

/// Where the generated JSON Schema is committed, relative to the repository root.
pub const SCHEMA_PATH: &str = "docs/protocol.schema.json";

/// The JSON Schema (draft 2020-12) of the protocol, generated from the Rust types: what is
/// committed at [`SCHEMA_PATH`]. Its root accepts a frame of either direction (`oneOf`);
/// `#/$defs/ClientFrame` and `#/$defs/ServerFrame` are the schemas of each direction. The HTTP
/// API's bodies are in `$defs` too: the OpenAPI document at `/api/openapi.json` is built from
/// the same definitions.
pub fn json_schema() -> serde_json::Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let client = generator.subschema_for::<ClientFrame>();
    let server = generator.subschema_for::<ServerFrame>();
    crate::http::openapi::add_body_schemas(&mut generator);
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Détente protocol",
        "description": concat!(
            "Every frame of the Détente WebSocket protocol (/ws), generated from the server's ",
            "Rust types (server/src/protocol.rs); docs/protocol.md explains each message. The ",
            "root accepts a frame of either direction; validate what a client sends against ",
            "#/$defs/ClientFrame and what the server sends against #/$defs/ServerFrame. $defs ",
            "also holds the bodies of the HTTP API (CreateGame, Created, Join, Joined, Summary, ",
            "ScenarioInfo, Export, ErrorBody), which /api/openapi.json describes with these same ",
            "definitions. Regenerate with `UPDATE_SCHEMA=1 cargo test --lib protocol` in server/."
        ),
        "oneOf": [client, server],
        "$defs": generator.take_definitions(true),
    })
}

/// [`json_schema`] as committed: pretty-printed, with a final newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a schema serializes");
    text.push('\n');
    text
}

/// Close codes used by the server.
pub mod close {
    /// The server is going away (shutdown).
    pub const GOING_AWAY: u16 = 1001;
    /// A frame broke the protocol (not JSON, no hello, binary).
    pub const PROTOCOL: u16 = 1002;
    /// Policy: rate limit exceeded, bad token, no hello in time. (A refused Origin gets HTTP 403
    /// before any upgrade.)
    pub const POLICY: u16 = 1008;
    /// A text frame that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// Control moved this seat to another faction or to observers: say hello again with the
    /// same token to get the new seat's view.
    /// Also: the class a student waited in has started; the same token now opens their
    /// seat at their table.
    pub const SEAT_CHANGED: u16 = 4000;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Channel, Event, Game, GameConfig, Terms};
    use serde_json::{json, Value};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    /// The error codes' names in JSON are the ones `as_str` gives, and each is there once;
    /// every code the rules give has its entry.
    #[test]
    fn error_codes_are_listed_once_under_their_names() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(c).expect("json"), json!(c.as_str()));
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
        }
        let e = crate::engine::CommandError::Invalid("x".into());
        assert_eq!(ErrorCode::of(&e).as_str(), e.code());
    }

    fn committed_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(SCHEMA_PATH)
    }

    /// The committed schema must be what the Rust types generate today.
    #[test]
    fn committed_schema_is_current() {
        let path = committed_path();
        let fresh = json_schema_text();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &fresh).expect("write the schema");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != fresh {
            let line = committed
                .lines()
                .zip(fresh.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()))
                + 1;
            panic!(
                "{SCHEMA_PATH} is stale: the protocol's Rust types changed (first difference at \
                 line {line}). Regenerate it with `UPDATE_SCHEMA=1 cargo test --lib protocol` \
                 (in server/), review the diff and commit it with the change."
            );
        }
    }

    /// Validates JSON values against definitions of the generated schema.
    struct Validator {
        schemas: boon::Schemas,
        client: boon::SchemaIndex,
        server: boon::SchemaIndex,
        any: boon::SchemaIndex,
        event: boon::SchemaIndex,
    }

    impl Validator {
        fn new() -> Validator {
            let url = "https://detente.invalid/protocol.schema.json";
            let mut compiler = boon::Compiler::new();
            compiler
                .add_resource(url, json_schema())
                .expect("schema resource");
            let mut schemas = boon::Schemas::new();
            let mut compile = |fragment: &str| {
                compiler
                    .compile(&format!("{url}{fragment}"), &mut schemas)
                    .unwrap_or_else(|e| panic!("schema {fragment:?} compiles: {e:#}"))
            };
            let client = compile("#/$defs/ClientFrame");
            let server = compile("#/$defs/ServerFrame");
            let any = compile("");
            let event = compile("#/$defs/Event");
            Validator {
                schemas,
                client,
                server,
                any,
                event,
            }
        }

        /// `value` matches the definition `index` (and, being a frame, the root).
        fn check(&self, index: boon::SchemaIndex, value: &Value) {
            if let Err(e) = self.schemas.validate(value, index) {
                panic!("{value} does not match the schema: {e:#}");
            }
            if index != self.event {
                assert!(
                    self.schemas.validate(value, self.any).is_ok(),
                    "the root refuses {value}"
                );
            }
        }

        fn refused(&self, index: boon::SchemaIndex, value: &Value) -> bool {
            self.schemas.validate(value, index).is_err()
        }
    }

    /// A whole game played by bots: every frame a seat of it receives (views in the middle and
    /// at the end, every event in each seat's form) matches the schema, and so does the stored
    /// form of every event (the export). Client frames match too, and what the server refuses
    /// the schema refuses.
    #[test]
    fn real_frames_match_the_schema() {
        let v = Validator::new();
        let scenario = crate::scenarios::built_in("missile-defence-2013").expect("scenario");
        let bots: BTreeMap<_, _> = scenario
            .factions
            .iter()
            .map(|f| (f.id.clone(), crate::engine::Temperament::Pragmatist))
            .collect();
        let config = GameConfig {
            seed: 7,
            preset: None,
            deadlines: None,
            bots,
            agents: Default::default(),
            team_sizes: BTreeMap::new(),
            start: crate::engine::StartMode::Now,
            title: None,
            team_ready: Default::default(),
            language: None,
        };
        let (mut game, mut log) = Game::create(scenario, config, 0).expect("game");
        let seats: Vec<Seat> = game
            .scenario
            .factions
            .iter()
            .map(|f| Seat::Faction(f.id.clone()))
            .chain([Seat::Control, Seat::Observer])
            .collect();
        let ctx = crate::engine::Ctx::at(0);
        let mut mid_game_views = Vec::new();
        for _ in 0..200 {
            if game.ended() {
                break;
            }
            let before = (game.round, game.phase);
            log.extend(crate::engine::bots::play_bots(&mut game, &ctx));
            if (game.round, game.phase) == before && !game.ended() {
                log.extend(
                    game.apply(&Seat::Control, &Command::AdvancePhase {}, &ctx)
                        .expect("advance"),
                );
            }
            if game.round == 1 && mid_game_views.is_empty() {
                mid_game_views = seats.iter().map(|s| game.view(s)).collect();
            }
        }
        assert!(game.ended(), "the bots' game ends");
        assert!(!mid_game_views.is_empty());

        let mut frames = 0;
        for (i, seat) in seats.iter().enumerate() {
            let you = SeatInfo {
                seat_id: Uuid::nil(),
                seat: seat.clone(),
                name: "Ana".into(),
            };
            for view in [mid_game_views[i].clone(), game.view(seat)] {
                let frame = ServerFrame::Welcome {
                    game_id: Uuid::nil(),
                    you: you.clone(),
                    seq: log.len() as i64,
                    view: Some(Box::new(view)),
                };
                v.check(v.server, &serde_json::to_value(&frame).unwrap());
                frames += 1;
            }
            for (n, event) in log.iter().enumerate() {
                if let Some(event) = game.event_for(seat, event) {
                    let frame = ServerFrame::Event {
                        seq: n as i64 + 1,
                        event,
                    };
                    v.check(v.server, &serde_json::to_value(&frame).unwrap());
                    frames += 1;
                }
            }
        }
        for event in &log {
            v.check(v.event, &serde_json::to_value(event).unwrap());
        }
        assert!(matches!(log.first(), Some(Event::GameCreated { .. })));
        assert!(frames > 100, "only {frames} frames checked");

        for frame in [
            ServerFrame::Welcome {
                game_id: Uuid::nil(),
                you: SeatInfo {
                    seat_id: Uuid::nil(),
                    seat: Seat::Observer,
                    name: "Bo".into(),
                },
                seq: 3,
                view: None,
            },
            ServerFrame::Ack {
                id: "c1".into(),
                seq: 4,
            },
            ServerFrame::error(Some("c2".into()), ErrorCode::WrongPhase, "wait", false),
            ServerFrame::error(None, ErrorCode::BadFrame, "not JSON", false),
            ServerFrame::Pong {},
        ] {
            let value = serde_json::to_value(&frame).unwrap();
            v.check(v.server, &value);
            assert!(v.refused(v.client, &value), "a client frame: {value}");
        }

        let terms = Terms {
            title: "Moscow accord".into(),
            parties: vec!["russia".into(), "us_nato".into()],
            clauses: vec![],
            duration_rounds: 2,
            public: false,
        };
        for frame in [
            ClientFrame::Hello {
                token: "t".into(),
                last_seq: Some(12),
            },
            ClientFrame::Command {
                id: "c1".into(),
                command: Command::Chat {
                    channel: Channel::Bilateral {
                        factions: ["russia".into(), "us_nato".into()],
                    },
                    text: "hi".into(),
                },
            },
            ClientFrame::Command {
                id: "c2".into(),
                command: Command::Propose { terms },
            },
            ClientFrame::Ping {},
        ] {
            let value = serde_json::to_value(&frame).unwrap();
            v.check(v.client, &value);
            assert!(v.refused(v.server, &value), "a server frame: {value}");
        }
        // What a client may leave out (serde defaults), the schema lets it leave out.
        for ok in [
            json!({"type": "hello", "token": "t"}),
            json!({"type": "hello", "token": "t", "last_seq": null}),
            json!({"type": "command", "id": "c",
                "command": {"type": "submit_order", "action": "x"}}),
            json!({"type": "command", "id": "c", "command": {"type": "propose", "terms":
                {"title": "t", "parties": [], "clauses": [], "duration_rounds": 1}}}),
        ] {
            serde_json::from_value::<ClientFrame>(ok.clone()).expect("the server accepts it");
            v.check(v.client, &ok);
        }
        // What the server refuses, the schema refuses.
        for bad in [
            json!({"type": "hello"}),
            json!({"type": "hello", "token": "t", "seat": "control"}),
            json!({"type": "launch"}),
            json!({"type": "command", "id": "c",
                "command": {"type": "ready", "seat": "control"}}),
            json!({"type": "command", "id": "c",
                "command": {"type": "submit_order", "action": "x", "quantity": -1}}),
            json!({"type": "command", "id": "c", "command": {"type": "chat", "text": "x",
                "channel": {"kind": "team", "faction": "russia", "as": "us_nato"}}}),
        ] {
            assert!(
                serde_json::from_value::<ClientFrame>(bad.clone()).is_err(),
                "the server accepts {bad}"
            );
            assert!(v.refused(v.client, &bad), "the schema accepts {bad}");
        }
    }

    /// The ```json blocks of a Markdown page: (line of the fence, the schema marker on the line
    /// just before it, the block's text). A marker is an HTML comment, invisible to a reader:
    /// `<!-- schema: ServerFrame -->`, `<!-- schema: [SeatEntry] -->` (an array of them) or
    /// `<!-- schema: none (why it is not an instance) -->`.
    fn json_blocks(page: &str) -> Vec<(usize, Option<String>, String)> {
        let lines: Vec<&str> = page.lines().collect();
        let mut blocks = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            if lines[i].trim_start().starts_with("```json") {
                let marker = i
                    .checked_sub(1)
                    .and_then(|p| lines[p].trim().strip_prefix("<!-- schema:"))
                    .and_then(|m| m.strip_suffix("-->"))
                    .map(|m| m.trim().to_owned());
                let start = i;
                let mut body = String::new();
                i += 1;
                while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                    body.push_str(lines[i]);
                    body.push('\n');
                    i += 1;
                }
                blocks.push((start + 1, marker, body));
            }
            i += 1;
        }
        blocks
    }

    /// Every example in the docs is what the server sends or accepts: each ```json block of
    /// docs/*.md and README.md carries an invisible marker naming the schema definition it is
    /// an instance of (`$defs` of docs/protocol.schema.json), and every JSON value in it (a
    /// block may hold several, one a line) validates against that definition, UUID and other
    /// formats included. A block that deliberately is not an instance (an illustration with
    /// "…") says so with `none (reason)`.
    #[test]
    fn doc_examples_match_the_schema() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let schema = json_schema();
        let url = "https://detente.invalid/protocol.schema.json";
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler
            .add_resource(url, schema.clone())
            .expect("schema resource");
        let mut schemas = boon::Schemas::new();
        let whole = compiler
            .compile(url, &mut schemas)
            .expect("the root compiles");
        let mut compiled: BTreeMap<String, boon::SchemaIndex> = BTreeMap::new();

        let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
            .expect("docs/")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        pages.push(root.join("README.md"));
        pages.sort();

        let mut failures = Vec::new();
        let (mut blocks, mut values, mut illustrations) = (0, 0, 0);
        for page in &pages {
            let text = std::fs::read_to_string(page).expect("a page");
            let name = page
                .strip_prefix(&root)
                .unwrap_or(page)
                .display()
                .to_string();
            for (line, marker, body) in json_blocks(&text) {
                let at = format!("{name}:{line}");
                let Some(marker) = marker else {
                    failures.push(format!(
                        "{at}: a ```json block without a marker on the line before it: \
                         <!-- schema: DEFINITION --> (a `$defs` name of {SCHEMA_PATH}), \
                         or <!-- schema: none (why it is not an instance) -->"
                    ));
                    continue;
                };
                if let Some(reason) = marker.strip_prefix("none") {
                    let reason = reason.trim();
                    if !(reason.starts_with('(') && reason.ends_with(')') && reason.len() > 2) {
                        failures.push(format!("{at}: `none` needs a reason: none (…)"));
                    }
                    illustrations += 1;
                    continue;
                }
                let (def, array) = match marker.strip_prefix('[').and_then(|m| m.strip_suffix(']'))
                {
                    Some(inner) => (inner.trim().to_owned(), true),
                    None => (marker.clone(), false),
                };
                if schema["$defs"].get(&def).is_none() {
                    failures.push(format!("{at}: no definition {def:?} in {SCHEMA_PATH}"));
                    continue;
                }
                let index = *compiled.entry(def.clone()).or_insert_with(|| {
                    compiler
                        .compile(&format!("{url}#/$defs/{def}"), &mut schemas)
                        .unwrap_or_else(|e| panic!("schema {def} compiles: {e:#}"))
                });
                blocks += 1;
                let mut in_block = 0;
                for value in serde_json::Deserializer::from_str(&body).into_iter::<Value>() {
                    let value = match value {
                        Ok(v) => v,
                        Err(e) => {
                            failures.push(format!("{at}: not JSON: {e}"));
                            break;
                        }
                    };
                    in_block += 1;
                    let items = match (&value, array) {
                        (Value::Array(items), true) => items.clone(),
                        (_, true) => {
                            failures.push(format!("{at}: [{def}] expects an array"));
                            continue;
                        }
                        (_, false) => vec![value.clone()],
                    };
                    for item in &items {
                        values += 1;
                        if let Err(e) = schemas.validate(item, index) {
                            failures.push(format!("{at}: does not match {def}: {e:#}"));
                        } else if matches!(def.as_str(), "ClientFrame" | "ServerFrame")
                            && schemas.validate(item, whole).is_err()
                        {
                            failures.push(format!("{at}: the schema's root refuses a {def}"));
                        }
                    }
                }
                if in_block == 0 {
                    failures.push(format!("{at}: an empty block"));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} doc example(s) do not match the schema:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // The test cannot pass by finding nothing.
        assert!(blocks >= 30, "only {blocks} ```json blocks checked");
        assert!(values >= 70, "only {values} JSON values checked");
        assert!(
            illustrations <= 5,
            "{illustrations} blocks are marked `none`: make them real examples"
        );
    }
}
