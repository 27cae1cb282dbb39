//! The calibration round trip: traffic against the simulator with a known, non-default latency
//! profile and the request log on; `calibrate` on that log must recover the profile's numbers.

use std::time::Duration;

use bytes::Bytes;
use mock_monday::config::{LatencyProfile, LimitSettings, SimConfig};
use mock_monday::latency::LatencySettings;
use mock_monday::{CoreRequest, Simulator};
use monday_perf::tune::calibrate::{fit, fit_logs};

fn known_profile() -> LatencySettings {
    LatencySettings {
        base_median_ms: 400.0,
        base_p99_ms: 900.0,
        base_cap_ms: 8_000.0,
        per_mutation_field_ms: 40.0,
        per_item_read_ms: 0.0,
        spike_probability: 0.2,
        spike_min_ms: 3_000.0,
        spike_max_ms: 5_000.0,
        refused_min_ms: 30.0,
        refused_max_ms: 90.0,
        gateway_timeout_ms: 60_000.0,
    }
}

fn create_request(aliases: usize, n: usize, authorized: bool) -> CoreRequest {
    let mut q = String::from("mutation {");
    for i in 0..aliases {
        q.push_str(&format!(
            " a{i}: create_item(board_id: 1234567890, item_name: \"r{n}-{i}\") {{ id }}"
        ));
    }
    q.push_str(" }");
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if authorized {
        headers.push(("authorization".into(), "tok".into()));
    }
    CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers,
        body: Bytes::from(serde_json::json!({ "query": q }).to_string()),
        client_ip: None,
    }
}

/// 20,000 create requests of 1..=4 aliases one after another, every 10th without a token (a
/// refusal); returns the server's request log.
async fn traffic(settings: LatencySettings) -> String {
    let sim = Simulator::new(SimConfig {
        profile: LatencyProfile::Custom(settings),
        seed: 11,
        request_log_capacity: 40_000,
        limits: LimitSettings {
            personal_budget: u64::MAX / 4,
            max_complexity_per_request: u64::MAX / 4,
            items_limit_per_board: 1_000_000,
            minute_requests_pro: 1_000_000,
            // 20,000 calls exceed Pro's daily limit (10,000); this test is about latency only.
            daily_enabled: false,
            ..LimitSettings::default()
        },
        ..SimConfig::default()
    })
    .expect("simulator starts");
    for n in 0..20_000 {
        let req = create_request(1 + n % 4, n, n % 10 != 9);
        sim.dispatch(req, Duration::from_secs(120)).await;
    }
    String::from_utf8(sim.request_log_ndjson(0)).unwrap()
}

fn within(name: &str, fitted: f64, known: f64, tolerance: f64) {
    let err = (fitted - known).abs() / known;
    eprintln!(
        "{name:<24} known {known:>9.3}  fitted {fitted:>9.3}  ({:.1}% off)",
        err * 100.0
    );
    assert!(err <= tolerance, "{name}: fitted {fitted}, known {known}");
}

/// Every parameter a log can show is within 10% of the known profile's.
fn recovers(fitted: &LatencySettings, known: &LatencySettings) {
    let pairs = [
        (
            "base_median_ms",
            fitted.base_median_ms,
            known.base_median_ms,
        ),
        ("base_p99_ms", fitted.base_p99_ms, known.base_p99_ms),
        (
            "per_mutation_field_ms",
            fitted.per_mutation_field_ms,
            known.per_mutation_field_ms,
        ),
        (
            "spike_probability",
            fitted.spike_probability,
            known.spike_probability,
        ),
        ("spike_min_ms", fitted.spike_min_ms, known.spike_min_ms),
        ("spike_max_ms", fitted.spike_max_ms, known.spike_max_ms),
        (
            "refused_min_ms",
            fitted.refused_min_ms,
            known.refused_min_ms,
        ),
        (
            "refused_max_ms",
            fitted.refused_max_ms,
            known.refused_max_ms,
        ),
    ];
    for (name, f, k) in pairs {
        within(name, f, k, 0.10);
    }
}

#[tokio::test(start_paused = true)]
async fn calibrate_recovers_a_known_profile_from_the_server_log() {
    let known = known_profile();
    let log = traffic(known.clone()).await;
    assert_eq!(log.lines().count(), 20_000);
    let c = fit(&log, "round-trip.ndjson").unwrap();
    recovers(&c.settings, &known);
    assert_eq!((c.executed, c.refused), (18_000, 2_000));

    // The profile it writes is one `--profile` accepts, with the header naming the log.
    let toml = c.to_toml().unwrap();
    assert!(toml.contains("# from: round-trip.ndjson"));
    assert!(toml.contains("# requests: 20000"));
    assert!(toml.contains("observed p50/p90/p99"));
    let profile = LatencyProfile::from_toml_str(&toml, "fitted").expect("the profile loads");
    assert_eq!(profile.settings(), c.settings);
    print!("{}", c.quality_table());
}

