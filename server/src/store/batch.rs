//! Group commit: message inserts from every connection are gathered into one transaction.
//!
//! A send waits until its transaction is committed (durable: SQLite runs with
//! `synchronous = FULL`), so nothing is acknowledged before it is on disk; but one fsync
//! covers every send that arrived while the previous commit was running. Under light load a
//! batch is a single message and nothing waits for a timer.
//!
//! Writers are sharded by chat: a chat's messages always go to the same writer, in the
//! order they were queued, so a chat's sequence numbers follow that order (one sender's
//! pipelined sends keep theirs) and two writers never compete for one chat's counter.
//!
//! **Admission.** A queue that only grows makes every accepted message late. Each writer
//! measures how many messages per second it commits while busy (a slower batch replaces the
//! estimate at once, a faster one is blended in); a send whose shard already holds more
//! than [`WriteLimits::max_wait_ms`] of work at that rate, counting what the commit in
//! progress has already taken (so a stalled fsync counts from its first second), or
//! [`WriteLimits::max_pending`] messages, is refused at once with `rate_limited` (the SDK's
//! outbox retries it later with the same client id) and never stored. Up to one batch is
//! always admitted, so a slow disk keeps its batches full: an accepted send waits for at
//! most the commit in progress and the next one.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

use super::{Inserted, NewMessage, Store};
use crate::error::{AppError, AppResult};
use chatix_protocol::ErrorCode;

/// Most messages in one transaction.
pub const MAX_BATCH: usize = 1024;
/// A shard holding fewer messages than this is never refused for its estimated delay: they
/// are stored by the next commit, whatever the rate estimate says. Lower than a batch, so a
/// stalled fsync still sheds a flood that would fit in one.
const MIN_ADMITTED: usize = 256;
/// Batches smaller than this say little about the writer's rate (a lone message costs a
/// whole fsync) and do not update it.
const RATE_SAMPLE_MIN: usize = 16;
/// The rate assumed before any busy batch was measured, messages per second per writer.
const INITIAL_RATE: f64 = 10_000.0;

/// When the writers refuse new messages.
#[derive(Debug, Clone, Copy)]
pub struct WriteLimits {
    /// Most queued work per writer, in milliseconds at its measured rate (0: no limit).
    pub max_wait_ms: u64,
    /// Most messages queued (not yet committed) over all writers.
    pub max_pending: usize,
}

impl Default for WriteLimits {
    fn default() -> Self {
        WriteLimits {
            max_wait_ms: 50,
            max_pending: MAX_BATCH * 16,
        }
    }
}

type Job = (NewMessage, oneshot::Sender<AppResult<Inserted>>);

struct Shard {
    tx: mpsc::UnboundedSender<Job>,
    /// Queued or being committed.
    pending: AtomicUsize,
    /// Messages per second this writer commits while busy (`f64` bits).
    rate: AtomicU64,
    /// When the commit in progress started, µs after [`WriteBatcher::epoch`] (0: none).
    commit_started_us: AtomicU64,
}

impl Shard {
    fn rate(&self) -> f64 {
        f64::from_bits(self.rate.load(Ordering::Relaxed))
    }

    /// How long the commit in progress has been running, ms (0 when idle).
    fn commit_running_ms(&self, epoch: Instant) -> f64 {
        match self.commit_started_us.load(Ordering::Relaxed) {
            0 => 0.0,
            at => (micros_since(epoch) as f64 - at as f64).max(0.0) / 1000.0,
        }
    }

    /// A busy batch committed `n` messages in `took` seconds. A slower sample replaces the
    /// estimate at once (a disk that starts to stall must not be trusted with a queue sized
    /// for its old speed); a faster one is blended in.
    fn note_rate(&self, n: usize, took: f64) {
        if n < RATE_SAMPLE_MIN || took <= 0.0 {
            return;
        }
        let sample = n as f64 / took;
        let old = self.rate();
        let new = if sample < old {
            sample
        } else {
            old * 0.7 + sample * 0.3
        };
        self.rate.store(new.to_bits(), Ordering::Relaxed);
    }
}

/// µs since `epoch`, at least 1 (0 means "no commit running").
fn micros_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The batching front of [`Store::insert_messages`].
#[derive(Clone)]
pub struct WriteBatcher {
    shards: Arc<[Shard]>,
    /// The origin of the shards' commit start times.
    epoch: Instant,
    limits: WriteLimits,
    /// Refused sends since start (logs and tests).
    refused: Arc<AtomicU64>,
}

