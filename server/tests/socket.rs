//! The socket: resume without loss or duplicates, gaps, bad frames, limits, heartbeats.

mod common;

use chatix_protocol::{Message, ServerFrame};
use common::*;
use futures_util::SinkExt;
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

/// A client that saw a change through another node (the bus event has not reached this
/// node's room yet) resumes here with a cursor ahead of the room: it is neither told of a
/// gap nor sent that change again. Played on one node by storing a message behind the
/// room's back, as a change whose bus event is still in flight.
#[tokio::test]
async fn a_cursor_ahead_of_this_nodes_room_gets_no_gap_and_no_repeat() {
    use chatix_server::store::{Inserted, NewMessage};
    let srv = TestServer::start().await;
    let (vt, v, _) = srv.visitor().await;
    let room = srv.room("ahead", "public").await;
    let mut early = srv.ws(&vt).await;
    assert!(is_ack(&early.subscribe(&room, Some(0)).await));
    let stored = srv
        .state()
        .store
        .insert_message(NewMessage {
            chat_id: room.clone(),
            sender_id: v.id.clone(),
            sender_role: chatix_protocol::Role::Visitor,
            sender_name: v.name.clone(),
            kind: chatix_protocol::MessageKind::Text,
            text: "seen elsewhere".into(),
            file_id: None,
            metadata: Default::default(),
            whisper: false,
            client_id: None,
            reply_to: None,
            quote: None,
            parent_id: None,
            show_in_chat: false,
            mentions: Vec::new(),
            created_at: 1,
        })
        .await
        .unwrap();
    assert!(matches!(stored, Inserted::New(_)));
    let rev = stored.message().rev;
    let mut late = srv.ws(&vt).await;
    assert!(is_ack(&late.subscribe(&room, Some(rev)).await));
    send_rest(&srv, &vt, &room, "next").await;
    assert!(
        late.sees_within(Duration::from_secs(5), |f| {
            matches!(f, ServerFrame::Message { message, .. } if message.text == "next")
        })
        .await
    );
    let got: Vec<_> = late.backlog.iter().filter_map(msg_seq).collect();
    assert_eq!(got, [(rev + 1, "next".to_owned())], "{:?}", late.backlog);
    assert!(
        !late
            .backlog
            .iter()
            .any(|f| matches!(f, ServerFrame::Gap { .. })),
        "{:?}",
        late.backlog
    );
    // The connection that was here all along gets both, once, in order.
    assert!(
        early
            .sees_within(Duration::from_secs(5), |f| {
                matches!(f, ServerFrame::Message { message, .. } if message.text == "next")
            })
            .await
    );
    let got: Vec<_> = early.backlog.iter().filter_map(msg_seq).collect();
    assert_eq!(
        got,
        [
            (rev, "seen elsewhere".to_owned()),
            (rev + 1, "next".to_owned())
        ]
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

/// The message length limit holds on the socket as on REST, for sends and for edits, and
/// counts characters, not bytes; a refused edit leaves the stored text as it was.
#[tokio::test]
async fn message_length_is_limited_on_socket_sends_and_edits() {
    let srv = TestServer::start_with(|c| c.max_message_chars = 100).await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("long", "public").await;
    srv.post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    let mut ws = srv.ws(&vt).await;
    let too_long = |f: &ServerFrame| match f {
        ServerFrame::Error { code, message, .. } => {
            code.as_str() == "payload_too_large" && message.contains("100")
        }
        _ => false,
    };
    let f = ws.send_msg(&room, json!({"text": "a".repeat(101)})).await;
    assert!(too_long(&f), "{f:?}");
    // 100 two-byte characters are 100 characters
    let f = ws.send_msg(&room, json!({"text": "é".repeat(100)})).await;
    let ServerFrame::Ack {
        body: chatix_protocol::frame::AckBody {
            message: Some(m), ..
        },
        ..
    } = f
    else {
        panic!("{f:?}")
    };
    let f = ws
        .request(
            json!({"type": "edit", "chatId": room, "messageId": m.id, "text": "b".repeat(101)}),
        )
        .await;
    assert!(too_long(&f), "{f:?}");
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(page["totalMessages"], 1, "{page}");
    assert_eq!(page["messages"][0]["text"], json!("é".repeat(100)));
}

/// The socket negotiates no compression (permessage-deflate is not offered back), so the
/// size limit applies to the bytes that arrive: no frame can inflate past it. A frame that
/// claims compression anyway (RSV1) is a protocol error: the connection ends, nothing is
/// stored, others are unaffected.
#[tokio::test]
async fn compression_is_refused_so_frame_limits_are_on_the_real_size() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = TestServer::start().await;
    let room = srv.room("deflate", "public").await;
    let (vt, _, _) = srv.visitor().await;
    let (ot, _, _) = srv.visitor().await;
    let mut other = srv.ws(&ot).await;
    assert!(is_ack(&other.subscribe(&room, Some(0)).await));
    let host = srv.url.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!(
        "GET /v1/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(tcp.read(&mut byte).await.unwrap(), 1, "handshake answered");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        !head.contains("sec-websocket-extensions"),
        "no compression is negotiated: {head}"
    );
    // The auth frame (masked, uncompressed), then the "compressed" one.
    let masked = |payload: &[u8], first: u8| {
        let mask = [0x11u8, 0x22, 0x33, 0x44];
        let mut f = vec![first, 0x80 | 126];
        f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        f
    };
    let auth = json!({"type": "auth", "token": vt})
        .to_string()
        .into_bytes();
    tcp.write_all(&masked(&auth, 0x80 | 0x1)).await.unwrap();
    // A masked text frame with RSV1 set ("compressed"), carrying a send.
    let payload = json!({"type": "send", "id": 1, "chatId": room, "message": {"text": "inflated"}})
        .to_string()
        .into_bytes();
    assert!(payload.len() < 126);
    let mask = [0x11u8, 0x22, 0x33, 0x44];
    let mut frame = vec![0x80 | 0x40 | 0x1, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    tcp.write_all(&frame).await.unwrap();
    // The server ends the connection (a close frame and/or EOF) without acting on it.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection was ended");
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.contains("\"ready\""),
        "the auth frame was taken: {rest}"
    );
    assert!(!rest.contains("\"ack\""), "the frame was not acted on");
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &ot).await;
    assert_eq!(page["totalMessages"], 0, "nothing stored");
    let f = other.send_msg(&room, json!({"text": "others fine"})).await;
    assert!(is_ack(&f), "{f:?}");
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
async fn frames_over_the_per_ip_limit_are_refused_across_connections_other_ips_unaffected() {
    // Each connection alone stays under its own limit; together, one address goes over.
    let srv = TestServer::start_with(|c| {
        c.frames_per_second = 1_000;
        c.frame_burst = 1_000;
        c.ip_frames_per_second = 2;
        c.ip_frame_burst = 12;
    })
    .await;
    let here: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let elsewhere: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let room = srv.room("per ip", "public").await;
    let mut conns = Vec::new();
    for _ in 0..3 {
        let (t, _, _) = srv.visitor().await;
        conns.push(Ws::connect_from(&srv.url, &t, here).await);
    }
    let (ot, _, _) = srv.visitor().await;
    let mut other = Ws::connect_from(&srv.url, &ot, elsewhere).await;
    assert!(is_ack(&other.subscribe(&room, Some(0)).await));
    for ws in conns.iter_mut() {
        for i in 0..8 {
            ws.send_text(json!({"type": "ping", "id": i}).to_string())
                .await;
        }
    }
    let (mut pongs, mut limited) = (0, 0);
    let mut message = String::new();
    for ws in conns.iter_mut() {
        for _ in 0..8 {
            match ws.next().await {
                ServerFrame::Pong { .. } => pongs += 1,
                ServerFrame::Error {
                    code, message: m, ..
                } if code.as_str() == "rate_limited" => {
                    limited += 1;
                    message = m;
                }
                f => panic!("{f:?}"),
            }
        }
    }
    // 24 frames against a burst of 12 (plus ~2/s refill while they arrive), of which each
    // connection's auth frame took one: an unauthenticated socket counts too.
    assert!(
        (9..=14).contains(&pongs) && limited >= 6 && pongs + limited == 24,
        "pongs {pongs}, limited {limited}"
    );
    assert!(message.contains("from your address"), "{message}");
    // Another address is not throttled: it can still send, and receives the message.
    let (st, _, _) = srv.visitor().await;
    let mut sender = Ws::connect_from(&srv.url, &st, elsewhere).await;
    let f = sender.send_msg(&room, json!({"text": "other ip"})).await;
    assert!(is_ack(&f), "{f:?}");
    assert!(
        other
            .sees_within(
                Duration::from_secs(5),
                |f| matches!(f, ServerFrame::Message { message, .. } if message.text == "other ip")
            )
            .await
    );
    // The throttled address gets through again once its bucket refills.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    conns[0]
        .send_text(json!({"type": "ping", "id": 99}).to_string())
        .await;
    assert!(matches!(
        conns[0].next().await,
        ServerFrame::Pong { id: Some(99) }
    ));
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
    // Another address is not throttled.
    let elsewhere = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let r = elsewhere
        .get(format!("{}/v1/chatrooms", srv.url))
        .bearer_auth(&srv.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
}

/// A JSON body over the limit (256 KiB) is refused with 413 and a JSON error before it is
/// parsed; nothing is stored.
#[tokio::test]
async fn rest_bodies_over_the_size_limit_get_413() {
    let srv = TestServer::start().await;
    let room = srv.room("big", "public").await;
    let limit = chatix_protocol::limits::MAX_JSON_BODY_BYTES;
    let body = json!({"text": "a".repeat(limit)});
    let (s, v) = srv
        .post(&format!("/v1/chats/{room}/messages"), &srv.secret, body)
        .await;
    assert_eq!(s, reqwest::StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(code(&v), "payload_too_large");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("262144"),
        "{v}"
    );
    let (_, page) = srv
        .get(&format!("/v1/chats/{room}/messages"), &srv.secret)
        .await;
    assert_eq!(page["totalMessages"], 0);
}

/// Sends `n` pings at once; how many were answered with a pong (the rest: rate_limited).
async fn ping_burst(ws: &mut Ws, n: u64) -> usize {
    for i in 0..n {
        ws.send_text(json!({"type": "ping", "id": i}).to_string())
            .await;
    }
    let mut pongs = 0;
    for _ in 0..n {
        if matches!(ws.next().await, ServerFrame::Pong { .. }) {
            pongs += 1;
        }
    }
    pongs
}

/// GET /v1/chatrooms with an `X-Forwarded-For` header; the status code.
async fn get_forwarded(srv: &TestServer, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/v1/chatrooms", srv.url))
        .header("authorization", "Bearer x")
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let tight = |c: &mut chatix_server::config::Config| {
        c.requests_per_second = 1;
        c.request_burst = 3;
        c.frames_per_second = 1_000;
        c.frame_burst = 1_000;
        c.ip_frames_per_second = 1;
        c.ip_frame_burst = 4;
    };
    // No proxy trusted: a client writing a fresh X-Forwarded-For each time is still one
    // address, and is throttled.
    let srv = TestServer::start_with(tight).await;
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(get_forwarded(&srv, &format!("198.51.100.{i}")).await);
    }
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 2,
        "{statuses:?}"
    );

    // 127.0.0.0/8 trusted (the test client plays the proxy): each forwarded client has its
    // own bucket, and an entry the client forged to the left of the proxy's does not help.
    let srv = TestServer::start_with(|c| {
        tight(c);
        c.trusted_proxies = vec![chatix_server::client_ip::parse_proxy("127.0.0.0/8").unwrap()];
    })
    .await;
    for i in 0..3 {
        for _ in 0..3 {
            let s = get_forwarded(&srv, &format!("198.51.100.{i}")).await;
            assert_eq!(s, 401, "client {i} is within its own burst of 3");
        }
    }
    let mut statuses = Vec::new();
    for i in 0..6 {
        statuses.push(get_forwarded(&srv, &format!("203.0.113.{i}, 198.51.100.50")).await);
    }
    assert_eq!(&statuses[..3], &[401, 401, 401], "{statuses:?}");
    assert!(
        statuses[3..].iter().filter(|s| **s == 429).count() >= 2,
        "forged entries all count as 198.51.100.50: {statuses:?}"
    );

    // Socket frames: two clients behind the same proxy do not share a per-IP bucket.
    let (ta, _, _) = srv.visitor().await;
    let (tb, _, _) = srv.visitor().await;
    let mut a = Ws::connect_forwarded(&srv.url, &ta, "192.0.2.1").await;
    let mut b = Ws::connect_forwarded(&srv.url, &tb, "192.0.2.2").await;
    // a bucket of 4 per address, one of which each socket's auth frame took
    assert!(ping_burst(&mut a, 4).await >= 3);
    assert!(ping_burst(&mut b, 4).await >= 3, "b has its own bucket");
    assert!(ping_burst(&mut a, 4).await < 4, "a's bucket of 4 is spent");
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_three_heartbeats() {
    let srv = TestServer::start_with(|c| c.heartbeat_ms = 200).await;
    let (vt, v, _) = srv.visitor().await;
    // a raw client that never answers pings: tungstenite answers pings only when read,
    // so not reading is silence
    let url = format!("{}/v1/ws", srv.url.replace("http", "ws"));
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    stream.send(auth_frame(&vt)).await.unwrap();
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

// --- Batched frames (`/v1/ws?batch=1`) ---

/// Reads from `ws` (backlog first) until it holds `n` messages; other frames are skipped.
async fn read_messages(ws: &mut Ws, n: usize) -> Vec<(i64, String)> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        if let Some(m) = msg_seq(&ws.next().await) {
            got.push(m);
        }
    }
    got
}

