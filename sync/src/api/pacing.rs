//! Pacing and the complexity budget: when a request may go, decided here and nowhere else, by
//! the API's own budget signals; and the bookkeeping that splits waiting from sending.
//!
//! [`Pacer`] keeps an estimate of the complexity budget left: the `after` (or `RateLimit` `r=`) of the
//! newest response, minus the cost of every request sent after the one that reported it. A request
//! whose cost exceeds the estimate is held until the reported reset instead of being sent into a 429.
//! A 429 blocks every sender until `retry_in_seconds` has passed ([`Pacer::block_for`]).
//!
//! [`Activity`] integrates the time during which at least one sender waits on limits while no
//! request is in flight: the engine attributes exactly that time to the "wait" phase.
//!
//! The decisions are pinned by the table tests below: `cargo mutants -p monday-sync -f
//! sync/src/api/pacing.rs -- --lib` judged 93 mutants, 69 caught, 13 unviable, 11 timed out and
//! none missed, so no equivalent mutant is left to name. The 11 that timed out make a hold
//! never end (the budget guard's reset check turned to `>=` or dropped, the hold's end at
//! `reset - RESET_MARGIN`, the estimate stuck at 0 or 1, a 429's end reached with `>=`, responses
//! ignored): they are the one-token edits that spin a run on a paused clock. The tests' waiting
//! loop now gives up after a few rounds and fails instead, and `monday-perf gate` stops such a
//! run at its no-progress bound (`perf/src/limits.rs`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::payload::BudgetInfo;
use crate::api::retry::Signal;
use crate::observer::WaitReason;

/// The API's complexity budget window: the budget is a per-minute allowance
/// (budgets "reset 60 seconds after the first API call was made":
/// <https://developer.monday.com/api-reference/docs/rate-limits>).
pub(crate) const BUDGET_WINDOW: Duration = Duration::from_secs(60);

/// Slack added after a reported reset before sending again (resets are reported in whole seconds).
pub(crate) const RESET_MARGIN: Duration = Duration::from_millis(50);

/// A reservation of budget for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    pub(crate) seq: u64,
    pub(crate) cost: u64,
    /// When the reservation was made (just before sending): the server measured its reset from
    /// about then, so the reset instant is anchored here rather than at the response.
    pub(crate) issued: Instant,
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
    /// `sent` only ever holds requests after `base_seq`: a response that sets `base_seq` drops
    /// every reservation up to its own, a reset or a throttle clears them all, and a new
    /// reservation's `seq` is above every `base_seq` so far.
    fn estimate(&self) -> Option<u64> {
        let used: u64 = self.sent.values().sum();
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
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Mutex<PacerState>,
    activity: Mutex<Activity>,
    /// Woken on every response, for senders waiting to learn the budget.
    news: tokio::sync::Notify,
}

/// What the pacer knows about the budget right now (for progress estimates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct BudgetSnapshot {
    /// Budget per window, once a response has told it.
    pub(crate) limit: Option<u64>,
    /// Estimated budget left in the current window.
    pub(crate) remaining: Option<u64>,
    /// When the current window resets, if known.
    pub(crate) reset_at: Option<Instant>,
    /// Nobody sends before this (a 429's `retry_in_seconds`).
    pub(crate) blocked_until: Option<Instant>,
}

/// Longest wait for news about the budget before sending anyway.
pub(crate) const NEWS_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a request may not go yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    /// Not before `until`: a 429 blocks everyone ([`WaitReason::RateLimited`]) or the budget is
    /// short until the reported reset ([`WaitReason::Budget`]).
    Until { until: Instant, reason: WaitReason },
    /// The budget is unknown or short with no reset in sight while requests are in flight: wait
    /// for their responses (at most [`NEWS_TIMEOUT`]) instead of guessing.
    News,
}

