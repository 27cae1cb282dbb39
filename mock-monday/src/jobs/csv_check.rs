//! CSV validation of an uploaded file against its board, per the docs' per-type table
//! (https://developer.monday.com/api-reference/docs/importing-items-in-bulk, "CSV format",
//! "Column type validation"). File-level problems reject the whole job ([`FileError`]);
//! row-level problems make the row `invalid` ([`RowProblem`], listed in the report).
//!
//! A valid cell becomes the JSON write form of `change_multiple_column_values` (so the store's
//! own validation applies as well); `<NULL>` becomes JSON null (clear); an empty or
//! whitespace-only cell is left out (keep on update, blank on create).

use serde_json::{json, Map, Value};

use crate::columns::{write, ColumnDef, ColumnKind};
use crate::store::Board;

use super::FailureReason;

/// The cell text that clears a column on UPSERT (documented) and leaves it blank on create.
pub const NULL_CELL: &str = "<NULL>";

/// Column types a CSV header may name (the column types the simulator models that the docs
/// list as supported; subtasks columns are not).
fn supported(kind: ColumnKind) -> bool {
    !matches!(kind, ColumnKind::Name | ColumnKind::Subtasks)
}

/// Column types allowed as `on_match.match_column_id` (IngestRef, "Supported match column
/// types": Email, Phone, Text, Name, Numbers, Link, Date, Long text, Status).
pub fn matchable(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::Email
            | ColumnKind::Phone
            | ColumnKind::Text
            | ColumnKind::Name
            | ColumnKind::Numbers
            | ColumnKind::Link
            | ColumnKind::Date
            | ColumnKind::LongText
            | ColumnKind::Status
    )
}

/// A problem with the whole file: the job ends `REJECTED`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct FileError {
    pub reason: FailureReason,
    pub message: String,
}

impl FileError {
    fn invalid(message: impl Into<String>) -> Self {
        Self {
            reason: FailureReason::InvalidUpload,
            message: message.into(),
        }
    }
}

/// One invalid cell or row (a line of the report).
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The column id (`name` for the item name).
    pub column: String,
    /// The cell as sent.
    pub value: String,
    pub reason: String,
}

/// One valid row: what to write.
#[derive(Debug, Clone, PartialEq)]
pub struct RowPlan {
    pub line: u64,
    /// The item name (may be empty only for an UPSERT row that matches by another column).
    pub name: String,
    /// Column id -> JSON write form (null clears); empty cells are absent.
    pub values: Map<String, Value>,
    /// The match column's cell text (trimmed; empty = no match value).
    pub match_value: String,
}

/// What validation found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Checked {
    /// Data rows in the file.
    pub submitted: usize,
    pub rows: Vec<RowPlan>,
    pub invalid: Vec<RowProblem>,
}

/// What the file is checked against.
pub struct CheckSpec<'a> {
    pub board: &'a Board,
    pub max_rows: usize,
    pub max_bytes: usize,
    /// The `on_match` column, if any.
    pub match_column: Option<&'a str>,
}

