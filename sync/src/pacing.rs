//! Pacing by the API's own budget signals, and the bookkeeping that splits waiting from sending.
//!
//! [`Pacer`] keeps an estimate of the complexity budget left: the `after` (or `RateLimit` `r=`) of the
//! newest response, minus the cost of every request sent after the one that reported it. A request
//! whose cost exceeds the estimate is held until the reported reset instead of being sent into a 429.
//! A 429 blocks every sender until `retry_in_seconds` has passed ([`Pacer::block_for`]).
//!
//! [`Activity`] integrates the time during which at least one sender waits on limits while no
//! request is in flight: the engine attributes exactly that time to the "wait" phase.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::observer::{notify, notify_wait, ActivityEvent, SyncObserver, WaitReason};
use crate::payload::BudgetInfo;

/// Slack added after a reported reset before sending again (resets are reported in whole seconds).
pub const RESET_MARGIN: Duration = Duration::from_millis(50);

/// A reservation of budget for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    pub seq: u64,
    pub cost: u64,
    /// When the reservation was made (just before sending): the server measured its reset from
    /// about then, so the reset instant is anchored here rather than at the response.
    pub issued: Instant,
}

#[derive(Debug, Default)]
struct PacerState {
    next_seq: u64,
    base_remaining: Option<u64>,
    base_seq: u64,
    /// Costs of requests sent after `base_seq` (not reflected in `base_remaining`).
    sent: BTreeMap<u64, u64>,
    reset_at: Option<Instant>,
    limit: Option<u64>,
    blocked_until: Option<Instant>,
}

impl PacerState {
    fn estimate(&self) -> Option<u64> {
        let used: u64 = self.sent.range(self.base_seq + 1..).map(|(_, c)| *c).sum();
        self.base_remaining.map(|r| r.saturating_sub(used))
    }

    fn apply_reset(&mut self) {
        self.base_remaining = self.limit;
        // Everything sent so far belongs to the old window.
        self.base_seq = self.next_seq - 1;
        self.sent.clear();
        self.reset_at = None;
    }
}

/// Shared pacing state for one run.
pub struct Pacer {
    state: Mutex<PacerState>,
    /// Budget pacing on (off = the naive-client test knob).
    enabled: bool,
    activity: Mutex<Activity>,
    /// Woken on every response, for senders waiting to learn the budget.
    news: tokio::sync::Notify,
    /// Told when a sender starts and ends a wait (progress display).
    observer: Option<Arc<dyn SyncObserver>>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("state", &self.state)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// What the pacer knows about the budget right now (for progress estimates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetSnapshot {
    /// Budget per window, once a response has told it.
    pub limit: Option<u64>,
    /// Estimated budget left in the current window.
    pub remaining: Option<u64>,
    /// When the current window resets, if known.
    pub reset_at: Option<Instant>,
    /// Nobody sends before this (a 429's `retry_in_seconds`).
    pub blocked_until: Option<Instant>,
}

/// Longest wait for news about the budget before sending anyway.
const NEWS_TIMEOUT: Duration = Duration::from_secs(5);

impl Pacer {
    pub fn new(enabled: bool) -> Self {
        Pacer {
            state: Mutex::new(PacerState {
                next_seq: 1,
                ..Default::default()
            }),
            enabled,
            activity: Mutex::new(Activity::new(Instant::now())),
            news: tokio::sync::Notify::new(),
            observer: None,
        }
    }

    /// Report waits (budget, 429) to `observer` as [`ActivityEvent`]s.
    pub fn with_observer(mut self, observer: Option<Arc<dyn SyncObserver>>) -> Self {
        self.observer = observer;
        self
    }

