//! Simulator configuration: plan, token kind, latency profile, limits, faults and fixture.
//!
//! Every number here is a setting with the documented default of `docs/monday-api.md`; [`SimConfig`]
//! and its parts are serde types so a TOML file can override any of them.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::faults::FaultConfig;
use crate::graphql::CostSettings;
use crate::latency::LatencySettings;
pub use crate::limits::WindowMode;
use crate::limits::{BoardLock, Budgets, ComplexityBudget};
use crate::store::Fixture;

/// Account plan: selects the minute, concurrency and daily limits (docs/monday-api.md §2.3-2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// "Other" plans in the rate-limit tables.
    Basic,
    /// "Other" plans in the rate-limit tables.
    Standard,
    /// Pro (the default).
    #[default]
    Pro,
    /// Enterprise.
    Enterprise,
}

/// Kind of token: selects the complexity budget (docs/monday-api.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Personal API token: reads and writes share one 10M/min budget (the default).
    #[default]
    Personal,
    /// App (OAuth) token: 5M/min reads and 5M/min writes, separate buckets.
    App,
    /// Trial, free or NGO account: 1M/min.
    Trial,
}

/// Latency profile: `instant`, `realistic` (default) or custom numbers (from a TOML file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LatencyProfile {
    /// Zero delay everywhere.
    Instant,
    /// Estimates from docs/monday-api.md §8 (see `profiles/realistic.toml`).
    #[default]
    Realistic,
    /// Custom numbers.
    Custom(LatencySettings),
}

impl LatencyProfile {
    /// The numbers this profile stands for.
    pub fn settings(&self) -> LatencySettings {
        match self {
            Self::Instant => LatencySettings::instant(),
            Self::Realistic => LatencySettings::realistic(),
            Self::Custom(s) => s.clone(),
        }
    }

    /// Loads a custom profile from a TOML file's text (keys of [`LatencySettings`]; the job
    /// keys `job_*` belong to [`crate::jobs::JobTiming::from_profile_toml`] and are skipped here).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, SetupError> {
        let bad = |message: String| SetupError::Profile {
            origin: origin.to_string(),
            message,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let table: toml::Table = table
            .into_iter()
            .filter(|(k, _)| !k.starts_with("job_"))
            .collect();
        let s: LatencySettings = table.try_into().map_err(|e| bad(e.to_string()))?;
        s.validate().map_err(|message| SetupError::Profile {
            origin: origin.to_string(),
            message,
        })?;
        Ok(Self::Custom(s))
    }
}

/// A name given on the command line was not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of: {expected}")]
pub struct UnknownName {
    /// What kind of name (plan, token kind, profile).
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// The accepted names.
    pub expected: &'static str,
}

impl FromStr for Plan {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "basic" | "other" | "free" => Ok(Self::Basic),
            "standard" => Ok(Self::Standard),
            "pro" => Ok(Self::Pro),
            "enterprise" => Ok(Self::Enterprise),
            _ => Err(UnknownName {
                what: "plan",
                given: s.to_string(),
                expected: "basic, standard, pro, enterprise",
            }),
        }
    }
}

impl FromStr for TokenKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "personal" => Ok(Self::Personal),
            "app" => Ok(Self::App),
            "trial" | "free" | "ngo" => Ok(Self::Trial),
            _ => Err(UnknownName {
                what: "token kind",
                given: s.to_string(),
                expected: "personal, app, trial",
            }),
        }
    }
}

impl FromStr for LatencyProfile {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "instant" => Ok(Self::Instant),
            "realistic" => Ok(Self::Realistic),
            _ => Err(UnknownName {
                what: "latency profile",
                given: s.to_string(),
                expected: "instant, realistic (or a TOML file path on the CLI)",
            }),
        }
    }
}

