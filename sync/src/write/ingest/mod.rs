//! The bulk import write path: one `ingest_items` job per group (or per `rows_per_job` rows of
//! it), `on_match: UPSERT` on the key column, so a row sent twice updates its item instead of
//! duplicating it (docs/monday-bulk-import.md §1, §3; https://developer.monday.com/api-reference/reference/ingest-items-api-reference).
//!
//! [`IngestPath::run_groups`] runs the groups the plan gave it in waves: a wave's jobs are
//! started one after another (the first wave before any batch is sent), then each uploads, is
//! polled and has its items looked up as its own task, so the board (which processes one job
//! after another, §5.4) never waits a poll interval between them; a wave holds at most
//! [`IN_FLIGHT_HORIZON`] of processing at the rate known then. After each job that measured the
//! rate it re-plans the groups not yet started with the processing rate and start delay the job
//! measured ([`crate::planning::paths::plan`]). A job seen done at its first poll only bounds the rate
//! from below ([`runner::Measured::AtLeast`]): it may raise the estimate, never lower it. Each job ([`runner`]) writes its CSV ([`csv`]), starts,
//! records itself in the jobs ledger BEFORE the upload ([`crate::state::jobs`]), uploads, polls
//! ([`job`]) and maps the report back to records. What it cannot finish (capacity rejections,
//! repeated failures, hourly budget spent) comes back as records for the batch path.
//!
//! The hour's budgets (19,000 items, 100 starts per account) come from the ledger, which holds
//! earlier runs' jobs too ([`IngestPath::with_hour_left`]): jobs are sized to what is left, and
//! with nothing left the rest waits for the oldest spend to leave the rolling hour when the
//! planner finds waiting sooner than batches (`IngestPath::wait_for_the_hour`), else goes as
//! batches.

pub(crate) mod csv;
pub(crate) mod job;
pub(crate) mod labels;
mod runner;

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::api::client::ApiClient;
use crate::mapping::config::{ColumnKind, SyncConfig};
use crate::planning::paths::{plan, GroupLoad, PathChoice, PathPlan, PlanInputs};
use crate::planning::PlannedRecord;
use crate::report::progress::{JobView, JobWatch};
use crate::state::jobs::JobLedger;
use crate::write::WriteReport;
use csv::CsvLayout;

/// monday.com's ingest item budget per account per hour (docs/monday-bulk-import.md §5.1).
pub(crate) const HOURLY_ITEMS: u64 = 19_000;
/// Successful job starts per account per hour (§5.2).
pub(crate) const HOURLY_JOB_STARTS: u32 = 100;
/// Jobs tried for one set of rows before they go as batches.
pub(crate) const MAX_JOB_ATTEMPTS: u32 = 3;

/// One group's records for the bulk path.
#[derive(Debug)]
pub(crate) struct GroupWork {
    pub title: String,
    /// Where the job puts new items (`group_id` of `ingest_items`).
    pub group_id: String,
    pub records: Vec<PlannedRecord>,
}

pub(crate) use crate::report::IngestSummary as IngestStats;

/// What the bulk path hands the coordinator while it runs (so re-planned records go as
/// batches at once, not after a wait for the hour, and finished jobs' records are settled as
/// they finish).
#[derive(Debug)]
pub(crate) enum JobNews {
    /// Records for the batch path.
    ToBatch(Vec<PlannedRecord>),
    /// Records a job settled.
    Done(Vec<WriteReport>),
}

/// Where [`JobNews`] goes.
pub(crate) type NewsTx = tokio::sync::mpsc::UnboundedSender<JobNews>;

/// What [`IngestPath::run_groups`] hands back.
#[derive(Debug, Default)]
pub(crate) struct IngestOutcome {
    /// Settled records not yet handed over as [`JobNews::Done`].
    pub reports: Vec<WriteReport>,
    /// Records for the batch path (re-planned to batches, or a job could not take them) not
    /// yet handed over as [`JobNews::ToBatch`].
    pub to_batch: Vec<PlannedRecord>,
    pub stats: IngestStats,
    /// Each plan revision made from measurements.
    pub replans: Vec<PathPlan>,
    news: Option<NewsTx>,
}

