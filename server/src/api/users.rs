//! Users.
//!
//! - `GET /v1/me`, `PATCH /v1/me`: the caller (`getVisitor`, `setVisitor`, `setName`, ...).
//! - `POST /v1/users` (`createUser`), `POST /v1/users/batch` (`getUsers`).
//! - `GET|PATCH|DELETE /v1/users/{id}` and `/v1/users/by-username/{username}`.
//! - `GET /v1/consultants[?online=true]` (`getAllManagers`, `getConnectedManagers`).

use axum::extract::State;
use axum::http::StatusCode;
use chatix_protocol::rest::{CreateUserRequest, GetUsersRequest, UpdateUserRequest, UsersResponse};
use chatix_protocol::User;
use serde::Deserialize;

use super::extract::{Json, Path, Query};
use crate::auth::{Actor, Session};
use crate::error::AppResult;
use crate::service::{users, views};
use crate::state::AppState;

/// Get the calling user.
///
/// `GET /v1/me`.
#[utoipa::path(get, operation_id = "getMe", path = "/v1/me", tag = "users", responses((status = 200, description = "The caller", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn me(State(state): State<AppState>, s: Session) -> Json<User> {
    Json(views::user(&state, &s.user))
}

/// Update the calling user.
///
/// `PATCH /v1/me`.
#[utoipa::path(patch, operation_id = "updateMe", path = "/v1/me", tag = "users", request_body = UpdateUserRequest, responses((status = 200, description = "Updated", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn update_me(
    State(state): State<AppState>,
    s: Session,
    Json(req): Json<UpdateUserRequest>,
) -> AppResult<Json<User>> {
    let target = s.user.clone();
    Ok(Json(
        users::update(&state, &Actor::from(s), &target, req).await?,
    ))
}

/// Create an app user (or get the one with that username).
///
/// `POST /v1/users`: 201 when created, 200 when the username existed.
#[utoipa::path(post, operation_id = "createUser", path = "/v1/users", tag = "users", request_body = CreateUserRequest, responses((status = 201, description = "Created", body = User), (status = 200, description = "Existing user with that username", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Json(req): Json<CreateUserRequest>,
) -> AppResult<(StatusCode, Json<User>)> {
    let (u, created) = users::create(&state, &actor, req).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(u),
    ))
}

/// Get several users by username.
///
/// `POST /v1/users/batch`.
#[utoipa::path(post, operation_id = "getUsers", path = "/v1/users/batch", tag = "users", request_body = GetUsersRequest, responses((status = 200, description = "The users found", body = UsersResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn batch(
    State(state): State<AppState>,
    actor: Actor,
    Json(req): Json<GetUsersRequest>,
) -> AppResult<Json<UsersResponse>> {
    Ok(Json(UsersResponse {
        users: users::many(&state, &actor, req.usernames).await?,
    }))
}

/// Get a user by id.
///
/// `GET /v1/users/{id}`.
#[utoipa::path(get, operation_id = "getUser", path = "/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")), responses((status = 200, description = "The user", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn get_by_id(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<User>> {
    let u = users::find(&state, &actor, true, &id).await?;
    Ok(Json(views::user(&state, &u)))
}

/// Get a user by username.
///
/// `GET /v1/users/by-username/{username}`.
#[utoipa::path(get, operation_id = "getUserByUsername", path = "/v1/users/by-username/{username}", tag = "users", params(("username" = String, Path)), responses((status = 200, description = "The user", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn get_by_username(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> AppResult<Json<User>> {
    let u = users::find(&state, &actor, false, &name).await?;
    Ok(Json(views::user(&state, &u)))
}

/// Update a user by id.
///
/// `PATCH /v1/users/{id}`.
#[utoipa::path(patch, operation_id = "updateUser", path = "/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")), request_body = UpdateUserRequest, responses((status = 200, description = "Updated", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn update_by_id(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<UpdateUserRequest>,
) -> AppResult<Json<User>> {
    let u = users::find(&state, &actor, true, &id).await?;
    Ok(Json(users::update(&state, &actor, &u, req).await?))
}

/// Update a user by username.
///
/// `PATCH /v1/users/by-username/{username}`.
#[utoipa::path(patch, operation_id = "updateUserByUsername", path = "/v1/users/by-username/{username}", tag = "users", params(("username" = String, Path)), request_body = UpdateUserRequest, responses((status = 200, description = "Updated", body = User), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn update_by_username(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
    Json(req): Json<UpdateUserRequest>,
) -> AppResult<Json<User>> {
    let u = users::find(&state, &actor, false, &name).await?;
    Ok(Json(users::update(&state, &actor, &u, req).await?))
}

/// Delete a user by id (secret key).
///
/// `DELETE /v1/users/{id}` (secret key).
#[utoipa::path(delete, operation_id = "deleteUser", path = "/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "User id")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = [])))]
pub async fn delete_by_id(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let u = users::find(&state, &actor, true, &id).await?;
    users::delete(&state, &actor, &u).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a user by username (secret key).
///
/// `DELETE /v1/users/by-username/{username}` (secret key).
#[utoipa::path(delete, operation_id = "deleteUserByUsername", path = "/v1/users/by-username/{username}", tag = "users", params(("username" = String, Path)), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = [])))]
pub async fn delete_by_username(
    State(state): State<AppState>,
    actor: Actor,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    let u = users::find(&state, &actor, false, &name).await?;
    users::delete(&state, &actor, &u).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /v1/consultants`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsultantsQuery {
    /// Only those connected now.
    #[serde(default)]
    online: bool,
}

/// List the website's consultants.
///
/// `GET /v1/consultants`.
#[utoipa::path(get, operation_id = "listConsultants", path = "/v1/consultants", tag = "users", params(ConsultantsQuery), responses((status = 200, description = "Consultants", body = UsersResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn consultants(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ConsultantsQuery>,
) -> AppResult<Json<UsersResponse>> {
    Ok(Json(UsersResponse {
        users: users::consultants(&state, &actor, q.online).await?,
    }))
}

/// List the users connected now (staff).
///
/// `GET /v1/presence` (staff): users connected now.
#[utoipa::path(get, operation_id = "listOnlineUsers", path = "/v1/presence", tag = "users", responses((status = 200, description = "Users online now", body = UsersResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn presence(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<UsersResponse>> {
    Ok(Json(UsersResponse {
        users: users::online(&state, &actor).await?,
    }))
}
