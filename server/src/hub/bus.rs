//! Fan-out across nodes: the [`Bus`] trait and its Redis pub/sub implementation.
//!
//! With one node there is no bus: the hub delivers locally. With several, every event a
//! node publishes is delivered locally at once *and* published on Redis (channel
//! `chatix:events`); every other node dispatches it to its own connections.
//!
//! A message event carries the stored message, so a node that hears "chat C changed at rev
//! R" delivers it without reading the database when R is the next rev it expects. The
//! database stays the source of truth: pub/sub is fire-and-forget, so a lost event shows up
//! as a gap (the next rev is not the one expected) and the room backfills from the
//! database before delivering anything newer.
//!
//! A lost event that no later event of its chat reveals (the last message before a quiet
//! spell, an access change) is found without polling: each node numbers what it publishes
//! (`seq`, one counter per node, an event it dropped still takes its number), and its
//! `NodeAlive` heartbeat every 5 s carries a number too. A receiver that sees a node's
//! numbers jump, or hears a node for the first time since it subscribed, has every room
//! check the database once and forgets the access it cached ([`Hub::recover`]); after a
//! Redis reconnection it does the same. In the steady state no room reads the database.

use futures_util::StreamExt;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Event, Hub};

/// The Redis channel every node publishes to and listens on.
pub const CHANNEL: &str = "chatix:events";

/// Something that carries events to the other nodes.
pub trait Bus: Send + Sync + 'static {
    /// Name for `/healthz`.
    fn name(&self) -> &'static str;
    /// Queues an event for the other nodes (never blocks; may drop when the bus is down:
    /// receivers recover from the database).
    fn publish(&self, ev: &Event);
    /// Test hook: drop the next `n` events this node publishes, as a failing bus would.
    fn lose_next(&self, n: u64);
}

/// An event on the wire, stamped with the node that published it and its number in that
/// node's stream (1, 2, 3…; a gap means events were lost). Written by [`publish_loop`].
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: String,
    #[serde(default)]
    seq: u64,
    event: Event,
}

/// Redis pub/sub.
pub struct RedisBus {
    /// Each event's JSON, without its envelope.
    tx: mpsc::Sender<String>,
    /// Events dropped because the queue was full (logged at powers of two); the publisher
    /// leaves a gap in its numbers for them.
    full: Arc<AtomicU64>,
    /// [`Bus::lose_next`].
    lose: Arc<AtomicU64>,
}

/// Events waiting to be published; beyond it they are dropped (and recovered like any
/// lost event).
const QUEUE: usize = 65_536;

impl Bus for RedisBus {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn publish(&self, ev: &Event) {
        match serde_json::to_string(ev) {
            Ok(s) => {
                if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(s) {
                    let n = self.full.fetch_add(1, Ordering::Relaxed) + 1;
                    if n.is_power_of_two() {
                        tracing::warn!(dropped = n, "redis publish queue full; events dropped");
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "could not serialise a bus event"),
        }
    }

    fn lose_next(&self, n: u64) {
        self.lose.fetch_add(n, Ordering::Relaxed);
    }
}

impl RedisBus {
    /// Connects to Redis and starts the publisher and subscriber tasks for `hub`.
    pub async fn start(
        url: &str,
        node: String,
        hub: Weak<Hub>,
        stop: CancellationToken,
    ) -> anyhow::Result<Arc<RedisBus>> {
        let client = redis::Client::open(url)?;
        // Fail at start when Redis cannot be reached at all (a wrong URL says so at once).
        drop(client.get_multiplexed_async_connection().await?);
        let (tx, rx) = mpsc::channel(QUEUE);
        let (full, lose) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let stream = Stream {
            origin: serde_json::to_string(&node)?,
            seq: 0,
            full: full.clone(),
            full_seen: 0,
            lose: lose.clone(),
        };
        tokio::spawn(publish_loop(client.clone(), rx, stream, stop.clone()));
        tokio::spawn(subscribe_loop(client, node, hub, stop));
        Ok(Arc::new(RedisBus { tx, full, lose }))
    }
}

/// How long one publish (or connecting the publisher) may take before the connection is
/// given up and made again.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// The numbering of one node's published events (owned by [`publish_loop`], the only
/// place events leave in order).
struct Stream {
    /// This node's id, as a JSON string.
    origin: String,
    /// The last number given.
    seq: u64,
    /// [`RedisBus::full`], and how much of it is already a gap in the numbers.
    full: Arc<AtomicU64>,
    full_seen: u64,
    /// [`RedisBus::lose`].
    lose: Arc<AtomicU64>,
}

impl Stream {
    /// The next event's envelope, or `None` when the test hook drops it (its number then
    /// stays a gap, as for any lost event).
    fn envelope(&mut self, event: &str) -> Option<String> {
        let full = self.full.load(Ordering::Relaxed);
        if full != self.full_seen {
            // Events dropped on a full queue never reached this loop: leave a gap for them.
            self.full_seen = full;
            self.seq += 1;
        }
        self.seq += 1;
        let lost = self
            .lose
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        (!lost).then(|| {
            format!(
                "{{\"origin\":{},\"seq\":{},\"event\":{event}}}",
                self.origin, self.seq
            )
        })
    }

