//! What `ChatixCore` ([`super::api`]) and `Chat` ([`super::chat`]) both run: uploads with
//! progress, sends (the file uploaded first), cursor history merged into the cache, and the
//! visitor's conversation id. Both class modules call these; neither imports the other's.

use chatix_protocol::limits::MAX_MENTIONS;
use chatix_protocol::rest::SendMessageRequest;
use chatix_protocol::{ApiError, ErrorCode};
use gloo_net::http::Method;
use js_sys::Function;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::client::Client;
use super::js::enc;
use super::{http, js};
use crate::core::args;

/// The blob (File) in a value, if it is one.
pub(crate) fn blob(v: &JsValue) -> Option<web_sys::Blob> {
    v.dyn_ref::<web_sys::Blob>().cloned()
}

/// Uploads a file with progress events; returns the stored file.
pub(crate) async fn upload(
    c: Rc<Client>,
    file: web_sys::Blob,
    chat_id: Option<String>,
    on_progress: Option<Function>,
) -> Result<JsValue, ApiError> {
    let name = file.dyn_ref::<web_sys::File>().map(|f| f.name());
    let limit = c
        .limits
        .borrow()
        .as_ref()
        .map_or(chatix_protocol::limits::MAX_UPLOAD_BYTES, |l| {
            l.max_upload_bytes
        });
    if file.size() > limit as f64 {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the file is {} bytes; the limit is {limit}",
                args::number(file.size())
            ),
        ));
    }
    let token = c.token()?;
    let weak = Rc::downgrade(&c);
    let fname = name.clone().unwrap_or_default();
    let progress = Box::new(move |loaded: f64, total: f64| {
        let o = js_sys::Object::new();
        js::set(&o, "loaded", &loaded.into());
        js::set(&o, "total", &total.into());
        js::set(&o, "name", &fname.as_str().into());
        js::set(
            &o,
            "chatId",
            &chat_id.clone().map_or(JsValue::NULL, Into::into),
        );
        if let Some(f) = &on_progress {
            let _ = f.call1(&JsValue::NULL, &o);
        }
        if let Some(c) = weak.upgrade() {
            let t = c.listeners.borrow_mut().targets("uploadProgress", None);
            super::listeners::call_all(&t, &[o.into()]);
        }
    });
    let f = http::upload(&c.base, &token, &file, name.as_deref(), progress).await?;
    super::wire::file(&c.base, &f);
    Ok(f)
}

/// The caller's conversation object, fresh from the server (created on first use).
pub(crate) async fn fetch_conversation(c: &Rc<Client>) -> Result<JsValue, ApiError> {
    let ch = c.rest::<()>(Method::GET, "/v1/conversation", None).await?;
    let id = c.remember_chat(&ch)?.id;
    *c.conversation.borrow_mut() = Some(id);
    Ok(ch)
}

/// The caller's conversation id: asked of the server once, then remembered.
pub(crate) async fn conversation(c: &Rc<Client>) -> Result<String, ApiError> {
    if let Some(id) = c.conversation.borrow().clone() {
        return Ok(id);
    }
    let ch = fetch_conversation(c).await?;
    Ok(js::get(&ch, "id").as_string().unwrap_or_default())
}

/// Where a send or a history call goes.
pub(crate) enum Target {
    /// A chat by id.
    Chat(String),
    /// The caller's conversation (its id asked of the server once).
    Conversation,
}

impl Target {
    async fn id(self, c: &Rc<Client>) -> Result<String, ApiError> {
        match self {
            Target::Chat(id) => Ok(id),
            Target::Conversation => conversation(c).await,
        }
    }
}

/// An avatar argument: a URL string, or a File to upload first.
pub(crate) async fn avatar_url(c: &Rc<Client>, v: JsValue) -> Result<Option<String>, ApiError> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if let Some(s) = v.as_string() {
        return Ok(Some(s));
    }
    match blob(&v) {
        Some(b) => {
            let f = upload(c.clone(), b, None, None).await?;
            let url = js::get(&f, "url").as_string().unwrap_or_default();
            Ok(Some(
                url.strip_prefix(c.base.as_str()).unwrap_or(&url).to_owned(),
            ))
        }
        None => Err(args::invalid("avatar must be a URL string or a File")),
    }
}

/// The longest text the server takes (its `limits`, or the protocol's default before them).
pub(crate) fn max_chars(c: &Client) -> usize {
    c.limits
        .borrow()
        .as_ref()
        .map_or(chatix_protocol::limits::MAX_MESSAGE_CHARS, |l| {
            l.max_message_chars
        })
}

