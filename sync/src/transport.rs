//! The seam between the sync engine and the wire.
//!
//! The engine only ever talks to the monday.com API through [`Transport`]. Production uses
//! [`crate::api::http::HttpTransport`] (reqwest); the perf harness plugs in an in-process transport that
//! calls the simulator core directly and sleeps the simulated latency on tokio's clock.

use std::time::Duration;

use async_trait::async_trait;

/// One GraphQL POST to the monday.com API.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// The JSON body: `{"query": ..., "variables": {...}}`.
    pub body: bytes::Bytes,
    /// Value of the `Authorization` header (the raw token, no `Bearer`). Never logged.
    pub token: String,
    /// Value of the `API-Version` header, e.g. `2026-10`.
    pub api_version: String,
    /// `Idempotency-Key` header; stays the same across retries of one logical request.
    pub idempotency_key: Option<String>,
    /// Client-side timeout for this attempt (the transport enforces it).
    pub timeout: Duration,
}

/// What came back, whatever the status.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: bytes::Bytes,
}

impl ApiResponse {
    /// First header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Failures below HTTP: the request may or may not have reached the server.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TransportError {
    /// No response within [`ApiRequest::timeout`]. Outcome unknown.
    #[error("request timed out")]
    Timeout,
    /// The connection was reset or closed mid-request. Outcome unknown.
    #[error("connection reset: {0}")]
    Reset(String),
    /// Could not connect at all. The request never reached the server.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// Anything else (bad URL, TLS, ...). Treated as fatal.
    #[error("transport error: {0}")]
    Other(String),
}

/// Sends one request and returns the response. Implementations must be cheap to share across tasks.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError>;
}
