//! Mutations of the store. Each validates everything first and then applies, so a failing
//! mutation leaves no partial change behind.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{ApiError, Board, Group, Item, ItemState, Store};
use crate::columns::write::{self, Parsed};
use crate::columns::{Cell, ColumnDef, ColumnKind};

/// Options shared by the writing mutations.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Simulated time of the write (created_at / updated_at / changed_at).
    pub now: Duration,
    /// `create_labels_if_missing`.
    pub create_labels: bool,
    /// `ItemsLimitationException` threshold (items per board).
    pub items_limit: usize,
}

/// `position_relative_method` + `relative_to` of create_item / create_group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// `before_at` (true) or `after_at` (false).
    pub before: bool,
    pub relative_to: Option<String>,
}

/// One label of `update_status_column` / `update_dropdown_column`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelUpdate {
    pub label: String,
    /// Status: the label's index (required); dropdown: the label's id (None: a new label).
    pub key: Option<u32>,
    /// Status: the `StatusColumnColors` name.
    pub color: Option<String>,
    /// `is_deactivated: true`: the label is no longer valid in writes and imports.
    pub deactivate: bool,
}

/// A validated set of writes to one item.
struct Plan {
    name: Option<String>,
    cells: Vec<(usize, Parsed)>,
}

const MAX_NAME_CHARS: usize = 255;

fn check_name(name: &str) -> Result<(), ApiError> {
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS {
        return Err(ApiError::ItemNameTooLong { length });
    }
    Ok(())
}

fn parse_item_id(item_id: &str) -> Result<u64, ApiError> {
    item_id
        .trim()
        .parse::<u64>()
        .map_err(|_| ApiError::ItemNotFound {
            item_id: item_id.to_string(),
        })
}

/// Decodes a `column_values` argument: a JSON string of an object, or an object (variables).
pub fn column_values_map(raw: &Value) -> Result<Option<Map<String, Value>>, ApiError> {
    match raw {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(Some(o.clone())),
        Value::String(s) => column_values_map_str(s),
        other => Err(ApiError::invalid_argument(
            "column_values must be a JSON object keyed by column id",
            json!({"column_values": other}),
        )),
    }
}

/// [`column_values_map`] of a JSON string argument (the text of an object).
pub fn column_values_map_str(s: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(o)) => Ok(Some(o)),
        Ok(Value::Null) => Ok(None),
        Ok(_) => Err(ApiError::invalid_argument(
            "column_values must be a JSON object keyed by column id",
            json!({"column_values": s}),
        )),
        Err(e) => Err(ApiError::invalid_argument(
            format!("column_values is not valid JSON: {e}"),
            json!({"column_values": s}),
        )),
    }
}

impl Store {
    fn board_or_err(&self, board_id: &str) -> Result<usize, ApiError> {
        self.board_idx(board_id)
            .ok_or_else(|| ApiError::InvalidBoardId {
                board_id: board_id.to_string(),
            })
    }

    /// A live (not deleted) item.
    fn live_item(&self, item_id: &str) -> Result<u64, ApiError> {
        let id = parse_item_id(item_id)?;
        match self.items.get(&id) {
            Some(item) if item.state != ItemState::Deleted => Ok(id),
            _ => Err(ApiError::ItemNotFound {
                item_id: item_id.to_string(),
            }),
        }
    }

    fn plan(
        &self,
        board_idx: usize,
        values: &Map<String, Value>,
        create_labels: bool,
        simple: bool,
    ) -> Result<Plan, ApiError> {
        let board = &self.boards[board_idx];
        let mut plan = Plan {
            name: None,
            cells: Vec::new(),
        };
        for (col_id, raw) in values {
            let col_idx = board
                .column_index(col_id)
                .ok_or_else(|| ApiError::InvalidColumnId {
                    column_id: col_id.clone(),
                    board_id: board.id.clone(),
                })?;
            let col = &board.columns[col_idx];
            if col.kind == ColumnKind::Name {
                let name = match raw {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(ApiError::ItemNameTooLong { length: 0 }),
                };
                check_name(&name)?;
                plan.name = Some(name);
                continue;
            }
            let parsed = if simple {
                write::parse_simple(col, raw.as_str(), create_labels)?
            } else {
                write::parse_json(col, raw, create_labels)?
            };
            plan.cells.push((col_idx, parsed));
        }
        Ok(plan)
    }

