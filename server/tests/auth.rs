//! Identity and authentication, over real HTTP and WebSocket.

mod common;

use chatix_server::auth::tokens::{sign, Claims};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn now_s() -> i64 {
    chatix_server::util::now_ms() / 1000
}

fn claims(site: &str, sub: &str, exp_in: i64) -> Claims {
    Claims {
        aud: site.into(),
        sub: sub.into(),
        exp: now_s() + exp_in,
        iat: Some(now_s()),
        role: None,
        name: Some("Ann".into()),
    }
}

#[tokio::test]
async fn visitor_sessions_resume_only_with_their_secret() {
    let srv = TestServer::start().await;
    let (token, user, secret) = srv.visitor().await;
    let (s, me) = srv.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["id"], user.id.as_str());
    assert_eq!(me["role"], "visitor");

    // stored id + secret: the same visitor, and no new secret is handed out
    let (s, v) = srv
        .call(
            Method::POST,
            "/v1/auth/visitor",
            None,
            Some(json!({
        "websiteId": srv.website, "visitorId": user.username, "visitorSecret": secret})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["user"]["id"], user.id.as_str());
    assert!(v.get("visitorSecret").is_none());

    // a bare visitor id is not a credential: a new visitor
    let (_, v) = srv
        .call(
            Method::POST,
            "/v1/auth/visitor",
            None,
            Some(json!({
        "websiteId": srv.website, "visitorId": user.username})),
        )
        .await;
    assert_ne!(v["user"]["id"], user.id.as_str());
    let (_, v) = srv
        .call(
            Method::POST,
            "/v1/auth/visitor",
            None,
            Some(json!({
        "websiteId": srv.website, "visitorId": user.username, "visitorSecret": "guess"})),
        )
        .await;
    assert_ne!(v["user"]["id"], user.id.as_str());

    // unknown website, malformed body
    let (s, v) = srv
        .call(
            Method::POST,
            "/v1/auth/visitor",
            None,
            Some(json!({"websiteId": "wid_nope"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, v) = srv
        .call(
            Method::POST,
            "/v1/auth/visitor",
            None,
            Some(json!({"websiteId": srv.website, "visitorID": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("visitorID"),
        "{v}"
    );
}

#[tokio::test]
async fn consultant_login_checks_the_password() {
    let srv = TestServer::start().await;
    let (token, user) = srv.consultant().await;
    assert_eq!(user.role, chatix_protocol::Role::Consultant);
    assert_eq!(srv.get("/v1/me", &token).await.0, StatusCode::OK);
    let (s, v) = srv
        .call(
            Method::POST,
            "/v1/auth/consultant",
            None,
            Some(json!({
        "websiteId": srv.website, "username": "consultant", "password": "wrong-password"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let (s, _) = srv
        .call(
            Method::POST,
            "/v1/auth/consultant",
            None,
            Some(json!({
        "websiteId": srv.website, "username": "nobody", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // created through the admin API, then logs in
    let (s, v) = srv
        .post(
            "/v1/admin/consultants",
            &srv.secret,
            json!({"username": "kim", "name": "Kim", "password": "longenough"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = srv
        .call(
            Method::POST,
            "/v1/auth/consultant",
            None,
            Some(json!({
        "websiteId": srv.website, "username": "kim", "password": "longenough"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = srv
        .post(
            "/v1/admin/consultants",
            &srv.secret,
            json!({"username": "kim", "name": "Kim", "password": "longenough"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "conflict"));
    let (s, _) = srv
        .post(
            "/v1/admin/consultants",
            &srv.secret,
            json!({"username": "lee", "name": "Lee", "password": "short"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (token, _) = srv.consultant().await;
    let (s, v) = srv
        .post(
            "/v1/admin/consultants",
            &token,
            json!({"username": "x", "name": "X", "password": "longenough"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "a token is not the secret key"
    );
}

#[tokio::test]
async fn backend_signed_user_tokens_are_verified() {
    let srv = TestServer::start().await;
    let good = sign(&claims(&srv.website, "ann", 600), &srv.secret).unwrap();
    let (s, me) = srv.get("/v1/me", &good).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(
        (
            me["username"].as_str(),
            me["name"].as_str(),
            me["role"].as_str()
        ),
        (Some("ann"), Some("Ann"), Some("user"))
    );

    let expect_401 = |token: String, why: &'static str| {
        let srv = &srv;
        async move {
            let (s, v) = srv.get("/v1/me", &token).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{why}: {v}");
            assert_eq!(code(&v), "unauthorized");
            // The socket refuses it before the upgrade, with the same answer.
            let url = format!("{}/v1/ws?token={token}", srv.url.replace("http", "ws"));
            match tokio_tungstenite::connect_async(url).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                    assert_eq!(
                        res.status(),
                        StatusCode::UNAUTHORIZED,
                        "{why} on the socket"
                    )
                }
                other => panic!("{why}: the socket opened: {:?}", other.map(|_| ())),
            }
            v["error"]["message"].as_str().unwrap().to_owned()
        }
    };
    let m = expect_401(
        sign(&claims(&srv.website, "ann", 600), "sk_forged").unwrap(),
        "forged",
    )
    .await;
    assert!(m.contains("signature"), "{m}");
    let mut c = claims(&srv.website, "ann", -600);
    c.iat = Some(now_s() - 1200);
    let m = expect_401(sign(&c, &srv.secret).unwrap(), "expired").await;
    assert!(m.contains("expired"), "{m}");
    let m = expect_401(
        sign(&claims(&srv.website, "ann", 3 * 86_400), &srv.secret).unwrap(),
        "long-lived",
    )
    .await;
    assert!(m.contains("24 hours"), "{m}");
    let mut c = claims(&srv.website, "ann", 600);
    c.role = Some("admin".into());
    let m = expect_401(sign(&c, &srv.secret).unwrap(), "unknown role").await;
    assert!(m.contains("role"), "{m}");
    let mut c = claims(&srv.website, "ann", 600);
    c.role = Some("consultant".into());
    let m = expect_401(sign(&c, &srv.secret).unwrap(), "wrong role").await;
    assert!(m.contains("role"), "{m}");
    expect_401("not-a-jwt".into(), "garbage").await;

    // a token of website B used on website A (signed with B's secret, aud B): it authenticates
    // on B only, and B's user never appears on A
    let (b_id, b_secret) = srv.other_website().await;
    let b_token = sign(&claims(&b_id, "ann", 600), &b_secret).unwrap();
    let (_, me_b) = srv.get("/v1/me", &b_token).await;
    assert_ne!(
        me_b["id"], me["id"],
        "same username on two websites is two users"
    );
    // aud A but signed with B's secret
    let m = expect_401(
        sign(&claims(&srv.website, "ann", 600), &b_secret).unwrap(),
        "foreign secret",
    )
    .await;
    assert!(m.contains("signature"), "{m}");
    // aud B but signed with A's secret
    let m = expect_401(
        sign(&claims(&b_id, "ann", 600), &srv.secret).unwrap(),
        "foreign aud",
    )
    .await;
    assert!(m.contains("signature"), "{m}");
}

#[tokio::test]
async fn a_deleted_users_old_tokens_stay_refused() {
    let srv = TestServer::start().await;
    let mut c = claims(&srv.website, "bob", 600);
    c.iat = Some(now_s() - 5);
    let token = sign(&c, &srv.secret).unwrap();
    let (_, me) = srv.get("/v1/me", &token).await;
    let mut ws = srv.ws(&token).await;
    let (s, _) = srv
        .delete(
            &format!("/v1/users/{}", me["id"].as_str().unwrap()),
            &srv.secret,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        ws.read_close_code().await,
        Some(4003),
        "the deleted user's socket is closed"
    );
    let (s, v) = srv.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("deleted"));
    // and a socket cannot be opened with it either
    let res = tokio_tungstenite::connect_async(format!(
        "{}/v1/ws?token={token}",
        srv.url.replace("http", "ws")
    ))
    .await;
    assert!(res.is_err());
    // a token minted after the deletion works again (the username is free)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = sign(&claims(&srv.website, "bob", 600), &srv.secret).unwrap();
    assert_eq!(srv.get("/v1/me", &fresh).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_secret_key_is_for_backends_only() {
    let srv = TestServer::start().await;
    // X-Api-Key or Bearer sk_…: fine from a backend
    let res = srv
        .http
        .post(format!("{}/v1/admin/tokens", srv.url))
        .header("x-api-key", &srv.secret)
        .json(&json!({"username": "zed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // refused when a browser page sends it (Origin header present)
    let res = srv
        .http
        .post(format!("{}/v1/admin/tokens", srv.url))
        .bearer_auth(&srv.secret)
        .header("origin", "http://localhost:3000")
        .json(&json!({"username": "zed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // a wrong key
    let (s, v) = srv
        .post("/v1/admin/tokens", "sk_wrong", json!({"username": "zed"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    // no credential at all
    let (s, v) = srv.call(Method::GET, "/v1/chats", None, None).await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    // the key cannot open a socket (it is not a user)
    assert!(tokio_tungstenite::connect_async(format!(
        "{}/v1/ws?token={}",
        srv.url.replace("http", "ws"),
        srv.secret
    ))
    .await
    .is_err());
}

#[tokio::test]
async fn refresh_extends_visitor_and_consultant_sessions_only() {
    let srv = TestServer::start().await;
    let (vt, vu, _) = srv.visitor().await;
    let (s, v) = srv.post("/v1/auth/refresh", &vt, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["user"]["id"], vu.id.as_str());
    let (ut, _) = srv.user("carl").await;
    let (s, v) = srv.post("/v1/auth/refresh", &ut, json!({})).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
}

/// REST answers CORS for any origin (identity travels in a bearer token, never a cookie),
/// allows the headers a browser SDK sends, and not `X-Api-Key`: the secret key is for
/// backends, so a page cannot be made to send it cross-origin.
#[tokio::test]
async fn rest_cors_allows_bearer_calls_from_pages_but_not_the_secret_key_header() {
    let srv = TestServer::start().await;
    let preflight = |headers: &'static str| {
        srv.http
            .request(Method::OPTIONS, format!("{}/v1/chats/group", srv.url))
            .header("origin", "https://shop.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", headers)
            .send()
    };
    let r = preflight("authorization, content-type").await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let h = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    assert_eq!(h(&r, "access-control-allow-origin"), "*");
    assert!(h(&r, "access-control-allow-methods").contains("post"));
    let allowed = h(&r, "access-control-allow-headers");
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    assert!(!allowed.contains("x-api-key"), "{allowed}");
    // A preflight asking for X-Api-Key is not granted it.
    let r = preflight("x-api-key").await.unwrap();
    assert!(!h(&r, "access-control-allow-headers").contains("x-api-key"));
    // The actual response carries the header too, errors included.
    let r = srv
        .http
        .get(format!("{}/v1/me", srv.url))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(h(&r, "access-control-allow-origin"), "*");
}

#[tokio::test]
async fn socket_upgrade_checks_token_and_origin() {
    let srv = TestServer::start().await;
    let (token, _, _) = srv.visitor().await;
    let base = srv.url.replace("http", "ws");
    assert!(
        tokio_tungstenite::connect_async(format!("{base}/v1/ws"))
            .await
            .is_err(),
        "no token"
    );
    assert!(
        tokio_tungstenite::connect_async(format!("{base}/v1/ws?token=bad"))
            .await
            .is_err(),
        "bad token"
    );
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("{base}/v1/ws?token={token}")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 403),
        other => panic!(
            "foreign origin must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
    let mut req = format!("{base}/v1/ws?token={token}")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("origin", "http://localhost:5173".parse().unwrap());
    assert!(
        tokio_tungstenite::connect_async(req).await.is_ok(),
        "the demo allows localhost"
    );

    // Each website has its own list: B's origin opens B's sockets only, and A's origin
    // does not open B's.
    let (s, b) = srv
        .post(
            "/v1/operator/websites",
            "op-token",
            json!({"name": "Shop B", "allowedOrigins": ["https://shop-b.example"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (b_token, _, _) = srv.visitor_of(b["websiteId"].as_str().unwrap()).await;
    let status = |token: String, origin: &'static str| {
        let base = base.clone();
        async move {
            let mut req = format!("{base}/v1/ws?token={token}")
                .into_client_request()
                .unwrap();
            req.headers_mut().insert("origin", origin.parse().unwrap());
            match tokio_tungstenite::connect_async(req).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        }
    };
    assert_eq!(status(b_token.clone(), "https://shop-b.example").await, 101);
    assert_eq!(status(b_token.clone(), "http://localhost:5173").await, 403);
    assert_eq!(status(b_token, "https://shop-b.example:8443").await, 403);
    assert_eq!(status(token, "https://shop-b.example").await, 403);
}
