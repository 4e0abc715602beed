//! The connection and session state machine: when to open a socket, when to give one up,
//! when to wait and retry, when the session must be checked or renewed, and when it is over.
//!
//! In: [`Core::start`], the socket's close ([`Core::socket_closed`]), the clock
//! ([`Core::tick`]: heartbeats, unanswered pings), a delay that ran out
//! ([`Core::reconnect_due`]), the outcome of a session check ([`Core::session_checked`]), the
//! token's expiry ([`Core::set_token_expiry`]), the browser going offline or online
//! ([`Core::network`]), the page becoming visible ([`Core::visible`]),
//! [`Core::drop_connection`] and [`Core::stop`]. Frames count as signs of life; `ready`
//! resets the backoff and sets the heartbeat the server announced.
//!
//! A socket is given up when a ping stays unanswered (no frame at all) for
//! [`PONG_TIMEOUT_MS`], judged only by a tick after the one that wrote the ping: a tick that
//! comes late (a hidden tab's timers run once a minute, a busy main thread, a laptop waking
//! up) may run before the answer queued behind it, so it never decides alone. Offline, nothing is retried until the browser says it is
//! online again; then, or when the page becomes visible, the SDK connects at once instead of
//! waiting out the backoff.
//!
//! Out: [`Effect::Connect`] (open a socket now, tagged with a generation that the socket's
//! close must carry back), [`Effect::ConnectAfter`], [`Effect::CloseSocket`],
//! [`Effect::CheckSession`], [`Effect::RenewToken`] and [`Effect::Ended`].
//!
//! Tokens are renewed ahead of their expiry while connected, at four fifths of their
//! lifetime (as the SDK saw it: from when it got the token), so that REST calls never meet
//! an expired one and the socket's subscriptions and queued sends are never touched; a
//! renewal that fails is tried again after [`RENEW_RETRY_MS`] and reported as an `error`. The driver owns the socket, the timers and
//! the HTTP calls; every decision is here, tested natively.

use chatix_protocol::frame::PingFrame;
use chatix_protocol::{close, ApiError, ClientFrame, ErrorCode};

use super::{backoff, Core, Effect, Event, Types};

/// App-level heartbeat interval until the server announced its own (`Limits.heartbeat_ms`),
/// ms.
pub const DEFAULT_HEARTBEAT_MS: i64 = 25_000;
/// A socket that answers a ping with no frame at all for this long is replaced, ms.
pub const PONG_TIMEOUT_MS: i64 = 10_000;
/// A token expiring within this many ms is renewed before the next connection.
pub const RENEW_BEFORE_MS: i64 = 60_000;
/// A failed renewal ahead of expiry is tried again after this long, ms.
pub const RENEW_RETRY_MS: i64 = 10_000;

/// The connection's bookkeeping (see the module docs).
#[derive(Debug)]
pub struct Conn {
    /// Between `start()` and `stop()` (or the end of the session).
    running: bool,
    /// The current socket's generation: a close carrying another one is stale.
    generation: u32,
    /// Whether a socket of the current generation exists (asked for and not closed).
    socket: bool,
    /// Whether the current socket said `ready`.
    ready: bool,
    /// Failed attempts since the last `ready` (the backoff's exponent).
    attempt: u32,
    /// When the next ping is due, ms.
    next_ping_at: i64,
    /// When the oldest ping with no frame since was written, ms.
    ping_out: Option<i64>,
    /// When the clock last ticked, ms.
    last_tick_at: Option<i64>,
    /// What the browser last said of the network (`online`/`offline` events).
    online: bool,
    /// The server's heartbeat interval, ms.
    heartbeat_ms: i64,
    /// When the session token expires, ms (unknown: never).
    token_expires_at: Option<i64>,
    /// When to renew it ahead of its expiry, ms.
    renew_at: Option<i64>,
    /// A renewal ahead of expiry is in progress.
    renewing: bool,
    /// The close that led to the session check in progress.
    last_close: (u16, String),
    /// xorshift state for the backoff's jitter.
    seed: u64,
}

