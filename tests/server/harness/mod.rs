//! The harness every test module shares: a fresh database per test ([`Db`]) and the real server
//! in this process ([`App`]), here; a tiny HTTP/1.1 client and the REST calls (`http`);
//! WebSocket clients (`client`); commands (`commands`); the secrecy check (`secrecy`); the real
//! `detente` binary as a child process (`binary`).

mod binary;
mod client;
mod commands;
mod http;
mod secrecy;

pub(crate) use binary::*;
pub(crate) use client::*;
pub(crate) use commands::*;
pub(crate) use http::*;
pub(crate) use secrecy::*;

use detente::config::{LogFormat, ServeConfig};
use detente::limits::{Limits, WallClock};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

/// Longest wait for any single frame or answer.
pub(crate) const RECV: Duration = Duration::from_secs(10);

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A fresh database for one test.
pub(crate) enum Db {
    /// A SQLite file in its own temporary directory.
    Sqlite { dir: PathBuf },
    /// A database of its own on a Postgres server.
    Postgres { admin: String, name: String },
}

impl Db {
    pub(crate) fn sqlite() -> Db {
        let dir = std::env::temp_dir().join(format!("detente-e2e-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Db::Sqlite { dir }
    }

    /// A fresh Postgres database, or `None` (with a visible notice) when no server is
    /// reachable and `CI` is unset. Under CI an unreachable server fails the test.
    pub(crate) async fn postgres(test: &str) -> Option<Db> {
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
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        Some(Db::Postgres { admin, name })
    }

    pub(crate) fn url(&self) -> String {
        match self {
            Db::Sqlite { dir } => format!("sqlite://{}", dir.join("detente.db").display()),
            Db::Postgres { admin, name } => match admin.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("DETENTE_TEST_POSTGRES must end with /DATABASE: {admin}"),
            },
        }
    }

    pub(crate) async fn cleanup(self) {
        match self {
            Db::Sqlite { dir } => {
                std::fs::remove_dir_all(dir).ok();
            }
            Db::Postgres { admin, name } => {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            }
        }
    }
}

/// The settings a test server runs with: the defaults, except that a socket the server
/// closes waits 200 ms (not 2 s) for the client's answering Close — tests drop their clients
/// only after the server stops. A test that needs other bounds changes them.
pub(crate) fn test_config(addr: SocketAddr, database_url: String) -> ServeConfig {
    ServeConfig {
        addr,
        database_url: Some(database_url),
        allowed_origins: Vec::new(),
        admin_token: None,
        log_format: LogFormat::Text,
        idle_secs: 300,
        web_dir: None,
        max_connections: 18_000,
        scenarios: Vec::new(),
        public_url: None,
        command_retention_days: 7,
        commit_fill_ms: 1,
        // One node, the same across a test's restarts: it takes its games back at once.
        node_id: Some("test-node".into()),
        lease_ms: 5000,
        internal_url: None,
        trusted_proxies: Vec::new(),
        limits: Limits {
            close_wait: Duration::from_millis(200),
            ..Limits::default()
        },
        clock: WallClock::system(),
    }
}

/// A server running in this process.
pub(crate) struct App {
    pub(crate) addr: SocketAddr,
    pub(crate) db: Db,
    pub(crate) stop: oneshot::Sender<()>,
    pub(crate) task: JoinHandle<anyhow::Result<()>>,
}

/// Starts the real server on 127.0.0.1:0 against `db` and waits until it is ready.
pub(crate) async fn spawn_app(db: Db) -> App {
    spawn_app_idle(db, 300).await
}

/// As [`spawn_app`], with games leaving memory after `idle_secs` unwatched.
pub(crate) async fn spawn_app_idle(db: Db, idle_secs: u64) -> App {
    spawn_app_with(db, |c| c.idle_secs = idle_secs).await
}

/// As [`spawn_app`], with settings changed by `adjust`.
pub(crate) async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut ServeConfig)) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let mut config = test_config(addr, db.url());
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
    pub(crate) async fn stop(self) -> Db {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops within 10 s")
            .expect("server task")
            .expect("server exits cleanly");
        self.db
    }
}