/// One `monday-sync` run on its own simulator (the known profile, seed `seed`) with the request
/// log on; returns the log's text.
async fn logged_sync(
    dir: &std::path::Path,
    seed: u64,
    records: u64,
    mode: monday_sync::config::Mode,
    batch_size: Option<usize>,
    write_concurrency: usize,
) -> String {
    use std::sync::Arc;

    use monday_perf::replay::transport::InProcessTransport;
    use monday_perf::workload::generate::{ndjson_bytes, GenerateSpec};
    use monday_sync::config::SyncConfig;
    use monday_sync::engine::{run, RunParams};
    use monday_sync::input::InputSource;
    use monday_sync::state::StateSpec;

    let sim = Simulator::new(SimConfig {
        profile: LatencyProfile::Custom(known_profile()),
        seed,
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let config_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync/configs/order_list.toml");
    let mut config = SyncConfig::load(&config_path).expect("example config");
    config.sync.mode = mode;
    config.sync.batch_size = batch_size;
    config.sync.write_concurrency = write_concurrency as _;
    let log = dir.join(format!("run-{seed}.ndjson"));
    let summary = run(RunParams {
        config,
        input: InputSource::Ndjson(ndjson_bytes(GenerateSpec { records, seed }).unwrap().into()),
        transport: Arc::new(InProcessTransport::new(Arc::new(sim))),
        token: "calibration-token".into(),
        state: StateSpec::InMemory,
        report_dir: None,
        dry_run: false,
        progress: false,
        observer: None,
        request_log: Some(log.clone()),
    })
    .await
    .expect("the sync runs");
    assert_eq!(
        summary.failed,
        0,
        "run {seed}: every record synced: {:?}",
        serde_json::to_value(&summary).unwrap()["failures"]
    );
    std::fs::read_to_string(&log).expect("the request log was written")
}

/// The loop the issue asks to close, from the client's side: three `monday-sync` runs against the
/// simulator with the known profile and `--request-log` on, of the kinds a user collects over a
/// week (single mode with two writes in flight, which meets board locks; batches of 10 and of
/// 40), then `calibrate` over the three logs. One run alone has about one alias count per kind,
/// which cannot separate the per-alias cost from the base (the 40s log alone fitted a base median
/// of 1,300 ms and 16 ms per alias). About 3,700 executed requests: the spike rate (0.2) has a
/// standard error near 3.5% of itself, so 10% is about three errors.
#[tokio::test(start_paused = true)]
async fn calibrate_recovers_a_known_profile_from_sync_request_logs() {
    use monday_sync::config::Mode;
    let dir = tempfile::tempdir().unwrap();
    let single = logged_sync(dir.path(), 31, 3_000, Mode::Single, None, 2).await;
    let tens = logged_sync(dir.path(), 32, 4_000, Mode::Batch, Some(10), 1).await;
    let forties = logged_sync(dir.path(), 33, 8_000, Mode::Batch, Some(40), 1).await;

    let c = fit_logs(&[
        ("single.ndjson", &single),
        ("tens.ndjson", &tens),
        ("forties.ndjson", &forties),
    ])
    .unwrap();
    print!("{}", c.quality_table());
    eprintln!(
        "{} requests, {} executed, {} refused, {} spikes",
        c.requests, c.executed, c.refused, c.spikes
    );
    let known = known_profile();
    recovers(&c.settings, &known);
    assert!(
        c.refused >= 30,
        "the single-mode run met board locks: {}",
        c.refused
    );
    assert!(
        c.origin.starts_with("3 logs: single.ndjson"),
        "{}",
        c.origin
    );
}

/// The bulk import at a known processing rate (100 rows/s, 3 s start delay, the realistic
/// latency profile): the reference client imports 9,000 rows (the board holds 10,000) in three jobs
/// polled every 10 s;
/// `calibrate` on its log recovers the rate within 2% and the delay within 0.5 s (a poll every 10 s
/// sees the progress in 1% steps of a 3,000-row job: 30 rows, 0.3 s at this rate).
#[tokio::test(start_paused = true)]
async fn calibrate_recovers_the_job_processing_rate_and_start_delay() {
    use mock_monday::jobs::{BulkSettings, JobTiming};
    use monday_perf::replay::bulk_client::{drive, DriveSpec};
    let sim = Simulator::new(SimConfig {
        profile: LatencyProfile::Realistic,
        seed: 5,
        bulk: BulkSettings {
            timing: Some(JobTiming {
                job_start_delay_ms: 3_000.0,
                job_rows_per_second: 100.0,
            }),
            ..BulkSettings::default()
        },
        ..SimConfig::default()
    })
    .unwrap();
    let spec = DriveSpec {
        rows_per_job: 3_000,
        // Creates only: matching every row against the board costs wall time, not virtual time.
        upsert: false,
        ..DriveSpec::example(9_000)
    };
    let out = drive(&sim, &spec).await.unwrap();
    assert!(
        out.statuses.iter().all(|s| s["status"] == "COMPLETED"),
        "{:?}",
        out.statuses
    );
    let fit = fit(&out.ndjson(), "bulk.ndjson").unwrap();
    let jobs = fit.jobs.clone().expect("a job fit");
    eprintln!("fitted: {jobs:?}");
    assert_eq!(jobs.jobs_fitted, 3, "{jobs:?}");
    assert!((jobs.rows_per_second - 100.0).abs() <= 2.0, "rate {jobs:?}");
    assert!(
        (jobs.start_delay_ms - 3_000.0).abs() <= 500.0,
        "delay {jobs:?}"
    );
    // The profile carries the job keys, and the simulator reads them back.
    let toml = fit.to_toml().unwrap();
    let timing = JobTiming::from_profile_toml(&toml)
        .unwrap()
        .expect("job keys");
    assert_eq!(timing.job_rows_per_second, jobs.rows_per_second);
    assert_eq!(timing.job_start_delay_ms, jobs.start_delay_ms);
}
