//! `/ws`: one task per connection. The first frame must be `hello` with a seat token within
//! 5 s; the seat comes from that token and never from later frames. Commands go to the game's
//! task; its answers and the seat's filtered events come back in order. A subscriber that fell
//! behind (its queue overflowed) resubscribes from its last sequence.

use super::AppState;
use crate::game::seating::authenticate;
use crate::game::{GameHandle, SeatAuth, SessionError, Subscription};
use crate::protocol::{close, ClientFrame, ErrorCode, ServerFrame, MAX_CLIENT_ID, MAX_FRAME_BYTES};
use crate::store::Store;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// An answer to one client frame, in the order the frames came.
type Reply = std::pin::Pin<Box<dyn std::future::Future<Output = ServerFrame> + Send>>;

fn ready(frame: ServerFrame) -> Reply {
    Box::pin(std::future::ready(frame))
}

/// Frames a connection may have awaiting an answer; past this it is not read until answers go
/// out (backpressure, not an error).
const MAX_IN_FLIGHT: usize = 32;

/// A send that the client does not read within this time ends the connection: a reader that
/// stopped reading must not hold a task and its buffers forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(20);

/// Largest frame the server writes, and how much it gathers before writing. Bigger messages
/// (a welcome's view) go out as several frames, so no connection's write buffer ever grows
/// much past twice this: tungstenite keeps a write buffer's capacity for the life of the
/// connection (one 20 KB welcome per connection once cost 45 KB of memory per connection at
/// 15,000 connections).
const OUT_FRAME: usize = 1024;

pub(super) type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// The WebSocket handshake, done here rather than with axum's extractor so that the
/// connection is a tokio-tungstenite stream the server can write in small frames.
pub async fn upgrade<S: Store>(State(st): State<Arc<AppState<S>>>, mut req: Request) -> Response {
    let headers = req.headers();
    if !origin_allowed(headers, &st.config.allowed_origins) {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let version_ok = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return (
            StatusCode::BAD_REQUEST,
            "a WebSocket upgrade is expected here",
        )
            .into_response();
    };
    let open = st
        .registry
        .metrics
        .ws_connections_open
        .load(std::sync::atomic::Ordering::Relaxed);
    if open >= i64::try_from(st.config.max_sockets).unwrap_or(i64::MAX) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "this server holds as many connections as it may; try again shortly",
        )
            .into_response();
    }
    if !upgrade || !version_ok {
        return (
            StatusCode::BAD_REQUEST,
            "a WebSocket upgrade (version 13) is expected here",
        )
            .into_response();
    }
    // Relayed by another node: served here or refused, never relayed again.
    let relayed = super::forward::relayed(&st, req.headers()).await;
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(MAX_FRAME_BYTES))
                    .max_frame_size(Some(MAX_FRAME_BYTES))
                    // Small buffers: a connection costs little memory while idle. Reads
                    // of a frame longer than this reserve room for the whole frame.
                    .read_buffer_size(1024)
                    // Frames fed together (an answer and its event) go out in one write;
                    // `send_ready` flushes at the end.
                    .write_buffer_size(OUT_FRAME)
                    .max_write_buffer_size(MAX_FRAGMENT * 2);
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                connection(st, socket, relayed, peer).await;
            }
            Err(e) => tracing::debug!(error = %e, "WebSocket upgrade failed"),
        }
    });
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut res = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    res
}

/// Same host by default; otherwise the Origin must be listed. Non-browser clients send no
/// Origin and are allowed (they cannot be driven by a hostile page).
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a == "*" || a == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h == o)
}

pub(super) async fn send(socket: &mut Socket, frame: &ServerFrame) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => send_text(socket, &text).await,
        Err(_) => false,
    }
}

/// Sends one text message, as several frames of at most `OUT_FRAME` bytes when it is long.
pub(super) async fn send_text(socket: &mut Socket, text: &str) -> bool {
    tokio::time::timeout(WRITE_TIMEOUT, async {
        feed_text(socket, text).await && socket.flush().await.is_ok()
    })
    .await
    .unwrap_or(false)
}

