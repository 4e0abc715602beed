//! Direct chats, group chats (chatrooms), visitor conversations, and their members.

use chatix_protocol::limits::{
    CHATS_PER_PAGE, DEFAULT_PER_PAGE, MAX_MEMBERS_PER_CALL, MAX_NAME_CHARS, MAX_PER_PAGE,
    MAX_SLOW_MODE_SECONDS,
};
use chatix_protocol::rest::{
    ChatroomsPage, ChatsPage, GroupChatRequest, MembersPage, UpdateChatRequest,
};
use chatix_protocol::{metadata, Chat, ChatKind, Member, Role, ServerFrame, Visibility};

use super::access::{self, can_self_join, ChatAccess};
use super::views;
use crate::auth::{Actor, Session};
use crate::error::{AppError, AppResult};
use crate::hub::{frame, Event};
use crate::state::AppState;
use crate::store::{ChatPatch, ChatRecord, NewGroup, UserRecord};
use crate::util::{check_text, check_url, check_username, now_ms, page_offset, total_pages};

fn session<'a>(actor: &'a Actor, what: &str) -> AppResult<&'a Session> {
    actor.session().ok_or_else(|| {
        AppError::forbidden(format!(
            "{what} needs a user token: the secret key has no user to act as"
        ))
    })
}

/// Resolves usernames to users of the website; every one must exist.
async fn resolve_users(
    state: &AppState,
    website: &str,
    usernames: &[String],
) -> AppResult<Vec<UserRecord>> {
    if usernames.len() > MAX_MEMBERS_PER_CALL {
        return Err(AppError::invalid(format!(
            "at most {MAX_MEMBERS_PER_CALL} usernames per call"
        )));
    }
    let mut names = Vec::with_capacity(usernames.len());
    for u in usernames {
        let u = check_username("memberUsernames[]", u)?;
        if !names.contains(&u) {
            names.push(u);
        }
    }
    let found = state.store.users_by_usernames(website, &names).await?;
    if let Some(missing) = names
        .iter()
        .find(|n| !found.iter().any(|u| &u.user.username == *n))
    {
        return Err(AppError::not_found(format!("no user named {missing:?}")));
    }
    Ok(found)
}

/// Tells users (all their connections) about a chat they can now see.
async fn announce_chat(
    state: &AppState,
    rec: &ChatRecord,
    user_ids: Vec<String>,
    staff_too: bool,
) -> AppResult<()> {
    let f = frame(&ServerFrame::ChatCreated {
        chat: views::chat_for_members(state, rec).await?,
    });
    if !user_ids.is_empty() {
        state.hub.publish(Event::Users {
            website_id: rec.website_id.clone(),
            user_ids,
            frame: f.clone(),
        });
    }
    if staff_too {
        state.hub.publish(Event::Staff {
            website_id: rec.website_id.clone(),
            frame: f,
        });
    }
    Ok(())
}

/// `chat(username)`: the one-to-one chat with another existing user.
pub async fn direct(state: &AppState, actor: &Actor, username: &str) -> AppResult<Chat> {
    let s = session(actor, "starting a chat")?;
    if s.role() == Role::Visitor {
        return Err(AppError::forbidden(
            "visitors talk to consultants through their conversation and to others in chatrooms",
        ));
    }
    let username = check_username("username", username)?;
    let other = state
        .store
        .user_by_username(&s.website.id, &username)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!("no user named {username:?}; create it first"))
        })?;
    if other.user.id == s.user_id() {
        return Err(AppError::invalid("cannot start a chat with yourself"));
    }
    let (rec, created) = state
        .store
        .direct_chat(&s.website.id, s.user_id(), &other.user.id, now_ms())
        .await?;
    if created {
        announce_chat(
            state,
            &rec,
            vec![s.user_id().to_owned(), other.user.id.clone()],
            false,
        )
        .await?;
    }
    let member = state.store.member(&rec.id, s.user_id()).await?;
    views::chat(state, actor, &rec, member.as_ref()).await
}

