//! Storage: the [`Store`] trait every handler goes through, and its records.
//!
//! One implementation, [`sql::SqlStore`], serves both backends (SQLite embedded by default,
//! PostgreSQL for clusters) through sqlx's `Any` driver: the schema and every query are
//! written in the SQL the two share. The trait keeps handlers independent of that choice,
//! and `tests/store_suite.rs` runs one suite against every backend available.
//!
//! Everything is scoped by website: no method returns a row of another website than the
//! one it was asked about.

pub mod batch;
pub mod sql;

use async_trait::async_trait;
use chatix_protocol::{ChatKind, Message, MessageKind, Metadata, Pin, Role, User, Visibility};

use crate::error::AppResult;

/// What a sanction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanctionKind {
    /// Reads, cannot send (a chat only).
    Mute,
    /// Removed and refused (a chat, or the whole website).
    Ban,
}

impl SanctionKind {
    /// Its name in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SanctionKind::Mute => "mute",
            SanctionKind::Ban => "ban",
        }
    }
    /// From [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "mute" => Some(SanctionKind::Mute),
            "ban" => Some(SanctionKind::Ban),
            _ => None,
        }
    }
}

/// A mute or ban of one user, in a chat or (`chat_id` none) on the whole website.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanctionRecord {
    /// Website.
    pub website_id: String,
    /// Chat (none: the website).
    pub chat_id: Option<String>,
    /// The user sanctioned.
    pub user_id: String,
    /// Mute or ban.
    pub kind: SanctionKind,
    /// End, ms (none: until lifted).
    pub until: Option<i64>,
    /// Why (shown to the user).
    pub reason: String,
    /// The consultant who set it (none: the secret key).
    pub created_by: Option<String>,
    /// When.
    pub created_at: i64,
}

/// How long a sanction lasts and why, as the access check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// End, ms (none: until lifted).
    pub until: Option<i64>,
    /// Why.
    pub reason: String,
}

impl Term {
    /// Whether it is in force at `now`.
    pub fn in_force(&self, now: i64) -> bool {
        self.until.is_none_or(|u| u > now)
    }
}

/// A user's mute and ban in one chat (expired ones included: [`Term::in_force`] says).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// The mute, if any.
    pub muted: Option<Term>,
    /// The ban, if any.
    pub banned: Option<Term>,
}

/// A flagged message or a reported user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    /// Id (`rep_…`).
    pub id: String,
    /// Website.
    pub website_id: String,
    /// `message` or `user`.
    pub kind: String,
    /// The message id (`message`) or the user id (`user`).
    pub subject: String,
    /// The flagged message's chat.
    pub chat_id: Option<String>,
    /// The user reported (a flagged message's sender).
    pub target_id: String,
    /// Who reported.
    pub reporter_id: String,
    /// Why.
    pub reason: String,
    /// The flagged message's text when it was flagged.
    pub excerpt: Option<String>,
    /// When.
    pub created_at: i64,
    /// When resolved.
    pub resolved_at: Option<i64>,
    /// Who resolved it (none: the secret key, or open).
    pub resolved_by: Option<String>,
    /// What was done.
    pub resolution: Option<String>,
}

/// What [`Store::react`] is asked.
#[derive(Debug, Clone, Copy)]
pub struct ReactionChange<'a> {
    /// The chat.
    pub chat: &'a str,
    /// The message.
    pub message: &'a str,
    /// Who reacts.
    pub user: &'a str,
    /// The reaction (validated by the caller).
    pub reaction: &'a str,
    /// Add (`true`) or remove.
    pub add: bool,
    /// At most this many distinct reactions per message.
    pub max_distinct: usize,
    /// Time, ms.
    pub now: i64,
}

/// What [`Store::react`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reacted {
    /// No such live message.
    Missing,
    /// The message already was as asked (its `own_reactions` are the user's).
    Unchanged(Message),
    /// Changed: the message with its new `rev` and counts (its `own_reactions` are the
    /// user's).
    Changed(Message),
    /// The message has `max_distinct` distinct reactions already.
    TooMany,
}

