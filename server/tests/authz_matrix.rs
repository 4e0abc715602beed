//! The authorisation matrix: every REST endpoint and every socket frame type, tried as each
//! kind of caller, against the expected allow (`A`) or deny (`D`) written in the table
//! below. A deny is 401, 403 or 404 (REST), or an error frame / a failed subscription
//! (socket); an allow is a 2xx or an ack; `I` is a 400/409 refusal for the caller's state
//! (leaving a chat one is not in). An allowed call by another website's caller must
//! return nothing of this website. Every row runs on fresh fixtures, so a
//! mutation allowed in one cell cannot decide another.
//!
//! Columns, in order: anonymous, visitor (not a member), visitor member of the private
//! chatroom, visitor of another website, the other website's secret key, a consultant
//! without the admin permission, this website's secret key. The other website's callers
//! act on their own website: where a row names one of this website's chats, messages or
//! users, they must be denied (cross-website isolation); where it does not (create a chat,
//! list chatrooms), they act on their own website and are allowed.

mod common;

use chatix_protocol::{ErrorCode, ServerFrame};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const COLS: [&str; 7] = [
    "anonymous",
    "visitor",
    "member",
    "foreign visitor",
    "foreign key",
    "consultant",
    "admin key",
];

/// Fresh resources for one row.
struct Fx {
    /// Private chatroom; the member visitor belongs to it.
    p: String,
    /// Public chatroom.
    q: String,
    /// A message by the member in `p`.
    m: String,
    /// A deleted chatroom (for restore).
    gone: String,
    /// A throwaway app user: (id, username).
    u: (String, String),
    /// This website's public id.
    website: String,
    /// An open report (the throwaway user reported the member).
    report: String,
}

struct Callers {
    tokens: [Option<String>; 7],
    member_name: String,
}

impl Callers {
    /// One caller of each column (a fresh visitor, a member-to-be, another website's visitor
    /// and key, a consultant without the admin permission, this website's key).
    async fn new(srv: &TestServer) -> Callers {
        let (visitor, _, _) = srv.visitor().await;
        let (member, member_user, _) = srv.visitor().await;
        let (other_site, other_secret) = srv.other_website().await;
        let (foreign, _, _) = srv.visitor_of(&other_site).await;
        let consultant = srv.plain_consultant().await;
        Callers {
            tokens: [
                None,
                Some(visitor),
                Some(member),
                Some(foreign),
                Some(other_secret),
                Some(consultant),
                Some(srv.secret.clone()),
            ],
            member_name: member_user.username,
        }
    }
}