    /// The budget as the pacer sees it now.
    pub fn snapshot(&self) -> BudgetSnapshot {
        let s = self.lock();
        BudgetSnapshot {
            limit: s.limit,
            remaining: s.estimate(),
            reset_at: s.reset_at,
            blocked_until: s.blocked_until,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait until a request of `cost` may be sent, then reserve it. Returns the ticket and the time
    /// spent waiting on limits.
    pub async fn acquire(&self, cost: u64) -> (Ticket, Duration) {
        let mut waited = Duration::ZERO;
        loop {
            let now = Instant::now();
            let news = self.news.notified();
            let mut reason = WaitReason::Budget;
            let until = {
                let mut s = self.lock();
                let blocked = s.blocked_until.filter(|b| *b > now);
                let est = if self.enabled { s.estimate() } else { None };
                let short = est.is_some_and(|rem| rem < cost);
                let unknown = self.enabled && est.is_none() && !s.sent.is_empty();
                match (blocked, s.reset_at) {
                    (Some(b), _) => {
                        reason = WaitReason::RateLimited;
                        Some(b)
                    }
                    (None, Some(reset)) if short && reset + RESET_MARGIN > now => {
                        Some(reset + RESET_MARGIN)
                    }
                    // Budget unknown or short with no reset in sight, and requests in flight: wait
                    // for their responses to tell us instead of guessing.
                    (None, None) if (short || unknown) && !s.sent.is_empty() => None,
                    (None, reset) => {
                        if short && reset.is_some() {
                            s.apply_reset();
                        }
                        let seq = s.next_seq;
                        s.next_seq += 1;
                        s.sent.insert(seq, cost);
                        return (
                            Ticket {
                                seq,
                                cost,
                                issued: Instant::now(),
                            },
                            waited,
                        );
                    }
                }
            };
            self.activity(|a| a.wait_start(now));
            match until {
                Some(until) => {
                    tracing::debug!(
                        wait_ms = (until - now).as_millis() as u64,
                        "waiting on API limits"
                    );
                    notify_wait(self.observer.as_ref(), reason, until);
                    tokio::time::sleep_until(until).await;
                    notify(self.observer.as_ref(), ActivityEvent::WaitOver);
                }
                None => {
                    let _ = tokio::time::timeout(NEWS_TIMEOUT, news).await;
                }
            }
            let end = Instant::now();
            self.activity(|a| a.wait_end(end));
            waited += end - now;
        }
    }

    /// How many units of `unit_cost` the budget affords right now, by the newest estimate
    /// (a reset that has already passed counts as a full budget). `None` when pacing is off, the
    /// budget is not known yet, or a 429 blocks every sender. Senders use it to fit the last
    /// batch of a window into what is left instead of waiting a whole window for the reset.
    pub fn affordable_units(&self, unit_cost: u64) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        let now = Instant::now();
        let s = self.lock();
        if s.blocked_until.is_some_and(|b| b > now) {
            return None;
        }
        let budget = match s.reset_at {
            Some(reset) if reset + RESET_MARGIN <= now => s.limit,
            _ => s.estimate(),
        }?;
        Some(budget / unit_cost.max(1))
    }

    /// Record what a response said about the budget.
    pub fn on_response(&self, ticket: Ticket, info: &BudgetInfo, charged: bool) {
        let now = ticket.issued;
        let mut s = self.lock();
        if let (Some(rem), Some(cost)) = (info.remaining, info.cost) {
            let before = rem + cost;
            s.limit = Some(s.limit.map_or(before, |l| l.max(before)));
        }
        if let Some(l) = info.limit {
            s.limit = Some(l);
        }
        if ticket.seq >= s.base_seq {
            match info.remaining {
                Some(rem) => {
                    s.base_remaining = Some(rem);
                    s.base_seq = ticket.seq;
                    let keep = s.sent.split_off(&(ticket.seq + 1));
                    s.sent = keep;
                }
                None if !charged => {
                    s.sent.remove(&ticket.seq);
                }
                None => {}
            }
            if let Some(r) = info.reset_in_secs {
                s.reset_at = Some(now + Duration::from_secs(r));
            }
        } else if !charged {
            s.sent.remove(&ticket.seq);
        }
        drop(s);
        self.news.notify_waiters();
    }

    /// Nobody sends before `now + d` (a 429's `retry_in_seconds`).
    pub fn block_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut s = self.lock();
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
        // A throttle means the budget is gone until then.
        if self.enabled {
            s.base_remaining = Some(0);
            s.base_seq = s.next_seq - 1;
            s.sent.clear();
            s.reset_at = Some(until);
        }
        drop(s);
        self.news.notify_waiters();
    }

