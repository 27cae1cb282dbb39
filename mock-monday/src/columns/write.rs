//! Write formats (docs/monday-api.md §5.2): the JSON value of one column inside `column_values` /
//! `change_column_value.value`, and the plain-string form of `change_simple_column_value`.
//!
//! | type | JSON | simple string |
//! |---|---|---|
//! | text | `"abc"` (numbers/booleans are stringified, objects rejected) | `abc` |
//! | long_text | `{"text": "..."}` or `"..."` | the text |
//! | numbers | `"42.5"` or `42.5` | `42.5` |
//! | status | `{"label": "Done"}`, `{"index": 1}` or `"Done"` | the label |
//! | dropdown | `{"labels": [..]}`, `{"ids": [..]}` or `"a,b"` | `a,b` |
//! | date | `{"date": "YYYY-MM-DD", "time": "HH:MM:SS"}` or `"YYYY-MM-DD"` | `YYYY-MM-DD[ HH:MM:SS]` |
//! | email | `{"email": .., "text": ..}` | `email text` |
//! | phone | `{"phone": .., "countryShortName": "US"}` | `phone COUNTRY` |
//! | link | `{"url": .., "text": ..}` | `url text` |
//! | checkbox | `{"checked": "true"}` (string or bool) | `true` / `false` |
//! | timeline | `{"from": .., "to": ..}` | `from to` |
//!
//! `null` (and `""`, `{}`) clears a column. Unknown status/dropdown labels fail with the documented
//! message unless `create_labels_if_missing`, which allocates new labels.

use serde_json::Value;

use super::{
    CellValue, ColumnDef, ColumnKind, ColumnValueError, INVALID_VALUE_MESSAGE,
    MISSING_LABEL_MESSAGE, SIMPLE_NOT_SUPPORTED_MESSAGE,
};

/// A validated write: the new value (None = clear) and labels to add to the column first.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub value: Option<CellValue>,
    pub new_labels: Vec<(u32, String)>,
}

impl Parsed {
    fn set(value: CellValue) -> Self {
        Self {
            value: Some(value),
            new_labels: Vec::new(),
        }
    }

    fn clear() -> Self {
        Self {
            value: None,
            new_labels: Vec::new(),
        }
    }
}

struct Ctx<'a> {
    col: &'a ColumnDef,
    raw: &'a Value,
}

impl Ctx<'_> {
    fn invalid(&self) -> ColumnValueError {
        self.err(INVALID_VALUE_MESSAGE.to_string())
    }

    fn err(&self, message: String) -> ColumnValueError {
        let column_value = match self.raw {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        ColumnValueError {
            message,
            column_value,
            column_type: self.col.kind.internal_type(),
        }
    }
}

