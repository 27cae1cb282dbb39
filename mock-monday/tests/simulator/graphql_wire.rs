//! "What real clients put on the wire" (docs/architecture.md), plus parse and validation errors.

use crate::graphql_support;

use graphql_support::{first_code, Harness};
use serde_json::{json, Value};

#[test]
fn single_value_where_a_list_is_expected() {
    let mut h = Harness::new();
    let data = h.ok("{ boards(ids: 1234567890) { id } }", json!({}));
    assert_eq!(data["boards"], json!([{"id": "1234567890"}]));
}

#[test]
fn ids_as_numbers_or_strings() {
    let mut h = Harness::new();
    let a = h.ok("{ boards(ids: [\"1234567890\"]) { id } }", json!({}));
    let b = h.ok(
        "query ($b: [ID!]) { boards(ids: $b) { id } }",
        json!({"b": [1234567890u64]}),
    );
    let c = h.ok(
        "query ($b: ID!) { items_page_by_column_values(board_id: $b) { cursor } }",
        json!({"b": 1234567890u64}),
    );
    assert_eq!(a, b);
    assert_eq!(c["items_page_by_column_values"]["cursor"], Value::Null);
    let d = h.ok(
        "mutation { create_item(board_id: \"1234567890\", item_name: \"s\") { id } }",
        json!({}),
    );
    assert!(d["create_item"]["id"].is_string());
}

#[test]
fn explicit_null_unquoted_enums_and_trailing_commas() {
    let mut h = Harness::new();
    let data = h.ok(
        "{ boards(ids: [1234567890,], limit: null, state: active, board_kind: null,) { id, name, } }",
        json!({}),
    );
    assert_eq!(data["boards"][0]["name"], "Order List");
    let data = h.ok(
        "mutation { create_item(board_id: 1234567890, item_name: \"n\", group_id: null, column_values: null, position_relative_method: after_at,) { id } }",
        json!({}),
    );
    assert!(data["create_item"]["id"].is_string());
}

#[test]
fn complexity_beside_a_read_and_a_mutation() {
    let mut h = Harness::new();
    let data = h.ok(
        "{ complexity { query after } boards(ids: 1234567890) { id } }",
        json!({}),
    );
    assert!(data["complexity"]["query"].is_number());
    assert_eq!(data["boards"][0]["id"], "1234567890");
    let data = h.ok(
        "mutation { complexity { query before after } create_item(board_id: 1234567890, item_name: \"x\") { id } }",
        json!({}),
    );
    assert!(data["complexity"]["after"].is_number());
}

#[test]
fn operation_name_picks_the_operation() {
    let mut h = Harness::new();
    let q = "query A { version { value } } query B { boards(ids: 1234567890) { id } }";
    let body = h.run_op(q, Some("B"), json!({}));
    assert_eq!(body["data"]["boards"][0]["id"], "1234567890");
    assert!(body["data"].get("version").is_none());
    let body = h.run_op(q, None, json!({}));
    assert!(body["errors"][0]["message"].is_string());
    assert!(body.get("data").is_none());
    let body = h.run_op(q, Some("C"), json!({}));
    assert!(body["errors"][0]["message"].is_string());
}

#[test]
fn fragments_and_inline_fragments_on_column_values() {
    let mut h = Harness::new();
    let item = h.create(
        "f",
        json!({"status": {"label": "Shipped"}, "date_order": {"date": "2026-03-14"}}),
    );
    let data = h.ok(
        r#"query ($i: [ID!]) { items(ids: $i) { ...ItemParts } }
           fragment ItemParts on Item { id column_values(ids: ["status", "date_order"]) { __typename id ... on StatusValue { label } ...D } }
           fragment D on DateValue { date }"#,
        json!({"i": [item]}),
    );
    let cols = &data["items"][0]["column_values"];
    assert_eq!(
        cols[0],
        json!({"__typename": "StatusValue", "id": "status", "label": "Shipped"})
    );
    assert_eq!(
        cols[1],
        json!({"__typename": "DateValue", "id": "date_order", "date": "2026-03-14"})
    );
}

#[test]
fn column_values_as_literal_string_variable_string_or_object() {
    let mut h = Harness::new();
    let q_literal = r#"mutation { create_item(board_id: 1234567890, item_name: "lit", column_values: "{\"text_po\": \"PO-1\"}") { column_values(ids: "text_po") { text } } }"#;
    assert_eq!(
        h.ok(q_literal, json!({}))["create_item"]["column_values"][0]["text"],
        "PO-1"
    );
    let q_var = "mutation ($v: JSON!) { create_item(board_id: 1234567890, item_name: \"var\", column_values: $v) { column_values(ids: \"text_po\") { text } } }";
    let s = h.ok(q_var, json!({"v": "{\"text_po\": \"PO-2\"}"}));
    assert_eq!(s["create_item"]["column_values"][0]["text"], "PO-2");
    let o = h.ok(q_var, json!({"v": {"text_po": "PO-3"}}));
    assert_eq!(o["create_item"]["column_values"][0]["text"], "PO-3");
    let bad = h.run(q_var, json!({"v": "{not json"}));
    assert_eq!(first_code(&bad), "InvalidArgumentException");
}