impl IngestOutcome {
    /// Hand `records` to the batch path (now, when the coordinator listens).
    fn batch(&mut self, path: &IngestPath, records: Vec<PlannedRecord>) {
        if records.is_empty() {
            return;
        }
        path.batches_sent(records.len());
        let unsent = match &self.news {
            Some(tx) => match tx.send(JobNews::ToBatch(records)) {
                Ok(()) => return,
                Err(tokio::sync::mpsc::error::SendError(news)) => news,
            },
            None => JobNews::ToBatch(records),
        };
        if let JobNews::ToBatch(r) = unsent {
            self.to_batch.extend(r);
        }
    }

    /// Hand settled records over (now, when the coordinator listens).
    fn settled(&mut self, reports: Vec<WriteReport>) {
        if reports.is_empty() {
            return;
        }
        let unsent = match &self.news {
            Some(tx) => match tx.send(JobNews::Done(reports)) {
                Ok(()) => return,
                Err(tokio::sync::mpsc::error::SendError(news)) => news,
            },
            None => JobNews::Done(reports),
        };
        if let JobNews::Done(r) = unsent {
            self.reports.extend(r);
        }
    }
}

/// The bulk path of one board.
#[derive(Debug)]
pub(crate) struct IngestPath {
    client: Arc<ApiClient>,
    layout: CsvLayout,
    match_column: String,
    poll_interval: Duration,
    ledger: Arc<JobLedger>,
    /// Board column id -> (source field, is a label column), to name report failures.
    fields: HashMap<String, (String, bool)>,
    /// The progress display's view of the job in progress.
    watch: Arc<JobWatch>,
    /// Rows per second for the display's ETA: the estimate, then what jobs measured.
    rate: std::sync::Mutex<f64>,
    /// Jobs of this run uploaded and not yet seen ended (a job uploaded while another is in
    /// flight waits for it on the board).
    uploaded: AtomicUsize,
    /// Records handed to the batch path and not yet answered (the coordinator counts them):
    /// a re-plan weighs the batches already queued, not only the groups it plans.
    batches_outstanding: AtomicUsize,
}

impl IngestPath {
    pub(crate) fn new(
        client: Arc<ApiClient>,
        cfg: &SyncConfig,
        board_labels: &HashMap<String, Vec<String>>,
        ledger: Arc<JobLedger>,
        watch: Arc<JobWatch>,
    ) -> Self {
        let mut fields: HashMap<String, (String, bool)> = cfg
            .columns
            .iter()
            .map(|c| {
                let label = matches!(c.kind, ColumnKind::Status | ColumnKind::Dropdown);
                (c.column_id.clone(), (c.source.clone(), label))
            })
            .collect();
        fields.insert(
            cfg.board.key_column.clone(),
            (cfg.board.key_source.clone(), false),
        );
        fields.insert("name".into(), ("item_name".into(), false));
        IngestPath {
            client,
            layout: CsvLayout::new(cfg, board_labels),
            match_column: cfg.board.key_column.clone(),
            poll_interval: Duration::from_millis(cfg.sync.job_poll_interval_ms),
            ledger,
            fields,
            watch,
            rate: std::sync::Mutex::new(cfg.sync.processing_rate_rows_per_s),
            uploaded: AtomicUsize::new(0),
            batches_outstanding: AtomicUsize::new(0),
        }
    }

    /// Post a poll's view of job `slot` for the progress display.
    pub(crate) fn show(&self, slot: u64, state: &str, percent: u64, rows: usize) {
        let rows_per_s = *self.rate.lock().unwrap_or_else(|p| p.into_inner());
        self.watch.set(
            slot,
            Some(JobView {
                state: state.to_string(),
                percent,
                rows: rows as u64,
                rows_per_s,
                jobs: 1,
            }),
        );
    }

    /// `n` more records went to the batch path.
    pub(crate) fn batches_sent(&self, n: usize) {
        self.batches_outstanding.fetch_add(n, Ordering::SeqCst);
    }

