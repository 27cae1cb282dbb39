//! `monday_perf`: the performance harness of the monday.com batch sync.
//!
//! It replays synthetic or recorded order-list workloads through the real sync engine
//! (`monday_sync`) against the monday.com API simulator (`mock_monday`), either on tokio's paused
//! clock (deterministic; a 15-minute API run replays in well under a second), over real HTTP, or
//! against prepared instant responses to measure the client's own CPU time. Each run records
//! request and record latency in HdrHistograms and a per-second timeline, compares the achieved
//! time with the scenario's ceiling and writes `results.json`, `.hgrm`/`.hlog` files and a
//! self-contained HTML report. On top of single runs sit the batch-size × concurrency sweep and
//! the CI regression gate with its checked-in baseline.
//!
//! # Where each decision lives
//!
//! - **What a run is** (workload, simulator, clock, overrides; every `[sync]` key of the example
//!   config left to the engine's defaults): [`workload::scenario`]; **every value a
//!   user leaves out** (records, seed, repeats, ...): `Scenario::default()` there, the one source
//!   for `run`, `sweep` and the gate's baseline loader.
//! - **Latency** (how request and record latency are recorded, percentiles): [`measure::latency`], fed by
//!   [`measure::observer`] on the run's clock.
//! - **Ceiling and efficiency** (the lower bound on a run's time, serial writes included; the
//!   bulk-import path and the mixed plan beside the batches, the best plan over all paths and the
//!   crossover record count: `CeilingInputs::best_plan`; the floor that efficiency can never
//!   beat, whichever path a run takes): [`model::ceiling`], computed independently of the sync's own
//!   planner; **which records go as `create_item` in every plan** (a CSV row cannot carry them;
//!   judged by the sync's own encoder, `monday_sync::ingest::CsvRowCheck`):
//!   [`workload::exact_rows`]; **which ceiling a run is measured against** (the best plan over the paths its
//!   `[sync] mode` may take, beside the batch-only and the best-over-all figures; the
//!   simulator's job timing, `--processing-rate`): [`model::yardstick`]; efficiency over synced
//!   records only, and every other figure derived from a run: `RunResults::new` in [`replay::results`],
//!   the one constructor of a run's results.
//! - **The sync's config as the harness reads it** (board, mode, write concurrency, API
//!   version): the sync's own types (`monday_sync::config`), parsed once by `run::parse_config`;
//!   nothing is read from the TOML by hand.
//! - **Client CPU per record** (prepared responses, process CPU time, minimum of repetitions):
//!   [`measure::client_cpu`]; its **growth** between two sizes (`CpuGrowth`) there too; **client CPU over
//!   the real HTTP transport** (a spawned `mock-monday serve`, this process's CPU only):
//!   [`measure::http_cpu`].
//! - **Every `[sync]` key at its code default in some gate scenario** (keys read from the
//!   engine's `SyncSettings`, not listed here): [`judge::code_defaults`].
//! - **Retried writes keyed like their first attempt** (from the simulator's request log and its
//!   write identities): [`measure::retry_keys`]. **State-store commits and syncs** per 1,000 records: the
//!   sync's run summary (`state`), turned into gate figures in [`replay::results`] (`StateCost`).
//! - **Log events per record** (the counting layer of the global subscriber): [`measure::log_counts`].
//! - **Gate metrics and tolerances** (which metrics, built-in tolerances, targets): [`judge::baseline`];
//!   **pass or fail**: [`judge::gate`].
//! - **The bulk-import path in the simulator's word** (job starts, uploads, polls, jobs by final
//!   state, rows by outcome, each job's timeline, the time split by path): [`measure::bulk`]; the gate
//!   compares those counts like requests (`ingest_starts`, `job_polls`, `rows_created`, ... in
//!   [`judge::baseline`]; `max_jobs_rejected_for_capacity` in its targets).
//! - **Regressions injected by tests** (extra round trip, fixed retry wait): [`replay::seams`].
//! - **Bounds of a run** (wall clock, API time and requests; a run that keeps waiting at one
//!   instant of its clock without progress; how a run past them is stopped, why on a thread of
//!   its own): [`limits`]; the gate's limits from its baseline: [`judge::gate`].
//! - **Scenarios over several seeds** (the median run stands, the worst correctness counters
//!   count): [`replay::repeats`].
//! - **Sweep recommendation** and the grid it prints, the write paths it explores (`--modes`,
//!   `--rows-per-job`) and the crossover it prints: [`tune::sweep`].
//! - **Targets between scenarios** (auto against the forced paths: `compare` in a baseline
//!   scenario): [`judge::baseline::Comparison`], checked by [`judge::gate::apply_comparisons`].
//! - **Foreign clients** (`run --client-cmd`: a client in any language against `mock-monday serve`,
//!   measured from the server's request log): [`replay::client_cmd`]; **how the gate judges a foreign
//!   client whatever the machine's load** (API busy time per record from the simulator's seeded
//!   latency draws, records per request, the client's own CPU time; its wall-clock figures
//!   reported only): [`measure::client_pace`]; **latency profiles fitted to a
//!   request log** (`calibrate`): [`tune::calibrate`], reading either side's log line as one typed
//!   line ([`measure::request_line`]: the kind is the simulator's `RequestKind`, never a string), the bulk import's processing rate and start
//!   delay from its job polls: [`tune::job_rate`]; **the bulk path driven without the sync** (a
//!   reference job client on the paused clock, for the sweep's per-path points and calibration
//!   logs): [`replay::bulk_client`]; the durations the server reports to a foreign
//!   client (wall seconds by default): [`replay::client_cmd::DEFAULT_REPORT_DURATIONS`].
//! - **The measured comparison `run` prints** for a run that may take jobs (the same records
//!   replayed with `mode = "batch"`, both API times and their ratio): [`replay::vs_batch`].
//! - **What a run means** (what set the pace, efficiency against the ceiling, the one change that
//!   would help most; the gate's regressions in one line each), the first lines of every report
//!   and of the terminal output: [`judge::verdict`].
//!
//! # The folders tell the story of a run (a folder uses only folders before it;
//! `e2e_tests::module_graph` checks every level)
//!
//! [`error`], [`textfmt`], [`limits`] (leaf helpers: the error type, number formatting, the
//! bounds of a run) → [`workload`] (what a run is: scenario, generated records) → [`measure`]
//! (latency, timeline, client CPU, log events, retried writes, the bulk path's counts, request-log
//! lines) → [`model`] (the yardstick: ceiling model, which ceiling a run is measured against) →
//! [`replay`] (running the sync, a foreign client or the reference job client against the
//! simulator; repeats; the results) → [`judge`] (baseline, gate, code defaults, verdict) →
//! [`report`] (charts, the HTML report, every file a run or gate writes) → [`tune`] (the sweep,
//! calibration from request logs). A second way to measure a run goes in `measure/`, a second
//! driver in `replay/`.

pub mod error;
pub mod judge;
pub mod limits;
pub mod measure;
pub mod model;
pub mod replay;
pub mod report;
pub mod textfmt;
pub mod tune;
pub mod workload;

pub use error::{PerfError, Result};
