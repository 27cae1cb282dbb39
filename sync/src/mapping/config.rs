//! The sync's TOML configuration: API endpoint, board, group strategy, item-name template, column
//! mapping and sync settings.
//!
//! Unknown keys and wrong types are rejected (`deny_unknown_fields`); every error names the file,
//! line/column (from the TOML spans) or the key, and the reason. See `sync/configs/order_list.toml`
//! for the worked example.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Per-mutation complexity charged by monday.com for `create_item` and kin (docs/monday-api.md §3).
pub const MUTATION_COMPLEXITY: u64 = 30_000;
/// Per-request complexity cap (docs/monday-api.md §2.1).
pub const MAX_REQUEST_COMPLEXITY: u64 = 5_000_000;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Where this config came from (the file path), for errors found after loading, such as
    /// mapped columns missing on the board. Not part of the file.
    #[serde(skip)]
    pub origin: String,
    #[serde(default)]
    pub api: ApiSettings,
    pub board: BoardSettings,
    /// Source field -> board column mapping, in the order values are written.
    #[serde(default)]
    pub columns: Vec<ColumnMapping>,
    #[serde(default)]
    pub sync: SyncSettings,
}

/// `[api]`: where and how to talk to monday.com.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    #[serde(default = "default_url")]
    pub url: String,
    /// `API-Version` header value.
    #[serde(default = "default_version")]
    pub version: String,
    /// Name of the environment variable holding the token.
    #[serde(default = "default_token_env")]
    pub token_env: String,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            url: default_url(),
            version: default_version(),
            token_env: default_token_env(),
        }
    }
}

fn default_url() -> String {
    "https://api.monday.com/v2".into()
}
fn default_version() -> String {
    "2026-10".into()
}
fn default_token_env() -> String {
    "MONDAY_API_TOKEN".into()
}

/// A board id written as a TOML string or integer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
enum IdRepr {
    Int(u64),
    Text(String),
}

fn de_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match IdRepr::deserialize(d)? {
        IdRepr::Int(n) => n.to_string(),
        IdRepr::Text(s) => s,
    })
}

/// `[board]`: target board, key, groups and item name.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BoardSettings {
    /// Board id (string or integer).
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    /// Source field holding each record's unique key (e.g. `order_id`).
    pub key_source: String,
    /// Text column that stores the key on the board, so reconciliation can find items.
    pub key_column: String,
    /// Put every item into this group.
    #[serde(default)]
    pub group_id: Option<String>,
    /// One group per distinct value of this source field, created on demand (by title).
    #[serde(default)]
    pub group_by: Option<String>,
    /// Item name template over source fields, e.g. `"{po_number} · {style}"`. Falls back to the key
    /// when every placeholder is empty. Default: the key.
    #[serde(default)]
    pub item_name: Option<String>,
    /// Items the board can hold. Default: the board's `items_limit` as the API reports it, else
    /// monday.com's 10,000 per board (`ItemsLimitationException`); set it only to hold a run
    /// below that.
    /// Creates that would not fit are not sent; those records fail as "board full".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
}

/// How a column's value is written (docs/monday-api.md §5.2).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    LongText,
    Numbers,
    Status,
    Dropdown,
    Date,
    Email,
    Phone,
    Link,
    Checkbox,
    Timeline,
}

impl ColumnKind {
    /// The board's `Column.type` this kind writes to.
    pub fn board_type(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::LongText => "long_text",
            ColumnKind::Numbers => "numbers",
            ColumnKind::Status => "status",
            ColumnKind::Dropdown => "dropdown",
            ColumnKind::Date => "date",
            ColumnKind::Email => "email",
            ColumnKind::Phone => "phone",
            ColumnKind::Link => "link",
            ColumnKind::Checkbox => "checkbox",
            ColumnKind::Timeline => "timeline",
        }
    }
}

/// One `[[columns]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    /// Source field (for `timeline`: the start date).
    pub source: String,
    pub column_id: String,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
    /// Let monday.com create status/dropdown labels that do not exist yet.
    #[serde(default)]
    pub create_labels_if_missing: bool,
    /// `timeline` only: source field of the end date.
    #[serde(default)]
    pub source_to: Option<String>,
    /// `phone` only: source field with the ISO-2 country code.
    #[serde(default)]
    pub country_source: Option<String>,
    /// 1-based line of this entry in the config file (filled in by the loader).
    #[serde(skip)]
    pub line: Option<usize>,
}

