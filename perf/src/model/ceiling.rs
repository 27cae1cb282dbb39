//! The scenario's ceiling: a lower bound on the time *any* client needs for the workload under the
//! plan's limits, the simulator's costs and its latency model. `efficiency = ceiling / achieved`.
//!
//! # Model
//!
//! The ceiling is the largest of three independent bounds:
//!
//! 1. **Budget bound.** The run must spend `C = (records + groups) × mutation_cost + read_cost`
//!    complexity points. The budget `B` refills one window (60 s) after the first call, so
//!    `W = ceil(C / B)` windows are needed and the last window cannot open before `(W − 1) × window`.
//!    Its own work (the records left for it) then takes at least the latency bound of those records.
//!    With `W = 1` this bound is zero.
//! 2. **Latency bound.** The mandatory reads run first (`read_round_trips × base`), then one round
//!    that creates the groups, then the items. Mutations inside one request run one after another
//!    (`base + k × per_mutation` for `k` aliases), at most `max_aliases_per_request =
//!    max_complexity_per_request / mutation_cost` per request, and at most `write_lanes` write
//!    requests in flight: the plan's `max_concurrency`, further limited by the sync's write policy
//!    (`write_concurrency`: the sync sends its writes to one board serially, one write request in
//!    flight at a time, unless `[sync] write_concurrency` allows more). The best split spreads the
//!    records evenly over those lanes. This is the best any client *with the sync's write policy*
//!    can do; a client that overlaps writes to one board is not what the model describes.
//! 3. **Request-rate bound.** The fewest possible requests, `R`, against the per-minute request limit:
//!    `(ceil(R / rpm) − 1) × 60 s`.
//!
//! Latencies are the latency profile's medians. The model ignores faults and throttling storms on
//! purpose: it is what a perfect client achieves on a healthy API, so efficiency stays comparable
//! between scenarios with and without faults.
//!
//! # The bulk-import path and the mixed plan ([`CeilingInputs::best_plan`], `ceiling/paths.rs`)
//!
//! monday.com's bulk import (`ingest_items`, a CSV upload, `fetch_job_status`;
//! https://developer.monday.com/api-reference/docs/importing-items-in-bulk) writes rows without
//! spending the complexity budget. [`CeilingInputs::ceiling_with`] models it beside the batches
//! from the simulator's settings ([`BulkInputs`]: the latency profile's `job_start_delay_ms` and
//! `job_rows_per_second`, or `--processing-rate`; the hourly limits) and answers a [`BestPlan`]:
//!
//! - **Jobs only.** The reads and the groups first (a job's group must exist). One job per group
//!   at least (rows spread evenly over the groups) and at most 10,000 rows a job. Each job's
//!   start (one mutation: base + per mutation, one after another on the write lane) and upload
//!   (one round trip) go ahead; jobs on a board run one after another, so only the first start
//!   delay shows: the jobs end at `max(setup + rows / rate, starts of every job + the last
//!   job's rows / rate)`. The end is seen by the `fetch_job_status` poll (every 10 s, the
//!   documented pace, from the first upload). Rows beyond the hour's 19,000 items, or jobs beyond
//!   its 100 starts, wait for the rolling window (an hour after the first validation).
//! - **The mix.** `y` records as `create_item` batches, the rest as jobs. Batches never run while
//!   a job processes rows (the board answers 423), but they run during the first job's setup and
//!   their budget refills meanwhile; the batches, the group creations and the job starts all
//!   spend the complexity budget. The best `y` is searched at every budget window's edge, at
//!   what hides in the first job's setup, at the rows over the hour's budget, and inside each
//!   window (the time there is the larger of a falling and a rising term).
//! - **The best plan** is the lowest of batches only (this model's `ceiling_ms`, unchanged),
//!   jobs only and the best mix; `crossover_records` is the fewest records (same groups) for
//!   which a plan with jobs wins.
//!
//! # Records a CSV row cannot carry ([`CeilingInputs::batch_only_records`])
//!
//! The import's CSV has one documented form per column type
//! (https://developer.monday.com/api-reference/docs/importing-items-in-bulk, "Column type
//! validation"), and some values have no exact form in it: a phone whose number does not carry
//! the record's country, a date with a time, a dropdown label with a comma, text with
//! surrounding blanks. Altering a value silently is not an option for any client, so those
//! records go as `create_item` in every plan: jobs only is possible only when there are none
//! (with some, `bulk_ms` is the plan with the most jobs: every other record as jobs, those as
//! batches, and the best plan is then a mix); the mix searches `y` from their count up to all
//! records; the floor's shares start there too, so it stays a lower bound on every client that
//! keeps values exact; `crossover_records` searches other record counts with the same *share*
//! of them, scaled proportionally ([`CeilingInputs::at_records`]). With none, every figure is
//! the unconstrained model's.
//!
//! The count is the one input that comes from monday-sync: its CSV encoder
//! (`monday_sync::ingest::CsvRowCheck`) judges each record of the workload, mapped by the run's
//! config. That is a property of the data and of the documented format, not of the sync's
//! planner, and writing a second encoder here would be a second copy of the format table to
//! keep in step. A regression in the encoder that refused rows it could carry raises the
//! ceiling's batch share, so `efficiency` alone would not see it; but the gate's per-record
//! baselines of the bulk scenarios do (more batches take longer), so it does not go unseen.
//!
//! `ceiling_ms`, `binding` and the three bounds stay the batch path's, so every figure measured
//! against them (the gate's efficiency targets for batch runs) is unchanged; which plan a run's
//! `efficiency` is measured against is [`crate::model::yardstick`]'s decision.
//!
//! **Independent of the sync's planner, on purpose.** monday-perf depends on monday-sync, and
//! the sync has its own cost model of the two paths (`planning::paths`). The ceiling never calls
//! it (only the count above comes from the sync, from its encoder, not its planner): the
//! ceiling is the yardstick the sync's choices are measured with, and a regression in the
//! planner (a wrong rate, a lost term) would otherwise move the yardstick with it and go
//! unseen. The two models are written separately and may disagree in detail (the planner
//! estimates what the engine will do; the ceiling what the best client could do).
//!
//! # Why efficiency can exceed 1, and the floor that cannot
//!
//! Round trips are drawn from a lognormal distribution, so a lucky run can beat the median-based
//! ceiling by a little. [`Ceiling::floor_ms`] is the same model with a zero-cost round trip (only
//! the budget windows and the per-mutation time, which every run pays in full): a true lower bound,
//! so `floor_ms / achieved` never exceeds 1. Results report both; `efficiency` above 1 means the
//! round trips were faster than the profile's median, never that the client beat the limits.
//! With the bulk path modelled, `floor_ms` is the lowest floor over every path: free round
//! trips, the end of a job seen the moment it happens, and for every share of batches the
//! least each term (the first start delay and the rows' processing, the board lock, the budget's
//! windows, the hour's limits) allows; so no run beats it, whichever path it takes. The shares
//! start at the batch-only records: no client that keeps every value exact sends fewer.

