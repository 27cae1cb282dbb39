//! `Idempotency-Key`s are unique per logical request per run (a later run never gets an earlier
//! run's cached response replayed), stable across retries, and reproducible with a fixed run id.

use crate::support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mock_monday::{CoreRequest, FaultConfig, LatencyProfile, SimConfig};
use monday_sync::config::SyncConfig;
use monday_sync::engine::run;
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError};
use serde_json::{json, Map, Value};
use support::*;

/// Records every (idempotency key, body) the engine sends.
struct Recording {
    inner: Arc<SimTransport>,
    sent: Mutex<Vec<(Option<String>, bytes::Bytes)>>,
}

#[async_trait]
impl Transport for Recording {
    async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
        self.sent
            .lock()
            .unwrap()
            .push((r.idempotency_key.clone(), r.body.clone()));
        self.inner.send(r).await
    }

    /// Pre-signed URL requests (the bulk import) pass through untouched.
    async fn send_url(
        &self,
        request: monday_sync::transport::UrlRequest,
    ) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

async fn sync(t: Arc<dyn Transport>, cfg: SyncConfig, recs: Vec<Map<String, Value>>) -> RunSummary {
    run(params(cfg, InputSource::Records(recs), t))
        .await
        .expect("run")
}

fn instant() -> SimConfig {
    SimConfig {
        profile: LatencyProfile::Instant,
        seed: 3,
        ..SimConfig::default()
    }
}

/// Items deleted on the board + state lost + rerun within 30 minutes: the items are created again,
/// not "replayed" from the first run's cached responses.
#[tokio::test(start_paused = true)]
async fn a_later_run_is_never_replayed_an_earlier_runs_response() {
    let (sim, t) = sim(instant());
    let s = sync(t.clone(), example_config(), records(30)).await;
    assert_eq!(s.created, 30);
    let ids: Vec<String> = sim.board_items(BOARD).unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or(i["id"].to_string())
        })
        .collect();
    assert_eq!(ids.len(), 30);
    for id in &ids {
        let body = json!({
            "query": "mutation ($i: ID!) { delete_item(item_id: $i) { id } }",
            "variables": { "i": id }
        });
        let resp = sim.handle(CoreRequest {
            method: "POST".into(),
            path: "/v2".into(),
            headers: vec![
                ("authorization".into(), TOKEN.into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: bytes::Bytes::from(body.to_string()),
            client_ip: None,
        });
        assert_eq!(resp.status, 200, "{:?}", resp.body);
    }
    assert_eq!(board_items_by_key(&sim).len(), 0);
    // Same seed, same records, fresh (in-memory) state, a few virtual seconds later.
    let s2 = sync(t, example_config(), records(30)).await;
    assert_eq!((s2.created, s2.failed), (30, 0), "{:?}", s2.failures);
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 30, "items lost to replayed responses");
    assert_eq!(sim.stats().idempotent_replays_total, 0);
    assert_ne!(s.run_id, s2.run_id);
}

/// With faults, retries reuse their request's key (commit-then-fail is replayed, not re-applied),
/// and distinct logical requests never share a key.
#[tokio::test(start_paused = true)]
async fn retries_keep_their_key_and_requests_do_not_share_one() {
    let (sim, inner) = sim(SimConfig {
        profile: LatencyProfile::Realistic,
        seed: 5,
        faults: FaultConfig::parse("5xx=0.1,reset=0.05,commit_then_fail=0.05").unwrap(),
        ..SimConfig::default()
    });
    let t = Arc::new(Recording {
        inner,
        sent: Mutex::new(vec![]),
    });
    let mut cfg = example_config();
    cfg.sync.batch_size = Some(25);
    let s = sync(t.clone(), cfg, records(300)).await;
    assert_eq!((s.created, s.failed), (300, 0), "{:?}", s.failures);
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 300);
    assert!(items.values().all(|v| v.len() == 1), "duplicate items");
    let sent = t.sent.lock().unwrap();
    let mut by_key: std::collections::HashMap<&str, &bytes::Bytes> = Default::default();
    let mut retried = 0;
    for (k, body) in sent.iter() {
        let Some(k) = k else { continue };
        if let Some(prev) = by_key.insert(k.as_str(), body) {
            assert_eq!(prev, body, "one key, two different bodies");
            retried += 1;
        }
    }
    assert!(retried > 0, "no retry reused its key");
    assert!(sim.stats().idempotent_replays_total > 0);
}

/// A fixed run id (and seed) reproduces the keys bit for bit; without one every run differs.
#[tokio::test(start_paused = true)]
async fn fixed_run_id_gives_identical_keys() {
    async fn keys(cfg: SyncConfig) -> (Vec<String>, String) {
        let (_sim, inner) = sim(instant());
        let t = Arc::new(Recording {
            inner,
            sent: Mutex::new(vec![]),
        });
        let s = sync(t.clone(), cfg, records(60)).await;
        assert_eq!(s.created, 60);
        let k = t
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter_map(|(k, _)| k.clone())
            .collect();
        (k, s.run_id)
    }
    let mut cfg = example_config();
    cfg.sync.run_id = Some("perf-replay-1".into());
    let (a, ra) = keys(cfg.clone()).await;
    let (b, rb) = keys(cfg.clone()).await;
    assert_eq!(a.len(), 1 + 1); // 60 records: 1 create batch + 1 create_group request
    assert_eq!((a.clone(), ra.as_str()), (b, "perf-replay-1"));
    assert_eq!(rb, "perf-replay-1");
    cfg.sync.seed += 1;
    let (c, _) = keys(cfg).await;
    assert_ne!(a, c, "the seed is part of the key");
    let (d, rd) = keys(example_config()).await;
    let (e, re) = keys(example_config()).await;
    assert_ne!(rd, re);
    assert_ne!(d, e);
}
