//! Source record -> item name + `column_values` in each column type's write format (docs/monday-api.md §5.2).
//!
//! Empty fields (`null`, missing, blank strings) are simply omitted (logged at TRACE at most).
//! A record that cannot be transformed becomes a [`RecordFailure`] naming its line, key, field and
//! reason; the run goes on. Duplicate source keys: the first occurrence wins, every later one is a
//! failure (`duplicate key, first seen on line N`) — merging silently would hide data problems.

mod columns;
mod hash;
mod json;

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::input::SourceRecord;
use crate::mapping::config::{ColumnKind, ColumnMapping, SyncConfig};

use columns::{
    fast_date, parse_date, write_checkbox, write_email, write_label_list, write_label_text,
    write_number, write_phone, write_timeline, LabelCheck,
};
use hash::content_hash;
pub use json::push_json_str;
use json::{obj1, obj2};

/// monday.com item names are 1–255 characters (docs/monday-api.md §4.1).
pub(crate) const MAX_NAME_CHARS: usize = 255;

/// A record ready to send.
#[derive(Debug, Clone, PartialEq, Default)]
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

/// Why a record failed, as a type (reports count by it; nothing reads the reason text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    /// The input line or a field value is invalid (found before sending).
    #[default]
    Invalid,
    /// A status/dropdown label is missing on the board and the column may not create it
    /// (found before sending, or reported by the API as a `ColumnValueException` on such a column).
    MissingLabel,
    /// The API rejected the record or its request for a reason that will not change.
    Rejected,
    /// The board holds as many items as it can (`ItemsLimitationException`): never sent, or refused.
    BoardFull,
    /// The request could not be completed (retries or waits ran out, the run stopped); nothing
    /// was applied, or what was applied could not be confirmed (the next run reconciles it).
    NotConfirmed,
}

/// A record that failed (transform, input or API), for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFailure {
    pub line: u64,
    pub key: Option<String>,
    pub field: String,
    pub reason: String,
    pub cause: FailureCause,
}

impl RecordFailure {
    /// The one way a failure is made: record `line` (and `key` once known) failed on `field`
    /// (empty when no single field is at fault) for `reason`, counted as `cause`.
    pub fn new(
        line: u64,
        key: Option<&str>,
        field: &str,
        cause: FailureCause,
        reason: impl Into<String>,
    ) -> Self {
        RecordFailure {
            line,
            key: key.map(str::to_string),
            field: field.to_string(),
            reason: reason.into(),
            cause,
        }
    }
}

#[derive(Debug, Clone)]
enum NamePart {
    Literal(String),
    Field(String),
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
fn scalar_text(v: Option<&Value>) -> Result<Option<Cow<'_, str>>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s.as_str()))),
        Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(Value::Bool(b)) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
        Some(Value::Array(_)) => Err("expected a scalar, found an array".into()),
        Some(Value::Object(_)) => Err("expected a scalar, found an object".into()),
    }
}

fn bad_control(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{0}')
}
/// Labels of one status/dropdown column as the board has them (trimmed, lower-cased for a
/// case-insensitive match, as monday.com matches label text).
#[derive(Debug, Clone, Default)]
struct LabelSet {
    known: std::collections::HashSet<String>,
}

impl LabelSet {
    fn contains(&self, label: &str) -> bool {
        let l = label.trim();
        self.known.contains(l) || self.known.contains(&l.to_lowercase())
    }
}

/// One mapped column, compiled: the pre-escaped `,"column_id":` prefix and, once the board was
/// read, the labels it already has.
#[derive(Debug, Clone)]
struct CompiledColumn {
    map: ColumnMapping,
    prefix: String,
    labels: Option<LabelSet>,
}

/// Compiled transformation for one config.
#[derive(Debug, Clone)]
pub struct Transformer {
    key_source: String,
    group_by: Option<String>,
    name_parts: Vec<NamePart>,
    /// `{"key_column":`
    key_prefix: String,
    columns: Vec<CompiledColumn>,
    seen_keys: HashMap<String, u64>,
}
impl Transformer {
    pub fn new(cfg: &SyncConfig) -> Self {
        let mut key_prefix = String::from("{");
        push_json_str(&mut key_prefix, &cfg.board.key_column);
        key_prefix.push(':');
        let columns = cfg
            .columns
            .iter()
            .map(|c| {
                let mut prefix = String::from(",");
                push_json_str(&mut prefix, &c.column_id);
                prefix.push(':');
                CompiledColumn {
                    map: c.clone(),
                    prefix,
                    labels: None,
                }
            })
            .collect();
        Transformer {
            key_source: cfg.board.key_source.clone(),
            group_by: cfg.board.group_by.clone(),
            name_parts: parse_template(cfg.board.item_name.as_deref().unwrap_or("")),
            key_prefix,
            columns,
            seen_keys: HashMap::new(),
        }
    }

