//! Classes over HTTP (decision record 0011): a teacher creates a class and gets one code to
//! hand out; students join the class with a name; the teacher reads the roster and the
//! seating plan, pins a student to a table before Start, and starts the class: its tables
//! are created as ordinary games and every student is seated.

use super::api::{
    bearer, by_join_code, clean_name, is_admin, join_limit, new_join_code, object_body,
    requested_language, requested_scenario,
};
use super::{ApiError, AppState, ErrorBody, Ids};
use crate::class::plan::{self, Student};
use crate::class::Settings;
use crate::engine::scenario::PhaseDeadlines;
use crate::engine::{FactionId, Game, GameConfig, StartMode, TeamReady, Temperament};
use crate::game::seating::{new_token, token_hash};
use crate::protocol::{ErrorCode, ServerFrame};
use crate::store::{
    ClassRow, ClassStart, GameRow, GameStatus, LateSeat, MemberRow, NewTable, SeatRole, SeatRow,
    Store, StoreError,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Body of `POST /api/classes`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClass {
    /// The class's name, shown to students when they join: 1–60 characters.
    #[schemars(length(min = 1, max = 60))]
    pub name: String,
    /// Scenario id; the default scenario when absent.
    #[serde(default)]
    pub scenario: Option<String>,
    /// The teacher's display name; "Teacher" when absent.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub teacher: Option<String>,
    /// Model preset of every table (e.g. "optimistic").
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub preset: Option<String>,
    /// Most students per faction at a table: 1 to 50; 1 when absent (tables of three).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub team_size: Option<u32>,
    /// Phase deadlines in seconds (0: none); the scenario's defaults when absent.
    #[serde(default)]
    pub deadlines: Option<PhaseDeadlines>,
    /// Bots of this temperament play the factions nobody sits in at a table; absent: no bots.
    #[serde(default)]
    pub bots_for_gaps: Option<Temperament>,
    /// Whether the class's games may be used for research; students see it when they join.
    #[serde(default)]
    pub research_use: bool,
    /// Whether a research export carries the chat's text (needs `research_use`).
    #[serde(default)]
    pub research_free_text: bool,
    /// The language of every table's scenario texts and bots' lines: `en` (the default) or
    /// one of the scenario's languages (`GET /api/scenarios`, `languages`), such as `ru`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 16))]
    pub language: Option<String>,
}

/// Answer to `POST /api/classes`.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassCreated {
    pub class_id: Uuid,
    /// The code students type (or reach by the link and QR code of `/join/<code>`).
    pub join_code: String,
    /// The teacher's bearer token for the class. Shown once; only its hash is stored.
    pub teacher_token: String,
}

/// Creates a class.
///
/// Students join it with its code and a name; the server plans the tables as they join
/// (`GET /api/classes/{id}`). Answers with the code to hand out and the teacher's token, which
/// is shown only here.
#[utoipa::path(
    post,
    path = "/api/classes",
    tag = "classes",
    request_body = CreateClass,
    security((), ("admin_token" = [])),
    responses(
        (status = 201, description = "The class exists.", body = ClassCreated),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "The server has an admin token and the request did not carry it (`unauthorized`).", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`too_large`).", body = ErrorBody),
        (status = 422, description = "Unknown scenario, preset or language, a team size outside 1–50, chat text for research without research use, or a bad name (`unknown_scenario`, `invalid`, `invalid_name`).", body = ErrorBody),
        (status = 429, description = "Too many games and classes created from this address: 20, then one a minute (`rate_limited`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn create_class<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ClassCreated>), ApiError> {
    // As for games: with an admin token configured, creation is for its holders only, and they
    // are not rate-limited; without one, creations count against the address.
    if st.config.admin_token.is_some() && !is_admin(&st, &headers) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "creating classes needs the admin token: Authorization: Bearer <token>",
        ));
    }
    let counted = st.config.admin_token.is_none();
    let req: CreateClass = object_body(body)?;
    let invalid = |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid, m);
    let name = class_name(&req.name)?;
    let teacher = clean_name(req.teacher.as_deref().unwrap_or("Teacher"))?;
    let scenario = requested_scenario(&st, req.scenario.as_deref())?;
    crate::engine::model::Params::resolve(&scenario, req.preset.as_deref())
        .map_err(|e| invalid(&e))?;
    let language = requested_language(&scenario, req.language.as_deref())?;
    let team_size = req.team_size.unwrap_or(1);
    if !(1..=50).contains(&team_size) {
        return Err(invalid("a team size is 1 to 50"));
    }
    if req.research_free_text && !req.research_use {
        return Err(invalid(
            "the chat's text can be exported for research only when research_use is true",
        ));
    }
    let settings = Settings {
        teacher,
        preset: req.preset,
        team_size,
        deadlines: req.deadlines,
        bots_for_gaps: req.bots_for_gaps,
        research_use: req.research_use,
        research_free_text: req.research_free_text,
        language,
    };
    if counted && !st.creations.take(peer.ip()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many games and classes created from your address; wait a minute",
        ));
    }
    let give_back = || {
        if counted {
            st.creations.give_back(peer.ip());
        }
    };
    let teacher_token = new_token();
    let store = st.registry.store();
    let mut class = ClassRow {
        id: Uuid::new_v4(),
        join_code: String::new(),
        name,
        scenario: scenario.id.clone(),
        settings: serde_json::to_string(&settings).map_err(ApiError::internal)?,
        teacher_token_hash: token_hash(&teacher_token),
        created_at: st.registry.clock.now_ms(),
        started_at: None,
    };
    // Class and game codes share the join page: draw again on a clash with either.
    for _ in 0..8 {
        class.join_code = match free_join_code(&st).await {
            Ok(code) => code,
            Err(e) => {
                give_back();
                return Err(e);
            }
        };
        match store.create_class(&class).await {
            Ok(()) => {
                tracing::info!(class = %class.id, scenario = %class.scenario, "class created");
                return Ok((
                    StatusCode::CREATED,
                    Json(ClassCreated {
                        class_id: class.id,
                        join_code: class.join_code,
                        teacher_token,
                    }),
                ));
            }
            Err(StoreError::Duplicate(_)) => continue,
            Err(e) => {
                give_back();
                return Err(e.into());
            }
        }
    }
    give_back();
    Err(ApiError::internal("could not draw a free join code"))
}

