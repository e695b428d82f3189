//! REST handlers: create a game, join one, read its summary; scenarios; readiness.

use super::{ApiError, AppState, ErrorBody, Ids};
use crate::engine::scenario::PhaseDeadlines;
use crate::engine::view::{MessagePage, SeatReport};
use crate::engine::{FactionId, Game, GameConfig, Seat, StartMode, TeamReady, Temperament};
use crate::game::seating::{self, new_token, seat_of_row, token_hash, SeatingRules, Wanted};
use crate::game::SeatAuth;
use crate::protocol::ErrorCode;
use crate::store::{GameRow, GameStatus, SeatRole, SeatRow, Store, StoreError};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Liveness: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive.", body = String, content_type = "text/plain", example = "ok"))
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Characters of join codes: no 0/O, 1/I/L, so a code read aloud or off a projector is typed
/// right.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 6;

pub(super) fn new_join_code() -> String {
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rand::random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Normalises a typed join code (case, spaces, dashes) or refuses it.
pub fn parse_join_code(s: &str) -> Option<String> {
    let code: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// Body of `POST /api/games`. Every field is optional: `{}` creates a game of the default
/// scenario with its default deadlines and no bots.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGame {
    /// Scenario id; the default scenario when absent.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Display name of the facilitator.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub name: Option<String>,
    /// Model preset (e.g. "optimistic").
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub preset: Option<String>,
    /// Phase deadlines in seconds (0: none); the scenario's defaults when absent.
    #[serde(default)]
    pub deadlines: Option<PhaseDeadlines>,
    /// Factions played by bots, with their temperament.
    #[serde(default)]
    pub bots: BTreeMap<FactionId, Temperament>,
    /// Most people per faction seat; the scenario's team sizes when absent.
    #[serde(default)]
    pub team_sizes: BTreeMap<FactionId, u32>,
    /// Random seed (for reproducible exercises); random when absent.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The game's name, shown to everyone and on the join form: 1–60 characters.
    #[serde(default)]
    #[schemars(length(max = 60))]
    pub title: Option<String>,
    /// When the first round begins: `lobby` (the default: when Control sends `start`),
    /// `when_seated` (as soon as every faction has a player or a bot) or `now`.
    #[serde(default)]
    pub start: Option<StartMode>,
    /// When a team of several people is ready: `everyone` (the default: every member connected
    /// has said Ready) or `captain` (the member seated longest among those connected decides).
    #[serde(default)]
    pub team_ready: TeamReady,
    /// The language of the scenario's texts and the bots' lines: `en` (the default) or one of
    /// the scenario's languages (`GET /api/scenarios`, `languages`), such as `ru`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 16))]
    pub language: Option<String>,
}

/// The language a creation asks for, as a game's config records it: `None` for the scenario's
/// own language; `invalid` naming the languages there are when the scenario has no such one.
pub(super) fn requested_language(
    scenario: &crate::engine::scenario::Scenario,
    lang: Option<&str>,
) -> Result<Option<String>, ApiError> {
    match lang {
        None => Ok(None),
        Some(l) if l == scenario.language => Ok(None),
        Some(l) if scenario.has_language(l) => Ok(Some(l.to_owned())),
        Some(l) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            crate::engine::game::unknown_language(scenario, l),
        )),
    }
}

/// Answer to `POST /api/games`.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct Created {
    pub game_id: Uuid,
    pub join_code: String,
    /// Control's bearer token. Shown once; only its hash is stored.
    pub control_token: String,
    pub control_seat_id: Uuid,
}

/// Creates a game.
///
/// The game waits in its lobby, with no clock, until Control sends `start` (unless `start`
/// says otherwise). Answers with the join code to hand out and Control's token, which is shown
/// only here.
#[utoipa::path(
    post,
    path = "/api/games",
    tag = "games",
    request_body = CreateGame,
    security((), ("admin_token" = [])),
    responses(
        (status = 201, description = "The game exists; connect to `/ws` with `control_token`.", body = Created),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "The server has an admin token and the request did not carry it (`unauthorized`).", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`too_large`).", body = ErrorBody),
        (status = 422, description = "Unknown scenario, faction, preset or language, a team size outside 1–50, or a bad name (`unknown_scenario`, `unknown_faction`, `invalid`, `invalid_name`).", body = ErrorBody),
        (status = 429, description = "Too many games created from this address: 20, then one a minute (`rate_limited`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn create_game<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    // With an admin token configured, creation is for its holders only, and they are not
    // rate-limited (a facilitator, or the load generator, may set up many games).
    if st.config.admin_token.is_some() {
        if !is_admin(&st, &headers) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "creating games needs the admin token: Authorization: Bearer <token>",
            ));
        }
    } else if !st.creations.allowed(peer.ip()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many games created from your address; wait a minute",
        ));
    }
    let req: CreateGame = object_body(body)?;
    let scenario = requested_scenario(&st, req.scenario.as_deref())?;
    for f in req.team_sizes.keys() {
        if scenario.faction(f.as_str()).is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownFaction,
                format!("team_sizes names unknown faction \"{f}\""),
            ));
        }
    }
    if req.team_sizes.values().any(|n| *n == 0 || *n > 50) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            "a team size is 1 to 50",
        ));
    }
    let language = requested_language(&scenario, req.language.as_deref())?;
    let name = clean_name(req.name.as_deref().unwrap_or("Control"))?;
    let now = st.registry.clock.now_ms();
    let config = GameConfig {
        seed: req.seed.unwrap_or_else(rand::random),
        preset: req.preset,
        deadlines: req.deadlines,
        bots: req.bots,
        agents: BTreeMap::new(),
        team_sizes: req.team_sizes,
        start: req.start.unwrap_or(StartMode::Lobby),
        team_ready: req.team_ready,
        language,
        title: clean_title(req.title.as_deref())?,
    };
    let (game, events) = Game::create(scenario.clone(), config, now).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::of(&e),
            e.to_string(),
        )
    })?;
    let bodies = crate::store::encode_events(&events).map_err(ApiError::internal)?;
    let control_token = new_token();
    let game_id = Uuid::new_v4();
    let control = SeatRow {
        id: Uuid::new_v4(),
        game_id,
        role: SeatRole::Control,
        faction: None,
        name,
        token_hash: token_hash(&control_token),
        created_at: now,
    };
    let status = GameStatus {
        deadline_at: game.deadline_at,
        ended: false,
    };
    // Counted before the game is stored, in one step with the check, so that concurrent
    // creations from one address cannot pass the limit together; given back if none is stored.
    let limited = st.config.admin_token.is_none();
    if limited && !st.creations.take(peer.ip()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many games created from your address; wait a minute",
        ));
    }
    let give_back = || {
        if limited {
            st.creations.give_back(peer.ip());
        }
    };
    let row = GameRow {
        id: game_id,
        join_code: String::new(),
        scenario: scenario.id.clone(),
        control_token_hash: control.token_hash.clone(),
        created_at: now,
        last_seq: 0,
        deadline_at: game.deadline_at,
        ended: false,
    };
    let row = match store_new_game(&st, row, std::slice::from_ref(&control), &bodies, status).await
    {
        Ok(row) => row,
        Err(e) => {
            give_back();
            return Err(e);
        }
    };
    // Start its task so its clock runs and bots play.
    // The game is stored: the request must not be sent to another node to be made again.
    // If another node took it in the meantime (a sweep), its task runs there.
    match st.registry.get(game_id).await {
        Ok(_) | Err(crate::game::SessionError::Elsewhere(_)) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(game = %game_id, scenario = %scenario.id, "game created");
    Ok((
        StatusCode::CREATED,
        Json(Created {
            game_id,
            join_code: row.join_code,
            control_token,
            control_seat_id: control.id,
        }),
    ))
}

