//! The `monday-sync` binary's exit codes (docs/architecture.md): 0 all records synced, 1 some records failed,
//! 2 bad config or input (or a missing token variable), 3 fatal API condition — against a
//! `mock_monday::MockMonday` server over real HTTP (instant latency profile).

use std::path::{Path, PathBuf};
use std::process::Output;

use mock_monday::{LatencyProfile, MockMonday};
use serde_json::json;

const TOKEN: &str = "cli-test-token-0123456789";
const TOKEN_ENV: &str = "MONDAY_SYNC_CLI_TEST_TOKEN";

fn example_config_text(board: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/order_list.toml"
    ))
    .expect("example config");
    text.replace(
        "token_env = \"MONDAY_API_TOKEN\"",
        &format!("token_env = \"{TOKEN_ENV}\""),
    )
    .replace("id = \"1234567890\"", &format!("id = \"{board}\""))
}

fn record(i: usize) -> serde_json::Value {
    json!({"order_id": format!("ORD-{i:06}"), "customer": "Acme Apparel", "po_number": format!("PO-{i}"),
           "style": "Tee", "colour": "Navy", "sizes": "S,M", "quantity": 10 + i, "unit_price": "4.75",
           "status": "New", "order_date": "2026-03-14"})
}

fn write_input(dir: &Path, name: &str, lines: &[serde_json::Value]) -> PathBuf {
    let p = dir.join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

struct Case<'a> {
    dir: &'a Path,
    config: &'a Path,
    input: &'a Path,
    api_url: &'a str,
    token: Option<&'a str>,
}

