//! What the core knows of users and chats: only the fields its state needs. The full
//! objects stay with the driver ([`Types::User`], [`Types::Chat`]: JS objects in the
//! browser, the protocol's types natively) and travel through the core untouched.

use chatix_protocol::{Chat, ChatKind, Message, Role, User};
use std::fmt::Debug;

use super::log::Msg;

/// The driver's types for what the server sends.
pub trait Types: Clone + Debug + PartialEq {
    /// A message.
    type Msg: Msg;
    /// A user object, handed to listeners as it is.
    type User: Clone + Debug + PartialEq;
    /// A chat object, handed to listeners as it is.
    type Chat: Clone + Debug + PartialEq;
}

/// The protocol's own types (native drivers and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct Native;

impl Types for Native {
    type Msg = Message;
    type User = User;
    type Chat = Chat;
}

/// The signed-in user, as far as the core cares.
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    /// User id.
    pub id: String,
    /// Role.
    pub role: Role,
    /// Display name (shown on our own pending messages).
    pub name: String,
}

impl From<&User> for Me {
    fn from(u: &User) -> Me {
        Me {
            id: u.id.clone(),
            role: u.role,
            name: u.name.clone(),
        }
    }
}

/// A chat, as far as the core cares.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatInfo {
    /// Chat id.
    pub id: String,
    /// Kind.
    pub kind: ChatKind,
    /// Highest `rev` the caller may see.
    pub last_seq: i64,
    /// Unread count for the caller.
    pub unread: u64,
    /// Unseen mentions of the caller.
    pub mentions: u64,
    /// Whether the caller is a member.
    pub is_member: bool,
    /// Member user ids (direct chats and conversations).
    pub member_ids: Vec<String>,
    /// `seq` of the newest message the caller may see.
    pub last_message_seq: Option<i64>,
}

impl From<&Chat> for ChatInfo {
    fn from(c: &Chat) -> ChatInfo {
        ChatInfo {
            id: c.id.clone(),
            kind: c.kind,
            last_seq: c.last_seq,
            unread: c.unread,
            mentions: c.mention_count,
            is_member: c.is_member,
            member_ids: c.members.iter().map(|m| m.id.clone()).collect(),
            last_message_seq: c.last_message.as_ref().map(|m| m.seq),
        }
    }
}
