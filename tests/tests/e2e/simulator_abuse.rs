//! The simulator under abuse: fuzzed input into the core, oversized and pathological requests,
//! 2,000 concurrent connections to `mock-monday serve`, remote binding and token enforcement.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use e2e_tests::{post_graphql, sim_config, Serve, BOARD_ID};
use mock_monday::core::{CoreRequest, CoreResponse};
use mock_monday::Simulator;
use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Cases per fuzz strategy (`E2E_FUZZ_CASES` overrides; CI keeps the default so the run is bounded).
fn fuzz_cases() -> u32 {
    std::env::var("E2E_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400)
}

fn shared_sim() -> &'static Simulator {
    static SIM: OnceLock<Simulator> = OnceLock::new();
    SIM.get_or_init(|| {
        Simulator::new(sim_config("instant", "enterprise", "personal", 99, "")).expect("simulator")
    })
}

static FUZZ_INPUTS: AtomicU64 = AtomicU64::new(0);

fn request(body: Bytes, extra_headers: Vec<(String, String)>) -> CoreRequest {
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("authorization".to_string(), "fuzz-token".to_string()),
    ];
    headers.extend(extra_headers);
    CoreRequest {
        method: "POST".to_string(),
        path: "/v2".to_string(),
        headers,
        body,
        client_ip: Some("127.0.0.1".to_string()),
    }
}

/// Well-formed: a valid HTTP status; a JSON object with a non-empty `errors` array or `data` (or,
/// for legacy API versions, `error_message`/`error_code`); non-JSON only for 504 (the documented
/// gateway timeout) or a 413 body-size refusal.
fn check_well_formed(resp: &CoreResponse, must_be_error: bool) -> Result<(), String> {
    if !(100..600).contains(&resp.status) {
        return Err(format!("status {}", resp.status));
    }
    if resp.delivery == mock_monday::core::Delivery::Reset {
        return Err("reset without a fault configured".into());
    }
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(Value::Object(o)) => {
            let errors = o
                .get("errors")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
            let legacy = o.contains_key("error_message") || o.contains_key("error_code");
            let data = o.contains_key("data");
            if !(errors || legacy || data) {
                return Err(format!("JSON without errors or data: {o:?}"));
            }
            if must_be_error && !(errors || legacy) && resp.status == 200 {
                return Err(format!("garbage accepted as a valid request: {o:?}"));
            }
            if errors {
                for e in o["errors"].as_array().into_iter().flatten() {
                    let ok = e.is_string() || e.get("message").and_then(Value::as_str).is_some();
                    if !ok {
                        return Err(format!("error without message: {e}"));
                    }
                }
            }
            Ok(())
        }
        Ok(other) => Err(format!("JSON body is not an object: {other}")),
        Err(_) if resp.status == 504 || resp.status == 413 => Ok(()),
        Err(e) => Err(format!(
            "status {} with a non-JSON body ({e}): {:?}",
            resp.status,
            String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)])
        )),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const VOCAB: &[&str] = &[
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    ",",
    "$v",
    "$x",
    "!",
    "=",
    "...",
    "@skip(if: true)",
    "boards",
    "ids",
    "1234567890",
    "\"1234567890\"",
    "items_page",
    "limit",
    "cursor",
    "items",
    "id",
    "name",
    "column_values",
    "text",
    "value",
    "create_item",
    "board_id",
    "item_name",
    "\"x\"",
    "\"{\\\"status\\\":{\\\"label\\\":\\\"New\\\"}}\"",
    "create_group",
    "group_name",
    "change_multiple_column_values",
    "item_id",
    "delete_item",
    "complexity",
    "before",
    "after",
    "reset_in_x_seconds",
    "version",
    "versions",
    "kind",
    "null",
    "true",
    "1e309",
    "-0",
    "\"\\uD83D\\uDE00\"",
    "\"\\uD800\"",
    "#comment\n",
    "__typename",
    "__schema",
    "types",
    "StatusValue",
    "label",
    "next_items_page",
    "query_params",
    "rules",
    "column_id",
    "compare_value",
    "operator",
    "any_of",
    "create_labels_if_missing",
    "Int",
    "ID",
    "String",
    "JSON",
    "a:",
    "b:",
    "\u{0}",
    "\"unterminated",
    "items_page_by_column_values",
];

