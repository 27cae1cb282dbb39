//! Faults on the bulk import's own steps (cut upload, expired URL, `FAILED` after a partial
//! commit, 429 on start, capacity rejection), in virtual time: every record ends on the board
//! exactly once, none is lost.

mod support;

use std::sync::Arc;

use mock_monday::jobs::BulkSettings;
use mock_monday::{FaultConfig, LatencyProfile, SimConfig};
use monday_sync::config::{Mode, SyncConfig};
use monday_sync::engine::{run, RequestKind, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::state::StateSpec;
use serde_json::{Map, Value};
use support::*;

const N: usize = 400;

fn bulk_config() -> SyncConfig {
    let mut cfg = example_config();
    cfg.sync.mode = Mode::Auto;
    cfg
}

fn recs(n: usize, customers: usize) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|i| {
            let mut r = record(i);
            r.insert(
                "customer".into(),
                Value::from(format!("Customer {}", i % customers)),
            );
            r
        })
        .collect()
}

async fn run_with(
    sim_cfg: SimConfig,
    customers: usize,
) -> (RunSummary, Arc<mock_monday::Simulator>, Arc<Counter>) {
    let (sim, t) = sim(sim_cfg);
    let counter = Arc::new(Counter::default());
    let s = run(RunParams {
        state: StateSpec::InMemory,
        observer: Some(counter.clone()),
        ..params(bulk_config(), InputSource::Records(recs(N, customers)), t)
    })
    .await
    .expect("run");
    (s, sim, counter)
}

fn cfg_with(faults: &str, bulk: BulkSettings) -> SimConfig {
    SimConfig {
        profile: LatencyProfile::Instant,
        seed: 11,
        faults: FaultConfig::parse(faults).expect("faults"),
        bulk,
        ..SimConfig::default()
    }
}

/// 0 duplicates, 0 lost, nothing failed.
fn exactly_once(s: &RunSummary, sim: &mock_monday::Simulator) {
    assert_eq!(
        (s.created, s.failed, s.unresolved),
        (N as u64, 0, 0),
        "{:?}",
        s.failures
    );
    let items = board_items_by_key(sim);
    assert_eq!(items.len(), N, "lost records");
    let dupes = items.values().filter(|v| v.len() > 1).count();
    assert_eq!(dupes, 0, "duplicated records");
}

#[tokio::test(start_paused = true)]
async fn cut_uploads_start_new_jobs() {
    let (s, sim, c) = run_with(cfg_with("upload_cut=0.5", BulkSettings::default()), 1).await;
    exactly_once(&s, &sim);
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert!(jobs.get("ABANDONED").copied().unwrap_or(0) >= 1, "{jobs:?}");
    assert!(c.count(RequestKind::Upload) >= 2);
}

#[tokio::test(start_paused = true)]
async fn expired_upload_urls_end_as_batches() {
    let bulk = BulkSettings {
        url_lifetime_secs: 0,
        ..BulkSettings::default()
    };
    let mut cfg = cfg_with("", bulk);
    cfg.profile = LatencyProfile::Realistic;
    let (s, sim, c) = run_with(cfg, 1).await;
    exactly_once(&s, &sim);
    let ingest = s.ingest.as_ref().expect("jobs ran");
    assert_eq!(
        ingest.jobs_by_state.get("ABANDONED"),
        Some(&3),
        "{ingest:?}"
    );
    assert_eq!(ingest.sent_as_batches, N as u64);
    assert!(c.count(RequestKind::Create) > 0);
}

#[tokio::test(start_paused = true)]
async fn failed_jobs_after_a_partial_commit_are_redone_without_duplicates() {
    let (s, sim, _) = run_with(
        cfg_with("job_internal_error=0.6", BulkSettings::default()),
        2,
    )
    .await;
    exactly_once(&s, &sim);
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert!(jobs.get("FAILED").copied().unwrap_or(0) >= 1, "{jobs:?}");
}

#[tokio::test(start_paused = true)]
async fn every_job_failing_hands_the_rows_to_batches_as_updates_of_what_was_committed() {
    let (s, sim, _) = run_with(
        cfg_with("job_internal_error=1.0", BulkSettings::default()),
        1,
    )
    .await;
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), N);
    assert_eq!(items.values().filter(|v| v.len() > 1).count(), 0);
    assert_eq!(s.failed, 0, "{:?}", s.failures);
    assert_eq!(s.created + s.updated, N as u64);
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert_eq!(jobs.get("FAILED"), Some(&3), "{jobs:?}");
}

#[tokio::test(start_paused = true)]
async fn a_429_on_start_waits_its_retry_after_ms() {
    let bulk = BulkSettings {
        job_starts_per_hour: 1,
        ..BulkSettings::default()
    };
    let (s, sim, c) = run_with(cfg_with("", bulk), 2).await;
    exactly_once(&s, &sim);
    assert!(s.throttled >= 1, "the second start met the start limit");
    assert_eq!(
        s.ingest.as_ref().unwrap().jobs_by_state.get("COMPLETED"),
        Some(&2)
    );
    assert!(c.count(RequestKind::IngestStart) >= 3);
}

#[tokio::test(start_paused = true)]
async fn a_capacity_rejection_sends_the_rows_as_batches() {
    let bulk = BulkSettings {
        items_per_hour: 100,
        ..BulkSettings::default()
    };
    let (s, sim, c) = run_with(cfg_with("", bulk), 1).await;
    exactly_once(&s, &sim);
    let ingest = s.ingest.as_ref().expect("jobs ran");
    assert_eq!(ingest.jobs_by_state.get("REJECTED"), Some(&1), "{ingest:?}");
    assert!(c.count(RequestKind::Create) > 0);
}
