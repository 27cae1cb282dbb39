//! `monday-perf calibrate --from LOG [--out PROFILE.toml]`: fit a latency profile to a request log.
//!
//! Reads either log with the same keys: monday-sync's client-side `--request-log` (against
//! monday.com or the simulator) or the simulator's server log (`GET /__admin/requests`), both
//! as one typed line ([`crate::measure::request_line::LoggedRequest`]; a kind neither side writes is an
//! error naming the line). Only `kind`, `aliases`, `status`, `latency_ms`, `throttled` and (when
//! present) `locked`/`replay` are used.
//!
//! # Model and fit
//!
//! The simulator's model (`mock_monday::latency`): an executed request takes a lognormal base
//! (median, p99, capped) plus `per_mutation_field_ms` per aliased mutation plus, with probability
//! `spike_probability`, a uniform spike; a refused request (429, 423, 409, 401, 400) takes a
//! uniform `refused_min_ms..refused_max_ms`.
//!
//! 1. Executed requests (HTTP 200, not throttled, locked or replayed) are grouped by kind. Per
//!    kind and for all mutations together, the per-alias cost is the weighted least-squares slope
//!    of the *median* latency per alias count on the alias count: medians ignore the spikes, and
//!    the median of (base + k × aliases) is median(base) + k × aliases exactly.
//! 2. Residuals (latency − slope × mutation aliases) are base + spikes. The lognormal is fitted
//!    on the central quantiles (median and inter-quartile range) of the residuals not taken for
//!    spikes, refitted a few times; a residual above the fitted p99.98 counts as a spike. Spike
//!    rate = spikes / executed; spike size = residual − base median, its range from the 5th and
//!    95th percentiles extended to the ends of a uniform distribution.
//! 3. Refused requests give the refusal range (min and max latency).
//!
//! 4. Job polls (`job_poll` lines with `job_id`, `job_status`, `progress_percentage`,
//!    `job_counts`, and the jobs' `upload` lines) give the bulk import's processing rate and start
//!    delay ([`crate::tune::job_rate`]); the profile then carries `job_rows_per_second` and
//!    `job_start_delay_ms`.
//!
//! Fit quality: for every kind, the observed p50/p90/p99 next to those of the fitted profile,
//! sampled (seeded) with the simulator's own latency model at the same alias counts.
//! `per_item_read_ms` and `gateway_timeout_ms` cannot be seen in a log (no item counts, no 504s
//! expected) and keep the realistic profile's values; the header says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mock_monday::latency::{LatencyModel, LatencySettings};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::{PerfError, Result};
use crate::measure::latency::round3;
use crate::measure::request_line::LoggedRequest as Line;

/// z of the 75th percentile of a standard normal.
const Z_P75: f64 = 0.674_489_75;
/// z of the 99th percentile.
const Z_P99: f64 = 2.326_347_874;
/// Residuals beyond this z of the fitted base are spikes (p99.98).
const Z_SPIKE: f64 = 3.5;
/// Model samples drawn per logged request for the fit-quality table.
const SAMPLES_PER_REQUEST: usize = 20;
/// Seed of those samples.
const QUALITY_SEED: u64 = 7;

/// The fit of one request kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindFit {
    pub kind: String,
    pub requests: usize,
    /// Median latency with no aliases (intercept), ms.
    pub base_median_ms: f64,
    /// Added per alias (slope), ms; None when the log has one alias count only.
    pub per_alias_ms: Option<f64>,
    pub observed: Quantiles,
    pub modelled: Quantiles,
}

/// p50 / p90 / p99 in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

/// The result of a calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub origin: String,
    pub requests: usize,
    pub executed: usize,
    pub refused: usize,
    pub spikes: usize,
    pub settings: LatencySettings,
    pub kinds: Vec<KindFit>,
    /// The bulk import's processing rate and start delay, when the log has job polls
    /// ([`crate::tune::job_rate`]).
    pub jobs: Option<crate::tune::job_rate::JobRateFit>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn quantiles(v: Vec<f64>) -> Quantiles {
    let s = sorted(v);
    Quantiles {
        p50: round3(quantile(&s, 0.5)),
        p90: round3(quantile(&s, 0.9)),
        p99: round3(quantile(&s, 0.99)),
    }
}

/// Weighted least squares of the median latency per alias count on the alias count:
/// `(intercept, slope)`; slope None with fewer than two alias counts.
fn median_line<'a>(lines: impl Iterator<Item = &'a Line>) -> (f64, Option<f64>) {
    let mut by_aliases: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for l in lines {
        by_aliases.entry(l.aliases).or_default().push(l.latency_ms);
    }
    let points: Vec<(f64, f64, f64)> = by_aliases
        .into_iter()
        .map(|(a, v)| {
            let w = v.len() as f64;
            (f64::from(a), quantile(&sorted(v), 0.5), w)
        })
        .collect();
    let w: f64 = points.iter().map(|p| p.2).sum();
    if points.is_empty() {
        return (0.0, None);
    }
    let mx = points.iter().map(|p| p.0 * p.2).sum::<f64>() / w;
    let my = points.iter().map(|p| p.1 * p.2).sum::<f64>() / w;
    if points.len() < 2 {
        return (my, None);
    }
    let sxx: f64 = points.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    let slope = (sxy / sxx).max(0.0);
    ((my - slope * mx).max(0.0), Some(slope))
}

