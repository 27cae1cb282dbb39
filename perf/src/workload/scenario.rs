//! What one run is: workload, simulator settings, clock and sync-setting overrides.
//!
//! The same [`Scenario`] drives `monday-perf run`, every cell of a sweep and every gate scenario, and
//! is written in full into `results.json` and the HTML report so a run can be repeated exactly.
//!
//! # Defaults have one source
//!
//! Every value a user leaves out is filled in by [`Scenario::default`] and nothing else: the
//! `run` and `sweep` command lines start from it and apply only the flags that were given (their
//! flags have no defaults of their own), and every scenario the gate loads from a baseline file
//! gets it through serde's container default. So no entry point can get a zero (`repeats = 0` once
//! broke `sweep` this way) where another gets the default. Every `[sync]` key a scenario does
//! not override is left out of the embedded example config, so the engine's code defaults decide
//! it ([`example_config_with_code_defaults`]; the keys come from the engine's own settings type,
//! [`crate::workload::sync_keys::sync_setting_keys`], so a key added later is covered without an edit
//! here). A foreign client's settings come from [`ClientCmdSettings::default`] the same way.

use std::path::PathBuf;

use monday_sync::config::Mode;
use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};

/// The example sync config (`sync/configs/order_list.toml`), embedded so runs work from any cwd.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../../sync/configs/order_list.toml");
/// Origin name reported for the embedded config in error messages.
pub const DEFAULT_CONFIG_ORIGIN: &str = "sync/configs/order_list.toml (embedded)";
/// Records of the README's main job.
pub const DEFAULT_RECORDS: u64 = 500;
/// Seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_260_101;
/// Seeds a scenario runs over when none is given (one run).
pub const DEFAULT_REPEATS: u32 = 1;
/// CPU-clock replays measured when none is given.
pub const DEFAULT_CPU_REPETITIONS: u32 = 5;
/// Latency profile used when none is given.
pub const DEFAULT_PROFILE: &str = "realistic";
/// Plan used when none is given.
pub const DEFAULT_PLAN: &str = "pro";
/// Token kind used when none is given.
pub const DEFAULT_TOKEN_KIND: &str = "personal";
/// Run name (report folder) used when none is given.
pub const DEFAULT_NAME: &str = "run";

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

/// Overrides of the config's `[sync]` table (the monday-sync settings of `docs/interfaces.md`).
///
/// Only the keys that are set are changed; everything else comes from the config file (or, for
/// the embedded example config, from the engine's defaults: see
/// [`example_config_with_code_defaults`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncOverrides {
    /// `[sync] mode`, the sync's own type (a misspelt mode fails when the scenario is read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    /// `[sync] write_concurrency` (write requests in flight per board).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_concurrency: Option<u32>,
    /// `[sync] rows_per_job` (most rows one bulk-import job carries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_per_job: Option<u32>,
}

impl SyncOverrides {
    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Applies the overrides to a sync config TOML text and returns the new text.
    ///
    /// Works on the TOML document, so that the text a run records (`sync_config_toml`) is the one
    /// the engine read; every key written is one of `SyncSettings`' (a test parses the result
    /// with the engine's own types, `code_defaults` checks the names).
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
        if let Some(v) = self.mode {
            set("mode", toml::Value::String(v.as_str().to_string()));
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
        if let Some(v) = self.rows_per_job {
            set("rows_per_job", toml::Value::Integer(i64::from(v)));
        }
        toml::to_string(&doc).map_err(|e| PerfError::Usage(format!("config {origin}: {e}")))
    }
}

