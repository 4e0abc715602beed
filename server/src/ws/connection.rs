//! One socket: a reader loop that handles client frames in order, and a writer task that
//! drains the connection's queue, sends heartbeats and closes on request.
//!
//! Per connection: frames over the size limit get `payload_too_large`; frames over the
//! connection's rate limit, or over its client IP's (all that IP's connections together),
//! get `rate_limited` (and after many, the socket is closed with 4029);
//! malformed frames get `invalid_argument` naming the problem. None of these touch stored
//! data or other connections. A peer silent for three heartbeats is dropped.

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};
use chatix_protocol::close;
use chatix_protocol::frame::{AckBody, SubscribeFailure};
use chatix_protocol::{ClientFrame, ErrorCode, ServerFrame, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;
use tokio::time::{interval, timeout, MissedTickBehavior};

use crate::auth::{Actor, Session};
use crate::error::{AppError, AppResult};
use crate::hub::{frame, ConnHandle, Event};
use crate::limits::FrameLimiter;
use crate::service::{access, chats, messages, views};
use crate::state::AppState;

/// Rate-limited frames tolerated before the socket is closed.
const MAX_VIOLATIONS: u32 = 200;
/// Most queued frames written out with one flush.
const WRITE_BATCH: usize = 64;
/// How long a closing connection keeps reading (and discarding) what the peer still sends,
/// waiting for its close reply.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);
/// Most chats the server announces a user's presence to.
const PRESENCE_FANOUT: i64 = 200;

fn close_reason(code: u16) -> &'static str {
    match code {
        close::SLOW_CONSUMER => "slow consumer: reconnect and resume",
        close::REVOKED => "access revoked",
        close::RATE_LIMITED => "rate limit exceeded repeatedly",
        close::RESTART => "service restart: reconnect and resume",
        _ => "server going away: reconnect",
    }
}

