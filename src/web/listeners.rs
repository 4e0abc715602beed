//! The listener registry: both event styles the SDK offers.
//!
//! - Assignable properties (`core.onChatroomMessageReceived = fn`), one function per name,
//!   the form users of the chat-rooms service know.
//! - `on(name, fn)` / `once` / `off`: any number of listeners per event; `on` returns its
//!   own unsubscribe function.
//!
//! A listener that throws is reported on the console and does not stop the others.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use super::js;
use crate::core::args;

/// Checks `on`/`once`'s arguments: an event of `known` (`what` names the kind in the error)
/// and a function.
pub fn checked(
    event: &JsValue,
    listener: JsValue,
    known: &[&str],
    what: &str,
) -> Result<(String, Function), JsValue> {
    let name = args::string("event", &js::arg(event)).map_err(|e| js::error(&e))?;
    if !known.contains(&name.as_str()) {
        return Err(js::error(&args::invalid(format!(
            "unknown {what} \"{name}\"; known events: {}",
            args::list(known, ", ")
        ))));
    }
    let f = listener
        .dyn_into::<Function>()
        .map_err(|_| js::error(&args::invalid("listener must be a function")))?;
    Ok((name, f))
}

/// `off`'s arguments: the event (a string) and the listener, if a function.
pub fn off_args(event: &JsValue, listener: JsValue) -> Result<(String, Option<Function>), JsValue> {
    let name = args::string("event", &js::arg(event)).map_err(|e| js::error(&e))?;
    Ok((name, listener.dyn_into::<Function>().ok()))
}

struct Entry {
    id: u64,
    f: Function,
    once: bool,
}

/// Listeners of one object (the `ChatixCore`, or one `Chat`). Plain lists: an object has a
/// few tens of names at most, and a hash map per key type was a visible share of the
/// browser build.
#[derive(Default)]
pub struct Listeners {
    props: Vec<(&'static str, Function)>,
    on: Vec<(String, Vec<Entry>)>,
    next: u64,
}

impl Listeners {
    /// Sets (or clears) an assignable handler.
    pub fn set_prop(&mut self, name: &'static str, f: Option<Function>) {
        self.props.retain(|(n, _)| *n != name);
        if let Some(f) = f {
            self.props.push((name, f));
        }
    }

    /// The assignable handler, if set.
    pub fn prop(&self, name: &str) -> Option<Function> {
        self.props
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| f.clone())
    }

    fn list(&mut self, event: &str) -> Option<&mut Vec<Entry>> {
        self.on.iter_mut().find(|(n, _)| n == event).map(|(_, l)| l)
    }

    /// Adds a listener; returns its id.
    pub fn add(&mut self, event: &str, f: Function, once: bool) -> u64 {
        self.next += 1;
        let e = Entry {
            id: self.next,
            f,
            once,
        };
        match self.list(event) {
            Some(l) => l.push(e),
            None => self.on.push((event.to_owned(), vec![e])),
        }
        self.next
    }

    /// Removes a listener by id.
    pub fn remove_id(&mut self, event: &str, id: u64) {
        if let Some(list) = self.list(event) {
            list.retain(|e| e.id != id);
        }
    }

    /// Removes a listener by function (`off(name, fn)`), or all of an event (`off(name)`).
    pub fn remove(&mut self, event: &str, f: Option<&Function>) {
        match f {
            Some(f) => {
                if let Some(list) = self.list(event) {
                    list.retain(|e| !JsValue::from(&e.f).loose_eq(f));
                }
            }
            None => self.on.retain(|(n, _)| n != event),
        }
    }

    /// The functions to call for an event (once-listeners are removed now), property
    /// handler first when `prop` names one.
    pub fn targets(&mut self, event: &str, prop: Option<&str>) -> Vec<Function> {
        let mut out: Vec<Function> = prop.and_then(|p| self.prop(p)).into_iter().collect();
        if let Some(list) = self.list(event) {
            out.extend(list.iter().map(|e| e.f.clone()));
            list.retain(|e| !e.once);
        }
        out
    }

    /// Whether anything listens to `event` (or its property `prop`).
    pub fn listens(&self, event: &str, prop: &str) -> bool {
        self.props.iter().any(|(n, _)| *n == prop) || self.count(event) > 0
    }

    /// Number of `on` listeners of an event.
    pub fn count(&self, event: &str) -> usize {
        self.on
            .iter()
            .find(|(n, _)| n == event)
            .map_or(0, |(_, l)| l.len())
    }
}

/// Calls each function with `args`; a throwing listener is logged, not propagated.
pub fn call_all(fs: &[Function], args: &[JsValue]) {
    if fs.is_empty() {
        return;
    }
    let this = &JsValue::NULL;
    for f in fs {
        let r = match args {
            [] => f.call0(this),
            [a] => f.call1(this, a),
            [a, b] => f.call2(this, a, b),
            _ => f.apply(this, &args.iter().collect()),
        };
        if let Err(e) = r {
            web_sys::console::error_2(&"chatix: a listener threw".into(), &e);
        }
    }
}
