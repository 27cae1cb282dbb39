//! [`SimTransport`]: monday-perf's in-process transport, recording every attempt.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use mock_monday::Simulator;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError, UrlRequest};
use serde_json::Value;

use monday_perf::replay::transport::InProcessTransport;

/// What kind of operation a request carried (read from its GraphQL text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReqKind {
    CreateItem,
    Update,
    CreateGroup,
    Read,
}

/// One attempt as the transport saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub kind: ReqKind,
    /// Number of `create_item(` root fields in the document.
    pub create_fields: usize,
    pub idempotency_key: Option<String>,
    /// HTTP status, or None for a reset / client timeout.
    pub status: Option<u16>,
    pub body: String,
}

/// Classifies a GraphQL request body.
pub fn classify(body: &[u8]) -> (ReqKind, usize) {
    let query = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("query").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    let creates = query.matches("create_item").count();
    let kind = if creates > 0 {
        ReqKind::CreateItem
    } else if query.contains("change_multiple_column_values")
        || query.contains("change_column_value")
        || query.contains("change_simple_column_value")
    {
        ReqKind::Update
    } else if query.contains("create_group") {
        ReqKind::CreateGroup
    } else {
        ReqKind::Read
    };
    (kind, creates)
}

/// monday-perf's [`InProcessTransport`] (the simulator core, its delay slept on tokio's clock),
/// with every attempt recorded.
pub struct SimTransport {
    pub sim: Arc<Simulator>,
    inner: InProcessTransport,
    attempts: Mutex<Vec<Attempt>>,
    keep_bodies: bool,
}

impl SimTransport {
    pub fn new(sim: Arc<Simulator>) -> Arc<Self> {
        Arc::new(SimTransport {
            inner: InProcessTransport::new(sim.clone()),
            sim,
            attempts: Mutex::new(Vec::new()),
            keep_bodies: false,
        })
    }

    /// Same, but keeps each response body (for small runs that inspect them).
    pub fn with_bodies(sim: Arc<Simulator>) -> Arc<Self> {
        Arc::new(SimTransport {
            inner: InProcessTransport::new(sim.clone()),
            sim,
            attempts: Mutex::new(Vec::new()),
            keep_bodies: true,
        })
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().expect("attempts lock").clone()
    }

    /// Attempts of one kind.
    pub fn count(&self, kind: ReqKind) -> usize {
        self.attempts
            .lock()
            .expect("attempts lock")
            .iter()
            .filter(|a| a.kind == kind)
            .count()
    }

    /// Distinct logical requests of one kind (distinct idempotency keys; attempts without a key
    /// count one each).
    pub fn logical(&self, kind: ReqKind) -> usize {
        let attempts = self.attempts.lock().expect("attempts lock");
        let mut keys = HashSet::new();
        let mut unkeyed = 0;
        for a in attempts.iter().filter(|a| a.kind == kind) {
            match &a.idempotency_key {
                Some(k) => {
                    keys.insert(k.clone());
                }
                None => unkeyed += 1,
            }
        }
        keys.len() + unkeyed
    }

    /// Attempts by HTTP status (`None` = reset or timeout).
    pub fn by_status(&self) -> BTreeMap<Option<u16>, usize> {
        let mut out = BTreeMap::new();
        for a in self.attempts.lock().expect("attempts lock").iter() {
            *out.entry(a.status).or_insert(0) += 1;
        }
        out
    }
}

#[async_trait]
impl Transport for SimTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let (kind, create_fields) = classify(&request.body);
        let idempotency_key = request.idempotency_key.clone();
        let result = self.inner.send(request).await;
        let (status, body) = match &result {
            Ok(resp) if self.keep_bodies => (
                Some(resp.status),
                String::from_utf8_lossy(&resp.body).into_owned(),
            ),
            Ok(resp) => (Some(resp.status), String::new()),
            Err(_) => (None, String::new()),
        };
        self.attempts.lock().expect("attempts lock").push(Attempt {
            kind,
            create_fields,
            idempotency_key,
            status,
            body,
        });
        result
    }

    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

/// Bytes as a `Bytes` body.
pub fn body(text: impl Into<Vec<u8>>) -> Bytes {
    Bytes::from(text.into())
}