/// Validates a file.
pub fn check(bytes: &[u8], spec: &CheckSpec<'_>) -> Result<Checked, FileError> {
    if bytes.len() > spec.max_bytes {
        return Err(FileError {
            reason: FailureReason::FileTooLarge,
            message: format!(
                "The file is {} bytes, more than the {} bytes allowed",
                bytes.len(),
                spec.max_bytes
            ),
        });
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| FileError::invalid(format!("The file is not valid UTF-8: {e}")))?;
    // The csv reader would drop a byte-order mark and close a quote left open at the end of
    // the file; the import reads the header literally (`name`, not `\u{feff}name`) and
    // quoting strictly (every quote opened is closed, embedded quotes are doubled).
    if text.starts_with('\u{feff}') {
        return Err(FileError::invalid(
            "The first header must be `name`: the file starts with a byte-order mark",
        ));
    }
    if text.matches('"').count() % 2 == 1 {
        return Err(FileError::invalid(
            "Malformed CSV: a quoted value is not closed, or a quote inside a value is not doubled",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(FileError::invalid(format!("Malformed CSV: {e}"))),
        None => return Err(FileError::invalid("The file is empty: no header row")),
    };
    let columns = header_columns(&header, spec)?;
    let mut out = Checked::default();
    for record in records {
        let record = record.map_err(|e| FileError::invalid(format!("Malformed CSV: {e}")))?;
        out.submitted += 1;
        if out.submitted > spec.max_rows {
            return Err(FileError::invalid(format!(
                "The file has more than {} data rows",
                spec.max_rows
            )));
        }
        let line = record.position().map_or(0, |p| p.line());
        match check_row(&record, line, &columns, spec) {
            Ok(row) => out.rows.push(row),
            Err(problem) => out.invalid.push(problem),
        }
    }
    Ok(out)
}

/// The header: `name` first, then column ids of the board (case-sensitive), each once.
fn header_columns<'b>(
    header: &csv::StringRecord,
    spec: &CheckSpec<'b>,
) -> Result<Vec<&'b ColumnDef>, FileError> {
    let mut fields = header.iter();
    if fields.next() != Some("name") {
        return Err(FileError::invalid(
            "The first header must be `name` (case-sensitive)",
        ));
    }
    let mut columns: Vec<&ColumnDef> = Vec::new();
    for id in fields {
        let col = spec.board.column(id).ok_or_else(|| {
            FileError::invalid(format!(
                "Header `{id}` is not a column id of board {}",
                spec.board.id
            ))
        })?;
        if !supported(col.kind) {
            return Err(FileError::invalid(format!(
                "Column `{id}` has type {} which the import does not support",
                col.kind.type_name()
            )));
        }
        if columns.iter().any(|c| c.id == col.id) {
            return Err(FileError::invalid(format!("Header `{id}` appears twice")));
        }
        columns.push(col);
    }
    if let Some(m) = spec.match_column.filter(|m| *m != "name") {
        if !columns.iter().any(|c| c.id == m) {
            return Err(FileError::invalid(format!(
                "The match column `{m}` is not in the header"
            )));
        }
    }
    Ok(columns)
}

fn check_row(
    record: &csv::StringRecord,
    line: u64,
    columns: &[&ColumnDef],
    spec: &CheckSpec<'_>,
) -> Result<RowPlan, RowProblem> {
    let problem = |column: &str, value: &str, reason: String| RowProblem {
        line,
        column: column.to_string(),
        value: value.to_string(),
        reason,
    };
    let name = record.get(0).unwrap_or("").trim().to_string();
    let mut values = Map::new();
    let mut match_value = String::new();
    if spec.match_column == Some("name") {
        match_value = name.clone();
    }
    for (col, raw) in columns.iter().zip(record.iter().skip(1)) {
        let cell = raw.trim();
        if cell.is_empty() {
            continue;
        }
        if cell == NULL_CELL {
            values.insert(col.id.clone(), Value::Null);
            continue;
        }
        let json = cell_json(col, cell).map_err(|reason| problem(&col.id, raw, reason))?;
        write::parse_json(col, &json, false)
            .map_err(|e| problem(&col.id, raw, e.message.clone()))?;
        if Some(col.id.as_str()) == spec.match_column {
            match_value = match_key(col.kind, &json, cell);
        }
        values.insert(col.id.clone(), json);
    }
    let matches_elsewhere =
        spec.match_column.is_some_and(|m| m != "name") && !match_value.is_empty();
    if name.is_empty() && !matches_elsewhere {
        return Err(problem("name", "", "The item name is empty".to_string()));
    }
    if name.chars().count() > 255 {
        return Err(problem(
            "name",
            &name,
            "The item name is longer than 255 characters".to_string(),
        ));
    }
    Ok(RowPlan {
        line,
        name,
        values,
        match_value,
    })
}

