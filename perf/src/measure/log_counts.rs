//! Counting the sync's log events by level: a [`tracing_subscriber::Layer`] that the `monday-perf`
//! binary installs as part of its process-global subscriber.
//!
//! A global subscriber sees every event of every thread (tracing caches each callsite's interest
//! process-wide, so a thread-local subscriber set beside other work can miss events). The gate runs
//! its scenarios one after another, so the difference of two [`snapshot`]s taken around a run is
//! exactly that run's events: deterministic, and comparable with the baseline.
//!
//! Only events of the sync (`monday_sync` targets) at INFO and above are counted: per-record detail
//! at DEBUG/TRACE is allowed by the project's logging rules, a WARN or INFO per record is not.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{FilterFn, Filtered};
use tracing_subscriber::layer::{Context, Layer};

/// Target prefix of the events that are counted.
pub const COUNTED_TARGET: &str = "monday_sync";

static ERROR: AtomicU64 = AtomicU64::new(0);
static WARN: AtomicU64 = AtomicU64::new(0);
static INFO: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Log event counts by level (or per record, when divided).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LogCounts {
    pub error: f64,
    pub warn: f64,
    pub info: f64,
}

impl LogCounts {
    /// `self - earlier`, level by level.
    pub fn since(&self, earlier: &LogCounts) -> LogCounts {
        LogCounts {
            error: self.error - earlier.error,
            warn: self.warn - earlier.warn,
            info: self.info - earlier.info,
        }
    }

    /// Counts divided by `records` (at least 1), rounded to 4 decimals.
    pub fn per_record(&self, records: u64) -> LogCounts {
        let n = records.max(1) as f64;
        let r = |v: f64| (v / n * 10_000.0).round() / 10_000.0;
        LogCounts {
            error: r(self.error),
            warn: r(self.warn),
            info: r(self.info),
        }
    }
}

/// The counting layer (stateless: the counts are process-wide statics).
pub struct EventCounter;

impl<S: Subscriber> Layer<S> for EventCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let counter = match *event.metadata().level() {
            Level::ERROR => &ERROR,
            Level::WARN => &WARN,
            Level::INFO => &INFO,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn counted(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO && meta.target().starts_with(COUNTED_TARGET)
}

/// Which events are counted: a plain function pointer, so the filtered layer has a nameable type.
pub type CountedFilter = FilterFn<fn(&Metadata<'_>) -> bool>;

/// The counting layer with its own filter (sync targets, INFO and above), independent of whatever
/// filter the output layer beside it uses. Installing it marks the counts as meaningful.
pub fn counting_layer<S>() -> Filtered<EventCounter, CountedFilter, S>
where
    S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    INSTALLED.store(true, Ordering::SeqCst);
    let filter: CountedFilter =
        FilterFn::new(counted as fn(&Metadata<'_>) -> bool).with_max_level_hint(Level::INFO);
    EventCounter.with_filter(filter)
}

/// Whether a counting layer was installed in this process (counts are `None` in results otherwise).
pub fn installed() -> bool {
    INSTALLED.load(Ordering::SeqCst)
}

/// The process-wide counts so far.
pub fn snapshot() -> LogCounts {
    LogCounts {
        error: ERROR.load(Ordering::Relaxed) as f64,
        warn: WARN.load(Ordering::Relaxed) as f64,
        info: INFO.load(Ordering::Relaxed) as f64,
    }
}

/// Installs a global subscriber that only counts (for test binaries and tools without output).
/// Returns false when a global subscriber was already set by someone else.
pub fn install_counting_only() -> bool {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(counting_layer());
    tracing::subscriber::set_global_default(subscriber).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_record_and_difference() {
        let a = LogCounts {
            error: 0.0,
            warn: 10.0,
            info: 25.0,
        };
        let b = LogCounts {
            error: 0.0,
            warn: 110.0,
            info: 30.0,
        };
        let d = b.since(&a);
        assert_eq!(d.warn, 100.0);
        assert_eq!(d.per_record(50).warn, 2.0);
        assert_eq!(d.per_record(0).info, 5.0);
    }
}
