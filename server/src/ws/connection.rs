//! One socket: a reader loop that handles client frames in order, and a writer task that
//! drains the connection's queue (several frames per write; with `batch=1`, as one JSON
//! array), sends heartbeats and closes on request.
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
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, SplitSink};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{interval, timeout, MissedTickBehavior};

use crate::auth::{Actor, Session};
use crate::error::{AppError, AppResult};
use crate::hub::{frame, ConnHandle, Event, Frame};
use crate::limits::FrameLimiter;
use crate::service::{access, chats, messages, views};
use crate::state::AppState;

/// Rate-limited frames tolerated before the socket is closed.
const MAX_VIOLATIONS: u32 = 200;
/// Most queued frames written out with one flush (or, with `batch=1`, in one array).
const WRITE_BATCH: usize = 64;
/// Most text in one `batch=1` array (a single bigger frame goes alone).
const BATCH_BYTES: usize = 64 * 1024;
/// How long a closing connection keeps reading (and discarding) what the peer still sends,
/// waiting for its close reply.
const CLOSE_DRAIN: Duration = Duration::from_secs(2);
/// How long a slow consumer being cut off may take to read what was queued for it and its
/// close frame, and to answer: it is alive but reading slowly, and everything it was sent
/// (up to the kernel's socket buffers, megabytes) sits before the close frame. Dropping the
/// socket sooner loses the close frame when its pongs arrive after the drop (a reset). A
/// peer that never reads holds a socket for this long, not forever.
const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(60);
/// Most chats the server announces a user's presence to.
const PRESENCE_FANOUT: i64 = 200;
/// Most sends of one connection waiting for their commit at once. Sends are pipelined: the
/// next frame is read while earlier sends are being stored, so a busy writer answers
/// `rate_limited` at once instead of leaving the peer's frames unread; answers keep the
/// order of the frames.
const MAX_IN_FLIGHT: usize = 64;
/// How long an answer may wait for room in the connection's queue.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// An answer still being worked out (a send waiting for its commit).
type Answer = BoxFuture<'static, Option<Frame>>;

/// The connection's answers in frame order: while sends are in flight, later answers queue
/// behind them.
struct Answers {
    q: FuturesOrdered<Answer>,
}

impl Answers {
    /// Queues `f` to the peer now, or behind the answers still in flight.
    fn push(&mut self, conn: &ConnHandle, f: Frame) {
        if self.q.is_empty() {
            conn.push(f);
        } else {
            self.q.push_back(Box::pin(std::future::ready(Some(f))));
        }
    }

    /// Waits for every answer in flight and queues them.
    async fn drain(&mut self, conn: &ConnHandle) {
        while let Some(a) = self.q.next().await {
            if let Some(f) = a {
                conn.push_wait(f, ANSWER_WAIT).await;
            }
        }
    }
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close::SLOW_CONSUMER => "slow consumer: reconnect and resume",
        close::REVOKED => "access revoked (user deleted or banned)",
        close::RATE_LIMITED => "rate limit exceeded repeatedly",
        close::RESTART => "service restart: reconnect and resume",
        _ => "server going away: reconnect",
    }
}

/// What the client asked for when it opened the socket.
pub struct Opts {
    /// `batch=1`: several queued frames may go out as one JSON array.
    pub batch: bool,
    /// `followRecent` in the `auth` frame: subscribe an app user to their most recent
    /// chats before `ready`, which lists them.
    pub follow_recent: bool,
}

