//! The schema-driven fallback: a schema-valid, plausible value for every field no resolver
//! models, so every field of every type of the published schema answers without an error.
//!
//! Driven by the field's declared type: a list is `[]`; a nullable type is `null`; a non-null
//! type gets a value of that type: `String` `""` (a URL for `url`), `Int` 0, `Float` 0.0,
//! `Boolean` false, `ID` a stable id derived from where it sits, `Date`/`ISO8601DateTime` the
//! simulated clock, `JSON` `{}`, an enum its first value, an object type a [`GenericObj`] whose
//! fields follow the same rules, an interface or union its first implementing object type (by
//! name, so the choice is stable).

use apollo_compiler::ast::Type;
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::schema::ExtendedType;
use serde_json::json;

use super::exec_state::{ExecState, URL_BASE};
use crate::clock::iso_time;

/// The fallback value of the field being resolved on an object of type `parent`.
pub(crate) fn resolve<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    parent: &str,
    info: &ResolveInfo<'_>,
) -> ResolvedValue<'r> {
    let def = info.field_definition();
    of_type(st, &def.ty, parent, def.name.as_str())
}

/// The fallback value of type `ty` for field `field` of an object of type `parent`.
pub(crate) fn of_type<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    ty: &Type,
    parent: &str,
    field: &str,
) -> ResolvedValue<'r> {
    match ty {
        Type::List(_) | Type::NonNullList(_) => ResolvedValue::list(std::iter::empty()),
        Type::Named(_) => ResolvedValue::null(),
        Type::NonNullNamed(name) => non_null(st, name.as_str(), parent, field),
    }
}

fn non_null<'r, 's: 'r>(
    st: &'s ExecState<'s>,
    type_name: &str,
    parent: &str,
    field: &str,
) -> ResolvedValue<'r> {
    match st.served.type_def(type_name) {
        Some(ExtendedType::Enum(e)) => e
            .values
            .keys()
            .next()
            .map_or_else(ResolvedValue::null, |v| {
                ResolvedValue::Leaf(JsonValue::String(v.as_str().into()))
            }),
        Some(ExtendedType::Object(_)) => ResolvedValue::object(GenericObj::new(st, type_name)),
        Some(ExtendedType::Interface(_) | ExtendedType::Union(_)) => {
            match first_object_type(st, type_name) {
                Some(object) => ResolvedValue::object(GenericObj::new(st, &object)),
                None => ResolvedValue::null(),
            }
        }
        Some(ExtendedType::InputObject(_)) => ResolvedValue::null(),
        Some(ExtendedType::Scalar(_)) | None => {
            ResolvedValue::Leaf(JsonValue::from(scalar(st, type_name, parent, field)))
        }
    }
}

/// The alphabetically first object type implementing an interface or member of a union.
fn first_object_type(st: &ExecState<'_>, abstract_type: &str) -> Option<String> {
    match st.served.type_def(abstract_type)? {
        ExtendedType::Union(u) => u.members.iter().map(|m| m.name.to_string()).min(),
        ExtendedType::Interface(_) => st
            .served
            .implementers
            .get(abstract_type)
            .and_then(|i| i.objects.iter().map(|o| o.to_string()).min()),
        _ => None,
    }
}

/// A non-null scalar value.
fn scalar(st: &ExecState<'_>, type_name: &str, parent: &str, field: &str) -> serde_json::Value {
    match type_name {
        "ID" => json!(stable_id(parent, field).to_string()),
        "Int" => json!(0),
        "Float" => json!(0.0),
        "Boolean" => json!(false),
        "Date" | "ISO8601DateTime" => json!(iso_time(st.ctx.now)),
        "JSON" => json!({}),
        _ if field == "url" || field.ends_with("_url") => json!(format!("{URL_BASE}/")),
        _ => json!(""),
    }
}

/// A deterministic positive id from where the value sits (FNV-1a of `parent.field`).
pub(crate) fn stable_id(parent: &str, field: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parent.bytes().chain([b'.']).chain(field.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1_000_000_000 + h % 9_000_000_000
}

/// An object of a type nothing models: every field answers by the fallback rules.
pub(crate) struct GenericObj<'s> {
    st: &'s ExecState<'s>,
    type_name: String,
}

impl<'s> GenericObj<'s> {
    pub(crate) fn new(st: &'s ExecState<'s>, type_name: &str) -> Self {
        Self {
            st,
            type_name: type_name.to_string(),
        }
    }
}

impl ObjectValue for GenericObj<'_> {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        Ok(resolve(self.st, &self.type_name, info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_stable_and_distinct() {
        assert_eq!(stable_id("Board", "id"), stable_id("Board", "id"));
        assert_ne!(stable_id("Board", "id"), stable_id("Group", "id"));
        assert!(stable_id("X", "y") >= 1_000_000_000);
    }
}
