//! The labels a run's jobs need, added to their columns before the jobs start: a bulk import
//! never creates status or dropdown labels (docs/monday-bulk-import.md §2.4), so a column with
//! `create_labels_if_missing = true` keeps its meaning on the job path only if its missing labels
//! exist before the upload.
//!
//! One request per column, whatever the number of labels or records: `update_dropdown_column` /
//! `update_status_column` (API 2025-10 on,
//! https://developer.monday.com/api-reference/changelog/new-mutations-to-update-dropdown-and-status-columns)
//! with the column's `revision`, read just before (one read for all the columns). The update
//! lists only the new labels (the simulator keeps the labels an update does not list; see
//! mock-monday/README.md). A status label needs an `index` and a `color`: the smallest index the
//! column does not use, and the colour at that index in the schema's `StatusColumnColors` order.
//!
//! When an update is refused, the column is read again: a changed `revision` means another
//! writer came between the read and the update, so the update is sent again with the new
//! revision (labels someone else added meanwhile are not added twice), up to [`MAX_TRIES`]
//! times. An unchanged revision means the column refused the labels themselves (a status
//! column that is full, a permission): the column's labels are not added and its records go as
//! `create_item` batches with `create_labels_if_missing: true`, where the API names the reason
//! per record, as before jobs existed. No decision here reads an error's wording.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::api::client::{ApiClient, Call, CallEnd, CallState};
use crate::api::payload::query_body;
use crate::mapping::config::{ColumnKind, MUTATION_COMPLEXITY};
use crate::observer::RequestKind;

/// Updates tried per column while other writers keep changing it.
pub(crate) const MAX_TRIES: u32 = 3;

const READ: &str = "query ($b: [ID!], $c: [String]) { boards(ids: $b) { columns(ids: $c) { id revision settings } } }";
const DROPDOWN: &str = "mutation ($b: ID!, $c: String!, $r: String!, $s: UpdateDropdownColumnSettingsInput!) { update_dropdown_column(board_id: $b, id: $c, revision: $r, settings: $s) { id revision } }";
const STATUS: &str = "mutation ($b: ID!, $c: String!, $r: String!, $s: UpdateStatusColumnSettingsInput!) { update_status_column(board_id: $b, id: $c, revision: $r, settings: $s) { id revision } }";

/// `StatusColumnColors` in the schema's order (API 2026-10): a new status label at index `i`
/// takes colour `i % 40`.
const STATUS_COLORS: [&str; 40] = [
    "working_orange",
    "done_green",
    "stuck_red",
    "dark_blue",
    "purple",
    "explosive",
    "grass_green",
    "bright_blue",
    "saladish",
    "egg_yolk",
    "blackish",
    "dark_red",
    "sofia_pink",
    "lipstick",
    "dark_purple",
    "bright_green",
    "chili_blue",
    "american_gray",
    "brown",
    "dark_orange",
    "sunset",
    "bubble",
    "peach",
    "berry",
    "winter",
    "river",
    "navy",
    "aquamarine",
    "indigo",
    "dark_indigo",
    "pecan",
    "lavender",
    "royal",
    "steel",
    "orchid",
    "lilac",
    "tan",
    "sky",
    "coffee",
    "teal",
];

/// The labels to add: column id -> (its kind, the labels).
pub(crate) type Wanted = BTreeMap<String, (ColumnKind, BTreeSet<String>)>;

/// What the labels step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LabelsOutcome {
    /// Column id -> labels this run added to it.
    pub added: BTreeMap<String, Vec<String>>,
    /// Column id -> why its labels were not added (its records go as batches).
    pub refused: BTreeMap<String, String>,
}

/// A column as read just before its update.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnNow {
    revision: String,
    /// (status index or dropdown id when given, label text).
    labels: Vec<(Option<u64>, String)>,
}