/// Validates the JSON write form of one column value.
pub fn parse_json(
    col: &ColumnDef,
    raw: &Value,
    create_labels: bool,
) -> Result<Parsed, ColumnValueError> {
    let cx = Ctx { col, raw };
    if raw.is_null() || raw.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(Parsed::clear());
    }
    if let Value::String(s) = raw {
        if s.is_empty() {
            return Ok(Parsed::clear());
        }
    }
    match col.kind {
        ColumnKind::Name | ColumnKind::Text => match scalar_string(raw) {
            Some(s) => Ok(Parsed::set(CellValue::Text(s))),
            None => Err(cx.invalid()),
        },
        ColumnKind::LongText => {
            let text = match raw {
                Value::Object(o) => o.get("text").and_then(scalar_string),
                other => scalar_string(other),
            };
            match text {
                Some(t) if t.is_empty() => Ok(Parsed::clear()),
                Some(t) => Ok(Parsed::set(CellValue::LongText(t))),
                None => Err(cx.invalid()),
            }
        }
        ColumnKind::Numbers => {
            let s = match raw {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_string(),
                _ => return Err(cx.invalid()),
            };
            number(&cx, &s)
        }
        ColumnKind::Status => match raw {
            Value::String(label) => status_label(&cx, label, create_labels),
            Value::Number(_) => status_index(&cx, raw),
            Value::Object(o) => {
                if let Some(index) = o.get("index").filter(|v| !v.is_null()) {
                    status_index(&cx, index)
                } else if let Some(Value::String(label)) = o.get("label") {
                    status_label(&cx, label, create_labels)
                } else {
                    Err(cx.invalid())
                }
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Dropdown => match raw {
            Value::String(s) => dropdown_labels(&cx, split_labels(s), create_labels),
            Value::Object(o) => {
                if let Some(ids) = o.get("ids").filter(|v| !v.is_null()) {
                    dropdown_ids(&cx, ids)
                } else if let Some(labels) = o.get("labels").filter(|v| !v.is_null()) {
                    let labels = match labels {
                        Value::Array(items) => items
                            .iter()
                            .map(|v| scalar_string(v).ok_or_else(|| cx.invalid()))
                            .collect::<Result<Vec<_>, _>>()?,
                        Value::String(s) => split_labels(s),
                        _ => return Err(cx.invalid()),
                    };
                    dropdown_labels(&cx, labels, create_labels)
                } else {
                    Err(cx.invalid())
                }
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Date => match raw {
            Value::String(s) => date_simple(&cx, s),
            Value::Object(o) => {
                let date = o.get("date").and_then(Value::as_str).unwrap_or("");
                if date.is_empty() {
                    return Ok(Parsed::clear());
                }
                let time = o
                    .get("time")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty());
                date_parts(&cx, date, time)
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Email => match raw {
            Value::String(s) => email_simple(&cx, s),
            Value::Object(o) => {
                let email = o.get("email").and_then(Value::as_str).unwrap_or("");
                let text = o.get("text").and_then(scalar_string).unwrap_or_default();
                email_parts(&cx, email, &text)
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Phone => match raw {
            Value::String(s) => phone_simple(&cx, s),
            Value::Object(o) => {
                let phone = o.get("phone").and_then(scalar_string).unwrap_or_default();
                let country = o
                    .get("countryShortName")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                phone_parts(&cx, &phone, country)
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Link => match raw {
            Value::String(s) => link_simple(&cx, s),
            Value::Object(o) => {
                let url = o.get("url").and_then(Value::as_str).unwrap_or("");
                let text = o.get("text").and_then(scalar_string).unwrap_or_default();
                link_parts(&cx, url, &text)
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Checkbox => {
            let flag = match raw {
                Value::Object(o) => o.get("checked").cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            checkbox(&cx, &flag)
        }
        ColumnKind::Timeline => match raw {
            Value::String(s) => timeline_simple(&cx, s),
            Value::Object(o) => {
                let from = o.get("from").and_then(Value::as_str).unwrap_or("");
                let to = o.get("to").and_then(Value::as_str).unwrap_or("");
                timeline_parts(&cx, from, to)
            }
            _ => Err(cx.invalid()),
        },
        ColumnKind::Subtasks => Err(cx.invalid()),
    }
}

/// Validates the simple-string form of `change_simple_column_value` (None clears). Checkbox
/// columns take no simple strings ("Simple string updates are not supported",
/// developer.monday.com checkbox reference): any simple write to one is a
/// `ColumnValueException`.
pub fn parse_simple(
    col: &ColumnDef,
    raw: Option<&str>,
    create_labels: bool,
) -> Result<Parsed, ColumnValueError> {
    let raw_value = raw.map_or(Value::Null, |t| Value::String(t.to_string()));
    let cx = Ctx {
        col,
        raw: &raw_value,
    };
    if matches!(col.kind, ColumnKind::Checkbox | ColumnKind::Subtasks) {
        return Err(cx.err(SIMPLE_NOT_SUPPORTED_MESSAGE.to_string()));
    }
    let Some(text) = raw else {
        return Ok(Parsed::clear());
    };
    if text.is_empty() {
        return Ok(Parsed::clear());
    }
    match col.kind {
        ColumnKind::Name | ColumnKind::Text => Ok(Parsed::set(CellValue::Text(text.to_string()))),
        ColumnKind::LongText => Ok(Parsed::set(CellValue::LongText(text.to_string()))),
        ColumnKind::Numbers => number(&cx, text.trim()),
        ColumnKind::Status => status_label(&cx, text, create_labels),
        ColumnKind::Dropdown => dropdown_labels(&cx, split_labels(text), create_labels),
        ColumnKind::Date => date_simple(&cx, text),
        ColumnKind::Email => email_simple(&cx, text),
        ColumnKind::Phone => phone_simple(&cx, text),
        ColumnKind::Link => link_simple(&cx, text),
        ColumnKind::Timeline => timeline_simple(&cx, text),
        ColumnKind::Checkbox | ColumnKind::Subtasks => {
            Err(cx.err(SIMPLE_NOT_SUPPORTED_MESSAGE.to_string()))
        }
    }
}

/// Strings as-is; numbers and booleans stringified; anything else rejected.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn split_labels(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn number(cx: &Ctx<'_>, s: &str) -> Result<Parsed, ColumnValueError> {
    if s.is_empty() {
        return Ok(Parsed::clear());
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && !s.contains(['e', 'E', 'i', 'n', 'N']) => {
            Ok(Parsed::set(CellValue::Number(s.to_string())))
        }
        _ => Err(cx.invalid()),
    }
}

fn status_index(cx: &Ctx<'_>, v: &Value) -> Result<Parsed, ColumnValueError> {
    let index = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match index.and_then(|i| u32::try_from(i).ok()) {
        Some(i) if cx.col.labels.contains_key(&i) => Ok(Parsed::set(CellValue::Status(i))),
        Some(_) => Err(cx.err(MISSING_LABEL_MESSAGE.to_string())),
        None => Err(cx.invalid()),
    }
}

fn status_label(cx: &Ctx<'_>, label: &str, create: bool) -> Result<Parsed, ColumnValueError> {
    let label = label.trim();
    if label.is_empty() {
        return Ok(Parsed::clear());
    }
    if let Some(i) = cx.col.find_label(label) {
        return Ok(Parsed::set(CellValue::Status(i)));
    }
    if !create {
        return Err(cx.err(MISSING_LABEL_MESSAGE.to_string()));
    }
    if cx.col.labels.len() >= super::MAX_STATUS_LABELS {
        return Err(cx.err(format!(
            "label '{label}' cannot be created: a status column holds at most {} labels",
            super::MAX_STATUS_LABELS
        )));
    }
    let index = cx.col.next_label_id(&[]);
    Ok(Parsed {
        value: Some(CellValue::Status(index)),
        new_labels: vec![(index, label.to_string())],
    })
}

fn dropdown_ids(cx: &Ctx<'_>, ids: &Value) -> Result<Parsed, ColumnValueError> {
    let items: Vec<&Value> = match ids {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out: Vec<u32> = Vec::new();
    for item in items {
        let id = match item {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| cx.invalid())?;
        if !cx.col.labels.contains_key(&id) {
            return Err(cx.err(missing_dropdown_message(cx.col, &id.to_string())));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Ok(Parsed::clear());
    }
    Ok(Parsed::set(CellValue::Dropdown(out)))
}

fn dropdown_labels(
    cx: &Ctx<'_>,
    labels: Vec<String>,
    create: bool,
) -> Result<Parsed, ColumnValueError> {
    let mut ids: Vec<u32> = Vec::new();
    let mut new_labels: Vec<(u32, String)> = Vec::new();
    for label in labels {
        let label = label.trim();
        if label.is_empty() {
            continue;
        }
        let existing = cx.col.find_label(label).or_else(|| {
            new_labels
                .iter()
                .find(|(_, l)| l.to_lowercase() == label.to_lowercase())
                .map(|(i, _)| *i)
        });
        let id = match existing {
            Some(id) => id,
            None if create => {
                let id = cx.col.next_label_id(&new_labels);
                new_labels.push((id, label.to_string()));
                id
            }
            None => return Err(cx.err(missing_dropdown_message(cx.col, label))),
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Ok(Parsed::clear());
    }
    Ok(Parsed {
        value: Some(CellValue::Dropdown(ids)),
        new_labels,
    })
}

/// The dropdown message is not documented (docs/monday-api.md open question 5); this mirrors the
/// status message and names the label.
fn missing_dropdown_message(col: &ColumnDef, label: &str) -> String {
    let existing: Vec<String> = col
        .labels
        .iter()
        .map(|(i, l)| format!("{i}: {l}"))
        .collect();
    format!(
        "The dropdown label '{label}' does not exist, possible labels are: {{{}}}",
        existing.join(", ")
    )
}

fn valid_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Normalises `HH:MM[:SS]` to `HH:MM:SS`.
fn normal_time(s: &str) -> Option<String> {
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()?;
    Some(t.format("%H:%M:%S").to_string())
}

fn date_parts(cx: &Ctx<'_>, date: &str, time: Option<&str>) -> Result<Parsed, ColumnValueError> {
    let date = date.trim();
    if !valid_date(date) {
        return Err(cx.invalid());
    }
    let time = match time.map(str::trim) {
        Some(t) => Some(normal_time(t).ok_or_else(|| cx.invalid())?),
        None => None,
    };
    Ok(Parsed::set(CellValue::Date {
        date: date.to_string(),
        time,
    }))
}

fn date_simple(cx: &Ctx<'_>, s: &str) -> Result<Parsed, ColumnValueError> {
    let s = s.trim();
    match s.split_once([' ', 'T']) {
        Some((date, time)) => date_parts(cx, date, Some(time.trim_end_matches('Z'))),
        None => date_parts(cx, s, None),
    }
}

fn email_parts(cx: &Ctx<'_>, email: &str, text: &str) -> Result<Parsed, ColumnValueError> {
    let email = email.trim();
    if email.is_empty() && text.is_empty() {
        return Ok(Parsed::clear());
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !valid {
        return Err(cx.invalid());
    }
    let text = if text.is_empty() { email } else { text };
    Ok(Parsed::set(CellValue::Email {
        email: email.to_string(),
        text: text.to_string(),
    }))
}

fn email_simple(cx: &Ctx<'_>, s: &str) -> Result<Parsed, ColumnValueError> {
    let s = s.trim();
    let (email, text) = s.split_once(' ').unwrap_or((s, ""));
    email_parts(cx, email, text.trim())
}

fn phone_parts(cx: &Ctx<'_>, phone: &str, country: &str) -> Result<Parsed, ColumnValueError> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Ok(Parsed::clear());
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+') || " -().".contains(c));
    let country = country.trim().to_ascii_uppercase();
    let country_ok = country.is_empty()
        || (country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()));
    if digits < 3 || !allowed || !country_ok {
        return Err(cx.invalid());
    }
    Ok(Parsed::set(CellValue::Phone {
        phone: phone.to_string(),
        country,
    }))
}

fn phone_simple(cx: &Ctx<'_>, s: &str) -> Result<Parsed, ColumnValueError> {
    let s = s.trim();
    match s.rsplit_once(' ') {
        Some((phone, country))
            if country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            phone_parts(cx, phone, country)
        }
        _ => phone_parts(cx, s, ""),
    }
}

fn link_parts(cx: &Ctx<'_>, url: &str, text: &str) -> Result<Parsed, ColumnValueError> {
    let url = url.trim();
    if url.is_empty() {
        if text.is_empty() {
            return Ok(Parsed::clear());
        }
        return Err(cx.invalid());
    }
    if url.chars().any(char::is_whitespace) {
        return Err(cx.invalid());
    }
    let text = if text.is_empty() { url } else { text };
    Ok(Parsed::set(CellValue::Link {
        url: url.to_string(),
        text: text.to_string(),
    }))
}

fn link_simple(cx: &Ctx<'_>, s: &str) -> Result<Parsed, ColumnValueError> {
    let s = s.trim();
    let (url, text) = s.split_once(' ').unwrap_or((s, ""));
    link_parts(cx, url, text.trim())
}

fn checkbox(cx: &Ctx<'_>, flag: &Value) -> Result<Parsed, ColumnValueError> {
    let checked = match flag {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "v" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            _ => return Err(cx.invalid()),
        },
        Value::Number(n) if n.as_u64() == Some(1) => true,
        Value::Number(n) if n.as_u64() == Some(0) => false,
        _ => return Err(cx.invalid()),
    };
    Ok(if checked {
        Parsed::set(CellValue::Checkbox)
    } else {
        Parsed::clear()
    })
}

fn timeline_parts(cx: &Ctx<'_>, from: &str, to: &str) -> Result<Parsed, ColumnValueError> {
    let (from, to) = (from.trim(), to.trim());
    if from.is_empty() && to.is_empty() {
        return Ok(Parsed::clear());
    }
    if !valid_date(from) || !valid_date(to) || from > to {
        return Err(cx.invalid());
    }
    Ok(Parsed::set(CellValue::Timeline {
        from: from.to_string(),
        to: to.to_string(),
    }))
}

fn timeline_simple(cx: &Ctx<'_>, s: &str) -> Result<Parsed, ColumnValueError> {
    let parts: Vec<&str> = s
        .split(|c: char| c.is_whitespace())
        .filter(|p| !p.is_empty() && *p != "-")
        .collect();
    match parts.as_slice() {
        [from, to] => timeline_parts(cx, from, to),
        _ => Err(cx.invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status() -> ColumnDef {
        ColumnDef::new("status", "Status", ColumnKind::Status)
            .with_labels(&[(0, "New"), (1, "Done")])
    }

    #[test]
    fn status_by_label_index_and_missing() {
        let c = status();
        assert_eq!(
            parse_json(&c, &json!({"label": "done"}), false)
                .unwrap()
                .value,
            Some(CellValue::Status(1))
        );
        assert_eq!(
            parse_json(&c, &json!({"index": "0"}), false).unwrap().value,
            Some(CellValue::Status(0))
        );
        let e = parse_json(&c, &json!({"label": "Nope"}), false).unwrap_err();
        assert_eq!(e.message, MISSING_LABEL_MESSAGE);
        assert_eq!(e.column_type, "color");
        let p = parse_json(&c, &json!({"label": "Nope"}), true).unwrap();
        assert_eq!(p.new_labels, vec![(2, "Nope".to_string())]);
    }

    #[test]
    fn text_rejects_objects_and_numbers_reject_garbage() {
        let t = ColumnDef::new("t", "T", ColumnKind::Text);
        assert!(parse_json(&t, &json!({"a": 1}), false).is_err());
        assert_eq!(
            parse_json(&t, &json!(12), false).unwrap().value,
            Some(CellValue::Text("12".into()))
        );
        let n = ColumnDef::new("n", "N", ColumnKind::Numbers);
        assert!(parse_json(&n, &json!("abc"), false).is_err());
        assert!(parse_json(&n, &json!("inf"), false).is_err());
        assert_eq!(
            parse_json(&n, &json!("42.5"), false).unwrap().value,
            Some(CellValue::Number("42.5".into()))
        );
    }

    #[test]
    fn dates_timelines_and_simple_forms() {
        let d = ColumnDef::new("d", "D", ColumnKind::Date);
        assert!(parse_json(&d, &json!({"date": "2026-02-30"}), false).is_err());
        assert_eq!(
            parse_simple(&d, Some("2026-03-14 10:00"), false)
                .unwrap()
                .value,
            Some(CellValue::Date {
                date: "2026-03-14".into(),
                time: Some("10:00:00".into())
            })
        );
        let t = ColumnDef::new("t", "T", ColumnKind::Timeline);
        assert!(parse_json(
            &t,
            &json!({"from": "2026-03-30", "to": "2026-03-01"}),
            false
        )
        .is_err());
        assert!(parse_simple(&t, Some("2026-03-01 2026-03-30"), false).is_ok());
    }

    #[test]
    fn checkbox_takes_no_simple_strings() {
        let c = ColumnDef::new("c", "C", ColumnKind::Checkbox);
        for raw in [Some("true"), Some(""), None] {
            let e = parse_simple(&c, raw, false).unwrap_err();
            assert_eq!(e.message, SIMPLE_NOT_SUPPORTED_MESSAGE);
            assert_eq!(e.column_type, "boolean");
        }
        assert!(parse_json(&c, &json!({"checked": "true"}), false).is_ok());
    }

    #[test]
    fn dropdown_creates_several_labels_with_distinct_ids() {
        let c = ColumnDef::new("d", "D", ColumnKind::Dropdown).with_labels(&[(1, "XS")]);
        let p = parse_json(&c, &json!({"labels": ["XS", "XXL", "3XL", "xxl"]}), true).unwrap();
        assert_eq!(p.value, Some(CellValue::Dropdown(vec![1, 2, 3])));
        assert_eq!(p.new_labels.len(), 2);
        assert!(parse_json(&c, &json!({"ids": [9]}), false).is_err());
    }
}
