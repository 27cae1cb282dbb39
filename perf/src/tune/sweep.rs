//! The batch-size × concurrency (× write concurrency) sweep (`monday-perf sweep`): run the grid on
//! the virtual clock, write `sweep.json` and `sweep.html` (heatmaps of per-record time and
//! efficiency at the recommended write concurrency, and the full table) and recommend the cheapest
//! setting within 2% of the best per-record time.
//!
//! The write path is explored when asked: `--modes auto,batch,ingest` (`[sync] mode`) and
//! `--rows-per-job` (`[sync] rows_per_job`, for the modes that start jobs); each cell records how
//! many records its jobs wrote (the simulator's count). The sweep also prints the record count
//! where auto should switch from batches to jobs for the profile in use: the ceiling model's
//! crossover (`ceiling::BestPlan::crossover_records`, the same groups and settings as the sweep's
//! scenario), next to the measured per-record time of each mode.
//!
//! `write_concurrency` (`[sync] write_concurrency`, write requests in flight per board) is explored
//! only when given: the harness sets it through the config's TOML table, so it builds against a
//! sync with or without that setting; the binary offers it only when the linked sync has it.

use std::fmt::Write as _;
use std::path::Path;

use monday_sync::config::Mode;
use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};
use crate::replay::run::{run_scenario, RunOptions};
use crate::report::charts;
use crate::textfmt::{fmt_num, html_escape as escape};
use crate::workload::scenario::Scenario;

/// How close to the best per-record time a setting must be to count as "as good" (2%).
pub const RECOMMENDATION_SLACK: f64 = 0.02;

/// One grid cell's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepCell {
    /// `[sync] mode` of the cell (None: the config's, not explored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `[sync] rows_per_job` of the cell (None: the config's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_per_job: Option<u32>,
    /// Records the cell's jobs created or updated (0: batches only).
    #[serde(default)]
    pub job_rows: u64,
    pub batch_size: u32,
    pub concurrency: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_concurrency: Option<u32>,
    pub per_record_ms: f64,
    pub efficiency: f64,
    pub requests: u64,
    pub throttled: u64,
    pub failed_records: u64,
    pub duplicates: u64,
    pub record_p99_ms: f64,
}

/// The recommended setting and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_per_job: Option<u32>,
    pub batch_size: u32,
    pub concurrency: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_concurrency: Option<u32>,
    pub per_record_ms: f64,
    pub best_per_record_ms: f64,
    pub requests: u64,
    pub reason: String,
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// The scenario every cell starts from (seed and workload included).
    pub base: Scenario,
    pub batch_sizes: Vec<u32>,
    pub concurrency: Vec<u32>,
    /// Write concurrency levels explored (empty: not explored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write_concurrency: Vec<u32>,
    /// Modes explored (empty: not explored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<Mode>,
    /// Rows per job explored for `auto` and `ingest` (empty: not explored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows_per_job: Vec<u32>,
    /// Where auto should switch to jobs: the ceiling model's crossover for the base scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crossover: Option<Crossover>,
    pub cells: Vec<SweepCell>,
    pub recommendation: Option<Recommendation>,
    pub wall_ms: f64,
}

/// The record count where a plan with jobs starts to beat batches alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crossover {
    /// None: batches win up to the model's search limit.
    pub records: Option<u64>,
    /// The ceiling's per-record time of each path at the sweep's record count.
    pub batch_ms_per_record: f64,
    pub jobs_ms_per_record: f64,
    /// How it was computed.
    pub how: String,
}

impl Crossover {
    /// From a run's ceiling (None without the bulk path modelled).
    pub fn of(ceiling: &crate::model::ceiling::Ceiling, records: u64) -> Option<Self> {
        let b = ceiling.best_plan.as_ref()?;
        let n = records.max(1) as f64;
        Some(Self {
            records: b.crossover_records,
            batch_ms_per_record: crate::measure::latency::round3(b.batch_ms / n),
            jobs_ms_per_record: crate::measure::latency::round3(b.bulk_ms.min(b.mixed_ms) / n),
            how: format!(
                "ceiling model (monday-perf's ceiling::best_plan) for this profile, plan and groups, searched up to {} records",
                crate::model::ceiling::CROSSOVER_SEARCH_MAX
            ),
        })
    }

