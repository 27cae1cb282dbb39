//! The bulk-import path and the mixed plan in the ceiling model (see the parent module's doc):
//! the best plan over every write path, its floor, and the record count where jobs start to win.
//!
//! Computed here, from the simulator's settings and the workload's count of records a CSV row
//! cannot carry ([`CeilingInputs::batch_only_records`]) alone, never by calling the sync's
//! planner (`monday_sync`'s `planning::paths`): the ceiling is the yardstick the sync's choices
//! are measured with, so a regression in the planner must not move it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::CeilingInputs;

/// The bulk import as the ceiling sees it: the simulator's job timing and limits
/// (`SimConfig::job_timing`, `SimConfig::bulk`; documented values at
/// https://developer.monday.com/api-reference/reference/ingest-items-api-reference and
/// https://developer.monday.com/api-reference/docs/importing-items-in-bulk).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkInputs {
    /// From the upload to the start of row processing.
    pub job_start_delay: Duration,
    /// Rows a job processes per second; 0 = all at once (the `instant` profile).
    pub rows_per_second: f64,
    /// `fetch_job_status` every this long at the fastest (documented: about 10 s).
    pub poll_interval: Duration,
    /// Rows one `ingest_items` file may carry (documented: 10,000).
    pub max_rows_per_job: u64,
    /// Ingest items per account per rolling hour (documented: 19,000).
    pub items_per_hour: u64,
    /// Job starts per account per rolling hour (documented: 100).
    pub job_starts_per_hour: u64,
    /// Jobs on one board run one after another (the simulator's default).
    pub serial_jobs: bool,
    /// Other item writes to a board get 423 while a job processes its rows (the default).
    pub lock_board_during_job: bool,
}

impl BulkInputs {
    /// The documented limits and the `realistic` profile's job timing (2 s, 250 rows/s).
    pub fn realistic() -> Self {
        Self {
            job_start_delay: Duration::from_secs(2),
            rows_per_second: 250.0,
            poll_interval: Duration::from_secs(10),
            max_rows_per_job: 10_000,
            items_per_hour: 19_000,
            job_starts_per_hour: 100,
            serial_jobs: true,
            lock_board_during_job: true,
        }
    }
}

/// A write plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// `create_item` batches only.
    #[default]
    Batch,
    /// Bulk-import jobs only (groups are still created with `create_group`).
    Bulk,
    /// Jobs for most rows, `create_item` batches for the rest, on both budgets at once.
    Mixed,
}

impl PlanKind {
    /// `batch`, `bulk` or `mixed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Batch => "batch",
            Self::Bulk => "bulk",
            Self::Mixed => "mixed",
        }
    }
}

/// Every path's ceiling, the best plan and the floor under all of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestPlan {
    /// The plan with the lowest ceiling (on a tie: batch, then bulk, then mixed).
    pub plan: PlanKind,
    /// Its ceiling.
    pub best_ms: f64,
    /// `create_item` batches only (the parent model's `ceiling_ms`).
    pub batch_ms: f64,
    /// Jobs only; with [`CeilingInputs::batch_only_records`], the plan with the most jobs (those
    /// records as batches, every other record as jobs); the batch ceiling when no record can be
    /// a row.
    pub bulk_ms: f64,
    /// The best mix of jobs and batches (equal to the better single path when no mix beats it).
    pub mixed_ms: f64,
    /// Records the best mix sends as `create_item` (the rest go as jobs); never fewer than the
    /// batch-only records when the best plan has jobs.
    pub mixed_batch_records: u64,
    /// Jobs the best plan starts.
    pub jobs: u64,
    /// What sets the jobs-only ceiling (`bulk_ms`): `processing`, `poll`, `job_requests`,
    /// `budget`, `board_lock`, `hourly_items` or `job_starts` (`batch` when no record can be a
    /// row).
    pub bulk_binding: String,
    /// A true lower bound over every path (no round trip costs anything, the end of a job is
    /// seen the moment it happens): no run can beat it, whichever path it takes.
    pub floor_ms: f64,
    /// The fewest records (same groups, same settings) for which a plan with jobs has a lower
    /// ceiling than batches only; None when batches win up to [`CROSSOVER_SEARCH_MAX`].
    pub crossover_records: Option<u64>,
}

/// How far [`BestPlan::crossover_records`] is searched.
pub const CROSSOVER_SEARCH_MAX: u64 = 100_000;

/// One plan's estimate: the time, what bound it, and its jobs.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    secs: f64,
    binding: &'static str,
    jobs: u64,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(s: f64) -> f64 {
    crate::measure::latency::round3(s * 1000.0)
}

