//! GraphQL front of the simulator: parse, validate (against the embedded monday.com SDL subset or a
//! full published SDL), coerce variables, estimate complexity and execute against the [`Store`].
//!
//! INTERFACE CONTRACT (used by `core.rs`; keep these signatures stable):
//! - [`GraphqlEngine::embedded`], [`GraphqlEngine::from_sdl`]
//! - [`GraphqlEngine::prepare`] -> [`PreparedOperation`] or GraphQL error objects
//! - [`GraphqlEngine::execute`] -> [`ExecOutcome`]

use std::time::Duration;

use serde_json::{Map, Value};

use crate::store::Store;
use crate::version::ApiVersion;

pub mod cost;
pub use cost::CostSettings;

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
    /// Number of root mutation fields other than `complexity` (each runs one after another).
    pub mutation_field_count: u32,
    /// The operation only asks for `complexity` (and/or `version(s)`): cheap, never throttled by budget.
    pub only_meta_fields: bool,
    /// Board ids this operation writes to (for the 423 board-lock fault).
    pub written_boards: Vec<String>,
    /// Complexity estimate of the whole request, from [`CostSettings`].
    pub estimated_complexity: u64,
    /// Engine-private state (document, coerced variables, chosen operation).
    pub(crate) inner: Box<dyn std::any::Any + Send + Sync>,
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
}

/// Parses, validates and executes GraphQL against the monday.com schema.
pub struct GraphqlEngine {
    _private: (),
}

impl GraphqlEngine {
    /// The engine over the embedded SDL subset (`schema/monday-subset.graphql`).
    pub fn embedded() -> Self {
        todo!("graphql helper implements")
    }

    /// The engine over a full published SDL (what `--schema PATH` loads).
    pub fn from_sdl(sdl: &str, origin: &str) -> Result<Self, SchemaLoadError> {
        let _ = (sdl, origin);
        todo!("graphql helper implements")
    }

    /// Parse, validate, pick the operation (`operationName`), coerce variables, estimate cost.
    /// Errors are GraphQL error objects (HTTP 200 with `errors` on the live API).
    pub fn prepare(
        &self,
        request: &GraphqlRequest<'_>,
        costs: &CostSettings,
    ) -> Result<PreparedOperation, Vec<Value>> {
        let _ = (request, costs);
        todo!("graphql helper implements")
    }

    /// Execute against the store. Root mutation fields run one after another; a failing field is
    /// null with an error whose `path` names it, siblings are kept.
    pub fn execute(
        &self,
        op: &PreparedOperation,
        store: &mut Store,
        ctx: &ExecContext,
    ) -> ExecOutcome {
        let _ = (op, store, ctx);
        todo!("graphql helper implements")
    }
}
