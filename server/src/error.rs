//! `AppError`: every failure a handler or the socket can report, mapped to the protocol's
//! error envelope. Internal causes (database, I/O) are logged and hidden from clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chatix_protocol::{ApiError, ErrorBody, ErrorCode};

/// An error with a client-facing code and message, and (`rate_limited`) the seconds to
/// wait when they are known (slow mode): `retryAfter` in the body or the error frame, and
/// the `Retry-After` header.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AppError(pub ApiError, pub Option<u32>);

/// Result alias for handlers and services.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError(ApiError::new(code, message), None)
    }
    /// The same, saying how many seconds to wait.
    pub fn retry_after(self, seconds: u32) -> Self {
        AppError(self.0, Some(seconds))
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

/// What the client is told when the storage under the server refuses a write: the disk
/// (or the database's quota) is full. Nothing of the request was stored.
pub const STORAGE_FULL: &str =
    "the server's storage is full: nothing was stored; retry later (an operator must free space)";
/// What the client is told when the database cannot be reached (restarting, failing over,
/// connections cut): nothing of the request was stored or the outcome is unknown, so a
/// retry with the same client id is safe.
pub const DATABASE_UNAVAILABLE: &str =
    "the database is unavailable right now; retry (sends with a clientId are stored once)";

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match storage_fault(&e) {
            Some(message) => {
                tracing::warn!(cause = %e, "storage fault");
                AppError::new(ErrorCode::Unavailable, message)
            }
            None => AppError::internal(format_args!("database: {e}")),
        }
    }
}

/// A database error that is the storage's condition rather than a bug: a full disk, a
/// database that is down, restarting or unreachable. These are `unavailable` (retry), never
/// `internal`.
pub fn storage_fault(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::Io(io) if is_disk_full(io) => Some(STORAGE_FULL),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(DATABASE_UNAVAILABLE),
        sqlx::Error::Database(d) => {
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // The primary result code is the low byte of SQLite's extended code.
                let code = d.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0) & 0xff;
                return match code {
                    13 => Some(STORAGE_FULL), // SQLITE_FULL (disk or max_page_count)
                    // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN
                    5 | 6 | 10 | 14 => Some(DATABASE_UNAVAILABLE),
                    _ => None,
                };
            }
            let state = d.code().unwrap_or_default();
            match &*state {
                "53100" => Some(STORAGE_FULL), // disk_full
                // connection exceptions, insufficient resources, operator intervention
                // (admin_shutdown, crash_shutdown, cannot_connect_now)
                s if s.starts_with("08") || s.starts_with("53") || s.starts_with("57P") => {
                    Some(DATABASE_UNAVAILABLE)
                }
                // object_not_in_prerequisite_state, as a new connection gets it from a
                // database closed to connections (`ALLOW_CONNECTIONS false`, maintenance)
                "55000" if d.message().contains("accepting connections") => {
                    Some(DATABASE_UNAVAILABLE)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `ENOSPC` or `EDQUOT`: no space left for a file write.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        if is_disk_full(&e) {
            tracing::warn!(cause = %e, "storage full");
            return AppError::new(ErrorCode::Unavailable, STORAGE_FULL);
        }
        AppError::internal(format_args!("io: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let wait = self.1.unwrap_or(1);
        let body = ErrorBody {
            error: self.0,
            retry_after: self.1,
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            res.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from(wait));
        }
        res
    }
}
