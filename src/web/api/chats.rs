//! `ChatixCore`: Chats of every kind: `getChats`, `chat`, `groupChat`, `getChat`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
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
}
