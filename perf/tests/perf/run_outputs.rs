//! One run end to end on the virtual clock: figures, board check and every output file.

use monday_perf::replay::results::RunResults;
use monday_perf::replay::run::{run_scenario, RunOptions};
use monday_perf::report::outputs::write_run_outputs;
use monday_perf::workload::scenario::Scenario;

fn scenario(records: u64) -> Scenario {
    Scenario {
        name: "t".into(),
        records,
        seed: 3,
        ..Scenario::default()
    }
}

#[test]
fn a_run_syncs_every_record_exactly_once_and_is_deterministic() {
    let a = run_scenario(&scenario(300), &RunOptions::default()).unwrap();
    let r = &a.results;
    assert_eq!(r.records, 300);
    assert_eq!((r.failed_records, r.duplicates, r.lost_records), (0, 0, 0));
    assert_eq!(r.items_on_board, 300);
    assert_eq!(r.latency.records.count, 300);
    assert_eq!(r.latency.requests.count, r.requests);
    assert!(r.api_time_ms > 0.0, "virtual time passed");
    assert!((r.per_record_ms - r.api_time_ms / 300.0).abs() < 0.01);
    assert!(
        r.efficiency > 0.0 && r.efficiency <= 1.0,
        "{}",
        r.efficiency
    );
    assert_eq!(r.seed, 3);
    let timeline_requests: u64 = r.timeline.iter().map(|p| p.requests).sum();
    assert_eq!(timeline_requests, r.requests);
    let b = run_scenario(&scenario(300), &RunOptions::default()).unwrap();
    assert_eq!(r.without_wall_clock(), b.results.without_wall_clock());
}

#[test]
fn outputs_are_written_in_their_standard_formats() {
    let a = run_scenario(&scenario(120), &RunOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_run_outputs(&a, dir.path(), None).unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    for field in [
        "records",
        "per_record_ms",
        "api_time_ms",
        "requests",
        "throttled",
        "retries",
        "failed_records",
        "duplicates",
        "efficiency",
        "seed",
        "scenario",
        "sync_summary",
    ] {
        assert!(json.get(field).is_some(), "results.json lacks {field}");
    }
    for p in ["p50", "p90", "p99", "p999", "max"] {
        assert!(json["latency"]["requests"][p].is_number());
        assert!(json["latency"]["records"][p].is_number());
    }
    let back = RunResults::read(&dir.path().join("results.json")).unwrap();
    assert_eq!(
        (back.records, back.requests, back.per_record_ms),
        (120, a.results.requests, a.results.per_record_ms)
    );
    assert_eq!(back.latency, a.results.latency);

    let hgrm = std::fs::read_to_string(dir.path().join("records.hgrm")).unwrap();
    assert!(hgrm.trim_start().starts_with("Value"));
    assert!(hgrm.contains("Total count    =          120]"));
    let hlog = std::fs::read(dir.path().join("requests.hlog")).unwrap();
    assert!(hlog.starts_with(b"#monday-perf"));

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.matches("<svg").count() >= 4);
    assert!(!html.to_ascii_lowercase().contains("<script"));
}

#[test]
fn the_real_clock_runs_over_http() {
    let s = Scenario {
        profile: "instant".into(),
        clock: monday_perf::workload::scenario::Clock::Real,
        ..scenario(60)
    };
    let a = run_scenario(&s, &RunOptions::default()).unwrap();
    assert_eq!(
        (
            a.results.failed_records,
            a.results.duplicates,
            a.results.lost_records
        ),
        (0, 0, 0)
    );
    assert_eq!(a.results.items_on_board, 60);
    assert!(a.results.wall_clock.client_overhead_per_record_ms.is_some());
}
