//! `monday-sync`: the production batch sync of order-list records into a monday.com board.
//!
//! A run reads records (NDJSON, CSV or a JSON array, streamed), turns each into an item name and
//! `column_values` ([`transform`]), classifies it against a durable state store as new, changed or
//! unchanged ([`state`]), and sends new and changed records as aliased `create_item` /
//! `change_multiple_column_values` mutations, many per request, with GraphQL variables
//! ([`payload`]). Requests are paced by the API's own budget signals ([`pacing`]), retried with
//! seeded backoff and stable `Idempotency-Key`s ([`retry`], [`sender`]), and every record is marked
//! pending before its request leaves and done after, so a killed process is reconciled on the next
//! run with `items_page_by_column_values` before anything is created again ([`reconcile`]).
//! [`engine::run`] is the entry point; the engine reaches the API only through
//! [`transport::Transport`] (reqwest in [`http`], the simulator in tests and the perf harness), and
//! all timing uses tokio's clock, so runs replay deterministically in virtual time.

pub mod batching;
pub mod board;
pub mod client;
pub mod config;
pub mod engine;
pub mod error;
pub mod fasthash;
pub mod http;
pub mod input;
pub mod observer;
pub mod pacing;
pub mod payload;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod retry;
pub mod sender;
pub mod state;
pub mod transform;
pub mod transport;

pub use error::{ConfigError, SyncError};
