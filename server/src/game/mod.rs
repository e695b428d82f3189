//! Live games. Each game in memory has exactly one owner task (`session`), which holds the
//! engine state, takes commands from a channel, persists their events (ack after the commit),
//! then fans the events out to its subscribers, each filtered for its seat by the engine's view
//! function. Deadlines and bot seats are driven by the same task. The registry finds or
//! revives a game's task; a game not in memory is rebuilt by replaying its log.

pub mod seating;
mod session;

pub use session::{Outbound, SeatAuth, Subscription};

use crate::engine::scenario::Scenario;
use crate::engine::Game;
use crate::protocol::ServerFrame;
use crate::store::{Committer, Store, StoreError};
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
    /// Another server node's lease on the game is running (decision record 0012): requests
    /// for it are forwarded to that node.
    #[error("another server node runs this game just now; try again in a moment")]
    Elsewhere(Uuid),
}

/// The hash a command is recorded with beside its client id: a retry of the id with another
/// command is told apart by it (`duplicate_id`).
pub fn request_hash(command: &crate::engine::Command) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(serde_json::to_vec(command).unwrap_or_default()).to_vec()
}

/// This server node, as the games it owns know it (decision record 0012).
#[derive(Clone, Debug)]
pub struct Node {
    /// Unique among the nodes sharing a database; stable across restarts, so that a restarted
    /// node takes its games back at once.
    pub id: String,
    /// How long a claim on a game holds without renewal; renewed every third of it.
    pub lease: std::time::Duration,
}

impl Node {
    /// The lease in milliseconds, as the store takes it.
    pub fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Handle to a live game's task.
#[derive(Clone, Debug)]
pub struct GameHandle {
    tx: mpsc::Sender<Msg>,
    changes: tokio::sync::watch::Receiver<u64>,
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
                at: tokio::time::Instant::now(),
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

    /// Tells the game its seats changed (a game that starts when seated may start now).
    pub async fn seated(&self) -> Result<(), SessionError> {
        self.tx
            .send(Msg::Seated)
            .await
            .map_err(|_| SessionError::Gone)
    }

    /// Tells the game a connection of a faction seat closed (its team may be ready without
    /// it). The caller does not wait: the notice is queued by a task of its own, so a busy
    /// game's full queue delays it but never loses it.
    pub fn left(&self, faction: crate::engine::FactionId) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Msg::Left { faction }).await;
        });
    }

    /// Moves when the table's status may have changed (an event, a connection, a seat);
    /// closed when the task stops.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.clone()
    }

    /// The table's public status with who sits and who is connected, and the sequence.
    pub async fn status(&self) -> Result<(i64, crate::engine::view::TableStatus), SessionError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Status { reply })
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
    /// The node's group commit: every game task's appends go through it.
    committer: Committer,
    pub metrics: Arc<crate::metrics::Metrics>,
    scenarios: Arc<Scenarios>,
    games: Mutex<HashMap<Uuid, GameHandle>>,
    /// One loader per game: callers that find a game being loaded wait for it instead of
    /// reading and replaying its log again (a reconnect storm on an unloaded game).
    loading: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    /// Fires when the server stops: game tasks end (no clock fires after shutdown).
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// How long an unwatched game without a pending deadline stays in memory.
    idle: std::time::Duration,
    pub limits: crate::limits::Limits,
    pub clock: crate::limits::WallClock,
    /// This node: the owner of the games it runs.
    pub node: Node,
}

