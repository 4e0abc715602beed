//! Conversions between Rust and JavaScript values: arguments in, data and errors out.

use chatix_protocol::{ApiError, ErrorCode};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::args::{self, Arg};

/// `s` as one URL path segment or query value (`encodeURIComponent`).
pub fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// A JS value as an [`Arg`] for validation.
pub fn arg(v: &JsValue) -> Arg {
    if v.is_undefined() {
        Arg::Undefined
    } else if v.is_null() {
        Arg::Null
    } else if let Some(b) = v.as_bool() {
        Arg::Bool(b)
    } else if let Some(n) = v.as_f64() {
        Arg::Number(n)
    } else if let Some(s) = v.as_string() {
        Arg::Str(s)
    } else if v.is_function() {
        Arg::Other("function")
    } else if Array::is_array(v) {
        Arg::Other("array")
    } else {
        Arg::Other("object")
    }
}

// The server's username rule (`core::args::unicode_username_chars`: Unicode letters and
// digits, `._@+-`) asked of the JS engine's own Unicode tables, so that Rust's stay out of
// the .wasm (2 KB gzipped). `\p{Alphabetic}` and `\p{N}` are the properties Rust's
// `char::is_alphabetic` and `char::is_numeric` test.
#[wasm_bindgen(
    inline_js = "export function usernameChars(u) { return /^[\\p{Alphabetic}\\p{N}._@+-]*$/u.test(u); }"
)]
extern "C" {
    #[wasm_bindgen(js_name = usernameChars)]
    fn username_chars_js(u: &str) -> bool;
}

/// [`args::unicode_username_chars`], judged by the JS engine.
pub fn username_chars(u: &str) -> bool {
    username_chars_js(u)
}

/// A username argument ([`args::username`] with the engine's character check).
pub fn username(name: &str, v: &JsValue) -> Result<String, ApiError> {
    args::username(name, &arg(v), username_chars)
}

/// An array of usernames (at most `max`).
pub fn usernames(name: &str, v: &JsValue, max: usize) -> Result<Vec<String>, ApiError> {
    if !Array::is_array(v) {
        return Err(args::invalid(format!(
            "{name} must be an array of usernames"
        )));
    }
    let items: Vec<Arg> = Array::from(v).iter().map(|v| arg(&v)).collect();
    args::usernames(name, &items, max, username_chars)
}

/// Validated flat metadata from a JS object (`name` for the messages).
pub fn metadata(name: &str, v: &JsValue) -> Result<chatix_protocol::Metadata, ApiError> {
    if !v.is_object() || Array::is_array(v) || v.is_function() {
        return Err(args::wrong(name, "an object of flat values", &arg(v)));
    }
    let entries = Object::entries(v.unchecked_ref())
        .iter()
        .map(|e| {
            let e: Array = e.unchecked_into();
            (e.get(0).as_string().unwrap_or_default(), arg(&e.get(1)))
        })
        .collect();
    args::metadata(name, entries)
}

/// Optional metadata (absent or null: none).
pub fn opt_metadata(
    name: &str,
    v: &JsValue,
) -> Result<Option<chatix_protocol::Metadata>, ApiError> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    metadata(name, v).map(Some)
}

/// A JS `Error` carrying a stable `code` (name `ChatixError`).
pub fn error(e: &ApiError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("ChatixError");
    let _ = Reflect::set(&err, &"code".into(), &e.code.as_str().into());
    err.into()
}

/// An `ApiError` from whatever a JS or web API threw.
pub fn from_thrown(code: ErrorCode, v: &JsValue) -> ApiError {
    let msg = v
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| "unknown error".into());
    ApiError::new(code, msg)
}

/// The object's own keys that are not in `allowed` (for "unknown option" errors).
pub fn unknown_keys(obj: &JsValue, allowed: &[&str]) -> Vec<String> {
    if !obj.is_object() {
        return Vec::new();
    }
    Object::keys(obj.unchecked_ref::<Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect()
}

/// Requires `v` to be a plain object (or absent → empty), with only `allowed` keys.
pub fn options(name: &str, v: &JsValue, allowed: &[&str]) -> Result<JsValue, ApiError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Object::new().into());
    }
    if !v.is_object() || Array::is_array(v) || v.is_function() {
        return Err(args::wrong(name, "an object", &arg(v)));
    }
    let unknown = unknown_keys(v, allowed);
    if let Some(k) = unknown.first() {
        return Err(args::invalid(format!(
            "{name} has an unknown option \"{k}\"; known options: {}",
            args::list(allowed, ", ")
        )));
    }
    Ok(v.clone())
}

/// A property of an object (undefined when absent).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Sets a property.
pub fn set(obj: &JsValue, key: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), v);
}

/// The current time, ms.
pub fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// A fresh client id for a send (random, never reused).
pub fn client_id() -> String {
    let r = |shift: f64| (js_sys::Math::random() * shift) as u64;
    format!(
        "c{:x}{:012x}{:012x}",
        now(),
        r(2f64.powi(48)),
        r(2f64.powi(48))
    )
}
