//! What one run is: workload, simulator settings, clock and sync-setting overrides.
//!
//! The same [`Scenario`] drives `monday-perf run`, every cell of a sweep and every gate scenario, and
//! is written in full into `results.json` and the HTML report so a run can be repeated exactly.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};

/// The example sync config (`sync/configs/order_list.toml`), embedded so runs work from any cwd.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../sync/configs/order_list.toml");
/// Origin name reported for the embedded config in error messages.
pub const DEFAULT_CONFIG_ORIGIN: &str = "sync/configs/order_list.toml (embedded)";
/// Records of the README's main job.
pub const DEFAULT_RECORDS: u64 = 500;
/// Seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_260_101;

/// Which clock the run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// In-process transport on tokio's paused clock: deterministic, fast.
    #[default]
    Virtual,
    /// Over HTTP to a wiremock `mock-monday` server on the real clock.
    Real,
    /// Client CPU: a virtual run that records every response (instant profile, limits lifted),
    /// then replays against those prepared responses measuring CPU time per record.
    Cpu,
}

impl std::str::FromStr for Clock {
    type Err = PerfError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "virtual" => Ok(Self::Virtual),
            "real" => Ok(Self::Real),
            "cpu" => Ok(Self::Cpu),
            other => Err(PerfError::Usage(format!(
                "clock must be virtual, real or cpu, got {other:?}"
            ))),
        }
    }
}

/// Keys of the example config's `[sync]` table that a run leaves to the engine's code defaults
/// (unless the scenario overrides them), so that a change of a default shows up in the gate.
pub const DEFAULTED_SYNC_KEYS: [&str; 3] = ["mode", "batch_size", "concurrency"];

/// Overrides of the config's `[sync]` table (the monday-sync settings of `docs/interfaces.md`).
///
/// Only the keys that are set are changed; everything else comes from the config file (or, for
/// the embedded example config, from the engine's defaults: see [`DEFAULTED_SYNC_KEYS`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    /// `[sync] write_concurrency` (write requests in flight per board). Written into the TOML only
    /// when set, so the harness works with engines that do not know the setting yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_concurrency: Option<u32>,
}

impl SyncOverrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Applies the overrides to a sync config TOML text and returns the new text.
    ///
    /// Works on the TOML document rather than on `SyncSettings` so that the harness does not depend
    /// on how the engine represents each setting.
    pub fn apply_to_toml(&self, config_toml: &str, origin: &str) -> Result<String> {
        let mut doc: toml::Table = toml::from_str(config_toml)
            .map_err(|e| PerfError::Usage(format!("config {origin}: {e}")))?;
        if self.is_empty() {
            return Ok(config_toml.to_string());
        }
        let sync = doc
            .entry("sync")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let Some(table) = sync.as_table_mut() else {
            return Err(PerfError::Usage(format!(
                "config {origin}: [sync] is not a table"
            )));
        };
        let mut set = |key: &str, value: toml::Value| {
            table.insert(key.to_string(), value);
        };
        if let Some(v) = &self.mode {
            set("mode", toml::Value::String(v.clone()));
        }
        if let Some(v) = self.batch_size {
            set("batch_size", toml::Value::Integer(i64::from(v)));
        }
        if let Some(v) = self.concurrency {
            set("concurrency", toml::Value::Integer(i64::from(v)));
        }
        if let Some(v) = self.max_retries {
            set("max_retries", toml::Value::Integer(i64::from(v)));
        }
        if let Some(v) = self.request_timeout_ms {
            set(
                "request_timeout_ms",
                toml::Value::Integer(i64::try_from(v).unwrap_or(i64::MAX)),
            );
        }
        if let Some(v) = self.write_concurrency {
            set("write_concurrency", toml::Value::Integer(i64::from(v)));
        }
        toml::to_string(&doc).map_err(|e| PerfError::Usage(format!("config {origin}: {e}")))
    }
}

