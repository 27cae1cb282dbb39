//! Injected faults (`--faults 5xx=0.05,reset=0.02,slow=0.01,commit_then_fail=0.01,lock=0.01`).
//!
//! Each is a per-request probability drawn from the simulator's seeded RNG:
//! - `5xx`: HTTP 500/502/503, the mutation is NOT applied;
//! - `reset`: the connection drops without a response, NOT applied;
//! - `slow`: the response comes after `slow_secs` (beyond a typical client timeout) and the
//!   mutation IS applied: the outcome is ambiguous for the client;
//! - `commit_then_fail`: applied, but the client gets a 500 or a reset; the real success is
//!   stored under the request's `Idempotency-Key`, so a retry with that key replays it;
//! - `commit_then_fail_every=N` (deterministic, no draw): every Nth write request that is
//!   executed (not refused, not a replay, no other fault drawn) fails the same way after it
//!   commits; `1` = every write, so every write a client makes is retried at least once and a
//!   retry that is not a replay executes (and commits) again;
//! - `lock`: HTTP 423 when another in-flight request writes the same board (with this
//!   probability in that situation), NOT applied;
//! - `storm`: a 429 storm starts (probability per request outside a storm) and, for
//!   `storm_secs` simulated seconds, every request is refused with HTTP 429 in the shape of the
//!   minute-rate limit (`Retry-After` and `retry_in_seconds` = time left in the storm), NOT
//!   applied. Storms draw from their own seeded stream: the requests a storm lets through see
//!   the same draws of the other faults as without storms.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// HTTP 500/502/503, not applied.
    ServerError,
    /// Connection reset, not applied.
    Reset,
    /// Response slower than the client's timeout, applied.
    Slow,
    /// Applied, then the client gets an error.
    CommitThenFail,
    /// HTTP 423 board lock, not applied.
    Lock,
    /// HTTP 429 during a rate-limit storm, not applied.
    Storm,
    /// A CSV upload whose connection drops before the file is stored.
    UploadCut,
    /// A bulk-import job that ends `FAILED` / `INTERNAL_ERROR` after part of its rows.
    JobInternalError,
}

impl FaultKind {
    /// The name used in `--faults` and in stats.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServerError => "5xx",
            Self::Reset => "reset",
            Self::Slow => "slow",
            Self::CommitThenFail => "commit_then_fail",
            Self::Lock => "lock",
            Self::Storm => "storm",
            Self::UploadCut => "upload_cut",
            Self::JobInternalError => "job_internal_error",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Fault probabilities (all 0 by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Probability of an HTTP 5xx.
    #[serde(rename = "5xx")]
    pub server_error: f64,
    /// Probability of a connection reset.
    pub reset: f64,
    /// Probability of a slow response.
    pub slow: f64,
    /// Probability of commit-then-fail.
    pub commit_then_fail: f64,
    /// Probability of a 423 when another in-flight request writes the same board.
    pub lock: f64,
    /// Delay of a `slow` response in simulated seconds.
    pub slow_secs: f64,
    /// Probability per request (outside a storm) that a 429 storm starts.
    pub storm: f64,
    /// Length of a 429 storm in simulated seconds.
    pub storm_secs: f64,
    /// Probability that a CSV upload (`PUT` to an `upload_url`) is cut: the connection drops,
    /// nothing is stored, the job stays `UPLOAD_PENDING`. Drawn from the bulk import's own
    /// stream, so it never shifts the other faults' draws.
    pub upload_cut: f64,
    /// Probability that a validated bulk-import job ends `FAILED` / `INTERNAL_ERROR` after
    /// committing a random part of its rows (the rest count as failed).
    pub job_internal_error: f64,
    /// Deterministic commit-then-fail: every Nth executed write request (0 = off).
    pub commit_then_fail_every: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            server_error: 0.0,
            reset: 0.0,
            slow: 0.0,
            commit_then_fail: 0.0,
            lock: 0.0,
            slow_secs: 120.0,
            storm: 0.0,
            storm_secs: 10.0,
            upload_cut: 0.0,
            job_internal_error: 0.0,
            commit_then_fail_every: 0,
        }
    }
}

/// A `--faults` spec that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    /// A part without `=`.
    #[error("fault spec part {0:?} is not NAME=PROBABILITY (e.g. 5xx=0.05)")]
    MissingEquals(String),
    /// An unknown fault name.
    #[error("unknown fault {0:?}; known: 5xx, reset, slow, commit_then_fail, commit_then_fail_every, lock, storm, slow_secs, storm_secs")]
    UnknownKind(String),
    /// A value that is not a number in range.
    #[error("fault {kind}: {value:?} is not a probability between 0 and 1")]
    BadProbability {
        /// The fault name.
        kind: String,
        /// The text given.
        value: String,
    },
    /// A name given twice.
    #[error("fault {0} given twice")]
    Duplicate(String),
    /// The exclusive probabilities add up to more than 1.
    #[error("5xx + reset + slow + commit_then_fail add up to {0}, more than 1")]
    SumTooLarge(f64),
}

