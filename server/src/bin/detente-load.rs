//! Load generator for the Détente server, using the protocol's own types.
//!
//! Creates G games, joins N players across them (WebSocket connections), then has the players
//! send chat commands at a total rate R (each player at random, Poisson times) for a warm-up
//! and then D seconds, and reports the achieved rate, ack latency (send → ack, which the
//! server sends only after the durable commit), fan-out latency (send → the message arriving
//! at the other players of the game), the server's memory and CPU.
//! Loopback only. One process holds at most ~19,000 connections (the machine allows 20,000
//! open files per process): `--processes P` splits the connections over P child processes and
//! `--local-addrs` spreads their source addresses over several loopback addresses.
//!
//! Example: `detente-load --games 300 --connections 15000 --rate 1000 --duration 30
//! --processes 2 --local-addrs 127.0.0.2,127.0.0.3 --server-pid $(pgrep -f 'detente serve')`

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use detente::engine::{Channel, Command};
use detente::protocol::{ClientFrame, ServerFrame};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpSocket;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Clone, Debug)]
#[command(about = "Load generator for the Détente server")]
struct Args {
    /// Server address (host:port, loopback).
    #[arg(long, default_value = "127.0.0.1:8080")]
    server: SocketAddr,
    /// Games to create.
    #[arg(long, default_value_t = 10)]
    games: usize,
    /// WebSocket connections in all (players, spread evenly over the games).
    #[arg(long, default_value_t = 300)]
    connections: usize,
    /// Commands per second in all.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of load after everyone is connected (after the warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of load before the measured window. Commands sent in it are reported apart and
    /// left out of the rates and latencies: a freshly started server opens database
    /// connections and prepares its statements on the first commands.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Child processes to spread the connections over.
    #[arg(long, default_value_t = 1)]
    processes: usize,
    /// Source addresses to spread connections over (loopback), comma separated.
    #[arg(long, value_delimiter = ',')]
    local_addrs: Vec<IpAddr>,
    /// Pid of the server, to report its resident memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// What the players send.
    #[arg(long, value_enum, default_value_t = Mix::Chat)]
    mix: Mix,
    /// Also print, for each second of the run, the commands acknowledged that were sent in it
    /// and their ack latency (p50, p99, max): shows whether slow acks come in bursts.
    #[arg(long)]
    timeline: bool,
    /// Admin token, if the server requires one to create games.
    #[arg(long, env = "DETENTE_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Each player sends exactly every this many milliseconds (its first send at a random
    /// moment of the first period) instead of at random times with the total `--rate`.
    #[arg(long)]
    period_ms: Option<u64>,
    /// Load a bare relay (`bench-relay`) instead of a Détente server: player k of game g opens
    /// `ws://SERVER/room/g` and sends the same chat command frames, which the relay echoes to
    /// the room unread. There are no acks; the echo latency compares the two.
    #[arg(long)]
    relay: bool,
    /// Also measure the CPU of the machine's `postgres` processes over the window.
    #[arg(long)]
    db_cpu: bool,
    /// Print the summary as one JSON object (for `tools/bench-server`).
    #[arg(long)]
    json: bool,
    /// Also sample the server's resident memory every this many seconds from the warm-up's
    /// start to the window's end and report the samples (needs `--server-pid`): shows whether
    /// memory stays flat under a long load.
    #[arg(long)]
    rss_every: Option<u64>,
    /// Instead of games: a class of this many students joins, is started and connects, and
    /// the teacher's class console is timed against each join and each connection (prints
    /// JSON). Needs `--admin-token` when the server has one (a class's joins from one address
    /// pass the seat limit only for the admin).
    #[arg(long)]
    class: Option<usize>,
    /// With `--class`: seconds over which the students join, evenly spread.
    #[arg(long, default_value_t = 60)]
    class_join_secs: u64,
    /// Server nodes sharing one database (issue 16): player k connects to the k-th of these,
    /// round robin, whichever node owns its game (another node relays it there). Default:
    /// `--server` only.
    #[arg(long, value_delimiter = ',')]
    nodes: Vec<SocketAddr>,
    /// With `--nodes`: game g is created on the g-th node (round robin), which then owns it,
    /// and its players connect to that node: no relaying, the load spread over the nodes.
    #[arg(long)]
    spread: bool,
    /// Internal: run as child `i` of `processes`, reading the join plan from stdin.
    #[arg(long, hide = true)]
    child: Option<usize>,
}

/// One player to connect: its token and game.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Player {
    game: usize,
    token: String,
    faction: String,
    /// The node this player connects to (`--nodes`); `--server` when absent.
    #[serde(default)]
    node: Option<SocketAddr>,
}

/// What the players send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
enum Mix {
    /// Plenary chat only.
    Chat,
    /// Games are moved to negotiation; each player cycles chat, a proposal (a data-exchange
    /// clause to another faction) and its withdrawal.
    Negotiation,
    /// Games are moved to the orders phase; each player alternates chat with its faction's
    /// standing order: the first to act submits it (a cheap action of the faction), then
    /// everyone amends its quantity. (The rules allow one order of an action per faction per
    /// round, so amending is how a team gives orders at load rates.)
    Orders,
    /// Half the games negotiate, half give orders.
    Full,
}

impl Mix {
    /// What the players of game `g` do.
    fn for_game(self, g: usize) -> Mix {
        match self {
            Mix::Full if g.is_multiple_of(2) => Mix::Negotiation,
            Mix::Full => Mix::Orders,
            m => m,
        }
    }
    /// Phases Control advances a new game by.
    fn advances(self) -> usize {
        match self {
            Mix::Chat | Mix::Full => 0,
            Mix::Negotiation => 1,
            Mix::Orders => 2,
        }
    }
}

/// The action a faction's players order in the orders mix, and the larger quantity they
/// amend it to: the cheapest action without prerequisites, two units if the rules and the
/// first round's purse allow.
fn order_action(faction: &str) -> Option<(detente::engine::ActionId, u32)> {
    let scenario = detente::scenarios::built_in("missile-defence-2013").ok()?;
    let purse = scenario
        .resources
        .iter()
        .find(|r| r.faction.as_str() == faction)?;
    scenario
        .actions
        .iter()
        .filter(|a| a.owner.as_str() == faction && a.requires.is_empty())
        .filter(|a| a.budget <= purse.budget_initial && a.capital <= purse.capital_initial)
        .min_by(|a, b| (a.budget + a.capital).total_cmp(&(b.budget + b.capital)))
        .map(|a| {
            let two = a.max_per_round >= 2
                && a.max_total.is_none_or(|t| t >= 2)
                && 2.0 * a.budget <= purse.budget_initial
                && 2.0 * a.capital <= purse.capital_initial;
            (a.id.clone(), if two { 2 } else { 1 })
        })
}

