//! Who may see and use a chat. The rules (README "Access rules"):
//!
//! | chat | visitor / app user | consultant | admin key |
//! |---|---|---|---|
//! | public group | see, connect, join | everything | everything |
//! | private group | only if a member | everything | everything |
//! | direct | only if a member | only if a member | everything |
//! | conversation | its visitor only | everything | everything |
//!
//! A chat a caller may not see answers `not_found` (its existence is not revealed); a
//! deleted chat answers `gone` to those who could see it, and only the admin key reads it.

use chatix_protocol::{ChatKind, ErrorCode, Visibility};

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{ChatRecord, MemberRecord, Standing, Term};
use crate::util::now_ms;

/// A chat together with the caller's membership.
#[derive(Debug, Clone)]
pub struct ChatAccess {
    /// The chat.
    pub chat: ChatRecord,
    /// The caller's membership, if any.
    pub member: Option<MemberRecord>,
    /// The caller's mute and ban in this chat (staff and the secret key have none).
    pub standing: Standing,
}

impl ChatAccess {
    /// The caller's mute, when in force now.
    pub fn muted(&self) -> Option<&Term> {
        self.standing
            .muted
            .as_ref()
            .filter(|t| t.in_force(now_ms()))
    }
}

/// "until <time>" or "until lifted", for refusals.
pub fn until_text(t: &Term) -> String {
    match t.until {
        Some(ms) => format!("until {}", crate::util::iso_time(ms)),
        None => "until a moderator lifts it".to_owned(),
    }
}

/// Whether `actor` may see `chat`, given its membership.
pub fn can_see(actor: &Actor, chat: &ChatRecord, member: Option<&MemberRecord>) -> bool {
    actor.is_admin() || readable_by(actor.is_staff(), chat, member.is_some())
}

/// Whether a user (staff or not, a member or not) may see `chat`: the table above, for
/// someone other than the caller (a mention names them).
pub fn readable_by(staff: bool, chat: &ChatRecord, member: bool) -> bool {
    member
        || match chat.kind {
            ChatKind::Group => staff || chat.visibility == Visibility::Public,
            ChatKind::Conversation => staff,
            ChatKind::Direct => false,
        }
}

/// Whether `actor` may become a member of `chat` on their own (connect, send).
pub fn can_self_join(actor: &Actor, chat: &ChatRecord) -> bool {
    chat.kind == ChatKind::Group
        && actor.session().is_some()
        && (actor.is_staff() || chat.visibility == Visibility::Public)
}

/// Loads a chat the caller may see.
pub async fn chat_for(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<ChatAccess> {
    let website = &actor.website().id;
    let found = state
        .store
        .chat_and_member(website, chat_id, actor.user_id())
        .await?;
    check(actor, chat_id, found)
}

/// [`chat_for`] for the send path: from the node's access cache when it holds the chat and
/// the caller's membership (no database read), else loaded and kept there. The cached
/// chat's counters (`last_seq`, `last_activity_at`) may be behind; what access needs
/// (kind, visibility, deletion, membership) is invalidated by the events that change it.
pub async fn chat_for_send(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
) -> AppResult<ChatAccess> {
    let Some(user) = actor.user_id() else {
        return chat_for(state, actor, chat_id).await;
    };
    let website = &actor.website().id;
    let cache = &state.hub.access;
    let found = match cache.get(chat_id, user) {
        Some(hit) => Some(hit),
        None => {
            let generation = cache.generation();
            let found = state
                .store
                .chat_and_member(website, chat_id, Some(user))
                .await?;
            if let Some((chat, member, standing)) = &found {
                cache.put(generation, chat, user, member.as_ref(), standing);
            }
            found
        }
    };
    check(
        actor,
        chat_id,
        found.filter(|(chat, _, _)| chat.website_id == *website),
    )
}

fn check(
    actor: &Actor,
    chat_id: &str,
    found: Option<(ChatRecord, Option<MemberRecord>, Standing)>,
) -> AppResult<ChatAccess> {
    let (chat, member, standing) =
        found.ok_or_else(|| AppError::not_found(format!("no chat {chat_id:?}")))?;
    if !can_see(actor, &chat, member.as_ref()) {
        return Err(AppError::not_found(format!("no chat {chat_id:?}")));
    }
    if chat.deleted_at.is_some() && !actor.is_admin() {
        return Err(AppError::new(ErrorCode::Gone, "the chat was deleted"));
    }
    if let Some(ban) = standing.banned.as_ref().filter(|t| t.in_force(now_ms())) {
        if !actor.is_staff() {
            return Err(AppError::forbidden(format!(
                "you are banned from this chat {} ({})",
                until_text(ban),
                ban.reason
            )));
        }
    }
    Ok(ChatAccess {
        chat,
        member,
        standing,
    })
}