/// One run's full configuration.
///
/// A key missing from a scenario's JSON takes its value from [`Scenario::default`] (the container
/// default), the one source of defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Name of the run (report folder, gate test case).
    pub name: String,
    /// Generated records (ignored when `input` is set).
    pub records: u64,
    /// Replay this NDJSON/CSV file instead of generating records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<PathBuf>,
    /// Seed of the generator and of the simulator.
    pub seed: u64,
    /// Latency profile: `instant`, `realistic` or a path to a TOML profile.
    pub profile: String,
    /// Plan: `basic`, `standard`, `pro`, `enterprise`.
    pub plan: String,
    /// Token kind: `personal`, `app`, `trial`.
    pub token_kind: String,
    /// Fault spec in `mock-monday --faults` syntax.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub faults: Option<String>,
    /// Board write locks in `mock-monday --board-lock` syntax (`off`, `strict`, a probability);
    /// None = the simulator's default (`strict`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub board_lock: Option<String>,
    pub clock: Clock,
    /// Real clock only: simulated latencies are multiplied by this.
    pub time_scale: f64,
    /// Sync config file; `None` = the embedded example config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<PathBuf>,
    #[serde(skip_serializing_if = "SyncOverrides::is_empty")]
    pub sync: SyncOverrides,
    /// CPU clock only: replays measured; the figure is their minimum.
    #[serde(skip_serializing_if = "is_default_cpu_repetitions")]
    pub cpu_repetitions: u32,
    /// Virtual clock only: run the scenario over this many consecutive seeds (odd, 1 to
    /// [`MAX_REPEATS`]) and let the median run stand for it ([`crate::replay::repeats`]). A run of a few
    /// requests measures its latency draws more than the client; the median of several does not.
    #[serde(skip_serializing_if = "is_default_repeats")]
    pub repeats: u32,
    /// A foreign client to run instead of monday-sync (`monday-perf run --client-cmd`; see
    /// [`crate::replay::client_cmd`]): a shell command, run against `mock-monday serve` on the real clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cmd: Option<ClientCmdSettings>,
    /// The simulator's bulk import (`mock-monday serve --bulk` keys: `timing` =
    /// `{ job_start_delay_ms, job_rows_per_second }`, `items_per_hour`, ...); None: its defaults,
    /// the timing from the profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk: Option<mock_monday::jobs::BulkSettings>,
    /// The simulator's item cap per board; None: its default (10,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items_limit_per_board: Option<usize>,
    /// Rows a second a bulk-import job processes (`--processing-rate`): replaces the latency
    /// profile's `job_rows_per_second` for the simulator AND the ceiling model, so a user can
    /// put in the rate their own account shows. None = the profile's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_rate: Option<f64>,
    /// CPU clock only: also measure client CPU per record at this many records (at least
    /// [`GROWTH_FACTOR`] times `records`) and report how much more a record costs there
    /// (`client_cpu_growth`): work that grows with the records seen shows up as a ratio above 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_growth_records: Option<u64>,
    /// CPU clock only: measure the replays over the real HTTP transport (reqwest) against a
    /// `mock-monday serve` process on loopback instead of prepared in-process responses, so only
    /// the client's CPU is in the process's CPU time (`http_cpu_us_per_request`, `_per_record`).
    #[serde(skip_serializing_if = "is_false")]
    pub cpu_over_http: bool,
    /// Keep the sync's state in a SQLite file in a temporary folder (the default is in memory)
    /// and count what durability costs (`state_commits_per_1000_records`, `_syncs_`).
    #[serde(skip_serializing_if = "is_false")]
    pub state_file: bool,
}

/// Least ratio between `cpu_growth_records` and `records`.
pub const GROWTH_FACTOR: u64 = 10;

fn is_false(v: &bool) -> bool {
    !*v
}

/// Most seeds one scenario may repeat over.
pub const MAX_REPEATS: u32 = 25;

fn is_default_repeats(v: &u32) -> bool {
    *v == DEFAULT_REPEATS
}
fn is_default_cpu_repetitions(v: &u32) -> bool {
    *v == DEFAULT_CPU_REPETITIONS
}

