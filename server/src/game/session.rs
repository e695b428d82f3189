//! The owner task of one live game. Everything that changes the game goes through here, one
//! message at a time: plan the events with the engine, commit them (with the command's record)
//! in one transaction, then apply them to the in-memory state, answer, and fan out.

use super::{GameHandle, Registry, SessionError};
use crate::engine::bots::BotPass;
use crate::engine::view::{SeatView, TableStatus};
use crate::engine::{Command, Ctx, Event, FactionId, Game, Phase, Seat, StartMode, TeamMember};
use crate::metrics::Metrics;
use crate::protocol::{ErrorCode, SeatInfo, ServerFrame, Teammate};
use crate::store::{Append, CommandRow, Committer, GameStatus, SeatRow, Store, StoreError};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use uuid::Uuid;

/// Frames queued per subscriber before it counts as too slow; it is then dropped and resyncs.
pub const SUBSCRIBER_QUEUE: usize = 256;
/// A reconnect missing more events than this gets a snapshot instead.
const MAX_REPLAY: usize = 512;
/// Recent events kept in memory so reconnects need not read the database: as many as a
/// reconnect may be sent, no more.
pub(super) const RECENT_EVENTS: usize = MAX_REPLAY;

/// The authenticated identity of a connection.
#[derive(Clone, Debug, PartialEq)]
pub struct SeatAuth {
    pub seat_id: Uuid,
    pub seat: Seat,
    pub name: String,
}

impl SeatAuth {
    pub fn info(&self) -> SeatInfo {
        SeatInfo {
            seat_id: self.seat_id,
            seat: self.seat.clone(),
            name: self.name.clone(),
        }
    }
}

/// What a subscriber gets: frames that bring it up to date, then live frames. When `live`
/// closes while the game goes on, the subscriber fell behind: subscribe again with the last
/// sequence seen.
#[derive(Debug)]
pub struct Subscription {
    pub initial: Vec<ServerFrame>,
    pub live: mpsc::Receiver<Outbound>,
}

/// A live frame, serialized once for every subscriber that sees it the same way.
#[derive(Clone, Debug)]
pub struct Outbound {
    /// The event's sequence.
    pub seq: i64,
    /// The `event` frame's JSON text.
    pub text: Arc<str>,
}

/// A read-only look at the game inside its task (reports, exports), with the sequence.
pub(super) type Inspector = Box<dyn FnOnce(&Game, i64) + Send>;

pub(super) enum Msg {
    Command {
        auth: SeatAuth,
        id: String,
        command: Command,
        request_hash: Vec<u8>,
        reply: oneshot::Sender<ServerFrame>,
        /// When the connection handed it to the game (its wait in the queue is measured).
        at: Instant,
    },
    Subscribe {
        auth: SeatAuth,
        last_seq: Option<i64>,
        reply: oneshot::Sender<Result<Subscription, SessionError>>,
    },
    View {
        seat: Seat,
        reply: oneshot::Sender<(i64, SeatView)>,
    },
    Inspect(Inspector),
    /// Someone took, left or changed a seat: a game that starts when seated may start, and
    /// teams change.
    Seated,
    /// A connection of a faction seat closed: its team may now be ready without it.
    Left {
        faction: FactionId,
    },
    /// The table's public state with who is seated and connected (a class's console).
    Status {
        reply: oneshot::Sender<(i64, TableStatus)>,
    },
    /// Another node took the game (its lease was not renewed in time): stop.
    Lost,
}

/// An event's `event` frame text per subscribed seat (`None`: hidden from that seat).
type Forms = Vec<(Seat, Option<Arc<str>>)>;

struct Subscriber {
    seat: Seat,
    seat_id: Uuid,
    tx: mpsc::Sender<Outbound>,
}

