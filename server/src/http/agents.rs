//! Outside agents over HTTP. Control hands a faction to an agent (a program, scripted or
//! language-model based) and gets a seat token for it, shown once; or revokes the agent's seat,
//! after which its token opens nothing and people may play the faction again.
//!
//! The agent's seat is an ordinary faction seat: the same view function, limits and rules as a
//! person's. What marks the faction as an agent's is the game's own log (`agent_set`), so every
//! seat sees who plays it and the rules hold the agent's messages for approval when asked.

use super::api::{clean_name, control_only, object_body};
use super::{ApiError, AppState, ErrorBody, Ids};
use crate::engine::{Agent, Command, FactionId, Seat};
use crate::game::seating::{new_token, token_hash};
use crate::game::{GameHandle, SeatAuth};
use crate::protocol::{ErrorCode, ServerFrame};
use crate::store::{SeatRole, SeatRow, Store};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// Why `set_agent` is refused from a socket (or a class command): the HTTP endpoints send it,
/// with the agent's seat made or revoked beside it.
pub const SET_AGENT_OVER_HTTP: &str = "hand a faction to an outside agent, or take it back, with \
    POST or DELETE /api/games/{id}/agents: they make and revoke the agent's seat";

/// Body of `POST /api/games/{id}/agents`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// The faction the agent plays. No bot may play it and nobody may sit in it.
    pub faction: FactionId,
    /// The agent's name, as the table reads it.
    #[schemars(length(min = 1, max = 40))]
    pub name: String,
    /// Control approves each message the agent sends to other factions before it is
    /// delivered (a queue on the console).
    #[serde(default)]
    pub approve_chat: bool,
}

/// Answer to `POST /api/games/{id}/agents`: the agent's seat and its token, shown once.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct AgentSeat {
    pub seat_id: Uuid,
    pub faction: FactionId,
    pub name: String,
    pub approve_chat: bool,
    /// The agent's bearer token: its `hello` (or `Authorization: Bearer`). Only its hash is
    /// stored; revoking the seat makes it worthless.
    pub token: String,
}

/// Answer to `DELETE /api/games/{id}/agents/{faction}`.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct AgentRevoked {
    pub faction: FactionId,
    /// Seats revoked: their tokens open nothing now, and their connections were closed.
    pub seats: Vec<Uuid>,
}

/// Control hands a faction to an outside agent and gets the agent's seat token.
///
/// The game records `agent_set` (everyone sees that an agent plays the faction, and whether
/// Control approves its messages); the seat plays like a person's, alone in its faction. A
/// faction an agent already plays, whose seat was not revoked, has its seat already: revoke it
/// to issue a new token. A faction the game marks as an agent's without a seat (a branch
/// without the same people) gets one.
#[utoipa::path(
    post,
    path = "/api/games/{id}/agents",
    tag = "games",
    params(("id" = Uuid, Path, description = "The game's id.")),
    request_body = NewAgent,
    security(("seat_token" = [])),
    responses(
        (status = 201, description = "The agent's seat and its token (shown once).", body = AgentSeat),
        (status = 400, description = "The body is not JSON of this shape (`bad_request`); or an id in the path that is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The token is not Control's (`control_only`).", body = ErrorBody),
        (status = 409, description = "A bot plays the faction (`bot_seat`); people sit in it, or its agent has a seat already (`agent_seat`); the game has ended (`game_ended`).", body = ErrorBody),
        (status = 422, description = "An unknown faction or a bad name (`unknown_faction`, `invalid_name`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn new_agent<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<AgentSeat>), ApiError> {
    let control = control_only(&st, &headers, id).await?;
    let req: NewAgent = object_body(body)?;
    let name = clean_name(&req.name)?;
    let handle = st.registry.get(id).await?;
    let f = req.faction.clone();
    let (known, bot, before) = handle
        .with_game({
            let f = f.clone();
            move |g, _| {
                (
                    g.scenario.faction(f.as_str()).is_some(),
                    g.config.bots.contains_key(&f),
                    g.config.agents.get(&f).cloned(),
                )
            }
        })
        .await?;
    if !known {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownFaction,
            format!("unknown faction \"{f}\""),
        ));
    }
    if bot {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::BotSeat,
            format!("a bot plays {f}; hand it to people first (set_bot with no temperament)"),
        ));
    }
    let taken = |agent: bool| {
        let message = if agent {
            format!("{f}'s agent has its seat; revoke it to issue a new token")
        } else {
            format!("people sit in {f}; move them to another faction first")
        };
        ApiError::new(StatusCode::CONFLICT, ErrorCode::AgentSeat, message)
    };
    let store = st.registry.store();
    let seated: Vec<SeatRole> = store
        .seats(id)
        .await?
        .into_iter()
        .filter(|s| s.role.plays_faction() && s.faction.as_deref() == Some(f.as_str()))
        .map(|s| s.role)
        .collect();
    if !seated.is_empty() {
        return Err(taken(seated.contains(&SeatRole::Agent)));
    }
    // First the rules (nobody joins the faction from now on), then the seat, which the store
    // adds only to an empty team under the game's lock: someone who joined in between keeps
    // their place, and the faction goes back to what it was.
    let wanted = Agent {
        name: name.clone(),
        approve_chat: req.approve_chat,
    };
    let set = |agent: Option<Agent>| Command::SetAgent {
        faction: f.clone(),
        agent,
    };
    as_control(&handle, control.clone(), set(Some(wanted))).await?;
    let token = new_token();
    let row = SeatRow {
        id: Uuid::new_v4(),
        game_id: id,
        role: SeatRole::Agent,
        faction: Some(f.to_string()),
        name: name.clone(),
        token_hash: token_hash(&token),
        created_at: st.registry.clock.now_ms(),
    };
    let added = store.add_seat(&row, Some(1)).await;
    if !matches!(added, Ok(true)) {
        if let Err(e) = as_control(&handle, control, set(before)).await {
            tracing::warn!(game = %id, faction = %f, error = ?e, "an agent's faction could not be handed back after its seat failed");
        }
        added?;
        return Err(taken(false));
    }
    // A game waiting to be seated may start now.
    let _ = handle.seated().await;
    tracing::info!(game = %id, seat = %row.id, faction = %f, "an outside agent is seated by Control");
    Ok((
        StatusCode::CREATED,
        Json(AgentSeat {
            seat_id: row.id,
            faction: f,
            name,
            approve_chat: req.approve_chat,
            token,
        }),
    ))
}

