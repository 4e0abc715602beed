//! Overload shedding: past what the writer can store in time, sends are refused at once
//! with `rate_limited` (nothing stored) instead of queueing; what is acknowledged is stored
//! exactly once, what is refused not at all, and a retry with the same client id later
//! stores it once.

mod common;

use chatix_protocol::ServerFrame;
use chatix_server::store::Audience;
use common::{TestServer, Ws};
use serde_json::json;
use std::collections::{HashMap, HashSet};

const WRITERS: usize = 12;
const EACH: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_writer_refuses_early_and_stores_exactly_what_it_acked() {
    // A small writer budget, so that a burst goes beyond it.
    let srv = TestServer::start_with(|c| {
        c.max_write_queue_ms = 1;
        c.max_pending_writes = 48;
    })
    .await;
    let room = srv.room("flood", "public").await;
    let mut tokens = Vec::new();
    for w in 0..WRITERS {
        tokens.push(srv.user(&format!("flooder{w}")).await.0);
    }
    let url = srv.url.clone();
    let mut tasks = Vec::new();
    for (w, token) in tokens.iter().enumerate() {
        let (url, token, room) = (url.clone(), token.clone(), room.clone());
        tasks.push(tokio::spawn(async move {
            let mut ws = Ws::connect(&url, &token).await;
            // Every send at once (pipelined), each with its own client id.
            for i in 0..EACH {
                let frame = json!({"type": "send", "id": i + 1, "chatId": room,
                    "message": {"text": format!("w{w}-{i}"), "clientId": format!("w{w}-{i}")}});
                ws.send_text(frame.to_string()).await;
            }
            let mut acked = Vec::new();
            let mut refused = Vec::new();
            let mut answered = 0;
            let mut last_id = 0;
            while answered < EACH {
                let f = ws.read().await.expect("socket open");
                match f {
                    ServerFrame::Ack { id, body } => {
                        assert!(id > last_id, "answers in frame order: {id} after {last_id}");
                        last_id = id;
                        let m = body.message.expect("a send's ack holds the message");
                        assert_eq!(
                            m.client_id.as_deref(),
                            Some(format!("w{w}-{}", id - 1).as_str())
                        );
                        acked.push(m.client_id.unwrap_or_default());
                        answered += 1;
                    }
                    ServerFrame::Error {
                        id: Some(id),
                        code,
                        message,
                        ..
                    } => {
                        assert!(id > last_id, "answers in frame order: {id} after {last_id}");
                        last_id = id;
                        assert_eq!(code.as_str(), "rate_limited", "{message}");
                        assert!(message.contains("retry"), "a retry hint: {message}");
                        refused.push(format!("w{w}-{}", id - 1));
                        answered += 1;
                    }
                    _ => {}
                }
            }
            (ws, acked, refused)
        }));
    }
    let mut sockets = Vec::new();
    let mut acked = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        let (ws, a, r) = t.await.unwrap();
        sockets.push(ws);
        acked.extend(a);
        refused.extend(r);
    }
    assert!(
        !refused.is_empty(),
        "a burst of {} sends over a 48-message budget refuses some",
        WRITERS * EACH
    );
    assert!(!acked.is_empty(), "and accepts some");
    assert_eq!(acked.len() + refused.len(), WRITERS * EACH);

    let stored = |srv: &TestServer| {
        let (store, room) = (srv.state().store.clone(), room.clone());
        async move {
            let ms = store
                .changes_since(&room, Audience { whispers: true }, 0, 100_000)
                .await
                .unwrap();
            let mut count: HashMap<String, usize> = HashMap::new();
            for m in ms {
                *count.entry(m.client_id.unwrap_or_default()).or_default() += 1;
            }
            count
        }
    };
    let count = stored(&srv).await;
    for c in &acked {
        assert_eq!(count.get(c), Some(&1), "acked {c} stored exactly once");
    }
    for c in &refused {
        assert_eq!(count.get(c), None, "refused {c} not stored");
    }
    assert_eq!(
        count.values().sum::<usize>(),
        acked.len(),
        "nothing else stored"
    );

    // The refused ones, retried one at a time with the same client ids (as the SDK's outbox
    // does), are stored once each; retrying an acked one stores nothing new.
    let refused_set: HashSet<&String> = refused.iter().collect();
    for c in refused.iter().chain(acked.iter().take(5)) {
        let w: usize = c[1..c.find('-').unwrap()].parse().unwrap();
        let f = sockets[w]
            .request(json!({"type": "send", "chatId": room, "message": {"text": c, "clientId": c}}))
            .await;
        match f {
            ServerFrame::Ack { body, .. } => {
                assert_eq!(body.duplicate, !refused_set.contains(c), "{c}");
            }
            other => panic!("a retry one at a time is accepted: {other:?}"),
        }
    }
    let count = stored(&srv).await;
    assert_eq!(count.len(), WRITERS * EACH, "every message stored");
    assert!(count.values().all(|&n| n == 1), "each exactly once");
    assert!(srv.state().writer.refused() >= refused.len() as u64);
}
