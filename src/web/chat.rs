//! `Chat`: one chat as an object with its own methods and events (the users/conversations
//! service's chat object). Its listeners hear this chat only. Setting a listener (or
//! calling `connect()`) follows the chat: it is subscribed now and after every reconnect.
//! Its methods that are one REST call each and its read-only fields (`kind`, `name`, …) are
//! JavaScript on the class (`handlers.js`, over [`super::endpoints`]); the rest are here.

use chatix_protocol::frame::TypingFrame;
use chatix_protocol::{ApiError, ClientFrame};
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::client::Client;
use super::js;
use super::listeners::Listeners;
use super::ops::{history_checked, send_checked, Target};
use super::promise::run;

/// A chat.
#[wasm_bindgen(js_name = Chat)]
pub struct ChatHandle {
    client: Rc<Client>,
    id: String,
    handle: u64,
    /// The chat's object when wrapped (newer ones replace it in `Client::chats`).
    snapshot: JsValue,
}

impl ChatHandle {
    /// Wraps a chat object (recording it).
    pub fn wrap(c: &Rc<Client>, chat: JsValue) -> Result<ChatHandle, ApiError> {
        let info = c.remember_chat(&chat)?;
        let handle = c.next_chat.get();
        c.next_chat.set(handle + 1);
        Ok(ChatHandle {
            client: c.clone(),
            id: info.id,
            handle,
            snapshot: chat,
        })
    }

    /// Wraps and follows a chat.
    pub async fn open(c: &Rc<Client>, chat: JsValue) -> Result<JsValue, ApiError> {
        let h = ChatHandle::wrap(c, chat)?;
        c.follow(&h.id).await?;
        Ok(h.into())
    }

    /// The newest object of this chat.
    fn info(&self) -> JsValue {
        self.client
            .chats
            .borrow()
            .get(&self.id)
            .cloned()
            .unwrap_or_else(|| self.snapshot.clone())
    }

    fn field(&self, k: &str) -> JsValue {
        js::get(&self.info(), k)
    }

