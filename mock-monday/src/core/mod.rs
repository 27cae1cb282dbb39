//! The transport-free simulator core: request in, (status, headers, body, delay) out.
//!
//! INTERFACE CONTRACT (used by the HTTP faces, monday-perf's in-process transport and tests):
//! - [`Simulator::new`] from a [`crate::config::SimConfig`]
//! - [`Simulator::handle`]: synchronous, decides everything at arrival time on the simulator clock
//! - [`Simulator::dispatch`]: async convenience that sleeps the delay on tokio's clock and applies
//!   the client's timeout (what an in-process transport calls)
//! - [`Simulator::stats`], [`Simulator::board_items`], [`Simulator::board_column_texts`],
//!   [`Simulator::reset`]
//!
//! # Where to read
//! - `pipeline`: the stages in order, one screen (start here);
//! - one module per stage: `route` (1), `access` (2-4: auth, `API-Version`, body size),
//!   `admission` (5-8: IP, storm, minute, daily and concurrency limits), `replay` (9:
//!   `Idempotency-Key`), `parse` (10-11: body, depth guard, GraphQL prepare), `complexity`
//!   (12-13: per-request cap, budget, charge), `locks` (14: board write locks), `inject` (14 and
//!   16: faults, gateway timeout), `execute` (15-16: store, latency);
//! - `answer`: how a stage answers and how the answer becomes a [`CoreResponse`] (17: envelope,
//!   rate-limit headers);
//! - `state`: what the simulator keeps between requests and what a request carries through the
//!   stages.
//!
//! The stages call into [`crate::limits`], [`crate::idempotency`] and [`crate::faults`] for the
//! decisions themselves (does a limit refuse, does a fault fire) and into [`crate::envelope`] for
//! the shapes of the answers.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use crate::clock::SimClock;
use crate::config::{SetupError, SimConfig};
use crate::graphql::GraphqlEngine;
use crate::jobs::{BulkCtx, JobEnv, JobFaults};
use crate::latency::LatencyModel;
use crate::request_log::{Answered, RequestKind, RequestLogEntry};
use crate::stats::Stats;

mod access;
mod admission;
mod answer;
mod complexity;
mod execute;
mod inject;
mod locks;
mod parse;
mod pipeline;
mod replay;
mod route;
mod state;
mod transfer;

use state::{Ctx, State};

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
    /// The address a face serves on (`http://HOST:PORT`), set once by the face.
    base_url: OnceLock<String>,
    /// The bulk import's settings and URL base, built on first use.
    bulk: OnceLock<Arc<BulkCtx>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// The value of header `name` (any case).
