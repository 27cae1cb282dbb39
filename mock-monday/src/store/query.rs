//! Item selection for `items_page(query_params)` and `items_page_by_column_values`.
//!
//! `query_params` support: `ids`, `rules` (operators any_of, not_any_of, is_empty,
//! is_not_empty, contains_text, not_contains_text, contains_terms, starts_with, ends_with,
//! greater_than(_or_equals), lower_than(_or_equal), between), nested `groups`, `operator`
//! (and/or) and `order_by` (`__creation_log__`, `__last_updated__` or a column).
//! Status rules compare label indexes (or label text), dropdown rules label ids (or text), other
//! columns the case-insensitive `text`.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{ApiError, Board, Item, ItemState, Store};
use crate::columns::{read, CellValue, ColumnDef, ColumnKind};

/// Which items of a board (or group) a page walks over; part of the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Filter {
    /// Every active item.
    All,
    /// `items_page(query_params: ...)` as sent.
    Params(Value),
    /// `items_page_by_column_values(columns: ...)`: (column id, any of these values).
    Columns(Vec<(String, Vec<String>)>),
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn as_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) => vec![other.clone()],
    }
}

fn compare_loose(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

impl Store {
    /// Active items of a board (optionally one group) that pass `filter`, in page order.
    pub(crate) fn select_items(
        &self,
        board_idx: usize,
        group: Option<&str>,
        filter: &Filter,
    ) -> Result<Vec<u64>, ApiError> {
        let Some(board) = self.boards.get(board_idx) else {
            return Ok(Vec::new());
        };
        let mut items: Vec<&Item> = board
            .items
            .iter()
            .filter_map(|id| self.items.get(id))
            .filter(|it| it.state == ItemState::Active)
            .filter(|it| group.is_none_or(|g| it.group == g))
            .collect();
        match filter {
            Filter::All => {}
            Filter::Params(params) => {
                let params = params.as_object().cloned().unwrap_or_default();
                if let Some((col_id, wanted)) = single_any_of(board, &params)? {
                    // One `any_of` rule on a column compared by text: the same test as
                    // `eval_rule`, with the values lower-cased once instead of once per item
                    // (a key lookup asks for 100 keys on boards of tens of thousands of items).
                    let mut kept = Vec::with_capacity(items.len());
                    for it in items {
                        if wanted.contains(&lower(cell_text(board, it, &col_id)?.trim())) {
                            kept.push(it);
                        }
                    }
                    return Ok(kept.into_iter().map(|it| it.id).collect());
                }
                let ids: Vec<String> = as_list(params.get("ids")).iter().map(value_text).collect();
                let mut kept = Vec::with_capacity(items.len());
                for it in items {
                    if !ids.is_empty() && !ids.contains(&it.id.to_string()) {
                        continue;
                    }
                    if self.eval_group(board, it, &params)? {
                        kept.push(it);
                    }
                }
                items = kept;
                self.order(board, &mut items, &as_list(params.get("order_by")))?;
            }
            Filter::Columns(columns) => {
                let mut kept = Vec::with_capacity(items.len());
                'items: for it in items {
                    for (col_id, values) in columns {
                        let text = search_text(board, it, col_id)?;
                        if !values.iter().any(|v| lower(v.trim()) == text) {
                            continue 'items;
                        }
                    }
                    kept.push(it);
                }
                items = kept;
            }
        }
        Ok(items.into_iter().map(|it| it.id).collect())
    }

    fn eval_group(
        &self,
        board: &Board,
        item: &Item,
        group: &Map<String, Value>,
    ) -> Result<bool, ApiError> {
        let or = group.get("operator").and_then(Value::as_str) == Some("or");
        let mut results = Vec::new();
        for rule in as_list(group.get("rules")) {
            let rule = rule.as_object().cloned().unwrap_or_default();
            results.push(eval_rule(board, item, &rule)?);
        }
        for sub in as_list(group.get("groups")) {
            let sub = sub.as_object().cloned().unwrap_or_default();
            results.push(self.eval_group(board, item, &sub)?);
        }
        if results.is_empty() {
            return Ok(true);
        }
        Ok(if or {
            results.iter().any(|r| *r)
        } else {
            results.iter().all(|r| *r)
        })
    }

    fn order(
        &self,
        board: &Board,
        items: &mut [&Item],
        order_by: &[Value],
    ) -> Result<(), ApiError> {
        for spec in order_by.iter().rev() {
            let col = spec.get("column_id").map(value_text).unwrap_or_default();
            let desc = spec.get("direction").and_then(Value::as_str) == Some("desc");
            if col != "__creation_log__"
                && col != "__last_updated__"
                && col != "name"
                && board.column(&col).is_none()
            {
                return Err(unknown_column(board, &col));
            }
            items.sort_by(|a, b| {
                let ord = match col.as_str() {
                    "__creation_log__" => a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)),
                    "__last_updated__" => a.updated_at.cmp(&b.updated_at),
                    _ => {
                        let ta = cell_text(board, a, &col).unwrap_or_default();
                        let tb = cell_text(board, b, &col).unwrap_or_default();
                        compare_loose(&ta, &tb)
                    }
                };
                if desc {
                    ord.reverse()
                } else {
                    ord
                }
            });
        }
        Ok(())
    }
}

