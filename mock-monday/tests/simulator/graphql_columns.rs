//! Every column type: write formats, read-back `text`/`value`/typed fields, invalid values and
//! missing labels.

use crate::graphql_support;

use graphql_support::{first_code, Harness, BOARD};
use serde_json::{json, Value};

fn value_obj(cell: &Value) -> Value {
    serde_json::from_str(cell["value"].as_str().expect("value string")).expect("value json")
}

#[test]
fn every_column_type_round_trips() {
    let mut h = Harness::new();
    let item = h.create(
        "all",
        json!({
            "text_order_key": "ORD-000001",
            "long_text_notes": {"text": "multi-line\ntext"},
            "numbers_qty": "120",
            "numbers_price": 4.75,
            "status": {"label": "In Production"},
            "dropdown_sizes": {"labels": ["S", "M", "L"]},
            "dropdown_colour": {"ids": [3]},
            "date_order": {"date": "2026-03-14"},
            "date_ship": {"date": "2026-04-02", "time": "10:30:00"},
            "email_contact": {"email": "buyer@acme.example", "text": "buyer@acme.example"},
            "phone_contact": {"phone": "+14155550100", "countryShortName": "US"},
            "link_tracking": {"url": "https://track.example/1Z999", "text": "1Z999"},
            "checkbox_rush": {"checked": "true"},
            "timeline_production": {"from": "2026-03-15", "to": "2026-03-30"}
        }),
    );
    let expect = [
        ("text_order_key", "ORD-000001", "text"),
        ("long_text_notes", "multi-line\ntext", "long_text"),
        ("numbers_qty", "120", "numbers"),
        ("numbers_price", "4.75", "numbers"),
        ("status", "In Production", "status"),
        ("dropdown_sizes", "S, M, L", "dropdown"),
        ("dropdown_colour", "Navy", "dropdown"),
        ("date_order", "2026-03-14", "date"),
        ("date_ship", "2026-04-02 10:30:00", "date"),
        ("email_contact", "buyer@acme.example", "email"),
        ("phone_contact", "+14155550100", "phone"),
        (
            "link_tracking",
            "1Z999 - https://track.example/1Z999",
            "link",
        ),
        ("checkbox_rush", "v", "checkbox"),
        ("timeline_production", "2026-03-15 - 2026-03-30", "timeline"),
    ];
    for (col, text, ty) in expect {
        let cell = h.column(&item, col);
        assert_eq!(cell["text"], text, "{col}");
        assert_eq!(cell["type"], ty, "{col}");
        assert!(cell["value"].is_string(), "{col}: {cell}");
    }
    assert_eq!(h.column(&item, "text_order_key")["value"], "\"ORD-000001\"");
    assert_eq!(value_obj(&h.column(&item, "status"))["index"], 1);
    assert_eq!(
        value_obj(&h.column(&item, "dropdown_sizes"))["ids"],
        json!([2, 3, 4])
    );
    assert_eq!(value_obj(&h.column(&item, "date_ship"))["time"], "10:30:00");
    assert_eq!(
        value_obj(&h.column(&item, "phone_contact"))["countryShortName"],
        "US"
    );
    assert_eq!(
        value_obj(&h.column(&item, "checkbox_rush"))["checked"],
        "true"
    );
    assert_eq!(
        value_obj(&h.column(&item, "timeline_production"))["to"],
        "2026-03-30"
    );

    // typed fields through inline fragments and a named fragment
    let data = h.ok(
        r#"query ($i: [ID!]) { items(ids: $i) { column_values {
            id
            ... on StatusValue { label index }
            ... on DropdownValue { values { id label } }
            ... on DateValue { date time }
            ... on NumbersValue { number }
            ...Contact
            ... on LinkValue { url url_text }
            ... on CheckboxValue { checked }
            ... on TimelineValue { from to }
        } } }
        fragment Contact on ColumnValue { ... on EmailValue { email } ... on PhoneValue { phone country_short_name } }"#,
        json!({"i": [item]}),
    );
    let cols = data["items"][0]["column_values"].as_array().unwrap();
    let by = |id: &str| cols.iter().find(|c| c["id"] == id).unwrap().clone();
    assert_eq!(by("status")["label"], "In Production");
    assert_eq!(by("status")["index"], 1);
    assert_eq!(
        by("dropdown_colour")["values"],
        json!([{"id": "3", "label": "Navy"}])
    );
    assert_eq!(by("date_ship")["date"], "2026-04-02");
    assert_eq!(by("numbers_price")["number"], 4.75);
    assert_eq!(by("email_contact")["email"], "buyer@acme.example");
    assert_eq!(by("phone_contact")["country_short_name"], "US");
    assert_eq!(by("link_tracking")["url_text"], "1Z999");
    assert_eq!(by("checkbox_rush")["checked"], true);
    assert_eq!(by("timeline_production")["from"], "2026-03-15");
}

