//! The OpenAPI 3.1 document of the HTTP API, served at `GET /api/openapi.json`.
//!
//! Operations (paths, parameters, statuses, security) come from `#[utoipa::path]` on the
//! handlers. Every schema comes from `schemars`, the same derivation as the protocol's
//! committed JSON Schema (`docs/protocol.schema.json`): utoipa only refers to the types by name
//! (`#/components/schemas/<Name>`), and [`document`] fills `components.schemas` with the
//! schemars definitions, so the two documents cannot disagree. (OpenAPI 3.1 schemas are JSON
//! Schema 2020-12, which is what schemars writes.)

use super::api::{
    self, ClassPreview, CodePreview, CreateGame, Created, Export, Join, JoinPreview, Joined,
    MoveSeat, NewLink, NewLinkSeat, ScenarioInfo, SeatEntry, ServerInfo, Summary, TokenSeat,
};
use super::ErrorBody;
use crate::engine::view::SeatReport;
use axum::http::header;
use axum::response::IntoResponse;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::OpenApi;

/// Lets utoipa name a type whose schema schemars writes: a reference to
/// `#/components/schemas/<schemars name>`, which [`document`] fills in.
macro_rules! schemars_component {
    ($($t:ty),* $(,)?) => {$(
        impl utoipa::PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                Ref::from_schema_name(<$t as JsonSchema>::schema_name()).into()
            }
        }
        impl utoipa::ToSchema for $t {
            fn name() -> Cow<'static, str> {
                <$t as JsonSchema>::schema_name()
            }
        }
    )*};
}

use super::classes::{
    ClassCommand, ClassCommandDone, ClassCreated, ClassDebrief, ClassJoined, ClassLobby,
    CreateClass, JoinClass, PinStudent, TableGame,
};

schemars_component!(
    CreateClass,
    ClassCreated,
    JoinClass,
    ClassJoined,
    ClassLobby,
    PinStudent,
    TableGame,
    ClassCommand,
    ClassCommandDone,
    ClassDebrief,
    crate::class::research::ResearchExport,
    super::research::ClassResearch,
    super::branches::BranchGame,
    super::branches::BranchCreated,
    super::branches::GameComparison,
    super::branches::ReplayFrame,
    super::agents::NewAgent,
    super::agents::AgentSeat,
    super::agents::AgentRevoked,
    CreateGame,
    Created,
    Join,
    Joined,
    Summary,
    ScenarioInfo,
    Export,
    SeatReport,
    SeatEntry,
    MoveSeat,
    ServerInfo,
    JoinPreview,
    CodePreview,
    ClassPreview,
    TokenSeat,
    NewLink,
    NewLinkSeat,
    crate::engine::Message,
    ErrorBody<'_>,
);

/// Adds the schemas of the HTTP API's bodies (and of every type they contain) to `generator`.
pub fn add_body_schemas(generator: &mut SchemaGenerator) {
    generator.subschema_for::<CreateGame>();
    generator.subschema_for::<CreateClass>();
    generator.subschema_for::<ClassCreated>();
    generator.subschema_for::<JoinClass>();
    generator.subschema_for::<ClassJoined>();
    generator.subschema_for::<ClassLobby>();
    generator.subschema_for::<PinStudent>();
    generator.subschema_for::<TableGame>();
    generator.subschema_for::<ClassCommand>();
    generator.subschema_for::<ClassCommandDone>();
    generator.subschema_for::<ClassDebrief>();
    generator.subschema_for::<crate::class::research::ResearchExport>();
    generator.subschema_for::<super::research::ClassResearch>();
    generator.subschema_for::<super::branches::BranchGame>();
    generator.subschema_for::<super::branches::BranchCreated>();
    generator.subschema_for::<super::branches::GameComparison>();
    generator.subschema_for::<super::branches::ReplayFrame>();
    generator.subschema_for::<super::agents::NewAgent>();
    generator.subschema_for::<super::agents::AgentSeat>();
    generator.subschema_for::<super::agents::AgentRevoked>();
    generator.subschema_for::<Created>();
    generator.subschema_for::<Join>();
    generator.subschema_for::<Joined>();
    generator.subschema_for::<Summary>();
    generator.subschema_for::<ScenarioInfo>();
    generator.subschema_for::<Export>();
    generator.subschema_for::<SeatReport>();
    generator.subschema_for::<SeatEntry>();
    generator.subschema_for::<MoveSeat>();
    generator.subschema_for::<ServerInfo>();
    generator.subschema_for::<JoinPreview>();
    generator.subschema_for::<CodePreview>();
    generator.subschema_for::<TokenSeat>();
    generator.subschema_for::<NewLink>();
    generator.subschema_for::<NewLinkSeat>();
    generator.subschema_for::<crate::engine::Message>();
    generator.subschema_for::<ErrorBody<'static>>();
}