/// Stores a new game (`row`, its join code drawn here, clear of games' and classes' codes:
/// they share the join page; drawn again on a collision) with its seats and first events. The
/// row as stored.
pub(super) async fn store_new_game<S: Store>(
    st: &AppState<S>,
    mut row: GameRow,
    seats: &[SeatRow],
    events: &[String],
    status: GameStatus,
) -> Result<GameRow, ApiError> {
    for _ in 0..8 {
        row.join_code = super::classes::free_join_code(st).await?;
        match st
            .registry
            .store()
            .create_game(&row, seats, events, status)
            .await
        {
            Ok(()) => return Ok(row),
            Err(StoreError::Duplicate(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal("could not draw a free join code"))
}

/// Body of `POST /api/join`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {
    pub code: String,
    #[schemars(length(min = 1, max = 40))]
    pub name: String,
    /// The faction wanted; absent: the faction with the fewest players is assigned.
    #[serde(default)]
    pub faction: Option<FactionId>,
    /// Join as an observer (public information only).
    #[serde(default)]
    pub observer: bool,
}

/// Answer to `POST /api/join`.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct Joined {
    pub game_id: Uuid,
    pub seat_id: Uuid,
    /// This person's bearer token for `hello`. Shown once; only its hash is stored.
    pub seat_token: String,
    pub seat: Seat,
    pub name: String,
}

/// Joins a game by its code.
///
/// As a faction (the one asked for, or else the one with the fewest players) or as an observer.
/// Answers with the seat's token, which is shown only here.
#[utoipa::path(
    post,
    path = "/api/join",
    tag = "games",
    request_body = Join,
    responses(
        (status = 201, description = "Seated; connect to `/ws` with `seat_token`.", body = Joined),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`).", body = ErrorBody),
        (status = 404, description = "No game has that code (`unknown_code`).", body = ErrorBody),
        (status = 409, description = "A bot plays that faction, its team is full, every team is full, or the game has its 100 observers (`bot_seat`, `team_full`, `game_full`, `observers_full`).", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB (`too_large`).", body = ErrorBody),
        (status = 422, description = "A bad name, an unknown faction, or both a faction and `observer` (`invalid_name`, `unknown_faction`, `invalid`).", body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address (wait a minute), or too many seats taken from it: 200, then one a second (`rate_limited`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn join<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Joined>), ApiError> {
    let req: Join = object_body(body)?;
    let name = clean_name(&req.name)?;
    join_limit(&st, peer)?;
    let store = st.registry.store();
    let row = game_by_join_code(&st, peer, &req.code).await?;
    let handle = st.registry.get(row.id).await?;
    let rules = SeatingRules::of(&handle).await?;
    let token = new_token();
    let mut seat_row = SeatRow {
        id: Uuid::new_v4(),
        game_id: row.id,
        role: SeatRole::Observer,
        faction: None,
        name: name.clone(),
        token_hash: token_hash(&token),
        created_at: st.registry.clock.now_ms(),
    };
    let wanted = match (req.observer, req.faction) {
        (true, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::Invalid,
                "join either as an observer or as a faction, not both",
            ))
        }
        (true, None) => Wanted::Observer,
        (false, Some(f)) => Wanted::Faction(f),
        (false, None) => Wanted::AnyFaction,
    };
    // A seat taken counts against the address (a class behind one router fits the burst),
    // taken before the seat is stored and given back when none is. The admin token's holder
    // (the load generator, a facilitator seating a conference) is not counted.
    let counted = !is_admin(&st, &headers);
    if counted && !st.seatings.take(peer.ip()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many seats taken from your address; wait a moment",
        ));
    }
    let observers = st.registry.limits.observers_per_game;
    let seat = match rules.seat(store, wanted, &mut seat_row, observers).await {
        Ok(seat) => seat,
        Err(e) => {
            if counted {
                st.seatings.give_back(peer.ip());
            }
            return Err(e.into());
        }
    };
    if matches!(seat, Seat::Faction(_)) {
        // The seat is committed; a failed nudge only delays a start-when-seated game until
        // the next change of seats.
        let _ = handle.seated().await;
    }
    Ok((
        StatusCode::CREATED,
        Json(Joined {
            game_id: row.id,
            seat_id: seat_row.id,
            seat_token: token,
            seat,
            name,
        }),
    ))
}

/// What a join code opens: a game (`"kind": "game"`) or a class (`"kind": "class"`).
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodePreview {
    Game(JoinPreview),
    Class(ClassPreview),
}

/// What the join form shows for a class's code: students join it with a name only.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassPreview {
    /// The class's name.
    pub name: String,
    pub scenario: String,
    pub scenario_title: String,
    /// Whether the class has started (a student who joins then is seated at once, where
    /// there is room).
    pub started: bool,
    /// Whether the class's games may be used for research, and with the chat's text: the
    /// join form says so before a student joins.
    pub research_use: bool,
    pub research_free_text: bool,
}

/// What the join form shows before a student picks a faction.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct JoinPreview {
    /// The game's name, if it has one.
    pub title: Option<String>,
    pub scenario: String,
    pub scenario_title: String,
    pub phase: crate::engine::Phase,
    /// 0-based.
    pub round: u32,
    pub factions: Vec<FactionSeats>,
}

/// One faction's seats, as the join form shows them (counts only, no names).
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct FactionSeats {
    pub faction: FactionId,
    pub name: String,
    /// The bot playing it, if one does (it takes no people).
    pub bot: Option<Temperament>,
    pub players: u32,
    pub team_size: u32,
}

/// The game or class a join code opens, before joining.
///
/// For a game: its name, scenario and phase, and per faction whether a bot plays it and how
/// many of its seats are taken. For a class: its name, scenario, whether it has started and
/// whether its games may be used for research. A wrong code counts against the same limit as
/// `POST /api/join`.
#[utoipa::path(
    get,
    path = "/api/join/{code}",
    tag = "games",
    params(("code" = String, Path, description = "A join code.")),
    responses(
        (status = 200, description = "The game or class behind the code.", body = CodePreview),
        (status = 404, description = "No game or class has that code (`unknown_code`).", body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address; wait a minute (`rate_limited`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn join_preview<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Path(code): Path<String>,
) -> Result<Json<CodePreview>, ApiError> {
    join_limit(&st, peer)?;
    let store = st.registry.store();
    enum Found {
        Game(crate::store::GameRow),
        Class(crate::store::ClassRow),
    }
    let found = by_join_code(&st, peer, &code, |c| async move {
        if let Some(g) = store.game_by_code(&c).await? {
            return Ok(Some(Found::Game(g)));
        }
        Ok(store.class_by_code(&c).await?.map(Found::Class))
    })
    .await?;
    let row = match found {
        Some(Found::Game(row)) => row,
        Some(Found::Class(class)) => {
            let settings = super::classes::settings_of(&class)?;
            let scenario_title = st
                .registry
                .scenarios()
                .get(&class.scenario)
                .map(|s| {
                    scenario_in(s, settings.language.as_deref())
                        .title
                        .to_string()
                })
                .unwrap_or_default();
            return Ok(Json(CodePreview::Class(ClassPreview {
                name: class.name,
                scenario: class.scenario,
                scenario_title,
                started: class.started_at.is_some(),
                research_use: settings.research_use,
                research_free_text: settings.research_free_text,
            })));
        }
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownCode,
                "no game or class has that join code; check it with your facilitator",
            ))
        }
    };
    let handle = st.registry.get(row.id).await?;
    let seats = store.seats(row.id).await?;
    let preview = handle
        .with_game(move |g, _| {
            let scn = &g.scenario;
            JoinPreview {
                title: g.config.title.clone(),
                scenario: scn.id.clone(),
                scenario_title: scn.title.to_string(),
                phase: g.phase,
                round: g.round,
                factions: scn
                    .factions
                    .iter()
                    .map(|f| FactionSeats {
                        faction: f.id.clone(),
                        name: f.name.to_string(),
                        bot: g.config.bots.get(&f.id).copied(),
                        players: seats
                            .iter()
                            .filter(|s| {
                                s.role.plays_faction()
                                    && s.faction.as_deref() == Some(f.id.as_str())
                            })
                            .count() as u32,
                        team_size: g
                            .config
                            .team_sizes
                            .get(&f.id)
                            .copied()
                            .unwrap_or(f.team_size),
                    })
                    .collect(),
            }
        })
        .await?;
    Ok(Json(CodePreview::Game(preview)))
}

/// Refuses an address that has tried too many wrong join codes. Otherwise takes a token for
/// this try, which `game_by_join_code` gives back when the code is right: taken before the
/// look-up, concurrent guesses cannot pass the limit together.
pub(super) fn join_limit<S: Store>(
    st: &AppState<S>,
    peer: std::net::SocketAddr,
) -> Result<(), ApiError> {
    if st.joins.take(peer.ip()) {
        return Ok(());
    }
    crate::metrics::Metrics::inc(&st.registry.metrics.joins_rate_limited);
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        "too many wrong join codes from your address; wait a minute and check the code",
    ))
}

/// The game a join code opens, after `join_limit`: a right code gives the try's token back; a
/// wrong one keeps it spent.
pub(super) async fn game_by_join_code<S: Store>(
    st: &AppState<S>,
    peer: std::net::SocketAddr,
    code: &str,
) -> Result<crate::store::GameRow, ApiError> {
    let store = st.registry.store();
    by_join_code(
        st,
        peer,
        code,
        |c| async move { store.game_by_code(&c).await },
    )
    .await?
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownCode,
            "no game has that join code; check it with your facilitator",
        )
    })
}

/// What `lookup` finds for a typed join code, after `join_limit`: a code that finds something
/// gives the try's token back (as does a database error); a wrong or malformed one keeps it
/// spent.
pub(super) async fn by_join_code<S: Store, T, F, Fut>(
    st: &AppState<S>,
    peer: std::net::SocketAddr,
    code: &str,
    lookup: F,
) -> Result<Option<T>, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, StoreError>>,
{
    let Some(code) = parse_join_code(code) else {
        return Ok(None);
    };
    let found = lookup(code).await;
    if !matches!(found, Ok(None)) {
        st.joins.give_back(peer.ip());
    }
    Ok(found?)
}

/// The scenario a creation asks for (the default scenario when `id` is absent), or
/// `unknown_scenario` naming the ones there are.
/// A game's title as given: trimmed, `None` when empty; up to 60 characters, no control
/// characters (422 `invalid_name`).
pub(super) fn clean_title(title: Option<&str>) -> Result<Option<String>, ApiError> {
    match title.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > 60 || t.chars().any(char::is_control) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidName,
            "a game's title is up to 60 characters, without control characters",
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

pub(super) fn requested_scenario<S: Store>(
    st: &AppState<S>,
    id: Option<&str>,
) -> Result<Arc<crate::engine::scenario::Scenario>, ApiError> {
    let scenarios = st.registry.scenarios();
    let id = id.unwrap_or("missile-defence-2013");
    scenarios.get(id).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownScenario,
            format!(
                "unknown scenario \"{id}\"; available: {}",
                scenarios.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// Answer to `GET /api/games/{id}`: the game as the caller's seat may see it.
#[derive(Serialize, JsonSchema)]
pub struct Summary {
    pub game_id: Uuid,
    pub seq: i64,
    pub you: crate::protocol::SeatInfo,
    /// The code to join this game (for the projector and for inviting more people).
    pub join_code: String,
    /// The class this game is a table of, if it is one (its debrief compares the tables).
    pub class: Option<crate::protocol::ClassTableOf>,
    pub view: crate::engine::view::SeatView,
}

/// The game as the caller's seat may see it (`Authorization: Bearer <seat token>`).
#[utoipa::path(
    get,
    path = "/api/games/{id}",
    tag = "games",
    params(("id" = Uuid, Path, description = "The game's id.")),
    security(("seat_token" = [])),
    responses(
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 200, description = "The seat's view and the game's current sequence.", body = Summary),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn summary<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<Summary>, ApiError> {
    let auth = seat_of(&st, &headers, id).await?;
    let handle = st.registry.get(id).await?;
    let (seq, view) = handle.view(auth.seat.clone()).await?;
    let store = st.registry.store();
    let join_code = store
        .game(id)
        .await?
        .map(|g| g.join_code)
        .unwrap_or_default();
    let class = store
        .game_class(id)
        .await?
        .map(|(class_id, table)| crate::protocol::ClassTableOf { class_id, table });
    Ok(Json(Summary {
        game_id: id,
        seq,
        you: auth.info(),
        join_code,
        class,
        view,
    }))
}

/// Answer to `GET /api/seat`: the game and seat a token opens.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct TokenSeat {
    pub game_id: Uuid,
    pub you: crate::protocol::SeatInfo,
    pub join_code: String,
    /// The game's name, if it has one.
    pub title: Option<String>,
    pub phase: crate::engine::Phase,
    /// 0-based.
    pub round: u32,
    pub round_label: String,
}

/// The game and seat a bearer token opens (a recovery, co-facilitator or projector link).
///
/// Links carry the token in their fragment (`/seat#<token>`), which browsers never send to a
/// server nor put in a Referer; the client sends it here as a bearer token.
#[utoipa::path(
    get,
    path = "/api/seat",
    tag = "games",
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The token's game and seat.", body = TokenSeat),
        (status = 401, description = "No bearer token, or an unknown one (`unauthorized`).", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address; wait a minute (`rate_limited`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn token_seat<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> Result<Json<TokenSeat>, ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "this link is not (or no longer) valid; ask your facilitator for a new one",
        )
    };
    let token = bearer(&headers).ok_or_else(unauthorized)?;
    // A try's token is taken before the look-up and given back for a valid link.
    if !st.joins.take(peer.ip()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "too many unknown links from your address; wait a minute",
        ));
    }
    let store = st.registry.store();
    let found = seating::authenticate(store, &token).await;
    if !matches!(found, Ok(None)) {
        st.joins.give_back(peer.ip());
    }
    let Some((game_id, auth)) = found? else {
        return Err(unauthorized());
    };
    let join_code = store
        .game(game_id)
        .await?
        .map(|g| g.join_code)
        .unwrap_or_default();
    let (title, phase, round, round_label) = st
        .registry
        .get(game_id)
        .await?
        .with_game(|g, _| {
            (
                g.config.title.clone(),
                g.phase,
                g.round,
                g.round_label().to_owned(),
            )
        })
        .await?;
    Ok(Json(TokenSeat {
        game_id,
        you: auth.info(),
        join_code,
        title,
        phase,
        round,
        round_label,
    }))
}

