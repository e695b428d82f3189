//! Storage: the database is the source of truth. A game is its row, its seats, and an
//! append-only log of engine events with a gapless per-game sequence; commands are recorded
//! with their answer so a retried command gets the same answer without a second effect.
//!
//! [`Store`] has two implementations with the same SQL: Postgres (deployments) and SQLite (the
//! embedded default). `contract` holds the test suite both must pass.

use std::future::Future;
use std::sync::Arc;
use thiserror::Error;
use uuid::Uuid;

mod committer;
mod sql;
pub use committer::Committer;
pub use sql::{PgStore, SqliteStore};

#[cfg(test)]
pub(crate) mod contract;

/// An event in the log's form: the one place events are encoded for the store.
pub fn encode_event(e: &crate::engine::Event) -> Result<String, StoreError> {
    serde_json::to_string(e).map_err(|err| StoreError::Corrupt(format!("encoding an event: {err}")))
}

/// An event read back from the log (`seq` names it in the error): the one place events are
/// decoded from the store.
pub fn decode_event(seq: i64, body: &str) -> Result<crate::engine::Event, StoreError> {
    serde_json::from_str(body).map_err(|err| StoreError::Corrupt(format!("event {seq}: {err}")))
}

/// Events in the log's form.
pub fn encode_events(events: &[crate::engine::Event]) -> Result<Vec<String>, StoreError> {
    events.iter().map(encode_event).collect()
}

/// Events read back from the log, in order.
pub fn decode_events(stored: &[(i64, String)]) -> Result<Vec<crate::engine::Event>, StoreError> {
    stored
        .iter()
        .map(|(seq, body)| decode_event(*seq, body))
        .collect()
}

/// Up to `limit` messages of `channel` before message `before`, oldest first, from game
/// `game`'s log, read backwards `window` events at a time until the page is full or the log's
/// start is reached: a page just behind what a game holds in memory reads only the log's
/// recent end, and memory stays bounded by the window. (The reader's right to the channel is
/// checked first, by `Game::earlier_messages`.)
pub async fn messages_before<S: Store>(
    store: &S,
    game: Uuid,
    channel: &crate::engine::Channel,
    before: u32,
    limit: usize,
    window: u32,
) -> StoreResult<Vec<crate::engine::Message>> {
    let mut page: Vec<crate::engine::Message> = Vec::new();
    let mut window_end = i64::MAX;
    while page.len() < limit {
        let stored = store.events_before(game, window_end, window.max(1)).await?;
        let Some(first) = stored.first().map(|(seq, _)| *seq) else {
            break;
        };
        let events = decode_events(&stored)?;
        let mut older = crate::engine::view::messages_in_log(&events, channel, before, limit);
        older.append(&mut page);
        page = older;
        window_end = first;
    }
    if page.len() > limit {
        page.drain(..page.len() - limit);
    }
    Ok(page)
}

/// A server node sharing the database (decision record 0012).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRow {
    pub id: String,
    /// Where the node answers the other nodes, e.g. `http://10.0.0.7:8080`.
    pub internal_url: String,
    /// Signs what the node forwards; new at every start.
    pub secret: String,
}

/// A game's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameRow {
    pub id: Uuid,
    /// Short code players type to join.
    pub join_code: String,
    pub scenario: String,
    pub control_token_hash: Vec<u8>,
    pub created_at: i64,
    pub last_seq: i64,
    /// Absolute deadline of the current phase (ms since the epoch), re-armed after a restart.
    pub deadline_at: Option<i64>,
    pub ended: bool,
}

/// A seat held by a person (or a team's shared token).
/// What a seat is, as stored (`faction`, `agent`, `control`, `observer` or `revoked` in the
/// `role` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatRole {
    Faction,
    /// A faction seat an outside agent plays (`POST /api/games/{id}/agents`): it plays like a
    /// person's, but only Control makes it, only Control revokes it, it cannot be moved, and
    /// while it exists nobody else sits in its faction.
    Agent,
    Control,
    Observer,
    /// Control revoked the seat (an outside agent's): the row stays, with the faction it
    /// played, for the commands it gave; but no token opens it and it counts in no team.
    Revoked,
}

