//! Live fan-out: from a stored change to every connection that should see it.
//!
//! - A **connection** registers a [`ConnHandle`]: a bounded queue of pre-serialised frames
//!   plus a kill switch. A connection whose queue is full is a slow consumer: it is closed
//!   ([`close::SLOW_CONSUMER`]) rather than allowed to grow the server's memory; it resumes
//!   later.
//! - Each chat with local subscribers has a **room** ([`room`]), a task that owns the chat's
//!   delivery order. It knows the last `rev` it delivered; an event that is not the next one
//!   (two writers publishing out of order, or a lost event) makes it backfill from the
//!   database first, so subscribers get every change once, in `rev` order.
//! - Per-user and per-website-staff lists carry events that are not tied to a subscription
//!   (a chat created for you, presence, your account deleted).
//!
//! Frames are serialised once per event, not once per receiver.

pub mod access;
pub mod bus;
pub mod lag;
pub mod room;

use chatix_protocol::close;
use chatix_protocol::frame::Subscribed;
use chatix_protocol::{Message, ServerFrame, User};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::error::{AppError, AppResult};
use crate::store::{ChatRecord, Store};
use room::{Room, RoomCmd};

/// A serialised server frame, shared by all its receivers.
pub type Frame = Arc<str>;

/// Serialises a frame once.
pub fn frame(f: &ServerFrame) -> Frame {
    match serde_json::to_string(f) {
        Ok(s) => s.into(),
        Err(e) => {
            tracing::error!(error = %e, "could not serialise a frame");
            Arc::from("{\"type\":\"error\",\"code\":\"internal\",\"message\":\"serialisation\"}")
        }
    }
}

/// What the hub needs of a connection.
#[derive(Clone)]
pub struct ConnHandle {
    /// Unique per process.
    pub id: u64,
    /// Website.
    pub website_id: Arc<str>,
    /// The connected user.
    pub user: Arc<User>,
    /// Staff see whispers and drafts.
    pub staff: bool,
    tx: mpsc::Sender<Frame>,
    kill: CancellationToken,
    /// Set with `kill`: rooms check it after every event for each subscriber, and
    /// `CancellationToken::is_cancelled` takes a mutex (2% of a fan-out profile).
    closing: Arc<AtomicBool>,
    close_code: Arc<AtomicU16>,
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// The receiving side of a connection, kept by its socket task.
pub struct ConnReceiver {
    /// Frames to write.
    pub rx: mpsc::Receiver<Frame>,
    /// Cancelled when the hub wants the connection closed.
    pub kill: CancellationToken,
    close_code: Arc<AtomicU16>,
}

impl ConnReceiver {
    /// The close code the hub asked for (after `kill` fired).
    pub fn close_code(&self) -> u16 {
        self.close_code.load(Ordering::Relaxed)
    }
}

impl ConnHandle {
    /// A new connection with a queue of `capacity` frames.
    pub fn new(
        website_id: &str,
        user: User,
        staff: bool,
        capacity: usize,
    ) -> (ConnHandle, ConnReceiver) {
        let (tx, rx) = mpsc::channel(capacity.max(16));
        let kill = CancellationToken::new();
        let close_code = Arc::new(AtomicU16::new(close::GOING_AWAY));
        (
            ConnHandle {
                id: NEXT_CONN.fetch_add(1, Ordering::Relaxed),
                website_id: website_id.into(),
                user: Arc::new(user),
                staff,
                tx,
                kill: kill.clone(),
                closing: Arc::new(AtomicBool::new(false)),
                close_code: close_code.clone(),
            },
            ConnReceiver {
                rx,
                kill,
                close_code,
            },
        )
    }

