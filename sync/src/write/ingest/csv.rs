//! The CSV a bulk import job uploads, written per column type exactly as the docs' "Column type
//! validation" table says (docs/monday-bulk-import.md §2.1, §2.2, §2.4;
//! https://developer.monday.com/api-reference/docs/importing-items-in-bulk).
//!
//! The header is `name`, the key column, then the mapped column ids (§2.2). Each record's cells
//! come from its prepared `column_values` (the API's write format, already validated by the
//! transformer), mapped back to the CSV form of its column type. A value the CSV cannot carry
//! exactly — a dropdown label containing a comma, a date with a time, a phone with a country,
//! text with surrounding blanks, the literal `<NULL>`, anything the table does not list for the
//! type — makes the whole record [`NotCarried`]: it goes as `create_item` /
//! `change_multiple_column_values` instead, never silently altered. Cells are quoted per
//! RFC 4180 (§2.1).

use serde_json::{Map, Value};

use crate::mapping::config::{ColumnKind, SyncConfig};
use crate::mapping::transform::PreparedRecord;

/// Why a record cannot go as a CSV row (it goes as a batch mutation instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotCarried {
    pub column_id: String,
    pub why: &'static str,
}

/// The columns of one board's job files.
#[derive(Debug, Clone)]
pub(crate) struct CsvLayout {
    key_column: String,
    columns: Vec<(String, ColumnKind)>,
}

/// The string the import reads as "clear this column" under UPSERT (§2.5): never a value.
const NULL_MARK: &str = "<NULL>";

impl CsvLayout {
    pub(crate) fn new(cfg: &SyncConfig) -> Self {
        CsvLayout {
            key_column: cfg.board.key_column.clone(),
            columns: cfg
                .columns
                .iter()
                .map(|c| (c.column_id.clone(), c.kind))
                .collect(),
        }
    }

    /// The header line (with its line end).
    pub(crate) fn header(&self) -> String {
        let mut out = String::from("name,");
        push_cell(&mut out, &self.key_column);
        for (id, _) in &self.columns {
            out.push(',');
            push_cell(&mut out, id);
        }
        out.push_str("\r\n");
        out
    }

    /// The cells of `rec`'s row (name, key, then each mapped column; empty when unset).
    pub(crate) fn cells(&self, rec: &PreparedRecord) -> Result<Vec<String>, NotCarried> {
        let not = |column_id: &str, why| NotCarried {
            column_id: column_id.to_string(),
            why,
        };
        let values: Map<String, Value> = serde_json::from_str(&rec.column_values)
            .map_err(|_| not("", "column values are not a JSON object"))?;
        if rec.create_labels {
            return Err(not("", "needs labels the board does not have yet"));
        }
        let name = plain_text(&rec.name).ok_or_else(|| not("name", "name not exact in CSV"))?;
        let key = plain_text(&rec.key).ok_or_else(|| not(&self.key_column, "key not exact"))?;
        let mut cells = vec![name, key];
        for (id, kind) in &self.columns {
            let cell = match values.get(id) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) if s.is_empty() => String::new(),
                Some(v) => cell_of(*kind, v).map_err(|why| not(id, why))?,
            };
            cells.push(cell);
        }
        Ok(cells)
    }

    /// One row (with its line end), or why the record cannot be one.
    pub(crate) fn row(&self, rec: &PreparedRecord) -> Result<String, NotCarried> {
        let cells = self.cells(rec)?;
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_cell(&mut out, c);
        }
        out.push_str("\r\n");
        Ok(out)
    }
}

/// Append `s` as one RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, a
/// quote, a line break or surrounding blanks.
pub(crate) fn push_cell(out: &mut String, s: &str) {
    let quote = s.contains([',', '"', '\n', '\r']) || s.trim() != s;
    if !quote {
        out.push_str(s);
        return;
    }
    out.push('"');
    for ch in s.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
}

/// Text the import stores as given: no surrounding blanks (whitespace-only cells read as
/// empty, §2.2), no carriage return (line ends may be normalized), not the `<NULL>` marker.
fn plain_text(s: &str) -> Option<String> {
    let exact = !s.is_empty() && s.trim() == s && !s.contains('\r') && s != NULL_MARK;
    exact.then(|| s.to_string())
}

