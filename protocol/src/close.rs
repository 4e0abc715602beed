//! WebSocket close codes of `/v1/ws`, as the server sends them and the SDK reads them.
//!
//! Codes below 4000 are the standard ones (RFC 6455 §7.4.1); 4000–4999 are Chatix's own.
//! Every code but [`REVOKED`] and [`UNAUTHORIZED`] means "reconnect (with backoff) and resume with
//! `subscribe {since}`".

/// The server shuts down, or the connection ended normally on its side: reconnect.
pub const GOING_AWAY: u16 = 1001;
/// A frame was over the socket library's hard size limit (4× the documented frame limit).
pub const TOO_BIG: u16 = 1009;
/// "Service restart": the server asks the client to reconnect at once and resume.
pub const RESTART: u16 = 1012;
/// Not sent by the server: the SDK's code for a socket it gave up on itself (no pong or
/// frame for three heartbeats, or closed by the application).
pub const HEARTBEAT_LOST: u16 = 4000;
/// The socket's first frame was not a valid `auth` frame (missing, malformed, a bad or
/// expired token, a token of another website) or did not come within the deadline: get a
/// fresh token, then reconnect. The close reason says which.
pub const UNAUTHORIZED: u16 = 4001;
/// The user was deleted, lost access (token revoked) or was banned from the website: do not
/// reconnect with this token. The close reason says which.
pub const REVOKED: u16 = 4003;
/// The connection's outgoing queue overflowed (a slow consumer): reconnect and resume.
pub const SLOW_CONSUMER: u16 = 4008;
/// Frames over the rate limit, repeatedly: reconnect later, more slowly.
pub const RATE_LIMITED: u16 = 4029;
