//! The sync engine: board check -> state load + reconcile -> stream, transform, classify -> plan
//! (window, groups, verify, capacity, batches) -> write jobs -> state -> reports.
//!
//! [`run`] sets the run up (input check, batch size, client, board read, state store) and hands
//! it to the [`coordinator`], which only sequences: each step is a small type or function
//! ([`queues`], [`crate::planning::groups::GroupIds`], [`crate::planning::verify::split_found`],
//! [`crate::planning::capacity::Capacity`], [`crate::planning::batching`], [`settle`], [`tally`]), and every write
//! goes through one [`crate::write::WritePath`] (today the batch path, [`crate::write::batch`]). All
//! timing uses [`tokio::time::Instant`], so on a paused-clock runtime a run replays in virtual time.

mod coordinator;
mod queues;
mod settle;
mod tally;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::time::Instant;
use tracing::Instrument;

use crate::api::client::ApiClient;
use crate::api::pacing::BUDGET_WINDOW;
use crate::api::request_log::RequestLog;
use crate::error::SyncError;
use crate::input::InputSize;
use crate::input::InputSource;
use crate::mapping::config::Mode;
use crate::mapping::config::SyncConfig;
use crate::mapping::transform::{FailureCause, RecordFailure, Transformer};
use crate::observer::Observers;
pub use crate::observer::{
    ActivityEvent, RecordEvent, RecordOutcome, RequestEvent, RequestKind, SyncObserver, WaitReason,
};
use crate::planning::batching::batch_size;
use crate::planning::board::bulk_import_unavailable;
use crate::planning::board::{check_mapping, problems_to_error, read_board, BoardInfo};
use crate::planning::capacity::{Capacity, BOARD_ITEM_CAP};
use crate::planning::paths::PlanInputs;
use crate::report::progress::{PaceModel, Progress};
use crate::report::RunSummary;
use crate::report::{write_detail_reports, write_summary, Phase, PhaseTimer};
use crate::state::jobs::JobLedger;
use crate::state::StateSpec;
use crate::state::StateStore;
use crate::transport::Transport;
use crate::write::batch::BatchPath;
use crate::write::ingest::{IngestPath, HOURLY_ITEMS, HOURLY_JOB_STARTS};
use crate::write::WritePath;
use coordinator::{blocked, Bulk, Coordinator, Start};
use tally::Tally;

/// Everything a run needs (docs/interfaces.md).
pub struct RunParams {
    pub config: SyncConfig,
    pub input: InputSource,
    pub transport: Arc<dyn Transport>,
    /// The API token. Never logged.
    pub token: String,
    pub state: StateSpec,
    pub report_dir: Option<PathBuf>,
    /// Transform and plan batches without sending anything or writing state.
    pub dry_run: bool,
    /// Show a progress bar (only if stderr is a terminal).
    pub progress: bool,
    pub observer: Option<Arc<dyn SyncObserver>>,
    /// Write one NDJSON line per request attempt here (see [`crate::api::request_log`]).
    pub request_log: Option<PathBuf>,
}

impl std::fmt::Debug for RunParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunParams")
            .field("input", &self.input)
            .field("state", &self.state)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}

/// Run a sync.
pub async fn run(params: RunParams) -> Result<RunSummary, SyncError> {
    let span = tracing::info_span!(
        "run",
        board = %params.config.board.id,
        mode = ?params.config.sync.mode,
        dry_run = params.dry_run
    );
    run_inner(params).instrument(span).await
}

/// The report bucket of a record that failed to transform: its `group_by` (else `customer`) field.
fn group_field_of(cfg: &SyncConfig, fields: &Map<String, Value>) -> String {
    let f = cfg.board.group_by.as_deref().unwrap_or("customer");
    match fields.get(f) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The progress display (and its pace model) for a run of `size` at `batch_size`.
fn progress_for(wanted: bool, size: InputSize, cfg: &SyncConfig, batch_size: usize) -> Progress {
    let model = PaceModel {
        cost_per_record: cfg.sync.mutation_complexity,
        batch_size,
        // Writes go at most `write_concurrency` at a time, whatever the senders.
        concurrency: cfg.sync.concurrency.min(cfg.sync.write_concurrency),
        window: BUDGET_WINDOW,
    };
    Progress::new(wanted, size, model)
}

/// The caller's observer and the progress display's, as one.
fn both(
    a: Option<Arc<dyn SyncObserver>>,
    b: Option<Arc<dyn SyncObserver>>,
) -> Option<Arc<dyn SyncObserver>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Arc::new(Observers(vec![a, b]))),
        (a, b) => a.or(b),
    }
}

