//! User tokens: HS256 JWTs signed with the website's secret key.
//!
//! Claims (all times in seconds since the epoch):
//!
//! | claim | required | meaning |
//! |---|---|---|
//! | `aud` | yes | the website's public id |
//! | `sub` | yes | the username |
//! | `exp` | yes | expiry; at most 24 h after now |
//! | `iat` | no  | issue time; tokens issued before a user was deleted or re-created are refused |
//! | `role` | no | `user` (default), `consultant` or `visitor`; must match the stored user |
//! | `name` | no | display name used when the user is created on first sign-in |
//!
//! The algorithm must be HS256 (`alg: none` and every other algorithm are refused).

use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// Longest lifetime a token may claim, seconds.
pub const MAX_TOKEN_LIFETIME_S: i64 = 24 * 3600;
/// Clock skew tolerated on `exp` and `iat`, seconds.
pub const LEEWAY_S: u64 = 30;

/// The claims of a Chatix token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Website public id.
    pub aud: String,
    /// Username.
    pub sub: String,
    /// Expiry, seconds.
    pub exp: i64,
    /// Issue time, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Role name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Signs claims with a website secret.
pub fn sign(claims: &Claims, secret: &str) -> AppResult<String> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| AppError::internal(format_args!("jwt encode: {e}")))
}

/// Reads the `aud` claim without checking the signature, to know which website's secret
/// to check it with. Never trust anything else from this.
pub fn peek_audience(token: &str) -> AppResult<String> {
    let header = decode_header(token)
        .map_err(|_| AppError::unauthorized("the token is not a well-formed JWT"))?;
    if header.alg != Algorithm::HS256 {
        return Err(AppError::unauthorized(
            "the token must be signed with HS256",
        ));
    }
    let mut v = Validation::new(Algorithm::HS256);
    v.insecure_disable_signature_validation();
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    #[derive(Deserialize)]
    struct Aud {
        aud: Option<String>,
    }
    let data = decode::<Aud>(token, &DecodingKey::from_secret(b""), &v)
        .map_err(|_| AppError::unauthorized("the token's claims are not readable"))?;
    data.claims
        .aud
        .ok_or_else(|| AppError::unauthorized("the token has no aud (website id) claim"))
}

/// Verifies signature, algorithm, audience and expiry, and bounds the lifetime.
pub fn verify(token: &str, website_id: &str, secret: &str, now_s: i64) -> AppResult<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&[website_id]);
    v.set_required_spec_claims(&["exp", "sub", "aud"]);
    v.leeway = LEEWAY_S;
    let data =
        decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            AppError::unauthorized(match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::InvalidSignature => "the token's signature is not valid for this website",
                K::InvalidAudience => "the token was issued for another website",
                K::MissingRequiredClaim(_) => "the token lacks a required claim (sub, aud, exp)",
                _ => "the token is not valid",
            })
        })?;
    let c = data.claims;
    if c.exp - now_s > MAX_TOKEN_LIFETIME_S + LEEWAY_S as i64 {
        return Err(AppError::unauthorized(
            "the token lives longer than 24 hours; sign short-lived tokens",
        ));
    }
    if let Some(iat) = c.iat {
        if iat > now_s + LEEWAY_S as i64 {
            return Err(AppError::unauthorized("the token was issued in the future"));
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        crate::util::now_ms() / 1000
    }

    fn claims(exp_in: i64) -> Claims {
        Claims {
            aud: "wid_a".into(),
            sub: "alice".into(),
            exp: now() + exp_in,
            iat: Some(now()),
            role: None,
            name: Some("Alice".into()),
        }
    }

    #[test]
    fn sign_then_verify() {
        let t = sign(&claims(600), "secret").unwrap();
        assert_eq!(peek_audience(&t).unwrap(), "wid_a");
        let c = verify(&t, "wid_a", "secret", now()).unwrap();
        assert_eq!(c.sub, "alice");
    }

    #[test]
    fn forged_expired_foreign_and_long_lived_tokens_are_refused() {
        let t = sign(&claims(600), "secret").unwrap();
        let msg = |r: AppResult<Claims>| r.unwrap_err().0.message;
        assert!(msg(verify(&t, "wid_a", "other", now())).contains("signature"));
        assert!(msg(verify(&t, "wid_b", "secret", now())).contains("another website"));
        let old = sign(&claims(-600), "secret").unwrap();
        assert!(msg(verify(&old, "wid_a", "secret", now())).contains("expired"));
        let long = sign(&claims(48 * 3600), "secret").unwrap();
        assert!(msg(verify(&long, "wid_a", "secret", now())).contains("24 hours"));
    }

    #[test]
    fn alg_none_is_refused() {
        // header {"alg":"none","typ":"JWT"}, claims {"aud":"wid_a","sub":"x","exp":9999999999}
        let t = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\
                 eyJhdWQiOiJ3aWRfYSIsInN1YiI6IngiLCJleHAiOjk5OTk5OTk5OTl9.";
        assert!(peek_audience(t).is_err());
        assert!(verify(t, "wid_a", "secret", 0).is_err());
    }
}