/// A visitor's conversation with the website's consultants (created on first use).
pub async fn conversation(state: &AppState, actor: &Actor) -> AppResult<Chat> {
    let s = session(actor, "the conversation")?;
    if s.role() != Role::Visitor {
        return Err(AppError::forbidden(
            "only visitors have a conversation; consultants list them with /v1/conversations",
        ));
    }
    let (rec, created) = state
        .store
        .conversation(&s.website.id, s.user_id(), now_ms())
        .await?;
    if created {
        announce_chat(state, &rec, Vec::new(), true).await?;
    }
    let member = state.store.member(&rec.id, s.user_id()).await?;
    views::chat(state, actor, &rec, member.as_ref()).await
}

/// Staff: deleted chatrooms (to restore them), most recently deleted first.
pub async fn deleted_chatrooms(
    state: &AppState,
    actor: &Actor,
    page: Option<u32>,
) -> AppResult<ChatsPage> {
    if !actor.is_staff() {
        return Err(AppError::forbidden(
            "only consultants see deleted chatrooms",
        ));
    }
    let page = page.unwrap_or(1);
    let offset = page_offset(page, CHATS_PER_PAGE)?;
    let (recs, total) = state
        .store
        .deleted_chatrooms(&actor.website().id, offset, CHATS_PER_PAGE as i64)
        .await?;
    chats_page(state, actor, recs, total, page).await
}

/// Staff: every visitor conversation, newest activity first.
pub async fn conversations(
    state: &AppState,
    actor: &Actor,
    page: Option<u32>,
) -> AppResult<ChatsPage> {
    if !actor.is_staff() {
        return Err(AppError::forbidden(
            "only consultants see visitor conversations",
        ));
    }
    let page = page.unwrap_or(1);
    let offset = page_offset(page, CHATS_PER_PAGE)?;
    let (recs, total) = state
        .store
        .conversations(&actor.website().id, offset, CHATS_PER_PAGE as i64)
        .await?;
    chats_page(state, actor, recs, total, page).await
}

async fn chats_page(
    state: &AppState,
    actor: &Actor,
    recs: Vec<ChatRecord>,
    total: u64,
    page: u32,
) -> AppResult<ChatsPage> {
    let mut chats = Vec::with_capacity(recs.len());
    for rec in &recs {
        let member = match actor.user_id() {
            Some(u) => state.store.member(&rec.id, u).await?,
            None => None,
        };
        chats.push(views::chat(state, actor, rec, member.as_ref()).await?);
    }
    Ok(ChatsPage {
        chats,
        page,
        total_chats: total,
        total_pages: total_pages(total, CHATS_PER_PAGE),
    })
}

/// `groupChat` / chatroom creation. Visitors cannot create chatrooms; visitors can be put in
/// a private one only with the secret key.
pub async fn create_group(
    state: &AppState,
    actor: &Actor,
    req: GroupChatRequest,
) -> AppResult<Chat> {
    if actor.role() == Some(Role::Visitor) {
        return Err(AppError::forbidden("visitors cannot create chatrooms"));
    }
    let name = req
        .name
        .map(|n| check_text("name", &n, 1, MAX_NAME_CHARS))
        .transpose()?;
    let avatar = req
        .avatar
        .map(|a| check_url("avatar", &a))
        .transpose()?
        .filter(|a| !a.is_empty());
    let meta = req.metadata.unwrap_or_default();
    metadata::validate(&meta).map_err(AppError::invalid)?;
    let visibility = req.visibility.unwrap_or(if actor.is_staff() {
        Visibility::Public
    } else {
        Visibility::Private
    });
    if visibility == Visibility::Public && !actor.is_staff() {
        return Err(AppError::forbidden(
            "only consultants and the secret key create public chatrooms",
        ));
    }
    let website = actor.website().id.clone();
    let members = resolve_users(state, &website, &req.member_usernames).await?;
    check_may_add(actor, visibility, &members)?;
    let rec = state
        .store
        .create_group(
            NewGroup {
                website_id: website,
                name,
                avatar,
                metadata: meta,
                visibility,
                created_by: actor.user_id().map(str::to_owned),
                member_ids: members.iter().map(|u| u.user.id.clone()).collect(),
            },
            now_ms(),
        )
        .await?;
    let mut ids: Vec<String> = members.iter().map(|u| u.user.id.clone()).collect();
    ids.extend(actor.user_id().map(str::to_owned));
    announce_chat(state, &rec, ids, true).await?;
    let member = match actor.user_id() {
        Some(u) => state.store.member(&rec.id, u).await?,
        None => None,
    };
    views::chat(state, actor, &rec, member.as_ref()).await
}

