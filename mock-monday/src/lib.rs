//! `mock-monday`: a faithful, deterministic simulator of the monday.com GraphQL API.
//!
//! The crate has a transport-free core, [`Simulator`], that turns a request (method, path,
//! headers, body) into a response (status, headers, body) plus a *simulated* delay, deciding
//! everything — authentication, API version, rate limits, idempotency, GraphQL validation and
//! execution, complexity, faults and latency — at arrival time on its own clock ([`clock`]).
//! Two faces serve that core over HTTP: [`MockMonday`] (a wiremock `MockServer` for Rust tests)
//! and [`server`] (the `mock-monday serve` binary, hyper, able to drop connections). In-process
//! callers use [`Simulator::dispatch`] directly. All randomness comes from one seed.
//!
//! # Where each decision lives
//!
//! - **The request pipeline** (which stage answers first, in what order): [`core`], read
//!   `core/pipeline.rs`, one screen. Each stage lives in its own module of `core/`:
//!   - route (`POST /v2`, the schema endpoint, 404): `core/route.rs`;
//!   - auth, `API-Version`, body size (the one 413, and how much a face reads:
//!     `Simulator::body_limit`): `core/access.rs`;
//!   - the rate limits in order (IP, storm, minute, daily, concurrency): `core/admission.rs`;
//!   - `Idempotency-Key` replays and 409s, keeping the real answer: `core/replay.rs`;
//!   - the JSON body, the depth guard, GraphQL validation: `core/parse.rs`;
//!   - the per-request complexity cap, the budget check and the charge: `core/complexity.rs`;
//!   - board write locks: `core/locks.rs`; injected faults and the 504: `core/inject.rs`;
//!   - execution against the store and the latency of the answer: `core/execute.rs`;
//!   - the envelope and the rate-limit headers: `core/answer.rs`; state and RNG streams:
//!     `core/state.rs`.
//! - **Complexity budget** (which buckets a token kind has and how much they hold:
//!   [`config::LimitSettings::budgets`]; which bucket a request draws from: [`limits::Budgets`];
//!   the window and its reset, whether a cost fits and what is charged:
//!   [`limits::ComplexityBudget`], [`limits::BudgetCheck`]); **what a query costs** (estimate,
//!   per-request cap, refunds for failed mutations): [`graphql::cost`].
//! - **Other rate limits** (whether one refuses and its retry hint: minute, concurrency, IP,
//!   daily, board write locks): [`limits`]; which limiter a 429 names, its statistics key and
//!   its error code: [`limits::Throttle`].
//! - **Ids** (request ids and job ids, UUID-v4-shaped from seeded streams): `ids.rs`.
//! - **Idempotency** (keys per token, conflicts while in flight, what a replay repeats):
//!   [`idempotency`].
//! - **Latency** (the simulated delay of every answer, from the profile): [`latency`].
//! - **Reported durations** (whether `Retry-After`, `retry_in_seconds`, `reset_in_x_seconds` and
//!   `RateLimit` `t=` are simulated or wall seconds): [`config::ReportDurations::whole_secs`];
//!   every answer reports through `Simulator::reported_secs` in `core/answer.rs`.
//! - **Error shapes by API version**: [`envelope`] and [`version`].
//! - **Faults** (whether a 5xx, reset, slow answer, lock or storm fires, and how it fails):
//!   [`faults`].
//! - **The bulk import** (`ingest_items`, `backfill_items`, the CSV upload URL, `fetch_job_status`,
//!   the report URL): [`jobs`] — settings and job speed `jobs/settings.rs`, starts and the job
//!   table `jobs/mod.rs`, CSV validation `jobs/csv_check.rs`, the lifecycle on the clock (budget
//!   reservation, board cap, matching, commits) `jobs/lifecycle.rs`, the hourly item budget
//!   `jobs/capacity.rs`, the S3-style upload and report answers `jobs/transfer.rs`; the core
//!   routes the upload and report paths in `core/transfer.rs`, gates the fields by version in
//!   `core/parse.rs`, locks boards during a job in `core/locks.rs`; the GraphQL resolvers are
//!   `graphql/bulk.rs`.

pub mod admin;
pub mod clock;
pub mod columns;
pub mod config;
pub mod core;
pub mod envelope;
pub mod faults;
pub mod graphql;
pub mod http;
pub mod idempotency;
mod ids;
pub mod jobs;
pub mod latency;
pub mod limits;
pub mod request_log;
pub mod server;
pub mod stats;
pub mod store;
pub mod version;

pub use crate::config::{
    LatencyProfile, LimitSettings, Plan, ReportDurations, SetupError, SimConfig, TokenKind,
};
pub use crate::core::{CoreRequest, CoreResponse, Delivery, DispatchOutcome, Simulator};
pub use crate::faults::{FaultConfig, FaultKind};
pub use crate::http::{MockMonday, MockMondayServer};
pub use crate::limits::BoardLock;
pub use crate::request_log::{RequestKind, RequestLogEntry};
pub use crate::stats::Stats;
