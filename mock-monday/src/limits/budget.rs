//! The per-minute complexity budget (docs/monday-api.md §2.1): a fixed window starting at the first call
//! (default) or a sliding window (setting).

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the complexity budget window moves (docs/monday-api.md §2.1, open question 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WindowMode {
    /// A 60 s bucket starting at the first call; resets whole (default).
    #[default]
    Fixed,
    /// Each charge expires 60 s after it was made.
    Sliding,
}

/// The complexity buckets of a token: one shared (personal and trial tokens) or one for reads and
/// one for writes (app tokens); the settings (`config::LimitSettings::budgets`) size them with
/// the budget docs/monday-api.md §2.1 gives each kind. This is the one place the simulator decides which
/// budget a request is charged to.
#[derive(Debug, Clone)]
pub enum Budgets {
    Shared(ComplexityBudget),
    Split {
        read: ComplexityBudget,
        write: ComplexityBudget,
    },
}

impl Budgets {
    /// The bucket a request draws from: app tokens keep reads and writes apart.
    pub fn bucket(&mut self, write: bool) -> &mut ComplexityBudget {
        match self {
            Self::Shared(b) => b,
            Self::Split { read, write: w } => {
                if write {
                    w
                } else {
                    read
                }
            }
        }
    }
}

/// One complexity bucket (personal tokens have one; app tokens one for reads, one for writes).
#[derive(Debug, Clone)]
pub struct ComplexityBudget {
    limit: u64,
    window: Duration,
    mode: WindowMode,
    /// Fixed mode: start of the current window and what it has used.
    window_start: Option<Duration>,
    used: u64,
    /// Sliding mode: every charge with its time.
    charges: VecDeque<(Duration, u64)>,
}

/// The budget's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetCheck {
    /// Budget left before this request.
    pub remaining: u64,
    /// The budget's size.
    pub limit: u64,
    /// Simulated instant when the window resets (fixed) or the oldest charge expires (sliding).
    pub reset_at: Duration,
    /// Whether the request's cost fits.
    pub fits: bool,
    /// When a refused request could fit (the retry hint).
    pub retry_at: Duration,
}

impl BudgetCheck {
    /// Whether the request may run: its cost fits, or it only asks for meta fields, which the
    /// budget never throttles.
    pub fn admits(&self, only_meta_fields: bool) -> bool {
        self.fits || only_meta_fields
    }

    /// What a request costing `cost` is charged: its cost, at most what is left.
    pub fn charge_for(&self, cost: u64) -> u64 {
        cost.min(self.remaining)
    }
}

impl ComplexityBudget {
    /// A budget of `limit` points per `window`.
    pub fn new(limit: u64, window: Duration, mode: WindowMode) -> Self {
        Self {
            limit,
            window,
            mode,
            window_start: None,
            used: 0,
            charges: VecDeque::new(),
        }
    }

    fn roll(&mut self, now: Duration) {
        match self.mode {
            WindowMode::Fixed => match self.window_start {
                Some(start) if now < start + self.window => {}
                _ => {
                    self.window_start = Some(now);
                    self.used = 0;
                }
            },
            WindowMode::Sliding => {
                while let Some(&(t, cost)) = self.charges.front() {
                    if t + self.window <= now {
                        self.charges.pop_front();
                        self.used = self.used.saturating_sub(cost);
                    } else {
                        break;
                    }
                }
            }
        }
    }

    fn reset_at(&self, now: Duration) -> Duration {
        match self.mode {
            WindowMode::Fixed => self.window_start.unwrap_or(now) + self.window,
            WindowMode::Sliding => self.charges.front().map_or(now, |&(t, _)| t) + self.window,
        }
    }

    /// Checks whether `cost` fits at `now` (a fixed window starts with the first call).
    pub fn check(&mut self, now: Duration, cost: u64) -> BudgetCheck {
        self.roll(now);
        let remaining = self.limit.saturating_sub(self.used);
        let reset_at = self.reset_at(now);
        let fits = cost <= remaining;
        let retry_at = if fits {
            now
        } else {
            match self.mode {
                WindowMode::Fixed => reset_at,
                WindowMode::Sliding => {
                    let mut freed = remaining;
                    let mut at = reset_at;
                    for &(t, c) in &self.charges {
                        freed = freed.saturating_add(c);
                        at = t + self.window;
                        if freed >= cost {
                            break;
                        }
                    }
                    at
                }
            }
        };
        BudgetCheck {
            remaining,
            limit: self.limit,
            reset_at,
            fits,
            retry_at,
        }
    }

    /// Charges `cost` at `now` (call after a successful [`check`](Self::check)).
    pub fn charge(&mut self, now: Duration, cost: u64) {
        self.roll(now);
        self.used = self.used.saturating_add(cost);
        if self.mode == WindowMode::Sliding && cost > 0 {
            self.charges.push_back((now, cost));
        }
    }

    /// Budget left at `now` (without starting a window).
    pub fn remaining(&mut self, now: Duration) -> u64 {
        if self.mode == WindowMode::Fixed
            && self
                .window_start
                .is_some_and(|start| now >= start + self.window)
        {
            return self.limit;
        }
        self.roll(now);
        self.limit.saturating_sub(self.used)
    }

    /// Time until the window resets (fixed) or the oldest charge expires (sliding); a full
    /// window when nothing has started it.
    pub fn reset_in(&self, now: Duration) -> Duration {
        let active = match self.mode {
            WindowMode::Fixed => self.window_start.filter(|&s| now < s + self.window),
            WindowMode::Sliding => self
                .charges
                .front()
                .map(|&(t, _)| t)
                .filter(|&t| now < t + self.window),
        };
        active.map_or(self.window, |start| start + self.window - now)
    }

    /// The budget's size.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn meta_requests_pass_an_exhausted_budget_and_charges_stop_at_what_is_left() {
        let mut b = ComplexityBudget::new(100, S(60), WindowMode::Fixed);
        b.charge(S(0), 90);
        let c = b.check(S(1), 30);
        assert!(!c.admits(false));
        assert!(c.admits(true));
        assert_eq!(c.charge_for(30), 10);
        assert_eq!(b.check(S(1), 5).charge_for(5), 5);
    }

    #[test]
    fn fixed_window_starts_at_first_call_and_resets_whole() {
        let mut b = ComplexityBudget::new(100, S(60), WindowMode::Fixed);
        let c = b.check(S(5), 60);
        assert!(c.fits);
        assert_eq!(c.reset_at, S(65));
        b.charge(S(5), 60);
        let c = b.check(S(20), 60);
        assert!(!c.fits);
        assert_eq!(c.remaining, 40);
        assert_eq!(c.retry_at, S(65));
        let c = b.check(S(65), 60);
        assert!(c.fits);
        assert_eq!(c.remaining, 100);
        assert_eq!(c.reset_at, S(125));
    }

    #[test]
    fn sliding_window_frees_old_charges_one_by_one() {
        let mut b = ComplexityBudget::new(100, S(60), WindowMode::Sliding);
        b.charge(S(0), 50);
        b.charge(S(30), 50);
        let c = b.check(S(40), 30);
        assert!(!c.fits);
        assert_eq!(c.retry_at, S(60));
        assert!(b.check(S(60), 30).fits);
        assert_eq!(b.remaining(S(60)), 50);
        assert_eq!(b.remaining(S(90)), 100);
    }
}