/// Which write path: `auto` (the default: each group's path planned from the run's estimates,
/// `planning::paths`), batches, one record per request (for comparison only), or bulk import jobs
/// (`ingest`, API 2026-07 and later).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Plan each group's path from the run's estimates (`planning::paths`).
    #[default]
    Auto,
    /// Aliased `create_item` / `change_multiple_column_values` batches only.
    Batch,
    Single,
    /// Every group as a bulk import job.
    Ingest,
}

impl Mode {
    /// Every mode, in the order the docs list them.
    pub const ALL: [Mode; 4] = [Mode::Auto, Mode::Batch, Mode::Single, Mode::Ingest];

    /// The mode as the config spells it (`[sync] mode = "..."`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Batch => "batch",
            Mode::Single => "single",
            Mode::Ingest => "ingest",
        }
    }

    /// Whether the mode may send records as bulk-import jobs (`auto` and `ingest`).
    pub fn may_use_jobs(self) -> bool {
        matches!(self, Mode::Auto | Mode::Ingest)
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown mode `{s}` (expected auto, batch, single or ingest)"))
    }
}

/// `[sync]`: how to send.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    #[serde(default)]
    pub mode: Mode,
    /// Records per request in batch mode. Unset (the default): chosen from the run (how many
    /// records, the per-request complexity cap, the request timeout and the expected latency) so
    /// a run is as few requests as the limits allow. Set: honoured, within the same caps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Requests in flight at once (reads and writes together; writes are further limited by
    /// `write_concurrency`).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Write requests in flight per board (create, update, create_group). Default 1: writes to a
    /// board go one after the other, as monday.com advises. Its development best practices say to
    /// make mutations one after the other: several mutations on the same board at the same time
    /// can corrupt the board's data, and a write that meets another one in progress is refused
    /// with HTTP 423 "Resource is currently locked, please try again later"
    /// (https://developer.monday.com/api-reference/docs/development-best-practices and the API's
    /// error docs). Raise it only if you accept that risk; 423s are waited out either way, and a
    /// write refused with 423 is resent with none of this run's other writes in flight, so the
    /// run's own writes cannot lock each other out indefinitely.
    /// Reads (board read, reconcile look-ups) are not limited by it.
    #[serde(default = "default_write_concurrency")]
    pub write_concurrency: usize,
    /// Retries per request for 5xx, resets, timeouts (waits on 429/423/409 do not count).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    #[serde(default = "default_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Seed for retry jitter and anything else random.
    #[serde(default)]
    pub seed: u64,
    /// Expected server time per mutation, used to keep a batch under the request timeout.
    #[serde(default = "default_ms_per_mutation")]
    pub expected_ms_per_mutation: u64,
    /// Complexity charged per mutation (30,000 on monday.com; docs/monday-api.md §3).
    #[serde(default = "default_mutation_complexity")]
    pub mutation_complexity: u64,
    /// Identity of this run, mixed (with `seed`) into every `Idempotency-Key`. Unset (the default
    /// and what production wants): a fresh id per run from the seed, the start time, the process
    /// id and a counter, so a later run never gets an earlier run's cached response replayed.
    /// Set it only for a reproducible replay (same seed + same run id = the same keys, bit for
    /// bit); never reuse one against a live board within the API's 30-minute replay window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Most rows one bulk import job carries (at most 10,000, the `ingest_items` file cap:
    /// docs/monday-bulk-import.md §2.1, §5).
    #[serde(default = "default_rows_per_job")]
    pub rows_per_job: usize,
    /// Milliseconds between `fetch_job_status` polls. The docs say to poll about every 10 s and
    /// not faster (docs/monday-bulk-import.md §1.3), so less than 10,000 is a config error.
    #[serde(default = "default_job_poll_interval_ms")]
    pub job_poll_interval_ms: u64,
    /// Rows per second a job is expected to process, the estimate the plan starts from (the run
    /// revises it from what its own jobs measure). monday.com publishes no figure
    /// (docs/monday-bulk-import.md §5.4); 250 is the simulator's realistic profile, not a
    /// measurement of the live API.
    #[serde(default = "default_processing_rate")]
    pub processing_rate_rows_per_s: f64,
    /// Expected milliseconds from a job's upload until its rows start to be written (estimate,
    /// revised from measurement; unpublished, like the rate).
    #[serde(default = "default_job_start_delay_ms")]
    pub job_start_delay_ms: u64,
}