/// One run's full configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the run (report folder, gate test case).
    pub name: String,
    /// Generated records (ignored when `input` is set).
    #[serde(default = "default_records")]
    pub records: u64,
    /// Replay this NDJSON/CSV file instead of generating records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<PathBuf>,
    /// Seed of the generator and of the simulator.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Latency profile: `instant`, `realistic` or a path to a TOML profile.
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Plan: `basic`, `standard`, `pro`, `enterprise`.
    #[serde(default = "default_plan")]
    pub plan: String,
    /// Token kind: `personal`, `app`, `trial`.
    #[serde(default = "default_token_kind")]
    pub token_kind: String,
    /// Fault spec in `mock-monday --faults` syntax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<String>,
    /// Board write locks in `mock-monday --board-lock` syntax (`off`, `strict`, a probability);
    /// None = the simulator's default (`strict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board_lock: Option<String>,
    #[serde(default)]
    pub clock: Clock,
    /// Real clock only: simulated latencies are multiplied by this.
    #[serde(default = "default_time_scale")]
    pub time_scale: f64,
    /// Sync config file; `None` = the embedded example config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "SyncOverrides::is_empty")]
    pub sync: SyncOverrides,
    /// CPU clock only: replays measured; the figure is their minimum.
    #[serde(
        default = "default_cpu_repetitions",
        skip_serializing_if = "is_default_cpu_repetitions"
    )]
    pub cpu_repetitions: u32,
    /// Virtual clock only: run the scenario over this many consecutive seeds (odd, 1 to
    /// [`MAX_REPEATS`]) and let the median run stand for it ([`crate::repeats`]). A run of a few
    /// requests measures its latency draws more than the client; the median of several does not.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeats: u32,
    /// A foreign client to run instead of monday-sync (`monday-perf run --client-cmd`; see
    /// [`crate::client_cmd`]): a shell command, run against `mock-monday serve` on the real clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cmd: Option<ClientCmdSettings>,
}

/// Most seeds one scenario may repeat over.
pub const MAX_REPEATS: u32 = 25;

fn one() -> u32 {
    1
}
fn is_one(v: &u32) -> bool {
    *v == 1
}

fn default_cpu_repetitions() -> u32 {
    5
}
fn is_default_cpu_repetitions(v: &u32) -> bool {
    *v == default_cpu_repetitions()
}

/// How a foreign client runs (the `client_cmd` of a scenario).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCmdSettings {
    /// Run through `sh -c` from the current folder.
    pub command: String,
    /// Board column holding each record's key (duplicates and missing records are counted by it).
    #[serde(default = "default_key_column")]
    pub key_column: String,
    /// The client is killed after this many wall seconds.
    #[serde(default = "default_client_timeout_secs")]
    pub timeout_secs: u64,
    /// Programs the command needs on `PATH` (e.g. `python3`); the gate skips the scenario, with
    /// a warning naming the program, on a machine without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Durations the server reports to the client (`Retry-After`, `retry_in_seconds`, ...):
    /// None = wall seconds ([`crate::client_cmd::DEFAULT_REPORT_DURATIONS`]), so that a client
    /// that knows nothing of the time scale waits the right real time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_durations: Option<mock_monday::ReportDurations>,
}

/// The example config's key column.
pub const DEFAULT_KEY_COLUMN: &str = "text_order_key";
/// Wall seconds a foreign client may run by default.
pub const DEFAULT_CLIENT_TIMEOUT_SECS: u64 = 600;

fn default_key_column() -> String {
    DEFAULT_KEY_COLUMN.into()
}
fn default_client_timeout_secs() -> u64 {
    DEFAULT_CLIENT_TIMEOUT_SECS
}

fn default_records() -> u64 {
    DEFAULT_RECORDS
}
fn default_seed() -> u64 {
    DEFAULT_SEED
}
fn default_profile() -> String {
    "realistic".into()
}
fn default_plan() -> String {
    "pro".into()
}
fn default_token_kind() -> String {
    "personal".into()
}
fn default_time_scale() -> f64 {
    1.0
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "run".into(),
            records: DEFAULT_RECORDS,
            input: None,
            seed: DEFAULT_SEED,
            profile: default_profile(),
            plan: default_plan(),
            token_kind: default_token_kind(),
            faults: None,
            board_lock: None,
            clock: Clock::Virtual,
            time_scale: 1.0,
            config: None,
            sync: SyncOverrides::default(),
            cpu_repetitions: default_cpu_repetitions(),
            repeats: 1,
            client_cmd: None,
        }
    }
}

