//! `ChatixCore`: `searchMessages`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
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
