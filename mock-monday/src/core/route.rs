//! Stage 1, route: `POST /v2` goes on; `GET /v2/get_schema` answers the served schema; the bulk
//! import's upload and report paths are answered by `transfer.rs`; any other path is a 404 and
//! any other method on `/v2` a 400.

use std::ops::ControlFlow::{Break, Continue};

use bytes::Bytes;

use super::answer::{Answer, Stage};
use super::state::{Ctx, State};
use super::{CoreRequest, Simulator};
use crate::envelope::{self, RequestError};
use crate::jobs::transfer::{REPORT_PREFIX, UPLOAD_PREFIX};
use crate::version::ErrorStyle;

impl Simulator {
    /// Lets `POST /v2` through; answers everything else.
    pub(super) fn route(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Stage {
        let (path, query) = req.path.split_once('?').unwrap_or((req.path.as_str(), ""));
        let path = path.trim_end_matches('/');
        let method = req.method.to_ascii_uppercase();
        if path.starts_with(UPLOAD_PREFIX) {
            return Break(self.upload(st, ctx, req));
        }
        if path.starts_with(REPORT_PREFIX) {
            return Break(self.report_download(st, ctx, req));
        }
        if path == "/v2/get_schema" && method == "GET" {
            ctx.facts.endpoint = Some("schema");
            return Break(self.schema_answer(st, query));
        }
        if path != "/v2" {
            ctx.facts.endpoint = Some("other");
            let e = RequestError::new(
                404,
                "NOT_FOUND",
                format!("No route for {method} {path}; the API is POST /v2"),
            );
            return Break(self.refused(st, 404, envelope::request_error(ctx.style, &e)));
        }
        if method != "POST" {
            ctx.facts.endpoint = Some("other");
            let msg = if query.contains("query=") {
                "GraphQL queries must be sent in the request body (POST /v2)"
            } else {
                "Bad request: the API takes POST /v2 with a JSON body"
            };
            let e = RequestError::new(400, "BadRequest", msg);
            return Break(self.refused(st, 400, envelope::request_error(ctx.style, &e)));
        }
        Continue(())
    }

    /// `GET /v2/get_schema?format=sdl|json&version=V`: the served schema as SDL text or as the
    /// introspection result (JSON, the default like the live endpoint). Every version gets the
    /// schema the simulator serves.
    fn schema_answer(&self, st: &mut State, query: &str) -> Answer {
        let format = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("format="))
            .unwrap_or("json")
            .to_ascii_lowercase();
        let delay = self.latency.refused_delay(&mut st.rng_latency);
        let served = self.engine.served();
        match format.as_str() {
            "sdl" => Answer::raw(
                200,
                "text/plain; charset=utf-8",
                Bytes::from(served.sdl().as_bytes().to_vec()),
                delay,
            ),
            "json" => Answer::raw(
                200,
                "application/json; charset=utf-8",
                Bytes::from(served.introspection_json().as_bytes().to_vec()),
                delay,
            ),
            other => {
                let e = RequestError::new(
                    400,
                    "BadRequest",
                    format!("Unknown schema format {other:?}: use format=sdl or format=json"),
                );
                Answer::json(
                    400,
                    envelope::request_error(ErrorStyle::Modern2025_10, &e),
                    delay,
                )
            }
        }
    }
}
