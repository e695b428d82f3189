//! Why a command was refused. Each variant has a stable `code` for the protocol and a message a
//! player can act on. A refused command changes nothing.

use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Error)]
pub enum CommandError {
    #[error("not allowed in the {phase} phase: {what}")]
    WrongPhase { phase: &'static str, what: String },
    #[error("{0}")]
    NotYourFaction(String),
    #[error("only Control may {0}")]
    ControlOnly(String),
    /// Something no connection may do (the server's own clock).
    #[error("{0}")]
    Forbidden(String),
    #[error("unknown {kind} \"{id}\"{hint}")]
    Unknown {
        kind: &'static str,
        id: String,
        hint: String,
    },
    #[error("over budget: {0}")]
    OverBudget(String),
    #[error("missing prerequisite: {0}")]
    Prerequisite(String),
    #[error("limit exceeded: {0}")]
    Limit(String),
    #[error("malformed clause {clause}: {message}")]
    MalformedClause { clause: usize, message: String },
    /// An order that would break standing agreements, sent without `confirm_breach`.
    #[error("\"{action}\" would break {}: order it again with confirm_breach to break it knowingly", breaks.join("; "))]
    WouldBreach { action: String, breaks: Vec<String> },
    #[error("{0}")]
    Invalid(String),
    #[error("the game has ended")]
    GameEnded,
    /// The person is muted by Control until `until_ms` (ms since the epoch).
    #[error("a facilitator has muted you for {} more minute(s)", minutes_left(*until_ms, *now_ms))]
    Muted { until_ms: i64, now_ms: i64 },
}

/// Whole minutes from `now_ms` to `until_ms`, at least 1.
fn minutes_left(until_ms: i64, now_ms: i64) -> i64 {
    ((until_ms - now_ms).max(0) + 59_999) / 60_000
}

impl CommandError {
    /// Stable machine-readable code, used in the protocol's `error` frames.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::WrongPhase { .. } => "wrong_phase",
            CommandError::NotYourFaction(_) => "not_your_faction",
            CommandError::ControlOnly(_) => "control_only",
            CommandError::Forbidden(_) => "forbidden",
            CommandError::Unknown { .. } => "unknown",
            CommandError::OverBudget(_) => "over_budget",
            CommandError::Prerequisite(_) => "prerequisite",
            CommandError::Limit(_) => "limit",
            CommandError::MalformedClause { .. } => "malformed_clause",
            CommandError::WouldBreach { .. } => "would_breach",
            CommandError::Invalid(_) => "invalid",
            CommandError::GameEnded => "game_ended",
            CommandError::Muted { .. } => "muted",
        }
    }
}

/// A "did you mean" suffix for an unknown id, or empty.
pub fn hint<'a>(id: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let best = known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(id, k), k))
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, k)) => format!(" — did you mean \"{k}\"?"),
        None => String::new(),
    }
}
