//! GraphQL request bodies for batches (aliases + variables, never interpolated values) and the
//! parsing of their responses back to records.
//!
//! A create batch of two records looks like
//! `mutation ($b: ID!, $n0: String!, $g0: String, $v0: JSON, ...) { c0: create_item(board_id: $b,
//! item_name: $n0, group_id: $g0, column_values: $v0) { id } c1: ... complexity { before after query
//! reset_in_x_seconds } }`. Only alias names, variable names and booleans are generated into the query
//! text; every user value travels in `variables`.
//!
//! The tests below pin the bodies and the classification: `cargo mutants --in-place -p
//! monday-sync -f sync/src/api/payload.rs --timeout 120 -C --lib` judged 107 mutants, 100
//! caught, 6 unviable, 1 timed out and none missed, so no equivalent mutant is left to name (the
//! full run missed 2, `job_start_limit` always true and `body_capacity`'s `* 5 / 4` turned to
//! `+ 5 / 4`; with the tests for them, `-F body_capacity -F job_start_limit` caught all 16 of
//! those functions' mutants). The one that timed out is `budget_info` returning
//! `BudgetInfo::default()` (no response ever reports a budget): the three budget tests here fail
//! at once, but `api::client`'s `a_429_on_a_job_start_holds_job_starts_only` then does not end
//! within the 120 s, so the run counts it as timed out rather than caught.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::mapping::transform::{push_json_str, PreparedRecord};
use crate::transport::ApiResponse;

/// What a record's mutation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create { group_id: Option<String> },
    Update { item_id: String },
}

/// One record inside a request.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub record: &'a PreparedRecord,
    pub op: &'a Op,
}

/// The alias of entry `i` (`c3` for creates, `u3` for updates).
pub fn alias(op: &Op, i: usize) -> String {
    match op {
        Op::Create { .. } => format!("c{i}"),
        Op::Update { .. } => format!("u{i}"),
    }
}

/// The shape of one entry, as far as the query text is concerned.
fn entry_shape(e: &Entry<'_>) -> u8 {
    let mut b = 0u8;
    match e.op {
        Op::Create { group_id } => {
            if group_id.is_some() {
                b |= 2;
            }
        }
        Op::Update { .. } => b |= 1,
    }
    if e.record.create_labels {
        b |= 4;
    }
    b
}

/// The query text for a batch of the given entry shapes, already escaped as a JSON string
/// literal. Only alias names, variable names and booleans appear in it.
fn mutation_query_json(shapes: &[u8], with_complexity: bool) -> String {
    let mut decls = String::from("$b: ID!");
    let mut fields = String::new();
    for (i, &sh) in shapes.iter().enumerate() {
        let labels = if sh & 4 != 0 {
            ", create_labels_if_missing: true"
        } else {
            ""
        };
        if sh & 1 == 0 {
            let _ = write!(decls, ", $n{i}: String!, $v{i}: JSON");
            let group = if sh & 2 != 0 {
                let _ = write!(decls, ", $g{i}: String");
                format!(", group_id: $g{i}")
            } else {
                String::new()
            };
            let _ = write!(
                fields,
                " c{i}: create_item(board_id: $b, item_name: $n{i}{group}, column_values: $v{i}{labels}) {{ id }}"
            );
        } else {
            let _ = write!(decls, ", $i{i}: ID!, $v{i}: JSON!");
            let _ = write!(
                fields,
                " u{i}: change_multiple_column_values(board_id: $b, item_id: $i{i}, column_values: $v{i}{labels}) {{ id }}"
            );
        }
    }
    if with_complexity {
        fields.push_str(" complexity { before after query reset_in_x_seconds }");
    }
    let mut out = String::new();
    push_json_str(&mut out, &format!("mutation ({decls}) {{{fields} }}"));
    out
}

/// Query texts by batch shape: a run sends thousands of batches of a handful of shapes.
const QUERY_CACHE_MAX: usize = 256;

thread_local! {
    static QUERY_CACHE: RefCell<HashMap<Vec<u8>, Rc<str>>> = RefCell::new(HashMap::new());
}

fn cached_query_json(shapes: Vec<u8>, with_complexity: bool) -> Rc<str> {
    QUERY_CACHE.with(|c| {
        let mut key = shapes;
        // Every key ends in the flag, so (shapes, flag) pairs never collide.
        key.push(u8::from(with_complexity));
        if let Some(q) = c.borrow().get(&key) {
            return q.clone();
        }
        let q: Rc<str> = mutation_query_json(&key[..key.len() - 1], with_complexity).into();
        let mut c = c.borrow_mut();
        if c.len() >= QUERY_CACHE_MAX {
            c.clear();
        }
        c.insert(key, q.clone());
        q
    })
}

