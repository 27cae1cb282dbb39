//! Latency recording in HdrHistograms and the two standard text outputs:
//!
//! - `.hgrm`: the percentile distribution exactly as HdrHistogram's `HistogramLogProcessor` and wrk2
//!   print it (values in milliseconds), readable by the usual plotting tools;
//! - `.hlog`: an HdrHistogram interval log (one compressed histogram per interval), written with
//!   `hdrhistogram::serialization::interval_log`.
//!
//! Values are recorded in microseconds with 3 significant figures, from 1 µs up to one hour.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};

/// Highest trackable value: one hour in microseconds.
pub const MAX_TRACKABLE_US: u64 = 3_600_000_000;
/// Significant figures kept by every histogram.
pub const SIGNIFICANT_FIGURES: u8 = 3;

/// A latency histogram in microseconds.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram (1 µs .. 1 h, 3 significant figures).
    pub fn new() -> Self {
        // The bounds are constants that HdrHistogram accepts; auto-resize covers anything longer.
        let mut histogram = Histogram::new_with_bounds(1, MAX_TRACKABLE_US, SIGNIFICANT_FIGURES)
            .expect("constant histogram bounds are valid");
        histogram.auto(true);
        Self { histogram }
    }

    /// Records one duration (clamped to at least 1 µs).
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // With auto-resize on, recording only fails for values beyond u64 range handling.
        if self.histogram.record(us).is_err() {
            tracing::debug!(us, "latency value out of range, saturating");
            self.histogram.saturating_record(us);
        }
    }

    /// Adds every count of `other`.
    pub fn add(&mut self, other: &LatencyHistogram) {
        if self.histogram.add(&other.histogram).is_err() {
            tracing::debug!("histogram add out of range");
        }
    }

    /// Number of recorded values.
    pub fn len(&self) -> u64 {
        self.histogram.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }

    /// The underlying HdrHistogram.
    pub fn inner(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// Value at quantile `q` (0..=1) in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        us_to_ms(self.histogram.value_at_quantile(q))
    }

    /// The percentile summary written to `results.json`.
    pub fn summary(&self) -> Percentiles {
        if self.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: self.len(),
            min: us_to_ms(self.histogram.min()),
            mean: round3(self.histogram.mean() / 1000.0),
            p50: self.quantile_ms(0.50),
            p90: self.quantile_ms(0.90),
            p99: self.quantile_ms(0.99),
            p999: self.quantile_ms(0.999),
            max: us_to_ms(self.histogram.max()),
        }
    }

    /// Points `(percentile, value_ms)` for a latency-by-percentile chart, from p0 to p100.
    pub fn percentile_curve(&self) -> Vec<(f64, f64)> {
        if self.is_empty() {
            return Vec::new();
        }
        self.histogram
            .iter_quantiles(5)
            .map(|v| (v.quantile_iterated_to(), us_to_ms(v.value_iterated_to())))
            .collect()
    }

    /// Bucketed counts `(upper_bound_ms, count)` on a logarithmic scale (for a distribution chart).
    pub fn log_buckets(&self) -> Vec<(f64, u64)> {
        if self.is_empty() {
            return Vec::new();
        }
        let first = self.histogram.min().max(1);
        self.histogram
            .iter_log(first, 2.0)
            .map(|v| {
                (
                    us_to_ms(v.value_iterated_to()),
                    v.count_since_last_iteration(),
                )
            })
            .collect()
    }

    /// The standard percentile-distribution text (`.hgrm`), values in milliseconds.
    ///
    /// Same layout as Java's `outputPercentileDistribution(out, 5, 1000.0)`: a header, one line per
    /// quantile step (`Value Percentile TotalCount 1/(1-Percentile)`), then the mean/max footer.
    pub fn to_hgrm(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:>12} {:>14} {:>10} {:>14}\n",
            "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
        );
        let h = &self.histogram;
        let mut total = 0u64;
        if !h.is_empty() {
            for v in h.iter_quantiles(5) {
                total += v.count_since_last_iteration();
                let value = h.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0;
                let q = v.quantile_iterated_to();
                if q < 1.0 {
                    let _ = writeln!(
                        out,
                        "{value:12.3} {q:2.12} {total:10} {:14.2}",
                        1.0 / (1.0 - q)
                    );
                } else {
                    let _ = writeln!(out, "{value:12.3} {q:2.12} {total:10}");
                }
            }
        }
        let mean = if h.is_empty() { 0.0 } else { h.mean() / 1000.0 };
        let stdev = if h.is_empty() {
            0.0
        } else {
            h.stdev() / 1000.0
        };
        let max = h.max() as f64 / 1000.0;
        let _ = writeln!(
            out,
            "#[Mean    = {mean:12.3}, StdDeviation   = {stdev:12.3}]"
        );
        let _ = writeln!(
            out,
            "#[Max     = {max:12.3}, Total count    = {:12}]",
            h.len()
        );
        let _ = writeln!(
            out,
            "#[Buckets = {:12}, SubBuckets     = {:12}]",
            h.buckets(),
            sub_bucket_count(h.sigfig())
        );
        out
    }
}

