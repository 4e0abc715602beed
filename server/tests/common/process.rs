//! A `chatix-server` process on a fixed port and data folder, so that a test can kill it
//! (SIGKILL), stop it gracefully (SIGTERM) and start it again on the same address and
//! data. Rate limits are set out of the way (tests measure behaviour, not throttling).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// `http://127.0.0.1:PORT` with a port free right now.
pub fn free_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// A running (or stopped) server process.
pub struct ServerProcess {
    child: Option<Child>,
    /// Its base URL.
    pub url: String,
    dir: PathBuf,
    extra: Vec<String>,
    /// `CHATIX_LOG` filter and the file its stderr goes to (default: `warn`, inherited).
    log: Option<(String, PathBuf)>,
    /// Extra environment of the process (e.g. libfaketime's, for a node with a wrong clock).
    env: Vec<(String, String)>,
}

impl ServerProcess {
    /// Starts the server on `url` with data in `dir` and `extra` arguments; returns once
    /// `/healthz` answers.
    pub async fn start(url: &str, dir: &Path, extra: &[String]) -> ServerProcess {
        Self::launch(url, dir, extra, None, Vec::new()).await
    }

    /// As [`Self::start`], with `env` added to the process's environment.
    pub async fn start_with_env(
        url: &str,
        dir: &Path,
        extra: &[String],
        env: Vec<(String, String)>,
    ) -> ServerProcess {
        Self::launch(url, dir, extra, None, env).await
    }

    /// As [`Self::start`], logging at `level` (a `CHATIX_LOG` filter) into the file `log`.
    pub async fn start_logging(
        url: &str,
        dir: &Path,
        extra: &[String],
        level: &str,
        log: &Path,
    ) -> ServerProcess {
        let log = Some((level.to_owned(), log.to_owned()));
        Self::launch(url, dir, extra, log, Vec::new()).await
    }

    async fn launch(
        url: &str,
        dir: &Path,
        extra: &[String],
        log: Option<(String, PathBuf)>,
        env: Vec<(String, String)>,
    ) -> ServerProcess {
        let mut p = ServerProcess {
            child: None,
            url: url.to_owned(),
            dir: dir.to_owned(),
            extra: extra.to_vec(),
            log,
            env,
        };
        p.restart().await;
        p
    }

    /// Starts the process again (after [`Self::sigkill`] or [`Self::sigterm`]) with the same
    /// address, data and arguments.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let limits = [
            "--frames-per-second",
            "10000",
            "--frame-burst",
            "10000",
            "--ip-frames-per-second",
            "1000000",
            "--ip-frame-burst",
            "1000000",
            "--requests-per-second",
            "10000",
            "--request-burst",
            "10000",
            // Overload shedding off (as the rate limits are generous): these tests measure
            // durability and order under faults; `overload.rs` tests the shedding.
            "--max-write-queue-ms",
            "0",
            "--max-fanout-lag-ms",
            "0",
        ];
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatix-server"));
        match &self.log {
            Some((level, path)) => {
                // the log goes to stdout, panics and startup errors to stderr: both kept
                let file = std::fs::File::create(path).expect("log file");
                let copy = file.try_clone().expect("log file");
                cmd.env("CHATIX_LOG", level).stdout(file).stderr(copy);
            }
            None => {
                cmd.env("CHATIX_LOG", "warn").stdout(Stdio::null());
            }
        }
        let child = cmd
            .args([
                "--listen",
                self.url.trim_start_matches("http://"),
                "--data-dir",
                self.dir.to_str().unwrap(),
            ])
            // a flag given in `extra` replaces the default above
            .args(
                limits
                    .chunks(2)
                    .filter(|pair| !self.extra.iter().any(|e| e == pair[0]))
                    .flatten(),
            )
            .args(&self.extra)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .kill_on_drop(true)
            .spawn()
            .expect("server binary runs");
        self.child = Some(child);
        let http = reqwest::Client::new();
        for _ in 0..400 {
            if let Ok(r) = http.get(format!("{}/healthz", self.url)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server {} did not start", self.url);
    }

    /// `/healthz` as JSON.
    pub async fn health(&self) -> Value {
        reqwest::get(format!("{}/healthz", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The demo website's secret key (written to `demo.json` by the first start).
    pub fn demo_secret(&self) -> String {
        let demo: Value =
            serde_json::from_slice(&std::fs::read(self.dir.join("demo.json")).unwrap()).unwrap();
        demo["secretKey"].as_str().unwrap().to_owned()
    }

    /// A call with the demo website's secret key; the JSON answer (`Null` body: none).
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(self.demo_secret());
        if !body.is_null() {
            req = req.json(&body);
        }
        req.send().await.unwrap().json().await.unwrap()
    }

    /// A public chatroom's id.
    pub async fn room(&self, name: &str) -> String {
        let v = self
            .admin(
                reqwest::Method::POST,
                "/v1/chats/group",
                serde_json::json!({"name": name, "visibility": "public"}),
            )
            .await;
        v["id"].as_str().unwrap().to_owned()
    }

    /// A user token (the user is created on first use).
    pub async fn token(&self, username: &str) -> String {
        let v = self
            .admin(
                reqwest::Method::POST,
                "/v1/admin/tokens",
                serde_json::json!({"username": username}),
            )
            .await;
        v["token"].as_str().unwrap().to_owned()
    }

    /// Every stored message of `chat`, oldest first (the history endpoint with the secret
    /// key, 100 at a time). Panics unless every page answers 200.
    pub async fn all_messages(&self, chat: &str) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/chats/{chat}/history?count=100");
            if let Some(c) = &cursor {
                path.push_str(&format!("&lastMessageId={c}"));
            }
            let page = self.admin(reqwest::Method::GET, &path, Value::Null).await;
            let msgs = page["messages"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| panic!("history must keep working: {page}"));
            let Some(first) = msgs.first() else { break };
            cursor = first["id"].as_str().map(str::to_owned);
            let more = page["hasMore"] == serde_json::json!(true);
            all.splice(0..0, msgs);
            if !more {
                break;
            }
        }
        all
    }

    /// How many live messages a chat stores.
    pub async fn total_messages(&self, chat: &str) -> Value {
        let v = self
            .admin(
                reqwest::Method::GET,
                &format!("/v1/chats/{chat}/messages?page=1"),
                Value::Null,
            )
            .await;
        v["totalMessages"].clone()
    }

    /// SIGKILL: no chance to finish anything.
    pub async fn sigkill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.start_kill().unwrap();
            c.wait().await.unwrap();
        }
    }

    /// SIGTERM: the server's graceful shutdown (in-flight writes finish, sockets get 1001).
    pub async fn sigterm(&mut self) {
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