    /// `n` records of the batch path have their answers.
    pub(crate) fn batches_answered(&self, n: usize) {
        let _ = self
            .batches_outstanding
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_sub(n))
            });
    }

    /// `inputs` with the budget as the pacer sees it now and the batch records still queued.
    fn at_now(&self, inputs: &PlanInputs) -> PlanInputs {
        let now = self.client.pacer.snapshot();
        inputs.clone().with_budget(
            &now,
            tokio::time::Instant::now(),
            self.batches_outstanding.load(Ordering::SeqCst),
        )
    }

    /// Job `slot` has ended: the display stops showing it.
    pub(crate) fn hide(&self, slot: u64) {
        self.watch.set(slot, None);
    }

    /// Resolve the jobs an earlier run left open on this board (see [`runner::finish_open`]).
    pub(crate) async fn finish_open_jobs(
        &self,
        stats: &mut IngestStats,
    ) -> Result<usize, crate::error::SyncError> {
        let open = self.ledger.open_jobs(&self.client.board_id)?;
        for j in &open {
            runner::finish_open(self, j, stats).await;
        }
        Ok(open.len())
    }

    /// `inputs` with what is left of the hour's bulk-import budgets now: the documented 19,000
    /// items and 100 starts less what the ledger's jobs (this run's and earlier runs') spent in
    /// the last hour ([`JobLedger::hour_use`]). An unreadable ledger leaves `inputs` as they are.
    pub(crate) fn with_hour_left(&self, mut inputs: PlanInputs) -> PlanInputs {
        match self.ledger.hour_use(self.ledger.now_ms()) {
            Ok(used) => {
                inputs.hourly_items_left = HOURLY_ITEMS.saturating_sub(used.items);
                inputs.job_starts_left = HOURLY_JOB_STARTS.saturating_sub(used.starts);
                if used.starts > 0 {
                    tracing::debug!(
                        items = used.items,
                        starts = used.starts,
                        "bulk-import budget already used in the last hour"
                    );
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the jobs ledger could not be read; planning with the hour's budgets as counted so far")
            }
        }
        inputs
    }

    /// With the hour's budgets spent: how long until the oldest spend the ledger knows of leaves
    /// the window, when the planner finds waiting for the window sooner for the front group of
    /// `queue` than sending it as batches (`mode = "ingest"` always waits). The groups are
    /// planned together, beside the batches already queued: one group alone is sooner as
    /// batches, all of them behind the queued batches are not. None: batches (or nothing of
    /// ours to wait for: the ledger has no spend in the window).
    fn wait_for_the_hour(
        &self,
        queue: &VecDeque<GroupWork>,
        inputs: &PlanInputs,
    ) -> Option<Duration> {
        let now = self.ledger.now_ms();
        let free_at = self.ledger.hour_use(now).ok()?.next_free_at()?;
        let loads: Vec<GroupLoad> = queue
            .iter()
            .map(|g| GroupLoad {
                group: g.title.clone(),
                records: g.records.len(),
                ingestable: g.records.len(),
            })
            .collect();
        let waits = plan(&loads, &self.at_now(inputs))
            .groups
            .first()
            .is_some_and(|g| g.path == PathChoice::Ingest);
        waits.then(|| Duration::from_millis((free_at - now).max(0) as u64))
    }

    /// The CSV layout (the coordinator asks it which records a row can carry).
    pub(crate) fn layout(&self) -> &CsvLayout {
        &self.layout
    }

    /// Before the jobs: add the labels their rows need to the board, one request per column
    /// ([`labels`]). Rows needing a label that could not be added leave the jobs; they come
    /// back to go as batches (`create_item` with `create_labels_if_missing`).
    pub(crate) async fn add_labels(
        &self,
        works: Vec<GroupWork>,
        stats: &mut IngestStats,
    ) -> (Vec<GroupWork>, Vec<PlannedRecord>) {
        let mut wanted = labels::Wanted::new();
        for w in &works {
            for r in &w.records {
                for (col, label) in self.layout.labels_needed(&r.record) {
                    let Some(kind) = self.layout.kind_of(&col) else {
                        continue;
                    };
                    let entry = wanted
                        .entry(col)
                        .or_insert_with(|| (kind, Default::default()));
                    entry.1.insert(label);
                }
            }
        }
        if wanted.is_empty() {
            return (works, vec![]);
        }
        let outcome = labels::add_missing(&self.client, &wanted, 1).await;
        for (col, added) in &outcome.added {
            stats
                .labels_added
                .entry(col.clone())
                .or_default()
                .extend(added.iter().cloned());
        }
        if outcome.refused.is_empty() {
            return (works, vec![]);
        }
        let mut back = vec![];
        let mut kept = Vec::with_capacity(works.len());
        for mut w in works {
            let (rows, rest): (Vec<_>, Vec<_>) = w.records.into_iter().partition(|r| {
                self.layout
                    .labels_needed(&r.record)
                    .iter()
                    .all(|(col, _)| !outcome.refused.contains_key(col))
            });
            back.extend(rest);
            w.records = rows;
            if !w.records.is_empty() {
                kept.push(w);
            }
        }
        stats.sent_as_batches += back.len() as u64;
        (kept, back)
    }

    /// Run `groups` as jobs, re-planning the groups not yet started after each measured job.
    ///
    /// Jobs go in waves: each wave's jobs are started one after another (their `ingest_items`
    /// calls take the board's write turn), and each runs its upload, polls and lookups as its
    /// own task, so the board processes them back to back (one after another, §5.4) instead of
    /// waiting a poll interval between them. A wave admits jobs while the rows in flight take at
    /// most [`IN_FLIGHT_HORIZON`] to process at the rate known now, so a rate far below the
    /// estimate is measured by the first jobs before most rows are committed to jobs.
    /// `first_wave` is told once the first wave's jobs have started: the coordinator holds the
    /// batches until then, so the starts do not queue behind batches waiting for the budget.
    pub(crate) async fn run_groups(
        self: Arc<Self>,
        groups: Vec<GroupWork>,
        mut inputs: PlanInputs,
        first_wave: Option<tokio::sync::oneshot::Sender<()>>,
        news: Option<NewsTx>,
    ) -> IngestOutcome {
        let mut out = IngestOutcome {
            news,
            ..IngestOutcome::default()
        };
        let mut queue: VecDeque<GroupWork> = groups.into();
        let mut first_wave = first_wave;
        let mut running: JoinSet<runner::ChunkEnd> = JoinSet::new();
        let mut in_flight_rows = 0usize;
        let mut seq = 0u64;
        loop {
            // The ledger holds every started job's rows (this run's in flight too).
            inputs = self.with_hour_left(inputs);
            let wave = self
                .admit(
                    &mut queue,
                    &mut inputs,
                    in_flight_rows,
                    !running.is_empty(),
                    &mut out,
                )
                .await;
            for (group_id, chunk) in wave {
                seq += 1;
                in_flight_rows += chunk.len();
                let begun = runner::begin(&self, &group_id, &chunk, seq, 0).await;
                running.spawn(runner::run_chunk(self.clone(), group_id, chunk, seq, begun));
            }
            if let Some(tx) = first_wave.take() {
                let _ = tx.send(());
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let end = match joined {
                Ok(end) => end,
                // A job task that panicked takes the bulk path down with it, as one job run
                // inline did: the coordinator reports the run failed, and the ledger keeps the
                // job for the next run to resolve. Its records are never silently dropped.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => {
                    // Cancelled: only when the runtime shuts down.
                    tracing::error!(error = %e, "a bulk import job task was cancelled");
                    continue;
                }
            };
            in_flight_rows = in_flight_rows.saturating_sub(end.rows);
            let measured = self.absorb(end, &mut inputs, &mut out);
            if measured && !queue.is_empty() {
                // What the hour has left now (spends an hour old have left the window).
                inputs = self.with_hour_left(inputs);
                let at_now = self.at_now(&inputs);
                self.replan(&mut queue, &at_now, &mut out);
            }
        }
        out.news = None;
        out
    }

    /// The next wave: `(group id, rows)` of the jobs to start now, taken from the front of
    /// `queue`, sized to what the hour has left ([`Self::with_hour_left`]) and to
    /// `rows_per_job`. With the hour spent and nothing in flight, the front group waits for the
    /// hour or goes as batches ([`Self::wait_for_the_hour`]); with jobs in flight, their ends
    /// come first (they may give rows back).
    async fn admit(
        &self,
        queue: &mut VecDeque<GroupWork>,
        inputs: &mut PlanInputs,
        mut in_flight_rows: usize,
        running: bool,
        out: &mut IngestOutcome,
    ) -> Vec<(String, Vec<PlannedRecord>)> {
        let mut wave = vec![];
        while !queue.is_empty() {
            let busy = running || !wave.is_empty();
            if busy && !admits(in_flight_rows, inputs.rows_per_second) {
                break;
            }
            let room = (inputs.hourly_items_left as usize).min(inputs.rows_per_job);
            if room == 0 || inputs.job_starts_left == 0 {
                if busy {
                    break;
                }
                if let Some(wait) = self.wait_for_the_hour(queue, inputs) {
                    tracing::info!(groups = queue.len(), wait_s = wait.as_secs(), "the hour's bulk-import budget is spent; waiting for it to free up (sooner than batches)");
                    tokio::time::sleep(wait).await;
                    *inputs = self.with_hour_left(inputs.clone());
                    continue;
                }
                let Some(mut g) = queue.pop_front() else {
                    break;
                };
                tracing::warn!(group = %g.title, records = g.records.len(), "the hour's bulk-import budget is spent; these records go as batches");
                out.stats.sent_as_batches += g.records.len() as u64;
                out.batch(self, std::mem::take(&mut g.records));
                continue;
            }
            let Some(g) = queue.front_mut() else {
                break;
            };
            let take = room.min(g.records.len());
            let chunk: Vec<PlannedRecord> = g.records.drain(..take).collect();
            inputs.hourly_items_left = inputs.hourly_items_left.saturating_sub(take as u64);
            inputs.job_starts_left = inputs.job_starts_left.saturating_sub(1);
            in_flight_rows += take;
            wave.push((g.group_id.clone(), chunk));
            if g.records.is_empty() {
                queue.pop_front();
            }
        }
        wave
    }

    /// Take a finished chunk into the outcome; true when its job measured the processing rate
    /// (the estimates in `inputs` are revised).
    fn absorb(
        &self,
        end: runner::ChunkEnd,
        inputs: &mut PlanInputs,
        out: &mut IngestOutcome,
    ) -> bool {
        out.stats.absorb(&end.stats);
        out.stats.sent_as_batches += end.to_batch.len() as u64;
        out.batch(self, end.to_batch);
        out.settled(end.reports);
        let Some(m) = end.measured else {
            return false;
        };
        let (rate, mut delay) = m.revise(inputs.rows_per_second, inputs.job_start_delay_s);
        if end.queued {
            // Its wait behind other jobs is not the account's start delay.
            delay = inputs.job_start_delay_s;
        }
        *self.rate.lock().unwrap_or_else(|p| p.into_inner()) = rate;
        inputs.rows_per_second = rate;
        inputs.job_start_delay_s = delay;
        out.stats.measured_rows_per_s = Some(rate);
        out.stats.measured_start_delay_s = Some(delay);
        true
    }
}

