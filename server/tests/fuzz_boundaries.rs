//! Fuzzing the running server at its boundaries: random and mutated JSON bodies to every
//! REST endpoint that takes one, and random and mutated frames over a socket, from a
//! seeded generator (`CHATIX_FUZZ_SEED` replays, `CHATIX_FUZZ_CASES` runs longer).
//!
//! Properties: the server never answers 5xx and never panics; every refusal is a JSON
//! error with a stable code and a message; every request frame with an id gets exactly an
//! `ack` or an `error` with that id; the socket survives; a bystander client's chat is
//! untouched.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Map, Value};

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
    "username",
    "name",
    "email",
    "avatar",
    "role",
    "password",
    "visibility",
    "memberUsernames",
    "usernames",
    "userIds",
    "ttlSeconds",
    "visitorId",
    "websiteId",
    "allowedOrigins",
];

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..if depth == 0 { 7 } else { 9 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen_range(-3..5)),
        4 => json!(rng.gen::<f64>() * 1e12),
        5 => {
            let n = rng.gen_range(0..12);
            Value::String(
                (0..n)
                    .map(|_| match rng.gen_range(0..6) {
                        0 => char::from_u32(rng.gen_range(0..0x20)).unwrap_or('x'),
                        1 => char::from_u32(rng.gen_range(0x80..0x2FFFF)).unwrap_or('é'),
                        2 => '<',
                        3 => '/',
                        _ => rng.gen_range('a'..='z'),
                    })
                    .collect(),
            )
        }
        6 => Value::String("x".repeat(rng.gen_range(0..20_000))),
        7 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => random_object(rng, depth - 1),
    }
}

fn random_object(rng: &mut StdRng, depth: u32) -> Value {
    let mut m = Map::new();
    for _ in 0..rng.gen_range(0..6) {
        let k = KEYS[rng.gen_range(0..KEYS.len())];
        m.insert(k.to_owned(), random_value(rng, depth));
    }
    Value::Object(m)
}

/// A valid body with one field changed, removed or added.
fn mutate(rng: &mut StdRng, valid: &Value) -> Value {
    let mut v = valid.clone();
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    let keys: Vec<String> = obj.keys().cloned().collect();
    match rng.gen_range(0..3) {
        0 if !keys.is_empty() => {
            obj.remove(&keys[rng.gen_range(0..keys.len())]);
        }
        1 if !keys.is_empty() => {
            let k = keys[rng.gen_range(0..keys.len())].clone();
            obj.insert(k, random_value(rng, 2));
        }
        _ => {
            let k = KEYS[rng.gen_range(0..KEYS.len())];
            obj.insert(k.to_owned(), random_value(rng, 2));
        }
    }
    v
}

