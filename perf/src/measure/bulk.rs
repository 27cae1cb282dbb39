//! What a run did on the bulk-import path (`ingest_items` -> CSV upload -> `fetch_job_status`),
//! in the simulator's own word, never the sync's: job starts, uploads, polls and report downloads
//! from `stats.requests_by_kind`, jobs by final state and rows by outcome from the same stats, and
//! each job's timeline from the simulator's job list (`GET /__admin/jobs`).
//!
//! The gate compares these counts like requests ([`crate::judge::baseline`]): a doubled poll rate or one
//! job per ten records shows up here whatever the sync reports about itself. The report draws the
//! job timelines ([`crate::report::charts::job_timeline`]) and the time split by path ([`PathTime`]).
//!
//! Facts about the jobs' life: docs/monday-bulk-import.md §1 and §4, mock-monday's README ("Bulk
//! import").

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::measure::latency::round3;

/// Request-log kinds of the bulk path (mock-monday's `RequestKind` names).
pub const KIND_INGEST_START: &str = "ingest_start";
pub const KIND_UPLOAD: &str = "upload";
pub const KIND_JOB_POLL: &str = "job_poll";
pub const KIND_REPORT_DOWNLOAD: &str = "report_download";
/// `update_status_column` / `update_dropdown_column`: labels added before a job.
pub const KIND_LABELS: &str = "labels";

/// Failure reasons that mean a job did not fit a capacity (the account's hourly item budget or
/// the board's item cap): a sync that plans its jobs never sees them.
pub const CAPACITY_REASONS: [&str; 2] = ["ACCOUNT_CAPACITY_EXCEEDED", "BOARD_CAPACITY_EXCEEDED"];

/// The bulk path's counters of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkCounts {
    /// `ingest_items` / `backfill_items` requests (refused ones included, like requests).
    pub ingest_starts: u64,
    /// CSV `PUT`s to an upload URL.
    pub uploads: u64,
    /// `fetch_job_status` requests.
    pub job_polls: u64,
    /// `GET`s of a job report.
    pub report_downloads: u64,
    /// Label updates (`update_status_column` / `update_dropdown_column`): one per column that
    /// lacked labels a job needed.
    #[serde(default)]
    pub label_requests: u64,
    /// Jobs by state at the end of the run (`COMPLETED`, `FAILED`, `REJECTED`, ...).
    pub jobs_by_state: BTreeMap<String, u64>,
    /// Rows by outcome over all jobs (`submitted`, `invalid`, `skipped`, `created`, `updated`,
    /// `failed`).
    pub rows_by_outcome: BTreeMap<String, u64>,
    /// Jobs `REJECTED` for capacity ([`CAPACITY_REASONS`]).
    pub jobs_rejected_for_capacity: u64,
}

impl BulkCounts {
    /// The counters from the simulator's stats (`stats.requests_by_kind`, `jobs_by_state`,
    /// `rows_by_outcome`) and its job list.
    pub fn of(stats: &Value, jobs: &[JobSpan]) -> Self {
        let map = |key: &str| -> BTreeMap<String, u64> {
            stats
                .get(key)
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let by_kind = map("requests_by_kind");
        let kind = |k: &str| by_kind.get(k).copied().unwrap_or(0);
        Self {
            ingest_starts: kind(KIND_INGEST_START),
            uploads: kind(KIND_UPLOAD),
            job_polls: kind(KIND_JOB_POLL),
            report_downloads: kind(KIND_REPORT_DOWNLOAD),
            label_requests: kind(KIND_LABELS),
            jobs_by_state: map("jobs_by_state"),
            rows_by_outcome: map("rows_by_outcome"),
            jobs_rejected_for_capacity: jobs
                .iter()
                .filter(|j| {
                    j.status == "REJECTED"
                        && j.failure_reason
                            .as_deref()
                            .is_some_and(|r| CAPACITY_REASONS.contains(&r))
                })
                .count() as u64,
        }
    }

    /// Whether the run touched the bulk path at all.
    pub fn used_jobs(&self) -> bool {
        self.ingest_starts + self.uploads + self.job_polls + self.report_downloads > 0
            || !self.jobs_by_state.is_empty()
    }

    /// Rows with `outcome` (0 when none).
    pub fn rows(&self, outcome: &str) -> u64 {
        self.rows_by_outcome.get(outcome).copied().unwrap_or(0)
    }

    /// Jobs in `state` (0 when none).
    pub fn jobs(&self, state: &str) -> u64 {
        self.jobs_by_state.get(state).copied().unwrap_or(0)
    }

    /// All jobs.
    pub fn jobs_total(&self) -> u64 {
        self.jobs_by_state.values().sum()
    }
}

/// One job's life, milliseconds since the run started (the request timeline's origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpan {
    pub job_id: String,
    pub group_id: String,
    /// Rows the file carried (`counts.submitted`; 0 before validation).
    pub rows: u64,
    /// Final state (`COMPLETED`, `FAILED`, `REJECTED`, `PROCESSING`, `UPLOAD_PENDING`).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// `ingest_items` answered: the job exists, its upload is being prepared and sent.
    pub created_ms: f64,
    /// The upload was stored: validation waits (start delay, another job on the board).
    pub uploaded_ms: Option<f64>,
    /// Row processing started.
    pub processing_ms: Option<f64>,
    /// The job ended (any final state).
    pub ended_ms: Option<f64>,
}