struct Session<S: Store> {
    store: S,
    committer: Committer,
    metrics: Arc<Metrics>,
    game_id: Uuid,
    /// The ownership epoch this task holds (decision record 0012): its appends name it.
    epoch: i64,
    game: Game,
    last_seq: i64,
    recent: VecDeque<(i64, Event)>,
    /// Applied events not yet sent, with the text each subscribed seat gets (`None`: hidden
    /// from that seat).
    unsent: Vec<(i64, Forms)>,
    subscribers: Vec<Subscriber>,
    /// The people in faction seats, in the order they joined; read again, when next needed,
    /// after the seats changed (`members_stale`), so a burst of joins costs no reads.
    members: Vec<SeatRow>,
    members_stale: bool,
    /// The team frame last sent per faction, so that an unchanged team is not sent again.
    teams_sent: HashMap<FactionId, Vec<Teammate>>,
    /// Recent answers by (seat, client id), with the request's hash: retries are answered
    /// without a database look-up. Older ids are caught by the table's unique key.
    answered: HashMap<(Uuid, String), (Vec<u8>, ServerFrame)>,
    answered_order: VecDeque<(Uuid, String)>,
    /// Set when another writer appended to this game's log: the task must stop.
    stale: bool,
    /// Set when a commit failed without a clear answer (it may have landed): read the log
    /// before acting again.
    unsure: bool,
    /// Until when the database counts as away (it did not answer in time): see [`within`].
    db_away: DatabaseBound,
    /// When the clock may try again after a failed commit, and the next wait.
    retry_at: Option<Instant>,
    /// Set when bots could not commit their moves (the database was away): they try again
    /// then, without waiting for a player's command.
    bots_retry_at: Option<Instant>,
    bots_backoff: Duration,
    backoff: Duration,
    limits: crate::limits::Limits,
    clock: crate::limits::WallClock,
    /// Counts changes a class console shows (events, who is connected, who sits): watchers
    /// of [`GameHandle::changes`] look at the table's status again when it moves.
    changes: watch::Sender<u64>,
    /// What `changes` last counted: the last sequence and the subscribers (a seat taken
    /// counts at once, in `Msg::Seated`).
    changes_seen: (i64, usize),
}

/// How long the game's task waits for the database before it answers `unavailable` (and, for
/// a commit, becomes unsure whether it landed): a frozen database must not hold a command
/// without an answer, nor the game's task. `Limits::database_within`.
struct DatabaseBound {
    within: Duration,
    /// Until when calls are answered `Unavailable` at once, after one that timed out.
    away: Option<Instant>,
}

/// `f`, or `Unavailable` after the bound. After a call that timed out, the calls of the next
/// bound's length are answered `Unavailable` at once: commands queued behind one that waited
/// do not each wait their turn.
async fn within<T>(
    bound: &mut DatabaseBound,
    f: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let (away, within) = (&mut bound.away, bound.within);
    if away.is_some_and(|until| Instant::now() < until) {
        return Err(StoreError::Unavailable(
            "the database did not answer a moment ago; try again shortly".into(),
        ));
    }
    match tokio::time::timeout(within, f).await {
        Ok(r) => {
            *away = None;
            r
        }
        Err(_) => {
            *away = Some(Instant::now() + within);
            Err(StoreError::Unavailable(format!(
                "the database did not answer within {:.1} s",
                within.as_secs_f64()
            )))
        }
    }
}

/// Answers remembered per game. A retry comes from a client that lost its connection with
/// commands in flight (at most 32 per connection), so the latest answers are the ones asked
/// for; an older id is answered from the command table. Each kept answer costs ~500 bytes: at
/// 4,096 a busy game held 2 MB of them.
const ANSWERS_KEPT: usize = 256;

fn duplicate_id(id: String) -> ServerFrame {
    ServerFrame::error(
        Some(id),
        ErrorCode::DuplicateId,
        "this command id was already used for a different command; use a new id",
        false,
    )
}

/// Starts the owner task of `game`, whose log ends at `last_seq`.
pub(super) fn spawn<S: Store>(
    registry: &Arc<Registry<S>>,
    game_id: Uuid,
    game: Game,
    last_seq: i64,
    recent: VecDeque<(i64, Event)>,
    epoch: i64,
) -> GameHandle {
    let (tx, rx) = mpsc::channel(256);
    let (changes, changes_rx) = watch::channel(0);
    let handle = GameHandle {
        tx: tx.clone(),
        changes: changes_rx,
    };
    let (shutdown, idle) = (registry.shutdown.clone(), registry.idle);
    let session = Session {
        store: registry.store.clone(),
        committer: registry.committer.clone(),
        metrics: registry.metrics.clone(),
        game_id,
        epoch,
        game,
        last_seq,
        recent,
        unsent: Vec::new(),
        subscribers: Vec::new(),
        members: Vec::new(),
        members_stale: true,
        teams_sent: HashMap::new(),
        answered: HashMap::new(),
        answered_order: VecDeque::new(),
        stale: false,
        unsure: false,
        db_away: DatabaseBound {
            within: registry.limits.database_within,
            away: None,
        },
        limits: registry.limits.clone(),
        clock: registry.clock,
        retry_at: None,
        bots_retry_at: None,
        bots_backoff: registry.limits.retry_min,
        backoff: registry.limits.retry_min,
        changes,
        changes_seen: (last_seq, 0),
    };
    let (store, node) = (registry.store.clone(), registry.node.id.clone());
    let registry: Weak<Registry<S>> = Arc::downgrade(registry);
    tokio::spawn(async move {
        session.run(rx, shutdown, idle).await;
        if let Some(r) = registry.upgrade() {
            r.remove(game_id, &tx);
        }
        // Another node may take the game at once (a node stopping hands its games over); a
        // node that lost it releases nothing.
        if let Err(e) = store.release_game(game_id, &node, epoch).await {
            tracing::debug!(game = %game_id, error = %e, "lease not released");
        }
    });
    handle
}

