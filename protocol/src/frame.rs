//! WebSocket frames of `/v1/ws`.
//!
//! Every frame is one JSON text message with a `type` tag. A client request may carry a
//! numeric `id`; the server answers it with an `ack` or an `error` frame echoing that id.
//! Server events carry no id.
//!
//! # Authentication
//!
//! The first frame a client sends is `{"type":"auth","token":"…"}` (a session or user
//! token; never in the URL). The server answers with `ready`, or with an `error` frame and
//! the close code [`crate::close::UNAUTHORIZED`] (4001) whose reason says what was wrong.
//! A browser opens `/v1/ws?website=<public id>` so its `Origin` can be checked before the
//! upgrade.
//!
//! `{"type":"auth","token":"…","followRecent":true}` also subscribes the socket of an app
//! user (role `user`; ignored for staff and visitors), before `ready`, to their most recent
//! chats (the first page of `GET /v1/chats`), each from the position the listing gave
//! (what is stored in between is replayed): `ready` then carries them as `recent` ([`Recent`]: the chats, what each
//! subscription answered, the ones refused). It saves a client's start the `GET /v1/chats`
//! and `subscribe` round trips; events of those chats come after `ready`, as after an `ack`
//! of `subscribe`. A server that cannot list the chats sends `ready` without `recent`.
//!
//! # Batches (`/v1/ws?website=…&batch=1`)
//!
//! A client that opens the socket with `batch=1` accepts several server frames in one text
//! message: a JSON array of frames, in order (`[{"type":"message",…},{"type":"ack",…}]`).
//! The server sends one when several frames are waiting for the socket at once (at most 64
//! frames and about 64 KiB of text; a bigger frame goes alone); a lone frame is still a
//! plain object, and `ready` always comes first, alone. Reading a batch's frames one after
//! the other is reading them as separate messages: order, resume and everything else are
//! the same. Consecutive `message` frames of one chat in a batch are joined into one
//! `messages` frame that names the chat once (`{"type":"messages","chatId":"…",
//! "messages":[{…},{…}]}`); read it as one `message` frame per element. Without `batch=1`
//! every frame is its own message and `messages` is never sent. Client frames are never
//! batched.
//!
//! # Messages in frames
//!
//! The messages that `message`, `messageUpdated`, `messageDeleted` and `ack` carry are
//! written compact ([`crate::CompactMessage`]): `kind` when `text`, `file`, `clientId`,
//! `replyTo` and `editedAt` when null, `metadata` when empty, `whisper` and `deleted` when
//! false are left out; a missing field has that default. REST bodies carry every field.
//! Close codes are in [`crate::close`].
//!
//! # Resume
//!
//! A client that reconnects sends `subscribe` with, per chat, the highest `rev` it holds
//! (`since`). The server first sends every message, edit and delete of that chat with a
//! higher `rev` that the caller may see (oldest first), then the `ack`, then live events;
//! nothing is skipped and nothing is sent twice. If it cannot fill the gap (the client's
//! cursor is ahead of the chat, e.g. after a restore from backup) it sends a `gap` frame
//! instead, and the client should reload the chat's history.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::limits::Limits;
use crate::metadata::Metadata;
use crate::model::{Chat, Message, User};
use crate::rest::SendMessageRequest;

/// One chat of a `subscribe` request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscribeChat {
    /// The chat.
    pub chat_id: String,
    /// Highest `rev` the client holds; the server replays everything newer. Absent = live
    /// events only, no replay.
    #[serde(default)]
    pub since: Option<i64>,
}

/// What a subscription answered, per chat.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribed {
    /// The chat.
    pub chat_id: String,
    /// The chat's highest `rev` the caller may see, after the replay.
    pub last_seq: i64,
    /// How many replayed events were sent before this ack.
    pub replayed: u64,
}

/// A chat of a `subscribe` request that failed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeFailure {
    /// The chat.
    pub chat_id: String,
    /// Why.
    pub code: ErrorCode,
    /// In words.
    pub message: String,
}

