//! `results.json`: everything one run measured, with the seed and full configuration.
//!
//! The top-level names `records`, `per_record_ms`, `api_time_ms`, `requests`, `throttled`,
//! `retries`, `failed_records`, `duplicates`, `efficiency` and the latency percentiles are an
//! interface; add fields, never rename them. `client_cpu_us_per_record` (CPU-clock runs) and
//! `log_events_per_record` (when the process counts log events) are present where measured.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};
use crate::measure::client_cpu::{ClientCpu, CpuGrowth};
use crate::measure::http_cpu::HttpCpu;
use crate::measure::latency::{round3, Percentiles};
use crate::measure::log_counts::LogCounts;
use crate::measure::observer::Measurements;
use crate::measure::retry_keys::RetryKeys;
use crate::measure::timeline::TimelinePoint;
use crate::model::ceiling::{efficiency, Ceiling, PlanKind};
use crate::model::yardstick;
use crate::workload::scenario::Scenario;

/// Version of the `results.json` layout.
pub const RESULTS_FORMAT: u32 = 1;

/// Request and record latency, milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySection {
    /// One entry per request attempt (throttled and failed attempts included).
    pub requests: Percentiles,
    /// One entry per record: ready to send -> item confirmed, waits and retries included.
    pub records: Percentiles,
}

/// Wall-clock facts that differ between identical runs (excluded from determinism checks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WallClock {
    /// When the run started (RFC 3339, local clock).
    pub started_at: String,
    /// Real time the harness spent on the run, milliseconds.
    pub wall_ms: f64,
    /// Real-clock runs only: client time per record not spent waiting for the simulated API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_overhead_per_record_ms: Option<f64>,
}

/// A run against the same records replayed with `mode = "batch"`: the issue's "API time
/// against `--mode batch` on the same records", measured, not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchComparison {
    /// API time of the batch-only replay.
    pub api_time_ms: f64,
    /// This run's API time over the batch-only replay's (below 1: this run was faster).
    pub ratio: f64,
}

impl BatchComparison {
    /// `run_ms` against a batch-only replay that took `batch_ms`.
    pub fn of(run_ms: f64, batch_ms: f64) -> Self {
        Self {
            api_time_ms: batch_ms,
            ratio: if batch_ms > 0.0 {
                crate::measure::latency::round3(run_ms / batch_ms)
            } else {
                0.0
            },
        }
    }
}

