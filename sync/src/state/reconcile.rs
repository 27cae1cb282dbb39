//! Reconciliation: finding items by source key with `items_page_by_column_values` (paginated with
//! `next_items_page`), and what the findings mean. Used at start-up for records left `pending` by
//! a crash ([`resolve_pending`]), at the end of a run for ambiguous outcomes ([`confirmed_item`]),
//! and before creates when the state store was lost ([`crate::planning::verify`]).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::api::client::ApiClient;
use crate::api::payload::{query_body, Op};
use crate::error::SyncError;
use crate::observer::RequestKind;
use crate::state::PendingRow;

/// Creates left pending by an earlier run, against what the board holds: `(done, cleared)`:
/// `(key, item id, content hash)` rows for the records found (the oldest item when several carry
/// the key), and the keys of those not found (their pending mark goes; the run sends them).
#[allow(clippy::type_complexity)]
pub(crate) fn resolve_pending(
    creates: &[PendingRow],
    found: &HashMap<String, Vec<String>>,
) -> (Vec<(String, String, String)>, Vec<String>) {
    let mut done = vec![];
    let mut cleared = vec![];
    for p in creates {
        match found.get(&p.key).and_then(|ids| ids.first()) {
            Some(id) => {
                if found[&p.key].len() > 1 {
                    tracing::warn!(key = %p.key, items = found[&p.key].len(), "several items carry this key; keeping the oldest");
                }
                done.push((
                    p.key.clone(),
                    id.clone(),
                    p.pending_hash.clone().unwrap_or_default(),
                ));
            }
            None => cleared.push(p.key.clone()),
        }
    }
    (done, cleared)
}

/// The item a create with an unknown outcome made, if the board shows one for `key`. An update
/// with an unknown outcome is never confirmed this way (the item existed before).
pub(crate) fn confirmed_item(
    found: &HashMap<String, Vec<String>>,
    key: &str,
    op: &Op,
) -> Option<String> {
    match op {
        Op::Create { .. } => found.get(key).and_then(|ids| ids.first()).cloned(),
        Op::Update { .. } => None,
    }
}

/// Keys per lookup query.
pub(crate) const KEYS_PER_QUERY: usize = 100;
/// Most pages followed for one look-up (more than any board holds).
pub(crate) const MAX_PAGES: u64 = 10_000;
/// Page size (the API's maximum).
pub(crate) const PAGE_LIMIT: u64 = 500;

const FIRST: &str = "query ($b: ID!, $cols: [ItemsPageByColumnValuesQuery!], $l: Int!, $ids: [String!]) { items_page_by_column_values(board_id: $b, columns: $cols, limit: $l) { cursor items { id column_values(ids: $ids) { id text } } } }";
const NEXT: &str = "query ($c: String!, $l: Int!, $ids: [String!]) { next_items_page(cursor: $c, limit: $l) { cursor items { id column_values(ids: $ids) { id text } } } }";

/// Item ids on the board for each of `keys` (exact match on the key column's text). Keys not on the
/// board are absent from the map; a key with several items lists them all (lowest id first).
pub(crate) async fn find_items_by_key(
    client: &ApiClient,
    board_id: &str,
    key_column: &str,
    keys: &[String],
) -> Result<HashMap<String, Vec<String>>, SyncError> {
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    for (n, chunk) in keys.chunks(KEYS_PER_QUERY).enumerate() {
        let wanted: std::collections::HashSet<&str> = chunk.iter().map(String::as_str).collect();
        let mut vars = Map::new();
        vars.insert("b".into(), json!(board_id));
        vars.insert(
            "cols".into(),
            json!([{ "column_id": key_column, "column_values": chunk }]),
        );
        vars.insert("l".into(), json!(PAGE_LIMIT));
        vars.insert("ids".into(), json!([key_column]));
        let mut data = client
            .read(
                query_body(FIRST, vars),
                RequestKind::Reconcile,
                1 << 40 | n as u64,
            )
            .await?;
        let mut field = "items_page_by_column_values";
        let mut pages = 0u64;
        loop {
            let page = data.get(field).cloned().unwrap_or(Value::Null);
            for item in page
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = match item.get("id") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => continue,
                };
                let text = item
                    .get("column_values")
                    .and_then(Value::as_array)
                    .and_then(|cvs| {
                        cvs.iter()
                            .find(|cv| cv.get("id").and_then(Value::as_str) == Some(key_column))
                    })
                    .and_then(|cv| cv.get("text"))
                    .and_then(Value::as_str);
                if let Some(t) = text.filter(|t| wanted.contains(t)) {
                    found.entry(t.to_string()).or_default().push(id);
                }
            }
            let cursor = page
                .get("cursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty());
            let Some(cursor) = cursor else { break };
            pages += 1;
            if pages > MAX_PAGES {
                return Err(SyncError::TooManyPages { pages: MAX_PAGES });
            }
            let mut vars = Map::new();
            vars.insert("c".into(), json!(cursor));
            vars.insert("l".into(), json!(PAGE_LIMIT));
            vars.insert("ids".into(), json!([key_column]));
            data = client
                .read(
                    query_body(NEXT, vars),
                    RequestKind::Reconcile,
                    2 << 40 | pages,
                )
                .await?;
            field = "next_items_page";
        }
    }
    for ids in found.values_mut() {
        ids.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, ids)| (k.to_string(), ids.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn only_creates_are_confirmed_by_a_look_up() {
        let on_board = found(&[("A", &["5", "6"])]);
        let c = Op::Create { group_id: None };
        let u = Op::Update {
            item_id: "5".into(),
        };
        assert_eq!(confirmed_item(&on_board, "A", &c), Some("5".into()));
        assert_eq!(confirmed_item(&on_board, "B", &c), None);
        assert_eq!(confirmed_item(&on_board, "A", &u), None);
    }
}