impl CeilingInputs {
    /// The best plan over every write path for these inputs (see the parent module's doc). The
    /// batch path is [`CeilingInputs::ceiling`]'s model, unchanged; every plan with jobs sends
    /// the [`CeilingInputs::batch_only_records`] as batches.
    pub fn best_plan(&self, bulk: &BulkInputs) -> BestPlan {
        let batch_ms = self.ceiling_only().ceiling_ms;
        let b = self.batch_only();
        let most_jobs = self.most_jobs(bulk);
        let mixed = self.best_mix(bulk, true);
        let (bulk_ms, mixed_ms) = (
            most_jobs.map_or(batch_ms, |e| ms(e.secs)),
            mixed.map_or(f64::INFINITY, |(_, e)| ms(e.secs)),
        );
        // On a tie: batch, then bulk, then mixed. With records a row cannot carry, the plan
        // with the most jobs is a mix too (those records as batches).
        let (plan, best_ms, jobs, mixed_batch_records) = match most_jobs {
            Some(_) if bulk_ms.min(mixed_ms) >= batch_ms => (PlanKind::Batch, batch_ms, 0, 0),
            None => (PlanKind::Batch, batch_ms, 0, 0),
            Some(e) if bulk_ms <= mixed_ms && b == 0 => (PlanKind::Bulk, bulk_ms, e.jobs, 0),
            Some(e) if bulk_ms <= mixed_ms => (PlanKind::Mixed, bulk_ms, e.jobs, b),
            Some(e) => {
                let (y, e) = mixed.unwrap_or((b, e));
                (PlanKind::Mixed, mixed_ms, e.jobs, y)
            }
        };
        BestPlan {
            plan,
            best_ms,
            batch_ms,
            bulk_ms,
            mixed_ms: if mixed_ms.is_finite() {
                mixed_ms
            } else {
                batch_ms.min(bulk_ms)
            },
            mixed_batch_records,
            jobs,
            bulk_binding: most_jobs.map_or("batch", |e| e.binding).to_string(),
            floor_ms: self.batch_floor_ms().min(ms(self.jobs_floor(bulk))),
            crossover_records: self.crossover(bulk),
        }
    }

    /// Records that go as `create_item` in every plan (at most all of them).
    pub fn batch_only(&self) -> u64 {
        self.batch_only_records.min(self.records)
    }

    /// These inputs at `records` records: the same groups (at most one per record) and the same
    /// share of records a CSV row cannot carry, scaled proportionally (rounded to the nearest
    /// record). [`BestPlan::crossover_records`] searches other record counts this way.
    pub fn at_records(&self, records: u64) -> CeilingInputs {
        let mut i = self.clone();
        let n = u128::from(self.records.max(1));
        let scaled = (u128::from(self.batch_only()) * u128::from(records) * 2 + n) / (2 * n);
        i.records = records;
        i.groups = self.groups.min(records);
        i.batch_only_records = u64::try_from(scaled).unwrap_or(records).min(records);
        i
    }

    /// The plan with the most jobs: every record a CSV row can carry as jobs, the
    /// [`CeilingInputs::batch_only_records`] as batches (jobs only when there are none); None
    /// when no record can go as a job.
    fn most_jobs(&self, bulk: &BulkInputs) -> Option<Estimate> {
        let b = self.batch_only();
        (b == 0 || b < self.records).then(|| self.plan_estimate(bulk, b))
    }

    /// The best mix (records as batches at least [`CeilingInputs::batch_only`], at least one,
    /// and fewer than all, and its estimate): at every candidate of
    /// [`CeilingInputs::mix_candidates`] and, when `search`, the best share inside each
    /// complexity window (the plan's time there is the larger of a falling term, the jobs and
    /// the board, and a rising one, the budget: a ternary search finds the low point).
    fn best_mix(&self, bulk: &BulkInputs, search: bool) -> Option<(u64, Estimate)> {
        let n = self.records;
        let b = self.batch_only();
        let candidates = self.mix_candidates(bulk);
        let mut best: Option<(u64, Estimate)> = None;
        let mut consider = |y: u64, e: Estimate| {
            if best.is_none_or(|(_, b)| e.secs < b.secs) {
                best = Some((y, e));
            }
        };
        for &y in &candidates {
            consider(y, self.plan_estimate(bulk, y));
        }
        if search && n >= 3 && b < n {
            let mut edges = vec![b.max(1)];
            edges.extend(candidates.iter().copied());
            edges.push(n - 1);
            edges.sort_unstable();
            edges.dedup();
            for w in edges.windows(2) {
                let (mut lo, mut hi) = (w[0], w[1]);
                while hi - lo > 2 {
                    let m1 = lo + (hi - lo) / 3;
                    let m2 = hi - (hi - lo) / 3;
                    if self.plan_estimate(bulk, m1).secs <= self.plan_estimate(bulk, m2).secs {
                        hi = m2;
                    } else {
                        lo = m1;
                    }
                }
                for y in lo..=hi {
                    consider(y, self.plan_estimate(bulk, y));
                }
            }
        }
        best
    }

    /// The batch path's floor (the parent model with free round trips).
    fn batch_floor_ms(&self) -> f64 {
        self.free().ceiling_only().ceiling_ms
    }

    /// These inputs with round trips that cost nothing (the floor's).
    fn free(&self) -> CeilingInputs {
        let mut free = self.clone();
        free.latency.base = Duration::ZERO;
        free
    }

