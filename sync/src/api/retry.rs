//! The retry policy: ONE pure function, [`decide`], says what to do after every attempt of every
//! request kind (board read, group creation, create/update batches, reconcile look-ups), plus the
//! seeded backoff it refers to.
//!
//! The send loop ([`crate::api::client::ApiClient::call`]) turns what an attempt produced into a
//! [`Signal`], asks [`decide`], and does what the [`Decision`] says: settle, send the same body
//! again after a wait (same `Idempotency-Key`), split the batch, give up on the body, or stop the
//! run. Waits on limits (429, 423, 409) do not count as retries; 5xx, resets, timeouts and
//! transient per-alias errors do.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::api::payload::ResponseClass;
use crate::observer::{RequestKind, WaitReason};
use crate::transport::TransportError;

/// First backoff step for 5xx, resets and timeouts.
pub(crate) const BASE_BACKOFF: Duration = Duration::from_millis(250);
/// Longest single backoff.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// Wait after a 429 when the API gave no `retry_in_seconds` / `Retry-After`.
pub(crate) const FIXED_THROTTLE_WAIT: Duration = Duration::from_secs(1);
/// Waits on throttles/locks per request before giving up (they do not count as retries).
pub(crate) const MAX_WAITS: u32 = 500;
/// Highest backoff step used for a lock or conflict without `Retry-After`.
const MAX_LOCK_STEP: u32 = 6;

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    /// A response that settles the body (per-alias outcomes, or a read's data).
    Answered,
    /// Some aliases of a settled response failed transiently; they go again in a new body.
    TransientAliases { retry_in: Option<Duration> },
    /// 429 or a throttling code.
    Throttled { retry_in: Option<Duration> },
    /// 429 on a job start from the bulk import's own limit (100 successful starts per account
    /// per hour, `extensions.retryAfterMs`; docs/monday-bulk-import.md §5.2): it holds job starts
    /// only, never the `create_item` batches beside them.
    StartsThrottled { retry_in: Option<Duration> },
    /// 423: the board is locked by another write; nothing was executed.
    Locked { retry_in: Option<Duration> },
    /// 409: the same `Idempotency-Key` is still being processed.
    Conflict { retry_in: Option<Duration> },
    /// 5xx or an unparseable body: the request may have been applied.
    ServerError,
    /// Over the per-request complexity cap.
    TooComplex,
    /// Refused for a reason that will not change.
    Rejected,
    /// Token refused, board missing, account limit: nothing further can succeed.
    Fatal,
    /// Timeout or reset: the request may have been applied.
    TransportMaybeSent,
    /// Could not connect: the request never left.
    TransportNotSent,
    /// The transport cannot send at all (bad URL, TLS...).
    TransportBroken,
}

impl Signal {
    /// The signal of a classified response.
    pub(crate) fn of_response(class: &ResponseClass) -> Signal {
        match class {
            ResponseClass::Aliases(_) => Signal::Answered,
            ResponseClass::Throttled { retry_in, .. } => Signal::Throttled {
                retry_in: *retry_in,
            },
            ResponseClass::Locked { retry_in } => Signal::Locked {
                retry_in: *retry_in,
            },
            ResponseClass::Conflict { retry_in } => Signal::Conflict {
                retry_in: *retry_in,
            },
            ResponseClass::ServerError { .. } => Signal::ServerError,
            ResponseClass::TooComplex => Signal::TooComplex,
            ResponseClass::Rejected { .. } => Signal::Rejected,
            ResponseClass::Auth { .. }
            | ResponseClass::BoardNotFound { .. }
            | ResponseClass::AccountLimit { .. } => Signal::Fatal,
        }
    }

    /// The signal of `class` answering a request of `kind`: a 429 on a job start that carries
    /// the start limit's `retryAfterMs` (`start_limit`) is [`Signal::StartsThrottled`]; every
    /// other 429 (the complexity budget, the minute limit) holds every sender.
    pub(crate) fn of_answer(class: &ResponseClass, kind: RequestKind, start_limit: bool) -> Signal {
        match Signal::of_response(class) {
            Signal::Throttled { retry_in } if kind == RequestKind::IngestStart && start_limit => {
                Signal::StartsThrottled { retry_in }
            }
            s => s,
        }
    }