/// Every limit number (docs/monday-api.md §2). All are settings; defaults are the documented values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Personal token budget per window, reads and writes combined.
    pub personal_budget: u64,
    /// App token read budget per window.
    pub app_read_budget: u64,
    /// App token write budget per window.
    pub app_write_budget: u64,
    /// Trial / free / NGO budget per window.
    pub trial_budget: u64,
    /// Maximum complexity of a single request.
    pub max_complexity_per_request: u64,
    /// Complexity window length in seconds.
    pub complexity_window_secs: u64,
    /// Fixed (from the first call) or sliding window.
    pub complexity_window: WindowMode,
    /// Requests per minute on Basic/Standard ("other") plans.
    pub minute_requests_other: u32,
    /// Requests per minute on Pro.
    pub minute_requests_pro: u32,
    /// Requests per minute on Enterprise.
    pub minute_requests_enterprise: u32,
    /// Concurrent requests on Basic/Standard.
    pub concurrency_other: u32,
    /// Concurrent requests on Pro.
    pub concurrency_pro: u32,
    /// Concurrent requests on Enterprise.
    pub concurrency_enterprise: u32,
    /// Requests per IP per `ip_window_secs`.
    pub ip_requests: u32,
    /// IP limit window in seconds.
    pub ip_window_secs: u64,
    /// Daily call limit on/off (on by default, like the live API; resets at midnight UTC of
    /// the simulated clock).
    pub daily_enabled: bool,
    /// Daily calls on Basic/Standard.
    pub daily_other: u32,
    /// Daily calls on Pro.
    pub daily_pro: u32,
    /// Daily calls on Enterprise.
    pub daily_enterprise: u32,
    /// How long an `Idempotency-Key` response is kept (simulated seconds).
    pub idempotency_ttl_secs: u64,
    /// Largest accepted request body (413 beyond).
    pub max_body_bytes: usize,
    /// Deepest `{` nesting accepted in a query document (an error beyond, before parsing).
    pub max_query_depth: usize,
    /// `ItemsLimitationException` threshold.
    pub items_limit_per_board: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            personal_budget: 10_000_000,
            app_read_budget: 5_000_000,
            app_write_budget: 5_000_000,
            trial_budget: 1_000_000,
            max_complexity_per_request: 5_000_000,
            complexity_window_secs: 60,
            complexity_window: WindowMode::Fixed,
            minute_requests_other: 1_000,
            minute_requests_pro: 2_500,
            minute_requests_enterprise: 5_000,
            concurrency_other: 40,
            concurrency_pro: 100,
            concurrency_enterprise: 250,
            ip_requests: 5_000,
            ip_window_secs: 10,
            daily_enabled: true,
            daily_other: 1_000,
            daily_pro: 10_000,
            daily_enterprise: 25_000,
            idempotency_ttl_secs: 30 * 60,
            max_body_bytes: 10 * 1024 * 1024,
            max_query_depth: 32,
            items_limit_per_board: 10_000,
        }
    }
}

impl LimitSettings {
    /// The complexity buckets of a `kind` token (docs/monday-api.md §2.1): one shared bucket for personal
    /// and trial tokens, one for reads and one for writes for app tokens; window length and
    /// mode from these settings.
    pub fn budgets(&self, kind: TokenKind) -> Budgets {
        let window = Duration::from_secs(self.complexity_window_secs);
        let budget = |limit| ComplexityBudget::new(limit, window, self.complexity_window);
        match kind {
            TokenKind::Personal => Budgets::Shared(budget(self.personal_budget)),
            TokenKind::Trial => Budgets::Shared(budget(self.trial_budget)),
            TokenKind::App => Budgets::Split {
                read: budget(self.app_read_budget),
                write: budget(self.app_write_budget),
            },
        }
    }

    /// Requests per minute for `plan`.
    pub fn minute_requests(&self, plan: Plan) -> u32 {
        match plan {
            Plan::Basic | Plan::Standard => self.minute_requests_other,
            Plan::Pro => self.minute_requests_pro,
            Plan::Enterprise => self.minute_requests_enterprise,
        }
    }

    /// Concurrent requests for `plan`.
    pub fn concurrency(&self, plan: Plan) -> u32 {
        match plan {
            Plan::Basic | Plan::Standard => self.concurrency_other,
            Plan::Pro => self.concurrency_pro,
            Plan::Enterprise => self.concurrency_enterprise,
        }
    }

