//! Running the server: open the store, migrate, revive live games, serve until shutdown.
//! The accept loop takes an already-bound listener and a shutdown future, so tests bind port 0.

use crate::config::ServeConfig;
use crate::game::{Registry, Scenarios};
use crate::http::limit::AddrLimiter;
use crate::http::{router, AppState, HttpConfig};
use crate::store::{PgStore, SqliteStore, Store};
use anyhow::{Context, Result};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Built-in scenarios plus the configured files, validated.
pub fn load_scenarios(config: &ServeConfig) -> Result<Scenarios> {
    crate::scenarios::catalogue(&config.scenarios)
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let url = config.database_url();
    let scenarios = Arc::new(load_scenarios(&config)?);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(&url)?;
        run(store, config, scenarios, listener, shutdown).await
    } else {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let file = std::path::Path::new(path.split('?').next().unwrap_or(path));
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        let store = SqliteStore::connect(&url).await?;
        run(store, config, scenarios, listener, shutdown).await
    }
}

async fn run<S: Store>(
    store: S,
    config: ServeConfig,
    scenarios: Arc<Scenarios>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let started = tokio::time::Instant::now();
    until_ready(started, &config, || store.migrate())
        .await
        .context("running migrations")?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(forget_old_commands(
        store.clone(),
        config.command_retention_days,
        config.clock,
        stop_rx.clone(),
    ));
    let registry = Registry::new(
        store.clone(),
        scenarios,
        stop_rx.clone(),
        std::time::Duration::from_secs(config.idle_secs.max(1)),
        crate::limits::Limits {
            commit_fill: std::time::Duration::from_millis(config.commit_fill_ms),
            ..config.limits.clone()
        },
        config.clock,
        crate::game::Node {
            id: config.node_id(),
            lease: std::time::Duration::from_millis(config.lease_ms),
        },
    );
    let addr = listener.local_addr()?;
    config.check_nodes(addr).map_err(anyhow::Error::msg)?;
    // Where the other nodes send this node's games' players (decision record 0012).
    let nodes =
        crate::http::forward::Nodes::new(registry.node.id.clone(), config.internal_url(addr));
    until_ready(started, &config, || store.register_node(nodes.me()))
        .await
        .context("registering this node")?;
    registry.keep_leases();
    // Class changes announced by the other nodes ring this node's bells.
    let class_bells: Arc<crate::http::presence::ClassBells> = Default::default();
    tokio::spawn({
        let (store, bells, node) = (store.clone(), class_bells.clone(), registry.node.id.clone());
        let ring = Arc::new(move |class, started| bells.ring(class, started));
        let stop = stop_rx.clone();
        async move { store.hear_classes(node, ring, stop).await }
    });
    let revived = registry.revive_live_games().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not revive live games");
        0
    });
    let reach = crate::http::reach::Reach::new(config.public_url.as_deref(), addr)
        .map_err(anyhow::Error::msg)?;
    let state = Arc::new(AppState {
        registry: registry.clone(),
        config: HttpConfig {
            allowed_origins: config.allowed_origins.clone(),
            admin_token: config.admin_token.clone().filter(|t| !t.is_empty()),
            web: match &config.web_dir {
                Some(dir) => crate::http::web::WebSource::Dir(dir.clone()),
                None => crate::http::web::WebSource::Embedded,
            },
            max_sockets: config.max_connections,
            reach: reach.clone(),
        },
        shutdown: stop_rx,
        joins: AddrLimiter::of(config.limits.wrong_codes),
        creations: AddrLimiter::of(config.limits.creations),
        seatings: AddrLimiter::of(config.limits.seatings),
        presence: Default::default(),
        class_bells,
        nodes: nodes.clone(),
    });
    tracing::info!(%addr, store = store.kind(), revived, node = %nodes.me().id, internal_url = %nodes.me().internal_url, public_url = ?reach.public_url, reachable = ?reach.reachable, "serving");
    accept_loop(
        listener,
        router(state),
        Arc::new(config.trusted_proxies.clone()),
        config.max_connections,
        &config.limits,
        async move {
            shutdown.await;
            tracing::info!("shutting down: closing sockets with 1001");
            let _ = stop_tx.send(true);
        },
    )
    .await;
    // Upgraded connections and game tasks are not HTTP connections: wait for them too (a
    // game task finishes the message it is handling, so an in-flight commit completes; a
    // socket sends its 1001 close), for a bounded time.
    let started = tokio::time::Instant::now();
    let open = || {
        registry
            .metrics
            .ws_connections_open
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
            || registry.live() > 0
    };
    while open() && started.elapsed() < config.limits.shutdown_grace {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if open() {
        tracing::warn!("shutdown grace period over with connections or games still open");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Runs a start-up step, again every second while the database is not ready (Postgres may
/// still be starting), until `config.limits.startup_retry` after `started` (counted in time,
/// not tries: a try that waits for a connection can take seconds).
async fn until_ready<F, Fut>(
    started: tokio::time::Instant,
    config: &ServeConfig,
    step: F,
) -> Result<(), crate::store::StoreError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), crate::store::StoreError>>,
{
    loop {
        match step().await {
            Ok(()) => return Ok(()),
            Err(e) if e.retryable() && started.elapsed() < config.limits.startup_retry => {
                tracing::warn!(error = %e, "database not ready; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// How often the command records past their retention are deleted.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Deletes, once an hour (first a minute after start), the records of commands older than
/// `days`: a retry of such a command is no longer recognised (docs/protocol.md §9), and the
/// table stops growing with every command ever sent. Events are never deleted.
async fn forget_old_commands<S: Store>(
    store: S,
    days: u32,
    clock: crate::limits::WallClock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        wait = SWEEP_EVERY;
        let before = clock.now_ms() - i64::from(days) * 86_400_000;
        match store.forget_commands(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, days, "old command records deleted"),
            Err(e) => tracing::warn!(error = %e, "could not delete old command records"),
        }
    }
}

/// The client a request comes from: the TCP peer, or, when the peer is a trusted reverse
/// proxy, the address it names in `X-Real-IP` or last in `X-Forwarded-For` (the one it added).
fn client_addr(
    peer: std::net::SocketAddr,
    headers: &hyper::HeaderMap,
    trusted: &[crate::config::Network],
) -> std::net::SocketAddr {
    if !trusted.iter().any(|n| n.contains(peer.ip())) {
        return peer;
    }
    let named = headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .or_else(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .next_back()
        })
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    match named {
        Some(ip) => std::net::SocketAddr::new(ip, 0),
        None => peer,
    }
}

/// Accepts connections until `shutdown` resolves, then lets in-flight requests finish.
///
/// Hand-written rather than `axum::serve` for two limits axum does not offer: a header read
/// timeout (hyper's, with a timer) and a cap on open HTTP connections (a semaphore: past the
/// cap the server stops accepting and new clients wait in the kernel's backlog).
/// WebSockets leave this count once upgraded; `/ws` caps them separately.
///
/// HTTP/1.1 only. hyper-util's automatic HTTP/1–HTTP/2 connection reads the first bytes to
/// choose a protocol with no timer of its own, so a client that sent nothing, or only the
/// HTTP/2 preface, held its connection (and a slot of the cap) for ever. Browsers speak HTTP/2
/// only over TLS, which a proxy in front of this server ends; HTTP/1.1's timer starts as soon
/// as a connection is accepted.
async fn accept_loop(
    listener: TcpListener,
    app: axum::Router,
    trusted: Arc<Vec<crate::config::Network>>,
    max_connections: usize,
    limits: &crate::limits::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper::server::conn::http1::Builder;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_buf_size(64 * 1024);
    // Each connection watches this; at shutdown it finishes its request and closes.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let max_connections = max_connections.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Small frames: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to some replies.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let app = app.clone();
        let trusted = trusted.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let client = client_addr(peer, req.headers(), &trusted);
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(client));
                app.clone().oneshot(req)
            });
        let builder = builder.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let conn = builder
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => r,
                _ = async { stop.wait_for(|s| *s).await.map(|_| ()) } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, %peer, "HTTP connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a permit until it ends: all of them back means all ended.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.http_drain, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("HTTP requests still running after the drain period");
    }
}