impl Scenario {
    /// Checks the values that do not need the simulator or the engine to validate.
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(PerfError::Usage(format!(
                "scenario name {:?} must be non-empty ASCII letters, digits, '-', '_' or '.'",
                self.name
            )));
        }
        if self.input.is_none() {
            crate::generate::GenerateSpec {
                records: self.records,
                seed: self.seed,
            }
            .validate()?;
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(PerfError::Usage(format!(
                "time scale must be a positive number, got {}",
                self.time_scale
            )));
        }
        if let Some(c) = &self.client_cmd {
            if c.command.trim().is_empty() || c.timeout_secs == 0 || c.key_column.is_empty() {
                return Err(PerfError::Usage(
                    "client_cmd needs a command, a key column and a timeout of at least 1 s".into(),
                ));
            }
        }
        if self.repeats != 1 {
            if self.repeats == 0 || self.repeats > MAX_REPEATS || self.repeats.is_multiple_of(2) {
                return Err(PerfError::Usage(format!(
                    "repeats must be an odd number from 1 to {MAX_REPEATS} (the median run stands \
                     for the scenario), got {}",
                    self.repeats
                )));
            }
            if self.clock != Clock::Virtual || self.client_cmd.is_some() {
                return Err(PerfError::Usage(
                    "repeats needs the virtual clock and monday-sync (not --client-cmd)".into(),
                ));
            }
        }
        if let Some(mode) = &self.sync.mode {
            if mode != "batch" && mode != "single" {
                return Err(PerfError::Usage(format!(
                    "mode must be batch or single, got {mode:?}"
                )));
            }
        }
        if self.sync.batch_size == Some(0)
            || self.sync.concurrency == Some(0)
            || self.sync.write_concurrency == Some(0)
            || self.cpu_repetitions == 0
        {
            return Err(PerfError::Usage(
                "batch size, concurrency, write concurrency and CPU repetitions must be at least 1"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The sync config text of this scenario with overrides applied: the given file as it is, or
    /// the embedded example config without the keys of [`DEFAULTED_SYNC_KEYS`] (so the engine's
    /// code defaults decide them, as they would for a user who leaves them out).
    pub fn config_toml(&self) -> Result<(String, String)> {
        let (text, origin) = match &self.config {
            Some(path) => (
                std::fs::read_to_string(path).map_err(|e| PerfError::io("read", path, e))?,
                path.display().to_string(),
            ),
            None => (
                example_config_with_code_defaults()?,
                DEFAULT_CONFIG_ORIGIN.to_string(),
            ),
        };
        let text = self.sync.apply_to_toml(&text, &origin)?;
        Ok((text, origin))
    }
}

/// The embedded example config with `mode`, `batch_size` and `concurrency` removed from `[sync]`.
pub fn example_config_with_code_defaults() -> Result<String> {
    let mut doc: toml::Table = toml::from_str(DEFAULT_CONFIG_TOML)
        .map_err(|e| PerfError::Usage(format!("config {DEFAULT_CONFIG_ORIGIN}: {e}")))?;
    if let Some(sync) = doc.get_mut("sync").and_then(toml::Value::as_table_mut) {
        for key in DEFAULTED_SYNC_KEYS {
            sync.remove(key);
        }
    }
    toml::to_string(&doc)
        .map_err(|e| PerfError::Usage(format!("config {DEFAULT_CONFIG_ORIGIN}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_change_only_named_keys() {
        let base = "[sync]\nbatch_size = 25\nconcurrency = 4\n[board]\nid = 1\n";
        let o = SyncOverrides {
            batch_size: Some(1),
            write_concurrency: Some(2),
            ..SyncOverrides::default()
        };
        let text = o.apply_to_toml(base, "t").unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(doc["sync"]["batch_size"].as_integer(), Some(1));
        assert_eq!(doc["sync"]["concurrency"].as_integer(), Some(4));
        assert_eq!(doc["sync"]["write_concurrency"].as_integer(), Some(2));
        assert_eq!(doc["board"]["id"].as_integer(), Some(1));
    }

    #[test]
    fn scenario_json_defaults_and_validation() {
        let s: Scenario = serde_json::from_str(r#"{"name":"pro-50","records":50}"#).unwrap();
        assert_eq!(s.plan, "pro");
        assert_eq!(s.profile, "realistic");
        assert!(s.validate().is_ok());
        let bad: Scenario = serde_json::from_str(r#"{"name":"x y"}"#).unwrap();
        assert!(bad.validate().is_err());
        let zero = Scenario {
            sync: SyncOverrides {
                concurrency: Some(0),
                ..SyncOverrides::default()
            },
            ..Scenario::default()
        };
        assert!(zero.validate().is_err());
        assert!(serde_json::from_str::<Scenario>(r#"{"name":"a","typo":1}"#).is_err());
    }

    #[test]
    fn embedded_config_leaves_mode_batch_size_and_concurrency_to_the_engine() {
        let (text, _) = Scenario::default().config_toml().unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        for key in DEFAULTED_SYNC_KEYS {
            assert!(doc["sync"].get(key).is_none(), "{key} is set: {text}");
        }
        assert!(doc["sync"].get("max_retries").is_some(), "other keys stay");
        // A scenario that tests an override keeps it.
        let single = Scenario {
            sync: SyncOverrides {
                mode: Some("single".into()),
                ..SyncOverrides::default()
            },
            ..Scenario::default()
        };
        let doc: toml::Table = toml::from_str(&single.config_toml().unwrap().0).unwrap();
        assert_eq!(doc["sync"]["mode"].as_str(), Some("single"));
    }
}
