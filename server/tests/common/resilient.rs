//! Resilient protocol clients for fault tests, written like the SDK: a reader resumes each
//! chat with `since` = the highest `rev` it holds, a sender retries an unacknowledged send
//! with the same `clientId`; and a seeded flaky TCP proxy that cuts connections.

use chatix_protocol::ServerFrame;
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

pub async fn connect(base: &str, token: &str) -> Option<Socket> {
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
pub struct Seen {
    pub per_chat: HashMap<String, Vec<(i64, i64, String)>>,
    pub reconnects: usize,
}

/// Reads `chats` until every chat holds `want` messages, reconnecting and resuming
/// (since = highest rev held) whenever the connection drops. Each connection goes to the
/// next of `bases` in turn (one base for a single server; several for a cluster, as a
/// load balancer would spread reconnects).
pub async fn read_all(bases: Vec<String>, token: String, chats: Vec<String>, want: usize) -> Seen {
    let mut seen = Seen::default();
    let mut since: HashMap<String, i64> = chats.iter().map(|c| (c.clone(), 0)).collect();
    let done = |seen: &Seen| {
        chats
            .iter()
            .all(|c| seen.per_chat.get(c).map_or(0, Vec::len) >= want)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut attempt = 0;
    while !done(&seen) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reader did not finish"
        );
        attempt += 1;
        let Some(mut ws) = connect(&bases[attempt % bases.len()], &token).await else {
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

/// Sends `texts` to `chat` one at a time; a send whose ack did not arrive is sent again
/// (same clientId) after reconnecting, to the next of `bases`. Returns how many sends
/// were retried.
pub async fn send_all(
    bases: Vec<String>,
    token: String,
    chat: String,
    texts: Vec<String>,
) -> usize {
    let mut retries = 0;
    let mut i = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut attempt = 0;
    'conn: while i < texts.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "sender did not finish"
        );
        attempt += 1;
        let Some(mut ws) = connect(&bases[attempt % bases.len()], &token).await else {
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
