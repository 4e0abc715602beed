//! Resilient clients for fault tests, driving the SDK's own sans-I/O core
//! (`chatix_core::core::Core`): the resume of every followed chat from its cursor after a
//! reconnect, the deduplication of replays, and the outbox that re-sends an unconfirmed
//! send with the same client id are the SDK's code, not a copy of it. [`Driver`] is a small
//! tokio face for the core, as `src/web` is the browser's: it owns the WebSocket
//! (tokio-tungstenite), feeds the core what happens and carries out the effects it answers
//! with. Also a seeded flaky TCP proxy that cuts connections.

use chatix_core::core::{ChatInfo, Core, Effect, Event};
use chatix_protocol::rest::SendMessageRequest;
use chatix_protocol::{ChatKind, ClientFrame, ServerFrame};
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMsg;

/// The seed of the flaky proxies: `CHATIX_FAULT_SEED` replays a run.
pub fn fault_seed() -> u64 {
    let seed = std::env::var("CHATIX_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261123);
    eprintln!("flaky network seed {seed} (set CHATIX_FAULT_SEED to replay)");
    seed
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket; `batch`: ask the server for `batch=1` (several frames in one JSON array).
pub async fn connect(base: &str, token: &str, batch: bool) -> Option<Socket> {
    let url = format!(
        "{}/v1/ws{}",
        base.replace("http://", "ws://"),
        if batch { "?batch=1" } else { "" }
    );
    tokio::time::timeout(Duration::from_secs(5), async {
        let (mut s, _) = tokio_tungstenite::connect_async(url).await.ok()?;
        s.send(super::auth_frame(token)).await.ok()?;
        Some(s)
    })
    .await
    .ok()
    .flatten()
}

/// How long a socket may stay silent before the driver gives it up as dead.
const SILENCE: Duration = Duration::from_secs(10);

/// How long a client may take to finish its work: a bound on a stuck run, not a speed
/// check. The flaky-network cluster test takes ~35 s here, and more than 120 s in a CI run
/// on a loaded machine (the whole cluster binary 191 s instead of 96 s).
const DEADLINE: Duration = Duration::from_secs(300);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What one wait of [`Driver::step`] brought.
enum Woke {
    Frame(Option<Result<WsMsg, tokio_tungstenite::tungstenite::Error>>),
    Silent,
    RetryTimer,
}

/// The SDK's core with a tokio WebSocket under it. Each connection goes to the next of
/// `bases` in turn (one base for a single server; several for a cluster, as a load balancer
/// would spread reconnects).
pub struct Driver {
    pub core: Core,
    bases: Vec<String>,
    token: String,
    batch: bool,
    ws: Option<Socket>,
    attempts: usize,
    /// Sockets lost after they opened.
    pub lost: usize,
    /// Client ids written at least once.
    written: HashSet<String>,
    /// Sends written again with a client id already written (after a reconnect, or a rate
    /// limit).
    pub resent: usize,
    /// When to flush the outbox again (`Effect::RetryLater`).
    retry_at: Option<Instant>,
}

impl Driver {
    pub fn new(bases: Vec<String>, token: String, batch: bool) -> Driver {
        assert!(!bases.is_empty());
        Driver {
            core: Core::new(),
            bases,
            token,
            batch,
            ws: None,
            attempts: 0,
            lost: 0,
            written: HashSet::new(),
            resent: 0,
            retry_at: None,
        }
    }

    /// Waits for the next thing to happen (a connection attempt, frames from the server, the
    /// socket lost, the retry timer), tells the core, and carries out the writes it answers
    /// with. Returns the other effects (events, settled sends) for the caller.
    pub async fn step(&mut self) -> Vec<Effect> {
        let fx = match self.ws.as_mut() {
            None => self.connect().await,
            Some(ws) => {
                let retry_at = self.retry_at;
                let woke = tokio::select! {
                    r = tokio::time::timeout(SILENCE, ws.next()) => match r {
                        Ok(f) => Woke::Frame(f),
                        Err(_) => Woke::Silent,
                    },
                    _ = async move {
                        match retry_at {
                            Some(t) => tokio::time::sleep_until(t).await,
                            None => std::future::pending().await,
                        }
                    } => Woke::RetryTimer,
                };
                match woke {
                    Woke::Frame(Some(Ok(WsMsg::Text(t)))) => self.frames(&t),
                    Woke::Frame(Some(Ok(WsMsg::Close(c)))) => match c {
                        Some(c) => self.lose(c.code.into(), &c.reason),
                        None => self.lose(1005, ""),
                    },
                    Woke::Frame(Some(Ok(_))) => Vec::new(),
                    Woke::Frame(Some(Err(e))) => self.lose(1006, &e.to_string()),
                    Woke::Frame(None) => self.lose(1006, "the stream ended"),
                    Woke::Silent => self.lose(1006, "no frame for 10 s"),
                    Woke::RetryTimer => {
                        self.retry_at = None;
                        self.core.flush_outbox()
                    }
                }
            }
        };
        self.carry_out(fx).await
    }

    async fn connect(&mut self) -> Vec<Effect> {
        let mut fx = self.core.connecting(self.attempts == 0);
        self.attempts += 1;
        let base = &self.bases[self.attempts % self.bases.len()];
        match connect(base, &self.token, self.batch).await {
            Some(ws) => self.ws = Some(ws),
            None => {
                // What a browser reports of a socket that never opened.
                fx.extend(self.core.closed(1006, "could not connect", true));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        fx
    }

    fn lose(&mut self, code: u16, reason: &str) -> Vec<Effect> {
        self.ws = None;
        self.lost += 1;
        self.core.closed(code, reason, true)
    }

    /// One text frame: a server frame, or with `batch=1` an array of them.
    fn frames(&mut self, text: &str) -> Vec<Effect> {
        let frames = ServerFrame::parse_text(text);
        let frames = frames.unwrap_or_else(|e| panic!("the server sends valid frames: {e}"));
        let now = now_ms();
        let mut fx = Vec::new();
        for f in frames {
            fx.extend(self.core.on_server_frame(f, now));
        }
        fx
    }

    /// Writes the frames among `fx` (one flush), arms the retry timer; returns the rest.
    pub async fn carry_out(&mut self, fx: Vec<Effect>) -> Vec<Effect> {
        let mut todo = VecDeque::from(fx);
        let mut rest = Vec::new();
        let mut unflushed = false;
        while let Some(e) = todo.pop_front() {
            match e {
                Effect::Send(f) => {
                    if let ClientFrame::Send(s) = &f {
                        let id = s.message.client_id.clone().unwrap_or_default();
                        if !self.written.insert(id) {
                            self.resent += 1;
                        }
                    }
                    let Some(ws) = self.ws.as_mut() else {
                        // The socket failed on an earlier write of this batch: the core
                        // has put this send back in its outbox.
                        continue;
                    };
                    let text = serde_json::to_string(&f).expect("frames serialize");
                    if ws.feed(WsMsg::Text(text.into())).await.is_ok() {
                        unflushed = true;
                    } else {
                        unflushed = false;
                        todo.extend(self.lose(1006, "write failed"));
                    }
                }
                Effect::RetryLater(ms) => {
                    self.retry_at = Some(Instant::now() + Duration::from_millis(ms));
                }
                other => rest.push(other),
            }
            if unflushed && todo.is_empty() {
                unflushed = false;
                let ws = self.ws.as_mut().expect("fed above");
                if ws.flush().await.is_err() {
                    todo.extend(self.lose(1006, "write failed"));
                }
            }
        }
        rest
    }
}

/// The core resumes a followed chat from what it holds, and starts a chat it knows nothing
/// of live. A reader here wants every message from the first: it tells the core it knew
/// the chat when it was still empty (as an app that listed its chats before anything was
/// said there would have).
fn known_empty(chat: &str) -> ChatInfo {
    ChatInfo {
        id: chat.to_owned(),
        kind: ChatKind::Group,
        last_seq: 0,
        unread: 0,
        mentions: 0,
        is_member: true,
        member_ids: Vec::new(),
        last_message_seq: None,
    }
}

/// What a resilient reader saw: per chat, (seq, rev, text) in the order the core emitted
/// them; and how many times its socket was lost.
#[derive(Default)]
pub struct Seen {
    pub per_chat: HashMap<String, Vec<(i64, i64, String)>>,
    pub reconnects: usize,
}

/// Follows `chats` with the SDK's core until every chat holds `want` messages. On every
/// (re)connection the core subscribes each chat from its cursor (the highest `rev` held)
/// and emits each new message once.
pub async fn read_all(bases: Vec<String>, token: String, chats: Vec<String>, want: usize) -> Seen {
    let mut d = Driver::new(bases, token, true);
    for c in &chats {
        d.core.set_chat(known_empty(c));
        assert!(d.core.follow(c).is_none(), "not connected yet");
    }
    let mut seen = Seen::default();
    let done = |seen: &Seen| {
        chats
            .iter()
            .all(|c| seen.per_chat.get(c).map_or(0, Vec::len) >= want)
    };
    let deadline = Instant::now() + DEADLINE;
    while !done(&seen) {
        if Instant::now() >= deadline {
            // What a failure needs to be understood: how far each chat got, where its resume
            // cursor stands, and which sequence numbers never arrived.
            let report: Vec<String> = chats
                .iter()
                .map(|c| {
                    let got = seen.per_chat.get(c).map_or(&[][..], Vec::as_slice);
                    let have: HashSet<i64> = got.iter().map(|(seq, _, _)| *seq).collect();
                    let top = got.iter().map(|(seq, _, _)| *seq).max().unwrap_or(0);
                    let missing: Vec<i64> = (1..=top).filter(|s| !have.contains(s)).take(20).collect();
                    format!(
                        "{c}: {} of {want}, highest seq {top}, cursor {:?}, missing below it {missing:?}",
                        got.len(),
                        d.core.cursor(c)
                    )
                })
                .collect();
            panic!(
                "reader did not finish in {DEADLINE:?} ({} reconnects): {}",
                d.lost,
                report.join("; ")
            );
        }
        for e in d.step().await {
            match e {
                Effect::Emit(Event::Message(m)) => {
                    seen.per_chat
                        .entry(m.chat_id)
                        .or_default()
                        .push((m.seq, m.rev, m.text));
                }
                Effect::Emit(Event::Gap { chat_id }) => {
                    panic!("the server could not replay what chat {chat_id} missed")
                }
                Effect::Emit(Event::Error(e)) => eprintln!("reader: the server said {e}"),
                _ => {}
            }
        }
        for c in &chats {
            assert!(d.core.follows(c), "the core stopped following {c}");
        }
    }
    seen.reconnects = d.lost;
    seen
}

/// Sends `texts` to `chat` through the SDK's core, one at a time (the next once the
/// previous settled), with client id = the text's first 64 characters. The core's outbox
/// re-sends an unconfirmed send with the same client id after a reconnect. Returns how
/// many sends were written again.
pub async fn send_all(
    bases: Vec<String>,
    token: String,
    chat: String,
    texts: Vec<String>,
) -> usize {
    let mut d = Driver::new(bases, token, false);
    let deadline = Instant::now() + DEADLINE;
    for (i, text) in texts.into_iter().enumerate() {
        let client_id: String = text.chars().take(64).collect();
        let req = SendMessageRequest {
            text: Some(text),
            ..Default::default()
        };
        let fx = d.core.send(&chat, req, client_id.clone(), now_ms());
        let mut fx = d.carry_out(fx).await;
        'settle: loop {
            for e in fx {
                match e {
                    Effect::Settled {
                        client_id: c,
                        result,
                    } => {
                        assert_eq!(c, client_id, "only one send is pending");
                        if let Err(e) = result {
                            panic!("send {i} refused: {e}");
                        }
                        break 'settle;
                    }
                    Effect::Emit(Event::Error(e)) => eprintln!("sender: the server said {e}"),
                    _ => {}
                }
            }
            assert!(Instant::now() < deadline, "sender did not finish");
            fx = d.step().await;
        }
    }
    d.resent
}

/// Sends `texts` to `chat` through the SDK's core with up to `window` sends unsettled at a
/// time (pipelined, so the server's group commit takes hundreds in one batch), client id =
/// the text's first 64 characters. Returns the client ids in the order they were
/// acknowledged, and how many sends were written again after a reconnect. `progress` counts
/// acknowledgements as they arrive, for a caller that acts at a point in the stream.
#[allow(dead_code)]
pub async fn send_windowed(
    bases: Vec<String>,
    token: String,
    chat: String,
    texts: Vec<String>,
    window: usize,
    progress: Arc<AtomicUsize>,
) -> (Vec<String>, usize) {
    let mut d = Driver::new(bases, token, false);
    let deadline = Instant::now() + DEADLINE;
    let mut next = texts.into_iter();
    let mut pending = 0usize;
    let mut acked = Vec::new();
    let mut fx = Vec::new();
    loop {
        while pending < window {
            let Some(text) = next.next() else { break };
            let client_id: String = text.chars().take(64).collect();
            let req = SendMessageRequest {
                text: Some(text),
                ..Default::default()
            };
            let more = d.core.send(&chat, req, client_id, now_ms());
            fx.extend(d.carry_out(more).await);
            pending += 1;
        }
        for e in fx.drain(..) {
            match e {
                Effect::Settled { client_id, result } => {
                    if let Err(e) = result {
                        panic!("send {client_id} refused: {e}");
                    }
                    acked.push(client_id);
                    pending -= 1;
                    progress.fetch_add(1, Ordering::Relaxed);
                }
                Effect::Emit(Event::Error(e)) => eprintln!("sender: the server said {e}"),
                _ => {}
            }
        }
        if pending == 0 && next.len() == 0 {
            return (acked, d.resent);
        }
        assert!(Instant::now() < deadline, "sender did not finish");
        fx = d.step().await;
    }
}

/// Asserts that `got` holds `senders` × `per_sender` messages with seqs 1..=n, once each,
/// and each sender's texts (`s{k}-{i:04}`) in the order it sent them.
pub fn assert_senders_in_order(got: &[(i64, i64, String)], senders: usize, per_sender: usize) {
    let seqs: Vec<i64> = got.iter().map(|m| m.0).collect();
    assert_eq!(
        seqs,
        (1..=(senders * per_sender) as i64).collect::<Vec<_>>()
    );
    for s in 0..senders {
        let mine: Vec<&str> = got
            .iter()
            .map(|m| m.2.as_str())
            .filter(|t| t.starts_with(&format!("s{s}-")))
            .collect();
        let want: Vec<String> = (0..per_sender).map(|i| format!("s{s}-{i:04}")).collect();
        assert_eq!(mine, want.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// Asserts that `got` is exactly messages 1..=n of a chat, each once, in order.
pub fn assert_exact(chat: &str, got: &[(i64, i64, String)], texts: &[String]) {
    let seqs: Vec<i64> = got.iter().map(|m| m.0).collect();
    let want: Vec<i64> = (1..=texts.len() as i64).collect();
    assert_eq!(
        seqs, want,
        "chat {chat}: seqs must be 1..=n, once each, in order"
    );
    let got_texts: Vec<&String> = got.iter().map(|m| &m.2).collect();
    let want_texts: Vec<&String> = texts.iter().collect();
    assert_eq!(got_texts, want_texts, "chat {chat}: texts in send order");
}

/// A TCP proxy that forwards to `target` and cuts each connection after a random number
/// of bytes (server to client) or a random time, whichever comes first. Returns its URL
/// and a counter of cuts made.
pub async fn flaky_proxy(target: String, seed: u64) -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let cuts = Arc::new(AtomicU64::new(0));
    let counter = cuts.clone();
    tokio::spawn(async move {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let budget: usize = rng.gen_range(2_000..80_000);
            let lifetime = Duration::from_millis(rng.gen_range(50..1_500));
            let target = target.clone();
            let cuts = counter.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&target).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async {
                    let mut buf = vec![0u8; 8192];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async {
                    let mut buf = vec![0u8; 8192];
                    let mut left = budget;
                    while let Ok(n) = sr.read(&mut buf).await {
                        if n == 0 {
                            return false;
                        }
                        let n = n.min(left); // cut mid-frame, on purpose
                        if cw.write_all(&buf[..n]).await.is_err() {
                            return false;
                        }
                        left -= n;
                        if left == 0 {
                            return true;
                        }
                    }
                    false
                };
                let cut = tokio::select! {
                    _ = up => false,
                    c = down => c,
                    _ = tokio::time::sleep(lifetime) => true,
                };
                if cut {
                    cuts.fetch_add(1, Ordering::Relaxed);
                }
                // dropping both halves of both sockets cuts the connection
            });
        }
    });
    (url, cuts)
}
