//! Every type, field and argument of the embedded SDL exists in the published 2026-10 SDL
//! (`../shared/monday/schema-2026-10.graphql`) with the same type. Skipped (with a message)
//! where that file is absent.

use std::collections::BTreeMap;

use apollo_compiler::ast::{Definition, Document, FieldDefinition, InputValueDefinition};
use apollo_compiler::Node;
use mock_monday::graphql::EMBEDDED_SDL;

const PUBLISHED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/monday/schema-2026-10.graphql"
);

fn parse(text: &str, origin: &str) -> Document {
    // The published file redefines built-in scalars; those are reported but parse fine.
    Document::parse(text, origin).unwrap_or_else(|e| e.partial)
}

fn index(doc: &Document) -> BTreeMap<String, &Definition> {
    doc.definitions
        .iter()
        .filter_map(|d| d.name().map(|n| (n.to_string(), d)))
        .collect()
}

fn check_args(
    problems: &mut Vec<String>,
    at: &str,
    ours: &[Node<InputValueDefinition>],
    theirs: &[Node<InputValueDefinition>],
) {
    for a in ours {
        match theirs.iter().find(|t| t.name == a.name) {
            None => problems.push(format!("{at}({}) does not exist", a.name)),
            Some(t) if t.ty != a.ty => {
                problems.push(format!("{at}({}): {} vs published {}", a.name, a.ty, t.ty))
            }
            Some(t) if t.default_value != a.default_value => {
                problems.push(format!("{at}({}): default value differs", a.name))
            }
            Some(_) => {}
        }
    }
}

fn check_fields(
    problems: &mut Vec<String>,
    ty: &str,
    ours: &[Node<FieldDefinition>],
    theirs: &[Node<FieldDefinition>],
) {
    for f in ours {
        let at = format!("{ty}.{}", f.name);
        match theirs.iter().find(|t| t.name == f.name) {
            None => problems.push(format!("{at} does not exist")),
            Some(t) => {
                if t.ty != f.ty {
                    problems.push(format!("{at}: {} vs published {}", f.ty, t.ty));
                }
                check_args(problems, &at, &f.arguments, &t.arguments);
            }
        }
    }
}

#[test]
fn embedded_sdl_is_a_faithful_subset_of_the_published_schema() {
    let Ok(published) = std::fs::read_to_string(PUBLISHED) else {
        eprintln!("schema conformance skipped: {PUBLISHED} not found");
        return;
    };
    let theirs_doc = parse(&published, "published");
    let ours_doc = parse(EMBEDDED_SDL, "embedded");
    let theirs = index(&theirs_doc);
    let mut problems = Vec::new();
    let mut checked = 0;
    for def in &ours_doc.definitions {
        let Some(name) = def.name().map(|n| n.to_string()) else {
            continue;
        };
        checked += 1;
        let Some(other) = theirs.get(&name) else {
            problems.push(format!("type {name} does not exist"));
            continue;
        };
        match (def, other) {
            (Definition::ObjectTypeDefinition(a), Definition::ObjectTypeDefinition(b)) => {
                for i in &a.implements_interfaces {
                    if !b.implements_interfaces.contains(i) {
                        problems.push(format!("{name} does not implement {i}"));
                    }
                }
                check_fields(&mut problems, &name, &a.fields, &b.fields);
            }
            (Definition::InterfaceTypeDefinition(a), Definition::InterfaceTypeDefinition(b)) => {
                check_fields(&mut problems, &name, &a.fields, &b.fields)
            }
            (
                Definition::InputObjectTypeDefinition(a),
                Definition::InputObjectTypeDefinition(b),
            ) => check_args(&mut problems, &name, &a.fields, &b.fields),
            (Definition::EnumTypeDefinition(a), Definition::EnumTypeDefinition(b)) => {
                for v in &a.values {
                    if !b.values.iter().any(|x| x.value == v.value) {
                        problems.push(format!("{name}.{} does not exist", v.value));
                    }
                }
            }
            (Definition::ScalarTypeDefinition(_), Definition::ScalarTypeDefinition(_)) => {}
            _ => problems.push(format!("{name} is a different kind of definition")),
        }
    }
    assert!(checked > 30, "only {checked} definitions checked");
    assert!(
        problems.is_empty(),
        "not in the published SDL:\n{}",
        problems.join("\n")
    );
}

#[test]
fn embedded_sdl_serves_the_required_surface() {
    let doc = parse(EMBEDDED_SDL, "embedded");
    let idx = index(&doc);
    let fields = |ty: &str| -> Vec<String> {
        match idx.get(ty) {
            Some(Definition::ObjectTypeDefinition(o)) => {
                o.fields.iter().map(|f| f.name.to_string()).collect()
            }
            _ => Vec::new(),
        }
    };
    for f in [
        "boards",
        "items",
        "items_page_by_column_values",
        "next_items_page",
        "complexity",
        "version",
        "versions",
    ] {
        assert!(fields("Query").contains(&f.to_string()), "Query.{f}");
    }
    for f in [
        "create_item",
        "create_subitem",
        "change_multiple_column_values",
        "change_column_value",
        "change_simple_column_value",
        "create_group",
        "delete_item",
        "archive_item",
        "complexity",
    ] {
        assert!(fields("Mutation").contains(&f.to_string()), "Mutation.{f}");
    }
    for t in [
        "TextValue",
        "LongTextValue",
        "NumbersValue",
        "StatusValue",
        "DropdownValue",
        "DateValue",
        "EmailValue",
        "PhoneValue",
        "LinkValue",
        "CheckboxValue",
        "TimelineValue",
        "SubtasksValue",
    ] {
        assert!(idx.contains_key(t), "{t}");
    }
}

#[test]
fn published_sdl_loads_as_a_schema() {
    let Ok(published) = std::fs::read_to_string(PUBLISHED) else {
        eprintln!("skipped: {PUBLISHED} not found");
        return;
    };
    mock_monday::graphql::GraphqlEngine::from_sdl(&published, PUBLISHED).expect("loads");
}