/// Body of `POST /api/games/{id}/links`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// `facilitator`: another Control seat (a co-facilitator, or Control on another device);
    /// `projector`: an observer seat for the classroom screen, which sees public information
    /// only and cannot act; `replay`: an observer seat to share the replay of the game once it
    /// has ended (read-only, like any observer).
    pub kind: LinkKind,
    /// The seat's display name; "Co-facilitator" or "Projector" when absent.
    #[serde(default)]
    #[schemars(length(min = 1, max = 40))]
    pub name: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Facilitator,
    Projector,
    Replay,
}

/// Answer to `POST /api/games/{id}/links`: the new seat and its token, shown once.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct NewLinkSeat {
    pub seat_id: Uuid,
    pub seat: Seat,
    pub name: String,
    /// The new seat's bearer token. Put it in a link's fragment (`<base>/seat#<token>`), never
    /// in its path or query.
    pub token: String,
}

/// A new facilitator or projector seat (Control only).
#[utoipa::path(
    post,
    path = "/api/games/{id}/links",
    tag = "games",
    params(("id" = Uuid, Path, description = "The game's id.")),
    request_body = NewLink,
    security(("seat_token" = [])),
    responses(
        (status = 201, description = "The new seat and its token (shown once).", body = NewLinkSeat),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`); or an id in the path that is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The token is not Control's (`control_only`).", body = ErrorBody),
        (status = 422, description = "A bad name (`invalid_name`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn new_link<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<NewLinkSeat>), ApiError> {
    control_only(&st, &headers, id).await?;
    let req: NewLink = object_body(body)?;
    let (role, seat, default_name) = match req.kind {
        LinkKind::Facilitator => (SeatRole::Control, Seat::Control, "Co-facilitator"),
        LinkKind::Projector => (SeatRole::Observer, Seat::Observer, "Projector"),
        LinkKind::Replay => (SeatRole::Observer, Seat::Observer, "Replay"),
    };
    let name = clean_name(req.name.as_deref().unwrap_or(default_name))?;
    let token = new_token();
    let row = SeatRow {
        id: Uuid::new_v4(),
        game_id: id,
        role,
        faction: None,
        name: name.clone(),
        token_hash: token_hash(&token),
        created_at: st.registry.clock.now_ms(),
    };
    st.registry.store().add_seat(&row, None).await?;
    tracing::info!(game = %id, seat = %row.id, role = %role, "link made by Control");
    Ok((
        StatusCode::CREATED,
        Json(NewLinkSeat {
            seat_id: row.id,
            seat,
            name,
            token,
        }),
    ))
}

/// The caller's seat in game `id`, from its bearer token.
pub async fn seat_of<S: Store>(
    st: &AppState<S>,
    headers: &HeaderMap,
    id: Uuid,
) -> Result<SeatAuth, ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "send your seat token: Authorization: Bearer <token>",
        )
    };
    let token = bearer(headers).ok_or_else(unauthorized)?;
    match seating::authenticate(st.registry.store(), &token).await? {
        Some((game, auth)) if game == id => Ok(auth),
        _ => Err(unauthorized()),
    }
}

/// Readiness: the database answers and the node is not stopping. The answer names the node
/// and how many games it owns (decision record 0012).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready: `ready`, then the node's id and the games it owns.", body = String, content_type = "text/plain", example = "ready\nnode: host-1:8080\ngames owned: 3\n"),
        (status = 503, description = "The database is unavailable, or the node is shutting down (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn readyz<S: Store>(State(st): State<Arc<AppState<S>>>) -> Result<String, ApiError> {
    // A stopping node takes no new players: a load balancer sends them elsewhere.
    if *st.shutdown.borrow() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "this server node is shutting down",
        ));
    }
    // A frozen database answers nothing: readiness fails within a second rather than waiting
    // for the pool's own timeout.
    match tokio::time::timeout(READY_WITHIN, st.registry.store().ping()).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the database did not answer within a second",
            ))
        }
    }
    Ok(format!(
        "ready\nnode: {}\ngames owned: {}\n",
        st.registry.node.id,
        st.registry.live()
    ))
}

/// How long `/readyz` waits for the database.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// One entry of `GET /api/scenarios`.
#[derive(Serialize, JsonSchema)]
pub struct ScenarioInfo {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub factions: Vec<String>,
    pub rounds: Vec<String>,
    pub presets: Vec<String>,
    pub default_preset: String,
    /// The language of `title`, `summary` and `rounds`: the one asked for with `lang`, or the
    /// scenario's own when it has no such language.
    pub language: String,
    /// Every language the scenario can be played in, its own first (e.g. `["en", "ru"]`): the
    /// values of `language` when creating a game or a class.
    pub languages: Vec<String>,
}

/// Query of `GET /api/scenarios` and `GET /api/scenarios/{id}`.
#[derive(Deserialize, JsonSchema)]
pub struct LangQuery {
    /// The language of the texts (`ru`); absent or one the scenario does not have: the
    /// scenario's own.
    #[serde(default)]
    pub lang: Option<String>,
}

/// `scenario` in the language `lang` asks for, falling back to its own.
fn scenario_in(
    scenario: &Arc<crate::engine::scenario::Scenario>,
    lang: Option<&str>,
) -> Arc<crate::engine::scenario::Scenario> {
    lang.and_then(|l| scenario.in_language(l))
        .unwrap_or_else(|| scenario.clone())
}

/// The scenarios games can be created with.
///
/// With `lang`, each scenario's title, summary and round labels are in that language where
/// the scenario has it (in its own otherwise).
#[utoipa::path(
    get,
    path = "/api/scenarios",
    tag = "scenarios",
    params(("lang" = Option<String>, Query, description = "Language of the texts, e.g. `ru`; the scenario's own when absent or when it has no such language.")),
    responses(
        (status = 200, description = "Every scenario the server offers.", body = Vec<ScenarioInfo>),
        (status = 400, description = "A query that is not of this shape (`bad_request`).", body = ErrorBody),
    )
)]
pub async fn scenarios<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    query: Result<axum::extract::Query<LangQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<ScenarioInfo>>, ApiError> {
    let q = query_of(query)?;
    Ok(Json(
        st.registry
            .scenarios()
            .values()
            .map(|s| {
                let s = scenario_in(s, q.lang.as_deref());
                ScenarioInfo {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    summary: s.summary.trim().to_owned(),
                    factions: s.factions.iter().map(|f| f.id.to_string()).collect(),
                    rounds: s.rounds.iter().map(|r| r.label.clone()).collect(),
                    presets: s.model.presets.iter().map(|p| p.id.clone()).collect(),
                    default_preset: s.model.default_preset.clone(),
                    language: s.language.clone(),
                    languages: s.languages.clone(),
                }
            })
            .collect(),
    ))
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
}

/// Whether the request carries the server's admin token (none configured: never).
pub(super) fn is_admin<S: Store>(st: &AppState<S>, headers: &HeaderMap) -> bool {
    let given = bearer(headers).unwrap_or_default();
    st.config
        .admin_token
        .as_ref()
        .is_some_and(|admin| constant_time_eq(given.as_bytes(), admin.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(super) fn clean_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let bad = |c: char| c.is_control() || crate::engine::game::is_direction_control(c);
    if !crate::engine::game::is_visible(name) || name.chars().count() > 40 || name.chars().any(bad)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidName,
            "a name is 1 to 40 visible characters, without control characters or text-direction overrides",
        ));
    }
    Ok(name.to_owned())
}

/// A request body of type `T`: JSON, and an object. (serde would also read a struct from a
/// JSON array, field by field in order: `[]` created a game.) Errors name the field's path.
pub(super) fn object_body<T: serde::de::DeserializeOwned>(
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    let Json(value) = body.map_err(bad_json)?;
    if !value.is_object() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "the body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("Failed to deserialize the JSON body into the target type: {e}"),
        )
    })
}

fn bad_json(e: axum::extract::rejection::JsonRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            "the request body is over 64 KiB",
        );
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        e.body_text(),
    )
}

/// A request's query string as `T`, or `bad_request` saying what is wrong with it.
pub(super) fn query_of<T>(
    query: Result<axum::extract::Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, ApiError> {
    query.map(|axum::extract::Query(q)| q).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.body_text(),
        )
    })
}

/// Query of `GET /api/games/{id}/messages`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlierMessages {
    /// The channel, as `plenary`, `bilateral-<faction>-<faction>`, `team-<faction>` or
    /// `control-<faction>`.
    pub channel: String,
    /// Messages before this message id of the channel; absent: the latest.
    #[serde(default)]
    pub before: Option<u32>,
}

/// The channel named by a key such as `bilateral-russia-us_nato` (the clients' key).
fn channel_of_key(key: &str) -> Option<crate::engine::Channel> {
    use crate::engine::Channel;
    let mut parts = key.split('-');
    let kind = parts.next()?;
    let mut faction = || parts.next().filter(|f| !f.is_empty()).map(FactionId::new);
    let channel = match kind {
        "plenary" => Channel::Plenary,
        "team" => Channel::Team {
            faction: faction()?,
        },
        "control" => Channel::Control {
            faction: faction()?,
        },
        "bilateral" => Channel::Bilateral {
            factions: [faction()?, faction()?],
        },
        _ => return None,
    };
    parts.next().is_none().then_some(channel)
}

/// Earlier messages of one channel, for a view that carries only the latest 200 of each.
///
/// Up to 200 messages before `before` (the latest when absent), oldest first, from a channel
/// the caller's seat may read.
#[utoipa::path(
    get,
    path = "/api/games/{id}/messages",
    tag = "games",
    params(
        ("id" = Uuid, Path, description = "The game's id."),
        ("channel" = String, Query, description = "`plenary`, `bilateral-<faction>-<faction>`, `team-<faction>` or `control-<faction>`."),
        ("before" = Option<u32>, Query, description = "Messages before this id of the channel; absent: the latest."),
    ),
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The messages, oldest first.", body = Vec<crate::engine::Message>),
        (status = 400, description = "A path id that is not a UUID, or a query that is not of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "This seat cannot read that channel (`forbidden`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 422, description = "Not a channel of this game (`invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn messages<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    query: Result<axum::extract::Query<EarlierMessages>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::engine::Message>>, ApiError> {
    let q = query_of(query)?;
    let auth = seat_of(&st, &headers, id).await?;
    let handle = st.registry.get(id).await?;
    let invalid = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            format!("\"{}\" is not a channel of this game", q.channel),
        )
    };
    let channel = channel_of_key(&q.channel).ok_or_else(invalid)?;
    let seat = auth.seat.clone();
    // The rules' own check of a channel (its factions exist, a pair is two, in order).
    let found = handle
        .with_game(move |g, _| {
            let channel = g.normalise_channel(&channel).ok()?;
            let earlier = g.earlier_messages(
                &seat,
                &channel,
                q.before,
                crate::engine::view::VIEW_MESSAGES,
            );
            Some((channel, earlier))
        })
        .await?;
    let (channel, earlier) = found.ok_or_else(invalid)?;
    let earlier = earlier.ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this seat cannot read that channel",
        )
    })?;
    match earlier {
        MessagePage::Here(messages) => Ok(Json(messages)),
        // Older than the game holds in memory: from the log. (Only the owner task appends;
        // ids are stable, so a read a few events behind the game is still right.)
        MessagePage::InLog { before } => {
            let logged = crate::store::messages_before(
                st.registry.store(),
                id,
                &channel,
                before,
                crate::engine::view::VIEW_MESSAGES,
                LOG_WINDOW,
            )
            .await?;
            // In the form the seat reads them (hidden ones without their text).
            let seat = auth.seat.clone();
            let read = handle
                .with_game(move |g, _| logged.iter().map(|m| g.message_for(&seat, m)).collect())
                .await?;
            Ok(Json(read))
        }
    }
}

