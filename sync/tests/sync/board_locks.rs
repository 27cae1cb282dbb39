//! Board write locks (monday.com's HTTP 423): writes to one board go one at a time by default,
//! 423s are waited out with the same body and key, and small runs stay a few round trips. Also
//! the request log. Against the simulator, in virtual time.

use crate::support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mock_monday::{FaultConfig, LatencyProfile, SimConfig};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{run, ActivityEvent, RequestKind, RunParams, WaitReason};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError};
use serde_json::Value;
use support::*;

/// (Idempotency-Key, body, status) of one attempt.
type Sent = (Option<String>, bytes::Bytes, Option<u16>);

/// Keeps every attempt.
struct Recording {
    inner: Arc<SimTransport>,
    sent: Mutex<Vec<Sent>>,
}

#[async_trait]
impl Transport for Recording {
    async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
        let (key, body) = (r.idempotency_key.clone(), r.body.clone());
        let res = self.inner.send(r).await;
        let status = res.as_ref().ok().map(|r| r.status);
        self.sent.lock().unwrap().push((key, body, status));
        res
    }

    /// Pre-signed URL requests (the bulk import) pass through untouched.
    async fn send_url(
        &self,
        request: monday_sync::transport::UrlRequest,
    ) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

fn realistic(seed: u64, faults: &str) -> SimConfig {
    SimConfig {
        profile: LatencyProfile::Realistic,
        seed,
        faults: FaultConfig::parse(faults).unwrap(),
        ..SimConfig::default()
    }
}

async fn sync(
    t: Arc<dyn Transport>,
    cfg: SyncConfig,
    n: usize,
    counter: Arc<Counter>,
    request_log: Option<std::path::PathBuf>,
) -> RunSummary {
    run(RunParams {
        observer: Some(counter),
        request_log,
        ..params(cfg, InputSource::Records(records(n)), t)
    })
    .await
    .expect("run")
}

/// Most write requests in flight at once, from the observer's (start, finish) times.
fn max_writes_in_flight(counter: &Counter) -> usize {
    let mut edges: Vec<(tokio::time::Instant, i32)> = vec![];
    for e in counter.events.lock().unwrap().iter() {
        if e.kind.writes() {
            edges.push((e.started, 1));
            edges.push((e.finished, -1));
        }
    }
    // At equal instants a finish comes before a start.
    edges.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        max = max.max(now);
    }
    max as usize
}

/// Default settings: one write in flight per board, so a board that locks on every overlapping
/// write never answers 423.
#[tokio::test(start_paused = true)]
async fn writes_are_serial_by_default_and_never_locked() {
    let (sim, t) = sim(realistic(7, "lock=1.0"));
    let counter = Arc::new(Counter::default());
    let mut cfg = example_config();
    cfg.sync.batch_size = Some(25);
    let s = sync(t, cfg, 300, counter.clone(), None).await;
    assert_eq!((s.created, s.failed), (300, 0), "{:?}", s.failures);
    assert_eq!(board_items_by_key(&sim).len(), 300);
    assert_eq!(max_writes_in_flight(&counter), 1);
    assert_eq!(s.locked, 0);
    assert_eq!(sim.stats().responses_by_status.get("423"), None);
    assert!(counter.count(RequestKind::Create) >= 12);
}

/// Writes allowed to overlap meet 423s: each is waited out and resent with the same body and
/// the same key; none is a failure or a duplicate, and the summary counts them.
#[tokio::test(start_paused = true)]
async fn locks_are_waited_out_with_the_same_body_and_key() {
    let (sim, inner) = sim(realistic(9, "lock=0.5"));
    let t = Arc::new(Recording {
        inner,
        sent: Mutex::new(vec![]),
    });
    let counter = Arc::new(Counter::default());
    let mut cfg = example_config();
    cfg.sync.batch_size = Some(25);
    cfg.sync.write_concurrency = 4;
    let s = sync(t.clone(), cfg, 300, counter.clone(), None).await;
    assert_eq!((s.created, s.failed), (300, 0), "{:?}", s.failures);
    assert!(s.locked > 0, "no 423 with overlapping writes");
    assert!(max_writes_in_flight(&counter) > 1);
    let stats = sim.stats();
    assert_eq!(
        stats.responses_by_status.get("423").copied(),
        Some(s.locked)
    );
    let items = board_items_by_key(&sim);
    assert_eq!(items.len(), 300);
    assert!(items.values().all(|v| v.len() == 1), "duplicate items");
    // Each 423 was one wait, announced to the observer with its reason and then ended.
    let activity = counter.activity.lock().unwrap();
    let locked_waits = activity
        .iter()
        .filter(|e| {
            matches!(
                e,
                ActivityEvent::Waiting {
                    reason: WaitReason::Locked,
                    ..
                }
            )
        })
        .count();
    assert_eq!(locked_waits as u64, s.locked);
    let waits = activity
        .iter()
        .filter(|e| matches!(e, ActivityEvent::Waiting { .. }))
        .count();
    let over = activity
        .iter()
        .filter(|e| matches!(e, ActivityEvent::WaitOver))
        .count();
    assert_eq!(waits, over);
    let sending = activity
        .iter()
        .filter(|e| matches!(e, ActivityEvent::Sending))
        .count();
    assert_eq!(sending as u64, s.requests);
    let sent = t.sent.lock().unwrap();
    for (i, (key, body, status)) in sent.iter().enumerate() {
        if *status == Some(423) {
            let key = key.as_ref().expect("writes carry a key");
            let resent = sent[i + 1..]
                .iter()
                .find(|(k, _, _)| k.as_ref() == Some(key))
                .expect("a locked request is sent again");
            assert_eq!(&resent.1, body, "same body after a 423");
        }
    }
}

