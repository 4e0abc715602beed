//! [`SqlStore`]: the [`Store`] on SQLite (embedded default) or PostgreSQL, through sqlx's
//! `Any` driver.
//!
//! Every query is written once, in SQL both engines accept (`$n` parameters, `ON CONFLICT`,
//! `RETURNING`, 0/1 booleans, BIGINT times). The differences are confined to
//! [`SqlStore::connect`] (SQLite gets WAL mode, full synchronous commits and a single writer
//! connection, since SQLite has one writer anyway and one connection avoids `SQLITE_BUSY`
//! between our own writers; PostgreSQL one pool for reads and writes), the `LIKE` escape of
//! search, and the batch statements' placeholders (anonymous `?` on SQLite, see [`Params`]).
//!
//! Sequence numbers come from `UPDATE chats SET last_seq = last_seq + k … RETURNING
//! last_seq` (k: that chat's messages in the batch) inside the transaction that stores
//! the messages: the row lock serialises writers of one chat on any number of nodes, and a
//! sequence number is visible only with its message.

use async_trait::async_trait;
use chatix_protocol::{
    ChatKind, ErrorCode, FileInfo, Message, MessageKind, Metadata, Pin, Presence, Reactions, Role,
    User, Visibility,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::Connection as _;
use sqlx::{AnyPool, Row};
use std::collections::HashMap;
use std::time::Duration;

use super::*;
use crate::error::{AppError, AppResult};
use crate::util::new_id;

/// Which engine a [`SqlStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The SQL store. Cheap to clone (pools are shared).
#[derive(Clone)]
pub struct SqlStore {
    /// Reads (several connections; SQLite's WAL lets them run beside the writer). A read
    /// that follows a committed write sees it (each statement starts a fresh WAL snapshot),
    /// so reads never queue behind the writer's open batch transaction.
    read: AnyPool,
    /// Writes (one connection on SQLite, the same pool as `read` on PostgreSQL).
    write: AnyPool,
    /// Engine in use.
    engine: Engine,
}

/// Rows per multi-row statement. Binding is linear now that the batch statements use
/// anonymous placeholders on SQLite (see [`Params`]: with `$n` names, sqlx-sqlite's lookup
/// of each name made binding grow with the square of a statement's parameters, which had
/// kept this at 16), so a batch of up to 1,024 goes as a few statements: fewer round trips to
/// the connection's worker thread (256 measured no better than 64 on the durable-writes
/// bench).
const ROWS_PER_STATEMENT: usize = 64;

const USER_COLS: &str = "id, website_id, username, name, avatar, email, metadata, role, \
    password_hash, visitor_secret_hash, can_admin, last_active, created_at, updated_at";
const CHAT_COLS: &str = "c.id, c.website_id, c.kind, c.name, c.avatar, c.metadata, c.visibility, \
    c.last_seq, c.last_activity_at, c.created_by, c.created_at, c.updated_at, c.deleted_at, \
    c.slow_mode";
const MSG_SELECT: &str = "SELECT m.id, m.chat_id, m.seq, m.rev, m.kind, m.text, m.file_id, \
    m.metadata, m.whisper, m.sender_id, m.sender_role, m.sender_name, m.client_id, m.reply_to, \
    m.quote, m.parent_id, m.show_in_chat, m.reply_count, m.last_reply_at, m.mentions, m.created_at, m.edited_at, m.deleted_at, m.reactions, m.pinned_at, m.pinned_by, f.name AS f_name, f.mime AS f_mime, \
    f.size AS f_size, f.kind AS f_kind, f.has_thumbnail AS f_thumb \
    FROM messages m LEFT JOIN files f ON f.id = m.file_id";

/// `s` as a LIKE pattern matching itself (`%`, `_` and the escape `\` escaped).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The messages of a chat's own stream: all but the thread replies not also shown in it.
const IN_CHAT: &str = " AND (m.parent_id IS NULL OR m.show_in_chat = 1)";

fn whisper_filter(aud: Audience) -> &'static str {
    if aud.whispers {
        ""
    } else {
        " AND m.whisper = 0"
    }
}

