//! The gate's baseline file (`perf/baselines/ci.json`): scenarios, tolerances, absolute targets and
//! the figures today's code achieved (`expected`), which `monday-perf baseline` rewrites.
//!
//! ```json
//! { "format": 1,
//!   "tolerances": { "per_record_ms": { "relative": 0.05 }, "throttled": { "relative": 0.10, "absolute": 2 } },
//!   "scenarios": [ { "scenario": { "name": "pro-50", "records": 50 },
//!                    "targets": { "max_per_record_ms": 40.0 },
//!                    "expected": { "per_record_ms": 21.3, "record_p99_ms": 900.1, "requests": 9,
//!                                  "throttled": 0, "efficiency": 0.71 } } ] }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};
use crate::measure::latency::Percentiles;
use crate::measure::log_counts::LogCounts;
use crate::replay::results::RunResults;
use crate::workload::scenario::Scenario;

/// Version of the baseline layout.
pub const BASELINE_FORMAT: u32 = 1;
/// Where the checked-in baseline lives, relative to the workspace root.
pub const DEFAULT_BASELINE: &str = "perf/baselines/ci.json";

/// A gated metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    PerRecordMs,
    RecordP99Ms,
    Requests,
    Throttled,
    Efficiency,
    /// Client CPU per record, microseconds (CPU-clock scenarios only).
    ClientCpuUsPerRecord,
    /// The sync's ERROR events per record.
    ErrorEventsPerRecord,
    /// The sync's WARN events per record.
    WarnEventsPerRecord,
    /// The sync's INFO events per record.
    InfoEventsPerRecord,
    // The bulk-import path (`crate::measure::bulk`), counted by the simulator; compared only for
    // scenarios whose expected figures have them.
    /// `ingest_items` / `backfill_items` requests.
    IngestStarts,
    /// CSV uploads.
    Uploads,
    /// `fetch_job_status` requests.
    JobPolls,
    /// Job report downloads.
    ReportDownloads,
    /// Label updates before jobs (`update_status_column` / `update_dropdown_column`).
    LabelRequests,
    /// Rows created by jobs (two-sided: rows moving off or onto the bulk path both show).
    RowsCreated,
    /// Rows updated by jobs (two-sided).
    RowsUpdated,
    /// Rows a job found invalid.
    RowsInvalid,
    /// Rows a job failed.
    RowsFailed,
    /// Jobs that ended `COMPLETED` (two-sided).
    JobsCompleted,
    /// Jobs that ended `FAILED`.
    JobsFailed,
    /// Jobs that ended `REJECTED`.
    JobsRejected,
    /// Client CPU per record at the larger size of a growth scenario over the same at the
    /// smaller (`cpu_growth_records`): above 1 when a record costs more the more were seen.
    ClientCpuGrowth,
    /// Client CPU per request over the real HTTP transport, microseconds (`cpu_over_http`).
    HttpCpuUsPerRequest,
    /// Client CPU per record over the real HTTP transport, microseconds (`cpu_over_http`).
    HttpCpuUsPerRecord,
    /// SQLite commits of the state store per 1,000 records (`state_file`).
    StateCommitsPer1000Records,
    /// File syncs those commits imply per 1,000 records (`state_file`).
    StateSyncsPer1000Records,
    /// Foreign clients: simulated time the API spent answering the client's requests, per
    /// record (the simulator's seeded latency draws: load-independent; `client_pace`).
    ApiBusyMsPerRecord,
    /// Foreign clients: user + system CPU of the client's processes per record, milliseconds.
    ClientCmdCpuMsPerRecord,
}

