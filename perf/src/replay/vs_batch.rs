//! The measured comparison `monday-perf run` prints for a run that may take jobs: the same
//! records, seed and simulator replayed with `mode = "batch"`. The ceiling's batch-only figure is
//! a model (a perfect client); this is what the sync itself does on the batch path, which is what
//! "at least 3x less API time than `--mode batch` on the same records" compares against.

use monday_sync::config::Mode;

use crate::replay::repeats::run_repeated;
use crate::replay::results::{BatchComparison, RunResults};
use crate::replay::run::{parse_config, RunOptions};
use crate::workload::scenario::{Clock, Scenario};
use crate::Result;

/// Whether a run deserves the comparison: on the virtual clock (deterministic, and quick), with a
/// sync that may take jobs (`auto` or `ingest`; a batch or single run has nothing to compare).
pub fn wanted(s: &Scenario, results: &RunResults) -> Result<bool> {
    let config = parse_config(&results.sync_config_toml, "the run's sync config")?;
    Ok(s.clock == Clock::Virtual && s.client_cmd.is_none() && config.sync.mode.may_use_jobs())
}

/// The scenario with the path forced to batches, everything else (records, seed, simulator)
/// unchanged.
pub fn batch_scenario(s: &Scenario) -> Scenario {
    let mut b = s.clone();
    b.sync.mode = Some(Mode::Batch);
    b.name = format!("{}-vs-batch", s.name);
    b
}

/// Replays `s` with `mode = "batch"` and compares `results` (the run of `s`) with it; `None`
/// when the run does not deserve it ([`wanted`]).
pub fn compare(
    s: &Scenario,
    results: &RunResults,
    options: &RunOptions,
) -> Result<Option<BatchComparison>> {
    if !wanted(s, results)? {
        return Ok(None);
    }
    let quiet = RunOptions {
        progress: false,
        ..*options
    };
    let batch = run_repeated(&batch_scenario(s), &quiet)?;
    Ok(Some(BatchComparison::of(
        results.api_time_ms,
        batch.results.api_time_ms,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::run::run_scenario;

    fn scenario(records: u64, mode: Option<Mode>) -> Scenario {
        let mut s = Scenario {
            records,
            ..Scenario::default()
        };
        s.sync.mode = mode;
        s
    }

    #[test]
    fn an_auto_run_is_compared_with_the_same_records_as_batches_and_a_batch_run_is_not() {
        let s = scenario(400, None);
        let run = run_scenario(&s, &RunOptions::default()).unwrap();
        let c = compare(&s, &run.results, &RunOptions::default())
            .unwrap()
            .expect("auto may take jobs: compared");
        let batch = run_scenario(&batch_scenario(&s), &RunOptions::default()).unwrap();
        assert_eq!(c.api_time_ms, batch.results.api_time_ms);
        assert_eq!(
            c.ratio,
            crate::measure::latency::round3(run.results.api_time_ms / batch.results.api_time_ms)
        );
        assert!(c.ratio < 1.0, "jobs beat batches at 400 records: {c:?}");
        let forced = batch_scenario(&s);
        assert_eq!(forced.records, s.records);
        assert_eq!(forced.seed, s.seed);
        assert!(
            compare(&forced, &batch.results, &RunOptions::default())
                .unwrap()
                .is_none(),
            "a batch run has nothing to compare"
        );
    }
}
