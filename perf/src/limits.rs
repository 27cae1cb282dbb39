//! Limits that bound one engine run: wall-clock seconds, simulated API time and requests. A run
//! past any of them is stopped and reported as [`Stopped`], with what the sync was doing.
//!
//! A regression that spins must fail the gate in seconds instead of hanging CI. Three kinds of
//! runaway are covered, each by the cheapest mechanism that can see it:
//!
//! - **Too many requests** (a retry loop that never gives up): [`Guarded`], the transport the
//!   harness puts in front of the simulator, counts every request that reaches the API and trips
//!   the watch at [`Limits::requests`]; the request past the limit never leaves.
//! - **Too much simulated time** (a sync that waits forever on the paused clock, or a request
//!   that never gets an answer): the run module races the engine against a tokio sleep of
//!   [`Limits::api_time`] on the run's own clock; on a paused runtime it fires as soon as the
//!   engine has nothing else to wake for.
//! - **No progress at all** (a spin that keeps the runtime busy, so the virtual clock never
//!   advances, or a task that never yields and blocks the current-thread runtime outright): only
//!   a thread outside the runtime can see that. The run module runs the engine on a thread of its
//!   own and waits at most [`Limits::wall`] for it; then it trips the watch (a run that still
//!   yields stops at its next await) and waits [`STOP_GRACE`] more. A thread that does not stop
//!   is abandoned: it cannot be killed from inside the process, and the verdict says so
//!   ([`Stopped::abandoned`]); the process ends with it.
//!
//! - **Waiting in a loop that goes nowhere** (a pacer whose reset never passes, or a wait of
//!   zero asked again at once: the run keeps waiting, but its clock, its requests and its records
//!   stand still): the watch sees it in its own events. [`NO_PROGRESS_WAITS`] waits in a row at
//!   the same instant of the run's clock, with no request or record finished, over at least
//!   [`NO_PROGRESS_WALL`] of wall clock, trip the wall-clock limit at once instead of after the
//!   whole [`Limits::wall`] (20x a big scenario's harness time, a minute and more each: a gate
//!   whose every budget-bound scenario spun took four minutes to fail). A healthy run waits a
//!   handful of times per instant, then its clock moves.
//!
//! Why a thread and not a child process: a child would be the only way to reclaim a thread
//! that never yields, but the run's results (histograms, simulator statistics, the recorded
//! responses of the CPU clock) would have to cross a process boundary, and the seams of the
//! tests would have to become command-line settings. A stuck run fails the gate anyway, so the
//! price of abandoning its thread (one core busy until the gate exits with 1) is paid only on a
//! run that already failed; the diagnosis names the later scenarios' wall-clock and CPU figures
//! as suspect then.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use monday_sync::engine::{ActivityEvent, RecordEvent, RequestEvent, SyncObserver};
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError, UrlRequest};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// How long a run gets to stop after its watch trips before its thread is abandoned.
pub const STOP_GRACE: Duration = Duration::from_secs(2);
/// Requests and waits kept for the diagnosis.
const KEPT: usize = 6;
/// Waits in a row without progress (the run's clock standing, no request or record finished)
/// that, over [`NO_PROGRESS_WALL`], stop a run.
pub const NO_PROGRESS_WAITS: u64 = 1_000;
/// Least wall-clock time without progress before a run that keeps waiting is stopped.
pub const NO_PROGRESS_WALL: Duration = Duration::from_secs(5);

/// The bounds of one run (one seed of a repeated scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time of the engine run.
    pub wall: Duration,
    /// Time on the run's clock (virtual on a paused runtime, real over HTTP).
    pub api_time: Duration,
    /// Requests that reach the API (retries and harness-injected requests included).
    pub requests: u64,
}

/// Which limit a run crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    WallClock,
    ApiTime,
    Requests,
}

impl LimitKind {
    /// The gate check's name (`limit_wall_clock_s`, `limit_api_time_s`, `limit_requests`).
    pub fn check_name(self) -> &'static str {
        match self {
            LimitKind::WallClock => "limit_wall_clock_s",
            LimitKind::ApiTime => "limit_api_time_s",
            LimitKind::Requests => "limit_requests",
        }
    }

    /// The limit's value in its unit (seconds or requests).
    pub fn of(self, l: &Limits) -> f64 {
        match self {
            LimitKind::WallClock => l.wall.as_secs_f64(),
            LimitKind::ApiTime => l.api_time.as_secs_f64(),
            LimitKind::Requests => l.requests as f64,
        }
    }
}

