//! What-if branches and replays over HTTP. Control of a game (running or finished) starts a new game from
//! the start of one of its past rounds, or of a phase in it. The branch is a game of its own
//! (its own join code, seats, deadlines and bots); its log is the parent's up to that point,
//! then `branched` (engine/game/branch.rs). The parent is only read.

use super::api::{clean_name, clean_title, object_body, seat_of, store_new_game};
use super::{ApiError, AppState, ErrorBody, Ids};
use crate::engine::scenario::PhaseDeadlines;
use crate::engine::scenario::Scenario;
use crate::engine::{BranchSettings, Event, FactionId, Game, Phase, Seat, Temperament};
use crate::game::seating::{new_token, token_hash};
use crate::protocol::ErrorCode;
use crate::store::{GameRow, GameStatus, SeatRole, SeatRow, Store};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Body of `POST /api/games/{id}/branch`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchGame {
    /// The round to start from, 0-based (the game must have reached it).
    pub round: u32,
    /// The phase of that round to start from: `briefing` (the default, the round's start),
    /// `negotiation`, `orders` or `review`.
    #[serde(default)]
    pub phase: Option<Phase>,
    /// Control's name in the branch (default: the caller's).
    #[serde(default)]
    pub name: Option<String>,
    /// The branch's title (default: the parent's).
    #[serde(default)]
    pub title: Option<String>,
    /// Model preset (default: the parent's).
    #[serde(default)]
    pub preset: Option<String>,
    /// Phase deadlines in seconds (default: the parent's).
    #[serde(default)]
    pub deadlines: Option<PhaseDeadlines>,
    /// Factions played by bots (default: those the parent's bots played at that point).
    #[serde(default)]
    pub bots: Option<BTreeMap<FactionId, Temperament>>,
    /// Seat everyone who sits in a faction of the parent in the same faction of the branch,
    /// each with a new token (answered in `seats`, to hand out as links).
    #[serde(default)]
    pub same_people: bool,
}

/// A seat made for one of the parent's people (`same_people`).
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct BranchSeat {
    pub seat_id: Uuid,
    pub name: String,
    pub faction: FactionId,
    /// Shown once; only its hash is stored. `/game/<branch id>` opens with it.
    pub seat_token: String,
}

/// Answer to `POST /api/games/{id}/branch`.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct BranchCreated {
    pub game_id: Uuid,
    pub join_code: String,
    /// Control's bearer token in the branch. Shown once; only its hash is stored.
    pub control_token: String,
    pub control_seat_id: Uuid,
    pub branch: crate::engine::BranchPoint,
    /// The parent's people, seated again (empty unless `same_people`).
    pub seats: Vec<BranchSeat>,
}