fn seed() -> u64 {
    std::env::var("CHATIX_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7)
}

fn cases(default: usize) -> usize {
    std::env::var("CHATIX_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_bodies_fuzzed_get_clear_4xx_never_5xx() {
    let srv = TestServer::start().await;
    let admin = srv.secret.clone();
    let (user, u) = srv.user("fuzzer").await;
    let (visitor, _, _) = srv.visitor().await;
    let room = srv.room("fuzz", "public").await;
    let bystander_room = srv.room("bystander", "public").await;
    send_rest(&srv, &user, &bystander_room, "before the fuzz").await;
    let msg = send_rest(&srv, &user, &room, "target").await;
    let msg_id = msg["id"].as_str().unwrap().to_owned();
    // (method, path, a valid body, who calls)
    let endpoints: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/v1/auth/visitor".into(),
            json!({"websiteId": srv.website}),
            "",
        ),
        (
            Method::POST,
            "/v1/auth/consultant".into(),
            json!({"websiteId": srv.website, "username": "consultant", "password": "x"}),
            "",
        ),
        (Method::PATCH, "/v1/me".into(), json!({"name": "n"}), &user),
        (
            Method::POST,
            "/v1/users".into(),
            json!({"username": "f1", "name": "F"}),
            &admin,
        ),
        (
            Method::POST,
            "/v1/users/batch".into(),
            json!({"usernames": ["fuzzer"]}),
            &admin,
        ),
        (
            Method::PATCH,
            format!("/v1/users/{}", u.id),
            json!({"name": "n2"}),
            &admin,
        ),
        (
            Method::PATCH,
            "/v1/users/by-username/fuzzer".into(),
            json!({"metadata": {"a": "b"}}),
            &admin,
        ),
        (
            Method::POST,
            "/v1/chats/direct".into(),
            json!({"username": "f1"}),
            &user,
        ),
        (
            Method::POST,
            "/v1/chats/group".into(),
            json!({"name": "g", "visibility": "public"}),
            &admin,
        ),
        (
            Method::PATCH,
            format!("/v1/chats/{room}"),
            json!({"name": "renamed"}),
            &admin,
        ),
        (
            Method::POST,
            format!("/v1/chats/{room}/members"),
            json!({"usernames": ["f1"]}),
            &admin,
        ),
        (
            Method::POST,
            format!("/v1/chats/{room}/members/remove"),
            json!({"usernames": ["f1"]}),
            &admin,
        ),
        (
            Method::POST,
            format!("/v1/chats/{room}/messages"),
            json!({"text": "hi"}),
            &user,
        ),
        (
            Method::PATCH,
            format!("/v1/chats/{room}/messages/{msg_id}"),
            json!({"text": "edited"}),
            &user,
        ),
        (
            Method::POST,
            format!("/v1/chats/{room}/seen"),
            json!({"seq": 1}),
            &user,
        ),
        (
            Method::POST,
            format!("/v1/chats/{room}/typing"),
            json!({"typing": true}),
            &visitor,
        ),
        (
            Method::POST,
            "/v1/admin/consultants".into(),
            json!({"username": "c2", "name": "C", "password": "long enough password"}),
            &admin,
        ),
        (
            Method::POST,
            "/v1/admin/tokens".into(),
            json!({"username": "f2"}),
            &admin,
        ),
        (
            Method::POST,
            "/v1/operator/websites".into(),
            json!({"name": "W", "allowedOrigins": []}),
            "op-token",
        ),
    ];
    let mut rng = StdRng::seed_from_u64(seed());
    let n = cases(1_500);
    let (mut refused, mut accepted) = (0, 0);
    for i in 0..n {
        let (method, path, valid, who) = &endpoints[i % endpoints.len()];
        let body = if rng.gen_bool(0.5) {
            mutate(&mut rng, valid)
        } else {
            random_value(&mut rng, 3)
        };
        let mut req = srv
            .http
            .request(method.clone(), format!("{}{path}", srv.url));
        if !who.is_empty() {
            req = req.bearer_auth(who);
        }
        // sometimes not even JSON (cut anywhere, even inside a UTF-8 sequence)
        let req = if rng.gen_ratio(1, 20) {
            let bytes = body.to_string().into_bytes();
            req.header("content-type", "application/json")
                .body(bytes[..bytes.len() / 2].to_vec())
        } else {
            req.json(&body)
        };
        let r = req.send().await.expect("the server answers");
        let status = r.status();
        let text = r.text().await.unwrap();
        assert!(
            !status.is_server_error(),
            "{method} {path} with {body} -> {status} {text}"
        );
        if status.is_client_error() {
            let v: Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{method} {path}: error body is JSON: {text}"));
            assert!(
                v["error"]["code"].is_string() && v["error"]["message"].is_string(),
                "{method} {path} with {body}: error has code and message: {v}"
            );
            refused += 1;
        } else {
            accepted += 1;
        }
    }
    eprintln!("REST fuzz: {n} bodies, {refused} refused with 4xx, {accepted} accepted, 0 5xx");
    // The bystander's chat is intact.
    let (s, v) = srv
        .get(&format!("/v1/chats/{bystander_room}/messages"), &admin)
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    assert_eq!(v["totalMessages"], json!(1));
    assert_eq!(v["messages"][0]["text"], json!("before the fuzz"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_frames_fuzzed_get_an_answer_and_the_socket_survives() {
    let srv = TestServer::start().await;
    let (token, _) = srv.user("framefuzz").await;
    let (other_token, _) = srv.user("bystander").await;
    let room = srv.room("frames", "public").await;
    let mut ws = srv.ws(&token).await;
    let mut other = srv.ws(&other_token).await;
    assert!(is_ack(&other.subscribe(&room, Some(0)).await));
    let valid = [
        json!({"type": "subscribe", "chats": [{"chatId": room, "since": 0}]}),
        json!({"type": "unsubscribe", "chatIds": [room]}),
        json!({"type": "send", "chatId": room, "message": {"text": "hello", "clientId": "c1"}}),
        json!({"type": "edit", "chatId": room, "messageId": "m", "text": "x"}),
        json!({"type": "delete", "chatId": room, "messageId": "m"}),
        json!({"type": "typing", "chatId": room, "typing": true}),
        json!({"type": "seen", "chatId": room, "seq": 1}),
        json!({"type": "ping"}),
    ];
    let mut rng = StdRng::seed_from_u64(seed() ^ 0xf00d);
    let n = cases(1_500);
    let mut answered = 0;
    for i in 0..n {
        let mut frame = if rng.gen_bool(0.7) {
            let pick = rng.gen_range(0..valid.len());
            mutate(&mut rng, &valid[pick])
        } else {
            random_object(&mut rng, 3)
        };
        let id = 1_000_000 + i as u64;
        if let Some(o) = frame.as_object_mut() {
            o.insert("id".into(), json!(id));
        }
        ws.send_text(frame.to_string()).await;
        loop {
            match ws
                .read()
                .await
                .expect("the socket survives every bad frame")
            {
                ServerFrame::Ack { id: got, .. } if got == id => break,
                ServerFrame::Pong { id: got } if got == Some(id) => break,
                ServerFrame::Error {
                    id: got,
                    code,
                    message,
                    ..
                } if got == Some(id) || got.is_none() => {
                    assert!(
                        !message.is_empty(),
                        "{code:?} error for {frame} has a message"
                    );
                    break;
                }
                _ => {}
            }
        }
        answered += 1;
    }
    // Still a working connection, and the bystander saw only well-formed messages.
    assert!(is_ack(
        &ws.request(json!({"type": "send", "chatId": room, "message": {"text": "still here"}}))
            .await
    ));
    let f = other
        .next_matching(
            |f| matches!(f, ServerFrame::Message { message, .. } if message.text == "still here"),
        )
        .await;
    assert!(matches!(f, ServerFrame::Message { .. }));
    eprintln!("frame fuzz: {n} frames, {answered} answered, socket alive");
}