    /// Records-as-batches worth trying for a mix (strictly between 0 and all, never fewer than
    /// the batch-only records, which are one candidate themselves): the most each complexity
    /// window admits (the budget bound steps there), and what fits in the first job's setup
    /// (start, upload, start delay) at the latency's pace.
    fn mix_candidates(&self, bulk: &BulkInputs) -> Vec<u64> {
        let n = self.records;
        if n < 2 {
            return Vec::new();
        }
        let jobs = self.jobs_for(n, bulk);
        let mut out: Vec<u64> = self
            .window_edges(self.groups + jobs)
            .into_iter()
            .filter(|&y| y > 0 && y < n)
            .collect();
        // The most batches the first job's setup can hide.
        let setup = self.job_setup_secs(bulk, secs(self.latency.base));
        let (mut lo, mut hi) = (0u64, n);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if secs(self.write_time(mid)) <= setup {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo > 0 && lo < n {
            out.push(lo);
        }
        // The rows beyond the hour's item budget as batches.
        let over = n.saturating_sub(bulk.items_per_hour.max(1));
        if over > 0 {
            out.push(over);
        }
        let b = self.batch_only();
        if b > 0 && b < n {
            out.push(b);
        }
        out.retain(|&y| y >= b);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The most `create_item`s each complexity window admits beside `other` mutations and the
    /// reads, window by window, until the run's records fit.
    fn window_edges(&self, other: u64) -> Vec<u64> {
        let per_window = self.budget_per_window.max(1);
        let cost = self.mutation_cost.max(1);
        let mut out = Vec::new();
        for k in 1..=10_000u64 {
            let room = k.saturating_mul(per_window).saturating_sub(self.read_cost) / cost;
            let y = room.saturating_sub(other);
            if y >= self.records {
                break;
            }
            out.push(y);
        }
        out
    }

    /// Jobs for `x` rows: one per group at least (rows spread evenly over the run's groups; one
    /// group when none are counted), and none over `max_rows_per_job`.
    fn jobs_for(&self, x: u64, bulk: &BulkInputs) -> u64 {
        if x == 0 {
            return 0;
        }
        let cap = bulk.max_rows_per_job.max(1);
        let groups = self.groups.clamp(1, self.records.max(1));
        let per_group = self.records.max(1).div_ceil(groups).min(cap);
        x.div_ceil(cap).max(x.div_ceil(per_group.max(1)))
    }

    /// From the first job's start request to the start of its processing: the start (one
    /// mutation), the upload (one PUT) and the start delay; `base` is one round trip's cost.
    fn job_setup_secs(&self, bulk: &BulkInputs, base: f64) -> f64 {
        base + secs(self.latency.per_mutation) + base + secs(bulk.job_start_delay)
    }

    /// Rows a second, as seconds for `rows` (0 = instant).
    fn processing_secs(bulk: &BulkInputs, rows: f64) -> f64 {
        if bulk.rows_per_second > 0.0 {
            rows / bulk.rows_per_second
        } else {
            0.0
        }
    }

    /// Extra hours the hour's budgets impose on `x` rows in `jobs` jobs, and which budget.
    fn hours_waited(bulk: &BulkInputs, x: u64, jobs: u64) -> (u64, &'static str) {
        let by = |n: u64, per_hour: u64| {
            if per_hour == 0 {
                0
            } else {
                n.div_ceil(per_hour).saturating_sub(1)
            }
        };
        let (items, starts) = (
            by(x, bulk.items_per_hour),
            by(jobs, bulk.job_starts_per_hour),
        );
        if items >= starts {
            (items, "hourly_items")
        } else {
            (starts, "job_starts")
        }
    }

    /// The ceiling of one plan: `y` records as `create_item` batches, the rest as jobs.
    fn plan_estimate(&self, bulk: &BulkInputs, y: u64) -> Estimate {
        let n = self.records;
        let y = y.min(n);
        let x = n - y;
        let base = secs(self.latency.base);
        // Reads, then the groups (a job's group must exist).
        let pre = base * self.read_round_trips as f64 + secs(self.write_time(self.groups));
        let jobs = self.jobs_for(x, bulk);
        let start_rt = base + secs(self.latency.per_mutation);
        let setup = self.job_setup_secs(bulk, base);
        let first_upload = start_rt + base;

        // The jobs, from `pre`: each started and uploaded ahead (starts one after another on
        // the write lane); serial jobs are validated when the board is free, so only the first
        // start delay shows.
        let (mut chain, mut binding) = (0.0, "batch");
        if jobs > 0 {
            let per_job = x as f64 / jobs as f64;
            let by_requests = jobs as f64 * start_rt
                + base
                + secs(bulk.job_start_delay)
                + Self::processing_secs(bulk, per_job);
            let by_processing = setup + Self::processing_secs(bulk, x as f64);
            (chain, binding) = if !bulk.serial_jobs || by_requests > by_processing {
                (by_requests, "job_requests")
            } else {
                (by_processing, "processing")
            };
            // Rows or starts beyond the hour's budgets wait for the rolling window.
            let (hours, which) = Self::hours_waited(bulk, x, jobs);
            if hours > 0 {
                // A perfect client sizes its jobs to what the hour has left.
                let last_rows = if which == "hourly_items" {
                    x.saturating_sub(hours * bulk.items_per_hour) as f64
                } else {
                    jobs.saturating_sub(hours * bulk.job_starts_per_hour) as f64 * per_job
                };
                let waited =
                    setup + hours as f64 * 3_600.0 + Self::processing_secs(bulk, last_rows);
                if waited > chain {
                    (chain, binding) = (waited, which);
                }
            }
        }
        // The poll that sees the last job end (every `poll_interval` from the first upload).
        let seen = if jobs == 0 {
            0.0
        } else {
            let poll = secs(bulk.poll_interval).max(1e-3);
            let after = (chain - first_upload).max(0.0);
            first_upload + (after / poll - 1e-9).ceil().max(1.0) * poll
        };
        // The board: batches never overlap a job's processing (423), but run during the first
        // job's setup and between jobs.
        let batches = secs(self.write_time(y));
        let board = if jobs == 0 || !bulk.lock_board_during_job {
            chain.max(batches)
        } else {
            chain.max(setup.max(batches) + Self::processing_secs(bulk, x as f64))
        };
        if board > chain {
            binding = if jobs == 0 { "batch" } else { "board_lock" };
        }
        // The poll is what binds when the jobs were done before the first poll came.
        if jobs > 0 && seen > board && seen - first_upload <= secs(bulk.poll_interval) + 1e-9 {
            binding = "poll";
        }
        let mut out = Estimate {
            secs: pre + board.max(seen),
            binding,
            jobs,
        };
        // The complexity budget: batches, group creations and job starts all spend it.
        let budget = self.budget_bound_secs(y + self.groups + jobs);
        if budget > out.secs {
            out.secs = budget;
            out.binding = "budget";
        }
        out
    }

    /// The parent model's budget bound for `mutations` root mutations.
    fn budget_bound_secs(&self, mutations: u64) -> f64 {
        let total = mutations * self.mutation_cost + self.read_cost;
        let per_window = self.budget_per_window.max(1);
        let windows = total.div_ceil(per_window).max(1);
        if windows <= 1 {
            return 0.0;
        }
        let left = total.saturating_sub((windows - 1) * per_window);
        let left_mutations = left.div_ceil(self.mutation_cost.max(1)).min(mutations);
        secs(self.window) * (windows - 1) as f64 + secs(self.write_time(left_mutations))
    }

    /// The complexity windows `mutations` root mutations wait for: `(windows - 1) x window`
    /// (monotone in `mutations`, unlike the budget bound's last-window term).
    fn windows_waited_secs(&self, mutations: u64) -> f64 {
        let total = mutations * self.mutation_cost + self.read_cost;
        let windows = total.div_ceil(self.budget_per_window.max(1)).max(1);
        secs(self.window) * (windows - 1) as f64
    }

    /// A true lower bound on any run that uses jobs, whatever share `y` of its records goes as
    /// batches (`y` at least the batch-only records: a client that keeps every value exact sends
    /// those as `create_item`; infinite when no record can go as a job). For one `y`, a run
    /// needs at least: the first job's start mutation, its start
    /// delay and the processing of its `x = records - y` rows (jobs on a board run one after
    /// another), plus a wait of an hour per hour's budget exceeded; with the board lock, the
    /// batches' own per-mutation time beside the processing (they cannot overlap); and the
    /// complexity windows its mutations need. Round trips cost nothing and the end of a job is
    /// seen at once. Over the `y` between two window edges each term is taken at its most
    /// favourable end, so no `y` in between can beat the bound.
    fn jobs_floor(&self, bulk: &BulkInputs) -> f64 {
        let n = self.records;
        if n == 0 {
            return 0.0;
        }
        let b = self.batch_only();
        if b >= n {
            return f64::INFINITY;
        }
        let free = self.free();
        let chain = |x: u64| {
            if x == 0 {
                return 0.0;
            }
            let jobs = x.div_ceil(bulk.max_rows_per_job.max(1));
            let processing = if bulk.serial_jobs {
                Self::processing_secs(bulk, x as f64)
            } else {
                0.0
            };
            let (hours, _) = Self::hours_waited(bulk, x, jobs);
            // Processing, or the wait for the next hour's window, whichever is longer.
            self.job_setup_secs(bulk, 0.0) + processing.max(hours as f64 * 3_600.0)
        };
        let board = |y: u64| {
            let batches = secs(free.write_time(y));
            if bulk.lock_board_during_job && bulk.serial_jobs {
                batches + Self::processing_secs(bulk, (n - y) as f64)
            } else {
                batches
            }
        };
        let mut edges = vec![b];
        edges.extend(
            self.window_edges(self.groups)
                .into_iter()
                .filter(|&y| y >= b),
        );
        edges.push(n - 1);
        edges.sort_unstable();
        edges.dedup();
        let mut best = f64::INFINITY;
        for (i, &lo) in edges.iter().enumerate() {
            let hi = edges.get(i + 1).copied().unwrap_or(lo);
            let bound = chain(n - hi)
                .max(board(lo).min(board(hi)))
                .max(self.windows_waited_secs(lo + self.groups));
            best = best.min(bound);
        }
        best
    }

    /// The fewest records for which a plan with jobs beats batches only (same groups, the same
    /// share of batch-only records: [`CeilingInputs::at_records`]; mixes at the candidates
    /// only, without the search inside each window, so the search stays cheap).
    fn crossover(&self, bulk: &BulkInputs) -> Option<u64> {
        let wins = |n: u64| {
            let i = self.at_records(n);
            let batch_ms = i.ceiling_only().ceiling_ms;
            let mix = i
                .best_mix(bulk, false)
                .map_or(f64::INFINITY, |(_, e)| ms(e.secs));
            let jobs_ms = i
                .most_jobs(bulk)
                .map_or(f64::INFINITY, |e| ms(e.secs))
                .min(mix);
            jobs_ms < batch_ms
        };
        let mut n = 1u64;
        while n <= CROSSOVER_SEARCH_MAX {
            if wins(n) {
                return Some(n);
            }
            // Exact to the record up to 1,000, then to 0.5%.
            n += (n / 200).max(1);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ceiling::LatencyModel;

    /// The realistic profile on the Pro plan with a personal token, writes serial (the sync's
    /// default): 250 ms a round trip, 25 ms a mutation, 166 aliases a request, 10M a minute.
    pub(super) fn realistic(records: u64, groups: u64) -> CeilingInputs {
        CeilingInputs {
            records,
            groups,
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
    }

    pub(super) fn at_rate(rows_per_second: f64) -> BulkInputs {
        BulkInputs {
            rows_per_second,
            ..BulkInputs::realistic()
        }
    }

    #[test]
    fn one_group_of_5000_rows_at_250_rows_a_second() {
        let b = realistic(5_000, 1).best_plan(&BulkInputs::realistic());
        // Batches: 5,001 mutations need 16 budget windows: 15 x 60 s + the last one's single
        // mutation (250 + 25 ms).
        assert_eq!(b.batch_ms, 900_275.0);
        // Jobs: the board read (250) and the group (275) first; the start (275) and the upload
        // (250) end at 525 ms, processing starts 2 s later and takes 20 s (22.525 s); the polls
        // every 10 s from the upload see it at 0.525 + 30 s. Total 0.525 + 30.525.
        assert_eq!(b.bulk_ms, 31_050.0);
        assert_eq!((b.plan, b.best_ms, b.jobs), (PlanKind::Bulk, 31_050.0, 1));
        assert_eq!(b.bulk_binding, "processing");
        // No mix beats it: batches during the setup still leave the same poll to wait for.
        assert_eq!(b.mixed_ms, 31_050.0);
        // Floor: the start's mutation (25 ms) + 2 s + 18.672 s for the 4,668 rows the first
        // budget window cannot take as batches (332 of them, beside the group, free of round
        // trips).
        assert_eq!(b.floor_ms, 20_697.0);
        // Jobs win from 333 records on: with the group that is 334 mutations, one more than a
        // 10M window admits, so batches wait 60 s for the second window; 332 records take
        // 0.525 + 2 requests (500) + 332 x 25 ms = 9.325 s, under a job's 11.05 s.
        assert_eq!(b.crossover_records, Some(333));
    }

    #[test]
    fn thirty_groups_make_thirty_jobs() {
        let b = realistic(5_000, 30).best_plan(&BulkInputs::realistic());
        // Batches: 5,030 mutations: 15 windows + 30 mutations in the last (one request, 1 s).
        assert_eq!(b.batch_ms, 901_000.0);
        // Jobs: the read and the 30 groups (one request: 250 + 750 ms) = 1.25 s; 30 jobs of
        // 167 rows whose starts (30 x 275 ms) hide behind the 20 s of processing; seen at
        // 0.525 + 30 s.
        assert_eq!(b.jobs, 30);
        assert_eq!(b.bulk_ms, 31_775.0);
        assert_eq!(b.plan, PlanKind::Bulk);
    }

    #[test]
    fn ten_times_faster_and_slower() {
        // 2,500 rows/s: processing 2 s, ends at 4.525 s, seen by the first poll at 10.525 s.
        let fast = realistic(5_000, 1).best_plan(&at_rate(2_500.0));
        assert_eq!((fast.plan, fast.bulk_ms), (PlanKind::Bulk, 11_050.0));
        // 25 rows/s: 200 s of processing, seen at 0.525 + 210 s.
        let slow = realistic(5_000, 1).best_plan(&at_rate(25.0));
        assert_eq!(slow.bulk_ms, 211_050.0);
        // Now a mix wins: each budget window's 333 batches take 8.8 s of board time and spare
        // 13.3 s of processing, until the budget's windows bind (about the fourth minute).
        assert_eq!(slow.plan, PlanKind::Mixed);
        assert!(
            slow.best_ms < 190_000.0 && slow.best_ms > 180_000.0,
            "{slow:?}"
        );
        assert!(
            (997..=1_331).contains(&slow.mixed_batch_records),
            "{slow:?}"
        );
        assert!(slow.floor_ms <= slow.best_ms);
        // Both cross over where batches need a second budget window (333 records). With a
        // budget that never binds the latency sets it: at 2,500 rows/s the job is seen by the
        // first poll (11.05 s), and 392 records of batches take longer; at 25 rows/s jobs
        // never win, since batches write 37.7 records a second (25 ms each + 250 ms per 166).
        assert_eq!(
            (slow.crossover_records, fast.crossover_records),
            (Some(333), Some(333))
        );
        let mut unbound = realistic(5_000, 1);
        unbound.budget_per_window = 1_000_000_000;
        let fast = unbound.best_plan(&at_rate(2_500.0)).crossover_records;
        let slow = unbound.best_plan(&at_rate(25.0)).crossover_records;
        assert_eq!(fast, Some(392));
        assert_eq!(slow, None);
    }

    #[test]
    fn the_hourly_item_budget_binds_at_20000_rows() {
        let b = realistic(20_000, 1).best_plan(&BulkInputs::realistic());
        // Jobs only: 19,000 rows this hour, the last 1,000 an hour after the first validation
        // (2.525 s): 3,606.525 s, seen at 0.525 + 3,610; plus the 0.525 s before.
        assert_eq!(b.bulk_ms, 3_611_050.0);
        assert_eq!(b.bulk_binding, "hourly_items");
        // Batches only: 61 windows: 3,600 s + one mutation.
        assert_eq!(b.batch_ms, 3_600_275.0);
        // The mix sends the 1,000 rows over the hour's budget as batches: 1,003 mutations with
        // the group and two job starts need 4 windows: 180 s + 3 mutations (325 ms).
        assert_eq!((b.plan, b.mixed_batch_records), (PlanKind::Mixed, 1_000));
        assert_eq!(b.best_ms, 180_325.0);
    }

    #[test]
    fn job_starts_per_hour_bind() {
        let mut bulk = BulkInputs::realistic();
        bulk.job_starts_per_hour = 10;
        // 30 groups: 30 jobs, 10 an hour: the last 10 start two hours after the first.
        let b = realistic(5_000, 30).best_plan(&bulk);
        assert_eq!(b.bulk_binding, "job_starts");
        assert!(b.bulk_ms > 7_200_000.0);
    }

    /// The floor is a lower bound on every plan this model or any other client could run: every
    /// plan's estimate for every share of batches, over a grid of runs and rates.
    #[test]
    fn the_floor_is_below_every_plan() {
        for records in [1, 50, 392, 500, 5_000, 10_000, 20_000, 40_000] {
            for groups in [0, 1, 30] {
                for rate in [0.0, 25.0, 250.0, 2_500.0] {
                    let i = realistic(records, groups);
                    let bulk = at_rate(rate);
                    let b = i.best_plan(&bulk);
                    let floor = b.floor_ms;
                    assert!(floor <= b.best_ms, "{records}/{groups}/{rate}: {b:?}");
                    assert!(floor <= b.batch_ms);
                    let step = (records / 97).max(1);
                    for y in (0..=records).step_by(step as usize) {
                        let e = ms(i.plan_estimate(&bulk, y).secs);
                        assert!(floor <= e, "{records}/{groups}/{rate} y={y}: {floor} > {e}");
                    }
                }
            }
        }
    }

    /// Instant jobs and no latency: nothing waits but the first poll.
    #[test]
    fn instant_jobs_are_seen_by_the_first_poll() {
        let mut i = realistic(5_000, 1);
        i.latency = LatencyModel {
            base: Duration::ZERO,
            per_mutation: Duration::ZERO,
        };
        let bulk = BulkInputs {
            job_start_delay: Duration::ZERO,
            ..at_rate(0.0)
        };
        let b = i.best_plan(&bulk);
        assert_eq!(b.bulk_ms, 10_000.0);
        assert_eq!(b.floor_ms, 0.0);
    }

    /// With no batch-only records every figure is what the model gave before they existed
    /// (pinned from it over a grid of runs, groups and rates).
    #[test]
    fn no_batch_only_records_reproduce_the_unconstrained_figures() {
        type Row = (
            u64,
            u64,
            f64,
            PlanKind,
            f64,
            f64,
            f64,
            f64,
            u64,
            u64,
            f64,
            Option<u64>,
        );
        let pinned: &[Row] = &[
            (
                50,
                1,
                25.0,
                PlanKind::Batch,
                2025.0,
                2025.0,
                11050.0,
                11050.0,
                0,
                0,
                1275.0,
                Some(333),
            ),
            (
                50,
                1,
                250.0,
                PlanKind::Batch,
                2025.0,
                2025.0,
                11050.0,
                11050.0,
                0,
                0,
                1275.0,
                Some(333),
            ),
            (
                50,
                1,
                2500.0,
                PlanKind::Batch,
                2025.0,
                2025.0,
                11050.0,
                11050.0,
                0,
                0,
                1275.0,
                Some(333),
            ),
            (
                50,
                30,
                25.0,
                PlanKind::Batch,
                2750.0,
                2750.0,
                11775.0,
                11775.0,
                0,
                0,
                2000.0,
                Some(304),
            ),
            (
                50,
                30,
                250.0,
                PlanKind::Batch,
                2750.0,
                2750.0,
                11775.0,
                11775.0,
                0,
                0,
                2000.0,
                Some(304),
            ),
            (
                50,
                30,
                2500.0,
                PlanKind::Batch,
                2750.0,
                2750.0,
                11775.0,
                11775.0,
                0,
                0,
                2000.0,
                Some(304),
            ),
            (
                500,
                1,
                25.0,
                PlanKind::Mixed,
                16060.0,
                64700.0,
                31050.0,
                16060.0,
                331,
                1,
                12515.0,
                Some(333),
            ),
            (
                500,
                1,
                250.0,
                PlanKind::Bulk,
                11050.0,
                64700.0,
                11050.0,
                11050.0,
                0,
                1,
                2697.0,
                Some(333),
            ),
            (
                500,
                1,
                2500.0,
                PlanKind::Bulk,
                11050.0,
                64700.0,
                11050.0,
                11050.0,
                0,
                1,
                2092.2,
                Some(333),
            ),
            (
                500,
                30,
                25.0,
                PlanKind::Mixed,
                21775.0,
                65425.0,
                31775.0,
                21775.0,
                91,
                25,
                12515.0,
                Some(304),
            ),
            (
                500,
                30,
                250.0,
                PlanKind::Mixed,
                11775.0,
                65425.0,
                21775.0,
                11775.0,
                91,
                25,
                2813.0,
                Some(304),
            ),
            (
                500,
                30,
                2500.0,
                PlanKind::Bulk,
                11775.0,
                65425.0,
                11775.0,
                11775.0,
                0,
                30,
                2103.8,
                Some(304),
            ),
            (
                5_000,
                1,
                25.0,
                PlanKind::Mixed,
                184845.0,
                900275.0,
                211050.0,
                184845.0,
                1162,
                1,
                180000.0,
                Some(333),
            ),
            (
                5_000,
                1,
                250.0,
                PlanKind::Bulk,
                31050.0,
                900275.0,
                31050.0,
                31050.0,
                0,
                1,
                20697.0,
                Some(333),
            ),
            (
                5_000,
                1,
                2500.0,
                PlanKind::Bulk,
                11050.0,
                900275.0,
                11050.0,
                11050.0,
                0,
                1,
                3892.2,
                Some(333),
            ),
            (
                5_000,
                30,
                25.0,
                PlanKind::Mixed,
                185700.0,
                901000.0,
                211775.0,
                185700.0,
                1154,
                24,
                180000.0,
                Some(304),
            ),
            (
                5_000,
                30,
                250.0,
                PlanKind::Bulk,
                31775.0,
                901000.0,
                31775.0,
                31775.0,
                0,
                30,
                20813.0,
                Some(304),
            ),
            (
                5_000,
                30,
                2500.0,
                PlanKind::Mixed,
                11775.0,
                901000.0,
                21775.0,
                11775.0,
                273,
                29,
                3903.8,
                Some(304),
            ),
            (
                20_000,
                1,
                25.0,
                PlanKind::Mixed,
                742285.0,
                3600275.0,
                3651050.0,
                742285.0,
                4316,
                2,
                730025.0,
                Some(333),
            ),
            (
                20_000,
                1,
                250.0,
                PlanKind::Mixed,
                180325.0,
                3600275.0,
                3611050.0,
                180325.0,
                1000,
                2,
                120000.0,
                Some(333),
            ),
            (
                20_000,
                1,
                2500.0,
                PlanKind::Mixed,
                180325.0,
                3600275.0,
                3611050.0,
                180325.0,
                1000,
                2,
                120000.0,
                Some(333),
            ),
            (
                20_000,
                30,
                25.0,
                PlanKind::Mixed,
                743565.0,
                3601000.0,
                3651775.0,
                743565.0,
                4279,
                24,
                730460.0,
                Some(304),
            ),
            (
                20_000,
                30,
                250.0,
                PlanKind::Mixed,
                181725.0,
                3601000.0,
                3611775.0,
                181725.0,
                1000,
                29,
                120000.0,
                Some(304),
            ),
            (
                20_000,
                30,
                2500.0,
                PlanKind::Mixed,
                181725.0,
                3601000.0,
                3611775.0,
                181725.0,
                1000,
                29,
                120000.0,
                Some(304),
            ),
        ];
        for &(records, groups, rate, plan, best, batch, jobs_only, mixed, y, jobs, floor, cross) in
            pinned
        {
            let b = realistic(records, groups).best_plan(&at_rate(rate));
            let got = (
                b.plan,
                b.best_ms,
                b.batch_ms,
                b.bulk_ms,
                b.mixed_ms,
                b.mixed_batch_records,
                b.jobs,
                b.floor_ms,
                b.crossover_records,
            );
            let want = (plan, best, batch, jobs_only, mixed, y, jobs, floor, cross);
            assert_eq!(
                got, want,
                "{records} records, {groups} groups, {rate} rows/s"
            );
        }
    }

    /// 1,601 of 5,000 records a row cannot carry: no plan sends fewer as batches, jobs only is
    /// gone, and the best plan is a mix that costs the budget windows those batches need.
    #[test]
    fn records_a_row_cannot_carry_go_as_batches_in_every_plan() {
        let free = realistic(5_000, 30).best_plan(&BulkInputs::realistic());
        let i = realistic(5_000, 30).with_batch_only_records(1_601);
        let b = i.best_plan(&BulkInputs::realistic());
        assert_eq!(b.plan, PlanKind::Mixed, "{b:?}");
        assert!(b.mixed_batch_records >= 1_601, "{b:?}");
        // The plan with the most jobs sends exactly the 1,601 as batches.
        assert_eq!(
            b.bulk_ms,
            ms(i.plan_estimate(&BulkInputs::realistic(), 1_601).secs)
        );
        assert!(b.mixed_ms <= b.bulk_ms);
        // 1,601 batches and 30 groups and 30 job starts: 1,661 x 30,000 points need 5 windows.
        assert!(b.best_ms >= 240_000.0, "{b:?}");
        assert!(b.best_ms > free.best_ms && b.best_ms < b.batch_ms, "{b:?}");
        // The batch path itself does not move; the floor rises with the plans: the batch-only
        // records' budget windows are a cost every exact client pays (4 full windows).
        assert_eq!(b.batch_ms, free.batch_ms);
        assert_eq!((free.floor_ms, b.floor_ms), (20_813.0, 240_000.0));
        // Below the constraint nothing counts: no share under 1,601 is the best.
        for y in [0, 333, 1_000, 1_600] {
            let e = ms(i.plan_estimate(&BulkInputs::realistic(), y).secs);
            assert!(
                e < b.best_ms,
                "y={y}: {e} would have been the best, wrongly"
            );
        }
    }

    /// Every record batch-only: the only plan is batches.
    #[test]
    fn no_record_a_row_can_carry_leaves_batches_only() {
        let i = realistic(500, 1).with_batch_only_records(500);
        let b = i.best_plan(&BulkInputs::realistic());
        assert_eq!(
            (b.plan, b.best_ms, b.jobs),
            (PlanKind::Batch, b.batch_ms, 0)
        );
        assert_eq!((b.bulk_ms, b.mixed_ms), (b.batch_ms, b.batch_ms));
        assert_eq!(b.floor_ms, i.batch_floor_ms());
        assert_eq!(b.crossover_records, None);
        // More than there are counts as all of them.
        assert_eq!(
            realistic(500, 1)
                .with_batch_only_records(9_999)
                .best_plan(&BulkInputs::realistic()),
            b
        );
    }

    /// The floor stays below every plan a client that keeps values exact can run: every share
    /// of batches from the batch-only records up, over a grid of runs, rates and shares.
    #[test]
    fn the_floor_is_below_every_plan_under_the_constraint() {
        for records in [50, 500, 5_000, 20_000] {
            for groups in [1, 30] {
                for rate in [25.0, 250.0, 2_500.0] {
                    for share in [0.01, 0.32, 0.9] {
                        let only = (records as f64 * share) as u64;
                        let i = realistic(records, groups).with_batch_only_records(only);
                        let bulk = at_rate(rate);
                        let b = i.best_plan(&bulk);
                        let floor = b.floor_ms;
                        assert!(floor <= b.best_ms && floor <= b.batch_ms, "{b:?}");
                        assert!(b.mixed_batch_records >= only || b.plan == PlanKind::Batch);
                        let step = ((records - only) / 97).max(1);
                        for y in (only..=records).step_by(step as usize) {
                            let e = ms(i.plan_estimate(&bulk, y).secs);
                            assert!(
                                floor <= e,
                                "{records}/{groups}/{rate}/{only} y={y}: {floor} > {e}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The crossover searches other counts with the same share of batch-only records.
    #[test]
    fn other_record_counts_keep_the_share() {
        let i = realistic(5_000, 30).with_batch_only_records(1_601);
        let at = |n| i.at_records(n).batch_only_records;
        assert_eq!(
            (at(5_000), at(500), at(1), at(0), at(10_000)),
            (1_601, 160, 0, 0, 3_202)
        );
        assert_eq!(i.at_records(10).groups, 10);
        assert_eq!(realistic(5_000, 30).at_records(777), realistic(777, 30));
        // A third of the records as batches in every plan: jobs still win where batches need a
        // second budget window (304 records, 97 of them batches: 97 + 30 groups and the jobs'
        // starts fit in one).
        let free = realistic(5_000, 30).best_plan(&BulkInputs::realistic());
        let b = i.best_plan(&BulkInputs::realistic());
        assert_eq!(b.crossover_records, free.crossover_records);
        // With a budget that never binds the latency sets it (392 records at 2,500 rows/s, see
        // above). A larger share of batch-only records never lets jobs win sooner, and with
        // every record batch-only they never win.
        let mut unbound = realistic(5_000, 1);
        unbound.budget_per_window = 1_000_000_000;
        let mut last = 0;
        for only in [0, 2_500, 4_500, 4_950, 4_999] {
            let i = unbound.clone().with_batch_only_records(only);
            let n = i.best_plan(&at_rate(2_500.0)).crossover_records;
            let n = n.expect("jobs win somewhere while a record can be a row");
            assert!(n >= last, "{only}: {n} < {last}");
            last = n;
        }
        assert!(last > 392, "{last}");
        let all = unbound.with_batch_only_records(5_000);
        assert_eq!(all.best_plan(&at_rate(2_500.0)).crossover_records, None);
    }
}
