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

/// One request to a pre-signed URL of the bulk import: the CSV upload (`PUT`, raw bytes,
/// `Content-Type: text/csv`) or the job report's download (`GET`). It carries **no token**: the
/// URL is its own authorization, and the `Authorization` header must never reach the upload host
/// (docs/monday-bulk-import.md §1.2; https://developer.monday.com/api-reference/docs/importing-items-in-bulk).
#[derive(Debug, Clone)]
pub struct UrlRequest {
    /// `PUT` for the upload, `GET` for the report.
    pub method: UrlMethod,
    /// The absolute pre-signed URL, as the API gave it.
    pub url: String,
    /// The body (the CSV for an upload; empty for a download), sent as `text/csv`.
    pub body: bytes::Bytes,
    /// Client-side timeout for this attempt.
    pub timeout: Duration,
}

/// The method of a [`UrlRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlMethod {
    Put,
    Get,
}

/// Sends one request and returns the response. Implementations must be cheap to share across tasks.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError>;

    /// Send a request to a pre-signed URL (the bulk import's upload and report). Transports
    /// that cannot reach such URLs keep this default, and the sync's bulk path then fails its
    /// upload (the job is redone, then its rows go as batches).
    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        let _ = request;
        Err(TransportError::Other(
            "this transport does not send to pre-signed URLs".into(),
        ))
    }
}

/// The path and query of an absolute URL (`http://host:1/a?b` -> `/a?b`), for transports that
/// hand a pre-signed URL to an in-process server.
pub fn path_and_query(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}
