//! `ChatixCore`: the SDK object (`new ChatixCore(websiteId, options)`, and
//! `chatixWidget.core` in the widget). Every method of `API.md` §2-4 under its known name;
//! async methods return Promises that reject with a `ChatixError` carrying a stable `code`.
//! The methods that are one REST call each are JavaScript on the class (`handlers.js`, over
//! [`super::endpoints`]); the rest are here.

use chatix_protocol::frame::TypingFrame;
use chatix_protocol::rest::UpdateUserRequest;
use chatix_protocol::{ApiError, ClientFrame, ErrorCode};
use gloo_net::http::Method;
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::chat::ChatHandle;
use super::client::{Auth, Client};
use super::js::{self, arg};
use super::ops::{avatar_url, blob, conversation, fetch_conversation, upload, Target};
use super::promise::{checked, run};
use super::storage;
use crate::core::args;

mod conversation;

/// The Chatix SDK.
#[wasm_bindgen]
pub struct ChatixCore {
    pub(crate) client: Rc<Client>,
}

/// The visitor's conversation, or the chatroom `id` (a non-empty string).
fn target(conversation: bool, id: &JsValue) -> Result<Target, ApiError> {
    Ok(if conversation {
        Target::Conversation
    } else {
        Target::Chat(args::string("chatroomId", &arg(id))?)
    })
}

