//! The last step: outcomes become counts ([`Tally`]) and what the state store learns
//! ([`Learned`]). Records whose outcome is unknown wait for a look-up on the board at the end of
//! the run ([`confirm`], or [`leave_pending`] when the look-up fails).

use std::collections::HashMap;

use tokio::time::Instant;

use super::tally::Tally;
use crate::api::payload::Op;
use crate::mapping::transform::{FailureCause, RecordFailure};
use crate::planning::PlannedRecord;
use crate::state::reconcile::confirmed_item;
use crate::write::RecordResult;

/// A record whose outcome is unknown, and why.
pub(crate) type Unknown = (PlannedRecord, String);

/// What the state store learns from outcomes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Learned {
    /// `(key, item id, content hash)`: on the board now.
    pub(crate) done: Vec<(String, String, String)>,
    /// Keys whose pending mark goes: nothing was created for them.
    pub(crate) cleared: Vec<String>,
}

/// The outcomes of one write job: counted, and what the state store learns; the records whose
/// outcome is unknown are returned.
pub(crate) fn settle(
    outcomes: Vec<(PlannedRecord, RecordResult)>,
    finished_at: Instant,
    tally: &mut Tally,
) -> (Learned, Vec<Unknown>) {
    let mut learned = Learned::default();
    let mut unknown = vec![];
    for (item, result) in outcomes {
        let rec = &item.record;
        match result {
            RecordResult::Done { item_id } => {
                learned
                    .done
                    .push((rec.key.clone(), item_id, rec.content_hash.clone()));
                let update = matches!(item.op, Op::Update { .. }) && !item.created_here;
                tally.written(rec, update, item.ready_at, finished_at);
            }
            RecordResult::Failed {
                field,
                reason,
                cause,
            } => {
                learned.cleared.push(rec.key.clone());
                let f = RecordFailure::new(rec.line, Some(&rec.key), &field, cause, reason);
                tally.fail(f, &rec.customer, item.ready_at);
            }
            RecordResult::Ambiguous { reason } => unknown.push((item, reason)),
        }
    }
    (learned, unknown)
}

/// Records with unknown outcomes, against what the board shows (`found`: key -> item ids): a
/// create found there is done; the rest fail as not confirmed (the next run sends them again).
pub(crate) fn confirm(
    items: Vec<Unknown>,
    found: &HashMap<String, Vec<String>>,
    tally: &mut Tally,
) -> Learned {
    let now = Instant::now();
    let mut learned = Learned::default();
    for (item, reason) in items {
        let rec = &item.record;
        match confirmed_item(found, &rec.key, &item.op) {
            Some(id) => {
                learned
                    .done
                    .push((rec.key.clone(), id, rec.content_hash.clone()));
                tally.written(rec, false, item.ready_at, now);
            }
            None => {
                learned.cleared.push(rec.key.clone());
                let reason =
                    format!("{reason}; not confirmed on the board, the next run retries it");
                let f = RecordFailure::new(
                    rec.line,
                    Some(&rec.key),
                    "",
                    FailureCause::NotConfirmed,
                    reason,
                );
                tally.unresolved(f, &rec.customer, item.ready_at);
            }
        }
    }
    learned
}

/// The look-up of records with unknown outcomes failed: they fail as not confirmed and stay
/// pending (the next run reconciles them first).
pub(crate) fn leave_pending(items: Vec<Unknown>, tally: &mut Tally) {
    for (item, reason) in items {
        let rec = &item.record;
        let reason = format!("{reason}; still pending, the next run reconciles it");
        let f = RecordFailure::new(
            rec.line,
            Some(&rec.key),
            "",
            FailureCause::NotConfirmed,
            reason,
        );
        tally.unresolved(f, &rec.customer, item.ready_at);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tally::tests::{record, tally};
    use super::*;
    use crate::observer::RecordOutcome;

    fn planned(line: u64, op: Op) -> PlannedRecord {
        let mut record = record(line, "Acme");
        record.content_hash = format!("h{line}");
        PlannedRecord {
            record,
            op,
            ready_at: Instant::now(),
            created_here: false,
        }
    }

    fn create() -> Op {
        Op::Create { group_id: None }
    }

    #[tokio::test(start_paused = true)]
    async fn each_result_is_counted_stored_or_kept_for_a_look_up() {
        let (mut t, heard) = tally();
        let update = Op::Update {
            item_id: "8".into(),
        };
        let outcomes = vec![
            (
                planned(1, create()),
                RecordResult::Done {
                    item_id: "11".into(),
                },
            ),
            (
                planned(2, update),
                RecordResult::Done {
                    item_id: "8".into(),
                },
            ),
            (
                planned(3, create()),
                RecordResult::Failed {
                    field: "status".into(),
                    reason: "ColumnValueException: no".into(),
                    cause: FailureCause::MissingLabel,
                },
            ),
            (
                planned(4, create()),
                RecordResult::Ambiguous {
                    reason: "timeout".into(),
                },
            ),
        ];
        let (learned, unknown) = settle(outcomes, Instant::now(), &mut t);
        assert_eq!(
            learned.done,
            [
                ("K1".to_string(), "11".to_string(), "h1".to_string()),
                ("K2".to_string(), "8".to_string(), "h2".to_string())
            ]
        );
        assert_eq!(learned.cleared, ["K3"]);
        assert_eq!(unknown.len(), 1);
        assert_eq!(
            (unknown[0].0.record.line, unknown[0].1.as_str()),
            (4, "timeout")
        );
        let s = &t.summary;
        assert_eq!((s.created, s.updated, s.failed, s.unresolved), (1, 1, 1, 0));
        let f = &s.failures[0];
        assert_eq!(
            (f.line, f.key.as_deref(), f.field.as_str(), f.cause),
            (3, Some("K3"), "status", FailureCause::MissingLabel)
        );
        assert_eq!(s.per_customer["Acme"].label_errors, 1);
        assert_eq!(heard.0.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_look_up_confirms_creates_and_fails_the_rest() {
        let (mut t, heard) = tally();
        let update = Op::Update {
            item_id: "8".into(),
        };
        let items = vec![
            (planned(1, create()), "timeout".to_string()),
            (planned(2, create()), "reset".to_string()),
            (planned(3, update), "timeout".to_string()),
        ];
        let found = HashMap::from([
            ("K1".to_string(), vec!["21".to_string()]),
            ("K3".to_string(), vec!["8".to_string()]),
        ]);
        let learned = confirm(items, &found, &mut t);
        assert_eq!(
            learned.done,
            [("K1".to_string(), "21".to_string(), "h1".to_string())]
        );
        assert_eq!(learned.cleared, ["K2", "K3"]);
        let s = &t.summary;
        assert_eq!((s.created, s.failed, s.unresolved), (1, 2, 2));
        assert!(s.failures[0].reason.starts_with("reset; not confirmed"));
        assert_eq!(heard.0.lock().unwrap()[0], (1, RecordOutcome::Created));
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_look_up_records_stay_pending_and_unresolved() {
        let (mut t, _) = tally();
        leave_pending(vec![(planned(1, create()), "timeout".into())], &mut t);
        let s = &t.summary;
        assert_eq!((s.failed, s.unresolved), (1, 1));
        assert_eq!(s.failures[0].cause, FailureCause::NotConfirmed);
        assert!(s.failures[0]
            .reason
            .ends_with("still pending, the next run reconciles it"));
    }
}
