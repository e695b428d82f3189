//! Any node accepts a player (issue 16, decision record 0012). A request or WebSocket for a
//! game whose lease another node holds is forwarded to that node, at the internal address it
//! registered in the `nodes` table; the player's connection stays where it arrived, and
//! everything about the game (its task, its subscribers, seat presence, seat moves) happens on
//! the one node that owns it.
//!
//! - REST: the handler that finds the game elsewhere answers `unavailable` marked with
//!   [`Elsewhere`]; [`to_owner`] kept the request (bodies are at most 64 KiB) and sends it to
//!   the owner instead, whose answer goes back as it is.
//! - WebSocket: the hello names a seat, whose game is elsewhere; `relay` opens a WebSocket
//!   to the owner, sends it the same hello and passes messages both ways until either side
//!   closes (the owner's close code, `4000` for a moved seat or `1001` for a stopping node,
//!   reaches the player unchanged).
//!
//! A forwarded request carries `x-detente-forwarded: <node id> <secret>` and the player's
//! address in `x-detente-peer`. The receiving node believes the address (its per-address
//! limits apply to the player, not to the forwarding node) only with the sending node's
//! current secret, read from the database; and never forwards a forwarded request again, so
//! two nodes that disagree about an owner for a moment answer `unavailable` rather than loop.

use super::ws::{cannot_open, player_frame, send, send_text, PlayerFrame, Socket};
use super::AppState;
use crate::protocol::{close, ErrorCode, ServerFrame};
use crate::store::{NodeRow, Store};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use uuid::Uuid;

/// Names the sending node and its secret on a forwarded request.
pub const FORWARDED: &str = "x-detente-forwarded";
/// The player's address on a forwarded request.
pub const PEER: &str = "x-detente-peer";
/// On every API answer: the node that answered it (the owner, for a forwarded one).
pub const ANSWERED_BY: &str = "x-detente-node";

/// Marks an answer whose game another node owns (set from `SessionError::Elsewhere`).
#[derive(Clone, Copy, Debug)]
pub struct Elsewhere(pub Uuid);

/// How long a node waits for the owner to take a forwarded request or WebSocket (a stopped
/// owner accepts TCP connections in its kernel and answers nothing).
const CONNECT_WITHIN: Duration = Duration::from_secs(2);
/// How long a forwarded request may take, its answer's head (a stopped owner, reached over a
/// pooled connection, would otherwise hold the player until then).
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// How long a relayed frame may take to be written to the owner.
const SEND_WITHIN: Duration = Duration::from_secs(5);
/// A relayed WebSocket pings the owner this often; with nothing from the owner for two of
/// these, the player is told to reconnect (the owner stopped or its network went).
const OWNER_PING: Duration = Duration::from_secs(5);

/// This node among the others.
#[derive(Clone)]
pub struct Nodes {
    me: Arc<NodeRow>,
    /// This node's id, as every API answer names it (`x-detente-node`).
    name: Option<HeaderValue>,
    /// `<id> <secret>`, on every request this node forwards.
    signature: Option<HeaderValue>,
    client: Client<HttpConnector, Full<bytes::Bytes>>,
    /// Other nodes' secrets as last read from the database.
    secrets: Arc<Mutex<HashMap<String, String>>>,
}