    /// The line `monday-perf sweep` prints.
    pub fn line(&self, records: u64) -> String {
        let at = match self.records {
            Some(n) => format!("auto should switch to jobs from {n} records"),
            None => "batches win at every record count searched".into(),
        };
        format!(
            "crossover: {at} (at {records} records: batches {} ms/record, jobs {} ms/record; {})",
            fmt_num(self.batch_ms_per_record),
            fmt_num(self.jobs_ms_per_record),
            self.how
        )
    }
}

/// Parses `1,5,10` into numbers ≥ 1.
pub fn parse_list(text: &str, what: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let v: u32 = part
            .parse()
            .map_err(|_| PerfError::Usage(format!("{what}: {part:?} is not a whole number")))?;
        if v == 0 {
            return Err(PerfError::Usage(format!(
                "{what}: values must be at least 1"
            )));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if out.is_empty() {
        return Err(PerfError::Usage(format!("{what}: give at least one value")));
    }
    Ok(out)
}

/// The cheapest cell within [`RECOMMENDATION_SLACK`] of the best per-record time, among cells
/// without failed records or duplicates: fewest requests, then lowest concurrency, then smallest batch.
pub fn recommend(cells: &[SweepCell]) -> Option<Recommendation> {
    let healthy: Vec<&SweepCell> = cells
        .iter()
        .filter(|c| c.failed_records == 0 && c.duplicates == 0)
        .collect();
    let best = healthy
        .iter()
        .map(|c| c.per_record_ms)
        .fold(f64::INFINITY, f64::min);
    if !best.is_finite() {
        return None;
    }
    let limit = best * (1.0 + RECOMMENDATION_SLACK);
    let pick = healthy
        .into_iter()
        .filter(|c| c.per_record_ms <= limit + 1e-9)
        .min_by_key(|c| (c.requests, c.concurrency, c.write_concurrency, c.batch_size))?;
    Some(Recommendation {
        mode: pick.mode,
        rows_per_job: pick.rows_per_job,
        batch_size: pick.batch_size,
        concurrency: pick.concurrency,
        write_concurrency: pick.write_concurrency,
        per_record_ms: pick.per_record_ms,
        best_per_record_ms: best,
        requests: pick.requests,
        reason: format!(
            "fewest requests ({}) and lowest concurrency among settings within {:.0}% of the best {} ms/record",
            pick.requests,
            RECOMMENDATION_SLACK * 100.0,
            fmt_num(best)
        ),
    })
}

/// Runs the grid. `on_cell` is told about each finished cell (for progress output).
/// `write_concurrency` empty = that dimension is not explored (the config's value is used).
/// The write paths a sweep explores: `modes` (empty: the config's) and, for `auto` and `ingest`,
/// `rows_per_job` (empty: the config's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathGrid {
    pub modes: Vec<Mode>,
    pub rows_per_job: Vec<u32>,
}

impl PathGrid {
    /// `(mode, rows per job)` of every path cell, in order.
    fn paths(&self) -> Vec<(Option<Mode>, Option<u32>)> {
        let modes: Vec<Option<Mode>> = if self.modes.is_empty() {
            vec![None]
        } else {
            self.modes.iter().copied().map(Some).collect()
        };
        let mut out = Vec::new();
        for m in modes {
            let jobs = m.is_none_or(Mode::may_use_jobs);
            if jobs && !self.rows_per_job.is_empty() {
                out.extend(self.rows_per_job.iter().map(|r| (m, Some(*r))));
            } else {
                out.push((m, None));
            }
        }
        out
    }
}

