//! Files.
//!
//! - `POST /v1/uploads`: multipart form with one `file` part; answers the stored file's
//!   info (pass its `id` as a message's `fileId`, or its `url` as an avatar).
//! - `GET /v1/files/{id}`, `GET /v1/files/{id}/thumbnail`: download. The random id is the
//!   capability (so that `<img src>` works without headers); see [`crate::files`] for the
//!   headers that keep uploads from running as pages of this origin.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chatix_protocol::{ErrorCode, FileInfo};

use super::extract::{Json, Path};
use crate::auth::Session;
use crate::error::{AppError, AppResult};
use crate::files::inline_safe;
use crate::state::AppState;
use crate::store::sql::file_info;

/// The multipart form of an upload (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file; its type is decided from its bytes.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Upload a file or image.
///
/// `POST /v1/uploads`.
#[utoipa::path(post, operation_id = "uploadFile", path = "/v1/uploads", tag = "files", request_body(content = UploadForm, content_type = "multipart/form-data"), responses((status = 201, description = "Stored", body = FileInfo), (status = 413, description = "Over the upload limit"), (status = 415, description = "Refused type"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(("token" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    s: Session,
    form: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<FileInfo>)> {
    // axum answers a bad multipart request in plain text; ours is the JSON error.
    let mut form = form.map_err(|e| {
        AppError::invalid(format!(
            "send the file as multipart/form-data with a `file` part: {}",
            e.body_text()
        ))
    })?;
    let limit = state.config.max_upload_bytes;
    let too_big = || {
        AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("the file is over the {limit}-byte upload limit"),
        )
    };
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_big()
        } else {
            AppError::invalid(format!("invalid multipart body: {}", e.body_text()))
        }
    };
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
            if bytes.len() + chunk.len() > limit {
                return Err(too_big());
            }
            bytes.extend_from_slice(&chunk);
        }
        let rec = state
            .files
            .save(&s.website.id, s.user_id(), name.as_deref(), bytes)
            .await?;
        if let Err(e) = state.store.insert_file(&rec).await {
            // No record, no file: a full database must not leave orphans on disk.
            state.files.remove(&rec.id).await;
            return Err(e);
        }
        return Ok((StatusCode::CREATED, Json(file_info(&rec))));
    }
    Err(AppError::invalid("the form has no part named \"file\""))
}

async fn serve(state: &AppState, id: &str, thumb: bool) -> AppResult<Response> {
    let rec = state
        .store
        .file(id)
        .await?
        .ok_or_else(|| AppError::not_found("no such file"))?;
    if thumb && !rec.has_thumbnail {
        return Err(AppError::not_found("this file has no thumbnail"));
    }
    let bytes = state.files.read(&rec.id, thumb).await?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    let mime = if thumb {
        if rec.mime == "image/png" {
            "image/png"
        } else {
            "image/jpeg"
        }
    } else {
        rec.mime.as_str()
    };
    if inline_safe(mime) {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(mime)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
    } else {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let ascii: String = rec
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let disp = format!(
            "attachment; filename=\"{}\"",
            ascii.replace(['"', '\\'], "_")
        );
        if let Ok(v) = HeaderValue::from_str(&disp) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(res)
}

/// Download a file.
///
/// `GET /v1/files/{id}`.
#[utoipa::path(get, operation_id = "downloadFile", path = "/v1/files/{id}", tag = "files", params(("id" = String, Path, description = "File id")), responses((status = 200, description = "The bytes"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(()))]
pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    serve(&state, &id, false).await
}

/// Download an image's thumbnail.
///
/// `GET /v1/files/{id}/thumbnail`.
#[utoipa::path(get, operation_id = "downloadThumbnail", path = "/v1/files/{id}/thumbnail", tag = "files", params(("id" = String, Path, description = "File id")), responses((status = 200, description = "The thumbnail"), (status = "4XX", description = "Error envelope", body = chatix_protocol::ErrorBody)), security(()))]
pub async fn thumbnail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    serve(&state, &id, true).await
}