/// Serves one authenticated socket until it closes.
pub async fn run(state: AppState, session: Session, peer: IpAddr, socket: WebSocket, opts: Opts) {
    let batch = opts.batch;
    let mut user = views::user(&state, &session.user);
    user.presence = chatix_protocol::Presence::Online; // this very connection
    let staff = session.role().is_staff();
    let (conn, mut recv) = ConnHandle::new(
        &session.website.id,
        user,
        staff,
        state.config.connection_queue,
    );
    // Registered before `ready` goes out (in memory: a REST call the client makes once it
    // has `ready` sees it online); announced after.
    let first_connection = state.hub.register(&conn)
        && !state
            .hub
            .is_online_elsewhere(&session.website.id, session.user_id());
    let actor = Actor::from(session.clone());
    let mut subscribed: HashSet<String> = HashSet::new();
    // Honoured for app users, whose SDK follows every chat of theirs (onChat); staff and
    // visitors follow what they open.
    let recent = if opts.follow_recent && session.role() == chatix_protocol::Role::User {
        follow_recent(&state, &actor, &conn, &mut subscribed).await
    } else {
        None
    };
    // `ready` is always the first frame, alone, before any event the registration or the
    // subscriptions above may cause: the writer sends it before it takes anything from the
    // queue.
    let ready = frame(&ServerFrame::Ready {
        session_id: format!("conn_{}", conn.id),
        user: (*conn.user).clone(),
        protocol: PROTOCOL_VERSION,
        limits: state.limits.clone(),
        recent,
    });
    let (sink, mut stream) = socket.split();
    let heartbeat = Duration::from_millis(state.config.heartbeat_ms.max(100));

    // On shutdown the reader stops reading (after the frame it is handling, whose answer is
    // queued) and closes the connection: the writer then flushes the queue and sends 1001.
    let writer = tokio::spawn(async move {
        let mut w = Writer::new(sink, batch);
        let mut ping = interval(heartbeat);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ping.tick().await;
        let close_frame = |code: u16| {
            WsMessage::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(close_reason(code)),
            }))
        };
        let mut open = w.sink.send(text(&ready)).await.is_ok();
        // One wait for the kill, made once: a `cancelled()` made afresh on every turn of
        // the loop locked the token's mutex twice per frame (made, then dropped when a
        // frame won the select), ~3% of a fan-out profile.
        let killed = recv.kill.clone().cancelled_owned();
        tokio::pin!(killed);
        while open {
            tokio::select! {
                biased;
                _ = &mut killed => {
                    // Flush what is already queued (acks, errors) before closing, for as
                    // long as a peer that reads slowly may take; one that never reads is
                    // dropped after the grace instead of holding the task and its queue.
                    let _ = timeout(SLOW_CONSUMER_GRACE, async {
                        w.flush_queue(&mut recv.rx).await;
                        let _ = w.sink.send(close_frame(recv.close_code())).await;
                    })
                    .await;
                    break;
                }
                f = w.next(&mut recv.rx) => match f {
                    Some(f) => open = w.write(f, &mut recv.rx).await,
                    None => break,
                },
                _ = ping.tick() => open = w.sink.send(WsMessage::Ping(Default::default())).await.is_ok(),
            }
        }
        let _ = w.sink.close().await;
    });
    // The writer is sending `ready` meanwhile: a client's start() does not wait for the
    // presence announcement (a database read for the user's chats) or the last-active
    // write (an fsync on SQLite), which no longer runs on the way to `ready` at all.
    if first_connection {
        announce_presence(&state, &session, true).await;
    }
    {
        let state = state.clone();
        let (website, user) = (session.website.id.clone(), session.user_id().to_owned());
        tokio::spawn(async move {
            let _ = state
                .store
                .touch_user(&website, &user, crate::util::now_ms())
                .await;
        });
    }

    let limiter = FrameLimiter::new(state.config.frames_per_second, state.config.frame_burst);
    let mut violations = 0u32;
    // Whether the peer's side has ended (its close frame read, or the stream gone).
    let mut peer_done = false;
    let mut answers = Answers {
        q: FuturesOrdered::new(),
    };
    // Made once, not per frame (see the writer's `killed`).
    let closing = conn.closing();
    tokio::pin!(closing);
    let shutdown = state.shutdown.clone().cancelled_owned();
    tokio::pin!(shutdown);
    loop {
        let next = tokio::select! {
            _ = &mut closing => break,
            _ = &mut shutdown => break,
            Some(a) = answers.q.next(), if !answers.q.is_empty() => {
                if let Some(f) = a {
                    conn.push_wait(f, ANSWER_WAIT).await;
                }
                continue;
            }
            n = timeout(heartbeat * 3, stream.next()), if answers.q.len() < MAX_IN_FLIGHT => n,
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
                answers.push(
                    &conn,
                    error_frame(
                        None,
                        &AppError::invalid("binary frames are not accepted: send JSON text frames"),
                    ),
                );
                continue;
            }
        };
        if text.len() > state.config.max_frame_bytes {
            answers.push(
                &conn,
                error_frame(
                    peek_id(&text),
                    &AppError::new(
                        ErrorCode::PayloadTooLarge,
                        format!(
                            "frame of {} bytes is over the {}-byte limit",
                            text.len(),
                            state.config.max_frame_bytes
                        ),
                    ),
                ),
            );
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
            answers.push(
                &conn,
                error_frame(peek_id(&text), &AppError::new(ErrorCode::RateLimited, why)),
            );
            continue;
        }
        let parsed = match ClientFrame::parse(&text) {
            Ok(f) => f,
            Err(e) => {
                answers.push(
                    &conn,
                    error_frame(
                        peek_id(&text),
                        &AppError::invalid(format!("malformed frame: {e}")),
                    ),
                );
                continue;
            }
        };
        let id = parsed.id();
        let parsed = match parsed {
            ClientFrame::Send(f) => {
                let fid = f.id;
                match messages::start_send(&state, &actor, &f.chat_id, f.message).await {
                    Ok(ticket) => {
                        let state = state.clone();
                        answers.q.push_back(Box::pin(async move {
                            match ticket.finish(&state).await {
                                Ok((m, duplicate)) => ack(
                                    fid,
                                    AckBody {
                                        message: Some(m),
                                        duplicate,
                                        ..Default::default()
                                    },
                                ),
                                Err(e) => Some(error_frame(fid, &e)),
                            }
                        }));
                    }
                    Err(e) => answers.push(&conn, error_frame(fid, &e)),
                }
                continue;
            }
            other => other,
        };
        // Any other frame is answered after the sends before it, as if handled in turn.
        answers.drain(&conn).await;
        match handle(&state, &actor, &conn, &mut subscribed, parsed).await {
            Ok(Some(f)) => {
                conn.push_wait(f, ANSWER_WAIT).await;
            }
            Ok(None) => {}
            Err(e) => {
                conn.push(error_frame(id, &e));
            }
        }
    }

    // Sends already queued for storage are finished (stored or not) and answered.
    answers.drain(&conn).await;
    for chat in &subscribed {
        state.hub.unsubscribe(conn.id, chat);
    }
    conn.close(close::GOING_AWAY);
    // The server ends the connection (shutdown, slow consumer, rate limit): while the
    // writer flushes the answers and sends the close frame, keep reading until the peer's
    // close reply. Closing TCP with frames still unread in the receive buffer makes the
    // kernel send a reset, and the peer would lose the acks and the close code in flight.
    // The wait for the reply starts once the writer is done: a slow consumer reads its queue
    // and the close frame long after the close was decided, and answers pings meanwhile; a
    // socket dropped while those pongs sit unread resets the peer, which then loses the close
    // frame it had not read yet.
    let drain = async {
        let _ = writer.await;
        if peer_done {
            return;
        }
        let wait = if conn.close_code() == close::SLOW_CONSUMER && !state.shutdown.is_cancelled() {
            SLOW_CONSUMER_GRACE
        } else {
            CLOSE_DRAIN
        };
        let _ = timeout(wait, async {
            while let Some(Ok(m)) = stream.next().await {
                if matches!(m, WsMessage::Close(_)) {
                    break;
                }
            }
        })
        .await;
    };
    drain.await;
    if state.hub.unregister(&conn)
        && !state
            .hub
            .is_online_elsewhere(&session.website.id, session.user_id())
    {
        announce_presence(&state, &session, false).await;
    }
}

