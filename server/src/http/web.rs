//! The browser client: the files of `web/`, embedded in the binary at build time, or read from
//! a directory (`--web-dir`) while developing. Paths that are not files serve `index.html`, so
//! links such as `/join/ABC234` open the client, which routes by its own path.

use crate::protocol::ErrorCode;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use std::path::PathBuf;

#[derive(rust_embed::Embed)]
#[folder = "../web/"]
#[exclude = "node_modules/*"]
#[exclude = "*.md"]
#[exclude = "tools/*"]
struct Embedded;

/// Where the client's files come from.
#[derive(Clone, Debug, Default)]
pub enum WebSource {
    /// The files compiled into the binary.
    #[default]
    Embedded,
    /// A directory read on every request (development: edit, reload).
    Dir(PathBuf),
}

impl WebSource {
    fn get(&self, path: &str) -> Option<(Cow<'static, [u8]>, String)> {
        match self {
            WebSource::Embedded => Embedded::get(path).map(|f| {
                let etag = f
                    .metadata
                    .sha256_hash()
                    .iter()
                    .take(12)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                (f.data, etag)
            }),
            WebSource::Dir(root) => {
                // Only plain relative names: no `..`, no absolute paths.
                if path
                    .split('/')
                    .any(|p| p.is_empty() || p == "." || p == ".." || p.contains('\\'))
                {
                    return None;
                }
                let data = std::fs::read(root.join(path)).ok()?;
                let etag = format!("{:x}", data.len()) + &format!("{:x}", hash(&data));
                Some((Cow::Owned(data), etag))
            }
        }
    }
}

fn hash(data: &[u8]) -> u64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(data);
    u64::from_be_bytes(d[..8].try_into().unwrap_or_default())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// Serves a file of the client, or `index.html` for a client route.
pub async fn serve(source: &WebSource, uri: &Uri, headers: &HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "ws" {
        // Not `not_found`, which tells a client that its game is gone.
        return super::ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NoRoute,
            format!("no such endpoint: /{path}; see /api/openapi.json"),
        )
        .into_response();
    }
    let last = path.rsplit('/').next().unwrap_or("");
    let (file, data) = if path.is_empty() || !last.contains('.') {
        ("index.html", source.get("index.html"))
    } else {
        (path, source.get(path))
    };
    let Some((bytes, etag)) = data else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{etag}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = Response::new(Body::from(bytes.into_owned()));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(file)),
    );
    // Revalidate every time: the ETag makes that a 304 without the body.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if file.ends_with(".html") {
        // The client loads only its own scripts and styles and talks only to this server.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                 script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}
