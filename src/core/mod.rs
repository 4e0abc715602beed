//! The sans-I/O core of the SDK: chat state, event dispatch, outbox and resume, in plain
//! Rust with no browser types, so the hard logic is unit-tested natively in milliseconds.
//!
//! The core is driven by inputs (a server frame, the socket opening or closing, a send
//! the application made, the clock) and answers with [`Effect`]s: frames to write, events
//! to emit, replies to hand to waiting callers. The browser face (`crate::web`) owns the
//! socket, the timers and the JS callbacks, and does nothing but carry effects out.
//!
//! - [`log`]: one chat's messages: ordered by sequence number, deduplicated, merged with
//!   history pages.
//! - [`outbox`]: sends not yet confirmed; retried with the same client id.
//! - [`conn`]: the connection and session state machine (connect, retry with backoff,
//!   heartbeats, session checks and token renewal, the end of a session).
//! - [`backoff`]: reconnect delays.
//! - [`events`]: what the application hears; [`routes`]: which listeners and handler
//!   properties hear each event (every event and handler name, with its TypeScript type).
//! - [`model`]: what the core knows of users and chats ([`Types`]: the driver's own
//!   message, user and chat objects, carried untouched).
//! - [`args`]: checks of arguments coming from JS.

pub mod args;
pub mod backoff;
pub mod conn;
pub mod events;
pub mod log;
pub mod model;
pub mod outbox;
pub mod routes;

use chatix_protocol::frame::{AckBody, SendFrame, SubscribeChat, SubscribeFrame};
use chatix_protocol::rest::SendMessageRequest;
use chatix_protocol::{
    ApiError, ChatKind, ClientFrame, ErrorCode, Message, MessageKind, Role, ServerFrame,
};
use rustc_hash::FxHashMap as HashMap;
use vecmap::VecMap;

pub use events::{ConnState, Event};
pub use log::Msg;
use log::{Applied, MessageLog};
pub use model::{ChatInfo, Me, Native, Types};
use outbox::Outbox;

/// WebSocket close code of a normal close (`stop()`).
pub(crate) const NORMAL_CLOSE: u16 = 1000;

/// How long a typing indicator lasts without news, ms.
pub const TYPING_TTL_MS: i64 = 6_000;

/// Something the browser face must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect<T: Types = Native> {
    /// Write this frame to the socket.
    Send(ClientFrame),
    /// Tell the application.
    Emit(Event<T>),
    /// Request `id` (made with [`Core::request`]) finished.
    Reply {
        /// The request.
        id: u64,
        /// Its result.
        result: Result<AckBody, ApiError>,
    },
    /// A send made with [`Core::send`] finished: stored, or refused for good.
    Settled {
        /// The send's client id.
        client_id: String,
        /// The stored message, or why not.
        result: Result<T::Msg, ApiError>,
    },
    /// A send was rate limited: flush the outbox again after this many ms.
    RetryLater(u64),
    /// Open a socket now (replacing any other), authenticate on it, and report its close
    /// with this generation ([`Core::socket_closed`]).
    Connect {
        /// The socket's generation.
        generation: u32,
    },
    /// Call [`Core::reconnect_due`] with this generation after `ms`.
    ConnectAfter {
        /// The generation to hand back.
        generation: u32,
        /// The delay, ms.
        ms: u64,
    },
    /// Close the current socket without reporting its close (the core already knows).
    CloseSocket,
    /// Make sure the session is usable and report with [`Core::session_checked`]: renew
    /// the token (`renew`), or ask the server whether it still takes it and renew it if not.
    CheckSession {
        /// Renew at once (the token expires soon).
        renew: bool,
    },
    /// Renew the session token now (it nears its expiry; the socket stays as it is), store
    /// it with [`Core::set_token_expiry`], and report with [`Core::token_renewed`].
    RenewToken,
    /// The session is over (revoked or refused): no more connections until a new start.
    Ended(ApiError),
}

/// What a request on the current socket was.
#[derive(Debug, Clone, PartialEq)]
enum Req {
    /// A subscription (explicit, or the resume of every followed chat).
    Subscribe,
    /// Anything else.
    Other,
}

/// The chats a `ready` frame says the server followed for this socket (`followRecent` in
/// the `auth` frame): each one's info, what each subscription answered, the refused ones.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Followed {
    /// The chats listed.
    pub chats: Vec<ChatInfo>,
    /// The ones subscribed.
    pub subscribed: Vec<chatix_protocol::frame::Subscribed>,
    /// The ones refused.
    pub failed: Vec<chatix_protocol::frame::SubscribeFailure>,
}

/// The `error` event of a chat whose subscription was refused.
fn refused_follow<T: Types>(f: &chatix_protocol::frame::SubscribeFailure) -> Effect<T> {
    Effect::Emit(Event::Error(ApiError::new(
        f.code,
        format!("chat {}: {}", f.chat_id, f.message),
    )))
}

