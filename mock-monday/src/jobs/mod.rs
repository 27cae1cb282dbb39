//! monday.com's asynchronous bulk import (API 2026-07+): `ingest_items` / `backfill_items` start
//! a job and return a pre-signed-style `upload_url`; the CSV is PUT there; `fetch_job_status`
//! polls the job until it ends. Facts: https://developer.monday.com/api-reference/docs/importing-items-in-bulk
//! and https://developer.monday.com/api-reference/reference/ingest-items-api-reference.
//!
//! Jobs run on the simulator's clock, evaluated lazily: every request (and every admin read)
//! first calls [`Jobs::advance`], which validates uploads and commits rows whose simulated time
//! has come, in time order. No background task exists, so a paused tokio clock replays jobs
//! deterministically. Items a job creates are ordinary store items.
//!
//! # Where each decision lives
//! - the settings and the job speed: [`settings`];
//! - starting a job (arguments, admins, the 100 starts per hour), the job table and the status
//!   shapes: this file;
//! - validation of the file against the board: [`csv_check`];
//! - the lifecycle (validation time, the hourly budget, the board cap, matching, commits, the
//!   injected `INTERNAL_ERROR`): `lifecycle.rs`;
//! - the hourly item budget: [`capacity`];
//! - the upload and report URLs and their S3-style answers: [`transfer`].

use std::time::Duration;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::ids::uuid_v4;
use crate::limits::WindowCounter;
use crate::store::{ApiError, Store};

pub mod capacity;
pub mod csv_check;
mod lifecycle;
pub mod settings;
pub mod transfer;

pub use capacity::HourlyBudget;
pub use settings::{BoardJobs, BudgetScope, BulkSettings, JobTiming};

/// The GraphQL fields of the bulk import (served from API 2026-07 on).
pub const BULK_FIELDS: &[&str] = &["ingest_items", "backfill_items", "fetch_job_status"];

/// `ingest_items` or `backfill_items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Ingest,
    Backfill,
}

impl JobKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Backfill => "backfill",
        }
    }
}

/// `BulkImportState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    UploadPending,
    Processing,
    Completed,
    Failed,
    Rejected,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            Self::UploadPending => "UPLOAD_PENDING",
            Self::Processing => "PROCESSING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Rejected)
    }
}

/// `BulkImportFailureReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureReason {
    InvalidUpload,
    PermissionDenied,
    BoardCapacityExceeded,
    AccountCapacityExceeded,
    FileTooLarge,
    InternalError,
}

impl FailureReason {
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidUpload => "INVALID_UPLOAD",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::BoardCapacityExceeded => "BOARD_CAPACITY_EXCEEDED",
            Self::AccountCapacityExceeded => "ACCOUNT_CAPACITY_EXCEEDED",
            Self::FileTooLarge => "FILE_TOO_LARGE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// `on_match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnMatch {
    pub column_id: String,
    /// UPSERT (true) or SKIP (false).
    pub upsert: bool,
}

/// `ItemsJobItemCounts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub submitted: u64,
    pub invalid: u64,
    pub skipped: u64,
    pub created: u64,
    pub updated: u64,
    pub failed: u64,
}

/// One line of a job's report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportLine {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// One job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: JobKind,
    pub board_id: String,
    pub group_id: String,
    pub on_match: Option<OnMatch>,
    pub user_id: u64,
    pub created_at: Duration,
    /// The signature part of the upload and report URLs.
    pub(crate) signature: String,
    pub uploaded_at: Option<Duration>,
    /// Whether the (first) upload came with an `Authorization` header.
    pub upload_authorization: Option<bool>,
    pub(crate) file: Option<bytes::Bytes>,
    /// When the upload is validated (None before the upload).
    pub(crate) validate_at: Option<Duration>,
    pub(crate) lifecycle: lifecycle::Progress,
    pub state: JobState,
    pub counts: Option<Counts>,
    pub failure: Option<(FailureReason, Option<String>)>,
    pub ended_at: Option<Duration>,
    pub report: Vec<ReportLine>,
}

impl Job {
    /// `progress_percentage`: 0 before processing, done rows over valid rows while processing,
    /// 100 once the job ended in any state.
    pub fn progress(&self) -> u64 {
        match self.state {
            JobState::UploadPending => 0,
            JobState::Processing => self.lifecycle.percent(),
            _ => 100,
        }
    }

    /// `fully_imported`: COMPLETED with no failed rows (invalid rows do not count).
    pub fn fully_imported(&self) -> bool {
        self.state == JobState::Completed && self.counts.is_none_or(|c| c.failed == 0)
    }