#[cfg(test)]
mod tests {
    use super::client_addr;

    #[test]
    fn a_trusted_proxy_names_the_client_and_nobody_else_can() {
        let proxy: std::net::SocketAddr = "172.28.0.2:40000".parse().unwrap();
        let trusted = ["172.28.0.2".parse().unwrap()];
        let mut headers = hyper::HeaderMap::new();
        headers.insert("x-real-ip", "203.0.113.7".parse().unwrap());
        assert_eq!(
            client_addr(proxy, &headers, &trusted).ip().to_string(),
            "203.0.113.7"
        );
        // From anyone else the header is only a header.
        let player: std::net::SocketAddr = "198.51.100.1:5000".parse().unwrap();
        assert_eq!(client_addr(player, &headers, &trusted), player);
        assert_eq!(client_addr(proxy, &headers, &[]), proxy);
        // X-Forwarded-For: the last address, the one the proxy added.
        let mut headers = hyper::HeaderMap::new();
        headers.insert("x-forwarded-for", "10.9.9.9, 203.0.113.8".parse().unwrap());
        assert_eq!(
            client_addr(proxy, &headers, &trusted).ip().to_string(),
            "203.0.113.8"
        );
        // Nothing usable: the proxy itself.
        let mut headers = hyper::HeaderMap::new();
        headers.insert("x-real-ip", "not an address".parse().unwrap());
        assert_eq!(client_addr(proxy, &headers, &trusted), proxy);
    }
}