/// Whether a request that ended with `signal` was charged against the complexity budget (so its
/// reservation stays counted until a newer response reports the budget). A write that may have
/// been applied may have been charged; a read that failed was not.
pub(crate) fn charged(signal: Signal, writes: bool) -> bool {
    match signal {
        Signal::Answered | Signal::TransientAliases { .. } => true,
        Signal::ServerError | Signal::TransportMaybeSent => writes,
        _ => false,
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    pub(crate) fn new() -> Self {
        Pacer {
            state: Mutex::new(PacerState {
                next_seq: 1,
                ..Default::default()
            }),
            activity: Mutex::new(Activity::new(Instant::now())),
            news: tokio::sync::Notify::new(),
        }
    }

    /// The budget as the pacer sees it now.
    pub(crate) fn snapshot(&self) -> BudgetSnapshot {
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

    /// A future that completes on the next response; create it before [`Pacer::try_acquire`]
    /// so that a response arriving in between is not missed.
    pub(crate) fn news(&self) -> tokio::sync::futures::Notified<'_> {
        self.news.notified()
    }

    /// Reserve `cost` for a request sent now, or say why it must wait (the caller waits and
    /// asks again: [`crate::api::client::ApiClient::reserve`]).
    pub(crate) fn try_acquire(&self, cost: u64) -> Result<Ticket, Hold> {
        let now = Instant::now();
        let mut s = self.lock();
        let blocked = s.blocked_until.filter(|b| *b > now);
        let est = s.estimate();
        let short = est.is_some_and(|rem| rem < cost);
        let unknown = est.is_none() && !s.sent.is_empty();
        match (blocked, s.reset_at) {
            (Some(until), _) => Err(Hold::Until {
                until,
                reason: WaitReason::RateLimited,
            }),
            (None, Some(reset)) if short && reset + RESET_MARGIN > now => Err(Hold::Until {
                until: reset + RESET_MARGIN,
                reason: WaitReason::Budget,
            }),
            (None, None) if (short || unknown) && !s.sent.is_empty() => Err(Hold::News),
            (None, reset) => {
                if short && reset.is_some() {
                    s.apply_reset();
                }
                let seq = s.next_seq;
                s.next_seq += 1;
                s.sent.insert(seq, cost);
                Ok(Ticket {
                    seq,
                    cost,
                    issued: now,
                })
            }
        }
    }

    /// Reserve `cost` whatever the estimate says: the caller waited [`NEWS_TIMEOUT`] for a
    /// response and none came while the budget is still unknown
    /// ([`crate::api::client::ApiClient::reserve`]).
    pub(crate) fn acquire_anyway(&self, cost: u64) -> Ticket {
        let mut s = self.lock();
        let seq = s.next_seq;
        s.next_seq += 1;
        s.sent.insert(seq, cost);
        Ticket {
            seq,
            cost,
            issued: Instant::now(),
        }
    }

    /// How many units of `unit_cost` the budget affords right now, by the newest estimate
    /// (a reset that has already passed counts as a full budget). `None` when pacing is off, the
    /// budget is not known yet, or a 429 blocks every sender. Senders use it to fit the last
    /// batch of a window into what is left instead of waiting a whole window for the reset.
    pub(crate) fn affordable_units(&self, unit_cost: u64) -> Option<u64> {
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
    pub(crate) fn on_response(&self, ticket: Ticket, info: &BudgetInfo, charged: bool) {
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
                let bound = now + Duration::from_secs(r);
                s.reset_at = Some(match s.reset_at {
                    // Every answer from one window bounds the same reset from above (whole
                    // seconds, rounded up): keep the tightest, not the newest, which can be
                    // almost a second later.
                    Some(known) if known > now => known.min(bound),
                    _ => bound,
                });
            }
        }
        // An older response than the newest figure brings no news, and its reservation is
        // already gone: the figure that made it old dropped it (see `PacerState::estimate`).
        drop(s);
        self.news.notify_waiters();
    }

    /// Nobody sends before `now + d` (a 429's `retry_in_seconds`).
    pub(crate) fn block_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut s = self.lock();
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
        // A throttle means the budget is gone until then.
        s.base_remaining = Some(0);
        s.base_seq = s.next_seq - 1;
        s.sent.clear();
        s.reset_at = Some(until);
        drop(s);
        self.news.notify_waiters();
    }

    /// The budget size, once a response has told it.
    pub(crate) fn limit(&self) -> Option<u64> {
        self.lock().limit
    }

    /// Update the activity bookkeeping.
    pub(crate) fn activity<T>(&self, f: impl FnOnce(&mut Activity) -> T) -> T {
        f(&mut self.activity.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Integrates "someone waits on limits and nothing is in flight" time.
#[derive(Debug)]
pub(crate) struct Activity {
    in_flight: u32,
    waiting: u32,
    last: Instant,
    limit_only: Duration,
}

impl Activity {
    pub(crate) fn new(now: Instant) -> Self {
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

    pub(crate) fn request_start(&mut self, now: Instant) {
        self.advance(now);
        self.in_flight += 1;
    }

    pub(crate) fn request_end(&mut self, now: Instant) {
        self.advance(now);
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    pub(crate) fn wait_start(&mut self, now: Instant) {
        self.advance(now);
        self.waiting += 1;
    }

    pub(crate) fn wait_end(&mut self, now: Instant) {
        self.advance(now);
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// Total limit-only time up to `now`.
    pub(crate) fn limit_only(&mut self, now: Instant) -> Duration {
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

    /// Rounds of [`acquire`] before it calls the pacer stuck: a healthy hold ends in one or two.
    const ROUNDS: usize = 20;

    /// The waiting loop of `ApiClient::reserve`, without an observer: (ticket, time waited).
    /// A pacer that holds without end (a wait that ends at once and is asked again, a reset that
    /// never passes) fails here at once instead of spinning the test.
    async fn acquire(p: &Pacer, cost: u64) -> (Ticket, Duration) {
        let t0 = Instant::now();
        let mut holds = Vec::new();
        for _ in 0..ROUNDS {
            let news = p.news();
            match p.try_acquire(cost) {
                Ok(t) => return (t, Instant::now() - t0),
                Err(hold @ Hold::Until { until, .. }) => {
                    holds.push((hold, Instant::now() - t0));
                    tokio::time::sleep_until(until).await
                }
                Err(Hold::News) => {
                    holds.push((Hold::News, Instant::now() - t0));
                    let _ = tokio::time::timeout(NEWS_TIMEOUT, news).await;
                }
            }
        }
        panic!("still held after {ROUNDS} rounds: {holds:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_reset_when_budget_is_short() {
        let p = Pacer::new();
        let t0 = Instant::now();
        let (a, w) = acquire(&p, 750_000).await;
        assert_eq!(w, Duration::ZERO);
        p.on_response(a, &info(250_000, 40), true);
        let (_b, w) = acquire(&p, 750_000).await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(40) + RESET_MARGIN);
        assert_eq!(w, Duration::from_secs(40) + RESET_MARGIN);
        // Budget after reset is the full limit minus what was just reserved.
        assert_eq!(p.snapshot().remaining, Some(250_000));
    }

    #[tokio::test(start_paused = true)]
    async fn the_tightest_reset_an_answer_of_the_window_reported_is_kept() {
        let p = Pacer::new();
        let t0 = Instant::now();
        let (a, _) = acquire(&p, 100).await;
        p.on_response(a, &info(900_000, 40), true);
        tokio::time::sleep(Duration::from_millis(4_300)).await;
        // 35.7 s left, reported rounded up: 36 bounds the reset at 40.3 s, later than 40.
        let (b, _) = acquire(&p, 100).await;
        p.on_response(b, &info(800_000, 36), true);
        assert_eq!(p.snapshot().reset_at, Some(t0 + Duration::from_secs(40)));
        // A bound that is tighter replaces it.
        p.on_response(b, &info(800_000, 35), true);
        assert_eq!(
            p.snapshot().reset_at,
            Some(t0 + Duration::from_millis(39_300))
        );
        // A request sent at that reset starts the next window: its answer's bound replaces it.
        tokio::time::sleep_until(t0 + Duration::from_millis(39_300)).await;
        let (c, _) = acquire(&p, 100).await;
        p.on_response(c, &info(900_000, 60), true);
        assert_eq!(
            p.snapshot().reset_at,
            Some(t0 + Duration::from_millis(39_300 + 60_000))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_reservations_count_against_the_estimate() {
        let p = Pacer::new();
        let (a, _) = acquire(&p, 100).await;
        p.on_response(a, &info(1000, 30), true);
        let (_b, _) = acquire(&p, 400).await;
        let (_c, _) = acquire(&p, 400).await;
        assert_eq!(p.snapshot().remaining, Some(200));
        let t0 = Instant::now();
        let _ = acquire(&p, 400).await;
        assert!(Instant::now() - t0 >= Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn block_for_holds_everyone() {
        let p = Pacer::new();
        let (a, _) = acquire(&p, 100).await;
        p.on_response(a, &info(1_000, 50), true);
        p.block_for(Duration::from_secs(2));
        assert!(matches!(
            p.try_acquire(100),
            Err(Hold::Until {
                reason: WaitReason::RateLimited,
                ..
            })
        ));
        // The throttle also empties the budget until then: the reset margin applies.
        let (_, w) = acquire(&p, 100).await;
        assert_eq!(w, Duration::from_secs(2) + RESET_MARGIN);
    }

    const LIMIT: u64 = 1_000_000;

    fn budget(remaining: Option<u64>, reset: Option<u64>) -> BudgetInfo {
        BudgetInfo {
            remaining,
            reset_in_secs: reset,
            limit: Some(LIMIT),
            cost: None,
        }
    }

    fn go(p: &Pacer, cost: u64) -> Ticket {
        p.try_acquire(cost)
            .unwrap_or_else(|h| panic!("held: {h:?}"))
    }

    fn until(at: Instant, reason: WaitReason) -> Result<(), Hold> {
        Err(Hold::Until { until: at, reason })
    }

    fn verdict(p: &Pacer, cost: u64) -> Result<(), Hold> {
        p.try_acquire(cost).map(|_| ())
    }

    /// `try_acquire` over the budget states, as `retry::decide` is pinned: each row builds a
    /// state from responses and time, then asks for `cost`.
    #[tokio::test(start_paused = true)]
    async fn acquire_decides_by_the_budget_state() {
        let secs = Duration::from_secs;
        type Setup = fn(&Pacer);
        let rows: [(&str, Setup, u64, Result<(), Hold>); 12] = [
            (
                "fresh: nothing known, nothing in flight",
                |_| {},
                10,
                Ok(()),
            ),
            (
                "unknown, one in flight: wait for its news",
                |p| {
                    go(p, 10);
                },
                10,
                Err(Hold::News),
            ),
            (
                "known, one in flight, enough left",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(1_000), None), true);
                    go(p, 10);
                },
                980,
                Ok(()),
            ),
            (
                "exactly enough left",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(100), Some(30)), true);
                },
                100,
                Ok(()),
            ),
            (
                "short with a known reset: hold until the reset and its margin",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(99), Some(30)), true);
                },
                100,
                until(Instant::now() + secs(30) + RESET_MARGIN, WaitReason::Budget),
            ),
            (
                "short, known reset, enough budget for a cheaper request",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(99), Some(30)), true);
                },
                99,
                Ok(()),
            ),
            (
                "short without a reset, nothing in flight: send and learn",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(5), None), true);
                },
                10,
                Ok(()),
            ),
            (
                "short without a reset, one in flight: wait for its news",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(15), None), true);
                    go(p, 10);
                },
                10,
                Err(Hold::News),
            ),
            (
                "blocked by a 429",
                |p| p.block_for(Duration::from_secs(2)),
                1,
                until(Instant::now() + secs(2), WaitReason::RateLimited),
            ),
            (
                "a reset due now: still the margin to wait",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(5), Some(0)), true);
                },
                LIMIT,
                until(Instant::now() + RESET_MARGIN, WaitReason::Budget),
            ),
            (
                "budget known but no reset, plenty: in flight does not matter",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(Some(1_000), None), true);
                    go(p, 10);
                    go(p, 10);
                },
                10,
                Ok(()),
            ),
            (
                "reset known, budget unknown: nothing to hold on",
                |p| {
                    let a = go(p, 10);
                    p.on_response(a, &budget(None, Some(30)), true);
                },
                10,
                Ok(()),
            ),
        ];
        for (what, setup, cost, want) in rows {
            let p = Pacer::new();
            setup(&p);
            assert_eq!(verdict(&p, cost), want, "{what}");
        }
        // A reset already passed (the row above, once the margin is over): a fresh window.
        let p = Pacer::new();
        let a = go(&p, 10);
        p.on_response(a, &budget(Some(5), Some(0)), true);
        tokio::time::advance(RESET_MARGIN).await;
        let t = go(&p, LIMIT);
        assert_eq!(
            p.snapshot().remaining,
            Some(0),
            "a full window, all of it reserved"
        );
        assert_eq!(p.snapshot().reset_at, None, "the reset was used up");
        p.on_response(t, &budget(Some(400_000), Some(60)), true);
        assert_eq!(
            p.snapshot().remaining,
            Some(400_000),
            "its own response is news"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_edges_of_a_reset_and_a_block() {
        let t0 = Instant::now();
        let p = Pacer::new();
        let a = go(&p, 10);
        p.on_response(a, &budget(Some(50), Some(30)), true);
        let reset = t0 + Duration::from_secs(30);
        assert_eq!(
            p.snapshot().reset_at,
            Some(reset),
            "anchored at the request"
        );
        // At the reset itself and up to its margin, still held.
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(
            verdict(&p, 100),
            until(reset + RESET_MARGIN, WaitReason::Budget)
        );
        assert_eq!(p.affordable_units(10), Some(5), "the old window's estimate");
        // At reset + margin: the new window.
        tokio::time::advance(RESET_MARGIN).await;
        assert_eq!(p.affordable_units(10), Some(LIMIT / 10));
        let b = go(&p, 100);
        assert_eq!(p.snapshot().remaining, Some(LIMIT - 100));

        // A block: everyone waits until its end, then for the reset margin.
        p.block_for(Duration::from_secs(2));
        let end = Instant::now() + Duration::from_secs(2);
        assert_eq!(verdict(&p, 1), until(end, WaitReason::RateLimited));
        assert_eq!(p.affordable_units(1), None);
        assert_eq!(
            p.snapshot().remaining,
            Some(0),
            "a throttle empties the budget"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            verdict(&p, 1),
            until(end + RESET_MARGIN, WaitReason::Budget)
        );
        assert_eq!(p.affordable_units(1), Some(0));
        // The request in flight before the block is the last of the old window: its news counts.
        p.on_response(b, &budget(Some(7), Some(20)), true);
        assert_eq!(p.snapshot().remaining, Some(7));
        tokio::time::advance(RESET_MARGIN).await;
        let c = go(&p, 1);
        assert_eq!(c.seq, 3);
        p.on_response(c, &budget(Some(900), Some(60)), true);
        assert_eq!(
            p.snapshot().remaining,
            Some(900),
            "the first news after the block counts"
        );

        // The longer of two blocks stands.
        let p = Pacer::new();
        p.block_for(Duration::from_secs(3));
        p.block_for(Duration::from_secs(1));
        let end = Instant::now() + Duration::from_secs(3);
        assert_eq!(verdict(&p, 1), until(end, WaitReason::RateLimited));
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_request_before_a_reset_still_brings_news() {
        let p = Pacer::new();
        let a = go(&p, 10);
        p.on_response(a, &budget(Some(50), Some(5)), true);
        let b = go(&p, 20);
        tokio::time::advance(Duration::from_secs(6)).await;
        let c = go(&p, 100);
        assert_eq!((a.seq, b.seq, c.seq), (1, 2, 3));
        assert_eq!(p.snapshot().remaining, Some(LIMIT - 100));
        p.on_response(b, &budget(Some(500), Some(50)), true);
        assert_eq!(
            p.snapshot().remaining,
            Some(400),
            "b's news minus c's reservation"
        );
        p.on_response(c, &budget(Some(300), Some(50)), true);
        assert_eq!(p.snapshot().remaining, Some(300));
        // An older response than the newest one is stale.
        p.on_response(a, &budget(Some(1), Some(1)), true);
        assert_eq!(p.snapshot().remaining, Some(300));
    }

    #[test]
    fn what_is_charged_for_each_response_class() {
        let s = Some(Duration::from_secs(1));
        let rows = [
            (Signal::Answered, true, true),
            (Signal::TransientAliases { retry_in: s }, true, true),
            (Signal::ServerError, true, false),
            (Signal::TransportMaybeSent, true, false),
            (Signal::Throttled { retry_in: s }, false, false),
            (Signal::Locked { retry_in: s }, false, false),
            (Signal::Conflict { retry_in: s }, false, false),
            (Signal::TooComplex, false, false),
            (Signal::Rejected, false, false),
            (Signal::Fatal, false, false),
            (Signal::TransportNotSent, false, false),
            (Signal::TransportBroken, false, false),
        ];
        for (signal, write, read) in rows {
            assert_eq!(charged(signal, true), write, "{signal:?} of a write");
            assert_eq!(charged(signal, false), read, "{signal:?} of a read");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_without_the_budget_keeps_or_frees_the_reservation() {
        let p = Pacer::new();
        let a = go(&p, 10);
        p.on_response(a, &budget(Some(1_000), Some(60)), true);
        let (b, c) = (go(&p, 100), go(&p, 200));
        assert_eq!(p.snapshot().remaining, Some(700));
        // Charged without a figure: the reservation stays.
        p.on_response(b, &budget(None, None), true);
        assert_eq!(p.snapshot().remaining, Some(700));
        // Not charged: it is freed.
        p.on_response(c, &budget(None, None), false);
        assert_eq!(p.snapshot().remaining, Some(900));
        // A stale one (older than the newest figure) is freed only when not charged.
        let d = go(&p, 50);
        let e = go(&p, 30);
        p.on_response(e, &budget(Some(600), None), true);
        assert_eq!(p.snapshot().remaining, Some(600));
        let (f, g) = (go(&p, 40), go(&p, 5));
        assert_eq!(p.snapshot().remaining, Some(555));
        p.on_response(d, &budget(None, None), true);
        assert_eq!(
            p.snapshot().remaining,
            Some(555),
            "stale and charged: nothing changes"
        );
        p.on_response(b, &budget(None, None), false);
        assert_eq!(
            p.snapshot().remaining,
            Some(555),
            "stale, not charged, already gone"
        );
        p.on_response(f, &budget(None, None), false);
        assert_eq!(p.snapshot().remaining, Some(595));
        p.on_response(g, &budget(Some(590), None), true);
        assert_eq!(p.snapshot().remaining, Some(590));
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_is_told_or_inferred_from_before_and_cost() {
        let p = Pacer::new();
        assert_eq!(p.limit(), None);
        assert_eq!(p.snapshot(), BudgetSnapshot::default());
        let a = go(&p, 10);
        let inferred = BudgetInfo {
            remaining: Some(700),
            reset_in_secs: Some(40),
            limit: None,
            cost: Some(300),
        };
        p.on_response(a, &inferred, true);
        assert_eq!(p.limit(), Some(1_000));
        let b = go(&p, 10);
        // A smaller inference never lowers it; a told limit replaces it.
        p.on_response(
            b,
            &BudgetInfo {
                remaining: Some(100),
                cost: Some(10),
                ..inferred
            },
            true,
        );
        assert_eq!(p.limit(), Some(1_000));
        let issued = b.issued;
        assert_eq!(
            p.snapshot(),
            BudgetSnapshot {
                limit: Some(1_000),
                remaining: Some(100),
                reset_at: Some(issued + Duration::from_secs(40)),
                blocked_until: None,
            }
        );
        let c = go(&p, 10);
        p.on_response(c, &budget(Some(5), None), true);
        assert_eq!(p.limit(), Some(LIMIT));
    }

    #[tokio::test(start_paused = true)]
    async fn affordable_units_divide_what_is_left() {
        let p = Pacer::new();
        assert_eq!(p.affordable_units(10), None, "nothing known yet");
        let a = go(&p, 10);
        p.on_response(a, &budget(Some(1_000), Some(60)), true);
        assert_eq!(p.affordable_units(300), Some(3));
        assert_eq!(
            p.affordable_units(0),
            Some(1_000),
            "a free unit counts as 1"
        );
        go(&p, 400);
        assert_eq!(p.affordable_units(300), Some(2));
    }

    #[test]
    fn activity_counts_only_waits_with_nothing_in_flight() {
        let t = Instant::now();
        let at = |s: u64| t + Duration::from_secs(s);
        // Nobody waits: nothing counts.
        let mut a = Activity::new(t);
        a.request_start(at(1));
        a.request_end(at(2));
        assert_eq!(a.limit_only(at(4)), Duration::ZERO);
        // Two waits at once count once; a request in flight stops the count.
        let mut a = Activity::new(t);
        a.wait_start(at(1));
        a.wait_start(at(2));
        a.request_start(at(3));
        a.request_end(at(5));
        a.wait_end(at(6));
        assert_eq!(a.limit_only(at(7)), Duration::from_secs(2 + 2));
        a.wait_end(at(8));
        assert_eq!(a.limit_only(at(9)), Duration::from_secs(5));
        // A time before the last one does not go back.
        assert_eq!(a.limit_only(at(3)), Duration::from_secs(5));
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
