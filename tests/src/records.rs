//! Order-list records for the end-to-end tests: monday-perf's generator
//! ([`monday_perf::workload::generate`]), the same records the harness replays, kept to the labels the
//! fixture board has.

use std::path::{Path, PathBuf};

use monday_perf::workload::generate::{
    EmptyFields, GenerateSpec, Labels, RecordGenerator, RecordShape,
};
use serde_json::{Map, Value};

pub use monday_perf::workload::generate::record_key;

/// `n` records of monday-perf's generator from `seed`, each optional field empty (missing, `null`
/// or `""`) with probability `empty_share`, and only dropdown labels the fixture board has, so a
/// run creates no label. Keys are [`record_key`]`(1..=n)`.
pub fn orders(n: usize, seed: u64, empty_share: f64) -> Vec<Map<String, Value>> {
    let spec = GenerateSpec {
        records: n as u64,
        seed,
    };
    let shape = RecordShape {
        empty: EmptyFields::Share(empty_share),
        labels: Labels::OnBoardOnly,
    };
    RecordGenerator::records(spec, shape)
        .unwrap_or_else(|e| panic!("generate {spec:?} in {shape:?}: {e}"))
}

/// Writes `records` as NDJSON (one object per line) into `dir/name` and returns the path.
pub fn write_ndjson(dir: &Path, name: &str, records: &[Map<String, Value>]) -> PathBuf {
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).expect("serialize record"));
        text.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write ndjson");
    path
}
