//! Harness-side seams that simulate a client regression without a product setting.
//!
//! The tests that prove the gate bites need a client that wastes a round trip per batch, or one
//! that waits a fixed second instead of the API's `retry_in_seconds`. Those are not settings a user
//! should be able to write, so they live here, as [`Transport`] wrappers the harness puts between
//! the real sync engine and the simulator (`RunOptions::seam` of the run module).

use std::sync::Arc;

use async_trait::async_trait;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError};
use serde_json::Value;

/// A regression injected by the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seam {
    /// A wasted `complexity` query before every request that creates items.
    ExtraRoundTripPerBatch,
    /// Every rate-limit hint (`retry_in_seconds`, `Retry-After`) rewritten to this many seconds, so
    /// the client behaves as one that waits a fixed time instead of what the API asks.
    FixedRetryWait { secs: u64 },
}

impl Seam {
    /// Wraps `inner` with this seam.
    pub fn wrap(self, inner: Arc<dyn Transport>) -> Arc<dyn Transport> {
        match self {
            Seam::ExtraRoundTripPerBatch => Arc::new(ExtraRoundTrip { inner }),
            Seam::FixedRetryWait { secs } => Arc::new(FixedRetryHint { inner, secs }),
        }
    }
}

/// Sends a `complexity` query before every item-creating request (the answer is dropped).
pub struct ExtraRoundTrip {
    inner: Arc<dyn Transport>,
}

/// The wasted query.
const COMPLEXITY_QUERY: &str =
    r#"{"query":"query { complexity { query after reset_in_x_seconds } }"}"#;

fn creates_items(body: &[u8]) -> bool {
    body.windows(b"create_item".len())
        .any(|w| w == b"create_item")
}

#[async_trait]
impl Transport for ExtraRoundTrip {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        if creates_items(&request.body) {
            let wasted = ApiRequest {
                body: bytes::Bytes::from_static(COMPLEXITY_QUERY.as_bytes()),
                idempotency_key: None,
                ..request.clone()
            };
            // The answer does not matter; a failure of the wasted query is not the batch's failure.
            let _ = self.inner.send(wasted).await;
        }
        self.inner.send(request).await
    }
}

/// Rewrites every rate-limit hint of a response to a fixed number of seconds.
pub struct FixedRetryHint {
    inner: Arc<dyn Transport>,
    secs: u64,
}

fn rewrite_hints(v: &mut Value, secs: u64) -> bool {
    let mut changed = false;
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "retry_in_seconds" && child.is_number() {
                    *child = Value::from(secs);
                    changed = true;
                } else {
                    changed |= rewrite_hints(child, secs);
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                changed |= rewrite_hints(child, secs);
            }
        }
        _ => {}
    }
    changed
}

#[async_trait]
impl Transport for FixedRetryHint {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let mut resp = self.inner.send(request).await?;
        for (name, value) in &mut resp.headers {
            if name.eq_ignore_ascii_case("retry-after") {
                *value = self.secs.to_string();
            }
        }
        if let Ok(mut json) = serde_json::from_slice::<Value>(&resp.body) {
            if rewrite_hints(&mut json, self.secs) {
                if let Ok(bytes) = serde_json::to_vec(&json) {
                    resp.body = bytes::Bytes::from(bytes);
                }
            }
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    /// Answers every request with one fixed response and remembers the bodies it saw.
    struct Canned {
        resp: ApiResponse,
        seen: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Transport for Canned {
        async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
            self.seen
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&request.body).into_owned());
            Ok(self.resp.clone())
        }
    }

    fn request(body: &str) -> ApiRequest {
        ApiRequest {
            body: bytes::Bytes::from(body.to_string()),
            token: "t".into(),
            api_version: "2026-10".into(),
            idempotency_key: Some("k".into()),
            timeout: Duration::from_secs(5),
        }
    }

    fn canned(status: u16, headers: &[(&str, &str)], body: &str) -> Arc<Canned> {
        Arc::new(Canned {
            resp: ApiResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: bytes::Bytes::from(body.to_string()),
            },
            seen: Mutex::new(Vec::new()),
        })
    }

    #[tokio::test]
    async fn an_extra_query_goes_before_creates_only() {
        let inner = canned(200, &[], "{}");
        let t = Seam::ExtraRoundTripPerBatch.wrap(inner.clone());
        t.send(request(
            r#"{"query":"mutation { a: create_item(x: 1) { id } }"}"#,
        ))
        .await
        .unwrap();
        t.send(request(r#"{"query":"query { boards { id } }"}"#))
            .await
            .unwrap();
        let seen = inner.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen[0].contains("complexity") && seen[1].contains("create_item"));
    }

    #[tokio::test]
    async fn rate_limit_hints_become_the_fixed_wait() {
        let inner = canned(
            429,
            &[("retry-after", "37")],
            r#"{"errors":[{"message":"x","extensions":{"code":"C","retry_in_seconds":37}}]}"#,
        );
        let t = Seam::FixedRetryWait { secs: 1 }.wrap(inner);
        let resp = t.send(request("{}")).await.unwrap();
        assert_eq!(resp.header("retry-after"), Some("1"));
        let v: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(v["errors"][0]["extensions"]["retry_in_seconds"], 1);
    }
}