/// Add `wanted` to the board's columns: one update per column (more only when another writer
/// changed the column in between). `seq` names the requests' idempotency keys.
pub(crate) async fn add_missing(client: &ApiClient, wanted: &Wanted, seq: u64) -> LabelsOutcome {
    let mut out = LabelsOutcome::default();
    if wanted.is_empty() {
        return out;
    }
    let ids: Vec<&str> = wanted.keys().map(String::as_str).collect();
    let mut now = match read_columns(client, &ids, seq << 8).await {
        Ok(n) => n,
        Err(why) => {
            for id in wanted.keys() {
                out.refused.insert(id.clone(), why.clone());
            }
            return out;
        }
    };
    for (n, (id, (kind, labels))) in wanted.iter().enumerate() {
        let stream = seq << 8 | (n as u64 + 1) << 3;
        match add_to_column(client, id, *kind, labels, now.remove(id), stream).await {
            Ok(added) => {
                tracing::info!(column = %id, labels = added.len(), "labels added before the job");
                out.added.insert(id.clone(), added);
            }
            Err(why) => {
                tracing::warn!(column = %id, %why, "labels could not be added; their records go as batches");
                out.refused.insert(id.clone(), why);
            }
        }
    }
    out
}

/// Add `labels` to column `id` (read as `first`): the labels it still lacks, in one update,
/// again after a stale revision. Returns the labels added.
async fn add_to_column(
    client: &ApiClient,
    id: &str,
    kind: ColumnKind,
    labels: &BTreeSet<String>,
    first: Option<ColumnNow>,
    stream: u64,
) -> Result<Vec<String>, String> {
    let mut col = first.ok_or_else(|| format!("column `{id}` was not found on the board"))?;
    let mut last_error = String::new();
    for round in 0..MAX_TRIES as u64 {
        if round > 0 {
            let again = read_columns(client, &[id], stream | round)
                .await?
                .remove(id)
                .ok_or_else(|| format!("column `{id}` was not found on the board"))?;
            if again.revision == col.revision {
                // Not stale: the column refused these labels.
                return Err(last_error);
            }
            col = again;
        }
        let missing: Vec<&String> = labels
            .iter()
            .filter(|l| !col.labels.iter().any(|(_, have)| have == *l))
            .collect();
        if missing.is_empty() {
            return Ok(vec![]);
        }
        match update(client, id, kind, &col, &missing, stream | round).await {
            Ok(()) => return Ok(missing.into_iter().cloned().collect()),
            Err(why) => {
                tracing::debug!(column = %id, revision = %col.revision, %why, "label update refused; reading the column again");
                last_error = why;
            }
        }
    }
    Err(format!(
        "column `{id}` changed under every one of {MAX_TRIES} updates ({last_error})"
    ))
}

/// The settings of one update: the new labels only (status: each with a free index and its
/// colour).
fn settings(kind: ColumnKind, col: &ColumnNow, missing: &[&String]) -> Value {
    if kind != ColumnKind::Status {
        let labels: Vec<Value> = missing.iter().map(|l| json!({ "label": l })).collect();
        return json!({ "labels": labels });
    }
    let mut used: BTreeSet<u64> = col.labels.iter().filter_map(|(i, _)| *i).collect();
    let mut labels = Vec::with_capacity(missing.len());
    for l in missing {
        let index = (0..).find(|i| !used.contains(i)).unwrap_or(0);
        used.insert(index);
        let color = STATUS_COLORS[(index % STATUS_COLORS.len() as u64) as usize];
        labels.push(json!({ "label": l, "index": index, "color": color }));
    }
    json!({ "labels": labels })
}

/// One `update_*_column`: `Ok` when the answer carries the column's new revision, else why not
/// (the error's code and message, for the record failures of a refused column).
async fn update(
    client: &ApiClient,
    id: &str,
    kind: ColumnKind,
    col: &ColumnNow,
    missing: &[&String],
    stream: u64,
) -> Result<(), String> {
    let (query, field) = match kind {
        ColumnKind::Status => (STATUS, "update_status_column"),
        _ => (DROPDOWN, "update_dropdown_column"),
    };
    let mut vars = Map::new();
    vars.insert("b".into(), json!(client.board_id));
    vars.insert("c".into(), json!(id));
    vars.insert("r".into(), json!(col.revision));
    vars.insert("s".into(), settings(kind, col, missing));
    let body = Bytes::from(query_body(query, vars));
    let call = Call {
        kind: RequestKind::Labels,
        key: Some(client.request_key("labels", stream, 0, &body)),
        body,
        aliases: &[],
        cost: MUTATION_COMPLEXITY,
        records: 0,
    };
    let mut st = CallState::new(client.seed, 1 << 43 | stream);
    match client.call(&call, &mut st).await {
        CallEnd::Settled { response, .. } => {
            let v: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let answered = v
                .pointer(&format!("/data/{field}/revision"))
                .is_some_and(|r| !r.is_null());
            if answered {
                Ok(())
            } else {
                Err(first_error(&v))
            }
        }
        CallEnd::GiveUp { last, .. } | CallEnd::Fatal(last) => Err(last
            .into_error(RequestKind::Labels, &client.board_id, st.attempt)
            .to_string()),
        CallEnd::Split => Err("the label update is over the complexity cap".into()),
    }
}

