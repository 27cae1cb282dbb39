//! The transport-free simulator core: request in, (status, headers, body, delay) out.
//!
//! INTERFACE CONTRACT (used by the HTTP faces, monday-perf's in-process transport and tests):
//! - [`Simulator::new`] from a [`crate::config::SimConfig`]
//! - [`Simulator::handle`]: synchronous, decides everything at arrival time on the simulator clock
//! - [`Simulator::dispatch`]: async convenience that sleeps the delay on tokio's clock and applies
//!   the client's timeout (what an in-process transport calls)
//! - [`Simulator::stats`], [`Simulator::board_items`], [`Simulator::reset`]

use std::time::Duration;

use bytes::Bytes;

/// One HTTP request as the core sees it.
#[derive(Debug, Clone)]
pub struct CoreRequest {
    pub method: String,
    /// Path with query string, e.g. `/v2` or `/v2/get_schema?format=sdl`.
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Caller address for the IP limit (None in-process: one client).
    pub client_ip: Option<String>,
}

/// How the connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Send status, headers and body after `delay`.
    Respond,
    /// Drop the connection after `delay` without a response (the `reset` fault).
    Reset,
}

/// The core's answer.
#[derive(Debug, Clone)]
pub struct CoreResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Simulated time until the response is complete (the face sleeps it, scaled).
    pub delay: Duration,
    pub delivery: Delivery,
}

/// Outcome of [`Simulator::dispatch`].
#[derive(Debug, Clone)]
pub enum DispatchOutcome {
    Response(CoreResponse),
    /// The connection was reset (after the fault's delay).
    Reset,
    /// The client's timeout passed first (after exactly `client_timeout`).
    TimedOut,
}