/// The bytes a mutation body is expected to take, so that it is written in one allocation: the
/// query text, each record's name and column values (escaping their quotes adds up to a quarter
/// to typical values) and the variable names around them.
fn body_capacity(query: &str, entries: &[Entry<'_>]) -> usize {
    let values: usize = entries
        .iter()
        .map(|e| e.record.name.len() + e.record.column_values.len() * 5 / 4 + 48)
        .sum();
    query.len() + values + 64
}

/// Build the JSON body of one mutation request for `entries` (in order; alias index = position).
///
/// The body is written directly (no intermediate `serde_json::Value`); the query text comes from a
/// per-thread cache keyed by the batch's shape.
pub fn build_mutation(board_id: &str, entries: &[Entry<'_>], with_complexity: bool) -> Vec<u8> {
    let shapes: Vec<u8> = entries.iter().map(entry_shape).collect();
    let query = cached_query_json(shapes, with_complexity);
    let mut out = String::with_capacity(body_capacity(&query, entries));
    out.push_str("{\"query\":");
    out.push_str(&query);
    out.push_str(",\"variables\":{\"b\":");
    push_json_str(&mut out, board_id);
    for (i, e) in entries.iter().enumerate() {
        match e.op {
            Op::Create { group_id } => {
                let _ = write!(out, ",\"n{i}\":");
                push_json_str(&mut out, &e.record.name);
                let _ = write!(out, ",\"v{i}\":");
                push_json_str(&mut out, &e.record.column_values);
                if let Some(g) = group_id {
                    let _ = write!(out, ",\"g{i}\":");
                    push_json_str(&mut out, g);
                }
            }
            Op::Update { item_id } => {
                let _ = write!(out, ",\"i{i}\":");
                push_json_str(&mut out, item_id);
                let _ = write!(out, ",\"v{i}\":");
                push_json_str(&mut out, &e.record.column_values);
            }
        }
    }
    out.push_str("}}");
    out.into_bytes()
}

/// Body of one aliased `create_group` request for the given titles (`g0`, `g1`, ...).
pub(crate) fn build_create_groups(board_id: &str, titles: &[String]) -> Vec<u8> {
    let mut decls = String::from("$b: ID!");
    let mut fields = String::new();
    let mut vars = Map::new();
    vars.insert("b".into(), Value::String(board_id.to_string()));
    for (i, t) in titles.iter().enumerate() {
        let _ = write!(decls, ", $t{i}: String!");
        let _ = write!(
            fields,
            " g{i}: create_group(board_id: $b, group_name: $t{i}) {{ id title }}"
        );
        vars.insert(format!("t{i}"), Value::String(t.clone()));
    }
    fields.push_str(" complexity { before after query reset_in_x_seconds }");
    query_body(&format!("mutation ({decls}) {{{fields} }}"), vars)
}

/// A `{"query", "variables"}` body.
pub(crate) fn query_body(query: &str, variables: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "query": query, "variables": variables }))
        .unwrap_or_default()
}

/// The budget state a response reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetInfo {
    /// Complexity remaining after this request.
    pub remaining: Option<u64>,
    /// Seconds within which the budget window resets, counted from the request: an upper
    /// bound. The body's `reset_in_x_seconds` is read as rounded up; the `RateLimit` header's
    /// `t=` may be rounded down (the docs say neither), so it counts one second more.
    pub reset_in_secs: Option<u64>,
    /// The budget size (from `RateLimit-Policy` or `before` + `query`).
    pub limit: Option<u64>,
    /// Cost charged for this request.
    pub cost: Option<u64>,
}

/// Outcome of one alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasOutcome {
    Ok {
        item_id: String,
    },
    /// Fails this record alone. `column`: the column named by the error, if any;
    /// `column_type`: that column's type as the error reports it (`error_data.column_type`).
    Permanent {
        code: String,
        message: String,
        column: Option<String>,
        column_type: Option<String>,
    },
    /// Retry this alias (in a new request with only the failed aliases).
    Transient {
        code: String,
        retry_in: Option<Duration>,
    },
}

/// How a whole response is to be handled.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseClass {
    /// Per-alias outcomes (in entry order).
    Aliases(Vec<AliasOutcome>),
    /// 429 or a throttling code: wait `retry_in` (None = unknown) and resend the same body.
    Throttled {
        code: String,
        retry_in: Option<Duration>,
    },
    /// HTTP 423 "Resource is currently locked": another write to the board is in progress;
    /// nothing was executed. Wait (`Retry-After`) and resend the same body with the same key.
    Locked { retry_in: Option<Duration> },
    /// HTTP 409 `IDEMPOTENCY_CONFLICT`: the same key is still being processed; wait and resend.
    Conflict { retry_in: Option<Duration> },
    /// 5xx or an unparseable body: back off and resend the same body (outcome unknown).
    ServerError { status: u16 },
    /// The request would cost more than one request may: split the batch.
    TooComplex,
    /// The token was refused (fatal).
    Auth {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// The board does not exist (fatal).
    BoardNotFound { message: String },
    /// A fatal account condition (daily limit...).
    AccountLimit { code: String, message: String },
    /// The whole request was rejected for a reason that will not change (every record fails).
    Rejected { code: String, message: String },
}

const PERMANENT_CODES: &[&str] = &[
    "ColumnValueException",
    "ItemNameTooLongException",
    "InvalidColumnIdException",
    "InvalidArgumentException",
    "CorrectedValueException",
    "InvalidUserIdException",
    "ItemsLimitationException",
    "ResourceNotFoundException",
    "RecordInvalidException",
    "DATA_VALIDATIONS_ERROR",
    "InvalidItemIdException",
];

const THROTTLE_CODES: &[&str] = &[
    "COMPLEXITY_BUDGET_EXHAUSTED",
    "ComplexityException",
    "complexityBudgetExhausted",
    "RATE_LIMIT_EXCEEDED",
    "Rate Limit Exceeded",
    "MINUTE_LIMIT_EXCEEDED",
    "maxConcurrencyExceeded",
    "IP_RATE_LIMIT_EXCEEDED",
    "FIELD_LIMIT_EXCEEDED",
];