/// The API client of a run.
fn client_for(
    cfg: &SyncConfig,
    transport: Arc<dyn Transport>,
    token: String,
    run_id: &str,
    observer: Option<Arc<dyn SyncObserver>>,
    request_log: Option<Arc<RequestLog>>,
) -> ApiClient {
    let s = &cfg.sync;
    ApiClient::new(
        transport,
        token,
        cfg.api.version.clone(),
        Duration::from_millis(s.request_timeout_ms),
        s.max_retries,
        s.seed,
        observer,
    )
    .with_run_id(run_id)
    .with_board(cfg.board.id.clone())
    .with_write_concurrency(s.write_concurrency)
    .with_request_log(request_log)
}

/// The board as the run starts (nothing read in a dry run); a mapping the board cannot take
/// stops the run here.
async fn checked_board(
    cfg: &SyncConfig,
    client: &ApiClient,
    phases: &mut PhaseTimer,
    dry_run: bool,
) -> Result<BoardInfo, SyncError> {
    if dry_run {
        return Ok(BoardInfo::default());
    }
    let board = blocked(phases, &client.pacer, read_board(client, &cfg.board.id)).await?;
    if let Some(e) = problems_to_error(&cfg.origin, &check_mapping(cfg, &board)) {
        return Err(e.into());
    }
    Ok(board)
}

/// A personal token's complexity budget per minute (docs/monday-api.md §2), when the API has not
/// reported one yet.
const DEFAULT_COMPLEXITY_PER_MINUTE: u64 = 10_000_000;

/// What the planner starts from: the config's estimates and what the board read reported.
fn plan_inputs(
    cfg: &SyncConfig,
    ingest_unavailable: Option<String>,
    batch_size: usize,
    budget: Option<u64>,
) -> PlanInputs {
    let s = &cfg.sync;
    let per_minute = budget.unwrap_or(DEFAULT_COMPLEXITY_PER_MINUTE);
    PlanInputs {
        mode: s.mode,
        ingest_unavailable,
        mutation_complexity: s.mutation_complexity,
        complexity_per_minute: per_minute,
        complexity_left: per_minute,
        complexity_reset_in_s: crate::planning::paths::WINDOW_S,
        batch_items_queued: 0,
        batch_request_s: (s.expected_ms_per_mutation * batch_size as u64) as f64 / 1000.0,
        batch_size,
        hourly_items_left: HOURLY_ITEMS,
        job_starts_left: HOURLY_JOB_STARTS,
        rows_per_second: s.processing_rate_rows_per_s,
        job_start_delay_s: s.job_start_delay_ms as f64 / 1000.0,
        poll_interval_s: s.job_poll_interval_ms as f64 / 1000.0,
        rows_per_job: s.rows_per_job,
    }
}

/// The bulk side of a run (none in a dry run): it always resolves an earlier run's open jobs;
/// in `auto`/`ingest` mode with the bulk import available it also collects and plans.
fn bulk_for(
    cfg: &SyncConfig,
    client: &Arc<ApiClient>,
    board: &BoardInfo,
    state: &StateSpec,
    batch_size: usize,
    progress: &Progress,
    records: Option<usize>,
) -> Result<Bulk, SyncError> {
    let ledger = Arc::new(JobLedger::open(state)?);
    let watch = progress.job_watch();
    let ingest = Arc::new(IngestPath::new(
        client.clone(),
        cfg,
        &board.labels_by_column(),
        ledger,
        watch,
    ));
    let unavailable = bulk_import_unavailable(cfg, board);
    let wanted = matches!(cfg.sync.mode, Mode::Auto | Mode::Ingest);
    if let (true, Some(why)) = (wanted, &unavailable) {
        tracing::warn!(mode = ?cfg.sync.mode, %why, "bulk import not available; every group goes as batches");
    }
    // Earlier runs' jobs in the last hour spent part of the account's bulk-import budgets.
    let inputs = ingest.with_hour_left(plan_inputs(
        cfg,
        unavailable.clone(),
        batch_size,
        client.pacer.limit(),
    ));
    Ok(Bulk {
        ingest,
        collecting: wanted && unavailable.is_none() && a_job_may_pay(&inputs, records),
        inputs,
        default_group: board.group_ids.first().cloned(),
        collected: vec![],
        stats: Default::default(),
    })
}