/// Events read at a time when older messages are paged from the log.
const LOG_WINDOW: u32 = 2_000;

/// The turn reports as the caller's seat may read them (same visibility function as events).
#[utoipa::path(
    get,
    path = "/api/games/{id}/reports",
    tag = "games",
    params(("id" = Uuid, Path, description = "The game's id.")),
    security(("seat_token" = [])),
    responses(
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 200, description = "One report per adjudicated round, oldest first.", body = Vec<SeatReport>),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn reports<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<Vec<SeatReport>>, ApiError> {
    let auth = seat_of(&st, &headers, id).await?;
    let handle = st.registry.get(id).await?;
    let seat = auth.seat.clone();
    let reports = handle
        .with_game(move |g, _| {
            g.reports
                .iter()
                .map(|r| crate::engine::view::report_for(r, &seat, g.ended()))
                .collect()
        })
        .await?;
    Ok(Json(reports))
}

/// Answer to `GET /api/games/{id}/export`.
#[derive(Serialize, JsonSchema)]
pub struct Export {
    pub game_id: Uuid,
    pub scenario: String,
    pub seq: i64,
    /// The whole event log, up to `seq`.
    pub events: Vec<crate::engine::Event>,
    /// Control's view of the game now.
    pub view: crate::engine::view::SeatView,
}

