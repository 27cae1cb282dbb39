//! The engine tells its observer what it is doing ([`ActivityEvent`]): sending, and every wait
//! with its reason and its end (budget resets, 429s, board locks, retry backoff), in virtual time.
//! And a bad input file is refused before any request.

use crate::support;

use std::sync::{Arc, Mutex};

use mock_monday::{FaultConfig, LatencyProfile, SimConfig, TokenKind};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{
    run, ActivityEvent, RecordEvent, RequestEvent, RunParams, SyncObserver, WaitReason,
};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::SyncError;
use support::*;
use tokio::time::Instant;

/// Keeps every activity event with the instant it arrived.
#[derive(Default)]
struct ActivityLog(Mutex<Vec<(Instant, ActivityEvent)>>);

impl SyncObserver for ActivityLog {
    fn request_finished(&self, _: &RequestEvent) {}
    fn record_finished(&self, _: &RecordEvent) {}
    fn activity(&self, ev: &ActivityEvent) {
        self.0.lock().unwrap().push((Instant::now(), *ev));
    }
}

impl ActivityLog {
    fn events(&self) -> Vec<(Instant, ActivityEvent)> {
        self.0.lock().unwrap().clone()
    }

    fn waits(&self, reason: WaitReason) -> Vec<(Instant, Instant)> {
        self.events()
            .into_iter()
            .filter_map(|(at, ev)| match ev {
                ActivityEvent::Waiting { reason: r, until } if r == reason => Some((at, until)),
                _ => None,
            })
            .collect()
    }
}

async fn sync_logged(
    cfg: SimConfig,
    n: usize,
    config: SyncConfig,
) -> (RunSummary, Arc<ActivityLog>) {
    let (_sim, t) = sim(cfg);
    let log = Arc::new(ActivityLog::default());
    let s = run(RunParams {
        observer: Some(log.clone()),
        ..params(config, InputSource::Records(records(n)), t)
    })
    .await
    .expect("run");
    (s, log)
}

fn assert_waits_pair_up(log: &ActivityLog) {
    let events = log.events();
    let waiting = events
        .iter()
        .filter(|(_, e)| matches!(e, ActivityEvent::Waiting { .. }))
        .count();
    let over = events
        .iter()
        .filter(|(_, e)| *e == ActivityEvent::WaitOver)
        .count();
    assert_eq!(waiting, over, "every wait is followed by its end");
}

#[tokio::test(start_paused = true)]
async fn budget_waits_are_reported_with_their_end() {
    // Trial budget (1M/min) and 30,000 points per item: 200 items need 6 budget windows.
    let (s, log) = sync_logged(
        SimConfig {
            profile: LatencyProfile::Realistic,
            token_kind: TokenKind::Trial,
            seed: 3,
            ..SimConfig::default()
        },
        200,
        example_config(),
    )
    .await;
    assert_eq!((s.created, s.failed), (200, 0), "{:?}", s.failures);
    let sending = log
        .events()
        .iter()
        .filter(|(_, e)| *e == ActivityEvent::Sending)
        .count() as u64;
    assert_eq!(sending, s.requests, "one Sending per request attempt");
    let budget = log.waits(WaitReason::Budget);
    assert!(budget.len() >= 5, "{} budget waits", budget.len());
    for (at, until) in &budget {
        let d = *until - *at;
        assert!(
            d > std::time::Duration::ZERO && d <= std::time::Duration::from_secs(61),
            "a budget wait of {d:?}"
        );
    }
    let waited: f64 = budget
        .iter()
        .map(|(at, until)| (*until - *at).as_secs_f64())
        .sum();
    assert!(waited > 200.0, "{waited} s of budget waits for 6 windows");
    assert_waits_pair_up(&log);
}

#[tokio::test(start_paused = true)]
async fn storms_locks_and_server_errors_are_named() {
    // Small batches, so that enough requests meet the storm and the 5xx; writes allowed to
    // overlap, so that the board answers 423 (one write at a time, the default, never meets one).
    let mut config = example_config();
    config.sync.batch_size = Some(10);
    config.sync.write_concurrency = 4;
    let (s, log) = sync_logged(
        SimConfig {
            profile: LatencyProfile::Realistic,
            seed: 11,
            faults: FaultConfig::parse("storm=0.05,storm_secs=20,lock=0.1,5xx=0.1").unwrap(),
            ..SimConfig::default()
        },
        500,
        config,
    )
    .await;
    assert_eq!(s.created + s.failed, 500);
    assert!(s.throttled > 0, "the storm refused nothing");
    assert!(s.locked > 0, "no overlapping write was locked");
    let limited = log.waits(WaitReason::RateLimited);
    assert!(!limited.is_empty(), "no 429 wait reported");
    assert!(limited
        .iter()
        .any(|(at, until)| *until - *at > std::time::Duration::from_secs(1)));
    assert!(!log.waits(WaitReason::Locked).is_empty(), "no lock wait");
    assert!(!log.waits(WaitReason::Retry).is_empty(), "no retry wait");
    assert_waits_pair_up(&log);
}

#[tokio::test(start_paused = true)]
async fn a_directory_as_input_is_refused_before_any_request() {
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        ..SimConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let err = run(params(
        example_config(),
        InputSource::Path(dir.path().to_path_buf()),
        t,
    ))
    .await
    .expect_err("a directory is not an input");
    assert!(
        matches!(&err, SyncError::Input { message, .. } if message.contains("is a directory")),
        "{err}"
    );
    assert_eq!(err.exit_code(), 2);
    assert_eq!(sim.stats().requests_total, 0);
}