#[test]
fn simple_string_forms() {
    let mut h = Harness::new();
    let item = h.create("simple", json!({}));
    let cases = [
        ("text_po", "PO-1", "PO-1"),
        ("long_text_notes", "some notes", "some notes"),
        ("numbers_qty", "7", "7"),
        ("status", "Delivered", "Delivered"),
        ("dropdown_colour", "Black, Red", "Black, Red"),
        ("date_order", "2026-05-01", "2026-05-01"),
        ("email_contact", "a@b.example A B", "A B"),
        ("phone_contact", "+442071234567 GB", "+442071234567"),
        (
            "link_tracking",
            "https://x.example X",
            "X - https://x.example",
        ),
        (
            "timeline_production",
            "2026-01-01 2026-01-31",
            "2026-01-01 - 2026-01-31",
        ),
    ];
    for (col, value, text) in cases {
        h.ok(
            "mutation ($i: ID, $c: String!, $v: String) { change_simple_column_value(board_id: 1234567890, item_id: $i, column_id: $c, value: $v) { id } }",
            json!({"i": item, "c": col, "v": value}),
        );
        assert_eq!(h.column(&item, col)["text"], text, "{col}");
    }
    // Checkbox columns take JSON only (tests/simulator/strictness.rs checks the refusal).
}

#[test]
fn invalid_values_give_column_value_exception() {
    let mut h = Harness::new();
    let cases = [
        (json!({"text_po": {"a": 1}}), "text"),
        (json!({"numbers_qty": "twelve"}), "numeric"),
        (json!({"date_order": {"date": "14/03/2026"}}), "date"),
        (json!({"email_contact": {"email": "not-an-email"}}), "email"),
        (
            json!({"phone_contact": {"phone": "call me", "countryShortName": "US"}}),
            "phone",
        ),
        (
            json!({"timeline_production": {"from": "2026-03-30", "to": "2026-03-01"}}),
            "timerange",
        ),
        (json!({"checkbox_rush": {"checked": "maybe"}}), "boolean"),
        (json!({"status": {"index": 99}}), "color"),
        (
            json!({"link_tracking": {"url": "has space", "text": "x"}}),
            "link",
        ),
    ];
    for (values, column_type) in cases {
        let body = h.run(
            "mutation ($v: JSON) { create_item(board_id: 1234567890, item_name: \"x\", column_values: $v) { id } }",
            json!({"v": values}),
        );
        let e = &body["errors"][0];
        assert_eq!(e["extensions"]["code"], "ColumnValueException", "{values}");
        assert_eq!(e["extensions"]["status_code"], 200);
        assert_eq!(
            e["extensions"]["error_data"]["column_type"], column_type,
            "{values}"
        );
        assert!(e["extensions"]["error_data"]["column_value"].is_string());
        assert_eq!(body["data"]["create_item"], Value::Null);
    }
    assert_eq!(h.store.items_total(), 0);
}

