//! `Client`: the state one `ChatixCore` shares with its `Chat` objects, its socket and its
//! timers. It owns the browser resources and carries out the core's effects; it holds no
//! chat logic of its own (that is in [`crate::core`]).
//!
//! Lifetime: a started client lives until `stop()` (or a revoked session), even when the
//! page drops every reference to its `ChatixCore`: [`LIVE`] holds it, as a browser keeps an
//! open WebSocket alive. Its socket callbacks hold only weak references.
//!
//! Borrow discipline: no `RefCell` borrow is held across an `.await` or while a JS
//! listener runs (a listener may call back into the SDK).

use chatix_protocol::frame::AckBody;
use chatix_protocol::limits::Limits;
use chatix_protocol::{ApiError, ChatKind, ClientFrame, ErrorCode, Role};
use futures_channel::oneshot;
use futures_util::future::{select, Either};
use gloo_net::http::Method;
use rustc_hash::FxHashMap as HashMap;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use vecmap::VecMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::body::ToJs;
use super::dispatch;
use super::http;
use super::js;
use super::listeners::Listeners;
use super::wire::{self, Interner, Js, JsMsg};
use crate::core::{ConnState, Core, Frame};

/// The core's effects, with messages as JS objects.
pub type Effect = crate::core::Effect<Js>;
pub use super::dispatch::Event;

thread_local! {
    /// Clients between start and stop: garbage collection of their JS object must not end
    /// a live connection (its listeners would silently stop hearing anything).
    static LIVE: RefCell<Vec<Rc<Client>>> = const { RefCell::new(Vec::new()) };
}

/// How long a request waits for the socket to open, and then for its answer, ms.
pub const REQUEST_TIMEOUT_MS: u32 = 15_000;

/// How the SDK authenticates.
#[derive(Clone)]
pub enum Auth {
    /// An anonymous visitor (id and secret remembered in localStorage unless disabled).
    Visitor {
        /// Stored or given visitor id.
        visitor_id: Option<String>,
        /// Its secret.
        visitor_secret: Option<String>,
        /// Remember them in localStorage.
        persist: bool,
    },
    /// A token signed by the app's backend (or a session token), refreshed by the provider.
    Token {
        /// Current token.
        token: String,
        /// Called for a new token when this one expires or is refused.
        provider: Option<js_sys::Function>,
    },
    /// A consultant's login.
    Consultant {
        /// Login.
        username: String,
        /// Password.
        password: String,
    },
}

/// Who waits for a send's outcome.
type SendWaiter = oneshot::Sender<Result<JsMsg, ApiError>>;

/// Everything a `ChatixCore` shares.
pub struct Client {
    /// Website public id.
    pub website_id: String,
    /// Server base URL, no trailing slash.
    pub base: String,
    /// How to authenticate.
    pub auth: RefCell<Auth>,
    /// The session token and its expiry (ms), once authenticated.
    pub token: RefCell<Option<(String, i64)>>,
    /// The sans-I/O core.
    pub core: RefCell<Core<Js>>,
    /// The signed-in user's object (`me`).
    pub me_obj: RefCell<JsValue>,
    /// The newest object of every chat seen, by id (URLs absolute).
    pub chats: RefCell<HashMap<String, JsValue>>,
    /// Chat and sender ids shared by the messages that repeat them.
    pub names: RefCell<Interner>,
    /// Listeners of the `ChatixCore`.
    pub listeners: RefCell<Listeners>,
    /// Listeners of `Chat` objects: handle → (chat id, listeners).
    pub chat_listeners: RefCell<VecMap<u64, (String, Listeners)>>,
    /// Next `Chat` handle.
    pub next_chat: Cell<u64>,
    /// Limits the server announced.
    pub limits: RefCell<Option<Limits>>,
    /// The socket, and the generation the core gave it.
    ws: RefCell<Option<(u32, Socket)>>,
    waiters: RefCell<VecMap<u64, oneshot::Sender<Result<AckBody, ApiError>>>>,
    sends: RefCell<VecMap<String, Vec<SendWaiter>>>,
    open_waiters: RefCell<Vec<oneshot::Sender<()>>>,
    /// In [`LIVE`] (between start and stop, or the end of the session).
    live: Cell<bool>,
    heartbeat: RefCell<Option<gloo_timers::callback::Interval>>,
    /// The page's `online`, `offline` and `visibilitychange` listener, while running.
    page: RefCell<Option<PageEvents>>,
    /// The visitor's conversation id, once known (sends and `visitorType` need no lookup).
    pub conversation: RefCell<Option<String>>,
    /// Why the client stopped by itself (a refused session), for a start() still waiting.
    pub fatal: RefCell<Option<ApiError>>,
    /// A start() in progress, so concurrent calls share it.
    pub starting: Cell<bool>,
    /// Ask the server, in the next `auth` frame, to follow the most recent chats
    /// (`followRecent`): start()'s first connection, until a `ready` comes.
    pub follow_recent: Cell<bool>,
    /// The last `ready` listed the chats the server followed (`recent`).
    pub recent_followed: Cell<bool>,
}

