//! Class connections on `/ws` (decision record 0011): `hello` with a class's teacher token, or
//! with a student's token before the class starts. The teacher's connection carries the class
//! console's live updates: the roster as students join, then each table's public status
//! whenever it changes. A student's connection waits for Start and then closes with 4000: the
//! same token opens the student's seat from then on.
//!
//! Nothing here reads a game's secrets: a table's status is [`crate::engine::Game::table_status`],
//! public information, with counts of who sits and who is connected.

use super::presence::Listening;
use super::ws::{send, Ending, Socket};
use super::AppState;
use crate::game::seating::token_hash;
use crate::protocol::{close, ClassRole, ClassTableRef, ClientFrame, ErrorCode, ServerFrame};
use crate::store::{ClassRow, MemberRow, Store, StoreResult};
use futures_util::StreamExt;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

/// Updates of one kind (the roster, a table) go out at most this often: a burst of joins or
/// of moves at a table is one frame, and a change shows within this time.
const COALESCE: Duration = Duration::from_millis(250);

/// Who a class token belongs to.
pub(super) enum ClassToken {
    /// The teacher's class, and their token (it derives the tables' Control tokens).
    Teacher(ClassRow, String),
    Student(ClassRow, MemberRow),
}

/// The class a token opens, if it is a class's token (and not a seat's).
pub(super) async fn class_token<S: Store>(
    store: &S,
    token: &str,
) -> StoreResult<Option<ClassToken>> {
    let hash = token_hash(token);
    if let Some(class) = store.class_by_teacher(&hash).await? {
        return Ok(Some(ClassToken::Teacher(class, token.to_owned())));
    }
    let Some(member) = store.member_by_token(&hash).await? else {
        return Ok(None);
    };
    Ok(store
        .class(member.class_id)
        .await?
        .map(|class| ClassToken::Student(class, member)))
}

/// For a started class's teacher: a table of the class when another node runs its tables
/// (the connection is relayed there, where the tables' statuses are). A student's connection
/// only waits for Start, which every node hears (`ClassBells`).
pub(super) async fn elsewhere<S: Store>(st: &AppState<S>, who: &ClassToken) -> Option<Uuid> {
    let ClassToken::Teacher(class, _) = who else {
        return None;
    };
    class.started_at?;
    class_elsewhere(st, class.id).await
}

/// A table of `class` when another node runs the class's tables.
async fn class_elsewhere<S: Store>(st: &AppState<S>, class: Uuid) -> Option<Uuid> {
    let (_, first) = st
        .registry
        .store()
        .class_tables(class)
        .await
        .ok()?
        .into_iter()
        .next()?;
    super::forward::owner(st, first.id).await.map(|_| first.id)
}

/// How long a table that cannot be reached waits before the console tries it again.
const RETRY_TABLE: Duration = Duration::from_secs(2);

/// Runs a class connection until it ends.
pub(super) async fn run<S: Store>(
    st: &AppState<S>,
    socket: &mut Socket,
    who: ClassToken,
) -> Ending {
    let class_id = match &who {
        ClassToken::Teacher(c, _) | ClassToken::Student(c, _) => c.id,
    };
    // Listening before reading: a change made after the read rings.
    let listening = st.class_bells.listen(class_id);
    match who {
        ClassToken::Teacher(_, token) => {
            Box::pin(teacher(st, socket, class_id, &token, listening)).await
        }
        ClassToken::Student(class, member) => {
            Box::pin(student(st, socket, class, member, listening)).await
        }
    }
}

fn unavailable() -> Ending {
    Some((close::GOING_AWAY, "unavailable"))
}

async fn welcome<S: Store>(
    st: &AppState<S>,
    class: &ClassRow,
    role: ClassRole,
    you: Option<String>,
) -> StoreResult<(ServerFrame, Vec<ClassTableRef>)> {
    let store = st.registry.store();
    let students = store.members(class.id).await?.len() as u32;
    let tables: Vec<ClassTableRef> = if role == ClassRole::Teacher && class.started_at.is_some() {
        store
            .class_tables(class.id)
            .await?
            .into_iter()
            .map(|(table, g)| ClassTableRef {
                table,
                game_id: g.id,
            })
            .collect()
    } else {
        Vec::new()
    };
    // Unreadable settings (never written so) say "no research use", the safe answer.
    let (research_use, research_free_text) =
        serde_json::from_str::<crate::class::Settings>(&class.settings)
            .map_or((false, false), |s| (s.research_use, s.research_free_text));
    Ok((
        ServerFrame::ClassWelcome {
            class_id: class.id,
            name: class.name.clone(),
            role,
            you,
            students,
            started: class.started_at.is_some(),
            research_use,
            research_free_text,
            tables: tables.clone(),
        },
        tables,
    ))
}

