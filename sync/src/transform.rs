//! Source record -> item name + `column_values` in each column type's write format (api-facts §5.2).
//!
//! Empty fields (`null`, missing, blank strings) are simply omitted (logged at TRACE at most).
//! A record that cannot be transformed becomes a [`RecordFailure`] naming its line, key, field and
//! reason; the run goes on. Duplicate source keys: the first occurrence wins, every later one is a
//! failure (`duplicate key, first seen on line N`) — merging silently would hide data problems.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{ColumnKind, ColumnMapping, SyncConfig};
use crate::input::SourceRecord;

/// monday.com item names are 1–255 characters (api-facts §4.1).
pub const MAX_NAME_CHARS: usize = 255;

/// A record ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRecord {
    pub line: u64,
    /// Source key (also written to the key column).
    pub key: String,
    pub name: String,
    /// Value of the `group_by` field (the group's title), if grouping by a field.
    pub group: Option<String>,
    /// Per-customer report bucket (the `group_by` value, else the `customer` field, else empty).
    pub customer: String,
    /// `column_values` serialized as a JSON object string (what goes into the `$vN` variable).
    pub column_values: String,
    /// The mutation must carry `create_labels_if_missing: true`.
    pub create_labels: bool,
    /// Hex SHA-256 over name, group and column values: change detection across runs.
    pub content_hash: String,
}

/// A record that failed (transform, input or API), for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFailure {
    pub line: u64,
    pub key: Option<String>,
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
enum NamePart {
    Literal(String),
    Field(String),
}

/// Compiled transformation for one config.
#[derive(Debug, Clone)]
pub struct Transformer {
    key_source: String,
    key_column: String,
    group_by: Option<String>,
    name_parts: Vec<NamePart>,
    columns: Vec<ColumnMapping>,
    seen_keys: HashMap<String, u64>,
}

fn parse_template(t: &str) -> Vec<NamePart> {
    let mut parts = vec![];
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        match rest[open..].find('}') {
            Some(close) => {
                if open > 0 {
                    parts.push(NamePart::Literal(rest[..open].to_string()));
                }
                parts.push(NamePart::Field(
                    rest[open + 1..open + close].trim().to_string(),
                ));
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    if !rest.is_empty() {
        parts.push(NamePart::Literal(rest.to_string()));
    }
    parts
}

/// Text form of a scalar field; `None` when empty. Arrays/objects are `Err`.
fn scalar_text(v: Option<&Value>) -> Result<Option<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(Value::Array(_)) => Err("expected a scalar, found an array".into()),
        Some(Value::Object(_)) => Err("expected a scalar, found an object".into()),
    }
}

fn bad_control(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{0}')
}

fn parse_date(s: &str) -> Result<Value, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(json!({ "date": d.format("%Y-%m-%d").to_string() }));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(json!({
                "date": dt.format("%Y-%m-%d").to_string(),
                "time": dt.format("%H:%M:%S").to_string()
            }));
        }
    }
    Err(format!("`{s}` is not a date (expected YYYY-MM-DD)"))
}

