//! `ChatixCore`: Users: `createUser`, `fetchUser(ById)`, `getUsers`, `updateUser(ById)`,
//! `deleteUser(ById)`.

use super::*;

#[wasm_bindgen]
impl ChatixCore {
    /// `createUser({username, name, avatar?, metadata?})`: an existing username returns
    /// that user (idempotent). Avatar: a URL or a File (JPEG/PNG/WebP).
    #[wasm_bindgen(js_name = createUser, unchecked_return_type = "Promise<User>")]
    pub fn create_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "NewUser")] user: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                let o = js::options(
                    "user",
                    &user,
                    &["username", "name", "avatar", "email", "metadata"],
                )?;
                let username = js::username("username", &js::get(&o, "username"))?;
                let (patch, avatar) =
                    user_patch(&o, &["username", "name", "avatar", "email", "metadata"])?;
                let name = patch
                    .name
                    .clone()
                    .ok_or_else(|| args::invalid("name must be a string, got undefined"))?;
                Ok((username, name, patch, avatar))
            },
            move |(username, name, patch, avatar)| async move {
                let avatar = avatar_url(&c, avatar).await?;
                let req = CreateUserRequest {
                    username,
                    name,
                    avatar,
                    email: patch.email,
                    metadata: patch.metadata,
                };
                let u = c.rest(Method::POST, "/v1/users", Some(&req)).await?;
                Ok(c.user(u))
            },
        )
    }

    /// `updateUser(username, {name?, avatar?, email?, metadata?})`: the user themself.
    #[wasm_bindgen(js_name = updateUser, unchecked_return_type = "Promise<User>")]
    pub fn update_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] username: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserUpdate")] patch: JsValue,
    ) -> Promise {
        self.update(username, patch, false)
    }

    /// `updateUserById(id, {name?, avatar?, email?, metadata?})`.
    #[wasm_bindgen(js_name = updateUserById, unchecked_return_type = "Promise<User>")]
    pub fn update_user_by_id(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserUpdate")] patch: JsValue,
    ) -> Promise {
        self.update(id, patch, true)
    }

    fn update(&self, key: JsValue, patch: JsValue, by_id: bool) -> Promise {
        let c = self.client.clone();
        checked(
            || {
                let key = if by_id {
                    args::string("id", &arg(&key))?
                } else {
                    js::username("username", &key)?
                };
                let (req, avatar) = user_patch(&patch, &["name", "avatar", "email", "metadata"])?;
                Ok((key, req, avatar))
            },
            move |(key, mut req, avatar)| async move {
                req.avatar = avatar_url(&c, avatar).await?;
                let path = if by_id {
                    format!("/v1/users/{}", enc(&key))
                } else {
                    format!("/v1/users/by-username/{}", enc(&key))
                };
                let u = c.rest(Method::PATCH, &path, Some(&req)).await?;
                Ok(c.user(u))
            },
        )
    }
}
