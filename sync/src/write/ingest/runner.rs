//! One set of rows through jobs until every row has a result: start -> ledger -> upload -> poll
//! -> report -> item ids by key. A failed upload or a `FAILED` job is redone as a new job with
//! UPSERT (the key column makes that idempotent, docs/monday-bulk-import.md §3); a capacity
//! rejection or repeated failures hand the rows to the batch path.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use tokio::time::Instant;

use super::job::{self, JobState, Status};
use super::{IngestPath, IngestStats, MAX_JOB_ATTEMPTS};
use crate::api::payload::Op;
use crate::error::SyncError;
use crate::mapping::transform::FailureCause;
use crate::observer::RequestKind;
use crate::planning::PlannedRecord;
use crate::state::jobs::{LedgerJob, Stage};
use crate::state::reconcile::find_items_by_key;
use crate::write::{RecordResult, WriteReport};

/// How a set of rows ended.
#[derive(Debug, Default)]
pub(super) struct ChunkEnd {
    pub reports: Vec<WriteReport>,
    pub to_batch: Vec<PlannedRecord>,
    /// Rows the hourly budget spent (valid rows of jobs that ran).
    pub rows_spent: u64,
    /// Jobs started.
    pub starts: u32,
    /// What a completed job says about the account's processing rate.
    pub measured: Option<Measured>,
    /// Its job waited behind other jobs of this run on the board (processed one after another,
    /// docs/monday-bulk-import.md §5.4): its start delay includes that wait, so it does not say
    /// what the account's start delay is (its rate still does).
    pub queued: bool,
    /// Rows the chunk carried.
    pub rows: usize,
    /// The chunk's own counts (jobs, rows, bytes, polls), added to the run's by the caller.
    pub stats: IngestStats,
}

/// What one completed job tells about the processing rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Measured {
    /// Two polls saw it part-way: the slope between them, and the start delay it implies.
    Rate { rows_per_s: f64, start_delay_s: f64 },
    /// The first poll that saw it part-way or done came after it ended: the time to that poll is
    /// only an upper bound on the processing time, so rows over it only bound the rate from
    /// below (a 42-row job seen done at the first 10 s poll says "at least 4.2 rows/s", not
    /// "4.2 rows/s"). Taking it as the rate once moved a whole 5,000-record run to batches.
    AtLeast { rows_per_s: f64 },
}

impl Measured {
    /// The (rate, start delay) to plan with, from the current estimates.
    pub(crate) fn revise(self, rate: f64, delay: f64) -> (f64, f64) {
        match self {
            Measured::Rate {
                rows_per_s,
                start_delay_s,
            } => (rows_per_s, start_delay_s),
            Measured::AtLeast { rows_per_s } => (rate.max(rows_per_s), delay),
        }
    }
}

/// A job watched to its end.
struct Watched {
    status: Status,
    report: Vec<job::ReportLine>,
    uploaded_at: Instant,
    ended_at: Instant,
    /// (time, progress %) of polls that saw the job part-way.
    samples: Vec<(Instant, u64)>,
    /// Another job of this run was uploaded and not yet ended when this one was uploaded.
    queued: bool,
}

/// What one attempt ended with.
enum Attempt {
    Ended(Watched),
    /// The job never got its file: start a new one.
    UploadFailed,
    /// No job could be started or watched: the rows go elsewhere.
    Unavailable(SyncError),
}

/// A job started and recorded in the ledger, its file not yet uploaded ([`begin`]).
pub(super) type Begun = Result<job::Started, SyncError>;

/// Start a job for `records` into `group_id` and record it (with its keys) in the ledger before
/// any byte of its file leaves. [`run_chunk`] takes it as its first attempt, so a caller can
/// start several jobs one after another before their uploads and polls run side by side.
pub(super) async fn begin(
    path: &IngestPath,
    group_id: &str,
    records: &[PlannedRecord],
    seq: u64,
    round: u64,
) -> Begun {
    let client = &path.client;
    let started = job::start(client, group_id, &path.match_column, seq, round).await?;
    let entry = LedgerJob {
        job_id: started.job_id.clone(),
        board_id: client.board_id.clone(),
        group_id: group_id.to_string(),
        keys: records.iter().map(|r| r.record.key.clone()).collect(),
        stage: Stage::Started,
        // Until the job ends, every row of its file may spend the hour's budget.
        started_at_ms: path.ledger.now_ms(),
        rows: records.len() as u64,
    };
    // The job and its keys are durable before a byte of the file leaves.
    path.ledger.started(&entry)?;
    tracing::info!(job = %started.job_id, rows = records.len(), "bulk import job started");
    Ok(started)
}

