//! End-to-end test support shared by the test files in `tests/tests/`.
//!
//! - [`SimTransport`]: an in-process [`Transport`] over [`Simulator::dispatch`] that counts every
//!   attempt (so tests can check the run summary's accounting of requests and retries).
//! - [`gen_records`]: deterministic order-list records (the domain of docs/interfaces.md).
//! - [`bins`]: builds and locates the `monday-sync` and `mock-monday` binaries once per test binary.
//! - [`Serve`]: a `mock-monday serve` child process on 127.0.0.1 with its URL line read.
//! - [`LogCapture`]: a tracing writer that keeps every formatted line for assertions.
//! - JSON helpers that read the simulator's board items and the sync's summary.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use mock_monday::core::{CoreRequest, DispatchOutcome};
use mock_monday::Simulator;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

/// The default fixture board of the simulator.
pub const BOARD_ID: &str = "1234567890";
/// A token that must never show up in any log line or report.
pub const SECRET_TOKEN: &str = "tok-e2e-SECRET-7f3a9c1d";

// ---------------------------------------------------------------------------------------------
// Paths and binaries
// ---------------------------------------------------------------------------------------------

/// The workspace root (the parent of this package).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The shared target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// The example config of the sync (`sync/configs/order_list.toml`).
pub fn example_config_path() -> PathBuf {
    workspace_root().join("sync/configs/order_list.toml")
}

/// Paths of the two binaries the end-to-end tests drive.
#[derive(Debug, Clone)]
pub struct Bins {
    pub sync: PathBuf,
    pub mock: PathBuf,
}

/// Builds `monday-sync` and `mock-monday` (dev profile, the one `cargo test` uses) once per test
/// binary and returns their paths.
pub fn bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let status = std::process::Command::new(cargo)
            .current_dir(workspace_root())
            .args([
                "build",
                "-q",
                "-p",
                "monday-sync",
                "-p",
                "mock-monday",
                "--bins",
            ])
            .status()
            .expect("run cargo build for the binaries");
        assert!(status.success(), "cargo build of the binaries failed");
        let dir = target_dir().join("debug");
        let bins = Bins {
            sync: dir.join("monday-sync"),
            mock: dir.join("mock-monday"),
        };
        assert!(bins.sync.exists(), "missing {}", bins.sync.display());
        assert!(bins.mock.exists(), "missing {}", bins.mock.display());
        bins
    })
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

pub const CUSTOMERS: &[&str] = &[
    "Acme Apparel",
    "Nordic Knits",
    "Café Tissage",
    "Blue Harbor Co",
    "Zürich Tailors",
    "Sunrise Textiles",
];
const STYLES: &[&str] = &[
    "ST-1042 Crew Neck Tee",
    "ST-2210 Hoodie",
    "ST-3301 Chino \"Slim\"",
    "ST-4100 Polo — piqué",
    "ST-5005 Rain Jacket",
];
const COLOURS: &[&str] = &["Black", "White", "Navy", "Red", "Green"];
const SIZES: &[&str] = &["XS", "S", "M", "L", "XL"];
const STATUSES: &[&str] = &["New", "In Production", "Shipped", "Delivered", "On Hold"];

/// The source key of record `i` (0-based).
pub fn order_key(i: usize) -> String {
    format!("ORD-{:06}", i + 1)
}

/// `n` deterministic order-list records; each optional field is left out, `null` or `""` with
/// probability `empty_fraction`. Only labels that exist on the fixture board are used.
pub fn gen_records(n: usize, seed: u64, empty_fraction: f64) -> Vec<Map<String, Value>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let mut r = Map::new();
            r.insert("order_id".into(), json!(order_key(i)));
            let customer = CUSTOMERS[rng.gen_range(0..CUSTOMERS.len())];
            r.insert("customer".into(), json!(customer));
            let day = rng.gen_range(1..=28);
            let optional: Vec<(&str, Value)> = vec![
                ("po_number", json!(format!("PO-{}", 10_000 + i))),
                ("style", json!(STYLES[rng.gen_range(0..STYLES.len())])),
                ("colour", json!(COLOURS[rng.gen_range(0..COLOURS.len())])),
                (
                    "sizes",
                    json!(format!(
                        "{},{}",
                        SIZES[rng.gen_range(0..2)],
                        SIZES[rng.gen_range(2..5)]
                    )),
                ),
                ("quantity", json!(rng.gen_range(1..5000))),
                (
                    "unit_price",
                    json!(format!(
                        "{}.{:02}",
                        rng.gen_range(1..90),
                        rng.gen_range(0..100)
                    )),
                ),
                ("status", json!(STATUSES[rng.gen_range(0..STATUSES.len())])),
                ("order_date", json!(format!("2026-03-{day:02}"))),
                ("ship_date", json!(format!("2026-04-{day:02}"))),
                (
                    "contact_email",
                    json!(format!("buyer{}@example.com", i % 97)),
                ),
                ("contact_phone", json!("+14155550100")),
                ("contact_country", json!("US")),
                (
                    "tracking_url",
                    json!(format!("https://track.example/1Z{i:08}")),
                ),
                ("rush", json!(rng.gen_bool(0.2))),
                ("production_start", json!(format!("2026-03-{day:02}"))),
                ("production_end", json!(format!("2026-04-{day:02}"))),
                ("notes", json!(format!("line one\nline two for {i}"))),
            ];
            // Fields that only make sense together are emptied together.
            let empty_timeline = rng.gen_bool(empty_fraction);
            let empty_phone = rng.gen_bool(empty_fraction);
            for (k, v) in optional {
                let empty = match k {
                    "production_start" | "production_end" => empty_timeline,
                    "contact_phone" | "contact_country" => empty_phone,
                    _ => rng.gen_bool(empty_fraction),
                };
                if empty {
                    match rng.gen_range(0..3) {
                        0 => {}
                        1 => {
                            r.insert(k.into(), Value::Null);
                        }
                        _ => {
                            r.insert(k.into(), json!(""));
                        }
                    }
                } else {
                    r.insert(k.into(), v);
                }
            }
            r
        })
        .collect()
}

