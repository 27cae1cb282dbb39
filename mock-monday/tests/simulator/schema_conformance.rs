//! The simulator serves the whole published schema: for each of Board, Group, Column, Item, User
//! (`me`) and Account one query selecting every field without a required argument (object-typed
//! fields with `{ __typename id }`, `id` where the type has one) answers without errors, and
//! every value has its declared type (nullability, lists, scalar kind, enum value, object type).
//! Run on the in-process core and through the wiremock face. Also: introspection and
//! `get_schema`.

use std::future::Future;

use apollo_compiler::ast::Type;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::Schema;
use bytes::Bytes;
use mock_monday::graphql::{ServedSchema, EMBEDDED_SDL};
use mock_monday::{CoreRequest, LatencyProfile, MockMonday, SimConfig, Simulator};
use serde_json::{json, Value};

const BOARD: &str = "1234567890";
/// Size of the published 2026-10 SDL (the GitHub copy docs/monday-api.md cites as [SDL]),
/// measured when it was embedded: bytes and lines.
const PUBLISHED_BYTES: usize = 384981;
const PUBLISHED_LINES: usize = 11036;

fn schema() -> std::sync::Arc<ServedSchema> {
    ServedSchema::embedded()
}

/// Fields of an object or interface type.
fn fields_of<'s>(
    schema: &'s Schema,
    type_name: &str,
) -> Vec<&'s apollo_compiler::schema::Component<apollo_compiler::schema::FieldDefinition>> {
    match schema.types.get(type_name) {
        Some(ExtendedType::Object(o)) => o.fields.values().collect(),
        Some(ExtendedType::Interface(i)) => i.fields.values().collect(),
        _ => Vec::new(),
    }
}

/// A required argument, or a field only versions before 2026-10 serve (left out: the
/// conformance queries use the current version).
fn has_required_arg(f: &apollo_compiler::schema::FieldDefinition) -> bool {
    let removed = f.directives.get("deprecated").is_some_and(|d| {
        d.specified_argument_by_name("reason")
            .and_then(|r| r.as_str())
            .is_some_and(|r| r == mock_monday::graphql::schema::REMOVED_MARKER)
    });
    removed
        || f.arguments
            .iter()
            .any(|a| a.ty.is_non_null() && a.default_value.is_none())
}

/// `{ a b c { __typename id } ... }` for every field of `type_name` without a required argument.
fn selection(schema: &Schema, type_name: &str) -> String {
    let mut out = String::from("{ __typename");
    for f in fields_of(schema, type_name) {
        if has_required_arg(f) {
            continue;
        }
        out.push(' ');
        out.push_str(f.name.as_str());
        let inner = f.ty.inner_named_type();
        match schema.types.get(inner.as_str()) {
            Some(ExtendedType::Object(_) | ExtendedType::Interface(_)) => {
                let id = fields_of(schema, inner.as_str())
                    .iter()
                    .any(|g| g.name == "id" && !has_required_arg(g));
                out.push_str(if id {
                    " { __typename id }"
                } else {
                    " { __typename }"
                });
            }
            Some(ExtendedType::Union(_)) => out.push_str(" { __typename }"),
            _ => {}
        }
    }
    out.push_str(" }");
    out
}

/// Whether the object type `concrete` can stand where `declared` is expected.
fn fits(schema: &Schema, declared: &str, concrete: &str) -> bool {
    if declared == concrete {
        return true;
    }
    match schema.types.get(declared) {
        Some(ExtendedType::Union(u)) => u.members.iter().any(|m| m.name == concrete),
        Some(ExtendedType::Interface(_)) => match schema.types.get(concrete) {
            Some(ExtendedType::Object(o)) => o.implements_interfaces.iter().any(|i| i == declared),
            _ => false,
        },
        _ => false,
    }
}