/// Whether any group of a run of `records` could be planned as a job: the whole run as one
/// group is the best case for a job. When even that plan batches (a small run), nothing is
/// collected and the records stream as in `batch` mode. Unknown size: collect.
fn a_job_may_pay(inputs: &PlanInputs, records: Option<usize>) -> bool {
    let Some(n) = records else { return true };
    let whole = crate::planning::paths::GroupLoad {
        group: String::new(),
        records: n,
        ingestable: n,
    };
    let p = crate::planning::paths::plan(&[whole], inputs);
    p.groups
        .iter()
        .any(|g| g.path == crate::planning::paths::PathChoice::Ingest)
}

/// A dry run never creates a state file: it reads one that exists, else keeps state in memory.
fn state_for(spec: &StateSpec, dry_run: bool) -> StateSpec {
    match spec {
        StateSpec::Path(p) if dry_run && !p.exists() => StateSpec::InMemory,
        _ => spec.clone(),
    }
}

/// The summary a run starts with.
fn new_summary(cfg: &SyncConfig, dry_run: bool, run_id: &str, batch_size: usize) -> RunSummary {
    let mut summary = RunSummary {
        dry_run,
        seed: cfg.sync.seed,
        run_id: run_id.to_string(),
        config: serde_json::to_value(cfg).unwrap_or(Value::Null),
        ..Default::default()
    };
    summary.config["sync"]["effective_batch_size"] = json!(batch_size);
    summary
}

/// The run itself: set up (input, client, board, state, write paths), then the coordinator's steps.
async fn run_inner(params: RunParams) -> Result<RunSummary, SyncError> {
    let RunParams {
        config: cfg,
        input,
        transport,
        token,
        state,
        report_dir,
        dry_run,
        progress,
        observer,
        request_log,
    } = params;
    let mut phases = PhaseTimer::new(Phase::Send);
    let started = Instant::now();
    // A missing, unreadable or wrongly formatted input is reported before any request.
    phases.switch(Phase::Read);
    input.precheck()?;
    // One pre-scan: the record count sizes the batches and the progress display.
    let size = input.size();
    phases.switch(Phase::Send);
    let batch_size = batch_size(&cfg.sync, size.records());
    let mut progress = progress_for(progress, size, &cfg, batch_size);
    let observer = both(observer, progress.observer());
    let request_log = request_log_for(request_log.as_deref(), dry_run, started)?;
    let run_id = run_id_for(&cfg);
    let client = client_for(
        &cfg,
        transport,
        token,
        &run_id,
        observer.clone(),
        request_log.clone(),
    );
    let client = Arc::new(client);
    progress.start(client.pacer.clone());
    tracing::info!(board = %cfg.board.id, %run_id, mode = ?cfg.sync.mode, batch_size, concurrency = cfg.sync.concurrency, write_concurrency = cfg.sync.write_concurrency, "sync starting");

    let board = checked_board(&cfg, &client, &mut phases, dry_run).await?;
    phases.switch(Phase::State);
    let state_spec = state_for(&state, dry_run);
    let state = StateStore::open(&state_spec)?;
    let bulk = match dry_run {
        true => None,
        false => Some(bulk_for(
            &cfg,
            &client,
            &board,
            &state_spec,
            batch_size,
            &progress,
            size.records(),
        )?),
    };
    let path: Arc<dyn WritePath> = Arc::new(BatchPath::new(client.clone(), &cfg));
    let capacity = capacity_for(&cfg, &board);
    let summary = new_summary(&cfg, dry_run, &run_id, batch_size);
    let mut co = Coordinator::new(Start {
        known_groups: board.groups_by_title.clone(),
        cfg,
        client,
        path,
        phases,
        state,
        tally: Tally::new(summary, observer),
        batch_size,
        capacity,
        dry_run,
        started,
        bulk,
    });
    if !dry_run {
        finish_previous_run(&mut co).await?;
    }
    read_all(&mut co, &input, &progress, &board).await?;
    finish_sending(&mut co).await?;
    finish_output(&mut progress, request_log.as_deref())?;
    finish_summary(co, report_dir.as_deref())
}

