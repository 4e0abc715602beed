//! Messages of a chat.
//!
//! - `GET /v1/chats/{id}/messages?page=` (`getMessages`: 25 per page, page 1 newest).
//! - `GET /v1/chats/{id}/history?lastMessageId=&count=` (`getChatroomMessages`: cursor).
//! - `GET /v1/chats/{id}/messages/{messageId}/thread?lastMessageId=&count=` (`getThread`).
//! - `GET /v1/chats/{id}/mentions?lastMessageId=&count=` (`getMentions`: yours).
//! - `POST /v1/chats/{id}/messages` (`sendMessage`; idempotent by `clientId`).
//! - `PATCH|DELETE /v1/chats/{id}/messages/{messageId}`.
//! - `PUT|DELETE /v1/chats/{id}/messages/{messageId}/reactions/{reaction}` (`addReaction`,
//!   `removeReaction`; both idempotent).
//! - `PUT|DELETE /v1/chats/{id}/messages/{messageId}/pin`, `GET /v1/chats/{id}/pins`
//!   (`pinMessage`, `unpinMessage`, `getPinnedMessages`).
//! - `POST /v1/chats/{id}/seen`, `POST /v1/chats/{id}/typing`.
//! - `GET /v1/messages/search?q=&chatId=&cursor=&count=` (`searchMessages`).

use axum::extract::State;
use axum::http::StatusCode;
use chatix_protocol::rest::{
    EditMessageRequest, MessageSearchResults, MessagesCursorPage, MessagesPage, PinnedMessages,
    SeenRequest, SeenResponse, SendMessageRequest,
};
use chatix_protocol::Message;
use serde::Deserialize;

use super::chats::PageQuery;
use super::extract::{Json, Path, Query};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::service::{messages, search};
use crate::state::AppState;
use crate::store::Stream;

/// `?lastMessageId=&count=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HistoryQuery {
    /// Messages before this one; absent = the newest.
    pub last_message_id: Option<String>,
    /// 1-100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub count: Option<u32>,
}

/// Body of `POST /v1/chats/{id}/typing`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingRequest {
    /// Started or stopped.
    pub typing: bool,
    /// A visitor's draft (shown to consultants only).
    #[serde(default)]
    pub draft: Option<String>,
}

/// Get a numbered page of a chat's messages.
///
/// `GET /v1/chats/{id}/messages`.
#[utoipa::path(get, operation_id = "listMessages", path = "/v1/chats/{id}/messages", tag = "messages", params(("id" = String, Path, description = "Chat id"), PageQuery), responses((status = 200, description = "A page of history", body = MessagesPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn page(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<MessagesPage>> {
    Ok(Json(messages::page(&state, &actor, &id, q.page).await?))
}

/// Get the messages before a cursor.
///
/// `GET /v1/chats/{id}/history`.
#[utoipa::path(get, operation_id = "getMessageHistory", path = "/v1/chats/{id}/history", tag = "messages", params(("id" = String, Path, description = "Chat id"), HistoryQuery), responses((status = 200, description = "Messages before the cursor", body = MessagesCursorPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn history(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> AppResult<Json<MessagesCursorPage>> {
    Ok(Json(
        messages::before(
            &state,
            &actor,
            &id,
            Stream::Chat,
            q.last_message_id.as_deref(),
            q.count,
        )
        .await?,
    ))
}

/// Get the replies in a message's thread, before a cursor.
///
/// `GET /v1/chats/{id}/messages/{messageId}/thread`.
#[utoipa::path(get, operation_id = "getThread", path = "/v1/chats/{id}/messages/{messageId}/thread", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("messageId" = String, Path, description = "The thread's parent message"), HistoryQuery), responses((status = 200, description = "The thread's replies before the cursor, oldest first", body = MessagesCursorPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn thread(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, message_id)): Path<(String, String)>,
    Query(q): Query<HistoryQuery>,
) -> AppResult<Json<MessagesCursorPage>> {
    Ok(Json(
        messages::before(
            &state,
            &actor,
            &id,
            Stream::Thread(&message_id),
            q.last_message_id.as_deref(),
            q.count,
        )
        .await?,
    ))
}

