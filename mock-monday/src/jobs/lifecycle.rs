//! A job's life on the simulator's clock: the upload is validated `job_start_delay_ms` after it
//! arrived (later when another job holds the board and jobs are serial); validation checks the
//! file ([`super::csv_check`]), reserves the hourly budget (ingest only; the whole job is
//! `REJECTED` / `ACCOUNT_CAPACITY_EXCEEDED` when its valid rows do not fit) and checks the
//! board's item cap (`BOARD_CAPACITY_EXCEEDED`); then rows are committed at
//! `job_rows_per_second`, each matched (UPSERT / SKIP), created or updated as an ordinary item;
//! at the end capacity held for skipped and failed rows is given back.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use serde_json::{json, Map, Value};

use super::csv_check::{self, CheckSpec, RowPlan};
use super::{
    Advanced, BoardJobs, Counts, FailureReason, Job, JobEnv, JobKind, JobState, Jobs, ReportLine,
};
use crate::columns::{read, CellValue, ColumnKind};
use crate::store::{ItemState, Store, WriteOptions};

/// Where a validated job is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// When row processing started (validation time).
    start: Option<Duration>,
    rows: Vec<RowPlan>,
    done: usize,
    /// The injected `INTERNAL_ERROR` stops the job after this many rows.
    stop_after: Option<usize>,
    ends: Option<Duration>,
    /// The hourly-budget reservation (ingest): when and how many items.
    reserved: Option<(Duration, u64)>,
}

impl Progress {
    /// Done rows over valid rows, 0..=100 (0 before processing starts).
    pub(crate) fn percent(&self) -> u64 {
        if self.rows.is_empty() {
            return 0;
        }
        (self.done * 100 / self.rows.len()) as u64
    }

    /// When processing ends (None before validation).
    pub(crate) fn ends_at(&self) -> Option<Duration> {
        self.ends
    }

    /// When row processing started (None before validation).
    pub(crate) fn started_at(&self) -> Option<Duration> {
        self.start
    }
}

/// What one row did.
enum Outcome {
    Created,
    Updated,
    Skipped,
}

impl Job {
    /// Uploaded, not yet validated.
    fn awaiting_validation(&self) -> bool {
        !self.state.is_terminal() && self.validate_at.is_some() && self.lifecycle.start.is_none()
    }

    fn reject(&mut self, reason: FailureReason, message: String, at: Duration) {
        tracing::debug!(job = %self.id, reason = reason.name(), %message, "job rejected");
        self.state = JobState::Rejected;
        self.failure = Some((reason, Some(message)));
        self.ended_at = Some(at);
    }
}

impl Jobs {
    /// Whether some uploaded job still has work to do.
    pub fn has_work(&self) -> bool {
        self.jobs
            .iter()
            .any(|j| !j.state.is_terminal() && j.validate_at.is_some())
    }

    /// Stores an upload (the first one; later PUTs are answered like S3 but change nothing).
    pub(crate) fn accept_upload(
        &mut self,
        id: &str,
        body: bytes::Bytes,
        authorization_present: bool,
        env: &JobEnv,
        now: Duration,
    ) {
        let Some(job) = self.get_mut(id) else {
            return;
        };
        if job.uploaded_at.is_some() {
            tracing::debug!(job = %job.id, "second upload ignored");
            return;
        }
        job.uploaded_at = Some(now);
        job.upload_authorization = Some(authorization_present);
        job.file = Some(body);
        job.validate_at = Some(now + env.timing.start_delay());
        job.state = JobState::Processing;
    }

