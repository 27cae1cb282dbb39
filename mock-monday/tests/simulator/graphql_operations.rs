//! Every served operation, driven through GraphqlEngine + Store.

use crate::graphql_support;

use graphql_support::{first_code, Harness, BOARD, SUB_BOARD};
use serde_json::json;

#[test]
fn create_item_with_aliases_and_variables() {
    let mut h = Harness::new();
    let data = h.ok(
        r#"mutation ($b: ID!, $v1: JSON, $v2: JSON) {
            a: create_item(board_id: $b, item_name: "One", column_values: $v1) { id name group { id } }
            b: create_item(board_id: $b, item_name: "Two", group_id: "group_done", column_values: $v2) { id name group { id } }
        }"#,
        json!({"b": BOARD, "v1": "{\"text_order_key\":\"ORD-1\"}", "v2": {"text_order_key": "ORD-2"}}),
    );
    assert_eq!(data["a"]["id"], "9000000001");
    assert_eq!(data["a"]["group"]["id"], "topics");
    assert_eq!(data["b"]["id"], "9000000002");
    assert_eq!(data["b"]["group"]["id"], "group_done");
    assert_eq!(h.store.items_total(), 2);
    let items = h.store.board_items_json(BOARD).unwrap();
    assert_eq!(
        items["items"][1]["column_values"]["text_order_key"]["text"],
        "ORD-2"
    );
}

#[test]
fn create_item_position_and_unknown_group() {
    let mut h = Harness::new();
    let first = h.create("first", json!({}));
    let data = h.ok(
        "mutation ($r: ID) { create_item(board_id: 1234567890, item_name: \"before\", position_relative_method: before_at, relative_to: $r) { id } }",
        json!({"r": first}),
    );
    let before = data["create_item"]["id"].as_str().unwrap().to_string();
    let page = h.ok(
        "{ boards(ids: 1234567890) { items_page { items { id } } } }",
        json!({}),
    );
    let ids: Vec<&str> = page["boards"][0]["items_page"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![before.as_str(), first.as_str()]);
    let body = h.run(
        "mutation { create_item(board_id: 1234567890, item_name: \"x\", group_id: \"nope\") { id } }",
        json!({}),
    );
    assert_eq!(first_code(&body), "InvalidGroupIdException");
    assert_eq!(body["data"]["create_item"], serde_json::Value::Null);
}

#[test]
fn create_subitem_lives_on_the_subitems_board() {
    let mut h = Harness::new();
    let parent = h.create("parent", json!({}));
    let data = h.ok(
        r#"mutation ($p: ID!) { create_subitem(parent_item_id: $p, item_name: "line 1", column_values: "{\"text_sku\":\"SKU-1\",\"status\":{\"label\":\"Shipped\"}}") {
            id board { id } parent_item { id } column_values(ids: ["text_sku", "status"]) { id text } } }"#,
        json!({"p": parent}),
    );
    let sub = &data["create_subitem"];
    assert_eq!(sub["board"]["id"], SUB_BOARD);
    assert_eq!(sub["parent_item"]["id"], parent.as_str());
    assert_eq!(sub["column_values"][0]["text"], "SKU-1");
    assert_eq!(sub["column_values"][1]["text"], "Shipped");
    let read = h.ok(
        "query ($i: [ID!]) { items(ids: $i) { subitems { id name } column_values(ids: \"subitems\") { text value ... on SubtasksValue { subitems_ids } } } }",
        json!({"i": [parent]}),
    );
    assert_eq!(read["items"][0]["subitems"][0]["name"], "line 1");
    assert_eq!(read["items"][0]["column_values"][0]["text"], "line 1");
    assert_eq!(
        read["items"][0]["column_values"][0]["value"],
        serde_json::Value::Null
    );
    let body = h.run(
        "mutation { create_subitem(parent_item_id: 1, item_name: \"x\") { id } }",
        json!({}),
    );
    assert_eq!(first_code(&body), "ResourceNotFoundException");
}

