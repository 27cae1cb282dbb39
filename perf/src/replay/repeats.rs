//! Scenarios replayed over several seeds.
//!
//! A run of a few requests measures its latency draws more than the client: 50 records are three
//! round trips, and over 40 seeds the same sync scored efficiency 0.74 to 1.31 against the
//! median-based ceiling. A scenario with `repeats = K` (odd) runs the seeds `seed .. seed + K`;
//! the run with the median per-record time stands for the scenario (its report, histograms and
//! every figure the gate compares), while the correctness counters (failed, locked, duplicates,
//! lost, request-count mismatch) are the worst of all `K` runs, so a duplicate in any seed still
//! fails the gate.

use crate::error::Result;
use crate::replay::results::{Correctness, Repeats};
use crate::replay::run::{run_scenario, RunArtifacts, RunOptions};
use crate::workload::scenario::Scenario;

/// Runs `s` once, or over `s.repeats` seeds and returns the median run with [`Repeats`] set.
pub fn run_repeated(s: &Scenario, options: &RunOptions) -> Result<RunArtifacts> {
    s.validate()?;
    if s.repeats <= 1 {
        return run_scenario(s, options);
    }
    let mut runs = Vec::with_capacity(s.repeats as usize);
    for i in 0..u64::from(s.repeats) {
        let one = Scenario {
            seed: s.seed.wrapping_add(i),
            repeats: 1,
            ..s.clone()
        };
        tracing::info!(scenario = %s.name, seed = one.seed, run = i + 1, of = s.repeats, "repeat");
        runs.push(run_scenario(&one, options)?);
    }
    let median = median_index(&runs);
    let summary = summarize(&runs, median);
    let mut chosen = runs.swap_remove(median);
    // The scenario as written (with its `repeats` and first seed); `results.seed` is the run's.
    chosen.results.scenario = s.clone();
    chosen.results.repeats = Some(summary);
    Ok(chosen)
}

/// Every run's figures, in seed order, and the worst correctness counters; `median` is the index
/// of the run that stands.
fn summarize(runs: &[RunArtifacts], median: usize) -> Repeats {
    let median = &runs[median].results;
    Repeats {
        seeds: runs.iter().map(|r| r.results.seed).collect(),
        per_record_ms: runs.iter().map(|r| r.results.per_record_ms).collect(),
        efficiency: runs.iter().map(|r| r.results.efficiency).collect(),
        median_seed: median.seed,
        worst: runs
            .iter()
            .map(|r| Correctness::of(&r.results))
            .fold(Correctness::default(), Correctness::worst),
    }
}

/// The index of the run with the median per-record time (ties broken by seed).
fn median_index(runs: &[RunArtifacts]) -> usize {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&runs[a].results, &runs[b].results);
        ra.per_record_ms
            .total_cmp(&rb.per_record_ms)
            .then(ra.seed.cmp(&rb.seed))
    });
    order[order.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::observer::Measurements;
    use crate::replay::results::sample_results;

    fn artifacts(seed: u64, per_record_ms: f64, duplicates: u64) -> RunArtifacts {
        let mut results = sample_results();
        results.seed = seed;
        results.per_record_ms = per_record_ms;
        results.efficiency = 100.0 / per_record_ms;
        results.duplicates = duplicates;
        RunArtifacts {
            results,
            measurements: Measurements::empty(),
        }
    }

    #[test]
    fn the_median_run_is_picked_and_the_worst_counters_are_kept() {
        let runs = vec![
            artifacts(7, 60.0, 0),
            artifacts(8, 40.0, 2),
            artifacts(9, 50.0, 0),
        ];
        assert_eq!(median_index(&runs), 2);
        let r = summarize(&runs, 2);
        assert_eq!(r.seeds, vec![7, 8, 9]);
        assert_eq!(r.per_record_ms, vec![60.0, 40.0, 50.0]);
        assert_eq!(r.median_seed, 9);
        assert_eq!(r.worst.duplicates, 2, "a duplicate in any seed is kept");
    }

    #[test]
    fn correctness_takes_the_worst_of_the_run_and_its_repeats() {
        let mut median = artifacts(9, 50.0, 0).results;
        assert_eq!(median.correctness().duplicates, 0);
        median.repeats = Some(summarize(
            &[
                artifacts(7, 60.0, 0),
                artifacts(8, 40.0, 3),
                artifacts(9, 50.0, 0),
            ],
            2,
        ));
        assert_eq!(median.correctness().duplicates, 3);
    }

    #[test]
    fn a_repeated_scenario_reports_its_median_seed_over_the_simulator() {
        let s = Scenario {
            name: "repeat-test".into(),
            records: 50,
            seed: 11,
            repeats: 3,
            ..Scenario::default()
        };
        let a = run_repeated(&s, &RunOptions::default()).expect("run");
        let r = a.results.repeats.as_ref().expect("repeats recorded");
        assert_eq!(r.seeds, vec![11, 12, 13]);
        let mut sorted = r.per_record_ms.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(a.results.per_record_ms, sorted[1], "the median run stands");
        assert_eq!(a.results.seed, r.median_seed);
        assert_eq!(a.results.scenario.repeats, 3);
        assert_eq!(r.worst, Correctness::default());
        assert_eq!(a.results.synced_records, 50);
    }

    #[test]
    fn even_or_too_many_repeats_are_refused() {
        for repeats in [0, 2, 27] {
            let s = Scenario {
                repeats,
                ..Scenario::default()
            };
            let e = s.validate().expect_err("refused").to_string();
            assert!(e.contains("odd number"), "{e}");
        }
    }
}
