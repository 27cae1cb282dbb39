//! The per-second timeline of a run: throughput, requests in flight, 429s and budget remaining.
//!
//! Fed from the sync observer with offsets from the run's start (virtual or real time); turned into
//! one [`TimelinePoint`] per second for `results.json` and the report's timeline chart.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One second of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// Second since the run started (this point covers `[second, second + 1)`).
    pub second: u64,
    /// Records confirmed (created/updated/unchanged) in this second.
    pub records_confirmed: u64,
    /// Requests that finished in this second.
    pub requests: u64,
    /// Requests that finished in this second with a throttling answer (429 or budget exhausted).
    pub throttled: u64,
    /// Time-averaged number of requests in flight during this second.
    pub in_flight: f64,
    /// Complexity budget remaining as last reported in this second (carried forward when unknown).
    pub budget_remaining: Option<u64>,
}

/// Collects events and builds the per-second series.
#[derive(Debug, Clone, Default)]
pub struct TimelineRecorder {
    requests: Vec<RequestSpan>,
    confirmations: Vec<Duration>,
}

#[derive(Debug, Clone, Copy)]
struct RequestSpan {
    started: Duration,
    finished: Duration,
    throttled: bool,
    budget_remaining: Option<u64>,
}

impl TimelineRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// One finished request (offsets from the run start).
    pub fn request(
        &mut self,
        started: Duration,
        finished: Duration,
        throttled: bool,
        budget_remaining: Option<u64>,
    ) {
        self.requests.push(RequestSpan {
            started,
            finished: finished.max(started),
            throttled,
            budget_remaining,
        });
    }

    /// One record confirmed at `at` (offset from the run start).
    pub fn record_confirmed(&mut self, at: Duration) {
        self.confirmations.push(at);
    }

    /// The series, one point per second from 0 to the last event.
    pub fn points(&self) -> Vec<TimelinePoint> {
        let last = self
            .requests
            .iter()
            .map(|r| r.finished)
            .chain(self.confirmations.iter().copied())
            .max();
        let Some(last) = last else {
            return Vec::new();
        };
        let seconds = last.as_secs() as usize + 1;
        let mut points: Vec<TimelinePoint> = (0..seconds)
            .map(|s| TimelinePoint {
                second: s as u64,
                ..TimelinePoint::default()
            })
            .collect();
        let mut budget_at: Vec<Option<(Duration, u64)>> = vec![None; seconds];
        for r in &self.requests {
            let end_second = r.finished.as_secs() as usize;
            let p = &mut points[end_second];
            p.requests += 1;
            p.throttled += u64::from(r.throttled);
            if let Some(b) = r.budget_remaining {
                let slot = &mut budget_at[end_second];
                if slot.is_none_or(|(t, _)| t <= r.finished) {
                    *slot = Some((r.finished, b));
                }
            }
            // Spread the request's time in flight over the seconds it spans.
            let mut s = r.started.as_secs() as usize;
            while s <= end_second {
                let lo = r.started.max(Duration::from_secs(s as u64));
                let hi = r.finished.min(Duration::from_secs(s as u64 + 1));
                if hi > lo {
                    points[s].in_flight += (hi - lo).as_secs_f64();
                }
                s += 1;
            }
        }
        for at in &self.confirmations {
            points[at.as_secs() as usize].records_confirmed += 1;
        }
        let mut carried = None;
        for (p, b) in points.iter_mut().zip(budget_at) {
            if let Some((_, remaining)) = b {
                carried = Some(remaining);
            }
            p.budget_remaining = carried;
            p.in_flight = (p.in_flight * 1000.0).round() / 1000.0;
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn counts_land_in_their_second_and_in_flight_is_time_weighted() {
        let mut t = TimelineRecorder::new();
        t.request(ms(0), ms(500), false, Some(900));
        t.request(ms(250), ms(1_750), true, None);
        t.request(ms(1_800), ms(2_100), false, Some(500));
        t.record_confirmed(ms(500));
        t.record_confirmed(ms(2_100));
        let p = t.points();
        assert_eq!(p.len(), 3);
        assert_eq!(
            (p[0].requests, p[0].throttled, p[0].records_confirmed),
            (1, 0, 1)
        );
        assert_eq!((p[1].requests, p[1].throttled), (1, 1));
        assert!((p[0].in_flight - 1.25).abs() < 1e-9, "{}", p[0].in_flight);
        assert!((p[1].in_flight - 0.95).abs() < 1e-9, "{}", p[1].in_flight);
        assert_eq!(p[0].budget_remaining, Some(900));
        assert_eq!(p[1].budget_remaining, Some(900), "carried forward");
        assert_eq!(p[2].budget_remaining, Some(500));
    }

    #[test]
    fn empty_run_has_no_points() {
        assert!(TimelineRecorder::new().points().is_empty());
    }
}