/// A text message holding one encoded frame.
fn text(f: &Frame) -> WsMessage {
    WsMessage::Text(Utf8Bytes::from(&**f))
}

/// The writing half of a socket. A write takes the next frame and what is queued behind
/// it, and sends them with one flush: one write to the kernel for many frames under load,
/// not one each. When the client asked for `batch=1`, several frames become one text frame
/// holding a JSON array of them, in order (the frames' own texts joined; nothing is
/// encoded twice), and consecutive `message` frames of one chat become one `messages`
/// frame that names the chat once ([`join_batch`]); a lone frame is still a plain object.
struct Writer {
    sink: SplitSink<WebSocket, WsMessage>,
    batch: bool,
    /// Taken from the queue but left out of the last batch (it would have made it too
    /// big): the first frame of the next write.
    carry: Option<Frame>,
    /// The frames of the batch being written (kept for its allocation).
    frames: Vec<Frame>,
}

impl Writer {
    fn new(sink: SplitSink<WebSocket, WsMessage>, batch: bool) -> Writer {
        Writer {
            sink,
            batch,
            carry: None,
            frames: Vec::new(),
        }
    }

    /// The next frame to write: the carried one, else the queue's next (`None`: the queue
    /// is closed).
    async fn next(&mut self, rx: &mut mpsc::Receiver<Frame>) -> Option<Frame> {
        match self.carry.take() {
            Some(f) => Some(f),
            None => rx.recv().await,
        }
    }

