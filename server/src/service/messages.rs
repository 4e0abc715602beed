//! Sending, editing and deleting messages; history by page and by cursor; seen marks;
//! typing.

use chatix_protocol::error::SLOW_MODE_REFUSAL;
use chatix_protocol::limits::{
    DEFAULT_CURSOR_COUNT, MAX_CLIENT_ID_CHARS, MAX_DRAFT_CHARS, MAX_PINS_PER_CHAT, MAX_QUOTE_CHARS,
    MAX_REACTIONS_PER_MESSAGE, MESSAGES_PER_PAGE,
};
use chatix_protocol::rest::{
    EditMessageRequest, MessagesCursorPage, MessagesPage, PinnedMessages, SeenResponse,
    SendMessageRequest,
};
use chatix_protocol::{metadata, ChatKind, ErrorCode, Message, MessageKind, Role, ServerFrame};
use std::sync::Arc;

use super::access::{self, ChatAccess};
use super::{chats, views};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::hub::{frame, Change, Event, Reactor};
use crate::state::AppState;
use crate::store::batch::PendingWrite;
use crate::store::{fill_own_reactions, Inserted, NewMessage, Reacted, ReactionChange, Stream};
use crate::util::{cursor_count, now_ms, page_offset, total_pages};

fn acting_user<'a>(actor: &'a Actor, what: &str) -> AppResult<&'a crate::auth::Session> {
    actor.session().ok_or_else(|| {
        AppError::forbidden(format!(
            "{what} needs a user token: the secret key has no user to act as"
        ))
    })
}

/// Loads a chat the caller may write to, joining it first where they may join on their
/// own (public chatrooms; staff: any chatroom). Staff write to conversations without
/// joining them first; their first message makes them a member.
pub async fn writable(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<ChatAccess> {
    let a = access::chat_for_send(state, actor, chat_id).await?;
    refuse_muted(actor, &a)?;
    if a.member.is_some() {
        return Ok(a);
    }
    if a.chat.kind == ChatKind::Conversation && actor.is_staff() {
        return Ok(a);
    }
    chats::join_access(state, actor, a).await
}

/// A live message of chat `chat_id` (already access-checked) that the caller may see: a
/// whisper only for staff. Anything else is `not_found`, as a message that does not exist.
pub async fn visible_message(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
) -> AppResult<Message> {
    state
        .store
        .message(chat_id, message_id)
        .await?
        .filter(|m| !m.deleted && (!m.whisper || actor.is_staff()))
        .ok_or_else(|| AppError::not_found(format!("no message {message_id:?} in this chat")))
}

/// A muted user reads but does not send, react or edit (staff are never muted).
fn refuse_muted(actor: &Actor, a: &ChatAccess) -> AppResult<()> {
    match a.muted() {
        Some(t) if !actor.is_staff() => Err(AppError::forbidden(format!(
            "you are muted in this chat {} ({}): nothing was stored",
            access::until_text(t),
            t.reason
        ))),
        _ => Ok(()),
    }
}

fn check_body(state: &AppState, text: &str) -> AppResult<()> {
    let n = text.chars().count();
    if n > state.config.max_message_chars {
        return Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "the text is {n} characters; at most {} are allowed",
                state.config.max_message_chars
            ),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(AppError::invalid(
            "the text must not contain control characters",
        ));
    }
    Ok(())
}

/// `sendMessage`: stores a message (or returns the one already stored under the same
/// client id) and publishes it. Returns the message and whether it was a duplicate.
pub async fn send(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    req: SendMessageRequest,
) -> AppResult<(Message, bool)> {
    start_send(state, actor, chat_id, req)
        .await?
        .finish(state)
        .await
}

/// A send that passed every check and was queued for storage; [`SendTicket::finish`] waits
/// for the commit and publishes it.
pub struct SendTicket {
    pending: PendingWrite,
    chat_id: String,
    user_id: String,
    /// A consultant answering a conversation they are not a member of yet.
    joins: bool,
    /// The website, and the users the message mentions (told once it is stored).
    website_id: String,
    mentioned: Vec<String>,
}