#[wasm_bindgen]
impl ChatixCore {
    /// `new ChatixCore(websiteId, visitorId?)` or `new ChatixCore(websiteId, options)`.
    /// Throws a `ChatixError` (`invalid_argument`) on a bad argument.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] website_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | ChatixOptions | undefined")]
        options: JsValue,
    ) -> Result<ChatixCore, JsValue> {
        Self::build(website_id, options).map_err(|e| js::error(&e))
    }

    fn build(website_id: JsValue, options: JsValue) -> Result<ChatixCore, ApiError> {
        let website_id = args::string("websiteId", &arg(&website_id))?;
        let options = if let Some(id) = options.as_string() {
            let o = js_sys::Object::new();
            js::set(&o, "visitorId", &id.into());
            o.into()
        } else {
            options
        };
        let o = js::options(
            "options",
            &options,
            &[
                "serverUrl",
                "token",
                "tokenProvider",
                "consultant",
                "visitorId",
                "visitorSecret",
                "persistVisitor",
            ],
        )?;
        let base = match args::opt_string("options.serverUrl", &arg(&js::get(&o, "serverUrl")))? {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                u.trim_end_matches('/').to_owned()
            }
            Some(u) => {
                return Err(args::invalid(format!(
                    "options.serverUrl \"{u}\" must start with http:// or https://"
                )))
            }
            None => web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .ok_or_else(|| args::invalid("options.serverUrl is required outside a page"))?,
        };
        let provider = js::get(&o, "tokenProvider");
        let provider = match arg(&provider) {
            a if a.is_absent() => None,
            args::Arg::Other("function") => Some(provider.unchecked_into::<Function>()),
            other => {
                return Err(args::invalid(format!(
                    "options.tokenProvider must be a function, got {}",
                    other.kind()
                )))
            }
        };
        let token = args::opt_string("options.token", &arg(&js::get(&o, "token")))?;
        let consultant = js::get(&o, "consultant");
        let auth = if !consultant.is_undefined() && !consultant.is_null() {
            let c = js::options("options.consultant", &consultant, &["username", "password"])?;
            Auth::Consultant {
                username: args::string(
                    "options.consultant.username",
                    &arg(&js::get(&c, "username")),
                )?,
                password: args::string(
                    "options.consultant.password",
                    &arg(&js::get(&c, "password")),
                )?,
            }
        } else if token.is_some() || provider.is_some() {
            Auth::Token {
                token: token.unwrap_or_default(),
                provider,
            }
        } else {
            let persist = match arg(&js::get(&o, "persistVisitor")) {
                args::Arg::Bool(b) => b,
                a if a.is_absent() => true,
                other => {
                    return Err(args::invalid(format!(
                        "options.persistVisitor must be a boolean, got {}",
                        other.kind()
                    )))
                }
            };
            Auth::Visitor {
                visitor_id: args::opt_string("visitorId", &arg(&js::get(&o, "visitorId")))?,
                visitor_secret: args::opt_string(
                    "options.visitorSecret",
                    &arg(&js::get(&o, "visitorSecret")),
                )?,
                persist,
            }
        };
        Ok(ChatixCore {
            client: Client::new(website_id, base, auth),
        })
    }

    /// Authenticates and connects; resolves with the signed-in user once the socket is
    /// open (it keeps reconnecting by itself afterwards).
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn start(&self) -> Promise {
        run(start(self.client.clone()))
    }

    /// Closes the connection for good; pending sends reject with `network`. A started
    /// client stays alive (connected, delivering to its listeners) until `stop()`, even
    /// when the page keeps no reference to it.
    pub fn stop(&self) {
        self.client.stop();
    }

    /// The users/conversations service's `connectUser({username, name, avatar})`. Chatix
    /// needs a token your backend signed (`options.token` or `tokenProvider`): the user is
    /// signed in with it, and their name and avatar are updated when they differ.
    #[wasm_bindgen(js_name = connectUser, unchecked_return_type = "Promise<User>")]
    pub fn connect_user(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ username: string; name?: string; avatar?: string | File }"
        )]
        user: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        let token_auth = matches!(&*c.auth.borrow(), Auth::Token { .. });
        checked(
            || {
                if !token_auth {
                    return Err(ApiError::new(ErrorCode::Unauthorized, "connectUser needs a token signed by your backend (options.token or options.tokenProvider); Chatix never accepts an app-wide key in the browser"));
                }
                let o = js::options("user", &user, &["username", "name", "avatar"])?;
                let username = js::username("user.username", &js::get(&o, "username"))?;
                let name = args::opt_string("user.name", &arg(&js::get(&o, "name")))?;
                Ok((username, name, js::get(&o, "avatar")))
            },
            move |(username, name, avatar)| async move {
                start(c.clone()).await?;
                let me = c.me_obj.borrow().clone();
                let me_name = js::get(&me, "username").as_string().unwrap_or_default();
                if me_name != username {
                    return Err(ApiError::new(
                        ErrorCode::Unauthorized,
                        format!("the token is for \"{me_name}\", not \"{username}\""),
                    ));
                }
                let avatar = avatar_url(&c, avatar).await?;
                let old_name = js::get(&me, "name").as_string();
                let changed = name.is_some() && name != old_name || avatar.is_some();
                let u = if changed {
                    let req = UpdateUserRequest {
                        name,
                        avatar,
                        email: None,
                        metadata: None,
                    };
                    c.rest(Method::PATCH, "/v1/me", Some(&req)).await?
                } else {
                    me
                };
                Ok(c.user(u))
            },
        )
    }

    /// `connecting`, `open`, `reconnecting` or `closed`.
    #[wasm_bindgen(getter, js_name = connectionState, unchecked_return_type = "ConnectionState")]
    pub fn connection_state(&self) -> String {
        self.client.state().as_str().to_owned()
    }

    /// The signed-in user (after `start()`), or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "User | null")]
    pub fn me(&self) -> JsValue {
        self.client.me_obj.borrow().clone()
    }

    /// The website id.
    #[wasm_bindgen(getter, js_name = websiteId)]
    pub fn website_id(&self) -> String {
        self.client.website_id.clone()
    }

    /// The server URL in use.
    #[wasm_bindgen(getter, js_name = serverUrl)]
    pub fn server_url(&self) -> String {
        self.client.base.clone()
    }

    /// The session token (for calling the REST API directly).
    #[wasm_bindgen(getter, unchecked_return_type = "string | null")]
    pub fn token(&self) -> JsValue {
        self.client
            .token()
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL)
    }

    /// Forgets the stored visitor (the next start creates a new one).
    #[wasm_bindgen(js_name = forgetVisitor)]
    pub fn forget_visitor(&self) {
        storage::clear(&self.client.website_id);
    }

    // ---------------------------------------------------------------- events

    /// `on` / `once` (`handlers.js` defines both over this one): adds a listener, called
    /// once when `once`; returns a function that removes it.
    #[wasm_bindgen(js_name = __listen, skip_typescript)]
    pub fn listen_js(
        &self,
        event: JsValue,
        listener: JsValue,
        once: bool,
    ) -> Result<Function, JsValue> {
        let (name, f) =
            super::listeners::checked(&event, listener, super::types::CORE_EVENTS, "event")?;
        let id = self.client.listeners.borrow_mut().add(&name, f, once);
        let weak = Rc::downgrade(&self.client);
        let off = Closure::once_into_js(move || {
            if let Some(c) = weak.upgrade() {
                c.listeners.borrow_mut().remove_id(&name, id);
            }
        });
        Ok(off.unchecked_into())
    }

    /// Removes a listener (or every listener of the event when none is given).
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: JsValue, listener: JsValue) -> Result<(), JsValue> {
        let (name, f) = super::listeners::off_args(&event, listener)?;
        self.client.listeners.borrow_mut().remove(&name, f.as_ref());
        Ok(())
    }

    /// Unread messages in one chat, or across every chat known (no argument).
    #[wasm_bindgen(js_name = getUnreadCount)]
    pub fn get_unread_count(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] chat_id: JsValue,
    ) -> f64 {
        let core = self.client.core.borrow();
        match chat_id.as_string() {
            Some(id) => core.chat(&id).map_or(0, |e| e.unread) as f64,
            None => core.total_unread() as f64,
        }
    }

    /// Messages sent but not yet confirmed by the server (shown as pending).
    #[wasm_bindgen(js_name = getPendingMessages, unchecked_return_type = "PendingSend[]")]
    pub fn get_pending_messages(&self) -> JsValue {
        let core = self.client.core.borrow();
        let list = js_sys::Array::new();
        for p in core.pending_sends() {
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &p.chat_id.as_str().into());
            js::set(&o, "clientId", &p.client_id().into());
            js::set(
                &o,
                "text",
                &p.req.text.as_deref().map_or(JsValue::NULL, Into::into),
            );
            list.push(&o);
        }
        list.into()
    }

    /// Approximate bytes held by the message cache (for memory measurements).
    #[wasm_bindgen(js_name = cacheBytes)]
    pub fn cache_bytes(&self) -> f64 {
        self.client.core.borrow().approx_cache_bytes() as f64
    }

    /// Runs one of the REST methods `handlers.js` defines on `ChatixCore` (`ENDPOINTS`: the
    /// spec and the method's arguments; see [`super::endpoints`]).
    #[wasm_bindgen(js_name = __rest, skip_typescript)]
    pub fn rest_js(&self, spec: &str, args: js_sys::Array) -> Promise {
        super::endpoints::rest(&self.client, None, spec, &args)
    }

    /// The four send methods `handlers.js` defines (`sendChatroomTextMessage`, …): to the
    /// chatroom `id`, or to the visitor's conversation (`conversation`); `options` as
    /// `Chat.sendMessage`'s, a file required when `needs_file`.
    #[wasm_bindgen(js_name = __send, skip_typescript)]
    pub fn send_js(
        &self,
        conversation: bool,
        needs_file: bool,
        id: JsValue,
        options: JsValue,
    ) -> Promise {
        let to = target(conversation, &id);
        super::ops::send_checked(self.client.clone(), to, &options, needs_file)
    }

    /// The two cursor history methods `handlers.js` defines (`getChatroomMessages`,
    /// `getConversationMessages`): of the chatroom `id`, or of the visitor's conversation.
    #[wasm_bindgen(js_name = __history, skip_typescript)]
    pub fn history_js(
        &self,
        conversation: bool,
        id: JsValue,
        last_message_id: JsValue,
        count: JsValue,
    ) -> Promise {
        let of = target(conversation, &id);
        super::ops::history_checked(self.client.clone(), of, &last_message_id, &count)
    }

    /// `connectToChatroom` / `disconnectFromChatroom` (`handlers.js`): follows the chatroom
    /// `id` (kept across reconnects, with nothing missed), or stops following it (an error
    /// when it was not followed).
    #[wasm_bindgen(js_name = __follow, skip_typescript)]
    pub fn follow_js(&self, id: JsValue, follow: bool) -> Promise {
        let c = self.client.clone();
        checked(
            || args::string("chatroomId", &arg(&id)),
            move |id| async move {
                if follow {
                    c.follow(&id).await?;
                } else if c.core.borrow().follows(&id) {
                    c.unfollow(&id).await?;
                } else {
                    return Err(args::invalid(format!("not connected to chatroom \"{id}\"")));
                }
                Ok(JsValue::UNDEFINED)
            },
        )
    }

    /// Closes the socket now; the SDK reconnects and resumes by itself (use when the app
    /// knows the network changed).
    pub fn reconnect(&self) {
        self.client.drop_connection();
    }
}

