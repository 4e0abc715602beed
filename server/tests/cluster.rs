//! Several server nodes sharing PostgreSQL and Redis, as separate processes on their own
//! ports: every client gets every message of its chats exactly once and in order while all
//! nodes take writes to the same chat; a node killed with SIGKILL loses nothing; a Redis
//! connection cut loses nothing; a flaky network in front of every node (clients
//! reconnecting to another node each time) loses and doubles nothing; a slow consumer on
//! one node is cut off without slowing the others, and resumes on another node; a node
//! whose clock is 10 minutes ahead (libfaketime) accepts the others' tokens, has its own
//! accepted, and orders messages by sequence number, not clock; PostgreSQL closed to new
//! connections with every node's connections killed, twice, loses and doubles nothing; a
//! Redis of the test's own killed for 60 s: each node serves its own clients meanwhile,
//! every reader ends with everything once in order, and presence converges afterwards.
//! Needs `CHATIX_TEST_DATABASE_URL` and
//! `CHATIX_TEST_REDIS_URL` (set by `.ci/run`); without them each test says SKIPPED.

mod common;

use chatix_protocol::ServerFrame;
use common::process::{free_url, ServerProcess};
use common::resilient::{
    assert_exact, assert_senders_in_order, fault_seed, flaky_proxy, read_all, send_all,
};
use common::{is_ack, Ws};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Cluster tests share Redis: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Cluster {
    db: String,
    base_db: String,
    redis: String,
    _dir: tempfile::TempDir,
    nodes: Vec<ServerProcess>,
    urls: Vec<String>,
    secret: String,
    http: reqwest::Client,
}

fn env_urls() -> Option<(String, String)> {
    match (
        std::env::var("CHATIX_TEST_DATABASE_URL"),
        std::env::var("CHATIX_TEST_REDIS_URL"),
    ) {
        (Ok(d), Ok(r)) => Some((d, r)),
        _ => {
            eprintln!(
                "SKIPPED cluster test: set CHATIX_TEST_DATABASE_URL and CHATIX_TEST_REDIS_URL"
            );
            None
        }
    }
}

fn with_db(base: &str, db: &str) -> String {
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    match base[scheme_end..].find('/') {
        Some(i) => format!("{}/{db}", &base[..scheme_end + i]),
        None => format!("{base}/{db}"),
    }
}

impl Cluster {
    async fn start(n: usize) -> Option<Cluster> {
        Cluster::start_with(n, &[]).await
    }

    /// `n` nodes on a fresh PostgreSQL database and the shared Redis, each given `extra`
    /// arguments too.
    async fn start_with(n: usize, extra: &[&str]) -> Option<Cluster> {
        Cluster::start_env(n, extra, |_| Vec::new()).await
    }

    /// As [`Self::start_with`], node `i` getting `env_of(i)` added to its environment.
    async fn start_env(
        n: usize,
        extra: &[&str],
        env_of: impl Fn(usize) -> Vec<(String, String)>,
    ) -> Option<Cluster> {
        let (_, redis) = env_urls()?;
        Cluster::launch(n, extra, env_of, redis).await
    }

    /// `n` nodes on a fresh PostgreSQL database and the Redis at `redis`.
    async fn start_on_redis(n: usize, redis: String) -> Option<Cluster> {
        Cluster::launch(n, &[], |_| Vec::new(), redis).await
    }