impl Nodes {
    /// This node, with a new secret; register it with [`Store::register_node`].
    pub fn new(id: String, internal_url: String) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_WITHIN));
        let secret = crate::game::seating::new_token();
        Nodes {
            name: HeaderValue::from_str(&id).ok(),
            signature: HeaderValue::from_str(&format!("{id} {secret}")).ok(),
            me: Arc::new(NodeRow {
                id,
                internal_url,
                secret,
            }),
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(http),
            secrets: Default::default(),
        }
    }

    pub fn me(&self) -> &NodeRow {
        &self.me
    }

    /// The player's address if `headers` come from a node sharing the database (its secret
    /// checks out); `None` for anything else, whatever it claims.
    async fn forwarded_by<S: Store>(&self, store: &S, headers: &HeaderMap) -> Option<SocketAddr> {
        let value = headers.get(FORWARDED)?.to_str().ok()?;
        let (node, secret) = value.split_once(' ')?;
        let known = self.secret_of(node);
        let ok = match known {
            Some(k) if same(&k, secret) => true,
            // A node that restarted has a new secret: read it again.
            _ => match store.node(node).await {
                Ok(Some(row)) => {
                    let ok = same(&row.secret, secret);
                    self.lock().insert(row.id, row.secret);
                    ok
                }
                _ => false,
            },
        };
        if !ok {
            // Anyone can send the header: nothing to warn about, and it gains them nothing.
            tracing::debug!(
                node,
                "a forwarded request with a wrong secret: treated as a player's"
            );
            return None;
        }
        headers
            .get(PEER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }

    fn secret_of(&self, node: &str) -> Option<String> {
        self.lock().get(node).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.secrets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Compares two secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The owner of `game` if it is another node whose lease runs.
pub(super) async fn owner<S: Store>(st: &AppState<S>, game: Uuid) -> Option<NodeRow> {
    match st.registry.store().game_home(game).await {
        Ok(Some(node)) if node.id != st.nodes.me.id => Some(node),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(game = %game, error = %e, "cannot read the game's owner");
            None
        }
    }
}

/// A class's requests are answered where its tables run (a class stays on one node): an
/// error that sends this request there when that is another node. `tables`: the class's.
pub(crate) async fn to_class_home<S: Store>(
    st: &AppState<S>,
    tables: &[(u32, crate::store::GameRow)],
) -> Result<(), super::ApiError> {
    let Some((_, first)) = tables.first() else {
        return Ok(());
    };
    match owner(st, first.id).await {
        None => Ok(()),
        Some(_) => Err(super::ApiError {
            elsewhere: Some(first.id),
            ..super::ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "this class runs on another server node just now; try again in a moment",
            )
        }),
    }
}

/// Middleware of the API routes: a request that a node forwarded gets its player's address;
/// a request whose game another node owns goes there. Every answer names the node that gave
/// it.
pub async fn to_owner<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    mut req: Request,
    next: Next,
) -> Response {
    let name = |mut res: Response| {
        if let Some(me) = &st.nodes.name {
            res.headers_mut()
                .entry(ANSWERED_BY)
                .or_insert_with(|| me.clone());
        }
        res
    };
    if req.headers().contains_key(FORWARDED) {
        let peer = st
            .nodes
            .forwarded_by(st.registry.store(), req.headers())
            .await;
        req.headers_mut().remove(FORWARDED);
        req.headers_mut().remove(PEER);
        if let Some(peer) = peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            // Already forwarded once: answered here, whatever the answer.
            return name(next.run(req).await);
        }
    }
    req.headers_mut().remove(PEER);
    let (parts, body) = req.into_parts();
    // The handlers take at most 64 KiB; one byte more tells them it was too much.
    let body = match axum::body::to_bytes(body, 64 * 1024 + 1).await {
        Ok(b) => b,
        Err(_) => {
            return name(
                super::ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::TooLarge,
                    "the request body is over 64 KiB",
                )
                .into_response(),
            )
        }
    };
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let head = forwardable(&parts);
    let res = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    let Some(Elsewhere(game)) = res.extensions().get::<Elsewhere>().copied() else {
        return name(res);
    };
    let Some(owner) = owner(&st, game).await else {
        return name(res);
    };
    match forward(&st, &owner, head, peer, body).await {
        Ok(answer) => {
            crate::metrics::Metrics::inc(&st.registry.metrics.requests_forwarded);
            answer
        }
        Err(e) => {
            tracing::warn!(game = %game, owner = %owner.id, error = %e, "could not forward a request to the game's owner");
            name(res)
        }
    }
}