/// `ingest_items` takes at most this many data rows per file (docs/monday-bulk-import.md §5).
pub(crate) const MAX_ROWS_PER_JOB: usize = 10_000;
/// The documented polling pace (docs/monday-bulk-import.md §1.3): not faster than every 10 s.
pub(crate) const MIN_JOB_POLL_INTERVAL_MS: u64 = 10_000;
/// The first API version that serves the bulk import (docs/monday-bulk-import.md §1.0).
pub(crate) const BULK_IMPORT_MIN_VERSION: &str = "2026-07";

/// Whether `version` (`YYYY-MM`) is older than the bulk import; `None` when it is not a dated
/// version (such as `dev`), which is left to the API to judge.
pub(crate) fn version_before_bulk_import(version: &str) -> Option<bool> {
    let (y, m) = version.trim().split_once('-')?;
    let dated =
        y.len() == 4 && m.len() == 2 && y.chars().chain(m.chars()).all(|c| c.is_ascii_digit());
    dated.then(|| version.trim() < BULK_IMPORT_MIN_VERSION)
}

fn default_rows_per_job() -> usize {
    MAX_ROWS_PER_JOB
}
fn default_job_poll_interval_ms() -> u64 {
    MIN_JOB_POLL_INTERVAL_MS
}
fn default_processing_rate() -> f64 {
    250.0
}
fn default_job_start_delay_ms() -> u64 {
    2_000
}

fn default_write_concurrency() -> usize {
    1
}
fn default_concurrency() -> usize {
    4
}
fn default_max_retries() -> u32 {
    8
}
fn default_timeout_ms() -> u64 {
    60_000
}
fn default_ms_per_mutation() -> u64 {
    200
}
fn default_mutation_complexity() -> u64 {
    MUTATION_COMPLEXITY
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            mode: Mode::Auto,
            batch_size: None,
            write_concurrency: default_write_concurrency(),
            concurrency: default_concurrency(),
            max_retries: default_max_retries(),
            request_timeout_ms: default_timeout_ms(),
            seed: 0,
            expected_ms_per_mutation: default_ms_per_mutation(),
            mutation_complexity: default_mutation_complexity(),
            run_id: None,
            rows_per_job: default_rows_per_job(),
            job_poll_interval_ms: default_job_poll_interval_ms(),
            processing_rate_rows_per_s: default_processing_rate(),
            job_start_delay_ms: default_job_start_delay_ms(),
        }
    }
}

/// The 1-based line where `key` is assigned inside `[table]` of `text`, if it is.
fn line_of_key(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut in_table = false;
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.starts_with('[') {
            in_table = l.trim_matches(|c| c == '[' || c == ']').trim() == table;
            continue;
        }
        let assigned = l.split_once('=').map(|(k, _)| k.trim().trim_matches('"'));
        if in_table && assigned == Some(key) {
            return Some(i + 1);
        }
    }
    None
}

/// The dotted key assigned on 1-based `line` (`sync.batch_size`), from the nearest table header
/// above it, so a type error names the key as well as the line.
fn key_at_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?;
    let (key, _) = here.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let table = lines[..line - 1].iter().rev().find_map(|l| {
        let l = l.trim();
        let inner = l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]"));
        inner
            .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
            .map(str::trim)
    });
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

/// Helper to read only the spans of `[[columns]]` entries.
#[derive(Deserialize)]
struct ColumnSpans {
    #[serde(default)]
    columns: Vec<toml::Spanned<toml::Table>>,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

impl SyncConfig {
    /// Read and validate a config file.
    pub fn load(path: impl AsRef<Path>) -> Result<SyncConfig, ConfigError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            origin: origin.clone(),
            line: None,
            column: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::from_toml_str(&text, &origin)
    }

