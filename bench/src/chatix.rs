//! The Chatix side: users and rooms through the admin REST API, frames of `/v1/ws`.

use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMsg;

use crate::{Protocol, Setup};

struct Chatix;

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(rename = "chatId", default, borrow)]
    chat_id: Option<&'a str>,
    #[serde(default, borrow)]
    message: Option<Msg<'a>>,
}

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

impl Protocol for Chatix {
    fn join(&self, room: &str) -> WsMsg {
        WsMsg::Text(
            json!({"type": "subscribe", "chats": [{"chatId": room}]})
                .to_string()
                .into(),
        )
    }

    /// A send as the SDK writes it, with a client id of the SDK's shape (the time in ms,
    /// then a part unique to this connection's send), so the server's idempotency check and
    /// its index cost what they cost for SDK users.
    fn send(&self, room: &str, text: &str, seq: u64) -> WsMsg {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let client_id = format!("c{ms:x}{seq:012x}");
        WsMsg::Text(
            json!({"type": "send", "id": seq, "chatId": room, "message": {"text": text, "clientId": client_id}})
                .to_string()
                .into(),
        )
    }

    fn receive(
        &self,
        frame: &str,
        _reply: &mpsc::UnboundedSender<WsMsg>,
    ) -> Option<(String, String)> {
        if !frame.starts_with("{\"type\":\"message\"") {
            return None;
        }
        let f: Frame = serde_json::from_str(frame).ok()?;
        (f.kind == "message").then_some(())?;
        Some((f.chat_id?.to_owned(), f.message?.text.into_owned()))
    }

    fn is_ack(&self, frame: &str) -> bool {
        frame.starts_with("{\"type\":\"ack\"")
    }

    fn opening(&self, url: &str) -> (String, Option<WsMsg>) {
        match url.split_once('#') {
            Some((url, token)) => (
                url.to_owned(),
                Some(WsMsg::Text(
                    json!({"type": "auth", "token": token}).to_string().into(),
                )),
            ),
            None => (url.to_owned(), None),
        }
    }

    fn is_refusal(&self, frame: &str) -> bool {
        frame.starts_with("{\"type\":\"error\"")
            && (frame.contains("\"code\":\"rate_limited\"")
                || frame.contains("\"code\":\"unavailable\""))
    }
}

/// Mints `k` publisher users, adds them to the existing chat `room`; one socket URL each.
pub async fn publishers(base: &str, secret: &str, room: &str, k: usize) -> anyhow::Result<Setup> {
    let http = reqwest::Client::new();
    let ws = base.replace("http://", "ws://");
    let run = format!("{:x}", crate::now_us());
    let names: Vec<String> = (0..k).map(|i| format!("pub{run}_{i}")).collect();
    let mut urls = Vec::new();
    for name in &names {
        urls.push(format!(
            "{ws}/v1/ws#{}",
            mint(&http, base, secret, name).await?
        ));
    }
    http.post(format!("{base}/v1/chats/{room}/members"))
        .header("x-api-key", secret)
        .json(&json!({"usernames": names}))
        .send()
        .await?
        .error_for_status()?;
    Ok(Setup {
        proto: Arc::new(Chatix),
        rooms: vec![room.to_owned()],
        urls: vec![urls],
    })
}

async fn mint(
    http: &reqwest::Client,
    base: &str,
    secret: &str,
    name: &str,
) -> anyhow::Result<String> {
    let v: serde_json::Value = http
        .post(format!("{base}/v1/admin/tokens"))
        .header("x-api-key", secret)
        .json(&json!({"username": name, "ttlSeconds": 86400}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(v["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no token: {v}"))?
        .to_owned())
}

/// Creates `rooms` private rooms of `members` users each (users `b{r}_{m}`), with a token
/// per user.
pub async fn setup(
    base: &str,
    secret: &str,
    rooms: usize,
    members: usize,
) -> anyhow::Result<Setup> {
    let http = reqwest::Client::new();
    let ws = base.replace("http://", "ws://");
    let run = format!("{:x}", crate::now_us());
    let mut room_ids = Vec::new();
    let mut urls = Vec::new();
    for r in 0..rooms {
        let names: Vec<String> = (0..members).map(|m| format!("b{run}_{r}_{m}")).collect();
        let mut room_urls = Vec::new();
        for chunk in names.chunks(64) {
            let tokens = futures_util::future::try_join_all(
                chunk.iter().map(|name| mint(&http, base, secret, name)),
            )
            .await?;
            for token in tokens {
                room_urls.push(format!("{ws}/v1/ws#{token}"));
            }
        }
        let first: Vec<&String> = names.iter().take(1000).collect();
        let v: serde_json::Value = http
            .post(format!("{base}/v1/chats/group"))
            .header("x-api-key", secret)
            .json(&json!({"name": format!("bench {r}"), "visibility": "private", "memberUsernames": first}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = v["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no room id: {v}"))?
            .to_owned();
        for chunk in names[first.len()..].chunks(1000) {
            http.post(format!("{base}/v1/chats/{id}/members"))
                .header("x-api-key", secret)
                .json(&json!({"usernames": chunk}))
                .send()
                .await?
                .error_for_status()?;
        }
        room_ids.push(id);
        urls.push(room_urls);
    }
    Ok(Setup {
        proto: Arc::new(Chatix),
        rooms: room_ids,
        urls,
    })
}
