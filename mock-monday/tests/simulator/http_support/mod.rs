//! Helpers shared by the tests that talk HTTP: the spawned `mock-monday serve` process and
//! JSON reads of the admin endpoints.

#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running `mock-monday serve` process, killed when dropped.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT/v2`, from the process's first line.
    pub url: String,
}

impl Served {
    /// `http://127.0.0.1:PORT`, where the admin, upload and report paths live.
    pub fn base(&self) -> &str {
        self.url.trim_end_matches("/v2")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mock-monday serve --addr 127.0.0.1:0 ARGS` and reads the URL it listens on.
pub fn serve(args: &[&str]) -> Served {
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

/// `GET url` with `Authorization: token`, read as JSON.
pub async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let r = client
        .get(url)
        .header("Authorization", token)
        .send()
        .await
        .expect("request sent");
    let status = r.status();
    let text = r.text().await.expect("a body");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GET {url}: {status} is not JSON ({e}): {text:?}"))
}
