//! Each rate limiter of the simulator, driven through `Simulator::handle` on a paused tokio
//! clock (simulated time only; no wall-clock assertions).

use std::time::Duration;

use mock_monday::config::{LimitSettings, Plan, SimConfig, TokenKind};
use serde_json::Value;

// Shared helpers for the pipeline tests (one copy for every test file).
#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

async fn advance(secs: f64) {
    tokio::time::advance(Duration::from_secs_f64(secs)).await;
}

#[tokio::test(start_paused = true)]
async fn personal_budget_throttles_past_10m_with_the_time_left_in_the_window() {
    let sim = sim(instant());
    let first = sim.handle(post(create_items(25, "batch"), &[]));
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let c = body(&first)["data"]["complexity"].clone();
    let cost = c["query"].as_u64().expect("complexity.query");
    assert!(cost >= 25 * 30_000, "cost {cost}");
    assert_eq!(c["before"], 10_000_000);
    assert_eq!(c["after"].as_u64(), Some(10_000_000 - cost));
    assert_eq!(c["reset_in_x_seconds"], 60);
    let fits = 10_000_000 / cost;
    let mut sent = 1;
    let throttled = loop {
        advance(1.0).await;
        let r = sim.handle(post(create_items(25, "batch"), &[]));
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 200);
        sent += 1;
        assert!(sent <= fits, "more requests fit than the budget allows");
    };
    assert_eq!(sent, fits);
    let elapsed = sent; // one simulated second per request after the first
    let b = body(&throttled);
    assert_eq!(code(&b), Some("COMPLEXITY_BUDGET_EXHAUSTED"));
    let retry = b["errors"][0]["extensions"]["retry_in_seconds"]
        .as_u64()
        .unwrap();
    assert_eq!(retry, 60 - elapsed);
    assert_eq!(
        header(&throttled, "retry-after"),
        Some(retry.to_string().as_str())
    );
    assert!(b.get("data").is_none(), "a throttled request has no data");
    let stats = sim.stats();
    assert_eq!(stats.throttled_total, 1);
    assert_eq!(stats.items_created_total, 25 * fits);
    assert_eq!(
        stats.complexity_used_total,
        cost * fits,
        "throttled requests cost nothing"
    );
    // After the window the budget is whole again.
    advance(retry as f64).await;
    let r = sim.handle(post(create_items(25, "after"), &[]));
    assert_eq!(r.status, 200);
    assert_eq!(body(&r)["data"]["complexity"]["before"], 10_000_000);
}

/// Exhausts a 1M (trial) budget with one 25-alias request and returns the throttled response.
async fn throttled_with_version(version: &str) -> (Value, mock_monday::CoreResponse) {
    let sim = sim(SimConfig {
        token_kind: TokenKind::Trial,
        ..instant()
    });
    let v = [("api-version", version)];
    assert_eq!(sim.handle(post(create_items(25, "a"), &v)).status, 200);
    advance(10.0).await;
    let r = sim.handle(post(create_items(25, "b"), &v));
    (body(&r), r)
}

#[tokio::test(start_paused = true)]
async fn trial_budget_and_error_shapes_by_version() {
    let (b, r) = throttled_with_version("2026-10").await;
    assert_eq!(r.status, 429);
    assert_eq!(code(&b), Some("COMPLEXITY_BUDGET_EXHAUSTED"));
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 50);
    assert!(b["errors"][0]["extensions"]
        .get("complexity_budget_left")
        .is_none());
    assert_eq!(header(&r, "api-version"), Some("2026-10"));

    let (b, r) = throttled_with_version("2025-04").await;
    assert_eq!(r.status, 429);
    let ext = &b["errors"][0]["extensions"];
    assert_eq!(ext["code"], "COMPLEXITY_BUDGET_EXHAUSTED");
    assert_eq!(ext["complexity_budget_limit"], 1_000_000);
    assert_eq!(ext["status_code"], 429);

    let (b, r) = throttled_with_version("2024-07").await;
    assert_eq!(r.status, 429);
    assert_eq!(b["error_code"], "ComplexityException");
    assert_eq!(b["status_code"], 429);
    let msg = b["errors"][0].as_str().expect("legacy errors are strings");
    assert!(msg.contains("out of 1000000 reset in 50 seconds"), "{msg}");
    assert!(b["extensions"]["request_id"].is_string());
}