/// A website (tenant).
#[derive(Debug, Clone, PartialEq)]
pub struct Website {
    /// Public id (`wid_…`).
    pub id: String,
    /// Secret key (`sk_…`): admin REST and HMAC key of user tokens.
    pub secret: String,
    /// Display name.
    pub name: String,
    /// Origins allowed to open the socket from a browser.
    pub allowed_origins: Vec<String>,
    /// Creation time, ms.
    pub created_at: i64,
}

/// A user row: the public [`User`] plus what only the server may know.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// The public part (presence is filled in by the hub, not stored).
    pub user: User,
    /// The website.
    pub website_id: String,
    /// Consultants: argon2id PHC string of the password.
    pub password_hash: Option<String>,
    /// Visitors: argon2id PHC string of the resume secret.
    pub visitor_secret_hash: Option<String>,
    /// Consultants: may do what the secret key may in the console (restore chatrooms, add
    /// visitors to private ones).
    pub can_admin: bool,
}

/// What creating a user needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The website.
    pub website_id: String,
    /// Unique per website.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Flat metadata.
    pub metadata: Metadata,
    /// Role.
    pub role: Role,
    /// Consultants' password hash.
    pub password_hash: Option<String>,
    /// Visitors' secret hash.
    pub visitor_secret_hash: Option<String>,
    /// Consultants' admin permission.
    pub can_admin: bool,
}

/// A change to a user; `None` leaves a field as it is. `Some("")` clears avatar and email.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New name.
    pub name: Option<String>,
    /// New avatar.
    pub avatar: Option<String>,
    /// New e-mail.
    pub email: Option<String>,
    /// The whole new metadata map (the caller merges).
    pub metadata: Option<Metadata>,
}

/// A chat row, without the per-viewer parts of the public [`chatix_protocol::Chat`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRecord {
    /// Id.
    pub id: String,
    /// Website.
    pub website_id: String,
    /// Kind.
    pub kind: ChatKind,
    /// Group name.
    pub name: Option<String>,
    /// Group avatar.
    pub avatar: Option<String>,
    /// Metadata.
    pub metadata: Metadata,
    /// Visibility.
    pub visibility: Visibility,
    /// The chat's sequence counter: highest `seq`/`rev` handed out.
    pub last_seq: i64,
    /// Time of the newest message or of creation, ms.
    pub last_activity_at: i64,
    /// Creator's user id (none for chats made with the admin key).
    pub created_by: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Soft-delete time.
    pub deleted_at: Option<i64>,
    /// Slow mode: seconds a non-staff sender waits between two messages (0: off).
    pub slow_mode: i64,
}

/// What creating a group chat needs.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Website.
    pub website_id: String,
    /// Name.
    pub name: Option<String>,
    /// Avatar.
    pub avatar: Option<String>,
    /// Metadata.
    pub metadata: Metadata,
    /// Visibility.
    pub visibility: Visibility,
    /// Creator (also made a member when set).
    pub created_by: Option<String>,
    /// Member user ids (besides the creator).
    pub member_ids: Vec<String>,
}

/// A change to a chat; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ChatPatch {
    /// New name.
    pub name: Option<String>,
    /// New avatar (`Some("")` clears).
    pub avatar: Option<String>,
    /// New metadata.
    pub metadata: Option<Metadata>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New slow mode, seconds (0: off).
    pub slow_mode: Option<i64>,
}

/// A membership row.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    /// Chat.
    pub chat_id: String,
    /// User.
    pub user_id: String,
    /// Join time.
    pub joined_at: i64,
    /// Newest sequence number the member marked seen.
    pub last_seen_seq: i64,
}

