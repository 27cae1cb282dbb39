//! The API: every request the sync makes goes through one client and one send loop.
//!
//! - [`client`]: [`client::ApiClient::call`], the one send loop (every request kind), and
//!   [`client::ApiClient::wait_until`], the one place every wait happens.
//! - [`keys`]: a run's id and the `Idempotency-Key` of each request.
//! - [`retry`]: [`retry::decide`], the retry policy as one pure function.
//! - [`pacing`]: when a request may go (the complexity budget, 429 holds).
//! - [`payload`]: GraphQL bodies (aliases + variables) and the classification of answers.
//! - [`http`]: the reqwest [`crate::transport::Transport`]; [`request_log`]: `--request-log`.

pub(crate) mod client;
pub(crate) mod http;
pub(crate) mod keys;
pub(crate) mod pacing;
pub(crate) mod payload;
pub(crate) mod request_log;
pub(crate) mod retry;
