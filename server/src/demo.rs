//! First start: on an empty database, create a demo website, a demo consultant and two
//! chatrooms, and keep their credentials in `<data>/demo.json` so every later start can
//! print them again.

use chatix_protocol::{Metadata, Role, Visibility};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::auth::passwords::hash_password;
use crate::store::{NewGroup, NewUser, Store, Website};
use crate::util::{now_ms, random_hex};

/// The demo credentials, as saved in `demo.json` and printed at start.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DemoCredentials {
    /// Website public id.
    pub website_id: String,
    /// Website secret key.
    pub secret_key: String,
    /// Consultant login.
    pub consultant_username: String,
    /// Consultant password.
    pub consultant_password: String,
}

/// A new website with fresh keys.
pub fn new_website(name: &str, allowed_origins: Vec<String>) -> Website {
    Website {
        id: format!("wid_{}", random_hex(10)),
        secret: format!("sk_{}", random_hex(24)),
        name: name.to_owned(),
        allowed_origins,
        created_at: now_ms(),
    }
}

/// Creates the demo website if the database has no website yet; returns the credentials
/// (from `demo.json` when the demo already exists).
pub async fn ensure(store: &dyn Store, data_dir: &Path) -> anyhow::Result<Option<DemoCredentials>> {
    let file = data_dir.join("demo.json");
    if !store
        .websites()
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.0))?
        .is_empty()
    {
        return Ok(std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok()));
    }
    let site = new_website(
        "Chatix demo",
        vec![
            "http://localhost".into(),
            "http://127.0.0.1".into(),
            "http://[::1]".into(),
        ],
    );
    let err = |e: crate::error::AppError| anyhow::anyhow!("{}", e.0);
    store.create_website(&site).await.map_err(err)?;
    let password = random_hex(8);
    let (consultant, _) = store
        .create_user(NewUser {
            website_id: site.id.clone(),
            username: "consultant".into(),
            name: "Demo Consultant".into(),
            avatar: None,
            email: Some("consultant@demo.chatix".into()),
            metadata: Metadata::new(),
            role: Role::Consultant,
            password_hash: Some(hash_password(&password).map_err(err)?),
            visitor_secret_hash: None,
            can_admin: true,
        })
        .await
        .map_err(err)?;
    for (name, visibility) in [
        ("Lobby", Visibility::Public),
        ("Staff room", Visibility::Private),
    ] {
        store
            .create_group(
                NewGroup {
                    website_id: site.id.clone(),
                    name: Some(name.into()),
                    avatar: None,
                    metadata: Metadata::new(),
                    visibility,
                    created_by: Some(consultant.user.id.clone()),
                    member_ids: Vec::new(),
                },
                now_ms(),
            )
            .await
            .map_err(err)?;
    }
    let creds = DemoCredentials {
        website_id: site.id,
        secret_key: site.secret,
        consultant_username: "consultant".into(),
        consultant_password: password,
    };
    std::fs::write(&file, serde_json::to_vec_pretty(&creds)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
    }
    Ok(Some(creds))
}
