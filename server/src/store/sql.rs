//! The two SQL stores. The statements are written once, in a dialect both accept (`$N`
//! parameters, which sqlx's SQLite driver binds by position too; integers for times and flags;
//! text for ids and JSON), and a macro stamps out the implementation for each driver.

use super::*;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

/// Postgres: the store for deployments.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    appenders: Appenders,
}

/// Connections the group commit keeps out of the pool between batches (at most one per commit
/// slot), each with the moment it was last used. Taking a connection from sqlx's pool and
/// giving it back for every batch cost about 8 % of the server's CPU at 1,000 commands/s
/// (the pool spawns a task to take each one back; decision record 0008). A connection whose
/// statement failed other than by a database error is dropped, not kept; one idle for longer
/// than `PING_AFTER_IDLE` is pinged first, as the pool does.
#[derive(Clone, Default)]
struct Appenders(Arc<std::sync::Mutex<Vec<Held>>>);

/// A connection kept for appends, and when it was last used.
type Held = (sqlx::pool::PoolConnection<sqlx::Postgres>, Instant);

impl std::fmt::Debug for Appenders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Appenders")
    }
}

impl Appenders {
    fn take(&self) -> Option<Held> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    fn keep(&self, conn: sqlx::pool::PoolConnection<sqlx::Postgres>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((conn, Instant::now()));
    }
}

/// SQLite: the embedded default, a single file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl PgStore {
    /// Connects lazily: the server starts (and reports not ready) while Postgres is down, and
    /// recovers by itself when it returns.
    pub fn connect(url: &str) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move { ping_if_idle(conn, meta.idle_for).await })
            })
            .connect_lazy(url)
            .map_err(map_err)?;
        Ok(PgStore {
            pool,
            appenders: Appenders::default(),
        })
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file. WAL with `synchronous = FULL`: a commit is
    /// on disk before it is acknowledged.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(map_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move { ping_if_idle(conn, meta.idle_for).await })
            })
            .connect_with(options)
            .await
            .map_err(map_err)?;
        Ok(SqliteStore { pool })
    }
}

/// Connections idle longer than this are pinged before use; busy ones are not. sqlx pings
/// every connection it hands out by default, which at thousands of commands a second was a
/// second round trip to the database for each command. A connection that died while in use
/// fails its query, which is reported as retryable and the pool drops it.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

async fn ping_if_idle<C: sqlx::Connection>(conn: &mut C, idle: Duration) -> sqlx::Result<bool> {
    if idle > PING_AFTER_IDLE {
        conn.ping().await?;
    }
    Ok(true)
}

/// Sorts a database error: a unique key (`Duplicate`), data that does not decode
/// (`Corrupt`), an outage worth retrying (`Unavailable`: the connection, the pool, and the
/// error classes that mean "not now"), or a refusal retrying will not change (`Refused`).
fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(db.message().to_owned())
        }
        sqlx::Error::Database(db) => match db.code() {
            Some(code) if transient_code(&code) => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Refused(e.to_string()),
        },
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Refused(e.to_string()),
    }
}

/// Whether a database error code means "not now": for Postgres, the SQLSTATE classes 08
/// (connection), 40 (transaction rollback: serialization failure, deadlock), 53 (insufficient
/// resources) and 57 (operator intervention: shutdown, cancelled query); for SQLite (numeric
/// codes, the primary code in the low byte), BUSY, LOCKED, NOMEM, IOERR, FULL and CANTOPEN.
/// A SQLSTATE is always five characters (often digits too); SQLite's codes are shorter numbers.
fn transient_code(code: &str) -> bool {
    if code.len() == 5 {
        return matches!(code.get(..2), Some("08" | "40" | "53" | "57"));
    }
    code.parse::<u32>()
        .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 7 | 10 | 13 | 14))
}

#[cfg(test)]
mod error_tests {
    use super::transient_code;