/// HdrHistogram's sub-bucket count for `sigfig` significant figures (2048 for 3), as Java prints it.
fn sub_bucket_count(sigfig: u8) -> u64 {
    let largest = 2.0 * 10f64.powi(i32::from(sigfig));
    1u64 << (largest.log2().ceil() as u32)
}

fn us_to_ms(us: u64) -> f64 {
    round3(us as f64 / 1000.0)
}

/// Rounds to 3 decimals (microsecond resolution in milliseconds).
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Percentiles of one histogram, in milliseconds (`results.json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Request latencies cut into fixed intervals for the `.hlog` interval log.
///
/// Keeps the raw `(start, latency)` samples (one per request, so few) and builds one histogram at a
/// time when writing: a histogram per second of a 15-minute run would cost hundreds of megabytes.
#[derive(Debug, Clone)]
pub struct IntervalRecorder {
    interval: Duration,
    samples: Vec<(Duration, Duration)>,
}

impl IntervalRecorder {
    /// Intervals of `interval` length (one second in the harness).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval: interval.max(Duration::from_millis(1)),
            samples: Vec::new(),
        }
    }

    /// Records `latency` into the interval that contains `at` (time since the run started).
    pub fn record(&mut self, at: Duration, latency: Duration) {
        self.samples.push((at, latency));
    }

    /// Writes the HdrHistogram interval log (`.hlog`); empty intervals are skipped.
    ///
    /// Values are in microseconds; `MaxValueDivisor` 1000 makes the per-interval max column read in
    /// milliseconds as the Java tools expect.
    pub fn to_hlog(&self, comment: &str) -> Result<Vec<u8>> {
        let mut samples = self.samples.clone();
        samples.sort();
        let index = |at: Duration| (at.as_nanos() / self.interval.as_nanos()) as u32;
        let mut out = Vec::new();
        let mut serializer = V2DeflateSerializer::new();
        {
            let mut builder = IntervalLogWriterBuilder::new();
            builder.add_comment(comment);
            builder.with_base_time(std::time::UNIX_EPOCH);
            builder.with_max_value_divisor(1000.0);
            let mut writer = builder.begin_log_with(&mut out, &mut serializer)?;
            let tag = Tag::new("requests");
            let mut h = LatencyHistogram::new();
            let mut i = 0;
            while i < samples.len() {
                let current = index(samples[i].0);
                h.histogram.reset();
                while i < samples.len() && index(samples[i].0) == current {
                    h.record(samples[i].1);
                    i += 1;
                }
                writer
                    .write_histogram(h.inner(), self.interval * current, self.interval, tag)
                    .map_err(|e| PerfError::Histogram(format!("interval log: {e:?}")))?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    fn hist(values_ms: &[u64]) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for v in values_ms {
            h.record(Duration::from_millis(*v));
        }
        h
    }

    #[test]
    fn percentiles_in_milliseconds() {
        let h = hist(&(1..=1000).collect::<Vec<_>>());
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert!((s.p50 - 500.0).abs() <= 1.0, "{s:?}");
        assert!((s.p99 - 990.0).abs() <= 1.0, "{s:?}");
        assert!((s.max - 1000.0).abs() <= 1.0, "{s:?}");
        assert_eq!(LatencyHistogram::new().summary(), Percentiles::default());
    }

    #[test]
    fn hgrm_has_the_standard_layout() {
        let h = hist(&[10, 20, 30, 40, 1000]);
        let text = h.to_hgrm();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert_eq!(
            header.split_whitespace().collect::<Vec<_>>(),
            ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]
        );
        assert_eq!(lines.next(), Some(""));
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(2)
            .take_while(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert!(rows.len() > 3);
        let first: f64 = rows[0][0].parse().unwrap();
        assert!((first - 10.0).abs() < 0.02, "{first}");
        let last = rows.last().unwrap();
        assert_eq!(last.len(), 3, "final line has no 1/(1-p) column");
        assert_eq!(last[1], "1.000000000000");
        assert_eq!(last[2], "5");
        assert!(text.contains("#[Max     = "));
        assert!(text.contains("Total count    =            5]"));
        assert!(text.contains("SubBuckets     =         2048]"));
    }

    #[test]
    fn hlog_round_trips_through_the_parser() {
        let mut rec = IntervalRecorder::new(Duration::from_secs(1));
        rec.record(Duration::from_millis(100), Duration::from_millis(5));
        rec.record(Duration::from_millis(2500), Duration::from_millis(7));
        rec.record(Duration::from_millis(2600), Duration::from_millis(9));
        let bytes = rec.to_hlog("test").unwrap();
        let intervals: Vec<_> = IntervalLogIterator::new(&bytes)
            .filter_map(|e| match e {
                Ok(LogEntry::Interval(i)) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(intervals.len(), 2);
        assert_eq!(intervals[1].start_timestamp(), Duration::from_secs(2));
        assert!(
            (intervals[1].max() - 9.0).abs() < 0.05,
            "{}",
            intervals[1].max()
        );
    }
}
