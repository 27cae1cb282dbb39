//! Response bodies and error shapes by API version (docs/monday-api.md §1.3-1.7).
//!
//! - Legacy (<= 2024-07): top-level `error_code`, `error_message`, `error_data`, `status_code`,
//!   `account_id`; the complexity error is `ComplexityException` with its text in `errors`.
//! - Dual (2024-10): the GraphQL `errors` array *and* the legacy keys.
//! - 2025-01+: GraphQL errors only (`message`, `locations`, `path`, `extensions.code`);
//!   2025-01/04 complexity errors carry budget fields, 2025-07+ only `retry_in_seconds`;
//!   2025-10+ names the per-request cap `REQUEST_MAX_COMPLEXITY_EXCEEDED`.
//!
//! Every JSON body gets `extensions.request_id` ([`with_request_id`]).

use serde_json::{json, Map, Value};

use crate::version::ErrorStyle;

/// The `account_id` legacy responses carry (a fixed simulated account).
pub const ACCOUNT_ID: u64 = 9_876_543;

/// An error refusing the whole request (no `data`, no `path`).
#[derive(Debug, Clone)]
pub struct RequestError {
    /// The HTTP status (and `extensions.status_code`).
    pub status: u16,
    /// `extensions.code` / legacy `error_code`.
    pub code: String,
    /// The message.
    pub message: String,
    /// `retry_in_seconds` for rate-limit errors.
    pub retry_in: Option<u64>,
    /// `error_data`, if any.
    pub error_data: Option<Box<Value>>,
}

impl RequestError {
    /// An error with no retry hint and no `error_data`.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_in: None,
            error_data: None,
        }
    }

    /// Adds `retry_in_seconds`.
    pub fn retry_in(mut self, secs: u64) -> Self {
        self.retry_in = Some(secs);
        self
    }

    /// Adds `error_data`.
    pub fn data(mut self, data: Value) -> Self {
        self.error_data = Some(Box::new(data));
        self
    }
}

fn graphql_error(e: &RequestError) -> Value {
    let mut ext = Map::new();
    ext.insert("code".into(), json!(e.code));
    ext.insert("status_code".into(), json!(e.status));
    if let Some(d) = &e.error_data {
        ext.insert("error_data".into(), (**d).clone());
    }
    if let Some(r) = e.retry_in {
        ext.insert("retry_in_seconds".into(), json!(r));
    }
    json!({ "message": e.message, "extensions": ext })
}

