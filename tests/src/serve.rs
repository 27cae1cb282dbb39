//! The `mock-monday serve` child process and plain HTTP calls to it.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::board::items_array;
use crate::paths::bins;
use crate::BOARD_ID;

/// A running `mock-monday serve` process (killed on drop).
pub struct Serve {
    child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// `http://127.0.0.1:PORT/v2`
    pub url: String,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    /// Starts `mock-monday serve --addr 127.0.0.1:0 <extra>` and waits (at most 60 s) for its
    /// `mock-monday listening on http://...` line.
    pub async fn start(extra: &[&str]) -> Serve {
        let mut cmd = tokio::process::Command::new(&bins().mock);
        cmd.arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn mock-monday serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        drain_capped(child.stderr.take().expect("stderr"), stderr.clone());
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.trim().strip_prefix("mock-monday listening on ") {
                    return Some(url.trim().to_string());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let url = match url {
            Some(url) => url,
            None => {
                let _ = child.start_kill();
                panic!(
                    "mock-monday serve {extra:?} printed no listening line; stderr: {}",
                    stderr.lock().expect("stderr lock")
                );
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/v2"),
            "unexpected URL line {url}"
        );
        let base = url.trim_end_matches("/v2").to_string();
        Serve {
            child,
            base,
            url,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("serve is running")
    }

    /// Resident memory of the server process in KiB (Linux /proc).
    pub fn vm_rss_kib(&self) -> u64 {
        vm_rss_kib(self.pid())
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// GET an admin endpoint as JSON.
    pub async fn admin(&self, path: &str) -> Value {
        let resp = http()
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("admin body");
        assert_eq!(status, 200, "GET {path} -> {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path} not JSON ({e}): {text}"))
    }

    pub async fn stats(&self) -> Value {
        self.admin("/__admin/stats").await
    }

    pub async fn board_items(&self) -> Vec<Value> {
        items_array(
            &self
                .admin(&format!("/__admin/boards/{BOARD_ID}/items"))
                .await,
        )
    }

    pub async fn reset(&self) {
        let resp = http()
            .post(format!("{}/__admin/reset", self.base))
            .send()
            .await
            .expect("POST reset");
        assert!(resp.status().is_success(), "reset -> {}", resp.status());
    }
}

/// Keeps the last ~1 MB of a child's output.
fn drain_capped<R: tokio::io::AsyncRead + Unpin + Send + 'static>(r: R, into: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(r));
        while let Ok(Some(line)) = lines.next_line().await {
            let mut s = into.lock().expect("drain lock");
            if s.len() > 1 << 20 {
                let cut = s.len() - (1 << 19);
                let cut = (cut..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                s.drain(..cut);
            }
            s.push_str(&line);
            s.push('\n');
        }
    });
}

/// VmRSS of a process in KiB (0 if unreadable).
pub fn vm_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A plain reqwest client for loopback calls.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// A GraphQL POST to the simulator; returns (status, body text).
pub async fn post_graphql(url: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut req = http()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.header("authorization", t);
    }
    let resp = req.send().await.expect("POST graphql");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}
