//! One run end to end: build the simulator and the workload, run the real sync engine against it,
//! check the board, compute the ceiling and assemble [`RunResults`]. Files are written one level up,
//! by the `outputs` module.
//!
//! Virtual clock: a fresh current-thread tokio runtime with paused time and the
//! [`InProcessTransport`]. Real clock: a multi-thread runtime, a wiremock `mock-monday` server and
//! the production `HttpTransport`. CPU clock: a virtual run that records every response, then
//! replays of the same workload against those prepared responses to measure the client's CPU
//! time per record (`client_cpu`).
//!
//! Bounds: with [`RunOptions::limits`] set, the engine runs on a thread of its own under
//! [`Limits`] (the `limits` module says how each one is enforced and why a thread); a run past
//! one ends in [`PerfError::Stopped`] with what the sync was doing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use mock_monday::jobs::JobTiming;
use mock_monday::{FaultConfig, LatencyProfile, MockMonday, Plan, SimConfig, Simulator, TokenKind};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{self, RunParams, SyncObserver};
use monday_sync::input::InputSource;
use monday_sync::state::StateSpec;
use monday_sync::transport::Transport;
use serde_json::Value;

use crate::error::{PerfError, Result};
use crate::limits::{Guarded, LimitKind, Limits, Tee, Watch, STOP_GRACE};
use crate::measure::client_cpu::{
    process_cpu_time, ClientCpu, CpuGrowth, PreparedTransport, Recording, RecordingTransport,
};
use crate::measure::latency::{round3, LatencyHistogram};
use crate::measure::log_counts;
use crate::measure::observer::{Measurements, RunRecorder};
use crate::model::ceiling::{CeilingInputs, LatencyModel};
use crate::model::yardstick;
use crate::replay::results::{Measured, RunResults, WallClock};
use crate::replay::seams::Seam;
use crate::replay::transport::InProcessTransport;
use crate::workload::generate::{ndjson_bytes, GenerateSpec};
use crate::workload::scenario::{Clock, Scenario};

/// The token the harness sends (the simulator accepts any token unless configured otherwise).
pub(crate) const PERF_TOKEN: &str = "monday-perf-token";

/// How to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Show a progress bar (only sensible on a terminal).
    pub progress: bool,
    /// A regression injected by the harness between the engine and the simulator (tests only).
    pub seam: Option<Seam>,
    /// The bounds of each engine run (each seed of a repeated scenario).
    pub limits: Bounds,
    /// The gate's least wall-clock time per run (None: [`crate::judge::gate::WALL_FLOOR`]). Only the
    /// harness's own tests lower it, so that a spin they inject is stopped in seconds.
    pub wall_floor: Option<std::time::Duration>,
}

/// Which limits bound a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Bounds {
    /// None: the run goes on as long as it takes.
    #[default]
    Off,
    /// These (the gate's, derived from its baseline).
    Fixed(Limits),
    /// Derived from the scenario itself ([`limits_from_ceiling`]): `monday-perf run`.
    FromCeiling,
}

/// Simulated API time allowed per millisecond of the scenario's ceiling.
pub const CEILING_API_TIME_FACTOR: f64 = 20.0;
/// Least simulated API time allowed without a baseline.
pub const CEILING_API_TIME_FLOOR: Duration = Duration::from_secs(600);
/// Requests allowed without a baseline: this many per record, plus [`CEILING_REQUEST_FLOOR`].
pub const CEILING_REQUESTS_PER_RECORD: u64 = 10;
pub const CEILING_REQUEST_FLOOR: u64 = 1000;
/// Least wall-clock time allowed without a baseline (plus the API time on the real clock).
pub const CEILING_WALL_FLOOR: Duration = Duration::from_secs(120);
/// Wall-clock time allowed per record on the virtual and CPU clocks without a baseline.
pub const CEILING_WALL_PER_RECORD: Duration = Duration::from_millis(20);

/// Limits of a run without a baseline, from what the run should take: the scenario's ceiling
/// ([`crate::model::ceiling`]) times [`CEILING_API_TIME_FACTOR`] of API time (at least
/// [`CEILING_API_TIME_FLOOR`]), [`CEILING_REQUESTS_PER_RECORD`] requests per record plus
/// [`CEILING_REQUEST_FLOOR`], and [`CEILING_WALL_PER_RECORD`] of wall clock per record (at least
/// [`CEILING_WALL_FLOOR`]; on the real clock the API time limit comes on top).
pub fn limits_from_ceiling(clock: Clock, ceiling_ms: f64, records: u64) -> Limits {
    let api_time =
        Duration::try_from_secs_f64(ceiling_ms.max(0.0) * CEILING_API_TIME_FACTOR / 1000.0)
            .unwrap_or(Duration::MAX)
            .max(CEILING_API_TIME_FLOOR);
    let per_record =
        CEILING_WALL_PER_RECORD.saturating_mul(u32::try_from(records).unwrap_or(u32::MAX));
    let wall = match clock {
        Clock::Virtual | Clock::Cpu => per_record.max(CEILING_WALL_FLOOR),
        Clock::Real => api_time.saturating_add(CEILING_WALL_FLOOR),
    };
    Limits {
        wall,
        api_time,
        requests: records
            .saturating_mul(CEILING_REQUESTS_PER_RECORD)
            .saturating_add(CEILING_REQUEST_FLOOR),
    }
}

