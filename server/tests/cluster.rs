//! Several server nodes sharing PostgreSQL and Redis, as separate processes on their own
//! ports: every client gets every message of its chats exactly once and in order while all
//! nodes take writes to the same chat; a node killed with SIGKILL loses nothing; a Redis
//! connection cut loses nothing. Needs `CHATIX_TEST_DATABASE_URL` and
//! `CHATIX_TEST_REDIS_URL` (set by `.ci/run`); without them each test says SKIPPED.

mod common;

use chatix_protocol::ServerFrame;
use common::{is_ack, Ws};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Cluster tests share Redis: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Cluster {
    db: String,
    base_db: String,
    redis: String,
    dir: tempfile::TempDir,
    nodes: Vec<Option<Child>>,
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        let (base_db, redis) = env_urls()?;
        let db = format!("chatix_cluster_{}", chatix_server::util::random_hex(6));
        let admin = sqlx::PgPool::connect(&base_db)
            .await
            .expect("PostgreSQL reachable");
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let mut c = Cluster {
            db,
            base_db,
            redis,
            dir: tempfile::tempdir().unwrap(),
            nodes: Vec::new(),
            urls: Vec::new(),
            secret: String::new(),
            http: reqwest::Client::new(),
        };
        for _ in 0..n {
            let port = free_port();
            c.urls.push(format!("http://127.0.0.1:{port}"));
            c.nodes.push(None);
        }
        for i in 0..n {
            c.spawn(i).await;
        }
        let demo: Value =
            serde_json::from_slice(&std::fs::read(c.dir.path().join("demo.json")).unwrap())
                .unwrap();
        c.secret = demo["secretKey"].as_str().unwrap().to_owned();
        Some(c)
    }

    async fn spawn(&mut self, i: usize) {
        let url = self.urls[i].clone();
        let child = Command::new(env!("CARGO_BIN_EXE_chatix-server"))
            .args([
                "--listen",
                url.trim_start_matches("http://"),
                "--data-dir",
                self.dir.path().to_str().unwrap(),
                "--database-url",
                &with_db(&self.base_db, &self.db),
                "--redis-url",
                &self.redis,
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
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("server binary runs");
        self.nodes[i] = Some(child);
        for _ in 0..400 {
            if let Ok(r) = self.http.get(format!("{url}/healthz")).send().await {
                if r.status().is_success() {
                    let h: Value = r.json().await.unwrap();
                    assert_eq!(
                        (h["storage"].as_str(), h["bus"].as_str()),
                        (Some("postgres"), Some("redis"))
                    );
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node {i} did not start");
    }

    async fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].take() {
            c.start_kill().unwrap(); // SIGKILL
            c.wait().await.unwrap();
        }
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, format!("{}{path}", self.urls[0]))
            .bearer_auth(&self.secret)
            .json(&body)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
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
    let room = c
        .admin(reqwest::Method::POST, "/v1/chats/group", json!({"name": "busy", "visibility": "private", "memberUsernames": (0..6).map(|i| format!("u{i}")).collect::<Vec<_>>()}))
        .await;
    let room = room["id"].as_str().unwrap().to_owned();
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
    let (rt, _) = c.user("reader").await;
    let (wt, _) = c.user("writer").await;
    let room = c
        .admin(
            reqwest::Method::POST,
            "/v1/chats/group",
            json!({"name": "k", "memberUsernames": ["reader", "writer"]}),
        )
        .await;
    let room = room["id"].as_str().unwrap().to_owned();
    let mut reader = Ws::connect(&c.urls[2], &rt).await;
    assert!(is_ack(&reader.subscribe(&room, Some(0)).await));
    let (url, r2) = (c.urls[0].clone(), room.clone());
    let writer = tokio::spawn(async move {
        let mut ws = Ws::connect(&url, &wt).await;
        for i in 0..300 {
            assert!(is_ack(
                &ws.send_msg(&r2, json!({"text": format!("m{i}")})).await
            ));
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let mut got = Vec::new();
    collect(&mut reader, &room, 60, &mut got).await;
    c.kill(2).await; // SIGKILL the reader's node mid-stream
    let cursor = got.iter().map(|g| g.0).max().unwrap();
    let mut reader = Ws::connect(&c.urls[1], &rt).await;
    assert!(is_ack(&reader.subscribe(&room, Some(cursor)).await));
    writer.await.unwrap();
    collect(&mut reader, &room, 300, &mut got).await;
    assert!(
        !reader
            .sees_within(Duration::from_millis(300), |f| matches!(
                f,
                ServerFrame::Message { .. }
            ))
            .await
    );
    assert_once_in_order(&got, 300);
    c.stop().await;
}

#[tokio::test]
async fn a_cut_redis_connection_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(c) = Cluster::start(2).await else {
        return;
    };
    let (rt, _) = c.user("reader").await;
    let (wt, _) = c.user("writer").await;
    let room = c
        .admin(
            reqwest::Method::POST,
            "/v1/chats/group",
            json!({"name": "r", "memberUsernames": ["reader", "writer"]}),
        )
        .await;
    let room = room["id"].as_str().unwrap().to_owned();
    let mut reader = Ws::connect(&c.urls[1], &rt).await;
    assert!(is_ack(&reader.subscribe(&room, Some(0)).await));
    let (url, r2) = (c.urls[0].clone(), room.clone());
    let writer = tokio::spawn(async move {
        let mut ws = Ws::connect(&url, &wt).await;
        for i in 0..300 {
            assert!(is_ack(
                &ws.send_msg(&r2, json!({"text": format!("m{i}")})).await
            ));
            if i % 25 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
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
    writer.await.unwrap();
    collect(&mut reader, &room, 300, &mut got).await;
    assert!(
        !reader
            .sees_within(Duration::from_millis(300), |f| matches!(
                f,
                ServerFrame::Message { .. }
            ))
            .await
    );
    assert_once_in_order(&got, 300);
    c.stop().await;
}
