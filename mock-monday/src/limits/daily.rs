//! The daily call limit (docs/monday-api.md §2.5): off by default; counts tenths of calls so that
//! rate-limited and `complexity`-only requests count 0.1.

use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

/// Calls per simulated day (days start when the simulator starts).
#[derive(Debug, Clone)]
pub struct DailyLimit {
    limit_tenths: u64,
    day: u64,
    used_tenths: u64,
}

impl DailyLimit {
    /// `limit` calls per day.
    pub fn new(limit: u32) -> Self {
        Self {
            limit_tenths: u64::from(limit) * 10,
            day: 0,
            used_tenths: 0,
        }
    }

    fn roll(&mut self, now: Duration) {
        let day = now.as_secs() / DAY.as_secs();
        if day != self.day {
            self.day = day;
            self.used_tenths = 0;
        }
    }

    /// Whether a request at `now` is still allowed.
    pub fn allowed(&mut self, now: Duration) -> Result<(), Duration> {
        self.roll(now);
        if self.used_tenths >= self.limit_tenths {
            Err(Duration::from_secs((self.day + 1) * DAY.as_secs()))
        } else {
            Ok(())
        }
    }

    /// Counts a request refused by a rate limiter at `now`: 0.1 call.
    pub fn charge_throttled(&mut self, now: Duration) {
        self.charge(now, 1);
    }

    /// Counts an executed request at `now`: one call, or 0.1 when it only asked for
    /// `complexity` (or other meta fields; docs/monday-api.md §2.5).
    pub fn charge_executed(&mut self, now: Duration, only_meta_fields: bool) {
        self.charge(now, if only_meta_fields { 1 } else { 10 });
    }

    /// Counts `tenths` tenths of a call at `now`.
    pub fn charge(&mut self, now: Duration, tenths: u64) {
        self.roll(now);
        self.used_tenths = self.used_tenths.saturating_add(tenths);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_and_resets_next_day() {
        let s = Duration::from_secs;
        let mut d = DailyLimit::new(1);
        assert!(d.allowed(s(5)).is_ok());
        d.charge(s(5), 10);
        assert_eq!(d.allowed(s(6)), Err(s(86_400)));
        assert!(d.allowed(s(86_401)).is_ok());
    }

    #[test]
    fn throttled_and_meta_requests_count_a_tenth() {
        let s = Duration::from_secs;
        let mut d = DailyLimit::new(1);
        for _ in 0..9 {
            d.charge_throttled(s(1));
        }
        d.charge_executed(s(1), true);
        assert!(d.allowed(s(1)).is_err(), "ten tenths make a call");
        let mut d = DailyLimit::new(1);
        d.charge_executed(s(1), false);
        assert!(d.allowed(s(1)).is_err());
    }
}