impl<S: Store> Session<S> {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Msg>,
        mut shutdown: watch::Receiver<bool>,
        idle_after: Duration,
    ) {
        // Bots may owe moves (e.g. after a restart); deadlines may have passed while down; the
        // last seat may have been taken just before a restart.
        self.start_if_seated().await;
        self.play_bots().await;
        // The timers and the shutdown signal are made once and re-armed only when their time
        // changes: made afresh on every pass, they cost a timer-wheel entry and a waiter
        // list entry per command (a few percent of the server's CPU at 5,000 commands/s).
        let clock = tokio::time::sleep(Duration::ZERO);
        let idle_check = tokio::time::sleep(idle_after);
        let stopping = async move {
            // Either way the task stops: the server is stopping, or it is gone.
            let _ = shutdown.wait_for(|stop| *stop).await.is_ok();
        };
        tokio::pin!(clock, idle_check, stopping);
        let mut clock_at: Option<Instant> = None;
        let mut last_message = Instant::now();
        loop {
            // Whatever the last pass committed (a tick, bots' moves, a catch-up) goes out.
            self.publish();
            self.count_changes();
            if self.stale {
                tracing::warn!(game = %self.game_id, "another writer moved the log on; this task stops and the game is rebuilt from the log");
                return;
            }
            let deadline = self
                .game
                .deadline_at
                .filter(|_| !self.game.paused && self.game.phase != Phase::Ended)
                .map(|d| self.clock.instant_at(d))
                // After a failed commit of the clock's tick, wait before trying again.
                .map(|d| self.retry_at.map_or(d, |r| d.max(r)));
            if let Some(d) = deadline {
                // The deadline is stored in wall-clock ms: re-arm only when it moves by more
                // than the rounding of converting it to this clock.
                if clock_at.is_none_or(|a| a.max(d) - a.min(d) > Duration::from_millis(1)) {
                    clock.as_mut().reset(d);
                    clock_at = Some(d);
                }
            } else {
                clock_at = None;
            }
            // Checked again every `idle_after` (subscribers leave without telling the task).
            let idle = deadline.is_none();
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(m) => {
                        last_message = Instant::now();
                        self.handle(m).await;
                    }
                    None => return,
                },
                () = &mut clock, if clock_at.is_some() => {
                    clock_at = None;
                    let caught_up = !self.unsure || self.catch_up().await.is_ok();
                    if caught_up && self.system(Command::Tick {}).await {
                        self.retry_at = None;
                        self.backoff = self.limits.retry_min;
                    } else {
                        self.retry_at = Some(Instant::now() + self.backoff);
                        self.backoff = (self.backoff * 2).min(self.limits.retry_max);
                    }
                }
                _ = sleep_until(self.bots_retry_at), if self.bots_retry_at.is_some() => {
                    let caught_up = !self.unsure || self.catch_up().await.is_ok();
                    if caught_up {
                        self.play_bots().await;
                    } else {
                        self.bots_failed(true);
                    }
                }
                () = &mut idle_check, if idle && self.bots_retry_at.is_none() => {
                    let quiet_since = last_message.max(idle_check.deadline() - idle_after);
                    if quiet_since.elapsed() < idle_after {
                        // Messages came since the check was armed: look again `idle_after`
                        // after the last one.
                        idle_check.as_mut().reset(last_message + idle_after);
                        continue;
                    }
                    self.subscribers.retain(|s| !s.tx.is_closed());
                    if self.subscribers.is_empty() {
                        tracing::debug!(game = %self.game_id, "idle game leaves memory");
                        return;
                    }
                    idle_check.as_mut().reset(Instant::now() + idle_after);
                }
                // The server is stopping: a message being handled has finished (commits are
                // awaited inside the branch above), so nothing is left half done.
                () = &mut stopping => return,
            }
        }
    }

    /// After an unclear commit failure, applies whatever the log holds beyond what this task
    /// knows (the commit may have landed), so it never acts on a stale state.
    async fn catch_up(&mut self) -> Result<(), StoreError> {
        let stored = within(
            &mut self.db_away,
            self.store.events_after(self.game_id, self.last_seq),
        )
        .await?;
        for (seq, body) in stored {
            let e = crate::store::decode_event(seq, &body)?;
            self.apply_committed(seq, e);
        }
        self.unsure = false;
        Ok(())
    }

    async fn handle(&mut self, msg: Msg) {
        if self.unsure {
            if let Err(e) = self.catch_up().await {
                if let Msg::Command { id, reply, .. } = msg {
                    let _ = reply.send(unavailable(Some(id), &e.to_string()));
                    return;
                }
            }
        }
        match msg {
            Msg::Command {
                auth,
                id,
                command,
                request_hash,
                reply,
                at,
            } => {
                self.metrics.command_queue_seconds.observe(at.elapsed());
                let frame = self.command(&auth, id, &command, request_hash).await;
                let committed = matches!(frame, ServerFrame::Ack { .. });
                let _ = reply.send(frame);
                self.publish();
                self.metrics.command_seconds.observe(at.elapsed());
                if committed {
                    // Control may have handed the last empty faction to a bot.
                    self.start_if_seated().await;
                    self.play_bots().await;
                }
            }
            Msg::Subscribe {
                auth,
                last_seq,
                reply,
            } => {
                if auth.seat.faction().is_some() {
                    self.fresh_members().await;
                }
                let _ = reply.send(Ok(self.subscribe(&auth, last_seq)));
                // A member who left while this task was away (a restart, an idle unload) is
                // not waited for: look at the team as it reconnects.
                if let Seat::Faction(f) = &auth.seat {
                    self.ready_without_the_absent(f).await;
                }
            }
            Msg::View { seat, reply } => {
                let _ = reply.send((self.last_seq, self.game.view(&seat)));
            }
            Msg::Inspect(f) => f(&self.game, self.last_seq),
            Msg::Seated => {
                self.members_stale = true;
                self.changes.send_modify(|n| *n += 1);
                self.start_if_seated().await;
                // Teams change for people already connected; nobody to tell otherwise.
                if self.subscribers.iter().any(|s| s.seat.faction().is_some()) {
                    self.fresh_members().await;
                    let factions: Vec<_> = self
                        .game
                        .scenario
                        .factions
                        .iter()
                        .map(|f| f.id.clone())
                        .collect();
                    for f in factions {
                        self.team_changed(&f).await;
                    }
                }
            }
            Msg::Left { faction } => {
                self.subscribers.retain(|s| !s.tx.is_closed());
                self.fresh_members().await;
                self.team_changed(&faction).await;
            }
            Msg::Status { reply } => {
                self.subscribers.retain(|s| !s.tx.is_closed());
                self.fresh_members().await;
                let status = self.game.table_status(|f| {
                    let players = self.seated(f).count() as u32;
                    (players, self.connected(f).len() as u32)
                });
                let _ = reply.send((self.last_seq, status));
            }
            Msg::Lost => {
                tracing::warn!(game = %self.game_id, epoch = self.epoch, "another node took the game; this task stops");
                Metrics::inc(&self.metrics.games_lost);
                self.stale = true;
            }
        }
    }

    /// Tells the watchers of [`GameHandle::changes`] when the status a class console shows
    /// may have moved: a new event, a connection more or less, a seat taken.
    fn count_changes(&mut self) {
        let now = (self.last_seq, self.subscribers.len());
        if now != self.changes_seen {
            self.changes_seen = now;
            self.changes.send_modify(|n| *n += 1);
        }
    }

    /// Reads who sits in the factions if the seats changed since the last read. When they
    /// cannot be read, the last list stands and the next need reads again.
    async fn fresh_members(&mut self) {
        if !self.members_stale {
            return;
        }
        if let Ok(seats) = within(&mut self.db_away, self.store.seats(self.game_id)).await {
            self.members = seats
                .into_iter()
                .filter(|s| s.role.plays_faction())
                .collect();
            self.members_stale = false;
        }
    }

    /// The seats of `f` with a connection to this game now.
    fn connected(&self, f: &FactionId) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = Vec::new();
        for s in &self.subscribers {
            if s.seat.faction() == Some(f) && !s.tx.is_closed() && !ids.contains(&s.seat_id) {
                ids.push(s.seat_id);
            }
        }
        ids
    }

    /// The people seated in `f`, in the order they joined.
    fn seated<'a>(&'a self, f: &'a FactionId) -> impl Iterator<Item = &'a SeatRow> + 'a {
        self.members
            .iter()
            .filter(move |m| m.faction.as_deref() == Some(f.as_str()))
    }

    /// `f`'s captain: the first of its seats, in the order they joined, among `connected`.
    fn captain(&self, f: &FactionId, connected: &[Uuid]) -> Option<Uuid> {
        self.seated(f)
            .find(|m| connected.contains(&m.id))
            .map(|m| m.id)
    }

    /// `f`'s team as its members see it: everyone seated, in the order they joined, who is
    /// connected and who is captain.
    fn team(&self, f: &FactionId) -> Vec<Teammate> {
        let connected = self.connected(f);
        let captain = self.captain(f, &connected);
        self.seated(f)
            .map(|m| Teammate {
                seat_id: m.id,
                name: m.name.clone(),
                connected: connected.contains(&m.id),
                captain: captain == Some(m.id),
            })
            .collect()
    }

    /// The member `id` of `f` for the engine's team rule, or `None` when the faction is one
    /// person (their Ready is the faction's, with no member marks).
    fn team_member(&self, f: &FactionId, id: Uuid) -> Option<TeamMember> {
        self.seated(f).nth(1)?;
        let mut connected = self.connected(f);
        if !connected.contains(&id) {
            connected.push(id);
        }
        let captain = self.captain(f, &connected) == Some(id);
        Some(TeamMember {
            id,
            connected,
            captain,
        })
    }

    /// After `f`'s team changed (a member left, joined or moved): the members still connected
    /// may all be ready now, which makes the team ready; and the members are told who is in
    /// the team.
    async fn team_changed(&mut self, f: &FactionId) {
        self.ready_without_the_absent(f).await;
        self.publish();
        self.send_team(f);
    }

    /// Makes `f` ready when the members it still waits for have gone: its Ready is planned as
    /// one of its ready members' (the captain's if ready), under the same team rule.
    async fn ready_without_the_absent(&mut self, f: &FactionId) {
        let g = &self.game;
        if matches!(g.phase, Phase::Lobby | Phase::Ended) || g.ready.contains(f) {
            return;
        }
        let Some(marks) = g.members_ready.get(f) else {
            return;
        };
        let team = self.team(f);
        let ready = |t: &&Teammate| t.connected && marks.contains_key(&t.seat_id);
        let Some(by) = team
            .iter()
            .filter(ready)
            .find(|t| t.captain)
            .or_else(|| team.iter().find(ready))
        else {
            return;
        };
        let ctx = Ctx {
            now_ms: self.clock.now_ms(),
            author: by.name.clone(),
            person: Some(by.seat_id),
            member: self.team_member(f, by.seat_id),
            subject: None,
        };
        let seat = Seat::Faction(f.clone());
        if let Ok(events) = self.game.plan(&seat, &Command::Ready {}, &ctx) {
            if !events.is_empty() && self.commit(events, None).await.is_ok() {
                tracing::info!(game = %self.game_id, faction = %f, "the members still connected are ready: the team is ready");
                self.play_bots().await;
            }
        }
    }

    /// Sends `f`'s team to its connections when it has more than one member and changed since
    /// last sent.
    fn send_team(&mut self, f: &FactionId) {
        let team = self.team(f);
        let sent = self.teams_sent.get(f);
        if sent == Some(&team) || (sent.is_none() && team.len() < 2) {
            return;
        }
        let frame = ServerFrame::Team {
            faction: f.clone(),
            members: team.clone(),
        };
        self.teams_sent.insert(f.clone(), team);
        let Ok(text) = serde_json::to_string(&frame) else {
            return;
        };
        let text: Arc<str> = Arc::from(text);
        let (seq, metrics) = (self.last_seq, &self.metrics);
        // Sent after every committed event went out, so its sequence is one already delivered.
        self.subscribers.retain(|s| {
            if s.seat.faction() != Some(f) {
                return !s.tx.is_closed();
            }
            let text = text.clone();
            deliver(s, Outbound { seq, text }, metrics)
        });
    }

    fn subscribe(&mut self, auth: &SeatAuth, last_seq: Option<i64>) -> Subscription {
        // Events applied before this subscriber came go to the others first: its catch-up
        // starts at the current sequence.
        self.publish();
        let (tx, live) = mpsc::channel(SUBSCRIBER_QUEUE);
        let mut initial = Vec::new();
        let missed = last_seq.and_then(|from| self.missed(from));
        match missed {
            Some(events) => {
                initial.push(ServerFrame::Welcome {
                    game_id: self.game_id,
                    you: auth.info(),
                    seq: self.last_seq,
                    view: None,
                });
                for (seq, e) in events {
                    if let Some(event) = self.game.event_for(&auth.seat, e) {
                        initial.push(ServerFrame::Event { seq: *seq, event });
                    }
                }
            }
            None => initial.push(ServerFrame::Welcome {
                game_id: self.game_id,
                you: auth.info(),
                seq: self.last_seq,
                view: Some(Box::new(self.game.view(&auth.seat))),
            }),
        }
        self.subscribers.retain(|s| !s.tx.is_closed());
        self.subscribers.push(Subscriber {
            seat: auth.seat.clone(),
            seat_id: auth.seat_id,
            tx,
        });
        if let Seat::Faction(f) = &auth.seat {
            let members = self.team(f);
            if members.len() > 1 {
                initial.push(ServerFrame::Team {
                    faction: f.clone(),
                    members,
                });
            }
            // The others see this member connected.
            self.send_team(f);
        }
        Subscription { initial, live }
    }

    /// The events after `from`, if they are all in memory and not too many.
    fn missed(&self, from: i64) -> Option<Vec<&(i64, Event)>> {
        if from > self.last_seq || from < 0 {
            return None;
        }
        let behind = (self.last_seq - from) as usize;
        if behind > MAX_REPLAY {
            return None;
        }
        if behind == 0 {
            return Some(Vec::new());
        }
        let first = self.recent.front().map(|(s, _)| *s)?;
        if first > from + 1 {
            return None;
        }
        Some(self.recent.iter().filter(|(s, _)| *s > from).collect())
    }

    async fn command(
        &mut self,
        auth: &SeatAuth,
        id: String,
        command: &Command,
        request_hash: Vec<u8>,
    ) -> ServerFrame {
        // Idempotency: the command table's key (game, seat, client id) is unique, so a retry
        // cannot commit twice; recent answers are kept here to spare the database a look-up.
        if let Some((hash, answer)) = self.answered.get(&(auth.seat_id, id.clone())) {
            Metrics::inc(&self.metrics.commands_replayed);
            return if *hash == request_hash {
                answer.clone()
            } else {
                duplicate_id(id)
            };
        }
        let member = match (command, &auth.seat) {
            (Command::Ready {} | Command::WithdrawReady {}, Seat::Faction(f)) => {
                self.fresh_members().await;
                self.team_member(f, auth.seat_id)
            }
            _ => None,
        };
        // The person a mute names, as the seats say.
        let subject = match command {
            Command::MuteMember { member, .. } => {
                self.fresh_members().await;
                self.members
                    .iter()
                    .find(|m| m.id == *member)
                    .and_then(|m| Some((FactionId::from(m.faction.as_deref()?), m.name.clone())))
            }
            _ => None,
        };
        let ctx = Ctx {
            now_ms: self.clock.now_ms(),
            author: auth.name.clone(),
            person: Some(auth.seat_id),
            member,
            subject,
        };
        let events = match self.game.plan(&auth.seat, command, &ctx) {
            Ok(events) => events,
            Err(e) => {
                Metrics::inc(&self.metrics.commands_refused);
                let frame =
                    ServerFrame::error(Some(id.clone()), ErrorCode::of(&e), e.to_string(), false);
                let row = self.command_row(auth, &id, request_hash.clone(), &frame, ctx.now_ms);
                return match within(&mut self.db_away, self.store.record_command(&row)).await {
                    Ok(()) => {
                        self.remember(auth, &id, request_hash, &frame);
                        frame
                    }
                    // Answered before (e.g. before a restart): that answer stands.
                    Err(StoreError::Duplicate(_)) => {
                        self.stored_answer(auth, id, &request_hash).await
                    }
                    // Without its record, a refusal could contradict an earlier ack of the same
                    // id whose answer was lost: say "try again" rather than a final no.
                    Err(err) => unavailable(Some(id), &err.to_string()),
                };
            }
        };
        let ack = ServerFrame::Ack {
            id: id.clone(),
            seq: self.last_seq + events.len() as i64,
        };
        let row = self.command_row(auth, &id, request_hash.clone(), &ack, ctx.now_ms);
        match self.commit(events, Some(row)).await {
            Ok(()) => {
                Metrics::inc(&self.metrics.commands_acked);
                self.remember(auth, &id, request_hash, &ack);
                ack
            }
            // This id was committed before (e.g. before a restart): nothing was written now.
            Err(StoreError::Duplicate(_)) => self.stored_answer(auth, id, &request_hash).await,
            Err(e) if e.retryable() => unavailable(Some(id), &e.to_string()),
            // The log moved on under this task (a commit it gave up waiting for landed late, or
            // another writer): nothing of this one was written, and the task stops to be
            // rebuilt from the log. The same id sent again finds its answer there, or commits.
            Err(StoreError::Conflict { .. }) => unavailable(
                Some(id),
                "the game's log moved on while this command waited; send it again",
            ),
            // Another node took the game (this one's lease ran out): nothing was written, and
            // the same id sent again reaches the new owner.
            Err(StoreError::Fenced { .. }) => unavailable(
                Some(id),
                "another server node runs this game now; send the command again",
            ),
            // A fault of ours, not an outage: sending it again would fail the same way.
            Err(e) => {
                tracing::error!(game = %self.game_id, error = %e, "the database refused a commit");
                ServerFrame::error(
                    Some(id),
                    ErrorCode::Internal,
                    "the server could not store this command (a fault, logged)",
                    false,
                )
            }
        }
    }

    fn remember(&mut self, auth: &SeatAuth, id: &str, hash: Vec<u8>, answer: &ServerFrame) {
        let key = (auth.seat_id, id.to_owned());
        if self
            .answered
            .insert(key.clone(), (hash, answer.clone()))
            .is_none()
        {
            self.answered_order.push_back(key);
        }
        while self.answered_order.len() > ANSWERS_KEPT {
            if let Some(old) = self.answered_order.pop_front() {
                self.answered.remove(&old);
            }
        }
    }

    /// The answer recorded for a command id used before.
    async fn stored_answer(&mut self, auth: &SeatAuth, id: String, hash: &[u8]) -> ServerFrame {
        Metrics::inc(&self.metrics.commands_replayed);
        match within(
            &mut self.db_away,
            self.store.command(self.game_id, auth.seat_id, &id),
        )
        .await
        {
            Ok(Some(row)) if row.request_hash == hash => {
                let answer = serde_json::from_str(&row.result).unwrap_or_else(|_| {
                    ServerFrame::error(
                        Some(id.clone()),
                        ErrorCode::Internal,
                        "stored answer unreadable",
                        false,
                    )
                });
                self.remember(auth, &id, row.request_hash, &answer);
                answer
            }
            Ok(Some(_)) => duplicate_id(id),
            Ok(None) => unavailable(Some(id), "command recorded but not found"),
            Err(e) => unavailable(Some(id), &e.to_string()),
        }
    }

    fn command_row(
        &self,
        auth: &SeatAuth,
        id: &str,
        request_hash: Vec<u8>,
        answer: &ServerFrame,
        now: i64,
    ) -> CommandRow {
        CommandRow {
            game_id: self.game_id,
            seat_id: auth.seat_id,
            client_id: id.to_owned(),
            request_hash,
            result: serde_json::to_string(answer).unwrap_or_default(),
            created_at: now,
        }
    }

    /// Persists `events` (and the command's record) in one transaction, then applies and fans
    /// them out. On failure nothing changes.
    async fn commit(
        &mut self,
        events: Vec<Event>,
        row: Option<CommandRow>,
    ) -> Result<(), StoreError> {
        let bodies = crate::store::encode_events(&events)?;
        let clock = self.game.clock_after(&events);
        let status = GameStatus {
            deadline_at: clock.deadline_at,
            ended: clock.ended,
        };
        let append = Append {
            game: self.game_id,
            epoch: self.epoch,
            last_seq: self.last_seq,
            events: bodies,
            command: row,
            status,
        };
        let started = Instant::now();
        // Past the bound the commit may still land: the task is then unsure, and reads the log
        // before it acts again.
        let committed = within(&mut self.db_away, self.committer.append(append)).await;
        self.metrics.commit_seconds.observe(started.elapsed());
        match committed {
            Ok(_) => {}
            Err(e) => {
                match e {
                    StoreError::Conflict { .. } => self.stale = true,
                    StoreError::Fenced { .. } => {
                        Metrics::inc(&self.metrics.fencing_refusals);
                        self.stale = true;
                    }
                    StoreError::Duplicate(_) => {}
                    _ => self.unsure = true,
                }
                if !matches!(e, StoreError::Duplicate(_)) {
                    tracing::warn!(game = %self.game_id, error = %e, "commit failed");
                }
                return Err(e);
            }
        }
        self.metrics
            .events_appended
            .fetch_add(events.len() as u64, std::sync::atomic::Ordering::Relaxed);
        for e in events {
            self.apply_committed(self.last_seq + 1, e);
        }
        Ok(())
    }

    /// An event that is in the log as `seq`: into the state, into the recent events kept for
    /// reconnects, and into `unsent` in the forms its subscribers' seats see it (decided
    /// against the state it applies to; sent by `publish`, after the command's answer).
    fn apply_committed(&mut self, seq: i64, e: Event) {
        self.game.evolve(&e);
        self.last_seq = seq;
        let game = &self.game;
        // Seats that see an event the same way share one serialization (a handful of
        // distinct seats per game: the factions, Control, observers).
        let mut forms: Forms = Vec::new();
        for s in &self.subscribers {
            if !forms.iter().any(|(seat, _)| *seat == s.seat) {
                let text = game.event_for(&s.seat, &e).and_then(|event| {
                    serde_json::to_string(&ServerFrame::Event { seq, event })
                        .ok()
                        .map(Arc::from)
                });
                forms.push((s.seat.clone(), text));
            }
        }
        self.unsent.push((seq, forms));
        self.recent.push_back((seq, e));
        if self.recent.len() > RECENT_EVENTS {
            self.recent.pop_front();
        }
    }

    /// Sends the committed events not yet sent to each subscriber that may see them. Called
    /// after a command's answer (commit, ack, then fan-out), at the top of every pass of the
    /// task's loop, and before a new subscriber's catch-up is built.
    fn publish(&mut self) {
        let metrics = &self.metrics;
        for (seq, forms) in self.unsent.drain(..) {
            self.subscribers.retain(|s| {
                let text = forms
                    .iter()
                    .find(|(seat, _)| *seat == s.seat)
                    .and_then(|(_, t)| t.clone());
                let Some(text) = text else {
                    return !s.tx.is_closed();
                };
                deliver(s, Outbound { seq, text }, metrics)
            });
        }
    }

    /// A command from the server itself (the clock). False when it could not be committed.
    async fn system(&mut self, command: Command) -> bool {
        let ctx = Ctx::at(self.clock.now_ms());
        match self.game.plan(&Seat::System, &command, &ctx) {
            Ok(events) if !events.is_empty() => {
                if self.commit(events, None).await.is_err() {
                    return false;
                }
                self.play_bots().await;
                true
            }
            _ => true,
        }
    }

    /// Starts a game that waits in its lobby until seated, once every faction has a person
    /// or a bot. When the seats cannot be read or the start cannot be committed, the next
    /// change of seats (or the task's next start) tries again.
    async fn start_if_seated(&mut self) {
        if self.game.phase != Phase::Lobby || self.game.config.start != StartMode::WhenSeated {
            return;
        }
        let Ok(seats) = within(&mut self.db_away, self.store.seats(self.game_id)).await else {
            return;
        };
        let config = &self.game.config;
        let seated = self.game.scenario.factions.iter().all(|f| {
            config.bots.contains_key(&f.id)
                || seats
                    .iter()
                    .any(|s| s.role.plays_faction() && s.faction.as_deref() == Some(f.id.as_str()))
        });
        if seated {
            tracing::info!(game = %self.game_id, "every faction has a player: the game starts");
            self.system(Command::Start {}).await;
        }
    }

    /// Bots could not commit: try again after a back-off.
    fn bots_failed(&mut self, again: bool) {
        self.bots_backoff = if again {
            (self.bots_backoff * 2).min(self.limits.retry_max)
        } else {
            self.limits.retry_min
        };
        self.bots_retry_at = Some(Instant::now() + self.bots_backoff);
    }

    /// Lets bot seats play until they have nothing more to do in the current phase.
    async fn play_bots(&mut self) {
        let retrying = self.bots_retry_at.take();
        // Each pass is one phase at most; a bound guards against a bot loop.
        for _ in 0..(self.game.scenario.rounds.len() * 5 + 5) {
            if self.game.config.bots.is_empty() || self.game.phase == Phase::Ended {
                return;
            }
            let before = (self.game.round, self.game.phase);
            let mut pass = BotPass::new(&self.game);
            while let Some((seat, cmd, ctx)) = pass.next(&self.game, self.clock.now_ms()) {
                let Ok(events) = self.game.plan(&seat, &cmd, &ctx) else {
                    pass.answer(false);
                    continue;
                };
                pass.answer(true);
                if self.commit(events, None).await.is_err() {
                    self.bots_failed(retrying.is_some());
                    return;
                }
            }
            // Bots play one phase per pass; stop when they did not move the game on.
            if (self.game.round, self.game.phase) == before {
                return;
            }
        }
    }
}

