//! Counters for `/metrics` (Prometheus text format). Per server node by nature; nothing in the
//! game logic reads them.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub commands_acked: AtomicU64,
    pub commands_refused: AtomicU64,
    pub commands_unavailable: AtomicU64,
    pub commands_replayed: AtomicU64,
    pub events_appended: AtomicU64,
    pub subscribers_dropped: AtomicU64,
    pub ws_connections_total: AtomicU64,
    pub ws_connections_open: AtomicI64,
    pub ws_closed_rate_limited: AtomicU64,
    pub joins_rate_limited: AtomicU64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus exposition text.
    pub fn render(&self, games_in_memory: usize) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP detente_{name} {help}\n# TYPE detente_{name} counter\ndetente_{name} {v}"
            );
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            "commands_acked_total",
            "Commands committed and acknowledged.",
            get(&self.commands_acked),
        );
        counter(
            "commands_refused_total",
            "Commands refused by the rules (nothing changed).",
            get(&self.commands_refused),
        );
        counter(
            "commands_unavailable_total",
            "Commands not committed because the database failed.",
            get(&self.commands_unavailable),
        );
        counter(
            "commands_replayed_total",
            "Retried command ids answered from the command table.",
            get(&self.commands_replayed),
        );
        counter(
            "events_appended_total",
            "Events appended to game logs.",
            get(&self.events_appended),
        );
        counter(
            "subscribers_dropped_total",
            "Slow subscribers dropped to resync.",
            get(&self.subscribers_dropped),
        );
        counter(
            "ws_connections_total",
            "WebSocket connections accepted.",
            get(&self.ws_connections_total),
        );
        counter(
            "ws_closed_rate_limited_total",
            "WebSocket connections closed for flooding (1008).",
            get(&self.ws_closed_rate_limited),
        );
        counter(
            "joins_rate_limited_total",
            "Join attempts refused by the join rate limit.",
            get(&self.joins_rate_limited),
        );
        let _ = writeln!(
            out,
            "# HELP detente_ws_connections_open Open WebSocket connections.\n# TYPE detente_ws_connections_open gauge\ndetente_ws_connections_open {}",
            self.ws_connections_open.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP detente_games_in_memory Games whose task is running on this node.\n# TYPE detente_games_in_memory gauge\ndetente_games_in_memory {games_in_memory}"
        );
        out
    }
}
