//! The API client used by the engine: sends one request through the [`Transport`], keeps the
//! counters, reports to the observer and the pacer, and retries read queries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::SyncError;
use crate::fasthash::Hasher128;
use crate::observer::{ActivityEvent, RequestEvent, RequestKind, SyncObserver, WaitReason};
use crate::pacing::Pacer;
use crate::payload::{classify, ResponseClass};
use crate::retry::{Backoff, FIXED_THROTTLE_WAIT, MAX_WAITS};
use crate::transport::{ApiRequest, ApiResponse, Transport, TransportError};

/// Estimated complexity of a read query (board read, reconcile page).
pub const READ_COMPLEXITY: u64 = 10_000;

/// Request counters for the run summary.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
}

/// Everything needed to talk to the API.
pub struct ApiClient {
    pub transport: Arc<dyn Transport>,
    token: String,
    pub api_version: String,
    pub timeout: Duration,
    pub max_retries: u32,
    pub seed: u64,
    pub respect_retry_after: bool,
    pub pacer: Arc<Pacer>,
    pub observer: Option<Arc<dyn SyncObserver>>,
    pub counters: Counters,
    /// This run's identity for `Idempotency-Key`s (see [`request_key`]).
    pub run_id: String,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ApiClient")
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

/// `Idempotency-Key` for a body alone: the same body always gets the same key, in every run.
///
/// Kept for callers of the old API; the engine no longer uses it, because a later run sending an
/// identical body within the API's 30-minute window would get the earlier response replayed (an
/// item deleted on the board would be reported "created" and lost). See [`request_key`].
pub fn idempotency_key(body: &[u8]) -> String {
    let d = Sha256::digest(body);
    format!("ms-{}", hex::encode(&d[..16]))
}

/// A fresh run id: derived from `seed` plus what makes this run unique (wall-clock start time in
/// nanoseconds, process id, and a per-process counter).
pub fn fresh_run_id(seed: u64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Hasher128::new(seed);
    h.write(&nanos.to_le_bytes())
        .write_u64(u64::from(std::process::id()))
        .write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", (h.finish() >> 64) as u64)
}

/// The `Idempotency-Key` of one logical request of a run: unique per (run, scope, sequence, round,
/// body), and the same for every retry of that request (the caller keeps it across retries).
/// `scope` separates request families (`"batch"`, `"groups"`), `seq` is the batch number and
/// `round` the sub-request within the batch (each new body built for the batch gets a new round).
pub fn request_key(
    run_id: &str,
    seed: u64,
    scope: &str,
    seq: u64,
    round: u64,
    body: &[u8],
) -> String {
    let mut h = Hasher128::new(seed);
    h.write(run_id.as_bytes())
        .write(scope.as_bytes())
        .write_u64(seq)
        .write_u64(round)
        .write(body);
    format!("ms-{:032x}", h.finish())
}

impl ApiClient {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        transport: Arc<dyn Transport>,
        token: String,
        api_version: String,
        timeout: Duration,
        max_retries: u32,
        seed: u64,
        respect_retry_after: bool,
        observer: Option<Arc<dyn SyncObserver>>,
    ) -> Self {
        ApiClient {
            transport,
            token,
            api_version,
            timeout,
            max_retries,
            seed,
            respect_retry_after,
            pacer: Arc::new(Pacer::new(respect_retry_after).with_observer(observer.clone())),
            observer,
            counters: Counters::default(),
            run_id: fresh_run_id(seed),
        }
    }

    /// Use `run_id` for this client's idempotency keys (the engine passes the configured or fresh id).
    pub fn with_run_id(mut self, run_id: impl Into<String>) -> Self {
        self.run_id = run_id.into();
        self
    }

    /// The `Idempotency-Key` for one logical request of this run (see [`request_key`]).
    pub fn request_key(&self, scope: &str, seq: u64, round: u64, body: &[u8]) -> String {
        request_key(&self.run_id, self.seed, scope, seq, round, body)
    }

    /// Send one attempt. Counts it, reports it, and tracks in-flight time for the phase split.
    pub async fn send_once(
        &self,
        body: Bytes,
        idempotency_key: Option<String>,
        kind: RequestKind,
        records: usize,
        attempt: u32,
    ) -> Result<ApiResponse, TransportError> {
        let span = tracing::debug_span!("request", ?kind, records, attempt);
        async {
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            if attempt > 0 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            tracing::trace!(body = %String::from_utf8_lossy(&body), "request body");
            let started = Instant::now();
            self.notify(ActivityEvent::Sending);
            self.pacer.activity(|a| a.request_start(started));
            let res = self
                .transport
                .send(ApiRequest {
                    body,
                    token: self.token.clone(),
                    api_version: self.api_version.clone(),
                    idempotency_key,
                    timeout: self.timeout,
                })
                .await;
            let finished = Instant::now();
            self.pacer.activity(|a| a.request_end(finished));
            let (status, throttled) = match &res {
                Ok(r) => (Some(r.status), r.status == 429),
                Err(_) => (None, false),
            };
            match &res {
                Ok(r) => tracing::debug!(
                    status = r.status,
                    ms = (finished - started).as_millis() as u64,
                    "response"
                ),
                Err(e) => tracing::debug!(error = %e, "transport failure"),
            }
            if let Ok(r) = &res {
                tracing::trace!(body = %String::from_utf8_lossy(&r.body), "response body");
            }
            if let Some(o) = &self.observer {
                let remaining = res
                    .as_ref()
                    .ok()
                    .and_then(|r| crate::payload::budget_info(r, None).remaining);
                o.request_finished(&RequestEvent {
                    started,
                    finished,
                    status,
                    throttled,
                    records,
                    kind,
                    complexity_remaining: remaining,
                    attempt,
                });
            }
            res
        }
        .instrument(span)
        .await
    }