/// Run `records` (all CSV-carriable, the coordinator checked) as jobs into `group_id`; `first`
/// is the first attempt's job, already started by [`begin`].
pub(super) async fn run_chunk(
    path: Arc<IngestPath>,
    group_id: String,
    records: Vec<PlannedRecord>,
    seq: u64,
    first: Begun,
) -> ChunkEnd {
    let path = &*path;
    let mut end = ChunkEnd {
        rows: records.len(),
        ..ChunkEnd::default()
    };
    let (csv, starts) = build_csv(path, &records);
    let mut maybe_committed = false;
    let mut first = Some(first);
    for round in 0..MAX_JOB_ATTEMPTS as u64 {
        let begun = match first.take() {
            Some(b) => b,
            None => begin(path, &group_id, &records, seq, round).await,
        };
        let attempt = match begun {
            Ok(started) => one_job(path, started, &records, &csv, seq << 4 | round, &mut end).await,
            Err(e) => Attempt::Unavailable(e),
        };
        match attempt {
            Attempt::UploadFailed => {
                end.starts += 1;
                continue;
            }
            Attempt::Unavailable(e) => {
                tracing::warn!(error = %e, records = records.len(), "no bulk import job; these records go as batches");
                return hand_to_batches(path, records, maybe_committed, end).await;
            }
            Attempt::Ended(w) => {
                end.starts += 1;
                let counts = w.status.counts.unwrap_or_default();
                end.rows_spent += counts.created + counts.updated;
                match (&w.status.state, w.status.failure_reason.as_deref()) {
                    (JobState::Completed, _) => {
                        end.measured = measure(&w, records.len());
                        end.queued = w.queued;
                        end.reports = settle_rows(path, records, &starts, &w.report).await;
                        return end;
                    }
                    (JobState::Rejected, Some("BOARD_CAPACITY_EXCEEDED")) => {
                        // A rejected job wrote nothing (docs/monday-bulk-import.md §4.1): its
                        // creates go as batches, which fill what room the board has and report
                        // the rest as "board full" (ItemsLimitationException), as in batch mode;
                        // its updates need no room.
                        tracing::warn!(
                            records = records.len(),
                            "job rejected: the board is full; its rows go as batches"
                        );
                        return hand_to_batches(path, records, false, end).await;
                    }
                    (JobState::Rejected, reason) => {
                        tracing::warn!(?reason, "job rejected; its rows go as batches");
                        return hand_to_batches(path, records, maybe_committed, end).await;
                    }
                    (state, reason) => {
                        tracing::warn!(
                            state = state.as_str(),
                            ?reason,
                            round,
                            "job failed; redoing it with UPSERT"
                        );
                        maybe_committed = true;
                    }
                }
            }
        }
    }
    hand_to_batches(path, records, maybe_committed, end).await
}

/// The job's file, and the physical line (header = 1) each record starts on: a quoted cell may
/// hold line breaks, and the report names a row by the line it starts on.
fn build_csv(path: &IngestPath, records: &[PlannedRecord]) -> (Bytes, Vec<u64>) {
    let mut csv = path.layout.header();
    let mut line = 1 + csv.matches('\n').count() as u64;
    let mut starts = Vec::with_capacity(records.len());
    for r in records {
        // The coordinator sends only records a row carries; a refusal here is a bug, not data.
        let row = path.layout.row(&r.record).unwrap_or_default();
        starts.push(line);
        line += row.matches('\n').count() as u64;
        csv.push_str(&row);
    }
    (Bytes::from(csv), starts)
}

/// The record a report line points into (the last record starting at or before it).
fn record_at(starts: &[u64], line: u64) -> Option<usize> {
    let i = starts.partition_point(|&s| s <= line);
    i.checked_sub(1)
}

