//! Stages 10-11, what the request asks: the JSON body (`query`, `variables`, `operationName`;
//! 400 `JsonParseException` / `BadRequest`), the query depth guard, and GraphQL preparation
//! (validation errors and fields removed in 2026-10, HTTP 200).

use std::ops::ControlFlow::{Break, Continue};

use serde_json::{json, Map, Value};

use super::answer::Stage;
use super::state::{Ctx, State};
use super::{CoreRequest, Simulator};
use crate::envelope::{self, RequestError};
use crate::graphql::{GraphqlRequest, OperationKind, PreparedOperation};
use crate::limits::query_depth;
use crate::version::ApiVersion;

/// The request body's GraphQL parts.
pub(super) struct ParsedBody {
    query: String,
    operation_name: Option<String>,
    variables: Map<String, Value>,
}

impl Simulator {
    /// Stage 10: the body as JSON with a `query` string and object `variables`.
    pub(super) fn parse(&self, st: &mut State, ctx: &Ctx, req: &CoreRequest) -> Stage<ParsedBody> {
        match parse_body(ctx.version, &req.body) {
            Ok(parsed) => Continue(parsed),
            Err(e) => {
                let status = e.status;
                Break(self.refused(st, status, envelope::request_error(ctx.style, &e)))
            }
        }
    }

    /// Stage 10: `QUERY_TOO_DEEP` for a document nested deeper than `limits.max_query_depth`,
    /// checked before parsing. A cached text passed this guard before it was parsed (the limit
    /// is fixed per simulator).
    pub(super) fn guard_depth(&self, st: &mut State, body: &ParsedBody) -> Stage {
        if self.engine.is_known_valid(&body.query) {
            return Continue(());
        }
        let Err(g) = query_depth(&body.query, self.config.limits.max_query_depth) else {
            return Continue(());
        };
        let body = envelope::graphql_errors(vec![json!({ "message": g.to_string(),
            "extensions": { "code": "QUERY_TOO_DEEP", "status_code": 200 } })]);
        Break(self.refused(st, 200, body))
    }

    /// Stage 11: parses and validates the operation (errors answer with HTTP 200) and refuses
    /// fields removed in 2026-10 for that version and later. Records what the operation is.
    pub(super) fn prepare(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        body: &ParsedBody,
    ) -> Stage<PreparedOperation> {
        let gql = GraphqlRequest {
            query: &body.query,
            operation_name: body.operation_name.as_deref(),
            variables: &body.variables,
        };
        let op = match self.engine.prepare(&gql, &self.config.costs) {
            Ok(op) => op,
            Err(errors) => return Break(self.refused(st, 200, envelope::graphql_errors(errors))),
        };
        if let Some((type_name, field)) = op
            .removed_field
            .as_ref()
            .filter(|_| (ctx.version.year, ctx.version.month) >= (2026, 10))
        {
            let body = envelope::graphql_errors(vec![json!({
                "message": format!("Field '{field}' doesn't exist on type '{type_name}'"),
                "locations": [],
                "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": field},
            })]);
            return Break(self.refused(st, 200, body));
        }
        if (ctx.version.year, ctx.version.month) < (2026, 7) {
            if let Some(field) = op
                .root_field_names
                .iter()
                .find(|n| crate::jobs::BULK_FIELDS.contains(&n.as_str()))
            {
                // The bulk import's fields exist from API 2026-07 on: older versions get the
                // schema error for a field that does not exist.
                let type_name = match op.kind {
                    OperationKind::Mutation => "Mutation",
                    OperationKind::Query => "Query",
                };
                let body = envelope::graphql_errors(vec![json!({
                    "message": format!("Field '{field}' doesn't exist on type '{type_name}'"),
                    "locations": [],
                    "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": field},
                })]);
                return Break(self.refused(st, 200, body));
            }
        }
        ctx.write = op.kind == OperationKind::Mutation;
        ctx.facts.root_fields = op.root_field_names.clone();
        ctx.facts.boards = op.written_boards.clone();
        Continue(op)
    }
}

/// The body's `query`, `variables` (an object; a JSON string only before 2025-04) and
/// `operationName`.
fn parse_body(version: ApiVersion, body: &[u8]) -> Result<ParsedBody, RequestError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let snippet: String = String::from_utf8_lossy(body).chars().take(256).collect();
        RequestError::new(
            400,
            "JsonParseException",
            format!("Unexpected token in JSON body: {e}"),
        )
        .data(json!({ "json": snippet }))
    })?;
    let Value::Object(mut map) = value else {
        return Err(RequestError::new(
            400,
            "BadRequest",
            "Bad request: the body must be a JSON object with a \"query\" string",
        ));
    };
    let Some(Value::String(query)) = map.remove("query") else {
        return Err(RequestError::new(
            400,
            "BadRequest",
            "Bad request: the body must be a JSON object with a \"query\" string",
        ));
    };
    let variables = match map.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v,
        Some(Value::String(s)) => {
            if (version.year, version.month) >= (2025, 4) {
                return Err(RequestError::new(
                    400,
                    "JsonParseException",
                    "Variables must be sent as a JSON object, not a string (API 2025-04 and later)",
                ));
            }
            match serde_json::from_str::<Value>(&s) {
                Ok(Value::Object(v)) => v,
                Ok(Value::Null) => Map::new(),
                _ => {
                    return Err(RequestError::new(
                        400,
                        "JsonParseException",
                        "variables is not a JSON object",
                    ))
                }
            }
        }
        Some(_) => {
            return Err(RequestError::new(
                400,
                "JsonParseException",
                "variables must be a JSON object",
            ))
        }
    };
    let operation_name = match map.remove("operationName") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(ParsedBody {
        query,
        operation_name,
        variables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(year: u16, month: u8) -> ApiVersion {
        ApiVersion { year, month }
    }

    #[test]
    fn reads_query_variables_and_operation_name() {
        let body = br#"{"query": "{ a }", "variables": {"x": 1}, "operationName": "Q"}"#;
        let p = parse_body(v(2026, 10), body).unwrap();
        assert_eq!(p.query, "{ a }");
        assert_eq!(p.variables["x"], 1);
        assert_eq!(p.operation_name.as_deref(), Some("Q"));
        let p = parse_body(v(2026, 10), br#"{"query": "{ a }", "variables": null}"#).unwrap();
        assert!(p.variables.is_empty() && p.operation_name.is_none());
    }

    #[test]
    fn variables_as_a_string_only_before_2025_04() {
        let body = br#"{"query": "{ a }", "variables": "{\"x\": 1}"}"#;
        assert_eq!(parse_body(v(2024, 7), body).unwrap().variables["x"], 1);
        let e = parse_body(v(2025, 4), body).err().unwrap();
        assert_eq!((e.status, e.code.as_str()), (400, "JsonParseException"));
    }

    #[test]
    fn bad_bodies_say_why() {
        let code = |body: &[u8]| parse_body(v(2026, 10), body).err().unwrap().code;
        assert_eq!(code(b"{\"query\": "), "JsonParseException");
        assert_eq!(code(b"[1]"), "BadRequest");
        assert_eq!(code(br#"{"query": 5}"#), "BadRequest");
        assert_eq!(
            code(br#"{"query": "{ a }", "variables": 5}"#),
            "JsonParseException"
        );
    }
}
