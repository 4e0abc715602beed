//! `ChatixCore`: the SDK object (`new ChatixCore(websiteId, options)`, and
//! `chatixWidget.core` in the widget). Every method of `API.md` §2-4 under its known name;
//! async methods return Promises that reject with a `ChatixError` carrying a stable `code`.

use chatix_protocol::frame::TypingFrame;
use chatix_protocol::limits::{
    MAX_CURSOR_COUNT, MAX_PER_PAGE, MAX_SEARCH_CHARS, MAX_USERS_PER_FETCH,
};
use chatix_protocol::rest::{
    CreateUserRequest, GetUsersRequest, GroupChatRequest, SendMessageRequest, UpdateUserRequest,
};
use chatix_protocol::{ApiError, ClientFrame, ErrorCode, MetaValue, Metadata};
use gloo_net::http::Method;
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::chat::ChatHandle;
use super::client::{Auth, Client};
use super::js::{self, arg};
use super::promise::{call, check, checked, reject, run, Call};
use super::{http, storage};
use crate::core::args;

/// The Chatix SDK.
#[wasm_bindgen]
pub struct ChatixCore {
    pub(crate) client: Rc<Client>,
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

/// The blob (File) in a value, if it is one.
pub(crate) fn blob(v: &JsValue) -> Option<web_sys::Blob> {
    v.dyn_ref::<web_sys::Blob>().cloned()
}

/// Uploads a file with progress events; returns the stored file.
pub(crate) async fn upload(
    c: Rc<Client>,
    file: web_sys::Blob,
    chat_id: Option<String>,
    on_progress: Option<Function>,
) -> Result<JsValue, ApiError> {
    let name = file.dyn_ref::<web_sys::File>().map(|f| f.name());
    let limit = c
        .limits
        .borrow()
        .as_ref()
        .map_or(chatix_protocol::limits::MAX_UPLOAD_BYTES, |l| {
            l.max_upload_bytes
        });
    if file.size() > limit as f64 {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the file is {} bytes; the limit is {limit}",
                args::number(file.size())
            ),
        ));
    }
    let token = c.token()?;
    let weak = Rc::downgrade(&c);
    let fname = name.clone().unwrap_or_default();
    let progress = Box::new(move |loaded: f64, total: f64| {
        let o = js_sys::Object::new();
        js::set(&o, "loaded", &loaded.into());
        js::set(&o, "total", &total.into());
        js::set(&o, "name", &fname.as_str().into());
        js::set(
            &o,
            "chatId",
            &chat_id.clone().map_or(JsValue::NULL, Into::into),
        );
        if let Some(f) = &on_progress {
            let _ = f.call1(&JsValue::NULL, &o);
        }
        if let Some(c) = weak.upgrade() {
            let t = c.listeners.borrow_mut().targets("uploadProgress", None);
            super::listeners::call_all(&t, &[o.into()]);
        }
    });
    let f = http::upload(&c.base, &token, &file, name.as_deref(), progress).await?;
    super::wire::file(&c.base, &f);
    Ok(f)
}

/// An avatar argument: a URL string, or a File to upload first.
async fn avatar_url(c: &Rc<Client>, v: JsValue) -> Result<Option<String>, ApiError> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if let Some(s) = v.as_string() {
        return Ok(Some(s));
    }
    match blob(&v) {
        Some(b) => {
            let f = upload(c.clone(), b, None, None).await?;
            let url = js::get(&f, "url").as_string().unwrap_or_default();
            Ok(Some(url.trim_start_matches(&c.base).to_owned()))
        }
        None => Err(args::invalid("avatar must be a URL string or a File")),
    }
}

/// A page of chats (`{chats, page, totalChats, totalPages}`) with its chats recorded and
/// turned into `Chat` objects; returns the page and the chats' ids.
fn page_obj(c: &Rc<Client>, p: JsValue) -> Result<(JsValue, Vec<String>), ApiError> {
    let objects = js_sys::Array::new();
    let mut ids = Vec::new();
    for ch in js_sys::Array::from(&js::get(&p, "chats")).iter() {
        let h = ChatHandle::wrap(c, ch)?;
        ids.push(h.id());
        objects.push(&h.into());
    }
    js::set(&p, "chats", &objects);
    Ok((p, ids))
}

