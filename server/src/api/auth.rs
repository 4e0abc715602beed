//! Sessions.
//!
//! - `POST /v1/auth/visitor`: open or resume an anonymous visitor session.
//! - `POST /v1/auth/consultant`: consultant password login.
//! - `POST /v1/auth/refresh`: a fresh token for a visitor or consultant session.
//! - `GET /v1/websites/{id}`: what a page may know about a website.

use axum::extract::State;
use chatix_protocol::rest::{
    ConsultantLoginRequest, SessionResponse, VisitorSessionRequest, WebsiteInfo,
};

use super::extract::{Json, Path};
use crate::auth::Session;
use crate::error::{AppError, AppResult};
use crate::service::users;
use crate::state::AppState;

/// Open or resume a visitor session.
///
/// `POST /v1/auth/visitor`.
#[utoipa::path(post, operation_id = "openVisitorSession", path = "/v1/auth/visitor", tag = "sessions", request_body = VisitorSessionRequest, responses((status = 200, description = "Session opened or resumed", body = SessionResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(()))]
pub async fn visitor(
    State(state): State<AppState>,
    Json(req): Json<VisitorSessionRequest>,
) -> AppResult<Json<SessionResponse>> {
    Ok(Json(users::visitor_session(&state, req).await?))
}

/// Log a consultant in with username and password.
///
/// `POST /v1/auth/consultant`.
#[utoipa::path(post, operation_id = "loginConsultant", path = "/v1/auth/consultant", tag = "sessions", request_body = ConsultantLoginRequest, responses((status = 200, description = "Logged in", body = SessionResponse), (status = 401, description = "Wrong username or password"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(()))]
pub async fn consultant(
    State(state): State<AppState>,
    Json(req): Json<ConsultantLoginRequest>,
) -> AppResult<Json<SessionResponse>> {
    Ok(Json(users::consultant_login(&state, req).await?))
}

/// Exchange a valid token for a fresh one.
///
/// `POST /v1/auth/refresh`.
#[utoipa::path(post, operation_id = "refreshToken", path = "/v1/auth/refresh", tag = "sessions", responses((status = 200, description = "A fresh token", body = SessionResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn refresh(
    State(state): State<AppState>,
    s: Session,
) -> AppResult<Json<SessionResponse>> {
    Ok(Json(users::refresh(&state, &s).await?))
}

/// Get a website's public settings.
///
/// `GET /v1/websites/{id}`.
#[utoipa::path(get, operation_id = "getWebsite", path = "/v1/websites/{id}", tag = "sessions", params(("id" = String, Path, description = "Website public id")), responses((status = 200, description = "The website", body = WebsiteInfo), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(()))]
pub async fn website(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<WebsiteInfo>> {
    let w = state
        .website(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no website {id:?}")))?;
    Ok(Json(WebsiteInfo {
        website_id: w.id.clone(),
        name: w.name.clone(),
    }))
}

/// Get the demo website and consultant login.
///
/// `GET /v1/demo`: the demo website's public id and the demo consultant's login name (never
/// the password or the secret key), for the demo page.
#[utoipa::path(get, operation_id = "getDemo", path = "/v1/demo", tag = "sessions", responses((status = 200, description = "The demo website", body = chatix_protocol::rest::DemoInfo), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(()))]
pub async fn demo(
    State(state): State<AppState>,
) -> AppResult<Json<chatix_protocol::rest::DemoInfo>> {
    let raw = std::fs::read(state.config.data_dir.join("demo.json"))
        .map_err(|_| AppError::not_found("this server has no demo website"))?;
    let d: crate::demo::DemoCredentials =
        serde_json::from_slice(&raw).map_err(AppError::internal)?;
    Ok(Json(chatix_protocol::rest::DemoInfo {
        website_id: d.website_id,
        consultant_username: d.consultant_username,
    }))
}
