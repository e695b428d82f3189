//! Where students' devices can reach this server. A join link and its QR code must point at an
//! address a phone on the classroom network can open: the public URL when one is set, else one
//! of the machine's own addresses when the page was opened on a loopback address, else the
//! address the browser used.

use axum::http::{HeaderMap, Uri};
use std::net::{IpAddr, SocketAddr};

/// What this node knows of its own reachability, worked out once at start.
#[derive(Clone, Debug, Default)]
pub struct Reach {
    /// `--public-url`, normalised (no trailing slash).
    pub public_url: Option<String>,
    /// `http://<address>:<port>` for each address other machines may use; empty when the
    /// server listens on a loopback address only.
    pub reachable: Vec<String>,
}

impl Reach {
    /// For a server listening on `addr` with `--public-url` `public_url` (checked).
    pub fn new(public_url: Option<&str>, addr: SocketAddr) -> Result<Reach, String> {
        let public_url = match public_url.filter(|u| !u.trim().is_empty()) {
            Some(u) => Some(parse_public_url(u)?),
            None => None,
        };
        Ok(Reach {
            public_url,
            reachable: reachable_urls(addr),
        })
    }

    /// What to tell the person who started the server: where people can open it, or that
    /// students' devices cannot reach it yet.
    pub fn announcement(&self, addr: SocketAddr) -> Vec<String> {
        if let Some(url) = &self.public_url {
            return vec![format!("Students join at {url} (--public-url).")];
        }
        if self.reachable.is_empty() {
            return vec![
                format!("Open http://{addr} on this computer. Students' devices cannot reach it:"),
                format!(
                    "for a class, run `detente serve --addr 0.0.0.0:{}` (README, \"Running a class\").",
                    addr.port()
                ),
            ];
        }
        let mut lines = vec!["Students on this network can join at:".to_owned()];
        lines.extend(self.reachable.iter().map(|u| format!("  {u}")));
        lines
    }

    /// The base of join links for a request that came with `headers`.
    pub fn join_base(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
            });
        match host {
            // A link to this computer's loopback address is useless on a student's phone.
            Some(h) if !is_loopback_host(h) => {
                let scheme = match headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                {
                    Some("https") => "https",
                    _ => "http",
                };
                format!("{scheme}://{h}")
            }
            other => self
                .reachable
                .first()
                .cloned()
                .unwrap_or_else(|| format!("http://{}", other.unwrap_or("localhost"))),
        }
    }
}

/// Checks and normalises `--public-url`: an absolute http(s) URL with a host and no path,
/// query or fragment (join links are `<url>/join/<code>`).
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let trimmed = s.trim().trim_end_matches('/');
    let bad = |why: &str| Err(format!("--public-url {s:?}: {why}"));
    let uri: Uri = match trimmed.parse() {
        Ok(u) => u,
        Err(_) => return bad("not a URL"),
    };
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return bad("give an http:// or https:// URL, e.g. http://192.168.1.20:8080"),
    }
    if uri.host().is_none_or(str::is_empty) {
        return bad("it has no host");
    }
    if uri
        .path_and_query()
        .is_some_and(|p| p.as_str() != "/" && !p.as_str().is_empty())
    {
        return bad("give the server's address only, without a path or query");
    }
    Ok(trimmed.to_owned())
}

/// Whether a `Host` header (name or address, with or without port) names this computer only.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The URLs other machines may use to reach a server listening on `listen`: none for a
/// loopback address; for an unspecified one (`0.0.0.0`, `[::]`) each address of the machine's
/// network interfaces that are up, IPv4 first, loopback and link-local ones left out.
pub fn reachable_urls(listen: SocketAddr) -> Vec<String> {
    let ip = listen.ip();
    let port = listen.port();
    if ip.is_loopback() {
        return Vec::new();
    }
    if !ip.is_unspecified() {
        return vec![url_of(ip, port)];
    }
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback() && !i.is_link_local() && i.is_oper_up())
        .map(|i| i.ip())
        // A server bound to 0.0.0.0 takes IPv4 only; one bound to [::] usually both.
        .filter(|a| a.is_ipv4() || ip.is_ipv6())
        .collect();
    ips.sort_by_key(|a| (a.is_ipv6(), *a));
    ips.dedup();
    ips.into_iter().map(|a| url_of(a, port)).collect()
}

fn url_of(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("http://{a}:{port}"),
        IpAddr::V6(a) => format!("http://[{a}]:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(axum::http::header::HOST, h.parse().unwrap());
        m
    }

    #[test]
    fn public_urls_are_checked_and_normalised() {
        assert_eq!(
            parse_public_url("http://192.168.1.20:8080/").as_deref(),
            Ok("http://192.168.1.20:8080")
        );
        assert_eq!(
            parse_public_url("https://class.example.org").as_deref(),
            Ok("https://class.example.org")
        );
        for bad in [
            "192.168.1.20:8080",
            "ftp://example.org",
            "http://example.org/detente",
            "http://example.org/?x=1",
            "not a url",
            "",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:80",
            "[::1]:8080",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "192.168.1.20:8080",
            "class.example.org",
            "[2001:db8::1]:8080",
            "10.0.0.1",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn join_links_point_where_students_can_go() {
        let lan = Reach {
            public_url: None,
            reachable: vec!["http://192.168.1.20:8080".into()],
        };
        // The teacher opened the console on this computer: links use the LAN address.
        assert_eq!(
            lan.join_base(&host("127.0.0.1:8080")),
            "http://192.168.1.20:8080"
        );
        assert_eq!(
            lan.join_base(&host("localhost:8080")),
            "http://192.168.1.20:8080"
        );
        // Opened on an address others can use: that one.
        assert_eq!(
            lan.join_base(&host("10.1.2.3:8080")),
            "http://10.1.2.3:8080"
        );
        let mut proxied = host("class.example.org");
        proxied.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(lan.join_base(&proxied), "https://class.example.org");
        // A public URL wins whatever the browser used.
        let public = Reach {
            public_url: Some("https://detente.school.example".into()),
            reachable: vec![],
        };
        assert_eq!(
            public.join_base(&host("127.0.0.1:8080")),
            "https://detente.school.example"
        );
        // Listening on loopback only: nothing better than what the browser used.
        let local = Reach::default();
        assert_eq!(
            local.join_base(&host("127.0.0.1:8080")),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn a_loopback_listener_is_reachable_from_nowhere_else() {
        assert!(reachable_urls("127.0.0.1:8080".parse().unwrap()).is_empty());
        assert_eq!(
            reachable_urls("10.0.0.5:8080".parse().unwrap()),
            vec!["http://10.0.0.5:8080".to_owned()]
        );
        for url in reachable_urls("0.0.0.0:8080".parse().unwrap()) {
            assert!(
                url.starts_with("http://") && url.ends_with(":8080"),
                "{url}"
            );
            assert!(!url.contains("127.0.0.1"), "{url}");
        }
    }
}