/// A page of chatrooms, each recorded (URLs made absolute).
fn rooms_js(c: &Rc<Client>, p: JsValue) -> Result<JsValue, ApiError> {
    for ch in js_sys::Array::from(&js::get(&p, "chatrooms")).iter() {
        c.remember_chat(&ch)?;
    }
    Ok(p)
}

fn metadata_arg(name: &str, v: &JsValue) -> Result<Option<Metadata>, ApiError> {
    js::opt_metadata(name, v)
}

/// Users: `{username, name, avatar?, email?, metadata?}` with avatar URL or File.
fn user_patch(v: &JsValue, allowed: &[&str]) -> Result<(UpdateUserRequest, JsValue), ApiError> {
    let o = js::options("the update", v, allowed)?;
    let name = args::opt_string("name", &arg(&js::get(&o, "name")))?;
    let email = args::opt_raw_string("email", &arg(&js::get(&o, "email")))?;
    let metadata = metadata_arg("metadata", &js::get(&o, "metadata"))?;
    Ok((
        UpdateUserRequest {
            name,
            avatar: None,
            email,
            metadata,
        },
        js::get(&o, "avatar"),
    ))
}

#[wasm_bindgen]
impl ChatixCore {
    /// `new ChatixCore(websiteId, visitorId?)` or `new ChatixCore(websiteId, options)`.
    /// Throws a `ChatixError` (`invalid_argument`) on a bad argument.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string")] website_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | ChatixOptions | undefined")]
        options: JsValue,
    ) -> Result<ChatixCore, JsValue> {
        Self::build(website_id, options).map_err(|e| js::error(&e))
    }

    fn build(website_id: JsValue, options: JsValue) -> Result<ChatixCore, ApiError> {
        let website_id = args::string("websiteId", &arg(&website_id))?;
        let options = if let Some(id) = options.as_string() {
            let o = js_sys::Object::new();
            js::set(&o, "visitorId", &id.into());
            o.into()
        } else {
            options
        };
        let o = js::options(
            "options",
            &options,
            &[
                "serverUrl",
                "token",
                "tokenProvider",
                "consultant",
                "visitorId",
                "visitorSecret",
                "persistVisitor",
            ],
        )?;
        let base = match args::opt_string("options.serverUrl", &arg(&js::get(&o, "serverUrl")))? {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                u.trim_end_matches('/').to_owned()
            }
            Some(u) => {
                return Err(args::invalid(format!(
                    "options.serverUrl \"{u}\" must start with http:// or https://"
                )))
            }
            None => web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .ok_or_else(|| args::invalid("options.serverUrl is required outside a page"))?,
        };
        let provider = js::get(&o, "tokenProvider");
        let provider = match arg(&provider) {
            a if a.is_absent() => None,
            args::Arg::Other("function") => Some(provider.unchecked_into::<Function>()),
            other => {
                return Err(args::invalid(format!(
                    "options.tokenProvider must be a function, got {}",
                    other.kind()
                )))
            }
        };
        let token = args::opt_string("options.token", &arg(&js::get(&o, "token")))?;
        let consultant = js::get(&o, "consultant");
        let auth = if !consultant.is_undefined() && !consultant.is_null() {
            let c = js::options("options.consultant", &consultant, &["username", "password"])?;
            Auth::Consultant {
                username: args::string(
                    "options.consultant.username",
                    &arg(&js::get(&c, "username")),
                )?,
                password: args::string(
                    "options.consultant.password",
                    &arg(&js::get(&c, "password")),
                )?,
            }
        } else if token.is_some() || provider.is_some() {
            Auth::Token {
                token: token.unwrap_or_default(),
                provider,
            }
        } else {
            let persist = match arg(&js::get(&o, "persistVisitor")) {
                args::Arg::Bool(b) => b,
                a if a.is_absent() => true,
                other => {
                    return Err(args::invalid(format!(
                        "options.persistVisitor must be a boolean, got {}",
                        other.kind()
                    )))
                }
            };
            Auth::Visitor {
                visitor_id: args::opt_string("visitorId", &arg(&js::get(&o, "visitorId")))?,
                visitor_secret: args::opt_string(
                    "options.visitorSecret",
                    &arg(&js::get(&o, "visitorSecret")),
                )?,
                persist,
            }
        };
        Ok(ChatixCore {
            client: Client::new(website_id, base, auth),
        })
    }

    /// Authenticates and connects; resolves with the signed-in user once the socket is
    /// open (it keeps reconnecting by itself afterwards).
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn start(&self) -> Promise {
        run(start(self.client.clone()))
    }

    /// Closes the connection for good; pending sends reject with `network`. A started
    /// client stays alive (connected, delivering to its listeners) until `stop()`, even
    /// when the page keeps no reference to it.
    pub fn stop(&self) {
        self.client.stop();
    }

    /// The users/conversations service's `connectUser({username, name, avatar})`. Chatix
    /// needs a token your backend signed (`options.token` or `tokenProvider`): the user is
    /// signed in with it, and their name and avatar are updated when they differ.
    #[wasm_bindgen(js_name = connectUser, unchecked_return_type = "Promise<User>")]
    pub fn connect_user(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ username: string; name?: string; avatar?: string | File }"
        )]
        user: JsValue,
    ) -> Promise {
        let c = self.client.clone();
        let token_auth = matches!(&*c.auth.borrow(), Auth::Token { .. });
        checked(
            || {
                if !token_auth {
                    return Err(ApiError::new(ErrorCode::Unauthorized, "connectUser needs a token signed by your backend (options.token or options.tokenProvider); Chatix never accepts an app-wide key in the browser"));
                }
                let o = js::options("user", &user, &["username", "name", "avatar"])?;
                let username = args::username("user.username", &arg(&js::get(&o, "username")))?;
                let name = args::opt_string("user.name", &arg(&js::get(&o, "name")))?;
                Ok((username, name, js::get(&o, "avatar")))
            },
            move |(username, name, avatar)| async move {
                start(c.clone()).await?;
                let me = c.me_obj.borrow().clone();
                let me_name = js::get(&me, "username").as_string().unwrap_or_default();
                if me_name != username {
                    return Err(ApiError::new(
                        ErrorCode::Unauthorized,
                        format!("the token is for \"{me_name}\", not \"{username}\""),
                    ));
                }
                let avatar = avatar_url(&c, avatar).await?;
                let old_name = js::get(&me, "name").as_string();
                let changed = name.is_some() && name != old_name || avatar.is_some();
                let u = if changed {
                    let req = UpdateUserRequest {
                        name,
                        avatar,
                        email: None,
                        metadata: None,
                    };
                    c.rest(Method::PATCH, "/v1/me", Some(&req)).await?
                } else {
                    me
                };
                Ok(c.user(u))
            },
        )
    }

    /// `connecting`, `open`, `reconnecting` or `closed`.
    #[wasm_bindgen(getter, js_name = connectionState, unchecked_return_type = "ConnectionState")]
    pub fn connection_state(&self) -> String {
        self.client.state().as_str().to_owned()
    }

    /// The signed-in user (after `start()`), or `null`.
    #[wasm_bindgen(getter, unchecked_return_type = "User | null")]
    pub fn me(&self) -> JsValue {
        self.client.me_obj.borrow().clone()
    }

    /// The website id.
    #[wasm_bindgen(getter, js_name = websiteId)]
    pub fn website_id(&self) -> String {
        self.client.website_id.clone()
    }

    /// The server URL in use.
    #[wasm_bindgen(getter, js_name = serverUrl)]
    pub fn server_url(&self) -> String {
        self.client.base.clone()
    }

    /// The session token (for calling the REST API directly).
    #[wasm_bindgen(getter, unchecked_return_type = "string | null")]
    pub fn token(&self) -> JsValue {
        self.client
            .token()
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL)
    }

    /// Forgets the stored visitor (the next start creates a new one).
    #[wasm_bindgen(js_name = forgetVisitor)]
    pub fn forget_visitor(&self) {
        storage::clear(&self.client.website_id);
    }

    // ---------------------------------------------------------------- visitors

    /// The chat-rooms service's `getVisitor()`: the signed-in user, fresh from the server.
    #[wasm_bindgen(js_name = getVisitor, unchecked_return_type = "Promise<User>")]
    pub fn get_visitor(&self) -> Promise {
        call(&self.client, Ok(Call::get("/v1/me").user()))
    }

    /// `setVisitor({name, email, fields})`: fields are flat metadata.
    #[wasm_bindgen(js_name = setVisitor, unchecked_return_type = "Promise<User>")]
    pub fn set_visitor(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{ name?: string; email?: string; fields?: Metadata }"
        )]
        visitor: JsValue,
    ) -> Promise {
        let req = check(|| {
            let o = js::options("visitor", &visitor, &["name", "email", "fields"])?;
            Ok(UpdateUserRequest {
                name: args::opt_string("name", &arg(&js::get(&o, "name")))?,
                avatar: None,
                email: args::opt_raw_string("email", &arg(&js::get(&o, "email")))?,
                metadata: metadata_arg("fields", &js::get(&o, "fields"))?,
            })
        });
        call(
            &self.client,
            req.and_then(|r| Ok(Call::new(Method::PATCH, "/v1/me").body(&r)?.user())),
        )
    }

    /// `setName(name)`.
    #[wasm_bindgen(js_name = setName, unchecked_return_type = "Promise<User>")]
    pub fn set_name(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> Promise {
        let o = js_sys::Object::new();
        js::set(&o, "name", &name);
        match args::string("name", &arg(&name)) {
            Ok(_) => self.set_visitor(o.into()),
            Err(e) => reject(e),
        }
    }

    /// `setEmail(email)`.
    #[wasm_bindgen(js_name = setEmail, unchecked_return_type = "Promise<User>")]
    pub fn set_email(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
    ) -> Promise {
        let o = js_sys::Object::new();
        js::set(&o, "email", &email);
        match args::string("email", &arg(&email)) {
            Ok(_) => self.set_visitor(o.into()),
            Err(e) => reject(e),
        }
    }

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

    /// `getAllManagers()`: the website's consultants.
    #[wasm_bindgen(js_name = getAllManagers, unchecked_return_type = "Promise<User[]>")]
    pub fn get_all_managers(&self) -> Promise {
        self.managers(false)
    }

    /// `getConnectedManagers()`: consultants online now.
    #[wasm_bindgen(js_name = getConnectedManagers, unchecked_return_type = "Promise<User[]>")]
    pub fn get_connected_managers(&self) -> Promise {
        self.managers(true)
    }

    fn managers(&self, online: bool) -> Promise {
        let path = if online {
            "/v1/consultants?online=true"
        } else {
            "/v1/consultants"
        };
        call(&self.client, Ok(Call::get(path).users()))
    }

    // ---------------------------------------------------------------- users

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
                let username = args::username("username", &arg(&js::get(&o, "username")))?;
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
            args::username("username", &arg(&username))
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
                    args::username("username", &arg(&key))?
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
            args::username("username", &arg(&username)).map(|u| {
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

    // ---------------------------------------------------------------- chats

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
            || args::username("username", &arg(&username)),
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

    // ---------------------------------------------------------------- chatrooms

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

    // ---------------------------------------------------------------- conversation

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

    // ---------------------------------------------------------------- events

    /// Adds a listener; returns a function that removes it.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue> {
        self.listen(event, listener, false)
    }

    /// Adds a listener called once.
    #[wasm_bindgen(skip_typescript)]
    pub fn once(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue> {
        self.listen(event, listener, true)
    }

    fn listen(&self, event: JsValue, listener: JsValue, once: bool) -> Result<Function, JsValue> {
        let name = args::string("event", &arg(&event)).map_err(|e| js::error(&e))?;
        if !super::types::CORE_EVENTS.contains(&name.as_str()) {
            return Err(js::error(&args::invalid(format!(
                "unknown event \"{name}\"; known events: {}",
                super::types::CORE_EVENTS.join(", ")
            ))));
        }
        let f = listener
            .dyn_into::<Function>()
            .map_err(|_| js::error(&args::invalid("listener must be a function")))?;
        let id = self.client.listeners.borrow_mut().add(&name, f, once);
        let weak = Rc::downgrade(&self.client);
        let off = Closure::once_into_js(move || {
            if let Some(c) = weak.upgrade() {
                c.listeners.borrow_mut().remove_id(&name, id);
            }
        });
        Ok(off.unchecked_into())
    }

    /// Removes a listener (or every listener of the event when none is given).
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: JsValue, listener: JsValue) -> Result<(), JsValue> {
        let name = args::string("event", &arg(&event)).map_err(|e| js::error(&e))?;
        let f = listener.dyn_into::<Function>().ok();
        self.client.listeners.borrow_mut().remove(&name, f.as_ref());
        Ok(())
    }

    /// Unread messages in one chat, or across every chat known (no argument).
    #[wasm_bindgen(js_name = getUnreadCount)]
    pub fn get_unread_count(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] chat_id: JsValue,
    ) -> f64 {
        let core = self.client.core.borrow();
        match chat_id.as_string() {
            Some(id) => core.chat(&id).map_or(0, |e| e.unread) as f64,
            None => core.total_unread() as f64,
        }
    }

    /// Messages sent but not yet confirmed by the server (shown as pending).
    #[wasm_bindgen(js_name = getPendingMessages, unchecked_return_type = "PendingSend[]")]
    pub fn get_pending_messages(&self) -> JsValue {
        let core = self.client.core.borrow();
        let list = js_sys::Array::new();
        for p in core.pending_sends() {
            let o = js_sys::Object::new();
            js::set(&o, "chatId", &p.chat_id.as_str().into());
            js::set(&o, "clientId", &p.client_id().into());
            js::set(
                &o,
                "text",
                &p.req.text.as_deref().map_or(JsValue::NULL, Into::into),
            );
            list.push(&o);
        }
        list.into()
    }

    /// Approximate bytes held by the message cache (for memory measurements).
    #[wasm_bindgen(js_name = cacheBytes)]
    pub fn cache_bytes(&self) -> f64 {
        self.client.core.borrow().approx_cache_bytes() as f64
    }

    /// Closes the socket now; the SDK reconnects and resumes by itself (use when the app
    /// knows the network changed).
    pub fn reconnect(&self) {
        self.client.drop_connection();
    }

    fn max_chars(&self) -> usize {
        self.client
            .limits
            .borrow()
            .as_ref()
            .map_or(chatix_protocol::limits::MAX_MESSAGE_CHARS, |l| {
                l.max_message_chars
            })
    }
}

