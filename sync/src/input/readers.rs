//! The streaming readers: NDJSON, a top-level JSON array, CSV with a header row. Each yields
//! one [`InputItem`] per record, with its 1-based line number.

use std::io::{BufRead, Read};

use serde_json::{Map, Value};

use crate::input::record::{object_from_slice, InputFailure, InputItem, SourceRecord};

/// Newline-delimited JSON, one object per line; blank lines are skipped.
pub struct NdjsonReader<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> NdjsonReader<R> {
    pub fn new(reader: R) -> Self {
        NdjsonReader {
            reader,
            line: 0,
            buf: Vec::with_capacity(1024),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for NdjsonReader<R> {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.line += 1;
                    let trimmed = self.buf.trim_ascii();
                    let trimmed = trimmed.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(trimmed);
                    if trimmed.is_empty() {
                        continue;
                    }
                    let line = self.line;
                    return Some(
                        object_from_slice(trimmed)
                            .map(|fields| SourceRecord { line, fields })
                            .map_err(|reason| InputFailure { line, reason }),
                    );
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(InputFailure {
                        line: self.line + 1,
                        reason: format!("read error: {e}"),
                    }));
                }
            }
        }
        None
    }
}

/// A top-level JSON array of objects, scanned element by element (bounded memory).
pub struct JsonArrayReader<R: Read> {
    bytes: std::iter::Peekable<std::io::Bytes<R>>,
    line: u64,
    started: bool,
    done: bool,
}

impl<R: BufRead> JsonArrayReader<R> {
    pub fn new(reader: R) -> Self {
        JsonArrayReader {
            bytes: reader.bytes().peekable(),
            line: 1,
            started: false,
            done: false,
        }
    }

    fn next_byte(&mut self) -> Option<Result<u8, String>> {
        match self.bytes.next()? {
            Ok(b) => {
                if b == b'\n' {
                    self.line += 1;
                }
                Some(Ok(b))
            }
            Err(e) => Some(Err(format!("read error: {e}"))),
        }
    }

    fn fail(&mut self, line: u64, reason: String) -> Option<InputItem> {
        self.done = true;
        Some(Err(InputFailure { line, reason }))
    }
}

impl<R: BufRead> Iterator for JsonArrayReader<R> {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        if self.done {
            return None;
        }
        // Skip whitespace, separators and (first time) the opening bracket.
        let first = loop {
            match self.next_byte() {
                None => {
                    let line = self.line;
                    return if self.started {
                        self.fail(line, "unterminated JSON array (missing `]`)".into())
                    } else {
                        self.done = true;
                        None
                    };
                }
                Some(Err(e)) => {
                    let line = self.line;
                    return self.fail(line, e);
                }
                Some(Ok(b)) if b.is_ascii_whitespace() || b == 0xEF || b == 0xBB || b == 0xBF => {}
                Some(Ok(b'[')) if !self.started => self.started = true,
                Some(Ok(b)) if !self.started => {
                    let line = self.line;
                    return self.fail(line, format!("expected `[`, found `{}`", b as char));
                }
                Some(Ok(b',')) => {}
                Some(Ok(b']')) => {
                    self.done = true;
                    return None;
                }
                Some(Ok(b)) => break b,
            }
        };
        let start_line = self.line;
        let mut buf = vec![first];
        let mut scan = Scanner::default();
        scan.feed(first);
        let container = first == b'{' || first == b'[';
        loop {
            if container && scan.depth == 0 {
                break;
            }
            if !container && !scan.in_str {
                match self.bytes.peek() {
                    None | Some(Ok(b',' | b']')) => break,
                    Some(Ok(b)) if b.is_ascii_whitespace() => break,
                    _ => {}
                }
            }
            match self.next_byte() {
                None => return self.fail(start_line, "unterminated JSON array element".into()),
                Some(Err(e)) => return self.fail(start_line, e),
                Some(Ok(b)) => {
                    buf.push(b);
                    scan.feed(b);
                }
            }
            if scan.depth < 0 {
                return self.fail(start_line, "unbalanced brackets in JSON array".into());
            }
        }
        Some(
            object_from_slice(&buf)
                .map(|fields| SourceRecord {
                    line: start_line,
                    fields,
                })
                .map_err(|reason| InputFailure {
                    line: start_line,
                    reason,
                }),
        )
    }
}

/// Bracket/string tracking for [`JsonArrayReader`].
#[derive(Default)]
pub(crate) struct Scanner {
    pub(crate) depth: i32,
    pub(crate) in_str: bool,
    esc: bool,
}

impl Scanner {
    pub(crate) fn feed(&mut self, b: u8) {
        if self.in_str {
            if self.esc {
                self.esc = false;
            } else if b == b'\\' {
                self.esc = true;
            } else if b == b'"' {
                self.in_str = false;
            }
        } else if b == b'"' {
            self.in_str = true;
        } else if b == b'{' || b == b'[' {
            self.depth += 1;
        } else if b == b'}' || b == b']' {
            self.depth -= 1;
        }
    }
}

/// CSV with a header row; every field is a string (empty = absent).
pub struct CsvReader<R: Read> {
    reader: csv::Reader<R>,
    headers: Vec<String>,
    record: csv::ByteRecord,
}

impl<R: Read> CsvReader<R> {
    /// Reads the header row; a missing or non-UTF-8 header is fatal.
    pub fn new(reader: R) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let headers = reader
            .byte_headers()
            .map_err(|e| format!("cannot read the CSV header: {e}"))?
            .iter()
            .map(|h| {
                std::str::from_utf8(h)
                    .map(|s| s.trim_start_matches('\u{feff}').trim().to_string())
                    .map_err(|_| "the CSV header is not valid UTF-8".to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if headers.iter().all(|h| h.is_empty()) {
            return Err("the CSV header row is empty".into());
        }
        Ok(CsvReader {
            reader,
            headers,
            record: csv::ByteRecord::new(),
        })
    }
}

impl<R: Read> Iterator for CsvReader<R> {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                Some(Err(InputFailure {
                    line,
                    reason: format!("CSV error: {e}"),
                }))
            }
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                if self.record.len() != self.headers.len() {
                    return Some(Err(InputFailure {
                        line,
                        reason: format!(
                            "expected {} fields (as in the header), found {}",
                            self.headers.len(),
                            self.record.len()
                        ),
                    }));
                }
                let mut fields = Map::new();
                for (h, raw) in self.headers.iter().zip(self.record.iter()) {
                    match std::str::from_utf8(raw) {
                        Ok("") => {}
                        Ok(s) => {
                            fields.insert(h.clone(), Value::String(s.to_string()));
                        }
                        Err(_) => {
                            return Some(Err(InputFailure {
                                line,
                                reason: format!("field `{h}` is not valid UTF-8"),
                            }))
                        }
                    }
                }
                Some(Ok(SourceRecord { line, fields }))
            }
        }
    }
}