/// The results plus the full histograms (for `.hgrm`/`.hlog` files and charts).
#[derive(Debug, Clone)]
pub struct RunArtifacts {
    pub results: RunResults,
    pub measurements: Measurements,
}

/// The workload: bytes to feed the engine plus what the board check needs.
pub(crate) struct Workload {
    pub(crate) input: InputSource,
    pub(crate) records: u64,
    pub(crate) keys: Vec<String>,
    pub(crate) group_values: BTreeSet<String>,
    /// Records a bulk-import CSV row cannot carry, mapped with the run's config: they go as
    /// `create_item` in every plan ([`crate::workload::exact_rows`]).
    pub(crate) batch_only: u64,
}

/// Builds the simulator configuration of a scenario.
pub fn sim_config(s: &Scenario) -> Result<SimConfig> {
    // A profile file's job keys (`job_start_delay_ms`, `job_rows_per_second`) set the bulk
    // import's timing, as `mock-monday serve --profile FILE` does.
    let mut job_timing = None;
    let profile = match s.profile.as_str() {
        "instant" => LatencyProfile::Instant,
        "realistic" => LatencyProfile::Realistic,
        path => {
            let text = std::fs::read_to_string(path).map_err(|e| PerfError::io("read", path, e))?;
            job_timing = JobTiming::from_profile_toml(&text)
                .map_err(|e| PerfError::Usage(format!("latency profile {path}: {e}")))?;
            LatencyProfile::from_toml_str(&text, path)
                .map_err(|e| PerfError::Usage(e.to_string()))?
        }
    };
    let plan: Plan = s
        .plan
        .parse()
        .map_err(|e| PerfError::Usage(format!("plan: {e}")))?;
    let token_kind: TokenKind = s
        .token_kind
        .parse()
        .map_err(|e| PerfError::Usage(format!("token kind: {e}")))?;
    let faults = match &s.faults {
        Some(spec) => {
            FaultConfig::parse(spec).map_err(|e| PerfError::Usage(format!("faults: {e}")))?
        }
        None => FaultConfig::default(),
    };
    let board_lock = match &s.board_lock {
        Some(text) => text
            .parse()
            .map_err(|e| PerfError::Usage(format!("board lock: {e}")))?,
        None => mock_monday::BoardLock::default(),
    };
    let mut config = SimConfig {
        profile,
        plan,
        token_kind,
        seed: s.seed,
        time_scale: s.time_scale,
        faults,
        board_lock,
        bulk: {
            let mut bulk = s.bulk.clone().unwrap_or_default();
            bulk.timing = bulk.timing.or(job_timing);
            bulk
        },
        ..SimConfig::default()
    };
    if let Some(limit) = s.items_limit_per_board {
        config.limits.items_limit_per_board = limit;
    }
    if let Some(rate) = s.processing_rate {
        // `--processing-rate`: the profile's start delay, this rate.
        config.bulk.timing = Some(JobTiming {
            job_rows_per_second: rate,
            ..config.job_timing()
        });
    }
    config
        .validate()
        .map_err(|e| PerfError::Usage(e.to_string()))?;
    Ok(config)
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The scenario's records, with what the board check and the ceiling need of them (`config`:
/// the run's sync config, whose board and mapping they are read and judged with).
pub(crate) fn workload(s: &Scenario, config: &SyncConfig) -> Result<Workload> {
    let board = &config.board;
    let (bytes, input) = match &s.input {
        None => {
            // One buffer shared by the engine's input and the key scan below (no copy).
            let bytes = bytes::Bytes::from(ndjson_bytes(GenerateSpec {
                records: s.records,
                seed: s.seed,
            })?);
            let input = InputSource::Ndjson(bytes.clone());
            (bytes, input)
        }
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| PerfError::io("read", path, e))?;
            (bytes::Bytes::from(bytes), InputSource::Path(path.clone()))
        }
    };
    // Keys and groups for the board check and the ceiling. Lines that do not parse as JSON objects
    // (CSV input, broken lines) are skipped: the engine reports those itself.
    let mut keys = Vec::new();
    let mut group_values = BTreeSet::new();
    let mut records = 0u64;
    for line in bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
    {
        records += 1;
        let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if let Some(k) = text_of(obj.get(&board.key_source)) {
            keys.push(k);
        }
        if let Some(g) = board.group_by.as_ref().and_then(|g| text_of(obj.get(g))) {
            group_values.insert(g);
        }
    }
    let batch_only = crate::workload::exact_rows::batch_only_records(&input, config)?;
    Ok(Workload {
        input,
        records,
        keys,
        group_values,
        batch_only,
    })
}