/// `start()`: authenticate, connect, and (for app users) follow the most recent chats.
async fn start(c: Rc<Client>) -> Result<JsValue, ApiError> {
    if !c.running() {
        if c.starting.replace(true) {
            c.wait_open().await?;
        } else {
            if let Auth::Token { token, provider } = &*c.auth.borrow() {
                if token.is_empty() && provider.is_none() {
                    return Err(args::invalid("options.token is empty"));
                }
            }
            let needs_token =
                matches!(&*c.auth.borrow(), Auth::Token { token, .. } if token.is_empty());
            if needs_token {
                c.renew().await.inspect_err(|_| c.starting.set(false))?;
            }
            let r = c.authenticate().await;
            c.starting.set(false);
            r?;
            c.run();
            // An app user (a token) follows their most recent chats once connected, so
            // that onChat hears every chat: their list is asked for while the socket opens
            // (the ready frame confirms the role), and they are followed with one request.
            let token = matches!(&*c.auth.borrow(), Auth::Token { .. });
            let recent = async {
                if token {
                    Some(c.rest::<()>(Method::GET, "/v1/chats", None).await)
                } else {
                    None
                }
            };
            let (open, recent) = futures_util::future::join(c.wait_open(), recent).await;
            open?;
            if c.core.borrow().auto_follow {
                let p = match recent {
                    Some(p) => p?,
                    None => c.rest::<()>(Method::GET, "/v1/chats", None).await?,
                };
                let mut ids = Vec::new();
                for ch in js_sys::Array::from(&js::get(&p, "chats")).iter() {
                    ids.push(c.remember_chat(&ch)?.id);
                }
                c.follow_all(ids).await?;
            }
        }
    }
    let me = c.me_obj.borrow().clone();
    Ok(me)
}

