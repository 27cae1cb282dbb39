//! The complexity budget as the API hands it out: what is left of the current window now, then
//! a whole window's worth at each reset ("Per-minute budgets ... reset 60 seconds after the
//! first API call was made", https://developer.monday.com/api-reference/docs/rate-limits). It
//! does not refill continuously: a run that needs a second window's budget waits for the reset
//! however its items are spread over the first, and budget left unspent at a reset is lost.
//!
//! [`Window::send`] moves a [`Clock`] through `create_item` batches: the latency's pace while the
//! window's budget lasts, then a wait for the reset. The planner's timeline
//! ([`super::Model::timeline`]) calls it for the time the board is free of jobs and lets the
//! clock run (the resets still come) while a job holds the board.

/// Items below this are float residue, not work (a 5,000-item run must not wait a window for
/// 1e-13 of an item).
const EPS: f64 = 1e-6;

/// The budget's windows in `create_item`s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Window {
    /// Items one whole window admits (budget per window / complexity per item).
    pub(super) cap: f64,
    /// Seconds a window lasts.
    pub(super) len_s: f64,
    /// Seconds per item at the latency's pace (one batch request over its mutations).
    pub(super) item_s: f64,
}

/// Where a run stands on the budget's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Clock {
    /// Seconds from the plan.
    pub(super) t: f64,
    /// Items the current window still admits.
    pub(super) budget: f64,
    /// When the current window resets (the next window follows at once: a run that keeps
    /// sending or polling starts it within a poll).
    pub(super) reset: f64,
}

impl Window {
    /// Whether the latency alone sets the pace: a whole window's budget takes longer than the
    /// window to send, so a fresh window never runs out.
    fn latency_bound(&self) -> bool {
        self.cap * self.item_s >= self.len_s
    }

    /// At or past the reset: a whole window's budget, and the reset after it.
    fn roll(&self, c: &mut Clock) {
        if c.t >= c.reset {
            let k = ((c.t - c.reset) / self.len_s).floor() + 1.0;
            c.reset += k * self.len_s;
            c.budget = self.cap;
        }
    }

    /// Lets the clock run to `until` with nothing sent (a job holds the board).
    pub(super) fn idle(&self, c: &mut Clock, until: f64) {
        if until > c.t {
            c.t = until;
        }
        self.roll(c);
    }

