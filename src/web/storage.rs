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
    let v = super::wire::parse(&raw.into())?;
    Some((
        super::js::get(&v, "visitorId").as_string()?,
        super::js::get(&v, "visitorSecret").as_string()?,
    ))
}

/// Stores the visitor id and secret.
pub fn save(website_id: &str, visitor_id: &str, secret: &str) {
    if let Some(s) = storage() {
        let v = js_sys::Object::new();
        super::js::set(&v, "visitorId", &visitor_id.into());
        super::js::set(&v, "visitorSecret", &secret.into());
        if let Some(text) = super::wire::stringify(&v) {
            let _ = s.set_item(&key(website_id), &text);
        }
    }
}

/// Forgets the visitor.
pub fn clear(website_id: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&key(website_id));
    }
}
