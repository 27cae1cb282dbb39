//! What every resolver of one execution shares: the store, the request's context, the errors
//! collected so far and the counters the answer reports. Its own module so that the resolvers,
//! the viewer objects and the schema-driven fallback all depend on it and none on each other's
//! state.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use apollo_compiler::resolvers::{FieldError, ResolveInfo};
use apollo_compiler::response::JsonValue;
use serde_json::Value;

use super::errors::MARKER;
use super::json::Args;
use super::schema::ServedSchema;
use super::ExecContext;
use crate::store::{ApiError, Store, WriteOptions};

/// Base of item and board URLs.
pub const URL_BASE: &str = "https://simulated.monday.com";
/// Everything resolvers share during one execution.
pub(crate) struct ExecState<'s> {
    /// The schema being served (drives the fallback for fields nothing models).
    pub served: &'s ServedSchema,
    pub store: RefCell<&'s mut Store>,
    pub ctx: &'s ExecContext,
    /// Rich errors; resolvers return a marker naming the index (see `errors.rs`).
    pub errors: RefCell<Vec<ApiError>>,
    pub items_created: Cell<u64>,
    pub items_read: Cell<u64>,
    pub mutation_fields: Cell<u32>,
    /// The bulk-import job table (None when the caller has none: the bulk fields are not served).
    pub jobs: RefCell<Option<&'s mut crate::jobs::Jobs>>,
    /// The last `column_values` JSON string decoded in this execution and its result: aliases
    /// of one request usually share one `$cv` variable, so it is decoded once, not per alias.
    pub column_values_memo: RefCell<Option<ColumnValuesMemo>>,
}

/// A decoded `column_values` string (see [`ExecState::column_values_memo`]).
pub(crate) type ColumnValuesMemo = (String, Option<Rc<serde_json::Map<String, Value>>>);

impl ExecState<'_> {
    pub(super) fn fail(&self, err: ApiError) -> FieldError {
        tracing::debug!(code = err.code(), error = %err, "field error");
        let mut errors = self.errors.borrow_mut();
        errors.push(err);
        FieldError {
            message: format!("{MARKER}{}", errors.len() - 1),
        }
    }

    pub(super) fn not_served(&self, type_name: &str, info: &ResolveInfo<'_>) -> FieldError {
        self.fail(ApiError::NotServed {
            type_name: type_name.to_string(),
            field: info.field_name().to_string(),
        })
    }

    pub(super) fn write_options(&self, args: &Args<'_>) -> WriteOptions {
        WriteOptions {
            now: self.ctx.now,
            create_labels: args.bool("create_labels_if_missing"),
            items_limit: self.ctx.items_limit_per_board,
        }
    }

    /// The `column_values` argument decoded by [`crate::store::column_values_map`]; a JSON
    /// string equal to the previous one in this execution reuses the previous result (decoding
    /// is a pure function of the text).
    pub(super) fn column_values(
        &self,
        args: &Args<'_>,
    ) -> Result<Option<Rc<serde_json::Map<String, Value>>>, ApiError> {
        let Some(JsonValue::String(text)) = args.get("column_values") else {
            return Ok(match args.json("column_values") {
                Value::Object(o) => Some(Rc::new(o)),
                other => crate::store::column_values_map(&other)?.map(Rc::new),
            });
        };
        let text = text.as_str();
        if let Some((last, decoded)) = self.column_values_memo.borrow().as_ref() {
            if last == text {
                return Ok(decoded.clone());
            }
        }
        let decoded = crate::store::column_values_map_str(text)?.map(Rc::new);
        *self.column_values_memo.borrow_mut() = Some((text.to_string(), decoded.clone()));
        Ok(decoded)
    }

    pub(super) fn count_read(&self, n: usize) {
        self.items_read.set(self.items_read.get() + n as u64);
    }
}