impl SendTicket {
    /// Waits until the message is stored, publishes it, and returns it with whether it was
    /// a duplicate.
    pub async fn finish(self, state: &AppState) -> AppResult<(Message, bool)> {
        let inserted = self.pending.wait().await?;
        let duplicate = matches!(inserted, Inserted::Duplicate(_));
        let message = match inserted {
            Inserted::New(m) => {
                publish_message(state, &m, Change::New);
                if !self.mentioned.is_empty() {
                    super::mentions::notify(state, &self.website_id, &m, &self.mentioned).await;
                }
                if let Some(parent) = &m.parent_id {
                    thread_changed(state, &m.chat_id, parent).await;
                }
                if self.joins {
                    // A consultant answering a conversation becomes one of its members.
                    state
                        .store
                        .add_members(&self.chat_id, std::slice::from_ref(&self.user_id), now_ms())
                        .await?;
                    chats::access_changed(state, &self.chat_id, &[self.user_id]);
                }
                m
            }
            Inserted::Duplicate(m) => m,
        };
        Ok((message, duplicate))
    }
}

/// Sends refused because the fan-out ran late, since start (for the log).
static LAG_REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Refuses a send early when this node cannot deliver in time what it already accepted.
fn check_capacity(state: &AppState) -> AppResult<()> {
    if state.hub.lag.overloaded() {
        let max = state.config.max_fanout_lag_ms;
        // Logged like the writer's refusals (at powers of two), so a log tells the two
        // sheds apart.
        let n = LAG_REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(
                refused = n,
                lag_ms = state.hub.lag.lag().as_secs_f64() * 1000.0,
                "fan-out running late; refusing sends"
            );
        }
        return Err(AppError::new(
            ErrorCode::RateLimited,
            format!(
                "the server is busy delivering messages (running over {max} ms late); \
                 not stored: retry in 1 s with the same clientId"
            ),
        ));
    }
    Ok(())
}

