//! Which write path each group takes: `create_item` batches ([`crate::write::batch`]) or a bulk
//! import job ([`crate::write::ingest`]), planned from what the run knows and revised from what
//! its own first jobs measure.
//!
//! The planner is pure: [`plan`] takes the groups' sizes ([`GroupLoad`]) and the run's
//! estimates ([`PlanInputs`]) and answers a [`PathPlan`] with, per group, the path, both
//! estimates and the reason. The engine calls it once before the first write and again (for the
//! groups not yet started) whenever a finished job gives a measured processing rate.
//!
//! INTERFACE CONTRACT (lead, session 5): the types and the signature of [`plan`] are shared by
//! the engine wiring and the planner's implementation; change them only together.

use crate::mapping::config::Mode;

/// One write path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PathChoice {
    /// Aliased `create_item` / `change_multiple_column_values` mutations.
    Batch,
    /// One `ingest_items` job (CSV upload, `fetch_job_status` polls).
    Ingest,
}

/// The work of one group, as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupLoad {
    /// The group's title (as in the records).
    pub group: String,
    /// Records to create or update in this group.
    pub records: usize,
    /// Of those, records a CSV row can carry exactly (the rest must go as batches).
    pub ingestable: usize,
}

/// What the run knows when it plans (all estimates; the rate is revised from measurement).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanInputs {
    /// `[sync] mode`: `Auto` plans; the others force one path.
    pub mode: Mode,
    /// `None` when the bulk path can be used; otherwise why not (API version before 2026-07,
    /// the key column cannot be a match column, ...). Auto then batches and says why.
    pub ingest_unavailable: Option<String>,
    /// Complexity charged per `create_item`.
    pub mutation_complexity: u64,
    /// Complexity budget per minute, and what is left of it now.
    pub complexity_per_minute: u64,
    pub complexity_left: u64,
    /// Expected seconds for one batch request of `batch_size` mutations (latency model).
    pub batch_request_s: f64,
    pub batch_size: usize,
    /// Bulk-import items left in the account's hour, and job starts left in the hour.
    pub hourly_items_left: u64,
    pub job_starts_left: u32,
    /// Rows per second a job processes (estimate, or measured by this run's jobs).
    pub rows_per_second: f64,
    /// Seconds from the upload until processing starts (estimate or measured).
    pub job_start_delay_s: f64,
    /// Seconds between `fetch_job_status` polls (never under 10).
    pub poll_interval_s: f64,
    /// Most rows one job may carry (`[sync] rows_per_job`, at most 10,000).
    pub rows_per_job: usize,
}

/// The decision for one group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct GroupPlan {
    pub group: String,
    pub path: PathChoice,
    /// Records planned for this path (records the CSV cannot carry go as batches).
    pub records: usize,
    /// Estimated seconds for this group alone on each path.
    pub est_batch_s: f64,
    pub est_ingest_s: f64,
    /// Why, in one line a user reads in the summary.
    pub why: String,
}

/// The plan of a run (or of what is left of it).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct PathPlan {
    pub groups: Vec<GroupPlan>,
    /// Estimated seconds for the plan, for batches only and for jobs only.
    pub est_total_s: f64,
    pub est_batch_only_s: f64,
    pub est_ingest_only_s: f64,
}

/// Plan `loads` under `inputs`.
pub(crate) fn plan(loads: &[GroupLoad], inputs: &PlanInputs) -> PathPlan {
    let per_item_s = batch_seconds_per_item(inputs);
    let groups: Vec<GroupPlan> = loads
        .iter()
        .map(|l| {
            let est_batch_s = l.records as f64 * per_item_s;
            let est_ingest_s = ingest_seconds(l.ingestable, inputs);
            let (path, why) = match (inputs.mode, &inputs.ingest_unavailable) {
                (Mode::Batch | Mode::Single, _) => (PathChoice::Batch, "forced by mode".into()),
                (Mode::Ingest, _) => (PathChoice::Ingest, "forced by mode".into()),
                (Mode::Auto, Some(why)) => (PathChoice::Batch, why.clone()),
                (Mode::Auto, None) if est_ingest_s < est_batch_s => {
                    (PathChoice::Ingest, "a job is faster".into())
                }
                (Mode::Auto, None) => (PathChoice::Batch, "batches are faster".into()),
            };
            GroupPlan {
                group: l.group.clone(),
                path,
                records: l.records,
                est_batch_s,
                est_ingest_s,
                why,
            }
        })
        .collect();
    let est_batch_only_s = groups.iter().map(|g| g.est_batch_s).sum();
    let est_ingest_only_s = groups.iter().map(|g| g.est_ingest_s).sum();
    let est_total_s = groups
        .iter()
        .map(|g| match g.path {
            PathChoice::Batch => g.est_batch_s,
            PathChoice::Ingest => g.est_ingest_s,
        })
        .sum();
    PathPlan {
        groups,
        est_total_s,
        est_batch_only_s,
        est_ingest_only_s,
    }
}

/// Seconds per record on the batch path: the budget's pace or the latency's, whichever is slower.
fn batch_seconds_per_item(i: &PlanInputs) -> f64 {
    let budget = 60.0 * i.mutation_complexity as f64 / i.complexity_per_minute.max(1) as f64;
    let latency = i.batch_request_s / i.batch_size.max(1) as f64;
    budget.max(latency)
}

/// Seconds for one group's rows as jobs: start delay, processing, and the poll that sees the end.
fn ingest_seconds(rows: usize, i: &PlanInputs) -> f64 {
    if rows == 0 {
        return 0.0;
    }
    let jobs = rows.div_ceil(i.rows_per_job.max(1));
    let processing = rows as f64 / i.rows_per_second.max(f64::MIN_POSITIVE);
    let per_job = i.job_start_delay_s + i.poll_interval_s;
    jobs as f64 * per_job + processing
}