/// Which of a chat's messages a history read pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream<'a> {
    /// The chat's own stream: thread replies only where shown in it.
    Chat,
    /// The replies in this message's thread.
    Thread(&'a str),
    /// The messages that mention this user (thread replies included).
    MentionsOf(&'a str),
}

/// What storing a message needs.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Chat.
    pub chat_id: String,
    /// Sender.
    pub sender_id: String,
    /// Sender's role.
    pub sender_role: Role,
    /// Sender's name at send time.
    pub sender_name: String,
    /// Kind.
    pub kind: MessageKind,
    /// Text.
    pub text: String,
    /// Attached file id.
    pub file_id: Option<String>,
    /// Metadata.
    pub metadata: Metadata,
    /// Consultants-only.
    pub whisper: bool,
    /// Idempotency key.
    pub client_id: Option<String>,
    /// Replied-to message.
    pub reply_to: Option<String>,
    /// Its quote of that message.
    pub quote: Option<chatix_protocol::Quote>,
    /// The thread's parent, for a thread reply.
    pub parent_id: Option<String>,
    /// A thread reply shown in the chat too.
    pub show_in_chat: bool,
    /// The people it mentions, checked: (user id, username).
    pub mentions: Vec<(String, String)>,
    /// Send time.
    pub created_at: i64,
}

/// Result of storing a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// Stored now.
    New(Message),
    /// The client id had been used: the message stored the first time.
    Duplicate(Message),
}

impl Inserted {
    /// The message either way.
    pub fn message(&self) -> &Message {
        match self {
            Inserted::New(m) | Inserted::Duplicate(m) => m,
        }
    }
}

/// A stored file's row.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    /// Id (random).
    pub id: String,
    /// Website.
    pub website_id: String,
    /// Uploader.
    pub uploader_id: String,
    /// Sanitised name.
    pub name: String,
    /// Sniffed MIME type.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// `image` or `file`.
    pub kind: MessageKind,
    /// A thumbnail was made.
    pub has_thumbnail: bool,
    /// Upload time.
    pub created_at: i64,
}

/// Which messages a reader may see: whispers only for staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    /// Include whispers.
    pub whispers: bool,
}

