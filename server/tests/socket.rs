//! The socket: resume without loss or duplicates, gaps, bad frames, limits, heartbeats.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use serde_json::json;
use std::time::Duration;

fn msg_seq(f: &ServerFrame) -> Option<(i64, String)> {
    match f {
        ServerFrame::Message { message, .. } => Some((message.rev, message.text.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn resume_after_a_dropped_socket_delivers_all_200_once_in_order() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("reader").await;
    let (bt, _) = srv.user("writer").await;
    let room = {
        let (_, g) = srv
            .post(
                "/v1/chats/group",
                &bt,
                json!({"name": "busy", "memberUsernames": ["reader"]}),
            )
            .await;
        g["id"].as_str().unwrap().to_owned()
    };
    send_rest(&srv, &bt, &room, "before").await;
    let mut reader = srv.ws(&at).await;
    let ack = reader.subscribe(&room, Some(0)).await;
    let mut cursor = match ack {
        ServerFrame::Ack { body, .. } => body.subscribed.unwrap()[0].last_seq,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        reader.backlog.iter().filter_map(msg_seq).count(),
        1,
        "replayed the one message"
    );
    reader.close().await; // dropped mid-stream

    // the writer sends 200 over its own socket while the reader is away
    let mut writer = srv.ws(&bt).await;
    let w_room = room.clone();
    let sender = tokio::spawn(async move {
        for i in 0..200 {
            let f = writer
                .send_msg(&w_room, json!({"text": format!("n{i}")}))
                .await;
            assert!(is_ack(&f), "{f:?}");
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    // reconnect mid-stream with the cursor
    let mut reader = srv.ws(&at).await;
    let ack = reader.subscribe(&room, Some(cursor)).await;
    assert!(is_ack(&ack), "{ack:?}");
    sender.await.unwrap();
    let mut got: Vec<(i64, String)> = reader
        .backlog
        .drain(..)
        .filter_map(|f| msg_seq(&f))
        .collect();
    while got.len() < 200 {
        if let Some(m) = msg_seq(&reader.next().await) {
            got.push(m);
        }
    }
    let texts: Vec<String> = got.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(
        texts,
        (0..200).map(|i| format!("n{i}")).collect::<Vec<_>>(),
        "all 200, once, in order"
    );
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0));
    cursor = got.last().unwrap().0;
    assert!(
        !reader
            .sees_within(Duration::from_millis(300), |f| msg_seq(f).is_some())
            .await,
        "nothing twice"
    );
    // resuming again from the end replays nothing
    let mut again = srv.ws(&at).await;
    assert!(is_ack(&again.subscribe(&room, Some(cursor)).await));
    assert_eq!(again.backlog.iter().filter_map(msg_seq).count(), 0);
}

#[tokio::test]
async fn a_resume_replays_edits_and_deletes_made_while_away() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("r1").await;
    let (bt, _) = srv.user("w1").await;
    let (_, c) = srv
        .post("/v1/chats/direct", &at, json!({"username": "w1"}))
        .await;
    let chat = c["id"].as_str().unwrap().to_owned();
    let m1 = send_rest(&srv, &bt, &chat, "one").await;
    let m2 = send_rest(&srv, &bt, &chat, "two").await;
    let cursor = m2["rev"].as_i64().unwrap();
    // while away: edit one, delete two, send three, send-then-delete four
    srv.patch(
        &format!("/v1/chats/{chat}/messages/{}", m1["id"].as_str().unwrap()),
        &bt,
        json!({"text": "one!"}),
    )
    .await;
    srv.delete(
        &format!("/v1/chats/{chat}/messages/{}", m2["id"].as_str().unwrap()),
        &bt,
    )
    .await;
    send_rest(&srv, &bt, &chat, "three").await;
    let m4 = send_rest(&srv, &bt, &chat, "four").await;
    srv.delete(
        &format!("/v1/chats/{chat}/messages/{}", m4["id"].as_str().unwrap()),
        &bt,
    )
    .await;
    let mut ws = srv.ws(&at).await;
    assert!(is_ack(&ws.subscribe(&chat, Some(cursor)).await));
    let kinds: Vec<String> = ws
        .backlog
        .iter()
        .map(|f| match f {
            ServerFrame::Message { message, .. } => format!("new:{}", message.text),
            ServerFrame::MessageUpdated { message, .. } => format!("edit:{}", message.text),
            ServerFrame::MessageDeleted { message, .. } => {
                format!("del:{}", message.id == m2["id"].as_str().unwrap())
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        ["edit:one!", "del:true", "new:three"],
        "four came and went unseen"
    );
}

#[tokio::test]
async fn a_cursor_ahead_of_the_history_is_reported_as_a_gap() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("R", "public").await;
    send_rest(&srv, &vt, &room, "x").await;
    let mut ws = srv.ws(&vt).await;
    let f = ws.subscribe(&room, Some(999)).await;
    assert!(is_ack(&f));
    assert!(
        ws.backlog.iter().any(|f| matches!(
            f,
            ServerFrame::Gap {
                since: 999,
                last_seq: 1,
                ..
            }
        )),
        "{:?}",
        ws.backlog
    );
}

#[tokio::test]
async fn bad_frames_get_clear_errors_and_the_connection_survives() {
    let srv = TestServer::start_with(|c| c.max_frame_bytes = 1024).await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("R", "public").await;
    let (ot, _, _) = srv.visitor().await;
    let mut other = srv.ws(&ot).await;
    assert!(is_ack(&other.subscribe(&room, None).await));
    let mut ws = srv.ws(&vt).await;
    let cases: Vec<(String, &str, &str)> = vec![
        ("{not json".into(), "invalid_argument", "malformed"),
        (
            r#"{"type":"explode","id":1}"#.into(),
            "invalid_argument",
            "explode",
        ),
        (
            r#"{"type":"send","id":2,"chatId":5,"message":{}}"#.into(),
            "invalid_argument",
            "chatId",
        ),
        (
            r#"{"type":"send","id":3,"chatId":"x","message":{"txt":"a"}}"#.into(),
            "invalid_argument",
            "txt",
        ),
        (
            format!(
                r#"{{"type":"send","id":4,"chatId":"x","message":{{"text":"{}"}}}}"#,
                "a".repeat(2000)
            ),
            "payload_too_large",
            "limit",
        ),
        (
            r#"{"type":"send","id":5,"chatId":"chat_nope","message":{"text":"a"}}"#.into(),
            "not_found",
            "chat_nope",
        ),
        (
            r#"{"type":"subscribe","id":6,"chats":[{"chatId":"chat_nope"}]}"#.into(),
            "not_found",
            "chat_nope",
        ),
    ];
    for (text, want_code, needle) in cases {
        ws.send_text(text.clone()).await;
        let f = ws
            .next_matching(|f| matches!(f, ServerFrame::Error { .. }))
            .await;
        match f {
            ServerFrame::Error { code, message, .. } => {
                assert_eq!(code.as_str(), want_code, "{text:.80}: {message}");
                assert!(message.contains(needle), "{text:.80}: {message}");
            }
            _ => unreachable!(),
        }
    }
    ws.send_text(r#"{"type":"ping","id":77}"#.into()).await;
    assert!(matches!(
        ws.next_matching(|f| matches!(f, ServerFrame::Pong { .. }))
            .await,
        ServerFrame::Pong { id: Some(77) }
    ));
    // still usable, and the other client is unaffected
    let f = ws.send_msg(&room, json!({"text": "still here"})).await;
    assert!(is_ack(&f), "{f:?}");
    assert!(other.sees_within(Duration::from_secs(5), |f| matches!(f, ServerFrame::Message { message, .. } if message.text == "still here")).await);
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(page["totalMessages"], 1, "no bad frame stored anything");
}

#[tokio::test]
async fn frames_over_the_rate_limit_are_refused_without_hurting_others() {
    let srv = TestServer::start_with(|c| {
        c.frames_per_second = 5;
        c.frame_burst = 5;
    })
    .await;
    let (vt, _, _) = srv.visitor().await;
    let (ot, _, _) = srv.visitor().await;
    let mut ws = srv.ws(&vt).await;
    for i in 0..20 {
        ws.send_text(json!({"type": "ping", "id": i}).to_string())
            .await;
    }
    let mut pongs = 0;
    let mut limited = 0;
    for _ in 0..20 {
        match ws.next().await {
            ServerFrame::Pong { .. } => pongs += 1,
            ServerFrame::Error { code, .. } if code.as_str() == "rate_limited" => limited += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        pongs >= 5 && limited >= 10,
        "pongs {pongs}, limited {limited}"
    );
    let mut other = srv.ws(&ot).await;
    other
        .send_text(json!({"type": "ping", "id": 1}).to_string())
        .await;
    assert!(
        matches!(other.next().await, ServerFrame::Pong { .. }),
        "another connection is not throttled"
    );
}

#[tokio::test]
async fn rest_requests_over_the_per_ip_limit_get_429() {
    let srv = TestServer::start_with(|c| {
        c.requests_per_second = 2;
        c.request_burst = 5;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            srv.call(reqwest::Method::GET, "/v1/chatrooms", Some("x"), None)
                .await,
        );
    }
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| s.as_u16() == 429).collect();
    assert!(
        limited.len() >= 5,
        "{:?}",
        statuses.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert_eq!(code(&limited[0].1), "rate_limited");
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_three_heartbeats() {
    let srv = TestServer::start_with(|c| c.heartbeat_ms = 200).await;
    let (vt, v, _) = srv.visitor().await;
    // a raw client that never answers pings: tungstenite answers pings only when read,
    // so not reading is silence
    let url = format!("{}/v1/ws?token={vt}", srv.url.replace("http", "ws"));
    let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(srv.state().hub.is_online(&srv.website, &v.id));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!srv.state().hub.is_online(&srv.website, &v.id), "dropped");
    drop(stream);
}

#[tokio::test]
async fn members_connecting_and_leaving_a_room_are_announced() {
    let srv = TestServer::start().await;
    let (vt, v, _) = srv.visitor().await;
    let (ct, c) = srv.consultant().await;
    let room = srv.room("R", "public").await;
    let mut vws = srv.ws(&vt).await;
    assert!(is_ack(&vws.subscribe(&room, None).await));
    let mut cws = srv.ws(&ct).await;
    assert!(is_ack(&cws.subscribe(&room, None).await));
    let f = vws
        .next_matching(|f| matches!(f, ServerFrame::MemberConnected { .. }))
        .await;
    assert!(
        matches!(&f, ServerFrame::MemberConnected { user, .. } if user.id == c.id && user.role == chatix_protocol::Role::Consultant)
    );
    let f = cws
        .request(json!({"type": "unsubscribe", "chatIds": [room]}))
        .await;
    assert!(is_ack(&f));
    let f = vws
        .next_matching(|f| matches!(f, ServerFrame::MemberDisconnected { .. }))
        .await;
    assert!(matches!(&f, ServerFrame::MemberDisconnected { user, .. } if user.id == c.id));
    let _ = v;
}
