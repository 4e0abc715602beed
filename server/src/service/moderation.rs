//! Moderation: mutes and bans (in a chat, or on the whole website), and the reports queue.
//!
//! | action | who |
//! |---|---|
//! | mute / unmute in a chatroom or conversation | consultants, the secret key |
//! | ban / unban from a chatroom | consultants, the secret key |
//! | ban / unban from the website | consultants, the secret key |
//! | list a chat's sanctions, the website's bans | consultants, the secret key |
//! | flag a message, report a user | any user who may read the message / any user |
//! | list and resolve reports | consultants, the secret key |
//!
//! Staff are never sanctioned. A muted user reads but does not send, react or edit (the
//! check is in the send path, from the node's access cache); a chat ban removes them from
//! the chat, drops their subscription on every node and refuses them the chat until it ends
//! (every access check reads it with the membership, in the same query); a website ban
//! closes their sockets on every node and refuses their tokens and visitor sessions.
//! Reports hold only what their reporter could read: a visitor cannot flag a whisper. A
//! website's blocklist ([`crate::blocklist`]) rejects or masks visitors' and app users'
//! messages (sends and edits); the website's secret key sets it.

use chatix_protocol::limits::{MAX_EXCERPT_CHARS, MAX_REASON_CHARS, REPORTS_PER_PAGE};
use chatix_protocol::rest::{
    Blocklist, BlocklistMode, Report, ReportRequest, ReportsPage, ResolveReportRequest, Sanction,
    SanctionRequest, Sanctions,
};
use chatix_protocol::{ChatKind, ServerFrame};
use std::collections::HashMap;
use std::sync::Arc;

use super::access;
use super::chats::access_changed;
use crate::auth::{Actor, Session};
use crate::blocklist;
use crate::error::{AppError, AppResult};
use crate::hub::{frame, Event};
use crate::state::AppState;
use crate::store::{ReportRecord, SanctionKind, SanctionRecord, Term, UserRecord};
use crate::util::{check_username, new_id, now_ms, page_offset, total_pages};

/// Longest sanction given in `seconds` (ten years).
const MAX_SANCTION_SECONDS: i64 = 10 * 365 * 24 * 3600;

fn staff_only(actor: &Actor, what: &str) -> AppResult<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "{what} is for consultants and the secret key"
        )))
    }
}

fn reporter<'a>(actor: &'a Actor, what: &str) -> AppResult<&'a Session> {
    actor.session().ok_or_else(|| {
        AppError::forbidden(format!(
            "{what} needs a user token: the secret key has no user to report as"
        ))
    })
}

fn reason(field: &str, r: Option<&str>, required: bool) -> AppResult<String> {
    let r = r.map(str::trim).unwrap_or("");
    if r.is_empty() && required {
        return Err(AppError::invalid(format!("{field} is required")));
    }
    let n = r.chars().count();
    if n > MAX_REASON_CHARS {
        return Err(AppError::invalid(format!(
            "{field} is {n} characters; at most {MAX_REASON_CHARS}"
        )));
    }
    if r.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(r.to_owned())
}

/// The end of a sanction asked for: `until` (ms, future) or `seconds` from now, not both.
fn end_of(req: &SanctionRequest, now: i64) -> AppResult<Option<i64>> {
    match (req.until, req.seconds) {
        (Some(_), Some(_)) => Err(AppError::invalid(
            "give until (a time, ms) or seconds (from now), not both",
        )),
        (Some(u), None) if u <= now => Err(AppError::invalid(format!(
            "until must be in the future (it is {u}; now is {now})"
        ))),
        (Some(u), None) => Ok(Some(u)),
        (None, Some(s)) if !(1..=MAX_SANCTION_SECONDS).contains(&s) => Err(AppError::invalid(
            format!("seconds must be 1 to {MAX_SANCTION_SECONDS} (got {s})"),
        )),
        (None, Some(s)) => Ok(Some(now + s * 1000)),
        (None, None) => Ok(None),
    }
}