    fn apply(&mut self, board_idx: usize, item_id: u64, plan: Plan, now: Duration) {
        let mut new_cells: Vec<(String, Option<Cell>)> = Vec::with_capacity(plan.cells.len());
        {
            let board = &mut self.boards[board_idx];
            for (col_idx, parsed) in plan.cells {
                let col: &mut ColumnDef = &mut board.columns[col_idx];
                for (id, label) in parsed.new_labels {
                    tracing::debug!(column = %col.id, id, %label, "label created");
                    col.labels.insert(id, label);
                }
                let cell = parsed.value.map(|value| Cell {
                    value,
                    changed_at: now,
                });
                new_cells.push((col.id.clone(), cell));
            }
        }
        if let Some(item) = self.items.get_mut(&item_id) {
            if let Some(name) = plan.name {
                item.name = name;
            }
            for (col_id, cell) in new_cells {
                match cell {
                    Some(cell) => {
                        item.cells.insert(col_id, cell);
                    }
                    None => {
                        item.cells.remove(&col_id);
                    }
                }
            }
            item.updated_at = now;
        }
    }

    /// Where a new item goes in the board's order.
    fn insert_index(&self, board: &Board, group: &str, pos: Option<&Position>) -> usize {
        let Some(pos) = pos else {
            return board.items.len();
        };
        if let Some(rel) = pos
            .relative_to
            .as_deref()
            .and_then(|r| r.parse::<u64>().ok())
        {
            if let Some(i) = board.items.iter().position(|id| *id == rel) {
                return if pos.before { i } else { i + 1 };
            }
        }
        let in_group = |id: &u64| self.items.get(id).is_some_and(|it| it.group == group);
        if pos.before {
            // before_at without relative_to: bottom of the group.
            board
                .items
                .iter()
                .rposition(in_group)
                .map_or(board.items.len(), |i| i + 1)
        } else {
            // after_at without relative_to: top of the group.
            board
                .items
                .iter()
                .position(in_group)
                .unwrap_or(board.items.len())
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_item(
        &mut self,
        board_idx: usize,
        group: String,
        name: String,
        parent: Option<u64>,
        plan: Plan,
        pos: Option<&Position>,
        now: Duration,
    ) -> u64 {
        let id = self.next_item_id;
        self.next_item_id = self.next_item_id.saturating_add(1);
        let index = self.insert_index(&self.boards[board_idx], &group, pos);
        self.items.insert(
            id,
            Item {
                id,
                board: board_idx,
                group,
                name,
                cells: HashMap::with_capacity(plan.cells.len()),
                parent,
                subitems: Vec::new(),
                created_at: now,
                updated_at: now,
                state: ItemState::Active,
            },
        );
        let items = &mut self.boards[board_idx].items;
        items.insert(index.min(items.len()), id);
        self.apply(board_idx, id, plan, now);
        id
    }

    fn check_capacity(&self, board_idx: usize, limit: usize) -> Result<(), ApiError> {
        let board = &self.boards[board_idx];
        if board.items.len() >= limit {
            return Err(ApiError::ItemsLimitation {
                board_id: board.id.clone(),
                limit,
            });
        }
        Ok(())
    }

    /// `create_item`: returns the new item id.
    pub fn create_item(
        &mut self,
        board_id: &str,
        item_name: &str,
        group_id: Option<&str>,
        column_values: Option<&Map<String, Value>>,
        pos: Option<&Position>,
        opts: WriteOptions,
    ) -> Result<u64, ApiError> {
        let board_idx = self.board_or_err(board_id)?;
        check_name(item_name)?;
        let board = &self.boards[board_idx];
        let group = match group_id.map(str::trim).filter(|g| !g.is_empty()) {
            Some(g) => {
                board
                    .group(g)
                    .map(|g| g.id.clone())
                    .ok_or_else(|| ApiError::GroupNotFound {
                        group_id: g.to_string(),
                        board_id: board.id.clone(),
                    })?
            }
            None => {
                let relative_group = pos
                    .and_then(|p| p.relative_to.as_deref())
                    .and_then(|r| r.parse::<u64>().ok())
                    .and_then(|r| self.items.get(&r))
                    .filter(|it| it.board == board_idx)
                    .map(|it| it.group.clone());
                relative_group.unwrap_or_else(|| board.groups[0].id.clone())
            }
        };
        self.check_capacity(board_idx, opts.items_limit)?;
        let empty = Map::new();
        let plan = self.plan(
            board_idx,
            column_values.unwrap_or(&empty),
            opts.create_labels,
            false,
        )?;
        let name = plan.name.clone().unwrap_or_else(|| item_name.to_string());
        Ok(self.insert_item(board_idx, group, name, None, plan, pos, opts.now))
    }

    /// `create_subitem`: the subitem lives on the parent board's subitems board.
    pub fn create_subitem(
        &mut self,
        parent_item_id: &str,
        item_name: &str,
        column_values: Option<&Map<String, Value>>,
        opts: WriteOptions,
    ) -> Result<u64, ApiError> {
        let parent_id = self.live_item(parent_item_id)?;
        check_name(item_name)?;
        let parent_board = self.items[&parent_id].board;
        let sub_board_id = self.boards[parent_board]
            .subitems_board()
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::invalid_argument(
                    "The parent item's board has no subitems column",
                    json!({"parent_item_id": parent_item_id}),
                )
            })?;
        let board_idx = self.board_or_err(&sub_board_id)?;
        self.check_capacity(board_idx, opts.items_limit)?;
        let empty = Map::new();
        let plan = self.plan(
            board_idx,
            column_values.unwrap_or(&empty),
            opts.create_labels,
            false,
        )?;
        let name = plan.name.clone().unwrap_or_else(|| item_name.to_string());
        let group = self.boards[board_idx].groups[0].id.clone();
        let id = self.insert_item(
            board_idx,
            group,
            name,
            Some(parent_id),
            plan,
            None,
            opts.now,
        );
        if let Some(parent) = self.items.get_mut(&parent_id) {
            parent.subitems.push(id);
            parent.updated_at = opts.now;
        }
        Ok(id)
    }