impl SqlStore {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs migrations.
    pub async fn connect(url: &str) -> anyhow::Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|c, _| Box::pin(sqlite_pragmas(c)))
                .connect(url)
                .await?;
            let read = AnyPoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .after_connect(|c, _| Box::pin(sqlite_pragmas(c)))
                .connect(url)
                .await?;
            SqlStore {
                read,
                write,
                engine: Engine::Sqlite,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No ping before every query (sqlx's default): on SQLite each is a round trip to
            // the connection's worker thread, on PostgreSQL one over the network; a broken
            // connection still fails its query and is replaced.
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            SqlStore {
                read: pool.clone(),
                write: pool,
                engine: Engine::Postgres,
            }
        } else {
            anyhow::bail!("unsupported database URL {url:?}: use sqlite://… or postgres://…");
        };
        sqlx::migrate!("./migrations").run(&store.write).await?;
        Ok(store)
    }

    /// The engine.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Closes both pools (waits for in-flight queries).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Stores a batch in one transaction with a handful of statements whatever its size:
    /// with `lookup`, one lookup of the client ids already stored; one `UPDATE … RETURNING`
    /// that advances every chat's counter by its number of messages, multi-row `INSERT`s.
    /// Per chat the messages get consecutive sequence numbers in batch order; a client id
    /// seen before (stored, or earlier in this batch) answers with that message instead.
    /// Without `lookup` a client id stored before fails the transaction with a unique
    /// violation (the index `messages_by_client_id`) and nothing is stored.
    async fn insert_batch_tx(
        &self,
        batch: &[NewMessage],
        lookup: bool,
    ) -> Result<Vec<AppResult<Inserted>>, sqlx::Error> {
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        let n = batch.len();
        let mut out: Vec<Option<AppResult<Inserted>>> = (0..n).map(|_| None).collect();
        // 1. Client ids: stored already, or repeated within the batch.
        let key = |m: &NewMessage| {
            m.client_id
                .as_ref()
                .map(|c| (m.chat_id.clone(), m.sender_id.clone(), c.clone()))
        };
        let keyed: Vec<usize> = if lookup {
            (0..n).filter(|&i| batch[i].client_id.is_some()).collect()
        } else {
            Vec::new()
        };
        let mut stored: HashMap<(String, String, String), Message> = HashMap::new();
        let mut found = Vec::new();
        match self.engine {
            // One statement for the whole batch: the client ids and the senders as two JSON
            // arrays, searched in the index `messages_by_client_id (client_id, chat_id,
            // sender_id)`; a row whose triple is not one of the batch's is ignored below.
            // Not kept prepared: PostgreSQL would keep the plan it made while the table
            // was small (a fresh database has no statistics yet), a sequential scan of
            // `messages`, as the table grows (measured: 21 million rows read in 15 s of
            // the writes bench, which fell from 8,200 to 4,000 msg/s). Planned on each use,
            // it reads the index.
            Engine::Postgres if !keyed.is_empty() => {
                let mut ids: Vec<&str> = Vec::with_capacity(keyed.len());
                let mut senders: Vec<&str> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for &i in &keyed {
                    if let Some(c) = &batch[i].client_id {
                        ids.push(c);
                    }
                    if seen.insert(batch[i].sender_id.as_str()) {
                        senders.push(&batch[i].sender_id);
                    }
                }
                let q = format!(
                    "{MSG_SELECT} WHERE m.client_id = ANY(ARRAY(SELECT json_array_elements_text($1::json))) \
                     AND m.sender_id = ANY(ARRAY(SELECT json_array_elements_text($2::json)))"
                );
                let to_json = |v: &[&str]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
                found = sqlx::query(&q)
                    .persistent(false)
                    .bind(to_json(&ids))
                    .bind(to_json(&senders))
                    .fetch_all(&mut *tx)
                    .await?;
            }
            Engine::Postgres => {}
            // SQLite: a join with `VALUES` (not `(…) IN (VALUES …)`, which cannot use the
            // partial index), one index search per triple.
            Engine::Sqlite => {
                for chunk in keyed.chunks(ROWS_PER_STATEMENT) {
                    let mut ph = self.params();
                    let tuples: Vec<String> = (0..chunk.len())
                        .map(|_| format!("({}, {}, {})", ph.next(), ph.next(), ph.next()))
                        .collect();
                    let q = format!(
                        "{MSG_SELECT} JOIN (VALUES {}) AS v ON m.client_id = v.column1 \
                         AND m.chat_id = v.column2 AND m.sender_id = v.column3",
                        tuples.join(", ")
                    );
                    let mut query = sqlx::query(&q);
                    for &i in chunk {
                        let m = &batch[i];
                        query = query.bind(&m.client_id).bind(&m.chat_id).bind(&m.sender_id);
                    }
                    found.extend(query.fetch_all(&mut *tx).await?);
                }
            }
        }
        for row in &found {
            match message_from_row(row) {
                Ok(m) => {
                    if let Some(c) = m.client_id.clone() {
                        stored.insert((m.chat_id.clone(), m.sender_id.clone(), c), m);
                    }
                }
                Err(e) => return Ok((0..n).map(|_| Err(AppError(e.0.clone(), e.1))).collect()),
            }
        }
        let mut first_of: HashMap<(String, String, String), usize> = HashMap::new();
        let mut dup_of: Vec<Option<usize>> = vec![None; n];
        let mut fresh: Vec<usize> = Vec::with_capacity(n);
        for (i, m) in batch.iter().enumerate() {
            match key(m) {
                Some(k) if stored.contains_key(&k) => {
                    out[i] = stored.get(&k).cloned().map(|m| Ok(Inserted::Duplicate(m)));
                }
                Some(k) => match first_of.get(&k) {
                    Some(&j) => dup_of[i] = Some(j),
                    None => {
                        first_of.insert(k, i);
                        fresh.push(i);
                    }
                },
                None => fresh.push(i),
            }
        }
        // 2. Sequence numbers: every chat's counter advanced by its count, in one statement.
        let mut counts: Vec<(String, i64)> = Vec::new();
        for &i in &fresh {
            let chat = &batch[i].chat_id;
            match counts.iter_mut().find(|(c, _)| c == chat) {
                Some((_, k)) => *k += 1,
                None => counts.push((chat.clone(), 1)),
            }
        }
        let now = fresh
            .iter()
            .map(|&i| batch[i].created_at)
            .max()
            .unwrap_or(0);
        let mut last: HashMap<String, i64> = HashMap::new();
        for chunk in counts.chunks(ROWS_PER_STATEMENT) {
            // Each parameter appears once, in bind order (see `Params`).
            let mut ph = self.params();
            let at = ph.next();
            let values: Vec<String> = (0..chunk.len())
                .map(|_| format!("({}, {})", ph.next(), ph.next()))
                .collect();
            let q = format!(
                "UPDATE chats SET last_seq = last_seq + v.column2, last_activity_at = {at} \
                 FROM (VALUES {}) AS v WHERE chats.id = v.column1 AND chats.deleted_at IS NULL \
                 RETURNING chats.id AS id, chats.last_seq AS last_seq",
                values.join(", ")
            );
            let mut query = sqlx::query(&q).bind(now);
            for (chat, k) in chunk {
                query = query.bind(chat).bind(*k);
            }
            for row in query.fetch_all(&mut *tx).await? {
                last.insert(row.try_get("id")?, row.try_get("last_seq")?);
            }
        }
        // Sequence numbers per message, in batch order within each chat.
        let mut next: HashMap<&str, i64> = HashMap::new();
        for (chat, k) in &counts {
            if let Some(end) = last.get(chat) {
                next.insert(chat.as_str(), end - k + 1);
            }
        }
        let mut rows: Vec<(usize, String, i64)> = Vec::with_capacity(fresh.len());
        for &i in &fresh {
            let m = &batch[i];
            match next.get_mut(m.chat_id.as_str()) {
                Some(seq) => {
                    rows.push((i, new_id("msg"), *seq));
                    *seq += 1;
                }
                None => {
                    let exists: Option<i64> =
                        sqlx::query_scalar("SELECT 1 FROM chats WHERE id = $1")
                            .bind(&m.chat_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    out[i] = Some(Err(match exists {
                        Some(_) => AppError::new(ErrorCode::Gone, "the chat was deleted"),
                        None => AppError::not_found("no such chat"),
                    }));
                }
            }
        }
        // 3. The rows themselves.
        const COLS: usize = 19;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut ph = self.params();
            let values: Vec<String> = (0..chunk.len())
                .map(|_| {
                    let row: Vec<String> = (0..COLS).map(|_| ph.next()).collect();
                    format!("({})", row.join(", "))
                })
                .collect();
            let q = format!(
                "INSERT INTO messages (id, chat_id, seq, rev, kind, text, file_id, metadata, \
                 whisper, sender_id, sender_role, sender_name, client_id, reply_to, quote, \
                 parent_id, show_in_chat, mentions, created_at) \
                 VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&q);
            for (i, id, seq) in chunk {
                let new = &batch[*i];
                query = query
                    .bind(id)
                    .bind(&new.chat_id)
                    .bind(*seq)
                    .bind(*seq)
                    .bind(new.kind.as_str())
                    .bind(&new.text)
                    .bind(&new.file_id)
                    .bind(meta_json(&new.metadata))
                    .bind(new.whisper as i64)
                    .bind(&new.sender_id)
                    .bind(new.sender_role.as_str())
                    .bind(&new.sender_name)
                    .bind(&new.client_id)
                    .bind(&new.reply_to)
                    .bind(
                        new.quote
                            .as_ref()
                            .and_then(|q| serde_json::to_string(q).ok()),
                    )
                    .bind(&new.parent_id)
                    .bind(new.show_in_chat as i64)
                    .bind(mentions_json(&new.mentions))
                    .bind(new.created_at);
            }
            query.execute(&mut *tx).await?;
        }
        // 4. One row per mentioned user (rare: most batches write none).
        let mentioned: Vec<(&str, &str, i64)> = rows
            .iter()
            .flat_map(|(i, _, seq)| {
                let new = &batch[*i];
                new.mentions
                    .iter()
                    .map(move |(uid, _)| (uid.as_str(), new.chat_id.as_str(), *seq))
            })
            .collect();
        for chunk in mentioned.chunks(ROWS_PER_STATEMENT) {
            let mut ph = self.params();
            let values: Vec<String> = (0..chunk.len())
                .map(|_| format!("({}, {}, {})", ph.next(), ph.next(), ph.next()))
                .collect();
            let q = format!(
                "INSERT INTO mentions (user_id, chat_id, seq) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&q);
            for (uid, chat, seq) in chunk {
                query = query.bind(*uid).bind(*chat).bind(*seq);
            }
            query.execute(&mut *tx).await?;
        }
        for (i, id, seq) in rows {
            let new = &batch[i];
            let file = match &new.file_id {
                Some(fid) => {
                    let q = "SELECT id, website_id, uploader_id, name, mime, size, kind, \
                             has_thumbnail, created_at FROM files WHERE id = $1";
                    let row = sqlx::query(q).bind(fid).fetch_optional(&mut *tx).await?;
                    match row.map(|r| file_from_row(&r)).transpose() {
                        Ok(f) => f.map(|f| file_info(&f)),
                        Err(e) => {
                            out[i] = Some(Err(e));
                            continue;
                        }
                    }
                }
                None => None,
            };
            out[i] = Some(Ok(Inserted::New(Message {
                id,
                chat_id: new.chat_id.clone(),
                seq,
                rev: seq,
                kind: new.kind,
                text: new.text.clone(),
                file,
                metadata: new.metadata.clone(),
                whisper: new.whisper,
                sender_id: new.sender_id.clone(),
                sender_role: new.sender_role,
                sender_name: new.sender_name.clone(),
                client_id: new.client_id.clone(),
                reply_to: new.reply_to.clone(),
                quote: new.quote.clone(),
                parent_id: new.parent_id.clone(),
                show_in_chat: new.show_in_chat,
                reply_count: 0,
                last_reply_at: None,
                mentions: new.mentions.iter().map(|(_, u)| u.clone()).collect(),
                created_at: new.created_at,
                edited_at: None,
                deleted: false,
                reactions: Default::default(),
                own_reactions: None,
                pinned: None,
            })));
        }
        // Repeats within the batch answer like their first occurrence.
        for i in 0..n {
            if let Some(j) = dup_of[i] {
                out[i] = Some(match &out[j] {
                    Some(Ok(Inserted::New(m) | Inserted::Duplicate(m))) => {
                        Ok(Inserted::Duplicate(m.clone()))
                    }
                    Some(Err(e)) => Err(AppError(e.0.clone(), e.1)),
                    None => Err(AppError::internal("unanswered message in a batch")),
                });
            }
        }
        tx.commit().await?;
        w.committed();
        Ok(out
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Err(AppError::internal("unanswered message in a batch"))))
            .collect())
    }

    /// Gives a live message the chat's next sequence number as `rev` and applies `change`
    /// (which receives the transaction and that rev), in one transaction. `None` when the
    /// message does not exist or is already deleted.
    async fn bump_message<F>(&self, chat: &str, id: &str, change: F) -> AppResult<Option<Message>>
    where
        F: for<'c> FnOnce(
                &'c mut sqlx::AnyConnection,
                i64,
            )
                -> futures_util::future::BoxFuture<'c, Result<(), sqlx::Error>>
            + Send,
    {
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM messages WHERE chat_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(chat)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_none() {
            return Ok(None);
        }
        let rev: Option<i64> = sqlx::query_scalar(
            "UPDATE chats SET last_seq = last_seq + 1 WHERE id = $1 AND deleted_at IS NULL \
             RETURNING last_seq",
        )
        .bind(chat)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(rev) = rev else {
            return Err(AppError::new(ErrorCode::Gone, "the chat was deleted"));
        };
        change(&mut tx, rev).await?;
        tx.commit().await?;
        w.committed();
        self.message(chat, id).await
    }

    async fn count(&self, sql: &str, binds: &[&str]) -> AppResult<u64> {
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        for b in binds {
            q = q.bind(*b);
        }
        Ok(q.fetch_one(&self.read).await?.max(0) as u64)
    }

    async fn chats_query(
        &self,
        sql: &str,
        binds: &[&str],
        offset: i64,
        limit: i64,
    ) -> AppResult<Vec<ChatRecord>> {
        let n = binds.len();
        let q = format!("{sql} LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let mut query = sqlx::query(&q);
        for b in binds {
            query = query.bind(*b);
        }
        let rows = query.bind(limit).bind(offset).fetch_all(&self.read).await?;
        rows.iter().map(chat_from_row).collect()
    }
}

