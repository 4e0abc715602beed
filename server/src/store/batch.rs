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
//! models what a commit costs as a fixed part (the fsync, the transaction) plus a part per
//! message, fitted over its recent batches ([`CostModel`]; a batch much slower than
//! predicted restarts the fit from that batch, so a disk that starts to stall is not
//! trusted with a queue sized for its old speed). A send is refused at once with
//! `rate_limited` (the SDK's outbox retries it later with the same client id; nothing is
//! stored) when the wait it would have (the rest of the commit in progress, or, once that
//! commit has run past its prediction, as long again: a stalled fsync counts from its first
//! milliseconds; then the batches ahead of it) exceeds [`WriteLimits::max_wait_ms`], or when
//! [`WriteLimits::max_pending`] messages are waiting. A shard holding fewer than
//! [`MIN_ADMITTED`] is always admitted. One rate (messages over seconds) would not do: a
//! batch of 20 measures a fsync, not what 1,000 queued messages cost in the one or two
//! commits that store them, and it refused sends with a fifth of the CPU idle.

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
/// are stored by the next commit, whatever the cost model says. Lower than a batch, so a
/// stalled fsync still sheds a flood that would fit in one.
const MIN_ADMITTED: usize = 256;
/// The cost per message assumed before any batch was measured, ms.
const INITIAL_PER_MESSAGE_MS: f64 = 0.1;
/// Batches this small, all alike, measure a commit's fixed cost only.
const SMALL_BATCH: usize = 16;
/// Weight kept by the fit's past batches at each new one.
const DECAY: f64 = 0.9;
/// A batch slower than this many times its prediction restarts the fit from it.
const STALL_FACTOR: f64 = 2.0;

/// When the writers refuse new messages.
#[derive(Debug, Clone, Copy)]
pub struct WriteLimits {
    /// Most queued work per writer, in milliseconds by its cost model (0: no limit).
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
    /// Messages in the commit in progress (0: none).
    committing: AtomicUsize,
    /// The fitted fixed cost of a commit, ms (`f64` bits).
    fixed_ms: AtomicU64,
    /// The fitted cost per message, ms (`f64` bits).
    per_message_ms: AtomicU64,
    /// When the commit in progress started, µs after [`WriteBatcher::epoch`] (0: none).
    commit_started_us: AtomicU64,
}

impl Shard {
    fn load(a: &AtomicU64) -> f64 {
        f64::from_bits(a.load(Ordering::Relaxed))
    }

    /// How long the commit in progress has been running, ms (0 when idle).
    fn commit_running_ms(&self, epoch: Instant) -> f64 {
        match self.commit_started_us.load(Ordering::Relaxed) {
            0 => 0.0,
            at => (micros_since(epoch) as f64 - at as f64).max(0.0) / 1000.0,
        }
    }

    /// How long a message queued now would wait for its commit, ms, when `queued` messages
    /// are already pending (the commit in progress included).
    fn wait_ms(&self, queued: usize, epoch: Instant) -> f64 {
        let (fixed, per) = (Self::load(&self.fixed_ms), Self::load(&self.per_message_ms));
        let committing = self.committing.load(Ordering::Relaxed).min(queued);
        let current = if committing == 0 {
            0.0
        } else {
            let predicted = fixed + per * committing as f64;
            let running = self.commit_running_ms(epoch);
            // Past its prediction nothing says when it ends: assume as long again.
            if running > predicted {
                running
            } else {
                predicted - running
            }
        };
        let ahead = queued - committing + 1;
        current + ahead.div_ceil(MAX_BATCH) as f64 * fixed + ahead as f64 * per
    }
}

/// A writer's commit cost, `fixed + per_message × n` ms, fitted by least squares over its
/// batches with exponentially decaying weights.
#[derive(Debug, Clone)]
struct CostModel {
    w: f64,
    sn: f64,
    st: f64,
    snn: f64,
    snt: f64,
    fixed: f64,
    per: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            w: 0.0,
            sn: 0.0,
            st: 0.0,
            snn: 0.0,
            snt: 0.0,
            fixed: 0.0,
            per: INITIAL_PER_MESSAGE_MS,
        }
    }
}

impl CostModel {
    /// The predicted time of a commit of `n` messages, ms.
    fn predict(&self, n: usize) -> f64 {
        self.fixed + self.per * n as f64
    }

    /// `(fixed ms, ms per message)`.
    fn params(&self) -> (f64, f64) {
        (self.fixed, self.per)
    }

