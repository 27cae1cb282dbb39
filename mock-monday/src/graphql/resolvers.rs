//! Resolvers: one small Rust type per GraphQL object type, all reading the store through the
//! shared [`ExecState`]. Mutations write through a `RefCell` (apollo-compiler resolvers take
//! `&self`); borrows never outlive one `resolve_field` call, and root mutation fields run one
//! after another, so each field sees the writes of the fields before it.

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use serde_json::{json, Value};

use super::cursor::CursorState;
use super::exec_state::{ExecState, URL_BASE};
use super::fallback;
use super::json::Args;
use super::viewer::{AccountObj, UserObj, WorkspaceObj, WORKSPACE_ID};
use crate::columns::{read, ColumnDef, ColumnKind};
use crate::store::query::Filter;
use crate::store::{iso_time, ApiError, ItemState, Position, Store};
use crate::version::{ApiVersion, KNOWN_VERSIONS};

/// Largest `limit` of items pages.
pub const MAX_PAGE_LIMIT: i64 = 500;
/// Largest `limit` of root `items`.
pub const MAX_ITEMS_LIMIT: i64 = 100;

type Res<'a> = Result<ResolvedValue<'a>, FieldError>;

fn leaf<'r>(v: Value) -> ResolvedValue<'r> {
    ResolvedValue::Leaf(JsonValue::from(v))
}

fn string<'r>(s: impl Into<String>) -> ResolvedValue<'r> {
    ResolvedValue::Leaf(JsonValue::String(s.into().into()))
}

fn clamp_int(v: u64) -> Value {
    json!(v.min(i32::MAX as u64))
}

/// `limit` argument within 1..=max, else an InvalidArgumentException.
fn check_limit(args: &Args<'_>, default: i64, max: i64) -> Result<usize, ApiError> {
    let limit = args.int("limit").unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid_argument(
            format!("limit must be between 1 and {max}"),
            json!({"limit": limit}),
        ));
    }
    Ok(limit as usize)
}

// ---------------------------------------------------------------------------------------------
// Root types

/// `Query` or `Mutation`.
pub(crate) struct Root<'s> {
    pub st: &'s ExecState<'s>,
    pub type_name: String,
    pub mutation: bool,
}

impl ObjectValue for Root<'_> {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let st = self.st;
        let args = Args(info.arguments());
        let name = info.field_name();
        if name == "complexity" {
            return Ok(ResolvedValue::object(ComplexityObj(st.ctx.complexity)));
        }
        if self.mutation {
            st.mutation_fields.set(st.mutation_fields.get() + 1);
            return self.mutate(name, &args, info).map_err(|e| st.fail(e))?;
        }
        match name {
            "boards" => Ok(boards(st, &args)),
            "items" => items(st, &args).map_err(|e| st.fail(e)),
            "items_page_by_column_values" => {
                items_page_by_column_values(st, &args).map_err(|e| st.fail(e))
            }
            "next_items_page" => next_items_page(st, &args).map_err(|e| st.fail(e)),
            "fetch_job_status" => super::bulk::fetch_job_status(st, &args).map_err(|e| st.fail(e)),
            "version" => Ok(ResolvedValue::object(VersionObj::of(st.ctx.api_version))),
            "versions" => Ok(ResolvedValue::list(
                VersionObj::all().into_iter().map(ResolvedValue::object),
            )),
            "me" => Ok(ResolvedValue::object(UserObj { st })),
            "account" => Ok(ResolvedValue::object(AccountObj { st })),
            "users" => {
                let me = st.ctx.user_id.to_string();
                let wanted = args.ids("ids").is_none_or(|ids| ids.contains(&me));
                Ok(ResolvedValue::list(
                    wanted.then(|| ResolvedValue::object(UserObj { st })),
                ))
            }
            "workspaces" => {
                let id = WORKSPACE_ID.to_string();
                let wanted = args.ids("ids").is_none_or(|ids| ids.contains(&id));
                Ok(ResolvedValue::list(
                    wanted.then(|| ResolvedValue::object(WorkspaceObj { st })),
                ))
            }
            _ => Ok(fallback::resolve(st, &self.type_name, info)),
        }
    }
}