/// The texts a [`burst`] sends: writer `w`'s `i`-th is `{tag}{w}-{i}`, prefixed `psst ` when
/// it is a whisper (every `whisper_every`-th, from the first; 0: none).
fn burst_texts(
    tag: &str,
    writers: usize,
    each: usize,
    whisper_every: usize,
) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for w in 0..writers {
        for i in 0..each {
            let whisper = whisper_every > 0 && i % whisper_every == 0;
            let text = format!("{}{tag}{w}-{i}", if whisper { "psst " } else { "" });
            out.push((text, whisper));
        }
    }
    out
}

/// A burst: one socket per token, each sending its `each` messages at once (pipelined),
/// all sockets concurrently. Resolves when every send is acked.
fn burst(
    url: &str,
    tokens: &[String],
    chat: &str,
    tag: &str,
    each: usize,
    whisper_every: usize,
) -> tokio::task::JoinHandle<()> {
    let (url, tokens, chat) = (url.to_owned(), tokens.to_vec(), chat.to_owned());
    let texts = burst_texts(tag, tokens.len(), each, whisper_every);
    tokio::spawn(async move {
        let mut sockets = Vec::new();
        for t in &tokens {
            sockets.push(Ws::connect(&url, t).await);
        }
        let sends = sockets
            .iter_mut()
            .zip(texts.chunks(each))
            .map(|(ws, mine)| {
                let bodies = mine
                    .iter()
                    .map(|(text, whisper)| json!({"text": text, "whisper": whisper}))
                    .collect();
                ws.send_pipelined(&chat, bodies)
            });
        futures_util::future::join_all(sends).await;
    })
}

