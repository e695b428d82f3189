//! WebSocket clients: raw sockets, and [`Client`], a seat's connection that keeps every frame.

use super::*;
use detente::engine::view::{SeatEvent, SeatView};
use detente::engine::Seat;
use detente::protocol::ServerFrame;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub(crate) async fn ws_connect(addr: SocketAddr) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("WebSocket connect");
    ws
}

/// A raw WebSocket that has said hello with `token` (a class's, say).
pub(crate) async fn ws_hello(addr: SocketAddr, token: &str) -> Ws {
    let mut ws = ws_connect(addr).await;
    let hello = json!({"type": "hello", "token": token}).to_string();
    ws.send(Message::text(hello)).await.expect("send hello");
    ws
}

/// The next text frame within `within`.
pub(crate) async fn next_frame(ws: &mut Ws, within: Duration) -> Value {
    loop {
        match tokio::time::timeout(within, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return serde_json::from_str(&t).expect("frames are JSON")
            }
            Ok(Some(Ok(Message::Close(c)))) => panic!("closed: {c:?}"),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no frame within {within:?}: {other:?}"),
        }
    }
}

/// Reads frames until one satisfies `want`, for `within` at most.
pub(crate) async fn frame_where(
    ws: &mut Ws,
    within: Duration,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).expect("frames are JSON");
                if want(&v) {
                    return v;
                }
                seen.push(v);
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("no such frame within {within:?} ({other:?}); saw {seen:?}"),
        }
    }
}

/// Reads until the server closes; the text frames before and the close code (`None` when the
/// connection ended without a close frame).
pub(crate) async fn read_until_close(ws: &mut Ws, within: Duration) -> (Vec<Value>, Option<u16>) {
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
pub(crate) struct Client {
    pub(crate) label: String,
    pub(crate) addr: SocketAddr,
    pub(crate) token: String,
    pub(crate) seat: Seat,
    pub(crate) ws: Option<Ws>,
    /// Every frame received, raw and parsed, in order.
    pub(crate) frames: Vec<(String, ServerFrame)>,
    /// The sequence this client is up to: the last event received, or the welcome's.
    pub(crate) seen: i64,
    /// `last_seq` sent in the current connection's hello.
    pub(crate) resumed_from: Option<i64>,
    pub(crate) last_ack: i64,
    pub(crate) next_id: u32,
}

impl Client {
    pub(crate) async fn connect(addr: SocketAddr, label: &str, token: &str) -> Client {
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
    pub(crate) async fn hello(&mut self, last_seq: Option<i64>) -> ServerFrame {
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

    pub(crate) async fn disconnect(&mut self) {
        if let Some(mut ws) = self.ws.take() {
            let _ = ws.close(None).await;
        }
    }

    /// Reconnects, resuming from the last sequence seen when `resume`.
    pub(crate) async fn reconnect(&mut self, resume: bool) -> ServerFrame {
        self.disconnect().await;
        let from = resume.then_some(self.seen);
        self.hello(from).await
    }

    pub(crate) fn ws(&mut self) -> &mut Ws {
        let label = &self.label;
        self.ws
            .as_mut()
            .unwrap_or_else(|| panic!("{label}: not connected"))
    }

    pub(crate) async fn send_text(&mut self, text: &str) {
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
    pub(crate) async fn send_command(&mut self, id: &str, command: &Value) -> ServerFrame {
        let frame = json!({"type": "command", "id": id, "command": command});
        self.send_text(&frame.to_string()).await;
        self.answer(id).await
    }

    pub(crate) async fn answer(&mut self, id: &str) -> ServerFrame {
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
    pub(crate) async fn ok(&mut self, command: Value) -> i64 {
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
    pub(crate) async fn refused(&mut self, command: Value) -> String {
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
    pub(crate) async fn next_error(&mut self) -> (Option<String>, String) {
        loop {
            match self.recv().await {
                ServerFrame::Error { id, code, .. } => return (id, code),
                ServerFrame::Ack { .. } => panic!("{}: unexpected ack", self.label),
                _ => {}
            }
        }
    }

    /// Round trip with `ping`: the connection is alive and answers.
    pub(crate) async fn ping(&mut self) {
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
    pub(crate) async fn wait_seq(&mut self, seq: i64) {
        while self.seen < seq {
            self.recv().await;
        }
    }

    /// Every event received: (sequence, event).
    pub(crate) fn events(&self) -> impl Iterator<Item = (i64, &SeatEvent)> + '_ {
        self.frames.iter().filter_map(|(_, f)| match f {
            ServerFrame::Event { seq, event } => Some((*seq, event)),
            _ => None,
        })
    }

    pub(crate) fn has_event(&self, pred: impl Fn(&SeatEvent) -> bool) -> bool {
        self.events().any(|(_, e)| pred(e))
    }
}

/// Control posts in the plenary, which every seat reads: once every client has that message,
/// each has every earlier event it may see.
pub(crate) async fn barrier(control: &mut Client, others: &mut [&mut Client]) -> i64 {
    let seq = control.ok(chat(plenary(), "barrier")).await;
    control.wait_seq(seq).await;
    for c in others.iter_mut() {
        c.wait_seq(seq).await;
    }
    seq
}

/// Reads until `c` has an event after `after` that matches; that event's sequence.
pub(crate) async fn wait_event(
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
pub(crate) fn welcome_view(frame: &ServerFrame) -> SeatView {
    match frame {
        ServerFrame::Welcome { view: Some(v), .. } => (**v).clone(),
        other => panic!("expected a welcome with a view: {other:?}"),
    }
}

/// A new game and the socket of Ivan, who plays Russia in it; and his token.
pub(crate) async fn ivan_socket(addr: SocketAddr) -> (String, Ws) {
    let g = create_game(addr, json!({})).await;
    let ru_token = join(addr, &g.code, "Ivan", "russia").await;
    let ru = Client::connect(addr, "russia", &ru_token).await;
    (ru_token, ru.ws.expect("connected"))
}