/// The `--request-log` writer: none on a dry run (nothing is sent) or when none was asked for.
fn request_log_for(
    path: Option<&Path>,
    dry_run: bool,
    started: Instant,
) -> Result<Option<Arc<RequestLog>>, SyncError> {
    match path {
        Some(path) if !dry_run => Ok(Some(Arc::new(RequestLog::create(path, started)?))),
        _ => Ok(None),
    }
}

/// The run's id (its `Idempotency-Key`s' scope): the configured `run_id`, else a fresh one.
fn run_id_for(cfg: &SyncConfig) -> String {
    cfg.sync
        .run_id
        .clone()
        .unwrap_or_else(|| crate::api::keys::fresh_run_id(cfg.sync.seed))
}

/// The board's room: the configured `max_items`, else the board's own `items_limit`, else
/// monday.com's usual cap, less what it holds.
fn capacity_for(cfg: &SyncConfig, board: &BoardInfo) -> Capacity {
    Capacity::new(
        cfg.board
            .max_items
            .or(board.items_limit)
            .unwrap_or(BOARD_ITEM_CAP),
        board.items_count,
    )
}

/// Before anything new is sent: end the jobs and resolve the pending rows an earlier run left.
async fn finish_previous_run(co: &mut Coordinator) -> Result<(), SyncError> {
    co.finish_open_jobs().await?;
    co.reconcile_pending().await
}

/// Take the progress display down and flush the request log.
fn finish_output(
    progress: &mut Progress,
    request_log: Option<&RequestLog>,
) -> Result<(), SyncError> {
    progress.finish();
    if let Some(log) = request_log {
        log.flush()?;
    }
    Ok(())
}

/// Read, transform and accept every record (until the run stops on a fatal condition).
async fn read_all(
    co: &mut Coordinator,
    input: &InputSource,
    progress: &Progress,
    board: &BoardInfo,
) -> Result<(), SyncError> {
    co.phases.switch(Phase::Read);
    let mut stream = input.open_counting(progress.bytes_read())?;
    // Per-column `create_labels_if_missing`: with the board's labels known, a label missing from a
    // column that may not create labels fails that record here, before anything is sent.
    let mut transformer = Transformer::new(&co.cfg).with_board_labels(&board.labels_by_column());
    loop {
        co.phases.switch(Phase::Read);
        let Some(item) = stream.next() else { break };
        co.tally.read();
        let ready_at = Instant::now();
        co.phases.switch(Phase::Transform);
        match item {
            Err(f) => {
                let failure = RecordFailure::new(f.line, None, "", FailureCause::Invalid, f.reason);
                co.fail(failure, "", ready_at);
            }
            Ok(rec) => match transformer.transform(&rec) {
                Ok(p) => {
                    co.tally.of_customer(&p.customer);
                    co.accept(p, ready_at).await?;
                }
                Err(f) => {
                    let customer = group_field_of(&co.cfg, &rec.fields);
                    co.tally.of_customer(&customer);
                    co.fail(f, &customer, ready_at);
                }
            },
        }
        if co.fatal.is_some() {
            break;
        }
        // Apply finished jobs without blocking.
        co.apply_finished()?;
    }
    Ok(())
}

/// End of input: send what is queued, wait for every job, then look up the records whose
/// outcome stayed unknown.
async fn finish_sending(co: &mut Coordinator) -> Result<(), SyncError> {
    if co.fatal.is_none() {
        co.send_collected().await?;
        co.flush_window().await?;
        co.flush_updates().await?;
    }
    co.drain().await?;
    if co.fatal.is_none() {
        co.reconcile_unknown().await?;
    }
    Ok(())
}

