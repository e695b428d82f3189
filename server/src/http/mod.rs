//! HTTP: the REST API (create, join, summaries, reports, export), the WebSocket upgrade,
//! health and readiness. One error type, [`ApiError`], whose response names the problem and
//! hides internals (they are logged).

pub mod agents;
mod api;
pub mod branches;
mod class_ws;
pub mod classes;
pub mod forward;
pub mod limit;
pub mod openapi;
pub mod presence;
pub mod reach;
pub mod research;
pub mod web;
mod ws;

use crate::game::Registry;
use crate::protocol::ErrorCode;
use crate::store::Store;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;

/// Settings the HTTP layer needs.
#[derive(Clone, Debug, Default)]
pub struct HttpConfig {
    /// Origins allowed to open `/ws` (besides the server's own host); empty: same host only.
    pub allowed_origins: Vec<String>,
    /// When set, creating a game needs `Authorization: Bearer <admin token>`.
    pub admin_token: Option<String>,
    /// Where the browser client's files come from.
    pub web: web::WebSource,
    /// Most WebSockets open at once; past it, upgrades get 503.
    pub max_sockets: usize,
    /// Where students' devices can reach this server (join links, QR codes).
    pub reach: reach::Reach,
}

pub struct AppState<S: Store> {
    pub registry: Arc<Registry<S>>,
    pub config: HttpConfig,
    /// Fires when the server shuts down: sockets close with 1001.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// Failed join attempts per client address.
    pub joins: limit::AddrLimiter,
    /// Games created per client address.
    pub creations: limit::AddrLimiter,
    /// Seats taken (successful joins) per client address.
    pub seatings: limit::AddrLimiter,
    /// Open sockets per seat on this node (Control's seat list; closing moved seats).
    pub presence: Arc<presence::Presence>,
    /// Class connections waiting for their class to change, on this node.
    pub class_bells: Arc<presence::ClassBells>,
    /// This node among the others: where requests for their games go.
    pub nodes: forward::Nodes,
}

/// Rings a class's bells for its connections on this node and announces the change to the
/// other nodes sharing the database, which ring theirs (a student may wait on one node while
/// the teacher starts the class on another).
pub(crate) fn ring_class<S: Store>(st: &AppState<S>, class: uuid::Uuid, started: bool) {
    st.class_bells.ring(class, started);
    let store = st.registry.store().clone();
    let node = st.registry.node.id.clone();
    tokio::spawn(async move {
        if let Err(e) = store.announce_class(&node, class, started).await {
            tracing::warn!(class = %class, error = %e, "could not tell the other nodes of a class change");
        }
    });
}

/// The whole HTTP app.
pub fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz::<S>))
        .route("/metrics", get(metrics::<S>))
        .route("/api/scenarios", get(api::scenarios::<S>))
        .route("/api/scenarios/{id}", get(api::scenario::<S>))
        .route("/api/join/{code}/qr.svg", get(api::join_qr::<S>))
        .route("/api/server", get(api::server_info::<S>))
        .route("/api/join/{code}", get(api::join_preview::<S>))
        .route("/api/seat", get(api::token_seat::<S>))
        .route("/api/games/{id}/links", post(api::new_link::<S>))
        .route("/api/games/{id}/seats", get(api::seats::<S>))
        .route(
            "/api/games/{id}/seats/{seat_id}",
            axum::routing::put(api::move_seat::<S>),
        )
        .route("/api/games", post(api::create_game::<S>))
        .route("/api/classes", post(classes::create_class::<S>))
        .route("/api/classes/join", post(classes::join_class::<S>))
        .route("/api/classes/{id}", get(classes::class_lobby::<S>))
        .route("/api/classes/{id}/start", post(classes::start_class::<S>))
        .route(
            "/api/classes/{id}/debrief",
            get(classes::class_debrief::<S>),
        )
        .route(
            "/api/classes/{id}/research",
            get(research::class_research_export::<S>),
        )
        .route(
            "/api/games/{id}/research",
            get(research::game_research::<S>),
        )
        .route(
            "/api/classes/{id}/command",
            post(classes::class_command::<S>),
        )
        .route(
            "/api/classes/{id}/students/{student_id}",
            axum::routing::put(classes::pin_student::<S>),
        )
        .route("/api/join", post(api::join::<S>))
        .route("/api/games/{id}", get(api::summary::<S>))
        .route("/api/games/{id}/reports", get(api::reports::<S>))
        .route("/api/games/{id}/messages", get(api::messages::<S>))
        .route("/api/games/{id}/export", get(api::export::<S>))
        .route("/api/games/{id}/branch", post(branches::branch_game::<S>))
        .route("/api/games/{id}/agents", post(agents::new_agent::<S>))
        .route(
            "/api/games/{id}/agents/{faction}",
            axum::routing::delete(agents::revoke_agent::<S>),
        )
        .route("/api/games/{id}/compare", get(branches::compare_game::<S>))
        .route("/api/games/{id}/replay", get(branches::replay_game::<S>))
        .route("/api/openapi.json", get(openapi::serve))
        // JSON answers are compressed for clients that accept it (a finished game's summary
        // is a few hundred kilobytes); the routes above only, not the WebSocket upgrade.
        .layer(tower_http::compression::CompressionLayer::new())
        // Requests for games another node owns go there (decision record 0012).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::to_owner::<S>,
        ))
        .route("/ws", get(ws::upgrade::<S>))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .fallback_service(
            Router::new()
                .fallback(web_files::<S>)
                .layer(tower_http::compression::CompressionLayer::new())
                .with_state(state.clone()),
        )
        .with_state(state)
}