impl<'s> Root<'s> {
    /// One root mutation field. The outer error is an [`ApiError`]; the inner one is a field
    /// error that is already recorded.
    fn mutate<'a>(
        &'a self,
        name: &str,
        args: &Args<'_>,
        info: &'a ResolveInfo<'a>,
    ) -> Result<Res<'a>, ApiError> {
        let st = self.st;
        match name {
            "update_status_column" | "update_dropdown_column" => {
                return column_labels(st, name, args).map(Ok);
            }
            "ingest_items" => {
                return super::bulk::start(st, crate::jobs::JobKind::Ingest, args).map(Ok);
            }
            "backfill_items" => {
                return super::bulk::start(st, crate::jobs::JobKind::Backfill, args).map(Ok);
            }
            _ => {}
        }
        let opts = st.write_options(args);
        let board_id = args.id("board_id").unwrap_or_default();
        let item_id = args.id("item_id");
        let mut store = st.store.borrow_mut();
        let item = match name {
            "create_item" => {
                let values = st.column_values(args)?;
                let pos = args.str("position_relative_method").map(|m| Position {
                    before: m == "before_at",
                    relative_to: args.id("relative_to"),
                });
                let id = store.create_item(
                    &board_id,
                    args.str("item_name").unwrap_or(""),
                    args.str("group_id"),
                    values.as_deref(),
                    pos.as_ref(),
                    opts,
                )?;
                st.items_created.set(st.items_created.get() + 1);
                id
            }
            "create_subitem" => {
                let values = st.column_values(args)?;
                let parent = args.id("parent_item_id").unwrap_or_default();
                let id = store.create_subitem(
                    &parent,
                    args.str("item_name").unwrap_or(""),
                    values.as_deref(),
                    opts,
                )?;
                st.items_created.set(st.items_created.get() + 1);
                id
            }
            "change_multiple_column_values" => {
                let values = st.column_values(args)?;
                let empty = serde_json::Map::new();
                let values = values.as_deref().unwrap_or(&empty);
                store.change_column_values(&board_id, item_id.as_deref(), values, opts)?
            }
            "change_column_value" => {
                let column_id = args.str("column_id").unwrap_or("").to_string();
                // `value: JSON!` holds JSON: a string must be JSON text (`"\"Done\""`,
                // `"{\"label\":\"Done\"}"`); plain text is refused like any invalid value.
                let raw = match args.json("value") {
                    Value::String(s) => {
                        serde_json::from_str(&s).map_err(|_| crate::columns::ColumnValueError {
                            message: crate::columns::INVALID_VALUE_MESSAGE.to_string(),
                            column_value: s.clone(),
                            column_type: store
                                .board_idx(&board_id)
                                .and_then(|b| store.board(b))
                                .and_then(|b| b.column(&column_id))
                                .map_or("unknown", |c| c.kind.internal_type()),
                        })?
                    }
                    other => other,
                };
                let mut values = serde_json::Map::new();
                values.insert(column_id, raw);
                store.change_column_values(&board_id, item_id.as_deref(), &values, opts)?
            }
            "change_simple_column_value" => store.change_simple_column_value(
                &board_id,
                item_id.as_deref(),
                args.str("column_id").unwrap_or(""),
                args.str("value"),
                opts,
            )?,
            "create_group" => {
                let pos = args.str("position_relative_method").map(|m| Position {
                    before: m == "before_at",
                    relative_to: args.str("relative_to").map(str::to_string),
                });
                let (board, group) = store.create_group(
                    &board_id,
                    args.str("group_name").unwrap_or(""),
                    args.str("group_color"),
                    pos.as_ref(),
                )?;
                let group_id = store
                    .board(board)
                    .and_then(|b| b.groups.get(group))
                    .map(|g| g.id.clone())
                    .unwrap_or_default();
                return Ok(Ok(ResolvedValue::object(GroupObj {
                    st,
                    board,
                    group_id,
                })));
            }
            "delete_item" => store.delete_item(item_id.as_deref().unwrap_or(""), st.ctx.now)?,
            "archive_item" => store.archive_item(item_id.as_deref().unwrap_or(""), st.ctx.now)?,
            _ => {
                drop(store);
                return Ok(Err(st.not_served(&self.type_name, info)));
            }
        };
        Ok(Ok(ResolvedValue::object(ItemObj { st, id: item })))
    }
}