/// Most fragments one message is split into. Some client libraries refuse a message of more
/// than 4,096 fragments; a message this many times `OUT_FRAME` (1 MB) or more goes out in
/// bigger fragments instead, so its connection's write buffer grows with it (only then), up
/// to `MAX_FRAGMENT`.
const MAX_FRAGMENTS: usize = 1000;
/// Largest fragment; the write buffer's ceiling is twice this (tungstenite refuses a frame
/// that would take the buffer past its ceiling).
const MAX_FRAGMENT: usize = 32 * 1024;

/// The size of the fragments a message of `len` bytes is sent in.
fn fragment_size(len: usize) -> usize {
    OUT_FRAME.max(len.div_ceil(MAX_FRAGMENTS)).min(MAX_FRAGMENT)
}

/// Queues one text message in the socket's write buffer without writing it out yet.
async fn feed_text(socket: &mut Socket, text: &str) -> bool {
    if text.len() <= OUT_FRAME {
        return socket.feed(Message::text(text)).await.is_ok();
    }
    let chunks: Vec<&[u8]> = text.as_bytes().chunks(fragment_size(text.len())).collect();
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::message(bytes::Bytes::copy_from_slice(chunk), opcode, i == last);
        if socket.feed(Message::Frame(frame)).await.is_err() {
            return false;
        }
    }
    true
}

/// Sends `first`, and with it whatever else is ready to go (live events, answers), in one
/// write: a command's answer and its event usually become ready together, and one write
/// instead of two halves the system calls on both ends. Stops gathering at `OUT_FRAME` bytes,
/// so the write buffer stays small.
async fn send_ready(
    socket: &mut Socket,
    first: &str,
    live: &mut tokio::sync::mpsc::Receiver<crate::game::Outbound>,
    replies: &mut FuturesOrdered<Reply>,
    last_seen: &mut Option<i64>,
) -> bool {
    tokio::time::timeout(WRITE_TIMEOUT, async {
        if !feed_text(socket, first).await {
            return false;
        }
        let mut queued = first.len();
        while queued < OUT_FRAME {
            let fed = if let Ok(out) = live.try_recv() {
                *last_seen = Some(out.seq);
                feed_text(socket, &out.text).await.then_some(out.text.len())
            } else if let Some(Some(reply)) = replies.next().now_or_never() {
                match serde_json::to_string(&reply) {
                    Ok(text) => feed_text(socket, &text).await.then_some(text.len()),
                    Err(_) => None,
                }
            } else {
                break;
            };
            let Some(n) = fed else {
                return false;
            };
            queued += n;
        }
        socket.flush().await.is_ok()
    })
    .await
    .unwrap_or(false)
}

/// Sends the replies still owed, in order, for a moment at most (commands being committed).
async fn drain_replies(socket: &mut Socket, replies: &mut FuturesOrdered<Reply>) {
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(reply) = replies.next().await {
            if !send(socket, &reply).await {
                return;
            }
        }
    })
    .await;
}