/// The user named `username`, who must not be staff.
async fn target(state: &AppState, actor: &Actor, username: &str) -> AppResult<UserRecord> {
    let name = check_username("username", username)?;
    let u = state
        .store
        .user_by_username(&actor.website().id, &name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no user named {name:?}")))?;
    if u.user.role.is_staff() {
        return Err(AppError::forbidden("consultants cannot be muted or banned"));
    }
    Ok(u)
}

/// The chat a sanction is about: one the moderator may see, that takes that sanction.
async fn sanction_chat(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    kind: SanctionKind,
) -> AppResult<crate::store::ChatRecord> {
    let a = access::chat_for(state, actor, chat_id).await?;
    match (a.chat.kind, kind) {
        (ChatKind::Group, _) | (ChatKind::Conversation, SanctionKind::Mute) => Ok(a.chat),
        (ChatKind::Conversation, SanctionKind::Ban) => Err(AppError::invalid(
            "a visitor cannot be banned from their own conversation: mute them, or ban them \
             from the website",
        )),
        (ChatKind::Direct, _) => Err(AppError::invalid(
            "direct chats are not moderated: ban the user from the website instead",
        )),
    }
}

/// `muteUser` / `banUser` (`chat_id` given) or a website ban (`chat_id` none). Setting a
/// sanction again replaces it (a new end, a new reason).
pub async fn sanction(
    state: &AppState,
    actor: &Actor,
    chat_id: Option<&str>,
    username: &str,
    kind: SanctionKind,
    req: SanctionRequest,
) -> AppResult<Sanction> {
    staff_only(
        actor,
        match kind {
            SanctionKind::Mute => "muting",
            SanctionKind::Ban => "banning",
        },
    )?;
    if chat_id.is_none() && kind == SanctionKind::Mute {
        return Err(AppError::invalid(
            "mutes are per chat: give the chat (or ban from the website)",
        ));
    }
    let now = now_ms();
    let until = end_of(&req, now)?;
    let why = reason("reason", req.reason.as_deref(), false)?;
    let chat = match chat_id {
        Some(c) => Some(sanction_chat(state, actor, c, kind).await?),
        None => None,
    };
    let user = target(state, actor, username).await?;
    let rec = SanctionRecord {
        website_id: actor.website().id.clone(),
        chat_id: chat.as_ref().map(|c| c.id.clone()),
        user_id: user.user.id.clone(),
        kind,
        until,
        reason: why,
        created_by: actor.user_id().map(str::to_owned),
        created_at: now,
    };
    state.store.set_sanction(&rec).await?;
    let uid = std::slice::from_ref(&user.user.id);
    match &chat {
        Some(c) => {
            access_changed(state, &c.id, uid);
            if kind == SanctionKind::Ban {
                state.store.remove_members(&c.id, uid).await?;
                let f = frame(&ServerFrame::MembersRemoved {
                    chat_id: c.id.clone(),
                    user_ids: uid.to_vec(),
                });
                state.hub.publish(Event::Chat {
                    chat_id: c.id.clone(),
                    all: f.clone(),
                    staff: None,
                    staff_only: false,
                });
                state.hub.publish(Event::Users {
                    website_id: c.website_id.clone(),
                    user_ids: uid.to_vec(),
                    frame: f,
                });
                state.hub.publish(Event::Recheck {
                    chat_id: c.id.clone(),
                    removed: uid.to_vec(),
                    deleted: false,
                    now_private: false,
                });
            }
        }
        None => {
            state.hub.publish(Event::Access {
                chat_id: None,
                user_ids: uid.to_vec(),
            });
            state.hub.publish(Event::Kick {
                website_id: user.website_id.clone(),
                user_id: user.user.id.clone(),
            });
        }
    }
    let mut names = HashMap::new();
    names.insert(user.user.id.clone(), user.user.username.clone());
    if let Some(s) = actor.session() {
        names.insert(s.user_id().to_owned(), s.user.user.username.clone());
    }
    Ok(sanction_view(&rec, &names))
}

/// `unmuteUser` / `unbanUser`: lifts a sanction (lifting one there is not changes nothing).
pub async fn lift(
    state: &AppState,
    actor: &Actor,
    chat_id: Option<&str>,
    username: &str,
    kind: SanctionKind,
) -> AppResult<()> {
    staff_only(
        actor,
        match kind {
            SanctionKind::Mute => "unmuting",
            SanctionKind::Ban => "unbanning",
        },
    )?;
    let chat = match chat_id {
        Some(c) => Some(sanction_chat(state, actor, c, kind).await?),
        None => None,
    };
    let user = target(state, actor, username).await?;
    state
        .store
        .lift_sanction(
            &actor.website().id,
            chat.as_ref().map(|c| c.id.as_str()),
            &user.user.id,
            kind,
        )
        .await?;
    let uid = vec![user.user.id.clone()];
    match &chat {
        Some(c) => access_changed(state, &c.id, &uid),
        None => state.hub.publish(Event::Access {
            chat_id: None,
            user_ids: uid,
        }),
    }
    Ok(())
}

/// `getSanctions`: a chat's mutes and bans in force (`chat_id` given), or the website's.
pub async fn list(state: &AppState, actor: &Actor, chat_id: Option<&str>) -> AppResult<Sanctions> {
    staff_only(actor, "listing sanctions")?;
    let chat = match chat_id {
        Some(c) => Some(access::chat_for(state, actor, c).await?.chat),
        None => None,
    };
    let site = &actor.website().id;
    let recs = state
        .store
        .sanctions(
            site,
            chat.as_ref().map(|c| c.id.as_str()),
            now_ms(),
            i64::from(chatix_protocol::limits::MAX_SANCTIONS_LISTED),
        )
        .await?;
    let ids: Vec<String> = recs
        .iter()
        .flat_map(|r| std::iter::once(r.user_id.clone()).chain(r.created_by.clone()))
        .collect();
    let names = usernames(state, site, ids).await?;
    Ok(Sanctions {
        sanctions: recs.iter().map(|r| sanction_view(r, &names)).collect(),
    })
}

/// Refuses a user banned from the website (tokens, sockets, visitor sessions).
pub async fn refuse_banned(state: &AppState, website: &str, user_id: &str) -> AppResult<()> {
    if let Some(ban) = state.store.website_ban(website, user_id).await? {
        let term = Term {
            until: ban.until,
            reason: ban.reason,
        };
        if term.in_force(now_ms()) {
            return Err(AppError::forbidden(format!(
                "you are banned from this website {} ({})",
                access::until_text(&term),
                term.reason
            )));
        }
    }
    Ok(())
}

/// Refuses to add users banned from a chat to it.
pub async fn refuse_banned_members(
    state: &AppState,
    website: &str,
    chat_id: &str,
    users: &[UserRecord],
) -> AppResult<()> {
    let bans = state
        .store
        .sanctions(
            website,
            Some(chat_id),
            now_ms(),
            i64::from(chatix_protocol::limits::MAX_SANCTIONS_LISTED),
        )
        .await?;
    if let Some(u) = users.iter().find(|u| {
        bans.iter()
            .any(|b| b.kind == SanctionKind::Ban && b.user_id == u.user.id)
    }) {
        return Err(AppError::forbidden(format!(
            "{:?} is banned from this chat; unban them first",
            u.user.username
        )));
    }
    Ok(())
}

/// `flagMessage(messageId, reason)`: a message the caller may read, into the queue. Flagging
/// a message one already flagged (and not yet resolved) returns that report.
pub async fn flag_message(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
    req: ReportRequest,
) -> AppResult<Report> {
    let s = reporter(actor, "flagging a message")?;
    let why = reason("reason", req.reason.as_deref(), true)?;
    let a = access::chat_for(state, actor, chat_id).await?;
    let m = super::messages::visible_message(state, actor, &a.chat.id, message_id).await?;
    if m.sender_id == s.user_id() {
        return Err(AppError::invalid("you cannot flag your own message"));
    }
    let excerpt: String = m.text.chars().take(MAX_EXCERPT_CHARS).collect();
    file_report(
        state,
        s,
        ReportRecord {
            id: new_id("rep"),
            website_id: s.website.id.clone(),
            kind: "message".into(),
            subject: m.id.clone(),
            chat_id: Some(a.chat.id.clone()),
            target_id: m.sender_id.clone(),
            reporter_id: s.user_id().to_owned(),
            reason: why,
            excerpt: Some(excerpt),
            created_at: now_ms(),
            resolved_at: None,
            resolved_by: None,
            resolution: None,
        },
    )
    .await
}

/// `reportUser(username, reason)`: a user of the website, into the queue.
pub async fn report_user(
    state: &AppState,
    actor: &Actor,
    username: &str,
    req: ReportRequest,
) -> AppResult<Report> {
    let s = reporter(actor, "reporting a user")?;
    let why = reason("reason", req.reason.as_deref(), true)?;
    let name = check_username("username", username)?;
    let u = state
        .store
        .user_by_username(&s.website.id, &name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no user named {name:?}")))?;
    if u.user.id == s.user_id() {
        return Err(AppError::invalid("you cannot report yourself"));
    }
    file_report(
        state,
        s,
        ReportRecord {
            id: new_id("rep"),
            website_id: s.website.id.clone(),
            kind: "user".into(),
            subject: u.user.id.clone(),
            chat_id: None,
            target_id: u.user.id.clone(),
            reporter_id: s.user_id().to_owned(),
            reason: why,
            excerpt: None,
            created_at: now_ms(),
            resolved_at: None,
            resolved_by: None,
            resolution: None,
        },
    )
    .await
}

async fn file_report(state: &AppState, s: &Session, rec: ReportRecord) -> AppResult<Report> {
    let rec = match state
        .store
        .open_report(&rec.website_id, &rec.reporter_id, &rec.kind, &rec.subject)
        .await?
    {
        Some(existing) => existing,
        None => {
            state.store.insert_report(&rec).await?;
            rec
        }
    };
    let names = usernames(
        state,
        &s.website.id,
        vec![rec.target_id.clone(), rec.reporter_id.clone()],
    )
    .await?;
    Ok(report_view(&rec, &names))
}

/// `getReports({status, page})`: `open` (default), `resolved` or `all`, 50 per page.
pub async fn reports(
    state: &AppState,
    actor: &Actor,
    status: Option<&str>,
    page: Option<u32>,
) -> AppResult<ReportsPage> {
    staff_only(actor, "reading the reports queue")?;
    let open = match status.unwrap_or("open") {
        "open" => Some(true),
        "resolved" => Some(false),
        "all" => None,
        other => {
            return Err(AppError::invalid(format!(
                "status must be open, resolved or all (got {other:?})"
            )))
        }
    };
    let page = page.unwrap_or(1);
    let offset = page_offset(page, REPORTS_PER_PAGE)?;
    let site = &actor.website().id;
    let (recs, total) = state
        .store
        .reports(site, open, offset, i64::from(REPORTS_PER_PAGE))
        .await?;
    let ids = recs
        .iter()
        .flat_map(|r| {
            [r.target_id.clone(), r.reporter_id.clone()]
                .into_iter()
                .chain(r.resolved_by.clone())
        })
        .collect();
    let names = usernames(state, site, ids).await?;
    Ok(ReportsPage {
        reports: recs.iter().map(|r| report_view(r, &names)).collect(),
        page,
        per_page: REPORTS_PER_PAGE,
        total,
        total_pages: total_pages(total, REPORTS_PER_PAGE),
    })
}

/// `resolveReport(reportId, {resolution})`: closes an open report.
pub async fn resolve(
    state: &AppState,
    actor: &Actor,
    report_id: &str,
    req: ResolveReportRequest,
) -> AppResult<Report> {
    staff_only(actor, "resolving reports")?;
    let mut what = reason("resolution", req.resolution.as_deref(), false)?;
    if what.is_empty() {
        what = "resolved".into();
    }
    let site = &actor.website().id;
    let (rec, changed) = state
        .store
        .resolve_report(site, report_id, actor.user_id(), &what, now_ms())
        .await?
        .ok_or_else(|| AppError::not_found(format!("no report {report_id:?}")))?;
    if !changed {
        return Err(AppError::conflict(format!(
            "report {report_id:?} was already resolved"
        )));
    }
    let ids = [rec.target_id.clone(), rec.reporter_id.clone()]
        .into_iter()
        .chain(rec.resolved_by.clone())
        .collect();
    let names = usernames(state, site, ids).await?;
    Ok(report_view(&rec, &names))
}

/// user id → username, for the ids that still name a user.
async fn usernames(
    state: &AppState,
    website: &str,
    mut ids: Vec<String>,
) -> AppResult<HashMap<String, String>> {
    ids.sort();
    ids.dedup();
    Ok(state
        .store
        .users_by_ids(website, &ids)
        .await?
        .into_iter()
        .map(|u| (u.user.id, u.user.username))
        .collect())
}

fn name_of(names: &HashMap<String, String>, id: &str) -> String {
    names
        .get(id)
        .cloned()
        .unwrap_or_else(|| "(deleted user)".to_owned())
}

fn sanction_view(r: &SanctionRecord, names: &HashMap<String, String>) -> Sanction {
    Sanction {
        kind: r.kind.as_str().to_owned(),
        chat_id: r.chat_id.clone(),
        username: name_of(names, &r.user_id),
        until: r.until,
        reason: r.reason.clone(),
        by: r.created_by.as_deref().map(|id| name_of(names, id)),
        created_at: r.created_at,
    }
}

fn report_view(r: &ReportRecord, names: &HashMap<String, String>) -> Report {
    Report {
        id: r.id.clone(),
        kind: r.kind.clone(),
        chat_id: r.chat_id.clone(),
        message_id: (r.kind == "message").then(|| r.subject.clone()),
        excerpt: r.excerpt.clone(),
        username: name_of(names, &r.target_id),
        reporter: name_of(names, &r.reporter_id),
        reason: r.reason.clone(),
        created_at: r.created_at,
        resolved_at: r.resolved_at,
        resolved_by: r.resolved_by.as_deref().map(|id| name_of(names, id)),
        resolution: r.resolution.clone(),
    }
}

fn may_configure(actor: &Actor) -> AppResult<()> {
    if actor.can_administer() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "the blocklist is set with the website's secret key (or by a consultant with the \
             admin permission)",
        ))
    }
}

