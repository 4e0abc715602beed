//! `ChatixCore`: Chats of every kind: `getChats`, `chat`, `groupChat`, `getChat`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
    /// `getChats(page?)`: 25 per page, newest activity first, as `Chat` objects.
    #[wasm_bindgen(js_name = getChats, unchecked_return_type = "Promise<ChatsPage>")]
    pub fn get_chats(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number | undefined")] page: JsValue,
    ) -> Promise {
        call(
            &self.client,
            args::page("page", &arg(&page)).map(|page| {
                let path = match page {
                    Some(p) => format!("/v1/chats?page={p}"),
                    None => "/v1/chats".into(),
                };
                Call::get(path).then(|c, p| {
                    let follow = c.core.borrow().auto_follow;
                    let (p, ids) = page_obj(c, p)?;
                    for id in ids {
                        if follow && !c.core.borrow().follows(&id) {
                            let c2 = c.clone();
                            wasm_bindgen_futures::spawn_local(async move {
                                let _ = c2.follow(&id).await;
                            });
                        }
                    }
                    Ok(p)
                })
            }),
        )
    }

    /// `chat(username)`: the one-to-one chat with an existing user.
    #[wasm_bindgen(unchecked_return_type = "Promise<Chat>")]
    pub fn chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] username: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || js::username("username", &username),
            move |u| async move {
                let req = chatix_protocol::rest::DirectChatRequest { username: u };
                let ch = c.rest(Method::POST, "/v1/chats/direct", Some(&req)).await?;
                ChatHandle::open(&c, ch).await
            },
        )
    }

    /// `groupChat({name?, memberUsernames, avatar?, metadata?, visibility?})`.
    #[wasm_bindgen(js_name = groupChat, unchecked_return_type = "Promise<Chat>")]
    pub fn group_chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GroupChatOptions")] options: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                let o = js::options(
                    "options",
                    &options,
                    &[
                        "name",
                        "memberUsernames",
                        "avatar",
                        "metadata",
                        "visibility",
                    ],
                )?;
                let members = js::get(&o, "memberUsernames");
                let members = if members.is_undefined() {
                    Vec::new()
                } else {
                    js::usernames(
                        "memberUsernames",
                        &members,
                        chatix_protocol::limits::MAX_MEMBERS_PER_CALL,
                    )?
                };
                let visibility =
                    match args::opt_string("visibility", &arg(&js::get(&o, "visibility")))?
                        .as_deref()
                    {
                        None => None,
                        Some("public") => Some(chatix_protocol::Visibility::Public),
                        Some("private") => Some(chatix_protocol::Visibility::Private),
                        Some(v) => {
                            return Err(args::invalid(format!(
                                "visibility must be \"public\" or \"private\", got \"{v}\""
                            )))
                        }
                    };
                Ok((
                    GroupChatRequest {
                        name: args::opt_string("name", &arg(&js::get(&o, "name")))?,
                        member_usernames: members,
                        avatar: None,
                        metadata: metadata_arg("metadata", &js::get(&o, "metadata"))?,
                        visibility,
                    },
                    js::get(&o, "avatar"),
                ))
            },
            move |(mut req, avatar)| async move {
                req.avatar = avatar_url(&c, avatar).await?;
                let ch = c.rest(Method::POST, "/v1/chats/group", Some(&req)).await?;
                ChatHandle::open(&c, ch).await
            },
        )
    }

    /// `getChat(id)`: a chat as a `Chat` object (not followed until you listen or connect).
    #[wasm_bindgen(js_name = getChat, unchecked_return_type = "Promise<Chat>")]
    pub fn get_chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        call(
            &self.client,
            args::string("id", &arg(&id)).map(|id| {
                Call::get(format!("/v1/chats/{}", enc(&id)))
                    .then(|c, ch| Ok(ChatHandle::wrap(c, ch)?.into()))
            }),
        )
    }
}
