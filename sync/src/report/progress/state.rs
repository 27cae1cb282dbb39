//! [`ProgressState`], the pure state machine: events in, a [`Frame`] out for any instant, with
//! the arithmetic of the rate, the total and the ETA.

use std::time::Duration;

use tokio::time::Instant;

use super::{Doing, Frame, PaceModel};
use crate::api::pacing::BudgetSnapshot;
use crate::input::InputSize;
use crate::observer::{ActivityEvent, RecordOutcome, RequestEvent, WaitReason};

/// Pure progress state: fed events, rendered at any instant.
#[derive(Debug, Clone)]
pub(crate) struct ProgressState {
    started: Instant,
    size: InputSize,
    bytes_read: u64,
    model: PaceModel,
    done: u64,
    failed: u64,
    in_flight: u32,
    waits: Vec<(WaitReason, Instant)>,
    /// Moving average of request latency (seconds).
    latency: Option<f64>,
    budget: BudgetSnapshot,
}

impl ProgressState {
    pub(crate) fn new(started: Instant, size: InputSize, model: PaceModel) -> Self {
        ProgressState {
            started,
            size,
            bytes_read: 0,
            model,
            done: 0,
            failed: 0,
            in_flight: 0,
            waits: vec![],
            latency: None,
            budget: BudgetSnapshot::default(),
        }
    }

    pub(crate) fn on_activity(&mut self, ev: &ActivityEvent) {
        match *ev {
            ActivityEvent::Sending => self.in_flight += 1,
            ActivityEvent::Waiting { reason, until } => self.waits.push((reason, until)),
            ActivityEvent::WaitOver => {
                // Waits carry no sender id: the one due first is the one that ended.
                if let Some(i) = (0..self.waits.len()).min_by_key(|&i| self.waits[i].1) {
                    self.waits.swap_remove(i);
                }
            }
        }
    }