    async fn launch(
        n: usize,
        extra: &[&str],
        env_of: impl Fn(usize) -> Vec<(String, String)>,
        redis: String,
    ) -> Option<Cluster> {
        let (base_db, _) = env_urls()?;
        let db = format!("chatix_cluster_{}", chatix_server::util::random_hex(6));
        let admin = sqlx::PgPool::connect(&base_db)
            .await
            .expect("PostgreSQL reachable");
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = vec![
            "--database-url".into(),
            with_db(&base_db, &db),
            "--redis-url".into(),
            redis.clone(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut nodes = Vec::new();
        for i in 0..n {
            let node =
                ServerProcess::start_with_env(&free_url(), dir.path(), &args, env_of(i)).await;
            let h = node.health().await;
            assert_eq!(
                (h["storage"].as_str(), h["bus"].as_str()),
                (Some("postgres"), Some("redis"))
            );
            nodes.push(node);
        }
        Some(Cluster {
            db,
            base_db,
            redis,
            urls: nodes.iter().map(|n| n.url.clone()).collect(),
            secret: nodes[0].demo_secret(),
            nodes,
            _dir: dir,
            http: reqwest::Client::new(),
        })
    }

    async fn kill(&mut self, i: usize) {
        self.nodes[i].sigkill().await;
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.urls[0]))
            .bearer_auth(&self.secret);
        if !body.is_null() {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        r.json().await.unwrap()
    }

    /// How many live messages `chat` stores (`totalMessages` of its first page).
    async fn total_messages(&self, chat: &str) -> Value {
        self.admin(
            reqwest::Method::GET,
            &format!("/v1/chats/{chat}/messages?page=1"),
            Value::Null,
        )
        .await["totalMessages"]
            .clone()
    }

    /// Creates a group chat (`POST /v1/chats/group` with `body`); returns its id.
    async fn group(&self, body: Value) -> String {
        let v = self
            .admin(reqwest::Method::POST, "/v1/chats/group", body)
            .await;
        v["id"].as_str().expect("a chat id").to_owned()
    }

    async fn user(&self, name: &str) -> (String, String) {
        let v = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/tokens",
                json!({"username": name}),
            )
            .await;
        (
            v["token"].as_str().unwrap().to_owned(),
            v["user"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// A new chat of `reader` and `writer`, the reader on node `reader_node` subscribed
    /// from its start, and the writer on node 0 sending it `m0` to `m299` (20 ms pauses
    /// every `pause_every`): the chat, the reader's token, its socket and the writer.
    async fn stream_300(
        &self,
        name: &str,
        reader_node: usize,
        pause_every: usize,
    ) -> (String, String, Ws, tokio::task::JoinHandle<()>) {
        let (rt, _) = self.user("reader").await;
        let (wt, _) = self.user("writer").await;
        let room = self
            .group(json!({"name": name, "memberUsernames": ["reader", "writer"]}))
            .await;
        let mut reader = Ws::connect(&self.urls[reader_node], &rt).await;
        assert!(is_ack(&reader.subscribe(&room, Some(0)).await));
        let (url, r2) = (self.urls[0].clone(), room.clone());
        let writer = tokio::spawn(async move {
            let mut ws = Ws::connect(&url, &wt).await;
            for i in 0..300 {
                assert!(is_ack(
                    &ws.send_msg(&r2, json!({"text": format!("m{i}")})).await
                ));
                if i % pause_every == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
        (room, rt, reader, writer)
    }

    async fn stop(mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i).await;
        }
        let admin = sqlx::PgPool::connect(&self.base_db).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.db))
            .execute(&admin)
            .await;
    }
}

/// Reads message frames of `chat` until `n` distinct ones arrived; returns (rev, text) in
/// arrival order (duplicates included, so the caller can count them).
/// Waits for the writer of [`Cluster::stream_300`], then for the rest of its 300 messages
/// on `reader` (`got` holds those read so far): each once, in order, and nothing after.
async fn all_300_once(
    reader: &mut Ws,
    room: &str,
    writer: tokio::task::JoinHandle<()>,
    mut got: Vec<(i64, String)>,
) {
    writer.await.unwrap();
    collect(reader, room, 300, &mut got).await;
    assert!(
        !reader
            .sees_within(Duration::from_millis(300), |f| matches!(
                f,
                ServerFrame::Message { .. }
            ))
            .await
    );
    assert_once_in_order(&got, 300);
}

async fn collect(ws: &mut Ws, chat: &str, n: usize, got: &mut Vec<(i64, String)>) {
    let mut seen: HashSet<String> = got.iter().map(|(_, t)| t.clone()).collect();
    while seen.len() < n {
        let f = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("messages keep coming");
        if let ServerFrame::Message { chat_id, message } = f {
            if chat_id == chat {
                seen.insert(message.text.clone());
                got.push((message.rev, message.text));
            }
        }
    }
}

fn assert_once_in_order(got: &[(i64, String)], expected: usize) {
    let texts: HashSet<&String> = got.iter().map(|(_, t)| t).collect();
    assert_eq!(got.len(), expected, "no duplicates");
    assert_eq!(texts.len(), expected, "nothing missing");
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "in sequence order");
}

#[tokio::test]
async fn three_nodes_writing_to_one_chat_deliver_everything_once_in_order() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(c.user(&format!("u{i}")).await);
    }
    let room = c.group(json!({"name": "busy", "visibility": "private", "memberUsernames": (0..6).map(|i| format!("u{i}")).collect::<Vec<_>>()})).await;
    // readers spread over the three nodes
    let mut readers = Vec::new();
    for (i, (token, _)) in users.iter().enumerate() {
        let mut ws = Ws::connect(&c.urls[i % 3], token).await;
        assert!(is_ack(&ws.subscribe(&room, Some(0)).await));
        readers.push(ws);
    }
    // presence crosses nodes: user 0 is on node 0, asked on node 1
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen_on_1: Value = c
        .http
        .get(format!("{}/v1/users/{}", c.urls[1], users[0].1))
        .bearer_auth(&users[1].0)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen_on_1["presence"], "online",
        "a user online on node 0 is online for node 1"
    );
    // three writers, one per node, at the same time
    let mut writers = Vec::new();
    for (w, (url, (token, _))) in c.urls.iter().zip(&users).enumerate() {
        let (url, token, room) = (url.clone(), token.clone(), room.clone());
        writers.push(tokio::spawn(async move {
            let mut ws = Ws::connect(&url, &token).await;
            for i in 0..100 {
                let f = ws
                    .send_msg(&room, json!({"text": format!("w{w}-{i}")}))
                    .await;
                assert!(is_ack(&f), "{f:?}");
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    for (i, ws) in readers.iter_mut().enumerate() {
        let mut got = Vec::new();
        collect(ws, &room, 300, &mut got).await;
        assert!(
            !ws.sees_within(Duration::from_millis(300), |f| matches!(
                f,
                ServerFrame::Message { .. }
            ))
            .await,
            "reader {i}: nothing twice"
        );
        assert_once_in_order(&got, 300);
        let revs: Vec<i64> = got.iter().map(|g| g.0).collect();
        assert_eq!(
            revs,
            (1..=300).collect::<Vec<_>>(),
            "reader {i}: sequence numbers 1..=300, none skipped"
        );
    }
    c.stop().await;
}

#[tokio::test]
async fn a_killed_nodes_clients_resume_on_another_node() {
    let _serial = SERIAL.lock().await;
    let Some(mut c) = Cluster::start(3).await else {
        return;
    };
    let (room, rt, mut reader, writer) = c.stream_300("k", 2, 50).await;
    let mut got = Vec::new();
    collect(&mut reader, &room, 60, &mut got).await;
    c.kill(2).await; // SIGKILL the reader's node mid-stream
    let cursor = got.iter().map(|g| g.0).max().unwrap();
    let mut reader = Ws::connect(&c.urls[1], &rt).await;
    assert!(is_ack(&reader.subscribe(&room, Some(cursor)).await));
    all_300_once(&mut reader, &room, writer, got).await;
    c.stop().await;
}

#[tokio::test]
async fn a_cut_redis_connection_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(2).await else {
        return;
    };
    let (room, _, mut reader, writer) = c.stream_300("r", 1, 25).await;
    let mut got = Vec::new();
    collect(&mut reader, &room, 50, &mut got).await;
    // cut every subscriber connection Redis has (the nodes' fan-out links)
    let client = redis::Client::open(c.redis.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(killed >= 2, "both nodes' subscriptions were cut ({killed})");
    all_300_once(&mut reader, &room, writer, got).await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flaky_network_in_front_of_three_nodes_loses_and_doubles_nothing() {
    let _serial = SERIAL.lock().await;
    let seed = fault_seed();
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    // One flaky proxy per node; every client reconnects to the next node each time.
    let mut proxies = Vec::new();
    let mut counters = Vec::new();
    for (i, url) in c.urls.iter().enumerate() {
        let (p, cuts) = flaky_proxy(
            url.trim_start_matches("http://").to_owned(),
            seed + i as u64,
        )
        .await;
        proxies.push(p);
        counters.push(cuts);
    }
    let rotated = |k: usize| -> Vec<String> {
        (0..proxies.len())
            .map(|j| proxies[(k + j) % proxies.len()].clone())
            .collect()
    };
    const CHATS: usize = 5;
    const PER_CHAT: usize = 1_000; // 5,000 messages in all
    let mut chats = Vec::new();
    for k in 0..CHATS {
        chats.push(
            c.group(json!({"name": format!("flaky {k}"), "visibility": "public"}))
                .await,
        );
    }
    let mut readers = Vec::new();
    for r in 0..4 {
        let (token, _) = c.user(&format!("reader{r}")).await;
        let mine: Vec<String> = (0..3).map(|k| chats[(r + k) % CHATS].clone()).collect();
        readers.push((
            mine.clone(),
            tokio::spawn(read_all(rotated(r), token, mine, PER_CHAT)),
        ));
    }
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    let mut senders = Vec::new();
    for (k, chat) in chats.iter().enumerate() {
        let (token, _) = c.user(&format!("sender{k}")).await;
        let t: Vec<String> = (0..PER_CHAT).map(|i| format!("c{k}-m{i:04}")).collect();
        texts.insert(chat.clone(), t.clone());
        senders.push(tokio::spawn(send_all(rotated(k), token, chat.clone(), t)));
    }
    let mut retried = 0;
    for s in senders {
        retried += s.await.unwrap();
    }
    let (mut checked, mut reconnects) = (0, 0);
    for (mine, r) in readers {
        let seen = r.await.unwrap();
        reconnects += seen.reconnects;
        for chat in &mine {
            let got = seen.per_chat.get(chat).map(Vec::as_slice).unwrap_or(&[]);
            assert_exact(chat, got, &texts[chat]);
            checked += got.len();
        }
    }
    for chat in &chats {
        let v = c
            .admin(
                reqwest::Method::GET,
                &format!("/v1/chats/{chat}/messages?page=1"),
                Value::Null,
            )
            .await;
        assert_eq!(
            v["totalMessages"],
            json!(PER_CHAT),
            "{chat} stores each message once: {v}"
        );
    }
    let cuts: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    eprintln!(
        "flaky network, three nodes: {cuts:?} connections cut per node, {reconnects} reader reconnects, {retried} sends retried, {checked} deliveries checked"
    );
    assert!(
        cuts.iter().all(|&n| n >= 5),
        "every node's proxy really cut connections ({cuts:?})"
    );
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_on_one_node_is_cut_off_others_are_not_and_it_resumes() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start_with(3, &["--connection-queue", "64"]).await else {
        return;
    };
    let room = c
        .group(json!({"name": "slow", "visibility": "public"}))
        .await;
    let (fast_token, _) = c.user("fast").await;
    let (slow_token, _) = c.user("slow").await;
    let (sender_token, _) = c.user("sender").await;
    // The sender writes on node 0, the fast reader is on node 1, the slow one on node 2.
    let mut fast = Ws::connect(&c.urls[1], &fast_token).await;
    assert!(is_ack(&fast.subscribe(&room, Some(0)).await));
    let mut slow = Ws::connect(&c.urls[2], &slow_token).await;
    assert!(is_ack(&slow.subscribe(&room, Some(0)).await));
    // `slow` now stops reading. Big messages fill the socket buffers quickly.
    const N: usize = 1_500;
    let body = "x".repeat(3_000);
    let texts: Vec<String> = (0..N).map(|i| format!("{i:05} {body}")).collect();
    let sender = tokio::spawn(send_all(
        vec![c.urls[0].clone()],
        sender_token,
        room.clone(),
        texts.clone(),
    ));
    let mut got = Vec::new();
    while got.len() < N {
        let f = tokio::time::timeout(Duration::from_secs(20), fast.next())
            .await
            .expect("the fast reader keeps receiving");
        if let ServerFrame::Message { message, .. } = f {
            got.push((message.seq, message.rev, message.text));
        }
    }
    assert_exact(&room, &got, &texts);
    assert_eq!(sender.await.unwrap(), 0, "the sender never had to retry");
    assert_eq!(
        slow.read_close_code().await,
        Some(4008),
        "the slow socket was closed as a slow consumer"
    );
    // It comes back on another node and resumes everything (it had read nothing).
    let seen = read_all(vec![c.urls[1].clone()], slow_token, vec![room.clone()], N).await;
    assert_exact(&room, &seen.per_chat[&room], &texts);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_of_every_node_under_load_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(mut c) = Cluster::start(3).await else {
        return;
    };
    let room = c
        .group(json!({"name": "rolling", "visibility": "public"}))
        .await;
    let rotated = |k: usize| -> Vec<String> {
        (0..c.urls.len())
            .map(|j| c.urls[(k + j) % c.urls.len()].clone())
            .collect()
    };
    const PER_SENDER: usize = 400;
    let (rt, _) = c.user("reader").await;
    let reader = tokio::spawn(read_all(rotated(2), rt, vec![room.clone()], 3 * PER_SENDER));
    let mut senders = Vec::new();
    for s in 0..3 {
        let (token, _) = c.user(&format!("s{s}")).await;
        let texts: Vec<String> = (0..PER_SENDER).map(|i| format!("s{s}-{i:04}")).collect();
        senders.push(tokio::spawn(send_all(
            rotated(s),
            token,
            room.clone(),
            texts,
        )));
    }
    // SIGTERM each node in turn (graceful: in-flight writes finish), then start it again.
    for i in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.nodes[i].sigterm().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.nodes[i].restart().await;
    }
    let mut retried = 0;
    for s in senders {
        retried += s.await.unwrap();
    }
    let seen = reader.await.unwrap();
    let got = &seen.per_chat[&room];
    assert_senders_in_order(got, 3, PER_SENDER);
    eprintln!(
        "rolling restart of 3 nodes: {retried} sends retried, {} reader reconnects, {} messages checked",
        seen.reconnects,
        got.len()
    );
    c.stop().await;
}

/// The access cache across nodes: a member removed through one node, while connected to the
/// two others (each holding the chat and the membership in memory from earlier sends), is
/// refused on the next send on both, once they have told the client of the removal.
#[tokio::test]
async fn a_member_removed_through_one_node_is_refused_on_every_node() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let (token, _) = c.user("leaver").await;
    let room = c
        .group(json!({"name": "revocable", "visibility": "private", "memberUsernames": ["leaver"]}))
        .await;
    let send = |text: &str| json!({"type": "send", "chatId": room, "message": {"text": text}});
    let mut sockets = Vec::new();
    for url in &c.urls[1..] {
        let mut ws = Ws::connect(url, &token).await;
        for i in 0..3 {
            let f = ws.request(send(&format!("warm {i}"))).await;
            assert!(is_ack(&f), "{f:?}");
        }
        sockets.push(ws);
    }
    c.admin(
        reqwest::Method::POST,
        &format!("/v1/chats/{room}/members/remove"),
        json!({"usernames": ["leaver"]}),
    )
    .await;
    for (n, ws) in sockets.iter_mut().enumerate() {
        // the removal reaches the client through its node (over the bus)
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let ServerFrame::MembersRemoved { chat_id, .. } = ws.next().await {
                    if chat_id == room {
                        break;
                    }
                }
            }
        })
        .await
        .expect("the removal is announced on every node");
        let f = ws.request(send("after removal")).await;
        assert_eq!(
            common::error_code(&f).as_deref(),
            Some("not_found"),
            "node {}: {f:?}",
            n + 1
        );
    }
    let total = c
        .admin(
            reqwest::Method::GET,
            &format!("/v1/chats/{room}/messages?page=1"),
            Value::Null,
        )
        .await;
    assert_eq!(
        total["totalMessages"],
        json!(6),
        "nothing stored after the removal"
    );
    eprintln!("removed member refused on nodes 1 and 2 after the removal through node 0");
    c.stop().await;
}