/// What `ready` says of the chats an `auth` frame with `followRecent` had followed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recent {
    /// The caller's most recent chats (the first page of `GET /v1/chats`), newest first.
    pub chats: Vec<Chat>,
    /// The ones now subscribed, each with its highest `rev`.
    pub subscribed: Vec<Subscribed>,
    /// The ones whose subscription was refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<SubscribeFailure>,
}

/// `subscribe`: start receiving chats' events (`connectToChatroom`), replaying what was
/// missed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chats, each with its resume cursor.
    pub chats: Vec<SubscribeChat>,
}

/// `unsubscribe`: stop receiving chats' events (`disconnectFromChatroom`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsubscribeFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chats.
    pub chat_ids: Vec<String>,
}

/// `send`: send a message; answered by an `ack` carrying the stored message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chat.
    pub chat_id: String,
    /// The message.
    pub message: SendMessageRequest,
}

/// `edit`: edit one's own message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chat.
    pub chat_id: String,
    /// The message.
    pub message_id: String,
    /// New text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// New metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `delete`: delete one's own message (staff: any message in rooms and conversations).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chat.
    pub chat_id: String,
    /// The message.
    pub message_id: String,
}

/// `typing`: typing started or stopped; a visitor's `draft` is shown to consultants only.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chat.
    pub chat_id: String,
    /// Started (`true`) or stopped.
    pub typing: bool,
    /// The visitor's current draft (`visitorType`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
}

/// `seen`: mark messages seen up to one (absent = the newest).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
    /// The chat.
    pub chat_id: String,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// `ping`: application-level heartbeat; answered by `pong`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PingFrame {
    /// Request id.
    #[serde(default)]
    pub id: Option<u64>,
}

/// Frames a client sends, tagged by `type`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientFrame {
    /// See [`SubscribeFrame`].
    Subscribe(SubscribeFrame),
    /// See [`UnsubscribeFrame`].
    Unsubscribe(UnsubscribeFrame),
    /// See [`SendFrame`].
    Send(SendFrame),
    /// See [`EditFrame`].
    Edit(EditFrame),
    /// See [`DeleteFrame`].
    Delete(DeleteFrame),
    /// See [`TypingFrame`].
    Typing(TypingFrame),
    /// See [`SeenFrame`].
    Seen(SeenFrame),
    /// See [`PingFrame`].
    Ping(PingFrame),
}

/// The frame types a client may send.
pub const CLIENT_FRAME_TYPES: [&str; 8] = [
    "subscribe",
    "unsubscribe",
    "send",
    "edit",
    "delete",
    "typing",
    "seen",
    "ping",
];

impl ClientFrame {
    /// The request id, if the client gave one.
    pub fn id(&self) -> Option<u64> {
        match self {
            ClientFrame::Subscribe(f) => f.id,
            ClientFrame::Unsubscribe(f) => f.id,
            ClientFrame::Send(f) => f.id,
            ClientFrame::Edit(f) => f.id,
            ClientFrame::Delete(f) => f.id,
            ClientFrame::Typing(f) => f.id,
            ClientFrame::Seen(f) => f.id,
            ClientFrame::Ping(f) => f.id,
        }
    }

    /// Parses a frame, with an error that names the offending field (`chatId: invalid
    /// type: integer 5, expected a string`), which serde's tagged-enum errors do not.
    #[cfg(feature = "json")]
    pub fn parse(text: &str) -> Result<ClientFrame, String> {
        fn one<T: serde::de::DeserializeOwned>(
            v: serde_json::Value,
            wrap: fn(T) -> ClientFrame,
        ) -> Result<ClientFrame, String> {
            serde_path_to_error::deserialize::<_, T>(v)
                .map(wrap)
                .map_err(|e| match e.path().to_string().as_str() {
                    "." => e.inner().to_string(),
                    path => format!("{path}: {}", e.inner()),
                })
        }
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let ty = match v.get("type") {
            Some(serde_json::Value::String(t)) => t.clone(),
            Some(_) => return Err("type must be a string".into()),
            None => return Err("missing field `type`".into()),
        };
        match ty.as_str() {
            "subscribe" => one(v, ClientFrame::Subscribe),
            "unsubscribe" => one(v, ClientFrame::Unsubscribe),
            "send" => one(v, ClientFrame::Send),
            "edit" => one(v, ClientFrame::Edit),
            "delete" => one(v, ClientFrame::Delete),
            "typing" => one(v, ClientFrame::Typing),
            "seen" => one(v, ClientFrame::Seen),
            "ping" => one(v, ClientFrame::Ping),
            other => Err(format!(
                "unknown frame type {other:?}; expected one of {}",
                CLIENT_FRAME_TYPES.join(", ")
            )),
        }
    }
}

