//! Operations: health, OpenAPI document, graceful shutdown, restart on the same data.

mod common;

use chatix_protocol::ServerFrame;
use common::process::{free_url, ServerProcess};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn health_and_openapi() {
    let srv = TestServer::start().await;
    let (s, mut v) = srv.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let reads = v.as_object_mut().unwrap().remove("fanoutReads");
    let by_kind = v.as_object_mut().unwrap().remove("fanoutReadsByKind");
    assert!(
        by_kind.is_some_and(|k| ["position", "check", "backfill"]
            .iter()
            .all(|n| k[n].is_u64())),
        "fanoutReadsByKind counts each kind"
    );
    assert!(reads.is_some_and(|r| r.is_u64()), "fanoutReads is a count");
    let node = v.as_object_mut().unwrap().remove("node");
    assert!(
        node.as_ref()
            .and_then(|n| n.as_str())
            .is_some_and(|n| n.len() == 16 && n.bytes().all(|b| b.is_ascii_hexdigit())),
        "node is the node's id: {node:?}"
    );
    assert_eq!(
        v,
        json!({"status": "ok", "database": "up", "storage": "sqlite", "bus": "memory", "pid": std::process::id()})
    );
    let (s, doc) = srv.call(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/auth/visitor",
        "/v1/chats/{id}/messages",
        "/v1/chatrooms",
        "/v1/uploads",
        "/v1/users",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi documents {path}");
    }
    let (s, v) = srv.call(Method::GET, "/v1/nope", None, None).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn graceful_shutdown_closes_sockets_with_going_away_and_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let c = test_config(dir.path());
    let running = chatix_server::start(c.clone()).await.unwrap();
    let demo = running.demo.clone().unwrap();
    let url = running.url();
    let http = reqwest::Client::new();
    let v: serde_json::Value = http
        .post(format!("{url}/v1/auth/visitor"))
        .json(&json!({"websiteId": demo.website_id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = v["token"].as_str().unwrap().to_owned();
    let secret = v["visitorSecret"].as_str().unwrap().to_owned();
    let visitor_id = v["user"]["username"].as_str().unwrap().to_owned();
    let g: serde_json::Value = http
        .post(format!("{url}/v1/chats/group"))
        .bearer_auth(&demo.secret_key)
        .json(&json!({"name": "Keep"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let room = g["id"].as_str().unwrap().to_owned();
    let mut ws = Ws::connect(&url, &token).await;
    for i in 0..20 {
        assert!(is_ack(
            &ws.send_msg(&room, json!({"text": format!("k{i}")})).await
        ));
    }
    running.shutdown().await;
    assert_eq!(
        ws.read_close_code().await,
        Some(1001),
        "clients are told to reconnect"
    );

    // same data folder: same demo website, same visitor (id + secret), every message kept
    let running = chatix_server::start(c).await.unwrap();
    assert_eq!(running.demo.as_ref().unwrap().website_id, demo.website_id);
    let url = running.url();
    let v: serde_json::Value = http.post(format!("{url}/v1/auth/visitor"))
        .json(&json!({"websiteId": demo.website_id, "visitorId": visitor_id, "visitorSecret": secret}))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(v["user"]["username"], visitor_id.as_str());
    let token = v["token"].as_str().unwrap();
    let page: serde_json::Value = http
        .get(format!("{url}/v1/chats/{room}/messages"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["totalMessages"], 20);
    let mut ws = Ws::connect(&url, token).await;
    assert!(is_ack(&ws.subscribe(&room, Some(15)).await));
    let replayed: Vec<_> = ws
        .backlog
        .iter()
        .filter(|f| matches!(f, ServerFrame::Message { .. }))
        .collect();
    assert_eq!(replayed.len(), 5);
    running.shutdown().await;
}

#[tokio::test]
async fn the_server_never_logs_a_token() {
    // The server binary at its most verbose (`CHATIX_LOG=trace`), while a socket is refused
    // for a token on its URL, one opens with its auth frame, one is refused for a bad token,
    // and a REST call carries the token.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let data = dir.path().join("data");
    let mut srv = ServerProcess::start_logging(&free_url(), &data, &[], "trace", &log).await;
    let token = srv.token("logged").await;
    assert_eq!(
        open_socket(&srv.url, &format!("?token={token}"), None, None).await,
        Opened::Http(400)
    );
    assert_eq!(
        open_socket(&srv.url, "", None, Some(auth_frame(&token))).await,
        Opened::Ready
    );
    let bad = format!("{token}x");
    assert!(matches!(
        open_socket(&srv.url, "", None, Some(auth_frame(&bad))).await,
        Opened::Closed { code: 4001, .. }
    ));
    let me = reqwest::Client::new()
        .get(format!("{}/v1/me", srv.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    srv.sigterm().await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("/v1/ws"),
        "the log shows the requests: {text}"
    );
    // A JWT's signature part is what makes it a credential; none of it may be logged.
    let signature = token.rsplit('.').next().unwrap();
    assert!(!text.contains(signature), "a token in the server log");
}