/// `update_status_column` / `update_dropdown_column`: the labels a client adds before a bulk
/// import (a job never creates labels); answers the updated `Column`.
fn column_labels<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    name: &str,
    args: &Args<'_>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let kind = if name == "update_status_column" {
        ColumnKind::Status
    } else {
        ColumnKind::Dropdown
    };
    let key_name = if kind == ColumnKind::Status {
        "index"
    } else {
        "id"
    };
    let settings = args.json("settings");
    let labels: Vec<crate::store::LabelUpdate> = settings
        .get("labels")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .map(|l| crate::store::LabelUpdate {
                    label: l
                        .get("label")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    key: l
                        .get(key_name)
                        .and_then(Value::as_u64)
                        .and_then(|k| u32::try_from(k).ok()),
                    color: l.get("color").and_then(Value::as_str).map(str::to_string),
                    deactivate: l.get("is_deactivated").and_then(Value::as_bool) == Some(true),
                })
                .collect()
        })
        .unwrap_or_default();
    let (board, col) = st.store.borrow_mut().update_labels(
        &args.id("board_id").unwrap_or_default(),
        args.str("id").unwrap_or(""),
        kind,
        args.str("revision").unwrap_or(""),
        args.str("title"),
        &labels,
    )?;
    Ok(ResolvedValue::object(ColumnObj { st, board, col }))
}

fn boards<'r, 's: 'r>(st: &'s ExecState<'s>, args: &Args<'_>) -> ResolvedValue<'r> {
    let store = st.store.borrow();
    let ids = args.ids("ids");
    let state = args.str("state").unwrap_or("active");
    let kind = args.str("board_kind");
    let limit = args.int("limit").unwrap_or(25).max(0) as usize;
    let page = args.int("page").unwrap_or(1).max(1) as usize;
    let selected: Vec<usize> = store
        .boards()
        .iter()
        .enumerate()
        .filter(|(_, b)| ids.as_ref().is_none_or(|ids| ids.contains(&b.id)))
        .filter(|(_, b)| kind.is_none_or(|k| b.kind == k))
        .filter(|_| matches!(state, "active" | "all"))
        .map(|(i, _)| i)
        .skip(limit.saturating_mul(page - 1))
        .take(limit)
        .collect();
    ResolvedValue::list(
        selected
            .into_iter()
            .map(move |idx| ResolvedValue::object(BoardObj { st, idx })),
    )
}

fn items<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    args: &Args<'_>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let limit = check_limit(args, 25, MAX_ITEMS_LIMIT)?;
    let page = args.int("page").unwrap_or(1).max(1) as usize;
    let store = st.store.borrow();
    let exclude_nonactive = args.bool("exclude_nonactive");
    let mut ids: Vec<u64> = match args.ids("ids") {
        Some(ids) => {
            let mut out: Vec<u64> = Vec::new();
            for id in ids.iter().filter_map(|i| i.parse::<u64>().ok()) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            out
        }
        None => store.all_item_ids(),
    };
    ids.retain(|id| {
        store.item(*id).is_some_and(|it| match it.state {
            ItemState::Active => true,
            ItemState::Archived => !exclude_nonactive,
            ItemState::Deleted => false,
        })
    });
    if args.bool("newest_first") {
        ids.sort_unstable_by(|a, b| b.cmp(a));
    }
    let page_ids: Vec<u64> = ids
        .into_iter()
        .skip(limit.saturating_mul(page - 1))
        .take(limit)
        .collect();
    st.count_read(page_ids.len());
    Ok(ResolvedValue::list(
        page_ids
            .into_iter()
            .map(move |id| ResolvedValue::object(ItemObj { st, id })),
    ))
}

/// One page of items plus the cursor of the next page (None at the end).
fn page<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    board_id: &str,
    group: Option<String>,
    filter: Filter,
    offset: usize,
    limit: usize,
    issued_at: u64,
) -> Result<ResolvedValue<'r>, ApiError> {
    let store = st.store.borrow();
    let board_idx = store
        .board_idx(board_id)
        .ok_or_else(|| ApiError::InvalidBoardId {
            board_id: board_id.to_string(),
        })?;
    let ids = store.select_items(board_idx, group.as_deref(), &filter)?;
    let end = offset.saturating_add(limit).min(ids.len());
    let items: Vec<u64> = ids.get(offset.min(end)..end).unwrap_or(&[]).to_vec();
    let cursor = (end < ids.len()).then(|| {
        CursorState {
            b: board_id.to_string(),
            g: group,
            f: filter,
            o: end,
            t: issued_at,
        }
        .encode()
    });
    st.count_read(items.len());
    Ok(ResolvedValue::object(ItemsResponseObj {
        st,
        cursor,
        items,
    }))
}

