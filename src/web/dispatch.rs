//! From a core [`Event`] to JavaScript listeners, along the route the core picks
//! ([`crate::core::routes`]: the `on(name)` event, the assignable `onX` handler chosen by the
//! chat's kind and the member's role, the handler of the chat's `Chat` objects, and the
//! arguments of each). This module only builds each event's JavaScript value and calls.

use chatix_protocol::ChatKind;
use std::cell::RefCell;
use vecmap::VecMap;
use wasm_bindgen::JsValue;

use super::body::ToJs;
use super::js;
use super::listeners::{call_all, Listeners};
use super::wire::Js;
use crate::core::routes::{self, Args};

/// A core event with JS messages, users and chats.
pub type Event = crate::core::Event<Js>;

/// Who hears events, and what routing needs to know (the client implements it, so that this
/// module does not depend on the client's).
pub trait Audience {
    /// The kind of a chat, when known.
    fn chat_kind(&self, chat: &str) -> Option<ChatKind>;
    /// Listeners and handler properties of the `ChatixCore`.
    fn listeners(&self) -> &RefCell<Listeners>;
    /// Listeners of `Chat` objects: handle → (chat id, listeners).
    fn chat_listeners(&self) -> &RefCell<VecMap<u64, (String, Listeners)>>;
    /// The newest object of a chat.
    fn chat_object(&self, id: &str) -> Option<JsValue>;
    /// Whether a chat lists `user` among its members.
    fn lists_member(&self, chat: &str, user: &str) -> bool;
}

/// Emits one event to every listener concerned.
pub fn emit(c: &impl Audience, ev: &Event) {
    let kind = ev.chat_id().and_then(|id| c.chat_kind(id));
    let route = routes::route(ev, kind);
    if let Event::Unread { chat_id, .. } = ev {
        // One per message from others: built only when someone listens.
        let heard = c.listeners().borrow().count("unreadChanged") > 0
            || c.chat_listeners()
                .borrow()
                .values()
                .any(|(id, l)| id == chat_id && l.listens("unreadChanged", "onUnreadChanged"));
        if !heard {
            return;
        }
    }
    let value = value_of(ev);
    let chat_id: JsValue = match ev {
        Event::Message(m)
        | Event::MessageUpdated(m)
        | Event::MessageDeleted(m)
        | Event::Pin(m, _)
        | Event::Mentioned(m)
        | Event::Reaction { message: m, .. } => m.who.chat_js.clone(),
        _ => ev.chat_id().map_or(JsValue::UNDEFINED, JsValue::from),
    };
    let args = |a: Args| -> Vec<JsValue> {
        match a {
            Args::None => vec![],
            Args::Value => vec![value.clone()],
            Args::ChatId => vec![chat_id.clone()],
            Args::ChatIdValue => vec![chat_id.clone(), value.clone()],
            Args::ChatValue => {
                let chat = ev.chat_id().unwrap_or_default();
                let o = c.chat_object(chat).unwrap_or_else(|| {
                    let o = js_sys::Object::new();
                    js::set(&o, "id", &chat_id);
                    o.into()
                });
                vec![o, value.clone()]
            }
            Args::Count => match ev {
                Event::Unread { count, .. } => vec![(*count as f64).into()],
                _ => vec![],
            },
        }
    };
    // `on(name)` listeners, then the handler property, then `onChat`, then `Chat` objects
    let (name, a) = route.on;
    call(c, name, None, &args(a));
    if let Some((prop, a)) = route.handler {
        call(c, "", Some(prop), &args(a));
    }
    // The chat's whole object is built only when someone assigned `onChat`.
    if route.on_chat && c.listeners().borrow().prop("onChat").is_some() {
        call(c, "", Some("onChat"), &args(Args::ChatValue));
    }
    let Some((prop, a)) = route.chat else { return };
    if let Event::Presence { user_id, .. } = ev {
        // every Chat object whose chat lists this member
        let chats: Vec<String> = c
            .chat_listeners()
            .borrow()
            .values()
            .map(|(id, _)| id.clone())
            .filter(|id| c.lists_member(id, user_id))
            .collect();
        for id in chats {
            call_chat(c, &id, prop, &args(a));
        }
    } else if let Some(id) = ev.chat_id() {
        call_chat(c, id, prop, &args(a));
    }
}

