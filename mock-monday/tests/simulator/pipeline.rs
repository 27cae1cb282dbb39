//! The request pipeline end to end through `Simulator::handle` / `dispatch`: auth, versions,
//! bad input, idempotency, latency, determinism and the time scale.

use std::time::Duration;

use mock_monday::config::SimConfig;
use mock_monday::latency::LatencySettings;
use mock_monday::{CoreRequest, Delivery, DispatchOutcome, FaultConfig, LatencyProfile};
use serde_json::Value;

// Shared helpers for the pipeline tests (one copy for every test file).
#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

#[tokio::test(start_paused = true)]
async fn create_item_end_to_end() {
    let sim = sim(instant());
    let r = sim.handle(post(create_items(3, "Order"), &[]));
    assert_eq!(r.status, 200);
    let b = body(&r);
    assert!(b.get("errors").is_none(), "{b}");
    assert!(b["data"]["a0"]["id"].is_string());
    assert_eq!(
        header(&r, "api-version"),
        Some(mock_monday::version::CURRENT_VERSION)
    );
    assert_eq!(
        header(&r, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(items_on_board(&sim), 3);
    let s = sim.stats();
    assert_eq!(s.requests_total, 1);
    assert_eq!(s.items_created_total, 3);
    assert_eq!(s.responses_by_status.get("200"), Some(&1));
    assert_eq!(s.mutation_fields_total, 3);
    sim.reset();
    assert_eq!(items_on_board(&sim), 0);
    assert_eq!(sim.stats().requests_total, 0);
}

#[tokio::test(start_paused = true)]
async fn auth_401_without_header_and_with_a_wrong_token() {
    let open = sim(instant());
    let r = open.handle(post(gql("{ version { value } }"), &[("authorization", "")]));
    assert_eq!(r.status, 401);
    assert!(body(&r)["extensions"]["request_id"].is_string());

    let locked = sim(SimConfig {
        token: Some("s3cret-token".into()),
        ..instant()
    });
    let r = locked.handle(post(
        gql("{ version { value } }"),
        &[("authorization", "guess")],
    ));
    assert_eq!(r.status, 401);
    let text = String::from_utf8_lossy(&r.body);
    assert!(
        !text.contains("s3cret") && !text.contains("guess"),
        "{text}"
    );
    let r = locked.handle(post(
        gql("{ version { value } }"),
        &[("authorization", "s3cret-token")],
    ));
    assert_eq!(r.status, 200);
    assert_eq!(locked.stats().responses_by_status.get("401"), Some(&1));
}

#[tokio::test(start_paused = true)]
async fn bad_json_and_bad_bodies_are_400() {
    let sim = sim(instant());
    let r = sim.handle(post("{\"query\": \"{ version { value } }", &[]));
    assert_eq!(r.status, 400);
    let b = body(&r);
    assert_eq!(code(&b), Some("JsonParseException"));
    assert!(b["extensions"]["request_id"].is_string());
    let legacy = sim.handle(post("not json", &[("api-version", "2024-07")]));
    assert_eq!(legacy.status, 400);
    assert_eq!(body(&legacy)["error_code"], "JsonParseException");
    let r = sim.handle(post("{\"variables\": {}}", &[]));
    assert_eq!(r.status, 400);
    assert_eq!(sim.handle(post("[1,2]", &[])).status, 400);
}

#[tokio::test(start_paused = true)]
async fn variables_as_a_json_string_by_version() {
    let sim = sim(instant());
    let q = "query Q($ids: [ID!]) { boards(ids: $ids) { id } }";
    let as_string = serde_json::json!({ "query": q, "variables": "{\"ids\": [1234567890]}" });
    let r = sim.handle(post(as_string.to_string(), &[]));
    assert_eq!(r.status, 400, "2025-04+ refuses variables sent as a string");
    let r = sim.handle(post(as_string.to_string(), &[("api-version", "2024-07")]));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(body(&r)["data"]["boards"][0]["id"], "1234567890");
}

#[tokio::test(start_paused = true)]
async fn versions_and_validation_errors() {
    let sim = sim(instant());
    let r = sim.handle(post(
        gql("{ version { value } }"),
        &[("api-version", "2023")],
    ));
    assert_eq!(r.status, 200);
    assert_eq!(code(&body(&r)), Some("InvalidVersionException"));
    let r = sim.handle(post(
        gql("{ version { value } }"),
        &[("api-version", "2025-01")],
    ));
    assert_eq!(header(&r, "api-version"), Some("2025-04"));
    let r = sim.handle(post(gql("{ no_such_field }"), &[]));
    assert_eq!(r.status, 200);
    let b = body(&r);
    assert!(b["errors"][0]["message"].is_string(), "{b}");
    assert!(b.get("data").is_none() || b["data"].is_null());
    // Every response carries a distinct request id.
    let ids: std::collections::HashSet<String> = (0..20)
        .map(|_| {
            let r = sim.handle(post(gql("{ version { value } }"), &[]));
            body(&r)["extensions"]["request_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 20);
}

#[tokio::test(start_paused = true)]
async fn idempotency_replays_and_conflicts() {
    let sim = sim(SimConfig {
        profile: fixed_latency(1_500.0),
        ..instant()
    });
    let key = [("idempotency-key", "order-1")];
    let first = sim.handle(post(create_items(2, "idem"), &key));
    assert_eq!(first.status, 200);
    tokio::time::advance(Duration::from_millis(500)).await;
    let dup = sim.handle(post(create_items(2, "idem"), &key));
    assert_eq!(dup.status, 409);
    assert_eq!(code(&body(&dup)), Some("IDEMPOTENCY_CONFLICT"));
    assert_eq!(header(&dup, "retry-after"), Some("1"));
    tokio::time::advance(Duration::from_secs(5)).await;
    let replay = sim.handle(post(create_items(2, "idem"), &key));
    assert_eq!(replay.status, 200);
    assert_eq!(header(&replay, "idempotency-replayed"), Some("true"));
    assert_eq!(replay.body, first.body, "the cached response is replayed");
    assert_eq!(items_on_board(&sim), 2, "the replay created nothing");
    // After 30 simulated minutes the key is forgotten and the mutation runs again.
    tokio::time::advance(Duration::from_secs(30 * 60)).await;
    let again = sim.handle(post(create_items(2, "idem"), &key));
    assert_eq!(header(&again, "idempotency-replayed"), None);
    assert_eq!(items_on_board(&sim), 4);
    let s = sim.stats();
    assert_eq!(s.idempotent_replays_total, 1);
    assert_eq!(s.idempotency_conflicts_total, 1);
}

/// Status, headers, body and delay of one response.
type Answer = (u16, Vec<(String, String)>, Vec<u8>, Duration);

fn sequence(seed: u64) -> Vec<Answer> {
    let sim = sim(SimConfig {
        profile: LatencyProfile::Realistic,
        seed,
        faults: FaultConfig::parse("5xx=0.1,reset=0.1,slow=0.05,commit_then_fail=0.05").unwrap(),
        ..SimConfig::default()
    });
    (0..60)
        .map(|i| {
            let req = if i % 3 == 0 {
                post(
                    gql("{ boards(ids: 1234567890) { items_page { items { id name } } } }"),
                    &[],
                )
            } else {
                post(create_items(i % 7 + 1, &format!("r{i}")), &[])
            };
            let r = sim.handle(req);
            (r.status, r.headers, r.body.to_vec(), r.delay)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn same_seed_same_bytes() {
    let a = sequence(42);
    let b = sequence(42);
    assert_eq!(a, b);
    let c = sequence(43);
    assert_ne!(
        a.iter().map(|x| x.3).collect::<Vec<_>>(),
        c.iter().map(|x| x.3).collect::<Vec<_>>()
    );
}

#[tokio::test(start_paused = true)]
async fn time_scale_speeds_the_clock_but_hints_stay_simulated() {
    let sim = sim(SimConfig {
        time_scale: 0.01,
        token_kind: mock_monday::TokenKind::Trial,
        profile: fixed_latency(2_000.0),
        ..instant()
    });
    let start = tokio::time::Instant::now();
    let out = sim
        .dispatch(post(create_items(25, "a"), &[]), Duration::from_secs(60))
        .await;
    assert!(matches!(out, DispatchOutcome::Response(ref r) if r.status == 200));
    // 2 simulated seconds at scale 0.01 = 20 ms of (virtual) wall time.
    assert_eq!(start.elapsed(), Duration::from_millis(20));
    let r = sim.handle(post(create_items(25, "b"), &[]));
    assert_eq!(r.status, 429);
    let retry = body(&r)["errors"][0]["extensions"]["retry_in_seconds"]
        .as_u64()
        .unwrap();
    assert_eq!(retry, 58, "the hint is in simulated seconds");
    // 0.6 s of wall time is a whole 60 s window.
    tokio::time::advance(Duration::from_millis(600)).await;
    assert_eq!(sim.handle(post(create_items(25, "c"), &[])).status, 200);
}

#[tokio::test(start_paused = true)]
async fn dispatch_applies_the_client_timeout() {
    let sim = sim(SimConfig {
        profile: fixed_latency(5_000.0),
        ..instant()
    });
    let start = tokio::time::Instant::now();
    let out = sim
        .dispatch(post(create_items(1, "t"), &[]), Duration::from_secs(2))
        .await;
    assert!(matches!(out, DispatchOutcome::TimedOut));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(items_on_board(&sim), 1, "the server still applied it");
}

#[tokio::test(start_paused = true)]
async fn gateway_timeout_over_60s_is_a_non_json_504() {
    let sim = sim(SimConfig {
        profile: LatencyProfile::Custom(LatencySettings {
            per_mutation_field_ms: 3_000.0,
            ..LatencySettings::instant()
        }),
        ..instant()
    });
    let r = sim.handle(post(create_items(25, "slow"), &[]));
    assert_eq!(r.status, 504);
    assert_eq!(r.delay, Duration::from_secs(60));
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(header(&r, "content-type"), Some("text/html"));
    assert_eq!(r.delivery, Delivery::Respond);
    assert_eq!(sim.stats().gateway_timeouts_total, 1);
    assert_eq!(
        items_on_board(&sim),
        25,
        "the work was done before the gateway gave up"
    );
}

#[tokio::test(start_paused = true)]
async fn routes_schema_and_unknown_paths() {
    let sim = sim(instant());
    let get = |path: &str| CoreRequest {
        method: "GET".into(),
        path: path.into(),
        headers: vec![],
        body: Default::default(),
        client_ip: None,
    };
    let r = sim.handle(get("/v2/get_schema?format=sdl&version=2026-10"));
    assert_eq!(r.status, 200);
    let sdl = String::from_utf8_lossy(&r.body);
    assert!(sdl.contains("type Query") || sdl.contains("type Mutation"));
    assert_eq!(sim.handle(get("/v3")).status, 404);
    let r = sim.handle(get("/v2?query=%7Bme%7Bid%7D%7D"));
    assert_eq!(r.status, 400);
}

#[tokio::test(start_paused = true)]
async fn oversized_body_is_413_and_deep_query_an_error() {
    let mut config = instant();
    config.limits.max_body_bytes = 1_000;
    let sim = sim(config);
    let r = sim.handle(post(gql(&"x".repeat(2_000)), &[]));
    assert_eq!(r.status, 413);
    let deep = format!("{}{}", "{ a ".repeat(40), "}".repeat(40));
    let r = sim.handle(post(gql(&deep), &[]));
    assert_eq!(r.status, 200);
    assert_eq!(code(&body(&r)), Some("QUERY_TOO_DEEP"));
}
