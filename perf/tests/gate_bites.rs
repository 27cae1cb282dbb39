//! The gate bites: against the checked-in `perf/baselines/ci.json` (its scenarios and expected
//! figures, not a fixture), each regression injected through a scenario override or a harness
//! seam fails it, and an unchanged tree passes.
//!
//! This binary installs the log-counting layer as its global subscriber (as the `monday-perf`
//! binary does), so the log metrics are compared too; the tests take turns through one lock so
//! each run's counts are its own.

use std::path::Path;
use std::sync::Mutex;

use monday_perf::baseline::{resolve_workspace_path, Baseline, DEFAULT_BASELINE};
use monday_perf::gate::{run_gate, GateReport};
use monday_perf::log_counts::install_counting_only;
use monday_perf::run::RunOptions;
use monday_perf::scenario::SyncOverrides;
use monday_perf::seams::Seam;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A change to the scenario's sync settings that must make the gate fail.
type Injection = fn(&mut SyncOverrides);

/// The real baseline, reduced to the named scenarios (each case runs the ones that show it).
fn ci_baseline(names: &[&str]) -> Baseline {
    let _ = install_counting_only();
    let path = resolve_workspace_path(Path::new(DEFAULT_BASELINE));
    let mut b = Baseline::load(&path).expect("perf/baselines/ci.json loads");
    b.scenarios
        .retain(|s| names.contains(&s.scenario.name.as_str()));
    assert_eq!(
        b.scenarios.len(),
        names.len(),
        "scenarios {names:?} in ci.json"
    );
    b
}

fn gate(b: &Baseline, seam: Option<Seam>) -> GateReport {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let options = RunOptions {
        seam,
        ..RunOptions::default()
    };
    run_gate(b, DEFAULT_BASELINE, &options)
        .expect("gate runs")
        .0
}

fn with_override(b: &Baseline, f: impl Fn(&mut SyncOverrides)) -> Baseline {
    let mut changed = b.clone();
    for s in &mut changed.scenarios {
        f(&mut s.scenario.sync);
    }
    changed
}

fn failed_checks(r: &GateReport) -> Vec<String> {
    r.failures()
        .map(|(s, c)| format!("{s}/{}", c.name))
        .collect()
}

#[test]
fn unchanged_tree_passes_the_checked_in_baseline() {
    let b = ci_baseline(&["pro-50", "pro-500", "client-cpu-2000"]);
    let report = gate(&b, None);
    assert!(report.passed, "failures: {:?}", failed_checks(&report));
    for s in &report.scenarios {
        assert!(s.has_baseline, "{} has expected figures", s.name);
        let names: Vec<_> = s.checks.iter().map(|c| c.name.as_str()).collect();
        for needed in [
            "requests",
            "warn_events_per_record",
            "info_events_per_record",
            "max_request_count_mismatch",
        ] {
            assert!(
                names.contains(&needed),
                "{}: {needed} not checked: {names:?}",
                s.name
            );
        }
    }
    let cpu = &report.scenarios[2];
    assert!(
        cpu.checks
            .iter()
            .any(|c| c.name == "client_cpu_us_per_record"),
        "the CPU scenario gates client CPU"
    );
}

#[test]
fn overridden_settings_fail_the_gate() {
    let b = ci_baseline(&["pro-500"]);
    let cases: [(&str, Injection); 3] = [
        ("single mode", |o| o.mode = Some("single".into())),
        ("batch size 1", |o| o.batch_size = Some(1)),
        ("concurrency 1", |o| o.concurrency = Some(1)),
    ];
    let mut missed = Vec::new();
    for (what, inject) in cases {
        let report = gate(&with_override(&b, inject), None);
        if report.passed {
            missed.push(what);
        } else {
            eprintln!("{what}: {:?}", failed_checks(&report));
        }
    }
    assert!(missed.is_empty(), "the gate did not catch: {missed:?}");
}

#[test]
fn an_extra_round_trip_per_batch_fails_the_gate() {
    let report = gate(
        &ci_baseline(&["pro-500"]),
        Some(Seam::ExtraRoundTripPerBatch),
    );
    let failed = failed_checks(&report);
    assert!(!report.passed);
    // The engine does not know about the wasted request; the simulator does.
    assert!(
        failed.contains(&"pro-500/max_request_count_mismatch".to_string()),
        "{failed:?}"
    );
}

#[test]
fn a_fixed_retry_wait_fails_the_gate() {
    let report = gate(
        &ci_baseline(&["faults-5000"]),
        Some(Seam::FixedRetryWait { secs: 1 }),
    );
    assert!(
        !report.passed,
        "a client that ignores retry_in_seconds passed"
    );
    eprintln!("fixed 1 s wait: {:?}", failed_checks(&report));
}
