//! The REST API under `/v1`, one module per resource; each handler is a thin adapter from
//! HTTP to a [`crate::service`] function. Also: `/healthz`, `/v1/openapi.json`, the socket
//! route, rate limiting and CORS.

pub mod admin;
pub mod auth;
pub mod chats;
pub mod extract;
pub mod files;
pub mod messages;
pub mod moderation;
pub mod openapi;
pub mod test_hooks;
pub mod users;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chatix_protocol::rest::Health;
use chatix_protocol::ErrorCode;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};

use crate::client_ip::client_ip;
use crate::error::AppError;
use crate::state::AppState;
use extract::Json;

/// `GET /healthz`: [`Health`] plus this server's process id, so that whoever started a
/// server can tell it from another process holding the port (`tests/server.mjs` checks it).
/// 503 while the database does not answer a probe within 2 s (a load balancer then sends
/// clients to another node).
pub async fn health(State(state): State<AppState>) -> (axum::http::StatusCode, Json<HealthBody>) {
    let up = matches!(
        tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await,
        Ok(Ok(()))
    );
    let status = if up {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let reads = crate::hub::room::reads::snapshot();
    let body = HealthBody {
        health: Health {
            status: if up { "ok" } else { "unavailable" }.into(),
            database: if up { "up" } else { "down" }.into(),
            storage: state.store.backend().into(),
            bus: state.hub.bus_name().into(),
        },
        pid: std::process::id(),
        node: state.hub.node_id().to_owned(),
        fanout_reads: reads.total(),
        fanout_reads_by_kind: reads,
    };
    (status, Json(body))
}

/// The body of `GET /healthz`.
#[derive(serde::Serialize)]
pub struct HealthBody {
    /// Status, storage and bus.
    #[serde(flatten)]
    health: Health,
    /// The server's process id.
    pid: u32,
    /// This node's id in a cluster (random per start; the `origin` of its bus events), so
    /// an operator can tell which node behind a load balancer answered.
    node: String,
    /// Database reads made to fan messages out since the start (not per message).
    #[serde(rename = "fanoutReads")]
    fanout_reads: u64,
    /// The same by kind: rooms' first positions, "did I miss a change?" checks, backfill
    /// pages.
    #[serde(rename = "fanoutReadsByKind")]
    fanout_reads_by_kind: crate::hub::room::reads::Reads,
}

async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(&state.config.trusted_proxies, c.0.ip(), req.headers()));
    if let Some(ip) = ip {
        if !state.rest_limiter.check(ip) {
            return AppError::new(
                ErrorCode::RateLimited,
                format!(
                    "more than {} requests per second from your address; retry shortly",
                    state.config.requests_per_second
                ),
            )
            .into_response();
        }
    }
    next.run(req).await
}

async fn not_found() -> AppError {
    AppError::not_found("no such endpoint")
}