    /// A commit of `n` messages took `ms`.
    fn note(&mut self, n: usize, ms: f64) {
        if n == 0 || !ms.is_finite() || ms < 0.0 {
            return;
        }
        if self.w > 0.0 && ms > STALL_FACTOR * self.predict(n) {
            *self = CostModel::default();
        }
        let x = n as f64;
        for v in [
            &mut self.w,
            &mut self.sn,
            &mut self.st,
            &mut self.snn,
            &mut self.snt,
        ] {
            *v *= DECAY;
        }
        self.w += 1.0;
        self.sn += x;
        self.st += ms;
        self.snn += x * x;
        self.snt += x * ms;
        let (mn, mt) = (self.sn / self.w, self.st / self.w);
        let var = self.snn / self.w - mn * mn;
        let cov = self.snt / self.w - mn * mt;
        if var > (0.1 * mn).powi(2).max(1.0) && cov > 0.0 {
            self.per = cov / var;
            self.fixed = (mt - self.per * mn).max(0.0);
        } else if mn < SMALL_BATCH as f64 {
            // Lone messages (light load) measure the fsync, nothing per message: keep the
            // per-message estimate.
            self.fixed = mt;
        } else {
            // Batch sizes that hardly vary cannot separate the parts: charge it all per
            // message (the cautious reading).
            self.per = mt / mn;
            self.fixed = 0.0;
        }
    }
}

/// One writer: gathers what its shard queued into batches and commits them in turn.
async fn writer_loop(
    store: Arc<dyn Store>,
    shards: Arc<[Shard]>,
    i: usize,
    mut rx: mpsc::UnboundedReceiver<Job>,
    epoch: Instant,
) {
    let shard = &shards[i];
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut cost = CostModel::default();
    loop {
        if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let n = batch.len();
        let (news, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
        shard.committing.store(n, Ordering::Relaxed);
        shard
            .commit_started_us
            .store(micros_since(epoch), Ordering::Relaxed);
        let results = store.insert_messages(news).await;
        cost.note(n, shard.commit_running_ms(epoch));
        shard.commit_started_us.store(0, Ordering::Relaxed);
        shard.committing.store(0, Ordering::Relaxed);
        let (fixed, per) = cost.params();
        shard.fixed_ms.store(fixed.to_bits(), Ordering::Relaxed);
        shard.per_message_ms.store(per.to_bits(), Ordering::Relaxed);
        shard.pending.fetch_sub(n, Ordering::AcqRel);
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
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
        let (fixed, per) = CostModel::default().params();
        for _ in 0..workers.max(1) {
            let (tx, rx) = mpsc::unbounded_channel::<Job>();
            shards.push(Shard {
                tx,
                pending: AtomicUsize::new(0),
                committing: AtomicUsize::new(0),
                fixed_ms: AtomicU64::new(fixed.to_bits()),
                per_message_ms: AtomicU64::new(per.to_bits()),
                commit_started_us: AtomicU64::new(0),
            });
            receivers.push(rx);
        }
        let shards: Arc<[Shard]> = shards.into();
        let epoch = Instant::now();
        for (i, rx) in receivers.into_iter().enumerate() {
            tokio::spawn(writer_loop(store.clone(), shards.clone(), i, rx, epoch));
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
        let wait_ms = shard.wait_ms(queued, self.epoch);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cost_model_separates_the_fsync_from_the_per_message_part() {
        let mut m = CostModel::default();
        // 5 ms a commit plus 0.02 ms a message.
        for n in [20, 150, 40, 300, 90, 700, 60, 1000] {
            m.note(n, 5.0 + 0.02 * n as f64);
        }
        let (fixed, per) = m.params();
        assert!((fixed - 5.0).abs() < 0.01, "fixed {fixed}");
        assert!((per - 0.02).abs() < 0.0001, "per message {per}");
        // The old single rate, from the smallest batch: 20 / 5.4 ms, so 1,000 queued
        // looked like 270 ms of work; the model says 25 ms.
        assert!((m.predict(1000) - 25.0).abs() < 0.1);
    }

    #[test]
    fn a_batch_far_slower_than_predicted_restarts_the_fit_cautiously() {
        let mut m = CostModel::default();
        for n in [20, 150, 40, 300] {
            m.note(n, 5.0 + 0.02 * n as f64);
        }
        // A 400 ms fsync: charged per message, so the queue it allows shrinks at once.
        m.note(200, 400.0);
        let (fixed, per) = m.params();
        assert_eq!(fixed, 0.0);
        assert!((per - 2.0).abs() < 1e-9, "per message {per}");
    }

    #[test]
    fn lone_messages_measure_the_fsync_and_do_not_shrink_the_queue() {
        let mut m = CostModel::default();
        for _ in 0..50 {
            m.note(1, 3.0);
        }
        let (fixed, per) = m.params();
        assert!((fixed - 3.0).abs() < 1e-9, "fixed {fixed}");
        assert_eq!(per, INITIAL_PER_MESSAGE_MS);
    }

    #[test]
    fn same_sized_batches_charge_everything_per_message() {
        let mut m = CostModel::default();
        for _ in 0..10 {
            m.note(100, 10.0);
        }
        assert_eq!(m.params(), (0.0, 0.1));
    }
}