/// A student waiting for Start.
async fn student<S: Store>(
    st: &AppState<S>,
    socket: &mut Socket,
    class: ClassRow,
    member: MemberRow,
    mut listening: Listening,
) -> Ending {
    // The hello read the class before the bell was listened to: a Start in between rang for
    // nobody here. Read again, now that a later Start rings.
    let class = match st.registry.store().class(class.id).await {
        Ok(Some(c)) => c,
        _ => return unavailable(),
    };
    let Ok((frame, _)) = welcome(st, &class, ClassRole::Student, Some(member.name)).await else {
        return unavailable();
    };
    if !send(socket, &frame).await {
        return None;
    }
    let mut started = class.started_at.is_some();
    let stopping = stopping(st);
    tokio::pin!(stopping);
    let mut bucket = frame_bucket(st);
    let mut look_again = look_again();
    loop {
        if started {
            let _ = send(
                socket,
                &ServerFrame::error(
                    None,
                    ErrorCode::SeatChanged,
                    "the class has started: say hello again with the same token to reach your table",
                    true,
                ),
            )
            .await;
            return Some((close::SEAT_CHANGED, "class started"));
        }
        tokio::select! {
            changed = listening.rung.changed() => {
                if changed.is_err() {
                    return unavailable();
                }
                started = listening.rung.borrow_and_update().started;
            }
            _ = look_again.tick() => {
                started = matches!(st.registry.store().class(class.id).await, Ok(Some(c)) if c.started_at.is_some());
            }
            msg = socket.next() => {
                if let Some(ending) = Box::pin(incoming(socket, msg, &mut bucket, class.id)).await {
                    return ending;
                }
            }
            () = &mut stopping => return Some((close::GOING_AWAY, "server shutting down")),
        }
    }
}

/// A class connection reads its class again this often, whatever the bells: a bell from
/// another node can be lost (the database connection that hears them dropped and came back).
const LOOK_AGAIN: Duration = Duration::from_secs(15);

fn look_again() -> tokio::time::Interval {
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + LOOK_AGAIN, LOOK_AGAIN);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every
}

/// The teacher's class console.
async fn teacher<S: Store>(
    st: &AppState<S>,
    socket: &mut Socket,
    class_id: Uuid,
    token: &str,
    mut listening: Listening,
) -> Ending {
    let store = st.registry.store();
    let stopping = stopping(st);
    tokio::pin!(stopping);
    let mut bucket = frame_bucket(st);
    let (dirty_tx, mut dirty_rx) = mpsc::channel::<u32>(256);
    let mut watchers = tokio::task::JoinSet::new();
    let mut tables: Vec<ClassTableRef> = Vec::new();
    let mut dirty: BTreeSet<u32> = BTreeSet::new();
    let mut roster_due = false;
    // Sends the welcome (again once the class starts, and at each late join) and watches
    // the tables.
    let mut welcome_due = true;
    let mut look_again = look_again();
    let flush = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(flush);
    let mut flush_armed = false;
    loop {
        if welcome_due {
            welcome_due = false;
            let class = match store.class(class_id).await {
                Ok(Some(c)) => c,
                _ => return unavailable(),
            };
            // A table opened for a late student gets its Control seat now; one that cannot be
            // given now is given at the next welcome or lobby read.
            if let Err(e) = super::classes::adopt_tables(st, &class, token).await {
                tracing::warn!(class = %class_id, error = %e.message, "tables not adopted");
            }
            let Ok((frame, refs)) = welcome(st, &class, ClassRole::Teacher, None).await else {
                return unavailable();
            };
            if !send(socket, &frame).await {
                return None;
            }
            // Every table not yet watched (all at Start; later, one opened for a late student).
            for t in refs {
                if tables.iter().any(|w| w.table == t.table) {
                    continue;
                }
                watchers.spawn(watch_table(
                    st.registry.clone(),
                    t.table,
                    t.game_id,
                    dirty_tx.clone(),
                ));
                dirty.insert(t.table);
                tables.push(t);
            }
        }
        let due = roster_due || !dirty.is_empty();
        if due && !flush_armed {
            flush.as_mut().reset(tokio::time::Instant::now() + COALESCE);
            flush_armed = true;
        }
        tokio::select! {
            changed = listening.rung.changed() => {
                if changed.is_err() {
                    return unavailable();
                }
                let now_started = listening.rung.borrow_and_update().started;
                if now_started {
                    // Started, or (already started) a late student joined, maybe at a new
                    // table: the welcome again, with every table.
                    welcome_due = true;
                } else {
                    roster_due = true;
                }
            }
            _ = look_again.tick() => {
                // A bell from another node may have been lost: the roster again, and the
                // tables if the class has started since.
                roster_due = true;
                if tables.is_empty() {
                    welcome_due = matches!(store.class(class_id).await, Ok(Some(c)) if c.started_at.is_some());
                }
            }
            Some(table) = dirty_rx.recv() => {
                dirty.insert(table);
            }
            () = &mut flush, if flush_armed => {
                flush_armed = false;
                if roster_due {
                    roster_due = false;
                    let Ok(members) = store.members(class_id).await else {
                        return unavailable();
                    };
                    let frame = ServerFrame::ClassRoster { students: members.len() as u32 };
                    if !send(socket, &frame).await {
                        return None;
                    }
                }
                for table in std::mem::take(&mut dirty) {
                    let Some(t) = tables.iter().find(|t| t.table == table) else {
                        continue;
                    };
                    match table_frame(st, t).await {
                        Some(frame) => {
                            if !send(socket, &frame).await {
                                return None;
                            }
                        }
                        None => {
                            // The class's tables run on another node (the class started there,
                            // or moved): the console reconnects and is relayed there.
                            if class_elsewhere(st, class_id).await.is_some() {
                                return Some((close::GOING_AWAY, "the class runs on another server node; reconnect"));
                            }
                            // Unreachable just now: try again in a moment.
                            let again = dirty_tx.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(RETRY_TABLE).await;
                                let _ = again.send(table).await;
                            });
                        }
                    }
                }
            }
            msg = socket.next() => {
                if let Some(ending) = Box::pin(incoming(socket, msg, &mut bucket, class_id)).await {
                    return ending;
                }
            }
            () = &mut stopping => return Some((close::GOING_AWAY, "server shutting down")),
        }
    }
}

