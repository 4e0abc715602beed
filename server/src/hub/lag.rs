//! How late this node's fan-out is: the share of recent socket writes whose first frame
//! waited in its connection's queue longer than the limit. One slow consumer cannot move it
//! much (it is one writer among many, and it is closed when its queue fills); a node whose
//! sockets all fall behind (CPU saturated) moves it towards 1. Sends are refused while it
//! is over one half ([`Lag::overloaded`]), so what is accepted is delivered in bounded time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Weight of one write in the running share.
const WEIGHT: f64 = 1.0 / 32.0;
/// With no write for this long, nothing is queued: the share is stale and ignored.
const STALE: Duration = Duration::from_millis(200);

/// The fan-out lag gauge of one node.
pub struct Lag {
    epoch: Instant,
    /// The limit in force, µs (`u64::MAX`: off).
    limit_us: AtomicU64,
    /// The running share of late writes (`f64` bits).
    late: AtomicU64,
    /// When it was last updated, µs since `epoch`.
    updated_us: AtomicU64,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Default for Lag {
    fn default() -> Self {
        Lag {
            epoch: Instant::now(),
            limit_us: AtomicU64::new(u64::MAX),
            late: AtomicU64::new(0),
            updated_us: AtomicU64::new(0),
        }
    }
}

impl Lag {
    /// Sets the wait above which a write counts as late (`--max-fanout-lag-ms`; zero turns
    /// the gauge off).
    pub fn set_limit(&self, limit: Duration) {
        let us = if limit.is_zero() {
            u64::MAX
        } else {
            micros(limit)
        };
        self.limit_us.store(us, Ordering::Relaxed);
    }

    /// The limit in force (`None`: off).
    pub fn limit(&self) -> Option<Duration> {
        match self.limit_us.load(Ordering::Relaxed) {
            u64::MAX => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// A socket write whose first frame was queued at `queued`.
    pub fn note(&self, queued: Instant) {
        let limit = self.limit_us.load(Ordering::Relaxed);
        if limit == u64::MAX {
            return;
        }
        let now = Instant::now();
        let late = micros(now.saturating_duration_since(queued)) > limit;
        // Racy read-modify-write: a lost update only loses one sample.
        let old = f64::from_bits(self.late.load(Ordering::Relaxed));
        let new = old + WEIGHT * (f64::from(u8::from(late)) - old);
        self.late.store(new.to_bits(), Ordering::Relaxed);
        self.updated_us.store(
            micros(now.saturating_duration_since(self.epoch)),
            Ordering::Relaxed,
        );
    }

    /// Whether most recent socket writes were late.
    pub fn overloaded(&self) -> bool {
        if self.limit_us.load(Ordering::Relaxed) == u64::MAX {
            return false;
        }
        let updated = self.updated_us.load(Ordering::Relaxed);
        if micros(self.epoch.elapsed()).saturating_sub(updated) > micros(STALE) {
            return false;
        }
        f64::from_bits(self.late.load(Ordering::Relaxed)) > 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_writes_overload_until_stale_and_one_slow_writer_does_not() {
        let lag = Lag::default();
        assert!(!lag.overloaded(), "off by default");
        lag.set_limit(Duration::from_millis(50));
        let now = Instant::now();
        let late = now.checked_sub(Duration::from_millis(500)).unwrap_or(now);
        // A slow consumer's write now and then among many prompt ones.
        for i in 0..200 {
            lag.note(if i % 10 == 0 { late } else { Instant::now() });
        }
        assert!(!lag.overloaded(), "one late write in ten is not overload");
        for _ in 0..100 {
            lag.note(late);
        }
        assert!(lag.overloaded(), "most writes late: overloaded");
        std::thread::sleep(STALE + Duration::from_millis(50));
        assert!(!lag.overloaded(), "no write since: nothing queued, stale");
        lag.set_limit(Duration::ZERO);
        lag.note(late);
        assert!(!lag.overloaded(), "a zero limit turns it off");
    }
}