mod paths;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use paths::{BestPlan, BulkInputs, PlanKind, CROSSOVER_SEARCH_MAX};

/// The latency model of the simulator profile, reduced to medians.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencyModel {
    /// Fixed cost of one round trip (network + parse + auth), median.
    pub base: Duration,
    /// Additional time per root mutation executed in a request, median.
    pub per_mutation: Duration,
}

/// Everything the ceiling depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeilingInputs {
    pub records: u64,
    /// Groups the run has to create (one per distinct customer not yet on the board).
    pub groups: u64,
    /// Complexity of one root mutation (`create_item`, `create_group`).
    pub mutation_cost: u64,
    /// Complexity of the reads every run needs (board schema, existing keys).
    pub read_cost: u64,
    /// Round trips those reads need, one after another, before the first write.
    pub read_round_trips: u64,
    /// Complexity budget per window (10M personal, 1M trial, 5M app writes).
    pub budget_per_window: u64,
    pub window: Duration,
    pub max_complexity_per_request: u64,
    pub max_concurrency: u64,
    /// Write requests the sync keeps in flight to one board (`[sync] write_concurrency`; 1 = writes
    /// are serial). 0 = no limit of the client's own (only `max_concurrency`).
    #[serde(default)]
    pub write_concurrency: u64,
    pub requests_per_minute: u64,
    pub latency: LatencyModel,
    /// Records a bulk-import CSV row cannot carry exactly (the docs' format has no exact form
    /// for one of their values): they go as `create_item` in every plan. 0 = every record can
    /// be a row. Counted by the sync's own CSV encoder (see the module doc); at most `records`
    /// counts.
    #[serde(default)]
    pub batch_only_records: u64,
}