/// Queues a frame for a subscriber; false when it must go. A full queue drops the subscriber:
/// its connection sees the channel close and resubscribes from its last sequence (missed
/// events or a snapshot), so a slow reader never stalls the game and never silently loses an
/// event.
fn deliver(s: &Subscriber, out: Outbound, metrics: &Metrics) -> bool {
    match s.tx.try_send(out) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            Metrics::inc(&metrics.subscribers_dropped);
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

fn unavailable(id: Option<String>, detail: &str) -> ServerFrame {
    tracing::warn!(detail, "command not confirmed");
    ServerFrame::error(
        id,
        ErrorCode::Unavailable,
        "the game could not be saved just now; send the same command again with the same id",
        true,
    )
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Under tokio's paused time: a database call that never answers gets `Unavailable` at the
    /// bound, the calls of the next bound's length get it at once without waiting, and after
    /// that a call is tried again.
    #[tokio::test(start_paused = true)]
    async fn a_database_that_does_not_answer_is_unavailable_at_the_bound() {
        let within_ = Duration::from_secs(2);
        let mut bound = DatabaseBound {
            within: within_,
            away: None,
        };
        let start = Instant::now();
        let frozen = within(&mut bound, std::future::pending::<Result<(), StoreError>>()).await;
        assert!(
            matches!(frozen, Err(StoreError::Unavailable(_))),
            "{frozen:?}"
        );
        assert_eq!(start.elapsed(), within_);

        // Within the bound after it: at once, without calling.
        tokio::time::advance(Duration::from_millis(1_500)).await;
        let at_once = Instant::now();
        let called = std::sync::atomic::AtomicBool::new(false);
        let refused = within(&mut bound, async {
            called.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
        .await;
        assert!(matches!(refused, Err(StoreError::Unavailable(_))));
        assert_eq!(at_once.elapsed(), Duration::ZERO);
        assert!(!called.load(std::sync::atomic::Ordering::SeqCst));

        // Past it: tried again, and an answer clears the state.
        tokio::time::advance(Duration::from_millis(600)).await;
        assert!(within(&mut bound, async { Ok(()) }).await.is_ok());
        assert!(bound.away.is_none());
    }
}
