//! Browser tests of the SDK (headless Chromium: `cargo test --target
//! wasm32-unknown-unknown` with wasm-bindgen-test-runner), against a real `chatix-server` started by `tests/run-browser-tests.mjs` with test hooks enabled.
//! They drive the same exported methods JavaScript calls.
#![cfg(target_arch = "wasm32")]

use chatix_core::web::{ChatHandle, ChatixCore};
use gloo_net::http::{Method, RequestBuilder};
use js_sys::{Array, Function, Promise, Reflect};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER: &str = match option_env!("CHATIX_TEST_SERVER") {
    Some(s) => s,
    None => "http://127.0.0.1:18787",
};

// ------------------------------------------------------------------ helpers

async fn http(method: Method, path: &str, body: Option<Value>) -> Value {
    let rb = RequestBuilder::new(&format!("{SERVER}{path}")).method(method);
    let res = match body {
        Some(b) => rb.json(&b).unwrap().send().await,
        None => rb.send().await,
    }
    .expect("test server reachable");
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn demo() -> Value {
    http(Method::GET, "/v1/test/demo", None).await
}

async fn admin(method: &str, path: &str, body: Value) -> Value {
    http(
        Method::POST,
        "/v1/test/admin",
        Some(json!({"method": method, "path": path, "body": body})),
    )
    .await
}

fn obj(v: Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap()
}

fn s(o: &JsValue, k: &str) -> String {
    get(o, k).as_string().unwrap_or_default()
}

fn json_of(v: &JsValue) -> Value {
    serde_json::from_str(&String::from(js_sys::JSON::stringify(v).unwrap())).unwrap_or(Value::Null)
}

async fn ok(p: Promise) -> JsValue {
    ok_of(JsFuture::from(p)).await
}

/// [`ok`] of a future (a JavaScript method's steps run from Rust).
async fn ok_of(f: impl std::future::Future<Output = Result<JsValue, JsValue>>) -> JsValue {
    match f.await {
        Ok(v) => v,
        Err(e) => panic!("promise rejected: {} {}", s(&e, "code"), s(&e, "message")),
    }
}

/// The rejection's `code` (panics when the promise resolves).
async fn err(p: Promise) -> String {
    err_of(JsFuture::from(p)).await
}

/// [`err`] of a future (a JavaScript method's steps run from Rust).
async fn err_of(f: impl std::future::Future<Output = Result<JsValue, JsValue>>) -> String {
    match f.await {
        Ok(v) => panic!("expected a rejection, got {}", json_of(&v)),
        Err(e) => {
            assert_eq!(s(&e, "name"), "ChatixError", "a typed error");
            assert!(!s(&e, "message").is_empty());
            s(&e, "code")
        }
    }
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

async fn until(what: &str, ms: u32, mut cond: impl FnMut() -> bool) {
    let mut waited = 0;
    while !cond() {
        assert!(waited < ms, "timed out waiting for {what}");
        sleep(20).await;
        waited += 20;
    }
}

async fn visitor() -> ChatixCore {
    let d = demo().await;
    let core = ChatixCore::new(
        d["websiteId"].as_str().unwrap().into(),
        obj(json!({"serverUrl": SERVER, "persistVisitor": false})),
    )
    .unwrap();
    ok(core.start()).await;
    core
}

async fn consultant() -> ChatixCore {
    let d = demo().await;
    let core = ChatixCore::new(
        d["websiteId"].as_str().unwrap().into(),
        obj(json!({"serverUrl": SERVER, "consultant": d["consultant"]})),
    )
    .unwrap();
    ok(core.start()).await;
    core
}

async fn user(name: &str) -> ChatixCore {
    let t = http(
        Method::POST,
        "/v1/test/token",
        Some(json!({"username": name})),
    )
    .await;
    started(t["token"].as_str().unwrap()).await
}

/// A started app-user instance of the demo website, with `token`.
async fn started(token: &str) -> ChatixCore {
    let d = demo().await;
    let core = ChatixCore::new(
        d["websiteId"].as_str().unwrap().into(),
        obj(json!({"serverUrl": SERVER, "token": token})),
    )
    .unwrap();
    ok(core.start()).await;
    core
}

/// A token for `who` that lives `ttl` seconds (the test hook mints shorter ones than the API).
async fn mint_token(who: String, ttl: u32) -> String {
    http(
        Method::POST,
        "/v1/test/token",
        Some(json!({"username": who, "ttlSeconds": ttl})),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A started `ChatixCore` signed in as `who` with a token of `ttl` seconds, whose
/// `tokenProvider` mints another such token each time; and how often it was called.
async fn renewing_session(who: &str, ttl: u32) -> (ChatixCore, Rc<RefCell<u32>>) {
    let d = demo().await;
    let first = mint_token(who.to_owned(), ttl).await;
    let calls = Rc::new(RefCell::new(0u32));
    let counted = calls.clone();
    let who = who.to_owned();
    let provider = Closure::<dyn FnMut() -> Promise>::new(move || {
        *counted.borrow_mut() += 1;
        let who = who.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            Ok(JsValue::from(mint_token(who, ttl).await))
        })
    });
    let opts = obj(json!({"serverUrl": SERVER, "token": first}));
    Reflect::set(&opts, &"tokenProvider".into(), provider.as_ref()).unwrap();
    // the provider lives as long as the page (the SDK holds only the JS function)
    provider.forget();
    let core = ChatixCore::new(d["websiteId"].as_str().unwrap().into(), opts).unwrap();
    ok(core.start()).await;
    (core, calls)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", (js_sys::Math::random() * 1e9) as u64)
}

type Log = Rc<RefCell<Vec<JsValue>>>;

/// A JS function that records its arguments (first argument, or all as an array).
fn recorder() -> (Function, Log) {
    let log: Log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let f = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |a: JsValue, b: JsValue| {
        l.borrow_mut().push(if b.is_undefined() {
            a
        } else {
            Array::of2(&a, &b).into()
        });
    });
    (f.into_js_value().unchecked_into(), log)
}

fn texts(log: &Log) -> Vec<String> {
    log.borrow().iter().map(|m| s(m, "text")).collect()
}

/// A `Chat` object handed out by the SDK, back to its Rust handle.
fn chat_of(v: JsValue) -> ChatHandle {
    <ChatHandle as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(v)
        .unwrap_or_else(|_| panic!("not a Chat object"))
}

// The methods that are one REST call each are JavaScript on the classes' prototypes
// (src/web/handlers.js `ENDPOINTS`, over the wasm's one `__rest`); these tests reach them
// through the same specs, read from that module, and the same export.
#[wasm_bindgen(module = "/src/web/handlers.js")]
extern "C" {
    #[wasm_bindgen(js_name = endpointSpec)]
    fn endpoint_spec(class: &str, method: &str) -> Option<String>;
}

macro_rules! rest_methods {
    ($tr:ident for $ty:ty as $class:literal { $($f:ident = $js:literal ($($a:ident),*);)* }) => {
        trait $tr {
            $(fn $f(&self, $($a: JsValue),*) -> Promise;)*
        }
        impl $tr for $ty {
            $(fn $f(&self, $($a: JsValue),*) -> Promise {
                let args = Array::new();
                $(args.push(&$a);)*
                let spec = endpoint_spec($class, $js)
                    .unwrap_or_else(|| panic!("handlers.js has no {}.{}", $class, $js));
                self.rest_js(&spec, args)
            })*
        }
    };
}

rest_methods!(CoreRest for ChatixCore as "ChatixCore" {
    get_chats = "getChats"(page);
    get_chat = "getChat"(id);
    chat = "chat"(username);
    group_chat = "groupChat"(options);
    create_user = "createUser"(user);
    update_user = "updateUser"(username, patch);
    update_user_by_id = "updateUserById"(id, patch);
    set_visitor = "setVisitor"(visitor);
    set_field = "setField"(key, value);
    search_messages = "searchMessages"(query, options);
    get_conversations = "getConversations"(page);
    get_chatrooms = "getChatrooms"(page_id, per_page);
    get_my_chatrooms = "getMyChatrooms"(page_id, per_page);
    get_chatroom = "getChatroom"(id);
    get_chatroom_members = "getChatroomMembers"(id, page, per_page);
    fetch_user = "fetchUser"(username);
    fetch_user_by_id = "fetchUserById"(id);
    get_users = "getUsers"(usernames);
    delete_user = "deleteUser"(username);
    delete_user_by_id = "deleteUserById"(id);
    get_visitor = "getVisitor"();
    set_name = "setName"(name);
    set_email = "setEmail"(email);
    get_all_managers = "getAllManagers"();
    get_connected_managers = "getConnectedManagers"();
    ban_user = "banUser"(username, options);
    unban_user = "unbanUser"(username);
    get_sanctions = "getSanctions"();
    report_user = "reportUser"(username, reason);
    get_reports = "getReports"(options);
    resolve_report = "resolveReport"(report_id, options);
});

rest_methods!(ChatRest for ChatHandle as "Chat" {
    get_messages = "getMessages"(page);
    get_pinned_messages = "getPinnedMessages"();
    get_thread = "getThread"(parent_id, options);
    get_mentions = "getMentions"(options);
    set_seen = "setSeen"(message_id);
    update_message = "updateMessage"(message_id, update);
    delete_message = "deleteMessage"(message_id);
    set_avatar = "setAvatar"(avatar);
    add_reaction = "addReaction"(message_id, reaction);
    remove_reaction = "removeReaction"(message_id, reaction);
    pin_message = "pinMessage"(message_id);
    unpin_message = "unpinMessage"(message_id);
    flag_message = "flagMessage"(message_id, reason);
    mute_user = "muteUser"(username, options);
    unmute_user = "unmuteUser"(username);
    ban_user = "banUser"(username, options);
    unban_user = "unbanUser"(username);
    get_sanctions = "getSanctions"();
    set_name = "setName"(name);
    set_metadata = "setMetadata"(metadata);
    set_visibility = "setVisibility"(visibility);
    set_slow_mode = "setSlowMode"(seconds);
    get_members = "getMembers"(page, per_page);
    add_member = "addMember"(username);
    add_members = "addMembers"(usernames);
    remove_member = "removeMember"(username);
    remove_members = "removeMembers"(usernames);
    leave = "leave"();
    delete = "delete"();
});

/// `ChatixCore`'s sends and cursor history (handlers.js `CORE_METHODS`: the same calls of
/// `__send` and `__history`).
trait CoreSends {
    fn send_chatroom_text_message(&self, id: JsValue, text: JsValue, metadata: JsValue) -> Promise;
    fn send_chatroom_file_message(&self, id: JsValue, file: JsValue, text: JsValue) -> Promise;
    fn send_conversation_text_message(&self, text: JsValue, metadata: JsValue) -> Promise;
    fn send_conversation_file_message(&self, file: JsValue, text: JsValue) -> Promise;
    fn get_chatroom_messages(&self, id: JsValue, last: JsValue, count: JsValue) -> Promise;
    fn get_conversation_messages(&self, last: JsValue, count: JsValue) -> Promise;
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

impl CoreSends for ChatixCore {
    fn send_chatroom_text_message(&self, id: JsValue, text: JsValue, metadata: JsValue) -> Promise {
        self.send_js(
            false,
            false,
            id,
            options(&[("text", text), ("metadata", metadata)]),
        )
    }
    fn send_chatroom_file_message(&self, id: JsValue, file: JsValue, text: JsValue) -> Promise {
        self.send_js(false, true, id, options(&[("file", file), ("text", text)]))
    }
    fn send_conversation_text_message(&self, text: JsValue, metadata: JsValue) -> Promise {
        let o = options(&[("text", text), ("metadata", metadata)]);
        self.send_js(true, false, JsValue::UNDEFINED, o)
    }
    fn send_conversation_file_message(&self, file: JsValue, text: JsValue) -> Promise {
        let o = options(&[("file", file), ("text", text)]);
        self.send_js(true, true, JsValue::UNDEFINED, o)
    }
    fn get_chatroom_messages(&self, id: JsValue, last: JsValue, count: JsValue) -> Promise {
        self.history_js(false, id, last, count)
    }
    fn get_conversation_messages(&self, last: JsValue, count: JsValue) -> Promise {
        self.history_js(true, JsValue::UNDEFINED, last, count)
    }
}

/// `on` and `once` (handlers.js `LISTEN_METHODS`: the same calls of `__listen`).
macro_rules! listen_methods {
    ($tr:ident for $ty:ty) => {
        trait $tr {
            fn on(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue>;
            fn once(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue>;
        }
        impl $tr for $ty {
            fn on(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue> {
                self.listen_js(event, listener, false)
            }
            fn once(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue> {
                self.listen_js(event, listener, true)
            }
        }
    };
}
listen_methods!(CoreListen for ChatixCore);
listen_methods!(ChatListen for ChatHandle);

/// `Chat`'s typing signals (handlers.js `CHAT_METHODS`: the same calls of `__typing`).
trait ChatTyping {
    fn start_typing(&self) -> Promise;
    fn stop_typing(&self) -> Promise;
}

impl ChatTyping for ChatHandle {
    fn start_typing(&self) -> Promise {
        self.typing_js(true)
    }
    fn stop_typing(&self) -> Promise {
        self.typing_js(false)
    }
}

/// `getAllChatrooms()` as handlers.js `CORE_METHODS` runs it: every page of `getChatrooms`
/// (100 each, at most 50); the widget's end-to-end test runs the JavaScript itself.
async fn get_all_chatrooms(core: &ChatixCore) -> JsValue {
    let all = Array::new();
    for page in 1..=50u32 {
        let r = ok(core.get_chatrooms(page.into(), 100.into())).await;
        for room in Array::from(&get(&r, "chatrooms")).iter() {
            all.push(&room);
        }
        if f64::from(page) >= get(&r, "totalPages").as_f64().unwrap_or(0.0) {
            break;
        }
    }
    all.into()
}

/// `connectToChatroom(id)` as handlers.js `CORE_METHODS` runs it: the room read (a visitor
/// may see it), followed over `__follow`, and read again; `disconnectFromChatroom` is
/// `__follow(id, false)`.
async fn connect_to_chatroom(core: &ChatixCore, id: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(core.get_chatroom(id.clone())).await?;
    JsFuture::from(core.follow_js(id.clone(), true)).await?;
    JsFuture::from(core.get_chatroom(id)).await
}

/// `Chat`'s read-only fields (JavaScript getters over `chat.data`, handlers.js `CHAT_FIELDS`).
trait ChatFields {
    fn kind(&self) -> String;
    fn name(&self) -> Option<String>;
    fn member_count(&self) -> f64;
}

impl ChatFields for ChatHandle {
    fn kind(&self) -> String {
        s(&self.data(), "kind")
    }
    fn name(&self) -> Option<String> {
        get(&self.data(), "name").as_string()
    }
    fn member_count(&self) -> f64 {
        get(&self.data(), "memberCount").as_f64().unwrap_or(0.0)
    }
}

// ------------------------------------------------------------------ tests

#[wasm_bindgen_test]
async fn bad_arguments_reject_with_invalid_argument_before_the_wire() {
    assert!(
        ChatixCore::new(5.into(), JsValue::UNDEFINED).is_err(),
        "websiteId must be a string"
    );
    let e = ChatixCore::new("wid".into(), obj(json!({"serverUrl": "ftp://x"})))
        .err()
        .unwrap();
    assert_eq!(s(&e, "code"), "invalid_argument");
    let e = ChatixCore::new("wid".into(), obj(json!({"sevrerUrl": SERVER})))
        .err()
        .unwrap();
    assert!(s(&e, "message").contains("sevrerUrl"));
    let core = visitor().await;
    assert_eq!(err(core.fetch_user(5.into())).await, "invalid_argument");
    assert_eq!(err(core.fetch_user("a b".into())).await, "invalid_argument");
    assert_eq!(
        err(core.fetch_user("nobody-José-名前".into())).await,
        "not_found",
        "a Unicode username passes the check and is asked of the server"
    );
    assert_eq!(
        err(core.fetch_user(JsValue::UNDEFINED)).await,
        "invalid_argument"
    );
    assert_eq!(err(core.get_chats(0.into())).await, "invalid_argument");
    // a number in a refusal reads as JavaScript prints it (the engine prints it)
    for (n, text) in [(0.5, "0.5"), (1.5e21, "1.5e+21"), (0.1234567, "0.1234567")] {
        let e = JsFuture::from(core.get_chats(n.into())).await.unwrap_err();
        assert!(s(&e, "message").contains(text), "{}", s(&e, "message"));
    }
    assert_eq!(err(core.get_chats("2".into())).await, "invalid_argument");
    assert_eq!(
        err(core.get_chatrooms(1.into(), 500.into())).await,
        "invalid_argument"
    );
    assert_eq!(err(core.chat(JsValue::NULL)).await, "invalid_argument");
    assert_eq!(err(core.get_users("ann".into())).await, "invalid_argument");
    assert_eq!(
        err(core.set_field("k".into(), obj(json!({"nested": 1})))).await,
        "invalid_argument"
    );
    assert_eq!(
        err(core.send_chatroom_text_message("room".into(), "".into(), JsValue::UNDEFINED)).await,
        "invalid_argument"
    );
    assert_eq!(
        err(core.get_chatroom_messages("room".into(), JsValue::UNDEFINED, 101.into())).await,
        "invalid_argument"
    );
    assert_eq!(
        err(core.group_chat(obj(json!({"memberUsernames": "ann"})))).await,
        "invalid_argument"
    );
    for (query, options) in [
        (JsValue::from(""), JsValue::UNDEFINED),
        (JsValue::from("   "), JsValue::UNDEFINED),
        (JsValue::from(5), JsValue::UNDEFINED),
        (JsValue::from("x".repeat(201)), JsValue::UNDEFINED),
        ("x".into(), obj(json!({"count": 0}))),
        ("x".into(), obj(json!({"chatID": "room"}))),
        ("x".into(), "room".into()),
    ] {
        assert_eq!(
            err(core.search_messages(query, options)).await,
            "invalid_argument"
        );
    }
    assert!(core
        .on("no-such-event".into(), Function::new_no_args("").into())
        .is_err());
    assert!(core.on("message".into(), 5.into()).is_err());
    assert_eq!(
        err(core.connect_user(obj(json!({"username": "x"})))).await,
        "unauthorized",
        "no token: no connectUser"
    );
    core.stop();
}

/// The SDK checks a username's characters with the JS engine's Unicode tables; the rule
/// must be the server's (Rust's `is_alphanumeric` and `._@+-`), case by case.
#[wasm_bindgen_test]
fn the_engines_username_check_is_the_servers_rule() {
    use chatix_core::core::args::{unicode_username_chars, USERNAME_CASES};
    for (u, ok) in USERNAME_CASES {
        assert_eq!(chatix_core::web::js::username_chars(u), *ok, "{u}");
        assert_eq!(unicode_username_chars(u), *ok, "{u}");
    }
}

#[wasm_bindgen_test]
async fn two_instances_talk_and_both_event_styles_fire() {
    let (a_name, b_name) = (unique("ann"), unique("bob"));
    let a = user(&a_name).await;
    let b = user(&b_name).await;
    let chat_ab = ok(a.chat(b_name.as_str().into())).await;
    let chat_ab = chat_of(chat_ab);
    sleep(300).await; // b follows the new chat (chatCreated)
    let (on_chat, chats_log) = recorder();
    b.set_handler("onChat", on_chat.into()).unwrap();
    let (on_msg, msg_log) = recorder();
    let off: Function = b.on("message".into(), on_msg.into()).unwrap();
    let (once, once_log) = recorder();
    b.once("message".into(), once.into()).unwrap();

    // b's Chat object for this chat, and one for another chat: each hears its own only
    let b_chat = chat_of(ok(b.chat(a_name.as_str().into())).await);
    let (mine, mine_log) = recorder();
    b_chat.set_handler("onMessage", mine.into()).unwrap();
    let c_name = unique("cid");
    let c = user(&c_name).await;
    let b_other = chat_of(ok(b.chat(c_name.as_str().into())).await);
    let (other, other_log) = recorder();
    b_other.set_handler("onMessage", other.into()).unwrap();
    sleep(200).await;

    let m = ok(chat_ab.send_message(obj(json!({"text": "hello bob"})))).await;
    assert_eq!(s(&m, "text"), "hello bob");
    assert!(get(&m, "seq").as_f64().unwrap() >= 1.0);
    until("bob hears it", 5000, || {
        msg_log.borrow().len() == 1 && mine_log.borrow().len() == 1
    })
    .await;
    assert_eq!(texts(&msg_log), ["hello bob"]);
    assert_eq!(chats_log.borrow().len(), 1, "onChat(chat, message)");
    assert_eq!(s(&get(&chats_log.borrow()[0], "0"), "id"), chat_ab.id());
    assert!(
        other_log.borrow().is_empty(),
        "another chat's listener hears nothing"
    );
    off.call0(&JsValue::NULL).unwrap();
    ok(chat_ab.send_message(obj(json!({"text": "second"})))).await;
    until("second message", 5000, || mine_log.borrow().len() == 2).await;
    assert_eq!(
        msg_log.borrow().len(),
        1,
        "on() listener removed by its unsubscribe function"
    );
    assert_eq!(once_log.borrow().len(), 1, "once() fired once");
    assert_eq!(b.get_unread_count(chat_ab.id().into()), 2.0);
    ok(b_chat.set_seen(JsValue::UNDEFINED)).await;
    assert_eq!(b.get_unread_count(chat_ab.id().into()), 0.0);
    // typing reaches the other side, per chat
    let (typing, typing_log) = recorder();
    b_chat
        .set_handler("onTypingStarted", typing.into())
        .unwrap();
    ok(chat_ab.start_typing()).await;
    until("typing", 5000, || typing_log.borrow().len() == 1).await;
    for core in [a, b, c] {
        core.stop();
    }
}

#[wasm_bindgen_test]
async fn a_whisper_never_reaches_a_visitor() {
    let staff = consultant().await;
    let room = chat_of(
        ok(staff.group_chat(obj(
            json!({"name": unique("support"), "visibility": "public"}),
        )))
        .await,
    );
    let v = visitor().await;
    let (received, log) = recorder();
    v.set_handler("onChatroomMessageReceived", received.into())
        .unwrap();
    ok_of(connect_to_chatroom(&v, room.id().into())).await;
    let (staff_got, staff_log) = recorder();
    staff.on("message".into(), staff_got.into()).unwrap();
    ok(room.send_message(obj(json!({"text": "psst, staff only", "whisper": true})))).await;
    ok(room.send_message(obj(json!({"text": "hello everyone"})))).await;
    until("the public message", 5000, || log.borrow().len() == 1).await;
    sleep(300).await;
    let got: Vec<String> = log
        .borrow()
        .iter()
        .map(|pair| s(&get(pair, "1"), "text"))
        .collect();
    assert_eq!(got, ["hello everyone"]);
    until("staff sees both", 5000, || staff_log.borrow().len() == 2).await;
    let history =
        ok(v.get_chatroom_messages(room.id().into(), JsValue::UNDEFINED, JsValue::UNDEFINED)).await;
    assert!(!json_of(&history).to_string().contains("psst"));
    let info = ok(v.get_chatroom(room.id().into())).await;
    assert_eq!(s(&get(&info, "lastMessage"), "text"), "hello everyone");
    // search: the visitor finds the public message, never the whisper
    let in_room = |q: &str, extra: Value| {
        let mut o = json!({"chatId": room.id()});
        if let (Some(o), Some(extra)) = (o.as_object_mut(), extra.as_object()) {
            o.extend(extra.clone());
        }
        (JsValue::from(q), obj(o))
    };
    let (q, o) = in_room("EVERYONE", json!({}));
    let found = json_of(&ok(v.search_messages(q, o)).await);
    assert_eq!(found["messages"][0]["text"], "hello everyone", "{found}");
    let (q, o) = in_room("psst", json!({}));
    let found = json_of(&ok(v.search_messages(q, o)).await);
    assert_eq!(found["messages"], json!([]), "{found}");
    // staff find both, newest first, one per page
    let (q, o) = in_room("l", json!({"count": 1}));
    let p1 = json_of(&ok(staff.search_messages(q, o)).await);
    assert_eq!(p1["messages"][0]["text"], "hello everyone", "{p1}");
    let (q, o) = in_room("l", json!({"count": 1, "cursor": p1["nextCursor"]}));
    let p2 = json_of(&ok(staff.search_messages(q, o)).await);
    assert_eq!(p2["messages"][0]["text"], "psst, staff only", "{p2}");
    assert!(p2.get("nextCursor").is_none(), "{p2}");
    let v_room = chat_of(ok(v.get_chat(room.id().into())).await);
    assert_eq!(
        err(v_room.send_message(obj(json!({"text": "me too", "whisper": true})))).await,
        "forbidden",
        "visitors cannot whisper"
    );
    v.stop();
    staff.stop();
}

#[wasm_bindgen_test]
async fn a_private_chatroom_is_invisible_to_a_visitor_until_added() {
    let staff = consultant().await;
    let name = unique("vip");
    let room =
        chat_of(ok(staff.group_chat(obj(json!({"name": name, "visibility": "private"})))).await);
    let v = visitor().await;
    let listed = |rooms: &JsValue| json_of(rooms).to_string().contains(&room.id());
    let all = get_all_chatrooms(&v).await;
    assert!(!listed(&all));
    assert!(!listed(
        &ok(v.get_chatrooms(JsValue::UNDEFINED, 100.into())).await
    ));
    assert_eq!(
        err_of(connect_to_chatroom(&v, room.id().into())).await,
        "not_found"
    );
    assert_eq!(
        err(v.get_chatroom_messages(room.id().into(), JsValue::UNDEFINED, JsValue::UNDEFINED))
            .await,
        "not_found"
    );
    let me = v.me();
    let r = admin(
        "POST",
        &format!("/v1/chats/{}/members", room.id()),
        json!({"usernames": [s(&me, "username")]}),
    )
    .await;
    assert_eq!(r["id"], room.id().as_str(), "{r}");
    assert!(listed(&get_all_chatrooms(&v).await));
    ok_of(connect_to_chatroom(&v, room.id().into())).await;
    v.stop();
    staff.stop();
}

#[wasm_bindgen_test]
async fn the_server_dropping_the_socket_mid_stream_loses_nothing() {
    let (r_name, w_name) = (unique("reader"), unique("writer"));
    let reader = user(&r_name).await;
    let writer = user(&w_name).await;
    let room = chat_of(
        ok(writer.group_chat(obj(json!({"name": "stream", "memberUsernames": [r_name]})))).await,
    );
    let r_room = chat_of(ok(reader.get_chat(room.id().into())).await);
    ok(r_room.connect()).await;
    let (got, log) = recorder();
    reader.on("message".into(), got.into()).unwrap();
    let (states, state_log) = recorder();
    reader
        .on("connectionStateChanged".into(), states.into())
        .unwrap();
    let reader_id = s(&reader.me(), "id");
    let mut sends = Vec::new();
    for i in 0..200 {
        sends.push(JsFuture::from(
            room.send_message(obj(json!({"text": format!("n{i}")}))),
        ));
        if i == 60 {
            http(
                Method::POST,
                "/v1/test/drop",
                Some(json!({"userId": reader_id})),
            )
            .await;
        }
        if i % 20 == 0 {
            sleep(10).await;
        }
    }
    for f in sends {
        f.await.expect("every send is stored");
    }
    until("all 200 after the reconnect", 20_000, || {
        log.borrow().len() >= 200
    })
    .await;
    sleep(500).await;
    let t = texts(&log);
    assert_eq!(
        t,
        (0..200).map(|i| format!("n{i}")).collect::<Vec<_>>(),
        "all 200, once, in order"
    );
    let states: Vec<String> = state_log
        .borrow()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert!(
        states.contains(&"reconnecting".to_owned())
            && states.last().map(String::as_str) == Some("open"),
        "{states:?}"
    );
    reader.stop();
    writer.stop();
}

#[wasm_bindgen_test]
async fn a_send_made_while_disconnected_is_delivered_once_after_reconnect() {
    let (a_name, b_name) = (unique("off"), unique("on"));
    let a = user(&a_name).await;
    let b = user(&b_name).await;
    let a_chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    let b_chat = chat_of(ok(b.chat(a_name.as_str().into())).await);
    let (heard, log) = recorder();
    b_chat.set_handler("onMessage", heard.into()).unwrap();
    let (pending, pending_log) = recorder();
    a.on("pending".into(), pending.into()).unwrap();
    sleep(200).await;
    http(
        Method::POST,
        "/v1/test/drop",
        Some(json!({"userId": s(&a.me(), "id")})),
    )
    .await;
    until("a notices", 5000, || a.connection_state() == "reconnecting").await;
    let sent = JsFuture::from(a_chat.send_message(obj(json!({"text": "sent offline"}))));
    until("shown at once as pending", 100, || {
        pending_log.borrow().len() == 1
    })
    .await;
    assert_eq!(
        a.connection_state(),
        "reconnecting",
        "still offline when it was shown"
    );
    assert_eq!(get(&pending_log.borrow()[0], "pending"), JsValue::TRUE);
    assert_eq!(
        json_of(&a.get_pending_messages()).as_array().unwrap().len(),
        1
    );
    let m = sent.await.expect("delivered after the reconnect");
    until("b receives it", 10_000, || log.borrow().len() == 1).await;
    sleep(500).await;
    assert_eq!(texts(&log), ["sent offline"], "exactly once");
    assert_eq!(s(&m, "id"), s(&log.borrow()[0], "id"));
    let page = ok(b_chat.get_messages(JsValue::UNDEFINED)).await;
    assert_eq!(get(&page, "totalMessages").as_f64(), Some(1.0));
    a.stop();
    b.stop();
}

#[wasm_bindgen_test]
async fn every_public_method_at_least_once() {
    // --- users (an app user)
    let me_name = unique("eve");
    let eve = user(&me_name).await;
    let other = unique("fay");
    let made = ok(eve.create_user(obj(
        json!({"username": other, "name": "Fay", "metadata": {"plan": "pro"}}),
    )))
    .await;
    assert_eq!(s(&made, "username"), other);
    let again = ok(eve.create_user(obj(json!({"username": other, "name": "Changed"})))).await;
    assert_eq!(
        (s(&again, "id"), s(&again, "name")),
        (s(&made, "id"), "Fay".into()),
        "idempotent"
    );
    assert_eq!(
        s(&ok(eve.fetch_user(other.as_str().into())).await, "name"),
        "Fay"
    );
    assert_eq!(
        s(
            &ok(eve.fetch_user_by_id(get(&made, "id"))).await,
            "username"
        ),
        other
    );
    let many =
        ok(eve.get_users(Array::of2(&other.as_str().into(), &"nobody-here".into()).into())).await;
    assert_eq!(Array::from(&many).length(), 1);
    let updated = ok(eve.update_user(me_name.as_str().into(), obj(json!({"name": "Eve E"})))).await;
    assert_eq!(s(&updated, "name"), "Eve E");
    let eve_id = s(&eve.me(), "id");
    assert_eq!(
        s(
            &ok(eve.update_user_by_id(eve_id.as_str().into(), obj(json!({"metadata": {"k": 1}}))))
                .await,
            "id"
        ),
        eve_id
    );
    assert_eq!(
        err(eve.update_user(other.as_str().into(), obj(json!({"name": "x"})))).await,
        "forbidden"
    );
    assert_eq!(
        err(eve.delete_user(other.as_str().into())).await,
        "forbidden",
        "deleting needs the secret key"
    );
    assert_eq!(
        err(eve.delete_user_by_id(get(&made, "id"))).await,
        "forbidden"
    );
    assert!(Array::from(&ok(eve.get_all_managers()).await).length() >= 1);
    ok(eve.get_connected_managers()).await;
    let connected =
        ok(eve.connect_user(obj(json!({"username": me_name, "name": "Eve Connected"})))).await;
    assert_eq!(s(&connected, "name"), "Eve Connected");

    // --- group chat methods
    let g = chat_of(
        ok(eve.group_chat(obj(
            json!({"name": "Team", "memberUsernames": [other], "metadata": {"a": true}}),
        )))
        .await,
    );
    assert_eq!(
        (g.kind(), g.name()),
        ("group".to_owned(), Some("Team".to_owned()))
    );
    ok(g.set_name("Team 2".into())).await;
    assert_eq!(g.name(), Some("Team 2".into()));
    ok(g.set_metadata(obj(json!({"b": 2})))).await;
    ok(g.set_avatar("https://img.example/a.png".into())).await;
    // a File avatar is uploaded first, then set (the endpoint spec's `A` field)
    let png: [u8; 68] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
        0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let png_file = Function::new_with_args("b", "return new Blob([b], { type: 'image/png' })")
        .call1(&JsValue::NULL, &js_sys::Uint8Array::from(&png[..]))
        .unwrap();
    let with_file = ok(g.set_avatar(png_file)).await;
    let uploaded = s(&with_file, "avatar");
    assert!(
        uploaded.starts_with(SERVER) && uploaded.contains("/files/"),
        "{uploaded}"
    );
    assert_eq!(s(&g.data(), "avatar"), uploaded, "the Chat's data follows");
    assert_eq!(err(g.set_avatar(42.into())).await, "invalid_argument");
    assert_eq!(
        err(eve.group_chat(obj(json!({"nope": 1})))).await,
        "invalid_argument"
    );
    let nameless = obj(json!({ "username": unique("nameless") }));
    assert_eq!(err(eve.create_user(nameless)).await, "invalid_argument");
    assert_eq!(err(g.set_visibility("public".into())).await, "forbidden");
    let third = unique("gus");
    ok(eve.create_user(obj(json!({"username": third, "name": "Gus"})))).await;
    ok(g.add_member(third.as_str().into())).await;
    ok(g.remove_member(third.as_str().into())).await;
    ok(g.add_members(Array::of1(&third.as_str().into()).into())).await;
    ok(g.remove_members(Array::of1(&third.as_str().into()).into())).await;
    assert_eq!(
        get(
            &ok(g.get_members(JsValue::UNDEFINED, JsValue::UNDEFINED)).await,
            "total"
        )
        .as_f64(),
        Some(2.0)
    );
    let m1 = ok(g.send_message(obj(json!({"text": "first"})))).await;
    let m2 = ok(g.send_message(obj(
        json!({"text": "second", "replyTo": s(&m1, "id"), "metadata": {"x": 1}}),
    )))
    .await;
    let edited = ok(g.update_message(get(&m1, "id"), obj(json!({"text": "first!"})))).await;
    assert_eq!(
        err(g.update_message(get(&m1, "id"), obj(json!({})))).await,
        "invalid_argument"
    );
    assert_eq!(s(&edited, "text"), "first!");
    let tomb = ok(g.delete_message(get(&m2, "id"))).await;
    assert_eq!(get(&tomb, "deleted"), JsValue::TRUE);
    let page = ok(g.get_messages(JsValue::UNDEFINED)).await;
    assert_eq!(get(&page, "totalMessages").as_f64(), Some(1.0));
    let before = ok(g.get_messages_before(JsValue::UNDEFINED, 10.into())).await;
    assert_eq!(Array::from(&before).length(), 1);
    ok(g.set_seen(JsValue::UNDEFINED)).await;
    ok(g.start_typing()).await;
    ok(g.stop_typing()).await;
    let (l, log) = recorder();
    let off: Function = g.on("message".into(), l.into()).unwrap();
    g.off("message".into(), JsValue::UNDEFINED).unwrap();
    let _ = off;
    let (l2, _) = recorder();
    g.once("messageUpdated".into(), l2.into()).unwrap();
    assert!(g
        .on("bogus".into(), Function::new_no_args("").into())
        .is_err());
    g.release();
    assert!(log.borrow().is_empty());
    ok(g.disconnect()).await;
    ok(g.connect()).await;
    let chats = ok(eve.get_chats(JsValue::UNDEFINED)).await;
    assert!(get(&chats, "totalChats").as_f64().unwrap() >= 1.0);
    let g2 = chat_of(ok(eve.get_chat(g.id().into())).await);
    assert_eq!(g2.member_count(), 2.0);
    let file =
        web_sys::Blob::new_with_str_sequence(&Array::of1(&"plain text file".into())).unwrap();
    let info = ok(eve.upload_file(file.clone().into(), JsValue::UNDEFINED)).await;
    assert!(s(&info, "url").starts_with(SERVER));
    let fm = ok(g.send_message(obj(json!({"text": "with file"})))).await;
    assert_eq!(s(&fm, "kind"), "text");
    let fm = {
        let o = obj(json!({"text": "attached"}));
        Reflect::set(&o, &"file".into(), &file).unwrap();
        ok(g.send_message(o)).await
    };
    assert_eq!(s(&fm, "kind"), "file");
    let fay = user(&other).await;
    let g_fay = chat_of(ok(fay.get_chat(g.id().into())).await);
    assert_eq!(
        err(g_fay.delete()).await,
        "forbidden",
        "only the creator or staff delete a group"
    );
    fay.stop();
    ok(g.leave()).await;

    // --- chatrooms and the conversation (a visitor and a consultant)
    let staff = consultant().await;
    let room = chat_of(
        ok(staff.group_chat(obj(
            json!({"name": unique("lobby"), "visibility": "public"}),
        )))
        .await,
    );
    ok(room.set_visibility("public".into())).await;
    let v = visitor().await;
    ok(v.set_visitor(obj(
        json!({"name": "Vera", "email": "vera@example.com", "fields": {"plan": "free"}}),
    )))
    .await;
    ok(v.set_name("Vera V".into())).await;
    ok(v.set_email("v@example.com".into())).await;
    ok(v.set_field("age".into(), 30.into())).await;
    let me = ok(v.get_visitor()).await;
    assert_eq!(
        (s(&me, "name"), s(&me, "email")),
        ("Vera V".to_owned(), "v@example.com".to_owned())
    );
    assert_eq!(get(&get(&me, "metadata"), "age").as_f64(), Some(30.0));
    let rooms = ok(v.get_chatrooms(JsValue::UNDEFINED, JsValue::UNDEFINED)).await;
    assert_eq!(get(&rooms, "perPage").as_f64(), Some(10.0));
    ok_of(connect_to_chatroom(&v, room.id().into())).await;
    assert!(
        json_of(&ok(v.get_my_chatrooms(JsValue::UNDEFINED, JsValue::UNDEFINED)).await)
            .to_string()
            .contains(&room.id())
    );
    ok(v.get_chatroom(room.id().into())).await;
    assert!(
        get(
            &ok(v.get_chatroom_members(room.id().into(), 1.into(), 10.into())).await,
            "total"
        )
        .as_f64()
        .unwrap()
            >= 1.0
    );
    ok(v.send_chatroom_text_message(room.id().into(), "hi room".into(), JsValue::UNDEFINED)).await;
    let img = web_sys::Blob::new_with_str_sequence(&Array::of1(&"not an image".into())).unwrap();
    let fmsg =
        ok(v.send_chatroom_file_message(room.id().into(), img.clone().into(), "a file".into()))
            .await;
    assert_eq!(s(&get(&fmsg, "file"), "mime"), "text/plain");
    let hist = ok(v.get_chatroom_messages(room.id().into(), JsValue::UNDEFINED, 50.into())).await;
    assert_eq!(Array::from(&hist).length(), 2);
    ok(v.follow_js(room.id().into(), false)).await;
    assert_eq!(
        err(v.follow_js(room.id().into(), false)).await,
        "invalid_argument"
    );

    let (drafts, draft_log) = recorder();
    staff.on("typingStarted".into(), drafts.into()).unwrap();
    let (mgr, mgr_log) = recorder();
    v.set_handler("onManagerConnectedToConversation", mgr.into())
        .unwrap();
    let conv = chat_of(ok(v.get_conversation()).await);
    assert_eq!(conv.kind(), "conversation");
    let convs = ok(staff.get_conversations(JsValue::UNDEFINED)).await;
    let staff_conv = chat_of(
        Array::from(&get(&convs, "chats"))
            .iter()
            .find(|c| chat_of_id(c) == conv.id())
            .expect("listed"),
    );
    ok(staff_conv.connect()).await;
    until("manager connected", 5000, || mgr_log.borrow().len() == 1).await;
    ok(v.visitor_type("I need hel".into())).await;
    until("draft seen", 5000, || {
        draft_log
            .borrow()
            .iter()
            .any(|d| s(d, "draft") == "I need hel")
    })
    .await;
    ok(v.send_conversation_text_message("help please".into(), JsValue::UNDEFINED)).await;
    ok(v.send_conversation_file_message(img.into(), JsValue::UNDEFINED)).await;
    let cm = ok(v.get_conversation_messages(JsValue::UNDEFINED, JsValue::UNDEFINED)).await;
    assert_eq!(Array::from(&cm).length(), 2);
    assert!(v.get_unread_count(JsValue::UNDEFINED) >= 0.0);
    assert!(v.cache_bytes() > 0.0);
    v.reconnect();
    until("reconnected", 10_000, || v.connection_state() == "open").await;
    ok(room.delete()).await;
    for c in [eve, staff, v] {
        c.stop();
        assert_eq!(c.connection_state(), "closed");
    }
}

fn chat_of_id(v: &JsValue) -> String {
    get(v, "id").as_string().unwrap_or_default()
}

/// Counts, from now on, the socket messages the page receives, how many of them are
/// batches (a JSON array of frames, or a `messages` frame: several messages of one chat)
/// and the messages in `messages` frames, by wrapping every `WebSocket`'s `onmessage`.
fn count_socket_messages() {
    js_sys::eval(
        r#"(() => {
  if (window.__chatixWire) return;
  const w = window.__chatixWire = { messages: 0, batches: 0, framesInBatches: 0, joined: 0 };
  const joined = (f) => (f && f.type === 'messages' ? f.messages.length : 0);
  const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    get() { return d.get.call(this); },
    set(f) {
      d.set.call(this, f && ((e) => {
        w.messages++;
        if (typeof e.data === 'string' && (e.data[0] === '[' || e.data.startsWith('{"type":"messages",'))) {
          const v = JSON.parse(e.data);
          const frames = Array.isArray(v) ? v : [v];
          w.batches++;
          w.framesInBatches += frames.reduce((n, f) => n + Math.max(1, joined(f)), 0);
          w.joined += frames.reduce((n, f) => n + joined(f), 0);
        }
        return f(e);
      }));
    },
  });
})()"#,
    )
    .expect("the counter installs");
}

fn wire_count(k: &str) -> f64 {
    let w = js_sys::eval("window.__chatixWire").unwrap();
    get(&w, k).as_f64().unwrap_or(0.0)
}

#[wasm_bindgen_test]
async fn batched_frames_keep_order_resume_and_never_carry_a_whisper_to_a_visitor() {
    count_socket_messages();
    let staff = consultant().await;
    let room = chat_of(
        ok(staff.group_chat(obj(
            json!({"name": unique("batch"), "visibility": "public"}),
        )))
        .await,
    );
    let v = visitor().await;
    let (got, log) = recorder();
    v.on("message".into(), got.into()).unwrap();
    ok_of(connect_to_chatroom(&v, room.id().into())).await;
    let visitor_id = s(&v.me(), "id");
    // 300 sends pipelined (every third a whisper), the visitor's socket dropped mid-burst:
    // the server writes what queues up as batches, and the resume replays what was missed.
    let mut sends = Vec::new();
    for i in 0..300 {
        let whisper = i % 3 == 2;
        sends.push(JsFuture::from(room.send_message(obj(
            json!({"text": format!("b{i}"), "whisper": whisper}),
        ))));
        if i == 150 {
            http(
                Method::POST,
                "/v1/test/drop",
                Some(json!({"userId": visitor_id})),
            )
            .await;
        }
    }
    for f in sends {
        f.await.expect("every send is stored");
    }
    let want: Vec<String> = (0..300)
        .filter(|i| i % 3 != 2)
        .map(|i| format!("b{i}"))
        .collect();
    until("every public message", 20_000, || {
        log.borrow().len() >= want.len()
    })
    .await;
    sleep(500).await;
    assert_eq!(texts(&log), want, "all public messages, once, in order");
    let seqs: Vec<f64> = log
        .borrow()
        .iter()
        .map(|m| get(m, "seq").as_f64().unwrap_or(0.0))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq order: {seqs:?}");
    // the compact wire's defaults are restored on every object
    for m in log.borrow().iter() {
        assert_eq!(get(m, "whisper").as_bool(), Some(false));
        assert_eq!(get(m, "deleted").as_bool(), Some(false));
        assert!(get(m, "file").is_null() && get(m, "editedAt").is_null());
        assert_eq!(s(m, "kind"), "text");
        assert!(get(m, "metadata").is_object());
    }
    assert!(
        wire_count("batches") >= 1.0,
        "the burst arrived in batches at least once ({} socket messages, {} batches)",
        wire_count("messages"),
        wire_count("batches")
    );
    assert!(wire_count("framesInBatches") >= 2.0 * wire_count("batches"));
    assert!(
        wire_count("joined") >= 2.0,
        "consecutive messages of the room came joined in `messages` frames ({} of them)",
        wire_count("joined")
    );
    v.stop();
    staff.stop();
}

#[wasm_bindgen_test]
async fn a_refused_token_rejects_start_with_unauthorized_at_once() {
    let d = demo().await;
    // a well-formed JWT the server did not sign
    let forged =
        "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4Iiwic3ViIjoieCIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJl";
    let core = ChatixCore::new(
        d["websiteId"].as_str().unwrap().into(),
        obj(json!({"serverUrl": SERVER, "token": forged})),
    )
    .unwrap();
    let t0 = js_sys::Date::now();
    assert_eq!(err(core.start()).await, "unauthorized");
    let waited = js_sys::Date::now() - t0;
    assert!(
        waited < 10_000.0,
        "rejected after {waited} ms, not at the request timeout"
    );
    assert_eq!(core.connection_state(), "closed");
    // a good token still signs in, and `me` comes from the socket's ready frame
    let name = unique("tok");
    let u = user(&name).await;
    assert_eq!(s(&u.me(), "username"), name);
    u.stop();
}

#[wasm_bindgen_test]
async fn a_token_expiring_soon_is_renewed_by_the_provider_before_the_reconnect() {
    let (name, peer) = (unique("renew"), unique("peer"));
    // 30 s left: within the minute before expiry in which the SDK renews before connecting
    let (core, calls) = renewing_session(&name, 30).await;
    let other = user(&peer).await;
    let mine = chat_of(ok(core.chat(peer.as_str().into())).await);
    let theirs = chat_of(ok(other.chat(name.as_str().into())).await);
    let (heard, log) = recorder();
    mine.set_handler("onMessage", heard.into()).unwrap();
    assert_eq!(*calls.borrow(), 0, "no renewal while the socket is up");
    let before = core.token().as_string().unwrap();
    // a token minted in the same second would be the same string
    sleep(1_100).await;
    // the server drops the socket: the token has under a minute left, so the SDK asks the
    // provider for a new one before it connects again
    http(
        Method::POST,
        "/v1/test/drop",
        Some(json!({"userId": s(&core.me(), "id")})),
    )
    .await;
    until("renewed", 10_000, || *calls.borrow() == 1).await;
    until("open again", 10_000, || core.connection_state() == "open").await;
    assert_eq!(*calls.borrow(), 1, "one renewal per reconnect");
    assert_ne!(
        core.token().as_string().unwrap(),
        before,
        "the new token is in use"
    );
    // the chat is still followed on the new socket, and sends still work
    ok(theirs.send_message(obj(json!({"text": "after renewal"})))).await;
    until("heard after renewal", 10_000, || log.borrow().len() == 1).await;
    assert_eq!(texts(&log), ["after renewal"]);
    ok(mine.send_message(obj(json!({"text": "reply"})))).await;
    core.stop();
    other.stop();
}

#[wasm_bindgen_test]
async fn short_lived_tokens_are_renewed_ahead_while_sends_and_the_subscription_go_on() {
    let (name, peer) = (unique("short"), unique("peer"));
    // tokens of 3 s: each is renewed about 2.4 s after the SDK got it
    let (core, calls) = renewing_session(&name, 3).await;
    let other = user(&peer).await;
    let mine = chat_of(ok(core.chat(peer.as_str().into())).await);
    let theirs = chat_of(ok(other.chat(name.as_str().into())).await);
    let (heard, log) = recorder();
    mine.set_handler("onMessage", heard.into()).unwrap();
    let (dropped, drops) = recorder();
    core.on("disconnected".into(), dropped.into()).unwrap();
    // 7 s of sends from the short-lived session, the peer writing too
    for i in 0..70 {
        ok(mine.send_message(obj(json!({"text": format!("s{i:02}")})))).await;
        if i % 7 == 0 {
            ok(theirs.send_message(obj(json!({"text": format!("p{}", i / 7)})))).await;
        }
        sleep(100).await;
    }
    // the chat's handler hears both sides, each message once
    until("every message", 10_000, || log.borrow().len() >= 80).await;
    let heard = texts(&log);
    let theirs: Vec<&String> = heard.iter().filter(|t| t.starts_with('p')).collect();
    let ours: Vec<&String> = heard.iter().filter(|t| t.starts_with('s')).collect();
    let want_theirs: Vec<String> = (0..10).map(|i| format!("p{i}")).collect();
    let want_ours: Vec<String> = (0..70).map(|i| format!("s{i:02}")).collect();
    assert_eq!(
        theirs,
        want_theirs.iter().collect::<Vec<_>>(),
        "the subscription carried every message once"
    );
    assert_eq!(ours, want_ours.iter().collect::<Vec<_>>());
    assert!(
        *calls.borrow() >= 2,
        "renewed ahead of expiry, {} times in 7 s",
        calls.borrow()
    );
    assert!(drops.borrow().is_empty(), "the socket was never dropped");
    assert_eq!(core.connection_state(), "open");
    // a REST call on the renewed session
    let page = ok(mine.get_messages(JsValue::UNDEFINED)).await;
    assert_eq!(
        get(&page, "totalMessages").as_f64(),
        Some(80.0),
        "stored once each"
    );
    core.stop();
    other.stop();
}

/// start() against a server older than `followRecent`: such a server refuses an auth frame
/// with a field it does not know (close 4001 before `ready`). Here the page renames the
/// field on its way out, so the real server refuses it the same way; start() must then
/// connect without it, list the chats over REST and follow them, instead of retrying the
/// refused frame for ever.
#[wasm_bindgen_test]
async fn start_falls_back_to_the_rest_listing_when_the_server_refuses_follow_recent() {
    let (a_name, b_name) = (unique("ann"), unique("bob"));
    let a = user(&a_name).await;
    let b_token = mint_token(b_name.clone(), 3600).await;
    let chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    js_sys::eval(
        r#"(() => {
  const send = WebSocket.prototype.send, fetch = window.fetch;
  const w = window.__chatixOld = { auth: [], fetched: [], send, fetch };
  WebSocket.prototype.send = function (d) {
    let s = String(d);
    if (s.includes('"type":"auth"')) {
      w.auth.push(s);
      s = s.replace('"followRecent":', '"notKnownHere":');
    }
    return send.call(this, s);
  };
  window.fetch = function (r, o) { w.fetched.push(String(r && r.url ? r.url : r)); return fetch.call(this, r, o); };
})()"#,
    )
    .unwrap();
    let b = started(&b_token).await;
    let log = js_sys::eval(
        "(() => { const w = window.__chatixOld; WebSocket.prototype.send = w.send; \
         window.fetch = w.fetch; window.__chatixOld = null; return w; })()",
    )
    .unwrap();
    let strings = |k: &str| -> Vec<String> {
        Array::from(&get(&log, k))
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    };
    let (auth, fetched) = (strings("auth"), strings("fetched"));
    assert_eq!(
        auth.len(),
        2,
        "one refused auth frame, then one accepted: {auth:?}"
    );
    assert!(auth[0].contains("\"followRecent\":true"), "{auth:?}");
    assert!(!auth[1].contains("followRecent"), "{auth:?}");
    assert!(
        fetched.iter().any(|u| u.contains("/v1/chats")),
        "the chats listed over REST: {fetched:?}"
    );
    let (on_msg, msg_log) = recorder();
    b.on("message".into(), on_msg.into()).unwrap();
    ok(chat.send_message(obj(json!({"text": "hi, old server"})))).await;
    until("bob hears it", 5000, || msg_log.borrow().len() == 1).await;
    assert_eq!(texts(&msg_log), ["hi, old server"]);
    assert_eq!(b.get_unread_count(chat.id().into()), 1.0);
    for core in [a, b] {
        core.stop();
    }
}

