//! Rate limits: per client IP for REST, per connection and per client IP for socket frames
//! (GCRA, from the `governor` crate). Breaking one gets `rate_limited` (HTTP 429 with `Retry-After`, or an
//! error frame); nobody else is affected.

use governor::clock::DefaultClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

fn quota(per_second: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

/// Requests or frames per client IP (REST requests; socket frames of all of an IP's
/// connections together).
pub struct IpLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl IpLimiter {
    /// A limiter allowing `per_second` sustained and `burst` at once per IP.
    pub fn new(per_second: u32, burst: u32) -> IpLimiter {
        IpLimiter(RateLimiter::keyed(quota(per_second, burst)))
    }
    /// Whether one more request from `ip` is allowed now (IPv6 counts per /64, see
    /// [`crate::client_ip::limit_key`]).
    pub fn check(&self, ip: IpAddr) -> bool {
        self.0.check_key(&crate::client_ip::limit_key(ip)).is_ok()
    }
    /// Forgets idle IPs (called periodically so the map does not grow without bound).
    pub fn prune(&self) {
        self.0.retain_recent();
    }
}

/// Socket frames of one connection.
pub struct FrameLimiter(RateLimiter<NotKeyed, InMemoryState, DefaultClock>);

impl FrameLimiter {
    /// A limiter allowing `per_second` sustained and `burst` at once.
    pub fn new(per_second: u32, burst: u32) -> FrameLimiter {
        FrameLimiter(RateLimiter::direct(quota(per_second, burst)))
    }
    /// Whether one more frame is allowed now.
    pub fn check(&self) -> bool {
        self.0.check().is_ok()
    }
}

/// Slow mode: when each (chat, sender) last sent to a chatroom in slow mode, on this node.
/// A sender whose sends reach several nodes of a cluster may send once per node within the
/// window (the check reads nothing from the database, like the rest of the send path).
#[derive(Default)]
pub struct SlowMode(std::sync::Mutex<std::collections::HashMap<(String, String), i64>>);

/// Entries beyond which [`SlowMode::allow`] forgets the expired ones.
const SLOW_MODE_ENTRIES: usize = 100_000;

impl SlowMode {
    /// Whether `user` may send to `chat` (slow mode `seconds`) at `now` (ms); records the
    /// send when allowed. `Err`: seconds left to wait.
    pub fn allow(&self, chat: &str, user: &str, seconds: i64, now: i64) -> Result<(), i64> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let window = seconds * 1000;
        if let Some(last) = map.get(&(chat.to_owned(), user.to_owned())) {
            if now - last < window {
                return Err(((window - (now - last)) + 999) / 1000);
            }
        }
        if map.len() >= SLOW_MODE_ENTRIES {
            let max = i64::from(chatix_protocol::limits::MAX_SLOW_MODE_SECONDS) * 1000;
            map.retain(|_, at| now - *at < max);
        }
        map.insert((chat.to_owned(), user.to_owned()), now);
        Ok(())
    }
}
