//! Application errors of the store (HTTP 200 with a GraphQL error, api-facts.md 1.4 and 1.7).

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
        }
    }

    /// `extensions` of the GraphQL error.
    pub fn extensions(&self) -> Value {
        json!({
            "code": self.code(),
            "status_code": 200,
            "error_data": self.error_data(),
        })
    }

    /// Shorthand for an [`ApiError::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>, data: Value) -> Self {
        Self::InvalidArgument {
            message: message.into(),
            data,
        }
    }
}