async fn fixture(srv: &TestServer, c: &Callers, n: usize) -> Fx {
    let admin = srv.secret.clone();
    let (s, v) = srv
        .post(
            "/v1/chats/group",
            &admin,
            json!({"name": format!("p{n}"), "visibility": "private", "memberUsernames": [c.member_name]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let p = v["id"].as_str().unwrap().to_owned();
    let q = srv.room(&format!("q{n}"), "public").await;
    let gone = srv.room(&format!("gone{n}"), "public").await;
    let (s, _) = srv.delete(&format!("/v1/chats/{gone}"), &admin).await;
    assert!(s.is_success());
    let member = c.tokens[2].clone().unwrap();
    let m = send_rest(srv, &member, &p, "by the member").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let name = format!("throwaway{n}");
    let (ut, user) = srv.user(&name).await;
    let (s, r) = srv
        .post(
            &format!("/v1/users/by-username/{}/report", c.member_name),
            &ut,
            json!({"reason": "matrix"}),
        )
        .await;
    assert!(s.is_success(), "{r}");
    Fx {
        report: r["id"].as_str().unwrap().to_owned(),
        p,
        q,
        m,
        gone,
        u: (user.id, name),
        website: srv.website.clone(),
    }
}

struct Row {
    method: Method,
    path: &'static str,
    body: Value,
    expect: &'static str,
    /// Answers anyone by design (sign-in, a website's public name): exempt from the
    /// cross-website leak check.
    public: bool,
}

fn row(method: Method, path: &'static str, body: Value, expect: &'static str) -> Row {
    assert_eq!(expect.len(), 7, "{path}: one letter per column");
    Row {
        method,
        path,
        body,
        expect,
        public: false,
    }
}

fn public_row(method: Method, path: &'static str, body: Value, expect: &'static str) -> Row {
    Row {
        public: true,
        ..row(method, path, body, expect)
    }
}

fn fill(s: &str, fx: &Fx) -> String {
    s.replace("{W}", &fx.website)
        .replace("{P}", &fx.p)
        .replace("{Q}", &fx.q)
        .replace("{M}", &fx.m)
        .replace("{GONE}", &fx.gone)
        .replace("{UID}", &fx.u.0)
        .replace("{UNAME}", &fx.u.1)
        .replace("{REP}", &fx.report)
}

fn fill_value(v: &Value, fx: &Fx) -> Value {
    serde_json::from_str(&fill(&v.to_string(), fx)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_as_every_caller() {
    let srv = TestServer::start().await;
    let callers = Callers::new(&srv).await;
    use Method as M;
    // columns: anonymous, visitor, member, foreign visitor, foreign key, consultant, admin key
    #[rustfmt::skip]
    let rows = vec![
        row(M::GET, "/v1/me", json!(null), "DAAADAD"),
        row(M::PATCH, "/v1/me", json!({"name": "Renamed"}), "DAAADAD"),
        row(M::GET, "/v1/chats", json!(null), "DAAADAD"),
        row(M::GET, "/v1/chats/{P}", json!(null), "DDADDAA"),
        row(M::GET, "/v1/chats/{Q}", json!(null), "DAADDAA"),
        row(M::GET, "/v1/chats/{P}/messages", json!(null), "DDADDAA"),
        row(M::GET, "/v1/chats/{P}/history", json!(null), "DDADDAA"),
        row(M::GET, "/v1/chats/{Q}/messages", json!(null), "DAADDAA"),
        row(M::GET, "/v1/chats/{P}/members", json!(null), "DDADDAA"),
        row(M::POST, "/v1/chats/{P}/messages", json!({"text": "hi"}), "DDADDAD"),
        row(M::POST, "/v1/chats/{Q}/messages", json!({"text": "hi"}), "DAADDAD"),
        row(M::POST, "/v1/chats/{Q}/messages", json!({"text": "psst", "whisper": true}), "DDDDDAD"),
        row(M::PATCH, "/v1/chats/{P}/messages/{M}", json!({"text": "edited"}), "DDADDDA"),
        row(M::DELETE, "/v1/chats/{P}/messages/{M}", json!(null), "DDADDAA"),
        row(M::PUT, "/v1/chats/{P}/messages/{M}/reactions/%F0%9F%91%8D", json!(null), "DDADDAD"),
        row(M::DELETE, "/v1/chats/{P}/messages/{M}/reactions/%F0%9F%91%8D", json!(null), "DDADDAD"),
        row(M::PUT, "/v1/chats/{P}/messages/{M}/pin", json!(null), "DDDDDAD"),
        row(M::DELETE, "/v1/chats/{P}/messages/{M}/pin", json!(null), "DDDDDAD"),
        row(M::GET, "/v1/chats/{P}/pins", json!(null), "DDADDAA"),
        row(M::GET, "/v1/chats/{P}/messages/{M}/thread", json!(null), "DDADDAA"),
        row(M::POST, "/v1/chats/{P}/messages", json!({"text": "in thread", "parentId": "{M}"}), "DDADDAD"),
        row(M::GET, "/v1/chats/{P}/mentions", json!(null), "DDADDAD"),
        row(M::POST, "/v1/chats/{Q}/messages", json!({"text": "hi", "mentions": ["{UNAME}"]}), "DAADDAD"),
        row(M::PUT, "/v1/chats/{P}/mutes/{UNAME}", json!({"reason": "x"}), "DDDDDAA"),
        row(M::DELETE, "/v1/chats/{P}/mutes/{UNAME}", json!(null), "DDDDDAA"),
        row(M::PUT, "/v1/chats/{P}/bans/{UNAME}", json!({"seconds": 60}), "DDDDDAA"),
        row(M::DELETE, "/v1/chats/{P}/bans/{UNAME}", json!(null), "DDDDDAA"),
        row(M::GET, "/v1/chats/{P}/sanctions", json!(null), "DDDDDAA"),
        row(M::PUT, "/v1/bans/{UNAME}", json!({"reason": "x"}), "DDDDDAA"),
        row(M::DELETE, "/v1/bans/{UNAME}", json!(null), "DDDDDAA"),
        row(M::GET, "/v1/bans", json!(null), "DDDDAAA"),
        row(M::POST, "/v1/chats/{P}/messages/{M}/flag", json!({"reason": "x"}), "DDIDDAD"),
        row(M::POST, "/v1/users/by-username/{UNAME}/report", json!({"reason": "x"}), "DAADDAD"),
        row(M::GET, "/v1/reports", json!(null), "DDDDAAA"),
        row(M::GET, "/v1/admin/blocklist", json!(null), "DDDDADA"),
        row(M::PUT, "/v1/admin/blocklist", json!({"words": ["darn"], "mode": "mask"}), "DDDDADA"),
        row(M::POST, "/v1/reports/{REP}/resolve", json!({"resolution": "done"}), "DDDDDAA"),
        row(M::POST, "/v1/chats/{P}/seen", json!({"messageId": "{M}"}), "DDADDDD"),
        row(M::POST, "/v1/chats/{P}/typing", json!({"typing": true}), "DDADDAD"),
        row(M::POST, "/v1/chats/{Q}/join", json!(null), "DAADDAD"),
        row(M::POST, "/v1/chats/{P}/join", json!(null), "DDADDAD"),
        row(M::POST, "/v1/chats/{P}/leave", json!(null), "DDADDID"),
        row(M::POST, "/v1/chats/group", json!({"name": "new", "visibility": "public"}), "DDDDAAA"),
        row(M::PATCH, "/v1/chats/{P}", json!({"name": "renamed"}), "DDDDDAA"),
        row(M::PATCH, "/v1/chats/{P}", json!({"slowMode": 5}), "DDDDDAA"),
        row(M::DELETE, "/v1/chats/{P}", json!(null), "DDDDDAA"),
        row(M::POST, "/v1/chats/{GONE}/restore", json!(null), "DDDDDDA"),
        row(M::POST, "/v1/chats/{P}/members", json!({"usernames": ["{UNAME}"]}), "DDDDDAA"),
        row(M::POST, "/v1/chats/{P}/members/remove", json!({"usernames": ["{UNAME}"]}), "DDDDDAA"),
        row(M::POST, "/v1/chats/direct", json!({"username": "{UNAME}"}), "DDDDDAD"),
        row(M::GET, "/v1/chatrooms", json!(null), "DAAAAAA"),
        row(M::GET, "/v1/chatrooms/mine", json!(null), "DAAAAAA"),
        row(M::GET, "/v1/chatrooms/deleted", json!(null), "DDDDAAA"),
        row(M::GET, "/v1/conversation", json!(null), "DAAADDD"),
        row(M::GET, "/v1/conversations", json!(null), "DDDDAAA"),
        row(M::GET, "/v1/presence", json!(null), "DDDDAAA"),
        row(M::GET, "/v1/consultants", json!(null), "DAAAAAA"),
        row(M::GET, "/v1/users/{UID}", json!(null), "DAADDAA"),
        row(M::GET, "/v1/users/by-username/{UNAME}", json!(null), "DAADDAA"),
        row(M::POST, "/v1/users/batch", json!({"usernames": ["{UNAME}"]}), "DAAAAAA"),
        row(M::POST, "/v1/users", json!({"username": "made", "name": "Made"}), "DDDDAAA"),
        row(M::PATCH, "/v1/users/{UID}", json!({"name": "N"}), "DDDDDDA"),
        row(M::PATCH, "/v1/users/by-username/{UNAME}", json!({"name": "N"}), "DDDDDDA"),
        row(M::DELETE, "/v1/users/{UID}", json!(null), "DDDDDDA"),
        row(M::DELETE, "/v1/users/by-username/{UNAME}", json!(null), "DDDDDDA"),
        row(M::POST, "/v1/admin/tokens", json!({"username": "minted"}), "DDDDADA"),
        row(M::POST, "/v1/admin/consultants", json!({"username": "c9", "name": "C", "password": "a long password"}), "DDDDADA"),
        row(M::POST, "/v1/operator/websites", json!({"name": "W", "allowedOrigins": []}), "DDDDDDD"),
        row(M::POST, "/v1/auth/refresh", json!(null), "DAAADAD"),
        row(M::GET, "/v1/messages/search?q=member&chatId={P}", json!(null), "DDADDAA"),
        row(M::GET, "/v1/messages/search?q=member", json!(null), "DAAAAAA"),
        public_row(M::GET, "/v1/websites/{W}", json!(null), "AAAAAAA"),
        public_row(M::POST, "/v1/auth/visitor", json!({"websiteId": "{W}"}), "AAAAAAA"),
        row(M::GET, "/v1/openapi.json", json!(null), "AAAAAAA"),
    ];
    let mut wrong = Vec::new();
    let mut cells = 0;
    for (n, r) in rows.iter().enumerate() {
        for (col, want) in r.expect.chars().enumerate() {
            let fx = fixture(&srv, &callers, n * 10 + col).await;
            let path = fill(r.path, &fx);
            let body = (!r.body.is_null()).then(|| fill_value(&r.body, &fx));
            let (s, v) = srv
                .call(
                    r.method.clone(),
                    &path,
                    callers.tokens[col].as_deref(),
                    body,
                )
                .await;
            cells += 1;
            let got = if s.is_success() {
                'A'
            } else if matches!(
                s,
                StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
            ) {
                'I'
            } else if matches!(
                s,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ) {
                'D'
            } else {
                '?'
            };
            if got != want {
                wrong.push(format!(
                    "{} {} as {}: expected {want}, got {s} {v}",
                    r.method, r.path, COLS[col]
                ));
            }
            // Another website's callers, when allowed, act on their own website: nothing
            // of this one shows in what they get back.
            if got == 'A' && (col == 3 || col == 4) && !r.public {
                let text = v.to_string();
                for id in [&fx.p, &fx.q, &fx.m, &fx.u.0, &srv.website] {
                    if text.contains(id.as_str()) {
                        wrong.push(format!(
                            "{} {} as {}: leaks {id} of this website: {text}",
                            r.method, r.path, COLS[col]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("authorisation matrix: {cells} REST cells as expected");
}

/// What a frame did: allowed (ack without failures) or denied (error / failed
/// subscription).
fn frame_outcome(f: &ServerFrame) -> char {
    match f {
        ServerFrame::Pong { .. } => 'A',
        ServerFrame::Ack { body, .. } if body.failed.as_ref().is_none_or(Vec::is_empty) => 'A',
        ServerFrame::Ack { .. } => 'D',
        ServerFrame::Error {
            code: ErrorCode::Unauthorized | ErrorCode::Forbidden | ErrorCode::NotFound,
            ..
        } => 'D',
        _ => '?',
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frame_type_as_every_socket_caller() {
    let srv = TestServer::start().await;
    let callers = Callers::new(&srv).await;
    let other_secret = callers.tokens[4].clone().unwrap_or_default();
    // Neither no token nor a secret key opens a socket.
    for bad in [String::new(), srv.secret.clone(), other_secret] {
        assert!(
            matches!(
                open_socket(&srv.url, "", None, Some(auth_frame(&bad))).await,
                Opened::Closed { code: 4001, .. }
            ),
            "socket refused for {bad:?}"
        );
    }
    // Columns that can hold a socket: visitor, member, foreign visitor, consultant.
    let socket_cols = [1usize, 2, 3, 5];
    let frames: Vec<(Value, &str)> = vec![
        (
            json!({"type": "subscribe", "chats": [{"chatId": "{P}"}]}),
            "DADA",
        ),
        (
            json!({"type": "subscribe", "chats": [{"chatId": "{Q}"}]}),
            "AADA",
        ),
        (
            json!({"type": "send", "chatId": "{P}", "message": {"text": "x"}}),
            "DADA",
        ),
        (
            json!({"type": "send", "chatId": "{Q}", "message": {"text": "x", "whisper": true}}),
            "DDDA",
        ),
        (
            json!({"type": "send", "chatId": "{P}", "message": {"text": "x", "parentId": "{M}"}}),
            "DADA",
        ),
        (
            json!({"type": "send", "chatId": "{Q}", "message": {"text": "x", "mentions": ["{UNAME}"]}}),
            "AADA",
        ),
        (
            json!({"type": "edit", "chatId": "{P}", "messageId": "{M}", "text": "y"}),
            "DADD",
        ),
        (
            json!({"type": "delete", "chatId": "{P}", "messageId": "{M}"}),
            "DADA",
        ),
        (
            json!({"type": "typing", "chatId": "{P}", "typing": true}),
            "DADA",
        ),
        (
            json!({"type": "seen", "chatId": "{P}", "messageId": "{M}"}),
            "DADD",
        ),
        (json!({"type": "unsubscribe", "chatIds": ["{P}"]}), "AAAA"),
        (json!({"type": "ping"}), "AAAA"),
    ];
    let mut wrong = Vec::new();
    let mut cells = 3;
    for (n, (frame, expect)) in frames.iter().enumerate() {
        for (i, want) in expect.chars().enumerate() {
            let col = socket_cols[i];
            let fx = fixture(&srv, &callers, 1000 + n * 10 + i).await;
            let mut ws = srv.ws(callers.tokens[col].as_deref().unwrap()).await;
            let f = if frame["type"] == "ping" {
                // answered with a pong, not an ack
                ws.send_text(json!({"type": "ping", "id": 1}).to_string())
                    .await;
                ws.next_matching(|f| {
                    matches!(f, ServerFrame::Pong { .. } | ServerFrame::Error { .. })
                })
                .await
            } else {
                ws.request(fill_value(frame, &fx)).await
            };
            cells += 1;
            let got = frame_outcome(&f);
            if got != want {
                wrong.push(format!(
                    "{} as {}: expected {want}, got {f:?}",
                    frame["type"], COLS[col]
                ));
            }
            ws.close().await;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("authorisation matrix: {cells} socket cells as expected");
}

/// Uploads and file downloads, by column. An upload needs a session of a user (not a secret
/// key: files belong to a sender). A file's URL is a random capability (README, "Limits"):
/// whoever holds it may fetch the file and its thumbnail, as an `<img src>` in any page
/// must; an id that is not a file is `404` to everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_files_as_every_caller() {
    let srv = TestServer::start().await;
    let callers = Callers::new(&srv).await;
    let png = {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let upload = |token: Option<String>| {
        let (http, url, png) = (srv.http.clone(), srv.url.clone(), png.clone());
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(png).file_name("cat.png"),
            );
            let mut req = http.post(format!("{url}/v1/uploads")).multipart(form);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let s = res.status();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, file) = upload(callers.tokens[2].clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    let fid = file["id"].as_str().unwrap().to_owned();
    // columns: anonymous, visitor, member, foreign visitor, foreign key, consultant, admin key
    let outcome = |s: StatusCode| {
        if s.is_success() {
            'A'
        } else if matches!(
            s,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ) {
            'D'
        } else {
            '?'
        }
    };
    let mut wrong = Vec::new();
    let mut cells = 0;
    let want_upload = "DAAADAD";
    for (col, want) in want_upload.chars().enumerate() {
        let (s, v) = upload(callers.tokens[col].clone()).await;
        cells += 1;
        if outcome(s) != want {
            wrong.push(format!(
                "upload as {}: expected {want}, got {s} {v}",
                COLS[col]
            ));
        }
    }
    let gets = [
        (format!("/v1/files/{fid}"), "AAAAAAA"),
        (format!("/v1/files/{fid}/thumbnail"), "AAAAAAA"),
        ("/v1/files/file_nope".to_owned(), "DDDDDDD"),
        ("/v1/files/..%2F..%2Fchatix.db".to_owned(), "DDDDDDD"),
    ];
    for (path, expect) in &gets {
        for (col, want) in expect.chars().enumerate() {
            let mut req = srv.http.get(format!("{}{path}", srv.url));
            if let Some(t) = &callers.tokens[col] {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let s = res.status();
            cells += 1;
            if outcome(s) != want {
                wrong.push(format!(
                    "GET {path} as {}: expected {want}, got {s}",
                    COLS[col]
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("authorisation matrix: {cells} upload/file cells as expected");
}
