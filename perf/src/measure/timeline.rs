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

/// Aggregates events per second as they arrive (memory grows with the run's seconds, not with
/// its requests or records) and builds the series.
#[derive(Debug, Clone, Default)]
pub struct TimelineRecorder {
    seconds: Vec<SecondAcc>,
}

/// One second being accumulated.
#[derive(Debug, Clone, Copy, Default)]
struct SecondAcc {
    records_confirmed: u64,
    requests: u64,
    throttled: u64,
    /// Seconds of request time in flight within this second.
    in_flight: f64,
    /// The latest budget report ending in this second: (finished at, remaining).
    budget: Option<(Duration, u64)>,
}

impl TimelineRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    fn second_mut(&mut self, second: usize) -> &mut SecondAcc {
        if self.seconds.len() <= second {
            self.seconds.resize(second + 1, SecondAcc::default());
        }
        &mut self.seconds[second]
    }

    /// One finished request (offsets from the run start).
    pub fn request(
        &mut self,
        started: Duration,
        finished: Duration,
        throttled: bool,
        budget_remaining: Option<u64>,
    ) {
        let finished = finished.max(started);
        let end_second = finished.as_secs() as usize;
        let p = self.second_mut(end_second);
        p.requests += 1;
        p.throttled += u64::from(throttled);
        if let Some(b) = budget_remaining {
            if p.budget.is_none_or(|(t, _)| t <= finished) {
                p.budget = Some((finished, b));
            }
        }
        // Spread the request's time in flight over the seconds it spans.
        for s in started.as_secs() as usize..=end_second {
            let lo = started.max(Duration::from_secs(s as u64));
            let hi = finished.min(Duration::from_secs(s as u64 + 1));
            if hi > lo {
                self.seconds[s].in_flight += (hi - lo).as_secs_f64();
            }
        }
    }

    /// One record confirmed at `at` (offset from the run start).
    pub fn record_confirmed(&mut self, at: Duration) {
        self.second_mut(at.as_secs() as usize).records_confirmed += 1;
    }

    /// The series, one point per second from 0 to the last event.
    pub fn points(&self) -> Vec<TimelinePoint> {
        let mut carried = None;
        self.seconds
            .iter()
            .enumerate()
            .map(|(second, acc)| {
                if let Some((_, remaining)) = acc.budget {
                    carried = Some(remaining);
                }
                TimelinePoint {
                    second: second as u64,
                    records_confirmed: acc.records_confirmed,
                    requests: acc.requests,
                    throttled: acc.throttled,
                    in_flight: (acc.in_flight * 1000.0).round() / 1000.0,
                    budget_remaining: carried,
                }
            })
            .collect()
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