    /// The signal of a transport failure.
    pub(crate) fn of_transport(e: &TransportError) -> Signal {
        match e {
            TransportError::Timeout | TransportError::Reset(_) => Signal::TransportMaybeSent,
            TransportError::Connect(_) => Signal::TransportNotSent,
            TransportError::Other(_) => Signal::TransportBroken,
        }
    }

    /// Whether a request that ended this way may have been applied.
    pub(crate) fn maybe_applied(self) -> bool {
        matches!(self, Signal::ServerError | Signal::TransportMaybeSent)
    }
}

/// How long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delay {
    Exact(Duration),
    /// Step `n` of the seeded exponential backoff ([`Backoff::delay`]).
    Backoff(u32),
}

/// Who waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Only this request.
    This,
    /// Every sender (a rate limit is account-wide): the pacer holds everyone.
    Everyone,
}

/// A wait before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wait {
    pub reason: WaitReason,
    pub delay: Delay,
    pub scope: Scope,
}

/// Whether a body the policy gave up on was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Definitely not: its records fail and may be sent again by a later run.
    No,
    /// Maybe: its records are reconciled against the board.
    Unknown,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The response is final for this body: use it.
    Settle,
    /// Send again after the wait: the same body with the same key (for
    /// [`Signal::TransientAliases`]: the failed aliases in a new body).
    Resend(Wait),
    /// Halve the batch; each part is a new body.
    Split,
    /// Stop trying this body.
    GiveUp(Applied),
    /// Stop the run.
    Fatal,
}

/// The retry budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Retries (5xx, resets, timeouts, transient aliases) per logical request.
    pub max_retries: u32,
    /// Waits on limits (429, 423, 409) per logical request.
    pub max_waits: u32,
}

impl Policy {
    pub(crate) fn new(max_retries: u32) -> Self {
        Policy {
            max_retries,
            max_waits: MAX_WAITS,
        }
    }
}

/// What a logical request has used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RetryState {
    pub retries: u32,
    pub waits: u32,
    /// An attempt of the current body may have been applied.
    pub maybe_applied: bool,
}

