//! The core, driven like the browser face drives it: frames in, effects out.

use super::*;
use chatix_protocol::close;
use chatix_protocol::frame::Subscribed;
use chatix_protocol::limits::Limits;
use chatix_protocol::{Chat, Metadata, Presence, User, Visibility};

pub(crate) fn user(id: &str, role: Role) -> User {
    User {
        id: id.into(),
        username: id.into(),
        name: id.to_uppercase(),
        avatar: None,
        email: None,
        metadata: Metadata::new(),
        role,
        presence: Presence::Online,
        last_active: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn ready(me: &str) -> ServerFrame {
    ready_as(me, Role::User)
}

fn ready_as(me: &str, role: Role) -> ServerFrame {
    ServerFrame::Ready {
        session_id: "s".into(),
        user: user(me, role),
        protocol: 1,
        limits: Limits {
            max_frame_bytes: 1,
            max_message_chars: 1,
            max_upload_bytes: 1,
            frames_per_second: 1,
            frame_burst: 1,
            requests_per_second: 1,
            request_burst: 1,
            heartbeat_ms: 1,
        },
        recent: None,
    }
}

fn msg(chat: &str, id: &str, seq: i64, from: &str) -> Message {
    let mut m = log::tests::msg(id, seq, seq, id);
    m.chat_id = chat.into();
    m.sender_id = from.into();
    m
}

pub(crate) fn chat(id: &str, kind: ChatKind, unread: u64, last_seq: i64) -> Chat {
    Chat {
        id: id.into(),
        kind,
        name: None,
        avatar: None,
        metadata: Metadata::new(),
        visibility: Visibility::Private,
        deleted: false,
        member_count: 2,
        members: vec![],
        last_seq,
        last_message: None,
        unread,
        mention_count: 0,
        is_member: true,
        created_at: 0,
        updated_at: 0,
        last_activity_at: 0,
        slow_mode: 0,
    }
}

fn sent(effects: &[Effect]) -> Vec<ClientFrame> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

fn events(effects: &[Effect]) -> Vec<Event> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Emit(ev) => Some(ev.clone()),
            _ => None,
        })
        .collect()
}

/// Connects as `me`, with the role the core already knows (the server's `ready` says it).
fn live(core: &mut Core, me: &str) {
    let role = core.me().map_or(Role::User, |m| m.role);
    core.connecting(true);
    core.on_server_frame(ready_as(me, role), 0);
}

#[test]
fn connecting_then_ready_emits_states_then_connected() {
    let mut c = Core::new();
    let mut fx = c.connecting(true);
    fx.extend(c.on_server_frame(ready("me"), 0));
    assert_eq!(
        events(&fx),
        [
            Event::State(ConnState::Connecting),
            Event::State(ConnState::Open),
            Event::Connected
        ]
    );
    assert!(c.is_open());
    assert_eq!(c.me().unwrap().id, "me");
}

#[test]
fn a_reconnect_resubscribes_every_followed_chat_from_its_cursor() {
    let mut c = Core::new();
    live(&mut c, "me");
    let (_, f) = c.follow("room").unwrap();
    assert!(matches!(&f, ClientFrame::Subscribe(s) if s.chats[0].chat_id == "room"));
    c.set_chat(ChatInfo::from(&chat("dm", ChatKind::Direct, 0, 7)));
    c.follow("dm");
    for s in 1..=5 {
        c.on_server_frame(
            ServerFrame::Message {
                chat_id: "room".into(),
                message: msg("room", &format!("m{s}"), s, "bob"),
            },
            0,
        );
    }
    let fx = c.closed(1006, "", true);
    assert_eq!(
        events(&fx).last(),
        Some(&Event::Disconnected {
            code: 1006,
            reason: String::new(),
            retrying: true
        })
    );
    assert_eq!(c.state(), ConnState::Reconnecting);
    let fx = c.on_server_frame(ready("me"), 0);
    let frames = sent(&fx);
    let ClientFrame::Subscribe(sub) = &frames[0] else {
        panic!("{frames:?}")
    };
    let mut got: Vec<(String, Option<i64>)> = sub
        .chats
        .iter()
        .map(|c| (c.chat_id.clone(), c.since))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [("dm".to_owned(), Some(7)), ("room".to_owned(), Some(5))]
    );
    assert_eq!(
        events(&fx),
        [Event::State(ConnState::Open), Event::Connected]
    );
}

