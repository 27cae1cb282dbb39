//! Self-contained HTML reports: inline CSS and SVG, no JavaScript, no external resources, so the
//! file opens offline from a CI artifact. All text from data is HTML-escaped.

use std::fmt::Write as _;

use crate::error::Result;
use crate::judge::baseline::Figures;
use crate::judge::gate::GateReport;
use crate::judge::verdict::{gate_lines, Verdict};
use crate::measure::latency::{LatencyHistogram, Percentiles};
use crate::replay::results::RunResults;
use crate::report::charts::{self, Series};
use crate::textfmt::{fmt_num, html_escape as escape};

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
    /// `(start, end)` ms of each batch write request (the job timeline's batch row).
    pub batch_spans: &'a [(f64, f64)],
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

    if let Some(bulk) = &r.bulk {
        out.push_str(&bulk_section(r, bulk, input.batch_spans)?);
    }

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

/// The bulk-import section: each job's timeline beside the batches, the time split by path, the
/// counts in the simulator's word, and per-record time by record count for each path.
fn bulk_section(
    r: &RunResults,
    bulk: &crate::measure::bulk::BulkActivity,
    batch_spans: &[(f64, f64)],
) -> Result<String> {
    let mut out = String::from("<h2>Bulk import jobs</h2>\n");
    let _ = writeln!(out, "<p>Path taken: {}.</p>", escape(&r.path_taken()));
    let bars: Vec<charts::JobBar> = bulk
        .jobs
        .iter()
        .map(|j| charts::JobBar {
            label: format!("{} ({} rows)", short(&j.group_id), j.rows),
            segments: j
                .phases()
                .into_iter()
                .map(|(p, a, b)| (p, a / 1000.0, b / 1000.0))
                .collect(),
        })
        .collect();
    let batches: Vec<(f64, f64)> = crate::measure::bulk::union(batch_spans.to_vec())
        .into_iter()
        .map(|(a, b)| (a / 1000.0, b / 1000.0))
        .collect();
    let x_max = r.timeline.len().max(1) as f64;
    figure(&mut out, &charts::job_timeline(&bars, &batches, x_max)?);
    let t = &bulk.path_time;
    out.push_str(
        "<h3>Time by path</h3><table><tr><th>path</th><th>ms</th><th>share of API time</th></tr>\n",
    );
    let share = |ms: f64| {
        if t.api_time_ms > 0.0 {
            format!("{:.1}%", ms / t.api_time_ms * 100.0)
        } else {
            "-".into()
        }
    };
    for (name, ms) in [
        ("jobs in flight (start to end)", t.jobs_ms),
        ("batch writes in flight", t.batches_ms),
        ("both at once", t.both_ms),
        ("API time", t.api_time_ms),
    ] {
        let _ = writeln!(
            out,
            "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>",
            fmt_num(ms),
            share(ms)
        );
    }
    out.push_str("</table>\n");
    let c = &bulk.counts;
    out.push_str("<h3>Counted by the simulator</h3><table><tr><th>what</th><th>count</th></tr>\n");
    let mut rows: Vec<(String, u64)> = vec![
        ("job starts".into(), c.ingest_starts),
        ("uploads".into(), c.uploads),
        ("polls".into(), c.job_polls),
        ("report downloads".into(), c.report_downloads),
        ("label updates (one per column)".into(), c.label_requests),
        (
            "jobs rejected for capacity".into(),
            c.jobs_rejected_for_capacity,
        ),
    ];
    rows.extend(
        c.jobs_by_state
            .iter()
            .map(|(k, v)| (format!("jobs {k}"), *v)),
    );
    rows.extend(
        c.rows_by_outcome
            .iter()
            .map(|(k, v)| (format!("rows {k}"), *v)),
    );
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><td>{}</td><td>{v}</td></tr>", escape(&k));
    }
    out.push_str("</table>\n");
    if let Some(curves) = path_curves(r) {
        out.push_str("<h3>Per-record time by record count</h3>\n");
        figure(&mut out, &curves?);
    }
    Ok(out)
}

fn short(id: &str) -> String {
    id.chars().take(16).collect()
}