/// A reaction made through one node reaches the other nodes' subscribers over the bus,
/// with who reacted and the new counts, and the reactor's own list only on the reactor's
/// sockets; without a database read on the receiving nodes.
#[tokio::test]
async fn a_reaction_through_one_node_reaches_every_node_with_its_own_list_for_the_reactor() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let (wt, writer) = c.user("poster").await;
    let (rt, reactor) = c.user("reactor").await;
    let room = c.group(json!({"name": "reacting", "visibility": "private", "memberUsernames": ["poster", "reactor"]})).await;
    let mut w = Ws::connect(&c.urls[1], &wt).await;
    let mut r = Ws::connect(&c.urls[2], &rt).await;
    assert!(is_ack(&w.subscribe(&room, Some(0)).await));
    assert!(is_ack(&r.subscribe(&room, Some(0)).await));
    let f = w.send_msg(&room, json!({"text": "react here"})).await;
    let ServerFrame::Ack { body, .. } = f else {
        panic!("{f:?}")
    };
    let mid = body.message.expect("the stored message").id;
    let before = fanout_reads(&c).await;
    let res = reqwest::Client::new()
        .put(format!(
            "{}/v1/chats/{room}/messages/{mid}/reactions/%F0%9F%91%8D",
            c.urls[0]
        ))
        .bearer_auth(&rt)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    for (ws, own) in [(&mut w, None), (&mut r, Some(vec!["👍".to_string()]))] {
        let f = tokio::time::timeout(
            Duration::from_secs(10),
            ws.next_matching(|f| matches!(f, ServerFrame::ReactionAdded { .. })),
        )
        .await
        .expect("the reaction reaches every node");
        let ServerFrame::ReactionAdded {
            message, user_id, ..
        } = f
        else {
            unreachable!()
        };
        assert_eq!(user_id, reactor);
        assert_eq!(message.reactions.get("👍"), Some(&1));
        assert_eq!(
            message.own_reactions, own,
            "own reactions for the reactor only"
        );
        assert_eq!(message.sender_id, writer);
    }
    assert_eq!(fanout_reads(&c).await - before, 0, "the bus carried it");
    c.stop().await;
}