#[test]
fn a_replay_after_reconnect_delivers_nothing_twice_and_in_order() {
    let mut c = Core::new();
    live(&mut c, "me");
    c.follow("r");
    let mut fx = Vec::new();
    // live 1..3, then a replay that overlaps (2..6) arriving after a reconnect, out of order
    for s in [1, 2, 3, 2, 4, 3, 5, 6] {
        fx.extend(c.on_server_frame(
            ServerFrame::Message {
                chat_id: "r".into(),
                message: msg("r", &format!("m{s}"), s, "bob"),
            },
            0,
        ));
    }
    let got: Vec<i64> = events(&fx)
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.seq),
            _ => None,
        })
        .collect();
    assert_eq!(got, [1, 2, 3, 4, 5, 6]);
    let order: Vec<i64> = c.chat("r").unwrap().log.live().map(|m| m.seq).collect();
    assert_eq!(order, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_send_while_offline_is_pending_then_sent_once_on_reconnect_and_confirmed() {
    let mut c = Core::new();
    c.set_me(Me::from(&user("me", Role::User)));
    let fx = c.send(
        "r",
        SendMessageRequest {
            text: Some("hi".into()),
            ..Default::default()
        },
        "k1".into(),
        42,
    );
    let evs = events(&fx);
    assert!(
        matches!(&evs[..], [Event::Pending(m)] if m.id == "k1" && m.text == "hi" && m.seq == 0 && m.sender_id == "me")
    );
    assert!(sent(&fx).is_empty(), "nothing on the wire while offline");
    c.connecting(true);
    let fx = c.on_server_frame(ready("me"), 0);
    let frames = sent(&fx);
    let [ClientFrame::Send(s)] = &frames[..] else {
        panic!("{frames:?}")
    };
    assert_eq!(s.message.client_id.as_deref(), Some("k1"));
    let id = s.id.unwrap();
    // connection lost before the ack: the retry carries the same client id
    c.closed(1006, "", true);
    let fx = c.on_server_frame(ready("me"), 0);
    let frames = sent(&fx);
    let [ClientFrame::Send(s2)] = &frames[..] else {
        panic!("{frames:?}")
    };
    assert_eq!(s2.message.client_id.as_deref(), Some("k1"));
    assert_ne!(s2.id, Some(id));
    let mut stored = msg("r", "msg_1", 1, "me");
    stored.client_id = Some("k1".into());
    let fx = c.on_server_frame(
        ServerFrame::Ack {
            id: s2.id.unwrap(),
            body: AckBody {
                message: Some(stored.clone()),
                duplicate: true,
                ..Default::default()
            },
        },
        0,
    );
    assert!(fx.contains(&Effect::Settled {
        client_id: "k1".into(),
        result: Ok(stored.clone())
    }));
    assert_eq!(events(&fx), [Event::Message(stored.clone())]);
    // the live echo of the same message changes nothing
    let fx = c.on_server_frame(
        ServerFrame::Message {
            chat_id: "r".into(),
            message: stored,
        },
        0,
    );
    assert!(fx.is_empty());
    assert_eq!(c.pending_sends().count(), 0);
    assert_eq!(
        c.chat("r").unwrap().unread,
        0,
        "one's own message is not unread"
    );
}

/// The one send frame among `fx`.
fn send_frame(fx: &[Effect]) -> SendFrame {
    match sent(fx).as_slice() {
        [ClientFrame::Send(s)] => s.clone(),
        other => panic!("expected one send frame, got {other:?}"),
    }
}

/// Sends `text` to chat `r` as client id `k1` on a live core; returns the frame written.
fn send_k1(c: &mut Core, text: &str) -> SendFrame {
    let req = SendMessageRequest {
        text: Some(text.into()),
        ..Default::default()
    };
    send_frame(&c.send("r", req, "k1".into(), 0))
}

/// The server refuses request `id`.
fn refuse(
    c: &mut Core,
    id: Option<u64>,
    code: ErrorCode,
    message: &str,
    retry_after: Option<u32>,
) -> Vec<Effect> {
    c.on_server_frame(
        ServerFrame::Error {
            id,
            code,
            message: message.into(),
            retry_after,
        },
        0,
    )
}

#[test]
fn a_send_refused_as_unavailable_is_retried_on_an_open_socket() {
    let mut c = Core::new();
    live(&mut c, "me");
    let s = send_k1(&mut c, "a");
    let fx = refuse(
        &mut c,
        s.id,
        ErrorCode::Unavailable,
        "the database is unavailable right now",
        None,
    );
    assert_eq!(fx, [Effect::RetryLater(1_000)]);
    let again = send_frame(&c.flush_outbox());
    assert_eq!(
        again.message.client_id, s.message.client_id,
        "sent again with the same client id"
    );
}

#[test]
fn a_refused_send_fails_and_a_rate_limited_one_is_retried() {
    let mut c = Core::new();
    live(&mut c, "me");
    let s = send_k1(&mut c, "a");
    let fx = refuse(&mut c, s.id, ErrorCode::RateLimited, "slow", None);
    assert_eq!(fx, [Effect::RetryLater(1_000)]);
    let s = send_frame(&c.flush_outbox());
    let fx = refuse(&mut c, s.id, ErrorCode::Forbidden, "no", None);
    let err = ApiError::new(ErrorCode::Forbidden, "no");
    assert_eq!(
        events(&fx),
        [Event::SendFailed {
            chat_id: "r".into(),
            client_id: "k1".into(),
            error: err.clone()
        }]
    );
    assert!(fx.contains(&Effect::Settled {
        client_id: "k1".into(),
        result: Err(err)
    }));
    assert_eq!(c.pending_sends().count(), 0);
}

#[test]
fn a_send_refused_by_slow_mode_fails_with_the_wait_instead_of_retrying() {
    let mut c = Core::new();
    live(&mut c, "me");
    let s = send_k1(&mut c, "too soon");
    let fx = refuse(
        &mut c,
        s.id,
        ErrorCode::RateLimited,
        "slow mode: one message every 30 s in this chatroom; wait 25 s",
        Some(25),
    );
    assert!(!fx.contains(&Effect::RetryLater(1_000)), "{fx:?}");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Settled { result: Err(e), .. }
            if e.code == ErrorCode::RateLimited && e.message.ends_with("wait 25 s"))),
        "{fx:?}"
    );
    assert_eq!(c.pending_sends().count(), 0, "not kept to resend");
}