#[tokio::test(start_paused = true)]
async fn app_tokens_have_separate_read_and_write_buckets() {
    let limits = LimitSettings {
        app_write_budget: 1_000_000,
        ..LimitSettings::default()
    };
    let sim = sim(SimConfig {
        token_kind: TokenKind::App,
        limits,
        ..instant()
    });
    assert_eq!(sim.handle(post(create_items(25, "a"), &[])).status, 200);
    assert_eq!(sim.handle(post(create_items(25, "b"), &[])).status, 429);
    let read = sim.handle(post(
        gql("query { complexity { before } boards(ids: 1234567890) { id } }"),
        &[],
    ));
    assert_eq!(read.status, 200);
    assert_eq!(body(&read)["data"]["complexity"]["before"], 5_000_000);
    let rl = header(&read, "ratelimit-policy").unwrap();
    assert!(rl.contains("\"complexityMinute\";q=5000000"), "{rl}");
}

#[tokio::test(start_paused = true)]
async fn per_request_cap_by_version() {
    let sim = sim(instant());
    let r = sim.handle(post(create_items(200, "big"), &[]));
    assert_eq!(r.status, 200);
    let b = body(&r);
    assert_eq!(code(&b), Some("REQUEST_MAX_COMPLEXITY_EXCEEDED"));
    assert_eq!(
        b["errors"][0]["extensions"]["max_complexity_per_request"],
        5_000_000
    );
    let r = sim.handle(post(
        create_items(200, "big"),
        &[("api-version", "2025-07")],
    ));
    let b = body(&r);
    let msg = b["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("exceeds max complexity of 5000000"), "{msg}");
    assert_eq!(items_on_board(&sim), 0);
    assert_eq!(sim.stats().complexity_used_total, 0);
}

#[tokio::test(start_paused = true)]
async fn minute_limit_by_plan_with_shapes() {
    let sim = sim(SimConfig {
        plan: Plan::Basic,
        ..instant()
    });
    let q = gql("query { version { value } }");
    for i in 0..1_000 {
        let r = sim.handle(post(q.clone(), &[]));
        assert_eq!(r.status, 200, "request {i}");
        if i == 0 {
            advance(20.0).await;
        }
    }
    let r = sim.handle(post(q.clone(), &[]));
    assert_eq!(r.status, 429);
    let b = body(&r);
    assert_eq!(code(&b), Some("RATE_LIMIT_EXCEEDED"));
    // The first request leaves the window 60 s after it was made: 40 s from now.
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 40);
    assert_eq!(header(&r, "retry-after"), Some("40"));
    assert!(header(&r, "ratelimit")
        .unwrap()
        .contains("\"minuteRate\";r=0;t=40"));
    let legacy = sim.handle(post(q.clone(), &[("api-version", "2024-07")]));
    assert_eq!(legacy.status, 429);
    let lb = body(&legacy);
    assert_eq!(lb["error_message"], "Rate Limit Exceeded.");
    assert_eq!(lb["status_code"], 429);
    advance(40.0).await;
    assert_eq!(sim.handle(post(q, &[])).status, 200);
    assert_eq!(sim.stats().throttled_by_kind.get("minute"), Some(&2));
}

#[tokio::test(start_paused = true)]
async fn concurrency_limit_counts_requests_still_in_flight() {
    let sim = sim(SimConfig {
        plan: Plan::Basic,
        profile: fixed_latency(2_000.0),
        ..instant()
    });
    let q = gql("query { version { value } }");
    for _ in 0..40 {
        let r = sim.handle(post(q.clone(), &[]));
        assert_eq!(r.status, 200);
        assert_eq!(r.delay, Duration::from_secs(2));
    }
    let r = sim.handle(post(q.clone(), &[]));
    assert_eq!(r.status, 429);
    let b = body(&r);
    assert_eq!(code(&b), Some("maxConcurrencyExceeded"));
    assert_eq!(b["errors"][0]["message"], "Concurrency limit exceeded");
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 2);
    advance(2.0).await;
    assert_eq!(sim.handle(post(q, &[])).status, 200);
    assert_eq!(sim.stats().concurrent_peak, 40);
}

