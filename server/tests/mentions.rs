//! Mentions over real HTTP and WebSocket: `mentions: [username]` on a send and `@username`
//! in its text name people who may read the message; each hears `mentioned` on every
//! socket (subscribed to the chat or not) with their unseen mentions there, sees the count
//! on the chat and in `setSeen`'s answer, and lists the messages with `getMentions`. Bad
//! names are refused and store nothing. The whisper rule: a whisper mentions consultants
//! only, so no visitor hears of one through a mention, a count or a list.

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

fn texts(page: &Value) -> Vec<&str> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect()
}

async fn mentions_page(srv: &TestServer, who: &str, chat: &str, q: &str) -> Value {
    let (s, page) = srv.get(&format!("/v1/chats/{chat}/mentions{q}"), who).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page
}

async fn mention_count(srv: &TestServer, who: &str, chat: &str) -> i64 {
    let (s, c) = srv.get(&format!("/v1/chats/{chat}"), who).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c["mentionCount"].as_i64().unwrap()
}

/// The `mentioned` frame of a message, if one arrives within half a second.
async fn heard(ws: &mut Ws, text: &str) -> Option<u64> {
    let text = text.to_owned();
    let hit = ws
        .sees_within(
            Duration::from_millis(500),
            |f| matches!(f, ServerFrame::Mentioned { message, .. } if message.text == text),
        )
        .await;
    if !hit {
        return None;
    }
    ws.backlog_drain().into_iter().find_map(|f| match f {
        ServerFrame::Mentioned {
            message,
            mention_count,
            ..
        } if message.text == text => Some(mention_count),
        _ => None,
    })
}

