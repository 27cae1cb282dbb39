//! Stages 2-4, who may call and how: the `Authorization` token (401), the `API-Version` header
//! (`InvalidVersionException`, HTTP 200) and the body size (413).

use std::ops::ControlFlow::{Break, Continue};

use serde_json::json;

use super::answer::Stage;
use super::state::{Ctx, State};
use super::{header, CoreRequest, Simulator};
use crate::envelope::{self, RequestError};
use crate::graphql::user_id_for_token;
use crate::jobs::transfer::UPLOAD_PREFIX;
use crate::version::ApiVersion;

impl Simulator {
    /// Stage 2: a 401 without `Authorization`, or with another token than `SimConfig::token`
    /// (bare or `Bearer`) when one is set. Sets the request's user.
    pub(super) fn authenticate(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Stage {
        let auth = header(req, "authorization").map(str::trim).unwrap_or("");
        let authorized = !auth.is_empty()
            && match &self.config.token {
                Some(t) => {
                    auth == t || auth.strip_prefix("Bearer ").map(str::trim) == Some(t.as_str())
                }
                None => true,
            };
        if !authorized {
            let e = RequestError::new(401, "Unauthorized", "Not Authenticated");
            return Break(self.refused(st, 401, envelope::request_error(ctx.style, &e)));
        }
        ctx.user_id = user_id_for_token(auth);
        Continue(())
    }

    /// Stage 3: a malformed or unknown `API-Version` is answered in the current version's shape.
    pub(super) fn resolve_version(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        req: &CoreRequest,
    ) -> Stage {
        let Err(bad) = ApiVersion::resolve(header(req, "api-version")) else {
            return Continue(());
        };
        ctx.version = ApiVersion::current();
        ctx.style = ctx.version.error_style();
        let e = RequestError::new(200, "InvalidVersionException", format!("{bad}"))
            .data(json!({ "version": bad.0 }));
        Break(self.refused(st, 200, envelope::request_error(ctx.style, &e)))
    }

    /// The largest body the core takes on `path`: a CSV upload may be as large as a bulk-import
    /// file (a larger one is stored and its job rejected with `FILE_TOO_LARGE`), any other
    /// request `limits.max_body_bytes` (a larger one is a 413, stage 4). A face that caps what it
    /// reads (`mock-monday serve`) reads at most one byte more and hands the core what it read:
    /// the core sees the body is over the limit and answers, as it does in-process.
    pub fn body_limit(&self, path: &str) -> usize {
        if path.starts_with(UPLOAD_PREFIX) {
            self.config.bulk.max_file_bytes
        } else {
            self.config.limits.max_body_bytes
        }
    }

    /// Stage 4: a 413 for a body over `limits.max_body_bytes` (the only place that decides it;
    /// the message names no size: a face that caps its reads does not know the whole size).
    pub(super) fn check_body_size(&self, st: &mut State, ctx: &Ctx, req: &CoreRequest) -> Stage {
        let max = self.body_limit(&req.path);
        if req.body.len() <= max {
            return Continue(());
        }
        let e = RequestError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("Request body exceeds the limit of {max} bytes"),
        );
        Break(self.refused(st, 413, envelope::request_error(ctx.style, &e)))
    }
}