/// A class's name: 1–60 visible characters, no control characters.
fn class_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidName,
            "a class's name is 1 to 60 characters, without control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Body of `POST /api/classes/join`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinClass {
    pub code: String,
    #[schemars(length(min = 1, max = 40))]
    pub name: String,
}

/// Answer to `POST /api/classes/join`.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassJoined {
    pub class_id: Uuid,
    pub student_id: Uuid,
    /// This student's bearer token: once the class starts, it is also the token of their seat
    /// in their table. Shown once; only its hash is stored.
    pub student_token: String,
    pub name: String,
    /// The class's name.
    pub class_name: String,
    /// Whether the class's games may be used for research, and with the chat's text.
    pub research_use: bool,
    pub research_free_text: bool,
}

/// Joins a class by its code.
///
/// The student waits for the teacher to start the class, and is then seated at a table.
#[utoipa::path(
    post,
    path = "/api/classes/join",
    tag = "classes",
    request_body = JoinClass,
    responses(
        (status = 201, description = "On the class's roster.", body = ClassJoined),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`).", body = ErrorBody),
        (status = 404, description = "No class has that code (`unknown_code`).", body = ErrorBody),
        (status = 409, description = "The class has started; late joiners are not seated yet (`class_started`). Or its roster holds as many students as its 100 tables seat (`limit`).", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`too_large`).", body = ErrorBody),
        (status = 422, description = "A bad name (`invalid_name`).", body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address; wait a minute (`rate_limited`). A class's joins do not count against the address's seat limit: the roster's size is capped instead.", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn join_class<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ClassJoined>), ApiError> {
    let req: JoinClass = object_body(body)?;
    let name = clean_name(&req.name)?;
    join_limit(&st, peer)?;
    let store = st.registry.store();
    let class = by_join_code(&st, peer, &req.code, |c| async move {
        store.class_by_code(&c).await
    })
    .await?;
    let Some(class) = class else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownCode,
            "no class has that code; check it with your teacher",
        ));
    };
    let settings = settings_of(&class)?;
    if class.started_at.is_some() {
        return join_started(&st, class, settings, name).await;
    }
    // A class's joins count against the class, not the address: a school's students often
    // share one public address (the per-address seat limit would space a class of 300 out
    // over minutes). The roster holds at most what Start can seat.
    let factions = factions_of(&*scenario_of(&st, &class)?).len();
    let cap = MAX_TABLES * factions * settings.team_size as usize;
    if store.members(class.id).await?.len() >= cap {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Limit,
            format!("this class has as many students as its {MAX_TABLES} tables seat ({cap}); ask your teacher"),
        ));
    }
    let student_token = new_token();
    let member = MemberRow {
        id: Uuid::new_v4(),
        class_id: class.id,
        name: name.clone(),
        token_hash: token_hash(&student_token),
        joined_at: st.registry.clock.now_ms(),
        pinned: None,
    };
    if !store.add_member(&member).await? {
        // Started since it was read (the class row's lock decided): a late student then.
        let Some(class) = store.class(class.id).await? else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such class",
            ));
        };
        return join_started(&st, class, settings, name).await;
    }
    super::ring_class(&st, class.id, false);
    Ok(joined(&class, &settings, &member, student_token))
}

/// The answer to a student's join: who they are in the class, and its research use.
fn joined(
    class: &ClassRow,
    settings: &Settings,
    member: &MemberRow,
    student_token: String,
) -> (StatusCode, Json<ClassJoined>) {
    (
        StatusCode::CREATED,
        Json(ClassJoined {
            class_id: class.id,
            student_id: member.id,
            student_token,
            name: member.name.clone(),
            class_name: class.name.clone(),
            research_use: settings.research_use,
            research_free_text: settings.research_free_text,
        }),
    )
}

pub(super) fn settings_of(class: &ClassRow) -> Result<Settings, ApiError> {
    serde_json::from_str(&class.settings)
        .map_err(|e| ApiError::internal(format!("class {}: settings: {e}", class.id)))
}

/// Answer to `GET /api/classes/{id}`: the class as its teacher sees it before Start.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassLobby {
    pub class_id: Uuid,
    pub name: String,
    pub join_code: String,
    pub scenario: String,
    pub settings: Settings,
    /// When the class started (ms since the epoch), if it has.
    pub started_at: Option<i64>,
    /// The roster, in the order the students joined.
    pub students: Vec<ClassStudent>,
    /// Where the students sit: before Start, where they would sit if the class started now
    /// (`class::plan`; it changes as students join and as the teacher pins them); once
    /// started, where their seats are.
    pub tables: Vec<PlannedTable>,
    /// Once started, each table's game: its id, its own join code, and the teacher's Control
    /// token for it (derived from the teacher's token, so only its holder gets it).
    pub games: Vec<TableGame>,
}

/// A started class's table.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct TableGame {
    /// From 0.
    pub table: u32,
    pub game_id: Uuid,
    pub join_code: String,
    /// Control's token for this table: connect to `/ws` with it to open its console.
    pub control_token: String,
}

/// A student on the roster.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassStudent {
    pub id: Uuid,
    pub name: String,
    /// When they joined (ms since the epoch).
    pub joined_at: i64,
    /// Where the teacher put them, if anywhere.
    pub pinned: Option<Pin>,
}

/// A table and faction the teacher puts a student at.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The table, from 0.
    pub table: u32,
    pub faction: FactionId,
}

/// One table of the plan.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct PlannedTable {
    /// From 0.
    pub table: u32,
    /// Each faction's team: student ids, in the order seated.
    pub teams: BTreeMap<FactionId, Vec<Uuid>>,
    /// The factions nobody sits in here: bots play them if the class fills gaps with bots.
    pub gaps: Vec<FactionId>,
}

/// The class, its roster and its seating plan, for its teacher.
#[utoipa::path(
    get,
    path = "/api/classes/{id}",
    tag = "classes",
    params(("id" = Uuid, Path, description = "The class's id.")),
    security(("teacher_token" = [])),
    responses(
        (status = 200, description = "The class, its roster and the plan.", body = ClassLobby),
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this class (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "A student's token: only the teacher reads the roster (`teacher_only`).", body = ErrorBody),
        (status = 404, description = "No such class (`not_found`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn class_lobby<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<ClassLobby>, ApiError> {
    let (class, teacher) = teacher_of(&st, &headers, id).await?;
    lobby(&st, class, &teacher).await.map(Json)
}

/// Control's token of table `table` of the class whose teacher holds `teacher_token`: derived,
/// never stored (only its hash is, in the table's Control seat), so the teacher's one token
/// opens every table's console.
pub fn table_control_token(teacher_token: &str, table: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("detente-class-table:{table}:{teacher_token}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a class: creates its tables as the plan shows them now and seats every student.
///
/// Each table is a game of the class's scenario and settings that begins at once, titled with
/// the class's name and its number; bots of `bots_for_gaps` play the factions nobody sits in;
/// the teacher is its Control. A student's own token is their seat's (`GET /api/seat`, then
/// `hello`).
#[utoipa::path(
    post,
    path = "/api/classes/{id}/start",
    tag = "classes",
    params(("id" = Uuid, Path, description = "The class's id.")),
    security(("teacher_token" = [])),
    responses(
        (status = 200, description = "Started; the class with its tables' games.", body = ClassLobby),
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this class (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "A student's token (`teacher_only`).", body = ErrorBody),
        (status = 404, description = "No such class (`not_found`).", body = ErrorBody),
        (status = 409, description = "The class has started already (`class_started`).", body = ErrorBody),
        (status = 422, description = "Nobody has joined yet, pins leave a table nobody sits at, or the plan has more than 100 tables (`invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable, or the roster kept changing while the class was being started; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn start_class<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<ClassLobby>, ApiError> {
    let (class, teacher) = teacher_of(&st, &headers, id).await?;
    let started = || {
        ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ClassStarted,
            "the class has started already",
        )
    };
    if class.started_at.is_some() {
        return Err(started());
    }
    let store = st.registry.store();
    let settings = settings_of(&class)?;
    let scenario = scenario_of(&st, &class)?;
    let factions = factions_of(&scenario);
    let now = st.registry.clock.now_ms();
    // The roster may change between its reading and the start (a student joins, the teacher
    // pins): the store then refuses, and the plan is made again. A table's join code may
    // collide with another's: drawn again too.
    for _ in 0..8 {
        let members = store.members(class.id).await?;
        if members.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::Invalid,
                "nobody has joined the class yet",
            ));
        }
        let plan = plan::plan(&students_of(&members), &factions, settings.team_size);
        if plan.len() > MAX_TABLES {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::Invalid,
                format!("a class has at most {MAX_TABLES} tables"),
            ));
        }
        if let Some(t) = plan.iter().position(|t| t.size() == 0) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::Invalid,
                format!(
                    "table {} would have nobody: pin a student there, or unpin those pinned past it",
                    t + 1
                ),
            ));
        }
        let mut tables = Vec::with_capacity(plan.len());
        for (t, table) in plan.iter().enumerate() {
            tables.push(
                new_table(
                    &st,
                    &class,
                    &settings,
                    &scenario,
                    &members,
                    Some(&teacher),
                    now,
                    t as u32,
                    table,
                )
                .await?,
            );
        }
        match store.start_class(class.id, now, &members, &tables).await {
            Ok(ClassStart::Started) => {
                // Start each table's task so its clock runs and its bots play. The class has
                // started whatever happens here: a table whose task fails to start now starts
                // when someone connects.
                for t in &tables {
                    if let Err(e) = st.registry.get(t.game.id).await {
                        tracing::warn!(class = %class.id, game = %t.game.id, error = %e, "a table's task did not start");
                    }
                }
                tracing::info!(class = %class.id, tables = tables.len(), "class started");
                super::ring_class(&st, class.id, true);
                let class = store.class(class.id).await?.unwrap_or(class);
                return lobby(&st, class, &teacher).await.map(Json);
            }
            Ok(ClassStart::AlreadyStarted) => return Err(started()),
            Ok(ClassStart::RosterChanged) | Err(StoreError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable(
        "the class kept changing while it was being started; try again",
    ))
}