/// A table's status frame, or `None` when its game cannot be reached now.
async fn table_frame<S: Store>(st: &AppState<S>, t: &ClassTableRef) -> Option<ServerFrame> {
    let handle = st.registry.get(t.game_id).await.ok()?;
    let (seq, status) = handle.status().await.ok()?;
    Some(ServerFrame::ClassTable {
        table: t.table,
        game_id: t.game_id,
        seq,
        status,
    })
}

/// Marks `table` dirty whenever its game's task says its status may have moved; when the task
/// stops (an idle game leaves memory, a restart), waits for a new one. The first mark brings
/// the console its first status.
async fn watch_table<S: Store>(
    registry: Arc<crate::game::Registry<S>>,
    table: u32,
    game: Uuid,
    dirty: mpsc::Sender<u32>,
) {
    let mut first = true;
    loop {
        let handle = if first {
            first = false;
            registry.get(game).await.ok()
        } else {
            registry.running(game)
        };
        if let Some(handle) = handle {
            let mut changes = handle.changes();
            if dirty.send(table).await.is_err() {
                return;
            }
            while changes.changed().await.is_ok() {
                if dirty.send(table).await.is_err() {
                    return;
                }
            }
        }
        // No task now: a game that left memory changes only once it is back.
        tokio::time::sleep(Duration::from_secs(1)).await;
        if dirty.is_closed() {
            return;
        }
    }
}

/// Resolves when the server stops.
fn stopping<S: Store>(st: &AppState<S>) -> impl std::future::Future<Output = ()> + use<S> {
    let mut shutdown = st.shutdown.clone();
    async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    }
}

fn frame_bucket<S: Store>(st: &AppState<S>) -> super::limit::Bucket {
    let frames = st.registry.limits.frames;
    super::limit::Bucket::new(frames.per_sec, frames.burst)
}

/// A frame from a class connection's client: pings are answered; commands are refused (they
/// go to `POST /api/classes/{id}/command`); bad frames and floods end the connection as on a
/// game's.
async fn incoming(
    socket: &mut Socket,
    msg: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    bucket: &mut super::limit::Bucket,
    class: Uuid,
) -> Option<Ending> {
    if matches!(msg, Some(Ok(ref m)) if !m.is_close()) && !bucket.take() {
        let _ = send(
            socket,
            &ServerFrame::error(
                None,
                ErrorCode::RateLimited,
                "too many frames; slow down",
                false,
            ),
        )
        .await;
        return Some(Some((close::POLICY, "rate limit")));
    }
    let text = match msg {
        Some(Ok(Message::Text(t))) => t,
        Some(Ok(Message::Binary(_))) => return Some(Some((close::PROTOCOL, "text frames only"))),
        Some(Err(e)) if super::ws::too_big(&e) => {
            return Some(Some((close::TOO_BIG, "frame over 64 KiB")))
        }
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Some(None),
        Some(Ok(_)) => return None,
    };
    let reply = match serde_json::from_str::<ClientFrame>(&text) {
        Err(e) => ServerFrame::error(
            None,
            ErrorCode::BadFrame,
            format!("not a valid frame: {e}"),
            false,
        ),
        Ok(ClientFrame::Ping {}) => ServerFrame::Pong {},
        Ok(ClientFrame::Hello { .. }) => ServerFrame::error(
            None,
            ErrorCode::AlreadyHello,
            "this connection already said hello",
            false,
        ),
        Ok(ClientFrame::Command { id, .. }) => ServerFrame::error(
            Some(id),
            ErrorCode::Invalid,
            format!(
                "a class's connection takes no commands: send them to one table's connection, \
                 or to every table with POST /api/classes/{class}/command"
            ),
            false,
        ),
    };
    if send(socket, &reply).await {
        None
    } else {
        Some(None)
    }
}