impl FaultConfig {
    /// Parses `NAME=VALUE[,NAME=VALUE...]`; an empty spec means no faults. `slow_secs` sets the
    /// delay of the slow fault, `storm_secs` the length of a 429 storm.
    pub fn parse(spec: &str) -> Result<Self, FaultSpecError> {
        let mut cfg = Self::default();
        let mut seen: Vec<String> = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| FaultSpecError::MissingEquals(part.to_string()))?;
            let (name, value) = (name.trim(), value.trim());
            if seen.iter().any(|s| s == name) {
                return Err(FaultSpecError::Duplicate(name.to_string()));
            }
            let bad = || FaultSpecError::BadProbability {
                kind: name.to_string(),
                value: value.to_string(),
            };
            if name == "commit_then_fail_every" {
                cfg.commit_then_fail_every = value.parse().map_err(|_| bad())?;
                seen.push(name.to_string());
                continue;
            }
            let v: f64 = value.parse().map_err(|_| bad())?;
            if name == "slow_secs" || name == "storm_secs" {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(bad());
                }
                if name == "slow_secs" {
                    cfg.slow_secs = v;
                } else {
                    cfg.storm_secs = v;
                }
            } else {
                if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                    return Err(bad());
                }
                let slot = match name {
                    "5xx" => &mut cfg.server_error,
                    "reset" => &mut cfg.reset,
                    "slow" => &mut cfg.slow,
                    "commit_then_fail" => &mut cfg.commit_then_fail,
                    "lock" => &mut cfg.lock,
                    "storm" => &mut cfg.storm,
                    "upload_cut" => &mut cfg.upload_cut,
                    "job_internal_error" => &mut cfg.job_internal_error,
                    _ => return Err(FaultSpecError::UnknownKind(name.to_string())),
                };
                *slot = v;
            }
            seen.push(name.to_string());
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the exclusive probabilities add up to at most 1 (and that `storm`, `lock` and
    /// the durations are in range, for configurations built without [`FaultConfig::parse`]).
    pub fn validate(&self) -> Result<(), FaultSpecError> {
        for (name, p) in [
            ("5xx", self.server_error),
            ("reset", self.reset),
            ("slow", self.slow),
            ("commit_then_fail", self.commit_then_fail),
            ("lock", self.lock),
            ("storm", self.storm),
            ("upload_cut", self.upload_cut),
            ("job_internal_error", self.job_internal_error),
        ] {
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                return Err(FaultSpecError::BadProbability {
                    kind: name.to_string(),
                    value: p.to_string(),
                });
            }
        }
        for (name, secs) in [
            ("slow_secs", self.slow_secs),
            ("storm_secs", self.storm_secs),
        ] {
            if !(secs.is_finite() && secs >= 0.0) {
                return Err(FaultSpecError::BadProbability {
                    kind: name.to_string(),
                    value: secs.to_string(),
                });
            }
        }
        let sum = self.server_error + self.reset + self.slow + self.commit_then_fail;
        if sum > 1.0 + 1e-9 {
            return Err(FaultSpecError::SumTooLarge(sum));
        }
        Ok(())
    }

    /// Whether any fault is configured.
    pub fn any(&self) -> bool {
        self.server_error + self.reset + self.slow + self.commit_then_fail + self.lock + self.storm
            > 0.0
            || self.commit_then_fail_every > 0
    }

    /// Whether the `executed`-th executed write (counting from 1) commits and then fails under
    /// `commit_then_fail_every` (no draw: the same writes fail on every run).
    pub fn commit_then_fail_due(&self, executed: u64) -> bool {
        self.commit_then_fail_every > 0 && executed.is_multiple_of(self.commit_then_fail_every)
    }

    /// Draws the request's exclusive fault (5xx, reset, slow, commit_then_fail), if any.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> Option<FaultKind> {
        let total = self.server_error + self.reset + self.slow + self.commit_then_fail;
        if total <= 0.0 {
            return None;
        }
        let u: f64 = rng.gen();
        let mut acc = 0.0;
        for (p, kind) in [
            (self.server_error, FaultKind::ServerError),
            (self.reset, FaultKind::Reset),
            (self.slow, FaultKind::Slow),
            (self.commit_then_fail, FaultKind::CommitThenFail),
        ] {
            acc += p;
            if u < acc {
                return Some(kind);
            }
        }
        None
    }

    /// Whether a write that collides with an in-flight write to the same board gets a 423.
    pub fn draw_lock(&self, rng: &mut ChaCha8Rng) -> bool {
        self.lock > 0.0 && rng.gen_bool(self.lock.clamp(0.0, 1.0))
    }

    /// Whether the `lock` fault refuses a write: only when `lock > 0` and the write `overlaps`
    /// another in-flight write to the same board (asked only then), with probability `lock`
    /// (drawn only then).
    pub fn lock_fires(&self, rng: &mut ChaCha8Rng, overlaps: impl FnOnce() -> bool) -> bool {
        self.lock > 0.0 && overlaps() && self.draw_lock(rng)
    }

    /// How long a `slow` response takes at least (saturating).
    pub fn slow_delay(&self) -> Duration {
        Duration::try_from_secs_f64(self.slow_secs).unwrap_or(Duration::MAX)
    }

    /// Whether a 429 storm starts with this request (drawn only outside a storm, and only when
    /// `storm > 0`, so configurations without storms never touch `rng`).
    pub fn draw_storm(&self, rng: &mut ChaCha8Rng) -> bool {
        self.storm > 0.0 && self.storm_secs > 0.0 && rng.gen_bool(self.storm.clamp(0.0, 1.0))
    }

    /// The length of a storm as a duration (saturating).
    pub fn storm_duration(&self) -> Duration {
        Duration::try_from_secs_f64(self.storm_secs.max(0.0)).unwrap_or(Duration::MAX)
    }
}

