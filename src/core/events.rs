//! The events the core emits, in the order it emits them. The JS face maps each to its
//! `on(name)` listeners and to the assignable `onX` properties users of the two hosted
//! services know (see `web::dispatch`).

use chatix_protocol::{ApiError, ChatKind, Message, Role};

use super::log::Msg;
use super::model::{Native, Types};
use super::ChatChange;

/// Connection state, as `connectionStateChanged` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Not started, or stopped.
    Closed,
    /// First connection attempt in progress.
    Connecting,
    /// Socket open and resumed.
    Open,
    /// Connection lost; retrying.
    Reconnecting,
}

impl ConnState {
    /// Name used in JS.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Closed => "closed",
            ConnState::Connecting => "connecting",
            ConnState::Open => "open",
            ConnState::Reconnecting => "reconnecting",
        }
    }
}

/// Something the application should hear about.
// Events are made and consumed one at a time; boxing the optimistic message would cost an
// allocation per send for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event<T: Types = Native> {
    /// The connection state changed.
    State(ConnState),
    /// Connected and resumed (every followed chat re-subscribed).
    Connected,
    /// The socket closed; `retrying` says whether the SDK will reconnect.
    Disconnected {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
        /// Reconnecting automatically.
        retrying: bool,
    },
    /// A new message (live, replayed after a reconnect, or our own once confirmed).
    Message(T::Msg),
    /// A message was edited.
    MessageUpdated(T::Msg),
    /// A message was deleted (the tombstone).
    MessageDeleted(T::Msg),
    /// A message was pinned (`true`) or unpinned.
    Pin(T::Msg, bool),
    /// A reaction was added (`added`) or removed.
    Reaction {
        /// The message with its new counts.
        message: T::Msg,
        /// The reaction.
        reaction: String,
        /// Whose.
        user_id: String,
        /// Added or removed.
        added: bool,
    },
    /// Our own send, shown at once while it is pending (id = client id, seq 0).
    Pending(Message),
    /// Our own send was refused for good.
    SendFailed {
        /// The chat.
        chat_id: String,
        /// The send's client id.
        client_id: String,
        /// Why.
        error: ApiError,
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
    /// Someone started typing (a visitor's draft for staff).
    TypingStarted {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
        /// Draft.
        draft: Option<String>,
    },
    /// Someone stopped typing (or went quiet for six seconds).
    TypingStopped {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
    },
    /// A user connected to a chat.
    Member {
        /// The chat.
        chat_id: String,
        /// Their role.
        role: Role,
        /// Connected (`true`) or disconnected.
        connected: bool,
        /// Who.
        user: T::User,
    },
    /// Members joined.
    MembersAdded {
        /// The chat.
        chat_id: String,
        /// Who.
        users: Vec<T::User>,
    },
    /// Members left or were removed.
    MembersRemoved {
        /// The chat.
        chat_id: String,
        /// Who.
        user_ids: Vec<String>,
    },
    /// A chat appeared for us, changed, or was restored.
    Chat {
        /// Which.
        change: ChatChange,
        /// The chat.
        chat_id: String,
        /// Its kind.
        kind: ChatKind,
        /// The chat object.
        chat: T::Chat,
    },
    /// A chat was deleted.
    ChatDeleted(String),
    /// A user went online or offline (emitted on change only).
    Presence {
        /// Who.
        user_id: String,
        /// Online now.
        online: bool,
    },
    /// A user's profile changed.
    UserUpdated(T::User),
    /// A chat's unread count changed.
    Unread {
        /// The chat.
        chat_id: String,
        /// Its unread count.
        count: u64,
        /// Across every chat the SDK knows.
        total: u64,
        /// The chat's unseen mentions of us.
        mentions: u64,
    },
    /// A message mentions us (heard whether or not we follow its chat).
    Mentioned(T::Msg),
    /// The server could not replay what a chat missed; its cache was cleared.
    Gap {
        /// The chat.
        chat_id: String,
    },
    /// An error the server reported outside any request.
    Error(ApiError),
}

impl<T: Types> Event<T> {
    /// The chat an event concerns, if any.
    pub fn chat_id(&self) -> Option<&str> {
        match self {
            Event::Message(m)
            | Event::MessageUpdated(m)
            | Event::MessageDeleted(m)
            | Event::Pin(m, _)
            | Event::Mentioned(m)
            | Event::Reaction { message: m, .. } => Some(m.chat_id()),
            Event::Pending(m) => Some(&m.chat_id),
            Event::SendFailed { chat_id, .. }
            | Event::Seen { chat_id, .. }
            | Event::TypingStarted { chat_id, .. }
            | Event::TypingStopped { chat_id, .. }
            | Event::Member { chat_id, .. }
            | Event::Chat { chat_id, .. }
            | Event::MembersAdded { chat_id, .. }
            | Event::MembersRemoved { chat_id, .. }
            | Event::Unread { chat_id, .. }
            | Event::Gap { chat_id } => Some(chat_id),
            Event::ChatDeleted(id) => Some(id),
            _ => None,
        }
    }
}
