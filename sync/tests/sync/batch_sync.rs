//! Batch vs single mode, reruns and updates against the simulator, in virtual time.

use crate::support;

use std::sync::Arc;

use mock_monday::{LatencyProfile, SimConfig};
use monday_sync::config::Mode;
use monday_sync::engine::{run, RequestKind, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::state::StateSpec;
use serde_json::{Map, Value};
use support::*;

fn sim_config() -> SimConfig {
    SimConfig {
        profile: LatencyProfile::Instant,
        seed: 1,
        ..SimConfig::default()
    }
}

async fn sync(
    t: Arc<SimTransport>,
    recs: Vec<Map<String, Value>>,
    mode: Mode,
    state: StateSpec,
    counter: Arc<Counter>,
) -> RunSummary {
    let mut cfg = example_config();
    cfg.sync.mode = mode;
    run(RunParams {
        state,
        observer: Some(counter),
        ..params(cfg, InputSource::Records(recs), t)
    })
    .await
    .expect("run")
}

/// The batch size is chosen from the run: 200 records at a cap of 150 per request are two
/// requests of 100 (the example config leaves `batch_size` unset).
#[tokio::test(start_paused = true)]
async fn two_hundred_records_in_two_create_requests() {
    let (sim, t) = sim(sim_config());
    let counter = Arc::new(Counter::default());
    let s = sync(
        t,
        records(200),
        Mode::Batch,
        StateSpec::InMemory,
        counter.clone(),
    )
    .await;
    assert_eq!(
        (s.records, s.created, s.failed),
        (200, 200, 0),
        "{:?}",
        s.failures
    );
    assert_eq!(counter.count(RequestKind::Create), 2);
    assert_eq!(counter.count(RequestKind::CreateGroups), 1);
    assert_eq!(counter.count(RequestKind::BoardRead), 1);
    assert_eq!(s.requests, 4);
    assert_eq!(sim.stats().items_created_total, 200);

    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 200);
    for i in [0usize, 77, 199] {
        let rec = record(i);
        let item = &items[rec["order_id"].as_str().unwrap()];
        assert_eq!(item.len(), 1);
        let item = &item[0];
        assert_eq!(
            item["name"],
            format!(
                "{} · {}",
                rec["po_number"].as_str().unwrap(),
                rec["style"].as_str().unwrap()
            )
        );
        let cv = &item["column_values"];
        assert_eq!(cv["text_customer"]["text"], rec["customer"]);
        assert_eq!(cv["numbers_qty"]["text"], rec["quantity"].to_string());
        assert_eq!(cv["status"]["text"], "New");
        assert_eq!(cv["long_text_notes"]["text"], "line one\nline two");
        assert_eq!(cv["date_order"]["text"], "2026-03-14");
    }
    // One group per customer.
    let groups: std::collections::HashSet<String> = items
        .values()
        .map(|v| v[0]["group_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(groups.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn single_mode_sends_one_request_per_record() {
    let (sim, t) = sim(sim_config());
    let counter = Arc::new(Counter::default());
    let s = sync(
        t,
        records(200),
        Mode::Single,
        StateSpec::InMemory,
        counter.clone(),
    )
    .await;
    assert_eq!(s.created, 200);
    assert_eq!(counter.count(RequestKind::Create), 200);
    assert_eq!(sim.stats().items_created_total, 200);
}

#[tokio::test(start_paused = true)]
async fn rerun_creates_nothing_and_changes_become_updates() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateSpec::Path(dir.path().join("state.db"));
    let (sim, t) = sim(sim_config());
    let s1 = sync(
        t.clone(),
        records(200),
        Mode::Batch,
        state.clone(),
        Arc::new(Counter::default()),
    )
    .await;
    assert_eq!(s1.created, 200);

    let counter = Arc::new(Counter::default());
    let s2 = sync(
        t.clone(),
        records(200),
        Mode::Batch,
        state.clone(),
        counter.clone(),
    )
    .await;
    assert_eq!((s2.created, s2.updated, s2.unchanged), (0, 0, 200));
    assert_eq!(
        counter.count(RequestKind::Create) + counter.count(RequestKind::Update),
        0
    );

    let mut recs = records(200);
    for r in recs.iter_mut().take(10) {
        r.insert("quantity".into(), Value::from(9999));
    }
    let counter = Arc::new(Counter::default());
    let s3 = sync(t, recs, Mode::Batch, state, counter.clone()).await;
    assert_eq!((s3.created, s3.updated, s3.unchanged), (0, 10, 190));
    assert_eq!(counter.count(RequestKind::Create), 0);
    assert_eq!(counter.count(RequestKind::Update), 1);
    assert_eq!(sim.stats().items_created_total, 200);
    let items = board_items_by_key(&sim);
    assert_eq!(
        items["ORD-000003"][0]["column_values"]["numbers_qty"]["text"],
        "9999"
    );
}
