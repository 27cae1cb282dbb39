//! Hooks for callers that want per-request and per-record timing (the perf harness) and for the
//! progress display: what the sync is doing right now ([`ActivityEvent`]).

use std::sync::Arc;

use tokio::time::Instant;

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Reading the board's columns and groups.
    BoardRead,
    /// One aliased `create_group` request.
    CreateGroups,
    /// A batch of `create_item`.
    Create,
    /// A batch of `change_multiple_column_values`.
    Update,
    /// `items_page_by_column_values` / `next_items_page` lookups by key.
    Reconcile,
    /// The wasted `complexity` query of the `extra_round_trips_per_batch` test knob.
    Extra,
}

/// One attempt of one request, after it finished.
#[derive(Debug, Clone)]
pub struct RequestEvent {
    pub started: Instant,
    pub finished: Instant,
    /// HTTP status; `None` when the transport failed (timeout, reset, connect).
    pub status: Option<u16>,
    /// Refused by a rate limit (429 or a throttling error code).
    pub throttled: bool,
    /// Records carried by this request.
    pub records: usize,
    pub kind: RequestKind,
    /// Complexity budget left as the response reported it.
    pub complexity_remaining: Option<u64>,
    /// 0 for the first attempt of a body, then 1, 2, ...
    pub attempt: u32,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// One record, after its outcome is known.
#[derive(Debug, Clone)]
pub struct RecordEvent {
    /// When the record was transformed and ready to send.
    pub ready_at: Instant,
    /// When its item was confirmed (or it failed / was found unchanged).
    pub finished_at: Instant,
    pub outcome: RecordOutcome,
    pub line: u64,
}

/// Why a sender is waiting instead of sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The complexity budget is spent; waiting for it to reset.
    Budget,
    /// A 429 (or a per-field limit) said to wait `retry_in_seconds`.
    RateLimited,
    /// The board is locked or busy (423 / 409): waiting it out.
    Locked,
    /// Backing off before retrying after a 5xx, a reset or a timeout.
    Retry,
}

/// What a sender is doing right now. `Waiting` is always followed by one `WaitOver` from the same
/// sender; `Sending` is one request attempt leaving (its end is [`SyncObserver::request_finished`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityEvent {
    Sending,
    Waiting {
        reason: WaitReason,
        until: tokio::time::Instant,
    },
    WaitOver,
}

/// Receives events; must be cheap (called inline on the engine's path).
pub trait SyncObserver: Send + Sync {
    fn request_finished(&self, ev: &RequestEvent);
    fn record_finished(&self, ev: &RecordEvent);
    /// What the sync is doing right now (for progress displays); ignored by default.
    fn activity(&self, ev: &ActivityEvent) {
        let _ = ev;
    }
}

/// Tell `observer` (if any) that a wait of `reason` until `until` starts.
pub fn notify_wait(observer: Option<&Arc<dyn SyncObserver>>, reason: WaitReason, until: Instant) {
    if let Some(o) = observer {
        o.activity(&ActivityEvent::Waiting { reason, until });
    }
}

/// Tell `observer` (if any) about an activity change.
pub fn notify(observer: Option<&Arc<dyn SyncObserver>>, ev: ActivityEvent) {
    if let Some(o) = observer {
        o.activity(&ev);
    }
}

/// Several observers as one (the caller's and the progress display).
pub struct Observers(pub Vec<Arc<dyn SyncObserver>>);

impl SyncObserver for Observers {
    fn request_finished(&self, ev: &RequestEvent) {
        self.0.iter().for_each(|o| o.request_finished(ev));
    }
    fn record_finished(&self, ev: &RecordEvent) {
        self.0.iter().for_each(|o| o.record_finished(ev));
    }
    fn activity(&self, ev: &ActivityEvent) {
        self.0.iter().for_each(|o| o.activity(ev));
    }
}