    /// The SQLite built into the binary has the fixes for CVE-2025-29087 and CVE-2025-29088
    /// (3.49.1) and CVE-2025-6965 (3.50.2); sqlx 0.8 bundled 3.46.
    #[tokio::test]
    async fn the_bundled_sqlite_has_the_2025_fixes() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("open");
        let (version,): (String,) = sqlx::query_as("SELECT sqlite_version()")
            .fetch_one(&mut conn)
            .await
            .expect("version");
        let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
        assert!(parts >= vec![3, 50, 2], "SQLite {version}");
    }

    #[test]
    fn only_outages_are_retried() {
        // Postgres: connection failure, serialization failure, too many connections, admin
        // shutdown; then a syntax error, a not-null violation, an undefined table.
        for code in ["08006", "40001", "53300", "57P01"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["42601", "23502", "42P01"] {
            assert!(!transient_code(code), "{code}");
        }
        // SQLite: BUSY, BUSY_SNAPSHOT (517), LOCKED, IOERR_WRITE (778); then ERROR, CONSTRAINT.
        for code in ["5", "517", "6", "778"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["1", "19", "2067"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}

fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("bad id {s:?}: {e}")))
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $kind:literal, $migrations:literal, $slots:literal, $now:literal, $json_ids:literal) => {
        impl $store {
            fn game_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<GameRow> {
                Ok(GameRow {
                    id: uuid(&row.try_get::<String, _>("id").map_err(map_err)?)?,
                    join_code: row.try_get("join_code").map_err(map_err)?,
                    scenario: row.try_get("scenario").map_err(map_err)?,
                    control_token_hash: row.try_get("control_token_hash").map_err(map_err)?,
                    created_at: row.try_get("created_at").map_err(map_err)?,
                    last_seq: row.try_get("last_seq").map_err(map_err)?,
                    deadline_at: row.try_get("deadline_at").map_err(map_err)?,
                    ended: row.try_get::<i64, _>("ended").map_err(map_err)? != 0,
                })
            }

            /// Inserts a game with its seats and first events (sequences 1..=n), as table
            /// `class.1` of class `class.0` if given.
            async fn insert_game(
                tx: &mut sqlx::Transaction<'static, $db>,
                game: &GameRow,
                seats: &[SeatRow],
                events: &[String],
                status: GameStatus,
                class: Option<(Uuid, u32)>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO games (id, join_code, scenario, control_token_hash, created_at, last_seq, deadline_at, ended, class_id, table_no) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(game.id.to_string())
                .bind(&game.join_code)
                .bind(&game.scenario)
                .bind(&game.control_token_hash)
                .bind(game.created_at)
                .bind(events.len() as i64)
                .bind(status.deadline_at)
                .bind(i64::from(status.ended))
                .bind(class.map(|(c, _)| c.to_string()))
                .bind(class.map(|(_, t)| i64::from(t)))
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
                for s in seats {
                    Self::insert_seat(&mut **tx, s).await?;
                }
                for (i, body) in events.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO events (game_id, seq, body, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(game.id.to_string())
                    .bind(i as i64 + 1)
                    .bind(body)
                    .bind(game.created_at)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                }
                Ok(())
            }

            fn class_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<ClassRow> {
                Ok(ClassRow {
                    id: uuid(&row.try_get::<String, _>("id").map_err(map_err)?)?,
                    join_code: row.try_get("join_code").map_err(map_err)?,
                    name: row.try_get("name").map_err(map_err)?,
                    scenario: row.try_get("scenario").map_err(map_err)?,
                    settings: row.try_get("settings").map_err(map_err)?,
                    teacher_token_hash: row.try_get("teacher_token_hash").map_err(map_err)?,
                    created_at: row.try_get("created_at").map_err(map_err)?,
                    started_at: row.try_get("started_at").map_err(map_err)?,
                })
            }

            /// Takes a class row's write lock if the class has not started; false if it has
            /// (or does not exist).
            async fn lock_open_class(
                tx: &mut sqlx::Transaction<'static, $db>,
                class: Uuid,
            ) -> StoreResult<bool> {
                let locked = sqlx::query(
                    "UPDATE classes SET join_code = join_code WHERE id = $1 AND started_at IS NULL",
                )
                .bind(class.to_string())
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
                Ok(locked.rows_affected() == 1)
            }

            /// Adds `m` to its class's roster, after everyone already on it (the caller holds
            /// the class row's lock, which orders the numbers).
            async fn insert_member(
                tx: &mut sqlx::Transaction<'static, $db>,
                m: &MemberRow,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO class_members (id, class_id, name, token_hash, joined_at, seq, pinned_table, pinned_faction) \
                     VALUES ($1, $2, $3, $4, $5, \
                             (SELECT COALESCE(MAX(seq), 0) + 1 FROM class_members WHERE class_id = $2), $6, $7)",
                )
                .bind(m.id.to_string())
                .bind(m.class_id.to_string())
                .bind(&m.name)
                .bind(&m.token_hash)
                .bind(m.joined_at)
                .bind(m.pinned.as_ref().map(|(t, _)| i64::from(*t)))
                .bind(m.pinned.as_ref().map(|(_, f)| f.as_str()))
                .execute(&mut **tx)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            fn member_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<MemberRow> {
                let table: Option<i64> = row.try_get("pinned_table").map_err(map_err)?;
                let faction: Option<String> = row.try_get("pinned_faction").map_err(map_err)?;
                let pinned = match (table, faction) {
                    (Some(t), Some(f)) => Some((
                        u32::try_from(t)
                            .map_err(|_| StoreError::Corrupt(format!("pinned table {t}")))?,
                        f,
                    )),
                    _ => None,
                };
                Ok(MemberRow {
                    id: uuid(&row.try_get::<String, _>("id").map_err(map_err)?)?,
                    class_id: uuid(&row.try_get::<String, _>("class_id").map_err(map_err)?)?,
                    name: row.try_get("name").map_err(map_err)?,
                    token_hash: row.try_get("token_hash").map_err(map_err)?,
                    joined_at: row.try_get("joined_at").map_err(map_err)?,
                    pinned,
                })
            }

            /// An event of the log as read: its sequence and body.
            fn seq_body(row: &<$db as sqlx::Database>::Row) -> StoreResult<(i64, String)> {
                Ok((
                    row.try_get::<i64, _>("seq").map_err(map_err)?,
                    row.try_get::<String, _>("body").map_err(map_err)?,
                ))
            }

            fn seat_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<SeatRow> {
                Ok(SeatRow {
                    id: uuid(&row.try_get::<String, _>("id").map_err(map_err)?)?,
                    game_id: uuid(&row.try_get::<String, _>("game_id").map_err(map_err)?)?,
                    role: {
                        let role: String = row.try_get("role").map_err(map_err)?;
                        SeatRole::parse(&role)
                            .ok_or_else(|| StoreError::Corrupt(format!("seat role {role:?}")))?
                    },
                    faction: row.try_get("faction").map_err(map_err)?,
                    name: row.try_get("name").map_err(map_err)?,
                    token_hash: row.try_get("token_hash").map_err(map_err)?,
                    created_at: row.try_get("created_at").map_err(map_err)?,
                })
            }

            async fn insert_seat<'e, E>(e: E, seat: &SeatRow) -> StoreResult<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(
                    "INSERT INTO seats (id, game_id, role, faction, name, token_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(seat.id.to_string())
                .bind(seat.game_id.to_string())
                .bind(seat.role.as_str())
                .bind(&seat.faction)
                .bind(&seat.name)
                .bind(&seat.token_hash)
                .bind(seat.created_at)
                .execute(e)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            /// Takes the game row's write lock (a no-op update: portable, and it serialises
            /// seat changes of one game in both databases), then checks that `faction` has
            /// fewer than `limit` seats.
            async fn lock_and_check(
                tx: &mut sqlx::Transaction<'static, $db>,
                game: Uuid,
                faction: Option<&str>,
                limit: Option<u32>,
            ) -> StoreResult<bool> {
                sqlx::query("UPDATE games SET join_code = join_code WHERE id = $1")
                    .bind(game.to_string())
                    .execute(&mut **tx)
                    .await
                    .map_err(map_err)?;
                let Some(limit) = limit else {
                    return Ok(true);
                };
                // A faction's team (full for anyone else once an agent sits in it), or (no
                // faction) the game's observers.
                let n: i64 = match faction {
                    Some(faction) => sqlx::query_scalar(
                        "SELECT CASE WHEN count(CASE WHEN role = 'agent' THEN 1 END) > 0 THEN 1000000 \
                         ELSE count(*) END FROM seats \
                         WHERE game_id = $1 AND faction = $2 AND role IN ('faction', 'agent')",
                    )
                    .bind(game.to_string())
                    .bind(faction),
                    None => sqlx::query_scalar(
                        "SELECT count(*) FROM seats WHERE game_id = $1 AND role = 'observer'",
                    )
                    .bind(game.to_string()),
                }
                .fetch_one(&mut **tx)
                .await
                .map_err(map_err)?;
                Ok(n < i64::from(limit))
            }

            async fn insert_command<'e, E>(e: E, c: &CommandRow) -> StoreResult<()>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query(
                    "INSERT INTO commands (game_id, seat_id, client_id, request_hash, result, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(c.game_id.to_string())
                .bind(c.seat_id.to_string())
                .bind(&c.client_id)
                .bind(&c.request_hash)
                .bind(&c.result)
                .bind(c.created_at)
                .execute(e)
                .await
                .map_err(map_err)?;
                Ok(())
            }
        }

        impl Store for $store {
            fn kind(&self) -> &'static str {
                $kind
            }

            async fn migrate(&self) -> StoreResult<()> {
                sqlx::migrate!($migrations)
                    .run(&self.pool)
                    .await
                    .map_err(|e| match e {
                        // Reaching the database can be retried; a migration it refuses cannot.
                        sqlx::migrate::MigrateError::Execute(e) => map_err(e),
                        other => StoreError::Refused(other.to_string()),
                    })
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_err)?;
                Ok(())
            }

            async fn create_game(
                &self,
                game: &GameRow,
                seats: &[SeatRow],
                events: &[String],
                status: GameStatus,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                Self::insert_game(&mut tx, game, seats, events, status, None).await?;
                tx.commit().await.map_err(map_err)
            }

            async fn add_seat(&self, seat: &SeatRow, limit: Option<u32>) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                if !Self::lock_and_check(&mut tx, seat.game_id, seat.faction.as_deref(), limit).await? {
                    return Ok(false);
                }
                Self::insert_seat(&mut *tx, seat).await?;
                tx.commit().await.map_err(map_err)?;
                Ok(true)
            }

            async fn move_seat(
                &self,
                game: Uuid,
                seat: Uuid,
                role: SeatRole,
                faction: Option<&str>,
                limit: Option<u32>,
            ) -> StoreResult<SeatMove> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                if !Self::lock_and_check(&mut tx, game, faction, limit).await? {
                    return Ok(SeatMove::Full);
                }
                let row = sqlx::query(
                    "UPDATE seats SET role = $1, faction = $2 \
                     WHERE id = $3 AND game_id = $4 AND role IN ('faction', 'observer') RETURNING *",
                )
                .bind(role.as_str())
                .bind(faction)
                .bind(seat.to_string())
                .bind(game.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
                let Some(row) = row else {
                    return Ok(SeatMove::NotFound);
                };
                let moved = Self::seat_row(&row)?;
                tx.commit().await.map_err(map_err)?;
                Ok(SeatMove::Moved(moved))
            }

            async fn revoke_seat(&self, game: Uuid, seat: Uuid, token_hash: &[u8]) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE seats SET role = 'revoked', token_hash = $1 \
                     WHERE id = $2 AND game_id = $3 AND role = 'agent'",
                )
                .bind(token_hash)
                .bind(seat.to_string())
                .bind(game.to_string())
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn claim_game(&self, game: Uuid, node: &str, lease_ms: i64) -> StoreResult<Option<i64>> {
                // Every claim raises the epoch, a claim of the same node too: a task of this
                // node that claimed before (and has not yet stopped) is fenced as well. A table
                // of a class is not claimed while another node's lease runs on another table of
                // the class: a class stays on one node.
                let claim = sqlx::query_scalar(concat!(
                    "UPDATE games SET owner_epoch = owner_epoch + 1, \
                         owner_node = $2, lease_until = ", $now, " + $3 \
                     WHERE id = $1 AND (owner_node IS NULL OR owner_node = $2 OR lease_until < ", $now, ") \
                       AND NOT EXISTS (SELECT 1 FROM games s WHERE s.class_id = games.class_id \
                           AND s.id <> games.id AND s.owner_node <> $2 AND s.lease_until >= ", $now, ") \
                     RETURNING owner_epoch"
                ))
                .bind(game.to_string())
                .bind(node)
                .bind(lease_ms);
                if $kind == "sqlite" {
                    // One writer at a time: the statement's check and its update are one step.
                    return claim.fetch_optional(&self.pool).await.map_err(map_err);
                }
                // Postgres: two nodes claiming two tables of a class at once would each see the
                // other's table unclaimed. The class row's lock orders them, and the update, a
                // statement of its own, reads the sibling claims committed before it.
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                sqlx::query(
                    "SELECT c.id FROM classes c JOIN games g ON g.class_id = c.id \
                     WHERE g.id = $1 FOR NO KEY UPDATE OF c",
                )
                .bind(game.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
                let epoch = claim.fetch_optional(&mut *tx).await.map_err(map_err)?;
                tx.commit().await.map_err(map_err)?;
                Ok(epoch)
            }

            async fn renew_leases(&self, node: &str, lease_ms: i64, games: &[Uuid]) -> StoreResult<Vec<Uuid>> {
                if games.is_empty() {
                    return Ok(Vec::new());
                }
                // Only a claim changes the owner: a lease that ran out with nobody claiming the
                // game is still this node's to renew. The games come as a JSON array.
                let ids: Vec<String> = games.iter().map(Uuid::to_string).collect();
                let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let renewed: Vec<String> = sqlx::query_scalar(concat!(
                    "UPDATE games SET lease_until = ", $now, " + $2 \
                     WHERE owner_node = $1 AND id IN (", $json_ids, ") RETURNING id"
                ))
                .bind(node)
                .bind(lease_ms)
                .bind(ids)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                renewed.iter().map(|id| uuid(id)).collect()
            }

            async fn games_to_take(&self) -> StoreResult<Vec<Uuid>> {
                // A class's tables together and in order: nodes sweeping at once meet on the
                // same first table, and whoever takes it takes the rest of the class.
                let ids: Vec<String> = sqlx::query_scalar(concat!(
                    "SELECT id FROM games WHERE ended = 0 AND deadline_at IS NOT NULL \
                     AND lease_until < ", $now, " ORDER BY class_id, table_no, id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                ids.iter().map(|id| uuid(id)).collect()
            }

            async fn release_game(&self, game: Uuid, node: &str, epoch: i64) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE games SET owner_node = NULL, lease_until = 0 \
                     WHERE id = $1 AND owner_node = $2 AND owner_epoch = $3",
                )
                .bind(game.to_string())
                .bind(node)
                .bind(epoch)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            }

            async fn announce_class(&self, node: &str, class: Uuid, started: bool) -> StoreResult<()> {
                self.announce(node, class, started).await
            }

            async fn hear_classes(
                &self,
                node: String,
                ring: Arc<dyn Fn(Uuid, bool) + Send + Sync>,
                stop: tokio::sync::watch::Receiver<bool>,
            ) {
                self.hear(node, ring, stop).await
            }

            async fn register_node(&self, node: &NodeRow) -> StoreResult<()> {
                sqlx::query(concat!(
                    "INSERT INTO nodes (id, internal_url, secret, started_at) VALUES ($1, $2, $3, ", $now, ") \
                     ON CONFLICT (id) DO UPDATE SET internal_url = excluded.internal_url, \
                         secret = excluded.secret, started_at = excluded.started_at"
                ))
                .bind(&node.id)
                .bind(&node.internal_url)
                .bind(&node.secret)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn node(&self, id: &str) -> StoreResult<Option<NodeRow>> {
                let row: Option<(String, String, String)> =
                    sqlx::query_as("SELECT id, internal_url, secret FROM nodes WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_err)?;
                Ok(row.map(|(id, internal_url, secret)| NodeRow { id, internal_url, secret }))
            }

            async fn game_home(&self, game: Uuid) -> StoreResult<Option<NodeRow>> {
                // The game itself first, then its class's tables in order.
                let row: Option<(String, String, String)> = sqlx::query_as(concat!(
                    "SELECT n.id, n.internal_url, n.secret FROM games g JOIN nodes n ON n.id = g.owner_node \
                     WHERE g.lease_until >= ", $now, " \
                       AND (g.id = $1 OR g.class_id = (SELECT class_id FROM games WHERE id = $1)) \
                     ORDER BY CASE WHEN g.id = $1 THEN 0 ELSE 1 END, g.table_no LIMIT 1"
                ))
                .bind(game.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(row.map(|(id, internal_url, secret)| NodeRow { id, internal_url, secret }))
            }

            async fn seat_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<SeatRow>> {
                let row = sqlx::query("SELECT * FROM seats WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::seat_row).transpose()
            }

            async fn seats(&self, game: Uuid) -> StoreResult<Vec<SeatRow>> {
                let rows = sqlx::query("SELECT * FROM seats WHERE game_id = $1 ORDER BY created_at, id")
                    .bind(game.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(Self::seat_row).collect()
            }

            async fn game(&self, id: Uuid) -> StoreResult<Option<GameRow>> {
                let row = sqlx::query("SELECT * FROM games WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::game_row).transpose()
            }

            async fn game_by_code(&self, code: &str) -> StoreResult<Option<GameRow>> {
                let row = sqlx::query("SELECT * FROM games WHERE join_code = $1")
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::game_row).transpose()
            }

            async fn events_before(
                &self,
                game: Uuid,
                before: i64,
                limit: u32,
            ) -> StoreResult<Vec<(i64, String)>> {
                let rows = sqlx::query(
                    "SELECT seq, body FROM events WHERE game_id = $1 AND seq < $2 \
                     ORDER BY seq DESC LIMIT $3",
                )
                .bind(game.to_string())
                .bind(before)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                let mut out = rows.iter().map(Self::seq_body).collect::<StoreResult<Vec<_>>>()?;
                out.reverse();
                Ok(out)
            }

            async fn events_after(&self, game: Uuid, after: i64) -> StoreResult<Vec<(i64, String)>> {
                let rows = sqlx::query(
                    "SELECT seq, body FROM events WHERE game_id = $1 AND seq > $2 ORDER BY seq",
                )
                .bind(game.to_string())
                .bind(after)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter().map(Self::seq_body).collect()
            }

            async fn append_many(&self, batch: &[Append]) -> Vec<StoreResult<i64>> {
                self.append_many_impl(batch).await
            }

            fn commit_slots(&self) -> usize {
                $slots
            }

            async fn record_command(&self, command: &CommandRow) -> StoreResult<()> {
                Self::insert_command(&self.pool, command).await
            }

            async fn command(
                &self,
                game: Uuid,
                seat: Uuid,
                client_id: &str,
            ) -> StoreResult<Option<CommandRow>> {
                let row = sqlx::query(
                    "SELECT * FROM commands WHERE game_id = $1 AND seat_id = $2 AND client_id = $3",
                )
                .bind(game.to_string())
                .bind(seat.to_string())
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
                row.map(|r| {
                    Ok(CommandRow {
                        game_id: uuid(&r.try_get::<String, _>("game_id").map_err(map_err)?)?,
                        seat_id: uuid(&r.try_get::<String, _>("seat_id").map_err(map_err)?)?,
                        client_id: r.try_get("client_id").map_err(map_err)?,
                        request_hash: r.try_get("request_hash").map_err(map_err)?,
                        result: r.try_get("result").map_err(map_err)?,
                        created_at: r.try_get("created_at").map_err(map_err)?,
                    })
                })
                .transpose()
            }

            async fn live_games(&self) -> StoreResult<Vec<GameRow>> {
                let rows = sqlx::query("SELECT * FROM games WHERE ended = 0 ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(Self::game_row).collect()
            }

            async fn forget_commands(&self, before: i64) -> StoreResult<u64> {
                let done = sqlx::query("DELETE FROM commands WHERE created_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected())
            }

            async fn create_class(&self, class: &ClassRow) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO classes (id, join_code, name, scenario, settings, teacher_token_hash, created_at, started_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(class.id.to_string())
                .bind(&class.join_code)
                .bind(&class.name)
                .bind(&class.scenario)
                .bind(&class.settings)
                .bind(&class.teacher_token_hash)
                .bind(class.created_at)
                .bind(class.started_at)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            async fn class(&self, id: Uuid) -> StoreResult<Option<ClassRow>> {
                let row = sqlx::query("SELECT * FROM classes WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::class_row).transpose()
            }

            async fn class_by_code(&self, code: &str) -> StoreResult<Option<ClassRow>> {
                let row = sqlx::query("SELECT * FROM classes WHERE join_code = $1")
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::class_row).transpose()
            }

            async fn class_by_teacher(&self, token_hash: &[u8]) -> StoreResult<Option<ClassRow>> {
                let row = sqlx::query("SELECT * FROM classes WHERE teacher_token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::class_row).transpose()
            }

            async fn add_member(&self, m: &MemberRow) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                // The class row's write lock orders concurrent joins (as seats are ordered
                // under their game's), so each gets the next number, and orders joins against
                // Start: once started, nobody is added to the roster.
                if !Self::lock_open_class(&mut tx, m.class_id).await? {
                    return Ok(false);
                }
                Self::insert_member(&mut tx, m).await?;
                tx.commit().await.map_err(map_err)?;
                Ok(true)
            }

            async fn seat_late_member(&self, m: &MemberRow, at: LateSeat<'_>) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                // The class row's lock, once started: late joins one at a time.
                let locked = sqlx::query(
                    "UPDATE classes SET join_code = join_code WHERE id = $1 AND started_at IS NOT NULL",
                )
                .bind(m.class_id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if locked.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_member(&mut tx, m).await?;
                match at {
                    LateSeat::Existing { seat, limit } => {
                        if !Self::lock_and_check(&mut tx, seat.game_id, seat.faction.as_deref(), Some(limit)).await? {
                            return Ok(false);
                        }
                        Self::insert_seat(&mut *tx, seat).await?;
                    }
                    LateSeat::NewTable(t) => {
                        let taken = sqlx::query("SELECT 1 FROM games WHERE class_id = $1 AND table_no = $2")
                            .bind(m.class_id.to_string())
                            .bind(i64::from(t.table_no))
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(map_err)?;
                        if taken.is_some() {
                            return Ok(false);
                        }
                        Self::insert_game(
                            &mut tx,
                            &t.game,
                            &t.seats,
                            &t.events,
                            t.status,
                            Some((m.class_id, t.table_no)),
                        )
                        .await?;
                    }
                }
                tx.commit().await.map_err(map_err)?;
                Ok(true)
            }

            async fn member_by_token(&self, token_hash: &[u8]) -> StoreResult<Option<MemberRow>> {
                let row = sqlx::query("SELECT * FROM class_members WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(Self::member_row).transpose()
            }

            async fn members(&self, class: Uuid) -> StoreResult<Vec<MemberRow>> {
                let rows = sqlx::query(
                    "SELECT * FROM class_members WHERE class_id = $1 ORDER BY seq",
                )
                .bind(class.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter().map(Self::member_row).collect()
            }

            async fn pin_member(
                &self,
                class: Uuid,
                member: Uuid,
                pin: Option<(u32, &str)>,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                if !Self::lock_open_class(&mut tx, class).await? {
                    return Ok(false);
                }
                let done = sqlx::query(
                    "UPDATE class_members SET pinned_table = $1, pinned_faction = $2 \
                     WHERE id = $3 AND class_id = $4",
                )
                .bind(pin.map(|(t, _)| i64::from(t)))
                .bind(pin.map(|(_, f)| f))
                .bind(member.to_string())
                .bind(class.to_string())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                tx.commit().await.map_err(map_err)?;
                Ok(true)
            }

            async fn start_class(
                &self,
                class: Uuid,
                started_at: i64,
                roster: &[MemberRow],
                tables: &[NewTable],
            ) -> StoreResult<ClassStart> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                // Joins and pins take the same lock: from here until the commit, the roster
                // cannot change, and what changed before is read below.
                if !Self::lock_open_class(&mut tx, class).await? {
                    return Ok(ClassStart::AlreadyStarted);
                }
                let now: Vec<MemberRow> = sqlx::query(
                    "SELECT * FROM class_members WHERE class_id = $1 ORDER BY seq",
                )
                .bind(class.to_string())
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?
                .iter()
                .map(Self::member_row)
                .collect::<StoreResult<_>>()?;
                if now != roster {
                    return Ok(ClassStart::RosterChanged);
                }
                sqlx::query("UPDATE classes SET started_at = $1 WHERE id = $2")
                    .bind(started_at)
                    .bind(class.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                for t in tables {
                    Self::insert_game(
                        &mut tx,
                        &t.game,
                        &t.seats,
                        &t.events,
                        t.status,
                        Some((class, t.table_no)),
                    )
                    .await?;
                }
                tx.commit().await.map_err(map_err)?;
                Ok(ClassStart::Started)
            }

            async fn game_class(&self, game: Uuid) -> StoreResult<Option<(Uuid, u32)>> {
                let row = sqlx::query("SELECT class_id, table_no FROM games WHERE id = $1")
                    .bind(game.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let class: Option<String> = row.try_get("class_id").map_err(map_err)?;
                let table: Option<i64> = row.try_get("table_no").map_err(map_err)?;
                match (class, table) {
                    (Some(c), Some(t)) => {
                        let c = Uuid::parse_str(&c)
                            .map_err(|e| StoreError::Corrupt(format!("class id {c}: {e}")))?;
                        let t = u32::try_from(t)
                            .map_err(|_| StoreError::Corrupt(format!("table number {t}")))?;
                        Ok(Some((c, t)))
                    }
                    _ => Ok(None),
                }
            }

            async fn class_tables(&self, class: Uuid) -> StoreResult<Vec<(u32, GameRow)>> {
                let rows = sqlx::query(
                    "SELECT * FROM games WHERE class_id = $1 ORDER BY table_no",
                )
                .bind(class.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        let t: i64 = r.try_get("table_no").map_err(map_err)?;
                        let t = u32::try_from(t)
                            .map_err(|_| StoreError::Corrupt(format!("table number {t}")))?;
                        Ok((t, Self::game_row(r)?))
                    })
                    .collect()
            }
        }
    };
}

// Postgres: two batches in flight, so that one slow statement (a lock wait, a descheduled
// backend) does not hold every game's commit; on the 2-core test machine 1, 2 and 4 slots
// gave the same throughput and 2 the lower tail more often (docs/operations.md). SQLite has
// one writer at a time.
sql_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    "../migrations/postgres",
    2,
    // The database's clock, in ms since the Unix epoch: leases are compared with one clock.
    "(extract(epoch from clock_timestamp()) * 1000)::bigint",
    // The ids of a JSON array of strings ($3).
    "SELECT json_array_elements_text($3::json)"
);
sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    "sqlite",
    "../migrations/sqlite",
    1,
    "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
    "SELECT value FROM json_each($3)"
);

/// The channel on which nodes announce class changes (`NOTIFY`): `<node> <class> <0|1>`.
const CLASS_CHANNEL: &str = "detente_class";

impl PgStore {
    async fn announce(&self, node: &str, class: Uuid, started: bool) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CLASS_CHANNEL)
            .bind(format!("{node} {class} {}", u8::from(started)))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn hear(
        &self,
        node: String,
        ring: Arc<dyn Fn(Uuid, bool) + Send + Sync>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        // Paced here, one try a second while the database is away: the listener's own eager
        // reconnection retries in a tight loop when connections fail at once.
        let mut listener: Option<sqlx::postgres::PgListener> = None;
        loop {
            let heard = async {
                if listener.is_none() {
                    let mut l = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
                    l.eager_reconnect(false);
                    l.listen(CLASS_CHANNEL).await?;
                    listener = Some(l);
                }
                let Some(l) = listener.as_mut() else {
                    return Ok(None);
                };
                l.try_recv().await
            };
            let wait = tokio::select! {
                r = heard => match r {
                    Ok(Some(n)) => {
                        let mut parts = n.payload().split(' ');
                        if let (Some(from), Some(class), Some(started)) =
                            (parts.next(), parts.next(), parts.next())
                        {
                            if let (true, Ok(class)) = (from != node, Uuid::parse_str(class)) {
                                ring(class, started == "1");
                            }
                        }
                        false
                    }
                    // The connection dropped: the listener connects again at the next try
                    // (what was announced meanwhile is lost; class connections read their
                    // class again every 15 s).
                    Ok(None) => true,
                    Err(e) => {
                        tracing::warn!(error = %e, "not hearing other nodes' class changes; listening again in a second");
                        listener = None;
                        true
                    }
                },
                _ = stop.wait_for(|s| *s) => return,
            };
            if wait {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }
    }
}

impl SqliteStore {
    /// One node on SQLite: nobody else to tell.
    async fn announce(&self, _node: &str, _class: Uuid, _started: bool) -> StoreResult<()> {
        Ok(())
    }

    async fn hear(
        &self,
        _node: String,
        _ring: Arc<dyn Fn(Uuid, bool) + Send + Sync>,
        _stop: tokio::sync::watch::Receiver<bool>,
    ) {
    }
}

impl SqliteStore {
    /// One transaction; each append inside its own savepoint, so one that conflicts or repeats
    /// a command id leaves no trace while the others stand.
    async fn append_many_impl(&self, batch: &[Append]) -> Vec<StoreResult<i64>> {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => return all_failed(batch, &map_err(e)),
        };
        let mut results = Vec::with_capacity(batch.len());
        for a in batch {
            let result = match sqlx::Connection::begin(&mut *tx).await {
                Ok(mut one) => match Self::append_one(&mut one, a).await {
                    Ok(last) => one.commit().await.map(|_| last).map_err(map_err),
                    Err(e) => {
                        let _ = one.rollback().await;
                        Err(e)
                    }
                },
                Err(e) => Err(map_err(e)),
            };
            results.push(result);
        }
        if let Err(e) = tx.commit().await {
            return all_failed(batch, &map_err(e));
        }
        results
    }

    async fn append_one(tx: &mut sqlx::SqliteConnection, a: &Append) -> StoreResult<i64> {
        let new_last = a.last_seq + a.events.len() as i64;
        let moved = sqlx::query(
            "UPDATE games SET last_seq = $1, deadline_at = $2, ended = $3 \
             WHERE id = $4 AND last_seq = $5 AND owner_epoch = $6",
        )
        .bind(new_last)
        .bind(a.status.deadline_at)
        .bind(i64::from(a.status.ended))
        .bind(a.game.to_string())
        .bind(a.last_seq)
        .bind(a.epoch)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if moved.rows_affected() != 1 {
            let now: Option<i64> =
                sqlx::query_scalar("SELECT owner_epoch FROM games WHERE id = $1")
                    .bind(a.game.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
            return Err(refusal(a, now));
        }
        let now = a.command.as_ref().map(|c| c.created_at).unwrap_or(0);
        for (i, body) in a.events.iter().enumerate() {
            sqlx::query(
                "INSERT INTO events (game_id, seq, body, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(a.game.to_string())
            .bind(a.last_seq + i as i64 + 1)
            .bind(body)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        if let Some(c) = &a.command {
            Self::insert_command(&mut *tx, c).await?;
        }
        Ok(new_last)
    }
}

impl PgStore {
    /// One statement for the whole batch, so one round trip and one WAL flush: data-modifying
    /// CTEs move each game's last sequence (only where it is still the append's `last_seq`),
    /// then insert the events and command records of the appends whose game moved. Measured:
    /// a transaction of separate statements per command cost Postgres most of its CPU at a
    /// few thousand commands a second.
    ///
    /// (`games.id = ANY($1)` repeats the join's key so that the planner finds the games by
    /// their index: joined to the unnested arrays alone, whose size it cannot know, it chose
    /// to scan the whole table.)
    ///
    /// A command id already recorded fails the statement as a whole (unique key); the appends
    /// are then committed one by one, so only the repeated one fails.
    async fn append_many_impl(&self, batch: &[Append]) -> Vec<StoreResult<i64>> {
        match self.append_statement(batch).await {
            Err(StoreError::Duplicate(_)) if batch.len() > 1 => {
                let mut results = Vec::with_capacity(batch.len());
                for a in batch {
                    results.push(match self.append_statement(std::slice::from_ref(a)).await {
                        Ok(mut r) => r.pop().unwrap_or_else(|| Err(StoreError::missing_result())),
                        Err(e) => Err(e),
                    });
                }
                results
            }
            Err(e) => all_failed(batch, &e),
            Ok(results) => results,
        }
    }

    async fn append_statement(&self, batch: &[Append]) -> StoreResult<Vec<StoreResult<i64>>> {
        // The batch as columns, one array per parameter; `i` numbers the appends from 1.
        let mut g = GameColumns::default();
        let mut ev = EventColumns::default();
        let mut cm = CommandColumns::default();
        for (i, a) in batch.iter().enumerate() {
            let i = i as i64 + 1;
            let game = a.game.to_string();
            let now = a.command.as_ref().map(|c| c.created_at).unwrap_or(0);
            for (k, body) in a.events.iter().enumerate() {
                ev.i.push(i);
                ev.game.push(game.clone());
                ev.seq.push(a.last_seq + k as i64 + 1);
                ev.body.push(body);
                ev.created_at.push(now);
            }
            if let Some(c) = &a.command {
                cm.i.push(i);
                cm.game.push(game.clone());
                cm.seat.push(c.seat_id.to_string());
                cm.client_id.push(&c.client_id);
                cm.request_hash.push(&c.request_hash);
                cm.result.push(&c.result);
                cm.created_at.push(c.created_at);
            }
            g.id.push(game);
            g.epoch.push(a.epoch);
            g.last_seq.push(a.last_seq);
            g.new_last.push(a.last_seq + a.events.len() as i64);
            g.deadline_at.push(a.status.deadline_at);
            g.ended.push(i64::from(a.status.ended));
        }
        let mut conn = match self.appenders.take() {
            Some((mut conn, used)) => {
                if used.elapsed() > PING_AFTER_IDLE {
                    use sqlx::Connection;
                    conn.ping().await.map_err(map_err)?;
                }
                conn
            }
            None => self.pool.acquire().await.map_err(map_err)?,
        };
        let moved: sqlx::Result<Vec<i64>> = sqlx::query_scalar(
            "WITH r AS ( \
                 SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], \
                                      $18::int8[]) \
                     WITH ORDINALITY AS r(game_id, last_seq, new_last, deadline_at, ended, epoch, i) \
             ), g AS ( \
                 UPDATE games SET last_seq = r.new_last, deadline_at = r.deadline_at, ended = r.ended \
                 FROM r WHERE games.id = r.game_id AND games.last_seq = r.last_seq \
                     AND games.owner_epoch = r.epoch AND games.id = ANY($1) \
                 RETURNING r.i \
             ), e AS ( \
                 INSERT INTO events (game_id, seq, body, created_at) \
                 SELECT x.game_id, x.seq, x.body, x.created_at \
                 FROM unnest($6::int8[], $7::text[], $8::int8[], $9::text[], $10::int8[]) \
                     AS x(i, game_id, seq, body, created_at) \
                 JOIN g ON g.i = x.i \
             ), c AS ( \
                 INSERT INTO commands (game_id, seat_id, client_id, request_hash, result, created_at) \
                 SELECT x.game_id, x.seat_id, x.client_id, x.request_hash, x.result, x.created_at \
                 FROM unnest($11::int8[], $12::text[], $13::text[], $14::text[], $15::bytea[], \
                             $16::text[], $17::int8[]) \
                     AS x(i, game_id, seat_id, client_id, request_hash, result, created_at) \
                 JOIN g ON g.i = x.i \
             ) \
             SELECT i FROM g",
        )
        .bind(&g.id)
        .bind(&g.last_seq)
        .bind(&g.new_last)
        .bind(&g.deadline_at)
        .bind(&g.ended)
        .bind(&ev.i)
        .bind(&ev.game)
        .bind(&ev.seq)
        .bind(&ev.body)
        .bind(&ev.created_at)
        .bind(&cm.i)
        .bind(&cm.game)
        .bind(&cm.seat)
        .bind(&cm.client_id)
        .bind(&cm.request_hash)
        .bind(&cm.result)
        .bind(&cm.created_at)
        .bind(&g.epoch)
        .fetch_all(&mut *conn)
        .await;
        // A database error (a repeated command id) leaves the connection sound; anything else
        // may not have.
        if matches!(moved, Ok(_) | Err(sqlx::Error::Database(_))) {
            self.appenders.keep(conn);
        }
        let moved = moved.map_err(map_err)?;
        let mut done = vec![false; batch.len()];
        for i in moved {
            if let Some(d) = usize::try_from(i - 1).ok().and_then(|i| done.get_mut(i)) {
                *d = true;
            }
        }
        // Appends that did not move their game: another owner (fenced), or another writer
        // first (a conflict). Rare, so their games' epochs are read only then.
        let mut epochs = std::collections::HashMap::new();
        if done.iter().any(|d| !d) {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT id, owner_epoch FROM games WHERE id = ANY($1)")
                    .bind(&g.id)
                    .fetch_all(&self.pool)
                    .await
                    // Unread (the database just failed): answered as conflicts, the task
                    // reloads and finds out.
                    .unwrap_or_default();
            epochs.extend(rows);
        }
        Ok(batch
            .iter()
            .zip(done)
            .zip(g.new_last)
            .map(|((a, done), new_last)| {
                if done {
                    Ok(new_last)
                } else {
                    Err(refusal(a, epochs.get(&a.game.to_string()).copied()))
                }
            })
            .collect())
    }
}

/// Why `a` did not move its game: the game is at another epoch (`now`) than the append holds,
/// or (same epoch, or no such game) its log is not at the append's `last_seq`.
fn refusal(a: &Append, now: Option<i64>) -> StoreError {
    match now {
        Some(now) if now != a.epoch => StoreError::Fenced { held: a.epoch, now },
        _ => StoreError::Conflict {
            expected: a.last_seq,
        },
    }
}

/// A batch's games, as the append statement's array parameters.
#[derive(Default)]
struct GameColumns {
    id: Vec<String>,
    epoch: Vec<i64>,
    last_seq: Vec<i64>,
    new_last: Vec<i64>,
    deadline_at: Vec<Option<i64>>,
    ended: Vec<i64>,
}

/// A batch's events; `i` is the number of the append each belongs to.
#[derive(Default)]
struct EventColumns<'a> {
    i: Vec<i64>,
    game: Vec<String>,
    seq: Vec<i64>,
    body: Vec<&'a str>,
    created_at: Vec<i64>,
}

/// A batch's command records; `i` as in [`EventColumns`].
#[derive(Default)]
struct CommandColumns<'a> {
    i: Vec<i64>,
    game: Vec<String>,
    seat: Vec<String>,
    client_id: Vec<&'a str>,
    request_hash: Vec<&'a [u8]>,
    result: Vec<&'a str>,
    created_at: Vec<i64>,
}
