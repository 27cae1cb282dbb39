//! "As strict as monday.com, no stricter": each documented (or chosen, see README's behaviour
//! table) rejection, sent through `Simulator::handle`, with its code, message shape and HTTP
//! status per API version family (legacy <= 2024-07, 2025-01/04, 2025-07+; the dual 2024-10
//! shape is not reachable: 2024-10 is deprecated and served by 2025-04).

use std::time::Duration;

use mock_monday::config::{LimitSettings, SimConfig};
use serde_json::{json, Value};

#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

/// Versions with distinct error shapes: legacy, GraphQL-only 2025-01/04, current.
const VERSIONS: [&str; 3] = ["2024-07", "2025-04", "2026-10"];

fn create(sim: &mock_monday::Simulator, version: &str, name: &str) -> Option<String> {
    let r = sim.handle(post(
        json!({"query": "mutation ($n: String!) { create_item(board_id: 1234567890, item_name: $n) { id } }",
               "variables": {"n": name}})
        .to_string(),
        &[("api-version", version)],
    ));
    assert_eq!(r.status, 200);
    body(&r)["data"]["create_item"]["id"]
        .as_str()
        .map(str::to_string)
}

/// Asserts an application error in the shape of `version`: HTTP 200; 2025-01+ a GraphQL error
/// with `extensions.code` and a `path` and no legacy keys; <= 2024-07 the legacy top-level
/// `error_code` / `error_message` only. Returns the message.
fn assert_app_error(r: &mock_monday::CoreResponse, version: &str, code_: &str) -> String {
    assert_eq!(
        r.status,
        200,
        "{version}: {}",
        String::from_utf8_lossy(&r.body)
    );
    let b = body(r);
    match version {
        "2024-07" => {
            assert_eq!(b["error_code"], code_, "{version}: {b:#}");
            assert!(b.get("data").is_none(), "{version}: {b:#}");
            b["error_message"].as_str().unwrap_or_default().to_string()
        }
        _ => {
            assert_eq!(code(&b), Some(code_), "{version}: {b:#}");
            assert!(b["errors"][0]["path"].is_array(), "{version}: {b:#}");
            assert_eq!(b["errors"][0]["extensions"]["status_code"], 200);
            assert!(b.get("error_code").is_none());
            b["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    }
}

#[test]
fn change_column_value_refuses_a_value_that_is_not_json() {
    for version in VERSIONS {
        let sim = sim(instant());
        let item = create(&sim, version, "x").expect("created");
        let q = format!(
            "mutation {{ change_column_value(board_id: {BOARD}, item_id: {item}, column_id: \"text_po\", value: \"PO-1\") {{ id }} }}"
        );
        let r = sim.handle(post(gql(&q), &[("api-version", version)]));
        let msg = assert_app_error(&r, version, "ColumnValueException");
        assert!(msg.starts_with("invalid value"), "{msg}");
        // The same text as JSON is accepted.
        let q = format!(
            "mutation {{ change_column_value(board_id: {BOARD}, item_id: {item}, column_id: \"text_po\", value: \"\\\"PO-1\\\"\") {{ id }} }}"
        );
        let b = body(&sim.handle(post(gql(&q), &[("api-version", version)])));
        assert!(
            b.get("errors").is_none() && b.get("error_code").is_none(),
            "{b:#}"
        );
    }
}

#[test]
fn column_values_must_be_a_json_object() {
    for version in VERSIONS {
        let sim = sim(instant());
        for bad in ["not json", "[1, 2]"] {
            let r = sim.handle(post(
                json!({"query": "mutation ($v: JSON) { create_item(board_id: 1234567890, item_name: \"x\", column_values: $v) { id } }",
                       "variables": {"v": bad}})
                .to_string(),
                &[("api-version", version)],
            ));
            assert_app_error(&r, version, "InvalidArgumentException");
        }
        assert_eq!(items_on_board(&sim), 0);
    }
}

#[test]
fn change_simple_column_value_refuses_checkbox_columns() {
    for version in VERSIONS {
        let sim = sim(instant());
        let item = create(&sim, version, "x").expect("created");
        let q = format!(
            "mutation {{ change_simple_column_value(board_id: {BOARD}, item_id: {item}, column_id: \"checkbox_rush\", value: \"true\") {{ id }} }}"
        );
        let r = sim.handle(post(gql(&q), &[("api-version", version)]));
        assert_app_error(&r, version, "ColumnValueException");
        // JSON is the way for checkboxes.
        let q = format!(
            "mutation {{ change_multiple_column_values(board_id: {BOARD}, item_id: {item}, column_values: \"{{\\\"checkbox_rush\\\":{{\\\"checked\\\":\\\"true\\\"}}}}\") {{ id }} }}"
        );
        let b = body(&sim.handle(post(gql(&q), &[("api-version", version)])));
        assert!(
            b.get("errors").is_none() && b.get("error_code").is_none(),
            "{b:#}"
        );
    }
}

#[test]
fn clearing_accepts_null_and_empty_string() {
    let sim = sim(instant());
    let item = create(&sim, "2026-10", "x").expect("created");
    let set = format!(
        "mutation {{ change_multiple_column_values(board_id: {BOARD}, item_id: {item}, column_values: \"{{\\\"text_po\\\":\\\"A\\\",\\\"status\\\":{{\\\"label\\\":\\\"New\\\"}}}}\") {{ id }} }}"
    );
    for clear in [
        r#"{"text_po":null,"status":null}"#,
        r#"{"text_po":"","status":""}"#,
    ] {
        assert!(body(&sim.handle(post(gql(&set), &[])))
            .get("errors")
            .is_none());
        let q = json!({"query": format!("mutation ($v: JSON!) {{ change_multiple_column_values(board_id: {BOARD}, item_id: {item}, column_values: $v) {{ id }} }}"),
                       "variables": {"v": clear}});
        let b = body(&sim.handle(post(q.to_string(), &[])));
        assert!(b.get("errors").is_none(), "{b:#}");
        let items = sim.board_items(BOARD).unwrap();
        assert_eq!(items["items"][0]["column_values"]["text_po"]["text"], "");
        assert_eq!(
            items["items"][0]["column_values"]["status"]["value"],
            Value::Null
        );
    }
}

#[test]
fn missing_labels_fail_unless_create_labels_if_missing_for_status_and_dropdown() {
    for version in VERSIONS {
        let sim = sim(instant());
        for (col, value) in [
            ("status", json!({"label": "Lost"})),
            ("dropdown_sizes", json!({"labels": ["XXL"]})),
        ] {
            let q = |create: bool| {
                json!({"query": format!("mutation ($v: JSON) {{ create_item(board_id: {BOARD}, item_name: \"x\", column_values: $v, create_labels_if_missing: {create}) {{ id }} }}"),
                       "variables": {"v": json!({col: value}).to_string()}})
                .to_string()
            };
            let r = sim.handle(post(q(false), &[("api-version", version)]));
            assert_app_error(&r, version, "ColumnValueException");
            let b = body(&sim.handle(post(q(true), &[("api-version", version)])));
            assert!(
                b.get("errors").is_none() && b.get("error_code").is_none(),
                "{b:#}"
            );
        }
        assert_eq!(items_on_board(&sim), 2);
    }
}

#[test]
fn item_names_must_be_1_to_255_characters() {
    for version in VERSIONS {
        let sim = sim(instant());
        for bad in [String::new(), "n".repeat(256)] {
            let r = sim.handle(post(
                json!({"query": "mutation ($n: String!) { create_item(board_id: 1234567890, item_name: $n) { id } }",
                       "variables": {"n": bad}})
                .to_string(),
                &[("api-version", version)],
            ));
            assert_app_error(&r, version, "ItemNameTooLongException");
        }
        assert!(create(&sim, version, &"n".repeat(255)).is_some());
        assert!(create(&sim, version, "é").is_some());
    }
}

#[test]
fn items_limitation_at_the_board_cap() {
    assert_eq!(LimitSettings::default().items_limit_per_board, 10_000);
    for version in VERSIONS {
        let sim = sim(SimConfig {
            limits: LimitSettings {
                items_limit_per_board: 2,
                ..LimitSettings::default()
            },
            ..instant()
        });
        assert!(create(&sim, version, "a").is_some());
        assert!(create(&sim, version, "b").is_some());
        let r = sim.handle(post(
            gql("mutation { create_item(board_id: 1234567890, item_name: \"c\") { id } }"),
            &[("api-version", version)],
        ));
        assert_app_error(&r, version, "ItemsLimitationException");
        assert_eq!(items_on_board(&sim), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn cursors_expire_sixty_minutes_after_the_initial_request() {
    let sim = sim(instant());
    for i in 0..3 {
        create(&sim, "2026-10", &format!("i{i}")).expect("created");
    }
    let first = body(&sim.handle(post(
        gql("{ boards(ids: 1234567890) { items_page(limit: 1) { cursor items { id } } } }"),
        &[],
    )));
    let cursor = first["data"]["boards"][0]["items_page"]["cursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    let next = |c: &str| {
        sim.handle(post(
            json!({"query": "query ($c: String!) { next_items_page(cursor: $c, limit: 1) { cursor items { id } } }",
                   "variables": {"c": c}})
            .to_string(),
            &[],
        ))
    };
    tokio::time::advance(Duration::from_secs(59 * 60)).await;
    let b = body(&next(&cursor));
    let second = b["data"]["next_items_page"]["cursor"]
        .as_str()
        .expect("still valid at 59 minutes")
        .to_string();
    tokio::time::advance(Duration::from_secs(60)).await;
    // 60 minutes after the initial request: the first cursor and the one derived from it.
    for c in [cursor.as_str(), second.as_str()] {
        let r = next(c);
        assert_eq!(r.status, 200);
        let b = body(&r);
        assert_eq!(code(&b), Some("CursorExpiredError"), "{b:#}");
        assert_eq!(b["data"], Value::Null);
    }
}

#[test]
fn deprecated_versions_are_served_by_their_successor() {
    let sim = sim(instant());
    for (asked, served) in [
        ("2025-01", "2025-04"),
        ("2024-10", "2025-04"),
        ("2024-02", "2026-10"),
    ] {
        let r = sim.handle(post(
            gql("{ version { kind value } }"),
            &[("api-version", asked)],
        ));
        assert_eq!(header(&r, "api-version"), Some(served), "{asked}");
        assert_eq!(body(&r)["data"]["version"]["value"], served);
    }
    let r = sim.handle(post(
        gql("{ version { value } }"),
        &[("api-version", "2023")],
    ));
    assert_eq!(r.status, 200);
    assert_eq!(code(&body(&r)), Some("InvalidVersionException"));
}

#[test]
fn failed_mutations_cost_less_from_2025_10() {
    let fail = gql("mutation { create_item(board_id: 1, item_name: \"x\") { id } }");
    let used = |version: &str| {
        let sim = sim(instant());
        let r = sim.handle(post(fail.clone(), &[("api-version", version)]));
        assert_eq!(r.status, 200);
        assert!(body(&r).to_string().contains("InvalidBoardIdException"));
        sim.stats().complexity_used_total
    };
    // 30,000 + 1 (`id`) estimated; from 2025-10 a failed field costs 3,000 instead of 30,000.
    assert_eq!(used("2025-07"), 30_001);
    assert_eq!(used("2026-10"), 3_001);
}
