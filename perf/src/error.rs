//! Typed errors of the harness library. The binary wraps them with `anyhow` at the edge.

use std::path::PathBuf;

/// Everything that can go wrong in `monday_perf`.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing to an in-memory or already-open writer failed.
    #[error("write failed: {0}")]
    Write(#[from] std::io::Error),
    /// JSON (de)serialisation failed.
    #[error("{context}: {source}")]
    Json {
        context: String,
        #[source]
        source: serde_json::Error,
    },
    /// A command-line or scenario setting is invalid.
    #[error("invalid setting: {0}")]
    Usage(String),
    /// The simulator could not be set up (bad settings, the HTTP face could not bind).
    #[error("simulator setup failed")]
    Simulator(#[from] mock_monday::SetupError),
    /// The standalone simulator server (foreign-client runs) could not bind or serve.
    #[error("simulator server failed")]
    Serve(#[from] mock_monday::server::ServeError),
    /// A foreign client (`run --client-cmd`) exited non-zero or was killed at its time limit.
    #[error("client {command:?} failed (exit {exit_code:?}, timed out {timed_out}); last lines:\n{last_lines}")]
    ClientFailed {
        command: String,
        exit_code: Option<i32>,
        timed_out: bool,
        last_lines: String,
    },
    /// A run crossed one of its limits (wall clock, API time, requests) and was stopped; the
    /// message is the diagnosis.
    #[error("{0}")]
    Stopped(Box<crate::limits::Stopped>),
    /// The sync engine could not run (config error, fatal API condition, ...).
    #[error("sync failed")]
    Sync(#[from] monday_sync::SyncError),
    /// Building a histogram or its serialisation failed.
    #[error("histogram: {0}")]
    Histogram(String),
    /// Drawing a chart failed.
    #[error("chart {chart}: {message}")]
    Chart {
        chart: &'static str,
        message: String,
    },
}

impl PerfError {
    /// An I/O error on `path` while doing `action` ("read", "write", "create").
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A JSON error with a human context ("parse baseline perf/baselines/ci.json").
    pub fn json(context: impl Into<String>, source: serde_json::Error) -> Self {
        Self::Json {
            context: context.into(),
            source,
        }
    }
}

/// Result alias for the library.
pub type Result<T, E = PerfError> = std::result::Result<T, E>;
