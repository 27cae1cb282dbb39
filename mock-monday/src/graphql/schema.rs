//! The GraphQL schema the simulator serves: the published monday.com 2026-10 SDL embedded in the
//! crate (`schema/monday-2026-10.graphql`, MIT, licence in `schema/LICENSE-schema`), or a
//! `--schema` file. Parsed and validated once: the embedded one once per process
//! ([`ServedSchema::embedded`]), shared by every simulator as an `Arc`.

use std::sync::{Arc, OnceLock};

use apollo_compiler::ast::{Definition, Document};
use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::ExecutableDocument;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::schema::{ExtendedType, Implementers};
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};

use super::SchemaLoadError;

/// The published monday.com SDL, API version 2026-10 (MIT, © 2025 monday.com; see
/// `schema/LICENSE-schema`), served by default.
pub const EMBEDDED_SDL: &str = include_str!("../../schema/monday-2026-10.graphql");

/// Fields that versions before 2026-10 still serve (see the file's header), added to the
/// embedded schema and refused for 2026-10 and later ([`REMOVED_MARKER`]).
pub const COMPAT_SDL: &str = include_str!("../../schema/compat-before-2026-10.graphql");

/// The `@deprecated` reason that marks a field of [`COMPAT_SDL`].
pub const REMOVED_MARKER: &str = "mock-monday: removed in API version 2026-10";

/// Origin name of the embedded SDL in diagnostics.
const EMBEDDED_ORIGIN: &str = "monday-2026-10.graphql";

/// Built-in scalars the published SDL redefines (apollo-compiler reports those as errors).
const BUILTIN_SCALARS: &[&str] = &["Int", "Float", "String", "Boolean", "ID"];
/// Directives apollo-compiler defines itself.
const BUILTIN_DIRECTIVES: &[&str] = &["include", "skip", "deprecated", "specifiedBy"];

/// The standard introspection query (what GraphiQL and codegen tools send), used to build the
/// `GET /v2/get_schema?format=json` answer.
pub const INTROSPECTION_QUERY: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

/// A validated schema plus what execution needs from it, built once.
pub struct ServedSchema {
    pub(crate) schema: Valid<Schema>,
    pub(crate) implementers: HashMap<Name, Implementers>,
    pub(crate) query_type: String,
    pub(crate) mutation_type: String,
    /// The SDL text as given (served by `get_schema?format=sdl`).
    sdl: Arc<str>,
    /// `get_schema?format=json`, built on first use.
    introspection: OnceLock<Arc<str>>,
}

impl std::fmt::Debug for ServedSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedSchema")
            .field("types", &self.schema.types.len())
            .finish_non_exhaustive()
    }
}

