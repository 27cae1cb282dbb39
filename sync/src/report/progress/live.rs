//! [`Progress`], the live display: an observer feeding a [`ProgressState`] and a ticker that
//! draws it on stderr (indicatif) or logs a line every [`LOG_EVERY`].

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use super::bar::set_active_bar;
use super::state::ProgressState;
use super::{Frame, JobWatch, PaceModel, DRAW_EVERY, LOG_EVERY};
use crate::api::pacing::Pacer;
use crate::input::InputSize;
use crate::observer::{ActivityEvent, RecordEvent, RequestEvent, SyncObserver};

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
