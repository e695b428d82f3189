//! Three real `detente` nodes on loopback ports sharing one Postgres database (issue 16): 60
//! players over 20 games connect to random nodes and play, while at 21 random moments a node
//! is killed (`-9`), stopped (`SIGSTOP`, then `SIGCONT` after longer than a lease) or shut down
//! gracefully (`SIGTERM`), and restarted (a killed node after longer than a lease). A player whose connection fails, or whose command is
//! not answered in time, reconnects to a random node and sends the same command again with its
//! id. Checked at the end, on the database's log:
//!
//! - every acknowledged command's event is in its game's log exactly once, at the sequence its
//!   ack named; a command still unanswered at the end is there at most once;
//! - each game's sequences run 1, 2, 3, … without a gap or a repeat;
//! - every game took commands after the last event (it still progresses);
//! - every frame every player received holds no other faction's team messages and no
//!   bilateral message it is not party to.
//!
//! Printed: the failover times (from a kill or a stop to the first ack, on another node, of a
//! command of one of that node's games sent after it; from a graceful shutdown likewise), and
//! the fencing refusals the nodes counted. `DETENTE_CHAOS_EVENTS` and `DETENTE_CHAOS_LEASE_MS`
//! change the run: the test runs with leases of 1.5 s; the figures of `docs/operations.md`
//! were measured with `DETENTE_CHAOS_LEASE_MS=5000`, the server's default.

//!
//! Its own test binary, so that it runs alone: cargo runs test binaries one after another, and
//! three nodes under this load would slow the timing-sensitive tests of `tests/server` beside
//! them.

#[allow(dead_code, unused_imports)]
#[path = "server/harness/mod.rs"]
mod harness;

use futures_util::{SinkExt, StreamExt};
use harness::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const FACTIONS: [&str; 3] = ["russia", "us_nato", "csto"];
const GAMES: usize = 20;
const ADMIN: &str = "chaos-admin-token";
/// A player waits this long for a connection, a welcome or an answer before it reconnects.
const PATIENCE: Duration = Duration::from_secs(3);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One node: its fixed address (kept across restarts) and its process while it runs.
struct Node {
    id: String,
    addr: SocketAddr,
    child: Option<Child>,
    /// Fencing refusals counted by this node's earlier processes.
    refusals: u64,
    takeovers: u64,
}

impl Node {
    async fn start(&mut self, url: &str, log: &std::path::Path, lease_ms: u64) {
        let lease = lease_ms.to_string();
        let internal = format!("http://{}", self.addr);
        self.child = Some(
            start_binary_at(
                url,
                log,
                self.addr,
                &[
                    "--node-id",
                    &self.id,
                    "--lease-ms",
                    &lease,
                    "--internal-url",
                    &internal,
                    "--admin-token",
                    ADMIN,
                ],
            )
            .await,
        );
    }

    /// Adds what the running process counted to the totals (before it dies).
    async fn scrape(&mut self) {
        self.refusals += counter(self.addr, "detente_fencing_refusals_total").await;
        self.takeovers += counter(self.addr, "detente_games_taken_over_total").await;
    }

    fn pid(&self) -> String {
        self.child.as_ref().expect("running").child.id().to_string()
    }
}

/// A counter of a node's `/metrics`, or 0 when it does not answer.
async fn counter(addr: SocketAddr, name: &str) -> u64 {
    let Ok(Ok((200, Value::String(text)))) = tokio::time::timeout(
        Duration::from_secs(2),
        try_http(addr, "GET", "/metrics", None, None),
    )
    .await
    else {
        return 0;
    };
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn signal(pid: &str, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, pid])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Chaos {
    Kill,
    Stop,
    Term,
}

struct Event {
    kind: Chaos,
    at: Instant,
    /// The games the node owned just before.
    owned: Vec<String>,
}

struct Acked {
    game: String,
    text: String,
    seq: i64,
    /// When the send that was acknowledged went out, and when its ack came.
    sent: Instant,
    at: Instant,
}

#[derive(Default)]
struct Report {
    label: String,
    faction: String,
    acked: Vec<Acked>,
    /// Sent, never answered (the run ended): in the log at most once.
    unanswered: Option<String>,
    frames: Vec<String>,
    reconnects: u32,
}

/// The command a player sends `n`-th, and its marker text: public, its team, or bilateral
/// with the next faction.
fn nth_command(label: &str, faction: &str, n: u32) -> (Value, String) {
    let other = FACTIONS[(FACTIONS.iter().position(|f| *f == faction).unwrap() + 1) % 3];
    match n % 3 {
        0 => {
            let text = format!("pub {label} {n}");
            (chat(plenary(), &text), text)
        }
        1 => {
            let text = format!("secret-{faction}- {label} {n}");
            (chat(team(faction), &text), text)
        }
        _ => {
            let mut pair = [faction, other];
            pair.sort();
            let text = format!("bilat-{}+{}- {label} {n}", pair[0], pair[1]);
            (chat(bilateral(faction, other), &text), text)
        }
    }
}