impl Default for Conn {
    fn default() -> Self {
        Conn {
            running: false,
            generation: 0,
            socket: false,
            ready: false,
            attempt: 0,
            next_ping_at: 0,
            ping_out: None,
            last_tick_at: None,
            online: true,
            heartbeat_ms: DEFAULT_HEARTBEAT_MS,
            token_expires_at: None,
            renew_at: None,
            renewing: false,
            last_close: (0, String::new()),
            seed: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

impl Conn {
    /// A uniform number in `[0, 1)` (xorshift64*; jitter only, not secret).
    fn jitter(&mut self) -> f64 {
        let mut x = self.seed;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.seed = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether the token expires within [`RENEW_BEFORE_MS`] of `now`.
    fn expiring(&self, now: i64) -> bool {
        self.token_expires_at
            .is_some_and(|exp| exp - now < RENEW_BEFORE_MS)
    }
}

impl<T: Types> Core<T> {
    /// Seeds the backoff's jitter (the browser gives a random number, so that clients
    /// restarted together do not reconnect together).
    pub fn seed(&mut self, seed: u64) {
        self.conn.seed = seed | 1;
    }

    /// A new session token, got at `now`, expires at `at` (ms; `None`: unknown, never
    /// renewed ahead).
    pub fn set_token_expiry(&mut self, at: Option<i64>, now: i64) {
        self.conn.token_expires_at = at;
        // four fifths into its lifetime, and never sooner than a second from now
        self.conn.renew_at = at.map(|exp| (now + (exp - now) * 4 / 5).max(now + 1_000));
    }

    /// What the renewal asked for by [`Effect::RenewToken`] found (the driver has stored the
    /// new token with [`Core::set_token_expiry`]); a failure is retried later and reported.
    pub fn token_renewed(&mut self, result: Result<(), ApiError>, now: i64) -> Vec<Effect<T>> {
        self.conn.renewing = false;
        match result {
            Ok(()) => Vec::new(),
            Err(e) => {
                self.conn.renew_at = Some(now + RENEW_RETRY_MS);
                vec![Effect::Emit(Event::Error(e))]
            }
        }
    }

    /// Whether the connection runs (started, not stopped, session not ended).
    pub fn running(&self) -> bool {
        self.conn.running
    }

    /// The heartbeat interval in force, ms: the server's, once it said.
    pub fn heartbeat_ms(&self) -> i64 {
        self.conn.heartbeat_ms
    }

    /// Starts connecting (authenticated: the driver holds a token). Nothing if running.
    pub fn start(&mut self, now: i64) -> Vec<Effect<T>> {
        if self.conn.running {
            return Vec::new();
        }
        self.conn.running = true;
        self.conn.attempt = 0;
        self.conn.next_ping_at = now + self.conn.heartbeat_ms;
        self.open_socket(true)
    }

    fn open_socket(&mut self, first: bool) -> Vec<Effect<T>> {
        self.conn.generation = self.conn.generation.wrapping_add(1);
        self.conn.socket = true;
        self.conn.ready = false;
        self.conn.ping_out = None;
        let mut out = self.connecting(first);
        out.push(Effect::Connect {
            generation: self.conn.generation,
        });
        out
    }

    /// A frame arrived (any frame counts as a sign of life: it answers the ping out).
    pub(super) fn heard(&mut self) {
        self.conn.ping_out = None;
    }

    /// The socket said `ready`: the backoff starts over, the server's heartbeat applies.
    pub(super) fn conn_ready(&mut self, heartbeat_ms: u64, now: i64) {
        self.conn.ready = true;
        self.conn.attempt = 0;
        self.conn.heartbeat_ms = (heartbeat_ms as i64).max(1_000);
        self.conn.next_ping_at = now + self.conn.heartbeat_ms;
    }

    /// The socket of `generation` closed with `code` (a stale generation is ignored).
    pub fn socket_closed(
        &mut self,
        generation: u32,
        code: u16,
        reason: &str,
        now: i64,
    ) -> Vec<Effect<T>> {
        if generation != self.conn.generation || !self.conn.socket {
            return Vec::new();
        }
        self.lost(code, reason, now)
    }

    /// The current socket is gone: tell the app, then retry, check the session first, or
    /// end.
    fn lost(&mut self, code: u16, reason: &str, now: i64) -> Vec<Effect<T>> {
        let had_ready = self.conn.ready;
        self.conn.socket = false;
        self.conn.ready = false;
        // late callbacks of the closed socket carry the old generation
        self.conn.generation = self.conn.generation.wrapping_add(1);
        if code == close::REVOKED {
            return self.end(
                code,
                reason,
                ApiError::new(
                    ErrorCode::Unauthorized,
                    format!("the server ended this session: {reason}"),
                ),
            );
        }
        let retrying = self.conn.running;
        let mut out = self.closed(code, reason, retrying);
        if !retrying || !self.conn.online {
            // offline: `network(true)` connects again
            return out;
        }
        // A socket refused before `ready` may mean an expired or revoked token.
        let expiring = self.conn.expiring(now);
        if expiring || !had_ready {
            self.conn.last_close = (code, reason.to_owned());
            out.push(Effect::CheckSession { renew: expiring });
        } else {
            out.push(self.retry_later());
        }
        out
    }

    fn retry_later(&mut self) -> Effect<T> {
        let attempt = self.conn.attempt;
        self.conn.attempt = attempt.saturating_add(1);
        let jitter = self.conn.jitter();
        Effect::ConnectAfter {
            generation: self.conn.generation,
            ms: backoff::delay_ms(attempt, jitter),
        }
    }

    /// The session ends (revoked, or refused): no more connections; pending requests fail,
    /// queued sends stay queued for a new `start()`.
    fn end(&mut self, code: u16, reason: &str, e: ApiError) -> Vec<Effect<T>> {
        self.conn.running = false;
        self.conn.socket = false;
        let mut out = vec![Effect::CloseSocket];
        out.extend(self.closed(code, reason, false));
        out.push(Effect::Emit(Event::Error(e.clone())));
        out.push(Effect::Ended(e));
        out
    }

    /// What the session check asked for by [`Effect::CheckSession`] found: refused
    /// (`unauthorized`) ends the session; anything else retries with backoff (a server
    /// that is down answers nothing, which is not a refusal).
    pub fn session_checked(&mut self, result: Result<(), ApiError>) -> Vec<Effect<T>> {
        if !self.conn.running || self.conn.socket {
            return Vec::new();
        }
        let retry = |c: &mut Self| {
            if c.conn.online {
                vec![c.retry_later()]
            } else {
                Vec::new()
            }
        };
        match result {
            Err(e) if e.code == ErrorCode::Unauthorized => {
                let (code, _) = std::mem::take(&mut self.conn.last_close);
                self.end(code, "unauthorized", e)
            }
            _ => retry(self),
        }
    }

    /// The delay of [`Effect::ConnectAfter`] for `generation` ran out: connect again, unless
    /// something else happened meanwhile.
    pub fn reconnect_due(&mut self, generation: u32) -> Vec<Effect<T>> {
        if !self.conn.running
            || self.conn.socket
            || !self.conn.online
            || generation != self.conn.generation
        {
            return Vec::new();
        }
        self.open_socket(false)
    }

    /// The browser went offline (`false`: the socket is given up at once, sends queue, and
    /// nothing is retried) or online again (`true`: connect now, backoff reset).
    pub fn network(&mut self, online: bool, now: i64) -> Vec<Effect<T>> {
        if self.conn.online == online {
            return Vec::new();
        }
        self.conn.online = online;
        if !online {
            if !self.conn.socket {
                return Vec::new();
            }
            let mut out = vec![Effect::CloseSocket];
            out.extend(self.lost(close::HEARTBEAT_LOST, "the browser went offline", now));
            return out;
        }
        self.connect_now()
    }

    /// The page became visible again: a socket that is up is probed at once (a ping; the
    /// next ticks judge the answer), and one that is down is reconnected now instead of after
    /// the rest of its backoff.
    pub fn visible(&mut self, now: i64) -> Vec<Effect<T>> {
        if !self.conn.socket {
            return self.connect_now();
        }
        let mut out = Vec::new();
        if self.is_open() {
            self.ping(now, &mut out);
        }
        out
    }

    fn connect_now(&mut self) -> Vec<Effect<T>> {
        if !self.conn.running || self.conn.socket || !self.conn.online {
            return Vec::new();
        }
        self.conn.attempt = 0;
        self.open_socket(false)
    }

    fn ping(&mut self, now: i64, out: &mut Vec<Effect<T>>) {
        self.conn.next_ping_at = now + self.conn.heartbeat_ms;
        self.conn.ping_out.get_or_insert(now);
        let (_, f) = self.request(|id| ClientFrame::Ping(PingFrame { id: Some(id) }));
        out.push(Effect::Send(f));
    }

    /// Replaces the socket now (the app knows the network changed; tests): closed with
    /// [`close::HEARTBEAT_LOST`], then reconnected like any lost socket.
    pub fn drop_connection(&mut self, now: i64) -> Vec<Effect<T>> {
        if !self.conn.socket {
            return Vec::new();
        }
        let mut out = vec![Effect::CloseSocket];
        out.extend(self.lost(close::HEARTBEAT_LOST, "closed by the application", now));
        out
    }

    /// The connection's part of a clock tick: a ping when one is due, and a socket whose
    /// ping stayed unanswered for [`PONG_TIMEOUT_MS`] replaced (a sleeping laptop, a dead
    /// proxy), judged only when an earlier tick ran after the ping (see the module docs).
    pub(super) fn conn_tick(&mut self, now: i64, out: &mut Vec<Effect<T>>) {
        let previous = self.conn.last_tick_at.replace(now);
        if !self.conn.socket || !self.is_open() {
            return;
        }
        let unanswered = self
            .conn
            .ping_out
            .is_some_and(|t| now - t > PONG_TIMEOUT_MS && previous.is_some_and(|p| p > t));
        if unanswered {
            out.push(Effect::CloseSocket);
            out.extend(self.lost(close::HEARTBEAT_LOST, "heartbeat lost", now));
            return;
        }
        if now >= self.conn.next_ping_at {
            self.ping(now, out);
        }
        if !self.conn.renewing && self.conn.renew_at.is_some_and(|t| now >= t) {
            self.conn.renewing = true;
            out.push(Effect::RenewToken);
        }
    }

    /// Stops for good: the socket closes, requests and queued sends fail.
    pub fn stop(&mut self) -> Vec<Effect<T>> {
        self.conn.running = false;
        self.conn.socket = false;
        self.conn.generation = self.conn.generation.wrapping_add(1);
        let mut out = vec![Effect::CloseSocket];
        out.extend(self.closed(super::NORMAL_CLOSE, "stopped", false));
        for p in self.outbox.drain() {
            out.push(Effect::Settled {
                client_id: p.client_id().to_owned(),
                result: Err(ApiError::new(
                    ErrorCode::Network,
                    "the SDK was stopped before this message was sent",
                )),
            });
        }
        out
    }
}
