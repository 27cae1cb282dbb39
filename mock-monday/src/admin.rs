//! Admin endpoints shared by both faces (JSON, never rate limited, no delay):
//! `GET /__admin/health`, `GET /__admin/stats`, `GET /__admin/boards/{board_id}/items`,
//! `GET /__admin/requests[?since=N]` (the request log as NDJSON, see [`crate::request_log`]),
//! `GET /__admin/jobs` (the bulk-import jobs, see [`crate::jobs`]),
//! `POST /__admin/reset` (also clears the request log).

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::core::{CoreResponse, Delivery, Simulator};

/// Path prefix of the admin endpoints.
pub const PREFIX: &str = "/__admin/";

fn respond(status: u16, body: &Value) -> CoreResponse {
    CoreResponse {
        status,
        headers: vec![(
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        )],
        body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        delay: Duration::ZERO,
        delivery: Delivery::Respond,
    }
}

/// Answers an admin request, or returns None when `path` is not an admin path. When the simulator
/// was started with a token (`--token`), admin requests need it too (`Authorization` header):
/// without it every request is refused with 401, like the API itself.
pub fn handle(
    sim: &Simulator,
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> Option<CoreResponse> {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let rest = path.strip_prefix(PREFIX)?;
    if let Some(token) = &sim.config().token {
        if authorization.map(str::trim) != Some(token.as_str()) {
            return Some(respond(
                401,
                &json!({ "error": "Not Authenticated: admin endpoints need the simulator's token in the Authorization header" }),
            ));
        }
    }
    let method = method.to_ascii_uppercase();
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let resp = match (method.as_str(), parts.as_slice()) {
        ("GET", ["health"]) => respond(200, &json!({ "status": "ok" })),
        ("GET", ["jobs"]) => respond(200, &sim.jobs_json()),
        ("GET", ["stats"]) => respond(200, &serde_json::to_value(sim.stats()).unwrap_or_default()),
        ("GET", ["boards", id, "items"]) => match sim.board_items(id) {
            Some(items) => respond(200, &items),
            None => respond(404, &json!({ "error": format!("unknown board {id}") })),
        },
        ("GET", ["requests"]) => match since_param(query) {
            Ok(since) => CoreResponse {
                status: 200,
                headers: vec![(
                    "content-type".to_string(),
                    "application/x-ndjson".to_string(),
                )],
                body: Bytes::from(sim.request_log_ndjson(since)),
                delay: Duration::ZERO,
                delivery: Delivery::Respond,
            },
            Err(bad) => respond(
                400,
                &json!({ "error": format!("since must be a non-negative integer, got {bad:?}") }),
            ),
        },
        ("POST", ["reset"]) => {
            sim.reset();
            respond(200, &json!({ "reset": true }))
        }
        _ => respond(
            404,
            &json!({ "error": format!("no admin endpoint {method} {path}"),
                     "endpoints": ["GET /__admin/health", "GET /__admin/stats",
                                   "GET /__admin/boards/{board_id}/items",
                                   "GET /__admin/requests?since=N", "GET /__admin/jobs",
                                   "POST /__admin/reset"] }),
        ),
    };
    Some(resp)
}

/// `since=N` from a query string (0 when absent).
fn since_param(query: &str) -> Result<u64, String> {
    match query.split('&').find_map(|kv| kv.strip_prefix("since=")) {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| v.to_string()),
    }
}