impl JobSpan {
    /// `(phase, from, to)` for each phase the job went through: `uploading` (start -> upload
    /// stored), `queued` (upload -> processing: validation delay, a board busy with another
    /// job), `processing` (rows committed). A phase the job never reached is left out.
    pub fn phases(&self) -> Vec<(&'static str, f64, f64)> {
        let mut out = Vec::new();
        let end = self.ended_ms;
        if let Some(up) = self.uploaded_ms {
            out.push(("uploading", self.created_ms, up));
            let processing = self.processing_ms.or(end);
            if let Some(p) = processing {
                out.push(("queued", up, p));
            }
            if let (Some(p), Some(e)) = (self.processing_ms, end) {
                out.push(("processing", p, e));
            }
        } else if let Some(e) = end {
            out.push(("uploading", self.created_ms, e));
        }
        out
    }
}

/// The jobs of `GET /__admin/jobs` (the simulator's `jobs_json()`), with times made relative to
/// `origin` (the simulator's clock when the run's first request was about to leave).
pub fn job_spans(jobs_json: &Value, origin: Duration) -> Vec<JobSpan> {
    let origin_ms = origin.as_secs_f64() * 1000.0;
    let at = |j: &Value, key: &str| {
        j.get(key)
            .and_then(Value::as_f64)
            .map(|ms| round3((ms - origin_ms).max(0.0)))
    };
    jobs_json
        .as_array()
        .map(|jobs| {
            jobs.iter()
                .map(|j| {
                    let status = &j["status"];
                    JobSpan {
                        job_id: j["job_id"].as_str().unwrap_or_default().to_string(),
                        group_id: j["group_id"].as_str().unwrap_or_default().to_string(),
                        rows: status["counts"]["submitted"].as_u64().unwrap_or(0),
                        status: status["status"].as_str().unwrap_or_default().to_string(),
                        failure_reason: status["failure_reason"].as_str().map(str::to_string),
                        created_ms: at(j, "created_at_ms").unwrap_or(0.0),
                        uploaded_ms: at(j, "uploaded_at_ms"),
                        processing_ms: at(j, "processing_started_at_ms"),
                        ended_ms: at(j, "ended_at_ms"),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How a run's API time splits between the two write paths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PathTime {
    /// Milliseconds with at least one job between its start and its end.
    pub jobs_ms: f64,
    /// Milliseconds with at least one `create_item` / `change_multiple_column_values` batch in
    /// flight.
    pub batches_ms: f64,
    /// Of those, milliseconds with both (the two budgets used at once).
    pub both_ms: f64,
    /// The run's API time: what neither path covers is reads, group creation and waits.
    pub api_time_ms: f64,
}

impl PathTime {
    /// From the jobs' spans and the batches' request intervals (`(start, end)` in ms).
    pub fn of(jobs: &[JobSpan], batches: &[(f64, f64)], api_time_ms: f64) -> Self {
        let job_spans: Vec<(f64, f64)> = jobs
            .iter()
            .map(|j| (j.created_ms, j.ended_ms.unwrap_or(api_time_ms)))
            .collect();
        let jobs_u = union(job_spans);
        let batches_u = union(batches.to_vec());
        let both = intersection_len(&jobs_u, &batches_u);
        Self {
            jobs_ms: round3(total(&jobs_u)),
            batches_ms: round3(total(&batches_u)),
            both_ms: round3(both),
            api_time_ms,
        }
    }
}

/// The union of intervals, sorted and merged.
pub fn union(mut spans: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    spans.retain(|(a, b)| b > a);
    spans.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn total(spans: &[(f64, f64)]) -> f64 {
    spans.iter().map(|(a, b)| b - a).sum()
}

/// Length of the intersection of two merged, sorted interval lists.
fn intersection_len(x: &[(f64, f64)], y: &[(f64, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < x.len() && j < y.len() {
        let lo = x[i].0.max(y[j].0);
        let hi = x[i].1.min(y[j].1);
        if hi > lo {
            sum += hi - lo;
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    sum
}

/// The bulk path of one run: counters and job timelines (`results.json` `bulk`; absent for a run
/// that never touched the bulk path).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkActivity {
    pub counts: BulkCounts,
    pub jobs: Vec<JobSpan>,
    pub path_time: PathTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn span(created: f64, up: Option<f64>, p: Option<f64>, end: Option<f64>) -> JobSpan {
        JobSpan {
            job_id: "j".into(),
            group_id: "g".into(),
            rows: 10,
            status: "COMPLETED".into(),
            failure_reason: None,
            created_ms: created,
            uploaded_ms: up,
            processing_ms: p,
            ended_ms: end,
        }
    }

    #[test]
    fn counts_come_from_the_simulators_stats_and_jobs() {
        let stats = json!({
            "requests_by_kind": {"ingest_start": 2, "upload": 2, "job_poll": 7, "create": 40},
            "jobs_by_state": {"COMPLETED": 1, "REJECTED": 1},
            "rows_by_outcome": {"submitted": 120, "created": 100, "invalid": 20},
        });
        let jobs = json!([
            {"job_id": "a", "group_id": "g1", "created_at_ms": 10_000, "uploaded_at_ms": 10_300,
             "processing_started_at_ms": 12_300, "ended_at_ms": 12_800,
             "status": {"status": "COMPLETED", "counts": {"submitted": 120}, "failure_reason": null}},
            {"job_id": "b", "group_id": "g2", "created_at_ms": 10_100, "uploaded_at_ms": 10_400,
             "processing_started_at_ms": null, "ended_at_ms": 12_400,
             "status": {"status": "REJECTED", "counts": null,
                        "failure_reason": "ACCOUNT_CAPACITY_EXCEEDED"}},
        ]);
        let spans = job_spans(&jobs, Duration::from_secs(10));
        assert_eq!(spans[0].created_ms, 0.0);
        assert_eq!(spans[0].processing_ms, Some(2_300.0));
        assert_eq!(spans[0].rows, 120);
        let c = BulkCounts::of(&stats, &spans);
        assert_eq!(
            (c.ingest_starts, c.uploads, c.job_polls, c.report_downloads),
            (2, 2, 7, 0)
        );
        assert_eq!((c.rows("created"), c.rows("updated")), (100, 0));
        assert_eq!((c.jobs("COMPLETED"), c.jobs_total()), (1, 2));
        assert_eq!(c.jobs_rejected_for_capacity, 1);
        assert!(c.used_jobs());
        assert!(!BulkCounts::of(&json!({"requests_by_kind": {"create": 3}}), &[]).used_jobs());
    }

    #[test]
    fn phases_follow_the_jobs_life() {
        let done = span(0.0, Some(300.0), Some(2_300.0), Some(2_800.0));
        assert_eq!(
            done.phases(),
            vec![
                ("uploading", 0.0, 300.0),
                ("queued", 300.0, 2_300.0),
                ("processing", 2_300.0, 2_800.0)
            ]
        );
        // Rejected at validation: no processing phase.
        let rejected = span(0.0, Some(300.0), None, Some(2_300.0));
        assert_eq!(rejected.phases().last(), Some(&("queued", 300.0, 2_300.0)));
        // Never uploaded and never ended: nothing to draw.
        assert!(span(0.0, None, None, None).phases().is_empty());
    }

    #[test]
    fn path_time_is_the_union_of_each_path_and_their_overlap() {
        let jobs = [
            span(1_000.0, None, None, Some(5_000.0)),
            span(4_000.0, None, None, Some(6_000.0)),
        ];
        let batches = [(0.0, 500.0), (400.0, 1_500.0), (5_500.0, 7_000.0)];
        let t = PathTime::of(&jobs, &batches, 8_000.0);
        assert_eq!(t.jobs_ms, 5_000.0);
        assert_eq!(t.batches_ms, 3_000.0);
        assert_eq!(t.both_ms, 1_000.0);
    }
}
