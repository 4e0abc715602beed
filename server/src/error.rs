//! `AppError`: every failure a handler or the socket can report, mapped to the protocol's
//! error envelope. Internal causes (database, I/O) are logged and hidden from clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chatix_protocol::{ApiError, ErrorBody, ErrorCode};

/// An error with a client-facing code and message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AppError(pub ApiError);

/// Result alias for handlers and services.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError(ApiError::new(code, message))
    }
    /// `invalid_argument`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }
    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    /// `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    /// `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }
    /// `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    /// `internal`, after logging the cause. The client sees no detail.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(ErrorCode::Internal, "internal server error")
    }
    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(format_args!("database: {e}"))
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::internal(format_args!("io: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(ErrorBody { error: self.0 })).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            res.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        res
    }
}