/// Records as NDJSON text (one object per line, trailing newline).
pub fn to_ndjson(records: &[Map<String, Value>]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&serde_json::to_string(r).expect("serialize record"));
        out.push('\n');
    }
    out
}

/// Writes `records` as NDJSON into `dir/name` and returns the path.
pub fn write_ndjson(dir: &Path, name: &str, records: &[Map<String, Value>]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, to_ndjson(records)).expect("write ndjson");
    path
}

// ---------------------------------------------------------------------------------------------
// In-process transport
// ---------------------------------------------------------------------------------------------

/// What kind of operation a request carried (read from its GraphQL text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReqKind {
    CreateItem,
    Update,
    CreateGroup,
    Read,
}

/// One attempt as the transport saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub kind: ReqKind,
    /// Number of `create_item(` root fields in the document.
    pub create_fields: usize,
    pub idempotency_key: Option<String>,
    /// HTTP status, or None for a reset / client timeout.
    pub status: Option<u16>,
    pub body: String,
}

/// Classifies a GraphQL request body.
pub fn classify(body: &[u8]) -> (ReqKind, usize) {
    let query = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("query").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let creates = query.matches("create_item").count();
    let kind = if creates > 0 {
        ReqKind::CreateItem
    } else if query.contains("change_multiple_column_values")
        || query.contains("change_column_value")
        || query.contains("change_simple_column_value")
    {
        ReqKind::Update
    } else if query.contains("create_group") {
        ReqKind::CreateGroup
    } else {
        ReqKind::Read
    };
    (kind, creates)
}

/// In-process transport over [`Simulator::dispatch`] (sleeps the simulated delay on tokio's clock),
/// recording every attempt.
pub struct SimTransport {
    pub sim: Arc<Simulator>,
    attempts: Mutex<Vec<Attempt>>,
    keep_bodies: bool,
}

impl SimTransport {
    pub fn new(sim: Arc<Simulator>) -> Arc<Self> {
        Arc::new(SimTransport {
            sim,
            attempts: Mutex::new(Vec::new()),
            keep_bodies: false,
        })
    }

    /// Same, but keeps each response body (for small runs that inspect them).
    pub fn with_bodies(sim: Arc<Simulator>) -> Arc<Self> {
        Arc::new(SimTransport {
            sim,
            attempts: Mutex::new(Vec::new()),
            keep_bodies: true,
        })
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().expect("attempts lock").clone()
    }

    /// Attempts of one kind.
    pub fn count(&self, kind: ReqKind) -> usize {
        self.attempts
            .lock()
            .expect("attempts lock")
            .iter()
            .filter(|a| a.kind == kind)
            .count()
    }

    /// Distinct logical requests of one kind (distinct idempotency keys; attempts without a key
    /// count one each).
    pub fn logical(&self, kind: ReqKind) -> usize {
        let attempts = self.attempts.lock().expect("attempts lock");
        let mut keys = HashSet::new();
        let mut unkeyed = 0;
        for a in attempts.iter().filter(|a| a.kind == kind) {
            match &a.idempotency_key {
                Some(k) => {
                    keys.insert(k.clone());
                }
                None => unkeyed += 1,
            }
        }
        keys.len() + unkeyed
    }

    /// Attempts by HTTP status (`None` = reset or timeout).
    pub fn by_status(&self) -> BTreeMap<Option<u16>, usize> {
        let mut out = BTreeMap::new();
        for a in self.attempts.lock().expect("attempts lock").iter() {
            *out.entry(a.status).or_insert(0) += 1;
        }
        out
    }
}