/// start() with a token: the `auth` frame asks the server to follow the user's recent
/// chats (`followRecent`), so start() makes no `GET /v1/chats` and sends no `subscribe`,
/// and a message of such a chat still reaches the app, counted unread, from the first one.
#[wasm_bindgen_test]
async fn start_follows_the_recent_chats_in_the_auth_frame_with_no_extra_round_trip() {
    let (a_name, b_name) = (unique("ann"), unique("bob"));
    let a = user(&a_name).await;
    let b_token = mint_token(b_name.clone(), 3600).await;
    let chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    js_sys::eval(
        r#"(() => {
  const w = window.__chatixStart = { sent: [], fetched: [] };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (d) { w.sent.push(String(d)); return send.call(this, d); };
  const fetch = window.fetch;
  window.fetch = function (r, o) { w.fetched.push(String(r && r.url ? r.url : r)); return fetch.call(this, r, o); };
})()"#,
    )
    .unwrap();
    let b = started(&b_token).await;
    let log = js_sys::eval("window.__chatixStart").unwrap();
    let sent: Vec<String> = Array::from(&get(&log, "sent"))
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    let fetched: Vec<String> = Array::from(&get(&log, "fetched"))
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    js_sys::eval("window.__chatixStart = null").unwrap();
    assert!(
        sent.first()
            .is_some_and(|f| f.contains("\"type\":\"auth\"") && f.contains("\"followRecent\":true")),
        "{sent:?}"
    );
    assert!(
        !sent.iter().any(|f| f.contains("\"type\":\"subscribe\"")),
        "no subscribe frame: {sent:?}"
    );
    assert!(
        !fetched.iter().any(|u| u.contains("/v1/chats")),
        "no GET /v1/chats: {fetched:?}"
    );
    let (on_msg, msg_log) = recorder();
    b.on("message".into(), on_msg.into()).unwrap();
    ok(chat.send_message(obj(json!({"text": "hi from ann"})))).await;
    until("bob hears it", 5000, || msg_log.borrow().len() == 1).await;
    assert_eq!(texts(&msg_log), ["hi from ann"]);
    assert_eq!(b.get_unread_count(chat.id().into()), 1.0);
    for core in [a, b] {
        core.stop();
    }
}