fn field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The CSV form of one column value (its API write format `v`) per §2.4.
fn cell_of(kind: ColumnKind, v: &Value) -> Result<String, &'static str> {
    let out = match kind {
        ColumnKind::Text => v.as_str().and_then(plain_text),
        ColumnKind::LongText => field(v, "text").and_then(plain_text),
        ColumnKind::Numbers => v.as_str().filter(|s| is_csv_number(s)).map(str::to_string),
        ColumnKind::Status => field(v, "label").and_then(plain_text),
        ColumnKind::Dropdown => dropdown_cell(v),
        ColumnKind::Date => match (field(v, "date"), v.get("time")) {
            (Some(d), None) if is_iso_date(d) => Some(d.to_string()),
            _ => None,
        },
        ColumnKind::Timeline => match (field(v, "from"), field(v, "to")) {
            (Some(f), Some(t)) if is_iso_date(f) && is_iso_date(t) => Some(format!("{f}/{t}")),
            _ => None,
        },
        ColumnKind::Email => field(v, "email")
            .filter(|e| is_plain_email(e))
            .map(str::to_string),
        ColumnKind::Link => field(v, "url")
            .filter(|u| field(v, "text").is_none_or(|t| t == *u))
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .filter(|u| !u.contains(char::is_whitespace))
            .map(str::to_string),
        ColumnKind::Phone => match (field(v, "phone"), v.get("countryShortName")) {
            (Some(p), None) if is_csv_phone(p) => Some(p.to_string()),
            _ => None,
        },
        ColumnKind::Checkbox => (field(v, "checked") == Some("true")).then(|| "true".to_string()),
    };
    out.ok_or(match kind {
        ColumnKind::Dropdown => "a dropdown label the CSV cannot carry (comma or blanks)",
        ColumnKind::Date => "a date with a time (the CSV takes YYYY-MM-DD only)",
        ColumnKind::Phone => "a phone with a country or under 4 digits",
        _ => "a value the CSV form of this column type cannot carry exactly",
    })
}

/// Dropdown labels, comma-separated (§2.4); a label with a comma or blanks cannot be carried.
fn dropdown_cell(v: &Value) -> Option<String> {
    let labels = v.get("labels")?.as_array()?;
    let mut parts = Vec::with_capacity(labels.len());
    for l in labels {
        let l = l.as_str().and_then(plain_text)?;
        if l.contains(',') {
            return None;
        }
        parts.push(l);
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// `-?digits[.digits]` (§2.4: integer or decimal).
fn is_csv_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && digits(frac)
}

/// `YYYY-MM-DD`, a real date.
fn is_iso_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// `local@domain.tld` without blanks or commas (the `Name <addr>` form is never written).
fn is_plain_email(s: &str) -> bool {
    let ok_chars = !s.contains([' ', ',', '<', '>', '"']) && !s.is_empty();
    ok_chars
        && s.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && !d.contains('@') && d.split('.').filter(|p| !p.is_empty()).count() >= 2
        })
}

