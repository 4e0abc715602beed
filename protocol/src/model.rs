//! The resources of the API, as the server returns them (REST bodies and socket events).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::metadata::Metadata;

/// A message's reaction counts: each reaction (a short emoji string) and how many users
/// gave it. Empty when nobody reacted.
pub type Reactions = BTreeMap<String, u64>;

/// Who a user is to the website. Decides what they may see and do.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An anonymous visitor of the website, identified by a server-issued visitor id.
    Visitor,
    /// A known user of the website's app, authenticated by a token the app's backend signed.
    User,
    /// Website staff (a "manager" in the chat-rooms service): sees every chatroom and every
    /// visitor conversation, may send whispers.
    Consultant,
}

impl Role {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Visitor => "visitor",
            Role::User => "user",
            Role::Consultant => "consultant",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "visitor" => Some(Role::Visitor),
            "user" => Some(Role::User),
            "consultant" => Some(Role::Consultant),
            _ => None,
        }
    }

    /// Staff may read whispers, join any chatroom and see every conversation.
    pub fn is_staff(self) -> bool {
        self == Role::Consultant
    }
}

/// Whether a user has at least one live connection.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// At least one socket open on some server node.
    Online,
    /// No socket open.
    Offline,
}

/// A user (visitor, app user or consultant) of one website.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Server-assigned id, stable for the user's life.
    pub id: String,
    /// Unique per website. For visitors, the visitor id; for app users, the app's own
    /// username; for consultants, their login.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Avatar URL, if any.
    pub avatar: Option<String>,
    /// Visitor's e-mail (`setEmail`), if given.
    pub email: Option<String>,
    /// Flat user metadata (the chat-rooms service calls these a visitor's fields).
    pub metadata: Metadata,
    /// Role; see [`Role`].
    pub role: Role,
    /// Live presence.
    pub presence: Presence,
    /// Last time the user had a connection or made a request, ms.
    pub last_active: Option<i64>,
    /// Creation time, ms.
    pub created_at: i64,
    /// Last profile change, ms.
    pub updated_at: i64,
}

/// The kind of a chat.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// One-to-one; the same pair of users always gets the same chat.
    Direct,
    /// A group chat, which the chat-rooms service calls a chatroom.
    Group,
    /// A visitor's support conversation with the website's consultants (one per visitor).
    Conversation,
}

impl ChatKind {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Direct => "direct",
            ChatKind::Group => "group",
            ChatKind::Conversation => "conversation",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<ChatKind> {
        match s {
            "direct" => Some(ChatKind::Direct),
            "group" => Some(ChatKind::Group),
            "conversation" => Some(ChatKind::Conversation),
            _ => None,
        }
    }
}

/// Who can find and enter a group chat.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Listed to every visitor; a visitor may connect on their own.
    Public,
    /// Invisible and closed to visitors who are not members; visitors become members
    /// only through the admin API. Direct chats and conversations are always private.
    Private,
}

impl Visibility {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// A chat of any kind, as seen by the caller (unread count and last message are the
/// caller's own view: a visitor never sees a whisper there).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    /// Server-assigned id.
    pub id: String,
    /// Kind; see [`ChatKind`].
    pub kind: ChatKind,
    /// Name of a group chat; `None` for direct chats and conversations.
    pub name: Option<String>,
    /// Avatar URL of a group chat.
    pub avatar: Option<String>,
    /// Flat chat metadata.
    pub metadata: Metadata,
    /// Visibility; direct chats and conversations are `private`.
    pub visibility: Visibility,
    /// Soft-deleted (restorable through the admin API). Only staff and the admin API see
    /// deleted chats.
    pub deleted: bool,
    /// Number of members.
    pub member_count: u64,
    /// The members, for direct chats and conversations (at most a handful); empty for
    /// group chats (page through them with the members endpoint instead).
    pub members: Vec<User>,
    /// Highest sequence number in the chat (messages and edits), as the caller may see it.
    pub last_seq: i64,
    /// Newest message the caller may see, if any.
    pub last_message: Option<Message>,
    /// Messages the caller has not seen (excluding their own and, for non-staff, whispers).
    pub unread: u64,
    /// Unseen messages that mention the caller (after their seen mark, like `unread`, and
    /// thread replies included).
    #[serde(default)]
    pub mention_count: u64,
    /// Whether the caller is a member.
    pub is_member: bool,
    /// Creation time, ms.
    pub created_at: i64,
    /// Last change of the chat itself, ms.
    pub updated_at: i64,
    /// Time of the newest message (or of creation), ms: the order of `getChats`.
    pub last_activity_at: i64,
    /// Slow mode of a chatroom: seconds a visitor or app user waits between two messages
    /// (0: off).
    #[serde(default)]
    pub slow_mode: u32,
}

