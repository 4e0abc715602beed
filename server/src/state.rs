//! `AppState`: what every handler and connection shares.

use chatix_protocol::limits::Limits;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, RwLock};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::error::AppResult;
use crate::files::FileStore;
use crate::hub::Hub;
use crate::limits::IpLimiter;
use crate::store::batch::{WriteBatcher, WriteLimits};
use crate::store::{Store, Website};

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The shared parts.
pub struct Shared {
    /// Configuration in force.
    pub config: Config,
    /// Limits announced to clients (from the configuration).
    pub limits: Limits,
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Group commit of message inserts.
    pub writer: WriteBatcher,
    /// Live fan-out to connections.
    pub hub: Arc<Hub>,
    /// Uploaded files on disk.
    pub files: FileStore,
    /// Per-IP rate limit of REST requests (socket upgrades included).
    pub rest_limiter: IpLimiter,
    /// Per-IP rate limit of socket frames, over all of an address's connections.
    pub frame_ip_limiter: IpLimiter,
    /// Slow mode's last sends, per (chat, sender).
    pub slow_mode: crate::limits::SlowMode,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Open sockets: a graceful shutdown waits for them (each finishes the frame it is
    /// handling) before the database closes.
    pub sockets: TaskTracker,
    /// Websites by public id and by secret: they change only when created, and every
    /// request needs one.
    websites: RwLock<HashMap<String, Arc<Website>>>,
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        hub: Arc<Hub>,
        files: FileStore,
        shutdown: CancellationToken,
    ) -> AppState {
        let limits = config.limits();
        let rest_limiter = IpLimiter::new(config.requests_per_second, config.request_burst);
        let frame_ip_limiter = IpLimiter::new(config.ip_frames_per_second, config.ip_frame_burst);
        let workers = if store.backend() == "sqlite" { 1 } else { 4 };
        let writer = WriteBatcher::start(
            store.clone(),
            workers,
            WriteLimits {
                max_wait_ms: config.max_write_queue_ms,
                max_pending: config.max_pending_writes,
            },
        );
        hub.lag
            .set_limit(std::time::Duration::from_millis(config.max_fanout_lag_ms));
        crate::hub::lag::start_probe(Arc::downgrade(&hub));
        AppState(Arc::new(Shared {
            config,
            limits,
            store,
            writer,
            hub,
            files,
            rest_limiter,
            frame_ip_limiter,
            slow_mode: Default::default(),
            shutdown,
            sockets: TaskTracker::new(),
            websites: RwLock::new(HashMap::new()),
        }))
    }

    fn cached(&self, key: &str) -> Option<Arc<Website>> {
        self.websites.read().ok()?.get(key).cloned()
    }

    fn remember(&self, site: Website) -> Arc<Website> {
        let site = Arc::new(site);
        if let Ok(mut map) = self.websites.write() {
            map.insert(site.id.clone(), site.clone());
            map.insert(site.secret.clone(), site.clone());
        }
        site
    }

    /// A website by public id.
    pub async fn website(&self, id: &str) -> AppResult<Option<Arc<Website>>> {
        if id.starts_with("sk_") {
            return Ok(None);
        }
        if let Some(w) = self.cached(id) {
            return Ok(Some(w));
        }
        Ok(self.store.website(id).await?.map(|w| self.remember(w)))
    }

    /// A website by secret key.
    pub async fn website_by_secret(&self, secret: &str) -> AppResult<Option<Arc<Website>>> {
        if let Some(w) = self.cached(secret).filter(|w| w.secret == secret) {
            return Ok(Some(w));
        }
        Ok(self
            .store
            .website_by_secret(secret)
            .await?
            .map(|w| self.remember(w)))
    }
}
