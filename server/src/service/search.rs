//! Message search: the messages whose text contains a query, newest first, in the chats
//! the caller may read, by the same rules as reading them one chat at a time
//! ([`super::access`]); never a whisper for a visitor or app user, never a deleted message or
//! a message of a deleted chat.
//!
//! It is a scan (`LIKE`/`ILIKE` on the text), not a full-text index: fine for the chats of
//! one website on one node; a large deployment would put an index behind this function.

use chatix_protocol::limits::{DEFAULT_SEARCH_COUNT, MAX_SEARCH_CHARS};
use chatix_protocol::rest::MessageSearchResults;

use super::{access, views};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::SearchScope;
use crate::util::cursor_count;

/// `searchMessages(query, { chatId, cursor, count })`.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    query: &str,
    chat_id: Option<&str>,
    cursor: Option<&str>,
    count: Option<u32>,
) -> AppResult<MessageSearchResults> {
    let needle = query.trim();
    let chars = needle.chars().count();
    if chars == 0 || chars > MAX_SEARCH_CHARS {
        return Err(AppError::invalid(format!(
            "q: a search needs 1 to {MAX_SEARCH_CHARS} characters (besides spaces at the ends), got {chars}"
        )));
    }
    let count = cursor_count(count, DEFAULT_SEARCH_COUNT)?;
    let before = cursor.map(parse_cursor).transpose()?;
    let chat = match chat_id {
        Some(id) => Some(access::chat_for(state, actor, id).await?.chat.id),
        None => None,
    };
    let scope = match (&chat, actor) {
        (Some(id), _) => SearchScope::Chat(id),
        (None, Actor::Admin(_)) => SearchScope::Website,
        (None, Actor::User(s)) if s.role().is_staff() => SearchScope::Staff(s.user_id()),
        (None, Actor::User(s)) => SearchScope::Member(s.user_id()),
    };
    let mut messages = state
        .store
        .search_messages(
            &actor.website().id,
            scope,
            views::audience(actor),
            needle,
            before,
            count as i64 + 1,
        )
        .await?;
    let next_cursor = if messages.len() > count as usize {
        messages.truncate(count as usize);
        messages
            .last()
            .map(|m| format!("{}.{}", m.created_at, m.id))
    } else {
        None
    };
    super::messages::with_own_reactions(state, actor, &mut messages).await?;
    Ok(MessageSearchResults {
        messages,
        next_cursor,
    })
}

/// A cursor this endpoint returned: `<createdAt>.<messageId>`. A forged one only moves the
/// starting point: what is searched is decided by the caller's access, not by the cursor.
fn parse_cursor(c: &str) -> AppResult<(i64, String)> {
    let bad = || {
        AppError::invalid(format!(
            "cursor: {c:?} is not a cursor that a search returned"
        ))
    };
    let (at, id) = c.split_once('.').ok_or_else(bad)?;
    let at: i64 = at.parse().map_err(|_| bad())?;
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(bad());
    }
    Ok((at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(
            parse_cursor("1700000000000.msg_01abc").unwrap(),
            (1_700_000_000_000, "msg_01abc".to_owned())
        );
        for bad in ["", "123", ".msg", "x.msg", "1.", "1.a b", "1.a'--"] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
