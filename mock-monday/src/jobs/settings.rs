//! The bulk import's settings ([`BulkSettings`], `SimConfig::bulk`) and how fast a job runs
//! ([`JobTiming`], from the latency profile). Every number is the documented value where
//! monday.com documents one; the others are the simulator's choices, each named in the README's
//! behaviour table.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which writes spend the 19,000 items per account per hour budget (undocumented beyond ingest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BudgetScope {
    /// Only `ingest_items` rows (the default: the docs tie the budget to ingest only).
    #[default]
    IngestOnly,
    /// Items created by `create_item` / `create_subitem` spend it too (they are never refused
    /// by it; they only leave less room for the next ingest job).
    Shared,
}

/// What a second job on a board does while another is unfinished (undocumented for 2026-07/10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BoardJobs {
    /// One job per board at a time: a later job waits (shown as `PROCESSING` at 0 %) until the
    /// earlier one ends (the default; API 2027-01 introduces exactly such a per-board queue).
    #[default]
    Serial,
    /// Jobs on one board run side by side.
    Parallel,
}

/// How the bulk import behaves. Defaults: the documented limits, and the stricter reading where
/// the docs are silent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BulkSettings {
    /// Items an account may create or update by ingest per rolling hour (documented: 19,000).
    pub items_per_hour: u64,
    /// Which writes spend that budget.
    pub budget_scope: BudgetScope,
    /// Successful `ingest_items` + `backfill_items` calls per account per rolling hour
    /// (documented: 100).
    pub job_starts_per_hour: u32,
    /// Data rows per file for `ingest_items` (documented: 10,000; the header does not count).
    pub ingest_max_rows: usize,
    /// Data rows per file for `backfill_items` (documented: 20,000).
    pub backfill_max_rows: usize,
    /// Largest file in bytes (documented: 150 MB, taken as 150 MiB); larger -> `FILE_TOO_LARGE`.
    pub max_file_bytes: usize,
    /// Lifetime of an `upload_url` and of a `report_url` in seconds (documented: 10 minutes).
    pub url_lifetime_secs: u64,
    /// Jobs on one board: serial (default) or parallel.
    pub board_jobs: BoardJobs,
    /// While a job processes rows of a board, other item writes to that board get HTTP 423 with
    /// `Retry-After` until it ends (default true: the stricter reading; false lets them through).
    pub lock_board_during_job: bool,
    /// `Authorization` tokens of account admins (who may call `backfill_items`); None: every
    /// token is an admin (the simulated account has one user per token and no roles otherwise).
    pub admin_tokens: Option<Vec<String>>,
    /// How fast jobs run; None: from the latency profile (`instant` or `realistic`).
    pub timing: Option<JobTiming>,
    /// Absolute base of the upload and report URLs (e.g. `http://127.0.0.1:8080`); None: the
    /// address the face serves on (`mock-monday serve`, the wiremock face), or
    /// `http://mock-monday.invalid` in process.
    pub public_base_url: Option<String>,
}

impl Default for BulkSettings {
    fn default() -> Self {
        Self {
            items_per_hour: 19_000,
            budget_scope: BudgetScope::IngestOnly,
            job_starts_per_hour: 100,
            ingest_max_rows: 10_000,
            backfill_max_rows: 20_000,
            max_file_bytes: 150 * 1024 * 1024,
            url_lifetime_secs: 600,
            board_jobs: BoardJobs::Serial,
            lock_board_during_job: true,
            admin_tokens: None,
            timing: None,
            public_base_url: None,
        }
    }
}

impl BulkSettings {
    /// How long an upload or report URL stays valid.
    pub fn url_lifetime(&self) -> Duration {
        Duration::from_secs(self.url_lifetime_secs)
    }
}

