//! Faults on the bulk import's own steps (cut upload, expired URL, `FAILED` after a partial
//! commit, 429 on start, capacity rejection), in virtual time: every record ends on the board
//! exactly once, none is lost.

use crate::support;

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
    run_config(bulk_config(), sim_cfg, customers).await
}

async fn run_config(
    cfg: SyncConfig,
    sim_cfg: SimConfig,
    customers: usize,
) -> (RunSummary, Arc<mock_monday::Simulator>, Arc<Counter>) {
    let (sim, t) = sim(sim_cfg);
    let counter = Arc::new(Counter::default());
    let s = run(RunParams {
        state: StateSpec::InMemory,
        observer: Some(counter.clone()),
        ..params(cfg, InputSource::Records(recs(N, customers)), t)
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
    // A set of rows whose three jobs all fail goes as batches, and what the failed jobs
    // committed is updated there, not created twice: every record is on the board once.
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), N, "lost records");
    assert_eq!(
        items.values().filter(|v| v.len() > 1).count(),
        0,
        "duplicates"
    );
    assert_eq!((s.failed, s.unresolved), (0, 0), "{:?}", s.failures);
    // The board was empty: every item is this run's, also the ones a failed job committed and
    // a batch then updated.
    assert_eq!((s.created, s.updated), (N as u64, 0));
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert!(jobs.get("FAILED").copied().unwrap_or(0) >= 1, "{jobs:?}");
}

#[tokio::test(start_paused = true)]
async fn every_job_failing_hands_the_rows_to_batches_as_updates_of_what_was_committed() {
    let (s, sim, c) = run_with(
        cfg_with("job_internal_error=1.0", BulkSettings::default()),
        1,
    )
    .await;
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), N);
    assert_eq!(items.values().filter(|v| v.len() > 1).count(), 0);
    assert_eq!(s.failed, 0, "{:?}", s.failures);
    assert_eq!((s.created, s.updated), (N as u64, 0));
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert_eq!(jobs.get("FAILED"), Some(&3), "{jobs:?}");
    assert!(
        c.count(RequestKind::Update) > 0,
        "what the failed jobs committed went as updates"
    );
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

#[tokio::test(start_paused = true)]
async fn a_board_that_reports_its_limit_gets_no_job_that_cannot_fit() {
    // The board reports `items_limit` 300: the sync sends 300 creates (as jobs) and names the
    // other 100 "board full" without a rejected job.
    let mut cfg = cfg_with("", BulkSettings::default());
    cfg.limits.items_limit_per_board = 300;
    let (s, sim, _) = run_with(cfg, 2).await;
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert_eq!(jobs.get("REJECTED"), None, "{jobs:?}");
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 300);
    assert_eq!(items.values().filter(|v| v.len() > 1).count(), 0);
    assert_eq!((s.created, s.failed, s.unresolved), (300, 100, 0));
    assert!(s
        .failures
        .iter()
        .all(|f| f.cause == monday_sync::transform::FailureCause::BoardFull));
}

#[tokio::test(start_paused = true)]
async fn a_job_that_meets_a_full_board_fills_its_room_and_reports_the_rest_board_full() {
    // The board takes 300 items; the sync is told 10,000 (`board.max_items`, over what the
    // board reports). Two groups of 200 go as two jobs: the first fits, the second is REJECTED
    // with BOARD_CAPACITY_EXCEEDED.
    let mut cfg = cfg_with("", BulkSettings::default());
    cfg.limits.items_limit_per_board = 300;
    let mut sync_cfg = bulk_config();
    sync_cfg.board.max_items = Some(10_000);
    let (s, sim, _) = run_config(sync_cfg, cfg, 2).await;
    let jobs = &s.ingest.as_ref().expect("jobs ran").jobs_by_state;
    assert_eq!(jobs.get("REJECTED"), Some(&1), "{jobs:?}");
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 300, "the board's room is used");
    assert_eq!(
        items.values().filter(|v| v.len() > 1).count(),
        0,
        "duplicated records"
    );
    assert_eq!((s.created, s.failed, s.unresolved), (300, 100, 0));
    // Every record is on the board once or named as "board full": none is lost.
    assert!(s
        .failures
        .iter()
        .all(|f| f.cause == monday_sync::transform::FailureCause::BoardFull));
    let failed: std::collections::HashSet<_> =
        s.failures.iter().filter_map(|f| f.key.clone()).collect();
    assert_eq!(failed.len(), 100);
    assert!(failed.iter().all(|k| !items.contains_key(k)));
}