fn err_code(e: &Value) -> String {
    e.pointer("/extensions/code")
        .and_then(Value::as_str)
        .or_else(|| e.get("error_code").and_then(Value::as_str))
        .unwrap_or("")
        .to_string()
}

fn err_message(e: &Value) -> String {
    e.get("message")
        .or_else(|| e.get("error_message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn retry_secs(e: &Value) -> Option<u64> {
    let n = e
        .pointer("/extensions/retry_in_seconds")
        .or_else(|| e.pointer("/extensions/error_data/retry_in_seconds"))
        .or_else(|| e.pointer("/error_data/retry_in_seconds"))
        .or_else(|| e.get("retry_in_seconds"))?;
    n.as_u64()
        .or_else(|| n.as_f64().map(|f| f.ceil().max(0.0) as u64))
}

/// `extensions.retryAfterMs`: the bulk import's start limit gives its wait in milliseconds
/// (docs/monday-bulk-import.md §5.2), unlike the seconds of every other limit.
fn retry_after_ms(e: &Value) -> Option<Duration> {
    let n = e.pointer("/extensions/retryAfterMs")?;
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite())
                .map(|f| f.ceil().max(0.0) as u64)
        })
        .map(Duration::from_millis)
}

/// Whether an answer's first error carries `extensions.retryAfterMs`: only the bulk import's
/// start limit (100 successful job starts per account per hour) gives its wait that way
/// (docs/monday-bulk-import.md §5.2; every other limit gives seconds).
pub(crate) fn job_start_limit(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.pointer("/errors/0/extensions/retryAfterMs").cloned())
        .is_some_and(|v| v.is_number())
}

/// The number in `reset in 16 seconds` inside a legacy complexity message: the legacy API gives
/// the wait only there. It reads a value out of the text; it classifies nothing (the code does).
fn retry_from_message(m: &str) -> Option<u64> {
    let idx = m.find("reset in ")?;
    m[idx + 9..].split_whitespace().next()?.parse().ok()
}