/// Everything, for Control: the full event log and Control's view.
#[utoipa::path(
    get,
    path = "/api/games/{id}/export",
    tag = "games",
    params(("id" = Uuid, Path, description = "The game's id.")),
    security(("seat_token" = [])),
    responses(
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 200, description = "The event log as stored and Control's view.", body = Export),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The token is not Control's (`control_only`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn export<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<Export>, ApiError> {
    exporter(&st, &headers, id, "only Control may export the whole game").await?;
    let (seq, view, events) = control_view_and_log(&st, id).await?;
    let scenario = view.scenario.clone();
    Ok(Json(Export {
        game_id: id,
        scenario,
        seq,
        events,
        view,
    }))
}

/// The request's seat, if it may export the game (Control); otherwise `control_only` with
/// `refusal`. Who may export is decided in one place, the engine's view module.
pub(super) async fn exporter<S: Store>(
    st: &AppState<S>,
    headers: &HeaderMap,
    id: Uuid,
    refusal: &str,
) -> Result<SeatAuth, ApiError> {
    let auth = seat_of(st, headers, id).await?;
    if !crate::engine::view::may_export(&auth.seat) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ControlOnly,
            refusal,
        ));
    }
    Ok(auth)
}

/// Control's view of a game, its sequence, and the event log up to that sequence (the exports).
pub(super) async fn control_view_and_log<S: Store>(
    st: &AppState<S>,
    id: Uuid,
) -> Result<
    (
        i64,
        crate::engine::view::SeatView,
        Vec<crate::engine::Event>,
    ),
    ApiError,
