//! Property tests: arbitrary strings round-trip exactly as item names and text values, and
//! `prepare` never panics on arbitrary queries or variables.

use crate::graphql_support;

use graphql_support::Harness;
use mock_monday::graphql::{CostSettings, GraphqlEngine, GraphqlRequest};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Strings full of quotes, backslashes, newlines, emoji and escape-looking text.
fn nasty_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just("😀".to_string()),
        Just("\\ud83d\\ude00".to_string()),
        Just("\\u00e9".to_string()),
        Just("{\"a\":1}".to_string()),
        Just("é".to_string()),
        "[a-zA-Z0-9 ,.:-]{0,5}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(piece, 1..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn names_and_text_values_round_trip(name in nasty_string(), text in nasty_string()) {
        // Names must be 1..=255 characters (an empty name is an ItemNameTooLongException).
        prop_assume!(!name.is_empty() && name.chars().count() <= 255);
        let mut h = Harness::new();
        // column_values as a JSON string, as Python's json.dumps(ensure_ascii=True) would send it.
        let mut encoded = String::new();
        for c in serde_json::to_string(&json!({"text_po": text, "long_text_notes": {"text": text}})).unwrap().chars() {
            if c.is_ascii() {
                encoded.push(c);
            } else {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    encoded.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
        let data = h.ok(
            "mutation ($n: String!, $v: JSON) { create_item(board_id: 1234567890, item_name: $n, column_values: $v) { id name } }",
            json!({"n": name, "v": encoded}),
        );
        prop_assert_eq!(data["create_item"]["name"].as_str(), Some(name.as_str()));
        let id = data["create_item"]["id"].as_str().unwrap().to_string();
        let po = h.column(&id, "text_po");
        prop_assert_eq!(po["text"].as_str(), Some(text.as_str()));
        if text.is_empty() {
            // Writing "" clears a text column: no stored value.
            prop_assert!(po["value"].is_null(), "{}", po);
        } else {
            let stored: Value = serde_json::from_str(po["value"].as_str().unwrap()).unwrap();
            prop_assert_eq!(stored.as_str(), Some(text.as_str()));
        }
        let notes = h.column(&id, "long_text_notes");
        prop_assert_eq!(notes["text"].as_str(), Some(text.as_str()));
    }

    #[test]
    fn prepare_never_panics(query in ".{0,200}", var in ".{0,40}", num in any::<i64>()) {
        let engine = engine();
        let mut vars = Map::new();
        vars.insert("b".into(), json!(var));
        vars.insert("n".into(), json!(num));
        vars.insert("o".into(), json!({"x": [var, num]}));
        for q in [query.as_str(), &format!("query ($b: ID!, $n: Int) {{ boards(ids: [$b], limit: $n) {{ id {query} }} }}")] {
            let req = GraphqlRequest { query: q, operation_name: Some(&var), variables: &vars };
            let _ = engine.prepare(&req, &CostSettings::default());
            let req = GraphqlRequest { query: q, operation_name: None, variables: &vars };
            let _ = engine.prepare(&req, &CostSettings::default());
        }
    }

    #[test]
    fn graphql_shaped_garbage_never_panics(tokens in proptest::collection::vec(
        prop_oneof![
            Just("{"), Just("}"), Just("("), Just(")"), Just("["), Just("]"), Just(":"), Just(","),
            Just("..."), Just("$b"), Just("boards"), Just("items_page"), Just("mutation"), Just("query"),
            Just("create_item"), Just("board_id"), Just("1"), Just("\"s\""), Just("null"), Just("on"),
            Just("fragment"), Just("F"), Just("id"), Just("limit"), Just("@skip(if: true)"),
        ], 0..40)) {
        let engine = engine();
        let q = tokens.join(" ");
        let vars = Map::new();
        let req = GraphqlRequest { query: &q, operation_name: None, variables: &vars };
        if let Ok(op) = engine.prepare(&req, &CostSettings::default()) {
            let mut h = Harness::new();
            let ctx = mock_monday::graphql::ExecContext {
                now: std::time::Duration::ZERO,
                api_version: mock_monday::version::ApiVersion::current(),
                complexity: Default::default(),
                items_limit_per_board: 10,
                user_id: 1,
            bulk: None,
            };
            let _ = engine.execute(&op, &mut h.store, &ctx);
        }
    }
}

fn engine() -> &'static GraphqlEngine {
    static ENGINE: std::sync::OnceLock<GraphqlEngine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(GraphqlEngine::embedded)
}
