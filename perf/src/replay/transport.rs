//! [`InProcessTransport`]: the sync engine's [`Transport`] wired straight to the simulator core.
//!
//! Each [`ApiRequest`] becomes a `POST /v2` [`CoreRequest`] with the headers a real client sends,
//! and [`Simulator::dispatch`] sleeps the simulated latency on tokio's clock. On a current-thread
//! runtime with paused time, a 15-minute API run replays in well under a second, deterministically.

use std::sync::Arc;

use async_trait::async_trait;
use mock_monday::{CoreRequest, DispatchOutcome, Simulator};
use monday_sync::transport::{
    path_and_query, ApiRequest, ApiResponse, Transport, TransportError, UrlMethod, UrlRequest,
};

/// Calls the simulator in-process; cheap to clone and share across the engine's tasks.
#[derive(Clone)]
pub struct InProcessTransport {
    simulator: Arc<Simulator>,
}

impl InProcessTransport {
    /// A transport over `simulator`.
    pub fn new(simulator: Arc<Simulator>) -> Self {
        Self { simulator }
    }

    /// The simulator behind the transport.
    pub fn simulator(&self) -> &Arc<Simulator> {
        &self.simulator
    }
}

/// The `CoreRequest` a real HTTP client would produce for `request`.
pub fn core_request(request: &ApiRequest) -> CoreRequest {
    let mut headers = vec![
        ("authorization".to_string(), request.token.clone()),
        ("api-version".to_string(), request.api_version.clone()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    if let Some(key) = &request.idempotency_key {
        headers.push(("idempotency-key".to_string(), key.clone()));
    }
    CoreRequest {
        method: "POST".to_string(),
        path: "/v2".to_string(),
        headers,
        body: request.body.clone(),
        client_ip: None,
    }
}

#[async_trait]
impl Transport for InProcessTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let core = core_request(&request);
        match self.simulator.dispatch(core, request.timeout).await {
            DispatchOutcome::Response(resp) => Ok(ApiResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            }),
            DispatchOutcome::Reset => Err(TransportError::Reset(
                "connection reset by the simulator".to_string(),
            )),
            DispatchOutcome::TimedOut => Err(TransportError::Timeout),
        }
    }

    /// The bulk import's upload and report download, as a real client makes them: no token.
    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        let core = url_core_request(&request);
        match self.simulator.dispatch(core, request.timeout).await {
            DispatchOutcome::Response(resp) => Ok(ApiResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            }),
            DispatchOutcome::Reset => Err(TransportError::Reset(
                "connection reset by the simulator".to_string(),
            )),
            DispatchOutcome::TimedOut => Err(TransportError::Timeout),
        }
    }
}

/// The `CoreRequest` of a pre-signed URL request (`PUT` with `Content-Type: text/csv`, or
/// `GET`), with no `Authorization` header.
pub fn url_core_request(request: &UrlRequest) -> CoreRequest {
    let (method, headers) = match request.method {
        UrlMethod::Put => (
            "PUT",
            vec![("content-type".to_string(), "text/csv".to_string())],
        ),
        UrlMethod::Get => ("GET", vec![]),
    };
    CoreRequest {
        method: method.to_string(),
        path: path_and_query(&request.url).to_string(),
        headers,
        body: request.body.clone(),
        client_ip: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request(body: &str, key: Option<&str>) -> ApiRequest {
        ApiRequest {
            body: bytes::Bytes::from(body.to_string()),
            token: "tok".into(),
            api_version: "2026-10".into(),
            idempotency_key: key.map(str::to_string),
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn headers_match_a_real_client() {
        let core = core_request(&request("{}", Some("k1")));
        assert_eq!((core.method.as_str(), core.path.as_str()), ("POST", "/v2"));
        let get = |n: &str| {
            core.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("authorization"), Some("tok"));
        assert_eq!(get("api-version"), Some("2026-10"));
        assert_eq!(get("idempotency-key"), Some("k1"));
        assert_eq!(get("content-type"), Some("application/json"));
        assert!(core_request(&request("{}", None))
            .headers
            .iter()
            .all(|(k, _)| k != "idempotency-key"));
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_query_round_trips_in_virtual_time() {
        let sim = Arc::new(Simulator::new(mock_monday::SimConfig::default()).expect("simulator"));
        let t = InProcessTransport::new(sim.clone());
        let started = tokio::time::Instant::now();
        let resp = t
            .send(request(
                r#"{"query":"query { complexity { query after } }"}"#,
                None,
            ))
            .await
            .expect("response");
        assert_eq!(resp.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
        assert!(body["data"]["complexity"]["after"].is_u64(), "{body}");
        assert!(
            started.elapsed() > Duration::ZERO,
            "the realistic profile takes virtual time"
        );
        assert_eq!(sim.stats().requests_total, 1);
    }
}