/// How a foreign client runs (the `client_cmd` of a scenario). Keys left out come from
/// [`ClientCmdSettings::default`]; its empty `command` fails [`Scenario::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientCmdSettings {
    /// Run through `sh -c` from the current folder.
    pub command: String,
    /// Board column holding each record's key (duplicates and missing records are counted by it).
    pub key_column: String,
    /// The client is killed after this many wall seconds.
    pub timeout_secs: u64,
    /// Programs the command needs on `PATH` (e.g. `python3`); the gate skips the scenario, with
    /// a warning naming the program, on a machine without them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Durations the server reports to the client (`Retry-After`, `retry_in_seconds`, ...):
    /// None = wall seconds ([`crate::replay::client_cmd::DEFAULT_REPORT_DURATIONS`]), so that a client
    /// that knows nothing of the time scale waits the right real time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_durations: Option<mock_monday::ReportDurations>,
}

impl Default for ClientCmdSettings {
    /// The one source of a foreign client's defaults (the command line and baseline files alike).
    fn default() -> Self {
        Self {
            command: String::new(),
            key_column: DEFAULT_KEY_COLUMN.into(),
            timeout_secs: DEFAULT_CLIENT_TIMEOUT_SECS,
            requires: Vec::new(),
            report_durations: None,
        }
    }
}

/// The example config's key column.
pub const DEFAULT_KEY_COLUMN: &str = "text_order_key";
/// Wall seconds a foreign client may run by default.
pub const DEFAULT_CLIENT_TIMEOUT_SECS: u64 = 600;

