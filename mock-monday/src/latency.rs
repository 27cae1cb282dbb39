//! The latency model: how long the simulated API takes to answer.
//!
//! Per request: a base drawn from a lognormal distribution fixed by its median and p99 (capped),
//! plus a cost per root mutation field (aliases run one after another, as on monday.com), plus a
//! cost per item read, plus a rare slow spike. Refused requests (throttled, 401, 400) get only a
//! small uniform delay. A request whose total exceeds the gateway timeout ends as a 504.
//!
//! No first-party latency figures exist (docs/monday-api.md §8): the realistic numbers are
//! estimates from third-party guidance (~10-100 ms network + ~50-500 ms processing) and are
//! settings (`profiles/realistic.toml`).

use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

/// z-score of the 99th percentile of a standard normal distribution.
const Z_P99: f64 = 2.326_347_874;

/// The numbers of a latency profile (milliseconds of simulated time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LatencySettings {
    /// Median of the lognormal base delay.
    pub base_median_ms: f64,
    /// 99th percentile of the base delay.
    pub base_p99_ms: f64,
    /// Upper cap of the base delay.
    pub base_cap_ms: f64,
    /// Added per root mutation field (aliases run sequentially).
    pub per_mutation_field_ms: f64,
    /// Added per item serialized in a read.
    pub per_item_read_ms: f64,
    /// Probability of a slow spike per request.
    pub spike_probability: f64,
    /// Smallest spike.
    pub spike_min_ms: f64,
    /// Largest spike.
    pub spike_max_ms: f64,
    /// Smallest delay of a refused request (throttled, 401, 400).
    pub refused_min_ms: f64,
    /// Largest delay of a refused request.
    pub refused_max_ms: f64,
    /// Requests taking longer end as HTTP 504 after this long (docs/monday-api.md §2.8: 60 s).
    pub gateway_timeout_ms: f64,
}

impl Default for LatencySettings {
    fn default() -> Self {
        Self::realistic()
    }
}

impl LatencySettings {
    /// The `realistic` profile (estimates; see the module doc and README).
    pub fn realistic() -> Self {
        Self {
            base_median_ms: 250.0,
            base_p99_ms: 1_200.0,
            base_cap_ms: 8_000.0,
            per_mutation_field_ms: 25.0,
            per_item_read_ms: 0.2,
            spike_probability: 0.002,
            spike_min_ms: 2_000.0,
            spike_max_ms: 6_000.0,
            refused_min_ms: 20.0,
            refused_max_ms: 60.0,
            gateway_timeout_ms: 60_000.0,
        }
    }

    /// The `instant` profile: zero delay everywhere.
    pub fn instant() -> Self {
        Self {
            base_median_ms: 0.0,
            base_p99_ms: 0.0,
            base_cap_ms: 0.0,
            per_mutation_field_ms: 0.0,
            per_item_read_ms: 0.0,
            spike_probability: 0.0,
            spike_min_ms: 0.0,
            spike_max_ms: 0.0,
            refused_min_ms: 0.0,
            refused_max_ms: 0.0,
            gateway_timeout_ms: 60_000.0,
        }
    }

    /// Checks the numbers are usable; the error says which one is not.
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            ("base_median_ms", self.base_median_ms),
            ("base_p99_ms", self.base_p99_ms),
            ("base_cap_ms", self.base_cap_ms),
            ("per_mutation_field_ms", self.per_mutation_field_ms),
            ("per_item_read_ms", self.per_item_read_ms),
            ("spike_min_ms", self.spike_min_ms),
            ("spike_max_ms", self.spike_max_ms),
            ("refused_min_ms", self.refused_min_ms),
            ("refused_max_ms", self.refused_max_ms),
            ("gateway_timeout_ms", self.gateway_timeout_ms),
        ];
        for (name, v) in all {
            if !(v.is_finite() && (0.0..=86_400_000.0).contains(&v)) {
                return Err(format!("{name} must be between 0 and 86400000, got {v}"));
            }
        }
        if self.base_p99_ms < self.base_median_ms {
            return Err("base_p99_ms must be >= base_median_ms".into());
        }
        if self.spike_max_ms < self.spike_min_ms || self.refused_max_ms < self.refused_min_ms {
            return Err("a *_max_ms is smaller than its *_min_ms".into());
        }
        if !(0.0..=1.0).contains(&self.spike_probability) {
            return Err("spike_probability must be within 0..=1".into());
        }
        Ok(())
    }
}

