//! The assignable `onX` handler properties (`core.onChatroomMessageReceived = fn`).
//!
//! Each class's properties are listed once, in the core's routing table (`core::routes`):
//! their names (checked when one is set) and their TypeScript types (the `.d.ts`, as an
//! interface merged into the class); `handler_props!` adds two hidden methods that store
//! and read a handler in the object's listener registry.
//! The properties themselves are defined on the class's prototype by `handlers.js`, which
//! scripts/minify-glue.mjs bundles into the glue: one JavaScript accessor pair per name
//! instead of two exported wasm functions and their glue each (64 of them).

/// Declares the handler properties of a type that has `set_handler` and `get_handler`,
/// from a list of the core's routing table (`core::routes`: the names and their
/// TypeScript types, as an interface merged into the class): two hidden methods that store
/// and read a handler in the object's listener registry.
macro_rules! handler_props {
    ($ty:ident as $js:literal: $names:path, $ts:path) => {
        impl $ty {
            /// The handler property names.
            pub const HANDLERS: &'static [&'static str] = $names;
        }

        #[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
        const _: &'static str = $ts;

        #[wasm_bindgen::prelude::wasm_bindgen(js_class = $js)]
        impl $ty {
            /// Sets a handler property (`handlers.js` calls it).
            #[wasm_bindgen(js_name = __setHandler, skip_typescript)]
            pub fn set_handler_js(
                &self,
                name: &str,
                f: wasm_bindgen::JsValue,
            ) -> Result<(), wasm_bindgen::JsValue> {
                let name = super::handlers::known(Self::HANDLERS, name)?;
                self.set_handler(name, f)
            }
            /// Reads a handler property (`handlers.js` calls it).
            #[wasm_bindgen(js_name = __getHandler, skip_typescript)]
            pub fn get_handler_js(&self, name: &str) -> wasm_bindgen::JsValue {
                self.get_handler(name)
            }
        }
    };
}
pub(crate) use handler_props;

use wasm_bindgen::{JsCast, JsValue};

/// `name` as listed in `names` (the registry keeps `&'static str` keys).
pub fn known(names: &[&'static str], name: &str) -> Result<&'static str, JsValue> {
    names.iter().copied().find(|n| *n == name).ok_or_else(|| {
        super::js::error(&crate::core::args::invalid(format!(
            "unknown handler property \"{name}\""
        )))
    })
}

/// Checks a handler value: a function, or null/undefined to clear.
pub fn handler_value(name: &str, f: JsValue) -> Result<Option<js_sys::Function>, JsValue> {
    if f.is_undefined() || f.is_null() {
        return Ok(None);
    }
    f.dyn_into::<js_sys::Function>().map(Some).map_err(|_| {
        super::js::error(&crate::core::args::invalid(format!(
            "{name} must be a function or null"
        )))
    })
}