/// Seconds from `Retry-After`.
pub(crate) fn retry_after_header(resp: &ApiResponse) -> Option<Duration> {
    resp.header("retry-after")?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Parse `RateLimit` / `RateLimit-Policy` headers and a `complexity` field in `data`.
pub(crate) fn budget_info(resp: &ApiResponse, data: Option<&Value>) -> BudgetInfo {
    let mut info = BudgetInfo::default();
    if let Some(h) = resp.header("ratelimit") {
        for policy in h.split(',') {
            if policy.contains("complexityMinute") {
                for param in policy.split(';') {
                    let (k, v) = param.split_once('=').unwrap_or((param, ""));
                    match k.trim() {
                        "r" => info.remaining = v.trim().parse().ok(),
                        "t" => {
                            info.reset_in_secs =
                                v.trim().parse::<u64>().ok().map(|t| t.saturating_add(1))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some(h) = resp.header("ratelimit-policy") {
        for policy in h.split(',') {
            if policy.contains("complexityMinute") {
                for param in policy.split(';') {
                    if let Some(("q", v)) = param.split_once('=').map(|(k, v)| (k.trim(), v)) {
                        info.limit = v.trim().parse().ok();
                    }
                }
            }
        }
    }
    if let Some(c) = data
        .and_then(|d| d.get("complexity"))
        .filter(|c| c.is_object())
    {
        if let Some(a) = c.get("after").and_then(Value::as_u64) {
            info.remaining = Some(a);
        }
        if let Some(r) = c.get("reset_in_x_seconds").and_then(Value::as_u64) {
            info.reset_in_secs = Some(r);
        }
        info.cost = c.get("query").and_then(Value::as_u64);
    }
    info
}

/// Classify a response to a request whose aliases are `aliases` (in entry order): the body is
/// read once ([`Reading`]), a class of the whole request decided first
/// ([`Reading::request_class`]), else one outcome per alias ([`Reading::alias_outcome`]).
pub fn classify(resp: &ApiResponse, aliases: &[String]) -> (ResponseClass, BudgetInfo) {
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let reading = Reading::of(resp, body.as_ref());
    let budget = budget_info(resp, reading.data);
    let class = reading
        .request_class(resp.status, aliases)
        .unwrap_or_else(|| {
            ResponseClass::Aliases(aliases.iter().map(|a| reading.alias_outcome(a)).collect())
        });
    (class, budget)
}

/// What an answer's body says, read once for [`classify`].
struct Reading<'b> {
    /// The body parsed as JSON at all.
    parsed: bool,
    /// `data`, when it is an object.
    data: Option<&'b Value>,
    errors: Vec<&'b Value>,
    /// The first GraphQL error, or the legacy top-level `error_code` / `error_message` body.
    first: Option<&'b Value>,
    first_code: String,
    first_msg: String,
    /// `Retry-After`.
    header_retry: Option<Duration>,
    /// Any wait the answer names: the first error's `retryAfterMs`, its `retry_in_seconds`, a
    /// number of seconds in its message, else `Retry-After`.
    any_retry: Option<Duration>,
}

impl<'b> Reading<'b> {
    fn of(resp: &ApiResponse, body: Option<&'b Value>) -> Self {
        let data = body.and_then(|b| b.get("data")).filter(|d| d.is_object());
        let errors: Vec<&Value> = body
            .and_then(|b| b.get("errors"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let legacy =
            body.filter(|b| b.get("error_code").is_some() || b.get("error_message").is_some());
        let first = errors.first().copied().or(legacy);
        let first_msg = first.map(err_message).unwrap_or_default();
        let header_retry = retry_after_header(resp);
        let any_retry = first
            .and_then(retry_after_ms)
            .or_else(|| {
                first
                    .and_then(retry_secs)
                    .or_else(|| retry_from_message(&first_msg))
                    .map(Duration::from_secs)
            })
            .or(header_retry);
        Reading {
            parsed: body.is_some(),
            data,
            errors,
            first,
            first_code: first.map(err_code).unwrap_or_default(),
            first_msg,
            header_retry,
            any_retry,
        }
    }

    /// The class of the whole request, by status then code (None: per alias). The order of
    /// the checks is the decision: auth, lock, conflict, daily limit, throttling, complexity,
    /// server error, unknown board, rejection.
    fn request_class(&self, status: u16, aliases: &[String]) -> Option<ResponseClass> {
        let code = self.first_code.as_str();
        let code_or = |fallback: String| {
            if code.is_empty() {
                fallback
            } else {
                code.to_string()
            }
        };
        if matches!(status, 401 | 403)
            || code == "USER_UNAUTHORIZED"
            || code == "UserUnauthorizedException"
        {
            return Some(ResponseClass::Auth {
                status,
                code: Some(code.to_string()).filter(|c| !c.is_empty()),
                message: self.first_msg.clone(),
            });
        }
        let retry_in = self.header_retry.or(self.any_retry);
        if status == 423 {
            return Some(ResponseClass::Locked { retry_in });
        }
        if status == 409 || code == "IDEMPOTENCY_CONFLICT" {
            return Some(ResponseClass::Conflict { retry_in });
        }
        if code == "DAILY_LIMIT_EXCEEDED" {
            return Some(ResponseClass::AccountLimit {
                code: code.to_string(),
                message: self.first_msg.clone(),
            });
        }
        let throttled_code = THROTTLE_CODES.contains(&code) && self.data.is_none();
        if status == 429 || throttled_code {
            return Some(ResponseClass::Throttled {
                code: code_or("HTTP 429".into()),
                retry_in: self.any_retry,
            });
        }
        // Only the code decides: the legacy cap error (message only, no code) is a rejection,
        // and the sync never builds a request over the documented cap anyway (see `batching`).
        if code == "REQUEST_MAX_COMPLEXITY_EXCEEDED" {
            return Some(ResponseClass::TooComplex);
        }
        if status >= 500 || !self.parsed {
            return Some(ResponseClass::ServerError { status });
        }
        if code == "InvalidBoardIdException"
            && self
                .data
                .is_none_or(|d| aliases.iter().all(|a| d.get(a).is_none()))
        {
            return Some(ResponseClass::BoardNotFound {
                message: self.first_msg.clone(),
            });
        }
        if status >= 400 || (self.data.is_none() && self.first.is_some()) {
            return Some(ResponseClass::Rejected {
                code: code_or(format!("HTTP {status}")),
                message: self.first_msg.clone(),
            });
        }
        None
    }

    /// One alias of an answered request: its item id, else the error whose `path` names it
    /// (permanent or transient by its code), else transient with no data.
    fn alias_outcome(&self, alias: &str) -> AliasOutcome {
        let item = self.data.and_then(|d| d.get(alias));
        if let Some(id) = item.and_then(|v| v.get("id")).and_then(|id| match id {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }) {
            return AliasOutcome::Ok { item_id: id };
        }
        let err = self
            .errors
            .iter()
            .find(|e| e.pointer("/path/0").and_then(Value::as_str) == Some(alias));
        let Some(e) = err else {
            return AliasOutcome::Transient {
                code: "no data for alias".into(),
                retry_in: None,
            };
        };
        let code = err_code(e);
        let retry = retry_secs(e);
        if PERMANENT_CODES.contains(&code.as_str())
            || (retry.is_none()
                && !code.is_empty()
                && !THROTTLE_CODES.contains(&code.as_str())
                && code != "INTERNAL_SERVER_ERROR")
        {
            let field = |k: &str| {
                e.pointer(&format!("/extensions/error_data/{k}"))
                    .or_else(|| e.pointer(&format!("/extensions/{k}")))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            AliasOutcome::Permanent {
                code,
                message: err_message(e),
                column: field("column_id"),
                column_type: field("column_type"),
            }
        } else {
            AliasOutcome::Transient {
                code,
                retry_in: retry.map(Duration::from_secs),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(name: &str, cv: &str) -> PreparedRecord {
        PreparedRecord {
            line: 1,
            key: "k".into(),
            name: name.into(),
            group: None,
            customer: String::new(),
            column_values: cv.into(),
            create_labels: true,
            content_hash: String::new(),
        }
    }

    #[test]
    fn a_start_limit_429_waits_its_retry_after_ms() {
        let body = r#"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATE_LIMIT_EXCEEDED","status_code":429,"retryAfterMs":1500}}]}"#;
        let (class, _) = classify(&resp(429, body, &[("retry-after", "2")]), &[]);
        assert_eq!(
            class,
            ResponseClass::Throttled {
                code: "RATE_LIMIT_EXCEEDED".into(),
                retry_in: Some(Duration::from_millis(1500)),
            }
        );
    }

    fn resp(status: u16, body: &str, headers: &[(&str, &str)]) -> ApiResponse {
        ApiResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn values_travel_in_variables_only() {
        let r = rec("x\") { id } mutation { delete_item", "{\"a\":\"}\"}");
        let ops = [
            Op::Create {
                group_id: Some("g1".into()),
            },
            Op::Update {
                item_id: "77".into(),
            },
        ];
        let entries = [
            Entry {
                record: &r,
                op: &ops[0],
            },
            Entry {
                record: &r,
                op: &ops[1],
            },
        ];
        let body: Value = serde_json::from_slice(&build_mutation("123", &entries, true)).unwrap();
        let q = body["query"].as_str().unwrap();
        assert!(!q.contains("delete_item"));
        assert!(q.contains("c0: create_item(board_id: $b, item_name: $n0, group_id: $g0, column_values: $v0, create_labels_if_missing: true) { id }"));
        assert!(q.contains(
            "u1: change_multiple_column_values(board_id: $b, item_id: $i1, column_values: $v1"
        ));
        assert!(q.contains("complexity {"));
        assert_eq!(body["variables"]["n0"], r.name);
        assert_eq!(body["variables"]["v1"], r.column_values);
        assert_eq!(body["variables"]["i1"], "77");
    }

    #[test]
    fn partial_failure_maps_to_aliases() {
        let body = r#"{"data":{"c0":{"id":"11"},"c1":null,"c2":null,"complexity":{"before":100,"after":40,"query":60,"reset_in_x_seconds":12}},
          "errors":[{"message":"invalid value - label does not exist","path":["c1"],"extensions":{"code":"ColumnValueException"}},
                    {"message":"busy","path":["c2"],"extensions":{"code":"FIELD_LIMIT_EXCEEDED","retry_in_seconds":15}}]}"#;
        let aliases: Vec<String> = ["c0", "c1", "c2", "c3"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (class, budget) = classify(&resp(200, body, &[]), &aliases);
        assert_eq!(budget.remaining, Some(40));
        assert_eq!(budget.reset_in_secs, Some(12));
        let ResponseClass::Aliases(o) = class else {
            panic!("{class:?}")
        };
        assert_eq!(
            o[0],
            AliasOutcome::Ok {
                item_id: "11".into()
            }
        );
        assert!(
            matches!(&o[1], AliasOutcome::Permanent { code, .. } if code == "ColumnValueException")
        );
        assert_eq!(
            o[2],
            AliasOutcome::Transient {
                code: "FIELD_LIMIT_EXCEEDED".into(),
                retry_in: Some(Duration::from_secs(15))
            }
        );
        assert!(matches!(&o[3], AliasOutcome::Transient { .. }));
    }

    #[test]
    fn throttle_and_transport_classes() {
        let a = vec!["c0".to_string()];
        let t = r#"{"errors":[{"message":"Complexity budget exhausted","extensions":{"code":"COMPLEXITY_BUDGET_EXHAUSTED","retry_in_seconds":17}}]}"#;
        assert_eq!(
            classify(&resp(429, t, &[]), &a).0,
            ResponseClass::Throttled {
                code: "COMPLEXITY_BUDGET_EXHAUSTED".into(),
                retry_in: Some(Duration::from_secs(17))
            }
        );
        assert_eq!(
            classify(&resp(429, "{}", &[("retry-after", "3")]), &a).0,
            ResponseClass::Throttled {
                code: "HTTP 429".into(),
                retry_in: Some(Duration::from_secs(3))
            }
        );
        assert_eq!(
            classify(&resp(423, "{}", &[("retry-after", "2")]), &a).0,
            ResponseClass::Locked {
                retry_in: Some(Duration::from_secs(2))
            }
        );
        assert!(matches!(
            classify(
                &resp(
                    409,
                    r#"{"errors":[{"message":"x","extensions":{"code":"IDEMPOTENCY_CONFLICT"}}]}"#,
                    &[]
                ),
                &a
            )
            .0,
            ResponseClass::Conflict { .. }
        ));
        assert!(matches!(
            classify(&resp(502, "<html>", &[]), &a).0,
            ResponseClass::ServerError { status: 502 }
        ));
        assert!(matches!(
            classify(&resp(401, "{}", &[]), &a).0,
            ResponseClass::Auth { .. }
        ));
        let legacy = r#"{"error_code":"ComplexityException","status_code":429,"error_message":"Complexity budget exhausted, query cost 30001 budget remaining 10 out of 1000000 reset in 16 seconds"}"#;
        assert_eq!(
            classify(&resp(200, legacy, &[]), &a).0,
            ResponseClass::Throttled {
                code: "ComplexityException".into(),
                retry_in: Some(Duration::from_secs(16))
            }
        );
    }

    /// Each branch of `classify`, in the order it decides, with the edges that move a response
    /// from one class to the next.
    #[test]
    fn classify_decides_by_status_then_code() {
        use ResponseClass as C;
        let secs = |s| Some(Duration::from_secs(s));
        let err = |code: &str| {
            format!(r#"{{"errors":[{{"message":"m","extensions":{{"code":"{code}"}}}}]}}"#)
        };
        let auth = |status, code: Option<&str>, message: &str| C::Auth {
            status,
            code: code.map(str::to_string),
            message: message.into(),
        };
        let rejected = |code: &str, message: &str| C::Rejected {
            code: code.into(),
            message: message.into(),
        };
        let rows: Vec<(&str, ApiResponse, ResponseClass)> = vec![
            ("403", resp(403, "{}", &[]), auth(403, None, "")),
            (
                "401 with a code",
                resp(401, &err("Unauthorized"), &[]),
                auth(401, Some("Unauthorized"), "m"),
            ),
            (
                "USER_UNAUTHORIZED at 200",
                resp(200, &err("USER_UNAUTHORIZED"), &[]),
                auth(200, Some("USER_UNAUTHORIZED"), "m"),
            ),
            (
                "the legacy UserUnauthorizedException",
                resp(
                    200,
                    r#"{"error_code":"UserUnauthorizedException","error_message":"no"}"#,
                    &[],
                ),
                auth(200, Some("UserUnauthorizedException"), "no"),
            ),
            (
                "423: Retry-After before the body's hint",
                resp(
                    423,
                    r#"{"errors":[{"message":"m","extensions":{"retry_in_seconds":9}}]}"#,
                    &[("retry-after", "2")],
                ),
                C::Locked { retry_in: secs(2) },
            ),
            (
                "423 without Retry-After: the body's hint",
                resp(
                    423,
                    r#"{"errors":[{"message":"m","extensions":{"retry_in_seconds":9}}]}"#,
                    &[],
                ),
                C::Locked { retry_in: secs(9) },
            ),
            (
                "409 without a code",
                resp(409, "{}", &[("retry-after", "4")]),
                C::Conflict { retry_in: secs(4) },
            ),
            (
                "IDEMPOTENCY_CONFLICT at 200",
                resp(200, &err("IDEMPOTENCY_CONFLICT"), &[]),
                C::Conflict { retry_in: None },
            ),
            (
                "the daily limit is fatal, not a throttle",
                resp(429, &err("DAILY_LIMIT_EXCEEDED"), &[("retry-after", "60")]),
                C::AccountLimit {
                    code: "DAILY_LIMIT_EXCEEDED".into(),
                    message: "m".into(),
                },
            ),
            (
                "a throttling code without data at 200",
                resp(200, &err("RATE_LIMIT_EXCEEDED"), &[("retry-after", "5")]),
                C::Throttled {
                    code: "RATE_LIMIT_EXCEEDED".into(),
                    retry_in: secs(5),
                },
            ),
            (
                "the per-request cap",
                resp(200, &err("REQUEST_MAX_COMPLEXITY_EXCEEDED"), &[]),
                C::TooComplex,
            ),
            (
                "500 with a JSON body",
                resp(500, "{}", &[]),
                C::ServerError { status: 500 },
            ),
            (
                "an unparseable 200",
                resp(200, "<html>", &[]),
                C::ServerError { status: 200 },
            ),
            (
                "a missing board, no data",
                resp(200, &err("InvalidBoardIdException"), &[]),
                C::BoardNotFound {
                    message: "m".into(),
                },
            ),
            (
                "a missing board, data without the aliases",
                resp(
                    200,
                    r#"{"data":{"other":1},"errors":[{"message":"m","extensions":{"code":"InvalidBoardIdException"}}]}"#,
                    &[],
                ),
                C::BoardNotFound {
                    message: "m".into(),
                },
            ),
            (
                "499 with a JSON body",
                resp(499, "{}", &[]),
                rejected("HTTP 499", ""),
            ),
            (
                "400 with a code",
                resp(400, &err("BadRequest"), &[]),
                rejected("BadRequest", "m"),
            ),
            (
                "an error without data at 200",
                resp(200, &err("SomethingElse"), &[]),
                rejected("SomethingElse", "m"),
            ),
            (
                "legacy error fields without data at 200",
                resp(200, r#"{"error_message":"m"}"#, &[]),
                rejected("HTTP 200", "m"),
            ),
        ];
        let aliases = vec!["c0".to_string()];
        for (what, r, want) in rows {
            assert_eq!(classify(&r, &aliases).0, want, "{what}");
        }
    }

    /// Per-alias outcomes: which alias errors fail a record for good and which are retried.
    #[test]
    fn alias_errors_are_permanent_or_transient() {
        let secs = |s| Some(Duration::from_secs(s));
        let body = r#"{"data":{"c0":{"id":12},"c1":null,"c2":null,"c3":null,"c4":null,"c5":null,"c6":null,"c7":null,"c8":{"id":true},"c9":null},
          "errors":[
            {"message":"bad","path":["c1"],"extensions":{"code":"ColumnValueException","retry_in_seconds":3,"error_data":{"column_id":"status","column_type":"color"}}},
            {"message":"other","path":["c2"],"extensions":{"code":"SomeNewException","column_id":"text"}},
            {"message":"later","path":["c3"],"extensions":{"code":"SomeNewException","retry_in_seconds":3}},
            {"message":"no code","path":["c4"]},
            {"message":"budget","path":["c5"],"extensions":{"code":"COMPLEXITY_BUDGET_EXHAUSTED"}},
            {"message":"oops","path":["c6"],"extensions":{"code":"INTERNAL_SERVER_ERROR"}},
            {"message":"not this one","path":["c1x"],"extensions":{"code":"ColumnValueException"}},
            {"message":"frac","path":["c9"],"extensions":{"code":"FIELD_LIMIT_EXCEEDED","error_data":{"retry_in_seconds":1.2}}}
          ]}"#;
        let aliases: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        let (class, _) = classify(&resp(200, body, &[]), &aliases);
        let transient = |code: &str, retry_in| AliasOutcome::Transient {
            code: code.into(),
            retry_in,
        };
        let no_data = transient("no data for alias", None);
        let want = vec![
            AliasOutcome::Ok {
                item_id: "12".into(),
            },
            AliasOutcome::Permanent {
                code: "ColumnValueException".into(),
                message: "bad".into(),
                column: Some("status".into()),
                column_type: Some("color".into()),
            },
            AliasOutcome::Permanent {
                code: "SomeNewException".into(),
                message: "other".into(),
                column: Some("text".into()),
                column_type: None,
            },
            transient("SomeNewException", secs(3)),
            transient("", None),
            transient("COMPLEXITY_BUDGET_EXHAUSTED", None),
            transient("INTERNAL_SERVER_ERROR", None),
            no_data.clone(),
            no_data,
            transient("FIELD_LIMIT_EXCEEDED", secs(2)),
        ];
        assert_eq!(class, ResponseClass::Aliases(want));
    }

    #[test]
    fn retry_hints_in_every_place_they_come() {
        let hint = |e: &str| retry_secs(&serde_json::from_str(e).unwrap());
        assert_eq!(hint(r#"{"extensions":{"retry_in_seconds":7}}"#), Some(7));
        assert_eq!(
            hint(r#"{"extensions":{"error_data":{"retry_in_seconds":6}}}"#),
            Some(6)
        );
        assert_eq!(hint(r#"{"error_data":{"retry_in_seconds":5}}"#), Some(5));
        assert_eq!(hint(r#"{"retry_in_seconds":4}"#), Some(4));
        assert_eq!(hint(r#"{"retry_in_seconds":0.2}"#), Some(1), "rounded up");
        assert_eq!(hint(r#"{"retry_in_seconds":-3.5}"#), Some(0));
        assert_eq!(hint(r#"{"retry_in_seconds":"soon"}"#), None);
        assert_eq!(hint(r#"{}"#), None);
        assert_eq!(retry_from_message("reset in 16 seconds"), Some(16));
        assert_eq!(retry_from_message("budget reset in 3"), Some(3));
        assert_eq!(retry_from_message("reset in soon"), None);
        assert_eq!(retry_from_message("no number"), None);
        let header = |v: &str| retry_after_header(&resp(429, "{}", &[("retry-after", v)]));
        assert_eq!(header(" 1.5 "), Some(Duration::from_millis(1_500)));
        assert_eq!(header("0"), Some(Duration::ZERO));
        assert_eq!(header("-1"), None);
        assert_eq!(header("inf"), None);
        assert_eq!(header("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_header(&resp(429, "{}", &[])), None);
    }

    #[test]
    fn the_budget_from_headers_and_the_complexity_field() {
        // The complexity field wins over the header; its `query` is the cost.
        let data = serde_json::json!({"complexity": {"before": 1000, "after": 700, "query": 300, "reset_in_x_seconds": 30}});
        let r = resp(200, "{}", &[("ratelimit", "\"complexityMinute\";r=5;t=9")]);
        assert_eq!(
            budget_info(&r, Some(&data)),
            BudgetInfo {
                remaining: Some(700),
                reset_in_secs: Some(30),
                limit: None,
                cost: Some(300)
            }
        );
        // Other policies' `r` and `t` are not the budget's; a missing `t` is unknown.
        let r = resp(
            200,
            "{}",
            &[(
                "ratelimit",
                "\"minuteRate\";r=0;t=40, \"complexityMinute\";r=12",
            )],
        );
        assert_eq!(
            budget_info(&r, None),
            BudgetInfo {
                remaining: Some(12),
                ..BudgetInfo::default()
            }
        );
        // A `complexity` that is not an object says nothing.
        let data = serde_json::json!({"complexity": 5});
        assert_eq!(
            budget_info(&resp(200, "{}", &[]), Some(&data)),
            BudgetInfo::default()
        );
    }

    #[test]
    fn aliases_and_query_texts() {
        let create = Op::Create { group_id: None };
        let update = Op::Update {
            item_id: "9".into(),
        };
        assert_eq!(
            (alias(&create, 3), alias(&update, 0)),
            ("c3".to_string(), "u0".to_string())
        );
        let r = rec("n", "{}");
        let mut plain = r.clone();
        plain.create_labels = false;
        let entries = [
            Entry {
                record: &plain,
                op: &create,
            },
            Entry {
                record: &r,
                op: &update,
            },
        ];
        let body: Value = serde_json::from_slice(&build_mutation("1", &entries, false)).unwrap();
        assert_eq!(
            body["query"],
            "mutation ($b: ID!, $n0: String!, $v0: JSON, $i1: ID!, $v1: JSON!) { c0: create_item(board_id: $b, item_name: $n0, column_values: $v0) { id } u1: change_multiple_column_values(board_id: $b, item_id: $i1, column_values: $v1, create_labels_if_missing: true) { id } }"
        );
        // The same shape with the complexity field is another text, not the cached one.
        let body: Value = serde_json::from_slice(&build_mutation("1", &entries, true)).unwrap();
        assert!(body["query"]
            .as_str()
            .unwrap()
            .ends_with(" complexity { before after query reset_in_x_seconds } }"));
        let body: Value = serde_json::from_slice(&build_mutation("1", &entries, false)).unwrap();
        assert!(!body["query"].as_str().unwrap().contains("complexity"));
        let groups: Value =
            serde_json::from_slice(&build_create_groups("5", &["A".into(), "B".into()])).unwrap();
        assert_eq!(
            groups,
            serde_json::json!({
                "query": "mutation ($b: ID!, $t0: String!, $t1: String!) { g0: create_group(board_id: $b, group_name: $t0) { id title } g1: create_group(board_id: $b, group_name: $t1) { id title } complexity { before after query reset_in_x_seconds } }",
                "variables": {"b": "5", "t0": "A", "t1": "B"},
            })
        );
    }

    #[test]
    fn a_shape_seen_again_reuses_its_query_text() {
        let a = cached_query_json(vec![0, 0], false);
        let _other = cached_query_json(vec![1], false);
        assert!(Rc::ptr_eq(&a, &cached_query_json(vec![0, 0], false)));
        // A full cache starts over.
        for n in 0..QUERY_CACHE_MAX {
            cached_query_json(vec![2; n + 3], false);
        }
        assert!(!Rc::ptr_eq(&a, &cached_query_json(vec![0, 0], false)));
    }

    /// Only the bulk import's start limit gives its wait as `extensions.retryAfterMs` on the
    /// first error; a wait in seconds, a non-number, a later error's field or an unreadable body
    /// is not the start limit.
    #[test]
    fn the_job_start_limit_is_told_by_retry_after_ms() {
        let rows: [(&str, &str, bool); 7] = [
            (
                "the start limit",
                r#"{"errors":[{"message":"m","extensions":{"code":"RATE_LIMIT_EXCEEDED","retryAfterMs":1500}}]}"#,
                true,
            ),
            (
                "a fractional wait is a number too",
                r#"{"errors":[{"message":"m","extensions":{"retryAfterMs":1.5}}]}"#,
                true,
            ),
            (
                "a wait in seconds",
                r#"{"errors":[{"message":"m","extensions":{"code":"RATE_LIMIT_EXCEEDED","retry_in_seconds":2}}]}"#,
                false,
            ),
            (
                "not a number",
                r#"{"errors":[{"message":"m","extensions":{"retryAfterMs":"1500"}}]}"#,
                false,
            ),
            (
                "only a later error has it",
                r#"{"errors":[{"message":"a"},{"message":"b","extensions":{"retryAfterMs":1500}}]}"#,
                false,
            ),
            ("no errors", r#"{"data":{"c0":{"id":"1"}}}"#, false),
            ("not JSON", "<html>", false),
        ];
        for (what, body, want) in rows {
            assert_eq!(job_start_limit(body.as_bytes()), want, "{what}");
        }
    }

    /// Column values full of quoted keys (80 quotes in 421 bytes: a fifth more once escaped)
    /// still fit the estimate: it allows a quarter for the escapes, not a byte per value.
    #[test]
    fn quoted_column_values_fit_the_estimated_capacity() {
        let columns: Vec<String> = (0..20)
            .map(|i| format!(r#""text_{i:02}":"value {i:02}""#))
            .collect();
        let cv = format!("{{{}}}", columns.join(","));
        assert_eq!((cv.len(), cv.matches('"').count()), (421, 80));
        let records: Vec<PreparedRecord> = (0..3).map(|_| rec("n", &cv)).collect();
        let op = Op::Create { group_id: None };
        let entries: Vec<Entry<'_>> = records
            .iter()
            .map(|record| Entry { record, op: &op })
            .collect();
        let body = build_mutation("1234567890", &entries, true);
        let query = cached_query_json(entries.iter().map(entry_shape).collect(), true);
        let estimate = body_capacity(&query, &entries);
        assert!(body.len() <= estimate, "{} > {estimate}", body.len());
        assert!(estimate <= 2 * body.len(), "{estimate} vs {}", body.len());
    }

    proptest::proptest! {
        /// Typical records (a name, a text and a number column) fit the estimated capacity, and
        /// the estimate is not more than about twice what is written.
        #[test]
        fn a_body_is_written_in_one_allocation(
            texts in proptest::collection::vec(("[a-zA-Z ]{0,40}", "[a-zA-Z0-9 .,]{20,400}", 0u32..100_000), 1..30),
            group in proptest::option::of("[a-z_0-9]{4,12}"),
        ) {
            let records: Vec<PreparedRecord> = texts
                .iter()
                .map(|(name, text, n)| rec(name, &format!(r#"{{"text_1":"{text}","numbers":"{n}"}}"#)))
                .collect();
            let op = Op::Create { group_id: group };
            let entries: Vec<Entry<'_>> = records.iter().map(|record| Entry { record, op: &op }).collect();
            let body = build_mutation("1234567890", &entries, true);
            let query = cached_query_json(entries.iter().map(entry_shape).collect(), true);
            let estimate = body_capacity(&query, &entries);
            proptest::prop_assert!(body.len() <= estimate, "{} > {estimate}", body.len());
            proptest::prop_assert!(estimate <= 2 * body.len(), "{estimate} vs {}", body.len());
        }
    }

    #[test]
    fn ratelimit_headers() {
        let r = resp(200, "{}", &[
            ("ratelimit", "\"minuteRate\";r=4999, \"concurrency\";r=249, \"complexityMinute\";r=959960;t=58"),
            ("ratelimit-policy", "\"minuteRate\";q=5000;w=60, \"complexityMinute\";q=1000000;w=60"),
        ]);
        let b = budget_info(&r, None);
        assert_eq!(
            (b.remaining, b.reset_in_secs, b.limit),
            (Some(959_960), Some(59), Some(1_000_000)),
            "t=58 may be 58.9 s rounded down: the reset is within 59 s"
        );
    }
}