/// A frame from the server as the driver decoded it: the fields the core needs, and the
/// driver's own message, user and chat objects (never converted here).
// A frame is built, moved into `on_frame` and consumed once: boxing its big variants would
// cost an allocation per frame for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Frame<T: Types = Native> {
    /// `ready`: who we are, the server's heartbeat interval (ms), and the chats the server
    /// followed for us (`followRecent`).
    Ready(Me, u64, Option<Followed>),
    /// A new message in a subscribed chat (`message`).
    Message(T::Msg),
    /// An edit (`messageUpdated`).
    Updated(T::Msg),
    /// A tombstone (`messageDeleted`).
    Deleted(T::Msg),
    /// `messagePinned` (`true`) / `messageUnpinned`: the message as it is now.
    Pin(T::Msg, bool),
    /// `mentioned`: a message mentions us (or its tombstone: a mention was deleted), and our
    /// unseen mentions in its chat now.
    Mentioned(T::Msg, u64),
    /// `reactionAdded` (`added`) / `reactionRemoved`: the message with its new counts.
    Reaction {
        /// The message as it is now.
        message: T::Msg,
        /// The reaction.
        reaction: String,
        /// Whose.
        user_id: String,
        /// Added or removed.
        added: bool,
    },
    /// `ack`: its body, without the message, and the message (sends).
    Ack {
        /// The request.
        id: u64,
        /// Everything but the message.
        body: AckBody,
        /// `send`, `edit`, `delete`: the stored message.
        message: Option<T::Msg>,
    },
    /// `error`, for a request (`id`) or the connection.
    Error {
        /// The request, if any.
        id: Option<u64>,
        /// Why.
        error: ApiError,
    },
    /// A member's seen mark.
    Seen {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
        /// Up to which `seq`.
        seq: i64,
        /// Up to which message.
        message_id: Option<String>,
    },
    /// Typing started or stopped.
    Typing {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
        /// Started.
        typing: bool,
        /// A visitor's draft (staff only).
        draft: Option<String>,
    },
    /// A member connected to a chat (`connected`) or left it.
    Member {
        /// The chat.
        chat_id: String,
        /// Their role.
        role: Role,
        /// Connected (`true`) or disconnected.
        connected: bool,
        /// The user object.
        user: T::User,
    },
    /// Members added.
    MembersAdded {
        /// The chat.
        chat_id: String,
        /// The user objects.
        users: Vec<T::User>,
    },
    /// Members removed.
    MembersRemoved {
        /// The chat.
        chat_id: String,
        /// Their ids.
        user_ids: Vec<String>,
    },
    /// A chat was created (or we were added), updated or restored.
    Chat {
        /// Which of the three.
        change: ChatChange,
        /// What the core keeps.
        info: ChatInfo,
        /// The chat object.
        chat: T::Chat,
    },
    /// A chat was deleted.
    ChatDeleted(String),
    /// A user went online or offline.
    Presence {
        /// Who.
        user_id: String,
        /// Online now.
        online: bool,
    },
    /// A user's profile changed.
    UserUpdated(T::User),
    /// The server cannot replay what we missed in a chat.
    Gap {
        /// The chat.
        chat_id: String,
        /// Where the chat is now.
        last_seq: i64,
    },
    /// Answer to `ping`.
    Pong(Option<u64>),
}

/// What happened to a chat (`chatCreated`, `chatUpdated`, `chatRestored`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatChange {
    /// Created, or we were added.
    Created,
    /// Name, avatar, metadata or visibility changed.
    Updated,
    /// Restored after a deletion.
    Restored,
}

