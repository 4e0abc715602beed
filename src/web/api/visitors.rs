//! `ChatixCore`: `setField`, one flat field of the visitor's own profile.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
    /// `setField(key, value)`: one flat field (string, number or boolean).
    #[wasm_bindgen(js_name = setField, unchecked_return_type = "Promise<User>")]
    pub fn set_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | number | boolean")] value: JsValue,
    ) -> Promise {
        let req = check(|| {
            let key = args::string("key", &arg(&key))?;
            let v = match arg(&value) {
                args::Arg::Str(s) => MetaValue::Str(s),
                args::Arg::Number(n) if n.is_finite() => MetaValue::Num(n),
                args::Arg::Bool(b) => MetaValue::Bool(b),
                other => {
                    return Err(args::invalid(format!(
                        "value must be a string, a number or a boolean (fields are flat), got {}",
                        other.kind()
                    )))
                }
            };
            let mut m = Metadata::new();
            m.insert(key, v);
            chatix_protocol::metadata::validate(&m).map_err(args::invalid)?;
            Ok(UpdateUserRequest {
                metadata: Some(m),
                ..Default::default()
            })
        });
        call(
            &self.client,
            req.and_then(|r| Ok(Call::new(Method::PATCH, "/v1/me").body(&r)?.user())),
        )
    }
}