fn unknown_column(board: &Board, col: &str) -> ApiError {
    ApiError::InvalidColumnId {
        column_id: col.to_string(),
        board_id: board.id.clone(),
    }
}

/// The `text` of a column of an item (`name` is the item name).
fn cell_text(board: &Board, item: &Item, col_id: &str) -> Result<String, ApiError> {
    if col_id == "name" {
        return Ok(item.name.clone());
    }
    let col = board
        .column(col_id)
        .ok_or_else(|| unknown_column(board, col_id))?;
    Ok(read::text(col, item.cells.get(col_id)))
}

/// What `items_page_by_column_values` compares (lower-cased): the text, the date of a date,
/// the start of a timeline.
fn search_text(board: &Board, item: &Item, col_id: &str) -> Result<String, ApiError> {
    if col_id == "name" {
        return Ok(lower(item.name.trim()));
    }
    let col = board
        .column(col_id)
        .ok_or_else(|| unknown_column(board, col_id))?;
    if col.kind == ColumnKind::Subtasks {
        return Err(ApiError::invalid_argument(
            format!(
                "Column type {} is not supported by items_page_by_column_values",
                col.kind.type_name()
            ),
            json!({"column_id": col_id}),
        ));
    }
    let cell = item.cells.get(col_id);
    let text = match cell.map(|c| &c.value) {
        Some(CellValue::Date { date, .. }) => date.clone(),
        Some(CellValue::Timeline { from, .. }) => from.clone(),
        Some(CellValue::Email { email, .. }) => email.clone(),
        Some(CellValue::Link { url, .. }) => url.clone(),
        _ => read::text(col, cell),
    };
    Ok(lower(text.trim()))
}

/// Whether one rule value matches the cell: label index/ids for status/dropdown, else text.
fn rule_value_matches(col: Option<&ColumnDef>, item: &Item, text: &str, v: &Value) -> bool {
    let wanted = value_text(v);
    if let Some(col) = col {
        let cell = item.cells.get(&col.id).map(|c| &c.value);
        let as_id = wanted.trim().parse::<u32>().ok();
        match (col.kind, cell) {
            (ColumnKind::Status, Some(CellValue::Status(i))) => {
                return as_id == Some(*i)
                    || col
                        .labels
                        .get(i)
                        .is_some_and(|l| lower(l) == lower(&wanted));
            }
            (ColumnKind::Dropdown, Some(CellValue::Dropdown(ids))) => {
                return ids.iter().any(|i| {
                    as_id == Some(*i)
                        || col
                            .labels
                            .get(i)
                            .is_some_and(|l| lower(l) == lower(&wanted))
                });
            }
            (ColumnKind::Status | ColumnKind::Dropdown, None) => return false,
            _ => {}
        }
    }
    lower(text.trim()) == lower(wanted.trim())
}

