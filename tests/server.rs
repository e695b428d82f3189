//! End-to-end tests of the game server: the real server, in process on 127.0.0.1:0 (or the real
//! `detente` binary as a child process), real WebSocket clients (tokio-tungstenite) and a tiny
//! HTTP/1.1 client, against a fresh SQLite file or a fresh Postgres database per test.
//!
//! Postgres: `DETENTE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! each test makes its own database `detente_test_<uuid>` and drops it. When no Postgres is
//! reachable the Postgres tests print `SKIPPED …` and pass, unless `CI` is set: then they fail.
//!
//! Games are created without deadlines so that only the tests move them on.

use detente::config::{LogFormat, ServeConfig};
use detente::engine::view::{SeatEvent, SeatReport, SeatView};
use detente::engine::{Channel, FactionId, Phase, Seat};
use detente::protocol::ServerFrame;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

/// Longest wait for any single frame or answer.
const RECV: Duration = Duration::from_secs(10);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

// ---------------------------------------------------------------------------------------------
// Databases and the server
// ---------------------------------------------------------------------------------------------

/// A fresh database for one test.
enum Db {
    /// A SQLite file in its own temporary directory.
    Sqlite { dir: PathBuf },
    /// A database of its own on a Postgres server.
    Postgres { admin: String, name: String },
}

impl Db {
    fn sqlite() -> Db {
        let dir = std::env::temp_dir().join(format!("detente-e2e-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Db::Sqlite { dir }
    }

    /// A fresh Postgres database, or `None` (with a visible notice) when no server is
    /// reachable and `CI` is unset. Under CI an unreachable server fails the test.
    async fn postgres(test: &str) -> Option<Db> {
        use sqlx::Connection;
        let admin = std::env::var("DETENTE_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var_os("CI").is_some() {
                    panic!("{test}: Postgres is required under CI but {admin} is unreachable: {e}");
                }
                eprintln!(
                    "SKIPPED {test}: no Postgres at {admin} ({e}); set DETENTE_TEST_POSTGRES"
                );
                return None;
            }
        };
        let name = format!("detente_test_{}", Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        Some(Db::Postgres { admin, name })
    }

    fn url(&self) -> String {
        match self {
            Db::Sqlite { dir } => format!("sqlite://{}", dir.join("detente.db").display()),
            Db::Postgres { admin, name } => match admin.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("DETENTE_TEST_POSTGRES must end with /DATABASE: {admin}"),
            },
        }
    }

    async fn cleanup(self) {
        match self {
            Db::Sqlite { dir } => {
                std::fs::remove_dir_all(dir).ok();
            }
            Db::Postgres { admin, name } => {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            }
        }
    }
}

