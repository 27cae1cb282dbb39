//! `monday_perf`: the performance harness of the monday.com batch sync.
//!
//! It replays synthetic or recorded order-list workloads through the real sync engine
//! (`monday_sync`) against the monday.com API simulator (`mock_monday`), either on tokio's paused
//! clock (deterministic; a 15-minute API run replays in well under a second) or over real HTTP.
//! Each run records request and record latency in HdrHistograms and a per-second timeline, compares
//! the achieved time with the scenario's ceiling (the best any client could do under the plan's
//! limits, costs and latency model) and writes `results.json`, `.hgrm`/`.hlog` files and a
//! self-contained HTML report. On top of single runs sit the batch-size × concurrency sweep and the
//! CI regression gate with its checked-in baseline.
//!
//! Module map: [`generate`] (workloads), [`scenario`] (what a run is), [`transport`] (in-process
//! transport), [`observer`] (what the engine reports), [`run`] (one run end to end), [`latency`],
//! [`timeline`], [`ceiling`], [`results`] (measurements), [`charts`], [`report_html`] (HTML),
//! [`sweep`], [`baseline`], [`gate`], [`gate_outputs`] (CI); [`client_cmd`] (a foreign client
//! against `mock-monday serve`).

pub mod baseline;
pub mod calibrate;
pub mod ceiling;
pub mod charts;
pub mod client_cmd;
pub mod error;
pub mod gate;
pub mod gate_outputs;
pub mod generate;
pub mod latency;
pub mod observer;
pub mod report_html;
pub mod results;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod timeline;
pub mod transport;

pub use error::{PerfError, Result};
