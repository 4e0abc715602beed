//! The send path's access cache: a send reads the chat and the sender's membership from
//! memory, and every change to them (membership removed or added, visibility, deletion,
//! restore, user deleted) is seen by the very next send.

mod common;

use chatix_protocol::ServerFrame;
use common::{error_code, is_ack, TestServer};
use serde_json::json;

fn send(chat: &str, text: &str) -> serde_json::Value {
    json!({"type": "send", "chatId": chat, "message": {"text": text}})
}

fn code(f: &ServerFrame) -> String {
    error_code(f).unwrap_or_else(|| format!("not an error: {f:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_removed_while_connected_is_refused_on_the_next_send() {
    let srv = TestServer::start().await;
    let (at, a) = srv.user("cache-alice").await;
    let secret = srv.secret.clone();
    let (s, v) = srv
        .post(
            "/v1/chats/group",
            &secret,
            json!({"name": "closed", "visibility": "private", "memberUsernames": ["cache-alice"]}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let room = v["id"].as_str().unwrap().to_owned();
    let mut ws = srv.ws(&at).await;
    assert!(is_ack(&ws.request(send(&room, "one")).await));
    assert!(is_ack(&ws.request(send(&room, "two")).await));
    assert!(
        srv.state().hub.access.get(&room, &a.id).is_some(),
        "the send path keeps the chat and the membership in memory"
    );

    // removed: the next send on the same socket is refused
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{room}/members/remove"),
            &secret,
            json!({"usernames": ["cache-alice"]}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let f = ws.request(send(&room, "three")).await;
    assert_eq!(code(&f), "not_found", "{f:?}");

    // added back: accepted at once (a cached refusal would be as wrong)
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{room}/members"),
            &secret,
            json!({"usernames": ["cache-alice"]}),
        )
        .await;
    assert!(s.is_success(), "{v}");
    assert!(is_ack(&ws.request(send(&room, "four")).await));

    // deleted: gone at once; restored: accepted at once
    let (s, v) = srv.delete(&format!("/v1/chats/{room}"), &secret).await;
    assert!(s.is_success(), "{v}");
    let f = ws.request(send(&room, "five")).await;
    assert_eq!(code(&f), "gone", "{f:?}");
    let (s, v) = srv
        .post(&format!("/v1/chats/{room}/restore"), &secret, json!({}))
        .await;
    assert!(s.is_success(), "{v}");
    assert!(is_ack(&ws.request(send(&room, "six")).await));

    // leaving on one's own counts too
    let (s, v) = srv
        .post(&format!("/v1/chats/{room}/leave"), &at, json!({}))
        .await;
    assert!(s.is_success(), "{v}");
    let f = ws.request(send(&room, "seven")).await;
    assert_eq!(code(&f), "not_found", "{f:?}");

    let (_, page) = srv
        .get(&format!("/v1/chats/{room}/messages"), &secret)
        .await;
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["one", "two", "four", "six"],
        "only the accepted were stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_made_private_is_closed_to_non_member_visitors_at_once() {
    let srv = TestServer::start().await;
    let secret = srv.secret.clone();
    let room = srv.room("lobby", "public").await;
    let (vt, v, _) = srv.visitor().await;
    let (other_t, other, _) = srv.visitor().await;
    let mut ws = srv.ws(&vt).await;
    let mut other_ws = srv.ws(&other_t).await;
    // both write to the public room (which makes them members), then one leaves
    assert!(is_ack(&ws.request(send(&room, "hello")).await));
    assert!(is_ack(&other_ws.request(send(&room, "hi")).await));
    let (s, body) = srv
        .post(&format!("/v1/chats/{room}/leave"), &other_t, json!({}))
        .await;
    assert!(s.is_success(), "{body}");
    // the one who left is a non-member: the cache holds the chat as public for them
    // only until the visibility changes
    let (s, body) = srv
        .patch(
            &format!("/v1/chats/{room}"),
            &secret,
            json!({"visibility": "private"}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    assert!(
        srv.state().hub.access.get(&room, &other.id).is_none()
            && srv.state().hub.access.get(&room, &v.id).is_none(),
        "the visibility change dropped the chat from the cache"
    );
    let f = other_ws.request(send(&room, "let me in")).await;
    assert_eq!(code(&f), "not_found", "{f:?}");
    let (nt, _, _) = srv.visitor().await;
    let mut new_ws = srv.ws(&nt).await;
    let f = new_ws.request(send(&room, "and me")).await;
    assert_eq!(code(&f), "not_found", "a new visitor neither: {f:?}");
    // a member stays a member
    assert!(is_ack(&ws.request(send(&room, "still here")).await));

    // a deleted user's socket is closed; nothing of theirs stays usable
    let (s, body) = srv.delete(&format!("/v1/users/{}", v.id), &secret).await;
    assert!(s.is_success(), "{body}");
    assert!(srv.state().hub.access.get(&room, &v.id).is_none());
}
