//! The simulator's integration tests, one module per file, in one test binary
//! (`--test simulator`).
//!
//! One binary links tokio, hyper, wiremock, apollo-compiler and the crate once instead of once
//! per file, and compiles each support module once. Run one file's tests with a filter on its
//! module: `cargo test -p mock-monday --test simulator pipeline::`.

mod graphql_support;
mod http_support;
mod pipeline_support;

mod abuse;
mod board_lock;
mod bulk_http;
mod bulk_import;
mod faults;
mod graphql_columns;
mod graphql_operations;
mod graphql_props;
mod graphql_wire;
mod http_face;
mod limits;
mod pipeline;
mod replay_wire;
mod report_durations;
mod schema_conformance;
mod serve_process;
mod strictness;