> {
    let (seq, view) = st.registry.get(id).await?.view(Seat::Control).await?;
    let mut stored = st.registry.store().events_after(id, 0).await?;
    stored.retain(|(s, _)| *s <= seq);
    let events = crate::store::decode_events(&stored).map_err(ApiError::internal)?;
    Ok((seq, view, events))
}

/// The whole scenario: factions, calendar, variables, actions with costs, clause kinds, event
/// cards, the model's parameters with sources, scoring weights and map features. Public: it is
/// the game's rulebook.
///
/// With `lang`, its texts (names, descriptions, event texts, the bots' lines) are in that
/// language wherever the scenario has a translation, in its own elsewhere; `language` says
/// which language was answered and `languages` which ones there are. Sources are never
/// translated.
#[utoipa::path(
    get,
    path = "/api/scenarios/{id}",
    tag = "scenarios",
    params(
        ("id" = String, Path, description = "Scenario id."),
        ("lang" = Option<String>, Query, description = "Language of the texts, e.g. `ru`; the scenario's own when absent or when it has no such language."),
    ),
    responses(
        (status = 200, description = "The scenario, in the JSON form of the scenario file (docs/scenario-format.md) without its `locales`, plus `languages`.", body = Object),
        (status = 400, description = "A query that is not of this shape (`bad_request`).", body = ErrorBody),
        (status = 404, description = "No such scenario (`unknown_scenario`).", body = ErrorBody),
    )
)]
pub async fn scenario<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<LangQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Arc<crate::engine::scenario::Scenario>>, ApiError> {
    let q = query_of(query)?;
    st.registry
        .scenarios()
        .get(&id)
        .map(|s| Json(scenario_in(s, q.lang.as_deref())))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownScenario,
                format!("unknown scenario \"{id}\""),
            )
        })
}