/// The finished summary: request counters, timings and the reports.
fn finish_summary(co: Coordinator, report_dir: Option<&Path>) -> Result<RunSummary, SyncError> {
    let planned_groups = co.planned_groups().to_vec();
    let ingest = co.ingest_summary();
    let state = co.state_durability();
    let mut phases = co.phases;
    phases.switch(Phase::Report);
    let mut s = co.tally.summary;
    s.complexity_budget = co.client.pacer.limit();
    let c = &co.client.counters;
    s.requests = c.requests.load(Ordering::Relaxed);
    s.retries = c.retries.load(Ordering::Relaxed);
    s.throttled = c.throttled.load(Ordering::Relaxed);
    s.locked = c.locked.load(Ordering::Relaxed);
    s.ingest = ingest;
    s.state = state;
    if co.dry_run {
        s.config["plan"] = json!({
            "batches": s.batches,
            "groups_to_create": planned_groups,
        });
    }
    s.failures.sort_by_key(|f| f.line);
    if let Some(dir) = report_dir {
        write_detail_reports(dir, &s)?;
    }
    let (phase_ms, wall) = phases.finish();
    s.phases = phase_ms;
    s.wall_ms = wall.as_secs_f64() * 1000.0;
    s.wait_share = s.wait_share_of_wall();
    s.per_record_ms = if s.records > 0 {
        s.wall_ms / s.records as f64
    } else {
        0.0
    };
    if let Some(dir) = report_dir {
        write_summary(dir, &s)?;
    }
    tracing::info!(
        records = s.records,
        created = s.created,
        updated = s.updated,
        unchanged = s.unchanged,
        failed = s.failed,
        requests = s.requests,
        throttled = s.throttled,
        wall_ms = s.wall_ms as u64,
        "sync finished"
    );
    for line in s.path_lines() {
        tracing::info!("{line}");
    }
    if let Some(f) = co.fatal {
        return Err(f);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SyncConfig {
        SyncConfig::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/order_list.toml"
        ))
        .unwrap()
    }

    #[test]
    fn the_request_log_is_written_only_when_asked_for_and_not_on_a_dry_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requests.ndjson");
        let started = Instant::now();
        assert!(request_log_for(None, false, started).unwrap().is_none());
        assert!(request_log_for(Some(&path), true, started)
            .unwrap()
            .is_none());
        assert!(!path.exists(), "a dry run creates no request log");
        assert!(request_log_for(Some(&path), false, started)
            .unwrap()
            .is_some());
        assert!(path.exists());
    }

    #[test]
    fn the_configured_run_id_wins_else_each_run_gets_a_fresh_one() {
        let mut cfg = cfg();
        cfg.sync.run_id = None;
        let (a, b) = (run_id_for(&cfg), run_id_for(&cfg));
        assert_eq!(a.len(), 16, "{a}");
        assert_ne!(a, b, "two runs share no idempotency keys");
        cfg.sync.run_id = Some("replay-1".into());
        assert_eq!(run_id_for(&cfg), "replay-1");
    }

    #[test]
    fn board_room_is_the_configured_cap_else_the_board_s_limit_else_monday_s_less_what_it_holds() {
        let mut cfg = cfg();
        let board = BoardInfo {
            items_count: Some(9_990),
            ..BoardInfo::default()
        };
        cfg.board.max_items = None;
        assert_eq!(capacity_for(&cfg, &board).room(), Some(10));
        cfg.board.max_items = Some(10_100);
        assert_eq!(capacity_for(&cfg, &board).room(), Some(110));
        let unknown = BoardInfo::default();
        assert_eq!(capacity_for(&cfg, &unknown).room(), None);
        // A board that reports its own limit (a larger plan): that limit, unless configured.
        let big = BoardInfo {
            items_limit: Some(100_000),
            ..board
        };
        assert_eq!(capacity_for(&cfg, &big).room(), Some(110));
        cfg.board.max_items = None;
        assert_eq!(capacity_for(&cfg, &big).room(), Some(90_010));
    }
}
