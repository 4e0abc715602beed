//! Request and response bodies of the REST API (`/v1/...`).
//!
//! Request bodies refuse unknown fields, so a misspelt option is an `invalid_argument`
//! error that names it instead of being silently ignored.

use serde::{Deserialize, Serialize};

use crate::metadata::Metadata;
use crate::model::{Chat, Member, Message, User, Visibility};

/// `POST /v1/auth/visitor`: open (or resume) an anonymous visitor session.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisitorSessionRequest {
    /// The website's public id.
    pub website_id: String,
    /// A visitor id stored from an earlier session. It is reused only together with its
    /// `visitorSecret`: a bare visitor id is not a credential.
    #[serde(default)]
    pub visitor_id: Option<String>,
    /// The secret returned when that visitor was created.
    #[serde(default)]
    pub visitor_secret: Option<String>,
}

/// `POST /v1/auth/consultant`: a consultant logs in with a password.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsultantLoginRequest {
    /// The website's public id.
    pub website_id: String,
    /// The consultant's login.
    pub username: String,
    /// The consultant's password.
    pub password: String,
}

/// The answer of every session endpoint (visitor, consultant, refresh).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// Bearer token for REST (`Authorization: Bearer`) and for the socket (its first frame,
    /// `{"type":"auth","token":…}`).
    pub token: String,
    /// Expiry of the token, ms. Refresh before it with `POST /v1/auth/refresh`.
    pub expires_at: i64,
    /// The authenticated user.
    pub user: User,
    /// Visitors only, and only when the visitor was just created: the secret that, with
    /// the visitor id, resumes this visitor later. Store it beside the visitor id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_secret: Option<String>,
}

/// `POST /v1/admin/tokens` (admin key): mint a user token the way an app backend would.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintTokenRequest {
    /// The user's username; created (role `user`) if missing.
    pub username: String,
    /// Display name for a newly created user.
    #[serde(default)]
    pub name: Option<String>,
    /// Lifetime in seconds (default 3600, at most 86400).
    #[serde(default)]
    pub ttl_seconds: Option<u64>,
}

/// `POST /v1/users` (`createUser`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Unique per website; an existing user with it is returned, not duplicated.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Avatar URL (`http(s)://` or a `/v1/files/...` URL from an upload).
    #[serde(default)]
    pub avatar: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Flat metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `PATCH /v1/users/...` and `PATCH /v1/me` (`updateUser`, `setVisitor`, `setName`, ...).
/// Absent fields are left as they are; metadata entries are merged into the existing map.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New avatar URL; the empty string removes it.
    #[serde(default)]
    pub avatar: Option<String>,
    /// New e-mail; the empty string removes it.
    #[serde(default)]
    pub email: Option<String>,
    /// Entries to set (merged into the existing metadata).
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `POST /v1/users/batch` (`getUsers`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetUsersRequest {
    /// Usernames to fetch (at most 100); unknown ones are left out of the answer.
    pub usernames: Vec<String>,
}

/// A list of users.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsersResponse {
    /// The users.
    pub users: Vec<User>,
}

/// `POST /v1/admin/consultants` (admin key): create a consultant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateConsultantRequest {
    /// Login, unique per website.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Password (at least 8 characters); stored as an argon2id hash.
    pub password: String,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// The `admin` permission: in the console, do what the secret key may (restore
    /// chatrooms, make visitors members of private ones). Default false.
    #[serde(default)]
    pub admin: bool,
}

/// `POST /v1/chats/direct` (`chat(username)`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectChatRequest {
    /// The other user; must exist.
    pub username: String,
}

/// `POST /v1/chats/group` (`groupChat`, and chatroom creation by consultants and admins).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupChatRequest {
    /// Name of the group.
    #[serde(default)]
    pub name: Option<String>,
    /// Members besides the creator; every one must exist.
    #[serde(default)]
    pub member_usernames: Vec<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Flat metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// `public` (default for chatrooms made by staff) or `private` (default for groups
    /// made by app users).
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// `PATCH /v1/chats/{id}` (`setName`, `setAvatar`, `setMetadata`, visibility).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateChatRequest {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New avatar URL; the empty string removes it.
    #[serde(default)]
    pub avatar: Option<String>,
    /// Replaces the metadata map.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// New visibility (staff and admin only).
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Slow mode of a chatroom: seconds a visitor or app user waits between two messages,
    /// 0 (off) to [`crate::limits::MAX_SLOW_MODE_SECONDS`] (staff and admin only).
    #[serde(default)]
    pub slow_mode: Option<u32>,
}

/// `POST /v1/chats/{id}/members` and `.../members/remove`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MembersRequest {
    /// Usernames to add or remove.
    pub usernames: Vec<String>,
}