#[test]
fn change_mutations_update_values_and_updated_at() {
    let mut h = Harness::new();
    let item = h.create("item", json!({"text_customer": "Acme"}));
    h.ok(
        "mutation ($i: ID) { change_multiple_column_values(board_id: 1234567890, item_id: $i, column_values: \"{\\\"numbers_qty\\\":\\\"12\\\",\\\"name\\\":\\\"renamed\\\"}\") { id } }",
        json!({"i": item}),
    );
    h.ok(
        "mutation ($i: ID) { change_column_value(board_id: 1234567890, item_id: $i, column_id: \"status\", value: \"{\\\"index\\\":2}\") { id } }",
        json!({"i": item}),
    );
    h.ok(
        "mutation ($i: ID) { change_simple_column_value(board_id: 1234567890, item_id: $i, column_id: \"dropdown_sizes\", value: \"S,M\") { id } }",
        json!({"i": item}),
    );
    let data = h.ok(
        "query ($i: [ID!]) { items(ids: $i) { name created_at updated_at column_values(ids: [\"numbers_qty\", \"status\", \"dropdown_sizes\", \"text_customer\"]) { id text } } }",
        json!({"i": [item]}),
    );
    let it = &data["items"][0];
    assert_eq!(it["name"], "renamed");
    assert_ne!(it["created_at"], it["updated_at"]);
    let texts: Vec<&str> = it["column_values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["Acme", "12", "Shipped", "S, M"]);
    // clearing with null
    h.ok(
        "mutation ($i: ID) { change_simple_column_value(board_id: 1234567890, item_id: $i, column_id: \"text_customer\", value: null) { id } }",
        json!({"i": item}),
    );
    assert_eq!(h.column(&item, "text_customer")["text"], "");
    assert_eq!(
        h.column(&item, "text_customer")["value"],
        serde_json::Value::Null
    );
}

#[test]
fn create_group_then_create_item_in_it() {
    let mut h = Harness::new();
    let data = h.ok(
        "mutation { g: create_group(board_id: 1234567890, group_name: \"Acme Apparel\", group_color: \"#ff642e\") { id title color } }",
        json!({}),
    );
    let gid = data["g"]["id"].as_str().unwrap().to_string();
    assert!(gid.starts_with("group_"));
    assert_eq!(data["g"]["title"], "Acme Apparel");
    assert_eq!(data["g"]["color"], "#ff642e");
    let data = h.ok(
        "mutation ($g: String) { create_item(board_id: 1234567890, item_name: \"x\", group_id: $g) { group { id title } } }",
        json!({"g": gid}),
    );
    assert_eq!(data["create_item"]["group"]["title"], "Acme Apparel");
    let groups = h.ok("{ boards(ids: [1234567890]) { groups { id } } }", json!({}));
    assert_eq!(groups["boards"][0]["groups"].as_array().unwrap().len(), 4);
    // Same name again: a new, different id (deterministic counter).
    let again = h.ok(
        "mutation { create_group(board_id: 1234567890, group_name: \"Acme Apparel\") { id } }",
        json!({}),
    );
    assert_ne!(again["create_group"]["id"], gid.as_str());
}

#[test]
fn delete_and_archive_items() {
    let mut h = Harness::new();
    let a = h.create("a", json!({}));
    let b = h.create("b", json!({}));
    let data = h.ok(
        "mutation ($a: ID, $b: ID!) { d: delete_item(item_id: $a) { id state } r: archive_item(item_id: $b) { id state } }",
        json!({"a": a, "b": b}),
    );
    assert_eq!(data["d"]["state"], "deleted");
    assert_eq!(data["r"]["state"], "archived");
    assert_eq!(h.store.items_total(), 1);
    let page = h.ok(
        "{ boards(ids: 1234567890) { items_count items_page { items { id } } } }",
        json!({}),
    );
    assert_eq!(
        page["boards"][0]["items_page"]["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let body = h.run(
        "mutation ($a: ID) { delete_item(item_id: $a) { id } }",
        json!({"a": a}),
    );
    assert_eq!(first_code(&body), "ResourceNotFoundException");
}

#[test]
fn boards_read_columns_groups_and_paging() {
    let mut h = Harness::new();
    let data = h.ok(
        "{ boards(ids: [1234567890]) { id name columns { id title type settings_str settings } groups { id title color } } }",
        json!({}),
    );
    let b = &data["boards"][0];
    assert_eq!(b["name"], "Order List");
    assert_eq!(b["columns"].as_array().unwrap().len(), 19);
    let status = b["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "status")
        .unwrap();
    assert_eq!(status["type"], "status");
    let settings: serde_json::Value =
        serde_json::from_str(status["settings_str"].as_str().unwrap()).unwrap();
    assert_eq!(settings["labels"]["1"], "In Production");
    assert_eq!(status["settings"]["labels"]["4"], "On Hold");
    let groups: Vec<&str> = b["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(groups, vec!["topics", "group_backlog", "group_done"]);
    let all = h.ok("{ boards { id } }", json!({}));
    assert_eq!(all["boards"].as_array().unwrap().len(), 2);
    let page2 = h.ok("{ boards(page: 2) { id } }", json!({}));
    assert_eq!(page2["boards"], json!([]));
    let limited = h.ok("{ boards(limit: 1, page: 2) { id } }", json!({}));
    assert_eq!(limited["boards"][0]["id"], SUB_BOARD);
}

#[test]
fn items_page_cursor_and_next_items_page_walk_everything_once() {
    let mut h = Harness::new();
    for i in 0..7 {
        h.create(&format!("item {i}"), json!({"numbers_qty": i.to_string()}));
    }
    let first_at = h.now;
    let first = h.ok(
        "{ boards(ids: 1234567890) { items_page(limit: 3) { cursor items { name } } } }",
        json!({}),
    );
    let mut names: Vec<String> = Vec::new();
    let page = &first["boards"][0]["items_page"];
    names.extend(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string()),
    );
    let mut cursor = page["cursor"].as_str().unwrap().to_string();
    let mut pages = 1;
    loop {
        let next = h.ok(
            "query ($c: String!) { next_items_page(cursor: $c, limit: 3) { cursor items { name } } }",
            json!({"c": cursor}),
        );
        let p = &next["next_items_page"];
        names.extend(
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_string()),
        );
        pages += 1;
        match p["cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        (0..7).map(|i| format!("item {i}")).collect::<Vec<_>>()
    );
    // The same request at the same simulated time gives the same cursor (a cursor records
    // when its initial request was made: it expires 60 minutes later).
    h.now = first_at;
    let again = h.ok(
        "{ boards(ids: 1234567890) { items_page(limit: 3) { cursor } } }",
        json!({}),
    );
    let c = again["boards"][0]["items_page"]["cursor"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        c,
        first["boards"][0]["items_page"]["cursor"].as_str().unwrap(),
        "cursors are deterministic"
    );
    let cont = h.ok(
        "query ($c: String) { boards(ids: 1234567890) { items_page(limit: 3, cursor: $c) { items { name } } } }",
        json!({"c": c}),
    );
    assert_eq!(
        cont["boards"][0]["items_page"]["items"][0]["name"],
        "item 3"
    );
    let bad = h.run(
        "{ next_items_page(cursor: \"garbage\") { cursor } }",
        json!({}),
    );
    assert_eq!(first_code(&bad), "CursorException");
    let too_big = h.run(
        "{ boards { items_page(limit: 501) { cursor } } }",
        json!({}),
    );
    assert_eq!(first_code(&too_big), "InvalidArgumentException");
}

#[test]
fn items_page_query_params_rules_ids_and_order() {
    let mut h = Harness::new();
    let a = h.create(
        "a",
        json!({"status": {"label": "Shipped"}, "numbers_qty": "5"}),
    );
    let b = h.create(
        "b",
        json!({"status": {"label": "New"}, "numbers_qty": "50"}),
    );
    let c = h.create(
        "c",
        json!({"status": {"label": "Shipped"}, "numbers_qty": "500"}),
    );
    let q = |rules: &str| {
        format!("{{ boards(ids: 1234567890) {{ items_page(query_params: {rules}) {{ items {{ id }} }} }} }}")
    };
    let ids = |h: &mut Harness, rules: &str| -> Vec<String> {
        let data = h.ok(&q(rules), json!({}));
        data["boards"][0]["items_page"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(
            &mut h,
            "{rules: [{column_id: \"status\", compare_value: [2]}]}"
        ),
        vec![a.clone(), c.clone()]
    );
    assert_eq!(
        ids(
            &mut h,
            "{rules: [{column_id: \"status\", compare_value: [\"new\"]}]}"
        ),
        vec![b.clone()]
    );
    assert_eq!(
        ids(
            &mut h,
            "{rules: [{column_id: \"numbers_qty\", compare_value: [40], operator: greater_than}]}"
        ),
        vec![b.clone(), c.clone()]
    );
    assert_eq!(
        ids(&mut h, "{rules: [{column_id: \"status\", compare_value: [2]}, {column_id: \"numbers_qty\", compare_value: [100], operator: lower_than}], operator: and}"),
        vec![a.clone()]
    );
    assert_eq!(ids(&mut h, &format!("{{ids: [{b}]}}")), vec![b.clone()]);
    assert_eq!(
        ids(
            &mut h,
            "{order_by: [{column_id: \"numbers_qty\", direction: desc}]}"
        ),
        vec![c.clone(), b.clone(), a.clone()]
    );
    let bad = h.run(
        &q("{rules: [{column_id: \"nope\", compare_value: [1]}]}"),
        json!({}),
    );
    assert_eq!(first_code(&bad), "InvalidColumnIdException");
}

#[test]
fn items_page_by_column_values_matches_case_insensitively() {
    let mut h = Harness::new();
    let a = h.create(
        "a",
        json!({"text_order_key": "ORD-1", "status": {"label": "New"}}),
    );
    let _b = h.create(
        "b",
        json!({"text_order_key": "ORD-2", "status": {"label": "New"}}),
    );
    let c = h.create(
        "c",
        json!({"text_order_key": "ORD-3", "status": {"label": "Shipped"}}),
    );
    let data = h.ok(
        r#"{ items_page_by_column_values(board_id: 1234567890, columns: [{column_id: "text_order_key", column_values: ["ord-1", "ORD-3"]}]) { cursor items { id } } }"#,
        json!({}),
    );
    let ids: Vec<&str> = data["items_page_by_column_values"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![a.as_str(), c.as_str()]);
    let data = h.ok(
        r#"{ items_page_by_column_values(board_id: 1234567890, columns: [{column_id: "text_order_key", column_values: ["ORD-1", "ORD-3"]}, {column_id: "status", column_values: ["shipped"]}]) { items { id } } }"#,
        json!({}),
    );
    assert_eq!(
        data["items_page_by_column_values"]["items"],
        json!([{"id": c}])
    );
    let partial = h.ok(
        r#"{ items_page_by_column_values(board_id: 1234567890, columns: [{column_id: "text_order_key", column_values: ["ORD"]}]) { items { id } } }"#,
        json!({}),
    );
    assert_eq!(
        partial["items_page_by_column_values"]["items"],
        json!([]),
        "whole match only"
    );
    let bad = h.run(
        r#"{ items_page_by_column_values(board_id: 42, columns: [{column_id: "x", column_values: ["1"]}]) { items { id } } }"#,
        json!({}),
    );
    assert_eq!(first_code(&bad), "InvalidBoardIdException");
}

#[test]
fn complexity_version_and_versions() {
    let mut h = Harness::new();
    let data = h.ok(
        "{ complexity { before after query reset_in_x_seconds } version { kind value } versions { kind value } }",
        json!({}),
    );
    assert_eq!(data["complexity"]["before"], 10_000_000);
    assert_eq!(data["complexity"]["reset_in_x_seconds"], 60);
    assert_eq!(
        data["version"],
        json!({"kind": "current", "value": "2026-10"})
    );
    let kinds: Vec<&str> = data["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    for k in ["release_candidate", "current", "maintenance", "deprecated"] {
        assert!(kinds.contains(&k), "{k} missing in {kinds:?}");
    }
}

#[test]
fn application_errors_have_the_documented_shape() {
    let mut h = Harness::new();
    let body = h.run(
        "mutation { create_item(board_id: 42, item_name: \"x\") { id } }",
        json!({}),
    );
    let e = &body["errors"][0];
    assert_eq!(e["extensions"]["code"], "InvalidBoardIdException");
    assert_eq!(e["extensions"]["status_code"], 200);
    assert_eq!(e["extensions"]["error_data"]["board_id"], "42");
    assert_eq!(e["path"], json!(["create_item"]));
    assert!(e["locations"][0]["line"].is_number());
    let body = h.run(
        "mutation { create_item(board_id: 1234567890, item_name: \"x\", column_values: \"{\\\"nope\\\": \\\"1\\\"}\") { id } }",
        json!({}),
    );
    assert_eq!(first_code(&body), "InvalidColumnIdException");
    let long = "x".repeat(256);
    let body = h.run(
        "mutation ($n: String!) { create_item(board_id: 1234567890, item_name: $n) { id } }",
        json!({"n": long}),
    );
    assert_eq!(first_code(&body), "ItemNameTooLongException");
    let body = h.run(
        "mutation { create_item(board_id: 1234567890, item_name: \"\") { id } }",
        json!({}),
    );
    assert_eq!(first_code(&body), "ItemNameTooLongException");
    let ok_len = "é".repeat(255);
    let data = h.ok(
        "mutation ($n: String!) { create_item(board_id: 1234567890, item_name: $n) { name } }",
        json!({"n": ok_len}),
    );
    assert_eq!(data["create_item"]["name"], ok_len.as_str());
}

#[test]
fn items_limitation_per_board() {
    let mut h = Harness::new();
    h.items_limit = 2;
    h.create("a", json!({}));
    h.create("b", json!({}));
    let body = h.run(
        "mutation { create_item(board_id: 1234567890, item_name: \"c\") { id } }",
        json!({}),
    );
    assert_eq!(first_code(&body), "ItemsLimitationException");
    assert_eq!(h.store.items_total(), 2);
}

#[test]
fn partial_failure_keeps_siblings_and_counts() {
    let mut h = Harness::new();
    let q = r#"mutation {
        a: create_item(board_id: 1234567890, item_name: "ok 1") { id }
        b: create_item(board_id: 1234567890, item_name: "bad", column_values: "{\"status\":{\"label\":\"Nope\"}}") { id }
        c: create_item(board_id: 1234567890, item_name: "ok 2") { id }
        complexity { query }
    }"#;
    let vars = serde_json::Map::new();
    let req = mock_monday::graphql::GraphqlRequest {
        query: q,
        operation_name: None,
        variables: &vars,
    };
    let op = h.engine.prepare(&req, &h.costs).unwrap();
    assert_eq!(op.mutation_field_count, 3);
    assert_eq!(op.root_response_keys, vec!["a", "b", "c", "complexity"]);
    assert_eq!(op.written_boards, vec![BOARD.to_string()]);
    assert!(op.estimated_complexity >= 90_000);
    let body = h.run(q, json!({}));
    assert_eq!(body["data"]["a"]["id"], "9000000001");
    assert_eq!(body["data"]["b"], serde_json::Value::Null);
    assert_eq!(body["data"]["c"]["id"], "9000000002");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], json!(["b"]));
    assert_eq!(errors[0]["extensions"]["code"], "ColumnValueException");
    assert_eq!(h.store.items_total(), 2);
}
