//! The listener registry: both event styles the SDK offers.
//!
//! - Assignable properties (`core.onChatroomMessageReceived = fn`), one function per name,
//!   the form users of the chat-rooms service know.
//! - `on(name, fn)` / `once` / `off`: any number of listeners per event; `on` returns its
//!   own unsubscribe function.
//!
//! A listener that throws is reported on the console and does not stop the others.

use js_sys::Function;
use rustc_hash::FxHashMap as HashMap;
use wasm_bindgen::JsValue;

struct Entry {
    id: u64,
    f: Function,
    once: bool,
}

/// Listeners of one object (the `ChatixCore`, or one `Chat`).
#[derive(Default)]
pub struct Listeners {
    props: HashMap<&'static str, Function>,
    on: HashMap<String, Vec<Entry>>,
    next: u64,
}

impl Listeners {
    /// Sets (or clears) an assignable handler.
    pub fn set_prop(&mut self, name: &'static str, f: Option<Function>) {
        match f {
            Some(f) => {
                self.props.insert(name, f);
            }
            None => {
                self.props.remove(name);
            }
        }
    }

    /// The assignable handler, if set.
    pub fn prop(&self, name: &str) -> Option<Function> {
        self.props.get(name).cloned()
    }

    /// Adds a listener; returns its id.
    pub fn add(&mut self, event: &str, f: Function, once: bool) -> u64 {
        self.next += 1;
        self.on.entry(event.to_owned()).or_default().push(Entry {
            id: self.next,
            f,
            once,
        });
        self.next
    }

    /// Removes a listener by id.
    pub fn remove_id(&mut self, event: &str, id: u64) {
        if let Some(list) = self.on.get_mut(event) {
            list.retain(|e| e.id != id);
        }
    }

    /// Removes a listener by function (`off(name, fn)`), or all of an event (`off(name)`).
    pub fn remove(&mut self, event: &str, f: Option<&Function>) {
        match f {
            Some(f) => {
                if let Some(list) = self.on.get_mut(event) {
                    list.retain(|e| !JsValue::from(&e.f).loose_eq(f));
                }
            }
            None => {
                self.on.remove(event);
            }
        }
    }

    /// The functions to call for an event (once-listeners are removed now), property
    /// handler first when `prop` names one.
    pub fn targets(&mut self, event: &str, prop: Option<&str>) -> Vec<Function> {
        let mut out: Vec<Function> = prop
            .and_then(|p| self.props.get(p).cloned())
            .into_iter()
            .collect();
        if let Some(list) = self.on.get_mut(event) {
            out.extend(list.iter().map(|e| e.f.clone()));
            list.retain(|e| !e.once);
        }
        out
    }

    /// Number of `on` listeners of an event.
    /// Whether anything listens to `event` (or its property `prop`).
    pub fn listens(&self, event: &str, prop: &str) -> bool {
        self.props.contains_key(prop) || self.count(event) > 0
    }

    pub fn count(&self, event: &str) -> usize {
        self.on.get(event).map_or(0, Vec::len)
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