/// The checks of [`send`], then the message is queued for storage (or refused at once,
/// `rate_limited`, when the writer or the fan-out is over capacity: nothing is stored).
/// Sends queued one after another to the same chat are stored in that order.
pub async fn start_send(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    req: SendMessageRequest,
) -> AppResult<SendTicket> {
    let s = acting_user(actor, "sending")?;
    let text = req.text.unwrap_or_default();
    check_body(state, &text)?;
    let text = super::moderation::filter_text(state, actor, text).await?;
    if text.trim().is_empty() && req.file_id.is_none() {
        return Err(AppError::invalid("a message needs text or a fileId"));
    }
    if let Some(cid) = &req.client_id {
        let n = cid.chars().count();
        if n == 0 || n > MAX_CLIENT_ID_CHARS {
            return Err(AppError::invalid(format!(
                "clientId must be 1 to {MAX_CLIENT_ID_CHARS} characters"
            )));
        }
        // PostgreSQL cannot store a NUL: one in a client id would fail the whole batch's
        // transaction, and with it other senders' messages.
        if cid.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "clientId must not contain control characters",
            ));
        }
    }
    let meta = req.metadata.unwrap_or_default();
    metadata::validate(&meta).map_err(AppError::invalid)?;
    if req.whisper && !actor.is_staff() {
        return Err(AppError::forbidden("only consultants can whisper"));
    }
    let a = writable(state, actor, chat_id).await?;
    if a.chat.slow_mode > 0 && !actor.is_staff() {
        let ok = state
            .slow_mode
            .allow(&a.chat.id, s.user_id(), a.chat.slow_mode, now_ms());
        if let Err(left) = ok {
            return Err(AppError::new(
                ErrorCode::RateLimited,
                format!(
                    "{SLOW_MODE_REFUSAL} one message every {} s in this chatroom; wait \
                     {left} s (nothing was stored)",
                    a.chat.slow_mode
                ),
            )
            .retry_after(left.clamp(1, i64::from(u32::MAX)) as u32));
        }
    }
    if req.whisper && a.chat.kind == ChatKind::Direct {
        return Err(AppError::invalid(
            "whispers go to chatrooms and conversations, not direct chats",
        ));
    }
    let kind = match &req.file_id {
        Some(fid) => {
            let f = state
                .store
                .file(fid)
                .await?
                .filter(|f| f.website_id == s.website.id && f.uploader_id == s.user_id())
                .ok_or_else(|| AppError::not_found(format!("no file {fid:?} uploaded by you")))?;
            f.kind
        }
        None => MessageKind::Text,
    };
    let quote = match &req.reply_to {
        Some(r) => {
            let target = visible_message(state, actor, &a.chat.id, r)
                .await
                .map_err(|e| AppError::not_found(format!("replyTo: {}", e.0.message)))?;
            // a quote shows the quoted text to whoever reads the reply
            if target.whisper && !req.whisper {
                return Err(AppError::invalid(
                    "a reply to a whisper must be a whisper too (its quote would show the \
                     whisper to visitors)",
                ));
            }
            let shown = if target.text.is_empty() {
                target
                    .file
                    .as_ref()
                    .map(|f| f.name.clone())
                    .unwrap_or_default()
            } else {
                target.text.clone()
            };
            Some(chatix_protocol::Quote {
                sender_id: target.sender_id,
                sender_name: target.sender_name,
                text: shown.chars().take(MAX_QUOTE_CHARS).collect(),
            })
        }
        None => None,
    };
    check_thread(
        state,
        actor,
        &a.chat.id,
        req.parent_id.as_deref(),
        req.show_in_chat,
        req.whisper,
    )
    .await?;
    let mentions =
        super::mentions::resolve(state, actor, &a.chat, &text, req.mentions, req.whisper).await?;
    let mentioned = mentions.iter().map(|(id, _)| id.clone()).collect();
    let new = NewMessage {
        chat_id: a.chat.id.clone(),
        sender_id: s.user_id().to_owned(),
        sender_role: s.role(),
        sender_name: s.user.user.name.clone(),
        kind,
        text,
        file_id: req.file_id,
        metadata: meta,
        whisper: req.whisper,
        client_id: req.client_id,
        reply_to: req.reply_to,
        quote,
        parent_id: req.parent_id,
        show_in_chat: req.show_in_chat,
        mentions,
        created_at: now_ms(),
    };
    check_capacity(state)?;
    let pending = state.writer.enqueue(new)?;
    Ok(SendTicket {
        pending,
        joins: a.member.is_none()
            && a.chat.kind == ChatKind::Conversation
            && s.role() == Role::Consultant,
        chat_id: a.chat.id,
        user_id: s.user_id().to_owned(),
        website_id: s.website.id.clone(),
        mentioned,
    })
}

/// A thread reply's checks: its parent is a message of the chat the caller may see, not
/// itself a thread reply, and as visible as the reply (a thread is as visible as its
/// parent, so its reply count and last reply time never tell a visitor of a whisper).
async fn check_thread(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    parent_id: Option<&str>,
    show_in_chat: bool,
    whisper: bool,
) -> AppResult<()> {
    let Some(pid) = parent_id else {
        if show_in_chat {
            return Err(AppError::invalid(
                "showInChat goes with parentId: only a thread reply can also be shown in the chat",
            ));
        }
        return Ok(());
    };
    let parent = visible_message(state, actor, chat_id, pid)
        .await
        .map_err(|e| AppError::not_found(format!("parentId: {}", e.0.message)))?;
    if let Some(root) = &parent.parent_id {
        return Err(AppError::invalid(format!(
            "threads are one level deep: {pid:?} is itself a reply in the thread of {root:?}; \
             reply there"
        )));
    }
    if parent.whisper && !whisper {
        return Err(AppError::invalid(
            "a reply in a whisper's thread must be a whisper too (the thread is for staff only)",
        ));
    }
    if !parent.whisper && whisper {
        return Err(AppError::invalid(
            "a whisper cannot go in the thread of a message visitors see (its reply count \
             would tell them); whisper in the chat instead",
        ));
    }
    Ok(())
}

