//! Helpers shared by the pipeline, limits, faults and abuse tests: requests, simulators and
//! response accessors over `Simulator::handle`.

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
    let mut q = String::from("mutation { complexity { before after query reset_in_x_seconds } ");
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