/// The figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    pub format: u32,
    pub name: String,
    pub seed: u64,
    /// Records in the workload.
    pub records: u64,
    /// API time per synced record (`api_time_ms / synced_records`; all records when none failed).
    pub per_record_ms: f64,
    /// Time from the first request to the end of the run, on the run's clock (virtual or real).
    pub api_time_ms: f64,
    /// Request attempts sent, as the engine reported them (observer events).
    pub requests: u64,
    /// Requests the simulator received (its own `requests_total`): an independent count that
    /// must equal `requests`.
    #[serde(default)]
    pub simulator_requests: u64,
    /// Attempts refused by a rate limit.
    pub throttled: u64,
    /// `throttled / requests`.
    pub throttled_share: f64,
    /// Attempts after the first of the same request.
    pub retries: u64,
    /// Requests refused with 423 because another write to the board was in flight.
    #[serde(default)]
    pub locked: u64,
    /// Records the sync reported as failed.
    pub failed_records: u64,
    /// Records synced (`records - failed_records`): the records efficiency is computed over.
    #[serde(default)]
    pub synced_records: u64,
    /// Board items that share a key with another item.
    pub duplicates: u64,
    /// Records whose key is not on the board after the run.
    pub lost_records: u64,
    /// Items on the board after the run.
    pub items_on_board: u64,
    /// `ceiling / api_time_ms`, the ceiling taken over the synced records only (0 when none
    /// synced), of the best plan over the paths the sync's mode may take
    /// ([`crate::model::yardstick`]; which plan: `efficiency_plan`). Can exceed 1 only when round trips
    /// beat the profile's median (see `ceiling`).
    pub efficiency: f64,
    /// The plan `efficiency` is measured against: `batch`, `bulk` or `mixed`.
    #[serde(default)]
    pub efficiency_plan: PlanKind,
    /// Against the `create_item`-batches-only ceiling (`ceiling.ceiling_ms`), whatever the mode.
    #[serde(default)]
    pub efficiency_vs_batch: f64,
    /// Against the best plan over every path the simulator serves (`ceiling.best_plan`).
    #[serde(default)]
    pub efficiency_vs_best: f64,
    /// `floor_ms / api_time_ms`: against a true lower bound, never above 1.
    #[serde(default)]
    pub efficiency_vs_floor: f64,
    pub ceiling: Ceiling,
    /// CPU-clock runs: microseconds of client CPU per record (minimum over the repetitions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu_us_per_record: Option<f64>,
    /// CPU-clock runs: every repetition and the replay's misses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu: Option<ClientCpu>,
    /// The sync's log events at ERROR/WARN/INFO during the run (when the process counts them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_events: Option<LogCounts>,
    /// `log_events / records`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_events_per_record: Option<LogCounts>,
    pub latency: LatencySection,
    /// Per-second throughput, in-flight requests, 429s and budget remaining.
    pub timeline: Vec<TimelinePoint>,
    /// The full scenario (workload, simulator, clock, overrides).
    pub scenario: Scenario,
    /// The effective sync config TOML after overrides.
    pub sync_config_toml: String,
    /// The engine's own `RunSummary` (phases, failures, per customer).
    pub sync_summary: serde_json::Value,
    /// The simulator's `stats()` after the run.
    pub simulator_stats: serde_json::Value,
    pub wall_clock: WallClock,
    /// The bulk-import path, in the simulator's own word (job starts, uploads, polls, jobs by
    /// state, rows by outcome, each job's timeline); absent when the run never used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk: Option<crate::measure::bulk::BulkActivity>,
    /// Set when the scenario ran over several seeds ([`crate::replay::repeats`]): these results are the
    /// median run's, and this holds every run's figures and the worst correctness counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeats: Option<Repeats>,
    /// Virtual-clock runs: the retried writes in the simulator's request log and how many were
    /// not keyed like their first attempt ([`crate::measure::retry_keys`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_keys: Option<RetryKeys>,
    /// `monday-perf run` of a run that may take jobs: the same records replayed with
    /// `mode = "batch"` (`--no-batch-comparison` skips it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_batch_run: Option<BatchComparison>,
    /// CPU runs with `cpu_growth_records`: client CPU per record at both sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu_growth: Option<CpuGrowth>,
    /// CPU runs with `cpu_over_http`: client CPU over the real HTTP transport.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_cpu: Option<HttpCpu>,
    /// Runs with `state_file`: what the state store's durability cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_store: Option<StateCost>,
    /// Foreign-client runs (`--client-cmd`): the figures the machine's load cannot move (API
    /// busy time, records per request, the client's CPU time; [`crate::measure::client_pace`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_pace: Option<crate::measure::client_pace::ClientPace>,
}

/// What the state store's durability cost in one run (`state_file` scenarios).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateCost {
    /// SQLite commits (its commit hook) and the syncs they imply (the sync's run summary).
    pub durability: monday_sync::state::Durability,
    pub commits_per_1000_records: f64,
    pub syncs_per_1000_records: f64,
}

impl StateCost {
    /// The cost of `d` over `records` records.
    pub fn of(d: monday_sync::state::Durability, records: u64) -> Self {
        let per =
            |n: u64| crate::measure::latency::round3(n as f64 * 1000.0 / records.max(1) as f64);
        Self {
            commits_per_1000_records: per(d.commits),
            syncs_per_1000_records: per(d.syncs),
            durability: d,
        }
    }
}