/// Problems of `value` against the declared type `ty` (empty when it conforms).
fn check(schema: &Schema, ty: &Type, value: &Value, at: &str, problems: &mut Vec<String>) {
    if value.is_null() {
        if ty.is_non_null() {
            problems.push(format!("{at}: null for non-null {ty}"));
        }
        return;
    }
    match ty {
        Type::List(inner) | Type::NonNullList(inner) => match value.as_array() {
            Some(items) => {
                for (i, v) in items.iter().enumerate() {
                    check(schema, inner, v, &format!("{at}[{i}]"), problems);
                }
            }
            None => problems.push(format!("{at}: {value} is not a list ({ty})")),
        },
        Type::Named(name) | Type::NonNullNamed(name) => {
            let ok = match schema.types.get(name.as_str()) {
                Some(ExtendedType::Scalar(_)) => match name.as_str() {
                    "String" | "ID" | "Date" | "ISO8601DateTime" => value.is_string(),
                    "Int" => value.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                    "Float" => value.is_number(),
                    "Boolean" => value.is_boolean(),
                    _ => true,
                },
                Some(ExtendedType::Enum(e)) => value
                    .as_str()
                    .is_some_and(|v| e.values.keys().any(|k| k == v)),
                Some(
                    ExtendedType::Object(_) | ExtendedType::Interface(_) | ExtendedType::Union(_),
                ) => {
                    let concrete = value["__typename"].as_str().unwrap_or("");
                    if !fits(schema, name.as_str(), concrete) {
                        problems.push(format!("{at}: __typename {concrete:?} is not a {name}"));
                    }
                    if let Some(id) = value.get("id") {
                        let id_ty = fields_of(schema, concrete)
                            .into_iter()
                            .find(|f| f.name == "id")
                            .map(|f| f.ty.clone());
                        if let Some(id_ty) = id_ty {
                            check(schema, &id_ty, id, &format!("{at}.id"), problems);
                        }
                    }
                    true
                }
                _ => false,
            };
            if !ok {
                problems.push(format!("{at}: {value} is not a {ty}"));
            }
        }
    }
}

/// Checks one object of type `type_name` as selected by [`selection`].
fn check_object(schema: &Schema, type_name: &str, obj: &Value, at: &str) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut checked = 0;
    if obj["__typename"] != type_name {
        problems.push(format!("{at}: __typename {}", obj["__typename"]));
    }
    for f in fields_of(schema, type_name) {
        if has_required_arg(f) {
            continue;
        }
        checked += 1;
        match obj.get(f.name.as_str()) {
            Some(v) => check(schema, &f.ty, v, &format!("{at}.{}", f.name), &mut problems),
            None => problems.push(format!("{at}.{} missing", f.name)),
        }
    }
    (checked, problems)
}

/// Sends the conformance queries through `send` and checks every answer.
async fn conformance<F, Fut>(mut send: F)
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Value>,
{
    let served = schema();
    let schema: &Schema = served.schema();
    let created = send(format!(
        "mutation {{ create_item(board_id: {BOARD}, item_name: \"conformance\", column_values: {}) {{ id }} }}",
        serde_json::to_string(r#"{"status":{"label":"New"},"text_po":"PO-1","numbers_qty":"3","date_order":"2026-03-14","checkbox_rush":{"checked":"true"}}"#).unwrap()
    ))
    .await;
    let item = created["data"]["create_item"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("create_item: {created}"))
        .to_string();
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "Board",
            format!(
                "{{ boards(ids: [{BOARD}]) {} }}",
                selection(schema, "Board")
            ),
            vec!["boards"],
        ),
        (
            "Group",
            format!(
                "{{ boards(ids: [{BOARD}]) {{ groups {} }} }}",
                selection(schema, "Group")
            ),
            vec!["boards", "groups"],
        ),
        (
            "Column",
            format!(
                "{{ boards(ids: [{BOARD}]) {{ columns {} }} }}",
                selection(schema, "Column")
            ),
            vec!["boards", "columns"],
        ),
        (
            "Item",
            format!("{{ items(ids: [{item}]) {} }}", selection(schema, "Item")),
            vec!["items"],
        ),
        (
            "User",
            format!("{{ me {} }}", selection(schema, "User")),
            vec!["me"],
        ),
        (
            "Account",
            format!("{{ account {} }}", selection(schema, "Account")),
            vec!["account"],
        ),
    ];
    let mut total = 0;
    for (type_name, query, path) in cases {
        let body = send(query.clone()).await;
        assert!(
            body.get("errors").is_none(),
            "{type_name}: errors {:#}\nquery: {query}",
            body["errors"]
        );
        // Walk the path, flattening lists, to every object of the type.
        let mut objects = vec![body["data"].clone()];
        for key in path {
            objects = objects
                .iter()
                .flat_map(|o| match &o[key] {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                })
                .collect();
        }
        assert!(!objects.is_empty(), "{type_name}: no object in {body}");
        for (i, obj) in objects.iter().enumerate() {
            let (checked, problems) =
                check_object(schema, type_name, obj, &format!("{type_name}[{i}]"));
            assert!(problems.is_empty(), "{type_name}:\n{}", problems.join("\n"));
            total += checked;
        }
    }
    assert!(total > 120, "only {total} fields checked");
}

