//! Remembering an anonymous visitor across page loads (localStorage, per website).

/// Key of a website's visitor.
fn key(website_id: &str) -> String {
    format!("chatix:{website_id}:visitor")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The stored visitor id and secret.
pub fn load(website_id: &str) -> Option<(String, String)> {
    let raw = storage()?.get_item(&key(website_id)).ok()??;
    let v: serde_json::Value = serde_json::from_str(&raw).ok()?;
    Some((
        v.get("visitorId")?.as_str()?.to_owned(),
        v.get("visitorSecret")?.as_str()?.to_owned(),
    ))
}

/// Stores the visitor id and secret.
pub fn save(website_id: &str, visitor_id: &str, secret: &str) {
    if let Some(s) = storage() {
        let v = serde_json::json!({"visitorId": visitor_id, "visitorSecret": secret});
        let _ = s.set_item(&key(website_id), &v.to_string());
    }
}

/// Forgets the visitor.
pub fn clear(website_id: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(website_id));
    }
}
