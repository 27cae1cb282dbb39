//! Exactly-once under crashes (pending rows) and faults, and exact round trips of awkward text —
//! against the simulator in virtual time.

use crate::support;

use std::sync::Arc;

use mock_monday::{FaultConfig, LatencyProfile, SimConfig};
use monday_sync::engine::{run, RequestKind, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::state::StateSpec;
use monday_sync::state::StateStore;
use proptest::prelude::*;
use serde_json::{Map, Value};
use support::*;

async fn sync(
    t: Arc<SimTransport>,
    recs: Vec<Map<String, Value>>,
    state: StateSpec,
    counter: Arc<Counter>,
) -> RunSummary {
    run(RunParams {
        // Batches of 25: enough requests for the faults to hit.
        config: {
            let mut c = example_config();
            c.sync.batch_size = Some(25);
            c
        },
        input: InputSource::Records(recs),
        transport: t,
        token: TOKEN.into(),
        state,
        report_dir: None,
        dry_run: false,
        progress: false,
        observer: Some(counter),
        request_log: None,
    })
    .await
    .expect("run")
}

#[tokio::test(start_paused = true)]
async fn pending_rows_are_reconciled_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        ..SimConfig::default()
    });
    let s = sync(
        t.clone(),
        records(40),
        StateSpec::Path(path.clone()),
        Arc::new(Counter::default()),
    )
    .await;
    assert_eq!(s.created, 40);
    // Simulate a crash after the requests of these 40 records left but before their results were
    // stored: pending, no item id.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("DELETE FROM records", []).unwrap();
        drop(conn);
        let mut st = StateStore::open(&StateSpec::Path(path.clone())).unwrap();
        let keys: Vec<String> = (0..40).map(|i| format!("ORD-{i:06}")).collect();
        let rows: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "h")).collect();
        st.mark_pending(&rows, "batch-x").unwrap();
    }
    let counter = Arc::new(Counter::default());
    let s = sync(t, records(80), StateSpec::Path(path), counter.clone()).await;
    assert!(counter.count(RequestKind::Reconcile) >= 1);
    // Only the 40 new records are created; the 40 found on the board are not re-created.
    assert_eq!(s.created, 40, "{s:?}");
    assert_eq!(s.failed, 0);
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 80);
    assert!(items.values().all(|v| v.len() == 1), "duplicate items");
}

#[tokio::test(start_paused = true)]
async fn faults_leave_exactly_one_item_per_record() {
    let faults = FaultConfig::parse("5xx=0.05,reset=0.02,commit_then_fail=0.01,lock=0.01").unwrap();
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Realistic,
        seed: 11,
        faults,
        ..SimConfig::default()
    });
    let s = sync(
        t,
        records(500),
        StateSpec::InMemory,
        Arc::new(Counter::default()),
    )
    .await;
    assert_eq!(s.failed, 0, "{:?}", s.failures);
    assert_eq!(s.created, 500);
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 500);
    assert!(items.values().all(|v| v.len() == 1), "duplicate items");
    let stats = sim.stats();
    assert!(stats.faults_injected_total > 0);
    assert!(s.retries > 0);
    assert_eq!(s.requests, stats.requests_total);
}

fn awkward() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"quoted\" \\ back\\slash".to_string()),
        Just("line\nbreak\r\ttab".to_string()),
        Just("emoji 🧵👕 and \u{1F600}".to_string()),
        Just("mutation { delete_item(item_id: 1) { id } } $v0 {{".to_string()),
        Just("\\ud83d\\ude00 escaped surrogates as text".to_string()),
        Just("{\"json\": [1, 2]}".to_string()),
        "[a-zA-Z0-9 \"\\\\{}$#\u{e9}\u{4e2d}\u{10348}\n]{1,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Names and values travel as variables and arrive on the board exactly as in the source.
    #[test]
    fn awkward_text_round_trips(style in awkward(), notes in awkward(), customer in awkward()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        rt.block_on(async {
            let (sim, t) = sim(SimConfig { profile: LatencyProfile::Instant, ..SimConfig::default() });
            let mut rec = record(1);
            rec.insert("po_number".into(), Value::Null);
            rec.insert("style".into(), style.clone().into());
            rec.insert("notes".into(), notes.clone().into());
            rec.insert("customer".into(), customer.clone().into());
            let s = sync(t, vec![rec], StateSpec::InMemory, Arc::new(Counter::default())).await;
            prop_assert_eq!(s.created, 1, "{:?}", s.failures);
            let items = board_items_by_key(&sim);
            let item = &items["ORD-000001"][0];
            let expected_name = if style.trim().is_empty() { "ORD-000001".to_string() } else { style.clone() };
            prop_assert_eq!(item["name"].as_str().unwrap(), expected_name.as_str());
            let cv = &item["column_values"];
            if !notes.trim().is_empty() {
                prop_assert_eq!(cv["long_text_notes"]["text"].as_str().unwrap(), notes.as_str());
            }
            if !customer.trim().is_empty() {
                prop_assert_eq!(cv["text_customer"]["text"].as_str().unwrap(), customer.as_str());
            }
            Ok(())
        })?;
    }
}
