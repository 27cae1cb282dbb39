//! `monday-sync`: the production batch sync of order-list records into a monday.com board.
//!
//! A run reads records (NDJSON, CSV or a JSON array, streamed; [`input`]), turns each into an
//! item name and `column_values` ([`mapping`]), classifies it against a durable state store as
//! new, changed or unchanged ([`state`]), plans it (groups, board capacity, batches;
//! [`planning`]) and writes it through a write path ([`write`]: today aliased `create_item` /
//! `change_multiple_column_values` mutations, many per request, with GraphQL variables). Every
//! record is marked pending before its request leaves and done after, so a killed process is
//! reconciled on the next run with `items_page_by_column_values` before anything is created
//! again ([`state::reconcile`]). [`engine::run`] is the entry point; every request goes through
//! one client ([`api`]) and reaches the API only through [`transport::Transport`] (reqwest in
//! [`api::http`], the simulator in tests and the perf harness), and all timing uses tokio's
//! clock, so runs replay deterministically in virtual time. [`report`] writes the summaries and
//! shows progress.
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
//! - **How records are written** (one interface, [`write::WritePath`]; the batch path:
//!   [`write::batch`]; a bulk-import path goes beside it as `write/ingest/`).
//! - **The sequence of a run** (the coordinator, which only sequences): [`engine`].
//! - The request log (`--request-log`): [`api::request_log`]; errors: [`error`].

pub mod api;
pub mod engine;
pub mod error;
pub mod fasthash;
pub mod input;
pub mod mapping;
pub mod observer;
pub mod planning;
pub mod report;
pub mod state;
pub mod transport;
pub mod write;

// The paths callers used before the folders.
pub use api::{client, http, pacing, payload, request_log, retry};
pub use error::{ConfigError, SyncError};
pub use mapping::{config, transform};
pub use planning::{batching, board, capacity, groups};
pub use report::progress;
pub use state::reconcile;
