//! monday-perf's integration tests, one module per file, in one test binary (`--test perf`).
//!
//! One binary links the harness, both crates and their dependencies once instead of once per
//! file. Run one file's tests with a filter on its module:
//! `cargo test -p monday-perf --test perf client_cmd::`.
//!
//! Two files stay binaries of their own because each installs the log-counting layer as the
//! process-global tracing subscriber: `tests/gate_bites.rs` (the gate compares log counts, and
//! its runs take turns so each count is its own) and `tests/log_counts.rs` (counts exact deltas).
//! Here, every other test's events would land in those counts.

mod calibrate;
mod cli;
mod client_cmd;
mod run_outputs;
