//! Streaming readers for NDJSON, CSV and JSON-array input.
//!
//! Records are produced one at a time (the file is never collected), each with its 1-based line
//! number. A broken record — bad JSON, wrong number of CSV fields, invalid UTF-8 — is an
//! [`InputFailure`] for that line; reading goes on with the next one.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::SyncError;

mod readers;
mod record;

use readers::Scanner;
pub use readers::{CsvReader, JsonArrayReader, NdjsonReader};
pub use record::{InputFailure, InputItem, SourceRecord};

/// Where records come from (see docs/interfaces.md).
#[derive(Debug, Clone)]
pub enum InputSource {
    /// A file; format by extension (`.csv`, `.json`, `.ndjson`/`.jsonl`), else sniffed.
    Path(PathBuf),
    /// Records already in memory (line = position, 1-based).
    Records(Vec<Map<String, Value>>),
    /// NDJSON bytes in memory.
    Ndjson(bytes::Bytes),
}

/// Input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
    JsonArray,
}

/// A boxed streaming record iterator.
pub type RecordStream = Box<dyn Iterator<Item = InputItem> + Send>;

/// How much input there is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSize {
    /// Exactly this many records (every one the reader will yield, broken ones included).
    Records(u64),
    /// A file too large to pre-scan: progress is bytes read of this many.
    Bytes(u64),
    /// Not known.
    Unknown,
}

impl InputSize {
    /// The record count, when known.
    pub fn records(self) -> Option<usize> {
        match self {
            InputSize::Records(n) => usize::try_from(n).ok(),
            InputSize::Bytes(_) | InputSize::Unknown => None,
        }
    }
}

/// Files larger than this are not pre-scanned for their record count (progress shows bytes).
pub const PRESCAN_MAX_BYTES: u64 = 256 * 1024 * 1024;

impl InputSource {
    /// Check a file input before anything is sent: it exists, is a regular file, can be read, and
    /// its first record parses in the file's format. In-memory sources always pass.
    pub fn precheck(&self) -> Result<(), SyncError> {
        let InputSource::Path(path) = self else {
            return Ok(());
        };
        let err = |message: String| SyncError::Input {
            path: path.clone(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => err("no such file".into()),
            _ => err(format!("cannot be read: {e}")),
        })?;
        if meta.is_dir() {
            return Err(err(
                "is a directory, not a file (give the records file: .ndjson, .csv or .json)".into(),
            ));
        }
        if !meta.is_file() {
            return Err(err("is not a regular file".into()));
        }
        File::open(path).map_err(|e| err(format!("cannot be read: {e}")))?;
        let (mut stream, format) = open_path_counting(path, None)?;
        match stream.next() {
            Some(Err(f)) => Err(err(format!(
                "the first record (line {}) does not parse as {}: {}",
                f.line,
                format.name(),
                f.reason
            ))),
            _ => Ok(()),
        }
    }

    /// How many records the source holds, when the pre-scan ([`InputSource::size`]) knows it;
    /// `None` for an unreadable file or one over [`PRESCAN_MAX_BYTES`]. The batch size uses it.
    pub fn estimate_records(&self) -> Option<usize> {
        self.size().records()
    }

    /// The number of records, by a fast scan of record boundaries (NDJSON lines, CSV records,
    /// JSON array elements), or the file size for files over [`PRESCAN_MAX_BYTES`].
    pub fn size(&self) -> InputSize {
        match self {
            InputSource::Records(v) => InputSize::Records(v.len() as u64),
            InputSource::Ndjson(b) => InputSize::Records(count_ndjson(Cursor::new(b.as_ref()))),
            InputSource::Path(p) => path_size(p).unwrap_or(InputSize::Unknown),
        }
    }

    /// Open the source as a record stream; bytes read from a file are added to `bytes_read`.
    pub fn open_counting(&self, bytes_read: Arc<AtomicU64>) -> Result<RecordStream, SyncError> {
        match self {
            InputSource::Path(p) => open_path_counting(p, Some(bytes_read)).map(|(s, _)| s),
            other => other.open(),
        }
    }

    /// Open the source as a record stream.
    pub fn open(&self) -> Result<RecordStream, SyncError> {
        match self {
            InputSource::Records(v) => Ok(Box::new(v.clone().into_iter().enumerate().map(
                |(i, fields)| {
                    Ok(SourceRecord {
                        line: i as u64 + 1,
                        fields,
                    })
                },
            ))),
            InputSource::Ndjson(b) => Ok(Box::new(NdjsonReader::new(Cursor::new(b.clone())))),
            InputSource::Path(p) => open_path_counting(p, None).map(|(s, _)| s),
        }
    }
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Ndjson => "NDJSON",
            Format::Csv => "CSV",
            Format::JsonArray => "a JSON array",
        }
    }
}

