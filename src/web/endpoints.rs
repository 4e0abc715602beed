//! Endpoints described as data: every SDK method that is one REST call (check the
//! arguments, build the path and the body, call, turn the answer into the result) is one
//! line of `handlers.js` (`ENDPOINTS`), a spec that [`rest`] interprets, behind one export
//! per class (`__rest(spec, args)`). An exported wasm function per method, with its glue,
//! its own checks and its own `format!` and closure, was most of the SDK's code.
//!
//! A spec is `METHOD PATH [THEN] [FIELD=KIND:NAME]...`, words separated by one space:
//! - PATH holds `{KIND:NAME}` placeholders and, on `Chat`, `{chat}` (`/v1/chats/{its id}`);
//! - each `FIELD=KIND:NAME` is a field of the JSON body;
//! - each placeholder, then each field, takes the method's next argument, checked by KIND
//!   (an error names NAME): `s` a non-empty string (trimmed), `u` a username, `p` a page
//!   (default 1), `n` a page size (1-100, default 10); in a body also `m` flat metadata,
//!   `v` a visibility, `U` usernames (at most [`MAX_MEMBERS_PER_CALL`]), `F` usernames (at
//!   most [`MAX_USERS_PER_FETCH`]), `1` one username (sent as a list of one), `o` an optional
//!   string (left out when absent);
//! - THEN is what the answer becomes ([`Then`]); absent: the answer as it is.
//!
//! A spec is the SDK's own text (never a caller's), and tests/release-package.mjs calls
//! every method of `ENDPOINTS`; a word this module does not know still fails cleanly, as an
//! `invalid_argument` naming it.

use chatix_protocol::limits::{MAX_MEMBERS_PER_CALL, MAX_PER_PAGE, MAX_USERS_PER_FETCH};
use chatix_protocol::{ApiError, Visibility};
use gloo_net::http::Method;
use js_sys::{Array, Object, Promise};
use std::rc::Rc;
use wasm_bindgen::JsValue;

use super::body::ToJs;
use super::chat::ChatHandle;
use super::client::Client;
use super::js::{self, arg};
use super::promise::{call, Call};
use crate::core::args;

/// Runs the call `spec` describes with the method's arguments `a`; `chat` is the chat id of
/// a `Chat`'s call (`{chat}`, and the chat the answer is about).
pub fn rest(c: &Rc<Client>, chat: Option<&str>, spec: &str, a: &Array) -> Promise {
    call(c, build(chat, spec, a))
}

fn build(chat: Option<&str>, spec: &str, a: &Array) -> Result<Call, ApiError> {
    let unknown = |w: &str| args::invalid(format!("unknown endpoint word \"{w}\" in \"{spec}\""));
    let mut words = spec.split(' ');
    let method = match words.next().unwrap_or_default() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PATCH" => Method::PATCH,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        w => return Err(unknown(w)),
    };
    let mut next = 0;
    let mut take = || {
        next += 1;
        a.get(next - 1)
    };
    let mut path = String::new();
    let mut rest = words.next().unwrap_or_default();
    while let Some((before, after)) = rest.split_once('{') {
        path.push_str(before);
        let (ph, after) = after.split_once('}').unwrap_or((after, ""));
        rest = after;
        if ph == "chat" {
            path.push_str("/v1/chats/");
            path.push_str(&js::enc(chat.unwrap_or_default()));
            continue;
        }
        let (kind, name) = ph.split_once(':').unwrap_or((ph, ph));
        let v = take();
        path.push_str(&match kind {
            "s" => js::enc(&args::string(name, &arg(&v))?),
            "u" => js::enc(&js::username(name, &v)?),
            "p" => args::page(name, &arg(&v))?.unwrap_or(1).to_string(),
            "n" => args::opt_int(name, &arg(&v), MAX_PER_PAGE)?
                .unwrap_or(10)
                .to_string(),
            _ => return Err(unknown(ph)),
        });
    }
    path.push_str(rest);
    let body = Object::new();
    let mut has_body = false;
    let mut then = Then::Raw;
    for w in words {
        let Some((field, kn)) = w.split_once('=') else {
            then = Then::of(w).ok_or_else(|| unknown(w))?;
            continue;
        };
        let (kind, name) = kn.split_once(':').unwrap_or((kn, field));
        let v = take();
        // a spec with fields sends a JSON body, even when every field is left out
        has_body = true;
        let value = match kind {
            "s" => args::string(name, &arg(&v))?.to_js(),
            "m" => js::metadata(name, &v)?.to_js(),
            "v" => match v.as_string().as_deref() {
                Some("public") => Visibility::Public.to_js(),
                Some("private") => Visibility::Private.to_js(),
                _ => {
                    return Err(args::invalid(format!(
                        "{name} must be \"public\" or \"private\""
                    )))
                }
            },
            "U" => js::usernames(name, &v, MAX_MEMBERS_PER_CALL)?.to_js(),
            "F" => js::usernames(name, &v, MAX_USERS_PER_FETCH)?.to_js(),
            "1" => vec![js::username(name, &v)?].to_js(),
            "o" => match args::opt_string(name, &arg(&v))? {
                Some(s) => s.to_js(),
                None => continue,
            },
            _ => return Err(unknown(w)),
        };
        js::set(&body, field, &value);
    }
    let mut req = Call::new(method, path);
    if has_body {
        req = req.body(&JsValue::from(body))?;
    }
    let chat = chat.unwrap_or_default().to_owned();
    Ok(req.then(move |c, v| then.apply(c, &chat, v)))
}

