//! Shared helpers for the `graphql_*` integration tests: an engine + store pair driven directly
//! (no HTTP).
#![allow(dead_code)]

use std::time::Duration;

use mock_monday::graphql::{
    ComplexitySnapshot, CostSettings, ExecContext, GraphqlEngine, GraphqlRequest,
};
use mock_monday::store::{Fixture, Store};
use mock_monday::version::ApiVersion;
use serde_json::{json, Value};

pub const BOARD: &str = "1234567890";
pub const SUB_BOARD: &str = "1234567891";

/// An engine over the embedded SDL and a store over the default fixture.
pub struct Harness {
    pub engine: GraphqlEngine,
    pub store: Store,
    pub now: Duration,
    pub items_limit: usize,
    pub costs: CostSettings,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    pub fn new() -> Self {
        Self {
            engine: GraphqlEngine::embedded(),
            store: Store::from_fixture(&Fixture::default_order_list()),
            now: Duration::from_secs(10),
            items_limit: 10_000,
            costs: CostSettings::default(),
        }
    }

    /// Runs a request; returns `{"data": .., "errors": [..]}` (errors only when there are some;
    /// prepare errors give no `data`).
    pub fn run_op(&mut self, query: &str, operation_name: Option<&str>, variables: Value) -> Value {
        let vars = variables.as_object().cloned().unwrap_or_default();
        let req = GraphqlRequest {
            query,
            operation_name,
            variables: &vars,
        };
        let op = match self.engine.prepare(&req, &self.costs) {
            Ok(op) => op,
            Err(errors) => return json!({ "errors": errors }),
        };
        let ctx = ExecContext {
            now: self.now,
            api_version: ApiVersion::current(),
            complexity: ComplexitySnapshot {
                before: 10_000_000,
                after: 10_000_000 - op.estimated_complexity,
                query: op.estimated_complexity,
                reset_in_x_seconds: 60,
            },
            items_limit_per_board: self.items_limit,
            user_id: 12_345_678,
            bulk: None,
        };
        self.now += Duration::from_secs(1);
        let out = self.engine.execute(&op, &mut self.store, &ctx);
        let mut body = json!({ "data": out.data });
        if !out.errors.is_empty() {
            body["errors"] = Value::Array(out.errors);
        }
        body
    }

    pub fn run(&mut self, query: &str, variables: Value) -> Value {
        self.run_op(query, None, variables)
    }

    /// Runs and asserts there are no errors; returns `data`.
    pub fn ok(&mut self, query: &str, variables: Value) -> Value {
        let body = self.run(query, variables);
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Creates an item with column values (JSON object) and returns its id.
    pub fn create(&mut self, name: &str, values: Value) -> String {
        let data = self.ok(
            "mutation ($b: ID!, $n: String!, $v: JSON) { create_item(board_id: $b, item_name: $n, column_values: $v) { id } }",
            json!({"b": BOARD, "n": name, "v": values}),
        );
        data["create_item"]["id"].as_str().expect("id").to_string()
    }

    /// `{text, value, type}` of one column of an item.
    pub fn column(&mut self, item: &str, column: &str) -> Value {
        let data = self.ok(
            "query ($i: [ID!], $c: [String!]) { items(ids: $i) { column_values(ids: $c) { id text value type } } }",
            json!({"i": [item], "c": [column]}),
        );
        data["items"][0]["column_values"][0].clone()
    }
}

/// The first error's `extensions.code`.
pub fn first_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_string()
}