/// The WebSocket endpoint.
///
/// After the upgrade, the client's first frame is `hello` with its
/// token (never in the URL), within 5 seconds. Frames are JSON text, at most 64 KiB; every
/// message is described in `docs/protocol.md`, and `docs/protocol.schema.json` is their JSON
/// Schema (`ClientFrame` for what the client sends, `ServerFrame` for what it receives).
#[utoipa::path(
    get,
    path = "/ws",
    tag = "websocket",
    operation_id = "websocket",
    params(
        ("Upgrade" = String, Header, description = "`websocket`"),
        ("Connection" = String, Header, description = "`Upgrade`"),
        ("Sec-WebSocket-Version" = String, Header, description = "`13`"),
        ("Sec-WebSocket-Key" = String, Header, description = "As RFC 6455 says."),
        ("Origin" = Option<String>, Header, description = "When present, it must be the server's own host or one of the allowed origins (`--allowed-origins`)."),
    ),
    responses(
        (status = 101, description = "Switching Protocols: the connection is a WebSocket speaking the protocol of `docs/protocol.md`. Close codes: 1001 server shutting down, 1002 protocol broken, 1007 a text frame not UTF-8, 1008 policy (bad token, no hello in time, rate limit), 1009 frame too big, 4000 seat changed."),
        (status = 400, description = "Not a WebSocket upgrade (version 13).", body = String, content_type = "text/plain"),
        (status = 403, description = "The Origin is not allowed.", body = String, content_type = "text/plain"),
        (status = 503, description = "The server holds as many WebSockets as it may (`--max-connections`); try again shortly.", body = String, content_type = "text/plain"),
    )
)]
#[allow(dead_code)] // Documents `ws::upgrade`; never called.
fn websocket() {}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", content_type = "application/json"))
)]
pub async fn serve() -> impl IntoResponse {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| document().to_string());
    ([(header::CONTENT_TYPE, "application/json")], text.as_str())
}

/// The bearer tokens the API takes.
struct Tokens;

