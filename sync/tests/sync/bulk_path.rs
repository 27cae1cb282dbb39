//! The bulk import path (`mode = "auto"`, the default, and `"ingest"`) against the in-process
//! simulator, in virtual time: jobs chosen, exactly once, reruns, failures named by line.

use crate::support;

use std::sync::Arc;

use mock_monday::{LatencyProfile, SimConfig};
use monday_sync::config::{Mode, SyncConfig};
use monday_sync::engine::{run, RequestKind, RunParams};
use monday_sync::input::InputSource;
use monday_sync::report::RunSummary;
use monday_sync::state::StateSpec;
use serde_json::{Map, Value};
use support::*;

fn sim_config(profile: LatencyProfile) -> SimConfig {
    SimConfig {
        profile,
        seed: 7,
        ..SimConfig::default()
    }
}

/// The example config (its phones, `+1 415...` numbers of US records, carry their country
/// in the number, so a CSV row can take them).
fn bulk_config(mode: Mode) -> SyncConfig {
    let mut cfg = example_config();
    cfg.sync.mode = mode;
    cfg
}

async fn sync_with(
    t: Arc<SimTransport>,
    cfg: SyncConfig,
    recs: Vec<Map<String, Value>>,
    state: StateSpec,
    counter: Arc<Counter>,
) -> RunSummary {
    run(RunParams {
        state,
        observer: Some(counter),
        ..params(cfg, InputSource::Records(recs), t)
    })
    .await
    .expect("run")
}

fn one_customer(n: usize) -> Vec<Map<String, Value>> {
    (0..n)
        .map(|i| {
            let mut r = record(i);
            r.insert("customer".into(), Value::from("Acme Apparel"));
            r
        })
        .collect()
}

fn assert_one_item_per_record(sim: &mock_monday::Simulator, n: usize) {
    let items = board_items_by_key(sim);
    assert_eq!(items.len(), n, "distinct keys on the board");
    let dupes: Vec<_> = items.iter().filter(|(_, v)| v.len() != 1).collect();
    assert!(dupes.is_empty(), "duplicates: {}", dupes.len());
}

#[tokio::test(start_paused = true)]
async fn auto_sends_a_large_group_as_one_job_exactly_once() {
    let (sim, t) = sim(sim_config(LatencyProfile::Instant));
    let counter = Arc::new(Counter::default());
    let dir = tempfile::tempdir().unwrap();
    let state = StateSpec::Path(dir.path().join("state.db"));
    let cfg = bulk_config(Mode::Auto);
    let s = sync_with(
        t.clone(),
        cfg.clone(),
        one_customer(600),
        state.clone(),
        counter.clone(),
    )
    .await;
    assert_eq!((s.created, s.failed), (600, 0), "{:?}", s.failures);
    assert_eq!(counter.count(RequestKind::IngestStart), 1);
    assert_eq!(counter.count(RequestKind::Upload), 1);
    assert_eq!(counter.count(RequestKind::Create), 0);
    assert!(counter.count(RequestKind::JobPoll) >= 1);
    assert_eq!(s.plan.len(), 1);
    assert_eq!(s.plan[0].path, "ingest", "{:?}", s.plan);
    let ingest = s.ingest.clone().expect("ingest figures");
    assert_eq!(ingest.jobs_by_state.get("COMPLETED"), Some(&1));
    assert_eq!(ingest.rows_by_outcome.get("created"), Some(&600));
    assert!(ingest.bytes_uploaded > 0);
    assert_eq!(s.per_customer["Acme Apparel"].path, "ingest");
    assert_one_item_per_record(&sim, 600);

    // Rerun: nothing new, nothing sent.
    let again = Arc::new(Counter::default());
    let s2 = sync_with(
        t.clone(),
        cfg.clone(),
        one_customer(600),
        state.clone(),
        again.clone(),
    )
    .await;
    assert_eq!((s2.created, s2.updated, s2.unchanged), (0, 0, 600));
    assert_eq!(again.count(RequestKind::IngestStart), 0);

    // Changed records are updated (through a job), never duplicated.
    let mut changed = one_customer(600);
    for r in changed.iter_mut().take(150) {
        r.insert("quantity".into(), Value::from(999));
    }
    let third = Arc::new(Counter::default());
    let s3 = sync_with(t, cfg, changed, state, third.clone()).await;
    assert_eq!(
        (s3.created, s3.updated, s3.unchanged),
        (0, 150, 450),
        "{:?}",
        s3.failures
    );
    assert_one_item_per_record(&sim, 600);
    let items = board_items_by_key(&sim);
    let q = &items["ORD-000003"][0]["column_values"]["numbers_qty"]["text"];
    assert_eq!(q, "999", "{q}");
}