impl Default for Scenario {
    /// The one source of every value a user leaves out (see the module docs): `monday-perf run`
    /// and `sweep` start from it, and so does every scenario read from a baseline file.
    fn default() -> Self {
        Self {
            name: DEFAULT_NAME.into(),
            records: DEFAULT_RECORDS,
            input: None,
            seed: DEFAULT_SEED,
            profile: DEFAULT_PROFILE.into(),
            plan: DEFAULT_PLAN.into(),
            token_kind: DEFAULT_TOKEN_KIND.into(),
            faults: None,
            board_lock: None,
            clock: Clock::Virtual,
            time_scale: 1.0,
            config: None,
            // Batch size, concurrency, write concurrency and mode: the engine's code defaults.
            sync: SyncOverrides::default(),
            cpu_repetitions: DEFAULT_CPU_REPETITIONS,
            repeats: DEFAULT_REPEATS,
            client_cmd: None,
            bulk: None,
            items_limit_per_board: None,
            processing_rate: None,
            cpu_growth_records: None,
            cpu_over_http: false,
            state_file: false,
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
        if let Some(rate) = self.processing_rate {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(PerfError::Usage(format!(
                    "processing rate must be a number of rows per second above 0, got {rate}"
                )));
            }
        }
        if self.input.is_none() {
            crate::workload::generate::GenerateSpec {
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
        if (self.cpu_growth_records.is_some() || self.cpu_over_http) && self.clock != Clock::Cpu {
            return Err(PerfError::Usage(
                "cpu_growth_records and cpu_over_http need the CPU clock".into(),
            ));
        }
        if let Some(large) = self.cpu_growth_records {
            if large < self.records.saturating_mul(GROWTH_FACTOR) || self.input.is_some() {
                return Err(PerfError::Usage(format!(
                    "cpu_growth_records must be at least {GROWTH_FACTOR} x records ({}) of \
                     generated records, got {large}",
                    self.records.saturating_mul(GROWTH_FACTOR)
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
    /// the embedded example config without any `[sync]` key (so the engine's
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

/// The embedded example config with every key of the engine's `[sync]` settings removed, so
/// that each runs at its code default unless a scenario overrides it.
pub fn example_config_with_code_defaults() -> Result<String> {
    let mut doc: toml::Table = toml::from_str(DEFAULT_CONFIG_TOML)
        .map_err(|e| PerfError::Usage(format!("config {DEFAULT_CONFIG_ORIGIN}: {e}")))?;
    if let Some(sync) = doc.get_mut("sync").and_then(toml::Value::as_table_mut) {
        for key in crate::workload::sync_keys::sync_setting_keys() {
            sync.remove(*key);
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
        // Growth needs the CPU clock and two sizes at least ten times apart.
        let growth = |clock: Clock, large: u64| Scenario {
            clock,
            records: 800,
            cpu_growth_records: Some(large),
            ..Scenario::default()
        };
        assert!(growth(Clock::Cpu, 8_000).validate().is_ok());
        assert!(growth(Clock::Cpu, 7_999).validate().is_err());
        assert!(growth(Clock::Virtual, 8_000).validate().is_err());
        let http = Scenario {
            cpu_over_http: true,
            ..Scenario::default()
        };
        assert!(http.validate().is_err(), "HTTP CPU needs the CPU clock");
    }

    #[test]
    fn scenario_default_is_the_one_source_of_left_out_values() {
        let d = Scenario::default();
        assert_eq!(
            (d.repeats, d.cpu_repetitions, d.records, d.seed),
            (
                DEFAULT_REPEATS,
                DEFAULT_CPU_REPETITIONS,
                DEFAULT_RECORDS,
                DEFAULT_SEED
            )
        );
        assert_eq!(d.repeats, 1, "one run unless asked for more");
        assert!(
            d.sync.is_empty(),
            "batch size, concurrency, writes: the engine's"
        );
        d.validate().expect("the defaults are a valid scenario");
        // JSON that leaves every key out gets exactly the defaults; so does a client_cmd table.
        assert_eq!(serde_json::from_str::<Scenario>("{}").unwrap(), d);
        let s: Scenario =
            serde_json::from_str(r#"{"name":"c","client_cmd":{"command":"true"}}"#).unwrap();
        assert_eq!(
            s.client_cmd,
            Some(ClientCmdSettings {
                command: "true".into(),
                ..ClientCmdSettings::default()
            })
        );
        assert_eq!(
            ClientCmdSettings::default().timeout_secs,
            DEFAULT_CLIENT_TIMEOUT_SECS
        );
        // What is written out (defaults skipped) reads back the same.
        let text = serde_json::to_string(&d).unwrap();
        assert!(!text.contains("repeats"), "{text}");
        assert_eq!(serde_json::from_str::<Scenario>(&text).unwrap(), d);
    }

    #[test]
    fn every_override_reaches_the_engines_settings() {
        let o = SyncOverrides {
            mode: Some(Mode::Ingest),
            batch_size: Some(7),
            concurrency: Some(3),
            max_retries: Some(2),
            request_timeout_ms: Some(12_345),
            write_concurrency: Some(2),
            rows_per_job: Some(900),
        };
        let text = o.apply_to_toml(DEFAULT_CONFIG_TOML, "t").unwrap();
        let sync = monday_sync::config::SyncConfig::from_toml_str(&text, "t")
            .unwrap()
            .sync;
        assert_eq!(
            (
                sync.mode,
                sync.batch_size,
                sync.concurrency,
                sync.max_retries,
                sync.request_timeout_ms,
                sync.write_concurrency,
                sync.rows_per_job
            ),
            (Mode::Ingest, Some(7), 3, 2, 12_345, 2, 900)
        );
        // A mode the engine does not know fails when the scenario is read.
        assert!(serde_json::from_str::<SyncOverrides>(r#"{"mode":"bulk"}"#).is_err());
    }

    #[test]
    fn embedded_config_leaves_every_sync_key_to_the_engine() {
        let (text, _) = Scenario::default().config_toml().unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        for key in crate::workload::sync_keys::sync_setting_keys() {
            let set = doc.get("sync").and_then(|s| s.get(key));
            assert!(set.is_none(), "{key} is set: {text}");
        }
        // The example file itself sets several of them (a user's view); the run does not.
        let example: toml::Table = toml::from_str(DEFAULT_CONFIG_TOML).unwrap();
        assert!(example["sync"].get("max_retries").is_some());
        // A scenario that tests an override keeps it.
        let single = Scenario {
            sync: SyncOverrides {
                mode: Some(Mode::Single),
                ..SyncOverrides::default()
            },
            ..Scenario::default()
        };
        let doc: toml::Table = toml::from_str(&single.config_toml().unwrap().0).unwrap();
        assert_eq!(doc["sync"]["mode"].as_str(), Some("single"));
    }
}
