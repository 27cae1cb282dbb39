//! Starts the real `mock-monday serve` process, reads its URL line and drives it over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-monday"))
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("mock-monday starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reads the URL line");
    let url = line
        .trim()
        .strip_prefix("mock-monday listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v2"),
        "{url}"
    );
    Served { child, url }
}

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

    let base = s.url.trim_end_matches("/v2");
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
    let stats: Value = client
        .get(format!("{base}/__admin/stats"))
        .header("Authorization", "tok")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests_total"], 2);
    assert_eq!(stats["items_created_total"], 1);
    let items: Value = client
        .get(format!("{base}/__admin/boards/1234567890/items"))
        .header("Authorization", "tok")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