#[tokio::test(start_paused = true)]
async fn batch_mode_sends_no_job() {
    let (sim, t) = sim(sim_config(LatencyProfile::Instant));
    let counter = Arc::new(Counter::default());
    let s = sync_with(
        t,
        bulk_config(Mode::Batch),
        one_customer(300),
        StateSpec::InMemory,
        counter.clone(),
    )
    .await;
    assert_eq!(s.created, 300);
    assert_eq!(counter.count(RequestKind::IngestStart), 0);
    assert!(counter.count(RequestKind::Create) > 0);
    assert!(s.ingest.is_none());
    assert_one_item_per_record(&sim, 300);
}

async fn timed(
    profile_cfg: SimConfig,
    mode: Mode,
    n: usize,
) -> (RunSummary, Arc<mock_monday::Simulator>) {
    let (sim, t) = sim(profile_cfg);
    let s = sync_with(
        t,
        bulk_config(mode),
        one_customer(n),
        StateSpec::InMemory,
        Arc::new(Counter::default()),
    )
    .await;
    (s, sim)
}

/// 5,000 records, default settings, realistic profile: the bulk path is chosen and the run
/// takes at least 3x less (virtual) time than `mode = "batch"`.
#[tokio::test(start_paused = true)]
async fn five_thousand_records_go_as_a_job_three_times_faster_than_batches() {
    let (auto, sim_a) = timed(sim_config(LatencyProfile::Realistic), Mode::Auto, 5_000).await;
    let (batch, sim_b) = timed(sim_config(LatencyProfile::Realistic), Mode::Batch, 5_000).await;
    eprintln!(
        "5,000 records, realistic: auto {:.1} s, batch {:.1} s (virtual)",
        auto.wall_ms / 1e3,
        batch.wall_ms / 1e3
    );
    assert_eq!(
        (auto.created, auto.failed),
        (5_000, 0),
        "{:?}",
        auto.failures
    );
    assert_eq!((batch.created, batch.failed), (5_000, 0));
    assert_eq!(auto.plan[0].path, "ingest");
    assert_one_item_per_record(&sim_a, 5_000);
    assert_one_item_per_record(&sim_b, 5_000);
    assert!(
        auto.wall_ms * 3.0 <= batch.wall_ms,
        "auto {} ms vs batch {} ms",
        auto.wall_ms,
        batch.wall_ms
    );
}

/// The account processes 10x slower than the estimate: auto is no slower than batches by
/// more than 5%.
#[tokio::test(start_paused = true)]
async fn a_slow_account_is_no_slower_than_batches() {
    let mut slow = sim_config(LatencyProfile::Realistic);
    slow.bulk.timing = Some(mock_monday::jobs::JobTiming {
        job_start_delay_ms: 2_000.0,
        job_rows_per_second: 25.0,
    });
    let (auto, _) = timed(slow.clone(), Mode::Auto, 5_000).await;
    let (batch, _) = timed(slow, Mode::Batch, 5_000).await;
    eprintln!(
        "5,000 records, 25 rows/s: auto {:.1} s, batch {:.1} s (virtual)",
        auto.wall_ms / 1e3,
        batch.wall_ms / 1e3
    );
    assert_eq!((auto.created, auto.failed), (5_000, 0));
    assert!(
        auto.wall_ms <= batch.wall_ms * 1.05,
        "auto {} vs batch {}",
        auto.wall_ms,
        batch.wall_ms
    );
}