impl Metric {
    /// All metrics compared against the baseline, in report order. A metric that a scenario's
    /// expected or actual figures do not have (CPU outside the CPU clock, log counts in a process
    /// that does not count) is not compared.
    pub const ALL: [Metric; 28] = [
        Metric::PerRecordMs,
        Metric::RecordP99Ms,
        Metric::Requests,
        Metric::Throttled,
        Metric::Efficiency,
        Metric::ClientCpuUsPerRecord,
        Metric::ErrorEventsPerRecord,
        Metric::WarnEventsPerRecord,
        Metric::InfoEventsPerRecord,
        Metric::IngestStarts,
        Metric::Uploads,
        Metric::JobPolls,
        Metric::ReportDownloads,
        Metric::LabelRequests,
        Metric::RowsCreated,
        Metric::RowsUpdated,
        Metric::RowsInvalid,
        Metric::RowsFailed,
        Metric::JobsCompleted,
        Metric::JobsFailed,
        Metric::JobsRejected,
        Metric::ClientCpuGrowth,
        Metric::HttpCpuUsPerRequest,
        Metric::HttpCpuUsPerRecord,
        Metric::StateCommitsPer1000Records,
        Metric::StateSyncsPer1000Records,
        Metric::ApiBusyMsPerRecord,
        Metric::ClientCmdCpuMsPerRecord,
    ];

    /// Timed by a CPU clock: interference from other processes can only raise it, so a gate
    /// measures it again before failing on it alone ([`crate::judge::gate::CPU_ATTEMPTS`]).
    pub fn is_cpu_time(self) -> bool {
        matches!(
            self,
            Metric::ClientCpuUsPerRecord
                | Metric::ClientCpuGrowth
                | Metric::HttpCpuUsPerRequest
                | Metric::HttpCpuUsPerRecord
                | Metric::ClientCmdCpuMsPerRecord
        )
    }

