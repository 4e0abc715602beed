//! Socket frames as JavaScript values. The browser parses each frame's JSON (`JSON.parse`
//! is native); the SDK reads only the fields its state needs through typed getters (no
//! property-name strings cross into JS, no frame text is copied into wasm), and a message
//! stays the JS object the application receives: made once, never rebuilt.
//!
//! The server writes messages on the socket without their null and default fields, and a
//! client that asked for batches (`batch=1`) may get several frames in one JSON array.
//! [`frames`] yields them one by one; [`JsMsg::new`] restores a message's defaults so the
//! object has every field of the `Message` type.

use chatix_protocol::frame::AckBody;
use chatix_protocol::ServerFrame;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

use crate::core::{Frame, Msg};

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
    #[wasm_bindgen(method, setter, js_name = message)]
    fn set_message(this: &Wire, v: &JsValue);
    #[wasm_bindgen(method, getter)]
    fn id(this: &Wire) -> JsValue;

    #[wasm_bindgen(method, getter, js_name = chatId)]
    fn chat_id(this: &Wire) -> Option<String>;
    #[wasm_bindgen(method, getter, js_name = senderId)]
    fn sender_id(this: &Wire) -> Option<String>;
    #[wasm_bindgen(method, getter)]
    fn seq(this: &Wire) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    fn rev(this: &Wire) -> Option<f64>;

    // the fields the server omits when they hold their default
    #[wasm_bindgen(method, getter)]
    fn deleted(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = deleted)]
    fn set_deleted(this: &Wire, v: bool);
    #[wasm_bindgen(method, getter)]
    fn kind(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = kind)]
    fn set_kind(this: &Wire, v: &str);
    #[wasm_bindgen(method, getter)]
    fn text(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = text)]
    fn set_text(this: &Wire, v: &str);
    #[wasm_bindgen(method, getter)]
    fn file(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = file)]
    fn set_file(this: &Wire, v: &JsValue);
    #[wasm_bindgen(method, getter)]
    fn metadata(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = metadata)]
    fn set_metadata(this: &Wire, v: &JsValue);
    #[wasm_bindgen(method, getter)]
    fn whisper(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = whisper)]
    fn set_whisper(this: &Wire, v: bool);
    #[wasm_bindgen(method, getter, js_name = clientId)]
    fn client_id_v(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = clientId)]
    fn set_client_id(this: &Wire, v: &JsValue);
    #[wasm_bindgen(method, getter, js_name = replyTo)]
    fn reply_to(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = replyTo)]
    fn set_reply_to(this: &Wire, v: &JsValue);
    #[wasm_bindgen(method, getter, js_name = editedAt)]
    fn edited_at(this: &Wire) -> JsValue;
    #[wasm_bindgen(method, setter, js_name = editedAt)]
    fn set_edited_at(this: &Wire, v: &JsValue);

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
/// application receives.
#[derive(Debug, Clone, PartialEq)]
pub struct JsMsg {
    /// Position.
    pub seq: i64,
    /// Revision.
    pub rev: i64,
    /// A tombstone.
    pub deleted: bool,
    /// The chat (shared by every message of the chat).
    pub chat: Rc<str>,
    /// The sender (shared by every message of the sender).
    pub sender: Rc<str>,
    /// The message object.
    pub obj: JsValue,
}

impl Msg for JsMsg {
    fn chat_id(&self) -> &str {
        &self.chat
    }
    fn seq(&self) -> i64 {
        self.seq
    }
    fn rev(&self) -> i64 {
        self.rev
    }
    fn sender_id(&self) -> &str {
        &self.sender
    }
    fn deleted(&self) -> bool {
        self.deleted
    }
}

/// Shares the strings every message of a chat or a sender repeats.
#[derive(Default)]
pub struct Interner {
    names: std::collections::HashSet<Rc<str>>,
}

impl Interner {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> Rc<str> {
        if let Some(n) = self.names.get(s) {
            return n.clone();
        }
        let n: Rc<str> = Rc::from(s);
        self.names.insert(n.clone());
        n
    }
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
    pub fn new(obj: JsValue, base: &str, names: &mut Interner) -> Option<JsMsg> {
        if !obj.is_object() {
            return None;
        }
        let w: &Wire = obj.unchecked_ref();
        let chat = w.chat_id()?;
        let sender = w.sender_id()?;
        let seq = w.seq()? as i64;
        let rev = w.rev().map_or(seq, |r| r as i64);
        let deleted = match w.deleted().as_bool() {
            Some(d) => d,
            None => {
                w.set_deleted(false);
                false
            }
        };
        if w.kind().is_undefined() {
            w.set_kind("text");
        }
        if w.text().is_undefined() {
            w.set_text("");
        }
        let file = w.file();
        if file.is_undefined() {
            w.set_file(&JsValue::NULL);
        } else if file.is_object() {
            absolute(base, file.unchecked_ref());
        }
        if w.metadata().is_undefined() {
            w.set_metadata(&js_sys::Object::new());
        }
        if w.whisper().is_undefined() {
            w.set_whisper(false);
        }
        if w.client_id_v().is_undefined() {
            w.set_client_id(&JsValue::NULL);
        }
        if w.reply_to().is_undefined() {
            w.set_reply_to(&JsValue::NULL);
        }
        if w.edited_at().is_undefined() {
            w.set_edited_at(&JsValue::NULL);
        }
        Some(JsMsg {
            seq,
            rev,
            deleted,
            chat: names.get(&chat),
            sender: names.get(&sender),
            obj,
        })
    }
}

/// Decodes one parsed frame for the core: message frames keep their JS object; everything
/// else is read into the protocol's types. `Err` names what was wrong.
pub fn decode(
    f: &JsValue,
    ty: &str,
    base: &str,
    names: &mut Interner,
) -> Result<Frame<JsMsg>, String> {
    let w: &Wire = f.unchecked_ref();
    let msg = |names: &mut Interner| {
        JsMsg::new(w.message(), base, names)
            .ok_or_else(|| format!("a {ty} frame without a message"))
    };
    Ok(match ty {
        "message" => Frame::Message(msg(names)?),
        "messageUpdated" => Frame::Updated(msg(names)?),
        "messageDeleted" => Frame::Deleted(msg(names)?),
        "ack" => {
            let id = w
                .id()
                .as_f64()
                .ok_or_else(|| "an ack without an id".to_owned())? as u64;
            let m = w.message();
            let message = if m.is_undefined() || m.is_null() {
                None
            } else {
                w.set_message(&JsValue::UNDEFINED);
                Some(msg_of(m, base, names)?)
            };
            let body: AckBody =
                serde_wasm_bindgen::from_value(f.clone()).map_err(|e| format!("ack: {e}"))?;
            Frame::Ack { id, body, message }
        }
        _ => Frame::Other(
            serde_wasm_bindgen::from_value::<ServerFrame>(f.clone())
                .map_err(|e| format!("{ty}: {e}"))?,
        ),
    })
}

fn msg_of(m: JsValue, base: &str, names: &mut Interner) -> Result<JsMsg, String> {
    JsMsg::new(m, base, names).ok_or_else(|| "an ack with an unreadable message".to_owned())
}