    fn item_on_board(&self, board_idx: usize, item_id: Option<&str>) -> Result<u64, ApiError> {
        let item_id = item_id.ok_or_else(|| {
            ApiError::invalid_argument("item_id is required", json!({"item_id": null}))
        })?;
        let id = self.live_item(item_id)?;
        if self.items[&id].board != board_idx {
            return Err(ApiError::ItemNotFound {
                item_id: item_id.to_string(),
            });
        }
        Ok(id)
    }

    /// `update_status_column` / `update_dropdown_column`: checks the column's type and
    /// `revision` (a stale one is refused), then adds, renames or deactivates the labels given
    /// (labels not listed are kept) and bumps the revision. Returns (board, column) indexes.
    pub fn update_labels(
        &mut self,
        board_id: &str,
        column_id: &str,
        kind: ColumnKind,
        revision: &str,
        title: Option<&str>,
        labels: &[LabelUpdate],
    ) -> Result<(usize, usize), ApiError> {
        let board_idx = self.board_or_err(board_id)?;
        let board = &self.boards[board_idx];
        let col_idx = board
            .column_index(column_id)
            .ok_or_else(|| ApiError::InvalidColumnId {
                column_id: column_id.to_string(),
                board_id: board.id.clone(),
            })?;
        let col = &board.columns[col_idx];
        if col.kind != kind {
            return Err(ApiError::invalid_argument(
                format!(
                    "Column `{column_id}` is a {} column, not a {} column",
                    col.kind.type_name(),
                    kind.type_name()
                ),
                json!({"column_id": column_id, "column_type": col.kind.type_name()}),
            ));
        }
        if revision.trim() != col.revision.to_string() {
            return Err(ApiError::invalid_argument(
                "The column was changed since this revision was read: read the column again and retry with its current revision",
                json!({"column_id": column_id, "revision": revision, "current_revision": col.revision.to_string()}),
            ));
        }
        let mut next = col.clone();
        for l in labels {
            let text = l.label.trim().to_string();
            if text.is_empty() && !l.deactivate {
                return Err(ApiError::invalid_argument(
                    "A label must not be empty",
                    json!({"column_id": column_id}),
                ));
            }
            let key = match (kind, l.key) {
                (_, Some(k)) => k,
                (ColumnKind::Dropdown, None) => match next.labels.iter().find(|(_, v)| **v == text)
                {
                    Some((k, _)) => *k,
                    None => next.next_label_id(&[]),
                },
                _ => {
                    return Err(ApiError::invalid_argument(
                        "A status label needs its index",
                        json!({"column_id": column_id, "label": text}),
                    ))
                }
            };
            if l.deactivate {
                next.labels.remove(&key);
                next.label_colors.remove(&key);
                continue;
            }
            if next.labels.iter().any(|(k, v)| *k != key && *v == text) {
                return Err(ApiError::invalid_argument(
                    format!("Label `{text}` exists twice on column `{column_id}`"),
                    json!({"column_id": column_id, "label": text}),
                ));
            }
            next.labels.insert(key, text);
            if let Some(c) = &l.color {
                next.label_colors.insert(key, c.clone());
            }
        }
        if kind == ColumnKind::Status && next.labels.len() > crate::columns::MAX_STATUS_LABELS {
            return Err(ApiError::invalid_argument(
                format!(
                    "A status column holds at most {} labels",
                    crate::columns::MAX_STATUS_LABELS
                ),
                json!({"column_id": column_id, "labels": next.labels.len()}),
            ));
        }
        if let Some(t) = title.map(str::trim).filter(|t| !t.is_empty()) {
            next.title = t.to_string();
        }
        next.revision += 1;
        self.boards[board_idx].columns[col_idx] = next;
        Ok((board_idx, col_idx))
    }

