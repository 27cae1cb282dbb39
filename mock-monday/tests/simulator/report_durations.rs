//! `SimConfig::report_durations` (`mock-monday serve --report-durations`): on a scaled clock the
//! durations an answer reports are simulated seconds by default and wall seconds with `wall`,
//! decided in the core, so both HTTP faces report the same.
//!
//! On a paused tokio clock at time scale S, advancing the wall clock by d advances the
//! simulated clock by d / S: every figure here is simulated or reported, none is measured.

use std::sync::Arc;
use std::time::Duration;

use mock_monday::config::{Plan, ReportDurations, SimConfig, TokenKind};
use mock_monday::server::Server;
use mock_monday::{MockMonday, Simulator};
use serde_json::Value;

#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

fn scaled(scale: f64, report: ReportDurations, base: SimConfig) -> SimConfig {
    SimConfig {
        time_scale: scale,
        report_durations: report,
        ..base
    }
}

fn trial() -> SimConfig {
    SimConfig {
        token_kind: TokenKind::Trial,
        ..instant()
    }
}

/// The reported complexity reset of a first 25-item request, then the 429 of a second one sent
/// `wall_gap` later: (reset_in_x_seconds, RateLimit t=, Retry-After, retry_in_seconds, the legacy
/// message).
async fn budget_durations(config: SimConfig, wall_gap: f64) -> (u64, String, String, u64, String) {
    let sim = sim(config);
    let first = sim.handle(post(create_items(25, "a"), &[]));
    assert_eq!(first.status, 200);
    let reset = body(&first)["data"]["complexity"]["reset_in_x_seconds"]
        .as_u64()
        .expect("reset_in_x_seconds");
    let state = header(&first, "ratelimit").expect("RateLimit").to_string();
    let t = state.rsplit(";t=").next().unwrap_or_default().to_string();
    tokio::time::advance(Duration::from_secs_f64(wall_gap)).await;
    let refused = sim.handle(post(create_items(25, "b"), &[]));
    assert_eq!(refused.status, 429);
    let retry_after = header(&refused, "retry-after").unwrap().to_string();
    let retry_in = body(&refused)["errors"][0]["extensions"]["retry_in_seconds"]
        .as_u64()
        .unwrap();
    let legacy = sim.handle(post(create_items(25, "c"), &[("api-version", "2024-07")]));
    let message = body(&legacy)["errors"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (reset, t, retry_after, retry_in, message)
}

#[tokio::test(start_paused = true)]
async fn budget_durations_are_simulated_seconds_by_default_and_wall_seconds_on_request() {
    // Scale 0.1: the second request comes 1 wall second = 10 simulated seconds after the first,
    // 50 simulated seconds before the window resets.
    let (reset, t, retry_after, retry_in, message) =
        budget_durations(scaled(0.1, ReportDurations::Simulated, trial()), 1.0).await;
    assert_eq!((reset, t.as_str()), (60, "60"));
    assert_eq!((retry_after.as_str(), retry_in), ("50", 50));
    assert!(message.contains("reset in 50 seconds"), "{message}");

    let (reset, t, retry_after, retry_in, message) =
        budget_durations(scaled(0.1, ReportDurations::Wall, trial()), 1.0).await;
    assert_eq!((reset, t.as_str()), (6, "6"), "60 simulated s = 6 wall s");
    assert_eq!((retry_after.as_str(), retry_in), ("5", 5));
    assert!(message.contains("reset in 5 seconds"), "{message}");

    // Rounded up, and never 0: 50 simulated seconds at scale 0.001 are 0.05 wall seconds.
    let (reset, t, retry_after, retry_in, _) =
        budget_durations(scaled(0.001, ReportDurations::Wall, trial()), 0.01).await;
    assert_eq!(
        (reset, t.as_str(), retry_after.as_str(), retry_in),
        (1, "1", "1", 1)
    );
    // 50 s at 0.03 = 1.5 wall s: 2.
    let (_, _, retry_after, retry_in, _) =
        budget_durations(scaled(0.03, ReportDurations::Wall, trial()), 0.3).await;
    assert_eq!((retry_after.as_str(), retry_in), ("2", 2));
}

#[tokio::test(start_paused = true)]
async fn waiting_the_reported_wall_seconds_is_enough() {
    let sim = sim(scaled(0.1, ReportDurations::Wall, trial()));
    assert_eq!(sim.handle(post(create_items(25, "a"), &[])).status, 200);
    let refused = sim.handle(post(create_items(25, "b"), &[]));
    assert_eq!(refused.status, 429);
    let wait: u64 = header(&refused, "retry-after").unwrap().parse().unwrap();
    assert_eq!(wait, 6);
    tokio::time::advance(Duration::from_secs(wait)).await;
    assert_eq!(sim.handle(post(create_items(25, "b"), &[])).status, 200);
}

#[tokio::test(start_paused = true)]
async fn minute_limit_durations_follow_the_setting() {
    for (report, expected) in [
        (ReportDurations::Simulated, "40"),
        (ReportDurations::Wall, "4"),
    ] {
        let sim = sim(scaled(
            0.1,
            report,
            SimConfig {
                plan: Plan::Basic,
                ..instant()
            },
        ));
        let q = gql("query { version { value } }");
        for i in 0..1_000 {
            assert_eq!(sim.handle(post(q.clone(), &[])).status, 200, "request {i}");
            if i == 0 {
                // 20 simulated seconds.
                tokio::time::advance(Duration::from_secs(2)).await;
            }
        }
        let r = sim.handle(post(q, &[]));
        assert_eq!(r.status, 429);
        assert_eq!(header(&r, "retry-after"), Some(expected), "{report}");
        assert_eq!(
            body(&r)["errors"][0]["extensions"]["retry_in_seconds"]
                .to_string()
                .as_str(),
            expected
        );
        let state = header(&r, "ratelimit").unwrap();
        assert!(
            state.contains(&format!("\"minuteRate\";r=0;t={expected}")),
            "{state}"
        );
    }
}

#[test]
fn names_parse_like_the_cli() {
    assert_eq!(
        "wall".parse::<ReportDurations>().unwrap(),
        ReportDurations::Wall
    );
    assert_eq!(
        "Simulated".parse::<ReportDurations>().unwrap(),
        ReportDurations::Simulated
    );
    assert!("real".parse::<ReportDurations>().is_err());
    assert_eq!(
        SimConfig::default().report_durations,
        ReportDurations::Simulated
    );
}

/// The 429 of a second 25-item request on a trial budget, over HTTP.
async fn second_request_retry(url: &str) -> (String, Value) {
    let client = reqwest::Client::new();
    let send = |prefix: &'static str| {
        client
            .post(url)
            .header("Authorization", "test-token")
            .header("Content-Type", "application/json")
            .body(create_items(25, prefix))
            .send()
    };
    assert_eq!(send("a").await.unwrap().status(), 200);
    let r = send("b").await.unwrap();
    assert_eq!(r.status(), 429);
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (retry_after, r.json().await.unwrap())
}

#[tokio::test]
async fn both_http_faces_report_wall_seconds() {
    // Scale 0.5: the window's 60 simulated seconds are 30 wall seconds; the second request
    // follows the first within a few milliseconds, so the wait left rounds up to 30.
    let config = scaled(0.5, ReportDurations::Wall, trial());
    let wiremock = MockMonday::new()
        .config(config.clone())
        .start()
        .await
        .expect("wiremock face starts");
    let (retry_after, b) = second_request_retry(&wiremock.uri()).await;
    assert_eq!(retry_after, "30");
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 30);

    let sim = Arc::new(Simulator::new(config).unwrap());
    let server = Server::bind(sim, ([127, 0, 0, 1], 0).into(), false)
        .await
        .unwrap();
    let url = server.url().unwrap();
    let serving = tokio::spawn(server.run_until(std::future::pending::<()>()));
    let (retry_after, b) = second_request_retry(&url).await;
    assert_eq!(retry_after, "30");
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 30);
    serving.abort();
}
