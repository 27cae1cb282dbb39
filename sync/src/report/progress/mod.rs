//! What a person sees during a long sync: records done of the total, the rate, an ETA from the
//! pacing model, and what the sync is doing right now (sending, or waiting N s for the budget, a
//! 429, a board lock or a retry), redrawn at least once a second so elapsed time and countdowns
//! move during waits.
//!
//! [`ProgressState`](state::ProgressState) is a pure state machine: events in ([`ActivityEvent`]s, request and record
//! events, budget snapshots from the pacer), a [`Frame`] out for any tokio instant, so tests drive it
//! on the paused clock. [`Progress`] is the live display: an observer feeding a `ProgressState` and
//! a ticker that draws it with indicatif on stderr when stderr is a terminal, or logs one INFO line
//! every [`LOG_EVERY`] when it is not. [`StderrThroughBar`] is the `tracing` writer that keeps log
//! lines from tearing the bar.

mod bar;
mod live;
mod state;
mod text;

pub use bar::StderrThroughBar;
pub(crate) use live::Progress;
pub(crate) use text::fmt_duration;

use std::sync::Mutex;
use std::time::Duration;

use crate::observer::WaitReason;

/// Redraw period of the bar (the countdown and elapsed time move at least once a second).
pub(crate) const DRAW_EVERY: Duration = Duration::from_millis(250);
/// Period of the INFO progress line when stderr is not a terminal.
pub(crate) const LOG_EVERY: Duration = Duration::from_secs(10);

/// What the pacing model knows before the first response: the cost of one record and how many
/// records can be in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PaceModel {
    /// Complexity points per record (`sync.mutation_complexity`).
    pub cost_per_record: u64,
    pub batch_size: usize,
    pub concurrency: usize,
    /// Budget window (60 s on monday.com).
    pub window: Duration,
}

/// What the sync is doing at a frame's instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doing {
    /// Reading, transforming, or between requests.
    Preparing,
    /// Requests in flight; `also_waiting` is another sender's wait, if any.
    Sending {
        in_flight: u32,
        also_waiting: Option<(WaitReason, Duration)>,
    },
    /// Nothing in flight: waiting `left` for `reason`.
    Waiting { reason: WaitReason, left: Duration },
    /// Every record has an outcome.
    Done,
}

/// One rendering of the progress at an instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    pub done: u64,
    pub failed: u64,
    /// Total records, when known (exactly, or estimated from bytes read on huge files).
    pub total: Option<u64>,
    /// `(read, total)` bytes when the input was too large to pre-scan.
    pub bytes: Option<(u64, u64)>,
    pub elapsed: Duration,
    /// Records with an outcome per minute, so far.
    pub per_minute: f64,
    /// Time left by the pacing model (budget, reset, latency), not by the average so far.
    pub eta: Option<Duration>,
    pub doing: Doing,
    /// The bulk import job in progress, if any (shown beside the batches).
    pub job: Option<JobView>,
}

/// The bulk import job in progress as its last poll saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobView {
    /// `fetch_job_status`'s `status` (`UPLOAD_PENDING`, `PROCESSING`, ...).
    pub state: String,
    /// `progress_percentage`.
    pub percent: u64,
    /// Rows the job carries.
    pub rows: u64,
    /// Rows per second: measured by this run's jobs so far, else the configured estimate.
    pub rows_per_s: f64,
}

impl JobView {
    /// Time left for the job's rows at the rate measured so far.
    pub(crate) fn eta(&self) -> Option<Duration> {
        let left = self.rows as f64 * (100 - self.percent.min(100)) as f64 / 100.0;
        (self.rows_per_s > 0.0).then(|| Duration::from_secs_f64(left / self.rows_per_s))
    }

    pub(crate) fn text(&self) -> String {
        let eta = self.eta().map(fmt_duration).unwrap_or_else(|| "--".into());
        format!(
            "job {} {}% of {} rows, ETA {eta}",
            self.state, self.percent, self.rows
        )
    }
}

/// Where the bulk path posts its job's state for the display (shared with the job task).
#[derive(Debug, Default)]
pub(crate) struct JobWatch(Mutex<Option<JobView>>);

impl JobWatch {
    pub(crate) fn set(&self, view: Option<JobView>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = view;
    }

    pub(crate) fn get(&self) -> Option<JobView> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod job_view_tests {
    use super::*;

    #[test]
    fn a_job_shows_its_state_percent_and_eta_from_the_rate() {
        let v = JobView {
            state: "PROCESSING".into(),
            percent: 40,
            rows: 5_000,
            rows_per_s: 250.0,
        };
        assert_eq!(v.eta(), Some(Duration::from_secs(12)));
        assert!(
            v.text().starts_with("job PROCESSING 40% of 5000 rows, ETA"),
            "{}",
            v.text()
        );
    }
}
