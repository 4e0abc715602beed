//! Mentions: who a message names, checked at send time, and what the people named hear.
//!
//! A send names people two ways: `mentions: [username]`, which is strict (every name must
//! be someone who may read the message, or the send is refused and nothing is stored), and
//! `@username` in the text, which is lenient (a word after `@` that is not such a person is
//! only text: e-mail addresses and handles of other services stay as they are). Together
//! they are at most [`MAX_MENTIONS`]; the sender is never among them.
//!
//! Who may read the message: a member of the chat, or someone the chat's kind lets in
//! without being one (a public chatroom: anyone; a private chatroom or a conversation:
//! consultants), and not banned from it. A whisper is read by consultants only, so it
//! mentions consultants only: no visitor ever hears of a whisper through a mention.
//!
//! The mentioned users get a `mentioned` frame on all their sockets, with their count of
//! unseen mentions in the chat (`mentionCount`, also on the chat and in `setSeen`'s
//! answer), and list the messages that mention them with `getMentions`. When such a message
//! is deleted they get `mentioned` again, with its tombstone and their count without it.

use chatix_protocol::limits::{MAX_MENTIONS, MAX_USERNAME_CHARS};
use chatix_protocol::{Message, ServerFrame};

use super::access;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::hub::{frame, Event};
use crate::state::AppState;
use crate::store::ChatRecord;
use crate::util::now_ms;

/// The characters of a username (see `util::check_username`).
fn username_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '-')
}

/// The `@username` words of a text, in order, without repeats: an `@` at the start or after
/// a character that cannot be in a username, then the longest run of username characters;
/// a `.` or `-` ending the run (the end of a sentence) is not part of it.
pub fn text_mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts = c == '@' && !prev.is_some_and(username_char);
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[i + 1..];
        let end = rest.find(|c: char| !username_char(c)).unwrap_or(rest.len());
        let word = rest[..end].trim_end_matches(['.', '-']);
        if !word.is_empty()
            && word.chars().count() <= MAX_USERNAME_CHARS
            && !out.iter().any(|w| w == word)
        {
            out.push(word.to_owned());
        }
        if out.len() >= MAX_MENTIONS * 2 {
            break; // enough candidates: the rest of a long text stays text
        }
    }
    out
}

/// The people a send mentions, checked against the chat and the message's visibility:
/// (user id, username), explicit ones first. Refuses an explicit name that is not a user
/// or may not read the message, and more than [`MAX_MENTIONS`] explicit names.
pub async fn resolve(
    state: &AppState,
    actor: &Actor,
    chat: &ChatRecord,
    text: &str,
    explicit: Option<Vec<String>>,
    whisper: bool,
) -> AppResult<Vec<(String, String)>> {
    let explicit = explicit.unwrap_or_default();
    if explicit.len() > MAX_MENTIONS {
        return Err(AppError::invalid(format!(
            "mentions names {} people; a message may mention at most {MAX_MENTIONS}",
            explicit.len()
        )));
    }
    for name in &explicit {
        crate::util::check_username("mentions", name)?;
    }
    let from_text = text_mentions(text);
    if explicit.is_empty() && from_text.is_empty() {
        return Ok(Vec::new()); // every send without a mention: no lookup
    }
    let mut names: Vec<String> = Vec::new();
    for n in explicit.iter().chain(&from_text) {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let website = &actor.website().id;
    let users = state.store.users_by_usernames(website, &names).await?;
    let me = actor.user_id();
    let mut out: Vec<(String, String)> = Vec::new();
    for name in &names {
        let strict = explicit.contains(name);
        let Some(u) = users.iter().find(|u| u.user.username == *name) else {
            if strict {
                return Err(AppError::invalid(format!(
                    "mentions: no user {name:?} on this website"
                )));
            }
            continue;
        };
        if Some(u.user.id.as_str()) == me || out.iter().any(|(id, _)| *id == u.user.id) {
            continue;
        }
        if let Err(why) = may_read(state, chat, u, whisper).await? {
            if strict {
                return Err(AppError::invalid(format!("mentions: {name:?} {why}")));
            }
            continue;
        }
        if out.len() == MAX_MENTIONS {
            if strict {
                return Err(AppError::invalid(format!(
                    "a message may mention at most {MAX_MENTIONS} people"
                )));
            }
            break;
        }
        out.push((u.user.id.clone(), u.user.username.clone()));
    }
    Ok(out)
}

/// Whether `u` may read a message of `chat` (a whisper when `whisper`): `Err` says why not.
async fn may_read(
    state: &AppState,
    chat: &ChatRecord,
    u: &crate::store::UserRecord,
    whisper: bool,
) -> AppResult<Result<(), &'static str>> {
    let staff = u.user.role.is_staff();
    if whisper && !staff {
        return Ok(Err(
            "cannot read a whisper (only consultants do): mention them in a message they see",
        ));
    }
    let found = state
        .store
        .chat_and_member(&chat.website_id, &chat.id, Some(&u.user.id))
        .await?;
    let Some((_, member, standing)) = found else {
        return Ok(Err("cannot read this chat"));
    };
    if !access::readable_by(staff, chat, member.is_some()) {
        return Ok(Err(
            "cannot read this chat (only its members, or anyone for a public chatroom)",
        ));
    }
    if !staff && standing.banned.is_some_and(|t| t.in_force(now_ms())) {
        return Ok(Err("is banned from this chat"));
    }
    Ok(Ok(()))
}

/// Tells each mentioned user of a stored message (`mentioned`, with their unseen mentions
/// in the chat). A failure to count is logged: the message is stored either way.
pub async fn notify(state: &AppState, website_id: &str, m: &Message, user_ids: &[String]) {
    for uid in user_ids {
        let count = match state.store.member(&m.chat_id, uid).await {
            Ok(Some(mem)) => state
                .store
                .mention_count(&m.chat_id, uid, mem.last_seen_seq)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(chat_id = %m.chat_id, error = %e.0.message, "mention count failed");
                    0
                }),
            // a reader who is not a member has no seen mark, so no count (like `unread`)
            Ok(None) => 0,
            Err(e) => {
                tracing::warn!(chat_id = %m.chat_id, error = %e.0.message, "mention count failed");
                0
            }
        };
        state.hub.publish(Event::Users {
            website_id: website_id.to_owned(),
            user_ids: vec![uid.clone()],
            frame: frame(&ServerFrame::Mentioned {
                chat_id: m.chat_id.clone(),
                message: m.clone(),
                mention_count: count,
            }),
        });
    }
}

/// After a message that mentioned `usernames` was deleted: each of them gets `mentioned`
/// with the tombstone and their count without it (their SDK lowers its count; no event).
pub async fn unmentioned(state: &AppState, website_id: &str, tomb: &Message, usernames: &[String]) {
    match state.store.users_by_usernames(website_id, usernames).await {
        Ok(users) => {
            let ids: Vec<String> = users.into_iter().map(|u| u.user.id).collect();
            notify(state, website_id, tomb, &ids).await;
        }
        Err(e) => tracing::warn!(error = %e.0.message, "mentioned users of a deleted message"),
    }
}

#[cfg(test)]
mod tests {
    use super::text_mentions;

    #[test]
    fn text_mentions_take_the_words_after_an_at_sign() {
        assert_eq!(
            text_mentions("hi @ana and @bo.b, see @ana. Mail x@y.com or @cy-"),
            ["ana", "bo.b", "cy"]
        );
        assert_eq!(text_mentions("@ @. no one"), Vec::<String>::new());
        assert_eq!(text_mentions("(@zoë)"), ["zoë"]);
    }
}
