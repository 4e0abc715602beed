//! Moderation over real HTTP and WebSocket: mutes (read, no send, react or edit; nothing
//! stored), chat bans (removed, subscription dropped, rejoining and being added refused),
//! website bans (sockets closed with 4003, tokens and visitor sessions refused), their ends
//! and lifting; the reports queue (flag, report, list, resolve); and the refusals: visitors
//! and app users moderating or reading the queue, staff as targets, bad ends and reasons,
//! a visitor flagging a whisper.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn put(srv: &TestServer, path: &str, who: &str, body: Value) -> (StatusCode, Value) {
    srv.call(Method::PUT, path, Some(who), Some(body)).await
}

/// A public chatroom with a visitor in it: (room, visitor token, visitor username,
/// visitor secret).
async fn room_with_visitor(srv: &TestServer) -> (String, String, String, String) {
    let room = srv.room("Lobby", "public").await;
    let (vt, v, secret) = srv.visitor().await;
    let (s, j) = srv
        .post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{j}");
    (room, vt, v.username, secret)
}

async fn texts(srv: &TestServer, room: &str, who: &str) -> Vec<String> {
    let (s, page) = srv.get(&format!("/v1/chats/{room}/messages"), who).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_muted_visitor_reads_but_cannot_send_react_or_edit_until_unmuted() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (room, vt, vname, _) = room_with_visitor(&srv).await;
    let before = send_rest(&srv, &vt, &room, "before the mute").await;
    let bid = before["id"].as_str().unwrap().to_owned();
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));

    let (s, m) = put(
        &srv,
        &format!("/v1/chats/{room}/mutes/{vname}"),
        &ct,
        json!({"seconds": 600, "reason": "spamming links"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["kind"], "mute");
    assert_eq!(m["username"], vname.as_str());
    assert_eq!(m["reason"], "spamming links");
    assert!(m["until"].as_i64().unwrap() > before["createdAt"].as_i64().unwrap() + 500_000);

    // REST send, socket send, reaction and edit: refused, with the end and the reason
    let (s, e) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "buy now"}),
        )
        .await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("muted") && msg.contains("spamming links") && msg.contains("until 20"),
        "{msg}"
    );
    let f = vws
        .send_msg(&room, json!({"text": "buy now (socket)"}))
        .await;
    assert_eq!(error_code(&f).as_deref(), Some("forbidden"), "{f:?}");
    let (s, _) = srv
        .call(
            Method::PUT,
            &format!("/v1/chats/{room}/messages/{bid}/reactions/%F0%9F%91%8D"),
            Some(&vt),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = srv
        .patch(
            &format!("/v1/chats/{room}/messages/{bid}"),
            &vt,
            json!({"text": "edited while muted"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // still reads: history, and live messages of others
    assert_eq!(texts(&srv, &room, &vt).await, vec!["before the mute"]);
    send_rest(&srv, &ct, &room, "a consultant speaks").await;
    let f = vws
        .next_matching(|f| matches!(f, ServerFrame::Message { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::Message { message, .. } if message.text == "a consultant speaks")
    );
    // the chat's sanctions list it; nothing of the refused sends was stored
    let (s, list) = srv.get(&format!("/v1/chats/{room}/sanctions"), &ct).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["sanctions"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["sanctions"][0]["by"], "consultant");
    assert_eq!(
        texts(&srv, &room, &ct).await,
        vec!["before the mute", "a consultant speaks"]
    );

    // unmuted: sends again
    let (s, _) = srv
        .delete(&format!("/v1/chats/{room}/mutes/{vname}"), &ct)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "sorry"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, list) = srv.get(&format!("/v1/chats/{room}/sanctions"), &ct).await;
    assert_eq!(list["sanctions"], json!([]));
}

#[tokio::test]
async fn a_mute_ends_by_itself() {
    let srv = TestServer::start().await;
    let (room, vt, vname, _) = room_with_visitor(&srv).await;
    let secret = srv.secret.clone();
    let until = chatix_server::util::now_ms() + 1_500;
    let (s, m) = put(
        &srv,
        &format!("/v1/chats/{room}/mutes/{vname}"),
        &secret,
        json!({"until": until}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["by"], Value::Null, "set with the secret key");
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "too early"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "after the end"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(texts(&srv, &room, &vt).await, vec!["after the end"]);
}

#[tokio::test]
async fn a_chat_ban_removes_drops_the_subscription_and_refuses_rejoining() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (room, vt, vname, _) = room_with_visitor(&srv).await;
    let other = srv.room("Elsewhere", "public").await;
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    let mut cws = srv.ws(&ct).await;
    assert!(is_ack(&cws.subscribe(&room, None).await));

    let (s, b) = put(
        &srv,
        &format!("/v1/chats/{room}/bans/{vname}"),
        &ct,
        json!({"reason": "abuse"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["kind"].as_str(), b["until"].as_i64()),
        (Some("ban"), None)
    );
    // both hear the removal
    for ws in [&mut vws, &mut cws] {
        let f = ws
            .next_matching(|f| matches!(f, ServerFrame::MembersRemoved { .. }))
            .await;
        assert!(matches!(&f, ServerFrame::MembersRemoved { chat_id, .. } if *chat_id == room));
    }
    // the visitor's subscription is gone: the next message does not reach them
    send_rest(&srv, &ct, &room, "after the ban").await;
    assert!(
        !vws.sees_within(Duration::from_millis(400), |f| matches!(
            f,
            ServerFrame::Message { .. }
        ))
        .await,
        "a banned user hears nothing more of the chat"
    );
    // reading, joining, sending, subscribing: refused, saying why
    let (s, e) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("banned"),
        "{e}"
    );
    let (s, _) = srv
        .post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "let me back"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let f = vws.subscribe(&room, None).await;
    assert_eq!(error_code(&f).as_deref(), Some("forbidden"), "{f:?}");
    // not a member any more; the secret key cannot add them back while banned
    let (_, members) = srv.get(&format!("/v1/chats/{room}/members"), &ct).await;
    assert!(
        !members.to_string().contains(&vname),
        "removed from the members: {members}"
    );
    let secret = srv.secret.clone();
    let (s, e) = srv
        .post(
            &format!("/v1/chats/{room}/members"),
            &secret,
            json!({"usernames": [vname]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // other chats are untouched
    let (s, _) = srv
        .post(&format!("/v1/chats/{other}/join"), &vt, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    // unbanned: joins again
    let (s, _) = srv
        .delete(&format!("/v1/chats/{room}/bans/{vname}"), &ct)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = srv
        .post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_website_ban_closes_sockets_and_refuses_tokens_and_visitor_sessions() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (vt, v, secret) = srv.visitor().await;
    let (ut, _) = srv.user("al").await;
    let mut vws = srv.ws(&vt).await;
    let mut uws = srv.ws(&ut).await;

    let (s, b) = put(
        &srv,
        &format!("/v1/bans/{}", v.username),
        &ct,
        json!({"seconds": 3600, "reason": "harassment"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["chatId"], Value::Null);
    assert_eq!(vws.read_close_code().await, Some(4003));
    // the token, a new socket, and resuming the visitor session: refused
    let (s, e) = srv.get("/v1/me", &vt).await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("harassment"));
    match open_socket(
        &srv.url,
        &format!("?website={}", srv.website),
        None,
        Some(auth_frame(&vt)),
    )
    .await
    {
        Opened::Closed { code, error, .. } => {
            assert_eq!(code, 4003);
            assert!(error.unwrap_or_default().contains("banned"));
        }
        other => panic!("a banned visitor's socket must be refused: {other:?}"),
    }
    let (s, e) = srv
        .call(
            Method::POST,
            "/v1/auth/visitor",
            None,
            Some(
                json!({"websiteId": srv.website, "visitorId": v.username, "visitorSecret": secret}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // others are untouched
    let room = srv.room("Open", "public").await;
    assert!(
        is_ack(&uws.subscribe(&room, None).await),
        "another user's socket stays open"
    );
    let (s, _) = srv.get("/v1/me", &ut).await;
    assert_eq!(s, StatusCode::OK);
    // listed, then lifted: the same token works again
    let (_, list) = srv.get("/v1/bans", &ct).await;
    assert_eq!(
        list["sanctions"][0]["username"],
        v.username.as_str(),
        "{list}"
    );
    let (s, _) = srv.delete(&format!("/v1/bans/{}", v.username), &ct).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = srv.get("/v1/me", &vt).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = srv.get("/v1/bans", &ct).await;
    assert_eq!(list["sanctions"], json!([]));
}

#[tokio::test]
async fn moderation_is_for_staff_and_staff_are_not_moderated() {
    let srv = TestServer::start().await;
    let (ct, consultant) = srv.consultant().await;
    let (room, vt, vname, _) = room_with_visitor(&srv).await;
    let (ut, _) = srv.user("al").await;
    let (_, v2, _) = srv.visitor().await;
    for who in [&vt, &ut] {
        for (path, body) in [
            (format!("/v1/chats/{room}/mutes/{}", v2.username), json!({})),
            (format!("/v1/chats/{room}/bans/{}", v2.username), json!({})),
            (format!("/v1/bans/{}", v2.username), json!({})),
        ] {
            let (s, e) = put(&srv, &path, who, body).await;
            assert_eq!(
                (s, code(&e)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{path} {e}"
            );
        }
        for path in [
            format!("/v1/chats/{room}/sanctions"),
            "/v1/bans".to_owned(),
            "/v1/reports".to_owned(),
        ] {
            let (s, _) = srv.get(&path, who).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        }
    }
    // a consultant is not muted or banned, even by the secret key
    let secret = srv.secret.clone();
    let (s, e) = put(
        &srv,
        &format!("/v1/bans/{}", consultant.username),
        &secret,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // bad ends and reasons, unknown users and fields
    let mute = format!("/v1/chats/{room}/mutes/{vname}");
    for (body, why) in [
        (json!({"until": 1}), "future"),
        (json!({"seconds": 0}), "seconds must be"),
        (
            json!({"seconds": 10, "until": 4_000_000_000_000i64}),
            "not both",
        ),
        (json!({"reason": "x".repeat(501)}), "at most 500"),
        (json!({"reason": "a\u{7}b"}), "control"),
    ] {
        let (s, e) = put(&srv, &mute, &ct, body.clone()).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::BAD_REQUEST, "invalid_argument"),
            "{body}"
        );
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    let (s, _) = put(&srv, &mute, &ct, json!({"minutes": 5})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = put(
        &srv,
        &format!("/v1/chats/{room}/mutes/nobody"),
        &ct,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // none of it stored a sanction
    let (_, list) = srv.get(&format!("/v1/chats/{room}/sanctions"), &ct).await;
    assert_eq!(list["sanctions"], json!([]));
    send_rest(&srv, &vt, &room, "still free to speak").await;
}

#[tokio::test]
async fn flags_and_reports_queue_for_consultants_who_resolve_them() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (room, vt, vname, _) = room_with_visitor(&srv).await;
    let (ut, _) = srv.user("al").await;
    srv.post(&format!("/v1/chats/{room}/join"), &ut, json!({}))
        .await;
    let rude = send_rest(&srv, &ut, &room, "you are all idiots").await;
    let rid = rude["id"].as_str().unwrap().to_owned();
    let flag = format!("/v1/chats/{room}/messages/{rid}/flag");

    let (s, r) = srv.post(&flag, &vt, json!({"reason": "insults"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["kind"], "message");
    assert_eq!(r["username"], "al");
    assert_eq!(r["reporter"], vname.as_str());
    assert_eq!(r["excerpt"], "you are all idiots");
    assert_eq!(r["resolvedAt"], Value::Null);
    // flagging it again while open: the same report
    let (_, again) = srv.post(&flag, &vt, json!({"reason": "insults!"})).await;
    assert_eq!(again["id"], r["id"]);
    // the excerpt keeps what was flagged after an edit
    srv.patch(
        &format!("/v1/chats/{room}/messages/{rid}"),
        &ut,
        json!({"text": "hello all"}),
    )
    .await;
    let (s, u) = srv
        .post(
            "/v1/users/by-username/al/report",
            &vt,
            json!({"reason": "rude all day"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(
        (u["kind"].as_str(), u["messageId"].as_str()),
        (Some("user"), None)
    );

    // refusals: no reason, one's own message or self, the secret key, no such message
    let (s, _) = srv.post(&flag, &vt, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = srv.post(&flag, &ut, json!({"reason": "me"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = srv
        .post(
            &format!("/v1/users/by-username/{vname}/report"),
            &vt,
            json!({"reason": "me"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let secret = srv.secret.clone();
    let (s, _) = srv.post(&flag, &secret, json!({"reason": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{room}/messages/msg_nope/flag"),
            &vt,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // the queue: newest first, open by default
    let (s, q) = srv.get("/v1/reports", &ct).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q["total"], 2, "{q}");
    assert_eq!(q["reports"][0]["kind"], "user");
    assert_eq!(q["reports"][1]["excerpt"], "you are all idiots");
    let first = q["reports"][1]["id"].as_str().unwrap().to_owned();
    let (s, done) = srv
        .post(
            &format!("/v1/reports/{first}/resolve"),
            &ct,
            json!({"resolution": "muted for a day"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["resolvedBy"], "consultant");
    assert_eq!(done["resolution"], "muted for a day");
    let (s, e) = srv
        .post(&format!("/v1/reports/{first}/resolve"), &ct, json!({}))
        .await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "conflict"));
    let (s, _) = srv
        .post("/v1/reports/rep_nope/resolve", &ct, json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, open) = srv.get("/v1/reports", &ct).await;
    assert_eq!(open["total"], 1);
    let (_, resolved) = srv.get("/v1/reports?status=resolved", &secret).await;
    assert_eq!(resolved["total"], 1);
    assert_eq!(resolved["reports"][0]["id"], first.as_str());
    let (_, all) = srv.get("/v1/reports?status=all", &ct).await;
    assert_eq!(all["total"], 2);
    let (s, _) = srv.get("/v1/reports?status=closed", &ct).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // resolved, it can be flagged anew
    let (_, anew) = srv.post(&flag, &vt, json!({"reason": "again"})).await;
    assert_ne!(anew["id"], r["id"]);
}

#[tokio::test]
async fn a_visitor_cannot_flag_a_whisper_or_learn_of_it_through_a_report() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (room, vt, _, _) = room_with_visitor(&srv).await;
    let (s, w) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &ct,
            json!({"text": "staff only: watch this visitor", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let wid = w["id"].as_str().unwrap();
    let (s, e) = srv
        .post(
            &format!("/v1/chats/{room}/messages/{wid}/flag"),
            &vt,
            json!({"reason": "what is this"}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::NOT_FOUND, "not_found"),
        "answered as for a message that does not exist: {e}"
    );
    let (_, q) = srv.get("/v1/reports?status=all", &ct).await;
    assert_eq!(q["total"], 0, "nothing queued: {q}");
    // a mute or ban of the visitor says nothing of whispers either: the visitor's own
    // refusal names only the end and the reason
    let (_, v) = srv.get("/v1/me", &vt).await;
    let vname = v["username"].as_str().unwrap().to_owned();
    put(
        &srv,
        &format!("/v1/chats/{room}/mutes/{vname}"),
        &ct,
        json!({"reason": "cool down"}),
    )
    .await;
    let (_, e) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "hi"}),
        )
        .await;
    assert!(!e.to_string().contains("watch this visitor"), "{e}");
}

#[tokio::test]
async fn slow_mode_spaces_a_visitors_messages_and_not_staffs() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (room, vt, _, _) = room_with_visitor(&srv).await;
    let (s, c) = srv
        .patch(&format!("/v1/chats/{room}"), &ct, json!({"slowMode": 2}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["slowMode"], 2);
    let (_, seen) = srv.get(&format!("/v1/chats/{room}"), &vt).await;
    assert_eq!(seen["slowMode"], 2, "members see it: {seen}");
    let mut vws = srv.ws(&vt).await;
    let f = vws.send_msg(&room, json!({"text": "one"})).await;
    assert!(is_ack(&f), "{f:?}");
    // too soon, on the socket and over REST: refused with the seconds left
    let f = vws.send_msg(&room, json!({"text": "two"})).await;
    assert_eq!(error_code(&f).as_deref(), Some("rate_limited"), "{f:?}");
    let (s, e) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "three"}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("every 2 s") && msg.contains("wait 2 s"),
        "{msg}"
    );
    assert_eq!(e["retryAfter"], 2, "{e}");
    let f = vws.send_msg(&room, json!({"text": "two again"})).await;
    assert!(
        matches!(
            &f,
            ServerFrame::Error {
                retry_after: Some(1..=2),
                ..
            }
        ),
        "the socket's refusal says how long to wait too: {f:?}"
    );
    // staff are not slowed
    for t in ["staff a", "staff b"] {
        send_rest(&srv, &ct, &room, t).await;
    }
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let f = vws.send_msg(&room, json!({"text": "four"})).await;
    assert!(is_ack(&f), "{f:?}");
    assert_eq!(
        texts(&srv, &room, &ct).await,
        vec!["one", "staff a", "staff b", "four"],
        "only the refused sends are missing"
    );
    // off again; only staff set it; chatrooms only; bounded
    let (s, _) = srv
        .patch(&format!("/v1/chats/{room}"), &ct, json!({"slowMode": 0}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let f = vws.send_msg(&room, json!({"text": "five"})).await;
    assert!(is_ack(&f), "{f:?}");
    let (s, _) = srv
        .patch(&format!("/v1/chats/{room}"), &vt, json!({"slowMode": 5}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = srv
        .patch(&format!("/v1/chats/{room}"), &ct, json!({"slowMode": 3601}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = srv
        .patch(&format!("/v1/chats/{room}"), &ct, json!({"slowMode": -1}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, c) = srv.get(&format!("/v1/chats/{room}"), &ct).await;
    assert_eq!(c["slowMode"], 0, "refused changes changed nothing");
}

#[tokio::test]
async fn a_blocklist_rejects_or_masks_visitors_words_and_not_staffs() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (room, vt, _, _) = room_with_visitor(&srv).await;
    let secret = srv.secret.clone();
    let (s, none) = srv.get("/v1/admin/blocklist", &secret).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(none, json!({"words": [], "mode": "reject"}));
    // the first send caches "no list"; setting one takes effect at once all the same
    send_rest(&srv, &vt, &room, "darn it").await;
    let (s, b) = put(
        &srv,
        "/v1/admin/blocklist",
        &secret,
        json!({"words": [" Darn ", "heck"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"words": ["Darn", "heck"], "mode": "reject"}));
    let (s, e) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "oh DARN, again"}),
        )
        .await;
    assert_eq!((s, code(&e)), (StatusCode::BAD_REQUEST, "invalid_argument"));
    assert!(
        e["error"]["message"].as_str().unwrap().contains("\"DARN\""),
        "{e}"
    );
    let mut vws = srv.ws(&vt).await;
    let f = vws.send_msg(&room, json!({"text": "heck"})).await;
    assert_eq!(error_code(&f).as_deref(), Some("invalid_argument"), "{f:?}");
    send_rest(&srv, &vt, &room, "darned fine").await;
    // an edit goes through it too; staff do not
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    let first = page["messages"][0]["id"].as_str().unwrap().to_owned();
    let (s, _) = srv
        .patch(
            &format!("/v1/chats/{room}/messages/{first}"),
            &vt,
            json!({"text": "heck yes"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    send_rest(&srv, &ct, &room, "staff may say darn").await;
    // mask: stored and delivered with the word as stars
    put(
        &srv,
        "/v1/admin/blocklist",
        &secret,
        json!({"words": ["darn"], "mode": "mask"}),
    )
    .await;
    let m = send_rest(&srv, &vt, &room, "Darn! that darn bug").await;
    assert_eq!(m["text"], "****! that **** bug");
    assert_eq!(
        texts(&srv, &room, &ct).await,
        vec![
            "darn it",
            "darned fine",
            "staff may say darn",
            "****! that **** bug"
        ],
        "refused messages stored nothing"
    );
    // bad lists and callers: refused, the list unchanged
    for body in [
        json!({"words": ["two words"]}),
        json!({"words": ["x"], "mode": "shout"}),
        json!({"words": "darn"}),
    ] {
        let (s, _) = put(&srv, "/v1/admin/blocklist", &secret, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    }
    let plain = srv.plain_consultant().await;
    for who in [&vt, &plain] {
        let (s, _) = put(&srv, "/v1/admin/blocklist", who, json!({"words": []})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (_, now) = srv.get("/v1/admin/blocklist", &secret).await;
    assert_eq!(now, json!({"words": ["darn"], "mode": "mask"}));
}