pub fn run_sweep(
    base: &Scenario,
    batch_sizes: &[u32],
    concurrency: &[u32],
    write_concurrency: &[u32],
    paths: &PathGrid,
    mut on_cell: impl FnMut(&SweepCell),
) -> Result<SweepReport> {
    let started = std::time::Instant::now();
    let mut cells = Vec::new();
    let writes: Vec<Option<u32>> = if write_concurrency.is_empty() {
        vec![None]
    } else {
        write_concurrency.iter().copied().map(Some).collect()
    };
    let mut crossover = None;
    for (mode, rows_per_job) in paths.paths() {
        for &w in &writes {
            for &b in batch_sizes {
                for &c in concurrency {
                    let (cell, ceiling) = run_cell(base, (mode, rows_per_job), b, c, w)?;
                    if crossover.is_none() {
                        crossover = Crossover::of(&ceiling, base.records);
                    }
                    on_cell(&cell);
                    cells.push(cell);
                }
            }
        }
    }
    let recommendation = recommend(&cells);
    Ok(SweepReport {
        base: base.clone(),
        batch_sizes: batch_sizes.to_vec(),
        concurrency: concurrency.to_vec(),
        write_concurrency: write_concurrency.to_vec(),
        modes: paths.modes.clone(),
        rows_per_job: paths.rows_per_job.clone(),
        crossover,
        cells,
        recommendation,
        wall_ms: crate::measure::latency::round3(started.elapsed().as_secs_f64() * 1000.0),
    })
}

fn run_cell(
    base: &Scenario,
    (mode, rows_per_job): (Option<Mode>, Option<u32>),
    b: u32,
    c: u32,
    w: Option<u32>,
) -> Result<(SweepCell, crate::model::ceiling::Ceiling)> {
    let mut s = base.clone();
    let mut name = base.name.clone();
    if let Some(m) = mode {
        name.push_str(&format!("-{m}"));
    }
    if let Some(r) = rows_per_job {
        name.push_str(&format!("-r{r}"));
    }
    s.name = match w {
        Some(w) => format!("{name}-b{b}-c{c}-w{w}"),
        None => format!("{name}-b{b}-c{c}"),
    };
    if mode.is_some() {
        s.sync.mode = mode;
    }
    s.sync.rows_per_job = rows_per_job.or(s.sync.rows_per_job);
    s.sync.batch_size = Some(b);
    s.sync.concurrency = Some(c);
    s.sync.write_concurrency = w;
    let r = run_scenario(&s, &RunOptions::default())?.results;
    let job_rows = r
        .bulk
        .as_ref()
        .map_or(0, |x| x.counts.rows("created") + x.counts.rows("updated"));
    let cell = SweepCell {
        mode,
        rows_per_job,
        job_rows,
        batch_size: b,
        concurrency: c,
        write_concurrency: w,
        per_record_ms: r.per_record_ms,
        efficiency: r.efficiency,
        requests: r.requests,
        throttled: r.throttled,
        failed_records: r.failed_records,
        duplicates: r.duplicates,
        record_p99_ms: r.latency.records.p99,
    };
    Ok((cell, r.ceiling))
}

