//! Endpoints described as data: every SDK method that is one REST call (check the
//! arguments, build the path and the body, call, turn the answer into the result) is one
//! line of `handlers.js` (`ENDPOINTS`), a spec that [`rest`] interprets, behind one export
//! per class (`__rest(spec, args)`). An exported wasm function per method, with its glue,
//! its own checks and its own `format!` and closure, was most of the SDK's code.
//!
//! A spec is `METHOD PATH [THEN] [!OBJ] [FIELD=KIND:NAME]...`, words separated by one space:
//! - PATH holds `{KIND:NAME}` placeholders (`{&PARAM=KIND:NAME}`: `&PARAM=` written before
//!   the value, both left out when an optional one is absent: a query parameter) and, on
//!   `Chat`, `{chat}` (`/v1/chats/{its id}`);
//! - each `FIELD=KIND:NAME` is a field of the JSON body;
//! - each placeholder, then each field, takes the method's next argument, checked by KIND
//!   (an error names NAME): `s` a non-empty string (trimmed), `u` a username, `p` a page
//!   (default 1), `n` a page size (1-100, default 10), `c` an optional count (1-100), `t` an
//!   optional whole number of at least 1 (a time in ms, or seconds), `z` a whole number of at
//!   least 0, `q` a
//!   search query (at most [`MAX_SEARCH_CHARS`] characters), `o` an optional string, `f`
//!   one flat field (this argument its key, the next its value), `r` an optional string as
//!   it is (not trimmed), `m` flat metadata, `M` optional
//!   metadata, `v` a visibility, `V` an optional one, `U` usernames (at most
//!   [`MAX_MEMBERS_PER_CALL`]), `L` the same or none (an empty list), `F` usernames (at most
//!   [`MAX_USERS_PER_FETCH`]), `1` one username (sent as a list of one), `A` an avatar (a
//!   URL, or a File uploaded first; in a body only), `a` an optional one; an optional field
//!   left out is not sent;
//! - a NAME `OBJ.KEY` is the key KEY of an options object, the method's next argument the
//!   first time OBJ is named (absent: no options; a key the spec does not name is refused),
//!   and errors name KEY; `!OBJ` refuses an options object that sets none of its keys;
//! - THEN is what the answer becomes ([`Then`]); absent: the answer as it is.
//!
//! A spec is the SDK's own text (never a caller's), and tests/release-package.mjs checks
//! every method of `ENDPOINTS` is declared and defined; a word this module does not know
//! still fails cleanly, as an `invalid_argument` naming it.

use chatix_protocol::limits::{
    MAX_CURSOR_COUNT, MAX_MEMBERS_PER_CALL, MAX_PER_PAGE, MAX_SEARCH_CHARS, MAX_USERS_PER_FETCH,
};
use chatix_protocol::{ApiError, Visibility};
use gloo_net::http::Method;
use js_sys::{Array, Object, Promise};
use std::rc::Rc;
use wasm_bindgen::JsValue;

use super::body::ToJs;
use super::chat::ChatHandle;
use super::client::Client;
use super::js::{self, arg};
use super::ops::{avatar_url, blob};
use crate::core::args;

/// A request built from a spec: what [`rest`] sends once the avatars are uploaded.
struct Request {
    method: Method,
    path: String,
    /// The JSON body (none when the spec has no fields).
    body: Option<Object>,
    /// Avatar fields to upload (a File) or take as they are (a URL) before sending.
    avatars: Vec<(String, JsValue)>,
    then: Then,
}

/// Runs the call `spec` describes with the method's arguments `a`; `chat` is the chat id of
/// a `Chat`'s call (`{chat}`, and the chat the answer is about).
pub fn rest(c: &Rc<Client>, chat: Option<&str>, spec: &str, a: &Array) -> Promise {
    let (c, id) = (c.clone(), chat.unwrap_or_default().to_owned());
    super::promise::checked(
        || build(chat, spec, a),
        move |req| async move {
            let body = match req.body {
                Some(body) => {
                    for (field, v) in req.avatars {
                        let url = avatar_url(&c, v).await?.unwrap_or_default();
                        js::set(&body, &field, &url.into());
                    }
                    super::http::json_body(Some(&JsValue::from(body)))?
                }
                None => None,
            };
            let v = c.rest_js(req.method, &req.path, body).await?;
            match req.then {
                Then::Open => ChatHandle::open(&c, v).await,
                then => then.apply(&c, &id, v),
            }
        },
    )
}

