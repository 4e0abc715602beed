//! Messages: send, idempotency, edit, delete, history by page and cursor, seen and unread,
//! whispers on every path, typing, search.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn a_retry_with_the_same_client_id_stores_one_message() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("R", "public").await;
    let body = json!({"text": "once", "clientId": "c-1"});
    let (s1, m1) = srv
        .post(&format!("/v1/chats/{room}/messages"), &vt, body.clone())
        .await;
    let (s2, m2) = srv
        .post(&format!("/v1/chats/{room}/messages"), &vt, body.clone())
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(m1["id"], m2["id"]);
    assert_eq!(m1["seq"], m2["seq"]);
    let mut ws = srv.ws(&vt).await;
    let f = ws.send_msg(&room, body).await;
    match f {
        ServerFrame::Ack { body, .. } => {
            assert!(body.duplicate);
            assert_eq!(body.message.unwrap().id, m1["id"].as_str().unwrap());
        }
        other => panic!("{other:?}"),
    }
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(page["totalMessages"], 1);
    // another sender may use the same client id: it is per sender
    let (v2, _, _) = srv.visitor().await;
    let (s, m3) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &v2,
            json!({"text": "mine", "clientId": "c-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_ne!(m3["id"], m1["id"]);
}

#[tokio::test]
async fn sequence_numbers_increase_per_chat_under_concurrent_senders() {
    let srv = TestServer::start().await;
    let room = srv.room("R", "public").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (t, _, _) = srv.visitor().await;
        let (http, url, room) = (srv.http.clone(), srv.url.clone(), room.clone());
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for j in 0..10 {
                let r: serde_json::Value = http
                    .post(format!("{url}/v1/chats/{room}/messages"))
                    .bearer_auth(&t)
                    .json(&json!({"text": format!("{i}-{j}")}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                seqs.push(r["seq"].as_i64().unwrap());
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let seqs = t.await.unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one sender's messages are in order: {seqs:?}"
        );
        all.extend(seqs);
    }
    all.sort();
    assert_eq!(
        all,
        (1..=80).collect::<Vec<i64>>(),
        "no sequence number is used twice or skipped"
    );
}

#[tokio::test]
async fn edit_and_delete_reach_subscribers_and_history() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("al").await;
    let (bt, _) = srv.user("bo").await;
    let (_, chat) = srv
        .post("/v1/chats/direct", &at, json!({"username": "bo"}))
        .await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    let mut bws = srv.ws(&bt).await;
    assert!(is_ack(&bws.subscribe(&chat, None).await));
    let m = send_rest(&srv, &at, &chat, "helo").await;
    let mid = m["id"].as_str().unwrap();
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::Message { .. }))
        .await;
    assert!(matches!(&f, ServerFrame::Message { message, .. } if message.text == "helo"));

    let (s, v) = srv
        .patch(
            &format!("/v1/chats/{chat}/messages/{mid}"),
            &bt,
            json!({"text": "hacked"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "only the sender edits"
    );
    let (s, e) = srv
        .patch(
            &format!("/v1/chats/{chat}/messages/{mid}"),
            &at,
            json!({"text": "hello"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(e["editedAt"].is_number());
    assert!(e["rev"].as_i64() > m["rev"].as_i64());
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::MessageUpdated { .. }))
        .await;
    assert!(matches!(&f, ServerFrame::MessageUpdated { message, .. } if message.text == "hello"));

    let (s, d) = srv
        .delete(&format!("/v1/chats/{chat}/messages/{mid}"), &at)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (d["deleted"].as_bool(), d["text"].as_str()),
        (Some(true), Some(""))
    );
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::MessageDeleted { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::MessageDeleted { message, .. } if message.id == mid && message.deleted)
    );
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &bt).await;
    assert_eq!(
        page["totalMessages"], 0,
        "deleted messages leave the history"
    );
    let (s, _) = srv
        .delete(&format!("/v1/chats/{chat}/messages/{mid}"), &at)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn history_by_page_and_by_cursor() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("R", "public").await;
    let mut ids = Vec::new();
    for i in 1..=60 {
        ids.push(
            send_rest(&srv, &vt, &room, &format!("m{i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let texts = |v: &serde_json::Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, p1) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(
        (
            p1["page"].as_u64(),
            p1["totalMessages"].as_u64(),
            p1["totalPages"].as_u64()
        ),
        (Some(1), Some(60), Some(3))
    );
    let t1 = texts(&p1);
    assert_eq!(
        (t1.len(), t1[0].as_str(), t1[24].as_str()),
        (25, "m36", "m60"),
        "page 1 = newest, ascending"
    );
    let (_, p3) = srv
        .get(&format!("/v1/chats/{room}/messages?page=3"), &vt)
        .await;
    assert_eq!(
        texts(&p3),
        (1..=10).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );

    let (_, c) = srv.get(&format!("/v1/chats/{room}/history"), &vt).await;
    let t = texts(&c);
    assert_eq!(
        (
            t.len(),
            t[0].as_str(),
            t[49].as_str(),
            c["hasMore"].as_bool()
        ),
        (50, "m11", "m60", Some(true))
    );
    let (_, c) = srv
        .get(
            &format!("/v1/chats/{room}/history?lastMessageId={}&count=5", ids[10]),
            &vt,
        )
        .await;
    assert_eq!(texts(&c), ["m6", "m7", "m8", "m9", "m10"]);
    let (_, c) = srv
        .get(
            &format!(
                "/v1/chats/{room}/history?lastMessageId={}&count=100",
                ids[2]
            ),
            &vt,
        )
        .await;
    assert_eq!(
        (texts(&c), c["hasMore"].as_bool()),
        (vec!["m1".to_owned(), "m2".to_owned()], Some(false))
    );
    let (_, c) = srv
        .get(
            &format!("/v1/chats/{room}/history?lastMessageId={}", ids[0]),
            &vt,
        )
        .await;
    assert!(texts(&c).is_empty(), "empty = start of history");
    for bad in ["count=0", "count=101", "lastMessageId=msg_nope"] {
        let (s, _) = srv
            .get(&format!("/v1/chats/{room}/history?{bad}"), &vt)
            .await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
            "{bad}: {s}"
        );
    }
}

#[tokio::test]
async fn seen_marks_and_unread_counts() {
    let srv = TestServer::start().await;
    let (at, a) = srv.user("ua").await;
    let (bt, _) = srv.user("ub").await;
    let (_, chat) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ub"}))
        .await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    let mut aws = srv.ws(&at).await;
    assert!(is_ack(&aws.subscribe(&chat, None).await));
    let mut last = serde_json::Value::Null;
    for i in 0..3 {
        last = send_rest(&srv, &at, &chat, &format!("x{i}")).await;
    }
    let (_, c) = srv.get(&format!("/v1/chats/{chat}"), &bt).await;
    assert_eq!(c["unread"], 3);
    let (_, c) = srv.get(&format!("/v1/chats/{chat}"), &at).await;
    assert_eq!(c["unread"], 0, "one's own messages are not unread");
    let (s, r) = srv
        .post(
            &format!("/v1/chats/{chat}/seen"),
            &bt,
            json!({"messageId": last["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (r["unread"].as_u64(), r["lastSeenSeq"].as_i64()),
        (Some(0), last["seq"].as_i64())
    );
    let f = aws
        .next_matching(|f| matches!(f, ServerFrame::Seen { .. }))
        .await;
    assert!(matches!(f, ServerFrame::Seen { user_id, .. } if user_id != a.id));
    let (_, list) = srv.get("/v1/chats", &bt).await;
    assert_eq!(list["chats"][0]["unread"], 0);
}

#[tokio::test]
async fn whispers_never_reach_a_visitor_by_any_path() {
    let srv = TestServer::start().await;
    let HelpRoom { ct, room, vt, .. } = srv.help_room().await;
    let mut vws = srv.ws(&vt).await;
    let mut cws = srv.ws(&ct).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    assert!(is_ack(&cws.subscribe(&room, None).await));
    send_rest(&srv, &vt, &room, "visible").await;
    let (s, w) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &ct,
            json!({"text": "psst, staff only", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let wid = w["id"].as_str().unwrap().to_owned();
    // the visitor cannot whisper
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "x", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // edit the whisper too (an edit event must not leak either)
    let (s, e) = srv
        .patch(
            &format!("/v1/chats/{room}/messages/{wid}"),
            &ct,
            json!({"text": "psst (edited)"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["text"], "psst (edited)");
    // a whisper deleted (its tombstone must not reach the visitor)
    let (s, d) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &ct,
            json!({"text": "psst, deleted", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let did = d["id"].as_str().unwrap().to_owned();
    let (s, _) = srv
        .delete(&format!("/v1/chats/{room}/messages/{did}"), &ct)
        .await;
    assert!(s.is_success(), "{s}");
    // a whisper in the visitor's own conversation
    let (_, conv) = srv.get("/v1/conversation", &vt).await;
    let conv = conv["id"].as_str().unwrap().to_owned();
    assert!(is_ack(&vws.subscribe(&conv, None).await));
    assert!(is_ack(&cws.subscribe(&conv, None).await));
    send_rest(&srv, &vt, &conv, "help please").await;
    let (s, cw) = srv
        .post(
            &format!("/v1/chats/{conv}/messages"),
            &ct,
            json!({"text": "psst, about this visitor", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cw}");
    let cwid = cw["id"].as_str().unwrap().to_owned();
    let after = send_rest(&srv, &ct, &room, "after").await;

    // consultant sees them live: the whisper, its edit, the deletion
    assert!(
        cws.sees_within(
            Duration::from_secs(5),
            |f| matches!(f, ServerFrame::Message { message, .. } if message.id == wid)
        )
        .await
    );
    assert!(
        cws.sees_within(
            Duration::from_secs(5),
            |f| matches!(f, ServerFrame::MessageUpdated { message, .. } if message.id == wid)
        )
        .await
    );
    assert!(
        cws.sees_within(
            Duration::from_secs(5),
            |f| matches!(f, ServerFrame::MessageDeleted { message, .. } if message.id == did)
        )
        .await
    );
    // the visitor: live (nothing with a whisper's text or id)
    let ids = [wid.clone(), did.clone(), cwid.clone()];
    let leaked = move |f: &ServerFrame| {
        let s = format!("{f:?}");
        s.contains("psst") || ids.iter().any(|id| s.contains(id.as_str()))
    };
    let saw_after = vws.sees_within(Duration::from_secs(5), |f| matches!(f, ServerFrame::Message { message, .. } if message.id == after["id"].as_str().unwrap())).await;
    assert!(saw_after);
    assert!(!vws.backlog.iter().any(&leaked), "live: {:?}", vws.backlog);
    // the conversation, as the visitor sees it
    let (_, c) = srv.get("/v1/conversation", &vt).await;
    assert_eq!(c["lastMessage"]["text"], "help please", "{c}");
    let (_, page) = srv.get(&format!("/v1/chats/{conv}/messages"), &vt).await;
    assert!(!page.to_string().contains("psst"), "{page}");
    assert_eq!(page["totalMessages"], 1);
    // history, cursor, last message, unread, chat list, single fetch as cursor
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert!(!page.to_string().contains("psst"));
    assert_eq!(page["totalMessages"], 2);
    let (_, cur) = srv.get(&format!("/v1/chats/{room}/history"), &vt).await;
    assert!(!cur.to_string().contains("psst"));
    let (s, _) = srv
        .get(
            &format!("/v1/chats/{room}/history?lastMessageId={wid}"),
            &vt,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a whisper id is no cursor for a visitor"
    );
    // the last message is a whisper for staff, not for the visitor
    srv.post(
        &format!("/v1/chats/{room}/messages"),
        &ct,
        json!({"text": "psst last", "whisper": true}),
    )
    .await;
    let (_, c) = srv.get(&format!("/v1/chats/{room}"), &vt).await;
    assert_eq!(c["lastMessage"]["text"], "after", "{c}");
    assert_eq!(
        c["unread"], 1,
        "only \"after\" (\"visible\" is the visitor's own; whispers not counted): {c}"
    );
    let (_, c) = srv.get(&format!("/v1/chats/{room}"), &ct).await;
    assert_eq!(c["lastMessage"]["text"], "psst last");
    let (_, rooms) = srv.get("/v1/chatrooms/mine", &vt).await;
    assert!(!rooms.to_string().contains("psst"));
    // search, across the visitor's chats and in this one
    for query in [
        "q=psst".to_owned(),
        format!("q=psst&chatId={room}"),
        format!("q=psst&chatId={conv}"),
    ] {
        let (s, found) = srv.get(&format!("/v1/messages/search?{query}"), &vt).await;
        assert_eq!(s, StatusCode::OK, "{found}");
        assert_eq!(found["messages"], json!([]), "{query}: {found}");
    }
    let (_, found) = srv.get("/v1/messages/search?q=psst", &ct).await;
    assert_eq!(
        found["messages"].as_array().map(Vec::len),
        Some(3),
        "staff find the edited whisper, the last one and the conversation's: {found}"
    );
    let (_, chats) = srv.get("/v1/chats", &vt).await;
    assert!(!chats.to_string().contains("psst"), "{chats}");
    let listed = chats["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == json!(room))
        .cloned()
        .unwrap_or_else(|| panic!("the room is in the visitor's chat list: {chats}"));
    assert_eq!(listed["unread"], 1, "{listed}");
    assert_eq!(listed["lastMessage"]["text"], "after", "{listed}");
    // a resume replay from the start
    let mut again = srv.ws(&vt).await;
    assert!(is_ack(&again.subscribe(&room, Some(0)).await));
    assert!(
        !again.backlog.iter().any(&leaked),
        "replay: {:?}",
        again.backlog
    );
    assert_eq!(
        again
            .backlog
            .iter()
            .filter(|f| matches!(f, ServerFrame::Message { .. }))
            .count(),
        2
    );
    // a consultant's replay has them
    let mut c2 = srv.ws(&ct).await;
    assert!(is_ack(&c2.subscribe(&room, Some(0)).await));
    assert!(c2.backlog.iter().any(&leaked));
}

#[tokio::test]
async fn typing_events_and_visitor_drafts_for_staff_only() {
    let srv = TestServer::start().await;
    let (vt, v, _) = srv.visitor().await;
    let (ct, _) = srv.consultant().await;
    let (_, conv) = srv.get("/v1/conversation", &vt).await;
    let conv = conv["id"].as_str().unwrap().to_owned();
    let room = srv.room("R", "public").await;
    let (v2t, _, _) = srv.visitor().await;
    srv.post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    let mut cws = srv.ws(&ct).await;
    let mut v2ws = srv.ws(&v2t).await;
    assert!(is_ack(&cws.subscribe(&conv, None).await));
    assert!(is_ack(&cws.subscribe(&room, None).await));
    assert!(is_ack(&v2ws.subscribe(&room, None).await));
    let mut vws = srv.ws(&vt).await;
    let f = vws
        .request(
            json!({"type": "typing", "chatId": conv, "typing": true, "draft": "I need help with"}),
        )
        .await;
    assert!(is_ack(&f), "{f:?}");
    let f = cws
        .next_matching(|f| matches!(f, ServerFrame::Typing { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::Typing { user_id, draft: Some(d), typing: true, .. } if *user_id == v.id && d == "I need help with"),
        "{f:?}"
    );
    // in a room, another visitor sees the typing but not the draft
    vws.request(json!({"type": "typing", "chatId": room, "typing": true, "draft": "secret draft"}))
        .await;
    let f = v2ws
        .next_matching(|f| matches!(f, ServerFrame::Typing { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::Typing { draft: None, .. }),
        "{f:?}"
    );
    let f = cws
        .next_matching(|f| matches!(f, ServerFrame::Typing { chat_id, .. } if *chat_id == room))
        .await;
    assert!(matches!(&f, ServerFrame::Typing { draft: Some(_), .. }));
    // a non-member visitor may not type in someone's conversation
    let f = v2ws
        .request(json!({"type": "typing", "chatId": conv, "typing": true}))
        .await;
    assert_eq!(error_code(&f).as_deref(), Some("not_found"));
}

#[tokio::test]
async fn bad_message_input_is_refused_and_stores_nothing() {
    let srv = TestServer::start_with(|c| c.max_message_chars = 100).await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("R", "public").await;
    let p = format!("/v1/chats/{room}/messages");
    for (body, status, needle) in [
        (json!({}), 400, "text or a fileId"),
        (json!({"text": "   "}), 400, "text or a fileId"),
        (json!({"text": "x".repeat(101)}), 413, "at most 100"),
        (
            json!({"text": "ok", "metadata": {"a": {"b": 1}}}),
            400,
            "flat",
        ),
        (json!({"text": "ok", "clientId": ""}), 400, "clientId"),
        (
            json!({"text": "ok", "clientId": "a\u{0}b"}),
            400,
            "clientId must not contain control characters",
        ),
        (json!({"text": "ok", "fileId": "f_nope"}), 404, "f_nope"),
        (json!({"text": "ok", "replyTo": "msg_nope"}), 404, "replyTo"),
        (json!({"text": 42}), 400, "text"),
        (json!({"txt": "x"}), 400, "txt"),
    ] {
        let (s, v) = srv.post(&p, &vt, body.clone()).await;
        assert_eq!(s.as_u16(), status, "{body}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{body}: {v}"
        );
    }
    let (_, page) = srv.get(&p, &vt).await;
    assert_eq!(page["totalMessages"], 0);
}

/// Texts of a search's results, in order.
fn texts(v: &Value) -> Vec<String> {
    v["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_what_the_caller_may_read_and_nothing_else() {
    let srv = TestServer::start().await;
    let (vt, v, _) = srv.visitor().await;
    let (ct, _) = srv.consultant().await;
    let (at, _) = srv.user("ann").await;
    let (bt, _) = srv.user("ben").await;
    // A private room with the visitor, a public room without, the visitor's conversation,
    // a direct chat of two app users, a room that gets deleted.
    let (_, p) = srv
        .post(
            "/v1/chats/group",
            &srv.secret,
            json!({"name": "p", "visibility": "private", "memberUsernames": [v.username]}),
        )
        .await;
    let p = p["id"].as_str().unwrap().to_owned();
    let q = srv.room("q", "public").await;
    let gone = srv.room("gone", "public").await;
    let (_, conv) = srv.get("/v1/conversation", &vt).await;
    let conv = conv["id"].as_str().unwrap().to_owned();
    let (_, d) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ben"}))
        .await;
    let d = d["id"].as_str().unwrap().to_owned();
    send_rest(&srv, &vt, &p, "Needle in the private room").await;
    send_rest(&srv, &ct, &q, "needle in the public room").await;
    send_rest(&srv, &vt, &conv, "a NEEDLE in my conversation").await;
    send_rest(&srv, &bt, &d, "needle between ann and ben").await;
    send_rest(&srv, &ct, &gone, "needle in a deleted room").await;
    let (s, _) = srv.delete(&format!("/v1/chats/{gone}"), &srv.secret).await;
    assert!(s.is_success());
    let (s, w) = srv
        .post(
            &format!("/v1/chats/{p}/messages"),
            &ct,
            json!({"text": "needle whispered", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let del = send_rest(&srv, &vt, &p, "needle then deleted").await;
    let (s, _) = srv
        .delete(
            &format!("/v1/chats/{p}/messages/{}", del["id"].as_str().unwrap()),
            &vt,
        )
        .await;
    assert!(s.is_success());
    send_rest(&srv, &vt, &p, "no match here").await;

    let search = |token: String, query: String| {
        let srv = &srv;
        async move {
            let (s, v) = srv
                .get(&format!("/v1/messages/search?{query}"), &token)
                .await;
            assert_eq!(s, StatusCode::OK, "{query}: {v}");
            let mut t = texts(&v);
            t.sort();
            t
        }
    };
    // The visitor: its own chats, no whisper, nothing deleted, case-insensitive.
    assert_eq!(
        search(vt.clone(), "q=needle".into()).await,
        ["Needle in the private room", "a NEEDLE in my conversation"]
    );
    // A public room it has not joined: only when asked for by chatId (it may read it).
    assert_eq!(
        search(vt.clone(), format!("q=needle&chatId={q}")).await,
        ["needle in the public room"]
    );
    // A consultant: groups and conversations, whispers too; not others' direct chats.
    assert_eq!(
        search(ct.clone(), "q=NEEDLE".into()).await,
        [
            "Needle in the private room",
            "a NEEDLE in my conversation",
            "needle in the public room",
            "needle whispered"
        ]
    );
    // The secret key: every live chat of the website.
    assert_eq!(search(srv.secret.clone(), "q=needle".into()).await.len(), 5);
    // An app user in the direct chat finds it; the visitor asking for it gets 404.
    assert_eq!(
        search(at.clone(), "q=needle".into()).await,
        ["needle between ann and ben"]
    );
    let (s, _) = srv
        .get(&format!("/v1/messages/search?q=needle&chatId={d}"), &vt)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Another website's visitor finds nothing of this one.
    let (other, _) = srv.other_website().await;
    let (ft, _, _) = srv.visitor_of(&other).await;
    assert!(search(ft.clone(), "q=needle".into()).await.is_empty());
    let (s, _) = srv
        .get(&format!("/v1/messages/search?q=needle&chatId={p}"), &ft)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // `%` and `_` are literal characters, not patterns.
    send_rest(&srv, &vt, &p, "50% off").await;
    send_rest(&srv, &vt, &p, "500 off").await;
    send_rest(&srv, &vt, &p, "a_b").await;
    send_rest(&srv, &vt, &p, "axb").await;
    assert_eq!(search(vt.clone(), "q=50%25".into()).await, ["50% off"]);
    assert_eq!(search(vt.clone(), "q=a_b".into()).await, ["a_b"]);

    // Bad input: a clear invalid_argument, naming what is wrong.
    for (query, needle) in [
        ("q=", "q:"),
        ("q=%20%20", "q:"),
        (&*format!("q={}", "x".repeat(201)), "200"),
        ("q=x&count=0", "count"),
        ("q=x&count=101", "count"),
        ("q=x&cursor=nonsense", "cursor"),
        ("q=x&cursor=1.a%20b", "cursor"),
        ("q=x&color=red", "color"),
        ("chatId=x", "q"),
    ] {
        let (s, v) = srv.get(&format!("/v1/messages/search?{query}"), &vt).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {v}");
        assert_eq!(code(&v), "invalid_argument", "{query}");
        let m = v["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains(needle), "{query}: {m}");
    }
    let (s, _) = srv
        .call(reqwest::Method::GET, "/v1/messages/search?q=x", None, None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn search_results_page_newest_first_without_gaps_or_repeats() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("many", "public").await;
    for i in 0..32 {
        send_rest(&srv, &vt, &room, &format!("hit {i:02}")).await;
        if i % 4 == 0 {
            send_rest(&srv, &vt, &room, &format!("miss {i:02}")).await;
        }
    }
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/v1/messages/search?q=hit&count=10".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, v) = srv.get(&path, &vt).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        pages += 1;
        got.extend(texts(&v));
        match v["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the cursor must end");
    }
    let want: Vec<String> = (0..32).rev().map(|i| format!("hit {i:02}")).collect();
    assert_eq!(got, want, "newest first, each once");
    assert_eq!(pages, 4);
}