#[test]
fn unread_counts_follow_messages_deletes_and_seen_marks() {
    let mut c = Core::new();
    live(&mut c, "me");
    c.set_chat(ChatInfo::from(&chat("a", ChatKind::Direct, 2, 2)));
    c.set_chat(ChatInfo::from(&chat("b", ChatKind::Direct, 0, 0)));
    let fx = c.on_server_frame(
        ServerFrame::Message {
            chat_id: "b".into(),
            message: msg("b", "x", 1, "bob"),
        },
        0,
    );
    assert_eq!(
        events(&fx)[1],
        Event::Unread {
            chat_id: "b".into(),
            count: 1,
            total: 3,
            mentions: 0
        }
    );
    c.on_server_frame(
        ServerFrame::Message {
            chat_id: "b".into(),
            message: msg("b", "y", 2, "bob"),
        },
        0,
    );
    c.on_server_frame(
        ServerFrame::Message {
            chat_id: "b".into(),
            message: msg("b", "z", 3, "me"),
        },
        0,
    );
    assert_eq!(c.chat("b").unwrap().unread, 2, "own messages do not count");
    let mut tomb = msg("b", "y", 2, "bob");
    tomb.rev = 4;
    tomb.deleted = true;
    let fx = c.on_server_frame(
        ServerFrame::MessageDeleted {
            chat_id: "b".into(),
            message: tomb,
        },
        0,
    );
    assert_eq!(
        events(&fx)[0],
        Event::Unread {
            chat_id: "b".into(),
            count: 1,
            total: 3,
            mentions: 0
        }
    );
    // seen from another tab of ours
    let fx = c.on_server_frame(
        ServerFrame::Seen {
            chat_id: "b".into(),
            user_id: "me".into(),
            seq: 3,
            message_id: None,
        },
        0,
    );
    assert_eq!(
        events(&fx)[0],
        Event::Unread {
            chat_id: "b".into(),
            count: 0,
            total: 2,
            mentions: 0
        }
    );
    let fx = c.seen_locally("a", 2, 0, 0);
    assert_eq!(
        events(&fx),
        [Event::Unread {
            chat_id: "a".into(),
            count: 0,
            total: 0,
            mentions: 0
        }]
    );
}

#[test]
fn events_keep_the_order_of_the_frames_and_typing_expires() {
    let mut c = Core::new();
    live(&mut c, "me");
    let mut fx = Vec::new();
    fx.extend(c.on_server_frame(
        ServerFrame::Typing {
            chat_id: "r".into(),
            user_id: "bob".into(),
            typing: true,
            draft: Some("he".into()),
        },
        1_000,
    ));
    fx.extend(c.on_server_frame(
        ServerFrame::Message {
            chat_id: "r".into(),
            message: msg("r", "m1", 1, "bob"),
        },
        1_500,
    ));
    fx.extend(c.on_server_frame(
        ServerFrame::Typing {
            chat_id: "r".into(),
            user_id: "ann".into(),
            typing: true,
            draft: None,
        },
        2_000,
    ));
    fx.extend(c.on_server_frame(
        ServerFrame::Typing {
            chat_id: "r".into(),
            user_id: "me".into(),
            typing: true,
            draft: None,
        },
        2_000,
    ));
    let names: Vec<String> = events(&fx)
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "TypingStarted",
            "TypingStopped",
            "Message",
            "Unread",
            "TypingStarted"
        ],
        "our own typing is not echoed"
    );
    assert!(c.tick(2_000 + TYPING_TTL_MS - 1).is_empty());
    assert_eq!(
        events(&c.tick(2_000 + TYPING_TTL_MS)),
        [Event::TypingStopped {
            chat_id: "r".into(),
            user_id: "ann".into()
        }]
    );
}

#[test]
fn requests_on_a_lost_socket_fail_with_network_and_presence_is_deduplicated() {
    let mut c = Core::new();
    live(&mut c, "me");
    let (id, _) =
        c.request(|id| ClientFrame::Ping(chatix_protocol::frame::PingFrame { id: Some(id) }));
    let fx = c.closed(1001, "bye", true);
    assert!(
        matches!(&fx[0], Effect::Reply { id: i, result: Err(e) } if *i == id && e.code == ErrorCode::Network)
    );
    let on = |c: &mut Core, v| {
        events(&c.on_server_frame(
            ServerFrame::Presence {
                user_id: "bob".into(),
                online: v,
            },
            0,
        ))
    };
    assert_eq!(on(&mut c, true).len(), 1);
    assert!(on(&mut c, true).is_empty());
    assert_eq!(on(&mut c, false).len(), 1);
}