pub(crate) use crate::planning::paths::IN_FLIGHT_HORIZON;

/// Whether a wave may admit another job with `in_flight_rows` rows already in flight.
fn admits(in_flight_rows: usize, rows_per_second: f64) -> bool {
    let rate = if rows_per_second.is_finite() && rows_per_second > 0.0 {
        rows_per_second
    } else {
        return in_flight_rows == 0;
    };
    (in_flight_rows as f64) < rate * IN_FLIGHT_HORIZON.as_secs_f64()
}

impl IngestPath {
    /// Re-plan the groups not yet started with what the run measured; groups now planned as
    /// batches leave the queue for the batch path.
    fn replan(
        &self,
        queue: &mut VecDeque<GroupWork>,
        inputs: &PlanInputs,
        out: &mut IngestOutcome,
    ) {
        let loads: Vec<GroupLoad> = queue
            .iter()
            .map(|g| GroupLoad {
                group: g.title.clone(),
                records: g.records.len(),
                ingestable: g
                    .records
                    .iter()
                    .filter(|r| self.layout.row(&r.record).is_ok())
                    .count(),
            })
            .collect();
        let revised = plan(&loads, inputs);
        let mut kept = VecDeque::new();
        for (g, p) in queue.drain(..).zip(revised.groups.iter()) {
            match p.path {
                PathChoice::Ingest => kept.push_back(g),
                PathChoice::Batch => {
                    tracing::info!(group = %g.title, why = %p.why, "re-planned from measured job rates: batches");
                    out.batch(self, g.records);
                }
            }
        }
        *queue = kept;
        out.replans.push(revised);
    }
}

#[cfg(test)]
mod wave_tests {
    use super::admits;

    #[test]
    fn a_wave_admits_rows_up_to_a_minute_of_processing() {
        // 250 rows/s: 15,000 rows.
        assert!(admits(0, 250.0));
        assert!(admits(14_999, 250.0));
        assert!(!admits(15_000, 250.0));
        // 2.5 rows/s: 150 rows.
        assert!(admits(149, 2.5));
        assert!(!admits(150, 2.5));
        // An unknown or nonsense rate admits one job at a time.
        for rate in [0.0, -1.0, f64::NAN] {
            assert!(admits(0, rate));
            assert!(!admits(1, rate));
        }
    }
}
