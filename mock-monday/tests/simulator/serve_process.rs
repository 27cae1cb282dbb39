//! Starts the real `mock-monday serve` process, reads its URL line and drives it over HTTP.

use crate::http_support;

use std::process::Command;

use http_support::{get_json, serve};
use serde_json::{json, Value};

const CREATE: &str =
    "mutation { a: create_item(board_id: 1234567890, item_name: \"Served\") { id } }";

#[tokio::test]
async fn serve_process_answers_over_http() {
    let s = serve(&["--profile", "instant", "--seed", "3", "--token", "tok"]);
    let client = reqwest::Client::new();
    let r = client
        .post(&s.url)
        .header("Authorization", "tok")
        .json(&json!({ "query": CREATE }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert!(b["data"]["a"]["id"].is_string(), "{b}");

    let r = client
        .post(&s.url)
        .json(&json!({ "query": CREATE }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "--token refuses requests without it");

    let base = s.base();
    let refused = client
        .get(format!("{base}/__admin/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        401,
        "--token protects the admin endpoints too"
    );
    let stats = get_json(&client, &format!("{base}/__admin/stats"), "tok").await;
    assert_eq!(stats["requests_total"], 2);
    assert_eq!(stats["items_created_total"], 1);
    let items = get_json(
        &client,
        &format!("{base}/__admin/boards/1234567890/items"),
        "tok",
    )
    .await;
    assert_eq!(items["items"].as_array().map(Vec::len), Some(1));

    let big = vec![b'x'; 11 * 1024 * 1024];
    let r = client
        .post(&s.url)
        .header("Authorization", "tok")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // The core answers it, as in-process: the envelope's headers, the code, stats and the log.
    for name in ["x-request-id", "api-version", "ratelimit"] {
        assert_eq!(r.headers().get_all(name).iter().count(), 1, "{name}");
    }
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        b["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{b}"
    );
    assert_eq!(b["extensions"]["request_id"], id.as_str(), "{b}");
    let stats = get_json(&client, &format!("{base}/__admin/stats"), "tok").await;
    assert_eq!(stats["requests_total"], 3);
    assert_eq!(stats["responses_by_status"]["413"], 1, "{stats}");
}

#[tokio::test]
async fn serve_process_truly_drops_connections_on_reset() {
    let s = serve(&["--profile", "instant", "--faults", "reset=1"]);
    let err = reqwest::Client::new()
        .post(&s.url)
        .header("Authorization", "tok")
        .json(&json!({ "query": CREATE }))
        .send()
        .await
        .expect_err("the connection is dropped");
    assert!(!err.is_status(), "{err}");
}

#[test]
fn serve_refuses_non_loopback_without_allow_remote() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-monday"))
        .args(["serve", "--addr", "0.0.0.0:0", "--profile", "instant"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn serve_reports_bad_options_clearly() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-monday"))
        .args(["serve", "--faults", "boom=1"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown fault \"boom\""), "{err}");
    let help = Command::new(env!("CARGO_BIN_EXE_mock-monday"))
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&help.stdout);
    for opt in [
        "--addr",
        "--profile",
        "--plan",
        "--token-kind",
        "--seed",
        "--time-scale",
        "--token",
        "--fixture",
        "--schema",
        "--faults",
        "--allow-remote",
    ] {
        assert!(text.contains(opt), "--help lacks {opt}");
    }
}

/// Sends one `create_item` with its own body and returns (status, Retry-After).
async fn create(client: &reqwest::Client, url: &str, name: &str) -> (u16, Option<String>) {
    let q =
        format!("mutation {{ create_item(board_id: 1234567890, item_name: \"{name}\") {{ id }} }}");
    let r = client
        .post(url)
        .header("Authorization", "tok")
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (r.status().as_u16(), retry)
}

#[tokio::test]
async fn overlapping_writes_to_one_board_get_exactly_one_423() {
    // Realistic profile, default board lock (strict): the second create_item arrives while the
    // first (a few hundred simulated ms) is in flight.
    let s = serve(&["--seed", "5", "--token", "tok"]);
    let client = reqwest::Client::new();
    let (a, b) = tokio::join!(create(&client, &s.url, "A"), create(&client, &s.url, "B"));
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 423], "{a:?} {b:?}");
    let locked = if a.0 == 423 { &a } else { &b };
    let retry: u64 = locked.1.as_deref().expect("Retry-After").parse().unwrap();
    assert!(retry >= 1);

    let base = s.url.trim_end_matches("/v2");
    let admin = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("Authorization", "tok")
            .send()
    };
    let stats: Value = admin("/__admin/stats").await.unwrap().json().await.unwrap();
    assert_eq!(stats["locked_total"], 1);
    assert_eq!(stats["items_created_total"], 1);

    // The request log saw both, one locked; `since` tails it; reset clears it.
    let log = admin("/__admin/requests")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "{log}");
    assert_eq!(entries.iter().filter(|e| e["locked"] == true).count(), 1);
    assert!(entries
        .iter()
        .all(|e| e["kind"] == "create" && e["aliases"] == 1));
    let tail = admin("/__admin/requests?since=1")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tail.lines().count(), 1);
    let reset = client
        .post(format!("{base}/__admin/reset"))
        .header("Authorization", "tok")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let log = admin("/__admin/requests")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(log.is_empty(), "{log}");

    // --board-lock off lets the same overlap through.
    let off = serve(&["--seed", "5", "--token", "tok", "--board-lock", "off"]);
    let (a, b) = tokio::join!(
        create(&client, &off.url, "A"),
        create(&client, &off.url, "B")
    );
    assert_eq!((a.0, b.0), (200, 200));
}
