//! A sliding-window request counter (minute limit, IP limit).

use std::collections::VecDeque;
use std::time::Duration;

/// Counts requests in the last `window`; refuses the request that would exceed `limit`.
#[derive(Debug, Clone)]
pub struct WindowCounter {
    limit: u32,
    window: Duration,
    arrivals: VecDeque<Duration>,
}

impl WindowCounter {
    /// A counter allowing `limit` requests per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            arrivals: VecDeque::new(),
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    fn prune(&mut self, now: Duration) {
        while let Some(&t) = self.arrivals.front() {
            if t + self.window <= now {
                self.arrivals.pop_front();
            } else {
                break;
            }
        }
    }

    /// Records a request at `now` if allowed; otherwise returns the simulated instant when a slot
    /// frees up (the refused request is not counted).
    pub fn try_acquire(&mut self, now: Duration) -> Result<(), Duration> {
        self.prune(now);
        if self.arrivals.len() >= self.limit as usize {
            let oldest = self.arrivals.front().copied().unwrap_or(now);
            return Err(oldest + self.window);
        }
        self.arrivals.push_back(now);
        Ok(())
    }

    /// When the oldest counted request leaves the window (None when nothing is counted).
    pub fn next_free(&mut self, now: Duration) -> Option<Duration> {
        self.prune(now);
        self.arrivals.front().map(|&t| t + self.window)
    }

    /// Requests left in the window at `now`.
    pub fn remaining(&mut self, now: Duration) -> u32 {
        self.prune(now);
        self.limit.saturating_sub(self.arrivals.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_oldest_expires() {
        let s = Duration::from_secs;
        let mut w = WindowCounter::new(2, s(60));
        assert!(w.try_acquire(s(0)).is_ok());
        assert!(w.try_acquire(s(10)).is_ok());
        assert_eq!(w.try_acquire(s(20)), Err(s(60)));
        assert_eq!(w.remaining(s(20)), 0);
        assert!(w.try_acquire(s(60)).is_ok());
        assert_eq!(w.try_acquire(s(61)), Err(s(70)));
    }
}
