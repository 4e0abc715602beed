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

    /// `fetchUser(username)`.
    #[wasm_bindgen(js_name = fetchUser, unchecked_return_type = "Promise<User>")]
    pub fn fetch_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] username: JsValue,
    ) -> Promise {
        call(
            &self.client,
            js::username("username", &username)
                .map(|u| Call::get(format!("/v1/users/by-username/{}", enc(&u))).user()),
        )
    }

    /// `fetchUserById(id)`.
    #[wasm_bindgen(js_name = fetchUserById, unchecked_return_type = "Promise<User>")]
    pub fn fetch_user_by_id(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        call(
            &self.client,
            args::string("id", &arg(&id))
                .map(|id| Call::get(format!("/v1/users/{}", enc(&id))).user()),
        )
    }

    /// `getUsers(usernames)`: unknown usernames are left out.
    #[wasm_bindgen(js_name = getUsers, unchecked_return_type = "Promise<User[]>")]
    pub fn get_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] usernames: JsValue,
    ) -> Promise {
        let usernames = js::usernames("usernames", &usernames, MAX_USERS_PER_FETCH);
        call(
            &self.client,
            usernames.and_then(|usernames| {
                Ok(Call::new(Method::POST, "/v1/users/batch")
                    .body(&GetUsersRequest { usernames })?
                    .users())
            }),
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

    /// `deleteUser(username)`: needs the secret key, so from a browser it rejects with
    /// `unauthorized`/`forbidden` (delete users from your backend).
    #[wasm_bindgen(js_name = deleteUser, unchecked_return_type = "Promise<void>")]
    pub fn delete_user(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] username: JsValue,
    ) -> Promise {
        call(
            &self.client,
            js::username("username", &username).map(|u| {
                Call::new(Method::DELETE, format!("/v1/users/by-username/{}", enc(&u))).nothing()
            }),
        )
    }

    /// `deleteUserById(id)`: see `deleteUser`.
    #[wasm_bindgen(js_name = deleteUserById, unchecked_return_type = "Promise<void>")]
    pub fn delete_user_by_id(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> Promise {
        call(
            &self.client,
            args::string("id", &arg(&id))
                .map(|id| Call::new(Method::DELETE, format!("/v1/users/{}", enc(&id))).nothing()),
        )
    }
}
