//! Reactions over real HTTP and WebSocket: counts and the caller's own reactions in answers,
//! history, search and live events; idempotent add and remove; resume; the refusals
//! (invalid or too many reactions, chats and messages the caller may not see, the secret
//! key); and the whisper rule (a reaction to a whisper reaches staff only). Pins too: who
//! may pin, live events, the list, the whisper rule.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn pin_call(
    srv: &TestServer,
    room: &str,
    who: &str,
    id: &str,
    on: bool,
) -> (StatusCode, Value) {
    let m = if on { Method::PUT } else { Method::DELETE };
    srv.call(
        m,
        &format!("/v1/chats/{room}/messages/{id}/pin"),
        Some(who),
        None,
    )
    .await
}

fn reaction_path(chat: &str, mid: &str, reaction: &str) -> String {
    let enc: String = url_escape(reaction);
    format!("/v1/chats/{chat}/messages/{mid}/reactions/{enc}")
}

/// Percent-encodes every byte outside `[A-Za-z0-9]`, as `encodeURIComponent` does for emoji.
fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn react(
    srv: &TestServer,
    token: &str,
    chat: &str,
    mid: &str,
    reaction: &str,
    add: bool,
) -> (StatusCode, Value) {
    let m = if add { Method::PUT } else { Method::DELETE };
    srv.call(m, &reaction_path(chat, mid, reaction), Some(token), None)
        .await
}

async fn direct(srv: &TestServer, from: &str, to: &str) -> String {
    let (s, chat) = srv
        .post("/v1/chats/direct", from, json!({"username": to}))
        .await;
    assert!(s.is_success(), "{chat}");
    chat["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn reactions_are_counted_per_user_live_in_history_and_in_search() {
    let srv = TestServer::start().await;
    let (at, al) = srv.user("al").await;
    let (bt, bo) = srv.user("bo").await;
    let chat = direct(&srv, &at, "bo").await;
    let mut aws = srv.ws(&at).await;
    let mut bws = srv.ws(&bt).await;
    assert!(is_ack(&aws.subscribe(&chat, None).await));
    assert!(is_ack(&bws.subscribe(&chat, None).await));
    let m = send_rest(&srv, &at, &chat, "shall we meet at noon").await;
    assert_eq!(m["reactions"], json!({}), "{m}");
    assert_eq!(m["ownReactions"], json!([]), "{m}");
    let mid = m["id"].as_str().unwrap().to_owned();

    let (s, r) = react(&srv, &bt, &chat, &mid, "👍", true).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["reactions"], json!({"👍": 1}));
    assert_eq!(r["ownReactions"], json!(["👍"]));
    let rev1 = r["rev"].as_i64().unwrap();
    assert!(
        rev1 > m["rev"].as_i64().unwrap(),
        "a reaction is a revision"
    );

    // the sender hears it, without the reactor's own list; the reactor's socket with it
    let f = aws
        .next_matching(|f| matches!(f, ServerFrame::ReactionAdded { .. }))
        .await;
    let ServerFrame::ReactionAdded {
        message,
        reaction,
        user_id,
        ..
    } = f
    else {
        unreachable!()
    };
    assert_eq!(
        (reaction.as_str(), user_id.as_str()),
        ("👍", bo.id.as_str())
    );
    assert_eq!(message.reactions.get("👍"), Some(&1));
    assert_eq!(
        message.own_reactions, None,
        "al's own reactions did not change"
    );
    assert_eq!(message.rev, rev1);
    assert_eq!(message.text, "shall we meet at noon");
    let f = bws
        .next_matching(|f| matches!(f, ServerFrame::ReactionAdded { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::ReactionAdded { message, .. }
            if message.own_reactions == Some(vec!["👍".to_string()])),
        "{f:?}"
    );

    // adding it again changes nothing and publishes nothing
    let (s, again) = react(&srv, &bt, &chat, &mid, "👍", true).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["rev"].as_i64(), Some(rev1));
    assert_eq!(again["reactions"], json!({"👍": 1}));
    assert!(
        !aws.sees_within(Duration::from_millis(300), |f| matches!(
            f,
            ServerFrame::ReactionAdded { .. }
        ))
        .await,
        "a repeated reaction is not an event"
    );

    // two users, two reactions
    react(&srv, &at, &chat, &mid, "👍", true).await;
    let (s, r) = react(&srv, &at, &chat, &mid, "🎉", true).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["reactions"], json!({"👍": 2, "🎉": 1}));
    assert_eq!(r["ownReactions"], json!(["🎉", "👍"]));

    // history and search carry the counts and the reader's own
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &bt).await;
    let hm = &page["messages"][0];
    assert_eq!(hm["reactions"], json!({"👍": 2, "🎉": 1}), "{page}");
    assert_eq!(hm["ownReactions"], json!(["👍"]));
    let (_, hist) = srv.get(&format!("/v1/chats/{chat}/history"), &at).await;
    assert_eq!(hist["messages"][0]["ownReactions"], json!(["🎉", "👍"]));
    let (_, found) = srv.get("/v1/messages/search?q=noon", &bt).await;
    assert_eq!(found["messages"][0]["reactions"], json!({"👍": 2, "🎉": 1}));
    assert_eq!(found["messages"][0]["ownReactions"], json!(["👍"]));

    // removed: the count drops, the event says who
    let (s, r) = react(&srv, &bt, &chat, &mid, "👍", false).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["reactions"], json!({"👍": 1, "🎉": 1}));
    assert_eq!(r["ownReactions"], json!([]));
    let f = aws
        .next_matching(|f| matches!(f, ServerFrame::ReactionRemoved { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::ReactionRemoved { user_id, reaction, message, .. }
            if *user_id == bo.id && reaction == "👍" && message.reactions.get("👍") == Some(&1)),
        "{f:?}"
    );
    // removing one never given changes nothing
    let rev = r["rev"].as_i64();
    let (s, r) = react(&srv, &bt, &chat, &mid, "🎉", false).await;
    assert_eq!((s, r["rev"].as_i64()), (StatusCode::OK, rev));
    let _ = al;
}