/// A message published on one node reaches the other nodes' subscribers without a database
/// read: the bus carries it (`fanoutReads` in `/healthz` counts what rooms read).
#[tokio::test]
async fn other_nodes_fan_out_without_reading_the_database() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let (wt, _) = c.user("writer").await;
    let (r1, _) = c.user("reader1").await;
    let (r2, _) = c.user("reader2").await;
    let room = c.group(json!({"name": "quiet reads", "visibility": "private", "memberUsernames": ["writer", "reader1", "reader2"]})).await;
    let mut readers = vec![
        Ws::connect(&c.urls[1], &r1).await,
        Ws::connect(&c.urls[2], &r2).await,
    ];
    for ws in &mut readers {
        assert!(is_ack(&ws.subscribe(&room, Some(0)).await));
    }
    let before = fanout_reads(&c).await;
    const N: usize = 200;
    let mut w = Ws::connect(&c.urls[0], &wt).await;
    for i in 0..N {
        assert!(is_ack(
            &w.send_msg(&room, json!({"text": format!("m{i}")})).await
        ));
    }
    for ws in &mut readers {
        let mut got = Vec::new();
        collect(ws, &room, N, &mut got).await;
        assert_once_in_order(&got, N);
    }
    let grown = fanout_reads(&c).await - before;
    // Nothing polls the database: a read per message would be >= N, a periodic check one
    // per room every few seconds.
    assert_eq!(
        grown, 0,
        "database reads on the other nodes for {N} messages"
    );
    c.stop().await;
}

