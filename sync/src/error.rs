//! Typed errors of the sync library. The binary maps them to exit codes (see [`SyncError::exit_code`]).

use std::path::PathBuf;

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
    /// The API refused our credentials (exit 3).
    #[error("the API refused the token ({status}): {message}")]
    Auth { status: u16, message: String },
    /// The board does not exist or is not visible to the token (exit 3).
    #[error("board {0} not found or not accessible")]
    BoardNotFound(String),
    /// Any other fatal API condition (exit 3): retries exhausted on a read, malformed responses...
    #[error("fatal API condition: {0}")]
    Api(String),
    /// The state store failed (exit 3: we cannot guarantee exactly-once without it).
    #[error("state store {path}: {message}")]
    State { path: String, message: String },
    /// Writing reports failed.
    #[error("report {path}: {message}")]
    Report { path: PathBuf, message: String },
}

impl SyncError {
    /// The process exit code for this error (design.md: 2 bad config or input, 3 fatal API condition).
    pub fn exit_code(&self) -> i32 {
        match self {
            SyncError::Config(_) | SyncError::Input { .. } | SyncError::MissingToken { .. } => 2,
            SyncError::Auth { .. }
            | SyncError::BoardNotFound(_)
            | SyncError::Api(_)
            | SyncError::State { .. }
            | SyncError::Report { .. } => 3,
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

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::State {
            path: String::new(),
            message: e.to_string(),
        }
    }
}