impl SeatRole {
    /// A seat that plays a faction: a person's (or a team's) or an outside agent's.
    pub fn plays_faction(self) -> bool {
        matches!(self, SeatRole::Faction | SeatRole::Agent)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SeatRole::Faction => "faction",
            SeatRole::Agent => "agent",
            SeatRole::Control => "control",
            SeatRole::Observer => "observer",
            SeatRole::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<SeatRole> {
        match s {
            "faction" => Some(SeatRole::Faction),
            "agent" => Some(SeatRole::Agent),
            "control" => Some(SeatRole::Control),
            "observer" => Some(SeatRole::Observer),
            "revoked" => Some(SeatRole::Revoked),
            _ => None,
        }
    }
}

impl std::fmt::Display for SeatRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRow {
    pub id: Uuid,
    pub game_id: Uuid,
    pub role: SeatRole,
    pub faction: Option<String>,
    pub name: String,
    /// SHA-256 of the seat's bearer token; the token itself is never stored.
    pub token_hash: Vec<u8>,
    pub created_at: i64,
}

/// A command's record: who sent which client id, a hash of the request, and the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRow {
    pub game_id: Uuid,
    pub seat_id: Uuid,
    pub client_id: String,
    pub request_hash: Vec<u8>,
    /// The answer as sent (JSON): an ack with its sequence, or an error.
    pub result: String,
    pub created_at: i64,
}

/// State of a game kept beside its log so a restarted server knows what to re-arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameStatus {
    pub deadline_at: Option<i64>,
    pub ended: bool,
}

#[derive(Clone, Debug, Error)]
pub enum StoreError {
    /// The database could not be reached or failed; the caller may retry.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Another writer appended to the game first (two owners of one game).
    #[error("the game's log moved on (expected last sequence {expected})")]
    Conflict { expected: i64 },
    /// The append named an ownership epoch the game no longer has: another node took the game
    /// (decision record 0012). Nothing was written; this node must stop writing to it.
    #[error("this node no longer owns the game (it held epoch {held}, the game is at {now})")]
    Fenced { held: i64, now: i64 },
    /// A unique key already exists (join code, token, command id).
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database refused the operation for a reason retrying will not fix (a syntax error,
    /// a constraint, a broken migration): a bug to report, not an outage.
    #[error("the database refused the operation: {0}")]
    Refused(String),
}

impl StoreError {
    /// A batch answered fewer appends than it was given (a bug, not the database).
    pub(crate) fn missing_result() -> StoreError {
        StoreError::Corrupt("no result for an append".into())
    }

    /// Whether retrying the same operation later may succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One game's share of a commit: `events` appended after `last_seq`, the command's record (if
/// a command caused them), and the game's status after them.
#[derive(Clone, Debug)]
pub struct Append {
    pub game: Uuid,
    /// The ownership epoch the writer holds (decision record 0012): the append is refused with
    /// `Fenced` unless the game is still at it. 0: a game nobody has claimed.
    pub epoch: i64,
    pub last_seq: i64,
    pub events: Vec<String>,
    pub command: Option<CommandRow>,
    pub status: GameStatus,
}

/// Every append of a batch failed with `e` (its transaction did not commit).
pub(crate) fn all_failed(batch: &[Append], e: &StoreError) -> Vec<StoreResult<i64>> {
    batch.iter().map(|_| Err(e.clone())).collect()
}

/// A class's row (decision record 0011).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassRow {
    pub id: Uuid,
    /// Short code students type to join; it shares the join page with games' codes.
    pub join_code: String,
    pub name: String,
    pub scenario: String,
    /// The teacher's choices, as JSON.
    pub settings: String,
    /// SHA-256 of the teacher's token.
    pub teacher_token_hash: Vec<u8>,
    pub created_at: i64,
    /// When the teacher started the class and its tables were created, if they have.
    pub started_at: Option<i64>,
}

/// A student on a class's roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub id: Uuid,
    pub class_id: Uuid,
    pub name: String,
    /// SHA-256 of the student's token. Once seated, their seat in a table is stored with the
    /// same hash, so the one token finds the seat.
    pub token_hash: Vec<u8>,
    pub joined_at: i64,
    /// Where the teacher put the student before Start: a table (from 0) and a faction.
    pub pinned: Option<(u32, String)>,
}

/// A table to create when a class starts: a game as [`Store::create_game`] takes it, with
/// its number in the class.
#[derive(Clone, Debug)]
pub struct NewTable {
    pub table_no: u32,
    pub game: GameRow,
    pub seats: Vec<SeatRow>,
    pub events: Vec<String>,
    pub status: GameStatus,
}