fn date_only(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{}` is not a date (expected YYYY-MM-DD)", s.trim()))
}

impl Transformer {
    pub fn new(cfg: &SyncConfig) -> Self {
        Transformer {
            key_source: cfg.board.key_source.clone(),
            key_column: cfg.board.key_column.clone(),
            group_by: cfg.board.group_by.clone(),
            name_parts: parse_template(cfg.board.item_name.as_deref().unwrap_or("")),
            columns: cfg.columns.clone(),
            seen_keys: HashMap::new(),
        }
    }

    /// Transform one record. Remembers keys to reject duplicates within this input.
    pub fn transform(&mut self, rec: &SourceRecord) -> Result<PreparedRecord, RecordFailure> {
        let p = self.transform_pure(rec)?;
        if let Some(first) = self.seen_keys.get(&p.key) {
            return Err(RecordFailure {
                line: rec.line,
                key: Some(p.key),
                field: self.key_source.clone(),
                reason: format!(
                    "duplicate key, first seen on line {first}; the later record is skipped"
                ),
            });
        }
        self.seen_keys.insert(p.key.clone(), rec.line);
        Ok(p)
    }

    /// Transform without the duplicate check (for benches and property tests).
    pub fn transform_pure(&self, rec: &SourceRecord) -> Result<PreparedRecord, RecordFailure> {
        let fail = |key: Option<&str>, field: &str, reason: String| RecordFailure {
            line: rec.line,
            key: key.map(str::to_string),
            field: field.to_string(),
            reason,
        };
        let key = match scalar_text(rec.fields.get(&self.key_source)) {
            Ok(Some(k)) => k.trim().to_string(),
            Ok(None) => {
                return Err(fail(
                    None,
                    &self.key_source,
                    "the key field is missing or empty".into(),
                ))
            }
            Err(e) => return Err(fail(None, &self.key_source, e)),
        };
        if let Some(c) = bad_control(&key) {
            return Err(fail(
                Some(&key),
                &self.key_source,
                format!("control character U+{:04X} in the key", c as u32),
            ));
        }
        if key.chars().count() > MAX_NAME_CHARS {
            return Err(fail(
                None,
                &self.key_source,
                format!("key longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        let k = Some(key.as_str());

        let name = self
            .render_name(rec, &key)
            .map_err(|(f, r)| fail(k, &f, r))?;
        let name_len = name.chars().count();
        if name_len > MAX_NAME_CHARS {
            return Err(fail(k, "item_name", format!("item name is {name_len} characters; monday.com allows at most {MAX_NAME_CHARS}")));
        }
        if let Some(c) = bad_control(&name) {
            return Err(fail(
                k,
                "item_name",
                format!("control character U+{:04X} in the item name", c as u32),
            ));
        }

        let group = match &self.group_by {
            Some(f) => scalar_text(rec.fields.get(f))
                .map_err(|e| fail(k, f, e))?
                .map(|g| g.trim().to_string()),
            None => None,
        };
        let customer = match (&group, rec.fields.get("customer")) {
            (Some(g), _) => g.clone(),
            (None, v) => scalar_text(v).ok().flatten().unwrap_or_default(),
        };

        let mut values = Map::new();
        values.insert(self.key_column.clone(), Value::String(key.clone()));
        let mut create_labels = false;
        for col in &self.columns {
            match self.column_value(col, rec) {
                Ok(Some(v)) => {
                    create_labels |= col.create_labels_if_missing;
                    values.insert(col.column_id.clone(), v);
                }
                Ok(None) => {
                    tracing::trace!(line = rec.line, field = %col.source, "empty field omitted");
                }
                Err((field, reason)) => return Err(fail(k, &field, reason)),
            }
        }
        let column_values = Value::Object(values).to_string();
        let content_hash = content_hash(&name, group.as_deref(), &column_values);
        Ok(PreparedRecord {
            line: rec.line,
            key,
            name,
            group,
            customer,
            column_values,
            create_labels,
            content_hash,
        })
    }

    fn render_name(&self, rec: &SourceRecord, key: &str) -> Result<String, (String, String)> {
        let mut out = String::new();
        let mut pending: Option<&str> = None;
        let mut any_field = false;
        let mut seen_field = false;
        for part in &self.name_parts {
            match part {
                NamePart::Literal(l) => {
                    if seen_field {
                        pending = Some(l);
                    } else {
                        out.push_str(l); // leading literal
                    }
                }
                NamePart::Field(f) => {
                    seen_field = true;
                    let v = scalar_text(rec.fields.get(f)).map_err(|e| (f.clone(), e))?;
                    if let Some(v) = v {
                        if any_field {
                            out.push_str(pending.unwrap_or(""));
                        }
                        pending = None;
                        out.push_str(&v);
                        any_field = true;
                    }
                }
            }
        }
        if !any_field {
            return Ok(key.to_string());
        }
        if let Some(trailing) = pending {
            out.push_str(trailing);
        }
        Ok(out)
    }

    fn column_value(
        &self,
        col: &ColumnMapping,
        rec: &SourceRecord,
    ) -> Result<Option<Value>, (String, String)> {
        let src = col.source.as_str();
        let err = |r: String| (src.to_string(), r);
        let raw = rec.fields.get(src);
        if col.kind == ColumnKind::Dropdown {
            if let Some(Value::Array(items)) = raw {
                let mut labels = vec![];
                for it in items {
                    if let Some(s) = scalar_text(Some(it)).map_err(err)? {
                        labels.push(Value::String(s.trim().to_string()));
                    }
                }
                return Ok((!labels.is_empty()).then(|| json!({ "labels": labels })));
            }
        }
        let text = match col.kind {
            ColumnKind::Timeline => None,
            _ => match scalar_text(raw).map_err(err)? {
                Some(t) => Some(t),
                None => return Ok(None),
            },
        };
        let text = text.unwrap_or_default();
        if text.contains('\u{0}') {
            return Err(err("NUL character in the value".into()));
        }
        let v = match col.kind {
            ColumnKind::Text => Value::String(text),
            ColumnKind::LongText => json!({ "text": text }),
            ColumnKind::Numbers => {
                let t = text.trim();
                match t.parse::<f64>() {
                    Ok(n)
                        if n.is_finite()
                            && !t.starts_with('+')
                            && !t.contains(['e', 'E', 'i', 'n', 'N']) =>
                    {
                        Value::String(t.to_string())
                    }
                    _ => return Err(err(format!("`{t}` is not a number"))),
                }
            }
            ColumnKind::Status => json!({ "label": text.trim() }),
            ColumnKind::Dropdown => {
                let labels: Vec<&str> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                if labels.is_empty() {
                    return Ok(None);
                }
                json!({ "labels": labels })
            }
            ColumnKind::Date => parse_date(&text).map_err(err)?,
            ColumnKind::Email => {
                let t = text.trim();
                let ok = t
                    .split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
                    && !t.chars().any(char::is_whitespace);
                if !ok {
                    return Err(err(format!("`{t}` is not an email address")));
                }
                json!({ "email": t, "text": t })
            }
            ColumnKind::Phone => {
                let t = text.trim();
                if !t
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c))
                    || !t.chars().any(|c| c.is_ascii_digit())
                {
                    return Err(err(format!("`{t}` is not a phone number")));
                }
                let digits: String = t
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                let mut v = json!({ "phone": digits });
                if let Some(cs) = &col.country_source {
                    if let Some(cc) =
                        scalar_text(rec.fields.get(cs)).map_err(|e| (cs.clone(), e))?
                    {
                        let cc = cc.trim().to_ascii_uppercase();
                        if cc.len() != 2 || !cc.chars().all(|c| c.is_ascii_alphabetic()) {
                            return Err((
                                cs.clone(),
                                format!("`{cc}` is not an ISO-2 country code"),
                            ));
                        }
                        v["countryShortName"] = Value::String(cc);
                    }
                }
                v
            }
            ColumnKind::Link => {
                let t = text.trim();
                json!({ "url": t, "text": t })
            }
            ColumnKind::Checkbox => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "x" => json!({ "checked": "true" }),
                "false" | "no" | "n" | "0" => return Ok(None),
                other => return Err(err(format!("`{other}` is not a boolean"))),
            },
            ColumnKind::Timeline => {
                let to_field = col.source_to.as_deref().unwrap_or_default();
                let from = scalar_text(raw).map_err(err)?;
                let to =
                    scalar_text(rec.fields.get(to_field)).map_err(|e| (to_field.to_string(), e))?;
                match (from, to) {
                    (None, None) => return Ok(None),
                    (Some(f), Some(t)) => {
                        let fd = date_only(&f).map_err(err)?;
                        let td = date_only(&t).map_err(|e| (to_field.to_string(), e))?;
                        if td < fd {
                            return Err((
                                to_field.to_string(),
                                format!("timeline ends ({td}) before it starts ({fd})"),
                            ));
                        }
                        json!({ "from": fd.to_string(), "to": td.to_string() })
                    }
                    (None, Some(_)) => return Err(err("timeline has an end but no start".into())),
                    (Some(_), None) => {
                        return Err((
                            to_field.to_string(),
                            "timeline has a start but no end".into(),
                        ))
                    }
                }
            }
        };
        Ok(Some(v))
    }
}

/// Hex SHA-256 over the canonical item content.
pub fn content_hash(name: &str, group: Option<&str>, column_values: &str) -> String {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0]);
    h.update(group.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(column_values.as_bytes());
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SyncConfig {
        SyncConfig::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/order_list.toml"
        ))
        .unwrap()
    }

    fn rec(line: u64, v: Value) -> SourceRecord {
        SourceRecord {
            line,
            fields: v.as_object().unwrap().clone(),
        }
    }

    fn full() -> Value {
        json!({"order_id":"ORD-000001","customer":"Acme Apparel","po_number":"PO-88231","style":"ST-1042 Crew Neck Tee",
 "colour":"Navy","sizes":"S,M,L","quantity":120,"unit_price":"4.75","status":"In Production",
 "order_date":"2026-03-14","ship_date":"2026-04-02","contact_email":"buyer@acme.example",
 "contact_phone":"+14155550100","contact_country":"US","tracking_url":"https://track.example/1Z999",
 "rush":true,"production_start":"2026-03-15","production_end":"2026-03-30","notes":"multi-line\ntext"})
    }

    #[test]
    fn full_record_write_formats() {
        let t = Transformer::new(&cfg());
        let p = t.transform_pure(&rec(3, full())).unwrap();
        assert_eq!(p.name, "PO-88231 · ST-1042 Crew Neck Tee");
        assert_eq!(p.group.as_deref(), Some("Acme Apparel"));
        assert!(p.create_labels);
        let v: Value = serde_json::from_str(&p.column_values).unwrap();
        assert_eq!(v["text_order_key"], "ORD-000001");
        assert_eq!(v["numbers_qty"], "120");
        assert_eq!(v["numbers_price"], "4.75");
        assert_eq!(v["status"], json!({"label":"In Production"}));
        assert_eq!(v["dropdown_sizes"], json!({"labels":["S","M","L"]}));
        assert_eq!(v["date_order"], json!({"date":"2026-03-14"}));
        assert_eq!(
            v["email_contact"],
            json!({"email":"buyer@acme.example","text":"buyer@acme.example"})
        );
        assert_eq!(
            v["phone_contact"],
            json!({"phone":"+14155550100","countryShortName":"US"})
        );
        assert_eq!(
            v["link_tracking"],
            json!({"url":"https://track.example/1Z999","text":"https://track.example/1Z999"})
        );
        assert_eq!(v["checkbox_rush"], json!({"checked":"true"}));
        assert_eq!(
            v["timeline_production"],
            json!({"from":"2026-03-15","to":"2026-03-30"})
        );
        assert_eq!(v["long_text_notes"], json!({"text":"multi-line\ntext"}));
    }

    #[test]
    fn empty_fields_are_omitted_and_name_falls_back() {
        let t = Transformer::new(&cfg());
        let p = t
            .transform_pure(&rec(
                1,
                json!({"order_id":"K1","po_number":null,"style":"","colour":"  ","sizes":null}),
            ))
            .unwrap();
        assert_eq!(p.name, "K1");
        assert_eq!(p.column_values, r#"{"text_order_key":"K1"}"#);
        assert!(!p.create_labels);
        let p = t
            .transform_pure(&rec(1, json!({"order_id":"K1","style":"Tee"})))
            .unwrap();
        assert_eq!(p.name, "Tee");
    }

    #[test]
    fn bad_records_name_line_field_reason() {
        let t = Transformer::new(&cfg());
        let cases = [
            (json!({"customer":"x"}), "order_id"),
            (
                json!({"order_id":"A","order_date":"2026-02-30"}),
                "order_date",
            ),
            (json!({"order_id":"A","quantity":"12x"}), "quantity"),
            (
                json!({"order_id":"A","style":"x".repeat(10_000)}),
                "item_name",
            ),
            (json!({"order_id":"A","style":"bad\u{7}bell"}), "item_name"),
            (
                json!({"order_id":"A","contact_email":"nope"}),
                "contact_email",
            ),
            (
                json!({"order_id":"A","production_start":"2026-03-15"}),
                "production_end",
            ),
            (json!({"order_id":"A","rush":"maybe"}), "rush"),
        ];
        for (v, field) in cases {
            let e = t.transform_pure(&rec(9, v.clone())).unwrap_err();
            assert_eq!(e.line, 9);
            assert_eq!(e.field, field, "{v} -> {e:?}");
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn duplicates_fail_the_later_record() {
        let mut t = Transformer::new(&cfg());
        t.transform(&rec(1, json!({"order_id":"A"}))).unwrap();
        let e = t.transform(&rec(5, json!({"order_id":"A"}))).unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.reason.contains("line 1"));
    }

    #[test]
    fn hash_changes_with_content() {
        let t = Transformer::new(&cfg());
        let a = t.transform_pure(&rec(1, full())).unwrap();
        let mut f = full();
        f["quantity"] = json!(121);
        let b = t.transform_pure(&rec(1, f)).unwrap();
        assert_ne!(a.content_hash, b.content_hash);
        assert_eq!(
            a.content_hash,
            t.transform_pure(&rec(2, full())).unwrap().content_hash
        );
    }
}
