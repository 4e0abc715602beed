//! The socket endpoint `GET /v1/ws?token=…[&batch=1]`.
//!
//! The token is checked before the upgrade (a bad one gets a plain 401 JSON error, not a
//! socket). A browser's `Origin` must be on the website's allow-list; clients that send no
//! `Origin` (servers, native apps) are not browsers and cannot be driven by a foreign page,
//! so they are let through. The frames themselves are handled in [`connection`].

pub mod connection;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;

use crate::auth::resolve;
use crate::client_ip::client_ip;
use crate::error::AppError;
use crate::state::AppState;

/// Per-socket read buffer (the library's default is 128 KiB, allocated up front).
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Bytes the socket may buffer before it writes them out.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// Query string of the upgrade request.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// The session or user token.
    token: Option<String>,
    /// `1`: the client accepts several frames in one text frame, as a JSON array.
    batch: Option<String>,
}

/// Whether a browser origin is allowed by a website's list: scheme, host and port must
/// match an entry, as browsers compare origins. A loopback entry without a port
/// (`http://localhost`, `http://127.0.0.1`, `http://[::1]`) allows every port of that host,
/// for development servers; `*` allows all.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    allowed.iter().any(|a| {
        let a = a.trim_end_matches('/').to_ascii_lowercase();
        if a == "*" || a == origin {
            return true;
        }
        let loopback = a
            .split_once("://")
            .is_some_and(|(_, host)| ["localhost", "127.0.0.1", "[::1]"].contains(&host));
        match origin.strip_prefix(&a) {
            Some(rest) if loopback => {
                rest.len() > 1
                    && rest.starts_with(':')
                    && rest[1..].bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        }
    })
}

/// `GET /v1/ws`.
pub async fn upgrade(
    State(state): State<AppState>,
    Query(q): Query<WsQuery>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(token) = q.token else {
        return AppError::unauthorized("missing ?token= on the socket URL").into_response();
    };
    let session = match resolve::session_from_token(&state, &token).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origin_allowed(&session.website.allowed_origins, origin) {
            return AppError::forbidden(format!(
                "origin {origin:?} is not allowed for this website"
            ))
            .into_response();
        }
    }
    let ip = client_ip(&state.config.trusted_proxies, peer.ip(), &headers);
    let batch = q.batch.as_deref() == Some("1");
    let limit = state.config.max_frame_bytes;
    // Frames up to 4x the limit are read and answered with a clear error frame; beyond
    // that the socket library closes the connection (`close::TOO_BIG`, 1009).
    // Small socket buffers: the library's defaults (128 KiB each, the read one allocated and
    // zeroed up front) made an idle connection cost ~138 KiB of resident memory; chat
    // frames are small, and larger ones are still read, in several chunks.
    ws.max_message_size(limit.saturating_mul(4))
        .max_frame_size(limit.saturating_mul(4))
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track_future(connection::run(state, session, ip, socket, batch))
        })
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins() {
        let list = vec![
            "http://localhost".to_owned(),
            "https://shop.example".to_owned(),
        ];
        assert!(origin_allowed(&list, "http://localhost:5173"));
        assert!(origin_allowed(&list, "http://localhost"));
        assert!(origin_allowed(&list, "https://shop.example"));
        assert!(!origin_allowed(&list, "https://shop.example.evil.com"));
        assert!(!origin_allowed(&list, "http://localhost.evil.com"));
        assert!(!origin_allowed(&list, "https://localhost:1"));
        assert!(
            !origin_allowed(&list, "https://shop.example:8443"),
            "another port"
        );
        assert!(!origin_allowed(&list, "http://localhost:"));
        assert!(origin_allowed(
            &["http://127.0.0.1".to_owned()],
            "http://127.0.0.1:8080"
        ));
        assert!(origin_allowed(
            &["https://shop.example:8443".to_owned()],
            "https://shop.example:8443"
        ));
        assert!(origin_allowed(&["*".to_owned()], "https://any.where"));
    }
}
