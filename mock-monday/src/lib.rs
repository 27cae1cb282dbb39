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
//! - **The request pipeline** (which stage answers first: route, auth, version, limits,
//!   idempotency, validation, execution, faults): [`core`].
//! - **Complexity budget** (which bucket a token kind has and how much it holds:
//!   [`limits::Budgets`]; the window and its reset: [`limits::ComplexityBudget`]); **what a
//!   query costs** (estimate, per-request cap, refunds for failed mutations): [`graphql::cost`].
//! - **Other rate limits** (minute, concurrency, IP, daily, board write locks): [`limits`].
//! - **Latency** (the simulated delay of every answer, from the profile): [`latency`].
//! - **Error shapes by API version**: [`envelope`] and [`version`].
//! - **Faults** (5xx, resets, slow answers, storms): [`faults`].

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
pub mod latency;
pub mod limits;
pub mod request_log;
pub mod server;
pub mod stats;
pub mod store;
pub mod version;

pub use crate::config::{LatencyProfile, LimitSettings, Plan, SetupError, SimConfig, TokenKind};
pub use crate::core::{CoreRequest, CoreResponse, Delivery, DispatchOutcome, Simulator};
pub use crate::faults::{FaultConfig, FaultKind};
pub use crate::http::{MockMonday, MockMondayServer};
pub use crate::limits::BoardLock;
pub use crate::request_log::{RequestKind, RequestLogEntry};
pub use crate::stats::Stats;
