//! Test harness: a real server on 127.0.0.1:0 with a fresh data folder, an HTTP client,
//! and a small WebSocket client that speaks the real protocol.
#![allow(dead_code)]

pub mod process;
pub mod resilient;

use chatix_protocol::{ServerFrame, User};
use chatix_server::{Config, Running};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMsg;

pub struct TestServer {
    pub running: Option<Running>,
    pub url: String,
    pub http: reqwest::Client,
    pub website: String,
    pub secret: String,
    pub consultant_password: String,
    pub _dir: tempfile::TempDir,
}

/// Configuration for tests: generous rate limits so that tests measure behaviour, not
/// throttling (the limit tests set their own).
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut c = Config::defaults();
    c.listen = "127.0.0.1:0".parse().unwrap();
    c.data_dir = dir.to_path_buf();
    c.frames_per_second = 10_000;
    c.frame_burst = 10_000;
    c.ip_frames_per_second = 1_000_000;
    c.ip_frame_burst = 1_000_000;
    c.requests_per_second = 10_000;
    c.request_burst = 10_000;
    // Overload shedding off too (a debug build on a busy machine is slow, not overloaded);
    // `overload.rs` turns it on.
    c.max_write_queue_ms = 0;
    c.max_fanout_lag_ms = 0;
    c.operator_token = Some("op-token".into());
    // A socket that never authenticates is closed after 1 s (10 s by default).
    c.ws_auth_timeout_ms = 1_000;
    c.www_dir = Some(dir.join("no-www"));
    c.pkg_dir = Some(dir.join("no-pkg"));
    c
}

