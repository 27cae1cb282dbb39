//! GraphQL front of the simulator: parse, validate (against the embedded published monday.com SDL
//! or a `--schema` SDL, see [`schema`]), coerce variables, estimate complexity and execute against
//! the [`Store`]: modelled fields from state, every other field from the schema-driven
//! fallback ([`fallback`]), introspection by apollo-compiler. What one execution shares (store,
//! context, errors, counters) is [`exec_state`], below the resolvers, the viewer objects and the
//! fallback, so none of those three depends on another's state.
//!
//! INTERFACE CONTRACT (used by the `core` stages; keep these signatures stable):
//! - [`GraphqlEngine::embedded`], [`GraphqlEngine::from_sdl`]
//! - [`GraphqlEngine::prepare`] -> [`PreparedOperation`] or GraphQL error objects
//! - [`GraphqlEngine::execute`] -> [`ExecOutcome`]

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apollo_compiler::ast::{Document, Value as AstValue};
use apollo_compiler::executable::{ExecutableDocument, OperationType};
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::JsonMap;
use apollo_compiler::validation::Valid;
use serde_json::{Map, Value};

use crate::store::Store;
use crate::version::ApiVersion;

mod bulk;
pub mod cost;
mod cursor;
pub mod errors;
mod exec_state;
mod fallback;
mod json;
mod resolvers;
pub mod schema;
mod viewer;

pub use cost::CostSettings;
pub use schema::{ServedSchema, EMBEDDED_SDL, INTROSPECTION_QUERY};
pub use viewer::{user_id_for_token, WORKSPACE_ID};

/// Error loading an SDL given with `--schema`.
#[derive(Debug, thiserror::Error)]
#[error("schema {origin}: {message}")]
pub struct SchemaLoadError {
    pub origin: String,
    pub message: String,
}

/// One GraphQL request as it arrived (body already JSON-decoded).
#[derive(Debug, Clone, Copy)]
pub struct GraphqlRequest<'a> {
    pub query: &'a str,
    pub operation_name: Option<&'a str>,
    pub variables: &'a Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Query,
    Mutation,
}

/// A parsed, validated operation with coerced variables, ready to execute.
#[derive(Debug)]
pub struct PreparedOperation {
    pub kind: OperationKind,
    /// Response keys (alias or name) of the root fields, in document order.
    pub root_response_keys: Vec<String>,
    /// Field names (not aliases) of the root fields, parallel to `root_response_keys`.
    pub root_field_names: Vec<String>,
    /// Number of root mutation fields other than `complexity` (each runs one after another).
    pub mutation_field_count: u32,
    /// The operation only asks for `complexity` (and/or `version(s)`): cheap, never throttled by budget.
    pub only_meta_fields: bool,
    /// Board ids this operation writes to (for the 423 board-lock fault).
    pub written_boards: Vec<String>,
    /// Complexity estimate of the whole request, from [`CostSettings`].
    pub estimated_complexity: u64,
    /// A field the operation selects that only versions before 2026-10 serve (type, field; see
    /// [`schema::COMPAT_SDL`]); the pipeline refuses it for 2026-10 and later.
    pub removed_field: Option<(String, String)>,
    /// Engine-private state (document, coerced variables, chosen operation).
    inner: Prepared,
}

/// The `complexity { before after query reset_in_x_seconds }` truth for this request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ComplexitySnapshot {
    pub before: u64,
    pub after: u64,
    pub query: u64,
    pub reset_in_x_seconds: u64,
}

/// What execution needs from the request pipeline.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// Simulated time since the simulator started (for created_at / updated_at).
    pub now: Duration,
    pub api_version: ApiVersion,
    pub complexity: ComplexitySnapshot,
    /// `ItemsLimitationException` threshold (items per board).
    pub items_limit_per_board: usize,
    /// The user the request's token belongs to (`me`, board creators and owners).
    pub user_id: u64,
    /// The bulk import's settings and URL base (None: the bulk fields answer "not served").
    pub bulk: Option<std::sync::Arc<crate::jobs::BulkCtx>>,
}

/// Result of executing one operation: GraphQL `data` plus `errors` (each a JSON error object with
/// `message`, `locations`, `path`, `extensions.code` ...), and counts the pipeline uses for latency
/// and stats.
#[derive(Debug, Clone, Default)]
pub struct ExecOutcome {
    pub data: Value,
    pub errors: Vec<Value>,
    pub items_created: u64,
    /// Items serialized in the response (drives per-item read latency).
    pub items_read: u64,
    pub mutation_fields_executed: u32,
    /// Root mutation fields that answered null with an error (a failed write).
    pub failed_mutation_fields: u32,
    /// The HTTP status an error asks the whole response to take (the job-start limit's 429).
    pub http_status: Option<u16>,
}