/// Ceiling inputs of a scenario from the simulator's settings and the sync's write policy (no
/// batch-only records: a caller with a workload adds its count,
/// [`CeilingInputs::with_batch_only_records`]).
pub(crate) fn ceiling_inputs(
    sim: &SimConfig,
    records: u64,
    groups: u64,
    write_concurrency: u64,
) -> CeilingInputs {
    let limits = &sim.limits;
    let budget = match sim.token_kind {
        TokenKind::Personal => limits.personal_budget,
        TokenKind::App => limits.app_write_budget,
        TokenKind::Trial => limits.trial_budget,
    };
    let latency = sim.profile.settings();
    let ms = |v: f64| Duration::try_from_secs_f64(v.max(0.0) / 1000.0).unwrap_or(Duration::ZERO);
    CeilingInputs {
        records,
        groups,
        mutation_cost: sim.costs.mutation,
        read_cost: 0,
        read_round_trips: 1,
        budget_per_window: budget,
        window: Duration::from_secs(limits.complexity_window_secs),
        max_complexity_per_request: limits.max_complexity_per_request,
        max_concurrency: u64::from(limits.concurrency(sim.plan)),
        write_concurrency,
        requests_per_minute: u64::from(limits.minute_requests(sim.plan)),
        latency: LatencyModel {
            base: ms(latency.base_median_ms),
            per_mutation: ms(latency.per_mutation_field_ms),
        },
        batch_only_records: 0,
    }
}

/// Board check: `(items on board, duplicate items, lost records)` from the key column's text of
/// every item on the board ([`Simulator::board_column_texts`]; None for an unknown board).
pub(crate) fn check_board(
    key_texts: Option<Vec<String>>,
    keys: &[String],
    failed_keys: &HashSet<String>,
) -> (u64, u64, u64) {
    let texts = key_texts.unwrap_or_default();
    let mut counts: HashMap<&str, u64> = HashMap::with_capacity(texts.len());
    for key in texts.iter().map(String::as_str).filter(|k| !k.is_empty()) {
        *counts.entry(key).or_default() += 1;
    }
    let duplicates = counts.values().map(|c| c.saturating_sub(1)).sum();
    let lost = keys
        .iter()
        .filter(|k| !counts.contains_key(k.as_str()) && !failed_keys.contains(*k))
        .count() as u64;
    (texts.len() as u64, duplicates, lost)
}

/// What one engine run against the simulator returned.
struct EngineRun {
    summary: monday_sync::report::RunSummary,
    measurements: Measurements,
    api_time: Duration,
    board: Option<Vec<String>>,
    stats: mock_monday::Stats,
    recording: Option<Recording>,
    /// `GET /__admin/jobs` after the run, and the simulator's clock at the run's time zero.
    jobs_json: Value,
    sim_origin: Duration,
    /// The simulator's request log read for retried writes (when the log was on).
    retry_keys: Option<crate::measure::retry_keys::RetryKeys>,
}

/// The sync's own parsing and validation of a config text: the harness reads the board, the
/// mode and the write settings from these types, never from the TOML by hand.
pub(crate) fn parse_config(config_toml: &str, origin: &str) -> Result<SyncConfig> {
    SyncConfig::from_toml_str(config_toml, origin).map_err(|e| PerfError::Usage(e.to_string()))
}

/// The sync config of a scenario, with a run id from the seed: every run gets a fresh simulator,
/// so that is unique enough and keeps a replay bit for bit (the engine's default id mixes in the
/// wall clock and the process id).
fn engine_config(config_toml: &str, origin: &str, seed: u64) -> Result<SyncConfig> {
    let mut config = parse_config(config_toml, origin)?;
    config
        .sync
        .run_id
        .get_or_insert_with(|| format!("monday-perf-{seed:016x}"));
    Ok(config)
}

/// The client-CPU scenario's simulator: answers instantly and never throttles, so a recording
/// holds one success per request and the replay never loops on a refusal.
fn unthrottled(mut sim: SimConfig) -> SimConfig {
    sim.profile = LatencyProfile::Instant;
    let l = &mut sim.limits;
    let lots = 1_000_000_000_000u64;
    (
        l.personal_budget,
        l.app_read_budget,
        l.app_write_budget,
        l.trial_budget,
    ) = (lots, lots, lots, lots);
    l.minute_requests_other = u32::MAX / 2;
    l.minute_requests_pro = u32::MAX / 2;
    l.minute_requests_enterprise = u32::MAX / 2;
    l.ip_requests = u32::MAX / 2;
    l.daily_enabled = false;
    sim
}

