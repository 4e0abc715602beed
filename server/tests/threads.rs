//! Threads over real HTTP and WebSocket: a reply with `parentId` goes in its parent's thread
//! (not in the chat's history, unread count or last message, unless `showInChat`), the
//! parent carries its live reply count and newest reply time (recounted on every reply and
//! deletion, and published as an edit), `getThread` pages the replies, and every refusal
//! stores nothing. The whisper rule: a thread is as visible as its parent, so no visitor
//! learns of a whisper through a reply count, a last reply time, a thread page or a frame.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn send(srv: &TestServer, who: &str, chat: &str, body: Value) -> (StatusCode, Value) {
    srv.post(&format!("/v1/chats/{chat}/messages"), who, body)
        .await
}

async fn thread(srv: &TestServer, who: &str, chat: &str, parent: &str, q: &str) -> Value {
    let (s, page) = srv
        .get(
            &format!("/v1/chats/{chat}/messages/{parent}/thread{q}"),
            who,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page
}

fn texts(page: &Value) -> Vec<&str> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn replies_go_in_the_thread_and_the_parent_counts_them() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("ua").await;
    let (bt, _) = srv.user("ub").await;
    let (_, chat) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ub"}))
        .await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    let mut bws = srv.ws(&bt).await;
    assert!(is_ack(&bws.subscribe(&chat, None).await));
    let parent = send_rest(&srv, &at, &chat, "lunch on friday?").await;
    let pid = parent["id"].as_str().unwrap().to_owned();
    assert!(
        parent.get("replyCount").is_none() && parent.get("parentId").is_none(),
        "a message outside any thread carries no thread fields: {parent}"
    );

    let (s, r1) = send(
        &srv,
        &at,
        &chat,
        json!({"text": "the usual place", "parentId": pid}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r1}");
    assert_eq!(r1["parentId"], pid.as_str());
    assert!(r1.get("showInChat").is_none(), "{r1}");
    // live: the reply, then the parent with its new count, as an edit
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::Message { message, .. } if message.text == "the usual place"))
        .await;
    let ServerFrame::Message { message, .. } = f else {
        unreachable!()
    };
    assert_eq!(message.parent_id.as_deref(), Some(pid.as_str()));
    let f = bws
        .next_matching(
            |f| matches!(f, ServerFrame::MessageUpdated { message, .. } if message.id == pid),
        )
        .await;
    let ServerFrame::MessageUpdated { message: p, .. } = f else {
        unreachable!()
    };
    assert_eq!(
        (p.reply_count, p.last_reply_at),
        (1, r1["createdAt"].as_i64())
    );
    assert!(
        p.rev > r1["seq"].as_i64().unwrap(),
        "the recount is a newer revision"
    );

    // the thread-only reply is in the thread, not in the chat's history, count or preview
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &bt).await;
    assert_eq!(texts(&page), ["lunch on friday?"], "{page}");
    assert_eq!(page["totalMessages"], 1);
    assert_eq!(page["messages"][0]["replyCount"], 1);
    assert_eq!(page["messages"][0]["lastReplyAt"], r1["createdAt"]);
    let (_, hist) = srv.get(&format!("/v1/chats/{chat}/history"), &bt).await;
    assert_eq!(texts(&hist), ["lunch on friday?"], "{hist}");
    let (_, c) = srv.get(&format!("/v1/chats/{chat}"), &bt).await;
    assert_eq!(
        c["unread"], 1,
        "thread-only replies are not unread in the chat: {c}"
    );
    assert_eq!(c["lastMessage"]["id"], pid.as_str());

    // shown in the chat too: in both
    let (s, r2) = send(
        &srv,
        &bt,
        &chat,
        json!({"text": "12:30 works", "parentId": pid, "showInChat": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r2}");
    assert_eq!(r2["showInChat"], true);
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &at).await;
    assert_eq!(texts(&page), ["lunch on friday?", "12:30 works"]);
    assert_eq!(page["messages"][0]["replyCount"], 2);
    let r3 = send(
        &srv,
        &at,
        &chat,
        json!({"text": "see you", "parentId": pid}),
    )
    .await
    .1;
    assert_eq!(
        texts(&thread(&srv, &bt, &chat, &pid, "").await),
        ["the usual place", "12:30 works", "see you"]
    );
    // paged by cursor, oldest first within a page
    let p1 = thread(&srv, &bt, &chat, &pid, "?count=2").await;
    assert_eq!(
        (texts(&p1), &p1["hasMore"]),
        (vec!["12:30 works", "see you"], &json!(true))
    );
    let cursor = p1["messages"][0]["id"].as_str().unwrap();
    let p2 = thread(
        &srv,
        &bt,
        &chat,
        &pid,
        &format!("?count=2&lastMessageId={cursor}"),
    )
    .await;
    assert_eq!(
        (texts(&p2), &p2["hasMore"]),
        (vec!["the usual place"], &json!(false))
    );

    // deleting a reply recounts: count and last reply time follow the live replies
    let r3id = r3["id"].as_str().unwrap();
    let (s, _) = srv
        .delete(&format!("/v1/chats/{chat}/messages/{r3id}"), &at)
        .await;
    assert_eq!(s, StatusCode::OK);
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::MessageUpdated { message, .. } if message.id == pid && message.reply_count == 2))
        .await;
    let ServerFrame::MessageUpdated { message: p, .. } = f else {
        unreachable!()
    };
    assert_eq!(p.last_reply_at, r2["createdAt"].as_i64());
    assert_eq!(
        texts(&thread(&srv, &bt, &chat, &pid, "").await),
        ["the usual place", "12:30 works"]
    );
    // a resume replays the thread replies and the parent's recounts too
    let mut late = srv.ws(&bt).await;
    assert!(is_ack(&late.subscribe(&chat, Some(0)).await));
    let replayed: Vec<ServerFrame> = late.backlog_drain();
    let has = |t: &str| {
        replayed.iter().any(|f| {
            matches!(f, ServerFrame::Message { message, .. } | ServerFrame::MessageUpdated { message, .. }
                if message.text == t && message.parent_id.as_deref() == Some(pid.as_str()))
        })
    };
    assert!(has("the usual place") && has("12:30 works"), "{replayed:?}");
    assert!(replayed.iter().any(|f| matches!(f,
        ServerFrame::Message { message, .. } | ServerFrame::MessageUpdated { message, .. }
            if message.id == pid && message.reply_count == 2)));
}

