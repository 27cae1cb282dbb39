//! The transport-free simulator core: request in, (status, headers, body, delay) out.
//!
//! INTERFACE CONTRACT (used by the HTTP faces, monday-perf's in-process transport and tests):
//! - [`Simulator::new`] from a [`crate::config::SimConfig`]
//! - [`Simulator::handle`]: synchronous, decides everything at arrival time on the simulator clock
//! - [`Simulator::dispatch`]: async convenience that sleeps the delay on tokio's clock and applies
//!   the client's timeout (what an in-process transport calls)
//! - [`Simulator::stats`], [`Simulator::board_items`], [`Simulator::board_column_texts`],
//!   [`Simulator::reset`]

use std::time::Duration;

use bytes::Bytes;

/// One HTTP request as the core sees it.
#[derive(Debug, Clone)]
pub struct CoreRequest {
    pub method: String,
    /// Path with query string, e.g. `/v2` or `/v2/get_schema?format=sdl`.
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Caller address for the IP limit (None in-process: one client).
    pub client_ip: Option<String>,
}

/// How the connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Send status, headers and body after `delay`.
    Respond,
    /// Drop the connection after `delay` without a response (the `reset` fault).
    Reset,
}

/// The core's answer.
#[derive(Debug, Clone)]
pub struct CoreResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Simulated time until the response is complete (the face sleeps it, scaled).
    pub delay: Duration,
    pub delivery: Delivery,
}

/// Outcome of [`Simulator::dispatch`].
#[derive(Debug, Clone)]
pub enum DispatchOutcome {
    Response(CoreResponse),
    /// The connection was reset (after the fault's delay).
    Reset,
    /// The client's timeout passed first (after exactly `client_timeout`).
    TimedOut,
}

// ---------------------------------------------------------------------------------------------
// The simulator
// ---------------------------------------------------------------------------------------------

use std::sync::{Mutex, MutexGuard};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};

use crate::clock::{secs_until, SimClock};
use crate::config::{SetupError, SimConfig};
use crate::envelope::{self, BudgetExhausted, RequestError};
use crate::faults::{self, FailureAfterCommit, FaultKind, Storms};
use crate::graphql::{
    user_id_for_token, ComplexitySnapshot, ExecContext, GraphqlEngine, GraphqlRequest,
    OperationKind,
};
use crate::idempotency::{self, IdempotencyCache, Lookup, StoredResponse};
use crate::latency::LatencyModel;
use crate::limits::board_lock::{LOCKED_CODE, LOCKED_MESSAGE};
use crate::limits::{query_depth, Budgets, DailyLimit, InFlight, IpLimits, WindowCounter};
use crate::request_log::{Answered, RequestFacts, RequestLog, RequestLogEntry};
use crate::stats::Stats;
use crate::store::Store;
use crate::version::{ApiVersion, ErrorStyle};

/// RNG streams derived from the one seed, so that e.g. enabling faults does not shift latencies.
const STREAM_LATENCY: u64 = 1;
const STREAM_FAULTS: u64 = 2;
const STREAM_IDS: u64 = 3;
const STREAM_STORMS: u64 = 4;
const STREAM_LOCKS: u64 = 5;

/// Key of in-process callers in the IP limiter.
const LOCAL_IP: &str = "local";

/// Mutable simulator state (behind the mutex).
struct State {
    store: Store,
    rng_latency: ChaCha8Rng,
    rng_faults: ChaCha8Rng,
    rng_ids: ChaCha8Rng,
    /// Draws of the probabilistic board lock (`BoardLock::Probability`).
    rng_locks: ChaCha8Rng,
    /// The 429 storms of the `storm` fault (with their own stream).
    storms: Storms,
    minute: WindowCounter,
    ip: IpLimits,
    daily: Option<DailyLimit>,
    budgets: Budgets,
    in_flight: InFlight,
    idempotency: IdempotencyCache,
    stats: Stats,
    request_log: RequestLog,
}

/// Per-request facts the envelope needs.
struct Ctx {
    now: Duration,
    request_id: String,
    version: ApiVersion,
    style: ErrorStyle,
    /// Which complexity bucket the rate-limit headers describe (app tokens).
    write: bool,
    /// The token's user (set once authenticated).
    user_id: u64,
    /// What the request log records about this request.
    facts: RequestFacts,
}

