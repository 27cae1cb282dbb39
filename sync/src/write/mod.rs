//! Write paths: how a planned set of records gets onto the board.
//!
//! The coordinator plans records (group ids resolved, creates admitted to the board's capacity,
//! each marked pending in the state store) and hands each planned set to a [`WritePath`] as a
//! [`WriteJob`]. The write path reports one [`RecordResult`] per record in a [`WriteReport`]; the
//! coordinator stores and counts them. Today's path is the batch path ([`batch`]: aliased
//! `create_item` / `change_multiple_column_values` mutations, many per request). A job-based path
//! (bulk import: upload the set, start a job, poll it, read per-record results) fits the same
//! interface: it takes the same job and answers with the same report; it goes in `ingest/`
//! beside [`batch`].

pub(crate) mod batch;
pub(crate) mod ingest;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::error::SyncError;
use crate::mapping::transform::FailureCause;
use crate::observer::RequestKind;
use crate::planning::PlannedRecord;

/// A planned set of records for one board, all creates or all updates.
#[derive(Debug)]
pub(crate) struct WriteJob {
    /// The job's number in this run (seeds its backoff and names its idempotency keys).
    pub seq: u64,
    /// [`RequestKind::Create`] or [`RequestKind::Update`].
    pub kind: RequestKind,
    pub records: Vec<PlannedRecord>,
}

/// The final result for one record of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordResult {
    /// On the board: the item created or updated.
    Done { item_id: String },
    /// Definitely not applied.
    Failed {
        field: String,
        reason: String,
        cause: FailureCause,
    },
    /// May or may not have been applied (retries ran out after timeouts, resets or 5xx): the
    /// coordinator looks the record up on the board at the end of the run.
    Ambiguous { reason: String },
}

/// What came back from a job: every record of the job with its result, in job order.
#[derive(Debug)]
pub(crate) struct WriteReport {
    pub kind: RequestKind,
    pub outcomes: Vec<(PlannedRecord, RecordResult)>,
    pub finished_at: Instant,
    /// Nothing further can succeed (token refused, board missing, account limit): the run stops.
    pub fatal: Option<SyncError>,
    /// The API refused a create of this job because the board is full
    /// (`ItemsLimitationException`), or the path did not send creates because it had refused one
    /// before: the coordinator admits no more creates.
    pub board_full: bool,
}

/// A way of writing planned records to the board. The coordinator runs up to `write_lanes` jobs
/// at once (each on its own task), so a path shares what it must across jobs itself.
#[async_trait]
pub(crate) trait WritePath: Send + Sync + std::fmt::Debug {
    /// Write `job` until every record has a result.
    async fn write(&self, job: WriteJob) -> WriteReport;
}