/// What one process measured.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Measured {
    connected: usize,
    sent: u64,
    acked: u64,
    errors: u64,
    /// Microseconds.
    ack_latencies: Vec<u32>,
    /// The Unix second each acknowledged command was sent in, beside `ack_latencies`.
    ack_sent_secs: Vec<u32>,
    fanout_latencies: Vec<u32>,
    /// Send → the sender's own chat message coming back (the `chat_posted` event; from the
    /// relay, the echoed frame), µs.
    echo_latencies: Vec<u32>,
    /// Acknowledged commands sent during the warm-up, and their latencies (µs).
    warmup_acked: u64,
    warmup_ack_latencies: Vec<u32>,
    /// CPU over the measured window, in % of one core: the server's (when its pid is known) and
    /// the whole machine's busy time. Read from /proc at the window's start and end only, so
    /// that measuring adds no load while it runs.
    server_cpu: Option<f64>,
    machine_busy: Option<f64>,
    /// CPU of the machine's `postgres` processes over the window, % of one core.
    db_cpu: Option<f64>,
    /// The server's resident memory (MiB) before this process opened its connections, and a
    /// second after all of them were welcomed, before anyone sent anything: with one process,
    /// the difference over the connections is the memory of an idle connection.
    rss_before_connect: Option<f64>,
    rss_connected: Option<f64>,
    /// `--rss-every` samples: (seconds since the warm-up began, MiB).
    rss_samples: Vec<(u64, f64)>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.child {
        Some(i) => rt.block_on(child(args, i)),
        None => rt.block_on(parent(args)),
    }
}

async fn parent(args: Args) -> Result<()> {
    if let Some(n) = args.class {
        return class_run(&args, n).await;
    }
    if args.connections > 19_000 * args.processes {
        bail!("at most 19,000 connections per process: use --processes");
    }
    let players = setup(&args).await?;
    eprintln!(
        "created {} games and {} players; connecting from {} process(es)",
        args.games,
        players.len(),
        args.processes
    );
    let measured = if args.processes <= 1 {
        run_players(&args, players, 0).await?
    } else {
        let exe = std::env::current_exe()?;
        let mut children = Vec::new();
        for i in 0..args.processes {
            let mine: Vec<Player> = players
                .iter()
                .enumerate()
                .filter(|(k, _)| k % args.processes == i)
                .map(|(_, p)| p.clone())
                .collect();
            let mut cmd = tokio::process::Command::new(&exe);
            cmd.arg("--server")
                .arg(args.server.to_string())
                .arg("--rate")
                .arg((args.rate / args.processes as f64).to_string())
                .arg("--duration")
                .arg(args.duration.to_string())
                .arg("--warmup")
                .arg(args.warmup.to_string())
                .arg("--child")
                .arg(i.to_string())
                .arg("--mix")
                .arg(
                    clap::ValueEnum::to_possible_value(&args.mix)
                        .map(|v| v.get_name().to_owned())
                        .unwrap_or_default(),
                )
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped());
            if let (0, Some(pid)) = (i, args.server_pid) {
                cmd.arg("--server-pid").arg(pid.to_string());
            }
            if let Some(p) = args.period_ms {
                cmd.arg("--period-ms").arg(p.to_string());
            }
            if let (0, Some(every)) = (i, args.rss_every) {
                cmd.arg("--rss-every").arg(every.to_string());
            }
            if args.relay {
                cmd.arg("--relay");
            }
            if i == 0 && args.db_cpu {
                cmd.arg("--db-cpu");
            }
            if !args.local_addrs.is_empty() {
                let a = args.local_addrs[i % args.local_addrs.len()];
                cmd.arg("--local-addrs").arg(a.to_string());
            }
            let mut child = cmd.spawn()?;
            let mut stdin = child.stdin.take().context("child stdin")?;
            tokio::io::AsyncWriteExt::write_all(&mut stdin, &serde_json::to_vec(&mine)?).await?;
            drop(stdin);
            children.push(child);
        }
        let mut total = Measured::default();
        for c in children {
            let out = c.wait_with_output().await?;
            if !out.status.success() {
                bail!("a child process failed");
            }
            let m: Measured = serde_json::from_slice(&out.stdout)?;
            total.connected += m.connected;
            total.sent += m.sent;
            total.acked += m.acked;
            total.errors += m.errors;
            total.ack_latencies.extend(m.ack_latencies);
            total.ack_sent_secs.extend(m.ack_sent_secs);
            total.fanout_latencies.extend(m.fanout_latencies);
            total.echo_latencies.extend(m.echo_latencies);
            total.warmup_acked += m.warmup_acked;
            total.warmup_ack_latencies.extend(m.warmup_ack_latencies);
            total.server_cpu = total.server_cpu.or(m.server_cpu);
            total.machine_busy = total.machine_busy.or(m.machine_busy);
            total.db_cpu = total.db_cpu.or(m.db_cpu);
            total.rss_samples.extend(m.rss_samples);
        }
        total
    };
    report(&args, measured)
}

async fn child(args: Args, i: usize) -> Result<()> {
    let mut input = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut input).await?;
    let players: Vec<Player> = serde_json::from_slice(&input)?;
    let m = run_players(&args, players, i).await?;
    println!("{}", serde_json::to_string(&m)?);
    Ok(())
}

