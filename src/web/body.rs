//! What the SDK sends, as JS objects for `JSON.stringify`: REST request bodies and socket
//! frames, written field by field (the JSON the protocol's types define: camelCase names,
//! absent fields left out). No serializer is compiled into the browser build for them.

use chatix_protocol::frame::SubscribeChat;
use chatix_protocol::rest::{
    ConsultantLoginRequest, CreateUserRequest, DirectChatRequest, EditMessageRequest,
    GetUsersRequest, GroupChatRequest, MembersRequest, SeenRequest, SendMessageRequest,
    UpdateChatRequest, UpdateUserRequest, VisitorSessionRequest,
};
use chatix_protocol::{ClientFrame, Message, MetaValue, Metadata, Visibility};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// A value the SDK sends as JSON.
pub trait ToJs {
    /// The JS object (or value) whose `JSON.stringify` is the wire form.
    fn to_js(&self) -> JsValue;
}

/// An object built key by key; `None` values are left out.
pub struct Obj(Object);

impl Obj {
    /// An empty object.
    pub fn new() -> Obj {
        Obj(Object::new())
    }

    /// Sets `k` to `v`.
    pub fn v(self, k: &str, v: &JsValue) -> Obj {
        let _ = Reflect::set(&self.0, &k.into(), v);
        self
    }

    /// Sets `k` when `v` is given.
    pub fn opt<T: ToJs>(self, k: &str, v: Option<&T>) -> Obj {
        match v {
            Some(v) => self.v(k, &v.to_js()),
            None => self,
        }
    }

    /// The object.
    pub fn done(self) -> JsValue {
        self.0.into()
    }
}

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl ToJs for JsValue {
    fn to_js(&self) -> JsValue {
        self.clone()
    }
}

impl ToJs for String {
    fn to_js(&self) -> JsValue {
        self.as_str().into()
    }
}

impl ToJs for bool {
    fn to_js(&self) -> JsValue {
        (*self).into()
    }
}

impl ToJs for u64 {
    fn to_js(&self) -> JsValue {
        (*self as f64).into()
    }
}

impl ToJs for i64 {
    fn to_js(&self) -> JsValue {
        (*self as f64).into()
    }
}

impl ToJs for Vec<String> {
    fn to_js(&self) -> JsValue {
        self.iter()
            .map(|s| JsValue::from(s.as_str()))
            .collect::<Array>()
            .into()
    }
}

impl ToJs for Metadata {
    fn to_js(&self) -> JsValue {
        let mut o = Obj::new();
        for (k, v) in self {
            let v = match v {
                MetaValue::Str(s) => JsValue::from(s.as_str()),
                MetaValue::Num(n) => (*n).into(),
                MetaValue::Bool(b) => (*b).into(),
            };
            o = o.v(k, &v);
        }
        o.done()
    }
}

impl ToJs for Visibility {
    fn to_js(&self) -> JsValue {
        self.as_str().into()
    }
}

impl ToJs for () {
    fn to_js(&self) -> JsValue {
        JsValue::NULL
    }
}

impl ToJs for VisitorSessionRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .v("websiteId", &self.website_id.to_js())
            .opt("visitorId", self.visitor_id.as_ref())
            .opt("visitorSecret", self.visitor_secret.as_ref())
            .done()
    }
}

impl ToJs for ConsultantLoginRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .v("websiteId", &self.website_id.to_js())
            .v("username", &self.username.to_js())
            .v("password", &self.password.to_js())
            .done()
    }
}

impl ToJs for CreateUserRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .v("username", &self.username.to_js())
            .v("name", &self.name.to_js())
            .opt("avatar", self.avatar.as_ref())
            .opt("email", self.email.as_ref())
            .opt("metadata", self.metadata.as_ref())
            .done()
    }
}

impl ToJs for UpdateUserRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .opt("name", self.name.as_ref())
            .opt("avatar", self.avatar.as_ref())
            .opt("email", self.email.as_ref())
            .opt("metadata", self.metadata.as_ref())
            .done()
    }
}

impl ToJs for GetUsersRequest {
    fn to_js(&self) -> JsValue {
        Obj::new().v("usernames", &self.usernames.to_js()).done()
    }
}

impl ToJs for DirectChatRequest {
    fn to_js(&self) -> JsValue {
        Obj::new().v("username", &self.username.to_js()).done()
    }
}

impl ToJs for GroupChatRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .opt("name", self.name.as_ref())
            .v("memberUsernames", &self.member_usernames.to_js())
            .opt("avatar", self.avatar.as_ref())
            .opt("metadata", self.metadata.as_ref())
            .opt("visibility", self.visibility.as_ref())
            .done()
    }
}