fn legacy_keys(body: &mut Map<String, Value>, e: &RequestError) {
    body.insert("error_code".into(), json!(e.code));
    body.insert("error_message".into(), json!(e.message));
    body.insert(
        "error_data".into(),
        e.error_data
            .as_deref()
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    body.insert("status_code".into(), json!(e.status));
    if let Some(r) = e.retry_in {
        body.insert("retry_in_seconds".into(), json!(r));
    }
    body.insert("account_id".into(), json!(ACCOUNT_ID));
}

/// The body of a whole-request error in the shape of `style`.
pub fn request_error(style: ErrorStyle, e: &RequestError) -> Value {
    let mut body = Map::new();
    match style {
        ErrorStyle::Legacy => legacy_keys(&mut body, e),
        ErrorStyle::Dual => {
            body.insert("errors".into(), json!([graphql_error(e)]));
            legacy_keys(&mut body, e);
        }
        _ => {
            body.insert("errors".into(), json!([graphql_error(e)]));
        }
    }
    Value::Object(body)
}

/// The minute-limit error: legacy `{"error_message": "Rate Limit Exceeded.", "status_code": 429}`.
pub fn minute_limit(style: ErrorStyle, retry_in: u64) -> Value {
    if style == ErrorStyle::Legacy {
        return json!({ "error_message": "Rate Limit Exceeded.", "status_code": 429 });
    }
    let code = crate::limits::Throttle::Minute.code();
    let e = RequestError::new(429, code, "Rate Limit Exceeded").retry_in(retry_in);
    request_error(style, &e)
}

/// Inputs of the complexity-budget error.
#[derive(Debug, Clone, Copy)]
pub struct BudgetExhausted {
    /// This request's cost.
    pub cost: u64,
    /// Budget left.
    pub left: u64,
    /// Budget size.
    pub limit: u64,
    /// Seconds until the request could fit.
    pub retry_in: u64,
}

/// The message of the complexity-budget error from 2025-01: the numbers moved to `extensions`
/// (2025-01/04) and then to `retry_in_seconds` only (2025-07+); the text carries none, so a
/// client must read `retry_in_seconds`.
pub const BUDGET_EXHAUSTED_MESSAGE: &str = "Complexity budget exhausted";

/// The complexity-budget error (HTTP 429) in the shape of `style`.
pub fn budget_exhausted(style: ErrorStyle, b: BudgetExhausted) -> Value {
    let legacy_message = format!(
        "Complexity budget exhausted, query cost {} budget remaining {} out of {} reset in {} seconds",
        b.cost, b.left, b.limit, b.retry_in
    );
    let message = if style >= ErrorStyle::Modern2025_01 {
        BUDGET_EXHAUSTED_MESSAGE.to_string()
    } else {
        legacy_message
    };
    let legacy = |body: &mut Map<String, Value>| {
        body.insert("error_code".into(), json!("ComplexityException"));
        body.insert("status_code".into(), json!(429));
        body.insert("error_message".into(), json!(message));
        body.insert("account_id".into(), json!(ACCOUNT_ID));
    };
    match style {
        ErrorStyle::Legacy => {
            let mut body = Map::new();
            legacy(&mut body);
            body.insert("errors".into(), json!([message]));
            Value::Object(body)
        }
        ErrorStyle::Dual => {
            let mut body = Map::new();
            body.insert(
                "errors".into(),
                json!([{ "message": message, "extensions": {
                    "code": "ComplexityException", "status_code": 429,
                    "retry_in_seconds": b.retry_in } }]),
            );
            legacy(&mut body);
            Value::Object(body)
        }
        ErrorStyle::Modern2025_01 => json!({ "errors": [{ "message": message, "extensions": {
            "code": "COMPLEXITY_BUDGET_EXHAUSTED",
            "complexity": b.cost,
            "complexity_budget_left": b.left,
            "complexity_budget_limit": b.limit,
            "retry_in_seconds": b.retry_in,
            "status_code": 429 } }] }),
        ErrorStyle::Modern2025_07 | ErrorStyle::Modern2025_10 => {
            json!({ "errors": [{ "message": message, "extensions": {
                "code": "COMPLEXITY_BUDGET_EXHAUSTED",
                "retry_in_seconds": b.retry_in } }] })
        }
    }
}

/// The per-request complexity cap error (HTTP 200).
pub fn request_too_complex(style: ErrorStyle, cost: u64, max: u64) -> Value {
    if style >= ErrorStyle::Modern2025_10 {
        json!({ "errors": [{
            "message": format!("Query has complexity of {cost}, which exceeds max complexity per request of {max}"),
            "extensions": { "code": "REQUEST_MAX_COMPLEXITY_EXCEEDED", "cost": cost,
                            "max_complexity_per_request": max, "status_code": 200 } }] })
    } else {
        json!({ "errors": [{
            "message": format!("Query has complexity of {cost}, which exceeds max complexity of {max}") }] })
    }
}

fn error_code(e: &Value) -> Option<&str> {
    e.pointer("/extensions/code").and_then(Value::as_str)
}

/// The body of an executed request: `data` and any `errors` from the engine. Legacy versions
/// answer an application exception (code `...Exception`) with the top-level legacy keys;
/// 2024-10 adds those keys next to `data`/`errors`.
pub fn executed(style: ErrorStyle, data: Value, errors: Vec<Value>) -> Value {
    let app_error = errors
        .iter()
        .find(|e| error_code(e).is_some_and(|c| c.ends_with("Exception")))
        .map(|e| RequestError {
            status: e
                .pointer("/extensions/status_code")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200),
            code: error_code(e).unwrap_or_default().to_string(),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            retry_in: None,
            error_data: e.pointer("/extensions/error_data").cloned().map(Box::new),
        });
    let mut body = Map::new();
    match (style, app_error) {
        (ErrorStyle::Legacy, Some(e)) => legacy_keys(&mut body, &e),
        (style, app_error) => {
            body.insert("data".into(), data);
            if !errors.is_empty() {
                body.insert("errors".into(), Value::Array(errors));
            }
            if style == ErrorStyle::Dual {
                if let Some(e) = app_error {
                    legacy_keys(&mut body, &e);
                }
            }
            if style <= ErrorStyle::Dual {
                body.insert("account_id".into(), json!(ACCOUNT_ID));
            }
        }
    }
    Value::Object(body)
}