fn first_error(v: &Value) -> String {
    let e = v.pointer("/errors/0");
    let text = |k: &str| {
        e.and_then(|e| e.pointer(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    format!("{}: {}", text("/extensions/code"), text("/message"))
}

/// Read `ids`' revisions and labels in one query.
async fn read_columns(
    client: &ApiClient,
    ids: &[&str],
    stream: u64,
) -> Result<BTreeMap<String, ColumnNow>, String> {
    let mut vars = Map::new();
    vars.insert("b".into(), json!([client.board_id]));
    vars.insert("c".into(), json!(ids));
    let data = client
        .read(
            query_body(READ, vars),
            RequestKind::BoardRead,
            1 << 44 | stream,
        )
        .await
        .map_err(|e| e.to_string())?;
    let columns = data
        .pointer("/boards/0/columns")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(columns
        .iter()
        .filter_map(|c| {
            let id = c.get("id")?.as_str()?.to_string();
            let revision = match c.get("revision")? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            let labels = label_entries(c.get("settings").unwrap_or(&Value::Null));
            Some((id, ColumnNow { revision, labels }))
        })
        .collect())
}

/// The labels in a column's `settings` (an object or a JSON string of one): status
/// `{"labels": {"0": "New", ...}}` (index -> text), or an array of `{"id"|"index": n,
/// "name"|"label": text}` (dropdown, and status in the typed settings).
fn label_entries(settings: &Value) -> Vec<(Option<u64>, String)> {
    let parsed;
    let settings = match settings {
        Value::String(t) => {
            parsed = serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
            &parsed
        }
        v => v,
    };
    let num = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    match settings.get("labels") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.parse().ok(), v.as_str()?.to_string())))
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|l| {
                let text = ["name", "label"]
                    .iter()
                    .find_map(|k| l.get(*k).and_then(Value::as_str))?;
                let key = num(l.get("index")).or_else(|| num(l.get("id")));
                Some((key, text.to_string()))
            })
            .collect(),
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_read_in_both_shapes() {
        let status = json!({"labels": {"0": "New", "7": "Backordered"}});
        assert_eq!(
            label_entries(&status),
            [
                (Some(0), "New".to_string()),
                (Some(7), "Backordered".into())
            ]
        );
        let dropdown = json!({"labels": [{"id": 1, "name": "XS"}, {"id": 6, "name": "XXL"}]});
        assert_eq!(
            label_entries(&Value::String(dropdown.to_string())),
            [(Some(1), "XS".to_string()), (Some(6), "XXL".into())]
        );
    }

    #[test]
    fn new_status_labels_take_free_indexes_and_their_colours() {
        let col = ColumnNow {
            revision: "3".into(),
            labels: vec![(Some(0), "New".into()), (Some(1), "Done".into())],
        };
        let (a, b) = ("Lost".to_string(), "Late".to_string());
        let s = settings(ColumnKind::Status, &col, &[&a, &b]);
        assert_eq!(
            s,
            json!({"labels": [
                {"label": "Lost", "index": 2, "color": "stuck_red"},
                {"label": "Late", "index": 3, "color": "dark_blue"}
            ]})
        );
        let d = settings(ColumnKind::Dropdown, &col, &[&a]);
        assert_eq!(d, json!({"labels": [{"label": "Lost"}]}));
    }
}