/// The status a `5xx` fault answers: 500, 502 or 503, evenly.
pub fn draw_server_error_status(rng: &mut ChaCha8Rng) -> u16 {
    [500u16, 502, 503][rng.gen_range(0..3)]
}

/// How a `commit_then_fail` request fails for the client once the store has committed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAfterCommit {
    /// HTTP 500.
    ServerError,
    /// The connection drops without a response.
    Reset,
}

impl FailureAfterCommit {
    /// A 500 or a reset, evenly.
    pub fn draw(rng: &mut ChaCha8Rng) -> Self {
        if rng.gen_bool(0.5) {
            Self::ServerError
        } else {
            Self::Reset
        }
    }
}

/// The 429 storms of the `storm` fault: when the current one ends, and the seeded stream that
/// decides when the next starts.
#[derive(Debug, Clone)]
pub struct Storms {
    rng: ChaCha8Rng,
    /// End of the current storm, if one is raging or has raged.
    until: Option<Duration>,
}

/// The storm a request falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Storm {
    /// When it ends (simulated instant).
    pub until: Duration,
    /// Whether this request started it.
    pub started: bool,
}

impl Storms {
    /// No storm yet; starts are drawn from `rng`.
    pub fn new(rng: ChaCha8Rng) -> Self {
        Self { rng, until: None }
    }

    /// The storm `now` falls in: a raging one, or one this request starts (drawn only outside
    /// a storm; see [`FaultConfig::draw_storm`]).
    pub fn at(&mut self, now: Duration, faults: &FaultConfig) -> Option<Storm> {
        if let Some(until) = self.raging(now) {
            return Some(Storm {
                until,
                started: false,
            });
        }
        if !faults.draw_storm(&mut self.rng) {
            return None;
        }
        let until = now.saturating_add(faults.storm_duration());
        self.until = Some(until);
        tracing::debug!(
            at_s = now.as_secs_f64(),
            secs = faults.storm_secs,
            "mock-monday: 429 storm starts"
        );
        Some(Storm {
            until,
            started: true,
        })
    }