    /// Daily calls for `plan`.
    pub fn daily(&self, plan: Plan) -> u32 {
        match plan {
            Plan::Basic | Plan::Standard => self.daily_other,
            Plan::Pro => self.daily_pro,
            Plan::Enterprise => self.daily_enterprise,
        }
    }
}

/// Which seconds the durations an answer reports are in (`Retry-After`, `retry_in_seconds`,
/// `reset_in_x_seconds`, the `RateLimit` header's `t=`, the budget message's "reset in N seconds").
///
/// monday.com reports real seconds, and on an unscaled clock simulated seconds are real seconds.
/// On a scaled clock (`time_scale` != 1) a client that waits what it is told waits simulated
/// seconds in real time unless the server reports wall seconds: `Wall` is a deliberate departure
/// from monday.com for scaled runs of clients that do not know the scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportDurations {
    /// Simulated seconds (the default; what monday.com does at `time_scale` 1).
    #[default]
    Simulated,
    /// Wall-clock seconds: the simulated duration times `time_scale`, rounded up to whole
    /// seconds, at least 1.
    Wall,
}

impl ReportDurations {
    /// The whole seconds to report for a wait of `simulated` on a clock running at `time_scale`
    /// wall seconds per simulated second: rounded up, never 0 (a reported wait is always a
    /// wait). The one place the simulator decides what a reported duration is.
    pub fn whole_secs(self, simulated: Duration, time_scale: f64) -> u64 {
        let reported = match self {
            Self::Simulated => simulated,
            // To the microsecond, so that float noise (100 s x 0.01 = 1.0000000000000002 s) does
            // not round up to another whole second.
            Self::Wall => Duration::from_micros(
                (simulated.as_secs_f64() * time_scale * 1e6)
                    .round()
                    .clamp(0.0, u64::MAX as f64) as u64,
            ),
        };
        let secs = reported.as_secs() + u64::from(reported.subsec_nanos() > 0);
        secs.max(1)
    }
}

impl FromStr for ReportDurations {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "simulated" => Ok(Self::Simulated),
            "wall" => Ok(Self::Wall),
            _ => Err(UnknownName {
                what: "report durations",
                given: s.to_string(),
                expected: "simulated, wall",
            }),
        }
    }
}

impl std::fmt::Display for ReportDurations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Simulated => "simulated",
            Self::Wall => "wall",
        })
    }
}

/// The whole simulator configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Latency profile.
    pub profile: LatencyProfile,
    /// Account plan.
    pub plan: Plan,
    /// Token kind.
    pub token_kind: TokenKind,
    /// Seed of every random choice.
    pub seed: u64,
    /// Wall seconds per simulated second (0.01: a 60 s window passes in 0.6 s).
    pub time_scale: f64,
    /// When set, only this `Authorization` value is accepted.
    pub token: Option<String>,
    /// Boards to start with (not serialized; the default Order List board).
    #[serde(skip, default = "Fixture::default_order_list")]
    pub fixture: Fixture,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Complexity costs.
    pub costs: CostSettings,
    /// Limits.
    pub limits: LimitSettings,
    /// An SDL to serve instead of the embedded published 2026-10 schema.
    #[serde(skip_serializing)]
    pub schema_sdl: Option<String>,
    /// Simulated date and time the clock starts at (RFC 3339, UTC, not before
    /// 2026-01-01T00:00:00Z; default that instant). Timestamps and the daily limit's midnight
    /// follow it.
    pub start_time: Option<String>,
    /// Board write locks: `off`, `strict` (default) or a probability per overlapping write
    /// (see [`crate::limits::board_lock`]).
    pub board_lock: BoardLock,
    /// Entries the request log keeps (`GET /__admin/requests`); 0 = off (the library default;
    /// `mock-monday serve` keeps 100,000). See [`crate::request_log`].
    pub request_log_capacity: usize,
    /// Whether reported durations are simulated (default) or wall seconds (see
    /// [`ReportDurations`]; `mock-monday serve --report-durations`).
    pub report_durations: ReportDurations,
    /// The bulk import (`ingest_items`, `backfill_items`, the upload, `fetch_job_status`):
    /// limits, choices and job speed (see [`crate::jobs`]).
    pub bulk: crate::jobs::BulkSettings,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            profile: LatencyProfile::default(),
            plan: Plan::default(),
            token_kind: TokenKind::default(),
            seed: 0,
            time_scale: 1.0,
            token: None,
            fixture: Fixture::default_order_list(),
            faults: FaultConfig::default(),
            costs: CostSettings::default(),
            limits: LimitSettings::default(),
            schema_sdl: None,
            start_time: None,
            board_lock: BoardLock::default(),
            request_log_capacity: 0,
            report_durations: ReportDurations::Simulated,
            bulk: crate::jobs::BulkSettings::default(),
        }
    }
}