    /// Whether a report exists: the job ended and some row is invalid or failed.
    pub fn report_created(&self) -> bool {
        matches!(self.state, JobState::Completed | JobState::Failed) && !self.report.is_empty()
    }
}

/// Everything about jobs the simulator keeps (in [`crate::store::Store`]'s neighbour, the core
/// state): the jobs in creation order, the hourly budget and the start limiter.
#[derive(Debug, Clone)]
pub struct Jobs {
    jobs: Vec<Job>,
    pub(crate) budget: HourlyBudget,
    starts: WindowCounter,
    /// Job ids, signatures and the bulk faults' draws (its own stream of the seed).
    rng: ChaCha8Rng,
}

/// What a start asks for.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub kind: JobKind,
    pub board_id: String,
    pub group_id: String,
    pub on_match: Option<OnMatch>,
    pub user_id: u64,
}

/// A started job: `UploadJobInit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub job_id: String,
    pub upload_url: String,
}

/// What [`Jobs::advance`] did (for the stats).
#[derive(Debug, Clone, Copy, Default)]
pub struct Advanced {
    pub items_created: u64,
}

/// The bulk import's fault probabilities (from [`crate::faults::FaultConfig`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct JobFaults {
    /// An upload whose connection drops before the file is stored.
    pub upload_cut: f64,
    /// A job that ends `FAILED` / `INTERNAL_ERROR` after committing part of its rows.
    pub job_internal_error: f64,
}

/// The settings a job operation needs.
#[derive(Debug, Clone)]
pub struct JobEnv {
    pub settings: BulkSettings,
    pub timing: JobTiming,
    pub faults: JobFaults,
    /// `ItemsLimitationException` threshold (items per board).
    pub items_limit: usize,
    /// The users of `BulkSettings::admin_tokens` (None: every user is an admin).
    pub admin_users: Option<Vec<u64>>,
}

impl JobEnv {
    /// Whether the user may call `backfill_items`.
    pub fn is_admin(&self, user_id: u64) -> bool {
        self.admin_users
            .as_ref()
            .is_none_or(|admins| admins.contains(&user_id))
    }
}

impl Jobs {
    /// No jobs yet; ids and fault draws from `rng`.
    pub fn new(settings: &BulkSettings, rng: ChaCha8Rng) -> Self {
        Self {
            jobs: Vec::new(),
            budget: HourlyBudget::new(settings.items_per_hour),
            starts: WindowCounter::new(settings.job_starts_per_hour, Duration::from_secs(3_600)),
            rng,
        }
    }

    /// A fresh table for tests and tools.
    pub fn seeded(settings: &BulkSettings, seed: u64) -> Self {
        Self::new(settings, ChaCha8Rng::seed_from_u64(seed))
    }

    /// All jobs, oldest first.
    pub fn all(&self) -> &[Job] {
        &self.jobs
    }

