//! `ChatixCore`: The visitor's conversation with the consultants (`getConversation`),
//! `visitorType` and `uploadFile`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
    /// The visitor's conversation with the website's consultants (created on first use),
    /// followed from now on.
    #[wasm_bindgen(js_name = getConversation, unchecked_return_type = "Promise<Chat>")]
    pub fn get_conversation(&self) -> Promise {
        let c = self.client.clone();
        run(async move {
            let ch = fetch_conversation(&c).await?;
            ChatHandle::open(&c, ch).await
        })
    }

    /// `visitorType(draft)`: consultants see the visitor's draft live ("" = stopped).
    #[wasm_bindgen(js_name = visitorType, unchecked_return_type = "Promise<void>")]
    pub fn visitor_type(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] draft: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || match arg(&draft) {
                args::Arg::Str(s) => Ok(s),
                other => Err(args::invalid(format!(
                    "draft must be a string, got {}",
                    other.kind()
                ))),
            },
            move |draft| async move {
                let conv = conversation(&c).await?;
                let typing = !draft.is_empty();
                c.request(|id| {
                    ClientFrame::Typing(TypingFrame {
                        id: Some(id),
                        chat_id: conv.clone(),
                        typing,
                        draft: typing.then_some(draft),
                    })
                })
                .await?;
                Ok(JsValue::UNDEFINED)
            },
        )
    }

    /// Uploads a file (`{onProgress}` reports `{loaded, total}`); resolves with its info
    /// (use `url` as an avatar, or `id` as a message's `fileId`).
    #[wasm_bindgen(js_name = uploadFile, unchecked_return_type = "Promise<FileInfo>")]
    pub fn upload_file(
        &self,
        #[wasm_bindgen(unchecked_param_type = "File | Blob")] file: JsValue,
        #[wasm_bindgen(
            unchecked_param_type = "{ onProgress?: (p: UploadProgress) => void } | undefined"
        )]
        options: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                let o = js::options("options", &options, &["onProgress"])?;
                let cb = js::get(&o, "onProgress").dyn_into::<Function>().ok();
                Ok((
                    blob(&file).ok_or_else(|| args::invalid("file must be a File or a Blob"))?,
                    cb,
                ))
            },
            move |(file, cb)| upload(c, file, None, cb),
        )
    }
}