/// A server running in this process.
struct App {
    addr: SocketAddr,
    db: Db,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Starts the real server on 127.0.0.1:0 against `db` and waits until it is ready.
async fn spawn_app(db: Db) -> App {
    spawn_app_idle(db, 300).await
}

/// As [`spawn_app`], with games leaving memory after `idle_secs` unwatched.
async fn spawn_app_idle(db: Db, idle_secs: u64) -> App {
    spawn_app_with(db, |c| c.idle_secs = idle_secs).await
}

/// As [`spawn_app`], with settings changed by `adjust`.
async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut ServeConfig)) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let config = ServeConfig {
        addr,
        database_url: Some(db.url()),
        allowed_origins: Vec::new(),
        admin_token: None,
        log_format: LogFormat::Text,
        idle_secs: 300,
        web_dir: None,
        max_connections: 18_000,
        scenarios: Vec::new(),
        public_url: None,
        command_retention_days: 7,
    };
    let mut config = config;
    adjust(&mut config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(detente::serve::serve(config, listener, async move {
        let _ = stopped.await;
    }));
    let start = Instant::now();
    loop {
        assert!(!task.is_finished(), "the server stopped while starting");
        if let Ok((200, _)) = try_http(addr, "GET", "/readyz", None, None).await {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server not ready after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    App {
        addr,
        db,
        stop,
        task,
    }
}

impl App {
    /// Shuts the server down gracefully and hands back its database.
    async fn stop(self) -> Db {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops within 10 s")
            .expect("server task")
            .expect("server exits cleanly");
        self.db
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// One HTTP/1.1 request; the status and the body (JSON when it parses, else a string).
async fn try_http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    bearer: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    let mut s = TcpStream::connect(addr).await?;
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    if let Some(t) = bearer {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(RECV, s.read_to_end(&mut buf))
        .await
        .map_err(|_| std::io::Error::other("HTTP response timed out"))??;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no HTTP head in {text:?}")))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    Ok((status, value))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    bearer: Option<&str>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    try_http(addr, method, path, body.as_deref(), bearer)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

struct GameInfo {
    id: String,
    code: String,
    control_token: String,
}

/// Creates a game without deadlines (only the test moves it on), started at once unless
/// `extra` says otherwise.
async fn create_game(addr: SocketAddr, extra: Value) -> GameInfo {
    let mut body = json!({
        "name": "White cell",
        "seed": 42,
        "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0},
        "start": "now",
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, created) = http(addr, "POST", "/api/games", Some(&body), None).await;
    assert_eq!(status, 201, "create game: {created}");
    let code = created["join_code"].as_str().expect("join_code").to_owned();
    assert_eq!(code.len(), 6, "{created}");
    assert!(
        code.bytes()
            .all(|b| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(&b)),
        "join code of unambiguous characters: {code}"
    );
    GameInfo {
        id: created["game_id"].as_str().expect("game_id").to_owned(),
        code,
        control_token: created["control_token"]
            .as_str()
            .expect("control_token")
            .to_owned(),
    }
}

/// Joins as a faction; the seat token.
async fn join(addr: SocketAddr, code: &str, name: &str, faction: &str) -> String {
    let body = json!({"code": code, "name": name, "faction": faction});
    let (status, joined) = http(addr, "POST", "/api/join", Some(&body), None).await;
    assert_eq!(status, 201, "join as {faction}: {joined}");
    assert_eq!(
        joined["seat"],
        json!({"role": "faction", "faction": faction})
    );
    joined["seat_token"]
        .as_str()
        .expect("seat_token")
        .to_owned()
}

async fn join_observer(addr: SocketAddr, code: &str, name: &str) -> String {
    let body = json!({"code": code, "name": name, "observer": true});
    let (status, joined) = http(addr, "POST", "/api/join", Some(&body), None).await;
    assert_eq!(status, 201, "join as observer: {joined}");
    assert_eq!(joined["seat"], json!({"role": "observer"}));
    joined["seat_token"]
        .as_str()
        .expect("seat_token")
        .to_owned()
}

/// The game's current sequence and the caller's view, over REST.
async fn summary(addr: SocketAddr, game: &str, token: &str) -> (i64, SeatView) {
    let (status, body) = http(
        addr,
        "GET",
        &format!("/api/games/{game}"),
        None,
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "summary: {body}");
    let seq = body["seq"].as_i64().expect("seq");
    let view = serde_json::from_value(body["view"].clone()).expect("a seat view");
    (seq, view)
}

// ---------------------------------------------------------------------------------------------
// WebSocket clients
// ---------------------------------------------------------------------------------------------

async fn ws_connect(addr: SocketAddr) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("WebSocket connect");
    ws
}

/// Reads until the server closes; the text frames before and the close code (`None` when the
/// connection ended without a close frame).
async fn read_until_close(ws: &mut Ws, within: Duration) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => panic!("connection still open after {within:?}; frames: {frames:?}"),
            Ok(None) => return (frames, None),
            Ok(Some(Err(_))) => return (frames, None),
            Ok(Some(Ok(Message::Close(c)))) => return (frames, c.map(|c| u16::from(c.code))),
            Ok(Some(Ok(Message::Text(t)))) => {
                frames.push(serde_json::from_str(&t).expect("server frames are JSON"))
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// A player's (or Control's) connection: says hello, keeps every frame it receives (across
/// reconnects), checks that event sequences increase, sends commands with fresh ids.
struct Client {
    label: String,
    addr: SocketAddr,
    token: String,
    seat: Seat,
    ws: Option<Ws>,
    /// Every frame received, raw and parsed, in order.
    frames: Vec<(String, ServerFrame)>,
    /// The sequence this client is up to: the last event received, or the welcome's.
    seen: i64,
    /// `last_seq` sent in the current connection's hello.
    resumed_from: Option<i64>,
    last_ack: i64,
    next_id: u32,
}

impl Client {
    async fn connect(addr: SocketAddr, label: &str, token: &str) -> Client {
        let mut c = Client {
            label: label.to_owned(),
            addr,
            token: token.to_owned(),
            seat: Seat::System,
            ws: None,
            frames: Vec::new(),
            seen: 0,
            resumed_from: None,
            last_ack: 0,
            next_id: 0,
        };
        c.hello(None).await;
        c
    }

    /// Opens a connection and says hello; returns the welcome.
    async fn hello(&mut self, last_seq: Option<i64>) -> ServerFrame {
        self.ws = Some(ws_connect(self.addr).await);
        self.resumed_from = last_seq;
        let mut hello = json!({"type": "hello", "token": self.token});
        if let Some(l) = last_seq {
            hello["last_seq"] = json!(l);
        }
        self.send_text(&hello.to_string()).await;
        let welcome = self.recv().await;
        match &welcome {
            ServerFrame::Welcome { you, view, .. } => {
                self.seat = you.seat.clone();
                if let Some(v) = view {
                    assert_eq!(v.seat, you.seat, "{}: the view is the seat's", self.label);
                }
            }
            other => panic!("{}: expected welcome, got {other:?}", self.label),
        }
        welcome
    }

    async fn disconnect(&mut self) {
        if let Some(mut ws) = self.ws.take() {
            let _ = ws.close(None).await;
        }
    }

    /// Reconnects, resuming from the last sequence seen when `resume`.
    async fn reconnect(&mut self, resume: bool) -> ServerFrame {
        self.disconnect().await;
        let from = resume.then_some(self.seen);
        self.hello(from).await
    }

    fn ws(&mut self) -> &mut Ws {
        let label = &self.label;
        self.ws
            .as_mut()
            .unwrap_or_else(|| panic!("{label}: not connected"))
    }

    async fn send_text(&mut self, text: &str) {
        let label = self.label.clone();
        self.ws()
            .send(Message::text(text.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("{label}: send failed: {e}"));
    }

    /// The next frame (pings and pongs of the WebSocket layer are skipped).
    async fn recv(&mut self) -> ServerFrame {
        let label = self.label.clone();
        let text = loop {
            let next = tokio::time::timeout(RECV, self.ws().next())
                .await
                .unwrap_or_else(|_| panic!("{label}: no frame within {RECV:?}"));
            match next {
                Some(Ok(Message::Text(t))) => break t.to_string(),
                Some(Ok(Message::Close(c))) => panic!("{label}: the server closed: {c:?}"),
                Some(Ok(Message::Binary(_))) => panic!("{label}: binary frame"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("{label}: connection failed: {e}"),
                None => panic!("{label}: connection ended"),
            }
        };
        let frame: ServerFrame = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{label}: unreadable frame {text}: {e}"));
        match &frame {
            ServerFrame::Event { seq, .. } => {
                assert!(
                    *seq > self.seen,
                    "{label}: event {seq} after {}: sequences must increase, no repeats",
                    self.seen
                );
                self.seen = *seq;
            }
            ServerFrame::Welcome { seq, view, .. } => {
                self.seen = match (view, self.resumed_from) {
                    (Some(_), _) => *seq,
                    (None, Some(from)) => {
                        assert!(
                            *seq >= from,
                            "{label}: welcome {seq} behind last_seq {from}"
                        );
                        from
                    }
                    (None, None) => panic!("{label}: a welcome without view to a fresh hello"),
                };
            }
            _ => {}
        }
        self.frames.push((text, frame.clone()));
        frame
    }

    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}-{}", self.label, self.next_id)
    }

    /// Sends a command with `id` and waits for its answer, collecting events meanwhile.
    async fn send_command(&mut self, id: &str, command: &Value) -> ServerFrame {
        let frame = json!({"type": "command", "id": id, "command": command});
        self.send_text(&frame.to_string()).await;
        self.answer(id).await
    }

    async fn answer(&mut self, id: &str) -> ServerFrame {
        loop {
            let f = self.recv().await;
            match &f {
                ServerFrame::Ack { id: i, .. } | ServerFrame::Error { id: Some(i), .. }
                    if i == id =>
                {
                    return f
                }
                ServerFrame::Ack { .. } | ServerFrame::Error { .. } => {
                    panic!("{}: unexpected answer waiting for {id}: {f:?}", self.label)
                }
                _ => {}
            }
        }
    }

    /// A fresh command that must be acknowledged; its sequence.
    async fn ok(&mut self, command: Value) -> i64 {
        let id = self.fresh_id();
        match self.send_command(&id, &command).await {
            ServerFrame::Ack { seq, .. } => {
                assert!(
                    seq > self.last_ack,
                    "{}: ack {seq} after ack {}: sequences increase",
                    self.label,
                    self.last_ack
                );
                self.last_ack = seq;
                seq
            }
            other => panic!("{}: {command} refused: {other:?}", self.label),
        }
    }

    /// A fresh command that must be refused; the error code.
    async fn refused(&mut self, command: Value) -> String {
        let id = self.fresh_id();
        match self.send_command(&id, &command).await {
            ServerFrame::Error {
                code, retryable, ..
            } => {
                assert!(!retryable, "{}: {code} is not retryable", self.label);
                code
            }
            other => panic!("{}: {command} was accepted: {other:?}", self.label),
        }
    }

    /// The next error frame (a frame-level error has no id).
    async fn next_error(&mut self) -> (Option<String>, String) {
        loop {
            match self.recv().await {
                ServerFrame::Error { id, code, .. } => return (id, code),
                ServerFrame::Ack { .. } => panic!("{}: unexpected ack", self.label),
                _ => {}
            }
        }
    }

    /// Round trip with `ping`: the connection is alive and answers.
    async fn ping(&mut self) {
        self.send_text(r#"{"type":"ping"}"#).await;
        loop {
            match self.recv().await {
                ServerFrame::Pong {} => return,
                ServerFrame::Ack { .. } | ServerFrame::Error { .. } => {
                    panic!("{}: unexpected answer to ping", self.label)
                }
                _ => {}
            }
        }
    }

    /// Reads until this client has received sequence `seq` (or later).
    async fn wait_seq(&mut self, seq: i64) {
        while self.seen < seq {
            self.recv().await;
        }
    }

    /// Every event received: (sequence, event).
    fn events(&self) -> impl Iterator<Item = (i64, &SeatEvent)> + '_ {
        self.frames.iter().filter_map(|(_, f)| match f {
            ServerFrame::Event { seq, event } => Some((*seq, event)),
            _ => None,
        })
    }

    fn has_event(&self, pred: impl Fn(&SeatEvent) -> bool) -> bool {
        self.events().any(|(_, e)| pred(e))
    }
}

/// Control posts in the plenary, which every seat reads: once every client has that message,
/// each has every earlier event it may see.
async fn barrier(control: &mut Client, others: &mut [&mut Client]) -> i64 {
    let seq = control.ok(chat(plenary(), "barrier")).await;
    control.wait_seq(seq).await;
    for c in others.iter_mut() {
        c.wait_seq(seq).await;
    }
    seq
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

fn plenary() -> Value {
    json!({"kind": "plenary"})
}
fn bilateral(a: &str, b: &str) -> Value {
    json!({"kind": "bilateral", "factions": [a, b]})
}
fn team(f: &str) -> Value {
    json!({"kind": "team", "faction": f})
}
fn control_channel(f: &str) -> Value {
    json!({"kind": "control", "faction": f})
}
fn chat(channel: Value, text: &str) -> Value {
    json!({"type": "chat", "channel": channel, "text": text})
}
fn advance() -> Value {
    json!({"type": "advance_phase"})
}
fn ready() -> Value {
    json!({"type": "ready"})
}
fn order(action: &str, quantity: u32) -> Value {
    json!({"type": "submit_order", "action": action, "quantity": quantity})
}
fn propose(title: &str, parties: &[&str], clauses: Value, public: bool) -> Value {
    json!({"type": "propose", "terms": {
        "title": title, "parties": parties, "clauses": clauses,
        "duration_rounds": 2, "public": public,
    }})
}

fn faction(f: &str) -> Seat {
    Seat::Faction(FactionId::new(f))
}

/// A marker string that cannot occur by accident or as part of another marker.
fn marker(name: &str) -> String {
    format!("[[{name}]]")
}

/// The latest proposal `c` has seen made up to sequence `seq`.
fn proposal_at(c: &Client, seq: i64) -> u32 {
    c.events()
        .filter(|(s, _)| *s <= seq)
        .filter_map(|(_, e)| match e {
            SeatEvent::ProposalMade { proposal } => Some(proposal.id),
            _ => None,
        })
        .last()
        .unwrap_or_else(|| panic!("{}: no proposal up to {seq}", c.label))
}

// ---------------------------------------------------------------------------------------------
// Secrecy: what each seat may see, checked independently of the server's view function
// ---------------------------------------------------------------------------------------------

fn may_read(seat: &Seat, channel: &Channel) -> bool {
    match (seat, channel) {
        (Seat::Control, _) => true,
        (_, Channel::Plenary) => true,
        (Seat::Faction(f), Channel::Bilateral { factions }) => factions.contains(f),
        (Seat::Faction(f), Channel::Team { faction }) => faction == f,
        (Seat::Faction(f), Channel::Control { faction }) => faction == f,
        _ => false,
    }
}

/// A marker only `faction`'s seats (and Control) may read: text posted in its team channel.
fn team_only(marker: &str, faction: &str) -> (String, Vec<Seat>) {
    (
        marker.to_owned(),
        vec![Seat::Faction(FactionId::from(faction))],
    )
}

struct Secrets {
    /// Marker → the seats that may read it besides Control.
    markers: Vec<(String, Vec<Seat>)>,
    /// Every proposal's parties (from Control's frames).
    proposals: BTreeMap<u32, Vec<FactionId>>,
}

impl Secrets {
    fn from_control(control: &Client, markers: Vec<(String, Vec<Seat>)>) -> Secrets {
        let proposals = control
            .events()
            .filter_map(|(_, e)| match e {
                SeatEvent::ProposalMade { proposal } => {
                    Some((proposal.id, proposal.terms.parties.clone()))
                }
                _ => None,
            })
            .collect();
        Secrets { markers, proposals }
    }

    /// Checks every frame `label` (holding `seat`) received. `complete`: the seat must also
    /// have received every marker it may read.
    fn check(&self, label: &str, seat: &Seat, frames: &[(String, ServerFrame)], complete: bool) {
        let control = *seat == Seat::Control;
        for (raw, frame) in frames {
            self.check_text(label, seat, raw);
            match frame {
                ServerFrame::Welcome { view: Some(v), .. } => self.check_view(label, seat, v),
                ServerFrame::Event { event, seq } => self.check_event(label, seat, *seq, event),
                _ => {}
            }
        }
        if complete {
            for (m, readers) in &self.markers {
                if control || readers.contains(seat) {
                    assert!(
                        frames.iter().any(|(raw, _)| raw.contains(m.as_str())),
                        "{label} never received {m}, which it may see"
                    );
                }
            }
        }
    }

    /// No marker `seat` may not read occurs in `raw`.
    fn check_text(&self, label: &str, seat: &Seat, raw: &str) {
        for (m, readers) in &self.markers {
            if *seat != Seat::Control && !readers.contains(seat) {
                assert!(
                    !raw.contains(m.as_str()),
                    "{label} received {m}, which it may not see: {raw}"
                );
            }
        }
    }

    fn parties(&self, id: u32) -> &[FactionId] {
        self.proposals
            .get(&id)
            .unwrap_or_else(|| panic!("proposal {id} unknown to Control"))
    }

    fn check_event(&self, label: &str, seat: &Seat, seq: i64, e: &SeatEvent) {
        let control = *seat == Seat::Control;
        let me = seat.faction();
        let own = |f: &FactionId| control || me == Some(f);
        let party = |p: &[FactionId]| control || me.is_some_and(|m| p.contains(m));
        let ok = match e {
            SeatEvent::ChatPosted { message } => may_read(seat, &message.channel),
            SeatEvent::ProposalMade { proposal } => party(&proposal.terms.parties),
            SeatEvent::ProposalAccepted { proposal, .. }
            | SeatEvent::ProposalRejected { proposal, .. }
            | SeatEvent::ProposalCountered { proposal, .. }
            | SeatEvent::ProposalWithdrawn { proposal } => party(self.parties(*proposal)),
            SeatEvent::ProposalsExpired { proposals } => {
                proposals.iter().all(|p| party(self.parties(*p)))
            }
            SeatEvent::AgreementSigned { agreement, purses } => {
                (agreement.terms.public || party(&agreement.terms.parties))
                    && purses.keys().all(own)
            }
            SeatEvent::OrderSubmitted { faction, .. }
            | SeatEvent::OrderAmended { faction, .. }
            | SeatEvent::OrderWithdrawn { faction, .. } => own(faction),
            SeatEvent::RoundBegan { purses, .. } => purses.keys().all(own),
            SeatEvent::Adjudicated { report, purses, .. } => {
                purses.keys().all(own)
                    && report.factions.keys().all(own)
                    && report.control.is_some() == control
                    && (control
                        || report.public.orders.iter().all(|o| !o.covert)
                            && report.public.completed.iter().all(|o| !o.covert))
            }
            SeatEvent::ScheduledEventSet { .. } => control,
            _ => true,
        };
        assert!(
            ok,
            "{label} ({seat:?}) received event {seq} it may not see: {e:?}"
        );
    }

    fn check_view(&self, label: &str, seat: &Seat, v: &SeatView) {
        if v.phase == Phase::Ended {
            return; // after the end everyone sees everything
        }
        let control = *seat == Seat::Control;
        let me = seat.faction();
        let own = |f: &FactionId| control || me == Some(f);
        let party = |p: &[FactionId]| control || me.is_some_and(|m| p.contains(m));
        assert_eq!(&v.seat, seat, "{label}: view of another seat");
        assert!(
            v.orders.keys().all(own),
            "{label}: others' orders {:?}",
            v.orders
        );
        assert!(v.purses.keys().all(own), "{label}: others' purses");
        assert!(v.scores.keys().all(own), "{label}: others' scores");
        for m in &v.messages {
            assert!(may_read(seat, &m.channel), "{label}: message {m:?}");
        }
        for p in &v.proposals {
            assert!(party(&p.terms.parties), "{label}: proposal {p:?}");
        }
        for a in &v.agreements {
            assert!(
                a.terms.public || party(&a.terms.parties),
                "{label}: agreement {a:?}"
            );
        }
        for b in &v.builds {
            assert!(!b.covert || own(&b.faction), "{label}: covert build {b:?}");
        }
        for r in &v.reports {
            assert!(r.factions.keys().all(own), "{label}: others' reports");
            assert_eq!(r.control.is_some(), control, "{label}: Control's report");
        }
        assert!(control || v.overrides.is_empty(), "{label}: overrides");
    }
}

// ---------------------------------------------------------------------------------------------
// 1 + 2. A full game with Control, three factions and an observer; every frame checked
// ---------------------------------------------------------------------------------------------

async fn full_game(db: Db) {
    let app = spawn_app(db).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    // Codes are typed by people: case, spaces and dashes do not matter.
    let sloppy = format!(
        " {}-{} ",
        g.code[..3].to_lowercase(),
        g.code[3..].to_lowercase()
    );
    let us_token = join(addr, &sloppy, "Jane", "us_nato").await;
    let cs_token = join(addr, &g.code, "Aigerim", "csto").await;
    let ob_token = join_observer(addr, &g.code, "Projector").await;

    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;
    let mut cs = Client::connect(addr, "csto", &cs_token).await;
    let mut ob = Client::connect(addr, "observer", &ob_token).await;
    assert_eq!(control.seat, Seat::Control);
    assert_eq!(ru.seat, faction("russia"));
    assert_eq!(ob.seat, Seat::Observer);
    match &control.frames[0].1 {
        ServerFrame::Welcome { seq, view, .. } => {
            let v = view.as_ref().expect("view");
            assert_eq!((v.round, v.phase), (0, Phase::Briefing));
            assert_eq!(*seq, 2, "game_created and round_began");
        }
        other => panic!("{other:?}"),
    }
    let (ru_, us_, cs_) = (faction("russia"), faction("us_nato"), faction("csto"));
    let everyone = vec![ru_.clone(), us_.clone(), cs_.clone(), Seat::Observer];
    let mut markers: Vec<(String, Vec<Seat>)> = Vec::new();

    // Chat in every kind of channel, each message with its own marker.
    let mut say = |name: &str, readers: Vec<Seat>| {
        let m = marker(name);
        markers.push((m.clone(), readers));
        m
    };
    let m_plen_ru = say("plenary-russia", everyone.clone());
    let m_plen_us = say("plenary-us", everyone.clone());
    let m_bi_ru_us = say("bilateral-russia-us", vec![ru_.clone(), us_.clone()]);
    let m_bi_us_cs = say("bilateral-us-csto", vec![us_.clone(), cs_.clone()]);
    let m_bi_ru_cs = say(
        "bilateral-russia-csto-by-control",
        vec![ru_.clone(), cs_.clone()],
    );
    let m_team_ru = say("team-russia", vec![ru_.clone()]);
    let m_team_us = say("team-us", vec![us_.clone()]);
    let m_team_cs = say("team-csto-by-control", vec![cs_.clone()]);
    let m_ctl_ru = say("control-channel-russia", vec![ru_.clone()]);
    let m_ctl_cs = say("control-channel-csto-by-control", vec![cs_.clone()]);
    let m_override = say("override-reason", vec![ru_.clone()]);
    let m_p2 = say(
        "private-proposal-russia-csto",
        vec![ru_.clone(), cs_.clone()],
    );
    let m_p3 = say("public-proposal-us-csto", vec![us_.clone(), cs_.clone()]);
    let m_p3_reason = say("rejection-us-csto", vec![us_.clone(), cs_.clone()]);
    // Russia's covert order: nobody else may learn of it.
    markers.push(("penetration_aids".into(), vec![ru_.clone()]));
    markers.push(("Develop penetration aids".into(), vec![ru_.clone()]));

    ru.ok(chat(plenary(), &m_plen_ru)).await;
    us.ok(chat(plenary(), &m_plen_us)).await;
    ru.ok(chat(bilateral("russia", "us_nato"), &m_bi_ru_us))
        .await;
    cs.ok(chat(bilateral("csto", "us_nato"), &m_bi_us_cs)).await;
    control
        .ok(chat(bilateral("russia", "csto"), &m_bi_ru_cs))
        .await;
    ru.ok(chat(team("russia"), &m_team_ru)).await;
    us.ok(chat(team("us_nato"), &m_team_us)).await;
    control.ok(chat(team("csto"), &m_team_cs)).await;
    ru.ok(chat(control_channel("russia"), &m_ctl_ru)).await;
    control.ok(chat(control_channel("csto"), &m_ctl_cs)).await;
    assert_eq!(
        ob.refused(chat(plenary(), "observers cannot post")).await,
        "not_your_faction"
    );
    // Control overrides a variable only Russia knows, with a written reason.
    control
        .ok(json!({"type": "override", "var": "ru_decoys", "value": 2.0, "reason": m_override}))
        .await;
    barrier(&mut control, &mut [&mut ru, &mut us, &mut cs, &mut ob]).await;

    // Briefing → negotiation.
    let seq = control.ok(advance()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(seq).await;
        assert!(
            c.has_event(|e| matches!(
                e,
                SeatEvent::PhaseChanged {
                    phase: Phase::Negotiation,
                    ..
                }
            )),
            "{} saw the negotiation begin",
            c.label
        );
    }

    // P1: public, Russia and US/NATO, signed.
    let p1_title = "Moscow accord";
    let seq = ru
        .ok(propose(
            p1_title,
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true,
        ))
        .await;
    ru.wait_seq(seq).await;
    let p1 = proposal_at(&ru, seq);
    let signed1 = us.ok(json!({"type": "accept", "proposal": p1})).await;
    // P2: private, Russia and the CSTO, signed.
    let seq = ru
        .ok(propose(
            &m_p2,
            &["russia", "csto"],
            json!([{"kind": "no_systems_belarus", "by": "csto", "action": "host_russian_systems_belarus"}]),
            false,
        ))
        .await;
    ru.wait_seq(seq).await;
    let p2 = proposal_at(&ru, seq);
    let signed2 = cs.ok(json!({"type": "accept", "proposal": p2})).await;
    // P3: US/NATO to the CSTO, rejected.
    let seq = us
        .ok(propose(
            &m_p3,
            &["us_nato", "csto"],
            json!([{"kind": "afghanistan_cooperation", "by": "csto"}]),
            true,
        ))
        .await;
    us.wait_seq(seq).await;
    let p3 = proposal_at(&us, seq);
    cs.ok(json!({"type": "reject", "proposal": p3, "reason": m_p3_reason}))
        .await;
    barrier(&mut control, &mut [&mut ru, &mut us, &mut cs, &mut ob]).await;

    let signed = |c: &Client, title: &str| {
        c.events().any(|(_, e)| {
            matches!(e, SeatEvent::AgreementSigned { agreement, .. } if agreement.terms.title == title)
        })
    };
    for c in [&ru, &us, &cs, &ob, &control] {
        assert!(
            signed(c, p1_title),
            "{}: the public agreement reaches everyone",
            c.label
        );
    }
    for c in [&ru, &cs, &control] {
        assert!(
            signed(c, &m_p2),
            "{}: the private agreement reaches its parties",
            c.label
        );
    }
    assert!(ru.seen >= signed2 && cs.seen >= signed2 && us.seen >= signed1);

    // Everyone ready: negotiation → orders.
    ru.ok(ready()).await;
    us.ok(ready()).await;
    let seq = cs.ok(ready()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(seq).await;
        assert!(
            c.has_event(|e| matches!(
                e,
                SeatEvent::PhaseChanged {
                    phase: Phase::Orders,
                    ..
                }
            )),
            "{}: orders phase",
            c.label
        );
    }

    // Secret orders, one of them covert.
    ru.ok(order("penetration_aids", 1)).await;
    us.ok(order("aegis_ship_med", 1)).await;
    let seq = us.ok(order("rota_destroyer", 1)).await;
    us.wait_seq(seq).await;
    let rota = us
        .events()
        .find_map(|(_, e)| match e {
            SeatEvent::OrderSubmitted { order, .. }
                if order.action.as_str() == "rota_destroyer" =>
            {
                Some(order.id)
            }
            _ => None,
        })
        .expect("us_nato sees its own order");
    us.ok(json!({"type": "amend_order", "order": rota, "quantity": 2}))
        .await;
    us.ok(json!({"type": "withdraw_order", "order": rota}))
        .await;
    cs.ok(order("tajik_border_aid", 1)).await;
    barrier(&mut control, &mut [&mut ru, &mut us, &mut cs, &mut ob]).await;

    // Fresh connections mid-round get views: checked below like every other frame.
    let mut views: Vec<Client> = Vec::new();
    for (label, token) in [
        ("russia-view", &ru_token),
        ("us_nato-view", &us_token),
        ("csto-view", &cs_token),
        ("observer-view", &ob_token),
        ("control-view", &g.control_token),
    ] {
        let mut v = Client::connect(addr, label, token).await;
        v.disconnect().await;
        views.push(v);
    }
    let view_of = |c: &Client| match &c.frames[0].1 {
        ServerFrame::Welcome { view: Some(v), .. } => v.clone(),
        other => panic!("{other:?}"),
    };
    let cv = view_of(&views[4]);
    assert_eq!(cv.phase, Phase::Orders);
    assert_eq!(
        cv.orders.len(),
        3,
        "Control sees every draft: {:?}",
        cv.orders
    );
    let rv = view_of(&views[0]);
    assert_eq!(
        rv.orders.keys().map(|f| f.as_str()).collect::<Vec<_>>(),
        vec!["russia"]
    );

    // Everyone ready: adjudication, then review.
    ru.ok(ready()).await;
    us.ok(ready()).await;
    let seq = cs.ok(ready()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(seq).await;
        let report = c
            .events()
            .find_map(|(_, e)| match e {
                SeatEvent::Adjudicated { report, .. } => Some(report.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{}: adjudicated", c.label));
        assert_eq!(report.round, 0);
        assert!(
            report
                .public
                .orders
                .iter()
                .any(|o| o.action.as_str() == "aegis_ship_med"),
            "{}: orders are revealed at adjudication",
            c.label
        );
        match &c.seat {
            Seat::Faction(f) => assert!(report.factions.contains_key(f), "{}", c.label),
            Seat::Control => {
                assert_eq!(report.factions.len(), 3);
                assert!(report.control.is_some());
            }
            _ => assert!(report.factions.is_empty()),
        }
        assert!(
            c.has_event(|e| matches!(
                e,
                SeatEvent::PhaseChanged {
                    phase: Phase::Review,
                    ..
                }
            )),
            "{}: review",
            c.label
        );
    }

    // Summaries, reports and the export over REST, as each seat may read them.
    let mut rest: Vec<(String, Seat, String)> = Vec::new();
    for (label, seat, token) in [
        ("russia-rest", ru_.clone(), &ru_token),
        ("us_nato-rest", us_.clone(), &us_token),
        ("csto-rest", cs_.clone(), &cs_token),
        ("observer-rest", Seat::Observer, &ob_token),
        ("control-rest", Seat::Control, &g.control_token),
    ] {
        let path = format!("/api/games/{}/reports", g.id);
        let (st, body) = http(addr, "GET", &path, None, Some(token)).await;
        assert_eq!(st, 200, "{label}: {body}");
        let reports: Vec<SeatReport> = serde_json::from_value(body.clone()).expect("reports");
        assert_eq!(reports.len(), 1, "{label}: one adjudication");
        for r in &reports {
            let own = |f: &FactionId| seat == Seat::Control || seat.faction() == Some(f);
            assert!(r.factions.keys().all(own), "{label}: others' reports");
            assert_eq!(r.control.is_some(), seat == Seat::Control, "{label}");
            assert!(
                seat == Seat::Control || r.public.orders.iter().all(|o| !o.covert),
                "{label}: covert orders"
            );
        }
        rest.push((label.to_owned(), seat.clone(), body.to_string()));
        let (st, body) = http(
            addr,
            "GET",
            &format!("/api/games/{}", g.id),
            None,
            Some(token),
        )
        .await;
        assert_eq!(st, 200, "{label}: {body}");
        rest.push((label.to_owned(), seat.clone(), body.to_string()));
        let path = format!("/api/games/{}/export", g.id);
        let (st, body) = http(addr, "GET", &path, None, Some(token)).await;
        if seat == Seat::Control {
            assert_eq!(st, 200, "{body}");
            let (seq, _) = summary(addr, &g.id, token).await;
            assert_eq!(
                body["events"].as_array().map(Vec::len),
                Some(seq as usize),
                "the whole log"
            );
        } else {
            assert_eq!(st, 403, "{label}: the export is Control's");
        }
    }

    // Review → the next round, then Control ends the game.
    let seq = control.ok(advance()).await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob] {
        c.wait_seq(seq).await;
        assert!(
            c.has_event(|e| matches!(e, SeatEvent::RoundBegan { round: 1, .. })),
            "{}: round 2014",
            c.label
        );
    }
    let end = control
        .ok(json!({"type": "end_game", "note": "time is up"}))
        .await;
    for c in [&mut ru, &mut us, &mut cs, &mut ob, &mut control] {
        c.wait_seq(end).await;
        assert!(
            c.has_event(|e| matches!(e, SeatEvent::GameEnded { .. })),
            "{}: the end",
            c.label
        );
    }
    assert_eq!(ru.refused(chat(plenary(), "too late")).await, "game_ended");

    // Control sees every event: its sequences are gapless up to the end.
    let seqs: Vec<i64> = control.events().map(|(s, _)| s).collect();
    assert_eq!(seqs, (3..=end).collect::<Vec<_>>(), "Control's events");
    let (seq, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, end);

    // Secrecy of every frame every seat received.
    let secrets = Secrets::from_control(&control, markers);
    assert_eq!(secrets.proposals.len(), 3);
    for c in [&ru, &us, &cs, &ob, &control] {
        secrets.check(&c.label, &c.seat, &c.frames, true);
    }
    for v in &views {
        secrets.check(&v.label, &v.seat, &v.frames, false);
    }
    for (label, seat, body) in &rest {
        secrets.check_text(label, seat, body);
        if let Some(view) = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|b| serde_json::from_value::<SeatView>(b["view"].clone()).ok())
        {
            secrets.check_view(label, seat, &view);
        }
    }

    for mut c in [ru, us, cs, ob, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_game_and_secrecy_on_sqlite() {
    full_game(Db::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_game_and_secrecy_on_postgres() {
    let Some(db) = Db::postgres("full_game_and_secrecy_on_postgres").await else {
        return;
    };
    full_game(db).await;
}

// ---------------------------------------------------------------------------------------------
// 3. Reconnect mid-round: exactly the missed events, nothing doubled
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_mid_round_resumes_exactly() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru1_token = join(addr, &g.code, "Ivan", "russia").await;
    let ru2_token = join(addr, &g.code, "Olga", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let cs_token = join(addr, &g.code, "Aigerim", "csto").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru1 = Client::connect(addr, "russia-1", &ru1_token).await;
    let mut ru2 = Client::connect(addr, "russia-2", &ru2_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;
    let mut cs = Client::connect(addr, "csto", &cs_token).await;

    ru2.ok(chat(team("russia"), "before the break")).await;
    control.ok(advance()).await;
    barrier(&mut control, &mut [&mut ru1, &mut ru2, &mut us, &mut cs]).await;
    let left_at = ru2.seen;
    ru2.disconnect().await;

    // The game goes on without russia-2: events it may see and events it may not.
    let m_hidden = marker("bilateral-us-csto");
    ru1.ok(chat(team("russia"), "while you were out")).await;
    us.ok(chat(bilateral("us_nato", "csto"), &m_hidden)).await;
    let seq = ru1
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            false,
        ))
        .await;
    ru1.wait_seq(seq).await;
    let p = proposal_at(&ru1, seq);
    us.ok(json!({"type": "accept", "proposal": p})).await;
    cs.ok(propose(
        "Hidden from Russia",
        &["us_nato", "csto"],
        json!([{"kind": "afghanistan_cooperation", "by": "csto"}]),
        false,
    ))
    .await;
    ru1.ok(ready()).await;
    us.ok(ready()).await;
    cs.ok(ready()).await; // → orders
    ru1.ok(order("mirv_new_icbms", 1)).await;
    us.ok(order("aegis_ship_med", 1)).await;
    let last = barrier(&mut control, &mut [&mut ru1, &mut us, &mut cs]).await;

    // Resume: a welcome without view, then exactly the events russia-1 got meanwhile.
    let before = ru2.frames.len();
    match ru2.reconnect(true).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert_eq!(seq, last, "the welcome names the current sequence");
            assert!(view.is_none(), "a resume replays events, not a snapshot");
        }
        other => panic!("{other:?}"),
    }
    ru2.wait_seq(last).await;
    let missed: Vec<(i64, &SeatEvent)> = ru1.events().filter(|(s, _)| *s > left_at).collect();
    let replayed: Vec<(i64, &SeatEvent)> = ru2.frames[before..]
        .iter()
        .filter_map(|(_, f)| match f {
            ServerFrame::Event { seq, event } => Some((*seq, event)),
            _ => None,
        })
        .collect();
    assert!(!missed.is_empty());
    assert_eq!(
        replayed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        missed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        "nothing missing, nothing doubled"
    );
    assert_eq!(replayed, missed, "the same events as a connected teammate");
    assert!(
        replayed
            .iter()
            .any(|(_, e)| matches!(e, SeatEvent::OrderSubmitted { .. })),
        "own faction's orders are replayed"
    );

    // Live again: the next event reaches both once, with the same sequence.
    let back = control.ok(chat(plenary(), "welcome back")).await;
    ru1.wait_seq(back).await;
    ru2.wait_seq(back).await;
    assert_eq!(ru1.seen, ru2.seen);
    ru2.ping().await;
    let count = |c: &Client| {
        c.events()
            .filter(|(_, e)| matches!(e, SeatEvent::ChatPosted { message } if message.text == "welcome back"))
            .count()
    };
    assert_eq!((count(&ru1), count(&ru2)), (1, 1));

    // Resuming with nothing missed: a welcome without view and no events.
    let before = ru2.frames.len();
    ru2.reconnect(true).await;
    ru2.ping().await;
    assert!(
        ru2.frames[before..]
            .iter()
            .all(|(_, f)| !matches!(f, ServerFrame::Event { .. })),
        "nothing to replay"
    );
    // A last_seq from the future (or garbage) gets a full snapshot.
    ru2.disconnect().await;
    ru2.seen = 1_000_000;
    match ru2.reconnect(true).await {
        ServerFrame::Welcome { view, seq, .. } => {
            assert!(view.is_some(), "a fresh snapshot");
            assert_eq!(seq, back);
        }
        other => panic!("{other:?}"),
    }

    // Nothing of US/NATO's or the CSTO's secrets reached russia-2, replay included.
    let secrets = Secrets::from_control(
        &control,
        vec![
            (m_hidden, vec![faction("us_nato"), faction("csto")]),
            (
                "Hidden from Russia".into(),
                vec![faction("us_nato"), faction("csto")],
            ),
            ("aegis_ship_med".into(), vec![faction("us_nato")]),
        ],
    );
    secrets.check(&ru2.label, &ru2.seat, &ru2.frames, false);
    secrets.check(&ru1.label, &ru1.seat, &ru1.frames, false);

    for mut c in [ru1, ru2, us, cs, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Idempotency
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_command_has_one_effect() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    let once = chat(plenary(), "said once");
    let first = ru.send_command("same-id", &once).await;
    let ServerFrame::Ack { seq, .. } = first else {
        panic!("{first:?}")
    };
    assert_eq!(ru.send_command("same-id", &once).await, first, "same ack");
    // From a new connection of the same seat too.
    ru.reconnect(true).await;
    assert_eq!(ru.send_command("same-id", &once).await, first, "same ack");
    // Same id, other command: refused.
    match ru
        .send_command("same-id", &chat(plenary(), "something else"))
        .await
    {
        ServerFrame::Error {
            code, retryable, ..
        } => {
            assert_eq!(code, "duplicate_id");
            assert!(!retryable);
        }
        other => panic!("{other:?}"),
    }
    // Ids belong to a seat: another seat may use the same one.
    match us.send_command("same-id", &once).await {
        ServerFrame::Ack { seq: s, .. } => assert_eq!(s, seq + 1),
        other => panic!("{other:?}"),
    }
    // A refusal is remembered as well.
    let early = order("mirv_new_icbms", 1);
    let refusal = ru.send_command("too-early", &early).await;
    assert!(matches!(&refusal, ServerFrame::Error { code, .. } if code == "wrong_phase"));
    assert_eq!(ru.send_command("too-early", &early).await, refusal);

    let (now, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(now, seq + 1, "exactly two effects: Russia's and US/NATO's");
    let said = view
        .messages
        .iter()
        .filter(|m| m.text == "said once")
        .count();
    assert_eq!(said, 2, "one message from each seat");
    control.wait_seq(now).await;
    control.ping().await;
    let posted = control
        .events()
        .filter(|(_, e)| matches!(e, SeatEvent::ChatPosted { .. }))
        .count();
    assert_eq!(posted, 2, "no second chat event");

    for mut c in [ru, us, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 5. Bad input: each gets its error and changes nothing
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_and_commands_change_nothing() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let ob_token = join_observer(addr, &g.code, "Projector").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ob = Client::connect(addr, "observer", &ob_token).await;
    let (seq0, view0) = summary(addr, &g.id, &g.control_token).await;

    // Frames that are not valid protocol: an error without id; the connection stays usable.
    for bad in [
        "{not json".to_owned(),
        r#"{"type":"launch_everything"}"#.to_owned(),
        r#"{"type":"command","id":"x1","command":{"type":"chat","channel":{"kind":"plenary"},"text":"hi","from":{"role":"control"}}}"#.to_owned(),
        r#"{"type":"command","id":"x2","command":{"type":"ready"},"seat":{"role":"control"}}"#.to_owned(),
        r#"{"type":"command","id":"x3","command":{"type":"submit_order","action":"mirv_new_icbms","quantity":-1}}"#.to_owned(),
        r#"{"type":"command","command":{"type":"ready"}}"#.to_owned(),
        "[]".to_owned(),
    ] {
        ru.send_text(&bad).await;
        let (id, code) = ru.next_error().await;
        assert_eq!((id, code.as_str()), (None, "bad_frame"), "{bad}");
    }
    ru.ping().await;
    ru.send_text(&json!({"type": "hello", "token": ru_token}).to_string())
        .await;
    assert_eq!(ru.next_error().await.1, "already_hello");
    for id in [String::new(), "x".repeat(65)] {
        match ru.send_command(&id, &ready()).await {
            ServerFrame::Error { code, .. } => assert_eq!(code, "bad_id"),
            other => panic!("{other:?}"),
        }
    }

    // Commands the rules refuse.
    assert_eq!(ru.refused(order("mirv_new_icbms", 1)).await, "wrong_phase");
    assert_eq!(
        ru.refused(propose(
            "Too early",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true
        ))
        .await,
        "wrong_phase"
    );
    assert_eq!(
        ru.refused(chat(team("us_nato"), "let me in")).await,
        "not_your_faction"
    );
    assert_eq!(
        ru.refused(chat(bilateral("us_nato", "csto"), "eavesdrop"))
            .await,
        "not_your_faction"
    );
    assert_eq!(
        ob.refused(chat(plenary(), "observer speaks")).await,
        "not_your_faction"
    );
    for c in [
        advance(),
        json!({"type": "end_game", "note": "coup"}),
        json!({"type": "pause"}),
        json!({"type": "override", "var": "tension", "value": 0.0, "reason": "peace"}),
        json!({"type": "set_bot", "faction": "us_nato", "temperament": "dove"}),
    ] {
        assert_eq!(ru.refused(c).await, "control_only");
    }
    assert_eq!(ru.refused(json!({"type": "tick"})).await, "forbidden");
    assert_eq!(control.refused(json!({"type": "tick"})).await, "forbidden");
    assert_eq!(
        control.refused(order("mirv_new_icbms", 1)).await,
        "not_your_faction"
    );

    let (seq1, view1) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    assert_eq!(view1, view0, "nothing changed");
    ru.ping().await;
    assert!(
        ru.events().next().is_none() && control.events().next().is_none(),
        "no events"
    );
    // The connection still works.
    ru.ok(chat(plenary(), "still here")).await;

    for mut c in [ru, ob, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_a_proper_hello_are_closed() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let (seq0, _) = summary(addr, &g.id, &g.control_token).await;

    // A command before hello: error, then close with 1002.
    let mut ws = ws_connect(addr).await;
    let cmd = json!({"type": "command", "id": "c1", "command": chat(plenary(), "hi")});
    ws.send(Message::text(cmd.to_string())).await.expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["code"], "hello_first");
    assert_eq!(code, Some(1002));

    // Not JSON as the first frame.
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text("hello?")).await.expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames[0]["code"], "bad_frame", "{frames:?}");
    assert_eq!(code, Some(1002));

    // A binary first frame.
    let mut ws = ws_connect(addr).await;
    ws.send(Message::binary(b"{}".to_vec()))
        .await
        .expect("send");
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1002));

    // A bad token: error, then close with 1008.
    for token in ["0123456789abcdef0123456789abcdef", ""] {
        let mut ws = ws_connect(addr).await;
        ws.send(Message::text(
            json!({"type": "hello", "token": token}).to_string(),
        ))
        .await
        .expect("send");
        let (frames, code) = read_until_close(&mut ws, RECV).await;
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(frames[0]["code"], "bad_token");
        assert_eq!(code, Some(1008));
    }

    // Hello with an unknown field.
    let mut ws = ws_connect(addr).await;
    let hello = json!({"type": "hello", "token": g.control_token, "seat": {"role": "control"}});
    ws.send(Message::text(hello.to_string()))
        .await
        .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames[0]["code"], "bad_frame", "{frames:?}");
    assert_eq!(code, Some(1002));

    // The token in the URL is not a way in.
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={}", g.control_token))
            .await
            .expect("connect");
    ws.send(Message::text(r#"{"type":"ping"}"#))
        .await
        .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames[0]["code"], "hello_first", "{frames:?}");
    assert_eq!(code, Some(1002));

    // A page from another origin may not open /ws; the server's own origin may.
    let with_origin = |origin: String| {
        let mut req = format!("ws://{addr}/ws")
            .into_client_request()
            .expect("request");
        req.headers_mut()
            .insert("Origin", origin.parse().expect("header"));
        req
    };
    match tokio_tungstenite::connect_async(with_origin("http://evil.example".into())).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("a foreign origin was let in: {:?}", other.map(|_| ())),
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(with_origin(format!("http://{addr}")))
        .await
        .expect("same origin");
    ws.send(Message::text(
        json!({"type": "hello", "token": g.control_token}).to_string(),
    ))
    .await
    .expect("send");
    let welcome = ws.next().await.expect("frame").expect("frame");
    assert!(welcome
        .to_text()
        .expect("text")
        .contains(r#""type":"welcome""#));

    let (seq1, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connection_is_closed_after_5_seconds() {
    let app = spawn_app(Db::sqlite()).await;
    let mut ws = ws_connect(app.addr).await;
    let start = Instant::now();
    let (frames, code) = read_until_close(&mut ws, Duration::from_secs(8)).await;
    let took = start.elapsed();
    assert!(frames.is_empty(), "{frames:?}");
    assert_eq!(code, Some(1008));
    assert!(
        took >= Duration::from_millis(4500) && took <= Duration::from_secs(6),
        "closed after {took:?}"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_the_connection() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let (seq0, _) = summary(addr, &g.id, &g.control_token).await;

    let big = json!({"type": "command", "id": "big",
        "command": chat(plenary(), &"x".repeat(70 * 1024))});
    let mut ws = ru.ws.take().expect("connected");
    let _ = ws.send(Message::text(big.to_string())).await;
    let (frames, _code) = read_until_close(&mut ws, RECV).await;
    assert!(
        frames.iter().all(|f| f["type"] != "ack"),
        "no ack: {frames:?}"
    );
    let (seq1, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    // The seat can come back.
    ru.hello(None).await;
    ru.ok(chat(plenary(), "small again")).await;
    ru.disconnect().await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_with_1009() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.take().expect("connected");
    let _ = ws.send(Message::text("x".repeat(70 * 1024))).await;
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1009));
    // A frame far over the limit, its bytes written whole to the socket before reading (as a
    // simple client does): the server reads the rest and discards it, so the write completes
    // and the client gets the 1009 close rather than a reset.
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.take().expect("connected");
    let len: u64 = 4 << 20;
    let mut frame = vec![0x81, 0x80 | 127];
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]); // a zero mask leaves the payload as it is
    frame.resize(frame.len() + len as usize, b'x');
    let raw = match ws.get_mut() {
        MaybeTlsStream::Plain(tcp) => tcp,
        _ => unreachable!("plain TCP"),
    };
    let written = tokio::time::timeout(RECV, raw.write_all(&frame)).await;
    assert!(
        matches!(written, Ok(Ok(()))),
        "the frame's bytes were not all taken: {written:?}"
    );
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1009));
    app.stop().await.cleanup().await;
}

/// Sends 200 pings at once; the frames received and the close code.
async fn flood(ws: &mut Ws) -> (Vec<Value>, Option<u16>) {
    for _ in 0..200 {
        if ws.feed(Message::text(r#"{"type":"ping"}"#)).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
    read_until_close(ws, RECV).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_cut_off() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let (seq0, _) = summary(addr, &g.id, &g.control_token).await;

    let mut ws = ru.ws.take().expect("connected");
    let (frames, _) = flood(&mut ws).await;
    let pongs = frames.iter().filter(|f| f["type"] == "pong").count();
    assert!(pongs <= 60, "the flood was cut short: {pongs} pongs");
    let (seq1, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq1, seq0, "nothing changed");
    // The seat can come back.
    ru.hello(None).await;
    ru.ping().await;
    ru.disconnect().await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_closes_with_1008() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.take().expect("connected");
    let (frames, code) = flood(&mut ws).await;
    assert!(
        frames.iter().any(|f| f["code"] == "rate_limited"),
        "told why: {frames:?}"
    );
    assert_eq!(code, Some(1008));
    app.stop().await.cleanup().await;
}

/// Frames one after the other, each answered, faster than the rate limit: after the burst
/// allowance the connection is closed with 1008 and told why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_closes_with_1008() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.expect("connected");
    let start = Instant::now();
    let mut pongs = 0;
    let (frames, code) = loop {
        ws.send(Message::text(r#"{"type":"ping"}"#))
            .await
            .expect("send");
        match tokio::time::timeout(RECV, ws.next()).await.expect("answer") {
            Some(Ok(Message::Text(t))) if t.as_str() == r#"{"type":"pong"}"# => pongs += 1,
            Some(Ok(Message::Text(t))) => {
                let first: Value = serde_json::from_str(&t).expect("JSON");
                let (mut frames, code) = read_until_close(&mut ws, RECV).await;
                frames.insert(0, first);
                break (frames, code);
            }
            other => panic!("after {pongs} pongs: {other:?}"),
        }
        assert!(pongs < 200, "no rate limit");
    };
    let allowed = 40.0 + 20.0 * start.elapsed().as_secs_f64();
    assert!(
        pongs >= 39 && f64::from(pongs) <= allowed + 1.0,
        "{pongs} frames allowed (burst 40, 20/s)"
    );
    assert_eq!(frames[0]["code"], "rate_limited", "{frames:?}");
    assert_eq!(code, Some(1008));
    app.stop().await.cleanup().await;
}

/// With an admin token set, only its holders create games: no token or a wrong one gets 401
/// `unauthorized` and creates nothing; joining and playing need no admin token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_guards_game_creation() {
    let app = spawn_app_with(Db::sqlite(), |c| {
        c.admin_token = Some("s3cret-admin".into())
    })
    .await;
    let addr = app.addr;
    let body = json!({"name": "Guarded", "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}});
    for bearer in [None, Some("wrong"), Some("s3cret-admi")] {
        let (st, answer) = http(addr, "POST", "/api/games", Some(&body), bearer).await;
        assert_eq!(
            (st, answer["code"].as_str()),
            (401, Some("unauthorized")),
            "{bearer:?}: {answer}"
        );
    }
    let (st, created) = http(
        addr,
        "POST",
        "/api/games",
        Some(&body),
        Some("s3cret-admin"),
    )
    .await;
    assert_eq!(st, 201, "{created}");
    let code = created["join_code"].as_str().expect("join_code");
    let (st, joined) = http(
        addr,
        "POST",
        "/api/join",
        Some(&json!({"code": code, "name": "Anna", "faction": "russia"})),
        None,
    )
    .await;
    assert_eq!(st, 201, "{joined}");
    // The refused attempts created no game: the store holds exactly the one.
    let db = app.stop().await;
    let url = db.url();
    let mut conn = {
        use sqlx::Connection;
        sqlx::SqliteConnection::connect(&url)
            .await
            .expect("open the test database")
    };
    let games: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM games")
        .fetch_one(&mut conn)
        .await
        .expect("count games");
    assert_eq!(games, 1);
    drop(conn);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_errors() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"team_sizes": {"csto": 1}})).await;
    let (seq0, view0) = summary(addr, &g.id, &g.control_token).await;
    let post = |path: &'static str, body: Value| async move {
        http(addr, "POST", path, Some(&body), None).await
    };

    // Unknown join code (well-formed or not).
    for code in ["ZZZZZZ", "!!", ""] {
        let (st, body) = post("/api/join", json!({"code": code, "name": "Eve"})).await;
        assert_eq!(st, 404, "{body}");
        assert_eq!(body["code"], "unknown_code");
    }
    // Unknown fields, wrong types, not JSON.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Eve", "seat": "control"}),
    )
    .await;
    assert_eq!(st, 400, "{body}");
    let (st, _) = post("/api/join", json!({"code": g.code, "name": 7})).await;
    assert_eq!(st, 400);
    let (st, _) = post(
        "/api/games",
        json!({"scenario": "missile-defence-2013", "admin": true}),
    )
    .await;
    assert_eq!(st, 400);
    let (st, _) = try_http(addr, "POST", "/api/join", Some("{"), None)
        .await
        .expect("http");
    assert_eq!(st, 400);
    // A game id that is not a UUID: a JSON bad_request like any other.
    let (st, body) = http(
        addr,
        "GET",
        "/api/games/not-a-uuid",
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    // A JSON array is not an object, even where serde could read the fields by position.
    let (st, body) = post("/api/games", json!([])).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (st, body) = post("/api/join", json!([g.code, "Eve"])).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    // A bad field is named by its path.
    let (st, body) = post("/api/games", json!({"bots": {"csto": "owl"}})).await;
    assert_eq!(st, 400);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("bots.csto")),
        "{body}"
    );
    // Bodies over 64 KiB.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "n".repeat(70 * 1024), "faction": "csto"}),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    let (st, body) = post(
        "/api/games",
        json!({"scenario": "missile-defence-2013", "name": "n".repeat(70 * 1024)}),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (413, Some("too_large")),
        "{body}"
    );
    // Bad names.
    for name in ["", "   ", &"n".repeat(41), "bell\u{7}", "new\nline"] {
        let (st, body) = post(
            "/api/join",
            json!({"code": g.code, "name": name, "faction": "russia"}),
        )
        .await;
        assert_eq!(st, 422, "{name:?}: {body}");
        assert_eq!(body["code"], "invalid_name");
    }
    let (st, body) = post("/api/games", json!({"name": ""})).await;
    assert_eq!(st, 422, "{body}");
    // Unknown faction or scenario; observer and faction at once.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Eve", "faction": "atlantis"}),
    )
    .await;
    assert_eq!((st, body["code"].as_str()), (422, Some("unknown_faction")));
    let (st, _) = post("/api/games", json!({"scenario": "no-such-scenario"})).await;
    assert_eq!(st, 422);
    let (st, _) = post(
        "/api/join",
        json!({"code": g.code, "name": "Eve", "faction": "csto", "observer": true}),
    )
    .await;
    assert_eq!(st, 422);
    // A full team.
    join(addr, &g.code, "Aigerim", "csto").await;
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Nursultan", "faction": "csto"}),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (409, Some("team_full")),
        "{body}"
    );
    // The summary needs the game's own token.
    let (st, _) = http(addr, "GET", &format!("/api/games/{}", g.id), None, None).await;
    assert_eq!(st, 401);
    let other = create_game(addr, json!({})).await;
    let (st, _) = http(
        addr,
        "GET",
        &format!("/api/games/{}", g.id),
        None,
        Some(&other.control_token),
    )
    .await;
    assert_eq!(st, 401);

    let (seq1, view1) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!((seq1, &view1), (seq0, &view0), "nothing changed");
    // Only the one CSTO player joined: a second game's join still assigns that team as full.
    let (st, body) = post(
        "/api/join",
        json!({"code": g.code, "name": "Third", "faction": "csto"}),
    )
    .await;
    assert_eq!(st, 409, "{body}");
    app.stop().await.cleanup().await;
}

/// Wrong join codes are limited per client address: a few typos are fine, guessing is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_code_guessing_is_rate_limited() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let mut statuses = Vec::new();
    for i in 0..30u32 {
        let code: String = format!("{i:06}")
            .bytes()
            .map(|b| b"ABCDEFGHJK"[usize::from(b - b'0')] as char)
            .collect();
        let body = json!({"code": code, "name": "Mallory"});
        let (st, body) = http(addr, "POST", "/api/join", Some(&body), None).await;
        if st == 429 {
            assert_eq!(body["code"], "rate_limited", "{body}");
        }
        statuses.push(st);
    }
    let first = statuses.iter().position(|s| *s == 429);
    assert!(
        first.is_some_and(|i| i >= 5),
        "a few typos are allowed, then guessing is refused: {statuses:?}"
    );
    assert!(
        statuses[first.unwrap_or(0)..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    // While limited, even the right code is refused (the limit is checked first).
    let body = json!({"code": g.code, "name": "Mallory", "faction": "russia"});
    let (st, _) = http(addr, "POST", "/api/join", Some(&body), None).await;
    assert_eq!(st, 429);
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_assigns_seats_and_sees_who_is_connected() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"team_sizes": {"russia": 1, "us_nato": 1}, "bots": {"csto": "dove"}}),
    )
    .await;
    let anna = join(addr, &g.code, "Anna", "russia").await;
    let _ben = join(addr, &g.code, "Ben", "us_nato").await;
    let mut a = Client::connect(addr, "anna", &anna).await;
    assert_eq!(a.seat, faction("russia"));

    // The seat list: Control only; shows who is connected.
    let path = format!("/api/games/{}/seats", g.id);
    let (st, body) = http(addr, "GET", &path, None, Some(&anna)).await;
    assert_eq!((st, body["code"].as_str()), (403, Some("control_only")));
    let (st, seats) = http(addr, "GET", &path, None, Some(&g.control_token)).await;
    assert_eq!(st, 200, "{seats}");
    let seats = seats.as_array().expect("a list").clone();
    assert_eq!(seats.len(), 3, "Control, Anna, Ben: {seats:?}");
    let entry = |name: &str| {
        seats
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    assert_eq!(entry("Anna")["connected"], 1);
    assert_eq!(entry("Ben")["connected"], 0);
    assert_eq!(entry("White cell")["seat"], json!({"role": "control"}));
    let anna_id = entry("Anna")["seat_id"].as_str().unwrap().to_owned();
    let ben_id = entry("Ben")["seat_id"].as_str().unwrap().to_owned();
    let control_id = entry("White cell")["seat_id"].as_str().unwrap().to_owned();
    let seat_path = |id: &str| format!("/api/games/{}/seats/{id}", g.id);

    // Refusals change nothing.
    let stranger = Uuid::new_v4().to_string();
    let cases: Vec<(Value, &str, u16, &str)> = vec![
        (json!({"faction": "us_nato"}), &anna_id, 409, "team_full"),
        (json!({"faction": "csto"}), &anna_id, 409, "bot_seat"),
        (json!({"faction": "nato"}), &anna_id, 422, "unknown_faction"),
        (
            json!({"faction": "russia", "observer": true}),
            &anna_id,
            422,
            "invalid",
        ),
        (json!({}), &anna_id, 422, "invalid"),
        (json!({"observer": true}), &control_id, 404, "not_found"),
        (json!({"observer": true}), &stranger, 404, "not_found"),
        (
            json!({"faction": "russia", "seat": "control"}),
            &ben_id,
            400,
            "bad_request",
        ),
    ];
    for (body, id, status, code) in cases {
        let (st, answer) = http(
            addr,
            "PUT",
            &seat_path(id),
            Some(&body),
            Some(&g.control_token),
        )
        .await;
        assert_eq!(
            (st, answer["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    let (st, _) = http(
        addr,
        "PUT",
        &seat_path(&ben_id),
        Some(&json!({"observer": true})),
        Some(&anna),
    )
    .await;
    assert_eq!(st, 403, "players cannot move seats");
    a.ping().await; // still connected: nothing moved

    // Control moves Anna to observers: her socket is told and closed with 4000; her token
    // now opens an observer's view.
    let (st, moved) = http(
        addr,
        "PUT",
        &seat_path(&anna_id),
        Some(&json!({"observer": true})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 200, "{moved}");
    assert_eq!(moved["seat"], json!({"role": "observer"}));
    let (frames, code) = read_until_close(a.ws(), Duration::from_secs(5)).await;
    assert_eq!(code, Some(4000), "{frames:?}");
    assert!(
        frames.iter().any(|f| f["code"] == "seat_changed"),
        "{frames:?}"
    );
    a.ws = None;
    a.hello(None).await;
    assert_eq!(a.seat, Seat::Observer);
    // And back to Russia, now free: the seat is hers again.
    let (st, _) = http(
        addr,
        "PUT",
        &seat_path(&anna_id),
        Some(&json!({"faction": "russia"})),
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 200);
    let (_, code) = read_until_close(a.ws(), Duration::from_secs(5)).await;
    assert_eq!(code, Some(4000));
    a.ws = None;
    a.hello(None).await;
    assert_eq!(a.seat, faction("russia"));
    a.ok(chat(team("russia"), "back in the team")).await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joins_never_overfill_a_team() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"team_sizes": {"russia": 1, "us_nato": 2, "csto": 1}}),
    )
    .await;
    let joins = (0..10).map(|i| {
        let body = json!({"code": g.code, "name": format!("N{i}"), "faction": "us_nato"});
        async move { http(addr, "POST", "/api/join", Some(&body), None).await }
    });
    let results = futures_util::future::join_all(joins).await;
    let admitted = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(admitted, 2, "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == 201 || (*s == 409 && b["code"] == "team_full")));
    // "Assign me": the two other factions have one place each.
    let joins = (0..8).map(|i| {
        let body = json!({"code": g.code, "name": format!("A{i}")});
        async move { http(addr, "POST", "/api/join", Some(&body), None).await }
    });
    let results = futures_util::future::join_all(joins).await;
    let mut got: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, b)| b["seat"]["faction"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    assert_eq!(got, ["csto", "russia"], "{results:?}");
    assert!(results
        .iter()
        .all(|(s, b)| *s == 201 || (*s == 409 && b["code"] == "game_full")));
    let (_, seats) = http(
        addr,
        "GET",
        &format!("/api/games/{}/seats", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(seats.as_array().unwrap().len(), 1 + 2 + 2);
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_creation_is_rate_limited_per_address() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let mut statuses = Vec::new();
    for _ in 0..22 {
        let (st, body) = http(addr, "POST", "/api/games", Some(&json!({})), None).await;
        if st == 429 {
            assert_eq!(body["code"], "rate_limited", "{body}");
        }
        statuses.push(st);
    }
    assert!(statuses[..20].iter().all(|s| *s == 201), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_game_waits_in_its_lobby_until_control_presses_start() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    // The API's default: a lobby. Deadlines of 1 s would end phases quickly if a clock ran.
    let g = create_game(
        addr,
        json!({"start": null, "deadlines": {"briefing": 1, "negotiation": 1, "orders": 1, "review": 1}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(
        (view.phase, view.deadline_at, view.round),
        (Phase::Lobby, None, 0),
        "no clock before Start"
    );
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let refused = ru.refused(ready()).await;
    assert_eq!(refused, "wrong_phase");
    let refused = ru.refused(json!({"type": "start"})).await;
    assert_eq!(refused, "control_only");
    ru.ok(chat(plenary(), "hello from the lobby")).await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let before = crate_now_ms();
    control.ok(json!({"type": "start"})).await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Briefing);
    let deadline = view.deadline_at.expect("the clock runs from Start");
    assert!(
        deadline >= before + 1000,
        "the deadline counts from Start: {deadline} vs {before}"
    );
    assert_eq!(
        control.refused(json!({"type": "start"})).await,
        "wrong_phase"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_game_that_starts_when_seated_starts_when_the_last_faction_is_taken() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"start": "when_seated", "bots": {"csto": "dove"}, "title": "Year 11, period 3"}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    let _observer = join_observer(addr, &g.code, "Olga").await;
    // The join form's preview: the game's name and scenario, seats per faction (no names).
    let (st, preview) = http(addr, "GET", &format!("/api/join/{}", g.code), None, None).await;
    assert_eq!(st, 200, "{preview}");
    assert_eq!(preview["title"], "Year 11, period 3", "{preview}");
    assert_eq!(preview["scenario"], "missile-defence-2013", "{preview}");
    assert_eq!(preview["phase"], "lobby", "{preview}");
    let seats: Vec<(String, Value, u64)> = preview["factions"]
        .as_array()
        .expect("factions")
        .iter()
        .map(|f| {
            (
                f["faction"].as_str().unwrap_or("").to_owned(),
                f["bot"].clone(),
                f["players"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        seats,
        vec![
            ("russia".into(), Value::Null, 1),
            ("us_nato".into(), Value::Null, 0),
            ("csto".into(), json!("dove"), 0)
        ]
    );
    assert!(!preview.to_string().contains("Anna"), "no names: {preview}");
    let (st, body) = http(addr, "GET", "/api/join/ZZZZZZ", None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("unknown_code")));
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Lobby, "US/NATO has nobody yet");
    join(addr, &g.code, "Ben", "us_nato").await;
    let started = Instant::now();
    loop {
        let (_, view) = summary(addr, &g.id, &ru_token).await;
        if view.phase != Phase::Lobby {
            assert_eq!((view.round, view.phase), (0, Phase::Briefing));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still in the lobby with every faction seated"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await.cleanup().await;
}

fn crate_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facilitator_and_projector_links_open_their_seats_and_the_projector_cannot_act() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"start": "lobby"})).await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    let links = format!("/api/games/{}/links", g.id);
    let post_link = |token: String, body: Value| {
        let links = links.clone();
        async move { http(addr, "POST", &links, Some(&body), Some(&token)).await }
    };
    // Only Control makes links.
    let (st, body) = post_link(ru_token.clone(), json!({"kind": "projector"})).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("control_only")),
        "{body}"
    );
    let (st, body) = post_link(g.control_token.clone(), json!({"kind": "spy"})).await;
    assert_eq!(st, 400, "{body}");
    // Control's own token opens its seat anywhere (the recovery link carries it).
    let (st, me) = http(addr, "GET", "/api/seat", None, Some(&g.control_token)).await;
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["game_id"].as_str(), Some(g.id.as_str()));
    assert_eq!(me["you"]["seat"], json!({"role": "control"}));
    assert_eq!(me["join_code"].as_str(), Some(g.code.as_str()));
    let (st, _) = http(addr, "GET", "/api/seat", None, Some("not-a-token")).await;
    assert_eq!(st, 401);
    // A co-facilitator: another Control seat, which can run the game.
    let (st, co) = post_link(
        g.control_token.clone(),
        json!({"kind": "facilitator", "name": "Mr Okafor"}),
    )
    .await;
    assert_eq!(st, 201, "{co}");
    assert_eq!(co["seat"], json!({"role": "control"}));
    let co_token = co["token"].as_str().expect("token").to_owned();
    let (st, seen) = http(addr, "GET", "/api/seat", None, Some(&co_token)).await;
    assert_eq!((st, seen["you"]["name"].as_str()), (200, Some("Mr Okafor")));
    let mut co_ws = Client::connect(addr, "co-facilitator", &co_token).await;
    co_ws.ok(json!({"type": "start"})).await;
    // A projector: an observer seat that reads public information and cannot act.
    let (st, pj) = post_link(g.control_token.clone(), json!({"kind": "projector"})).await;
    assert_eq!(st, 201, "{pj}");
    assert_eq!(pj["seat"], json!({"role": "observer"}));
    assert_eq!(pj["name"], "Projector");
    let pj_token = pj["token"].as_str().expect("token").to_owned();
    let mut projector = Client::connect(addr, "projector", &pj_token).await;
    for cmd in [
        chat(plenary(), "from the projector"),
        ready(),
        advance(),
        json!({"type": "start"}),
        json!({"type": "end_game", "note": ""}),
    ] {
        let code = projector.refused(cmd.clone()).await;
        assert!(
            code == "not_your_faction" || code == "control_only",
            "{cmd}: {code}"
        );
    }
    let (st, body) = http(
        addr,
        "GET",
        &format!("/api/games/{}/seats", g.id),
        None,
        Some(&pj_token),
    )
    .await;
    assert_eq!((st, body["code"].as_str()), (403, Some("control_only")));
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_answers_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let head = |gzip: bool| {
        let path = format!("/api/games/{}", g.id);
        let token = g.control_token.clone();
        async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let accept = if gzip {
                "Accept-Encoding: gzip\r\n"
            } else {
                ""
            };
            let req = format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{accept}Authorization: Bearer {token}\r\n\r\n"
            );
            s.write_all(req.as_bytes()).await.expect("send");
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await.expect("read");
            let text = String::from_utf8_lossy(&buf).into_owned();
            text.split("\r\n\r\n")
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        }
    };
    let gz = head(true).await;
    assert!(gz.starts_with("http/1.1 200"), "{gz}");
    assert!(gz.contains("content-encoding: gzip"), "compressed: {gz}");
    let plain = head(false).await;
    assert!(plain.starts_with("http/1.1 200"), "{plain}");
    assert!(
        !plain.contains("content-encoding"),
        "not compressed unasked: {plain}"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_links_use_the_public_url_or_else_say_where_students_can_go() {
    // Listening on loopback (as tests do) and opened there: no address to offer students.
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (st, info) = http(addr, "GET", "/api/server", None, None).await;
    assert_eq!(st, 200, "{info}");
    assert_eq!(info["public_url"], Value::Null, "{info}");
    assert_eq!(info["reachable"], json!([]), "{info}");
    assert_eq!(info["join_base"], json!(format!("http://{addr}")), "{info}");
    app.stop().await.cleanup().await;

    // With a public URL, links and the QR code are built on it whatever the browser used.
    let app = spawn_app_with(Db::sqlite(), |c| {
        c.public_url = Some("https://detente.school.example/".into())
    })
    .await;
    let addr = app.addr;
    let (st, info) = http(addr, "GET", "/api/server", None, None).await;
    assert_eq!(st, 200, "{info}");
    assert_eq!(
        info["public_url"], "https://detente.school.example",
        "{info}"
    );
    assert_eq!(
        info["join_base"], "https://detente.school.example",
        "{info}"
    );
    let g = create_game(addr, json!({})).await;
    let with_base = |base: &str| {
        let link = format!("{base}/join/{}", g.code);
        qrcode::QrCode::new(link.as_bytes())
            .expect("qr")
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build()
    };
    let (st, svg) = try_http(
        addr,
        "GET",
        &format!("/api/join/{}/qr.svg", g.code),
        None,
        None,
    )
    .await
    .expect("qr");
    assert_eq!(st, 200);
    let svg = svg.as_str().map(str::to_owned).unwrap_or_default();
    assert_eq!(
        svg,
        with_base("https://detente.school.example"),
        "the QR code encodes the public URL's join link"
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_join_code_qr_and_the_web_client_are_served() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let (st, sc) = http(
        addr,
        "GET",
        "/api/scenarios/missile-defence-2013",
        None,
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert!(
        sc["actions"].as_array().is_some_and(|a| a.len() > 20),
        "{sc}"
    );
    assert!(sc["map"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(sc["factions"][0]["id"], "russia");
    let (st, body) = http(addr, "GET", "/api/scenarios/nope", None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("unknown_scenario")));

    let (st, s) = http(
        addr,
        "GET",
        &format!("/api/games/{}", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(s["join_code"], g.code.as_str());

    let (st, svg) = http(
        addr,
        "GET",
        &format!("/api/join/{}/qr.svg", g.code.to_lowercase()),
        None,
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert!(svg.as_str().is_some_and(|t| t.contains("<svg")), "{svg}");
    let (st, body) = http(addr, "GET", "/api/join/no/qr.svg", None, None).await;
    assert_eq!((st, body["code"].as_str()), (422, Some("invalid")));

    // The client: index.html for the root and for client routes, its modules as JavaScript,
    // API paths still answer JSON.
    for path in ["/", "/join/ABC234", &format!("/game/{}", g.id)] {
        let (st, page) = http(addr, "GET", path, None, None).await;
        assert_eq!(st, 200, "{path}");
        assert!(
            page.as_str().is_some_and(|t| t.contains("<!doctype html>")),
            "{path}: {page}"
        );
    }
    let (st, _) = http(addr, "GET", "/js/main.js", None, None).await;
    assert_eq!(st, 200);
    let (st, body) = http(addr, "GET", "/api/nothing-here", None, None).await;
    assert_eq!((st, body["code"].as_str()), (404, Some("no_route")));
    let (st, _) = http(addr, "GET", "/js/../Cargo.toml", None, None).await;
    assert_ne!(st, 200);
    app.stop().await.cleanup().await;
}

/// Waits until the server counts `n` open WebSockets.
async fn wait_open_sockets(addr: SocketAddr, n: i64) {
    let started = Instant::now();
    loop {
        let (_, metrics) = http(addr, "GET", "/metrics", None, None).await;
        let open = metrics.as_str().and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("detente_ws_connections_open "))
                .and_then(|v| v.trim().parse::<i64>().ok())
        });
        if open == Some(n) {
            return;
        }
        assert!(
            started.elapsed() < RECV,
            "{open:?} sockets open, waiting for {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    let app = spawn_app(Db::sqlite()).await;
    // Slowloris: a request whose headers never finish, a connection that sends nothing, and
    // one that sends only the HTTP/2 preface are each closed after the header timeout (10 s)
    // at the latest, with nothing served. The three wait side by side.
    let started = Instant::now();
    let tries: [&'static [u8]; 3] = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        b"",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ];
    let waits = tries.map(|sent| {
        let addr = app.addr;
        tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.write_all(sent).await.expect("write");
            let mut buf = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf)).await;
            (read.is_ok(), String::from_utf8_lossy(&buf).into_owned())
        })
    });
    for (sent, wait) in tries.iter().zip(waits) {
        let (closed, text) = wait.await.expect("task");
        let sent = String::from_utf8_lossy(sent);
        assert!(closed, "{sent:?}: still open after 20 s");
        assert!(!text.contains("200 OK"), "{sent:?}: {text}");
    }
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "the slow request was closed too early: {:?}",
        started.elapsed()
    );
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_caps_hold() {
    let app = spawn_app_with(Db::sqlite(), |c| c.max_connections = 20).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let anna = join(addr, &g.code, "Anna", "russia").await;

    // One seat: 16 sockets; the 17th is refused with a reason and 1008.
    let mut tabs = Vec::new();
    for i in 0..16 {
        tabs.push(Client::connect(addr, &format!("tab{i}"), &anna).await);
    }
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text(
        json!({"type": "hello", "token": anna}).to_string(),
    ))
    .await
    .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1008), "{frames:?}");
    assert_eq!(frames[0]["code"], "too_many_connections", "{frames:?}");
    tabs.pop().expect("a tab").disconnect().await;
    wait_open_sockets(addr, 15).await;
    tabs.push(Client::connect(addr, "again", &anna).await);

    // The server: 20 sockets in all; past that an upgrade gets 503.
    let ben = join(addr, &g.code, "Ben", "us_nato").await;
    wait_open_sockets(addr, 16).await;
    for i in 0..4 {
        tabs.push(Client::connect(addr, &format!("ben{i}"), &ben).await);
    }
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 503),
        other => panic!("expected 503, got {other:?}"),
    }
    // HTTP still answers: the cap on HTTP connections counts open HTTP connections only.
    let (st, _) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(st, 200);
    for mut t in tabs {
        t.disconnect().await;
    }

    // 20 HTTP connections that never send a request take every place: a 21st waits until
    // one of them goes.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = tokio::time::timeout(
        Duration::from_secs(1),
        try_http(addr, "GET", "/healthz", None, None),
    )
    .await;
    assert!(waiting.is_err(), "answered past the cap: {waiting:?}");
    idle.clear();
    let (st, _) = http(addr, "GET", "/healthz", None, None).await;
    assert_eq!(st, 200, "answered once places are free");
    app.stop().await.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Graceful restart on the same SQLite file
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_every_acknowledged_action() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    let said = chat(plenary(), "before the restart");
    let first = ru.send_command("ru-said", &said).await;
    us.ok(chat(team("us_nato"), "team secret")).await;
    control.ok(advance()).await;
    let proposed = ru
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            false,
        ))
        .await;
    ru.wait_seq(proposed).await;

    // Graceful shutdown closes every socket with 1001.
    let db = app.stop().await;
    for c in [&mut ru, &mut us, &mut control] {
        let mut ws = c.ws.take().expect("connected");
        let (_, code) = read_until_close(&mut ws, RECV).await;
        assert_eq!(code, Some(1001), "{}: going away", c.label);
    }

    let app = spawn_app(db).await;
    let addr = app.addr;
    for c in [&mut ru, &mut us, &mut control] {
        c.addr = addr;
    }
    // Russia resumes: it missed nothing.
    match ru.hello(Some(ru.seen)).await {
        ServerFrame::Welcome { seq, .. } => assert_eq!(seq, proposed),
        other => panic!("{other:?}"),
    }
    // US/NATO comes back fresh: a full view with everything acknowledged.
    let view = match us.hello(None).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert_eq!(seq, proposed);
            view.expect("view")
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(view.phase, Phase::Negotiation);
    let texts: Vec<&str> = view.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["before the restart", "team secret"]);
    assert_eq!(view.proposals.len(), 1);
    let p = view.proposals[0].id;
    // Control resumes from a few events back: the restarted server sends just those events
    // (read back from the log), not a whole view.
    let back = proposed - 3;
    let before = control.events().count();
    match control.hello(Some(back)).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert_eq!(seq, proposed);
            assert!(view.is_none(), "missed events, not a snapshot");
        }
        other => panic!("{other:?}"),
    }
    control.wait_seq(proposed).await;
    let resent: Vec<i64> = control.events().skip(before).map(|(s, _)| s).collect();
    assert_eq!(resent, ((back + 1)..=proposed).collect::<Vec<_>>());

    // A retry of an acknowledged command: the same ack, no second message.
    assert_eq!(ru.send_command("ru-said", &said).await, first);
    // The game goes on.
    let signed = us.ok(json!({"type": "accept", "proposal": p})).await;
    assert_eq!(signed, proposed + 2, "accepted and signed");
    ru.wait_seq(signed).await;
    assert!(ru.has_event(|e| matches!(e, SeatEvent::AgreementSigned { .. })));
    let (seq, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, signed);
    assert_eq!(
        view.messages
            .iter()
            .filter(|m| m.text == "before the restart")
            .count(),
        1
    );
    // Before and after the restart (live, resumed and fresh), neither faction received the
    // other's secrets: US/NATO's team chat, or anything else only Control may see.
    control.wait_seq(signed).await;
    us.wait_seq(signed).await;
    let secrets = Secrets::from_control(&control, vec![team_only("team secret", "us_nato")]);
    secrets.check(&ru.label, &ru.seat, &ru.frames, false);
    secrets.check(&us.label, &us.seat, &us.frames, true);

    for mut c in [ru, us, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 7. SIGKILL the real binary mid-game
// ---------------------------------------------------------------------------------------------

/// The `detente` binary as a child process; killed when dropped.
struct Child {
    child: std::process::Child,
    addr: SocketAddr,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

async fn start_binary(db: &Db, log: &std::path::Path) -> Child {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_detente"))
        .args([
            "serve",
            "--addr",
            &addr.to_string(),
            "--database-url",
            &db.url(),
        ])
        .env_remove("DETENTE_ADMIN_TOKEN")
        .env_remove("DETENTE_ALLOWED_ORIGINS")
        .env_remove("DETENTE_SCENARIOS")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start detente serve");
    let mut child = Child { child, addr };
    let start = Instant::now();
    loop {
        if let Some(status) = child.child.try_wait().expect("try_wait") {
            panic!("detente serve exited: {status}");
        }
        if let Ok((200, _)) = try_http(addr, "GET", "/readyz", None, None).await {
            return child;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not ready after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_every_socket_with_1001_and_exits_0() {
    let db = Db::sqlite();
    let Db::Sqlite { dir } = &db else {
        unreachable!()
    };
    let log = dir.join("server.log");
    let mut server = start_binary(&db, &log).await;
    let addr = server.addr;
    let g = create_game(addr, json!({"team_sizes": {"russia": 10, "us_nato": 10}})).await;
    // 20 players, each with a command acknowledged and one more in flight at SIGTERM.
    let mut players = Vec::new();
    for i in 0..20 {
        let f = if i % 2 == 0 { "russia" } else { "us_nato" };
        let token = join(addr, &g.code, &format!("P{i}"), f).await;
        let mut c = Client::connect(addr, &format!("p{i}"), &token).await;
        c.ok(chat(plenary(), &format!("acknowledged {i}"))).await;
        players.push(c);
    }
    for (i, c) in players.iter_mut().enumerate() {
        let cmd = chat(plenary(), &format!("in flight {i}"));
        c.send_text(
            &json!({"type": "command", "id": format!("flight-{i}"), "command": cmd}).to_string(),
        )
        .await;
    }
    let pid = server.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    // Every socket: maybe the answer to its in-flight command, then a 1001 close saying the
    // server is shutting down; no new welcome (the game is not caught up with as it stops).
    let mut in_flight_acked = Vec::new();
    for c in players.iter_mut() {
        let mut ws = c.ws.take().expect("connected");
        let mut frames: Vec<Value> = Vec::new();
        let close = loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    frames.push(serde_json::from_str(&t).expect("JSON"))
                }
                Ok(Some(Ok(Message::Close(c)))) => break c,
                Ok(Some(Ok(_))) => {}
                other => panic!("{}: no close: {other:?}; {frames:?}", c.label),
            }
        };
        let close = close.expect("a close frame");
        assert_eq!(
            (u16::from(close.code), close.reason.as_str()),
            (1001, "server shutting down"),
            "{}: {frames:?}",
            c.label
        );
        assert!(
            !frames.iter().any(|f| f["type"] == "welcome"),
            "{}: a welcome while shutting down: {frames:?}",
            c.label
        );
        for f in &frames {
            if f["type"] == "ack" {
                in_flight_acked.push(f["id"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    let started = Instant::now();
    let status = loop {
        if let Some(st) = server.child.try_wait().expect("try_wait") {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}");
    drop(server);

    // After a restart: every acknowledged message is there once; every in-flight one is
    // there at most once, and a retry with the same id makes it exactly once.
    let server = start_binary(&db, &log).await;
    let addr = server.addr;
    for c in players.iter_mut() {
        c.addr = addr;
        c.hello(None).await;
    }
    for (i, c) in players.iter_mut().enumerate() {
        let cmd = chat(plenary(), &format!("in flight {i}"));
        let answer = c.send_command(&format!("flight-{i}"), &cmd).await;
        assert!(matches!(answer, ServerFrame::Ack { .. }), "{answer:?}");
    }
    let (_, view) = summary(addr, &g.id, &g.control_token).await;
    for i in 0..20 {
        for text in [format!("acknowledged {i}"), format!("in flight {i}")] {
            let n = view.messages.iter().filter(|m| m.text == text).count();
            assert_eq!(n, 1, "{text:?} appears {n} times");
        }
    }
    eprintln!(
        "{} of 20 in-flight commands were acknowledged before the close",
        in_flight_acked.len()
    );
    drop(server);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_game_loses_nothing_acknowledged() {
    let db = Db::sqlite();
    let Db::Sqlite { dir } = &db else {
        unreachable!()
    };
    let log = dir.join("server.log");
    let mut server = start_binary(&db, &log).await;
    let addr = server.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    let mut acked = Vec::new();
    for i in 0..5 {
        let text = format!("acknowledged {i}");
        let cmd = chat(plenary(), &text);
        let id = format!("ru-chat-{i}");
        let ack = ru.send_command(&id, &cmd).await;
        assert!(matches!(ack, ServerFrame::Ack { .. }), "{ack:?}");
        acked.push((id, cmd, ack, text));
    }
    us.ok(chat(
        bilateral("russia", "us_nato"),
        "bilateral, acknowledged",
    ))
    .await;
    control.ok(advance()).await;
    let last = ru
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true,
        ))
        .await;
    // One more command in flight when the server dies: acknowledged or not, a retry must
    // leave exactly one message.
    let in_flight = chat(plenary(), "in flight");
    us.send_text(
        &json!({"type": "command", "id": "us-in-flight", "command": in_flight}).to_string(),
    )
    .await;
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    drop(server);
    for c in [&mut ru, &mut us, &mut control] {
        c.ws = None;
    }

    let server = start_binary(&db, &log).await;
    let addr = server.addr;
    for c in [&mut ru, &mut us, &mut control] {
        c.addr = addr;
    }
    let view = match control.hello(None).await {
        ServerFrame::Welcome { seq, view, .. } => {
            assert!(seq >= last, "acknowledged events kept: {seq} < {last}");
            view.expect("view")
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(view.phase, Phase::Negotiation);
    for (_, _, _, text) in &acked {
        assert_eq!(
            view.messages.iter().filter(|m| &m.text == text).count(),
            1,
            "{text}"
        );
    }
    assert!(view
        .messages
        .iter()
        .any(|m| m.text == "bilateral, acknowledged"));
    assert_eq!(view.proposals.len(), 1, "the acknowledged proposal");

    // Retries: the same acks; the in-flight command has exactly one effect.
    ru.hello(None).await;
    us.hello(None).await;
    for (id, cmd, ack, _) in &acked {
        assert_eq!(&ru.send_command(id, cmd).await, ack, "{id}");
    }
    let in_flight_ack = match us.send_command("us-in-flight", &in_flight).await {
        ServerFrame::Ack { seq, .. } => seq,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        us.send_command("us-in-flight", &in_flight).await,
        ServerFrame::Ack {
            id: "us-in-flight".into(),
            seq: in_flight_ack
        }
    );
    // The game goes on.
    let p = view.proposals[0].id;
    let signed = us.ok(json!({"type": "accept", "proposal": p})).await;
    let (seq, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, signed);
    assert_eq!(
        view.messages
            .iter()
            .filter(|m| m.text == "in flight")
            .count(),
        1,
        "exactly one effect"
    );
    assert_eq!(view.agreements.len(), 1);
    for (_, _, _, text) in &acked {
        assert_eq!(view.messages.iter().filter(|m| &m.text == text).count(), 1);
    }

    for mut c in [ru, us, control] {
        c.disconnect().await;
    }
    drop(server);
    db.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 8. Postgres unavailable for a while
// ---------------------------------------------------------------------------------------------

/// Starts the real server like [`spawn_app`], but reaching its database at `url` (e.g.
/// through [`PgProxy`]) rather than at `db.url()`.
async fn spawn_app_at(db: Db, url: String) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let config = ServeConfig {
        addr,
        database_url: Some(url),
        allowed_origins: Vec::new(),
        admin_token: None,
        log_format: LogFormat::Text,
        idle_secs: 300,
        web_dir: None,
        max_connections: 18_000,
        scenarios: Vec::new(),
        public_url: None,
        command_retention_days: 7,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(detente::serve::serve(config, listener, async move {
        let _ = stopped.await;
    }));
    wait_for_readyz(addr, 200, Duration::from_secs(30)).await;
    App {
        addr,
        db,
        stop,
        task,
    }
}

/// Polls `/readyz` until it answers `status`; how long that took.
async fn wait_for_readyz(addr: SocketAddr, status: u16, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if let Ok((st, _)) = try_http(addr, "GET", "/readyz", None, None).await {
            if st == status {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < within,
            "/readyz did not answer {status} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy in front of Postgres with a switch. Off: every proxied connection is cut, and
/// new ones are accepted and closed at once (as a database that went away mid-conversation).
struct PgProxy {
    addr: SocketAddr,
    on: tokio::sync::watch::Sender<bool>,
    /// Connections turned away while off.
    refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: JoinHandle<()>,
}

impl PgProxy {
    async fn start(target: SocketAddr) -> PgProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (on, rx) = tokio::sync::watch::channel(true);
        let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = refused.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*rx.borrow() {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    drop(inbound);
                    continue;
                }
                let mut rx = rx.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = rx.wait_for(|on| !*on) => {}
                    }
                    // Both sockets close here.
                });
            }
        });
        PgProxy {
            addr,
            on,
            refused,
            task,
        }
    }

    fn set(&self, on: bool) {
        self.on.send_replace(on);
    }

    fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `postgres://user@host:port/db` → (`postgres://user@`, `host:port`, `/db`).
fn split_pg_url(url: &str) -> (String, String, String) {
    let (scheme, rest) = url.split_once("://").expect("a database URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (user, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    (format!("{scheme}://{user}"), host, path.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_is_retryable_and_loses_nothing() {
    let test = "postgres_outage_is_retryable_and_loses_nothing";
    let Some(db) = Db::postgres(test).await else {
        return;
    };
    let (prefix, target, path) = split_pg_url(&db.url());
    let target = tokio::net::lookup_host(&target)
        .await
        .expect("resolve the Postgres host")
        .next()
        .expect("an address for the Postgres host");
    let proxy = PgProxy::start(target).await;
    let app = spawn_app_at(db, format!("{prefix}{}{path}", proxy.addr)).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let mut us = Client::connect(addr, "us_nato", &us_token).await;

    // Acknowledged before the outage.
    ru.ok(chat(plenary(), "acknowledged before the outage"))
        .await;
    us.ok(chat(team("us_nato"), "team note before the outage"))
        .await;
    control.ok(advance()).await;
    let proposed = ru
        .ok(propose(
            "Moscow accord",
            &["russia", "us_nato"],
            json!([{"kind": "political_guarantee", "by": "us_nato"}]),
            true,
        ))
        .await;
    ru.wait_seq(proposed).await;
    let p = proposal_at(&ru, proposed);
    let before = barrier(&mut control, &mut [&mut ru, &mut us]).await;
    // A second game whose briefing ends during the outage.
    let clock_game = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut clock = Client::connect(addr, "clock-control", &clock_game.control_token).await;
    let clock_deadline = welcome_view(&clock.frames[0].1)
        .deadline_at
        .expect("a briefing deadline");
    let clock_seq = clock.seen;

    // The database goes away.
    proxy.set(false);
    let took = wait_for_readyz(addr, 503, Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(5), "/readyz 503 after {took:?}");

    // Commands fail quickly with a clear, retryable error; each twice (a retry during the
    // outage fails the same way: a failure is not remembered as the answer).
    let said = chat(plenary(), "said during the outage");
    let accept = json!({"type": "accept", "proposal": p});
    let adv = advance();
    let outage: [(&str, &Value); 3] = [
        ("ru-outage-chat", &said),
        ("us-outage-accept", &accept),
        ("control-outage-advance", &adv),
    ];
    for _ in 0..2 {
        for (i, (id, cmd)) in outage.iter().enumerate() {
            let client = match i {
                0 => &mut ru,
                1 => &mut us,
                _ => &mut control,
            };
            let c = client.label.clone();
            let start = Instant::now();
            match client.send_command(id, cmd).await {
                ServerFrame::Error {
                    id: Some(eid),
                    code,
                    retryable,
                    message,
                } => {
                    assert_eq!(
                        (eid.as_str(), code.as_str(), retryable),
                        (*id, "unavailable", true),
                        "{c}: {message}"
                    );
                    assert!(!message.is_empty());
                }
                other => panic!("{c}: {id} during the outage: {other:?}"),
            }
            let took = start.elapsed();
            assert!(
                took < Duration::from_secs(5),
                "{c}: the error took {took:?}"
            );
        }
    }
    // Nothing changed: no events reached anyone.
    for c in [&mut ru, &mut us, &mut control] {
        c.ping().await;
        assert_eq!(c.seen, before, "{}: no events during the outage", c.label);
    }
    // REST and new connections say so too.
    let (st, body) = http(
        addr,
        "GET",
        &format!("/api/games/{}", g.id),
        None,
        Some(&g.control_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text(
        json!({"type": "hello", "token": ru_token}).to_string(),
    ))
    .await
    .expect("send");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(
        (&frames[0]["code"], &frames[0]["retryable"]),
        (&json!("unavailable"), &json!(true))
    );
    assert_eq!(code, Some(1001));

    // The second game's deadline passes while the database is away: it cannot fire yet.
    let wait = clock_deadline + 300 - detente::game::now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    clock.ping().await;
    assert_eq!(
        clock.seen, clock_seq,
        "no phase change without the database"
    );

    // The database returns: the server recovers by itself.
    proxy.set(true);
    wait_for_readyz(addr, 200, Duration::from_secs(15)).await;
    let (seq, _) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(seq, before, "nothing was written during the outage");
    // The overdue deadline fires.
    wait_event(&mut clock, clock_seq, "the negotiation", |e| {
        matches!(
            e,
            SeatEvent::PhaseChanged {
                phase: Phase::Negotiation,
                ..
            }
        )
    })
    .await;

    // The same commands, same ids: acknowledged, each with exactly one effect.
    let mut acks = Vec::new();
    for (i, (id, cmd)) in outage.iter().enumerate() {
        let client = match i {
            0 => &mut ru,
            1 => &mut us,
            _ => &mut control,
        };
        let ack = client.send_command(id, cmd).await;
        let ServerFrame::Ack { seq, .. } = ack else {
            panic!("{}: {id} after the outage: {ack:?}", client.label)
        };
        acks.push((i, id, cmd, ack.clone(), seq));
    }
    let seqs: Vec<i64> = acks.iter().map(|a| a.4).collect();
    // A message; an acceptance and the signature; the move to orders.
    assert_eq!(seqs, vec![before + 1, before + 3, before + 4]);
    // Retried once more: the same answers, no second effect.
    for (i, id, cmd, ack, _) in &acks {
        let client = match i {
            0 => &mut ru,
            1 => &mut us,
            _ => &mut control,
        };
        assert_eq!(&client.send_command(id, cmd).await, ack, "{id}");
    }
    let last = before + 4;
    for c in [&mut ru, &mut us, &mut control] {
        c.wait_seq(last).await;
        c.ping().await;
        assert_eq!(c.seen, last, "{}: nothing more", c.label);
    }

    // Everything acknowledged is there, once: a fresh connection's view, and REST.
    let fresh = Client::connect(addr, "control-fresh", &g.control_token).await;
    let view = match &fresh.frames[0].1 {
        ServerFrame::Welcome {
            seq, view: Some(v), ..
        } => {
            assert_eq!(*seq, last);
            v.clone()
        }
        other => panic!("{other:?}"),
    };
    let count = |v: &SeatView, text: &str| v.messages.iter().filter(|m| m.text == text).count();
    for text in [
        "acknowledged before the outage",
        "team note before the outage",
        "said during the outage",
    ] {
        assert_eq!(count(&view, text), 1, "{text}");
    }
    assert_eq!(view.phase, Phase::Orders);
    assert_eq!(view.proposals.len(), 1);
    assert_eq!(view.agreements.len(), 1, "signed once");
    let (seq, rest_view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!((seq, &rest_view), (last, &*view));
    // New work goes through as usual.
    let ordered = ru.ok(order("mirv_new_icbms", 1)).await;
    // Through the outage, the refusals and the retries, neither faction received the other's
    // secrets: US/NATO's team note, Russia's order, either's purse.
    control.wait_seq(ordered).await;
    let secrets = Secrets::from_control(
        &control,
        vec![team_only("team note before the outage", "us_nato")],
    );
    secrets.check(&ru.label, &ru.seat, &ru.frames, false);
    secrets.check(&us.label, &us.seat, &us.frames, false);

    for mut c in [ru, us, control, fresh, clock] {
        c.disconnect().await;
    }
    let db = app.stop().await;
    drop(proxy);
    db.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 9. Deadlines move games on by themselves, also after a restart
// ---------------------------------------------------------------------------------------------

/// Reads until `c` has an event after `after` that matches; that event's sequence.
async fn wait_event(
    c: &mut Client,
    after: i64,
    what: &str,
    pred: impl Fn(&SeatEvent) -> bool,
) -> i64 {
    let start = Instant::now();
    loop {
        if let Some((seq, _)) = c.events().find(|(s, e)| *s > after && pred(e)) {
            return seq;
        }
        assert!(
            start.elapsed() < RECV,
            "{}: no {what} after {after} within {RECV:?}",
            c.label
        );
        c.recv().await;
    }
}

/// The welcome's view (of a fresh hello).
fn welcome_view(frame: &ServerFrame) -> SeatView {
    match frame {
        ServerFrame::Welcome { view: Some(v), .. } => (**v).clone(),
        other => panic!("expected a welcome with a view: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_move_the_game_on_by_themselves() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 1, "orders": 1, "review": 1}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let start = detente::game::now_ms();
    let view = welcome_view(&control.frames[0].1);
    assert_eq!((view.round, view.phase), (0, Phase::Briefing));
    let briefing_ends = view.deadline_at.expect("a briefing deadline");

    // Nobody sends anything: the clock alone takes the game through a whole round.
    let next_round = wait_event(&mut control, 0, "round 1", |e| {
        matches!(e, SeatEvent::RoundBegan { round: 1, .. })
    })
    .await;
    let took = detente::game::now_ms() - start;
    assert!(
        (2_500..10_000).contains(&took),
        "four one-second phases took {took} ms"
    );
    let milestones: Vec<(String, Option<i64>)> = control
        .events()
        .filter_map(|(_, e)| match e {
            SeatEvent::PhaseChanged {
                phase, deadline_at, ..
            } => Some((format!("{phase:?}"), *deadline_at)),
            SeatEvent::Adjudicated { report, .. } => {
                Some((format!("adjudicated {}", report.round), None))
            }
            SeatEvent::RoundBegan {
                round, deadline_at, ..
            } => Some((format!("round {round}"), *deadline_at)),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = milestones.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "Negotiation",
            "Orders",
            "adjudicated 0",
            "Review",
            "round 1"
        ]
    );
    // Each phase began when the previous one's deadline passed, and got a second of its own.
    let mut previous = briefing_ends;
    for (name, deadline) in milestones.iter().filter(|(_, d)| d.is_some()) {
        let deadline = deadline.expect("a deadline");
        let began = deadline - 1_000;
        assert!(
            began >= previous && began < previous + 2_000,
            "{name} began at {began}, the previous deadline was {previous}"
        );
        previous = deadline;
    }
    // A player gets the same events, filtered for its seat.
    ru.wait_seq(next_round).await;
    let report = ru
        .events()
        .find_map(|(_, e)| match e {
            SeatEvent::Adjudicated { report, .. } => Some(report.clone()),
            _ => None,
        })
        .expect("russia saw the adjudication");
    assert_eq!(
        report
            .factions
            .keys()
            .map(|f| f.as_str())
            .collect::<Vec<_>>(),
        vec!["russia"]
    );
    assert!(ru.has_event(|e| matches!(e, SeatEvent::RoundBegan { round: 1, .. })));
    // No more deadlines: the game's task must not keep ticking after the test (in-process game
    // tasks outlive the server; see `a_stopped_server_leaves_no_game_task_behind`).
    control
        .ok(json!({"type": "end_game", "note": "the clock ran"}))
        .await;

    for mut c in [ru, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

/// Stops the `detente` binary with SIGTERM (a graceful shutdown) and waits for it to exit 0.
fn terminate(mut server: Child) {
    let pid = server.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}");
    let exit = server.child.wait().expect("wait for detente");
    assert!(exit.success(), "graceful shutdown exits 0: {exit}");
}

/// A restart of the real binary (whose game tasks end with it, unlike an in-process server's;
/// see `a_stopped_server_leaves_no_game_task_behind`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_is_rearmed_after_a_restart() {
    let db = Db::sqlite();
    let Db::Sqlite { dir } = &db else {
        unreachable!()
    };
    let log = dir.join("server.log");
    let server = start_binary(&db, &log).await;
    let addr = server.addr;
    // The briefing ends in 2 s; the negotiation's long deadline dates the tick that ends it.
    let negotiation_ms = 600_000;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 2, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let view = welcome_view(&control.frames[0].1);
    assert_eq!(view.phase, Phase::Briefing);
    let briefing_ends = view.deadline_at.expect("a briefing deadline");
    control.disconnect().await;
    terminate(server);
    assert!(
        detente::game::now_ms() < briefing_ends - 200,
        "the server stopped before the deadline"
    );

    // A new server on the same file, and nobody connects until well past the deadline.
    let server = start_binary(&db, &log).await;
    let wait = briefing_ends + 1_200 - detente::game::now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let connected_at = detente::game::now_ms();
    control.addr = server.addr;
    let view = welcome_view(&control.hello(None).await);
    assert_eq!(
        view.phase,
        Phase::Negotiation,
        "the briefing deadline fired with nobody connected"
    );
    let ticked_at = view.deadline_at.expect("a negotiation deadline") - negotiation_ms;
    assert!(
        ticked_at >= briefing_ends && ticked_at < briefing_ends + 1_000,
        "the deadline fired on time: {} ms after it",
        ticked_at - briefing_ends
    );
    assert!(ticked_at < connected_at, "before anyone connected");

    control.disconnect().await;
    drop(server);
    db.cleanup().await;
}

/// `serve` has returned: nothing of that server may write to its database any more (a new
/// server may own the games now).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_leaves_no_game_task_behind() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let briefing_ends = welcome_view(&control.frames[0].1)
        .deadline_at
        .expect("a briefing deadline");
    let at_stop = control.seen;
    control.disconnect().await;
    let db = app.stop().await;
    let wait = briefing_ends + 700 - detente::game::now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let last_seq: i64 = {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&db.url())
            .await
            .expect("open the SQLite file");
        sqlx::query_scalar("SELECT last_seq FROM games WHERE id = $1")
            .bind(&g.id)
            .fetch_one(&mut conn)
            .await
            .expect("the game's row")
    };
    assert_eq!(
        last_seq, at_stop,
        "events were appended after the server stopped"
    );
    db.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 10. Bot seats play server-side
// ---------------------------------------------------------------------------------------------

fn is_ready(e: &SeatEvent, faction: &str) -> bool {
    matches!(e, SeatEvent::FactionReady { faction: f } if f.as_str() == faction)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_play_their_seats_server_side() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"bots": {"us_nato": "pragmatist", "csto": "dove"}}),
    )
    .await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    let bots = ["csto", "us_nato"];
    let view = welcome_view(&ru.frames[0].1);
    assert_eq!(
        view.bots.keys().map(|f| f.as_str()).collect::<Vec<_>>(),
        bots
    );
    // In the briefing the bots have nothing to do but declare themselves ready.
    assert_eq!(
        view.ready.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        bots,
        "the bots are ready"
    );

    // Control opens the negotiation. Each bot makes the human player a proposal, says why in
    // their bilateral channel, then declares itself ready.
    let negotiation = control.ok(advance()).await;
    for bot in bots {
        wait_event(&mut control, negotiation, "a bot ready", |e| {
            is_ready(e, bot)
        })
        .await;
        wait_event(&mut ru, negotiation, "a bot's proposal to Russia", |e| {
            matches!(e, SeatEvent::ProposalMade { proposal }
                if proposal.proposer.as_str() == bot
                    && proposal.terms.parties.iter().any(|p| p.as_str() == "russia"))
        })
        .await;
        wait_event(&mut ru, negotiation, "a bot's word to Russia", |e| {
            matches!(e, SeatEvent::ChatPosted { message }
                if message.from == Seat::Faction(bot.into())
                    && matches!(&message.channel, Channel::Bilateral { factions }
                        if factions.iter().any(|f| f.as_str() == "russia"))
                    && message.author.ends_with("(bot)"))
        })
        .await;
    }

    // Russia proposes to each bot; each answers by itself (accepting, rejecting or countering)
    // with a line giving its reason.
    for (bot, clause) in [
        (
            "us_nato",
            json!({"kind": "political_guarantee", "by": "us_nato"}),
        ),
        (
            "csto",
            json!({"kind": "no_systems_belarus", "by": "csto", "action": "host_russian_systems_belarus"}),
        ),
    ] {
        let seq = ru
            .ok(propose(
                &format!("Offer to {bot}"),
                &["russia", bot],
                json!([clause]),
                false,
            ))
            .await;
        ru.wait_seq(seq).await;
        let p = proposal_at(&ru, seq);
        let answer = wait_event(&mut ru, seq, "the bot's answer", |e| match e {
            SeatEvent::ProposalAccepted { proposal, by }
            | SeatEvent::ProposalRejected { proposal, by, .. }
            | SeatEvent::ProposalCountered { proposal, by, .. } => {
                *proposal == p && by.as_str() == bot
            }
            _ => false,
        })
        .await;
        wait_event(&mut ru, answer, "the bot's reason", |e| {
            matches!(e, SeatEvent::ChatPosted { message }
                if message.from == Seat::Faction(bot.into()) && !message.text.is_empty())
        })
        .await;
    }

    // Control opens the orders phase: the bots give their orders and declare themselves ready.
    let orders = control.ok(advance()).await;
    for bot in bots {
        wait_event(&mut control, orders, "a bot ready", |e| is_ready(e, bot)).await;
    }
    let bot_orders: Vec<String> = control
        .events()
        .filter(|(s, _)| *s > orders)
        .filter_map(|(_, e)| match e {
            SeatEvent::OrderSubmitted { faction, order } => {
                Some(format!("{faction}: {}", order.action.as_str()))
            }
            _ => None,
        })
        .collect();
    assert!(
        bots.iter()
            .all(|b| bot_orders.iter().any(|o| o.starts_with(&format!("{b}: ")))),
        "each bot gave orders: {bot_orders:?}"
    );
    let adjudicated = |c: &Client| c.has_event(|e| matches!(e, SeatEvent::Adjudicated { .. }));
    assert!(!adjudicated(&control), "not before Russia is ready");

    // The human gives an order and is ready: every faction is ready, so the round is judged.
    ru.ok(order("mirv_new_icbms", 1)).await;
    let done = ru.ok(ready()).await;
    ru.wait_seq(done).await;
    control.wait_seq(done).await;
    let (at, report) = control
        .events()
        .find_map(|(s, e)| match e {
            SeatEvent::Adjudicated { report, .. } => Some((s, report.clone())),
            _ => None,
        })
        .expect("adjudicated");
    assert!(at <= done, "adjudicated by Russia's ready");
    assert_eq!(report.factions.len(), 3, "Control's report covers the bots");
    assert!(adjudicated(&ru));
    // Review → the next round: the bots are ready again by themselves.
    let next = control.ok(advance()).await;
    for bot in bots {
        wait_event(&mut ru, next, "a bot ready", |e| is_ready(e, bot)).await;
    }

    // Russia saw nothing of the bots' secrets (their draft orders, their purses).
    control.wait_seq(ru.seen).await;
    control.ping().await;
    let secrets = Secrets::from_control(&control, Vec::new());
    secrets.check(&ru.label, &ru.seat, &ru.frames, false);

    for mut c in [ru, control] {
        c.disconnect().await;
    }
    app.stop().await.cleanup().await;
}

// ---------------------------------------------------------------------------------------------
// 11. A slow reader never stalls the game and never silently loses an event
// ---------------------------------------------------------------------------------------------

/// A WebSocket with a tiny receive buffer, so that a client not reading it backs up into the
/// server quickly instead of into the kernel.
async fn ws_connect_small_buffer(addr: SocketAddr) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(addr).await.expect("connect");
    let (ws, _) =
        tokio_tungstenite::client_async(format!("ws://{addr}/ws"), MaybeTlsStream::Plain(stream))
            .await
            .expect("WebSocket handshake");
    ws
}

/// How a flooding connection posts.
#[derive(Clone)]
struct Flood {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Acknowledgements, over all connections.
    acked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Commands sent before their answers came (1: wait for each answer).
    window: usize,
    /// Four-byte characters per message (long frames within the 2,000-character limit).
    chars: usize,
}

impl Flood {
    fn new(window: usize, chars: usize) -> Flood {
        Flood {
            stop: Default::default(),
            acked: Default::default(),
            window,
            chars,
        }
    }

    fn acked(&self) -> usize {
        self.acked.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Lets every connection finish (its unanswered commands get their answers).
    fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// One connection posting plenary messages until told to stop: a burst of 30, then 15 a
/// second (under the limit of a burst of 40 and 20/s), reading everything the server sends
/// meanwhile. How many were acknowledged.
async fn flood_chat(addr: SocketAddr, token: String, label: String, flood: Flood) -> usize {
    use std::sync::atomic::Ordering;
    let mut ws = ws_connect(addr).await;
    ws.send(Message::text(
        json!({"type": "hello", "token": token}).to_string(),
    ))
    .await
    .expect("hello");
    let start = tokio::time::Instant::now();
    let deadline = start + Duration::from_secs(60);
    let (mut sent, mut acked) = (0usize, 0usize);
    let stopped = || flood.stop.load(Ordering::SeqCst);
    while !(stopped() && acked == sent) {
        let next_at = start + Duration::from_millis((sent.max(30) as u64 - 30) * 1000 / 15);
        tokio::select! {
            _ = tokio::time::sleep_until(next_at), if sent - acked < flood.window => {
                if stopped() {
                    continue;
                }
                let text = format!("{label} {sent:04} {}", "\u{1F6F0}".repeat(flood.chars));
                let frame = json!({"type": "command", "id": format!("{label}-{sent}"),
                    "command": chat(plenary(), &text)});
                ws.send(Message::text(frame.to_string())).await.expect("send");
                sent += 1;
            }
            msg = tokio::time::timeout_at(deadline, ws.next()) => match msg {
                Err(_) => panic!("{label}: {acked} of {sent} acknowledged after 60 s"),
                // Only answers matter here; events are not parsed (that costs the CPU the
                // server needs).
                Ok(Some(Ok(Message::Text(t)))) if t.starts_with(r#"{"type":"ack""#) => {
                    acked += 1;
                    flood.acked.fetch_add(1, Ordering::SeqCst);
                }
                Ok(Some(Ok(Message::Text(t)))) if t.starts_with(r#"{"type":"error""#) => {
                    panic!("{label}: {t}")
                }
                Ok(Some(Ok(Message::Close(c)))) => panic!("{label}: closed: {c:?}"),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => panic!("{label}: {e}"),
                Ok(None) => panic!("{label}: the connection ended"),
            }
        }
    }
    let _ = ws.close(None).await;
    acked
}

/// An observer's raw connection: says hello and reads the welcome; the welcome's sequence.
async fn observer_hello(ws: &mut Ws, token: &str) -> i64 {
    ws.send(Message::text(
        json!({"type": "hello", "token": token}).to_string(),
    ))
    .await
    .expect("hello");
    let text = match tokio::time::timeout(RECV, ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
        other => panic!("welcome: {other:?}"),
    };
    match serde_json::from_str(&text).expect("welcome") {
        ServerFrame::Welcome {
            seq, view: Some(v), ..
        } => {
            assert!(v.messages.is_empty());
            seq
        }
        other => panic!("{other:?}"),
    }
}

/// Reads a connection until the message `until` arrives: the plenary messages received, in
/// order, and how many further welcomes came. Fails on any gap: every event of this game is
/// a plenary message, which every seat may see, so the sequences must be consecutive.
async fn read_chat(ws: &mut Ws, label: &str, mut seen: i64, until: &str) -> (Vec<String>, usize) {
    let mut texts: Vec<String> = Vec::new();
    let mut welcomes = 0;
    while texts.last().map(String::as_str) != Some(until) {
        let text = match tokio::time::timeout(RECV, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
            Ok(Some(Ok(Message::Close(c)))) => panic!("{label}: closed at {seen}: {c:?}"),
            Ok(Some(Ok(_))) => continue,
            other => panic!("{label}: at {seen}: {other:?}"),
        };
        match serde_json::from_str(&text).expect("a server frame") {
            ServerFrame::Event { seq, event } => {
                assert_eq!(
                    seq,
                    seen + 1,
                    "{label}: a gap after {seen} ({welcomes} welcomes)"
                );
                seen = seq;
                match event {
                    SeatEvent::ChatPosted { message } => texts.push(message.text),
                    other => panic!("{label}: unexpected {other:?}"),
                }
            }
            ServerFrame::Welcome { seq, view, .. } => {
                welcomes += 1;
                match view {
                    // Resumed where it left off: the missed events follow.
                    None => assert!(seq >= seen, "{label}: welcome {seq} behind {seen}"),
                    // Too far behind: a fresh view.
                    Some(v) => {
                        texts = v.messages.iter().map(|m| m.text.clone()).collect();
                        seen = seq;
                    }
                }
            }
            other => panic!("{label}: unexpected {other:?}"),
        }
    }
    (texts, welcomes)
}

/// A counter from `/metrics`.
async fn metric(addr: SocketAddr, name: &str) -> u64 {
    let (st, body) = http(addr, "GET", "/metrics", None, None).await;
    assert_eq!(st, 200);
    body.as_str()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in /metrics: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_reader_catches_up_without_a_silent_gap() {
    const FLOODERS: usize = 16;
    const DROPPED: &str = "detente_subscribers_dropped_total";
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let mut tokens = vec![g.control_token.clone()];
    for (name, f) in [("Ivan", "russia"), ("Jane", "us_nato"), ("Aigerim", "csto")] {
        tokens.push(join(addr, &g.code, name, f).await);
    }
    let slow_token = join_observer(addr, &g.code, "Slow projector").await;
    let ref_token = join_observer(addr, &g.code, "Projector").await;
    let end = "after the flood";

    // The slow reader says hello, reads its welcome, then stops reading.
    let mut slow = ws_connect_small_buffer(addr).await;
    let start_seq = observer_hello(&mut slow, &slow_token).await;
    // A reader that keeps up, for comparison.
    let mut reference = ws_connect(addr).await;
    assert_eq!(observer_hello(&mut reference, &ref_token).await, start_seq);
    let reader = tokio::spawn(async move {
        let got = read_chat(&mut reference, "reference", start_seq, end).await;
        let _ = reference.close(None).await;
        got
    });

    // The flood (every message in the plenary, so every seat sees every event), until more
    // has been posted than the server's largest TCP send buffer and the slow reader's queue of
    // 256 frames can hold.
    let wmem_max = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<usize>().ok())
        .unwrap_or(4 << 20);
    let enough = wmem_max / 7_800 + 256 + 64;
    // Each connection waits for its answer before the next message (see
    // `pipelined_commands_do_not_resync_a_reader_that_keeps_up`).
    let flood = Flood::new(1, 1_950);
    let flooders: Vec<JoinHandle<usize>> = (0..FLOODERS)
        .map(|i| {
            let token = tokens[i % tokens.len()].clone();
            tokio::spawn(flood_chat(addr, token, format!("f{i:02}"), flood.clone()))
        })
        .collect();
    let start = Instant::now();
    while flood.acked() < enough {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} of {enough} messages posted in 30 s",
            flood.acked()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    flood.stop();
    let mut posted = 0;
    for f in flooders {
        posted += f.await.expect("flooder");
    }
    // One more message after the flood: the slow reader must get it live.
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let after = control.ok(chat(plenary(), end)).await;
    assert_eq!(after, start_seq + posted as i64 + 1);
    // (The reference, too, may have been resynced under this load: checked the same way.)
    let (expected, _) = reader.await.expect("reference reader");
    assert_eq!(expected.len(), posted + 1);
    assert!(metric(addr, DROPPED).await >= 1, "a subscriber was dropped");

    // The slow reader reads again: every message exactly once, in order, without a gap, after
    // a second welcome that resumes where it left off (or brings a fresh view).
    let (texts, welcomes) = read_chat(&mut slow, "slow", start_seq, end).await;
    assert!(welcomes >= 1, "the slow reader was told it fell behind");
    let first_difference = texts.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        texts.len() == expected.len() && first_difference.is_none(),
        "the slow reader got {} messages, the reference {}; first difference at {:?}",
        texts.len(),
        expected.len(),
        first_difference
    );
    // And it is live again.
    let live = control.ok(chat(plenary(), "live again")).await;
    let (texts, _) = read_chat(&mut slow, "slow", after, "live again").await;
    assert_eq!(texts.len(), 1);
    assert_eq!(live, after + 1);

    let _ = slow.close(None).await;
    control.disconnect().await;
    app.stop().await.cleanup().await;
}

/// A client may send its next commands before the answers come (well within the rate limit),
/// and reads everything the server sends: it is not a slow reader and must not be resynced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_commands_do_not_resync_a_reader_that_keeps_up() {
    const FLOODERS: usize = 16;
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let mut tokens = vec![g.control_token.clone()];
    for (name, f) in [("Ivan", "russia"), ("Jane", "us_nato"), ("Aigerim", "csto")] {
        tokens.push(join(addr, &g.code, name, f).await);
    }
    // Short messages, four commands in flight per connection.
    let flood = Flood::new(4, 10);
    let flooders: Vec<JoinHandle<usize>> = (0..FLOODERS)
        .map(|i| {
            let token = tokens[i % tokens.len()].clone();
            tokio::spawn(flood_chat(addr, token, format!("p{i:02}"), flood.clone()))
        })
        .collect();
    let start = Instant::now();
    while flood.acked() < 800 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "800 messages in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    flood.stop();
    for f in flooders {
        f.await.expect("flooder");
    }
    assert_eq!(
        metric(addr, "detente_subscribers_dropped_total").await,
        0,
        "connections that kept reading were dropped as slow readers"
    );
    app.stop().await.cleanup().await;
}

/// While the database is away, an overdue deadline is retried with some restraint, not in a
/// tight loop (each attempt opens a database connection and logs a warning).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_deadline_backs_off_while_the_database_is_away() {
    let test = "overdue_deadline_backs_off_while_the_database_is_away";
    let Some(db) = Db::postgres(test).await else {
        return;
    };
    let (prefix, target, path) = split_pg_url(&db.url());
    let target = tokio::net::lookup_host(&target)
        .await
        .expect("resolve the Postgres host")
        .next()
        .expect("an address for the Postgres host");
    let proxy = PgProxy::start(target).await;
    let app = spawn_app_at(db, format!("{prefix}{}{path}", proxy.addr)).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"deadlines": {"briefing": 1, "negotiation": 600, "orders": 0, "review": 0}}),
    )
    .await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    let deadline = welcome_view(&control.frames[0].1)
        .deadline_at
        .expect("a briefing deadline");
    proxy.set(false);
    let wait = deadline + 2_000 - detente::game::now_ms();
    tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)).await;
    let attempts = proxy.refused();
    proxy.set(true);
    wait_event(&mut control, 0, "the negotiation", |e| {
        matches!(
            e,
            SeatEvent::PhaseChanged {
                phase: Phase::Negotiation,
                ..
            }
        )
    })
    .await;
    assert!(
        attempts < 50,
        "{attempts} database connections tried in the 2 s after the deadline"
    );
    control.disconnect().await;
    let db = app.stop().await;
    drop(proxy);
    db.cleanup().await;
}

/// An unwatched game without a deadline leaves memory, and comes back by replaying its log
/// with everything in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_game_leaves_memory_and_comes_back_by_replay() {
    let app = spawn_app_idle(Db::sqlite(), 1).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let token = join(addr, &g.code, "Ivan", "russia").await;
    let mut ru = Client::connect(addr, "russia", &token).await;
    let seq = ru
        .ok(chat(json!({"kind": "plenary"}), "still here after a nap"))
        .await;
    assert!(metric(addr, "detente_games_in_memory").await >= 1);
    // The command was timed: in its game's queue, in the commit, and from hand-over to answer.
    for timed in [
        "detente_command_queue_seconds_count",
        "detente_commit_seconds_count",
        "detente_command_seconds_count",
    ] {
        assert_eq!(metric(addr, timed).await, 1, "{timed}");
    }
    ru.disconnect().await;
    let start = Instant::now();
    while metric(addr, "detente_games_in_memory").await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "an unwatched game without deadline should leave memory after ~1 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Back by replay: a fresh connection sees the message, and the game goes on.
    let mut again = Client::connect(addr, "russia-again", &token).await;
    let welcome = again
        .frames
        .iter()
        .find_map(|(raw, f)| matches!(f, ServerFrame::Welcome { .. }).then(|| raw.clone()))
        .expect("a welcome");
    assert!(welcome.contains("still here after a nap"), "{welcome}");
    assert_eq!(again.seen, seq, "the replayed game is at the same sequence");
    let next = again
        .ok(chat(json!({"kind": "plenary"}), "and on we go"))
        .await;
    assert_eq!(next, seq + 1);
    app.stop().await;
}

/// The last `team` frame a client received: (name, connected, captain) per member.
fn last_team(c: &Client) -> Vec<(String, bool, bool)> {
    c.frames
        .iter()
        .rev()
        .find_map(|(_, f)| match f {
            ServerFrame::Team { members, .. } => Some(
                members
                    .iter()
                    .map(|m| (m.name.clone(), m.connected, m.captain))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

/// Waits until `c`'s last team frame is `want`.
async fn wait_team(c: &mut Client, want: &[(&str, bool, bool)]) {
    let want: Vec<(String, bool, bool)> = want
        .iter()
        .map(|(n, a, b)| ((*n).to_owned(), *a, *b))
        .collect();
    let started = Instant::now();
    while last_team(c) != want {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}: team {:?}, want {want:?}",
            c.label,
            last_team(c)
        );
        c.ping().await;
    }
}

async fn wait_phase(addr: SocketAddr, game: &str, token: &str, phase: Phase) {
    let started = Instant::now();
    loop {
        let (_, view) = summary(addr, game, token).await;
        if view.phase == phase {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still in {:?}, want {phase:?}",
            view.phase
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teams_ready_waits_for_every_connected_member() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    // Bots play the others: they are ready at once, so only Russia's team holds the phase.
    let g = create_game(
        addr,
        json!({"bots": {"us_nato": "dove", "csto": "dove"}, "start": "lobby"}),
    )
    .await;
    let anna_token = join(addr, &g.code, "Anna", "russia").await;
    let boris_token = join(addr, &g.code, "Boris", "russia").await;
    let mut anna = Client::connect(addr, "anna", &anna_token).await;
    let mut boris = Client::connect(addr, "boris", &boris_token).await;
    // Who is in the team, connected, and captain (seated first).
    wait_team(&mut anna, &[("Anna", true, true), ("Boris", true, false)]).await;
    wait_team(&mut boris, &[("Anna", true, true), ("Boris", true, false)]).await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    control.ok(json!({"type": "start"})).await;

    // Anna's Ready is hers: the phase waits for Boris.
    anna.ok(ready()).await;
    let (_, view) = summary(addr, &g.id, &boris_token).await;
    assert_eq!(view.phase, Phase::Briefing, "Boris has not said Ready");
    let marks: Vec<_> = view.members_ready[&FactionId::from("russia")]
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(marks, ["Anna"]);
    // Other factions do not see who in Russia's team is ready.
    let (_, view) = summary(addr, &g.id, &g.control_token).await;
    assert_eq!(view.members_ready.len(), 1, "Control sees it");
    // Withdrawn and given again.
    anna.ok(json!({"type": "withdraw_ready"})).await;
    let (_, view) = summary(addr, &g.id, &anna_token).await;
    assert!(view
        .members_ready
        .get(&FactionId::from("russia"))
        .is_none_or(|m| m.is_empty()));
    anna.ok(ready()).await;
    boris.ok(ready()).await;
    wait_phase(addr, &g.id, &anna_token, Phase::Negotiation).await;

    // Boris leaves with Anna ready: the team no longer waits for him.
    anna.ok(ready()).await;
    let (_, view) = summary(addr, &g.id, &anna_token).await;
    assert_eq!(view.phase, Phase::Negotiation);
    boris.disconnect().await;
    wait_phase(addr, &g.id, &anna_token, Phase::Orders).await;
    wait_team(&mut anna, &[("Anna", true, true), ("Boris", false, false)]).await;
    // Alone now, Anna's Ready is the team's.
    anna.ok(ready()).await;
    wait_phase(addr, &g.id, &anna_token, Phase::Review).await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_captain_the_captains_ready_decides() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(
        addr,
        json!({"bots": {"us_nato": "dove", "csto": "dove"}, "team_ready": "captain", "start": "now"}),
    )
    .await;
    let anna_token = join(addr, &g.code, "Anna", "russia").await;
    let boris_token = join(addr, &g.code, "Boris", "russia").await;
    let mut anna = Client::connect(addr, "anna", &anna_token).await;
    let mut boris = Client::connect(addr, "boris", &boris_token).await;
    wait_team(&mut boris, &[("Anna", true, true), ("Boris", true, false)]).await;
    boris.ok(ready()).await;
    let (_, view) = summary(addr, &g.id, &anna_token).await;
    assert_eq!(view.phase, Phase::Briefing, "Boris is not the captain");
    anna.ok(ready()).await;
    wait_phase(addr, &g.id, &anna_token, Phase::Negotiation).await;
    // The captain leaves: Boris, ready, is captain now, and his Ready decides.
    boris.ok(ready()).await;
    anna.disconnect().await;
    wait_phase(addr, &g.id, &boris_token, Phase::Orders).await;
    wait_team(&mut boris, &[("Anna", false, false), ("Boris", true, true)]).await;
    app.stop().await.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_switches_a_lobby_to_start_when_seated() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({"bots": {"csto": "dove"}, "start": "lobby"})).await;
    let ru_token = join(addr, &g.code, "Anna", "russia").await;
    let mut control = Client::connect(addr, "control", &g.control_token).await;
    control
        .ok(json!({"type": "set_start", "start": "when_seated"}))
        .await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Lobby, "US/NATO has nobody yet");
    assert_eq!(view.start, detente::engine::StartMode::WhenSeated);
    // Back to waiting for Start, then on again once every faction is seated: it starts at once.
    control
        .ok(json!({"type": "set_start", "start": "lobby"}))
        .await;
    join(addr, &g.code, "Ben", "us_nato").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, view) = summary(addr, &g.id, &ru_token).await;
    assert_eq!(view.phase, Phase::Lobby, "waits for Start");
    control
        .ok(json!({"type": "set_start", "start": "when_seated"}))
        .await;
    wait_phase(addr, &g.id, &ru_token, Phase::Briefing).await;
    assert_eq!(
        control
            .refused(json!({"type": "set_start", "start": "lobby"}))
            .await,
        "wrong_phase"
    );
    app.stop().await.cleanup().await;
}

/// A new game and the socket of Ivan, who plays Russia in it; and his token.
async fn ivan_socket(addr: SocketAddr) -> (String, Ws) {
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let ru = Client::connect(addr, "russia", &ru_token).await;
    (ru_token, ru.ws.expect("connected"))
}

/// A burst of commands past the rate limit: every command read before the limit still gets its
/// one answer, in order, before the `rate_limited` error and the 1008 close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_answers_every_command_read_before_closing() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (_, mut ws) = ivan_socket(addr).await;
    for i in 0..60 {
        let frame = json!({"type": "command", "id": format!("c-{i}"), "command": chat(plenary(), &format!("burst {i}"))});
        ws.feed(Message::text(frame.to_string()))
            .await
            .expect("feed");
    }
    ws.flush().await.expect("flush");
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    let answers: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "ack" || (f["type"] == "error" && f["id"].is_string()))
        .collect();
    let ids: Vec<String> = answers
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_owned())
        .collect();
    let want: Vec<String> = (0..ids.len()).map(|i| format!("c-{i}")).collect();
    assert_eq!(ids, want, "one answer per command read, in order");
    assert!(
        ids.len() >= 39,
        "the burst of 40 is answered: {}",
        ids.len()
    );
    let last = frames.last().expect("frames");
    assert_eq!(last["code"], "rate_limited", "{frames:?}");
    assert_eq!(code, Some(1008));
    app.stop().await.cleanup().await;
}