/// A student who joins after Start: seated where there is room, as the plan would have
/// (the faction with the most room at the live table with the fewest people; a faction a bot
/// plays counts as room, and the bot hands it over). With every table full, a class that fills
/// gaps with bots opens a new table for them (bots at the other factions); one that does not
/// answers 409 `game_full`. Tables that have ended take nobody.
async fn join_started<S: Store>(
    st: &AppState<S>,
    class: ClassRow,
    settings: Settings,
    name: String,
) -> Result<(StatusCode, Json<ClassJoined>), ApiError> {
    let store = st.registry.store();
    let scenario = scenario_of(st, &class)?;
    let factions = factions_of(&scenario);
    let student_token = new_token();
    let now = st.registry.clock.now_ms();
    let member = MemberRow {
        id: Uuid::new_v4(),
        class_id: class.id,
        name: name.clone(),
        token_hash: token_hash(&student_token),
        joined_at: now,
        pinned: None,
    };
    let team_size = settings.team_size.max(1);
    // Another late joiner may take the place (or the new table's number) first: look again.
    for _ in 0..8 {
        let stored = store.class_tables(class.id).await?;
        super::forward::to_class_home(st, &stored).await?;
        let mut live = Vec::new();
        for (t, game) in &stored {
            if game.ended {
                continue;
            }
            let handle = st.registry.get(game.id).await?;
            let (bots, agents) = handle
                .with_game(|g, _| (g.config.bots.clone(), g.config.agents.clone()))
                .await?;
            let seats = store.seats(game.id).await?;
            let mut table = plan::Table::new(&factions);
            for s in seats.iter().filter(|s| s.role.plays_faction()) {
                if let Some(team) = s.faction.as_deref().and_then(|f| table.teams.get_mut(f)) {
                    team.push(s.id);
                }
            }
            // A faction an outside agent plays takes no student: it counts as full.
            for f in agents.keys() {
                if let Some(team) = table.teams.get_mut(f.as_str()) {
                    team.resize(team.len().max(team_size as usize), Uuid::nil());
                }
            }
            live.push((*t, game.id, handle, bots, seats, table));
        }
        let tables: Vec<plan::Table> = live.iter().map(|l| l.5.clone()).collect();
        if let Some((i, faction)) = plan::late_seat(&tables, &factions, team_size) {
            let (table_no, game_id, handle, bots, seats, _) = &live[i as usize];
            let seat = SeatRow {
                id: Uuid::new_v4(),
                game_id: *game_id,
                role: SeatRole::Faction,
                faction: Some(faction.to_string()),
                name: name.clone(),
                token_hash: member.token_hash.clone(),
                created_at: now,
            };
            let at = LateSeat::Existing {
                seat: &seat,
                limit: team_size,
            };
            if !store.seat_late_member(&member, at).await? {
                continue;
            }
            tracing::info!(class = %class.id, table = table_no, faction = %faction, "a late student is seated");
            if bots.contains_key(&faction) {
                hand_over_from_bot(handle, seats, &faction, member.id).await;
            }
            // The game reads its seats again (a team may have grown; a lobby may start).
            let _ = handle.seated().await;
        } else {
            let Some(temper) = settings.bots_for_gaps else {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::GameFull,
                    "every table of this class is full; ask your teacher to make room",
                ));
            };
            let next = stored.iter().map(|(t, _)| t + 1).max().unwrap_or(0);
            if next as usize >= MAX_TABLES {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::Limit,
                    format!("this class has as many tables as it may ({MAX_TABLES})"),
                ));
            }
            let mut table = plan::Table::new(&factions);
            if let Some(team) = factions.first().and_then(|f| table.teams.get_mut(f)) {
                team.push(member.id);
            }
            let settings = Settings {
                bots_for_gaps: Some(temper),
                ..settings.clone()
            };
            let new = new_table(
                st,
                &class,
                &settings,
                &scenario,
                std::slice::from_ref(&member),
                None,
                now,
                next,
                &table,
            )
            .await?;
            match store
                .seat_late_member(&member, LateSeat::NewTable(&new))
                .await
            {
                Ok(true) => {}
                Ok(false) | Err(StoreError::Duplicate(_)) => continue,
                Err(e) => return Err(e.into()),
            }
            tracing::info!(class = %class.id, table = next, "a late student opens a new table");
            if let Err(e) = st.registry.get(new.game.id).await {
                tracing::warn!(class = %class.id, game = %new.game.id, error = %e, "the new table's task did not start");
            }
        }
        // The console counts the roster again, and reads the tables again (one may be new).
        super::ring_class(st, class.id, true);
        return Ok(joined(&class, &settings, &member, student_token));
    }
    Err(ApiError::unavailable(
        "the class's tables kept changing while you were being seated; try again",
    ))
}

