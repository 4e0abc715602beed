//! Moderation (consultants and the secret key) and reports (anyone).
//!
//! - `PUT|DELETE /v1/chats/{id}/mutes/{username}` (`muteUser`, `unmuteUser`).
//! - `PUT|DELETE /v1/chats/{id}/bans/{username}` (`banUser`, `unbanUser` in a chat).
//! - `GET /v1/chats/{id}/sanctions` (`getSanctions`: the chat's mutes and bans in force).
//! - `PUT|DELETE /v1/bans/{username}`, `GET /v1/bans` (website bans).
//! - `POST /v1/chats/{id}/messages/{messageId}/flag` (`flagMessage`).
//! - `POST /v1/users/by-username/{username}/report` (`reportUser`).
//! - `GET /v1/reports?status=&page=`, `POST /v1/reports/{id}/resolve` (the queue).

use axum::extract::State;
use axum::http::StatusCode;
use chatix_protocol::rest::{
    Report, ReportRequest, ReportsPage, ResolveReportRequest, Sanction, SanctionRequest, Sanctions,
};
use serde::Deserialize;

use super::extract::{Json, Path, Query};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::moderation;
use crate::state::AppState;
use crate::store::SanctionKind;

/// Mute a user in a chat.
///
/// `PUT /v1/chats/{id}/mutes/{username}`: they keep reading, and cannot send, react or edit
/// until `until` (or for `seconds`; neither: until unmuted). Chatrooms and conversations;
/// consultants and the secret key; consultants are never muted. Muting again replaces the
/// end and the reason.
#[utoipa::path(put, operation_id = "muteUser", path = "/v1/chats/{id}/mutes/{username}", tag = "moderation", params(("id" = String, Path, description = "Chat id"), ("username" = String, Path, description = "Who")), request_body = SanctionRequest, responses((status = 200, description = "The mute", body = Sanction), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn mute(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, username)): Path<(String, String)>,
    Json(req): Json<SanctionRequest>,
) -> AppResult<Json<Sanction>> {
    Ok(Json(
        moderation::sanction(
            &state,
            &actor,
            Some(&id),
            &username,
            SanctionKind::Mute,
            req,
        )
        .await?,
    ))
}

/// Unmute a user in a chat.
///
/// `DELETE /v1/chats/{id}/mutes/{username}`.
#[utoipa::path(delete, operation_id = "unmuteUser", path = "/v1/chats/{id}/mutes/{username}", tag = "moderation", params(("id" = String, Path, description = "Chat id"), ("username" = String, Path, description = "Who")), responses((status = 204, description = "Not muted (any more)"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn unmute(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, username)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    moderation::lift(&state, &actor, Some(&id), &username, SanctionKind::Mute).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ban a user from a chatroom.
///
/// `PUT /v1/chats/{id}/bans/{username}`: removes them, drops their subscription on every
/// node, and refuses them the chatroom (reading, joining, being added) until the end.
#[utoipa::path(put, operation_id = "banUserFromChat", path = "/v1/chats/{id}/bans/{username}", tag = "moderation", params(("id" = String, Path, description = "Chat id"), ("username" = String, Path, description = "Who")), request_body = SanctionRequest, responses((status = 200, description = "The ban", body = Sanction), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn ban_in_chat(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, username)): Path<(String, String)>,
    Json(req): Json<SanctionRequest>,
) -> AppResult<Json<Sanction>> {
    Ok(Json(
        moderation::sanction(&state, &actor, Some(&id), &username, SanctionKind::Ban, req).await?,
    ))
}

/// Lift a user's ban from a chatroom.
///
/// `DELETE /v1/chats/{id}/bans/{username}`: they may join (or be added) again.
#[utoipa::path(delete, operation_id = "unbanUserFromChat", path = "/v1/chats/{id}/bans/{username}", tag = "moderation", params(("id" = String, Path, description = "Chat id"), ("username" = String, Path, description = "Who")), responses((status = 204, description = "Not banned (any more)"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn unban_in_chat(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, username)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    moderation::lift(&state, &actor, Some(&id), &username, SanctionKind::Ban).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a chat's mutes and bans in force.
///
/// `GET /v1/chats/{id}/sanctions`: newest first.
#[utoipa::path(get, operation_id = "getChatSanctions", path = "/v1/chats/{id}/sanctions", tag = "moderation", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "The sanctions", body = Sanctions), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn chat_sanctions(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Sanctions>> {
    Ok(Json(moderation::list(&state, &actor, Some(&id)).await?))
}