fn graphql_doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(VOCAB), 0..80).prop_map(|t| t.join(" "))
}

fn run_case(req: CoreRequest, must_be_error: bool) -> Result<(), TestCaseError> {
    FUZZ_INPUTS.fetch_add(1, Ordering::Relaxed);
    let resp = shared_sim().handle(req);
    check_well_formed(&resp, must_be_error).map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes as the body: a well-formed error, never a panic.
    #[test]
    fn fuzz_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        // Bytes that happen to be a valid request are vanishingly unlikely; still only demand an
        // error when the body is not JSON.
        let must = serde_json::from_slice::<Value>(&body).is_err();
        run_case(request(Bytes::from(body), vec![]), must)?;
    }

    /// Arbitrary JSON bodies, and arbitrary JSON as `query` / `variables` / `operationName`.
    #[test]
    fn fuzz_arbitrary_json(v in json_value(), q in json_value(), vars in json_value(), op in json_value()) {
        run_case(request(Bytes::from(v.to_string()), vec![]), !v.get("query").is_some_and(Value::is_string))?;
        let body = json!({"query": q, "variables": vars, "operationName": op});
        run_case(request(Bytes::from(body.to_string()), vec![]), !q.is_string())?;
    }

    /// GraphQL-ish documents from the schema's vocabulary, with arbitrary variables and API-Version.
    #[test]
    fn fuzz_graphql_documents(doc in graphql_doc(), vars in json_value(), version in "[0-9-]{0,9}|2026-10|2023-10") {
        let body = json!({"query": doc, "variables": vars});
        run_case(request(Bytes::from(body.to_string()), vec![("api-version".into(), version)]), false)?;
    }

    /// Valid mutations with arbitrary names and column values (strings, JSON, GraphQL-looking text).
    #[test]
    fn fuzz_create_item_values(name in ".{0,300}", cv in json_value(), raw in ".{0,200}") {
        let q = "mutation ($b: ID!, $n: String!, $cv: JSON) { create_item(board_id: $b, item_name: $n, column_values: $cv) { id name } }";
        for cvs in [Value::String(cv.to_string()), cv.clone(), Value::String(raw.clone())] {
            let body = json!({"query": q, "variables": {"b": BOARD_ID, "n": name, "cv": cvs}});
            run_case(request(Bytes::from(body.to_string()), vec![]), false)?;
        }
    }
}

/// Prints how many fuzz inputs the proptests above fed in (the figure for README). Runs last in
/// name order only by chance, so it just checks the counter works on its own inputs.
#[test]
fn fuzz_inputs_are_counted() {
    let before = FUZZ_INPUTS.load(Ordering::Relaxed);
    run_case(request(Bytes::from_static(b"{"), vec![]), true).expect("well-formed");
    assert!(FUZZ_INPUTS.load(Ordering::Relaxed) > before);
    println!(
        "fuzz: {} cases per strategy x 4 strategies (arbitrary JSON and create_item values send 2-3 inputs per case)",
        fuzz_cases()
    );
}

fn items_created(sim: &Simulator) -> u64 {
    serde_json::to_value(sim.stats()).expect("stats")["items_created_total"]
        .as_u64()
        .expect("items_created_total")
}