    /// Writes `first` and what is queued behind it: at most [`WRITE_BATCH`] frames and, in
    /// one batch, at most [`BATCH_BYTES`] of text (a bigger frame goes alone). Returns
    /// whether the socket is still writable.
    async fn write(&mut self, first: Frame, rx: &mut mpsc::Receiver<Frame>) -> bool {
        if !self.batch {
            let mut ok = self.sink.feed(text(&first)).await.is_ok();
            let mut fed = 1;
            while ok && fed < WRITE_BATCH {
                let Ok(f) = rx.try_recv() else { break };
                ok = self.sink.feed(text(&f)).await.is_ok();
                fed += 1;
            }
            return ok && self.sink.flush().await.is_ok();
        }
        // `[` + frames joined by `,` + `]`.
        let mut len = first.len() + 2;
        self.frames.push(first);
        while self.frames.len() < WRITE_BATCH {
            let Ok(f) = rx.try_recv() else { break };
            if len + 1 + f.len() > BATCH_BYTES {
                self.carry = Some(f);
                break;
            }
            len += 1 + f.len();
            self.frames.push(f);
        }
        let msg = match self.frames.as_slice() {
            [one] => text(one),
            many => WsMessage::Text(Utf8Bytes::from(join_batch(many, len))),
        };
        self.frames.clear();
        self.sink.send(msg).await.is_ok()
    }

    /// Writes everything already queued (the connection is closing), batched as usual.
    async fn flush_queue(&mut self, rx: &mut mpsc::Receiver<Frame>) {
        loop {
            let f = match self.carry.take() {
                Some(f) => f,
                None => match rx.try_recv() {
                    Ok(f) => f,
                    Err(_) => return,
                },
            };
            if !self.write(f, rx).await {
                return;
            }
        }
    }
}

