//! Reading the simulator's board items and checking exactly-once.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

/// The item list inside the admin board-items JSON (an array, or an object with `items`).
pub fn items_array(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The text of one column of an item (column_values as a map or as a list of `{id, text, value}`).
pub fn column_text(item: &Value, column: &str) -> Option<String> {
    let cvs = item.get("column_values")?;
    let cell = match cvs {
        Value::Object(m) => m.get(column)?.clone(),
        Value::Array(a) => a
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(column))?
            .clone(),
        _ => return None,
    };
    match &cell {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            if let Some(t) = o.get("text").and_then(Value::as_str) {
                return Some(t.to_string());
            }
            match o.get("value") {
                Some(Value::String(s)) => {
                    // Either a JSON-encoded string or plain text.
                    match serde_json::from_str::<Value>(s) {
                        Ok(Value::String(inner)) => Some(inner),
                        _ => Some(s.clone()),
                    }
                }
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            }
        }
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Order keys (`text_order_key`) of the items, in board order.
pub fn item_keys(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|it| column_text(it, "text_order_key").unwrap_or_default())
        .collect()
}

/// Checks exactly-once: one item per expected key, no duplicate, nothing extra. Returns
/// (duplicates, lost, unexpected) counts and panics with detail when any is non-zero.
pub fn assert_exactly_once(items: &[Value], expected: &[String]) {
    let keys = item_keys(items);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &keys {
        *seen.entry(k.as_str()).or_insert(0) += 1;
    }
    let duplicates: Vec<(&str, usize)> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, n)| (*k, *n))
        .collect();
    let expected_set: HashSet<&str> = expected.iter().map(String::as_str).collect();
    let lost: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|k| !seen.contains_key(k))
        .collect();
    let unexpected: Vec<&str> = seen
        .keys()
        .copied()
        .filter(|k| !expected_set.contains(k))
        .collect();
    assert!(
        duplicates.is_empty() && lost.is_empty() && unexpected.is_empty(),
        "exactly-once violated: {} items for {} records; duplicates {} (first {:?}), lost {} (first {:?}), unexpected {} (first {:?})",
        keys.len(),
        expected.len(),
        duplicates.len(),
        duplicates.iter().take(5).collect::<Vec<_>>(),
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>(),
        unexpected.len(),
        unexpected.iter().take(5).collect::<Vec<_>>(),
    );
    assert_eq!(keys.len(), expected.len());
}