/// After a message was deleted, its text leaves the quotes of the replies to it: each
/// keeps the sender and gets an empty `text` (a live quote never has one: a message
/// without text quotes its file's name), as an edit. A failure is logged: the deletion
/// stands, and the quote keeps its snapshot.
async fn blank_quotes(state: &AppState, chat_id: &str, quoted: &str) {
    let ids = match state.store.replies_to(chat_id, quoted).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(chat_id, quoted, error = %e.0.message, "replies of a deleted message");
            return;
        }
    };
    for id in ids {
        let quote = match state.store.message(chat_id, &id).await {
            Ok(Some(Message { quote: Some(q), .. })) if !q.text.is_empty() => q,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(chat_id, id, error = %e.0.message, "reply of a deleted message");
                continue;
            }
        };
        let blank = chatix_protocol::Quote {
            text: String::new(),
            ..quote
        };
        match state.store.set_quote(chat_id, &id, &blank).await {
            Ok(Some(r)) => publish_message(state, &r, Change::Updated),
            Ok(None) => {}
            Err(e) => tracing::warn!(chat_id, id, error = %e.0.message, "quote not blanked"),
        }
    }
}

/// Recounts a thread parent's replies after one was added or deleted, and publishes the
/// parent (its new `replyCount` and `lastReplyAt`) as an edit. The reply is stored either
/// way: a failure here is logged, and the next reply or deletion in the thread recounts.
async fn thread_changed(state: &AppState, chat_id: &str, parent: &str) {
    match state.store.refresh_thread(chat_id, parent).await {
        Ok(Some(p)) => publish_message(state, &p, Change::Updated),
        Ok(None) => {} // the parent was deleted: its tombstone keeps the last count
        Err(e) => tracing::warn!(chat_id, parent, error = %e.0.message, "thread recount failed"),
    }
}

fn publish_message(state: &AppState, m: &Message, change: Change) {
    let mut m = m.clone();
    // Frames carry a receiver's own reactions only where they changed (see `react`).
    m.own_reactions = None;
    state.hub.publish(Event::Message {
        chat_id: m.chat_id.clone(),
        rev: m.rev,
        change,
        message: Some(Arc::new(m)),
        reactor: None,
    });
}

/// Fills the caller's own reactions into the messages of a REST answer (the secret key
/// has none).
pub async fn with_own_reactions(
    state: &AppState,
    actor: &Actor,
    messages: &mut [Message],
) -> AppResult<()> {
    match actor.user_id() {
        Some(u) => fill_own_reactions(&*state.store, u, messages, true).await,
        None => {
            for m in messages {
                m.own_reactions = Some(Vec::new());
            }
            Ok(())
        }
    }
}

/// `addReaction` (`add`) / `removeReaction`: the caller's reaction to a message they may
/// see. Adding needs what sending needs (a public chatroom is joined first); removing,
/// what reading needs. Adding a reaction twice, or removing one never given, changes
/// nothing and publishes nothing. Answers the message with its counts and the caller's own
/// reactions.
pub async fn react(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
    reaction: &str,
    add: bool,
) -> AppResult<Message> {
    let s = acting_user(actor, "reacting to a message")?;
    chatix_protocol::limits::check_reaction(reaction).map_err(AppError::invalid)?;
    let a = if add {
        writable(state, actor, chat_id).await?
    } else {
        access::chat_for(state, actor, chat_id).await?
    };
    let missing = || AppError::not_found(format!("no message {message_id:?} in this chat"));
    visible_message(state, actor, &a.chat.id, message_id).await?;
    let change = ReactionChange {
        chat: &a.chat.id,
        message: message_id,
        user: s.user_id(),
        reaction,
        add,
        max_distinct: MAX_REACTIONS_PER_MESSAGE,
        now: now_ms(),
    };
    match state.store.react(change).await? {
        Reacted::Missing => Err(missing()),
        Reacted::TooMany => Err(AppError::new(
            ErrorCode::Conflict,
            format!(
                "the message has {MAX_REACTIONS_PER_MESSAGE} different reactions already; \
                 add one of those"
            ),
        )),
        Reacted::Unchanged(m) => Ok(m),
        Reacted::Changed(m) => {
            state.hub.publish(Event::Message {
                chat_id: m.chat_id.clone(),
                rev: m.rev,
                change: if add {
                    Change::ReactionAdded
                } else {
                    Change::ReactionRemoved
                },
                message: Some(Arc::new(m.clone())),
                reactor: Some(Arc::new(Reactor {
                    user_id: s.user_id().to_owned(),
                    reaction: reaction.to_owned(),
                })),
            });
            Ok(m)
        }
    }
}