/// The caller's conversation object, fresh from the server (created on first use).
async fn fetch_conversation(c: &Rc<Client>) -> Result<JsValue, ApiError> {
    let ch = c.rest::<()>(Method::GET, "/v1/conversation", None).await?;
    let id = c.remember_chat(&ch)?.id;
    *c.conversation.borrow_mut() = Some(id);
    Ok(ch)
}

/// The caller's conversation id: asked of the server once, then remembered.
async fn conversation(c: &Rc<Client>) -> Result<String, ApiError> {
    if let Some(id) = c.conversation.borrow().clone() {
        return Ok(id);
    }
    let ch = fetch_conversation(c).await?;
    Ok(js::get(&ch, "id").as_string().unwrap_or_default())
}

/// Where a send or a history call goes.
pub(crate) enum Target {
    /// A chat by id.
    Chat(String),
    /// The caller's conversation (its id asked of the server once).
    Conversation,
}

impl Target {
    async fn id(self, c: &Rc<Client>) -> Result<String, ApiError> {
        match self {
            Target::Chat(id) => Ok(id),
            Target::Conversation => conversation(c).await,
        }
    }
}

/// One send (every send method's): the file uploaded first when there is one.
pub(crate) async fn send_to(
    c: Rc<Client>,
    to: Target,
    file: Option<web_sys::Blob>,
    on_progress: Option<Function>,
    mut req: SendMessageRequest,
) -> Result<JsValue, ApiError> {
    let id = to.id(&c).await?;
    if let Some(f) = file {
        let f = upload(c.clone(), f, Some(id.clone()), on_progress).await?;
        req.file_id = js::get(&f, "id").as_string();
    }
    c.send(&id, req).await
}