/// A scenario replayed over consecutive seeds (`repeats = K` in a scenario, `--repeats K`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repeats {
    /// The seeds run, in order: the scenario's seed, then the next `K - 1`.
    pub seeds: Vec<u64>,
    /// Per-record time of each run, in seed order.
    pub per_record_ms: Vec<f64>,
    /// Efficiency of each run, in seed order.
    pub efficiency: Vec<f64>,
    /// The run these results are: the one with the median per-record time.
    pub median_seed: u64,
    /// The worst of every run's correctness counters (the gate checks these, not the median's).
    pub worst: Correctness,
}

/// The counters that must be zero in every run, not only in a typical one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correctness {
    pub failed_records: u64,
    pub locked: u64,
    pub duplicates: u64,
    pub lost_records: u64,
    /// |requests the engine counted - requests the simulator saw|.
    pub request_count_mismatch: u64,
    /// Retried writes not keyed (or shaped) like their first attempt ([`crate::measure::retry_keys`]).
    #[serde(default)]
    pub retry_key_changes: u64,
}

impl Correctness {
    /// The counters of one run.
    pub fn of(r: &RunResults) -> Self {
        Self {
            failed_records: r.failed_records,
            locked: r.locked,
            duplicates: r.duplicates,
            lost_records: r.lost_records,
            request_count_mismatch: r.simulator_requests.abs_diff(r.requests),
            retry_key_changes: r.retry_keys.map_or(0, |k| k.changes()),
        }
    }

    /// The larger of each counter.
    pub fn worst(self, other: Self) -> Self {
        Self {
            failed_records: self.failed_records.max(other.failed_records),
            locked: self.locked.max(other.locked),
            duplicates: self.duplicates.max(other.duplicates),
            lost_records: self.lost_records.max(other.lost_records),
            request_count_mismatch: self
                .request_count_mismatch
                .max(other.request_count_mismatch),
            retry_key_changes: self.retry_key_changes.max(other.retry_key_changes),
        }
    }
}

/// API time per synced record, like efficiency: a run whose records failed did not sync them,
/// so its time is not spread over them (the report says first that records failed).
fn per_synced_record_ms(api_time_ms: f64, records: u64, failed: u64) -> f64 {
    round3(api_time_ms / records.saturating_sub(failed).max(1) as f64)
}

/// What a run measured, whoever drove it (the sync in [`crate::replay::run`], a foreign client in
/// [`crate::replay::client_cmd`]): the inputs of [`RunResults::new`].
pub struct Measured<'a> {
    pub scenario: &'a Scenario,
    /// Records in the workload.
    pub records: u64,
    /// Records the client reported as failed (their time still counts; they are not synced).
    pub failed_records: u64,
    /// Records that made it: the records efficiency is computed over.
    pub synced_records: u64,
    pub api_time_ms: f64,
    /// The requests, records and timeline the run's observer recorded.
    pub measurements: &'a Measurements,
    /// The simulator's own request count and stats.
    pub simulator_requests: u64,
    pub simulator_stats: serde_json::Value,
    /// Writes refused with 423.
    pub locked: u64,
    /// The board after the run: `(items on board, duplicate items, lost records)`.
    pub board: (u64, u64, u64),
    /// The ceiling of the synced records, and the run measured against it.
    pub ceiling: Ceiling,
    pub against: yardstick::Measured,
    pub sync_config_toml: String,
    pub sync_summary: serde_json::Value,
    pub wall_clock: WallClock,
}

impl RunResults {
    /// Folds in a second run of the same scenario for the figures timed by CPU clock (client
    /// CPU, its growth, over HTTP, a foreign client's CPU): each keeps the lower of the two.
    /// Interference from other processes only ever adds CPU time, so a figure that is over its
    /// limit because the machine was busy comes down on a second run, and a real regression
    /// does not. Every other figure stays the first run's.
    pub fn keep_lower_cpu(&mut self, other: &RunResults) {
        if let (Some(a), Some(b)) = (self.client_cpu.as_mut(), other.client_cpu.as_ref()) {
            a.keep_lower(b);
            self.client_cpu_us_per_record = Some(a.us_per_record);
        }
        if let (Some(a), Some(b)) = (
            self.client_cpu_growth.as_mut(),
            other.client_cpu_growth.as_ref(),
        ) {
            a.keep_lower(b);
        }
        if let (Some(a), Some(b)) = (self.http_cpu.as_mut(), other.http_cpu.as_ref()) {
            a.keep_lower(b);
        }
        if let (Some(a), Some(b)) = (self.client_pace.as_mut(), other.client_pace.as_ref()) {
            a.keep_lower_cpu(b);
        }
    }

