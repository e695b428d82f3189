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
    /// Transactions of the group commit, and the appends (one per command or clock tick) in
    /// them: their ratio is the mean batch size.
    pub commit_batches: AtomicU64,
    pub commit_appends: AtomicU64,
    /// From a game task handing its append to the group commit to the answer.
    pub commit_seconds: Histogram,
    /// From a connection handing a command to its game's task (its wait in the game's queue
    /// included) to the answer; what a client waits beyond that is its connection's and the
    /// network's.
    pub command_seconds: Histogram,
    /// The first part of `command_seconds`: from the hand-over to the game's task taking the
    /// command up (the commands of the same game before it are being committed meanwhile).
    pub command_queue_seconds: Histogram,
    pub subscribers_dropped: AtomicU64,
    pub ws_connections_total: AtomicU64,
    pub ws_connections_open: AtomicI64,
    pub ws_closed_rate_limited: AtomicU64,
    pub joins_rate_limited: AtomicU64,
    /// Appends refused because another node took the game (decision record 0012).
    pub fencing_refusals: AtomicU64,
    /// Game tasks stopped because another node took their game.
    pub games_lost: AtomicU64,
    /// Games with a deadline this node took because their lease had run out.
    pub games_taken_over: AtomicU64,
    /// Requests for games another node owns, forwarded to it.
    pub requests_forwarded: AtomicU64,
    /// WebSockets for games another node owns, relayed to it (all, and open now).
    pub ws_proxied_total: AtomicU64,
    pub ws_proxied_open: AtomicI64,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus exposition text.
    pub fn render(&self, node: &str, games_in_memory: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP detente_node_info The server node answering (decision record 0012).\n# TYPE detente_node_info gauge\ndetente_node_info{{node=\"{}\"}} 1",
            node.replace(['\\', '"', '\n'], "_")
        );
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
            "Commands answered unavailable (not acknowledged: the database or the game could not be reached in time).",
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
            "commit_batches_total",
            "Transactions written by the group commit.",
            get(&self.commit_batches),
        );
        counter(
            "commit_appends_total",
            "Appends (commands, clock ticks, bot moves) written by the group commit.",
            get(&self.commit_appends),
        );
        counter(
            "fencing_refusals_total",
            "Appends refused because another node owns the game now (its epoch moved on).",
            get(&self.fencing_refusals),
        );
        counter(
            "games_taken_over_total",
            "Games with a pending deadline taken over from a node whose lease ran out.",
            get(&self.games_taken_over),
        );
        counter(
            "games_lost_total",
            "Game tasks stopped because another node took their game.",
            get(&self.games_lost),
        );
        counter(
            "requests_forwarded_total",
            "HTTP requests for games another node owns, forwarded to that node.",
            get(&self.requests_forwarded),
        );
        counter(
            "ws_proxied_total",
            "WebSocket connections for games another node owns, relayed to that node.",
            get(&self.ws_proxied_total),
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
        self.commit_seconds.render(
            &mut out,
            "commit_seconds",
            "Time a game task waits for its events to be committed (group commit included).",
        );
        self.command_seconds.render(
            &mut out,
            "command_seconds",
            "Time from a connection handing a command to its game's task to the answer.",
        );
        self.command_queue_seconds.render(
            &mut out,
            "command_queue_seconds",
            "Time a command waits for its game's task to take it up (part of command_seconds).",
        );
        let _ = writeln!(
            out,
            "# HELP detente_ws_connections_open Open WebSocket connections.\n# TYPE detente_ws_connections_open gauge\ndetente_ws_connections_open {}",
            self.ws_connections_open.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP detente_ws_proxied_open WebSocket connections relayed to another node, open now.\n# TYPE detente_ws_proxied_open gauge\ndetente_ws_proxied_open {}",
            self.ws_proxied_open.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP detente_games_in_memory Games whose task is running on this node: the games it owns.\n# TYPE detente_games_in_memory gauge\ndetente_games_in_memory {games_in_memory}"
        );
        out
    }
}

/// Upper bounds of the histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A Prometheus histogram with fixed buckets (half a millisecond to 2.5 s), lock-free.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last one is above every bound.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: std::time::Duration) {
        let secs = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(
            out,
            "# HELP detente_{name} {help}\n# TYPE detente_{name} histogram"
        );
        let mut total = 0;
        for (i, c) in self.counts.iter().enumerate() {
            total += c.load(Ordering::Relaxed);
            let le = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(out, "detente_{name}_bucket{{le=\"{le}\"}} {total}");
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "detente_{name}_sum {sum}\ndetente_{name}_count {total}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn histogram_buckets_are_cumulative_with_sum_and_count() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(5));
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "test");
        assert!(out.contains("# TYPE detente_x_seconds histogram"), "{out}");
        assert!(
            out.contains("detente_x_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("detente_x_seconds_bucket{le=\"0.002\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("detente_x_seconds_bucket{le=\"0.005\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("detente_x_seconds_bucket{le=\"2.5\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("detente_x_seconds_bucket{le=\"+Inf\"} 4\n"),
            "{out}"
        );
        assert!(out.contains("detente_x_seconds_sum 5.0063\n"), "{out}");
        assert!(out.contains("detente_x_seconds_count 4\n"), "{out}");
    }
}
