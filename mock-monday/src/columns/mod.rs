//! Column types of a board, their write formats (docs/monday-api.md §5.2) and what a board shows
//! on read (`text`, `value` and the typed fields of `... on StatusValue { label }` etc.).
//!
//! - [`write`]: JSON and simple-string write formats, validated into a [`CellValue`].
//! - [`read`]: `text`, the stored `value` JSON and typed read fields.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub mod read;
pub mod write;

/// The column types the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Name,
    Text,
    LongText,
    Numbers,
    Status,
    Dropdown,
    Date,
    Email,
    Phone,
    Link,
    Checkbox,
    Timeline,
    Subtasks,
}

impl ColumnKind {
    /// The `ColumnType` enum value (`Column.type`, `ColumnValue.type`).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Text => "text",
            Self::LongText => "long_text",
            Self::Numbers => "numbers",
            Self::Status => "status",
            Self::Dropdown => "dropdown",
            Self::Date => "date",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Link => "link",
            Self::Checkbox => "checkbox",
            Self::Timeline => "timeline",
            Self::Subtasks => "subtasks",
        }
    }

    /// monday.com's internal type name, as in `ColumnValueException.error_data.column_type`
    /// (plain names since 2025-04: status is `color`).
    pub fn internal_type(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Text => "text",
            Self::LongText => "long-text",
            Self::Numbers => "numeric",
            Self::Status => "color",
            Self::Dropdown => "dropdown",
            Self::Date => "date",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Link => "link",
            Self::Checkbox => "boolean",
            Self::Timeline => "timerange",
            Self::Subtasks => "subtasks",
        }
    }

    /// The GraphQL object type implementing `ColumnValue` for this column type.
    pub fn value_type_name(self) -> &'static str {
        match self {
            Self::Name | Self::Text => "TextValue",
            Self::LongText => "LongTextValue",
            Self::Numbers => "NumbersValue",
            Self::Status => "StatusValue",
            Self::Dropdown => "DropdownValue",
            Self::Date => "DateValue",
            Self::Email => "EmailValue",
            Self::Phone => "PhoneValue",
            Self::Link => "LinkValue",
            Self::Checkbox => "CheckboxValue",
            Self::Timeline => "TimelineValue",
            Self::Subtasks => "SubtasksValue",
        }
    }

    /// Parses a `ColumnType` name (`"status"`, `"long_text"` ...).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "name" => Self::Name,
            "text" => Self::Text,
            "long_text" => Self::LongText,
            "numbers" => Self::Numbers,
            "status" | "color" => Self::Status,
            "dropdown" => Self::Dropdown,
            "date" => Self::Date,
            "email" => Self::Email,
            "phone" => Self::Phone,
            "link" => Self::Link,
            "checkbox" => Self::Checkbox,
            "timeline" => Self::Timeline,
            "subtasks" => Self::Subtasks,
            _ => return None,
        })
    }

    /// Status and dropdown columns carry labels.
    pub fn has_labels(self) -> bool {
        matches!(self, Self::Status | Self::Dropdown)
    }
}

/// Labels a status column holds at most. monday.com gives status labels a fixed set of indexes
/// (https://community.monday.com/t/status-column-labels/82505); the API docs give no number, so
/// the simulator picks 40 (what the board UI offers). Adding a 41st label is refused, by
/// `update_status_column` and by `create_labels_if_missing` alike. Dropdown columns have no
/// limit here (none documented).
pub const MAX_STATUS_LABELS: usize = 40;

/// One column of a board.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub id: String,
    pub title: String,
    pub kind: ColumnKind,
    /// Status: index -> label; dropdown: id -> label. Empty for other types.
    pub labels: BTreeMap<u32, String>,
    /// Subtasks column: the board holding the subitems.
    pub subitems_board: Option<String>,
    /// `Column.revision` (starts at 1; `update_status_column` / `update_dropdown_column` bump
    /// it and refuse a stale one).
    pub revision: u64,
    /// Status label colours set by `update_status_column` (by index; others by index order).
    pub label_colors: BTreeMap<u32, String>,
}

/// Colours monday.com uses for status labels, picked by index (deterministic).
const LABEL_COLORS: &[&str] = &[
    "#fdab3d", "#00c875", "#e2445c", "#0086c0", "#a25ddc", "#037f4c", "#579bfc", "#9aadbd",
    "#ff642e", "#ffcb00", "#784bd1", "#bb3354",
];

impl ColumnDef {
    /// A column without labels.
    pub fn new(id: &str, title: &str, kind: ColumnKind) -> Self {
        Self {
            id: id.to_string(),
            title: title.to_string(),
            kind,
            labels: BTreeMap::new(),
            subitems_board: None,
            revision: 1,
            label_colors: BTreeMap::new(),
        }
    }