/// Where students' devices can reach this server.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ServerInfo {
    /// The server's `--public-url`, if it has one.
    pub public_url: Option<String>,
    /// The base of join links for this request: the public URL; else the address the browser
    /// used, unless that is this computer's loopback address, in which case the machine's
    /// first network address (when it listens on one).
    pub join_base: String,
    /// `http://<address>:<port>` for each of the machine's addresses other devices may use
    /// (empty with a public URL, and when the server listens on a loopback address only).
    pub reachable: Vec<String>,
}

/// Where students can reach this server.
///
/// The console and the projector build join links on `join_base`, and warn when the page was
/// opened on an address students' devices cannot reach.
#[utoipa::path(
    get,
    path = "/api/server",
    tag = "games",
    responses((status = 200, description = "Reachability.", body = ServerInfo))
)]
pub async fn server_info<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    headers: HeaderMap,
) -> Json<ServerInfo> {
    let reach = &st.config.reach;
    Json(ServerInfo {
        public_url: reach.public_url.clone(),
        join_base: reach.join_base(&headers),
        reachable: if reach.public_url.is_some() {
            Vec::new()
        } else {
            reach.reachable.clone()
        },
    })
}

/// A QR code of the join link, for the projector: `<base>/join/<code>`, on the same base as
/// `GET /api/server`'s `join_base`.
#[utoipa::path(
    get,
    path = "/api/join/{code}/qr.svg",
    tag = "games",
    params(("code" = String, Path, description = "A join code: six characters of `ABCDEFGHJKMNPQRSTUVWXYZ23456789`; case, spaces and dashes are ignored.", pattern = r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789abcdefghjkmnpqrstuvwxyz \-]{6,}$")),
    responses(
        (status = 200, description = "An SVG image.", body = String, content_type = "image/svg+xml"),
        (status = 422, description = "Not a join code (`invalid`).", body = ErrorBody),
    )
)]
pub async fn join_qr<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let code = parse_join_code(&code).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            "a join code is 6 letters and digits",
        )
    })?;
    let link = format!("{}/join/{code}", st.config.reach.join_base(&headers));
    let qr = qrcode::QrCode::new(link.as_bytes()).map_err(ApiError::internal)?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        svg,
    )
        .into_response())
}