struct Socket {
    ws: web_sys::WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_close: Closure<dyn FnMut(web_sys::CloseEvent)>,
}

/// The window's `online`, `offline` and `visibilitychange` listener (removed when dropped).
struct PageEvents(Closure<dyn FnMut(web_sys::Event)>);

const PAGE_EVENTS: [&str; 3] = ["online", "offline", "visibilitychange"];

impl PageEvents {
    /// Tells the core what the page says of the network and of its visibility.
    fn listen(c: &Rc<Client>) -> Option<PageEvents> {
        let weak = Rc::downgrade(c);
        let f = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(c) = weak.upgrade() else { return };
            let now = js::now();
            let fx = match e.type_().as_str() {
                "online" => c.core.borrow_mut().network(true, now),
                "offline" => c.core.borrow_mut().network(false, now),
                _ if page_visible() => c.core.borrow_mut().visible(now),
                _ => return,
            };
            c.apply(fx);
        });
        let w = web_sys::window()?;
        for t in PAGE_EVENTS {
            let _ = w.add_event_listener_with_callback(t, f.as_ref().unchecked_ref());
        }
        Some(PageEvents(f))
    }
}

impl Drop for PageEvents {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            for t in PAGE_EVENTS {
                let _ = w.remove_event_listener_with_callback(t, self.0.as_ref().unchecked_ref());
            }
        }
    }
}

/// Whether the page is visible (`document.visibilityState`; `visibilitychange` bubbles to
/// the window, where the SDK listens).
fn page_visible() -> bool {
    let Some(w) = web_sys::window() else {
        return true;
    };
    let doc = js_sys::Reflect::get(&w, &"document".into()).unwrap_or_default();
    js::get(&doc, "visibilityState").as_string().as_deref() != Some("hidden")
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

fn ws_url(base: &str) -> String {
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    }
}

/// Waits for `rx`, at most `ms`.
pub async fn with_timeout<T>(rx: oneshot::Receiver<T>, ms: u32) -> Option<T> {
    let timer = gloo_timers::future::TimeoutFuture::new(ms);
    match select(rx, timer).await {
        Either::Left((Ok(v), _)) => Some(v),
        _ => None,
    }
}

