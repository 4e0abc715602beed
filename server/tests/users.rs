//! Users: create (idempotent), fetch, update, delete, metadata, presence.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_user_is_idempotent_by_username() {
    let srv = TestServer::start().await;
    let (s, a) = srv.post("/v1/users", &srv.secret, json!({"username": "amy", "name": "Amy", "metadata": {"plan": "pro", "age": 31, "vip": true}})).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(
        a["metadata"],
        json!({"age": 31.0, "plan": "pro", "vip": true})
    );
    let (s, b) = srv
        .post(
            "/v1/users",
            &srv.secret,
            json!({"username": "amy", "name": "Other name"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(a["id"], b["id"]);
    assert_eq!(b["name"], "Amy", "the existing user is returned unchanged");

    // an app user may create users too (MinChat's createUser); a visitor may not
    let (ut, _) = srv.user("boss").await;
    assert_eq!(
        srv.post("/v1/users", &ut, json!({"username": "cat", "name": "Cat"}))
            .await
            .0,
        StatusCode::CREATED
    );
    let (vt, _, _) = srv.visitor().await;
    let (s, v) = srv
        .post("/v1/users", &vt, json!({"username": "dan", "name": "Dan"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
}

#[tokio::test]
async fn bad_user_input_is_refused_with_a_message_and_stores_nothing() {
    let srv = TestServer::start().await;
    let cases = [
        (json!({"username": "", "name": "x"}), "username"),
        (json!({"username": "a b", "name": "x"}), "username"),
        (json!({"username": "ok", "name": ""}), "name"),
        (
            json!({"username": "ok", "name": "x", "metadata": {"a": {"b": 1}}}),
            "flat",
        ),
        (
            json!({"username": "ok", "name": "x", "metadata": {"a": [1]}}),
            "arrays",
        ),
        (
            json!({"username": "ok", "name": "x", "avatar": "javascript:alert(1)"}),
            "avatar",
        ),
        (
            json!({"username": "ok", "name": "x", "email": "not-an-email"}),
            "email",
        ),
        (json!({"username": 5, "name": "x"}), "username"),
        (json!({"name": "x"}), "username"),
        (
            json!({"username": "ok", "name": "x", "nmae": "typo"}),
            "nmae",
        ),
    ];
    for (body, needle) in cases {
        let (s, v) = srv.post("/v1/users", &srv.secret, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} -> {v}");
        assert_eq!(code(&v), "invalid_argument");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(needle),
            "{body}: message {msg:?} should mention {needle}"
        );
    }
    let (s, _) = srv.get("/v1/users/by-username/ok", &srv.secret).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing was stored");
    // not JSON at all
    let res = srv
        .http
        .post(format!("{}/v1/users", srv.url))
        .bearer_auth(&srv.secret)
        .body("{oops")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(code(&v), "invalid_argument");
}

#[tokio::test]
async fn fetch_update_and_delete_users() {
    let srv = TestServer::start().await;
    let (s, a) = srv
        .post(
            "/v1/users",
            &srv.secret,
            json!({"username": "eve", "name": "Eve", "metadata": {"k": 1}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = a["id"].as_str().unwrap();
    let (vt, _, _) = srv.visitor().await;
    let (s, by_name) = srv.get("/v1/users/by-username/eve", &vt).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(by_name["id"], id);
    let (_, by_id) = srv.get(&format!("/v1/users/{id}"), &vt).await;
    assert_eq!(by_id["username"], "eve");
    assert_eq!(by_id["presence"], "offline");
    srv.post(
        "/v1/users",
        &srv.secret,
        json!({"username": "fay", "name": "Fay"}),
    )
    .await;
    let (_, many) = srv
        .post(
            "/v1/users/batch",
            &vt,
            json!({"usernames": ["eve", "fay", "ghost"]}),
        )
        .await;
    let names: Vec<&str> = many["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["eve", "fay"]);

    // others may not update eve; eve and the admin key may; metadata merges
    let (s, v) = srv
        .patch(&format!("/v1/users/{id}"), &vt, json!({"name": "Hacked"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "forbidden"));
    let (s, v) = srv
        .patch(
            "/v1/users/by-username/eve",
            &srv.secret,
            json!({"name": "Eve B", "metadata": {"j": "x"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["metadata"], json!({"j": "x", "k": 1.0}));
    let (et, _) = srv.user("eve").await;
    let (s, v) = srv
        .patch(
            "/v1/me",
            &et,
            json!({"avatar": "https://img.example/e.png"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["avatar"], "https://img.example/e.png");
    let (_, v) = srv.patch("/v1/me", &et, json!({"avatar": ""})).await;
    assert!(v["avatar"].is_null(), "empty string clears the avatar");

    // presence: online while a socket is open
    let ws = srv.ws(&et).await;
    let (_, v) = srv.get(&format!("/v1/users/{id}"), &vt).await;
    assert_eq!(v["presence"], "online");
    ws.close().await;

    // delete: secret key only
    let (s, _) = srv.delete(&format!("/v1/users/{id}"), &et).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        srv.delete("/v1/users/by-username/eve", &srv.secret).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        srv.get(&format!("/v1/users/{id}"), &vt).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        srv.delete("/v1/users/by-username/eve", &srv.secret).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn visitors_set_their_own_profile_and_list_consultants() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let (s, v) = srv
        .patch(
            "/v1/me",
            &vt,
            json!({"name": "Vera", "email": "vera@example.com", "metadata": {"plan": "free"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["email"].as_str()),
        (Some("Vera"), Some("vera@example.com"))
    );
    let (_, all) = srv.get("/v1/consultants", &vt).await;
    assert_eq!(all["users"].as_array().unwrap().len(), 1);
    let (_, online) = srv.get("/v1/consultants?online=true", &vt).await;
    assert!(online["users"].as_array().unwrap().is_empty());
    let (ct, _) = srv.consultant().await;
    let _ws = srv.ws(&ct).await;
    let (_, online) = srv.get("/v1/consultants?online=true", &vt).await;
    assert_eq!(online["users"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn websites_do_not_see_each_others_users() {
    let srv = TestServer::start().await;
    srv.post(
        "/v1/users",
        &srv.secret,
        json!({"username": "only-a", "name": "A"}),
    )
    .await;
    let (b_id, b_secret) = srv.other_website().await;
    let (bt, _, _) = srv.visitor_of(&b_id).await;
    assert_eq!(
        srv.get("/v1/users/by-username/only-a", &bt).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        srv.get("/v1/users/by-username/only-a", &b_secret).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, a) = srv.get("/v1/users/by-username/only-a", &srv.secret).await;
    assert_eq!(
        srv.get(&format!("/v1/users/{}", a["id"].as_str().unwrap()), &bt)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        srv.delete(
            &format!("/v1/users/{}", a["id"].as_str().unwrap()),
            &b_secret
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}
