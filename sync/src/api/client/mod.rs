//! The API client used by the engine: the one send loop ([`ApiClient::call`]) every request
//! kind goes through. Each attempt is counted, reported to the observer, classified
//! ([`crate::api::payload::classify`]) and handed to the retry policy ([`crate::api::retry::decide`]); every
//! wait goes through one function ([`ApiClient::wait_until`]).

mod last;
mod send;

pub(crate) use last::Last;
pub(crate) use send::{Call, CallEnd, CallState, Transient};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::time::Instant;

use crate::api::keys::{fresh_run_id, request_key};
use crate::api::pacing::{Hold, Pacer, Ticket, NEWS_TIMEOUT};
use crate::api::payload::ResponseClass;
use crate::api::request_log::{Attempt, RequestLog};
use crate::api::retry::{Backoff, Policy, Scope, Wait};
use crate::error::SyncError;
use crate::observer::{ActivityEvent, RequestEvent, RequestKind, SyncObserver, WaitReason};
use crate::transport::{ApiResponse, Transport, TransportError, UrlRequest};

/// Estimated complexity of a read query (board read, reconcile page).
pub(crate) const READ_COMPLEXITY: u64 = 10_000;

/// Request counters for the run summary.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    /// Answers 423 "Resource is currently locked" (waited out, never a failure).
    pub locked: AtomicU64,
}

/// Everything needed to talk to the API.
pub(crate) struct ApiClient {
    transport: Arc<dyn Transport>,
    token: String,
    api_version: String,
    timeout: Duration,
    policy: Policy,
    pub(crate) seed: u64,
    pub(crate) pacer: Arc<Pacer>,
    observer: Option<Arc<dyn SyncObserver>>,
    pub(crate) counters: Counters,
    /// This run's identity for `Idempotency-Key`s (see [`request_key`]).
    run_id: String,
    /// The board the run writes to (named by errors).
    pub(crate) board_id: String,
    /// Write requests in flight on the board, at most `write_concurrency` (one permit each).
    writes: Arc<tokio::sync::Semaphore>,
    /// Held shared by every write attempt while it is on the wire, and alone by a write the
    /// board refused as locked: that resend waits for this run's writes in flight (not for
    /// turns waiting on the budget) and keeps new ones back, so with `write_concurrency > 1`
    /// two of our own writes cannot starve each other into failure.
    on_the_wire: Arc<tokio::sync::RwLock<()>>,
    /// `--request-log`: one line per attempt.
    request_log: Option<Arc<RequestLog>>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ApiClient")
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub(crate) fn new(
        transport: Arc<dyn Transport>,
        token: String,
        api_version: String,
        timeout: Duration,
        max_retries: u32,
        seed: u64,
        observer: Option<Arc<dyn SyncObserver>>,
    ) -> Self {
        ApiClient {
            transport,
            token,
            api_version,
            timeout,
            policy: Policy::new(max_retries),
            seed,
            pacer: Arc::new(Pacer::new()),
            observer,
            counters: Counters::default(),
            run_id: fresh_run_id(seed),
            board_id: String::new(),
            writes: Arc::new(tokio::sync::Semaphore::new(1)),
            on_the_wire: Arc::new(tokio::sync::RwLock::new(())),
            request_log: None,
        }
    }

    /// Allow `n` write requests in flight on the board at once (default 1: one after the other).
    pub(crate) fn with_write_concurrency(mut self, n: usize) -> Self {
        self.writes = Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        self
    }

    /// Write one line per attempt to `log`.
    pub(crate) fn with_request_log(mut self, log: Option<Arc<RequestLog>>) -> Self {
        self.request_log = log;
        self
    }

    /// Use `run_id` for this client's idempotency keys (the engine passes the configured or fresh id).
    pub(crate) fn with_run_id(mut self, run_id: impl Into<String>) -> Self {
        self.run_id = run_id.into();
        self
    }

    /// The board this client's requests are about (named by errors).
    pub(crate) fn with_board(mut self, board_id: impl Into<String>) -> Self {
        self.board_id = board_id.into();
        self
    }

    /// The `Idempotency-Key` for one logical request of this run (see [`request_key`]).
    pub(crate) fn request_key(&self, scope: &str, seq: u64, round: u64, body: &[u8]) -> String {
        request_key(&self.run_id, self.seed, scope, seq, round, body)
    }

    fn activity(&self, ev: ActivityEvent) {
        if let Some(o) = &self.observer {
            o.activity(&ev);
        }
    }