/// Creates the games and joins the players over HTTP (plain HTTP/1.1 on a TCP stream: the
/// generator needs no HTTP client crate).
async fn setup(args: &Args) -> Result<Vec<Player>> {
    let per_game = args.connections.div_ceil(args.games.max(1));
    if args.relay {
        // A relay has rooms, not games: nothing to create or join.
        return Ok((0..args.connections)
            .map(|k| Player {
                game: k / per_game,
                token: String::new(),
                faction: String::new(),
                node: None,
            })
            .collect());
    }
    let team = per_game.div_ceil(3).clamp(1, 50);
    if per_game > 150 {
        bail!("at most 150 players per game (3 teams of 50): add games");
    }
    let mut players = Vec::new();
    for g in 0..args.games {
        let body = serde_json::json!({
            "name": "Load",
            "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0},
            "team_sizes": {"russia": team, "us_nato": team, "csto": team},
            "start": "now",
        });
        // With --spread the game is created on (and so owned by) its own node.
        let home = match (args.spread, args.nodes.is_empty()) {
            (true, false) => args.nodes[g % args.nodes.len()],
            _ => args.server,
        };
        let created = post_as(home, "/api/games", Some(&body), args.admin_token.as_deref()).await?;
        let code = created["join_code"]
            .as_str()
            .ok_or_else(|| anyhow!("no join code: {created}"))?
            .to_owned();
        let n = per_game.min(args.connections - players.len());
        for k in 0..n {
            let joined = http_post(
                args,
                "/api/join",
                &serde_json::json!({"code": code, "name": format!("p{g}-{k}")}),
            )
            .await?;
            let token = joined["seat_token"]
                .as_str()
                .ok_or_else(|| anyhow!("no token: {joined}"))?;
            let node = match (args.spread, args.nodes.is_empty()) {
                (_, true) => None,
                (true, false) => Some(home),
                (false, false) => Some(args.nodes[players.len() % args.nodes.len()]),
            };
            players.push(Player {
                game: g,
                token: token.to_owned(),
                faction: joined["seat"]["faction"].as_str().unwrap_or("").to_owned(),
                node,
            });
        }
        let advances = args.mix.for_game(g).advances();
        if advances > 0 {
            let control = created["control_token"]
                .as_str()
                .ok_or_else(|| anyhow!("no control token: {created}"))?;
            advance(home, control, advances).await?;
        }
    }
    Ok(players)
}

/// Control moves a new game on by `times` phases (briefing → negotiation → orders).
async fn advance(server: SocketAddr, control_token: &str, times: usize) -> Result<()> {
    let mut ws = connect(server, None, control_token, None).await?;
    'next: for i in 0..times {
        let cmd = ClientFrame::Command {
            id: format!("advance-{i}"),
            command: Command::AdvancePhase {},
        };
        ws.send(Message::text(serde_json::to_string(&cmd)?)).await?;
        while let Some(msg) = ws.next().await {
            if let Message::Text(t) = msg? {
                match serde_json::from_str::<ServerFrame>(&t) {
                    Ok(ServerFrame::Ack { .. }) => continue 'next,
                    Ok(ServerFrame::Error { message, .. }) => {
                        bail!("advance refused: {message}")
                    }
                    _ => {}
                }
            }
        }
        bail!("closed before the advance was acknowledged")
    }
    Ok(())
}

async fn http_post(args: &Args, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
    post_as(args.server, path, Some(body), args.admin_token.as_deref()).await
}

/// A POST (with a JSON body, or none) with an optional bearer token; the answer's JSON.
async fn post_as(
    server: SocketAddr,
    path: &str,
    body: Option<&serde_json::Value>,
    token: Option<&str>,
) -> Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server).await?;
    let body = body
        .map(serde_json::to_vec)
        .transpose()?
        .unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await?;
    s.write_all(&body).await?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await?;
    let text = String::from_utf8_lossy(&resp);
    let (_, payload) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("bad HTTP response"))?;
    serde_json::from_str(payload.trim()).with_context(|| format!("{path}: {payload}"))
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

struct Shared {
    sent: AtomicU64,
    acked: AtomicU64,
    errors: AtomicU64,
    /// (latency µs, Unix second sent) of each ack.
    ack: Mutex<Vec<(u32, u32)>>,
    fanout: Mutex<Vec<u32>>,
    echo: Mutex<Vec<u32>>,
    /// Commands sent before this Unix time (µs) are the warm-up's: counted apart.
    measure_from_us: AtomicU64,
    warmup_acked: AtomicU64,
    warmup_ack: Mutex<Vec<u32>>,
}

impl Shared {
    fn warming_up(&self, sent_us: u64) -> bool {
        sent_us < self.measure_from_us.load(Ordering::Relaxed)
    }

    /// A chat message `t=<sent µs> s=<sender> …` arriving at player `me` at `now_us`: the
    /// sender's own message back is an echo, another's a fan-out delivery.
    async fn chat_seen(&self, text: &str, me: u64, now_us: u64) {
        let mut parts = text.split(' ');
        let ts = parts
            .next()
            .and_then(|x| x.strip_prefix("t="))
            .and_then(|x| x.parse::<u64>().ok());
        let from = parts
            .next()
            .and_then(|x| x.strip_prefix("s="))
            .and_then(|x| x.parse::<u64>().ok());
        let (Some(ts), Some(from)) = (ts, from) else {
            return;
        };
        if self.warming_up(ts) {
            return;
        }
        let latency = now_us.saturating_sub(ts).min(u64::from(u32::MAX)) as u32;
        if from == me {
            self.echo.lock().await.push(latency);
        } else {
            self.fanout.lock().await.push(latency);
        }
    }

    /// Counts the ack of a command sent at `sent_us`, arriving at `now_us`.
    async fn acked(&self, sent_us: u64, now_us: u64) {
        if self.warming_up(sent_us) {
            self.warmup_acked.fetch_add(1, Ordering::Relaxed);
            self.warmup_ack
                .lock()
                .await
                .push(ack_sample(sent_us, now_us).0);
        } else {
            self.acked.fetch_add(1, Ordering::Relaxed);
            self.ack.lock().await.push(ack_sample(sent_us, now_us));
        }
    }
}