fn from_cursor<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    cursor: &str,
    limit: usize,
) -> Result<ResolvedValue<'r>, ApiError> {
    let c = CursorState::decode(cursor, st.ctx.now)?;
    page(st, &c.b, c.g, c.f, c.o, limit, c.t)
}

fn items_page<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    args: &Args<'_>,
    board_id: &str,
    group: Option<String>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let limit = check_limit(args, 25, MAX_PAGE_LIMIT)?;
    if let Some(cursor) = args.str("cursor") {
        return from_cursor(st, cursor, limit);
    }
    let filter = match args.json("query_params") {
        Value::Null => Filter::All,
        params => Filter::Params(params),
    };
    page(st, board_id, group, filter, 0, limit, st.ctx.now.as_secs())
}

fn items_page_by_column_values<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    args: &Args<'_>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let limit = check_limit(args, 25, MAX_PAGE_LIMIT)?;
    if let Some(cursor) = args.str("cursor") {
        return from_cursor(st, cursor, limit);
    }
    let board_id = args.id("board_id").unwrap_or_default();
    let columns: Vec<(String, Vec<String>)> = match args.json("columns") {
        Value::Array(cols) => cols
            .iter()
            .map(|c| {
                let id = c.get("column_id").and_then(Value::as_str).unwrap_or("");
                let values = match c.get("column_values") {
                    Some(Value::Array(vs)) => vs
                        .iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect(),
                    Some(Value::String(s)) => vec![s.clone()],
                    _ => Vec::new(),
                };
                (id.to_string(), values)
            })
            .collect(),
        _ => Vec::new(),
    };
    let filter = if columns.is_empty() {
        Filter::All
    } else {
        Filter::Columns(columns)
    };
    page(st, &board_id, None, filter, 0, limit, st.ctx.now.as_secs())
}

fn next_items_page<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    args: &Args<'_>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let limit = check_limit(args, 25, MAX_PAGE_LIMIT)?;
    from_cursor(st, args.str("cursor").unwrap_or(""), limit)
}

// ---------------------------------------------------------------------------------------------
// Object types

struct ComplexityObj(super::ComplexitySnapshot);

impl ObjectValue for ComplexityObj {
    fn type_name(&self) -> &str {
        "Complexity"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let c = self.0;
        Ok(leaf(match info.field_name() {
            "before" => clamp_int(c.before),
            "after" => clamp_int(c.after),
            "query" => clamp_int(c.query),
            "reset_in_x_seconds" => clamp_int(c.reset_in_x_seconds),
            _ => Value::Null,
        }))
    }
}

/// `Version { kind value display_name }`.
struct VersionObj {
    kind: &'static str,
    value: String,
}

/// The release candidate after [`crate::version::CURRENT_VERSION`].
const RELEASE_CANDIDATE: &str = "2027-01";

impl VersionObj {
    fn kind_of(value: &str) -> &'static str {
        let current = crate::version::CURRENT_VERSION;
        let maintenance = KNOWN_VERSIONS
            .iter()
            .rev()
            .find(|v| **v < current)
            .copied()
            .unwrap_or(current);
        if value == RELEASE_CANDIDATE {
            "release_candidate"
        } else if value == current {
            "current"
        } else if value == maintenance {
            "maintenance"
        } else {
            "deprecated"
        }
    }

    fn of(v: ApiVersion) -> Self {
        let value = v.to_string();
        Self {
            kind: Self::kind_of(&value),
            value,
        }
    }

    /// Release candidate, current, maintenance and the older known versions (deprecated).
    fn all() -> Vec<Self> {
        let mut out = vec![Self {
            kind: "release_candidate",
            value: RELEASE_CANDIDATE.to_string(),
        }];
        out.extend(KNOWN_VERSIONS.iter().rev().map(|v| Self {
            kind: Self::kind_of(v),
            value: (*v).to_string(),
        }));
        out
    }
}

