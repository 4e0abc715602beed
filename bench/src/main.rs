//! `loadgen`: the load generator of `npm run bench` (driven by `bench/run.mjs`).
//!
//! The same workload, the same generator, against two targets:
//!
//! - `chatix`: the Chatix socket protocol (`/v1/ws`), with users and rooms set up through
//!   the admin REST API;
//! - `socketio`: a Socket.IO 4 server (`bench/socketio/server.mjs`), spoken to with the
//!   Engine.IO v4 / Socket.IO v5 framing over a WebSocket.
//!
//! Modes (one JSON line per result on stdout):
//!
//! - `fanout`: R rooms of M members, one publisher per room at a fixed total rate; every
//!   message carries its send time, latency is measured at every receiver (HdrHistogram);
//!   reports delivered messages/s and p50/p99/p99.9 per rate step.
//! - `conns`: N idle connections held open; reports the server's resident memory per
//!   connection (read from `/proc/<pid>/status`).
//! - `writes`: K connections sending as fast as acknowledgements come back; reports
//!   messages stored per second (Chatix acknowledges only after the commit).
//!
//! Everything stays on loopback, with bounded counts and durations.

mod chatix;
mod socketio;

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMsg;

/// The server under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// chatix-server.
    Chatix,
    /// The Socket.IO 4 reference server.
    Socketio,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    Fanout,
    Conns,
    Writes,
    Publish,
}

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, value_enum)]
    target: Target,
    #[arg(long, value_enum)]
    mode: Mode,
    /// Server base URL (http://127.0.0.1:PORT); fanout: several, comma-separated, spread
    /// the members' sockets over the nodes of a cluster (set-up goes to the first).
    #[arg(long)]
    url: String,
    /// Chatix: the website's secret key (to create users and rooms).
    #[arg(long, default_value = "")]
    secret: String,
    /// fanout: number of rooms.
    #[arg(long, default_value_t = 10)]
    rooms: usize,
    /// fanout: members per room (each its own connection).
    #[arg(long, default_value_t = 10)]
    members: usize,
    /// fanout: total publish rates to try, messages/s, comma-separated.
    #[arg(long, default_value = "100")]
    rates: String,
    /// Seconds per step.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// conns: idle connections to open; writes: connections sending.
    #[arg(long, default_value_t = 100)]
    connections: usize,
    /// conns, fanout: the server's pid (for its resident memory).
    #[arg(long, default_value_t = 0)]
    pid: u32,
    /// publish: the room (chat id for Chatix, room name for Socket.IO).
    #[arg(long, default_value = "")]
    room: String,
    /// publish: how many messages in all.
    #[arg(long, default_value_t = 1000)]
    messages: usize,
    /// A label copied into the output.
    #[arg(long, default_value = "")]
    label: String,
}

/// Microseconds since the epoch (sender and receivers share the clock: same machine).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The text a publisher sends: step, send time, sender.
fn payload(step: usize, sender: usize) -> String {
    format!("b|{step}|{}|{sender}", now_us())
}

fn parse_payload(text: &str) -> Option<(usize, u64, usize)> {
    let mut it = text.split('|');
    (it.next()? == "b").then_some(())?;
    Some((
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    ))
}

/// One live connection, protocol-independent.
pub struct Conn {
    /// Frames to write.
    pub tx: mpsc::UnboundedSender<WsMsg>,
    /// Texts of messages received (room, text).
    pub rx: mpsc::UnboundedReceiver<(String, String)>,
}