    /// Parse and validate config text; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<SyncConfig, ConfigError> {
        let mut cfg: SyncConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let (l, c) = line_col(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            ConfigError {
                origin: origin.to_string(),
                line,
                column,
                key: line.and_then(|l| key_at_line(text, l)),
                message: e.message().trim().to_string(),
            }
        })?;
        if let Ok(spans) = toml::from_str::<ColumnSpans>(text) {
            for (col, span) in cfg.columns.iter_mut().zip(spans.columns.iter()) {
                col.line = Some(line_col(text, span.span().start).0);
            }
        }
        cfg.validate(origin).map_err(|mut e| {
            if e.line.is_none() {
                let dotted = e.key.as_deref().and_then(|k| k.split_once('.'));
                e.line = dotted.and_then(|(t, k)| line_of_key(text, t, k));
            }
            e
        })?;
        cfg.origin = origin.to_string();
        Ok(cfg)
    }

    /// Checks the type system cannot express.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let err = |(key, message, line): (String, String, Option<usize>)| ConfigError {
            origin: origin.to_string(),
            line,
            column: None,
            key: Some(key),
            message,
        };
        self.board_problem()
            .or_else(|| self.sync_count_problem())
            .map_or(Ok(()), |(key, message)| {
                Err(err((key.into(), message, None)))
            })?;
        self.validate_bulk(origin)?;
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.columns.iter().enumerate() {
            let problem = if seen.insert(c.column_id.as_str()) {
                self.column_problem(c)
            } else {
                Some((
                    "column_id",
                    format!(
                        "column `{}` is mapped twice; map each column once",
                        c.column_id
                    ),
                ))
            };
            if let Some((key, message)) = problem {
                return Err(err((format!("columns[{i}].{key}"), message, c.line)));
            }
        }
        Ok(())
    }

    /// `[board]`: a numeric id, and one fixed group or one group per value, not both.
    fn board_problem(&self) -> Option<(&'static str, String)> {
        if self.board.id.trim().is_empty() || !self.board.id.chars().all(|c| c.is_ascii_digit()) {
            return Some((
                "board.id",
                format!("`{}` is not a board id (digits expected)", self.board.id),
            ));
        }
        if self.board.group_id.is_some() && self.board.group_by.is_some() {
            return Some((
                "board.group_by",
                "set either board.group_id (one fixed group) or board.group_by (one group per value), not both".into(),
            ));
        }
        None
    }

    /// `[sync]` counts that must be at least 1, in the order they are checked.
    fn sync_count_problem(&self) -> Option<(&'static str, String)> {
        let s = &self.sync;
        [
            ("sync.batch_size", s.batch_size == Some(0)),
            ("sync.write_concurrency", s.write_concurrency == 0),
            ("sync.concurrency", s.concurrency == 0),
            ("sync.request_timeout_ms", s.request_timeout_ms == 0),
        ]
        .into_iter()
        .find(|(_, zero)| *zero)
        .map(|(key, _)| (key, "must be at least 1".to_string()))
    }

    /// One column mapping on its own: not the key column, and only the keys its type takes
    /// (`source_to` for timelines, which need it; `country_source` for phones; label creation
    /// for status and dropdown). The key is relative to the column (`source_to`).
    fn column_problem(&self, c: &ColumnMapping) -> Option<(&'static str, String)> {
        let timeline = c.kind == ColumnKind::Timeline;
        if c.column_id == self.board.key_column {
            return Some(("column_id", format!("`{}` is the key column (board.key_column); it is written from board.key_source automatically", c.column_id)));
        }
        if timeline && c.source_to.is_none() {
            return Some((
                "source_to",
                "a timeline column needs `source_to` (the end-date field) beside `source` (the start)".into(),
            ));
        }
        if !timeline && c.source_to.is_some() {
            return Some(("source_to", "only timeline columns take `source_to`".into()));
        }
        if c.kind != ColumnKind::Phone && c.country_source.is_some() {
            return Some((
                "country_source",
                "only phone columns take `country_source`".into(),
            ));
        }
        if c.create_labels_if_missing
            && !matches!(c.kind, ColumnKind::Status | ColumnKind::Dropdown)
        {
            return Some((
                "create_labels_if_missing",
                "only status and dropdown columns have labels".into(),
            ));
        }
        None
    }
}