/// The computed ceiling and the bound that set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ceiling {
    pub inputs: CeilingInputs,
    pub total_complexity: u64,
    pub windows: u64,
    pub budget_bound_ms: f64,
    pub latency_bound_ms: f64,
    pub request_rate_bound_ms: f64,
    /// `max` of the three bounds.
    pub ceiling_ms: f64,
    /// The same bounds with a zero-cost round trip: a true lower bound on the run's time.
    #[serde(default)]
    pub floor_ms: f64,
    /// `"budget"`, `"latency"` or `"request_rate"`.
    pub binding: String,
    pub ceiling_per_record_ms: f64,
    /// Every write path's ceiling and the best plan ([`CeilingInputs::ceiling_with`] with the
    /// bulk import's inputs); None when only the batch path was modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_plan: Option<BestPlan>,
}

impl Ceiling {
    /// The best plan's ceiling over every modelled path (the batch ceiling when only batches
    /// were modelled).
    pub fn best_ms(&self) -> f64 {
        self.best_plan
            .as_ref()
            .map_or(self.ceiling_ms, |b| b.best_ms)
    }

    /// Which plan [`Ceiling::best_ms`] is.
    pub fn best_kind(&self) -> PlanKind {
        self.best_plan.as_ref().map_or(PlanKind::Batch, |b| b.plan)
    }
}

impl CeilingInputs {
    /// Aliases one request may carry under the per-request complexity cap (at least 1).
    pub fn max_aliases_per_request(&self) -> u64 {
        (self.max_complexity_per_request / self.mutation_cost.max(1)).max(1)
    }

    /// These inputs with `n` records a CSV row cannot carry (see
    /// [`CeilingInputs::batch_only_records`]).
    pub fn with_batch_only_records(mut self, n: u64) -> Self {
        self.batch_only_records = n;
        self
    }

    /// Write requests in flight at once: the plan's cap, limited by the sync's write policy.
    pub fn write_lanes(&self) -> u64 {
        match self.write_concurrency {
            0 => self.max_concurrency.max(1),
            w => w.min(self.max_concurrency.max(1)),
        }
    }

    /// Shortest time to run `n` mutations spread over all lanes, requests capped at the alias limit.
    fn write_time(&self, n: u64) -> Duration {
        if n == 0 {
            return Duration::ZERO;
        }
        let lanes = self.write_lanes();
        let per_lane = n.div_ceil(lanes);
        let requests_per_lane = per_lane.div_ceil(self.max_aliases_per_request());
        self.latency.base * requests_per_lane as u32 + self.latency.per_mutation * per_lane as u32
    }

    /// The ceiling with the bulk import modelled beside the batches (`Some`): `best_plan` filled
    /// in and `floor_ms` lowered to the floor over every path, so no run beats it whichever path
    /// it takes. `ceiling_ms`, `binding` and the bounds stay the batch path's.
    pub fn ceiling_with(&self, bulk: Option<&BulkInputs>) -> Ceiling {
        let mut c = self.ceiling();
        if let Some(b) = bulk {
            let best = self.best_plan(b);
            c.floor_ms = c.floor_ms.min(best.floor_ms);
            c.best_plan = Some(best);
        }
        c
    }

    /// Computes the ceiling (and its floor: the same model with zero-cost round trips).
    pub fn ceiling(&self) -> Ceiling {
        let mut floor_inputs = self.clone();
        floor_inputs.latency.base = Duration::ZERO;
        let floor = floor_inputs.bounds().into_iter().map(|(_, d)| d).max();
        let mut c = self.ceiling_only();
        c.floor_ms =
            crate::measure::latency::round3(floor.unwrap_or_default().as_secs_f64() * 1000.0);
        c
    }