impl ObjectValue for VersionObj {
    fn type_name(&self) -> &str {
        "Version"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        Ok(match info.field_name() {
            "kind" => string(self.kind),
            "value" => string(self.value.clone()),
            "display_name" => string(match self.kind {
                "release_candidate" => "Release Candidate",
                "current" => "Current",
                "maintenance" => "Maintenance",
                _ => "Deprecated",
            }),
            _ => ResolvedValue::null(),
        })
    }
}

struct BoardObj<'s> {
    st: &'s ExecState<'s>,
    idx: usize,
}

impl ObjectValue for BoardObj<'_> {
    fn type_name(&self) -> &str {
        "Board"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let st = self.st;
        let args = Args(info.arguments());
        let store = st.store.borrow();
        let Some(board) = store.board(self.idx) else {
            return Ok(ResolvedValue::null());
        };
        let idx = self.idx;
        Ok(match info.field_name() {
            "id" => string(board.id.clone()),
            "name" => string(board.name.clone()),
            "board_kind" => string(board.kind.clone()),
            "description" => leaf(json!(board.description)),
            "state" => string("active"),
            "url" => string(format!("{URL_BASE}/boards/{}", board.id)),
            "permissions" => string("everyone"),
            "access_level" => string("edit"),
            "item_terminology" => string("item"),
            "items_limit" => leaf(json!(st.ctx.items_limit_per_board)),
            "workspace_id" => string(WORKSPACE_ID.to_string()),
            "workspace" => ResolvedValue::object(WorkspaceObj { st }),
            "creator" | "owner" => ResolvedValue::object(UserObj { st }),
            "owners" | "subscribers" => {
                ResolvedValue::list(std::iter::once(ResolvedValue::object(UserObj { st })))
            }
            "created_at" => string(iso_time(std::time::Duration::ZERO)),
            "updated_at" => string(iso_time(
                board
                    .items
                    .iter()
                    .filter_map(|id| store.item(*id))
                    .map(|i| i.updated_at)
                    .max()
                    .unwrap_or_default(),
            )),
            "items_count" => leaf(json!(board
                .items
                .iter()
                .filter(|id| store
                    .item(**id)
                    .is_some_and(|i| i.state == ItemState::Active))
                .count())),
            "columns" => {
                let ids = args.strings("ids");
                let types = args.strings("types");
                let cols: Vec<usize> = board
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
                    .filter(|(_, c)| {
                        types
                            .as_ref()
                            .is_none_or(|t| t.iter().any(|t| t == c.kind.type_name()))
                    })
                    .map(|(i, _)| i)
                    .collect();
                ResolvedValue::list(cols.into_iter().map(move |col| {
                    ResolvedValue::object(ColumnObj {
                        st,
                        board: idx,
                        col,
                    })
                }))
            }
            "groups" => {
                let ids = args.strings("ids");
                let groups: Vec<String> = board
                    .groups
                    .iter()
                    .filter(|g| ids.as_ref().is_none_or(|ids| ids.contains(&g.id)))
                    .map(|g| g.id.clone())
                    .collect();
                ResolvedValue::list(groups.into_iter().map(move |group_id| {
                    ResolvedValue::object(GroupObj {
                        st,
                        board: idx,
                        group_id,
                    })
                }))
            }
            "top_group" => ResolvedValue::object(GroupObj {
                st,
                board: idx,
                group_id: board
                    .groups
                    .first()
                    .map(|g| g.id.clone())
                    .unwrap_or_default(),
            }),
            "items_page" => {
                let board_id = board.id.clone();
                drop(store);
                return items_page(st, &args, &board_id, None).map_err(|e| st.fail(e));
            }
            _ => fallback::resolve(st, "Board", info),
        })
    }
}

struct GroupObj<'s> {
    st: &'s ExecState<'s>,
    board: usize,
    group_id: String,
}

impl ObjectValue for GroupObj<'_> {
    fn type_name(&self) -> &str {
        "Group"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let st = self.st;
        let store = st.store.borrow();
        let Some(board) = store.board(self.board) else {
            return Ok(ResolvedValue::null());
        };
        let Some(group) = board.group(&self.group_id) else {
            return Ok(ResolvedValue::null());
        };
        Ok(match info.field_name() {
            "id" => string(group.id.clone()),
            "title" => string(group.title.clone()),
            "color" => string(group.color.clone()),
            "position" => string(group.position.clone()),
            "archived" | "deleted" => leaf(json!(false)),
            "items_page" => {
                let board_id = board.id.clone();
                drop(store);
                let args = Args(info.arguments());
                return items_page(st, &args, &board_id, Some(self.group_id.clone()))
                    .map_err(|e| st.fail(e));
            }
            _ => fallback::resolve(st, "Group", info),
        })
    }
}