impl utoipa::Modify for Tokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let bearer = |description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(description.to_owned());
            SecurityScheme::Http(http)
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "seat_token",
            bearer(
                "A seat's token from `POST /api/join`, or Control's from `POST /api/games`: \
                 `Authorization: Bearer <token>`.",
            ),
        );
        components.add_security_scheme(
            "teacher_token",
            bearer(
                "A class's teacher token from `POST /api/classes`: `Authorization: Bearer <token>`.",
            ),
        );
        components.add_security_scheme(
            "student_token",
            bearer(
                "A student's token from `POST /api/classes/join`: `Authorization: Bearer <token>`.",
            ),
        );
        components.add_security_scheme(
            "admin_token",
            bearer(
                "The server's admin token, needed to create games only when the server was \
                 started with one (`--admin-token`).",
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Détente",
        description = "The HTTP API of the Détente server: create and join games, read a seat's \
            view, turn reports and Control's export. Games are played over the WebSocket at \
            `/ws` (see `docs/protocol.md` and `docs/protocol.schema.json`). Errors are JSON \
            `{code, message}` with a stable `code`."
    ),
    paths(
        api::create_game,
        api::join,
        api::summary,
        api::reports,
        api::messages,
        api::export,
        api::scenarios,
        api::scenario,
        api::join_qr,
        api::server_info,
        api::join_preview,
        api::token_seat,
        api::new_link,
        api::seats,
        api::move_seat,
        super::classes::create_class,
        super::classes::join_class,
        super::classes::class_lobby,
        super::classes::pin_student,
        super::classes::start_class,
        super::classes::class_command,
        super::classes::class_debrief,
        super::research::game_research,
        super::research::class_research_export,
        super::branches::branch_game,
        super::branches::compare_game,
        super::branches::replay_game,
        super::agents::new_agent,
        super::agents::revoke_agent,
        websocket,
        api::healthz,
        api::readyz,
        super::metrics,
        serve,
    ),
    modifiers(&Tokens),
    tags(
        (name = "games", description = "Creating, joining and reading games."),
        (name = "classes", description = "Many tables from one code: a class's roster and seating plan."),
        (name = "scenarios", description = "What games can be played."),
        (name = "websocket", description = "The game protocol."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document: utoipa's operations with schemars' schemas.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    add_body_schemas(&mut generator);
    let root = doc.as_object_mut().expect("an object");
    let components = root
        .entry("components")
        .or_insert_with(|| Value::Object(Default::default()))
        .as_object_mut()
        .expect("components is an object");
    let schemas = components
        .entry("schemas")
        .or_insert_with(|| Value::Object(Default::default()))
        .as_object_mut()
        .expect("schemas is an object");
    // utoipa registered each named type as a reference to itself; schemars' definitions
    // replace those and add every type they contain.
    schemas.extend(generator.take_definitions(true));
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every `$ref` in `v`.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn document_has_every_route_and_resolves() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.clone(), p.clone()))
            })
            .collect();
        let want: BTreeSet<(String, String)> = [
            ("post", "/api/games"),
            ("post", "/api/join"),
            ("get", "/api/games/{id}"),
            ("get", "/api/games/{id}/reports"),
            ("get", "/api/games/{id}/messages"),
            ("get", "/api/games/{id}/export"),
            ("get", "/api/scenarios"),
            ("get", "/api/scenarios/{id}"),
            ("get", "/api/join/{code}/qr.svg"),
            ("get", "/api/server"),
            ("get", "/api/join/{code}"),
            ("get", "/api/seat"),
            ("post", "/api/games/{id}/links"),
            ("get", "/api/games/{id}/seats"),
            ("put", "/api/games/{id}/seats/{seat_id}"),
            ("post", "/api/classes"),
            ("post", "/api/classes/join"),
            ("get", "/api/classes/{id}"),
            ("put", "/api/classes/{id}/students/{student_id}"),
            ("post", "/api/classes/{id}/start"),
            ("post", "/api/classes/{id}/command"),
            ("get", "/api/classes/{id}/debrief"),
            ("get", "/api/classes/{id}/research"),
            ("get", "/api/games/{id}/research"),
            ("post", "/api/games/{id}/branch"),
            ("get", "/api/games/{id}/compare"),
            ("get", "/api/games/{id}/replay"),
            ("post", "/api/games/{id}/agents"),
            ("delete", "/api/games/{id}/agents/{faction}"),
            ("get", "/api/openapi.json"),
            ("get", "/ws"),
            ("get", "/healthz"),
            ("get", "/readyz"),
            ("get", "/metrics"),
        ]
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
        assert_eq!(paths, want);

        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for name in [
            "CreateGame",
            "Created",
            "Join",
            "Joined",
            "Summary",
            "SeatView",
            "Seat",
        ] {
            assert!(schemas.contains_key(name), "no schema {name}");
        }
        for (name, s) in schemas {
            assert!(s.get("$ref").is_none(), "{name} is only a reference: {s}");
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50, "{} references", all.len());
        for r in all {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("external {r}"));
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert!(schemes.contains_key("seat_token") && schemes.contains_key("admin_token"));

        // The same definitions as the committed protocol schema.
        let protocol = crate::protocol::json_schema();
        for (name, s) in schemas {
            let mut theirs = protocol["$defs"][name].to_string();
            theirs = theirs.replace("#/$defs/", "#/components/schemas/");
            assert_eq!(
                s.to_string(),
                theirs,
                "{name} differs from the protocol schema"
            );
        }
    }

    /// One HTTP/1.1 request over a fresh connection: (status, body).
    async fn request(
        addr: std::net::SocketAddr,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let body = body.map(Value::to_string).unwrap_or_default();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(req.as_bytes()).await.expect("send");
        let mut raw = Vec::new();
        tcp.read_to_end(&mut raw).await.expect("read");
        let raw = String::from_utf8(raw).expect("utf-8");
        let (head, body) = raw.split_once("\r\n\r\n").expect("a response");
        assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
        let status = head
            .split(' ')
            .nth(1)
            .expect("status")
            .parse()
            .expect("status");
        (status, body.to_owned())
    }

    /// A real server serves the document, and what it answers matches the schemas the document
    /// gives for each operation and status.
    #[tokio::test]
    async fn served_document_describes_real_answers() {
        let dir = std::env::temp_dir().join(format!("detente-openapi-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let config = crate::config::ServeConfig {
            addr,
            database_url: Some(format!("sqlite://{}", dir.join("detente.db").display())),
            allowed_origins: Vec::new(),
            admin_token: None,
            log_format: crate::config::LogFormat::Text,
            idle_secs: 300,
            web_dir: None,
            max_connections: 18_000,
            scenarios: Vec::new(),
            public_url: None,
            command_retention_days: 7,
            commit_fill_ms: 1,
            node_id: Some("openapi-test".into()),
            lease_ms: 5000,
            internal_url: None,
            trusted_proxies: Vec::new(),
            limits: crate::limits::Limits {
                close_wait: std::time::Duration::from_millis(100),
                ..Default::default()
            },
            clock: Default::default(),
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::serve::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        let mut up = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(up, "the server did not start");

        let (status, text) = request(addr, "GET", "/api/openapi.json", None, None).await;
        assert_eq!(status, 200);
        let doc: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(doc, document());

        // Each answer against the schema the document gives for it.
        let url = "https://detente.invalid/openapi.json";
        let mut compiler = boon::Compiler::new();
        compiler.add_resource(url, doc.clone()).expect("resource");
        let mut schemas = boon::Schemas::new();
        let check = |compiler: &mut boon::Compiler,
                     schemas: &mut boon::Schemas,
                     op: &str,
                     status: u16,
                     body: &str| {
            let pointer = format!("{op}/responses/{status}/content/application~1json/schema");
            assert!(doc.pointer(&pointer).is_some(), "no schema at {pointer}");
            let index = compiler
                .compile(&format!("{url}#{pointer}"), schemas)
                .unwrap_or_else(|e| panic!("{pointer}: {e:#}"));
            let value: Value = serde_json::from_str(body).expect("JSON");
            if let Err(e) = schemas.validate(&value, index) {
                panic!("{op} {status}: {value} does not match: {e:#}");
            }
            value
        };
        let games = "/paths/~1api~1games/post";
        let join = "/paths/~1api~1join/post";
        let summary = "/paths/~1api~1games~1{id}/get";
        let reports = "/paths/~1api~1games~1{id}~1reports/get";
        let export = "/paths/~1api~1games~1{id}~1export/get";

        let (st, body) = request(addr, "GET", "/api/scenarios", None, None).await;
        check(
            &mut compiler,
            &mut schemas,
            "/paths/~1api~1scenarios/get",
            st,
            &body,
        );
        let create = serde_json::json!({"bots": {"csto": "dove"}, "seed": 3});
        let (st, body) = request(addr, "POST", "/api/games", None, Some(&create)).await;
        let created = check(&mut compiler, &mut schemas, games, st, &body);
        let (st, body) = request(
            addr,
            "POST",
            "/api/games",
            None,
            Some(&serde_json::json!({"x": 1})),
        )
        .await;
        assert_eq!(st, 400);
        check(&mut compiler, &mut schemas, games, st, &body);
        let id = created["game_id"].as_str().unwrap();
        let control = created["control_token"].as_str().unwrap();
        let code = created["join_code"].as_str().unwrap();
        let ask = serde_json::json!({"code": code, "name": "Ana", "faction": "russia"});
        let (st, body) = request(addr, "POST", "/api/join", None, Some(&ask)).await;
        let joined = check(&mut compiler, &mut schemas, join, st, &body);
        let ask = serde_json::json!({"code": code, "name": "Ana", "faction": "csto"});
        let (st, body) = request(addr, "POST", "/api/join", None, Some(&ask)).await;
        assert_eq!(st, 409);
        check(&mut compiler, &mut schemas, join, st, &body);
        let seat = joined["seat_token"].as_str().unwrap();
        for token in [seat, control] {
            let path = format!("/api/games/{id}");
            let (st, body) = request(addr, "GET", &path, Some(token), None).await;
            check(&mut compiler, &mut schemas, summary, st, &body);
            let path = format!("/api/games/{id}/reports");
            let (st, body) = request(addr, "GET", &path, Some(token), None).await;
            check(&mut compiler, &mut schemas, reports, st, &body);
        }
        let path = format!("/api/games/{id}/export");
        let (st, body) = request(addr, "GET", &path, Some(control), None).await;
        check(&mut compiler, &mut schemas, export, st, &body);
        let (st, body) = request(addr, "GET", &path, Some(seat), None).await;
        assert_eq!(st, 403);
        check(&mut compiler, &mut schemas, export, st, &body);
        let (st, body) = request(addr, "GET", &path, None, None).await;
        assert_eq!(st, 401);
        check(&mut compiler, &mut schemas, export, st, &body);

        let _ = stop.send(());
        server.await.expect("join").expect("served");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