    /// Validates and commits everything due by `now`, in time order.
    pub fn advance(&mut self, store: &mut Store, env: &JobEnv, now: Duration) -> Advanced {
        let mut out = Advanced::default();
        if !self.has_work() {
            return out;
        }
        loop {
            let next = self
                .jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| j.awaiting_validation())
                .filter_map(|(i, j)| j.validate_at.filter(|t| *t <= now).map(|t| (t, i)))
                .min();
            let horizon = next.map_or(now, |(t, _)| t);
            self.commit_until(store, env, horizon, &mut out);
            let Some((at, i)) = next else {
                break;
            };
            if env.settings.board_jobs == BoardJobs::Serial {
                let board = &self.jobs[i].board_id;
                let busy = self
                    .jobs
                    .iter()
                    .enumerate()
                    .filter(|(k, j)| *k != i && &j.board_id == board && !j.state.is_terminal())
                    .filter_map(|(_, j)| j.lifecycle.ends)
                    .max();
                if let Some(end) = busy {
                    // Waits for the board (ends after `at`: jobs ending by then are finished).
                    self.jobs[i].validate_at = Some(end.max(at + Duration::from_nanos(1)));
                    continue;
                }
            }
            self.validate(i, store, env, at);
        }
        out
    }

    fn validate(&mut self, i: usize, store: &Store, env: &JobEnv, at: Duration) {
        let s = &env.settings;
        let job = &mut self.jobs[i];
        let file = job.file.take().unwrap_or_default();
        let Some(board) = store.board_idx(&job.board_id).and_then(|b| store.board(b)) else {
            job.reject(
                FailureReason::InvalidUpload,
                "The board no longer exists".into(),
                at,
            );
            return;
        };
        let spec = CheckSpec {
            board,
            max_rows: match job.kind {
                JobKind::Ingest => s.ingest_max_rows,
                JobKind::Backfill => s.backfill_max_rows,
            },
            max_bytes: s.max_file_bytes,
            match_column: job.on_match.as_ref().map(|m| m.column_id.as_str()),
        };
        let checked = match csv_check::check(&file, &spec) {
            Ok(c) => c,
            Err(e) => {
                job.reject(e.reason, e.message, at);
                return;
            }
        };
        let mut counts = Counts {
            submitted: checked.submitted as u64,
            invalid: checked.invalid.len() as u64,
            ..Counts::default()
        };
        job.report = checked
            .invalid
            .iter()
            .map(|p| ReportLine {
                line: p.line,
                column: p.column.clone(),
                value: p.value.clone(),
                reason: p.reason.clone(),
            })
            .collect();
        let valid = checked.rows.len() as u64;
        // Several rows with one match value: only the last is used (IngestRef "Behavior
        // notes"); the earlier ones count as skipped (the simulator's choice).
        let rows = if job.on_match.is_some() {
            let mut last: HashMap<&str, usize> = HashMap::new();
            for (k, r) in checked.rows.iter().enumerate() {
                if !r.match_value.is_empty() {
                    last.insert(r.match_value.as_str(), k);
                }
            }
            let kept: Vec<RowPlan> = checked
                .rows
                .iter()
                .enumerate()
                .filter(|(k, r)| r.match_value.is_empty() || last[r.match_value.as_str()] == *k)
                .map(|(_, r)| r.clone())
                .collect();
            counts.skipped = valid - kept.len() as u64;
            kept
        } else {
            checked.rows
        };
        job.counts = Some(counts);
        let creates = match &job.on_match {
            Some(m) => {
                let index = MatchIndex::of(store, &job.board_id, &m.column_id);
                rows.iter()
                    .filter(|r| r.match_value.is_empty() || index.find(&r.match_value).is_none())
                    .count()
            }
            None => rows.len(),
        };
        let board_items = board.items.len();
        let kind = job.kind;
        if kind == JobKind::Ingest && !self.budget.reserve(at, valid) {
            let left = self.budget.remaining(at);
            self.jobs[i].reject(
                FailureReason::AccountCapacityExceeded,
                format!("The job has {valid} valid rows but only {left} items are left in the account's hourly budget"),
                at,
            );
            return;
        }
        if board_items + creates > env.items_limit {
            if kind == JobKind::Ingest {
                self.budget.give_back(at, valid);
            }
            self.jobs[i].reject(
                FailureReason::BoardCapacityExceeded,
                format!(
                    "The board holds {board_items} items; {creates} more exceed its limit of {}",
                    env.items_limit
                ),
                at,
            );
            return;
        }
        let stop_after = (!rows.is_empty() && self.draw(env.faults.job_internal_error))
            .then(|| self.rng.gen_range(0..rows.len()));
        let job = &mut self.jobs[i];
        let last_row = stop_after.unwrap_or(rows.len());
        job.lifecycle = Progress {
            start: Some(at),
            ends: Some(env.timing.row_done_at(at, last_row)),
            rows,
            done: 0,
            stop_after,
            reserved: (kind == JobKind::Ingest).then_some((at, valid)),
        };
        tracing::debug!(job = %job.id, valid, "job processing");
    }

    /// Commits the rows of processing jobs due by `t`, and ends the jobs whose last row is done.
    fn commit_until(&mut self, store: &mut Store, env: &JobEnv, t: Duration, out: &mut Advanced) {
        let mut give_back: Vec<(Duration, u64)> = Vec::new();
        for job in self
            .jobs
            .iter_mut()
            .filter(|j| j.state == JobState::Processing)
        {
            let Some(start) = job.lifecycle.start else {
                continue;
            };
            let total = job.lifecycle.rows.len();
            let limit = job.lifecycle.stop_after.unwrap_or(total);
            let target = env.timing.rows_done_by(start, t, total).min(limit);
            // The board's match keys, read once per call (other writes may change the board
            // between calls, none can during one): matching each row by a scan of the board
            // made a 10,000-row job quadratic in wall time.
            let mut index = (job.lifecycle.done < target)
                .then_some(job.on_match.as_ref())
                .flatten()
                .map(|m| MatchIndex::of(store, &job.board_id, &m.column_id));
            while job.lifecycle.done < target {
                let k = job.lifecycle.done;
                let at = env.timing.row_done_at(start, k + 1);
                let row = job.lifecycle.rows[k].clone();
                let outcome = commit_row(job, &row, store, env, at, index.as_mut());
                let counts = job.counts.get_or_insert_with(Counts::default);
                match outcome {
                    Ok(Outcome::Created) => {
                        counts.created += 1;
                        out.items_created += 1;
                    }
                    Ok(Outcome::Updated) => counts.updated += 1,
                    Ok(Outcome::Skipped) => counts.skipped += 1,
                    Err(reason) => {
                        counts.failed += 1;
                        job.report.push(ReportLine {
                            line: row.line,
                            column: String::new(),
                            value: String::new(),
                            reason,
                        });
                    }
                }
                job.lifecycle.done += 1;
            }
            let ends = job.lifecycle.ends.unwrap_or(start);
            if job.lifecycle.done < limit || t < ends {
                continue;
            }
            let counts = job.counts.get_or_insert_with(Counts::default);
            if job.lifecycle.stop_after.is_some() {
                let lost = &job.lifecycle.rows[job.lifecycle.done..];
                counts.failed += lost.len() as u64;
                job.report.extend(lost.iter().map(|r| ReportLine {
                    line: r.line,
                    column: String::new(),
                    value: String::new(),
                    reason: "Internal error: the row was not imported".into(),
                }));
                job.state = JobState::Failed;
                job.failure = Some((FailureReason::InternalError, None));
            } else {
                job.state = JobState::Completed;
            }
            job.report.sort_by_key(|l| l.line);
            job.ended_at = Some(ends);
            if let Some((at, _)) = job.lifecycle.reserved {
                give_back.push((at, counts.skipped + counts.failed));
            }
            tracing::debug!(job = %job.id, state = job.state.name(), "job ended");
        }
        for (at, n) in give_back {
            self.budget.give_back(at, n);
        }
    }
}