struct ColumnObj<'s> {
    st: &'s ExecState<'s>,
    board: usize,
    col: usize,
}

impl ObjectValue for ColumnObj<'_> {
    fn type_name(&self) -> &str {
        "Column"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let store = self.st.store.borrow();
        let Some(col) = store
            .board(self.board)
            .and_then(|b| b.columns.get(self.col))
        else {
            return Ok(ResolvedValue::null());
        };
        Ok(match info.field_name() {
            "id" => string(col.id.clone()),
            "title" => string(col.title.clone()),
            "type" => string(col.kind.type_name()),
            "settings" => leaf(col.settings()),
            "settings_str" => string(col.settings().to_string()),
            "archived" => leaf(json!(false)),
            "revision" => string(col.revision.to_string()),
            "description" | "width" => ResolvedValue::null(),
            _ => fallback::resolve(self.st, "Column", info),
        })
    }
}

pub(crate) struct ItemObj<'s> {
    st: &'s ExecState<'s>,
    id: u64,
}

impl ObjectValue for ItemObj<'_> {
    fn type_name(&self) -> &str {
        "Item"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let st = self.st;
        let store = st.store.borrow();
        let Some(item) = store.item(self.id) else {
            return Ok(ResolvedValue::null());
        };
        let Some(board) = store.board(item.board) else {
            return Ok(ResolvedValue::null());
        };
        let board_idx = item.board;
        Ok(match info.field_name() {
            "id" => string(item.id.to_string()),
            "name" => string(item.name.clone()),
            "state" => string(item.state.as_str()),
            "created_at" => string(iso_time(item.created_at)),
            "updated_at" => string(iso_time(item.updated_at)),
            "url" => string(format!("{URL_BASE}/boards/{}/pulses/{}", board.id, item.id)),
            "relative_link" => string(format!("/boards/{}/pulses/{}", board.id, item.id)),
            "board" => ResolvedValue::object(BoardObj { st, idx: board_idx }),
            "group" => ResolvedValue::nullable_object(board.group(&item.group).map(|g| GroupObj {
                st,
                board: board_idx,
                group_id: g.id.clone(),
            })),
            "parent_item" => {
                ResolvedValue::nullable_object(item.parent.map(|id| ItemObj { st, id }))
            }
            "subitems" => {
                let subs: Vec<u64> = item
                    .subitems
                    .iter()
                    .copied()
                    .filter(|id| {
                        store
                            .item(*id)
                            .is_some_and(|s| s.state != ItemState::Deleted)
                    })
                    .collect();
                st.count_read(subs.len());
                ResolvedValue::list(
                    subs.into_iter()
                        .map(move |id| ResolvedValue::object(ItemObj { st, id })),
                )
            }
            "column_values" => {
                let args = Args(info.arguments());
                let ids = args.strings("ids");
                let types = args.strings("types");
                let cols: Vec<usize> = board
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.kind != ColumnKind::Name)
                    .filter(|(_, c)| ids.as_ref().is_none_or(|ids| ids.contains(&c.id)))
                    .filter(|(_, c)| {
                        types
                            .as_ref()
                            .is_none_or(|t| t.iter().any(|t| t == c.kind.type_name()))
                    })
                    .map(|(i, _)| i)
                    .collect();
                let item_id = self.id;
                let kinds: Vec<(usize, ColumnKind)> = cols
                    .into_iter()
                    .map(|i| (i, board.columns[i].kind))
                    .collect();
                ResolvedValue::list(kinds.into_iter().map(move |(col, kind)| {
                    ResolvedValue::object(ColumnValueObj {
                        st,
                        item: item_id,
                        board: board_idx,
                        col,
                        kind,
                    })
                }))
            }
            "creator" => ResolvedValue::object(UserObj { st }),
            "creator_id" => string(st.ctx.user_id.to_string()),
            "subscribers" => {
                ResolvedValue::list(std::iter::once(ResolvedValue::object(UserObj { st })))
            }
            _ => fallback::resolve(st, "Item", info),
        })
    }
}

