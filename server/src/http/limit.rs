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

/// Failed join attempts per client address: a few a minute, so six-character codes cannot be
/// guessed by brute force.
#[derive(Debug, Default)]
pub struct JoinLimiter {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Failed joins allowed per address: a burst, then one every 6 seconds.
const JOIN_BURST: f64 = 10.0;
const JOIN_RATE: f64 = 1.0 / 6.0;

impl JoinLimiter {
    /// Whether `ip` may try again (it has failures to spare).
    pub fn allowed(&self, ip: IpAddr) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets.get(&ip).is_none_or(|b| {
            b.tokens + Instant::now().duration_since(b.at).as_secs_f64() * b.rate >= 1.0
        })
    }

    /// Records a failed attempt by `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // Forget addresses that have fully recovered, so the map stays small.
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| !b.full());
        }
        buckets
            .entry(ip)
            .or_insert_with(|| Bucket::new(JOIN_RATE, JOIN_BURST))
            .take();
    }
}