/// What a connection knows how to say.
pub trait Protocol: Send + Sync + 'static {
    /// The frame that joins a room.
    fn join(&self, room: &str) -> WsMsg;
    /// The frame that sends `text` to a room.
    fn send(&self, room: &str, text: &str, seq: u64) -> WsMsg;
    /// Extracts (room, text) from a received frame of a message; answers protocol pings
    /// through `reply`.
    fn receive(
        &self,
        frame: &str,
        reply: &mpsc::UnboundedSender<WsMsg>,
    ) -> Option<(String, String)>;
    /// Whether a received frame acknowledges a send (writes mode).
    fn is_ack(&self, frame: &str) -> bool;
    /// A handshake after the server's greeting: the frame to send and the prefix of the
    /// reply to wait for before anything else is sent (Socket.IO's namespace connect;
    /// its server drops a socket that emits before the connect is acknowledged).
    fn handshake(&self) -> Option<(&'static str, &'static str)> {
        None
    }
    /// The URL to open for a client URL of the setup, and a frame to send at once, before
    /// the server's greeting. Chatix keeps each client's token beside its URL as
    /// `…/v1/ws#token` inside the bench; the socket opens `…/v1/ws` and sends the token in
    /// its first frame (`auth`), as the server requires.
    fn opening(&self, url: &str) -> (String, Option<WsMsg>) {
        (url.to_owned(), None)
    }
    /// Whether a received frame refuses a send for now (overload: `rate_limited` or
    /// `unavailable`); counted per fan-out step.
    fn is_refusal(&self, _frame: &str) -> bool {
        false
    }
}

/// Sends refused by the server since the counter was last taken (fan-out mode).
static REFUSED: AtomicU64 = AtomicU64::new(0);

/// The server's answer to a send: acknowledged, or refused for now (overload) with the
/// request's id, to be sent again.
pub type Answer = Result<(), u64>;

/// Waits until one send is acknowledged; a refused one is sent again (`resend` with its
/// id) after a pause, as the SDK's outbox does.
async fn one_ack(
    acks: &mut mpsc::UnboundedReceiver<Answer>,
    resend: impl Fn(u64) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    loop {
        match acks.recv().await {
            Some(Ok(())) => return Ok(()),
            Some(Err(id)) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                resend(id)?;
            }
            None => anyhow::bail!("socket closed"),
        }
    }
}

/// The `id` of a frame.
fn frame_id(frame: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(frame)
        .ok()
        .and_then(|v| v["id"].as_u64())
        .unwrap_or(0)
}

/// Opens a WebSocket and pumps it: writes from `tx`, messages to `rx`.
pub async fn open(
    url: String,
    proto: Arc<dyn Protocol>,
    first: Vec<WsMsg>,
) -> anyhow::Result<(Conn, mpsc::UnboundedReceiver<Answer>)> {
    let (url, opening) = proto.opening(&url);
    // tungstenite zero-fills its whole read buffer on every read (tungstenite-rs #547): with
    // the default 128 KiB that memset was half of this generator's CPU (perf, fan-out at
    // 5,000 msg/s), a core the servers under test could not use. Frames here are small; a
    // larger one is still read, in several chunks. The server sets the same (ws/mod.rs).
    // `true`: TCP_NODELAY, as a browser sets it: a small frame is not held back by Nagle.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
    let (mut sink, mut stream) = ws.split();
    if let Some(f) = opening {
        sink.send(f).await?;
    }
    // Speak only after the server's greeting (Chatix `ready`, Engine.IO's open packet):
    // the Socket.IO server drops a connection whose first frames arrive before it.
    match stream.next().await {
        Some(Ok(WsMsg::Text(_))) => {}
        other => anyhow::bail!("no greeting from the server: {other:?}"),
    }
    if let Some((hello, reply)) = proto.handshake() {
        sink.send(WsMsg::Text(hello.into())).await?;
        loop {
            match stream.next().await {
                Some(Ok(WsMsg::Text(t))) if t.starts_with(reply) => break,
                Some(Ok(_)) => continue,
                other => anyhow::bail!("handshake refused: {other:?}"),
            }
        }
    }
    let (tx, mut out) = mpsc::unbounded_channel::<WsMsg>();
    let (msg_tx, rx) = mpsc::unbounded_channel();
    let (ack_tx, acks) = mpsc::unbounded_channel();
    for f in first {
        sink.send(f).await?;
    }
    tokio::spawn(async move {
        while let Some(f) = out.recv().await {
            if sink.send(f).await.is_err() {
                break;
            }
        }
    });
    let reply = tx.clone();
    tokio::spawn(async move {
        let debug = std::env::var_os("LOADGEN_DEBUG").is_some();
        while let Some(m) = stream.next().await {
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    if debug {
                        eprintln!("[loadgen] socket error: {e}");
                    }
                    break;
                }
            };
            if debug {
                eprintln!("[loadgen] < {m:?}");
            }
            if let WsMsg::Text(t) = m {
                if proto.is_ack(&t) {
                    let _ = ack_tx.send(Ok(()));
                } else if proto.is_refusal(&t) {
                    REFUSED.fetch_add(1, Ordering::Relaxed);
                    let _ = ack_tx.send(Err(frame_id(&t)));
                } else if let Some(x) = proto.receive(&t, &reply) {
                    let _ = msg_tx.send(x);
                }
            }
        }
    });
    Ok((Conn { tx, rx }, acks))
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

