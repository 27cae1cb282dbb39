//! Which ceiling a run's `efficiency` is measured against, and the other two figures beside it.
//!
//! The ceiling model ([`crate::model::ceiling`]) gives every write path's ceiling and the best plan
//! over all of them. A run is measured three ways:
//!
//! - `efficiency_vs_best`: against the best plan over every path the simulator serves to the
//!   run's API version (the bulk import from 2026-07 on): what the run leaves on the table.
//! - `efficiency_vs_batch`: against the `create_item`-batches-only ceiling (the model before the
//!   bulk path; today's gate targets were set on it).
//! - `efficiency` (the figure the gate reads): against the best plan over the paths the sync's
//!   `[sync] mode` lets it take: `batch` and `single` are measured against batches only, `auto`
//!   and `ingest` against the best plan over every path. So a run forced to batches is judged
//!   as a batch run (and the gate's batch scenarios keep their figures), while a run that may
//!   choose is judged against the best choice, and an `auto` that never takes the bulk path
//!   when it should scores low.
//!
//! Every plan with jobs sends the workload's records a CSV row cannot carry as batches
//! (`CeilingInputs::batch_only_records`, counted in `workload::exact_rows`; the bulk import's
//! own settings, [`bulk_inputs`], do not depend on the records), so `auto` and `ingest` are
//! never measured against a plan no exact client can run.
//!
//! `RunResults::efficiency_plan` names the plan `efficiency` was measured against.

use std::time::Duration;

use mock_monday::SimConfig;
use monday_sync::config::{Mode, SyncConfig};

use crate::model::ceiling::{efficiency, BulkInputs, Ceiling, PlanKind};

/// The first API version that serves the bulk import
/// (https://developer.monday.com/api-reference/docs/importing-items-in-bulk).
pub const BULK_FIRST_VERSION: &str = "2026-07";

/// The simulator's bulk import as the ceiling model needs it: the job timing the simulator
/// runs with ([`SimConfig::job_timing`]: the latency profile's `job_start_delay_ms` and
/// `job_rows_per_second`, or `--processing-rate`) and its limits.
pub fn bulk_inputs(sim: &SimConfig) -> BulkInputs {
    let timing = sim.job_timing();
    let b = &sim.bulk;
    BulkInputs {
        job_start_delay: Duration::try_from_secs_f64(timing.job_start_delay_ms.max(0.0) / 1000.0)
            .unwrap_or(Duration::ZERO),
        rows_per_second: timing.job_rows_per_second.max(0.0),
        poll_interval: BulkInputs::realistic().poll_interval,
        max_rows_per_job: b.ingest_max_rows as u64,
        items_per_hour: b.items_per_hour,
        job_starts_per_hour: u64::from(b.job_starts_per_hour),
        serial_jobs: b.board_jobs == mock_monday::jobs::BoardJobs::Serial,
        lock_board_during_job: b.lock_board_during_job,
    }
}

/// Whether the simulator serves the bulk import to the API version the sync sends
/// (`[api] version`, a `YYYY-MM` text compared as such).
pub fn bulk_available(config: &SyncConfig) -> bool {
    config.api.version.as_str() >= BULK_FIRST_VERSION
}

/// A run's three efficiencies and the plan `efficiency` is measured against.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub efficiency: f64,
    pub plan: PlanKind,
    pub vs_batch: f64,
    pub vs_best: f64,
}

/// Measures `api_time_ms` against `ceiling` for a sync in `mode` (see the module doc).
pub fn measure(ceiling: &Ceiling, mode: Mode, api_time_ms: f64) -> Measured {
    let vs_batch = efficiency(ceiling.ceiling_ms, api_time_ms);
    let vs_best = efficiency(ceiling.best_ms(), api_time_ms);
    let (efficiency, plan) = if mode.may_use_jobs() {
        (vs_best, ceiling.best_kind())
    } else {
        (vs_batch, PlanKind::Batch)
    };
    Measured {
        efficiency,
        plan,
        vs_batch,
        vs_best,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ceiling::{CeilingInputs, LatencyModel};

    fn ceiling(records: u64) -> Ceiling {
        CeilingInputs {
            records,
            groups: 1,
            mutation_cost: 30_000,
            read_cost: 0,
            read_round_trips: 1,
            budget_per_window: 10_000_000,
            window: Duration::from_secs(60),
            max_complexity_per_request: 5_000_000,
            max_concurrency: 100,
            write_concurrency: 1,
            requests_per_minute: 2_500,
            latency: LatencyModel {
                base: Duration::from_millis(250),
                per_mutation: Duration::from_millis(25),
            },
            batch_only_records: 0,
        }
        .ceiling_with(Some(&BulkInputs::realistic()))
    }

    #[test]
    fn a_forced_batch_run_is_measured_against_batches_and_auto_against_the_best_plan() {
        let c = ceiling(5_000);
        assert_eq!((c.ceiling_ms, c.best_ms()), (900_275.0, 31_050.0));
        // A batch run at the batch ceiling.
        let batch = measure(&c, Mode::Batch, 900_275.0);
        assert_eq!((batch.efficiency, batch.plan), (1.0, PlanKind::Batch));
        assert_eq!(batch.vs_best, 0.0345);
        assert_eq!(measure(&c, Mode::Single, 900_275.0).efficiency, 1.0);
        // The same time from an auto run: it should have used jobs.
        let auto = measure(&c, Mode::Auto, 900_275.0);
        assert_eq!((auto.efficiency, auto.plan), (0.0345, PlanKind::Bulk));
        assert_eq!(auto.vs_batch, 1.0);
        assert_eq!(measure(&c, Mode::Ingest, 31_050.0).efficiency, 1.0);
    }

    #[test]
    fn without_the_bulk_path_every_mode_is_measured_against_batches() {
        let mut c = ceiling(5_000);
        c.best_plan = None;
        let auto = measure(&c, Mode::Auto, 900_275.0);
        assert_eq!(
            (auto.efficiency, auto.plan, auto.vs_best),
            (1.0, PlanKind::Batch, 1.0)
        );
    }

    #[test]
    fn the_bulk_path_needs_2026_07() {
        let mut config = SyncConfig::from_toml_str(
            crate::workload::scenario::DEFAULT_CONFIG_TOML,
            crate::workload::scenario::DEFAULT_CONFIG_ORIGIN,
        )
        .unwrap();
        assert!(bulk_available(&config), "the example config's version");
        config.api.version = "2026-04".into();
        assert!(!bulk_available(&config));
        config.api.version = "2026-07".into();
        assert!(bulk_available(&config));
    }

    #[test]
    fn the_simulators_timing_and_limits_reach_the_model() {
        let mut sim = SimConfig::default();
        assert_eq!(bulk_inputs(&sim), BulkInputs::realistic());
        sim.profile = mock_monday::LatencyProfile::Instant;
        assert_eq!(bulk_inputs(&sim).rows_per_second, 0.0);
        sim.bulk.items_per_hour = 5;
        sim.bulk.timing = Some(mock_monday::jobs::JobTiming {
            job_start_delay_ms: 500.0,
            job_rows_per_second: 25.0,
        });
        let b = bulk_inputs(&sim);
        assert_eq!(
            (b.items_per_hour, b.rows_per_second, b.job_start_delay),
            (5, 25.0, Duration::from_millis(500))
        );
    }
}