    /// THE wait of the send path: every wait (budget, rate limit, lock, backoff) goes through
    /// here. Waits on limits (all but [`WaitReason::Retry`]) count as the "wait" phase.
    /// `wake`: end early when it completes (news about the budget); returns whether it did.
    pub(crate) async fn wait_until(
        &self,
        reason: WaitReason,
        until: Instant,
        wake: Option<tokio::sync::futures::Notified<'_>>,
    ) -> bool {
        let now = Instant::now();
        let limit = reason != WaitReason::Retry;
        tracing::debug!(
            ?reason,
            wait_ms = (until - now).as_millis() as u64,
            "waiting"
        );
        self.activity(ActivityEvent::Waiting { reason, until });
        if limit {
            self.pacer.activity(|a| a.wait_start(now));
        }
        let woken = match wake {
            Some(w) => tokio::time::timeout_at(until, w).await.is_ok(),
            None => {
                tokio::time::sleep_until(until).await;
                false
            }
        };
        if limit {
            let end = Instant::now();
            self.pacer.activity(|a| a.wait_end(end));
        }
        self.activity(ActivityEvent::WaitOver);
        woken
    }

    /// Carry out a wait the retry policy decided: everyone (the pacer holds every sender) or
    /// this request only.
    pub(crate) async fn pause(&self, wait: Wait, backoff: &mut Backoff) {
        let d = backoff.resolve(wait.delay);
        match wait.scope {
            Scope::Everyone => self.pacer.block_for(d),
            Scope::This => {
                self.wait_until(wait.reason, Instant::now() + d, None).await;
            }
        }
    }

    /// Wait until the pacer lets a request of `cost` go, and reserve it.
    /// After [`NEWS_TIMEOUT`] with no response and the budget still unknown (no answer so far
    /// has reported it: a proxy that strips the headers, say), the request goes anyway, as the
    /// constant's doc says; asking again would get the same answer forever.
    pub(crate) async fn reserve(&self, cost: u64) -> Ticket {
        loop {
            let news = self.pacer.news();
            match self.pacer.try_acquire(cost) {
                Ok(t) => return t,
                Err(Hold::Until { until, reason }) => {
                    self.wait_until(reason, until, None).await;
                }
                Err(Hold::News) => {
                    let until = Instant::now() + NEWS_TIMEOUT;
                    let woken = self.wait_until(WaitReason::Budget, until, Some(news)).await;
                    if !woken && self.pacer.snapshot().remaining.is_none() {
                        return self.pacer.acquire_anyway(cost);
                    }
                }
            }
        }
    }

    /// Run a read query until it answers; returns its `data`. `stream` seeds its backoff.
    pub(crate) async fn read(
        &self,
        body: Vec<u8>,
        kind: RequestKind,
        stream: u64,
    ) -> Result<Value, SyncError> {
        let call = Call {
            kind,
            body: Bytes::from(body),
            key: None,
            aliases: &[],
            cost: READ_COMPLEXITY,
            records: 0,
        };
        let mut st = CallState::new(self.seed, stream);
        match self.call(&call, &mut st).await {
            CallEnd::Settled { response, .. } => Ok(response_data(&response)),
            CallEnd::GiveUp { last, .. } | CallEnd::Fatal(last) => {
                Err(last.into_error(kind, &self.board_id, st.attempt))
            }
            CallEnd::Split => Err(Last::Response(ResponseClass::TooComplex).into_error(
                kind,
                &self.board_id,
                st.attempt,
            )),
        }
    }
}

impl ApiClient {
    /// One request to a pre-signed URL (the bulk import's upload or report download): no token,
    /// no pacing (it is not the GraphQL API), no retry here (a failed upload means a new job:
    /// docs/monday-bulk-import.md §1.2). Counted, logged and reported like any attempt.
    pub(crate) async fn send_url(
        &self,
        kind: RequestKind,
        request: UrlRequest,
    ) -> Result<ApiResponse, TransportError> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let request_bytes = request.body.len();
        self.activity(ActivityEvent::Sending);
        let started = Instant::now();
        let res = self.transport.send_url(request).await;
        let finished = Instant::now();
        let status = res.as_ref().ok().map(|r| r.status);
        tracing::debug!(?kind, ?status, "pre-signed URL answered");
        if let Some(log) = &self.request_log {
            log.write(&Attempt {
                kind,
                aliases: 1,
                request_bytes,
                started,
                finished,
                status,
                complexity: None,
                throttled: None,
                attempt: 0,
            });
        }
        if let Some(o) = &self.observer {
            o.request_finished(&RequestEvent {
                started,
                finished,
                status,
                throttled: false,
                records: 0,
                kind,
                complexity_remaining: None,
                attempt: 0,
            });
        }
        res
    }

    /// The request timeout of this client.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The `data` of a settled response (`null` when absent).
pub(crate) fn response_data(resp: &ApiResponse) -> Value {
    let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    v.get("data").cloned().unwrap_or(Value::Null)
}