/// Every expected text exactly once, in increasing `rev`, each writer's in its send order.
fn assert_once_in_order(got: &[(i64, String)], expected: &[String]) {
    assert!(
        got.windows(2).all(|w| w[0].0 < w[1].0),
        "revs strictly increase"
    );
    let mut texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
    // each writer's own messages in the order it sent them
    let mut last: std::collections::HashMap<&str, usize> = Default::default();
    for t in &texts {
        let (writer, i) = t.rsplit_once('-').expect("a burst text");
        let i: usize = i.parse().expect("a burst index");
        if let Some(prev) = last.insert(writer, i) {
            assert!(prev < i, "{writer}: {i} after {prev}");
        }
    }
    texts.sort_unstable();
    let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(texts.len(), want.len(), "as many as sent");
    assert_eq!(texts, want, "every message exactly once");
}

/// A group chat of `reader` and `writers` app users; returns (chat, reader's token, the
/// writers' tokens).
async fn busy_room(srv: &TestServer, tag: &str, writers: usize) -> (String, String, Vec<String>) {
    let (rt, _) = srv.user(&format!("{tag}-reader")).await;
    let mut tokens = Vec::new();
    let mut names = Vec::new();
    for w in 0..writers {
        let name = format!("{tag}-writer{w}");
        tokens.push(srv.user(&name).await.0);
        names.push(name);
    }
    names.push(format!("{tag}-reader"));
    let (s, g) = srv
        .post(
            "/v1/chats/group",
            &tokens[0],
            json!({"name": tag, "memberUsernames": names}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{g}");
    (g["id"].as_str().unwrap().to_owned(), rt, tokens)
}

#[tokio::test]
async fn a_batching_client_gets_bursts_as_arrays_every_message_once_in_order() {
    let srv = TestServer::start().await;
    let (room, rt, writers) = busy_room(&srv, "bat", 4).await;
    let expected: Vec<String> = burst_texts("m", 4, 100, 0)
        .into_iter()
        .map(|t| t.0)
        .collect();
    // live: four writers at once
    let mut live = srv.ws_batched(&rt).await;
    assert!(is_ack(&live.subscribe(&room, Some(0)).await));
    let sending = burst(&srv.url, &writers, &room, "m", 100, 0);
    let got = read_messages(&mut live, 400).await;
    sending.await.unwrap();
    assert_once_in_order(&got, &expected);
    assert!(
        !live
            .sees_within(Duration::from_millis(300), |f| msg_seq(f).is_some())
            .await,
        "nothing twice"
    );
    // the same 400 as a replay: the room queues them faster than a socket writes them
    let mut replay = srv.ws_batched(&rt).await;
    assert!(is_ack(&replay.subscribe(&room, Some(0)).await));
    let again = read_messages(&mut replay, 400).await;
    assert_eq!(again, got, "the replay is the live stream");
    assert!(
        live.arrays + replay.arrays >= 1,
        "a burst came in arrays (live {}, replay {})",
        live.arrays,
        replay.arrays
    );
    assert!(replay.arrays >= 1, "a 400-message replay is batched");
    assert!(
        replay.joined >= 1,
        "consecutive messages of the room came as a `messages` frame naming it once"
    );
    assert!(
        live.max_batch.max(replay.max_batch) <= 64,
        "at most 64 frames a batch"
    );
}

#[tokio::test]
async fn a_client_that_did_not_ask_for_batches_never_gets_an_array() {
    let srv = TestServer::start().await;
    let (room, rt, writers) = busy_room(&srv, "plain", 4).await;
    let expected: Vec<String> = burst_texts("m", 4, 100, 0)
        .into_iter()
        .map(|t| t.0)
        .collect();
    let mut live = srv.ws(&rt).await;
    assert!(is_ack(&live.subscribe(&room, Some(0)).await));
    // a batching reader in the same burst, so that the burst is one that batches
    let mut batching = srv.ws_batched(&rt).await;
    assert!(is_ack(&batching.subscribe(&room, Some(0)).await));
    let sending = burst(&srv.url, &writers, &room, "m", 100, 0);
    let got = read_messages(&mut live, 400).await;
    let got_batched = read_messages(&mut batching, 400).await;
    sending.await.unwrap();
    assert_once_in_order(&got, &expected);
    assert_eq!(got, got_batched);
    let mut replay = srv.ws(&rt).await;
    assert!(is_ack(&replay.subscribe(&room, Some(0)).await));
    assert_eq!(read_messages(&mut replay, 400).await, got);
    assert_eq!(live.arrays, 0, "no array without batch=1 (live)");
    assert_eq!(replay.arrays, 0, "no array without batch=1 (replay)");
}

#[tokio::test]
async fn resume_across_batches_loses_and_repeats_nothing() {
    let srv = TestServer::start().await;
    let (room, rt, writers) = busy_room(&srv, "resume", 4).await;
    // 300 stored, then a batching reader replays them while 4 x 50 more arrive live
    let stored = burst(&srv.url, &writers, &room, "a", 75, 0);
    stored.await.unwrap();
    let mut expected: Vec<String> = burst_texts("a", 4, 75, 0)
        .into_iter()
        .map(|t| t.0)
        .collect();
    expected.extend(burst_texts("b", 4, 50, 0).into_iter().map(|t| t.0));
    let mut first = srv.ws_batched(&rt).await;
    // subscribed by hand, so that the replay's frames are read as they come (`request`
    // would read them all into the backlog while it waits for the ack)
    first
        .send_text(
            json!({"type": "subscribe", "id": 1, "chats": [{"chatId": room, "since": 0}]})
                .to_string(),
        )
        .await;
    let sending = burst(&srv.url, &writers, &room, "b", 50, 0);
    // read some, and drop the socket in the middle of a batch: the rest of that batch was
    // received but never handled, so the cursor is before it
    let mut got = read_messages(&mut first, 130).await;
    while first.unread() == 0 && got.len() + 20 < expected.len() {
        got.extend(read_messages(&mut first, 1).await);
    }
    assert!(first.arrays >= 1, "the replay came in batches");
    assert!(first.unread() > 0, "dropped in the middle of a batch");
    let cursor = got.last().unwrap().0;
    first.close().await;
    // resume from the cursor while the burst goes on
    let mut second = srv.ws_batched(&rt).await;
    assert!(is_ack(&second.subscribe(&room, Some(cursor)).await));
    let left = expected.len() - got.len();
    got.extend(read_messages(&mut second, left).await);
    sending.await.unwrap();
    assert_once_in_order(&got, &expected);
    assert!(
        !second
            .sees_within(Duration::from_millis(300), |f| msg_seq(f).is_some())
            .await,
        "nothing twice"
    );
}

#[tokio::test]
async fn a_visitor_never_gets_a_whisper_inside_a_batch() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let (ct, _) = srv.consultant().await;
    let (_, conv) = srv.get("/v1/conversation", &vt).await;
    let conv = conv["id"].as_str().unwrap().to_owned();
    let mut visitor = srv.ws_batched(&vt).await;
    assert!(is_ack(&visitor.subscribe(&conv, Some(0)).await));
    let mut staff = srv.ws_batched(&ct).await;
    assert!(is_ack(&staff.subscribe(&conv, Some(0)).await));
    // Four consultant sockets at once, every third message a whisper; again until the
    // visitor has had a batch (at most five rounds).
    let senders = vec![ct.clone(); 4];
    let mut all = Vec::new();
    let mut seen = Vec::new();
    for round in 0..5 {
        let tag = format!("r{round}x");
        let texts = burst_texts(&tag, 4, 60, 3);
        let sending = burst(&srv.url, &senders, &conv, &tag, 60, 3);
        let visible = texts.iter().filter(|t| !t.1).count();
        let mut got = Vec::new();
        while got.len() < visible {
            match visitor.next().await {
                ServerFrame::Message { message, .. } => {
                    assert!(
                        !message.whisper,
                        "a whisper reached the visitor: {message:?}"
                    );
                    assert!(!message.text.starts_with("psst"), "{message:?}");
                    got.push((message.rev, message.text));
                }
                ServerFrame::MessageUpdated { message, .. }
                | ServerFrame::MessageDeleted { message, .. } => {
                    panic!("unexpected {message:?}")
                }
                _ => {}
            }
        }
        sending.await.unwrap();
        all.extend(texts.iter().map(|t| t.0.clone()));
        seen.extend(got);
        if visitor.arrays >= 1 {
            break;
        }
    }
    assert!(
        visitor.arrays >= 1,
        "the visitor got its messages in batches"
    );
    let visible: Vec<String> = all
        .iter()
        .filter(|t| !t.starts_with("psst"))
        .cloned()
        .collect();
    assert_once_in_order(&seen, &visible);
    assert!(
        !visitor
            .sees_within(Duration::from_millis(300), |f| match f {
                ServerFrame::Message { message, .. } => message.whisper,
                _ => false,
            })
            .await,
        "no whisper afterwards either"
    );
    // staff got every message, whispers included, in the same batched way
    let staff_got = read_messages(&mut staff, all.len()).await;
    assert_once_in_order(&staff_got, &all);
    // a visitor's replay of the same, batched, has no whisper either
    let mut replay = srv.ws_batched(&vt).await;
    assert!(is_ack(&replay.subscribe(&conv, Some(0)).await));
    let replayed = read_messages(&mut replay, seen.len()).await;
    assert_eq!(replayed, seen);
    assert!(replay.arrays >= 1);
}

#[tokio::test]
async fn batches_stay_under_64_kib_and_a_bigger_frame_goes_alone() {
    let srv = TestServer::start().await;
    let (room, rt, writers) = busy_room(&srv, "big", 1).await;
    let mut expected = Vec::new();
    // 30 messages of ~6 KiB, then one of ~110 KiB (sent over REST, whose body limit is
    // larger than a client frame's), then 30 more
    let medium = "é".repeat(3_000);
    for i in 0..30 {
        let text = format!("{medium}-{i}");
        send_rest(&srv, &writers[0], &room, &text).await;
        expected.push(text);
    }
    let wide = "🦀".repeat(1_000);
    let metadata: serde_json::Map<String, serde_json::Value> =
        (0..20).map(|k| (format!("k{k}"), json!(wide))).collect();
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &writers[0],
            json!({"text": format!("{}-30", "🦀".repeat(7_000)), "metadata": metadata}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    expected.push(v["text"].as_str().unwrap().to_owned());
    for i in 31..61 {
        let text = format!("{medium}-{i}");
        send_rest(&srv, &writers[0], &room, &text).await;
        expected.push(text);
    }
    let mut ws = srv.ws_batched(&rt).await;
    assert!(is_ack(&ws.subscribe(&room, Some(0)).await));
    let got = read_messages(&mut ws, expected.len()).await;
    let texts: Vec<String> = got.iter().map(|m| m.1.clone()).collect();
    assert_eq!(texts, expected, "all, in order");
    assert!(ws.arrays >= 2, "batched ({} arrays)", ws.arrays);
    assert!(
        ws.max_batch_bytes <= 64 * 1024,
        "a batch of {} bytes",
        ws.max_batch_bytes
    );
    assert!(
        ws.max_batch < 30,
        "the byte cap, not the frame cap, ended batches"
    );
    assert!(
        ws.max_single_bytes > 100 * 1024,
        "the big frame came alone, as a plain object ({} bytes)",
        ws.max_single_bytes
    );
}

#[tokio::test]
async fn a_batching_connection_closed_by_a_shutdown_gets_everything_queued_first() {
    let mut srv = TestServer::start().await;
    let (room, rt, writers) = busy_room(&srv, "bye", 4).await;
    burst(&srv.url, &writers, &room, "m", 75, 0).await.unwrap();
    let expected: Vec<String> = burst_texts("m", 4, 75, 0)
        .into_iter()
        .map(|t| t.0)
        .collect();
    let mut ws = srv.ws_batched(&rt).await;
    ws.send_text(
        json!({"type": "subscribe", "id": 1, "chats": [{"chatId": room, "since": 0}]}).to_string(),
    )
    .await;
    // the replay has begun: shut down while it is being queued and written
    let first = ws.read().await.expect("a frame");
    let ((), (rest, code)) = tokio::join!(srv.stop(), ws.read_until_close());
    let frames: Vec<ServerFrame> = std::iter::once(first).chain(rest).collect();
    let got: Vec<(i64, String)> = frames.iter().filter_map(msg_seq).collect();
    assert_once_in_order(&got, &expected);
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, ServerFrame::Ack { id: 1, .. })),
        "the subscribe's ack was flushed too"
    );
    assert_eq!(code, Some(chatix_protocol::close::GOING_AWAY));
    assert!(ws.arrays >= 1, "in batches");
}