impl SweepReport {
    /// The grid as text, as `monday-perf sweep` prints it: per write concurrency explored, the
    /// per-record time by batch size (rows) and concurrency (columns); `*` marks a setting with
    /// failed or duplicated records (never recommended).
    pub fn table(&self) -> String {
        let writes: Vec<Option<u32>> = if self.write_concurrency.is_empty() {
            vec![None]
        } else {
            self.write_concurrency.iter().copied().map(Some).collect()
        };
        let mut paths: Vec<(Option<Mode>, Option<u32>)> = Vec::new();
        for c in &self.cells {
            let p = (c.mode, c.rows_per_job);
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
        if paths.is_empty() {
            paths.push((None, None));
        }
        let mut out = String::new();
        for (mode, rpj) in &paths {
            for &w in &writes {
                let mut title = String::new();
                if let Some(m) = mode {
                    title.push_str(&format!(", mode = {m}"));
                }
                if let Some(r) = rpj {
                    title.push_str(&format!(", rows_per_job = {r}"));
                }
                if let Some(w) = w {
                    title.push_str(&format!(", write_concurrency = {w}"));
                }
                let _ = writeln!(
                    out,
                    "ms/record{title} (rows: batch size, columns: concurrency)"
                );
                let _ = write!(out, "{:>7}", "batch");
                for c in &self.concurrency {
                    let _ = write!(out, " {:>10}", format!("c={c}"));
                }
                out.push('\n');
                for b in &self.batch_sizes {
                    let _ = write!(out, "{b:>7}");
                    for c in &self.concurrency {
                        let text = self
                            .cells
                            .iter()
                            .find(|x| {
                                x.batch_size == *b
                                    && x.concurrency == *c
                                    && x.write_concurrency == w
                                    && x.mode == *mode
                                    && x.rows_per_job == *rpj
                            })
                            .map(|x| {
                                let bad = x.failed_records > 0 || x.duplicates > 0;
                                format!("{:.1}{}", x.per_record_ms, if bad { "*" } else { "" })
                            })
                            .unwrap_or_else(|| "-".into());
                        let _ = write!(out, " {text:>10}");
                    }
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The write concurrency the heatmaps show: the recommendation's (or the first explored).
    fn heatmap_writes(&self) -> Option<u32> {
        self.recommendation
            .as_ref()
            .and_then(|r| r.write_concurrency)
            .or_else(|| self.write_concurrency.first().copied())
    }

    fn grid(&self, pick: fn(&SweepCell) -> f64) -> Vec<Vec<Option<f64>>> {
        let w = self.heatmap_writes();
        let (mode, rpj) = self
            .recommendation
            .as_ref()
            .map(|r| (r.mode, r.rows_per_job))
            .unwrap_or_default();
        self.batch_sizes
            .iter()
            .map(|b| {
                self.concurrency
                    .iter()
                    .map(|c| {
                        self.cells
                            .iter()
                            .find(|x| {
                                x.batch_size == *b
                                    && x.concurrency == *c
                                    && x.write_concurrency == w
                                    && x.mode == mode
                                    && x.rows_per_job == rpj
                            })
                            .map(pick)
                    })
                    .collect()
            })
            .collect()
    }

    /// The cell of the recommendation.
    fn recommended_cell(&self) -> Option<&SweepCell> {
        let r = self.recommendation.as_ref()?;
        self.cells.iter().find(|c| {
            c.batch_size == r.batch_size
                && c.concurrency == r.concurrency
                && c.write_concurrency == r.write_concurrency
                && c.mode == r.mode
                && c.rows_per_job == r.rows_per_job
        })
    }

    /// `sweep.html`: recommendation, two heatmaps and the full table.
    pub fn to_html(&self) -> Result<String> {
        let rows: Vec<String> = self.batch_sizes.iter().map(|b| b.to_string()).collect();
        let cols: Vec<String> = self.concurrency.iter().map(|c| c.to_string()).collect();
        // The recommended cell is outlined in both heatmaps.
        let mark = self.recommendation.as_ref().and_then(|r| {
            let row = self.batch_sizes.iter().position(|b| *b == r.batch_size)?;
            let col = self.concurrency.iter().position(|c| *c == r.concurrency)?;
            Some((row, col))
        });
        let per_record = charts::heatmap_marked(
            "per-record time (ms, lower is better)",
            "batch size",
            "concurrency",
            &rows,
            &cols,
            &self.grid(|c| c.per_record_ms),
            true,
            mark,
        )?;
        let eff = charts::heatmap_marked(
            "efficiency (ceiling / achieved, higher is better)",
            "batch size",
            "concurrency",
            &rows,
            &cols,
            &self.grid(|c| c.efficiency),
            false,
            mark,
        )?;
        let mut body = String::from("<h1>monday-perf sweep</h1>\n");
        // The conclusion first: the verdict of the recommended setting.
        if let Some(cell) = self.recommended_cell() {
            let figures = crate::judge::verdict::CellFigures {
                per_record_ms: cell.per_record_ms,
                efficiency: cell.efficiency,
                requests: cell.requests,
                throttled: cell.throttled,
                failed: cell.failed_records,
                duplicates: cell.duplicates,
                write_concurrency: cell.write_concurrency,
            };
            if let Some(facts) = crate::judge::verdict::PaceFacts::of_cell(&self.base, &figures) {
                body.push_str(&crate::judge::verdict::Verdict::decide(&facts).html());
            }
        }
        match &self.recommendation {
            Some(r) => {
                let _ = writeln!(
                    body,
                    "<p><b>Recommendation: batch_size = {}, concurrency = {}{}</b> ({} ms/record; {}).</p>",
                    r.batch_size,
                    r.concurrency,
                    r.write_concurrency
                        .map(|w| format!(", write_concurrency = {w}"))
                        .unwrap_or_default(),
                    fmt_num(r.per_record_ms),
                    escape(&r.reason)
                );
            }
            None => body.push_str("<p>No setting finished without failed records.</p>\n"),
        }
        let _ = writeln!(
            body,
            "<figure>{per_record}</figure>\n<figure>{eff}</figure>"
        );
        body.push_str("<table><tr><th>batch</th><th>concurrency</th><th>write concurrency</th><th>ms/record</th><th>efficiency</th><th>requests</th><th>throttled</th><th>p99 record ms</th><th>failed</th><th>duplicates</th></tr>\n");
        for c in &self.cells {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                c.batch_size,
                c.concurrency,
                c.write_concurrency
                    .map(|w| w.to_string())
                    .unwrap_or_else(|| "config".into()),
                fmt_num(c.per_record_ms),
                fmt_num(c.efficiency),
                c.requests,
                c.throttled,
                fmt_num(c.record_p99_ms),
                c.failed_records,
                c.duplicates
            );
        }
        body.push_str("</table>\n<h2>Base scenario</h2>\n");
        let base = serde_json::to_string_pretty(&self.base).unwrap_or_default();
        let _ = writeln!(body, "<pre>{}</pre>", escape(&base));
        Ok(format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>monday-perf sweep</title>\
             <style>body{{font-family:sans-serif;margin:24px;max-width:1000px}}table{{border-collapse:collapse}}\
             td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}pre{{background:#f7f7f7;padding:8px}}\
             .verdict{{border-left:4px solid #1f5fa8;background:#f2f6fb;padding:4px 14px;margin:12px 0 18px;font-size:16px}}</style>\
             </head><body>\n{body}</body></html>\n"
        ))
    }

    /// Writes `sweep.json` and `sweep.html` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| PerfError::io("create", dir, e))?;
        let json = serde_json::to_string_pretty(self)
            .map_err(|e| PerfError::json("serialise sweep", e))?;
        let path = dir.join("sweep.json");
        std::fs::write(&path, json + "\n").map_err(|e| PerfError::io("write", &path, e))?;
        let path = dir.join("sweep.html");
        std::fs::write(&path, self.to_html()?).map_err(|e| PerfError::io("write", &path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(b: u32, c: u32, ms: f64, requests: u64) -> SweepCell {
        SweepCell {
            mode: None,
            rows_per_job: None,
            job_rows: 0,
            batch_size: b,
            concurrency: c,
            write_concurrency: None,
            per_record_ms: ms,
            efficiency: 0.5,
            requests,
            throttled: 0,
            failed_records: 0,
            duplicates: 0,
            record_p99_ms: 1.0,
        }
    }

    #[test]
    fn recommends_the_cheapest_within_two_percent() {
        let cells = [
            cell(1, 16, 100.0, 500),
            cell(25, 8, 101.5, 20),
            cell(25, 4, 101.9, 20),
            cell(50, 2, 103.0, 10),
        ];
        let r = recommend(&cells).unwrap();
        assert_eq!((r.batch_size, r.concurrency), (25, 4));
        assert_eq!(r.best_per_record_ms, 100.0);
    }

    #[test]
    fn failed_cells_are_never_recommended() {
        let mut bad = cell(100, 16, 50.0, 5);
        bad.failed_records = 3;
        let r = recommend(&[bad, cell(25, 4, 60.0, 20)]).unwrap();
        assert_eq!(r.batch_size, 25);
        assert!(recommend(&[]).is_none());
    }

    #[test]
    fn lists_parse() {
        assert_eq!(parse_list("1, 5,10,5", "b").unwrap(), [1, 5, 10]);
        assert!(parse_list("0", "b").is_err());
        assert!(parse_list("x", "b").is_err());
        assert!(parse_list("", "b").is_err());
    }

    #[test]
    fn table_has_one_grid_per_write_level_and_marks_failed_cells() {
        let mut failed = cell(1, 4, 80.0, 500);
        failed.failed_records = 2;
        let mut w2 = cell(25, 1, 33.3, 20);
        w2.write_concurrency = Some(2);
        let mut cells = vec![cell(1, 1, 300.0, 500), failed, cell(25, 1, 30.04, 20)];
        for c in &mut cells {
            c.write_concurrency = Some(1);
        }
        cells.push(w2);
        let report = SweepReport {
            base: Scenario::default(),
            batch_sizes: vec![1, 25],
            concurrency: vec![1, 4],
            write_concurrency: vec![1, 2],
            modes: vec![],
            rows_per_job: vec![],
            crossover: None,
            recommendation: recommend(&cells),
            cells,
            wall_ms: 1.0,
        };
        let expected = "\
ms/record, write_concurrency = 1 (rows: batch size, columns: concurrency)
  batch        c=1        c=4
      1      300.0      80.0*
     25       30.0          -
ms/record, write_concurrency = 2 (rows: batch size, columns: concurrency)
  batch        c=1        c=4
      1          -          -
     25       33.3          -
";
        assert_eq!(report.table(), expected);
    }

    #[test]
    fn html_has_two_heatmaps_and_no_script() {
        let report = SweepReport {
            base: Scenario::default(),
            batch_sizes: vec![1, 25],
            concurrency: vec![1, 4],
            write_concurrency: vec![],
            modes: vec![],
            rows_per_job: vec![],
            crossover: None,
            cells: vec![cell(1, 1, 300.0, 500), cell(25, 4, 30.0, 20)],
            recommendation: recommend(&[cell(25, 4, 30.0, 20)]),
            wall_ms: 1.0,
        };
        let html = report.to_html().unwrap();
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(!html.contains("<script"));
        assert!(html.contains("batch_size = 25, concurrency = 4"));
    }

    #[test]
    fn paths_give_one_grid_each_and_rows_per_job_only_where_jobs_run() {
        let grid = PathGrid {
            modes: vec![Mode::Batch, Mode::Ingest],
            rows_per_job: vec![1_000, 10_000],
        };
        assert_eq!(
            grid.paths(),
            [
                (Some(Mode::Batch), None),
                (Some(Mode::Ingest), Some(1_000)),
                (Some(Mode::Ingest), Some(10_000)),
            ]
        );
        assert_eq!(PathGrid::default().paths(), [(None, None)]);
        let mut ingest = cell(25, 1, 40.0, 30);
        ingest.mode = Some(Mode::Ingest);
        ingest.rows_per_job = Some(1_000);
        let mut batch = cell(25, 1, 130.0, 20);
        batch.mode = Some(Mode::Batch);
        let report = SweepReport {
            base: Scenario::default(),
            batch_sizes: vec![25],
            concurrency: vec![1],
            write_concurrency: vec![],
            modes: grid.modes.clone(),
            rows_per_job: vec![1_000],
            crossover: None,
            recommendation: recommend(&[batch.clone(), ingest.clone()]),
            cells: vec![batch, ingest],
            wall_ms: 1.0,
        };
        let table = report.table();
        assert!(table.contains("ms/record, mode = batch (rows"), "{table}");
        assert!(
            table.contains("ms/record, mode = ingest, rows_per_job = 1000 (rows"),
            "{table}"
        );
        let r = report.recommendation.unwrap();
        assert_eq!((r.mode, r.rows_per_job), (Some(Mode::Ingest), Some(1_000)));
    }

    #[test]
    fn the_crossover_comes_from_the_ceilings_best_plan() {
        let sim = crate::replay::run::sim_config(&Scenario::default()).unwrap();
        let inputs = crate::replay::run::ceiling_inputs(&sim, 500, 25, 1);
        let ceiling = inputs.ceiling_with(Some(&crate::model::yardstick::bulk_inputs(&sim)));
        let x = Crossover::of(&ceiling, 500).unwrap();
        let best = ceiling.best_plan.as_ref().unwrap();
        assert_eq!(x.records, best.crossover_records);
        assert!(x.records.is_some_and(|n| n > 50 && n < 5_000), "{x:?}");
        assert!(x
            .line(500)
            .starts_with("crossover: auto should switch to jobs from "));
        // Without the bulk path modelled there is nothing to say.
        assert_eq!(Crossover::of(&inputs.ceiling(), 500), None);
    }
}
