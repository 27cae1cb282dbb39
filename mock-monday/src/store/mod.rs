//! Stateful boards, groups, columns and items (the simulator's "database").
//!
//! INTERFACE CONTRACT (used by `core.rs` and the admin endpoints; keep stable):
//! - [`Store::from_fixture`], [`Fixture::default_order_list`], [`Fixture::from_toml_str`]
//! - [`Store::board_items_json`] (admin `GET /__admin/boards/{id}/items`)
//! - [`Store::items_total`]

use serde_json::Value;

/// Boards to start with: the default "Order List" board `1234567890` or a TOML fixture file.
#[derive(Debug, Clone)]
pub struct Fixture {
    _private: (),
}

#[derive(Debug, thiserror::Error)]
#[error("fixture {origin}: {message}")]
pub struct FixtureError {
    pub origin: String,
    pub message: String,
}

impl Fixture {
    /// Board `1234567890` "Order List" with a column of every supported type, a subitems board
    /// and a few groups.
    pub fn default_order_list() -> Self {
        todo!("graphql helper implements")
    }

    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, FixtureError> {
        let _ = (text, origin);
        todo!("graphql helper implements")
    }
}

/// All simulator state that GraphQL reads and writes.
#[derive(Debug, Clone)]
pub struct Store {
    _private: (),
}

impl Store {
    /// `first_item_id` makes ids deterministic (same fixture + same requests = same ids).
    pub fn from_fixture(fixture: &Fixture) -> Self {
        let _ = fixture;
        todo!("graphql helper implements")
    }

    /// `{"board_id": "...", "items": [{"id","name","group_id","column_values":{col_id:{"text","value"}}, ...}]}`,
    /// or None for an unknown board.
    pub fn board_items_json(&self, board_id: &str) -> Option<Value> {
        let _ = board_id;
        todo!("graphql helper implements")
    }

    /// Items on all boards (not counting deleted ones).
    pub fn items_total(&self) -> u64 {
        todo!("graphql helper implements")
    }
}