#[tokio::test(start_paused = true)]
async fn a_run_within_the_hour_of_another_plans_with_the_budget_it_left() {
    // Run 1 creates 10,000 items in one job: 10,000 of the account's 19,000 items this hour.
    // Run 2 (same state file, minutes later) changes all 10,000: only 9,000 fit the hour.
    const ROWS: usize = 10_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = StateSpec::Path(dir.path().join("state.db"));
    let (sim, t) = sim(cfg_with("", BulkSettings::default()));
    let sync = |input: Vec<Map<String, Value>>| {
        run(RunParams {
            state: state.clone(),
            ..params(bulk_config(), InputSource::Records(input), t.clone())
        })
    };
    let first = sync(recs(ROWS, 1)).await.expect("run 1");
    assert_eq!(first.created, ROWS as u64);
    let changed: Vec<_> = recs(ROWS, 1)
        .into_iter()
        .map(|mut r| {
            r.insert("po_number".into(), Value::from("PO-CHANGED"));
            r
        })
        .collect();
    let second = sync(changed).await.expect("run 2");
    assert_eq!((second.updated, second.failed), (ROWS as u64, 0));
    let ingest = second.ingest.as_ref().expect("jobs ran");
    assert_eq!(ingest.jobs_by_state.get("REJECTED"), None, "{ingest:?}");
    assert_eq!(
        ingest.jobs_by_state.get("COMPLETED"),
        Some(&1),
        "{ingest:?}"
    );
    assert_eq!(ingest.rows_by_outcome.get("updated"), Some(&9_000));
    // The job took what the hour had left; the re-plan after it sent the other 1,000 rows as
    // batches, and the summary says why.
    let last = second.plan.last().expect("a plan");
    assert_eq!(
        (last.path.as_str(), last.records),
        ("batch", 1_000),
        "{last:?}"
    );
    assert!(
        last.why.contains("no bulk-import items left this hour"),
        "{last:?}"
    );
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), ROWS);
    assert_eq!(items.values().filter(|v| v.len() > 1).count(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_run_that_finds_the_hour_spent_waits_for_it_when_batches_are_slower() {
    // A trial-sized complexity budget (1M a minute: 33 `create_item`s a minute), so 10,000
    // records as batches take five hours and waiting for the hour's item budget is sooner.
    const ROWS: usize = 10_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = StateSpec::Path(dir.path().join("state.db"));
    let mut sim_cfg = cfg_with("", BulkSettings::default());
    sim_cfg.limits.personal_budget = 1_000_000;
    let (sim, t) = sim(sim_cfg);
    let sync = |input: Vec<Map<String, Value>>| {
        run(RunParams {
            state: state.clone(),
            ..params(bulk_config(), InputSource::Records(input), t.clone())
        })
    };
    let changed = |n: usize, po: &str| -> Vec<Map<String, Value>> {
        recs(ROWS, 1)
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                if i < n {
                    r.insert("po_number".into(), Value::from(po));
                }
                r
            })
            .collect()
    };
    let t0 = tokio::time::Instant::now();
    // 10,000 created, then 9,000 updated: the hour's 19,000 items are spent.
    assert_eq!(
        sync(recs(ROWS, 1)).await.expect("run 1").created,
        ROWS as u64
    );
    assert_eq!(
        sync(changed(9_000, "PO-2")).await.expect("run 2").updated,
        9_000
    );
    let third = sync(changed(ROWS, "PO-3")).await.expect("run 3");
    assert_eq!((third.updated, third.failed), (ROWS as u64, 0));
    let ingest = third.ingest.as_ref().expect("jobs ran");
    assert_eq!(ingest.sent_as_batches, 0, "{ingest:?}");
    assert_eq!(ingest.jobs_by_state.get("REJECTED"), None, "{ingest:?}");
    assert_eq!(
        ingest.jobs_by_state.get("COMPLETED"),
        Some(&1),
        "{ingest:?}"
    );
    assert_eq!(ingest.rows_by_outcome.get("updated"), Some(&(ROWS as u64)));
    // The job waited for run 1's 10,000 to leave the hour, and not five hours of batches.
    let took = tokio::time::Instant::now() - t0;
    assert!(
        took >= std::time::Duration::from_secs(3_600)
            && took < std::time::Duration::from_secs(2 * 3_600),
        "{took:?}"
    );
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), ROWS);
    assert_eq!(items.values().filter(|v| v.len() > 1).count(), 0);
}