async fn run_players(args: &Args, players: Vec<Player>, proc_index: usize) -> Result<Measured> {
    let shared = Arc::new(Shared {
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        ack: Mutex::new(Vec::new()),
        fanout: Mutex::new(Vec::new()),
        echo: Mutex::new(Vec::new()),
        measure_from_us: AtomicU64::new(u64::MAX),
        warmup_acked: AtomicU64::new(0),
        warmup_ack: Mutex::new(Vec::new()),
    });
    let n = players.len().max(1);
    // Each player sends at rate / n: an interval per player.
    let interval = match args.period_ms {
        Some(p) => Duration::from_millis(p.max(1)),
        None => Duration::from_secs_f64(n as f64 / args.rate.max(0.001)),
    };
    let (fixed, relay) = (args.period_ms.is_some(), args.relay);
    let rss_before_connect = args.server_pid.and_then(rss_mib);
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<bool>(n);
    let (go_tx, go_rx) = tokio::sync::watch::channel(false);
    let stop_at = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let mut tasks = Vec::new();
    for (k, p) in players.into_iter().enumerate() {
        let local =
            (!args.local_addrs.is_empty()).then(|| args.local_addrs[k % args.local_addrs.len()]);
        let shared = shared.clone();
        let ready = ready_tx.clone();
        let mut go = go_rx.clone();
        let server = p.node.unwrap_or(args.server);
        let stop_at = stop_at.clone();
        let seed = (proc_index * 1_000_003 + k) as u64;
        let mix = args.mix.for_game(p.game);
        tasks.push(tokio::spawn(async move {
            // As a real client does: a refused hello (the server is busy with everyone
            // connecting at once) is retried with a back-off.
            let mut tries = 0;
            let ws = loop {
                let room = relay.then_some(p.game);
                match connect(server, local, &p.token, room).await {
                    Ok(ws) => break ws,
                    Err(e) if tries < 8 => {
                        tries += 1;
                        let wait = 250u64 << tries.min(5);
                        tokio::time::sleep(Duration::from_millis(wait + seed % 250)).await;
                        let _ = e;
                    }
                    Err(e) => {
                        eprintln!("connect failed: {e:#}");
                        let _ = ready.send(false).await;
                        return;
                    }
                }
            };
            let _ = ready.send(true).await;
            let _ = go.wait_for(|g| *g).await;
            let how = Sending {
                interval,
                fixed,
                relay,
            };
            player(ws, how, seed, shared, stop_at, mix, p.faction).await;
        }));
        // Pace connection set-up a little so the server's accept queue keeps up.
        if k % 500 == 499 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    drop(ready_tx);
    let mut connected = 0;
    let mut answered = 0;
    while let Some(ok) = ready_rx.recv().await {
        answered += 1;
        connected += usize::from(ok);
        if answered == n {
            break;
        }
    }
    eprintln!("process {proc_index}: {connected} connected");
    // Idle connections' memory: read once the server has settled after the last welcome.
    let rss_connected = match args.server_pid {
        Some(pid) => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            rss_mib(pid)
        }
        None => None,
    };
    let start = Instant::now() + Duration::from_secs(args.warmup);
    *stop_at.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(start + Duration::from_secs(args.duration));
    shared
        .measure_from_us
        .store(now_us() + args.warmup * 1_000_000, Ordering::Relaxed);
    let _ = go_tx.send(true);
    let cpu_window = {
        let (from, to) = (start, start + Duration::from_secs(args.duration));
        let pid = args.server_pid;
        let db = args.db_cpu;
        tokio::spawn(async move {
            tokio::time::sleep_until(from.into()).await;
            let before = (cpu_ticks(pid), machine_ticks());
            let db_before = db.then(postgres_ticks);
            tokio::time::sleep_until(to.into()).await;
            let after = (cpu_ticks(pid), machine_ticks());
            let db_after = db.then(postgres_ticks);
            let secs = (to - from).as_secs_f64() * CLOCK_TICKS;
            let server = before.0.zip(after.0).map(|(b, a)| 100.0 * (a - b) / secs);
            let machine = before.1.zip(after.1).map(|(b, a)| 100.0 * (a - b) / secs);
            // Per process: a backend that started in the window counts from zero.
            let db = db_before.zip(db_after).map(|(b, a)| {
                let spent: f64 = a
                    .iter()
                    .map(|(p, t)| t - b.get(p).copied().unwrap_or(0.0))
                    .sum();
                100.0 * spent / secs
            });
            (server, machine, db)
        })
    };
    let rss_sampler = {
        let (pid, every) = (args.server_pid, args.rss_every);
        let (from, to) = (Instant::now(), start + Duration::from_secs(args.duration));
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let (Some(pid), Some(every)) = (pid, every) else {
                return samples;
            };
            let mut at = from;
            while at <= to {
                tokio::time::sleep_until(at.into()).await;
                if let Some(r) = rss_mib(pid) {
                    samples.push(((at - from).as_secs(), r));
                }
                at += Duration::from_secs(every.max(1));
            }
            samples
        })
    };
    for t in tasks {
        let _ = t.await;
    }
    let (server_cpu, machine_busy, db_cpu) = cpu_window.await.unwrap_or((None, None, None));
    let rss_samples = rss_sampler.await.unwrap_or_default();
    let (ack, ack_sent_secs) = std::mem::take(&mut *shared.ack.lock().await)
        .into_iter()
        .unzip();
    let fanout = std::mem::take(&mut *shared.fanout.lock().await);
    let echo = std::mem::take(&mut *shared.echo.lock().await);
    let warmup_ack_latencies = std::mem::take(&mut *shared.warmup_ack.lock().await);
    Ok(Measured {
        connected,
        sent: shared.sent.load(Ordering::Relaxed),
        acked: shared.acked.load(Ordering::Relaxed),
        errors: shared.errors.load(Ordering::Relaxed),
        ack_latencies: ack,
        ack_sent_secs,
        fanout_latencies: fanout,
        echo_latencies: echo,
        warmup_acked: shared.warmup_acked.load(Ordering::Relaxed),
        warmup_ack_latencies,
        server_cpu,
        machine_busy,
        db_cpu,
        rss_before_connect,
        rss_connected,
        rss_samples,
    })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A player's connection: to `/ws`, hello and welcome; or, to a relay, to room `room`.