async fn player(
    nodes: Arc<Vec<SocketAddr>>,
    stop: Arc<AtomicBool>,
    game: String,
    token: String,
    faction: &'static str,
    label: String,
) -> Report {
    let mut r = Report {
        label: label.clone(),
        faction: faction.into(),
        ..Default::default()
    };
    let mut seen: Option<i64> = None;
    let mut n = 0u32;
    // The command sent and not yet acknowledged: sent again, with its id, until it is.
    let mut pending: Option<(String, Value, String)> = None;
    let mut sent = Instant::now();
    'connect: while !stop.load(Ordering::Relaxed) {
        let addr = nodes[rand::random_range(0..nodes.len())];
        let Ok(Ok((mut ws, _))) = tokio::time::timeout(
            PATIENCE,
            tokio_tungstenite::connect_async(format!("ws://{addr}/ws")),
        )
        .await
        else {
            r.reconnects += 1;
            tokio::time::sleep(Duration::from_millis(rand::random_range(50..250))).await;
            continue;
        };
        let mut hello = json!({"type": "hello", "token": token});
        if let Some(s) = seen {
            hello["last_seq"] = json!(s);
        }
        if ws.send(Message::text(hello.to_string())).await.is_err() {
            r.reconnects += 1;
            continue;
        }
        // Reads frames until `want` says it has its answer; None: reconnect.
        let mut welcomed = false;
        loop {
            if welcomed {
                if stop.load(Ordering::Relaxed) {
                    if let Some((_, _, text)) = pending.take() {
                        r.unanswered = Some(text);
                    }
                    let _ = ws.close(None).await;
                    break 'connect;
                }
                if pending.is_none() {
                    let (command, text) = nth_command(&label, faction, n);
                    pending = Some((format!("{label}-{n}"), command, text));
                    n += 1;
                }
                let (id, command, _) = pending.as_ref().expect("a command");
                let frame = json!({"type": "command", "id": id, "command": command});
                sent = Instant::now();
                if ws.send(Message::text(frame.to_string())).await.is_err() {
                    r.reconnects += 1;
                    continue 'connect;
                }
            }
            // Frames until the welcome, or the answer to the pending command.
            let answered = loop {
                let next = match tokio::time::timeout(PATIENCE, ws.next()).await {
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => {
                        break None;
                    }
                    Ok(Some(Ok(_))) => continue,
                };
                r.frames.push(next.to_string());
                let v: Value = serde_json::from_str(&next).expect("JSON frames");
                match v["type"].as_str() {
                    Some("welcome") if !welcomed => break Some(v),
                    Some("event") => {
                        seen = Some(v["seq"].as_i64().expect("seq"));
                    }
                    Some("ack" | "error")
                        if welcomed && pending.as_ref().is_some_and(|p| v["id"] == json!(p.0)) =>
                    {
                        break Some(v);
                    }
                    Some("error") if !welcomed => break None,
                    _ => {}
                }
            };
            let Some(answer) = answered else {
                r.reconnects += 1;
                let _ = tokio::time::timeout(Duration::from_millis(100), ws.close(None)).await;
                continue 'connect;
            };
            match answer["type"].as_str() {
                Some("welcome") => {
                    welcomed = true;
                    // A welcome with a view brings the seat up to its sequence.
                    if !answer["view"].is_null() || seen.is_none() {
                        seen = answer["seq"].as_i64();
                    }
                }
                Some("ack") => {
                    let (_, _, text) = pending.take().expect("pending");
                    r.acked.push(Acked {
                        game: game.clone(),
                        text,
                        seq: answer["seq"].as_i64().expect("ack seq"),
                        sent,
                        at: Instant::now(),
                    });
                    tokio::time::sleep(Duration::from_millis(rand::random_range(40..160))).await;
                }
                _ => {
                    // `unavailable` (the game moved, a node stops): the same id, elsewhere.
                    assert_eq!(
                        answer["code"], "unavailable",
                        "{label}: only unavailable may refuse a chat here: {answer}"
                    );
                    r.reconnects += 1;
                    tokio::time::sleep(Duration::from_millis(rand::random_range(50..250))).await;
                    continue 'connect;
                }
            }
        }
    }
    r
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_under_kills_stops_and_shutdowns_lose_and_double_nothing() {
    let Some(db) = Db::postgres("chaos").await else {
        return;
    };
    let url = db.url();
    let events_wanted = env_or("DETENTE_CHAOS_EVENTS", 21) as usize;
    let lease_ms = env_or("DETENTE_CHAOS_LEASE_MS", 1500);
    let log = std::env::temp_dir().join(format!("detente-chaos-{}.log", uuid::Uuid::new_v4()));
    let mut nodes: Vec<Node> = (0..3)
        .map(|i| Node {
            id: format!("node-{}", i + 1),
            addr: format!("127.0.0.1:{}", free_port()).parse().expect("addr"),
            child: None,
            refusals: 0,
            takeovers: 0,
        })
        .collect();
    for n in &mut nodes {
        n.start(&url, &log, lease_ms).await;
    }
    let addrs = Arc::new(nodes.iter().map(|n| n.addr).collect::<Vec<_>>());
    // 20 games on random nodes; a quarter have a clock running (their deadline is far: the
    // sweep takes them over with nobody connected), the rest are moved by Control only.
    let mut games = Vec::new();
    let mut seats = Vec::new();
    for g in 0..GAMES {
        let at = addrs[rand::random_range(0..3)];
        let negotiation = if g % 4 == 0 { 3600 } else { 0 };
        let body = json!({
            "name": format!("Chaos {g}"),
            "seed": g,
            "deadlines": {"briefing": 0, "negotiation": negotiation, "orders": 0, "review": 0},
            "start": "now",
        });
        let (status, created) = http(at, "POST", "/api/games", Some(&body), Some(ADMIN)).await;
        assert_eq!(status, 201, "{created}");
        let id = created["game_id"].as_str().expect("id").to_owned();
        let code = created["join_code"].as_str().expect("code").to_owned();
        let control = created["control_token"].as_str().expect("token").to_owned();
        for (k, f) in FACTIONS.iter().enumerate() {
            let via = addrs[rand::random_range(0..3)];
            let token = join(via, &code, &format!("P{g}{k}"), f).await;
            seats.push((id.clone(), token, *f, format!("g{g}-{f}")));
        }
        // Into the negotiation, through a random node.
        let mut c = Client::connect(addrs[rand::random_range(0..3)], "control", &control).await;
        c.ok(advance()).await;
        c.disconnect().await;
        games.push(id);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let players: Vec<_> = seats
        .into_iter()
        .map(|(game, token, faction, label)| {
            tokio::spawn(player(
                addrs.clone(),
                stop.clone(),
                game,
                token,
                faction,
                label,
            ))
        })
        .collect();
    let pool = sqlx::PgPool::connect(&url).await.expect("pool");
    let started = Instant::now();
    let mut events: Vec<Event> = Vec::new();
    for i in 0..events_wanted {
        tokio::time::sleep(Duration::from_millis(rand::random_range(800..2000))).await;
        let k = rand::random_range(0..3);
        let kind = [Chaos::Kill, Chaos::Stop, Chaos::Term][(i + k) % 3];
        let node = &mut nodes[rand::random_range(0..3)];
        let owned: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM games WHERE owner_node = $1 \
             AND lease_until > (extract(epoch from clock_timestamp()) * 1000)::bigint",
        )
        .bind(&node.id)
        .fetch_all(&pool)
        .await
        .expect("owned games");
        node.scrape().await;
        let at = Instant::now();
        match kind {
            Chaos::Kill => {
                let mut child = node.child.take().expect("running");
                child.child.kill().expect("kill -9");
                child.child.wait().expect("wait");
                // Down for longer than a lease: the other nodes take its games (restarted
                // sooner under its id, it would take them back at once itself).
                tokio::time::sleep(Duration::from_millis(lease_ms + 1000)).await;
                node.start(&url, &log, lease_ms).await;
            }
            Chaos::Stop => {
                let pid = node.pid();
                signal(&pid, "-STOP");
                tokio::time::sleep(Duration::from_millis(lease_ms + 1000)).await;
                signal(&pid, "-CONT");
            }
            Chaos::Term => {
                let pid = node.pid();
                signal(&pid, "-TERM");
                let mut child = node.child.take().expect("running");
                let exit = child.child.wait().expect("wait");
                assert!(
                    exit.success(),
                    "{}: graceful shutdown exits 0: {exit}",
                    node.id
                );
                tokio::time::sleep(Duration::from_millis(rand::random_range(300..1500))).await;
                node.start(&url, &log, lease_ms).await;
            }
        }
        events.push(Event { kind, at, owned });
    }
    // Every game must go on after the last event.
    let last = Instant::now();
    tokio::time::sleep(Duration::from_millis(lease_ms * 2 + 3000)).await;
    stop.store(true, Ordering::Relaxed);
    let mut reports = Vec::new();
    for p in players {
        reports.push(p.await.expect("player task"));
    }
    for n in &mut nodes {
        n.scrape().await;
    }
    let elapsed = started.elapsed();

    // The log, as the database holds it.
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT game_id, seq, body FROM events ORDER BY game_id, seq")
            .fetch_all(&pool)
            .await
            .expect("events");
    let mut log_of: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for (g, seq, body) in &rows {
        log_of.entry(g).or_default().push((*seq, body));
    }
    let mut times: HashMap<String, usize> = HashMap::new();
    for (g, entries) in &log_of {
        for (i, (seq, body)) in entries.iter().enumerate() {
            assert_eq!(
                *seq,
                i as i64 + 1,
                "game {g}: sequences without gap or repeat"
            );
            let v: Value = serde_json::from_str(body).expect("event JSON");
            if let Some(text) = v.pointer("/message/text").and_then(Value::as_str) {
                *times.entry(text.to_owned()).or_default() += 1;
            }
        }
    }
    let mut acked = 0;
    for r in &reports {
        for a in &r.acked {
            acked += 1;
            assert_eq!(
                times.get(&a.text),
                Some(&1),
                "{}: acknowledged {:?} is in the log once",
                r.label,
                a.text
            );
            let (_, body) = log_of[a.game.as_str()][(a.seq - 1) as usize];
            assert!(
                body.contains(&a.text),
                "{}: the ack's sequence {} holds {:?}: {body}",
                r.label,
                a.seq,
                a.text
            );
        }
        if let Some(text) = &r.unanswered {
            assert!(
                times.get(text).copied().unwrap_or(0) <= 1,
                "{}: unanswered {text:?} at most once",
                r.label
            );
        }
    }
    let doubled = times.values().filter(|n| **n > 1).count();
    assert_eq!(doubled, 0, "no command's event twice");
    for g in &games {
        assert!(
            reports
                .iter()
                .flat_map(|r| &r.acked)
                .any(|a| &a.game == g && a.at > last),
            "game {g} took commands after the last event"
        );
    }
    // Secrecy on every frame.
    let mut frames = 0;
    for r in &reports {
        for f in &r.frames {
            frames += 1;
            for other in FACTIONS.iter().filter(|f| **f != r.faction) {
                assert!(
                    !f.contains(&format!("secret-{other}-")),
                    "{} read {other}'s team: {f}",
                    r.label
                );
            }
            for a in FACTIONS {
                for b in FACTIONS {
                    let marker = format!("bilat-{a}+{b}-");
                    if a < b && a != r.faction && b != r.faction {
                        assert!(!f.contains(&marker), "{} read {marker}: {f}", r.label);
                    }
                }
            }
        }
    }

    // Failover: from each event to the first ack of one of the node's games for a command
    // sent after it (an ack already on its way when the node died is no failover).
    let mut by_kind: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for e in &events {
        let first = reports
            .iter()
            .flat_map(|r| &r.acked)
            .filter(|a| a.sent > e.at && e.owned.contains(&a.game))
            .map(|a| a.at - e.at)
            .min();
        if let Some(d) = first {
            by_kind.entry(format!("{:?}", e.kind)).or_default().push(d);
        }
    }
    let refusals: u64 = nodes.iter().map(|n| n.refusals).sum();
    let takeovers: u64 = nodes.iter().map(|n| n.takeovers).sum();
    let reconnects: u32 = reports.iter().map(|r| r.reconnects).sum();
    eprintln!(
        "chaos: {} events ({} kill, {} stop, {} term) in {elapsed:.1?}, lease {lease_ms} ms; \
         {acked} acked, {} unanswered at the end, 0 lost, 0 doubled; {} events in the log; \
         {reconnects} reconnects; {frames} frames checked for secrecy; \
         fencing refusals counted {refusals}; games taken over by a sweep {takeovers}",
        events.len(),
        events.iter().filter(|e| e.kind == Chaos::Kill).count(),
        events.iter().filter(|e| e.kind == Chaos::Stop).count(),
        events.iter().filter(|e| e.kind == Chaos::Term).count(),
        reports.iter().filter(|r| r.unanswered.is_some()).count(),
        rows.len(),
    );
    for (kind, mut d) in by_kind {
        d.sort();
        eprintln!(
            "chaos: failover after {kind} (to the first ack of the node's games): n={} p50={:.2?} p99={:.2?} max={:.2?}",
            d.len(),
            percentile(&d, 0.5),
            percentile(&d, 0.99),
            d.last().copied().unwrap_or_default()
        );
    }
    assert!(events.len() >= 20 || events_wanted < 20);
    drop(nodes);
    pool.close().await;
    let _ = std::fs::remove_file(&log);
    db.cleanup().await;
}
