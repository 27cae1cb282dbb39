//! `monday-sync`: the production batch sync of order-list records into a monday.com board.
//!
//! A run reads records (NDJSON, CSV or a JSON array, streamed; [`input`]), turns each into an
//! item name and `column_values` ([`mapping`]), classifies it against a durable state store as
//! new, changed or unchanged ([`state`]), plans it (groups, board capacity, batches;
//! [`planning`]) and writes it through a write path ([`write`]: today aliased `create_item` /
//! `change_multiple_column_values` mutations, many per request, with GraphQL variables). Every
//! record is marked pending before its request leaves and done after, so a killed process is
//! reconciled on the next run with a lookup by key (`items_page` with an `any_of` rule) before
//! anything is created again ([`state::reconcile`]). [`engine::run`] is the entry point; every
//! request goes through one client ([`api`]) and reaches the API only through
//! [`transport::Transport`] (reqwest in [`api::http`], the simulator in tests and the perf
//! harness), and all timing uses tokio's clock, so runs replay deterministically in virtual time.
//! [`report`] writes the summaries and shows progress.
//!
//! Where each decision is made (one module each):
//!
//! - **Batch size** (records per request, the collection window, budget-fitted bodies, splits):
//!   [`planning::batching`].
//! - **Pacing and the complexity budget** (when a request may go; the budget estimate from the
//!   API's own signals; 429 blocks): [`api::pacing`].
//! - **Retry** (after every attempt of every request kind: settle, wait, resend, split, give up,
//!   stop): [`api::retry::decide`], called only by the one send loop that applies it (including
//!   for aliases that failed transiently: [`api::client::Transient`]) and the one place every
//!   wait happens: [`api::client`].
//! - **Write concurrency** (at most `write_concurrency` writes in flight per board, one by
//!   default; reads overlap): the write permits of [`api::client::ApiClient::call`].
//! - **Board capacity** (how many more items the board takes): [`planning::capacity`].
//! - **Groups** (which group each create goes to; creating missing ones): [`planning::groups`].
//! - **Which write path each group takes** (batches or a bulk-import job, the mixed plan across
//!   groups under the board lock, its estimates and the `why`): [`planning::paths`].
//! - **How records are written** (one interface, [`write::WritePath`]; the batch path:
//!   [`write::batch`]; the bulk import path: [`write::ingest`] — the CSV per column type
//!   [`write::ingest::csv`] (which phones a cell carries with their country, which labels a
//!   job may use; whether a row can carry a record at all, public as
//!   [`ingest::CsvRowCheck`]), the labels added before the jobs, one request per column
//!   [`write::ingest::labels`], the job client [`write::ingest::job`], redo/hand-back rules in
//!   `write::ingest::runner`).
//! - **Which path each group takes** (`mode = "auto"`, the default): [`planning::paths::plan`]
//!   (the complexity budget's windows it plans with: `planning::paths::window`);
//!   whether the bulk import is usable at all (API version, key column type):
//!   [`planning::board::bulk_import_unavailable`]; the coordinator's bulk sequencing (collect,
//!   plan, jobs and batches at once): `engine::coordinator::bulk`.
//! - **Jobs across crashes** (a job's id and keys durable before its upload; a rerun polls open
//!   jobs first): [`state::jobs`].
//! - **The hour's bulk-import budgets across runs** (items and job starts the ledger's jobs spent
//!   in the last hour): [`state::jobs`] counts them, `write::ingest::IngestPath::with_hour_left`
//!   turns them into the planner's inputs, and `IngestPath::run_groups` sizes jobs to what is
//!   left and waits for the window when the planner finds that sooner than batches. A 429 on a
//!   job start holds job starts only: `api::retry::Signal::StartsThrottled`.
//! - **The sequence of a run** (the coordinator, which only sequences): [`engine`]; the run's
//!   set-up steps (request log, run id, the board's room) are named functions in `engine`.
//! - **Column write formats** (what each column type takes, how label checks combine):
//!   `mapping::transform::columns`; JSON text written by hand: `mapping::transform::json`; the
//!   content hash that tells a changed record (both formats a state store holds):
//!   `mapping::transform::hash`.
//! - **The send loop's attempts** (one logical request attempt by attempt, write turns, transient
//!   aliases): `api::client::send`; the error a request that ends becomes: `api::client::last`.
//! - **The progress display**: the state and its ETA arithmetic `report::progress::state`, the
//!   words `report::progress::text`, the log writer around the bar `report::progress::bar`, the
//!   live display `report::progress::live`.
//! - The request log (`--request-log`): [`api::request_log`]; errors: [`error`].
//!
//! Size rules (issue #17): no file over 500 code lines (its test module aside), no function over
//! 80 lines outside tests and the listed tables (`api::retry::decide`); `tests/src/code_size.rs`
//! checks them in `cargo test`.