    /// A status or dropdown column with labels.
    pub fn with_labels(mut self, labels: &[(u32, &str)]) -> Self {
        self.labels = labels.iter().map(|(i, l)| (*i, (*l).to_string())).collect();
        self
    }

    /// Finds a label by text: exact match first, then case-insensitive.
    pub fn find_label(&self, label: &str) -> Option<u32> {
        let label = label.trim();
        self.labels
            .iter()
            .find(|(_, l)| l.as_str() == label)
            .or_else(|| {
                self.labels
                    .iter()
                    .find(|(_, l)| l.to_lowercase() == label.to_lowercase())
            })
            .map(|(i, _)| *i)
    }

    /// The next free label index/id (status: smallest unused from 0; dropdown: max + 1).
    pub fn next_label_id(&self, pending: &[(u32, String)]) -> u32 {
        let used = |i: u32| self.labels.contains_key(&i) || pending.iter().any(|(p, _)| *p == i);
        match self.kind {
            ColumnKind::Status => (0..).find(|i| !used(*i)).unwrap_or(u32::MAX),
            _ => {
                let max_existing = self.labels.keys().copied().max().unwrap_or(0);
                let max_pending = pending.iter().map(|(i, _)| *i).max().unwrap_or(0);
                max_existing.max(max_pending).saturating_add(1)
            }
        }
    }

    /// Colour of a status label.
    pub fn label_color(index: u32) -> &'static str {
        LABEL_COLORS[index as usize % LABEL_COLORS.len()]
    }

    /// `Column.settings` (JSON object) as monday.com shapes it per type.
    pub fn settings(&self) -> Value {
        match self.kind {
            ColumnKind::Status => {
                let labels: serde_json::Map<String, Value> = self
                    .labels
                    .iter()
                    .map(|(i, l)| (i.to_string(), Value::String(l.clone())))
                    .collect();
                let colors: serde_json::Map<String, Value> = self
                    .labels
                    .keys()
                    .map(|i| {
                        let c = self
                            .label_colors
                            .get(i)
                            .map_or(Self::label_color(*i), String::as_str);
                        (i.to_string(), json!({"color": c, "border": c}))
                    })
                    .collect();
                json!({"labels": labels, "labels_colors": colors})
            }
            ColumnKind::Dropdown => {
                let labels: Vec<Value> = self
                    .labels
                    .iter()
                    .map(|(i, l)| json!({"id": i, "name": l}))
                    .collect();
                json!({"labels": labels})
            }
            ColumnKind::Subtasks => {
                let ids: Vec<Value> = self
                    .subitems_board
                    .iter()
                    .map(|b| b.parse::<u64>().map(Value::from).unwrap_or(json!(b)))
                    .collect();
                json!({"allowMultipleItems": true, "itemTypeName": "item", "displayType": "BOARD_INLINE", "boardIds": ids})
            }
            _ => json!({}),
        }
    }
}

/// A stored (non-empty) column value.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    Text(String),
    LongText(String),
    /// The number as given (trimmed), e.g. `"42.5"`.
    Number(String),
    /// Status label index.
    Status(u32),
    /// Dropdown label ids, in the order written.
    Dropdown(Vec<u32>),
    /// `date` is `YYYY-MM-DD`, `time` `HH:MM:SS`.
    Date {
        date: String,
        time: Option<String>,
    },
    Email {
        email: String,
        text: String,
    },
    Phone {
        phone: String,
        country: String,
    },
    Link {
        url: String,
        text: String,
    },
    /// Only checked boxes are stored (unchecked = empty).
    Checkbox,
    Timeline {
        from: String,
        to: String,
    },
}

/// A column value plus when it last changed (simulated time since start).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: CellValue,
    pub changed_at: Duration,
}

/// An invalid column value (`ColumnValueException`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ColumnValueError {
    pub message: String,
    /// The value as sent (JSON text for objects).
    pub column_value: String,
    /// [`ColumnKind::internal_type`].
    pub column_type: &'static str,
}

/// The generic message of `ColumnValueException`.
pub const INVALID_VALUE_MESSAGE: &str = "invalid value, please check our API documentation for the correct data structure for this column. https://developer.monday.com/api-reference/docs/change-column-values";

/// The documented message for an unknown status label (docs/monday-api.md §5.3).
pub const MISSING_LABEL_MESSAGE: &str = "invalid value - label does not exist in column. Please check our API documentation for the correct data structure for this column. https://developer.monday.com/api-reference/docs/change-column-values";

/// `change_simple_column_value` on a column type without a simple-string form (checkbox per the
/// developer.monday.com checkbox reference; the wording is the simulator's).
pub const SIMPLE_NOT_SUPPORTED_MESSAGE: &str = "invalid value - this column type does not support simple string values, use change_column_value or change_multiple_column_values with JSON. https://developer.monday.com/api-reference/docs/change-column-values";
