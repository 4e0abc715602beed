//! Uploads: limits, type from the bytes, thumbnails, safe serving.

mod common;

use common::*;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(
    srv: &TestServer,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    declared: &str,
) -> (StatusCode, Value) {
    let form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(declared)
            .unwrap(),
    );
    let res = srv
        .http
        .post(format!("{}/v1/uploads", srv.url))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_image_upload_gets_a_thumbnail_and_becomes_an_image_message() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let room = srv.room("R", "public").await;
    let (s, f) = upload(&srv, &vt, "../../cat.png", png(800, 600), "text/plain").await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(
        (f["mime"].as_str(), f["kind"].as_str(), f["name"].as_str()),
        (Some("image/png"), Some("image"), Some("cat.png"))
    );
    let (s, m) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &vt,
            json!({"fileId": f["id"], "text": "look"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["kind"], "image");
    assert_eq!(m["file"]["id"], f["id"]);
    let res = srv
        .http
        .get(format!("{}{}", srv.url, f["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        res.bytes().await.unwrap().len() as u64,
        f["size"].as_u64().unwrap()
    );
    let res = srv
        .http
        .get(format!(
            "{}{}",
            srv.url,
            f["thumbnailUrl"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert!(
        thumb.width() <= 320 && thumb.height() <= 320 && thumb.width() == 320,
        "{}x{}",
        thumb.width(),
        thumb.height()
    );
    // someone else cannot attach my upload
    let (other, _, _) = srv.visitor().await;
    let (s, _) = srv
        .post(
            &format!("/v1/chats/{room}/messages"),
            &other,
            json!({"fileId": f["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn html_and_svg_are_never_served_inline() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    for (name, bytes, mime) in [
        (
            "x.png",
            b"<!DOCTYPE html><script>alert(1)</script>".to_vec(),
            "text/html",
        ),
        (
            "y.jpg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
            "image/svg+xml",
        ),
    ] {
        let (s, f) = upload(&srv, &vt, name, bytes, "image/png").await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(
            (f["mime"].as_str(), f["kind"].as_str()),
            (Some(mime), Some("file")),
            "type from the bytes, not the name"
        );
        let res = srv
            .http
            .get(format!("{}{}", srv.url, f["url"].as_str().unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-type"], "application/octet-stream");
        assert!(res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        assert!(res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox"));
    }
}

#[tokio::test]
async fn uploads_over_the_limit_empty_or_executable_are_refused() {
    let srv = TestServer::start_with(|c| c.max_upload_bytes = 100_000).await;
    let (vt, _, _) = srv.visitor().await;
    let (s, v) = upload(
        &srv,
        &vt,
        "big.bin",
        vec![7u8; 150_000],
        "application/octet-stream",
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        "{v}"
    );
    let (s, v) = upload(&srv, &vt, "empty.txt", Vec::new(), "text/plain").await;
    assert_eq!((s, code(&v)), (StatusCode::BAD_REQUEST, "invalid_argument"));
    let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    elf.resize(64, 0);
    let (s, v) = upload(&srv, &vt, "tool.txt", elf, "text/plain").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let form = Form::new().text("other", "x");
    let res = srv
        .http
        .post(format!("{}/v1/uploads", srv.url))
        .bearer_auth(&vt)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Not multipart at all, or without its boundary: the JSON error, not axum's plain text.
    for content_type in [None, Some("multipart/form-data"), Some("application/json")] {
        let mut req = srv
            .http
            .post(format!("{}/v1/uploads", srv.url))
            .bearer_auth(&vt)
            .body("{}");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{content_type:?}");
        let v: Value = res.json().await.expect("a JSON error body");
        assert_eq!(code(&v), "invalid_argument", "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("multipart"),
            "{v}"
        );
    }
    let res = srv
        .http
        .post(format!("{}/v1/uploads", srv.url))
        .multipart(Form::new().text("file", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        srv.http
            .get(format!("{}/v1/files/..%2Fchatix.db", srv.url))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_broken_image_is_refused_with_a_message() {
    let srv = TestServer::start().await;
    let (vt, _, _) = srv.visitor().await;
    let mut bytes = png(50, 50);
    bytes.truncate(60);
    let (s, v) = upload(&srv, &vt, "broken.png", bytes, "image/png").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, "invalid_argument"),
        "{v}"
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("decoded"));
}