    /// A job by id.
    pub fn get(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id.trim())
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.jobs.iter_mut().find(|j| j.id == id.trim())
    }

    /// Whether any job still has work to do (cheap: [`Jobs::advance`] is skipped otherwise).
    pub fn any_unfinished(&self) -> bool {
        self.jobs.iter().any(|j| !j.state.is_terminal())
    }

    /// A job processing rows of `board_id` at `now` and when it ends (for the board lock).
    pub fn processing_on(&self, board_id: &str) -> Option<Duration> {
        self.jobs
            .iter()
            .filter(|j| j.board_id == board_id && j.state == JobState::Processing)
            .filter_map(|j| j.lifecycle.ends_at())
            .max()
    }

    /// Draws whether the `upload_cut` fault fires (only when it is configured).
    pub(crate) fn draw(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    /// `ingest_items` / `backfill_items`: checks the arguments, the admin role and the 100
    /// starts per hour (only successful starts count), then creates the job.
    pub fn start(
        &mut self,
        store: &Store,
        env: &JobEnv,
        base_url: &str,
        req: StartRequest,
        now: Duration,
    ) -> Result<Started, ApiError> {
        let board = store
            .board_idx(&req.board_id)
            .and_then(|i| store.board(i))
            .ok_or_else(|| ApiError::InvalidBoardId {
                board_id: req.board_id.clone(),
            })?;
        if board.group(&req.group_id).is_none() {
            return Err(ApiError::GroupNotFound {
                group_id: req.group_id.clone(),
                board_id: req.board_id.clone(),
            });
        }
        if let Some(m) = &req.on_match {
            let col = board
                .column(&m.column_id)
                .ok_or_else(|| ApiError::InvalidColumnId {
                    column_id: m.column_id.clone(),
                    board_id: req.board_id.clone(),
                })?;
            if !csv_check::matchable(col.kind) {
                return Err(ApiError::invalid_argument(
                    format!(
                        "Column `{}` has type {}, which cannot be a match column (email, phone, text, name, numbers, link, date, long text, status)",
                        col.id,
                        col.kind.type_name()
                    ),
                    json!({"match_column_id": m.column_id, "column_type": col.kind.type_name()}),
                ));
            }
        }
        if req.kind == JobKind::Backfill && !env.is_admin(req.user_id) {
            return Err(ApiError::AdminOnly);
        }
        if let Err(free_at) = self.starts.try_acquire(now) {
            let wait = free_at.saturating_sub(now);
            return Err(ApiError::JobStartsExceeded {
                retry_after_ms: wait.as_millis().max(1) as u64,
            });
        }
        let id = uuid_v4(&mut self.rng);
        let signature = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
        let upload_url = transfer::upload_url(base_url, &id, &signature, now, &env.settings);
        tracing::debug!(job = %id, kind = req.kind.name(), board = %req.board_id, "job started");
        self.jobs.push(Job {
            id: id.clone(),
            kind: req.kind,
            board_id: req.board_id,
            group_id: req.group_id,
            on_match: req.on_match,
            user_id: req.user_id,
            created_at: now,
            signature,
            uploaded_at: None,
            upload_authorization: None,
            file: None,
            validate_at: None,
            lifecycle: lifecycle::Progress::default(),
            state: JobState::UploadPending,
            counts: None,
            failure: None,
            ended_at: None,
            report: Vec::new(),
        });
        Ok(Started {
            job_id: id,
            upload_url,
        })
    }

    /// `ItemsJobStatus` as JSON (field names of the schema).
    pub fn status_json(&self, job: &Job, base_url: &str, settings: &BulkSettings) -> Value {
        let counts = job.counts.map(|c| {
            json!({
                "submitted": c.submitted, "invalid": c.invalid, "skipped": c.skipped,
                "created": c.created, "updated": c.updated, "failed": c.failed,
            })
        });
        let report_url = job
            .report_created()
            .then(|| transfer::report_url(base_url, job, settings));
        json!({
            "status": job.state.name(),
            "counts": counts,
            "progress_percentage": job.progress(),
            "failure_reason": job.failure.as_ref().map(|(r, _)| r.name()),
            "failure_message": job.failure.as_ref().and_then(|(_, m)| m.clone()),
            "fully_imported": job.fully_imported(),
            "report_created": job.report_created(),
            "report_url": report_url,
        })
    }

    /// `GET /__admin/jobs`: every job with its state, counts and times (simulated ms).
    pub fn admin_json(&self, base_url: &str, settings: &BulkSettings) -> Value {
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
        Value::Array(
            self.jobs
                .iter()
                .map(|j| {
                    json!({
                        "job_id": j.id,
                        "kind": j.kind.name(),
                        "board_id": j.board_id,
                        "group_id": j.group_id,
                        "on_match": j.on_match.as_ref().map(|m| json!({
                            "match_column_id": m.column_id,
                            "behaviour": if m.upsert { "UPSERT" } else { "SKIP" },
                        })),
                        "user_id": j.user_id,
                        "created_at_ms": j.created_at.as_millis() as u64,
                        "uploaded_at_ms": ms(j.uploaded_at),
                        "processing_started_at_ms": ms(j.lifecycle.started_at()),
                        "ended_at_ms": ms(j.ended_at),
                        "upload_authorization_present": j.upload_authorization,
                        "status": self.status_json(j, base_url, settings),
                    })
                })
                .collect(),
        )
    }

    /// Jobs by state name (`stats.jobs_by_state`).
    pub fn by_state(&self) -> std::collections::BTreeMap<String, u64> {
        let mut m = std::collections::BTreeMap::new();
        for j in &self.jobs {
            *m.entry(j.state.name().to_string()).or_default() += 1;
        }
        m
    }

    /// Rows by outcome over all jobs (`stats.rows_by_outcome`).
    pub fn rows_by_outcome(&self) -> std::collections::BTreeMap<String, u64> {
        let mut m = std::collections::BTreeMap::new();
        for c in self.jobs.iter().filter_map(|j| j.counts) {
            for (k, v) in [
                ("submitted", c.submitted),
                ("invalid", c.invalid),
                ("skipped", c.skipped),
                ("created", c.created),
                ("updated", c.updated),
                ("failed", c.failed),
            ] {
                *m.entry(k.to_string()).or_default() += v;
            }
        }
        m
    }
}

/// What GraphQL execution needs for the bulk fields: the settings and the absolute base of the
/// upload and report URLs.
#[derive(Debug, Clone)]
pub struct BulkCtx {
    pub env: JobEnv,
    pub base_url: String,
}