/// A message accepted by a writer: resolves after its batch is committed.
pub struct PendingWrite(oneshot::Receiver<AppResult<Inserted>>);

impl PendingWrite {
    /// Waits for the commit.
    pub async fn wait(self) -> AppResult<Inserted> {
        self.0.await.unwrap_or_else(|_| {
            Err(AppError::new(
                ErrorCode::Unavailable,
                "the write was interrupted",
            ))
        })
    }
}

fn shard_of(chat_id: &str, n: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    chat_id.hash(&mut h);
    (h.finish() % n.max(1) as u64) as usize
}

impl WriteBatcher {
    /// Starts `workers` writer tasks (1 for SQLite, which has one writer anyway; a few for
    /// PostgreSQL).
    pub fn start(store: Arc<dyn Store>, workers: usize, limits: WriteLimits) -> WriteBatcher {
        let mut shards = Vec::new();
        let mut receivers = Vec::new();
        for _ in 0..workers.max(1) {
            let (tx, rx) = mpsc::unbounded_channel::<Job>();
            shards.push(Shard {
                tx,
                pending: AtomicUsize::new(0),
                rate: AtomicU64::new(INITIAL_RATE.to_bits()),
                commit_started_us: AtomicU64::new(0),
            });
            receivers.push(rx);
        }
        let shards: Arc<[Shard]> = shards.into();
        let epoch = Instant::now();
        for (i, mut rx) in receivers.into_iter().enumerate() {
            let (store, shards) = (store.clone(), shards.clone());
            tokio::spawn(async move {
                let shard = &shards[i];
                let mut batch = Vec::with_capacity(MAX_BATCH);
                loop {
                    if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
                        return;
                    }
                    let n = batch.len();
                    let (news, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
                    let started = Instant::now();
                    shard
                        .commit_started_us
                        .store(micros_since(epoch), Ordering::Relaxed);
                    let results = store.insert_messages(news).await;
                    shard.commit_started_us.store(0, Ordering::Relaxed);
                    shard.note_rate(n, started.elapsed().as_secs_f64());
                    shard.pending.fetch_sub(n, Ordering::AcqRel);
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
            });
        }
        WriteBatcher {
            shards,
            epoch,
            limits,
            refused: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues one message for the next batch of its chat's writer, or refuses it
    /// (`rate_limited`, nothing stored) when that writer is already behind.
    pub fn enqueue(&self, new: NewMessage) -> AppResult<PendingWrite> {
        let shard = &self.shards[shard_of(&new.chat_id, self.shards.len())];
        let per_shard_cap = (self.limits.max_pending / self.shards.len()).max(1);
        let queued = shard.pending.fetch_add(1, Ordering::AcqRel);
        // The work queued at the measured rate, plus what the commit in progress has already
        // taken: a stalled fsync shows here at once, before any batch finished slowly.
        let wait_ms =
            queued as f64 * 1000.0 / shard.rate().max(1.0) + shard.commit_running_ms(self.epoch);
        let too_slow = self.limits.max_wait_ms > 0
            && queued >= MIN_ADMITTED
            && wait_ms > self.limits.max_wait_ms as f64;
        if queued >= per_shard_cap || too_slow {
            shard.pending.fetch_sub(1, Ordering::AcqRel);
            let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    refused = n,
                    queued,
                    wait_ms,
                    "writer over capacity; refusing sends"
                );
            }
            return Err(AppError::new(
                ErrorCode::RateLimited,
                format!(
                    "the server is busy storing messages ({queued} waiting, about {} ms of work); \
                     not stored: retry in 1 s with the same clientId",
                    wait_ms.round() as u64
                ),
            ));
        }
        let (reply, rx) = oneshot::channel();
        if shard.tx.send((new, reply)).is_err() {
            shard.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::new(
                ErrorCode::Unavailable,
                "the server is shutting down",
            ));
        }
        Ok(PendingWrite(rx))
    }

    /// Stores one message (in whatever batch it lands in) and waits for the commit.
    pub async fn insert(&self, new: NewMessage) -> AppResult<Inserted> {
        self.enqueue(new)?.wait().await
    }

    /// Sends refused since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}