    /// Sends up to `n` items from `c.t`, stopping at `until` (`f64::INFINITY`: until sent):
    /// the latency's pace while the window's budget lasts, then a wait for its reset. Returns
    /// the items sent; `c.t` ends when the last one was sent (or at `until`).
    pub(super) fn send(&self, c: &mut Clock, n: f64, until: f64) -> f64 {
        let want = if n.is_finite() { n.max(0.0) } else { 0.0 };
        let mut left = want;
        self.roll(c);
        while left > EPS && c.t < until {
            if c.budget >= self.cap && self.latency_bound() {
                // A fresh window the latency cannot spend: the budget never binds again.
                let t0 = c.t;
                let k = left.min((until - c.t) / self.item_s);
                c.t = if k < left {
                    until
                } else {
                    c.t + k * self.item_s
                };
                left -= k;
                self.roll(c);
                let from = t0.max(c.reset - self.len_s);
                c.budget = (self.cap - (c.t - from) / self.item_s).max(0.0);
                break;
            }
            let stop = c.reset.min(until);
            let by_time = if self.item_s > 0.0 {
                (stop - c.t) / self.item_s
            } else {
                f64::INFINITY
            };
            let k = left.min(c.budget).min(by_time);
            left -= k;
            c.budget -= k;
            c.t = if k >= by_time {
                stop
            } else {
                c.t + k * self.item_s
            };
            if left <= EPS || c.t >= until {
                break;
            }
            if c.t < c.reset {
                // The window's budget is spent: wait for its reset.
                if c.reset >= until {
                    c.t = until;
                    break;
                }
                c.t = c.reset;
            }
            self.roll(c);
            if !self.latency_bound() {
                // Whole windows in one step: each spent at the latency's pace, then waited out.
                let by_need = (left / self.cap - 1e-9).ceil() - 1.0;
                let by_until = ((until - c.t) / self.len_s).floor();
                let m = by_need.min(by_until).max(0.0);
                if m >= 1.0 {
                    c.t += m * self.len_s;
                    c.reset += m * self.len_s;
                    left -= m * self.cap;
                }
            }
        }
        if left <= EPS {
            want
        } else {
            want - left
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The realistic personal budget: 10M a minute at 30,000 a `create_item` (333.3 items),
    /// batches of 166 at 4.4 s (26.5 ms an item).
    fn realistic() -> Window {
        Window {
            cap: 10_000_000.0 / 30_000.0,
            len_s: 60.0,
            item_s: 4.4 / 166.0,
        }
    }

    fn fresh(w: &Window) -> Clock {
        Clock {
            t: 0.0,
            budget: w.cap,
            reset: w.len_s,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// 500 items: 333.3 in the first window (8.8 s), then the reset at 60 s, then 166.7 more
    /// (4.4 s). A continuous refill would have said about 30 s.
    #[test]
    fn the_second_window_waits_for_the_reset() {
        let w = realistic();
        let mut c = fresh(&w);
        assert!(close(w.send(&mut c, 500.0, f64::INFINITY), 500.0));
        assert!(close(c.t, 60.0 + 166.666_666 * w.item_s), "{c:?}");
        // Within one window: the latency's pace, nothing waits.
        let mut c = fresh(&w);
        w.send(&mut c, 300.0, f64::INFINITY);
        assert!(close(c.t, 300.0 * w.item_s));
        // 5,000 items: 15 whole windows, then 5,000 - 15 x 333.3 = 0 left: the 15th window's
        // items end 8.8 s into it.
        let mut c = fresh(&w);
        w.send(&mut c, 5_000.0, f64::INFINITY);
        assert!(close(c.t, 14.0 * 60.0 + w.cap * w.item_s), "{c:?}");
    }

    /// What is left now counts, and a reset that comes early gives a whole window.
    #[test]
    fn budget_left_and_the_reset_now() {
        let w = realistic();
        // 100 items left, the reset in 20 s: 100 now, 200 after the reset at 20 s.
        let mut c = Clock {
            t: 0.0,
            budget: 100.0,
            reset: 20.0,
        };
        w.send(&mut c, 300.0, f64::INFINITY);
        assert!(close(c.t, 20.0 + 200.0 * w.item_s), "{c:?}");
        // Nothing left and the reset in 59 s: nothing goes before it.
        let mut c = Clock {
            t: 0.0,
            budget: 0.0,
            reset: 59.0,
        };
        assert_eq!(w.send(&mut c, 10.0, 30.0), 0.0);
        assert_eq!(c.t, 30.0);
    }

    /// A job holds the board across the reset: the budget left before it is lost, a whole
    /// window waits after it.
    #[test]
    fn idle_across_a_reset_gives_a_whole_window() {
        let w = realistic();
        let mut c = fresh(&w);
        w.send(&mut c, 100.0, f64::INFINITY);
        w.idle(&mut c, 70.0);
        assert_eq!((c.budget, c.reset), (w.cap, 120.0));
        // Two windows later: the tiling holds.
        w.idle(&mut c, 250.0);
        assert_eq!((c.budget, c.reset), (w.cap, 300.0));
    }

    /// A budget the latency cannot spend in a window: the latency alone sets the pace.
    #[test]
    fn latency_bound_runs_at_the_latency() {
        let w = Window {
            cap: 100_000.0,
            ..realistic()
        };
        let mut c = fresh(&w);
        w.send(&mut c, 10_000.0, f64::INFINITY);
        assert!(close(c.t, 10_000.0 * w.item_s), "{c:?}");
        // Stopped at `until`: only what the time admits.
        let mut c = fresh(&w);
        let sent = w.send(&mut c, 10_000.0, 100.0);
        assert!(
            close(sent, 100.0 / w.item_s) && close(c.t, 100.0),
            "{sent} {c:?}"
        );
    }

    proptest! {
        /// Sending in two parts (stopping anywhere) ends where sending at once does; no more
        /// than the windows admit is ever sent; every figure is finite.
        #[test]
        fn split_sends_match_and_respect_the_budget(
            cap in 0.5f64..2_000.0, item_s in 0.0f64..1.0, n in 0.0f64..20_000.0,
            cut in 0.0f64..3_000.0, left in 0.0f64..=1.0, reset in 0.0f64..=60.0,
        ) {
            let w = Window { cap, len_s: 60.0, item_s };
            let start = Clock { t: 0.0, budget: cap * left, reset };
            let mut once = start;
            prop_assert!((w.send(&mut once, n, f64::INFINITY) - n).abs() < 1e-6);
            let mut twice = start;
            let a = w.send(&mut twice, n, cut);
            let b = w.send(&mut twice, n - a, f64::INFINITY);
            prop_assert!((a + b - n).abs() < 1e-6);
            prop_assert!((once.t - twice.t).abs() < 1e-6 * once.t.max(1.0), "{:?} vs {:?}", once, twice);
            // The budget: what the windows up to the end admit.
            let windows = if once.t < reset { 0.0 } else { ((once.t - reset) / 60.0).floor() + 1.0 };
            prop_assert!(n <= cap * left + windows * cap + 1e-6, "{} items by {}", n, once.t);
            prop_assert!(once.t.is_finite() && once.t >= n * item_s - 1e-6);
        }
    }
}
