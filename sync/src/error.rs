//! Typed errors of the sync library. The binary maps them to exit codes (see [`SyncError::exit_code`]).

use std::path::PathBuf;

use crate::observer::RequestKind;
use crate::transport::TransportError;

/// A configuration problem: which file, where, and why.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{origin}{}: {message}", location(*line, *column, key.as_deref()))]
pub struct ConfigError {
    /// File name (or `<string>` origin) the config came from.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path, e.g. `columns[3].column_id`, when known.
    pub key: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn location(line: Option<usize>, column: Option<usize>, key: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(l) = line {
        out.push_str(&format!(":{l}"));
        if let Some(c) = column {
            out.push_str(&format!(":{c}"));
        }
    }
    if let Some(k) = key {
        out.push_str(&format!(" (key `{k}`)"));
    }
    out
}

impl ConfigError {
    /// An error about a key, without a line number.
    pub fn key(origin: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            origin: origin.to_string(),
            line: None,
            column: None,
            key: Some(key.into()),
            message: message.into(),
        }
    }
}

/// Where a state-store failure came from (kept as the error's source).
#[derive(Debug, thiserror::Error)]
pub enum StateSource {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Bad configuration (exit 2).
    #[error("config error: {0}")]
    Config(ConfigError),
    /// The input cannot be opened or read at all (exit 2). Per-record problems are not errors.
    #[error("input {path}: {message}")]
    Input { path: PathBuf, message: String },
    /// The API token environment variable is missing (exit 2).
    #[error("the API token is missing: set the environment variable `{var}` (named by `api.token_env` in {origin}), or point `api.token_env` at the variable that holds it")]
    MissingToken { var: String, origin: String },
    /// The API URL is not usable (exit 3, as before: it is found when the transport is built).
    #[error("bad API URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    /// The HTTP client could not be built (exit 3).
    #[error("cannot build the HTTP client")]
    HttpClient {
        #[source]
        source: reqwest::Error,
    },
    /// The API refused our credentials (exit 3).
    #[error(
        "the API refused the token (HTTP {status}{}): {message}",
        code_suffix(code)
    )]
    Auth {
        status: u16,
        /// The API's error code (`USER_UNAUTHORIZED`, ...), when it sent one.
        code: Option<String>,
        message: String,
    },
    /// The board does not exist or is not visible to the token (exit 3).
    #[error("board {board_id} not found or not accessible")]
    BoardNotFound { board_id: String },
    /// An account-level limit stops every request (daily call limit...) (exit 3).
    #[error("the account cannot make more requests ({code}): {message}")]
    AccountLimit { code: String, message: String },
    /// The API refused a request the run needs (a read, a group) for a reason that will not
    /// change: `code` is the API's error code (exit 3).
    #[error("{kind:?} request rejected ({code}): {message}")]
    Rejected {
        kind: RequestKind,
        code: String,
        message: String,
    },
    /// A request the run needs (a read, a group) got no usable answer within the retry and
    /// wait budgets (exit 3).
    #[error("{kind:?} request failed after {attempts} attempts: {last}")]
    RetriesExhausted {
        kind: RequestKind,
        attempts: u32,
        last: AttemptProblem,
    },
    /// The transport cannot send at all (bad URL scheme, TLS...) (exit 3).
    #[error("transport failure")]
    Transport {
        #[source]
        source: TransportError,
    },
    /// Reconciliation paged further than any board can hold (exit 3).
    #[error("reconciliation paged more than {pages} times; giving up")]
    TooManyPages { pages: u64 },
    /// A sender task panicked or was cancelled (exit 3).
    #[error("a sender task failed")]
    Task {
        #[source]
        source: tokio::task::JoinError,
    },
    /// The state store failed (exit 3: we cannot guarantee exactly-once without it).
    #[error("state store {path}")]
    State {
        path: String,
        #[source]
        source: StateSource,
    },
    /// Writing reports failed.
    #[error("report {path}: {message}")]
    Report { path: PathBuf, message: String },
}

/// The last thing that went wrong with a request whose retries ran out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptProblem {
    #[error("HTTP {status}")]
    Status { status: u16 },
    #[error("throttled ({code})")]
    Throttled { code: String },
    #[error("{0}")]
    Transport(TransportError),
    #[error("transient error {code}")]
    Transient { code: String },
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_deref()
        .map(|c| format!(", {c}"))
        .unwrap_or_default()
}

impl SyncError {
    /// The process exit code for this error (docs/architecture.md: 2 bad config or input, 3 fatal API condition).
    pub fn exit_code(&self) -> i32 {
        match self {
            SyncError::Config(_) | SyncError::Input { .. } | SyncError::MissingToken { .. } => 2,
            SyncError::BadUrl { .. }
            | SyncError::HttpClient { .. }
            | SyncError::Auth { .. }
            | SyncError::BoardNotFound { .. }
            | SyncError::AccountLimit { .. }
            | SyncError::Rejected { .. }
            | SyncError::RetriesExhausted { .. }
            | SyncError::Transport { .. }
            | SyncError::TooManyPages { .. }
            | SyncError::Task { .. }
            | SyncError::State { .. }
            | SyncError::Report { .. } => 3,
        }
    }

    /// A state-store error for `path`, keeping the cause as the source.
    pub fn state(path: impl Into<String>, source: impl Into<StateSource>) -> Self {
        SyncError::State {
            path: path.into(),
            source: source.into(),
        }
    }
}

// Not `#[from]`: that would also make the ConfigError the error's `source`, and error chains
// (`{:#}`) would print the same message twice.
impl From<ConfigError> for SyncError {
    fn from(e: ConfigError) -> Self {
        SyncError::Config(e)
    }
}
