//! A slow reader never stalls the game and never silently loses an event.

use crate::harness::*;
use detente::engine::view::SeatEvent;
use detente::protocol::ServerFrame;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

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