/// Starts a branch of a game: a new game from the start of one of its past rounds (or of a
/// phase in it), as every seat saw it then.
///
/// Control (or a co-facilitator) of the game, running or ended. The branch waits paused, with
/// the phase's full time, until its Control resumes it.
#[utoipa::path(
    post,
    path = "/api/games/{id}/branch",
    tag = "games",
    request_body = BranchGame,
    params(("id" = Uuid, Path, description = "The game to branch.")),
    security(("seat_token" = [])),
    responses(
        (status = 201, description = "The branch exists; connect to `/ws` with `control_token`.", body = BranchCreated),
        (status = 400, description = "An id in the path is not a UUID, or the body is not of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "Not Control of the game (`control_only`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 422, description = "A point the game has not reached, the lobby or the end, an unknown preset or faction (`invalid`, `unknown_faction`, `invalid_name`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn branch_game<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<BranchCreated>), ApiError> {
    let auth = seat_of(&st, &headers, id).await?;
    if auth.seat != Seat::Control {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ControlOnly,
            "only Control may branch a game",
        ));
    }
    let req: BranchGame = object_body(body)?;
    let name = clean_name(req.name.as_deref().unwrap_or(&auth.name))?;
    let title = clean_title(req.title.as_deref())?;
    let store = st.registry.store();
    let (parent, scenario) = game_and_scenario(&st, id).await?;
    if let Some(f) = req
        .bots
        .iter()
        .flat_map(|b| b.keys())
        .find(|f| scenario.faction(f.as_str()).is_none())
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownFaction,
            format!("bots names unknown faction \"{f}\""),
        ));
    }
    // The parent's log as committed: the branch point must be in it.
    let (seqs, events) = log_of(&st, id).await?;
    let log: Vec<(i64, Event)> = seqs.into_iter().zip(events).collect();
    let settings = BranchSettings {
        title,
        preset: req.preset,
        deadlines: req.deadlines,
        bots: req.bots,
    };
    let phase = req.phase.unwrap_or(Phase::Briefing);
    let (game, events) =
        Game::branch(scenario, id, &log, req.round, phase, settings).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::of(&e),
                e.to_string(),
            )
        })?;
    let branch = game
        .branch
        .clone()
        .ok_or_else(|| ApiError::internal("a branch without its branch point"))?;
    let bodies = crate::store::encode_events(&events).map_err(ApiError::internal)?;
    let now = st.registry.clock.now_ms();
    let game_id = Uuid::new_v4();
    let control_token = new_token();
    let control = SeatRow {
        id: Uuid::new_v4(),
        game_id,
        role: SeatRole::Control,
        faction: None,
        name,
        token_hash: token_hash(&control_token),
        created_at: now,
    };
    let mut seat_rows = vec![control.clone()];
    let mut seats = Vec::new();
    if req.same_people {
        for s in store.seats(id).await? {
            let Some(f) = s.faction.clone().filter(|_| s.role.plays_faction()) else {
                continue;
            };
            let token = new_token();
            // An agent's seat stays an agent's: the branch marks the faction as it was.
            let row = SeatRow {
                id: Uuid::new_v4(),
                game_id,
                role: s.role,
                faction: Some(f.clone()),
                name: s.name.clone(),
                token_hash: token_hash(&token),
                created_at: now,
            };
            seats.push(BranchSeat {
                seat_id: row.id,
                name: row.name.clone(),
                faction: FactionId::new(f),
                seat_token: token,
            });
            seat_rows.push(row);
        }
    }
    let status = GameStatus {
        deadline_at: game.deadline_at,
        ended: false,
    };
    let row = GameRow {
        id: game_id,
        join_code: String::new(),
        scenario: parent.scenario.clone(),
        control_token_hash: control.token_hash.clone(),
        created_at: now,
        last_seq: 0,
        deadline_at: game.deadline_at,
        ended: false,
    };
    let row = store_new_game(&st, row, &seat_rows, &bodies, status).await?;
    // The game is stored: the request must not be sent to another node to be made again.
    // If another node took it in the meantime (a sweep), its task runs there.
    match st.registry.get(game_id).await {
        Ok(_) | Err(crate::game::SessionError::Elsewhere(_)) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(game = %game_id, parent = %id, round = branch.round, phase = ?branch.phase, events = bodies.len(), "branch created");
    Ok((
        StatusCode::CREATED,
        Json(BranchCreated {
            game_id,
            join_code: row.join_code,
            control_token,
            control_seat_id: control.id,
            branch,
            seats,
        }),
    ))
}

/// Answer to `GET /api/games/{id}/compare`: a branch and the game it branched from, side by
/// side (the same form as a class's debrief, the original first).
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct GameComparison {
    pub game_id: Uuid,
    pub parent_id: Uuid,
    /// The branch's title, or the original's.
    pub name: String,
    pub scenario: String,
    /// `teacher`: both games as their Control sees them (the branch's Control made it from the
    /// original's); `student`: both as an observer sees them (the public side until a game
    /// ends, everything after).
    pub reader: crate::protocol::ClassRole,
    pub branch: crate::engine::BranchPoint,
    /// The original (table 0) and the branch (table 1).
    pub tables: Vec<crate::class::debrief::TableDebrief>,
    /// The first round whose orders differ: at the branch point or after.
    pub first_difference: Option<crate::class::debrief::FirstDifference>,
}

