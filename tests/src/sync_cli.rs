//! The `monday-sync` child process and the failure reports it writes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::paths::bins;

/// Output of one `monday-sync` run.
#[derive(Debug)]
pub struct SyncOutput {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A `monday-sync` command with the token env var set (or not).
pub fn sync_command(args: &[&str], token: Option<&str>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(&bins().sync);
    cmd.args(args)
        .env_remove("MONDAY_API_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(t) = token {
        cmd.env("MONDAY_API_TOKEN", t);
    }
    cmd
}

/// Runs `monday-sync` to completion (at most `limit`).
pub async fn run_sync(args: &[&str], token: Option<&str>, limit: Duration) -> SyncOutput {
    let child = sync_command(args, token)
        .spawn()
        .expect("spawn monday-sync");
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("monday-sync {args:?} did not finish within {limit:?}"))
        .expect("wait monday-sync");
    SyncOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Reads every JSON / NDJSON / CSV report file under `dir` whose name contains `fail`, returning
/// the failure rows as JSON objects (CSV rows become objects keyed by the header).
pub fn read_failures(dir: &Path) -> Vec<Value> {
    let mut rows = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return rows;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    // Prefer one format: JSON, then NDJSON, then CSV.
    for ext in ["json", "ndjson", "jsonl", "csv"] {
        for p in &paths {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !name.contains("fail") || p.extension().and_then(|e| e.to_str()) != Some(ext) {
                continue;
            }
            let text = std::fs::read_to_string(p).unwrap_or_default();
            match ext {
                "json" => {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        match v {
                            Value::Array(a) => rows.extend(a),
                            Value::Object(ref o) => {
                                if let Some(a) = o.get("failures").and_then(Value::as_array) {
                                    rows.extend(a.iter().cloned());
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "ndjson" | "jsonl" => rows.extend(
                    text.lines()
                        .filter_map(|l| serde_json::from_str::<Value>(l).ok()),
                ),
                _ => rows.extend(parse_csv_rows(&text)),
            }
            if !rows.is_empty() {
                return rows;
            }
        }
    }
    rows
}

/// Minimal CSV reader (quotes, doubled quotes, embedded newlines) into objects keyed by header.
pub fn parse_csv_rows(text: &str) -> Vec<Value> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut field = String::new();
    let mut row = Vec::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        records.push(row);
    }
    let mut it = records.into_iter();
    let Some(header) = it.next() else {
        return Vec::new();
    };
    it.map(|r| {
        let mut o = Map::new();
        for (h, v) in header.iter().zip(r) {
            o.insert(h.clone(), Value::String(v));
        }
        Value::Object(o)
    })
    .collect()
}