    /// `change_multiple_column_values` / `change_column_value` (JSON write forms).
    pub fn change_column_values(
        &mut self,
        board_id: &str,
        item_id: Option<&str>,
        values: &Map<String, Value>,
        opts: WriteOptions,
    ) -> Result<u64, ApiError> {
        let board_idx = self.board_or_err(board_id)?;
        let id = self.item_on_board(board_idx, item_id)?;
        let plan = self.plan(board_idx, values, opts.create_labels, false)?;
        self.apply(board_idx, id, plan, opts.now);
        Ok(id)
    }

    /// `change_simple_column_value` (plain-string write forms; None clears).
    pub fn change_simple_column_value(
        &mut self,
        board_id: &str,
        item_id: Option<&str>,
        column_id: &str,
        value: Option<&str>,
        opts: WriteOptions,
    ) -> Result<u64, ApiError> {
        let board_idx = self.board_or_err(board_id)?;
        let id = self.item_on_board(board_idx, item_id)?;
        let mut values = Map::new();
        values.insert(
            column_id.to_string(),
            value.map_or(Value::Null, |v| Value::String(v.to_string())),
        );
        let plan = self.plan(board_idx, &values, opts.create_labels, true)?;
        self.apply(board_idx, id, plan, opts.now);
        Ok(id)
    }