/// A message event lost on the bus, with nothing after it in its chat to show the gap,
/// still reaches the other node's subscriber: the publishing node's numbers jump at its
/// next event (here its `NodeAlive` heartbeat, within 5 s), and the other node's rooms
/// check the database once. No room polls in between.
#[tokio::test]
async fn a_lost_bus_event_is_recovered_from_the_gap_in_the_nodes_numbers() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start_with(2, &["--enable-test-hooks"]).await else {
        return;
    };
    let (wt, _) = c.user("writer").await;
    let (rt, _) = c.user("reader").await;
    let room = c.group(json!({"name": "lost event", "visibility": "private", "memberUsernames": ["writer", "reader"]})).await;
    let mut reader = Ws::connect(&c.urls[1], &rt).await;
    assert!(is_ack(&reader.subscribe(&room, Some(0)).await));
    let mut w = Ws::connect(&c.urls[0], &wt).await;
    // One message crosses normally, so node 1 knows node 0's numbers.
    assert!(is_ack(&w.send_msg(&room, json!({"text": "before"})).await));
    let mut got = Vec::new();
    collect(&mut reader, &room, 1, &mut got).await;
    let checks = |h: Value| {
        h["fanoutReadsByKind"]["check"]
            .as_u64()
            .expect("check count")
    };
    let checks_before = checks(c.nodes[1].health().await);
    let lose = c
        .http
        .post(format!("{}/v1/test/bus/lose", c.urls[0]))
        .json(&json!({"count": 1}))
        .send()
        .await
        .expect("test hook");
    assert_eq!(lose.status(), reqwest::StatusCode::NO_CONTENT);
    assert!(is_ack(
        &w.send_msg(&room, json!({"text": "lost on the bus"})).await
    ));
    let sent = tokio::time::Instant::now();
    collect(&mut reader, &room, 2, &mut got).await;
    assert_eq!(
        got.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["before", "lost on the bus"]
    );
    let waited = sent.elapsed();
    assert!(
        waited > Duration::from_millis(100),
        "delivered in {waited:?}: the event was not lost (the hook did nothing)"
    );
    assert!(
        waited < Duration::from_secs(8),
        "recovered only after {waited:?}"
    );
    assert!(
        checks(c.nodes[1].health().await) > checks_before,
        "node 1's room checked the database"
    );
    eprintln!("a lost bus event reached node 1 after {waited:?}");
    c.stop().await;
}

/// `fanoutReads` summed over every node but the first.
async fn fanout_reads(c: &Cluster) -> u64 {
    let mut n = 0;
    for node in c.nodes.iter().skip(1) {
        n += node.health().await["fanoutReads"]
            .as_u64()
            .expect("fanoutReads");
    }
    n
}

/// The demo website's public id (the nodes share the data folder's `demo.json`).
fn website_id(c: &Cluster) -> String {
    let demo: Value =
        serde_json::from_slice(&std::fs::read(c._dir.path().join("demo.json")).unwrap()).unwrap();
    demo["websiteId"].as_str().unwrap().to_owned()
}