/// Checks a send's options (`{text?, file?, metadata?, replyTo?, parentId?, showInChat?,
/// mentions?, whisper?, onProgress?}`)
/// and sends: text is required unless there is a file (`needs_file`: a file message).
/// Every send method's: `Chat.sendMessage`, and the four `ChatixCore` ones `handlers.js`
/// defines over `__send`.
pub(crate) fn send_checked(
    c: Rc<Client>,
    to: Result<Target, ApiError>,
    options: &JsValue,
    needs_file: bool,
) -> js_sys::Promise {
    let max = max_chars(&c);
    super::promise::checked(
        || {
            let to = to?;
            let o = js::options(
                "message",
                options,
                &[
                    "text",
                    "file",
                    "metadata",
                    "replyTo",
                    "parentId",
                    "showInChat",
                    "mentions",
                    "whisper",
                    "onProgress",
                ],
            )?;
            let file = js::get(&o, "file");
            let file = if (file.is_undefined() || file.is_null()) && !needs_file {
                None
            } else {
                Some(blob(&file).ok_or_else(|| args::invalid("file must be a File or a Blob"))?)
            };
            let text_arg = args_of(&o, "text");
            let text = if file.is_some() && text_arg.is_absent() {
                None
            } else {
                Some(args::text("text", &text_arg, max)?)
            };
            let metadata = js::opt_metadata("metadata", &js::get(&o, "metadata"))?;
            let whisper = args::flag("whisper", &args_of(&o, "whisper"))?;
            let show_in_chat = args::flag("showInChat", &args_of(&o, "showInChat"))?;
            let reply_to = args::opt_string("replyTo", &args_of(&o, "replyTo"))?;
            let parent_id = args::opt_string("parentId", &args_of(&o, "parentId"))?;
            let m = js::get(&o, "mentions");
            let mentions = if m.is_undefined() || m.is_null() {
                None
            } else {
                Some(js::usernames("mentions", &m, MAX_MENTIONS)?)
            };
            let progress = js::get(&o, "onProgress").dyn_into::<Function>().ok();
            let req = SendMessageRequest {
                client_id: None,
                text,
                file_id: None,
                metadata,
                whisper,
                reply_to,
                parent_id,
                show_in_chat,
                mentions,
            };
            Ok((to, req, file, progress))
        },
        move |(to, req, file, progress)| send_to(c, to, file, progress, req),
    )
}

fn args_of(o: &JsValue, k: &str) -> args::Arg {
    js::arg(&js::get(o, k))
}

/// Checks a cursor history call's arguments (`lastMessageId?`, `count` 1-100) and runs it.
/// Every cursor history method's: `Chat.getMessagesBefore`, and the two `ChatixCore` ones
/// `handlers.js` defines over `__history`.
pub(crate) fn history_checked(
    c: Rc<Client>,
    of: Result<Target, ApiError>,
    last: &JsValue,
    count: &JsValue,
) -> js_sys::Promise {
    super::promise::checked(
        || {
            Ok((
                of?,
                args::opt_string("lastMessageId", &js::arg(last))?,
                args::opt_int(
                    "count",
                    &js::arg(count),
                    chatix_protocol::limits::MAX_CURSOR_COUNT,
                )?,
            ))
        },
        move |(of, last, count)| history_of(c, of, last, count),
    )
}

/// One send (every send method's): the file uploaded first when there is one.
pub(crate) async fn send_to(
    c: Rc<Client>,
    to: Target,
    file: Option<web_sys::Blob>,
    on_progress: Option<Function>,
    mut req: SendMessageRequest,
) -> Result<JsValue, ApiError> {
    let id = to.id(&c).await?;
    if let Some(f) = file {
        let f = upload(c.clone(), f, Some(id.clone()), on_progress).await?;
        req.file_id = js::get(&f, "id").as_string();
    }
    c.send(&id, req).await
}

/// Cursor history of a chat or of the conversation (every history method's).
pub(crate) async fn history_of(
    c: Rc<Client>,
    of: Target,
    last: Option<String>,
    count: Option<u32>,
) -> Result<JsValue, ApiError> {
    let id = of.id(&c).await?;
    history(&c, &id, last, count).await
}

/// Cursor history of a chat, merged into the cache.
async fn history(
    c: &Rc<Client>,
    chat_id: &str,
    last: Option<String>,
    count: Option<u32>,
) -> Result<JsValue, ApiError> {
    let mut q = format!("?count={}", count.unwrap_or(50));
    if let Some(l) = &last {
        q.push_str(&format!("&lastMessageId={}", enc(l)));
    }
    let r = c
        .rest_js(
            Method::GET,
            &format!("/v1/chats/{}/history{q}", enc(chat_id)),
            None,
        )
        .await?;
    let list = js::get(&r, "messages");
    let msgs = c.js_messages(&list);
    let more = js::get(&r, "hasMore").as_bool().unwrap_or(false);
    c.core.borrow_mut().merge_history(chat_id, &msgs, !more);
    Ok(list)
}