    /// The budget size, once a response has told it.
    pub fn limit(&self) -> Option<u64> {
        self.lock().limit
    }

    /// Current estimate of the remaining budget (None = unknown).
    pub fn estimate(&self) -> Option<u64> {
        self.lock().estimate()
    }

    /// Update the activity bookkeeping.
    pub fn activity<T>(&self, f: impl FnOnce(&mut Activity) -> T) -> T {
        f(&mut self.activity.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Integrates "someone waits on limits and nothing is in flight" time.
#[derive(Debug)]
pub struct Activity {
    in_flight: u32,
    waiting: u32,
    last: Instant,
    limit_only: Duration,
}

impl Activity {
    pub fn new(now: Instant) -> Self {
        Activity {
            in_flight: 0,
            waiting: 0,
            last: now,
            limit_only: Duration::ZERO,
        }
    }

    fn advance(&mut self, now: Instant) {
        if self.waiting > 0 && self.in_flight == 0 {
            self.limit_only += now.saturating_duration_since(self.last);
        }
        self.last = self.last.max(now);
    }

    pub fn request_start(&mut self, now: Instant) {
        self.advance(now);
        self.in_flight += 1;
    }

    pub fn request_end(&mut self, now: Instant) {
        self.advance(now);
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    pub fn wait_start(&mut self, now: Instant) {
        self.advance(now);
        self.waiting += 1;
    }

    pub fn wait_end(&mut self, now: Instant) {
        self.advance(now);
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// Total limit-only time up to `now`.
    pub fn limit_only(&mut self, now: Instant) -> Duration {
        self.advance(now);
        self.limit_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(rem: u64, reset: u64) -> BudgetInfo {
        BudgetInfo {
            remaining: Some(rem),
            reset_in_secs: Some(reset),
            limit: Some(1_000_000),
            cost: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_reset_when_budget_is_short() {
        let p = Pacer::new(true);
        let t0 = Instant::now();
        let (a, w) = p.acquire(750_000).await;
        assert_eq!(w, Duration::ZERO);
        p.on_response(a, &info(250_000, 40), true);
        let (_b, w) = p.acquire(750_000).await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(40) + RESET_MARGIN);
        assert_eq!(w, Duration::from_secs(40) + RESET_MARGIN);
        // Budget after reset is the full limit minus what was just reserved.
        assert_eq!(p.estimate(), Some(250_000));
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_reservations_count_against_the_estimate() {
        let p = Pacer::new(true);
        let (a, _) = p.acquire(100).await;
        p.on_response(a, &info(1000, 30), true);
        let (_b, _) = p.acquire(400).await;
        let (_c, _) = p.acquire(400).await;
        assert_eq!(p.estimate(), Some(200));
        let t0 = Instant::now();
        let _ = p.acquire(400).await;
        assert!(Instant::now() - t0 >= Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn block_for_holds_everyone_and_disabled_ignores_budget() {
        let p = Pacer::new(false);
        let (a, _) = p.acquire(100).await;
        p.on_response(a, &info(0, 50), true);
        let t0 = Instant::now();
        let _ = p.acquire(100).await; // budget ignored when disabled
        assert_eq!(Instant::now(), t0);
        p.block_for(Duration::from_secs(2));
        let (_, w) = p.acquire(100).await;
        assert_eq!(w, Duration::from_secs(2));
    }

    #[test]
    fn activity_integrates_limit_only_time() {
        let t = Instant::now();
        let mut a = Activity::new(t);
        a.request_start(t);
        a.wait_start(t + Duration::from_secs(1));
        a.request_end(t + Duration::from_secs(2));
        a.wait_end(t + Duration::from_secs(5));
        assert_eq!(
            a.limit_only(t + Duration::from_secs(9)),
            Duration::from_secs(3)
        );
    }
}