impl Client {
    /// A client that has not started.
    pub fn new(website_id: String, base: String, auth: Auth) -> Rc<Client> {
        let mut core = Core::new();
        // clients restarted together must not reconnect together
        core.seed((js_sys::Math::random() * 9_007_199_254_740_992.0) as u64);
        Rc::new(Client {
            website_id,
            base,
            auth: RefCell::new(auth),
            token: RefCell::new(None),
            core: RefCell::new(core),
            me_obj: RefCell::new(JsValue::NULL),
            chats: RefCell::new(HashMap::default()),
            names: RefCell::new(Interner::default()),
            listeners: RefCell::new(Listeners::default()),
            chat_listeners: RefCell::new(VecMap::new()),
            next_chat: Cell::new(1),
            limits: RefCell::new(None),
            ws: RefCell::new(None),
            waiters: RefCell::new(VecMap::new()),
            sends: RefCell::new(VecMap::new()),
            open_waiters: RefCell::new(Vec::new()),
            live: Cell::new(false),
            heartbeat: RefCell::new(None),
            page: RefCell::new(None),
            conversation: RefCell::new(None),
            fatal: RefCell::new(None),
            starting: Cell::new(false),
            follow_recent: Cell::new(false),
            recent_followed: Cell::new(false),
        })
    }

    /// Whether `start()` succeeded, `stop()` was not called and the session did not end.
    pub fn running(&self) -> bool {
        self.core.borrow().running()
    }

    /// Keeps the client in [`LIVE`] while it runs, or takes it out.
    fn set_live(self: &Rc<Self>, on: bool) {
        if self.live.replace(on) == on {
            return;
        }
        LIVE.with(|live| {
            let mut live = live.borrow_mut();
            if on {
                live.push(self.clone());
            } else {
                live.retain(|c| !Rc::ptr_eq(c, self));
            }
        });
    }