fn header<'a>(req: &'a CoreRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

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
        let state = Mutex::new(State::fresh(&config));
        Ok(Self {
            config,
            engine,
            latency,
            clock,
            state,
            base_url: OnceLock::new(),
            bulk: OnceLock::new(),
        })
    }

    /// Tells the core the address its face serves on (`http://HOST:PORT`), the base of the
    /// bulk import's upload and report URLs. The first call wins; `SimConfig::bulk`'s
    /// `public_base_url` overrides it. Faces call it before serving.
    pub fn set_base_url(&self, url: impl Into<String>) {
        let _ = self
            .base_url
            .set(url.into().trim_end_matches('/').to_string());
    }

    /// The base of the upload and report URLs.
    pub fn base_url(&self) -> String {
        match (&self.config.bulk.public_base_url, self.base_url.get()) {
            (Some(url), _) => url.trim_end_matches('/').to_string(),
            (None, Some(url)) => url.clone(),
            (None, None) => "http://mock-monday.invalid".to_string(),
        }
    }

    /// The bulk import's settings, job speed and URL base.
    fn bulk(&self) -> &Arc<BulkCtx> {
        self.bulk.get_or_init(|| {
            let timing = self.config.job_timing();
            Arc::new(BulkCtx {
                env: JobEnv {
                    settings: self.config.bulk.clone(),
                    timing,
                    faults: JobFaults {
                        upload_cut: self.config.faults.upload_cut,
                        job_internal_error: self.config.faults.job_internal_error,
                    },
                    items_limit: self.config.limits.items_limit_per_board,
                    admin_users: self.config.bulk.admin_tokens.as_ref().map(|tokens| {
                        tokens
                            .iter()
                            .map(|t| crate::graphql::user_id_for_token(t))
                            .collect()
                    }),
                },
                base_url: self.base_url(),
            })
        })
    }

    /// Lets the bulk-import jobs catch up with `now` (validations and row commits due).
    fn advance_jobs(&self, st: &mut State, now: Duration) {
        if !st.jobs.has_work() {
            return;
        }
        let done = st.jobs.advance(&mut st.store, &self.bulk().env, now);
        st.stats.items_created_total += done.items_created;
    }

    /// `GET /__admin/jobs`: every bulk-import job with its state and counts.
    pub fn jobs_json(&self) -> Value {
        let now = self.clock.now();
        let mut st = self.lock();
        self.advance_jobs(&mut st, now);
        let bulk = self.bulk();
        st.jobs.admin_json(&bulk.base_url, &bulk.env.settings)
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
        let mut st = self.lock();
        self.advance_jobs(&mut st, now);
        let mut s = st.stats.clone();
        s.jobs_by_state = st.jobs.by_state();
        s.rows_by_outcome = st.jobs.rows_by_outcome();
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
        let now = self.clock.now();
        let mut st = self.lock();
        self.advance_jobs(&mut st, now);
        st.store.board_items_json(board_id)
    }

    /// One column's text for every item on a board (board order; archived included, deleted
    /// left out), exactly the `column_values.<column_id>.text` of [`Simulator::board_items`],
    /// without building the JSON of every item: what a duplicate/lost check needs at a fraction
    /// of the memory. `name` gives item names; a column the board lacks gives `""` per item.
    /// None for an unknown board.
    pub fn board_column_texts(&self, board_id: &str, column_id: &str) -> Option<Vec<String>> {
        let now = self.clock.now();
        let mut st = self.lock();
        self.advance_jobs(&mut st, now);
        st.store.board_column_texts(board_id, column_id)
    }

    /// Back to the initial state (fixture, limits, caches, counters, RNG streams).
    pub fn reset(&self) {
        let fresh = State::fresh(&self.config);
        *self.lock() = fresh;
    }

    /// Handles one request: decides status, headers, body and the (simulated) delay.
    pub fn handle(&self, req: CoreRequest) -> CoreResponse {
        let now = self.clock.now();
        let mut st = self.lock();
        let st = &mut *st;
        let mut ctx = Ctx::arrive(now, &mut st.rng_ids, header(&req, "api-version"));
        st.stats.requests_total += 1;
        self.advance_jobs(st, now);
        let answer = self.pipeline(st, &mut ctx, &req);
        let resp = self.finish(st, &ctx, answer);
        self.record(st, &req, ctx, &resp);
        tracing::trace!(
            status = resp.status,
            delay_ms = resp.delay.as_millis() as u64,
            "mock-monday answered"
        );
        resp
    }

    /// Counts the response and writes the request-log entry.
    fn record(&self, st: &mut State, req: &CoreRequest, ctx: Ctx, resp: &CoreResponse) {
        match resp.delivery {
            Delivery::Respond => st.stats.count_status(resp.status),
            Delivery::Reset => st.stats.resets_total += 1,
        }
        let kind = ctx.facts.kind.unwrap_or_else(|| {
            RequestKind::of_root_fields(ctx.facts.root_fields.iter().map(String::as_str))
        });
        *st.stats
            .requests_by_kind
            .entry(kind.name().to_string())
            .or_default() += 1;
        if st.request_log.is_on() {
            st.request_log.push(Answered {
                // Time since the simulation started (the clock itself counts from its start date).
                arrival: ctx.now.saturating_sub(self.clock.offset()),
                latency: resp.delay,
                status: (resp.delivery == Delivery::Respond).then_some(resp.status),
                body: &req.body,
                idempotency_key: header(req, "idempotency-key"),
                facts: ctx.facts,
            });
        }
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
}

/// `Simulator` must stay shareable across tasks and threads (faces hold it in an `Arc`).
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Simulator>();
};