    /// The end of the storm raging at `now`, if any (draws nothing).
    pub fn raging(&self, now: Duration) -> Option<Duration> {
        self.until.filter(|u| *u > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn commit_then_fail_every_is_deterministic_and_parsed() {
        let c = FaultConfig::parse("commit_then_fail_every=3").unwrap();
        assert_eq!(c.commit_then_fail_every, 3);
        assert!(c.any());
        let due: Vec<u64> = (1..=9).filter(|&n| c.commit_then_fail_due(n)).collect();
        assert_eq!(due, [3, 6, 9]);
        assert!(!FaultConfig::default().commit_then_fail_due(1));
        assert!(FaultConfig::parse("commit_then_fail_every=x").is_err());
    }

    #[test]
    fn parses_the_documented_spec() {
        let c = FaultConfig::parse("5xx=0.05,reset=0.02,slow=0.01,commit_then_fail=0.01,lock=0.01")
            .unwrap();
        assert_eq!(c.server_error, 0.05);
        assert_eq!(c.reset, 0.02);
        assert_eq!(c.slow, 0.01);
        assert_eq!(c.commit_then_fail, 0.01);
        assert_eq!(c.lock, 0.01);
        assert_eq!(FaultConfig::parse("").unwrap(), FaultConfig::default());
        assert_eq!(
            FaultConfig::parse("slow=1,slow_secs=90").unwrap().slow_secs,
            90.0
        );
        let storm = FaultConfig::parse("storm=0.002,storm_secs=30").unwrap();
        assert_eq!((storm.storm, storm.storm_secs), (0.002, 30.0));
        assert!(storm.any());
        assert_eq!(FaultConfig::parse("storm=0.5").unwrap().storm_secs, 10.0);
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let e = |s: &str| FaultConfig::parse(s).unwrap_err();
        assert_eq!(e("5xx"), FaultSpecError::MissingEquals("5xx".into()));
        assert_eq!(e("boom=0.1"), FaultSpecError::UnknownKind("boom".into()));
        assert!(matches!(
            e("reset=1.5"),
            FaultSpecError::BadProbability { .. }
        ));
        assert!(matches!(
            e("reset=abc"),
            FaultSpecError::BadProbability { .. }
        ));
        assert!(matches!(
            e("reset=NaN"),
            FaultSpecError::BadProbability { .. }
        ));
        assert_eq!(
            e("lock=0.1,lock=0.2"),
            FaultSpecError::Duplicate("lock".into())
        );
        assert!(matches!(
            e("5xx=0.6,reset=0.6"),
            FaultSpecError::SumTooLarge(_)
        ));
        assert!(e("boom=0.1").to_string().contains("commit_then_fail"));
        assert!(e("boom=0.1").to_string().contains("storm"));
        assert!(matches!(
            e("storm=2"),
            FaultSpecError::BadProbability { .. }
        ));
        assert!(matches!(
            e("storm_secs=-1"),
            FaultSpecError::BadProbability { .. }
        ));
        let c = FaultConfig {
            storm: 1.5,
            ..FaultConfig::default()
        };
        assert!(c.validate().is_err());
    }

    #[test]
    fn draws_follow_the_probabilities() {
        let c = FaultConfig::parse("5xx=0.2,reset=0.1").unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 10_000;
        let draws: Vec<_> = (0..n).map(|_| c.draw(&mut rng)).collect();
        let count = |k| draws.iter().filter(|d| **d == Some(k)).count();
        assert!((1_800..2_200).contains(&count(FaultKind::ServerError)));
        assert!((850..1_150).contains(&count(FaultKind::Reset)));
        assert_eq!(count(FaultKind::Slow), 0);
        assert_eq!(FaultConfig::default().draw(&mut rng), None);
    }

    #[test]
    fn storms_rage_for_storm_secs_and_start_again_only_after() {
        let s = Duration::from_secs;
        let always = FaultConfig::parse("storm=1,storm_secs=10").unwrap();
        let mut storms = Storms::new(ChaCha8Rng::seed_from_u64(9));
        assert_eq!(storms.raging(s(0)), None);
        let first = storms.at(s(5), &always).unwrap();
        assert_eq!((first.until, first.started), (s(15), true));
        let inside = storms.at(s(14), &always).unwrap();
        assert_eq!((inside.until, inside.started), (s(15), false));
        assert_eq!(storms.raging(s(14)), Some(s(15)));
        assert_eq!(storms.raging(s(15)), None);
        assert!(storms.at(s(15), &always).unwrap().started);
        let mut calm = Storms::new(ChaCha8Rng::seed_from_u64(9));
        assert_eq!(calm.at(s(0), &FaultConfig::default()), None);
    }

    #[test]
    fn the_lock_fault_asks_about_overlaps_only_when_on() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let off = FaultConfig::default();
        assert!(!off.lock_fires(&mut rng, || panic!("not asked when lock = 0")));
        let on = FaultConfig::parse("lock=1").unwrap();
        assert!(on.lock_fires(&mut rng, || true));
        assert!(!on.lock_fires(&mut rng, || false));
    }

    #[test]
    fn server_errors_and_failures_after_commit_cover_their_choices() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let statuses: std::collections::BTreeSet<u16> = (0..200)
            .map(|_| draw_server_error_status(&mut rng))
            .collect();
        assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [500, 502, 503]);
        let resets = (0..1_000)
            .filter(|_| FailureAfterCommit::draw(&mut rng) == FailureAfterCommit::Reset)
            .count();
        assert!((400..600).contains(&resets), "{resets}");
        assert_eq!(
            FaultConfig::parse("slow=1,slow_secs=90")
                .unwrap()
                .slow_delay(),
            Duration::from_secs(90)
        );
    }
}
