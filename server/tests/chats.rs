//! Chats: direct, groups (chatrooms, public and private), conversations, members,
//! soft delete and restore, pagination.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_same_pair_always_gets_the_same_direct_chat() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("ann").await;
    let (bt, _) = srv.user("ben").await;
    let (s, c1) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ben"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c1}");
    let (_, c2) = srv
        .post("/v1/chats/direct", &bt, json!({"username": "ann"}))
        .await;
    assert_eq!(c1["id"], c2["id"]);
    assert_eq!(c1["kind"], "direct");
    assert_eq!(c1["members"].as_array().unwrap().len(), 2);
    let (s, v) = srv
        .post("/v1/chats/direct", &at, json!({"username": "nobody"}))
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, _) = srv
        .post("/v1/chats/direct", &at, json!({"username": "ann"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not with yourself");
    // a third party cannot read it
    let (ct, _) = srv.user("cid").await;
    let chat = c1["id"].as_str().unwrap();
    assert_eq!(
        srv.get(&format!("/v1/chats/{chat}"), &ct).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        srv.get(&format!("/v1/chats/{chat}/messages"), &ct).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{chat}/messages"),
            &ct,
            json!({"text": "hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_private_chatroom_is_invisible_and_closed_to_a_visitor_until_the_admin_adds_them() {
    let srv = TestServer::start().await;
    let (vt, visitor, _) = srv.visitor().await;
    let private = srv.room("Secret", "private").await;
    let public = srv.room("Open", "public").await;

    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["chatrooms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, list) = srv.get("/v1/chatrooms?perPage=100", &vt).await;
    assert!(ids(&list).contains(&public));
    assert!(!ids(&list).contains(&private), "not listed");
    for path in [
        format!("/v1/chats/{private}"),
        format!("/v1/chats/{private}/messages"),
        format!("/v1/chats/{private}/history"),
        format!("/v1/chats/{private}/members"),
    ] {
        let (s, v) = srv.get(&path, &vt).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
    let (s, _) = srv
        .post(&format!("/v1/chats/{private}/join"), &vt, json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "cannot join on its own");
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{private}/messages"),
            &vt,
            json!({"text": "let me in"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut ws = srv.ws(&vt).await;
    let f = ws.subscribe(&private, None).await;
    assert_eq!(error_code(&f).as_deref(), Some("not_found"), "{f:?}");

    // a consultant cannot put a visitor into a private room; the admin key can (and so can
    // a consultant with the admin permission, like the demo one)
    let plain = srv.plain_consultant().await;
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{private}/members"),
            &plain,
            json!({"usernames": [visitor.username]}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let (s, v) = srv
        .post(
            &format!("/v1/chats/{private}/members"),
            &srv.secret,
            json!({"usernames": [visitor.username]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = srv.get("/v1/chatrooms?perPage=100", &vt).await;
    assert!(ids(&list).contains(&private), "listed once a member");
    assert_eq!(
        srv.get(&format!("/v1/chats/{private}/messages"), &vt)
            .await
            .0,
        StatusCode::OK
    );
    let f = ws.subscribe(&private, None).await;
    assert!(is_ack(&f), "{f:?}");

    // consultants see and join every chatroom
    let (ct, _) = srv.consultant().await;
    let (_, list) = srv.get("/v1/chatrooms?perPage=100", &ct).await;
    assert!(ids(&list).contains(&private));
    assert_eq!(
        srv.post(&format!("/v1/chats/{private}/join"), &ct, json!({}))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn visitors_join_public_rooms_on_their_own_and_cannot_manage_rooms() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("Open", "public").await;
    let (s, v) = srv
        .post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["isMember"], true);
    let (_, mine) = srv.get("/v1/chatrooms/mine", &vt).await;
    assert_eq!(mine["total"], 1);
    let (s, _) = srv
        .post("/v1/chats/group", &vt, json!({"name": "mine"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "visitors cannot create chatrooms");
    let (s, _) = srv
        .patch(
            &format!("/v1/chats/{room}"),
            &vt,
            json!({"name": "renamed"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = srv.delete(&format!("/v1/chats/{room}"), &vt).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a visitor cannot delete a chatroom"
    );
    let (s, _) = srv
        .post(&format!("/v1/chats/{room}/restore"), &vt, json!({}))
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a visitor cannot restore a chatroom"
    );
    assert_eq!(
        srv.post(&format!("/v1/chats/{room}/leave"), &vt, json!({}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, mine) = srv.get("/v1/chatrooms/mine", &vt).await;
    assert_eq!(mine["total"], 0);
}

#[tokio::test]
async fn soft_delete_by_staff_and_restore_only_with_the_secret_key() {
    let srv = TestServer::start().await;
    let (ct, _) = srv.consultant().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("Temp", "public").await;
    srv.post(&format!("/v1/chats/{room}/join"), &vt, json!({}))
        .await;
    let mut ws = srv.ws(&vt).await;
    assert!(is_ack(&ws.subscribe(&room, None).await));
    send_rest(&srv, &vt, &room, "before delete").await;
    assert_eq!(
        srv.delete(&format!("/v1/chats/{room}"), &ct).await.0,
        StatusCode::NO_CONTENT
    );
    let f = ws
        .next_matching(|f| matches!(f, chatix_protocol::ServerFrame::ChatDeleted { .. }))
        .await;
    assert!(matches!(f, chatix_protocol::ServerFrame::ChatDeleted { chat_id } if chat_id == room));
    let (s, v) = srv.get(&format!("/v1/chats/{room}"), &vt).await;
    assert_eq!((s, code(&v)), (StatusCode::GONE, "gone"));
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"text": "after"}),
        )
        .await;
    assert_eq!(s, StatusCode::GONE);
    let (_, list) = srv.get("/v1/chatrooms", &vt).await;
    assert_eq!(
        list["total"], 1,
        "the demo Lobby only, not the deleted room: {list}"
    );
    assert_ne!(list["chatrooms"][0]["id"], room.as_str());
    let plain = srv.plain_consultant().await;
    let (s, _) = srv
        .post(&format!("/v1/chats/{room}/restore"), &plain, json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "consultants cannot restore");
    let (_, deleted) = srv.get("/v1/chatrooms/deleted", &plain).await;
    assert_eq!(
        deleted["chats"][0]["id"],
        room.as_str(),
        "staff list deleted rooms"
    );
    assert_eq!(
        srv.get("/v1/chatrooms/deleted", &vt).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = srv
        .post(&format!("/v1/chats/{room}/restore"), &srv.secret, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // a consultant with the admin permission (the demo one) restores from the console
    assert_eq!(
        srv.delete(&format!("/v1/chats/{room}"), &ct).await.0,
        StatusCode::NO_CONTENT
    );
    let (s, v) = srv
        .post(&format!("/v1/chats/{room}/restore"), &ct, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, page) = srv.get(&format!("/v1/chats/{room}/messages"), &vt).await;
    assert_eq!(
        page["messages"][0]["text"], "before delete",
        "history survives delete + restore"
    );
    let (s, _) = srv
        .post(&format!("/v1/chats/{room}/restore"), &srv.secret, json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn get_chats_pages_by_25_newest_activity_first() {
    let srv = TestServer::start().await;
    let (at, _) = srv.user("pager").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let (s, c) = srv
            .post("/v1/chats/group", &at, json!({"name": format!("g{i}")}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // activity on the oldest moves it to the top
    send_rest(&srv, &at, &ids[0], "bump").await;
    let (_, p1) = srv.get("/v1/chats", &at).await;
    assert_eq!(
        (
            p1["page"].as_u64(),
            p1["totalChats"].as_u64(),
            p1["totalPages"].as_u64()
        ),
        (Some(1), Some(30), Some(2))
    );
    let chats = p1["chats"].as_array().unwrap();
    assert_eq!(chats.len(), 25);
    assert_eq!(chats[0]["id"], ids[0].as_str());
    assert_eq!(chats[1]["id"], ids[29].as_str());
    assert_eq!(chats[0]["lastMessage"]["text"], "bump");
    let (_, p2) = srv.get("/v1/chats?page=2", &at).await;
    assert_eq!(p2["chats"].as_array().unwrap().len(), 5);
    let (_, p3) = srv.get("/v1/chats?page=3", &at).await;
    assert!(p3["chats"].as_array().unwrap().is_empty());
    let (s, v) = srv.get("/v1/chats?page=0", &at).await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "invalid_argument"));
    let (s, _) = srv.get("/v1/chats?page=abc", &at).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn get_chatrooms_takes_page_id_and_per_page() {
    let srv = TestServer::start().await;
    for i in 0..12 {
        srv.room(&format!("r{i}"), "public").await;
    }
    let (vt, _, _) = srv.visitor().await;
    // 12 + the demo Lobby = 13 public rooms
    let (_, p) = srv.get("/v1/chatrooms", &vt).await;
    assert_eq!(
        (
            p["page"].as_u64(),
            p["perPage"].as_u64(),
            p["total"].as_u64(),
            p["totalPages"].as_u64()
        ),
        (Some(1), Some(10), Some(13), Some(2))
    );
    assert_eq!(p["chatrooms"].as_array().unwrap().len(), 10);
    let (_, p) = srv.get("/v1/chatrooms?pageId=2&perPage=10", &vt).await;
    assert_eq!(p["chatrooms"].as_array().unwrap().len(), 3);
    let (_, p) = srv.get("/v1/chatrooms?pageId=1&perPage=5", &vt).await;
    assert_eq!(
        (
            p["chatrooms"].as_array().unwrap().len(),
            p["totalPages"].as_u64()
        ),
        (5, Some(3))
    );
    for bad in [
        "perPage=0",
        "perPage=101",
        "pageId=0",
        "pageId=-1",
        "colour=red",
    ] {
        let (s, v) = srv.get(&format!("/v1/chatrooms?{bad}"), &vt).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::BAD_REQUEST, "invalid_argument"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn groups_members_rename_and_leave() {
    let srv = TestServer::start().await;
    let (at, a) = srv.user("gina").await;
    let (_bt, b) = srv.user("hugo").await;
    srv.user("ivan").await;
    let (s, g) = srv
        .post(
            "/v1/chats/group",
            &at,
            json!({"name": "Trip", "memberUsernames": ["hugo"], "metadata": {"topic": "ski"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(
        (g["visibility"].as_str(), g["memberCount"].as_u64()),
        (Some("private"), Some(2))
    );
    let id = g["id"].as_str().unwrap();
    let (s, v) = srv
        .post(
            "/v1/chats/group",
            &at,
            json!({"memberUsernames": ["ghost"]}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, "not_found"));
    assert!(v["error"]["message"].as_str().unwrap().contains("ghost"));

    let (s, v) = srv
        .patch(&format!("/v1/chats/{id}"), &at, json!({"name": "Ski trip"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["name"], "Ski trip");
    let (_, again) = srv.get(&format!("/v1/chats/{id}"), &at).await;
    assert_eq!(again["name"], "Ski trip", "a rename is saved");
    let (s, _) = srv
        .patch(
            &format!("/v1/chats/{id}"),
            &at,
            json!({"visibility": "public"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "app users do not make public rooms"
    );

    assert_eq!(
        srv.post(
            &format!("/v1/chats/{id}/members"),
            &at,
            json!({"usernames": ["ivan"]})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, m) = srv
        .get(&format!("/v1/chats/{id}/members?perPage=2"), &at)
        .await;
    assert_eq!(
        (
            m["total"].as_u64(),
            m["totalPages"].as_u64(),
            m["members"].as_array().unwrap().len()
        ),
        (Some(3), Some(2), 2)
    );
    assert_eq!(
        srv.post(
            &format!("/v1/chats/{id}/members/remove"),
            &at,
            json!({"usernames": ["ivan"]})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (it, _) = srv.user("ivan").await;
    assert_eq!(
        srv.get(&format!("/v1/chats/{id}"), &it).await.0,
        StatusCode::NOT_FOUND
    );
    let (bt, _) = srv.user("hugo").await;
    assert_eq!(
        srv.post(&format!("/v1/chats/{id}/leave"), &bt, json!({}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, m) = srv.get(&format!("/v1/chats/{id}/members"), &at).await;
    let left: Vec<&str> = m["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [a.id.as_str()]);
    let _ = b;
}

#[tokio::test]
async fn a_visitor_has_one_conversation_that_consultants_see() {
    let srv = TestServer::start().await;
    let (vt, v, _) = srv.visitor().await;
    let (s, c1) = srv.get("/v1/conversation", &vt).await;
    assert_eq!(s, StatusCode::OK, "{c1}");
    let (_, c2) = srv.get("/v1/conversation", &vt).await;
    assert_eq!(c1["id"], c2["id"]);
    assert_eq!(c1["kind"], "conversation");
    let (ct, _) = srv.consultant().await;
    let (_, list) = srv.get("/v1/conversations", &ct).await;
    assert_eq!(list["chats"][0]["id"], c1["id"]);
    assert_eq!(list["chats"][0]["members"][0]["id"], v.id.as_str());
    let (v2, _, _) = srv.visitor().await;
    assert_eq!(
        srv.get(&format!("/v1/chats/{}", c1["id"].as_str().unwrap()), &v2)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        srv.get("/v1/conversations", &v2).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn nothing_crosses_websites() {
    let srv = TestServer::start().await;
    let room = srv.room("A-only", "public").await;
    let (b_id, b_secret) = srv.other_website().await;
    let (bt, _, _) = srv.visitor_of(&b_id).await;
    let (_, list) = srv.get("/v1/chatrooms", &bt).await;
    assert_eq!(list["total"], 0, "{list}");
    for path in [
        format!("/v1/chats/{room}"),
        format!("/v1/chats/{room}/messages"),
    ] {
        assert_eq!(srv.get(&path, &bt).await.0, StatusCode::NOT_FOUND);
        assert_eq!(srv.get(&path, &b_secret).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        srv.post(&format!("/v1/chats/{room}/join"), &bt, json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        srv.delete(&format!("/v1/chats/{room}"), &b_secret).await.0,
        StatusCode::NOT_FOUND
    );
    let mut ws = srv.ws(&bt).await;
    assert_eq!(
        error_code(&ws.subscribe(&room, None).await).as_deref(),
        Some("not_found")
    );
}