/// Per-connection SQLite settings: WAL (readers beside the writer), full fsync on commit
/// (an acknowledged message survives a power cut), foreign keys, a busy timeout, a 16 MiB
/// page cache per connection (2 MiB by default) and a checkpoint every 10,000 WAL pages
/// (1,000 by default), so hot pages (a chat's counter, index roots) are copied back less often;
/// temporary files in memory: a batch's multi-row `INSERT` keeps a statement journal (the
/// pages to restore if that statement alone fails), which crash recovery never reads, so it
/// need not be written to a file.
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    for p in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 5000",
        "PRAGMA wal_autocheckpoint = 10000",
        "PRAGMA cache_size = -16384",
        "PRAGMA temp_store = MEMORY",
    ] {
        sqlx::query(p).execute(&mut *conn).await?;
    }
    Ok(())
}

fn meta_json(m: &Metadata) -> String {
    serde_json::to_string(m).unwrap_or_else(|_| "{}".into())
}

/// A message's mentioned usernames as stored: a JSON array, NULL when it mentions nobody.
fn mentions_json(m: &[(String, String)]) -> Option<String> {
    if m.is_empty() {
        return None;
    }
    let names: Vec<&str> = m.iter().map(|(_, u)| u.as_str()).collect();
    serde_json::to_string(&names).ok()
}

fn meta_parse(s: &str) -> Metadata {
    serde_json::from_str(s).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "stored metadata is not valid JSON; using an empty map");
        Metadata::new()
    })
}

fn reactions_parse(s: &str) -> Reactions {
    serde_json::from_str(s).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "stored reaction counts are not valid JSON; using none");
        Reactions::new()
    })
}

fn bad_row(what: &str, value: &str) -> AppError {
    AppError::internal(format_args!("stored {what} {value:?} is not valid"))
}

fn user_from_row(r: &AnyRow) -> AppResult<UserRecord> {
    let role: String = r.try_get("role")?;
    Ok(UserRecord {
        user: User {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            name: r.try_get("name")?,
            avatar: r.try_get("avatar")?,
            email: r.try_get("email")?,
            metadata: meta_parse(&r.try_get::<String, _>("metadata")?),
            role: Role::parse(&role).ok_or_else(|| bad_row("role", &role))?,
            presence: Presence::Offline,
            last_active: r.try_get("last_active")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        },
        website_id: r.try_get("website_id")?,
        password_hash: r.try_get("password_hash")?,
        visitor_secret_hash: r.try_get("visitor_secret_hash")?,
        can_admin: r.try_get::<i64, _>("can_admin")? != 0,
    })
}