async fn connect(
    server: SocketAddr,
    local: Option<IpAddr>,
    token: &str,
    room: Option<usize>,
) -> Result<Ws> {
    let socket = if server.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = local {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(server).await?;
    // Small frames: without this, Nagle and delayed ACKs add ~40 ms to some round trips.
    stream.set_nodelay(true)?;
    // Small buffers: with tungstenite's default 128 KiB read buffer, 7,500 client sockets
    // cost a generator process about 1 GiB.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0);
    let path = match room {
        Some(r) => format!("/room/{r}"),
        None => "/ws".to_owned(),
    };
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(
        format!("ws://{server}{path}"),
        stream,
        Some(config),
    )
    .await?;
    if room.is_some() {
        return Ok(ws);
    }
    let hello = ClientFrame::Hello {
        token: token.to_owned(),
        last_seq: None,
    };
    ws.send(Message::text(serde_json::to_string(&hello)?))
        .await?;
    // Wait for welcome.
    while let Some(msg) = ws.next().await {
        if let Message::Text(t) = msg? {
            if let Ok(ServerFrame::Welcome { .. }) = serde_json::from_str::<ServerFrame>(&t) {
                return Ok(ws);
            }
            if let Ok(ServerFrame::Error { message, .. }) = serde_json::from_str::<ServerFrame>(&t)
            {
                bail!("refused: {message}");
            }
        }
    }
    bail!("closed before welcome")
}

/// How a player sends.
#[derive(Clone, Copy)]
struct Sending {
    /// The mean gap between sends, or the exact one when `fixed`.
    interval: Duration,
    fixed: bool,
    /// To a bare relay: chat only, no acks; what comes back are the room's command frames.
    relay: bool,
}

/// Length of the chat text sent (padded), so that a command frame is about 120 bytes.
const CHAT_TEXT: usize = 40;

async fn player(
    ws: Ws,
    how: Sending,
    seed: u64,
    shared: Arc<Shared>,
    stop_at: Arc<std::sync::Mutex<Option<Instant>>>,
    mix: Mix,
    faction: String,
) {
    // The player's open proposal, learnt from its ProposalMade event, to withdraw next.
    let mut my_proposal: Option<u32> = None;
    // The orders mix: the action, its larger quantity, and the faction's standing order of it
    // (learnt from OrderSubmitted events).
    let ordered = if mix == Mix::Orders {
        order_action(&faction)
    } else {
        None
    };
    let mut standing: Option<u32> = None;
    let other = match faction.as_str() {
        "russia" => "us_nato",
        _ => "russia",
    }
    .to_owned();
    let (mut tx, mut rx) = ws.split();
    let stop = stop_at
        .lock()
        .map(|s| s.unwrap_or_else(Instant::now))
        .unwrap_or_else(|_| Instant::now());
    // Players act independently: each sends at random times (a Poisson process) whose mean
    // gap is `interval`. (Evenly spaced sends with first sends spread by player number had
    // every game's players fire within a few milliseconds of each other, every interval: a
    // burst per game that queued behind its own commits.)
    let interval = how.interval;
    let mut gaps = Gaps::new(seed, interval, how.fixed);
    let next_send = tokio::time::sleep(gaps.next());
    tokio::pin!(next_send);
    let pending: Arc<std::sync::Mutex<std::collections::HashMap<String, u64>>> = Default::default();
    let mut n = 0u64;
    // Players with a long gap before their next send stop on time all the same.
    let stop_sending = tokio::time::sleep_until(stop.into());
    tokio::pin!(stop_sending);
    loop {
        tokio::select! {
            _ = &mut stop_sending => break,
            _ = &mut next_send => {
                // A sender that fell behind (a busy machine) goes on from now, without a burst.
                let deadline = next_send.deadline().max(tokio::time::Instant::now() - interval);
                next_send.as_mut().reset(deadline + gaps.next());
                if Instant::now() >= stop {
                    break;
                }
                n += 1;
                let id = format!("{seed}-{n}");
                let sent_at = now_us();
                let mut text = format!("t={sent_at} s={seed} ");
                while text.len() < CHAT_TEXT {
                    text.push('x');
                }
                let chat = Command::Chat {
                    channel: Channel::Plenary,
                    text,
                };
                let mix = if how.relay { Mix::Chat } else { mix };
                let command = match (mix, n % 4, my_proposal.take()) {
                    (Mix::Negotiation, 1, None) => propose(&faction, &other, seed),
                    (Mix::Negotiation, 3, Some(p)) => Command::Withdraw { proposal: p },
                    (Mix::Orders, 1 | 3, _) if ordered.is_some() => {
                        let (action, high) = ordered.clone().unwrap_or_else(|| ("".into(), 1));
                        match standing {
                            Some(order) => Command::AmendOrder {
                                order,
                                quantity: if n % 8 < 4 { high } else { 1 },
                            },
                            None => Command::SubmitOrder {
                                action,
                                quantity: 1,
                                confirm_breach: true,
                            },
                        }
                    }
                    (_, _, open) => {
                        my_proposal = open;
                        chat
                    }
                };
                let cmd = ClientFrame::Command {
                    id: id.clone(),
                    command,
                };
                if !how.relay {
                    pending.lock().map(|mut p| p.insert(id, sent_at)).ok();
                }
                let Ok(text) = serde_json::to_string(&cmd) else { break };
                if tx.send(Message::text(text)).await.is_err() {
                    break;
                }
                if !shared.warming_up(sent_at) {
                    shared.sent.fetch_add(1, Ordering::Relaxed);
                }
            }
            msg = rx.next() => {
                let Some(Ok(Message::Text(t))) = msg else {
                    if msg.is_none() { break; }
                    continue;
                };
                let now = now_us();
                if how.relay {
                    // The relay echoes the room's command frames as they were sent.
                    if let Ok(ClientFrame::Command { command: Command::Chat { text, .. }, .. }) =
                        serde_json::from_str::<ClientFrame>(&t)
                    {
                        shared.chat_seen(&text, seed, now).await;
                    }
                    continue;
                }
                match serde_json::from_str::<ServerFrame>(&t) {
                    Ok(ServerFrame::Ack { id, .. }) => {
                        let sent = pending.lock().ok().and_then(|mut p| p.remove(&id));
                        if let Some(s) = sent {
                            shared.acked(s, now).await;
                        }
                    }
                    Ok(ServerFrame::Error { .. }) => {
                        shared.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(ServerFrame::Event { event: detente::engine::view::SeatEvent::ProposalMade { proposal }, .. })
                        if proposal.terms.title == proposal_title(seed) =>
                    {
                        my_proposal = Some(proposal.id);
                    }
                    Ok(ServerFrame::Event { event: detente::engine::view::SeatEvent::OrderSubmitted { faction: f, order }, .. })
                        if f.as_str() == faction && ordered.as_ref().is_some_and(|(a, _)| *a == order.action) =>
                    {
                        standing = Some(order.id);
                    }
                    Ok(ServerFrame::Event { event: detente::engine::view::SeatEvent::ChatPosted { message }, .. }) => {
                        shared.chat_seen(&message.text, seed, now).await;
                    }
                    _ => {}
                }
            }
        }
    }
    // Drain acks for a moment.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(Message::Text(t))) = rx.next().await {
            if let Ok(ServerFrame::Ack { id, .. }) = serde_json::from_str::<ServerFrame>(&t) {
                let sent = pending.lock().ok().and_then(|mut p| p.remove(&id));
                if let Some(s) = sent {
                    shared.acked(s, now_us()).await;
                }
            }
            if pending.lock().map(|p| p.is_empty()).unwrap_or(true) {
                break;
            }
        }
    })
    .await;
    let _ = tx.send(Message::Close(None)).await;
}