    /// `create_group`: returns (board index, group index). Ids are `group_mm` + a counter in
    /// base 36, so they are deterministic.
    pub fn create_group(
        &mut self,
        board_id: &str,
        group_name: &str,
        color: Option<&str>,
        pos: Option<&Position>,
    ) -> Result<(usize, usize), ApiError> {
        let board_idx = self.board_or_err(board_id)?;
        if group_name.trim().is_empty() {
            return Err(ApiError::invalid_argument(
                "group_name must not be empty",
                json!({"group_name": group_name}),
            ));
        }
        let seq = self.next_group_seq;
        self.next_group_seq += 1;
        let id = format!("group_mm{}", base36(seq + 36 * 36 * 36));
        let board = &mut self.boards[board_idx];
        let color = color
            .filter(|c| !c.trim().is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| ColumnDef::label_color(seq as u32).to_string());
        let index = match pos {
            Some(p) => match p
                .relative_to
                .as_deref()
                .and_then(|r| board.groups.iter().position(|g| g.id == r))
            {
                Some(i) if p.before => i,
                Some(i) => i + 1,
                None => board.groups.len(),
            },
            None => board.groups.len(),
        };
        let group = Group {
            id,
            title: group_name.to_string(),
            color,
            position: format!("{}.0", 65536 * (board.groups.len() + 1)),
        };
        board.groups.insert(index, group);
        Ok((board_idx, index))
    }

    /// `delete_item`: the item and its subitems are deleted.
    pub fn delete_item(&mut self, item_id: &str, now: Duration) -> Result<u64, ApiError> {
        let id = self.live_item(item_id)?;
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            if let Some(item) = self.items.get_mut(&cur) {
                item.state = ItemState::Deleted;
                item.updated_at = now;
                stack.extend(item.subitems.iter().copied());
                let board = item.board;
                self.boards[board].items.retain(|i| *i != cur);
            }
        }
        Ok(id)
    }

    /// `archive_item`: state becomes archived (still counted on the board).
    pub fn archive_item(&mut self, item_id: &str, now: Duration) -> Result<u64, ApiError> {
        let id = self.live_item(item_id)?;
        if let Some(item) = self.items.get_mut(&id) {
            item.state = ItemState::Archived;
            item.updated_at = now;
        }
        Ok(id)
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Fixture;

    fn opts() -> WriteOptions {
        WriteOptions {
            now: Duration::from_secs(1),
            create_labels: false,
            items_limit: 3,
        }
    }

    #[test]
    fn failed_write_changes_nothing() {
        let mut s = Store::from_fixture(&Fixture::default_order_list());
        let values = column_values_map(&json!(r#"{"text_po":"PO1","status":{"label":"Nope"}}"#))
            .unwrap()
            .unwrap();
        let e = s
            .create_item("1234567890", "x", None, Some(&values), None, opts())
            .unwrap_err();
        assert_eq!(e.code(), "ColumnValueException");
        assert_eq!(s.items_total(), 0);
    }

    #[test]
    fn items_limit_and_ids_are_deterministic() {
        let mut s = Store::from_fixture(&Fixture::default_order_list());
        for expected in 9_000_000_001..=9_000_000_003u64 {
            let id = s
                .create_item("1234567890", "x", None, None, None, opts())
                .unwrap();
            assert_eq!(id, expected);
        }
        let e = s
            .create_item("1234567890", "x", None, None, None, opts())
            .unwrap_err();
        assert_eq!(e.code(), "ItemsLimitationException");
        s.delete_item("9000000001", Duration::ZERO).unwrap();
        assert!(s
            .create_item("1234567890", "x", None, None, None, opts())
            .is_ok());
    }

    #[test]
    fn group_ids_are_deterministic_and_unique() {
        let mut s = Store::from_fixture(&Fixture::default_order_list());
        let (b, g1) = s.create_group("1234567890", "Acme", None, None).unwrap();
        let (_, g2) = s.create_group("1234567890", "Acme", None, None).unwrap();
        let board = s.board(b).unwrap();
        assert_ne!(board.groups[g1].id, board.groups[g2].id);
        assert!(board.groups[g1].id.starts_with("group_"));
        assert_eq!(base36(35), "z");
    }
}