async fn own_message(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
    may_moderate: bool,
) -> AppResult<(ChatAccess, Message)> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let m = visible_message(state, actor, &a.chat.id, message_id).await?;
    let own = actor.user_id() == Some(m.sender_id.as_str());
    let moderator = may_moderate && actor.is_staff() && a.chat.kind != ChatKind::Direct;
    if !own && !moderator && !actor.is_admin() {
        return Err(AppError::forbidden(if may_moderate {
            "only the sender or a consultant may delete this message"
        } else {
            "only the sender may edit a message"
        }));
    }
    Ok((a, m))
}

/// `updateMessage`: the sender edits text and/or metadata.
pub async fn edit(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
    req: EditMessageRequest,
) -> AppResult<Message> {
    if req.text.is_none() && req.metadata.is_none() {
        return Err(AppError::invalid("give text and/or metadata to change"));
    }
    if let Some(t) = &req.text {
        check_body(state, t)?;
    }
    let text = match req.text {
        Some(t) => Some(super::moderation::filter_text(state, actor, t).await?),
        None => None,
    };
    if let Some(m) = &req.metadata {
        metadata::validate(m).map_err(AppError::invalid)?;
    }
    let (a, m) = own_message(state, actor, chat_id, message_id, false).await?;
    refuse_muted(actor, &a)?;
    if text.as_deref().is_some_and(|t| t.trim().is_empty()) && m.file.is_none() {
        return Err(AppError::invalid(
            "a text message cannot be edited to empty text; delete it instead",
        ));
    }
    let edited = state
        .store
        .edit_message(&a.chat.id, &m.id, text, req.metadata, now_ms())
        .await?
        .ok_or_else(|| AppError::not_found("the message was deleted meanwhile"))?;
    publish_message(state, &edited, Change::Updated);
    let mut edited = [edited];
    with_own_reactions(state, actor, &mut edited).await?;
    let [edited] = edited;
    Ok(edited)
}

/// `pinMessage` (`pin`) / `unpinMessage`: staff in chatrooms and conversations, a
/// chatroom's owner (who created it) in theirs, and either member of a direct chat.
/// Pinning a pinned message (or unpinning one that is not) changes nothing. At most
/// [`MAX_PINS_PER_CHAT`] pins per chat.
pub async fn pin(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
    pin: bool,
) -> AppResult<Message> {
    let s = acting_user(actor, "pinning a message")?;
    let a = access::chat_for(state, actor, chat_id).await?;
    let may = match a.chat.kind {
        ChatKind::Direct => a.member.is_some(),
        ChatKind::Group => actor.is_staff() || a.chat.created_by.as_deref() == Some(s.user_id()),
        ChatKind::Conversation => actor.is_staff(),
    };
    let m = visible_message(state, actor, &a.chat.id, message_id).await?;
    if !may {
        return Err(AppError::forbidden(
            "only consultants and the chatroom's owner may pin (in a direct chat, its members)",
        ));
    }
    if m.pinned.is_some() == pin {
        let mut m = [m];
        with_own_reactions(state, actor, &mut m).await?;
        let [m] = m;
        return Ok(m);
    }
    if pin {
        let n = state
            .store
            .pinned_messages(
                &a.chat.id,
                views::audience(actor),
                MAX_PINS_PER_CHAT as i64 + 1,
            )
            .await?
            .len();
        if n >= MAX_PINS_PER_CHAT {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "the chat has {MAX_PINS_PER_CHAT} pinned messages already; unpin one first"
                ),
            ));
        }
    }
    let p = pin.then(|| chatix_protocol::Pin {
        by: s.user_id().to_owned(),
        at: now_ms(),
    });
    let changed = state
        .store
        .set_pinned(&a.chat.id, &m.id, p)
        .await?
        .ok_or_else(|| AppError::not_found("the message was deleted meanwhile"))?;
    publish_message(
        state,
        &changed,
        if pin {
            Change::Pinned
        } else {
            Change::Unpinned
        },
    );
    let mut changed = [changed];
    with_own_reactions(state, actor, &mut changed).await?;
    let [changed] = changed;
    Ok(changed)
}