#[tokio::test(start_paused = true)]
async fn ip_limit_is_per_address() {
    let limits = LimitSettings {
        ip_requests: 3,
        ..LimitSettings::default()
    };
    let sim = sim(SimConfig {
        limits,
        ..instant()
    });
    let from = |ip: &str| {
        let mut r = post(gql("query { version { value } }"), &[]);
        r.client_ip = Some(ip.to_string());
        r
    };
    for _ in 0..3 {
        assert_eq!(sim.handle(from("10.0.0.1")).status, 200);
    }
    let r = sim.handle(from("10.0.0.1"));
    assert_eq!(r.status, 429);
    assert_eq!(code(&body(&r)), Some("IP_RATE_LIMIT_EXCEEDED"));
    assert_eq!(header(&r, "retry-after"), Some("10"));
    assert_eq!(sim.handle(from("10.0.0.2")).status, 200);
    advance(10.0).await;
    assert_eq!(sim.handle(from("10.0.0.1")).status, 200);
}

#[tokio::test(start_paused = true)]
async fn daily_limit_is_on_by_default_and_resets_at_midnight_utc_of_the_simulated_clock() {
    let defaults = LimitSettings::default();
    assert!(defaults.daily_enabled);
    assert_eq!(
        (
            defaults.daily(Plan::Basic),
            defaults.daily(Plan::Pro),
            defaults.daily(Plan::Enterprise)
        ),
        (1_000, 10_000, 25_000)
    );
    let limits = LimitSettings {
        daily_pro: 2,
        ..LimitSettings::default()
    };
    let sim = sim(SimConfig {
        limits,
        start_time: Some("2026-03-14T23:59:00Z".into()),
        ..instant()
    });
    let q = gql("query { boards(ids: 1234567890) { id } }");
    assert_eq!(sim.handle(post(q.clone(), &[])).status, 200);
    assert_eq!(sim.handle(post(q.clone(), &[])).status, 200);
    advance(10.0).await;
    let r = sim.handle(post(q.clone(), &[]));
    assert_eq!(r.status, 429);
    let b = body(&r);
    assert_eq!(code(&b), Some("DAILY_LIMIT_EXCEEDED"));
    // 23:59:10 -> midnight UTC is 50 s away.
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 50);
    assert_eq!(header(&r, "retry-after"), Some("50"));
    advance(50.0).await;
    assert_eq!(sim.handle(post(q, &[])).status, 200);
}

#[tokio::test(start_paused = true)]
async fn rate_limit_headers_on_every_response() {
    let sim = sim(instant());
    let ok = sim.handle(post(create_items(1, "x"), &[]));
    let unauth = sim.handle(post(gql("{ version { value } }"), &[("authorization", "")]));
    for r in [&ok, &unauth] {
        let policy = header(r, "ratelimit-policy").expect("policy header");
        assert!(policy.contains("\"minuteRate\";q=2500;w=60"), "{policy}");
        assert!(policy.contains("\"concurrency\";q=100"), "{policy}");
        assert!(
            policy.contains("\"complexityMinute\";q=10000000;w=60"),
            "{policy}"
        );
        let state = header(r, "ratelimit").expect("state header");
        assert!(state.contains("\"complexityMinute\";r="), "{state}");
        assert!(state.contains(";t="), "{state}");
    }
    let cost = body(&ok)["data"]["complexity"]["query"].as_u64().unwrap();
    let state = header(&ok, "ratelimit").unwrap();
    assert!(
        state.contains(&format!(
            "\"complexityMinute\";r={};t=60",
            10_000_000 - cost
        )),
        "{state}"
    );
}
