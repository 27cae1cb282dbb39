//! Stateful boards, groups, columns and items (the simulator's "database").
//!
//! INTERFACE CONTRACT (used by the `core` stages and the admin endpoints; keep stable):
//! - [`Store::from_fixture`], [`Fixture::default_order_list`], [`Fixture::from_toml_str`]
//! - [`Store::board_items_json`] (admin `GET /__admin/boards/{id}/items`)
//! - [`Store::items_total`]
//!
//! Everything is deterministic: item ids count up from [`Fixture::first_item_id`], group ids come
//! from a counter, timestamps from the simulated clock passed in by the caller.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::columns::{read, Cell, ColumnDef, ColumnKind};

mod error;
pub mod fixture;
mod ops;
pub(crate) mod query;

pub use error::ApiError;
pub use fixture::{BoardSpec, ColumnSpec, Fixture, FixtureError, GroupSpec, IdSpec};
pub use ops::{column_values_map, column_values_map_str, LabelUpdate, Position, WriteOptions};

pub use crate::clock::{iso_time, EPOCH_UNIX_SECS};

/// Item lifecycle state (`State` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Active,
    Archived,
    Deleted,
}

impl ItemState {
    /// The `State` enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Archived => "archived",
            Self::Deleted => "deleted",
        }
    }
}

/// A group of a board.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: String,
    pub title: String,
    pub color: String,
    pub position: String,
}

/// A board: columns, groups and the ordered item ids it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub description: Option<String>,
    pub columns: Vec<ColumnDef>,
    pub groups: Vec<Group>,
    /// Items in board order (active and archived; deleted items are removed).
    pub items: Vec<u64>,
}

impl Board {
    /// Column by id.
    pub fn column(&self, id: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.id == id)
    }

    /// Index of a column by id.
    pub fn column_index(&self, id: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.id == id)
    }

    /// Group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The subitems board named by this board's subtasks column.
    pub fn subitems_board(&self) -> Option<&str> {
        self.columns
            .iter()
            .find(|c| c.kind == ColumnKind::Subtasks)
            .and_then(|c| c.subitems_board.as_deref())
    }
}

/// One item (or subitem).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: u64,
    /// Index into the store's boards.
    pub board: usize,
    pub group: String,
    pub name: String,
    pub cells: HashMap<String, Cell>,
    pub parent: Option<u64>,
    pub subitems: Vec<u64>,
    pub created_at: Duration,
    pub updated_at: Duration,
    pub state: ItemState,
}

/// All simulator state that GraphQL reads and writes.
#[derive(Debug, Clone)]
pub struct Store {
    boards: Vec<Board>,
    board_index: HashMap<String, usize>,
    items: HashMap<u64, Item>,
    next_item_id: u64,
    next_group_seq: u64,
}

