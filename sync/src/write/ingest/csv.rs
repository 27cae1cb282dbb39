//! The CSV a bulk import job uploads, written per column type exactly as the docs' "Column type
//! validation" table says (docs/monday-bulk-import.md §2.1, §2.2, §2.4;
//! https://developer.monday.com/api-reference/docs/importing-items-in-bulk).
//!
//! The header is `name`, the key column, then the mapped column ids (§2.2). Each record's cells
//! come from its prepared `column_values` (the API's write format, already validated by the
//! transformer), mapped back to the CSV form of its column type. A value the CSV cannot carry
//! exactly — a dropdown label containing a comma, a date with a time, a phone whose country
//! the number does not carry itself, text with surrounding blanks, the literal `<NULL>`,
//! anything the table does not list for the type — makes the whole record [`NotCarried`]: it
//! goes as `create_item` / `change_multiple_column_values` instead, never silently altered.
//! Cells are quoted per RFC 4180 (§2.1); lines end with LF (the import takes LF and CRLF
//! alike), and a cell may hold line breaks, so a record can span several physical lines: the
//! job's report names a record by the physical line it starts on (header = 1), see
//! [`CsvLayout::row`].
//!
//! **Labels.** A job never creates status or dropdown labels and matches them exactly,
//! case-sensitively (§2.4). A label the board has exactly is carried. A label the board lacks,
//! on a column with `create_labels_if_missing = true` whose labels the board read returned, is
//! carried too: [`CsvLayout::labels_needed`] names it, and the labels step
//! ([`super::labels`]) adds it to its column before the job starts. A label the board has only
//! in another case (`create_item` would pick the board's label; a job would fail the row), or
//! on a column whose labels are unknown, is not carried.
//!
//! **Phones.** The docs give a Phone cell as "a phone number string, various formats, optional
//! country hints" and never say what a hint looks like, so the CSV cannot carry a separate
//! country. What a number in international form (`+CC...`) carries by itself is its country
//! code, and libphonenumber's metadata (the `phonenumber` crate) maps a code and number to
//! one region: `+49...` is DE, and `+1...` is US, CA or another NANP region only when that
//! region's number patterns claim it. So a phone with a country goes as the cell `+CC...`
//! exactly when that region **is** the record's country: whoever reads the number (monday.com
//! or the simulator, which derives the country the same way) gets the same country back, and
//! the stored country is never changed. A national number with a country, a `+1` number no
//! region claims, or a number whose region differs from the record's country (a German mobile
//! for an Austrian buyer) stays on `create_item` ([`phone_cell`]). So does an international
//! number sent without a country: a job would store the country the number carries, where
//! `create_item` stores none.

use std::collections::{HashMap, HashSet};

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
    /// Status/dropdown columns: the labels the board has and whether missing ones may be added.
    labels: HashMap<String, LabelColumn>,
}

/// What the layout knows of one status/dropdown column's labels.
#[derive(Debug, Clone, Default)]
struct LabelColumn {
    /// The board's labels, exactly as it spells them; `None`: not known (no board read).
    known: Option<HashSet<String>>,
    /// `create_labels_if_missing = true`: a missing label is added before the job.
    create: bool,
}

/// How one label stands against its column.
enum LabelFit {
    /// The board has it exactly.
    Known,
    /// Missing, and the labels step may add it before the job.
    ToAdd,
}

/// The string the import reads as "clear this column" under UPSERT (§2.5): never a value.
const NULL_MARK: &str = "<NULL>";

impl CsvLayout {
    /// The layout of `cfg`'s board; `board_labels`: column id -> the labels the board read
    /// returned (columns missing here have unknown labels).
    pub(crate) fn new(cfg: &SyncConfig, board_labels: &HashMap<String, Vec<String>>) -> Self {
        let labels = cfg
            .columns
            .iter()
            .filter(|c| matches!(c.kind, ColumnKind::Status | ColumnKind::Dropdown))
            .map(|c| {
                let known = board_labels
                    .get(&c.column_id)
                    .map(|ls| ls.iter().cloned().collect());
                let col = LabelColumn {
                    known,
                    create: c.create_labels_if_missing,
                };
                (c.column_id.clone(), col)
            })
            .collect();
        CsvLayout {
            key_column: cfg.board.key_column.clone(),
            columns: cfg
                .columns
                .iter()
                .map(|c| (c.column_id.clone(), c.kind))
                .collect(),
            labels,
        }
    }

