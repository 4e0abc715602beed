//! Faults: the server and the network misbehave; nothing acknowledged is lost, nothing
//! arrives twice, nothing arrives out of order.
//!
//! - a slow consumer is closed with 4008, the others do not notice, it resumes later;
//! - a flaky TCP proxy (seeded: `CHATIX_FAULT_SEED` replays a run) cuts every connection
//!   at random points while 5,000 messages flow through several chats;
//! - the server process is killed with SIGKILL while clients send, and restarted; the
//!   same with SIGTERM (graceful shutdown under load);
//! - SIGKILL at seeded random moments while group commits of up to 256 messages are being
//!   written: acknowledged == stored, each once, seqs contiguous.
//!
//! The clients are the SDK's own core (`chatix_core::core::Core`: resume, dedupe, outbox)
//! under the small tokio driver of `common/resilient.rs`. The same faults against a
//! three-node cluster are in `cluster.rs`.

mod common;

use chatix_protocol::ServerFrame;
use common::process::{free_url, ServerProcess};
use common::resilient::{
    assert_exact, assert_senders_in_order, fault_seed, flaky_proxy, read_all, send_all,
};
use common::*;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_network_loses_and_doubles_nothing() {
    let seed = fault_seed();
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
            tokio::spawn(read_all(vec![proxy.clone()], token, mine, PER_CHAT)),
        ));
    }
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut senders = Vec::new();
    for (c, chat) in chats.iter().enumerate() {
        let (token, _) = srv.user(&format!("sender{c}")).await;
        let t: Vec<String> = (0..PER_CHAT).map(|i| format!("c{c}-m{i:04}")).collect();
        texts.insert(chat.clone(), t.clone());
        senders.push(tokio::spawn(send_all(
            vec![proxy.clone()],
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
        vec![srv.url.clone()],
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
    let seen = read_all(vec![srv.url.clone()], slow_token, vec![room.clone()], N).await;
    assert_exact(&room, &seen.per_chat[&room], &texts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_clients_send_loses_no_acknowledged_message() {
    restarts_while_clients_send(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restarts_under_load_lose_nothing() {
    restarts_while_clients_send(true).await;
}

/// SIGTERM while one client has a long pipeline of sends: the server finishes what it is
/// storing and acknowledges exactly what it stored before it closes with 1001; a client that
/// resends everything after the restart (as the SDK's outbox does) stores each message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_acknowledges_exactly_what_it_stored() {
    let dir = tempfile::tempdir().unwrap();
    let url = free_url();
    let mut node = ServerProcess::start(&url, dir.path(), &[]).await;
    let room = node.room("drain").await;
    let token = node.token("piper").await;
    const N: u64 = 3_000;
    let frame = |i: u64| {
        json!({"type": "send", "id": i, "chatId": room,
            "message": {"text": format!("m{i:05}"), "clientId": format!("c{i}")}})
        .to_string()
    };
    let mut ws = Ws::connect(&url, &token).await;
    for i in 1..=N {
        ws.send_text(frame(i)).await;
    }
    let ((frames, close), ()) = tokio::join!(ws.read_until_close(), node.sigterm());
    let mut acked = Vec::new();
    for f in &frames {
        match f {
            ServerFrame::Ack { id, .. } => acked.push(*id),
            ServerFrame::Error { .. } => panic!("a send failed during the shutdown: {f:?}"),
            _ => {}
        }
    }
    let k = acked.len() as u64;
    assert_eq!(close, Some(1001), "closed with going-away");
    assert_eq!(
        acked,
        (1..=k).collect::<Vec<_>>(),
        "acks in order, none skipped"
    );
    assert!(
        k > 0 && k < N,
        "the shutdown came mid-pipeline ({k} of {N} acknowledged)"
    );
    node.restart().await;
    let before = node
        .admin(
            reqwest::Method::GET,
            &format!("/v1/chats/{room}/messages?page=1"),
            Value::Null,
        )
        .await;
    assert_eq!(
        before["totalMessages"],
        json!(k),
        "stored exactly what was acknowledged"
    );
    let newest = before["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .max()
        .map(str::to_owned);
    assert_eq!(
        newest,
        Some(format!("m{k:05}")),
        "the newest stored is the last acked"
    );
    // The client resends everything with the same clientIds: nothing is stored twice.
    let mut ws = Ws::connect(&url, &token).await;
    for i in 1..=N {
        let f = ws.request(serde_json::from_str(&frame(i)).unwrap()).await;
        assert!(is_ack(&f), "{f:?}");
    }
    assert_eq!(
        node.total_messages(&room).await,
        json!(N),
        "each message stored once"
    );
    eprintln!("graceful shutdown: {k} of {N} pipelined sends stored and acknowledged before 1001, the rest stored once on resend");
    node.sigkill().await;
}

/// Three senders and a reader while the server is stopped twice (SIGKILL, or SIGTERM for a
/// graceful shutdown) and restarted on the same port and data.
/// SIGKILL while group commits of up to 256 messages are being written, at seeded random
/// points of the message stream (never after it has ended), six times: every acknowledged
/// message is stored, each message once (client-id retries included), and the chat's
/// sequence numbers are 1..n without a gap.
/// The kill-and-restart tests count reconnects and in-flight sends, which another heavy
/// test beside them (cargo runs a file's tests two at a time here) can starve: one at a time.
static RESTARTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_group_commits_loses_and_doubles_nothing() {
    use rand::{Rng, SeedableRng};
    let _one_at_a_time = RESTARTS.lock().await;
    let seed = fault_seed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x0062_6174_6368);
    let dir = tempfile::tempdir().unwrap();
    let url = free_url();
    let mut node = ServerProcess::start(&url, dir.path(), &[]).await;
    let room = node.room("batches").await;
    const SENDERS: usize = 6;
    const PER_SENDER: usize = 800;
    const WINDOW: usize = 64; // 6 x 64 = 384 in flight: batches fill to 256
    const TOTAL: usize = SENDERS * PER_SENDER;
    // Acknowledgements so far, over all senders. Each kill comes at a seeded point of the
    // stream, not of the clock: a fast run could otherwise finish every send before the
    // first kill (it did once), and a kill with nothing in flight tests nothing.
    let progress = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let token = node.token(&format!("batcher{s}")).await;
        let texts: Vec<String> = (0..PER_SENDER).map(|i| format!("b{s}-{i:04}")).collect();
        senders.push(tokio::spawn(common::resilient::send_windowed(
            vec![url.clone()],
            token,
            room.clone(),
            texts,
            WINDOW,
            progress.clone(),
        )));
    }
    const KILLS: usize = 6;
    // Kill k falls in the k-th of KILLS equal slices of the first 90% of the stream, at a
    // random place in it: the senders still have thousands of sends to make at each kill.
    let slice = TOTAL * 9 / 10 / KILLS;
    let mut kill_points = Vec::new();
    for k in 0..KILLS {
        let at = k * slice + rng.gen_range(slice / 4..slice);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while progress.load(Ordering::Relaxed) < at {
            assert!(
                tokio::time::Instant::now() < deadline,
                "senders stalled at {} acknowledgements, kill {k} waits for {at}",
                progress.load(Ordering::Relaxed)
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        kill_points.push(progress.load(Ordering::Relaxed));
        node.sigkill().await;
        node.restart().await;
    }
    let mut acked = HashSet::new();
    let mut resent = 0;
    for s in senders {
        let (ids, r) = s.await.unwrap();
        resent += r;
        for id in ids {
            assert!(acked.insert(id.clone()), "{id} acknowledged twice");
        }
    }
    assert_eq!(acked.len(), TOTAL, "every send settled");
    // Stored: read back the whole chat, oldest first.
    let stored = node.all_messages(&room).await;
    let mut texts = HashSet::new();
    for (i, m) in stored.iter().enumerate() {
        assert_eq!(m["seq"], json!(i as i64 + 1), "seqs contiguous");
        let t = m["text"].as_str().unwrap().to_owned();
        assert!(texts.insert(t.clone()), "{t} stored twice");
    }
    assert_eq!(texts, acked, "stored == acknowledged, each once");
    assert!(resent > 0, "no send was in flight at a kill");
    eprintln!(
        "batch kills: {KILLS} SIGKILLs at {kill_points:?} acknowledgements (seed {seed}), {} messages acknowledged and stored once, seqs 1..={} contiguous, {resent} sends written again",
        acked.len(),
        stored.len()
    );
    node.sigkill().await;
}

async fn restarts_while_clients_send(graceful: bool) {
    let _one_at_a_time = RESTARTS.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let url = free_url();
    let mut node = ServerProcess::start(&url, dir.path(), &[]).await;
    let room = node.room("crash").await;
    let mut tokens = Vec::new();
    for name in ["s0", "s1", "s2", "reader", "reader2"] {
        tokens.push(node.token(name).await);
    }
    // Three senders of 400 messages each; two members follow the chat throughout.
    const PER_SENDER: usize = 400;
    let readers: Vec<_> = tokens[3..]
        .iter()
        .map(|t| {
            tokio::spawn(read_all(
                vec![url.clone()],
                t.clone(),
                vec![room.clone()],
                3 * PER_SENDER,
            ))
        })
        .collect();
    let mut senders = Vec::new();
    for (s, token) in tokens.iter().take(3).enumerate() {
        let texts: Vec<String> = (0..PER_SENDER).map(|i| format!("s{s}-{i:04}")).collect();
        senders.push(tokio::spawn(send_all(
            vec![url.clone()],
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
        node.restart().await;
    }
    let mut retried = 0;
    for s in senders {
        retried += s.await.unwrap();
    }
    let mut checked = 0;
    let mut reconnects = Vec::new();
    for reader in readers {
        let seen = reader.await.unwrap();
        let got = &seen.per_chat[&room];
        assert_senders_in_order(got, 3, PER_SENDER);
        checked += got.len();
        reconnects.push(seen.reconnects);
    }
    // Stored once each: a retried send stored twice would be message 1,201, after what the
    // readers waited for.
    assert_eq!(node.total_messages(&room).await, json!(3 * PER_SENDER));
    eprintln!(
        "restarts: 2 {}, {retried} sends retried, reader reconnects {reconnects:?}, {checked} deliveries checked",
        if graceful { "SIGTERMs" } else { "SIGKILLs" },
    );
    assert!(
        reconnects.iter().all(|r| *r >= 2),
        "the readers really lost their connections"
    );
    if !graceful {
        // Three senders always waiting on an ack: a kill catches some of them unanswered.
        assert!(retried >= 1, "no send was in flight at a kill");
    }
    node.sigkill().await;
}
