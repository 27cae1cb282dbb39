//! `calibrate`'s job-rate fit: the bulk import's processing rate (rows per second) and start
//! delay (upload -> first row) from the job polls of a request log. monday.com publishes neither
//! (docs/monday-bulk-import.md §7), so the figures a user's own account shows are what the ceiling
//! and the sync's planner should use.
//!
//! # What the log must have
//!
//! Lines with `kind = "upload"` and `kind = "job_poll"` carrying `job_id`; polls also carry
//! `job_status`, `progress_percentage` and `job_counts` (`submitted`, `invalid`), as the
//! reference client ([`crate::replay::bulk_client`]) writes them. `t_ms` is when the request arrived.
//!
//! # Model and fit
//!
//! A job validated at `start` commits `rate` rows a second: after `t`, `done = rate × (t −
//! start)` of its `valid = submitted − invalid` rows, and `progress_percentage =
//! floor(100 × done / valid)`. Each poll of a job still `PROCESSING` with `0 < progress < 100` is
//! one observation `(t, done)`, `done` taken at the middle of its percent step
//! (`(progress + 0.5) / 100 × valid`). The rate is the least-squares slope shared by every job,
//! each with its own intercept (jobs on one board run one after another, so their starts differ
//! by more than the delay); a job's start is where its line meets zero rows. The start delay is
//! the smallest `start − upload` over the jobs: a job that waited for another on its board
//! starts later, never sooner. A job needs two such polls to count; at the documented pace of one
//! poll per 10 s, that is a job of more than 20 s of rows.

use std::collections::BTreeMap;

use mock_monday::RequestKind;
use serde::{Deserialize, Serialize};

use crate::measure::latency::round3;
#[cfg(test)]
use crate::measure::request_line::JobCounts;
use crate::measure::request_line::LoggedRequest;

/// The fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRateFit {
    /// Jobs with at least two polls during processing (the ones fitted).
    pub jobs_fitted: usize,
    /// Jobs seen in the log.
    pub jobs_seen: usize,
    /// Polls used.
    pub polls_used: usize,
    pub rows_per_second: f64,
    pub start_delay_ms: f64,
}

#[derive(Default)]
struct JobObs {
    upload_ms: Option<f64>,
    points: Vec<(f64, f64)>,
}

/// Fits the processing rate and start delay to the NDJSON lines of one or more logs (already
/// parsed as JSON); None when no job has two polls during its processing.
pub fn fit(lines: &[LoggedRequest]) -> Option<JobRateFit> {
    let mut jobs: BTreeMap<String, JobObs> = BTreeMap::new();
    for l in lines {
        let (Some(id), Some(t)) = (&l.job_id, l.t_ms) else {
            continue;
        };
        let job = jobs.entry(id.clone()).or_default();
        match l.kind() {
            RequestKind::Upload if l.status == Some(200) => {
                // The first stored upload starts the job's clock.
                job.upload_ms.get_or_insert(t);
            }
            RequestKind::JobPoll => {
                if l.job_status.as_deref() != Some("PROCESSING") {
                    continue;
                }
                let valid = l.job_counts.map(|c| c.submitted - c.invalid);
                if let (Some(p), Some(valid)) = (l.progress_percentage, valid) {
                    if p > 0.0 && p < 100.0 && valid > 0.0 {
                        job.points.push((t, (p + 0.5) / 100.0 * valid));
                    }
                }
            }
            _ => {}
        }
    }
    let jobs_seen = jobs.len();
    let fitted: Vec<&JobObs> = jobs.values().filter(|j| j.points.len() >= 2).collect();
    // Shared slope: sum over jobs of their centred cross products.
    let (mut sxy, mut sxx, mut polls) = (0.0, 0.0, 0);
    let mut means = Vec::with_capacity(fitted.len());
    for j in &fitted {
        let n = j.points.len() as f64;
        let mx = j.points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = j.points.iter().map(|p| p.1).sum::<f64>() / n;
        for (x, y) in &j.points {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
        }
        polls += j.points.len();
        means.push((mx, my, j.upload_ms));
    }
    if fitted.is_empty() || sxx <= 0.0 || sxy <= 0.0 {
        return None;
    }
    let per_ms = sxy / sxx;
    let delay = means
        .iter()
        .filter_map(|(mx, my, upload)| upload.map(|u| mx - my / per_ms - u))
        .fold(f64::INFINITY, f64::min);
    Some(JobRateFit {
        jobs_fitted: fitted.len(),
        jobs_seen,
        polls_used: polls,
        rows_per_second: round3(per_ms * 1000.0),
        start_delay_ms: if delay.is_finite() {
            round3(delay.max(0.0))
        } else {
            0.0
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job of `rows` rows uploaded at `upload`, processing from `start` at `rate` rows/s,
    /// polled every 10 s from the upload.
    fn job(id: &str, rows: f64, upload: f64, start: f64, rate: f64) -> Vec<LoggedRequest> {
        let line = |kind, t| LoggedRequest {
            kind: Some(kind),
            status: Some(200),
            t_ms: Some(t),
            job_id: Some(id.to_string()),
            ..LoggedRequest::default()
        };
        let mut out = vec![line(RequestKind::Upload, upload)];
        let mut t = upload + 10_000.0;
        loop {
            let done = ((t - start).max(0.0) / 1000.0 * rate).floor().min(rows);
            let (status, p) = if done >= rows {
                ("COMPLETED", 100.0)
            } else {
                ("PROCESSING", (done * 100.0 / rows).floor())
            };
            out.push(LoggedRequest {
                job_status: Some(status.into()),
                progress_percentage: Some(p),
                job_counts: Some(JobCounts {
                    submitted: rows,
                    invalid: 0.0,
                }),
                ..line(RequestKind::JobPoll, t)
            });
            if status == "COMPLETED" {
                return out;
            }
            t += 10_000.0;
        }
    }

    #[test]
    fn recovers_rate_and_delay_of_queued_jobs() {
        // Two jobs on one board: the second waits for the first (its delay is not the delay).
        let mut lines = job("a", 6_000.0, 1_000.0, 4_000.0, 100.0);
        lines.extend(job("b", 6_000.0, 1_200.0, 64_000.0, 100.0));
        let f = fit(&lines).unwrap();
        assert_eq!((f.jobs_fitted, f.jobs_seen), (2, 2));
        assert!((f.rows_per_second - 100.0).abs() < 2.0, "{f:?}");
        assert!((f.start_delay_ms - 3_000.0).abs() < 500.0, "{f:?}");
    }

    #[test]
    fn a_log_without_processing_polls_has_no_fit() {
        // One poll during processing is not enough.
        let lines = job("a", 1_500.0, 0.0, 2_000.0, 100.0);
        assert_eq!(fit(&lines), None);
        let create = LoggedRequest {
            kind: Some(RequestKind::Create),
            t_ms: Some(1.0),
            ..LoggedRequest::default()
        };
        assert_eq!(fit(&[create]), None);
    }
}