fn call(c: &impl Audience, name: &str, prop: Option<&str>, args: &[JsValue]) {
    let targets = c.listeners().borrow_mut().targets(name, prop);
    call_all(&targets, args);
}

/// The event's JavaScript value (what [`Args::Value`] passes).
fn value_of(ev: &Event) -> JsValue {
    let obj = |fields: &[(&str, JsValue)]| -> JsValue {
        let o = js_sys::Object::new();
        for (k, v) in fields {
            js::set(&o, k, v);
        }
        o.into()
    };
    let opt = |s: &Option<String>| s.clone().map_or(JsValue::NULL, Into::into);
    match ev {
        Event::State(s) => s.as_str().into(),
        Event::Connected | Event::ChatDeleted(_) | Event::Gap { .. } => JsValue::UNDEFINED,
        Event::Disconnected {
            code,
            reason,
            retrying,
        } => obj(&[
            ("code", (*code).into()),
            ("reason", reason.into()),
            ("retrying", (*retrying).into()),
        ]),
        Event::Message(m)
        | Event::MessageUpdated(m)
        | Event::MessageDeleted(m)
        | Event::Pin(m, _)
        | Event::Mentioned(m) => m.obj.clone(),
        Event::Reaction {
            message,
            reaction,
            user_id,
            ..
        } => obj(&[
            ("chatId", message.who.chat_js.clone()),
            ("messageId", js::get(&message.obj, "id")),
            ("reaction", reaction.into()),
            ("userId", user_id.into()),
            ("message", message.obj.clone()),
        ]),
        Event::Pending(m) => {
            let jm = m.to_js();
            js::set(&jm, "pending", &true.into());
            jm
        }
        Event::SendFailed {
            chat_id,
            client_id,
            error,
        } => obj(&[
            ("chatId", chat_id.into()),
            ("clientId", client_id.into()),
            ("error", js::error(error)),
        ]),
        Event::Seen {
            chat_id,
            user_id,
            seq,
            message_id,
        } => obj(&[
            ("chatId", chat_id.into()),
            ("userId", user_id.into()),
            ("seq", (*seq as f64).into()),
            ("messageId", opt(message_id)),
        ]),
        Event::TypingStarted {
            chat_id,
            user_id,
            draft,
        } => obj(&[
            ("chatId", chat_id.into()),
            ("userId", user_id.into()),
            ("draft", opt(draft)),
        ]),
        Event::TypingStopped { chat_id, user_id } => {
            obj(&[("chatId", chat_id.into()), ("userId", user_id.into())])
        }
        Event::Member { user, .. } => user.clone(),
        Event::MembersAdded { users, .. } => users.iter().collect::<js_sys::Array>().into(),
        Event::MembersRemoved { user_ids, .. } => user_ids
            .iter()
            .map(|s| JsValue::from(s.as_str()))
            .collect::<js_sys::Array>()
            .into(),
        Event::Chat { chat, .. } => chat.clone(),
        Event::Presence { user_id, online } => obj(&[
            ("userId", user_id.into()),
            ("online", (*online).into()),
            (
                "status",
                (if *online { "online" } else { "offline" }).into(),
            ),
        ]),
        Event::UserUpdated(u) => u.clone(),
        Event::Unread {
            chat_id,
            count,
            total,
            mentions,
        } => obj(&[
            ("chatId", chat_id.into()),
            ("count", (*count as f64).into()),
            ("total", (*total as f64).into()),
            ("mentions", (*mentions as f64).into()),
        ]),
        Event::Error(e) => js::error(e),
    }
}

/// Calls `prop` (and the `on(event)` listeners it stands for) of every `Chat` object of
/// `chat_id`.
fn call_chat(c: &impl Audience, chat_id: &str, prop: &'static str, args: &[JsValue]) {
    if !c
        .chat_listeners()
        .borrow()
        .values()
        .any(|(id, _)| id == chat_id)
    {
        return;
    }
    let event = routes::chat_event(prop);
    let targets: Vec<js_sys::Function> = c
        .chat_listeners()
        .borrow_mut()
        .values_mut()
        .filter(|(id, _)| id == chat_id)
        .flat_map(|(_, l)| l.targets(&event, Some(prop)))
        .collect();
    call_all(&targets, args);
}