/// Get the messages of a chat that mention you, before a cursor.
///
/// `GET /v1/chats/{id}/mentions`: live messages (thread replies included) whose
/// `mentions` name the caller, oldest first within the page; a user token only.
#[utoipa::path(get, operation_id = "getMentions", path = "/v1/chats/{id}/mentions", tag = "messages", params(("id" = String, Path, description = "Chat id"), HistoryQuery), responses((status = 200, description = "The messages mentioning you before the cursor, oldest first", body = MessagesCursorPage), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn mentions(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> AppResult<Json<MessagesCursorPage>> {
    Ok(Json(
        messages::mentions(&state, &actor, &id, q.last_message_id.as_deref(), q.count).await?,
    ))
}

/// `?q=&chatId=&cursor=&count=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SearchQuery {
    /// Text to find (1-200 characters besides spaces at the ends; case-insensitive).
    #[param(min_length = 1, max_length = 200, pattern = r"\S")]
    pub q: String,
    /// Search this chat only (any chat the caller may read); absent = all the caller's
    /// chats (staff: the website's groups and conversations too).
    pub chat_id: Option<String>,
    /// `nextCursor` of the previous results.
    #[param(pattern = r"^-?[0-9]{1,19}\.[A-Za-z0-9_-]{1,64}$")]
    pub cursor: Option<String>,
    /// 1-100, default 25.
    #[param(minimum = 1, maximum = 100)]
    pub count: Option<u32>,
}

/// Search the messages the caller may read.
///
/// `GET /v1/messages/search`.
#[utoipa::path(get, operation_id = "searchMessages", path = "/v1/messages/search", tag = "messages", params(SearchQuery), responses((status = 200, description = "Matching messages, newest first", body = MessageSearchResults), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn search(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<SearchQuery>,
) -> AppResult<Json<MessageSearchResults>> {
    Ok(Json(
        search::search(
            &state,
            &actor,
            &q.q,
            q.chat_id.as_deref(),
            q.cursor.as_deref(),
            q.count,
        )
        .await?,
    ))
}

/// Send a message to a chat.
///
/// `POST /v1/chats/{id}/messages`: 201 when stored, 200 for a repeated client id.
#[utoipa::path(post, operation_id = "sendMessage", path = "/v1/chats/{id}/messages", tag = "messages", params(("id" = String, Path, description = "Chat id")), request_body = SendMessageRequest, responses((status = 201, description = "Stored", body = Message), (status = 200, description = "Repeated clientId: the original", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn send(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<SendMessageRequest>,
) -> AppResult<(StatusCode, Json<Message>)> {
    let (m, dup) = messages::send(&state, &actor, &id, req).await?;
    let mut m = [m];
    messages::with_own_reactions(&state, &actor, &mut m).await?;
    let [m] = m;
    Ok((
        if dup {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(m),
    ))
}

/// Edit a message.
///
/// `PATCH /v1/chats/{id}/messages/{messageId}`.
#[utoipa::path(patch, operation_id = "editMessage", path = "/v1/chats/{id}/messages/{message_id}", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id")), request_body = EditMessageRequest, responses((status = 200, description = "Edited", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
    Json(req): Json<EditMessageRequest>,
) -> AppResult<Json<Message>> {
    Ok(Json(messages::edit(&state, &actor, &id, &mid, req).await?))
}

/// Delete a message (leaves a tombstone).
///
/// `DELETE /v1/chats/{id}/messages/{messageId}`.
#[utoipa::path(delete, operation_id = "deleteMessage", path = "/v1/chats/{id}/messages/{message_id}", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id")), responses((status = 200, description = "The tombstone", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> AppResult<Json<Message>> {
    Ok(Json(messages::delete(&state, &actor, &id, &mid).await?))
}

