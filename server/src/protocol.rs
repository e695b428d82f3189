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

use crate::engine::view::{SeatEvent, SeatView};
use crate::engine::{Command, Seat};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest frame or message the server reads, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest client command id.
pub const MAX_CLIENT_ID: usize = 64;

/// Client → server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame, within 5 seconds of connecting.
    Hello {
        /// The seat token from joining (or the Control token).
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeatInfo {
    pub seat_id: Uuid,
    pub seat: Seat,
    pub name: String,
}

/// Server → client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        code: String,
        message: String,
        /// Whether sending the same command again later may succeed (e.g. database down).
        retryable: bool,
    },
    Pong {},
}

impl ServerFrame {
    pub fn error(
        id: Option<String>,
        code: &str,
        message: impl Into<String>,
        retryable: bool,
    ) -> Self {
        ServerFrame::Error {
            id,
            code: code.into(),
            message: message.into(),
            retryable,
        }
    }
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
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
}