    /// The one constructor of a run's results: the derived figures (time per synced record,
    /// throttled share, the four efficiencies, 0 when nothing synced, latency percentiles and
    /// the timeline) are computed here and nowhere else. What only some runs measure (client
    /// CPU, log events, bulk activity, retried writes, state store, repeats) starts absent;
    /// the caller sets it.
    pub fn new(m: Measured<'_>) -> Self {
        let obs = m.measurements;
        let (items_on_board, duplicates, lost_records) = m.board;
        let api_time_ms = m.api_time_ms;
        let synced = |e: f64| if m.synced_records == 0 { 0.0 } else { e };
        let throttled_share = if obs.request_count == 0 {
            0.0
        } else {
            (obs.throttled as f64 / obs.request_count as f64 * 10_000.0).round() / 10_000.0
        };
        Self {
            format: RESULTS_FORMAT,
            name: m.scenario.name.clone(),
            seed: m.scenario.seed,
            records: m.records,
            per_record_ms: per_synced_record_ms(api_time_ms, m.records, m.failed_records),
            api_time_ms,
            requests: obs.request_count,
            simulator_requests: m.simulator_requests,
            throttled: obs.throttled,
            throttled_share,
            retries: obs.retries,
            locked: m.locked,
            failed_records: m.failed_records,
            synced_records: m.synced_records,
            duplicates,
            lost_records,
            items_on_board,
            efficiency: synced(m.against.efficiency),
            efficiency_plan: m.against.plan,
            efficiency_vs_batch: synced(m.against.vs_batch),
            efficiency_vs_best: synced(m.against.vs_best),
            efficiency_vs_floor: synced(efficiency(m.ceiling.floor_ms, api_time_ms)),
            ceiling: m.ceiling,
            client_cpu_us_per_record: None,
            client_cpu: None,
            log_events: None,
            log_events_per_record: None,
            latency: LatencySection {
                requests: obs.requests.summary(),
                records: obs.records.summary(),
            },
            timeline: obs.timeline.points(),
            scenario: m.scenario.clone(),
            sync_config_toml: m.sync_config_toml,
            sync_summary: m.sync_summary,
            simulator_stats: m.simulator_stats,
            wall_clock: m.wall_clock,
            bulk: None,
            repeats: None,
            retry_keys: None,
            vs_batch_run: None,
            client_cpu_growth: None,
            http_cpu: None,
            state_store: None,
            client_pace: None,
        }
    }

    /// The correctness counters the gate checks: the worst over every seed of a repeated
    /// scenario, this run's otherwise.
    pub fn correctness(&self) -> Correctness {
        let own = Correctness::of(self);
        match &self.repeats {
            Some(r) => own.worst(r.worst),
            None => own,
        }
    }

    /// Which write path the run took, in the simulator's word: `batches only`, or the rows the
    /// jobs wrote (and how many jobs, polls) beside the batches.
    pub fn path_taken(&self) -> String {
        let Some(b) = self.bulk.as_ref().filter(|b| b.counts.used_jobs()) else {
            return "batches only (create_item)".into();
        };
        let c = &b.counts;
        let rows = c.rows("created") + c.rows("updated");
        let rest = self.synced_records.saturating_sub(rows);
        format!(
            "jobs for {rows} of {} records ({} jobs, {} starts, {} uploads, {} polls, {} label updates){}",
            self.records,
            c.jobs_total(),
            c.ingest_starts,
            c.uploads,
            c.job_polls,
            c.label_requests,
            if rest > 0 {
                format!(", batches for {rest}")
            } else {
                String::new()
            }
        )
    }