/// Removes the headers that belong to one connection (RFC 9110 §7.6.1), those `Connection`
/// names included; the length is set again for the body sent on.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    for n in named {
        headers.remove(n.as_str());
    }
    for h in [
        header::CONNECTION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::CONTENT_LENGTH,
    ] {
        headers.remove(h);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
}

/// What of a request goes to the owner: its method, path and end-to-end headers.
struct Head {
    method: axum::http::Method,
    path: String,
    headers: HeaderMap,
}

fn forwardable(parts: &axum::http::request::Parts) -> Head {
    let mut headers = parts.headers.clone();
    strip_hop_by_hop(&mut headers);
    headers.remove(header::PROXY_AUTHORIZATION);
    Head {
        method: parts.method.clone(),
        path: parts
            .uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned()),
        headers,
    }
}

async fn forward<S: Store>(
    st: &AppState<S>,
    owner: &NodeRow,
    head: Head,
    peer: Option<SocketAddr>,
    body: bytes::Bytes,
) -> anyhow::Result<Response> {
    let uri: axum::http::Uri = format!("{}{}", owner.internal_url, head.path).parse()?;
    let mut req = hyper::Request::builder()
        .method(head.method)
        .uri(uri)
        .body(Full::new(body))?;
    // The player's Host stays: the owner builds its links (join links) from it.
    *req.headers_mut() = head.headers;
    if let Some(sig) = st.nodes.signature.clone() {
        req.headers_mut().insert(FORWARDED, sig);
    }
    if let Some(v) = peer.and_then(|p| HeaderValue::from_str(&p.to_string()).ok()) {
        req.headers_mut().insert(PEER, v);
    }
    let mut res = tokio::time::timeout(ANSWER_WITHIN, st.nodes.client.request(req)).await??;
    strip_hop_by_hop(res.headers_mut());
    Ok(res.map(Body::new))
}

/// Whether the WebSocket upgrade in `headers` was relayed by another node (checked with its
/// secret): such a connection is served here or refused, never relayed again.
pub(super) async fn relayed<S: Store>(st: &AppState<S>, headers: &HeaderMap) -> bool {
    headers.contains_key(FORWARDED)
        && st
            .nodes
            .forwarded_by(st.registry.store(), headers)
            .await
            .is_some()
}

/// Keeps the relayed-connections gauge right however the relay ends.
struct RelayGuard(Arc<crate::metrics::Metrics>);

