//! Identity and authentication, over real HTTP and WebSocket.

mod common;

use chatix_server::auth::tokens::{sign, Claims};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMsg;

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
    let (s, v) = srv.consultant_login("consultant", "wrong-password").await;
    assert_eq!((s, code(&v)), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let (s, _) = srv.consultant_login("nobody", "wrong-password").await;
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
    let (s, _) = srv.consultant_login("kim", "longenough").await;
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
            // The socket refuses it in its auth frame, with the same message.
            let rest = v["error"]["message"].as_str().unwrap().to_owned();
            match open_socket(&srv.url, "", None, Some(auth_frame(&token))).await {
                Opened::Closed { code, error, .. } => {
                    assert_eq!(code, 4001, "{why} on the socket");
                    assert_eq!(error.as_deref(), Some(rest.as_str()), "{why} on the socket");
                }
                other => panic!("{why}: the socket opened: {other:?}"),
            }
            rest
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
    assert!(matches!(
        open_socket(&srv.url, "", None, Some(auth_frame(&token))).await,
        Opened::Closed { code: 4001, .. }
    ));
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
    assert!(matches!(
        open_socket(&srv.url, "", None, Some(auth_frame(&srv.secret))).await,
        Opened::Closed { code: 4001, .. }
    ));
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
async fn socket_upgrade_checks_origin_then_the_first_frame_checks_the_token() {
    let srv = TestServer::start().await;
    let (token, _, _) = srv.visitor().await;
    let site = srv.website.clone();
    let auth = || Some(auth_frame(&token));
    // The token is never accepted on the URL (it would end up in logs).
    assert_eq!(
        open_socket(&srv.url, &format!("?token={token}"), None, None).await,
        Opened::Http(400),
        "token on the URL"
    );
    // A server (no Origin) may leave the website out.
    assert_eq!(open_socket(&srv.url, "", None, auth()).await, Opened::Ready);
    // Bad first frames: each closed with 4001 and a reason, after an error frame.
    for (first, why) in [
        (
            WsMsg::Text(json!({"type": "auth", "token": "bad"}).to_string().into()),
            "bad token",
        ),
        (
            WsMsg::Text(
                json!({"type": "subscribe", "chatId": "x"})
                    .to_string()
                    .into(),
            ),
            "not auth",
        ),
        (WsMsg::Text("{not json".into()), "not JSON"),
        (WsMsg::Binary(vec![1, 2, 3].into()), "binary"),
    ] {
        match open_socket(&srv.url, "", None, Some(first)).await {
            Opened::Closed {
                code,
                reason,
                error,
            } => {
                assert_eq!(code, 4001, "{why}");
                assert!(!reason.is_empty(), "{why}: a close reason");
                assert!(error.is_some(), "{why}: an error frame first");
            }
            other => panic!("{why}: {other:?}"),
        }
    }
    // A socket that sends nothing is closed at the deadline (the test server's: 1 s).
    let t0 = std::time::Instant::now();
    match open_socket(&srv.url, "", None, None).await {
        Opened::Closed { code, reason, .. } => {
            assert_eq!(code, 4001);
            assert!(reason.contains("no auth frame"), "{reason}");
        }
        other => panic!("silent socket: {other:?}"),
    }
    assert!(t0.elapsed() < std::time::Duration::from_secs(8));

    // A browser (Origin) must name the website, whose list the Origin is checked against
    // before the upgrade.
    let q = format!("?website={site}");
    assert_eq!(
        open_socket(&srv.url, "", Some("http://localhost:5173"), auth()).await,
        Opened::Http(400),
        "a browser without website="
    );
    assert_eq!(
        open_socket(&srv.url, &q, Some("https://evil.example"), auth()).await,
        Opened::Http(403),
        "foreign origin"
    );
    assert_eq!(
        open_socket(
            &srv.url,
            "?website=wid_nope",
            Some("http://localhost:5173"),
            auth()
        )
        .await,
        Opened::Http(404),
        "unknown website"
    );
    assert_eq!(
        open_socket(&srv.url, &q, Some("http://localhost:5173"), auth()).await,
        Opened::Ready,
        "the demo allows localhost"
    );

    // Each website has its own list: B's origin opens B's sockets only, A's origin does not
    // open B's, and a token of A cannot ride on B's URL.
    let (s, b) = srv
        .post(
            "/v1/operator/websites",
            "op-token",
            json!({"name": "Shop B", "allowedOrigins": ["https://shop-b.example"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let b_site = b["websiteId"].as_str().unwrap();
    let (b_token, _, _) = srv.visitor_of(b_site).await;
    let qb = format!("?website={b_site}");
    let b_auth = || Some(auth_frame(&b_token));
    assert_eq!(
        open_socket(&srv.url, &qb, Some("https://shop-b.example"), b_auth()).await,
        Opened::Ready
    );
    assert_eq!(
        open_socket(&srv.url, &qb, Some("http://localhost:5173"), b_auth()).await,
        Opened::Http(403)
    );
    assert_eq!(
        open_socket(&srv.url, &qb, Some("https://shop-b.example:8443"), b_auth()).await,
        Opened::Http(403)
    );
    match open_socket(&srv.url, &qb, Some("https://shop-b.example"), auth()).await {
        Opened::Closed { code, error, .. } => {
            assert_eq!(code, 4001);
            assert!(error.unwrap().contains("another website"));
        }
        other => panic!("A's token on B's URL: {other:?}"),
    }
}
