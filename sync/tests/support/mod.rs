//! Test support: a [`Transport`] over the in-process simulator core (virtual time), an observer
//! that counts requests by kind, and record generators.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mock_monday::{CoreRequest, DispatchOutcome, SimConfig, Simulator};
use monday_sync::config::SyncConfig;
use monday_sync::engine::{ActivityEvent, RecordEvent, RequestEvent, RequestKind, SyncObserver};
use monday_sync::transport::{
    path_and_query, ApiRequest, ApiResponse, Transport, TransportError, UrlMethod, UrlRequest,
};
use serde_json::{json, Map, Value};

pub const BOARD: &str = "1234567890";
pub const TOKEN: &str = "test-token-SECRET-0123456789";

/// Calls `Simulator::dispatch` directly; all delays are slept on tokio's (paused) clock.
pub struct SimTransport {
    pub sim: Arc<Simulator>,
}

#[async_trait]
impl Transport for SimTransport {
    async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
        let mut headers = vec![
            ("authorization".to_string(), r.token.clone()),
            ("api-version".to_string(), r.api_version.clone()),
            ("content-type".to_string(), "application/json".to_string()),
        ];
        if let Some(k) = &r.idempotency_key {
            headers.push(("idempotency-key".to_string(), k.clone()));
        }
        let req = CoreRequest {
            method: "POST".into(),
            path: "/v2".into(),
            headers,
            body: r.body,
            client_ip: None,
        };
        match self.sim.dispatch(req, r.timeout).await {
            DispatchOutcome::Response(resp) => Ok(ApiResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            }),
            DispatchOutcome::Reset => Err(TransportError::Reset(
                "connection reset by simulator".into(),
            )),
            DispatchOutcome::TimedOut => Err(TransportError::Timeout),
        }
    }

    async fn send_url(&self, r: UrlRequest) -> Result<ApiResponse, TransportError> {
        let req = url_request(&r);
        match self.sim.dispatch(req, r.timeout).await {
            DispatchOutcome::Response(resp) => Ok(ApiResponse {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            }),
            DispatchOutcome::Reset => Err(TransportError::Reset(
                "connection reset by simulator".into(),
            )),
            DispatchOutcome::TimedOut => Err(TransportError::Timeout),
        }
    }
}

/// The `CoreRequest` a real client makes of a pre-signed URL request: no `Authorization`.
pub fn url_request(r: &UrlRequest) -> CoreRequest {
    let (method, headers) = match r.method {
        UrlMethod::Put => (
            "PUT",
            vec![("content-type".to_string(), "text/csv".to_string())],
        ),
        UrlMethod::Get => ("GET", vec![]),
    };
    CoreRequest {
        method: method.into(),
        path: path_and_query(&r.url).to_string(),
        headers,
        body: r.body.clone(),
        client_ip: None,
    }
}

/// Simulator with `cfg` (instant latency unless set) and its transport.
pub fn sim(cfg: SimConfig) -> (Arc<Simulator>, Arc<SimTransport>) {
    let sim = Arc::new(Simulator::new(cfg).expect("simulator"));
    (sim.clone(), Arc::new(SimTransport { sim }))
}

/// Counts requests per kind and keeps every event.
#[derive(Default)]
pub struct Counter {
    pub requests: Mutex<HashMap<RequestKind, u64>>,
    pub events: Mutex<Vec<RequestEvent>>,
    pub records: Mutex<Vec<RecordEvent>>,
    pub activity: Mutex<Vec<ActivityEvent>>,
}

impl Counter {
    pub fn count(&self, k: RequestKind) -> u64 {
        self.requests.lock().unwrap().get(&k).copied().unwrap_or(0)
    }
}

impl SyncObserver for Counter {
    fn request_finished(&self, ev: &RequestEvent) {
        *self.requests.lock().unwrap().entry(ev.kind).or_default() += 1;
        self.events.lock().unwrap().push(ev.clone());
    }
    fn record_finished(&self, ev: &RecordEvent) {
        self.records.lock().unwrap().push(ev.clone());
    }
    fn activity(&self, ev: &ActivityEvent) {
        self.activity.lock().unwrap().push(*ev);
    }
}

/// The worked example config.
pub fn example_config() -> SyncConfig {
    SyncConfig::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/order_list.toml"
    ))
    .expect("config")
}

const COLOURS: [&str; 3] = ["Black", "White", "Navy"];
const CUSTOMERS: [&str; 4] = [
    "Acme Apparel",
    "Nordwind Textil",
    "Café Lumière",
    "Blue Harbor Co",
];

/// Order record `i` (deterministic, every field set, known labels only).
pub fn record(i: usize) -> Map<String, Value> {
    json!({
        "order_id": format!("ORD-{i:06}"),
        "customer": CUSTOMERS[i % CUSTOMERS.len()],
        "po_number": format!("PO-{}", 80000 + i),
        "style": format!("ST-{} Tee", 1000 + i % 17),
        "colour": COLOURS[i % 3],
        "sizes": "S,M",
        "quantity": 10 + i,
        "unit_price": "4.75",
        "status": "New",
        "order_date": "2026-03-14",
        "ship_date": "2026-04-02",
        "contact_email": format!("buyer{i}@example.com"),
        "contact_phone": "+14155550100",
        "contact_country": "US",
        "tracking_url": format!("https://track.example/{i}"),
        "rush": (i & 1) == 0,
        "production_start": "2026-03-15",
        "production_end": "2026-03-30",
        "notes": "line one\nline two"
    })
    .as_object()
    .cloned()
    .unwrap()
}

pub fn records(n: usize) -> Vec<Map<String, Value>> {
    (0..n).map(record).collect()
}

/// Items on the board, keyed by the key column's text.
pub fn board_items_by_key(sim: &Simulator) -> HashMap<String, Vec<Value>> {
    let v = sim.board_items(BOARD).expect("board");
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for item in v["items"].as_array().cloned().unwrap_or_default() {
        let key = item["column_values"]["text_order_key"]["text"]
            .as_str()
            .unwrap_or("")
            .to_string();
        out.entry(key).or_default().push(item);
    }
    out
}

/// The run most tests make: `config` over `input` through the simulator, the test token,
/// in-memory state, no report, no observer, no request log. Tests that need more set those
/// fields with `RunParams { observer: ..., ..params(config, input, transport) }`.
pub fn params(
    config: SyncConfig,
    input: monday_sync::input::InputSource,
    transport: Arc<dyn monday_sync::transport::Transport>,
) -> monday_sync::engine::RunParams {
    monday_sync::engine::RunParams {
        config,
        input,
        transport,
        token: TOKEN.into(),
        state: monday_sync::state::StateSpec::InMemory,
        report_dir: None,
        dry_run: false,
        progress: false,
        observer: None,
        request_log: None,
    }
}
