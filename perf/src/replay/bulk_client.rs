//! A reference client of the bulk import, driven in process against the simulator on tokio's
//! paused clock: it starts one `ingest_items` job per chunk of `rows_per_job` rows, uploads each
//! CSV at once (a board runs its jobs one after another, so the later ones queue), then polls every
//! unfinished job at the documented pace until each ends (docs/monday-bulk-import.md §1.3: about
//! every 10 s, not faster).
//!
//! What it is for: measuring the bulk path where the sync does not drive it (the sweep's points
//! per path and the crossover, [`crate::tune::sweep`]), and producing request logs with job polls for
//! `calibrate`'s job-rate fit ([`crate::tune::job_rate`]) at a processing rate the test chose. It writes
//! the client-side log a sync writes with `--request-log`, with these keys on bulk lines:
//! `job_id` (starts, uploads, polls), and on polls `job_status`, `progress_percentage` and
//! `job_counts` (the `counts` object of `ItemsJobStatus`).

use std::time::Duration;

use bytes::Bytes;
use mock_monday::{CoreRequest, DispatchOutcome, RequestKind, Simulator};
use serde_json::{json, Value};

use crate::error::{PerfError, Result};
use crate::measure::request_line::LoggedRequest;

/// API version of the bulk import's requests (the fields exist from 2026-07).
pub const BULK_API_VERSION: &str = "2026-10";
/// Documented poll pace (docs/monday-bulk-import.md §1.3).
pub const DOCUMENTED_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// A request the client gives up on.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Polls of one job before the client gives up (a job that never ends).
const MAX_POLLS_PER_JOB: usize = 10_000;

/// What to import.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveSpec {
    pub board_id: String,
    pub group_id: String,
    /// Column holding each row's key (`text_order_key` on the example board).
    pub key_column: String,
    pub rows: usize,
    /// Rows per job (at most 10,000 for ingest).
    pub rows_per_job: usize,
    pub poll_interval: Duration,
    /// Prefix of the generated keys (`{prefix}-{n}`).
    pub key_prefix: String,
    /// `on_match: UPSERT` on the key column, as the sync sends it (the simulator matches each
    /// row against the whole board: slow in wall time for large boards, the same in virtual
    /// time); false creates every row.
    pub upsert: bool,
}

impl DriveSpec {
    /// `rows` rows into the example board's default group, 10,000 per job, polled every 10 s.
    pub fn example(rows: usize) -> Self {
        Self {
            board_id: "1234567890".into(),
            group_id: "topics".into(),
            key_column: "text_order_key".into(),
            rows,
            rows_per_job: 10_000,
            poll_interval: DOCUMENTED_POLL_INTERVAL,
            key_prefix: "K".into(),
            upsert: true,
        }
    }
}

/// What the drive did.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveOutcome {
    /// From the first request to the poll that saw the last job end.
    pub api_time: Duration,
    /// The simulator's clock when the first request left (job times are on this clock).
    pub origin: Duration,
    /// One line per request, client side (`t_ms` from the simulator's start).
    pub log: Vec<LoggedRequest>,
    /// Final `ItemsJobStatus` of each job, in start order.
    pub statuses: Vec<Value>,
}

impl DriveOutcome {
    /// The log as NDJSON text.
    pub fn ndjson(&self) -> String {
        self.log
            .iter()
            .map(|l| format!("{}\n", serde_json::to_string(l).unwrap_or_default()))
            .collect()
    }
}

fn gql(query: &str) -> CoreRequest {
    CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            (
                "authorization".into(),
                crate::replay::run::PERF_TOKEN.into(),
            ),
            ("api-version".into(), BULK_API_VERSION.into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Bytes::from(json!({ "query": query }).to_string()),
        client_ip: None,
    }
}

fn put(url: &str, csv: String) -> CoreRequest {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest[rest.find('/').unwrap_or(rest.len())..].to_string();
    CoreRequest {
        method: "PUT".into(),
        path,
        headers: vec![("content-type".into(), "text/csv".into())],
        body: Bytes::from(csv),
        client_ip: None,
    }
}

const STATUS_SELECTION: &str = "... on ItemsJobStatus { status counts { submitted invalid skipped created updated failed } progress_percentage }";

/// One request: `(status, body, arrival ms, latency ms)`; a reset or timeout is an error.
async fn send(sim: &Simulator, req: CoreRequest) -> Result<(u16, Value, f64, f64)> {
    let offset = sim.clock().offset();
    let arrival = sim.clock().now().saturating_sub(offset);
    let bytes = req.body.len();
    match sim.dispatch(req, REQUEST_TIMEOUT).await {
        DispatchOutcome::Response(r) => {
            let done = sim.clock().now().saturating_sub(offset);
            let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            tracing::trace!(status = r.status, bytes, "bulk client request");
            Ok((
                r.status,
                body,
                ms(arrival),
                ms(done.saturating_sub(arrival)),
            ))
        }
        other => Err(PerfError::Usage(format!(
            "bulk client: the simulator answered {other:?}"
        ))),
    }
}

fn ms(d: Duration) -> f64 {
    crate::measure::latency::round3(d.as_secs_f64() * 1000.0)
}

fn csv(spec: &DriveSpec, from: usize, to: usize) -> String {
    let mut out = format!("name,{}\n", spec.key_column);
    for n in from..to {
        out.push_str(&format!("Row {n},{}-{n}\n", spec.key_prefix));
    }
    out
}