    /// The kind of a mapped column.
    pub(crate) fn kind_of(&self, column_id: &str) -> Option<ColumnKind> {
        self.columns
            .iter()
            .find(|(id, _)| id == column_id)
            .map(|(_, k)| *k)
    }

    /// How `label` stands against column `id`, or why a row cannot carry it.
    fn label_fit(&self, id: &str, label: &str) -> Result<LabelFit, &'static str> {
        let col = self.labels.get(id).ok_or("not a label column")?;
        let known = col
            .known
            .as_ref()
            .ok_or("the column's labels are unknown (a job cannot create labels)")?;
        if known.contains(label) {
            return Ok(LabelFit::Known);
        }
        let lower = label.to_lowercase();
        if known.iter().any(|k| k.to_lowercase() == lower) {
            return Err("a label the board has in another case (a job matches labels exactly)");
        }
        if col.create {
            Ok(LabelFit::ToAdd)
        } else {
            Err("a label the board does not have")
        }
    }

    /// The labels (column id, label) `rec`'s row needs added to the board before its job; empty
    /// when the board has them all. Only meaningful for a record [`CsvLayout::row`] carries.
    pub(crate) fn labels_needed(&self, rec: &PreparedRecord) -> Vec<(String, String)> {
        let Ok(values) = serde_json::from_str::<Map<String, Value>>(&rec.column_values) else {
            return vec![];
        };
        let mut out = vec![];
        for (id, kind) in &self.columns {
            let Some(v) = values.get(id) else { continue };
            for label in labels_of(*kind, v) {
                if let Ok(LabelFit::ToAdd) = self.label_fit(id, label) {
                    out.push((id.clone(), label.to_string()));
                }
            }
        }
        out
    }

    /// The header line (with its line end).
    pub(crate) fn header(&self) -> String {
        let mut out = String::from("name,");
        push_cell(&mut out, &self.key_column);
        for (id, _) in &self.columns {
            out.push(',');
            push_cell(&mut out, id);
        }
        out.push('\n');
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
        let name = plain_text(&rec.name).ok_or_else(|| not("name", "name not exact in CSV"))?;
        let key = plain_text(&rec.key).ok_or_else(|| not(&self.key_column, "key not exact"))?;
        let mut cells = vec![name, key];
        for (id, kind) in &self.columns {
            let cell = match values.get(id) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) if s.is_empty() => String::new(),
                Some(v) => {
                    for label in labels_of(*kind, v) {
                        self.label_fit(id, label).map_err(|why| not(id, why))?;
                    }
                    cell_of(*kind, v).map_err(|why| not(id, why))?
                }
            };
            cells.push(cell);
        }
        Ok(cells)
    }

    /// One row (with its line end), or why the record cannot be one. The row spans
    /// `1 + row.matches('\n').count() - 1` physical lines (quoted cells may hold line breaks).
    pub(crate) fn row(&self, rec: &PreparedRecord) -> Result<String, NotCarried> {
        let cells = self.cells(rec)?;
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_cell(&mut out, c);
        }
        out.push('\n');
        Ok(out)
    }
}

/// Whether a bulk-import CSV row can carry a record exactly, judged by the format alone (the
/// public face of `CsvLayout::row` for monday-perf's ceiling, which counts the records every
/// plan must send as `create_item`). Every status/dropdown label counts as one the board has or
/// that the labels step adds before the job (`write::ingest::labels`): a label missing on the board
/// never keeps a record off a job, only a value the format cannot express does. A label the
/// board has only in another case depends on the board, not the format, and is not judged here.
#[derive(Debug, Clone)]
pub struct CsvRowCheck {
    layout: CsvLayout,
}

impl CsvRowCheck {
    /// The check for the rows of `cfg`'s board.
    pub fn new(cfg: &SyncConfig) -> Self {
        let mut layout = CsvLayout::new(cfg, &HashMap::new());
        for col in layout.labels.values_mut() {
            col.known = Some(HashSet::new());
            col.create = true;
        }
        CsvRowCheck { layout }
    }