/// libfaketime's multi-threaded library, if installed (`scripts/setup.sh` installs it).
fn libfaketime() -> Option<&'static str> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/faketime/libfaketimeMT.so.1",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test]
async fn a_node_ten_minutes_ahead_keeps_tokens_valid_and_order_by_sequence() {
    let _serial = SERIAL.lock().await;
    let Some(lib) = libfaketime() else {
        eprintln!(
            "SKIPPED clock-skew test: libfaketime is not installed (Debian package faketime)"
        );
        return;
    };
    // Node 1's wall clock runs 10 minutes ahead; its monotonic clock (timers) is left alone.
    let Some(c) = Cluster::start_env(2, &[], |i| {
        if i == 1 {
            vec![
                ("LD_PRELOAD".into(), lib.into()),
                ("FAKETIME".into(), "+10m".into()),
                ("FAKETIME_DONT_FAKE_MONOTONIC".into(), "1".into()),
            ]
        } else {
            Vec::new()
        }
    })
    .await
    else {
        return;
    };
    let http = reqwest::Client::new();
    let mint_on = |node: usize, name: &str| {
        let (http, url, secret) = (http.clone(), c.urls[node].clone(), c.secret.clone());
        let name = name.to_owned();
        async move {
            let v: Value = http
                .post(format!("{url}/v1/admin/tokens"))
                .bearer_auth(secret)
                .json(&json!({"username": name}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["token"].as_str().expect("a token").to_owned()
        }
    };
    let me_on = |node: usize, token: String| {
        let (http, url) = (http.clone(), c.urls[node].clone());
        async move {
            let r = http
                .get(format!("{url}/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    // Tokens signed by either node (iat and exp in its own clock) work on the other, over
    // REST and on the socket.
    let ahead = mint_on(1, "alice").await;
    let behind = mint_on(0, "bob").await;
    for (node, token, who) in [
        (0, &ahead, "node 1's token on node 0"),
        (1, &behind, "node 0's token on node 1"),
    ] {
        let (status, body) = me_on(node, token.clone()).await;
        assert_eq!(status, 200, "{who}: {body}");
        // Ws::connect waits for `ready` (a refused token closes the socket with 4001).
        let ws = Ws::connect(&c.urls[node], token).await;
        let want = if node == 0 { "alice" } else { "bob" };
        assert_eq!(ws.ready_user.username, want, "{who} on the socket");
    }
    // A visitor session made on the node ahead, used on the other.
    let v: Value = http
        .post(format!("{}/v1/auth/visitor", c.urls[1]))
        .json(&json!({"websiteId": website_id(&c)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let visitor = v["token"].as_str().expect("a visitor session").to_owned();
    let (status, body) = me_on(0, visitor).await;
    assert_eq!(status, 200, "a visitor session of node 1 on node 0: {body}");

    // Messages sent alternately through both nodes keep their send order: sequence numbers
    // order a chat, the skewed createdAt does not.
    let room = c
        .group(
            json!({"name": "skew", "visibility": "private", "memberUsernames": ["alice", "bob"]}),
        )
        .await;
    let mut reader = Ws::connect(&c.urls[0], &behind).await;
    assert!(is_ack(&reader.subscribe(&room, Some(0)).await));
    let mut created = Vec::new();
    for i in 0..20 {
        let (node, token) = if i % 2 == 0 {
            (1, &ahead)
        } else {
            (0, &behind)
        };
        let r = http
            .post(format!("{}/v1/chats/{room}/messages", c.urls[node]))
            .bearer_auth(token)
            .json(&json!({"text": format!("m{i:02}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["seq"], json!(i + 1), "seq follows the send order");
        created.push(m["createdAt"].as_i64().unwrap());
    }
    // The skew is real: node 1 stamps its messages about 10 minutes later.
    let lead = created[0] - created[1];
    assert!(
        (9 * 60_000..11 * 60_000).contains(&lead),
        "node 1 runs {lead} ms ahead, not ~10 minutes: libfaketime did not take"
    );
    let mut got = Vec::new();
    collect(&mut reader, &room, 20, &mut got).await;
    assert_once_in_order(&got, 20);
    let texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
    let sent: Vec<String> = (0..20).map(|i| format!("m{i:02}")).collect();
    assert_eq!(texts, sent, "delivered in send order");
    let page = c
        .admin(
            reqwest::Method::GET,
            &format!("/v1/chats/{room}/history?count=100"),
            Value::Null,
        )
        .await;
    let history: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(history, sent, "history in send order");
    eprintln!("clock skew: node 1 {lead} ms ahead; 3 tokens across nodes accepted; 20 messages in seq order");
    c.stop().await;
}

/// PostgreSQL goes away under a 3-node cluster while three clients send: the database is
/// closed to new connections and every node's connections are killed
/// (`pg_terminate_backend`), for 2 s, twice. While it is down `/healthz` says so (503,
/// `database: down`) and a REST send to each node is refused `503 unavailable` (never
/// `internal`: see `error.rs` `storage_fault`; it was `internal` for a database closed to
/// connections); the SDK's outbox retries the refused sends, the pools reconnect by
/// themselves once it is back, and every message is stored once and delivered once, in
/// order, to a reader.
#[tokio::test]
async fn postgres_going_away_loses_and_doubles_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let room = c
        .group(json!({"name": "pg outage", "visibility": "public"}))
        .await;
    let rotated = |k: usize| -> Vec<String> {
        (0..c.urls.len())
            .map(|j| c.urls[(k + j) % c.urls.len()].clone())
            .collect()
    };
    const PER_SENDER: usize = 300;
    let (rt, _) = c.user("reader").await;
    let reader = tokio::spawn(read_all(rotated(1), rt, vec![room.clone()], 3 * PER_SENDER));
    let mut senders = Vec::new();
    for s in 0..3 {
        let (token, _) = c.user(&format!("s{s}")).await;
        let texts: Vec<String> = (0..PER_SENDER).map(|i| format!("s{s}-{i:04}")).collect();
        senders.push(tokio::spawn(send_all(
            rotated(s),
            token,
            room.clone(),
            texts,
        )));
    }
    let (probe, _) = c.user("probe").await;
    let admin = sqlx::PgPool::connect(&c.base_db).await.unwrap();
    let http = reqwest::Client::new();
    let mut down_seen = 0;
    let mut probes_refused = 0;
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        sqlx::query(&format!("ALTER DATABASE {} ALLOW_CONNECTIONS false", c.db))
            .execute(&admin)
            .await
            .unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&c.db)
        .execute(&admin)
        .await
        .unwrap();
        // Each node's /healthz says the database is down while it is.
        let outage = tokio::time::Instant::now();
        for url in &c.urls {
            let r = http.get(format!("{url}/healthz")).send().await.unwrap();
            let code = r.status().as_u16();
            let h: Value = r.json().await.unwrap();
            assert_eq!(
                (code, h["database"].as_str()),
                (503, Some("down")),
                "{url}: {h}"
            );
            down_seen += 1;
            // A send that reaches a node now is refused as `unavailable` (retry later),
            // never `internal`.
            let cid = format!("probe-{down_seen}");
            let r = http
                .post(format!("{url}/v1/chats/{room}/messages"))
                .bearer_auth(&probe)
                .json(&json!({"text": cid, "clientId": cid}))
                .send()
                .await
                .unwrap();
            let code = r.status().as_u16();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(
                (code, v["error"]["code"].as_str()),
                (503, Some("unavailable")),
                "a send during the outage on {url}: {v}"
            );
            probes_refused += 1;
        }
        let rest = Duration::from_secs(2).saturating_sub(outage.elapsed());
        tokio::time::sleep(rest).await;
        sqlx::query(&format!("ALTER DATABASE {} ALLOW_CONNECTIONS true", c.db))
            .execute(&admin)
            .await
            .unwrap();
    }
    admin.close().await;
    let mut retried = 0;
    for s in senders {
        retried += s.await.unwrap();
    }
    let seen = reader.await.unwrap();
    let got = &seen.per_chat[&room];
    assert_senders_in_order(got, 3, PER_SENDER);
    for url in &c.urls {
        let h: Value = http
            .get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(h["database"], json!("up"), "{url} after the outage: {h}");
    }
    let total = c.total_messages(&room).await;
    assert_eq!(total, json!(3 * PER_SENDER), "stored once each");
    eprintln!(
        "postgres outage: 2 x 2 s (connections refused and killed), /healthz down on {down_seen} probes, {probes_refused} REST sends refused 503 unavailable, {retried} sends written again, {} reader reconnects, {} messages checked once in order",
        seen.reconnects,
        got.len()
    );
    c.stop().await;
}

/// A Redis server of this test's own, on a free port, that the test stops and starts again
/// (the shared one stays up for the other tests).
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    /// Starts one; `None` (the test says it skipped) when `redis-server` is not installed.
    async fn start() -> Option<OwnRedis> {
        let url = free_url();
        let port = url.rsplit(':').next()?.parse().ok()?;
        let mut r = OwnRedis { port, child: None };
        if !r.up().await {
            eprintln!("SKIPPED redis outage test: no redis-server on PATH");
            return None;
        }
        Some(r)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server (no persistence) and waits until it answers.
    async fn up(&mut self) -> bool {
        let spawned = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn();
        let Ok(child) = spawned else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(client) = redis::Client::open(self.url()) {
                if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                    let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
                    if pong.is_ok() {
                        return true;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {} did not come up", self.port);
    }

    /// SIGKILL: gone at once, every connection reset.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads message frames of `chat` until `n` distinct ones arrived, noting when each came.
async fn collect_timed(
    mut ws: Ws,
    chat: String,
    n: usize,
) -> Vec<(i64, String, tokio::time::Instant)> {
    let mut got = Vec::new();
    let mut seen = HashSet::new();
    while seen.len() < n {
        let f = tokio::time::timeout(Duration::from_secs(90), ws.next())
            .await
            .expect("messages keep coming");
        if let ServerFrame::Message { chat_id, message } = f {
            if chat_id == chat {
                seen.insert(message.text.clone());
                got.push((message.rev, message.text, tokio::time::Instant::now()));
            }
        }
    }
    // nothing more (a duplicate would come now)
    assert!(
        !ws.sees_within(Duration::from_millis(500), |f| matches!(
            f,
            ServerFrame::Message { .. }
        ))
        .await,
        "no message after the last one"
    );
    got
}

/// A connected user kept online (its socket read, so heartbeats are answered) until the
/// task is aborted.
async fn stay_online(url: &str, token: &str) -> tokio::task::JoinHandle<()> {
    let mut ws = Ws::connect(url, token).await;
    tokio::spawn(async move {
        loop {
            ws.sees_within(Duration::from_secs(5), |_| false).await;
            // (returns at once if the server closed it: do not spin)
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

/// Usernames node `url` reports online (`GET /v1/presence` with the secret key).
async fn online_on(c: &Cluster, url: &str) -> HashSet<String> {
    let v: Value = c
        .http
        .get(format!("{url}/v1/presence"))
        .bearer_auth(&c.secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["users"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["username"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_gone_for_a_minute_loses_and_doubles_nothing_and_presence_converges() {
    let _serial = SERIAL.lock().await;
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let Some(c) = Cluster::start_on_redis(2, redis.url()).await else {
        return;
    };
    const ROUNDS: usize = 30;
    let names = ["w0", "w1", "r0", "r1", "p0", "p1", "q0"];
    let mut tokens = HashMap::new();
    for n in names {
        tokens.insert(n, c.user(n).await.0);
    }
    let room = c
        .group(json!({"name": "redis outage", "memberUsernames": ["w0", "w1", "r0", "r1"]}))
        .await;
    // r0 reads through node 0, r1 through node 1; w0 writes through node 0, w1 through 1
    let mut readers = Vec::new();
    for (i, r) in ["r0", "r1"].iter().enumerate() {
        let mut ws = Ws::connect(&c.urls[i], &tokens[r]).await;
        assert!(is_ack(&ws.subscribe(&room, Some(0)).await));
        readers.push(tokio::spawn(collect_timed(
            ws,
            room.clone(),
            1 + 2 * ROUNDS,
        )));
    }
    let mut w0 = Ws::connect(&c.urls[0], &tokens["w0"]).await;
    let mut w1 = Ws::connect(&c.urls[1], &tokens["w1"]).await;
    let p0 = stay_online(&c.urls[0], &tokens["p0"]).await;
    let q0 = stay_online(&c.urls[0], &tokens["q0"]).await;
    assert!(is_ack(
        &w0.send_msg(&room, json!({"text": "pre-outage"})).await
    ));
    // both nodes agree on who is online before the outage
    let before: HashSet<String> = ["p0", "q0", "w0", "w1", "r0", "r1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while online_on(&c, &c.urls[1]).await != before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "presence crossed nodes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    redis.kill();
    let outage = tokio::time::Instant::now();
    let mut sent = HashMap::new();
    let mut p1 = None;
    let mut q0 = Some(q0);
    for i in 0..ROUNDS {
        for (ws, w) in [(&mut w0, "a"), (&mut w1, "b")] {
            let text = format!("{w}{i:02}");
            sent.insert(text.clone(), tokio::time::Instant::now());
            let ack = ws.send_msg(&room, json!({ "text": text })).await;
            assert!(is_ack(&ack), "{text} during the outage: {ack:?}");
        }
        if i == 5 {
            // presence changes while the nodes cannot tell each other
            p1 = Some(stay_online(&c.urls[1], &tokens["p1"]).await);
            if let Some(q) = q0.take() {
                q.abort();
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let gone_for = outage.elapsed();
    assert!(redis.up().await);
    let back = tokio::time::Instant::now();

    let mut late_own = Vec::new();
    for (i, r) in readers.into_iter().enumerate() {
        let got = r.await.unwrap();
        let plain: Vec<(i64, String)> = got.iter().map(|(rev, t, _)| (*rev, t.clone())).collect();
        assert_once_in_order(&plain, 1 + 2 * ROUNDS);
        // each node kept serving its own clients: its writer's messages reached its reader
        // during the outage, within seconds
        let own = if i == 0 { "a" } else { "b" };
        for (_, text, at) in &got {
            if text.starts_with(own) {
                let took = at.saturating_duration_since(sent[text]);
                assert!(
                    *at < back && took < Duration::from_secs(3),
                    "r{i} got {text} {took:?} after it was sent (Redis back after {:?})",
                    back.duration_since(outage)
                );
                late_own.push(took);
            }
        }
    }
    // presence converges on both nodes: p1 joined and q0 left during the outage (and the
    // readers, done, have left since)
    let after: HashSet<String> = ["p0", "p1", "w0", "w1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (on0, on1) = (
            online_on(&c, &c.urls[0]).await,
            online_on(&c, &c.urls[1]).await,
        );
        if on0 == after && on1 == after {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "presence after Redis returned: node 0 {on0:?}, node 1 {on1:?}, expected {after:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let converged = back.elapsed();
    let total = c.total_messages(&room).await;
    assert_eq!(total, json!(1 + 2 * ROUNDS), "stored once each");
    eprintln!(
        "redis outage: gone {gone_for:?}; {} messages sent through 2 nodes during it, each reader got all {} once in order; own node's messages within {:?}; presence converged {converged:?} after Redis returned",
        2 * ROUNDS,
        1 + 2 * ROUNDS,
        late_own.iter().max()
    );
    p0.abort();
    if let Some(p) = p1 {
        p.abort();
    }
    c.stop().await;
}

/// Waits up to `secs` seconds until node `i` reports exactly `want` online; fails with `what`.
async fn wait_online(c: &Cluster, i: usize, want: &HashSet<String>, secs: u64, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while online_on(c, &c.urls[i]).await != *want {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A presence event a node misses (pub/sub may drop any, at any time) is repaired by the
/// count and digest in the other node's next `NodeAlive` (every 5 s): node 0 is told, by an
/// event forged on the bus in node 1's name, that `ghosted` left node 1, while `ghosted`
/// stays connected there. Node 0 believes it, sees its view of node 1 differ from node 1's
/// digest, asks for node 1's snapshot and shows `ghosted` online again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_presence_event_is_repaired_by_the_alive_digest() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = OwnRedis::start().await else {
        return;
    };
    let Some(c) = Cluster::start_on_redis(2, redis.url()).await else {
        return;
    };
    let (token, user_id) = c.user("ghosted").await;
    let _online = stay_online(&c.urls[1], &token).await;
    let want: HashSet<String> = ["ghosted".to_owned()].into();
    wait_online(&c, 0, &want, 10, "presence crossed nodes").await;
    let health = c.nodes[1].health().await;
    let node1 = health["node"].as_str().expect("/healthz names the node");
    let forged = json!({
        "origin": node1,
        "event": {"NodePresence": {"website_id": website_id(&c), "user_id": user_id, "online": false}},
    });
    let published = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "PUBLISH", "chatix:events"])
        .arg(forged.to_string())
        .output()
        .expect("redis-cli runs");
    assert!(published.status.success(), "redis-cli PUBLISH failed");
    // Node 0 takes the forged event (else this test would prove nothing)...
    let nobody = HashSet::new();
    wait_online(
        &c,
        0,
        &nobody,
        3,
        "node 0 never took the forged offline event",
    )
    .await;
    let lost = tokio::time::Instant::now();
    // ...and repairs its view from node 1's next NodeAlive digest.
    wait_online(
        &c,
        0,
        &want,
        12,
        "node 0 still shows ghosted offline 12 s after the lost event",
    )
    .await;
    eprintln!(
        "presence repaired {:?} after the lost event",
        lost.elapsed()
    );
    assert_eq!(
        online_on(&c, &c.urls[1]).await,
        want,
        "node 1 never lost it"
    );
    c.stop().await;
}

/// A website ban set through one node closes the user's sockets on every node at once
/// (4003) and refuses their reconnects there; a mute set through one node is enforced by
/// the others at once (their access caches were told over the bus), and lifting it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_or_mute_through_one_node_holds_on_every_node() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(3).await else {
        return;
    };
    let (token, _) = c.user("troll").await;
    let room = c
        .group(json!({"name": "moderated", "visibility": "public", "memberUsernames": ["troll"]}))
        .await;
    let send = |text: &str| json!({"type": "send", "chatId": room, "message": {"text": text}});
    let mut sockets = Vec::new();
    for url in &c.urls[1..] {
        let mut ws = Ws::connect(url, &token).await;
        // warms the node's access cache with "not muted"
        let f = ws.request(send("warm")).await;
        assert!(is_ack(&f), "{f:?}");
        sockets.push(ws);
    }
    c.admin(
        reqwest::Method::PUT,
        &format!("/v1/chats/{room}/mutes/troll"),
        json!({"reason": "cool off"}),
    )
    .await;
    // each node hears of it over the bus within moments (a send it let through before
    // then is counted, and stored)
    let mut early = 0;
    for (n, ws) in sockets.iter_mut().enumerate() {
        early += until_answer(ws, &send("while muted"), Some("forbidden"))
            .await
            .unwrap_or_else(|| panic!("node {}: the mute never held", n + 1));
    }
    let lifted = c
        .http
        .delete(format!("{}/v1/chats/{room}/mutes/troll", c.urls[0]))
        .bearer_auth(&c.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(lifted.status(), reqwest::StatusCode::NO_CONTENT);
    for ws in sockets.iter_mut() {
        until_answer(ws, &send("unmuted"), None)
            .await
            .expect("unmuted on every node");
    }
    assert_eq!(
        c.total_messages(&room).await,
        json!(4 + early),
        "nothing stored once the mute held"
    );
    eprintln!("sends let through before the mute reached the node: {early}");

    // a blocklist set through node 0 is used by the others too (their cached "no list"
    // is dropped over the bus)
    let list = c
        .admin(
            reqwest::Method::PUT,
            "/v1/admin/blocklist",
            json!({"words": ["spam"]}),
        )
        .await;
    assert_eq!(list["words"], json!(["spam"]), "{list}");
    for ws in sockets.iter_mut() {
        until_answer(ws, &send("buy SPAM now"), Some("invalid_argument"))
            .await
            .expect("the blocklist holds on every node");
    }

    let ban = c
        .admin(
            reqwest::Method::PUT,
            "/v1/bans/troll",
            json!({"seconds": 3600, "reason": "spam"}),
        )
        .await;
    assert_eq!(ban["kind"], "ban", "{ban}");
    for (n, ws) in sockets.iter_mut().enumerate() {
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(10), ws.read_close_code())
                .await
                .expect("closed within 10 s"),
            Some(4003),
            "node {}",
            n + 1
        );
    }
    for url in &c.urls {
        match common::open_socket(url, "", None, Some(common::auth_frame(&token))).await {
            common::Opened::Closed { code, .. } => assert_eq!(code, 4003, "{url}"),
            other => panic!("{url}: a banned user's reconnect must be refused: {other:?}"),
        }
    }
    eprintln!("mute and website ban through node 0 held on nodes 1 and 2");
    c.stop().await;
}

/// Sends `frame` until the answer is the error `code` (`None`: an ack), for at most 5 s;
/// how many answers were not it (`None`: never).
async fn until_answer(ws: &mut Ws, frame: &Value, code: Option<&str>) -> Option<u64> {
    for other in 0..250 {
        let f = ws.request(frame.clone()).await;
        let got = common::error_code(&f);
        if got.as_deref() == code && (code.is_some() || is_ack(&f)) {
            return Some(other);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}