impl SyncConfig {
    /// The bulk import's settings (`rows_per_job`, `job_poll_interval_ms`, the estimates, and
    /// `mode = "ingest"` against an API version that has no bulk import).
    fn validate_bulk(&self, origin: &str) -> Result<(), ConfigError> {
        let err = |key: &str, message: String| ConfigError {
            origin: origin.to_string(),
            line: None,
            column: None,
            key: Some(key.to_string()),
            message,
        };
        let s = &self.sync;
        if s.rows_per_job == 0 || s.rows_per_job > MAX_ROWS_PER_JOB {
            return Err(err(
                "sync.rows_per_job",
                format!("must be 1 to {MAX_ROWS_PER_JOB} (the ingest_items file cap)"),
            ));
        }
        if s.job_poll_interval_ms < MIN_JOB_POLL_INTERVAL_MS {
            return Err(err(
                "sync.job_poll_interval_ms",
                format!("must be at least {MIN_JOB_POLL_INTERVAL_MS}: monday.com asks for job polls about every 10 s, not faster"),
            ));
        }
        if !(s.processing_rate_rows_per_s.is_finite() && s.processing_rate_rows_per_s > 0.0) {
            return Err(err(
                "sync.processing_rate_rows_per_s",
                "must be a positive number of rows per second".into(),
            ));
        }
        if s.mode == Mode::Ingest && version_before_bulk_import(&self.api.version) == Some(true) {
            return Err(err(
                "sync.mode",
                format!(
                    "mode = \"ingest\" needs API version {BULK_IMPORT_MIN_VERSION} or later (api.version is {})",
                    self.api.version
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[board]
id = 1234567890
key_source = "order_id"
key_column = "text_order_key"

[[columns]]
source = "customer"
column_id = "text_customer"
type = "text"
"#;

    #[test]
    fn mode_names_are_the_config_spelling() {
        for mode in Mode::ALL {
            let toml = format!("{MINIMAL}\n[sync]\nmode = \"{mode}\"\n");
            let c = SyncConfig::from_toml_str(&toml, "t.toml").unwrap();
            assert_eq!(c.sync.mode, mode);
            assert_eq!(mode.as_str().parse::<Mode>(), Ok(mode));
        }
        assert!("bulk".parse::<Mode>().is_err());
        assert_eq!(
            Mode::ALL.map(Mode::may_use_jobs),
            [true, false, false, true]
        );
    }

    #[test]
    fn each_validation_names_its_key_first_problem_first() {
        let board = "[board]\nkey_source = \"order_id\"\nkey_column = \"text_order_key\"\n";
        let text =
            "[[columns]]\nsource = \"customer\"\ncolumn_id = \"text_customer\"\ntype = \"text\"\n";
        let cases = [
            (format!("{board}id = \"12ab\"\n{text}"), "board.id"),
            (
                format!("{board}id = 1\ngroup_id = \"g\"\ngroup_by = \"customer\"\n{text}"),
                "board.group_by",
            ),
            (
                format!("{MINIMAL}[sync]\nbatch_size = 0\nconcurrency = 0\n"),
                "sync.batch_size",
            ),
            (
                format!("{MINIMAL}[sync]\nwrite_concurrency = 0\nconcurrency = 0\n"),
                "sync.write_concurrency",
            ),
            (
                format!("{MINIMAL}[sync]\nconcurrency = 0\n"),
                "sync.concurrency",
            ),
            (
                format!("{MINIMAL}[sync]\nrequest_timeout_ms = 0\n"),
                "sync.request_timeout_ms",
            ),
            (format!("{MINIMAL}{text}"), "columns[1].column_id"),
            (
                MINIMAL.replace("\"text_customer\"", "\"text_order_key\""),
                "columns[0].column_id",
            ),
            (
                format!("{MINIMAL}source_to = \"x\"\n"),
                "columns[0].source_to",
            ),
            (
                format!("{MINIMAL}country_source = \"x\"\n"),
                "columns[0].country_source",
            ),
            (
                format!("{MINIMAL}create_labels_if_missing = true\n"),
                "columns[0].create_labels_if_missing",
            ),
        ];
        for (toml, key) in cases {
            let e = SyncConfig::from_toml_str(&toml, "t.toml").unwrap_err();
            assert_eq!(e.key.as_deref(), Some(key), "{toml}\n{e}");
            assert!(!e.message.is_empty());
            assert!(e.line.is_some(), "{e:?}");
        }
    }

    #[test]
    fn defaults_apply() {
        let c = SyncConfig::from_toml_str(MINIMAL, "t.toml").unwrap();
        assert_eq!(c.board.id, "1234567890");
        assert_eq!(c.api.url, "https://api.monday.com/v2");
        assert_eq!(c.api.version, "2026-10");
        assert_eq!(c.api.token_env, "MONDAY_API_TOKEN");
        assert_eq!(c.sync.mode, Mode::Auto);
        assert_eq!(c.sync.rows_per_job, 10_000);
        assert_eq!(c.sync.job_poll_interval_ms, 10_000);
        assert_eq!(c.sync.processing_rate_rows_per_s, 250.0);
        assert_eq!(c.sync.job_start_delay_ms, 2_000);
        assert_eq!(c.sync.batch_size, None);
        assert_eq!(c.sync.write_concurrency, 1);
        assert_eq!(c.sync.concurrency, 4);
        assert_eq!(c.sync.max_retries, 8);
        assert_eq!(c.sync.request_timeout_ms, 60_000);
        assert_eq!(c.columns[0].line, Some(7));
    }

    #[test]
    fn unknown_key_rejected_with_line() {
        let text = format!("{MINIMAL}\n[sync]\nbatch_sise = 3\n");
        let e = SyncConfig::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.origin, "t.toml");
        assert_eq!(e.line, Some(13));
        assert!(e.message.contains("batch_sise"), "{e}");
    }

    #[test]
    fn wrong_type_rejected_with_line() {
        let text = format!("{MINIMAL}\n[sync]\nbatch_size = \"big\"\n");
        let e = SyncConfig::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.line, Some(13));
        assert!(e.to_string().starts_with("t.toml:13"), "{e}");
    }

    #[test]
    fn timeline_needs_end_field() {
        let text = format!(
            "{MINIMAL}\n[[columns]]\nsource = \"a\"\ncolumn_id = \"t\"\ntype = \"timeline\"\n"
        );
        let e = SyncConfig::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("columns[1].source_to"));
        assert_eq!(e.line, Some(12));
    }

    #[test]
    fn missing_board_rejected() {
        let e = SyncConfig::from_toml_str("[sync]\nmode = \"batch\"\n", "x.toml").unwrap_err();
        assert!(e.message.contains("board"), "{e}");
    }

    #[test]
    fn example_config_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/order_list.toml");
        let c = SyncConfig::load(path).unwrap();
        assert_eq!(c.board.group_by.as_deref(), Some("customer"));
        assert!(c.columns.len() >= 15);
    }

    #[test]
    fn type_errors_name_the_key_and_line() {
        let example = include_str!("../../configs/order_list.toml");
        let text = example.replacen("write_concurrency = 1", "write_concurrency = \"one\"", 1);
        let err = SyncConfig::from_toml_str(&text, "c.toml").unwrap_err();
        assert_eq!(err.line, Some(107));
        assert_eq!(err.key.as_deref(), Some("sync.write_concurrency"));
        assert!(err.to_string().starts_with("c.toml:107:"), "{err}");
    }

    #[test]
    fn a_fast_poll_interval_names_key_and_line() {
        let text = format!("{MINIMAL}\n[sync]\nmode = \"auto\"\njob_poll_interval_ms = 2000\n");
        let e = SyncConfig::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sync.job_poll_interval_ms"));
        assert_eq!(e.line, Some(14));
        assert!(e.to_string().starts_with("t.toml:14"), "{e}");
    }

    #[test]
    fn rows_per_job_is_capped() {
        let text = format!("{MINIMAL}\n[sync]\nrows_per_job = 10001\n");
        let e = SyncConfig::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sync.rows_per_job"));
        assert_eq!(e.line, Some(13));
    }

    #[test]
    fn ingest_needs_a_version_with_the_bulk_import() {
        let text = format!("[api]\nversion = \"2026-04\"\n{MINIMAL}\n[sync]\nmode = \"ingest\"\n");
        let e = SyncConfig::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("sync.mode"));
        assert!(e.message.contains("2026-07"), "{e}");
        let auto = text.replace("mode = \"ingest\"", "mode = \"auto\"");
        assert!(SyncConfig::from_toml_str(&auto, "t.toml").is_ok());
        assert_eq!(version_before_bulk_import("2026-04"), Some(true));
        assert_eq!(version_before_bulk_import("2026-07"), Some(false));
        assert_eq!(version_before_bulk_import("dev"), None);
    }
}