/// Who may add whom: visitors join private chatrooms only through the secret key; app users
/// add app users only.
fn check_may_add(actor: &Actor, visibility: Visibility, users: &[UserRecord]) -> AppResult<()> {
    if actor.can_administer() {
        return Ok(());
    }
    for u in users {
        let ok = match u.user.role {
            Role::Visitor => actor.is_staff() && visibility == Visibility::Public,
            Role::Consultant => actor.is_staff(),
            Role::User => true,
        };
        if !ok {
            return Err(AppError::forbidden(match u.user.role {
                Role::Visitor => format!(
                    "visitor {:?} can be made a member of a private chatroom only with the secret key (or by a consultant with the admin permission)",
                    u.user.username
                ),
                _ => format!("you may not add {:?} to a chat", u.user.username),
            }));
        }
    }
    Ok(())
}

/// `getChat(id)`.
pub async fn get(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<Chat> {
    let a = access::chat_for(state, actor, chat_id).await?;
    views::chat(state, actor, &a.chat, a.member.as_ref()).await
}

/// `getChats(page)`: the caller's chats, 25 per page, newest activity first.
pub async fn mine(state: &AppState, actor: &Actor, page: Option<u32>) -> AppResult<ChatsPage> {
    let s = session(actor, "listing your chats")?;
    let page = page.unwrap_or(1);
    let offset = page_offset(page, CHATS_PER_PAGE)?;
    let (recs, total) = state
        .store
        .user_chats(&s.website.id, s.user_id(), offset, CHATS_PER_PAGE as i64)
        .await?;
    chats_page(state, actor, recs, total, page).await
}

/// `getChatrooms(pageId, perPage)` (and `getMyChatrooms` with `only_mine`).
pub async fn chatrooms(
    state: &AppState,
    actor: &Actor,
    page: Option<u32>,
    per_page: Option<u32>,
    only_mine: bool,
) -> AppResult<ChatroomsPage> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::invalid(format!(
            "perPage must be 1 to {MAX_PER_PAGE}"
        )));
    }
    let offset = page_offset(page, per_page)?;
    let reader = actor.user_id().unwrap_or("");
    let (recs, total) = state
        .store
        .chatrooms(
            &actor.website().id,
            reader,
            actor.is_staff(),
            only_mine && !reader.is_empty(),
            offset,
            per_page as i64,
        )
        .await?;
    let list = chats_page(state, actor, recs, total, page).await?;
    Ok(ChatroomsPage {
        chatrooms: list.chats,
        page,
        per_page,
        total,
        total_pages: total_pages(total, per_page),
    })
}

