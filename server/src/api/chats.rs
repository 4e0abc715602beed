//! Chats, chatrooms, conversations and members.
//!
//! - `GET /v1/chats?page=` (`getChats`), `POST /v1/chats/direct` (`chat`),
//!   `POST /v1/chats/group` (`groupChat`, chatroom creation).
//! - `GET|PATCH|DELETE /v1/chats/{id}`, `POST /v1/chats/{id}/restore` (secret key).
//! - `POST /v1/chats/{id}/join`, `POST /v1/chats/{id}/leave`.
//! - `GET /v1/chats/{id}/members?page=&perPage=`, `POST /v1/chats/{id}/members`,
//!   `POST /v1/chats/{id}/members/remove`.
//! - `GET /v1/chatrooms?pageId=&perPage=` (`getChatrooms`), `GET /v1/chatrooms/mine`.
//! - `GET /v1/conversation` (a visitor's own), `GET /v1/conversations?page=` (staff).

use axum::extract::State;
use axum::http::StatusCode;
use chatix_protocol::rest::{
    ChatroomsPage, ChatsPage, DirectChatRequest, GroupChatRequest, MembersPage, MembersRequest,
    UpdateChatRequest,
};
use chatix_protocol::Chat;
use serde::Deserialize;

use super::extract::{Json, Path, Query};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::chats;
use crate::state::AppState;

/// `?page=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// 1-based page.
    #[param(minimum = 1)]
    pub page: Option<u32>,
}

/// `?pageId=&perPage=` (the chat-rooms service's names; `page` is accepted too).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoomsQuery {
    /// 1-based page.
    #[serde(alias = "page")]
    #[param(minimum = 1)]
    pub page_id: Option<u32>,
    /// Page size, 1-100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// List the caller's chats, most recent first.
///
/// `GET /v1/chats`.
#[utoipa::path(get, operation_id = "listMyChats", path = "/v1/chats", tag = "chats", params(PageQuery), responses((status = 200, description = "A page of the caller's chats", body = ChatsPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn mine(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<ChatsPage>> {
    Ok(Json(chats::mine(&state, &actor, q.page).await?))
}

/// Open (or get) the direct chat with another user.
///
/// `POST /v1/chats/direct`.
#[utoipa::path(post, operation_id = "openDirectChat", path = "/v1/chats/direct", tag = "chats", request_body = DirectChatRequest, responses((status = 200, description = "The direct chat", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn direct(
    State(state): State<AppState>,
    actor: Actor,
    Json(req): Json<DirectChatRequest>,
) -> AppResult<Json<Chat>> {
    Ok(Json(chats::direct(&state, &actor, &req.username).await?))
}

/// Create a group chat or a chatroom.
///
/// `POST /v1/chats/group`.
#[utoipa::path(post, operation_id = "createGroupChat", path = "/v1/chats/group", tag = "chats", request_body = GroupChatRequest, responses((status = 201, description = "Created", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn group(
    State(state): State<AppState>,
    actor: Actor,
    Json(req): Json<GroupChatRequest>,
) -> AppResult<(StatusCode, Json<Chat>)> {
    Ok((
        StatusCode::CREATED,
        Json(chats::create_group(&state, &actor, req).await?),
    ))
}

/// Get a chat.
///
/// `GET /v1/chats/{id}`.
#[utoipa::path(get, operation_id = "getChat", path = "/v1/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "The chat", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Chat>> {
    Ok(Json(chats::get(&state, &actor, &id).await?))
}

/// Update a chat's name, description or metadata.
///
/// `PATCH /v1/chats/{id}`.
#[utoipa::path(patch, operation_id = "updateChat", path = "/v1/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")), request_body = UpdateChatRequest, responses((status = 200, description = "Updated", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<UpdateChatRequest>,
) -> AppResult<Json<Chat>> {
    Ok(Json(chats::update(&state, &actor, &id, req).await?))
}

/// Soft-delete a chat.
///
/// `DELETE /v1/chats/{id}`.
#[utoipa::path(delete, operation_id = "deleteChat", path = "/v1/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 204, description = "Soft-deleted"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    chats::delete(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a soft-deleted chat (secret key).
///
/// `POST /v1/chats/{id}/restore`.
#[utoipa::path(post, operation_id = "restoreChat", path = "/v1/chats/{id}/restore", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "Restored", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("secret_key" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Chat>> {
    Ok(Json(chats::restore(&state, &actor, &id).await?))
}

