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

/// The bulk import jobs in progress as their last polls saw them (one job, or several in flight
/// together: their rows and progress summed).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobView {
    /// `fetch_job_status`'s `status` (`UPLOAD_PENDING`, `PROCESSING`, ...); with several jobs,
    /// `PROCESSING` when any is.
    pub state: String,
    /// `progress_percentage` (with several jobs: of all their rows).
    pub percent: u64,
    /// Rows the jobs carry.
    pub rows: u64,
    /// Rows per second: measured by this run's jobs so far, else the configured estimate.
    pub rows_per_s: f64,
    /// Jobs in flight (1 for one job).
    pub jobs: u64,
}

impl JobView {
    /// Time left for the jobs' rows at the rate measured so far (the board processes one job
    /// after another, so the rows left add up).
    pub(crate) fn eta(&self) -> Option<Duration> {
        let left = self.rows as f64 * (100 - self.percent.min(100)) as f64 / 100.0;
        (self.rows_per_s > 0.0).then(|| Duration::from_secs_f64(left / self.rows_per_s))
    }

    pub(crate) fn text(&self) -> String {
        let eta = self.eta().map(fmt_duration).unwrap_or_else(|| "--".into());
        let what = if self.jobs > 1 {
            format!("{} jobs", self.jobs)
        } else {
            "job".to_string()
        };
        format!(
            "{what} {} {}% of {} rows, ETA {eta}",
            self.state, self.percent, self.rows
        )
    }

    /// Several jobs' views as one: rows summed, progress weighted by rows.
    fn combine(views: &[JobView]) -> Option<JobView> {
        let first = views.first()?;
        let rows: u64 = views.iter().map(|v| v.rows).sum();
        let done: u64 = views.iter().map(|v| v.rows * v.percent.min(100)).sum();
        let state = if views.iter().any(|v| v.state == "PROCESSING") {
            "PROCESSING".to_string()
        } else {
            first.state.clone()
        };
        Some(JobView {
            state,
            percent: done.checked_div(rows).unwrap_or(0),
            rows,
            rows_per_s: first.rows_per_s,
            jobs: views.len() as u64,
        })
    }
}

/// Where the bulk path posts its jobs' states for the display (shared with the job tasks), one
/// slot per job in flight.
#[derive(Debug, Default)]
pub(crate) struct JobWatch(Mutex<std::collections::BTreeMap<u64, JobView>>);

impl JobWatch {
    /// Post job `slot`'s view; `None`: the job has ended.
    pub(crate) fn set(&self, slot: u64, view: Option<JobView>) {
        let mut jobs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match view {
            Some(v) => {
                jobs.insert(slot, v);
            }
            None => {
                jobs.remove(&slot);
            }
        }
    }

    /// The jobs in flight as one view.
    pub(crate) fn get(&self) -> Option<JobView> {
        let jobs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        JobView::combine(&jobs.values().cloned().collect::<Vec<_>>())
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
            jobs: 1,
        };
        assert_eq!(v.eta(), Some(Duration::from_secs(12)));
        assert!(
            v.text().starts_with("job PROCESSING 40% of 5000 rows, ETA"),
            "{}",
            v.text()
        );
    }

    #[test]
    fn jobs_in_flight_together_show_as_one_line_with_their_rows_summed() {
        let w = JobWatch::default();
        let view = |state: &str, percent, rows| JobView {
            state: state.into(),
            percent,
            rows,
            rows_per_s: 100.0,
            jobs: 1,
        };
        assert_eq!(w.get(), None);
        w.set(1, Some(view("PROCESSING", 50, 1_000)));
        w.set(2, Some(view("UPLOAD_PENDING", 0, 3_000)));
        let v = w.get().unwrap();
        assert_eq!((v.jobs, v.rows, v.percent), (2, 4_000, 12));
        assert_eq!(v.state, "PROCESSING");
        // 500 of 4,000 rows done is 12 % (whole percents): 3,520 rows left at 100 rows/s.
        assert_eq!(v.eta(), Some(Duration::from_secs_f64(35.2)));
        assert!(
            v.text().starts_with("2 jobs PROCESSING 12% of 4000 rows"),
            "{}",
            v.text()
        );
        w.set(1, None);
        let v = w.get().unwrap();
        assert_eq!(
            (v.jobs, v.rows, v.state.as_str()),
            (1, 3_000, "UPLOAD_PENDING")
        );
        assert!(
            v.text().starts_with("job UPLOAD_PENDING 0% of 3000 rows"),
            "{}",
            v.text()
        );
        w.set(2, None);
        assert_eq!(w.get(), None);
    }
}