/// One seat of a game, as Control's seat list shows it.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct SeatEntry {
    pub seat_id: Uuid,
    pub name: String,
    pub seat: Seat,
    /// Sockets of this seat open now (on the game's owner, which serves them all).
    pub connected: u32,
}

fn seat_entry<S: Store>(st: &AppState<S>, row: &SeatRow) -> Option<SeatEntry> {
    Some(SeatEntry {
        seat_id: row.id,
        name: row.name.clone(),
        seat: seat_of_row(row)?,
        connected: st.presence.open(row.id),
    })
}

pub(super) async fn control_only<S: Store>(
    st: &AppState<S>,
    headers: &HeaderMap,
    id: Uuid,
) -> Result<SeatAuth, ApiError> {
    let auth = seat_of(st, headers, id).await?;
    if auth.seat != Seat::Control {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ControlOnly,
            "only Control may manage seats",
        ));
    }
    Ok(auth)
}

/// Everyone seated in the game and whether they are connected (Control only).
#[utoipa::path(
    get,
    path = "/api/games/{id}/seats",
    tag = "games",
    params(("id" = Uuid, Path, description = "The game's id.")),
    security(("seat_token" = [])),
    responses(
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 200, description = "Every seat, in the order they joined.", body = Vec<SeatEntry>),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The token is not Control's (`control_only`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn seats<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<Vec<SeatEntry>>, ApiError> {
    control_only(&st, &headers, id).await?;
    // Asked of the game's owner (forwarded there when it is another node): every socket of
    // the game is served by its owner, so its counts are the only whole ones.
    st.registry.get(id).await?;
    let rows = st.registry.store().seats(id).await?;
    Ok(Json(
        rows.iter().filter_map(|r| seat_entry(&st, r)).collect(),
    ))
}

/// Body of `PUT /api/games/{id}/seats/{seat_id}`: a faction, or `observer: true`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveSeat {
    #[serde(default)]
    pub faction: Option<FactionId>,
    #[serde(default)]
    pub observer: bool,
}

/// Control assigns a seat to a faction, or makes it an observer.
///
/// The seat's open sockets close with 4000 (`seat_changed`); its token stays valid and a new
/// `hello` gives the new seat's view.
#[utoipa::path(
    put,
    path = "/api/games/{id}/seats/{seat_id}",
    tag = "games",
    params(
        ("id" = Uuid, Path, description = "The game's id."),
        ("seat_id" = Uuid, Path, description = "The seat to move."),
    ),
    request_body = MoveSeat,
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The seat as it is now.", body = SeatEntry),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`); or an id in the path that is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The token is not Control's (`control_only`).", body = ErrorBody),
        (status = 404, description = "No such seat in this game, or it is Control's (`not_found`).", body = ErrorBody),
        (status = 409, description = "A bot plays that faction, or its team is full (`bot_seat`, `team_full`).", body = ErrorBody),
        (status = 422, description = "Unknown faction, or both or neither of faction and observer (`unknown_faction`, `invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn move_seat<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids((id, seat_id)): Ids<(Uuid, Uuid)>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<SeatEntry>, ApiError> {
    control_only(&st, &headers, id).await?;
    let req: MoveSeat = object_body(body)?;
    let handle = st.registry.get(id).await?;
    let wanted = match (req.faction, req.observer) {
        (Some(f), false) => Wanted::Faction(f),
        (None, true) => Wanted::Observer,
        _ => Wanted::AnyFaction,
    };
    let rules = SeatingRules::of(&handle).await?;
    let row = rules
        .move_seat(st.registry.store(), id, seat_id, wanted)
        .await?;
    st.presence.seat_changed(seat_id);
    let _ = handle.seated().await;
    tracing::info!(game = %id, seat = %seat_id, role = %row.role, faction = ?row.faction, "seat moved by Control");
    seat_entry(&st, &row)
        .map(Json)
        .ok_or_else(|| ApiError::internal("moved seat has an unknown role"))
}
