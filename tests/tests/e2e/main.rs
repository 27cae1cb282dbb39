//! The end-to-end tests, one module per file, in one test binary (`--test e2e`).
//!
//! One binary links the three crates and their dependencies once instead of once per file, and
//! builds the binaries it drives ([`e2e_tests::bins`]) once. Run one file's tests with a filter
//! on its module: `cargo test -p e2e-tests --test e2e crashes::`.
//!
//! `tests/logging.rs` stays a binary of its own: it installs its log capture as the
//! process-global tracing subscriber, which would see every other test's events here.

mod bad_input;
mod bulk_import;
mod crashes;
mod faults;
mod perf_regressions;
mod readme_commands;
mod simulator_abuse;
