//! From a credential to an identity: token → [`Session`], secret key → admin website.

use chatix_protocol::{Metadata, Role};
use std::sync::Arc;

use super::tokens::{self, Claims};
use super::Session;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{NewUser, UserRecord, Website};
use crate::util::{check_username, now_ms};

/// Verifies a user token and loads its user. App users (`role: user`) are created on their
/// first sign-in; visitors and consultants must exist. Tokens minted before their user was
/// deleted stay refused, and so are those of a user banned from the website (`forbidden`).
pub async fn session_from_token(state: &AppState, token: &str) -> AppResult<Session> {
    let aud = tokens::peek_audience(token)?;
    let site = state
        .website(&aud)
        .await?
        .ok_or_else(|| AppError::unauthorized("the token names a website that does not exist"))?;
    let now = now_ms();
    let claims = tokens::verify(token, &site.id, &site.secret, now / 1000)?;
    let role = match claims.role.as_deref() {
        None | Some("user") => Role::User,
        Some("visitor") => Role::Visitor,
        Some("consultant") => Role::Consultant,
        Some(other) => {
            return Err(AppError::unauthorized(format!(
                "unknown role {other:?} in the token (user, visitor or consultant)"
            )))
        }
    };
    let username = check_username("the token's sub", &claims.sub)
        .map_err(|e| AppError::unauthorized(e.0.message))?;
    if let Some(deleted_at) = state.store.user_tombstone(&site.id, &username).await? {
        if claims.iat.is_none_or(|iat| iat * 1000 <= deleted_at) {
            return Err(AppError::unauthorized(
                "the token was issued before its user was deleted",
            ));
        }
    }
    let user = match state.store.user_by_username(&site.id, &username).await? {
        Some(u) => u,
        None if role == Role::User => {
            create_on_first_sign_in(state, &site, &claims, &username).await?
        }
        None => return Err(AppError::unauthorized("the token's user does not exist")),
    };
    if !role.is_staff() {
        crate::service::moderation::refuse_banned(state, &site.id, &user.user.id).await?;
    }
    if user.user.role != role {
        return Err(AppError::unauthorized(format!(
            "the token says role {:?} but the user is a {}",
            role.as_str(),
            user.user.role.as_str()
        )));
    }
    Ok(Session {
        website: site,
        user,
    })
}

async fn create_on_first_sign_in(
    state: &AppState,
    site: &Website,
    claims: &Claims,
    username: &str,
) -> AppResult<UserRecord> {
    let name = claims
        .name
        .as_deref()
        .map(|n| {
            crate::util::check_text(
                "the token's name",
                n,
                1,
                chatix_protocol::limits::MAX_NAME_CHARS,
            )
        })
        .transpose()?
        .unwrap_or_else(|| username.to_owned());
    let (user, _) = state
        .store
        .create_user(NewUser {
            website_id: site.id.clone(),
            username: username.to_owned(),
            name,
            avatar: None,
            email: None,
            metadata: Metadata::new(),
            role: Role::User,
            password_hash: None,
            visitor_secret_hash: None,
            can_admin: false,
        })
        .await?;
    Ok(user)
}

/// Finds the website a secret key belongs to.
pub async fn admin_from_key(state: &AppState, key: &str) -> AppResult<Arc<Website>> {
    if !key.starts_with("sk_") {
        return Err(AppError::unauthorized("that is not a secret key (sk_…)"));
    }
    state
        .website_by_secret(key)
        .await?
        .ok_or_else(|| AppError::unauthorized("unknown secret key"))
}

/// Issues a session token for a stored user, valid `ttl_s` seconds. Returns the token and
/// its expiry in ms.
pub fn mint(site: &Website, user: &UserRecord, ttl_s: i64) -> AppResult<(String, i64)> {
    mint_exactly(site, user, ttl_s.clamp(60, tokens::MAX_TOKEN_LIFETIME_S))
}

/// [`mint`] without the one-minute floor: only the test hooks (tests of token renewal)
/// mint tokens that short.
pub fn mint_exactly(site: &Website, user: &UserRecord, ttl_s: i64) -> AppResult<(String, i64)> {
    let now_s = now_ms() / 1000;
    let exp = now_s + ttl_s.clamp(1, tokens::MAX_TOKEN_LIFETIME_S);
    let claims = Claims {
        aud: site.id.clone(),
        sub: user.user.username.clone(),
        exp,
        iat: Some(now_s),
        role: Some(user.user.role.as_str().to_owned()),
        name: None,
    };
    Ok((tokens::sign(&claims, &site.secret)?, exp * 1000))
}