/// Records needing labels the board lacks: with `create_labels_if_missing = true` the labels
/// are added before the job, one request per column, and every record goes through the job
/// (the items carry the labels, each label exists once); with `false` they fail, each named,
/// and the rest go as a job.
#[tokio::test(start_paused = true)]
async fn missing_labels_are_added_before_the_job_when_allowed_and_fail_named_when_not() {
    for allowed in [true, false] {
        let (sim, t) = sim(sim_config(LatencyProfile::Instant));
        let mut cfg = bulk_config(Mode::Auto);
        for c in &mut cfg.columns {
            if c.column_id == "dropdown_sizes" {
                c.create_labels_if_missing = allowed;
            }
        }
        let mut recs = one_customer(400);
        for i in [5usize, 17, 230] {
            recs[i].insert("sizes".into(), Value::from("S,XXL"));
        }
        recs[40].insert("sizes".into(), Value::from("3XL"));
        let counter = Arc::new(Counter::default());
        let s = sync_with(t, cfg, recs, StateSpec::InMemory, counter.clone()).await;
        assert_eq!(
            counter.count(RequestKind::IngestStart),
            1,
            "allowed={allowed}"
        );
        let ingest = s.ingest.clone().expect("a job ran");
        if allowed {
            assert_eq!((s.created, s.failed), (400, 0), "{:?}", s.failures);
            assert_eq!(ingest.rows_by_outcome.get("created"), Some(&400));
            assert_eq!(counter.count(RequestKind::Labels), 1, "one per column");
            assert_eq!(counter.count(RequestKind::Create), 0, "no batch");
            assert_eq!(sim.stats().requests_by_kind.get("labels"), Some(&1));
            assert_eq!(
                ingest.labels_added.get("dropdown_sizes"),
                Some(&vec!["3XL".to_string(), "XXL".to_string()])
            );
            let items = board_items_by_key(&sim);
            let sizes = |k: &str| {
                items[k][0]["column_values"]["dropdown_sizes"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            assert_eq!(sizes("ORD-000005"), "S, XXL");
            assert_eq!(sizes("ORD-000040"), "3XL");
            let labels = column_labels(&sim, "dropdown_sizes");
            assert_eq!(
                labels.iter().filter(|l| *l == "XXL").count(),
                1,
                "{labels:?}"
            );
            assert_one_item_per_record(&sim, 400);
        } else {
            assert_eq!(ingest.rows_by_outcome.get("created"), Some(&396));
            assert_eq!((s.created, s.failed), (396, 4));
            let lines: Vec<u64> = s.failures.iter().map(|f| f.line).collect();
            assert_eq!(lines, [6, 18, 41, 231], "{:?}", s.failures);
            assert!(s
                .failures
                .iter()
                .all(|f| f.field == "sizes" && f.reason.contains("XL'")));
            assert_eq!(counter.count(RequestKind::Create), 0);
            assert_eq!(counter.count(RequestKind::Labels), 0);
        }
    }
}

/// The labels of `col` as the simulator's board has them.
fn column_labels(sim: &mock_monday::Simulator, col: &str) -> Vec<String> {
    let v = ask(
        sim,
        &format!("{{ boards(ids: {BOARD}) {{ columns(ids: [\"{col}\"]) {{ settings }} }} }}"),
    );
    v["data"]["boards"][0]["columns"][0]["settings"]["labels"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|l| l["name"].as_str().map(str::to_string))
        .collect()
}

fn ask(sim: &mock_monday::Simulator, query: &str) -> Value {
    let r = sim.handle(mock_monday::CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            ("authorization".to_string(), TOKEN.to_string()),
            ("api-version".to_string(), "2026-10".to_string()),
            ("content-type".to_string(), "application/json".to_string()),
        ],
        body: serde_json::json!({ "query": query }).to_string().into(),
        client_ip: None,
    });
    serde_json::from_slice(&r.body).expect("JSON")
}

/// Another writer changes the column between the sync's read and its label update: the
/// update is refused as stale, the sync reads the column again and sends it once more with
/// the new revision; the other writer's label stays, ours exists once.
struct ChangesTheColumnFirst {
    inner: Arc<SimTransport>,
    done: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl monday_sync::transport::Transport for ChangesTheColumnFirst {
    async fn send(
        &self,
        r: monday_sync::transport::ApiRequest,
    ) -> Result<monday_sync::transport::ApiResponse, monday_sync::transport::TransportError> {
        let is_update =
            std::str::from_utf8(&r.body).is_ok_and(|b| b.contains("update_dropdown_column"));
        if is_update && !self.done.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let col = &ask(&self.inner.sim, &format!("{{ boards(ids: {BOARD}) {{ columns(ids: [\"dropdown_sizes\"]) {{ revision }} }} }}"))["data"]["boards"][0]["columns"][0];
            let rev = col["revision"].as_str().unwrap_or_default().to_string();
            let v = ask(&self.inner.sim, &format!("mutation {{ update_dropdown_column(board_id: {BOARD}, id: \"dropdown_sizes\", revision: \"{rev}\", settings: {{labels: [{{label: \"Olive\"}}]}}) {{ revision }} }}"));
            assert!(
                v["data"]["update_dropdown_column"]["revision"].is_string(),
                "{v}"
            );
        }
        self.inner.send(r).await
    }

