//! Backend-only endpoints (the website's secret key), and the operator's.
//!
//! - `POST /v1/admin/consultants`: create a consultant with a password.
//! - `POST /v1/admin/tokens`: mint a user token (what an app backend does itself with the
//!   secret; handy for demos and tests).
//! - `GET|PUT /v1/admin/blocklist`: the website's blocked words.
//! - `POST /v1/operator/websites` (operator token): create a website.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chatix_protocol::rest::{
    CreateConsultantRequest, CreateWebsiteRequest, MintTokenRequest, SessionResponse, WebsiteKeys,
};
use chatix_protocol::User;

use super::extract::Json;
use crate::auth::extract::AdminKey;
use crate::auth::passwords::same_digest;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::service::users;
use crate::state::AppState;

/// Create a consultant (secret key).
///
/// `POST /v1/admin/consultants`.
#[utoipa::path(post, operation_id = "createConsultant", path = "/v1/admin/consultants", tag = "admin", request_body = CreateConsultantRequest, responses((status = 201, description = "Created", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = [])))]
pub async fn create_consultant(
    State(state): State<AppState>,
    AdminKey(site): AdminKey,
    Json(req): Json<CreateConsultantRequest>,
) -> AppResult<(StatusCode, Json<User>)> {
    let u = users::create_consultant(&state, &Actor::Admin(site), req).await?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// Mint a user token for an app user (secret key).
///
/// `POST /v1/admin/tokens`.
#[utoipa::path(post, operation_id = "mintToken", path = "/v1/admin/tokens", tag = "admin", request_body = MintTokenRequest, responses((status = 200, description = "A user token", body = SessionResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = [])))]
pub async fn mint_token(
    State(state): State<AppState>,
    AdminKey(site): AdminKey,
    Json(req): Json<MintTokenRequest>,
) -> AppResult<Json<SessionResponse>> {
    Ok(Json(
        users::mint_token(&state, &Actor::Admin(site), req).await?,
    ))
}

/// Create a website and its keys (operator).
///
/// `POST /v1/operator/websites`.
#[utoipa::path(post, operation_id = "createWebsite", path = "/v1/operator/websites", tag = "admin", request_body = CreateWebsiteRequest, responses((status = 201, description = "Created", body = WebsiteKeys), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("operator" = [])))]
pub async fn create_website(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<CreateWebsiteRequest>,
) -> AppResult<(StatusCode, Json<WebsiteKeys>)> {
    let Some(expected) = state.config.operator_token.as_deref() else {
        return Err(AppError::not_found(
            "website creation is not enabled on this server (--operator-token)",
        ));
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_digest(given, expected) {
        return Err(AppError::unauthorized("wrong operator token"));
    }
    let name = crate::util::check_text(
        "name",
        &req.name,
        1,
        chatix_protocol::limits::MAX_NAME_CHARS,
    )?;
    for o in &req.allowed_origins {
        if !(o == "*" || o.starts_with("http://") || o.starts_with("https://")) {
            return Err(AppError::invalid(format!(
                "allowedOrigins: {o:?} is not an http(s) origin"
            )));
        }
    }
    let site = crate::demo::new_website(&name, req.allowed_origins);
    state.store.create_website(&site).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebsiteKeys {
            website_id: site.id,
            secret_key: site.secret,
            name: site.name,
            allowed_origins: site.allowed_origins,
        }),
    ))
}

/// The website's blocklist (secret key, or a consultant with the admin permission).
///
/// `GET /v1/admin/blocklist`: its words and mode (none yet: no words, `reject`).
#[utoipa::path(get, operation_id = "getBlocklist", path = "/v1/admin/blocklist", tag = "admin", responses((status = 200, description = "The blocklist", body = chatix_protocol::rest::Blocklist), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = []), ("token" = [])))]
pub async fn blocklist(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<chatix_protocol::rest::Blocklist>> {
    Ok(Json(
        crate::service::moderation::blocklist(&state, &actor).await?,
    ))
}

/// Set the website's blocklist.
///
/// `PUT /v1/admin/blocklist`: whole words, any case, matched in visitors' and app users'
/// messages (sends and edits); `reject` refuses the message (`invalid_argument`, naming the
/// word), `mask` stores each blocked word as `*`s. The other nodes use the new list as soon as the bus tells them (milliseconds).
#[utoipa::path(put, operation_id = "setBlocklist", path = "/v1/admin/blocklist", tag = "admin", request_body = chatix_protocol::rest::Blocklist, responses((status = 200, description = "The blocklist now", body = chatix_protocol::rest::Blocklist), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = []), ("token" = [])))]
pub async fn set_blocklist(
    State(state): State<AppState>,
    actor: Actor,
    Json(req): Json<chatix_protocol::rest::Blocklist>,
) -> AppResult<Json<chatix_protocol::rest::Blocklist>> {
    Ok(Json(
        crate::service::moderation::set_blocklist(&state, &actor, req).await?,
    ))
}
