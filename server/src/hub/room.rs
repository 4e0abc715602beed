//! A room: the task that delivers one chat's events to this node's subscribers, in order.
//!
//! The room holds `last_rev`, the chat's highest sequence number it has delivered (or
//! that was already stored when it started). For each message event:
//!
//! - `rev <= last_rev`: already delivered (or stored before anyone here subscribed) → drop;
//! - `rev == last_rev + 1` with the message attached → deliver it;
//! - otherwise (out of order, or no message attached) → load every change after `last_rev`
//!   from the database and deliver those, in order. The database is the source of truth;
//!   events only say "look".
//!
//! A subscription with a cursor is served here too, between two events: the changes in
//! `(since, last_rev]` the subscriber may see are queued to it, then it joins the live
//! list. Everything after `last_rev` reaches it live. Nothing is in both, nothing in neither.
//! A cursor beyond `last_rev` (the client saw newer changes through another node, before
//! the bus told this one) first brings the room up to date from the database.

use chatix_protocol::frame::Subscribed;
use chatix_protocol::{ErrorCode, Message, ServerFrame};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

use super::{frame, Change, ConnHandle, Event, Frame, Hub, Reactor};

use crate::error::{AppError, AppResult};
use crate::store::{Audience, Store};

/// Database reads the rooms of this process made to fan out, by kind, for `/healthz` and
/// the bench: with the message on the bus, a cluster fans out without reading (see
/// `Event::Message`).
pub mod reads {
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A room's first position (once per room and node, when its first subscriber comes).
    pub static POSITION: AtomicU64 = AtomicU64::new(0);
    /// A room asking the database whether it missed a change (a gap in a node's bus
    /// events, a bus resync, a cursor ahead of the room).
    pub static CHECK: AtomicU64 = AtomicU64::new(0);
    /// Each page of a backfill after a gap.
    pub static BACKFILL: AtomicU64 = AtomicU64::new(0);