/// A run stopped at a limit, with what the sync was doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    pub scenario: String,
    pub seed: u64,
    pub limit: LimitKind,
    /// The limit, in seconds or requests.
    pub allowed: f64,
    /// Requests that reached the API.
    pub requests: u64,
    /// Records the engine had finished (synced or failed), of `records`.
    pub records_done: u64,
    pub records: u64,
    /// The run's clock at its last request or wait, seconds from its start.
    pub api_time_s: f64,
    /// Wall-clock seconds from the start to the stop.
    pub wall_s: f64,
    /// Wall-clock seconds since the last request, record or wait: long means the run made no
    /// progress at all (a spin that never advanced the clock or never yielded).
    pub wall_s_since_last_event: f64,
    /// The last requests, oldest first (`t=12.345s Create 50 records attempt 0 -> 200`).
    pub last_requests: Vec<String>,
    /// The last waits, oldest first (`t=12.345s Budget until t=60.050s`).
    pub last_waits: Vec<String>,
    /// The run's thread did not stop within [`STOP_GRACE`] and was left running.
    pub abandoned: bool,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.limit {
            LimitKind::Requests => "",
            LimitKind::WallClock | LimitKind::ApiTime => " s",
        };
        writeln!(
            f,
            "scenario {} (seed {}) stopped at its {} limit of {}{unit}: {} requests, {} of {} records done, {:.3} s of API time, {:.1} s wall ({:.1} s since the last event)",
            self.scenario,
            self.seed,
            self.limit.check_name(),
            crate::textfmt::fmt_num(self.allowed),
            self.requests,
            self.records_done,
            self.records,
            self.api_time_s,
            self.wall_s,
            self.wall_s_since_last_event
        )?;
        if self.abandoned {
            writeln!(f, "  the run did not yield to cancellation: its thread was abandoned (wall-clock and CPU figures of later scenarios are suspect)")?;
        }
        for (what, lines) in [
            ("last requests", &self.last_requests),
            ("last waits", &self.last_waits),
        ] {
            if lines.is_empty() {
                writeln!(f, "  {what}: none")?;
            }
            for l in lines {
                writeln!(f, "  {what}: {l}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Seen {
    records_done: u64,
    last_requests: VecDeque<String>,
    last_waits: VecDeque<String>,
    last_offset: Duration,
    last_event_wall: Option<std::time::Instant>,
    /// The run's clock at its last progress (a request or record finished, the clock moved).
    progress_offset: Duration,
    /// Wall-clock time of the last progress (None: the start).
    progress_wall: Option<std::time::Instant>,
    /// Waits since the last progress.
    idle_waits: u64,
}

impl Seen {
    fn progress(&mut self, offset: Duration, wall: std::time::Instant) {
        self.progress_offset = self.progress_offset.max(offset);
        self.progress_wall = Some(wall);
        self.idle_waits = 0;
    }
}

fn keep(q: &mut VecDeque<String>, line: String) {
    if q.len() == KEPT {
        q.pop_front();
    }
    q.push_back(line);
}

/// What a bounded run has done so far, shared between the run's thread and the one watching it.
/// Observes the engine ([`SyncObserver`]) and holds the stop signal.
pub struct Watch {
    limits: Limits,
    started: std::time::Instant,
    origin: Mutex<Option<Instant>>,
    requests: AtomicU64,
    seen: Mutex<Seen>,
    tripped: Mutex<Option<LimitKind>>,
    stop: tokio::sync::Notify,
    /// The bound on waiting without progress: (waits, wall clock).
    no_progress: (u64, Duration),
    /// The no-progress bound tripped the wall-clock limit (its diagnosis and `allowed`).
    stalled: Mutex<Option<String>>,
}

impl Watch {
    pub fn new(limits: Limits) -> Self {
        Watch {
            limits,
            started: std::time::Instant::now(),
            origin: Mutex::new(None),
            requests: AtomicU64::new(0),
            seen: Mutex::new(Seen::default()),
            tripped: Mutex::new(None),
            stop: tokio::sync::Notify::new(),
            no_progress: (NO_PROGRESS_WAITS, NO_PROGRESS_WALL),
            stalled: Mutex::new(None),
        }
    }

    /// The same watch with another bound on waiting without progress (tests).
    pub fn with_no_progress(mut self, waits: u64, wall: Duration) -> Self {
        self.no_progress = (waits, wall);
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Sets the run's time zero on its own clock (call inside the run's runtime).
    pub fn start_clock(&self) {
        *lock(&self.origin) = Some(Instant::now());
    }

    fn offset(&self, t: Instant) -> Duration {
        lock(&self.origin).map_or(Duration::ZERO, |o| t.saturating_duration_since(o))
    }

    fn event(&self, t: Instant, f: impl FnOnce(&mut Seen)) {
        let offset = self.offset(t);
        let mut s = lock(&self.seen);
        s.last_offset = s.last_offset.max(offset);
        s.last_event_wall = Some(std::time::Instant::now());
        f(&mut s);
    }

    /// A request or a record finished at `t`: progress.
    fn progress(&self, t: Instant, f: impl FnOnce(&mut Seen)) {
        let offset = self.offset(t);
        self.event(t, |s| {
            s.progress(offset, std::time::Instant::now());
            f(s);
        });
    }

    /// A wait began at `now`: progress if the run's clock moved since the last progress, else one
    /// more idle wait; past the no-progress bound the run is stopped at its wall-clock limit.
    fn wait_began(&self, now: Instant, line: String) {
        let offset = self.offset(now);
        let wall = std::time::Instant::now();
        let (waits, least) = self.no_progress;
        let mut stall = None;
        self.event(now, |s| {
            if offset > s.progress_offset {
                s.progress(offset, wall);
            } else {
                s.idle_waits += 1;
                let since = wall.duration_since(s.progress_wall.unwrap_or(self.started));
                if s.idle_waits >= waits && since >= least {
                    stall = Some(format!(
                        "no progress: {} waits in a row at {} over {:.1} s of wall clock, no request or record finished and the run's clock did not move",
                        s.idle_waits,
                        secs(offset),
                        since.as_secs_f64()
                    ));
                }
            }
            keep(&mut s.last_waits, line);
        });
        if let Some(why) = stall {
            let mut stalled = lock(&self.stalled);
            if stalled.is_none() && self.tripped_kind().is_none() {
                *stalled = Some(why);
                drop(stalled);
                self.trip(LimitKind::WallClock);
            }
        }
    }

    /// Stops the run for `kind` (the first limit crossed is the one reported).
    pub fn trip(&self, kind: LimitKind) {
        let mut t = lock(&self.tripped);
        if t.is_none() {
            *t = Some(kind);
            drop(t);
            self.stop.notify_one();
        }
    }

    /// The limit crossed, if any.
    pub fn tripped_kind(&self) -> Option<LimitKind> {
        *lock(&self.tripped)
    }

    /// Completes when a limit is crossed.
    pub async fn tripped(&self) -> LimitKind {
        loop {
            if let Some(k) = self.tripped_kind() {
                return k;
            }
            self.stop.notified().await;
        }
    }

    /// The report of a run stopped at `kind`.
    pub fn stopped(&self, scenario: &str, seed: u64, records: u64, kind: LimitKind) -> Stopped {
        let stalled = lock(&self.stalled).clone();
        let s = lock(&self.seen);
        let now = std::time::Instant::now();
        let allowed = match (&stalled, kind) {
            (Some(_), LimitKind::WallClock) => self.no_progress.1.as_secs_f64(),
            _ => kind.of(&self.limits),
        };
        let mut last_waits: Vec<String> = s.last_waits.iter().cloned().collect();
        if let (Some(why), LimitKind::WallClock) = (stalled, kind) {
            last_waits.push(why);
        }
        Stopped {
            scenario: scenario.to_string(),
            seed,
            limit: kind,
            allowed,
            requests: self.requests.load(Ordering::Relaxed),
            records_done: s.records_done,
            records,
            api_time_s: s.last_offset.as_secs_f64(),
            wall_s: now.duration_since(self.started).as_secs_f64(),
            wall_s_since_last_event: now
                .duration_since(s.last_event_wall.unwrap_or(self.started))
                .as_secs_f64(),
            last_requests: s.last_requests.iter().cloned().collect(),
            last_waits,
            abandoned: false,
        }
    }

    /// Counts one request leaving; false (and the watch tripped) past the request limit.
    fn admit(&self) -> bool {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.requests {
            self.requests.fetch_sub(1, Ordering::Relaxed);
            self.trip(LimitKind::Requests);
            return false;
        }
        self.event(Instant::now(), |_| {});
        true
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn secs(d: Duration) -> String {
    format!("t={:.3}s", d.as_secs_f64())
}

impl SyncObserver for Watch {
    fn request_finished(&self, ev: &RequestEvent) {
        let line = format!(
            "{} {:?} {} records attempt {} -> {}{}",
            secs(self.offset(ev.started)),
            ev.kind,
            ev.records,
            ev.attempt,
            ev.status
                .map_or_else(|| "transport error".to_string(), |s| s.to_string()),
            if ev.throttled { " (throttled)" } else { "" }
        );
        self.progress(ev.finished, |s| keep(&mut s.last_requests, line));
    }

    fn record_finished(&self, ev: &RecordEvent) {
        self.progress(ev.finished_at, |s| s.records_done += 1);
    }

    fn activity(&self, ev: &ActivityEvent) {
        if let ActivityEvent::Waiting { reason, until } = ev {
            let now = Instant::now();
            let line = format!(
                "{} {reason:?} until {}",
                secs(self.offset(now)),
                secs(self.offset(*until))
            );
            self.wait_began(now, line);
        }
    }
}

/// The run's own observer and the watch, as one observer.
pub struct Tee(pub Arc<dyn SyncObserver>, pub Arc<Watch>);

impl SyncObserver for Tee {
    fn request_finished(&self, ev: &RequestEvent) {
        self.0.request_finished(ev);
        self.1.request_finished(ev);
    }
    fn record_finished(&self, ev: &RecordEvent) {
        self.0.record_finished(ev);
        self.1.record_finished(ev);
    }
    fn activity(&self, ev: &ActivityEvent) {
        self.0.activity(ev);
        self.1.activity(ev);
    }
}

/// The transport in front of the API: counts requests and refuses the one past the limit
/// (it never answers; the run is stopped through the watch).
pub struct Guarded {
    inner: Arc<dyn Transport>,
    watch: Arc<Watch>,
}

impl Guarded {
    pub fn new(inner: Arc<dyn Transport>, watch: Arc<Watch>) -> Self {
        Guarded { inner, watch }
    }
}

#[async_trait]
impl Transport for Guarded {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        if self.watch.tripped_kind().is_some() || !self.watch.admit() {
            std::future::pending::<()>().await;
        }
        self.inner.send(request).await
    }

    /// Uploads and report downloads reach the API's hosts too: counted and refused alike.
    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        if self.watch.tripped_kind().is_some() || !self.watch.admit() {
            std::future::pending::<()>().await;
        }
        self.inner.send_url(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ok200;

    #[async_trait]
    impl Transport for Ok200 {
        async fn send(&self, _: ApiRequest) -> Result<ApiResponse, TransportError> {
            Ok(ApiResponse {
                status: 200,
                headers: vec![],
                body: bytes::Bytes::from_static(b"{}"),
            })
        }
    }

    fn request() -> ApiRequest {
        ApiRequest {
            body: bytes::Bytes::from_static(b"{}"),
            token: "t".into(),
            api_version: "2026-10".into(),
            idempotency_key: None,
            timeout: Duration::from_secs(5),
        }
    }

    fn limits(requests: u64) -> Limits {
        Limits {
            wall: Duration::from_secs(60),
            api_time: Duration::from_secs(60),
            requests,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_request_past_the_limit_never_leaves_and_trips_the_watch() {
        let watch = Arc::new(Watch::new(limits(3)));
        watch.start_clock();
        let t = Guarded::new(Arc::new(Ok200), watch.clone());
        for _ in 0..3 {
            t.send(request()).await.expect("within the limit");
        }
        assert_eq!(watch.tripped_kind(), None);
        let fourth = tokio::time::timeout(Duration::from_secs(3600), t.send(request())).await;
        assert!(fourth.is_err(), "the fourth request was answered");
        assert_eq!(watch.tripped_kind(), Some(LimitKind::Requests));
        let s = watch.stopped("x", 7, 10, LimitKind::Requests);
        assert_eq!((s.requests, s.allowed, s.seed), (3, 3.0, 7));
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_limit_crossed_is_the_one_reported() {
        let watch = Watch::new(limits(3));
        watch.trip(LimitKind::ApiTime);
        watch.trip(LimitKind::WallClock);
        assert_eq!(watch.tripped().await, LimitKind::ApiTime);
    }

    #[tokio::test(start_paused = true)]
    async fn the_diagnosis_keeps_the_last_requests_and_waits() {
        use monday_sync::engine::{RequestKind, WaitReason};
        let watch = Watch::new(limits(100));
        watch.start_clock();
        let t0 = Instant::now();
        for i in 0..(KEPT as u64 + 2) {
            let at = t0 + Duration::from_secs(i);
            watch.request_finished(&RequestEvent {
                started: at,
                finished: at + Duration::from_millis(500),
                status: Some(429),
                throttled: true,
                records: 50,
                kind: RequestKind::Create,
                complexity_remaining: None,
                attempt: i as u32,
            });
        }
        watch.activity(&ActivityEvent::Waiting {
            reason: WaitReason::RateLimited,
            until: t0 + Duration::from_secs(30),
        });
        let s = watch.stopped("pro-50", 1, 50, LimitKind::WallClock);
        assert_eq!(s.last_requests.len(), KEPT);
        assert_eq!(
            s.last_requests.last().map(String::as_str),
            Some("t=7.000s Create 50 records attempt 7 -> 429 (throttled)")
        );
        assert_eq!(s.last_waits, ["t=0.000s RateLimited until t=30.000s"]);
        assert_eq!(s.api_time_s, 7.5);
        let text = s.to_string();
        assert!(
            text.contains("pro-50") && text.contains("limit_wall_clock_s limit of 60 s"),
            "{text}"
        );
    }

    fn wait(watch: &Watch, at: Instant) {
        watch.activity(&ActivityEvent::Waiting {
            reason: monday_sync::engine::WaitReason::Budget,
            until: at - Duration::from_millis(950),
        });
    }

    fn finished(at: Instant) -> RequestEvent {
        RequestEvent {
            started: at,
            finished: at,
            status: Some(200),
            throttled: false,
            records: 1,
            kind: monday_sync::engine::RequestKind::Create,
            complexity_remaining: None,
            attempt: 0,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_in_a_loop_that_goes_nowhere_trips_the_wall_clock_limit() {
        let watch = Watch::new(limits(100)).with_no_progress(50, Duration::ZERO);
        watch.start_clock();
        tokio::time::advance(Duration::from_secs(61)).await;
        let now = Instant::now();
        // The first wait at t=61 s is progress (the clock moved); the next ones are not.
        for _ in 0..50 {
            wait(&watch, now);
        }
        assert_eq!(watch.tripped_kind(), None, "49 waits are not yet a loop");
        wait(&watch, now);
        assert_eq!(watch.tripped_kind(), Some(LimitKind::WallClock));
        let s = watch.stopped("free-5000", 1, 5000, LimitKind::WallClock);
        assert_eq!(
            s.allowed, 0.0,
            "the no-progress bound, not the wall limit of 60 s"
        );
        let why = s.last_waits.last().expect("a diagnosis");
        assert!(
            why.starts_with("no progress: 50 waits in a row at t=61.000s"),
            "{why}"
        );
        assert!(
            s.to_string().contains("t=61.000s Budget until t=60.050s"),
            "{s}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_moves_on_is_not_stalled() {
        let watch = Watch::new(limits(100)).with_no_progress(50, Duration::ZERO);
        watch.start_clock();
        // Its clock moves between waits.
        for _ in 0..200 {
            tokio::time::advance(Duration::from_millis(10)).await;
            wait(&watch, Instant::now());
        }
        // At one instant, a finished request or record starts the count again.
        let now = Instant::now();
        for round in 0..10 {
            for _ in 0..40 {
                wait(&watch, now);
            }
            if round % 2 == 0 {
                watch.request_finished(&finished(now));
            } else {
                watch.record_finished(&RecordEvent {
                    ready_at: now,
                    finished_at: now,
                    outcome: monday_sync::engine::RecordOutcome::Created,
                    line: 1,
                });
            }
        }
        assert_eq!(watch.tripped_kind(), None);
        // A stop for another reason keeps its own limit and says nothing of progress.
        let s = watch.stopped("pro-50", 1, 50, LimitKind::WallClock);
        assert_eq!(s.allowed, 60.0);
        assert!(s.last_waits.iter().all(|w| !w.contains("no progress")));
    }

    #[tokio::test(start_paused = true)]
    async fn the_wall_clock_part_of_the_bound_needs_time_to_pass() {
        let watch = Watch::new(limits(100)).with_no_progress(5, Duration::from_secs(3600));
        watch.start_clock();
        let now = Instant::now();
        for _ in 0..1_000 {
            wait(&watch, now);
        }
        assert_eq!(
            watch.tripped_kind(),
            None,
            "a thousand waits in under an hour of wall clock"
        );
    }
}