/// What [`TestServer::help_room`] made: tokens (`ct`, `vt`) and users of a consultant and a
/// visitor, and the room's id.
pub struct HelpRoom {
    pub ct: String,
    pub consultant: User,
    pub room: String,
    pub vt: String,
    pub visitor: User,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut c = test_config(dir.path());
        tweak(&mut c);
        let running = chatix_server::start(c).await.expect("server starts");
        let demo = running.demo.clone().expect("demo website");
        TestServer {
            url: running.url(),
            running: Some(running),
            http: reqwest::Client::new(),
            website: demo.website_id,
            secret: demo.secret_key,
            consultant_password: demo.consultant_password,
            _dir: dir,
        }
    }

    pub fn state(&self) -> &chatix_server::state::AppState {
        &self.running.as_ref().unwrap().state
    }

    /// Raw request; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str, auth: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(auth), None).await
    }
    pub async fn post(&self, path: &str, auth: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(auth), Some(body)).await
    }
    pub async fn patch(&self, path: &str, auth: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(auth), Some(body)).await
    }
    pub async fn delete(&self, path: &str, auth: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(auth), None).await
    }

    /// A new anonymous visitor: (token, user, visitor secret).
    pub async fn visitor(&self) -> (String, User, String) {
        self.visitor_of(&self.website.clone()).await
    }

    pub async fn visitor_of(&self, website: &str) -> (String, User, String) {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/auth/visitor",
                None,
                Some(json!({"websiteId": website})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (
            v["token"].as_str().unwrap().to_owned(),
            serde_json::from_value(v["user"].clone()).unwrap(),
            v["visitorSecret"].as_str().unwrap().to_owned(),
        )
    }

    /// `POST /v1/auth/consultant` on this website: the status and the answer.
    pub async fn consultant_login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"websiteId": self.website, "username": username, "password": password});
        self.call(Method::POST, "/v1/auth/consultant", None, Some(body))
            .await
    }

    /// The demo consultant's token.
    pub async fn consultant(&self) -> (String, User) {
        let (s, v) = self
            .consultant_login("consultant", &self.consultant_password)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (
            v["token"].as_str().unwrap().to_owned(),
            serde_json::from_value(v["user"].clone()).unwrap(),
        )
    }

    /// A consultant without the admin permission (created on first use).
    pub async fn plain_consultant(&self) -> String {
        let secret = self.secret.clone();
        let _ = self
            .post(
                "/v1/admin/consultants",
                &secret,
                json!({"username": "plain", "name": "Plain", "password": "plain-password"}),
            )
            .await;
        let (s, v) = self.consultant_login("plain", "plain-password").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    /// A token for an app user (created on first use), minted with the admin key.
    pub async fn user(&self, username: &str) -> (String, User) {
        let (s, v) = self
            .post(
                "/v1/admin/tokens",
                &self.secret.clone(),
                json!({"username": username}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        (
            v["token"].as_str().unwrap().to_owned(),
            serde_json::from_value(v["user"].clone()).unwrap(),
        )
    }

    /// A second website, with (id, secret).
    pub async fn other_website(&self) -> (String, String) {
        let (s, v) = self
            .post(
                "/v1/operator/websites",
                "op-token",
                json!({"name": "Other", "allowedOrigins": ["http://localhost"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (
            v["websiteId"].as_str().unwrap().to_owned(),
            v["secretKey"].as_str().unwrap().to_owned(),
        )
    }

    /// The setup most chat-feature tests share: a consultant, a public chatroom "Help",
    /// and a visitor who joined it.
    pub async fn help_room(&self) -> HelpRoom {
        let (ct, consultant) = self.consultant().await;
        let room = self.room("Help", "public").await;
        let (vt, visitor, _) = self.visitor().await;
        let (s, v) = self
            .post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
            .await;
        assert!(s.is_success(), "the visitor joins the room: {v}");
        HelpRoom {
            ct,
            consultant,
            room,
            vt,
            visitor,
        }
    }

    /// Creates a chatroom with the admin key.
    pub async fn room(&self, name: &str, visibility: &str) -> String {
        let (s, v) = self
            .post(
                "/v1/chats/group",
                &self.secret.clone(),
                json!({"name": name, "visibility": visibility}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    pub async fn ws(&self, token: &str) -> Ws {
        Ws::connect(&self.url, token).await
    }

    /// A socket that asks for batches (`batch=1`).
    pub async fn ws_batched(&self, token: &str) -> Ws {
        Ws::connect_batched(&self.url, token).await
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

/// Sends a message over REST; returns the message JSON.
pub async fn send_rest(srv: &TestServer, token: &str, chat: &str, text: &str) -> Value {
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{chat}/messages"),
            token,
            json!({"text": text}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    stream: Stream,
    next_id: u64,
    pub backlog: VecDeque<ServerFrame>,
    pub ready_user: User,
    /// What `ready` carried as `recent` (asked for with `followRecent`).
    pub ready_recent: Option<chatix_protocol::frame::Recent>,
    /// Frames received (a batch splits into several) and not read yet.
    pending: VecDeque<ServerFrame>,
    /// Batches (JSON array text frames) received.
    pub arrays: usize,
    /// Frames in the biggest batch received.
    pub max_batch: usize,
    /// Bytes of the biggest batch received.
    pub max_batch_bytes: usize,
    /// Bytes of the biggest plain (one-frame) text received.
    pub max_single_bytes: usize,
    /// Texts received that held a `messages` frame (several messages of one chat).
    pub joined: usize,
}

pub const WAIT: Duration = Duration::from_secs(10);

/// How an attempt to open a socket ended.
#[derive(Debug, PartialEq)]
pub enum Opened {
    /// Refused before the upgrade, with this HTTP status.
    Http(u16),
    /// Upgraded, then closed with this code and reason before `ready` (the error frame
    /// sent before the close, if any, is in `error`).
    Closed {
        code: u16,
        reason: String,
        error: Option<String>,
    },
    /// `ready` arrived.
    Ready,
}

/// Opens `/v1/ws{query}` (an `Origin` header if given), sends `first` if given, and says how
/// it ended: refused, closed before `ready`, or ready.
pub async fn open_socket(
    base: &str,
    query: &str,
    origin: Option<&str>,
    first: Option<WsMsg>,
) -> Opened {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}/v1/ws{query}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().expect("socket URL");
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", o.parse().expect("origin header"));
    }
    let mut stream = match tokio_tungstenite::connect_async(req).await {
        Ok((s, _)) => s,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            return Opened::Http(res.status().as_u16())
        }
        Err(e) => panic!("socket connect failed: {e}"),
    };
    if let Some(f) = first {
        stream.send(f).await.expect("first frame sent");
    }
    let mut error = None;
    loop {
        let msg = tokio::time::timeout(WAIT * 2, stream.next())
            .await
            .expect("the server answers within the wait");
        match msg {
            Some(Ok(WsMsg::Text(t))) => {
                let v: Value = serde_json::from_str(&t).expect("JSON frame");
                match v["type"].as_str() {
                    Some("ready") => return Opened::Ready,
                    Some("error") => error = v["message"].as_str().map(str::to_owned),
                    _ => {}
                }
            }
            Some(Ok(WsMsg::Close(Some(f)))) => {
                return Opened::Closed {
                    code: f.code.into(),
                    reason: f.reason.to_string(),
                    error,
                }
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended without a close frame: {other:?}"),
        }
    }
}

/// The socket's first frame: `{"type":"auth","token":…}`.
pub fn auth_frame(token: &str) -> tokio_tungstenite::tungstenite::Message {
    tokio_tungstenite::tungstenite::Message::Text(
        json!({"type": "auth", "token": token}).to_string().into(),
    )
}

impl Ws {
    pub async fn connect(base: &str, token: &str) -> Ws {
        Self::connect_url(format!("{}/v1/ws", base.replace("http://", "ws://")), token).await
    }

    /// Connects asking for batches: several frames may arrive as one JSON array, which
    /// this client splits back into frames (counting them in `arrays`).
    pub async fn connect_batched(base: &str, token: &str) -> Ws {
        Self::connect_url(
            format!("{}/v1/ws?batch=1", base.replace("http://", "ws://")),
            token,
        )
        .await
    }

    async fn connect_url(url: String, token: &str) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("socket connects");
        Ws::ready(stream, auth_frame(token)).await
    }

    /// Connects from a chosen local address (any of 127.0.0.0/8 on Linux), so that a test
    /// can play clients of different IPs.
    pub async fn connect_from(base: &str, token: &str, local: std::net::IpAddr) -> Ws {
        let host = base.trim_start_matches("http://");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(std::net::SocketAddr::new(local, 0)).unwrap();
        let tcp = socket
            .connect(host.parse().expect("base is http://IP:PORT"))
            .await
            .expect("tcp connects");
        let url = format!("ws://{host}/v1/ws");
        let (stream, _) =
            tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
                .await
                .expect("socket connects");
        Ws::ready(stream, auth_frame(token)).await
    }

    /// Connects with an `X-Forwarded-For` header, as a reverse proxy in front of the server
    /// would (or a client pretending to be one).
    pub async fn connect_forwarded(base: &str, token: &str, forwarded_for: &str) -> Ws {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/v1/ws", base.replace("http://", "ws://"));
        let mut req = url.into_client_request().expect("socket URL");
        req.headers_mut().insert(
            "x-forwarded-for",
            forwarded_for.parse().expect("header value"),
        );
        let (stream, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("socket connects");
        Ws::ready(stream, auth_frame(token)).await
    }

    /// Connects with a chosen `auth` frame (e.g. with `followRecent`).
    pub async fn connect_auth(base: &str, auth: Value) -> Ws {
        let url = format!("{}/v1/ws", base.replace("http://", "ws://"));
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("socket connects");
        Ws::ready(stream, WsMsg::Text(auth.to_string().into())).await
    }

    /// Sends the `auth` frame, then waits for `ready`.
    async fn ready(mut stream: Stream, auth: WsMsg) -> Ws {
        stream.send(auth).await.expect("auth frame sent");
        let mut ws = Ws { stream, next_id: 1, backlog: VecDeque::new(), ready_user: serde_json::from_value(json!({
            "id":"","username":"","name":"","avatar":null,"email":null,"metadata":{},"role":"visitor",
            "presence":"offline","lastActive":null,"createdAt":0,"updatedAt":0})).unwrap(), ready_recent: None,
            pending: VecDeque::new(), arrays: 0, max_batch: 0, max_batch_bytes: 0, max_single_bytes: 0, joined: 0 };
        // `ready` comes first, alone, as a plain object (batching or not).
        let first = loop {
            match tokio::time::timeout(WAIT, ws.stream.next()).await {
                Ok(Some(Ok(WsMsg::Text(t)))) => break t,
                Ok(Some(Ok(WsMsg::Ping(_) | WsMsg::Pong(_)))) => continue,
                other => panic!("expected ready, got {other:?}"),
            }
        };
        match serde_json::from_str(&first) {
            Ok(ServerFrame::Ready { user, recent, .. }) => {
                ws.ready_user = user;
                ws.ready_recent = recent;
            }
            other => panic!("expected a plain ready frame first, got {first}: {other:?}"),
        }
        ws
    }

    /// Decodes a text message into `pending`: one frame, or a batch's frames in order.
    /// A batch (counted in `arrays`): a JSON array, or a `messages` frame of several.
    fn receive_text(&mut self, t: &str) {
        let frames: Vec<ServerFrame> =
            ServerFrame::parse_text(t).unwrap_or_else(|e| panic!("bad frame(s) {t}: {e}"));
        if t.starts_with('[') {
            assert!(frames.len() >= 2, "a lone frame is sent plain, not as {t}");
        }
        if t.contains(r#"{"type":"messages","#) {
            self.joined += 1;
        }
        if frames.len() >= 2 {
            self.arrays += 1;
            self.max_batch = self.max_batch.max(frames.len());
            self.max_batch_bytes = self.max_batch_bytes.max(t.len());
            self.pending.extend(frames);
        } else {
            self.max_single_bytes = self.max_single_bytes.max(t.len());
            self.pending.extend(frames);
        }
    }

    pub async fn send_text(&mut self, text: String) {
        self.stream
            .send(WsMsg::Text(text.into()))
            .await
            .expect("send");
    }

    /// The next text message as the server wrote it (undecoded; `None`: closed), after
    /// what was already read (the backlog is left as it is).
    pub async fn read_raw(&mut self) -> Option<String> {
        // frames decoded but not yet taken stay readable, after the backlog
        let decoded: Vec<ServerFrame> = self.pending.drain(..).collect();
        self.backlog.extend(decoded);
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame within the wait")?;
            match msg {
                Ok(WsMsg::Text(t)) => return Some(t.to_string()),
                Ok(WsMsg::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads one frame from the socket (not the backlog). None when closed.
    pub async fn read(&mut self) -> Option<ServerFrame> {
        loop {
            if let Some(f) = self.pending.pop_front() {
                return Some(f);
            }
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a frame within the wait")?;
            match msg {
                Ok(WsMsg::Text(t)) => self.receive_text(&t),
                Ok(WsMsg::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads every frame until the socket closes; the frames and the close code.
    pub async fn read_until_close(&mut self) -> (Vec<ServerFrame>, Option<u16>) {
        let mut frames: Vec<ServerFrame> = self.pending.drain(..).collect();
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("close within the wait");
            match msg {
                Some(Ok(WsMsg::Text(t))) => {
                    self.receive_text(&t);
                    frames.extend(self.pending.drain(..));
                }
                Some(Ok(WsMsg::Close(Some(f)))) => return (frames, Some(f.code.into())),
                Some(Ok(WsMsg::Close(None)) | Err(_)) | None => return (frames, None),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Reads until the socket closes; returns the close code.
    pub async fn read_close_code(&mut self) -> Option<u16> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("close within the wait")?;
            match msg {
                Ok(WsMsg::Close(Some(f))) => return Some(f.code.into()),
                Ok(WsMsg::Close(None)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Sends a request frame (an id is added) and returns its ack or error; other frames
    /// that arrive meanwhile go to the backlog.
    pub async fn request(&mut self, mut frame: Value) -> ServerFrame {
        let id = self.next_id;
        self.next_id += 1;
        frame["id"] = json!(id);
        self.send_text(frame.to_string()).await;
        loop {
            let f = self.read().await.expect("socket open");
            match &f {
                ServerFrame::Ack { id: i, .. } if *i == id => return f,
                ServerFrame::Error { id: Some(i), .. } if *i == id => return f,
                _ => self.backlog.push_back(f),
            }
        }
    }

    /// The frames kept in the backlog (e.g. a resume's replay, read before its ack).
    pub fn backlog_drain(&mut self) -> Vec<ServerFrame> {
        self.backlog.drain(..).collect()
    }

    /// Next frame, backlog first.
    pub async fn next(&mut self) -> ServerFrame {
        if let Some(f) = self.backlog.pop_front() {
            return f;
        }
        self.read().await.expect("socket open")
    }

    /// Next frame matching `pred`, skipping (and dropping) others.
    pub async fn next_matching(&mut self, pred: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let f = self.next().await;
            if pred(&f) {
                return f;
            }
        }
    }

    /// Whether a frame matching `pred` arrives within `wait` (frames read are kept).
    pub async fn sees_within(
        &mut self,
        wait: Duration,
        pred: impl Fn(&ServerFrame) -> bool,
    ) -> bool {
        let seen = self.pending.iter().any(&pred);
        self.backlog.extend(self.pending.drain(..));
        if seen || self.backlog.iter().any(&pred) {
            return true;
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            match tokio::time::timeout(left, self.stream.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) => return false,
                Ok(Some(Ok(WsMsg::Text(t)))) => {
                    self.receive_text(&t);
                    let hit = self.pending.iter().any(&pred);
                    self.backlog.extend(self.pending.drain(..));
                    if hit {
                        return true;
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn subscribe(&mut self, chat: &str, since: Option<i64>) -> ServerFrame {
        let mut c = json!({"chatId": chat});
        if let Some(s) = since {
            c["since"] = json!(s);
        }
        self.request(json!({"type": "subscribe", "chats": [c]}))
            .await
    }

    pub async fn send_msg(&mut self, chat: &str, body: Value) -> ServerFrame {
        self.request(json!({"type": "send", "chatId": chat, "message": body}))
            .await
    }

    /// Sends every message at once (no waiting between them), then waits for all their
    /// acks; other frames go to the backlog.
    pub async fn send_pipelined(&mut self, chat: &str, bodies: Vec<Value>) {
        let first = self.next_id;
        for body in &bodies {
            let id = self.next_id;
            self.next_id += 1;
            self.send_text(
                json!({"type": "send", "id": id, "chatId": chat, "message": body}).to_string(),
            )
            .await;
        }
        let ids = first..self.next_id;
        let mut acked = 0;
        while acked < bodies.len() {
            let f = self.read().await.expect("socket open");
            match &f {
                ServerFrame::Ack { id, .. } if ids.contains(id) => acked += 1,
                ServerFrame::Error { id: Some(id), .. } if ids.contains(id) => {
                    panic!("a pipelined send failed: {f:?}")
                }
                _ => self.backlog.push_back(f),
            }
        }
    }

    /// Frames received (from a batch) but not read yet.
    pub fn unread(&self) -> usize {
        self.pending.len()
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

pub fn is_ack(f: &ServerFrame) -> bool {
    matches!(f, ServerFrame::Ack { .. })
}

pub fn error_code(f: &ServerFrame) -> Option<String> {
    match f {
        ServerFrame::Error { code, .. } => Some(code.as_str().to_owned()),
        _ => None,
    }
}

/// The error code of a REST error body.
pub fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}