/// How long a job takes (keys `job_start_delay_ms` and `job_rows_per_second` of a latency
/// profile file). monday.com publishes no figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobTiming {
    /// From the upload to the start of row processing (validation, capacity check).
    pub job_start_delay_ms: f64,
    /// Rows processed per simulated second; 0 = all rows at once.
    pub job_rows_per_second: f64,
}

impl Default for JobTiming {
    fn default() -> Self {
        Self::realistic()
    }
}

impl JobTiming {
    /// The `realistic` estimate (see `profiles/realistic.toml`): 2 s to start, 250 rows/s, so a
    /// 10,000-row job ends 42 s after its upload, inside the 60 s polling window monday.com's
    /// own draft tool expected.
    pub fn realistic() -> Self {
        Self {
            job_start_delay_ms: 2_000.0,
            job_rows_per_second: 250.0,
        }
    }

    /// The `instant` profile: a job is done by the next poll after its upload.
    pub fn instant() -> Self {
        Self {
            job_start_delay_ms: 0.0,
            job_rows_per_second: 0.0,
        }
    }

    /// The job keys of a latency profile file; None when the file has none.
    pub fn from_profile_toml(text: &str) -> Result<Option<Self>, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        if !table.keys().any(|k| k.starts_with("job_")) {
            return Ok(None);
        }
        let jobs: toml::Table = table
            .into_iter()
            .filter(|(k, _)| k.starts_with("job_"))
            .collect();
        let t: JobTiming = jobs.try_into().map_err(|e| e.to_string())?;
        t.validate()?;
        Ok(Some(t))
    }

    /// Both numbers finite and not negative.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("job_start_delay_ms", self.job_start_delay_ms),
            ("job_rows_per_second", self.job_rows_per_second),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} must be a number >= 0, got {v}"));
            }
        }
        Ok(())
    }

    /// The delay from upload to processing.
    pub fn start_delay(&self) -> Duration {
        Duration::try_from_secs_f64(self.job_start_delay_ms / 1_000.0).unwrap_or(Duration::MAX)
    }

    /// When row `done` (1-based count) of a job that started processing at `start` is committed.
    pub fn row_done_at(&self, start: Duration, done: usize) -> Duration {
        if self.job_rows_per_second <= 0.0 {
            return start;
        }
        start
            + Duration::try_from_secs_f64(done as f64 / self.job_rows_per_second)
                .unwrap_or(Duration::MAX)
    }

    /// How many rows of a job that started at `start` are committed by `now`.
    pub fn rows_done_by(&self, start: Duration, now: Duration, total: usize) -> usize {
        if now < start {
            return 0;
        }
        if self.job_rows_per_second <= 0.0 {
            return total;
        }
        let n = ((now - start).as_secs_f64() * self.job_rows_per_second + 1e-9).floor();
        (n as usize).min(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_timing_fits_ten_thousand_rows_in_the_sixty_second_window() {
        let t = JobTiming::realistic();
        let start = t.start_delay();
        let end = t.row_done_at(start, 10_000);
        assert_eq!(end, Duration::from_secs(42));
        assert!(end < Duration::from_secs(60));
        assert_eq!(
            t.rows_done_by(start, start + Duration::from_secs(1), 10_000),
            250
        );
    }

    #[test]
    fn instant_timing_does_everything_at_once() {
        let t = JobTiming::instant();
        assert_eq!(t.rows_done_by(Duration::ZERO, Duration::ZERO, 7), 7);
    }

    #[test]
    fn job_keys_come_from_a_profile_file() {
        let t = JobTiming::from_profile_toml("base_median_ms = 1.0\njob_rows_per_second = 5.0")
            .unwrap()
            .unwrap();
        assert_eq!(t.job_rows_per_second, 5.0);
        assert_eq!(t.job_start_delay_ms, 2_000.0);
        assert_eq!(
            JobTiming::from_profile_toml("base_median_ms = 1.0").unwrap(),
            None
        );
        assert!(JobTiming::from_profile_toml("job_rows_per_second = -1.0").is_err());
    }
}