/// A live message frame names its chat once (the message inside leaves `chatId` out, and
/// `rev` while it equals `seq`); the sender's idempotency key (`clientId`) reaches the
/// sender's own connections only. Decoded, every reader sees the whole message.
#[tokio::test]
async fn live_frames_are_compact_and_keep_the_client_id_for_its_sender() {
    let srv = TestServer::start().await;
    let room = srv.room("compact", "public").await;
    let (at, _) = srv.user("author").await;
    let (rt, _) = srv.user("reader").await;
    let mut author = srv.ws(&at).await;
    let mut author_tab = srv.ws(&at).await;
    let mut reader = srv.ws(&rt).await;
    for ws in [&mut author, &mut author_tab, &mut reader] {
        assert!(is_ack(&ws.subscribe(&room, Some(0)).await));
    }
    let ack = author
        .send_msg(&room, json!({"text": "hello", "clientId": "k-1"}))
        .await;
    let stored = match ack {
        ServerFrame::Ack { body, .. } => body.message.expect("the ack carries the message"),
        other => panic!("{other:?}"),
    };
    assert_eq!(stored.chat_id, room, "an ack's message names its chat");
    assert_eq!(stored.client_id.as_deref(), Some("k-1"));
    for (who, ws, key) in [
        ("the author's other tab", &mut author_tab, Some("k-1")),
        ("a reader", &mut reader, None),
    ] {
        let raw = loop {
            let raw = ws.read_raw().await.expect("socket open");
            if raw.starts_with("{\"type\":\"message\"") {
                break raw;
            }
            assert!(!raw.contains("\"type\":\"message\""), "a lone frame: {raw}");
        };
        let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let inner = v["message"].as_object().unwrap();
        assert!(
            !inner.contains_key("chatId"),
            "{who}: chatId twice in {raw}"
        );
        assert!(
            !inner.contains_key("rev"),
            "{who}: rev equal to seq in {raw}"
        );
        assert_eq!(
            inner.get("clientId").and_then(|c| c.as_str()),
            key,
            "{who}: {raw}"
        );
        match ServerFrame::parse(&raw).unwrap() {
            ServerFrame::Message { message, .. } => {
                assert_eq!(message.chat_id, room, "{who}");
                assert_eq!(message.rev, message.seq, "{who}");
                assert_eq!(message.client_id.as_deref(), key, "{who}");
                assert_eq!(
                    Message {
                        client_id: stored.client_id.clone(),
                        ..message
                    },
                    stored,
                    "{who}: the rest is the stored message"
                );
            }
            other => panic!("{who}: {other:?}"),
        }
    }
}

