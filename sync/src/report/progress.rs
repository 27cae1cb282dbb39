//! What a person sees during a long sync: records done of the total, the rate, an ETA from the
//! pacing model, and what the sync is doing right now (sending, or waiting N s for the budget, a
//! 429, a board lock or a retry), redrawn at least once a second so elapsed time and countdowns
//! move during waits.
//!
//! [`ProgressState`] is a pure state machine: events in ([`ActivityEvent`]s, request and record
//! events, budget snapshots from the pacer), a [`Frame`] out for any tokio instant, so tests drive it
//! on the paused clock. [`Progress`] is the live display: an observer feeding a `ProgressState` and
//! a ticker that draws it with indicatif on stderr when stderr is a terminal, or logs one INFO line
//! every [`LOG_EVERY`] when it is not. [`StderrThroughBar`] is the `tracing` writer that keeps log
//! lines from tearing the bar.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use crate::api::pacing::{BudgetSnapshot, Pacer};
use crate::input::InputSize;
use crate::observer::{
    ActivityEvent, RecordEvent, RecordOutcome, RequestEvent, SyncObserver, WaitReason,
};

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

/// `1h 02m 03s`, `4m 05s`, `45s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, s) => format!("{h}h {m:02}m {s:02}s"),
    }
}

/// Whole seconds left, rounded up (a countdown shows 1 s until it is over).
fn countdown(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// What a wait is, in words, with its countdown.
pub(crate) fn describe_wait(reason: WaitReason, left: Duration) -> String {
    let n = countdown(left);
    match reason {
        WaitReason::Budget => format!("waiting {n}s for the complexity budget to reset"),
        WaitReason::RateLimited => format!("rate limited (429): retrying in {n}s"),
        WaitReason::Locked => format!("board locked: retrying in {n}s"),
        WaitReason::Retry => format!("retrying after an error in {n}s"),
    }
}

impl Frame {
    /// Bar position and length: records, or bytes for inputs too large to pre-scan.
    pub(crate) fn position(&self) -> (u64, Option<u64>) {
        match self.bytes {
            Some((read, total)) => (read, Some(total)),
            None => (self.done + self.failed, self.total),
        }
    }

    /// What the sync is doing, in words.
    pub(crate) fn doing_text(&self) -> String {
        match self.doing {
            Doing::Preparing => "preparing records".into(),
            Doing::Sending {
                in_flight,
                also_waiting,
            } => {
                let s = if in_flight == 1 { "" } else { "s" };
                let mut t = format!("sending ({in_flight} request{s} in flight)");
                if let Some((r, left)) = also_waiting {
                    t.push_str("; ");
                    t.push_str(&describe_wait(r, left));
                }
                t
            }
            Doing::Waiting { reason, left } => describe_wait(reason, left),
            Doing::Done => "done".into(),
        }
    }

    /// The status line: counts, rate, ETA, elapsed, what the sync is doing.
    pub(crate) fn text(&self) -> String {
        let mut t = match (self.total, self.bytes) {
            (Some(total), None) => format!("{}/{} records", self.done, total),
            (total, Some((read, size))) => format!(
                "{} records{} ({:.1} of {:.1} MB read)",
                self.done,
                total.map(|t| format!(" of ~{t}")).unwrap_or_default(),
                read as f64 / 1e6,
                size as f64 / 1e6
            ),
            (None, None) => format!("{} records", self.done),
        };
        if self.failed > 0 {
            t.push_str(&format!(", {} failed", self.failed));
        }
        // One unit throughout: a run's rate changes by orders of magnitude between a burst and a
        // budget wait, and a unit that flips with it reads as a jump.
        t.push_str(&format!("  {:.0}/min", self.per_minute));
        match self.eta {
            Some(eta) => t.push_str(&format!("  ETA {}", fmt_duration(eta))),
            None => t.push_str("  ETA --"),
        }
        t.push_str(&format!("  elapsed {}", fmt_duration(self.elapsed)));
        t.push_str("  ");
        t.push_str(&self.doing_text());
        if let Some(job) = &self.job {
            t.push_str("  | ");
            t.push_str(&job.text());
        }
        t
    }
}

/// The bar currently on stderr, if any (log lines are written around it).
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active_bar() -> Option<ProgressBar> {
    ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

fn set_active_bar(bar: Option<ProgressBar>) {
    *ACTIVE_BAR.lock().unwrap_or_else(|p| p.into_inner()) = bar;
}

/// A `tracing_subscriber` writer to stderr that hides the progress bar while a line is written
/// (`.with_writer(StderrThroughBar)`), so log lines never tear it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrThroughBar;

/// One log event's bytes, written through the bar when dropped.
#[derive(Debug, Default)]
pub struct LineThroughBar(Vec<u8>);

impl Write for LineThroughBar {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineThroughBar {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let write = || {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(&self.0);
            let _ = err.flush();
        };
        match active_bar() {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrThroughBar {
    type Writer = LineThroughBar;
    fn make_writer(&'a self) -> Self::Writer {
        LineThroughBar::default()
    }
}

/// Where the live display gets what it polls.
struct Sources {
    pacer: OnceLock<Arc<Pacer>>,
    bytes_read: Arc<AtomicU64>,
    job: Arc<JobWatch>,
}

struct Live {
    state: Mutex<ProgressState>,
    sources: Sources,
    bar: Option<ProgressBar>,
}

impl Live {
    fn with<T>(&self, f: impl FnOnce(&mut ProgressState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn frame(&self) -> Frame {
        let budget = self.sources.pacer.get().map(|p| p.snapshot());
        let bytes = self.sources.bytes_read.load(Ordering::Relaxed);
        let job = self.sources.job.get();
        let mut frame = self.with(|s| {
            if let Some(b) = budget {
                s.on_budget(b);
            }
            s.on_bytes_read(bytes);
            s.frame(Instant::now())
        });
        frame.job = job;
        frame
    }

    fn draw(&self) {
        let frame = self.frame();
        match &self.bar {
            Some(bar) => {
                let (pos, len) = frame.position();
                if let Some(len) = len {
                    bar.set_length(len);
                }
                bar.set_position(pos);
                bar.set_message(frame.text());
            }
            None => tracing::info!(
                done = frame.done,
                failed = frame.failed,
                total = frame.total,
                "progress: {}",
                frame.text()
            ),
        }
    }
}

impl SyncObserver for Live {
    fn request_finished(&self, ev: &RequestEvent) {
        self.with(|s| s.on_request(ev));
    }
    fn record_finished(&self, ev: &RecordEvent) {
        self.with(|s| s.on_record(ev.outcome));
    }
    fn activity(&self, ev: &ActivityEvent) {
        self.with(|s| s.on_activity(ev));
    }
}

/// The live progress display of a run; a no-op when not wanted.
pub(crate) struct Progress {
    live: Option<Arc<Live>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("shown", &self.live.is_some())
            .finish_non_exhaustive()
    }
}

impl Progress {
    /// A display that shows nothing.
    pub(crate) fn disabled() -> Self {
        Progress {
            live: None,
            ticker: None,
        }
    }

    /// `wanted`: the caller asked for progress. A bar when stderr is a terminal, else an INFO line
    /// every [`LOG_EVERY`]. Call [`Progress::start`] once the pacer exists.
    pub(crate) fn new(wanted: bool, size: InputSize, model: PaceModel) -> Self {
        if !wanted {
            return Progress::disabled();
        }
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let template = match size {
                InputSize::Unknown => "{spinner} {msg}",
                _ => "[{bar:30}] {msg}",
            };
            let style = ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        let live = Live {
            state: Mutex::new(ProgressState::new(Instant::now(), size, model)),
            sources: Sources {
                pacer: OnceLock::new(),
                bytes_read: Arc::new(AtomicU64::new(0)),
                job: Arc::default(),
            },
            bar,
        };
        Progress {
            live: Some(Arc::new(live)),
            ticker: None,
        }
    }

    /// The observer to give the engine's client (None when disabled).
    pub(crate) fn observer(&self) -> Option<Arc<dyn SyncObserver>> {
        self.live
            .as_ref()
            .map(|l| l.clone() as Arc<dyn SyncObserver>)
    }

    /// Where the bulk path posts its job's state (a sink nobody reads when disabled).
    pub(crate) fn job_watch(&self) -> Arc<JobWatch> {
        self.live
            .as_ref()
            .map(|l| l.sources.job.clone())
            .unwrap_or_default()
    }

    /// Counter the input reader adds its bytes to.
    pub(crate) fn bytes_read(&self) -> Arc<AtomicU64> {
        self.live
            .as_ref()
            .map(|l| l.sources.bytes_read.clone())
            .unwrap_or_default()
    }

    /// Start drawing (needs a tokio runtime): poll `pacer` for the budget on every tick.
    pub(crate) fn start(&mut self, pacer: Arc<Pacer>) {
        let Some(live) = &self.live else { return };
        let _ = live.sources.pacer.set(pacer);
        let every = if live.bar.is_some() {
            set_active_bar(live.bar.clone());
            DRAW_EVERY
        } else {
            LOG_EVERY
        };
        let live = live.clone();
        self.ticker = Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                live.draw();
            }
        }));
        if let Some(live) = &self.live {
            if live.bar.is_some() {
                live.draw();
            }
        }
    }

    /// Stop the ticker and clear the bar.
    pub(crate) fn finish(&mut self) {
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
        if let Some(bar) = self.live.as_ref().and_then(|l| l.bar.as_ref()) {
            set_active_bar(None);
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
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

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(secs(45)), "45s");
        assert_eq!(fmt_duration(secs(358)), "5m 58s");
        assert_eq!(fmt_duration(secs(3723)), "1h 02m 03s");
        assert_eq!(countdown(Duration::from_millis(44_001)), 45);
        assert_eq!(countdown(secs(44)), 44);
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
