//! Assembling and running a server: storage, hub, routes, static files, graceful shutdown.

use axum::http::{header, HeaderValue};
use axum::serve::ListenerExt as _;
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::demo::{self, DemoCredentials};
use crate::files::FileStore;
use crate::hub::bus::RedisBus;
use crate::hub::Hub;
use crate::state::AppState;
use crate::store::sql::SqlStore;
use crate::store::Store;

/// A server that is listening.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state (tests reach into the store through it).
    pub state: AppState,
    /// Demo credentials, when the demo website exists.
    pub demo: Option<DemoCredentials>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    store: SqlStore,
}

impl Running {
    /// The base URL, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes sockets (1001), lets in-flight requests finish, then closes
    /// the database.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
        self.drain_sockets().await;
        self.store.close().await;
    }

    /// Waits (10 s at most) until every socket has finished the frame it was handling and
    /// closed: a send that was being stored when the shutdown began is stored and
    /// acknowledged, not failed by a closed database.
    async fn drain_sockets(&self) {
        let sockets = &self.state.sockets;
        sockets.close();
        if tokio::time::timeout(Duration::from_secs(10), sockets.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                open = sockets.len(),
                "sockets still open after 10 s; closing anyway"
            );
        }
    }

    /// Waits until the server stops (after [`Running::trigger`] or a fatal error).
    pub async fn wait(mut self) -> std::io::Result<()> {
        let res = match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        self.drain_sockets().await;
        self.store.close().await;
        res
    }

    /// A handle that starts the graceful shutdown when cancelled.
    pub fn trigger(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

fn static_dir(explicit: &Option<PathBuf>, default: &str) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(default)).filter(|p| p.is_dir()),
    }
}

/// The Content-Security-Policy of the pages in `www/` (demo, console): scripts and the wasm
/// SDK from this origin only (`'wasm-unsafe-eval'` lets the SDK compile), no inline script
/// or style (the widget uses a constructed stylesheet), sockets and fetches to this origin,
/// images also from `https:` (avatars may be URLs) and `blob:`/`data:` (upload previews),
/// no framing, no plugins.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data: blob: https:; connect-src 'self'; font-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Starts a server with `config` and returns once it listens.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = SqlStore::connect(&config.database_url()).await?;
    let dyn_store: Arc<dyn Store> = Arc::new(store.clone());
    let demo = if config.no_demo {
        None
    } else {
        demo::ensure(dyn_store.as_ref(), &config.data_dir).await?
    };
    let hub = Hub::new(dyn_store.clone());
    let files = FileStore::new(config.data_dir.join("files"))?;
    let shutdown = CancellationToken::new();
    if let Some(url) = &config.redis_url {
        let bus = RedisBus::start(
            url,
            hub.node_id().to_owned(),
            Arc::downgrade(&hub),
            shutdown.clone(),
        )
        .await?;
        hub.set_bus(bus);
        let (h, stop) = (Arc::downgrade(&hub), shutdown.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => match h.upgrade() { Some(h) => h.maintain(), None => break },
                }
            }
        });
    }
    let state = AppState::new(config.clone(), dyn_store, hub, files, shutdown.clone());

    let mut app: Router = crate::api::router(state.clone());
    // Static files (SDK package, widget, pages) with the security headers of the pages.
    let mut files = Router::new();
    if let Some(pkg) = static_dir(&config.pkg_dir, "pkg") {
        // `scripts/package-sdk.mjs` writes `.br` and `.gz` beside the .wasm and the glue:
        // a browser downloads those (what the size budget measures), not the raw files.
        files = files.nest_service(
            "/pkg",
            ServeDir::new(pkg).precompressed_br().precompressed_gzip(),
        );
    }
    if let Some(www) = static_dir(&config.www_dir, "www") {
        files = files.fallback_service(ServeDir::new(www));
    }
    let set = |name, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let files = files
        .layer(set(header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        // The widget and the SDK are embedded by other sites: `import()` of the SDK module
        // and the fetch of its .wasm are CORS requests. These files are public.
        .layer(set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    app = app.merge(files);
    let app = app.layer(TraceLayer::new_for_http().make_span_with(
        |req: &axum::http::Request<_>| {
            // The path only: the socket's token travels in the query string.
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        },
    ));

    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    // TCP_NODELAY on every accepted connection. With Nagle's algorithm on, a response
    // written in two parts (headers, then a body) or a socket's second small frame waits
    // until the client acknowledges the first, and a client delays that acknowledgement
    // by up to 40 ms: seen as 40-50 ms stalls on some of a page's requests (the SDK's
    // glue and .wasm on a cold page load). Browsers and Node's HTTP server set it too.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY on a connection");
        }
    });
    let stop = shutdown.clone();
    let limiter_state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = limiter_state.shutdown.cancelled() => break,
                _ = tick.tick() => {
                    limiter_state.rest_limiter.prune();
                    limiter_state.frame_ip_limiter.prune();
                }
            }
        }
    });
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
    });
    Ok(Running {
        addr,
        state,
        demo,
        shutdown,
        task,
        store,
    })
}
