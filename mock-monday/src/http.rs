//! The wiremock face: [`MockMonday`] starts a wiremock `MockServer` whose single custom
//! [`Respond`] hands every request to the [`Simulator`] core and sets the (scaled) delay. No
//! GraphQL, limits or latency logic lives here.
//!
//! wiremock cannot drop a connection, so [`Delivery::Reset`] is answered with the closest
//! thing: HTTP 502, an empty body, `connection: close` and `x-mock-monday-fault: reset`
//! (`mock-monday serve` truly drops the connection instead).

use std::sync::Arc;

use serde_json::Value;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::config::{LatencyProfile, Plan, SetupError, SimConfig, TokenKind};
use crate::core::{CoreRequest, CoreResponse, Delivery, Simulator};
use crate::faults::FaultConfig;
use crate::stats::Stats;
use crate::store::Fixture;

/// Builder of a simulator behind a wiremock server (for Rust tests).
#[derive(Debug, Clone, Default)]
pub struct MockMonday {
    config: SimConfig,
    record_requests: bool,
}

impl MockMonday {
    /// Defaults: realistic latency, Pro plan, personal token, seed 0, time scale 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Latency profile.
    pub fn profile(mut self, profile: LatencyProfile) -> Self {
        self.config.profile = profile;
        self
    }

    /// Account plan.
    pub fn plan(mut self, plan: Plan) -> Self {
        self.config.plan = plan;
        self
    }

    /// Token kind.
    pub fn token_kind(mut self, kind: TokenKind) -> Self {
        self.config.token_kind = kind;
        self
    }

    /// Seed of every random choice.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Wall seconds per simulated second.
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.config.time_scale = scale;
        self
    }

    /// Reported durations in simulated (default) or wall seconds ([`crate::config::ReportDurations`]).
    pub fn report_durations(mut self, report: crate::config::ReportDurations) -> Self {
        self.config.report_durations = report;
        self
    }

    /// Boards to start with.
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.config.fixture = fixture;
        self
    }

    /// Injected faults.
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.config.faults = faults;
        self
    }

    /// Only accept this `Authorization` token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.config.token = Some(token.into());
        self
    }

    /// Board write locks (`off`, `strict` (default), probability per overlap).
    pub fn board_lock(mut self, lock: crate::limits::BoardLock) -> Self {
        self.config.board_lock = lock;
        self
    }

    /// Keep a request log of at most `capacity` entries (`GET /__admin/requests`; 0 = off).
    pub fn request_log(mut self, capacity: usize) -> Self {
        self.config.request_log_capacity = capacity;
        self
    }

    /// Keep wiremock's request recording (off by default: it grows without bound).
    pub fn record_requests(mut self, on: bool) -> Self {
        self.record_requests = on;
        self
    }

    /// Replaces the whole configuration.
    pub fn config(mut self, config: SimConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the simulator and starts the wiremock server.
    pub async fn start(self) -> Result<MockMondayServer, SetupError> {
        let sim = Arc::new(Simulator::new(self.config)?);
        let mut builder = MockServer::builder();
        if !self.record_requests {
            builder = builder.disable_request_recording();
        }
        let server = builder.start().await;
        sim.set_base_url(server.uri());
        Mock::given(wiremock::matchers::any())
            .respond_with(CoreResponder { sim: sim.clone() })
            .mount(&server)
            .await;
        Ok(MockMondayServer { server, sim })
    }
}

/// A running wiremock face.
pub struct MockMondayServer {
    server: MockServer,
    sim: Arc<Simulator>,
}

impl std::fmt::Debug for MockMondayServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockMondayServer")
            .field("uri", &self.uri())
            .finish_non_exhaustive()
    }
}

impl MockMondayServer {
    /// The API URL, `http://127.0.0.1:PORT/v2`.
    pub fn uri(&self) -> String {
        format!("{}/v2", self.server.uri())
    }

    /// The server root, `http://127.0.0.1:PORT` (admin endpoints live under `/__admin/`).
    pub fn base_uri(&self) -> String {
        self.server.uri()
    }

    /// The simulator's counters.
    pub fn stats(&self) -> Stats {
        self.sim.stats()
    }

    /// A board's items (same JSON as `GET /__admin/boards/{id}/items`).
    pub fn board_items(&self, board_id: &str) -> Option<Value> {
        self.sim.board_items(board_id)
    }

    /// One column's text for every item on a board, without building the JSON (see
    /// [`Simulator::board_column_texts`]).
    pub fn board_column_texts(&self, board_id: &str, column_id: &str) -> Option<Vec<String>> {
        self.sim.board_column_texts(board_id, column_id)
    }

    /// The core (for in-process use next to HTTP).
    pub fn simulator(&self) -> Arc<Simulator> {
        self.sim.clone()
    }

    /// Requests wiremock recorded (only with `record_requests(true)`).
    pub async fn received_requests(&self) -> Option<Vec<Request>> {
        self.server.received_requests().await
    }
}

/// The custom `Respond`: request -> core -> response template with the scaled delay.
struct CoreResponder {
    sim: Arc<Simulator>,
}

impl Respond for CoreResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = match request.url.query() {
            Some(q) => format!("{}?{q}", request.url.path()),
            None => request.url.path().to_string(),
        };
        let method = request.method.as_str();
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let resp = match crate::admin::handle(&self.sim, method, &path, authorization) {
            Some(r) => r,
            None => self.sim.handle(CoreRequest {
                method: method.to_string(),
                path,
                headers: request
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_ascii_lowercase(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: bytes::Bytes::copy_from_slice(&request.body),
                client_ip: None,
            }),
        };
        template(&resp, self.sim.clock().to_wall(resp.delay))
    }
}

fn template(resp: &CoreResponse, wall_delay: std::time::Duration) -> ResponseTemplate {
    let (status, body): (u16, &[u8]) = match resp.delivery {
        Delivery::Respond => (resp.status, &resp.body),
        Delivery::Reset => (502, b""),
    };
    let mut t = ResponseTemplate::new(status);
    let mut content_type = "application/json";
    for (k, v) in &resp.headers {
        if k == "content-type" {
            content_type = v;
        } else {
            t = t.append_header(k.as_str(), v.as_str());
        }
    }
    if resp.delivery == Delivery::Reset {
        t = t
            .append_header("connection", "close")
            .append_header("x-mock-monday-fault", "reset");
    }
    t = t.set_body_raw(body.to_vec(), content_type);
    // A zero delay must not become a timer: `tokio::time::sleep(0)` still waits for the next
    // timer tick (about a millisecond), which would dominate an instant-profile request.
    if wall_delay.is_zero() {
        t
    } else {
        t.set_delay(wall_delay)
    }
}
