//! A source record, a record that could not be read, and the JSON object check every reader
//! applies.

use serde_json::{Map, Value};

/// One source record: the JSON object and where it started.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub line: u64,
    pub fields: Map<String, Value>,
}

/// A record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFailure {
    pub line: u64,
    pub reason: String,
}

/// What a reader yields.
pub type InputItem = Result<SourceRecord, InputFailure>;

pub(crate) fn object_from_slice(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(format!("invalid UTF-8 at byte {}", e.valid_up_to()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!(
            "expected a JSON object, found {}",
            json_kind(&other)
        )),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