/// A faction a bot played passes to the late student who now sits in it: the table's Control
/// hands it back to people (`set_bot` to none), recorded in the table's log like any.
async fn hand_over_from_bot(
    handle: &crate::game::GameHandle,
    seats: &[SeatRow],
    faction: &FactionId,
    student: Uuid,
) {
    let Some(control) = seats.iter().find(|s| s.role == SeatRole::Control) else {
        return;
    };
    let auth = crate::game::SeatAuth {
        seat_id: control.id,
        seat: crate::engine::Seat::Control,
        name: control.name.clone(),
    };
    let command = crate::engine::Command::SetBot {
        faction: faction.clone(),
        temperament: None,
    };
    let hash = crate::game::request_hash(&command);
    match handle
        .command(auth, format!("late-{student}"), command, hash)
        .await
    {
        Ok(ServerFrame::Ack { .. }) => {}
        other => {
            tracing::warn!(faction = %faction, answer = ?other, "a bot did not hand over to a late student");
        }
    }
}

/// Tables a class may have at most (a class of 300 at tables of three is 100).
pub const MAX_TABLES: usize = 100;

/// Table `t` of a class as a new game: its first events, the teacher's Control seat and the
/// seats of its students (with their own tokens' hashes).
#[allow(clippy::too_many_arguments)]
async fn new_table<S: Store>(
    st: &AppState<S>,
    class: &ClassRow,
    settings: &Settings,
    scenario: &Arc<crate::engine::scenario::Scenario>,
    members: &[MemberRow],
    teacher: Option<&str>,
    now: i64,
    t: u32,
    table: &plan::Table,
) -> Result<NewTable, ApiError> {
    let bots: BTreeMap<FactionId, Temperament> = match settings.bots_for_gaps {
        Some(temper) => table.gaps().map(|f| (f.clone(), temper)).collect(),
        None => BTreeMap::new(),
    };
    let config = GameConfig {
        seed: rand::random(),
        preset: settings.preset.clone(),
        deadlines: settings.deadlines,
        bots,
        agents: BTreeMap::new(),
        team_sizes: table
            .teams
            .keys()
            .map(|f| (f.clone(), settings.team_size))
            .collect(),
        start: StartMode::Now,
        title: Some(table_title(&class.name, t, settings.language.as_deref())),
        team_ready: TeamReady::default(),
        language: settings.language.clone(),
    };
    let (game, events) = Game::create(scenario.clone(), config, now).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::of(&e),
            e.to_string(),
        )
    })?;
    let game_id = Uuid::new_v4();
    // Without the teacher's token (a table opened for a late student), the table's Control
    // seat is added when the teacher next opens the class ([`adopt_tables`]).
    let control_hash = token_hash(&match teacher {
        Some(teacher) => table_control_token(teacher, t),
        None => new_token(),
    });
    let mut seats = Vec::new();
    if teacher.is_some() {
        seats.push(SeatRow {
            id: Uuid::new_v4(),
            game_id,
            role: SeatRole::Control,
            faction: None,
            name: settings.teacher.clone(),
            token_hash: control_hash.clone(),
            created_at: now,
        });
    }
    for (f, team) in &table.teams {
        for student in team {
            let m = members
                .iter()
                .find(|m| m.id == *student)
                .ok_or_else(|| ApiError::internal("a planned student not on the roster"))?;
            seats.push(SeatRow {
                id: Uuid::new_v4(),
                game_id,
                role: SeatRole::Faction,
                faction: Some(f.to_string()),
                name: m.name.clone(),
                token_hash: m.token_hash.clone(),
                created_at: now,
            });
        }
    }
    Ok(NewTable {
        table_no: t,
        game: GameRow {
            id: game_id,
            join_code: free_join_code(st).await?,
            scenario: scenario.id.clone(),
            control_token_hash: control_hash,
            created_at: now,
            last_seq: 0,
            deadline_at: game.deadline_at,
            ended: false,
        },
        seats,
        events: crate::store::encode_events(&events).map_err(ApiError::internal)?,
        status: GameStatus {
            deadline_at: game.deadline_at,
            ended: false,
        },
    })
}