    /// Name as written in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            Metric::PerRecordMs => "per_record_ms",
            Metric::RecordP99Ms => "record_p99_ms",
            Metric::Requests => "requests",
            Metric::Throttled => "throttled",
            Metric::Efficiency => "efficiency",
            Metric::ClientCpuUsPerRecord => "client_cpu_us_per_record",
            Metric::ErrorEventsPerRecord => "error_events_per_record",
            Metric::WarnEventsPerRecord => "warn_events_per_record",
            Metric::InfoEventsPerRecord => "info_events_per_record",
            Metric::IngestStarts => "ingest_starts",
            Metric::Uploads => "uploads",
            Metric::JobPolls => "job_polls",
            Metric::ReportDownloads => "report_downloads",
            Metric::LabelRequests => "label_requests",
            Metric::RowsCreated => "rows_created",
            Metric::RowsUpdated => "rows_updated",
            Metric::RowsInvalid => "rows_invalid",
            Metric::RowsFailed => "rows_failed",
            Metric::JobsCompleted => "jobs_completed",
            Metric::JobsFailed => "jobs_failed",
            Metric::JobsRejected => "jobs_rejected",
            Metric::ClientCpuGrowth => "client_cpu_growth",
            Metric::HttpCpuUsPerRequest => "http_cpu_us_per_request",
            Metric::HttpCpuUsPerRecord => "http_cpu_us_per_record",
            Metric::StateCommitsPer1000Records => "state_commits_per_1000_records",
            Metric::StateSyncsPer1000Records => "state_syncs_per_1000_records",
            Metric::ApiBusyMsPerRecord => "api_busy_ms_per_record",
            Metric::ClientCmdCpuMsPerRecord => "client_cmd_cpu_ms_per_record",
        }
    }

    /// Whether a higher value is better (only efficiency).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::Efficiency)
    }

    /// Whether a move in either direction is a regression (rows and jobs that must stay on the
    /// path the baseline recorded).
    pub fn two_sided(self) -> bool {
        matches!(
            self,
            Metric::RowsCreated | Metric::RowsUpdated | Metric::JobsCompleted
        )
    }

    /// The metric's value in a set of figures (`None` when not measured).
    pub fn of(self, f: &Figures) -> Option<f64> {
        let logs = f.log_events_per_record;
        match self {
            Metric::PerRecordMs => Some(f.per_record_ms),
            Metric::RecordP99Ms => Some(f.record_p99_ms),
            Metric::Requests => Some(f.requests as f64),
            Metric::Throttled => Some(f.throttled as f64),
            Metric::Efficiency => Some(f.efficiency),
            Metric::ClientCpuUsPerRecord => f.client_cpu_us_per_record,
            Metric::ErrorEventsPerRecord => logs.map(|l| l.error),
            Metric::WarnEventsPerRecord => logs.map(|l| l.warn),
            Metric::InfoEventsPerRecord => logs.map(|l| l.info),
            Metric::IngestStarts => f.bulk.as_ref().map(|b| b.ingest_starts as f64),
            Metric::Uploads => f.bulk.as_ref().map(|b| b.uploads as f64),
            Metric::JobPolls => f.bulk.as_ref().map(|b| b.job_polls as f64),
            Metric::ReportDownloads => f.bulk.as_ref().map(|b| b.report_downloads as f64),
            Metric::LabelRequests => f.bulk.as_ref().map(|b| b.label_requests as f64),
            Metric::RowsCreated => f.bulk.as_ref().map(|b| b.rows_created as f64),
            Metric::RowsUpdated => f.bulk.as_ref().map(|b| b.rows_updated as f64),
            Metric::RowsInvalid => f.bulk.as_ref().map(|b| b.rows_invalid as f64),
            Metric::RowsFailed => f.bulk.as_ref().map(|b| b.rows_failed as f64),
            Metric::JobsCompleted => f.bulk.as_ref().map(|b| b.jobs_completed as f64),
            Metric::JobsFailed => f.bulk.as_ref().map(|b| b.jobs_failed as f64),
            Metric::JobsRejected => f.bulk.as_ref().map(|b| b.jobs_rejected as f64),
            Metric::ClientCpuGrowth => f.client_cpu_growth,
            Metric::HttpCpuUsPerRequest => f.http_cpu_us_per_request,
            Metric::HttpCpuUsPerRecord => f.http_cpu_us_per_record,
            Metric::StateCommitsPer1000Records => f.state_commits_per_1000_records,
            Metric::StateSyncsPer1000Records => f.state_syncs_per_1000_records,
            Metric::ApiBusyMsPerRecord => f.api_busy_ms_per_record,
            Metric::ClientCmdCpuMsPerRecord => f.client_cmd_cpu_ms_per_record,
        }
    }

    /// Built-in tolerance when the baseline names none.
    pub fn default_tolerance(self) -> Tolerance {
        match self {
            Metric::PerRecordMs => Tolerance::relative(0.05),
            Metric::RecordP99Ms => Tolerance::relative(0.10),
            Metric::Requests => Tolerance::relative(0.02),
            Metric::Throttled => Tolerance {
                relative: 0.10,
                absolute: 2.0,
            },
            Metric::Efficiency => Tolerance::relative(0.03),
            // Chosen from A/A runs on a shared 2-core machine with a build running beside it
            // (README, "What the gate checks": 20 A/A runs 11.7-14.4 against 12.8; +10 us caught).
            // Widened from 3 to 7.5 us when 20 A/A runs at load average ~12 (five other builds
            // and a release build) gave 14.8-18.8 against 11.25 (3 over the old limit of 17.06).
            Metric::ClientCpuUsPerRecord => Tolerance {
                relative: 0.25,
                absolute: 7.5,
            },
            // Exact counts: one WARN or ERROR per hundred records is already a regression.
            Metric::ErrorEventsPerRecord | Metric::WarnEventsPerRecord => Tolerance {
                relative: 0.0,
                absolute: 0.01,
            },
            Metric::InfoEventsPerRecord => Tolerance {
                relative: 0.10,
                absolute: 0.01,
            },
            // Job starts and uploads: one more job per ten is a regression (exact for a few).
            Metric::IngestStarts | Metric::Uploads => Tolerance::relative(0.10),
            // Polls: a tenth plus one. Most jobs end within their first interval, so halving the
            // interval adds far fewer than twice the polls (36 -> 45 in ingest-5000-rate-slow):
            // a quarter let that through.
            Metric::JobPolls => Tolerance {
                relative: 0.10,
                absolute: 1.0,
            },
            Metric::ReportDownloads => Tolerance {
                relative: 0.0,
                absolute: 1.0,
            },
            // One label update per column: a second one for a column (a stale revision) is
            // allowed, one per record is not.
            Metric::LabelRequests => Tolerance {
                relative: 0.0,
                absolute: 1.0,
            },
            // Rows and jobs are deterministic for a seed: exact.
            Metric::RowsCreated
            | Metric::RowsUpdated
            | Metric::RowsInvalid
            | Metric::RowsFailed
            | Metric::JobsCompleted
            | Metric::JobsFailed
            | Metric::JobsRejected => Tolerance::relative(0.0),
            // Chosen from 20 A/A gate runs at load average ~12 (a release build and five other
            // engineers' builds on 2 cores): 1.078-1.314 against 1.107 (at most +18.7%).
            Metric::ClientCpuGrowth => Tolerance {
                relative: 0.30,
                absolute: 0.0,
            },
            // Chosen from A/A runs at load average ~12: the same 20 gate runs gave at most +36%
            // (10 records per request: 281.7-420.0 us per request against 308.9), and 8 runs of
            // the one-record-per-request scenario 171.8-221.2 against 168.6 (+31%). A client built
            // per request measured +72%, no connection reuse +53%.
            Metric::HttpCpuUsPerRequest | Metric::HttpCpuUsPerRecord => Tolerance {
                relative: 0.45,
                absolute: 0.0,
            },
            // Counted, not timed: the same run makes the same commits. One more per 1,000
            // records fails.
            Metric::StateCommitsPer1000Records | Metric::StateSyncsPer1000Records => Tolerance {
                relative: 0.0,
                absolute: 0.5,
            },
            // The same requests draw the same latencies: like per-record time on the virtual
            // clock.
            Metric::ApiBusyMsPerRecord => Tolerance::relative(0.05),
            // CPU time of the client's processes (a Python interpreter's start-up is most of it),
            // chosen from 20 A/A gate runs beside a release build at load average 13-20: the
            // batched example 4.2-6.1 ms against 5.316 (+15%), the single-call one 4.9-7.7
            // against 6.863 (+12%); a second of extra client CPU measured 21.7 (+308%).
            Metric::ClientCmdCpuMsPerRecord => Tolerance::relative(1.0),
        }
    }
}

