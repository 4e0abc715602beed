//! The Socket.IO side: Engine.IO v4 / Socket.IO v5 framing over a WebSocket, as
//! `socket.io-client` speaks it (`40` connect, `42[...]` events, `2`/`3` ping/pong), to the
//! reference server in `bench/socketio/server.mjs` (events `join` and `msg`).

use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMsg;

use crate::{Protocol, Setup};

struct SocketIo;

impl Protocol for SocketIo {
    fn join(&self, room: &str) -> WsMsg {
        WsMsg::Text(format!("42{}", json!(["join", room])).into())
    }

    fn send(&self, room: &str, text: &str, _seq: u64) -> WsMsg {
        WsMsg::Text(format!("42{}", json!(["msg", {"room": room, "text": text}])).into())
    }

    fn receive(
        &self,
        frame: &str,
        reply: &mpsc::UnboundedSender<WsMsg>,
    ) -> Option<(String, String)> {
        if frame == "2" {
            let _ = reply.send(WsMsg::Text("3".into()));
            return None;
        }
        let body = frame.strip_prefix("42")?;
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let m = v.get(1)?;
        Some((
            m.get("room")?.as_str()?.to_owned(),
            m.get("text")?.as_str()?.to_owned(),
        ))
    }

    fn is_ack(&self, _frame: &str) -> bool {
        false
    }

    fn handshake(&self) -> Option<(&'static str, &'static str)> {
        Some(("40", "40"))
    }
}

/// Rooms `r0..`, every member connecting to the same URL.
pub fn setup(base: &str, rooms: usize, members: usize) -> Setup {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        base.replace("http://", "ws://")
    );
    Setup {
        proto: Arc::new(SocketIo),
        rooms: (0..rooms).map(|r| format!("r{r}")).collect(),
        urls: (0..rooms)
            .map(|_| vec![url.clone(); members.max(1)])
            .collect(),
    }
}
