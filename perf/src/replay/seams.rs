//! Harness-side seams that simulate a client regression without a product setting.
//!
//! The tests that prove the gate bites need a client that wastes a round trip per batch, or one
//! that waits a fixed second instead of the API's `retry_in_seconds`; the tests that prove the
//! gate is bounded need a client that spins, blocks its thread or waits forever. Those are not
//! settings a user should be able to write, so they live here, as [`Transport`] wrappers the
//! harness puts between the real sync engine and the simulator (`RunOptions::seam` of the run
//! module).

use std::sync::Arc;

use async_trait::async_trait;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError, UrlRequest};
use serde_json::Value;

/// A regression injected by the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seam {
    /// A wasted `complexity` query before every request that creates items.
    ExtraRoundTripPerBatch,
    /// Every rate-limit hint (`retry_in_seconds`, `Retry-After`) rewritten to this many seconds, so
    /// the client behaves as one that waits a fixed time instead of what the API asks.
    FixedRetryWait { secs: u64 },
    /// After `requests` requests, every send spins: it yields to the runtime and never answers,
    /// so the runtime is never idle and the paused clock never advances (only the wall clock
    /// can see it).
    SpinAfter { requests: u64 },
    /// After `requests` requests, the next send blocks its thread for `secs` wall-clock seconds
    /// without yielding (a task that never yields blocks a current-thread runtime outright),
    /// then answers normally. Bounded so that a test process does not keep a busy thread.
    BlockAfter { requests: u64, secs: u64 },
    /// After `requests` requests, no send ever answers and nothing times out: the sync waits
    /// forever, on a paused clock with nothing to wake for.
    StallAfter { requests: u64 },
}

impl Seam {
    /// Wraps `inner` with this seam.
    pub fn wrap(self, inner: Arc<dyn Transport>) -> Arc<dyn Transport> {
        match self {
            Seam::ExtraRoundTripPerBatch => Arc::new(ExtraRoundTrip { inner }),
            Seam::FixedRetryWait { secs } => Arc::new(FixedRetryHint { inner, secs }),
            Seam::SpinAfter { requests } => Arc::new(Runaway::new(inner, requests, Stuck::Spin)),
            Seam::BlockAfter { requests, secs } => Arc::new(Runaway::new(
                inner,
                requests,
                Stuck::Block(std::time::Duration::from_secs(secs)),
            )),
            Seam::StallAfter { requests } => Arc::new(Runaway::new(inner, requests, Stuck::Stall)),
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

    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
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

    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

/// How a [`Runaway`] gets stuck.
#[derive(Debug, Clone, Copy)]
enum Stuck {
    Spin,
    Block(std::time::Duration),
    Stall,
}

/// Passes the first requests through, then gets stuck.
pub struct Runaway {
    inner: Arc<dyn Transport>,
    healthy: u64,
    sent: std::sync::atomic::AtomicU64,
    stuck: Stuck,
}

impl Runaway {
    fn new(inner: Arc<dyn Transport>, healthy: u64, stuck: Stuck) -> Self {
        Runaway {
            inner,
            healthy,
            sent: std::sync::atomic::AtomicU64::new(0),
            stuck,
        }
    }
}

#[async_trait]
impl Transport for Runaway {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let n = self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n >= self.healthy {
            match self.stuck {
                Stuck::Spin => loop {
                    tokio::task::yield_now().await;
                },
                Stuck::Block(d) => std::thread::sleep(d),
                Stuck::Stall => std::future::pending::<()>().await,
            }
        }
        self.inner.send(request).await
    }

    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
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
    async fn a_runaway_passes_the_first_requests_then_never_answers() {
        for seam in [
            Seam::SpinAfter { requests: 2 },
            Seam::StallAfter { requests: 2 },
        ] {
            let inner = canned(200, &[], "{}");
            let t = seam.wrap(inner.clone());
            for _ in 0..2 {
                t.send(request("{}")).await.expect("healthy");
            }
            // Polled by hand: a spin never lets a paused clock reach a timeout.
            let mut third = std::pin::pin!(t.send(request("{}")));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            for _ in 0..100 {
                assert!(
                    third.as_mut().poll(&mut cx).is_pending(),
                    "{seam:?}: the third request was answered"
                );
            }
            assert_eq!(inner.seen.lock().unwrap().len(), 2, "{seam:?}");
        }
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
