//! The bulk import path over real HTTP: `monday-sync run` with its default settings
//! (`mode = "auto"`) against `mock-monday serve` sends a large customer as `ingest_items` jobs,
//! exactly once; a rerun creates nothing; changed records are updated. Then SIGKILL at the
//! job's stages (before the upload, after it, while the job processes, after it completed but
//! before the state store learned the items) and a rerun: exactly one item per record each time.
//! The uploads never carry the token (the server records whether an `Authorization` header came).

use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e_tests::{
    assert_exactly_once, example_config_path, orders, record_key, run_sync, sync_command,
    write_ndjson, Serve,
};
use serde_json::{Map, Value};

const TOKEN: &str = "bulk-e2e-token";

/// `n` records of one customer; every record can go as a CSV row (each phone is an
/// international number of its record's country, which the number carries itself).
fn one_customer(n: usize, seed: u64) -> Vec<Map<String, Value>> {
    orders(n, seed, 0.0)
        .into_iter()
        .map(|mut r| {
            r.insert("customer".into(), Value::from("Acme Apparel"));
            r
        })
        .collect()
}

struct Fixture {
    dir: tempfile::TempDir,
    input: PathBuf,
    state: PathBuf,
    config: PathBuf,
}

/// The example config with its `mode = "batch"` line removed: the code's defaults (`auto`).
fn default_mode_config(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(example_config_path()).expect("example config");
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("mode ="))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.join("order_list.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

impl Fixture {
    fn new(records: &[Map<String, Value>]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = write_ndjson(dir.path(), "orders.ndjson", records);
        Fixture {
            input,
            config: default_mode_config(dir.path()),
            state: dir.path().join("state.sqlite"),
            dir,
        }
    }

    fn args(&self, url: &str, reports: &str) -> Vec<String> {
        [
            "run",
            "--config",
            &self.config.display().to_string(),
            "--input",
            &self.input.display().to_string(),
            "--state",
            &self.state.display().to_string(),
            "--api-url",
            url,
            "--report-dir",
            &self.dir.path().join(reports).display().to_string(),
        ]
        .map(str::to_string)
        .to_vec()
    }
}

async fn run_to_end(f: &Fixture, url: &str, reports: &str) -> Value {
    let a = f.args(url, reports);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = run_sync(&a, Some(TOKEN), Duration::from_secs(240)).await;
    assert_eq!(
        out.code,
        Some(0),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    let summary = std::fs::read_to_string(f.dir.path().join(reports).join("summary.json"))
        .expect("summary.json");
    serde_json::from_str(&summary).expect("summary JSON")
}

async fn jobs(serve: &Serve) -> Vec<Value> {
    serve
        .admin("/__admin/jobs")
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn no_token_on_uploads(serve: &Serve) {
    for j in jobs(serve).await {
        assert_ne!(
            j["upload_authorization_present"],
            Value::Bool(true),
            "an upload carried an Authorization header: {j}"
        );
    }
}

fn keys(n: usize) -> Vec<String> {
    (1..=n as u64).map(record_key).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_settings_send_a_large_customer_through_jobs_exactly_once() {
    const N: usize = 2_000;
    let serve = Serve::start(&["--profile", "instant", "--seed", "3"]).await;
    let records = one_customer(N, 21);
    let f = Fixture::new(&records);
    let s = run_to_end(&f, &serve.url, "r1").await;
    assert_eq!(s["created"], N as u64, "{s}");
    assert_eq!(s["plan"][0]["path"], "ingest", "{}", s["plan"]);
    assert_eq!(
        s["ingest"]["jobs_by_state"]["COMPLETED"], 1,
        "{}",
        s["ingest"]
    );
    assert_eq!(s["per_customer"]["Acme Apparel"]["path"], "ingest");
    assert_exactly_once(&serve.board_items().await, &keys(N));
    no_token_on_uploads(&serve).await;

    let s = run_to_end(&f, &serve.url, "r2").await;
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(N as u64))
    );
    assert_eq!(jobs(&serve).await.len(), 1, "the rerun started no job");

    let mut changed = records.clone();
    for r in changed.iter_mut().take(300) {
        r.insert("quantity".into(), Value::from(4242));
    }
    write_ndjson(f.dir.path(), "orders.ndjson", &changed);
    let s = run_to_end(&f, &serve.url, "r3").await;
    assert_eq!(
        (s["created"].as_u64(), s["updated"].as_u64()),
        (Some(0), Some(300)),
        "{s}"
    );
    let items = serve.board_items().await;
    assert_exactly_once(&items, &keys(N));
    let updated = items
        .iter()
        .filter(|i| e2e_tests::column_text(i, "numbers_qty").as_deref() == Some("4242"))
        .count();
    assert_eq!(updated, 300);
    no_token_on_uploads(&serve).await;
}

/// Where a bulk run is killed.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// A job exists on the server, no upload yet.
    BeforeUpload,
    /// The server has the file.
    AfterUpload,
    /// The job is writing rows.
    Processing,
    /// The job completed and the sync is looking its items up (the state store does not know them yet).
    AfterCompletion,
}

async fn reached(serve: &Serve, stage: Stage) -> bool {
    let jobs = jobs(serve).await;
    let last = jobs.last();
    let status = |k: &str| last.map(|j| j["status"][k].clone()).unwrap_or(Value::Null);
    match stage {
        Stage::BeforeUpload => last.is_some(),
        Stage::AfterUpload => last.is_some_and(|j| j["uploaded_at_ms"].is_u64()),
        Stage::Processing => {
            status("status") == "PROCESSING"
                && status("progress_percentage")
                    .as_u64()
                    .is_some_and(|p| p > 0)
        }
        Stage::AfterCompletion => {
            status("status") == "COMPLETED" && reconcile_requests(serve).await > 0
        }
    }
}

/// Look-ups by key the server answered after the job's upload (the sync's item-id look-up after
/// a job). The server names a request's kind by its root fields: a look-up's first page is a
/// `boards { items_page(query_params) }` read (`board_read`), further pages `next_items_page`
/// (`reconcile`). After the upload the sync only polls the job until it sees it end.
async fn reconcile_requests(serve: &Serve) -> usize {
    let text = e2e_tests::http()
        .get(format!("{}/__admin/requests?since=0", serve.base))
        .send()
        .await
        .expect("request log")
        .text()
        .await
        .expect("request log body");
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("request log line"))
        .collect();
    let after_upload = entries
        .iter()
        .rposition(|e| e["kind"] == "upload")
        .map_or(entries.len(), |i| i + 1);
    entries[after_upload..]
        .iter()
        .filter(|e| {
            e["kind"] == "reconcile"
                || e["root_fields"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|n| n == "boards"))
        })
        .count()
}

