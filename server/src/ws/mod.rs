//! The socket endpoint `GET /v1/ws?website=…[&batch=1]`.
//!
//! The token travels in the socket's first frame, `{"type":"auth","token":"…"}`, never in
//! the URL (a URL ends up in access logs, proxy logs and the browser's network panel). What
//! can be checked before the upgrade is: a browser's `Origin` must be on the allow-list of
//! the website the URL names (`website=`, its public id); clients that send no `Origin`
//! (servers, native apps) are not browsers and cannot be driven by a foreign page, so they
//! may leave `website` out. The upgrade request counts against the per-IP request limit
//! like any REST request. After the upgrade, the socket has `--ws-auth-timeout-ms` (10 s by
//! default) to send its `auth` frame, which counts against the per-IP frame limit; a
//! missing, late or bad one gets an `error` frame and the close code
//! [`close::UNAUTHORIZED`] (4001) with the reason. A token of another website than the one
//! the URL names is refused the same way. `?token=` on the URL is refused before the
//! upgrade. The frames after `auth` are handled in [`connection`].

pub mod connection;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use chatix_protocol::close;
use chatix_protocol::ErrorCode;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{resolve, Session};
use crate::client_ip::client_ip;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::Website;

/// Per-socket read buffer (the library's default is 128 KiB, allocated up front).
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Bytes the socket may buffer before it writes them out.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// Query string of the upgrade request.
#[derive(Debug, Deserialize)]
pub struct WsQuery {
    /// The website's public id; required when the request has an `Origin` (a browser).
    website: Option<String>,
    /// Refused: the token goes in the first frame.
    token: Option<String>,
    /// `1`: the client accepts several frames in one text frame, as a JSON array.
    batch: Option<String>,
}

/// The socket's first frame.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFrame {
    #[serde(rename = "type")]
    ty: String,
    token: String,
    /// Subscribe to the caller's most recent chats before `ready` (see the protocol's
    /// `frame` module).
    #[serde(default, rename = "followRecent")]
    follow_recent: bool,
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
    if q.token.is_some() {
        return AppError::invalid(
            "a token on the socket URL is refused (URLs end up in logs): open /v1/ws?website=<id> \
             and send {\"type\":\"auth\",\"token\":\"…\"} as the first frame",
        )
        .into_response();
    }
    let site = match q.website.as_deref() {
        None => None,
        Some(id) => match state.website(id).await {
            Ok(Some(w)) => Some(w),
            Ok(None) => {
                return AppError::not_found(format!("no website {id:?}")).into_response();
            }
            Err(e) => return e.into_response(),
        },
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let Some(site) = &site else {
            return AppError::invalid(
                "a browser's socket must name its website: /v1/ws?website=<public id>",
            )
            .into_response();
        };
        if !origin_allowed(&site.allowed_origins, origin) {
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
            sockets.track_future(async move {
                let mut socket = socket;
                match authenticate(&state, site.as_ref(), ip, &mut socket).await {
                    Ok((session, follow_recent)) => {
                        let opts = connection::Opts {
                            batch,
                            follow_recent,
                        };
                        connection::run(state, session, ip, socket, opts).await
                    }
                    Err(e) => refuse(socket, &e).await,
                }
            })
        })
}

/// Reads the `auth` frame and resolves its token; also says whether it asked for
/// `followRecent`.
async fn authenticate(
    state: &AppState,
    site: Option<&Arc<Website>>,
    ip: IpAddr,
    socket: &mut WebSocket,
) -> Result<(Session, bool), AppError> {
    let deadline = Duration::from_millis(state.config.ws_auth_timeout_ms.max(1));
    let text = tokio::time::timeout(deadline, async {
        loop {
            match socket.recv().await {
                Some(Ok(WsMessage::Text(t))) => return Ok(t),
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                Some(Ok(WsMessage::Binary(_))) => return Err(AppError::unauthorized(
                    "the first frame must be a JSON text frame {\"type\":\"auth\",\"token\":\"…\"}",
                )),
                _ => return Err(AppError::unauthorized("closed before the auth frame")),
            }
        }
    })
    .await
    .map_err(|_| {
        AppError::unauthorized(format!("no auth frame within {} ms", deadline.as_millis()))
    })??;
    if !state.frame_ip_limiter.check(ip) {
        return Err(AppError::new(
            ErrorCode::RateLimited,
            "too many frames from your address: the auth frame was dropped",
        ));
    }
    let auth: AuthFrame = serde_json::from_str(&text)
        .ok()
        .filter(|a: &AuthFrame| a.ty == "auth")
        .ok_or_else(|| {
            AppError::unauthorized(
                "the first frame must be {\"type\":\"auth\",\"token\":\"…\"} (optionally \
                 with \"followRecent\":true)",
            )
        })?;
    let session = resolve::session_from_token(state, &auth.token).await?;
    if site.is_some_and(|w| w.id != session.website.id) {
        return Err(AppError::unauthorized(
            "the token is for another website than the one on the socket URL",
        ));
    }
    Ok((session, auth.follow_recent))
}

/// Tells the peer why its socket is refused (an `error` frame, then close 4001; 4003 for a
/// user banned from the website, 4029 for a rate limit) and closes.
async fn refuse(mut socket: WebSocket, e: &AppError) {
    let body = chatix_protocol::ServerFrame::Error {
        id: None,
        code: e.0.code,
        message: e.0.message.clone(),
        retry_after: e.1,
    };
    let code = if e.0.code == ErrorCode::RateLimited {
        close::RATE_LIMITED
    } else if e.0.code == ErrorCode::Forbidden {
        // banned from the website: a new token would not help
        close::REVOKED
    } else {
        close::UNAUTHORIZED
    };
    if let Ok(json) = serde_json::to_string(&body) {
        let _ = socket.send(WsMessage::Text(json.into())).await;
    }
    // A close reason is at most 123 bytes.
    let mut reason = e.0.message.clone();
    while reason.len() > 123 {
        reason.pop();
    }
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from(reason),
        })))
        .await;
    // Let the peer read the close frame before the socket goes.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
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
