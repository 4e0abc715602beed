//! From a core [`Event`] to JavaScript listeners.
//!
//! Each event goes to its `on(name)` listeners, to the assignable `onX` handler that the
//! hosted services' users know (chosen by the chat's kind and the member's role), and to
//! the listeners of every `Chat` object of that chat (and only that chat).
//!
//! | core event | `on(name)` | assignable handlers |
//! |---|---|---|
//! | Message | `message` | `onChatroomMessageReceived(chatId, m)` (group), `onConversationMessageReceived(m)` (conversation), `onChat(chat, m)` (any); Chat `onMessage(m)` |
//! | MessageUpdated / Deleted | `messageUpdated` / `messageDeleted` | `onChatroomMessageUpdated/Deleted`, `onConversationMessageUpdated/Deleted`; Chat `onMessageUpdated/Deleted` |
//! | MemberConnected / Disconnected | `memberConnected` / `memberDisconnected` | `onMemberConnectedToChatroom` or `onManagerConnectedToChatroom` (by role), `onManagerConnectedToConversation`; … |
//! | Seen | `seen` | Chat `onMessageSeen` |
//! | TypingStarted / Stopped | `typingStarted` / `typingStopped` | Chat `onTypingStarted` / `onTypingStopped` |
//! | Presence | `presence` | Chat `onMemberStatusChanged` (chats with that member) |
//! | Chat created/updated/deleted/restored | `chatCreated` … | `onChatroomCreated` … (groups) |
//! | Connected / Disconnected | `connected` / `disconnected` | `onConnected` / `onDisconnected` |

use chatix_protocol::{ChatKind, Role};
use std::rc::Rc;
use wasm_bindgen::JsValue;

use super::body::ToJs;
use super::client::{Client, Event};
use super::js;
use super::listeners::call_all;
use crate::core::ChatChange;

