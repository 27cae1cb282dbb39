//! Boards to start with: the default "Order List" board (docs/interfaces.md) or a TOML file.
//!
//! # TOML fixture format
//!
//! ```toml
//! first_item_id = 9000000001        # optional: id of the first created item (then +1 each)
//!
//! [[boards]]
//! id = "111"                         # numeric board id (string or integer)
//! name = "Orders"
//! kind = "public"                    # optional: public | private | share
//! description = "..."                # optional
//! groups = [                         # at least one; the first is the default for create_item
//!   { id = "topics", title = "Orders", color = "#579bfc" },   # color optional
//! ]
//!
//! [[boards.columns]]                 # a `name` column is added first when missing
//! id = "status"
//! title = "Status"
//! type = "status"                    # name text long_text numbers status dropdown date email
//!                                    # phone link checkbox timeline subtasks
//! labels = { 0 = "New", 1 = "Done" } # status: index -> label; dropdown: id -> label
//!
//! [[boards.columns]]
//! id = "subitems"
//! title = "Subitems"
//! type = "subtasks"
//! subitems_board = "112"             # the board (also in this file) holding the subitems
//! ```
//!
//! Unknown keys are errors; every error names the file (origin) and the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::columns::{ColumnDef, ColumnKind};

/// Default id of the first item created (then +1 per item).
pub const DEFAULT_FIRST_ITEM_ID: u64 = 9_000_000_001;

/// Boards to start with: the default "Order List" board `1234567890` or a TOML fixture file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default = "default_first_item_id")]
    pub first_item_id: u64,
    pub boards: Vec<BoardSpec>,
}

fn default_first_item_id() -> u64 {
    DEFAULT_FIRST_ITEM_ID
}

/// A board id in TOML: a string or an integer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IdSpec {
    Int(u64),
    Text(String),
}

impl IdSpec {
    /// The id as the API shows it.
    pub fn as_string(&self) -> String {
        match self {
            Self::Int(i) => i.to_string(),
            Self::Text(s) => s.trim().to_string(),
        }
    }
}

/// One board of a fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSpec {
    pub id: IdSpec,
    pub name: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    pub groups: Vec<GroupSpec>,
    pub columns: Vec<ColumnSpec>,
}

fn default_kind() -> String {
    "public".to_string()
}

/// One group of a fixture board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub color: Option<String>,
}

/// One column of a fixture board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub subitems_board: Option<IdSpec>,
}

/// A fixture that cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[error("fixture {origin}: {message}")]
pub struct FixtureError {
    pub origin: String,
    pub message: String,
}

const STATUS_LABELS: &[(u32, &str)] = &[
    (0, "New"),
    (1, "In Production"),
    (2, "Shipped"),
    (3, "Delivered"),
    (4, "On Hold"),
];

fn col(id: &str, title: &str, kind: ColumnKind, labels: &[(u32, &str)]) -> ColumnSpec {
    ColumnSpec {
        id: id.to_string(),
        title: title.to_string(),
        kind,
        labels: labels
            .iter()
            .map(|(i, l)| (i.to_string(), (*l).to_string()))
            .collect(),
        subitems_board: None,
    }
}

fn group(id: &str, title: &str, color: &str) -> GroupSpec {
    GroupSpec {
        id: id.to_string(),
        title: title.to_string(),
        color: Some(color.to_string()),
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::default_order_list()
    }
}

impl Fixture {
    /// Board `1234567890` "Order List" with a column of every supported type, a subitems board
    /// `1234567891` and three groups, exactly as docs/interfaces.md describes.
    pub fn default_order_list() -> Self {
        use ColumnKind as K;
        let mut subitems = col("subitems", "Subitems", K::Subtasks, &[]);
        subitems.subitems_board = Some(IdSpec::Text("1234567891".into()));
        let order_list = BoardSpec {
            id: IdSpec::Text("1234567890".into()),
            name: "Order List".into(),
            kind: default_kind(),
            description: None,
            groups: vec![
                group("topics", "Orders", "#579bfc"),
                group("group_backlog", "Backlog", "#c4c4c4"),
                group("group_done", "Done", "#00c875"),
            ],
            columns: vec![
                col("name", "Name", K::Name, &[]),
                col("text_order_key", "Order Key", K::Text, &[]),
                col("text_customer", "Customer", K::Text, &[]),
                col("text_po", "PO Number", K::Text, &[]),
                col("text_style", "Style", K::Text, &[]),
                col("long_text_notes", "Notes", K::LongText, &[]),
                col("numbers_qty", "Quantity", K::Numbers, &[]),
                col("numbers_price", "Unit Price", K::Numbers, &[]),
                col("status", "Status", K::Status, STATUS_LABELS),
                col(
                    "dropdown_sizes",
                    "Sizes",
                    K::Dropdown,
                    &[(1, "XS"), (2, "S"), (3, "M"), (4, "L"), (5, "XL")],
                ),
                col(
                    "dropdown_colour",
                    "Colour",
                    K::Dropdown,
                    &[
                        (1, "Black"),
                        (2, "White"),
                        (3, "Navy"),
                        (4, "Red"),
                        (5, "Green"),
                    ],
                ),
                col("date_order", "Order Date", K::Date, &[]),
                col("date_ship", "Ship Date", K::Date, &[]),
                col("email_contact", "Contact Email", K::Email, &[]),
                col("phone_contact", "Contact Phone", K::Phone, &[]),
                col("link_tracking", "Tracking", K::Link, &[]),
                col("checkbox_rush", "Rush", K::Checkbox, &[]),
                col("timeline_production", "Production", K::Timeline, &[]),
                subitems,
            ],
        };
        let subitems_board = BoardSpec {
            id: IdSpec::Text("1234567891".into()),
            name: "Subitems of Order List".into(),
            kind: default_kind(),
            description: None,
            groups: vec![group("topics", "Subitems", "#579bfc")],
            columns: vec![
                col("name", "Name", K::Name, &[]),
                col("text_sku", "SKU", K::Text, &[]),
                col("numbers_qty", "Quantity", K::Numbers, &[]),
                col("status", "Status", K::Status, STATUS_LABELS),
            ],
        };
        Self {
            first_item_id: DEFAULT_FIRST_ITEM_ID,
            boards: vec![order_list, subitems_board],
        }
    }