/// Oversized bodies, deeply nested queries and huge alias counts get errors (small answers), and
/// nothing is written.
#[test]
fn oversized_deep_and_alias_heavy_requests_get_errors() {
    let sim = Simulator::new(sim_config("instant", "pro", "personal", 1, "")).expect("simulator");
    let small = |resp: &CoreResponse, what: &str| {
        assert!(
            resp.body.len() < 256 * 1024,
            "{what}: {} byte answer",
            resp.body.len()
        );
        check_well_formed(resp, true).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            resp.status != 200 || String::from_utf8_lossy(&resp.body).contains("errors"),
            "{what}: accepted"
        );
    };
    // 24 MB body (a huge string variable).
    let huge = format!(
        r#"{{"query":"query {{ version {{ value }} }}","variables":{{"x":"{}"}}}}"#,
        "a".repeat(24 << 20)
    );
    small(
        &sim.handle(request(Bytes::from(huge), vec![])),
        "oversized body",
    );
    // 100,000 levels of nesting.
    let deep = format!(
        "{{ {} id {} }}",
        "boards { ".repeat(100_000),
        "}".repeat(100_000)
    );
    let body = json!({ "query": deep }).to_string();
    small(
        &sim.handle(request(Bytes::from(body), vec![])),
        "deep nesting",
    );
    // 100,000 nested list brackets in variables.
    let deep_vars = format!(
        r#"{{"query":"query {{ version {{ value }} }}","variables":{{"x":{}1{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    small(
        &sim.handle(request(Bytes::from(deep_vars), vec![])),
        "deep variables",
    );
    // 20,000 create_item aliases (600M complexity, far over the 5M per-request cap).
    let mut q = String::from("mutation {");
    for i in 0..20_000 {
        q.push_str(&format!(
            " a{i}: create_item(board_id: {BOARD_ID}, item_name: \"x{i}\") {{ id }}"
        ));
    }
    q.push('}');
    let before = items_created(&sim);
    small(
        &sim.handle(request(
            Bytes::from(json!({ "query": q }).to_string()),
            vec![],
        )),
        "20,000 aliases",
    );
    assert_eq!(
        items_created(&sim),
        before,
        "aliases over the cap wrote items"
    );
}

/// The same over HTTP: the server keeps answering and its memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_over_http_keep_memory_bounded() {
    let serve = Serve::start(&["--profile", "instant"]).await;
    let rss_start = serve.vm_rss_kib();
    for round in 0..3 {
        let huge = format!(
            r#"{{"query":"query {{ version {{ value }} }}","variables":{{"x":"{}"}}}}"#,
            "b".repeat(40 << 20)
        );
        let resp = e2e_tests::http()
            .post(&serve.url)
            .header("authorization", "t")
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await;
        // The server may answer 413 or close the connection while we still send; both are fine,
        // as long as it is still alive and small afterwards.
        if let Ok(resp) = resp {
            let status = resp.status().as_u16();
            assert!(
                status == 413 || status == 400,
                "round {round}: 40 MB body -> {status}"
            );
        }
        let deep = json!({ "query": format!("{{ {} id {} }}", "boards { ".repeat(200_000), "}".repeat(200_000)) });
        let (status, text) = post_graphql(&serve.url, Some("t"), &deep.to_string()).await;
        assert!(
            text.contains("errors") || status == 413 || status == 400,
            "deep query -> {status}: {}",
            &text[..text.len().min(300)]
        );
    }
    let health = serve.admin("/__admin/health").await;
    assert!(!health.is_null());
    let rss_end = serve.vm_rss_kib();
    println!("memory after abuse: {rss_start} KiB -> {rss_end} KiB");
    assert!(
        rss_end < 300 * 1024,
        "VmRSS {rss_end} KiB after oversized requests (started at {rss_start} KiB)"
    );
}

/// One raw HTTP/1.1 POST on its own connection; returns (status, body) or an error string.
async fn raw_post(
    addr: std::net::SocketAddr,
    body: Arc<String>,
    go: Arc<tokio::sync::Barrier>,
    held: Arc<AtomicUsize>,
) -> Result<(u16, String), String> {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    held.fetch_add(1, Ordering::SeqCst);
    go.wait().await; // every connection is open before any request is sent
    let req = format!(
        "POST /v2 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        body
    );
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {:?}", &text[..text.len().min(100)]))?;
    Ok((status, text))
}