/// The transport-free monday.com API simulator. `Send + Sync`; share it as `Arc<Simulator>`.
///
/// # Pipeline
/// [`handle`](Self::handle) decides everything at arrival time on the simulator clock, in this
/// order (the first stage that answers ends the request):
/// 1. route: `POST /v2`; `GET /v2/get_schema?format=sdl` returns the SDL text; others 404;
/// 2. auth: 401 without `Authorization` (or with another token when `SimConfig::token` is set);
/// 3. `API-Version`: malformed -> `InvalidVersionException` (HTTP 200);
/// 4. body size (413 over `limits.max_body_bytes`);
/// 5. IP limit, 6. 429 storm (the `storm` fault: refused like the minute limit while it
///    lasts), minute limit, 7. daily limit (per plan, resets at midnight UTC), 8. concurrency limit
///    (requests whose arrival + delay lies after now) -> 429 with `Retry-After`;
/// 9. `Idempotency-Key`: replay (`Idempotency-Replayed: true`) or 409 while the first is in flight;
/// 10. JSON parse (400 `JsonParseException`), variables (object; a JSON string is refused from
///     2025-04), query depth guard;
/// 11. GraphQL prepare (validation errors, HTTP 200);
/// 12. per-request complexity cap; 13. complexity budget (429 `COMPLEXITY_BUDGET_EXHAUSTED`,
///     shape by version); throttled requests cost nothing;
/// 14. board write lock (423 + `Retry-After`, `SimConfig::board_lock`), then faults (423 lock,
///     5xx, reset, slow, commit_then_fail);
/// 15. execute against the store, charge the complexity;
/// 16. latency (504 over the gateway timeout);
/// 17. envelope: `extensions.request_id`, `API-Version`, `RateLimit-Policy`, `RateLimit`.
pub struct Simulator {
    config: SimConfig,
    engine: GraphqlEngine,
    latency: LatencyModel,
    clock: SimClock,
    state: Mutex<State>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

fn header<'a>(req: &'a CoreRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The outcome of one pipeline stage that answers the request.
struct Answer {
    status: u16,
    body: Value,
    extra_headers: Vec<(String, String)>,
    delay: Duration,
    delivery: Delivery,
    /// Not JSON (504 gateway timeout page): sent as is.
    raw: Option<(&'static str, Bytes)>,
}

impl Answer {
    fn json(status: u16, body: Value, delay: Duration) -> Self {
        Self {
            status,
            body,
            extra_headers: Vec::new(),
            delay,
            delivery: Delivery::Respond,
            raw: None,
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.to_string(), value.into()));
        self
    }
}

const GATEWAY_TIMEOUT_PAGE: &str = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";

impl Simulator {
    /// Builds a simulator (loads the `--schema` SDL when given).
    pub fn new(config: SimConfig) -> Result<Simulator, SetupError> {
        config.validate()?;
        config
            .faults
            .validate()
            .map_err(|e| SetupError::Invalid(e.to_string()))?;
        let engine = match &config.schema_sdl {
            Some(sdl) => GraphqlEngine::from_sdl(sdl, "--schema")?,
            None => GraphqlEngine::embedded(),
        };
        let latency = LatencyModel::new(config.profile.settings());
        let clock = SimClock::new(config.time_scale).starting_at(config.start_offset()?);
        let state = Mutex::new(Self::fresh_state(&config));
        Ok(Self {
            config,
            engine,
            latency,
            clock,
            state,
        })
    }