#[tokio::test]
async fn bad_thread_replies_are_refused_and_store_nothing() {
    let srv = TestServer::start().await;
    let HelpRoom { ct, room, vt, .. } = srv.help_room().await;
    let parent = send_rest(&srv, &vt, &room, "how do I pay?").await;
    let pid = parent["id"].as_str().unwrap().to_owned();
    let (_, reply) = send(
        &srv,
        &ct,
        &room,
        json!({"text": "by card", "parentId": pid}),
    )
    .await;
    let rid = reply["id"].as_str().unwrap().to_owned();
    let other = srv.room("Other", "public").await;
    let elsewhere = send_rest(&srv, &ct, &other, "elsewhere").await;
    let private = srv.room("Staff", "private").await;
    let hidden = send_rest(&srv, &ct, &private, "staff only").await;

    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            json!({"text": "x", "parentId": "msg_nope"}),
            StatusCode::NOT_FOUND,
            "not_found",
            "parentId",
        ),
        (
            json!({"text": "x", "parentId": elsewhere["id"]}),
            StatusCode::NOT_FOUND,
            "not_found",
            "parentId",
        ),
        (
            json!({"text": "x", "parentId": rid}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "one level deep",
        ),
        (
            json!({"text": "x", "showInChat": true}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "showInChat",
        ),
        (
            json!({"text": "x", "parentId": 7}),
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "parentId",
        ),
    ];
    for (body, status, code_, says) in cases {
        let (s, e) = send(&srv, &vt, &room, body.clone()).await;
        assert_eq!((s, code(&e)), (status, code_), "{body}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(says),
            "{body}: {e}"
        );
    }
    // a chat the caller cannot read: its thread is neither readable nor writable
    let hid = hidden["id"].as_str().unwrap();
    let (s, _) = send(&srv, &vt, &private, json!({"text": "x", "parentId": hid})).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    let (s, _) = srv
        .get(&format!("/v1/chats/{private}/messages/{hid}/thread"), &vt)
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
    // getThread of a reply, of nothing, with a bad count
    for (path, status) in [
        (
            format!("/v1/chats/{room}/messages/{rid}/thread"),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/v1/chats/{room}/messages/msg_nope/thread"),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/v1/chats/{room}/messages/{pid}/thread?count=0"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/v1/chats/{room}/messages/{pid}/thread?count=101"),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, e) = srv.get(&path, &vt).await;
        assert_eq!(s, status, "{path}: {e}");
    }
    // over the socket too
    let mut ws = srv.ws(&vt).await;
    let f = ws
        .send_msg(&room, json!({"text": "x", "parentId": rid}))
        .await;
    assert_eq!(error_code(&f).as_deref(), Some("invalid_argument"), "{f:?}");
    // nothing stored: the thread holds its one reply, the parent counts one
    let page = thread(&srv, &ct, &room, &pid, "").await;
    assert_eq!(texts(&page), ["by card"]);
    let (_, hist) = srv.get(&format!("/v1/chats/{room}/messages"), &ct).await;
    assert_eq!(hist["totalMessages"], 1, "{hist}");
    assert_eq!(hist["messages"][0]["replyCount"], 1);
}

#[tokio::test]
async fn a_thread_is_as_visible_as_its_parent() {
    let srv = TestServer::start().await;
    let HelpRoom { ct, room, vt, .. } = srv.help_room().await;
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    let public = send_rest(&srv, &vt, &room, "is anyone there?").await;
    let pubid = public["id"].as_str().unwrap().to_owned();
    let (s, w) = send(
        &srv,
        &ct,
        &room,
        json!({"text": "escalate this one", "whisper": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let wid = w["id"].as_str().unwrap().to_owned();

    // a whisper cannot go in a public thread (its count would tell the visitor)
    let (s, e) = send(
        &srv,
        &ct,
        &room,
        json!({"text": "secret", "parentId": pubid, "whisper": true}),
    )
    .await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_argument"),
        "{e}"
    );
    // a whisper's thread holds whispers only
    let (s, e) = send(&srv, &ct, &room, json!({"text": "open", "parentId": wid})).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_argument"),
        "{e}"
    );
    let (s, r) = send(
        &srv,
        &ct,
        &room,
        json!({"text": "on it", "parentId": wid, "whisper": true, "showInChat": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // staff see the thread and its count
    assert_eq!(texts(&thread(&srv, &ct, &room, &wid, "").await), ["on it"]);
    let (_, staff) = srv.get(&format!("/v1/chats/{room}/messages"), &ct).await;
    assert!(staff["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == wid.as_str() && m["replyCount"] == 1));
    // the visitor: no reply, no thread page, nothing in history, no frame
    let (s, e) = send(&srv, &vt, &room, json!({"text": "me too", "parentId": wid})).await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");
    let (s, _) = srv
        .get(&format!("/v1/chats/{room}/messages/{wid}/thread"), &vt)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(texts(&page), ["is anyone there?"]);
    assert!(page["messages"][0].get("replyCount").is_none(), "{page}");
    let leaked = vws
        .sees_within(Duration::from_millis(500), |f| {
            format!("{f:?}").contains(&wid) || format!("{f:?}").contains("on it")
        })
        .await;
    assert!(
        !leaked,
        "no frame of the whisper's thread reaches the visitor"
    );
    let mut late = srv.ws(&vt).await;
    assert!(is_ack(&late.subscribe(&room, Some(0)).await));
    let replayed = format!("{:?}", late.backlog_drain());
    assert!(
        !replayed.contains(&wid) && !replayed.contains("on it"),
        "{replayed}"
    );
}