    /// The user's id.
    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    /// Queues a frame without waiting; a full queue closes the connection as a slow
    /// consumer. Returns whether the frame was queued.
    pub fn push(&self, f: Frame) -> bool {
        match self.tx.try_send(f) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(close::SLOW_CONSUMER);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queues a frame, waiting up to `timeout` for room (replays, acks).
    pub async fn push_wait(&self, f: Frame, timeout: Duration) -> bool {
        match self.tx.send_timeout(f, timeout).await {
            Ok(()) => true,
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                self.close(close::SLOW_CONSUMER);
                false
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => false,
        }
    }

    /// Asks the connection to close with `code`.
    pub fn close(&self, code: u16) {
        if !self.closing.swap(true, Ordering::AcqRel) {
            self.close_code.store(code, Ordering::Relaxed);
            self.kill.cancel();
        }
    }

    /// The close code asked for (meaningful once [`ConnHandle::is_closed`]).
    pub fn close_code(&self) -> u16 {
        self.close_code.load(Ordering::Relaxed)
    }

    /// Resolves when the hub asks the connection to close.
    pub async fn closing(&self) {
        self.kill.cancelled().await
    }

    /// Whether the connection is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.closing.load(Ordering::Acquire) || self.tx.is_closed()
    }
}

/// What changed about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    /// Sent.
    New,
    /// Edited.
    Updated,
    /// Deleted (tombstone).
    Deleted,
    /// A reaction added ([`Reactor`] says whose).
    ReactionAdded,
    /// A reaction removed.
    ReactionRemoved,
    /// Pinned.
    Pinned,
    /// Unpinned.
    Unpinned,
}

/// Who reacted, and with what, for a reaction change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reactor {
    /// The reacting user.
    pub user_id: String,
    /// The reaction.
    pub reaction: String,
}

impl Change {
    /// How a reader whose cursor is `since` should see `m`: as new (it has never seen it),
    /// as an update or a deletion of what it has, or not at all (created and deleted while
    /// it was away).
    pub fn for_reader(m: &Message, since: i64) -> Option<Change> {
        if m.seq > since {
            (!m.deleted).then_some(Change::New)
        } else if m.deleted {
            Some(Change::Deleted)
        } else {
            Some(Change::Updated)
        }
    }

    /// The frame for a message with this change (a reaction change without its
    /// [`Reactor`] is written as an update).
    pub fn frame(self, m: &Message, reactor: Option<&Reactor>) -> ServerFrame {
        let (chat_id, message) = (m.chat_id.clone(), m.clone());
        match (self, reactor) {
            (Change::New, _) => ServerFrame::Message { chat_id, message },
            (Change::Deleted, _) => ServerFrame::MessageDeleted { chat_id, message },
            (Change::Pinned, _) => ServerFrame::MessagePinned { chat_id, message },
            (Change::Unpinned, _) => ServerFrame::MessageUnpinned { chat_id, message },
            (Change::ReactionAdded, Some(r)) => ServerFrame::ReactionAdded {
                chat_id,
                message,
                reaction: r.reaction.clone(),
                user_id: r.user_id.clone(),
            },
            (Change::ReactionRemoved, Some(r)) => ServerFrame::ReactionRemoved {
                chat_id,
                message,
                reaction: r.reaction.clone(),
                user_id: r.user_id.clone(),
            },
            _ => ServerFrame::MessageUpdated { chat_id, message },
        }
    }
}