/// Join a public chatroom.
///
/// `POST /v1/chats/{id}/join`.
#[utoipa::path(post, operation_id = "joinChatroom", path = "/v1/chats/{id}/join", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "Joined", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn join(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<Chat>> {
    Ok(Json(chats::join(&state, &actor, &id).await?))
}

/// Leave a chat.
///
/// `POST /v1/chats/{id}/leave`.
#[utoipa::path(post, operation_id = "leaveChat", path = "/v1/chats/{id}/leave", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 204, description = "Left"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn leave(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    chats::leave(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a chat's members.
///
/// `GET /v1/chats/{id}/members`.
#[utoipa::path(get, operation_id = "listChatMembers", path = "/v1/chats/{id}/members", tag = "chats", params(("id" = String, Path, description = "Chat id"), RoomsQuery), responses((status = 200, description = "A page of members", body = MembersPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn members(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<RoomsQuery>,
) -> AppResult<Json<MembersPage>> {
    Ok(Json(
        chats::members(&state, &actor, &id, q.page_id, q.per_page).await?,
    ))
}

/// Add members to a chat.
///
/// `POST /v1/chats/{id}/members`.
#[utoipa::path(post, operation_id = "addChatMembers", path = "/v1/chats/{id}/members", tag = "chats", params(("id" = String, Path, description = "Chat id")), request_body = MembersRequest, responses((status = 200, description = "Members added", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn add_members(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<MembersRequest>,
) -> AppResult<Json<Chat>> {
    Ok(Json(
        chats::add_members(&state, &actor, &id, &req.usernames).await?,
    ))
}

/// Remove members from a chat.
///
/// `POST /v1/chats/{id}/members/remove`.
#[utoipa::path(post, operation_id = "removeChatMembers", path = "/v1/chats/{id}/members/remove", tag = "chats", params(("id" = String, Path, description = "Chat id")), request_body = MembersRequest, responses((status = 200, description = "Members removed", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn remove_members(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<MembersRequest>,
) -> AppResult<Json<Chat>> {
    Ok(Json(
        chats::remove_members(&state, &actor, &id, &req.usernames).await?,
    ))
}

/// List the chatrooms the caller may see.
///
/// `GET /v1/chatrooms`.
#[utoipa::path(get, operation_id = "listChatrooms", path = "/v1/chatrooms", tag = "chats", params(RoomsQuery), responses((status = 200, description = "Chatrooms the caller may see", body = ChatroomsPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn chatrooms(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<RoomsQuery>,
) -> AppResult<Json<ChatroomsPage>> {
    Ok(Json(
        chats::chatrooms(&state, &actor, q.page_id, q.per_page, false).await?,
    ))
}

/// List the chatrooms the caller is a member of.
///
/// `GET /v1/chatrooms/mine`.
#[utoipa::path(get, operation_id = "listMyChatrooms", path = "/v1/chatrooms/mine", tag = "chats", params(RoomsQuery), responses((status = 200, description = "Chatrooms the caller is a member of", body = ChatroomsPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn my_chatrooms(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<RoomsQuery>,
) -> AppResult<Json<ChatroomsPage>> {
    Ok(Json(
        chats::chatrooms(&state, &actor, q.page_id, q.per_page, true).await?,
    ))
}

/// List deleted chatrooms (staff).
///
/// `GET /v1/chatrooms/deleted`.
#[utoipa::path(get, operation_id = "listDeletedChatrooms", path = "/v1/chatrooms/deleted", tag = "chats", params(PageQuery), responses((status = 200, description = "Deleted chatrooms (staff)", body = ChatsPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn deleted_chatrooms(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<ChatsPage>> {
    Ok(Json(
        chats::deleted_chatrooms(&state, &actor, q.page).await?,
    ))
}

/// Get the calling visitor's conversation.
///
/// `GET /v1/conversation`.
#[utoipa::path(get, operation_id = "getMyConversation", path = "/v1/conversation", tag = "chats", responses((status = 200, description = "The visitor's conversation", body = Chat), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn conversation(State(state): State<AppState>, actor: Actor) -> AppResult<Json<Chat>> {
    Ok(Json(chats::conversation(&state, &actor).await?))
}

/// List visitor conversations (staff).
///
/// `GET /v1/conversations`.
#[utoipa::path(get, operation_id = "listConversations", path = "/v1/conversations", tag = "chats", params(PageQuery), responses((status = 200, description = "Visitor conversations (staff)", body = ChatsPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn conversations(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<ChatsPage>> {
    Ok(Json(chats::conversations(&state, &actor, q.page).await?))
}