/// Add the caller's reaction to a message.
///
/// `PUT /v1/chats/{id}/messages/{messageId}/reactions/{reaction}`: the reaction is an emoji
/// or a symbol (URL-encoded), 1-16 characters with no spaces, not plain ASCII text; a
/// message carries at most 25 different reactions. Adding one the caller already gave
/// changes nothing. Answers the message with its `reactions` counts and `ownReactions`.
#[utoipa::path(put, operation_id = "addReaction", path = "/v1/chats/{id}/messages/{message_id}/reactions/{reaction}", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id"), ("reaction" = String, Path, description = "The reaction, e.g. 👍 (URL-encoded)")), responses((status = 200, description = "The message with its reactions", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn add_reaction(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid, reaction)): Path<(String, String, String)>,
) -> AppResult<Json<Message>> {
    Ok(Json(
        messages::react(&state, &actor, &id, &mid, &reaction, true).await?,
    ))
}

/// Remove the caller's reaction from a message.
///
/// `DELETE /v1/chats/{id}/messages/{messageId}/reactions/{reaction}`: removing one the
/// caller did not give changes nothing.
#[utoipa::path(delete, operation_id = "removeReaction", path = "/v1/chats/{id}/messages/{message_id}/reactions/{reaction}", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id"), ("reaction" = String, Path, description = "The reaction (URL-encoded)")), responses((status = 200, description = "The message with its reactions", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn remove_reaction(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid, reaction)): Path<(String, String, String)>,
) -> AppResult<Json<Message>> {
    Ok(Json(
        messages::react(&state, &actor, &id, &mid, &reaction, false).await?,
    ))
}

/// Pin a message.
///
/// `PUT /v1/chats/{id}/messages/{messageId}/pin`: consultants (chatrooms and conversations),
/// a chatroom's owner, either member of a direct chat; at most 50 pins per chat. Pinning a
/// pinned message changes nothing.
#[utoipa::path(put, operation_id = "pinMessage", path = "/v1/chats/{id}/messages/{message_id}/pin", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id")), responses((status = 200, description = "The message, pinned", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn pin(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> AppResult<Json<Message>> {
    Ok(Json(messages::pin(&state, &actor, &id, &mid, true).await?))
}

/// Unpin a message.
///
/// `DELETE /v1/chats/{id}/messages/{messageId}/pin`: who may pin.
#[utoipa::path(delete, operation_id = "unpinMessage", path = "/v1/chats/{id}/messages/{message_id}/pin", tag = "messages", params(("id" = String, Path, description = "Chat id"), ("message_id" = String, Path, description = "Message id")), responses((status = 200, description = "The message, not pinned", body = Message), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn unpin(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, mid)): Path<(String, String)>,
) -> AppResult<Json<Message>> {
    Ok(Json(messages::pin(&state, &actor, &id, &mid, false).await?))
}

/// List a chat's pinned messages.
///
/// `GET /v1/chats/{id}/pins`: those the caller may see (a whisper only to staff), newest pin
/// first.
#[utoipa::path(get, operation_id = "getPinnedMessages", path = "/v1/chats/{id}/pins", tag = "messages", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "The pinned messages", body = PinnedMessages), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = []), ("secret_key" = [])))]
pub async fn pins(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> AppResult<Json<PinnedMessages>> {
    Ok(Json(messages::pinned(&state, &actor, &id).await?))
}

/// Mark a chat seen up to a message.
///
/// `POST /v1/chats/{id}/seen`.
#[utoipa::path(post, operation_id = "markSeen", path = "/v1/chats/{id}/seen", tag = "messages", params(("id" = String, Path, description = "Chat id")), request_body = SeenRequest, responses((status = 200, description = "The seen mark", body = SeenResponse), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn seen(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<SeenRequest>,
) -> AppResult<Json<SeenResponse>> {
    Ok(Json(
        messages::seen(&state, &actor, &id, req.message_id.as_deref()).await?,
    ))
}

/// Announce that the caller is typing.
///
/// `POST /v1/chats/{id}/typing`.
#[utoipa::path(post, operation_id = "sendTyping", path = "/v1/chats/{id}/typing", tag = "messages", params(("id" = String, Path, description = "Chat id")), request_body = TypingRequest, responses((status = 204, description = "Announced"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn typing(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(req): Json<TypingRequest>,
) -> AppResult<StatusCode> {
    messages::typing(&state, &actor, &id, req.typing, req.draft).await?;
    Ok(StatusCode::NO_CONTENT)
}