#[test]
fn subscribe_acks_move_cursors_and_failures_unfollow() {
    let mut c = Core::new();
    live(&mut c, "me");
    let (id, _) = c.follow("r").unwrap();
    let fx = c.on_server_frame(
        ServerFrame::Ack {
            id,
            body: AckBody {
                subscribed: Some(vec![Subscribed {
                    chat_id: "r".into(),
                    last_seq: 40,
                    replayed: 0,
                }]),
                ..Default::default()
            },
        },
        0,
    );
    assert!(matches!(&fx[0], Effect::Reply { result: Ok(_), .. }));
    assert_eq!(c.cursor("r"), Some(40));
    let (id, _) = c.follow("gone").unwrap();
    let fx = c.on_server_frame(
        ServerFrame::Error {
            id: Some(id),
            code: ErrorCode::NotFound,
            message: "no".into(),
            retry_after: None,
        },
        0,
    );
    assert!(
        matches!(&fx[0], Effect::Reply { result: Err(e), .. } if e.code == ErrorCode::NotFound)
    );
    c.forget_follow("gone");
    assert!(!c.follows("gone"));
}

#[test]
fn chats_the_server_followed_before_ready_are_followed_without_a_subscribe() {
    let mut c = Core::new();
    // "old" was followed before this socket (held to 3; the listing says 5): it is
    // subscribed again from 3, since the server's subscription starts at the listing.
    // "shut" was followed too and is refused now: unfollowed, not asked for again.
    c.set_chat(ChatInfo::from(&chat("old", ChatKind::Group, 0, 3)));
    c.follow("old");
    c.follow("shut");
    c.connecting(true);
    let mut f = ready("me");
    if let ServerFrame::Ready { recent, .. } = &mut f {
        *recent = Some(chatix_protocol::frame::Recent {
            chats: vec![
                chat("dm", ChatKind::Direct, 2, 9),
                chat("old", ChatKind::Group, 0, 5),
                chat("shut", ChatKind::Group, 0, 1),
            ],
            subscribed: vec![
                Subscribed {
                    chat_id: "dm".into(),
                    last_seq: 9,
                    replayed: 0,
                },
                Subscribed {
                    chat_id: "old".into(),
                    last_seq: 5,
                    replayed: 0,
                },
            ],
            failed: vec![chatix_protocol::frame::SubscribeFailure {
                chat_id: "shut".into(),
                code: ErrorCode::Forbidden,
                message: "no".into(),
            }],
        });
    }
    let fx = c.on_server_frame(f, 0);
    let frames = sent(&fx);
    assert_eq!(frames.len(), 1, "{frames:?}");
    let ClientFrame::Subscribe(sub) = &frames[0] else {
        panic!("{frames:?}")
    };
    let got: Vec<(&str, Option<i64>)> = sub
        .chats
        .iter()
        .map(|c| (c.chat_id.as_str(), c.since))
        .collect();
    assert_eq!(got, [("old", Some(3))]);
    assert!(c.follows("dm") && c.follows("old") && !c.follows("shut"));
    assert_eq!(c.cursor("dm"), Some(9));
    assert_eq!(c.chat_kind("dm"), Some(ChatKind::Direct));
    assert!(events(&fx).iter().any(
        |e| matches!(e, Event::Error(e) if e.code == ErrorCode::Forbidden && e.message.contains("shut"))
    ));
    // A message of a followed chat is taken at once, and counted unread.
    let fx = c.on_server_frame(
        ServerFrame::Message {
            chat_id: "dm".into(),
            message: msg("dm", "m10", 10, "bob"),
        },
        0,
    );
    assert!(events(&fx)
        .iter()
        .any(|e| matches!(e, Event::Message(m) if m.id == "m10")));
    assert_eq!(c.cursor("dm"), Some(10));
    // The next socket resubscribes every followed chat from its cursor.
    c.closed(1006, "", true);
    let fx = c.on_server_frame(ready("me"), 0);
    let ClientFrame::Subscribe(sub) = &sent(&fx)[0] else {
        panic!()
    };
    let mut got: Vec<(&str, Option<i64>)> = sub
        .chats
        .iter()
        .map(|c| (c.chat_id.as_str(), c.since))
        .collect();
    got.sort();
    assert_eq!(got, [("dm", Some(10)), ("old", Some(5))]);
}

#[test]
fn app_users_follow_new_chats_announced_to_them() {
    let mut c = Core::new();
    c.set_me(Me::from(&user("me", Role::User)));
    live(&mut c, "me");
    let fx = c.on_server_frame(
        ServerFrame::ChatCreated {
            chat: chat("new", ChatKind::Direct, 0, 0),
        },
        0,
    );
    let frames = sent(&fx);
    assert!(matches!(&frames[..], [ClientFrame::Subscribe(s)] if s.chats[0].chat_id == "new"));
    assert!(c.follows("new"));
    let mut v = Core::new();
    v.set_me(Me::from(&user("v", Role::Visitor)));
    live(&mut v, "v");
    assert!(
        sent(&v.on_server_frame(
            ServerFrame::ChatCreated {
                chat: chat("room", ChatKind::Group, 0, 0)
            },
            0
        ))
        .is_empty(),
        "visitors choose their rooms"
    );
}