/// The `/v1` API, `/healthz` and the socket.
pub fn router(state: AppState) -> Router {
    let json_limit = DefaultBodyLimit::max(chatix_protocol::limits::MAX_JSON_BODY_BYTES);
    let upload_limit = DefaultBodyLimit::max(state.config.max_upload_bytes + 64 * 1024);
    let v1 = Router::new()
        .route("/auth/visitor", post(auth::visitor))
        .route("/auth/consultant", post(auth::consultant))
        .route("/auth/refresh", post(auth::refresh))
        .route("/websites/{id}", get(auth::website))
        .route("/demo", get(auth::demo))
        .route("/me", get(users::me).patch(users::update_me))
        .route("/users", post(users::create))
        .route("/users/batch", post(users::batch))
        .route(
            "/users/by-username/{username}",
            get(users::get_by_username)
                .patch(users::update_by_username)
                .delete(users::delete_by_username),
        )
        .route(
            "/users/{id}",
            get(users::get_by_id)
                .patch(users::update_by_id)
                .delete(users::delete_by_id),
        )
        .route("/consultants", get(users::consultants))
        .route("/chats", get(chats::mine))
        .route("/chats/direct", post(chats::direct))
        .route("/chats/group", post(chats::group))
        .route(
            "/chats/{id}",
            get(chats::get).patch(chats::update).delete(chats::delete),
        )
        .route("/chats/{id}/restore", post(chats::restore))
        .route("/chats/{id}/join", post(chats::join))
        .route("/chats/{id}/leave", post(chats::leave))
        .route(
            "/chats/{id}/members",
            get(chats::members).post(chats::add_members),
        )
        .route("/chats/{id}/members/remove", post(chats::remove_members))
        .route(
            "/chats/{id}/messages",
            get(messages::page).post(messages::send),
        )
        .route(
            "/chats/{id}/messages/{message_id}",
            axum::routing::patch(messages::edit).delete(messages::delete),
        )
        .route(
            "/chats/{id}/messages/{message_id}/pin",
            axum::routing::put(messages::pin).delete(messages::unpin),
        )
        .route("/chats/{id}/pins", get(messages::pins))
        .route(
            "/chats/{id}/messages/{message_id}/flag",
            post(moderation::flag),
        )
        .route(
            "/chats/{id}/mutes/{username}",
            axum::routing::put(moderation::mute).delete(moderation::unmute),
        )
        .route(
            "/chats/{id}/bans/{username}",
            axum::routing::put(moderation::ban_in_chat).delete(moderation::unban_in_chat),
        )
        .route("/chats/{id}/sanctions", get(moderation::chat_sanctions))
        .route("/bans", get(moderation::bans))
        .route(
            "/bans/{username}",
            axum::routing::put(moderation::ban).delete(moderation::unban),
        )
        .route(
            "/users/by-username/{username}/report",
            post(moderation::report),
        )
        .route("/reports", get(moderation::reports))
        .route("/reports/{id}/resolve", post(moderation::resolve))
        .route(
            "/chats/{id}/messages/{message_id}/reactions/{reaction}",
            axum::routing::put(messages::add_reaction).delete(messages::remove_reaction),
        )
        .route("/chats/{id}/history", get(messages::history))
        .route("/chats/{id}/mentions", get(messages::mentions))
        .route(
            "/chats/{id}/messages/{message_id}/thread",
            get(messages::thread),
        )
        .route("/messages/search", get(messages::search))
        .route("/chats/{id}/seen", post(messages::seen))
        .route("/chats/{id}/typing", post(messages::typing))
        .route("/chatrooms", get(chats::chatrooms))
        .route("/chatrooms/mine", get(chats::my_chatrooms))
        .route("/chatrooms/deleted", get(chats::deleted_chatrooms))
        .route("/presence", get(users::presence))
        .route("/conversation", get(chats::conversation))
        .route("/conversations", get(chats::conversations))
        .route("/files/{id}", get(files::download))
        .route("/files/{id}/thumbnail", get(files::thumbnail))
        .route("/admin/consultants", post(admin::create_consultant))
        .route("/admin/tokens", post(admin::mint_token))
        .route(
            "/admin/blocklist",
            get(admin::blocklist).put(admin::set_blocklist),
        )
        .route("/operator/websites", post(admin::create_website))
        .route("/openapi.json", get(openapi::document))
        .route("/ws", get(crate::ws::upgrade))
        .layer(json_limit)
        .merge(
            Router::new()
                .route("/uploads", post(files::upload))
                .layer(upload_limit),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit));
    let v1 = if state.config.enable_test_hooks {
        v1.nest("/test", test_hooks::router())
    } else {
        v1
    };

    // Bearer tokens, not cookies, carry identity: answering CORS for any origin exposes
    // nothing a page could not already do with its own token. `X-Api-Key` is deliberately
    // not an allowed header: the secret key is for backends.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(3600));

    Router::new()
        .route("/healthz", get(health))
        .nest("/v1", v1)
        .layer(cors)
        .with_state(state)
}
