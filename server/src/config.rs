//! `detente serve` settings: every flag has an environment variable and a doc line.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "DETENTE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The address students' devices open, e.g. `http://192.168.1.20:8080` or
    /// `https://detente.school.example`: join links and QR codes are built on it. Without it
    /// they use the address the browser used, or, when that is this computer's loopback
    /// address, the machine's first network address.
    #[arg(long, env = "DETENTE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Database: `postgres://…` for Postgres, `sqlite://FILE` for SQLite. Default: a SQLite
    /// file under ./detente-data/, created on first run.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Origins allowed to open WebSockets besides the server's own host (comma separated;
    /// `*` allows any).
    #[arg(long, env = "DETENTE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// When set, creating a game requires `Authorization: Bearer <this token>`. Prefer the
    /// environment variable: a command-line flag shows in the process list.
    #[arg(long, env = "DETENTE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Log format.
    #[arg(long, env = "DETENTE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Seconds a game stays in memory while nobody watches it and no deadline is pending;
    /// it comes back by replaying its log when someone returns.
    #[arg(long, env = "DETENTE_IDLE_SECS", default_value_t = 300)]
    pub idle_secs: u64,
    /// Serve the browser client from this directory instead of the copy built into the
    /// binary (for working on `web/`: edit, reload).
    #[arg(long, env = "DETENTE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Most HTTP connections open at once (past it, new ones wait to be accepted), and most
    /// WebSockets (past it, upgrades get 503). Keep it under the process's open-file limit.
    #[arg(long, env = "DETENTE_MAX_CONNECTIONS", default_value_t = 18_000)]
    pub max_connections: usize,
    /// Days a command's record is kept, so that a client's retry of it is recognised and
    /// answered as before; older records are deleted hourly (events never are).
    #[arg(long, env = "DETENTE_COMMAND_RETENTION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub command_retention_days: u32,
    /// While one batch of commands is being written to the database, the next gathers more
    /// until that one is written, for at most this many ms (0: never waits). Fewer, larger
    /// statements cost the database less per command under load; an idle database gets each
    /// command at once.
    #[arg(long, env = "DETENTE_COMMIT_FILL_MS", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=50))]
    pub commit_fill_ms: u64,
    /// This node's name among the server nodes sharing a database (decision record 0012):
    /// unique among them and stable across restarts, so that a restarted node takes its games
    /// back at once. Default: this machine's host name and the port listened on.
    #[arg(long, env = "DETENTE_NODE_ID")]
    pub node_id: Option<String>,
    /// How long this node's claim on a game holds without renewal (ms); it is renewed every
    /// third of that. After a node dies, another takes its games once their leases run out.
    #[arg(long, env = "DETENTE_LEASE_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(300..=60_000))]
    pub lease_ms: u64,
    /// Where the other nodes reach this one (decision record 0012): a player's request or
    /// WebSocket for a game this node owns that arrives at another node is forwarded here.
    /// Default: `http://` and the address listened on, or this machine's host name and the
    /// port when listening on every interface.
    #[arg(long, env = "DETENTE_INTERNAL_URL")]
    pub internal_url: Option<String>,
    /// Reverse proxies in front of this server (addresses or networks, `10.0.0.2`,
    /// `172.28.0.0/16`, comma separated): a request from one of them is counted, for the
    /// per-address limits, under the client address it names in `X-Real-IP` (or the last of
    /// `X-Forwarded-For`). From anywhere else those headers are ignored.
    #[arg(long, env = "DETENTE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<Network>,
    /// Extra scenario files to offer beside the built-in ones.
    #[arg(long = "scenario", env = "DETENTE_SCENARIOS", value_delimiter = ',')]
    pub scenarios: Vec<PathBuf>,
    /// Time bounds and per-address limits (not flags: the documented values; tests shorten
    /// them).
    #[arg(skip)]
    pub limits: crate::limits::Limits,
    /// The wall clock (the system's; tests may run it on tokio's time).
    #[arg(skip)]
    pub clock: crate::limits::WallClock,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// An address or a network (`10.0.0.2`, `172.28.0.0/16`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl std::str::FromStr for Network {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: std::net::IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix must be 0 to {max}"))?,
            None => max,
        };
        Ok(Network { addr, prefix })
    }
}

