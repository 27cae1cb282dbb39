//! The run's counts: every record's outcome goes into the summary (in total and per customer) and
//! to the observer, here and nowhere else.

use std::sync::Arc;

use tokio::time::Instant;

use crate::mapping::transform::{FailureCause, PreparedRecord, RecordFailure};
use crate::observer::{RecordEvent, RecordOutcome, SyncObserver};
use crate::report::{CustomerStats, RunSummary};

/// The summary being counted, and who hears of each record.
pub(crate) struct Tally {
    pub(crate) summary: RunSummary,
    observer: Option<Arc<dyn SyncObserver>>,
}

impl Tally {
    pub(crate) fn new(summary: RunSummary, observer: Option<Arc<dyn SyncObserver>>) -> Self {
        Tally { summary, observer }
    }

    fn customer(&mut self, name: &str) -> &mut CustomerStats {
        self.summary
            .per_customer
            .entry(name.to_string())
            .or_default()
    }

    fn event(&self, ready_at: Instant, finished_at: Instant, outcome: RecordOutcome, line: u64) {
        if let Some(o) = &self.observer {
            o.record_finished(&RecordEvent {
                ready_at,
                finished_at,
                outcome,
                line,
            });
        }
    }

    /// A record was read (counted before it is known to be valid).
    pub(crate) fn read(&mut self) {
        self.summary.records += 1;
    }

    /// A record of `customer` was parsed (valid or not).
    pub(crate) fn of_customer(&mut self, customer: &str) {
        self.customer(customer).records += 1;
    }

    /// The board already holds this content.
    pub(crate) fn unchanged(&mut self, rec: &PreparedRecord, ready_at: Instant) {
        self.summary.unchanged += 1;
        self.customer(&rec.customer).unchanged += 1;
        self.event(ready_at, Instant::now(), RecordOutcome::Unchanged, rec.line);
    }

    /// The record is on the board: created, or (`update`) its item changed.
    pub(crate) fn written(
        &mut self,
        rec: &PreparedRecord,
        update: bool,
        ready_at: Instant,
        finished_at: Instant,
    ) {
        let outcome = if update {
            self.summary.updated += 1;
            self.customer(&rec.customer).updated += 1;
            RecordOutcome::Updated
        } else {
            self.summary.created += 1;
            self.customer(&rec.customer).created += 1;
            RecordOutcome::Created
        };
        self.event(ready_at, finished_at, outcome, rec.line);
    }

    /// The record failed; `customer` is its report bucket.
    pub(crate) fn fail(&mut self, f: RecordFailure, customer: &str, ready_at: Instant) {
        tracing::debug!(line = f.line, field = %f.field, reason = %f.reason, "record failed");
        self.summary.failed += 1;
        if f.cause == FailureCause::BoardFull {
            self.summary.board_full += 1;
        }
        let c = self.customer(customer);
        c.failed += 1;
        if f.cause == FailureCause::MissingLabel {
            c.label_errors += 1;
        }
        self.event(ready_at, Instant::now(), RecordOutcome::Failed, f.line);
        self.summary.failures.push(f);
    }

    /// A failed record whose outcome the board could not confirm (the next run reconciles it).
    pub(crate) fn unresolved(&mut self, f: RecordFailure, customer: &str, ready_at: Instant) {
        self.summary.unresolved += 1;
        self.fail(f, customer, ready_at);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::observer::RequestEvent;

    /// Collects the record events it hears.
    #[derive(Default)]
    pub(crate) struct Heard(pub(crate) Mutex<Vec<(u64, RecordOutcome)>>);

    impl SyncObserver for Heard {
        fn request_finished(&self, _: &RequestEvent) {}
        fn record_finished(&self, ev: &RecordEvent) {
            self.0.lock().unwrap().push((ev.line, ev.outcome));
        }
    }

    pub(crate) fn record(line: u64, customer: &str) -> PreparedRecord {
        PreparedRecord {
            line,
            key: format!("K{line}"),
            customer: customer.into(),
            ..Default::default()
        }
    }

    pub(crate) fn tally() -> (Tally, Arc<Heard>) {
        let heard = Arc::new(Heard::default());
        (
            Tally::new(RunSummary::default(), Some(heard.clone())),
            heard,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn every_outcome_counts_in_total_per_customer_and_to_the_observer() {
        let (mut t, heard) = tally();
        let now = Instant::now();
        for _ in 0..5 {
            t.read();
        }
        t.of_customer("Acme");
        t.unchanged(&record(1, "Acme"), now);
        t.written(&record(2, "Acme"), false, now, now);
        t.written(&record(3, "Bo"), true, now, now);
        let label = RecordFailure::new(4, Some("K4"), "status", FailureCause::MissingLabel, "x");
        t.fail(label, "Bo", now);
        let full = RecordFailure::new(5, Some("K5"), "", FailureCause::BoardFull, "full");
        t.unresolved(full, "Acme", now);
        let s = &t.summary;
        assert_eq!(
            (s.records, s.unchanged, s.created, s.updated, s.failed),
            (5, 1, 1, 1, 2)
        );
        assert_eq!((s.board_full, s.unresolved, s.failures.len()), (1, 1, 2));
        let acme = &s.per_customer["Acme"];
        assert_eq!(
            (acme.records, acme.unchanged, acme.created, acme.failed),
            (1, 1, 1, 1)
        );
        let bo = &s.per_customer["Bo"];
        assert_eq!((bo.updated, bo.failed, bo.label_errors), (1, 1, 1));
        assert_eq!(
            *heard.0.lock().unwrap(),
            [
                (1, RecordOutcome::Unchanged),
                (2, RecordOutcome::Created),
                (3, RecordOutcome::Updated),
                (4, RecordOutcome::Failed),
                (5, RecordOutcome::Failed)
            ]
        );
    }
}
