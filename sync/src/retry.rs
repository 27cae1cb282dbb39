//! Retry policy: seeded exponential backoff with jitter, and the waits for throttles and locks.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// First backoff step for 5xx, resets and timeouts.
pub const BASE_BACKOFF: Duration = Duration::from_millis(250);
/// Longest single backoff.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// Wait after a 429 when the API gave no `retry_in_seconds`, or when the respect knob is off.
pub const FIXED_THROTTLE_WAIT: Duration = Duration::from_secs(1);
/// Waits on throttles/locks per request before giving up (they do not count as retries).
pub const MAX_WAITS: u32 = 500;

/// Backoff for one logical request; seeded so a run is reproducible.
#[derive(Debug)]
pub struct Backoff {
    rng: ChaCha8Rng,
}

impl Backoff {
    /// `seed` is the run seed, `stream` distinguishes requests (e.g. the batch number).
    pub fn new(seed: u64, stream: u64) -> Self {
        Backoff {
            rng: ChaCha8Rng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        }
    }

    /// Delay before retry `attempt` (0-based): `base * 2^attempt`, capped, with "equal jitter"
    /// (uniform in [d/2, d]).
    pub fn delay(&mut self, attempt: u32) -> Duration {
        let d = BASE_BACKOFF
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF);
        let half = d / 2;
        let jitter = self.rng.gen_range(0..=half.as_micros() as u64);
        half + Duration::from_micros(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_bounded() {
        let mut a = Backoff::new(7, 3);
        let mut b = Backoff::new(7, 3);
        for i in 0..12 {
            let (x, y) = (a.delay(i), b.delay(i));
            assert_eq!(x, y);
            let cap = BASE_BACKOFF.saturating_mul(1 << i.min(16)).min(MAX_BACKOFF);
            assert!(x >= cap / 2 && x <= cap, "{i}: {x:?}");
        }
        assert_ne!(Backoff::new(7, 3).delay(5), Backoff::new(8, 3).delay(5));
    }
}
