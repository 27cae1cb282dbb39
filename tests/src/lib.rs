//! End-to-end test support shared by the test files in `tests/tests/`, one module per concern:
//!
//! - [`paths`]: the workspace, the example config, and [`bins`], which builds and locates the
//!   `monday-sync`, `mock-monday` and `monday-perf` binaries once per test binary.
//! - [`records`]: [`orders`], monday-perf's order-list records (the domain of docs/interfaces.md)
//!   with a chosen share of empty fields and only labels the fixture board has.
//! - [`transport`]: [`SimTransport`], monday-perf's in-process transport with every attempt
//!   recorded (so tests can check the run summary's accounting of requests and retries).
//! - [`engine`]: simulator and sync configs, one engine run, summary helpers.
//! - [`board`]: the simulator's board items and the exactly-once check.
//! - [`serve`]: [`Serve`], a `mock-monday serve` child process on 127.0.0.1 with its URL line read.
//! - [`sync_cli`]: the `monday-sync` child process and its failure reports.
//! - [`logs`]: [`LogCapture`], a tracing writer that keeps every formatted line for assertions.
//! - [`module_graph`]: each crate's module graph, and the test that it has no circle.
//! - [`code_size`]: the size rules (files, functions) and the test that `sync/src` keeps them.
//! - [`readme`]: every command line the workspace's READMEs show in their shell code blocks
//!   (`tests/tests/e2e/readme_commands.rs` runs each one).

/// The default fixture board of the simulator.
pub const BOARD_ID: &str = "1234567890";
/// A token that must never show up in any log line or report.
pub const SECRET_TOKEN: &str = "tok-e2e-SECRET-7f3a9c1d";

pub mod board;
pub mod code_size;
pub mod engine;
pub mod logs;
pub mod module_graph;
pub mod paths;
pub mod readme;
pub mod records;
pub mod serve;
pub mod sync_cli;
pub mod transport;

pub use board::*;
pub use engine::*;
pub use logs::*;
pub use paths::*;
pub use records::*;
pub use serve::*;
pub use sync_cli::*;
pub use transport::*;