    fn bounds(&self) -> [(&'static str, Duration); 3] {
        let c = self.ceiling_only();
        let d = |ms: f64| Duration::from_secs_f64(ms / 1000.0);
        [
            ("budget", d(c.budget_bound_ms)),
            ("latency", d(c.latency_bound_ms)),
            ("request_rate", d(c.request_rate_bound_ms)),
        ]
    }

    fn ceiling_only(&self) -> Ceiling {
        let mutations = self.records + self.groups;
        let total = mutations * self.mutation_cost + self.read_cost;
        let budget = self.budget_per_window.max(1);
        let windows = total.div_ceil(budget).max(1);

        let reads = self.latency.base * self.read_round_trips as u32;
        let latency_bound = reads + self.write_time(self.groups) + self.write_time(self.records);

        let budget_bound = if windows <= 1 {
            Duration::ZERO
        } else {
            let spent_before_last = (windows - 1) * budget;
            let left = total.saturating_sub(spent_before_last);
            let left_mutations = left.div_ceil(self.mutation_cost.max(1)).min(mutations);
            self.window * (windows - 1) as u32 + self.write_time(left_mutations)
        };

        let min_requests = self.read_round_trips
            + self.groups.div_ceil(self.max_aliases_per_request())
            + self.records.div_ceil(self.max_aliases_per_request());
        let rate_windows = min_requests
            .div_ceil(self.requests_per_minute.max(1))
            .max(1);
        let rate_bound = Duration::from_secs(60) * (rate_windows - 1) as u32;

        let bounds = [
            ("budget", budget_bound),
            ("latency", latency_bound),
            ("request_rate", rate_bound),
        ];
        let (binding, ceiling) = bounds
            .iter()
            .copied()
            .max_by_key(|(_, d)| *d)
            .unwrap_or(("latency", latency_bound));
        let ms = |d: Duration| crate::measure::latency::round3(d.as_secs_f64() * 1000.0);
        Ceiling {
            inputs: self.clone(),
            total_complexity: total,
            windows,
            budget_bound_ms: ms(budget_bound),
            latency_bound_ms: ms(latency_bound),
            request_rate_bound_ms: ms(rate_bound),
            ceiling_ms: ms(ceiling),
            floor_ms: 0.0,
            binding: binding.to_string(),
            ceiling_per_record_ms: crate::measure::latency::round3(
                ms(ceiling) / self.records.max(1) as f64,
            ),
            best_plan: None,
        }
    }
}

/// `ceiling / achieved`, 0 when nothing was achieved; rounded to 4 decimals.
pub fn efficiency(ceiling_ms: f64, achieved_ms: f64) -> f64 {
    if achieved_ms <= 0.0 {
        return 0.0;
    }
    ((ceiling_ms / achieved_ms) * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(records: u64, budget: u64) -> CeilingInputs {
        CeilingInputs {
            records,
            groups: 10,
            mutation_cost: 30_000,
            read_cost: 5_000,
            read_round_trips: 2,
            budget_per_window: budget,
            window: Duration::from_secs(60),
            max_complexity_per_request: 5_000_000,
            max_concurrency: 100,
            write_concurrency: 0,
            requests_per_minute: 2_500,
            latency: LatencyModel {
                base: Duration::from_millis(100),
                per_mutation: Duration::from_millis(10),
            },
            batch_only_records: 0,
        }
    }

    #[test]
    fn small_runs_are_latency_bound() {
        let c = inputs(50, 10_000_000).ceiling();
        assert_eq!(c.binding, "latency");
        assert_eq!(c.windows, 1);
        // 2 reads (200) + groups: 10 lanes of 1 (110) + items: 50 lanes of 1 (110)
        assert_eq!(c.ceiling_ms, 420.0);
        assert_eq!(c.budget_bound_ms, 0.0);
    }

    #[test]
    fn big_runs_are_budget_bound() {
        let c = inputs(5_000, 10_000_000).ceiling();
        // (5010 × 30,000 + 5,000) / 10M = 15.03 → 16 windows
        assert_eq!(c.windows, 16);
        assert_eq!(c.binding, "budget");
        // 15 windows + last window: 305,000 points left → 11 mutations on 11 lanes → 110 ms
        assert_eq!(c.budget_bound_ms, 900_110.0);
        let trial = inputs(5_000, 1_000_000).ceiling();
        assert_eq!(trial.binding, "budget");
        assert_eq!(trial.windows, 151);
    }

    #[test]
    fn per_request_cap_limits_aliases() {
        let mut i = inputs(1_000, u64::MAX);
        i.max_concurrency = 1;
        i.groups = 0;
        assert_eq!(i.max_aliases_per_request(), 166);
        // 7 requests × 100 ms + 1,000 × 10 ms + 2 reads
        assert_eq!(i.ceiling().latency_bound_ms, 10_900.0);
    }

    #[test]
    fn serial_writes_make_one_lane_and_the_floor_stays_below() {
        let mut i = inputs(50, 10_000_000);
        i.write_concurrency = 1;
        assert_eq!(i.write_lanes(), 1);
        let c = i.ceiling();
        // 2 reads (200) + 10 groups in one request (100 + 100) + 50 items in one request (100 + 500)
        assert_eq!(c.ceiling_ms, 1_000.0);
        // Zero-cost round trips: only the per-mutation time is left.
        assert_eq!(c.floor_ms, 600.0);
        i.write_concurrency = 1_000;
        assert_eq!(i.write_lanes(), 100, "never more than the plan allows");
    }

    #[test]
    fn efficiency_is_ratio() {
        assert_eq!(efficiency(90.0, 100.0), 0.9);
        assert_eq!(efficiency(90.0, 0.0), 0.0);
    }
}
