//! `monday-sync`: the production batch sync of order-list records into a monday.com board.
//!
//! A run reads records (NDJSON, CSV or a JSON array, streamed), turns each into an item name and
//! `column_values` ([`transform`]), classifies it against a durable state store as new, changed or
//! unchanged ([`state`]), and sends new and changed records as aliased `create_item` /
//! `change_multiple_column_values` mutations, many per request, with GraphQL variables
//! ([`payload`]). Every record is marked pending before its request leaves and done after, so a
//! killed process is reconciled on the next run with `items_page_by_column_values` before anything
//! is created again ([`reconcile`]). [`engine::run`] is the entry point; the engine reaches the API
//! only through [`transport::Transport`] (reqwest in [`http`], the simulator in tests and the perf
//! harness), and all timing uses tokio's clock, so runs replay deterministically in virtual time.
//!
//! Where each decision is made (one module each):
//!
//! - **Batch size** (records per request, the collection window, budget-fitted bodies, splits):
//!   [`batching`].
//! - **Pacing and the complexity budget** (when a request may go; the budget estimate from the
//!   API's own signals; 429 blocks): [`pacing`].
//! - **Retry** (after every attempt of every request kind: settle, wait, resend, split, give up,
//!   stop): [`retry::decide`], called only by the one send loop that applies it (including for
//!   aliases that failed transiently: [`client::Transient`]) and the one place every wait
//!   happens: [`client`].
//! - **Write concurrency** (at most `write_concurrency` writes in flight per board, one by
//!   default; reads overlap): the write permits of [`client::ApiClient::call`].
//! - **Board capacity** (how many more items the board takes): [`capacity`].
//! - The request log (`--request-log`): [`request_log`].
//! - Group creation: [`groups`]; per-batch sending: [`sender`]; errors: [`error`].

pub mod batching;
pub mod board;
pub mod capacity;
pub mod client;
pub mod config;
pub mod engine;
pub mod error;
pub mod fasthash;
pub mod groups;
pub mod http;
pub mod input;
pub mod observer;
pub mod pacing;
pub mod payload;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod request_log;
pub mod retry;
pub mod sender;
pub mod state;
pub mod transform;
pub mod transport;
pub mod write;

pub use error::{ConfigError, SyncError};