    /// Events dropped here (Redis unreachable): their numbers become a gap.
    fn skip(&mut self, n: u64) {
        self.seq += n;
    }
}

/// Publishes queued events on a connection of its own. A failed or stalled publish drops
/// the connection and the event; while Redis cannot be reached, queued events are dropped
/// too rather than held (a queue that grows for the length of an outage would be published
/// late and all at once): other nodes recover them from the database when they see the
/// gap in this node's numbers (or when their subscription resyncs). redis-rs's
/// `ConnectionManager` was used here before, and after Redis had been down for a minute its
/// publish never returned.
async fn publish_loop(
    client: redis::Client,
    mut rx: mpsc::Receiver<String>,
    mut stream: Stream,
    stop: CancellationToken,
) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    let mut attempt = 0u32;
    loop {
        let msg = tokio::select! {
            _ = stop.cancelled() => return,
            m = rx.recv() => match m { Some(m) => m, None => return },
        };
        if conn.is_none() {
            match tokio::time::timeout(PUBLISH_TIMEOUT, client.get_multiplexed_async_connection())
                .await
            {
                Ok(Ok(c)) => {
                    if attempt > 0 {
                        tracing::info!("redis publisher reconnected");
                    }
                    attempt = 0;
                    conn = Some(c);
                }
                failed => {
                    attempt += 1;
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".to_owned(),
                    };
                    let mut dropped = 1usize;
                    while rx.try_recv().is_ok() {
                        dropped += 1;
                    }
                    stream.skip(dropped as u64);
                    tracing::warn!(%error, dropped, "cannot reach redis to publish; events dropped");
                    let wait = Duration::from_millis((100u64 << attempt.min(5)).min(2_000));
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let Some(msg) = stream.envelope(&msg) else {
            continue;
        };
        match tokio::time::timeout(PUBLISH_TIMEOUT, c.publish::<_, _, i64>(CHANNEL, msg)).await {
            Ok(Ok(_)) => {}
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_owned(),
                };
                // Dropped: other nodes recover it from the database (gap check, resync).
                tracing::warn!(%error, "redis publish failed; event dropped, reconnecting");
                conn = None;
            }
        }
    }
}

async fn subscribe_loop(
    client: redis::Client,
    node: String,
    hub: Weak<Hub>,
    stop: CancellationToken,
) {
    let mut attempt = 0u32;
    loop {
        if stop.is_cancelled() {
            return;
        }
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(e) = pubsub.subscribe(CHANNEL).await {
                    tracing::warn!(error = %e, "redis subscribe failed");
                } else {
                    attempt = 0;
                    tracing::info!("subscribed to redis fan-out");
                    // Anything published while we were not listening is in the database:
                    // every room checks, and every node tells who is online on it.
                    if let Some(h) = hub.upgrade() {
                        h.resync();
                    }
                    // The last number heard from each node, since this subscription began.
                    let mut heard: HashMap<String, u64> = HashMap::new();
                    let mut stream = pubsub.on_message();
                    loop {
                        let msg = tokio::select! {
                            _ = stop.cancelled() => return,
                            m = stream.next() => m,
                        };
                        let Some(msg) = msg else { break };
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        let Ok(env) = serde_json::from_str::<Envelope>(&payload) else {
                            tracing::warn!("ignoring an unreadable bus event");
                            continue;
                        };
                        if env.origin == node {
                            continue;
                        }
                        let Some(h) = hub.upgrade() else { return };
                        let last = heard.insert(env.origin.clone(), env.seq);
                        if last.is_none_or(|l| env.seq != l + 1) {
                            // Events of that node were lost (or it is new to us: what it
                            // published before we heard it may be lost too).
                            tracing::debug!(origin = %env.origin, last = ?last, seq = env.seq, "gap in a node's bus events; rooms check the database");
                            h.recover();
                        }
                        h.receive(&env.origin, env.event);
                    }
                    tracing::warn!("redis fan-out connection lost; reconnecting");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot reach redis; retrying"),
        }
        attempt += 1;
        let wait = Duration::from_millis((100u64 << attempt.min(6)).min(5_000));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