/// Record counts the path chart samples (the run's own count is added).
const CURVE_RECORDS: [u64; 10] = [10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

/// The ceiling model's per-record time of each path at [`CURVE_RECORDS`] (the run's groups,
/// settings and share of records a CSV row cannot carry), the crossover it finds and this run's point; None without the bulk path modelled.
fn path_curves(r: &RunResults) -> Option<Result<String>> {
    let best = r.ceiling.best_plan.as_ref()?;
    let sim = crate::replay::run::sim_config(&r.scenario).ok()?;
    let bulk = crate::model::yardstick::bulk_inputs(&sim);
    let mut batch = Vec::new();
    let mut jobs = Vec::new();
    let mut mixed = Vec::new();
    let mut counts: Vec<u64> = CURVE_RECORDS.to_vec();
    counts.push(r.records);
    counts.sort_unstable();
    counts.dedup();
    for n in counts.into_iter().filter(|n| *n > 0) {
        // The same groups and the same share of records a CSV row cannot carry.
        let p = r.ceiling.inputs.at_records(n).best_plan(&bulk);
        let per = |ms: f64| ms / n as f64;
        batch.push((n as f64, per(p.batch_ms)));
        jobs.push((n as f64, per(p.bulk_ms)));
        mixed.push((n as f64, per(p.mixed_ms)));
    }
    let series = [
        Series {
            label: "batches only".into(),
            points: batch,
        },
        Series {
            label: "jobs only".into(),
            points: jobs,
        },
        Series {
            label: "jobs and batches mixed".into(),
            points: mixed,
        },
    ];
    let measured = (r.records > 0).then_some((r.records as f64, r.per_record_ms));
    Some(charts::path_curves(
        &series,
        best.crossover_records.map(|n| n as f64),
        measured,
    ))
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
    fn a_run_with_jobs_shows_their_timeline_the_split_by_path_and_the_path_curves() {
        let mut r = crate::replay::results::sample_results();
        let mut h = LatencyHistogram::new();
        h.record(Duration::from_millis(5));
        let plain = run_report(&RunReportInput {
            results: &r,
            requests: &h,
            records: &h,
            baseline: None,
            batch_spans: &[],
        })
        .unwrap();
        assert!(
            !plain.contains("Bulk import jobs"),
            "no section without jobs"
        );
        let jobs = serde_json::json!([
            {"job_id": "a", "group_id": "<g1>", "created_at_ms": 1_000, "uploaded_at_ms": 1_200,
             "processing_started_at_ms": 3_200, "ended_at_ms": 9_000,
             "status": {"status": "COMPLETED", "counts": {"submitted": 300}}}]);
        let spans = crate::measure::bulk::job_spans(&jobs, Duration::ZERO);
        let stats = serde_json::json!({"requests_by_kind": {"ingest_start": 1, "upload": 1, "job_poll": 2},
            "jobs_by_state": {"COMPLETED": 1}, "rows_by_outcome": {"created": 300}});
        r.bulk = Some(crate::measure::bulk::BulkActivity {
            counts: crate::measure::bulk::BulkCounts::of(&stats, &spans),
            path_time: crate::measure::bulk::PathTime::of(&spans, &[(0.0, 500.0)], 10_000.0),
            jobs: spans,
        });
        let inputs = crate::replay::run::ceiling_inputs(
            &crate::replay::run::sim_config(&r.scenario).unwrap(),
            r.records,
            3,
            1,
        );
        r.ceiling = inputs.ceiling_with(Some(&crate::model::ceiling::BulkInputs::realistic()));
        let html = run_report(&RunReportInput {
            results: &r,
            requests: &h,
            records: &h,
            baseline: None,
            batch_spans: &[(0.0, 500.0)],
        })
        .unwrap();
        assert!(html.contains("Bulk import jobs"));
        assert!(html.contains("jobs for 300 of"), "the path taken");
        assert!(
            html.contains("&lt;g1&gt; (300 rows)"),
            "job labels escaped by plotters"
        );
        assert!(html.contains("<td>jobs in flight (start to end)</td><td>8000</td>"));
        assert!(html.contains("<td>polls</td><td>2</td>"));
        assert!(
            html.contains("crossover: jobs win from"),
            "the crossover is marked"
        );
        assert_eq!(
            html.matches("<svg").count(),
            plain.matches("<svg").count() + 2,
            "job timeline and path curves"
        );
        assert!(!html.to_lowercase().contains("<script"));
    }

    #[test]
    fn run_report_is_self_contained_with_charts_and_escaped_text() {
        let mut r = crate::replay::results::sample_results();
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
            batch_spans: &[],
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
        let mut r = crate::replay::results::sample_results();
        let expected = Figures::of(&r);
        r.per_record_ms = 80.0;
        let b = crate::judge::baseline::Baseline {
            format: 1,
            description: String::new(),
            tolerances: Default::default(),
            scenarios: vec![crate::judge::baseline::GateScenario {
                scenario: crate::workload::scenario::Scenario {
                    name: "small".into(),
                    ..Default::default()
                },
                purpose: String::new(),
                targets: Default::default(),
                tolerances: Default::default(),
                skip_metrics: vec![],
                expected: Some(expected),
                harness_wall_ms: None,
                compare: vec![],
                pinned: Default::default(),
            }],
        };
        let v = crate::judge::gate::evaluate(&b, &b.scenarios[0], &r);
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
                batch_spans: &[],
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
