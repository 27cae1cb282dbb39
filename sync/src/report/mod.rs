//! The run summary (JSON + text table), per-customer reports (CSV + Markdown) and the failures file,
//! plus [`PhaseTimer`], which partitions the run's wall time into phases.
//!
//! Phases are measured on the engine's coordinator — the one task that reads, transforms, keeps state
//! and hands batches to senders — so they never overlap: at every instant the coordinator is in
//! exactly one phase, and the phases add up to `wall_ms`. Time the coordinator spends blocked on
//! senders is `send`, except the part during which every sender was waiting on API limits with no
//! request in flight, which is `wait` (see [`crate::api::pacing::Activity`]). `report` covers building and
//! writing the report files except the final `summary.json` write.

pub(crate) mod progress;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::error::SyncError;
use crate::mapping::transform::RecordFailure;

/// Time per phase, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Phases {
    pub read_ms: f64,
    pub transform_ms: f64,
    pub send_ms: f64,
    pub wait_ms: f64,
    pub state_ms: f64,
    pub report_ms: f64,
}

impl Phases {
    pub fn total_ms(&self) -> f64 {
        self.read_ms
            + self.transform_ms
            + self.send_ms
            + self.wait_ms
            + self.state_ms
            + self.report_ms
    }
}

/// A phase of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Read = 0,
    Transform = 1,
    Send = 2,
    Wait = 3,
    State = 4,
    Report = 5,
}

/// Accumulates time per phase; switching phases closes the current interval.
#[derive(Debug)]
pub struct PhaseTimer {
    start: Instant,
    current: Phase,
    since: Instant,
    totals: [Duration; 6],
}

impl PhaseTimer {
    pub fn new(phase: Phase) -> Self {
        let now = Instant::now();
        PhaseTimer {
            start: now,
            current: phase,
            since: now,
            totals: [Duration::ZERO; 6],
        }
    }

    /// Enter `phase` now; returns the previous phase.
    pub fn switch(&mut self, phase: Phase) -> Phase {
        let now = Instant::now();
        self.totals[self.current as usize] += now - self.since;
        self.since = now;
        std::mem::replace(&mut self.current, phase)
    }

    /// Move `d` (already counted) from one phase to another.
    pub fn reattribute(&mut self, from: Phase, to: Phase, d: Duration) {
        let d = d.min(self.totals[from as usize]);
        self.totals[from as usize] -= d;
        self.totals[to as usize] += d;
    }

    /// Close the current interval and return (phases, wall).
    pub fn finish(&mut self) -> (Phases, Duration) {
        let cur = self.current;
        self.switch(cur);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let t = &self.totals;
        (
            Phases {
                read_ms: ms(t[0]),
                transform_ms: ms(t[1]),
                send_ms: ms(t[2]),
                wait_ms: ms(t[3]),
                state_ms: ms(t[4]),
                report_ms: ms(t[5]),
            },
            self.since - self.start,
        )
    }
}

/// Per-customer counts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CustomerStats {
    pub records: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// Failures caused by status/dropdown labels missing on the board.
    pub label_errors: u64,
    /// The write path of this customer's group (`batch`, `ingest`, `batch+ingest`; empty when
    /// nothing was written).
    pub path: String,
}

/// The path one group took and why (`summary.json` → `plan`; the terminal's last lines).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct GroupPath {
    pub group: String,
    /// `batch` or `ingest`.
    pub path: String,
    pub records: u64,
    /// Estimated seconds for the group alone as batches and as jobs.
    pub est_batch_s: f64,
    pub est_ingest_s: f64,
    pub why: String,
}

/// What the bulk import path did (`summary.json` → `ingest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestSummary {
    /// Final state -> jobs (`ABANDONED`: the upload failed, the job never got its file).
    pub jobs_by_state: BTreeMap<String, u64>,
    /// `submitted`, `invalid`, `skipped`, `created`, `updated`, `failed` over every job.
    pub rows_by_outcome: BTreeMap<String, u64>,
    pub bytes_uploaded: u64,
    /// Time from the uploads until their jobs were seen final.
    pub processing_wait_ms: f64,
    pub polls: u64,
    /// What the run's jobs measured: rows per second of processing, seconds before it started.
    pub measured_rows_per_s: Option<f64>,
    pub measured_start_delay_s: Option<f64>,
    /// Records that went to the batch path after a job could not take them.
    pub sent_as_batches: u64,
    /// Plan revisions made from measured rates.
    pub replans: u64,
    /// Column id -> the labels added to it before the jobs (one request per column).
    pub labels_added: BTreeMap<String, Vec<String>>,
}