fn load_error(
    origin: &str,
    errors: &apollo_compiler::validation::DiagnosticList,
) -> SchemaLoadError {
    SchemaLoadError {
        origin: origin.to_string(),
        message: errors
            .iter()
            .take(5)
            .map(|d| d.error.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

impl ServedSchema {
    /// The embedded published SDL, parsed and validated once per process.
    pub fn embedded() -> Arc<Self> {
        static EMBEDDED: OnceLock<Arc<ServedSchema>> = OnceLock::new();
        Arc::clone(EMBEDDED.get_or_init(|| {
            #[allow(clippy::expect_used)]
            Arc::new(
                Self::from_sdl_with(EMBEDDED_SDL, EMBEDDED_ORIGIN, Some(COMPAT_SDL))
                    .expect("the embedded SDL is valid (checked by tests)"),
            )
        }))
    }

    /// A schema from SDL text (what `--schema PATH` loads). The built-in scalar, directive and
    /// introspection type definitions the published file spells out are dropped first.
    pub fn from_sdl(sdl: &str, origin: &str) -> Result<Self, SchemaLoadError> {
        Self::from_sdl_with(sdl, origin, None)
    }

    /// [`ServedSchema::from_sdl`] plus extension definitions (`extend type ...`); the SDL served
    /// by `get_schema?format=sdl` stays `sdl` as given.
    fn from_sdl_with(
        sdl: &str,
        origin: &str,
        extension: Option<&str>,
    ) -> Result<Self, SchemaLoadError> {
        let mut ast = Document::parse(sdl, origin).map_err(|e| load_error(origin, &e.errors))?;
        if let Some(ext) = extension {
            let ext = Document::parse(ext, "compat-before-2026-10.graphql")
                .map_err(|e| load_error(origin, &e.errors))?;
            ast.definitions.extend(ext.definitions);
        }
        ast.definitions.retain(|d| match d {
            Definition::ScalarTypeDefinition(s) => !BUILTIN_SCALARS.contains(&s.name.as_str()),
            Definition::DirectiveDefinition(dd) => !BUILTIN_DIRECTIVES.contains(&dd.name.as_str()),
            other => !other.name().is_some_and(|n| n.as_str().starts_with("__")),
        });
        let schema = ast
            .to_schema_validate()
            .map_err(|e| load_error(origin, &e.errors))?;
        let query_type = schema
            .schema_definition
            .query
            .as_ref()
            .map(|n| n.name.to_string())
            .ok_or_else(|| SchemaLoadError {
                origin: origin.to_string(),
                message: "the schema has no query type".to_string(),
            })?;
        let mutation_type = schema
            .schema_definition
            .mutation
            .as_ref()
            .map_or_else(|| "Mutation".to_string(), |n| n.name.to_string());
        let implementers = schema.implementers_map();
        tracing::debug!(origin, types = schema.types.len(), "GraphQL schema loaded");
        Ok(Self {
            schema,
            implementers,
            query_type,
            mutation_type,
            sdl: Arc::from(sdl),
            introspection: OnceLock::new(),
        })
    }

    /// The validated schema.
    pub fn schema(&self) -> &Valid<Schema> {
        &self.schema
    }

    /// The SDL text served by `get_schema?format=sdl`.
    pub fn sdl(&self) -> Arc<str> {
        Arc::clone(&self.sdl)
    }

    /// The introspection result (`{"data": {"__schema": ...}}`) served by
    /// `get_schema?format=json`, computed once.
    pub fn introspection_json(&self) -> Arc<str> {
        Arc::clone(self.introspection.get_or_init(|| {
            let body = self.run_introspection();
            Arc::from(body.to_string())
        }))
    }

    fn run_introspection(&self) -> serde_json::Value {
        let doc = match ExecutableDocument::parse_and_validate(
            &self.schema,
            INTROSPECTION_QUERY,
            "introspection.graphql",
        ) {
            Ok(doc) => doc,
            Err(e) => {
                return serde_json::json!({"errors": [{"message": e.errors.to_string()}]});
            }
        };
        let root = IntrospectionOnly(self.query_type.clone());
        let result = Execution::new(&self.schema, &doc)
            .implementers_map(&self.implementers)
            .enable_schema_introspection(true)
            .execute_sync(&root);
        match result {
            Ok(resp) => serde_json::to_value(&resp).unwrap_or(serde_json::Value::Null),
            Err(e) => serde_json::json!({"errors": [{"message": e.message().to_string()}]}),
        }
    }

    /// The type named `name`, if the schema has it.
    pub(crate) fn type_def(&self, name: &str) -> Option<&ExtendedType> {
        self.schema.types.get(name)
    }
}

/// Root value for the introspection-only query: meta-fields never reach it.
struct IntrospectionOnly(String);

impl ObjectValue for IntrospectionOnly {
    fn type_name(&self) -> &str {
        &self.0
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        Err(self.unknown_field_error(info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schema_is_shared_and_complete() {
        let a = ServedSchema::embedded();
        let b = ServedSchema::embedded();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(a.schema.types.len() > 700, "{}", a.schema.types.len());
        assert!(a.type_def("Board").is_some());
        let json: serde_json::Value = serde_json::from_str(&a.introspection_json()).unwrap();
        let types = json["data"]["__schema"]["types"].as_array().unwrap();
        assert!(types.iter().any(|t| t["name"] == "Board"));
        assert_eq!(json["data"]["__schema"]["queryType"]["name"], "Query");
    }
}