fn chat_from_row(r: &AnyRow) -> AppResult<ChatRecord> {
    let kind: String = r.try_get("kind")?;
    let vis: String = r.try_get("visibility")?;
    Ok(ChatRecord {
        id: r.try_get("id")?,
        website_id: r.try_get("website_id")?,
        kind: ChatKind::parse(&kind).ok_or_else(|| bad_row("chat kind", &kind))?,
        name: r.try_get("name")?,
        avatar: r.try_get("avatar")?,
        metadata: meta_parse(&r.try_get::<String, _>("metadata")?),
        visibility: Visibility::parse(&vis).ok_or_else(|| bad_row("visibility", &vis))?,
        last_seq: r.try_get("last_seq")?,
        last_activity_at: r.try_get("last_activity_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted_at: r.try_get("deleted_at")?,
        slow_mode: r.try_get("slow_mode")?,
    })
}

const REPORT_COLS: &str = "id, website_id, kind, subject, chat_id, target_id, reporter_id, \
    reason, excerpt, created_at, resolved_at, resolved_by, resolution";

fn sanction_from_row(r: &AnyRow) -> AppResult<SanctionRecord> {
    let kind: String = r.try_get("kind")?;
    let chat: String = r.try_get("chat_id")?;
    Ok(SanctionRecord {
        website_id: r.try_get("website_id")?,
        chat_id: (!chat.is_empty()).then_some(chat),
        user_id: r.try_get("user_id")?,
        kind: SanctionKind::parse(&kind).ok_or_else(|| bad_row("sanction kind", &kind))?,
        until: r.try_get("until")?,
        reason: r.try_get("reason")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

fn report_from_row(r: &AnyRow) -> AppResult<ReportRecord> {
    Ok(ReportRecord {
        id: r.try_get("id")?,
        website_id: r.try_get("website_id")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        chat_id: r.try_get("chat_id")?,
        target_id: r.try_get("target_id")?,
        reporter_id: r.try_get("reporter_id")?,
        reason: r.try_get("reason")?,
        excerpt: r.try_get("excerpt")?,
        created_at: r.try_get("created_at")?,
        resolved_at: r.try_get("resolved_at")?,
        resolved_by: r.try_get("resolved_by")?,
        resolution: r.try_get("resolution")?,
    })
}

fn file_from_row(r: &AnyRow) -> AppResult<FileRecord> {
    let kind: String = r.try_get("kind")?;
    Ok(FileRecord {
        id: r.try_get("id")?,
        website_id: r.try_get("website_id")?,
        uploader_id: r.try_get("uploader_id")?,
        name: r.try_get("name")?,
        mime: r.try_get("mime")?,
        size: r.try_get::<i64, _>("size")?.max(0) as u64,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad_row("file kind", &kind))?,
        has_thumbnail: r.try_get::<i64, _>("has_thumbnail")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// The public view of a stored file.
pub fn file_info(f: &FileRecord) -> FileInfo {
    FileInfo {
        id: f.id.clone(),
        url: format!("/v1/files/{}", f.id),
        name: f.name.clone(),
        size: f.size,
        mime: f.mime.clone(),
        kind: f.kind,
        thumbnail_url: f
            .has_thumbnail
            .then(|| format!("/v1/files/{}/thumbnail", f.id)),
    }
}

fn message_from_row(r: &AnyRow) -> AppResult<Message> {
    let kind: String = r.try_get("kind")?;
    let role: String = r.try_get("sender_role")?;
    let deleted_at: Option<i64> = r.try_get("deleted_at")?;
    let file_id: Option<String> = r.try_get("file_id")?;
    let file = match (file_id, r.try_get::<Option<String>, _>("f_name")?) {
        (Some(id), Some(name)) => {
            let fkind: String = r.try_get("f_kind")?;
            Some(file_info(&FileRecord {
                id,
                website_id: String::new(),
                uploader_id: String::new(),
                name,
                mime: r.try_get("f_mime")?,
                size: r.try_get::<i64, _>("f_size")?.max(0) as u64,
                kind: MessageKind::parse(&fkind).ok_or_else(|| bad_row("file kind", &fkind))?,
                has_thumbnail: r.try_get::<i64, _>("f_thumb")? != 0,
                created_at: 0,
            }))
        }
        _ => None,
    };
    Ok(Message {
        id: r.try_get("id")?,
        chat_id: r.try_get("chat_id")?,
        seq: r.try_get("seq")?,
        rev: r.try_get("rev")?,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad_row("message kind", &kind))?,
        text: r.try_get("text")?,
        file,
        metadata: meta_parse(&r.try_get::<String, _>("metadata")?),
        whisper: r.try_get::<i64, _>("whisper")? != 0,
        sender_id: r.try_get("sender_id")?,
        sender_role: Role::parse(&role).ok_or_else(|| bad_row("role", &role))?,
        sender_name: r.try_get("sender_name")?,
        client_id: r.try_get("client_id")?,
        reply_to: r.try_get("reply_to")?,
        quote: r
            .try_get::<Option<String>, _>("quote")?
            .and_then(|q| serde_json::from_str(&q).ok()),
        parent_id: r.try_get("parent_id")?,
        show_in_chat: r.try_get::<i64, _>("show_in_chat")? != 0,
        reply_count: r
            .try_get::<i64, _>("reply_count")?
            .clamp(0, i64::from(u32::MAX)) as u32,
        last_reply_at: r.try_get("last_reply_at")?,
        mentions: r
            .try_get::<Option<String>, _>("mentions")?
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
        created_at: r.try_get("created_at")?,
        edited_at: r.try_get("edited_at")?,
        deleted: deleted_at.is_some(),
        reactions: reactions_parse(&r.try_get::<String, _>("reactions")?),
        own_reactions: None,
        pinned: match (
            r.try_get::<Option<i64>, _>("pinned_at")?,
            r.try_get::<Option<String>, _>("pinned_by")?,
        ) {
            (Some(at), Some(by)) => Some(Pin { by, at }),
            _ => None,
        },
    })
}

fn website_from_row(r: &AnyRow) -> AppResult<Website> {
    let origins: String = r.try_get("allowed_origins")?;
    Ok(Website {
        id: r.try_get("id")?,
        secret: r.try_get("secret")?,
        name: r.try_get("name")?,
        allowed_origins: serde_json::from_str(&origins).unwrap_or_default(),
        created_at: r.try_get("created_at")?,
    })
}

/// A connection of the write pool for one transaction. Unless the transaction committed, it
/// is closed instead of going back to the pool: when a write fails under SQLite (a full
/// disk fails the `COMMIT`), SQLite may already have rolled the transaction back, sqlx's
/// `ROLLBACK` then fails and sqlx still counts the transaction as open, so every later
/// "transaction" on that connection became a savepoint inside it, acknowledged but never
/// committed (found by `tests/faults_storage.rs`). A fresh connection has no such state.
struct WriteConn {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    committed: bool,
}

impl WriteConn {
    fn committed(&mut self) {
        self.committed = true;
    }
}

impl std::ops::Deref for WriteConn {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

impl Drop for WriteConn {
    fn drop(&mut self) {
        if !self.committed {
            self.conn.close_on_drop();
        }
    }
}

/// Placeholders for a statement whose parameters each appear once, in bind order: `$1, $2,
/// …` on PostgreSQL, anonymous `?` on SQLite. With numbered (named) parameters, binding the
/// k-th one makes SQLite look its name up in a list (`sqlite3_bind_parameter_name`, which
/// sqlx calls for every parameter), so a batch statement of a few hundred parameters cost
/// O(n²): 4.7% of the server's samples under the durable-writes bench.
pub(crate) struct Params {
    numbered: bool,
    n: usize,
}

impl Params {
    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        if self.numbered {
            format!("${}", self.n)
        } else {
            "?".to_string()
        }
    }
}

impl SqlStore {
    /// A write connection for one transaction (see [`WriteConn`]).
    async fn writer(&self) -> Result<WriteConn, sqlx::Error> {
        Ok(WriteConn {
            conn: self.write.acquire().await?,
            committed: false,
        })
    }

    fn params(&self) -> Params {
        Params {
            numbered: self.engine == Engine::Postgres,
            n: 0,
        }
    }
}

/// `$first, $first+1, …` for an `IN (…)` list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> AppResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    async fn create_website(&self, site: &Website) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO websites (id, secret, name, allowed_origins, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&site.id)
        .bind(&site.secret)
        .bind(&site.name)
        .bind(serde_json::to_string(&site.allowed_origins).unwrap_or_else(|_| "[]".into()))
        .bind(site.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn website(&self, id: &str) -> AppResult<Option<Website>> {
        let row = sqlx::query("SELECT * FROM websites WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(website_from_row).transpose()
    }

    async fn website_by_secret(&self, secret: &str) -> AppResult<Option<Website>> {
        let row = sqlx::query("SELECT * FROM websites WHERE secret = $1")
            .bind(secret)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(website_from_row).transpose()
    }

    async fn websites(&self) -> AppResult<Vec<Website>> {
        let rows = sqlx::query("SELECT * FROM websites ORDER BY created_at, id")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(website_from_row).collect()
    }

    async fn create_user(&self, new: NewUser) -> AppResult<(UserRecord, bool)> {
        let now = crate::util::now_ms();
        let res = sqlx::query(
            "INSERT INTO users (id, website_id, username, name, avatar, email, metadata, role, \
             password_hash, visitor_secret_hash, can_admin, last_active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, NULL, $11, $11) \
             ON CONFLICT (website_id, username) DO NOTHING",
        )
        .bind(new_id("usr"))
        .bind(&new.website_id)
        .bind(&new.username)
        .bind(&new.name)
        .bind(&new.avatar)
        .bind(&new.email)
        .bind(meta_json(&new.metadata))
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(&new.visitor_secret_hash)
        .bind(now)
        .bind(new.can_admin as i64)
        .execute(&self.write)
        .await?;
        let created = res.rows_affected() == 1;
        let q = format!("SELECT {USER_COLS} FROM users WHERE website_id = $1 AND username = $2");
        let row = sqlx::query(&q)
            .bind(&new.website_id)
            .bind(&new.username)
            .fetch_one(&self.write)
            .await?;
        Ok((user_from_row(&row)?, created))
    }

    async fn user(&self, website: &str, id: &str) -> AppResult<Option<UserRecord>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE website_id = $1 AND id = $2");
        let row = sqlx::query(&q)
            .bind(website)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_username(
        &self,
        website: &str,
        username: &str,
    ) -> AppResult<Option<UserRecord>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE website_id = $1 AND username = $2");
        let row = sqlx::query(&q)
            .bind(website)
            .bind(username)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users_by_usernames(
        &self,
        website: &str,
        usernames: &[String],
    ) -> AppResult<Vec<UserRecord>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT {USER_COLS} FROM users WHERE website_id = $1 AND username IN ({}) \
             ORDER BY username",
            placeholders(2, usernames.len())
        );
        let mut query = sqlx::query(&q).bind(website);
        for u in usernames {
            query = query.bind(u);
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn users_by_ids(&self, website: &str, ids: &[String]) -> AppResult<Vec<UserRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT {USER_COLS} FROM users WHERE website_id = $1 AND id IN ({})",
            placeholders(2, ids.len())
        );
        let mut query = sqlx::query(&q).bind(website);
        for u in ids {
            query = query.bind(u);
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn update_user(
        &self,
        website: &str,
        id: &str,
        patch: UserPatch,
        now: i64,
    ) -> AppResult<Option<UserRecord>> {
        let blank = |o: Option<String>| o.map(|s| if s.is_empty() { None } else { Some(s) });
        let (set_avatar, avatar) = match blank(patch.avatar) {
            Some(v) => (1i64, v),
            None => (0, None),
        };
        let (set_email, email) = match blank(patch.email) {
            Some(v) => (1i64, v),
            None => (0, None),
        };
        sqlx::query(
            "UPDATE users SET name = COALESCE($3, name), \
             avatar = CASE WHEN $4 = 1 THEN $5 ELSE avatar END, \
             email = CASE WHEN $6 = 1 THEN $7 ELSE email END, \
             metadata = COALESCE($8, metadata), updated_at = $9 \
             WHERE website_id = $1 AND id = $2",
        )
        .bind(website)
        .bind(id)
        .bind(patch.name)
        .bind(set_avatar)
        .bind(avatar)
        .bind(set_email)
        .bind(email)
        .bind(patch.metadata.as_ref().map(meta_json))
        .bind(now)
        .execute(&self.write)
        .await?;
        let q = format!("SELECT {USER_COLS} FROM users WHERE website_id = $1 AND id = $2");
        let row = sqlx::query(&q)
            .bind(website)
            .bind(id)
            .fetch_optional(&self.write)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn set_visitor_secret(&self, website: &str, id: &str, hash: &str) -> AppResult<()> {
        sqlx::query("UPDATE users SET visitor_secret_hash = $3 WHERE website_id = $1 AND id = $2")
            .bind(website)
            .bind(id)
            .bind(hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn delete_user(&self, website: &str, id: &str, now: i64) -> AppResult<bool> {
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        let username: Option<String> =
            sqlx::query_scalar("SELECT username FROM users WHERE website_id = $1 AND id = $2")
                .bind(website)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(username) = username else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM members WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM mentions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE website_id = $1 AND id = $2")
            .bind(website)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO user_tombstones (website_id, username, deleted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (website_id, username) DO UPDATE SET deleted_at = excluded.deleted_at",
        )
        .bind(website)
        .bind(&username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        w.committed();
        Ok(true)
    }

    async fn user_tombstone(&self, website: &str, username: &str) -> AppResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT deleted_at FROM user_tombstones WHERE website_id = $1 AND username = $2",
        )
        .bind(website)
        .bind(username)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn touch_user(&self, website: &str, id: &str, now: i64) -> AppResult<()> {
        sqlx::query("UPDATE users SET last_active = $3 WHERE website_id = $1 AND id = $2")
            .bind(website)
            .bind(id)
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn users_by_role(&self, website: &str, role: Role) -> AppResult<Vec<UserRecord>> {
        let q = format!(
            "SELECT {USER_COLS} FROM users WHERE website_id = $1 AND role = $2 ORDER BY name, id"
        );
        let rows = sqlx::query(&q)
            .bind(website)
            .bind(role.as_str())
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn direct_chat(
        &self,
        website: &str,
        a: &str,
        b: &str,
        now: i64,
    ) -> AppResult<(ChatRecord, bool)> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let key = format!("d:{lo}:{hi}");
        unique_chat(self, website, ChatKind::Direct, &key, &[lo, hi], now).await
    }

    async fn conversation(
        &self,
        website: &str,
        visitor: &str,
        now: i64,
    ) -> AppResult<(ChatRecord, bool)> {
        let key = format!("c:{visitor}");
        unique_chat(self, website, ChatKind::Conversation, &key, &[visitor], now).await
    }

    async fn create_group(&self, new: NewGroup, now: i64) -> AppResult<ChatRecord> {
        let id = new_id("chat");
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        sqlx::query(
            "INSERT INTO chats (id, website_id, kind, name, avatar, metadata, visibility, \
             unique_key, last_seq, last_activity_at, created_by, created_at, updated_at) \
             VALUES ($1, $2, 'group', $3, $4, $5, $6, NULL, 0, $7, $8, $7, $7)",
        )
        .bind(&id)
        .bind(&new.website_id)
        .bind(&new.name)
        .bind(&new.avatar)
        .bind(meta_json(&new.metadata))
        .bind(new.visibility.as_str())
        .bind(now)
        .bind(&new.created_by)
        .execute(&mut *tx)
        .await?;
        let mut members: Vec<&str> = new.member_ids.iter().map(String::as_str).collect();
        if let Some(c) = &new.created_by {
            members.push(c);
        }
        for m in members {
            sqlx::query(
                "INSERT INTO members (chat_id, user_id, joined_at, last_seen_seq) \
                 VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(m)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        w.committed();
        self.chat(&new.website_id, &id)
            .await?
            .ok_or_else(|| AppError::internal("group vanished after insert"))
    }

    async fn chat(&self, website: &str, id: &str) -> AppResult<Option<ChatRecord>> {
        let q = format!("SELECT {CHAT_COLS} FROM chats c WHERE c.website_id = $1 AND c.id = $2");
        let row = sqlx::query(&q)
            .bind(website)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(chat_from_row).transpose()
    }

    async fn update_chat(
        &self,
        website: &str,
        id: &str,
        patch: ChatPatch,
        now: i64,
    ) -> AppResult<Option<ChatRecord>> {
        let (set_avatar, avatar) = match patch.avatar {
            Some(a) if a.is_empty() => (1i64, None),
            Some(a) => (1, Some(a)),
            None => (0, None),
        };
        sqlx::query(
            "UPDATE chats SET name = COALESCE($3, name), \
             avatar = CASE WHEN $4 = 1 THEN $5 ELSE avatar END, \
             metadata = COALESCE($6, metadata), visibility = COALESCE($7, visibility), \
             slow_mode = COALESCE($9, slow_mode), \
             updated_at = $8 WHERE website_id = $1 AND id = $2",
        )
        .bind(website)
        .bind(id)
        .bind(patch.name)
        .bind(set_avatar)
        .bind(avatar)
        .bind(patch.metadata.as_ref().map(meta_json))
        .bind(patch.visibility.map(|v| v.as_str()))
        .bind(now)
        .bind(patch.slow_mode)
        .execute(&self.write)
        .await?;
        self.chat(website, id).await
    }

    async fn set_chat_deleted(
        &self,
        website: &str,
        id: &str,
        deleted_at: Option<i64>,
    ) -> AppResult<Option<ChatRecord>> {
        sqlx::query("UPDATE chats SET deleted_at = $3 WHERE website_id = $1 AND id = $2")
            .bind(website)
            .bind(id)
            .bind(deleted_at)
            .execute(&self.write)
            .await?;
        self.chat(website, id).await
    }

    async fn user_chats(
        &self,
        website: &str,
        user: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)> {
        let from = "FROM chats c JOIN members m ON m.chat_id = c.id \
                    WHERE c.website_id = $1 AND m.user_id = $2 AND c.deleted_at IS NULL";
        let total = self
            .count(&format!("SELECT COUNT(*) {from}"), &[website, user])
            .await?;
        let sql = format!("SELECT {CHAT_COLS} {from} ORDER BY c.last_activity_at DESC, c.id DESC");
        let chats = self
            .chats_query(&sql, &[website, user], offset, limit)
            .await?;
        Ok((chats, total))
    }

    async fn chatrooms(
        &self,
        website: &str,
        reader: &str,
        staff: bool,
        only_mine: bool,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)> {
        let cond = if only_mine {
            "EXISTS (SELECT 1 FROM members m WHERE m.chat_id = c.id AND m.user_id = $2)"
        } else if staff {
            "$2 = $2"
        } else {
            "(c.visibility = 'public' OR EXISTS \
             (SELECT 1 FROM members m WHERE m.chat_id = c.id AND m.user_id = $2))"
        };
        let from = format!(
            "FROM chats c WHERE c.website_id = $1 AND c.kind = 'group' \
             AND c.deleted_at IS NULL AND {cond}"
        );
        let total = self
            .count(&format!("SELECT COUNT(*) {from}"), &[website, reader])
            .await?;
        let sql = format!("SELECT {CHAT_COLS} {from} ORDER BY c.created_at, c.id");
        let chats = self
            .chats_query(&sql, &[website, reader], offset, limit)
            .await?;
        Ok((chats, total))
    }

    async fn deleted_chatrooms(
        &self,
        website: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)> {
        let from = "FROM chats c WHERE c.website_id = $1 AND c.kind = 'group' \
                    AND c.deleted_at IS NOT NULL";
        let total = self
            .count(&format!("SELECT COUNT(*) {from}"), &[website])
            .await?;
        let sql = format!("SELECT {CHAT_COLS} {from} ORDER BY c.deleted_at DESC, c.id");
        let chats = self.chats_query(&sql, &[website], offset, limit).await?;
        Ok((chats, total))
    }

    async fn conversations(
        &self,
        website: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ChatRecord>, u64)> {
        let from = "FROM chats c WHERE c.website_id = $1 AND c.kind = 'conversation' \
                    AND c.deleted_at IS NULL";
        let total = self
            .count(&format!("SELECT COUNT(*) {from}"), &[website])
            .await?;
        let sql = format!("SELECT {CHAT_COLS} {from} ORDER BY c.last_activity_at DESC, c.id DESC");
        let chats = self.chats_query(&sql, &[website], offset, limit).await?;
        Ok((chats, total))
    }

    async fn chat_ids_of_user(&self, user: &str, limit: i64) -> AppResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT c.id FROM chats c JOIN members m ON m.chat_id = c.id \
             WHERE m.user_id = $1 AND c.deleted_at IS NULL \
             ORDER BY c.last_activity_at DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    async fn add_members(&self, chat: &str, users: &[String], now: i64) -> AppResult<Vec<String>> {
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        let mut added = Vec::new();
        for u in users {
            let res = sqlx::query(
                "INSERT INTO members (chat_id, user_id, joined_at, last_seen_seq) \
                 VALUES ($1, $2, $3, (SELECT last_seq FROM chats WHERE id = $1)) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(chat)
            .bind(u)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() == 1 {
                added.push(u.clone());
            }
        }
        tx.commit().await?;
        w.committed();
        Ok(added)
    }

    async fn remove_members(&self, chat: &str, users: &[String]) -> AppResult<Vec<String>> {
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        let mut removed = Vec::new();
        for u in users {
            let res = sqlx::query("DELETE FROM members WHERE chat_id = $1 AND user_id = $2")
                .bind(chat)
                .bind(u)
                .execute(&mut *tx)
                .await?;
            if res.rows_affected() == 1 {
                removed.push(u.clone());
            }
        }
        tx.commit().await?;
        w.committed();
        Ok(removed)
    }

    async fn chat_and_member(
        &self,
        website: &str,
        chat: &str,
        user: Option<&str>,
    ) -> AppResult<Option<(ChatRecord, Option<MemberRecord>, Standing)>> {
        let q = format!(
            "SELECT {CHAT_COLS}, mb.user_id AS mb_user_id, mb.joined_at AS mb_joined_at, \
             mb.last_seen_seq AS mb_last_seen_seq, \
             sm.kind AS sm_kind, sm.until AS sm_until, sm.reason AS sm_reason, \
             sb.kind AS sb_kind, sb.until AS sb_until, sb.reason AS sb_reason \
             FROM chats c LEFT JOIN members mb ON mb.chat_id = c.id AND mb.user_id = $3 \
             LEFT JOIN sanctions sm ON sm.website_id = c.website_id AND sm.chat_id = c.id \
             AND sm.user_id = $3 AND sm.kind = 'mute' \
             LEFT JOIN sanctions sb ON sb.website_id = c.website_id AND sb.chat_id = c.id \
             AND sb.user_id = $3 AND sb.kind = 'ban' \
             WHERE c.website_id = $1 AND c.id = $2"
        );
        let Some(row) = sqlx::query(&q)
            .bind(website)
            .bind(chat)
            .bind(user.unwrap_or(""))
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let chat = chat_from_row(&row)?;
        let member = match row.try_get::<Option<String>, _>("mb_user_id")? {
            Some(user_id) => Some(MemberRecord {
                chat_id: chat.id.clone(),
                user_id,
                joined_at: row.try_get("mb_joined_at")?,
                last_seen_seq: row.try_get("mb_last_seen_seq")?,
            }),
            None => None,
        };
        let term = |k: &str| -> AppResult<Option<Term>> {
            Ok(
                match row.try_get::<Option<String>, _>(format!("{k}_kind").as_str())? {
                    Some(_) => Some(Term {
                        until: row.try_get(format!("{k}_until").as_str())?,
                        reason: row.try_get(format!("{k}_reason").as_str())?,
                    }),
                    None => None,
                },
            )
        };
        let standing = Standing {
            muted: term("sm")?,
            banned: term("sb")?,
        };
        Ok(Some((chat, member, standing)))
    }

    async fn member(&self, chat: &str, user: &str) -> AppResult<Option<MemberRecord>> {
        let row = sqlx::query(
            "SELECT chat_id, user_id, joined_at, last_seen_seq FROM members \
             WHERE chat_id = $1 AND user_id = $2",
        )
        .bind(chat)
        .bind(user)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| -> AppResult<MemberRecord> {
            Ok(MemberRecord {
                chat_id: r.try_get("chat_id")?,
                user_id: r.try_get("user_id")?,
                joined_at: r.try_get("joined_at")?,
                last_seen_seq: r.try_get("last_seen_seq")?,
            })
        })
        .transpose()
    }

    async fn members(
        &self,
        website: &str,
        chat: &str,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<(MemberRecord, UserRecord)>, u64)> {
        let total = self.member_count(chat).await?;
        let q = format!(
            "SELECT m.joined_at AS m_joined_at, m.last_seen_seq AS m_last_seen_seq, {} \
             FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.chat_id = $1 AND u.website_id = $2 \
             ORDER BY m.joined_at, u.id LIMIT $3 OFFSET $4",
            USER_COLS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let rows = sqlx::query(&q)
            .bind(chat)
            .bind(website)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let user = user_from_row(r)?;
            out.push((
                MemberRecord {
                    chat_id: chat.to_owned(),
                    user_id: user.user.id.clone(),
                    joined_at: r.try_get("m_joined_at")?,
                    last_seen_seq: r.try_get("m_last_seen_seq")?,
                },
                user,
            ));
        }
        Ok((out, total))
    }

    async fn member_count(&self, chat: &str) -> AppResult<u64> {
        self.count("SELECT COUNT(*) FROM members WHERE chat_id = $1", &[chat])
            .await
    }

    async fn mark_seen(&self, chat: &str, user: &str, seq: i64) -> AppResult<i64> {
        sqlx::query(
            "UPDATE members SET last_seen_seq = $3 \
             WHERE chat_id = $1 AND user_id = $2 AND last_seen_seq < $3",
        )
        .bind(chat)
        .bind(user)
        .bind(seq)
        .execute(&self.write)
        .await?;
        let mark: Option<i64> = sqlx::query_scalar(
            "SELECT last_seen_seq FROM members WHERE chat_id = $1 AND user_id = $2",
        )
        .bind(chat)
        .bind(user)
        .fetch_optional(&self.write)
        .await?;
        mark.ok_or_else(|| AppError::forbidden("not a member of this chat"))
    }

    async fn insert_message(&self, new: NewMessage) -> AppResult<Inserted> {
        self.insert_messages(vec![new])
            .await
            .pop()
            .unwrap_or_else(|| Err(AppError::internal("empty batch result")))
    }

    async fn insert_messages(&self, batch: Vec<NewMessage>) -> Vec<AppResult<Inserted>> {
        // Optimistic: a send whose client id is already stored is a retry (a reconnect's
        // outbox), rare; the index refuses it, and only then is the batch stored again
        // with a lookup of the stored ids. The lookup took a quarter of a PostgreSQL
        // batch's time when every batch paid it.
        let first = self.insert_batch_tx(&batch, false).await;
        let result = match first {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                self.insert_batch_tx(&batch, true).await
            }
            other => other,
        };
        match result {
            Ok(out) => out,
            Err(e) if batch.len() == 1 => {
                // A concurrent writer (another node) used the same client id between our
                // check and our insert: answer with the message it stored.
                if let sqlx::Error::Database(db) = &e {
                    if db.is_unique_violation() {
                        let new = &batch[0];
                        if let Some(cid) = &new.client_id {
                            let q = format!(
                                "{MSG_SELECT} WHERE m.chat_id = $1 AND m.sender_id = $2 \
                                 AND m.client_id = $3"
                            );
                            let row = sqlx::query(&q)
                                .bind(&new.chat_id)
                                .bind(&new.sender_id)
                                .bind(cid)
                                .fetch_optional(&self.read)
                                .await;
                            if let Ok(Some(row)) = row {
                                return vec![message_from_row(&row).map(Inserted::Duplicate)];
                            }
                        }
                    }
                }
                vec![Err(e.into())]
            }
            // A full disk or an unreachable database fails the batch as a whole: every
            // message of it is refused (`unavailable`), none stored; no point retrying
            // them one by one.
            Err(e) if crate::error::storage_fault(&e).is_some() => {
                let e = AppError::from(e);
                batch
                    .iter()
                    .map(|_| Err(AppError(e.0.clone(), e.1)))
                    .collect()
            }
            Err(_) => {
                // One bad apple (a unique violation under concurrency) aborts the whole
                // transaction: store the batch one message at a time instead.
                let mut out = Vec::with_capacity(batch.len());
                for new in batch {
                    out.push(self.insert_message(new).await);
                }
                out
            }
        }
    }

    async fn message(&self, chat: &str, id: &str) -> AppResult<Option<Message>> {
        let q = format!("{MSG_SELECT} WHERE m.chat_id = $1 AND m.id = $2");
        let row = sqlx::query(&q)
            .bind(chat)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn edit_message(
        &self,
        chat: &str,
        id: &str,
        text: Option<String>,
        metadata: Option<Metadata>,
        now: i64,
    ) -> AppResult<Option<Message>> {
        let meta = metadata.as_ref().map(meta_json);
        let (chat_id, msg_id) = (chat.to_owned(), id.to_owned());
        self.bump_message(chat, id, move |tx, rev| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE messages SET rev = $3, edited_at = $4, text = COALESCE($5, text), \
                     metadata = COALESCE($6, metadata) WHERE chat_id = $1 AND id = $2",
                )
                .bind(chat_id)
                .bind(msg_id)
                .bind(rev)
                .bind(now)
                .bind(text)
                .bind(meta)
                .execute(tx)
                .await
                .map(|_| ())
            })
        })
        .await
    }

    async fn delete_message(&self, chat: &str, id: &str, now: i64) -> AppResult<Option<Message>> {
        let (chat_id, msg_id) = (chat.to_owned(), id.to_owned());
        self.bump_message(chat, id, move |tx, rev| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE messages SET rev = $3, deleted_at = $4, text = '', metadata = '{}', \
                     file_id = NULL, reactions = '{}', pinned_at = NULL, pinned_by = NULL, \
                     mentions = NULL WHERE chat_id = $1 AND id = $2",
                )
                .bind(&chat_id)
                .bind(&msg_id)
                .bind(rev)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM reactions WHERE chat_id = $1 AND message_id = $2")
                    .bind(chat_id)
                    .bind(msg_id)
                    .execute(tx)
                    .await
                    .map(|_| ())
            })
        })
        .await
    }

    async fn react(&self, r: ReactionChange<'_>) -> AppResult<Reacted> {
        let mut w = self.writer().await?;
        let mut tx = w.begin().await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM messages WHERE chat_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(r.chat)
        .bind(r.message)
        .fetch_optional(&mut *tx)
        .await?;
        if live.is_none() {
            // Nothing written: committing ends the transaction without closing the
            // connection (see `WriteConn`).
            tx.commit().await?;
            w.committed();
            return Ok(Reacted::Missing);
        }
        let rows = sqlx::query("SELECT user_id, reaction FROM reactions WHERE message_id = $1")
            .bind(r.message)
            .fetch_all(&mut *tx)
            .await?;
        let mut given: Vec<(String, String)> = Vec::with_capacity(rows.len());
        for row in &rows {
            given.push((row.try_get("user_id")?, row.try_get("reaction")?));
        }
        let has = given.iter().any(|(u, x)| u == r.user && x == r.reaction);
        let changed = has != r.add;
        if changed && r.add && !given.iter().any(|(_, x)| x == r.reaction) {
            let mut distinct: Vec<&str> = given.iter().map(|(_, x)| x.as_str()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() >= r.max_distinct {
                tx.commit().await?;
                w.committed();
                return Ok(Reacted::TooMany);
            }
        }
        if changed {
            if r.add {
                sqlx::query(
                    "INSERT INTO reactions (chat_id, message_id, user_id, reaction, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(r.chat)
                .bind(r.message)
                .bind(r.user)
                .bind(r.reaction)
                .bind(r.now)
                .execute(&mut *tx)
                .await?;
                given.push((r.user.to_owned(), r.reaction.to_owned()));
            } else {
                sqlx::query(
                    "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND reaction = $3",
                )
                .bind(r.message)
                .bind(r.user)
                .bind(r.reaction)
                .execute(&mut *tx)
                .await?;
                given.retain(|(u, x)| !(u == r.user && x == r.reaction));
            }
            let mut counts = Reactions::new();
            for (_, x) in &given {
                *counts.entry(x.clone()).or_insert(0) += 1;
            }
            let rev: Option<i64> = sqlx::query_scalar(
                "UPDATE chats SET last_seq = last_seq + 1 WHERE id = $1 AND deleted_at IS NULL \
                 RETURNING last_seq",
            )
            .bind(r.chat)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(rev) = rev else {
                return Err(AppError::new(ErrorCode::Gone, "the chat was deleted"));
            };
            sqlx::query(
                "UPDATE messages SET rev = $3, reactions = $4 WHERE chat_id = $1 AND id = $2",
            )
            .bind(r.chat)
            .bind(r.message)
            .bind(rev)
            .bind(serde_json::to_string(&counts).unwrap_or_else(|_| "{}".into()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        w.committed();
        drop(w);
        let Some(mut m) = self.message(r.chat, r.message).await? else {
            return Ok(Reacted::Missing);
        };
        let mut own: Vec<String> = given
            .into_iter()
            .filter(|(u, _)| u == r.user)
            .map(|(_, x)| x)
            .collect();
        own.sort_unstable();
        m.own_reactions = Some(own);
        Ok(if changed {
            Reacted::Changed(m)
        } else {
            Reacted::Unchanged(m)
        })
    }

    async fn set_pinned(
        &self,
        chat: &str,
        id: &str,
        pin: Option<Pin>,
    ) -> AppResult<Option<Message>> {
        let (chat_id, msg_id) = (chat.to_owned(), id.to_owned());
        let (at, by) = match pin {
            Some(p) => (Some(p.at), Some(p.by)),
            None => (None, None),
        };
        self.bump_message(chat, id, move |tx, rev| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE messages SET rev = $3, pinned_at = $4, pinned_by = $5 \
                     WHERE chat_id = $1 AND id = $2",
                )
                .bind(chat_id)
                .bind(msg_id)
                .bind(rev)
                .bind(at)
                .bind(by)
                .execute(tx)
                .await
                .map(|_| ())
            })
        })
        .await
    }

    async fn replies_to(&self, chat: &str, quoted: &str) -> AppResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM messages WHERE reply_to = $2 AND chat_id = $1 \
             AND deleted_at IS NULL ORDER BY seq",
        )
        .bind(chat)
        .bind(quoted)
        .fetch_all(&self.read)
        .await?)
    }

    async fn set_quote(
        &self,
        chat: &str,
        id: &str,
        quote: &chatix_protocol::Quote,
    ) -> AppResult<Option<Message>> {
        let (chat_id, msg_id) = (chat.to_owned(), id.to_owned());
        let json = serde_json::to_string(quote).map_err(|e| AppError::internal(e.to_string()))?;
        self.bump_message(chat, id, move |tx, rev| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE messages SET rev = $3, quote = $4 WHERE chat_id = $1 AND id = $2",
                )
                .bind(chat_id)
                .bind(msg_id)
                .bind(rev)
                .bind(json)
                .execute(tx)
                .await
                .map(|_| ())
            })
        })
        .await
    }

    async fn refresh_thread(&self, chat: &str, parent: &str) -> AppResult<Option<Message>> {
        let (chat_id, parent_id) = (chat.to_owned(), parent.to_owned());
        self.bump_message(chat, parent, move |tx, rev| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE messages SET rev = $3, \
                     reply_count = (SELECT COUNT(*) FROM messages r WHERE r.chat_id = $1 \
                       AND r.parent_id = $2 AND r.deleted_at IS NULL), \
                     last_reply_at = (SELECT MAX(r.created_at) FROM messages r \
                       WHERE r.chat_id = $1 AND r.parent_id = $2 AND r.deleted_at IS NULL) \
                     WHERE chat_id = $1 AND id = $2",
                )
                .bind(chat_id)
                .bind(parent_id)
                .bind(rev)
                .execute(tx)
                .await
                .map(|_| ())
            })
        })
        .await
    }

    async fn pinned_messages(
        &self,
        chat: &str,
        aud: Audience,
        limit: i64,
    ) -> AppResult<Vec<Message>> {
        let filter = whisper_filter(aud);
        let q = format!(
            "{MSG_SELECT} WHERE m.chat_id = $1 AND m.deleted_at IS NULL \
             AND m.pinned_at IS NOT NULL{filter} ORDER BY m.pinned_at DESC, m.seq DESC LIMIT $2"
        );
        let rows = sqlx::query(&q)
            .bind(chat)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn set_sanction(&self, x: &SanctionRecord) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO sanctions (website_id, chat_id, user_id, kind, until, reason, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (website_id, chat_id, user_id, kind) DO UPDATE SET \
             until = excluded.until, reason = excluded.reason, \
             created_by = excluded.created_by, created_at = excluded.created_at",
        )
        .bind(&x.website_id)
        .bind(x.chat_id.as_deref().unwrap_or(""))
        .bind(&x.user_id)
        .bind(x.kind.as_str())
        .bind(x.until)
        .bind(&x.reason)
        .bind(&x.created_by)
        .bind(x.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn lift_sanction(
        &self,
        website: &str,
        chat: Option<&str>,
        user: &str,
        kind: SanctionKind,
    ) -> AppResult<bool> {
        let r = sqlx::query(
            "DELETE FROM sanctions WHERE website_id = $1 AND chat_id = $2 AND user_id = $3 \
             AND kind = $4",
        )
        .bind(website)
        .bind(chat.unwrap_or(""))
        .bind(user)
        .bind(kind.as_str())
        .execute(&self.write)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn sanctions(
        &self,
        website: &str,
        chat: Option<&str>,
        now: i64,
        limit: i64,
    ) -> AppResult<Vec<SanctionRecord>> {
        let rows = sqlx::query(
            "SELECT website_id, chat_id, user_id, kind, until, reason, created_by, created_at \
             FROM sanctions WHERE website_id = $1 AND chat_id = $2 \
             AND (until IS NULL OR until > $3) ORDER BY created_at DESC, user_id LIMIT $4",
        )
        .bind(website)
        .bind(chat.unwrap_or(""))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(sanction_from_row).collect()
    }

    async fn website_ban(&self, website: &str, user: &str) -> AppResult<Option<SanctionRecord>> {
        let row = sqlx::query(
            "SELECT website_id, chat_id, user_id, kind, until, reason, created_by, created_at \
             FROM sanctions WHERE website_id = $1 AND chat_id = '' AND user_id = $2 \
             AND kind = 'ban'",
        )
        .bind(website)
        .bind(user)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(sanction_from_row).transpose()
    }

    async fn insert_report(&self, r: &ReportRecord) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO reports (id, website_id, kind, subject, chat_id, target_id, \
             reporter_id, reason, excerpt, created_at, resolved_at, resolved_by, resolution) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&r.id)
        .bind(&r.website_id)
        .bind(&r.kind)
        .bind(&r.subject)
        .bind(&r.chat_id)
        .bind(&r.target_id)
        .bind(&r.reporter_id)
        .bind(&r.reason)
        .bind(&r.excerpt)
        .bind(r.created_at)
        .bind(r.resolved_at)
        .bind(&r.resolved_by)
        .bind(&r.resolution)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn open_report(
        &self,
        website: &str,
        reporter: &str,
        kind: &str,
        subject: &str,
    ) -> AppResult<Option<ReportRecord>> {
        let q = format!(
            "SELECT {REPORT_COLS} FROM reports WHERE website_id = $1 AND reporter_id = $2 \
             AND kind = $3 AND subject = $4 AND resolved_at IS NULL"
        );
        let row = sqlx::query(&q)
            .bind(website)
            .bind(reporter)
            .bind(kind)
            .bind(subject)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(report_from_row).transpose()
    }

    async fn reports(
        &self,
        website: &str,
        open: Option<bool>,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<ReportRecord>, u64)> {
        let filter = match open {
            Some(true) => " AND resolved_at IS NULL",
            Some(false) => " AND resolved_at IS NOT NULL",
            None => "",
        };
        let q = format!(
            "SELECT {REPORT_COLS} FROM reports WHERE website_id = $1{filter} \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&q)
            .bind(website)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE website_id = $1{filter}"
        ))
        .bind(website)
        .fetch_one(&self.read)
        .await?;
        let list = rows
            .iter()
            .map(report_from_row)
            .collect::<AppResult<Vec<_>>>()?;
        Ok((list, total.max(0) as u64))
    }

    async fn resolve_report(
        &self,
        website: &str,
        id: &str,
        by: Option<&str>,
        resolution: &str,
        now: i64,
    ) -> AppResult<Option<(ReportRecord, bool)>> {
        let done = sqlx::query(
            "UPDATE reports SET resolved_at = $3, resolved_by = $4, resolution = $5 \
             WHERE website_id = $1 AND id = $2 AND resolved_at IS NULL",
        )
        .bind(website)
        .bind(id)
        .bind(now)
        .bind(by)
        .bind(resolution)
        .execute(&self.write)
        .await?
        .rows_affected()
            > 0;
        let q = format!("SELECT {REPORT_COLS} FROM reports WHERE website_id = $1 AND id = $2");
        let row = sqlx::query(&q)
            .bind(website)
            .bind(id)
            .fetch_optional(&self.write)
            .await?;
        Ok(row
            .as_ref()
            .map(report_from_row)
            .transpose()?
            .map(|r| (r, done)))
    }

    async fn blocklist(&self, website: &str) -> AppResult<Option<(Vec<String>, String)>> {
        let row = sqlx::query("SELECT words, mode FROM blocklists WHERE website_id = $1")
            .bind(website)
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let words: String = row.try_get("words")?;
        let words: Vec<String> =
            serde_json::from_str(&words).map_err(|_| bad_row("blocklist words", &words))?;
        Ok(Some((words, row.try_get("mode")?)))
    }

    async fn set_blocklist(
        &self,
        website: &str,
        words: &[String],
        mode: &str,
        now: i64,
    ) -> AppResult<()> {
        let json = serde_json::to_string(words).map_err(AppError::internal)?;
        sqlx::query(
            "INSERT INTO blocklists (website_id, words, mode, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (website_id) DO UPDATE SET \
             words = excluded.words, mode = excluded.mode, updated_at = excluded.updated_at",
        )
        .bind(website)
        .bind(json)
        .bind(mode)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn own_reactions(&self, user: &str, ids: &[&str]) -> AppResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        // A few hundred ids at most per statement (a page of history or of a replay).
        for part in ids.chunks(200) {
            let sql = format!(
                "SELECT message_id, reaction FROM reactions WHERE user_id = $1 \
                 AND message_id IN ({}) ORDER BY message_id, reaction",
                placeholders(2, part.len())
            );
            let mut q = sqlx::query(&sql).bind(user);
            for id in part {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&self.read).await? {
                out.push((row.try_get("message_id")?, row.try_get("reaction")?));
            }
        }
        Ok(out)
    }

    async fn messages_page(
        &self,
        chat: &str,
        aud: Audience,
        offset: i64,
        limit: i64,
    ) -> AppResult<(Vec<Message>, u64)> {
        let filter = whisper_filter(aud);
        let total = self
            .count(
                &format!(
                    "SELECT COUNT(*) FROM messages m WHERE m.chat_id = $1 \
                     AND m.deleted_at IS NULL{filter}{IN_CHAT}"
                ),
                &[chat],
            )
            .await?;
        let q = format!(
            "{MSG_SELECT} WHERE m.chat_id = $1 AND m.deleted_at IS NULL{filter}{IN_CHAT} \
             ORDER BY m.seq DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&q)
            .bind(chat)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.read)
            .await?;
        let mut msgs = rows
            .iter()
            .map(message_from_row)
            .collect::<AppResult<Vec<_>>>()?;
        msgs.reverse();
        Ok((msgs, total))
    }

    async fn messages_before(
        &self,
        chat: &str,
        aud: Audience,
        stream: Stream<'_>,
        before: Option<i64>,
        limit: i64,
    ) -> AppResult<Vec<Message>> {
        let (of, arg) = match stream {
            Stream::Chat => (IN_CHAT, None),
            Stream::Thread(parent) => (" AND m.parent_id = $4", Some(parent)),
            Stream::MentionsOf(user) => (
                " AND EXISTS (SELECT 1 FROM mentions x WHERE x.user_id = $4 \
                 AND x.chat_id = m.chat_id AND x.seq = m.seq)",
                Some(user),
            ),
        };
        let q = format!(
            "{MSG_SELECT} WHERE m.chat_id = $1 AND m.seq < $2 AND m.deleted_at IS NULL{}{of} \
             ORDER BY m.seq DESC LIMIT $3",
            whisper_filter(aud)
        );
        let mut query = sqlx::query(&q)
            .bind(chat)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit);
        if let Some(arg) = arg {
            query = query.bind(arg);
        }
        let rows = query.fetch_all(&self.read).await?;
        let mut msgs = rows
            .iter()
            .map(message_from_row)
            .collect::<AppResult<Vec<_>>>()?;
        msgs.reverse();
        Ok(msgs)
    }

    async fn search_messages(
        &self,
        website: &str,
        scope: SearchScope<'_>,
        aud: Audience,
        needle: &str,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> AppResult<Vec<Message>> {
        // $3 is the scope's chat or user id ('' for the whole website).
        let (scope_sql, scope_arg) = match scope {
            SearchScope::Chat(chat) => ("m.chat_id = $3", chat),
            SearchScope::Website => ("$3 = ''", ""),
            SearchScope::Staff(user) => (
                "(c.kind <> 'direct' OR EXISTS (SELECT 1 FROM members mb \
                 WHERE mb.chat_id = m.chat_id AND mb.user_id = $3))",
                user,
            ),
            SearchScope::Member(user) => (
                "EXISTS (SELECT 1 FROM members mb WHERE mb.chat_id = m.chat_id \
                 AND mb.user_id = $3)",
                user,
            ),
        };
        // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE ignores all case.
        let like = match self.engine {
            Engine::Postgres => "ILIKE",
            Engine::Sqlite => "LIKE",
        };
        let q = format!(
            "{MSG_SELECT} JOIN chats c ON c.id = m.chat_id \
             WHERE c.website_id = $1 AND c.deleted_at IS NULL AND m.deleted_at IS NULL{} \
             AND m.text {like} $2 ESCAPE '\\' AND {scope_sql} \
             AND (m.created_at < $4 OR (m.created_at = $4 AND m.id < $5)) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $6",
            whisper_filter(aud)
        );
        let pattern = format!("%{}%", like_escape(needle));
        let (before_at, before_id) = before.unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(&q)
            .bind(website)
            .bind(pattern)
            .bind(scope_arg)
            .bind(before_at)
            .bind(before_id)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn changes_since(
        &self,
        chat: &str,
        aud: Audience,
        rev: i64,
        limit: i64,
    ) -> AppResult<Vec<Message>> {
        let q = format!(
            "{MSG_SELECT} WHERE m.chat_id = $1 AND m.rev > $2{} ORDER BY m.rev LIMIT $3",
            whisper_filter(aud)
        );
        let rows = sqlx::query(&q)
            .bind(chat)
            .bind(rev)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn last_message(&self, chat: &str, aud: Audience) -> AppResult<Option<Message>> {
        let q = format!(
            "{MSG_SELECT} WHERE m.chat_id = $1 AND m.deleted_at IS NULL{}{IN_CHAT} \
             ORDER BY m.seq DESC LIMIT 1",
            whisper_filter(aud)
        );
        let row = sqlx::query(&q)
            .bind(chat)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn last_rev(&self, chat: &str, aud: Audience, cap: i64) -> AppResult<i64> {
        if aud.whispers {
            let v: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM chats WHERE id = $1")
                .bind(chat)
                .fetch_optional(&self.read)
                .await?;
            return Ok(v.unwrap_or(0).min(cap));
        }
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(m.rev) FROM messages m WHERE m.chat_id = $1 AND m.whisper = 0 \
             AND m.rev <= $2",
        )
        .bind(chat)
        .bind(cap)
        .fetch_one(&self.read)
        .await?;
        Ok(v.unwrap_or(0))
    }

    async fn mention_count(&self, chat: &str, user: &str, after_seq: i64) -> AppResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mentions x JOIN messages m ON m.chat_id = x.chat_id \
             AND m.seq = x.seq WHERE x.user_id = $1 AND x.chat_id = $2 AND x.seq > $3 \
             AND m.deleted_at IS NULL",
        )
        .bind(user)
        .bind(chat)
        .bind(after_seq)
        .fetch_one(&self.read)
        .await?;
        Ok(n.max(0) as u64)
    }

    async fn unread_count(
        &self,
        chat: &str,
        user: &str,
        after_seq: i64,
        aud: Audience,
    ) -> AppResult<u64> {
        let q = format!(
            "SELECT COUNT(*) FROM messages m WHERE m.chat_id = $1 AND m.seq > $2 \
             AND m.sender_id <> $3 AND m.deleted_at IS NULL{}{IN_CHAT}",
            whisper_filter(aud)
        );
        let n: i64 = sqlx::query_scalar(&q)
            .bind(chat)
            .bind(after_seq)
            .bind(user)
            .fetch_one(&self.read)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn insert_file(&self, f: &FileRecord) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO files (id, website_id, uploader_id, name, mime, size, kind, \
             has_thumbnail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&f.id)
        .bind(&f.website_id)
        .bind(&f.uploader_id)
        .bind(&f.name)
        .bind(&f.mime)
        .bind(f.size as i64)
        .bind(f.kind.as_str())
        .bind(f.has_thumbnail as i64)
        .bind(f.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn file(&self, id: &str) -> AppResult<Option<FileRecord>> {
        let row = sqlx::query(
            "SELECT id, website_id, uploader_id, name, mime, size, kind, has_thumbnail, \
             created_at FROM files WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(file_from_row).transpose()
    }
}

/// Finds or creates the chat with a unique key (direct pair, visitor conversation), making
/// `members` its members on creation. Returns whether it was created.
async fn unique_chat(
    s: &SqlStore,
    website: &str,
    kind: ChatKind,
    key: &str,
    members: &[&str],
    now: i64,
) -> AppResult<(ChatRecord, bool)> {
    let id = new_id("chat");
    let mut w = s.writer().await?;
    let mut tx = w.begin().await?;
    let res = sqlx::query(
        "INSERT INTO chats (id, website_id, kind, name, avatar, metadata, visibility, \
         unique_key, last_seq, last_activity_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, NULL, '{}', 'private', $4, 0, $5, NULL, $5, $5) \
         ON CONFLICT (website_id, unique_key) DO NOTHING",
    )
    .bind(&id)
    .bind(website)
    .bind(kind.as_str())
    .bind(key)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let created = res.rows_affected() == 1;
    if created {
        for m in members {
            sqlx::query(
                "INSERT INTO members (chat_id, user_id, joined_at, last_seen_seq) \
                 VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(*m)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    let q =
        format!("SELECT {CHAT_COLS} FROM chats c WHERE c.website_id = $1 AND c.unique_key = $2");
    let row = sqlx::query(&q)
        .bind(website)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    w.committed();
    Ok((chat_from_row(&row)?, created))
}