/// A route asked with a method it does not answer: the JSON error form (axum adds `Allow`).
async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("{method} is not a method of this route; the Allow header lists those that are"),
    )
}

/// The browser client (any GET that is not an API route).
async fn web_files<S: Store>(
    axum::extract::State(st): axum::extract::State<Arc<AppState<S>>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> Response {
    if method != axum::http::Method::GET && method != axum::http::Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "only GET serves the client",
        )
        .into_response();
    }
    web::serve(&st.config.web, &uri, &headers).await
}

/// An error for an HTTP client: a status, a stable code and a message to act on.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// The game another node owns, when that is why: the request goes there instead
    /// ([`forward`]).
    pub elsewhere: Option<uuid::Uuid>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            elsewhere: None,
        }
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "something went wrong on the server; it has been logged",
        )
    }
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(%cause, "database unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "the database is unavailable; try again shortly",
        )
    }
}

/// The body of every HTTP error: a stable `code` to branch on and a `message` to show.
#[derive(Serialize, schemars::JsonSchema)]
struct ErrorBody<'a> {
    code: ErrorCode,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                code: self.code,
                message: &self.message,
            }),
        )
            .into_response();
        if let Some(game) = self.elsewhere {
            res.extensions_mut().insert(forward::Elsewhere(game));
        }
        res
    }
}

/// Path parameters, with a JSON `bad_request` (not axum's plain text) when one is not of its
/// type: a game id that is not a UUID is a bad request like any other.
pub struct Ids<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Ids<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(Ids(t)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                e.body_text(),
            )),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.retryable() {
            ApiError::unavailable(e)
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<crate::game::seating::SeatingError> for ApiError {
    fn from(e: crate::game::seating::SeatingError) -> Self {
        use crate::game::seating::SeatingError as E;
        let message = e.to_string();
        let (status, code) = match e {
            E::Session(s) => return s.into(),
            E::UnknownFaction { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::UnknownFaction)
            }
            E::BotSeat { .. } => (StatusCode::CONFLICT, ErrorCode::BotSeat),
            E::AgentSeat => (StatusCode::CONFLICT, ErrorCode::AgentSeat),
            E::TeamFull => (StatusCode::CONFLICT, ErrorCode::TeamFull),
            E::GameFull => (StatusCode::CONFLICT, ErrorCode::GameFull),
            E::ObserversFull(_) => (StatusCode::CONFLICT, ErrorCode::ObserversFull),
            E::NoSuchSeat => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            E::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid),
        };
        ApiError::new(status, code, message)
    }
}

impl From<crate::game::SessionError> for ApiError {
    fn from(e: crate::game::SessionError) -> Self {
        match e {
            crate::game::SessionError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such game")
            }
            crate::game::SessionError::Store(s) => s.into(),
            e @ crate::game::SessionError::Elsewhere(game) => ApiError {
                elsewhere: Some(game),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Unavailable,
                    e.to_string(),
                )
            },
            other => ApiError::internal(other),
        }
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Counters and gauges of the server.", body = String, content_type = "text/plain"))
)]
async fn metrics<S: Store>(
    axum::extract::State(st): axum::extract::State<Arc<AppState<S>>>,
) -> String {
    st.registry
        .metrics
        .render(&st.registry.node.id, st.registry.live())
}
