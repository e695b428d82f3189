//! Commands, and helpers to name seats and find proposals.

use super::*;
use detente::engine::view::SeatEvent;
use detente::engine::{FactionId, Seat};
use serde_json::{json, Value};

pub(crate) fn plenary() -> Value {
    json!({"kind": "plenary"})
}

pub(crate) fn bilateral(a: &str, b: &str) -> Value {
    json!({"kind": "bilateral", "factions": [a, b]})
}

pub(crate) fn team(f: &str) -> Value {
    json!({"kind": "team", "faction": f})
}

pub(crate) fn control_channel(f: &str) -> Value {
    json!({"kind": "control", "faction": f})
}

pub(crate) fn chat(channel: Value, text: &str) -> Value {
    json!({"type": "chat", "channel": channel, "text": text})
}

pub(crate) fn advance() -> Value {
    json!({"type": "advance_phase"})
}

pub(crate) fn ready() -> Value {
    json!({"type": "ready"})
}

pub(crate) fn order(action: &str, quantity: u32) -> Value {
    json!({"type": "submit_order", "action": action, "quantity": quantity})
}

pub(crate) fn propose(title: &str, parties: &[&str], clauses: Value, public: bool) -> Value {
    json!({"type": "propose", "terms": {
        "title": title, "parties": parties, "clauses": clauses,
        "duration_rounds": 2, "public": public,
    }})
}

pub(crate) fn faction(f: &str) -> Seat {
    Seat::Faction(FactionId::new(f))
}

/// A marker string that cannot occur by accident or as part of another marker.
pub(crate) fn marker(name: &str) -> String {
    format!("[[{name}]]")
}

/// The latest proposal `c` has seen made up to sequence `seq`.
pub(crate) fn proposal_at(c: &Client, seq: i64) -> u32 {
    c.events()
        .filter(|(s, _)| *s <= seq)
        .filter_map(|(_, e)| match e {
            SeatEvent::ProposalMade { proposal } => Some(proposal.id),
            _ => None,
        })
        .last()
        .unwrap_or_else(|| panic!("{}: no proposal up to {seq}", c.label))
}