    /// A copy with every wall-clock field cleared (for determinism comparisons).
    pub fn without_wall_clock(&self) -> Self {
        let mut copy = self.clone();
        copy.wall_clock = WallClock::default();
        if let Some(obj) = copy.sync_summary.as_object_mut() {
            obj.remove("wall_ms");
        }
        copy
    }

    /// Writes `results.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join("results.json");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| PerfError::json("serialise results", e))?;
        std::fs::write(&path, text + "\n").map_err(|e| PerfError::io("write", &path, e))
    }

    /// The summary table printed at the end of `monday-perf run`.
    pub fn table(&self) -> String {
        use crate::textfmt::fmt_num;
        let l = &self.latency;
        let worst = self.correctness();
        let rows = [
            // Failures first (the worst over every seed of a repeated scenario): a run's other
            // figures mean little until these are zero.
            ("failed records", worst.failed_records.to_string()),
            ("duplicates", worst.duplicates.to_string()),
            ("lost records", worst.lost_records.to_string()),
            ("records", self.records.to_string()),
            ("synced records", self.synced_records.to_string()),
            ("per record", format!("{} ms", fmt_num(self.per_record_ms))),
            ("API time", format!("{} ms", fmt_num(self.api_time_ms))),
            ("requests", self.requests.to_string()),
            (
                "throttled",
                format!("{} ({:.2}%)", self.throttled, self.throttled_share * 100.0),
            ),
            ("retries", self.retries.to_string()),
            ("simulator requests", self.simulator_requests.to_string()),
            (
                "ceiling",
                format!(
                    "{} ms ({}-bound)",
                    fmt_num(self.ceiling.ceiling_ms),
                    self.ceiling.binding
                ),
            ),
            (
                "best plan",
                match &self.ceiling.best_plan {
                    Some(b) => format!(
                        "{} {} ms (batches {} ms, jobs {} ms, mixed {} ms; jobs win from {} records{})",
                        b.plan.as_str(),
                        fmt_num(b.best_ms),
                        fmt_num(b.batch_ms),
                        fmt_num(b.bulk_ms),
                        fmt_num(b.mixed_ms),
                        b.crossover_records
                            .map_or_else(|| "no count searched".to_string(), |n| n.to_string()),
                        match self.ceiling.inputs.batch_only() {
                            0 => String::new(),
                            n => format!(
                                "; {n} records a CSV row cannot carry go as batches in every plan"
                            ),
                        }
                    ),
                    None => "batch (the bulk path is not served to this API version)".into(),
                },
            ),
            ("path taken", self.path_taken()),
            (
                "vs --mode batch, same records",
                match self.vs_batch_run {
                    Some(c) => format!(
                        "{}x its time ({} ms measured with mode = \"batch\": {}x faster here)",
                        fmt_num(c.ratio),
                        fmt_num(c.api_time_ms),
                        fmt_num(if self.api_time_ms > 0.0 {
                            (c.api_time_ms / self.api_time_ms * 1000.0).round() / 1000.0
                        } else {
                            0.0
                        })
                    ),
                    None => "not replayed (a batch-only run, or --no-batch-comparison)".into(),
                },
            ),
            (
                "vs the batch-only ceiling",
                if self.ceiling.ceiling_ms > 0.0 {
                    format!(
                        "{}x its time ({} ms for batches alone at best)",
                        fmt_num(crate::measure::latency::round3(
                            self.api_time_ms / self.ceiling.ceiling_ms
                        )),
                        fmt_num(self.ceiling.ceiling_ms)
                    )
                } else {
                    "no ceiling".into()
                },
            ),
            (
                "efficiency (synced records)",
                format!(
                    "{} vs the {} plan (vs batches alone {}, vs the best plan {}, vs the hard floor {} ms: {})",
                    fmt_num(self.efficiency),
                    self.efficiency_plan.as_str(),
                    fmt_num(self.efficiency_vs_batch),
                    fmt_num(self.efficiency_vs_best),
                    fmt_num(self.ceiling.floor_ms),
                    fmt_num(self.efficiency_vs_floor)
                ),
            ),
            (
                "client CPU per record",
                self.client_cpu_us_per_record
                    .map(|v| format!("{} us", fmt_num(v)))
                    .unwrap_or_else(|| "not measured (cpu clock only)".into()),
            ),
            (
                "log events per record",
                self.log_events_per_record
                    .map(|l| {
                        format!(
                            "error {} / warn {} / info {}",
                            fmt_num(l.error),
                            fmt_num(l.warn),
                            fmt_num(l.info)
                        )
                    })
                    .unwrap_or_else(|| "not counted".into()),
            ),
            (
                "record p50/p90/p99/p99.9/max",
                format!(
                    "{} / {} / {} / {} / {} ms",
                    fmt_num(l.records.p50),
                    fmt_num(l.records.p90),
                    fmt_num(l.records.p99),
                    fmt_num(l.records.p999),
                    fmt_num(l.records.max)
                ),
            ),
            (
                "request p50/p90/p99/p99.9/max",
                format!(
                    "{} / {} / {} / {} / {} ms",
                    fmt_num(l.requests.p50),
                    fmt_num(l.requests.p90),
                    fmt_num(l.requests.p99),
                    fmt_num(l.requests.p999),
                    fmt_num(l.requests.max)
                ),
            ),
            ("seed", self.seed_description()),
            (
                "wall time",
                format!("{} ms", fmt_num(self.wall_clock.wall_ms)),
            ),
        ];
        let mut out = String::new();
        for (k, v) in rows {
            out.push_str(&format!("{k:<30} {v}\n"));
        }
        out
    }

    /// The seed, and for a repeated scenario which seeds ran and how far their figures spread.
    pub fn seed_description(&self) -> String {
        use crate::textfmt::fmt_num;
        let Some(r) = &self.repeats else {
            return self.seed.to_string();
        };
        let spread = |v: &[f64]| {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("{}-{}", fmt_num(lo), fmt_num(hi))
        };
        format!(
            "{} (median run of {} seeds, {} to {}: per record {} ms, efficiency {})",
            self.seed,
            r.seeds.len(),
            r.seeds.first().copied().unwrap_or(self.seed),
            r.seeds.last().copied().unwrap_or(self.seed),
            spread(&r.per_record_ms),
            spread(&r.efficiency)
        )
    }

    /// Reads a `results.json`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| PerfError::io("read", path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| PerfError::json(format!("parse {}", path.display()), e))
    }
}

