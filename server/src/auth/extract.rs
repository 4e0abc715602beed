//! axum extractors: pull the credential out of a request and resolve it.
//!
//! - `Authorization: Bearer <jwt>`: a user session.
//! - `Authorization: Bearer sk_…` or `X-Api-Key: sk_…`: the website's secret key (admin).
//!   A request that carries the secret key *and* an `Origin` header came from a browser
//!   page: it is refused, so that a key pasted into front-end code fails at once instead of
//!   leaking quietly.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::Arc;

use super::{resolve, Actor, Session};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::Website;

enum Credential {
    Token(String),
    Key(String),
}

fn credential(parts: &Parts) -> AppResult<Credential> {
    if let Some(k) = parts.headers.get("x-api-key") {
        let k = k
            .to_str()
            .map_err(|_| AppError::unauthorized("X-Api-Key is not valid text"))?;
        return Ok(Credential::Key(k.trim().to_owned()));
    }
    let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(AppError::unauthorized(
            "missing credential: send Authorization: Bearer <token> (or the secret key)",
        ));
    };
    let h = h
        .to_str()
        .map_err(|_| AppError::unauthorized("Authorization is not valid text"))?;
    let Some(v) = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
    else {
        return Err(AppError::unauthorized(
            "Authorization must be 'Bearer <token>'",
        ));
    };
    let v = v.trim();
    if v.starts_with("sk_") {
        Ok(Credential::Key(v.to_owned()))
    } else {
        Ok(Credential::Token(v.to_owned()))
    }
}

fn refuse_key_from_browser(parts: &Parts) -> AppResult<()> {
    if parts.headers.contains_key(axum::http::header::ORIGIN) {
        return Err(AppError::forbidden(
            "the secret key must never be used from a browser page; call this from your backend",
        ));
    }
    Ok(())
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        match credential(parts)? {
            Credential::Token(t) => resolve::session_from_token(state, &t).await,
            Credential::Key(_) => Err(AppError::unauthorized(
                "this endpoint acts as a user: send a user token, not the secret key",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        match credential(parts)? {
            Credential::Token(t) => Ok(resolve::session_from_token(state, &t).await?.into()),
            Credential::Key(k) => {
                refuse_key_from_browser(parts)?;
                Ok(Actor::Admin(resolve::admin_from_key(state, &k).await?))
            }
        }
    }
}

/// The website's secret key, required.
#[derive(Debug, Clone)]
pub struct AdminKey(pub Arc<Website>);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        match credential(parts)? {
            Credential::Key(k) => {
                refuse_key_from_browser(parts)?;
                Ok(AdminKey(resolve::admin_from_key(state, &k).await?))
            }
            Credential::Token(_) => Err(AppError::forbidden(
                "this endpoint needs the website's secret key; a user token is not enough",
            )),
        }
    }
}