impl Store {
    /// `first_item_id` makes ids deterministic (same fixture + same requests = same ids).
    /// A fixture that [`Fixture::validate`] would refuse is loaded as far as it makes sense
    /// (boards without groups get a `topics` group; duplicate boards are skipped).
    pub fn from_fixture(fixture: &Fixture) -> Self {
        let mut boards = Vec::new();
        let mut board_index = HashMap::new();
        for spec in &fixture.boards {
            let id = spec.id.as_string();
            if board_index.contains_key(&id) {
                tracing::warn!(board = %id, "duplicate fixture board skipped");
                continue;
            }
            let mut columns: Vec<ColumnDef> = spec.columns.iter().map(ColumnSpec::to_def).collect();
            if !columns.iter().any(|c| c.kind == ColumnKind::Name) {
                columns.insert(0, ColumnDef::new("name", "Name", ColumnKind::Name));
            }
            let mut groups: Vec<Group> = spec
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| Group {
                    id: g.id.clone(),
                    title: g.title.clone(),
                    color: g
                        .color
                        .clone()
                        .unwrap_or_else(|| ColumnDef::label_color(i as u32 + 6).to_string()),
                    position: format!("{}.0", 65536 * (i + 1)),
                })
                .collect();
            if groups.is_empty() {
                groups.push(Group {
                    id: "topics".into(),
                    title: "Group Title".into(),
                    color: "#579bfc".into(),
                    position: "65536.0".into(),
                });
            }
            board_index.insert(id.clone(), boards.len());
            boards.push(Board {
                id,
                name: spec.name.clone(),
                kind: spec.kind.clone(),
                description: spec.description.clone(),
                columns,
                groups,
                items: Vec::new(),
            });
        }
        Self {
            boards,
            board_index,
            items: HashMap::new(),
            next_item_id: fixture.first_item_id,
            next_group_seq: 1,
        }
    }

    /// `{"board_id": "...", "items": [{"id","name","group_id","state","parent_item_id",
    /// "created_at","updated_at","column_values":{col_id:{"text","value"}}}]}`, or None for an
    /// unknown board. Every column except `name` is listed (empty ones with text "" and value
    /// null); deleted items are left out.
    pub fn board_items_json(&self, board_id: &str) -> Option<Value> {
        let board_idx = self.board_idx(board_id)?;
        let board = &self.boards[board_idx];
        let items: Vec<Value> = board
            .items
            .iter()
            .filter_map(|id| self.items.get(id))
            .map(|item| {
                let mut cols = Map::new();
                for col in board.columns.iter().filter(|c| c.kind != ColumnKind::Name) {
                    let cell = item.cells.get(&col.id);
                    let text = self.cell_text(col, item);
                    cols.insert(
                        col.id.clone(),
                        json!({"text": text, "value": read::value_string(cell)}),
                    );
                }
                json!({
                    "id": item.id.to_string(),
                    "name": item.name,
                    "group_id": item.group,
                    "state": item.state.as_str(),
                    "parent_item_id": item.parent.map(|p| p.to_string()),
                    "created_at": iso_time(item.created_at),
                    "updated_at": iso_time(item.updated_at),
                    "column_values": cols,
                })
            })
            .collect();
        Some(json!({"board_id": board.id, "items": items}))
    }

    /// The text one column shows for every item on a board, in board order, exactly as
    /// [`Store::board_items_json`] lists it (`column_values.<id>.text`; archived items included,
    /// deleted ones left out), without building the JSON. `name` gives the item names; a column
    /// the board does not have gives `""` per item. None for an unknown board.
    pub fn board_column_texts(&self, board_id: &str, column_id: &str) -> Option<Vec<String>> {
        let board = &self.boards[self.board_idx(board_id)?];
        let col = board.column(column_id);
        let items = board.items.iter().filter_map(|id| self.items.get(id));
        Some(match col {
            Some(c) if c.kind == ColumnKind::Name => items.map(|i| i.name.clone()).collect(),
            Some(c) => items.map(|i| self.cell_text(c, i)).collect(),
            None => items.map(|_| String::new()).collect(),
        })
    }

    /// The text of one cell as the admin JSON shows it (subtasks: the subitem names).
    fn cell_text(&self, col: &ColumnDef, item: &Item) -> String {
        if col.kind == ColumnKind::Subtasks {
            self.subitem_names(item).join(", ")
        } else {
            read::text(col, item.cells.get(&col.id))
        }
    }

    /// Items on all boards (not counting deleted ones).
    pub fn items_total(&self) -> u64 {
        self.items
            .values()
            .filter(|i| i.state != ItemState::Deleted)
            .count() as u64
    }

    /// Whether a board exists.
    pub fn board_exists(&self, board_id: &str) -> bool {
        self.board_idx(board_id).is_some()
    }

    /// Board ids in fixture order.
    pub fn board_ids(&self) -> Vec<String> {
        self.boards.iter().map(|b| b.id.clone()).collect()
    }

    /// The board an item (or subitem) lives on, for item-id-only mutations.
    pub fn item_board(&self, item_id: &str) -> Option<String> {
        let id = item_id.trim().parse::<u64>().ok()?;
        let item = self.items.get(&id)?;
        self.boards.get(item.board).map(|b| b.id.clone())
    }

    /// Non-deleted items on a board (what `ItemsLimitationException` counts).
    pub fn board_item_count(&self, board_id: &str) -> Option<usize> {
        self.board_idx(board_id).map(|b| self.boards[b].items.len())
    }

    pub(crate) fn board_idx(&self, board_id: &str) -> Option<usize> {
        self.board_index.get(board_id.trim()).copied()
    }

    pub(crate) fn boards(&self) -> &[Board] {
        &self.boards
    }

    pub(crate) fn board(&self, idx: usize) -> Option<&Board> {
        self.boards.get(idx)
    }

    pub(crate) fn item(&self, id: u64) -> Option<&Item> {
        self.items.get(&id)
    }

    /// All item ids (any board, any state) in ascending order.
    pub(crate) fn all_item_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .items
            .values()
            .filter(|i| i.state != ItemState::Deleted)
            .map(|i| i.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Names of an item's (non-deleted) subitems.
    pub(crate) fn subitem_names(&self, item: &Item) -> Vec<String> {
        item.subitems
            .iter()
            .filter_map(|id| self.items.get(id))
            .filter(|s| s.state != ItemState::Deleted)
            .map(|s| s.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_store_has_the_order_list() {
        let s = Store::from_fixture(&Fixture::default_order_list());
        assert!(s.board_exists("1234567890"));
        assert!(s.board_exists("1234567891"));
        assert_eq!(s.items_total(), 0);
        let b = s.board(s.board_idx("1234567890").unwrap()).unwrap();
        assert_eq!(b.groups[0].id, "topics");
        assert_eq!(b.columns.len(), 19);
        assert_eq!(b.subitems_board(), Some("1234567891"));
        let j = s.board_items_json("1234567890").unwrap();
        assert_eq!(j["items"].as_array().unwrap().len(), 0);
        assert!(s.board_items_json("1").is_none());
    }
}