/// A small, fully populated result for unit tests of the gate, reports and writers.
#[cfg(test)]
pub(crate) fn sample_results() -> RunResults {
    use crate::model::ceiling::{CeilingInputs, LatencyModel};
    use std::time::Duration;
    let mut records = crate::measure::latency::LatencyHistogram::new();
    let mut timeline = crate::measure::timeline::TimelineRecorder::new();
    for i in 0..200u64 {
        records.record(Duration::from_millis(200 + i * 7));
        timeline.request(
            Duration::from_millis(i * 40),
            Duration::from_millis(i * 40 + 300),
            i % 50 == 0,
            Some(10_000_000 - i * 30_000),
        );
        timeline.record_confirmed(Duration::from_millis(i * 40 + 300));
    }
    let ceiling = CeilingInputs {
        records: 200,
        groups: 5,
        mutation_cost: 30_000,
        read_cost: 1_000,
        read_round_trips: 1,
        budget_per_window: 10_000_000,
        window: Duration::from_secs(60),
        max_complexity_per_request: 5_000_000,
        max_concurrency: 100,
        write_concurrency: 0,
        requests_per_minute: 2_500,
        latency: LatencyModel {
            base: Duration::from_millis(150),
            per_mutation: Duration::from_millis(20),
        },
        batch_only_records: 0,
    }
    .ceiling();
    RunResults {
        format: RESULTS_FORMAT,
        name: "sample".into(),
        seed: 7,
        records: 200,
        per_record_ms: 41.5,
        api_time_ms: 8_300.0,
        requests: 12,
        simulator_requests: 12,
        throttled: 1,
        throttled_share: 0.0833,
        retries: 1,
        locked: 0,
        failed_records: 0,
        synced_records: 200,
        duplicates: 0,
        lost_records: 0,
        items_on_board: 200,
        efficiency: crate::model::ceiling::efficiency(ceiling.ceiling_ms, 8_300.0),
        efficiency_plan: PlanKind::Batch,
        efficiency_vs_batch: crate::model::ceiling::efficiency(ceiling.ceiling_ms, 8_300.0),
        efficiency_vs_best: crate::model::ceiling::efficiency(ceiling.ceiling_ms, 8_300.0),
        efficiency_vs_floor: crate::model::ceiling::efficiency(ceiling.floor_ms, 8_300.0),
        ceiling,
        client_cpu_us_per_record: Some(4.2),
        client_cpu: None,
        log_events: None,
        log_events_per_record: Some(LogCounts {
            error: 0.0,
            warn: 0.0,
            info: 0.04,
        }),
        latency: LatencySection {
            requests: records.summary(),
            records: records.summary(),
        },
        timeline: timeline.points(),
        scenario: Scenario::default(),
        sync_config_toml: "[sync]\nbatch_size = 25\n".into(),
        sync_summary: serde_json::json!({"records": 200, "phases": {"read_ms": 1.0, "transform_ms": 2.5,
            "send_ms": 8000.0, "wait_ms": 250.0, "state_ms": 0.0, "report_ms": 1.0}}),
        simulator_stats: serde_json::json!({"requests_total": 12}),
        wall_clock: WallClock {
            started_at: "2026-01-01T00:00:00+00:00".into(),
            wall_ms: 12.0,
            client_overhead_per_record_ms: None,
        },
        repeats: None,
        bulk: None,
        retry_keys: None,
        vs_batch_run: None,
        client_cpu_growth: None,
        http_cpu: None,
        state_store: None,
        client_pace: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured<'a>(
        scenario: &'a Scenario,
        obs: &'a Measurements,
        failed: u64,
        synced: u64,
    ) -> Measured<'a> {
        let ceiling = sample_results().ceiling;
        let against = yardstick::measure(&ceiling, monday_sync::config::Mode::Batch, 8_300.0);
        Measured {
            scenario,
            records: 200,
            failed_records: failed,
            synced_records: synced,
            api_time_ms: 8_300.0,
            measurements: obs,
            simulator_requests: 12,
            simulator_stats: serde_json::json!({"requests_total": 12}),
            locked: 0,
            board: (200, 1, 2),
            ceiling,
            against,
            sync_config_toml: String::new(),
            sync_summary: serde_json::Value::Null,
            wall_clock: WallClock::default(),
        }
    }

    /// The best-plan line and results.json carry the records a CSV row cannot carry.
    #[test]
    fn the_best_plan_names_the_records_a_row_cannot_carry() {
        let mut r = sample_results();
        let bulk = crate::model::ceiling::BulkInputs::realistic();
        r.ceiling = r.ceiling.inputs.clone().ceiling_with(Some(&bulk));
        assert!(!r.table().contains("cannot carry"), "{}", r.table());
        r.ceiling = r
            .ceiling
            .inputs
            .clone()
            .with_batch_only_records(40)
            .ceiling_with(Some(&bulk));
        let table = r.table();
        assert!(
            table.contains("; 40 records a CSV row cannot carry go as batches in every plan)"),
            "{table}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["ceiling"]["inputs"]["batch_only_records"], 40);
        // Results written before the field existed read as none.
        let mut old = json.clone();
        if let Some(inputs) = old["ceiling"]["inputs"].as_object_mut() {
            inputs.remove("batch_only_records");
        }
        let back: RunResults = serde_json::from_value(old).unwrap();
        assert_eq!(back.ceiling.inputs.batch_only_records, 0);
    }

    #[test]
    fn a_second_run_lowers_only_the_cpu_figures() {
        let cpu = |us: f64| ClientCpu {
            us_per_record: us,
            repetitions_us_per_record: vec![us],
            misses: 0,
        };
        let http = |us: f64| HttpCpu {
            us_per_request: us * 2.0,
            us_per_record: us,
            requests: 10,
            repetitions_us_per_record: vec![us],
        };
        let mut first = sample_results();
        first.client_cpu = Some(cpu(28.8));
        first.client_cpu_us_per_record = Some(28.8);
        first.http_cpu = Some(http(300.0));
        first.client_cpu_growth = Some(CpuGrowth::between((800, &cpu(10.0)), (8000, &cpu(40.0))));
        let mut second = sample_results();
        second.per_record_ms = 99.0;
        second.requests = 99;
        second.client_cpu = Some(cpu(11.3));
        second.http_cpu = Some(http(170.0));
        second.client_cpu_growth = Some(CpuGrowth::between((800, &cpu(12.0)), (8000, &cpu(13.0))));
        first.keep_lower_cpu(&second);
        assert_eq!(first.client_cpu_us_per_record, Some(11.3));
        assert_eq!(
            first.client_cpu.as_ref().unwrap().repetitions_us_per_record,
            vec![28.8, 11.3]
        );
        let h = first.http_cpu.as_ref().unwrap();
        assert_eq!((h.us_per_request, h.us_per_record), (340.0, 170.0));
        let g = first.client_cpu_growth.as_ref().unwrap();
        assert_eq!(
            (g.small_us_per_record, g.large_us_per_record, g.ratio),
            (10.0, 13.0, 1.3)
        );
        assert_eq!(
            (first.per_record_ms, first.requests),
            (41.5, 12),
            "the rest is the first run's"
        );

        // A higher second run changes nothing.
        let before = first.client_cpu_us_per_record;
        let mut worse = sample_results();
        worse.client_cpu = Some(cpu(50.0));
        first.keep_lower_cpu(&worse);
        assert_eq!(first.client_cpu_us_per_record, before);
    }

    #[test]
    fn per_record_time_counts_the_synced_records() {
        // 20,000 records into a 10,000-item board: half fail; the time is the synced half's.
        assert_eq!(per_synced_record_ms(1_818_000.0, 20_000, 10_000), 181.8);
        assert_eq!(per_synced_record_ms(1_818_000.0, 20_000, 0), 90.9);
        assert_eq!(
            per_synced_record_ms(500.0, 10, 10),
            500.0,
            "none synced: no division by 0"
        );
    }

    #[test]
    fn the_constructor_derives_every_figure_once() {
        let scenario = Scenario::default();
        let mut obs = Measurements::empty();
        (obs.request_count, obs.throttled, obs.retries) = (12, 1, 3);
        let r = RunResults::new(measured(&scenario, &obs, 100, 100));
        assert_eq!(
            (r.per_record_ms, r.requests, r.throttled_share, r.retries),
            (83.0, 12, 0.0833, 3)
        );
        assert_eq!(
            (r.items_on_board, r.duplicates, r.lost_records),
            (200, 1, 2)
        );
        assert_eq!((r.name.as_str(), r.seed), ("run", scenario.seed));
        assert!(r.efficiency > 0.0 && r.efficiency_vs_floor > 0.0);
        assert_eq!(r.efficiency_plan, PlanKind::Batch);
        assert!(r.bulk.is_none() && r.client_cpu.is_none() && r.repeats.is_none());
        // Nothing synced: no efficiency to speak of, and no division by zero requests.
        let none = RunResults::new(measured(&scenario, &Measurements::empty(), 200, 0));
        assert_eq!(
            (
                none.efficiency,
                none.efficiency_vs_batch,
                none.efficiency_vs_best,
                none.efficiency_vs_floor,
                none.throttled_share
            ),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
    }
}