    /// Tell the transformer which labels each status/dropdown column has on the board
    /// (column id -> labels). Columns not listed keep the per-mutation behaviour: a value in a
    /// column with `create_labels_if_missing` always sends the flag. With labels known, the flag is
    /// sent only when a record needs a new label in a column that allows it, and a label missing
    /// from a column that does not allow it fails that record before anything is sent.
    pub fn with_board_labels(mut self, labels: &HashMap<String, Vec<String>>) -> Self {
        for c in &mut self.columns {
            if !matches!(c.map.kind, ColumnKind::Status | ColumnKind::Dropdown) {
                continue;
            }
            if let Some(ls) = labels.get(&c.map.column_id) {
                let mut known = std::collections::HashSet::with_capacity(ls.len() * 2);
                for l in ls {
                    known.insert(l.trim().to_string());
                    known.insert(l.trim().to_lowercase());
                }
                c.labels = Some(LabelSet { known });
            }
        }
        self
    }

    /// Transform one record. Remembers keys to reject duplicates within this input.
    pub fn transform(&mut self, rec: &SourceRecord) -> Result<PreparedRecord, RecordFailure> {
        let p = self.transform_pure(rec)?;
        if let Some(first) = self.seen_keys.get(&p.key) {
            return Err(RecordFailure::new(
                rec.line,
                Some(&p.key),
                &self.key_source,
                FailureCause::Invalid,
                format!("duplicate key, first seen on line {first}; the later record is skipped"),
            ));
        }
        self.seen_keys.insert(p.key.clone(), rec.line);
        Ok(p)
    }

    /// Transform without the duplicate check (for benches and property tests): the key, the
    /// item name, the group, then every column's value, each a step below.
    pub fn transform_pure(&self, rec: &SourceRecord) -> Result<PreparedRecord, RecordFailure> {
        let key = self.read_key(rec)?;
        let k = Some(key.as_str());
        let fail = |field: &str, reason: String| {
            RecordFailure::new(rec.line, k, field, FailureCause::Invalid, reason)
        };
        let name = self.item_name(rec, &key).map_err(|(f, r)| fail(&f, r))?;
        let group = match &self.group_by {
            Some(f) => scalar_text(rec.fields.get(f))
                .map_err(|e| fail(f, e))?
                .map(|g| g.trim().to_string()),
            None => None,
        };
        let customer = match (&group, rec.fields.get("customer")) {
            (Some(g), _) => g.clone(),
            (None, v) => scalar_text(v)
                .ok()
                .flatten()
                .map(Cow::into_owned)
                .unwrap_or_default(),
        };
        let (cv, create_labels) = self.column_values(rec, &key)?;
        let content_hash = content_hash(&name, group.as_deref(), &cv);
        Ok(PreparedRecord {
            line: rec.line,
            key,
            name,
            group,
            customer,
            column_values: cv,
            create_labels,
            content_hash,
        })
    }

