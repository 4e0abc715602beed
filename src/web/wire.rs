//! Socket frames as JavaScript values. The browser parses each frame's JSON (`JSON.parse`
//! is native); the SDK reads only the fields its state needs through typed getters (no
//! property-name strings cross into JS, no frame text is copied into wasm), and a message
//! stays the JS object the application receives: made once, never rebuilt.
//!
//! The server writes messages on the socket without their null and default fields, and a
//! client that asked for batches (`batch=1`) may get several frames in one JSON array.
//! [`frames`] yields them one by one; [`JsMsg::new`] restores a message's defaults so the
//! object has every field of the `Message` type.

use chatix_protocol::frame::{AckBody, SubscribeFailure, Subscribed};
use chatix_protocol::limits::Limits;
use chatix_protocol::{ApiError, ChatKind, ErrorCode, Role};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

use crate::core::{ChatChange, ChatInfo, Followed, Frame, Me, Msg, Types};

// A message object as the application receives it, made by one object literal: every
// field of the `Message` type in one fixed order, so that all messages share one hidden
// class with their fields stored in the object itself (copying fields onto an empty object
// leaves most of them in a separate, growing property store: ~32 bytes more per message,
// measured). `m`: the parsed message (compact: defaults, `rev` equal to `seq` and, inside a
// frame, `chatId` left out); `s`: the shared `{chatId, senderId, senderName, senderRole}`;
// `d`: the frozen empty metadata, also the empty reaction counts. A reply's `quote`, a thread
// reply's `parentId` (and `showInChat`), a thread parent's `replyCount` and `lastReplyAt`
// and a mentioning message's `mentions` are added after (only those messages carry them, so other messages pay nothing for them). scripts/minify-glue.mjs inlines this into the glue.
#[wasm_bindgen(inline_js = "export function message(m, s, d) {
  const o = {
    id: m.id, chatId: s.chatId, seq: m.seq, rev: m.rev ?? m.seq, kind: m.kind ?? 'text',
    text: m.text ?? '', file: m.file ?? null, metadata: m.metadata ?? d,
    whisper: m.whisper ?? false, senderId: s.senderId, senderRole: s.senderRole,
    senderName: s.senderName, clientId: m.clientId ?? null, replyTo: m.replyTo ?? null,
    createdAt: m.createdAt, editedAt: m.editedAt ?? null, deleted: m.deleted ?? false,
    reactions: m.reactions ?? d, ownReactions: m.ownReactions ?? null, pinned: m.pinned ?? null,
  };
  if (m.quote) o.quote = m.quote;
  if (m.parentId) { o.parentId = m.parentId; if (m.showInChat) o.showInChat = true; }
  if (m.replyCount) { o.replyCount = m.replyCount; o.lastReplyAt = m.lastReplyAt; }
  if (m.mentions) o.mentions = m.mentions;
  return o;
}")]
extern "C" {
    #[wasm_bindgen(js_name = message)]
    fn message_object(m: &JsValue, shared: &JsValue, no_metadata: &JsValue) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// A parsed server frame (or any plain object read by these getters).
    #[wasm_bindgen(extends = js_sys::Object)]
    pub type Wire;

    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, getter, js_name = type)]
    fn ty(this: &Wire) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn message(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn messages(this: &Wire) -> JsValue;

    #[wasm_bindgen(method, getter, js_name = chatId)]
    fn chat_id_v(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = senderId)]
    fn sender_id_v(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = senderName)]
    fn sender_name(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = senderRole)]
    fn sender_role(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn seq(this: &Wire) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn rev(this: &Wire) -> Option<f64>;

    #[wasm_bindgen(method, getter)]
    fn deleted(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = parentId)]
    fn parent_id(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = showInChat)]
    fn show_in_chat(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn file(this: &Wire) -> JsValue;

    // file URLs
    #[wasm_bindgen(method, getter)]
    fn url(this: &Wire) -> Option<String>;
    #[wasm_bindgen(method, setter, js_name = url)]
    fn set_url(this: &Wire, v: &str);
    #[wasm_bindgen(method, getter, js_name = thumbnailUrl)]
    fn thumbnail_url(this: &Wire) -> Option<String>;
    #[wasm_bindgen(method, setter, js_name = thumbnailUrl)]
    fn set_thumbnail_url(this: &Wire, v: &str);
}

/// Parses a frame's text (a JS string, never copied into wasm). `None`: not JSON.
pub fn parse(text: &JsValue) -> Option<JsValue> {
    json_parse(text).ok()
}