    /// True when a CSV row carries `rec` (a record the sync's transformer prepared with the same
    /// config) exactly; false when it must go as `create_item`.
    pub fn carries(&self, rec: &PreparedRecord) -> bool {
        match self.layout.row(rec) {
            Ok(_) => true,
            Err(e) => {
                tracing::trace!(line = rec.line, column = %e.column_id, why = e.why, "a CSV row cannot carry the record");
                false
            }
        }
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

/// The label texts of a status (`{"label": ..}`) or dropdown (`{"labels": [..]}`) value.
fn labels_of(kind: ColumnKind, v: &Value) -> Vec<&str> {
    match kind {
        ColumnKind::Status => field(v, "label").into_iter().collect(),
        ColumnKind::Dropdown => v
            .get("labels")
            .and_then(Value::as_array)
            .map(|ls| ls.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
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
            (Some(p), None) => phone_cell(p, None),
            (Some(p), Some(Value::String(c))) => phone_cell(p, Some(c)),
            _ => None,
        },
        ColumnKind::Checkbox => (field(v, "checked") == Some("true")).then(|| "true".to_string()),
    };
    out.ok_or(match kind {
        ColumnKind::Dropdown => "a dropdown label the CSV cannot carry (comma or blanks)",
        ColumnKind::Date => "a date with a time (the CSV takes YYYY-MM-DD only)",
        ColumnKind::Phone => "a phone whose country the number does not carry (or under 4 digits)",
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

/// The CSV cell of a phone `number` with `country` (`None`: no country given), or `None` when
/// a cell cannot carry it exactly (see the module doc, "Phones"): the region the number
/// carries by libphonenumber's metadata must be exactly the given country, or, with no
/// country given, there must be none (a job would store the derived country where
/// `create_item` stores none).
pub(crate) fn phone_cell(number: &str, country: Option<&str>) -> Option<String> {
    if !is_csv_phone(number) {
        return None;
    }
    (phone_region(number).as_deref() == country).then(|| number.to_string())
}

/// The region libphonenumber's metadata gives an international number (`+CC...`): the code's
/// only region, or the one whose number patterns claim it; `None` for a national number or
/// when no region is determined.
pub(crate) fn phone_region(number: &str) -> Option<String> {
    let number = number.trim();
    if !number.starts_with('+') {
        return None;
    }
    let parsed = phonenumber::parse(None, number).ok()?;
    parsed.country().id().map(|id| id.as_ref().to_string())
}

/// Digits with `+ - ( ) . space`, at least 4 digits (the simulator's reading of "various
/// formats").
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
            labels: [("s", &["Done", "Stuck"][..], false), ("d", &[][..], true)]
                .into_iter()
                .map(|(id, known, create)| {
                    let known = Some(known.iter().map(|l| l.to_string()).collect());
                    (id.to_string(), LabelColumn { known, create })
                })
                .collect(),
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
                r#"{"p":{"phone":"+4930555012","countryShortName":"AT"}}"#,
                "p",
            ),
            (
                r#"{"p":{"phone":"030555012","countryShortName":"DE"}}"#,
                "p",
            ),
            (r#"{"s":{"label":"Lost"}}"#, "s"),
            (r#"{"s":{"label":"done"}}"#, "s"),
            (r#"{"p":{"phone":"12"}}"#, "p"),
            (r#"{"t":"  padded"}"#, "t"),
            (r#"{"t":"<NULL>"}"#, "t"),
            (r#"{"n":"1e5"}"#, "n"),
            (r#"{"l":{"url":"ftp://x","text":"ftp://x"}}"#, "l"),
        ] {
            let e = l.row(&rec("x", cv)).unwrap_err();
            assert_eq!(e.column_id, col, "{cv}");
        }
    }

    #[test]
    fn labels_the_board_lacks_are_named_for_adding_where_the_column_may_add_them() {
        let mut l = layout();
        let r = rec("x", r#"{"s":{"label":"Done"},"d":{"labels":["XXL","M"]}}"#);
        assert!(l.row(&r).is_ok());
        assert_eq!(
            l.labels_needed(&r),
            [
                ("d".to_string(), "XXL".to_string()),
                ("d".into(), "M".into())
            ]
        );
        // Known exactly: nothing to add.
        if let Some(d) = l.labels.get_mut("d") {
            d.known = Some(["XXL".to_string(), "M".to_string()].into());
        }
        assert!(l.labels_needed(&r).is_empty());
        // Known only in another case: a job would fail the row, so it is not carried.
        let other_case = rec("x", r#"{"d":{"labels":["xxl"]}}"#);
        assert_eq!(l.row(&other_case).unwrap_err().column_id, "d");
        // Labels unknown (no board read): never carried.
        if let Some(d) = l.labels.get_mut("d") {
            d.known = None;
        }
        assert_eq!(l.row(&r).unwrap_err().column_id, "d");
    }

    /// The public check: the format alone decides, through the same transformer and encoder
    /// the run uses; a label the board may lack never keeps a record off a row.
    #[test]
    fn the_row_check_refuses_only_values_the_format_cannot_express() {
        let toml = r#"
[api]
url = "http://127.0.0.1:1/v2"
[board]
id = "1"
key_source = "id"
key_column = "text_key"
[[columns]]
source = "status"
column_id = "status"
type = "status"
[[columns]]
source = "phone"
country_source = "country"
column_id = "phone"
type = "phone"
[[columns]]
source = "day"
column_id = "date"
type = "date"
"#;
        let cfg = SyncConfig::from_toml_str(toml, "t.toml").unwrap();
        let check = CsvRowCheck::new(&cfg);
        let t = crate::mapping::transform::Transformer::new(&cfg);
        let carries = |json: &str| {
            let fields = serde_json::from_str(json).unwrap();
            let rec = t
                .transform_pure(&crate::input::SourceRecord { line: 2, fields })
                .unwrap();
            check.carries(&rec)
        };
        // A status label no board read vouched for, on a column that may not create labels.
        assert!(carries(r#"{"id":"1","status":"Brand new label"}"#));
        assert!(carries(
            r#"{"id":"2","phone":"+4930555012","country":"DE"}"#
        ));
        assert!(carries(r#"{"id":"3","day":"2026-09-24"}"#));
        // A German number for an Austrian buyer; a date with a time.
        assert!(!carries(
            r#"{"id":"4","phone":"+4930555012","country":"AT"}"#
        ));
        assert!(!carries(r#"{"id":"5","day":"2026-09-24 10:30:00"}"#));
    }

    #[test]
    fn a_phone_goes_with_its_country_only_when_the_number_carries_that_country() {
        assert_eq!(phone_cell("030555012", None).as_deref(), Some("030555012"));
        assert_eq!(
            phone_cell("+4930555012", None),
            None,
            "a job would store DE"
        );
        assert_eq!(
            phone_cell("+4930555012", Some("DE")).as_deref(),
            Some("+4930555012")
        );
        assert_eq!(
            phone_cell("+33145550123", Some("FR")).as_deref(),
            Some("+33145550123")
        );
        assert_eq!(
            phone_cell("+12125550100", Some("US")).as_deref(),
            Some("+12125550100")
        );
        assert_eq!(phone_cell("+12125550100", Some("CA")), None, "a US number");
        assert_eq!(
            phone_cell("+4930555012", Some("AT")),
            None,
            "a German number"
        );
        assert_eq!(
            phone_cell("030555012", Some("DE")),
            None,
            "national: no country in it"
        );
        assert_eq!(phone_cell("+999123456", Some("DE")), None, "no such code");
        assert_eq!(phone_cell("+49", Some("DE")), None, "under 4 digits");
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

        /// Whatever the number and country, a phone the CSV carries reads back, by the
        /// simulator's documented reading of a cell, with exactly the record's country: the
        /// stored country never changes on the job path.
        #[test]
        fn the_phone_decision_never_changes_the_stored_country(
            code in prop::sample::select(vec!["1", "44", "49", "33", "81", "55", "48", "82", "7", "61", "999", ""]),
            rest in "[0-9 ]{0,12}",
            plus in any::<bool>(),
            country in prop::sample::select(vec!["US", "CA", "GB", "DE", "AT", "FR", "JP", "BR", "PL", "KR", "RU", "KZ", "AU", "JE"]),
            with_country in any::<bool>(),
        ) {
            let number = format!("{}{code}{rest}", if plus { "+" } else { "" });
            let given = with_country.then_some(country);
            if let Some(cell) = phone_cell(&number, given) {
                prop_assert_eq!(&cell, &number, "the number is never altered");
                let read = mock_monday::jobs::csv_check::phone_region(&cell);
                prop_assert_eq!(read.as_deref(), given);
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
