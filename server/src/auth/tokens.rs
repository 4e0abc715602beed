//! User tokens: HS256 JWTs signed with the website's secret key.
//!
//! Claims (all times in seconds since the epoch):
//!
//! | claim | required | meaning |
//! |---|---|---|
//! | `aud` | yes | the website's public id |
//! | `sub` | yes | the username |
//! | `exp` | yes | expiry (30 s leeway); at most 24 h after `iat`, and after now plus the tolerated clock skew |
//! | `iat` | no  | issue time; tokens issued before a user was deleted or re-created are refused; at most 15 min in this node's future |
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
/// Leeway on `exp`, seconds: a token is accepted up to 30 s after it expired (a longer one
/// would accept expired tokens everywhere). A node whose clock runs ahead therefore sees
/// tokens expire early by its offset: tokens should live longer than the worst skew.
pub const LEEWAY_S: u64 = 30;
/// How far the clock of whoever signed a token (the app's backend, or another Chatix node
/// for session tokens) may run ahead of this node's, seconds: an `iat` up to this far in
/// the future is accepted, so a node 10 minutes off neither refuses the tokens of the
/// others nor has its own refused. Checks that compare two clocks use it; `exp` does not.
pub const MAX_CLOCK_SKEW_S: i64 = 15 * 60;

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
    // The lifetime in the signer's own clock (exp - iat) when it says when it signed, and
    // never more than 24 hours (plus the tolerated skew) from now on this node's clock.
    let too_long = c
        .iat
        .is_some_and(|iat| c.exp - iat > MAX_TOKEN_LIFETIME_S + LEEWAY_S as i64)
        || c.exp - now_s > MAX_TOKEN_LIFETIME_S + MAX_CLOCK_SKEW_S;
    if too_long {
        return Err(AppError::unauthorized(
            "the token lives longer than 24 hours; sign short-lived tokens",
        ));
    }
    if let Some(iat) = c.iat {
        if iat > now_s + MAX_CLOCK_SKEW_S {
            return Err(AppError::unauthorized(format!(
                "the token was issued in the future (more than {} minutes ahead of this server's clock)",
                MAX_CLOCK_SKEW_S / 60
            )));
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
    fn a_signer_whose_clock_is_ten_minutes_off_is_tolerated_not_more() {
        let signed_at = |ahead: i64, lifetime: i64| {
            let mut c = claims(0);
            c.iat = Some(now() + ahead);
            c.exp = now() + ahead + lifetime;
            sign(&c, "secret").unwrap()
        };
        let ok = |t: &str| verify(t, "wid_a", "secret", now());
        // A signer 10 minutes ahead of this node: its tokens are accepted, 24 h ones too.
        assert!(ok(&signed_at(600, 3600)).is_ok());
        assert!(ok(&signed_at(600, MAX_TOKEN_LIFETIME_S)).is_ok());
        // 10 minutes behind: accepted until they expire on this node's clock.
        assert!(ok(&signed_at(-600, 3600)).is_ok());
        assert!(ok(&signed_at(-600, 300))
            .unwrap_err()
            .0
            .message
            .contains("expired"));
        // Beyond the tolerated skew, or a lifetime over 24 h in the signer's own clock.
        assert!(ok(&signed_at(1200, 3600))
            .unwrap_err()
            .0
            .message
            .contains("future"));
        let long = signed_at(0, MAX_TOKEN_LIFETIME_S + 3600);
        assert!(ok(&long).unwrap_err().0.message.contains("24 hours"));
        // No iat: bounded from this node's now, with the same tolerance.
        let mut c = claims(MAX_TOKEN_LIFETIME_S + 600);
        c.iat = None;
        assert!(ok(&sign(&c, "secret").unwrap()).is_ok());
        c.exp = now() + MAX_TOKEN_LIFETIME_S + 3600;
        assert!(ok(&sign(&c, "secret").unwrap()).is_err());
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