/// One argument a spec names: `{KIND:NAME}` or `{&PARAM=KIND:NAME}` in the path (`&PARAM=`
/// written before the value, both left out when an optional one is absent) or
/// `FIELD=KIND:NAME` in the body.
struct Slot<'a> {
    in_path: bool,
    /// The body field, or the path placeholder's query parameter (with its `&` or `?`).
    field: &'a str,
    kind: &'a str,
    name: &'a str,
}

fn slot<'a>(in_path: bool, w: &'a str) -> Slot<'a> {
    let (field, kn) = w.split_once('=').unwrap_or(("", w));
    let (kind, name) = kn.split_once(':').unwrap_or((kn, kn));
    Slot {
        in_path,
        field,
        kind,
        name,
    }
}

fn build<'s>(chat: Option<&str>, spec: &'s str, a: &Array) -> Result<Request, ApiError> {
    let unknown = |w: &str| args::invalid(format!("unknown endpoint word \"{w}\" in \"{spec}\""));
    let words: Vec<&str> = spec.split(' ').collect();
    let method = match words.first().copied().unwrap_or_default() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PATCH" => Method::PATCH,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        w => return Err(unknown(w)),
    };
    // the path's literal pieces and placeholders, then the body's fields
    let mut pieces: Vec<Result<&str, Slot>> = Vec::new();
    let mut rest = words.get(1).copied().unwrap_or_default();
    while let Some((before, after)) = rest.split_once('{') {
        pieces.push(Ok(before));
        let (ph, after) = after.split_once('}').unwrap_or((after, ""));
        rest = after;
        pieces.push(if ph == "chat" {
            Ok("{chat}")
        } else {
            Err(slot(true, ph))
        });
    }
    pieces.push(Ok(rest));
    let fields: Vec<Slot> = words
        .iter()
        .skip(2)
        .filter(|w| w.contains('='))
        .map(|w| slot(false, w))
        .collect();
    let slots: Vec<&Slot> = pieces
        .iter()
        .filter_map(|p| p.as_ref().err())
        .chain(&fields)
        .collect();
    let keys = |obj: &str| -> Vec<&str> {
        slots
            .iter()
            .filter_map(|s| s.name.strip_prefix(obj)?.strip_prefix('.'))
            .collect()
    };
    let mut next = 0;
    let mut objects: Vec<(&str, JsValue)> = Vec::new();
    // the argument a slot names: the next one, or a key of an options object
    let mut take = |name: &'s str| -> Result<JsValue, ApiError> {
        let Some((obj, key)) = name.split_once('.') else {
            next += 1;
            return Ok(a.get(next - 1));
        };
        if let Some((_, o)) = objects.iter().find(|(n, _)| *n == obj) {
            return Ok(js::get(o, key));
        }
        next += 1;
        let o = js::options(obj, &a.get(next - 1), &keys(obj))?;
        let v = js::get(&o, key);
        objects.push((obj, o));
        Ok(v)
    };
    let mut path = String::new();
    let body = Object::new();
    let mut avatars = Vec::new();
    for piece in pieces
        .iter()
        .map(|p| p.as_ref())
        .chain(fields.iter().map(Err))
    {
        let s = match piece {
            Ok(&"{chat}") => {
                path.push_str("/v1/chats/");
                path.push_str(&js::enc(chat.unwrap_or_default()));
                continue;
            }
            Ok(text) => {
                path.push_str(text);
                continue;
            }
            Err(s) => s,
        };
        let v = take(s.name)?;
        let name = s.name.split_once('.').map_or(s.name, |(_, k)| k);
        let absent = v.is_undefined() || v.is_null();
        if absent && matches!(s.kind, "o" | "r" | "M" | "V" | "a" | "c" | "t") {
            continue;
        }
        let number = match s.kind {
            "p" => args::page(name, &arg(&v))?.unwrap_or(1),
            "n" => args::opt_int(name, &arg(&v), MAX_PER_PAGE)?.unwrap_or(10),
            "c" => args::opt_int(name, &arg(&v), MAX_CURSOR_COUNT)?.unwrap_or(50),
            _ => 0,
        };
        let value = match s.kind {
            "p" | "n" | "c" if s.in_path => number.to_string().into(),
            "p" | "n" | "c" => number.into(),
            "s" => args::string(name, &arg(&v))?.to_js(),
            // a time in ms since the epoch or a number of seconds (`t`: at least 1; `z`: 0 too)
            "t" | "z" => {
                let least = if s.kind == "t" { "1" } else { "0" };
                match v.as_f64() {
                    Some(n)
                        if n.fract() == 0.0 && n >= (s.kind == "t") as u8 as f64 && n <= 9e15 =>
                    {
                        n.into()
                    }
                    _ => {
                        return Err(args::invalid(format!(
                            "{name} must be a whole number of at least {least}, got {}",
                            arg(&v).kind()
                        )))
                    }
                }
            }
            "u" => js::username(name, &v)?.to_js(),
            "q" => {
                let q = args::string(name, &arg(&v))?;
                let chars = q.chars().count();
                if chars > MAX_SEARCH_CHARS {
                    return Err(args::invalid(format!(
                        "{name} must be at most {MAX_SEARCH_CHARS} characters, got {chars}"
                    )));
                }
                q.to_js()
            }
            "o" | "r" => match s.kind {
                "o" => args::string(name, &arg(&v))?.to_js(),
                _ => args::opt_raw_string(name, &arg(&v))?
                    .unwrap_or_default()
                    .to_js(),
            },
            "m" | "M" => js::metadata(name, &v)?.to_js(),
            "f" => {
                // one flat field: this argument its key, the next one its value
                let key = args::string("key", &arg(&v))?;
                let o = Object::new();
                js::set(&o, &key, &take("value")?);
                js::metadata(name, &o)?.to_js()
            }
            "v" | "V" => match v.as_string().as_deref() {
                Some("public") => Visibility::Public.to_js(),
                Some("private") => Visibility::Private.to_js(),
                _ => {
                    return Err(args::invalid(format!(
                        "{name} must be \"public\" or \"private\""
                    )))
                }
            },
            "L" if absent => Vec::<String>::new().to_js(),
            "U" | "L" => js::usernames(name, &v, MAX_MEMBERS_PER_CALL)?.to_js(),
            "F" => js::usernames(name, &v, MAX_USERS_PER_FETCH)?.to_js(),
            "1" => vec![js::username(name, &v)?].to_js(),
            "A" | "a" if !s.in_path => {
                if v.as_string().is_none() && blob(&v).is_none() {
                    return Err(args::invalid(format!(
                        "{name} must be a URL string or a File"
                    )));
                }
                avatars.push((s.field.to_owned(), v));
                continue;
            }
            _ => return Err(unknown(s.kind)),
        };
        if s.in_path {
            if !s.field.is_empty() {
                path.push_str(s.field);
                path.push('=');
            }
            path.push_str(&js::enc(&value.as_string().unwrap_or_default()));
        } else {
            js::set(&body, s.field, &value);
        }
    }
    let mut then = Then::Raw;
    for w in words.iter().skip(2).filter(|w| !w.contains('=')) {
        if let Some(obj) = w.strip_prefix('!') {
            let o = objects.iter().find(|(n, _)| *n == obj).map(|(_, o)| o);
            let set = |k: &&str| o.is_some_and(|o| !js::get(o, k).is_undefined());
            let keys = keys(obj);
            if !keys.iter().any(set) {
                return Err(args::invalid(format!(
                    "{obj} needs {}",
                    args::list(&keys, " and/or ")
                )));
            }
        } else {
            then = Then::of(w).ok_or_else(|| unknown(w))?;
        }
    }
    Ok(Request {
        method,
        path,
        body: (!fields.is_empty()).then_some(body),
        avatars,
        then,
    })
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
    /// `found`: search results (their messages put into the cache).
    Found,
    /// `open`: a chat as a `Chat` object, followed (the call resolves once it is).
    Open,
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
            "open" => Then::Open,
            "found" => Then::Found,
            _ => return None,
        })
    }

    fn apply(self, c: &Rc<Client>, chat: &str, v: JsValue) -> Result<JsValue, ApiError> {
        let list = |k: &str| Array::from(&js::get(&v, k));
        Ok(match self {
            Then::Raw | Then::Open => v,
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
            Then::Found => {
                c.js_messages(&js::get(&v, "messages"));
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
                    num("mentionCount") as u64,
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