/// `GET /v1/admin/blocklist`.
pub async fn blocklist(state: &AppState, actor: &Actor) -> AppResult<Blocklist> {
    may_configure(actor)?;
    Ok(match state.store.blocklist(&actor.website().id).await? {
        Some((words, mode)) => Blocklist {
            words,
            mode: mode_of(&mode),
        },
        None => Blocklist::default(),
    })
}

fn mode_of(s: &str) -> BlocklistMode {
    if s == "mask" {
        BlocklistMode::Mask
    } else {
        BlocklistMode::Reject
    }
}

/// `PUT /v1/admin/blocklist`: replaces the website's list; the other nodes drop their cached copy when the bus tells them (milliseconds).
pub async fn set_blocklist(
    state: &AppState,
    actor: &Actor,
    req: Blocklist,
) -> AppResult<Blocklist> {
    may_configure(actor)?;
    let words = blocklist::check_words(&req.words).map_err(AppError::invalid)?;
    let mode = match req.mode {
        BlocklistMode::Reject => "reject",
        BlocklistMode::Mask => "mask",
    };
    let site = &actor.website().id;
    state
        .store
        .set_blocklist(site, &words, mode, now_ms())
        .await?;
    state.hub.publish(Event::Blocklist {
        website_id: site.clone(),
    });
    Ok(Blocklist {
        words,
        mode: req.mode,
    })
}

/// A visitor's or app user's text through the website's blocklist: refused
/// (`invalid_argument`, naming the word) or with the words masked. Staff and the secret key
/// pass as they are. Read from the node's cache (loaded once per website).
pub async fn filter_text(state: &AppState, actor: &Actor, text: String) -> AppResult<String> {
    if actor.is_staff() || text.is_empty() {
        return Ok(text);
    }
    let site = &actor.website().id;
    let cache = &state.hub.blocklists;
    let filter = match cache.get(site) {
        Some(f) => f,
        None => {
            let generation = cache.generation();
            let f = state
                .store
                .blocklist(site)
                .await?
                .map(|(words, mode)| Arc::new(blocklist::Filter::new(&words, mode_of(&mode))));
            cache.put(generation, site, f.clone());
            f
        }
    };
    match filter.map(|f| f.apply(&text)) {
        None => Ok(text),
        Some(blocklist::Verdict::Pass(t)) => Ok(t),
        Some(blocklist::Verdict::Reject(w)) => Err(AppError::invalid(format!(
            "the message contains a blocked word ({w:?}): nothing was stored"
        ))),
    }
}