/// The usable lines of one log (blank lines skipped; a line that is not JSON is named).
fn parse(text: &str, origin: &str) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(raw)
            .map_err(|e| PerfError::json(format!("{origin} line {}", i + 1), e))?;
        if line.latency_ms.is_finite() && line.latency_ms >= 0.0 {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// Fits a profile to the NDJSON text of a request log. `origin` names the log in the output.
pub fn fit(text: &str, origin: &str) -> Result<Calibration> {
    fit_logs(&[(origin, text)])
}

/// Fits one profile to several logs together, each given as `(origin, NDJSON text)`: the runs of
/// one sync seldom vary the batch size enough to separate the per-alias cost from the base, a
/// week of runs of different sizes does.
pub fn fit_logs(logs: &[(&str, &str)]) -> Result<Calibration> {
    let mut lines = Vec::new();
    for (origin, text) in logs {
        lines.extend(parse(text, origin)?);
    }
    let jobs = crate::tune::job_rate::fit(&lines);
    let origin = match logs {
        [(one, _)] => one.to_string(),
        many => format!(
            "{} logs: {}",
            many.len(),
            many.iter().map(|(o, _)| *o).collect::<Vec<_>>().join(", ")
        ),
    };
    let origin = origin.as_str();
    let executed: Vec<&Line> = lines.iter().filter(|l| l.executed()).collect();
    let refused: Vec<f64> = lines
        .iter()
        .filter(|l| l.refused())
        .map(|l| l.latency_ms)
        .collect();
    if executed.len() < 20 {
        return Err(PerfError::Usage(format!(
            "{origin}: {} executed requests; calibration needs at least 20",
            executed.len()
        )));
    }
    // 1. The per-alias cost of mutations (all mutation kinds together).
    let (_, slope) = median_line(executed.iter().copied().filter(|l| l.is_mutation()));
    let per_alias = slope.unwrap_or(0.0);
    // 2. The base and the spikes from the residuals.
    let residuals = sorted(
        executed
            .iter()
            .map(|l| (l.latency_ms - per_alias * f64::from(l.mutation_aliases())).max(0.001))
            .collect(),
    );
    // Central quantiles of the residuals not yet taken for spikes, refitted until the spike set
    // settles (spikes push the quantiles up; three rounds are plenty).
    let mut spike_threshold = f64::INFINITY;
    let (mut mu, mut sigma, mut q50) = (0.0, 0.0, 0.0);
    for _ in 0..4 {
        let body: Vec<f64> = residuals
            .iter()
            .copied()
            .filter(|r| *r <= spike_threshold)
            .collect();
        let (q25, q75);
        (q25, q50, q75) = (
            quantile(&body, 0.25),
            quantile(&body, 0.5),
            quantile(&body, 0.75),
        );
        sigma = ((q75.ln() - q25.ln()) / (2.0 * Z_P75)).max(0.0);
        mu = q50.ln();
        spike_threshold = (mu + Z_SPIKE * sigma).exp();
    }
    let (base, spikes): (Vec<f64>, Vec<f64>) =
        residuals.iter().partition(|r| **r <= spike_threshold);
    // Spike sizes are uniform: their 5th and 95th percentiles, extended to the ends, are robust
    // to the odd base-tail residual taken for a spike.
    let spike_sizes = sorted(spikes.iter().map(|r| r - q50).collect());
    let (s05, s95) = (quantile(&spike_sizes, 0.05), quantile(&spike_sizes, 0.95));
    let stretch = (s95 - s05) * 0.05 / 0.9;
    let refused_sorted = sorted(refused.clone());
    let realistic = LatencySettings::realistic();
    let settings = LatencySettings {
        base_median_ms: round3(q50),
        base_p99_ms: round3((mu + Z_P99 * sigma).exp()),
        base_cap_ms: round3(
            base.last()
                .copied()
                .unwrap_or(q50)
                .max((mu + Z_P99 * sigma).exp()),
        ),
        per_mutation_field_ms: round3(per_alias),
        per_item_read_ms: realistic.per_item_read_ms,
        spike_probability: round3(spikes.len() as f64 / executed.len() as f64 * 1000.0) / 1000.0,
        spike_min_ms: round3((s05 - stretch).max(0.0)),
        spike_max_ms: round3(s95 + stretch),
        refused_min_ms: round3(
            refused_sorted
                .first()
                .copied()
                .unwrap_or(realistic.refused_min_ms),
        ),
        refused_max_ms: round3(
            refused_sorted
                .last()
                .copied()
                .unwrap_or(realistic.refused_max_ms),
        ),
        gateway_timeout_ms: realistic.gateway_timeout_ms,
    };
    settings
        .validate()
        .map_err(|e| PerfError::Usage(format!("{origin}: the fitted profile is unusable: {e}")))?;
    // 3. Per kind: its own line, observed vs the fitted profile.
    let model = LatencyModel::new(settings.clone());
    let mut rng = ChaCha8Rng::seed_from_u64(QUALITY_SEED);
    let mut by_kind: BTreeMap<&str, Vec<&Line>> = BTreeMap::new();
    for l in &executed {
        by_kind.entry(l.kind().name()).or_default().push(l);
    }
    let kinds = by_kind
        .into_iter()
        .map(|(kind, ls)| {
            let (intercept, slope) = median_line(ls.iter().copied());
            let observed = quantiles(ls.iter().map(|l| l.latency_ms).collect());
            let modelled = quantiles(
                ls.iter()
                    .flat_map(|l| std::iter::repeat_n(l.mutation_aliases(), SAMPLES_PER_REQUEST))
                    .map(|a| model.request_delay(&mut rng, a, 0).as_secs_f64() * 1000.0)
                    .collect(),
            );
            KindFit {
                kind: kind.to_string(),
                requests: ls.len(),
                base_median_ms: round3(intercept),
                per_alias_ms: slope.map(round3),
                observed,
                modelled,
            }
        })
        .collect();
    Ok(Calibration {
        origin: origin.to_string(),
        requests: lines.len(),
        executed: executed.len(),
        refused: refused.len(),
        spikes: spikes.len(),
        settings,
        kinds,
        jobs,
    })
}

impl Calibration {
    /// The observed-vs-modelled table (printed, and in the profile's header as comments).
    pub fn quality_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<14} {:>8} {:>12} {:>10}   {:>26}   {:>26}",
            "kind",
            "requests",
            "base p50 ms",
            "per alias",
            "observed p50/p90/p99 ms",
            "modelled p50/p90/p99 ms"
        );
        for k in &self.kinds {
            let per_alias = k
                .per_alias_ms
                .map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
            let q = |q: &Quantiles| format!("{:.0} / {:.0} / {:.0}", q.p50, q.p90, q.p99);
            let _ = writeln!(
                out,
                "{:<14} {:>8} {:>12.1} {:>10}   {:>26}   {:>26}",
                k.kind,
                k.requests,
                k.base_median_ms,
                per_alias,
                q(&k.observed),
                q(&k.modelled)
            );
        }
        out
    }

    /// The profile TOML (`--profile` accepts it) with the header.
    pub fn to_toml(&self) -> Result<String> {
        let mut out = String::new();
        let _ = writeln!(out, "# Latency profile fitted by `monday-perf calibrate`");
        let _ = writeln!(out, "# from: {}", self.origin);
        let _ = writeln!(
            out,
            "# requests: {} ({} executed, {} refused, {} spikes)",
            self.requests, self.executed, self.refused, self.spikes
        );
        let _ = writeln!(
            out,
            "# per_item_read_ms and gateway_timeout_ms are not in a request log: realistic values kept."
        );
        let _ = writeln!(
            out,
            "# Fit quality (modelled = this profile, sampled at the logged alias counts):"
        );
        for line in self.quality_table().lines() {
            let _ = writeln!(out, "#   {line}");
        }
        if let Some(j) = &self.jobs {
            let _ = writeln!(
                out,
                "# Jobs: {} of {} seen had two polls during processing ({} polls): the bulk import's",
                j.jobs_fitted, j.jobs_seen, j.polls_used
            );
            let _ = writeln!(
                out,
                "# processing rate and start delay below (job_* keys; monday-perf and mock-monday read them)."
            );
        }
        out.push('\n');
        out.push_str(
            &toml::to_string(&self.settings)
                .map_err(|e| PerfError::Usage(format!("profile TOML: {e}")))?,
        );
        if let Some(j) = &self.jobs {
            let _ = writeln!(out, "job_rows_per_second = {:?}", j.rows_per_second);
            let _ = writeln!(out, "job_start_delay_ms = {:?}", j.start_delay_ms);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_line_recovers_intercept_and_slope() {
        let lines: Vec<Line> = (1..=10)
            .flat_map(|a| {
                (0..5).map(move |i| Line {
                    kind: Some(mock_monday::RequestKind::Create),
                    aliases: a,
                    status: Some(200),
                    latency_ms: 300.0 + 20.0 * f64::from(a) + f64::from(i) - 2.0,
                    ..Line::default()
                })
            })
            .collect();
        let (b, k) = median_line(lines.iter());
        assert!(
            (b - 300.0).abs() < 1e-9 && (k.unwrap() - 20.0).abs() < 1e-9,
            "{b} {k:?}"
        );
    }

    #[test]
    fn too_small_or_broken_logs_are_named() {
        let err = fit("{\"latency_ms\": 1.0, \"status\": 200}\n", "tiny.ndjson").unwrap_err();
        assert!(err.to_string().contains("at least 20"), "{err}");
        let err = fit("not json\n", "bad.ndjson").unwrap_err();
        assert!(err.to_string().contains("bad.ndjson line 1"), "{err}");
    }
}
