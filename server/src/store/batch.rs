//! Group commit: message inserts from every connection are gathered into one transaction.
//!
//! A send waits until its transaction is committed (durable: SQLite runs with
//! `synchronous = FULL`), so nothing is acknowledged before it is on disk; but one fsync
//! covers every send that arrived while the previous commit was running. Under light load a
//! batch is a single message and nothing waits for a timer.

use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{Inserted, NewMessage, Store};
use crate::error::{AppError, AppResult};

/// Most messages in one transaction.
pub const MAX_BATCH: usize = 256;

type Job = (NewMessage, oneshot::Sender<AppResult<Inserted>>);

/// The batching front of [`Store::insert_messages`].
#[derive(Clone)]
pub struct WriteBatcher {
    tx: mpsc::Sender<Job>,
}

impl WriteBatcher {
    /// Starts `workers` writer tasks (1 for SQLite, which has one writer anyway; a few for
    /// PostgreSQL).
    pub fn start(store: Arc<dyn Store>, workers: usize) -> WriteBatcher {
        let (tx, rx) = mpsc::channel::<Job>(MAX_BATCH * 16);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..workers.max(1) {
            let (store, rx) = (store.clone(), rx.clone());
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::with_capacity(MAX_BATCH);
                    {
                        let mut rx = rx.lock().await;
                        match rx.recv().await {
                            Some(job) => batch.push(job),
                            None => return,
                        }
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    let (news, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                    let results = store.insert_messages(news).await;
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
            });
        }
        WriteBatcher { tx }
    }

    /// Stores one message (in whatever batch it lands in) and waits for the commit.
    pub async fn insert(&self, new: NewMessage) -> AppResult<Inserted> {
        let (reply, rx) = oneshot::channel();
        self.tx.send((new, reply)).await.map_err(|_| {
            AppError::new(
                chatix_protocol::ErrorCode::Unavailable,
                "the server is shutting down",
            )
        })?;
        rx.await.unwrap_or_else(|_| {
            Err(AppError::new(
                chatix_protocol::ErrorCode::Unavailable,
                "the write was interrupted",
            ))
        })
    }
}