fn proposal_title(seed: u64) -> String {
    format!("load {seed}")
}

/// A proposal every faction may make: its own data exchange, to one other faction.
fn propose(faction: &str, other: &str, seed: u64) -> Command {
    use detente::engine::{Clause, FactionId, Terms};
    Command::Propose {
        terms: Terms {
            title: proposal_title(seed),
            parties: vec![FactionId::from(faction), FactionId::from(other)],
            clauses: vec![Clause {
                kind: "data_exchange".into(),
                by: FactionId::from(faction),
                action: None,
                var: None,
                max: None,
                to: None,
                amount: None,
            }],
            duration_rounds: 1,
            public: true,
        },
    }
}

/// Exponentially distributed gaps with a given mean: the waits between a player's sends.
/// A SplitMix64 stream seeded by the player: repeatable runs, no generator crate needed.
/// With `fixed`, the first gap is uniform in one period and every later one is the period.
struct Gaps {
    state: u64,
    mean: Duration,
    fixed: bool,
    started: bool,
}

impl Gaps {
    fn new(seed: u64, mean: Duration, fixed: bool) -> Gaps {
        Gaps {
            state: seed,
            mean,
            fixed,
            started: false,
        }
    }

    fn next(&mut self) -> Duration {
        if self.fixed && self.started {
            return self.mean;
        }
        let first = !self.started;
        self.started = true;
        let u = self.uniform();
        if self.fixed && first {
            return self.mean.mul_f64(u);
        }
        self.mean.mul_f64(-u.ln())
    }

    /// Uniform in (0, 1]: 53 random bits.
    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// An ack's latency (µs) and the Unix second its command was sent in.
fn ack_sample(sent_us: u64, now_us: u64) -> (u32, u32) {
    (
        now_us.saturating_sub(sent_us).min(u32::MAX as u64) as u32,
        (sent_us / 1_000_000) as u32,
    )
}

fn percentile(v: &mut [u32], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    f64::from(v[i]) / 1000.0
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// User + system CPU time of each `postgres` process on the machine, in clock ticks.
fn postgres_ticks() -> std::collections::HashMap<u32, f64> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            if let Some(t) = cpu_ticks(Some(pid)) {
                out.insert(pid, t);
            }
        }
    }
    out
}

/// Busy CPU time of the whole machine (all cores, not idle or waiting for I/O), in clock ticks.
fn machine_ticks() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<f64> = cpu
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let total: f64 = v.iter().take(8).sum();
    Some(total - v.get(3)? - v.get(4)?)
}

/// Clock ticks per second of /proc's CPU times: Linux's USER_HZ, 100 (`getconf CLK_TCK`).
const CLOCK_TICKS: f64 = 100.0;

fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn report(args: &Args, mut m: Measured) -> Result<()> {
    // Before the latencies are sorted for the percentiles below: pairs with the send times.
    let mut timeline = String::new();
    if args.timeline {
        let mut by_second: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
        for (lat, sec) in m.ack_latencies.iter().zip(&m.ack_sent_secs) {
            by_second.entry(*sec).or_default().push(*lat);
        }
        let first = by_second.keys().next().copied().unwrap_or(0);
        timeline.push_str("second   acked   p50 ms   p99 ms   max ms\n");
        for (sec, mut v) in by_second {
            timeline.push_str(&format!(
                "{:>6} {:>7} {:>8.2} {:>8.2} {:>8.2}\n",
                sec - first,
                v.len(),
                percentile(&mut v, 0.5),
                percentile(&mut v, 0.99),
                percentile(&mut v, 1.0)
            ));
        }
    }
    // Acks that arrive in the drain after the window still count: they were sent in it.
    let rate = m.acked as f64 / (args.duration as f64).max(1e-9);
    let rss = args.server_pid.and_then(rss_mib);
    // With several processes, each opened its connections while the others did: no clean
    // before and after.
    let kib_per_connection = match (m.rss_before_connect, m.rss_connected) {
        (Some(b), Some(a)) if args.processes <= 1 && m.connected > 0 => {
            Some((a - b) * 1024.0 / m.connected as f64)
        }
        _ => None,
    };
    if args.json {
        let echoed = m.echo_latencies.len();
        let summary = serde_json::json!({
            "connections": m.connected,
            "sent": m.sent,
            "acked": m.acked,
            "errors": m.errors,
            "acked_per_sec": rate,
            "echoed": echoed,
            "echoed_per_sec": echoed as f64 / (args.duration as f64).max(1e-9),
            "echo_p50_ms": percentile(&mut m.echo_latencies, 0.5),
            "echo_p99_ms": percentile(&mut m.echo_latencies, 0.99),
            "echo_max_ms": percentile(&mut m.echo_latencies, 1.0),
            "ack_p50_ms": percentile(&mut m.ack_latencies, 0.5),
            "ack_p99_ms": percentile(&mut m.ack_latencies, 0.99),
            "fanout_p99_ms": percentile(&mut m.fanout_latencies, 0.99),
            "server_cpu": m.server_cpu,
            "db_cpu": m.db_cpu,
            "machine_busy": m.machine_busy,
            "server_rss_mib": rss,
            "server_rss_before_connect_mib": m.rss_before_connect,
            "server_rss_connected_mib": m.rss_connected,
            "kib_per_idle_connection": kib_per_connection,
            "server_rss_samples": m.rss_samples,
        });
        println!("{summary}");
        return Ok(());
    }
    println!("connections      {} of {}", m.connected, args.connections);
    println!("games            {} ({:?} mix)", args.games, args.mix);
    match args.period_ms {
        Some(p) => println!(
            "target rate      every player every {p} ms ({:.0} commands/s)",
            args.connections as f64 * 1000.0 / p.max(1) as f64
        ),
        None => println!("target rate      {:.0} commands/s", args.rate),
    }
    println!(
        "achieved rate    {rate:.0} acked commands/s over {} s",
        args.duration
    );
    println!(
        "sent / acked     {} / {} ({} errors)",
        m.sent, m.acked, m.errors
    );
    println!(
        "ack latency      p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        percentile(&mut m.ack_latencies, 0.5),
        percentile(&mut m.ack_latencies, 0.99),
        percentile(&mut m.ack_latencies, 1.0)
    );
    println!(
        "fan-out latency  p50 {:.2} ms   p99 {:.2} ms   ({} deliveries)",
        percentile(&mut m.fanout_latencies, 0.5),
        percentile(&mut m.fanout_latencies, 0.99),
        m.fanout_latencies.len()
    );
    if args.warmup > 0 {
        println!(
            "warm-up          {} s before the window, not counted above: {} acked, p99 {:.2} ms, max {:.2} ms",
            args.warmup,
            m.warmup_acked,
            percentile(&mut m.warmup_ack_latencies, 0.99),
            percentile(&mut m.warmup_ack_latencies, 1.0)
        );
    }
    println!(
        "echo latency     p50 {:.2} ms   p99 {:.2} ms   ({} own messages back)",
        percentile(&mut m.echo_latencies, 0.5),
        percentile(&mut m.echo_latencies, 0.99),
        m.echo_latencies.len()
    );
    if let Some(db) = m.db_cpu {
        println!("Postgres CPU     {db:.0} % of one core (all postgres processes)");
    }
    if let Some(busy) = m.machine_busy {
        let server = m
            .server_cpu
            .map(|c| format!("server {c:.0} %, "))
            .unwrap_or_default();
        println!(
            "CPU (window)     {server}whole machine {busy:.0} % busy (% of one core; {} cores)",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    print!("{timeline}");
    if let Some(pid) = args.server_pid {
        match rss {
            Some(r) => println!("server RSS       {r:.1} MiB"),
            None => println!("server RSS       unknown (no /proc/{pid})"),
        }
    }
    if let (Some(b), Some(a), Some(k)) = (m.rss_before_connect, m.rss_connected, kib_per_connection)
    {
        println!("idle connections server RSS {b:.1} MiB before, {a:.1} MiB once connected: {k:.1} KiB each");
    }
    if !m.rss_samples.is_empty() {
        m.rss_samples.sort_by_key(|s| s.0);
        let line: Vec<String> = m
            .rss_samples
            .iter()
            .map(|(t, r)| format!("{t} s {r:.0}"))
            .collect();
        println!("server RSS (MiB) {}", line.join(", "));
    }
    Ok(())
}

/// `--class N`: a class of N students joins over `--class-join-secs`, is started, and every
/// student connects; the teacher's console (a class connection) is timed against each change:
/// how long after a join's answer the console's roster counts it, and how long after a
/// student's welcome the console's table shows them connected.
async fn class_run(args: &Args, students: usize) -> Result<()> {
    let created = http_post(
        args,
        "/api/classes",
        &serde_json::json!({"name": "Load class", "bots_for_gaps": "dove",
                            "deadlines": {"briefing": 600, "negotiation": 600, "orders": 600, "review": 600}}),
    )
    .await?;
    let class_id = created["class_id"].as_str().context("class id")?.to_owned();
    let code = created["join_code"].as_str().context("code")?.to_owned();
    let teacher = created["teacher_token"]
        .as_str()
        .context("teacher token")?
        .to_owned();

    // The console: every roster and table frame with the time it came.
    let mut console = connect_class(args.server, &teacher).await?;
    let frames: Arc<std::sync::Mutex<Vec<(u64, serde_json::Value)>>> = Arc::default();
    let sink = frames.clone();
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = console.next().await {
            if let Message::Text(t) = msg {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t) {
                    sink.lock().map(|mut f| f.push((now_us(), v))).ok();
                }
            }
        }
    });

    // Joins, evenly spread over the window.
    let gap = Duration::from_secs_f64(args.class_join_secs as f64 / students.max(1) as f64);
    let t0 = tokio::time::Instant::now();
    let mut joins = Vec::with_capacity(students);
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..students {
        tokio::time::sleep_until(t0 + gap * k as u32).await;
        let (args2, code) = (args.clone(), code.clone());
        tasks.spawn(async move {
            let sent = now_us();
            let r = http_post(
                &args2,
                "/api/classes/join",
                &serde_json::json!({"code": code, "name": format!("Student {k}")}),
            )
            .await;
            (k, sent, now_us(), r)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (k, sent, answered, r) = done?;
        let r = r?;
        let token = r["student_token"]
            .as_str()
            .with_context(|| format!("join {k}: {r}"))?
            .to_owned();
        let id = r["student_id"].as_str().context("student id")?.to_owned();
        joins.push((sent, answered - sent, token, id));
    }
    let join_secs = t0.elapsed().as_secs_f64();
    joins.sort_by_key(|j| j.0);
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Roster: the i-th join shows once a roster frame counts at least i students; timed from
    // when its request was sent (the console may count it before the answer is read).
    let roster_lat = {
        let f = frames.lock().map_err(|_| anyhow!("lock"))?;
        let rosters: Vec<(u64, u64)> = f
            .iter()
            .filter(|(_, v)| v["type"] == "class_roster")
            .map(|(t, v)| (*t, v["students"].as_u64().unwrap_or(0)))
            .collect();
        let mut lat = Vec::new();
        for (i, (sent, ..)) in joins.iter().enumerate() {
            let seen = rosters
                .iter()
                .find(|(t, n)| *n as usize > i && *t >= *sent)
                .map(|(t, _)| t.saturating_sub(*sent));
            lat.push(seen.map_or(u32::MAX, |us| us as u32));
        }
        lat
    };

    // Start, then every student connects; which table each sits at comes from the start.
    let t_start = Instant::now();
    let path = format!("/api/classes/{class_id}/start");
    let started = post_as(args.server, &path, None, Some(&teacher)).await?;
    let start_ms = t_start.elapsed().as_secs_f64() * 1000.0;
    let mut table_of: std::collections::HashMap<String, u64> = Default::default();
    for t in started["tables"].as_array().context("tables")? {
        let n = t["table"].as_u64().unwrap_or(0);
        for ids in t["teams"].as_object().context("teams")?.values() {
            for id in ids.as_array().into_iter().flatten() {
                table_of.insert(id.as_str().unwrap_or("").to_owned(), n);
            }
        }
    }
    let tables = started["games"].as_array().map_or(0, Vec::len);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut sockets = Vec::with_capacity(students);
    let mut welcomed: Vec<(u64, u64)> = Vec::with_capacity(students);
    let connect_gap = Duration::from_millis(20);
    for (_, _, token, id) in &joins {
        // Timed from the connection's start: the console may show it before the welcome
        // is read.
        let at = now_us();
        let ws = connect(args.server, None, token, None).await?;
        welcomed.push((at, table_of.get(id).copied().unwrap_or(0)));
        sockets.push(ws);
        tokio::time::sleep(connect_gap).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Each welcome shows once its table's status counts as many connected as had connected
    // to that table by then.
    let connect_lat = {
        let f = frames.lock().map_err(|_| anyhow!("lock"))?;
        let statuses: Vec<(u64, u64, u64)> = f
            .iter()
            .filter(|(_, v)| v["type"] == "class_table")
            .map(|(t, v)| {
                let connected = v["status"]["factions"].as_array().map_or(0, |fs| {
                    fs.iter().filter_map(|f| f["connected"].as_u64()).sum()
                });
                (*t, v["table"].as_u64().unwrap_or(0), connected)
            })
            .collect();
        let mut so_far: std::collections::HashMap<u64, u64> = Default::default();
        let mut lat = Vec::new();
        for (at, table) in &welcomed {
            let n = so_far.entry(*table).or_default();
            *n += 1;
            let seen = statuses
                .iter()
                .find(|(t, tb, c)| tb == table && *c >= *n && *t >= *at)
                .map(|(t, ..)| t.saturating_sub(*at));
            lat.push(seen.map_or(u32::MAX, |us| us as u32));
        }
        lat
    };
    let frames_seen = frames.lock().map(|f| f.len()).unwrap_or(0);
    reader.abort();
    drop(sockets);
    let mut join_lat: Vec<u32> = joins.iter().map(|j| j.1 as u32).collect();
    let (mut roster_lat, mut connect_lat) = (roster_lat, connect_lat);
    let ms = |v: &mut [u32], p: f64| percentile(v, p / 100.0);
    let missed = |v: &[u32]| v.iter().filter(|x| **x == u32::MAX).count();
    let out = serde_json::json!({
        "students": students,
        "tables": tables,
        "join_window_s": args.class_join_secs,
        "joins_done_s": join_secs,
        "join_ms": {"p50": ms(&mut join_lat, 50.0), "p99": ms(&mut join_lat, 99.0), "max": ms(&mut join_lat, 100.0)},
        "roster_shown_ms": {"p50": ms(&mut roster_lat, 50.0), "p99": ms(&mut roster_lat, 99.0),
                            "max": ms(&mut roster_lat, 100.0), "never": missed(&roster_lat)},
        "start_ms": start_ms,
        "connection_shown_ms": {"p50": ms(&mut connect_lat, 50.0), "p99": ms(&mut connect_lat, 99.0),
                                "max": ms(&mut connect_lat, 100.0), "never": missed(&connect_lat)},
        "console_frames": frames_seen,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// A class connection with the teacher's token, after its `class_welcome`.
async fn connect_class(server: SocketAddr, token: &str) -> Result<Ws> {
    let stream = tokio::net::TcpStream::connect(server).await?;
    stream.set_nodelay(true)?;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{server}/ws"), stream).await?;
    let hello = ClientFrame::Hello {
        token: token.to_owned(),
        last_seq: None,
    };
    ws.send(Message::text(serde_json::to_string(&hello)?))
        .await?;
    while let Some(msg) = ws.next().await {
        if let Message::Text(t) = msg? {
            if let Ok(ServerFrame::ClassWelcome { .. }) = serde_json::from_str::<ServerFrame>(&t) {
                return Ok(ws);
            }
        }
    }
    bail!("closed before class_welcome")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gaps between a player's sends average the interval asked for, as exponential gaps
    /// do (their standard deviation equals their mean), and differ between players.
    #[test]
    fn gaps_are_exponential_with_the_mean_asked_for() {
        let mean = Duration::from_millis(200);
        let mut gaps = Gaps::new(7, mean, false);
        let xs: Vec<f64> = (0..100_000).map(|_| gaps.next().as_secs_f64()).collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt();
        assert!((m - 0.2).abs() < 0.004, "mean {m}");
        assert!((sd - 0.2).abs() < 0.006, "standard deviation {sd}");
        assert!(xs.iter().all(|x| *x >= 0.0 && x.is_finite()));
        let mut other = Gaps::new(8, mean, false);
        assert_ne!(Gaps::new(7, mean, false).next(), other.next());
    }

    /// Fixed gaps: a first one somewhere in the period (players spread out), then exactly the
    /// period.
    #[test]
    fn fixed_gaps_spread_the_first_send_then_keep_the_period() {
        let period = Duration::from_millis(100);
        let firsts: Vec<Duration> = (0..1000)
            .map(|seed| Gaps::new(seed, period, true).next())
            .collect();
        assert!(firsts.iter().all(|d| *d <= period));
        assert!(
            firsts.iter().any(|d| *d < period / 4) && firsts.iter().any(|d| *d > period * 3 / 4)
        );
        let mut g = Gaps::new(3, period, true);
        g.next();
        assert!((0..100).all(|_| g.next() == period));
    }

    /// The sender's own message back is an echo; another's is a fan-out delivery; warm-up
    /// messages count as neither.
    #[tokio::test]
    async fn chat_coming_back_is_sorted_into_echo_and_fanout() {
        let shared = Shared {
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            ack: Mutex::new(Vec::new()),
            fanout: Mutex::new(Vec::new()),
            echo: Mutex::new(Vec::new()),
            measure_from_us: AtomicU64::new(1_000),
            warmup_acked: AtomicU64::new(0),
            warmup_ack: Mutex::new(Vec::new()),
        };
        shared.chat_seen("t=2000 s=7 xxxx", 7, 2_500).await;
        shared.chat_seen("t=2000 s=8 xxxx", 7, 2_900).await;
        shared.chat_seen("t=500 s=7 xxxx", 7, 2_900).await;
        shared.chat_seen("hello", 7, 2_900).await;
        assert_eq!(*shared.echo.lock().await, vec![500]);
        assert_eq!(*shared.fanout.lock().await, vec![900]);
    }

    /// CPU times come from /proc: this process has some, the machine has some.
    #[test]
    fn cpu_times_are_read_from_proc() {
        assert!(cpu_ticks(Some(std::process::id())).is_some());
        assert!(machine_ticks().is_some_and(|t| t > 0.0));
        assert!(cpu_ticks(None).is_none());
    }
}