/// WebSocket pings count against the rate limit like any frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_frames_count_against_the_rate_limit() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (_, mut ws) = ivan_socket(addr).await;
    for _ in 0..500 {
        if ws.feed(Message::Ping(vec![1, 2, 3].into())).await.is_err() {
            break;
        }
    }
    let _ = ws.flush().await;
    let (frames, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1008), "{frames:?}");
    assert!(
        frames.iter().any(|f| f["code"] == "rate_limited"),
        "{frames:?}"
    );
    app.stop().await.cleanup().await;
}

/// A client's close after hello is answered with a close (RFC 6455 §5.5.1), and a text frame
/// that is not UTF-8 closes the connection with 1007.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_is_answered_and_bad_utf8_gets_1007() {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let (ru_token, mut ws) = ivan_socket(addr).await;
    ws.close(None).await.expect("close sent");
    let answered = tokio::time::timeout(RECV, async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Close(_)) => return true,
                Ok(_) => continue,
                Err(_) => return false,
            }
        }
        false
    })
    .await
    .expect("an answer to the close");
    assert!(answered, "the close was not answered");

    let ru = Client::connect(addr, "russia", &ru_token).await;
    let mut ws = ru.ws.expect("connected");
    let bad = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(bad)).await.expect("send");
    let (_, code) = read_until_close(&mut ws, RECV).await;
    assert_eq!(code, Some(1007));
    app.stop().await.cleanup().await;
}