/// JSON text of a value (`None` for what JSON cannot hold).
pub fn stringify(v: &JsValue) -> Option<String> {
    json_stringify(v).ok()?.as_string()
}

/// The frames of one socket message: a batch (array) in order, or the single frame.
pub fn frames(v: JsValue) -> Vec<JsValue> {
    if js_sys::Array::is_array(&v) {
        js_sys::Array::from(&v).iter().collect()
    } else {
        vec![v]
    }
}

/// A frame's `type`.
pub fn frame_type(f: &JsValue) -> Option<String> {
    f.unchecked_ref::<Wire>().ty()
}

/// A message as the core keeps it: the few fields the state needs, and the JS object the
/// application receives. 24 bytes: what every message of a chat and sender repeats is
/// behind one shared pointer ([`Who`]), and the revision is kept as its distance from `seq`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsMsg {
    /// Position.
    pub seq: i64,
    /// `rev - seq` (a revision is never below the position).
    rev_delta: u32,
    /// A tombstone.
    pub deleted: bool,
    /// A thread reply not shown in the chat (in the padding: still 24 bytes).
    thread_only: bool,
    /// The chat and the sender.
    pub who: Rc<Who>,
    /// The message object.
    pub obj: JsValue,
}

/// What every message of one chat from one sender (with one name and role) shares.
#[derive(Debug, PartialEq)]
pub struct Who {
    /// The chat id.
    pub chat: Rc<str>,
    /// The chat id as the JS string the message objects share.
    pub chat_js: JsValue,
    /// The sender's id.
    pub sender: Rc<str>,
    /// `{chatId, senderId, senderName, senderRole}` with the shared strings.
    shared: JsValue,
}

impl JsMsg {
    /// Revision.
    pub fn rev(&self) -> i64 {
        self.seq + i64::from(self.rev_delta)
    }
}

impl Msg for JsMsg {
    fn chat_id(&self) -> &str {
        &self.who.chat
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn rev(&self) -> i64 {
        JsMsg::rev(self)
    }
    fn sender_id(&self) -> &str {
        &self.who.sender
    }
    fn deleted(&self) -> bool {
        self.deleted
    }
    fn thread_only(&self) -> bool {
        self.thread_only
    }
    fn keep_own_reactions(&mut self, old: &Self) {
        // `ownReactions` null: not in the frame; `reactions` frozen: the shared empty counts
        if super::js::get(&self.obj, "ownReactions").is_null()
            && !js_sys::Object::is_frozen::<JsValue>(
                super::js::get(&self.obj, "reactions").unchecked_ref(),
            )
        {
            super::js::set(
                &self.obj,
                "ownReactions",
                &super::js::get(&old.obj, "ownReactions"),
            );
        }
    }
}

/// Shares the strings every message of a chat or a sender repeats, on both sides: one Rust
/// copy for the core, and one JS string that every message object points at (a parsed
/// frame brings its own copy of each, which then becomes garbage).
pub struct Interner {
    names: rustc_hash::FxHashMap<Box<str>, (Rc<str>, JsValue)>,
    /// What the messages of each chat, sender, name and role combination share.
    senders: rustc_hash::FxHashMap<[usize; 4], Rc<Who>>,
    /// The frozen empty metadata every message without metadata shares.
    no_metadata: JsValue,
}

impl Default for Interner {
    fn default() -> Self {
        let no_metadata = js_sys::Object::new();
        js_sys::Object::freeze(&no_metadata);
        Interner {
            names: Default::default(),
            senders: Default::default(),
            no_metadata: no_metadata.into(),
        }
    }
}

impl Interner {
    /// The shared copies of `s`, whose JS string is `js` (kept when `s` is new).
    fn shared(&mut self, s: &str, js: &JsValue) -> (Rc<str>, JsValue) {
        if let Some(n) = self.names.get(s) {
            return n.clone();
        }
        let js = if js.is_string() { js.clone() } else { s.into() };
        let n = (Rc::<str>::from(s), js);
        self.names.insert(s.into(), n.clone());
        n
    }