/// `query_params` that are one `any_of` rule (no `ids`, `groups` or `order_by`) on a column
/// compared by its text (not status or dropdown, which also match label indexes): the column
/// and the lower-cased, trimmed values, so [`Store::select_items`] tests each item with one
/// lookup. Same result as [`eval_rule`] (`rule_value_matches` compares lower-cased trimmed text).
fn single_any_of(
    board: &Board,
    params: &Map<String, Value>,
) -> Result<Option<(String, std::collections::HashSet<String>)>, ApiError> {
    let simple = params.keys().all(|k| k == "rules" || k == "operator");
    let rules = as_list(params.get("rules"));
    let [rule] = rules.as_slice() else {
        return Ok(None);
    };
    let Some(rule) = rule.as_object() else {
        return Ok(None);
    };
    let operator = rule
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or("any_of");
    if !simple || operator != "any_of" {
        return Ok(None);
    }
    let col_id = rule.get("column_id").map(value_text).unwrap_or_default();
    if col_id != "name" {
        let col = board
            .column(&col_id)
            .ok_or_else(|| unknown_column(board, &col_id))?;
        if matches!(col.kind, ColumnKind::Status | ColumnKind::Dropdown) {
            return Ok(None);
        }
    }
    let wanted = as_list(rule.get("compare_value"))
        .iter()
        .map(|v| lower(value_text(v).trim()))
        .collect();
    Ok(Some((col_id, wanted)))
}

fn eval_rule(board: &Board, item: &Item, rule: &Map<String, Value>) -> Result<bool, ApiError> {
    let col_id = rule.get("column_id").map(value_text).unwrap_or_default();
    let col = if col_id == "name" {
        None
    } else {
        Some(
            board
                .column(&col_id)
                .ok_or_else(|| unknown_column(board, &col_id))?,
        )
    };
    let text = cell_text(board, item, &col_id)?;
    let values = as_list(rule.get("compare_value"));
    let operator = rule
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or("any_of");
    let lt = lower(&text);
    let texts: Vec<String> = values.iter().map(|v| lower(&value_text(v))).collect();
    Ok(match operator {
        "any_of" => values
            .iter()
            .any(|v| rule_value_matches(col, item, &text, v)),
        "not_any_of" => !values
            .iter()
            .any(|v| rule_value_matches(col, item, &text, v)),
        "is_empty" => text.is_empty(),
        "is_not_empty" => !text.is_empty(),
        "contains_text" | "contains_terms" => texts.iter().any(|t| lt.contains(t.as_str())),
        "not_contains_text" => !texts.iter().any(|t| lt.contains(t.as_str())),
        "starts_with" => texts.iter().any(|t| lt.starts_with(t.as_str())),
        "ends_with" => texts.iter().any(|t| lt.ends_with(t.as_str())),
        "greater_than" | "greater_than_or_equals" | "lower_than" | "lower_than_or_equal" => {
            let Some(bound) = texts.first() else {
                return Ok(false);
            };
            if text.is_empty() {
                return Ok(false);
            }
            let ord = compare_loose(&lt, bound);
            match operator {
                "greater_than" => ord == Ordering::Greater,
                "greater_than_or_equals" => ord != Ordering::Less,
                "lower_than" => ord == Ordering::Less,
                _ => ord != Ordering::Greater,
            }
        }
        "between" => match texts.as_slice() {
            [lo, hi] if !text.is_empty() => {
                compare_loose(&lt, lo) != Ordering::Less
                    && compare_loose(&lt, hi) != Ordering::Greater
            }
            _ => false,
        },
        other => {
            return Err(ApiError::invalid_argument(
                format!("Rule operator {other} is not supported by the simulator"),
                json!({"operator": other}),
            ))
        }
    })
}
