//! Body and query extractors whose rejections are the API's JSON errors (axum's own are
//! plain text): a malformed body or query names the field that is wrong.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use chatix_protocol::limits::MAX_JSON_BODY_BYTES;
use chatix_protocol::ErrorCode;

use crate::error::AppError;

/// `axum::Json` with JSON errors.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

/// `axum::extract::Query` with JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path` with JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::invalid("send the body as JSON with Content-Type: application/json")
            }
            JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::new(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "the JSON body is over the limit of {} bytes ({} KiB)",
                        MAX_JSON_BODY_BYTES,
                        MAX_JSON_BODY_BYTES / 1024
                    ),
                )
            }
            JsonRejection::BytesRejection(b) => AppError::invalid(format!(
                "the request body could not be read: {}",
                b.body_text()
            )),
            other => AppError::invalid(format!("invalid JSON body: {}", other.body_text())),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::invalid(format!("invalid query string: {}", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::invalid(format!("invalid path: {}", r.body_text()))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}
