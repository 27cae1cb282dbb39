//! [`RunRecorder`]: the engine's [`SyncObserver`] that measures a run.
//!
//! Request latency (every attempt), record latency (ready -> confirmed, waits included), the
//! `.hlog` intervals and the per-second timeline are all taken on tokio's clock, so they are
//! virtual-time figures on a paused runtime and real ones over HTTP.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use monday_sync::engine::{RecordEvent, RecordOutcome, RequestEvent, RequestKind, SyncObserver};
use tokio::time::Instant;

use crate::measure::latency::{IntervalRecorder, LatencyHistogram};
use crate::measure::timeline::TimelineRecorder;

/// Everything measured during a run.
#[derive(Debug, Clone)]
pub struct Measurements {
    pub requests: LatencyHistogram,
    pub records: LatencyHistogram,
    pub request_intervals: IntervalRecorder,
    pub timeline: TimelineRecorder,
    pub request_count: u64,
    pub throttled: u64,
    pub retries: u64,
    pub records_failed: u64,
    /// End of the last request or record event, from the recorder's origin.
    pub last_event: Duration,
    /// `(start, end)` in ms of every `create_item` / `change_multiple_column_values` batch
    /// request: the batch path's share of the run (`bulk::PathTime`).
    pub batch_spans: Vec<(f64, f64)>,
}

impl Measurements {
    /// Nothing measured yet: empty histograms, one-second intervals, zero counts.
    pub fn empty() -> Self {
        Self {
            requests: LatencyHistogram::new(),
            records: LatencyHistogram::new(),
            request_intervals: IntervalRecorder::new(Duration::from_secs(1)),
            timeline: TimelineRecorder::new(),
            request_count: 0,
            throttled: 0,
            retries: 0,
            records_failed: 0,
            last_event: Duration::ZERO,
            batch_spans: Vec::new(),
        }
    }
}

/// Records engine events; share it as `Arc<RunRecorder>`.
pub struct RunRecorder {
    origin: Instant,
    inner: Mutex<Measurements>,
    progress: Option<ProgressBar>,
}

impl RunRecorder {
    /// A recorder whose time zero is now (tokio clock). Shows a progress bar of `records` when
    /// `progress` is set (on a terminal).
    pub fn new(records: u64, progress: bool) -> Self {
        let progress = progress.then(|| {
            let bar = ProgressBar::new(records);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} records  {per_sec}  eta {eta}")
            {
                bar.set_style(style);
            }
            bar
        });
        Self {
            origin: Instant::now(),
            inner: Mutex::new(Measurements::empty()),
            progress,
        }
    }

    /// The recorder's time zero.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    fn offset(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.origin)
    }

    /// Stops the progress bar and hands over what was measured (the recorder is left empty).
    pub fn finish(&self) -> Measurements {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
        let empty = || Measurements {
            requests: LatencyHistogram::new(),
            records: LatencyHistogram::new(),
            request_intervals: IntervalRecorder::new(Duration::from_secs(1)),
            timeline: TimelineRecorder::new(),
            request_count: 0,
            throttled: 0,
            retries: 0,
            records_failed: 0,
            last_event: Duration::ZERO,
            batch_spans: Vec::new(),
        };
        match self.inner.lock() {
            Ok(mut m) => std::mem::replace(&mut *m, empty()),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), empty()),
        }
    }

    fn with<F: FnOnce(&mut Measurements)>(&self, f: F) {
        match self.inner.lock() {
            Ok(mut m) => f(&mut m),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl SyncObserver for RunRecorder {
    fn request_finished(&self, ev: &RequestEvent) {
        let (start, end) = (self.offset(ev.started), self.offset(ev.finished));
        let latency = end.saturating_sub(start);
        self.with(|m| {
            m.requests.record(latency);
            m.request_intervals.record(start, latency);
            m.timeline
                .request(start, end, ev.throttled, ev.complexity_remaining);
            m.request_count += 1;
            m.throttled += u64::from(ev.throttled);
            m.retries += u64::from(ev.attempt > 0);
            m.last_event = m.last_event.max(end);
            if matches!(ev.kind, RequestKind::Create | RequestKind::Update) {
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                m.batch_spans.push((ms(start), ms(end)));
            }
        });
        tracing::trace!(kind = ?ev.kind, status = ?ev.status, ?latency, "request finished");
    }

    fn record_finished(&self, ev: &RecordEvent) {
        let (ready, done) = (self.offset(ev.ready_at), self.offset(ev.finished_at));
        self.with(|m| {
            if ev.outcome == RecordOutcome::Failed {
                m.records_failed += 1;
            } else {
                m.records.record(done.saturating_sub(ready));
                m.timeline.record_confirmed(done);
            }
            m.last_event = m.last_event.max(done);
        });
        if let Some(bar) = &self.progress {
            bar.inc(1);
        }
    }
}