impl<S: Store> Registry<S> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: S,
        scenarios: Arc<Scenarios>,
        shutdown: tokio::sync::watch::Receiver<bool>,
        idle: std::time::Duration,
        limits: crate::limits::Limits,
        clock: crate::limits::WallClock,
        node: Node,
    ) -> Arc<Self> {
        let metrics: Arc<crate::metrics::Metrics> = Arc::default();
        let committer = Committer::start(store.clone(), metrics.clone(), limits.commit_fill);
        Arc::new(Registry {
            shutdown,
            idle,
            limits,
            clock,
            committer,
            store,
            metrics,
            scenarios,
            games: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            node,
        })
    }

    /// Renews this node's leases every third of a lease until the server stops; a game whose
    /// lease another node took meanwhile stops here (its next append would be fenced anyway).
    /// Then takes the live games with a deadline whose lease ran out (a node died or stopped),
    /// so that their clocks go on without waiting for a player.
    pub fn keep_leases(self: &Arc<Self>) {
        // Two loops, so that a long sweep (a large takeover) never delays the renewals.
        let every = self.node.lease / 3;
        self.every(every, |r| async move { r.renew().await });
        self.every(every, |r| async move { r.sweep().await });
    }

    /// Runs `pass` every `period` until the server stops (or the registry is gone).
    fn every<F, Fut>(self: &Arc<Self>, period: std::time::Duration, pass: F)
    where
        F: Fn(Arc<Self>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let registry = Arc::downgrade(self);
        let mut stop = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(period) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                let Some(r) = registry.upgrade() else { return };
                pass(r).await;
            }
        });
    }

    /// Renews the leases of the games running here; those another node took stop.
    async fn renew(&self) {
        // The games running here now; one loaded after this is not renewed this time (its
        // claim is fresh), nor taken for lost.
        let running: Vec<(Uuid, GameHandle)> = self
            .lock()
            .iter()
            .filter(|(_, h)| !h.tx.is_closed())
            .map(|(id, h)| (*id, h.clone()))
            .collect();
        let ids: Vec<Uuid> = running.iter().map(|(id, _)| *id).collect();
        match self
            .store
            .renew_leases(&self.node.id, self.node.lease_ms(), &ids)
            .await
        {
            Ok(owned) => {
                let owned: std::collections::HashSet<Uuid> = owned.into_iter().collect();
                for (_, h) in running.iter().filter(|(id, _)| !owned.contains(id)) {
                    // A full queue: the task is busy, and its next commit is fenced.
                    let _ = h.tx.try_send(Msg::Lost);
                }
            }
            Err(e) => tracing::warn!(error = %e, "leases not renewed"),
        }
    }

    /// Takes the live games with a deadline whose lease ran out.
    async fn sweep(self: Arc<Self>) {
        let ids = match self.store.games_to_take().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "no sweep for games to take");
                return;
            }
        };
        for id in ids.into_iter().filter(|id| self.running(*id).is_none()) {
            // Another node may claim it first: then it is that node's.
            match self.get(id).await {
                Ok(_) => {
                    crate::metrics::Metrics::inc(&self.metrics.games_taken_over);
                    tracing::info!(game = %id, "game taken over");
                }
                Err(SessionError::Elsewhere(_)) => {}
                Err(e) => tracing::warn!(game = %id, error = %e, "cannot take over game"),
            }
        }
    }

    pub fn scenarios(&self) -> &Scenarios {
        &self.scenarios
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The task of `game`, started (by replaying its log) if it is not running.
    pub async fn get(self: &Arc<Self>, game: Uuid) -> Result<GameHandle, SessionError> {
        if let Some(h) = self.running(game) {
            return Ok(h);
        }
        // A task started now would stop at once: the server is stopping.
        if *self.shutdown.borrow() {
            return Err(SessionError::Gone);
        }
        let gate = {
            let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
            loading.entry(game).or_default().clone()
        };
        let loaded = {
            let _one_loader = gate.lock().await;
            // Loaded while this caller waited for the gate?
            match self.running(game) {
                Some(h) => Ok(h),
                None => self.load(game).await,
            }
        };
        let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the gate once nobody else holds it (this caller's clone and the map's).
        if Arc::strong_count(&gate) <= 2 {
            loading.remove(&game);
        }
        loaded
    }

    /// Reads and replays `game`'s log and starts its task. Called by one caller at a time per
    /// game (`get`).
    async fn load(self: &Arc<Self>, game: Uuid) -> Result<GameHandle, SessionError> {
        let scenario = self.scenario_of(game).await?;
        // Own the game before reading its log: an append of its previous owner after this
        // claim is fenced, so the log read here is all there is. Refused while another node's
        // lease runs, or, for a table of a class, while another node runs another of its
        // tables (a class's console and late joins need all its tables in one place): the
        // request goes to that node.
        let epoch = self
            .store
            .claim_game(game, &self.node.id, self.node.lease_ms())
            .await?
            .ok_or(SessionError::Elsewhere(game))?;
        let (stored, events, engine) = self.replay_log(game, scenario).await?;
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
        let handle = session::spawn(self, game, engine, last_seq, recent, epoch);
        games.insert(game, handle.clone());
        Ok(handle)
    }

    /// The scenario `game` is played in.
    async fn scenario_of(&self, game: Uuid) -> Result<Arc<Scenario>, SessionError> {
        let row = self.store.game(game).await?.ok_or(SessionError::NotFound)?;
        self.scenarios
            .get(&row.scenario)
            .cloned()
            .ok_or_else(|| SessionError::Corrupt(format!("unknown scenario {}", row.scenario)))
    }

    /// `game`'s whole log: as stored, decoded, and replayed into the engine.
    async fn replay_log(
        &self,
        game: Uuid,
        scenario: Arc<Scenario>,
    ) -> Result<(Vec<(i64, String)>, Vec<crate::engine::Event>, Game), SessionError> {
        let stored = self.store.events_after(game, 0).await?;
        let events = crate::store::decode_events(&stored)?;
        let engine =
            Game::replay(scenario, &events).map_err(|e| SessionError::Corrupt(e.to_string()))?;
        Ok((stored, events, engine))
    }

    /// `game` as `seat` sees it, with its sequence: from its task, or, when another node runs
    /// it, read from its log without claiming it (a comparison of a branch with its parent,
    /// which may live on different nodes).
    pub async fn view_anywhere(
        self: &Arc<Self>,
        game: Uuid,
        seat: crate::engine::Seat,
    ) -> Result<(i64, crate::engine::view::SeatView), SessionError> {
        match self.get(game).await {
            Ok(handle) => handle.view(seat).await,
            Err(SessionError::Elsewhere(_)) => {
                let scenario = self.scenario_of(game).await?;
                let (stored, _, engine) = self.replay_log(game, scenario).await?;
                let seq = stored.last().map(|(s, _)| *s).unwrap_or(0);
                Ok((seq, engine.view(&seat)))
            }
            Err(e) => Err(e),
        }
    }

    /// The task of `game` if it is running (never revives one).
    pub fn running(&self, game: Uuid) -> Option<GameHandle> {
        self.lock()
            .get(&game)
            .filter(|h| !h.tx.is_closed())
            .cloned()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{GameConfig, Phase, Temperament};
    use crate::limits::WallClock;
    use crate::store::contract::Flaky;
    use crate::store::{GameRow, GameStatus, SeatRow};
    use std::sync::atomic::Ordering;

    /// A message in the plenary.
    fn plenary(text: &str) -> crate::engine::Command {
        crate::engine::Command::Chat {
            channel: crate::engine::Channel::Plenary,
            text: text.into(),
        }
    }

    /// Whether `answer` is `unavailable`, to be sent again.
    fn unavailable(answer: &ServerFrame) -> bool {
        matches!(answer, ServerFrame::Error { code, retryable: true, .. } if code == "unavailable")
    }

    /// The default limits with a short database bound, so that a frozen store answers quickly.
    fn test_limits() -> crate::limits::Limits {
        crate::limits::Limits {
            database_within: std::time::Duration::from_millis(300),
            ..Default::default()
        }
    }

    /// A stored game (Russia people, the others dove bots) and a registry over `store`.
    /// The watch sender comes back too: dropped, it would stop the game tasks.
    async fn stored_game() -> (
        Flaky,
        Uuid,
        Arc<Registry<Flaky>>,
        tokio::sync::watch::Sender<bool>,
        std::path::PathBuf,
    ) {
        let (inner, dir) = crate::store::contract::sqlite().await;
        let store = Flaky::new(inner);
        let id = store_game(&store).await;
        let (registry, stop) = node(&store, "test", 5000);
        (store, id, registry, stop, dir)
    }

    /// Stores the game of [`stored_game`] in `store`; its id.
    async fn store_game(store: &Flaky) -> Uuid {
        let scenario = crate::scenarios::built_in("missile-defence-2013").expect("scenario");
        let config = GameConfig {
            seed: 7,
            preset: None,
            deadlines: None,
            bots: [("csto", Temperament::Dove), ("us_nato", Temperament::Dove)]
                .into_iter()
                .map(|(f, t)| (crate::engine::FactionId::new(f), t))
                .collect(),
            agents: Default::default(),
            team_sizes: Default::default(),
            start: crate::engine::StartMode::Now,
            title: None,
            team_ready: Default::default(),
            language: None,
        };
        let (game, events) =
            crate::engine::Game::create(scenario.clone(), config, WallClock::system().now_ms())
                .expect("create");
        let bodies = crate::store::encode_events(&events).expect("events encode");
        let id = Uuid::new_v4();
        let row = GameRow {
            id,
            join_code: "BOTSAA".into(),
            scenario: scenario.id.clone(),
            control_token_hash: vec![1; 32],
            created_at: 0,
            last_seq: 0,
            deadline_at: game.deadline_at,
            ended: false,
        };
        let status = GameStatus {
            deadline_at: game.deadline_at,
            ended: false,
        };
        store
            .create_game(&row, &[], &bodies, status)
            .await
            .expect("create game");
        id
    }

    /// A node `name` (a registry) on `store`, with a lease of `lease_ms`; the watch sender
    /// comes back too: dropped, it would stop the game tasks.
    fn node(
        store: &Flaky,
        name: &str,
        lease_ms: u64,
    ) -> (Arc<Registry<Flaky>>, tokio::sync::watch::Sender<bool>) {
        let scenario = crate::scenarios::built_in("missile-defence-2013").expect("scenario");
        let mut scenarios = Scenarios::new();
        scenarios.insert(scenario.id.clone(), scenario);
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let registry = Registry::new(
            store.clone(),
            Arc::new(scenarios),
            stop_rx,
            std::time::Duration::from_secs(300),
            test_limits(),
            WallClock::system(),
            Node {
                id: name.into(),
                lease: std::time::Duration::from_millis(lease_ms),
            },
        );
        (registry, stop)
    }

    /// Ms Novak, Control of game `id` (token hash `[hash; 32]`).
    async fn control_seat(store: &Flaky, id: Uuid, hash: u8) -> SeatAuth {
        let seat = SeatRow {
            id: Uuid::new_v4(),
            game_id: id,
            role: crate::store::SeatRole::Control,
            faction: None,
            name: "Ms Novak".into(),
            token_hash: vec![hash; 32],
            created_at: 1,
        };
        store.add_seat(&seat, None).await.expect("seat");
        SeatAuth {
            seat_id: seat.id,
            seat: crate::engine::Seat::Control,
            name: "Ms Novak".into(),
        }
    }

    /// Whether `done` holds within `tries` looks 25 ms apart.
    async fn within_tries(tries: u32, done: impl Fn() -> bool) -> bool {
        for _ in 0..tries {
            if done() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        done()
    }

    /// Anna, seated in Russia in game `id` (token hash `[hash; 32]`).
    async fn russia_seat(store: &Flaky, id: Uuid, hash: u8) -> SeatAuth {
        let seat = SeatRow {
            id: Uuid::new_v4(),
            game_id: id,
            role: crate::store::SeatRole::Faction,
            faction: Some("russia".into()),
            name: "Anna".into(),
            token_hash: vec![hash; 32],
            created_at: 1,
        };
        store.add_seat(&seat, None).await.expect("seat");
        SeatAuth {
            seat_id: seat.id,
            seat: crate::engine::Seat::Faction(crate::engine::FactionId::new("russia")),
            name: "Anna".into(),
        }
    }

    /// A frozen database: a command gets `unavailable` within the bound instead of waiting;
    /// its commit lands once the database thaws, and the same command sent again gets the
    /// ack it earned (not a second message).
    #[tokio::test]
    async fn a_frozen_database_answers_unavailable_in_time_and_nothing_doubles() {
        let (store, id, registry, _stop, dir) = stored_game().await;
        let auth = russia_seat(&store, id, 3).await;
        let handle = registry.get(id).await.expect("game");
        let chat = plenary("during the freeze");
        let send = |h: GameHandle| {
            let (auth, chat) = (auth.clone(), chat.clone());
            async move {
                h.command(auth, "c-1".into(), chat, vec![1; 32])
                    .await
                    .expect("answer")
            }
        };
        store.frozen.store(true, Ordering::SeqCst);
        let started = std::time::Instant::now();
        let answer = send(handle.clone()).await;
        let waited = started.elapsed();
        assert!(unavailable(&answer), "{answer:?}");
        assert!(
            waited >= test_limits().database_within
                && waited < test_limits().database_within + std::time::Duration::from_millis(700),
            "{waited:?}"
        );
        store.frozen.store(false, Ordering::SeqCst);
        // The client sends the same command again with a back-off, as the protocol says.
        let mut again = answer;
        for _ in 0..10 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            again = send(registry.get(id).await.expect("game")).await;
            if !matches!(
                &again,
                ServerFrame::Error {
                    retryable: true,
                    ..
                }
            ) {
                break;
            }
        }
        assert!(matches!(again, ServerFrame::Ack { .. }), "{again:?}");
        let said = registry
            .get(id)
            .await
            .expect("game")
            .with_game(|g, _| {
                g.messages
                    .iter()
                    .filter(|m| m.text == "during the freeze")
                    .count()
            })
            .await
            .expect("game");
        assert_eq!(said, 1, "the message once");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Another writer moved the log on under the game's task (as a commit it gave up waiting
    /// for does when it lands late): the next command's commit conflicts. Its answer says to
    /// send it again (retryable, nothing written), and sent again it is committed once by the
    /// task rebuilt from the log.
    #[tokio::test]
    async fn a_commit_that_conflicts_is_answered_try_again_and_then_committed_once() {
        let (store, id, registry, _stop, dir) = stored_game().await;
        let auth = russia_seat(&store, id, 4).await;
        let handle = registry.get(id).await.expect("game");
        // The other writer: an annotation appended straight to the log.
        // Where the task is (its bots have played their first moves by now).
        let last = handle.with_game(|_, seq| seq).await.expect("game");
        let note = crate::engine::Event::Annotated {
            text: "from elsewhere".into(),
            round: 0,
        };
        let bodies = crate::store::encode_events(&[note]).expect("encode");
        let status = GameStatus {
            deadline_at: None,
            ended: false,
        };
        // Its commit lands with the epoch the node holds (the game's first claim: 1).
        let late = crate::store::Append {
            game: id,
            epoch: 1,
            last_seq: last,
            events: bodies,
            command: None,
            status,
        };
        let mut landed = store.append_many(std::slice::from_ref(&late)).await;
        landed
            .pop()
            .expect("an answer")
            .expect("the other writer appends");
        let chat = plenary("after the other writer");
        let answer = handle
            .command(auth.clone(), "c-9".into(), chat.clone(), vec![9; 32])
            .await
            .expect("answer");
        assert!(unavailable(&answer), "{answer:?}");
        // The stale task stops after answering; until the registry drops it, a send may find
        // it gone (the WebSocket layer answers that `unavailable` too).
        let mut again = Err(SessionError::Gone);
        for _ in 0..40 {
            let h = registry.get(id).await.expect("game");
            again = h
                .command(auth.clone(), "c-9".into(), chat.clone(), vec![9; 32])
                .await;
            if !matches!(again, Err(SessionError::Gone)) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let again = again.expect("answer");
        assert!(matches!(again, ServerFrame::Ack { .. }), "{again:?}");
        let (said, noted) = registry
            .get(id)
            .await
            .expect("game")
            .with_game(|g, _| {
                let said = g
                    .messages
                    .iter()
                    .filter(|m| m.text == "after the other writer")
                    .count();
                (said, g.annotations.len())
            })
            .await
            .expect("game");
        assert_eq!(
            (said, noted),
            (1, 1),
            "the message once, the other writer's note kept"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// N callers asking at once for a game that is not in memory load it once.
    #[tokio::test]
    async fn a_game_is_loaded_once_however_many_ask_at_once() {
        let (store, id, registry, _stop, dir) = stored_game().await;
        let asks: Vec<_> = (0..50)
            .map(|_| {
                let r = registry.clone();
                tokio::spawn(async move { r.get(id).await.expect("game") })
            })
            .collect();
        let mut handles = Vec::new();
        for a in asks {
            handles.push(a.await.expect("task"));
        }
        assert_eq!(store.loads.load(Ordering::SeqCst), 1, "log reads");
        assert!(handles.iter().all(|h| h.tx.same_channel(&handles[0].tx)));
        assert!(
            registry.loading.lock().expect("lock").is_empty(),
            "gates forgotten"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Bots whose commit failed try again by themselves, without waiting for a player's
    /// command to wake the game.
    #[tokio::test]
    async fn bots_retry_a_failed_commit_by_themselves() {
        let (store, id, registry, _stop, dir) = stored_game().await;
        // The bots' first moves (Ready in the briefing) fail to commit twice.
        store.failing.store(2, Ordering::SeqCst);
        let handle = registry.get(id).await.expect("game task");
        let started = std::time::Instant::now();
        loop {
            let ready = handle
                .with_game(|g, _| (g.phase, g.ready.len()))
                .await
                .expect("game");
            if ready.1 == 2 {
                assert_eq!(ready.0, Phase::Briefing, "Russia is people: not ready");
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "bots never retried: {ready:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            store.failing.load(Ordering::SeqCst),
            0,
            "both failures happened"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Two nodes, one game (decision record 0012). While A's lease runs, B cannot open the
    /// game. A stops renewing (paused, say): once the lease has run out B takes the game, and
    /// A, unaware, is fenced at its next commit (answered unavailable, nothing written) and
    /// stops; the command sent again reaches B and is committed once. A node that stops
    /// releases its games: the other takes them at once.
    #[tokio::test]
    async fn a_node_whose_lease_ran_out_is_fenced_and_another_takes_the_game() {
        let (inner, dir) = crate::store::contract::sqlite().await;
        let store = Flaky::new(inner);
        let id = store_game(&store).await;
        let auth = russia_seat(&store, id, 6).await;
        let lease = 300;
        let (a, stop_a) = node(&store, "node-a", lease);
        let (b, stop_b) = node(&store, "node-b", lease);
        let on_a = a.get(id).await.expect("A opens the game");
        assert!(matches!(b.get(id).await, Err(SessionError::Elsewhere(_))));
        // A renews nothing (no keep_leases): past its lease, B claims the game.
        tokio::time::sleep(std::time::Duration::from_millis(lease + 200)).await;
        let on_b = b.get(id).await.expect("B takes the game");
        let chat = plenary("once");
        let answer = on_a
            .command(auth.clone(), "c-1".into(), chat.clone(), vec![1; 32])
            .await
            .expect("answer");
        assert!(unavailable(&answer), "{answer:?}");
        assert!(
            a.metrics
                .fencing_refusals
                .load(std::sync::atomic::Ordering::Relaxed)
                >= 1
        );
        let answer = on_b
            .command(auth.clone(), "c-1".into(), chat, vec![1; 32])
            .await
            .expect("answer");
        assert!(matches!(answer, ServerFrame::Ack { .. }), "{answer:?}");
        let said = on_b
            .with_game(|g, _| g.messages.iter().filter(|m| m.text == "once").count())
            .await
            .expect("game");
        assert_eq!(said, 1);
        // A's task stopped; A cannot open the game while B's lease runs (B renews it now).
        b.keep_leases();
        assert!(
            within_tries(40, || on_a.is_closed()).await,
            "the fenced task stops"
        );
        tokio::time::sleep(std::time::Duration::from_millis(lease + 200)).await;
        assert!(matches!(a.get(id).await, Err(SessionError::Elsewhere(_))));
        // B stops: its tasks release their games, and A takes this one at once.
        let _ = stop_b.send(true);
        for _ in 0..40 {
            if a.get(id).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let back = a
            .get(id)
            .await
            .expect("A takes the game back after B's release");
        let said = back
            .with_game(|g, _| g.messages.iter().filter(|m| m.text == "once").count())
            .await
            .expect("game");
        assert_eq!(said, 1, "rebuilt from the log, the message once");
        drop(stop_a);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A task whose game another node took (its renewal no longer returns the game) stops
    /// without waiting for a commit to be fenced.
    #[tokio::test]
    async fn a_node_stops_a_game_its_renewal_no_longer_returns() {
        let (inner, dir) = crate::store::contract::sqlite().await;
        let store = Flaky::new(inner);
        let id = store_game(&store).await;
        let (a, _stop_a) = node(&store, "node-a", 300);
        a.keep_leases();
        let on_a = a.get(id).await.expect("A opens the game");
        // The bots' first moves are committed (or A would learn of the loss by a fenced one).
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        // Another node takes the game (as after A's lease ran out unseen).
        assert!(store.release_game(id, "node-a", 1).await.expect("release"));
        assert_eq!(
            store.claim_game(id, "node-b", 60_000).await.expect("claim"),
            Some(2)
        );
        assert!(
            within_tries(40, || on_a.is_closed()).await,
            "the task stops at A's next renewal"
        );
        assert_eq!(
            a.metrics
                .games_lost
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A node dies with a game whose clock runs: another node's sweep takes the game once the
    /// lease has run out, without waiting for a player, and its clock goes on there.
    #[tokio::test]
    async fn a_dead_nodes_game_with_a_deadline_is_taken_over_by_the_sweep() {
        let (inner, dir) = crate::store::contract::sqlite().await;
        let store = Flaky::new(inner);
        let id = store_game(&store).await;
        let auth = control_seat(&store, id, 7).await;
        let lease = 300;
        let (a, _stop_a) = node(&store, "node-a", lease);
        let on_a = a.get(id).await.expect("A opens the game");
        // A clock: the briefing ends in a minute.
        let extend = crate::engine::Command::ExtendDeadline { seconds: 60 };
        let answer = on_a
            .command(auth, "x-1".into(), extend, vec![7; 32])
            .await
            .expect("answer");
        assert!(matches!(answer, ServerFrame::Ack { .. }), "{answer:?}");
        // A dies (it renews nothing from now on); B sweeps.
        let (b, _stop_b) = node(&store, "node-b", lease);
        b.keep_leases();
        assert!(
            within_tries(120, || b.running(id).is_some()).await,
            "B took the game within 3 s (lease {lease} ms)"
        );
        assert_eq!(
            b.metrics
                .games_taken_over
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        let deadline = b
            .running(id)
            .expect("on B")
            .with_game(|g, _| g.deadline_at)
            .await
            .expect("game");
        assert!(deadline.is_some(), "the clock goes on at B");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// One node: a game whose clock runs and whose task stopped on a conflict (its own late
    /// commit, say) releases its claim, and the node's sweep takes it back, with nobody
    /// connecting: the clock does not wait for a player.
    #[tokio::test]
    async fn a_clocked_game_whose_task_stopped_is_taken_back_by_the_sweep() {
        let (inner, dir) = crate::store::contract::sqlite().await;
        let store = Flaky::new(inner);
        let id = store_game(&store).await;
        let auth = control_seat(&store, id, 8).await;
        let (a, _stop_a) = node(&store, "node-a", 300);
        a.keep_leases();
        let first = a.get(id).await.expect("A opens the game");
        let extend = crate::engine::Command::ExtendDeadline { seconds: 60 };
        let answer = first
            .command(auth.clone(), "x-1".into(), extend, vec![8; 32])
            .await
            .expect("answer");
        assert!(matches!(answer, ServerFrame::Ack { .. }), "{answer:?}");
        // A late commit of the same claim moves the log on under the task.
        let last = first.with_game(|_, seq| seq).await.expect("game");
        let note = crate::engine::Event::Annotated {
            text: "late".into(),
            round: 0,
        };
        let late = crate::store::Append {
            game: id,
            epoch: 1,
            last_seq: last,
            events: crate::store::encode_events(&[note]).expect("encode"),
            command: None,
            status: GameStatus {
                deadline_at: Some(WallClock::system().now_ms() + 60_000),
                ended: false,
            },
        };
        let mut landed = store.append_many(std::slice::from_ref(&late)).await;
        landed.pop().expect("an answer").expect("lands");
        let pause = crate::engine::Command::Annotate { text: "x".into() };
        let answer = first
            .command(auth, "x-2".into(), pause, vec![9; 32])
            .await
            .expect("answer");
        assert!(
            matches!(&answer, ServerFrame::Error { code, .. } if code == "unavailable"),
            "{answer:?}"
        );
        // Nobody asks for the game again: the sweep takes it back.
        let taken_back = within_tries(120, || first.is_closed() && a.running(id).is_some()).await;
        assert!(taken_back, "the sweep took the game back within 3 s");
        let back = a.running(id).expect("running");
        let (deadline, notes) = back
            .with_game(|g, _| (g.deadline_at, g.annotations.len()))
            .await
            .expect("game");
        assert!(deadline.is_some(), "its clock runs again");
        assert_eq!(notes, 1, "rebuilt from the log, the late note in it");
        let _ = std::fs::remove_dir_all(dir);
    }
}