/// An event to deliver (to this node's connections, and through the bus to the others).
#[derive(Clone, Serialize, Deserialize)]
pub enum Event {
    /// A message changed (its `rev` is the chat's sequence number of the change). Without
    /// the message, rooms load it from the database.
    Message {
        /// Chat.
        chat_id: String,
        /// The change's sequence number.
        rev: i64,
        /// What happened.
        change: Change,
        /// The message, when the publisher has it. The bus carries it too, so the other
        /// nodes deliver it without reading the database (they read only on a gap).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<Arc<Message>>,
        /// A reaction change: who and what. The message's `own_reactions` are then that
        /// user's, for their own sockets only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reactor: Option<Arc<Reactor>>,
    },
    /// A frame for a chat's subscribers: `all` for everyone, `staff` (when set) replaces it
    /// for staff, `staff_only` skips non-staff.
    Chat {
        /// Chat.
        chat_id: String,
        /// Frame for everyone.
        all: Frame,
        /// Frame for staff instead of `all`.
        staff: Option<Frame>,
        /// Deliver to staff only.
        staff_only: bool,
    },
    /// Chat's access changed: subscribers who lost it are dropped from the room.
    Recheck {
        /// Chat.
        chat_id: String,
        /// Users removed from the chat (dropped without a database check).
        removed: Vec<String>,
        /// The chat was deleted: drop everyone but staff.
        deleted: bool,
        /// The chat became private: drop non-staff subscribers who are not members.
        now_private: bool,
    },
    /// What [`access::AccessCache`] holds changed: a chat (`user_ids` empty: visibility,
    /// deletion, restore), memberships in it (added, removed), or users everywhere
    /// (`chat_id` none: user deleted).
    Access {
        /// The chat.
        chat_id: Option<String>,
        /// The users.
        user_ids: Vec<String>,
    },
    /// A frame for every connection of some users.
    Users {
        /// Website.
        website_id: String,
        /// Users.
        user_ids: Vec<String>,
        /// Frame.
        frame: Frame,
    },
    /// A frame for every staff connection of a website.
    Staff {
        /// Website.
        website_id: String,
        /// Frame.
        frame: Frame,
    },
    /// A website's blocklist changed: every node drops its cached copy.
    Blocklist {
        /// Website.
        website_id: String,
    },
    /// Close every connection of a user with "service restart" (they reconnect).
    Drop {
        /// Website.
        website_id: String,
        /// User.
        user_id: String,
    },
    /// Close every connection of a user (deleted, or token revoked).
    Kick {
        /// Website.
        website_id: String,
        /// User.
        user_id: String,
    },
    /// Cluster: the publishing node gained its first (or lost its last) connection of a user.
    NodePresence {
        /// Website.
        website_id: String,
        /// User.
        user_id: String,
        /// Online on that node now.
        online: bool,
    },
    /// Cluster: the publishing node is alive (every few seconds), with a digest of who is
    /// online on it: a node whose view of it differs (a lost presence event, a timeout
    /// while the bus was away) asks for its snapshot.
    NodeAlive {
        /// How many (website, user) pairs are online on the publishing node.
        #[serde(default)]
        users: u64,
        /// [`presence_digest`] of those pairs.
        #[serde(default)]
        digest: u64,
    },
    /// Cluster: every node should publish a [`Event::NodeSnapshot`] (a node (re)joined).
    PresenceSync,
    /// Cluster: node `node` should publish its [`Event::NodeSnapshot`].
    SnapshotRequest {
        /// The node asked.
        node: String,
    },
    /// Cluster: every user online on the publishing node.
    NodeSnapshot {
        /// (website, user) pairs.
        users: Vec<(String, String)>,
    },
}

/// A user of a website: the key of the per-user connection lists.
type UserKey = (Arc<str>, String);

