//! The server's time bounds and per-address limits, and the wall clock it reads, in one place.
//!
//! A server runs with [`Limits::default`], the values `docs/operations.md` and
//! `docs/protocol.md` give (a unit test below holds them to it). Tests shorten the times so that
//! they do not wait in real time, and may run the clock from tokio's (pausable) time.

use std::time::Duration;

/// A rate with a burst: `burst` at once, then `per_sec` a second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_sec: f64,
    pub burst: f64,
}

/// Time bounds and limits of one server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time a new WebSocket has for its `hello` frame.
    pub hello: Duration,
    /// Time a closing WebSocket waits for the client's answering Close (dropping a socket with
    /// unread data makes the kernel reset it, and the client would lose the last frames).
    pub close_wait: Duration,
    /// Frames one WebSocket may send (control frames included).
    pub frames: Rate,
    /// WebSockets one seat may hold open at once (tabs, a projector, a second device).
    pub sockets_per_seat: u32,
    /// Time a client has to send a request's headers (slowloris).
    pub header_read: Duration,
    /// Time a game's task waits for the database before it answers `unavailable`; it then
    /// answers `unavailable` at once for as long again.
    pub database_within: Duration,
    /// While one batch of appends is being written, how long at most the next waits for it to
    /// be written, gathering more (decision records 0009, 0010); an idle database gets each
    /// append at once.
    pub commit_fill: Duration,
    /// Back-off between retries of the clock's tick and of bots while the database is away.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// Time start-up keeps retrying a database that is not ready.
    pub startup_retry: Duration,
    /// Time in-flight HTTP requests get to finish at shutdown.
    pub http_drain: Duration,
    /// Time shutdown waits for sockets to close and game tasks to finish.
    pub shutdown_grace: Duration,
    /// Wrong join codes (and unknown seat links) per address.
    pub wrong_codes: Rate,
    /// Games created per address without the admin token.
    pub creations: Rate,
    /// Seats taken per address without the admin token: a class behind one router joins at
    /// once.
    pub seatings: Rate,
    /// People joining one game as observers by its code (Control's projector links do not
    /// count).
    pub observers_per_game: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hello: Duration::from_secs(5),
            close_wait: Duration::from_secs(2),
            frames: Rate {
                per_sec: 20.0,
                burst: 40.0,
            },
            sockets_per_seat: 16,
            header_read: Duration::from_secs(10),
            database_within: Duration::from_secs(2),
            commit_fill: Duration::from_millis(1),
            retry_min: Duration::from_millis(250),
            retry_max: Duration::from_secs(10),
            startup_retry: Duration::from_secs(30),
            http_drain: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(5),
            wrong_codes: Rate {
                per_sec: 1.0 / 6.0,
                burst: 10.0,
            },
            creations: Rate {
                per_sec: 1.0 / 60.0,
                burst: 20.0,
            },
            seatings: Rate {
                per_sec: 1.0,
                burst: 200.0,
            },
            observers_per_game: 100,
        }
    }
}

/// Wall-clock time as the server reads it, in ms since the epoch: the engine gets time only as
/// this value (deadlines, timestamps of messages and seats).
#[derive(Clone, Copy, Debug, Default)]
pub struct WallClock {
    /// `None`: the system's clock. `Some((ms, at))`: `ms` at tokio's instant `at`, moving with
    /// tokio's time — which a test can pause and advance, deadlines and all.
    tokio: Option<(i64, tokio::time::Instant)>,
}

impl WallClock {
    /// The system's clock.
    pub fn system() -> Self {
        WallClock { tokio: None }
    }

    /// A clock that reads `start_ms` now and then moves with tokio's time.
    pub fn following_tokio(start_ms: i64) -> Self {
        WallClock {
            tokio: Some((start_ms, tokio::time::Instant::now())),
        }
    }

    pub fn now_ms(&self) -> i64 {
        match self.tokio {
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            Some((ms, at)) => ms + at.elapsed().as_millis() as i64,
        }
    }

    /// The tokio instant at which this clock reads `ms` (now, if that is past).
    pub fn instant_at(&self, ms: i64) -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_millis((ms - self.now_ms()).max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults are the values the documentation gives.
    #[test]
    fn defaults_are_the_documented_values() {
        let l = Limits::default();
        let operations = include_str!("../../docs/operations.md");
        let protocol = include_str!("../../docs/protocol.md");
        assert_eq!(l.hello, Duration::from_secs(5));
        assert!(protocol.contains("within 5 s"), "protocol.md: hello in 5 s");
        assert_eq!(l.sockets_per_seat, 16);
        assert!(protocol.contains("16"), "protocol.md: 16 sockets a seat");
        assert_eq!(
            l.frames,
            Rate {
                per_sec: 20.0,
                burst: 40.0
            }
        );
        assert_eq!(l.header_read, Duration::from_secs(10));
        assert_eq!(l.database_within, Duration::from_secs(2));
        assert_eq!(l.startup_retry, Duration::from_secs(30));
        assert!(
            operations.contains("30 s"),
            "operations.md: start-up waits 30 s"
        );
        assert_eq!(l.observers_per_game, 100);
        assert_eq!(l.seatings.burst, 200.0);
        assert_eq!(l.wrong_codes.burst, 10.0);
        assert_eq!(l.creations.burst, 20.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_tokio_clock_moves_with_paused_time() {
        let c = WallClock::following_tokio(1_000);
        assert_eq!(c.now_ms(), 1_000);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(c.now_ms(), 91_000);
        assert_eq!(
            c.instant_at(91_500) - tokio::time::Instant::now(),
            Duration::from_millis(500)
        );
        assert!(WallClock::system().now_ms() > 1_700_000_000_000);
    }
}