async fn fanout(args: &Args) -> anyhow::Result<()> {
    let rates: Vec<f64> = args
        .rates
        .split(',')
        .filter_map(|r| r.trim().parse().ok())
        .collect();
    let nodes: Vec<&str> = args.url.split(',').map(str::trim).collect();
    let first = nodes[0];
    let mut setup = match args.target {
        Target::Chatix => chatix::setup(first, &args.secret, args.rooms, args.members).await?,
        Target::Socketio => socketio::setup(first, args.rooms, args.members),
    };
    // Spread the sockets over the nodes: member m of room r goes to node (r + m) mod n.
    let authority = |u: &str| u.trim_start_matches("http://").to_owned();
    for (r, room) in setup.urls.iter_mut().enumerate() {
        for (m, url) in room.iter_mut().enumerate() {
            let node = nodes[(r + m) % nodes.len()];
            *url = url.replacen(&authority(first), &authority(node), 1);
        }
    }
    let proto = setup.proto.clone();
    // Every member connects and joins its room; member 0 of each room publishes.
    let steps = rates.len();
    let mut receivers = Vec::new();
    let mut publishers = Vec::new();
    let connected = Arc::new(AtomicU64::new(0));
    let mut opening = Vec::new();
    for (r, room) in setup.rooms.iter().enumerate() {
        for m in 0..args.members {
            let url = setup.url_for(r, m);
            let (proto, room) = (proto.clone(), room.clone());
            let connected = connected.clone();
            opening.push(tokio::spawn(async move {
                let first = vec![proto.join(&room)];
                let res = open(url, proto, first).await;
                connected.fetch_add(1, Ordering::Relaxed);
                (r, m, res)
            }));
            if opening.len() % 200 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    for o in opening {
        let (r, m, res) = o.await?;
        let (conn, _acks) = res?;
        if m == 0 {
            publishers.push((r, conn.tx));
            receivers.push((r, m, conn.rx, true));
        } else {
            receivers.push((r, m, conn.rx, false));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // joins settle
    let done = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (_, m, mut rx, _) in receivers {
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut hs: Vec<Histogram<u64>> = (0..steps).map(|_| hist()).collect();
            loop {
                let next = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await;
                match next {
                    Ok(Some((_, text))) => {
                        // the publisher (member 0) does not count its own echo
                        if let (Some((step, t, _)), true) = (parse_payload(&text), m != 0) {
                            if step < hs.len() {
                                let _ = hs[step].record(now_us().saturating_sub(t).max(1));
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        if done.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                }
            }
            hs
        }));
    }
    let rooms = publishers.len().max(1);
    // With --pid: the server's resident memory after each step (the soak's curve).
    let mut step_rss: Vec<u64> = Vec::new();
    let mut step_refused: Vec<u64> = Vec::new();
    REFUSED.store(0, Ordering::Relaxed);
    for (step, rate) in rates.iter().enumerate() {
        let per_room = rate / rooms as f64;
        let interval = Duration::from_secs_f64(1.0 / per_room.max(0.001));
        let end = Instant::now() + Duration::from_secs_f64(args.seconds);
        let sent = Arc::new(AtomicU64::new(0));
        let mut pubs = Vec::new();
        // Publishers start evenly spread over one interval, so that the rate is a steady
        // stream: started together, 200 rooms at 1,000 msg/s were 200-message bursts five
        // times a second, and every message's latency included the wait behind its burst.
        let start = tokio::time::Instant::now();
        let n_pubs = publishers.len().max(1) as u32;
        for (i, (_, tx)) in publishers.iter().enumerate() {
            let (tx, proto, room, sent) = (
                tx.clone(),
                proto.clone(),
                setup.rooms[i].clone(),
                sent.clone(),
            );
            let first = start + interval * i as u32 / n_pubs;
            pubs.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval_at(first, interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut seq = 0u64;
                while Instant::now() < end {
                    tick.tick().await;
                    seq += 1;
                    if tx.send(proto.send(&room, &payload(step, 0), seq)).is_err() {
                        break;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for p in pubs {
            p.await?;
        }
        // let the tail drain before the next step
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let refused = REFUSED.swap(0, Ordering::Relaxed);
        step_refused.push(refused);
        eprintln!(
            "[loadgen] step {step}: {rate} msg/s sent {} refused {refused}",
            sent.load(Ordering::Relaxed)
        );
        STEP_SENT
            .lock()
            .map(|mut v| v.push(sent.load(Ordering::Relaxed)))
            .ok();
        if args.pid != 0 {
            step_rss.push(rss_kb(args.pid));
        }
    }
    done.store(true, Ordering::Relaxed);
    let mut merged: Vec<Histogram<u64>> = (0..steps).map(|_| hist()).collect();
    for t in tasks {
        let hs = t.await?;
        for (i, h) in hs.iter().enumerate() {
            merged[i].add(h)?;
        }
    }
    let sent = STEP_SENT.lock().map(|v| v.clone()).unwrap_or_default();
    for (i, rate) in rates.iter().enumerate() {
        let h = &merged[i];
        let delivered = h.len();
        println!(
            "{}",
            json!({
                "mode": "fanout", "target": format!("{:?}", args.target).to_lowercase(), "label": args.label,
                "rooms": args.rooms, "members": args.members, "rate": rate, "seconds": args.seconds,
                "sent": sent.get(i).copied().unwrap_or(0), "delivered": delivered,
                "refused": step_refused.get(i).copied().unwrap_or(0),
                "deliveredPerSec": delivered as f64 / args.seconds,
                "expectedDeliveries": sent.get(i).copied().unwrap_or(0) * (args.members as u64 - 1),
                "p50Ms": h.value_at_quantile(0.5) as f64 / 1000.0,
                "p99Ms": h.value_at_quantile(0.99) as f64 / 1000.0,
                "p999Ms": h.value_at_quantile(0.999) as f64 / 1000.0,
                "connections": connected.load(Ordering::Relaxed), "nodes": nodes.len(),
                "rssKb": step_rss.get(i).copied().unwrap_or(0),
            })
        );
    }
    Ok(())
}

static STEP_SENT: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn conns(args: &Args) -> anyhow::Result<()> {
    let setup = match args.target {
        Target::Chatix => chatix::setup(&args.url, &args.secret, 1, 1).await?,
        Target::Socketio => socketio::setup(&args.url, 1, 1),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kb(args.pid);
    let mut held = Vec::with_capacity(args.connections);
    let mut failed = 0usize;
    let started = Instant::now();
    let mut batch = Vec::new();
    for i in 0..args.connections {
        let url = setup.url_for(0, 0);
        let proto = setup.proto.clone();
        batch.push(tokio::spawn(
            async move { open(url, proto, Vec::new()).await },
        ));
        if batch.len() == 500 || i + 1 == args.connections {
            for b in batch.drain(..) {
                match b.await? {
                    Ok(c) => held.push(c),
                    Err(_) => failed += 1,
                }
            }
        }
    }
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kb(args.pid);
    let n = held.len() as f64;
    println!(
        "{}",
        json!({
            "mode": "conns", "target": format!("{:?}", args.target).to_lowercase(), "label": args.label,
            "requested": args.connections, "open": held.len(), "failed": failed, "openSeconds": open_secs,
            "rssBeforeKb": before, "rssAfterKb": after,
            "bytesPerConnection": if n > 0.0 { (after.saturating_sub(before) as f64 * 1024.0) / n } else { 0.0 },
        })
    );
    drop(held);
    Ok(())
}

async fn writes(args: &Args) -> anyhow::Result<()> {
    let setup = chatix::setup(&args.url, &args.secret, 1, args.connections).await?;
    let proto = setup.proto.clone();
    let total = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for m in 0..args.connections {
        let (url, proto, room, total) = (
            setup.url_for(0, m),
            proto.clone(),
            setup.rooms[0].clone(),
            total.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (conn, mut acks) = open(url, proto.clone(), vec![]).await?;
            let mut seq = 0u64;
            let window = 4; // a few sends in flight per connection
            for _ in 0..window {
                seq += 1;
                conn.tx
                    .send(proto.send(&room, &format!("w{m}-{seq}"), seq))?;
            }
            while Instant::now() < end {
                let resend = |id: u64| -> anyhow::Result<()> {
                    conn.tx.send(proto.send(&room, &format!("w{m}-{id}"), id))?;
                    Ok(())
                };
                if one_ack(&mut acks, resend).await.is_err() {
                    break;
                }
                total.fetch_add(1, Ordering::Relaxed);
                seq += 1;
                conn.tx
                    .send(proto.send(&room, &format!("w{m}-{seq}"), seq))?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let n = total.load(Ordering::Relaxed);
    println!(
        "{}",
        json!({
            "mode": "writes", "target": "chatix", "label": args.label, "connections": args.connections,
            "seconds": args.seconds, "acked": n, "perSec": n as f64 / args.seconds,
        })
    );
    Ok(())
}

/// The text of published message `i`: about the length of a typical chat line.
fn chat_line(i: usize) -> String {
    format!("message {i:06}: the quick brown fox jumps over the lazy dog, again")
}

/// `publish`: `messages` messages into one existing room from `connections` sockets, as fast
/// as the server takes them (Chatix: 32 in flight per socket, the next after each ack;
/// Socket.IO: written back to back, it has no acks). For the SDK bench.
async fn publish(args: &Args) -> anyhow::Result<()> {
    let k = args.connections.max(1);
    let setup = match args.target {
        Target::Chatix => chatix::publishers(&args.url, &args.secret, &args.room, k).await?,
        Target::Socketio => socketio::setup(&args.url, 1, k),
    };
    let started = Instant::now();
    let text_bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..k {
        let (url, proto, room, target) = (
            setup.url_for(0, c),
            setup.proto.clone(),
            args.room.clone(),
            args.target,
        );
        let text_bytes = text_bytes.clone();
        let mine: Vec<usize> = (c..args.messages).step_by(k).collect();
        tasks.push(tokio::spawn(async move {
            let (conn, mut acks) = open(url, proto.clone(), Vec::new()).await?;
            let window = if target == Target::Chatix {
                32
            } else {
                usize::MAX
            };
            let mut in_flight = 0usize;
            let mut acked = 0usize;
            let resend = |id: u64| -> anyhow::Result<()> {
                if let Some(i) = usize::try_from(id)
                    .ok()
                    .and_then(|id| mine.get(id.wrapping_sub(1)))
                {
                    conn.tx.send(proto.send(&room, &chat_line(*i), id))?;
                }
                Ok(())
            };
            for (n, i) in mine.iter().enumerate() {
                if in_flight >= window {
                    one_ack(&mut acks, resend).await?;
                    in_flight -= 1;
                    acked += 1;
                }
                let text = chat_line(*i);
                text_bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                conn.tx.send(proto.send(&room, &text, n as u64 + 1))?;
                in_flight += 1;
            }
            if target == Target::Chatix {
                while acked < mine.len() {
                    one_ack(&mut acks, resend).await?;
                    acked += 1;
                }
            } else {
                // no acks in Socket.IO's protocol here: give the writer time to flush
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "mode": "publish", "target": format!("{:?}", args.target).to_lowercase(),
            "messages": args.messages, "seconds": secs, "perSec": args.messages as f64 / secs,
            "textBytes": text_bytes.load(Ordering::Relaxed),
        })
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.mode {
        Mode::Fanout => fanout(&args).await,
        Mode::Conns => conns(&args).await,
        Mode::Writes => writes(&args).await,
        Mode::Publish => publish(&args).await,
    }
}

/// Rooms and connection URLs prepared for a run.
pub struct Setup {
    /// Protocol adapter.
    pub proto: Arc<dyn Protocol>,
    /// Room ids (or names).
    pub rooms: Vec<String>,
    /// Per room, per member: the socket URL.
    pub urls: Vec<Vec<String>>,
}

impl Setup {
    /// The URL member `m` of room `r` connects with.
    pub fn url_for(&self, r: usize, m: usize) -> String {
        self.urls[r.min(self.urls.len() - 1)][m.min(self.urls[0].len() - 1)].clone()
    }
}