/// `setName` / `setAvatar` / `setMetadata` / visibility.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    req: UpdateChatRequest,
) -> AppResult<Chat> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let may = actor.is_staff() || (a.member.is_some() && actor.role() == Some(Role::User));
    if !may {
        return Err(AppError::forbidden(
            "only members who are app users, consultants or the secret key may change a chat",
        ));
    }
    if a.chat.kind != ChatKind::Group
        && (req.name.is_some() || req.avatar.is_some() || req.visibility.is_some())
    {
        return Err(AppError::invalid(
            "only group chats have a name, an avatar and a visibility",
        ));
    }
    if let Some(s) = req.slow_mode {
        if a.chat.kind != ChatKind::Group {
            return Err(AppError::invalid("slow mode is for chatrooms"));
        }
        if !actor.is_staff() {
            return Err(AppError::forbidden(
                "only consultants and the secret key set a chatroom's slow mode",
            ));
        }
        if s > MAX_SLOW_MODE_SECONDS {
            return Err(AppError::invalid(format!(
                "slowMode must be 0 (off) to {MAX_SLOW_MODE_SECONDS} seconds, got {s}"
            )));
        }
    }
    if req.visibility.is_some() && !actor.is_staff() {
        return Err(AppError::forbidden(
            "only consultants and the secret key change a chatroom's visibility",
        ));
    }
    if let Some(m) = &req.metadata {
        metadata::validate(m).map_err(AppError::invalid)?;
    }
    let patch = ChatPatch {
        name: req
            .name
            .map(|n| check_text("name", &n, 1, MAX_NAME_CHARS))
            .transpose()?,
        avatar: req.avatar.map(|a| check_url("avatar", &a)).transpose()?,
        metadata: req.metadata,
        visibility: req.visibility,
        slow_mode: req.slow_mode.map(i64::from),
    };
    let now_private =
        patch.visibility == Some(Visibility::Private) && a.chat.visibility == Visibility::Public;
    let rec = state
        .store
        .update_chat(&a.chat.website_id, &a.chat.id, patch, now_ms())
        .await?
        .ok_or_else(|| AppError::not_found("the chat vanished"))?;
    access_changed(state, &a.chat.id, &[]);
    let f = frame(&ServerFrame::ChatUpdated {
        chat: views::chat_for_members(state, &rec).await?,
    });
    state.hub.publish(Event::Chat {
        chat_id: rec.id.clone(),
        all: f.clone(),
        staff: None,
        staff_only: false,
    });
    if now_private {
        state.hub.publish(Event::Recheck {
            chat_id: rec.id.clone(),
            removed: Vec::new(),
            deleted: false,
            now_private: true,
        });
    }
    views::chat(state, actor, &rec, a.member.as_ref()).await
}

/// Soft delete: consultants, the secret key, or the app user who created the group.
pub async fn delete(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<()> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let creator = a.chat.created_by.is_some() && a.chat.created_by.as_deref() == actor.user_id();
    if !(actor.is_staff() || (creator && actor.role() == Some(Role::User))) {
        return Err(AppError::forbidden(
            "only consultants, the secret key or the group's creator may delete a chat",
        ));
    }
    state
        .store
        .set_chat_deleted(&a.chat.website_id, &a.chat.id, Some(now_ms()))
        .await?;
    access_changed(state, &a.chat.id, &[]);
    let f = frame(&ServerFrame::ChatDeleted {
        chat_id: a.chat.id.clone(),
    });
    state.hub.publish(Event::Chat {
        chat_id: a.chat.id.clone(),
        all: f.clone(),
        staff: None,
        staff_only: false,
    });
    state.hub.publish(Event::Staff {
        website_id: a.chat.website_id.clone(),
        frame: f,
    });
    state.hub.publish(Event::Recheck {
        chat_id: a.chat.id.clone(),
        removed: Vec::new(),
        deleted: true,
        now_private: false,
    });
    Ok(())
}

