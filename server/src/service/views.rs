//! The public shape of users and chats, as one caller sees them (presence filled in from the
//! hub; a chat's last message, sequence and unread count without whispers for non-staff).

use chatix_protocol::{Chat, ChatKind, Presence, User};

use crate::auth::Actor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::{Audience, ChatRecord, MemberRecord, UserRecord};

/// Members listed inline for direct chats and conversations.
const INLINE_MEMBERS: i64 = 10;

/// A stored user with live presence.
pub fn user(state: &AppState, rec: &UserRecord) -> User {
    let mut u = rec.user.clone();
    if state.hub.is_online(&rec.website_id, &u.id) {
        u.presence = Presence::Online;
    }
    u
}

/// Which messages a caller may see.
pub fn audience(actor: &Actor) -> Audience {
    Audience {
        whispers: actor.is_staff(),
    }
}

/// A chat as `actor` sees it.
pub async fn chat(
    state: &AppState,
    actor: &Actor,
    chat: &ChatRecord,
    member: Option<&MemberRecord>,
) -> AppResult<Chat> {
    chat_as(state, audience(actor), actor.user_id(), chat, member).await
}

/// A chat as someone who sees `aud` and is `member` (with user id `uid`) sees it.
async fn chat_as(
    state: &AppState,
    aud: Audience,
    uid: Option<&str>,
    chat: &ChatRecord,
    member: Option<&MemberRecord>,
) -> AppResult<Chat> {
    let store = &state.store;
    let members = match chat.kind {
        ChatKind::Group => Vec::new(),
        _ => store
            .members(&chat.website_id, &chat.id, 0, INLINE_MEMBERS)
            .await?
            .0
            .iter()
            .map(|(_, u)| user(state, u))
            .collect(),
    };
    let (unread, mention_count) = match (member, uid) {
        (Some(m), Some(uid)) => (
            store
                .unread_count(&chat.id, uid, m.last_seen_seq, aud)
                .await?,
            store.mention_count(&chat.id, uid, m.last_seen_seq).await?,
        ),
        _ => (0, 0),
    };
    Ok(Chat {
        id: chat.id.clone(),
        kind: chat.kind,
        name: chat.name.clone(),
        avatar: chat.avatar.clone(),
        metadata: chat.metadata.clone(),
        visibility: chat.visibility,
        deleted: chat.deleted_at.is_some(),
        member_count: store.member_count(&chat.id).await?,
        members,
        last_seq: store.last_rev(&chat.id, aud, i64::MAX).await?,
        last_message: store.last_message(&chat.id, aud).await?,
        unread,
        mention_count,
        is_member: member.is_some(),
        created_at: chat.created_at,
        updated_at: chat.updated_at,
        last_activity_at: chat.last_activity_at,
        slow_mode: chat.slow_mode.clamp(0, i64::from(u32::MAX)) as u32,
    })
}

/// A chat as a non-staff member with nothing unread would see it: the shape pushed in
/// `chatCreated` and `chatUpdated` events to many receivers at once.
pub async fn chat_for_members(state: &AppState, rec: &ChatRecord) -> AppResult<Chat> {
    let mut c = chat_as(state, Audience { whispers: false }, None, rec, None).await?;
    c.is_member = true;
    Ok(c)
}