fn core_request(path: &str, method: &str, body: String) -> CoreRequest {
    CoreRequest {
        method: method.into(),
        path: path.into(),
        headers: vec![
            ("authorization".into(), "conformance-token".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Bytes::from(body),
        client_ip: None,
    }
}

fn instant_sim() -> Simulator {
    Simulator::new(SimConfig {
        profile: LatencyProfile::Instant,
        ..SimConfig::default()
    })
    .expect("simulator starts")
}

fn ask(sim: &Simulator, query: &str) -> Value {
    let resp = sim.handle(core_request(
        "/v2",
        "POST",
        json!({ "query": query }).to_string(),
    ));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    serde_json::from_slice(&resp.body).expect("JSON body")
}

#[tokio::test]
async fn every_argument_free_field_answers_with_its_declared_type_in_process() {
    let sim = instant_sim();
    conformance(|q| {
        let v = ask(&sim, &q);
        async move { v }
    })
    .await;
}

#[tokio::test]
async fn every_argument_free_field_answers_with_its_declared_type_over_wiremock() {
    let server = MockMonday::new()
        .profile(LatencyProfile::Instant)
        .start()
        .await
        .expect("server starts");
    let client = reqwest::Client::new();
    let url = server.uri();
    conformance(|q| {
        let req = client
            .post(&url)
            .header("Authorization", "conformance-token")
            .json(&json!({ "query": q }));
        async move {
            let r = req.send().await.expect("sent");
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.expect("JSON")
        }
    })
    .await;
}

#[test]
fn introspection_answers_like_a_graphql_server() {
    let sim = instant_sim();
    let body = ask(&sim, "{ __schema { queryType { name } types { name } } }");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(types.len() > 700, "{} types", types.len());
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let body = ask(
        &sim,
        "{ __type(name: \"Board\") { kind fields { name type { kind name ofType { name } } } } boards(limit: 1) { __typename } }",
    );
    assert_eq!(body["data"]["__type"]["kind"], "OBJECT");
    let fields = body["data"]["__type"]["fields"].as_array().expect("fields");
    assert!(fields.iter().any(|f| f["name"] == "permissions"));
    assert_eq!(body["data"]["boards"][0]["__typename"], "Board");
    // The standard introspection query (GraphiQL, codegen) costs nothing and is not refused.
    let body = ask(&sim, mock_monday::graphql::INTROSPECTION_QUERY);
    assert!(body.get("errors").is_none(), "{:#}", body["errors"]);
    assert!(body["data"]["__schema"]["types"]
        .as_array()
        .is_some_and(|t| t.len() > 700));
}

#[test]
fn get_schema_serves_sdl_and_introspection_json() {
    let sim = instant_sim();
    let r = sim.handle(core_request(
        "/v2/get_schema?format=sdl&version=2026-10",
        "GET",
        String::new(),
    ));
    assert_eq!(r.status, 200);
    assert_eq!(String::from_utf8_lossy(&r.body), EMBEDDED_SDL);
    let r = sim.handle(core_request(
        "/v2/get_schema?format=json&version=2026-10",
        "GET",
        String::new(),
    ));
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(v["data"]["__schema"]["mutationType"]["name"], "Mutation");
    let r = sim.handle(core_request("/v2/get_schema", "GET", String::new()));
    assert_eq!(r.status, 200, "JSON is the default format");
    let r = sim.handle(core_request(
        "/v2/get_schema?format=xml",
        "GET",
        String::new(),
    ));
    assert_eq!(r.status, 400);
}

#[test]
fn embedded_sdl_is_the_published_file() {
    // The embedded copy is the published file, unedited: its size and line count.
    assert_eq!(EMBEDDED_SDL.len(), PUBLISHED_BYTES);
    assert_eq!(EMBEDDED_SDL.matches('\n').count(), PUBLISHED_LINES);
    let licence = include_str!("../../schema/LICENSE-schema");
    assert!(licence.contains("Copyright (c) 2025 monday.com"));
}

#[test]
fn fields_removed_in_2026_10_are_served_to_older_versions_only() {
    let sim = instant_sim();
    let query =
        json!({ "query": "{ me { id join_date enabled is_admin photo_thumb } }" }).to_string();
    let mut old = core_request("/v2", "POST", query.clone());
    old.headers.push(("api-version".into(), "2026-01".into()));
    let b: Value = serde_json::from_slice(&sim.handle(old).body).expect("JSON");
    assert!(b.get("errors").is_none(), "{b:#}");
    assert_eq!(b["data"]["me"]["enabled"], true);
    let r = sim.handle(core_request("/v2", "POST", query));
    assert_eq!(r.status, 200);
    let b: Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(b["errors"][0]["extensions"]["code"], "undefinedField");
    assert_eq!(
        b["errors"][0]["message"],
        "Field 'join_date' doesn't exist on type 'User'"
    );
    assert!(b.get("data").is_none());
}