/// The decision after an attempt that produced `signal`, given what the request has used so far;
/// returns the decision and the updated state. `splittable`: the body carries more than one record.
///
/// Longer than the workspace's 80-line limit on purpose: it is a decision table, one match arm
/// per [`Signal`], and the whole retry policy reads in one place; split into helpers, a reader
/// would have to reassemble the table. It is the one allowed exception, listed with this reason
/// in `tests/src/code_size.rs` (`SYNC_ALLOWED`), which fails if it ever stops being over the
/// limit or another function joins it unlisted.
pub(crate) fn decide(
    signal: Signal,
    state: RetryState,
    policy: Policy,
    splittable: bool,
) -> (Decision, RetryState) {
    let mut s = state;
    s.maybe_applied |= signal.maybe_applied();
    let given_up = |s: &RetryState| {
        Decision::GiveUp(if s.maybe_applied {
            Applied::Unknown
        } else {
            Applied::No
        })
    };
    let decision = match signal {
        Signal::Answered => Decision::Settle,
        Signal::TransientAliases { retry_in } => {
            s.retries += 1;
            if s.retries > policy.max_retries {
                Decision::GiveUp(Applied::No)
            } else {
                Decision::Resend(match retry_in {
                    Some(d) => Wait {
                        reason: WaitReason::RateLimited,
                        delay: Delay::Exact(d),
                        scope: Scope::This,
                    },
                    None => backoff(s.retries - 1),
                })
            }
        }
        Signal::Throttled { retry_in } => {
            s.waits += 1;
            if s.waits > policy.max_waits {
                given_up(&s)
            } else {
                Decision::Resend(Wait {
                    reason: WaitReason::RateLimited,
                    delay: Delay::Exact(retry_in.unwrap_or(FIXED_THROTTLE_WAIT)),
                    scope: Scope::Everyone,
                })
            }
        }
        Signal::StartsThrottled { retry_in } => {
            s.waits += 1;
            if s.waits > policy.max_waits {
                given_up(&s)
            } else {
                // Job starts go one at a time ([`crate::write::ingest`]): this start waiting is
                // every start waiting, and nothing else is held.
                Decision::Resend(Wait {
                    reason: WaitReason::RateLimited,
                    delay: Delay::Exact(retry_in.unwrap_or(FIXED_THROTTLE_WAIT)),
                    scope: Scope::This,
                })
            }
        }
        Signal::Locked { retry_in } | Signal::Conflict { retry_in } => {
            s.waits += 1;
            if s.waits > policy.max_waits {
                given_up(&s)
            } else {
                Decision::Resend(Wait {
                    reason: WaitReason::Locked,
                    delay: retry_in
                        .map(Delay::Exact)
                        .unwrap_or(Delay::Backoff(s.waits.min(MAX_LOCK_STEP))),
                    scope: Scope::This,
                })
            }
        }
        Signal::ServerError | Signal::TransportMaybeSent | Signal::TransportNotSent => {
            s.retries += 1;
            if s.retries > policy.max_retries {
                given_up(&s)
            } else {
                Decision::Resend(backoff(s.retries - 1))
            }
        }
        Signal::TooComplex if splittable => Decision::Split,
        Signal::TooComplex | Signal::Rejected | Signal::TransportBroken => {
            Decision::GiveUp(Applied::No)
        }
        Signal::Fatal => Decision::Fatal,
    };
    (decision, s)
}

fn backoff(step: u32) -> Wait {
    Wait {
        reason: WaitReason::Retry,
        delay: Delay::Backoff(step),
        scope: Scope::This,
    }
}

/// Backoff for one logical request; seeded so a run is reproducible.
#[derive(Debug)]
pub(crate) struct Backoff {
    rng: ChaCha8Rng,
}

impl Backoff {
    /// `seed` is the run seed, `stream` distinguishes requests (e.g. the batch number).
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Backoff {
            rng: ChaCha8Rng::seed_from_u64(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        }
    }