/// What a match cell is compared by: the address of an email, the URL of a link, the date of a
/// date; the trimmed text otherwise (exact, case-sensitive: the simulator's choice).
fn match_key(kind: ColumnKind, json: &Value, cell: &str) -> String {
    let field = match kind {
        ColumnKind::Email => "email",
        ColumnKind::Link => "url",
        ColumnKind::Date => "date",
        _ => return cell.to_string(),
    };
    json.get(field)
        .and_then(Value::as_str)
        .unwrap_or(cell)
        .to_string()
}

/// `YYYY-MM-DD`, a real calendar date.
fn iso_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// The JSON write form of one non-empty cell, or why it is invalid.
fn cell_json(col: &ColumnDef, cell: &str) -> Result<Value, String> {
    let exact_label = |label: &str| col.labels.values().any(|l| l == label);
    match col.kind {
        ColumnKind::Text => Ok(json!(cell)),
        ColumnKind::LongText => Ok(json!({ "text": cell })),
        ColumnKind::Numbers => {
            let digits = cell.strip_prefix('-').unwrap_or(cell);
            let ok = match digits.split_once('.') {
                Some((i, f)) => {
                    !i.is_empty()
                        && !f.is_empty()
                        && i.bytes().all(|b| b.is_ascii_digit())
                        && f.bytes().all(|b| b.is_ascii_digit())
                }
                None => !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
            };
            if ok {
                Ok(json!(cell))
            } else {
                Err(format!("`{cell}` is not an integer or decimal number"))
            }
        }
        ColumnKind::Status => {
            if exact_label(cell) {
                Ok(json!({ "label": cell }))
            } else {
                Err(format!(
                    "Status label `{cell}` does not exist on column `{}` (labels are case-sensitive and never created)",
                    col.id
                ))
            }
        }
        ColumnKind::Dropdown => {
            let labels: Vec<&str> = cell
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if let Some(missing) = labels.iter().find(|l| !exact_label(l)) {
                return Err(format!(
                    "Dropdown label `{missing}` does not exist on column `{}` (labels are never created)",
                    col.id
                ));
            }
            Ok(json!({ "labels": labels }))
        }
        ColumnKind::Date => {
            if iso_date(cell) {
                Ok(json!({ "date": cell }))
            } else {
                Err(format!("`{cell}` is not a date in YYYY-MM-DD format"))
            }
        }
        ColumnKind::Timeline => {
            let (from, to) = cell.split_once('/').unwrap_or((cell, cell));
            if !(iso_date(from) && iso_date(to)) {
                return Err(format!(
                    "`{cell}` is not a timeline `YYYY-MM-DD/YYYY-MM-DD` or a single date"
                ));
            }
            if from > to {
                return Err(format!("Timeline `{cell}` ends before it starts"));
            }
            Ok(json!({ "from": from, "to": to }))
        }
        ColumnKind::Email => {
            let (text, addr) = match cell.strip_suffix('>').and_then(|c| c.rsplit_once('<')) {
                Some((name, addr)) => (name.trim(), addr.trim()),
                None => (cell, cell),
            };
            let valid = addr.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
            }) && !addr.chars().any(char::is_whitespace);
            if !valid {
                return Err(format!("`{cell}` is not a valid email address"));
            }
            let text = if text.is_empty() { addr } else { text };
            Ok(json!({ "email": addr, "text": text }))
        }
        ColumnKind::Link => {
            let (text, url) = match cell
                .strip_prefix('[')
                .and_then(|c| c.strip_suffix(')'))
                .and_then(|c| c.split_once("]("))
            {
                Some((text, url)) => (text, url),
                None => (cell, cell),
            };
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("Link `{cell}` must start with http:// or https://"));
            }
            Ok(json!({ "url": url, "text": text }))
        }
        ColumnKind::Phone => {
            let digits = cell.chars().filter(char::is_ascii_digit).count();
            let allowed = cell
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+') || " -().".contains(c));
            if !allowed || digits < 4 {
                return Err(format!("`{cell}` is not a phone number"));
            }
            let country = phone_region(cell).unwrap_or_default();
            Ok(json!({ "phone": cell, "countryShortName": country }))
        }
        ColumnKind::Checkbox => {
            let lower = cell.to_lowercase();
            if ["true", "yes", "y", "x", "checked", "1", "✓", "✔"].contains(&lower.as_str()) {
                Ok(json!({ "checked": "true" }))
            } else if ["false", "no", "n", "0", "unchecked"].contains(&lower.as_str()) {
                Ok(Value::Null)
            } else {
                Err(format!("`{cell}` is not a checkbox value"))
            }
        }
        ColumnKind::Name | ColumnKind::Subtasks => Err("unsupported column".to_string()),
    }
}