/// A join code no game and no class has now (the stores' unique keys catch a race, which the
/// caller answers by drawing again).
pub(super) async fn free_join_code<S: Store>(st: &AppState<S>) -> Result<String, ApiError> {
    let store = st.registry.store();
    for _ in 0..8 {
        let code = new_join_code();
        if store.game_by_code(&code).await?.is_none() && store.class_by_code(&code).await?.is_none()
        {
            return Ok(code);
        }
    }
    Err(ApiError::internal("could not draw a free join code"))
}

/// A table's title: the class's name and the table's number from 1, within 60 characters.
fn table_title(class: &str, table: u32, language: Option<&str>) -> String {
    let word = match language {
        Some("ru") => "стол",
        _ => "table",
    };
    let suffix = format!(" · {word} {}", table + 1);
    let room = 60 - suffix.chars().count();
    let name: String = class.chars().take(room).collect();
    format!("{name}{suffix}")
}

fn scenario_of<S: Store>(
    st: &AppState<S>,
    class: &ClassRow,
) -> Result<Arc<crate::engine::scenario::Scenario>, ApiError> {
    st.registry
        .scenarios()
        .get(&class.scenario)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("class {}: no scenario", class.id)))
}

/// Body of `PUT /api/classes/{id}/students/{student_id}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinStudent {
    /// Where to put the student; `null` lets the plan seat them again.
    pub pin: Option<Pin>,
}

