//! Quoted replies over real HTTP and WebSocket: a reply carries the quoted message's id,
//! sender and the start of its text (a file's name when it had none) in the answer, in
//! history and live; a reply to a message the caller may not see is refused; and the
//! whisper rule: a visitor cannot quote a whisper, and a reply quoting a whisper must be a
//! whisper itself, so no visitor ever reads a whisper through a quote.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn reply(srv: &TestServer, who: &str, room: &str, body: Value) -> (StatusCode, Value) {
    srv.post(&format!("/v1/chats/{room}/messages"), who, body)
        .await
}

#[tokio::test]
async fn a_reply_quotes_its_message_in_the_answer_history_and_live() {
    let srv = TestServer::start().await;
    let HelpRoom {
        ct,
        consultant,
        room,
        vt,
        visitor: v,
        ..
    } = srv.help_room().await;
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    let long = format!("question: {}", "why ".repeat(80));
    let q = send_rest(&srv, &vt, &room, &long).await;
    let qid = q["id"].as_str().unwrap();
    assert!(
        q.get("quote").is_none(),
        "a message that is not a reply has none: {q}"
    );

    let (s, r) = reply(&srv, &ct, &room, json!({"text": "because", "replyTo": qid})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["replyTo"], qid);
    assert_eq!(r["quote"]["senderId"], v.id.as_str());
    assert_eq!(r["quote"]["senderName"], v.name.as_str());
    let text = r["quote"]["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), 200, "the start of the text only");
    assert!(long.starts_with(text));
    // live, and in history
    let f = vws
        .next_matching(
            |f| matches!(f, ServerFrame::Message { message, .. } if message.text == "because"),
        )
        .await;
    let ServerFrame::Message { message, .. } = f else {
        unreachable!()
    };
    let quote = message.quote.expect("the live reply carries its quote");
    assert_eq!(
        (quote.sender_id.as_str(), quote.text.as_str()),
        (v.id.as_str(), text)
    );
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(page["messages"][1]["quote"], r["quote"], "{page}");
    // the quote is the message as it was: an edit later does not change it
    srv.patch(
        &format!("/v1/chats/{room}/messages/{qid}"),
        &vt,
        json!({"text": "never mind"}),
    )
    .await;
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &ct).await;
    assert_eq!(page["messages"][1]["quote"]["text"], text);
    // a reply to no such message, or from another chat: refused, nothing stored
    let other = srv.room("Other", "public").await;
    let elsewhere = send_rest(&srv, &ct, &other, "elsewhere").await;
    for bad in ["msg_nope", elsewhere["id"].as_str().unwrap()] {
        let (s, e) = reply(&srv, &ct, &room, json!({"text": "x", "replyTo": bad})).await;
        assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");
    }
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &ct).await;
    assert_eq!(page["totalMessages"], 2);
    let _ = consultant;
}

#[tokio::test]
async fn no_visitor_reads_a_whisper_through_a_quote() {
    let srv = TestServer::start().await;
    let HelpRoom { ct, room, vt, .. } = srv.help_room().await;
    let (s, w) = reply(
        &srv,
        &ct,
        &room,
        json!({"text": "this visitor is a known troll", "whisper": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let wid = w["id"].as_str().unwrap();
    // a visitor cannot quote it (answered as for a message that does not exist)
    let (s, e) = reply(&srv, &vt, &room, json!({"text": "what?", "replyTo": wid})).await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");
    // a consultant's public reply quoting it would show it: refused
    let (s, e) = reply(&srv, &ct, &room, json!({"text": "noted", "replyTo": wid})).await;
    assert_eq!(
        (s, code(&e)),
        (StatusCode::BAD_REQUEST, "invalid_argument"),
        "{e}"
    );
    // a whispered reply may quote it, and stays with staff
    let (s, r) = reply(
        &srv,
        &ct,
        &room,
        json!({"text": "agreed", "replyTo": wid, "whisper": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["quote"]["text"], "this visitor is a known troll");
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert!(
        !page.to_string().contains("troll"),
        "nothing of the whisper in the visitor's history: {page}"
    );
    let (_, found) = srv.get("/v1/messages/search?q=troll", &vt).await;
    assert_eq!(found["messages"], json!([]), "{found}");
}

#[tokio::test]
async fn a_deleted_message_leaves_the_quotes_of_its_replies() {
    let srv = TestServer::start().await;
    let HelpRoom {
        ct,
        room,
        vt,
        visitor: v,
        ..
    } = srv.help_room().await;
    let q = send_rest(&srv, &vt, &room, "my card number is 4111").await;
    let qid = q["id"].as_str().unwrap().to_owned();
    let (s, r1) = reply(
        &srv,
        &ct,
        &room,
        json!({"text": "please delete that", "replyTo": qid}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r1}");
    let (s, r2) = reply(&srv, &vt, &room, json!({"text": "oops", "replyTo": qid})).await;
    assert_eq!(s, StatusCode::CREATED, "{r2}");
    let mut cws = srv.ws(&ct).await;
    assert!(is_ack(&cws.subscribe(&room, None).await));

    let (s, _) = srv
        .delete(&format!("/v1/chats/{room}/messages/{qid}"), &vt)
        .await;
    assert_eq!(s, StatusCode::OK);
    // every reply keeps who it quoted, loses the text, and is sent as an edit
    for r in [&r1, &r2] {
        let id = r["id"].as_str().unwrap().to_owned();
        let f = cws
            .next_matching(
                |f| matches!(f, ServerFrame::MessageUpdated { message, .. } if message.id == id),
            )
            .await;
        let ServerFrame::MessageUpdated { message, .. } = f else {
            unreachable!()
        };
        let quote = message.quote.expect("the reply keeps its quote");
        assert_eq!(
            (quote.sender_id.as_str(), quote.text.as_str()),
            (v.id.as_str(), "")
        );
        assert!(message.rev > r["seq"].as_i64().unwrap(), "a new revision");
        assert_eq!(
            message.text,
            r["text"].as_str().unwrap(),
            "the reply itself is unchanged"
        );
    }
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    let body = page.to_string();
    assert!(
        !body.contains("4111"),
        "the deleted text is nowhere in history: {body}"
    );
    // a resume from before the deletion replays the blanked replies
    let mut late = srv.ws(&vt).await;
    assert!(is_ack(&late.subscribe(&room, Some(0)).await));
    let replayed = format!("{:?}", late.backlog_drain());
    assert!(!replayed.contains("4111"), "{replayed}");
}
