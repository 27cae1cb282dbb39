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
    /// Lookups by key: `boards { items_page(query_params: any_of) }` / `next_items_page`.
    Reconcile,
    /// `update_status_column` / `update_dropdown_column`: labels a job's rows need, added to
    /// their column before the job (a bulk import never creates labels).
    Labels,
    /// `ingest_items`: starting a bulk import job.
    IngestStart,
    /// The CSV `PUT` to a job's pre-signed upload URL.
    Upload,
    /// `fetch_job_status`.
    JobPoll,
    /// The `GET` of a job's report.
    ReportDownload,
}

impl RequestKind {
    /// Every kind, in declaration order.
    pub const ALL: [RequestKind; 9] = [
        RequestKind::BoardRead,
        RequestKind::CreateGroups,
        RequestKind::Create,
        RequestKind::Update,
        RequestKind::Reconcile,
        RequestKind::IngestStart,
        RequestKind::Upload,
        RequestKind::JobPoll,
        RequestKind::ReportDownload,
    ];

    /// Whether requests of this kind write to the board (and so go one at a time per board).
    /// `ingest_items` names the board (`board_id`), so it is a board write to the board's
    /// lock: sent beside a batch in flight it is answered 423 (mock-monday/README.md, "Board
    /// write locks"). Sent outside the turn, a job's start met the run's batches on the wire
    /// and retried until they were all sent.
    pub fn writes(self) -> bool {
        matches!(
            self,
            RequestKind::CreateGroups
                | RequestKind::Create
                | RequestKind::Update
                | RequestKind::Labels
                | RequestKind::IngestStart
        )
    }

    /// The name used in request logs (`board_read`, `create_groups`, `create`, `update`,
    /// `reconcile`, `labels`, `ingest_start`, `upload`, `job_poll`, `report_download`).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::BoardRead => "board_read",
            RequestKind::CreateGroups => "create_groups",
            RequestKind::Create => "create",
            RequestKind::Update => "update",
            RequestKind::Reconcile => "reconcile",
            RequestKind::Labels => "labels",
            RequestKind::IngestStart => "ingest_start",
            RequestKind::Upload => "upload",
            RequestKind::JobPoll => "job_poll",
            RequestKind::ReportDownload => "report_download",
        }
    }
}

/// Why the sync is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The complexity budget is spent until the window resets (the pacer holds the request).
    Budget,
    /// A rate limit answered 429 (or a throttling code): wait its `retry_in_seconds`.
    RateLimited,
    /// The board is locked by another write (423), or the same key is in flight (409).
    Locked,
    /// Backing off before retrying a 5xx, a reset or a timeout.
    Retry,
}

/// What the send path is doing, for progress displays. `Waiting` is always followed by one
/// `WaitOver` from the same sender; `Sending` is one request attempt leaving (its end is
/// [`SyncObserver::request_finished`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityEvent {
    /// A request attempt is leaving.
    Sending,
    /// A request waits until `until` (tokio clock) for `reason`.
    Waiting { reason: WaitReason, until: Instant },
    /// That wait is over.
    WaitOver,
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

/// Receives events; must be cheap (called inline on the engine's path).
pub trait SyncObserver: Send + Sync {
    fn request_finished(&self, ev: &RequestEvent);
    fn record_finished(&self, ev: &RecordEvent);
    /// Sending and waiting, as it happens (every wait of the send path goes through one
    /// function, [`crate::api::client::ApiClient::wait_until`]). Default: ignored.
    fn activity(&self, _ev: &ActivityEvent) {}
}

/// Several observers as one (the caller's and the progress display).
pub(crate) struct Observers(pub Vec<Arc<dyn SyncObserver>>);

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