/// Where a student who joins a started class sits ([`Store::seat_late_member`]).
#[derive(Clone, Copy, Debug)]
pub enum LateSeat<'a> {
    /// A new seat at an existing table, if its faction has fewer than `limit` seats.
    Existing { seat: &'a SeatRow, limit: u32 },
    /// A new table of the class, the student among its seats.
    NewTable(&'a NewTable),
}

/// Outcome of [`Store::start_class`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassStart {
    Started,
    /// It had started already (or does not exist).
    AlreadyStarted,
    /// A student joined or was pinned since the roster was read: plan again.
    RosterChanged,
}

/// Outcome of [`Store::move_seat`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeatMove {
    Moved(SeatRow),
    /// The target faction's team is full.
    Full,
    /// No such seat in this game, or it is Control's.
    NotFound,
}

/// What the server needs from a database. Every method is one transaction.
pub trait Store: Clone + Send + Sync + 'static {
    /// `postgres` or `sqlite`.
    fn kind(&self) -> &'static str;
    /// Runs the embedded migrations.
    fn migrate(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Cheap round trip, for readiness checks.
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Creates a game with its first seats and first events (sequences 1..=n).
    fn create_game(
        &self,
        game: &GameRow,
        seats: &[SeatRow],
        events: &[String],
        status: GameStatus,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Adds a seat unless its faction already has `limit` seats or an agent's seat, or, for a
    /// seat without a faction, unless the game already has `limit` observers (checked and inserted under the
    /// game row's lock, so concurrent joins cannot overfill a team). False: the team (or the
    /// observers) is full and nothing was written.
    fn add_seat(
        &self,
        seat: &SeatRow,
        limit: Option<u32>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Moves a seat of `game` to another role/faction, with the same team-size check as
    /// [`Store::add_seat`]. Only people's seats and observers move: not Control's, an agent's
    /// or a revoked one.
    fn move_seat(
        &self,
        game: Uuid,
        seat: Uuid,
        role: SeatRole,
        faction: Option<&str>,
        limit: Option<u32>,
    ) -> impl Future<Output = StoreResult<SeatMove>> + Send;
    /// Revokes agent seat `seat` of `game`: its token is replaced by `token_hash`, which nobody
    /// holds, and it no longer counts in its faction's team (the row keeps the faction it
    /// played, for the record). False: no such agent seat.
    fn revoke_seat(
        &self,
        game: Uuid,
        seat: Uuid,
        token_hash: &[u8],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Claims `game` for `node` for `lease_ms` from now, in the database's clock (decision
    /// record 0012): the epoch the claim holds from now on, raised by one at every claim (so a
    /// task of the same node that claimed before is fenced too); `None` while another node's
    /// lease on it runs, or, for a table of a class, another node's lease on another table of
    /// the class (a class stays on one node; checked under the class row's lock): nothing
    /// changes.
    fn claim_game(
        &self,
        game: Uuid,
        node: &str,
        lease_ms: i64,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send;
    /// Extends to `lease_ms` from now the leases of `games` (those the node runs) that `node`
    /// still owns, in one statement; those it still owns (a game another node claimed is not
    /// among them).
    fn renew_leases(
        &self,
        node: &str,
        lease_ms: i64,
        games: &[Uuid],
    ) -> impl Future<Output = StoreResult<Vec<Uuid>>> + Send;
    /// Live games with a pending deadline whose lease has run out (in the database's clock):
    /// their owner died, stopped or lost them, and their clocks wait for a node to take them.
    fn games_to_take(&self) -> impl Future<Output = StoreResult<Vec<Uuid>>> + Send;
    /// Gives up the claim of `node` on `game` at `epoch` now, so that another node may claim
    /// it at once (a task that ends). False: that claim was no longer the game's (another claim
    /// came since, by this node or another).
    fn release_game(
        &self,
        game: Uuid,
        node: &str,
        epoch: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Records (or updates) a node's internal address and secret, at its start.
    fn register_node(&self, node: &NodeRow) -> impl Future<Output = StoreResult<()>> + Send;
    /// A registered node.
    fn node(&self, id: &str) -> impl Future<Output = StoreResult<Option<NodeRow>>> + Send;
    /// The node that serves `game` now (in the database's clock): its owner while its lease
    /// runs; otherwise, for a table of a class, the node whose lease on another table of the
    /// class runs (a class stays on one node); otherwise none (any node may claim it).
    fn game_home(&self, game: Uuid) -> impl Future<Output = StoreResult<Option<NodeRow>>> + Send;
    /// Tells the other nodes sharing the database that `class` changed (`started`: it has
    /// started), so that they ring its bells for their connections; `node` is this node's id.
    /// Nothing to do on SQLite (one node).
    fn announce_class(
        &self,
        node: &str,
        class: Uuid,
        started: bool,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Until `stop`, calls `ring` for each change of a class another node than `node`
    /// announced (reconnecting when the database goes away). Returns at once on SQLite.
    fn hear_classes(
        &self,
        node: String,
        ring: Arc<dyn Fn(Uuid, bool) + Send + Sync>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> impl Future<Output = ()> + Send;
    fn seat_by_token(
        &self,
        token_hash: &[u8],
    ) -> impl Future<Output = StoreResult<Option<SeatRow>>> + Send;
    fn seats(&self, game: Uuid) -> impl Future<Output = StoreResult<Vec<SeatRow>>> + Send;
    fn game(&self, id: Uuid) -> impl Future<Output = StoreResult<Option<GameRow>>> + Send;
    fn game_by_code(&self, code: &str)
        -> impl Future<Output = StoreResult<Option<GameRow>>> + Send;
    /// Events with sequence > `after`, in order.
    fn events_after(
        &self,
        game: Uuid,
        after: i64,
    ) -> impl Future<Output = StoreResult<Vec<(i64, String)>>> + Send;
    /// The latest `limit` events with sequence < `before`, in order: a log read backwards a
    /// window at a time.
    fn events_before(
        &self,
        game: Uuid,
        before: i64,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<(i64, String)>>> + Send;
    /// Commits appends to several games in one transaction. Each append succeeds or fails as
    /// if it were alone: `Conflict` if its game's log is not at its `last_seq`, `Duplicate` if
    /// its command id is already recorded (nothing of it is written), otherwise all its events
    /// and its command's record. Returns each append's new last sequence, in order; if the
    /// transaction itself fails, every append gets that error. At most one append per game.
    fn append_many(&self, batch: &[Append]) -> impl Future<Output = Vec<StoreResult<i64>>> + Send;
    /// Slots for concurrent [`Store::append_many`] calls that help: several for a server
    /// database (one batch is written while the next is sent), one for a single-writer file.
    fn commit_slots(&self) -> usize;
    /// Appends `events` after `last_seq` and records `command` (if any), in one transaction;
    /// fails with `Conflict` if the log is not at `last_seq`. Returns the new last sequence.
    fn append(
        &self,
        game: Uuid,
        last_seq: i64,
        events: &[String],
        command: Option<&CommandRow>,
        status: GameStatus,
    ) -> impl Future<Output = StoreResult<i64>> + Send {
        let one = [Append {
            game,
            // A game nobody has claimed (decision record 0012).
            epoch: 0,
            last_seq,
            events: events.to_vec(),
            command: command.cloned(),
            status,
        }];
        async move {
            let mut results = self.append_many(&one).await;
            results
                .pop()
                .unwrap_or_else(|| Err(StoreError::missing_result()))
        }
    }
    /// Records the answer to a command that changed nothing (a refusal), for idempotency.
    fn record_command(&self, command: &CommandRow) -> impl Future<Output = StoreResult<()>> + Send;
    fn command(
        &self,
        game: Uuid,
        seat: Uuid,
        client_id: &str,
    ) -> impl Future<Output = StoreResult<Option<CommandRow>>> + Send;
    /// Games that have not ended, for re-arming deadlines after a restart.
    fn live_games(&self) -> impl Future<Output = StoreResult<Vec<GameRow>>> + Send;
    /// Deletes the records of commands created before `before` (ms since the epoch); how
    /// many. Their events stay.
    fn forget_commands(&self, before: i64) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Creates a class with no students yet.
    fn create_class(&self, class: &ClassRow) -> impl Future<Output = StoreResult<()>> + Send;
    fn class(&self, id: Uuid) -> impl Future<Output = StoreResult<Option<ClassRow>>> + Send;
    fn class_by_code(
        &self,
        code: &str,
    ) -> impl Future<Output = StoreResult<Option<ClassRow>>> + Send;
    /// The class whose teacher's token has this hash.
    fn class_by_teacher(
        &self,
        token_hash: &[u8],
    ) -> impl Future<Output = StoreResult<Option<ClassRow>>> + Send;
    /// Adds a student to a class's roster, after everyone already on it. False, with nothing
    /// written, if the class has started (or does not exist): the class row's lock orders
    /// this against [`Store::start_class`].
    fn add_member(&self, member: &MemberRow) -> impl Future<Output = StoreResult<bool>> + Send;
    fn member_by_token(
        &self,
        token_hash: &[u8],
    ) -> impl Future<Output = StoreResult<Option<MemberRow>>> + Send;
    /// A class's students in the order they were added.
    fn members(&self, class: Uuid) -> impl Future<Output = StoreResult<Vec<MemberRow>>> + Send;
    /// Sets (or, with `None`, clears) the teacher's pin of a student. False, with nothing
    /// written: no such student in the class, or the class has started (its seats are then
    /// moved in the tables instead).
    fn pin_member(
        &self,
        class: Uuid,
        member: Uuid,
        pin: Option<(u32, &str)>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Starts a class: marks it started at `started_at` and creates its tables (each game
    /// with its seats and first events), all in one transaction, if the roster under the class
    /// row's lock is still `roster` (the one the tables were planned from). Otherwise nothing
    /// is written, and the answer says why.
    fn start_class(
        &self,
        class: Uuid,
        started_at: i64,
        roster: &[MemberRow],
        tables: &[NewTable],
    ) -> impl Future<Output = StoreResult<ClassStart>> + Send;
    /// A student who joins a class that has started: added to the roster and seated, in one
    /// transaction under the class row's lock (which orders late joins, so two never take
    /// one place or make one new table). False, with nothing written, if the class has not
    /// started (or does not exist), the faction's team at that table is full, or the new
    /// table's number is taken: the caller looks again.
    fn seat_late_member(
        &self,
        member: &MemberRow,
        at: LateSeat<'_>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The class a game is a table of, and its number there (`None`: not a class's table).
    fn game_class(
        &self,
        game: Uuid,
    ) -> impl Future<Output = StoreResult<Option<(Uuid, u32)>>> + Send;
    /// A class's tables, by number.
    fn class_tables(
        &self,
        class: Uuid,
    ) -> impl Future<Output = StoreResult<Vec<(u32, GameRow)>>> + Send;
}

#[cfg(test)]
mod tests {
    use super::contract;
    use super::*;
    use crate::engine::{Channel, Event, FactionId, Message, Seat};

    /// Pages of old messages read backwards from the log a few events at a time are the same
    /// as from the whole log: every window size, every `before`, two interleaved channels.
    #[tokio::test]
    async fn messages_before_reads_the_log_backwards_in_windows() {
        let (s, dir) = contract::sqlite().await;
        let team = Channel::Team {
            faction: FactionId::new("russia"),
        };
        let mut events = Vec::new();
        let (mut plenary_id, mut team_id) = (0, 0);
        for k in 0..60u32 {
            let channel = if k % 3 == 2 {
                team.clone()
            } else {
                Channel::Plenary
            };
            let id = if channel == team {
                team_id += 1;
                team_id
            } else {
                plenary_id += 1;
                plenary_id
            };
            events.push(Event::ChatPosted {
                message: Message {
                    id,
                    round: 0,
                    channel,
                    from: Seat::Faction(FactionId::new("russia")),
                    author: "Ivan".into(),
                    text: format!("line {k}"),
                    at_ms: i64::from(k),
                    member: None,
                    hidden: false,
                },
            });
        }
        let game = contract::game_row("PAGE01");
        let status = GameStatus {
            deadline_at: None,
            ended: false,
        };
        let bodies = encode_events(&events).expect("encode");
        s.create_game(&game, &[], &bodies, status)
            .await
            .expect("game");
        for channel in [Channel::Plenary, team.clone()] {
            let latest = if channel == team { team_id } else { plenary_id };
            for before in [1, 2, 7, latest, latest + 1] {
                for limit in [1, 5, 50] {
                    let whole =
                        crate::engine::view::messages_in_log(&events, &channel, before, limit);
                    for window in [1, 3, 7, 64] {
                        let paged = messages_before(&s, game.id, &channel, before, limit, window)
                            .await
                            .expect("page");
                        assert_eq!(
                            paged, whole,
                            "{channel:?} before {before}, limit {limit}, window {window}"
                        );
                    }
                }
            }
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn sqlite_meets_the_contract() {
        let (s, dir) = contract::sqlite().await;
        contract::run(&s).await;
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn postgres_meets_the_contract() {
        let Some((s, name)) = contract::postgres("postgres_meets_the_contract").await else {
            return;
        };
        contract::run(&s).await;
        drop(s);
        contract::drop_postgres(&name).await;
    }
}