/// What a REST answer becomes for the caller (the spec's THEN word).
#[derive(Clone, Copy)]
enum Then {
    /// (no word) The answer as it is.
    Raw,
    /// `none`: nothing.
    Nothing,
    /// `user`: a user (its avatar URL made absolute).
    User,
    /// `users`: the answer's `users` list.
    Users,
    /// `chat`: a chat's data (recorded).
    Chat,
    /// `wrap`: a chat as a `Chat` object.
    Wrap,
    /// `chats`: a page of chats as `Chat` objects, each followed when the SDK follows
    /// every chat.
    Chats,
    /// `page`: a page of chats as `Chat` objects.
    Page,
    /// `rooms`: a page of chatrooms' data (recorded).
    Rooms,
    /// `members`: a page of members (their users' avatar URLs made absolute).
    Members,
    /// `message`: a message of the caller's (put into the cache).
    Message,
    /// `messages`: the answer's `messages` list (put into the cache).
    Messages,
    /// `history`: a page of the chat's messages (merged into its cache).
    History,
    /// `leave`: nothing, and the chat is no longer followed.
    Leave,
    /// `seen`: the chat's new read position (`{lastSeenSeq, unread}`), applied to the cache.
    Seen,
}

impl Then {
    fn of(w: &str) -> Option<Then> {
        Some(match w {
            "none" => Then::Nothing,
            "user" => Then::User,
            "users" => Then::Users,
            "chat" => Then::Chat,
            "wrap" => Then::Wrap,
            "chats" => Then::Chats,
            "page" => Then::Page,
            "rooms" => Then::Rooms,
            "members" => Then::Members,
            "message" => Then::Message,
            "messages" => Then::Messages,
            "history" => Then::History,
            "leave" => Then::Leave,
            "seen" => Then::Seen,
            _ => return None,
        })
    }

    fn apply(self, c: &Rc<Client>, chat: &str, v: JsValue) -> Result<JsValue, ApiError> {
        let list = |k: &str| Array::from(&js::get(&v, k));
        Ok(match self {
            Then::Raw => v,
            Then::Nothing => JsValue::UNDEFINED,
            Then::User => c.user(v),
            Then::Users => c.users(js::get(&v, "users")),
            Then::Chat => {
                c.remember_chat(&v)?;
                v
            }
            Then::Wrap => ChatHandle::wrap(c, v)?.into(),
            Then::Chats | Then::Page => {
                let follow = matches!(self, Then::Chats) && c.core.borrow().auto_follow;
                let objects = Array::new();
                for ch in list("chats").iter() {
                    let h = ChatHandle::wrap(c, ch)?;
                    if follow && !c.core.borrow().follows(&h.id()) {
                        let (c, id) = (c.clone(), h.id());
                        wasm_bindgen_futures::spawn_local(async move {
                            let _ = c.follow(&id).await;
                        });
                    }
                    objects.push(&h.into());
                }
                js::set(&v, "chats", &objects);
                v
            }
            Then::Rooms => {
                for ch in list("chatrooms").iter() {
                    c.remember_chat(&ch)?;
                }
                v
            }
            Then::Members => {
                for m in list("members").iter() {
                    c.user(js::get(&m, "user"));
                }
                v
            }
            Then::Message => {
                c.js_messages(&Array::of1(&v));
                v
            }
            Then::Messages => {
                let l = js::get(&v, "messages");
                c.js_messages(&l);
                l
            }
            Then::History => {
                let msgs = c.js_messages(&js::get(&v, "messages"));
                let num = |k: &str| js::get(&v, k).as_f64().unwrap_or(0.0);
                let last = num("page") >= num("totalPages");
                c.core.borrow_mut().merge_history(chat, &msgs, last);
                v
            }
            Then::Seen => {
                let num = |k: &str| js::get(&v, k).as_f64().unwrap_or(0.0);
                let fx = c.core.borrow_mut().seen_locally(
                    chat,
                    num("lastSeenSeq") as i64,
                    num("unread") as u64,
                );
                c.apply(fx);
                v
            }
            Then::Leave => {
                c.core.borrow_mut().forget_follow(chat);
                JsValue::UNDEFINED
            }
        })
    }
}
