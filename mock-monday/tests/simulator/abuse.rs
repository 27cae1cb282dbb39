//! The simulator under abuse: arbitrary bytes, hostile documents, thousands of connections.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use bytes::Bytes;
use mock_monday::{CoreRequest, Delivery, Simulator};
use proptest::prelude::*;
use serde_json::{json, Value};

// Shared helpers for the pipeline tests (one copy for every test file).
#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

/// Every answer is either a well-formed JSON body with `extensions.request_id` and at least one
/// error or `data`, or (504) the gateway page.
fn well_formed(r: &mock_monday::CoreResponse) -> Result<(), String> {
    if r.delivery == Delivery::Reset || r.status == 504 {
        return Ok(());
    }
    let v: Value = serde_json::from_slice(&r.body)
        .map_err(|e| format!("status {} body not JSON: {e}", r.status))?;
    if !v["extensions"]["request_id"].is_string() {
        return Err(format!("no request_id: {v}"));
    }
    if v.get("errors").is_none() && v.get("data").is_none() && v.get("error_code").is_none() {
        return Err(format!("neither data nor errors: {v}"));
    }
    Ok(())
}

fn shared_sim() -> Arc<Simulator> {
    static SIM: std::sync::OnceLock<Arc<Simulator>> = std::sync::OnceLock::new();
    SIM.get_or_init(|| {
        let mut c = instant();
        // No limiter should end the fuzz run early.
        c.limits.minute_requests_pro = u32::MAX;
        c.limits.ip_requests = u32::MAX;
        c.limits.personal_budget = u64::MAX;
        Arc::new(sim(c))
    })
    .clone()
}

fn raw(body: Vec<u8>, version: &str) -> CoreRequest {
    CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            ("authorization".into(), "t".into()),
            ("api-version".into(), version.into()),
        ],
        body: Bytes::from(body),
        client_ip: None,
    }
}

const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "query",
    "mutation",
    "boards",
    "items_page",
    "create_item",
    "board_id:",
    "1234567890",
    "item_name:",
    "\"x\"",
    "$v",
    ": ID!",
    "...",
    "on",
    "StatusValue",
    "fragment",
    "column_values",
    "id",
    "name",
    "complexity",
    "alias:",
    "@include(if: true)",
    "null",
    ",",
    "\"\\uD83D\\uDE00\"",
    "limit: 500",
    "cursor:",
    "version",
    "#",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512),
                                   version in "[0-9a-z-]{0,8}") {
        let r = shared_sim().handle(raw(body, &version));
        prop_assert!(well_formed(&r).is_ok(), "{:?}", well_formed(&r));
    }

    #[test]
    fn arbitrary_json_never_panics(query in ".{0,200}", vars in ".{0,50}") {
        let body = json!({ "query": query, "variables": vars }).to_string().into_bytes();
        let r = shared_sim().handle(raw(body, "2024-07"));
        prop_assert!(well_formed(&r).is_ok(), "{:?}", well_formed(&r));
    }

    #[test]
    fn graphql_shaped_documents_never_panic(parts in proptest::collection::vec(0..FRAGMENTS.len(), 0..60)) {
        let query: String = parts.iter().map(|&i| FRAGMENTS[i]).collect::<Vec<_>>().join(" ");
        let body = json!({ "query": query, "variables": { "v": [1, "2", null] } }).to_string();
        let r = shared_sim().handle(raw(body.into_bytes(), "2026-10"));
        prop_assert!(well_formed(&r).is_ok(), "{:?}", well_formed(&r));
        prop_assert!([200u16, 400, 429].contains(&r.status), "status {}", r.status);
    }
}

#[test]
fn hostile_documents_get_errors() {
    let sim = shared_sim();
    let deep = format!("{{{}{}}}", "boards { ".repeat(10_000), "}".repeat(10_000));
    let r = sim.handle(post(gql(&deep), &[]));
    assert_eq!(code(&body(&r)), Some("QUERY_TOO_DEEP"));
    // 50,000 aliased reads: answered with an error or data, never a blow-up.
    let mut q = String::from("query {");
    for i in 0..50_000 {
        q.push_str(&format!(" a{i}: version {{ value }}"));
    }
    q.push('}');
    let r = sim.handle(post(gql(&q), &[]));
    assert!(well_formed(&r).is_ok(), "{:?}", well_formed(&r));
    // 1,000 aliased mutations exceed the per-request cap.
    let r = sim.handle(post(create_items(1_000, "flood"), &[]));
    assert_eq!(code(&body(&r)), Some("REQUEST_MAX_COMPLEXITY_EXCEEDED"));
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_connections() {
    let profile = std::env::temp_dir().join(format!("mm-profile-{}.toml", std::process::id()));
    std::fs::write(
        &profile,
        "base_median_ms = 1500.0\nbase_p99_ms = 1500.0\nbase_cap_ms = 1500.0\n\
         refused_min_ms = 0.0\nrefused_max_ms = 0.0\nspike_probability = 0.0\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-monday"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--plan",
            "pro",
            "--profile",
        ])
        .arg(&profile)
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .trim_start_matches("mock-monday listening on ")
        .to_string();
    let rss_before = rss_kib(child.id());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..2_000)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let r = client
                    .post(&url)
                    .header("Authorization", "t")
                    .json(&json!({ "query": "{ version { value } }" }))
                    .send()
                    .await
                    .ok()?;
                let status = r.status().as_u16();
                let body: Value = r.json().await.ok()?;
                Some((status, body))
            })
        })
        .collect();
    let mut ok = 0;
    let mut concurrency = 0;
    for t in tasks {
        if let Ok(Some((status, body))) = t.await {
            match (status, code(&body)) {
                (200, _) => ok += 1,
                (429, Some("maxConcurrencyExceeded")) => concurrency += 1,
                other => panic!("unexpected answer {other:?}"),
            }
        }
    }
    let rss_after = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&profile);
    assert_eq!(ok + concurrency, 2_000, "every connection answered");
    assert!(ok >= 100, "the first 100 (Pro) are served: {ok}");
    assert!(concurrency > 0, "the concurrency limiter answered 429");
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        assert!(
            after < before + 256 * 1024,
            "RSS grew from {before} KiB to {after} KiB"
        );
    }
}