/// The result an `ack` carries, depending on the request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckBody {
    /// `send`, `edit`, `delete`: the stored message (written compact, see
    /// [`crate::CompactMessage`]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::model::compact::option"
    )]
    pub message: Option<Message>,
    /// `subscribe`: per chat, where the replay ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Vec<Subscribed>>,
    /// `subscribe`: chats that could not be subscribed, with the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<Vec<SubscribeFailure>>,
    /// `seen`: the caller's mark after the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_seq: Option<i64>,
    /// `send`: `true` when the client id had been used already and the original message
    /// is returned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// Frames the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ServerFrame {
    /// First frame after the upgrade: who the socket is, and the limits in force.
    Ready {
        /// This connection's id (for logs).
        session_id: String,
        /// The authenticated user.
        user: User,
        /// [`crate::PROTOCOL_VERSION`].
        protocol: u32,
        /// Limits in force.
        limits: Limits,
        /// The chats `followRecent` followed (absent when not asked for, or when the chats
        /// could not be listed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recent: Option<Recent>,
    },
    /// A request succeeded.
    Ack {
        /// The request's id.
        id: u64,
        /// What it produced.
        #[serde(flatten)]
        body: AckBody,
    },
    /// A request failed, or the connection broke a rule (then `id` is absent).
    Error {
        /// The request's id, when the failing frame had one.
        #[serde(default)]
        id: Option<u64>,
        /// Stable code.
        code: ErrorCode,
        /// What was wrong.
        message: String,
        /// `rate_limited`: seconds to wait, when known (see [`crate::ApiError`]).
        #[serde(
            default,
            rename = "retryAfter",
            skip_serializing_if = "Option::is_none"
        )]
        retry_after: Option<u32>,
    },
    /// A new message in a subscribed chat.
    Message {
        /// The chat.
        chat_id: String,
        /// The message (written compact, see [`crate::CompactMessage`]).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
    },
    /// Several new messages of one chat, in order: read it as one `message` frame per
    /// element. Only on a `batch=1` socket, where the server joins the consecutive `message`
    /// frames of one chat that it writes together (see "Batches").
    Messages {
        /// The chat.
        chat_id: String,
        /// The messages, oldest first (written compact).
        messages: Vec<Message>,
    },
    /// A message was edited.
    MessageUpdated {
        /// The chat.
        chat_id: String,
        /// The message as it is now (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
    },
    /// A message was deleted; `message` is its tombstone.
    MessageDeleted {
        /// The chat.
        chat_id: String,
        /// The tombstone (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
    },
    /// A user reacted to a message: `message` is the message with its new counts and
    /// `rev` (compact; `ownReactions` only on the reacting user's own sockets). A resume
    /// replays the change as `messageUpdated`.
    ReactionAdded {
        /// The chat.
        chat_id: String,
        /// The message as it is now (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
        /// The reaction.
        reaction: String,
        /// Who reacted.
        user_id: String,
    },
    /// A message was pinned (`message.pinned` says by whom and when); a resume replays it
    /// as `messageUpdated`.
    MessagePinned {
        /// The chat.
        chat_id: String,
        /// The message as it is now (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
    },
    /// A message was unpinned.
    MessageUnpinned {
        /// The chat.
        chat_id: String,
        /// The message as it is now (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
    },
    /// A user took a reaction back; as [`ServerFrame::ReactionAdded`].
    ReactionRemoved {
        /// The chat.
        chat_id: String,
        /// The message as it is now (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
        /// The reaction.
        reaction: String,
        /// Whose.
        user_id: String,
    },
    /// A message mentions the receiver (sent to the mentioned user's sockets only, whether
    /// or not they subscribed to the chat); `mentionCount` is their unseen mentions there now.
    /// Sent again with the tombstone (`deleted`) when the message is deleted.
    Mentioned {
        /// The chat.
        chat_id: String,
        /// The message (compact).
        #[serde(serialize_with = "crate::model::compact::message")]
        message: Message,
        /// The receiver's unseen mentions in the chat.
        mention_count: u64,
    },
    /// A member marked messages seen.
    Seen {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
        /// Up to which sequence number.
        seq: i64,
        /// Up to which message.
        message_id: Option<String>,
    },
    /// A member started or stopped typing.
    Typing {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
        /// Started or stopped.
        typing: bool,
        /// Visitor's draft; sent to consultants only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        draft: Option<String>,
    },
    /// A user opened a subscription to the chat (connected to the chatroom).
    MemberConnected {
        /// The chat.
        chat_id: String,
        /// Who.
        user: User,
    },
    /// A user closed their subscription (or their last socket).
    MemberDisconnected {
        /// The chat.
        chat_id: String,
        /// Who.
        user: User,
    },
    /// Members were added.
    MembersAdded {
        /// The chat.
        chat_id: String,
        /// Who.
        users: Vec<User>,
    },
    /// Members were removed or left.
    MembersRemoved {
        /// The chat.
        chat_id: String,
        /// Who (user ids).
        user_ids: Vec<String>,
    },
    /// A chat the receiver may see was created, or the receiver was added to one.
    ChatCreated {
        /// The chat, as the receiver sees it.
        chat: Chat,
    },
    /// A chat's name, avatar, metadata or visibility changed.
    ChatUpdated {
        /// The chat.
        chat: Chat,
    },
    /// A chat was (soft-)deleted.
    ChatDeleted {
        /// The chat.
        chat_id: String,
    },
    /// A deleted chat was restored.
    ChatRestored {
        /// The chat.
        chat: Chat,
    },
    /// A user went online or offline.
    Presence {
        /// Who.
        user_id: String,
        /// Online now.
        online: bool,
    },
    /// A user's profile changed (sent to staff: a visitor's `setVisitor`).
    UserUpdated {
        /// The user as it is now.
        user: User,
    },
    /// The server cannot replay what the client missed in a chat; reload its history.
    Gap {
        /// The chat.
        chat_id: String,
        /// The client's cursor.
        since: i64,
        /// The chat's current highest sequence number.
        last_seq: i64,
        /// Why.
        reason: String,
    },
    /// Answer to `ping`.
    Pong {
        /// The ping's id.
        #[serde(default)]
        id: Option<u64>,
    },
}