#[tokio::test]
async fn a_resume_replays_reaction_changes_with_the_readers_own_reactions() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("al").await;
    let (bt, _) = srv.user("bo").await;
    let chat = direct(&srv, &at, "bo").await;
    let m = send_rest(&srv, &at, &chat, "hello").await;
    let mid = m["id"].as_str().unwrap().to_owned();
    let since = m["rev"].as_i64().unwrap();
    // while bo is away: bo reacts from another device, al reacts too
    react(&srv, &bt, &chat, &mid, "❤️", true).await;
    react(&srv, &at, &chat, &mid, "❤️", true).await;
    let mut bws = srv.ws(&bt).await;
    assert!(is_ack(&bws.subscribe(&chat, Some(since)).await));
    let replayed: Vec<ServerFrame> = bws.backlog_drain();
    let updates: Vec<_> = replayed
        .iter()
        .filter_map(|f| match f {
            ServerFrame::MessageUpdated { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(
        updates.len(),
        1,
        "one change per message, the newest: {replayed:?}"
    );
    assert_eq!(updates[0].reactions.get("❤️"), Some(&2));
    assert_eq!(updates[0].own_reactions, Some(vec!["❤️".to_string()]));
}

#[tokio::test]
async fn bad_reactions_are_refused_and_change_nothing() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("al").await;
    let (bt, _) = srv.user("bo").await;
    let (ct, _) = srv.user("cy").await;
    let chat = direct(&srv, &at, "bo").await;
    let m = send_rest(&srv, &at, &chat, "react to me").await;
    let mid = m["id"].as_str().unwrap().to_owned();
    let rev = m["rev"].as_i64();
    for (bad, why) in [
        ("lol", "not plain ASCII"),
        ("👍 👍", "spaces"),
        (&"👍".repeat(17) as &str, "at most 16"),
    ] {
        let (s, e) = react(&srv, &bt, &chat, &mid, bad, true).await;
        assert_eq!(
            (s, code(&e)),
            (StatusCode::BAD_REQUEST, "invalid_argument"),
            "{bad}"
        );
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    // not a member of the direct chat; no such message; the secret key has no user
    let (s, e) = react(&srv, &ct, &chat, &mid, "👍", true).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s} {e}"
    );
    let (s, e) = react(&srv, &bt, &chat, "msg_nope", "👍", true).await;
    assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"));
    let secret = srv.secret.clone();
    let (s, e) = react(&srv, &secret, &chat, &mid, "👍", true).await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let (_, page) = srv.get(&format!("/v1/chats/{chat}/messages"), &at).await;
    assert_eq!(
        page["messages"][0]["reactions"],
        json!({}),
        "nothing stored"
    );
    assert_eq!(page["messages"][0]["rev"].as_i64(), rev);

    // at most 25 different reactions on one message; one of those can still be added
    let emoji: Vec<String> = (0..25u32)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    for e in &emoji {
        let (s, v) = react(&srv, &at, &chat, &mid, e, true).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, e) = react(&srv, &bt, &chat, &mid, "🦀", true).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, "conflict"), "{e}");
    let (s, v) = react(&srv, &bt, &chat, &mid, &emoji[3], true).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["reactions"][&emoji[3]], 2);
    assert_eq!(v["reactions"].as_object().unwrap().len(), 25);

    // deleted: its reactions go with it, and it takes no new ones
    let (s, d) = srv
        .delete(&format!("/v1/chats/{chat}/messages/{mid}"), &at)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d["reactions"], json!({}));
    let (s, _) = react(&srv, &bt, &chat, &mid, "👍", true).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reaction_to_a_whisper_reaches_staff_only() {
    let srv = TestServer::start().await;
    let HelpRoom { ct, room, vt, .. } = srv.help_room().await;
    let mut vws = srv.ws(&vt).await;
    let mut cws = srv.ws(&ct).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    assert!(is_ack(&cws.subscribe(&room, None).await));
    let visible = send_rest(&srv, &vt, &room, "visible").await;
    let (s, w) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &ct,
            json!({"text": "psst", "whisper": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let wid = w["id"].as_str().unwrap().to_owned();
    // staff react to the whisper: staff hear it, the visitor does not
    let (s, r) = react(&srv, &ct, &room, &wid, "👀", true).await;
    assert_eq!((s, &r["reactions"]), (StatusCode::OK, &json!({"👀": 1})));
    let f = cws
        .next_matching(|f| matches!(f, ServerFrame::ReactionAdded { .. }))
        .await;
    assert!(matches!(&f, ServerFrame::ReactionAdded { message, .. } if message.id == wid));
    assert!(
        !vws.sees_within(Duration::from_millis(500), |f| match f {
            ServerFrame::ReactionAdded { message, .. }
            | ServerFrame::MessageUpdated { message, .. } => message.id == wid,
            _ => false,
        })
        .await,
        "a reaction to a whisper reached a visitor"
    );
    // the visitor cannot react to it, nor remove from it: as if it did not exist
    for add in [true, false] {
        let (s, e) = react(&srv, &vt, &room, &wid, "👀", add).await;
        assert_eq!((s, code(&e)), (StatusCode::NOT_FOUND, "not_found"), "{e}");
    }
    // a visitor's resume replays nothing of it; staff's does
    let since = visible["rev"].as_i64();
    let mut v2 = srv.ws(&vt).await;
    assert!(is_ack(&v2.subscribe(&room, since).await));
    let replay = v2.backlog_drain();
    assert!(
        !format!("{replay:?}").contains(&wid),
        "the whisper's reaction was replayed to a visitor: {replay:?}"
    );
    let mut c2 = srv.ws(&ct).await;
    assert!(is_ack(&c2.subscribe(&room, since).await));
    let replay = c2.backlog_drain();
    assert!(
        replay
            .iter()
            .any(|f| matches!(f, ServerFrame::Message { message, .. }
            if message.id == wid && message.reactions.get("👀") == Some(&1))),
        "{replay:?}"
    );
}

#[tokio::test]
async fn pins_by_who_may_pin_live_listed_and_never_a_whisper_to_a_visitor() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let (ct, staff) = srv.consultant().await;
    let room = srv.room("Pinboard", "public").await;
    srv.post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    let m = send_rest(&srv, &vt, &room, "opening hours: 9 to 5").await;
    let mid = m["id"].as_str().unwrap().to_owned();
    // a visitor may not pin in a chatroom someone else owns; nothing changes
    let (s, e) = pin_call(&srv, &room, &vt, &mid, true).await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, "forbidden"), "{e}");
    let (_, list) = srv.get(&format!("/v1/chats/{room}/pins"), &vt).await;
    assert_eq!(list["messages"], json!([]));
    // a consultant pins: live to the visitor, listed, idempotent
    let (s, p) = pin_call(&srv, &room, &ct, &mid, true).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["pinned"]["by"], json!(staff.id));
    assert!(p["pinned"]["at"].is_number());
    let f = vws
        .next_matching(|f| matches!(f, ServerFrame::MessagePinned { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::MessagePinned { message, .. } if message.id == mid && message.pinned.is_some()),
        "{f:?}"
    );
    let (s, again) = pin_call(&srv, &room, &ct, &mid, true).await;
    assert_eq!(
        (s, &again["rev"]),
        (StatusCode::OK, &p["rev"]),
        "pinning twice changes nothing"
    );
    let (_, list) = srv.get(&format!("/v1/chats/{room}/pins"), &vt).await;
    assert_eq!(list["messages"][0]["id"], json!(mid));
    // a pinned whisper is listed for staff only, and its pin event reaches staff only
    let (_, w) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &ct,
            json!({"text": "psst pinned", "whisper": true}),
        )
        .await;
    let wid = w["id"].as_str().unwrap().to_owned();
    let (s, _) = pin_call(&srv, &room, &ct, &wid, true).await;
    assert_eq!(s, StatusCode::OK);
    let (_, staff_list) = srv.get(&format!("/v1/chats/{room}/pins"), &ct).await;
    assert_eq!(staff_list["messages"].as_array().unwrap().len(), 2);
    let (_, vis_list) = srv.get(&format!("/v1/chats/{room}/pins"), &vt).await;
    assert_eq!(vis_list["messages"].as_array().unwrap().len(), 1);
    assert!(!vis_list.to_string().contains("psst"), "{vis_list}");
    assert!(
        !vws.sees_within(Duration::from_millis(400), |f| match f {
            ServerFrame::MessagePinned { message, .. } => message.id == wid,
            _ => false,
        })
        .await,
        "a whisper's pin reached a visitor"
    );
    let (s, _) = pin_call(&srv, &room, &vt, &wid, false).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a visitor cannot see the whisper to unpin it"
    );
    // unpinned: live, and off the list
    let (s, u) = pin_call(&srv, &room, &ct, &mid, false).await;
    assert_eq!((s, &u["pinned"]), (StatusCode::OK, &Value::Null));
    let f = vws
        .next_matching(|f| matches!(f, ServerFrame::MessageUnpinned { .. }))
        .await;
    assert!(matches!(&f, ServerFrame::MessageUnpinned { message, .. } if message.pinned.is_none()));
    let (_, list) = srv.get(&format!("/v1/chats/{room}/pins"), &vt).await;
    assert_eq!(list["messages"], json!([]));
    // the secret key has no user to pin as; a direct chat's members may pin
    let (s, _) = pin_call(&srv, &room, &srv.secret.clone(), &mid, true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (at, _) = srv.user("pa").await;
    let (_bt, _) = srv.user("pb").await;
    let chat = direct(&srv, &at, "pb").await;
    let dm = send_rest(&srv, &at, &chat, "remember this").await;
    let (s, _) = srv
        .call(
            Method::PUT,
            &format!(
                "/v1/chats/{chat}/messages/{}/pin",
                dm["id"].as_str().unwrap()
            ),
            Some(&at),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}