/// Ban a user from the website.
///
/// `PUT /v1/bans/{username}`: their sockets close on every node (4003, reason given), and
/// their tokens and visitor sessions are refused (`forbidden`) until the end.
#[utoipa::path(put, operation_id = "banUser", path = "/v1/bans/{username}", tag = "moderation", params(("username" = String, Path, description = "Who")), request_body = SanctionRequest, responses((status = 200, description = "The ban", body = Sanction), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn ban(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
    Json(req): Json<SanctionRequest>,
) -> AppResult<Json<Sanction>> {
    Ok(Json(
        moderation::sanction(&state, &actor, None, &username, SanctionKind::Ban, req).await?,
    ))
}

/// Lift a user's website ban.
///
/// `DELETE /v1/bans/{username}`.
#[utoipa::path(delete, operation_id = "unbanUser", path = "/v1/bans/{username}", tag = "moderation", params(("username" = String, Path, description = "Who")), responses((status = 204, description = "Not banned (any more)"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn unban(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
) -> AppResult<StatusCode> {
    moderation::lift(&state, &actor, None, &username, SanctionKind::Ban).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the website's bans in force.
///
/// `GET /v1/bans`: newest first.
#[utoipa::path(get, operation_id = "getSanctions", path = "/v1/bans", tag = "moderation", responses((status = 200, description = "The bans", body = Sanctions), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn bans(State(state): State<AppState>, actor: Actor) -> AppResult<Json<Sanctions>> {
    Ok(Json(moderation::list(&state, &actor, None).await?))
}

/// Flag a message for the consultants.
///
/// `POST /v1/chats/{id}/messages/{messageId}/flag`: a message the caller may read (not
/// their own), with a reason. Flagging it again while the report is open returns that
/// report.
#[utoipa::path(post, operation_id = "flagMessage", path = "/v1/chats/{id}/messages/{message_id}/flag", tag = "moderation", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id")), request_body = ReportRequest, responses((status = 200, description = "The report", body = Report), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn flag(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
    Json(req): Json<ReportRequest>,
) -> AppResult<Json<Report>> {
    Ok(Json(
        moderation::flag_message(&state, &actor, &id, &mid, req).await?,
    ))
}

/// Report a user to the consultants.
///
/// `POST /v1/users/by-username/{username}/report`: with a reason (not oneself).
#[utoipa::path(post, operation_id = "reportUser", path = "/v1/users/by-username/{username}/report", tag = "moderation", params(("username" = String, Path, description = "Who")), request_body = ReportRequest, responses((status = 200, description = "The report", body = Report), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn report(
    State(state): State<AppState>,
    actor: Actor,
    Path(username): Path<String>,
    Json(req): Json<ReportRequest>,
) -> AppResult<Json<Report>> {
    Ok(Json(
        moderation::report_user(&state, &actor, &username, req).await?,
    ))
}

/// `?status=&page=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReportsQuery {
    /// `open` (default), `resolved` or `all`.
    pub status: Option<String>,
    /// 1-based page of 50.
    #[param(minimum = 1)]
    pub page: Option<u32>,
}

/// List the reports queue.
///
/// `GET /v1/reports?status=open|resolved|all&page=`: newest first, 50 per page.
#[utoipa::path(get, operation_id = "getReports", path = "/v1/reports", tag = "moderation", params(ReportsQuery), responses((status = 200, description = "A page of reports", body = ReportsPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn reports(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<ReportsQuery>,
) -> AppResult<Json<ReportsPage>> {
    Ok(Json(
        moderation::reports(&state, &actor, q.status.as_deref(), q.page).await?,
    ))
}

/// Resolve a report.
///
/// `POST /v1/reports/{id}/resolve`: with what was done; `conflict` if already resolved.
#[utoipa::path(post, operation_id = "resolveReport", path = "/v1/reports/{id}/resolve", tag = "moderation", params(("id" = String, Path, description = "Report id")), request_body = ResolveReportRequest, responses((status = 200, description = "The report, resolved", body = Report), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<ResolveReportRequest>,
) -> AppResult<Json<Report>> {
    Ok(Json(moderation::resolve(&state, &actor, &id, req).await?))
}