/// `followRecent` in the `auth` frame: the socket is subscribed to the caller's most recent
/// chats before `ready`, which lists them; their messages then arrive with no `subscribe`.
/// Without it, or for a visitor, `ready` has no `recent`; a `followRecent` that is not a
/// boolean is refused.
#[tokio::test]
async fn follow_recent_subscribes_the_latest_chats_before_ready() {
    use tokio_tungstenite::tungstenite::Message as WsMsg;
    let srv = TestServer::start().await;
    let (at, _) = srv.user("ann").await;
    let (bt, _) = srv.user("ben").await;
    let (_, g) = srv
        .post(
            "/v1/chats/group",
            &bt,
            json!({"name": "pair", "memberUsernames": ["ann"]}),
        )
        .await;
    let group = g["id"].as_str().unwrap().to_owned();
    let (_, d) = srv
        .post("/v1/chats/direct", &bt, json!({"username": "ann"}))
        .await;
    let direct = d["id"].as_str().unwrap().to_owned();
    send_rest(&srv, &bt, &group, "before").await;
    let mut s = Ws::connect_auth(
        &srv.url,
        json!({"type": "auth", "token": at, "followRecent": true}),
    )
    .await;
    let recent = s.ready_recent.take().expect("ready carries recent");
    let mut listed: Vec<&str> = recent.chats.iter().map(|c| c.id.as_str()).collect();
    listed.sort();
    let mut want = vec![group.as_str(), direct.as_str()];
    want.sort();
    assert_eq!(listed, want, "{recent:?}");
    assert_eq!(recent.subscribed.len(), 2, "{recent:?}");
    let g_sub = recent
        .subscribed
        .iter()
        .find(|s| s.chat_id == group)
        .expect("the group is subscribed");
    assert_eq!(g_sub.last_seq, 1, "{recent:?}");
    assert_eq!(g_sub.replayed, 0, "nothing after the listing: {recent:?}");
    assert!(recent.failed.is_empty(), "{recent:?}");
    let is_msg = |text: &'static str| move |f: &ServerFrame| matches!(f, ServerFrame::Message { message, .. } if message.text == text);
    // Live with no subscribe frame: ben's next message reaches ann's socket.
    send_rest(&srv, &bt, &direct, "hello ann").await;
    s.next_matching(is_msg("hello ann")).await;

    // Not asked for: no `recent`, and nothing is subscribed.
    let mut plain = Ws::connect_auth(&srv.url, json!({"type": "auth", "token": at})).await;
    assert!(plain.ready_recent.is_none());
    send_rest(&srv, &bt, &direct, "unheard").await;
    s.next_matching(is_msg("unheard")).await;
    assert!(
        !plain
            .sees_within(Duration::from_millis(300), |f| matches!(
                f,
                ServerFrame::Message { .. }
            ))
            .await,
        "a socket that subscribed nothing hears no message"
    );

    // Staff and visitors follow what they open: ignored for them.
    let (vt, _, _) = srv.visitor().await;
    let v = Ws::connect_auth(
        &srv.url,
        json!({"type": "auth", "token": vt, "followRecent": true}),
    )
    .await;
    assert!(v.ready_recent.is_none());

    // A followRecent that is not a boolean: refused, saying what the frame must be.
    match open_socket(
        &srv.url,
        "",
        None,
        Some(WsMsg::Text(
            json!({"type": "auth", "token": at, "followRecent": "yes"})
                .to_string()
                .into(),
        )),
    )
    .await
    {
        Opened::Closed { code, error, .. } => {
            assert_eq!(code, 4001);
            assert!(
                error.as_deref().is_some_and(|e| e.contains("followRecent")),
                "{error:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}
