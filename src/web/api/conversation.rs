//! `ChatixCore`: The visitor's conversation with the consultants, `visitorType`,
//! `getConversations` and `uploadFile`.

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

    /// `sendConversationTextMessage(text, metadata?)`.
    #[wasm_bindgen(js_name = sendConversationTextMessage, unchecked_return_type = "Promise<Message>")]
    pub fn send_conversation_text_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Metadata | undefined")] metadata: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        let max = self.max_chars();
        checked(
            || {
                Ok((
                    args::text("text", &arg(&text), max)?,
                    metadata_arg("metadata", &metadata)?,
                ))
            },
            move |(text, metadata)| {
                let req = SendMessageRequest {
                    text: Some(text),
                    metadata,
                    ..Default::default()
                };
                send_to(c, Target::Conversation, None, None, req)
            },
        )
    }

    /// `sendConversationFileMessage(file, text?)`.
    #[wasm_bindgen(js_name = sendConversationFileMessage, unchecked_return_type = "Promise<Message>")]
    pub fn send_conversation_file_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "File | Blob")] file: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] text: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                Ok((
                    blob(&file).ok_or_else(|| args::invalid("file must be a File or a Blob"))?,
                    args::opt_string("text", &arg(&text))?,
                ))
            },
            move |(file, text)| {
                let req = SendMessageRequest {
                    text,
                    ..Default::default()
                };
                send_to(c, Target::Conversation, Some(file), None, req)
            },
        )
    }

    /// `getConversationMessages(lastMessageId?, count = 50)`.
    #[wasm_bindgen(js_name = getConversationMessages, unchecked_return_type = "Promise<Message[]>")]
    pub fn get_conversation_messages(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] last_message_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] count: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                Ok((
                    args::opt_string("lastMessageId", &arg(&last_message_id))?,
                    args::opt_int("count", &arg(&count), MAX_CURSOR_COUNT)?,
                ))
            },
            move |(last, count)| history_of(c, Target::Conversation, last, count),
        )
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

    /// Staff: visitor conversations, newest activity first, as `Chat` objects.
    #[wasm_bindgen(js_name = getConversations, unchecked_return_type = "Promise<ChatsPage>")]
    pub fn get_conversations(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] page: JsValue,
    ) -> Promise {
        call(
            &self.client,
            args::page("page", &arg(&page)).map(|page| {
                Call::get(format!("/v1/conversations?page={}", page.unwrap_or(1)))
                    .then(|c, p| Ok(page_obj(c, p)?.0))
            }),
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