/// Per-address limits hold under concurrency: 150 creations at once from one address create
/// 20 games (the burst), and 150 wrong join codes at once are looked up 10 times (the burst);
/// the rest get 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_limits_hold_for_concurrent_requests() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let creations: Vec<_> = (0..150)
        .map(|_| {
            tokio::spawn(async move {
                http(addr, "POST", "/api/games", Some(&json!({})), None)
                    .await
                    .0
            })
        })
        .collect();
    let mut created = 0;
    for c in creations {
        match c.await.expect("task") {
            201 => created += 1,
            429 => {}
            other => panic!("status {other}"),
        }
    }
    assert_eq!(created, 20, "games created by 150 concurrent requests");
    let guesses: Vec<_> = (0..150)
        .map(|_| {
            tokio::spawn(async move {
                let body = json!({"code": "ZZZZZZ", "name": "Guesser"});
                http(addr, "POST", "/api/join", Some(&body), None).await
            })
        })
        .collect();
    let mut looked_up = 0;
    for g in guesses {
        let (st, body) = g.await.expect("task");
        match st {
            404 => looked_up += 1,
            429 => assert_eq!(body["code"], "rate_limited", "{body}"),
            other => panic!("status {other}: {body}"),
        }
    }
    assert_eq!(
        looked_up, 10,
        "wrong codes looked up by 150 concurrent requests"
    );
    app.stop().await.cleanup().await;
}