    /// The record's key: present, a scalar, no control character, at most
    /// [`MAX_NAME_CHARS`] characters (trimmed).
    fn read_key(&self, rec: &SourceRecord) -> Result<String, RecordFailure> {
        let fail = |key: Option<&str>, reason: String| {
            RecordFailure::new(
                rec.line,
                key,
                &self.key_source,
                FailureCause::Invalid,
                reason,
            )
        };
        let key = match scalar_text(rec.fields.get(&self.key_source)) {
            Ok(Some(k)) => k.trim().to_string(),
            Ok(None) => return Err(fail(None, "the key field is missing or empty".into())),
            Err(e) => return Err(fail(None, e)),
        };
        if let Some(c) = bad_control(&key) {
            return Err(fail(
                Some(&key),
                format!("control character U+{:04X} in the key", c as u32),
            ));
        }
        if key.chars().count() > MAX_NAME_CHARS {
            return Err(fail(
                None,
                format!("key longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        Ok(key)
    }

    /// The item name from the template (the key when the template's fields are all empty): at
    /// most [`MAX_NAME_CHARS`] characters, no control character. Errors name the field.
    fn item_name(&self, rec: &SourceRecord, key: &str) -> Result<String, (String, String)> {
        let name = self.render_name(rec, key)?;
        let name_len = name.chars().count();
        if name_len > MAX_NAME_CHARS {
            return Err(("item_name".into(), format!("item name is {name_len} characters; monday.com allows at most {MAX_NAME_CHARS}")));
        }
        if let Some(c) = bad_control(&name) {
            return Err((
                "item_name".into(),
                format!("control character U+{:04X} in the item name", c as u32),
            ));
        }
        Ok(name)
    }

    /// `column_values` as JSON text (the key column first; empty fields left out) and whether
    /// the request must create missing labels.
    fn column_values(
        &self,
        rec: &SourceRecord,
        key: &str,
    ) -> Result<(String, bool), RecordFailure> {
        let k = Some(key);
        let mut cv = String::with_capacity(64 + 48 * self.columns.len());
        cv.push_str(&self.key_prefix);
        push_json_str(&mut cv, key);
        let mut create_labels = false;
        for col in &self.columns {
            let mark = cv.len();
            cv.push_str(&col.prefix);
            match self.write_value(col, rec, &mut cv) {
                Ok(Some(LabelCheck::Known)) => {
                    // Labels unknown (no board read): keep the per-mutation flag of old.
                    create_labels |= col.labels.is_none() && col.map.create_labels_if_missing;
                }
                Ok(Some(LabelCheck::Create)) => create_labels = true,
                Ok(Some(LabelCheck::Fail(reason))) => {
                    return Err(RecordFailure::new(
                        rec.line,
                        k,
                        &col.map.source,
                        FailureCause::MissingLabel,
                        reason,
                    ))
                }
                Ok(None) => {
                    cv.truncate(mark);
                    tracing::trace!(line = rec.line, field = %col.map.source, "empty field omitted");
                }
                Err((field, reason)) => {
                    return Err(RecordFailure::new(
                        rec.line,
                        k,
                        &field,
                        FailureCause::Invalid,
                        reason,
                    ))
                }
            }
        }
        cv.push('}');
        Ok((cv, create_labels))
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

    fn check_label(col: &CompiledColumn, label: &str) -> LabelCheck {
        match &col.labels {
            Some(set) if !set.contains(label) => {
                if col.map.create_labels_if_missing {
                    LabelCheck::Create
                } else {
                    LabelCheck::Fail(format!(
                        "label '{}' does not exist in column '{}' and create_labels_if_missing is false",
                        label.trim(),
                        col.map.column_id
                    ))
                }
            }
            _ => LabelCheck::Known,
        }
    }

    /// Append the column's value (JSON, in its write format) to `out`. `Ok(None)`: the field is
    /// empty (the caller removes the prefix). `Ok(Some(check))`: written; `check` says whether a
    /// label is missing on the board. Each column type is written by a step of its own below.
    fn write_value(
        &self,
        col: &CompiledColumn,
        rec: &SourceRecord,
        out: &mut String,
    ) -> Result<Option<LabelCheck>, (String, String)> {
        let map = &col.map;
        let src = map.source.as_str();
        let err = |r: String| (src.to_string(), r);
        let raw = rec.fields.get(src);
        if let (ColumnKind::Dropdown, Some(Value::Array(items))) = (map.kind, raw) {
            return write_label_list(col, items, out);
        }
        // A timeline reads its two fields itself (an end without a start is an error).
        let text = match (map.kind, scalar_text(raw).map_err(err)?) {
            (ColumnKind::Timeline, _) => Cow::Borrowed(""),
            (_, Some(text)) => text,
            (_, None) => return Ok(None),
        };
        if text.contains('\u{0}') {
            return Err(err("NUL character in the value".into()));
        }
        let t = text.trim();
        match map.kind {
            ColumnKind::Text => push_json_str(out, &text),
            ColumnKind::LongText => obj1(out, "text", &text),
            ColumnKind::Numbers => write_number(t, out).map_err(err)?,
            ColumnKind::Status => {
                obj1(out, "label", t);
                return Ok(Some(Self::check_label(col, t)));
            }
            ColumnKind::Dropdown => return Ok(write_label_text(col, &text, out)),
            ColumnKind::Date => match fast_date(t) {
                Some(d) => obj1(out, "date", d),
                None => out.push_str(&parse_date(t).map_err(err)?.to_string()),
            },
            ColumnKind::Email => write_email(t, out).map_err(err)?,
            ColumnKind::Phone => write_phone(map, rec, t, out)?,
            ColumnKind::Link => obj2(out, "url", t, "text", t),
            ColumnKind::Checkbox => {
                if !write_checkbox(t, out).map_err(err)? {
                    return Ok(None);
                }
            }
            ColumnKind::Timeline => {
                return write_timeline(map, rec, out).map(|w| w.then_some(LabelCheck::Known))
            }
        }
        Ok(Some(LabelCheck::Known))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    pub(super) fn cfg() -> SyncConfig {
        SyncConfig::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/order_list.toml"
        ))
        .unwrap()
    }

    pub(super) fn rec(line: u64, v: Value) -> SourceRecord {
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
    fn dropdown_labels_from_text_or_a_list_and_missing_ones_per_board() {
        let mut board = HashMap::new();
        board.insert(
            "dropdown_sizes".to_string(),
            vec!["S".to_string(), "M".into()],
        );
        let t = Transformer::new(&cfg()).with_board_labels(&board);
        let sizes = |v: Value| {
            t.transform_pure(&rec(2, json!({"order_id":"A","sizes":v})))
                .map(|p| (p.column_values, p.create_labels))
        };
        let ok = sizes(json!(" S , ,M")).unwrap();
        assert_eq!(
            ok.0,
            r#"{"text_order_key":"A","dropdown_sizes":{"labels":["S","M"]}}"#
        );
        assert!(!ok.1, "known labels need no creation");
        assert_eq!(sizes(json!(["S", null, " M "])).unwrap(), ok);
        // Empty text and an empty list leave the column out.
        assert_eq!(sizes(json!(" , ")).unwrap().0, r#"{"text_order_key":"A"}"#);
        assert_eq!(
            sizes(json!([null, ""])).unwrap().0,
            r#"{"text_order_key":"A"}"#
        );
        // A missing label in a column that may create labels asks for creation.
        assert!(sizes(json!("S,XL")).unwrap().1);
        assert!(sizes(json!(["XL", "S"])).unwrap().1);
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
