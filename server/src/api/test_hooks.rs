//! Test hooks, mounted under `/v1/test` only when the server runs with
//! `--enable-test-hooks` (never in production): browser tests cannot hold the secret key
//! (a page may not send it), so these give them what a test backend would.
//!
//! - `GET /v1/test/demo`: the demo website id and consultant login.
//! - `POST /v1/test/token {username}`: a user token for an app user (like `/v1/admin/tokens`).
//! - `POST /v1/test/drop {userId}`: the server closes that user's sockets (code 1012,
//!   "service restart"): clients must reconnect and resume.
//! - `POST /v1/test/admin` `{method, path, body}`: one admin-key request on the demo website.
//! - `POST /v1/test/bus/lose {count}`: this node's bus drops the next `count` events it
//!   publishes, as a failing Redis would (409 without a bus).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chatix_protocol::rest::{MintTokenRequest, SessionResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::Json;
use crate::auth::Actor;
use crate::demo::DemoCredentials;
use crate::error::{AppError, AppResult};
use crate::hub::Event;
use crate::service::users;
use crate::state::AppState;

async fn demo_site(state: &AppState) -> AppResult<(DemoCredentials, Actor)> {
    let raw = std::fs::read(state.config.data_dir.join("demo.json"))
        .map_err(|_| AppError::not_found("no demo website"))?;
    let d: DemoCredentials = serde_json::from_slice(&raw).map_err(AppError::internal)?;
    let site = state
        .website(&d.website_id)
        .await?
        .ok_or_else(|| AppError::not_found("no demo website"))?;
    Ok((d, Actor::Admin(site)))
}

async fn demo(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let (d, _) = demo_site(&state).await?;
    Ok(Json(json!({
        "websiteId": d.website_id,
        "consultant": {"username": d.consultant_username, "password": d.consultant_password},
    })))
}

async fn token(
    State(state): State<AppState>,
    Json(req): Json<MintTokenRequest>,
) -> AppResult<Json<SessionResponse>> {
    let (_, admin) = demo_site(&state).await?;
    let short = req.ttl_seconds.filter(|&t| t < 60);
    let username = req.username.clone();
    let mut s = users::mint_token(&state, &admin, req).await?;
    if let Some(ttl) = short {
        // Tests of token renewal need tokens shorter than the API's one-minute floor.
        let site = admin.website();
        let user = state
            .store
            .user_by_username(&site.id, &username)
            .await?
            .ok_or_else(|| AppError::internal("the user just minted for is gone"))?;
        (s.token, s.expires_at) = crate::auth::resolve::mint_exactly(site, &user, ttl as i64)?;
    }
    Ok(Json(s))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Drop {
    user_id: String,
}

async fn drop_user(State(state): State<AppState>, Json(req): Json<Drop>) -> AppResult<StatusCode> {
    let (d, _) = demo_site(&state).await?;
    state.hub.publish(Event::Drop {
        website_id: d.website_id,
        user_id: req.user_id,
    });
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Lose {
    count: u64,
}

async fn lose_bus_events(
    State(state): State<AppState>,
    Json(req): Json<Lose>,
) -> AppResult<StatusCode> {
    if state.hub.lose_next_bus_events(req.count) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::conflict("this node has no bus"))
    }
}

#[derive(Deserialize)]
struct AdminCall {
    method: String,
    path: String,
    #[serde(default)]
    body: Option<Value>,
}

async fn admin(
    State(state): State<AppState>,
    Json(req): Json<AdminCall>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let (d, _) = demo_site(&state).await?;
    if !req.path.starts_with("/v1/") {
        return Err(AppError::invalid("path must start with /v1/"));
    }
    let method = axum::http::Method::from_bytes(req.method.to_uppercase().as_bytes())
        .map_err(|_| AppError::invalid("unknown method"))?;
    let body = req.body.map(|b| b.to_string()).unwrap_or_default();
    let request = axum::http::Request::builder()
        .method(method)
        .uri(&req.path)
        .header("x-api-key", &d.secret_key)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .map_err(AppError::internal)?;
    // The same router, in-process: the call goes through every layer a backend's would.
    let res = tower::ServiceExt::oneshot(super::router(state.clone()), request)
        .await
        .map_err(AppError::internal)?;
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
        .await
        .map_err(AppError::internal)?;
    Ok((
        status,
        Json(serde_json::from_slice(&bytes).unwrap_or(Value::Null)),
    ))
}

/// The router (mounted only with `--enable-test-hooks`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/demo", get(demo))
        .route("/token", post(token))
        .route("/drop", post(drop_user))
        .route("/admin", post(admin))
        .route("/bus/lose", post(lose_bus_events))
}