    fn string(&mut self, v: &JsValue) -> Option<(Rc<str>, JsValue)> {
        let s = v.as_string()?;
        Some(self.shared(&s, v))
    }
}

/// A file object (upload answer, message attachment) with absolute URLs, in place.
pub fn file(base: &str, o: &JsValue) {
    absolute(base, o.unchecked_ref());
}

fn absolute(base: &str, o: &Wire) {
    if let Some(u) = o.url() {
        if u.starts_with("/v1/") {
            o.set_url(&format!("{base}{u}"));
        }
    }
    if let Some(u) = o.thumbnail_url() {
        if u.starts_with("/v1/") {
            o.set_thumbnail_url(&format!("{base}{u}"));
        }
    }
}

impl JsMsg {
    /// Reads a message object (from a frame or a REST page): fills the fields the server
    /// left out with their defaults and makes file URLs absolute. `None` when it is not a
    /// message (no chat, sender or sequence number).
    /// `frame_chat`: the `chatId` of the frame that carried it (a socket frame's message
    /// leaves its own out), else undefined (REST answers: the message's own).
    pub fn new(
        obj: JsValue,
        frame_chat: &JsValue,
        base: &str,
        names: &mut Interner,
    ) -> Option<JsMsg> {
        if !obj.is_object() {
            return None;
        }
        let w: &Wire = obj.unchecked_ref();
        let seq = w.seq()? as i64;
        let rev = w.rev().map_or(seq, |r| r as i64);
        let deleted = w.deleted().as_bool().unwrap_or(false);
        // a socket frame names the chat (its message does not): no read of the message's
        let chat = if frame_chat.is_string() {
            names.string(frame_chat)
        } else {
            names.string(&w.chat_id_v())
        }?;
        let sender = names.string(&w.sender_id_v())?;
        let name = names
            .string(&w.sender_name())
            .unwrap_or_else(|| names.shared("", &JsValue::UNDEFINED));
        let role = names
            .string(&w.sender_role())
            .unwrap_or_else(|| names.shared("", &JsValue::UNDEFINED));
        let key =
            [&chat.0, &sender.0, &name.0, &role.0].map(|r| Rc::as_ptr(r) as *const u8 as usize);
        let who = names
            .senders
            .entry(key)
            .or_insert_with(|| {
                Rc::new(Who {
                    shared: super::body::Obj::new()
                        .v("chatId", &chat.1)
                        .v("senderId", &sender.1)
                        .v("senderName", &name.1)
                        .v("senderRole", &role.1)
                        .done(),
                    chat: chat.0,
                    chat_js: chat.1,
                    sender: sender.0,
                })
            })
            .clone();
        let file = w.file();
        if file.is_object() {
            absolute(base, file.unchecked_ref());
        }
        let obj = message_object(&obj, &who.shared, &names.no_metadata);
        Some(JsMsg {
            seq,
            rev_delta: u32::try_from(rev - seq).ok()?,
            deleted,
            thread_only: w.parent_id().is_string() && w.show_in_chat().is_falsy(),
            who,
            obj,
        })
    }
}

/// The browser's types for the core: messages as [`JsMsg`], users and chats as the JS
/// objects the application receives.
#[derive(Debug, Clone, PartialEq)]
pub struct Js;

impl Types for Js {
    type Msg = JsMsg;
    type User = JsValue;
    type Chat = JsValue;
}

fn field(o: &JsValue, k: &str) -> JsValue {
    js_sys::Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn string(o: &JsValue, k: &str) -> Result<String, String> {
    field(o, k)
        .as_string()
        .ok_or_else(|| format!("{k} must be a string"))
}

fn opt_string(o: &JsValue, k: &str) -> Option<String> {
    field(o, k).as_string()
}

fn number(o: &JsValue, k: &str) -> Result<f64, String> {
    field(o, k)
        .as_f64()
        .ok_or_else(|| format!("{k} must be a number"))
}

fn flag(o: &JsValue, k: &str) -> bool {
    field(o, k).as_bool().unwrap_or(false)
}

fn list(o: &JsValue, k: &str) -> Vec<JsValue> {
    let v = field(o, k);
    if js_sys::Array::is_array(&v) {
        js_sys::Array::from(&v).iter().collect()
    } else {
        Vec::new()
    }
}

fn make_absolute(base: &str, o: &JsValue, k: &str) {
    if let Some(u) = opt_string(o, k) {
        if u.starts_with("/v1/") {
            let _ = js_sys::Reflect::set(o, &k.into(), &format!("{base}{u}").into());
        }
    }
}

/// A user object with an absolute avatar URL (in place); its role.
pub fn user(base: &str, u: &JsValue) -> Result<Role, String> {
    make_absolute(base, u, "avatar");
    Role::parse(&string(u, "role")?).ok_or_else(|| "unknown role".to_owned())
}

/// Who a user object is, for the core.
pub fn me(base: &str, u: &JsValue) -> Result<Me, String> {
    Ok(Me {
        role: user(base, u)?,
        id: string(u, "id")?,
        name: opt_string(u, "name").unwrap_or_default(),
    })
}

/// A chat object with absolute URLs (in place: avatar, members' avatars, the last
/// message's defaults and file URLs), and what the core keeps of it.
pub fn chat(base: &str, c: &JsValue, names: &mut Interner) -> Result<ChatInfo, String> {
    make_absolute(base, c, "avatar");
    let mut member_ids = Vec::new();
    for m in list(c, "members") {
        user(base, &m)?;
        member_ids.push(string(&m, "id")?);
    }
    let last = field(c, "lastMessage");
    let last_message_seq = if last.is_object() {
        JsMsg::new(last, &JsValue::UNDEFINED, base, names).map(|m| m.seq)
    } else {
        None
    };
    Ok(ChatInfo {
        id: string(c, "id")?,
        kind: ChatKind::parse(&string(c, "kind")?).ok_or_else(|| "unknown chat kind".to_owned())?,
        last_seq: number(c, "lastSeq").unwrap_or(0.0) as i64,
        unread: number(c, "unread").unwrap_or(0.0) as u64,
        mentions: number(c, "mentionCount").unwrap_or(0.0) as u64,
        is_member: flag(c, "isMember"),
        member_ids,
        last_message_seq,
    })
}

/// The server's `{code, message}` (an error frame or REST error body).
pub fn api_error(o: &JsValue) -> Option<ApiError> {
    let code = ErrorCode::parse(&opt_string(o, "code")?)?;
    Some(ApiError::new(
        code,
        opt_string(o, "message").unwrap_or_default(),
    ))
}

fn limits(o: &JsValue) -> Result<Limits, String> {
    let n = |k: &str| number(o, k);
    Ok(Limits {
        max_frame_bytes: n("maxFrameBytes")? as usize,
        max_message_chars: n("maxMessageChars")? as usize,
        max_upload_bytes: n("maxUploadBytes")? as usize,
        frames_per_second: n("framesPerSecond")? as u32,
        frame_burst: n("frameBurst")? as u32,
        requests_per_second: n("requestsPerSecond")? as u32,
        request_burst: n("requestBurst")? as u32,
        heartbeat_ms: n("heartbeatMs")? as u64,
    })
}

fn ack_body(f: &JsValue) -> Result<AckBody, String> {
    let subscribed = list(f, "subscribed")
        .iter()
        .map(|s| {
            Ok(Subscribed {
                chat_id: string(s, "chatId")?,
                last_seq: number(s, "lastSeq")? as i64,
                replayed: number(s, "replayed").unwrap_or(0.0) as u64,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let failed = list(f, "failed")
        .iter()
        .map(|s| {
            let e = api_error(s).ok_or_else(|| "a failure without a code".to_owned())?;
            Ok(SubscribeFailure {
                chat_id: string(s, "chatId")?,
                code: e.code,
                message: e.message,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(AckBody {
        message: None,
        subscribed: (!subscribed.is_empty()).then_some(subscribed),
        failed: (!failed.is_empty()).then_some(failed),
        last_seen_seq: field(f, "lastSeenSeq").as_f64().map(|n| n as i64),
        duplicate: flag(f, "duplicate"),
    })
}

/// The chat id and the messages of a `messages` frame (the server joins consecutive
/// `message` frames of one chat on a `batch=1` socket); read each with [`joined_message`].
pub fn joined(f: &JsValue) -> Option<(JsValue, js_sys::Array)> {
    let w: &Wire = f.unchecked_ref();
    let list = w.messages();
    js_sys::Array::is_array(&list).then(|| (w.chat_id_v(), list.unchecked_into()))
}

/// What decoding needs of the client, and what it leaves with it (the client implements
/// it, so that this module does not depend on the client's).
pub trait Session {
    /// The server's base URL (relative URLs in frames become absolute).
    fn base(&self) -> &str;
    /// Chat and sender ids shared by the messages that repeat them.
    fn names(&self) -> std::cell::RefMut<'_, Interner>;
    /// The newest object of a chat, as a frame carried it.
    fn chat_seen(&self, id: &str, o: &JsValue);
    /// The `ready` frame's user object and limits, and whether it listed the chats the
    /// server followed (`recent`).
    fn ready(&self, me: JsValue, limits: Limits, recent: bool);
}

/// One message of a `messages` frame, as its own `message` frame would give it.
pub fn joined_message(m: JsValue, chat: &JsValue, c: &impl Session) -> Option<JsMsg> {
    JsMsg::new(m, chat, c.base(), &mut c.names())
}

/// Decodes one parsed frame of type `ty` for the core: only the fields the state needs
/// are read; the message, user and chat objects go on as they are. `Err` names what was
/// wrong.
pub fn decode(f: &JsValue, ty: &str, c: &impl Session) -> Result<Frame<Js>, String> {
    let base = c.base();
    let w: &Wire = f.unchecked_ref();
    let msg = || {
        JsMsg::new(w.message(), &w.chat_id_v(), base, &mut c.names())
            .ok_or_else(|| format!("a {ty} frame without a readable message"))
    };
    let chat_id = || string(f, "chatId");
    let chat = |change| -> Result<Frame<Js>, String> {
        let o = field(f, "chat");
        let info = chat(base, &o, &mut c.names())?;
        c.chat_seen(&info.id, &o);
        Ok(Frame::Chat {
            change,
            info,
            chat: o,
        })
    };
    let member = |connected| -> Result<Frame<Js>, String> {
        let u = field(f, "user");
        Ok(Frame::Member {
            chat_id: chat_id()?,
            role: user(base, &u)?,
            connected,
            user: u,
        })
    };
    Ok(match ty {
        "message" => Frame::Message(msg()?),
        "messageUpdated" => Frame::Updated(msg()?),
        "messageDeleted" => Frame::Deleted(msg()?),
        "messagePinned" => Frame::Pin(msg()?, true),
        "messageUnpinned" => Frame::Pin(msg()?, false),
        "mentioned" => {
            let count = field(f, "mentionCount").as_f64().unwrap_or(0.0);
            Frame::Mentioned(msg()?, count as u64)
        }
        "reactionAdded" | "reactionRemoved" => Frame::Reaction {
            message: msg()?,
            reaction: string(f, "reaction")?,
            user_id: string(f, "userId")?,
            added: ty == "reactionAdded",
        },
        "ack" => {
            let id = number(f, "id")? as u64;
            let m = w.message();
            let message = if m.is_object() { Some(msg()?) } else { None };
            Frame::Ack {
                id,
                body: ack_body(f)?,
                message,
            }
        }
        "ready" => {
            let u = field(f, "user");
            let me = me(base, &u)?;
            let limits = limits(&field(f, "limits"))?;
            let heartbeat_ms = limits.heartbeat_ms;
            let r = field(f, "recent");
            let followed = if r.is_object() {
                let mut chats = Vec::new();
                for o in list(&r, "chats") {
                    let info = self::chat(base, &o, &mut c.names())?;
                    c.chat_seen(&info.id, &o);
                    chats.push(info);
                }
                let body = ack_body(&r)?;
                Some(Followed {
                    chats,
                    subscribed: body.subscribed.unwrap_or_default(),
                    failed: body.failed.unwrap_or_default(),
                })
            } else {
                None
            };
            c.ready(u, limits, followed.is_some());
            Frame::Ready(me, heartbeat_ms, followed)
        }
        "error" => Frame::Error {
            id: field(f, "id").as_f64().map(|n| n as u64),
            error: api_error(f).ok_or_else(|| "an error frame without a code".to_owned())?,
        },
        "seen" => Frame::Seen {
            chat_id: chat_id()?,
            user_id: string(f, "userId")?,
            seq: number(f, "seq")? as i64,
            message_id: opt_string(f, "messageId"),
        },
        "typing" => Frame::Typing {
            chat_id: chat_id()?,
            user_id: string(f, "userId")?,
            typing: flag(f, "typing"),
            draft: opt_string(f, "draft"),
        },
        "memberConnected" => member(true)?,
        "memberDisconnected" => member(false)?,
        "membersAdded" => {
            let users = list(f, "users");
            for u in &users {
                user(base, u)?;
            }
            Frame::MembersAdded {
                chat_id: chat_id()?,
                users,
            }
        }
        "membersRemoved" => Frame::MembersRemoved {
            chat_id: chat_id()?,
            user_ids: list(f, "userIds")
                .iter()
                .filter_map(|v| v.as_string())
                .collect(),
        },
        "chatCreated" => chat(ChatChange::Created)?,
        "chatUpdated" => chat(ChatChange::Updated)?,
        "chatRestored" => chat(ChatChange::Restored)?,
        "chatDeleted" => Frame::ChatDeleted(chat_id()?),
        "presence" => Frame::Presence {
            user_id: string(f, "userId")?,
            online: flag(f, "online"),
        },
        "userUpdated" => {
            let u = field(f, "user");
            user(base, &u)?;
            Frame::UserUpdated(u)
        }
        "gap" => Frame::Gap {
            chat_id: chat_id()?,
            last_seq: number(f, "lastSeq")? as i64,
        },
        "pong" => Frame::Pong(field(f, "id").as_f64().map(|n| n as u64)),
        other => return Err(format!("unknown frame type {other}")),
    })
}