#[test]
fn a_gap_clears_the_chat_cache() {
    let mut c = Core::new();
    live(&mut c, "me");
    c.on_server_frame(
        ServerFrame::Message {
            chat_id: "r".into(),
            message: msg("r", "m1", 1, "bob"),
        },
        0,
    );
    let fx = c.on_server_frame(
        ServerFrame::Gap {
            chat_id: "r".into(),
            since: 9,
            last_seq: 3,
            reason: "x".into(),
        },
        0,
    );
    assert_eq!(
        events(&fx),
        [Event::Gap {
            chat_id: "r".into()
        }]
    );
    assert!(c.chat("r").unwrap().log.is_empty());
    assert_eq!(c.cursor("r"), Some(3));
}

// The connection state machine (`conn.rs`).

fn ready_hb(me: &str, heartbeat_ms: u64) -> ServerFrame {
    let mut f = ready(me);
    if let ServerFrame::Ready { limits, .. } = &mut f {
        limits.heartbeat_ms = heartbeat_ms;
    }
    f
}

/// The connection effects among `fx` (not frames, events or replies).
fn conn_fx(fx: &[Effect]) -> Vec<Effect> {
    fx.iter()
        .filter(|e| {
            matches!(
                e,
                Effect::Connect { .. }
                    | Effect::ConnectAfter { .. }
                    | Effect::CloseSocket
                    | Effect::CheckSession { .. }
                    | Effect::RenewToken
                    | Effect::Ended(_)
            )
        })
        .cloned()
        .collect()
}

/// The generation of the `Connect` among `fx`.
fn connect_gen(fx: &[Effect]) -> u32 {
    fx.iter()
        .find_map(|e| match e {
            Effect::Connect { generation } => Some(*generation),
            _ => None,
        })
        .expect("a Connect effect")
}

/// The `ConnectAfter` among `fx`: (generation, ms).
fn retry_of(fx: &[Effect]) -> (u32, u64) {
    fx.iter()
        .find_map(|e| match e {
            Effect::ConnectAfter { generation, ms } => Some((*generation, *ms)),
            _ => None,
        })
        .expect("a ConnectAfter effect")
}

#[test]
fn start_connects_a_socket_refused_before_ready_checks_the_session_then_backs_off() {
    let mut c = Core::new();
    let fx = c.start(0);
    assert_eq!(events(&fx), [Event::State(ConnState::Connecting)]);
    let g1 = connect_gen(&fx);
    assert!(
        c.start(1).is_empty(),
        "a second start while running does nothing"
    );
    // closed before `ready`: maybe a refused token, so the session is checked first
    let fx = c.socket_closed(g1, 1006, "", 10);
    assert_eq!(conn_fx(&fx), [Effect::CheckSession { renew: false }]);
    assert_eq!(c.state(), ConnState::Reconnecting);
    // the server is down, not refusing: retry after the first backoff step
    let fx = c.session_checked(Err(ApiError::new(ErrorCode::Network, "down")));
    let (g, ms) = retry_of(&fx);
    assert!((250..500).contains(&ms), "first delay {ms}");
    let fx = c.reconnect_due(g);
    let g2 = connect_gen(&fx);
    assert_ne!(g1, g2);
    assert!(!c.socket_closed(g2, 1006, "", 700).is_empty());
    let (g, ms) = retry_of(&c.session_checked(Ok(())));
    assert!(
        (500..1000).contains(&ms),
        "second delay {ms}: the backoff grows"
    );
    let g3 = connect_gen(&c.reconnect_due(g));
    let fx = c.on_server_frame(ready_hb("me", 10_000), 2_010);
    assert!(events(&fx).contains(&Event::Connected));
    assert_eq!(c.heartbeat_ms(), 10_000, "the server's heartbeat applies");
    // lost after `ready`: no session check, and the backoff started over
    let fx = c.socket_closed(g3, 1012, "restart", 3_000);
    assert_eq!(conn_fx(&fx).len(), 1);
    let (_, ms) = retry_of(&fx);
    assert!(
        (250..500).contains(&ms),
        "after ready the backoff starts over: {ms}"
    );
}

#[test]
fn stale_closes_and_timers_change_nothing() {
    let mut c = Core::new();
    let g1 = connect_gen(&c.start(0));
    c.on_server_frame(ready("me"), 0);
    let (g, _) = retry_of(&c.socket_closed(g1, 1006, "", 5));
    assert!(
        c.socket_closed(g1, 1006, "", 6).is_empty(),
        "a second close of the same socket"
    );
    assert!(
        c.reconnect_due(g + 1).is_empty(),
        "another generation's timer"
    );
    let g2 = connect_gen(&c.reconnect_due(g));
    assert!(c.reconnect_due(g).is_empty(), "a socket is already opening");
    assert!(
        c.socket_closed(g1, 1006, "", 12).is_empty(),
        "the old socket"
    );
    c.stop();
    assert!(
        c.socket_closed(g2, 1006, "", 13).is_empty(),
        "closed after stop()"
    );
    assert!(c.reconnect_due(g2).is_empty());
    assert!(!c.running());
}

