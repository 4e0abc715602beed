//! `ChatixCore`: Chatrooms (`getChatrooms`, `connectToChatroom`, sends, history…) and `searchMessages`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
    /// `getChatrooms(pageId = 1, perPage = 10)`: the chatrooms this user may see.
    #[wasm_bindgen(js_name = getChatrooms, unchecked_return_type = "Promise<ChatroomsPage>")]
    pub fn get_chatrooms(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] page_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] per_page: JsValue,
    ) -> Promise {
        self.rooms(page_id, per_page, "/v1/chatrooms")
    }

    /// `getMyChatrooms(pageId?, perPage?)`: chatrooms this user is a member of.
    #[wasm_bindgen(js_name = getMyChatrooms, unchecked_return_type = "Promise<ChatroomsPage>")]
    pub fn get_my_chatrooms(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] page_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] per_page: JsValue,
    ) -> Promise {
        self.rooms(page_id, per_page, "/v1/chatrooms/mine")
    }

    fn rooms(&self, page_id: JsValue, per_page: JsValue, path: &'static str) -> Promise {
        let q = check(|| {
            Ok((
                args::page("pageId", &arg(&page_id))?.unwrap_or(1),
                args::opt_int("perPage", &arg(&per_page), MAX_PER_PAGE)?.unwrap_or(10),
            ))
        });
        call(
            &self.client,
            q.map(|(p, pp)| Call::get(format!("{path}?pageId={p}&perPage={pp}")).then(rooms_js)),
        )
    }

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

    /// `getChatroom(id)`: one chatroom's data.
    #[wasm_bindgen(js_name = getChatroom, unchecked_return_type = "Promise<ChatData>")]
    pub fn get_chatroom(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        call(
            &self.client,
            args::string("chatroomId", &arg(&id))
                .map(|id| Call::get(format!("/v1/chats/{}", enc(&id))).chat()),
        )
    }

    /// `getChatroomMembers(id, page = 1, perPage = 10)`.
    #[wasm_bindgen(js_name = getChatroomMembers, unchecked_return_type = "Promise<MembersPage>")]
    pub fn get_chatroom_members(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] page: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] per_page: JsValue,
    ) -> Promise {
        let q = check(|| {
            Ok((
                args::string("chatroomId", &arg(&id))?,
                args::page("page", &arg(&page))?.unwrap_or(1),
                args::opt_int("perPage", &arg(&per_page), MAX_PER_PAGE)?.unwrap_or(10),
            ))
        });
        call(
            &self.client,
            q.map(|(id, p, pp)| {
                Call::get(format!(
                    "/v1/chats/{}/members?page={p}&perPage={pp}",
                    enc(&id)
                ))
                .then(|c, r| {
                    for m in js_sys::Array::from(&js::get(&r, "members")).iter() {
                        c.user(js::get(&m, "user"));
                    }
                    Ok(r)
                })
            }),
        )
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

    /// `sendChatroomTextMessage(id, text, metadata?)`.
    #[wasm_bindgen(js_name = sendChatroomTextMessage, unchecked_return_type = "Promise<Message>")]
    pub fn send_chatroom_text_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Metadata | undefined")] metadata: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        let max = self.max_chars();
        checked(
            || {
                Ok((
                    args::string("chatroomId", &arg(&id))?,
                    args::text("text", &arg(&text), max)?,
                    metadata_arg("metadata", &metadata)?,
                ))
            },
            move |(id, text, metadata)| {
                let req = SendMessageRequest {
                    text: Some(text),
                    metadata,
                    ..Default::default()
                };
                send_to(c, Target::Chat(id), None, None, req)
            },
        )
    }

    /// `sendChatroomFileMessage(id, file, text?)`: uploads (with `uploadProgress` events),
    /// then sends.
    #[wasm_bindgen(js_name = sendChatroomFileMessage, unchecked_return_type = "Promise<Message>")]
    pub fn send_chatroom_file_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "File | Blob")] file: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] text: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                Ok((
                    args::string("chatroomId", &arg(&id))?,
                    blob(&file).ok_or_else(|| args::invalid("file must be a File or a Blob"))?,
                    args::opt_string("text", &arg(&text))?,
                ))
            },
            move |(id, file, text)| {
                let req = SendMessageRequest {
                    text,
                    ..Default::default()
                };
                send_to(c, Target::Chat(id), Some(file), None, req)
            },
        )
    }

    /// `getChatroomMessages(id, lastMessageId?, count = 50)`: the `count` (1-100) messages
    /// before `lastMessageId` (or the newest), oldest first; empty = start of history.
    #[wasm_bindgen(js_name = getChatroomMessages, unchecked_return_type = "Promise<Message[]>")]
    pub fn get_chatroom_messages(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] last_message_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] count: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                Ok((
                    args::string("chatroomId", &arg(&id))?,
                    args::opt_string("lastMessageId", &arg(&last_message_id))?,
                    args::opt_int("count", &arg(&count), MAX_CURSOR_COUNT)?,
                ))
            },
            move |(id, last, count)| history_of(c, Target::Chat(id), last, count),
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
