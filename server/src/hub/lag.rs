//! How far behind this node's tasks run: a probe sleeps [`PERIOD`] again and again and
//! measures how late it wakes up. When the node's CPU cannot keep up with the fan-out, every
//! task waits in the runtime's queue and the probe with them; a slow consumer (a socket the
//! peer does not read) does not move it, its task simply waits on the socket. Sends are
//! refused while the running lag is over the limit ([`Lag::overloaded`]), so what is
//! accepted is delivered in bounded time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Weak;
use std::time::{Duration, Instant};

use super::Hub;

/// The probe's sleep.
pub const PERIOD: Duration = Duration::from_millis(5);
/// Weight of one sample in the running lag.
const WEIGHT: f64 = 1.0 / 8.0;

/// The lag gauge of one node.
pub struct Lag {
    /// The limit in force, µs (`u64::MAX`: off).
    limit_us: AtomicU64,
    /// The running lag, µs (`f64` bits).
    lag_us: AtomicU64,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Default for Lag {
    fn default() -> Self {
        Lag {
            limit_us: AtomicU64::new(u64::MAX),
            lag_us: AtomicU64::new(0f64.to_bits()),
        }
    }
}

impl Lag {
    /// Sets the running lag above which sends are refused (`--max-fanout-lag-ms`; zero
    /// turns it off).
    pub fn set_limit(&self, limit: Duration) {
        let us = if limit.is_zero() {
            u64::MAX
        } else {
            micros(limit)
        };
        self.limit_us.store(us, Ordering::Relaxed);
    }

    /// One probe sample: it woke up `late` after its deadline.
    pub fn note(&self, late: Duration) {
        let sample = micros(late) as f64;
        let old = f64::from_bits(self.lag_us.load(Ordering::Relaxed));
        let new = old + WEIGHT * (sample - old);
        self.lag_us.store(new.to_bits(), Ordering::Relaxed);
    }

    /// The running lag.
    pub fn lag(&self) -> Duration {
        Duration::from_micros(f64::from_bits(self.lag_us.load(Ordering::Relaxed)) as u64)
    }

    /// Whether the running lag is over the limit.
    pub fn overloaded(&self) -> bool {
        let limit = self.limit_us.load(Ordering::Relaxed);
        limit != u64::MAX && micros(self.lag()) > limit
    }
}

/// Runs the probe of `hub` until the hub is dropped.
pub fn start_probe(hub: Weak<Hub>) {
    tokio::spawn(async move {
        loop {
            let deadline = Instant::now() + PERIOD;
            tokio::time::sleep_until(deadline.into()).await;
            let late = Instant::now().saturating_duration_since(deadline);
            let Some(hub) = hub.upgrade() else { return };
            hub.lag.note(late);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lag_over_the_limit_overloads_and_a_zero_limit_never() {
        let lag = Lag::default();
        lag.note(Duration::from_millis(100));
        assert!(!lag.overloaded(), "off by default");
        lag.set_limit(Duration::from_millis(20));
        for _ in 0..20 {
            lag.note(Duration::from_micros(500));
        }
        assert!(!lag.overloaded(), "a prompt runtime");
        lag.note(Duration::from_millis(80));
        assert!(!lag.overloaded(), "one late wake-up is not overload");
        for _ in 0..20 {
            lag.note(Duration::from_millis(80));
        }
        assert!(lag.overloaded(), "late again and again: overloaded");
        for _ in 0..40 {
            lag.note(Duration::from_micros(500));
        }
        assert!(!lag.overloaded(), "and back");
        lag.set_limit(Duration::ZERO);
        for _ in 0..20 {
            lag.note(Duration::from_millis(80));
        }
        assert!(!lag.overloaded(), "a zero limit turns it off");
    }
}