/// How far a metric may move in the bad direction before the gate fails.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    /// Fraction of the expected value (0.05 = 5%).
    #[serde(default)]
    pub relative: f64,
    /// Absolute slack in the metric's unit (useful where the expected value is 0).
    #[serde(default)]
    pub absolute: f64,
}

impl Tolerance {
    /// A purely relative tolerance.
    pub fn relative(relative: f64) -> Self {
        Self {
            relative,
            absolute: 0.0,
        }
    }

    /// The worst acceptable value for `expected` of `metric`.
    pub fn limit(&self, metric: Metric, expected: f64) -> f64 {
        let slack = expected.abs() * self.relative + self.absolute;
        if metric.higher_is_better() {
            expected - slack
        } else {
            expected + slack
        }
    }
}

/// The figures the gate compares (what `expected` holds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub per_record_ms: f64,
    pub record_p99_ms: f64,
    pub requests: u64,
    pub throttled: u64,
    pub efficiency: f64,
    /// CPU-clock scenarios: client CPU per record, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu_us_per_record: Option<f64>,
    /// The sync's log events per record by level (when counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_events_per_record: Option<LogCounts>,
    /// Record-latency percentiles, overlaid on the report's latency chart.
    #[serde(default)]
    pub record_latency: Percentiles,
    /// Request-latency percentiles, overlaid on the report's latency chart.
    #[serde(default)]
    pub request_latency: Percentiles,
    /// Growth scenarios: client CPU per record at the larger size over the smaller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu_growth: Option<f64>,
    /// HTTP CPU scenarios: client CPU per request, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_cpu_us_per_request: Option<f64>,
    /// HTTP CPU scenarios: client CPU per record, microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_cpu_us_per_record: Option<f64>,
    /// State-file scenarios: SQLite commits per 1,000 records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_commits_per_1000_records: Option<f64>,
    /// State-file scenarios: file syncs per 1,000 records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_syncs_per_1000_records: Option<f64>,
    /// The bulk-import path's counts (runs that used jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk: Option<BulkFigures>,
    /// Foreign clients: the API's busy time per record, simulated milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_busy_ms_per_record: Option<f64>,
    /// Foreign clients: the client's processes' CPU per record, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cmd_cpu_ms_per_record: Option<f64>,
}

/// The bulk-import counts the gate compares, from the simulator ([`crate::measure::bulk::BulkCounts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkFigures {
    pub ingest_starts: u64,
    pub uploads: u64,
    pub job_polls: u64,
    pub report_downloads: u64,
    /// Label updates before the jobs (0 in baselines written before they were counted).
    #[serde(default)]
    pub label_requests: u64,
    pub rows_created: u64,
    pub rows_updated: u64,
    pub rows_invalid: u64,
    pub rows_failed: u64,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub jobs_rejected: u64,
}