/// `POST /v1/chats/{id}/messages` (and the body of the socket's `send` frame).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendMessageRequest {
    /// The sender's idempotency key: a retry with the same key returns the message
    /// stored the first time instead of storing another.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Text; required unless `fileId` is given.
    #[serde(default)]
    pub text: Option<String>,
    /// An uploaded file's id (`POST /v1/uploads`).
    #[serde(default)]
    pub file_id: Option<String>,
    /// Flat metadata.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Consultants only: deliver to consultants only.
    #[serde(default)]
    pub whisper: bool,
    /// Id of a message in the same chat this one replies to.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Id of a message of the same chat whose thread this reply goes in (not itself a
    /// thread reply). A thread is as visible as its parent: a whisper's thread holds
    /// whispers only, and a whisper cannot go in another message's thread.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// With `parentId`: show the reply in the chat too, not only in the thread.
    #[serde(default)]
    pub show_in_chat: bool,
    /// Usernames to mention (besides any `@username` in the text): each must be someone
    /// who may read the message, at most [`crate::limits::MAX_MENTIONS`].
    #[serde(default)]
    pub mentions: Option<Vec<String>>,
}

/// `PATCH /v1/chats/{chat}/messages/{id}` (`updateMessage`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditMessageRequest {
    /// New text.
    #[serde(default)]
    pub text: Option<String>,
    /// Replaces the metadata map.
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// `POST /v1/chats/{id}/seen` (`setSeen`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeenRequest {
    /// Mark up to this message; absent = up to the newest.
    #[serde(default)]
    pub message_id: Option<String>,
}

/// Answer of `setSeen`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenResponse {
    /// The caller's seen mark in this chat after the call.
    pub last_seen_seq: i64,
    /// Unread messages left.
    pub unread: u64,
    /// Unseen mentions of the caller left.
    #[serde(default)]
    pub mention_count: u64,
}

/// `getChats(page)`: 25 chats per page, newest activity first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatsPage {
    /// The chats of this page.
    pub chats: Vec<Chat>,
    /// This page (1-based).
    pub page: u32,
    /// All chats of the caller.
    pub total_chats: u64,
    /// Number of pages (0 when there are no chats).
    pub total_pages: u32,
}

/// `getChatrooms(pageId, perPage)`: the chatrooms the caller may see.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatroomsPage {
    /// The chatrooms of this page.
    pub chatrooms: Vec<Chat>,
    /// This page (1-based), as requested.
    pub page: u32,
    /// Page size, as requested.
    pub per_page: u32,
    /// All chatrooms the caller may see.
    pub total: u64,
    /// Number of pages.
    pub total_pages: u32,
}

/// `getMessages(page)`: 25 per page, page 1 the newest; messages ascending by `seq`
/// within the page.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesPage {
    /// Messages of this page, oldest first.
    pub messages: Vec<Message>,
    /// This page (1 = newest).
    pub page: u32,
    /// All messages the caller may see in the chat.
    pub total_messages: u64,
    /// Number of pages.
    pub total_pages: u32,
}

/// `getChatroomMessages(id, lastMessageId, count)`: the `count` messages before a cursor.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesCursorPage {
    /// Messages, oldest first; empty = start of history reached.
    pub messages: Vec<Message>,
    /// Whether older messages exist before the first one returned.
    pub has_more: bool,
}

/// `getPinnedMessages()`: a chat's pinned messages the caller may see, newest pin first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PinnedMessages {
    /// The messages (at most [`crate::limits::MAX_PINS_PER_CHAT`]).
    pub messages: Vec<Message>,
}

/// `searchMessages(query, options)`: messages whose text contains the query.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSearchResults {
    /// Matching messages, newest first (each names its `chatId`).
    pub messages: Vec<Message>,
    /// Pass as `cursor` for the next, older results; absent when there are no more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `getChatroomMembers(id, page, perPage)`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembersPage {
    /// Members of this page.
    pub members: Vec<Member>,
    /// This page (1-based).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// All members.
    pub total: u64,
    /// Number of pages.
    pub total_pages: u32,
}

/// `POST /v1/operator/websites` (operator token): create a website (tenant).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebsiteRequest {
    /// Display name.
    pub name: String,
    /// Origins allowed to open the socket and call REST from a browser, e.g.
    /// `https://shop.example` (scheme, host and port must match); `http://localhost` and
    /// `http://127.0.0.1` allow every port of that host.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

