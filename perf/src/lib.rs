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
//!   config left to the engine's defaults): [`scenario`]; **every value a
//!   user leaves out** (records, seed, repeats, ...): `Scenario::default()` there, the one source
//!   for `run`, `sweep` and the gate's baseline loader.
//! - **Latency** (how request and record latency are recorded, percentiles): [`latency`], fed by
//!   [`observer`] on the run's clock.
//! - **Ceiling and efficiency** (the lower bound on a run's time, serial writes included; the
//!   bulk-import path and the mixed plan beside the batches, the best plan over all paths and the
//!   crossover record count: `CeilingInputs::best_plan`; the floor that efficiency can never
//!   beat, whichever path a run takes): [`ceiling`], computed independently of the sync's own
//!   planner; **which ceiling a run is measured against** (the best plan over the paths its
//!   `[sync] mode` may take, beside the batch-only and the best-over-all figures; the
//!   simulator's job timing, `--processing-rate`): [`yardstick`]; efficiency over synced
//!   records only, and every other figure derived from a run: `RunResults::new` in [`results`],
//!   the one constructor of a run's results.
//! - **The sync's config as the harness reads it** (board, mode, write concurrency, API
//!   version): the sync's own types (`monday_sync::config`), parsed once by `run::parse_config`;
//!   nothing is read from the TOML by hand.
//! - **Client CPU per record** (prepared responses, process CPU time, minimum of repetitions):
//!   [`client_cpu`]; its **growth** between two sizes (`CpuGrowth`) there too; **client CPU over
//!   the real HTTP transport** (a spawned `mock-monday serve`, this process's CPU only):
//!   [`http_cpu`].
//! - **Every `[sync]` key at its code default in some gate scenario** (keys read from the
//!   engine's `SyncSettings`, not listed here): [`code_defaults`].
//! - **Retried writes keyed like their first attempt** (from the simulator's request log and its
//!   write identities): [`retry_keys`]. **State-store commits and syncs** per 1,000 records: the
//!   sync's run summary (`state`), turned into gate figures in [`results`] (`StateCost`).
//! - **Log events per record** (the counting layer of the global subscriber): [`log_counts`].
//! - **Gate metrics and tolerances** (which metrics, built-in tolerances, targets): [`baseline`];
//!   **pass or fail**: [`gate`].
//! - **The bulk-import path in the simulator's word** (job starts, uploads, polls, jobs by final
//!   state, rows by outcome, each job's timeline, the time split by path): [`bulk`]; the gate
//!   compares those counts like requests (`ingest_starts`, `job_polls`, `rows_created`, ... in
//!   [`baseline`]; `max_jobs_rejected_for_capacity` in its targets).
//! - **Regressions injected by tests** (extra round trip, fixed retry wait): [`seams`].
//! - **Bounds of a run** (wall clock, API time and requests; a run that keeps waiting at one
//!   instant of its clock without progress; how a run past them is stopped, why on a thread of
//!   its own): [`limits`]; the gate's limits from its baseline: [`gate`].
//! - **Scenarios over several seeds** (the median run stands, the worst correctness counters
//!   count): [`repeats`].
//! - **Sweep recommendation** and the grid it prints, the write paths it explores (`--modes`,
//!   `--rows-per-job`) and the crossover it prints: [`sweep`].
//! - **Targets between scenarios** (auto against the forced paths: `compare` in a baseline
//!   scenario): [`baseline::Comparison`], checked by [`gate::apply_comparisons`].
//! - **Foreign clients** (`run --client-cmd`: a client in any language against `mock-monday serve`,
//!   measured from the server's request log): [`client_cmd`]; **latency profiles fitted to a
//!   request log** (`calibrate`): [`calibrate`], reading either side's log line as one typed
//!   line ([`request_line`]: the kind is the simulator's `RequestKind`, never a string), the bulk import's processing rate and start
//!   delay from its job polls: [`job_rate`]; **the bulk path driven without the sync** (a
//!   reference job client on the paused clock, for the sweep's per-path points and calibration
//!   logs): [`bulk_client`]; the durations the server reports to a foreign
//!   client (wall seconds by default): [`client_cmd::DEFAULT_REPORT_DURATIONS`].
//! - **What a run means** (what set the pace, efficiency against the ceiling, the one change that
//!   would help most; the gate's regressions in one line each), the first lines of every report
//!   and of the terminal output: [`verdict`].
//!
//! # Module layers (a module uses only modules of earlier layers; `e2e_tests::module_graph` checks)
//!
//! [`error`], [`textfmt`], [`sync_keys`], [`request_line`] (leaf helpers) → [`generate`], [`latency`], [`timeline`], [`bulk`], [`charts`],
//! [`ceiling`], [`log_counts`], [`scenario`], [`transport`], [`seams`], [`client_cpu`],
//! [`observer`], [`limits`], [`job_rate`], [`retry_keys`] → [`yardstick`], [`http_cpu`], [`code_defaults`] → [`results`] → [`baseline`] → [`run`] → [`repeats`] → [`gate`] → [`verdict`] →
//! [`bulk_client`], [`sweep`] → [`report_html`],
//! [`gate_outputs`] → [`outputs`] (every file a run or a gate writes).

pub mod baseline;
pub mod bulk;
pub mod bulk_client;
pub mod calibrate;
pub mod ceiling;
pub mod charts;
pub mod client_cmd;
pub mod client_cpu;
pub mod code_defaults;
pub mod error;
pub mod gate;
pub mod gate_outputs;
pub mod generate;
pub mod http_cpu;
pub mod job_rate;
pub mod latency;
pub mod limits;
pub mod log_counts;
pub mod observer;
pub mod outputs;
pub mod repeats;
pub mod report_html;
pub mod request_line;
pub mod results;
pub mod retry_keys;
pub mod run;
pub mod scenario;
pub mod seams;
pub mod sweep;
pub mod sync_keys;
pub mod textfmt;
pub mod timeline;
pub mod transport;
pub mod verdict;
pub mod yardstick;

pub use error::{PerfError, Result};
