//! The real `detente` binary as a child process.

use super::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The `detente` binary as a child process; killed when dropped.
pub(crate) struct Child {
    pub(crate) child: std::process::Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub(crate) async fn start_binary(db: &Db, log: &std::path::Path) -> Child {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    // The same node across a test's restarts (on new ports): it takes its games back at once
    // instead of waiting for its own leases to run out.
    start_binary_at(&db.url(), log, addr, &["--node-id", "test-node"]).await
}

/// Starts `detente serve` on `addr` against `database_url` with `extra` flags, logging to
/// `log` (appended), and waits until it is ready.
pub(crate) async fn start_binary_at(
    database_url: &str,
    log: &std::path::Path,
    addr: SocketAddr,
    extra: &[&str],
) -> Child {
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
            database_url,
        ])
        .args(extra)
        .env_remove("DETENTE_ADMIN_TOKEN")
        .env_remove("DETENTE_ALLOWED_ORIGINS")
        .env_remove("DETENTE_SCENARIOS")
        .env_remove("DETENTE_NODE_ID")
        .env_remove("DETENTE_INTERNAL_URL")
        .env_remove("DETENTE_LEASE_MS")
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

/// Stops the `detente` binary with SIGTERM (a graceful shutdown) and waits for it to exit 0.
pub(crate) fn terminate(mut server: Child) {
    let pid = server.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}");
    let exit = server.child.wait().expect("wait for detente");
    assert!(exit.success(), "graceful shutdown exits 0: {exit}");
}