#[wasm_bindgen_test]
async fn reactions_and_pins_reach_both_sides_and_the_cache_keeps_each_ones_own() {
    let (a_name, b_name) = (unique("rea"), unique("reb"));
    let a = user(&a_name).await;
    let b = user(&b_name).await;
    let a_chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    let b_chat = chat_of(ok(b.chat(a_name.as_str().into())).await);
    let (added, added_log) = recorder();
    a.on("reactionAdded".into(), added.into()).unwrap();
    let (removed, removed_log) = recorder();
    a_chat
        .set_handler("onReactionRemoved", removed.into())
        .unwrap();
    let (b_heard, b_log) = recorder();
    b_chat.on("reactionAdded".into(), b_heard.into()).unwrap();
    sleep(300).await;
    let m = ok(a_chat.send_message(obj(json!({"text": "react to this"})))).await;
    let mid = s(&m, "id");
    until("b caches the message", 5000, || {
        Array::from(&b_chat.cached_messages()).length() == 1
    })
    .await;

    // b reacts: the answer has b's own reactions; a hears who reacted, with the counts
    let r = ok(b_chat.add_reaction(mid.as_str().into(), "👍".into())).await;
    assert_eq!(json_of(&get(&r, "reactions")), json!({"👍": 1}));
    assert_eq!(json_of(&get(&r, "ownReactions")), json!(["👍"]));
    until("a hears the reaction", 5000, || {
        added_log.borrow().len() == 1
    })
    .await;
    let ev = added_log.borrow()[0].clone();
    assert_eq!(s(&ev, "messageId"), mid);
    assert_eq!(s(&ev, "reaction"), "👍");
    assert_eq!(s(&ev, "userId"), s(&b.me(), "id"));
    assert_eq!(s(&ev, "chatId"), a_chat.id());
    assert_eq!(
        json_of(&get(&get(&ev, "message"), "reactions")),
        json!({"👍": 1})
    );
    until("b's own Chat hears it too", 5000, || {
        b_log.borrow().len() == 1
    })
    .await;

    // a reacts with the same: counts 2 for both; each cache keeps its own reactions
    ok(a_chat.add_reaction(mid.as_str().into(), "👍".into())).await;
    until("b sees two", 5000, || {
        let c = Array::from(&b_chat.cached_messages()).get(0);
        json_of(&get(&c, "reactions")) == json!({"👍": 2})
    })
    .await;
    let bc = Array::from(&b_chat.cached_messages()).get(0);
    assert_eq!(
        json_of(&get(&bc, "ownReactions")),
        json!(["👍"]),
        "a's reaction left b's own as they were"
    );
    ok(b_chat.remove_reaction(mid.as_str().into(), "👍".into())).await;
    until("a hears the removal", 5000, || {
        removed_log.borrow().len() == 1
    })
    .await;
    let ac = Array::from(&a_chat.cached_messages()).get(0);
    assert_eq!(json_of(&get(&ac, "reactions")), json!({"👍": 1}));
    assert_eq!(json_of(&get(&ac, "ownReactions")), json!(["👍"]));
    // b's cache follows b's own socket, which a hearing first does not wait for
    until("b's cache drops its own reaction", 5000, || {
        let bc = Array::from(&b_chat.cached_messages()).get(0);
        json_of(&get(&bc, "ownReactions")) == json!([])
    })
    .await;
    let bc = Array::from(&b_chat.cached_messages()).get(0);
    assert_eq!(json_of(&get(&bc, "reactions")), json!({"👍": 1}));

    // bad input: a rejected Promise with a ChatixError, nothing stored
    for bad in [JsValue::from("lol"), JsValue::from(5), JsValue::UNDEFINED] {
        assert_eq!(
            err(b_chat.add_reaction(mid.as_str().into(), bad)).await,
            "invalid_argument"
        );
    }
    assert_eq!(
        err(b_chat.add_reaction(JsValue::NULL, "👍".into())).await,
        "invalid_argument"
    );
    let page = ok(b_chat.get_messages(JsValue::UNDEFINED)).await;
    let stored = Array::from(&get(&page, "messages")).get(0);
    assert_eq!(json_of(&get(&stored, "reactions")), json!({"👍": 1}));
    assert_eq!(json_of(&get(&stored, "ownReactions")), json!([]));

    // pins in a direct chat (its members may pin): live to the other side, listed
    let (pinned, pinned_log) = recorder();
    a_chat.on("messagePinned".into(), pinned.into()).unwrap();
    let p = ok(b_chat.pin_message(mid.as_str().into())).await;
    assert_eq!(s(&get(&p, "pinned"), "by"), s(&b.me(), "id"));
    until("a hears the pin", 5000, || pinned_log.borrow().len() == 1).await;
    let ev = pinned_log.borrow()[0].clone();
    assert_eq!(s(&ev, "id"), mid);
    assert!(get(&ev, "pinned").is_object());
    let list = ok(a_chat.get_pinned_messages()).await;
    assert_eq!(Array::from(&list).length(), 1);
    assert_eq!(s(&Array::from(&list).get(0), "id"), mid);
    ok(a_chat.unpin_message(mid.as_str().into())).await;
    assert_eq!(
        Array::from(&ok(b_chat.get_pinned_messages()).await).length(),
        0
    );
    a.stop();
    b.stop();
}

