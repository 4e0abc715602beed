//! Command-line flags and environment variables (`chatix-server --help` lists them).

use chatix_protocol::limits;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Server configuration. Every flag can also be set by the environment variable named in
/// its help; the defaults run a single node on an embedded SQLite file.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "chatix-server",
    version,
    about = "Chatix chat server: REST + WebSocket"
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "CHATIX_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder for the embedded database, uploaded files and the demo credentials.
    #[arg(long, env = "CHATIX_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL: `sqlite://…` or `postgres://…`. Default: SQLite in the data folder.
    #[arg(long, env = "CHATIX_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis URL for fan-out across several nodes. Default: in-process (one node).
    #[arg(long, env = "CHATIX_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Folder served at `/` (demo page, widget, console). Default: `www` if it exists.
    #[arg(long, env = "CHATIX_WWW_DIR")]
    pub www_dir: Option<PathBuf>,

    /// Folder of the built SDK, served at `/pkg`. Default: `pkg` if it exists.
    #[arg(long, env = "CHATIX_PKG_DIR")]
    pub pkg_dir: Option<PathBuf>,

    /// Operator token: enables `POST /v1/operator/websites` (create websites). Unset = off.
    #[arg(long, env = "CHATIX_OPERATOR_TOKEN")]
    pub operator_token: Option<String>,

    /// Mount the test hooks under /v1/test (browser tests only; never in production).
    #[arg(long, env = "CHATIX_ENABLE_TEST_HOOKS")]
    pub enable_test_hooks: bool,

    /// Do not create the demo website on an empty database.
    #[arg(long, env = "CHATIX_NO_DEMO")]
    pub no_demo: bool,

    /// Largest socket frame accepted, bytes.
    #[arg(long, env = "CHATIX_MAX_FRAME_BYTES", default_value_t = limits::MAX_FRAME_BYTES)]
    pub max_frame_bytes: usize,

    /// Longest message text, characters.
    #[arg(long, env = "CHATIX_MAX_MESSAGE_CHARS", default_value_t = limits::MAX_MESSAGE_CHARS)]
    pub max_message_chars: usize,

    /// Largest upload, bytes.
    #[arg(long, env = "CHATIX_MAX_UPLOAD_BYTES", default_value_t = limits::MAX_UPLOAD_BYTES)]
    pub max_upload_bytes: usize,

    /// Socket frames per second per connection, sustained.
    #[arg(long, env = "CHATIX_FRAMES_PER_SECOND", default_value_t = 20)]
    pub frames_per_second: u32,

    /// Socket frames per connection allowed in a burst.
    #[arg(long, env = "CHATIX_FRAME_BURST", default_value_t = 200)]
    pub frame_burst: u32,

    /// Socket frames per second from one client IP, all its connections together, sustained.
    #[arg(long, env = "CHATIX_IP_FRAMES_PER_SECOND", default_value_t = 200)]
    pub ip_frames_per_second: u32,

    /// Socket frames from one client IP allowed in a burst (all its connections together).
    #[arg(long, env = "CHATIX_IP_FRAME_BURST", default_value_t = 2_000)]
    pub ip_frame_burst: u32,

    /// REST requests per second per client IP, sustained.
    #[arg(long, env = "CHATIX_REQUESTS_PER_SECOND", default_value_t = 50)]
    pub requests_per_second: u32,

    /// REST requests per client IP allowed in a burst.
    #[arg(long, env = "CHATIX_REQUEST_BURST", default_value_t = 300)]
    pub request_burst: u32,

    /// Reverse proxies whose `X-Forwarded-For` is believed, comma-separated addresses or
    /// CIDR ranges (`10.0.0.0/8,::1`). Behind them the per-IP limits count the client's
    /// address instead of the proxy's. Default: none, the header is ignored.
    #[arg(long, env = "CHATIX_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::client_ip::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Heartbeat interval, ms; a peer silent for three intervals is dropped.
    #[arg(long, env = "CHATIX_HEARTBEAT_MS", default_value_t = 20_000)]
    pub heartbeat_ms: u64,

    /// How long a new socket has to send its `auth` frame before it is closed, ms.
    #[arg(long, env = "CHATIX_WS_AUTH_TIMEOUT_MS", default_value_t = 10_000)]
    pub ws_auth_timeout_ms: u64,

    /// Frames queued for one connection before it counts as a slow consumer and is closed.
    #[arg(long, env = "CHATIX_CONNECTION_QUEUE", default_value_t = 4096)]
    pub connection_queue: usize,

    /// Overload: a send is refused (`rate_limited`, retry later) when its chat's database
    /// writer already holds more than this many milliseconds of work by its measured cost
    /// per commit and per message (0: no limit), so accepted messages are stored within
    /// about this.
    #[arg(long, env = "CHATIX_MAX_WRITE_QUEUE_MS", default_value_t = 50)]
    pub max_write_queue_ms: u64,

    /// Overload: most messages waiting to be stored, all writers together; a send beyond it
    /// is refused (`rate_limited`).
    #[arg(long, env = "CHATIX_MAX_PENDING_WRITES", default_value_t = 4096)]
    pub max_pending_writes: usize,

    /// Overload: sends are refused (`rate_limited`) while the node's tasks run more than
    /// this many milliseconds late on average (a probe's wake-up delay: the CPU cannot keep
    /// up with the fan-out; 0: no limit).
    #[arg(long, env = "CHATIX_MAX_FANOUT_LAG_MS", default_value_t = 20)]
    pub max_fanout_lag_ms: u64,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "CHATIX_LOG_JSON")]
    pub log_json: bool,
}

impl Config {
    /// The configuration with every default (for tests and embedding).
    pub fn defaults() -> Config {
        Config::parse_from(["chatix-server"])
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("chatix.db").display()
            )
        })
    }

    /// The limits announced to clients.
    pub fn limits(&self) -> limits::Limits {
        limits::Limits {
            max_frame_bytes: self.max_frame_bytes,
            max_message_chars: self.max_message_chars,
            max_upload_bytes: self.max_upload_bytes,
            frames_per_second: self.frames_per_second,
            frame_burst: self.frame_burst,
            requests_per_second: self.requests_per_second,
            request_burst: self.request_burst,
            heartbeat_ms: self.heartbeat_ms,
        }
    }
}