/// Engine-private part of a [`PreparedOperation`].
struct Prepared {
    doc: Arc<Valid<ExecutableDocument>>,
    operation_name: Option<String>,
    variables: Valid<JsonMap>,
}

impl std::fmt::Debug for Prepared {
    /// The operation's name only: the document and the variables are large.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("operation_name", &self.operation_name)
            .finish_non_exhaustive()
    }
}

/// Most distinct query texts kept in the document cache (it is cleared when full).
const DOCUMENT_CACHE_SIZE: usize = 256;

/// Root fields that only read meta information (cheap, never throttled by budget).
const META_FIELDS: &[&str] = &[
    "complexity",
    "version",
    "versions",
    "__typename",
    "__schema",
    "__type",
];

/// Parses, validates and executes GraphQL against the monday.com schema.
pub struct GraphqlEngine {
    /// Parsed and validated once, shared (the embedded one by every simulator of the process).
    served: Arc<ServedSchema>,
    /// Validated documents by query text: clients replay the same text with new variables.
    /// Purely a cache of a pure function, so results do not depend on it.
    documents: Mutex<std::collections::HashMap<String, Arc<Valid<ExecutableDocument>>>>,
}

impl std::fmt::Debug for GraphqlEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphqlEngine")
            .field("types", &self.served.schema.types.len())
            .finish()
    }
}

impl GraphqlEngine {
    /// The engine over the embedded published SDL (parsed once per process, shared).
    pub fn embedded() -> Self {
        Self::over(ServedSchema::embedded())
    }

    /// The engine over SDL text (what `--schema PATH` loads).
    pub fn from_sdl(sdl: &str, origin: &str) -> Result<Self, SchemaLoadError> {
        Ok(Self::over(Arc::new(ServedSchema::from_sdl(sdl, origin)?)))
    }

