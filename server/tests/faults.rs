//! Faults: the server and the network misbehave; nothing acknowledged is lost, nothing
//! arrives twice, nothing arrives out of order.
//!
//! - a slow consumer is closed with 4008, the others do not notice, it resumes later;
//! - a flaky TCP proxy (seeded: `CHATIX_FAULT_SEED` replays a run) cuts every connection
//!   at random points while 5,000 messages flow through several chats;
//! - the server process is killed with SIGKILL while clients send, and restarted; the
//!   same with SIGTERM (graceful shutdown under load).
//!
//! The clients here are small resilient protocol clients, written like the SDK: they
//! resume each chat with `since` = the highest `rev` they hold, and they retry an
//! unacknowledged send with the same `clientId`.

mod common;

use chatix_protocol::ServerFrame;
use common::*;
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message as WsMsg;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(base: &str, token: &str) -> Option<Socket> {
    let url = format!("{}/v1/ws?token={token}", base.replace("http://", "ws://"));
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(url),
    )
    .await
    {
        Ok(Ok((s, _))) => Some(s),
        _ => None,
    }
}

/// What a resilient reader saw: per chat, (seq, rev, text) in arrival order.
#[derive(Default)]
struct Seen {
    per_chat: HashMap<String, Vec<(i64, i64, String)>>,
    reconnects: usize,
}

/// Reads `chats` through `base` until every chat holds `want` messages, reconnecting and
/// resuming (since = highest rev held) whenever the connection drops.
async fn read_all(base: String, token: String, chats: Vec<String>, want: usize) -> Seen {
    let mut seen = Seen::default();
    let mut since: HashMap<String, i64> = chats.iter().map(|c| (c.clone(), 0)).collect();
    let done = |seen: &Seen| {
        chats
            .iter()
            .all(|c| seen.per_chat.get(c).map_or(0, Vec::len) >= want)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !done(&seen) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reader did not finish"
        );
        let Some(mut ws) = connect(&base, &token).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let sub: Vec<Value> = chats
            .iter()
            .map(|c| json!({"chatId": c, "since": since[c]}))
            .collect();
        if ws
            .send(WsMsg::Text(
                json!({"type": "subscribe", "id": 1, "chats": sub})
                    .to_string()
                    .into(),
            ))
            .await
            .is_err()
        {
            seen.reconnects += 1;
            continue;
        }
        while !done(&seen) {
            let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await
            else {
                break;
            };
            let WsMsg::Text(t) = m else { continue };
            let f: ServerFrame = serde_json::from_str(&t).expect("the server sends valid frames");
            if let ServerFrame::Message { chat_id, message } = f {
                let last = since.get_mut(&chat_id).expect("only subscribed chats");
                *last = (*last).max(message.rev);
                seen.per_chat.entry(chat_id).or_default().push((
                    message.seq,
                    message.rev,
                    message.text,
                ));
            }
        }
        seen.reconnects += 1;
    }
    seen
}

/// Sends `texts` to `chat` one at a time through `base`; a send whose ack did not arrive
/// is sent again (same clientId) after reconnecting. Returns how many sends were retried.
async fn send_all(base: String, token: String, chat: String, texts: Vec<String>) -> usize {
    let mut retries = 0;
    let mut i = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    'conn: while i < texts.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sender did not finish"
        );
        let Some(mut ws) = connect(&base, &token).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        while i < texts.len() {
            let frame = json!({"type": "send", "id": i + 1, "chatId": chat,
                "message": {"text": texts[i], "clientId": texts[i].chars().take(64).collect::<String>()}});
            if ws
                .send(WsMsg::Text(frame.to_string().into()))
                .await
                .is_err()
            {
                retries += 1;
                continue 'conn;
            }
            loop {
                let Ok(Some(Ok(m))) =
                    tokio::time::timeout(Duration::from_secs(10), ws.next()).await
                else {
                    retries += 1;
                    continue 'conn;
                };
                let WsMsg::Text(t) = m else { continue };
                match serde_json::from_str::<ServerFrame>(&t).expect("valid frame") {
                    ServerFrame::Ack { id, .. } if id == i as u64 + 1 => break,
                    ServerFrame::Error {
                        id: Some(id),
                        code,
                        message,
                        ..
                    } if id == i as u64 + 1 => {
                        panic!("send {i} refused: {code:?} {message}")
                    }
                    _ => {}
                }
            }
            i += 1;
        }
    }
    retries
}