/// The kind of a message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Text only (the default: a socket frame's compact message omits `kind` then).
    #[default]
    Text,
    /// A file attachment (any accepted type that is not a previewable image).
    File,
    /// An image attachment (JPEG, PNG, WebP or GIF), with a thumbnail for JPEG and PNG.
    Image,
}

impl MessageKind {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::File => "file",
            MessageKind::Image => "image",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<MessageKind> {
        match s {
            "text" => Some(MessageKind::Text),
            "file" => Some(MessageKind::File),
            "image" => Some(MessageKind::Image),
            _ => None,
        }
    }
}

/// An uploaded file, as attached to a message or returned by the upload endpoint.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    /// Server-assigned id (random: the URL is a capability).
    pub id: String,
    /// Where to download it (relative to the server's base URL).
    pub url: String,
    /// The uploader's file name, sanitised (no path, no control characters).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type decided from the bytes, not from the name.
    pub mime: String,
    /// `image` for previewable images, `file` otherwise.
    pub kind: MessageKind,
    /// Thumbnail URL (JPEG and PNG images).
    pub thumbnail_url: Option<String>,
}

/// A message in a chat.
//
// (Not in the doc comment, which is the OpenAPI description.) REST bodies carry every
// field; socket frames carry the compact form, `CompactMessage`. Both decode to this type:
// the `default`s below fill what the compact form leaves out, while `required` keeps the
// OpenAPI schema of the REST bodies as it was.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Server-assigned id.
    pub id: String,
    /// The chat it belongs to.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub chat_id: String,
    /// Position in the chat: assigned by the server in the transaction that stores the
    /// message, strictly increasing per chat, never reused.
    pub seq: i64,
    /// Revision: equals `seq` for a new message; takes the chat's next sequence number on
    /// every edit or delete, so that a resume replays changes in order too.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub rev: i64,
    /// Kind; see [`MessageKind`].
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub kind: MessageKind,
    /// Text (may be empty for a file message; empty once deleted).
    pub text: String,
    /// Attachment, for `file` and `image` messages.
    #[serde(default)]
    pub file: Option<FileInfo>,
    /// Flat message metadata.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub metadata: Metadata,
    /// Sent by a consultant to consultants only; never delivered or counted for others.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub whisper: bool,
    /// Sender's user id.
    pub sender_id: String,
    /// Sender's role at send time (`visitor` / `user` / `consultant`).
    pub sender_role: Role,
    /// Sender's display name at send time.
    pub sender_name: String,
    /// The sender's own idempotency key; a retry with the same key returns this message.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Id of the message this one replies to, if any.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// A reply's quote of the message it replies to, as it was when quoted. Socket frames
    /// and the SDK's messages leave it out on messages that are not replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
    /// A thread reply's parent: the message whose thread it is in (threads are one level
    /// deep). Left out on messages that are not thread replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// A thread reply also shown in the chat (in its history, unread count and last
    /// message); otherwise it is in the thread only. Left out when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub show_in_chat: bool,
    /// A thread parent's live replies; left out while it has none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reply_count: u32,
    /// A thread parent's newest live reply's send time, ms; left out while it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reply_at: Option<i64>,
    /// The usernames it mentions (from `mentions` on the send and `@username` in its text,
    /// only people who may read it); left out when it mentions nobody.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Send time, ms.
    pub created_at: i64,
    /// Last edit time, ms.
    #[serde(default)]
    pub edited_at: Option<i64>,
    /// Deleted: a tombstone whose text, file, metadata and reactions are gone.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub deleted: bool,
    /// Reaction counts (`{"👍": 2}`); empty when nobody reacted. A reaction changes the
    /// message's `rev`, like an edit.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub reactions: Reactions,
    /// The caller's own reactions to it. REST bodies always carry it; a socket frame carries
    /// it where it changed for the receiver (their own reaction) or on a resume, and leaves
    /// it out otherwise: then it is what the receiver had.
    #[serde(default)]
    pub own_reactions: Option<Vec<String>>,
    /// Pinned: by whom and when; `null` when not pinned. Pinning changes the message's
    /// `rev`, like an edit.
    #[serde(default)]
    pub pinned: Option<Pin>,
}