/// Digits with `+ - ( ) . space`, at least 4 digits (the simulator's reading of "various
/// formats"; the docs give no country-hint syntax, so a country never goes as CSV).
fn is_csv_phone(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || "+-(). ".contains(c))
        && s.chars().filter(char::is_ascii_digit).count() >= 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn layout() -> CsvLayout {
        CsvLayout {
            key_column: "key".into(),
            columns: vec![
                ("t".into(), ColumnKind::Text),
                ("n".into(), ColumnKind::Numbers),
                ("s".into(), ColumnKind::Status),
                ("d".into(), ColumnKind::Dropdown),
                ("dt".into(), ColumnKind::Date),
                ("tl".into(), ColumnKind::Timeline),
                ("e".into(), ColumnKind::Email),
                ("l".into(), ColumnKind::Link),
                ("p".into(), ColumnKind::Phone),
                ("c".into(), ColumnKind::Checkbox),
                ("lt".into(), ColumnKind::LongText),
            ],
        }
    }

    fn rec(name: &str, cv: &str) -> PreparedRecord {
        PreparedRecord {
            line: 2,
            key: "K-1".into(),
            name: name.into(),
            column_values: cv.into(),
            ..Default::default()
        }
    }

    fn parse(csv: &str) -> Vec<Vec<String>> {
        let mut r = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.as_bytes());
        r.records()
            .map(|x| x.expect("valid CSV").iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn every_type_in_its_documented_form() {
        let cv = r#"{"key":"K-1","t":"a, \"b\"","n":"-12.50","s":{"label":"Done"},"d":{"labels":["A","B"]},"dt":{"date":"2026-03-04"},"tl":{"from":"2026-01-01","to":"2026-01-31"},"e":{"email":"a@b.co","text":"a@b.co"},"l":{"url":"https://x.io/a","text":"https://x.io/a"},"p":{"phone":"+4420123456"},"c":{"checked":"true"},"lt":{"text":"line1\nline2"}}"#;
        let l = layout();
        let row = l.row(&rec("PO 1", cv)).unwrap();
        let got = parse(&format!("{}{row}", l.header()));
        assert_eq!(
            got[0],
            ["name", "key", "t", "n", "s", "d", "dt", "tl", "e", "l", "p", "c", "lt"]
        );
        assert_eq!(
            got[1],
            [
                "PO 1",
                "K-1",
                "a, \"b\"",
                "-12.50",
                "Done",
                "A,B",
                "2026-03-04",
                "2026-01-01/2026-01-31",
                "a@b.co",
                "https://x.io/a",
                "+4420123456",
                "true",
                "line1\nline2"
            ]
        );
    }

    #[test]
    fn values_the_csv_cannot_carry_are_refused_not_altered() {
        let l = layout();
        for (cv, col) in [
            (r#"{"d":{"labels":["A, Inc","B"]}}"#, "d"),
            (r#"{"dt":{"date":"2026-03-04","time":"10:00:00"}}"#, "dt"),
            (
                r#"{"p":{"phone":"+4420123456","countryShortName":"GB"}}"#,
                "p",
            ),
            (r#"{"p":{"phone":"12"}}"#, "p"),
            (r#"{"t":"  padded"}"#, "t"),
            (r#"{"t":"<NULL>"}"#, "t"),
            (r#"{"n":"1e5"}"#, "n"),
            (r#"{"l":{"url":"ftp://x","text":"ftp://x"}}"#, "l"),
        ] {
            let e = l.row(&rec("x", cv)).unwrap_err();
            assert_eq!(e.column_id, col, "{cv}");
        }
        let mut needs_labels = rec("x", "{}");
        needs_labels.create_labels = true;
        assert!(l.row(&needs_labels).is_err());
    }

    proptest! {
        #[test]
        fn rows_round_trip_through_a_csv_parser(
            name in "[^\r]{1,40}",
            text in "\\PC{0,40}",
            labels in proptest::collection::vec("[A-Za-z0-9 ]{1,8}", 1..4),
        ) {
            let l = layout();
            let cv = serde_json::json!({
                "t": text,
                "d": {"labels": labels},
            }).to_string();
            match l.row(&rec(&name, &cv)) {
                Ok(row) => {
                    let got = parse(&format!("{}{row}", l.header()));
                    prop_assert_eq!(got.len(), 2);
                    prop_assert_eq!(got[1].len(), got[0].len());
                    prop_assert_eq!(&got[1][0], &name);
                    let t = if text.is_empty() { String::new() } else { text.clone() };
                    prop_assert_eq!(&got[1][2], &t);
                    let back: Vec<String> = got[1][5].split(',').map(str::to_string).collect();
                    prop_assert_eq!(back, labels);
                }
                Err(e) => {
                    // Only values that are not exact in CSV are refused.
                    let exact = |s: &str| s.trim() == s && !s.contains('\r') && s != NULL_MARK;
                    prop_assert!(
                        !exact(&name) || !exact(&text) || labels.iter().any(|x| !exact(x)),
                        "refused an exact record: {:?}", e
                    );
                }
            }
        }

        #[test]
        fn any_cell_is_one_field(s in "\\PC{0,60}") {
            let mut line = String::new();
            push_cell(&mut line, &s);
            line.push(',');
            push_cell(&mut line, "end");
            let got = parse(&line);
            prop_assert_eq!(got, vec![vec![s, "end".to_string()]]);
        }
    }
}
