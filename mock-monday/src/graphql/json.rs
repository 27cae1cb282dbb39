//! Conversions between apollo-compiler's JSON (`serde_json_bytes`) and `serde_json`, and
//! helpers to read coerced arguments.

use apollo_compiler::response::{JsonMap, JsonValue};
use serde_json::{Map, Value};

/// `serde_json_bytes` -> `serde_json`.
pub(crate) fn to_serde(v: &JsonValue) -> Value {
    match v {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Bool(*b),
        JsonValue::Number(n) => Value::Number(n.clone()),
        JsonValue::String(s) => Value::String(s.as_str().to_string()),
        JsonValue::Array(a) => Value::Array(a.iter().map(to_serde).collect()),
        JsonValue::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.as_str().to_string(), to_serde(v)))
                .collect(),
        ),
    }
}

/// `serde_json` object -> `serde_json_bytes` object.
pub(crate) fn from_serde_map(m: &Map<String, Value>) -> JsonMap {
    m.iter()
        .map(|(k, v)| (k.as_str().into(), JsonValue::from(v.clone())))
        .collect()
}

/// Typed access to the coerced arguments of one field.
pub(crate) struct Args<'a>(pub &'a JsonMap);

impl Args<'_> {
    /// The raw value (None when absent or null).
    pub fn get(&self, name: &str) -> Option<&JsonValue> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// An `ID` argument as a string (IDs arrive as strings or integers).
    pub fn id(&self, name: &str) -> Option<String> {
        self.get(name).and_then(id_string)
    }

    /// A `[ID!]` argument as strings.
    pub fn ids(&self, name: &str) -> Option<Vec<String>> {
        match self.get(name)? {
            JsonValue::Array(items) => Some(items.iter().filter_map(id_string).collect()),
            single => Some(id_string(single).into_iter().collect()),
        }
    }

    /// A `[String]` argument.
    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        self.ids(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(JsonValue::as_str)
    }

    pub fn bool(&self, name: &str) -> bool {
        self.get(name).and_then(JsonValue::as_bool).unwrap_or(false)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(JsonValue::as_i64)
    }

    /// The argument as `serde_json` (for JSON scalars).
    pub fn json(&self, name: &str) -> Value {
        self.get(name).map_or(Value::Null, to_serde)
    }
}

/// An ID value (string or integer) as a trimmed string.
pub(crate) fn id_string(v: &JsonValue) -> Option<String> {
    match v {
        JsonValue::String(s) => Some(s.as_str().trim().to_string()),
        JsonValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