/// Upload the file of a started job and watch it to its end; `slot` names it for the display
/// and seeds its polls' streams.
async fn one_job(
    path: &IngestPath,
    started: job::Started,
    records: &[PlannedRecord],
    csv: &Bytes,
    slot: u64,
    end: &mut ChunkEnd,
) -> Attempt {
    let client = &path.client;
    let stats = &mut end.stats;
    if let Err(e) = job::upload(client, &started.upload_url, csv.clone()).await {
        tracing::warn!(job = %started.job_id, error = %e, "upload failed; a new job takes the rows");
        *stats.jobs_by_state.entry("ABANDONED".into()).or_default() += 1;
        let _ = path.ledger.set_stage(&started.job_id, Stage::Abandoned);
        let _ = path.ledger.set_rows(&started.job_id, 0);
        return Attempt::UploadFailed;
    }
    stats.bytes_uploaded += csv.len() as u64;
    if let Err(e) = path.ledger.set_stage(&started.job_id, Stage::Uploaded) {
        return Attempt::Unavailable(e);
    }
    let queued = path.uploaded.fetch_add(1, Ordering::SeqCst) > 0;
    path.show(slot, "UPLOAD_PENDING", 0, records.len());
    let watched = watch(path, &started.job_id, records.len(), slot, stats).await;
    path.uploaded.fetch_sub(1, Ordering::SeqCst);
    path.hide(slot);
    match watched {
        Ok(mut w) => {
            w.queued = queued;
            *stats
                .jobs_by_state
                .entry(w.status.state.as_str().to_string())
                .or_default() += 1;
            add_counts(stats, &w.status);
            Attempt::Ended(w)
        }
        Err(e) => Attempt::Unavailable(e),
    }
}

fn add_counts(stats: &mut IngestStats, s: &Status) {
    let Some(c) = s.counts else { return };
    for (k, v) in [
        ("submitted", c.submitted),
        ("invalid", c.invalid),
        ("skipped", c.skipped),
        ("created", c.created),
        ("updated", c.updated),
        ("failed", c.failed),
    ] {
        *stats.rows_by_outcome.entry(k.into()).or_default() += v;
    }
}

/// Poll every `job_poll_interval_ms` (tokio time) until a final state; fetch the report as soon
/// as it exists (§1.3). The ledger marks the job settled only after its rows are known.
async fn watch(
    path: &IngestPath,
    job_id: &str,
    rows: usize,
    stream: u64,
    stats: &mut IngestStats,
) -> Result<Watched, SyncError> {
    let uploaded_at = Instant::now();
    let mut samples = vec![];
    let mut report = vec![];
    let mut polls = 0u64;
    loop {
        tokio::time::sleep(path.poll_interval).await;
        let status = job::poll(&path.client, job_id, stream << 16 | polls).await?;
        polls += 1;
        stats.polls += 1;
        tracing::info!(job = %job_id, state = status.state.as_str(), progress = status.progress, "bulk import job");
        if rows > 0 {
            path.show(stream, status.state.as_str(), status.progress, rows);
        }
        if status.state == JobState::Processing && (1..100).contains(&status.progress) {
            samples.push((Instant::now(), status.progress));
        }
        if status.report_created && report.is_empty() {
            if let Some(url) = &status.report_url {
                report = job::report(&path.client, url).await.unwrap_or_default();
            }
        }
        if status.state.is_final() {
            let ended_at = Instant::now();
            stats.processing_wait_ms += (ended_at - uploaded_at).as_secs_f64() * 1000.0;
            // What the hour's budget kept: rows created or updated (invalid, skipped and failed
            // rows are given back; a rejected job spent nothing).
            let spent = status.counts.map_or(0, |c| c.created + c.updated);
            let _ = path.ledger.set_rows(job_id, spent);
            let _ = path.ledger.set_stage(job_id, Stage::Settled);
            return Ok(Watched {
                status,
                report,
                uploaded_at,
                ended_at,
                samples,
                queued: false,
            });
        }
    }
}

/// What a completed job measured: the slope between two part-way polls when there were two,
/// else a lower bound (all rows over the time to the poll that saw the end).
fn measure(w: &Watched, rows: usize) -> Option<Measured> {
    let rows = rows as f64;
    let m = match w.samples.as_slice() {
        [(t1, p1), .., (t2, p2)] if p2 > p1 && t2 > t1 => {
            let rate = rows * (p2 - p1) as f64 / 100.0 / (*t2 - *t1).as_secs_f64();
            let before = rows * *p1 as f64 / 100.0 / rate;
            let delay = ((*t1 - w.uploaded_at).as_secs_f64() - before).max(0.0);
            Measured::Rate {
                rows_per_s: rate,
                start_delay_s: delay,
            }
        }
        _ => {
            let secs = (w.ended_at - w.uploaded_at).as_secs_f64().max(1e-3);
            Measured::AtLeast {
                rows_per_s: rows / secs,
            }
        }
    };
    let rate = match m {
        Measured::Rate { rows_per_s, .. } | Measured::AtLeast { rows_per_s } => rows_per_s,
    };
    (rate.is_finite() && rate > 0.0).then_some(m)
}