/// The teacher puts a student at a table and faction (or lets the plan seat them again).
///
/// Before Start only. A table may be one of the plan's or the next one after them; the
/// faction's team at that table must have room among the students pinned there.
#[utoipa::path(
    put,
    path = "/api/classes/{id}/students/{student_id}",
    tag = "classes",
    request_body = PinStudent,
    params(
        ("id" = Uuid, Path, description = "The class's id."),
        ("student_id" = Uuid, Path, description = "The student's id."),
    ),
    security(("teacher_token" = [])),
    responses(
        (status = 200, description = "Pinned; the class with its new plan.", body = ClassLobby),
        (status = 400, description = "An id in the path is not a UUID, or the body is not of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this class (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "A student's token (`teacher_only`).", body = ErrorBody),
        (status = 404, description = "No such class, or no such student in it (`not_found`).", body = ErrorBody),
        (status = 409, description = "The class has started (`class_started`), or that team is full of pinned students (`team_full`).", body = ErrorBody),
        (status = 422, description = "An unknown faction, or a table past the next new one (`unknown_faction`, `invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn pin_student<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids((id, student)): Ids<(Uuid, Uuid)>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ClassLobby>, ApiError> {
    let (class, teacher) = teacher_of(&st, &headers, id).await?;
    // `pin` must be given: `null` unpins, a missing field is a mistake.
    let fields: serde_json::Map<String, serde_json::Value> = object_body(body)?;
    if !fields.contains_key("pin") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "give \"pin\": {\"table\": …, \"faction\": …}, or \"pin\": null to unpin",
        ));
    }
    let req: PinStudent = serde_path_to_error::deserialize(serde_json::Value::Object(fields))
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                e.to_string(),
            )
        })?;
    let started = || {
        ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ClassStarted,
            "the class has started: move the student in their table instead",
        )
    };
    if class.started_at.is_some() {
        return Err(started());
    }
    let store = st.registry.store();
    let settings = settings_of(&class)?;
    let members = store.members(class.id).await?;
    if let Some(pin) = &req.pin {
        let scenario = scenario_of(&st, &class)?;
        if scenario.faction(pin.faction.as_str()).is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownFaction,
                format!("unknown faction \"{}\"", pin.faction),
            ));
        }
        // Counted without this student's own pin, so that pinning one student again and
        // again to "the next new table" cannot add table after table.
        let others: Vec<MemberRow> = members
            .iter()
            .cloned()
            .map(|mut m| {
                if m.id == student {
                    m.pinned = None;
                }
                m
            })
            .collect();
        let tables = plan::plan(
            &students_of(&others),
            &factions_of(&scenario),
            settings.team_size,
        )
        .len() as u32;
        if pin.table > tables {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::Invalid,
                format!(
                    "the plan has {tables} tables (0 to {}); pin to one of them or to table {tables}, a new one",
                    tables.saturating_sub(1)
                ),
            ));
        }
        let pinned_there = members
            .iter()
            .filter(|m| m.id != student)
            .filter(|m| {
                m.pinned
                    .as_ref()
                    .is_some_and(|(t, f)| *t == pin.table && f.as_str() == pin.faction.as_str())
            })
            .count();
        if pinned_there >= settings.team_size as usize {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::TeamFull,
                "that team already has as many pinned students as a team holds",
            ));
        }
    }
    let pin = req.pin.as_ref().map(|p| (p.table, p.faction.as_str()));
    if !store.pin_member(class.id, student, pin).await? {
        // Either no such student, or the class started meanwhile.
        let now = store.class(class.id).await?;
        if now.is_some_and(|c| c.started_at.is_some()) {
            return Err(started());
        }
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such student in this class",
        ));
    }
    super::ring_class(&st, class.id, false);
    let class = store.class(class.id).await?.unwrap_or(class);
    lobby(&st, class, &teacher).await.map(Json)
}

/// The class with its roster and plan as they are now, and its tables' games once started.
/// Gives every table of a started class that has no Control seat (one opened for a late
/// student, while the teacher's token was not at hand) the seat the teacher's token opens.
pub(super) async fn adopt_tables<S: Store>(
    st: &AppState<S>,
    class: &ClassRow,
    teacher: &str,
) -> Result<(), ApiError> {
    if class.started_at.is_none() {
        return Ok(());
    }
    let store = st.registry.store();
    let settings = settings_of(class)?;
    for (t, game) in store.class_tables(class.id).await? {
        let seats = store.seats(game.id).await?;
        adopt_table(st, &settings, teacher, t, game.id, &seats).await?;
    }
    Ok(())
}