#[test]
fn python_style_surrogate_pairs_in_column_values() {
    let mut h = Harness::new();
    // json.dumps({"text_po": "Tee 😀 ü"}) with ensure_ascii=True
    let python = r#"{"text_po": "Tee \ud83d\ude00 \u00fc"}"#;
    let data = h.ok(
        "mutation ($v: JSON) { create_item(board_id: 1234567890, item_name: \"py\", column_values: $v) { column_values(ids: \"text_po\") { text } } }",
        json!({"v": python}),
    );
    assert_eq!(data["create_item"]["column_values"][0]["text"], "Tee 😀 ü");
    // The same JSON embedded in a GraphQL string literal (backslashes escaped once more).
    let literal = python.replace('\\', "\\\\").replace('"', "\\\"");
    let q = format!("mutation {{ create_item(board_id: 1234567890, item_name: \"py2\", column_values: \"{literal}\") {{ column_values(ids: \"text_po\") {{ text }} }} }}");
    let data = h.ok(&q, json!({}));
    assert_eq!(data["create_item"]["column_values"][0]["text"], "Tee 😀 ü");
}

#[test]
fn versions_without_header() {
    let mut h = Harness::new();
    let data = h.ok("query { versions { kind value } }", json!({}));
    let list = data["versions"].as_array().unwrap();
    assert!(list
        .iter()
        .any(|v| v == &json!({"kind": "current", "value": "2026-10"})));
}

#[test]
fn undefined_field_error_shape() {
    let mut h = Harness::new();
    let body = h.run("{ boards { id nope } }", json!({}));
    let e = &body["errors"][0];
    assert_eq!(e["message"], "Field 'nope' doesn't exist on type 'Board'");
    assert_eq!(e["extensions"]["code"], "undefinedField");
    assert_eq!(e["extensions"]["typeName"], "Board");
    assert_eq!(e["extensions"]["fieldName"], "nope");
    assert_eq!(e["locations"][0], json!({"line": 1, "column": 15}));
    assert!(body.get("data").is_none());
}

#[test]
fn other_validation_errors() {
    let mut h = Harness::new();
    for q in [
        "mutation { create_item(board_id: 1) { id } }",
        "{ boards(ids: {a: 1}) { id } }",
        "{ boards { columns } }",
        "query ($x: Int) { boards { id } }",
        "{ boards(nope: 1) { id } }",
    ] {
        let body = h.run(q, json!({}));
        assert_eq!(
            first_code(&body),
            "GRAPHQL_VALIDATION_FAILED",
            "{q}: {body}"
        );
        assert!(body["errors"][0]["locations"].is_array());
    }
    let body = h.run("query ($b: ID!) { boards(ids: [$b]) { id } }", json!({}));
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED");
    let body = h.run(
        "query ($b: Int!) { boards(limit: $b) { id } }",
        json!({"b": "x"}),
    );
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED");
}

#[test]
fn parse_errors() {
    let mut h = Harness::new();
    for q in [
        "{ boards { id }",
        "mutation { create_item(board_id: ) { id } }",
        "query \"x\"",
        "",
    ] {
        let body = h.run(q, json!({}));
        let msg = body["errors"][0]["message"].as_str().unwrap_or("");
        assert!(msg.starts_with("Parse error on "), "{q:?}: {msg}");
        assert_eq!(first_code(&body), "GRAPHQL_PARSE_FAILED");
    }
}

#[test]
fn unmodelled_fields_answer_from_the_schema_and_unmodelled_mutations_are_refused() {
    let mut h = Harness::new();
    let body = h.run(
        "{ boards(ids: 1234567890) { id name description permissions creator { id } } me { id } docs { id } }",
        json!({}),
    );
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(body["data"]["boards"][0]["name"], "Order List");
    assert_eq!(body["data"]["boards"][0]["permissions"], "everyone");
    assert_eq!(
        body["data"]["me"]["id"],
        body["data"]["boards"][0]["creator"]["id"]
    );
    assert_eq!(body["data"]["docs"], json!([]));
    let body = h.run(
        "mutation { create_board(board_name: \"x\", board_kind: public) { id } }",
        json!({}),
    );
    assert_eq!(body["data"]["create_board"], Value::Null);
    assert_eq!(first_code(&body), "FIELD_NOT_SERVED");
    let data = h.ok(
        "mutation { create_item(board_id: 1234567890, item_name: \"full\") { id } }",
        json!({}),
    );
    assert!(data["create_item"]["id"].is_string());
}