impl ServerFrame {
    /// Restores what the compact form of a message leaves out: `chatId` (the frame names
    /// the chat) and `rev` (equal to `seq` until the message changes). Decoders of socket
    /// frames call it ([`ServerFrame::parse`] does).
    pub fn normalize(&mut self) {
        let (chat_id, m) = match self {
            ServerFrame::Message { chat_id, message }
            | ServerFrame::MessageUpdated { chat_id, message }
            | ServerFrame::MessageDeleted { chat_id, message }
            | ServerFrame::MessagePinned { chat_id, message }
            | ServerFrame::MessageUnpinned { chat_id, message }
            | ServerFrame::ReactionAdded {
                chat_id, message, ..
            }
            | ServerFrame::ReactionRemoved {
                chat_id, message, ..
            } => (Some(&*chat_id), message),
            ServerFrame::Ack {
                body:
                    AckBody {
                        message: Some(message),
                        ..
                    },
                ..
            } => (None, message),
            _ => return,
        };
        if let Some(c) = chat_id.filter(|_| m.chat_id.is_empty()) {
            m.chat_id = c.to_owned();
        }
        if m.rev == 0 {
            m.rev = m.seq;
        }
    }

    /// Decodes one text message of a socket: a frame, or (`batch=1`) an array of frames,
    /// each normalized; a `messages` frame becomes one `message` frame per message.
    #[cfg(feature = "json")]
    pub fn parse_text(text: &str) -> serde_json::Result<Vec<ServerFrame>> {
        let frames = if text.trim_start().starts_with('[') {
            serde_json::from_str::<Vec<ServerFrame>>(text)?
        } else {
            vec![ServerFrame::parse(text)?]
        };
        let mut out = Vec::with_capacity(frames.len());
        for f in frames {
            match f {
                ServerFrame::Messages { chat_id, messages } => {
                    out.extend(messages.into_iter().map(|message| ServerFrame::Message {
                        chat_id: chat_id.clone(),
                        message,
                    }));
                }
                f => out.push(f),
            }
        }
        out.iter_mut().for_each(ServerFrame::normalize);
        Ok(out)
    }

