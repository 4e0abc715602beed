//! What the send path's access check needs (a chat and the sender's membership), kept in
//! memory per node so that a send reads nothing from the database.
//!
//! Every change to it is followed by an [`super::Event::Access`] published on the bus
//! (after the database commit, before the change's other events): each node drops what it
//! holds of that chat (visibility, deletion, restore), of those memberships (added,
//! removed), or of those users everywhere (user deleted). A load that raced with an
//! invalidation is not kept (a generation number, bumped by each invalidation, must be the
//! same before the read and at the insert). After a bus reconnect (events may have been
//! lost) the cache is emptied; entries also expire after [`TTL`] as a last resort.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::{ChatRecord, MemberRecord, Standing};

/// Longest an entry is trusted without being reloaded.
pub const TTL: Duration = Duration::from_secs(30);
/// Most chats held; beyond it the cache starts over.
const MAX_CHATS: usize = 100_000;
/// Most memberships held per chat; beyond it that chat's start over.
const MAX_MEMBERS: usize = 20_000;

struct Entry {
    chat: ChatRecord,
    loaded: Instant,
    /// user → membership (`None`: known not to be a member) and mute/ban there.
    members: HashMap<String, (Option<MemberRecord>, Standing, Instant)>,
}

struct Inner {
    generation: u64,
    chats: HashMap<String, Entry>,
}

/// The per-node access cache.
pub struct AccessCache {
    inner: Mutex<Inner>,
}

impl Default for AccessCache {
    fn default() -> Self {
        AccessCache {
            inner: Mutex::new(Inner {
                generation: 0,
                chats: HashMap::new(),
            }),
        }
    }
}

impl AccessCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Taken before a database read whose result will be [`Self::put`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The chat, `user`'s membership and standing, if held and fresh.
    pub fn get(
        &self,
        chat_id: &str,
        user: &str,
    ) -> Option<(ChatRecord, Option<MemberRecord>, Standing)> {
        let inner = self.lock();
        let e = inner.chats.get(chat_id)?;
        let (m, st, at) = e.members.get(user)?;
        (e.loaded.elapsed() < TTL && at.elapsed() < TTL)
            .then(|| (e.chat.clone(), m.clone(), st.clone()))
    }

    /// Keeps what a read started at `generation` found, unless something was invalidated
    /// since.
    pub fn put(
        &self,
        generation: u64,
        chat: &ChatRecord,
        user: &str,
        member: Option<&MemberRecord>,
        standing: &Standing,
    ) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.chats.len() >= MAX_CHATS && !inner.chats.contains_key(&chat.id) {
            inner.chats.clear();
        }
        let now = Instant::now();
        let e = inner.chats.entry(chat.id.clone()).or_insert_with(|| Entry {
            chat: chat.clone(),
            loaded: now,
            members: HashMap::new(),
        });
        if e.loaded.elapsed() >= TTL {
            e.chat = chat.clone();
            e.loaded = now;
            e.members.clear();
        }
        if e.members.len() >= MAX_MEMBERS {
            e.members.clear();
        }
        e.members
            .insert(user.to_owned(), (member.cloned(), standing.clone(), now));
    }

    /// Drops a chat (`users` empty), some of its memberships, some users everywhere
    /// (`chat_id` none), or everything (both empty).
    pub fn invalidate(&self, chat_id: Option<&str>, users: &[String]) {
        let mut inner = self.lock();
        inner.generation += 1;
        match (chat_id, users.is_empty()) {
            (Some(c), true) => {
                inner.chats.remove(c);
            }
            (Some(c), false) => {
                if let Some(e) = inner.chats.get_mut(c) {
                    for u in users {
                        e.members.remove(u);
                    }
                }
            }
            (None, false) => {
                for e in inner.chats.values_mut() {
                    for u in users {
                        e.members.remove(u);
                    }
                }
            }
            (None, true) => inner.chats.clear(),
        }
    }
}