    /// The engine over an already loaded schema.
    pub fn over(served: Arc<ServedSchema>) -> Self {
        Self {
            served,
            documents: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The schema this engine serves.
    pub fn served(&self) -> &Arc<ServedSchema> {
        &self.served
    }

    /// Whether this query text already parsed and validated (it is in the document cache). The
    /// pipeline skips its pre-parse guards for such texts: they passed them the first time.
    pub fn is_known_valid(&self, query: &str) -> bool {
        self.documents
            .lock()
            .is_ok_and(|cache| cache.contains_key(query))
    }

    /// The parsed and validated document of a query text (cached by text).
    fn document(&self, query: &str) -> Result<Arc<Valid<ExecutableDocument>>, Vec<Value>> {
        if let Ok(cache) = self.documents.lock() {
            if let Some(doc) = cache.get(query) {
                return Ok(Arc::clone(doc));
            }
        }
        let ast = Document::parse(query, "request.graphql")
            .map_err(|e| errors::parse_errors(&e.errors, query))?;
        let doc = Arc::new(
            ast.to_executable_validate(&self.served.schema)
                .map_err(|e| errors::validation_errors(&e.errors))?,
        );
        if let Ok(mut cache) = self.documents.lock() {
            if cache.len() >= DOCUMENT_CACHE_SIZE {
                cache.clear();
            }
            cache.insert(query.to_string(), Arc::clone(&doc));
        }
        Ok(doc)
    }

    /// Parse, validate, pick the operation (`operationName`), coerce variables, estimate cost.
    /// Errors are GraphQL error objects (HTTP 200 with `errors` on the live API).
    pub fn prepare(
        &self,
        request: &GraphqlRequest<'_>,
        costs: &CostSettings,
    ) -> Result<PreparedOperation, Vec<Value>> {
        let doc = self.document(request.query)?;
        let operation_name = request
            .operation_name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let operation = doc.operations.get(operation_name.as_deref()).map_err(|e| {
            vec![errors::request_error(
                &e.message().to_string(),
                errors::VALIDATION_CODE,
            )]
        })?;
        let raw_vars = json::from_serde_map(request.variables);
        let variables = coerce_variable_values(&self.served.schema, operation, &raw_vars).map_err(|e| {
            let err = e.to_graphql_error(&doc.sources);
            vec![serde_json::json!({
                "message": err.message,
                "locations": err.locations.iter().map(|l| serde_json::json!({"line": l.line, "column": l.column})).collect::<Vec<_>>(),
                "extensions": {"code": errors::VALIDATION_CODE},
            })]
        })?;
        let is_mutation = operation.operation_type == OperationType::Mutation;
        let mut fields = Vec::new();
        cost::collect_root(&doc, &operation.selection_set.selections, &mut fields, 0);
        let mut root_response_keys: Vec<String> = Vec::new();
        let mut root_field_names: Vec<String> = Vec::new();
        let mut mutation_field_count = 0u32;
        let mut only_meta_fields = !fields.is_empty();
        let mut written_boards: Vec<String> = Vec::new();
        for f in &fields {
            let key = f.response_key().to_string();
            if root_response_keys.contains(&key) {
                continue;
            }
            root_response_keys.push(key);
            let name = f.name.as_str();
            root_field_names.push(name.to_string());
            if !META_FIELDS.contains(&name) {
                only_meta_fields = false;
                if is_mutation {
                    mutation_field_count += 1;
                }
            }
            if is_mutation {
                let board = f
                    .arguments
                    .iter()
                    .find(|a| a.name == "board_id")
                    .and_then(|a| literal_id(&a.value, &variables));
                if let Some(b) = board {
                    if !written_boards.contains(&b) {
                        written_boards.push(b);
                    }
                }
            }
        }
        let estimated_complexity = cost::estimate(
            &doc,
            &operation.selection_set.selections,
            is_mutation,
            &variables,
            costs,
        );
        let removed_field = removed_field(&doc);
        Ok(PreparedOperation {
            removed_field,
            kind: if is_mutation {
                OperationKind::Mutation
            } else {
                OperationKind::Query
            },
            root_response_keys,
            root_field_names,
            mutation_field_count,
            only_meta_fields,
            written_boards,
            estimated_complexity,
            inner: Prepared {
                doc,
                operation_name,
                variables,
            },
        })
    }

    /// Execute against the store. Root mutation fields run one after another; a failing field is
    /// null with an error whose `path` names it, siblings are kept.
    pub fn execute(
        &self,
        op: &PreparedOperation,
        store: &mut Store,
        ctx: &ExecContext,
    ) -> ExecOutcome {
        self.execute_with_jobs(op, store, None, ctx)
    }

    /// [`GraphqlEngine::execute`] with the bulk-import job table (`ingest_items`,
    /// `backfill_items`, `fetch_job_status`).
    pub fn execute_with_jobs(
        &self,
        op: &PreparedOperation,
        store: &mut Store,
        jobs: Option<&mut crate::jobs::Jobs>,
        ctx: &ExecContext,
    ) -> ExecOutcome {
        let prepared = &op.inner;
        let Ok(operation) = prepared
            .doc
            .operations
            .get(prepared.operation_name.as_deref())
        else {
            return ExecOutcome {
                data: Value::Null,
                errors: vec![errors::request_error(
                    "operation not found",
                    errors::VALIDATION_CODE,
                )],
                ..ExecOutcome::default()
            };
        };
        let mutation = operation.operation_type == OperationType::Mutation;
        let state = exec_state::ExecState {
            served: &self.served,
            store: RefCell::new(store),
            ctx,
            errors: RefCell::new(Vec::new()),
            items_created: Cell::new(0),
            items_read: Cell::new(0),
            mutation_fields: Cell::new(0),
            column_values_memo: RefCell::new(None),
            jobs: RefCell::new(jobs),
        };
        let served = &*self.served;
        let root = resolvers::Root {
            st: &state,
            type_name: if mutation {
                served.mutation_type.clone()
            } else {
                served.query_type.clone()
            },
            mutation,
        };
        let result = Execution::new(&served.schema, &prepared.doc)
            .operation(operation)
            .implementers_map(&served.implementers)
            .coerced_variable_values(&prepared.variables)
            .enable_schema_introspection(true)
            .execute_sync(&root);
        let recorded = state.errors.borrow();
        let http_status = recorded
            .iter()
            .map(crate::store::ApiError::http_status)
            .find(|s| *s != 200);
        let (data, errors) = match result {
            Ok(resp) => (
                resp.data.map_or(Value::Null, |d| {
                    json::to_serde(&apollo_compiler::response::JsonValue::Object(d))
                }),
                resp.errors
                    .iter()
                    .map(|e| errors::field_error(e, &recorded))
                    .collect(),
            ),
            Err(e) => (
                Value::Null,
                vec![errors::request_error(
                    &e.message().to_string(),
                    errors::VALIDATION_CODE,
                )],
            ),
        };
        let failed_mutation_fields = if mutation {
            failed_root_fields(&data, &errors)
        } else {
            0
        };
        ExecOutcome {
            data,
            errors,
            items_created: state.items_created.get(),
            items_read: state.items_read.get(),
            mutation_fields_executed: state.mutation_fields.get(),
            failed_mutation_fields,
            http_status,
        }
    }
}

/// The first field of the document (operations and fragments) whose definition carries the
/// [`schema::REMOVED_MARKER`] deprecation, as (type, field).
fn removed_field(doc: &ExecutableDocument) -> Option<(String, String)> {
    use apollo_compiler::executable::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> Option<(String, String)> {
        for sel in &set.selections {
            let found = match sel {
                Selection::Field(f) => {
                    let marked = f.definition.directives.get("deprecated").is_some_and(|d| {
                        d.specified_argument_by_name("reason")
                            .and_then(|r| r.as_str())
                            .is_some_and(|r| r == schema::REMOVED_MARKER)
                    });
                    if marked {
                        Some((set.ty.to_string(), f.name.to_string()))
                    } else {
                        walk(&f.selection_set)
                    }
                }
                Selection::InlineFragment(i) => walk(&i.selection_set),
                Selection::FragmentSpread(_) => None,
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
    doc.operations
        .iter()
        .map(|op| &op.selection_set)
        .chain(doc.fragments.values().map(|f| &f.selection_set))
        .find_map(walk)
}

/// Root fields that are null in `data` and named by an error's one-element `path`.
fn failed_root_fields(data: &Value, errors: &[Value]) -> u32 {
    let mut failed: Vec<&str> = Vec::new();
    for e in errors {
        if let Some([Value::String(key)]) =
            e.get("path").and_then(Value::as_array).map(Vec::as_slice)
        {
            if data.get(key.as_str()).is_none_or(Value::is_null) && !failed.contains(&key.as_str())
            {
                failed.push(key.as_str());
            }
        }
    }
    failed.len() as u32
}

/// A literal or variable ID argument as a string (for `written_boards`).
fn literal_id(value: &AstValue, variables: &JsonMap) -> Option<String> {
    match value {
        AstValue::String(s) => Some(s.trim().to_string()),
        AstValue::Int(i) => Some(i.as_str().to_string()),
        AstValue::Variable(name) => variables.get(name.as_str()).and_then(json::id_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(engine: &GraphqlEngine, q: &str) -> PreparedOperation {
        let vars = Map::new();
        let req = GraphqlRequest {
            query: q,
            operation_name: None,
            variables: &vars,
        };
        match engine.prepare(&req, &CostSettings::default()) {
            Ok(op) => op,
            Err(e) => panic!("{q}: {e:?}"),
        }
    }

    #[test]
    fn meta_only_and_mutation_counts() {
        let e = GraphqlEngine::embedded();
        let op = prep(&e, "{ complexity { query } version { value } }");
        assert!(op.only_meta_fields);
        assert_eq!(op.kind, OperationKind::Query);
        let op = prep(&e, "{ complexity { query } boards { id } }");
        assert!(!op.only_meta_fields);
        let op = prep(
            &e,
            "mutation { complexity { query } a: delete_item(item_id: 1) { id } b: create_group(board_id: \"7\", group_name: \"g\") { id } }",
        );
        assert_eq!(op.mutation_field_count, 2);
        assert_eq!(op.written_boards, vec!["7".to_string()]);
        assert_eq!(op.estimated_complexity, 2 * 30_000 + 2);
    }

    #[test]
    fn estimate_is_monotone_in_fields_and_limits() {
        let e = GraphqlEngine::embedded();
        let small = prep(
            &e,
            "{ boards(ids: 1) { items_page(limit: 10) { items { id } } } }",
        );
        let more_fields = prep(
            &e,
            "{ boards(ids: 1) { items_page(limit: 10) { items { id name } } } }",
        );
        let bigger_limit = prep(
            &e,
            "{ boards(ids: 1) { items_page(limit: 100) { items { id } } } }",
        );
        assert!(small.estimated_complexity < more_fields.estimated_complexity);
        assert!(small.estimated_complexity < bigger_limit.estimated_complexity);
        // 1 board (object 10) + items_page object 10 + 10 items * (object 10 + id 1)
        assert_eq!(small.estimated_complexity, 10 + 10 + 10 * 11);
        let by_values = prep(
            &e,
            "{ items_page_by_column_values(board_id: 1, limit: 5) { items { id } } }",
        );
        assert_eq!(by_values.estimated_complexity, 100_000 + 5 * 11);
    }
}
