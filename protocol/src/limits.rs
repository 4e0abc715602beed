//! The documented limits. The server enforces them (its flags can change most of them) and
//! announces the values in force in its `ready` frame, so a client never has to guess.

use serde::{Deserialize, Serialize};

/// Largest WebSocket frame the server accepts, in bytes (after any decompression).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest message text, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 8_000;
/// Largest uploaded file, in bytes (20 MiB).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Largest JSON body of a REST request, in bytes.
pub const MAX_JSON_BODY_BYTES: usize = 256 * 1024;
/// Most entries in one metadata map.
pub const MAX_METADATA_ENTRIES: usize = 32;
/// Longest metadata key, and longest string value, in characters.
pub const MAX_METADATA_KEY_CHARS: usize = 64;
/// Longest string value in a metadata map, in characters.
pub const MAX_METADATA_VALUE_CHARS: usize = 1_000;
/// Longest name (user name, chat name), in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest username, in characters.
pub const MAX_USERNAME_CHARS: usize = 100;
/// Longest client id (idempotency key), in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 100;
/// Most members in one group chat creation or add-members call.
pub const MAX_MEMBERS_PER_CALL: usize = 1_000;
/// Most usernames in one `getUsers` call.
pub const MAX_USERS_PER_FETCH: usize = 100;
/// Chats per page of `getChats`.
pub const CHATS_PER_PAGE: u32 = 25;
/// Messages per page of `getMessages`.
pub const MESSAGES_PER_PAGE: u32 = 25;
/// Default and largest `perPage` of `getChatrooms` and `getChatroomMembers`.
pub const DEFAULT_PER_PAGE: u32 = 10;
/// Largest `perPage`.
pub const MAX_PER_PAGE: u32 = 100;
/// Longest message search query, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;
/// Default number of results of a message search.
pub const DEFAULT_SEARCH_COUNT: u32 = 25;
/// Default and largest `count` of a cursor history request.
pub const DEFAULT_CURSOR_COUNT: u32 = 50;
/// Largest `count` of a cursor history request.
pub const MAX_CURSOR_COUNT: u32 = 100;
/// Longest typing draft a visitor's `visitorType` sends, in characters.
pub const MAX_DRAFT_CHARS: usize = 2_000;
/// Longest reaction, in characters (Unicode scalar values: an emoji with skin tone,
/// variation selectors and joiners fits).
pub const MAX_REACTION_CHARS: usize = 16;
/// Pinned messages one chat may have at once.
pub const MAX_PINS_PER_CHAT: usize = 50;
/// Distinct reactions one message may carry.
pub const MAX_REACTIONS_PER_MESSAGE: usize = 25;
/// Longest reason of a mute, ban or report, and of a report's resolution, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest excerpt of a flagged message a report keeps, in characters.
pub const MAX_EXCERPT_CHARS: usize = 500;
/// People one message may mention (the `mentions` of a send and the `@username`s of its
/// text together; text mentions beyond it are left as text).
pub const MAX_MENTIONS: usize = 25;
/// Longest quote a reply carries of the message it replies to, in characters.
pub const MAX_QUOTE_CHARS: usize = 200;
/// Longest slow mode of a chatroom, in seconds (an hour).
pub const MAX_SLOW_MODE_SECONDS: u32 = 3_600;
/// Reports per page of `getReports`.
pub const REPORTS_PER_PAGE: u32 = 50;
/// Most sanctions `getSanctions` lists at once (newest first).
pub const MAX_SANCTIONS_LISTED: u32 = 500;

/// Checks a reaction: 1 to [`MAX_REACTION_CHARS`] characters, no spaces or control
/// characters, and at least one character beyond ASCII, so that it is an emoji or a symbol
/// (`"👍"`, `"1️⃣"`), not a word or markup (`"lol"`, `"<b>"`). The error says what was wrong.
pub fn check_reaction(r: &str) -> Result<(), String> {
    let n = r.chars().count();
    if n == 0 {
        return Err("the reaction is empty; give an emoji such as \"👍\"".into());
    }
    if n > MAX_REACTION_CHARS {
        return Err(format!(
            "the reaction is {n} characters; at most {MAX_REACTION_CHARS} are allowed"
        ));
    }
    if r.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a reaction may not contain spaces or control characters".into());
    }
    if r.is_ascii() {
        return Err(format!(
            "a reaction is an emoji or a symbol, not plain ASCII text: got {r:?}"
        ));
    }
    Ok(())
}

/// The limits in force on a server, as announced in the `ready` frame.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Largest accepted WebSocket frame, bytes.
    pub max_frame_bytes: usize,
    /// Longest message text, characters.
    pub max_message_chars: usize,
    /// Largest upload, bytes.
    pub max_upload_bytes: usize,
    /// Socket frames per second per connection (sustained).
    pub frames_per_second: u32,
    /// Socket frames allowed in a burst above the sustained rate.
    pub frame_burst: u32,
    /// REST requests per second per client IP (sustained).
    pub requests_per_second: u32,
    /// REST requests allowed in a burst above the sustained rate.
    pub request_burst: u32,
    /// Interval of the server's heartbeat, milliseconds; a peer silent for three
    /// intervals is dropped.
    pub heartbeat_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reactions_are_short_emoji_or_symbols() {
        for ok in ["👍", "❤️", "👍🏽", "👨‍👩‍👧‍👦", "1️⃣", "🇫🇷", "✓"]
        {
            assert_eq!(check_reaction(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("", "empty"),
            ("lol", "not plain ASCII"),
            ("<b>", "not plain ASCII"),
            ("👍 👍", "spaces"),
            ("👍\n", "spaces or control"),
            ("👍\u{7}", "control"),
        ];
        for (bad, why) in cases {
            let e = check_reaction(bad).expect_err(bad);
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let long = "👍".repeat(MAX_REACTION_CHARS + 1);
        assert!(check_reaction(&long).unwrap_err().contains("at most 16"));
        assert_eq!(check_reaction(&"👍".repeat(MAX_REACTION_CHARS)), Ok(()));
    }
}