/// Which chats a message search looks through (the caller's access rules, as SQL).
#[derive(Debug, Clone, Copy)]
pub enum SearchScope<'a> {
    /// One chat the caller may read.
    Chat(&'a str),
    /// Every live chat of the website (the admin key).
    Website,
    /// Groups and conversations, and the direct chats this consultant is in.
    Staff(&'a str),
    /// The chats this user is a member of.
    Member(&'a str),
}

/// The storage interface. Every method is one logical operation, atomic where it writes.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Backend name for `/healthz` (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Whether the database answers a trivial query (for `/healthz`).
    async fn ping(&self) -> AppResult<()>;

    // --- websites
    /// Creates a website.
    async fn create_website(&self, site: &Website) -> AppResult<()>;
    /// Finds a website by public id.
    async fn website(&self, id: &str) -> AppResult<Option<Website>>;
    /// Finds a website by secret key.
    async fn website_by_secret(&self, secret: &str) -> AppResult<Option<Website>>;
    /// Lists every website (oldest first).
    async fn websites(&self) -> AppResult<Vec<Website>>;

    // --- users
    /// Creates a user, or returns the existing one with that username (`false`).
    async fn create_user(&self, new: NewUser) -> AppResult<(UserRecord, bool)>;
    /// Finds a user by id.
    async fn user(&self, website: &str, id: &str) -> AppResult<Option<UserRecord>>;
    /// Finds a user by username.
    async fn user_by_username(
        &self,
        website: &str,
        username: &str,
    ) -> AppResult<Option<UserRecord>>;
    /// Finds many users by username (unknown ones left out).
    async fn users_by_usernames(
        &self,
        website: &str,
        usernames: &[String],
    ) -> AppResult<Vec<UserRecord>>;
    /// Finds many users by id (unknown ones left out).
    async fn users_by_ids(&self, website: &str, ids: &[String]) -> AppResult<Vec<UserRecord>>;
    /// Applies a patch; `None` when the user does not exist.
    async fn update_user(
        &self,
        website: &str,
        id: &str,
        patch: UserPatch,
        now: i64,
    ) -> AppResult<Option<UserRecord>>;
    /// Sets a visitor's resume-secret hash.
    async fn set_visitor_secret(&self, website: &str, id: &str, hash: &str) -> AppResult<()>;
    /// Deletes a user and their memberships, leaving a tombstone; `false` if absent.
    async fn delete_user(&self, website: &str, id: &str, now: i64) -> AppResult<bool>;
    /// When a username was deleted, if it was.
    async fn user_tombstone(&self, website: &str, username: &str) -> AppResult<Option<i64>>;
    /// Records activity.
    async fn touch_user(&self, website: &str, id: &str, now: i64) -> AppResult<()>;
    /// Users of a role, by name.
    async fn users_by_role(&self, website: &str, role: Role) -> AppResult<Vec<UserRecord>>;

    // --- chats
    /// The direct chat of two users, created with both as members if missing.
    async fn direct_chat(
        &self,
        website: &str,
        a: &str,
        b: &str,
        now: i64,
    ) -> AppResult<(ChatRecord, bool)>;
    /// A visitor's conversation, created with the visitor as member if missing.
    async fn conversation(
        &self,
        website: &str,
        visitor: &str,
        now: i64,
    ) -> AppResult<(ChatRecord, bool)>;
    /// Creates a group chat with its members.
    async fn create_group(&self, new: NewGroup, now: i64) -> AppResult<ChatRecord>;
    /// Finds a chat (deleted ones too).
    async fn chat(&self, website: &str, id: &str) -> AppResult<Option<ChatRecord>>;
    /// Applies a patch.
    async fn update_chat(
        &self,
        website: &str,
        id: &str,
        patch: ChatPatch,
        now: i64,
    ) -> AppResult<Option<ChatRecord>>;
    /// Soft-deletes (`Some(now)`) or restores (`None`).
    async fn set_chat_deleted(
        &self,
        website: &str,
        id: &str,
        deleted_at: Option<i64>,
    ) -> AppResult<Option<ChatRecord>>;
    /// A user's chats, newest activity first, and their total.
    async fn user_chats(
        &self,
        website: &str,
        user: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)>;
    /// Group chats a reader may see: all (staff) or public plus the ones they are in.
    async fn chatrooms(
        &self,
        website: &str,
        reader: &str,
        staff: bool,
        only_mine: bool,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)>;
    /// Deleted group chats of a website, most recently deleted first (staff).
    async fn deleted_chatrooms(
        &self,
        website: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)>;
    /// Every visitor conversation of a website, newest activity first (staff).
    async fn conversations(
        &self,
        website: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)>;
    /// Ids of the chats a user is a member of (most recent activity first, bounded).
    async fn chat_ids_of_user(&self, user: &str, limit: i64) -> AppResult<Vec<String>>;

    // --- members
    /// Adds members; returns the user ids actually added.
    async fn add_members(&self, chat: &str, users: &[String], now: i64) -> AppResult<Vec<String>>;
    /// Removes members; returns the user ids actually removed.
    async fn remove_members(&self, chat: &str, users: &[String]) -> AppResult<Vec<String>>;
    /// One membership.
    async fn member(&self, chat: &str, user: &str) -> AppResult<Option<MemberRecord>>;
    /// A chat of `website` and, when `user` is given, that user's membership of it and
    /// their mute and ban there: what every access check needs, in one query.
    async fn chat_and_member(
        &self,
        website: &str,
        chat: &str,
        user: Option<&str>,
    ) -> AppResult<Option<(ChatRecord, Option<MemberRecord>, Standing)>>;
    /// A page of members with their users (by join time), and the total.
    async fn members(
        &self,
        website: &str,
        chat: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<(MemberRecord, UserRecord)>, u64)>;
    /// Number of members of a chat.
    async fn member_count(&self, chat: &str) -> AppResult<u64>;
    /// Raises a member's seen mark to `seq` (never lowers it); returns the mark.
    async fn mark_seen(&self, chat: &str, user: &str, seq: i64) -> AppResult<i64>;

    // --- messages
    /// Stores a message: next sequence number of the chat, in one transaction; a used
    /// client id returns the original instead. Fails with `gone` on a deleted chat.
    async fn insert_message(&self, new: NewMessage) -> AppResult<Inserted>;
    /// Stores many messages, each as `insert_message` would, in as few transactions as the
    /// backend allows; results in input order.
    async fn insert_messages(&self, batch: Vec<NewMessage>) -> Vec<AppResult<Inserted>>;
    /// Finds a message of a chat.
    async fn message(&self, chat: &str, id: &str) -> AppResult<Option<Message>>;
    /// Edits text and/or metadata, giving the message the chat's next sequence as `rev`.
    async fn edit_message(
        &self,
        chat: &str,
        id: &str,
        text: Option<String>,
        metadata: Option<Metadata>,
        now: i64,
    ) -> AppResult<Option<Message>>;
    /// Turns a message into a tombstone with the chat's next sequence as `rev`.
    async fn delete_message(&self, chat: &str, id: &str, now: i64) -> AppResult<Option<Message>>;
    /// Adds or removes `user`'s `reaction` to a live message. A change gives the message the
    /// chat's next `rev` and rewrites its counts, in one transaction; adding a reaction the
    /// user already gave, or removing one they did not, changes nothing. A new distinct
    /// reaction beyond `max_distinct` on the message is refused ([`Reacted::TooMany`]).
    async fn react(&self, r: ReactionChange<'_>) -> AppResult<Reacted>;
    /// Pins (`Some`) or unpins a live message, giving it the chat's next `rev`. `None` when
    /// the message does not exist or is deleted.
    async fn set_pinned(
        &self,
        chat: &str,
        id: &str,
        pin: Option<Pin>,
    ) -> AppResult<Option<Message>>;
    /// The ids of the live messages of a chat that reply to (quote) `quoted`.
    async fn replies_to(&self, chat: &str, quoted: &str) -> AppResult<Vec<String>>;
    /// Replaces a live message's quote, giving it the chat's next `rev` (a deleted quoted
    /// message's text leaves its replies). `None` when the message does not exist or is
    /// deleted.
    async fn set_quote(
        &self,
        chat: &str,
        id: &str,
        quote: &chatix_protocol::Quote,
    ) -> AppResult<Option<Message>>;
    /// Recounts a live thread parent's live replies and newest reply time from the replies
    /// themselves, giving it the chat's next `rev`. `None` when the parent does not exist or
    /// is deleted.
    async fn refresh_thread(&self, chat: &str, parent: &str) -> AppResult<Option<Message>>;
    /// The pinned live messages of a chat the audience may see, newest pin first.
    async fn pinned_messages(
        &self,
        chat: &str,
        aud: Audience,
        limit: i64,
    ) -> AppResult<Vec<Message>>;
    /// `user`'s own reactions to the messages `ids`, as (message id, reaction).
    async fn own_reactions(&self, user: &str, ids: &[&str]) -> AppResult<Vec<(String, String)>>;
    /// A page of live (not deleted) messages, newest page first, ascending within; total.
    async fn messages_page(
        &self,
        chat: &str,
        aud: Audience,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<Message>, u64)>;
    /// Up to `limit` live messages of `stream` with `seq` below `before` (all when `None`),
    /// ascending.
    async fn messages_before(
        &self,
        chat: &str,
        aud: Audience,
        stream: Stream<'_>,
        before: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<Message>>;
    /// Up to `limit` live messages of `website` in `scope` whose text contains `needle`
    /// (case-insensitive: ASCII letters on SQLite, all letters on PostgreSQL), newest first,
    /// older than `before` (`created_at`, `id`) when given. Deleted chats are skipped.
    async fn search_messages(
        &self,
        website: &str,
        scope: SearchScope<'_>,
        aud: Audience,
        needle: &str,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> AppResult<Vec<Message>>;
    /// Everything that changed after `rev` (new, edited, deleted), ascending by `rev`.
    async fn changes_since(
        &self,
        chat: &str,
        aud: Audience,
        rev: i64,
        limit: i64,
    ) -> AppResult<Vec<Message>>;
    /// Newest live message the audience may see.
    async fn last_message(&self, chat: &str, aud: Audience) -> AppResult<Option<Message>>;
    /// Highest `rev` at most `cap` the audience may see (0 when none). For staff that is
    /// the chat's counter (capped); for others the newest non-whisper change.
    async fn last_rev(&self, chat: &str, aud: Audience, cap: i64) -> AppResult<i64>;
    /// Live messages after `seq` that mention `user` (thread replies included).
    async fn mention_count(&self, chat: &str, user: &str, after_seq: i64) -> AppResult<u64>;
    /// Live messages after `seq` not sent by `user`.
    async fn unread_count(
        &self,
        chat: &str,
        user: &str,
        after_seq: i64,
        aud: Audience,
    ) -> AppResult<u64>;

    // --- moderation
    /// Sets a sanction, replacing one of the same kind on the same user and chat.
    async fn set_sanction(&self, s: &SanctionRecord) -> AppResult<()>;
    /// Lifts a sanction; whether there was one.
    async fn lift_sanction(
        &self,
        website: &str,
        chat: Option<&str>,
        user: &str,
        kind: SanctionKind,
    ) -> AppResult<bool>;
    /// The sanctions of a chat (or, `chat` none, the website's bans) still in force at
    /// `now`, newest first, at most `limit`.
    async fn sanctions(
        &self,
        website: &str,
        chat: Option<&str>,
        now: i64,
        limit: i64,
    ) -> AppResult<Vec<SanctionRecord>>;
    /// A user's website ban, if one is stored (in force or not).
    async fn website_ban(&self, website: &str, user: &str) -> AppResult<Option<SanctionRecord>>;
    /// Stores a report.
    async fn insert_report(&self, r: &ReportRecord) -> AppResult<()>;
    /// `reporter`'s open report of `kind` on `subject`, if any.
    async fn open_report(
        &self,
        website: &str,
        reporter: &str,
        kind: &str,
        subject: &str,
    ) -> AppResult<Option<ReportRecord>>;
    /// A page of a website's reports (open ones only, resolved ones only, or all), newest
    /// first, and their total.
    async fn reports(
        &self,
        website: &str,
        open: Option<bool>,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ReportRecord>, u64)>;
    /// Resolves an open report: the report as it is now, and whether this call resolved it
    /// (`false`: it was resolved already). `None`: no such report.
    async fn resolve_report(
        &self,
        website: &str,
        id: &str,
        by: Option<&str>,
        resolution: &str,
        now: i64,
    ) -> AppResult<Option<(ReportRecord, bool)>>;

    /// A website's blocklist: its words and mode (`reject` or `mask`), if it has one.
    async fn blocklist(&self, website: &str) -> AppResult<Option<(Vec<String>, String)>>;
    /// Sets (replaces) a website's blocklist.
    async fn set_blocklist(
        &self,
        website: &str,
        words: &[String],
        mode: &str,
        now: i64,
    ) -> AppResult<()>;

    // --- files
    /// Records an uploaded file.
    async fn insert_file(&self, file: &FileRecord) -> AppResult<()>;
    /// Finds a file.
    async fn file(&self, id: &str) -> AppResult<Option<FileRecord>>;
}

/// Sets the messages' `own_reactions` to `user`'s, in one query for all those with
/// reactions. `every`: those without reactions get an empty list too (REST bodies always
/// carry it); otherwise they keep none (a socket frame then leaves it out, and a reader
/// knows that a message without reactions has none of theirs).
pub async fn fill_own_reactions(
    store: &dyn Store,
    user: &str,
    messages: &mut [Message],
    every: bool,
) -> AppResult<()> {
    let ids: Vec<&str> = messages
        .iter()
        .filter(|m| !m.reactions.is_empty())
        .map(|m| m.id.as_str())
        .collect();
    let own = if ids.is_empty() {
        Vec::new()
    } else {
        store.own_reactions(user, &ids).await?
    };
    for m in messages.iter_mut() {
        if m.reactions.is_empty() && !every {
            continue;
        }
        m.own_reactions = Some(
            own.iter()
                .filter(|(id, _)| *id == m.id)
                .map(|(_, r)| r.clone())
                .collect(),
        );
    }
    Ok(())
}