impl IngestSummary {
    /// Add one job chunk's counts (its jobs by state, rows by outcome, bytes, waits and polls).
    pub(crate) fn absorb(&mut self, chunk: &IngestSummary) {
        for (k, v) in &chunk.jobs_by_state {
            *self.jobs_by_state.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &chunk.rows_by_outcome {
            *self.rows_by_outcome.entry(k.clone()).or_default() += v;
        }
        self.bytes_uploaded += chunk.bytes_uploaded;
        self.processing_wait_ms += chunk.processing_wait_ms;
        self.polls += chunk.polls;
    }
}

/// The run summary (docs/interfaces.md).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub records: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    /// Answers 423 "Resource is currently locked" that were waited out (never failures).
    pub locked: u64,
    /// Records not placed because the board is full (also in `failed` and `failures`).
    pub board_full: u64,
    pub per_record_ms: f64,
    pub wall_ms: f64,
    pub phases: Phases,
    pub failures: Vec<RecordFailure>,
    pub per_customer: BTreeMap<String, CustomerStats>,
    /// Records whose outcome stayed unknown after retries and reconciliation (exit code 3).
    pub unresolved: u64,
    pub dry_run: bool,
    /// Batches planned (dry run) or sent.
    pub batches: u64,
    pub seed: u64,
    /// The run id mixed into this run's `Idempotency-Key`s (configured `sync.run_id`, or fresh).
    /// Setting `sync.run_id` to it (with the same seed) reproduces the run's keys exactly.
    pub run_id: String,
    /// The effective configuration (token excluded: it is never part of the config).
    pub config: serde_json::Value,
    /// The complexity budget per minute as the API reported it (None: never reported).
    pub complexity_budget: Option<u64>,
    /// Share of the wall time spent waiting on API limits (`phases.wait_ms / wall_ms`).
    pub wait_share: f64,
    /// The path each group took and why (empty when no plan was made: dry run or no writes).
    pub plan: Vec<GroupPath>,
    /// The bulk import path's figures (None when no job ran).
    pub ingest: Option<IngestSummary>,
    /// What the state file cost: SQLite commits and the syncs they imply (absent for a state
    /// kept in memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<crate::state::Durability>,
}

/// Below this share of the wall time spent waiting on limits, the summary says nothing about pace.
pub const PACE_NOTE_MIN_WAIT_SHARE: f64 = 0.10;

fn millions(points: u64) -> String {
    let m = points as f64 / 1e6;
    if m >= 1.0 && (m - m.round()).abs() < 0.05 {
        format!("{}M", m.round())
    } else if m >= 1.0 {
        format!("{m:.1}M")
    } else {
        format!("{}k", points / 1000)
    }
}

