//! The one send loop ([`ApiClient::call`]): one logical request ([`Call`]) sent attempt by
//! attempt, each counted, reported, classified and handed to the retry policy; the write turns
//! that keep at most `write_concurrency` writes in flight; the decision on aliases that failed
//! transiently ([`Transient`]).

use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::time::Instant;
use tracing::Instrument;

use super::{ApiClient, Last};
use crate::api::pacing::charged;
use crate::api::payload::{classify, job_start_limit, AliasOutcome, BudgetInfo, ResponseClass};
use crate::api::request_log::Attempt;
use crate::api::retry::{decide, Applied, Backoff, Decision, RetryState, Signal, Wait};
use crate::observer::{ActivityEvent, RequestEvent, RequestKind};
use crate::transport::{ApiRequest, ApiResponse, TransportError};

/// One logical request: one body (and its key), sent until the retry policy settles it.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub kind: RequestKind,
    pub body: Bytes,
    /// `Idempotency-Key`, the same for every attempt of this body.
    pub key: Option<String>,
    /// The aliases of the body's root mutations, in entry order (empty for reads).
    pub aliases: &'a [String],
    /// Complexity reserved for it.
    pub cost: u64,
    /// Records carried (for the observer); more than one makes the body splittable.
    pub records: usize,
}

/// The retry bookkeeping of one logical request (a batch keeps it across its bodies).
#[derive(Debug)]
pub(crate) struct CallState {
    pub retry: RetryState,
    /// Attempts sent so far (0 = the next one is the first).
    pub attempt: u32,
    pub backoff: Backoff,
}

impl CallState {
    /// Fresh state; `stream` seeds this request's backoff (with the run seed).
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        CallState {
            retry: RetryState::default(),
            attempt: 0,
            backoff: Backoff::new(seed, stream),
        }
    }
}