/// A file that counts the bytes read from it.
struct CountingFile {
    file: File,
    count: Option<Arc<AtomicU64>>,
}

impl Read for CountingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        if let Some(c) = &self.count {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Open `path` buffered and decide its format: by extension, else `[` first means a JSON array.
fn open_buffered(
    path: &Path,
    count: Option<Arc<AtomicU64>>,
) -> Result<(BufReader<CountingFile>, Format), SyncError> {
    let ioerr = |e: std::io::Error| SyncError::Input {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(ioerr)?;
    let mut reader = BufReader::with_capacity(64 * 1024, CountingFile { file, count });
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let format = match ext.as_deref() {
        Some("csv") => Format::Csv,
        Some("ndjson") | Some("jsonl") => Format::Ndjson,
        _ => {
            let buf = reader.fill_buf().map_err(ioerr)?;
            match buf.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => Format::JsonArray,
                _ => Format::Ndjson,
            }
        }
    };
    Ok((reader, format))
}

fn open_path_counting(
    path: &Path,
    count: Option<Arc<AtomicU64>>,
) -> Result<(RecordStream, Format), SyncError> {
    let (reader, format) = open_buffered(path, count)?;
    let stream: RecordStream = match format {
        Format::Ndjson => Box::new(NdjsonReader::new(reader)),
        Format::JsonArray => Box::new(JsonArrayReader::new(reader)),
        Format::Csv => Box::new(CsvReader::new(reader).map_err(|m| SyncError::Input {
            path: path.to_path_buf(),
            message: m,
        })?),
    };
    Ok((stream, format))
}

fn path_size(path: &Path) -> Result<InputSize, SyncError> {
    let len = std::fs::metadata(path)
        .map_err(|e| SyncError::Input {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?
        .len();
    if len > PRESCAN_MAX_BYTES {
        return Ok(InputSize::Bytes(len));
    }
    let (reader, format) = open_buffered(path, None)?;
    Ok(InputSize::Records(match format {
        Format::Ndjson => count_ndjson(reader),
        Format::JsonArray => count_json_array(reader),
        Format::Csv => count_csv(reader),
    }))
}

/// Lines with any non-whitespace byte (what [`NdjsonReader`] yields).
fn count_ndjson<R: BufRead>(mut reader: R) -> u64 {
    let (mut count, mut content) = (0u64, false);
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(b) => b,
        };
        for &b in buf {
            if b == b'\n' {
                count += u64::from(content);
                content = false;
            } else if !b.is_ascii_whitespace() {
                content = true;
            }
        }
        let n = buf.len();
        reader.consume(n);
    }
    count + u64::from(content)
}

/// Elements of a top-level JSON array (what [`JsonArrayReader`] yields, broken ones included).
fn count_json_array<R: BufRead>(mut reader: R) -> u64 {
    let (mut count, mut scan, mut at_start) = (0u64, Scanner::default(), false);
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(b) => b,
        };
        for &b in buf {
            if !scan.in_str && scan.depth == 1 {
                match b {
                    b',' => at_start = true,
                    b']' => {}
                    _ if b.is_ascii_whitespace() => {}
                    _ if at_start => {
                        count += 1;
                        at_start = false;
                    }
                    _ => {}
                }
            }
            let was_outside = scan.depth == 0 && !scan.in_str;
            scan.feed(b);
            if was_outside && b == b'[' {
                at_start = true;
            }
        }
        let n = buf.len();
        reader.consume(n);
    }
    count
}