/// Ticks once a second over `(from, to]`, as the driver does; all effects.
fn tick_through(c: &mut Core, from: i64, to: i64) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mut t = from + 1_000;
    while t <= to {
        fx.extend(c.tick(t));
        t += 1_000;
    }
    fx
}

#[test]
fn heartbeats_ping_on_the_servers_interval_and_an_unanswered_ping_replaces_the_socket() {
    let mut c = Core::new();
    c.start(0);
    c.on_server_frame(ready_hb("me", 10_000), 0);
    assert!(
        sent(&tick_through(&mut c, 0, 9_000)).is_empty(),
        "no ping before the interval"
    );
    let fx = c.tick(10_000);
    assert!(matches!(sent(&fx)[..], [ClientFrame::Ping(_)]), "{fx:?}");
    assert!(sent(&c.tick(11_000)).is_empty(), "one ping per interval");
    // the pong (any frame) is a sign of life
    c.on_server_frame(ServerFrame::Pong { id: None }, 12_000);
    let fx = tick_through(&mut c, 11_000, 30_000);
    assert_eq!(sent(&fx).len(), 2, "pings at 20 s and 30 s");
    assert!(
        conn_fx(&fx).is_empty(),
        "the ping of 20 s is 10 s old: not yet"
    );
    let fx = c.tick(31_000);
    let conn = conn_fx(&fx);
    assert_eq!(conn[0], Effect::CloseSocket);
    assert!(matches!(conn[1], Effect::ConnectAfter { .. }), "{conn:?}");
    assert!(events(&fx).contains(&Event::Disconnected {
        code: close::HEARTBEAT_LOST,
        reason: "heartbeat lost".into(),
        retrying: true,
    }));
    assert_eq!(c.state(), ConnState::Reconnecting);
    assert!(
        conn_fx(&tick_through(&mut c, 31_000, 60_000)).is_empty(),
        "no socket, nothing to replace"
    );
}

#[test]
fn late_ticks_of_a_hidden_tab_or_a_busy_thread_never_give_a_live_socket_up() {
    let mut c = Core::new();
    c.start(0);
    c.on_server_frame(ready_hb("me", 25_000), 0);
    c.tick(1_000);
    // a hidden tab: one tick a minute; each pings, each pong arrives in between
    for minute in 1..=5 {
        let now = minute * 60_000;
        let fx = c.tick(now);
        assert!(conn_fx(&fx).is_empty(), "minute {minute}: {fx:?}");
        assert!(matches!(sent(&fx)[..], [ClientFrame::Ping(_)]));
        c.on_server_frame(ServerFrame::Pong { id: None }, now + 5);
    }
    // a main thread busy for 20 s right after a ping: the late tick runs before the pong
    let t = 6 * 60_000;
    c.tick(t);
    assert!(
        conn_fx(&c.tick(t + 20_000)).is_empty(),
        "the answer may be queued behind"
    );
    c.on_server_frame(ServerFrame::Pong { id: None }, t + 20_001);
    assert!(conn_fx(&c.tick(t + 21_000)).is_empty());
    // a dead socket in a hidden tab is still found: by the second tick after its ping
    let t = 7 * 60_000;
    assert!(conn_fx(&c.tick(t)).is_empty());
    assert!(
        conn_fx(&c.tick(t + 60_000)).is_empty(),
        "the first may run before the pong"
    );
    let fx = c.tick(t + 120_000);
    assert_eq!(conn_fx(&fx)[0], Effect::CloseSocket, "{fx:?}");
}

#[test]
fn offline_gives_the_socket_up_at_once_and_online_or_visible_reconnects_now() {
    let mut c = Core::new();
    c.start(0);
    c.on_server_frame(ready("me"), 0);
    assert!(c.network(true, 5).is_empty(), "already online");
    let fx = c.network(false, 10);
    assert_eq!(
        conn_fx(&fx),
        [Effect::CloseSocket],
        "no retry while offline"
    );
    assert_eq!(c.state(), ConnState::Reconnecting);
    assert!(events(&fx).contains(&Event::Disconnected {
        code: close::HEARTBEAT_LOST,
        reason: "the browser went offline".into(),
        retrying: true,
    }));
    // a send while offline queues (shown as pending), written once back online
    let req = SendMessageRequest {
        text: Some("queued".into()),
        ..Default::default()
    };
    let fx = c.send("room", req, "c1".into(), 20);
    assert!(sent(&fx).is_empty());
    assert!(matches!(&events(&fx)[..], [Event::Pending(_)]));
    assert!(
        c.visible(30).is_empty(),
        "visible but offline: nothing to try"
    );
    let fx = c.network(true, 40);
    connect_gen(&fx);
    let fx = c.on_server_frame(ready("me"), 50);
    assert!(
        matches!(&sent(&fx)[..], [ClientFrame::Send(s)] if s.message.client_id.as_deref() == Some("c1")),
        "{fx:?}"
    );
    // lost again while online: a backoff delay, which `visible` cuts short
    let (stale, _) = retry_of(&c.drop_connection(60));
    connect_gen(&c.visible(70));
    assert!(
        c.reconnect_due(stale).is_empty(),
        "the backoff's timer is stale now"
    );
    // visible while open: probed at once
    c.on_server_frame(ready("me"), 80);
    let fx = c.visible(90);
    assert!(matches!(sent(&fx)[..], [ClientFrame::Ping(_)]), "{fx:?}");
}