/// `start()`: authenticate, connect, and (for app users) follow the most recent chats.
async fn start(c: Rc<Client>) -> Result<JsValue, ApiError> {
    if !c.running() {
        if c.starting.replace(true) {
            c.wait_open().await?;
        } else {
            if let Auth::Token { token, provider } = &*c.auth.borrow() {
                if token.is_empty() && provider.is_none() {
                    return Err(args::invalid("options.token is empty"));
                }
            }
            let needs_token =
                matches!(&*c.auth.borrow(), Auth::Token { token, .. } if token.is_empty());
            if needs_token {
                c.renew().await.inspect_err(|_| c.starting.set(false))?;
            }
            // An app user (a token) follows their most recent chats, so that onChat hears
            // every chat: the `auth` frame asks the server to (`followRecent`), and `ready`
            // lists them already subscribed, with no `GET /v1/chats` and no `subscribe`
            // round trip. (Whether the token is an app user's, `ready` says.)
            let token = matches!(&*c.auth.borrow(), Auth::Token { .. });
            let r = c.authenticate().await;
            c.starting.set(false);
            r?;
            c.follow_recent.set(token);
            c.recent_followed.set(false);
            c.run();
            c.wait_open().await?;
            if c.core.borrow().auto_follow && !c.recent_followed.get() {
                // A server that could not list them said `ready` without them: list and
                // follow them here.
                let p = c.rest::<()>(Method::GET, "/v1/chats", None).await?;
                let mut ids = Vec::new();
                for ch in js_sys::Array::from(&js::get(&p, "chats")).iter() {
                    ids.push(c.remember_chat(&ch)?.id);
                }
                c.follow_all(ids).await?;
            }
        }
    }
    let me = c.me_obj.borrow().clone();
    Ok(me)
}

super::handlers::handler_props!(ChatixCore as "ChatixCore": crate::core::routes::CORE_HANDLERS, crate::core::routes::CORE_HANDLERS_TS);

impl ChatixCore {
    /// Sets (or clears, with null) the handler property `name` (one of `HANDLERS`).
    pub fn set_handler(&self, name: &'static str, f: JsValue) -> Result<(), JsValue> {
        let f = super::handlers::handler_value(name, f)?;
        self.client.listeners.borrow_mut().set_prop(name, f);
        Ok(())
    }

    /// The handler property `name`, or undefined.
    pub fn get_handler(&self, name: &str) -> JsValue {
        self.client
            .listeners
            .borrow()
            .prop(name)
            .map(JsValue::from)
            .unwrap_or(JsValue::UNDEFINED)
    }
}