/// Imports `spec.rows` rows; must run on the simulator's tokio runtime (paused clock: the waits
/// are virtual).
pub async fn drive(sim: &Simulator, spec: &DriveSpec) -> Result<DriveOutcome> {
    if spec.rows_per_job == 0 || spec.poll_interval.is_zero() {
        return Err(PerfError::Usage(
            "bulk client: rows per job and the poll interval must be above zero".into(),
        ));
    }
    let origin = sim.clock().now();
    let started = tokio::time::Instant::now();
    let mut log = Vec::new();
    let mut jobs = Vec::new();
    let mut from = 0;
    while from < spec.rows {
        let to = (from + spec.rows_per_job).min(spec.rows);
        let on_match = if spec.upsert {
            format!(
                ", on_match: {{match_column_id: \"{}\", behaviour: UPSERT}}",
                spec.key_column
            )
        } else {
            String::new()
        };
        let query = format!(
            "mutation {{ ingest_items(board_id: {}, group_id: \"{}\"{on_match}) {{ job_id upload_url }} }}",
            spec.board_id, spec.group_id
        );
        let (status, body, t, latency) = send(sim, gql(&query)).await?;
        let job = &body["data"]["ingest_items"];
        let (Some(id), Some(url)) = (job["job_id"].as_str(), job["upload_url"].as_str()) else {
            return Err(PerfError::Usage(format!(
                "bulk client: ingest_items answered {status}: {body}"
            )));
        };
        let id = id.to_string();
        log.push(line(RequestKind::IngestStart, (t, status, latency), 1, &id));
        let (status, _, t, latency) = send(sim, put(url, csv(spec, from, to))).await?;
        log.push(line(RequestKind::Upload, (t, status, latency), 0, &id));
        if status != 200 {
            return Err(PerfError::Usage(format!(
                "bulk client: the upload answered {status}"
            )));
        }
        jobs.push((id, Value::Null));
        from = to;
    }
    let mut polls = 0;
    while jobs.iter().any(|(_, s)| !terminal(s)) {
        tokio::time::sleep(spec.poll_interval).await;
        for (id, last) in jobs.iter_mut().filter(|(_, s)| !terminal(s)) {
            let query =
                format!("{{ fetch_job_status(job_id: \"{id}\") {{ {STATUS_SELECTION} }} }}");
            let (status, body, t, latency) = send(sim, gql(&query)).await?;
            let s = body["data"]["fetch_job_status"].clone();
            log.push(LoggedRequest {
                job_status: s["status"].as_str().map(str::to_string),
                progress_percentage: s["progress_percentage"].as_f64(),
                job_counts: serde_json::from_value(s["counts"].clone()).ok(),
                ..line(RequestKind::JobPoll, (t, status, latency), 1, id)
            });
            *last = s;
        }
        polls += 1;
        if polls > MAX_POLLS_PER_JOB {
            return Err(PerfError::Usage(
                "bulk client: a job did not end within 10,000 polls".into(),
            ));
        }
    }
    Ok(DriveOutcome {
        api_time: started.elapsed(),
        origin,
        log,
        statuses: jobs.into_iter().map(|(_, s)| s).collect(),
    })
}

/// A line of the client's log: `(t_ms, status, latency_ms)` of a request about job `id`.
fn line(
    kind: RequestKind,
    (t, status, latency): (f64, u16, f64),
    aliases: u32,
    id: &str,
) -> LoggedRequest {
    LoggedRequest {
        t_ms: Some(t),
        kind: Some(kind),
        aliases,
        status: Some(status),
        latency_ms: latency,
        job_id: Some(id.to_string()),
        ..LoggedRequest::default()
    }
}

fn terminal(status: &Value) -> bool {
    matches!(
        status["status"].as_str(),
        Some("COMPLETED" | "FAILED" | "REJECTED")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_monday::config::{LatencyProfile, SimConfig};
    use mock_monday::jobs::{BulkSettings, JobTiming};

    fn simulator(rows_per_second: f64) -> Simulator {
        Simulator::new(SimConfig {
            profile: LatencyProfile::Instant,
            bulk: BulkSettings {
                timing: Some(JobTiming {
                    job_start_delay_ms: 2_000.0,
                    job_rows_per_second: rows_per_second,
                }),
                ..BulkSettings::default()
            },
            ..SimConfig::default()
        })
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn jobs_run_one_after_another_and_every_row_lands_once() {
        let sim = simulator(100.0);
        let spec = DriveSpec {
            rows_per_job: 1_000,
            ..DriveSpec::example(2_500)
        };
        let out = drive(&sim, &spec).await.unwrap();
        // Three jobs; the board runs them one after another: 2 s + 10 s + 10 s + 5 s of rows,
        // seen by the poll on the 10 s grid after the last ends (27 s -> 30 s).
        assert_eq!(out.statuses.len(), 3);
        assert!(out.statuses.iter().all(|s| s["status"] == "COMPLETED"));
        assert_eq!(out.api_time, Duration::from_secs(30));
        let keys = sim
            .board_column_texts("1234567890", "text_order_key")
            .unwrap();
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!((keys.len(), unique.len()), (2_500, 2_500));
        let kinds = |k: RequestKind| out.log.iter().filter(|l| l.kind() == k).count();
        assert_eq!(
            (kinds(RequestKind::IngestStart), kinds(RequestKind::Upload)),
            (3, 3)
        );
        // The simulator counted what the client sent.
        let by_kind = sim.stats().requests_by_kind;
        assert_eq!(by_kind["job_poll"] as usize, kinds(RequestKind::JobPoll));
    }
}