impl From<ServerFrame> for Frame<Native> {
    fn from(f: ServerFrame) -> Self {
        let chat = |change, chat: chatix_protocol::Chat| Frame::Chat {
            change,
            info: ChatInfo::from(&chat),
            chat,
        };
        match f {
            ServerFrame::Ready {
                user,
                limits,
                recent,
                ..
            } => Frame::Ready(
                Me::from(&user),
                limits.heartbeat_ms,
                recent.map(|r| Followed {
                    chats: r.chats.iter().map(ChatInfo::from).collect(),
                    subscribed: r.subscribed,
                    failed: r.failed,
                }),
            ),
            ServerFrame::Message { message, .. } => Frame::Message(message),
            // `ServerFrame::parse_text` expands it into `message` frames, one per message
            ServerFrame::Messages { .. } => Frame::Error {
                id: None,
                error: ApiError::new(
                    chatix_protocol::ErrorCode::Internal,
                    "a messages frame reached the core whole: decode with ServerFrame::parse_text",
                ),
            },
            ServerFrame::MessageUpdated { message, .. } => Frame::Updated(message),
            ServerFrame::MessageDeleted { message, .. } => Frame::Deleted(message),
            ServerFrame::MessagePinned { message, .. } => Frame::Pin(message, true),
            ServerFrame::MessageUnpinned { message, .. } => Frame::Pin(message, false),
            ServerFrame::Mentioned {
                message,
                mention_count,
                ..
            } => Frame::Mentioned(message, mention_count),
            ServerFrame::ReactionAdded {
                message,
                reaction,
                user_id,
                ..
            } => Frame::Reaction {
                message,
                reaction,
                user_id,
                added: true,
            },
            ServerFrame::ReactionRemoved {
                message,
                reaction,
                user_id,
                ..
            } => Frame::Reaction {
                message,
                reaction,
                user_id,
                added: false,
            },
            ServerFrame::Ack { id, mut body } => {
                let message = body.message.take();
                Frame::Ack { id, body, message }
            }
            ServerFrame::Error {
                id, code, message, ..
            } => Frame::Error {
                id,
                error: ApiError::new(code, message),
            },
            ServerFrame::Seen {
                chat_id,
                user_id,
                seq,
                message_id,
            } => Frame::Seen {
                chat_id,
                user_id,
                seq,
                message_id,
            },
            ServerFrame::Typing {
                chat_id,
                user_id,
                typing,
                draft,
            } => Frame::Typing {
                chat_id,
                user_id,
                typing,
                draft,
            },
            ServerFrame::MemberConnected { chat_id, user } => Frame::Member {
                chat_id,
                role: user.role,
                connected: true,
                user,
            },
            ServerFrame::MemberDisconnected { chat_id, user } => Frame::Member {
                chat_id,
                role: user.role,
                connected: false,
                user,
            },
            ServerFrame::MembersAdded { chat_id, users } => Frame::MembersAdded { chat_id, users },
            ServerFrame::MembersRemoved { chat_id, user_ids } => {
                Frame::MembersRemoved { chat_id, user_ids }
            }
            ServerFrame::ChatCreated { chat: c } => chat(ChatChange::Created, c),
            ServerFrame::ChatUpdated { chat: c } => chat(ChatChange::Updated, c),
            ServerFrame::ChatRestored { chat: c } => chat(ChatChange::Restored, c),
            ServerFrame::ChatDeleted { chat_id } => Frame::ChatDeleted(chat_id),
            ServerFrame::Presence { user_id, online } => Frame::Presence { user_id, online },
            ServerFrame::UserUpdated { user } => Frame::UserUpdated(user),
            ServerFrame::Gap {
                chat_id, last_seq, ..
            } => Frame::Gap { chat_id, last_seq },
            ServerFrame::Pong { id } => Frame::Pong(id),
        }
    }
}

/// One chat as the core knows it.
#[derive(Debug, Clone)]
pub struct ChatEntry<T: Types = Native> {
    /// The chat's data, when fetched or announced.
    pub info: Option<ChatInfo>,
    /// Cached messages.
    pub log: MessageLog<T::Msg>,
    /// Messages from others after our seen mark.
    pub unread: u64,
    /// Messages after our seen mark that mention us: the server's count, from the chat's
    /// data, `setSeen` answers and `mentioned` frames (also sent when a mention is deleted).
    pub mentions: u64,
    /// Our seen mark.
    pub last_seen_seq: i64,
}

impl<T: Types> Default for ChatEntry<T> {
    fn default() -> Self {
        ChatEntry {
            info: None,
            log: MessageLog::default(),
            unread: 0,
            mentions: 0,
            last_seen_seq: 0,
        }
    }
}

/// The followed chats, in the order they were followed: a plain list (a client follows
/// tens of chats, and a B-tree's code was ~4% of the browser build).
#[derive(Debug, Default)]
struct Follows(Vec<String>);

impl Follows {
    /// Adds `chat`; whether it was new.
    fn insert(&mut self, chat: String) -> bool {
        let new = !self.contains(&chat);
        if new {
            self.0.push(chat);
        }
        new
    }
    /// Removes `chat`; whether it was there.
    fn remove(&mut self, chat: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|c| c != chat);
        self.0.len() != before
    }
    fn contains(&self, chat: &str) -> bool {
        self.0.iter().any(|c| c == chat)
    }
    fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

/// The SDK's state, generic over the driver's message type (see [`Msg`]).
#[derive(Debug)]
pub struct Core<T: Types = Native> {
    me: Option<Me>,
    state: Option<ConnState>,
    chats: HashMap<String, ChatEntry<T>>,
    /// Chats subscribed on every connection (and re-subscribed after each reconnect).
    follows: Follows,
    outbox: Outbox,
    next_id: u64,
    requests: VecMap<u64, Req>,
    typing: VecMap<(String, String), i64>,
    presence: HashMap<String, bool>,
    conn: conn::Conn,
    /// Follow new chats announced to us (the users/conversations service's model: `onChat`
    /// hears every chat).
    pub auto_follow: bool,
}

fn network_error(msg: &str) -> ApiError {
    ApiError::new(ErrorCode::Network, msg)
}

impl<T: Types> Default for Core<T> {
    fn default() -> Self {
        Core {
            me: None,
            state: None,
            chats: HashMap::default(),
            follows: Follows::default(),
            outbox: Outbox::default(),
            next_id: 0,
            requests: VecMap::new(),
            typing: VecMap::new(),
            presence: HashMap::default(),
            conn: conn::Conn::default(),
            auto_follow: false,
        }
    }
}