/// `getPinnedMessages()`: the pinned messages the caller may see, newest pin first.
pub async fn pinned(state: &AppState, actor: &Actor, chat_id: &str) -> AppResult<PinnedMessages> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let mut messages = state
        .store
        .pinned_messages(&a.chat.id, views::audience(actor), MAX_PINS_PER_CHAT as i64)
        .await?;
    with_own_reactions(state, actor, &mut messages).await?;
    Ok(PinnedMessages { messages })
}

/// `deleteMessage`: the sender, or staff in chatrooms and conversations. Leaves a
/// tombstone that is delivered as `messageDeleted`.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: &str,
) -> AppResult<Message> {
    let (a, m) = own_message(state, actor, chat_id, message_id, true).await?;
    let tomb = state
        .store
        .delete_message(&a.chat.id, &m.id, now_ms())
        .await?
        .ok_or_else(|| AppError::not_found("the message was deleted meanwhile"))?;
    publish_message(state, &tomb, Change::Deleted);
    if let Some(parent) = &tomb.parent_id {
        thread_changed(state, &a.chat.id, parent).await;
    }
    if !m.mentions.is_empty() {
        super::mentions::unmentioned(state, &a.chat.website_id, &tomb, &m.mentions).await;
    }
    blank_quotes(state, &a.chat.id, &m.id).await;
    Ok(Message {
        own_reactions: Some(Vec::new()),
        ..tomb
    })
}

/// `getMessages(page)`: 25 per page, page 1 the newest.
pub async fn page(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    page: Option<u32>,
) -> AppResult<MessagesPage> {
    let a = access::chat_for(state, actor, chat_id).await?;
    let page = page.unwrap_or(1);
    let offset = page_offset(page, MESSAGES_PER_PAGE)?;
    let (mut messages, total) = state
        .store
        .messages_page(
            &a.chat.id,
            views::audience(actor),
            offset,
            MESSAGES_PER_PAGE as i64,
        )
        .await?;
    with_own_reactions(state, actor, &mut messages).await?;
    Ok(MessagesPage {
        messages,
        page,
        total_messages: total,
        total_pages: total_pages(total, MESSAGES_PER_PAGE),
    })
}

/// `getChatroomMessages(id, lastMessageId, count)`: `count` messages before a message, of
/// the chat's own stream or (`thread`) of a message's thread (`getThread`). A deleted
/// parent's thread stays readable.
pub async fn before(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    stream: Stream<'_>,
    last_message_id: Option<&str>,
    count: Option<u32>,
) -> AppResult<MessagesCursorPage> {
    let count = cursor_count(count, DEFAULT_CURSOR_COUNT)?;
    let a = access::chat_for(state, actor, chat_id).await?;
    let aud = views::audience(actor);
    if let Stream::Thread(pid) = stream {
        state
            .store
            .message(&a.chat.id, pid)
            .await?
            .filter(|m| (!m.whisper || aud.whispers) && m.parent_id.is_none())
            .ok_or_else(|| AppError::not_found(format!("no thread parent {pid:?} in this chat")))?;
    }
    let before_seq = match last_message_id {
        Some(id) => {
            let m = state
                .store
                .message(&a.chat.id, id)
                .await?
                .filter(|m| !m.whisper || aud.whispers)
                .ok_or_else(|| {
                    AppError::not_found(format!("lastMessageId: no message {id:?} in this chat"))
                })?;
            Some(m.seq)
        }
        None => None,
    };
    let mut messages = state
        .store
        .messages_before(&a.chat.id, aud, stream, before_seq, count as i64 + 1)
        .await?;
    let has_more = messages.len() > count as usize;
    if has_more {
        messages.remove(0);
    }
    with_own_reactions(state, actor, &mut messages).await?;
    Ok(MessagesCursorPage { messages, has_more })
}

