//! Property-based fuzzing of everything the server decodes from outside: the socket frame
//! decoder and every REST request body type. Inputs are random JSON built from the wire
//! vocabulary (so most reach deep into the decoders), plus raw random text.
//!
//! Properties: decoding never panics; a rejected frame gets an error message that is not
//! empty; an accepted value survives a serialize/decode round trip unchanged.
//! `PROPTEST_CASES=100000 cargo test -p chatix-protocol --test fuzz` runs longer.

use chatix_protocol::rest::*;
use chatix_protocol::ClientFrame;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

const KEYS: &[&str] = &[
    "type",
    "id",
    "chatId",
    "chats",
    "since",
    "message",
    "text",
    "clientId",
    "metadata",
    "whisper",
    "fileId",
    "messageId",
    "seq",
    "draft",
    "typing",
    "username",
    "name",
    "email",
    "avatar",
    "role",
    "password",
    "visibility",
    "members",
    "memberUsernames",
    "usernames",
    "ids",
    "ttlSeconds",
    "visitorId",
    "secret",
    "websiteId",
    "allowedOrigins",
    "fields",
];
const TYPES: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "send",
    "edit",
    "delete",
    "typing",
    "seen",
    "ping",
    "public",
    "private",
    "visitor",
    "user",
    "consultant",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(TYPES).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ]
}

fn object(kv: Vec<(&'static str, Value)>) -> Value {
    Value::Object(
        kv.into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<_, _>>(),
    )
}

fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..7).prop_map(object),
        ]
    })
}

/// An object with a frame `type` and random other fields.
fn frame_like() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(TYPES),
        prop::collection::vec((prop::sample::select(KEYS), json()), 0..6),
    )
        .prop_map(|(t, kv)| {
            let mut v = object(kv);
            v["type"] = Value::from(t);
            v
        })
}

fn roundtrips<T>(v: &Value) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(t) = serde_json::from_value::<T>(v.clone()) {
        let back = serde_json::to_value(&t).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again: T = serde_json::from_value(back)
            .map_err(|e| TestCaseError::fail(format!("accepted once, refused after: {e}")))?;
        prop_assert_eq!(again, t);
    }
    Ok(())
}

proptest! {
    #[test]
    fn frame_decoder_never_panics_on_text(s in "\\PC{0,200}") {
        if let Err(e) = ClientFrame::parse(&s) {
            prop_assert!(!e.is_empty());
        }
    }

    #[test]
    fn frame_decoder_handles_any_frame_shaped_json(v in frame_like()) {
        match ClientFrame::parse(&v.to_string()) {
            Ok(f) => {
                let text = serde_json::to_string(&f).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(ClientFrame::parse(&text), Ok(f));
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    #[test]
    fn rest_bodies_decode_or_refuse_without_panicking(v in json()) {
        roundtrips::<VisitorSessionRequest>(&v)?;
        roundtrips::<ConsultantLoginRequest>(&v)?;
        roundtrips::<MintTokenRequest>(&v)?;
        roundtrips::<CreateUserRequest>(&v)?;
        roundtrips::<UpdateUserRequest>(&v)?;
        roundtrips::<GetUsersRequest>(&v)?;
        roundtrips::<CreateConsultantRequest>(&v)?;
        roundtrips::<DirectChatRequest>(&v)?;
        roundtrips::<GroupChatRequest>(&v)?;
        roundtrips::<UpdateChatRequest>(&v)?;
        roundtrips::<MembersRequest>(&v)?;
        roundtrips::<SendMessageRequest>(&v)?;
        roundtrips::<EditMessageRequest>(&v)?;
        roundtrips::<SeenRequest>(&v)?;
        roundtrips::<CreateWebsiteRequest>(&v)?;
    }
}
