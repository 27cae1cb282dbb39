//! What the simulator keeps between requests ([`State`], behind its mutex) and what one request
//! carries through the stages ([`Ctx`]).

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::config::SimConfig;
use crate::faults::Storms;
use crate::idempotency::IdempotencyCache;
use crate::ids::uuid_v4;
use crate::jobs::Jobs;
use crate::limits::{Budgets, DailyLimit, InFlight, IpLimits, WindowCounter};
use crate::request_log::{RequestFacts, RequestLog};
use crate::stats::Stats;
use crate::store::Store;
use crate::version::{ApiVersion, ErrorStyle};

/// RNG streams derived from the one seed, so that e.g. enabling faults does not shift latencies.
const STREAM_LATENCY: u64 = 1;
const STREAM_FAULTS: u64 = 2;
const STREAM_IDS: u64 = 3;
const STREAM_STORMS: u64 = 4;
const STREAM_LOCKS: u64 = 5;
/// Job ids, upload signatures and the bulk import's faults (`upload_cut`, `job_internal_error`).
const STREAM_JOBS: u64 = 6;

/// Mutable simulator state (behind the mutex).
pub(super) struct State {
    pub(super) store: Store,
    pub(super) rng_latency: ChaCha8Rng,
    pub(super) rng_faults: ChaCha8Rng,
    pub(super) rng_ids: ChaCha8Rng,
    /// Draws of the probabilistic board lock (`BoardLock::Probability`).
    pub(super) rng_locks: ChaCha8Rng,
    /// The 429 storms of the `storm` fault (with their own stream).
    pub(super) storms: Storms,
    pub(super) minute: WindowCounter,
    pub(super) ip: IpLimits,
    pub(super) daily: Option<DailyLimit>,
    pub(super) budgets: Budgets,
    pub(super) in_flight: InFlight,
    pub(super) idempotency: IdempotencyCache,
    pub(super) stats: Stats,
    pub(super) request_log: RequestLog,
    /// The bulk-import jobs, the hourly item budget and the job-start limiter.
    pub(super) jobs: Jobs,
    /// Write requests that reached execution without a drawn fault (the count behind the
    /// deterministic `commit_then_fail_every`).
    pub(super) writes_undrawn: u64,
}

impl State {
    /// The initial state: the fixture, empty limiters and caches, zero counters, every RNG
    /// stream at its start.
    pub(super) fn fresh(config: &SimConfig) -> Self {
        let l = &config.limits;
        let budgets = l.budgets(config.token_kind);
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
            jobs: Jobs::new(&config.bulk, stream_rng(config.seed, STREAM_JOBS)),
            writes_undrawn: 0,
        }
    }
}

fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Per-request facts the stages and the envelope need.
pub(super) struct Ctx {
    pub(super) now: Duration,
    pub(super) request_id: String,
    pub(super) version: ApiVersion,
    pub(super) style: ErrorStyle,
    /// Which complexity bucket the rate-limit headers describe (app tokens).
    pub(super) write: bool,
    /// The token's user (set once authenticated).
    pub(super) user_id: u64,
    /// What the request log records about this request.
    pub(super) facts: RequestFacts,
}

impl Ctx {
    /// A request arriving at `now`: its id (drawn from the id stream) and, even before the
    /// version is validated, the error style of the version it asks for (the current one when
    /// it asks for none or a bad one).
    pub(super) fn arrive(now: Duration, ids: &mut ChaCha8Rng, api_version: Option<&str>) -> Self {
        let request_id = uuid_v4(ids);
        let version = ApiVersion::resolve(api_version).unwrap_or_else(|_| ApiVersion::current());
        Ctx {
            now,
            request_id,
            version,
            style: version.error_style(),
            write: false,
            user_id: 0,
            facts: RequestFacts::default(),
        }
    }
}