#[wasm_bindgen_test]
async fn a_consultant_mutes_bans_and_works_the_reports_queue_a_visitor_feels_each() {
    let staff = consultant().await;
    let room = chat_of(
        ok(staff.group_chat(obj(
            json!({"name": unique("moderated"), "visibility": "public"}),
        )))
        .await,
    );
    let v = visitor().await;
    let vname = s(&v.me(), "username");
    ok_of(connect_to_chatroom(&v, room.id().into())).await;
    let v_room = chat_of(ok(v.get_chat(room.id().into())).await);
    ok(v_room.send_message(obj(json!({"text": "first"})))).await;

    // bad arguments reject before the wire, naming what was wrong
    for (who, opts) in [
        (JsValue::from(""), JsValue::UNDEFINED),
        (vname.as_str().into(), obj(json!({"seconds": 0}))),
        (vname.as_str().into(), obj(json!({"seconds": 1.5}))),
        (vname.as_str().into(), obj(json!({"minutes": 5}))),
    ] {
        assert_eq!(err(room.mute_user(who, opts)).await, "invalid_argument");
    }
    // muted: the visitor's sends reject with forbidden, saying why; nothing is stored
    let m = ok(room.mute_user(
        vname.as_str().into(),
        obj(json!({"seconds": 600, "reason": "cool down"})),
    ))
    .await;
    assert_eq!(
        (s(&m, "kind"), s(&m, "reason")),
        ("mute".into(), "cool down".into())
    );
    let e = JsFuture::from(v_room.send_message(obj(json!({"text": "still here"}))))
        .await
        .expect_err("a muted visitor's send is refused");
    assert_eq!(s(&e, "code"), "forbidden");
    assert!(
        s(&e, "message").contains("cool down"),
        "{}",
        s(&e, "message")
    );
    let list = json_of(&ok(room.get_sanctions()).await);
    assert_eq!(list["sanctions"][0]["username"], vname.as_str(), "{list}");
    assert_eq!(err(v_room.get_sanctions()).await, "forbidden");
    assert_eq!(
        err(v_room.mute_user(vname.as_str().into(), JsValue::UNDEFINED)).await,
        "forbidden",
        "visitors do not moderate"
    );
    assert!(ok(room.unmute_user(vname.as_str().into()))
        .await
        .is_undefined());
    ok(v_room.send_message(obj(json!({"text": "sorry"})))).await;
    let page = json_of(&ok(room.get_messages(JsValue::UNDEFINED)).await);
    let stored: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(stored, ["first", "sorry"]);

    // slow mode: a second send too soon rejects with rate_limited; off again
    assert_eq!(
        err(room.set_slow_mode((-1).into())).await,
        "invalid_argument"
    );
    let slowed = ok(room.set_slow_mode(60.into())).await;
    assert_eq!(get(&slowed, "slowMode").as_f64(), Some(60.0));
    ok(v_room.send_message(obj(json!({"text": "slowly"})))).await;
    let e = JsFuture::from(v_room.send_message(obj(json!({"text": "too fast"}))))
        .await
        .expect_err("a second send within the slow mode is refused");
    assert_eq!(s(&e, "code"), "rate_limited");
    assert!(s(&e, "message").contains("wait"), "{}", s(&e, "message"));
    assert!(
        s(&e, "message").starts_with("slow mode:"),
        "failed at once, not resent: {}",
        s(&e, "message")
    );
    ok(room.set_slow_mode(0.into())).await;

    // the visitor flags the consultant's message and reports them; staff resolve
    let rude = ok(room.send_message(obj(json!({"text": "read the rules"})))).await;
    until("the visitor caches it", 5000, || {
        Array::from(&v_room.cached_messages()).length() == 4
    })
    .await;
    assert_eq!(
        err(v_room.flag_message(s(&rude, "id").into(), "".into())).await,
        "invalid_argument"
    );
    let flag = ok(v_room.flag_message(s(&rude, "id").into(), "too harsh".into())).await;
    assert_eq!(s(&flag, "kind"), "message");
    assert_eq!(s(&flag, "excerpt"), "read the rules");
    let staff_name = s(&staff.me(), "username");
    let rep = ok(v.report_user(staff_name.as_str().into(), "grumpy".into())).await;
    assert_eq!(s(&rep, "reporter"), vname);
    assert_eq!(err(v.get_reports(JsValue::UNDEFINED)).await, "forbidden");
    assert_eq!(
        err(staff.get_reports(obj(json!({"status": "closed"})))).await,
        "invalid_argument"
    );
    let queue = json_of(&ok(staff.get_reports(JsValue::UNDEFINED)).await);
    let ids: Vec<&str> = queue["reports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&s(&flag, "id").as_str()), "{queue}");
    let done = ok(staff.resolve_report(
        s(&flag, "id").into(),
        obj(json!({"resolution": "explained the rules"})),
    ))
    .await;
    assert_eq!(s(&done, "resolvedBy"), staff_name);
    assert_eq!(
        err(staff.resolve_report(s(&flag, "id").into(), JsValue::UNDEFINED)).await,
        "conflict"
    );
    let resolved = json_of(&ok(staff.get_reports(obj(json!({"status": "resolved"})))).await);
    assert!(
        resolved.to_string().contains("explained the rules"),
        "{resolved}"
    );

    // banned from the chatroom: removed, refused; unbanned: back
    let b = ok(room.ban_user(vname.as_str().into(), obj(json!({"reason": "flooding"})))).await;
    assert_eq!(get(&b, "until"), JsValue::NULL);
    assert_eq!(
        err(v.get_chatroom(room.id().into())).await,
        "forbidden",
        "a chat ban refuses reading"
    );
    ok(room.unban_user(vname.as_str().into())).await;
    ok_of(connect_to_chatroom(&v, room.id().into())).await;

    // banned from the website: the visitor's session ends at once, no reconnect
    let (ended, ended_log) = recorder();
    v.on("error".into(), ended.into()).unwrap();
    let (gone, gone_log) = recorder();
    v.on("disconnected".into(), gone.into()).unwrap();
    let ban = ok(staff.ban_user(
        vname.as_str().into(),
        obj(json!({"seconds": 3600, "reason": "spam"})),
    ))
    .await;
    assert_eq!(get(&ban, "chatId"), JsValue::NULL);
    until("the banned visitor's session ends", 5000, || {
        !ended_log.borrow().is_empty()
    })
    .await;
    let d = gone_log
        .borrow()
        .last()
        .cloned()
        .expect("a disconnected event");
    assert_eq!(get(&d, "code").as_f64(), Some(4003.0));
    assert_eq!(get(&d, "retrying"), JsValue::FALSE);
    assert_eq!(err(v.get_visitor()).await, "forbidden");
    let bans = json_of(&ok(staff.get_sanctions()).await);
    assert!(bans.to_string().contains(&vname), "{bans}");
    ok(staff.unban_user(vname.as_str().into())).await;
    assert_eq!(s(&ok(v.get_visitor()).await, "username"), vname);
    v.stop();
    staff.stop();
}

#[wasm_bindgen_test]
async fn a_reply_carries_its_quote_to_both_sides_and_their_caches() {
    let (a_name, b_name) = (unique("qa"), unique("qb"));
    let a = user(&a_name).await;
    let b = user(&b_name).await;
    let a_chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    let b_chat = chat_of(ok(b.chat(a_name.as_str().into())).await);
    let (heard, log) = recorder();
    a_chat.on("message".into(), heard.into()).unwrap();
    sleep(300).await;
    let q = ok(a_chat.send_message(obj(json!({"text": "lunch at noon?"})))).await;
    assert!(get(&q, "quote").is_undefined(), "not a reply: no quote");
    until("b caches it", 5000, || {
        Array::from(&b_chat.cached_messages()).length() == 1
    })
    .await;
    let r = ok(b_chat.send_message(obj(json!({"text": "yes!", "replyTo": s(&q, "id")})))).await;
    assert_eq!(s(&r, "replyTo"), s(&q, "id"));
    assert_eq!(
        json_of(&get(&r, "quote")),
        json!({"senderId": s(&a.me(), "id"), "senderName": a_name, "text": "lunch at noon?"})
    );
    until("a hears the reply", 5000, || {
        log.borrow().iter().any(|m| s(m, "text") == "yes!")
    })
    .await;
    let live = log
        .borrow()
        .iter()
        .find(|m| s(m, "text") == "yes!")
        .cloned()
        .unwrap();
    assert_eq!(s(&get(&live, "quote"), "text"), "lunch at noon?");
    let cached = Array::from(&a_chat.cached_messages());
    let last = cached.get(cached.length() - 1);
    assert_eq!(s(&get(&last, "quote"), "senderName"), a_name);
    assert_eq!(
        err(b_chat.send_message(obj(json!({"text": "?", "replyTo": "msg_nope"})))).await,
        "not_found"
    );
    a.stop();
    b.stop();
}

#[wasm_bindgen_test]
async fn thread_replies_reach_the_other_side_without_entering_the_chat() {
    let (a_name, b_name) = (unique("ta"), unique("tb"));
    let a = user(&a_name).await;
    let b = user(&b_name).await;
    let a_chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    let b_chat = chat_of(ok(b.chat(a_name.as_str().into())).await);
    let (heard, log) = recorder();
    a_chat.on("message".into(), heard.into()).unwrap();
    let (updated, updates) = recorder();
    a_chat.on("messageUpdated".into(), updated.into()).unwrap();
    sleep(300).await;
    let p = ok(a_chat.send_message(obj(json!({"text": "trip plans"})))).await;
    let pid = s(&p, "id");
    assert!(get(&p, "parentId").is_undefined() && get(&p, "replyCount").is_undefined());
    until("b caches the parent", 5000, || {
        Array::from(&b_chat.cached_messages()).length() == 1
    })
    .await;
    let r = ok(b_chat.send_message(obj(json!({"text": "by train", "parentId": pid})))).await;
    assert_eq!(s(&r, "parentId"), pid);
    assert!(get(&r, "showInChat").is_undefined());
    until("a hears the reply and the parent's recount", 5000, || {
        log.borrow().iter().any(|m| s(m, "text") == "by train")
            && updates
                .borrow()
                .iter()
                .any(|m| get(m, "replyCount").as_f64() == Some(1.0))
    })
    .await;
    let live = log
        .borrow()
        .iter()
        .find(|m| s(m, "text") == "by train")
        .cloned()
        .unwrap();
    assert_eq!(s(&live, "parentId"), pid);
    // in the thread, not in the chat: cache, unread
    let cached = Array::from(&a_chat.cached_messages());
    assert_eq!(cached.length(), 1, "the chat holds the parent only");
    assert_eq!(get(&cached.get(0), "replyCount").as_f64(), Some(1.0));
    assert_eq!(get(&cached.get(0), "lastReplyAt"), get(&r, "createdAt"));
    assert_eq!(a_chat.unread(), 0.0, "a thread-only reply is not unread");
    // shown in the chat too
    let shown = obj(json!({"text": "or by bus", "parentId": pid, "showInChat": true}));
    let r2 = ok(b_chat.send_message(shown)).await;
    assert_eq!(get(&r2, "showInChat"), JsValue::TRUE);
    until("a caches the shown reply", 5000, || {
        Array::from(&a_chat.cached_messages()).length() == 2
    })
    .await;
    // the thread, paged
    let page = ok(a_chat.get_thread(pid.as_str().into(), JsValue::UNDEFINED)).await;
    let texts: Vec<String> = Array::from(&get(&page, "messages"))
        .iter()
        .map(|m| s(&m, "text"))
        .collect();
    assert_eq!(texts, ["by train", "or by bus"]);
    assert_eq!(get(&page, "hasMore"), JsValue::FALSE);
    let older = ok(a_chat.get_thread(
        pid.as_str().into(),
        obj(json!({"count": 1, "cursor": s(&r2, "id")})),
    ))
    .await;
    let first = Array::from(&get(&older, "messages")).get(0);
    assert_eq!(s(&first, "text"), "by train");
    // refusals, each a ChatixError with its code
    assert_eq!(
        err(b_chat.send_message(obj(json!({"text": "x", "parentId": s(&r, "id")})))).await,
        "invalid_argument",
        "threads are one level deep"
    );
    assert_eq!(
        err(b_chat.send_message(obj(json!({"text": "x", "parentId": "msg_nope"})))).await,
        "not_found"
    );
    assert_eq!(
        err(b_chat.send_message(obj(json!({"text": "x", "parentId": pid, "showInChat": 1})))).await,
        "invalid_argument"
    );
    assert_eq!(
        err(a_chat.get_thread(pid.as_str().into(), obj(json!({"count": 0})))).await,
        "invalid_argument"
    );
    assert_eq!(
        err(a_chat.get_thread(JsValue::UNDEFINED, JsValue::UNDEFINED)).await,
        "invalid_argument"
    );
    a.stop();
    b.stop();
}

#[wasm_bindgen_test]
async fn a_mention_is_heard_counted_and_listed_until_seen() {
    let (a_name, b_name) = (unique("ma"), unique("mb"));
    let a = user(&a_name).await;
    let b = user(&b_name).await;
    let a_chat = chat_of(ok(a.chat(b_name.as_str().into())).await);
    let b_chat = chat_of(ok(b.chat(a_name.as_str().into())).await);
    let (heard, log) = recorder();
    b.on("mentioned".into(), heard.into()).unwrap();
    let (on_chat, chat_log) = recorder();
    b_chat.on("mentioned".into(), on_chat.into()).unwrap();
    let (unread, unreads) = recorder();
    b.on("unreadChanged".into(), unread.into()).unwrap();
    sleep(300).await;
    let text = format!("see you at 5, @{b_name}");
    let m1 = ok(a_chat.send_message(obj(json!({"text": text})))).await;
    assert_eq!(
        Array::from(&get(&m1, "mentions")).get(0).as_string(),
        Some(b_name.clone())
    );
    let m2 =
        ok(a_chat.send_message(obj(json!({"text": "bring the map", "mentions": [b_name]})))).await;
    until("b hears both mentions", 5000, || {
        log.borrow().len() == 2 && chat_log.borrow().len() == 2
    })
    .await;
    assert_eq!(s(&log.borrow()[1], "id"), s(&m2, "id"));
    assert_eq!(b_chat.mention_count(), 2.0);
    assert!(unreads
        .borrow()
        .iter()
        .any(|e| get(e, "mentions").as_f64() == Some(2.0)));
    let plain = ok(a_chat.send_message(obj(json!({"text": "no one here"})))).await;
    assert!(get(&plain, "mentions").is_undefined());
    // the list: newest first page, oldest first within it
    let page = ok(b_chat.get_mentions(JsValue::UNDEFINED)).await;
    let texts: Vec<String> = Array::from(&get(&page, "messages"))
        .iter()
        .map(|m| s(&m, "text"))
        .collect();
    assert_eq!(texts, [text.as_str(), "bring the map"]);
    let older = ok(b_chat.get_mentions(obj(json!({"count": 1, "cursor": s(&m2, "id")})))).await;
    assert_eq!(
        s(&Array::from(&get(&older, "messages")).get(0), "id"),
        s(&m1, "id")
    );
    // seen: the server's count comes back, and the chat's follows
    let seen = ok(b_chat.set_seen(JsValue::UNDEFINED)).await;
    assert_eq!(get(&seen, "mentionCount").as_f64(), Some(0.0));
    assert_eq!(b_chat.mention_count(), 0.0);
    // refusals, each a ChatixError with its code, and nothing sent
    assert_eq!(
        err(a_chat.send_message(obj(
            json!({"text": "x", "mentions": ["no such person here"]})
        )))
        .await,
        "invalid_argument",
        "a username with spaces is refused in the SDK"
    );
    assert_eq!(
        err(a_chat.send_message(obj(json!({"text": "x", "mentions": b_name})))).await,
        "invalid_argument",
        "mentions is a list"
    );
    assert_eq!(
        err(a_chat.send_message(obj(json!({"text": "x", "mentions": [unique("nobody")]})))).await,
        "invalid_argument",
        "the server refuses a name that is no user"
    );
    assert_eq!(
        err(b_chat.get_mentions(obj(json!({"count": 0})))).await,
        "invalid_argument"
    );
    a.stop();
    b.stop();
}