/// Emits one event to every listener concerned.
pub fn emit(c: &Rc<Client>, ev: &Event) {
    let kind = ev.chat_id().and_then(|id| c.core.borrow().chat_kind(id));
    let chat_info = |id: &str| -> JsValue {
        match c.chats.borrow().get(id).cloned() {
            Some(ch) => ch,
            None => {
                let o = js_sys::Object::new();
                js::set(&o, "id", &id.into());
                o.into()
            }
        }
    };
    // (event name, args, core prop, chat prop, chat args)
    let mut core_calls: Vec<(&str, Option<&'static str>, Vec<JsValue>)> = Vec::new();
    let mut chat_call: Option<(&'static str, Vec<JsValue>)> = None;
    match ev {
        Event::State(s) => {
            core_calls.push(("connectionStateChanged", None, vec![s.as_str().into()]))
        }
        Event::Connected => core_calls.push(("connected", Some("onConnected"), vec![])),
        Event::Disconnected {
            code,
            reason,
            retrying,
        } => {
            let o = js_sys::Object::new();
            js::set(&o, "code", &(*code).into());
            js::set(&o, "reason", &reason.into());
            js::set(&o, "retrying", &(*retrying).into());
            core_calls.push(("disconnected", Some("onDisconnected"), vec![o.into()]));
        }
        Event::Message(m) | Event::MessageUpdated(m) | Event::MessageDeleted(m) => {
            let jm = m.obj.clone();
            let id = m.who.chat_js.clone();
            let (name, room, conv, chat_prop) = match ev {
                Event::Message(_) => (
                    "message",
                    "onChatroomMessageReceived",
                    "onConversationMessageReceived",
                    "onMessage",
                ),
                Event::MessageUpdated(_) => (
                    "messageUpdated",
                    "onChatroomMessageUpdated",
                    "onConversationMessageUpdated",
                    "onMessageUpdated",
                ),
                _ => (
                    "messageDeleted",
                    "onChatroomMessageDeleted",
                    "onConversationMessageDeleted",
                    "onMessageDeleted",
                ),
            };
            core_calls.push((name, None, vec![jm.clone()]));
            match kind {
                Some(ChatKind::Group) => {
                    core_calls.push(("", Some(room), vec![id.clone(), jm.clone()]))
                }
                Some(ChatKind::Conversation) => core_calls.push(("", Some(conv), vec![jm.clone()])),
                _ => {}
            }
            // The chat's whole object is built only when someone assigned `onChat`.
            if matches!(ev, Event::Message(_)) && c.listeners.borrow().prop("onChat").is_some() {
                core_calls.push(("", Some("onChat"), vec![chat_info(&m.who.chat), jm.clone()]));
            }
            chat_call = Some((chat_prop, vec![jm]));
        }
        Event::Pending(m) => {
            let jm = m.to_js();
            js::set(&jm, "pending", &true.into());
            core_calls.push(("pending", None, vec![jm.clone()]));
            chat_call = Some(("onPending", vec![jm]));
        }
        Event::SendFailed {
            chat_id,
            client_id,
            error,
        } => {
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &chat_id.into());
            js::set(&o, "clientId", &client_id.into());
            js::set(&o, "error", &js::error(error));
            core_calls.push(("sendFailed", None, vec![o.clone().into()]));
            chat_call = Some(("onSendFailed", vec![o.into()]));
        }
        Event::Seen {
            chat_id,
            user_id,
            seq,
            message_id,
        } => {
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &chat_id.into());
            js::set(&o, "userId", &user_id.into());
            js::set(&o, "seq", &(*seq as f64).into());
            js::set(
                &o,
                "messageId",
                &message_id.clone().map_or(JsValue::NULL, Into::into),
            );
            core_calls.push(("seen", None, vec![o.clone().into()]));
            chat_call = Some(("onMessageSeen", vec![o.into()]));
        }
        Event::TypingStarted {
            chat_id,
            user_id,
            draft,
        } => {
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &chat_id.into());
            js::set(&o, "userId", &user_id.into());
            js::set(
                &o,
                "draft",
                &draft.clone().map_or(JsValue::NULL, Into::into),
            );
            core_calls.push(("typingStarted", None, vec![o.clone().into()]));
            chat_call = Some(("onTypingStarted", vec![o.into()]));
        }
        Event::TypingStopped { chat_id, user_id } => {
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &chat_id.into());
            js::set(&o, "userId", &user_id.into());
            core_calls.push(("typingStopped", None, vec![o.clone().into()]));
            chat_call = Some(("onTypingStopped", vec![o.into()]));
        }
        Event::Member {
            chat_id,
            role,
            connected,
            user,
        } => {
            let connected = *connected;
            let ju = user.clone();
            let id: JsValue = chat_id.as_str().into();
            core_calls.push((
                if connected {
                    "memberConnected"
                } else {
                    "memberDisconnected"
                },
                None,
                vec![id.clone(), ju.clone()],
            ));
            let staff = *role == Role::Consultant;
            let prop = match (kind, staff, connected) {
                (Some(ChatKind::Group), true, true) => Some("onManagerConnectedToChatroom"),
                (Some(ChatKind::Group), true, false) => Some("onManagerDisconnectedFromChatroom"),
                (Some(ChatKind::Group), false, true) => Some("onMemberConnectedToChatroom"),
                (Some(ChatKind::Group), false, false) => Some("onMemberDisconnectedFromChatroom"),
                (Some(ChatKind::Conversation), true, true) => {
                    Some("onManagerConnectedToConversation")
                }
                (Some(ChatKind::Conversation), true, false) => {
                    Some("onManagerDisconnectedFromConversation")
                }
                _ => None,
            };
            if let Some(p) = prop {
                let args = if kind == Some(ChatKind::Group) {
                    vec![id, ju.clone()]
                } else {
                    vec![ju.clone()]
                };
                core_calls.push(("", Some(p), args));
            }
            chat_call = Some((
                if connected {
                    "onMemberConnected"
                } else {
                    "onMemberDisconnected"
                },
                vec![ju],
            ));
        }
        Event::MembersAdded { chat_id, users } => {
            let ju: JsValue = users.iter().collect::<js_sys::Array>().into();
            core_calls.push(("membersAdded", None, vec![chat_id.into(), ju.clone()]));
            chat_call = Some(("onMembersAdded", vec![ju]));
        }
        Event::MembersRemoved { chat_id, user_ids } => {
            let ids: JsValue = user_ids
                .iter()
                .map(|s| JsValue::from(s.as_str()))
                .collect::<js_sys::Array>()
                .into();
            core_calls.push(("membersRemoved", None, vec![chat_id.into(), ids.clone()]));
            chat_call = Some(("onMembersRemoved", vec![ids]));
        }
        Event::Chat {
            change,
            kind: chat_kind,
            chat,
            ..
        } => {
            let jc = chat.clone();
            let (name, prop) = match change {
                ChatChange::Created => ("chatCreated", "onChatroomCreated"),
                ChatChange::Updated => ("chatUpdated", "onChatroomUpdated"),
                ChatChange::Restored => ("chatRestored", "onChatroomRestored"),
            };
            core_calls.push((name, None, vec![jc.clone()]));
            if *chat_kind == ChatKind::Group {
                core_calls.push(("", Some(prop), vec![jc.clone()]));
            }
            if *change == ChatChange::Updated {
                chat_call = Some(("onUpdated", vec![jc]));
            }
        }
        Event::ChatDeleted(id) => {
            core_calls.push(("chatDeleted", None, vec![id.into()]));
            if kind.is_none_or(|k| k == ChatKind::Group) {
                core_calls.push(("", Some("onChatroomDeleted"), vec![id.into()]));
            }
            chat_call = Some(("onDeleted", vec![]));
        }
        Event::Presence { user_id, online } => {
            let o = js_sys::Object::new();
            js::set(&o, "userId", &user_id.into());
            js::set(&o, "online", &(*online).into());
            js::set(
                &o,
                "status",
                &(if *online { "online" } else { "offline" }).into(),
            );
            core_calls.push(("presence", None, vec![o.clone().into()]));
            // every Chat object whose chat lists this member
            let chats: Vec<String> = {
                let core = c.core.borrow();
                c.chat_listeners
                    .borrow()
                    .values()
                    .map(|(id, _)| id.clone())
                    .filter(|id| {
                        core.chat(id)
                            .and_then(|e| e.info.as_ref())
                            .is_some_and(|i| i.member_ids.iter().any(|m| m == user_id))
                    })
                    .collect()
            };
            for id in chats {
                call_chat(c, &id, "onMemberStatusChanged", &[o.clone().into()]);
            }
        }
        Event::UserUpdated(u) => core_calls.push(("userUpdated", None, vec![u.clone()])),
        Event::Unread {
            chat_id,
            count,
            total,
        } => {
            // One per message from others: built only when someone listens.
            let heard = c.listeners.borrow().count("unreadChanged") > 0
                || c.chat_listeners
                    .borrow()
                    .values()
                    .any(|(id, l)| id == chat_id && l.listens("unreadChanged", "onUnreadChanged"));
            if !heard {
                return;
            }
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &chat_id.into());
            js::set(&o, "count", &(*count as f64).into());
            js::set(&o, "total", &(*total as f64).into());
            core_calls.push(("unreadChanged", None, vec![o.clone().into()]));
            chat_call = Some(("onUnreadChanged", vec![(*count as f64).into()]));
        }
        Event::Gap { chat_id } => {
            core_calls.push(("gap", None, vec![chat_id.into()]));
            chat_call = Some(("onGap", vec![]));
        }
        Event::Error(e) => core_calls.push(("error", Some("onError"), vec![js::error(e)])),
    }
    for (name, prop, args) in core_calls {
        let targets = c.listeners.borrow_mut().targets(name, prop);
        call_all(&targets, &args);
    }
    if let (Some(chat_id), Some((prop, args))) = (ev.chat_id(), chat_call) {
        call_chat(c, chat_id, prop, &args);
    }
}

/// Calls `prop` (and `on(prop-without-on)` listeners) of every `Chat` object of `chat_id`.
fn call_chat(c: &Rc<Client>, chat_id: &str, prop: &str, args: &[JsValue]) {
    if !c
        .chat_listeners
        .borrow()
        .values()
        .any(|(id, _)| id == chat_id)
    {
        return;
    }
    let mut event = prop.strip_prefix("on").unwrap_or(prop).to_owned();
    if let Some(first) = event.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    let targets: Vec<js_sys::Function> = c
        .chat_listeners
        .borrow_mut()
        .values_mut()
        .filter(|(id, _)| id == chat_id)
        .flat_map(|(_, l)| l.targets(&event, Some(prop)))
        .collect();
    call_all(&targets, args);
}
