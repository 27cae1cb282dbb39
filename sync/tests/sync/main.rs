//! The sync's integration tests, one module per file, in one test binary (`--test sync`).
//!
//! One binary links tokio, reqwest, rusqlite and both crates once instead of once per file,
//! and compiles [`support`] once. Run one file's tests with a filter on its module:
//! `cargo test -p monday-sync --test sync bulk_path::`.
//!
//! `tests/logging_quiet.rs` stays a binary of its own: it installs its log capture as the
//! process-global tracing subscriber, which would see every other test's events here.

#[path = "../support/mod.rs"]
mod support;

mod activity_events;
mod batch_sync;
mod board_full;
mod board_locks;
mod bulk_faults;
mod bulk_path;
mod cli_exit_codes;
mod exactly_once;
mod idempotency;
mod limits_labels_logging;
mod payload_props;
mod upload_no_token;
