//! Bad input and bad configuration, through the real `monday-sync` binary against a
//! `mock-monday serve` process: every bad record is reported with line, field and reason, every
//! good record is synced, the exit code says what happened, and nothing panics. Config errors stop
//! before any request is sent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e_tests::{
    assert_exactly_once, example_config_path, orders, read_failures, record_key, run_sync,
    write_file, Serve, SyncOutput,
};
use serde_json::{json, Map, Value};

const TOKEN: &str = "bad-input-token";

/// `record` with `patch` applied (a `null` in the patch removes the field), as one NDJSON line.
fn record_line(record: &Map<String, Value>, patch: Value) -> Vec<u8> {
    let mut r = record.clone();
    if let Value::Object(p) = patch {
        for (k, v) in p {
            if v.is_null() {
                r.remove(&k);
            } else {
                r.insert(k, v);
            }
        }
    }
    serde_json::to_vec(&r).expect("json")
}

fn field_of(row: &Value) -> String {
    row.get("field")
        .map(|f| match f {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

fn line_of(row: &Value) -> Option<u64> {
    match row.get("line")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn reason_of(row: &Value) -> String {
    row.get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

async fn sync(serve: &Serve, config: &Path, input: &Path, reports: &Path) -> SyncOutput {
    let config = config.display().to_string();
    let input = input.display().to_string();
    let reports = reports.display().to_string();
    let state = format!("{reports}/state.sqlite");
    let out = run_sync(
        &[
            "run",
            "--config",
            &config,
            "--input",
            &input,
            "--api-url",
            &serve.url,
            "--report-dir",
            &reports,
            "--state",
            &state,
        ],
        Some(TOKEN),
        Duration::from_secs(120),
    )
    .await;
    assert!(
        !out.stderr.contains("panicked") && !out.stdout.contains("panicked"),
        "monday-sync panicked: {}",
        out.stderr
    );
    out
}

/// Checks the failures report: exactly the expected lines, each with a reason, and the expected
/// field where one is given (`None` = a whole-line problem, any field).
fn check_failures(reports: &Path, expected: &[(u64, Option<&[&str]>)], out: &SyncOutput) {
    let rows = read_failures(reports);
    let got: BTreeSet<u64> = rows.iter().filter_map(line_of).collect();
    let want: BTreeSet<u64> = expected.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        got, want,
        "failure lines differ; rows: {rows:#?}\nstderr: {}",
        out.stderr
    );
    for (line, fields) in expected {
        let row = rows
            .iter()
            .find(|r| line_of(r) == Some(*line))
            .expect("row for line");
        assert!(
            !reason_of(row).trim().is_empty(),
            "line {line} has no reason: {row}"
        );
        if let Some(fields) = fields {
            let field = field_of(row);
            assert!(
                fields.iter().any(|f| field.contains(f)),
                "line {line}: field {field:?} is none of {fields:?}: {row}"
            );
        }
    }
}

/// NDJSON with broken lines, invalid dates and numbers, a 10,000-character name, raw control
/// characters, invalid UTF-8, a duplicate key and a missing key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ndjson_records_are_reported_and_good_ones_synced() {
    let serve = Serve::start(&["--profile", "instant"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    // Every field filled: each bad line below has exactly the one problem its patch gives it.
    let records = orders(30, 31, 0.0);
    let key = |i: usize| record_key(i as u64 + 1);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut good = Vec::new();
    // (1-based line, expected fields)
    let mut bad: Vec<(u64, Option<&[&str]>)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let line = lines.len() as u64 + 1;
        match i {
            3 => {
                lines.push(br#"{"order_id": "ORD-BROKEN", "customer": "#.to_vec());
                bad.push((line, None));
            }
            5 => {
                lines.push(record_line(record, json!({"order_date": "2026-13-45"})));
                bad.push((line, Some(&["order_date", "date_order"])));
            }
            7 => {
                lines.push(record_line(record, json!({"quantity": "12abc"})));
                bad.push((line, Some(&["quantity", "numbers_qty"])));
            }
            9 => {
                lines.push(record_line(record, json!({"unit_price": "four dollars"})));
                bad.push((line, Some(&["unit_price", "numbers_price"])));
            }
            11 => {
                lines.push(record_line(
                    record,
                    json!({"po_number": "P".repeat(10_000), "style": "S"}),
                ));
                bad.push((line, Some(&["name", "po_number", "style"])));
            }
            13 => {
                // Raw (unescaped) control characters inside a JSON string: not valid JSON.
                let mut l = br#"{"order_id": "ORD-CTRL", "customer": "Acme"#.to_vec();
                l.extend_from_slice(&[0x01, 0x07, 0x1b]);
                l.extend_from_slice(br#" Co"}"#);
                lines.push(l);
                bad.push((line, None));
            }
            15 => {
                let mut l = br#"{"order_id": "ORD-UTF8", "customer": "Caf"#.to_vec();
                l.extend_from_slice(&[0xff, 0xfe, 0xc3]);
                l.extend_from_slice(br#""}"#);
                lines.push(l);
                bad.push((line, None));
            }
            17 => {
                // Duplicate of record 0's key.
                lines.push(record_line(record, json!({"order_id": key(0)})));
                bad.push((line, Some(&["order_id", "key"])));
            }
            19 => {
                lines.push(record_line(record, json!({"order_id": null})));
                bad.push((line, Some(&["order_id", "key"])));
            }
            21 => {
                lines.push(record_line(record, json!({"ship_date": "yesterday"})));
                bad.push((line, Some(&["ship_date", "date_ship"])));
            }
            _ => {
                // Escaped control characters are valid JSON text and must arrive as given.
                let notes = if i == 1 {
                    json!("tab\there\u{1}bell")
                } else {
                    Value::Null
                };
                let patch = if notes.is_null() {
                    json!({})
                } else {
                    json!({ "notes": notes })
                };
                lines.push(record_line(record, patch));
                good.push(key(i));
            }
        }
    }
    let mut input = Vec::new();
    for l in &lines {
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    let path = dir.path().join("bad.ndjson");
    write_file(&path, &input);
    let reports = dir.path().join("reports");
    let out = sync(&serve, &example_config_path(), &path, &reports).await;
    assert_eq!(
        out.code,
        Some(1),
        "some records failed: exit 1\nstdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    check_failures(&reports, &bad, &out);
    assert_exactly_once(&serve.board_items().await, &good);
    println!(
        "bad ndjson: {} bad records of {} lines",
        bad.len(),
        lines.len()
    );
}

/// CSV with missing and extra columns, invalid dates and numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_csv_rows_are_reported_and_good_ones_synced() {
    let serve = Serve::start(&["--profile", "instant"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let header = "order_id,customer,po_number,style,quantity,unit_price,order_date,status";
    let mut rows = vec![header.to_string()];
    let mut good = Vec::new();
    let mut bad: Vec<(u64, Option<&[&str]>)> = Vec::new();
    for i in 0..20usize {
        let line = rows.len() as u64 + 1;
        let key = record_key(i as u64 + 1);
        let row = match i {
            2 => {
                bad.push((line, None));
                format!("{key},Acme,PO-1") // missing columns
            }
            4 => {
                bad.push((line, None));
                format!("{key},Acme,PO-2,Tee,5,1.50,2026-03-01,New,EXTRA,MORE") // extra columns
            }
            6 => {
                bad.push((line, Some(&["order_date", "date_order"])));
                format!("{key},Acme,PO-3,Tee,5,1.50,2026-02-30,New")
            }
            8 => {
                bad.push((line, Some(&["quantity", "numbers_qty"])));
                format!("{key},Acme,PO-4,Tee,five,1.50,2026-03-01,New")
            }
            10 => {
                bad.push((line, Some(&["unit_price", "numbers_price"])));
                format!("{key},Acme,PO-5,Tee,5,1.5.0,2026-03-01,New")
            }
            _ => {
                good.push(key.clone());
                format!("{key},\"Nordic, Knits\",PO-{i},\"Tee \"\"Slim\"\"\",{i},2.25,2026-03-0{},Shipped", 1 + i % 9)
            }
        };
        rows.push(row);
    }
    let path = dir.path().join("orders.csv");
    write_file(&path, (rows.join("\n") + "\n").as_bytes());
    let reports = dir.path().join("reports");
    let out = sync(&serve, &example_config_path(), &path, &reports).await;
    assert_eq!(
        out.code,
        Some(1),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    check_failures(&reports, &bad, &out);
    assert_exactly_once(&serve.board_items().await, &good);
}

fn config_variant(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(example_config_path()).expect("example config");
    assert!(text.contains(from), "example config has no {from:?}");
    let path = dir.join(name);
    write_file(&path, text.replacen(from, to, 1).as_bytes());
    path
}

/// Config errors stop before any write (at most the board read that checks columns), exit 2,
/// with a message naming the file, the key and what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_errors_stop_before_any_request_with_file_key_and_fix() {
    let serve = Serve::start(&["--profile", "instant"]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = e2e_tests::write_ndjson(dir.path(), "in.ndjson", &orders(5, 3, 0.0));
    struct Case {
        name: &'static str,
        from: &'static str,
        to: &'static str,
        token: bool,
        must_name: &'static [&'static str],
        max_requests: u64,
    }
    let cases = [
        Case {
            name: "unknown_column.toml",
            from: "column_id = \"text_style\"",
            to: "column_id = \"text_stlye\"",
            token: true,
            must_name: &["text_stlye"],
            max_requests: 1,
        },
        Case {
            name: "wrong_column_type.toml",
            from: "column_id = \"numbers_qty\"\ntype = \"numbers\"",
            to: "column_id = \"numbers_qty\"\ntype = \"date\"",
            token: true,
            must_name: &["numbers_qty"],
            max_requests: 1,
        },
        Case {
            name: "wrong_value_type.toml",
            from: "write_concurrency = 1",
            to: "write_concurrency = \"one\"",
            token: true,
            must_name: &["write_concurrency"],
            max_requests: 0,
        },
        Case {
            name: "unknown_key.toml",
            from: "write_concurrency = 1",
            to: "write_concurrensy = 1",
            token: true,
            must_name: &["write_concurrensy"],
            max_requests: 0,
        },
        Case {
            name: "missing_token.toml",
            from: "write_concurrency = 1",
            to: "write_concurrency = 1",
            token: false,
            must_name: &["MONDAY_API_TOKEN"],
            max_requests: 0,
        },
    ];
    for case in &cases {
        serve.reset().await;
        let config = config_variant(dir.path(), case.name, case.from, case.to);
        let reports = dir.path().join(format!("reports-{}", case.name));
        let config_s = config.display().to_string();
        let input_s = input.display().to_string();
        let reports_s = reports.display().to_string();
        let out = run_sync(
            &[
                "run",
                "--config",
                &config_s,
                "--input",
                &input_s,
                "--api-url",
                &serve.url,
                "--report-dir",
                &reports_s,
                "--state",
                &format!("{reports_s}/state.sqlite"),
            ],
            case.token.then_some(TOKEN),
            Duration::from_secs(60),
        )
        .await;
        let msg = format!("{}{}", out.stderr, out.stdout);
        assert!(!msg.contains("panicked"), "{}: panicked: {msg}", case.name);
        assert_eq!(out.code, Some(2), "{}: exit code; output: {msg}", case.name);
        assert!(
            msg.contains(case.name),
            "{}: the message does not name the file: {msg}",
            case.name
        );
        for needle in case.must_name {
            assert!(
                msg.contains(needle),
                "{}: the message does not name {needle:?}: {msg}",
                case.name
            );
        }
        assert!(
            !msg.contains(TOKEN),
            "{}: the token leaked: {msg}",
            case.name
        );
        let stats = serve.stats().await;
        let requests = stats["requests_total"].as_u64().expect("requests_total");
        assert!(
            requests <= case.max_requests,
            "{}: {requests} requests sent before stopping (max {})",
            case.name,
            case.max_requests
        );
        assert_eq!(
            stats["items_created_total"].as_u64(),
            Some(0),
            "{}: items created despite a config error",
            case.name
        );
    }
    println!("config errors: {} cases", cases.len());
}
