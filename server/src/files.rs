//! Uploaded files: type sniffing, thumbnails, storage on disk, safe serving.
//!
//! - The type is decided from the bytes (`infer`), never from the name or the declared
//!   content type. Executables are refused.
//! - JPEG, PNG, WebP and GIF are images (`kind: image`); JPEG and PNG get a thumbnail of at
//!   most 320×320 (decoded with size limits, so a decompression bomb is refused).
//! - Files are served with their sniffed type only when it is one of those images; anything
//!   else (HTML, SVG, scripts, documents) is served as `application/octet-stream` with
//!   `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` and a sandboxing
//!   CSP, so nothing uploaded can run on the service's origin.
//! - Names are reduced to their last path segment, stripped of control characters and cut
//!   to 200 characters; they are metadata only and never touch the file system (stored
//!   files are named by their random id).

use chatix_protocol::{ErrorCode, MessageKind};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use crate::error::{AppError, AppResult};
use crate::store::FileRecord;
use crate::util::{now_ms, random_hex};

/// Longest side of a thumbnail, pixels.
pub const THUMBNAIL_SIZE: u32 = 320;
/// Largest image dimension we decode for a thumbnail, pixels.
const MAX_DECODE_DIM: u32 = 12_000;

/// Where files live on disk.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// What the bytes turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// MIME type.
    pub mime: String,
    /// Image or plain file.
    pub kind: MessageKind,
}

/// Decides a file's type from its bytes.
pub fn sniff(bytes: &[u8]) -> AppResult<Sniffed> {
    if bytes.is_empty() {
        return Err(AppError::invalid("the file is empty"));
    }
    if let Some(t) = infer::get(bytes) {
        if t.matcher_type() == infer::MatcherType::App {
            return Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                format!("executables ({}) are not accepted", t.mime_type()),
            ));
        }
        let kind = match t.mime_type() {
            "image/jpeg" | "image/png" | "image/webp" | "image/gif" => MessageKind::Image,
            _ => MessageKind::File,
        };
        return Ok(Sniffed {
            mime: t.mime_type().to_owned(),
            kind,
        });
    }
    let mime = match std::str::from_utf8(bytes) {
        Ok(text) => {
            let head = text
                .trim_start()
                .get(..512)
                .unwrap_or(text.trim_start())
                .to_ascii_lowercase();
            if head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg")) {
                "image/svg+xml"
            } else if head.starts_with("<!doctype html")
                || head.starts_with("<html")
                || head.contains("<script")
            {
                "text/html"
            } else {
                "text/plain"
            }
        }
        Err(_) => "application/octet-stream",
    };
    Ok(Sniffed {
        mime: mime.to_owned(),
        kind: MessageKind::File,
    })
}

/// Whether a sniffed type may be served inline (rendered by the browser).
pub fn inline_safe(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/webp" | "image/gif"
    )
}

/// Reduces an uploaded name to a safe display name.
pub fn clean_name(name: Option<&str>) -> String {
    let raw = name.unwrap_or("");
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// Makes a thumbnail (JPEG or PNG bytes) of a JPEG or PNG image.
fn thumbnail(bytes: &[u8], mime: &str) -> AppResult<Option<Vec<u8>>> {
    let format = match mime {
        "image/jpeg" => image::ImageFormat::Jpeg,
        "image/png" => image::ImageFormat::Png,
        _ => return Ok(None),
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODE_DIM);
    limits.max_image_height = Some(MAX_DECODE_DIM);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| AppError::invalid(format!("the image could not be decoded: {e}")))?;
    let thumb = img.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE);
    let mut out = Cursor::new(Vec::new());
    let res = if format == image::ImageFormat::Jpeg {
        thumb.to_rgb8().write_to(&mut out, image::ImageFormat::Jpeg)
    } else {
        thumb.write_to(&mut out, image::ImageFormat::Png)
    };
    res.map_err(|e| AppError::internal(format_args!("thumbnail encode: {e}")))?;
    Ok(Some(out.into_inner()))
}