async fn close_with(mut socket: Socket, code: u16, reason: &str, wait: Duration) {
    let _ = tokio::time::timeout(
        WRITE_TIMEOUT,
        socket.send(Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: Utf8Bytes::from(reason.to_owned()),
        }))),
    )
    .await;
    // Read (and discard) until the client answers the close, for a moment: dropping a socket
    // with unread data makes the kernel reset the connection, and the client would lose the
    // error and close frames we just sent.
    let deadline = tokio::time::Instant::now() + wait;
    let answered = tokio::time::timeout_at(deadline, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
                _ => return false,
            }
        }
    })
    .await
    .unwrap_or(true);
    if !answered {
        // The stream failed (the rest of a frame over the limit is still coming): read the
        // bytes themselves until the client closes or the moment is over.
        use tokio::io::AsyncReadExt;
        let io = socket.get_mut();
        let mut buf = vec![0u8; 16 * 1024];
        let _ = tokio::time::timeout_at(deadline, async {
            while matches!(io.read(&mut buf).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// Tells a player whose hello named a game that cannot be opened just now (on this node or
/// through a relay) to reconnect.
pub(super) async fn cannot_open(socket: &mut Socket) {
    let _ = send(
        socket,
        &ServerFrame::error(
            None,
            ErrorCode::Unavailable,
            "the game cannot be opened just now; reconnect shortly",
            true,
        ),
    )
    .await;
}

/// What a player's socket gave, as every game connection (the owner's, or a relay's) reads it.
pub(super) enum PlayerFrame {
    /// A text frame to act on.
    Text(Utf8Bytes),
    /// A frame the library answers itself (ping, pong).
    Control,
    /// The connection ends: with this close (a frame refused), or without one (the player
    /// closed it, or is gone).
    End(Ending),
}

/// Sorts what a player's socket gave: text to act on; binary, oversized and non-UTF-8 frames
/// end the connection with their close codes; the player's close is answered (the library
/// queued the answer: it is sent here).
pub(super) async fn player_frame(
    socket: &mut Socket,
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> PlayerFrame {
    match msg {
        Some(Ok(Message::Text(t))) => PlayerFrame::Text(t),
        Some(Ok(Message::Binary(_))) => {
            PlayerFrame::End(Some((close::PROTOCOL, "text frames only")))
        }
        Some(Err(e)) if too_big(&e) => {
            PlayerFrame::End(Some((close::TOO_BIG, "frame over 64 KiB")))
        }
        Some(Err(tokio_tungstenite::tungstenite::Error::Utf8(_))) => {
            PlayerFrame::End(Some((close::INVALID_DATA, "text frames must be UTF-8")))
        }
        Some(Ok(Message::Close(_))) => {
            let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.flush()).await;
            PlayerFrame::End(None)
        }
        None | Some(Err(_)) => PlayerFrame::End(None),
        Some(Ok(_)) => PlayerFrame::Control,
    }
}

/// Whether a read error is a frame over the size limit.
pub(super) fn too_big(e: &tokio_tungstenite::tungstenite::Error) -> bool {
    matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_))
}

/// Keeps the open-connections gauge right however the connection ends.
struct OpenGuard(Arc<crate::metrics::Metrics>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0
            .ws_connections_open
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How a connection ends: with a close frame (code and reason), or without one (the peer is
/// gone).
pub(super) type Ending = Option<(u16, &'static str)>;

/// A connection that said hello with a valid token and subscribed to its game.
struct Joined {
    game_id: uuid::Uuid,
    auth: SeatAuth,
    handle: GameHandle,
    here: super::presence::Here,
    last_seen: Option<i64>,
    sub: Subscription,
}

async fn connection<S: Store>(
    st: Arc<AppState<S>>,
    mut socket: Socket,
    relayed: bool,
    peer: Option<std::net::SocketAddr>,
) {
    let metrics = st.registry.metrics.clone();
    crate::metrics::Metrics::inc(&metrics.ws_connections_total);
    metrics
        .ws_connections_open
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _open = OpenGuard(metrics);
    // A future holds room for its largest state, and a connection spends its life idle in the
    // command loop's `select!`. So the stages it passes through briefly (hello, sending, closing)
    // are boxed: at 15,000 connections each KiB of task state is 15 MiB (docs/operations.md).
    let ending = match Box::pin(join(&st, &mut socket, relayed)).await {
        Ok(Hello::Class(who)) => Box::pin(super::class_ws::run(&st, &mut socket, who)).await,
        Ok(Hello::Elsewhere(game, hello)) => {
            let ending = Box::pin(super::forward::relay(&st, &mut socket, game, hello, peer)).await;
            if let Some((code, reason)) = ending {
                Box::pin(close_with(
                    socket,
                    code,
                    &reason,
                    st.registry.limits.close_wait,
                ))
                .await;
            }
            return;
        }
        Ok(Hello::Game(joined)) => {
            let (game_id, faction) = (joined.game_id, joined.auth.seat.faction().cloned());
            let ending = play(&st, &mut socket, joined).await;
            // The connection's subscription is gone with `play`: its team may be ready now.
            if let (Some(f), Some(h)) = (faction, st.registry.running(game_id)) {
                h.left(f);
            }
            ending
        }
        Err(ending) => ending,
    };
    if let Some((code, reason)) = ending {
        Box::pin(close_with(
            socket,
            code,
            reason,
            st.registry.limits.close_wait,
        ))
        .await;
    }
}

/// What a hello's token opened.
enum Hello {
    Game(Joined),
    /// A class's teacher, or a student waiting for the class to start.
    Class(super::class_ws::ClassToken),
    /// A seat of a game another node owns, and the hello to relay to it.
    Elsewhere(uuid::Uuid, Utf8Bytes),
}

/// Hello within the time limit, the token, the game, then the seat's catch-up frames; or a
/// class's token.
async fn join<S: Store>(
    st: &AppState<S>,
    socket: &mut Socket,
    relayed: bool,
) -> Result<Hello, Ending> {
    let first = tokio::time::timeout(st.registry.limits.hello, socket.next()).await;
    let (token, last_seq, hello) = match first {
        Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<ClientFrame>(&text) {
            Ok(ClientFrame::Hello { token, last_seq }) => (token, last_seq, text),
            Ok(_) => {
                let _ = send(
                    socket,
                    &ServerFrame::error(
                        None,
                        ErrorCode::HelloFirst,
                        "the first frame must be hello {token}",
                        false,
                    ),
                )
                .await;
                return Err(Some((close::PROTOCOL, "hello first")));
            }
            Err(e) => {
                let _ = send(
                    socket,
                    &ServerFrame::error(None, ErrorCode::BadFrame, e.to_string(), false),
                )
                .await;
                return Err(Some((close::PROTOCOL, "bad hello")));
            }
        },
        Ok(Some(Ok(_))) => {
            return Err(Some((close::PROTOCOL, "hello must be a text frame")));
        }
        Ok(Some(Err(_))) | Ok(None) => return Err(None),
        Err(_) => return Err(Some((close::POLICY, "no hello in time"))),
    };
    let store = st.registry.store();
    let found = match authenticate(store, &token).await {
        Ok(None) => match super::class_ws::class_token(store, &token).await {
            Ok(Some(who)) => {
                // A started class's console runs where its tables run.
                if !relayed {
                    if let Some(table) = super::class_ws::elsewhere(st, &who).await {
                        return Ok(Hello::Elsewhere(table, hello));
                    }
                }
                return Ok(Hello::Class(who));
            }
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        },
        other => other,
    };
    let (game_id, auth) = match found {
        Ok(Some(x)) => x,
        Ok(None) => {
            let _ = send(
                socket,
                &ServerFrame::error(
                    None,
                    ErrorCode::BadToken,
                    "unknown token: join the game again",
                    false,
                ),
            )
            .await;
            return Err(Some((close::POLICY, "bad token")));
        }
        Err(_) => {
            let _ = send(
                socket,
                &ServerFrame::error(
                    None,
                    ErrorCode::Unavailable,
                    "the database is unavailable; reconnect shortly",
                    true,
                ),
            )
            .await;
            return Err(Some((close::GOING_AWAY, "unavailable")));
        }
    };
    let handle = match st.registry.get(game_id).await {
        Ok(h) => h,
        Err(SessionError::Elsewhere(game)) if !relayed => return Ok(Hello::Elsewhere(game, hello)),
        Err(e) => {
            tracing::warn!(game = %game_id, error = %e, "cannot open game");
            cannot_open(socket).await;
            return Err(Some((close::GOING_AWAY, "unavailable")));
        }
    };
    let per_seat = st.registry.limits.sockets_per_seat;
    if st.presence.open(auth.seat_id) >= per_seat {
        let _ = send(
            socket,
            &ServerFrame::error(
                None,
                ErrorCode::TooManyConnections,
                format!("this seat already has {per_seat} connections open; close a tab"),
                false,
            ),
        )
        .await;
        return Err(Some((close::POLICY, "too many connections for this seat")));
    }
    let here = st.presence.arrive(auth.seat_id);
    let mut last_seen = last_seq;
    let Some(sub) = subscribe(socket, &handle, &auth, &mut last_seen).await else {
        // The game may have counted this connection in before its catch-up failed.
        if let Some(f) = auth.seat.faction() {
            handle.left(f.clone());
        }
        return Err(Some((close::GOING_AWAY, "unavailable")));
    };
    Ok(Hello::Game(Joined {
        game_id,
        auth,
        handle,
        here,
        last_seen,
        sub,
    }))
}
/// Commands in, frames out. What it awaits other than the `select!` is boxed (see
/// `connection`).
async fn play<S: Store>(st: &AppState<S>, socket: &mut Socket, joined: Joined) -> Ending {
    let Joined {
        game_id,
        auth,
        mut handle,
        mut here,
        mut last_seen,
        mut sub,
    } = joined;
    let metrics = &st.registry.metrics;
    let mut shutdown = st.shutdown.clone();
    // Made once, not on every pass of the loop (each would add and remove a waiter per frame).
    let seat_changed = here.changed.changed();
    // Read while `stopping` below holds `shutdown`.
    let stop_flag = st.shutdown.clone();
    let stopping = shutdown.changed();
    tokio::pin!(seat_changed, stopping);
    let frames = st.registry.limits.frames;
    let mut bucket = super::limit::Bucket::new(frames.per_sec, frames.burst);
    let mut replies: FuturesOrdered<Reply> = FuturesOrdered::new();
    loop {
        tokio::select! {
            frame = sub.live.recv() => match frame {
                Some(out) => {
                    last_seen = Some(out.seq);
                    if !Box::pin(send_ready(socket, &out.text, &mut sub.live, &mut replies, &mut last_seen)).await {
                        return None;
                    }
                }
                None => {
                    // The server is stopping (its game tasks stop first): say so, rather than
                    // catch up with a game that is going away.
                    if *stop_flag.borrow() {
                        return Some((close::GOING_AWAY, "server shutting down"));
                    }
                    // The game dropped us (we fell behind) or its task stopped: catch up.
                    // The game's task may have been replaced: use the current one from now on.
                    handle = Box::pin(handle_again(st, game_id, &handle)).await;
                    let Some(s) = Box::pin(subscribe(socket, &handle, &auth, &mut last_seen)).await else {
                        if *stop_flag.borrow() {
                            return Some((close::GOING_AWAY, "server shutting down"));
                        }
                        let _ = Box::pin(send(socket, &ServerFrame::error(None, ErrorCode::Unavailable, "the game cannot be reached just now; reconnect shortly", true))).await;
                        return Some((close::GOING_AWAY, "unavailable"));
                    };
                    sub = s;
                }
            },
            Some(reply) = replies.next(), if !replies.is_empty() => {
                let Ok(text) = serde_json::to_string(&reply) else {
                    return None;
                };
                if !Box::pin(send_ready(socket, &text, &mut sub.live, &mut replies, &mut last_seen)).await {
                    return None;
                }
            }
            msg = socket.next(), if replies.len() < MAX_IN_FLIGHT => {
                // Every frame counts against the rate, control frames (ping, pong) included.
                if matches!(msg, Some(Ok(ref m)) if !m.is_close()) && !bucket.take() {
                    crate::metrics::Metrics::inc(&metrics.ws_closed_rate_limited);
                    // The frames read before this one still get their replies, in order.
                    Box::pin(drain_replies(socket, &mut replies)).await;
                    let _ = Box::pin(send(socket, &ServerFrame::error(None, ErrorCode::RateLimited, "too many frames; slow down", false))).await;
                    return Some((close::POLICY, "rate limit"));
                }
                let text = match Box::pin(player_frame(socket, msg)).await {
                    PlayerFrame::Text(t) => t,
                    PlayerFrame::Control => continue,
                    PlayerFrame::End(ending) => return ending,
                };
                // Answers are queued in order; events keep flowing while commands commit, so a
                // client with several commands in flight is never starved into a resync.
                let reply: Reply = match serde_json::from_str::<ClientFrame>(&text) {
                    Err(e) => ready(ServerFrame::error(None, ErrorCode::BadFrame, format!("not a valid frame: {e}"), false)),
                    Ok(ClientFrame::Ping {}) => ready(ServerFrame::Pong {}),
                    Ok(ClientFrame::Hello { .. }) => ready(ServerFrame::error(None, ErrorCode::AlreadyHello, "this connection already said hello", false)),
                    Ok(ClientFrame::Command { id, command }) => {
                        if id.is_empty() || id.len() > MAX_CLIENT_ID {
                            ready(ServerFrame::error(Some(id), ErrorCode::BadId, format!("a command id is 1 to {MAX_CLIENT_ID} bytes (UTF-8)"), false))
                        } else if matches!(command, crate::engine::Command::SetAgent { .. }) {
                            ready(ServerFrame::error(Some(id), ErrorCode::Invalid, super::agents::SET_AGENT_OVER_HTTP, false))
                        } else {
                            let hash = crate::game::request_hash(&command);
                            if handle.is_closed() {
                                handle = Box::pin(handle_again(st, game_id, &handle)).await;
                            }
                            let handle = handle.clone();
                            let auth = auth.clone();
                            let metrics = metrics.clone();
                            Box::pin(async move {
                                let answer = match handle.command(auth, id.clone(), command, hash).await {
                                    Ok(f) => f,
                                    Err(SessionError::Gone) => ServerFrame::error(Some(id), ErrorCode::Unavailable, "the game restarted; send the command again", true),
                                    Err(e) => ServerFrame::error(Some(id), ErrorCode::Unavailable, e.to_string(), true),
                                };
                                // Counted here, where every answer passes, whichever layer gave it.
                                if matches!(&answer, ServerFrame::Error { code, .. } if code == "unavailable") {
                                    crate::metrics::Metrics::inc(&metrics.commands_unavailable);
                                }
                                answer
                            })
                        }
                    }
                };
                replies.push_back(reply);
            }
            _ = &mut seat_changed => {
                let _ = Box::pin(send(socket, &ServerFrame::error(None, ErrorCode::SeatChanged, "Control moved your seat; reconnecting shows your new seat", true))).await;
                return Some((close::SEAT_CHANGED, "seat changed"));
            }
            _ = &mut stopping => {
                return Some((close::GOING_AWAY, "server shutting down"));
            }
        }
    }
}

async fn handle_again<S: Store>(
    st: &AppState<S>,
    game: uuid::Uuid,
    old: &GameHandle,
) -> GameHandle {
    st.registry.get(game).await.unwrap_or_else(|_| old.clone())
}

/// Subscribes and sends the catch-up frames; updates `last_seen`.
async fn subscribe(
    socket: &mut Socket,
    handle: &GameHandle,
    auth: &SeatAuth,
    last_seen: &mut Option<i64>,
) -> Option<Subscription> {
    let mut sub = handle.subscribe(auth.clone(), *last_seen).await.ok()?;
    // Taken out so the catch-up frames (a whole view) are freed once sent, not kept for the
    // life of the connection.
    for f in &std::mem::take(&mut sub.initial) {
        match f {
            ServerFrame::Event { seq, .. } => *last_seen = Some(*seq),
            ServerFrame::Welcome { seq, view, .. } if view.is_some() || last_seen.is_none() => {
                *last_seen = Some(*seq)
            }
            _ => {}
        }
        if !send(socket, f).await {
            return None;
        }
    }
    Some(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_out_in_at_most_a_thousand_fragments() {
        assert_eq!(
            fragment_size(64 * 1024),
            OUT_FRAME,
            "a 64 KB welcome: 1 KiB fragments"
        );
        for len in [
            1usize, 1024, 1025, 1_024_000, 1_024_001, 4_500_000, 32_000_000,
        ] {
            let n = len.div_ceil(fragment_size(len));
            assert!(n <= MAX_FRAGMENTS, "{len} bytes in {n} fragments");
        }
        assert_eq!(fragment_size(100_000_000), MAX_FRAGMENT);
    }
}