/// Serves one authenticated socket until it closes.
pub async fn run(state: AppState, session: Session, peer: IpAddr, socket: WebSocket) {
    let mut user = views::user(&state, &session.user);
    user.presence = chatix_protocol::Presence::Online; // this very connection
    let staff = session.role().is_staff();
    let (conn, mut recv) = ConnHandle::new(
        &session.website.id,
        user,
        staff,
        state.config.connection_queue,
    );
    // `ready` is always the first frame, before any event the registration may cause.
    conn.push(frame(&ServerFrame::Ready {
        session_id: format!("conn_{}", conn.id),
        user: (*conn.user).clone(),
        protocol: PROTOCOL_VERSION,
        limits: state.limits.clone(),
    }));
    if state.hub.register(&conn)
        && !state
            .hub
            .is_online_elsewhere(&session.website.id, session.user_id())
    {
        announce_presence(&state, &session, true).await;
    }
    let _ = state
        .store
        .touch_user(
            &session.website.id,
            session.user_id(),
            crate::util::now_ms(),
        )
        .await;
    let (mut sink, mut stream) = socket.split();
    let heartbeat = Duration::from_millis(state.config.heartbeat_ms.max(100));

    // On shutdown the reader stops reading (after the frame it is handling, whose answer is
    // queued) and closes the connection: the writer then flushes the queue and sends 1001.
    let writer = tokio::spawn(async move {
        let mut ping = interval(heartbeat);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ping.tick().await;
        let close_frame = |code: u16| {
            WsMessage::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(close_reason(code)),
            }))
        };
        loop {
            tokio::select! {
                biased;
                _ = recv.kill.cancelled() => {
                    // Flush what is already queued (acks, errors) before closing.
                    while let Ok(f) = recv.rx.try_recv() {
                        if sink.send(WsMessage::Text(Utf8Bytes::from(&*f))).await.is_err() { break; }
                    }
                    let _ = sink.send(close_frame(recv.close_code())).await;
                    break;
                }
                f = recv.rx.recv() => match f {
                    Some(f) => {
                        // What is already queued goes out behind it with one flush: one
                        // write to the kernel for many frames under load, not one each.
                        let mut ok = sink.feed(WsMessage::Text(Utf8Bytes::from(&*f))).await.is_ok();
                        let mut fed = 1;
                        while ok && fed < WRITE_BATCH {
                            let Ok(f) = recv.rx.try_recv() else { break };
                            ok = sink.feed(WsMessage::Text(Utf8Bytes::from(&*f))).await.is_ok();
                            fed += 1;
                        }
                        if !ok || sink.flush().await.is_err() { break }
                    }
                    None => break,
                },
                _ = ping.tick() => if sink.send(WsMessage::Ping(Default::default())).await.is_err() { break },
            }
        }
        let _ = sink.close().await;
    });

    let actor = Actor::from(session.clone());
    let limiter = FrameLimiter::new(state.config.frames_per_second, state.config.frame_burst);
    let mut subscribed: HashSet<String> = HashSet::new();
    let mut violations = 0u32;
    // Whether the peer's side has ended (its close frame read, or the stream gone).
    let mut peer_done = false;
    loop {
        let next = tokio::select! {
            _ = conn.closing() => break,
            _ = state.shutdown.cancelled() => break,
            n = timeout(heartbeat * 3, stream.next()) => n,
        };
        let msg = match next {
            Err(_) => {
                tracing::debug!(conn = conn.id, "peer silent for three heartbeats; dropping");
                peer_done = true; // nothing to wait for
                break;
            }
            Ok(None) | Ok(Some(Err(_))) => {
                peer_done = true;
                break;
            }
            Ok(Some(Ok(m))) => m,
        };
        let text = match msg {
            WsMessage::Text(t) => t,
            WsMessage::Close(_) => {
                peer_done = true;
                break;
            }
            WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
            WsMessage::Binary(_) => {
                conn.push(error_frame(
                    None,
                    &AppError::invalid("binary frames are not accepted: send JSON text frames"),
                ));
                continue;
            }
        };
        if text.len() > state.config.max_frame_bytes {
            conn.push(error_frame(
                peek_id(&text),
                &AppError::new(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "frame of {} bytes is over the {}-byte limit",
                        text.len(),
                        state.config.max_frame_bytes
                    ),
                ),
            ));
            continue;
        }
        let throttled = if !limiter.check() {
            Some(format!(
                "more than {} frames per second on this connection (burst {}); this frame was dropped",
                state.config.frames_per_second, state.config.frame_burst
            ))
        } else if !state.frame_ip_limiter.check(peer) {
            Some(format!(
                "more than {} frames per second from your address over all its connections \
                 (burst {}); this frame was dropped",
                state.config.ip_frames_per_second, state.config.ip_frame_burst
            ))
        } else {
            None
        };
        if let Some(why) = throttled {
            violations += 1;
            if violations > MAX_VIOLATIONS {
                conn.close(close::RATE_LIMITED);
                break;
            }
            conn.push(error_frame(
                peek_id(&text),
                &AppError::new(ErrorCode::RateLimited, why),
            ));
            continue;
        }
        let parsed = match ClientFrame::parse(&text) {
            Ok(f) => f,
            Err(e) => {
                conn.push(error_frame(
                    peek_id(&text),
                    &AppError::invalid(format!("malformed frame: {e}")),
                ));
                continue;
            }
        };
        let id = parsed.id();
        match handle(&state, &actor, &conn, &mut subscribed, parsed).await {
            Ok(Some(f)) => {
                conn.push_wait(f, Duration::from_secs(5)).await;
            }
            Ok(None) => {}
            Err(e) => {
                conn.push(error_frame(id, &e));
            }
        }
    }

    for chat in &subscribed {
        state.hub.unsubscribe(conn.id, chat);
    }
    conn.close(close::GOING_AWAY);
    // The server ends the connection (shutdown, slow consumer, rate limit): while the
    // writer flushes the answers and sends the close frame, keep reading until the peer's
    // close reply. Closing TCP with frames still unread in the receive buffer makes the
    // kernel send a reset, and the peer would lose the acks and the close code in flight.
    let drain = async {
        if peer_done {
            return;
        }
        let _ = timeout(CLOSE_DRAIN, async {
            while let Some(Ok(m)) = stream.next().await {
                if matches!(m, WsMessage::Close(_)) {
                    break;
                }
            }
        })
        .await;
    };
    let _ = tokio::join!(writer, drain);
    if state.hub.unregister(&conn)
        && !state
            .hub
            .is_online_elsewhere(&session.website.id, session.user_id())
    {
        announce_presence(&state, &session, false).await;
    }
}

/// The `id` of a frame that failed to parse, if it has a readable one.
fn peek_id(text: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<u64>,
    }
    serde_json::from_str::<Id>(text).ok().and_then(|i| i.id)
}