/// Serial writes must not make small runs slow: 50 records are one create request.
#[tokio::test(start_paused = true)]
async fn fifty_records_are_one_create_request() {
    let (_sim, t) = sim(realistic(3, ""));
    let counter = Arc::new(Counter::default());
    let s = sync(t, example_config(), 50, counter.clone(), None).await;
    assert_eq!((s.created, s.failed), (50, 0));
    assert_eq!(counter.count(RequestKind::Create), 1);
    assert_eq!(s.requests, 3, "board read, groups, creates");
}

/// `--request-log`: one line per attempt with exactly the documented keys.
#[tokio::test(start_paused = true)]
async fn the_request_log_has_one_line_per_attempt() {
    let (_sim, t) = sim(realistic(5, ""));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requests.ndjson");
    let counter = Arc::new(Counter::default());
    let s = sync(t, example_config(), 50, counter.clone(), Some(path.clone())).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, s.requests);
    let keys = [
        "t_ms",
        "kind",
        "aliases",
        "request_bytes",
        "status",
        "latency_ms",
        "complexity",
        "throttled",
        "attempt",
    ];
    for l in &lines {
        let o = l.as_object().unwrap();
        assert_eq!(o.len(), keys.len(), "{l}");
        for k in keys {
            assert!(o.contains_key(k), "{k} missing in {l}");
        }
        assert_eq!(l["status"], 200);
        assert_eq!(l["attempt"], 0);
        assert!(l["throttled"].is_null());
        assert!(l["latency_ms"].as_f64().unwrap() > 0.0);
    }
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["board_read", "create_groups", "create"]);
    let create = &lines[2];
    assert_eq!(create["aliases"], 50);
    let cost = create["complexity"].as_u64().unwrap();
    assert!((50 * 30_000..50 * 30_000 + 1_000).contains(&cost), "{cost}");
    assert_eq!(lines[1]["aliases"], 4, "one group per customer");
    assert!(lines[0]["complexity"].is_null(), "reads do not ask for it");
    // Times since the run started, on tokio's clock: each request starts after the previous one
    // finished (they depend on each other).
    for w in lines.windows(2) {
        let end = w[0]["t_ms"].as_f64().unwrap() + w[0]["latency_ms"].as_f64().unwrap();
        assert!(w[1]["t_ms"].as_f64().unwrap() >= end - 1e-6, "{w:?}");
    }
    assert!(create["request_bytes"].as_u64().unwrap() > 5_000);
}

/// With writes allowed to overlap, our own writes must not starve each other: a write the board
/// refused as locked resends with the board to itself, so it is refused at most once (no other
/// process writes here). Before that, one-record writes in single mode with two lanes and slow,
/// spiky answers were refused 501 times in a row and failed as "not confirmed".
#[tokio::test(start_paused = true)]
async fn a_locked_write_resends_alone_and_is_never_locked_twice() {
    let mut latency = mock_monday::latency::LatencySettings::realistic();
    latency.spike_probability = 0.2;
    let (sim, inner) = sim(SimConfig {
        profile: LatencyProfile::Custom(latency),
        seed: 31,
        ..SimConfig::default()
    });
    let t = Arc::new(Recording {
        inner,
        sent: Mutex::new(vec![]),
    });
    let mut cfg = example_config();
    cfg.sync.mode = monday_sync::config::Mode::Single;
    cfg.sync.write_concurrency = 2;
    let counter = Arc::new(Counter::default());
    let s = sync(t.clone(), cfg, 400, counter, None).await;
    assert_eq!((s.created, s.failed), (400, 0), "{:?}", s.failures);
    assert!(
        s.locked > 10,
        "overlapping writes met the lock: {}",
        s.locked
    );
    let mut locked_by_key: std::collections::HashMap<String, u32> = Default::default();
    for (key, _, status) in t.sent.lock().unwrap().iter() {
        if *status == Some(423) {
            *locked_by_key
                .entry(key.clone().expect("writes carry a key"))
                .or_default() += 1;
        }
    }
    let worst = locked_by_key.values().max().copied().unwrap_or(0);
    assert_eq!(worst, 1, "a resend after a 423 met our own write again");
    assert!(board_items_by_key(&sim).values().all(|v| v.len() == 1));
}