/// Samples delays from [`LatencySettings`].
#[derive(Debug, Clone)]
pub struct LatencyModel {
    settings: LatencySettings,
    base: Option<LogNormal<f64>>,
}

fn ms(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.max(0.0) / 1_000.0).unwrap_or(Duration::MAX)
}

fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    if hi > lo {
        rng.gen_range(lo..hi)
    } else {
        lo
    }
}

impl LatencyModel {
    /// A model over validated settings.
    pub fn new(settings: LatencySettings) -> Self {
        let base = if settings.base_median_ms > 0.0 {
            let mu = settings.base_median_ms.ln();
            let sigma = (settings.base_p99_ms.ln() - mu).max(0.0) / Z_P99;
            LogNormal::new(mu, sigma).ok()
        } else {
            None
        };
        Self { settings, base }
    }

    /// The settings.
    pub fn settings(&self) -> &LatencySettings {
        &self.settings
    }

    /// Delay of an executed request.
    pub fn request_delay(
        &self,
        rng: &mut ChaCha8Rng,
        mutation_fields: u32,
        items_read: u64,
    ) -> Duration {
        let s = &self.settings;
        let base = self.base.map_or(0.0, |d| d.sample(rng).min(s.base_cap_ms));
        let mut total = base
            + s.per_mutation_field_ms * f64::from(mutation_fields)
            + s.per_item_read_ms * items_read as f64;
        if s.spike_probability > 0.0 && rng.gen_bool(s.spike_probability) {
            total += uniform(rng, s.spike_min_ms, s.spike_max_ms);
        }
        ms(total)
    }

    /// Delay of a refused request (throttled, 401, 400, validation error).
    pub fn refused_delay(&self, rng: &mut ChaCha8Rng) -> Duration {
        ms(uniform(
            rng,
            self.settings.refused_min_ms,
            self.settings.refused_max_ms,
        ))
    }

    /// Requests slower than this end as HTTP 504.
    pub fn gateway_timeout(&self) -> Duration {
        ms(self.settings.gateway_timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn instant_is_zero() {
        let m = LatencyModel::new(LatencySettings::instant());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(m.request_delay(&mut rng, 25, 1000), Duration::ZERO);
        assert_eq!(m.refused_delay(&mut rng), Duration::ZERO);
    }

    #[test]
    fn realistic_median_and_costs_follow_the_settings() {
        let s = LatencySettings {
            spike_probability: 0.0,
            ..LatencySettings::realistic()
        };
        let m = LatencyModel::new(s);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut v: Vec<f64> = (0..4001)
            .map(|_| m.request_delay(&mut rng, 0, 0).as_secs_f64() * 1000.0)
            .collect();
        v.sort_by(f64::total_cmp);
        let median = v[2000];
        let p99 = v[3960];
        assert!((200.0..310.0).contains(&median), "median {median}");
        assert!((900.0..1600.0).contains(&p99), "p99 {p99}");
        assert!(v[4000] <= 8_000.0);
        // 25 aliases add 25 x 25 ms on top of the base.
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = ChaCha8Rng::seed_from_u64(3);
        let d0 = m.request_delay(&mut a, 0, 0);
        let d25 = m.request_delay(&mut b, 25, 0);
        assert_eq!(d25 - d0, Duration::from_millis(625));
    }

    #[test]
    fn bad_settings_are_named() {
        let s = LatencySettings {
            base_p99_ms: 1.0,
            ..LatencySettings::realistic()
        };
        assert!(s.validate().unwrap_err().contains("base_p99_ms"));
    }
}