impl BulkFigures {
    /// The figures of a run's bulk counters.
    pub fn of(c: &crate::measure::bulk::BulkCounts) -> Self {
        Self {
            ingest_starts: c.ingest_starts,
            uploads: c.uploads,
            job_polls: c.job_polls,
            report_downloads: c.report_downloads,
            label_requests: c.label_requests,
            rows_created: c.rows("created"),
            rows_updated: c.rows("updated"),
            rows_invalid: c.rows("invalid"),
            rows_failed: c.rows("failed"),
            jobs_completed: c.jobs("COMPLETED"),
            jobs_failed: c.jobs("FAILED"),
            jobs_rejected: c.jobs("REJECTED"),
        }
    }
}

impl Figures {
    /// The figures of a run.
    pub fn of(results: &RunResults) -> Self {
        Self {
            per_record_ms: results.per_record_ms,
            record_p99_ms: results.latency.records.p99,
            requests: results.requests,
            throttled: results.throttled,
            efficiency: results.efficiency,
            client_cpu_us_per_record: results.client_cpu_us_per_record,
            log_events_per_record: results.log_events_per_record,
            record_latency: results.latency.records,
            request_latency: results.latency.requests,
            bulk: results.bulk.as_ref().map(|b| BulkFigures::of(&b.counts)),
            client_cpu_growth: results.client_cpu_growth.as_ref().map(|g| g.ratio),
            http_cpu_us_per_request: results.http_cpu.as_ref().map(|h| h.us_per_request),
            http_cpu_us_per_record: results.http_cpu.as_ref().map(|h| h.us_per_record),
            state_commits_per_1000_records: results
                .state_store
                .as_ref()
                .map(|s| s.commits_per_1000_records),
            state_syncs_per_1000_records: results
                .state_store
                .as_ref()
                .map(|s| s.syncs_per_1000_records),
            api_busy_ms_per_record: results
                .client_pace
                .as_ref()
                .map(|p| p.api_busy_ms_per_record),
            client_cmd_cpu_ms_per_record: results
                .client_pace
                .as_ref()
                .and_then(|p| p.client_cpu_ms_per_record),
        }
    }
}

/// Absolute targets, independent of the baseline figures (duplicates and lost records default to 0).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_record_ms: Option<f64>,
    /// Foreign clients: the API's busy time per record (`client_pace`), a ceiling that does not
    /// move with the machine's load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_api_busy_ms_per_record: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_efficiency: Option<f64>,
    /// Share of requests throttled (0.01 = 1%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_throttled_share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_failed_records: Option<u64>,
    /// Requests refused with 423 (board write lock): a client that writes serially sees none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_locked: Option<u64>,
    #[serde(default)]
    pub max_duplicates: u64,
    #[serde(default)]
    pub max_lost_records: u64,
    /// Largest allowed difference between the simulator's own request count and the engine's.
    #[serde(default)]
    pub max_request_count_mismatch: u64,
    /// Jobs `REJECTED` for capacity (hourly items, board cap): a sync that plans its jobs sees
    /// none. Checked for runs that used the bulk path.
    #[serde(default)]
    pub max_jobs_rejected_for_capacity: u64,
    /// Retried writes (the simulator's request log: a mutation with the same write identity
    /// as an earlier one) whose `Idempotency-Key` or body differs from the first attempt's.
    #[serde(default)]
    pub max_retry_key_changes: u64,
    /// Fewest retried writes the run must make (a scenario about retries that no longer
    /// retries has lost its point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retried_writes: Option<u64>,
}

