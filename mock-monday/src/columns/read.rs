//! Read side: the `text` a board shows, the stored `value` JSON, and typed fields.

use serde_json::{json, Value};

use super::{Cell, CellValue, ColumnDef};
use crate::clock::iso_time;

/// What a real board shows in `text` (empty string for an empty column).
///
/// status: the label; dropdown: labels joined with ", "; date: `YYYY-MM-DD` (plus ` HH:MM:SS`
/// when a time was given); numbers: as given; checkbox: `v`; link: `text - url`; email: its
/// text (the address unless a text was given); phone: the number; timeline: `from - to`.
pub fn text(col: &ColumnDef, cell: Option<&Cell>) -> String {
    let Some(cell) = cell else {
        return String::new();
    };
    match &cell.value {
        CellValue::Text(s) | CellValue::LongText(s) | CellValue::Number(s) => s.clone(),
        CellValue::Status(i) => col.labels.get(i).cloned().unwrap_or_default(),
        CellValue::Dropdown(ids) => ids
            .iter()
            .filter_map(|i| col.labels.get(i).map(String::as_str))
            .collect::<Vec<_>>()
            .join(", "),
        CellValue::Date { date, time } => match time {
            Some(t) => format!("{date} {t}"),
            None => date.clone(),
        },
        CellValue::Email { text, .. } => text.clone(),
        CellValue::Phone { phone, .. } => phone.clone(),
        CellValue::Link { url, text } => format!("{text} - {url}"),
        CellValue::Checkbox => "v".to_string(),
        CellValue::Timeline { from, to } => format!("{from} - {to}"),
    }
}

/// The stored value as a JSON object/string (before it is encoded into the `value` string).
pub fn value_object(cell: &Cell) -> Value {
    let changed_at = iso_time(cell.changed_at);
    match &cell.value {
        CellValue::Text(s) | CellValue::Number(s) => Value::String(s.clone()),
        CellValue::LongText(s) => json!({"text": s, "changed_at": changed_at}),
        CellValue::Status(i) => json!({"index": i, "post_id": null, "changed_at": changed_at}),
        CellValue::Dropdown(ids) => json!({"ids": ids, "changed_at": changed_at}),
        CellValue::Date { date, time } => match time {
            Some(t) => json!({"date": date, "time": t, "icon": null, "changed_at": changed_at}),
            None => json!({"date": date, "icon": null, "changed_at": changed_at}),
        },
        CellValue::Email { email, text } => {
            json!({"email": email, "text": text, "changed_at": changed_at})
        }
        CellValue::Phone { phone, country } => {
            json!({"phone": phone, "countryShortName": country, "changed_at": changed_at})
        }
        CellValue::Link { url, text } => {
            json!({"url": url, "text": text, "changed_at": changed_at})
        }
        CellValue::Checkbox => json!({"checked": "true", "changed_at": changed_at}),
        CellValue::Timeline { from, to } => {
            json!({"from": from, "to": to, "changed_at": changed_at})
        }
    }
}

/// `ColumnValue.value`: the stored JSON encoded as a string, or null when empty.
pub fn value_string(cell: Option<&Cell>) -> Value {
    match cell {
        Some(cell) => Value::String(value_object(cell).to_string()),
        None => Value::Null,
    }
}

/// Type-specific fields of the `ColumnValue` implementations (`label`, `date`, `url` ...).
/// Returns None for a field this column type does not have (the caller reports it).
pub fn typed_field(col: &ColumnDef, cell: Option<&Cell>, field: &str) -> Option<Value> {
    let v = cell.map(|c| &c.value);
    let changed = cell.map(|c| Value::String(iso_time(c.changed_at)));
    let s = |x: &str| Value::String(x.to_string());
    Some(match (field, v) {
        ("updated_at", _) => changed.unwrap_or(Value::Null),
        ("label", Some(CellValue::Status(i))) => col.labels.get(i).map_or(Value::Null, |l| s(l)),
        ("label", Some(CellValue::Email { text, .. })) => s(text),
        ("index", Some(CellValue::Status(i))) => json!(i),
        ("is_done", Some(CellValue::Status(i))) => {
            json!(col.labels.get(i).is_some_and(|l| l == "Done"))
        }
        ("number", Some(CellValue::Number(n))) => {
            n.parse::<f64>().ok().map_or(Value::Null, |f| json!(f))
        }
        ("symbol", _) if col.kind == super::ColumnKind::Numbers => s(""),
        ("date", Some(CellValue::Date { date, .. })) => s(date),
        ("time", Some(CellValue::Date { time, .. })) => time.as_deref().map_or(Value::Null, s),
        ("email", Some(CellValue::Email { email, .. })) => s(email),
        ("phone", Some(CellValue::Phone { phone, .. })) => s(phone),
        ("country_short_name", Some(CellValue::Phone { country, .. })) => s(country),
        ("url", Some(CellValue::Link { url, .. })) => s(url),
        ("url_text", Some(CellValue::Link { text, .. })) => s(text),
        ("checked", v) if col.kind == super::ColumnKind::Checkbox => {
            json!(matches!(v, Some(CellValue::Checkbox)))
        }
        ("from", Some(CellValue::Timeline { from, .. })) => s(from),
        ("to", Some(CellValue::Timeline { to, .. })) => s(to),
        (
            "label" | "index" | "is_done" | "number" | "date" | "time" | "icon" | "email" | "phone"
            | "country_short_name" | "url" | "url_text" | "from" | "to" | "direction"
            | "visualization_type" | "update_id" | "label_style",
            _,
        ) => Value::Null,
        _ => return None,
    })
}

/// Dropdown `values { id label }`.
pub fn dropdown_values(col: &ColumnDef, cell: Option<&Cell>) -> Vec<(u32, String)> {
    match cell.map(|c| &c.value) {
        Some(CellValue::Dropdown(ids)) => ids
            .iter()
            .filter_map(|i| col.labels.get(i).map(|l| (*i, l.clone())))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::ColumnKind;
    use std::time::Duration;

    fn cell(value: CellValue) -> Cell {
        Cell {
            value,
            changed_at: Duration::from_secs(5),
        }
    }

    #[test]
    fn texts_like_a_board_shows_them() {
        let dd = ColumnDef::new("d", "D", ColumnKind::Dropdown).with_labels(&[(1, "S"), (2, "M")]);
        assert_eq!(
            text(&dd, Some(&cell(CellValue::Dropdown(vec![2, 1])))),
            "M, S"
        );
        let link = ColumnDef::new("l", "L", ColumnKind::Link);
        let c = cell(CellValue::Link {
            url: "https://x.example".into(),
            text: "X".into(),
        });
        assert_eq!(text(&link, Some(&c)), "X - https://x.example");
        let cb = ColumnDef::new("c", "C", ColumnKind::Checkbox);
        assert_eq!(text(&cb, Some(&cell(CellValue::Checkbox))), "v");
        assert_eq!(text(&cb, None), "");
        assert_eq!(value_string(None), Value::Null);
    }

    #[test]
    fn value_is_a_json_string_with_changed_at() {
        let v = value_string(Some(&cell(CellValue::Status(2))));
        let parsed: Value = serde_json::from_str(v.as_str().unwrap()).unwrap();
        assert_eq!(parsed["index"], 2);
        assert_eq!(parsed["changed_at"], "2026-01-01T00:00:05Z");
    }
}