/// `getMentions`: the caller's live mentions in a chat they may see, before a cursor.
pub async fn mentions(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    last_message_id: Option<&str>,
    count: Option<u32>,
) -> AppResult<MessagesCursorPage> {
    let s = acting_user(actor, "listing your mentions")?;
    let me = Stream::MentionsOf(s.user_id());
    before(state, actor, chat_id, me, last_message_id, count).await
}

/// `setSeen(messageId?)`: raises the caller's seen mark and tells the chat.
pub async fn seen(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    message_id: Option<&str>,
) -> AppResult<SeenResponse> {
    let s = acting_user(actor, "marking seen")?;
    let a = access::chat_for(state, actor, chat_id).await?;
    if a.member.is_none() {
        return Err(AppError::forbidden(
            "only members have a seen mark in a chat",
        ));
    }
    let aud = views::audience(actor);
    let seq = match message_id {
        Some(id) => {
            state
                .store
                .message(&a.chat.id, id)
                .await?
                .filter(|m| !m.whisper || aud.whispers)
                .ok_or_else(|| AppError::not_found(format!("no message {id:?} in this chat")))?
                .seq
        }
        None => state.store.last_rev(&a.chat.id, aud, i64::MAX).await?,
    };
    let mark = state.store.mark_seen(&a.chat.id, s.user_id(), seq).await?;
    let unread = state
        .store
        .unread_count(&a.chat.id, s.user_id(), mark, aud)
        .await?;
    state.hub.publish(Event::Chat {
        chat_id: a.chat.id.clone(),
        all: frame(&ServerFrame::Seen {
            chat_id: a.chat.id.clone(),
            user_id: s.user_id().to_owned(),
            seq: mark,
            message_id: message_id.map(str::to_owned),
        }),
        staff: None,
        staff_only: false,
    });
    let mention_count = state
        .store
        .mention_count(&a.chat.id, s.user_id(), mark)
        .await?;
    Ok(SeenResponse {
        last_seen_seq: mark,
        unread,
        mention_count,
    })
}

/// `startTyping` / `stopTyping` / `visitorType(draft)`. A visitor's draft reaches staff only.
pub async fn typing(
    state: &AppState,
    actor: &Actor,
    chat_id: &str,
    typing: bool,
    draft: Option<String>,
) -> AppResult<()> {
    let s = acting_user(actor, "typing")?;
    if let Some(d) = &draft {
        if d.chars().count() > MAX_DRAFT_CHARS {
            return Err(AppError::new(
                ErrorCode::PayloadTooLarge,
                format!("draft is longer than {MAX_DRAFT_CHARS} characters"),
            ));
        }
    }
    let a = access::chat_for(state, actor, chat_id).await?;
    if a.member.is_none() && !actor.is_staff() {
        return Err(AppError::forbidden("only members may type in a chat"));
    }
    let draft = if s.role() == Role::Visitor {
        draft
    } else {
        None
    };
    let base = |draft: Option<String>| {
        frame(&ServerFrame::Typing {
            chat_id: a.chat.id.clone(),
            user_id: s.user_id().to_owned(),
            typing,
            draft,
        })
    };
    let staff = draft.is_some().then(|| base(draft.clone()));
    state.hub.publish(Event::Chat {
        chat_id: a.chat.id.clone(),
        all: base(None),
        staff,
        staff_only: false,
    });
    Ok(())
}
