//! Small helpers used everywhere: clock, ids, secrets, argument checks.

use rand::RngCore;

use crate::error::{AppError, AppResult};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A new time-ordered id (UUIDv7) with a short prefix naming the resource, e.g. `msg_…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// A time in ms since the epoch as RFC 3339 UTC, to the second (`2026-12-07T10:00:00Z`).
pub fn iso_time(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// `n` random bytes from the OS generator, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Trims `s` and checks its length in characters; the error names `field`.
pub fn check_text(field: &str, s: &str, min: usize, max: usize) -> AppResult<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min {
        return Err(AppError::invalid(if min == 1 {
            format!("{field} must not be empty")
        } else {
            format!("{field} must be at least {min} characters")
        }));
    }
    if n > max {
        return Err(AppError::invalid(format!(
            "{field} is {n} characters; at most {max} are allowed"
        )));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(t.to_owned())
}

/// Checks a username: 1..=100 characters of letters, digits and `._@+-`.
pub fn check_username(field: &str, s: &str) -> AppResult<String> {
    let u = check_text(field, s, 1, chatix_protocol::limits::MAX_USERNAME_CHARS)?;
    if !u
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '-'))
    {
        return Err(AppError::invalid(format!(
            "{field} {u:?} may contain only letters, digits and . _ @ + -"
        )));
    }
    Ok(u)
}

/// Checks an avatar or link URL: `http(s)://…` or a file URL of this server (`/v1/files/…`).
pub fn check_url(field: &str, s: &str) -> AppResult<String> {
    let u = check_text(field, s, 0, 2_000)?;
    if u.is_empty()
        || u.starts_with("https://")
        || u.starts_with("http://")
        || u.starts_with("/v1/files/")
    {
        Ok(u)
    } else {
        Err(AppError::invalid(format!(
            "{field} must be an http(s) URL or an uploaded file's URL"
        )))
    }
}

/// Converts `page`/`perPage` to an SQL offset, checking both. Pages are 1-based.
pub fn page_offset(page: u32, per_page: u32) -> AppResult<i64> {
    if page == 0 {
        return Err(AppError::invalid("page starts at 1"));
    }
    Ok((page as i64 - 1) * per_page as i64)
}

/// The `count` of a cursor request (history, search): `default` when absent, else 1 to
/// [`MAX_CURSOR_COUNT`](chatix_protocol::limits::MAX_CURSOR_COUNT).
pub fn cursor_count(count: Option<u32>, default: u32) -> AppResult<u32> {
    use chatix_protocol::limits::MAX_CURSOR_COUNT;
    match count.unwrap_or(default) {
        n @ 1..=MAX_CURSOR_COUNT => Ok(n),
        _ => Err(AppError::invalid(format!(
            "count must be 1 to {MAX_CURSOR_COUNT}"
        ))),
    }
}

/// Number of pages for `total` items.
pub fn total_pages(total: u64, per_page: u32) -> u32 {
    total.div_ceil(per_page.max(1) as u64) as u32
}