#[tokio::test]
async fn a_mention_reaches_the_person_and_counts_until_seen() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("ua").await;
    let (bt, _) = srv.user("ub").await;
    let (_, chat) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ub"}))
        .await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    // b's socket does not subscribe to the chat: the mention reaches it anyway
    let mut bws = srv.ws(&bt).await;

    let (s, m1) = send(&srv, &at, &chat, json!({"text": "lunch, @ub?"})).await;
    assert_eq!(s, StatusCode::CREATED, "{m1}");
    assert_eq!(m1["mentions"], json!(["ub"]));
    assert_eq!(heard(&mut bws, "lunch, @ub?").await, Some(1));
    let (s, m2) = send(
        &srv,
        &at,
        &chat,
        json!({"text": "the usual place", "mentions": ["ub"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{m2}");
    assert_eq!(m2["mentions"], json!(["ub"]));
    assert_eq!(heard(&mut bws, "the usual place").await, Some(2));
    // no mention: an e-mail address, oneself, a plain message
    for text in ["mail me at x@ub.com", "note to self @ua", "plain"] {
        let (s, m) = send(&srv, &at, &chat, json!({"text": text})).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        assert!(m.get("mentions").is_none(), "{text}: {m}");
    }
    assert_eq!(heard(&mut bws, "mail me at x@ub.com").await, None);

    assert_eq!(mention_count(&srv, &bt, &chat).await, 2);
    assert_eq!(
        mention_count(&srv, &at, &chat).await,
        0,
        "the sender is not mentioned"
    );
    let page = mentions_page(&srv, &bt, &chat, "").await;
    assert_eq!(texts(&page), ["lunch, @ub?", "the usual place"]);
    assert_eq!(page["hasMore"], false);
    let newest = mentions_page(&srv, &bt, &chat, "?count=1").await;
    assert_eq!(
        (texts(&newest), &newest["hasMore"]),
        (vec!["the usual place"], &json!(true))
    );
    let older = mentions_page(
        &srv,
        &bt,
        &chat,
        &format!("?count=1&lastMessageId={}", m2["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(texts(&older), ["lunch, @ub?"]);
    assert!(texts(&mentions_page(&srv, &at, &chat, "").await).is_empty());

    // seen up to the first: one left; up to the newest: none
    let (s, seen) = srv
        .post(
            &format!("/v1/chats/{chat}/seen"),
            &bt,
            json!({"messageId": m1["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_eq!(seen["mentionCount"], 1);
    let (_, seen) = srv
        .post(&format!("/v1/chats/{chat}/seen"), &bt, json!({}))
        .await;
    assert_eq!(seen["mentionCount"], 0);
    assert_eq!(mention_count(&srv, &bt, &chat).await, 0);
    // the list keeps them (it is the history of mentions, not the unseen ones) ...
    assert_eq!(texts(&mentions_page(&srv, &bt, &chat, "").await).len(), 2);
    // ... until the message is deleted
    let (s, _) = srv
        .delete(
            &format!("/v1/chats/{chat}/messages/{}", m1["id"].as_str().unwrap()),
            &at,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        texts(&mentions_page(&srv, &bt, &chat, "").await),
        ["the usual place"]
    );
    // a deleted mention is announced with its tombstone and the count without it
    let m3 = send_rest(&srv, &at, &chat, "@ub one more").await;
    assert_eq!(heard(&mut bws, "@ub one more").await, Some(1));
    let (s, _) = srv
        .delete(
            &format!("/v1/chats/{chat}/messages/{}", m3["id"].as_str().unwrap()),
            &at,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let id3 = m3["id"].as_str().unwrap().to_owned();
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::Mentioned { message, .. } if message.id == id3))
        .await;
    let ServerFrame::Mentioned {
        message,
        mention_count,
        ..
    } = f
    else {
        unreachable!()
    };
    assert!(message.deleted && message.text.is_empty() && message.mentions.is_empty());
    assert_eq!(mention_count, 0);

    // over the socket too
    let mut aws = srv.ws(&at).await;
    let ack = aws
        .send_msg(&chat, json!({"text": "socket", "mentions": ["ub"]}))
        .await;
    assert!(is_ack(&ack), "{ack:?}");
    assert_eq!(heard(&mut bws, "socket").await, Some(1));
}

#[tokio::test]
async fn bad_mentions_are_refused_and_store_nothing() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("ua").await;
    let (bt, _) = srv.user("ub").await;
    let (ct, _) = srv.user("uc").await;
    let (_, chat) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ub"}))
        .await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    let mut cws = srv.ws(&ct).await;
    let many: Vec<String> = (0..26).map(|i| format!("u{i}")).collect();
    for (body, why) in [
        (json!({"text": "hi", "mentions": ["nobody"]}), "no user"),
        (json!({"text": "hi", "mentions": ["uc"]}), "cannot read"),
        (
            json!({"text": "hi", "mentions": ["a b"]}),
            "may contain only",
        ),
        (json!({"text": "hi", "mentions": many}), "at most 25"),
        (json!({"text": "hi", "mentions": "ub"}), "mentions"),
    ] {
        let (s, e) = send(&srv, &at, &chat, body.clone()).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::BAD_REQUEST, "invalid_argument"),
            "{body}: {e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains(why),
            "{body}: {e}"
        );
    }
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &bt).await;
    assert_eq!(page["totalMessages"], 0, "nothing stored: {page}");
    // the socket refuses the same way
    let mut aws = srv.ws(&at).await;
    let f = aws
        .send_msg(&chat, json!({"text": "hi", "mentions": ["uc"]}))
        .await;
    assert_eq!(error_code(&f).as_deref(), Some("invalid_argument"), "{f:?}");

    // in the text, someone who cannot read the chat is only text: no mention, no frame
    let (s, m) = send(&srv, &at, &chat, json!({"text": "ask @uc and @nobody"})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert!(m.get("mentions").is_none(), "{m}");
    assert_eq!(heard(&mut cws, "ask @uc and @nobody").await, None);
    // mentioning in a chat the caller cannot read: the chat is not found, nothing stored
    let (s, e) = send(
        &srv,
        &ct,
        &chat,
        json!({"text": "hi @ua", "mentions": ["ua"]}),
    )
    .await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &bt).await;
    assert_eq!(page["totalMessages"], 1, "only the lenient one: {page}");
    // listing: a user only, on a chat they may see
    let (s, e) = srv.get(&format!("/v1/chats/{chat}/mentions"), &ct).await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");
    let secret = srv.secret.clone();
    let (s, e) = srv
        .get(&format!("/v1/chats/{chat}/mentions"), &secret)
        .await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let (s, e) = srv
        .get(&format!("/v1/chats/{chat}/mentions?count=0"), &bt)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
}

#[tokio::test]
async fn a_chatroom_mentions_its_readers_and_a_whisper_consultants_only() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let pt = srv.plain_consultant().await;
    let room = srv.room("Help", "public").await;
    let private = srv.room("Staff room", "private").await;
    let (vt, visitor, _) = srv.visitor().await;
    let (ut, _) = srv.user("ua").await;
    srv.post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    let mut pws = srv.ws(&pt).await;
    let vname = visitor.username.clone();

    // a public chatroom: anyone who may read it, member or not
    let (s, m) = send(
        &srv,
        &ct,
        &room,
        json!({"text": "welcome", "mentions": [vname, "ua", "plain"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["mentions"], json!([vname, "ua", "plain"]));
    assert_eq!(heard(&mut vws, "welcome").await, Some(1));
    assert_eq!(
        texts(&mentions_page(&srv, &ut, &room, "").await),
        ["welcome"],
        "a reader who is not a member lists it too"
    );
    // a private chatroom: its members and consultants
    let (s, e) = send(
        &srv,
        &ct,
        &private,
        json!({"text": "x", "mentions": ["ua"]}),
    )
    .await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_argument"),
        "{e}"
    );
    let (s, _) = send(
        &srv,
        &ct,
        &private,
        json!({"text": "y", "mentions": ["plain"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    // a whisper: naming a visitor or an app user is refused; in the text it is only text
    for who in [vname.as_str(), "ua"] {
        let (s, e) = send(
            &srv,
            &ct,
            &room,
            json!({"text": "psst", "whisper": true, "mentions": [who]}),
        )
        .await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::BAD_REQUEST, "invalid_argument"),
            "{who}: {e}"
        );
        assert!(e["error"]["message"].as_str().unwrap().contains("whisper"));
    }
    let text = format!("watch @{vname}, @plain");
    let (s, w) = send(&srv, &ct, &room, json!({"text": text, "whisper": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert_eq!(w["mentions"], json!(["plain"]), "consultants only");
    assert!(heard(&mut pws, &text).await.is_some());
    let leaked = vws
        .sees_within(Duration::from_millis(500), |f| {
            format!("{f:?}").contains("watch @")
        })
        .await;
    assert!(!leaked, "no frame of the whisper reaches the visitor");
    assert_eq!(
        texts(&mentions_page(&srv, &vt, &room, "").await),
        ["welcome"],
        "the visitor's list has no whisper"
    );
    assert_eq!(mention_count(&srv, &vt, &room).await, 1);
}