    fn follow_in_background(&self) {
        if self.client.core.borrow().follows(&self.id) || !self.client.running() {
            return;
        }
        let (c, id) = (self.client.clone(), self.id.clone());
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = c.follow(&id).await {
                c.apply(vec![crate::core::Effect::Emit(crate::core::Event::Error(
                    e,
                ))]);
            }
        });
    }

    fn listeners<R>(&self, f: impl FnOnce(&mut Listeners) -> R) -> R {
        let mut map = self.client.chat_listeners.borrow_mut();
        let entry = map
            .entry(self.handle)
            .or_insert_with(|| (self.id.clone(), Listeners::default()));
        f(&mut entry.1)
    }

    /// Sets (or clears, with null) the handler property `name` (one of `HANDLERS`).
    pub fn set_handler(&self, name: &'static str, f: JsValue) -> Result<(), JsValue> {
        let f = super::handlers::handler_value(name, f)?;
        let listening = f.is_some();
        self.listeners(|l| l.set_prop(name, f));
        if listening {
            self.follow_in_background();
        }
        Ok(())
    }

    /// The handler property `name`, or undefined.
    pub fn get_handler(&self, name: &str) -> JsValue {
        self.client
            .chat_listeners
            .borrow()
            .get(&self.handle)
            .and_then(|(_, l)| l.prop(name))
            .map(JsValue::from)
            .unwrap_or(JsValue::UNDEFINED)
    }

    fn typing(&self, typing: bool) -> Promise {
        let (c, id) = (self.client.clone(), self.id.clone());
        run(async move {
            c.request(|rid| {
                ClientFrame::Typing(TypingFrame {
                    id: Some(rid),
                    chat_id: id,
                    typing,
                    draft: None,
                })
            })
            .await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

#[wasm_bindgen(js_class = Chat)]
impl ChatHandle {
    /// The chat id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// Runs one of the REST methods `handlers.js` defines on `Chat` (`ENDPOINTS`: the spec
    /// and the method's arguments; see [`super::endpoints`]).
    #[wasm_bindgen(js_name = __rest, skip_typescript)]
    pub fn rest_js(&self, spec: &str, args: js_sys::Array) -> Promise {
        super::endpoints::rest(&self.client, Some(&self.id), spec, &args)
    }

    /// `startTyping()` / `stopTyping()` (`handlers.js` defines both over this one).
    #[wasm_bindgen(js_name = __typing, skip_typescript)]
    pub fn typing_js(&self, typing: bool) -> Promise {
        self.typing(typing)
    }

    /// The newest message known.
    #[wasm_bindgen(getter, js_name = lastMessage, unchecked_return_type = "Message | null")]
    pub fn last_message(&self) -> JsValue {
        let cached = self
            .client
            .core
            .borrow()
            .chat(&self.id)
            .and_then(|e| e.log.live().last().cloned());
        let fetched = self.field("lastMessage");
        let fetched_seq = js::get(&fetched, "seq").as_f64();
        match (cached, fetched_seq) {
            (Some(a), Some(b)) if a.seq as f64 >= b => a.obj,
            (Some(a), None) => a.obj,
            (_, Some(_)) => fetched,
            (None, None) => JsValue::NULL,
        }
    }

    /// Unread messages (kept current by live events).
    #[wasm_bindgen(getter)]
    pub fn unread(&self) -> f64 {
        self.client
            .core
            .borrow()
            .chat(&self.id)
            .map_or(0, |e| e.unread) as f64
    }

    /// Unseen messages that mention you (kept current by live events: `mentioned`,
    /// `setSeen`, a deleted mention).
    #[wasm_bindgen(getter, js_name = mentionCount)]
    pub fn mention_count(&self) -> f64 {
        self.client
            .core
            .borrow()
            .chat(&self.id)
            .map_or(0, |e| e.mentions) as f64
    }

    /// The chat's data as a plain object.
    #[wasm_bindgen(getter, unchecked_return_type = "ChatData")]
    pub fn data(&self) -> JsValue {
        self.info()
    }

    /// Messages cached for this chat (live and loaded), oldest first.
    #[wasm_bindgen(getter, js_name = cachedMessages, unchecked_return_type = "Message[]")]
    pub fn cached_messages(&self) -> JsValue {
        let list = js_sys::Array::new();
        if let Some(e) = self.client.core.borrow().chat(&self.id) {
            for m in e.log.live() {
                list.push(&m.obj);
            }
        }
        list.into()
    }

    /// Cursor history: `count` (1-100) messages before `lastMessageId`, oldest first.
    #[wasm_bindgen(js_name = getMessagesBefore, unchecked_return_type = "Promise<Message[]>")]
    pub fn get_messages_before(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] last_message_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] count: JsValue,
    ) -> Promise {
        let of = Ok(Target::Chat(self.id.clone()));
        history_checked(self.client.clone(), of, &last_message_id, &count)
    }

    /// `sendMessage({text?, file?, metadata?, replyTo?, whisper?, onProgress?})`: shown at
    /// once as pending; resolves when the server stored it (queued while offline).
    #[wasm_bindgen(js_name = sendMessage, unchecked_return_type = "Promise<Message>")]
    pub fn send_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SendMessageOptions")] options: JsValue,
    ) -> Promise {
        let to = Ok(Target::Chat(self.id.clone()));
        send_checked(self.client.clone(), to, &options, false)
    }

    /// Subscribes to this chat's events (now and after every reconnect).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> Promise {
        let (c, id) = (self.client.clone(), self.id.clone());
        run(async move {
            c.follow(&id).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Stops receiving this chat's events.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn disconnect(&self) -> Promise {
        let (c, id) = (self.client.clone(), self.id.clone());
        run(async move {
            c.unfollow(&id).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `release()`: removes this object's listeners.
    pub fn release(&self) {
        self.client
            .chat_listeners
            .borrow_mut()
            .swap_remove(&self.handle);
    }

    /// `on` / `once` (`handlers.js` defines both over this one): adds a listener for this
    /// chat (`message`, `messageUpdated`, …), called once when `once`; returns its remover.
    #[wasm_bindgen(js_name = __listen, skip_typescript)]
    pub fn listen_js(
        &self,
        event: JsValue,
        listener: JsValue,
        once: bool,
    ) -> Result<Function, JsValue> {
        self.listen(event, listener, once)
    }

    /// Removes a listener (or all of an event).
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: JsValue, listener: JsValue) -> Result<(), JsValue> {
        let (name, f) = super::listeners::off_args(&event, listener)?;
        self.listeners(|l| l.remove(&name, f.as_ref()));
        Ok(())
    }
}

impl ChatHandle {
    fn listen(&self, event: JsValue, listener: JsValue, once: bool) -> Result<Function, JsValue> {
        let (name, f) =
            super::listeners::checked(&event, listener, super::types::CHAT_EVENTS, "chat event")?;
        let id = self.listeners(|l| l.add(&name, f, once));
        self.follow_in_background();
        let (weak, handle) = (Rc::downgrade(&self.client), self.handle);
        let off = Closure::once_into_js(move || {
            if let Some(c) = weak.upgrade() {
                if let Some((_, l)) = c.chat_listeners.borrow_mut().get_mut(&handle) {
                    l.remove_id(&name, id);
                }
            }
        });
        Ok(off.unchecked_into())
    }
}

super::handlers::handler_props!(ChatHandle as "Chat": crate::core::routes::CHAT_HANDLERS, crate::core::routes::CHAT_HANDLERS_TS);
