//! Reading the target board (columns and groups) and checking the column mapping against it.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::api::client::ApiClient;
use crate::api::payload::query_body;
use crate::error::{ConfigError, SyncError};
use crate::mapping::config::{ColumnKind, SyncConfig};
use crate::observer::RequestKind;

/// A column as the board reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardColumn {
    pub id: String,
    pub title: String,
    pub column_type: String,
    /// Status/dropdown labels from the column's `settings`; `None` when not known (other types,
    /// or settings not served).
    pub labels: Option<Vec<String>>,
}

/// The board's structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardInfo {
    pub id: String,
    pub name: String,
    pub columns: Vec<BoardColumn>,
    /// Group title -> group id (first group with that title).
    pub groups_by_title: HashMap<String, String>,
    pub group_ids: Vec<String>,
    /// Items on the board (`items_count`), when the API served it.
    pub items_count: Option<u64>,
    /// The most items the board can hold (`items_limit`, "The maximum number of items this
    /// board can have" in the schema), when the API served it.
    pub items_limit: Option<u64>,
}

/// One mapping problem found by [`check_mapping`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingProblem {
    pub key: String,
    pub line: Option<usize>,
    pub message: String,
}

const BOARD_QUERY: &str = "query ($b: [ID!]) { boards(ids: $b) { id name items_count items_limit columns { id title type settings } groups { id title } } }";
/// For API versions that do not serve `Column.settings` (labels then stay unknown).
const BOARD_QUERY_NO_SETTINGS: &str = "query ($b: [ID!]) { boards(ids: $b) { id name columns { id title type } groups { id title } } }";

/// Read the board once: columns (with the labels of status/dropdown columns) and groups.
pub(crate) async fn read_board(client: &ApiClient, board_id: &str) -> Result<BoardInfo, SyncError> {
    let mut vars = Map::new();
    vars.insert("b".into(), json!([board_id]));
    let data = match client
        .read(
            query_body(BOARD_QUERY, vars.clone()),
            RequestKind::BoardRead,
            u64::MAX,
        )
        .await
    {
        // Older API versions do not serve `Column.settings`: the query is rejected (by code,
        // whatever the wording); read again without it (labels then stay unknown).
        Err(SyncError::Rejected { code, .. }) => {
            tracing::debug!(%code, "board read without column settings");
            client
                .read(
                    query_body(BOARD_QUERY_NO_SETTINGS, vars),
                    RequestKind::BoardRead,
                    u64::MAX - 1,
                )
                .await?
        }
        other => other?,
    };
    let board = data
        .get("boards")
        .and_then(Value::as_array)
        .and_then(|b| b.first())
        .filter(|b| b.is_object())
        .ok_or_else(|| SyncError::BoardNotFound {
            board_id: board_id.to_string(),
        })?;
    Ok(parse_board(board))
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Read `cfg`'s board through `transport` with `token`: one read, no writes (the `check` command).
pub async fn fetch_board(
    cfg: &SyncConfig,
    transport: std::sync::Arc<dyn crate::transport::Transport>,
    token: String,
) -> Result<BoardInfo, SyncError> {
    let client = ApiClient::new(
        transport,
        token,
        cfg.api.version.clone(),
        std::time::Duration::from_millis(cfg.sync.request_timeout_ms),
        cfg.sync.max_retries,
        cfg.sync.seed,
        None,
    )
    .with_board(cfg.board.id.clone());
    read_board(&client, &cfg.board.id).await
}

/// Parse one `boards[]` entry.
pub(crate) fn parse_board(board: &Value) -> BoardInfo {
    let mut info = BoardInfo {
        id: s(board, "id"),
        name: s(board, "name"),
        items_count: board.get("items_count").and_then(Value::as_u64),
        items_limit: board.get("items_limit").and_then(Value::as_u64),
        ..Default::default()
    };
    for c in board
        .get("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let column_type = s(c, "type");
        let labels = if matches!(column_type.as_str(), "status" | "color" | "dropdown") {
            c.get("settings")
                .or_else(|| c.get("settings_str"))
                .and_then(settings_labels)
        } else {
            None
        };
        info.columns.push(BoardColumn {
            id: s(c, "id"),
            title: s(c, "title"),
            column_type,
            labels,
        });
    }
    for g in board
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (id, title) = (s(g, "id"), s(g, "title"));
        info.group_ids.push(id.clone());
        info.groups_by_title.entry(title).or_insert(id);
    }
    info
}

/// Labels in a column's `settings` (an object, or a JSON string of one): status
/// `{"labels": {"0": "New", ...}}`, dropdown `{"labels": [{"id": 1, "name": "XS"}, ...]}`, or
/// arrays of `{"label": ...}` / plain strings.
fn settings_labels(settings: &Value) -> Option<Vec<String>> {
    let parsed;
    let settings = match settings {
        Value::String(t) => {
            parsed = serde_json::from_str::<Value>(t).ok()?;
            &parsed
        }
        v => v,
    };
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => ["name", "label", "title"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str))
                .map(str::to_string),
            _ => None,
        }
    };
    match settings.get("labels")? {
        Value::Object(m) => Some(m.values().filter_map(text).collect()),
        Value::Array(a) => Some(a.iter().filter_map(text).collect()),
        _ => None,
    }
}