/// Compares a branch with the game it branched from: scores, agreements kept and broken,
/// breaches, crises, tension and each faction's perceived balance over the rounds, and the
/// first round whose orders differ.
#[utoipa::path(
    get,
    path = "/api/games/{id}/compare",
    tag = "games",
    params(("id" = Uuid, Path, description = "The branch.")),
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The original and the branch side by side.", body = GameComparison),
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 404, description = "No such game, or its original is gone (`not_found`).", body = ErrorBody),
        (status = 422, description = "The game is not a branch (`invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn compare_game<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
) -> Result<Json<GameComparison>, ApiError> {
    use crate::class::debrief::{first_difference, TableDebrief};
    use crate::protocol::ClassRole;
    let auth = seat_of(&st, &headers, id).await?;
    let (reader, seat) = if auth.seat == Seat::Control {
        (ClassRole::Teacher, Seat::Control)
    } else {
        (ClassRole::Student, Seat::Observer)
    };
    let (_, view) = st.registry.get(id).await?.view(seat.clone()).await?;
    let Some(branch) = view.branch.clone() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            "this game is not a branch of another",
        ));
    };
    if st.registry.store().game(branch.parent).await?.is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "the game this one branched from is gone",
        ));
    }
    // The parent may run on another node: then it is read from its log.
    let (_, original) = st.registry.view_anywhere(branch.parent, seat).await?;
    let tables = vec![
        TableDebrief::of(0, branch.parent, &original),
        TableDebrief::of(1, id, &view),
    ];
    Ok(Json(GameComparison {
        game_id: id,
        parent_id: branch.parent,
        name: view
            .title
            .clone()
            .or_else(|| original.title.clone())
            .unwrap_or_else(|| view.scenario.clone()),
        scenario: view.scenario.clone(),
        reader,
        branch,
        first_difference: first_difference(&tables),
        tables,
    }))
}

/// Query of `GET /api/games/{id}/replay`.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    /// The sequence to show the game at: a step's `seq` from `steps` (default: the last).
    #[serde(default)]
    pub at: Option<i64>,
    /// Whose picture: `control` (the technical truth), `public` (an observer's), or a
    /// faction's id. Default: the caller's own seat.
    #[serde(default, rename = "as")]
    pub as_seat: Option<String>,
}

/// One step of a replay: where a phase began (or the game ended).
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ReplayStep {
    pub seq: i64,
    /// 0-based.
    pub round: u32,
    pub phase: Phase,
}

/// Answer to `GET /api/games/{id}/replay`: the game at one step, as one seat saw it then.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ReplayFrame {
    pub game_id: Uuid,
    /// The sequence shown.
    pub seq: i64,
    /// Whose picture: `control`, `public` or a faction's id.
    #[serde(rename = "as")]
    pub as_seat: String,
    /// Every step of the game, in order.
    pub steps: Vec<ReplayStep>,
    /// The seat's view at `seq`, as the view function gave it then.
    pub view: crate::engine::view::SeatView,
}