/// A website with its keys (answer of website creation; never sent to a browser).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebsiteKeys {
    /// Public id, safe to embed in pages.
    pub website_id: String,
    /// Secret key: admin REST and signing user tokens. Keep it on servers.
    pub secret_key: String,
    /// Display name.
    pub name: String,
    /// Allowed browser origins.
    pub allowed_origins: Vec<String>,
}

/// `GET /v1/websites/{id}`: what a page may know about a website.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebsiteInfo {
    /// Public id.
    pub website_id: String,
    /// Display name.
    pub name: String,
}

/// Answer of a file upload (`POST /v1/uploads`); pass `id` as a message's `fileId` or
/// `url` as an avatar.
pub type UploadResponse = crate::model::FileInfo;

/// `GET /v1/chats/{id}` answer and others that return one chat.
pub type ChatResponse = Chat;

/// Answer of `GET /healthz`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `ok`, or `unavailable` (HTTP 503) while the database does not answer.
    pub status: String,
    /// `up`, or `down` while the database does not answer a probe within 2 s.
    pub database: String,
    /// Storage backend in use (`sqlite` or `postgres`).
    pub storage: String,
    /// Fan-out bus in use (`memory` or `redis`).
    pub bus: String,
}

/// `GET /v1/demo`: public facts about the demo website.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoInfo {
    /// The demo website's public id.
    pub website_id: String,
    /// The demo consultant's login (its password is printed by the server at start).
    pub consultant_username: String,
}

/// `muteUser` / `banUser`: how long (`until`, or `seconds` from now; neither: until lifted)
/// and why.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SanctionRequest {
    /// End, ms since the epoch (in the future).
    #[serde(default)]
    pub until: Option<i64>,
    /// Or: how many seconds from now (1 to 10 years' worth).
    #[serde(default)]
    pub seconds: Option<i64>,
    /// Why (shown to the user; at most [`crate::limits::MAX_REASON_CHARS`]).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A mute or a ban in force.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sanction {
    /// `mute` or `ban`.
    pub kind: String,
    /// The chat (null: a website ban).
    pub chat_id: Option<String>,
    /// Who is sanctioned.
    pub username: String,
    /// End, ms (null: until lifted).
    pub until: Option<i64>,
    /// Why.
    pub reason: String,
    /// The consultant who set it (null: the secret key).
    pub by: Option<String>,
    /// When it was set, ms.
    pub created_at: i64,
}

/// `getSanctions(chatId?)`: a chat's mutes and bans in force, or the website's bans.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sanctions {
    /// Newest first.
    pub sanctions: Vec<Sanction>,
}

/// `flagMessage` / `reportUser`: why.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportRequest {
    /// Why (1 to [`crate::limits::MAX_REASON_CHARS`] characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `resolveReport`: what was done.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveReportRequest {
    /// What was done (at most [`crate::limits::MAX_REASON_CHARS`]; default `resolved`).
    #[serde(default)]
    pub resolution: Option<String>,
}

/// A flagged message or a reported user, in the consultants' queue.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Id (`rep_…`).
    pub id: String,
    /// `message` or `user`.
    pub kind: String,
    /// The flagged message's chat.
    pub chat_id: Option<String>,
    /// The flagged message.
    pub message_id: Option<String>,
    /// The flagged message's text when it was flagged.
    pub excerpt: Option<String>,
    /// Who is reported (a flagged message's sender).
    pub username: String,
    /// Who reported.
    pub reporter: String,
    /// Why.
    pub reason: String,
    /// When, ms.
    pub created_at: i64,
    /// When resolved (null: open).
    pub resolved_at: Option<i64>,
    /// Who resolved it (null: open, or the secret key).
    pub resolved_by: Option<String>,
    /// What was done.
    pub resolution: Option<String>,
}

/// `getReports({status, page})`: a page of the reports queue, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportsPage {
    /// Reports of this page.
    pub reports: Vec<Report>,
    /// This page (1-based).
    pub page: u32,
    /// Page size.
    pub per_page: u32,
    /// All reports of that status.
    pub total: u64,
    /// Number of pages.
    pub total_pages: u32,
}

/// What a blocked word does to a message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlocklistMode {
    /// The send (or edit) is refused with `invalid_argument`, naming the word.
    #[default]
    Reject,
    /// Each blocked word is stored as `*`s; the rest of the message goes as written.
    Mask,
}

/// `GET|PUT /v1/admin/blocklist`: a website's blocked words (whole words, any case) and
/// what a match does. Applies to visitors' and app users' messages, not consultants'.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Blocklist {
    /// Words of letters and digits (1 to 50 characters each, at most 1,000); empty: none.
    pub words: Vec<String>,
    /// `reject` (default) or `mask`.
    #[serde(default)]
    pub mode: BlocklistMode,
}