/// One game takes at most 100 observers by its code (409 `observers_full`); one address takes
/// at most 200 seats at once (a class behind one router), then one a second (429), unless the
/// request carries the admin token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observers_and_seats_per_address_are_bounded() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let observe = json!({"code": g.code, "name": "Olga", "observer": true});
    for i in 0..100 {
        let (st, body) = http(addr, "POST", "/api/join", Some(&observe), None).await;
        assert_eq!(st, 201, "observer {i}: {body}");
    }
    let (st, body) = http(addr, "POST", "/api/join", Some(&observe), None).await;
    assert_eq!(
        (st, body["code"].as_str()),
        (409, Some("observers_full")),
        "{body}"
    );
    // The refused join gave its token back: 100 seats taken so far from this address.
    let g2 = create_game(
        addr,
        json!({"team_sizes": {"russia": 50, "us_nato": 50, "csto": 50}}),
    )
    .await;
    for i in 0..100 {
        let (st, body) = http(
            addr,
            "POST",
            "/api/join",
            Some(&json!({"code": g2.code, "name": format!("p{i}")})),
            None,
        )
        .await;
        assert_eq!(st, 201, "player {i}: {body}");
    }
    let (st, body) = http(
        addr,
        "POST",
        "/api/join",
        Some(&json!({"code": g2.code, "name": "late"})),
        None,
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (429, Some("rate_limited")),
        "{body}"
    );
    app.stop().await.cleanup().await;

    let app = spawn_app_with(Db::sqlite(), |c| c.admin_token = Some("adm".into())).await;
    let addr = app.addr;
    let (_, made) = http(
        addr,
        "POST",
        "/api/games",
        Some(&json!({"team_sizes": {"russia": 50, "us_nato": 50, "csto": 50}})),
        Some("adm"),
    )
    .await;
    let code = made["join_code"].as_str().expect("code").to_owned();
    for i in 0..150 {
        let join = json!({"code": code, "name": format!("p{i}")});
        let (st, body) = http(addr, "POST", "/api/join", Some(&join), Some("adm")).await;
        assert_eq!(st, 201, "player {i} with the admin token: {body}");
    }
    let (_, made) = http(addr, "POST", "/api/games", Some(&json!({})), Some("adm")).await;
    let code = made["join_code"].as_str().expect("code").to_owned();
    for i in 0..60 {
        let join = json!({"code": code, "name": format!("o{i}"), "observer": true});
        let (st, body) = http(addr, "POST", "/api/join", Some(&join), Some("adm")).await;
        assert_eq!(st, 201, "observer {i}: {body}");
    }
    app.stop().await.cleanup().await;
}