    /// Decodes a server frame (normalized). The commonest, `message`, takes a direct path: serde decodes
    /// an internally tagged enum by buffering the whole frame into an intermediate tree
    /// first, which is a large share of a client's per-message decoding. The server writes
    /// `type` first; a frame written otherwise takes the general path.
    #[cfg(feature = "json")]
    pub fn parse(text: &str) -> serde_json::Result<ServerFrame> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct MessageFrame {
            chat_id: String,
            message: Message,
        }
        if text.starts_with(r#"{"type":"message","#) {
            // `type` is an unknown field to MessageFrame, and ignored.
            let f: MessageFrame = serde_json::from_str(text)?;
            let mut f = ServerFrame::Message {
                chat_id: f.chat_id,
                message: f.message,
            };
            f.normalize();
            return Ok(f);
        }
        let mut f: ServerFrame = serde_json::from_str(text)?;
        f.normalize();
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "json")]
    #[test]
    fn server_frame_parse_takes_the_direct_path_for_messages_and_agrees_with_serde() {
        let m: Message = serde_json::from_value(serde_json::json!({
            "id": "m1", "chatId": "c1", "seq": 4, "rev": 6, "kind": "text",
            "text": "hi \"there\"\n", "file": null, "metadata": {"k": "v"}, "whisper": false,
            "senderId": "u1", "senderRole": "visitor", "senderName": "Ann", "clientId": "k1",
            "replyTo": null, "createdAt": 1, "editedAt": null, "deleted": false
        }))
        .unwrap();
        let f = ServerFrame::Message {
            chat_id: "c1".into(),
            message: m,
        };
        let text = serde_json::to_string(&f).unwrap();
        assert!(text.starts_with(r#"{"type":"message","#), "{text}");
        assert_eq!(ServerFrame::parse(&text).unwrap(), f);
        assert_eq!(ServerFrame::parse(&text).unwrap(), f);
        // Another field order takes the general path, to the same result.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ty = v.as_object_mut().unwrap().remove("type").unwrap();
        v.as_object_mut().unwrap().insert("type".into(), ty);
        let reordered = v.to_string();
        assert!(!reordered.starts_with(r#"{"type""#), "{reordered}");
        assert_eq!(ServerFrame::parse(&reordered).unwrap(), f);
        // Other frames, and broken ones.
        let pong = ServerFrame::parse(r#"{"type":"pong","id":3}"#).unwrap();
        assert_eq!(pong, ServerFrame::Pong { id: Some(3) });
        assert!(ServerFrame::parse(r#"{"type":"message","chatId":5}"#).is_err());
        assert!(ServerFrame::parse("{").is_err());
    }

    #[cfg(feature = "json")]
    #[test]
    fn client_frames_round_trip_with_camel_case_fields() {
        let f = ClientFrame::parse(
            r#"{"type":"send","id":7,"chatId":"c1","message":{"clientId":"k","text":"hi"}}"#,
        )
        .unwrap();
        assert_eq!(f.id(), Some(7));
        match &f {
            ClientFrame::Send(s) => {
                assert_eq!(s.chat_id, "c1");
                assert_eq!(s.message.text.as_deref(), Some("hi"));
            }
            other => panic!("wrong frame {other:?}"),
        }
        assert_eq!(
            serde_json::from_str::<ClientFrame>(&serde_json::to_string(&f).unwrap()).unwrap(),
            f
        );
        let back = serde_json::to_string(&f).unwrap();
        assert!(back.contains(r#""chatId":"c1""#), "{back}");
    }

    #[cfg(feature = "json")]
    #[test]
    fn unknown_type_and_unknown_field_are_refused() {
        let err = ClientFrame::parse(r#"{"type":"nope"}"#).unwrap_err();
        assert!(err.contains("unknown frame type \"nope\""), "{err}");
        let err = ClientFrame::parse(r#"{"type":"send","chatId":"c","message":{"txt":"x"}}"#)
            .unwrap_err();
        assert!(err.contains("txt"), "{err}");
        let err = ClientFrame::parse(r#"{"type":"send","chatId":5,"message":{}}"#).unwrap_err();
        assert!(err.starts_with("chatId: invalid type"), "{err}");
        assert!(ClientFrame::parse("{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn ack_flattens_its_body() {
        let f = ServerFrame::Ack {
            id: 3,
            body: AckBody {
                last_seen_seq: Some(9),
                ..Default::default()
            },
        };
        let s = serde_json::to_string(&f).unwrap();
        assert_eq!(s, r#"{"type":"ack","id":3,"lastSeenSeq":9}"#);
        let back = ServerFrame::parse(&s).unwrap();
        assert_eq!(back, f);
    }

    /// A text message as the server stores it: real id formats, the SDK's client id, a
    /// 66-character text, nothing else set.
    fn typical_message() -> Message {
        Message {
            id: "msg_0199a1b2c3d47e5f8a9b0c1d2e3f4a5b".into(),
            chat_id: "chat_0199a1b2c3d47e5f8a9b0c1d2e3f4a5c".into(),
            seq: 1042,
            rev: 1042,
            kind: crate::MessageKind::Text,
            text: "Hello! Could you tell me whether the blue one ships to Lyon today?".into(),
            file: None,
            metadata: Metadata::new(),
            whisper: false,
            sender_id: "usr_0199a1b2c3d47e5f8a9b0c1d2e3f4a5d".into(),
            sender_role: crate::Role::User,
            sender_name: "Alice Martin".into(),
            client_id: Some("c199a1b2c3d4e5f60718293a4b5c6d7e8f9".into()),
            reply_to: None,
            quote: None,
            parent_id: None,
            show_in_chat: false,
            reply_count: 0,
            last_reply_at: None,
            mentions: Vec::new(),
            created_at: 1_760_000_000_000,
            edited_at: None,
            deleted: false,
            reactions: Default::default(),
            own_reactions: None,
            pinned: None,
        }
    }

    /// The keys a compact message leaves out when they hold their default.
    const DEFAULTED: [&str; 11] = [
        "file",
        "metadata",
        "whisper",
        "clientId",
        "replyTo",
        "editedAt",
        "deleted",
        "kind",
        "reactions",
        "ownReactions",
        "pinned",
    ];

    #[test]
    fn socket_frames_write_a_default_message_compact_and_read_it_back() {
        let mut m = typical_message();
        m.client_id = None;
        assert_eq!(m.text.chars().count(), 66);
        let chat_id = m.chat_id.clone();
        let frames = [
            ServerFrame::Message {
                chat_id: chat_id.clone(),
                message: m.clone(),
            },
            ServerFrame::MessageUpdated {
                chat_id: chat_id.clone(),
                message: m.clone(),
            },
            ServerFrame::MessageDeleted {
                chat_id: chat_id.clone(),
                message: m.clone(),
            },
            ServerFrame::Ack {
                id: 1,
                body: AckBody {
                    message: Some(m.clone()),
                    ..Default::default()
                },
            },
        ];
        for f in frames {
            let text = serde_json::to_string(&f).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let msg = v["message"].as_object().unwrap();
            for key in DEFAULTED {
                assert!(!msg.contains_key(key), "{key} in {text}");
            }
            // `rev` equals `seq`: left out too.
            assert!(!msg.contains_key("rev"), "rev in {text}");
            if matches!(f, ServerFrame::Ack { .. }) {
                // an ack names no chat: its message does
                assert_eq!(msg.len(), 20 - DEFAULTED.len() - 1, "{text}");
                assert_eq!(msg["chatId"], chat_id.as_str());
            } else {
                // the frame names the chat once, its message not again
                assert_eq!(msg.len(), 20 - DEFAULTED.len() - 2, "{text}");
                assert_eq!(v["chatId"], chat_id.as_str(), "the frame's chatId stays");
            }
            let back = ServerFrame::parse(&text).unwrap();
            assert_eq!(back, f);
            #[cfg(feature = "json")]
            assert_eq!(ServerFrame::parse(&text).unwrap(), f);
        }
        // REST bodies keep the full form.
        let rest = serde_json::to_value(&m).unwrap();
        for key in DEFAULTED {
            assert!(rest.get(key).is_some(), "REST form lost {key}");
        }
    }

    #[test]
    fn socket_frames_keep_every_field_of_a_full_message() {
        let mut m = typical_message();
        m.kind = crate::MessageKind::Image;
        m.file = Some(crate::FileInfo {
            id: "f_00112233445566778899aabbccddeeff".into(),
            url: "/v1/files/f_00112233445566778899aabbccddeeff".into(),
            name: "shoe.png".into(),
            size: 12_345,
            mime: "image/png".into(),
            kind: crate::MessageKind::Image,
            thumbnail_url: None,
        });
        m.metadata
            .insert("k".into(), crate::MetaValue::Str("v".into()));
        m.whisper = true;
        m.reply_to = Some("msg_0199a1b2c3d47e5f8a9b0c1d2e3f4a00".into());
        m.edited_at = Some(1_760_000_000_500);
        m.deleted = true;
        m.reactions.insert("👍".into(), 2);
        m.own_reactions = Some(vec!["👍".into()]);
        m.pinned = Some(crate::Pin {
            by: "usr_0199a1b2c3d47e5f8a9b0c1d2e3f4a5d".into(),
            at: 1_760_000_000_700,
        });
        m.rev = m.seq + 3;
        let f = ServerFrame::MessageUpdated {
            chat_id: m.chat_id.clone(),
            message: m.clone(),
        };
        let text = serde_json::to_string(&f).unwrap();
        // Same fields, same order, same values as the REST form, but the chat id the frame
        // already names.
        let full = serde_json::to_string(&m)
            .unwrap()
            .replace(&format!(r#""chatId":"{}","#, m.chat_id), "");
        assert_eq!(
            text,
            format!(
                r#"{{"type":"messageUpdated","chatId":"{}","message":{full}}}"#,
                m.chat_id
            )
        );
        assert_eq!(ServerFrame::parse(&text).unwrap(), f);
    }

    #[test]
    fn a_typical_message_frame_is_smaller_compact() {
        let m = typical_message();
        let compact = serde_json::to_string(&ServerFrame::Message {
            chat_id: m.chat_id.clone(),
            message: m.clone(),
        })
        .unwrap();
        // What the server wrote before socket frames went compact.
        let full = format!(
            r#"{{"type":"message","chatId":"{}","message":{}}}"#,
            m.chat_id,
            serde_json::to_string(&m).unwrap()
        );
        eprintln!(
            "typical message frame: {} bytes full, {} bytes compact",
            full.len(),
            compact.len()
        );
        assert!(compact.len() + 100 < full.len(), "{compact}");
        let back = ServerFrame::parse(&compact).unwrap();
        let fback = ServerFrame::parse(&full).unwrap();
        assert_eq!(back, fback, "both forms decode to the same frame");
    }
}