    pub(crate) fn on_request(&mut self, ev: &RequestEvent) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if ev.status.is_some() && !ev.throttled {
            let l = (ev.finished - ev.started).as_secs_f64();
            self.latency = Some(self.latency.map_or(l, |old| 0.8 * old + 0.2 * l));
        }
    }

    pub(crate) fn on_record(&mut self, outcome: RecordOutcome) {
        match outcome {
            RecordOutcome::Failed => self.failed += 1,
            _ => self.done += 1,
        }
    }

    /// What the pacer knows about the budget now.
    pub(crate) fn on_budget(&mut self, budget: BudgetSnapshot) {
        self.budget = budget;
    }

    /// Bytes read so far (inputs too large to pre-scan).
    pub(crate) fn on_bytes_read(&mut self, bytes: u64) {
        self.bytes_read = bytes;
    }

    fn finished(&self) -> u64 {
        self.done + self.failed
    }

    /// Total records: exact, or estimated from the share of bytes read.
    fn total(&self) -> Option<u64> {
        match self.size {
            InputSize::Records(n) => Some(n),
            InputSize::Bytes(total) if self.bytes_read > 0 && self.finished() > 0 => {
                let per_byte = self.finished() as f64 / self.bytes_read as f64;
                Some(((total as f64 * per_byte).round() as u64).max(self.finished()))
            }
            _ => None,
        }
    }

    /// The frame at `now`.
    pub(crate) fn frame(&self, now: Instant) -> Frame {
        let elapsed = now.saturating_duration_since(self.started);
        let total = self.total();
        let per_minute = if elapsed.is_zero() {
            0.0
        } else {
            self.finished() as f64 * 60.0 / elapsed.as_secs_f64()
        };
        Frame {
            done: self.done,
            failed: self.failed,
            total,
            bytes: match self.size {
                InputSize::Bytes(t) => Some((self.bytes_read.min(t), t)),
                _ => None,
            },
            elapsed,
            per_minute,
            eta: self.eta(now, total),
            doing: self.doing(now, total),
            job: None,
        }
    }

    fn longest_wait(&self, now: Instant) -> Option<(WaitReason, Duration)> {
        self.waits
            .iter()
            .max_by_key(|(_, until)| *until)
            .map(|&(r, until)| (r, until.saturating_duration_since(now)))
    }

    fn doing(&self, now: Instant, total: Option<u64>) -> Doing {
        if total.is_some_and(|t| self.finished() >= t) && matches!(self.size, InputSize::Records(_))
        {
            return Doing::Done;
        }
        if self.in_flight > 0 {
            return Doing::Sending {
                in_flight: self.in_flight,
                also_waiting: self.longest_wait(now),
            };
        }
        match self.longest_wait(now) {
            Some((reason, left)) => Doing::Waiting { reason, left },
            None => Doing::Preparing,
        }
    }

    /// Time left by the pacing model: records left go out at the latency-bound rate (concurrency
    /// x batch per request latency) while the current window's budget lasts, then one window's
    /// worth per reset. During a wait the model starts from its end, so the ETA falls with the
    /// countdown instead of growing as the average rate drops.
    fn eta(&self, now: Instant, total: Option<u64>) -> Option<Duration> {
        let left = total?.saturating_sub(self.finished());
        if left == 0 {
            return Some(Duration::ZERO);
        }
        let latency = self.latency?.max(0.001);
        let m = &self.model;
        let lat_rate = (m.concurrency.max(1) * m.batch_size.max(1)) as f64 / latency;
        let secs_until = |t: Instant| t.saturating_duration_since(now).as_secs_f64();
        let b = &self.budget;
        // Nobody sends before a 429's block ends or a budget wait in progress is over.
        let mut resume = b.blocked_until.map_or(0.0, secs_until);
        for &(reason, until) in &self.waits {
            if matches!(reason, WaitReason::Budget | WaitReason::RateLimited) {
                resume = resume.max(secs_until(until));
            }
        }
        let mut left = left as f64;
        let Some(limit) = b.limit else {
            return Some(Duration::from_millis(
                ((resume + left / lat_rate) * 1000.0).round() as u64,
            ));
        };
        let cost = m.cost_per_record.max(1);
        let per_window = (limit / cost).max(1) as f64;
        let window = m.window.as_secs_f64();
        let reset_in = b.reset_at.map(secs_until).filter(|s| *s > 0.0);
        let affordable = match reset_in {
            Some(_) => b.remaining.map_or(0.0, |r| (r / cost) as f64),
            None => per_window,
        };
        let first = left.min(affordable);
        let mut t = resume + first / lat_rate;
        left -= first;
        if left > 0.0 {
            t = t.max(reset_in.unwrap_or(window));
            let windows = (left / per_window).ceil();
            let window_time = window.max(per_window / lat_rate);
            t += (windows - 1.0) * window_time + (left - (windows - 1.0) * per_window) / lat_rate;
        }
        Some(Duration::from_millis((t * 1000.0).round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pacing::BUDGET_WINDOW;
    use crate::observer::RequestKind;
    use tokio::time::advance;

    const MODEL: PaceModel = PaceModel {
        cost_per_record: 30_000,
        batch_size: 25,
        concurrency: 4,
        window: BUDGET_WINDOW,
    };

    fn request(started: Instant, status: u16) -> RequestEvent {
        RequestEvent {
            started,
            finished: Instant::now(),
            status: Some(status),
            throttled: status == 429,
            records: 25,
            kind: RequestKind::Create,
            complexity_remaining: None,
            attempt: 0,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn eta_ms(f: &Frame) -> u128 {
        f.eta.expect("an ETA").as_millis()
    }

    /// A scripted run on the paused clock: sending, a 45 s budget wait, a 429, done. Every frame
    /// is checked: totals, what the sync is doing with its countdown, elapsed time, and the ETA
    /// from the pacing model (falling second for second during waits).
    #[tokio::test(start_paused = true)]
    async fn scripted_run_frames() {
        let t0 = Instant::now();
        let mut p = ProgressState::new(t0, InputSize::Records(2000), MODEL);

        // Before anything is sent: totals known, no latency yet, so no ETA.
        let f = p.frame(Instant::now());
        assert_eq!((f.done, f.failed, f.total), (0, 0, Some(2000)));
        assert_eq!(f.doing, Doing::Preparing);
        assert_eq!(f.eta, None);
        assert!(f.text().starts_with("0/2000 records"), "{}", f.text());
        assert!(f.text().contains("ETA --"), "{}", f.text());

        // Sending: four requests of 25 records, 2 s each.
        for _ in 0..4 {
            p.on_activity(&ActivityEvent::Sending);
        }
        let f = p.frame(Instant::now());
        assert_eq!(
            f.doing,
            Doing::Sending {
                in_flight: 4,
                also_waiting: None
            }
        );
        assert!(
            f.text().contains("sending (4 requests in flight)"),
            "{}",
            f.text()
        );
        advance(secs(2)).await;
        for _ in 0..4 {
            p.on_request(&request(t0, 200));
        }
        for i in 0..100 {
            p.on_record(if i == 0 {
                RecordOutcome::Failed
            } else {
                RecordOutcome::Created
            });
        }
        p.on_budget(BudgetSnapshot {
            limit: Some(10_000_000),
            remaining: Some(7_000_000),
            reset_at: Some(t0 + secs(60)),
            blocked_until: None,
        });
        let f = p.frame(Instant::now());
        assert_eq!((f.done, f.failed, f.total), (99, 1, Some(2000)));
        assert_eq!(f.elapsed, secs(2));
        assert_eq!(f.doing, Doing::Preparing);
        assert_eq!(f.per_minute, 3000.0);
        // 1,900 left at 50 records/s (4 x 25 per 2 s): the 233 the window still affords by 4.66 s,
        // then the reset at 58 s, then 333 a window: 5 more windows and 2 records.
        assert_eq!(eta_ms(&f), 358_040);
        assert!(
            f.text()
                .starts_with("99/2000 records, 1 failed  3000/min  ETA 5m 58s  elapsed 2s"),
            "{}",
            f.text()
        );

        // The budget is spent: every sender waits 45 s for the reset.
        let until = Instant::now() + secs(45);
        p.on_budget(BudgetSnapshot {
            limit: Some(10_000_000),
            remaining: Some(0),
            reset_at: Some(until),
            blocked_until: None,
        });
        for _ in 0..4 {
            p.on_activity(&ActivityEvent::Waiting {
                reason: WaitReason::Budget,
                until,
            });
        }
        let f = p.frame(Instant::now());
        assert_eq!(
            f.doing,
            Doing::Waiting {
                reason: WaitReason::Budget,
                left: secs(45)
            }
        );
        assert!(
            f.text()
                .ends_with("elapsed 2s  waiting 45s for the complexity budget to reset"),
            "{}",
            f.text()
        );
        let eta_at_start = eta_ms(&f);
        // 45 s, then 1,900 records: 5 full windows and 235 records at 50/s.
        assert_eq!(eta_at_start, 349_700);
        let mut last = eta_at_start;
        for s in 1..=44u64 {
            advance(secs(1)).await;
            let f = p.frame(Instant::now());
            assert_eq!(f.elapsed, secs(2 + s), "elapsed moves during the wait");
            assert_eq!(
                f.doing,
                Doing::Waiting {
                    reason: WaitReason::Budget,
                    left: secs(45 - s)
                }
            );
            assert!(
                f.text()
                    .contains(&format!("waiting {}s for the complexity budget", 45 - s)),
                "{}",
                f.text()
            );
            assert_eq!(last - eta_ms(&f), 1000, "the ETA falls with the countdown");
            last = eta_ms(&f);
        }
        advance(secs(1)).await;
        for _ in 0..4 {
            p.on_activity(&ActivityEvent::WaitOver);
        }
        p.on_budget(BudgetSnapshot {
            limit: Some(10_000_000),
            remaining: Some(10_000_000),
            reset_at: None,
            blocked_until: None,
        });
        let f = p.frame(Instant::now());
        assert_eq!(f.doing, Doing::Preparing);
        assert_eq!(f.elapsed, secs(47));

        // One sender sends and gets a 429 with retry_in_seconds = 12; another is still in flight.
        p.on_activity(&ActivityEvent::Sending);
        p.on_activity(&ActivityEvent::Sending);
        let sent = Instant::now();
        advance(secs(1)).await;
        p.on_request(&request(sent, 429));
        let blocked = Instant::now() + secs(12);
        p.on_budget(BudgetSnapshot {
            limit: Some(10_000_000),
            remaining: Some(0),
            reset_at: Some(blocked),
            blocked_until: Some(blocked),
        });
        p.on_activity(&ActivityEvent::Waiting {
            reason: WaitReason::RateLimited,
            until: blocked,
        });
        let f = p.frame(Instant::now());
        assert_eq!(
            f.doing,
            Doing::Sending {
                in_flight: 1,
                also_waiting: Some((WaitReason::RateLimited, secs(12)))
            }
        );
        assert!(
            f.text()
                .ends_with("sending (1 request in flight); rate limited (429): retrying in 12s"),
            "{}",
            f.text()
        );
        let eta_429 = eta_ms(&f);
        advance(secs(1)).await;
        p.on_request(&request(sent, 200));
        let f = p.frame(Instant::now());
        assert_eq!(
            f.doing,
            Doing::Waiting {
                reason: WaitReason::RateLimited,
                left: secs(11)
            }
        );
        assert!(f.text().ends_with("rate limited (429): retrying in 11s"));
        assert!(eta_ms(&f) < eta_429, "the ETA falls during a 429 wait");
        advance(Duration::from_millis(10_500)).await;
        let f = p.frame(Instant::now());
        assert!(f.text().ends_with("retrying in 1s"), "{}", f.text());
        advance(Duration::from_millis(500)).await;
        p.on_activity(&ActivityEvent::WaitOver);

        // Done: every record has an outcome.
        for _ in 0..1900 {
            p.on_record(RecordOutcome::Created);
        }
        let f = p.frame(Instant::now());
        assert_eq!((f.done, f.failed, f.total), (1999, 1, Some(2000)));
        assert_eq!(f.doing, Doing::Done);
        assert_eq!(f.eta, Some(Duration::ZERO));
        assert_eq!(f.elapsed, secs(60));
        assert!(
            f.text()
                .starts_with("1999/2000 records, 1 failed  2000/min  ETA 0s  elapsed 1m 00s  done"),
            "{}",
            f.text()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lock_and_retry_waits_are_named_and_bytes_mode_estimates_the_total() {
        let t0 = Instant::now();
        let mut p = ProgressState::new(t0, InputSize::Bytes(10_000_000), MODEL);
        p.on_activity(&ActivityEvent::Waiting {
            reason: WaitReason::Locked,
            until: t0 + secs(3),
        });
        p.on_activity(&ActivityEvent::Waiting {
            reason: WaitReason::Retry,
            until: t0 + secs(2),
        });
        let f = p.frame(t0);
        assert!(
            f.text().ends_with("board locked: retrying in 3s"),
            "{}",
            f.text()
        );
        // The retry (due first) ends first.
        p.on_activity(&ActivityEvent::WaitOver);
        p.on_activity(&ActivityEvent::WaitOver);
        p.on_activity(&ActivityEvent::Waiting {
            reason: WaitReason::Retry,
            until: t0 + Duration::from_millis(1500),
        });
        assert!(p
            .frame(t0)
            .text()
            .ends_with("retrying after an error in 2s"));
        for _ in 0..50 {
            p.on_record(RecordOutcome::Created);
        }
        p.on_bytes_read(1_000_000);
        let f = p.frame(t0 + secs(1));
        assert_eq!(f.total, Some(500));
        assert_eq!(f.position(), (1_000_000, Some(10_000_000)));
        assert!(
            f.text()
                .starts_with("50 records of ~500 (1.0 of 10.0 MB read)"),
            "{}",
            f.text()
        );
    }
}