/// Earlier messages page over REST, from channels the seat may read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_messages_page_from_readable_channels_only() {
    let app = spawn_app(Db::sqlite()).await;
    let addr = app.addr;
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let us_token = join(addr, &g.code, "Jane", "us_nato").await;
    let mut ru = Client::connect(addr, "russia", &ru_token).await;
    for i in 1..=3 {
        ru.ok(chat(plenary(), &format!("plenary {i}"))).await;
    }
    ru.ok(chat(team("russia"), "team secret")).await;
    let path = |q: &str| format!("/api/games/{}/messages?{q}", g.id);
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=plenary&before=3"),
        None,
        Some(&us_token),
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let ids: Vec<u64> = body
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["id"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(ids, [1, 2]);
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=team-russia"),
        None,
        Some(&us_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    assert!(!body.to_string().contains("team secret"));
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=team-russia"),
        None,
        Some(&ru_token),
    )
    .await;
    assert_eq!(
        (st, body[0]["text"].as_str()),
        (200, Some("team secret")),
        "{body}"
    );
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=team-prussia"),
        None,
        Some(&ru_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    let (st, body) = http(
        addr,
        "GET",
        &path("channel=plenary&extra=1"),
        None,
        Some(&ru_token),
    )
    .await;
    assert_eq!(
        (st, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    app.stop().await.cleanup().await;
}