#[test]
fn a_revoked_session_ends_and_never_reconnects() {
    let mut c = Core::new();
    let g = connect_gen(&c.start(0));
    c.on_server_frame(ready("me"), 0);
    let fx = c.socket_closed(g, close::REVOKED, "user deleted", 5);
    let conn = conn_fx(&fx);
    assert_eq!(conn[0], Effect::CloseSocket);
    assert!(matches!(&conn[1], Effect::Ended(e) if e.code == ErrorCode::Unauthorized));
    let ev = events(&fx);
    assert!(ev.contains(&Event::Disconnected {
        code: close::REVOKED,
        reason: "user deleted".into(),
        retrying: false,
    }));
    assert!(matches!(ev.last(), Some(Event::Error(e))
        if e.code == ErrorCode::Unauthorized && e.message.ends_with("user deleted")));
    assert!(!c.running());
    assert_eq!(c.state(), ConnState::Closed);
    assert!(c.reconnect_due(g + 1).is_empty());
    assert!(c.session_checked(Ok(())).is_empty());
}

#[test]
fn an_expiring_token_is_renewed_before_reconnecting_and_a_refused_one_ends_the_session() {
    let mut c = Core::new();
    c.set_token_expiry(Some(100_000), 0);
    let g = connect_gen(&c.start(0));
    c.on_server_frame(ready("me"), 0);
    // more than a minute left: a plain retry
    let (g, _) = retry_of(&c.socket_closed(g, 1006, "", 30_000));
    let g = connect_gen(&c.reconnect_due(g));
    c.on_server_frame(ready("me"), 31_000);
    // less than a minute left: renew first, even though the socket had said `ready`
    let fx = c.socket_closed(g, 1006, "", 50_000);
    assert_eq!(conn_fx(&fx), [Effect::CheckSession { renew: true }]);
    let fx = c.session_checked(Err(ApiError::new(ErrorCode::Unauthorized, "refused")));
    assert!(matches!(conn_fx(&fx).last(), Some(Effect::Ended(e)) if e.message == "refused"));
    assert!(events(&fx).contains(&Event::Disconnected {
        code: 1006,
        reason: "unauthorized".into(),
        retrying: false,
    }));
    assert!(!c.running());
}

#[test]
fn drop_connection_replaces_the_socket_and_stop_ends_everything() {
    let mut c = Core::new();
    assert!(c.drop_connection(0).is_empty(), "no socket yet");
    c.start(0);
    c.on_server_frame(ready("me"), 0);
    let fx = c.drop_connection(10);
    let conn = conn_fx(&fx);
    assert_eq!(conn[0], Effect::CloseSocket);
    let (g, _) = retry_of(&fx);
    assert!(events(&fx).contains(&Event::Disconnected {
        code: close::HEARTBEAT_LOST,
        reason: "closed by the application".into(),
        retrying: true,
    }));
    let fx = c.stop();
    assert_eq!(conn_fx(&fx), [Effect::CloseSocket]);
    assert_eq!(c.state(), ConnState::Closed);
    assert!(
        c.reconnect_due(g).is_empty(),
        "stop() cancels the pending retry"
    );
    // a new start() after stop() connects again
    assert!(connect_gen(&c.start(2_000)) > g);
}

#[test]
fn a_token_is_renewed_ahead_of_its_expiry_while_connected_and_a_failed_renewal_is_retried() {
    let mut c = Core::new();
    c.start(0);
    // no ping due during this test: only renewals show
    c.on_server_frame(ready_hb("me", 600_000), 0);
    c.set_token_expiry(Some(10_000), 0); // renewed four fifths in: at 8 s
    assert!(conn_fx(&tick_through(&mut c, 0, 7_000)).is_empty());
    assert_eq!(conn_fx(&c.tick(8_000)), [Effect::RenewToken]);
    assert!(conn_fx(&c.tick(9_000)).is_empty(), "one renewal at a time");
    // refused: reported, tried again 10 s later, the socket untouched
    let fx = c.token_renewed(Err(ApiError::new(ErrorCode::Unauthorized, "no")), 9_500);
    assert!(matches!(&events(&fx)[..], [Event::Error(e)] if e.code == ErrorCode::Unauthorized));
    assert!(conn_fx(&tick_through(&mut c, 9_000, 19_000)).is_empty());
    assert_eq!(conn_fx(&c.tick(20_000)), [Effect::RenewToken]);
    // renewed: the new token has its own schedule, and the socket never moved
    c.set_token_expiry(Some(120_100), 20_100);
    assert!(c.token_renewed(Ok(()), 20_100).is_empty());
    assert!(conn_fx(&tick_through(&mut c, 20_000, 100_000)).is_empty());
    assert_eq!(conn_fx(&c.tick(101_000)), [Effect::RenewToken]);
    assert_eq!(c.state(), ConnState::Open);
    // a token of unknown expiry is never renewed ahead
    c.set_token_expiry(None, 101_500);
    assert!(c.token_renewed(Ok(()), 101_500).is_empty());
    assert!(conn_fx(&tick_through(&mut c, 101_000, 200_000)).is_empty());
}