impl FileStore {
    /// Files under `root` (created if missing).
    pub fn new(root: PathBuf) -> std::io::Result<FileStore> {
        std::fs::create_dir_all(&root)?;
        Ok(FileStore { root })
    }

    fn path(&self, id: &str, thumb: bool) -> AppResult<PathBuf> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(AppError::not_found("no such file"));
        }
        Ok(self.root.join(if thumb {
            format!("{id}.thumb")
        } else {
            id.to_owned()
        }))
    }

    /// Checks, sniffs, thumbnails and stores an upload; returns its record (not yet in the
    /// database).
    pub async fn save(
        &self,
        website_id: &str,
        uploader_id: &str,
        name: Option<&str>,
        bytes: Vec<u8>,
    ) -> AppResult<FileRecord> {
        let sniffed = sniff(&bytes)?;
        let id = format!("f_{}", random_hex(16));
        let mime = sniffed.mime.clone();
        let (bytes, thumb) = tokio::task::spawn_blocking(move || {
            let t = thumbnail(&bytes, &mime);
            (bytes, t)
        })
        .await
        .map_err(AppError::internal)?;
        let thumb = thumb?;
        let main = self.path(&id, false)?;
        write_whole(&main, &bytes).await?;
        if let Some(t) = &thumb {
            if let Err(e) = write_whole(&self.path(&id, true)?, t).await {
                let _ = tokio::fs::remove_file(&main).await;
                return Err(e.into());
            }
        }
        Ok(FileRecord {
            id,
            website_id: website_id.to_owned(),
            uploader_id: uploader_id.to_owned(),
            name: clean_name(name),
            mime: sniffed.mime,
            size: bytes.len() as u64,
            kind: sniffed.kind,
            has_thumbnail: thumb.is_some(),
            created_at: now_ms(),
        })
    }

    /// Removes a stored file and its thumbnail (an upload whose record the database
    /// refused); a missing one is not an error.
    pub async fn remove(&self, id: &str) {
        for thumb in [false, true] {
            if let Ok(p) = self.path(id, thumb) {
                let _ = tokio::fs::remove_file(p).await;
            }
        }
    }

    /// Reads a stored file (or its thumbnail).
    pub async fn read(&self, id: &str, thumb: bool) -> AppResult<Vec<u8>> {
        match tokio::fs::read(self.path(id, thumb)?).await {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(AppError::not_found("no such file"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Writes `bytes` to `path` whole or not at all: into `path.part` first, renamed over
/// `path` once complete. A failed write (a full disk) removes the partial file, so no
/// truncated upload is ever served.
async fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let r = async {
        tokio::fs::write(&part, bytes).await?;
        tokio::fs::rename(&part, path).await
    }
    .await;
    if r.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_comes_from_bytes_not_name() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(sniff(&png).unwrap().kind, MessageKind::Image);
        assert_eq!(
            sniff(b"<svg xmlns='x'></svg>").unwrap().mime,
            "image/svg+xml"
        );
        assert_eq!(sniff(b"<!DOCTYPE html><p>").unwrap().mime, "text/html");
        assert_eq!(sniff(b"hello").unwrap().mime, "text/plain");
        let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
        elf.resize(64, 0);
        assert_eq!(
            sniff(&elf).unwrap_err().code(),
            ErrorCode::UnsupportedMediaType
        );
        assert!(
            !inline_safe("image/svg+xml") && !inline_safe("text/html") && inline_safe("image/png")
        );
    }

    #[test]
    fn names_lose_paths_and_controls() {
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_name(Some("C:\\x\\y.png")), "y.png");
        assert_eq!(clean_name(Some("a\u{0}b\n.txt")), "ab.txt");
        assert_eq!(clean_name(Some("..")), "file");
        assert_eq!(clean_name(None), "file");
    }
}