    /// The session token (after `start()`).
    pub fn token(&self) -> Result<String, ApiError> {
        self.token
            .borrow()
            .as_ref()
            .map(|(t, _)| t.clone())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "call start() first: the SDK has no session yet",
                )
            })
    }

    /// Holds a new session token; the core renews it before it expires.
    fn set_token(&self, token: String, expires_at: i64) {
        let known = (expires_at != i64::MAX).then_some(expires_at);
        self.core.borrow_mut().set_token_expiry(known, js::now());
        *self.token.borrow_mut() = Some((token, expires_at));
    }

    /// One REST call with the session token; a refused token is renewed once and the call
    /// retried.
    pub async fn rest<B: ToJs>(
        self: &Rc<Self>,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<JsValue, ApiError> {
        let (status, text) = self.rest_text(method, path, http::json_body(body)?).await?;
        http::parse_js(status, &text)
    }

    /// One REST call whose answer stays a JS value (see [`Client::rest`]).
    pub async fn rest_js(
        self: &Rc<Self>,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<JsValue, ApiError> {
        let (status, text) = self.rest_text(method, path, body).await?;
        http::parse_js(status, &text)
    }

    /// Records a chat object (its URLs made absolute in place): what the core keeps, and
    /// the newest object of the chat.
    pub fn remember_chat(&self, o: &JsValue) -> Result<crate::core::ChatInfo, ApiError> {
        let info = wire::chat(&self.base, o, &mut self.names.borrow_mut()).map_err(bad_answer)?;
        self.chats.borrow_mut().insert(info.id.clone(), o.clone());
        self.core.borrow_mut().set_chat(info.clone());
        Ok(info)
    }

    /// A user object with an absolute avatar URL (in place).
    pub fn user(&self, u: JsValue) -> JsValue {
        let _ = wire::user(&self.base, &u);
        u
    }

    /// An array of user objects, each with an absolute avatar URL (in place).
    pub fn users(&self, list: JsValue) -> JsValue {
        for u in js_sys::Array::from(&list).iter() {
            let _ = wire::user(&self.base, &u);
        }
        list
    }

    /// Messages of a REST answer as the core keeps them (defaults and URLs as on the
    /// socket); the objects are the ones handed to the application.
    pub fn js_messages(&self, list: &JsValue) -> Vec<JsMsg> {
        let mut names = self.names.borrow_mut();
        let list = js_sys::Array::from(list);
        let mut out = Vec::new();
        for (i, m) in list.iter().enumerate() {
            if let Some(m) = JsMsg::new(m, &JsValue::UNDEFINED, &self.base, &mut names) {
                // the caller hands out the same objects the cache holds
                list.set(i as u32, m.obj.clone());
                out.push(m);
            }
        }
        out
    }

    async fn rest_text(
        self: &Rc<Self>,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, JsValue), ApiError> {
        let token = self.token()?;
        let (status, text) =
            http::call_text(&self.base, Some(&token), method.clone(), path, body.clone()).await?;
        if status == 401 && self.renew().await.is_ok() {
            let token = self.token()?;
            return http::call_text(&self.base, Some(&token), method, path, body).await;
        }
        Ok((status, text))
    }

    /// Authenticates according to [`Auth`]; returns the user object.
    pub async fn authenticate(self: &Rc<Self>) -> Result<JsValue, ApiError> {
        let auth = self.auth.borrow().clone();
        let (token, expires_at, user) = match auth {
            Auth::Visitor {
                visitor_id,
                visitor_secret,
                persist,
            } => {
                let (id, secret) = match (visitor_id, visitor_secret) {
                    (Some(i), Some(s)) => (Some(i), Some(s)),
                    (given, _) if persist => match super::storage::load(&self.website_id) {
                        Some((i, s)) if given.as_ref().is_none_or(|g| *g == i) => {
                            (Some(i), Some(s))
                        }
                        _ => (given, None),
                    },
                    (given, _) => (given, None),
                };
                let req = chatix_protocol::rest::VisitorSessionRequest {
                    website_id: self.website_id.clone(),
                    visitor_id: id.clone(),
                    visitor_secret: secret.clone(),
                };
                let s = http::call(
                    &self.base,
                    None,
                    Method::POST,
                    "/v1/auth/visitor",
                    Some(&req),
                )
                .await?;
                let (token, exp, user) = session(&s)?;
                let secret = js::get(&s, "visitorSecret").as_string().or(secret);
                if let Some(secret) = &secret {
                    let username = js::get(&user, "username").as_string().unwrap_or_default();
                    if persist {
                        super::storage::save(&self.website_id, &username, secret);
                    }
                    *self.auth.borrow_mut() = Auth::Visitor {
                        visitor_id: Some(username),
                        visitor_secret: Some(secret.clone()),
                        persist,
                    };
                }
                (token, exp, user)
            }
            Auth::Consultant { username, password } => {
                let req = chatix_protocol::rest::ConsultantLoginRequest {
                    website_id: self.website_id.clone(),
                    username,
                    password,
                };
                let s = http::call(
                    &self.base,
                    None,
                    Method::POST,
                    "/v1/auth/consultant",
                    Some(&req),
                )
                .await?;
                session(&s)?
            }
            Auth::Token { token, .. } => {
                // No round trip: the socket's `ready` frame says who the token is. A token
                // the server refuses closes the socket before `ready`, and the session check
                // that follows rejects start() with the server's reason.
                let exp = token_expiry(&token).unwrap_or(i64::MAX);
                self.set_token(token, exp);
                return Ok(JsValue::NULL);
            }
        };
        let me = wire::me(&self.base, &user).map_err(bad_answer)?;
        self.set_token(token, expires_at);
        *self.me_obj.borrow_mut() = user.clone();
        self.core.borrow_mut().set_me(me);
        Ok(user)
    }

    /// Gets a new token: refresh for visitors and consultants, the provider for app users
    /// (or a fresh visitor/consultant session when refresh is refused).
    pub async fn renew(self: &Rc<Self>) -> Result<(), ApiError> {
        let auth = self.auth.borrow().clone();
        match auth {
            Auth::Token {
                provider: Some(p), ..
            } => {
                let v = p
                    .call0(&JsValue::NULL)
                    .map_err(|e| js::from_thrown(ErrorCode::Unauthorized, &e))?;
                let v = match v.dyn_into::<js_sys::Promise>() {
                    Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
                        .await
                        .map_err(|e| js::from_thrown(ErrorCode::Unauthorized, &e))?,
                    Err(v) => v,
                };
                let token = v.as_string().ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unauthorized,
                        "tokenProvider must return a token string (or a Promise of one)",
                    )
                })?;
                *self.auth.borrow_mut() = Auth::Token {
                    token: token.clone(),
                    provider: Some(p),
                };
                let exp = token_expiry(&token).unwrap_or(i64::MAX);
                self.set_token(token, exp);
                Ok(())
            }
            Auth::Token { provider: None, .. } => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "the token was refused or expired and no tokenProvider was given to renew it",
            )),
            _ => {
                let old = self.token()?;
                let r = http::call::<()>(
                    &self.base,
                    Some(&old),
                    Method::POST,
                    "/v1/auth/refresh",
                    None,
                )
                .await
                .and_then(|s| session(&s));
                match r {
                    Ok((token, exp, _)) => {
                        self.set_token(token, exp);
                        Ok(())
                    }
                    Err(e) if e.code == ErrorCode::Unauthorized => {
                        self.authenticate().await.map(|_| ())
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Starts the connection loop (after authentication).
    pub fn run(self: &Rc<Self>) {
        if self.running() {
            return;
        }
        *self.fatal.borrow_mut() = None;
        self.set_live(true);
        let fx = self.core.borrow_mut().start(js::now());
        self.apply(fx);
        *self.page.borrow_mut() = PageEvents::listen(self);
        let weak = Rc::downgrade(self);
        *self.heartbeat.borrow_mut() =
            Some(gloo_timers::callback::Interval::new(1_000, move || {
                if let Some(c) = weak.upgrade() {
                    let fx = c.core.borrow_mut().tick(js::now());
                    c.apply(fx);
                }
            }));
    }

    /// Opens the socket of `gen` (the core's [`Effect::Connect`]).
    fn connect(self: &Rc<Self>, gen: u32) {
        self.ws.borrow_mut().take();
        let Ok(token) = self.token() else {
            return self.on_closed(gen, 1006, "no session token".into());
        };
        // The URL names the website (the server checks the page's Origin against its
        // list before the upgrade); the token goes in the first frame, never in the URL.
        // batch=1: the server may write several queued frames as one JSON array.
        let url = format!(
            "{}/v1/ws?website={}&batch=1",
            ws_url(&self.base),
            String::from(js_sys::encode_uri_component(&self.website_id))
        );
        let Ok(ws) = web_sys::WebSocket::new(&url) else {
            return self.on_closed(gen, 1006, "the socket could not be opened".into());
        };
        let auth = format!(
            "{{\"type\":\"auth\",\"token\":{}{}}}",
            wire::stringify(&JsValue::from_str(&token)).unwrap_or_default(),
            if self.follow_recent.get() {
                ",\"followRecent\":true"
            } else {
                ""
            }
        );
        let opened = ws.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            let _ = opened.send_with_str(&auth);
        });
        let weak: Weak<Client> = Rc::downgrade(self);
        let on_message = Closure::<dyn FnMut(_)>::new(move |e: web_sys::MessageEvent| {
            let Some(c) = weak.upgrade() else { return };
            if c.ws.borrow().as_ref().is_some_and(|(g, _)| *g == gen) {
                c.on_data(&e.data());
            }
        });
        let weak: Weak<Client> = Rc::downgrade(self);
        let on_close = Closure::<dyn FnMut(_)>::new(move |e: web_sys::CloseEvent| {
            if let Some(c) = weak.upgrade() {
                c.on_closed(gen, e.code(), e.reason());
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let socket = Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        };
        *self.ws.borrow_mut() = Some((gen, socket));
    }

    /// One socket message: a frame, or a batch of frames in order.
    fn on_data(self: &Rc<Self>, data: &JsValue) {
        let Some(v) = wire::parse(data) else {
            warn("ignoring a frame that is not JSON");
            return;
        };
        for f in wire::frames(v) {
            let Some(ty) = wire::frame_type(&f) else {
                warn("ignoring a frame without a type");
                continue;
            };
            if ty == "messages" {
                let Some((chat, list)) = wire::joined(&f) else {
                    warn("ignoring a messages frame without a messages array");
                    continue;
                };
                for m in list.iter() {
                    let Some(m) = wire::joined_message(m, &chat, self.as_ref()) else {
                        warn("ignoring an unreadable message of a messages frame");
                        continue;
                    };
                    let fx = self
                        .core
                        .borrow_mut()
                        .on_frame(Frame::Message(m), js::now());
                    self.apply(fx);
                }
                continue;
            }
            let frame = match wire::decode(&f, &ty, self.as_ref()) {
                Ok(f) => f,
                Err(e) => {
                    warn(&e);
                    continue;
                }
            };
            let fx = self.core.borrow_mut().on_frame(frame, js::now());
            self.apply(fx);
        }
    }

    /// The socket of `gen` closed (or could not open): the core decides what follows.
    fn on_closed(self: &Rc<Self>, gen: u32, code: u16, reason: String) {
        {
            let mut ws = self.ws.borrow_mut();
            if ws.as_ref().is_some_and(|(g, _)| *g == gen) {
                ws.take();
            }
        }
        // A server older than `followRecent` refuses the auth frame that asks for it (4001,
        // before any `ready`): the next attempt asks without, and start() lists the chats
        // over REST. (An expired token refused the same way costs only that shortcut.)
        if code == chatix_protocol::close::UNAUTHORIZED {
            self.follow_recent.set(false);
        }
        let fx = self
            .core
            .borrow_mut()
            .socket_closed(gen, code, &reason, js::now());
        self.apply(fx);
    }

    /// Asks the server whether it still takes the token (renewing it if not), or renews it
    /// at once (`renew`): the core's [`Effect::CheckSession`].
    async fn check_session(self: &Rc<Self>, renew: bool) -> Result<(), ApiError> {
        if renew {
            return self.renew().await;
        }
        let token = self.token()?;
        match http::call::<()>(&self.base, Some(&token), Method::GET, "/v1/me", None).await {
            Err(e) if e.code == ErrorCode::Unauthorized => self.renew().await,
            _ => Ok(()),
        }
    }

    /// Closes the socket now (the SDK reconnects by itself): for tests and for apps that
    /// know the network changed.
    pub fn drop_connection(self: &Rc<Self>) {
        let fx = self.core.borrow_mut().drop_connection(js::now());
        self.apply(fx);
    }

    /// Stops for good: closes the socket, fails pending sends and requests.
    pub fn stop(self: &Rc<Self>) {
        self.set_live(false);
        self.heartbeat.borrow_mut().take();
        self.page.borrow_mut().take();
        let fx = self.core.borrow_mut().stop();
        self.apply(fx);
    }

    fn write(&self, f: &ClientFrame) {
        if let Some((_, s)) = self.ws.borrow().as_ref() {
            if let Some(text) = wire::stringify(&f.to_js()) {
                let _ = s.ws.send_with_str(&text);
            }
        }
    }

    /// Carries out effects, in order.
    pub fn apply(self: &Rc<Self>, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Send(f) => self.write(&f),
                Effect::Emit(ev) => {
                    if ev == Event::Connected {
                        for w in self.open_waiters.borrow_mut().drain(..) {
                            let _ = w.send(());
                        }
                    }
                    dispatch::emit(self.as_ref(), &ev);
                }
                Effect::Reply { id, result } => {
                    if let Some(w) = self.waiters.borrow_mut().swap_remove(&id) {
                        let _ = w.send(result);
                    }
                }
                Effect::Settled { client_id, result } => {
                    let waiting = self
                        .sends
                        .borrow_mut()
                        .swap_remove(&client_id)
                        .unwrap_or_default();
                    for w in waiting {
                        let _ = w.send(result.clone());
                    }
                }
                Effect::RetryLater(ms) => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        gloo_timers::future::TimeoutFuture::new(ms as u32).await;
                        let fx = me.core.borrow_mut().flush_outbox();
                        me.apply(fx);
                    });
                }
                Effect::Connect { generation } => self.connect(generation),
                Effect::ConnectAfter { generation, ms } => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        gloo_timers::future::TimeoutFuture::new(ms as u32).await;
                        let fx = me.core.borrow_mut().reconnect_due(generation);
                        me.apply(fx);
                    });
                }
                Effect::CloseSocket => drop(self.ws.borrow_mut().take()),
                Effect::CheckSession { renew } => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let r = me.check_session(renew).await;
                        let fx = me.core.borrow_mut().session_checked(r);
                        me.apply(fx);
                    });
                }
                Effect::RenewToken => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let r = me.renew().await;
                        let fx = me.core.borrow_mut().token_renewed(r, js::now());
                        me.apply(fx);
                    });
                }
                Effect::Ended(e) => {
                    *self.fatal.borrow_mut() = Some(e);
                    // a start() waiting for the socket hears why at once
                    self.open_waiters.borrow_mut().clear();
                    self.heartbeat.borrow_mut().take();
                    self.page.borrow_mut().take();
                    self.set_live(false);
                }
            }
        }
    }

    /// Waits until the socket is open (at most the request timeout).
    pub async fn wait_open(self: &Rc<Self>) -> Result<(), ApiError> {
        if self.core.borrow().is_open() {
            return Ok(());
        }
        if !self.running() && !self.starting.get() {
            return Err(ApiError::new(
                ErrorCode::Network,
                "not connected: call start() first",
            ));
        }
        let (tx, rx) = oneshot::channel();
        self.open_waiters.borrow_mut().push(tx);
        with_timeout(rx, REQUEST_TIMEOUT_MS).await.ok_or_else(|| {
            self.fatal.borrow().clone().unwrap_or_else(|| {
                ApiError::new(
                    ErrorCode::Timeout,
                    "the connection did not open in time; the SDK keeps retrying",
                )
            })
        })
    }

    /// Sends a request frame on the socket and waits for its answer.
    pub async fn request(
        self: &Rc<Self>,
        make: impl FnOnce(u64) -> ClientFrame,
    ) -> Result<AckBody, ApiError> {
        self.wait_open().await?;
        let (id, f) = self.core.borrow_mut().request(make);
        self.finish_request(id, f).await
    }

    async fn finish_request(self: &Rc<Self>, id: u64, f: ClientFrame) -> Result<AckBody, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.waiters.borrow_mut().insert(id, tx);
        self.write(&f);
        match with_timeout(rx, REQUEST_TIMEOUT_MS).await {
            Some(r) => r,
            None => {
                self.waiters.borrow_mut().swap_remove(&id);
                Err(ApiError::new(
                    ErrorCode::Timeout,
                    "no answer from the server in time",
                ))
            }
        }
    }

    /// Follows a chat (subscribe now if open, and after every reconnect).
    pub async fn follow(self: &Rc<Self>, chat_id: &str) -> Result<(), ApiError> {
        self.follow_all(vec![chat_id.to_owned()]).await
    }

    /// Follows several chats with one subscribe request. A chat the server refuses is
    /// reported as an `error` event (the others stay followed); a request that fails as a
    /// whole forgets them all.
    pub async fn follow_all(self: &Rc<Self>, chat_ids: Vec<String>) -> Result<(), ApiError> {
        self.wait_open().await?;
        let req = self.core.borrow_mut().follow_all(&chat_ids);
        if let Some((id, text)) = req {
            if let Err(e) = self.finish_request(id, text).await {
                for c in &chat_ids {
                    self.core.borrow_mut().forget_follow(c);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Stops following a chat.
    pub async fn unfollow(self: &Rc<Self>, chat_id: &str) -> Result<(), ApiError> {
        let req = self.core.borrow_mut().unfollow(chat_id);
        if let Some((id, text)) = req {
            self.finish_request(id, text).await?;
        }
        Ok(())
    }

    /// Queues a send (shown at once as pending) and waits until the server stored it.
    pub async fn send(
        self: &Rc<Self>,
        chat_id: &str,
        req: chatix_protocol::rest::SendMessageRequest,
    ) -> Result<JsValue, ApiError> {
        if !self.running() {
            return Err(ApiError::new(
                ErrorCode::Network,
                "not started: call start() first",
            ));
        }
        let client_id = req.client_id.clone().unwrap_or_else(js::client_id);
        let (tx, rx) = oneshot::channel();
        self.sends
            .borrow_mut()
            .entry(client_id.clone())
            .or_default()
            .push(tx);
        let fx = self
            .core
            .borrow_mut()
            .send(chat_id, req, client_id, js::now());
        self.apply(fx);
        rx.await
            .unwrap_or_else(|_| Err(ApiError::new(ErrorCode::Network, "the SDK was stopped")))
            .map(|m| m.obj)
    }

    /// The signed-in user's role.
    pub fn role(&self) -> Option<Role> {
        self.core.borrow().me().map(|u| u.role)
    }

    /// The connection state.
    pub fn state(&self) -> ConnState {
        self.core.borrow().state()
    }
}

impl wire::Session for Client {
    fn base(&self) -> &str {
        &self.base
    }
    fn names(&self) -> std::cell::RefMut<'_, Interner> {
        self.names.borrow_mut()
    }
    fn chat_seen(&self, id: &str, o: &JsValue) {
        self.chats.borrow_mut().insert(id.to_owned(), o.clone());
    }
    fn ready(&self, me: JsValue, limits: Limits, recent: bool) {
        *self.me_obj.borrow_mut() = me;
        *self.limits.borrow_mut() = Some(limits);
        self.follow_recent.set(false);
        self.recent_followed.set(recent);
    }
}

impl dispatch::Audience for Client {
    fn chat_kind(&self, chat: &str) -> Option<ChatKind> {
        self.core.borrow().chat_kind(chat)
    }
    fn listeners(&self) -> &RefCell<Listeners> {
        &self.listeners
    }
    fn chat_listeners(&self) -> &RefCell<VecMap<u64, (String, Listeners)>> {
        &self.chat_listeners
    }
    fn chat_object(&self, id: &str) -> Option<JsValue> {
        self.chats.borrow().get(id).cloned()
    }
    fn lists_member(&self, chat: &str, user: &str) -> bool {
        self.core
            .borrow()
            .chat(chat)
            .and_then(|e| e.info.as_ref())
            .is_some_and(|i| i.member_ids.iter().any(|m| m == user))
    }
}

// The `exp` claim of a JWT (seconds, truncated, times 1,000), read without verifying (the
// server verifies); NaN when the token has none. In JS: `split`, `replace` and `atob` are
// the engine's, where the same code in Rust took 1.2 KB of the .wasm.
#[wasm_bindgen(inline_js = "export function jwtExpiry(t) {
  try {
    const e = JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).exp;
    return typeof e === 'number' ? Math.trunc(e) * 1000 : NaN;
  } catch { return NaN; }
}")]
extern "C" {
    #[wasm_bindgen(js_name = jwtExpiry)]
    fn jwt_expiry(token: &str) -> f64;
}

/// The `exp` claim of a JWT, in ms.
fn token_expiry(token: &str) -> Option<i64> {
    let ms = jwt_expiry(token);
    ms.is_finite().then_some(ms as i64)
}

/// A session answer: token, expiry (ms) and user object.
fn session(s: &JsValue) -> Result<(String, i64, JsValue), ApiError> {
    let token = js::get(s, "token")
        .as_string()
        .ok_or_else(|| bad_answer("a session without a token".into()))?;
    let exp = js::get(s, "expiresAt").as_f64().unwrap_or(f64::MAX) as i64;
    Ok((token, exp, js::get(s, "user")))
}

fn bad_answer(what: String) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        format!("unexpected answer from the server: {what}"),
    )
}

fn warn(what: &str) {
    web_sys::console::warn_2(&"chatix:".into(), &what.into());
}