// The module tree tells the story a record travels (bottom layers first):
//
//   transport, observer, fasthash      the API seam, the events a caller hears, a hash
//   error                              typed errors (-> observer, transport)
//   input/                             reading records (-> error)
//   mapping/                           config + transform/ (columns, json, hash) (-> input)
//   api/                               the client/ (send loop, last), pacing, retry (-> mapping)
//   planning/                          groups, capacity, batches, what the board holds (-> api)
//   state/                             the state store, reconciliation (-> api)
//   report/                            summaries, progress/ (state, text, bar, live) (-> api, mapping)
//   write/                             the WritePath trait; batch/, ingest/ (-> planning, state, api, report)
//   engine/                            the coordinator: sequences all of the above
//
// Each layer imports only from the layers above it in this list (the module-graph test in
// tests/src/module_graph.rs keeps the crate a DAG).

#![warn(unreachable_pub)]

mod api;
pub mod engine;
mod error;
mod fasthash;
pub mod input;
mod mapping;
mod observer;
mod planning;
pub mod report;
pub mod state;
pub mod transport;
mod write;

// The public surface: one path per type. Everything else is `pub(crate)` (the
// `unreachable_pub` lint above keeps it so).
pub use error::{AttemptProblem, ConfigError, StateSource, SyncError};

/// The TOML config: how source records map onto a board, and the sync's settings.
pub mod config {
    pub use crate::mapping::config::{
        ApiSettings, BoardSettings, ColumnKind, ColumnMapping, Mode, SyncConfig, SyncSettings,
        MAX_REQUEST_COMPLEXITY, MUTATION_COMPLEXITY,
    };
}

/// Turning a source record into an item (used by benches and property tests).
pub mod transform {
    pub use crate::mapping::transform::{
        push_json_str, FailureCause, PreparedRecord, RecordFailure, Transformer,
    };
}

/// Request bodies and the classification of answers (used by the client-path benches).
pub mod payload {
    pub use crate::api::payload::{
        alias, build_mutation, classify, AliasOutcome, BudgetInfo, Entry, Op, ResponseClass,
    };
}

/// The reqwest transport.
pub mod http {
    pub use crate::api::http::HttpTransport;
}

/// The log writer that keeps log lines clear of the progress bar (both binaries use it).
pub mod progress {
    pub use crate::report::progress::StderrThroughBar;
}

/// The batch size a run would choose.
pub mod batching {
    pub use crate::planning::batching::batch_size;
}

/// Whether a bulk-import CSV row can carry a record exactly (monday-perf's ceiling counts the
/// records every plan must send as `create_item` with it).
pub mod ingest {
    pub use crate::write::ingest::csv::CsvRowCheck;
}

/// The board a config names, and whether the mapping fits it (`monday-sync check`).
pub mod board {
    pub use crate::planning::board::{
        bulk_import_unavailable, check_mapping, fetch_board, BoardColumn, BoardInfo,
        MappingProblem, MATCH_COLUMN_TYPES,
    };
}
