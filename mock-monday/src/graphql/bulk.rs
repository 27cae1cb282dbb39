//! Resolvers of the bulk import's fields: `ingest_items` and `backfill_items` (start a job,
//! `UploadJobInit`) and `fetch_job_status` (`JobStatus` = `ItemsJobStatus`). The job table and
//! its rules live in [`crate::jobs`]; this only maps arguments and shapes.

use apollo_compiler::resolvers::FieldError;
use apollo_compiler::resolvers::{ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use serde_json::Value;

use super::exec_state::ExecState;
use super::json::Args;
use crate::jobs::{JobKind, OnMatch, StartRequest};
use crate::store::ApiError;

/// An object answered from a JSON value (`UploadJobInit`, `ItemsJobStatus`,
/// `ItemsJobItemCounts`).
pub(crate) struct JsonObj {
    type_name: &'static str,
    value: Value,
}

impl ObjectValue for JsonObj {
    fn type_name(&self) -> &str {
        self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let v = self
            .value
            .get(info.field_name())
            .cloned()
            .unwrap_or(Value::Null);
        Ok(match (info.field_name(), v) {
            ("counts", v @ Value::Object(_)) => ResolvedValue::object(JsonObj {
                type_name: "ItemsJobItemCounts",
                value: v,
            }),
            (_, v) => ResolvedValue::Leaf(JsonValue::from(v)),
        })
    }
}

/// `ingest_items` / `backfill_items`.
pub(crate) fn start<'r>(
    st: &ExecState<'_>,
    kind: JobKind,
    args: &Args<'_>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let bulk = st
        .ctx
        .bulk
        .as_ref()
        .ok_or_else(|| not_served(kind_field(kind)))?;
    let on_match = match args.json("on_match") {
        Value::Object(o) if kind == JobKind::Ingest => Some(OnMatch {
            column_id: o
                .get("match_column_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            upsert: o.get("behaviour").and_then(Value::as_str) != Some("SKIP"),
        }),
        _ => None,
    };
    let req = StartRequest {
        kind,
        board_id: args.id("board_id").unwrap_or_default(),
        group_id: args.id("group_id").unwrap_or_default(),
        on_match,
        user_id: st.ctx.user_id,
    };
    let store = st.store.borrow();
    let mut jobs = st.jobs.borrow_mut();
    let jobs = jobs
        .as_deref_mut()
        .ok_or_else(|| not_served(kind_field(kind)))?;
    let started = jobs.start(&store, &bulk.env, &bulk.base_url, req, st.ctx.now)?;
    Ok(ResolvedValue::object(JsonObj {
        type_name: "UploadJobInit",
        value: serde_json::json!({"job_id": started.job_id, "upload_url": started.upload_url}),
    }))
}

/// `fetch_job_status(job_id)`: the job's `ItemsJobStatus`, or an error for an unknown id.
pub(crate) fn fetch_job_status<'r>(
    st: &ExecState<'_>,
    args: &Args<'_>,
) -> Result<ResolvedValue<'r>, ApiError> {
    let job_id = args.id("job_id").unwrap_or_default();
    let bulk = st
        .ctx
        .bulk
        .as_ref()
        .ok_or_else(|| not_served("fetch_job_status"))?;
    let jobs = st.jobs.borrow();
    let jobs = jobs
        .as_deref()
        .ok_or_else(|| not_served("fetch_job_status"))?;
    let job = jobs.get(&job_id).ok_or(ApiError::JobNotFound { job_id })?;
    Ok(ResolvedValue::object(JsonObj {
        type_name: "ItemsJobStatus",
        value: jobs.status_json(job, &bulk.base_url, &bulk.env.settings),
    }))
}

fn kind_field(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Ingest => "ingest_items",
        JobKind::Backfill => "backfill_items",
    }
}

fn not_served(field: &str) -> ApiError {
    ApiError::NotServed {
        type_name: "Mutation".into(),
        field: field.into(),
    }
}