/// A turn to write to the board (see [`ApiClient::write_turn`]); dropping it ends the turn.
#[derive(Debug)]
pub(crate) struct WriteTurn(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// What a write attempt holds of [`ApiClient`]'s `on_the_wire` lock while it is sent.
enum WireGuard<'a> {
    /// A read: no guard.
    None,
    /// A write among this run's other writes (up to `write_concurrency`).
    Shared(#[allow(dead_code)] tokio::sync::RwLockReadGuard<'a, ()>),
    /// A resend after 423: no other write of this run is on the wire.
    Alone(#[allow(dead_code)] tokio::sync::RwLockWriteGuard<'a, ()>),
}

/// What the retry policy says about the aliases of a settled response that failed transiently
/// (decided in [`ApiClient::call`], like every other retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transient {
    /// No alias failed transiently.
    None,
    /// Send them again, in a new body, after this wait ([`ApiClient::pause`]).
    Resend(Wait),
    /// Retries ran out: they fail.
    GiveUp,
}

/// How a call ended.
#[derive(Debug)]
pub(crate) enum CallEnd {
    /// The response settles the body: per-alias outcomes (`class` is `Aliases`) and the body;
    /// `transient`: what becomes of the aliases that failed transiently.
    Settled {
        response: ApiResponse,
        class: ResponseClass,
        transient: Transient,
    },
    /// Over the per-request cap: split the batch.
    Split,
    /// The policy gave up on this body.
    GiveUp { applied: Applied, last: Last },
    /// Nothing further can succeed (token refused, board missing, account limit).
    Fatal(Last),
}

impl ApiClient {
    /// Send one attempt and classify its answer. Counts it and reports it to the observer.
    async fn attempt(
        &self,
        call: &Call<'_>,
        attempt: u32,
    ) -> Result<(ApiResponse, ResponseClass, BudgetInfo), TransportError> {
        let span =
            tracing::debug_span!("request", kind = ?call.kind, records = call.records, attempt);
        async {
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            if attempt > 0 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            tracing::trace!(body = %String::from_utf8_lossy(&call.body), "request body");
            self.activity(ActivityEvent::Sending);
            let started = Instant::now();
            self.pacer.activity(|a| a.request_start(started));
            let res = self
                .transport
                .send(ApiRequest {
                    body: call.body.clone(),
                    token: self.token.clone(),
                    api_version: self.api_version.clone(),
                    idempotency_key: call.key.clone(),
                    timeout: self.timeout,
                })
                .await;
            let finished = Instant::now();
            self.pacer.activity(|a| a.request_end(finished));
            let res = res.map(|resp| {
                let (class, budget) = classify(&resp, call.aliases);
                (resp, class, budget)
            });
            match &res {
                Ok((r, _, _)) => {
                    tracing::debug!(
                        status = r.status,
                        ms = (finished - started).as_millis() as u64,
                        "response"
                    );
                    tracing::trace!(body = %String::from_utf8_lossy(&r.body), "response body");
                }
                Err(e) => tracing::debug!(error = %e, "transport failure"),
            }
            if let Some(log) = &self.request_log {
                let ok = res.as_ref().ok();
                log.write(&Attempt {
                    kind: call.kind,
                    aliases: call.aliases.len().max(1),
                    request_bytes: call.body.len(),
                    started,
                    finished,
                    status: ok.map(|(r, _, _)| r.status),
                    complexity: ok.and_then(|(_, _, b)| b.cost),
                    throttled: match ok {
                        Some((_, ResponseClass::Throttled { code, .. }, _)) => Some(code.as_str()),
                        _ => None,
                    },
                    attempt,
                });
            }
            if let Some(o) = &self.observer {
                o.request_finished(&RequestEvent {
                    started,
                    finished,
                    status: res.as_ref().ok().map(|(r, _, _)| r.status),
                    throttled: res.as_ref().is_ok_and(|(r, _, _)| r.status == 429),
                    records: call.records,
                    kind: call.kind,
                    complexity_remaining: res.as_ref().ok().and_then(|(_, _, b)| b.remaining),
                    attempt,
                });
            }
            res
        }
        .instrument(span)
        .await
    }

    /// Wait for a turn to write to the board: at most `write_concurrency` write requests are in
    /// flight (one, by default). A sender takes its turn before it cuts the next body, so the
    /// cut sees the budget as the requests before it left it.
    pub(crate) async fn write_turn(&self) -> Option<WriteTurn> {
        self.writes
            .clone()
            .acquire_owned()
            .await
            .ok()
            .map(WriteTurn)
    }

    /// Send `call` until the retry policy settles it: the one loop every request kind uses.
    pub(crate) async fn call(&self, call: &Call<'_>, st: &mut CallState) -> CallEnd {
        self.call_in_turn(call, st, None).await
    }

    /// [`ApiClient::call`] for a write whose first attempt already holds its turn.
    pub(crate) async fn call_in_turn(
        &self,
        call: &Call<'_>,
        st: &mut CallState,
        mut turn: Option<WriteTurn>,
    ) -> CallEnd {
        // Whether this body may have been applied starts afresh with every new body.
        st.retry.maybe_applied = false;
        // After a 423 (or 409), this call resends with no other write of ours on the wire.
        let mut exclusive = false;
        loop {
            // Writes go `write_concurrency` at a time (one, by default), a turn held for the
            // attempt and through the wait of a `refused_unexecuted` one. Reads take none.
            let permit = match (call.kind.writes(), turn.take()) {
                (true, Some(t)) => Some(t),
                (true, None) => self.write_turn().await,
                (false, _) => None,
            };
            let mut ticket = self.reserve(call.cost).await;
            let wire = match (call.kind.writes(), exclusive) {
                (false, _) => WireGuard::None,
                (true, false) => WireGuard::Shared(self.on_the_wire.read().await),
                (true, true) => WireGuard::Alone(self.on_the_wire.write().await),
            };
            // The server measures its budget reset from the request's arrival: anchor the
            // ticket at the send, after any wait for the wire.
            ticket.issued = Instant::now();
            let res = self.attempt(call, st.attempt).await;
            drop(wire);
            st.attempt += 1;
            let (signal, budget, outcome) = match res {
                Ok((resp, class, budget)) => {
                    let start_limit = job_start_limit(&resp.body);
                    let signal = Signal::of_answer(&class, call.kind, start_limit);
                    (signal, budget, Ok((resp, class)))
                }
                Err(e) => (Signal::of_transport(&e), BudgetInfo::default(), Err(e)),
            };
            self.pacer
                .on_response(ticket, &budget, charged(signal, call.kind.writes()));
            exclusive |= self.count_refusal(signal);
            let (decision, next) = decide(signal, st.retry, self.policy, call.records > 1);
            st.retry = next;
            let last = || match &outcome {
                Ok((_, class)) => Last::Response(class.clone()),
                Err(e) => Last::Transport(e.clone()),
            };
            match decision {
                Decision::Settle => {
                    if let Ok((response, class)) = outcome {
                        let transient = self.transient(&class, st);
                        return CallEnd::Settled {
                            response,
                            class,
                            transient,
                        };
                    }
                }
                Decision::Resend(wait) => {
                    // A body the API refused unexecuted (the board locked, the budget spent)
                    // keeps its turn through the wait: another body cut meanwhile would be cut
                    // against budget this one still spends, or be refused by the same lock.
                    if Self::refused_unexecuted(signal) {
                        turn = permit;
                    } else {
                        drop(permit);
                    }
                    self.pause(wait, &mut st.backoff).await
                }
                Decision::Split => return CallEnd::Split,
                Decision::GiveUp(applied) => {
                    return CallEnd::GiveUp {
                        applied,
                        last: last(),
                    }
                }
                Decision::Fatal => return CallEnd::Fatal(last()),
            }
        }
    }

    /// Whether `signal` says the API refused the request without executing any of it, so that
    /// its resend will still spend what the body costs. Not a job start's own limit
    /// (`StartsThrottled`): it holds job starts only, never the batches beside them.
    fn refused_unexecuted(signal: Signal) -> bool {
        matches!(
            signal,
            Signal::Locked { .. } | Signal::Conflict { .. } | Signal::Throttled { .. }
        )
    }

    /// Count a throttle (429) or a board lock (423) in the run's counters; true when the resend
    /// must go with no other write of ours on the wire (after a 423 or a 409).
    fn count_refusal(&self, signal: Signal) -> bool {
        match signal {
            Signal::Throttled { .. } | Signal::StartsThrottled { .. } => {
                self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                false
            }
            Signal::Locked { .. } => {
                self.counters.locked.fetch_add(1, Ordering::Relaxed);
                true
            }
            Signal::Conflict { .. } => true,
            _ => false,
        }
    }

    /// The retry decision for the aliases of a settled response that failed transiently: they
    /// go again in a new body after the longest `retry_in` any of them asked for (or backoff).
    fn transient(&self, class: &ResponseClass, st: &mut CallState) -> Transient {
        let ResponseClass::Aliases(outs) = class else {
            return Transient::None;
        };
        let mut any = false;
        let mut wait = None;
        for o in outs {
            if let AliasOutcome::Transient { retry_in, .. } = o {
                any = true;
                wait = wait.max(*retry_in);
            }
        }
        if !any {
            return Transient::None;
        }
        let signal = Signal::TransientAliases { retry_in: wait };
        let (decision, next) = decide(signal, st.retry, self.policy, false);
        st.retry = next;
        match decision {
            Decision::Resend(w) => Transient::Resend(w),
            _ => Transient::GiveUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::api::retry::Delay;
    use crate::observer::WaitReason;
    use crate::transport::Transport;

    #[derive(Debug)]
    struct Unused;

    #[async_trait::async_trait]
    impl Transport for Unused {
        async fn send(&self, _: ApiRequest) -> Result<ApiResponse, TransportError> {
            Err(TransportError::Other("not used".into()))
        }
    }

    fn client(max_retries: u32) -> ApiClient {
        ApiClient::new(
            Arc::new(Unused),
            "t".into(),
            "2026-10".into(),
            Duration::from_secs(1),
            max_retries,
            7,
            None,
        )
    }

    /// Answers the first job start with the start limit's 429 (`retryAfterMs` 60 s), and every
    /// other request with success.
    #[derive(Debug, Default)]
    struct StartLimited {
        starts: std::sync::Mutex<u32>,
    }

    #[async_trait::async_trait]
    impl Transport for StartLimited {
        async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
            let start = String::from_utf8_lossy(&r.body).contains("ingest_items");
            let first_start = start && {
                let mut n = self.starts.lock().unwrap();
                *n += 1;
                *n == 1
            };
            let (status, body) = match (start, first_start) {
                (true, true) => (
                    429,
                    r#"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATE_LIMIT_EXCEEDED","status_code":429,"retryAfterMs":60000}}]}"#,
                ),
                (true, false) => (
                    200,
                    r#"{"data":{"ingest_items":{"job_id":"j1","upload_url":"https://up.example/j1"}}}"#,
                ),
                (false, _) => (200, r#"{"data":{"c0":{"id":"1"}}}"#),
            };
            Ok(ApiResponse {
                status,
                // A budget that never runs short: only the start limit holds anything.
                headers: vec![(
                    "ratelimit".into(),
                    "\"complexityMinute\";r=9000000;t=30".into(),
                )],
                body: Bytes::from(body),
            })
        }
    }

    /// Answers every request with success and no word of the budget (no `RateLimit` header, no
    /// `complexity` field), as a proxy that strips headers would.
    #[derive(Debug, Default)]
    struct NoBudget;

    #[async_trait::async_trait]
    impl Transport for NoBudget {
        async fn send(&self, _r: ApiRequest) -> Result<ApiResponse, TransportError> {
            Ok(ApiResponse {
                status: 200,
                headers: vec![],
                body: Bytes::from_static(br#"{"data":{"c0":{"id":"1"}}}"#),
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_never_reports_its_budget_does_not_hold_the_run() {
        let c = ApiClient::new(
            Arc::new(NoBudget),
            "t".into(),
            "2026-10".into(),
            Duration::from_secs(5),
            2,
            7,
            None,
        )
        .with_board("1");
        let aliases = ["c0".to_string()];
        let create = Call {
            kind: RequestKind::Create,
            body: Bytes::from_static(
                b"mutation { c0: create_item(board_id: 1, item_name: \"x\") { id } }",
            ),
            key: None,
            aliases: &aliases,
            cost: 1,
            records: 1,
        };
        let t0 = Instant::now();
        for n in 0..3 {
            // Without an end, the second call waited for news that never came, forever.
            let end = tokio::time::timeout(
                Duration::from_secs(60),
                c.call(&create, &mut CallState::new(7, n)),
            )
            .await
            .expect("the call settles");
            assert!(matches!(end, CallEnd::Settled { .. }));
        }
        // The first goes at once; each later one after one NEWS_TIMEOUT without news.
        assert_eq!(Instant::now() - t0, crate::api::pacing::NEWS_TIMEOUT * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_on_a_job_start_holds_job_starts_only() {
        let c = Arc::new(
            ApiClient::new(
                Arc::new(StartLimited::default()),
                "t".into(),
                "2026-10".into(),
                Duration::from_secs(5),
                2,
                7,
                None,
            )
            .with_board("1"),
        );
        let t0 = Instant::now();
        let starter = c.clone();
        let start = tokio::spawn(async move {
            let call = Call {
                kind: RequestKind::IngestStart,
                body: Bytes::from_static(
                    b"mutation { ingest_items(board_id: 1, group_id: \"g\") { job_id } }",
                ),
                key: None,
                aliases: &[],
                cost: 1,
                records: 0,
            };
            let end = starter.call(&call, &mut CallState::new(7, 1)).await;
            (matches!(end, CallEnd::Settled { .. }), Instant::now() - t0)
        });
        // Let the start meet its 429.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let aliases = ["c0".to_string()];
        let create = Call {
            kind: RequestKind::Create,
            body: Bytes::from_static(
                b"mutation { c0: create_item(board_id: 1, item_name: \"x\") { id } }",
            ),
            key: None,
            aliases: &aliases,
            cost: 1,
            records: 1,
        };
        let end = c.call(&create, &mut CallState::new(7, 2)).await;
        assert!(matches!(end, CallEnd::Settled { .. }));
        assert!(
            Instant::now() - t0 < Duration::from_secs(5),
            "the create went at once, not after the start's 60 s"
        );
        let (settled, took) = start.await.unwrap();
        assert!(settled);
        assert!(
            took >= Duration::from_secs(60),
            "the start waited its retryAfterMs: {took:?}"
        );
        assert_eq!(c.counters.throttled.load(Ordering::Relaxed), 1);
    }

    /// Answers body "A" with `first` (423 locked, or 500) twice, then success; every other body
    /// with success. Logs which body came, in order.
    #[derive(Debug)]
    struct RefusesA {
        first: u16,
        seen: std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl Transport for RefusesA {
        async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
            let who = if String::from_utf8_lossy(&r.body).contains("\"A\"") {
                "A"
            } else {
                "B"
            };
            let status = {
                let mut seen = self.seen.lock().unwrap();
                seen.push(who.into());
                let refused = seen.iter().filter(|w| *w == "A").count() <= 2;
                if who == "A" && refused {
                    self.first
                } else {
                    200
                }
            };
            let body = if status == 200 {
                r#"{"data":{"c0":{"id":"1"}}}"#
            } else {
                "{}"
            };
            Ok(ApiResponse {
                status,
                headers: vec![
                    ("retry-after".into(), "1".into()),
                    (
                        "ratelimit".into(),
                        "\"complexityMinute\";r=9000000;t=30".into(),
                    ),
                ],
                body: Bytes::from(body),
            })
        }
    }

    /// Body A is refused twice (`status`) while body B waits for the write turn: the order the
    /// server saw them in.
    async fn order_with_a_refused(status: u16) -> Vec<String> {
        let t = Arc::new(RefusesA {
            first: status,
            seen: Default::default(),
        });
        let c = Arc::new(
            ApiClient::new(
                t.clone(),
                "t".into(),
                "2026-10".into(),
                Duration::from_secs(5),
                5,
                7,
                None,
            )
            .with_board("1"),
        );
        let aliases = ["c0".to_string()];
        let call = |name: &'static str| Call {
            kind: RequestKind::Create,
            body: Bytes::from(format!(
                "mutation {{ c0: create_item(board_id: 1, item_name: \"{name}\") {{ id }} }}"
            )),
            key: None,
            aliases: &[],
            cost: 1,
            records: 1,
        };
        let a = c.clone();
        let first = tokio::spawn(async move {
            let aliases = ["c0".to_string()];
            let call = Call {
                aliases: &aliases,
                ..call("A")
            };
            let turn = a.write_turn().await;
            a.call_in_turn(&call, &mut CallState::new(7, 1), turn).await
        });
        // B asks for its turn once A's first attempt is refused.
        tokio::time::sleep(Duration::from_millis(1)).await;
        let turn = c.write_turn().await;
        let b = Call {
            aliases: &aliases,
            ..call("B")
        };
        assert!(matches!(
            c.call_in_turn(&b, &mut CallState::new(7, 2), turn).await,
            CallEnd::Settled { .. }
        ));
        assert!(matches!(first.await.unwrap(), CallEnd::Settled { .. }));
        let seen = t.seen.lock().unwrap().clone();
        seen
    }

    #[tokio::test(start_paused = true)]
    async fn every_attempt_of_a_body_is_counted() {
        // Body "A" is refused with a 500 more times than the retry budget allows.
        let t = Arc::new(RefusesA {
            first: 500,
            seen: Default::default(),
        });
        let c = ApiClient::new(
            t,
            "t".into(),
            "2026-10".into(),
            Duration::from_secs(5),
            1,
            7,
            None,
        )
        .with_board("1");
        let aliases = ["c0".to_string()];
        let call = Call {
            kind: RequestKind::Create,
            body: Bytes::from_static(
                b"mutation { c0: create_item(board_id: 1, item_name: \"A\") { id } }",
            ),
            key: None,
            aliases: &aliases,
            cost: 1,
            records: 1,
        };
        let mut st = CallState::new(7, 1);
        let end = c.call(&call, &mut st).await;
        assert!(matches!(end, CallEnd::GiveUp { .. }), "{end:?}");
        assert_eq!(st.attempt, 2, "the first attempt and one retry");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_refused_as_locked_keeps_its_turn_through_the_wait_and_a_5xx_does_not() {
        // Locked: nothing of A ran, and A will still spend its budget; B is cut after A.
        assert_eq!(order_with_a_refused(423).await, ["A", "A", "A", "B"]);
        // A 5xx may have run A: its resend waits its backoff without holding B back.
        assert_eq!(order_with_a_refused(500).await, ["A", "B", "A", "A"]);
    }

    #[test]
    fn throttles_and_locks_are_counted_and_locks_and_conflicts_resend_alone() {
        let c = client(3);
        let wait = Some(Duration::from_secs(1));
        let alone = |s: Signal| c.count_refusal(s);
        assert!(!alone(Signal::Throttled { retry_in: wait }));
        assert!(!alone(Signal::StartsThrottled { retry_in: None }));
        assert!(alone(Signal::Locked { retry_in: wait }));
        assert!(alone(Signal::Conflict { retry_in: None }));
        assert!(!alone(Signal::ServerError));
        assert!(!alone(Signal::Answered));
        assert_eq!(c.counters.throttled.load(Ordering::Relaxed), 2);
        assert_eq!(c.counters.locked.load(Ordering::Relaxed), 1);
        assert_eq!(c.counters.requests.load(Ordering::Relaxed), 0);
    }

    fn transient(secs: Option<u64>) -> AliasOutcome {
        AliasOutcome::Transient {
            code: "X".into(),
            retry_in: secs.map(Duration::from_secs),
        }
    }

    #[test]
    fn transient_aliases_are_decided_by_the_client_with_the_longest_wait() {
        let c = client(1);
        let mut st = CallState::new(7, 1);
        let ok = AliasOutcome::Ok {
            item_id: "1".into(),
        };
        let all_ok = ResponseClass::Aliases(vec![ok.clone()]);
        assert_eq!(c.transient(&all_ok, &mut st), Transient::None);
        assert_eq!(st.retry.retries, 0);
        let some = ResponseClass::Aliases(vec![transient(Some(2)), ok, transient(Some(5))]);
        match c.transient(&some, &mut st) {
            Transient::Resend(w) => {
                assert_eq!(w.delay, Delay::Exact(Duration::from_secs(5)));
                assert_eq!(w.reason, WaitReason::RateLimited);
            }
            other => panic!("expected a resend, got {other:?}"),
        }
        assert_eq!(st.retry.retries, 1);
        // The retry budget (1) is spent: the next transient failure gives up.
        let again = ResponseClass::Aliases(vec![transient(None)]);
        assert_eq!(c.transient(&again, &mut st), Transient::GiveUp);
    }
}