    /// Tell the observer (progress display) what this sender is doing.
    pub fn notify(&self, ev: ActivityEvent) {
        crate::observer::notify(self.observer.as_ref(), ev);
    }

    /// Sleep `d` as a wait on limits (phase "wait"); reported as waiting out a board lock.
    pub async fn limit_wait(&self, d: Duration) {
        self.limit_wait_as(WaitReason::Locked, d).await
    }

    /// Sleep `d` as a wait on limits (phase "wait"), reported with `reason`.
    pub async fn limit_wait_as(&self, reason: WaitReason, d: Duration) {
        let now = Instant::now();
        self.pacer.activity(|a| a.wait_start(now));
        crate::observer::notify_wait(self.observer.as_ref(), reason, now + d);
        tokio::time::sleep(d).await;
        self.notify(ActivityEvent::WaitOver);
        let end = Instant::now();
        self.pacer.activity(|a| a.wait_end(end));
    }

    /// Sleep `d` before retrying after an error (5xx, reset, timeout); reported as a retry wait.
    pub async fn backoff_sleep(&self, d: Duration) {
        crate::observer::notify_wait(
            self.observer.as_ref(),
            WaitReason::Retry,
            Instant::now() + d,
        );
        tokio::time::sleep(d).await;
        self.notify(ActivityEvent::WaitOver);
    }

    /// The wait after a 429: `retry_in` when we respect it, else a short fixed delay.
    pub fn throttle_wait(&self, retry_in: Option<Duration>) -> Duration {
        if self.respect_retry_after {
            retry_in.unwrap_or(FIXED_THROTTLE_WAIT)
        } else {
            FIXED_THROTTLE_WAIT
        }
    }

    /// Run a read query with retries; returns `data`.
    pub async fn read(
        &self,
        body: Vec<u8>,
        kind: RequestKind,
        stream: u64,
    ) -> Result<Value, SyncError> {
        let body = Bytes::from(body);
        let mut backoff = Backoff::new(self.seed, stream);
        let (mut retries, mut waits, mut attempt) = (0u32, 0u32, 0u32);
        let mut last_problem;
        loop {
            let (ticket, _) = self.pacer.acquire(READ_COMPLEXITY).await;
            let res = self.send_once(body.clone(), None, kind, 0, attempt).await;
            attempt += 1;
            match res {
                Ok(resp) => {
                    let (class, budget) = classify(&resp, &[]);
                    let charged = matches!(class, ResponseClass::Aliases(_));
                    self.pacer.on_response(ticket, &budget, charged);
                    match class {
                        ResponseClass::Aliases(_) => {
                            let v: Value =
                                serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
                            return Ok(v.get("data").cloned().unwrap_or(Value::Null));
                        }
                        ResponseClass::Throttled { retry_in, code } => {
                            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                            waits += 1;
                            let d = self.throttle_wait(retry_in);
                            tracing::debug!(%code, wait_ms = d.as_millis() as u64, "read throttled");
                            self.pacer.block_for(d);
                            last_problem = format!("throttled ({code})");
                        }
                        ResponseClass::Busy { status, retry_in } => {
                            waits += 1;
                            self.limit_wait(
                                retry_in.unwrap_or_else(|| backoff.delay(waits.min(6))),
                            )
                            .await;
                            last_problem = format!("HTTP {status}");
                        }
                        ResponseClass::ServerError { status } => {
                            retries += 1;
                            last_problem = format!("HTTP {status}");
                            if retries <= self.max_retries {
                                self.backoff_sleep(backoff.delay(retries - 1)).await;
                            }
                        }
                        ResponseClass::Auth { status, message } => {
                            return Err(SyncError::Auth { status, message })
                        }
                        ResponseClass::BoardNotFound { message } => {
                            return Err(SyncError::Api(format!("board not found: {message}")))
                        }
                        ResponseClass::Fatal { message } => return Err(SyncError::Api(message)),
                        ResponseClass::TooComplex => {
                            return Err(SyncError::Api("read query too complex".into()))
                        }
                        ResponseClass::Rejected { code, message } => {
                            return Err(SyncError::Api(format!(
                                "query rejected: {code}: {message}"
                            )))
                        }
                    }
                }
                Err(TransportError::Other(m)) => {
                    return Err(SyncError::Api(format!("transport: {m}")))
                }
                Err(e) => {
                    self.pacer.on_response(ticket, &Default::default(), false);
                    retries += 1;
                    last_problem = e.to_string();
                    if retries <= self.max_retries {
                        self.backoff_sleep(backoff.delay(retries - 1)).await;
                    }
                }
            }
            if retries > self.max_retries || waits > MAX_WAITS {
                return Err(SyncError::Api(format!(
                    "{kind:?} request failed after {attempt} attempts: {last_problem}"
                )));
            }
        }
    }
}
