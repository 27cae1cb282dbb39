//! The simulator clock: simulated time over `tokio::time::Instant`.
//!
//! Simulated instants are durations since [`EPOCH_UNIX_SECS`]
//! (2026-01-01T00:00:00Z), so a multiple of 86,400 s is midnight UTC (the daily limit's reset)
//! and timestamps are dates. The clock starts at a configurable offset from that epoch
//! (`SimConfig::start_time`; default the epoch itself).
//!
//! `time_scale` S means S wall seconds pass per simulated second (0.01: a 60 s budget window
//! passes in 0.6 s of wall time). Under a paused tokio runtime with S = 1 the clock is fully
//! virtual and deterministic. Retry hints and every delay the core returns are *simulated*
//! durations; the faces convert them with [`SimClock::to_wall`] before sleeping.

use std::time::Duration;

use tokio::time::Instant;

/// Simulated time since the simulator started.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    start: Instant,
    scale: f64,
    /// Simulated instant at which the clock started.
    offset: Duration,
}

impl SimClock {
    /// A clock starting now. `scale` must be finite and > 0 (checked by `SimConfig::validate`);
    /// anything else is treated as 1.
    pub fn new(scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Self {
            start: Instant::now(),
            scale,
            offset: Duration::ZERO,
        }
    }

    /// The same clock starting at simulated instant `offset` (time since the epoch).
    pub fn starting_at(mut self, offset: Duration) -> Self {
        self.offset = offset;
        self
    }

    /// The simulated instant the clock started at.
    pub fn offset(&self) -> Duration {
        self.offset
    }

    /// Wall seconds per simulated second.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The current simulated instant (the start offset plus simulated time elapsed).
    pub fn now(&self) -> Duration {
        self.offset
            .saturating_add(self.from_wall(self.start.elapsed()))
    }

    /// Converts a simulated duration to the wall (tokio) duration a face sleeps.
    pub fn to_wall(&self, simulated: Duration) -> Duration {
        if self.scale == 1.0 {
            return simulated;
        }
        Duration::try_from_secs_f64(simulated.as_secs_f64() * self.scale).unwrap_or(Duration::MAX)
    }

    /// Converts a wall (tokio) duration to simulated time.
    pub fn from_wall(&self, wall: Duration) -> Duration {
        if self.scale == 1.0 {
            return wall;
        }
        Duration::try_from_secs_f64(wall.as_secs_f64() / self.scale).unwrap_or(Duration::MAX)
    }
}

/// Simulated time zero: 2026-01-01T00:00:00Z (Unix seconds).
pub const EPOCH_UNIX_SECS: i64 = 1_767_225_600;

/// ISO 8601 (`2026-01-01T00:00:05Z`) of a simulated instant.
pub fn iso_time(at: Duration) -> String {
    let secs = EPOCH_UNIX_SECS.saturating_add(i64::try_from(at.as_secs()).unwrap_or(i64::MAX / 2));
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "2026-01-01T00:00:00Z".to_string(),
    }
}

/// Whole seconds from `now` until `deadline`, rounded up, at least 1 (for `Retry-After`).
pub fn secs_until(now: Duration, deadline: Duration) -> u64 {
    let left = deadline.saturating_sub(now);
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_runs_faster() {
        let c = SimClock::new(0.01);
        tokio::time::advance(Duration::from_millis(600)).await;
        let now = c.now();
        assert!((now.as_secs_f64() - 60.0).abs() < 1e-6, "{now:?}");
        assert_eq!(
            c.to_wall(Duration::from_secs(60)),
            Duration::from_millis(600)
        );
    }

    #[test]
    fn iso_time_counts_from_2026() {
        assert_eq!(iso_time(Duration::ZERO), "2026-01-01T00:00:00Z");
        assert_eq!(iso_time(Duration::from_secs(3661)), "2026-01-01T01:01:01Z");
    }

    #[test]
    fn retry_seconds_round_up() {
        let s = Duration::from_secs;
        assert_eq!(secs_until(s(10), s(40)), 30);
        assert_eq!(secs_until(Duration::from_millis(10_500), s(40)), 30);
        assert_eq!(secs_until(s(50), s(40)), 1);
    }
}