/// Rows of a completed job: the report's lines fail (named by line, field and reason); the rest
/// learn their item ids by key (items the job created are ordinary items, §4).
async fn settle_rows(
    path: &IngestPath,
    records: Vec<PlannedRecord>,
    starts: &[u64],
    report: &[job::ReportLine],
) -> Vec<WriteReport> {
    let failed: HashMap<usize, &job::ReportLine> = report
        .iter()
        .filter_map(|l| record_at(starts, l.line).map(|i| (i, l)))
        .collect();
    let keys: Vec<String> = records
        .iter()
        .enumerate()
        .filter(|(i, _)| !failed.contains_key(i))
        .map(|(_, r)| r.record.key.clone())
        .collect();
    let found = find_on_board(path, &keys).await;
    let mut outcomes = Vec::with_capacity(records.len());
    for (i, r) in records.into_iter().enumerate() {
        let res = match (failed.get(&i), &found) {
            (Some(l), _) => {
                let (field, label) = path.fields.get(&l.column).cloned().unwrap_or_default();
                let cause = if label && l.reason.to_lowercase().contains("label") {
                    FailureCause::MissingLabel
                } else {
                    FailureCause::Rejected
                };
                RecordResult::Failed {
                    field,
                    reason: format!("bulk import line {}: {}", l.line, l.reason),
                    cause,
                }
            }
            (None, Ok(found)) => match found.get(&r.record.key).and_then(|ids| ids.last()) {
                Some(id) => RecordResult::Done {
                    item_id: id.clone(),
                },
                None => RecordResult::Ambiguous {
                    reason: "the job reported no failure but the item was not found".into(),
                },
            },
            (None, Err(e)) => RecordResult::Ambiguous {
                reason: format!("item ids could not be read after the job: {e}"),
            },
        };
        outcomes.push((r, res));
    }
    by_kind(outcomes)
}

/// Creates and updates reported separately (the coordinator counts capacity on creates).
fn by_kind(outcomes: Vec<(PlannedRecord, RecordResult)>) -> Vec<WriteReport> {
    let (creates, updates): (Vec<_>, Vec<_>) = outcomes
        .into_iter()
        .partition(|(r, _)| matches!(r.op, Op::Create { .. }));
    let now = Instant::now();
    [
        (RequestKind::Create, creates),
        (RequestKind::Update, updates),
    ]
    .into_iter()
    .filter(|(_, o)| !o.is_empty())
    .map(|(kind, outcomes)| WriteReport {
        kind,
        outcomes,
        finished_at: now,
        fatal: None,
        board_full: false,
    })
    .collect()
}

/// Rows a job could not take go to the batch path; after a job that may have committed some of
/// them, the creates found on the board go as updates of those items (never a second item).
async fn hand_to_batches(
    path: &IngestPath,
    mut records: Vec<PlannedRecord>,
    maybe_committed: bool,
    mut end: ChunkEnd,
) -> ChunkEnd {
    if maybe_committed {
        let keys: Vec<String> = records.iter().map(|r| r.record.key.clone()).collect();
        match find_on_board(path, &keys).await {
            Ok(found) => {
                for r in records.iter_mut() {
                    if let (Op::Create { .. }, Some(id)) =
                        (&r.op, found.get(&r.record.key).and_then(|ids| ids.last()))
                    {
                        r.op = Op::Update {
                            item_id: id.clone(),
                        };
                        // It was a create when planned: this run's failed job made the item.
                        r.created_here = true;
                    }
                }
            }
            Err(e) => {
                // Unknown what the job wrote: leave the records to the end-of-run look-up.
                let outcomes = records
                    .into_iter()
                    .map(|r| {
                        let reason =
                            format!("bulk import job failed and the board could not be read: {e}");
                        (r, RecordResult::Ambiguous { reason })
                    })
                    .collect();
                end.reports = by_kind(outcomes);
                return end;
            }
        }
    }
    end.to_batch = records;
    end
}

async fn find_on_board(
    path: &IngestPath,
    keys: &[String],
) -> Result<HashMap<String, Vec<String>>, SyncError> {
    find_items_by_key(
        &path.client,
        &path.client.board_id,
        &path.match_column,
        keys,
    )
    .await
}