/// Why a simulator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The `--schema` SDL did not load.
    #[error(transparent)]
    Schema(#[from] crate::graphql::SchemaLoadError),
    /// A latency profile file was invalid.
    #[error("latency profile {origin}: {message}")]
    Profile {
        /// File or name.
        origin: String,
        /// What was wrong.
        message: String,
    },
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    Invalid(String),
}

impl SimConfig {
    /// The simulated instant the clock starts at ([`SimConfig::start_time`] minus the epoch).
    pub fn start_offset(&self) -> Result<std::time::Duration, SetupError> {
        let Some(text) = self.start_time.as_deref() else {
            return Ok(std::time::Duration::ZERO);
        };
        let at = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
            SetupError::Invalid(format!("start_time {text:?} is not RFC 3339: {e}"))
        })?;
        let secs = at.timestamp() - crate::clock::EPOCH_UNIX_SECS;
        u64::try_from(secs)
            .map(std::time::Duration::from_secs)
            .map_err(|_| {
                SetupError::Invalid(format!(
                    "start_time {text:?} is before the simulated epoch 2026-01-01T00:00:00Z"
                ))
            })
    }

    /// How fast bulk-import jobs run: `bulk.timing` when set, else the latency profile's
    /// (`instant`: at once; any other: the `realistic` estimate).
    pub fn job_timing(&self) -> crate::jobs::JobTiming {
        self.bulk.timing.unwrap_or(match self.profile {
            LatencyProfile::Instant => crate::jobs::JobTiming::instant(),
            _ => crate::jobs::JobTiming::realistic(),
        })
    }

    /// Checks ranges that would otherwise make the simulator misbehave.
    pub fn validate(&self) -> Result<(), SetupError> {
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(SetupError::Invalid(format!(
                "time_scale must be a positive number, got {}",
                self.time_scale
            )));
        }
        self.start_offset()?;
        if self.limits.complexity_window_secs == 0 || self.limits.ip_window_secs == 0 {
            return Err(SetupError::Invalid("window lengths must be > 0".into()));
        }
        if let Some(t) = &self.bulk.timing {
            t.validate().map_err(SetupError::Invalid)?;
        }
        self.profile
            .settings()
            .validate()
            .map_err(|message| SetupError::Profile {
                origin: "config".into(),
                message,
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_durations_round_up_and_are_never_zero() {
        let s = Duration::from_secs;
        let sim = ReportDurations::Simulated;
        let wall = ReportDurations::Wall;
        // Simulated: today's `Retry-After` rounding, whatever the scale.
        assert_eq!(sim.whole_secs(s(30), 0.01), 30);
        assert_eq!(sim.whole_secs(s(30) + Duration::from_nanos(1), 0.01), 31);
        assert_eq!(sim.whole_secs(Duration::ZERO, 1.0), 1);
        // Wall: scaled, rounded up, at least 1.
        assert_eq!(wall.whole_secs(s(50), 0.1), 5);
        assert_eq!(wall.whole_secs(s(51), 0.1), 6);
        assert_eq!(wall.whole_secs(s(60), 0.01), 1);
        assert_eq!(wall.whole_secs(s(100), 0.01), 1, "float noise is no second");
        assert_eq!(wall.whole_secs(s(101), 0.01), 2);
        assert_eq!(wall.whole_secs(Duration::ZERO, 0.01), 1);
        assert_eq!(
            wall.whole_secs(s(30), 1.0),
            30,
            "unscaled: the same seconds"
        );
        assert_eq!(
            wall.whole_secs(s(30), 2.0),
            60,
            "a slower clock waits longer"
        );
    }

    #[test]
    fn names_parse_like_the_cli() {
        assert_eq!("Pro".parse::<Plan>().unwrap(), Plan::Pro);
        assert_eq!("other".parse::<Plan>().unwrap(), Plan::Basic);
        assert_eq!("app".parse::<TokenKind>().unwrap(), TokenKind::App);
        assert_eq!("free".parse::<TokenKind>().unwrap(), TokenKind::Trial);
        assert_eq!(
            "instant".parse::<LatencyProfile>().unwrap(),
            LatencyProfile::Instant
        );
        let err = "gold".parse::<Plan>().unwrap_err();
        assert!(err.to_string().contains("enterprise"));
    }

    #[test]
    fn limits_by_plan_match_the_docs() {
        let l = LimitSettings::default();
        assert_eq!(l.minute_requests(Plan::Basic), 1_000);
        assert_eq!(l.minute_requests(Plan::Pro), 2_500);
        assert_eq!(l.minute_requests(Plan::Enterprise), 5_000);
        assert_eq!(l.concurrency(Plan::Standard), 40);
        assert_eq!(l.concurrency(Plan::Pro), 100);
        assert_eq!(l.concurrency(Plan::Enterprise), 250);
    }

    #[test]
    fn budgets_by_token_kind_match_the_docs() {
        let l = LimitSettings::default();
        let s = Duration::from_secs;
        let mut personal = l.budgets(TokenKind::Personal);
        assert_eq!(personal.bucket(false).limit(), 10_000_000);
        personal.bucket(true).charge(s(0), 7);
        assert_eq!(
            personal.bucket(false).remaining(s(1)),
            10_000_000 - 7,
            "one shared bucket"
        );
        assert_eq!(l.budgets(TokenKind::Trial).bucket(true).limit(), 1_000_000);
        let mut app = l.budgets(TokenKind::App);
        app.bucket(true).charge(s(0), 7);
        assert_eq!(
            app.bucket(false).remaining(s(1)),
            5_000_000,
            "reads apart from writes"
        );
        assert_eq!(app.bucket(true).remaining(s(1)), 5_000_000 - 7);
    }

    #[test]
    fn start_time_is_an_offset_from_the_epoch() {
        let mut c = SimConfig::default();
        assert_eq!(c.start_offset().unwrap(), std::time::Duration::ZERO);
        c.start_time = Some("2026-01-02T23:00:00Z".into());
        assert_eq!(c.start_offset().unwrap().as_secs(), 86_400 + 23 * 3600);
        c.start_time = Some("2025-12-31T00:00:00Z".into());
        assert!(c.validate().is_err());
        c.start_time = Some("tomorrow".into());
        assert!(c.validate().is_err());
    }

    #[test]
    fn realistic_profile_file_matches_the_code() {
        use crate::jobs::JobTiming;
        let settings = |text: &str| match LatencyProfile::from_toml_str(text, "file") {
            Ok(LatencyProfile::Custom(s)) => s,
            other => panic!("profile parses: {other:?}"),
        };
        let text = include_str!("../profiles/realistic.toml");
        assert_eq!(settings(text), crate::latency::LatencySettings::realistic());
        assert_eq!(
            JobTiming::from_profile_toml(text).unwrap(),
            Some(JobTiming::realistic())
        );
        let text = include_str!("../profiles/instant.toml");
        assert_eq!(settings(text), crate::latency::LatencySettings::instant());
        assert_eq!(
            JobTiming::from_profile_toml(text).unwrap(),
            Some(JobTiming::instant())
        );
    }

    #[test]
    fn limits_load_from_toml() {
        let l: LimitSettings = toml::from_str("personal_budget = 5\nconcurrency_pro = 7").unwrap();
        assert_eq!(l.personal_budget, 5);
        assert_eq!(l.concurrency_pro, 7);
        assert_eq!(l.trial_budget, 1_000_000);
        assert!(toml::from_str::<LimitSettings>("nope = 1").is_err());
    }
}
