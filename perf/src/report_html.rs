//! Self-contained HTML reports: inline CSS and SVG, no JavaScript, no external resources, so the
//! file opens offline from a CI artifact. All text from data is HTML-escaped.

use std::fmt::Write as _;

use crate::baseline::Figures;
use crate::charts::{self, Series};
use crate::error::Result;
use crate::gate::GateReport;
use crate::latency::{LatencyHistogram, Percentiles};
use crate::results::RunResults;
use crate::textfmt::{fmt_num, html_escape as escape};
use crate::verdict::{gate_lines, Verdict};

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}\
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.pass{color:#17803d;font-weight:bold}\
.fail{color:#b3261e;font-weight:bold}pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}\
figure{margin:12px 0}h2{border-bottom:1px solid #ddd;padding-bottom:4px}\
.verdict{border-left:4px solid #1f5fa8;background:#f2f6fb;padding:4px 14px;margin:12px 0 18px;font-size:16px;line-height:1.45}\
.verdict.fail{border-left-color:#b3261e;background:#fbf1f0;color:#222;font-weight:normal}";

/// What a run report shows.
pub struct RunReportInput<'a> {
    pub results: &'a RunResults,
    pub requests: &'a LatencyHistogram,
    pub records: &'a LatencyHistogram,
    /// Baseline figures to overlay, when known.
    pub baseline: Option<&'a Figures>,
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        escape(title)
    )
}

/// The report of one run (`report.html`).
pub fn run_report(input: &RunReportInput<'_>) -> Result<String> {
    let r = input.results;
    let mut body = String::new();
    let _ = writeln!(body, "<h1>monday-perf run: {}</h1>", escape(&r.name));
    // The conclusion first: what set the pace, how close to the best, what would help.
    body.push_str(&Verdict::of(r).html());
    let _ = writeln!(
        body,
        "<p>Seed <b>{}</b>, {} records, {} clock, profile {}, plan {}, token {}. Started {}.</p>",
        escape(&r.seed_description()),
        r.records,
        escape(&format!("{:?}", r.scenario.clock).to_lowercase()),
        escape(&r.scenario.profile),
        escape(&r.scenario.plan),
        escape(&r.scenario.token_kind),
        escape(&r.wall_clock.started_at)
    );
    body.push_str(&run_sections(input)?);
    Ok(page(&format!("monday-perf {}", r.name), &body))
}

/// Summary, charts and configuration of one run (shared by the run and gate reports).
fn run_sections(input: &RunReportInput<'_>) -> Result<String> {
    let r = input.results;
    let mut out = String::new();
    out.push_str("<h2>Summary</h2>\n");
    out.push_str(&summary_table(r, input.baseline));

    out.push_str("<h2>Latency by percentile</h2>\n");
    let mut markers = Vec::new();
    if let Some(b) = input.baseline {
        markers.push(percentile_markers("baseline records", &b.record_latency));
        markers.push(percentile_markers("baseline requests", &b.request_latency));
        markers.retain(|m| !m.points.is_empty());
    }
    let curves = [
        Series {
            label: "requests".into(),
            points: input.requests.percentile_curve(),
        },
        Series {
            label: "records (ready -> confirmed)".into(),
            points: input.records.percentile_curve(),
        },
    ];
    figure(
        &mut out,
        &charts::latency_by_percentile("latency by percentile", &curves, &markers)?,
    );

    out.push_str("<h2>Timeline</h2>\n");
    figure(&mut out, &charts::timeline(&r.timeline)?);

    out.push_str("<h2>Record latency distribution</h2>\n");
    let buckets: Vec<(String, f64)> = input
        .records
        .log_buckets()
        .into_iter()
        .map(|(upper, n)| (format!("≤{}", fmt_num(upper.round())), n as f64))
        .collect();
    figure(
        &mut out,
        &charts::bars("records per latency bucket (ms)", "records", &buckets)?,
    );

    out.push_str("<h2>Where the time went</h2>\n");
    let phases = phases_of(&r.sync_summary);
    if phases.is_empty() {
        out.push_str("<p>The sync summary has no phase times.</p>\n");
    } else {
        figure(
            &mut out,
            &charts::bars("time per phase (ms)", "ms", &phases)?,
        );
        out.push_str("<table><tr><th>phase</th><th>ms</th></tr>\n");
        for (name, ms) in &phases {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(name),
                fmt_num(*ms)
            );
        }
        out.push_str("</table>\n");
    }

    out.push_str("<h2>Configuration</h2>\n");
    let _ = writeln!(out, "<p>Seed <b>{}</b>.</p>", escape(&r.seed_description()));
    let scenario = serde_json::to_string_pretty(&r.scenario).unwrap_or_default();
    let _ = writeln!(out, "<h3>Scenario</h3><pre>{}</pre>", escape(&scenario));
    let _ = writeln!(
        out,
        "<h3>Sync config (after overrides)</h3><pre>{}</pre>",
        escape(&r.sync_config_toml)
    );
    let ceiling = serde_json::to_string_pretty(&r.ceiling).unwrap_or_default();
    let _ = writeln!(out, "<h3>Ceiling model</h3><pre>{}</pre>", escape(&ceiling));
    let summary = serde_json::to_string_pretty(&r.sync_summary).unwrap_or_default();
    let _ = writeln!(
        out,
        "<h3>Sync run summary</h3><pre>{}</pre>",
        escape(&summary)
    );
    let stats = serde_json::to_string_pretty(&r.simulator_stats).unwrap_or_default();
    let _ = writeln!(out, "<h3>Simulator stats</h3><pre>{}</pre>", escape(&stats));
    Ok(out)
}

fn figure(out: &mut String, svg: &str) {
    // The SVG comes from plotters, which escapes the text it draws.
    let _ = writeln!(out, "<figure>{svg}</figure>");
}

fn percentile_markers(label: &str, p: &Percentiles) -> Series {
    if p.count == 0 {
        return Series {
            label: label.into(),
            points: Vec::new(),
        };
    }
    Series {
        label: label.into(),
        points: vec![(0.5, p.p50), (0.9, p.p90), (0.99, p.p99), (0.999, p.p999)],
    }
}

/// `phases` of the sync summary as `(name, ms)`, in the summary's order.
fn phases_of(summary: &serde_json::Value) -> Vec<(String, f64)> {
    summary
        .get("phases")
        .and_then(|p| p.as_object())
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| {
                    v.as_f64()
                        .map(|ms| (k.trim_end_matches("_ms").to_string(), ms))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn summary_table(r: &RunResults, baseline: Option<&Figures>) -> String {
    let mut out = String::from("<table><tr><th>metric</th><th>value</th><th>baseline</th></tr>\n");
    let b = |f: fn(&Figures) -> f64| baseline.map(|b| fmt_num(f(b))).unwrap_or_default();
    let rows: Vec<(&str, String, String)> = vec![
        // Failures first: nothing below means much until these are zero.
        (
            "failed records",
            r.failed_records.to_string(),
            String::new(),
        ),
        ("duplicates", r.duplicates.to_string(), String::new()),
        ("lost records", r.lost_records.to_string(), String::new()),
        ("records", r.records.to_string(), String::new()),
        (
            "synced records",
            r.synced_records.to_string(),
            String::new(),
        ),
        (
            "per record (ms)",
            fmt_num(r.per_record_ms),
            b(|f| f.per_record_ms),
        ),
        ("API time (ms)", fmt_num(r.api_time_ms), String::new()),
        ("requests", r.requests.to_string(), b(|f| f.requests as f64)),
        (
            "throttled",
            format!("{} ({:.2}%)", r.throttled, r.throttled_share * 100.0),
            b(|f| f.throttled as f64),
        ),
        ("retries", r.retries.to_string(), String::new()),
        (
            "simulator requests (its own count)",
            r.simulator_requests.to_string(),
            String::new(),
        ),
        (
            "items on board",
            r.items_on_board.to_string(),
            String::new(),
        ),
        (
            "ceiling (ms)",
            format!(
                "{} ({}-bound)",
                fmt_num(r.ceiling.ceiling_ms),
                r.ceiling.binding
            ),
            String::new(),
        ),
        (
            "efficiency (synced records)",
            fmt_num(r.efficiency),
            b(|f| f.efficiency),
        ),
        (
            "efficiency vs the hard floor",
            format!(
                "{} (floor {} ms)",
                fmt_num(r.efficiency_vs_floor),
                fmt_num(r.ceiling.floor_ms)
            ),
            String::new(),
        ),
        (
            "client_cpu_us_per_record",
            r.client_cpu_us_per_record
                .map(fmt_num)
                .unwrap_or_else(|| "not measured (cpu clock only)".into()),
            baseline
                .and_then(|f| f.client_cpu_us_per_record)
                .map(fmt_num)
                .unwrap_or_default(),
        ),
        (
            "log events per record (error / warn / info)",
            r.log_events_per_record
                .map(|l| {
                    format!(
                        "{} / {} / {}",
                        fmt_num(l.error),
                        fmt_num(l.warn),
                        fmt_num(l.info)
                    )
                })
                .unwrap_or_else(|| "not counted".into()),
            baseline
                .and_then(|f| f.log_events_per_record)
                .map(|l| {
                    format!(
                        "{} / {} / {}",
                        fmt_num(l.error),
                        fmt_num(l.warn),
                        fmt_num(l.info)
                    )
                })
                .unwrap_or_default(),
        ),
        (
            "record p50 / p90 (ms)",
            format!(
                "{} / {}",
                fmt_num(r.latency.records.p50),
                fmt_num(r.latency.records.p90)
            ),
            String::new(),
        ),
        (
            "record p99 (ms)",
            fmt_num(r.latency.records.p99),
            b(|f| f.record_p99_ms),
        ),
        (
            "record p99.9 / max (ms)",
            format!(
                "{} / {}",
                fmt_num(r.latency.records.p999),
                fmt_num(r.latency.records.max)
            ),
            String::new(),
        ),
        (
            "request p50 / p99 / max (ms)",
            format!(
                "{} / {} / {}",
                fmt_num(r.latency.requests.p50),
                fmt_num(r.latency.requests.p99),
                fmt_num(r.latency.requests.max)
            ),
            String::new(),
        ),
        (
            "harness wall time (ms)",
            fmt_num(r.wall_clock.wall_ms),
            String::new(),
        ),
    ];
    for (name, value, base) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            escape(&value),
            escape(&base)
        );
    }
    out.push_str("</table>\n");
    out
}

/// The gate report: verdicts and failed checks first, then each scenario with its baseline overlaid.
pub fn gate_report(report: &GateReport, runs: &[RunReportInput<'_>]) -> Result<String> {
    let mut body = String::new();
    let (class, verdict) = if report.passed {
        ("pass", "PASS")
    } else {
        ("fail", "REGRESSION")
    };
    let _ = writeln!(
        body,
        "<h1>monday-perf gate: <span class=\"{class}\">{verdict}</span></h1>"
    );
    // Which scenarios regressed and by how much, before any table.
    let _ = writeln!(
        body,
        "<section class=\"verdict{}\">",
        if report.passed { "" } else { " fail" }
    );
    for (i, line) in gate_lines(report).iter().enumerate() {
        let (open, close) = if i == 0 { ("<b>", "</b>") } else { ("", "") };
        let _ = writeln!(body, "<p>{open}{}{close}</p>", escape(line));
    }
    body.push_str("</section>\n");
    let _ = writeln!(
        body,
        "<p>Baseline <code>{}</code>. Started {}. Gate wall time {} ms.</p>",
        escape(&report.baseline),
        escape(&report.started_at),
        fmt_num(report.wall_ms)
    );
    body.push_str(
        "<table><tr><th>scenario</th><th>verdict</th><th>checks</th><th>failed</th></tr>\n",
    );
    for s in &report.scenarios {
        let failed: Vec<String> = s
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.explain())
            .collect();
        let _ = writeln!(
            body,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.name),
            escape(&s.name),
            if s.passed { "pass" } else { "fail" },
            if s.passed { "pass" } else { "FAIL" },
            s.checks.len(),
            escape(&failed.join("; "))
        );
    }
    body.push_str("</table>\n");
    for (verdict, run) in report.scenarios.iter().zip(runs) {
        let _ = writeln!(
            body,
            "<h1 id=\"{}\">{}</h1>",
            escape(&verdict.name),
            escape(&verdict.name)
        );
        body.push_str(&Verdict::of(run.results).html());
        if !verdict.purpose.is_empty() {
            let _ = writeln!(body, "<p>{}</p>", escape(&verdict.purpose));
        }
        body.push_str("<table><tr><th>check</th><th>actual</th><th>expected</th><th>limit</th><th>verdict</th></tr>\n");
        for c in &verdict.checks {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                escape(&c.name),
                fmt_num(c.actual),
                fmt_num(c.expected),
                fmt_num(c.limit),
                if c.passed { "pass" } else { "fail" },
                if c.passed { "pass" } else { "FAIL" }
            );
        }
        body.push_str("</table>\n");
        body.push_str(&run_sections(run)?);
    }
    Ok(page("monday-perf gate", &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn run_report_is_self_contained_with_charts_and_escaped_text() {
        let mut r = crate::results::sample_results();
        r.name = "<script>alert(1)</script>".into();
        let mut h = LatencyHistogram::new();
        for i in 1..500 {
            h.record(Duration::from_millis(i));
        }
        let figures = Figures::of(&r);
        let html = run_report(&RunReportInput {
            results: &r,
            requests: &h,
            records: &h,
            baseline: Some(&figures),
        })
        .unwrap();
        assert!(
            !html.to_lowercase().contains("<script"),
            "no JavaScript, names escaped"
        );
        assert!(html.contains("&lt;script&gt;"));
        assert!(
            html.matches("<svg").count() >= 4,
            "latency, timeline, distribution, phases"
        );
        assert!(html.contains("baseline records"), "baseline overlaid");
        assert!(
            html.contains("<td>client_cpu_us_per_record</td><td>4.2</td>"),
            "client CPU per record is reported"
        );
        let failed = html.find("failed records").expect("failed records row");
        let per_record = html.find("per record (ms)").expect("per-record row");
        assert!(failed < per_record, "failures come first");
        for external in ["src=\"http", "href=\"http", "<link", "@import"] {
            assert!(
                !html.contains(external),
                "no external resources: {external}"
            );
        }
        assert!(html.contains("Seed <b>7</b>"));
        let verdict = html.find("<section class=\"verdict\">").expect("a verdict");
        assert!(
            verdict < html.find("<table").unwrap() && verdict < html.find("<svg").unwrap(),
            "the report opens with its verdict"
        );
        assert!(html[verdict..].contains(&escape(&Verdict::of(&r).lines[0])));
    }

    #[test]
    fn the_gate_report_names_the_regressions_before_any_table() {
        let mut r = crate::results::sample_results();
        let expected = Figures::of(&r);
        r.per_record_ms = 80.0;
        let b = crate::baseline::Baseline {
            format: 1,
            description: String::new(),
            tolerances: Default::default(),
            scenarios: vec![crate::baseline::GateScenario {
                scenario: crate::scenario::Scenario {
                    name: "small".into(),
                    ..Default::default()
                },
                purpose: String::new(),
                targets: Default::default(),
                tolerances: Default::default(),
                skip_metrics: vec![],
                expected: Some(expected),
                harness_wall_ms: None,
                pinned: Default::default(),
            }],
        };
        let v = crate::gate::evaluate(&b, &b.scenarios[0], &r);
        let report = GateReport {
            baseline: "t.json".into(),
            passed: v.passed,
            scenarios: vec![v],
            started_at: String::new(),
            wall_ms: 1.0,
        };
        let h = LatencyHistogram::new();
        let html = gate_report(
            &report,
            &[RunReportInput {
                results: &r,
                requests: &h,
                records: &h,
                baseline: None,
            }],
        )
        .unwrap();
        let headline = html
            .find("REGRESSION: 1 of 1 scenarios regressed")
            .expect("headline");
        let which = html
            .find("small: per_record_ms: actual 80 (baseline 41.5")
            .expect("the scenario and its figures");
        assert!(html[which..].contains("+92.8% against the baseline"));
        assert!(headline < which && which < html.find("<table").unwrap());
    }
}