impl Core<Native> {
    /// Handles one frame in the protocol's own types (native drivers and tests).
    pub fn on_server_frame(&mut self, f: ServerFrame, now: i64) -> Vec<Effect> {
        self.on_frame(f.into(), now)
    }
}

impl<T: Types> Core<T> {
    /// A core with nothing known.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signed-in user, once the socket said who we are.
    pub fn me(&self) -> Option<&Me> {
        self.me.as_ref()
    }

    /// Sets the signed-in user (known from the session before the socket opens).
    pub fn set_me(&mut self, u: Me) {
        self.auto_follow = u.role == Role::User;
        self.me = Some(u);
    }

    /// Connection state.
    pub fn state(&self) -> ConnState {
        self.state.unwrap_or(ConnState::Closed)
    }

    /// Whether requests can be written now.
    pub fn is_open(&self) -> bool {
        self.state() == ConnState::Open
    }

    fn set_state(&mut self, s: ConnState, out: &mut Vec<Effect<T>>) {
        if self.state != Some(s) {
            self.state = Some(s);
            out.push(Effect::Emit(Event::State(s)));
        }
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A connection attempt starts (`first`: not a reconnect).
    pub fn connecting(&mut self, first: bool) -> Vec<Effect<T>> {
        let mut out = Vec::new();
        self.set_state(
            if first {
                ConnState::Connecting
            } else {
                ConnState::Reconnecting
            },
            &mut out,
        );
        out
    }

    /// The socket said `ready`: take the chats the server followed for us, resume every
    /// other followed chat from its cursor, flush the outbox, and go live.
    fn on_ready(&mut self, user: Me, followed: Option<Followed>) -> Vec<Effect<T>> {
        let mut out = Vec::new();
        self.set_me(user);
        let mut done = Vec::new();
        // Where each chat followed before this socket resumes, taken before the listing
        // moves the chats' `last_seq` past what we hold.
        let resume: Vec<(String, Option<i64>)> = self
            .follows
            .iter()
            .map(|c| (c.clone(), self.cursor(c)))
            .collect();
        if let Some(f) = followed {
            for chat in f.chats {
                self.set_chat(chat);
            }
            for s in f.subscribed {
                // A chat followed before this socket is subscribed again below, from its
                // cursor: the server's subscription starts at the listing, past what we missed.
                if self.follows.insert(s.chat_id.clone()) {
                    self.entry(&s.chat_id).log.advance(s.last_seq);
                    done.push(s.chat_id);
                }
            }
            for f in &f.failed {
                self.follows.remove(&f.chat_id);
                out.push(refused_follow(f));
            }
        }
        let chats: Vec<SubscribeChat> = resume
            .into_iter()
            .filter(|(c, _)| self.follows.contains(c) && !done.contains(c))
            .map(|(chat_id, since)| SubscribeChat { chat_id, since })
            .collect();
        if !chats.is_empty() {
            let id = self.next_id();
            self.requests.insert(id, Req::Subscribe);
            out.push(Effect::Send(ClientFrame::Subscribe(SubscribeFrame {
                id: Some(id),
                chats,
            })));
        }
        self.set_state(ConnState::Open, &mut out);
        self.flush(&mut out);
        out.push(Effect::Emit(Event::Connected));
        out
    }

    /// The `subscribe` frame for chats, each from its cursor (what we hold); a chat we hold
    /// nothing of starts live.
    fn subscribe_frame(&mut self, chats: &[String]) -> (u64, ClientFrame) {
        let id = self.next_id();
        let chats = chats
            .iter()
            .map(|c| SubscribeChat {
                chat_id: c.clone(),
                since: self.cursor(c),
            })
            .collect();
        let f = ClientFrame::Subscribe(SubscribeFrame {
            id: Some(id),
            chats,
        });
        (id, f)
    }

    /// Where a resume of `chat` starts: the highest `rev` held, if anything is held.
    pub fn cursor(&self, chat: &str) -> Option<i64> {
        let e = self.chats.get(chat)?;
        let held = e
            .log
            .cursor()
            .max(e.info.as_ref().map_or(0, |c| c.last_seq));
        (held > 0 || e.info.is_some()).then_some(held)
    }

    /// Writes every queued send (when open).
    fn flush(&mut self, out: &mut Vec<Effect<T>>) {
        if !self.is_open() {
            return;
        }
        let mut next = self.next_id;
        let sends = self.outbox.take_queued(|| {
            next += 1;
            next
        });
        self.next_id = next;
        for (id, p) in sends {
            let f = ClientFrame::Send(SendFrame {
                id: Some(id),
                chat_id: p.chat_id.clone(),
                message: p.req.clone(),
            });
            out.push(Effect::Send(f));
        }
    }

    /// Writes queued sends again (after a rate-limit pause).
    pub fn flush_outbox(&mut self) -> Vec<Effect<T>> {
        let mut out = Vec::new();
        self.flush(&mut out);
        out
    }

    /// The socket closed. Every request on it fails with `network`; sends in flight go
    /// back to the outbox (their client ids make the retry safe).
    pub fn closed(&mut self, code: u16, reason: &str, retrying: bool) -> Vec<Effect<T>> {
        let mut out = Vec::new();
        let mut ids: Vec<u64> = self.requests.drain(..).map(|(id, _)| id).collect();
        ids.sort_unstable();
        for id in ids {
            out.push(Effect::Reply {
                id,
                result: Err(network_error(
                    "the connection was lost before the server answered",
                )),
            });
        }
        self.outbox.requeue_in_flight();
        // in the map's order (no sort: its code is ~0.3 KB of the .wasm for no reader's gain)
        let typing: Vec<_> = self.typing.drain(..).map(|(k, _)| k).collect();
        for (chat_id, user_id) in typing {
            out.push(Effect::Emit(Event::TypingStopped { chat_id, user_id }));
        }
        let was_open = self.is_open();
        self.set_state(
            if retrying {
                ConnState::Reconnecting
            } else {
                ConnState::Closed
            },
            &mut out,
        );
        if was_open || !retrying {
            out.push(Effect::Emit(Event::Disconnected {
                code,
                reason: reason.to_owned(),
                retrying,
            }));
        }
        out
    }

    /// Registers a request the caller will wait for; returns its id and the frame.
    pub fn request(&mut self, make: impl FnOnce(u64) -> ClientFrame) -> (u64, ClientFrame) {
        let id = self.next_id();
        let f = make(id);
        let req = if matches!(f, ClientFrame::Subscribe(_)) {
            Req::Subscribe
        } else {
            Req::Other
        };
        self.requests.insert(id, req);
        (id, f)
    }

    /// Follows a chat: it is (re)subscribed on every connection from now on. Returns the
    /// subscribe request when the socket is open.
    pub fn follow(&mut self, chat: &str) -> Option<(u64, ClientFrame)> {
        self.follow_all(&[chat.to_owned()])
    }

    /// Follows several chats at once: one subscribe request for all of them (when open).
    pub fn follow_all(&mut self, chats: &[String]) -> Option<(u64, ClientFrame)> {
        for chat in chats {
            self.follows.insert(chat.clone());
            self.chats.entry(chat.clone()).or_default();
        }
        if !self.is_open() || chats.is_empty() {
            return None;
        }
        let (id, f) = self.subscribe_frame(chats);
        self.requests.insert(id, Req::Subscribe);
        Some((id, f))
    }

    /// Stops following a chat; returns the unsubscribe frame when open.
    pub fn unfollow(&mut self, chat: &str) -> Option<(u64, ClientFrame)> {
        if !self.follows.remove(chat) || !self.is_open() {
            return None;
        }
        Some(self.request(|id| {
            ClientFrame::Unsubscribe(chatix_protocol::frame::UnsubscribeFrame {
                id: Some(id),
                chat_ids: vec![chat.to_owned()],
            })
        }))
    }

    /// Forgets a follow without telling the server (its subscription failed).
    pub fn forget_follow(&mut self, chat: &str) {
        self.follows.remove(chat);
    }

    /// Whether a chat is followed.
    pub fn follows(&self, chat: &str) -> bool {
        self.follows.contains(chat)
    }

    /// Queues a send and shows it at once as pending. It is written now when the socket is
    /// open, otherwise when it opens.
    pub fn send(
        &mut self,
        chat: &str,
        req: SendMessageRequest,
        client_id: String,
        now: i64,
    ) -> Vec<Effect<T>> {
        let mut out = Vec::new();
        let me = self.me.clone();
        let p = self.outbox.push(chat, req, client_id.clone());
        let optimistic = Message {
            id: client_id.clone(),
            chat_id: chat.to_owned(),
            seq: 0,
            rev: 0,
            kind: if p.req.file_id.is_some() {
                MessageKind::File
            } else {
                MessageKind::Text
            },
            text: p.req.text.clone().unwrap_or_default(),
            file: None,
            metadata: p.req.metadata.clone().unwrap_or_default(),
            whisper: p.req.whisper,
            sender_id: me.as_ref().map(|u| u.id.clone()).unwrap_or_default(),
            sender_role: me.as_ref().map_or(Role::Visitor, |u| u.role),
            sender_name: me.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
            client_id: Some(client_id),
            reply_to: p.req.reply_to.clone(),
            quote: None,
            parent_id: p.req.parent_id.clone(),
            show_in_chat: p.req.show_in_chat,
            reply_count: 0,
            last_reply_at: None,
            // the server resolves them (and the text's `@username`s)
            mentions: Vec::new(),
            created_at: now,
            edited_at: None,
            deleted: false,
            reactions: Default::default(),
            own_reactions: None,
            pinned: None,
        };
        out.push(Effect::Emit(Event::Pending(optimistic)));
        self.flush(&mut out);
        out
    }

    /// Sends waiting in the outbox.
    pub fn pending_sends(&self) -> impl Iterator<Item = &outbox::Pending> {
        self.outbox.iter()
    }

    /// Records a chat fetched over REST (its data, unread count and our seen mark).
    pub fn set_chat(&mut self, chat: ChatInfo) {
        let e = self.entry(&chat.id);
        e.unread = chat.unread;
        e.mentions = chat.mentions;
        if let Some(last) = chat.last_message_seq {
            if chat.unread == 0 {
                e.last_seen_seq = e.last_seen_seq.max(last);
            }
        }
        e.info = Some(chat);
    }

    /// A chat's entry.
    pub fn chat(&self, id: &str) -> Option<&ChatEntry<T>> {
        self.chats.get(id)
    }

    /// A chat's kind, when known.
    pub fn chat_kind(&self, id: &str) -> Option<ChatKind> {
        self.chats.get(id)?.info.as_ref().map(|c| c.kind)
    }

    /// Merges a page of history into a chat's cache (no events: the caller gets the page).
    pub fn merge_history(&mut self, chat: &str, messages: &[T::Msg], reached_start: bool) {
        let e = self.chats.entry(chat.to_owned()).or_default();
        e.log.merge_page(messages.to_vec());
        if reached_start {
            e.log.reached_start = true;
        }
    }

    /// Our seen mark moved to `seq` with `unread` messages and `mentions` left (from the
    /// server's answer).
    pub fn seen_locally(
        &mut self,
        chat: &str,
        seq: i64,
        unread: u64,
        mentions: u64,
    ) -> Vec<Effect<T>> {
        let e = self.chats.entry(chat.to_owned()).or_default();
        e.last_seen_seq = e.last_seen_seq.max(seq);
        let changed = (e.unread, e.mentions) != (unread, mentions);
        e.unread = unread;
        e.mentions = mentions;
        let mut out = Vec::new();
        if changed {
            out.push(self.unread_event(chat));
        }
        out
    }

    /// Total unread across chats.
    pub fn total_unread(&self) -> u64 {
        self.chats.values().map(|e| e.unread).sum()
    }

    fn unread_event(&self, chat: &str) -> Effect<T> {
        let e = self.chats.get(chat);
        Effect::Emit(Event::Unread {
            chat_id: chat.to_owned(),
            count: e.map_or(0, |e| e.unread),
            total: self.total_unread(),
            mentions: e.map_or(0, |e| e.mentions),
        })
    }

    /// The clock (about once a second): typing indicators older than [`TYPING_TTL_MS`]
    /// expire, a ping is written when one is due, a silent socket is replaced.
    pub fn tick(&mut self, now: i64) -> Vec<Effect<T>> {
        let mut out = Vec::new();
        self.conn_tick(now, &mut out);
        let gone: Vec<(String, String)> = self
            .typing
            .iter()
            .filter(|(_, &deadline)| deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        out.extend(gone.into_iter().map(|k| {
            self.typing.swap_remove(&k);
            Effect::Emit(Event::TypingStopped {
                chat_id: k.0,
                user_id: k.1,
            })
        }));
        out
    }

    /// Applies a newer copy of a message (edit, pin, reaction): one the frame leaves
    /// `ownReactions` out of keeps the cached copy's.
    fn update(&mut self, mut m: T::Msg) -> Applied {
        if m.thread_only() {
            return self.thread_apply(&m);
        }
        let chat = m.chat_id().to_owned();
        let log = &mut self.entry(&chat).log;
        if let Some(old) = log.get(m.seq()) {
            m.keep_own_reactions(old);
        }
        log.apply(m)
    }

    /// A thread reply not shown in the chat, or a change of one: not kept in the chat's log
    /// (its messages are the chat's own stream), but heard once. The socket brings a chat's
    /// changes in `rev` order, so one at or below the chat's cursor was heard already; a
    /// newer one moves the cursor, so a resume does not bring it again.
    /// [`Applied::Replaced`] when new (any change of it is news), else `Duplicate`.
    fn thread_apply(&mut self, m: &T::Msg) -> Applied {
        let log = &mut self.entry(m.chat_id()).log;
        if m.rev() <= log.cursor() {
            return Applied::Duplicate;
        }
        log.advance(m.rev());
        Applied::Replaced
    }

    /// Handles one frame from the server, at time `now` (ms).
    pub fn on_frame(&mut self, f: Frame<T>, now: i64) -> Vec<Effect<T>> {
        self.heard();
        let mut out = Vec::new();
        match f {
            Frame::Ready(me, heartbeat_ms, followed) => {
                self.conn_ready(heartbeat_ms, now);
                return self.on_ready(me, followed);
            }
            Frame::Message(m) => self.on_message(m, &mut out),
            Frame::Updated(m) => {
                if self.update(m.clone()) == Applied::Replaced {
                    out.push(Effect::Emit(Event::MessageUpdated(m)));
                }
            }
            Frame::Pin(m, pinned) => {
                if self.update(m.clone()) != Applied::Duplicate {
                    out.push(Effect::Emit(Event::Pin(m, pinned)));
                }
            }
            Frame::Reaction {
                message,
                reaction,
                user_id,
                added,
            } => {
                // As an edit: applied like one, and an older copy is not heard again.
                if self.update(message.clone()) != Applied::Duplicate {
                    out.push(Effect::Emit(Event::Reaction {
                        message,
                        reaction,
                        user_id,
                        added,
                    }));
                }
            }
            Frame::Deleted(m) => {
                let chat = m.chat_id().to_owned();
                let was_unread = self.is_unread(&m);
                let applied = if m.thread_only() {
                    self.thread_apply(&m)
                } else {
                    self.entry(&chat).log.apply(m.clone())
                };
                if applied == Applied::Replaced {
                    if was_unread {
                        let e = self.entry(&chat);
                        e.unread = e.unread.saturating_sub(1);
                        out.push(self.unread_event(&chat));
                    }
                    out.push(Effect::Emit(Event::MessageDeleted(m)));
                }
            }
            Frame::Mentioned(m, count) => {
                // a tombstone: a mention of us was deleted, and this is the count now
                let chat = m.chat_id().to_owned();
                self.entry(&chat).mentions = count;
                let deleted = m.deleted();
                if !deleted {
                    out.push(Effect::Emit(Event::Mentioned(m)));
                }
                out.push(self.unread_event(&chat));
            }
            Frame::Ack { id, body, message } => self.on_ack(id, body, message, &mut out),
            Frame::Error {
                id: Some(id),
                error,
            } => self.on_refused(id, error, &mut out),
            Frame::Error { id: None, error } => out.push(Effect::Emit(Event::Error(error))),
            Frame::Seen {
                chat_id,
                user_id,
                seq,
                message_id,
            } => {
                if self.me.as_ref().is_some_and(|m| m.id == user_id) {
                    // our own mark, moved from another tab or device
                    let e = self.entry(&chat_id);
                    if seq > e.last_seen_seq {
                        e.last_seen_seq = seq;
                        let left = e
                            .log
                            .live()
                            .filter(|m| m.seq() > seq && m.sender_id() != user_id)
                            .count() as u64;
                        e.unread = left;
                        // nothing left unread: no mention is either (otherwise the count
                        // stays until the server's next one)
                        if left == 0 {
                            e.mentions = 0;
                        }
                        out.push(self.unread_event(&chat_id));
                    }
                }
                out.push(Effect::Emit(Event::Seen {
                    chat_id,
                    user_id,
                    seq,
                    message_id,
                }));
            }
            Frame::Typing {
                chat_id,
                user_id,
                typing,
                draft,
            } => {
                if self.me.as_ref().is_some_and(|m| m.id == user_id) {
                    return out;
                }
                let key = (chat_id.clone(), user_id.clone());
                if typing {
                    self.typing.insert(key, now + TYPING_TTL_MS);
                    out.push(Effect::Emit(Event::TypingStarted {
                        chat_id,
                        user_id,
                        draft,
                    }));
                } else if self.typing.swap_remove(&key).is_some() {
                    out.push(Effect::Emit(Event::TypingStopped { chat_id, user_id }));
                }
            }
            Frame::Member {
                chat_id,
                role,
                connected,
                user,
            } => out.push(Effect::Emit(Event::Member {
                chat_id,
                role,
                connected,
                user,
            })),
            Frame::MembersAdded { chat_id, users } => {
                out.push(Effect::Emit(Event::MembersAdded { chat_id, users }))
            }
            Frame::MembersRemoved { chat_id, user_ids } => {
                if self.me.as_ref().is_some_and(|m| user_ids.contains(&m.id)) {
                    self.follows.remove(&chat_id);
                }
                out.push(Effect::Emit(Event::MembersRemoved { chat_id, user_ids }))
            }
            Frame::Chat { change, info, chat } => {
                let id = info.id.clone();
                let new = self.chats.get(&id).is_none_or(|e| e.info.is_none());
                let follow = change == ChatChange::Created
                    && new
                    && self.auto_follow
                    && info.is_member
                    && !self.follows.contains(&id);
                let kind = info.kind;
                self.entry(&id).info = Some(info);
                if follow {
                    if let Some((_, f)) = self.follow(&id) {
                        out.push(Effect::Send(f));
                    }
                }
                out.push(Effect::Emit(Event::Chat {
                    change,
                    chat_id: id,
                    kind,
                    chat,
                }));
            }
            Frame::ChatDeleted(chat_id) => {
                self.follows.remove(&chat_id);
                out.push(Effect::Emit(Event::ChatDeleted(chat_id)));
            }
            Frame::Presence { user_id, online } => {
                if self.presence.insert(user_id.clone(), online) != Some(online) {
                    out.push(Effect::Emit(Event::Presence { user_id, online }));
                }
            }
            Frame::UserUpdated(user) => out.push(Effect::Emit(Event::UserUpdated(user))),
            Frame::Gap { chat_id, last_seq } => {
                let e = self.entry(&chat_id);
                e.log.clear();
                e.log.advance(last_seq);
                out.push(Effect::Emit(Event::Gap { chat_id }));
            }
            Frame::Pong(Some(id)) => {
                if self.requests.swap_remove(&id).is_some() {
                    out.push(Effect::Reply {
                        id,
                        result: Ok(AckBody::default()),
                    });
                }
            }
            Frame::Pong(None) => {}
        }
        out
    }

    fn entry(&mut self, chat: &str) -> &mut ChatEntry<T> {
        // No allocation for a chat already known (every live message).
        if !self.chats.contains_key(chat) {
            self.chats.insert(chat.to_owned(), ChatEntry::default());
        }
        self.chats.get_mut(chat).expect("inserted above")
    }

    fn is_unread(&self, m: &T::Msg) -> bool {
        let Some(e) = self.chats.get(m.chat_id()) else {
            return false;
        };
        let mine = self.me.as_ref().is_some_and(|u| u.id == m.sender_id());
        !mine && m.seq() > e.last_seen_seq && e.log.get(m.seq()).is_some_and(|cur| !cur.deleted())
    }

    fn on_message(&mut self, m: T::Msg, out: &mut Vec<Effect<T>>) {
        if m.thread_only() {
            // heard once; neither in the chat's log nor unread in it
            if self.thread_apply(&m) == Applied::Replaced {
                out.push(Effect::Emit(Event::Message(m)));
            }
            return;
        }
        let mine = self.me.as_ref().is_some_and(|u| u.id == m.sender_id());
        let chat = m.chat_id();
        let e = self.entry(chat);
        if e.log.apply(m.clone()) != Applied::Inserted {
            return;
        }
        let counts = !mine && m.seq() > e.last_seen_seq;
        if counts {
            e.unread += 1;
        }
        let chat = m.chat_id();
        if !self.typing.is_empty() {
            let key = (chat.to_owned(), m.sender_id().to_owned());
            if self.typing.swap_remove(&key).is_some() {
                out.push(Effect::Emit(Event::TypingStopped {
                    chat_id: key.0,
                    user_id: key.1,
                }));
            }
        }
        let unread = counts.then(|| self.unread_event(chat));
        out.push(Effect::Emit(Event::Message(m)));
        out.extend(unread);
    }

    fn on_ack(
        &mut self,
        id: u64,
        body: AckBody,
        message: Option<T::Msg>,
        out: &mut Vec<Effect<T>>,
    ) {
        if let Some(p) = self.outbox.confirm(id) {
            let client_id = p.client_id().to_owned();
            match message {
                Some(m) => {
                    self.on_message(m.clone(), out);
                    out.push(Effect::Settled {
                        client_id,
                        result: Ok(m),
                    });
                }
                None => out.push(Effect::Settled {
                    client_id,
                    result: Err(ApiError::new(
                        ErrorCode::Internal,
                        "the server acknowledged a send without its message",
                    )),
                }),
            }
            return;
        }
        let Some(req) = self.requests.swap_remove(&id) else {
            return;
        };
        if req == Req::Subscribe {
            for s in body.subscribed.iter().flatten() {
                self.entry(&s.chat_id).log.advance(s.last_seq);
            }
            for f in body.failed.iter().flatten() {
                self.follows.remove(&f.chat_id);
                out.push(refused_follow(f));
            }
        }
        out.push(Effect::Reply {
            id,
            result: Ok(body),
        });
    }

    fn on_refused(&mut self, id: u64, e: ApiError, out: &mut Vec<Effect<T>>) {
        if self.outbox.owns(id) {
            // Every retryable refusal (`rate_limited`, and `unavailable` while the server's
            // database is down) is tried again after a second: it used to wait for the next
            // reconnect, so on a socket that stayed open it never went (found by the
            // PostgreSQL-outage test in server/tests/cluster.rs).
            let retry = outbox::retryable(&e);
            if let Some(p) = self.outbox.refuse(id, &e) {
                out.push(Effect::Emit(Event::SendFailed {
                    chat_id: p.chat_id.clone(),
                    client_id: p.client_id().to_owned(),
                    error: e.clone(),
                }));
                out.push(Effect::Settled {
                    client_id: p.client_id().to_owned(),
                    result: Err(e),
                });
            } else if retry {
                out.push(Effect::RetryLater(1_000));
            }
            return;
        }
        if self.requests.swap_remove(&id).is_some() {
            out.push(Effect::Reply { id, result: Err(e) });
        }
    }

    /// Approximate bytes held by cached messages (benchmarks).
    pub fn approx_cache_bytes(&self) -> usize {
        self.chats.values().map(|e| e.log.approx_bytes()).sum()
    }
}

#[cfg(test)]
pub(crate) mod tests;