/// A (website, user) pair's share of a [`presence_digest`]: FNV-1a, so that every node
/// (whatever its build) computes the same.
fn pair_hash(website: &str, user: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in website.bytes().chain([0]).chain(user.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// An order-free digest of a set of (website, user) pairs (XOR of their hashes).
pub fn presence_digest<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    pairs.fold(0, |d, (w, u)| d ^ pair_hash(w, u))
}

/// How long a node may stay silent on the bus before its users count as offline.
const NODE_TIMEOUT: Duration = Duration::from_secs(15);

/// The fan-out hub of one node.
pub struct Hub {
    store: Arc<dyn Store>,
    /// This node's id on the bus.
    node: String,
    /// The bus to the other nodes (none: a single node).
    bus: OnceLock<Arc<dyn bus::Bus>>,
    /// (website, user) → nodes where that user is online (other nodes only).
    remote: Mutex<HashMap<UserKey, HashSet<String>>>,
    /// Other nodes, and when they were last heard.
    nodes: Mutex<HashMap<String, Instant>>,
    rooms: Mutex<HashMap<String, mpsc::UnboundedSender<RoomCmd>>>,
    /// (website, user) → that user's connections on this node.
    users: Mutex<HashMap<UserKey, Vec<ConnHandle>>>,
    /// website → staff connections on this node.
    staff: Mutex<HashMap<Arc<str>, Vec<ConnHandle>>>,
    /// How far behind this node's tasks run (overload shedding).
    pub lag: lag::Lag,
    /// Chats and memberships for the send path's access check.
    pub access: access::AccessCache,
    /// Websites' blocklists for the send path.
    pub blocklists: crate::blocklist::Cache,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Hub {
    /// A hub reading backfills from `store`.
    pub fn new(store: Arc<dyn Store>) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            node: crate::util::random_hex(8),
            bus: OnceLock::new(),
            remote: Mutex::new(HashMap::new()),
            nodes: Mutex::new(HashMap::new()),
            rooms: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            staff: Mutex::new(HashMap::new()),
            lag: lag::Lag::default(),
            access: access::AccessCache::default(),
            blocklists: Default::default(),
        })
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// Connects the hub to a bus (cluster mode).
    pub fn set_bus(&self, bus: Arc<dyn bus::Bus>) {
        let _ = self.bus.set(bus);
    }

    /// The bus in use: `memory` (one node) or its name.
    pub fn bus_name(&self) -> &'static str {
        self.bus.get().map_or("memory", |b| b.name())
    }

    /// Publishes an event: delivered on this node now, and to the other nodes through the
    /// bus when there is one.
    pub fn publish(self: &Arc<Self>, ev: Event) {
        if let Some(bus) = self.bus.get() {
            bus.publish(&ev);
        }
        self.dispatch(ev);
    }

    /// An event another node published.
    pub fn receive(self: &Arc<Self>, origin: &str, ev: Event) {
        lock(&self.nodes).insert(origin.to_owned(), Instant::now());
        match ev {
            Event::NodePresence {
                website_id,
                user_id,
                online,
            } => {
                let mut remote = lock(&self.remote);
                let key = (Arc::from(website_id.as_str()), user_id);
                if online {
                    remote.entry(key).or_default().insert(origin.to_owned());
                } else if let Some(set) = remote.get_mut(&key) {
                    set.remove(origin);
                    if set.is_empty() {
                        remote.remove(&key);
                    }
                }
            }
            Event::NodeAlive { users, digest } => {
                let (held, mine) = {
                    let remote = lock(&self.remote);
                    let mut n = 0u64;
                    let mut d = 0u64;
                    for ((w, u), nodes) in remote.iter() {
                        if nodes.contains(origin) {
                            n += 1;
                            d ^= pair_hash(w, u);
                        }
                    }
                    (n, d)
                };
                if (held, mine) != (users, digest) {
                    if let Some(bus) = self.bus.get() {
                        bus.publish(&Event::SnapshotRequest {
                            node: origin.to_owned(),
                        });
                    }
                }
            }
            Event::SnapshotRequest { node } => {
                if node == self.node {
                    self.publish_snapshot();
                }
            }
            Event::PresenceSync => self.publish_snapshot(),
            Event::NodeSnapshot { users } => {
                let mut remote = lock(&self.remote);
                for set in remote.values_mut() {
                    set.remove(origin);
                }
                remote.retain(|_, s| !s.is_empty());
                for (w, u) in users {
                    remote
                        .entry((Arc::from(w.as_str()), u))
                        .or_default()
                        .insert(origin.to_owned());
                }
            }
            other => self.dispatch(other),
        }
    }

    fn publish_snapshot(&self) {
        if let Some(bus) = self.bus.get() {
            let users = lock(&self.users)
                .keys()
                .map(|(w, u)| (w.to_string(), u.clone()))
                .collect();
            bus.publish(&Event::NodeSnapshot { users });
        }
    }

    /// After joining the bus (or reconnecting to it): ask every node who is online, say who
    /// is online here, and have every room check the database for what it missed.
    pub fn resync(&self) {
        if let Some(bus) = self.bus.get() {
            bus.publish(&Event::PresenceSync);
        }
        self.publish_snapshot();
        // Messages and invalidations may have been lost while the bus was away.
        self.recover();
    }

    /// Periodic cluster upkeep: say we are alive (the heartbeat's number also shows a
    /// receiver whether it lost anything since), forget silent nodes.
    pub fn maintain(&self) {
        if let Some(bus) = self.bus.get() {
            let (users, digest) = {
                let users = lock(&self.users);
                let digest = presence_digest(users.keys().map(|(w, u)| (&**w, u.as_str())));
                (users.len() as u64, digest)
            };
            bus.publish(&Event::NodeAlive { users, digest });
        }
        let dead: Vec<String> = lock(&self.nodes)
            .iter()
            .filter(|(_, seen)| seen.elapsed() > NODE_TIMEOUT)
            .map(|(n, _)| n.clone())
            .collect();
        if !dead.is_empty() {
            let mut nodes = lock(&self.nodes);
            let mut remote = lock(&self.remote);
            for n in &dead {
                nodes.remove(n);
                for set in remote.values_mut() {
                    set.remove(n);
                }
            }
            remote.retain(|_, s| !s.is_empty());
        }
    }

    /// Events from another node were lost on the bus (a gap in its numbers, see
    /// [`bus`]): every room checks the database for changes it did not hear about, and the
    /// access cache forgets what an invalidation may have changed.
    pub fn recover(&self) {
        self.access.invalidate(None, &[]);
        self.blocklists.invalidate(None);
        self.tick_rooms();
    }

    /// Test hook: the bus drops the next `n` events this node publishes.
    pub fn lose_next_bus_events(&self, n: u64) -> bool {
        self.bus.get().map(|b| b.lose_next(n)).is_some()
    }

    /// One room checks the database (a retry after a failed check or backfill).
    pub fn tick_room(&self, chat_id: &str) {
        if let Some(tx) = lock(&self.rooms).get(chat_id) {
            let _ = tx.send(RoomCmd::Tick);
        }
    }

    fn tick_rooms(&self) {
        for tx in lock(&self.rooms).values() {
            let _ = tx.send(RoomCmd::Tick);
        }
    }

    /// Delivers an event to this node's connections.
    pub fn dispatch(self: &Arc<Self>, ev: Event) {
        match ev {
            Event::Message { ref chat_id, .. }
            | Event::Chat { ref chat_id, .. }
            | Event::Recheck { ref chat_id, .. } => {
                let tx = lock(&self.rooms).get(chat_id).cloned();
                if let Some(tx) = tx {
                    let _ = tx.send(RoomCmd::Event(ev));
                }
            }
            Event::Users {
                website_id,
                user_ids,
                frame,
            } => {
                let users = lock(&self.users);
                let site: Arc<str> = website_id.into();
                for u in user_ids {
                    if let Some(conns) = users.get(&(site.clone(), u)) {
                        for c in conns {
                            c.push(frame.clone());
                        }
                    }
                }
            }
            Event::Staff { website_id, frame } => {
                if let Some(conns) = lock(&self.staff).get(website_id.as_str()) {
                    for c in conns {
                        c.push(frame.clone());
                    }
                }
            }
            Event::Kick {
                website_id,
                user_id,
            } => self.close_user(website_id, user_id, close::REVOKED),
            Event::Access { chat_id, user_ids } => {
                self.access.invalidate(chat_id.as_deref(), &user_ids)
            }
            Event::Blocklist { website_id } => self.blocklists.invalidate(Some(&website_id)),
            Event::NodePresence { .. }
            | Event::NodeAlive { .. }
            | Event::SnapshotRequest { .. }
            | Event::PresenceSync
            | Event::NodeSnapshot { .. } => {}
            Event::Drop {
                website_id,
                user_id,
            } => self.close_user(website_id, user_id, close::RESTART),
        }
    }

    fn close_user(&self, website_id: String, user_id: String, code: u16) {
        if let Some(conns) = lock(&self.users).get(&(website_id.into(), user_id)) {
            for c in conns {
                c.close(code);
            }
        }
    }

    /// Registers a connection; returns `true` when it is its user's first on this node.
    pub fn register(&self, conn: &ConnHandle) -> bool {
        if conn.staff {
            lock(&self.staff)
                .entry(conn.website_id.clone())
                .or_default()
                .push(conn.clone());
        }
        let mut users = lock(&self.users);
        let list = users
            .entry((conn.website_id.clone(), conn.user.id.clone()))
            .or_default();
        list.push(conn.clone());
        let first = list.len() == 1;
        drop(users);
        if first {
            self.announce_node_presence(conn, true);
        }
        first
    }

    fn announce_node_presence(&self, conn: &ConnHandle, online: bool) {
        if let Some(bus) = self.bus.get() {
            bus.publish(&Event::NodePresence {
                website_id: conn.website_id.to_string(),
                user_id: conn.user.id.clone(),
                online,
            });
        }
    }

    /// Whether a user is online on another node.
    pub fn is_online_elsewhere(&self, website_id: &str, user_id: &str) -> bool {
        lock(&self.remote).contains_key(&(Arc::from(website_id), user_id.to_owned()))
    }

    /// Unregisters a connection; returns `true` when it was its user's last on this node.
    pub fn unregister(&self, conn: &ConnHandle) -> bool {
        if conn.staff {
            let mut staff = lock(&self.staff);
            if let Some(list) = staff.get_mut(&conn.website_id) {
                list.retain(|c| c.id != conn.id);
                if list.is_empty() {
                    staff.remove(&conn.website_id);
                }
            }
        }
        let mut users = lock(&self.users);
        let key = (conn.website_id.clone(), conn.user.id.clone());
        let Some(list) = users.get_mut(&key) else {
            return false;
        };
        list.retain(|c| c.id != conn.id);
        let last = list.is_empty();
        if last {
            users.remove(&key);
        }
        drop(users);
        if last {
            self.announce_node_presence(conn, false);
        }
        last
    }

    /// Whether a user has a connection on any node.
    pub fn is_online(&self, website_id: &str, user_id: &str) -> bool {
        lock(&self.users).contains_key(&(Arc::from(website_id), user_id.to_owned()))
            || self.is_online_elsewhere(website_id, user_id)
    }

    /// Users with a connection on any node, of one website.
    pub fn online_users(&self, website_id: &str) -> Vec<String> {
        let mut out: HashSet<String> = lock(&self.users)
            .keys()
            .filter(|(w, _)| &**w == website_id)
            .map(|(_, u)| u.clone())
            .collect();
        out.extend(
            lock(&self.remote)
                .keys()
                .filter(|(w, _)| &**w == website_id)
                .map(|(_, u)| u.clone()),
        );
        out.into_iter().collect()
    }

    /// Number of connections on this node.
    pub fn connection_count(&self) -> usize {
        lock(&self.users).values().map(Vec::len).sum()
    }

    /// Subscribes a connection to a chat (access already checked), replaying what it missed
    /// since `since` before it goes live.
    pub async fn subscribe(
        self: &Arc<Self>,
        conn: &ConnHandle,
        chat: &ChatRecord,
        since: Option<i64>,
    ) -> AppResult<Subscribed> {
        for _ in 0..5 {
            let tx = self.room(chat);
            let (reply, rx) = oneshot::channel();
            let cmd = RoomCmd::Subscribe {
                conn: conn.clone(),
                since,
                reply,
            };
            if tx.send(cmd).is_err() {
                continue; // the room just closed; make a new one
            }
            match rx.await {
                Ok(res) => return res,
                Err(_) => continue,
            }
        }
        Err(AppError::internal("could not reach the chat's room"))
    }

    /// Unsubscribes a connection from a chat.
    pub fn unsubscribe(&self, conn_id: u64, chat_id: &str) {
        if let Some(tx) = lock(&self.rooms).get(chat_id) {
            let _ = tx.send(RoomCmd::Unsubscribe { conn_id });
        }
    }

    /// The room of a chat, started if needed.
    fn room(self: &Arc<Self>, chat: &ChatRecord) -> mpsc::UnboundedSender<RoomCmd> {
        let mut rooms = lock(&self.rooms);
        if let Some(tx) = rooms.get(&chat.id) {
            if !tx.is_closed() {
                return tx.clone();
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        rooms.insert(chat.id.clone(), tx.clone());
        let room = Room::new(chat.id.clone(), self.store.clone(), Arc::downgrade(self));
        tokio::spawn(room.run(rx));
        tx
    }

    /// Number of rooms with subscribers on this node.
    pub fn room_count(&self) -> usize {
        lock(&self.rooms).len()
    }
}
