//! Free-plan budget pacing, label handling and secret hygiene — against the simulator in virtual
//! time. (Quiet logging has a test binary of its own, `logging_quiet.rs`: it needs the global
//! subscriber.)

use crate::support;

use std::sync::{Arc, Mutex};

use mock_monday::{LatencyProfile, SimConfig, TokenKind};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{run, RequestKind, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use serde_json::{Map, Value};
use support::*;

async fn sync_with(
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
    .expect("run")
}

#[tokio::test(start_paused = true)]
async fn free_plan_budget_is_paced_not_hammered() {
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Realistic,
        token_kind: TokenKind::Trial,
        seed: 3,
        ..SimConfig::default()
    });
    let counter = Arc::new(Counter::default());
    let s = sync_with(t, example_config(), records(200), counter.clone()).await;
    assert_eq!((s.created, s.failed), (200, 0), "{:?}", s.failures);
    assert_eq!(sim.stats().items_created_total, 200);
    // 200 creates x 30,000 = 6M points on a 1M/minute budget: at least 5 full windows must pass,
    // and a paced client needs little more than that.
    let minutes = s.wall_ms / 60_000.0;
    assert!(
        (5.0..7.5).contains(&minutes),
        "took {minutes} virtual minutes"
    );
    assert!(
        s.phases.wait_ms > 4.0 * 60_000.0,
        "wait phase {}",
        s.phases.wait_ms
    );
    assert!(s.throttled <= 1, "throttled {}", s.throttled);
    let sum = s.phases.read_ms
        + s.phases.transform_ms
        + s.phases.send_ms
        + s.phases.wait_ms
        + s.phases.state_ms
        + s.phases.report_ms;
    assert!((sum - s.wall_ms).abs() < 1e-6, "{sum} vs {}", s.wall_ms);
}

fn with_new_labels(n: usize) -> Vec<Map<String, Value>> {
    let mut recs = records(n);
    recs[3].insert("sizes".into(), "S,XXL".into());
    recs[7].insert("colour".into(), "Teal".into());
    recs
}

#[tokio::test(start_paused = true)]
async fn unknown_labels_fail_alone_without_create_labels() {
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        seed: 1,
        ..SimConfig::default()
    });
    let mut cfg = example_config();
    for c in cfg.columns.iter_mut() {
        c.create_labels_if_missing = false;
    }
    let s = sync_with(t, cfg, with_new_labels(30), Arc::new(Counter::default())).await;
    assert_eq!((s.created, s.failed), (28, 2), "{:?}", s.failures);
    let lines: Vec<u64> = s.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![4, 8]);
    // Found from the board's labels before sending: the reason names the label and the column.
    assert_eq!(
        s.failures[0].reason,
        "label 'XXL' does not exist in column 'dropdown_sizes' and create_labels_if_missing is false"
    );
    assert_eq!(s.failures[0].field, "sizes");
    assert_eq!(
        s.failures[1].reason,
        "label 'Teal' does not exist in column 'dropdown_colour' and create_labels_if_missing is false"
    );
    for f in &s.failures {
        assert!(f.key.is_some());
    }
    let label_errors: u64 = s.per_customer.values().map(|c| c.label_errors).sum();
    assert_eq!(label_errors, 2);
    assert_eq!(board_items_by_key(&sim).len(), 28);
}

#[tokio::test(start_paused = true)]
async fn unknown_labels_are_created_when_allowed() {
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        seed: 1,
        ..SimConfig::default()
    });
    let s = sync_with(
        t,
        example_config(),
        with_new_labels(30),
        Arc::new(Counter::default()),
    )
    .await;
    assert_eq!((s.created, s.failed), (30, 0), "{:?}", s.failures);
    let items = board_items_by_key(&sim);
    let sizes = items["ORD-000003"][0]["column_values"]["dropdown_sizes"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sizes.contains("XXL"), "{sizes}");
    let colour = items["ORD-000007"][0]["column_values"]["dropdown_colour"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(colour, "Teal");
}

#[tokio::test(start_paused = true)]
async fn bad_token_is_fatal_and_not_echoed() {
    let (_sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        token: Some("the-right-one".into()),
        ..SimConfig::default()
    });
    let err = run(params(
        example_config(),
        InputSource::Records(records(5)),
        t,
    ))
    .await
    .unwrap_err();
    assert_eq!(err.exit_code(), 3, "{err}");
    assert!(!err.to_string().contains(TOKEN));
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test(start_paused = true)]
async fn mapping_errors_stop_before_any_write() {
    let (sim, t) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        ..SimConfig::default()
    });
    let mut cfg = example_config();
    cfg.columns[2].column_id = "text_nope".into();
    let counter = Arc::new(Counter::default());
    let err = run(RunParams {
        observer: Some(counter.clone()),
        ..params(cfg, InputSource::Records(records(5)), t)
    })
    .await
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("columns[2].column_id"), "{err}");
    assert_eq!(counter.count(RequestKind::Create), 0);
    assert_eq!(sim.stats().items_created_total, 0);
}

/// Records every request body.
struct Bodies {
    inner: Arc<SimTransport>,
    bodies: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl monday_sync::transport::Transport for Bodies {
    async fn send(
        &self,
        r: monday_sync::transport::ApiRequest,
    ) -> Result<monday_sync::transport::ApiResponse, monday_sync::transport::TransportError> {
        self.bodies
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&r.body).into_owned());
        self.inner.send(r).await
    }
}

/// `create_labels_if_missing` is honoured per column: sizes may create labels, colours may not.
/// Only the mutation of the record that needs a new size label carries the flag.
#[tokio::test(start_paused = true)]
async fn create_labels_is_per_column_and_per_record() {
    let (sim, inner) = sim(SimConfig {
        profile: LatencyProfile::Instant,
        seed: 1,
        ..SimConfig::default()
    });
    let t = Arc::new(Bodies {
        inner,
        bodies: Mutex::new(vec![]),
    });
    let mut cfg = example_config();
    for c in cfg.columns.iter_mut() {
        c.create_labels_if_missing = c.column_id == "dropdown_sizes";
    }
    let mut recs = records(30);
    recs[3].insert("sizes".into(), "S,XXL".into());
    recs[7].insert("colour".into(), "Teal".into());
    recs[9].insert("colour".into(), "navy".into()); // case-insensitive match: known
    let s = run(params(cfg, InputSource::Records(recs), t.clone()))
        .await
        .expect("run");
    assert_eq!((s.created, s.failed), (29, 1), "{:?}", s.failures);
    let f = &s.failures[0];
    assert_eq!(
        (f.line, f.key.as_deref(), f.field.as_str()),
        (8, Some("ORD-000007"), "colour")
    );
    assert_eq!(
        f.reason,
        "label 'Teal' does not exist in column 'dropdown_colour' and create_labels_if_missing is false"
    );
    let label_errors: u64 = s.per_customer.values().map(|c| c.label_errors).sum();
    assert_eq!(label_errors, 1);
    let flags: usize = t
        .bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| b.matches("create_labels_if_missing: true").count())
        .sum();
    assert_eq!(
        flags, 1,
        "only the record needing a new size label asks for it"
    );
    let items = board_items_by_key(&sim);
    let sizes = items["ORD-000003"][0]["column_values"]["dropdown_sizes"]["text"]
        .as_str()
        .unwrap();
    assert!(sizes.contains("XXL"), "{sizes}");
    assert!(!items.contains_key("ORD-000007"));
}