/// 2,000 concurrent connections (Pro plan: 100 concurrent requests; realistic latency): every
/// connection gets an answer, the limiter answers 429 `maxConcurrencyExceeded`, others succeed,
/// memory stays bounded and the server keeps answering afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_connections() {
    let serve = Serve::start(&["--profile", "realistic", "--plan", "pro", "--seed", "3"]).await;
    let addr: std::net::SocketAddr = serve
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let n = 2_000;
    let body = Arc::new(
        json!({"query": format!("query {{ boards(ids: {BOARD_ID}) {{ id name }} }}")}).to_string(),
    );
    let go = Arc::new(tokio::sync::Barrier::new(n));
    let held = Arc::new(AtomicUsize::new(0));
    let pid = serve.pid();
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            for _ in 0..1200 {
                peak.fetch_max(e2e_tests::vm_rss_kib(pid), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let tasks: Vec<_> = (0..n)
        .map(|_| tokio::spawn(raw_post(addr, body.clone(), go.clone(), held.clone())))
        .collect();
    let results = tokio::time::timeout(Duration::from_secs(90), futures::future::join_all(tasks))
        .await
        .expect("2,000 connections answered within 90 s");
    sampler.abort();
    let (mut ok, mut limited, mut other, mut failed) = (0, 0, 0, Vec::new());
    for r in results {
        match r.expect("task") {
            Ok((200, _)) => ok += 1,
            Ok((429, text)) if text.contains("maxConcurrencyExceeded") => limited += 1,
            Ok((status, text)) => {
                other += 1;
                if other < 3 {
                    eprintln!(
                        "unexpected answer {status}: {}",
                        &text[..text.len().min(300)]
                    );
                }
            }
            Err(e) => failed.push(e),
        }
    }
    let peak = peak.load(Ordering::SeqCst);
    println!(
        "connections: {} held, {ok} x 200, {limited} x 429 maxConcurrencyExceeded, {other} other, {} failed, peak VmRSS {peak} KiB",
        held.load(Ordering::SeqCst),
        failed.len()
    );
    assert_eq!(
        held.load(Ordering::SeqCst),
        n,
        "not every connection opened"
    );
    assert!(
        failed.is_empty(),
        "{} connections got no answer, first: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(
        other, 0,
        "answers other than 200 / 429 maxConcurrencyExceeded"
    );
    assert!(ok >= 100, "only {ok} requests served");
    assert!(limited > 0, "the concurrency limiter never answered 429");
    assert!(peak < 400 * 1024, "peak VmRSS {peak} KiB");
    // Still answering.
    let (status, _) = post_graphql(
        &serve.url,
        Some("t"),
        r#"{"query":"{ version { value } }"}"#,
    )
    .await;
    assert_eq!(status, 200);
    let stats = serve.stats().await;
    assert!(stats["throttled_total"].as_u64().unwrap_or(0) >= limited as u64);
}

/// `serve` refuses a non-loopback address unless `--allow-remote` is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_non_loopback_without_allow_remote() {
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let child = tokio::process::Command::new(&e2e_tests::bins().mock)
            .args(["serve", "--addr", addr])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn");
        let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("serve --addr {addr} kept running: it must refuse"))
            .expect("wait");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "serve --addr {addr} exited 0");
        assert!(
            !stdout.contains("listening on"),
            "serve --addr {addr} bound: {stdout}"
        );
        assert!(
            stderr.contains("--allow-remote"),
            "the refusal should name --allow-remote: {stderr}"
        );
    }
}

/// With `--token T` every request without that token is refused with 401, including admin calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_token_refuses_requests_without_it() {
    let serve = Serve::start(&["--profile", "instant", "--token", "s3cret-T"]).await;
    let q = r#"{"query":"{ boards(ids: 1234567890) { id } }"}"#;
    for token in [None, Some("wrong"), Some(""), Some("s3cret-TX")] {
        let (status, text) = post_graphql(&serve.url, token, q).await;
        assert_eq!(status, 401, "token {token:?}: {text}");
        assert!(!text.contains("s3cret-T"), "the 401 echoes the token");
    }
    let (status, text) = post_graphql(&serve.url, Some("s3cret-T"), q).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(BOARD_ID));
    for path in [
        "/__admin/stats",
        &format!("/__admin/boards/{BOARD_ID}/items"),
    ] {
        let status = e2e_tests::http()
            .get(format!("{}{path}", serve.base))
            .send()
            .await
            .expect("GET admin")
            .status()
            .as_u16();
        assert_eq!(status, 401, "{path} without the token");
    }
    let reset = e2e_tests::http()
        .post(format!("{}/__admin/reset", serve.base))
        .send()
        .await
        .expect("POST reset")
        .status()
        .as_u16();
    assert_eq!(reset, 401, "reset without the token");
}
