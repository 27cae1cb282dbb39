//! The API: every request the sync makes goes through one client and one send loop.
//!
//! - [`client`]: [`client::ApiClient::call`], the one send loop (every request kind), and
//!   [`client::ApiClient::wait_until`], the one place every wait happens.
//! - [`retry`]: [`retry::decide`], the retry policy as one pure function.
//! - [`pacing`]: when a request may go (the complexity budget, 429 holds).
//! - [`payload`]: GraphQL bodies (aliases + variables) and the classification of answers.
//! - [`http`]: the reqwest [`crate::transport::Transport`]; [`request_log`]: `--request-log`.

pub mod client;
pub mod http;
pub mod pacing;
pub mod payload;
pub mod request_log;
pub mod retry;
