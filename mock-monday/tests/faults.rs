//! Each injected fault kind: what the client sees, whether the mutation was applied, and the
//! counters.

use std::time::Duration;

use mock_monday::config::SimConfig;
use mock_monday::{Delivery, DispatchOutcome, FaultConfig};

// ---- shared test helpers (duplicated per test file on purpose: each file is its own crate) ----
#[allow(dead_code)]
mod h {
    use bytes::Bytes;
    use mock_monday::config::{LatencyProfile, SimConfig};
    use mock_monday::latency::LatencySettings;
    use mock_monday::{CoreRequest, CoreResponse, Simulator};
    use serde_json::Value;

    pub const BOARD: &str = "1234567890";

    /// Instant latency, seed 1, default limits.
    pub fn instant() -> SimConfig {
        SimConfig {
            profile: LatencyProfile::Instant,
            seed: 1,
            ..SimConfig::default()
        }
    }

    /// Every executed request takes exactly `ms` simulated milliseconds; refusals are instant.
    pub fn fixed_latency(ms: f64) -> LatencyProfile {
        LatencyProfile::Custom(LatencySettings {
            base_median_ms: ms,
            base_p99_ms: ms,
            base_cap_ms: ms,
            ..LatencySettings::instant()
        })
    }

    pub fn sim(config: SimConfig) -> Simulator {
        Simulator::new(config).expect("simulator starts")
    }

    pub fn post(body: impl Into<String>, headers: &[(&str, &str)]) -> CoreRequest {
        let mut hs = vec![
            ("authorization".to_string(), "test-token".to_string()),
            ("content-type".to_string(), "application/json".to_string()),
        ];
        for (k, v) in headers {
            hs.retain(|(name, _)| name != k);
            hs.push((k.to_string(), v.to_string()));
        }
        CoreRequest {
            method: "POST".into(),
            path: "/v2".into(),
            headers: hs,
            body: Bytes::from(body.into()),
            client_ip: None,
        }
    }

    pub fn gql(query: &str) -> String {
        serde_json::json!({ "query": query }).to_string()
    }

    /// A mutation creating `n` items as aliases, plus the `complexity` field.
    pub fn create_items(n: usize, prefix: &str) -> String {
        let mut q =
            String::from("mutation { complexity { before after query reset_in_x_seconds } ");
        for i in 0..n {
            q.push_str(&format!(
                "a{i}: create_item(board_id: {BOARD}, item_name: \"{prefix} {i}\") {{ id }} "
            ));
        }
        q.push('}');
        gql(&q)
    }

    pub fn body(r: &CoreResponse) -> Value {
        serde_json::from_slice(&r.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&r.body)
            )
        })
    }

    pub fn header<'a>(r: &'a CoreResponse, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn code(v: &Value) -> Option<&str> {
        v.pointer("/errors/0/extensions/code")
            .and_then(Value::as_str)
    }

    pub fn items_on_board(sim: &Simulator) -> usize {
        sim.board_items(BOARD)
            .and_then(|v| v.get("items").and_then(Value::as_array).map(Vec::len))
            .unwrap_or(0)
    }
}
use h::*;

fn with_faults(spec: &str) -> mock_monday::Simulator {
    sim(SimConfig {
        faults: FaultConfig::parse(spec).expect("spec parses"),
        profile: fixed_latency(1_000.0),
        ..instant()
    })
}