/// One gate scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateScenario {
    pub scenario: Scenario,
    /// Human explanation of what this scenario protects.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purpose: String,
    #[serde(default)]
    pub targets: Targets,
    /// Per-scenario tolerances; metrics not named fall back to the file's, then the built-ins.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tolerances: BTreeMap<Metric, Tolerance>,
    /// Metrics this scenario does not compare against the baseline (e.g. `requests` on a real clock).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_metrics: Vec<Metric>,
    /// What today's code achieved; `None` until `monday-perf baseline` fills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<Figures>,
    /// Wall-clock milliseconds the harness took for one run of this scenario (one seed) when
    /// the baseline was recorded: not compared, only the base of the gate's wall-clock limit
    /// (`gate::limits_for`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harness_wall_ms: Option<f64>,
    /// Why each `[sync]` key the scenario sets is set (key -> reason): every key a scenario
    /// pins must have one, so the gate runs each setting at its code default unless a scenario
    /// is about that setting (`code_defaults`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pinned: BTreeMap<String, String>,
    /// Targets against other scenarios of the same gate run (auto against the forced paths).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compare: Vec<Comparison>,
}

/// A target on this scenario's per-record time relative to other scenarios': at most
/// `max_ratio` times the best (lowest) of theirs. `auto` at least 3x faster than batches alone is
/// `max_ratio = 0.3333` against the batch scenario; never more than 5% slower than the better
/// forced path is `max_ratio = 1.05` against both forced scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// The check's name in reports (e.g. `vs_batch_speedup_3x`).
    pub name: String,
    /// Scenario names of the same baseline.
    pub against: Vec<String>,
    pub max_ratio: f64,
}

/// The whole baseline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub format: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tolerances: BTreeMap<Metric, Tolerance>,
    pub scenarios: Vec<GateScenario>,
}

impl Baseline {
    /// Parses and checks a baseline.
    pub fn from_json(text: &str, origin: &str) -> Result<Self> {
        let b: Baseline = serde_json::from_str(text)
            .map_err(|e| PerfError::json(format!("parse {origin}"), e))?;
        if b.format != BASELINE_FORMAT {
            return Err(PerfError::Usage(format!(
                "{origin}: baseline format {} is not supported (expected {BASELINE_FORMAT})",
                b.format
            )));
        }
        if b.scenarios.is_empty() {
            return Err(PerfError::Usage(format!("{origin}: no scenarios")));
        }
        let mut names = std::collections::HashSet::new();
        for s in &b.scenarios {
            s.scenario.validate().map_err(|e| {
                PerfError::Usage(format!("{origin}: scenario {}: {e}", s.scenario.name))
            })?;
            if let Some(keys) = crate::judge::code_defaults::pinned_keys(&s.scenario)? {
                let unexplained: Vec<&String> =
                    keys.iter().filter(|k| !s.pinned.contains_key(*k)).collect();
                let stale: Vec<&String> = s.pinned.keys().filter(|k| !keys.contains(*k)).collect();
                if !unexplained.is_empty() || !stale.is_empty() {
                    return Err(PerfError::Usage(format!(
                        "{origin}: scenario {}: every [sync] key it sets needs a reason in \
                         \"pinned\" (and only those): without a reason {unexplained:?}, \
                         reasons for keys it does not set {stale:?}",
                        s.scenario.name
                    )));
                }
            }
            if !names.insert(&s.scenario.name) {
                return Err(PerfError::Usage(format!(
                    "{origin}: scenario name {} is used twice",
                    s.scenario.name
                )));
            }
        }
        for s in &b.scenarios {
            for c in &s.compare {
                if let Some(missing) = c.against.iter().find(|n| !names.contains(n)) {
                    return Err(PerfError::Usage(format!(
                        "{origin}: scenario {} compares with {missing}, which the baseline does not have",
                        s.scenario.name
                    )));
                }
                if c.against.is_empty() || !(c.max_ratio.is_finite() && c.max_ratio > 0.0) {
                    return Err(PerfError::Usage(format!(
                        "{origin}: scenario {}: comparison {} needs scenarios and a positive max_ratio",
                        s.scenario.name, c.name
                    )));
                }
            }
        }
        Ok(b)
    }

    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| PerfError::io("read", path, e))?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Writes the baseline (pretty JSON, trailing newline).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| PerfError::io("create", dir, e))?;
        }
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| PerfError::json("serialise baseline", e))?;
        std::fs::write(path, text + "\n").map_err(|e| PerfError::io("write", path, e))
    }

    /// The tolerance for `metric` in `scenario`.
    pub fn tolerance(&self, scenario: &GateScenario, metric: Metric) -> Tolerance {
        scenario
            .tolerances
            .get(&metric)
            .or_else(|| self.tolerances.get(&metric))
            .copied()
            .unwrap_or_else(|| metric.default_tolerance())
    }
}

