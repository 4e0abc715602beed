//! The assignable `onX` handler properties (`core.onChatroomMessageReceived = fn`), written
//! once as a macro: each property gets a typed setter and getter that store the function in
//! the object's listener registry.

/// Generates setter/getter pairs `onX` on a type that has `set_handler` and `get_handler`.
macro_rules! handler_props {
    ($ty:ident as $js:ident; $( $prop:ident / $setter:ident / $getter:ident : $ts:tt ),* $(,)?) => {
        #[wasm_bindgen::prelude::wasm_bindgen(js_class = $js)]
        impl $ty {
            $(
                #[doc = concat!("Sets the `", stringify!($prop), "` handler (a function, or null to remove it).")]
                #[wasm_bindgen(setter = $prop)]
                pub fn $setter(&self, #[wasm_bindgen(unchecked_param_type = $ts)] f: wasm_bindgen::JsValue) -> Result<(), wasm_bindgen::JsValue> {
                    self.set_handler(stringify!($prop), f)
                }
                #[doc = concat!("The `", stringify!($prop), "` handler.")]
                #[wasm_bindgen(getter = $prop, unchecked_return_type = $ts)]
                pub fn $getter(&self) -> wasm_bindgen::JsValue {
                    self.get_handler(stringify!($prop))
                }
            )*
        }
    };
}
pub(crate) use handler_props;

use wasm_bindgen::{JsCast, JsValue};

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