impl Drop for RelayGuard {
    fn drop(&mut self) {
        self.0
            .ws_proxied_open
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A close to send the player: its code and reason.
pub(super) type RelayEnding = Option<(u16, String)>;

/// Relays a player's WebSocket to the owner of `game`, starting with the player's `hello`,
/// until either side closes; the close the player should get.
pub(super) async fn relay<S: Store>(
    st: &AppState<S>,
    socket: &mut Socket,
    game: Uuid,
    hello: Utf8Bytes,
    peer: Option<SocketAddr>,
) -> RelayEnding {
    let unavailable = |why: &str| Some((close::GOING_AWAY, why.to_owned()));
    let Some(owner) = owner(st, game).await else {
        cannot_open(socket).await;
        return unavailable("unavailable");
    };
    let mut upstream = match tokio::time::timeout(CONNECT_WITHIN, dial(st, &owner, peer)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::warn!(game = %game, owner = %owner.id, error = %e, "cannot relay to the game's owner");
            cannot_open(socket).await;
            return unavailable("unavailable");
        }
        Err(_) => {
            tracing::warn!(game = %game, owner = %owner.id, "the game's owner did not answer in time");
            cannot_open(socket).await;
            return unavailable("unavailable");
        }
    };
    if !matches!(
        tokio::time::timeout(SEND_WITHIN, upstream.send(Message::Text(hello))).await,
        Ok(Ok(()))
    ) {
        cannot_open(socket).await;
        return unavailable("unavailable");
    }
    // The player's frames count against the same rate as on the owner's own sockets (control
    // frames too, which the relay answers itself).
    let frames = st.registry.limits.frames;
    let mut bucket = super::limit::Bucket::new(frames.per_sec, frames.burst);
    let metrics = st.registry.metrics.clone();
    crate::metrics::Metrics::inc(&metrics.ws_proxied_total);
    metrics
        .ws_proxied_open
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _open = RelayGuard(metrics);
    let mut shutdown = st.shutdown.clone();
    let stopping = async move {
        let _ = shutdown.wait_for(|s| *s).await;
    };
    tokio::pin!(stopping);
    let mut ping = tokio::time::interval(OWNER_PING);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut silent_pings = 0u32;
    loop {
        tokio::select! {
            // The player's frames are checked as on the owner's own sockets.
            msg = socket.next() => match msg {
                Some(Ok(ref m)) if !m.is_close() && !bucket.take() => {
                    crate::metrics::Metrics::inc(&st.registry.metrics.ws_closed_rate_limited);
                    let _ = send(socket, &ServerFrame::error(None, ErrorCode::RateLimited, "too many frames; slow down", false)).await;
                    return Some((close::POLICY, "rate limit".into()));
                }
                msg => match player_frame(socket, msg).await {
                    PlayerFrame::Text(t) => {
                        if !matches!(tokio::time::timeout(SEND_WITHIN, upstream.send(Message::Text(t))).await, Ok(Ok(()))) {
                            return unavailable("the game's server node went away; reconnect");
                        }
                    }
                    PlayerFrame::Control => {}
                    PlayerFrame::End(ending) => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), upstream.close(None)).await;
                        return ending.map(|(code, reason)| (code, reason.to_owned()));
                    }
                },
            },
            msg = upstream.next() => {
                silent_pings = 0;
                match msg {
                    Some(Ok(Message::Text(t))) => {
                        if !send_text(socket, &t).await {
                            return None;
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return Some(frame.map_or((close::GOING_AWAY, String::new()), |f| {
                            (u16::from(f.code), f.reason.to_string())
                        }));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        return unavailable("the game's server node went away; reconnect");
                    }
                }
            }
            _ = ping.tick() => {
                silent_pings += 1;
                if silent_pings > 2 {
                    tracing::warn!(game = %game, owner = %owner.id, "the game's owner stopped answering; the player reconnects");
                    return unavailable("the game's server node stopped answering; reconnect");
                }
                if !matches!(tokio::time::timeout(SEND_WITHIN, upstream.send(Message::Ping(bytes::Bytes::new()))).await, Ok(Ok(()))) {
                    return unavailable("the game's server node went away; reconnect");
                }
            }
            () = &mut stopping => {
                let _ = tokio::time::timeout(Duration::from_secs(1), upstream.close(None)).await;
                return Some((close::GOING_AWAY, "server shutting down".into()));
            }
        }
    }
}

type Upstream = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Opens a WebSocket to `owner`'s `/ws`, signed as this node.
async fn dial<S: Store>(
    st: &AppState<S>,
    owner: &NodeRow,
    peer: Option<SocketAddr>,
) -> anyhow::Result<Upstream> {
    let url = format!(
        "{}/ws",
        owner
            .internal_url
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1)
    );
    let mut req = url.as_str().into_client_request()?;
    let authority = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| anyhow::anyhow!("no host in {url}"))?;
    let addr = if authority.contains(':') {
        authority
    } else {
        format!("{authority}:80")
    };
    if let Some(sig) = st.nodes.signature.clone() {
        req.headers_mut().insert(FORWARDED, sig);
    }
    if let Some(v) = peer.and_then(|p| HeaderValue::from_str(&p.to_string()).ok()) {
        req.headers_mut().insert(PEER, v);
    }
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    // Small buffers, as on the server's own sockets: a relayed socket is idle most of its
    // life, and tungstenite's defaults (128 KiB each way) would cost 250 KiB per player.
    let config = WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(1024);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config)).await?;
    Ok(ws)
}