/// Table `t` (game `game`, whose seats are `seats`) gets the Control seat the teacher's token
/// opens, if it has no Control seat.
async fn adopt_table<S: Store>(
    st: &AppState<S>,
    settings: &Settings,
    teacher: &str,
    t: u32,
    game: Uuid,
    seats: &[SeatRow],
) -> Result<(), ApiError> {
    if seats.iter().any(|s| s.role == SeatRole::Control) {
        return Ok(());
    }
    let seat = SeatRow {
        id: Uuid::new_v4(),
        game_id: game,
        role: SeatRole::Control,
        faction: None,
        name: settings.teacher.clone(),
        token_hash: token_hash(&table_control_token(teacher, t)),
        created_at: st.registry.clock.now_ms(),
    };
    // Two adoptions at once add the same token's hash: the second is refused by its unique
    // key, and the seat is there either way.
    match st.registry.store().add_seat(&seat, None).await {
        Ok(_) | Err(StoreError::Duplicate(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn lobby<S: Store>(
    st: &AppState<S>,
    class: ClassRow,
    teacher: &str,
) -> Result<ClassLobby, ApiError> {
    let settings = settings_of(&class)?;
    let store = st.registry.store();
    let members = store.members(class.id).await?;
    let scenario = scenario_of(st, &class)?;
    let factions = factions_of(&scenario);
    let stored = store.class_tables(class.id).await?;
    let tables = if class.started_at.is_none() {
        plan::plan(&students_of(&members), &factions, settings.team_size)
            .into_iter()
            .enumerate()
            .map(|(t, table)| PlannedTable {
                table: t as u32,
                gaps: table.gaps().cloned().collect(),
                teams: table.teams,
            })
            .collect()
    } else {
        // Started: where the students sit now, from their seats (which Control may have
        // moved within a table), found by their tokens' hashes.
        let mut tables = Vec::with_capacity(stored.len());
        for (t, game) in &stored {
            let seats = store.seats(game.id).await?;
            // A table opened for a late student gets its Control seat now.
            adopt_table(st, &settings, teacher, *t, game.id, &seats).await?;
            let teams: BTreeMap<FactionId, Vec<Uuid>> = factions
                .iter()
                .map(|f| {
                    let team = seats
                        .iter()
                        .filter(|s| s.faction.as_deref() == Some(f.as_str()))
                        .filter_map(|s| {
                            members
                                .iter()
                                .find(|m| m.token_hash == s.token_hash)
                                .map(|m| m.id)
                        })
                        .collect();
                    (f.clone(), team)
                })
                .collect();
            tables.push(PlannedTable {
                table: *t,
                gaps: teams
                    .iter()
                    .filter(|(_, team)| team.is_empty())
                    .map(|(f, _)| f.clone())
                    .collect(),
                teams,
            });
        }
        tables
    };
    let games = stored
        .into_iter()
        .map(|(table, g)| TableGame {
            table,
            game_id: g.id,
            join_code: g.join_code,
            control_token: table_control_token(teacher, table),
        })
        .collect();
    Ok(ClassLobby {
        class_id: class.id,
        name: class.name,
        join_code: class.join_code,
        scenario: class.scenario,
        settings,
        started_at: class.started_at,
        students: members
            .into_iter()
            .map(|m| ClassStudent {
                id: m.id,
                name: m.name,
                joined_at: m.joined_at,
                pinned: m.pinned.map(|(table, f)| Pin {
                    table,
                    faction: FactionId::new(f),
                }),
            })
            .collect(),
        tables,
        games,
    })
}

fn students_of(members: &[MemberRow]) -> Vec<Student> {
    members
        .iter()
        .map(|m| Student {
            id: m.id,
            pinned: m
                .pinned
                .as_ref()
                .map(|(t, f)| (*t, FactionId::new(f.clone()))),
        })
        .collect()
}

fn factions_of(scenario: &crate::engine::scenario::Scenario) -> Vec<FactionId> {
    scenario.factions.iter().map(|f| f.id.clone()).collect()
}

/// The class `id` and the teacher's token, if the request's bearer token is its teacher's.
pub(super) async fn teacher_of<S: Store>(
    st: &AppState<S>,
    headers: &HeaderMap,
    id: Uuid,
) -> Result<(ClassRow, String), ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "send the class's teacher token: Authorization: Bearer <token>",
        )
    };
    let token = bearer(headers).ok_or_else(unauthorized)?;
    let store = st.registry.store();
    let class = store.class(id).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such class")
    })?;
    let hash = token_hash(&token);
    if hash == class.teacher_token_hash {
        return Ok((class, token));
    }
    if store
        .member_by_token(&hash)
        .await?
        .is_some_and(|m| m.class_id == id)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::TeacherOnly,
            "only the class's teacher may do that",
        ));
    }
    Err(unauthorized())
}

/// Body of `POST /api/classes/{id}/command`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassCommand {
    /// The client's id for this command, 1–56 bytes: table `n` gets it as `<id>@<n>`, so
    /// sending the same body again has no second effect at any table.
    pub id: String,
    /// What Control does at each table (pause, resume, extend the deadline, inject an event,
    /// a message in the plenary, …), as in a `command` frame.
    pub command: crate::engine::Command,
    /// The tables (from 0); every table when absent.
    #[serde(default)]
    pub tables: Option<Vec<u32>>,
}

/// Answer to `POST /api/classes/{id}/command`: each table's answer, by table.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassCommandDone {
    pub tables: Vec<TableAnswer>,
}

/// One table's answer to a class command: `ack` with the sequence of its last event, or the
/// `error` a `command` frame would have got (nothing changed at that table).
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct TableAnswer {
    pub table: u32,
    pub game_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TableError>,
}

/// A table's refusal of a class command.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct TableError {
    #[schemars(with = "ErrorCode")]
    pub code: String,
    pub message: String,
    /// Sending the same body again later may succeed at this table.
    pub retryable: bool,
}

/// Longest id of a class command, in bytes: a table's id adds `@` and up to 3 digits.
const MAX_CLASS_COMMAND_ID: usize = crate::protocol::MAX_CLIENT_ID - 8;