#[async_trait]
impl Transport for SimTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let (kind, create_fields) = classify(&request.body);
        let core = core_request(&request);
        let outcome = self.sim.dispatch(core, request.timeout).await;
        let (status, result, body) = match outcome {
            DispatchOutcome::Response(resp) => {
                let body = if self.keep_bodies {
                    String::from_utf8_lossy(&resp.body).into_owned()
                } else {
                    String::new()
                };
                (
                    Some(resp.status),
                    Ok(ApiResponse {
                        status: resp.status,
                        headers: resp.headers,
                        body: resp.body,
                    }),
                    body,
                )
            }
            DispatchOutcome::Reset => (
                None,
                Err(TransportError::Reset("simulated reset".into())),
                String::new(),
            ),
            DispatchOutcome::TimedOut => (None, Err(TransportError::Timeout), String::new()),
        };
        self.attempts.lock().expect("attempts lock").push(Attempt {
            kind,
            create_fields,
            idempotency_key: request.idempotency_key.clone(),
            status,
            body,
        });
        result
    }
}

/// The simulator-core request for one transport request (what an HTTP client would send).
pub fn core_request(request: &ApiRequest) -> CoreRequest {
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("authorization".to_string(), request.token.clone()),
        ("api-version".to_string(), request.api_version.clone()),
    ];
    if let Some(key) = &request.idempotency_key {
        headers.push(("idempotency-key".to_string(), key.clone()));
    }
    CoreRequest {
        method: "POST".to_string(),
        path: "/v2".to_string(),
        headers,
        body: request.body.clone(),
        client_ip: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Simulator and engine helpers
// ---------------------------------------------------------------------------------------------

/// A simulator config from CLI-style names (`realistic`, `pro`, `personal`, faults syntax).
pub fn sim_config(
    profile: &str,
    plan: &str,
    token_kind: &str,
    seed: u64,
    faults: &str,
) -> mock_monday::config::SimConfig {
    use mock_monday::config::{LatencyProfile, Plan, SimConfig, TokenKind};
    use mock_monday::FaultConfig;
    SimConfig {
        profile: profile
            .parse::<LatencyProfile>()
            .unwrap_or_else(|e| panic!("profile {profile}: {e:?}")),
        plan: plan
            .parse::<Plan>()
            .unwrap_or_else(|e| panic!("plan {plan}: {e:?}")),
        token_kind: token_kind
            .parse::<TokenKind>()
            .unwrap_or_else(|e| panic!("token kind {token_kind}: {e:?}")),
        seed,
        faults: if faults.is_empty() {
            FaultConfig::default()
        } else {
            FaultConfig::parse(faults).unwrap_or_else(|e| panic!("faults {faults}: {e:?}"))
        },
        ..SimConfig::default()
    }
}

/// The example config with sync settings overridden.
pub fn sync_config(
    mode: &str,
    batch_size: usize,
    concurrency: usize,
) -> monday_sync::config::SyncConfig {
    let mut config =
        monday_sync::config::SyncConfig::load(example_config_path()).expect("load example config");
    config.sync.mode = match mode {
        "single" => monday_sync::config::Mode::Single,
        _ => monday_sync::config::Mode::Batch,
    };
    config.sync.batch_size = Some(batch_size);
    config.sync.concurrency = concurrency as _;
    config
}

/// Runs the real sync engine over [`SimTransport`] with in-memory state; returns the summary as
/// JSON (so tests read it independently of the exact integer types).
pub async fn run_engine(
    transport: Arc<SimTransport>,
    config: monday_sync::config::SyncConfig,
    records: Vec<Map<String, Value>>,
) -> Value {
    run_engine_with(transport, config, records, None)
        .await
        .expect("sync run")
}

/// Same as [`run_engine`] with a report directory; returns the error instead of panicking.
pub async fn run_engine_with(
    transport: Arc<dyn Transport>,
    config: monday_sync::config::SyncConfig,
    records: Vec<Map<String, Value>>,
    report_dir: Option<PathBuf>,
) -> Result<Value, String> {
    use monday_sync::engine::{run, RunParams};
    let params = RunParams {
        config,
        input: monday_sync::input::InputSource::Records(records),
        transport,
        token: SECRET_TOKEN.to_string(),
        state: monday_sync::state::StateSpec::InMemory,
        report_dir,
        dry_run: false,
        progress: false,
        observer: None,
        request_log: None,
    };
    // Bounded in (virtual or real) time: a livelocked engine fails the test instead of hanging it.
    match tokio::time::timeout(RUN_LIMIT, run(params)).await {
        Ok(Ok(summary)) => Ok(serde_json::to_value(&summary).expect("summary serializes")),
        Ok(Err(e)) => Err(format!("{e}")),
        Err(_) => Err(format!(
            "the sync did not finish within {RUN_LIMIT:?} of (simulated) time: livelock"
        )),
    }
}

/// The summary without its bulky parts (config, per-customer table; first 3 failures only), for
/// assertion messages.
pub fn brief(summary: &Value) -> Value {
    let mut v = summary.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("config");
        o.remove("per_customer");
        if let Some(Value::Array(f)) = o.get_mut("failures") {
            f.truncate(3);
        }
    }
    v
}