/// A job an earlier run left open (from the ledger): poll it to its end before anything else is
/// sent, so its rows are on the board (or known not to be) when the pending records are looked
/// up. A job still `UPLOAD_PENDING` one poll interval later never got its file: abandoned.
pub(super) async fn finish_open(path: &IngestPath, job: &LedgerJob, stats: &mut IngestStats) {
    let first = job::poll(&path.client, &job.job_id, 1 << 20).await;
    let stage = match first {
        Err(e) => {
            tracing::warn!(job = %job.job_id, error = %e, "a job of an earlier run cannot be read; its records are looked up on the board");
            Stage::Abandoned
        }
        Ok(s) if s.state.is_final() => {
            let spent = s.counts.map_or(0, |c| c.created + c.updated);
            let _ = path.ledger.set_rows(&job.job_id, spent);
            Stage::Settled
        }
        Ok(s) if s.state == JobState::UploadPending => {
            tokio::time::sleep(path.poll_interval).await;
            match job::poll(&path.client, &job.job_id, 1 << 21).await {
                Ok(s) if s.state == JobState::UploadPending => {
                    // It never got its file: it spends nothing.
                    let _ = path.ledger.set_rows(&job.job_id, 0);
                    Stage::Abandoned
                }
                _ => wait_out(path, &job.job_id, stats).await,
            }
        }
        Ok(_) => wait_out(path, &job.job_id, stats).await,
    };
    tracing::info!(job = %job.job_id, keys = job.keys.len(), ?stage, "job of an earlier run resolved");
    let _ = path.ledger.set_stage(&job.job_id, stage);
}

async fn wait_out(path: &IngestPath, job_id: &str, stats: &mut IngestStats) -> Stage {
    match watch(path, job_id, 0, 1 << 22, stats).await {
        Ok(_) => Stage::Settled,
        Err(_) => Stage::Abandoned,
    }
}

#[cfg(test)]
mod tests {
    use super::{measure, record_at, Measured, Watched};
    use crate::write::ingest::job::{JobState, Status};
    use std::time::Duration;
    use tokio::time::Instant;

    fn watched(samples: &[(u64, u64)], ended_s: u64) -> Watched {
        let t0 = Instant::now();
        Watched {
            status: Status {
                state: JobState::Completed,
                counts: None,
                progress: 100,
                failure_reason: None,
                report_created: false,
                report_url: None,
            },
            report: vec![],
            uploaded_at: t0,
            ended_at: t0 + Duration::from_secs(ended_s),
            samples: samples
                .iter()
                .map(|&(s, p)| (t0 + Duration::from_secs(s), p))
                .collect(),
            queued: false,
        }
    }

    #[test]
    fn a_job_seen_done_at_its_first_poll_only_bounds_the_rate_from_below() {
        // 42 rows, seen done at the first poll, 10 s after the upload.
        let m = measure(&watched(&[], 10), 42).unwrap();
        assert_eq!(m, Measured::AtLeast { rows_per_s: 4.2 });
        // The estimate (250 rows/s, 2 s) stands; a bound above it raises it.
        assert_eq!(m.revise(250.0, 2.0), (250.0, 2.0));
        assert_eq!(m.revise(1.0, 2.0), (4.2, 2.0));
    }

    #[test]
    fn two_part_way_polls_give_the_rate_and_the_start_delay() {
        // 1,000 rows: 20 % at 10 s, 70 % at 20 s -> 50 rows/s, 200 rows took 4 s, delay 6 s.
        let m = measure(&watched(&[(10, 20), (20, 70)], 30), 1_000).unwrap();
        assert_eq!(
            m,
            Measured::Rate {
                rows_per_s: 50.0,
                start_delay_s: 6.0
            }
        );
        assert_eq!(m.revise(250.0, 2.0), (50.0, 6.0));
    }

    #[test]
    fn report_lines_map_to_the_record_they_fall_in() {
        // Header on line 1; records of 1, 2 and 1 physical lines.
        let starts = [2, 3, 5];
        assert_eq!(record_at(&starts, 1), None);
        assert_eq!(record_at(&starts, 2), Some(0));
        assert_eq!(record_at(&starts, 3), Some(1));
        assert_eq!(record_at(&starts, 4), Some(1));
        assert_eq!(record_at(&starts, 5), Some(2));
    }
}