async fn run_cli(c: Case<'_>, state: &str) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_monday-sync"));
    cmd.arg("run")
        .arg("--config")
        .arg(c.config)
        .arg("--input")
        .arg(c.input)
        .arg("--api-url")
        .arg(c.api_url)
        .arg("--state")
        .arg(c.dir.join(state))
        .arg("--report-dir")
        .arg(c.dir.join(format!("reports-{state}")))
        .arg("--request-log")
        .arg(c.dir.join(format!("requests-{state}.ndjson")))
        .env("RUST_LOG", "warn")
        .env_remove(TOKEN_ENV);
    if let Some(t) = c.token {
        cmd.env(TOKEN_ENV, t);
    }
    cmd.output().await.expect("spawn monday-sync")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn explain(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_follow_the_design() {
    let server = MockMonday::new()
        .profile(LatencyProfile::Instant)
        .token(TOKEN)
        .start()
        .await
        .expect("mock server");
    let api = server.uri();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("config.toml");
    std::fs::write(&config, example_config_text("1234567890")).unwrap();
    let good = write_input(d, "good.ndjson", &(0..30).map(record).collect::<Vec<_>>());
    let mut mixed: Vec<_> = (100..110).map(record).collect();
    mixed[4]["order_date"] = json!("2026-02-30");
    let mixed = write_input(d, "mixed.ndjson", &mixed);

    // 0: every record synced.
    let o = run_cli(
        Case {
            dir: d,
            config: &config,
            input: &good,
            api_url: &api,
            token: Some(TOKEN),
        },
        "s0.db",
    )
    .await;
    assert_eq!(code(&o), 0, "{}", explain(&o));
    assert_eq!(server.stats().items_created_total, 30);
    // The request log has one line per request; summary.txt carries summary.json's figures.
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("reports-s0.db").join("summary.json")).unwrap(),
    )
    .unwrap();
    let log = std::fs::read_to_string(d.join("requests-s0.db.ndjson")).unwrap();
    assert_eq!(
        log.lines().count() as u64,
        summary["requests"].as_u64().unwrap()
    );
    assert!(log.lines().all(|l| l.contains("\"kind\"")));
    let txt = std::fs::read_to_string(d.join("reports-s0.db").join("summary.txt")).unwrap();
    let wall = summary["wall_ms"].as_f64().unwrap();
    assert!(wall > 0.0);
    assert!(txt.contains(&format!("{wall:.1}")), "{txt}");
    assert!(
        txt.contains(&format!(
            "{:.3}",
            summary["per_record_ms"].as_f64().unwrap()
        )),
        "{txt}"
    );

    // 1: one record fails (bad date), the rest are synced; the failure is named.
    let o = run_cli(
        Case {
            dir: d,
            config: &config,
            input: &mixed,
            api_url: &api,
            token: Some(TOKEN),
        },
        "s1.db",
    )
    .await;
    assert_eq!(code(&o), 1, "{}", explain(&o));
    let failures = std::fs::read_to_string(d.join("reports-s1.db").join("failures.csv")).unwrap();
    assert!(
        failures.contains("ORD-000104") && failures.contains("order_date"),
        "{failures}"
    );
    assert_eq!(server.stats().items_created_total, 39);

    // 2: bad config (unknown key), missing input file, missing token variable.
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        format!("{}\nbatch_sise = 3\n", example_config_text("1234567890")),
    )
    .unwrap();
    let o = run_cli(
        Case {
            dir: d,
            config: &bad,
            input: &good,
            api_url: &api,
            token: Some(TOKEN),
        },
        "s2.db",
    )
    .await;
    assert_eq!(code(&o), 2, "{}", explain(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("batch_sise"),
        "{}",
        explain(&o)
    );
    let o = run_cli(
        Case {
            dir: d,
            config: &config,
            input: &d.join("nope.ndjson"),
            api_url: &api,
            token: Some(TOKEN),
        },
        "s2b.db",
    )
    .await;
    assert_eq!(code(&o), 2, "{}", explain(&o));
    let o = run_cli(
        Case {
            dir: d,
            config: &config,
            input: &good,
            api_url: &api,
            token: None,
        },
        "s2c.db",
    )
    .await;
    assert_eq!(code(&o), 2, "{}", explain(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(TOKEN_ENV),
        "{}",
        explain(&o)
    );

    // 3: fatal API conditions: the token is refused; the board does not exist.
    let o = run_cli(
        Case {
            dir: d,
            config: &config,
            input: &good,
            api_url: &api,
            token: Some("wrong-token"),
        },
        "s3.db",
    )
    .await;
    assert_eq!(code(&o), 3, "{}", explain(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("wrong-token"),
        "token leaked"
    );
    let missing_board = d.join("missing_board.toml");
    std::fs::write(&missing_board, example_config_text("999999999")).unwrap();
    let o = run_cli(
        Case {
            dir: d,
            config: &missing_board,
            input: &good,
            api_url: &api,
            token: Some(TOKEN),
        },
        "s3b.db",
    )
    .await;
    assert_eq!(code(&o), 3, "{}", explain(&o));
    assert_eq!(
        server.stats().items_created_total,
        39,
        "nothing created by failed runs"
    );
}

/// A board that fills up: the records that fit are synced, every other one is reported, exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_board_exits_1_and_names_every_record_not_placed() {
    let mut sim = mock_monday::SimConfig {
        profile: LatencyProfile::Instant,
        token: Some(TOKEN.into()),
        ..Default::default()
    };
    sim.limits.items_limit_per_board = 12;
    let server = MockMonday::new()
        .config(sim)
        .start()
        .await
        .expect("mock server");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("config.toml");
    std::fs::write(&config, example_config_text("1234567890")).unwrap();
    let input = write_input(d, "orders.ndjson", &(0..30).map(record).collect::<Vec<_>>());
    let o = run_cli(
        Case {
            dir: d,
            config: &config,
            input: &input,
            api_url: &server.uri(),
            token: Some(TOKEN),
        },
        "full.db",
    )
    .await;
    assert_eq!(code(&o), 1, "{}", explain(&o));
    assert_eq!(server.stats().items_created_total, 12);
    let failures = std::fs::read_to_string(d.join("reports-full.db").join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 1 + 18, "{failures}");
    assert!(failures.contains("ItemsLimitationException"), "{failures}");
}

/// A directory, a missing file and a file whose first record does not parse are exit 2, named
/// with the path and the reason, before any request: the simulator sees nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_exit_2_before_any_request() {
    let server = MockMonday::new()
        .profile(LatencyProfile::Instant)
        .token(TOKEN)
        .start()
        .await
        .expect("mock server");
    let api = server.uri();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("config.toml");
    std::fs::write(&config, example_config_text("1234567890")).unwrap();
    let folder = d.join("orders-folder");
    std::fs::create_dir(&folder).unwrap();
    let csv_named_ndjson = d.join("orders.ndjson");
    std::fs::write(&csv_named_ndjson, "order_id,customer\nORD-1,Acme\n").unwrap();
    let cases = [
        (folder, "is a directory"),
        (d.join("missing.ndjson"), "no such file"),
        (csv_named_ndjson, "does not parse as NDJSON"),
    ];
    for (i, (input, reason)) in cases.iter().enumerate() {
        let o = run_cli(
            Case {
                dir: d,
                config: &config,
                input,
                api_url: &api,
                token: Some(TOKEN),
            },
            &format!("bad-input-{i}.db"),
        )
        .await;
        assert_eq!(code(&o), 2, "{}", explain(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains(&input.display().to_string()) && stderr.contains(reason),
            "{}",
            explain(&o)
        );
    }
    assert_eq!(
        server.stats().requests_total,
        0,
        "a request reached the API before the input was checked"
    );
}
