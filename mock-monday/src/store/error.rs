//! Application errors of the store (HTTP 200 with a GraphQL error, docs/monday-api.md §1.4 and 1.7).

use serde_json::{json, Value};

use crate::columns::ColumnValueError;

/// An application-level error; each becomes one GraphQL error with `extensions.code`,
/// `extensions.status_code` (200) and `extensions.error_data`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("Board not found")]
    InvalidBoardId { board_id: String },
    #[error("This column ID doesn't exist for the board")]
    InvalidColumnId { column_id: String, board_id: String },
    #[error("Item not found")]
    ItemNotFound { item_id: String },
    #[error("Group not found")]
    GroupNotFound { group_id: String, board_id: String },
    #[error("Item name must be between 1 and 255 characters long")]
    ItemNameTooLong { length: usize },
    #[error("Maximum number of items on the board reached ({limit})")]
    ItemsLimitation { board_id: String, limit: usize },
    #[error(transparent)]
    ColumnValue(#[from] ColumnValueError),
    #[error("{message}")]
    InvalidArgument { message: String, data: Value },
    #[error("{0}")]
    Cursor(String),
    /// A page cursor older than 60 minutes (code and message: the simulator's choice).
    #[error("CursorExpiredError: The cursor provided for pagination has expired. Please refresh your query and obtain a new cursor to continue fetching items")]
    CursorExpired,
    /// `backfill_items` by a user who is not an account admin (message from the bulk-import
    /// guide's troubleshooting; the code is the simulator's choice).
    #[error("Only admin users can perform this operation.")]
    AdminOnly,
    /// More than 100 successful job starts in the hour (IngestRef: `RATE_LIMIT_EXCEEDED`,
    /// HTTP 429, `extensions.retryAfterMs`).
    #[error("Rate limit exceeded: at most 100 ingest_items and backfill_items jobs may start per account per hour")]
    JobStartsExceeded { retry_after_ms: u64 },
    /// `fetch_job_status` of an unknown job id (undocumented; the simulator's choice).
    #[error("Job not found")]
    JobNotFound { job_id: String },
    /// A field of the schema the simulator has no resolver for (full `--schema` SDL).
    #[error("Field '{field}' on type '{type_name}' is not served by the simulator")]
    NotServed { type_name: String, field: String },
}

impl ApiError {
    /// `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidBoardId { .. } => "InvalidBoardIdException",
            Self::InvalidColumnId { .. } => "InvalidColumnIdException",
            Self::ItemNotFound { .. } => "ResourceNotFoundException",
            Self::GroupNotFound { .. } => "InvalidGroupIdException",
            Self::ItemNameTooLong { .. } => "ItemNameTooLongException",
            Self::ItemsLimitation { .. } => "ItemsLimitationException",
            Self::ColumnValue(_) => "ColumnValueException",
            Self::InvalidArgument { .. } => "InvalidArgumentException",
            Self::Cursor(_) => "CursorException",
            Self::CursorExpired => "CursorExpiredError",
            Self::NotServed { .. } => "FIELD_NOT_SERVED",
            Self::AdminOnly => "USER_UNAUTHORIZED",
            Self::JobStartsExceeded { .. } => "RATE_LIMIT_EXCEEDED",
            Self::JobNotFound { .. } => "ResourceNotFoundException",
        }
    }

    /// `extensions.error_data`.
    pub fn error_data(&self) -> Value {
        match self {
            Self::InvalidBoardId { board_id } => json!({"board_id": board_id}),
            Self::InvalidColumnId {
                column_id,
                board_id,
            } => json!({"column_id": column_id, "board_id": board_id}),
            Self::ItemNotFound { item_id } => json!({"item_id": item_id}),
            Self::GroupNotFound { group_id, board_id } => {
                json!({"group_id": group_id, "board_id": board_id})
            }
            Self::ItemNameTooLong { length } => json!({"item_name_length": length}),
            Self::ItemsLimitation { board_id, limit } => {
                json!({"board_id": board_id, "limit": limit})
            }
            Self::ColumnValue(e) => {
                json!({"column_value": e.column_value, "column_type": e.column_type})
            }
            Self::InvalidArgument { data, .. } => data.clone(),
            Self::Cursor(_) | Self::CursorExpired => json!({}),
            Self::NotServed { type_name, field } => {
                json!({"type_name": type_name, "field_name": field})
            }
            Self::AdminOnly => json!({}),
            Self::JobStartsExceeded { retry_after_ms } => json!({"retryAfterMs": retry_after_ms}),
            Self::JobNotFound { job_id } => json!({"job_id": job_id}),
        }
    }

    /// `extensions` of the GraphQL error.
    pub fn extensions(&self) -> Value {
        if let Self::JobStartsExceeded { retry_after_ms } = self {
            return json!({
                "code": self.code(),
                "status_code": 429,
                "retryAfterMs": retry_after_ms,
            });
        }
        json!({
            "code": self.code(),
            "status_code": 200,
            "error_data": self.error_data(),
        })
    }

    /// The HTTP status the whole response takes when this error occurs (429 for the job-start
    /// limit; 200 for every other application error).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::JobStartsExceeded { .. } => 429,
            _ => 200,
        }
    }

    /// Shorthand for an [`ApiError::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>, data: Value) -> Self {
        Self::InvalidArgument {
            message: message.into(),
            data,
        }
    }
}