async fn kill_at(f: &Fixture, serve: &Serve, stage: Stage) {
    let a = f.args(&serve.url, "killed");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut child = sync_command(&a, Some(TOKEN)).spawn().expect("spawn sync");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the sync exited ({status:?}) before {stage:?}");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{stage:?} never reached"
        );
        if reached(serve, stage).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("wait killed");
    assert_eq!(status.code(), None, "killed by a signal at {stage:?}");
}

fn state_exists(p: &Path) -> bool {
    p.exists()
}

/// One stage: a server of its own, the sync killed there, then a rerun to the end.
async fn kill_then_rerun(i: u64, stage: Stage) {
    const N: usize = 800;
    // Realistic job timing (2 s start delay, 250 rows/s) on a clock 4x faster than wall time;
    // durations the server reports are wall seconds.
    let serve = Serve::start(&[
        "--profile",
        "realistic",
        "--time-scale",
        "0.25",
        "--report-durations",
        "wall",
        "--seed",
        "5",
    ])
    .await;
    let f = Fixture::new(&one_customer(N, 40 + i));
    kill_at(&f, &serve, stage).await;
    assert!(state_exists(&f.state), "{stage:?}: the state store exists");
    let s = run_to_end(&f, &serve.url, "rerun").await;
    assert_eq!(s["failed"], 0, "{stage:?}: {s}");
    assert_exactly_once(&serve.board_items().await, &keys(N));
    println!(
        "{stage:?}: rerun created {} updated {} unchanged {}",
        s["created"], s["updated"], s["unchanged"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_each_job_stage_then_rerun_gives_exactly_one_item_per_record() {
    // The four stages run side by side, each against its own server: a job's polls wait 10 s of
    // wall clock (the documented pace), so one after the other they cost CI about 40 s.
    tokio::join!(
        kill_then_rerun(0, Stage::BeforeUpload),
        kill_then_rerun(1, Stage::AfterUpload),
        kill_then_rerun(2, Stage::Processing),
        kill_then_rerun(3, Stage::AfterCompletion),
    );
}
