//! Which limiter refused a request with a 429: one name for the statistics and one error code
//! for the body and the request log, decided here for every limiter.

/// A limiter that answers 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Throttle {
    /// Requests per caller address ([`crate::limits::IpLimits`]).
    Ip,
    /// An injected 429 storm ([`crate::faults::Storms`]): refused in the minute limit's shape.
    Storm,
    /// Requests per minute ([`crate::limits::WindowCounter`]).
    Minute,
    /// Calls per day ([`crate::limits::DailyLimit`]).
    Daily,
    /// Requests in flight ([`crate::limits::InFlight`]).
    Concurrency,
    /// The complexity budget ([`crate::limits::ComplexityBudget`]).
    Complexity,
    /// Bulk-import job starts per hour (`ingest_items`, `backfill_items`).
    JobStarts,
}

impl Throttle {
    /// Every limiter, in the order the pipeline asks them (job starts last: at execution).
    pub const ALL: [Throttle; 7] = [
        Throttle::Ip,
        Throttle::Storm,
        Throttle::Minute,
        Throttle::Daily,
        Throttle::Concurrency,
        Throttle::Complexity,
        Throttle::JobStarts,
    ];

    /// Its key in [`crate::stats::Stats::throttled_by_kind`].
    pub fn name(self) -> &'static str {
        match self {
            Throttle::Ip => "ip",
            Throttle::Storm => "storm",
            Throttle::Minute => "minute",
            Throttle::Daily => "daily",
            Throttle::Concurrency => "concurrency",
            Throttle::Complexity => "complexity",
            Throttle::JobStarts => "job_starts",
        }
    }

    /// The error code of its 429 (`extensions.code` of the modern shapes) and of its request-log
    /// entry. A storm answers in the minute limit's shape, so with its code.
    pub fn code(self) -> &'static str {
        match self {
            Throttle::Ip => "IP_RATE_LIMIT_EXCEEDED",
            Throttle::Storm | Throttle::Minute | Throttle::JobStarts => "RATE_LIMIT_EXCEEDED",
            Throttle::Daily => "DAILY_LIMIT_EXCEEDED",
            Throttle::Concurrency => "maxConcurrencyExceeded",
            Throttle::Complexity => "COMPLEXITY_BUDGET_EXHAUSTED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limiter_has_its_name_and_code() {
        let rows = [
            (Throttle::Ip, "ip", "IP_RATE_LIMIT_EXCEEDED"),
            (Throttle::Storm, "storm", "RATE_LIMIT_EXCEEDED"),
            (Throttle::Minute, "minute", "RATE_LIMIT_EXCEEDED"),
            (Throttle::Daily, "daily", "DAILY_LIMIT_EXCEEDED"),
            (
                Throttle::Concurrency,
                "concurrency",
                "maxConcurrencyExceeded",
            ),
            (
                Throttle::Complexity,
                "complexity",
                "COMPLEXITY_BUDGET_EXHAUSTED",
            ),
            (Throttle::JobStarts, "job_starts", "RATE_LIMIT_EXCEEDED"),
        ];
        assert_eq!(rows.len(), Throttle::ALL.len());
        for ((kind, name, code), listed) in rows.into_iter().zip(Throttle::ALL) {
            assert_eq!(kind, listed);
            assert_eq!((kind.name(), kind.code()), (name, code), "{kind:?}");
        }
    }
}