    fn fresh_state(config: &SimConfig) -> State {
        let l = &config.limits;
        let budgets = Budgets::for_token(config.token_kind, l);
        State {
            store: Store::from_fixture(&config.fixture),
            rng_latency: stream_rng(config.seed, STREAM_LATENCY),
            rng_faults: stream_rng(config.seed, STREAM_FAULTS),
            rng_ids: stream_rng(config.seed, STREAM_IDS),
            rng_locks: stream_rng(config.seed, STREAM_LOCKS),
            storms: Storms::new(stream_rng(config.seed, STREAM_STORMS)),
            minute: WindowCounter::new(l.minute_requests(config.plan), Duration::from_secs(60)),
            ip: IpLimits::new(l.ip_requests, Duration::from_secs(l.ip_window_secs)),
            daily: l
                .daily_enabled
                .then(|| DailyLimit::new(l.daily(config.plan))),
            budgets,
            in_flight: InFlight::default(),
            idempotency: IdempotencyCache::new(Duration::from_secs(l.idempotency_ttl_secs)),
            stats: Stats::default(),
            request_log: RequestLog::new(config.request_log_capacity),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The configuration this simulator runs with.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The simulator clock (faces use it to scale delays).
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        let now = self.clock.now();
        let st = self.lock();
        let mut s = st.stats.clone();
        s.items_current = st.store.items_total();
        s.concurrent_peak = st.in_flight.peak() as u64;
        s.simulated_seconds = now.saturating_sub(self.clock.offset()).as_secs_f64();
        s.request_log_dropped_total = st.request_log.dropped();
        s
    }

    /// Request-log entries with `seq >= since` (empty when the log is off; see
    /// [`crate::request_log`]).
    pub fn request_log(&self, since: u64) -> Vec<RequestLogEntry> {
        self.lock().request_log.since(since).cloned().collect()
    }

    /// The request log from `since` as NDJSON (what `GET /__admin/requests?since=N` answers).
    pub fn request_log_ndjson(&self, since: u64) -> Vec<u8> {
        self.lock().request_log.ndjson(since)
    }

    /// A board's items as the admin endpoint shows them, or None for an unknown board.
    pub fn board_items(&self, board_id: &str) -> Option<Value> {
        self.lock().store.board_items_json(board_id)
    }

    /// One column's text for every item on a board (board order; archived included, deleted
    /// left out), exactly the `column_values.<column_id>.text` of [`Simulator::board_items`],
    /// without building the JSON of every item: what a duplicate/lost check needs at a fraction
    /// of the memory. `name` gives item names; a column the board lacks gives `""` per item.
    /// None for an unknown board.
    pub fn board_column_texts(&self, board_id: &str, column_id: &str) -> Option<Vec<String>> {
        self.lock().store.board_column_texts(board_id, column_id)
    }

    /// Back to the initial state (fixture, limits, caches, counters, RNG streams).
    pub fn reset(&self) {
        let fresh = Self::fresh_state(&self.config);
        *self.lock() = fresh;
    }

    /// Handles one request: decides status, headers, body and the (simulated) delay.
    pub fn handle(&self, req: CoreRequest) -> CoreResponse {
        let now = self.clock.now();
        let mut st = self.lock();
        let st = &mut *st;
        let request_id = request_id(&mut st.rng_ids);
        // Shape errors by the requested version even before it is validated.
        let version = ApiVersion::resolve(header(&req, "api-version"))
            .unwrap_or_else(|_| ApiVersion::current());
        let mut ctx = Ctx {
            now,
            request_id,
            version,
            style: version.error_style(),
            write: false,
            user_id: 0,
            facts: RequestFacts::default(),
        };
        st.stats.requests_total += 1;
        let answer = self.pipeline(st, &mut ctx, &req);
        let resp = self.finish(st, &ctx, answer);
        match resp.delivery {
            Delivery::Respond => st.stats.count_status(resp.status),
            Delivery::Reset => st.stats.resets_total += 1,
        }
        if st.request_log.is_on() {
            st.request_log.push(Answered {
                // Time since the simulation started (the clock itself counts from its start date).
                arrival: now.saturating_sub(self.clock.offset()),
                latency: resp.delay,
                status: (resp.delivery == Delivery::Respond).then_some(resp.status),
                body: &req.body,
                idempotency_key: header(&req, "idempotency-key"),
                facts: std::mem::take(&mut ctx.facts),
            });
        }
        tracing::trace!(
            status = resp.status,
            delay_ms = resp.delay.as_millis() as u64,
            "mock-monday answered"
        );
        resp
    }

    /// Handles `req`, then sleeps its (scaled) delay on tokio's clock. If the delay exceeds
    /// `client_timeout` (a tokio duration), sleeps `client_timeout` and returns `TimedOut`.
    pub async fn dispatch(&self, req: CoreRequest, client_timeout: Duration) -> DispatchOutcome {
        let resp = self.handle(req);
        let wall = self.clock.to_wall(resp.delay);
        if wall > client_timeout {
            tokio::time::sleep(client_timeout).await;
            return DispatchOutcome::TimedOut;
        }
        tokio::time::sleep(wall).await;
        match resp.delivery {
            Delivery::Respond => DispatchOutcome::Response(resp),
            Delivery::Reset => DispatchOutcome::Reset,
        }
    }

    fn refused(&self, st: &mut State, status: u16, body: Value) -> Answer {
        let delay = self.latency.refused_delay(&mut st.rng_latency);
        Answer::json(status, body, delay)
    }

    fn throttled(
        &self,
        st: &mut State,
        now: Duration,
        facts: &mut RequestFacts,
        kind: &str,
        retry_in: u64,
        body: Value,
    ) -> Answer {
        facts.throttled = Some(throttle_code(kind));
        st.stats.count_throttle(kind);
        if let Some(d) = st.daily.as_mut() {
            d.charge_throttled(now);
        }
        self.refused(st, 429, body)
            .header("retry-after", retry_in.to_string())
    }

    fn pipeline(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Answer {
        let limits = &self.config.limits;
        let now = ctx.now;
        // 1. route
        let (path, query) = req.path.split_once('?').unwrap_or((req.path.as_str(), ""));
        let path = path.trim_end_matches('/');
        let method = req.method.to_ascii_uppercase();
        if path == "/v2/get_schema" && method == "GET" {
            return self.schema_answer(st, query);
        }
        if path != "/v2" {
            let e = RequestError::new(
                404,
                "NOT_FOUND",
                format!("No route for {method} {path}; the API is POST /v2"),
            );
            return self.refused(st, 404, envelope::request_error(ctx.style, &e));
        }
        if method != "POST" {
            let msg = if query.contains("query=") {
                "GraphQL queries must be sent in the request body (POST /v2)"
            } else {
                "Bad request: the API takes POST /v2 with a JSON body"
            };
            let e = RequestError::new(400, "BadRequest", msg);
            return self.refused(st, 400, envelope::request_error(ctx.style, &e));
        }
        // 2. auth
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
            return self.refused(st, 401, envelope::request_error(ctx.style, &e));
        }
        ctx.user_id = user_id_for_token(auth);
        // 3. API-Version
        if let Err(bad) = ApiVersion::resolve(header(req, "api-version")) {
            ctx.version = ApiVersion::current();
            ctx.style = ctx.version.error_style();
            let e = RequestError::new(200, "InvalidVersionException", format!("{bad}"))
                .data(json!({ "version": bad.0 }));
            return self.refused(st, 200, envelope::request_error(ctx.style, &e));
        }
        // 4. body size
        if req.body.len() > limits.max_body_bytes {
            let e = RequestError::new(
                413,
                "PAYLOAD_TOO_LARGE",
                format!(
                    "Request body of {} bytes exceeds the limit of {} bytes",
                    req.body.len(),
                    limits.max_body_bytes
                ),
            );
            return self.refused(st, 413, envelope::request_error(ctx.style, &e));
        }
        // 5. IP limit
        let ip = req.client_ip.as_deref().unwrap_or(LOCAL_IP);
        if let Err(at) = st.ip.try_acquire(now, ip) {
            let retry = secs_until(now, at);
            let e = RequestError::new(429, "IP_RATE_LIMIT_EXCEEDED", "IP rate limit exceeded")
                .retry_in(retry);
            return self.throttled(
                st,
                now,
                &mut ctx.facts,
                "ip",
                retry,
                envelope::request_error(ctx.style, &e),
            );
        }
        // 6. 429 storm (fault), then the minute limit
        if let Some(storm) = st.storms.at(now, &self.config.faults) {
            if storm.started {
                st.stats.storms_started_total += 1;
            }
            let retry = secs_until(now, storm.until);
            st.stats.count_fault(FaultKind::Storm);
            return self.throttled(
                st,
                now,
                &mut ctx.facts,
                "storm",
                retry,
                envelope::minute_limit(ctx.style, retry),
            );
        }
        if let Err(at) = st.minute.try_acquire(now) {
            let retry = secs_until(now, at);
            return self.throttled(
                st,
                now,
                &mut ctx.facts,
                "minute",
                retry,
                envelope::minute_limit(ctx.style, retry),
            );
        }
        // 7. daily limit
        if let Some(Err(at)) = st.daily.as_mut().map(|d| d.allowed(now)) {
            let retry = secs_until(now, at);
            let e = RequestError::new(429, "DAILY_LIMIT_EXCEEDED", "Daily limit exceeded")
                .retry_in(retry);
            return self.throttled(
                st,
                now,
                &mut ctx.facts,
                "daily",
                retry,
                envelope::request_error(ctx.style, &e),
            );
        }
        // 8. concurrency limit
        let concurrency = limits.concurrency(self.config.plan) as usize;
        if let Err(at) = st.in_flight.admit(now, concurrency) {
            let retry = secs_until(now, at);
            let e = RequestError::new(429, "maxConcurrencyExceeded", "Concurrency limit exceeded")
                .retry_in(retry);
            return self.throttled(
                st,
                now,
                &mut ctx.facts,
                "concurrency",
                retry,
                envelope::request_error(ctx.style, &e),
            );
        }
        let answer = self.admitted(st, ctx, req);
        st.in_flight.add(now, now + answer.0.delay, answer.1);
        answer.0
    }

    /// Stages 9-16 for a request that passed the rate limiters. Returns the answer and the
    /// boards it wrote (for the in-flight table).
    fn admitted(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> (Answer, Vec<String>) {
        let limits = &self.config.limits;
        let now = ctx.now;
        let none = Vec::new;
        // 9. idempotency
        let idem_key =
            idempotency::cache_key(header(req, "idempotency-key"), header(req, "authorization"));
        if let Some(key) = &idem_key {
            match st.idempotency.lookup(now, key) {
                Lookup::Miss => {}
                Lookup::InFlight(at) => {
                    st.stats.idempotency_conflicts_total += 1;
                    let retry = secs_until(now, at);
                    let e = RequestError::new(
                        409,
                        "IDEMPOTENCY_CONFLICT",
                        "A request with this Idempotency-Key is still being processed",
                    )
                    .retry_in(retry);
                    let a = self
                        .refused(st, 409, envelope::request_error(ctx.style, &e))
                        .header("retry-after", retry.to_string());
                    return (a, none());
                }
                Lookup::Replay(stored) => {
                    st.stats.idempotent_replays_total += 1;
                    ctx.facts.replay = true;
                    let delay = self.latency.refused_delay(&mut st.rng_latency);
                    let mut a = Answer::json(stored.status, Value::Null, delay);
                    a.raw = Some(("application/json", stored.body));
                    a.extra_headers = idempotency::replay_headers(stored.headers);
                    return (a, none());
                }
            }
        }
        // 10. JSON body
        let parsed = match self.parse_body(ctx, req) {
            Ok(p) => p,
            Err(e) => {
                let status = e.status;
                return (
                    self.refused(st, status, envelope::request_error(ctx.style, &e)),
                    none(),
                );
            }
        };
        // A cached text passed this guard before it was parsed (the limit is fixed per simulator).
        let guard = if self.engine.is_known_valid(&parsed.query) {
            Ok(0)
        } else {
            query_depth(&parsed.query, limits.max_query_depth)
        };
        if let Err(g) = guard {
            let body = envelope::graphql_errors(vec![json!({ "message": g.to_string(),
                "extensions": { "code": "QUERY_TOO_DEEP", "status_code": 200 } })]);
            return (self.refused(st, 200, body), none());
        }
        // 11. GraphQL prepare
        let gql = GraphqlRequest {
            query: &parsed.query,
            operation_name: parsed.operation_name.as_deref(),
            variables: &parsed.variables,
        };
        let op = match self.engine.prepare(&gql, &self.config.costs) {
            Ok(op) => op,
            Err(errors) => {
                return (
                    self.refused(st, 200, envelope::graphql_errors(errors)),
                    none(),
                )
            }
        };
        if let Some((type_name, field)) = op
            .removed_field
            .as_ref()
            .filter(|_| (ctx.version.year, ctx.version.month) >= (2026, 10))
        {
            let body = envelope::graphql_errors(vec![json!({
                "message": format!("Field '{field}' doesn't exist on type '{type_name}'"),
                "locations": [],
                "extensions": {"code": "undefinedField", "typeName": type_name, "fieldName": field},
            })]);
            return (self.refused(st, 200, body), none());
        }
        ctx.write = op.kind == OperationKind::Mutation;
        ctx.facts.root_fields = op.root_field_names.clone();
        ctx.facts.boards = op.written_boards.clone();
        // 12. per-request cap
        let cost = op.estimated_complexity;
        if cost > limits.max_complexity_per_request {
            let body =
                envelope::request_too_complex(ctx.style, cost, limits.max_complexity_per_request);
            return (self.refused(st, 200, body), none());
        }
        // 13. complexity budget
        let check = st.budgets.bucket(ctx.write).check(now, cost);
        if !check.admits(op.only_meta_fields) {
            let retry = secs_until(now, check.retry_at);
            let body = envelope::budget_exhausted(
                ctx.style,
                BudgetExhausted {
                    cost,
                    left: check.remaining,
                    limit: check.limit,
                    retry_in: retry,
                },
            );
            return (
                self.throttled(st, now, &mut ctx.facts, "complexity", retry, body),
                none(),
            );
        }
        let charged = check.charge_for(cost);
        let snapshot = ComplexitySnapshot {
            before: check.remaining,
            after: check.remaining - charged,
            query: cost,
            reset_in_x_seconds: secs_until(now, check.reset_at),
        };
        // 14. board write lock, then faults
        if let Some(a) = self.board_locked(st, ctx, &op.written_boards) {
            return (a, none());
        }
        let faults = &self.config.faults;
        if !op.written_boards.is_empty()
            && faults.lock_fires(&mut st.rng_faults, || {
                st.in_flight.writes_any(now, &op.written_boards)
            })
        {
            st.stats.count_fault(FaultKind::Lock);
            ctx.facts.locked = true;
            let e = RequestError::new(423, LOCKED_CODE, LOCKED_MESSAGE);
            let a = self
                .refused(st, 423, envelope::request_error(ctx.style, &e))
                .header("retry-after", "1");
            return (a, none());
        }
        let fault = faults.draw(&mut st.rng_faults);
        if let Some(kind) = fault {
            st.stats.count_fault(kind);
        }
        match fault {
            Some(FaultKind::ServerError) => {
                let status = faults::draw_server_error_status(&mut st.rng_faults);
                let e = RequestError::new(status, "INTERNAL_SERVER_ERROR", "Internal server error");
                let delay = self.latency.request_delay(&mut st.rng_latency, 0, 0);
                return (
                    Answer::json(status, envelope::request_error(ctx.style, &e), delay),
                    none(),
                );
            }
            Some(FaultKind::Reset) => {
                let delay = self.latency.request_delay(&mut st.rng_latency, 0, 0);
                let mut a = Answer::json(0, Value::Null, delay);
                a.delivery = Delivery::Reset;
                return (a, none());
            }
            _ => {}
        }
        // 15. execute
        let exec = ExecContext {
            now,
            api_version: ctx.version,
            complexity: snapshot,
            items_limit_per_board: limits.items_limit_per_board,
            user_id: ctx.user_id,
        };
        let outcome = self.engine.execute(&op, &mut st.store, &exec);
        let refund = crate::graphql::cost::failed_mutation_refund(
            ctx.version,
            outcome.failed_mutation_fields,
            &self.config.costs,
        );
        let charged = charged.saturating_sub(refund);
        st.budgets.bucket(ctx.write).charge(now, charged);
        st.stats.complexity_used_total += charged;
        ctx.facts.complexity = charged;
        ctx.facts.items_created = outcome.items_created;
        st.stats.items_created_total += outcome.items_created;
        st.stats.mutation_fields_total += u64::from(outcome.mutation_fields_executed);
        if let Some(d) = st.daily.as_mut() {
            d.charge_executed(now, op.only_meta_fields);
        }
        // 16. latency
        let mut delay = self.latency.request_delay(
            &mut st.rng_latency,
            outcome.mutation_fields_executed,
            outcome.items_read,
        );
        if fault == Some(FaultKind::Slow) {
            delay = delay.max(faults.slow_delay());
        }
        let written = op.written_boards.clone();
        let body = envelope::executed(ctx.style, outcome.data, outcome.errors);
        let real = Answer::json(200, body, delay);
        let client = if fault != Some(FaultKind::Slow) && delay > self.latency.gateway_timeout() {
            st.stats.gateway_timeouts_total += 1;
            let mut a = Answer::json(504, Value::Null, self.latency.gateway_timeout());
            a.raw = Some((
                "text/html",
                Bytes::from_static(GATEWAY_TIMEOUT_PAGE.as_bytes()),
            ));
            Some(a)
        } else if fault == Some(FaultKind::CommitThenFail) {
            if FailureAfterCommit::draw(&mut st.rng_faults) == FailureAfterCommit::ServerError {
                let e = RequestError::new(500, "INTERNAL_SERVER_ERROR", "Internal server error");
                Some(Answer::json(
                    500,
                    envelope::request_error(ctx.style, &e),
                    delay,
                ))
            } else {
                let mut a = Answer::json(0, Value::Null, delay);
                a.delivery = Delivery::Reset;
                Some(a)
            }
        } else {
            None
        };
        if let Some(key) = idem_key {
            // The idempotency cache keeps the real (successful) response.
            let stored = self.finish(st, ctx, Answer::json(200, real.body.clone(), delay));
            st.idempotency.put(
                now,
                key,
                now + delay,
                StoredResponse {
                    status: stored.status,
                    headers: stored.headers,
                    body: stored.body,
                },
            );
        }
        (client.unwrap_or(real), written)
    }

    /// The board write lock (`SimConfig::board_lock`): a 423 when a write overlaps an executed
    /// write to the same board that is still in flight.
    fn board_locked(&self, st: &mut State, ctx: &mut Ctx, boards: &[String]) -> Option<Answer> {
        let retry = self.config.board_lock.refuses_write(
            ctx.now,
            boards,
            &mut st.in_flight,
            &mut st.rng_locks,
        )?;
        st.stats.locked_total += 1;
        ctx.facts.locked = true;
        let e = RequestError::new(423, LOCKED_CODE, LOCKED_MESSAGE).retry_in(retry);
        Some(
            self.refused(st, 423, envelope::request_error(ctx.style, &e))
                .header("retry-after", retry.to_string()),
        )
    }

    fn parse_body(&self, ctx: &Ctx, req: &CoreRequest) -> Result<ParsedBody, RequestError> {
        let value: Value = serde_json::from_slice(&req.body).map_err(|e| {
            let snippet: String = String::from_utf8_lossy(&req.body)
                .chars()
                .take(256)
                .collect();
            RequestError::new(
                400,
                "JsonParseException",
                format!("Unexpected token in JSON body: {e}"),
            )
            .data(json!({ "json": snippet }))
        })?;
        let Value::Object(mut map) = value else {
            return Err(RequestError::new(
                400,
                "BadRequest",
                "Bad request: the body must be a JSON object with a \"query\" string",
            ));
        };
        let Some(Value::String(query)) = map.remove("query") else {
            return Err(RequestError::new(
                400,
                "BadRequest",
                "Bad request: the body must be a JSON object with a \"query\" string",
            ));
        };
        let variables = match map.remove("variables") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(v)) => v,
            Some(Value::String(s)) => {
                if (ctx.version.year, ctx.version.month) >= (2025, 4) {
                    return Err(RequestError::new(400, "JsonParseException",
                        "Variables must be sent as a JSON object, not a string (API 2025-04 and later)"));
                }
                match serde_json::from_str::<Value>(&s) {
                    Ok(Value::Object(v)) => v,
                    Ok(Value::Null) => Map::new(),
                    _ => {
                        return Err(RequestError::new(
                            400,
                            "JsonParseException",
                            "variables is not a JSON object",
                        ))
                    }
                }
            }
            Some(_) => {
                return Err(RequestError::new(
                    400,
                    "JsonParseException",
                    "variables must be a JSON object",
                ))
            }
        };
        let operation_name = match map.remove("operationName") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        Ok(ParsedBody {
            query,
            operation_name,
            variables,
        })
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
        let mut a = Answer::json(200, Value::Null, delay);
        match format.as_str() {
            "sdl" => {
                a.raw = Some((
                    "text/plain; charset=utf-8",
                    Bytes::from(served.sdl().as_bytes().to_vec()),
                ));
                a
            }
            "json" => {
                a.raw = Some((
                    "application/json; charset=utf-8",
                    Bytes::from(served.introspection_json().as_bytes().to_vec()),
                ));
                a
            }
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

    /// Envelope: request id, version and rate-limit headers.
    fn finish(&self, st: &mut State, ctx: &Ctx, answer: Answer) -> CoreResponse {
        let mut headers = Vec::with_capacity(6 + answer.extra_headers.len());
        let body = match answer.raw {
            Some((content_type, raw)) => {
                headers.push(("content-type".to_string(), content_type.to_string()));
                raw
            }
            None if answer.delivery == Delivery::Reset => Bytes::new(),
            None => {
                let mut body = answer.body;
                envelope::with_request_id(&mut body, &ctx.request_id);
                headers.push((
                    "content-type".to_string(),
                    "application/json; charset=utf-8".to_string(),
                ));
                Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
            }
        };
        headers.push(("api-version".to_string(), ctx.version.to_string()));
        headers.push(("x-request-id".to_string(), ctx.request_id.clone()));
        let (policy, state) = self.rate_limit_headers(st, ctx);
        headers.push(("ratelimit-policy".to_string(), policy));
        headers.push(("ratelimit".to_string(), state));
        headers.extend(answer.extra_headers);
        CoreResponse {
            status: answer.status,
            headers,
            body,
            delay: answer.delay,
            delivery: answer.delivery,
        }
    }

    fn rate_limit_headers(&self, st: &mut State, ctx: &Ctx) -> (String, String) {
        let limits = &self.config.limits;
        let now = ctx.now;
        let minute_q = st.minute.limit();
        let conc_q = limits.concurrency(self.config.plan);
        let bucket = st.budgets.bucket(ctx.write);
        let window = limits.complexity_window_secs;
        let policy = format!(
            "\"minuteRate\";q={minute_q};w=60, \"concurrency\";q={conc_q};qu=\"concurrent-requests\", \"complexityMinute\";q={};w={window};qu=\"content-bytes\"",
            bucket.limit()
        );
        let c_left = bucket.remaining(now);
        let c_reset = bucket.reset_in(now).as_secs().max(1);
        let m_left = st.minute.remaining(now);
        let storm = st.storms.raging(now);
        let minute = if let Some(until) = storm {
            format!("\"minuteRate\";r=0;t={}", secs_until(now, until))
        } else if m_left == 0 {
            let t = st.minute.next_free(now).map_or(1, |at| secs_until(now, at));
            format!("\"minuteRate\";r=0;t={t}")
        } else {
            format!("\"minuteRate\";r={m_left}")
        };
        let conc_left = (conc_q as usize).saturating_sub(st.in_flight.count(now));
        let state = format!(
            "{minute}, \"concurrency\";r={conc_left}, \"complexityMinute\";r={c_left};t={c_reset}"
        );
        (policy, state)
    }
}

struct ParsedBody {
    query: String,
    operation_name: Option<String>,
    variables: Map<String, Value>,
}

/// The error code a throttled request's log entry names, by limiter.
fn throttle_code(kind: &str) -> &'static str {
    match kind {
        "complexity" => "COMPLEXITY_BUDGET_EXHAUSTED",
        "concurrency" => "maxConcurrencyExceeded",
        "ip" => "IP_RATE_LIMIT_EXCEEDED",
        "daily" => "DAILY_LIMIT_EXCEEDED",
        _ => "RATE_LIMIT_EXCEEDED",
    }
}

/// A UUID-v4-shaped id from the seeded id stream.
fn request_id(rng: &mut ChaCha8Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `Simulator` must stay shareable across tasks and threads (faces hold it in an `Arc`).
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Simulator>();
};
