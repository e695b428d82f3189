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
use std::time::Duration;

/// Postgres: the store for deployments.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
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
            .connect_lazy(url)
            .map_err(map_err)?;
        Ok(PgStore { pool })
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
            .connect_with(options)
            .await
            .map_err(map_err)?;
        Ok(SqliteStore { pool })
    }
}

fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(db.message().to_owned())
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Unavailable(e.to_string()),
    }
}

fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("bad id {s:?}: {e}")))
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $kind:literal, $migrations:literal) => {
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

            fn seat_row(row: &<$db as sqlx::Database>::Row) -> StoreResult<SeatRow> {
                Ok(SeatRow {
                    id: uuid(&row.try_get::<String, _>("id").map_err(map_err)?)?,
                    game_id: uuid(&row.try_get::<String, _>("game_id").map_err(map_err)?)?,
                    role: row.try_get("role").map_err(map_err)?,
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
                .bind(&seat.role)
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
                let (Some(faction), Some(limit)) = (faction, limit) else {
                    return Ok(true);
                };
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM seats WHERE game_id = $1 AND faction = $2",
                )
                .bind(game.to_string())
                .bind(faction)
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
                    .map_err(|e| StoreError::Unavailable(e.to_string()))
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
                sqlx::query(
                    "INSERT INTO games (id, join_code, scenario, control_token_hash, created_at, last_seq, deadline_at, ended) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(game.id.to_string())
                .bind(&game.join_code)
                .bind(&game.scenario)
                .bind(&game.control_token_hash)
                .bind(game.created_at)
                .bind(events.len() as i64)
                .bind(status.deadline_at)
                .bind(i64::from(status.ended))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                for s in seats {
                    Self::insert_seat(&mut *tx, s).await?;
                }
                for (i, body) in events.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO events (game_id, seq, body, created_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(game.id.to_string())
                    .bind(i as i64 + 1)
                    .bind(body)
                    .bind(game.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
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
                role: &str,
                faction: Option<&str>,
                limit: Option<u32>,
            ) -> StoreResult<SeatMove> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                if !Self::lock_and_check(&mut tx, game, faction, limit).await? {
                    return Ok(SeatMove::Full);
                }
                let row = sqlx::query(
                    "UPDATE seats SET role = $1, faction = $2 \
                     WHERE id = $3 AND game_id = $4 AND role <> 'control' RETURNING *",
                )
                .bind(role)
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

            async fn events_after(&self, game: Uuid, after: i64) -> StoreResult<Vec<(i64, String)>> {
                let rows = sqlx::query(
                    "SELECT seq, body FROM events WHERE game_id = $1 AND seq > $2 ORDER BY seq",
                )
                .bind(game.to_string())
                .bind(after)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<i64, _>("seq").map_err(map_err)?,
                            r.try_get::<String, _>("body").map_err(map_err)?,
                        ))
                    })
                    .collect()
            }

            async fn append(
                &self,
                game: Uuid,
                last_seq: i64,
                events: &[String],
                command: Option<&CommandRow>,
                status: GameStatus,
            ) -> StoreResult<i64> {
                self.append_impl(game, last_seq, events, command, status).await
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
        }
    };
}

sql_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    "../migrations/postgres"
);
sql_store!(SqliteStore, sqlx::Sqlite, "sqlite", "../migrations/sqlite");

impl SqliteStore {
    /// Appends in one transaction of separate statements.
    async fn append_impl(
        &self,
        game: Uuid,
        last_seq: i64,
        events: &[String],
        command: Option<&CommandRow>,
        status: GameStatus,
    ) -> StoreResult<i64> {
        let new_last = last_seq + events.len() as i64;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let moved = sqlx::query(
            "UPDATE games SET last_seq = $1, deadline_at = $2, ended = $3 \
             WHERE id = $4 AND last_seq = $5",
        )
        .bind(new_last)
        .bind(status.deadline_at)
        .bind(i64::from(status.ended))
        .bind(game.to_string())
        .bind(last_seq)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict { expected: last_seq });
        }
        let now = command.map(|c| c.created_at).unwrap_or(0);
        for (i, body) in events.iter().enumerate() {
            sqlx::query(
                "INSERT INTO events (game_id, seq, body, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(game.to_string())
            .bind(last_seq + i as i64 + 1)
            .bind(body)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        if let Some(c) = command {
            Self::insert_command(&mut *tx, c).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(new_last)
    }
}

impl PgStore {
    /// One statement, so one round trip: data-modifying CTEs move the game's last sequence
    /// (only if it is still `last_seq`), insert the events and the command's record, all or
    /// nothing. Measured: a transaction of separate statements cost Postgres most of its CPU
    /// at a few thousand commands a second.
    async fn append_impl(
        &self,
        game: Uuid,
        last_seq: i64,
        events: &[String],
        command: Option<&CommandRow>,
        status: GameStatus,
    ) -> StoreResult<i64> {
        let new_last = last_seq + events.len() as i64;
        let now = command.map(|c| c.created_at).unwrap_or(0);
        let row = sqlx::query(
            "WITH g AS ( \
                 UPDATE games SET last_seq = $1, deadline_at = $2, ended = $3 \
                 WHERE id = $4 AND last_seq = $5 RETURNING id \
             ), e AS ( \
                 INSERT INTO events (game_id, seq, body, created_at) \
                 SELECT g.id, $5 + t.ord, t.body, $6 \
                 FROM g, unnest($7::text[]) WITH ORDINALITY AS t(body, ord) \
             ), c AS ( \
                 INSERT INTO commands (game_id, seat_id, client_id, request_hash, result, created_at) \
                 SELECT g.id, $8, $9, $10, $11, $6 FROM g WHERE $9::text IS NOT NULL \
             ) \
             SELECT count(*) AS moved FROM g",
        )
        .bind(new_last)
        .bind(status.deadline_at)
        .bind(i64::from(status.ended))
        .bind(game.to_string())
        .bind(last_seq)
        .bind(now)
        .bind(events.to_vec())
        .bind(command.map(|c| c.seat_id.to_string()))
        .bind(command.map(|c| c.client_id.clone()))
        .bind(command.map(|c| c.request_hash.clone()))
        .bind(command.map(|c| c.result.clone()))
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        let moved: i64 = row.try_get("moved").map_err(map_err)?;
        if moved != 1 {
            return Err(StoreError::Conflict { expected: last_seq });
        }
        Ok(new_last)
    }
}
