//! Reconnect delays: exponential backoff with jitter, so that a restarted server is not
//! hit by every client at the same instant.

/// First delay, ms.
pub const BASE_MS: u64 = 500;
/// Largest delay, ms.
pub const MAX_MS: u64 = 30_000;

/// Delay before reconnect attempt `attempt` (0-based), given a uniform random `r` in
/// `[0, 1)`: between half and all of `min(MAX, BASE·2^attempt)`.
pub fn delay_ms(attempt: u32, r: f64) -> u64 {
    let cap = BASE_MS.saturating_mul(1u64 << attempt.min(16)).min(MAX_MS);
    let r = r.clamp(0.0, 1.0);
    (cap as f64 * (0.5 + 0.5 * r)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_jitter_and_a_cap() {
        assert_eq!(delay_ms(0, 0.0), 250);
        assert_eq!(delay_ms(0, 0.999_999), 499);
        assert_eq!(delay_ms(3, 0.0), 2_000);
        assert_eq!(delay_ms(20, 0.0), 15_000);
        assert_eq!(delay_ms(20, 1.0), 30_000);
        let spread: std::collections::BTreeSet<u64> =
            (0..10).map(|i| delay_ms(2, i as f64 / 10.0)).collect();
        assert_eq!(spread.len(), 10, "different clients wait different times");
    }
}