/// What a reply shows of the message it replies to: who sent it and the start of its
/// text (a file's name when it had no text), at most [`crate::limits::MAX_QUOTE_CHARS`]
/// characters. `text` is empty once the quoted message was deleted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    /// The quoted message's sender.
    pub sender_id: String,
    /// Their display name then.
    pub sender_name: String,
    /// The start of its text.
    pub text: String,
}

/// Who pinned a message, and when.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pin {
    /// The user id of who pinned it.
    pub by: String,
    /// When, ms.
    pub at: i64,
}

/// A message as socket frames write it: the fields of [`Message`] in the same order, minus
/// those at their default (`kind` `text`, `file`, `clientId`, `replyTo`, `editedAt`,
/// `ownReactions` and `pinned` null, `metadata` and `reactions` empty, `whisper` and `deleted` false),
/// `rev` while it equals `seq`, and
/// `chatId` inside a frame that names the chat. [`Message`] decodes it, and
/// [`crate::ServerFrame::normalize`] restores `chatId` and `rev`.
///
/// REST bodies keep the full form; [`crate::ServerFrame`] uses this one for the messages it
/// carries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompactMessage<'a> {
    id: &'a str,
    /// Left out inside a frame that names its chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    chat_id: Option<&'a str>,
    seq: i64,
    /// Left out while it equals `seq` (a message never edited or deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    rev: Option<i64>,
    #[serde(skip_serializing_if = "is_text")]
    kind: MessageKind,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a FileInfo>,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    metadata: &'a Metadata,
    #[serde(skip_serializing_if = "is_false")]
    whisper: bool,
    sender_id: &'a str,
    sender_role: Role,
    sender_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quote: Option<&'a Quote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    show_in_chat: bool,
    #[serde(skip_serializing_if = "is_zero")]
    reply_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_reply_at: Option<i64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    mentions: &'a [String],
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    edited_at: Option<i64>,
    #[serde(skip_serializing_if = "is_false")]
    deleted: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    reactions: &'a Reactions,
    #[serde(skip_serializing_if = "Option::is_none")]
    own_reactions: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned: Option<&'a Pin>,
}

fn is_text(k: &MessageKind) -> bool {
    *k == MessageKind::Text
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl<'a> From<&'a Message> for CompactMessage<'a> {
    fn from(m: &'a Message) -> Self {
        // Destructured without `..`: a field added to `Message` must be added here too.
        let Message {
            id,
            chat_id,
            seq,
            rev,
            kind,
            text,
            file,
            metadata,
            whisper,
            sender_id,
            sender_role,
            sender_name,
            client_id,
            reply_to,
            quote,
            parent_id,
            show_in_chat,
            reply_count,
            last_reply_at,
            mentions,
            created_at,
            edited_at,
            deleted,
            reactions,
            own_reactions,
            pinned,
        } = m;
        CompactMessage {
            id,
            chat_id: Some(chat_id),
            seq: *seq,
            rev: (rev != seq).then_some(*rev),
            kind: *kind,
            text,
            file: file.as_ref(),
            metadata,
            whisper: *whisper,
            sender_id,
            sender_role: *sender_role,
            sender_name,
            client_id: client_id.as_deref(),
            reply_to: reply_to.as_deref(),
            quote: quote.as_ref(),
            parent_id: parent_id.as_deref(),
            show_in_chat: *show_in_chat,
            reply_count: *reply_count,
            last_reply_at: *last_reply_at,
            mentions,
            created_at: *created_at,
            edited_at: *edited_at,
            deleted: *deleted,
            reactions,
            own_reactions: own_reactions.as_deref(),
            pinned: pinned.as_ref(),
        }
    }
}

/// `serialize_with` helpers writing a [`Message`] in its compact form.
pub(crate) mod compact {
    use super::{CompactMessage, Message};
    use serde::{Serialize, Serializer};

    /// A message field of a frame that names the message's chat (`chatId` left out).
    pub fn message<S: Serializer>(m: &Message, s: S) -> Result<S::Ok, S::Error> {
        CompactMessage {
            chat_id: None,
            ..CompactMessage::from(m)
        }
        .serialize(s)
    }

    /// An optional message field (skipped when `None` by the field's own attribute).
    pub fn option<S: Serializer>(m: &Option<Message>, s: S) -> Result<S::Ok, S::Error> {
        m.as_ref().map(CompactMessage::from).serialize(s)
    }
}

/// A member of a chat, as listed by the members endpoint.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The user.
    pub user: User,
    /// When they joined, ms.
    pub joined_at: i64,
    /// Sequence number of the newest message they have marked seen.
    pub last_seen_seq: i64,
}