/// GraphQL errors without data (validation failures): `{"errors": [...]}`.
pub fn graphql_errors(errors: Vec<Value>) -> Value {
    json!({ "errors": errors })
}

/// Adds `extensions.request_id` to a JSON body (merging into existing `extensions`).
pub fn with_request_id(body: &mut Value, request_id: &str) {
    if let Value::Object(map) = body {
        let ext = map
            .entry("extensions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(ext) = ext {
            ext.insert("request_id".into(), json!(request_id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b() -> BudgetExhausted {
        BudgetExhausted {
            cost: 30_001,
            left: 2,
            limit: 10_000_000,
            retry_in: 17,
        }
    }

    #[test]
    fn complexity_error_by_version() {
        let legacy = budget_exhausted(ErrorStyle::Legacy, b());
        assert_eq!(legacy["error_code"], "ComplexityException");
        assert_eq!(legacy["status_code"], 429);
        assert!(legacy["errors"][0]
            .as_str()
            .unwrap()
            .contains("reset in 17 seconds"));
        let m1 = budget_exhausted(ErrorStyle::Modern2025_01, b());
        assert_eq!(m1["errors"][0]["extensions"]["complexity_budget_left"], 2);
        let m7 = budget_exhausted(ErrorStyle::Modern2025_10, b());
        let ext = &m7["errors"][0]["extensions"];
        assert_eq!(m7["errors"][0]["message"], BUDGET_EXHAUSTED_MESSAGE);
        assert_eq!(m1["errors"][0]["message"], BUDGET_EXHAUSTED_MESSAGE);
        assert_eq!(ext["code"], "COMPLEXITY_BUDGET_EXHAUSTED");
        assert_eq!(ext["retry_in_seconds"], 17);
        assert!(ext.get("complexity_budget_left").is_none());
        let dual = budget_exhausted(ErrorStyle::Dual, b());
        assert!(dual["errors"][0].is_object() && dual["error_code"].is_string());
    }

    #[test]
    fn legacy_application_errors_are_top_level() {
        let err = json!({"message": "invalid value", "path": ["a"],
            "extensions": {"code": "ColumnValueException", "status_code": 200,
                           "error_data": {"column_type": "TextColumn"}}});
        let legacy = executed(ErrorStyle::Legacy, json!({"a": null}), vec![err.clone()]);
        assert_eq!(legacy["error_code"], "ColumnValueException");
        assert!(legacy.get("data").is_none());
        let modern = executed(ErrorStyle::Modern2025_10, json!({"a": null}), vec![err]);
        assert!(modern.get("error_code").is_none());
        assert_eq!(modern["errors"][0]["path"][0], "a");
        let mut v = modern;
        with_request_id(&mut v, "abc");
        assert_eq!(v["extensions"]["request_id"], "abc");
    }
}