fn error_frame(id: Option<u64>, e: &AppError) -> crate::hub::Frame {
    frame(&ServerFrame::Error {
        id,
        code: e.0.code,
        message: e.0.message.clone(),
    })
}

fn ack(id: Option<u64>, body: AckBody) -> Option<crate::hub::Frame> {
    id.map(|id| frame(&ServerFrame::Ack { id, body }))
}

async fn handle(
    state: &AppState,
    actor: &Actor,
    conn: &ConnHandle,
    subscribed: &mut HashSet<String>,
    f: ClientFrame,
) -> AppResult<Option<crate::hub::Frame>> {
    Ok(match f {
        ClientFrame::Ping(p) => Some(frame(&ServerFrame::Pong { id: p.id })),
        ClientFrame::Subscribe(f) => {
            let mut ok = Vec::new();
            let mut failed = Vec::new();
            for c in f.chats {
                match subscribe_one(state, actor, conn, &c.chat_id, c.since).await {
                    Ok(s) => {
                        subscribed.insert(c.chat_id.clone());
                        ok.push(s);
                    }
                    Err(e) => failed.push(SubscribeFailure {
                        chat_id: c.chat_id,
                        code: e.0.code,
                        message: e.0.message,
                    }),
                }
            }
            if ok.is_empty() && failed.len() == 1 {
                let f = failed.remove(0);
                return Err(AppError::new(f.code, f.message));
            }
            ack(
                f.id,
                AckBody {
                    subscribed: Some(ok),
                    failed: (!failed.is_empty()).then_some(failed),
                    ..Default::default()
                },
            )
        }
        ClientFrame::Unsubscribe(f) => {
            for c in f.chat_ids {
                if subscribed.remove(&c) {
                    state.hub.unsubscribe(conn.id, &c);
                }
            }
            ack(f.id, AckBody::default())
        }
        ClientFrame::Send(f) => {
            let (m, duplicate) = messages::send(state, actor, &f.chat_id, f.message).await?;
            ack(
                f.id,
                AckBody {
                    message: Some(m),
                    duplicate,
                    ..Default::default()
                },
            )
        }
        ClientFrame::Edit(f) => {
            let req = chatix_protocol::rest::EditMessageRequest {
                text: f.text,
                metadata: f.metadata,
            };
            let m = messages::edit(state, actor, &f.chat_id, &f.message_id, req).await?;
            ack(
                f.id,
                AckBody {
                    message: Some(m),
                    ..Default::default()
                },
            )
        }
        ClientFrame::Delete(f) => {
            let m = messages::delete(state, actor, &f.chat_id, &f.message_id).await?;
            ack(
                f.id,
                AckBody {
                    message: Some(m),
                    ..Default::default()
                },
            )
        }
        ClientFrame::Typing(f) => {
            messages::typing(state, actor, &f.chat_id, f.typing, f.draft).await?;
            ack(f.id, AckBody::default())
        }
        ClientFrame::Seen(f) => {
            let r = messages::seen(state, actor, &f.chat_id, f.message_id.as_deref()).await?;
            ack(
                f.id,
                AckBody {
                    last_seen_seq: Some(r.last_seen_seq),
                    ..Default::default()
                },
            )
        }
    })
}

/// `connectToChatroom`: access check (joining public chatrooms, or any for staff), then the
/// room replays and goes live.
async fn subscribe_one(
    state: &AppState,
    actor: &Actor,
    conn: &ConnHandle,
    chat_id: &str,
    since: Option<i64>,
) -> AppResult<chatix_protocol::frame::Subscribed> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let a = if a.chat.kind == chatix_protocol::ChatKind::Group {
        chats::join_access(state, actor, a).await?
    } else {
        a
    };
    state.hub.subscribe(conn, &a.chat, since).await
}

/// Tells staff, and the user's chats, that the user came online or went offline.
async fn announce_presence(state: &AppState, s: &Session, online: bool) {
    let f = frame(&ServerFrame::Presence {
        user_id: s.user_id().to_owned(),
        online,
    });
    state.hub.publish(Event::Staff {
        website_id: s.website.id.clone(),
        frame: f.clone(),
    });
    if let Ok(chats) = state
        .store
        .chat_ids_of_user(s.user_id(), PRESENCE_FANOUT)
        .await
    {
        for chat_id in chats {
            state.hub.publish(Event::Chat {
                chat_id,
                all: f.clone(),
                staff: None,
                staff_only: false,
            });
        }
    }
}