/// Restore a deleted chat: the secret key only.
pub async fn restore(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<Chat> {
    if !actor.can_administer() {
        return Err(AppError::forbidden(
            "restoring a chat needs the website's secret key (or a consultant with the admin permission)",
        ));
    }
    let chat = state
        .store
        .chat(&actor.website().id, chat_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no chat {chat_id:?}")))?;
    let a = ChatAccess {
        chat,
        member: None,
        standing: Default::default(),
    };
    if a.chat.deleted_at.is_none() {
        return Err(AppError::conflict("the chat is not deleted"));
    }
    let rec = state
        .store
        .set_chat_deleted(&a.chat.website_id, &a.chat.id, None)
        .await?
        .ok_or_else(|| AppError::not_found("the chat vanished"))?;
    access_changed(state, &a.chat.id, &[]);
    let chat = views::chat_for_members(state, &rec).await?;
    let f = frame(&ServerFrame::ChatRestored { chat: chat.clone() });
    let (members, _) = state
        .store
        .members(&rec.website_id, &rec.id, 0, MAX_MEMBERS_PER_CALL as i64)
        .await?;
    state.hub.publish(Event::Users {
        website_id: rec.website_id.clone(),
        user_ids: members.into_iter().map(|(m, _)| m.user_id).collect(),
        frame: f.clone(),
    });
    state.hub.publish(Event::Staff {
        website_id: rec.website_id.clone(),
        frame: f,
    });
    views::chat(state, actor, &rec, None).await
}

/// `addMembers(usernames)`.
pub async fn add_members(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    usernames: &[String],
) -> AppResult<Chat> {
    let a = access::chat_for(state, actor, chat_id).await?;
    if a.chat.kind != ChatKind::Group {
        return Err(AppError::invalid(
            "members can be added to group chats only",
        ));
    }
    let may = actor.is_staff() || (a.member.is_some() && actor.role() == Some(Role::User));
    if !may {
        return Err(AppError::forbidden(
            "only members who are app users, consultants or the secret key may add members",
        ));
    }
    let users = resolve_users(state, &a.chat.website_id, usernames).await?;
    check_may_add(actor, a.chat.visibility, &users)?;
    super::moderation::refuse_banned_members(state, &a.chat.website_id, &a.chat.id, &users).await?;
    let ids: Vec<String> = users.iter().map(|u| u.user.id.clone()).collect();
    let added = state.store.add_members(&a.chat.id, &ids, now_ms()).await?;
    access_changed(state, &a.chat.id, &ids);
    announce_members_added(state, &a.chat, &users, &added).await?;
    views::chat(state, actor, &a.chat, a.member.as_ref()).await
}

async fn announce_members_added(
    state: &AppState,
    chat: &ChatRecord,
    users: &[UserRecord],
    added: &[String],
) -> AppResult<()> {
    if added.is_empty() {
        return Ok(());
    }
    let f = frame(&ServerFrame::MembersAdded {
        chat_id: chat.id.clone(),
        users: users
            .iter()
            .filter(|u| added.contains(&u.user.id))
            .map(|u| views::user(state, u))
            .collect(),
    });
    state.hub.publish(Event::Chat {
        chat_id: chat.id.clone(),
        all: f,
        staff: None,
        staff_only: false,
    });
    announce_chat(state, chat, added.to_vec(), false).await
}

/// `removeMembers(usernames)`.
pub async fn remove_members(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    usernames: &[String],
) -> AppResult<Chat> {
    let a = access::chat_for(state, actor, chat_id).await?;
    if a.chat.kind != ChatKind::Group {
        return Err(AppError::invalid(
            "members can be removed from group chats only",
        ));
    }
    let users = resolve_users(state, &a.chat.website_id, usernames).await?;
    let may = actor.is_staff()
        || (a.member.is_some()
            && actor.role() == Some(Role::User)
            && users.iter().all(|u| u.user.role == Role::User));
    if !may {
        return Err(AppError::forbidden("only consultants, the secret key, or app-user members (removing app users) may remove members"));
    }
    let ids: Vec<String> = users.iter().map(|u| u.user.id.clone()).collect();
    let removed = state.store.remove_members(&a.chat.id, &ids).await?;
    access_changed(state, &a.chat.id, &ids);
    announce_members_removed(state, &a.chat, removed);
    views::chat(state, actor, &a.chat, a.member.as_ref()).await
}

/// Tells every node's access cache that a chat (`users` empty) or these memberships in it
/// changed. Called after the change is committed and before its other events, so that a
/// client told of the change by a node is checked by that node against the new state.
pub fn access_changed(state: &AppState, chat_id: &str, users: &[String]) {
    state.hub.publish(Event::Access {
        chat_id: Some(chat_id.to_owned()),
        user_ids: users.to_vec(),
    });
}

fn announce_members_removed(state: &AppState, chat: &ChatRecord, removed: Vec<String>) {
    if removed.is_empty() {
        return;
    }
    let f = frame(&ServerFrame::MembersRemoved {
        chat_id: chat.id.clone(),
        user_ids: removed.clone(),
    });
    state.hub.publish(Event::Chat {
        chat_id: chat.id.clone(),
        all: f.clone(),
        staff: None,
        staff_only: false,
    });
    state.hub.publish(Event::Users {
        website_id: chat.website_id.clone(),
        user_ids: removed.clone(),
        frame: f,
    });
    if chat.visibility == Visibility::Private || chat.kind != ChatKind::Group {
        state.hub.publish(Event::Recheck {
            chat_id: chat.id.clone(),
            removed,
            deleted: false,
            now_private: false,
        });
    }
}

/// `leave()`.
pub async fn leave(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<()> {
    let s = session(actor, "leaving a chat")?;
    let a = access::chat_for(state, actor, chat_id).await?;
    if a.member.is_none() {
        return Err(AppError::invalid("you are not a member of this chat"));
    }
    if a.chat.kind != ChatKind::Group {
        return Err(AppError::invalid("only group chats can be left"));
    }
    let removed = state
        .store
        .remove_members(&a.chat.id, &[s.user_id().to_owned()])
        .await?;
    access_changed(state, &a.chat.id, &[s.user_id().to_owned()]);
    announce_members_removed(state, &a.chat, removed);
    Ok(())
}

/// Joins a group the caller may join on their own (public, or any for staff). Returns the
/// access with the new membership. No-op for members.
pub async fn join_access(state: &AppState, actor: &Actor, a: ChatAccess) -> AppResult<ChatAccess> {
    if a.member.is_some() {
        return Ok(a);
    }
    let Some(s) = actor.session() else {
        return Ok(a);
    };
    if !can_self_join(actor, &a.chat) {
        return Err(AppError::forbidden(match a.chat.kind {
            ChatKind::Group => {
                "only the secret key can make a visitor a member of a private chatroom"
            }
            _ => "you are not a member of this chat",
        }));
    }
    let added = state
        .store
        .add_members(&a.chat.id, &[s.user_id().to_owned()], now_ms())
        .await?;
    access_changed(state, &a.chat.id, &[s.user_id().to_owned()]);
    announce_members_added(state, &a.chat, std::slice::from_ref(&s.user), &added).await?;
    let member = state.store.member(&a.chat.id, s.user_id()).await?;
    Ok(ChatAccess {
        chat: a.chat,
        member,
        standing: a.standing,
    })
}

/// `join` (connect on one's own to a public chatroom; staff to any).
pub async fn join(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<Chat> {
    session(actor, "joining a chat")?;
    let a = access::chat_for(state, actor, chat_id).await?;
    let a = join_access(state, actor, a).await?;
    views::chat(state, actor, &a.chat, a.member.as_ref()).await
}

/// `getChatroomMembers(id, page, perPage)`.
pub async fn members(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    page: Option<u32>,
    per_page: Option<u32>,
) -> AppResult<MembersPage> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(AppError::invalid(format!(
            "perPage must be 1 to {MAX_PER_PAGE}"
        )));
    }
    let offset = page_offset(page, per_page)?;
    let (rows, total) = state
        .store
        .members(&a.chat.website_id, &a.chat.id, offset, per_page as i64)
        .await?;
    Ok(MembersPage {
        members: rows
            .iter()
            .map(|(m, u)| Member {
                user: views::user(state, u),
                joined_at: m.joined_at,
                last_seen_seq: m.last_seen_seq,
            })
            .collect(),
        page,
        per_page,
        total,
        total_pages: total_pages(total, per_page),
    })
}
