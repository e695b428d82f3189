//! A bare WebSocket relay, the baseline of the server benchmark (`tools/bench-server`): rooms
//! of players, every text frame relayed to everyone in its room (the sender too), nothing
//! parsed, checked or stored. Détente's latency and CPU are judged as ratios to this relay's,
//! measured in the same run on the same load, so a noisy shared machine cancels out.
//!
//! A client opens `ws://ADDR/room/N` to join room N. Usage: `bench-relay --addr 127.0.0.1:9001`.

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
#[command(about = "A bare WebSocket relay: the baseline of the server benchmark")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001")]
    addr: SocketAddr,
}

/// A room's members: a queue of frames to write per connection.
type Members = Vec<(u64, mpsc::UnboundedSender<Message>)>;
type Rooms = Arc<Mutex<HashMap<u64, Members>>>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(args.addr).await?;
    eprintln!("bench-relay listening on {}", listener.local_addr()?);
    let rooms: Rooms = Arc::default();
    let mut next_id = 0u64;
    loop {
        let (tcp, _) = listener.accept().await?;
        next_id += 1;
        tokio::spawn(connection(tcp, next_id, rooms.clone()));
    }
}

/// One connection, one task: frames read are queued to every member of the room (the sender
/// too); frames queued for it are written, all that are waiting in one write.
// The handshake callback's error type is tungstenite's.
#[allow(clippy::result_large_err)]
async fn connection(tcp: TcpStream, id: u64, rooms: Rooms) {
    let _ = tcp.set_nodelay(true);
    let mut room = 0u64;
    let pick_room = |req: &Request, resp: Response| {
        room = req
            .uri()
            .path()
            .strip_prefix("/room/")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Ok(resp)
    };
    // Small buffers, as a server holding many idle connections would use.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let Ok(mut ws) =
        tokio_tungstenite::accept_hdr_async_with_config(tcp, pick_room, Some(config)).await
    else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    lock(&rooms).entry(room).or_default().push((id, tx));
    loop {
        tokio::select! {
            read = ws.next() => match read {
                Some(Ok(m @ Message::Text(_))) => {
                    for (_, member) in lock(&rooms).get(&room).into_iter().flatten() {
                        let _ = member.send(m.clone());
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            Some(m) = rx.recv() => {
                let mut ok = ws.feed(m).await.is_ok();
                while let (true, Ok(m)) = (ok, rx.try_recv()) {
                    ok = ws.feed(m).await.is_ok();
                }
                if !ok || ws.flush().await.is_err() {
                    break;
                }
            }
        }
    }
    if let Some(members) = lock(&rooms).get_mut(&room) {
        members.retain(|(m, _)| *m != id);
    }
}

fn lock(rooms: &Rooms) -> std::sync::MutexGuard<'_, HashMap<u64, Members>> {
    rooms.lock().unwrap_or_else(|e| e.into_inner())
}