/// Asserts that `got` is exactly messages 1..=n of a chat, each once, in order.
fn assert_exact(chat: &str, got: &[(i64, i64, String)], texts: &[String]) {
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
async fn flaky_proxy(target: String, seed: u64) -> (String, Arc<AtomicU64>) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_network_loses_and_doubles_nothing() {
    let seed: u64 = std::env::var("CHATIX_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261123);
    eprintln!("flaky network seed {seed} (set CHATIX_FAULT_SEED to replay)");
    let srv = TestServer::start().await;
    let (proxy, cuts) = flaky_proxy(srv.url.trim_start_matches("http://").to_owned(), seed).await;
    const CHATS: usize = 5;
    const PER_CHAT: usize = 1_000; // 5,000 messages in all
    let mut chats = Vec::new();
    for c in 0..CHATS {
        chats.push(srv.room(&format!("flaky {c}"), "public").await);
    }
    // Readers: each follows three of the five chats.
    let mut readers = Vec::new();
    for r in 0..4 {
        let (token, _) = srv.user(&format!("reader{r}")).await;
        let mine: Vec<String> = (0..3).map(|k| chats[(r + k) % CHATS].clone()).collect();
        readers.push((
            mine.clone(),
            tokio::spawn(read_all(proxy.clone(), token, mine, PER_CHAT)),
        ));
    }
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut senders = Vec::new();
    for (c, chat) in chats.iter().enumerate() {
        let (token, _) = srv.user(&format!("sender{c}")).await;
        let t: Vec<String> = (0..PER_CHAT).map(|i| format!("c{c}-m{i:04}")).collect();
        texts.insert(chat.clone(), t.clone());
        senders.push(tokio::spawn(send_all(
            proxy.clone(),
            token,
            chat.clone(),
            t,
        )));
    }
    let mut retried = 0;
    for s in senders {
        retried += s.await.unwrap();
    }
    let mut checked = 0;
    let mut reconnects = 0;
    for (mine, r) in readers {
        let seen = r.await.unwrap();
        reconnects += seen.reconnects;
        for chat in &mine {
            let got = seen.per_chat.get(chat).map(Vec::as_slice).unwrap_or(&[]);
            assert_exact(chat, got, &texts[chat]);
            checked += got.len();
        }
    }
    // What is stored: every chat exactly once per message (retries did not duplicate).
    for chat in &chats {
        let (s, v) = srv
            .get(&format!("/v1/chats/{chat}/messages?page=1"), &srv.secret)
            .await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        assert_eq!(
            v["totalMessages"],
            json!(PER_CHAT),
            "{chat} stores each message once"
        );
    }
    let cuts = cuts.load(Ordering::Relaxed);
    eprintln!(
        "flaky network: {cuts} connections cut, {reconnects} reader reconnects, {retried} sends retried, {checked} deliveries checked"
    );
    assert!(cuts >= 20, "the proxy really cut connections ({cuts})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_cut_off_others_are_not_and_it_resumes() {
    let srv = TestServer::start_with(|c| c.connection_queue = 64).await;
    let room = srv.room("slow", "public").await;
    let (fast_token, _) = srv.user("fast").await;
    let (slow_token, _) = srv.user("slow").await;
    let (sender_token, _) = srv.user("sender").await;
    let mut fast = srv.ws(&fast_token).await;
    assert!(is_ack(&fast.subscribe(&room, Some(0)).await));
    let mut slow = srv.ws(&slow_token).await;
    assert!(is_ack(&slow.subscribe(&room, Some(0)).await));
    // `slow` now stops reading. Big messages fill the socket buffers quickly.
    const N: usize = 1_500;
    let body = "x".repeat(3_000);
    let texts: Vec<String> = (0..N).map(|i| format!("{i:05} {body}")).collect();
    let sender = tokio::spawn(send_all(
        srv.url.clone(),
        sender_token,
        room.clone(),
        texts.clone(),
    ));
    let mut got = Vec::new();
    while got.len() < N {
        if let ServerFrame::Message { message, .. } = fast.next().await {
            got.push((message.seq, message.rev, message.text));
        }
    }
    assert_exact(&room, &got, &texts);
    assert_eq!(sender.await.unwrap(), 0, "the sender never had to retry");
    // The slow socket was closed as a slow consumer (after what was queued).
    assert_eq!(slow.read_close_code().await, Some(4008));
    // It comes back and resumes from what it holds (nothing: it read nothing).
    let seen = read_all(srv.url.clone(), slow_token, vec![room.clone()], N).await;
    assert_exact(&room, &seen.per_chat[&room], &texts);
}

/// A server process on a fixed port and data folder, so it can be killed and restarted.
struct Process {
    child: Option<tokio::process::Child>,
    dir: std::path::PathBuf,
}

impl Process {
    async fn start(url: &str, dir: &std::path::Path) -> Process {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chatix-server"))
            .args([
                "--listen",
                url.trim_start_matches("http://"),
                "--data-dir",
                dir.to_str().unwrap(),
                "--frames-per-second",
                "10000",
                "--frame-burst",
                "10000",
                "--requests-per-second",
                "10000",
                "--request-burst",
                "10000",
            ])
            .env("CHATIX_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("server binary runs");
        let http = reqwest::Client::new();
        for _ in 0..400 {
            if let Ok(r) = http.get(format!("{url}/healthz")).send().await {
                if r.status().is_success() {
                    return Process {
                        child: Some(child),
                        dir: dir.to_owned(),
                    };
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not start");
    }

    async fn sigkill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.start_kill().unwrap();
            c.wait().await.unwrap();
        }
    }

    /// SIGTERM: the server's graceful shutdown (in-flight writes finish, sockets get 1001).
    async fn sigterm(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = c.id().expect("running").to_string();
            let ok = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success();
            assert!(ok, "kill -TERM {pid}");
            let status = tokio::time::timeout(Duration::from_secs(20), c.wait())
                .await
                .expect("graceful shutdown within 20 s")
                .unwrap();
            assert!(status.success(), "a graceful shutdown exits 0: {status}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_clients_send_loses_no_acknowledged_message() {
    restarts_while_clients_send(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restarts_under_load_lose_nothing() {
    restarts_while_clients_send(true).await;
}

/// Three senders and a reader while the server is stopped twice (SIGKILL, or SIGTERM for a
/// graceful shutdown) and restarted on the same port and data.
async fn restarts_while_clients_send(graceful: bool) {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let mut node = Process::start(&url, dir.path()).await;
    let demo: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("demo.json")).unwrap()).unwrap();
    let secret = demo["secretKey"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let admin = |method: reqwest::Method, path: String, body: Value| {
        http.request(method, format!("{url}{path}"))
            .bearer_auth(&secret)
            .json(&body)
            .send()
    };
    let room: Value = admin(
        reqwest::Method::POST,
        "/v1/chats/group".into(),
        json!({"name": "crash", "visibility": "public"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let room = room["id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for name in ["s0", "s1", "s2", "reader"] {
        let v: Value = admin(
            reqwest::Method::POST,
            "/v1/admin/tokens".into(),
            json!({"username": name}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    // Three senders of 400 messages each; the reader follows the chat throughout.
    const PER_SENDER: usize = 400;
    let reader = tokio::spawn(read_all(
        url.clone(),
        tokens[3].clone(),
        vec![room.clone()],
        3 * PER_SENDER,
    ));
    let mut senders = Vec::new();
    for (s, token) in tokens.iter().take(3).enumerate() {
        let texts: Vec<String> = (0..PER_SENDER).map(|i| format!("s{s}-{i:04}")).collect();
        senders.push(tokio::spawn(send_all(
            url.clone(),
            token.clone(),
            room.clone(),
            texts,
        )));
    }
    // Kill the server twice while they send; restart it on the same port and data.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        if graceful {
            node.sigterm().await;
        } else {
            node.sigkill().await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        node = Process::start(&url, &node.dir.clone()).await;
    }
    let mut retried = 0;
    for s in senders {
        retried += s.await.unwrap();
    }
    let seen = reader.await.unwrap();
    let got = &seen.per_chat[&room];
    // Each message once, seqs 1..=n in order, each sender's messages in its own order.
    let seqs: Vec<i64> = got.iter().map(|m| m.0).collect();
    assert_eq!(seqs, (1..=(3 * PER_SENDER) as i64).collect::<Vec<_>>());
    for s in 0..3 {
        let mine: Vec<&str> = got
            .iter()
            .map(|m| m.2.as_str())
            .filter(|t| t.starts_with(&format!("s{s}-")))
            .collect();
        let want: Vec<String> = (0..PER_SENDER).map(|i| format!("s{s}-{i:04}")).collect();
        assert_eq!(mine, want.iter().map(String::as_str).collect::<Vec<_>>());
    }
    eprintln!(
        "restarts: 2 {}, {retried} sends retried, {} reader reconnects, {} messages checked",
        if graceful { "SIGTERMs" } else { "SIGKILLs" },
        seen.reconnects,
        got.len()
    );
    assert!(
        seen.reconnects >= 2,
        "the reader really lost its connection"
    );
    node.sigkill().await;
}