/// The chat id and the message object of a `message` frame as [`frame`] writes it
/// (`{"type":"message","chatId":"…","message":{…}}`: serde writes the fields in that order;
/// ids are server-made, without quotes or escapes).
fn message_parts(f: &str) -> Option<(&str, &str)> {
    let rest = f.strip_prefix(r#"{"type":"message","chatId":""#)?;
    let (chat, rest) = rest.split_once('"')?;
    let body = rest.strip_prefix(r#","message":"#)?.strip_suffix('}')?;
    Some((chat, body))
}

/// One text message for several frames: consecutive `message` frames of one chat become
/// one `messages` frame naming the chat once (`{"type":"messages","chatId":"…",
/// "messages":[{…},{…}]}`, in order); one item goes plain, several as a JSON array.
/// `len`: the joined frames' length, a capacity hint.
fn join_batch(frames: &[Frame], len: usize) -> String {
    let mut items: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(frames.len());
    let mut i = 0;
    while i < frames.len() {
        if let Some((chat, _)) = message_parts(&frames[i]) {
            let run = &frames[i..i + chat_run(&frames[i..], chat)];
            if run.len() >= 2 {
                let mut m = String::with_capacity(len);
                m.push_str(r#"{"type":"messages","chatId":""#);
                m.push_str(chat);
                m.push_str(r#"","messages":["#);
                for (k, (_, body)) in run.iter().filter_map(|f| message_parts(f)).enumerate() {
                    if k > 0 {
                        m.push(',');
                    }
                    m.push_str(body);
                }
                m.push_str("]}");
                items.push(m.into());
                i += run.len();
                continue;
            }
        }
        items.push(std::borrow::Cow::Borrowed(&frames[i]));
        i += 1;
    }
    if let [one] = items.as_slice() {
        return one.to_string();
    }
    let mut s = String::with_capacity(len);
    s.push('[');
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        s.push_str(item);
    }
    s.push(']');
    s
}

/// How many frames from the start of `frames` are `message` frames of `chat`.
fn chat_run(frames: &[Frame], chat: &str) -> usize {
    frames
        .iter()
        .take_while(|f| message_parts(f).is_some_and(|(c, _)| c == chat))
        .count()
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
        retry_after: e.1,
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

/// `followRecent`: subscribes the connection to the caller's most recent chats (the first
/// page of `GET /v1/chats`), each from the position the listing gave; `None` when they cannot be listed (the client
/// then lists and subscribes itself).
async fn follow_recent(
    state: &AppState,
    actor: &Actor,
    conn: &ConnHandle,
    subscribed: &mut HashSet<String>,
) -> Option<chatix_protocol::frame::Recent> {
    let page = match chats::mine(state, actor, None).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(conn = conn.id, error = %e.0.message, "followRecent: the chats could not be listed");
            return None;
        }
    };
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for c in &page.chats {
        // From the listing's position: what is stored between the listing and this
        // subscribe is replayed, not missed.
        match subscribe_one(state, actor, conn, &c.id, Some(c.last_seq)).await {
            Ok(s) => {
                subscribed.insert(c.id.clone());
                ok.push(s);
            }
            Err(e) => failed.push(SubscribeFailure {
                chat_id: c.id.clone(),
                code: e.0.code,
                message: e.0.message,
            }),
        }
    }
    Some(chatix_protocol::frame::Recent {
        chats: page.chats,
        subscribed: ok,
        failed,
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

#[cfg(test)]
mod tests {
    use super::{join_batch, message_parts};
    use crate::hub::frame;
    use chatix_protocol::{Message, ServerFrame};

    fn msg(chat: &str, seq: i64) -> ServerFrame {
        let mut m: Message = serde_json::from_value(serde_json::json!({
            "id": format!("msg_{seq}"), "chatId": chat, "seq": seq, "rev": seq, "kind": "text",
            "text": format!("text \"{seq}\" }}"), "file": null, "metadata": {}, "whisper": false,
            "senderId": "usr_1", "senderRole": "user", "senderName": "Ann", "clientId": null,
            "replyTo": null, "createdAt": 1, "editedAt": null, "deleted": false
        }))
        .unwrap();
        m.chat_id = chat.to_owned();
        ServerFrame::Message {
            chat_id: chat.to_owned(),
            message: m,
        }
    }

    #[test]
    fn consecutive_messages_of_one_chat_are_joined_and_decode_to_the_same_frames() {
        let frames = vec![
            msg("chat_a", 1),
            msg("chat_a", 2),
            msg("chat_b", 1),
            ServerFrame::Pong { id: Some(7) },
            msg("chat_a", 3),
            msg("chat_a", 4),
            msg("chat_a", 5),
        ];
        let encoded: Vec<_> = frames.iter().map(frame).collect();
        assert_eq!(
            message_parts(&encoded[0]).map(|(c, _)| c),
            Some("chat_a"),
            "the hub's encoding is what the writer reads"
        );
        let len = encoded.iter().map(|f| f.len() + 1).sum();
        let joined = join_batch(&encoded, len);
        assert!(joined.len() < len, "shorter: {} vs {len}", joined.len());
        let v: serde_json::Value = serde_json::from_str(&joined).unwrap();
        let types: Vec<_> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["messages", "message", "pong", "messages"]);
        assert_eq!(ServerFrame::parse_text(&joined).unwrap(), frames);
        // one run alone goes as a plain object
        let alone = join_batch(&encoded[4..], len);
        assert!(
            alone.starts_with(r#"{"type":"messages","chatId":"chat_a","messages":[{"#),
            "{alone}"
        );
        assert_eq!(ServerFrame::parse_text(&alone).unwrap(), frames[4..]);
    }
}
