//! The error envelope and its stable codes.
//!
//! REST errors are `{"error": {"code": "...", "message": "..."}}` with a matching HTTP status;
//! socket errors are an `error` frame carrying the same code and message (and the id of the
//! request that failed). SDK callers receive the same `code` on the rejected Promise's `Error`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable, machine-readable error code. Messages may change; codes do not.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// No credential, or one that is forged, expired, or for another website (HTTP 401).
    Unauthorized,
    /// A valid caller who may not do this (HTTP 403).
    Forbidden,
    /// The thing does not exist, or the caller may not know that it exists (HTTP 404).
    NotFound,
    /// A malformed or out-of-range argument; the message names it (HTTP 400).
    InvalidArgument,
    /// The request conflicts with current state, e.g. a username taken (HTTP 409).
    Conflict,
    /// Too many requests; retry later (HTTP 429).
    RateLimited,
    /// A body, frame or file over its documented limit (HTTP 413).
    PayloadTooLarge,
    /// A file whose bytes are of a type that is not accepted (HTTP 415).
    UnsupportedMediaType,
    /// The chat was deleted (HTTP 410).
    Gone,
    /// The server failed; details are in its log, not in the response (HTTP 500).
    Internal,
    /// The server is shutting down or a dependency is down (HTTP 503).
    Unavailable,
    /// Client side only: the request never got an answer from the server.
    Network,
    /// Client side only: the request took longer than its timeout.
    Timeout,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidArgument,
        ErrorCode::Conflict,
        ErrorCode::RateLimited,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Gone,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::Network,
        ErrorCode::Timeout,
    ];

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Gone => "gone",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
        }
    }

    /// The HTTP status the server answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::InvalidArgument => 400,
            ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Gone => 410,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
            ErrorCode::Network | ErrorCode::Timeout => 599,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error itself: a code and a message for humans.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable code; see [`ErrorCode`].
    pub code: ErrorCode,
    /// What was wrong, in words that name the offending field or value.
    pub message: String,
}

impl ApiError {
    /// Builds an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The JSON body of every REST error response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
    /// `rate_limited`: seconds to wait before the same request can pass, when the server
    /// knows (a chatroom's slow mode).
    #[serde(
        default,
        rename = "retryAfter",
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after: Option<u32>,
}

/// How the refusal of a send in a chatroom's slow mode begins. The SDK does not resend such
/// a send by itself (it would wait seconds to minutes): it fails, and the app shows the
/// wait the message gives.
pub const SLOW_MODE_REFUSAL: &str = "slow mode:";

#[cfg(test)]
mod parse_tests {
    #[test]
    fn every_code_parses_back_from_its_name() {
        for c in super::ErrorCode::ALL {
            assert_eq!(super::ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(super::ErrorCode::parse("nope"), None);
    }
}