    async fn send_url(
        &self,
        r: monday_sync::transport::UrlRequest,
    ) -> Result<monday_sync::transport::ApiResponse, monday_sync::transport::TransportError> {
        self.inner.send_url(r).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_stale_revision_is_read_again_and_the_labels_added_once() {
    let (sim, t) = sim(sim_config(LatencyProfile::Instant));
    let mut recs = one_customer(300);
    for i in [3usize, 150] {
        recs[i].insert("sizes".into(), Value::from("XXL"));
    }
    let counter = Arc::new(Counter::default());
    let transport = Arc::new(ChangesTheColumnFirst {
        inner: t,
        done: Default::default(),
    });
    let s = run(RunParams {
        state: StateSpec::InMemory,
        observer: Some(counter.clone()),
        ..params(
            bulk_config(Mode::Auto),
            InputSource::Records(recs),
            transport,
        )
    })
    .await
    .expect("run");
    assert_eq!((s.created, s.failed), (300, 0), "{:?}", s.failures);
    assert_eq!(
        counter.count(RequestKind::Labels),
        2,
        "the stale one and its resend"
    );
    assert_eq!(counter.count(RequestKind::Create), 0);
    let labels = column_labels(&sim, "dropdown_sizes");
    assert_eq!(
        labels.iter().filter(|l| *l == "XXL").count(),
        1,
        "{labels:?}"
    );
    assert!(labels.contains(&"Olive".to_string()), "{labels:?}");
    let items = board_items_by_key(&sim);
    assert_eq!(
        items["ORD-000150"][0]["column_values"]["dropdown_sizes"]["text"],
        "XXL"
    );
    assert_one_item_per_record(&sim, 300);
}

/// A transport that corrupts one date of the uploaded CSV (as if the import rejected a value
/// the sync thought valid), to show how the job's report is mapped back to the record.
struct BadDateOnUpload {
    inner: Arc<SimTransport>,
    /// The data row (0-based) whose first `,2026-` date becomes `,2026-13-`.
    row: usize,
}

#[async_trait::async_trait]
impl monday_sync::transport::Transport for BadDateOnUpload {
    async fn send(
        &self,
        r: monday_sync::transport::ApiRequest,
    ) -> Result<monday_sync::transport::ApiResponse, monday_sync::transport::TransportError> {
        self.inner.send(r).await
    }

    async fn send_url(
        &self,
        mut r: monday_sync::transport::UrlRequest,
    ) -> Result<monday_sync::transport::ApiResponse, monday_sync::transport::TransportError> {
        if r.method == monday_sync::transport::UrlMethod::Put {
            // Rows start with their item name `PO-…` (records' notes span two lines).
            let text = String::from_utf8_lossy(&r.body).into_owned();
            let mut rows: Vec<String> = text.split("\nPO-").map(str::to_string).collect();
            rows[self.row + 1] = rows[self.row + 1].replacen(",2026-", ",2026-13-", 1);
            r.body = bytes::Bytes::from(rows.join("\nPO-"));
        }
        self.inner.send_url(r).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_row_the_job_reports_is_named_by_source_line_key_and_field() {
    let (sim, inner) = sim(sim_config(LatencyProfile::Instant));
    // Data row 9 = source record 9 (line 10 of the input); each row spans two physical lines
    // (the notes hold a line break), so it starts on line 2 + 2 * 9 = 20.
    let t = Arc::new(BadDateOnUpload { inner, row: 9 });
    let counter = Arc::new(Counter::default());
    let s = run(RunParams {
        observer: Some(counter.clone()),
        ..params(
            bulk_config(Mode::Auto),
            InputSource::Records(one_customer(300)),
            t,
        )
    })
    .await
    .expect("run");
    assert_eq!((s.created, s.failed), (299, 1), "{:?}", s.failures);
    let f = &s.failures[0];
    assert_eq!(f.line, 10);
    assert_eq!(f.key.as_deref(), Some("ORD-000009"));
    assert_eq!(f.field, "order_date");
    assert!(f.reason.contains("bulk import line 20"), "{}", f.reason);
    assert!(f.reason.contains("YYYY-MM-DD"), "{}", f.reason);
    assert_eq!(counter.count(RequestKind::ReportDownload), 1);
    assert_eq!(board_items_by_key(&sim).len(), 299);
}

/// A large customer as a job and a small one as batches, at once: the batch writes meet the
/// board lock (423 with `Retry-After` = until the job ends) and wait it out; nothing fails.
#[tokio::test(start_paused = true)]
async fn batches_beside_a_job_wait_out_the_board_lock() {
    let (sim, t) = sim(sim_config(LatencyProfile::Realistic));
    let mut recs = one_customer(3_000);
    // 600 records a CSV row cannot carry (a US phone number given with country CA: the
    // number does not carry that country): they go as batches, more than one minute's budget,
    // so some are still waiting for the budget while the other group's job holds the board.
    for (i, r) in recs.iter_mut().enumerate().take(600) {
        r.insert("customer".into(), Value::from("Small Shop"));
        r.insert("order_id".into(), Value::from(format!("SMALL-{i}")));
        r.insert("contact_country".into(), Value::from("CA"));
    }
    let counter = Arc::new(Counter::default());
    let s = sync_with(
        t,
        bulk_config(Mode::Auto),
        recs,
        StateSpec::InMemory,
        counter.clone(),
    )
    .await;
    assert_eq!((s.created, s.failed), (3_000, 0), "{:?}", s.failures);
    let paths: Vec<(&str, &str)> = s
        .plan
        .iter()
        .map(|g| (g.group.as_str(), g.path.as_str()))
        .collect();
    assert!(paths.contains(&("Acme Apparel", "ingest")), "{paths:?}");
    assert!(!paths.contains(&("Small Shop", "ingest")), "{paths:?}");
    assert!(s.locked >= 1, "a batch met the job's board lock");
    assert!(
        s.locked < 20,
        "waited out with Retry-After, not spun: {} 423s",
        s.locked
    );
    assert_eq!(board_items_by_key(&sim).len(), 3_000);
}

/// A group's job starts at once, not after the records a CSV cannot carry: those wait for the
/// plan like the rest (they used to be queued as batches while the input was read, and the
/// bounded batch queue held the reading, so the plan and its job came only after minutes of
/// budget windows). And the start of a job takes the board's write turn: sent beside a batch in
/// flight, `ingest_items` (which names the board) is answered 423 and retried.
#[tokio::test(start_paused = true)]
async fn the_job_starts_before_the_batch_only_records_are_sent_and_never_meets_a_batch() {
    let (sim, t) = sim(sim_config(LatencyProfile::Realistic));
    // Two customers of 1,500 CSV rows each (a job each, one after the other) and 1,000 records
    // a CSV row cannot carry (a US number given with country CA): 3 windows of the complexity
    // budget as `create_item` batches, in flight while the second job starts.
    let mut recs = one_customer(4_000);
    for r in recs.iter_mut().skip(1_500).take(1_500) {
        r.insert("customer".into(), Value::from("Beta Wear"));
    }
    for r in recs.iter_mut().skip(3_000) {
        r.insert("contact_country".into(), Value::from("CA"));
    }
    let counter = Arc::new(Counter::default());
    let origin = tokio::time::Instant::now();
    let s = sync_with(
        t,
        bulk_config(Mode::Auto),
        recs,
        StateSpec::InMemory,
        counter.clone(),
    )
    .await;
    assert_eq!((s.created, s.failed), (4_000, 0), "{:?}", s.failures);
    assert_one_item_per_record(&sim, 4_000);
    let starts: Vec<_> = counter
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.kind == RequestKind::IngestStart)
        .cloned()
        .collect();
    assert_eq!(
        starts.len(),
        2,
        "two jobs, two starts, no 423 retries: {:?}",
        starts.iter().map(|e| e.status).collect::<Vec<_>>()
    );
    let first = starts[0].started.duration_since(origin);
    assert!(
        first < std::time::Duration::from_secs(30),
        "the job started at {first:?} of the run, before the budget's first reset"
    );
}