/// The game at a past step, as one seat saw it then: its log up to `at` replayed, and that
/// seat's view of it. Control may replay a game at any time; any other seat of the game (an
/// observer's replay link, say) once it has ended, when everyone may read everything.
#[utoipa::path(
    get,
    path = "/api/games/{id}/replay",
    tag = "games",
    params(
        ("id" = Uuid, Path, description = "The game."),
        ("at" = Option<i64>, Query, description = "A step's sequence (default: the last)."),
        ("as" = Option<String>, Query, description = "`control`, `public` or a faction's id (default: the caller's seat)."),
    ),
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The game at that step as that seat saw it.", body = ReplayFrame),
        (status = 400, description = "An id in the path is not a UUID, or the query is not of this shape (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "Not Control, and the game has not ended (`control_only`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 422, description = "No step at that sequence, or an unknown faction (`invalid`, `unknown_faction`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn replay_game<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    query: Result<axum::extract::Query<ReplayQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Json<ReplayFrame>, ApiError> {
    let q = super::api::query_of(query)?;
    let auth = seat_of(&st, &headers, id).await?;
    let (row, scenario) = game_and_scenario(&st, id).await?;
    if auth.seat != Seat::Control && !row.ended {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ControlOnly,
            "only Control may replay a game before it has ended",
        ));
    }
    let seat = match q.as_seat.as_deref() {
        None => auth.seat.clone(),
        Some("control") => Seat::Control,
        Some("public") => Seat::Observer,
        Some(f) if scenario.faction(f).is_some() => Seat::Faction(FactionId::new(f)),
        Some(f) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::UnknownFaction,
                format!("\"{f}\" is not control, public or a faction of this game"),
            ))
        }
    };
    let (seqs, events) = log_of(&st, id).await?;
    let mut steps: Vec<ReplayStep> = Vec::new();
    for (seq, e) in seqs.iter().zip(&events) {
        let last_round = steps.last().map_or(0, |s| s.round);
        let (round, phase) = match e {
            Event::RoundBegan { round, .. } => (*round, Phase::Briefing),
            Event::PhaseChanged { round, phase, .. } => (*round, *phase),
            Event::Branched { round, phase, .. } => (*round, *phase),
            Event::GameEnded { .. } => (last_round, Phase::Ended),
            _ => continue,
        };
        steps.push(ReplayStep {
            seq: *seq,
            round,
            phase,
        });
    }
    let last = seqs.last().copied().unwrap_or(0);
    let at = q.at.unwrap_or(last);
    let upto = seqs.iter().take_while(|s| **s <= at).count();
    if upto == 0 || (at != last && !steps.iter().any(|s| s.seq == at)) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            format!("no step of this game at sequence {at}"),
        ));
    }
    let game = Game::replay(scenario, &events[..upto]).map_err(ApiError::internal)?;
    let as_seat = match &seat {
        Seat::Control | Seat::System => "control".to_owned(),
        Seat::Observer => "public".to_owned(),
        Seat::Faction(f) => f.to_string(),
    };
    let mut view = game.view(&seat);
    if auth.seat != Seat::Control {
        redact_replay(&auth.seat, &events, &mut view);
    }
    Ok(Json(ReplayFrame {
        game_id: id,
        seq: at,
        as_seat,
        steps,
        view,
    }))
}

/// A replayed picture as a seat other than Control may read it, whichever picture it asked
/// for (after the end, when everyone reads everything, with these exceptions that hold for
/// good): a message hidden at any point of the game (`log`, the whole game) without its text;
/// nobody's seat id; another faction's muted people unnamed; an agent's held messages only for
/// the agent's own faction.
fn redact_replay(caller: &Seat, log: &[Event], view: &mut crate::engine::view::SeatView) {
    let hidden = crate::engine::view::hidden_messages(log);
    for m in &mut view.messages {
        m.member = None;
        if m.hidden || hidden.contains(&(&m.channel, m.id)) {
            m.hidden = true;
            m.text.clear();
        }
    }
    view.held.retain(|h| caller.faction() == Some(&h.faction));
    for h in &mut view.held {
        h.member = None;
    }
    for r in &mut view.moderation {
        if caller.faction() != r.faction.as_ref() {
            r.member = None;
            r.name = None;
        }
    }
}

/// A game's row and its scenario (404 `not_found` for no such game).
async fn game_and_scenario<S: Store>(
    st: &AppState<S>,
    id: Uuid,
) -> Result<(GameRow, Arc<Scenario>), ApiError> {
    let row =
        st.registry.store().game(id).await?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such game")
        })?;
    let scenario = st
        .registry
        .scenarios()
        .get(&row.scenario)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("game {id}: no scenario")))?;
    Ok((row, scenario))
}

/// A game's whole log as committed: each event's sequence, and the events.
async fn log_of<S: Store>(st: &AppState<S>, id: Uuid) -> Result<(Vec<i64>, Vec<Event>), ApiError> {
    let stored = st.registry.store().events_after(id, 0).await?;
    let events = crate::store::decode_events(&stored).map_err(ApiError::internal)?;
    Ok((stored.iter().map(|(seq, _)| *seq).collect(), events))
}