impl ToJs for UpdateChatRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .opt("name", self.name.as_ref())
            .opt("avatar", self.avatar.as_ref())
            .opt("metadata", self.metadata.as_ref())
            .opt("visibility", self.visibility.as_ref())
            .done()
    }
}

impl ToJs for MembersRequest {
    fn to_js(&self) -> JsValue {
        Obj::new().v("usernames", &self.usernames.to_js()).done()
    }
}

impl ToJs for SeenRequest {
    fn to_js(&self) -> JsValue {
        Obj::new().opt("messageId", self.message_id.as_ref()).done()
    }
}

impl ToJs for EditMessageRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .opt("text", self.text.as_ref())
            .opt("metadata", self.metadata.as_ref())
            .done()
    }
}

impl ToJs for SendMessageRequest {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .opt("clientId", self.client_id.as_ref())
            .opt("text", self.text.as_ref())
            .opt("fileId", self.file_id.as_ref())
            .opt("metadata", self.metadata.as_ref())
            .opt("whisper", self.whisper.then_some(&true))
            .opt("replyTo", self.reply_to.as_ref())
            .opt("parentId", self.parent_id.as_ref())
            .opt("showInChat", self.show_in_chat.then_some(&true))
            .opt("mentions", self.mentions.as_ref())
            .done()
    }
}

impl ToJs for SubscribeChat {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .v("chatId", &self.chat_id.to_js())
            .opt("since", self.since.as_ref())
            .done()
    }
}

fn frame(ty: &str, id: Option<u64>) -> Obj {
    Obj::new().v("type", &ty.into()).opt("id", id.as_ref())
}

impl ToJs for ClientFrame {
    fn to_js(&self) -> JsValue {
        match self {
            ClientFrame::Subscribe(f) => frame("subscribe", f.id)
                .v(
                    "chats",
                    &f.chats.iter().map(ToJs::to_js).collect::<Array>().into(),
                )
                .done(),
            ClientFrame::Unsubscribe(f) => frame("unsubscribe", f.id)
                .v("chatIds", &f.chat_ids.to_js())
                .done(),
            ClientFrame::Send(f) => frame("send", f.id)
                .v("chatId", &f.chat_id.to_js())
                .v("message", &f.message.to_js())
                .done(),
            ClientFrame::Edit(f) => frame("edit", f.id)
                .v("chatId", &f.chat_id.to_js())
                .v("messageId", &f.message_id.to_js())
                .opt("text", f.text.as_ref())
                .opt("metadata", f.metadata.as_ref())
                .done(),
            ClientFrame::Delete(f) => frame("delete", f.id)
                .v("chatId", &f.chat_id.to_js())
                .v("messageId", &f.message_id.to_js())
                .done(),
            ClientFrame::Typing(f) => frame("typing", f.id)
                .v("chatId", &f.chat_id.to_js())
                .v("typing", &f.typing.into())
                .opt("draft", f.draft.as_ref())
                .done(),
            ClientFrame::Seen(f) => frame("seen", f.id)
                .v("chatId", &f.chat_id.to_js())
                .opt("messageId", f.message_id.as_ref())
                .done(),
            ClientFrame::Ping(f) => frame("ping", f.id).done(),
        }
    }
}

fn or_null<T: ToJs>(v: Option<&T>) -> JsValue {
    v.map_or(JsValue::NULL, ToJs::to_js)
}

/// Every field, as the server writes a message over REST (the optimistic `pending` copy).
impl ToJs for Message {
    fn to_js(&self) -> JsValue {
        Obj::new()
            .v("id", &self.id.to_js())
            .v("chatId", &self.chat_id.to_js())
            .v("seq", &self.seq.to_js())
            .v("rev", &self.rev.to_js())
            .v("kind", &self.kind.as_str().into())
            .v("text", &self.text.to_js())
            .v("file", &JsValue::NULL)
            .v("metadata", &self.metadata.to_js())
            .v("whisper", &self.whisper.into())
            .v("senderId", &self.sender_id.to_js())
            .v("senderRole", &self.sender_role.as_str().into())
            .v("senderName", &self.sender_name.to_js())
            .v("clientId", &or_null(self.client_id.as_ref()))
            .v("replyTo", &or_null(self.reply_to.as_ref()))
            .v("createdAt", &self.created_at.to_js())
            .v("editedAt", &or_null(self.edited_at.as_ref()))
            .v("deleted", &self.deleted.into())
            // a pending send: nobody has reacted yet
            .v("reactions", &js_sys::Object::new().into())
            .v("ownReactions", &js_sys::Array::new().into())
            .v("pinned", &JsValue::NULL)
            .opt("parentId", self.parent_id.as_ref())
            .opt("showInChat", self.show_in_chat.then_some(&true))
            .done()
    }
}