fn fault_count(sim: &mock_monday::Simulator, kind: &str) -> u64 {
    sim.stats().faults_by_kind.get(kind).copied().unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_not_applied() {
    let sim = with_faults("5xx=1");
    for _ in 0..10 {
        let r = sim.handle(post(create_items(1, "x"), &[]));
        assert!([500, 502, 503].contains(&r.status), "{}", r.status);
        assert!(body(&r)["extensions"]["request_id"].is_string());
    }
    assert_eq!(items_on_board(&sim), 0);
    assert_eq!(fault_count(&sim, "5xx"), 10);
    assert_eq!(sim.stats().faults_injected_total, 10);
    assert_eq!(sim.stats().complexity_used_total, 0);
}

#[tokio::test(start_paused = true)]
async fn resets_drop_the_connection_without_applying() {
    let sim = with_faults("reset=1");
    let out = sim
        .dispatch(post(create_items(1, "x"), &[]), Duration::from_secs(30))
        .await;
    assert!(matches!(out, DispatchOutcome::Reset));
    assert_eq!(items_on_board(&sim), 0);
    let s = sim.stats();
    assert_eq!(s.resets_total, 1);
    assert_eq!(fault_count(&sim, "reset"), 1);
    assert!(s.responses_by_status.is_empty());
}

#[tokio::test(start_paused = true)]
async fn slow_responses_outlive_the_client_but_are_applied() {
    let sim = with_faults("slow=1");
    let r = sim.handle(post(create_items(1, "x"), &[]));
    assert_eq!(r.status, 200);
    assert!(r.delay >= Duration::from_secs(120));
    let out = sim
        .dispatch(post(create_items(1, "y"), &[]), Duration::from_secs(30))
        .await;
    assert!(matches!(out, DispatchOutcome::TimedOut));
    assert_eq!(items_on_board(&sim), 2);
    assert_eq!(fault_count(&sim, "slow"), 2);
}

#[tokio::test(start_paused = true)]
async fn commit_then_fail_applies_and_the_retry_replays_the_success() {
    let sim = with_faults("commit_then_fail=1");
    let key = [("idempotency-key", "k-1")];
    let failed = sim.handle(post(create_items(3, "c"), &key));
    let client_failed = failed.delivery == Delivery::Reset || failed.status == 500;
    assert!(client_failed, "client sees an error");
    assert_eq!(items_on_board(&sim), 3, "yet the mutation was applied");
    tokio::time::advance(Duration::from_secs(2)).await;
    let retry = sim.handle(post(create_items(3, "c"), &key));
    assert_eq!(retry.status, 200);
    assert_eq!(header(&retry, "idempotency-replayed"), Some("true"));
    assert!(body(&retry)["data"]["a2"]["id"].is_string());
    assert_eq!(items_on_board(&sim), 3, "no duplicate");
    assert_eq!(fault_count(&sim, "commit_then_fail"), 1);
}

#[tokio::test(start_paused = true)]
async fn lock_423_on_concurrent_writes_to_one_board() {
    let sim = with_faults("lock=1");
    let first = sim.handle(post(create_items(1, "a"), &[]));
    assert_eq!(first.status, 200);
    let second = sim.handle(post(create_items(1, "b"), &[]));
    assert_eq!(second.status, 423);
    let b = body(&second);
    assert_eq!(
        b["errors"][0]["message"],
        "Resource is currently locked, please try again later"
    );
    // A read is never locked; after the first write completes, writes succeed again.
    assert_eq!(
        sim.handle(post(gql("{ boards(ids: 1234567890) { id } }"), &[]))
            .status,
        200
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(sim.handle(post(create_items(1, "c"), &[])).status, 200);
    assert_eq!(items_on_board(&sim), 2);
    assert_eq!(fault_count(&sim, "lock"), 1);
}

#[tokio::test(start_paused = true)]
async fn mixed_faults_are_all_counted() {
    let sim = with_faults("5xx=0.2,reset=0.2,slow=0.1,commit_then_fail=0.1");
    for i in 0..200 {
        sim.handle(post(create_items(1, &format!("m{i}")), &[]));
        tokio::time::advance(Duration::from_secs(2)).await;
    }
    let s = sim.stats();
    let by_kind: u64 = s.faults_by_kind.values().sum();
    assert_eq!(by_kind, s.faults_injected_total);
    for kind in ["5xx", "reset", "slow", "commit_then_fail"] {
        assert!(fault_count(&sim, kind) > 0, "{kind} never injected");
    }
    let delivered: u64 = s.responses_by_status.values().sum();
    assert_eq!(delivered + s.resets_total, s.requests_total);
}