    pub(crate) fn count(kind: &AtomicU64) {
        kind.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far (`/healthz`'s `fanoutReadsByKind`).
    #[derive(Debug, Clone, Copy, serde::Serialize)]
    pub struct Reads {
        /// [`POSITION`].
        pub position: u64,
        /// [`CHECK`].
        pub check: u64,
        /// [`BACKFILL`].
        pub backfill: u64,
    }

    impl Reads {
        /// All kinds together.
        pub fn total(&self) -> u64 {
            self.position + self.check + self.backfill
        }
    }

    /// The counts so far.
    pub fn snapshot() -> Reads {
        let get = |k: &AtomicU64| k.load(Ordering::Relaxed);
        Reads {
            position: get(&POSITION),
            check: get(&CHECK),
            backfill: get(&BACKFILL),
        }
    }
}

/// Rows read per database round trip during replay and backfill.
const PAGE: i64 = 500;
/// How soon a failed room check or backfill is tried again.
const RETRY: Duration = Duration::from_secs(2);
/// How long a replay may wait for room in a subscriber's queue.
const REPLAY_WAIT: Duration = Duration::from_secs(5);

/// Commands a room handles, one at a time.
pub enum RoomCmd {
    /// Add a subscriber after replaying from `since`.
    Subscribe {
        /// The connection.
        conn: ConnHandle,
        /// Its cursor.
        since: Option<i64>,
        /// Where the replay ended.
        reply: oneshot::Sender<AppResult<Subscribed>>,
    },
    /// Remove a subscriber.
    Unsubscribe {
        /// The connection.
        conn_id: u64,
    },
    /// An event for this chat.
    Event(Event),
    /// Check the database for changes not heard about (events lost on the bus, a bus
    /// reconnect, a failed backfill's retry).
    Tick,
}

/// One chat's delivery state on this node.
pub struct Room {
    chat_id: String,
    store: Arc<dyn Store>,
    hub: Weak<Hub>,
    /// Highest sequence number delivered; `None` until loaded.
    last_rev: Option<i64>,
    subs: HashMap<u64, ConnHandle>,
}

impl Room {
    /// A room for a chat; it loads its position when it starts.
    pub fn new(chat_id: String, store: Arc<dyn Store>, hub: Weak<Hub>) -> Room {
        Room {
            chat_id,
            store,
            hub,
            last_rev: None,
            subs: HashMap::new(),
        }
    }

    /// Runs until the last subscriber leaves.
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<RoomCmd>) {
        while let Some(cmd) = rx.recv().await {
            match cmd {
                RoomCmd::Subscribe { conn, since, reply } => {
                    let res = self.subscribe(conn, since).await;
                    let _ = reply.send(res);
                }
                RoomCmd::Unsubscribe { conn_id } => {
                    if let Some(conn) = self.subs.remove(&conn_id) {
                        self.announce_presence(&conn, false);
                    }
                }
                RoomCmd::Event(ev) => self.on_event(ev).await,
                RoomCmd::Tick => self.check_store().await,
            }
            self.subs.retain(|_, c| !c.is_closed());
            if self.subs.is_empty() && self.close_if_idle(&mut rx) {
                return;
            }
        }
    }

    /// With no subscriber left, the room unregisters itself. Under the hub's room-map lock
    /// nobody can take a new sender to this room, so an empty inbox then stays empty;
    /// senders taken earlier see the closed channel and retry on a new room.
    fn close_if_idle(&self, rx: &mut mpsc::UnboundedReceiver<RoomCmd>) -> bool {
        let Some(hub) = self.hub.upgrade() else {
            return true;
        };
        let mut rooms = super::lock(&hub.rooms);
        if !rx.is_empty() {
            return false;
        }
        // The entry is ours: a room is only replaced once its channel is closed.
        rooms.remove(&self.chat_id);
        rx.close();
        true
    }

    async fn position(&mut self) -> AppResult<i64> {
        if let Some(r) = self.last_rev {
            return Ok(r);
        }
        reads::count(&reads::POSITION);
        let r = self
            .store
            .last_rev(&self.chat_id, Audience { whispers: true }, i64::MAX)
            .await?;
        self.last_rev = Some(r);
        Ok(r)
    }

    async fn subscribe(&mut self, conn: ConnHandle, since: Option<i64>) -> AppResult<Subscribed> {
        let mut last = self.position().await?;
        if since.is_some_and(|s| s > last) {
            // The client holds changes this room has not delivered yet: it saw them through
            // another node while the bus event is still on its way here. Catch up with the
            // database first, or those changes would reach the client twice.
            self.check_store().await;
            last = self.position().await?;
        }
        let aud = Audience {
            whispers: conn.staff,
        };
        let mut replayed = 0u64;
        let mut cursor = since.unwrap_or(last);
        if cursor > last {
            conn.push(frame(&ServerFrame::Gap {
                chat_id: self.chat_id.clone(),
                since: cursor,
                last_seq: last,
                reason: "the client's cursor is ahead of the chat's history; reload it".into(),
            }));
            cursor = last;
        }
        let since_cursor = cursor;
        while cursor < last {
            let mut page = self
                .store
                .changes_since(&self.chat_id, aud, cursor, PAGE)
                .await?;
            // A replay is this reader's own: it carries their own reactions.
            crate::store::fill_own_reactions(&*self.store, &conn.user.id, &mut page, false).await?;
            let mut progressed = false;
            for m in page.iter().filter(|m| m.rev <= last) {
                progressed = true;
                cursor = m.rev;
                if let Some(change) = Change::for_reader(m, since_cursor) {
                    if !conn
                        .push_wait(frame(&change.frame(m, None)), REPLAY_WAIT)
                        .await
                    {
                        return Err(AppError::new(
                            ErrorCode::RateLimited,
                            "the connection did not take the replay fast enough",
                        ));
                    }
                    replayed += 1;
                }
            }
            if !progressed || (page.len() as i64) < PAGE {
                break;
            }
        }
        let visible_last = if conn.staff {
            last
        } else {
            self.store.last_rev(&self.chat_id, aud, last).await?
        };
        let first_of_user = !self.subs.values().any(|c| c.user.id == conn.user.id);
        self.subs.insert(conn.id, conn.clone());
        if first_of_user {
            self.announce_presence(&conn, true);
        }
        Ok(Subscribed {
            chat_id: self.chat_id.clone(),
            last_seq: visible_last,
            replayed,
        })
    }

    /// Tells the others that a user connected to (or left) the chat, once per user.
    fn announce_presence(&self, conn: &ConnHandle, connected: bool) {
        if !connected && self.subs.values().any(|c| c.user.id == conn.user.id) {
            return;
        }
        let user = (*conn.user).clone();
        let chat_id = self.chat_id.clone();
        let f = frame(&if connected {
            ServerFrame::MemberConnected { chat_id, user }
        } else {
            ServerFrame::MemberDisconnected { chat_id, user }
        });
        for c in self.subs.values().filter(|c| c.id != conn.id) {
            c.push(f.clone());
        }
    }

    async fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Message {
                rev,
                change,
                message,
                reactor,
                ..
            } => {
                let last = match self.position().await {
                    Ok(r) => r,
                    Err(_) => return,
                };
                if rev <= last {
                    return;
                }
                match message {
                    Some(m) if rev == last + 1 => {
                        self.deliver(&m, change, reactor.as_deref());
                        self.last_rev = Some(rev);
                    }
                    _ => self.backfill(last).await,
                }
            }
            Event::Chat {
                all,
                staff,
                staff_only,
                ..
            } => {
                for c in self.subs.values() {
                    if c.staff {
                        c.push(staff.clone().unwrap_or_else(|| all.clone()));
                    } else if !staff_only {
                        c.push(all.clone());
                    }
                }
            }
            Event::Recheck {
                removed,
                deleted,
                now_private,
                ..
            } => {
                let mut drop_ids: Vec<u64> = self
                    .subs
                    .values()
                    .filter(|c| removed.contains(&c.user.id) || (deleted && !c.staff))
                    .map(|c| c.id)
                    .collect();
                if now_private {
                    for c in self.subs.values().filter(|c| !c.staff) {
                        let member = self.store.member(&self.chat_id, &c.user.id).await;
                        if !matches!(member, Ok(Some(_))) {
                            drop_ids.push(c.id);
                        }
                    }
                }
                for id in drop_ids {
                    self.subs.remove(&id);
                }
            }
            _ => {}
        }
    }

    /// Backfills when the database holds changes this room did not hear about.
    async fn check_store(&mut self) {
        let Some(last) = self.last_rev else { return };
        reads::count(&reads::CHECK);
        let stored = self
            .store
            .last_rev(&self.chat_id, Audience { whispers: true }, i64::MAX)
            .await;
        match stored {
            Ok(s) if s > last => self.backfill(last).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(chat = %self.chat_id, error = %e.0, "room check failed; retrying");
                self.retry_later();
            }
        }
    }

    /// Nothing polls: a check or backfill the database failed is asked again in a moment.
    fn retry_later(&self) {
        let (hub, chat) = (self.hub.clone(), self.chat_id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(RETRY).await;
            if let Some(h) = hub.upgrade() {
                h.tick_room(&chat);
            }
        });
    }

    /// Delivers every stored change after `from`, in order.
    async fn backfill(&mut self, from: i64) {
        let mut cursor = from;
        loop {
            reads::count(&reads::BACKFILL);
            let page = match self
                .store
                .changes_since(&self.chat_id, Audience { whispers: true }, cursor, PAGE)
                .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(chat = %self.chat_id, error = %e.0, "backfill failed; retrying");
                    self.retry_later();
                    break;
                }
            };
            for m in &page {
                if let Some(change) = Change::for_reader(m, from) {
                    self.deliver(m, change, None);
                }
                cursor = m.rev;
            }
            if (page.len() as i64) < PAGE {
                break;
            }
        }
        self.last_rev = Some(cursor);
    }

    /// Live fan-out. The sender's idempotency key (`clientId`) goes only to the sender's
    /// own connections (which match it to what they sent); everyone else's frame leaves
    /// it out, ~50 bytes less per message on their wire and in their memory. Likewise a
    /// reaction change's `ownReactions` (the reactor's) go only to the reactor's own
    /// connections. So a frame has up to four forms, each serialised once, when needed.
    fn deliver(&self, m: &Message, change: Change, reactor: Option<&Reactor>) {
        let own_of = reactor.map(|r| r.user_id.as_str());
        // [sender?][reactor?]; the message as it is suits the sender (and the reactor).
        let mut forms: [Option<Frame>; 4] = Default::default();
        let plain = m.client_id.is_none() && m.own_reactions.is_none();
        for c in self.subs.values() {
            if m.whisper && !c.staff {
                continue;
            }
            let sender = c.user_id() == m.sender_id;
            let reacting = own_of == Some(c.user_id());
            let k = if plain {
                0
            } else {
                usize::from(sender) | usize::from(reacting) << 1
            };
            let f = forms[k].get_or_insert_with(|| {
                if plain || (sender && (reacting || m.own_reactions.is_none())) {
                    return frame(&change.frame(m, reactor));
                }
                let mut v = m.clone();
                if !sender {
                    v.client_id = None;
                }
                if !reacting {
                    v.own_reactions = None;
                }
                frame(&change.frame(&v, reactor))
            });
            c.push(f.clone());
        }
    }
}
