//! [`HttpTransport`]: the production [`Transport`] over reqwest (rustls, connection reuse, per-request
//! timeout). The token goes only into the `Authorization` header and never into an error message.

use async_trait::async_trait;

use crate::error::SyncError;
use crate::transport::{ApiRequest, ApiResponse, Transport, TransportError, UrlMethod, UrlRequest};

/// reqwest-backed transport; cheap to share (one connection pool).
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    url: reqwest::Url,
}

impl HttpTransport {
    /// A transport posting to `api_url` (e.g. `https://api.monday.com/v2`).
    pub fn new(api_url: &str) -> Result<Self, SyncError> {
        let url = reqwest::Url::parse(api_url).map_err(|e| SyncError::BadUrl {
            url: api_url.to_string(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SyncError::BadUrl {
                url: api_url.to_string(),
                reason: "scheme must be http or https".into(),
            });
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .user_agent(concat!("monday-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| SyncError::HttpClient { source })?;
        Ok(HttpTransport { client, url })
    }
}

fn map_err(e: reqwest::Error) -> TransportError {
    // reqwest errors may embed the URL but never headers, so the token cannot leak through them.
    let (timeout, connect, reset) = (
        e.is_timeout(),
        e.is_connect(),
        e.is_request() || e.is_body() || e.is_decode(),
    );
    let msg = e.without_url().to_string();
    if timeout {
        TransportError::Timeout
    } else if connect {
        TransportError::Connect(msg)
    } else if reset {
        TransportError::Reset(msg)
    } else {
        TransportError::Other(msg)
    }
}

#[async_trait]
impl Transport for HttpTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let mut rb = self
            .client
            .post(self.url.clone())
            .timeout(request.timeout)
            .header("authorization", request.token)
            .header("api-version", request.api_version)
            .header("content-type", "application/json")
            .body(request.body);
        if let Some(k) = request.idempotency_key {
            rb = rb.header("idempotency-key", k);
        }
        read_response(rb.send().await.map_err(map_err)?).await
    }

    /// The upload (`PUT`, raw CSV bytes, `Content-Type: text/csv`) and the report download
    /// (`GET`) of the bulk import. No `Authorization` header: the URL is pre-signed
    /// (docs/monday-bulk-import.md §1.2).
    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        let rb = match request.method {
            UrlMethod::Put => self
                .client
                .put(&request.url)
                .header("content-type", "text/csv")
                .body(request.body),
            UrlMethod::Get => self.client.get(&request.url),
        };
        read_response(rb.timeout(request.timeout).send().await.map_err(map_err)?).await
    }
}

/// Status, lower-cased headers and body of a reqwest response.
async fn read_response(resp: reqwest::Response) -> Result<ApiResponse, TransportError> {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
        })
        .collect();
    let body = resp.bytes().await.map_err(map_err)?;
    Ok(ApiResponse {
        status,
        headers,
        body,
    })
}