/// The country of a phone cell: the docs allow "optional country hints" without giving their
/// form (docs/monday-bulk-import.md §2.4), so the simulator takes the one hint a number carries
/// by itself: a number in international form (`+CC...`) belongs to the region libphonenumber's
/// metadata gives it (a country code with one region, or the region whose number patterns
/// match, e.g. `+1 212...` -> US). Anything else (no `+`, a `+1` number no region's patterns
/// claim, an unknown code) has no country (`""`), as before.
pub fn phone_region(cell: &str) -> Option<String> {
    let cell = cell.trim();
    if !cell.starts_with('+') {
        return None;
    }
    let number = phonenumber::parse(None, cell).ok()?;
    number.country().id().map(|id| id.as_ref().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Fixture;

    fn board() -> Board {
        crate::store::Store::from_fixture(&Fixture::default_order_list()).boards()[0].clone()
    }

    fn spec(board: &Board) -> CheckSpec<'_> {
        CheckSpec {
            board,
            max_rows: 10_000,
            max_bytes: 1 << 20,
            match_column: None,
        }
    }

    fn col_of(board: &Board, kind: ColumnKind) -> String {
        board
            .columns
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.id.clone())
            .unwrap_or_else(|| panic!("fixture has a {kind:?} column"))
    }

    #[test]
    fn header_must_start_with_name_and_name_board_columns() {
        let b = board();
        let reason = |csv: &str| check(csv.as_bytes(), &spec(&b)).unwrap_err().reason;
        assert_eq!(reason("Name\nx\n"), FailureReason::InvalidUpload);
        assert_eq!(reason("name,nope\nx,1\n"), FailureReason::InvalidUpload);
        assert_eq!(reason("\u{feff}name\nx\n"), FailureReason::InvalidUpload);
        assert_eq!(reason(""), FailureReason::InvalidUpload);
        let text = col_of(&b, ColumnKind::Text);
        assert_eq!(
            reason(&format!("name,{text},{text}\na,b,c\n")),
            FailureReason::InvalidUpload
        );
        let ok = check(format!("name,{text}\na,b\n").as_bytes(), &spec(&b)).unwrap();
        assert_eq!((ok.submitted, ok.rows.len()), (1, 1));
    }

    #[test]
    fn malformed_rows_non_utf8_and_oversize_reject_the_file() {
        let b = board();
        let r = |bytes: &[u8], s: &CheckSpec<'_>| check(bytes, s).unwrap_err().reason;
        assert_eq!(
            r(b"name\n\"open\n", &spec(&b)),
            FailureReason::InvalidUpload
        );
        assert_eq!(r(b"name\na,b\n", &spec(&b)), FailureReason::InvalidUpload);
        assert_eq!(
            r(b"name\n\xff\xfe\n", &spec(&b)),
            FailureReason::InvalidUpload
        );
        let small = CheckSpec {
            max_bytes: 5,
            ..spec(&b)
        };
        assert_eq!(r(b"name\nabcdef\n", &small), FailureReason::FileTooLarge);
        let few = CheckSpec {
            max_rows: 2,
            ..spec(&b)
        };
        assert_eq!(r(b"name\na\nb\nc\n", &few), FailureReason::InvalidUpload);
        assert!(
            check(b"name\na\nb\n", &few).is_ok(),
            "the header does not count"
        );
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        let b = board();
        let text = col_of(&b, ColumnKind::Text);
        let c = check(
            format!("name,{text}\n\"A, \"\"B\"\"\",\"x\ny\"\r\n").as_bytes(),
            &spec(&b),
        )
        .unwrap();
        assert_eq!(c.rows[0].name, "A, \"B\"");
        assert_eq!(c.rows[0].values[&text], json!("x\ny"));
    }

    #[test]
    fn cells_follow_the_per_type_table() {
        let b = board();
        let kinds = [
            (ColumnKind::Numbers, "12.5", "1,000"),
            (ColumnKind::Date, "2026-03-01", "01/03/2026"),
            (ColumnKind::Email, "Ann <ann@x.com>", "ann-at-x"),
            (ColumnKind::Phone, "+1 212 555 0100", "call me"),
            (ColumnKind::Link, "[Site](https://x.com)", "www.x.com"),
            (
                ColumnKind::Timeline,
                "2026-01-01/2026-01-31",
                "2026-01-01 - 2026-01-31",
            ),
            (ColumnKind::Checkbox, "Yes", "maybe"),
        ];
        for (kind, good, bad) in kinds {
            let Some(col) = b.columns.iter().find(|c| c.kind == kind) else {
                continue;
            };
            let csv = format!("name,{}\na,\"{good}\"\nb,\"{bad}\"\n", col.id);
            let c = check(csv.as_bytes(), &spec(&b)).unwrap();
            assert_eq!(c.rows.len(), 1, "{kind:?}: {good} valid");
            assert_eq!(c.invalid.len(), 1, "{kind:?}: {bad} invalid");
            assert_eq!(c.invalid[0].line, 3);
            assert_eq!(c.invalid[0].column, col.id);
        }
    }

    #[test]
    fn an_international_phone_carries_its_country() {
        assert_eq!(phone_region("+4930 5550123").as_deref(), Some("DE"));
        assert_eq!(phone_region("+33145550123").as_deref(), Some("FR"));
        assert_eq!(phone_region("+1 212 555 0100").as_deref(), Some("US"));
        assert_eq!(phone_region("030 5550123"), None, "no +: no country");
        assert_eq!(phone_region("+999 123456"), None, "no such code");
        let b = board();
        let col = col_of(&b, ColumnKind::Phone);
        let csv = format!("name,{col}\na,+4930 5550123\nb,030 5550123\n");
        let c = check(csv.as_bytes(), &spec(&b)).unwrap();
        assert_eq!(c.rows[0].values[&col]["countryShortName"], json!("DE"));
        assert_eq!(c.rows[1].values[&col]["countryShortName"], json!(""));
    }

    #[test]
    fn status_labels_must_exist_exactly() {
        let b = board();
        let col = b
            .columns
            .iter()
            .find(|c| c.kind == ColumnKind::Status && !c.labels.is_empty())
            .expect("a status column with labels");
        let label = col.labels.values().next().unwrap().clone();
        let csv = format!(
            "name,{id}\na,{label}\nb,{upper}\nc,Brand New Label\n",
            id = col.id,
            upper = label.to_uppercase()
        );
        let c = check(csv.as_bytes(), &spec(&b)).unwrap();
        assert_eq!(c.rows.len(), 1);
        assert_eq!(c.invalid.len(), 2, "case differs; label missing");
    }

    #[test]
    fn empty_cells_keep_and_null_clears() {
        let b = board();
        let text = col_of(&b, ColumnKind::Text);
        let c = check(
            format!("name,{text}\na,  \nb,<NULL>\n").as_bytes(),
            &spec(&b),
        )
        .unwrap();
        assert!(c.rows[0].values.is_empty());
        assert_eq!(c.rows[1].values[&text], Value::Null);
        let c = check(b"name\n\n \n", &spec(&b)).unwrap();
        assert_eq!(c.invalid.len() + c.rows.len(), c.submitted);
    }
}