impl RunSummary {
    /// Share of the wall time spent waiting on API limits (0 when nothing ran).
    pub fn wait_share_of_wall(&self) -> f64 {
        if self.wall_ms > 0.0 {
            (self.phases.wait_ms / self.wall_ms).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// When waiting dominated: how much of the wall time went to the API's limits, the budget
    /// that set the pace, and what another plan or token kind would change (monday.com's published
    /// limits: personal tokens 10M points/min combined, 1M on trial/free/NGO accounts; app tokens
    /// 5M reads + 5M writes/min in separate buckets; plans raise request, concurrency and daily
    /// limits, not the complexity budget).
    pub fn pace_note(&self) -> Option<String> {
        let share = self.wait_share_of_wall();
        if share < PACE_NOTE_MIN_WAIT_SHARE || self.dry_run {
            return None;
        }
        let wait = Duration::from_secs_f64(self.phases.wait_ms / 1000.0);
        let wall = Duration::from_secs_f64(self.wall_ms / 1000.0);
        let mut s = format!(
            "{:.0}% of the wall time ({} of {}) was spent waiting on the API's limits, not on the sync",
            share * 100.0,
            crate::report::progress::fmt_duration(wait),
            crate::report::progress::fmt_duration(wall),
        );
        if self.throttled > 0 {
            let _ = write!(s, " ({} requests were refused with a 429)", self.throttled);
        }
        let Some(limit) = self.complexity_budget else {
            s.push('.');
            return Some(s);
        };
        let cost = self.config["sync"]["mutation_complexity"]
            .as_u64()
            .unwrap_or(0);
        let _ = write!(
            s,
            ".\nThe pace is set by the complexity budget: {} points/min on this token",
            millions(limit)
        );
        if cost > 0 {
            let _ = write!(
                s,
                "; at {} points per item that is at most {} items/min, whatever the client does",
                cost,
                limit / cost
            );
        }
        s.push_str(".\n");
        s.push_str(if limit <= 1_000_000 {
            "This is the trial/free/NGO budget (1M/min). A paid plan's personal token has 10M/min \
             (10x this pace); an app token has 5M writes/min in its own bucket (5x)."
        } else if limit < 10_000_000 {
            "An app token has 5M reads + 5M writes a minute in separate buckets; a personal token \
             on a paid plan has 10M/min for reads and writes together, about 2x this pace for a \
             write-only sync."
        } else {
            "Personal tokens get 10M/min on every paid plan, so a higher plan (Pro, Enterprise) does \
             not raise it: plans raise the request, concurrency and daily call limits. An app token \
             has 5M reads + 5M writes a minute in separate buckets: for a write-only sync, half \
             this pace."
        });
        Some(s)
    }

    /// Human-readable table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{:<16} {:>12}", "records", self.records);
        for (k, v) in [
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("failed", self.failed),
            ("requests", self.requests),
            ("retries", self.retries),
            ("throttled", self.throttled),
            ("locked", self.locked),
            ("board_full", self.board_full),
            ("batches", self.batches),
        ] {
            let _ = writeln!(s, "{k:<16} {v:>12}");
        }
        let _ = writeln!(s, "{:<16} {:>12.3}", "per_record_ms", self.per_record_ms);
        let _ = writeln!(s, "{:<16} {:>12.1}", "wall_ms", self.wall_ms);
        let p = &self.phases;
        for (k, v) in [
            ("  read_ms", p.read_ms),
            ("  transform_ms", p.transform_ms),
            ("  send_ms", p.send_ms),
            ("  wait_ms", p.wait_ms),
            ("  state_ms", p.state_ms),
            ("  report_ms", p.report_ms),
        ] {
            let _ = writeln!(s, "{k:<16} {v:>12.1}");
        }
        if let Some(i) = &self.ingest {
            let jobs: Vec<String> = i
                .jobs_by_state
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let rows: Vec<String> = i
                .rows_by_outcome
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(s, "{:<16} {}", "jobs", jobs.join(", "));
            let _ = writeln!(s, "{:<16} {}", "job rows", rows.join(", "));
            let _ = writeln!(s, "{:<16} {:>12}", "bytes_uploaded", i.bytes_uploaded);
            let _ = writeln!(s, "{:<16} {:>12.1}", "processing_ms", i.processing_wait_ms);
            let _ = writeln!(s, "{:<16} {:>12}", "polls", i.polls);
        }
        for line in self.path_lines() {
            let _ = writeln!(s, "{line}");
        }
        s
    }

    /// One line per group: the path it took and why, with both estimates.
    pub fn path_lines(&self) -> Vec<String> {
        self.plan
            .iter()
            .map(|g| {
                let name = if g.group.is_empty() {
                    "(board)"
                } else {
                    &g.group
                };
                format!(
                    "group {name}: {} ({} records; est. batches {:.0} s, jobs {:.0} s): {}",
                    g.path, g.records, g.est_batch_s, g.est_ingest_s, g.why
                )
            })
            .collect()
    }
}

fn csv_err(path: &Path, e: impl std::fmt::Display) -> SyncError {
    SyncError::Report {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Write customers.csv, customers.md and failures.csv into `dir`.
pub fn write_detail_reports(dir: &Path, summary: &RunSummary) -> Result<(), SyncError> {
    std::fs::create_dir_all(dir).map_err(|e| csv_err(dir, e))?;
    let path = dir.join("customers.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| csv_err(&path, e))?;
    w.write_record([
        "customer",
        "records",
        "created",
        "updated",
        "unchanged",
        "failed",
        "label_errors",
        "path",
    ])
    .map_err(|e| csv_err(&path, e))?;
    let mut md = String::from("| customer | records | created | updated | unchanged | failed | label errors | path |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (c, st) in &summary.per_customer {
        let nums = [
            st.records,
            st.created,
            st.updated,
            st.unchanged,
            st.failed,
            st.label_errors,
        ]
        .map(|n| n.to_string());
        let mut row = vec![c.clone()];
        row.extend(nums.iter().cloned());
        row.push(st.path.clone());
        w.write_record(&row).map_err(|e| csv_err(&path, e))?;
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            md_cell(c),
            nums.join(" | "),
            md_cell(&st.path)
        );
    }
    w.flush().map_err(|e| csv_err(&path, e))?;
    let path = dir.join("customers.md");
    std::fs::write(&path, md).map_err(|e| csv_err(&path, e))?;

    let path = dir.join("failures.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| csv_err(&path, e))?;
    w.write_record(["line", "key", "field", "reason"])
        .map_err(|e| csv_err(&path, e))?;
    for f in &summary.failures {
        w.write_record([
            f.line.to_string(),
            f.key.clone().unwrap_or_default(),
            f.field.clone(),
            f.reason.clone(),
        ])
        .map_err(|e| csv_err(&path, e))?;
    }
    w.flush().map_err(|e| csv_err(&path, e))?;
    Ok(())
}

/// Write summary.json and summary.txt (the table and the pace note) into `dir`, from the same
/// finished summary (so the two always agree: wall time, per-record time and phases included).
pub fn write_summary(dir: &Path, summary: &RunSummary) -> Result<(), SyncError> {
    std::fs::create_dir_all(dir).map_err(|e| csv_err(dir, e))?;
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(summary).map_err(|e| csv_err(&path, e))?;
    std::fs::write(&path, text).map_err(|e| csv_err(&path, e))?;
    let path = dir.join("summary.txt");
    let mut text = summary.table();
    if let Some(note) = summary.pace_note() {
        let _ = writeln!(text, "\n{note}");
    }
    std::fs::write(&path, text).map_err(|e| csv_err(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn phases_partition_wall_time() {
        let mut t = PhaseTimer::new(Phase::Read);
        tokio::time::sleep(Duration::from_millis(10)).await;
        t.switch(Phase::Send);
        tokio::time::sleep(Duration::from_millis(30)).await;
        t.switch(Phase::Report);
        t.reattribute(Phase::Send, Phase::Wait, Duration::from_millis(20));
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (p, wall) = t.finish();
        assert_eq!(p.read_ms, 10.0);
        assert_eq!(p.send_ms, 10.0);
        assert_eq!(p.wait_ms, 20.0);
        assert_eq!(p.report_ms, 5.0);
        assert_eq!(p.total_ms(), wall.as_secs_f64() * 1000.0);
    }

    #[test]
    fn reports_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = RunSummary {
            records: 2,
            failed: 1,
            ..Default::default()
        };
        s.failures.push(RecordFailure::new(
            7,
            Some("K, \"7\""),
            "order_date",
            crate::mapping::transform::FailureCause::Invalid,
            "bad date",
        ));
        s.per_customer.insert(
            "Acme | Co".into(),
            CustomerStats {
                records: 2,
                failed: 1,
                ..Default::default()
            },
        );
        s.wall_ms = 1234.5;
        s.per_record_ms = 617.25;
        s.phases.send_ms = 1000.0;
        write_detail_reports(dir.path(), &s).unwrap();
        write_summary(dir.path(), &s).unwrap();
        // summary.txt carries the same figures as summary.json.
        let txt = std::fs::read_to_string(dir.path().join("summary.txt")).unwrap();
        assert!(txt.contains("617.250"), "{txt}");
        assert!(txt.contains("1234.5"), "{txt}");
        assert!(txt.contains("1000.0"), "{txt}");
        let f = std::fs::read_to_string(dir.path().join("failures.csv")).unwrap();
        assert!(f.contains("7,\"K, \"\"7\"\"\",order_date,bad date"), "{f}");
        let md = std::fs::read_to_string(dir.path().join("customers.md")).unwrap();
        assert!(md.contains("| Acme \\| Co | 2 |"));
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("summary.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(j["failed"], 1);
    }

    #[test]
    fn pace_note_names_the_wait_share_and_what_the_budget_allows() {
        let mut s = RunSummary {
            wall_ms: 900_000.0,
            complexity_budget: Some(10_000_000),
            config: serde_json::json!({"sync": {"mutation_complexity": 30_000}}),
            ..Default::default()
        };
        s.phases.wait_ms = 702_000.0;
        let note = s.pace_note().expect("a note when waiting dominates");
        assert!(
            note.starts_with(
                "78% of the wall time (11m 42s of 15m 00s) was spent waiting on the API's limits"
            ),
            "{note}"
        );
        assert!(
            note.contains("10M points/min on this token; at 30000 points per item that is at most 333 items/min"),
            "{note}"
        );
        assert!(note.contains("5M reads + 5M writes"), "{note}");
        assert!(note.contains("does not raise it"), "{note}");
        s.complexity_budget = Some(1_000_000);
        let note = s.pace_note().unwrap();
        assert!(note.contains("trial/free/NGO budget"), "{note}");
        assert!(note.contains("at most 33 items/min"), "{note}");
        s.phases.wait_ms = 45_000.0;
        assert_eq!(s.pace_note(), None, "5% waiting is not worth a note");
    }
}
