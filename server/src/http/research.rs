//! Research exports over HTTP (docs/research-export.md): a game's for its Control, a class's
//! for its teacher; JSON, or CSV (one file per table). A class's tables are exported only when
//! the class allows research use, with the chat's text only when it allows that too.

use super::api::{control_view_and_log, exporter};
use super::{ApiError, AppState, ErrorBody, Ids};
use crate::class::research::{self, ResearchExport};
use crate::protocol::ErrorCode;
use crate::store::Store;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

/// Query of the research exports.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ResearchQuery {
    /// `json` (the default) or `csv`.
    #[serde(default)]
    pub format: Option<String>,
    /// A class's table (from 0): its CSV file. A class's CSV is one file per table.
    #[serde(default)]
    pub table: Option<u32>,
}

/// Answer to `GET /api/classes/{id}/research` in JSON: every table's export.
#[derive(Serialize, Deserialize, Debug, JsonSchema)]
pub struct ClassResearch {
    pub class_id: Uuid,
    pub scenario: String,
    pub free_text: bool,
    pub tables: Vec<ResearchExport>,
}

fn format_of(
    query: Result<axum::extract::Query<ResearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(bool, Option<u32>), ApiError> {
    let q = super::api::query_of(query)?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("format is json or csv, not \"{other}\""),
            ))
        }
    };
    Ok((csv, q.table))
}

fn not_for_research() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "this class's teacher did not allow its games to be used for research",
    )
}

/// One game's export, read from its task (Control's view), its log and its seats.
async fn export_game<S: Store>(
    st: &AppState<S>,
    game: Uuid,
    class: Option<(Uuid, u32)>,
    free_text: bool,
) -> Result<ResearchExport, ApiError> {
    let (_, view, events) = control_view_and_log(st, game).await?;
    let seats = st.registry.store().seats(game).await?;
    // Bots write under their faction's name in the game's language.
    let bot_authors = st
        .registry
        .get(game)
        .await?
        .with_game(|g, _| {
            g.faction_ids()
                .map(|f| (f.clone(), crate::engine::bots::bot_author(g, f)))
                .collect::<Vec<_>>()
        })
        .await?;
    Ok(research::export(&research::Source {
        game_id: game,
        class,
        view: &view,
        events: &events,
        seats: &seats,
        free_text,
        bot_authors: &bot_authors,
    }))
}

fn csv_response(name: &str, x: &ResearchExport) -> Result<Response, ApiError> {
    let body = research::to_csv(x).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Whether the class allows research use, and with the chat's text.
fn class_research(class: &crate::store::ClassRow) -> Result<(bool, bool), ApiError> {
    let s = super::classes::settings_of(class)?;
    Ok((s.research_use, s.research_use && s.research_free_text))
}

/// A game's research export, for its Control.
///
/// Names are replaced by pseudonyms. A class's table is exported only when the class allows
/// research use, with free text only when it allows that; a game outside a class never
/// carries free text (its players were not asked).
#[utoipa::path(
    get,
    path = "/api/games/{id}/research",
    tag = "games",
    params(
        ("id" = Uuid, Path, description = "The game's id."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`."),
    ),
    security(("seat_token" = [])),
    responses(
        (status = 200, description = "The export, as JSON (`ResearchExport`) or CSV (docs/research-export.md).", body = ResearchExport),
        (status = 400, description = "A bad id or query (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this game (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "Not Control (`control_only`), or the game's class does not allow research use (`forbidden`).", body = ErrorBody),
        (status = 404, description = "No such game (`not_found`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn game_research<S: Store>(
    axum::extract::State(st): axum::extract::State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    query: Result<axum::extract::Query<ResearchQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (csv, table) = format_of(query)?;
    exporter(
        &st,
        &headers,
        id,
        "only Control may export a game for research",
    )
    .await?;
    if table.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "table is for a class's export (GET /api/classes/{id}/research)",
        ));
    }
    let store = st.registry.store();
    let class = store.game_class(id).await?;
    let free_text = match class {
        Some((class_id, _)) => {
            let row = store.class(class_id).await?.ok_or_else(|| {
                ApiError::internal(format!("game {id}: class {class_id} is missing"))
            })?;
            let (allowed, free) = class_research(&row)?;
            if !allowed {
                return Err(not_for_research());
            }
            free
        }
        None => false,
    };
    let x = export_game(&st, id, class, free_text).await?;
    if csv {
        csv_response(&format!("detente-{id}"), &x)
    } else {
        Ok(Json(x).into_response())
    }
}

/// A class's research export, for its teacher: every table in JSON, or one table's CSV file.
#[utoipa::path(
    get,
    path = "/api/classes/{id}/research",
    tag = "classes",
    params(
        ("id" = Uuid, Path, description = "The class's id."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`."),
        ("table" = Option<u32>, Query, description = "With `csv`: the table (from 0) whose file to give."),
    ),
    security(("teacher_token" = [])),
    responses(
        (status = 200, description = "Every table's export (JSON), or one table's CSV file.", body = ClassResearch),
        (status = 400, description = "A bad id or query (`bad_request`).", body = ErrorBody),
        (status = 401, description = "No bearer token, or not a token of this class (`unauthorized`).", body = ErrorBody),
        (status = 403, description = "A student's token (`teacher_only`), or the class does not allow research use (`forbidden`).", body = ErrorBody),
        (status = 404, description = "No such class (`not_found`).", body = ErrorBody),
        (status = 409, description = "The class has not started (`invalid`).", body = ErrorBody),
        (status = 422, description = "CSV without a table, or a table the class does not have (`invalid`).", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again shortly (`unavailable`).", body = ErrorBody),
    )
)]
pub async fn class_research_export<S: Store>(
    axum::extract::State(st): axum::extract::State<Arc<AppState<S>>>,
    Ids(id): Ids<Uuid>,
    query: Result<axum::extract::Query<ResearchQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (csv, table) = format_of(query)?;
    let (class, _) = super::classes::teacher_of(&st, &headers, id).await?;
    let (allowed, free_text) = class_research(&class)?;
    if !allowed {
        return Err(not_for_research());
    }
    if class.started_at.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Invalid,
            "the class has not started: it has no tables yet",
        ));
    }
    let invalid =
        |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid, m);
    let tables = st.registry.store().class_tables(class.id).await?;
    if csv {
        let Some(t) = table else {
            return Err(invalid(
                "a class's CSV is one file per table: add &table=<n> (from 0)".into(),
            ));
        };
        let Some((_, game)) = tables.iter().find(|(n, _)| *n == t) else {
            return Err(invalid(format!(
                "the class has no table {t} (tables count from 0)"
            )));
        };
        let x = export_game(&st, game.id, Some((class.id, t)), free_text).await?;
        return csv_response(&format!("detente-class-{}-table-{}", class.id, t + 1), &x);
    }
    let mut out = Vec::with_capacity(tables.len());
    for (t, game) in &tables {
        if table.is_some_and(|only| only != *t) {
            continue;
        }
        out.push(export_game(&st, game.id, Some((class.id, *t)), free_text).await?);
    }
    Ok(Json(ClassResearch {
        class_id: class.id,
        scenario: class.scenario,
        free_text,
        tables: out,
    })
    .into_response())
}