fn runtime(clock: Clock) -> Result<tokio::runtime::Runtime> {
    match clock {
        Clock::Virtual | Clock::Cpu => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build(),
        Clock::Real => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .map_err(|e| PerfError::io("start", "tokio runtime", e))
}

fn params(
    config: SyncConfig,
    input: InputSource,
    transport: Arc<dyn Transport>,
    observer: Option<Arc<dyn SyncObserver>>,
) -> RunParams {
    params_with_state(config, input, transport, observer, StateSpec::InMemory)
}

fn params_with_state(
    config: SyncConfig,
    input: InputSource,
    transport: Arc<dyn Transport>,
    observer: Option<Arc<dyn SyncObserver>>,
    state: StateSpec,
) -> RunParams {
    RunParams {
        config,
        input,
        transport,
        token: PERF_TOKEN.to_string(),
        state,
        report_dir: None,
        dry_run: false,
        progress: false,
        observer,
        request_log: None,
    }
}

/// What identifies a bounded run in its diagnosis, and the watch that stops it.
#[derive(Clone)]
struct Bound {
    watch: Arc<Watch>,
    scenario: String,
    seed: u64,
    records: u64,
}

impl Bound {
    fn stopped(&self, kind: LimitKind, abandoned: bool) -> PerfError {
        let mut s = self
            .watch
            .stopped(&self.scenario, self.seed, self.records, kind);
        s.abandoned = abandoned;
        PerfError::Stopped(Box::new(s))
    }
}

/// The parts of one engine run that move to the run's thread.
struct EngineJob {
    clock: Clock,
    sim: SimConfig,
    config: SyncConfig,
    input: InputSource,
    records: u64,
    progress: bool,
    seam: Option<Seam>,
    board_id: String,
    key_column: String,
    /// Where the sync keeps its state (a file in a temp folder for `state_file` scenarios).
    state: StateSpec,
}

/// One engine run against a fresh simulator on the scenario's clock; under `limits` on a thread
/// of its own, watched from this one.
fn run_engine(job: EngineJob, limits: Option<Limits>, s: &Scenario) -> Result<EngineRun> {
    let Some(limits) = limits else {
        return engine_on_clock(job, None);
    };
    let bound = Bound {
        watch: Arc::new(Watch::new(limits)),
        scenario: s.name.clone(),
        seed: s.seed,
        records: job.records,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let inner = bound.clone();
    let handle = std::thread::Builder::new()
        .name(format!("run {}", s.name))
        .spawn(move || {
            let _ = tx.send(engine_on_clock(job, Some(inner)));
        })
        .map_err(|e| PerfError::io("start", "the run's thread", e))?;
    use std::sync::mpsc::RecvTimeoutError;
    let outcome = match rx.recv_timeout(limits.wall) {
        Ok(outcome) => outcome,
        Err(RecvTimeoutError::Timeout) => {
            // A run that still yields stops at its next await; one that does not is left behind.
            bound.watch.trip(LimitKind::WallClock);
            match rx.recv_timeout(STOP_GRACE) {
                Ok(outcome) => outcome,
                Err(RecvTimeoutError::Timeout) => {
                    let e = bound.stopped(LimitKind::WallClock, true);
                    tracing::error!(scenario = %s.name, seed = s.seed, "{e}");
                    return Err(e);
                }
                Err(RecvTimeoutError::Disconnected) => {
                    Err(bound.stopped(LimitKind::WallClock, false))
                }
            }
        }
        Err(RecvTimeoutError::Disconnected) => Err(bound.stopped(LimitKind::WallClock, false)),
    };
    // The thread has sent its outcome or died: a panic there is a panic here.
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
    outcome
}

fn engine_on_clock(job: EngineJob, bound: Option<Bound>) -> Result<EngineRun> {
    let EngineJob {
        clock,
        sim,
        config,
        input,
        records,
        progress,
        seam,
        board_id,
        key_column,
        state,
    } = job;
    let rt = runtime(clock)?;
    let run = rt.block_on(async move {
        let (transport, simulator, _server): (Arc<dyn Transport>, Arc<Simulator>, _) = match clock {
            Clock::Virtual | Clock::Cpu => {
                let simulator = Arc::new(Simulator::new(sim).map_err(PerfError::Simulator)?);
                (
                    Arc::new(InProcessTransport::new(simulator.clone())),
                    simulator,
                    None,
                )
            }
            Clock::Real => {
                let server = MockMonday::new()
                    .config(sim)
                    .start()
                    .await
                    .map_err(PerfError::Simulator)?;
                let http = monday_sync::http::HttpTransport::new(&server.uri())
                    .map_err(PerfError::Sync)?;
                (Arc::new(http), server.simulator(), Some(server))
            }
        };
        // The guard counts what reaches the API, seam-injected requests included.
        let transport: Arc<dyn Transport> = match &bound {
            Some(b) => {
                b.watch.start_clock();
                Arc::new(Guarded::new(transport, b.watch.clone()))
            }
            None => transport,
        };
        let transport = match seam {
            Some(seam) => seam.wrap(transport),
            None => transport,
        };
        let recorder_transport =
            (clock == Clock::Cpu).then(|| Arc::new(RecordingTransport::new(transport.clone())));
        let transport: Arc<dyn Transport> = match &recorder_transport {
            Some(r) => r.clone(),
            None => transport,
        };
        // Virtual clock: the recorder's bar of records (the run takes a second). Real clock: the
        // sync's own display (what it is doing, countdowns, ETA), as a user of monday-sync sees it.
        let recorder = Arc::new(RunRecorder::new(
            records,
            progress && clock == Clock::Virtual,
        ));
        // The simulator's clock at the recorder's time zero: job times become run offsets.
        let sim_origin = simulator.clock().now();
        let observer: Arc<dyn SyncObserver> = match &bound {
            Some(b) => Arc::new(Tee(recorder.clone(), b.watch.clone())),
            None => recorder.clone(),
        };
        let mut run_params = params_with_state(config, input, transport, Some(observer), state);
        run_params.progress = progress && clock == Clock::Real;
        let outcome = match &bound {
            None => engine::run(run_params).await,
            Some(b) => {
                let api_limit = tokio::time::sleep(b.watch.limits().api_time);
                tokio::select! {
                    biased;
                    kind = b.watch.tripped() => return Err(b.stopped(kind, false)),
                    () = api_limit => {
                        b.watch.trip(LimitKind::ApiTime);
                        return Err(b.stopped(LimitKind::ApiTime, false));
                    }
                    outcome = engine::run(run_params) => outcome,
                }
            }
        };
        let api_time = recorder.origin().elapsed();
        let measurements = recorder.finish();
        let summary = outcome.map_err(PerfError::Sync)?;
        Ok::<_, PerfError>(EngineRun {
            summary,
            measurements,
            api_time,
            board: simulator.board_column_texts(&board_id, &key_column),
            stats: simulator.stats(),
            recording: recorder_transport.map(|r| r.recording()),
            jobs_json: simulator.jobs_json(),
            sim_origin,
            retry_keys: (clock != Clock::Cpu)
                .then(|| crate::measure::retry_keys::RetryKeys::of(&simulator.request_log(0))),
        })
    });
    // Dropping the runtime stops the real-clock server's tasks; after a stop, without waiting
    // for a task that may never yield.
    if run.is_err() {
        rt.shutdown_background();
    } else {
        drop(rt);
    }
    run
}

/// Client CPU per record: `repetitions` replays of the workload against the prepared responses,
/// each on a fresh paused runtime; the minimum is the figure.
fn measure_client_cpu(
    config: &SyncConfig,
    input: &InputSource,
    recording: Recording,
    records: u64,
    repetitions: u32,
) -> Result<ClientCpu> {
    let prepared = Arc::new(PreparedTransport::new(recording));
    let mut per_record = Vec::new();
    for _ in 0..repetitions.max(1) {
        let rt = runtime(Clock::Cpu)?;
        let p = params(config.clone(), input.clone(), prepared.clone(), None);
        let before = process_cpu_time();
        let outcome = rt.block_on(engine::run(p));
        let cpu = process_cpu_time().saturating_sub(before);
        drop(rt);
        outcome.map_err(PerfError::Sync)?;
        per_record.push(crate::measure::client_cpu::round3(
            cpu.as_secs_f64() * 1e6 / records.max(1) as f64,
        ));
    }
    let min = per_record.iter().copied().fold(f64::INFINITY, f64::min);
    Ok(ClientCpu {
        us_per_record: min,
        repetitions_us_per_record: per_record,
        misses: prepared.misses(),
    })
}

/// Entries the in-process simulator's request log keeps (more than any gate run sends).
const REQUEST_LOG_CAPACITY: usize = 1_000_000;

/// Client CPU per record of `s` at `records` records (the larger size of a growth scenario).
fn larger_run(s: &Scenario, records: u64, options: &RunOptions) -> Result<ClientCpu> {
    let large = Scenario {
        name: format!("{}-x{}", s.name, records / s.records.max(1)),
        records,
        cpu_growth_records: None,
        ..s.clone()
    };
    let run = run_scenario(
        &large,
        &RunOptions {
            limits: Bounds::Off,
            ..*options
        },
    )?;
    run.results.client_cpu.ok_or_else(|| {
        PerfError::Usage(format!("{}: the larger run measured no client CPU", s.name))
    })
}

/// Client CPU of `s`'s workload over the real HTTP transport ([`crate::measure::http_cpu`]).
fn measure_http_cpu(
    s: &Scenario,
    sim: &SimConfig,
    config: &SyncConfig,
    input: &InputSource,
    records: u64,
) -> Result<crate::measure::http_cpu::HttpCpu> {
    let spec = crate::measure::http_cpu::ServerSpec {
        plan: s.plan.clone(),
        token_kind: s.token_kind.clone(),
        seed: s.seed,
        limits: sim.limits.clone(),
    };
    crate::measure::http_cpu::measure(&spec, records, s.cpu_repetitions, |transport| {
        params(config.clone(), input.clone(), transport, None)
    })
}

/// Runs one scenario and returns its results (no files written).
pub fn run_scenario(s: &Scenario, options: &RunOptions) -> Result<RunArtifacts> {
    s.validate()?;
    let wall_start = std::time::Instant::now();
    let started_at = chrono::Local::now().to_rfc3339();
    let sim = match s.clock {
        Clock::Cpu => unthrottled(sim_config(s)?),
        Clock::Virtual | Clock::Real => SimConfig {
            // The request log: retried writes are judged from it (`retry_keys`).
            request_log_capacity: REQUEST_LOG_CAPACITY,
            ..sim_config(s)?
        },
    };
    let (config_toml, origin) = s.config_toml()?;
    let config = engine_config(&config_toml, &origin, s.seed)?;
    let write_concurrency = config.sync.write_concurrency as u64;
    let work = workload(s, &config)?;
    let records = work.records;

    let limits = match options.limits {
        Bounds::Off => None,
        Bounds::Fixed(l) => Some(l),
        Bounds::FromCeiling => {
            let ceiling = ceiling_inputs(
                &sim,
                records,
                work.group_values.len() as u64,
                write_concurrency,
            )
            .with_batch_only_records(work.batch_only)
            .ceiling();
            Some(limits_from_ceiling(s.clock, ceiling.ceiling_ms, records))
        }
    };
    // A state file lives in a temp folder for the run (removed when the run ends).
    let state_dir = if s.state_file {
        Some(tempfile::tempdir().map_err(|e| PerfError::io("create", "a temp folder", e))?)
    } else {
        None
    };
    let state = state_dir.as_ref().map_or(StateSpec::InMemory, |d| {
        StateSpec::Path(d.path().join("state.db"))
    });
    let logs_before = log_counts::snapshot();
    let job = EngineJob {
        clock: s.clock,
        sim: sim.clone(),
        config: config.clone(),
        input: work.input.clone(),
        records,
        progress: options.progress,
        seam: options.seam,
        board_id: config.board.id.clone(),
        key_column: config.board.key_column.clone(),
        state,
    };
    let run = run_engine(job, limits, s)?;
    drop(state_dir);
    let logs = log_counts::snapshot().since(&logs_before);
    let http_cpu = if s.clock == Clock::Cpu && s.cpu_over_http {
        Some(measure_http_cpu(s, &sim, &config, &work.input, records)?)
    } else {
        None
    };
    let client_cpu = match (s.clock, run.recording) {
        (Clock::Cpu, Some(recording)) if !s.cpu_over_http => Some(measure_client_cpu(
            &config,
            &work.input,
            recording,
            records,
            s.cpu_repetitions,
        )?),
        _ => None,
    };
    let client_cpu_growth = match (&client_cpu, s.cpu_growth_records) {
        (Some(small), Some(large_records)) => {
            let large = larger_run(s, large_records, options)?;
            Some(CpuGrowth::between(
                (records, small),
                (large_records, &large),
            ))
        }
        _ => None,
    };
    let EngineRun {
        summary,
        measurements,
        api_time,
        board,
        stats,
        jobs_json,
        sim_origin,
        retry_keys,
        ..
    } = run;

    let failed_keys: HashSet<String> = summary
        .failures
        .iter()
        .filter_map(|f| f.key.clone())
        .collect();
    let board = check_board(board, &work.keys, &failed_keys);
    // Efficiency counts synced records only: the ceiling of the records that made it, against the
    // time the whole run took (a run whose records failed one by one is not efficient).
    let synced = records.saturating_sub(summary.failed);
    // Every path the simulator serves to the sync's API version is modelled: the best plan
    // and a floor no path can beat ([`crate::model::yardstick`]).
    let bulk = yardstick::bulk_available(&config).then(|| yardstick::bulk_inputs(&sim));
    // The records a CSV row cannot carry go as batches in every plan (at most the synced ones).
    let ceiling = ceiling_inputs(
        &sim,
        synced,
        work.group_values.len() as u64,
        write_concurrency,
    )
    .with_batch_only_records(work.batch_only.min(synced))
    .ceiling_with(bulk.as_ref());
    let api_time_ms = round3(api_time.as_secs_f64() * 1000.0);
    let against = yardstick::measure(&ceiling, config.sync.mode, api_time_ms);
    let wall_ms = round3(wall_start.elapsed().as_secs_f64() * 1000.0);
    let sync_summary =
        serde_json::to_value(&summary).map_err(|e| PerfError::json("serialise run summary", e))?;
    let simulator_stats = serde_json::to_value(&stats)
        .map_err(|e| PerfError::json("serialise simulator stats", e))?;
    let bulk = bulk_activity(
        &simulator_stats,
        &jobs_json,
        sim_origin,
        &measurements.batch_spans,
        api_time_ms,
    );
    let mut results = RunResults {
        client_cpu_us_per_record: client_cpu.as_ref().map(|c| c.us_per_record),
        client_cpu,
        log_events: log_counts::installed().then_some(logs),
        log_events_per_record: log_counts::installed().then(|| logs.per_record(records)),
        bulk,
        retry_keys,
        client_cpu_growth,
        http_cpu,
        state_store: summary
            .state
            .clone()
            .map(|d| crate::replay::results::StateCost::of(d, records)),
        ..RunResults::new(Measured {
            scenario: s,
            records,
            failed_records: summary.failed,
            synced_records: synced,
            api_time_ms,
            measurements: &measurements,
            simulator_requests: stats.requests_total,
            simulator_stats,
            locked: summary.locked,
            board,
            ceiling,
            against,
            sync_config_toml: config_toml,
            sync_summary,
            wall_clock: WallClock {
                started_at,
                wall_ms,
                client_overhead_per_record_ms: None,
            },
        })
    };
    // On the real clock against instant answers, all of a record's time is the client's own.
    if s.clock == Clock::Real && s.profile == "instant" {
        results.wall_clock.client_overhead_per_record_ms = Some(results.per_record_ms);
    }
    tracing::info!(
        scenario = %s.name,
        records,
        per_record_ms = results.per_record_ms,
        requests = results.requests,
        efficiency = results.efficiency,
        wall_ms,
        "run finished"
    );
    Ok(RunArtifacts {
        results,
        measurements,
    })
}

/// The bulk path of a run from the simulator's stats and job list (None when it was not used).
fn bulk_activity(
    stats: &Value,
    jobs_json: &Value,
    sim_origin: Duration,
    batch_spans: &[(f64, f64)],
    api_time_ms: f64,
) -> Option<crate::measure::bulk::BulkActivity> {
    let jobs = crate::measure::bulk::job_spans(jobs_json, sim_origin);
    let counts = crate::measure::bulk::BulkCounts::of(stats, &jobs);
    if !counts.used_jobs() {
        return None;
    }
    let path_time = crate::measure::bulk::PathTime::of(&jobs, batch_spans, api_time_ms);
    Some(crate::measure::bulk::BulkActivity {
        counts,
        jobs,
        path_time,
    })
}

/// Merges request histograms of several runs (used by sweep summaries).
pub fn merged_requests(runs: &[RunArtifacts]) -> LatencyHistogram {
    let mut h = LatencyHistogram::new();
    for r in runs {
        h.add(&r.measurements.requests);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_check_counts_duplicates_and_lost() {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let board = owned(&["A", "A", "B", ""]);
        let keys = owned(&["A", "B", "C", "D"]);
        let failed: HashSet<String> = ["D".to_string()].into();
        assert_eq!(check_board(Some(board), &keys, &failed), (4, 1, 1));
        assert_eq!(check_board(None, &keys, &failed), (0, 0, 3));
    }

    /// The records perf counts as batch-only (the sync's encoder, before the run) are exactly
    /// the ones a real `ingest` run sent as batches: every other record went as a job row (the
    /// simulator's count of rows its jobs created).
    #[test]
    fn the_batch_only_count_is_what_an_ingest_run_sends_as_batches() {
        use monday_sync::config::Mode;
        for (records, seed) in [(300, 7), (400, 20260101)] {
            let s = Scenario {
                records,
                seed,
                sync: crate::workload::scenario::SyncOverrides {
                    mode: Some(Mode::Ingest),
                    ..Default::default()
                },
                ..Scenario::default()
            };
            let r = run_scenario(&s, &RunOptions::default()).unwrap().results;
            assert_eq!(
                (r.synced_records, r.lost_records),
                (records, 0),
                "{records}"
            );
            let c = &r.bulk.as_ref().expect("the run used jobs").counts;
            let by_jobs = c.rows("created") + c.rows("updated");
            let as_batches = r.synced_records - by_jobs;
            assert!(
                as_batches > 0,
                "{records}: the workload has records a row cannot carry"
            );
            assert_eq!(r.ceiling.inputs.batch_only_records, as_batches, "{records}");
        }
    }

    /// `monday-perf run --records 5000` (auto): measured against the plan that sends the 1,601
    /// records a row cannot carry as batches, the sync is near the best (virtual time: the
    /// same seed gives the same figures).
    #[test]
    fn auto_at_5000_records_is_near_the_best_plan_it_can_reach() {
        let s = Scenario {
            records: 5_000,
            sync: crate::workload::scenario::SyncOverrides {
                mode: Some(monday_sync::config::Mode::Auto),
                ..Default::default()
            },
            ..Scenario::default()
        };
        let r = run_scenario(&s, &RunOptions::default()).unwrap().results;
        assert_eq!(r.ceiling.inputs.batch_only_records, 1_601);
        assert_eq!(r.efficiency_plan, crate::model::ceiling::PlanKind::Mixed);
        assert!((0.7..=1.05).contains(&r.efficiency), "{}", r.efficiency);
    }

    #[test]
    fn the_processing_rate_reaches_the_simulator_and_the_ceiling() {
        let s = Scenario {
            processing_rate: Some(25.0),
            ..Scenario::default()
        };
        let sim = sim_config(&s).unwrap();
        // The simulator runs its jobs at that rate, after the profile's start delay ...
        assert_eq!(
            sim.job_timing(),
            JobTiming {
                job_rows_per_second: 25.0,
                ..JobTiming::realistic()
            }
        );
        // ... and the ceiling models the same rate.
        assert_eq!(yardstick::bulk_inputs(&sim).rows_per_second, 25.0);
        let d = sim_config(&Scenario::default()).unwrap();
        assert_eq!(yardstick::bulk_inputs(&d).rows_per_second, 250.0);
    }

    #[test]
    fn a_profile_files_job_keys_set_the_job_timing() {
        let dir = std::env::temp_dir().join(format!("pm-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("slow.toml");
        let realistic = include_str!("../../../mock-monday/profiles/realistic.toml")
            .replace("job_rows_per_second = 250.0", "job_rows_per_second = 40.0");
        assert!(
            realistic.contains("job_rows_per_second = 40.0"),
            "the key is in the file"
        );
        std::fs::write(&path, realistic).unwrap();
        let s = Scenario {
            profile: path.display().to_string(),
            ..Scenario::default()
        };
        let sim = sim_config(&s).unwrap();
        assert_eq!(sim.job_timing().job_rows_per_second, 40.0);
        // --processing-rate wins over the file.
        let s = Scenario {
            processing_rate: Some(7.0),
            ..s
        };
        assert_eq!(
            sim_config(&s).unwrap().job_timing().job_rows_per_second,
            7.0
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn ceiling_uses_the_token_budget() {
        let mut s = Scenario::default();
        let personal = ceiling_inputs(&sim_config(&s).unwrap(), 100, 3, 4);
        s.token_kind = "trial".into();
        let trial = ceiling_inputs(&sim_config(&s).unwrap(), 100, 3, 4);
        assert_eq!(personal.budget_per_window, 10 * trial.budget_per_window);
        assert_eq!(personal.max_concurrency, 100);
    }

    #[test]
    fn a_run_without_a_baseline_is_bounded_by_its_ceiling() {
        let secs = Duration::from_secs;
        // 100 s ceiling: 2,000 s of API time; 5,000 records: 100 s of wall clock, under the floor.
        assert_eq!(
            limits_from_ceiling(Clock::Virtual, 100_000.0, 5_000),
            Limits {
                wall: CEILING_WALL_FLOOR,
                api_time: secs(2_000),
                requests: 51_000,
            }
        );
        // Over real HTTP the API time runs on the wall clock too.
        let real = limits_from_ceiling(Clock::Real, 1.0, 10);
        assert_eq!(real.api_time, CEILING_API_TIME_FLOOR);
        assert_eq!(real.wall, CEILING_API_TIME_FLOOR + CEILING_WALL_FLOOR);
        assert_eq!(
            limits_from_ceiling(Clock::Cpu, 1.0, 100_000).wall,
            secs(2_000)
        );
    }

    #[test]
    fn bad_names_are_usage_errors() {
        let s = Scenario {
            plan: "platinum".into(),
            ..Scenario::default()
        };
        assert!(matches!(sim_config(&s), Err(PerfError::Usage(_))));
        let s = Scenario {
            faults: Some("5xx=2".into()),
            ..Scenario::default()
        };
        assert!(matches!(sim_config(&s), Err(PerfError::Usage(_))));
    }
}