/// Gives one command as Control at every table of a started class (or at the tables listed).
///
/// The class's one clock: pause, resume or extend every table at once; inject an event into
/// every table; a message to every table's plenary. Each table commits and answers on its
/// own, exactly as for its Control's `command` frame (acknowledged after the durable commit);
/// the answer lists every table's. The same body sent again is answered the same and changes
/// nothing more.
#[utoipa::path(
    post,
    path = "/api/classes/{id}/command",
    tag = "classes",
    params(("id" = Uuid, Path, description = "The class's id.")),
    request_body = ClassCommand,
    security(("teacher_token" = [])),
    responses(
        (status = 200, description = "Each table's answer (some may be errors).", body = ClassCommandDone),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this class (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "A student's token (`teacher_only`).", body = ErrorBody),
        (status = 404, description = "No such class (`not_found`).", body = ErrorBody),
        (status = 409, description = "The class has not started: it has no tables yet (`invalid`).", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`too_large`).", body = ErrorBody),
        (status = 422, description = "An id of the wrong length, a table the class does not have, or `set_agent` (`bad_id`, `invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn class_command<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ClassCommandDone>, ApiError> {
    let (class, teacher) = teacher_of(&st, &headers, id).await?;
    let req: ClassCommand = object_body(body)?;
    if req.id.is_empty() || req.id.len() > MAX_CLASS_COMMAND_ID {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::BadId,
            format!("a class command's id is 1 to {MAX_CLASS_COMMAND_ID} bytes (UTF-8)"),
        ));
    }
    if matches!(req.command, crate::engine::Command::SetAgent { .. }) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            super::agents::SET_AGENT_OVER_HTTP,
        ));
    }
    if class.started_at.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Invalid,
            "the class has not started: it has no tables yet",
        ));
    }
    let store = st.registry.store();
    let all = store.class_tables(class.id).await?;
    super::forward::to_class_home(&st, &all).await?;
    let chosen: Vec<&(u32, GameRow)> = match &req.tables {
        None => all.iter().collect(),
        Some(wanted) => {
            if let Some(t) = wanted.iter().find(|t| !all.iter().any(|(n, _)| n == *t)) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::Invalid,
                    format!("the class has no table {t} (tables count from 0)"),
                ));
            }
            all.iter().filter(|(n, _)| wanted.contains(n)).collect()
        }
    };
    let hash = crate::game::request_hash(&req.command);
    // The tables answer side by side: a class's clock stops at every table at once.
    let answers = chosen.into_iter().map(|(table, game)| {
        let (st, teacher, command, hash) = (&st, &teacher, req.command.clone(), hash.clone());
        let client_id = format!("{}@{table}", req.id);
        async move {
            let answer =
                table_command(st, teacher, *table, game.id, client_id, command, hash).await;
            let (ack, error) = match answer {
                ServerFrame::Ack { seq, .. } => (Some(seq), None),
                ServerFrame::Error {
                    code,
                    message,
                    retryable,
                    ..
                } => (
                    None,
                    Some(TableError {
                        code,
                        message,
                        retryable,
                    }),
                ),
                _ => (None, None),
            };
            TableAnswer {
                table: *table,
                game_id: game.id,
                ack,
                error,
            }
        }
    });
    let tables = futures_util::future::join_all(answers).await;
    Ok(Json(ClassCommandDone { tables }))
}

/// One table's Control gives `command`: its answer as a `command` frame would get it.
async fn table_command<S: Store>(
    st: &AppState<S>,
    teacher: &str,
    table: u32,
    game: Uuid,
    client_id: String,
    command: crate::engine::Command,
    hash: Vec<u8>,
) -> ServerFrame {
    let unavailable =
        |m: &str| ServerFrame::error(Some(client_id.clone()), ErrorCode::Unavailable, m, true);
    let token = table_control_token(teacher, table);
    let auth = match crate::game::seating::authenticate(st.registry.store(), &token).await {
        Ok(Some((g, auth))) if g == game => auth,
        Ok(_) => {
            return ServerFrame::error(
                Some(client_id),
                ErrorCode::Internal,
                "this table's Control seat is not the class teacher's",
                false,
            )
        }
        Err(e) => return unavailable(&e.to_string()),
    };
    let handle = match st.registry.get(game).await {
        Ok(h) => h,
        Err(e) => return unavailable(&e.to_string()),
    };
    match handle.command(auth, client_id.clone(), command, hash).await {
        Ok(frame) => frame,
        Err(e) => unavailable(&e.to_string()),
    }
}

/// Answer to `GET /api/classes/{id}/debrief`: the class's tables compared.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassDebrief {
    pub class_id: Uuid,
    pub name: String,
    pub scenario: String,
    /// Who reads it: `teacher` (Control of every table: everything) or `student` (an observer
    /// of each table: its public side until it ends, everything after).
    pub reader: crate::protocol::ClassRole,
    pub tables: Vec<crate::class::debrief::TableDebrief>,
    /// Where the tables' orders first differed, among the rounds every table has played.
    pub first_difference: Option<crate::class::debrief::FirstDifference>,
}

/// The debrief across a class's tables.
///
/// For the teacher, every table as its Control sees it. For a student of the class, every
/// table as an observer sees it: its public side while it is played, everything once it has
/// ended (as on the after-action page).
#[utoipa::path(
    get,
    path = "/api/classes/{id}/debrief",
    tag = "classes",
    params(("id" = Uuid, Path, description = "The class's id.")),
    security(("teacher_token" = []), ("student_token" = [])),
    responses(
        (status = 200, description = "The tables compared.", body = ClassDebrief),
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this class (`unauthorized`).", body = ErrorBody),
        (status = 404, description = "No such class (`not_found`).", body = ErrorBody),
        (status = 409, description = "The class has not started: it has no tables yet (`invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn class_debrief<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<ClassDebrief>, ApiError> {
    let (class, reader) = match teacher_of(&st, &headers, id).await {
        Ok((class, _)) => (class, crate::protocol::ClassRole::Teacher),
        Err(e) if e.code == ErrorCode::TeacherOnly => {
            let store = st.registry.store();
            let class = store.class(id).await?.ok_or_else(|| {
                ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such class")
            })?;
            (class, crate::protocol::ClassRole::Student)
        }
        Err(e) => return Err(e),
    };
    if class.started_at.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Invalid,
            "the class has not started: it has no tables yet",
        ));
    }
    let seat = match reader {
        crate::protocol::ClassRole::Teacher => crate::engine::Seat::Control,
        crate::protocol::ClassRole::Student => crate::engine::Seat::Observer,
    };
    let mut tables = Vec::new();
    let all = st.registry.store().class_tables(class.id).await?;
    super::forward::to_class_home(&st, &all).await?;
    for (table, game) in all {
        let (_, view) = st.registry.get(game.id).await?.view(seat.clone()).await?;
        tables.push(crate::class::debrief::TableDebrief::of(
            table, game.id, &view,
        ));
    }
    let first_difference = crate::class::debrief::first_difference(&tables);
    Ok(Json(ClassDebrief {
        class_id: class.id,
        name: class.name,
        scenario: class.scenario,
        reader,
        tables,
        first_difference,
    }))
}