/// Cursor history of a chat or of the conversation (every history method's).
pub(crate) async fn history_of(
    c: Rc<Client>,
    of: Target,
    last: Option<String>,
    count: Option<u32>,
) -> Result<JsValue, ApiError> {
    let id = of.id(&c).await?;
    history(&c, &id, last, count).await
}

/// Cursor history of a chat, merged into the cache.
pub(crate) async fn history(
    c: &Rc<Client>,
    chat_id: &str,
    last: Option<String>,
    count: Option<u32>,
) -> Result<JsValue, ApiError> {
    let mut q = format!("?count={}", count.unwrap_or(50));
    if let Some(l) = &last {
        q.push_str(&format!("&lastMessageId={}", enc(l)));
    }
    let r = c
        .rest_js(
            Method::GET,
            &format!("/v1/chats/{}/history{q}", enc(chat_id)),
            None,
        )
        .await?;
    let list = js::get(&r, "messages");
    let msgs = c.js_messages(&list);
    let more = js::get(&r, "hasMore").as_bool().unwrap_or(false);
    c.core.borrow_mut().merge_history(chat_id, &msgs, !more);
    Ok(list)
}

super::handlers::handler_props!(ChatixCore as "ChatixCore";
    onConnected: "(() => void) | undefined",
    onDisconnected: "((info: DisconnectInfo) => void) | undefined",
    onError: "((error: ChatixError) => void) | undefined",
    onChat: "((chat: ChatData, message: Message) => void) | undefined",
    onChatroomMessageReceived: "((chatroomId: string, message: Message) => void) | undefined",
    onChatroomMessageUpdated: "((chatroomId: string, message: Message) => void) | undefined",
    onChatroomMessageDeleted: "((chatroomId: string, message: Message) => void) | undefined",
    onChatroomCreated: "((chatroom: ChatData) => void) | undefined",
    onChatroomUpdated: "((chatroom: ChatData) => void) | undefined",
    onChatroomDeleted: "((chatroomId: string) => void) | undefined",
    onChatroomRestored: "((chatroom: ChatData) => void) | undefined",
    onMemberConnectedToChatroom: "((chatroomId: string, member: User) => void) | undefined",
    onMemberDisconnectedFromChatroom: "((chatroomId: string, member: User) => void) | undefined",
    onManagerConnectedToChatroom: "((chatroomId: string, manager: User) => void) | undefined",
    onManagerDisconnectedFromChatroom: "((chatroomId: string, manager: User) => void) | undefined",
    onConversationMessageReceived: "((message: Message) => void) | undefined",
    onConversationMessageUpdated: "((message: Message) => void) | undefined",
    onConversationMessageDeleted: "((message: Message) => void) | undefined",
    onManagerConnectedToConversation: "((manager: User) => void) | undefined",
    onManagerDisconnectedFromConversation: "((manager: User) => void) | undefined",
);

impl ChatixCore {
    /// Sets (or clears, with null) the handler property `name` (one of `HANDLERS`).
    pub fn set_handler(&self, name: &'static str, f: JsValue) -> Result<(), JsValue> {
        let f = super::handlers::handler_value(name, f)?;
        self.client.listeners.borrow_mut().set_prop(name, f);
        Ok(())
    }

    /// The handler property `name`, or undefined.
    pub fn get_handler(&self, name: &str) -> JsValue {
        self.client
            .listeners
            .borrow()
            .prop(name)
            .map(JsValue::from)
            .unwrap_or(JsValue::UNDEFINED)
    }
}