/// Longest a single engine run may take (simulated time on a paused clock).
pub const RUN_LIMIT: Duration = Duration::from_secs(12 * 3600);

/// A number field of a JSON object as f64 (panics with the field name when absent).
pub fn num(v: &Value, key: &str) -> f64 {
    v.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("field {key} missing or not a number in {}", brief(v)))
}

// ---------------------------------------------------------------------------------------------
// Board items
// ---------------------------------------------------------------------------------------------

/// The item list inside the admin board-items JSON (an array, or an object with `items`).
pub fn items_array(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The text of one column of an item (column_values as a map or as a list of `{id, text, value}`).
pub fn column_text(item: &Value, column: &str) -> Option<String> {
    let cvs = item.get("column_values")?;
    let cell = match cvs {
        Value::Object(m) => m.get(column)?.clone(),
        Value::Array(a) => a
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(column))?
            .clone(),
        _ => return None,
    };
    match &cell {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            if let Some(t) = o.get("text").and_then(Value::as_str) {
                return Some(t.to_string());
            }
            match o.get("value") {
                Some(Value::String(s)) => {
                    // Either a JSON-encoded string or plain text.
                    match serde_json::from_str::<Value>(s) {
                        Ok(Value::String(inner)) => Some(inner),
                        _ => Some(s.clone()),
                    }
                }
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            }
        }
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Order keys (`text_order_key`) of the items, in board order.
pub fn item_keys(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|it| column_text(it, "text_order_key").unwrap_or_default())
        .collect()
}

/// Checks exactly-once: one item per expected key, no duplicate, nothing extra. Returns
/// (duplicates, lost, unexpected) counts and panics with detail when any is non-zero.
pub fn assert_exactly_once(items: &[Value], expected: &[String]) {
    let keys = item_keys(items);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &keys {
        *seen.entry(k.as_str()).or_insert(0) += 1;
    }
    let duplicates: Vec<(&str, usize)> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, n)| (*k, *n))
        .collect();
    let expected_set: HashSet<&str> = expected.iter().map(String::as_str).collect();
    let lost: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|k| !seen.contains_key(k))
        .collect();
    let unexpected: Vec<&str> = seen
        .keys()
        .copied()
        .filter(|k| !expected_set.contains(k))
        .collect();
    assert!(
        duplicates.is_empty() && lost.is_empty() && unexpected.is_empty(),
        "exactly-once violated: {} items for {} records; duplicates {} (first {:?}), lost {} (first {:?}), unexpected {} (first {:?})",
        keys.len(),
        expected.len(),
        duplicates.len(),
        duplicates.iter().take(5).collect::<Vec<_>>(),
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>(),
        unexpected.len(),
        unexpected.iter().take(5).collect::<Vec<_>>(),
    );
    assert_eq!(keys.len(), expected.len());
}

// ---------------------------------------------------------------------------------------------
// The `mock-monday serve` process
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The `monday-sync` process
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Log capture
// ---------------------------------------------------------------------------------------------

/// A tracing writer that keeps every formatted line in memory.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

pub struct LogCaptureWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCaptureWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogCaptureWriter(self.0.clone())
    }
}

impl LogCapture {
    /// A subscriber writing every event at `max_level` and above (no colour, no time) here.
    pub fn subscriber(&self, max_level: tracing::Level) -> impl tracing::Subscriber + Send + Sync {
        tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_max_level(max_level)
            .with_ansi(false)
            .without_time()
            .with_target(true)
            .finish()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }

    /// Lines whose level is `level` (e.g. "INFO", "WARN"), optionally only for a target prefix.
    pub fn lines_at(&self, level: &str, target_prefix: Option<&str>) -> Vec<String> {
        self.text()
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with(level)
                    && target_prefix.is_none_or(|p| {
                        t[level.len()..]
                            .trim_start()
                            .split([':', ' ', '{'])
                            .next()
                            .is_some_and(|target| target.starts_with(p))
                            || t.contains(&format!(" {p}"))
                    })
            })
            .map(str::to_string)
            .collect()
    }
}

/// Writes text to a file, creating parents.
pub fn write_file(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent dir");
    }
    let mut f = std::fs::File::create(path).expect("create file");
    f.write_all(bytes).expect("write file");
}

/// Bytes as a `Bytes` body.
pub fn body(text: impl Into<Vec<u8>>) -> Bytes {
    Bytes::from(text.into())
}
