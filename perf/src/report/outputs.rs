//! Every file a run or a gate leaves behind, written from one place above the runner.
//!
//! [`crate::replay::run`] and [`crate::judge::gate`] only measure and decide; this module turns their artifacts
//! into `results.json`, `.hgrm`/`.hlog` files and `report.html` per run, and `gate.json`,
//! `summary.md`, `junit.xml` and the gate's `report.html` per gate run.

use std::path::{Path, PathBuf};

use crate::error::{PerfError, Result};
use crate::judge::baseline::Figures;
use crate::judge::gate::GateReport;
use crate::replay::client_cmd::ClientRun;
use crate::replay::run::RunArtifacts;
use crate::report::gate_outputs::write_gate_files;
use crate::report::report_html::{gate_report, run_report, RunReportInput};

/// The default output folder of a run: `reports/<name>/`.
pub fn default_out_dir(name: &str) -> PathBuf {
    Path::new("reports").join(name)
}

/// Writes `results.json`, `requests.hgrm`, `records.hgrm`, `requests.hlog` and `report.html`.
pub fn write_run_outputs(a: &RunArtifacts, dir: &Path, baseline: Option<&Figures>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| PerfError::io("create", dir, e))?;
    a.results.write(dir)?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| PerfError::io("write", &path, e))
    };
    write(
        "requests.hgrm",
        a.measurements.requests.to_hgrm().as_bytes(),
    )?;
    write("records.hgrm", a.measurements.records.to_hgrm().as_bytes())?;
    let comment = format!(
        "monday-perf {} seed {} records {} (request latency, microseconds)",
        a.results.name, a.results.seed, a.results.records
    );
    write(
        "requests.hlog",
        &a.measurements.request_intervals.to_hlog(&comment)?,
    )?;
    let html = run_report(&report_input(a, baseline))?;
    write("report.html", html.as_bytes())
}

/// The report input of a run.
pub fn report_input<'a>(a: &'a RunArtifacts, baseline: Option<&'a Figures>) -> RunReportInput<'a> {
    RunReportInput {
        results: &a.results,
        requests: &a.measurements.requests,
        records: &a.measurements.records,
        baseline,
        batch_spans: &a.measurements.batch_spans,
    }
}

/// Writes the gate's files into `dir`: `gate.json`, `summary.md`, `junit.xml`, `report.html`, and
/// every scenario's run files under `dir/<scenario>/`.
pub fn write_gate_outputs(report: &GateReport, runs: &[RunArtifacts], dir: &Path) -> Result<()> {
    write_gate_files(report, dir)?;
    // A scenario stopped at a limit has a verdict and no run.
    let finished = || report.scenarios.iter().filter(|v| v.stopped.is_none());
    let inputs: Vec<_> = runs
        .iter()
        .zip(finished())
        .map(|(run, verdict)| report_input(run, verdict.expected.as_ref()))
        .collect();
    let html = gate_report(report, &inputs)?;
    let html_path = dir.join("report.html");
    std::fs::write(&html_path, html).map_err(|e| PerfError::io("write", &html_path, e))?;
    for (run, verdict) in runs.iter().zip(finished()) {
        write_run_outputs(run, &dir.join(&verdict.name), verdict.expected.as_ref())?;
    }
    Ok(())
}

/// Writes the usual run files (`results.json` with the client's extra keys: `locked`,
/// `records_missing`, `client`), `.hgrm`/`.hlog`, `report.html` and the server's request log
/// (`requests.ndjson`).
pub fn write_client_outputs(run: &ClientRun, dir: &Path) -> Result<()> {
    write_run_outputs(&run.artifacts, dir, None)?;
    let log = dir.join("requests.ndjson");
    std::fs::write(&log, &run.request_log).map_err(|e| PerfError::io("write", &log, e))?;
    let mut value = serde_json::to_value(&run.artifacts.results)
        .map_err(|e| PerfError::json("serialise results", e))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("locked".into(), run.server.locked.into());
        obj.insert("records_missing".into(), run.server.records_missing.into());
        obj.insert(
            "client".into(),
            serde_json::to_value(&run.client)
                .map_err(|e| PerfError::json("serialise client", e))?,
        );
    }
    let path = dir.join("results.json");
    let text = serde_json::to_string_pretty(&value)
        .map_err(|e| PerfError::json("serialise results", e))?;
    std::fs::write(&path, text + "\n").map_err(|e| PerfError::io("write", &path, e))
}