/// Resolves a path given relative to the workspace root: as given when it exists from the cwd,
/// else relative to the workspace this binary was built from.
pub fn resolve_workspace_path(path: &Path) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path.to_path_buf();
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidate = workspace.join(path);
    if candidate.exists() {
        candidate
    } else {
        path.to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_limits_follow_direction() {
        let t = Tolerance {
            relative: 0.1,
            absolute: 1.0,
        };
        assert_eq!(t.limit(Metric::Requests, 100.0), 111.0);
        assert_eq!(t.limit(Metric::Efficiency, 10.0), 8.0);
    }

    #[test]
    fn parse_checks_format_and_names() {
        let ok = r#"{"format":1,"scenarios":[{"scenario":{"name":"a","records":50}}]}"#;
        let b = Baseline::from_json(ok, "t").unwrap();
        assert_eq!(b.scenarios[0].targets.max_duplicates, 0);
        // The gate's loader fills what a scenario leaves out from the one source of defaults.
        assert_eq!(
            b.scenarios[0].scenario,
            Scenario {
                name: "a".into(),
                records: 50,
                ..Scenario::default()
            }
        );
        assert_eq!(
            b.tolerance(&b.scenarios[0], Metric::Requests),
            Metric::Requests.default_tolerance()
        );
        let dup =
            r#"{"format":1,"scenarios":[{"scenario":{"name":"a"}},{"scenario":{"name":"a"}}]}"#;
        assert!(Baseline::from_json(dup, "t").is_err());
        assert!(Baseline::from_json(r#"{"format":2,"scenarios":[]}"#, "t").is_err());
        assert!(Baseline::from_json("not json", "t").is_err());
    }

    #[test]
    fn every_pinned_key_needs_its_reason() {
        let bare =
            r#"{"format":1,"scenarios":[{"scenario":{"name":"a","sync":{"max_retries":2}}}]}"#;
        let e = Baseline::from_json(bare, "t").unwrap_err().to_string();
        assert!(e.contains("max_retries"), "{e}");
        let explained = r#"{"format":1,"scenarios":[{"scenario":{"name":"a","sync":{"max_retries":2}},
            "pinned":{"max_retries":"the scenario is about giving up"}}]}"#;
        assert!(Baseline::from_json(explained, "t").is_ok());
        let stale = r#"{"format":1,"scenarios":[{"scenario":{"name":"a"},"pinned":{"mode":"x"}}]}"#;
        assert!(Baseline::from_json(stale, "t").is_err());
    }

    #[test]
    fn the_checked_in_baseline_runs_every_sync_key_at_its_default_somewhere() {
        let path = resolve_workspace_path(Path::new(DEFAULT_BASELINE));
        let b = Baseline::load(&path).unwrap();
        let uncovered =
            crate::judge::code_defaults::pinned_everywhere(b.scenarios.iter().map(|g| &g.scenario))
                .unwrap();
        assert!(
            uncovered.is_empty(),
            "pinned in every scenario: {uncovered:?}"
        );
    }

    #[test]
    fn per_scenario_tolerance_wins() {
        let text = r#"{"format":1,"tolerances":{"requests":{"relative":0.5}},
            "scenarios":[{"scenario":{"name":"a"},"tolerances":{"requests":{"relative":0.9}}},
                         {"scenario":{"name":"b"}}]}"#;
        let b = Baseline::from_json(text, "t").unwrap();
        assert_eq!(b.tolerance(&b.scenarios[0], Metric::Requests).relative, 0.9);
        assert_eq!(b.tolerance(&b.scenarios[1], Metric::Requests).relative, 0.5);
    }

    #[test]
    fn the_checked_in_baseline_parses() {
        let path = resolve_workspace_path(Path::new(DEFAULT_BASELINE));
        let b = Baseline::load(&path).unwrap();
        let names: Vec<_> = b
            .scenarios
            .iter()
            .map(|s| s.scenario.name.as_str())
            .collect();
        for needed in [
            "pro-50",
            "pro-500",
            "pro-5000",
            "free-5000",
            "single-canary-50",
            "faults-5000",
        ] {
            assert!(names.contains(&needed), "{needed} missing from {names:?}");
        }
    }
}