    /// Parses and validates a TOML fixture (format in the module docs).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, FixtureError> {
        let fixture: Fixture = toml::from_str(text).map_err(|e| FixtureError {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        fixture.validate().map_err(|message| FixtureError {
            origin: origin.to_string(),
            message,
        })?;
        Ok(fixture)
    }

    /// Checks ids, labels and subitems links; returns the first problem.
    pub fn validate(&self) -> Result<(), String> {
        let mut ids = std::collections::BTreeSet::new();
        for board in &self.boards {
            let id = board.id.as_string();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("board id {id:?} must be numeric"));
            }
            if !ids.insert(id.clone()) {
                return Err(format!("board id {id} appears twice"));
            }
            if board.groups.is_empty() {
                return Err(format!("board {id} needs at least one group"));
            }
            let mut group_ids = std::collections::BTreeSet::new();
            for g in &board.groups {
                if !group_ids.insert(g.id.as_str()) {
                    return Err(format!("board {id}: group id {} appears twice", g.id));
                }
            }
            let mut col_ids = std::collections::BTreeSet::new();
            for c in &board.columns {
                if !col_ids.insert(c.id.as_str()) {
                    return Err(format!("board {id}: column id {} appears twice", c.id));
                }
                if !c.labels.is_empty() && !c.kind.has_labels() {
                    return Err(format!(
                        "board {id}: column {} of type {} cannot have labels",
                        c.id,
                        c.kind.type_name()
                    ));
                }
                for key in c.labels.keys() {
                    if key.trim().parse::<u32>().is_err() {
                        return Err(format!(
                            "board {id}: column {}: label key {key:?} is not a number",
                            c.id
                        ));
                    }
                }
                if c.kind == ColumnKind::Subtasks && c.subitems_board.is_none() {
                    return Err(format!(
                        "board {id}: subtasks column {} needs subitems_board",
                        c.id
                    ));
                }
            }
        }
        for board in &self.boards {
            for c in &board.columns {
                if let Some(sub) = &c.subitems_board {
                    if !ids.contains(&sub.as_string()) {
                        return Err(format!(
                            "board {}: column {}: subitems_board {} is not defined",
                            board.id.as_string(),
                            c.id,
                            sub.as_string()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

impl ColumnSpec {
    /// The column definition (labels with unparsable keys are skipped; see [`Fixture::validate`]).
    pub(crate) fn to_def(&self) -> ColumnDef {
        ColumnDef {
            id: self.id.clone(),
            title: self.title.clone(),
            kind: self.kind,
            labels: self
                .labels
                .iter()
                .filter_map(|(k, v)| k.trim().parse::<u32>().ok().map(|k| (k, v.clone())))
                .collect(),
            subitems_board: self.subitems_board.as_ref().map(IdSpec::as_string),
            revision: 1,
            label_colors: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fixture_is_valid() {
        Fixture::default_order_list().validate().unwrap();
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../../fixtures/example.toml");
        let f = Fixture::from_toml_str(text, "example.toml").unwrap();
        assert!(f.boards.len() >= 2);
    }

    #[test]
    fn errors_name_origin_and_reason() {
        let e = Fixture::from_toml_str("boards = []\nbogus = 1\n", "x.toml").unwrap_err();
        assert_eq!(e.origin, "x.toml");
        assert!(e.to_string().contains("bogus"), "{e}");
        let e = Fixture::from_toml_str(
            "[[boards]]\nid = 1\nname = \"A\"\ngroups = []\ncolumns = []\n",
            "y.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("at least one group"), "{e}");
        let e = Fixture::from_toml_str(
            "[[boards]]\nid = \"x1\"\nname = \"A\"\ngroups = [{id=\"g\", title=\"G\"}]\ncolumns = []\n",
            "z.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("numeric"), "{e}");
    }
}