impl BoardInfo {
    /// Column id -> labels, for the status/dropdown columns whose labels are known.
    pub fn labels_by_column(&self) -> HashMap<String, Vec<String>> {
        self.columns
            .iter()
            .filter_map(|c| c.labels.clone().map(|l| (c.id.clone(), l)))
            .collect()
    }
}

/// Column types `ingest_items` can match on (`on_match.match_column_id`; docs/monday-bulk-import.md
/// §3, https://developer.monday.com/api-reference/reference/ingest-items-api-reference).
pub const MATCH_COLUMN_TYPES: &[&str] = &[
    "email",
    "phone",
    "text",
    "name",
    "numbers",
    "link",
    "date",
    "long_text",
    "status",
];

/// Why this config cannot use the bulk import path on this board, or `None` when it can: the
/// API version predates it (docs/monday-bulk-import.md §1.0), or the key column's type cannot be
/// a match column (§3). `monday-sync check` prints it; `mode = "auto"` then batches.
pub fn bulk_import_unavailable(cfg: &SyncConfig, board: &BoardInfo) -> Option<String> {
    use crate::mapping::config::{version_before_bulk_import, BULK_IMPORT_MIN_VERSION};
    if version_before_bulk_import(&cfg.api.version) == Some(true) {
        return Some(format!(
            "API version {} has no bulk import (it needs {BULK_IMPORT_MIN_VERSION} or later)",
            cfg.api.version
        ));
    }
    let key = &cfg.board.key_column;
    match board.columns.iter().find(|c| &c.id == key) {
        Some(c) if MATCH_COLUMN_TYPES.contains(&c.column_type.as_str()) => None,
        Some(c) => Some(format!(
            "the key column `{key}` is of type {}, which a bulk import cannot match on (it can match {})",
            c.column_type,
            MATCH_COLUMN_TYPES.join(", ")
        )),
        None => Some(format!("the key column `{key}` is not on the board")),
    }
}

/// Every mapped column (and the key column) must exist with the right type; a fixed group must exist.
pub fn check_mapping(cfg: &SyncConfig, board: &BoardInfo) -> Vec<MappingProblem> {
    let by_id: HashMap<&str, &BoardColumn> =
        board.columns.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut problems = vec![];
    let available = || {
        board
            .columns
            .iter()
            .map(|c| format!("{} ({})", c.id, c.column_type))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut check = |key: String, line: Option<usize>, id: &str, kind: ColumnKind| {
        match by_id.get(id) {
        None => problems.push(MappingProblem {
            key,
            line,
            message: format!("column `{id}` does not exist on board {}; fix the column id (columns: {})", board.id, available()),
        }),
        Some(c) if c.column_type != kind.board_type() => problems.push(MappingProblem {
            key,
            line,
            message: format!(
                "column `{id}` is of type `{}` on the board but mapped as `{}`; set type = \"{}\" or map another column",
                c.column_type,
                kind.board_type(),
                c.column_type
            ),
        }),
        Some(_) => {}
    }
    };
    check(
        "board.key_column".into(),
        None,
        &cfg.board.key_column,
        ColumnKind::Text,
    );
    for (i, c) in cfg.columns.iter().enumerate() {
        check(
            format!("columns[{i}].column_id"),
            c.line,
            &c.column_id,
            c.kind,
        );
    }
    if let Some(g) = &cfg.board.group_id {
        if !board.group_ids.iter().any(|x| x == g) {
            problems.push(MappingProblem {
                key: "board.group_id".into(),
                line: None,
                message: format!(
                    "group `{g}` does not exist on board {} (groups: {})",
                    board.id,
                    board.group_ids.join(", ")
                ),
            });
        }
    }
    problems
}

/// The first problem as a [`ConfigError`] (the message lists how many more there are).
pub(crate) fn problems_to_error(origin: &str, problems: &[MappingProblem]) -> Option<ConfigError> {
    let first = problems.first()?;
    let more = if problems.len() > 1 {
        format!(
            " (and {} more problem(s); run `monday-sync check`)",
            problems.len() - 1
        )
    } else {
        String::new()
    };
    Some(ConfigError {
        origin: origin.to_string(),
        line: first.line,
        column: None,
        key: Some(first.key.clone()),
        message: format!("{}{more}", first.message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_problems_are_named() {
        let cfg = SyncConfig::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/order_list.toml"
        ))
        .unwrap();
        let board = parse_board(&json!({"id":"1","name":"B","columns":[
            {"id":"text_order_key","title":"K","type":"text"},
            {"id":"text_customer","title":"C","type":"long_text"}],
            "groups":[{"id":"topics","title":"Orders"}]}));
        assert_eq!(board.groups_by_title["Orders"], "topics");
        let p = check_mapping(&cfg, &board);
        assert_eq!(p.len(), cfg.columns.len());
        assert_eq!(p[0].key, "columns[0].column_id");
        assert!(p[0].message.contains("type `long_text`"));
        assert!(p[1].message.contains("does not exist"));
        let e = problems_to_error("c.toml", &p).unwrap();
        assert!(e.to_string().starts_with("c.toml:"), "{e}");
    }
}
