//! The gate's machine- and human-readable outputs: `gate.json`, `summary.md` (also appended to
//! `$GITHUB_STEP_SUMMARY` when set) and `junit.xml` (one test case per scenario × check).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::error::{PerfError, Result};
use crate::judge::gate::{CheckKind, GateReport};
use crate::textfmt::{fmt_num, xml_escape};

/// Writes `gate.json`, `summary.md` and `junit.xml` into `dir`.
pub fn write_gate_files(report: &GateReport, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| PerfError::io("create", dir, e))?;
    let json =
        serde_json::to_string_pretty(report).map_err(|e| PerfError::json("serialise gate", e))?;
    write(dir, "gate.json", &(json + "\n"))?;
    write(dir, "summary.md", &summary_markdown(report))?;
    write(dir, "junit.xml", &junit_xml(report))?;
    Ok(())
}

/// Appends the summary to the file named by `$GITHUB_STEP_SUMMARY`, when that is set.
pub fn append_github_step_summary(report: &GateReport) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    let path = std::path::PathBuf::from(path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| PerfError::io("open", &path, e))?;
    file.write_all(summary_markdown(report).as_bytes())
        .map_err(|e| PerfError::io("append", &path, e))
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| PerfError::io("write", &path, e))
}

/// The Markdown summary: verdict, one row per scenario, then every failed check.
pub fn summary_markdown(report: &GateReport) -> String {
    let mut out = String::new();
    let verdict = if report.passed {
        "✅ PASS"
    } else {
        "❌ REGRESSION"
    };
    let _ = writeln!(out, "## monday-perf gate: {verdict}\n");
    // Which scenarios regressed and by how much, before the table.
    for line in crate::judge::verdict::gate_lines(report) {
        let _ = writeln!(out, "{}\n", md_escape(&line));
    }
    let _ = writeln!(out, "Baseline `{}`.\n", report.baseline);
    let _ = writeln!(
        out,
        "| scenario | verdict | ms/record | p99 record ms | requests | throttled | efficiency | duplicates | lost |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in &report.scenarios {
        let f = &s.figures;
        let base = |now: f64, pick: fn(&crate::judge::baseline::Figures) -> f64| match &s.expected {
            Some(e) => format!("{} ({})", fmt_num(now), fmt_num(pick(e))),
            None => fmt_num(now),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            match s.seeds {
                Some(n) => format!("{} (median of {n} seeds)", md_escape(&s.name)),
                None => md_escape(&s.name),
            },
            if s.passed { "pass" } else { "**FAIL**" },
            base(f.per_record_ms, |e| e.per_record_ms),
            base(f.record_p99_ms, |e| e.record_p99_ms),
            base(f.requests as f64, |e| e.requests as f64),
            base(f.throttled as f64, |e| e.throttled as f64),
            base(f.efficiency, |e| e.efficiency),
            s.duplicates,
            s.lost_records
        );
    }
    let _ = writeln!(out, "\nFigures in parentheses are the baseline.");
    let failures: Vec<_> = report.failures().collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n### Failed checks\n");
        for (scenario, check) in failures {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                md_escape(scenario),
                md_escape(&check.explain())
            );
        }
    }
    for stopped in report.scenarios.iter().filter_map(|s| s.stopped.as_ref()) {
        let _ = writeln!(out, "\n```text\n{}```", stopped);
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// JUnit XML: one `<testsuite>` per scenario, one `<testcase>` per check.
pub fn junit_xml(report: &GateReport) -> String {
    let total: usize = report.scenarios.iter().map(|s| s.checks.len()).sum();
    let failures = report.failures().count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"monday-perf gate\" tests=\"{total}\" failures=\"{failures}\">"
    );
    for s in &report.scenarios {
        let failed = s.checks.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" time=\"{:.3}\">",
            xml_escape(&s.name),
            s.checks.len(),
            s.wall_ms / 1000.0
        );
        for c in &s.checks {
            let kind = match c.kind {
                CheckKind::Baseline => "baseline",
                CheckKind::Target => "target",
            };
            let _ = write!(
                out,
                "    <testcase classname=\"gate.{}\" name=\"{} ({kind})\"",
                xml_escape(&s.name),
                xml_escape(&c.name)
            );
            if c.passed {
                out.push_str("/>\n");
            } else {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"regression\">expected: {}\nactual: {}\nlimit: {}</failure>\n    </testcase>",
                    xml_escape(&c.explain()),
                    fmt_num(c.expected),
                    fmt_num(c.actual),
                    fmt_num(c.limit)
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::baseline::{Baseline, Figures, GateScenario, Targets};
    use crate::judge::gate::evaluate;

    fn report(per_record_ms: f64) -> GateReport {
        let mut r = crate::replay::results::sample_results();
        let expected = Figures::of(&r);
        r.per_record_ms = per_record_ms;
        let b = Baseline {
            format: 1,
            description: String::new(),
            tolerances: Default::default(),
            scenarios: vec![GateScenario {
                scenario: crate::workload::scenario::Scenario {
                    name: "pro<50>".into(),
                    ..Default::default()
                },
                purpose: String::new(),
                targets: Targets::default(),
                tolerances: Default::default(),
                skip_metrics: vec![],
                expected: Some(expected),
                harness_wall_ms: None,
                compare: vec![],
                pinned: Default::default(),
            }],
        };
        let v = evaluate(&b, &b.scenarios[0], &r);
        GateReport {
            baseline: "t.json".into(),
            passed: v.passed,
            scenarios: vec![v],
            started_at: String::new(),
            wall_ms: 1.0,
        }
    }

    #[test]
    fn junit_has_one_case_per_check_and_failures_carry_numbers() {
        let ok = junit_xml(&report(41.5));
        assert!(ok.contains("failures=\"0\""));
        assert_eq!(
            ok.matches("<testcase").count(),
            12,
            "5 time/request metrics + client CPU + 3 log levels + duplicates + lost + request count"
        );
        let bad = junit_xml(&report(80.0));
        assert_eq!(bad.matches("<failure").count(), 1);
        assert!(bad.contains("expected: 41.5\nactual: 80\nlimit: 43.575"));
        assert!(bad.contains("gate.pro&lt;50&gt;"), "names are escaped");
    }

    #[test]
    fn summary_shows_verdict_and_failed_checks() {
        let md = summary_markdown(&report(80.0));
        assert!(md.contains("REGRESSION"));
        assert!(md.contains("per_record_ms: actual 80 (baseline 41.5"));
        assert!(summary_markdown(&report(41.5)).contains("PASS"));
        // Which scenario regressed and by how much, before the table.
        let line = md
            .find("pro<50>: per_record_ms: actual 80 (baseline 41.5")
            .expect("the regression's line");
        assert!(md[line..].contains("+92.8% against the baseline"));
        assert!(line < md.find("| scenario |").unwrap());
        assert!(summary_markdown(&report(41.5)).contains("PASS: all 1 scenarios"));
    }

    #[test]
    fn files_are_written() {
        let dir = tempfile::tempdir().unwrap();
        write_gate_files(&report(41.5), dir.path()).unwrap();
        for f in ["gate.json", "summary.md", "junit.xml"] {
            assert!(dir.path().join(f).exists(), "{f}");
        }
        let back: GateReport =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("gate.json")).unwrap())
                .unwrap();
        assert_eq!(back, report(41.5));
    }
}
