//! Token buckets for rate limits: per connection (frames) and per client address (join-code
//! guesses).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use tokio::time::Instant;

/// `rate` tokens a second, at most `burst` saved up.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(rate: f64, burst: f64) -> Self {
        Bucket {
            rate,
            burst,
            tokens: burst,
            at: Instant::now(),
        }
    }

    /// Takes a token if one is there.
    pub fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn full(&self) -> bool {
        self.tokens + Instant::now().duration_since(self.at).as_secs_f64() * self.rate >= self.burst
    }
}

/// A token bucket per client address, for rare, costly requests: failed join codes (so codes
/// cannot be guessed by brute force) and game creation (so an open server cannot be filled).
/// IPv6 addresses count by their /64 prefix, since one client usually holds a whole /64.
#[derive(Debug)]
pub struct AddrLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Addresses remembered before the fully recovered ones are forgotten.
const SWEEP_AT: usize = 10_000;

/// The key an address counts under.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
    }
}

impl AddrLimiter {
    pub fn new(rate: f64, burst: f64) -> Self {
        AddrLimiter {
            rate,
            burst,
            buckets: Mutex::default(),
        }
    }

    /// A limiter of `rate` per address (crate::limits::Limits).
    pub fn of(rate: crate::limits::Rate) -> Self {
        Self::new(rate.per_sec, rate.burst)
    }

    /// Whether `ip` has a token to spare (without taking it).
    pub fn allowed(&self, ip: IpAddr) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets.get(&client_key(ip)).is_none_or(|b| {
            b.tokens + Instant::now().duration_since(b.at).as_secs_f64() * b.rate >= 1.0
        })
    }

    /// Takes a token for `ip` if one is there, in one step: concurrent requests from one
    /// address can never take more than the bucket holds. A request that turns out not to
    /// count (a right join code, a game that could not be stored) gives it back.
    pub fn take(&self, ip: IpAddr) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, b| !b.full());
        }
        let (rate, burst) = (self.rate, self.burst);
        buckets
            .entry(client_key(ip))
            .or_insert_with(|| Bucket::new(rate, burst))
            .take()
    }

    /// Gives back a token taken for a request that did not count.
    pub fn give_back(&self, ip: IpAddr) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = buckets.get_mut(&client_key(ip)) {
            b.tokens = (b.tokens + 1.0).min(b.burst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_prefix_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.7".parse::<IpAddr>().unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_the_rate() {
        let l = AddrLimiter::new(1.0, 3.0);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(l.allowed(ip));
            assert!(l.take(ip));
        }
        assert!(!l.allowed(ip), "burst spent");
        assert!(!l.take(ip), "nothing left to take");
        l.give_back(ip);
        assert!(l.take(ip), "a token given back");
        assert!(l.allowed("192.0.2.2".parse().unwrap()), "others unaffected");
        tokio::time::advance(std::time::Duration::from_millis(1100)).await;
        assert!(l.allowed(ip), "a token back after a second");
    }
}