/// CSV records after the header (what [`CsvReader`] yields, broken ones included).
fn count_csv<R: Read>(reader: R) -> u64 {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let mut count = 0;
    loop {
        match r.read_byte_record(&mut rec) {
            Ok(true) => count += 1,
            Ok(false) => break,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => break,
            Err(_) => count += 1,
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect<I: Iterator<Item = InputItem>>(it: I) -> (Vec<SourceRecord>, Vec<InputFailure>) {
        let (mut ok, mut bad) = (vec![], vec![]);
        for r in it {
            match r {
                Ok(r) => ok.push(r),
                Err(e) => bad.push(e),
            }
        }
        (ok, bad)
    }

    #[test]
    fn ndjson_broken_lines_and_bad_utf8_are_per_line() {
        let mut data = b"{\"a\":1}\n\n{broken\n".to_vec();
        data.extend_from_slice(b"{\"a\":\"\xff\xfe\"}\n[1]\n{\"a\":3}");
        let (ok, bad) = collect(NdjsonReader::new(Cursor::new(data)));
        assert_eq!(ok.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 6]);
        assert_eq!(
            bad.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert!(bad[1].reason.contains("UTF-8"));
        assert!(bad[2].reason.contains("object"));
    }

    #[test]
    fn json_array_streams_with_lines() {
        let data = "[\n {\"a\": \"x,]}\\\"\"},\n {\"b\": [1,2]} ,\n 5,\n {\"c\":{}}\n]\n";
        let (ok, bad) = collect(JsonArrayReader::new(Cursor::new(data.as_bytes().to_vec())));
        assert_eq!(ok.len(), 3);
        assert_eq!(ok[0].fields["a"], "x,]}\"");
        assert_eq!(ok.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 5]);
        assert_eq!(
            bad,
            vec![InputFailure {
                line: 4,
                reason: "expected a JSON object, found a number".into()
            }]
        );
    }

    #[test]
    fn json_array_unterminated_is_a_failure_not_a_panic() {
        let (ok, bad) = collect(JsonArrayReader::new(Cursor::new(
            b"[{\"a\":1}, {\"b\":".to_vec(),
        )));
        assert_eq!(ok.len(), 1);
        assert_eq!(bad.len(), 1);
    }

    #[test]
    fn csv_missing_and_extra_columns() {
        let data = "order_id,customer\nA,Acme\nB\nC,X,extra\nD,\n";
        let (ok, bad) = collect(CsvReader::new(Cursor::new(data)).unwrap());
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].line, 2);
        assert_eq!(ok[1].fields.get("customer"), None);
        assert_eq!(bad.iter().map(|f| f.line).collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn example_files_read() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/");
        for f in ["orders.ndjson", "orders.csv", "orders.json"] {
            let src = InputSource::Path(format!("{dir}{f}").into());
            let (ok, bad) = collect(src.open().unwrap());
            assert!(ok.len() >= 24, "{f}: {}", ok.len());
            assert!(bad.is_empty(), "{f}: {bad:?}");
        }
    }

    #[test]
    fn size_prescan_counts_what_the_reader_yields() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("a.ndjson", "{\"a\":1}\n\n  \n{broken\n{\"b\":2}", 3),
            (
                "b.json",
                "[\n {\"a\": \"x,]}\\\"\"},\n {\"b\": [1,2]} ,\n 5,\n {\"c\":{}}\n]\n",
                4,
            ),
            (
                "c.csv",
                "order_id,notes\nA,\"multi\nline, with comma\"\nB\nC,x,extra\n",
                3,
            ),
            ("d.txt", "  [{\"a\":1},{\"a\":[2,3]}]", 2),
            ("e.ndjson", "", 0),
        ];
        for (name, text, expected) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let src = InputSource::Path(path);
            let yielded = src.open().unwrap().count() as u64;
            assert_eq!(yielded, expected, "{name}: reader");
            assert_eq!(src.size(), InputSize::Records(expected), "{name}: pre-scan");
        }
        let ex = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/");
        for f in ["orders.ndjson", "orders.csv", "orders.json"] {
            let src = InputSource::Path(format!("{ex}{f}").into());
            let yielded = src.open().unwrap().count() as u64;
            assert_eq!(src.size(), InputSize::Records(yielded), "{f}");
        }
        let mem = InputSource::Ndjson(bytes::Bytes::from_static(b"{}\n\n{}\n"));
        assert_eq!(mem.size(), InputSize::Records(2));
    }

    #[test]
    fn counting_open_counts_bytes_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.ndjson");
        let text = "{\"a\":1}\n{\"a\":2}\n";
        std::fs::write(&path, text).unwrap();
        let counter = Arc::new(AtomicU64::new(0));
        let n = InputSource::Path(path)
            .open_counting(counter.clone())
            .unwrap()
            .count();
        assert_eq!(n, 2);
        assert_eq!(counter.load(Ordering::Relaxed), text.len() as u64);
    }

    #[test]
    fn precheck_names_the_path_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let check = |p: PathBuf| InputSource::Path(p).precheck().map_err(|e| e.to_string());
        let e = check(dir.path().to_path_buf()).unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        assert!(e.contains(&dir.path().display().to_string()), "{e}");
        let e = check(dir.path().join("nope.ndjson")).unwrap_err();
        assert!(
            e.contains("no such file") && e.contains("nope.ndjson"),
            "{e}"
        );
        let csv_as_ndjson = dir.path().join("orders.ndjson");
        std::fs::write(&csv_as_ndjson, "order_id,customer\nA,Acme\n").unwrap();
        let e = check(csv_as_ndjson).unwrap_err();
        assert!(
            e.contains("first record (line 1) does not parse as NDJSON"),
            "{e}"
        );
        // A broken record after a good first one is a per-record failure, not an input error.
        let later = dir.path().join("later.ndjson");
        std::fs::write(&later, "{\"a\":1}\n{broken\n").unwrap();
        assert_eq!(check(later), Ok(()));
        let bad_header = dir.path().join("h.csv");
        std::fs::write(&bad_header, b"\xff\xfe,x\n1,2\n").unwrap();
        assert!(check(bad_header).unwrap_err().contains("header"));
    }
}
