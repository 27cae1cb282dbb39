//! A full board is an early, clear, fatal error: the records that fit are synced, every other
//! record is reported as "board full", nothing already synced is lost, and at most one batch of
//! creates goes out after the board filled.

use crate::support;

use std::sync::Arc;

use mock_monday::{LatencyProfile, SimConfig};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{run, RequestKind, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::transform::FailureCause;
use serde_json::{Map, Value};
use support::*;

const CAP: usize = 60;

fn small_board() -> SimConfig {
    let mut cfg = SimConfig {
        profile: LatencyProfile::Instant,
        seed: 5,
        ..SimConfig::default()
    };
    cfg.limits.items_limit_per_board = CAP;
    cfg
}

async fn sync(
    t: Arc<SimTransport>,
    cfg: SyncConfig,
    recs: Vec<Map<String, Value>>,
    counter: Arc<Counter>,
) -> RunSummary {
    run(RunParams {
        observer: Some(counter),
        ..params(cfg, InputSource::Records(recs), t)
    })
    .await
    .expect("a full board fails records, not the run")
}

fn assert_board_full_failures(s: &RunSummary, expected: usize) {
    let full: Vec<_> = s
        .failures
        .iter()
        .filter(|f| f.cause == FailureCause::BoardFull)
        .collect();
    assert_eq!(full.len(), expected, "{:?}", s.failures);
    assert_eq!(s.failures.len(), expected, "only board-full failures");
    assert_eq!(s.board_full as usize, expected);
    for f in full {
        assert!(f.key.is_some() && !f.reason.is_empty(), "{f:?}");
    }
    // Exit code 1 (records failed), not 3: nothing is unresolved.
    assert_eq!(s.unresolved, 0);
}

/// The board's cap is not known up front (the default 10,000 is assumed): the first
/// `ItemsLimitationException` tells, and the run stops sending creates.
#[tokio::test(start_paused = true)]
async fn the_first_refusal_stops_the_creates() {
    let (sim, t) = sim(small_board());
    let counter = Arc::new(Counter::default());
    let n = 150;
    let mut cfg = example_config();
    cfg.sync.batch_size = Some(25);
    let s = sync(t, cfg, records(n), counter.clone()).await;
    assert_eq!(s.created as usize, CAP, "{:?}", s.failures.first());
    assert_eq!(s.failed as usize, n - CAP);
    assert_board_full_failures(&s, n - CAP);
    let on_board = board_items_by_key(&sim);
    assert_eq!(on_board.len(), CAP);
    assert!(on_board.values().all(|v| v.len() == 1), "no duplicates");
    // Batches of 25: the records that fit need 3; at most one more batch after the board filled.
    let batch = 25;
    let creates = counter.count(RequestKind::Create) as usize;
    assert!(
        creates <= CAP.div_ceil(batch) + 1,
        "{creates} create requests for a board that holds {CAP}"
    );
}

/// The board's item count is read up front: creates that cannot fit are never sent.
#[tokio::test(start_paused = true)]
async fn a_nearly_full_board_takes_what_fits_and_nothing_is_sent_past_it() {
    let (sim, t) = sim(small_board());
    let mut cfg = example_config();
    cfg.board.max_items = Some(CAP as u64);
    let first = sync(
        t.clone(),
        cfg.clone(),
        records(50),
        Arc::new(Counter::default()),
    )
    .await;
    assert_eq!((first.created, first.failed), (50, 0));

    let counter = Arc::new(Counter::default());
    let more: Vec<_> = (50..80).map(record).collect();
    let s = sync(t, cfg, more, counter.clone()).await;
    assert_eq!(s.created, 10, "{:?}", s.failures.first());
    assert_board_full_failures(&s, 20);
    assert_eq!(board_items_by_key(&sim).len(), CAP);
    // One request carries the 10 that fit; the API never had to refuse one.
    assert_eq!(counter.count(RequestKind::Create), 1);
    let sent: Vec<usize> = counter
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.kind == RequestKind::Create)
        .map(|e| e.records)
        .collect();
    assert_eq!(sent, vec![10]);
    let first_refused = s.failures.iter().map(|f| f.line).min().expect("failures");
    assert_eq!(first_refused, 11, "records fill the board in input order");
}