/// Control revokes the seat of the agent playing `faction`: its token opens nothing from now
/// on, its connections close (4000, then `bad_token` on reconnecting), its messages still
/// waiting are refused, and people may play the faction again (`agent_set` to null). People's
/// seats are never revoked; a faction no agent plays changes nothing.
#[utoipa::path(
    delete,
    path = "/api/games/{id}/agents/{faction}",
    tag = "games",
    params(
        ("id" = Uuid, Path, description = "The game's id."),
        ("faction" = String, Path, description = "The faction the agent plays."),
    ),
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The agent's seats are revoked.", body = AgentRevoked),
        (status = 400, description = "An id in the path is not a UUID (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "The token is not Control's (`control_only`).", body = ErrorBody),
        (status = 409, description = "The game has ended (`game_ended`): its seats stay as they were.", body = ErrorBody),
        (status = 422, description = "An unknown faction (`unknown_faction`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn revoke_agent<S: Store>(
    State(st): State<Arc<AppState<S>>>,
    Ids((id, faction)): Ids<(Uuid, String)>,
    headers: HeaderMap,
) -> Result<Json<AgentRevoked>, ApiError> {
    let control = control_only(&st, &headers, id).await?;
    let faction = FactionId::new(faction);
    let handle = st.registry.get(id).await?;
    let (known, marked, ended) = handle
        .with_game({
            let f = faction.clone();
            move |g, _| {
                (
                    g.scenario.faction(f.as_str()).is_some(),
                    g.config.agents.contains_key(&f),
                    g.ended(),
                )
            }
        })
        .await?;
    if !known {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownFaction,
            format!("unknown faction \"{faction}\""),
        ));
    }
    if ended {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::GameEnded,
            "the game has ended; its seats stay as they were",
        ));
    }
    // The agent's seats first (people's seats are never touched), then the rules: people may
    // take the faction only once no token of the agent opens it. A retry after a failure in
    // between finds no seat left and hands the faction back.
    let store = st.registry.store();
    let mut revoked = Vec::new();
    for seat in store.seats(id).await? {
        if seat.role == SeatRole::Agent && seat.faction.as_deref() == Some(faction.as_str()) {
            // A hash of a token nobody is given.
            if store
                .revoke_seat(id, seat.id, &token_hash(&new_token()))
                .await?
            {
                st.presence.seat_changed(seat.id);
                revoked.push(seat.id);
            }
        }
    }
    if marked {
        let command = Command::SetAgent {
            faction: faction.clone(),
            agent: None,
        };
        match as_control(&handle, control, command).await {
            Ok(()) => {}
            // The seats are revoked; a game that ended meanwhile keeps its last picture.
            Err(e) if e.code == ErrorCode::GameEnded => {}
            Err(e) => return Err(e),
        }
    }
    tracing::info!(game = %id, faction = %faction, seats = revoked.len(), "an outside agent's seat is revoked by Control");
    Ok(Json(AgentRevoked {
        faction,
        seats: revoked,
    }))
}

/// Gives `command` as Control (`auth`) and turns a refusal into an HTTP error.
async fn as_control(handle: &GameHandle, auth: SeatAuth, command: Command) -> Result<(), ApiError> {
    debug_assert_eq!(auth.seat, Seat::Control);
    let hash = crate::game::request_hash(&command);
    match handle
        .command(auth, format!("agents-{}", Uuid::new_v4()), command, hash)
        .await?
    {
        ServerFrame::Ack { .. } => Ok(()),
        ServerFrame::Error {
            code,
            message,
            retryable,
            ..
        } => {
            let code = ErrorCode::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == code)
                .unwrap_or(ErrorCode::Invalid);
            let status = if retryable {
                StatusCode::SERVICE_UNAVAILABLE
            } else if code == ErrorCode::Unknown || code == ErrorCode::Invalid {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            Err(ApiError::new(status, code, message))
        }
        other => Err(ApiError::internal(format!("unexpected answer {other:?}"))),
    }
}
