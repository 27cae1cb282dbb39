//! Simulator and sync-engine helpers: configs, one engine run, summary readers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use monday_sync::transport::Transport;
use serde_json::{Map, Value};

use crate::paths::example_config_path;
use crate::transport::SimTransport;
use crate::SECRET_TOKEN;

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
