//! The account's hourly item budget (19,000 items per hour, IngestRef "Capacity and rate
//! limits"): reserved when a job's upload is validated, given back for rows that end invalid,
//! skipped or failed. The window is a rolling hour (the docs do not say; the README's behaviour
//! table records the choice). The 100 job starts per hour reuse [`crate::limits::WindowCounter`].

use std::collections::VecDeque;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3_600);

/// Items reserved in the last rolling hour.
#[derive(Debug, Clone, Default)]
pub struct HourlyBudget {
    limit: u64,
    /// (reserved at, items) with give-backs netted into their reservation.
    held: VecDeque<(Duration, u64)>,
}

impl HourlyBudget {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            held: VecDeque::new(),
        }
    }

    fn prune(&mut self, now: Duration) {
        while self.held.front().is_some_and(|(t, _)| *t + HOUR <= now) {
            self.held.pop_front();
        }
    }

    /// Items held in the hour before `now`.
    pub fn used(&mut self, now: Duration) -> u64 {
        self.prune(now);
        self.held.iter().map(|(_, n)| n).sum()
    }

    /// Items still free at `now`.
    pub fn remaining(&mut self, now: Duration) -> u64 {
        self.limit.saturating_sub(self.used(now))
    }

    /// Reserves `items` at `now` if they fit (all or nothing).
    pub fn reserve(&mut self, now: Duration, items: u64) -> bool {
        if items > self.remaining(now) {
            return false;
        }
        self.held.push_back((now, items));
        true
    }

    /// Spends `items` at `now` whether or not they fit (writes that are never refused by the
    /// budget, e.g. `create_item` when the budget is shared).
    pub fn spend(&mut self, now: Duration, items: u64) {
        if items > 0 {
            self.held.push_back((now, items));
        }
    }

    /// Gives back `items` of the reservation made at `reserved_at` (nothing once it left the
    /// window).
    pub fn give_back(&mut self, reserved_at: Duration, items: u64) {
        if let Some(entry) = self
            .held
            .iter_mut()
            .find(|(t, n)| *t == reserved_at && *n > 0)
        {
            entry.1 = entry.1.saturating_sub(items);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_all_or_nothing_and_roll_off_after_an_hour() {
        let s = Duration::from_secs;
        let mut b = HourlyBudget::new(19_000);
        assert!(b.reserve(s(0), 10_000));
        assert!(!b.reserve(s(10), 9_001), "only 9,000 left");
        assert_eq!(b.remaining(s(10)), 9_000);
        assert!(b.reserve(s(10), 9_000));
        assert_eq!(b.remaining(s(3_599)), 0);
        assert_eq!(
            b.remaining(s(3_600)),
            10_000,
            "the first reservation left the window"
        );
    }

    #[test]
    fn given_back_items_are_free_again() {
        let s = Duration::from_secs;
        let mut b = HourlyBudget::new(100);
        assert!(b.reserve(s(5), 100));
        b.give_back(s(5), 30);
        assert_eq!(b.remaining(s(6)), 30);
        b.spend(s(7), 50);
        assert_eq!(
            b.remaining(s(8)),
            0,
            "spent beyond the limit, never below zero"
        );
    }
}