#[test]
fn a_thread_only_reply_is_heard_once_but_stays_out_of_the_chat() {
    let mut c = Core::new();
    live(&mut c, "me");
    c.set_chat(ChatInfo::from(&chat("b", ChatKind::Direct, 0, 0)));
    let frame = |m: Message| ServerFrame::Message {
        chat_id: "b".into(),
        message: m,
    };
    c.on_server_frame(frame(msg("b", "p", 1, "bob")), 0);
    let mut reply = msg("b", "r", 2, "bob");
    reply.parent_id = Some("p".into());
    let fx = c.on_server_frame(frame(reply.clone()), 0);
    assert_eq!(
        events(&fx),
        [Event::Message(reply.clone())],
        "no unread event"
    );
    let e = c.chat("b").unwrap();
    assert_eq!((e.unread, e.log.len(), e.log.cursor()), (1, 1, 2));
    // heard once: the same frame again (a resume's replay) changes nothing
    assert!(c.on_server_frame(frame(reply.clone()), 0).is_empty());
    // its edit and deletion are news; they still stay out of the log
    let mut edit = reply.clone();
    edit.rev = 3;
    edit.text = "edited".into();
    let fx = c.on_server_frame(
        ServerFrame::MessageUpdated {
            chat_id: "b".into(),
            message: edit.clone(),
        },
        0,
    );
    assert_eq!(events(&fx), [Event::MessageUpdated(edit)]);
    let mut tomb = reply.clone();
    tomb.rev = 4;
    tomb.deleted = true;
    let fx = c.on_server_frame(
        ServerFrame::MessageDeleted {
            chat_id: "b".into(),
            message: tomb.clone(),
        },
        0,
    );
    assert_eq!(
        events(&fx),
        [Event::MessageDeleted(tomb)],
        "no unread change"
    );
    // the parent's recount is an ordinary edit of a message in the log
    let mut parent = msg("b", "p", 1, "bob");
    parent.rev = 5;
    parent.reply_count = 1;
    c.on_server_frame(
        ServerFrame::MessageUpdated {
            chat_id: "b".into(),
            message: parent,
        },
        0,
    );
    let e = c.chat("b").unwrap();
    assert_eq!(e.log.get(1).map(|m| m.reply_count), Some(1));
    // a reply shown in the chat is one of its messages
    let mut shown = msg("b", "s", 6, "bob");
    shown.parent_id = Some("p".into());
    shown.show_in_chat = true;
    c.on_server_frame(frame(shown), 0);
    let e = c.chat("b").unwrap();
    assert_eq!((e.unread, e.log.len()), (2, 2));
}

#[test]
fn mention_counts_follow_the_server_deletions_and_seen_marks() {
    let mut c = Core::new();
    live(&mut c, "me");
    let mut info = chat("b", ChatKind::Direct, 1, 1);
    info.mention_count = 1;
    c.set_chat(ChatInfo::from(&info));
    assert_eq!(c.chat("b").unwrap().mentions, 1, "from the chat's data");
    let unread = |mentions| Event::Unread {
        chat_id: "b".into(),
        count: 1,
        total: 1,
        mentions,
    };
    let m = msg("b", "m2", 2, "bob");
    let mentioned = |m: &Message, n| ServerFrame::Mentioned {
        chat_id: "b".into(),
        message: m.clone(),
        mention_count: n,
    };
    let fx = c.on_server_frame(mentioned(&m, 2), 0);
    assert_eq!(events(&fx), [Event::Mentioned(m.clone()), unread(2)]);
    // a deleted mention: the server sends the tombstone with the count without it; no
    // `mentioned` event, only the count
    let mut tomb = m.clone();
    tomb.rev = 3;
    tomb.deleted = true;
    let fx = c.on_server_frame(mentioned(&tomb, 1), 0);
    assert_eq!(events(&fx), [unread(1)]);
    assert_eq!(c.chat("b").unwrap().mentions, 1);
    c.on_server_frame(
        ServerFrame::Message {
            chat_id: "b".into(),
            message: msg("b", "m3", 3, "bob"),
        },
        0,
    );
    // our mark moved past everything in another tab: nothing unread, no mention left
    let fx = c.on_server_frame(
        ServerFrame::Seen {
            chat_id: "b".into(),
            user_id: "me".into(),
            seq: 3,
            message_id: None,
        },
        0,
    );
    assert!(events(&fx).contains(&Event::Unread {
        chat_id: "b".into(),
        count: 0,
        total: 0,
        mentions: 0,
    }));
    // our own setSeen answer carries the server's counts
    c.on_server_frame(mentioned(&msg("b", "m4", 4, "bob"), 1), 0);
    assert_eq!(c.chat("b").unwrap().mentions, 1);
    let fx = c.seen_locally("b", 4, 0, 0);
    assert_eq!(
        events(&fx),
        [Event::Unread {
            chat_id: "b".into(),
            count: 0,
            total: 0,
            mentions: 0,
        }]
    );
}
