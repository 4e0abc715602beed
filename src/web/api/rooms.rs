//! `ChatixCore`: Chatrooms (`getChatrooms`, `connectToChatroom`, sends, history…) and `searchMessages`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
    /// `getAllChatrooms()`: every chatroom this user may see (all pages).
    #[wasm_bindgen(js_name = getAllChatrooms, unchecked_return_type = "Promise<ChatData[]>")]
    pub fn get_all_chatrooms(&self) -> Promise {
        let c = self.client.clone();
        run(async move {
            let all = js_sys::Array::new();
            for p in 1..=50 {
                let r = c
                    .rest::<()>(
                        Method::GET,
                        &format!("/v1/chatrooms?pageId={p}&perPage=100"),
                        None,
                    )
                    .await?;
                let total = js::get(&r, "totalPages").as_f64().unwrap_or(0.0);
                for ch in js_sys::Array::from(&js::get(&r, "chatrooms")).iter() {
                    c.remember_chat(&ch)?;
                    all.push(&ch);
                }
                if f64::from(p) >= total {
                    break;
                }
            }
            Ok(all.into())
        })
    }

    /// `connectToChatroom(id)`: receive the room's traffic (a visitor joins a public room;
    /// private rooms need membership). Kept across reconnects, with nothing missed.
    #[wasm_bindgen(js_name = connectToChatroom, unchecked_return_type = "Promise<ChatData>")]
    pub fn connect_to_chatroom(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || args::string("chatroomId", &arg(&id)),
            move |id| async move {
                let ch = c
                    .rest::<()>(Method::GET, &format!("/v1/chats/{}", enc(&id)), None)
                    .await?;
                c.remember_chat(&ch)?;
                c.follow(&id).await?;
                let ch = c
                    .rest::<()>(Method::GET, &format!("/v1/chats/{}", enc(&id)), None)
                    .await?;
                c.remember_chat(&ch)?;
                Ok(ch)
            },
        )
    }

    /// `disconnectFromChatroom(id)`: stop receiving the room's traffic.
    #[wasm_bindgen(js_name = disconnectFromChatroom, unchecked_return_type = "Promise<void>")]
    pub fn disconnect_from_chatroom(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || args::string("chatroomId", &arg(&id)),
            move |id| async move {
                if !c.core.borrow().follows(&id) {
                    return Err(args::invalid(format!("not connected to chatroom \"{id}\"")));
                }
                c.unfollow(&id).await?;
                Ok(JsValue::UNDEFINED)
            },
        )
    }

    /// `searchMessages(query, { chatId?, cursor?, count? })`: the messages whose text
    /// contains `query` (1-200 characters, case-insensitive), newest first, in the chats
    /// the caller may read. Whispers only for consultants.
    #[wasm_bindgen(js_name = searchMessages, unchecked_return_type = "Promise<SearchResults>")]
    pub fn search_messages(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] query: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SearchOptions | undefined")] options: JsValue,
    ) -> Promise {
        let q = check(|| {
            let query = args::string("query", &arg(&query))?;
            let chars = query.chars().count();
            if chars > MAX_SEARCH_CHARS {
                return Err(args::invalid(format!(
                    "query must be at most {MAX_SEARCH_CHARS} characters, got {chars}"
                )));
            }
            let o = js::options("options", &options, &["chatId", "cursor", "count"])?;
            Ok((
                query,
                args::opt_string("chatId", &arg(&js::get(&o, "chatId")))?,
                args::opt_string("cursor", &arg(&js::get(&o, "cursor")))?,
                args::opt_int("count", &arg(&js::get(&o, "count")), MAX_CURSOR_COUNT)?,
            ))
        });
        call(
            &self.client,
            q.map(|(query, chat_id, cursor, count)| {
                let mut q = format!("/v1/messages/search?q={}", enc(&query));
                if let Some(id) = &chat_id {
                    q.push_str(&format!("&chatId={}", enc(id)));
                }
                if let Some(cur) = &cursor {
                    q.push_str(&format!("&cursor={}", enc(cur)));
                }
                if let Some(n) = count {
                    q.push_str(&format!("&count={n}"));
                }
                Call::get(q).then(|c, r| {
                    c.js_messages(&js::get(&r, "messages"));
                    Ok(r)
                })
            }),
        )
    }
}