    /// Delay before retry `attempt` (0-based): `base * 2^attempt`, capped, with "equal jitter"
    /// (uniform in [d/2, d]).
    pub(crate) fn delay(&mut self, attempt: u32) -> Duration {
        let d = BASE_BACKOFF
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF);
        let half = d / 2;
        let jitter = self.rng.gen_range(0..=half.as_micros() as u64);
        half + Duration::from_micros(jitter)
    }

    /// The concrete duration of `delay`.
    pub(crate) fn resolve(&mut self, delay: Delay) -> Duration {
        match delay {
            Delay::Exact(d) => d,
            Delay::Backoff(step) => self.delay(step),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_bounded() {
        let mut a = Backoff::new(7, 3);
        let mut b = Backoff::new(7, 3);
        for i in 0..12 {
            let (x, y) = (a.delay(i), b.delay(i));
            assert_eq!(x, y);
            let cap = BASE_BACKOFF.saturating_mul(1 << i.min(16)).min(MAX_BACKOFF);
            assert!(x >= cap / 2 && x <= cap, "{i}: {x:?}");
        }
        assert_ne!(Backoff::new(7, 3).delay(5), Backoff::new(8, 3).delay(5));
    }

    const POLICY: Policy = Policy {
        max_retries: 2,
        max_waits: 3,
    };
    const S3: Option<Duration> = Some(Duration::from_secs(3));

    fn st(retries: u32, waits: u32, maybe_applied: bool) -> RetryState {
        RetryState {
            retries,
            waits,
            maybe_applied,
        }
    }

    fn wait(reason: WaitReason, delay: Delay, scope: Scope) -> Decision {
        Decision::Resend(Wait {
            reason,
            delay,
            scope,
        })
    }

    fn exact(secs: u64) -> Delay {
        Delay::Exact(Duration::from_secs(secs))
    }

    /// Every response class and transport error, fresh and with the budgets used up.
    #[test]
    fn decision_table() {
        use Decision::*;
        use Scope::*;
        use Signal as S;
        use WaitReason::*;
        let fresh = st(0, 0, false);
        let table: Vec<(Signal, RetryState, bool, Decision, RetryState)> = vec![
            // settled
            (S::Answered, fresh, true, Settle, fresh),
            (S::Answered, st(2, 3, true), true, Settle, st(2, 3, true)),
            // transient aliases: a retry; the API's wait when it gave one, else backoff
            (
                S::TransientAliases { retry_in: S3 },
                fresh,
                true,
                wait(RateLimited, exact(3), This),
                st(1, 0, false),
            ),
            (
                S::TransientAliases { retry_in: None },
                st(1, 0, false),
                true,
                wait(Retry, Delay::Backoff(1), This),
                st(2, 0, false),
            ),
            (
                S::TransientAliases { retry_in: None },
                st(2, 0, true),
                true,
                GiveUp(Applied::No),
                st(3, 0, true),
            ),
            // 429: everyone waits retry_in (or 1 s); a wait, not a retry
            (
                S::Throttled { retry_in: S3 },
                fresh,
                true,
                wait(RateLimited, exact(3), Everyone),
                st(0, 1, false),
            ),
            (
                S::Throttled { retry_in: None },
                st(2, 0, false),
                false,
                wait(RateLimited, Delay::Exact(FIXED_THROTTLE_WAIT), Everyone),
                st(2, 1, false),
            ),
            (
                S::Throttled { retry_in: S3 },
                st(0, 3, false),
                true,
                GiveUp(Applied::No),
                st(0, 4, false),
            ),
            (
                S::Throttled { retry_in: S3 },
                st(0, 3, true),
                true,
                GiveUp(Applied::Unknown),
                st(0, 4, true),
            ),
            // 423 / 409: this request waits Retry-After (or a backoff step); not a retry
            (
                S::Locked { retry_in: S3 },
                fresh,
                true,
                wait(Locked, exact(3), This),
                st(0, 1, false),
            ),
            (
                S::Locked { retry_in: None },
                st(0, 1, false),
                true,
                wait(Locked, Delay::Backoff(2), This),
                st(0, 2, false),
            ),
            (
                S::Conflict { retry_in: None },
                st(0, 2, false),
                true,
                wait(Locked, Delay::Backoff(3), This),
                st(0, 3, false),
            ),
            (
                S::Locked { retry_in: S3 },
                st(1, 3, false),
                true,
                GiveUp(Applied::No),
                st(1, 4, false),
            ),
            // 5xx, timeouts, resets: maybe applied, back off, then unknown
            (
                S::ServerError,
                fresh,
                true,
                wait(Retry, Delay::Backoff(0), This),
                st(1, 0, true),
            ),
            (
                S::ServerError,
                st(2, 0, false),
                true,
                GiveUp(Applied::Unknown),
                st(3, 0, true),
            ),
            (
                S::TransportMaybeSent,
                st(1, 0, false),
                false,
                wait(Retry, Delay::Backoff(1), This),
                st(2, 0, true),
            ),
            (
                S::TransportMaybeSent,
                st(2, 1, false),
                false,
                GiveUp(Applied::Unknown),
                st(3, 1, true),
            ),
            // connect failures never left: not applied unless an earlier attempt may have been
            (
                S::TransportNotSent,
                fresh,
                true,
                wait(Retry, Delay::Backoff(0), This),
                st(1, 0, false),
            ),
            (
                S::TransportNotSent,
                st(2, 0, false),
                true,
                GiveUp(Applied::No),
                st(3, 0, false),
            ),
            (
                S::TransportNotSent,
                st(2, 0, true),
                true,
                GiveUp(Applied::Unknown),
                st(3, 0, true),
            ),
            // too complex: split while there is something to split
            (S::TooComplex, fresh, true, Split, fresh),
            (S::TooComplex, fresh, false, GiveUp(Applied::No), fresh),
            // rejections and a broken transport: this body fails, nothing was applied
            (S::Rejected, fresh, true, GiveUp(Applied::No), fresh),
            (S::TransportBroken, fresh, true, GiveUp(Applied::No), fresh),
            // token refused, board missing, account limit
            (S::Fatal, fresh, true, Fatal, fresh),
        ];
        for (signal, before, splittable, want, after) in table {
            let got = decide(signal, before, POLICY, splittable);
            assert_eq!(got, (want, after), "{signal:?} from {before:?}");
        }
    }

    #[test]
    fn the_job_start_limit_holds_job_starts_only() {
        let hold = Duration::from_millis(1_500);
        let ms = Some(hold);
        let class = ResponseClass::Throttled {
            code: "RATE_LIMIT_EXCEEDED".into(),
            retry_in: ms,
        };
        let start = Signal::of_answer(&class, RequestKind::IngestStart, true);
        assert_eq!(start, Signal::StartsThrottled { retry_in: ms });
        let (d, after) = decide(start, RetryState::default(), POLICY, false);
        assert_eq!(
            d,
            wait(WaitReason::RateLimited, Delay::Exact(hold), Scope::This)
        );
        assert_eq!(after, st(0, 1, false), "a wait, not a retry");
        // Any other 429 holds every sender: the minute limit on a start (no retryAfterMs), a
        // 429 with retryAfterMs on a write.
        for (kind, start_limit) in [
            (RequestKind::IngestStart, false),
            (RequestKind::Create, true),
        ] {
            let s = Signal::of_answer(&class, kind, start_limit);
            assert_eq!(s, Signal::Throttled { retry_in: ms });
            let (d, _) = decide(s, RetryState::default(), POLICY, false);
            assert_eq!(
                d,
                wait(WaitReason::RateLimited, Delay::Exact(hold), Scope::Everyone)
            );
        }
    }

    #[test]
    fn every_response_class_has_a_signal() {
        use std::time::Duration as D;
        let classes = [
            (ResponseClass::Aliases(vec![]), Signal::Answered),
            (
                ResponseClass::Throttled {
                    code: "X".into(),
                    retry_in: Some(D::from_secs(1)),
                },
                Signal::Throttled {
                    retry_in: Some(D::from_secs(1)),
                },
            ),
            (
                ResponseClass::Locked { retry_in: None },
                Signal::Locked { retry_in: None },
            ),
            (
                ResponseClass::Conflict { retry_in: None },
                Signal::Conflict { retry_in: None },
            ),
            (
                ResponseClass::ServerError { status: 502 },
                Signal::ServerError,
            ),
            (ResponseClass::TooComplex, Signal::TooComplex),
            (
                ResponseClass::Rejected {
                    code: "c".into(),
                    message: "m".into(),
                },
                Signal::Rejected,
            ),
            (
                ResponseClass::Auth {
                    status: 401,
                    code: None,
                    message: String::new(),
                },
                Signal::Fatal,
            ),
            (
                ResponseClass::BoardNotFound {
                    message: String::new(),
                },
                Signal::Fatal,
            ),
            (
                ResponseClass::AccountLimit {
                    code: "DAILY_LIMIT_EXCEEDED".into(),
                    message: String::new(),
                },
                Signal::Fatal,
            ),
        ];
        for (class, signal) in classes {
            assert_eq!(Signal::of_response(&class), signal, "{class:?}");
        }
        assert_eq!(
            Signal::of_transport(&TransportError::Timeout),
            Signal::TransportMaybeSent
        );
        assert_eq!(
            Signal::of_transport(&TransportError::Reset("r".into())),
            Signal::TransportMaybeSent
        );
        assert_eq!(
            Signal::of_transport(&TransportError::Connect("c".into())),
            Signal::TransportNotSent
        );
        assert_eq!(
            Signal::of_transport(&TransportError::Other("o".into())),
            Signal::TransportBroken
        );
    }
}