#[test]
fn missing_status_label_fails_without_create_labels() {
    let mut h = Harness::new();
    let body = h.run(
        r#"mutation { create_item(board_id: 1234567890, item_name: "x", column_values: "{\"status\":{\"label\":\"Cancelled\"}}") { id } }"#,
        json!({}),
    );
    let e = &body["errors"][0];
    assert_eq!(e["extensions"]["code"], "ColumnValueException");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("invalid value - label does not exist in column"));
    assert_eq!(e["extensions"]["error_data"]["column_type"], "color");
    let data = h.ok(
        r#"mutation { create_item(board_id: 1234567890, item_name: "x", create_labels_if_missing: true, column_values: "{\"status\":{\"label\":\"Cancelled\"}}") { column_values(ids: "status") { text } } }"#,
        json!({}),
    );
    assert_eq!(data["create_item"]["column_values"][0]["text"], "Cancelled");
    let cols = h.ok(
        "{ boards(ids: 1234567890) { columns(ids: \"status\") { settings_str } } }",
        json!({}),
    );
    let settings: Value = serde_json::from_str(
        cols["boards"][0]["columns"][0]["settings_str"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(settings["labels"]["5"], "Cancelled");
}

#[test]
fn missing_dropdown_labels_fail_without_create_labels() {
    let mut h = Harness::new();
    let body = h.run(
        "mutation ($v: JSON) { create_item(board_id: 1234567890, item_name: \"x\", column_values: $v) { id } }",
        json!({"v": {"dropdown_sizes": {"labels": ["M", "XXL"]}}}),
    );
    assert_eq!(first_code(&body), "ColumnValueException");
    assert_eq!(
        body["errors"][0]["extensions"]["error_data"]["column_type"],
        "dropdown"
    );
    let data = h.ok(
        "mutation ($v: JSON) { create_item(board_id: 1234567890, item_name: \"x\", column_values: $v, create_labels_if_missing: true) { column_values(ids: \"dropdown_sizes\") { text } } }",
        json!({"v": {"dropdown_sizes": {"labels": ["M", "XXL", "3XL"]}, "dropdown_colour": {"labels": ["Teal"]}}}),
    );
    assert_eq!(
        data["create_item"]["column_values"][0]["text"],
        "M, XXL, 3XL"
    );
    let cols = h.ok(
        "{ boards(ids: 1234567890) { columns(ids: [\"dropdown_sizes\", \"dropdown_colour\"]) { settings } } }",
        json!({}),
    );
    let sizes = &cols["boards"][0]["columns"][0]["settings"]["labels"];
    assert_eq!(sizes.as_array().unwrap().len(), 7);
    assert_eq!(sizes[6], json!({"id": 7, "name": "3XL"}));
    // The label now exists: no flag needed any more.
    let again = h.run(
        "mutation ($v: JSON) { create_item(board_id: 1234567890, item_name: \"y\", column_values: $v) { id } }",
        json!({"v": {"dropdown_sizes": {"labels": ["XXL"]}}}),
    );
    assert!(again.get("errors").is_none(), "{again}");
}

#[test]
fn board_items_json_lists_text_and_value() {
    let mut h = Harness::new();
    h.create(
        "a",
        json!({"status": {"index": 0}, "text_customer": "Acme"}),
    );
    let j = h.store.board_items_json(BOARD).unwrap();
    let item = &j["items"][0];
    assert_eq!(item["name"], "a");
    assert_eq!(item["group_id"], "topics");
    assert_eq!(item["column_values"]["status"]["text"], "New");
    assert_eq!(item["column_values"]["text_customer"]["value"], "\"Acme\"");
    assert_eq!(item["column_values"]["text_po"]["text"], "");
    assert_eq!(item["column_values"]["text_po"]["value"], Value::Null);
}

#[test]
fn board_column_texts_match_the_admin_json() {
    let mut h = Harness::new();
    let first = h.create(
        "a",
        json!({"status": {"index": 0}, "text_order_key": "K-1", "dropdown_sizes": {"labels": ["S", "M"]}}),
    );
    h.create("b", json!({"text_order_key": "K-2", "numbers_qty": 7}));
    h.create("c", json!({}));
    h.ok(
        &format!(
            "mutation {{ create_subitem(parent_item_id: {first}, item_name: \"sub\") {{ id }} }}"
        ),
        json!({}),
    );
    let j = h.store.board_items_json(BOARD).unwrap();
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for col in items[0]["column_values"].as_object().unwrap().keys() {
        let from_json: Vec<String> = items
            .iter()
            .map(|i| {
                i["column_values"][col]["text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            h.store.board_column_texts(BOARD, col).unwrap(),
            from_json,
            "column {col}"
        );
    }
    assert_eq!(
        h.store.board_column_texts(BOARD, "text_order_key").unwrap(),
        ["K-1", "K-2", ""]
    );
    assert_eq!(
        h.store.board_column_texts(BOARD, "subitems").unwrap()[0],
        "sub"
    );
    assert_eq!(
        h.store.board_column_texts(BOARD, "name").unwrap(),
        ["a", "b", "c"]
    );
    assert_eq!(
        h.store.board_column_texts(BOARD, "no_such_column").unwrap(),
        ["", "", ""]
    );
    assert!(h.store.board_column_texts("1", "name").is_none());
}