/// A `ColumnValue` of one item; its GraphQL type follows the column type.
struct ColumnValueObj<'s> {
    st: &'s ExecState<'s>,
    item: u64,
    board: usize,
    col: usize,
    kind: ColumnKind,
}

impl<'s> ColumnValueObj<'s> {
    fn column<'b>(&self, store: &'b Store) -> Option<&'b ColumnDef> {
        store
            .board(self.board)
            .and_then(|b| b.columns.get(self.col))
    }
}

impl ObjectValue for ColumnValueObj<'_> {
    fn type_name(&self) -> &str {
        self.kind.value_type_name()
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let st = self.st;
        let store = st.store.borrow();
        let (Some(col), Some(item)) = (self.column(&store), store.item(self.item)) else {
            return Ok(ResolvedValue::null());
        };
        let cell = item.cells.get(&col.id);
        let subitems = || -> Vec<u64> {
            item.subitems
                .iter()
                .copied()
                .filter(|id| {
                    store
                        .item(*id)
                        .is_some_and(|s| s.state != ItemState::Deleted)
                })
                .collect()
        };
        let field = info.field_name();
        Ok(match field {
            "id" => string(col.id.clone()),
            "type" => string(col.kind.type_name()),
            "is_leaf" => leaf(json!(true)),
            "column" => ResolvedValue::object(ColumnObj {
                st,
                board: self.board,
                col: self.col,
            }),
            "text" if col.kind == ColumnKind::Subtasks => {
                string(store.subitem_names(item).join(", "))
            }
            "text" => string(read::text(col, cell)),
            "value" if col.kind == ColumnKind::Subtasks => ResolvedValue::null(),
            "value" => leaf(read::value_string(cell)),
            "values" => {
                let values = read::dropdown_values(col, cell);
                ResolvedValue::list(
                    values
                        .into_iter()
                        .map(|(id, label)| ResolvedValue::object(DropdownOptionObj { id, label })),
                )
            }
            "label_style" => match cell.map(|c| &c.value) {
                Some(crate::columns::CellValue::Status(i)) => {
                    ResolvedValue::object(LabelStyleObj(ColumnDef::label_color(*i)))
                }
                _ => ResolvedValue::null(),
            },
            "display_value" => string(store.subitem_names(item).join(", ")),
            "subitems_ids" => {
                ResolvedValue::list(subitems().into_iter().map(|id| string(id.to_string())))
            }
            "subitems" => {
                let subs = subitems();
                st.count_read(subs.len());
                ResolvedValue::list(
                    subs.into_iter()
                        .map(move |id| ResolvedValue::object(ItemObj { st, id })),
                )
            }
            _ => match read::typed_field(col, cell, field) {
                Some(v) => leaf(v),
                None => fallback::resolve(st, col.kind.value_type_name(), info),
            },
        })
    }
}

struct DropdownOptionObj {
    id: u32,
    label: String,
}

impl ObjectValue for DropdownOptionObj {
    fn type_name(&self) -> &str {
        "DropdownValueOption"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        Ok(match info.field_name() {
            "id" => string(self.id.to_string()),
            "label" => string(self.label.clone()),
            _ => ResolvedValue::null(),
        })
    }
}

struct LabelStyleObj(&'static str);

impl ObjectValue for LabelStyleObj {
    fn type_name(&self) -> &str {
        "StatusLabelStyle"
    }

    fn resolve_field<'a>(&'a self, _info: &'a ResolveInfo<'a>) -> Res<'a> {
        Ok(string(self.0))
    }
}

struct ItemsResponseObj<'s> {
    st: &'s ExecState<'s>,
    cursor: Option<String>,
    items: Vec<u64>,
}

impl ObjectValue for ItemsResponseObj<'_> {
    fn type_name(&self) -> &str {
        "ItemsResponse"
    }

    fn resolve_field<'a>(&'a self, info: &'a ResolveInfo<'a>) -> Res<'a> {
        let st = self.st;
        Ok(match info.field_name() {
            "cursor" => leaf(json!(self.cursor)),
            "items" => ResolvedValue::list(
                self.items
                    .iter()
                    .map(move |id| ResolvedValue::object(ItemObj { st, id: *id })),
            ),
            _ => fallback::resolve(st, "ItemsResponse", info),
        })
    }
}