/// The item each match value names: among the board's active items whose match column equals
/// the value, the most recently created (IngestRef "Behavior notes").
struct MatchIndex {
    column_id: String,
    /// Trimmed key -> ((created at, id) of the newest item with it).
    items: HashMap<String, (Duration, u64)>,
}

impl MatchIndex {
    fn of(store: &Store, board_id: &str, column_id: &str) -> Self {
        let mut items: HashMap<String, (Duration, u64)> = HashMap::new();
        if let Some(board) = store.board_idx(board_id).and_then(|i| store.board(i)) {
            for it in board
                .items
                .iter()
                .filter_map(|id| store.item(*id))
                .filter(|it| it.state == ItemState::Active)
            {
                let key = match_key(board.column(column_id), column_id, it);
                let entry = items
                    .entry(key.trim().to_string())
                    .or_insert((it.created_at, it.id));
                *entry = (*entry).max((it.created_at, it.id));
            }
        }
        Self {
            column_id: column_id.to_string(),
            items,
        }
    }

    fn find(&self, value: &str) -> Option<u64> {
        self.items.get(value).map(|(_, id)| *id)
    }

    /// An item the job itself created (the newest with its key).
    fn created(&mut self, store: &Store, board_id: &str, id: u64) {
        let board = store.board_idx(board_id).and_then(|i| store.board(i));
        if let (Some(board), Some(it)) = (board, store.item(id)) {
            let key = match_key(board.column(&self.column_id), &self.column_id, it);
            self.items
                .insert(key.trim().to_string(), (it.created_at, it.id));
        }
    }
}

/// An item's value in the match column, as matching compares it.
fn match_key(
    col: Option<&crate::columns::ColumnDef>,
    column_id: &str,
    it: &crate::store::Item,
) -> String {
    match col {
        None => it.name.clone(),
        Some(c) if c.kind == ColumnKind::Name => it.name.clone(),
        Some(c) => match it.cells.get(column_id).map(|cell| &cell.value) {
            Some(CellValue::Email { email, .. }) => email.clone(),
            Some(CellValue::Link { url, .. }) => url.clone(),
            Some(CellValue::Date { date, .. }) => date.clone(),
            cell => cell
                .map(|_| read::text(c, it.cells.get(column_id)))
                .unwrap_or_default(),
        },
    }
}

/// Writes one row; the error is the report's reason.
fn commit_row(
    job: &Job,
    row: &RowPlan,
    store: &mut Store,
    env: &JobEnv,
    at: Duration,
    index: Option<&mut MatchIndex>,
) -> Result<Outcome, String> {
    let opts = WriteOptions {
        now: at,
        create_labels: false,
        items_limit: env.items_limit,
    };
    let index = index.filter(|_| !row.match_value.is_empty());
    if let (Some(m), Some(found)) = (job.on_match.as_ref(), index.as_ref()) {
        if let Some(id) = found.find(&row.match_value) {
            if !m.upsert {
                return Ok(Outcome::Skipped);
            }
            let mut values: Map<String, Value> = row.values.clone();
            if !row.name.is_empty() {
                values.insert("name".into(), json!(row.name));
            }
            store
                .change_column_values(&job.board_id, Some(&id.to_string()), &values, opts)
                .map_err(|e| e.to_string())?;
            return Ok(Outcome::Updated);
        }
    }
    // `<NULL>` on a new item leaves the column blank (the simulator's choice).
    let values: Map<String, Value> = row
        .values
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let id = store
        .create_item(
            &job.board_id,
            &row.name,
            Some(&job.group_id),
            Some(&values),
            None,
            opts,
        )
        .map_err(|e| e.to_string())?;
    if let Some(index) = index {
        index.created(store, &job.board_id, id);
    }
    Ok(Outcome::Created)
}