impl Network {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        let bits =
            |a: u128, b: u128, len: u32, prefix: u32| prefix == 0 || (a ^ b) >> (len - prefix) == 0;
        match (self.addr, ip.to_canonical()) {
            (V4(n), V4(i)) => bits(
                u32::from(n).into(),
                u32::from(i).into(),
                32,
                self.prefix.into(),
            ),
            (V6(n), V6(i)) => bits(n.into(), i.into(), 128, self.prefix.into()),
            _ => false,
        }
    }
}

/// This machine's host name (`HOSTNAME`, `/etc/hostname`), or `localhost`.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A database URL with its password masked, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl ServeConfig {
    /// This node's id: `--node-id`, or the host name and the port listened on.
    pub fn node_id(&self) -> String {
        if let Some(id) = self
            .node_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return id.to_owned();
        }
        format!("{}:{}", host_name(), self.addr.port())
    }

    /// Where the other nodes reach this one: `--internal-url`, or `http://` and the address
    /// listened on (`bound`: the port may have been 0), or the host name when that is every
    /// interface.
    pub fn internal_url(&self, bound: std::net::SocketAddr) -> String {
        self.internal_url_unchecked(bound)
    }

    /// Refuses, before the server starts, a node id or an internal URL the other nodes could
    /// not use.
    pub fn check_nodes(&self, bound: std::net::SocketAddr) -> Result<(), String> {
        let id = self.node_id();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_graphic()) {
            return Err(format!(
                "--node-id {id:?}: letters, digits and punctuation only, no spaces"
            ));
        }
        let url = self.internal_url_unchecked(bound);
        let host = url.strip_prefix("http://").unwrap_or("");
        if host.is_empty() || host.contains('/') {
            return Err(format!(
                "--internal-url {url:?}: http://HOST:PORT with no path (the nodes speak plain HTTP to each other)"
            ));
        }
        Ok(())
    }

    fn internal_url_unchecked(&self, bound: std::net::SocketAddr) -> String {
        if let Some(url) = self
            .internal_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|s| !s.is_empty())
        {
            return url.to_owned();
        }
        if bound.ip().is_unspecified() {
            format!("http://{}:{}", host_name(), bound.port())
        } else {
            format!("http://{bound}")
        }
    }

    /// The database URL, with the embedded default.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| "sqlite://detente-data/detente.db".into())
    }
}

#[cfg(test)]
mod tests {
    use super::Network;

    #[test]
    fn networks_hold_their_addresses() {
        let n: Network = "172.28.0.0/16".parse().expect("network");
        assert!(n.contains("172.28.5.9".parse().unwrap()));
        assert!(!n.contains("172.29.0.1".parse().unwrap()));
        // An IPv4 client seen on an IPv6 socket.
        assert!(n.contains("::ffff:172.28.0.2".parse().unwrap()));
        let one: Network = "10.0.0.2".parse().expect("address");
        assert!(one.contains("10.0.0.2".parse().unwrap()));
        assert!(!one.contains("10.0.0.3".parse().unwrap()));
        let any: Network = "0.0.0.0/0".parse().expect("every IPv4");
        assert!(any.contains("8.8.8.8".parse().unwrap()));
        assert!(!any.contains("fd00::1".parse().unwrap()));
        let v6: Network = "fd00::/8".parse().expect("network");
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        assert!("proxy".parse::<Network>().is_err());
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            super::redact_url("postgres://detente:s3cret@db:5432/detente"),
            "postgres://detente:***@db:5432/detente"
        );
        assert_eq!(
            super::redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            super::redact_url("sqlite://detente-data/d.db"),
            "sqlite://detente-data/d.db"
        );
    }
}
