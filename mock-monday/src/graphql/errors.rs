//! GraphQL error objects: parse errors (`Parse error on ...`), validation errors (undefined
//! fields as `undefinedField` with `typeName`/`fieldName`, docs/monday-api.md §1.4), request errors and
//! field errors carrying an [`ApiError`]'s extensions.
//!
//! apollo-compiler's resolver errors only carry a message, so resolvers record the rich
//! [`ApiError`] in a side table and return a marker message; [`field_error`] swaps it back.

use apollo_compiler::response::{GraphQLError, ResponseDataPathSegment};
use apollo_compiler::validation::DiagnosticList;
use serde_json::{json, Value};

use crate::store::ApiError;

/// Prefix of the marker message a resolver returns for an [`ApiError`] at an index.
pub(crate) const MARKER: &str = "\u{1}mm-error:";

/// `extensions.code` of validation errors other than undefined fields.
pub const VALIDATION_CODE: &str = "GRAPHQL_VALIDATION_FAILED";
/// `extensions.code` of parse errors.
pub const PARSE_CODE: &str = "GRAPHQL_PARSE_FAILED";

fn locations_json(err: &GraphQLError) -> Value {
    Value::Array(
        err.locations
            .iter()
            .map(|l| json!({"line": l.line, "column": l.column}))
            .collect(),
    )
}

/// A request-level error (bad operation name, variables that do not coerce ...).
pub(crate) fn request_error(message: &str, code: &str) -> Value {
    json!({"message": message, "locations": [], "extensions": {"code": code}})
}

/// The token text at a line/column of the source, for `Parse error on "..."`.
fn token_at(source: &str, line: usize, column: usize) -> String {
    let Some(text) = source.lines().nth(line.saturating_sub(1)) else {
        return "end of file".to_string();
    };
    let rest: String = text
        .chars()
        .skip(column.saturating_sub(1))
        .take_while(|c| !c.is_whitespace())
        .take(30)
        .collect();
    if rest.is_empty() {
        "end of file".to_string()
    } else {
        format!("{rest:?}")
    }
}

/// Syntax errors, as `Parse error on "<token>" at [line, column]: <detail>`.
pub(crate) fn parse_errors(errors: &DiagnosticList, source: &str) -> Vec<Value> {
    errors
        .iter()
        .map(|diag| {
            let err = diag.to_json();
            let (line, column) = err.locations.first().map_or((0, 0), |l| (l.line, l.column));
            let detail = err
                .message
                .strip_prefix("syntax error: ")
                .unwrap_or(&err.message);
            json!({
                "message": format!("Parse error on {} at [{line}, {column}]: {detail}", token_at(source, line, column)),
                "locations": locations_json(&err),
                "extensions": {"code": PARSE_CODE},
            })
        })
        .collect()
}

/// Parses apollo's "type `X` does not have a field `y`".
fn undefined_field(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("type `")?;
    let (type_name, rest) = rest.split_once('`')?;
    let rest = rest.strip_prefix(" does not have a field `")?;
    let (field, _) = rest.split_once('`')?;
    Some((type_name.to_string(), field.to_string()))
}

/// Validation errors of an operation against the schema.
pub(crate) fn validation_errors(errors: &DiagnosticList) -> Vec<Value> {
    errors
        .iter()
        .map(|diag| {
            let err = diag.to_json();
            let undefined = (diag.error.unstable_error_name() == Some("UndefinedField"))
                .then(|| undefined_field(&err.message))
                .flatten();
            match undefined {
                Some((type_name, field)) => json!({
                    "message": format!("Field '{field}' doesn't exist on type '{type_name}'"),
                    "locations": locations_json(&err),
                    "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": field},
                }),
                None => json!({
                    "message": err.message,
                    "locations": locations_json(&err),
                    "extensions": {"code": VALIDATION_CODE},
                }),
            }
        })
        .collect()
}

fn path_json(path: &[ResponseDataPathSegment]) -> Value {
    Value::Array(
        path.iter()
            .map(|seg| match seg {
                ResponseDataPathSegment::Field(name) => Value::String(name.to_string()),
                ResponseDataPathSegment::ListIndex(i) => json!(i),
            })
            .collect(),
    )
}

/// An execution (field) error: the recorded [`ApiError`] when the message is a marker,
/// otherwise apollo's own message (argument coercion problems and the like).
pub(crate) fn field_error(err: &GraphQLError, recorded: &[ApiError]) -> Value {
    let message = err
        .message
        .strip_prefix("resolver error: ")
        .unwrap_or(&err.message);
    let api = message
        .strip_prefix(MARKER)
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| recorded.get(i));
    match api {
        Some(api) => json!({
            "message": api.to_string(),
            "locations": locations_json(err),
            "path": path_json(&err.path),
            "extensions": api.extensions(),
        }),
        None => json!({
            "message": message,
            "locations": locations_json(err),
            "path": path_json(&err.path),
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "status_code": 200},
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_field_message_is_parsed() {
        assert_eq!(
            undefined_field("type `Board` does not have a field `nope`"),
            Some(("Board".into(), "nope".into()))
        );
        assert_eq!(undefined_field("something else"), None);
    }

    #[test]
    fn token_at_points_into_the_source() {
        assert_eq!(token_at("query { a(", 1, 10), "\"(\"");
        assert_eq!(token_at("query {", 3, 1), "end of file");
    }
}
