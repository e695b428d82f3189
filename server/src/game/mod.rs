//! Live games. Each game in memory has exactly one owner task (`session`), which holds the
//! engine state, takes commands from a channel, persists their events (ack after the commit),
//! then fans the events out to its subscribers, each filtered for its seat by the engine's view
//! function. Deadlines and bot seats are driven by the same task. The registry finds or
//! revives a game's task; a game not in memory is rebuilt by replaying its log.

mod session;

pub use session::{now_ms, Outbound, SeatAuth, Subscription};

use crate::engine::scenario::Scenario;
use crate::engine::{Event, Game};
use crate::protocol::ServerFrame;
use crate::store::{Store, StoreError};
use session::Msg;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Scenarios the server offers, by id.
pub type Scenarios = BTreeMap<String, Arc<Scenario>>;

/// Why a game could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no such game")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the game's stored log is unreadable: {0}")]
    Corrupt(String),
    #[error("the game's task stopped; try again")]
    Gone,
}

/// Handle to a live game's task.
#[derive(Clone, Debug)]
pub struct GameHandle {
    tx: mpsc::Sender<Msg>,
}

impl GameHandle {
    /// Whether the task behind this handle has stopped (a new one can be had from the
    /// registry).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Sends a command and waits for its answer (`ack` after the commit, or `error`).
    pub async fn command(
        &self,
        auth: SeatAuth,
        id: String,
        command: crate::engine::Command,
        request_hash: Vec<u8>,
    ) -> Result<ServerFrame, SessionError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Command {
                auth,
                id,
                command,
                request_hash,
                reply,
            })
            .await
            .map_err(|_| SessionError::Gone)?;
        rx.await.map_err(|_| SessionError::Gone)
    }

    /// Subscribes a seat: the frames that bring it up to date, then a channel of live frames.
    pub async fn subscribe(
        &self,
        auth: SeatAuth,
        last_seq: Option<i64>,
    ) -> Result<Subscription, SessionError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Subscribe {
                auth,
                last_seq,
                reply,
            })
            .await
            .map_err(|_| SessionError::Gone)?;
        rx.await.map_err(|_| SessionError::Gone)?
    }

    /// A snapshot of the game as `seat` may see it, with the current sequence.
    pub async fn view(
        &self,
        seat: crate::engine::Seat,
    ) -> Result<(i64, crate::engine::view::SeatView), SessionError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::View { seat, reply })
            .await
            .map_err(|_| SessionError::Gone)?;
        rx.await.map_err(|_| SessionError::Gone)
    }

    /// Runs `f` on the game state inside its task (reports, exports).
    pub async fn with_game<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Game, i64) -> T + Send + 'static,
    ) -> Result<T, SessionError> {
        let (reply, rx) = oneshot::channel();
        let f: session::Inspector = Box::new(move |g, seq| {
            let _ = reply.send(f(g, seq));
        });
        self.tx
            .send(Msg::Inspect(f))
            .await
            .map_err(|_| SessionError::Gone)?;
        rx.await.map_err(|_| SessionError::Gone)
    }
}

/// Finds or revives game tasks. Holds only handles: the state lives in the tasks and the
/// database, so two server nodes could each own different games.
pub struct Registry<S: Store> {
    store: S,
    pub metrics: Arc<crate::metrics::Metrics>,
    scenarios: Arc<Scenarios>,
    games: Mutex<HashMap<Uuid, GameHandle>>,
    /// Fires when the server stops: game tasks end (no clock fires after shutdown).
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// How long an unwatched game without a pending deadline stays in memory.
    idle: std::time::Duration,
}

impl<S: Store> Registry<S> {
    pub fn new(
        store: S,
        scenarios: Arc<Scenarios>,
        shutdown: tokio::sync::watch::Receiver<bool>,
        idle: std::time::Duration,
    ) -> Arc<Self> {
        Arc::new(Registry {
            shutdown,
            idle,
            store,
            metrics: Arc::default(),
            scenarios,
            games: Mutex::new(HashMap::new()),
        })
    }

    pub fn scenarios(&self) -> &Scenarios {
        &self.scenarios
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The task of `game`, started (by replaying its log) if it is not running.
    pub async fn get(self: &Arc<Self>, game: Uuid) -> Result<GameHandle, SessionError> {
        if let Some(h) = self.lock().get(&game) {
            if !h.tx.is_closed() {
                return Ok(h.clone());
            }
        }
        let row = self.store.game(game).await?.ok_or(SessionError::NotFound)?;
        let scenario =
            self.scenarios.get(&row.scenario).cloned().ok_or_else(|| {
                SessionError::Corrupt(format!("unknown scenario {}", row.scenario))
            })?;
        let stored = self.store.events_after(game, 0).await?;
        let mut events = Vec::with_capacity(stored.len());
        for (seq, body) in &stored {
            let e: Event = serde_json::from_str(body)
                .map_err(|e| SessionError::Corrupt(format!("event {seq}: {e}")))?;
            events.push(e);
        }
        let engine =
            Game::replay(scenario, &events).map_err(|e| SessionError::Corrupt(e.to_string()))?;
        let last_seq = stored.last().map(|(s, _)| *s).unwrap_or(0);
        // The tail of the log, so that a client reconnecting after a restart or an idle
        // unload receives just the events it missed, as it would from a task that never
        // stopped.
        let keep = events.len().saturating_sub(session::RECENT_EVENTS);
        let recent = stored
            .iter()
            .map(|(seq, _)| *seq)
            .zip(events)
            .skip(keep)
            .collect();
        let mut games = self.lock();
        // Another caller may have revived it meanwhile: keep theirs.
        if let Some(h) = games.get(&game) {
            if !h.tx.is_closed() {
                return Ok(h.clone());
            }
        }
        let handle = session::spawn(self, game, engine, last_seq, recent);
        games.insert(game, handle.clone());
        Ok(handle)
    }

    /// Forgets a task that has stopped (idle games leave memory).
    fn remove(&self, game: Uuid, tx: &mpsc::Sender<Msg>) {
        let mut games = self.lock();
        if games.get(&game).is_some_and(|h| h.tx.same_channel(tx)) {
            games.remove(&game);
        }
    }

    /// Starts the tasks of games with a pending deadline, so their clocks run after a restart
    /// even if nobody connects. (Bot seats play when their game's task starts.)
    pub async fn revive_live_games(self: &Arc<Self>) -> Result<usize, SessionError> {
        let mut n = 0;
        for row in self.store.live_games().await? {
            if row.deadline_at.is_some() {
                // One game that cannot be rebuilt must not keep the others' clocks stopped.
                match self.get(row.id).await {
                    Ok(_) => n += 1,
                    Err(e) => tracing::error!(game = %row.id, error = %e, "cannot revive game"),
                }
            }
        }
        Ok(n)
    }

    /// How many games are in memory.
    pub fn live(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, GameHandle>> {
        self.games.lock().unwrap_or_else(|e| e.into_inner())
    }
}
