//! Retries that are no longer idempotent, found in the simulator's own request log.
//!
//! Exactly-once rests on every retry of a write carrying the same `Idempotency-Key` and the same
//! body as its first attempt: a committed write sent again under another key executes again.
//! The simulator tells two attempts of one write apart from two writes without trusting the key:
//! each mutation is logged with its `write_identity` (a hash of the values it carries, whatever
//! its key, alias names or order; `mock_monday::request_log::write_identity`). Every mutation
//! whose identity was seen before is a retried write; one whose key or body hash differs from
//! the first attempt's is a key change, which the gate's `max_retry_key_changes` (0) fails on.
//!
//! Bulk-import job starts (`ingest_items`) are left out: a start carries only the board, the
//! group and the match column, so two jobs into one group (its rows split over the hour's budget,
//! or a new job after a failed upload) look like one write sent twice, yet each start is a job
//! of its own and must carry its own key. Extra starts show in the gate's `ingest_starts`.

use std::collections::HashMap;

use mock_monday::request_log::RequestLogEntry;
use serde::{Deserialize, Serialize};

/// What the request log says about a run's retried writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryKeys {
    /// Distinct writes (write identities).
    pub writes: u64,
    /// Attempts of a write after its first.
    pub retried_writes: u64,
    /// Retried writes whose `Idempotency-Key` differs from the first attempt's.
    pub key_changes: u64,
    /// Retried writes with the first attempt's key whose body differs from the first attempt's.
    pub body_changes: u64,
}

impl RetryKeys {
    /// Retried writes not keyed and shaped like their first attempt.
    pub fn changes(&self) -> u64 {
        self.key_changes + self.body_changes
    }

    /// Reads the log (oldest first).
    pub fn of<'a>(log: impl IntoIterator<Item = &'a RequestLogEntry>) -> Self {
        let mut first: HashMap<&str, (Option<&str>, &str)> = HashMap::new();
        let mut out = Self::default();
        for e in log {
            let Some(identity) = e.write_identity.as_deref() else {
                continue;
            };
            if e.kind == mock_monday::request_log::RequestKind::IngestStart {
                continue;
            }
            let key = e.idempotency_key.as_deref();
            match first.get(identity) {
                None => {
                    first.insert(identity, (key, e.body_hash.as_str()));
                    out.writes += 1;
                }
                Some(&(first_key, first_body)) => {
                    out.retried_writes += 1;
                    if key != first_key {
                        out.key_changes += 1;
                        tracing::debug!(
                            identity,
                            seq = e.seq,
                            "a retried write carries another Idempotency-Key"
                        );
                    } else if e.body_hash != first_body {
                        out.body_changes += 1;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_monday::request_log::RequestKind;

    fn entry(seq: u64, identity: Option<&str>, key: &str, body: &str) -> RequestLogEntry {
        RequestLogEntry {
            seq,
            t_ms: 0.0,
            kind: RequestKind::Create,
            aliases: 1,
            request_bytes: 10,
            status: Some(200),
            latency_ms: 0.0,
            complexity: 0,
            items_created: 0,
            throttled: None,
            locked: false,
            root_fields: vec![],
            boards: vec![],
            idempotency_key: Some(key.into()),
            replay: false,
            body_hash: body.into(),
            write_identity: identity.map(str::to_string),
        }
    }

    #[test]
    fn retries_are_found_by_identity_and_judged_by_key_and_body() {
        let log = [
            entry(0, None, "r", "read"),
            entry(1, Some("w1"), "k1", "b1"),
            entry(2, Some("w1"), "k1", "b1"), // a good retry
            entry(3, Some("w2"), "k2", "b2"),
            entry(4, Some("w2"), "fresh", "b2"),        // rekeyed
            entry(5, Some("w1"), "k1", "b1-reordered"), // same key, rebuilt body
        ];
        let r = RetryKeys::of(&log);
        assert_eq!(
            r,
            RetryKeys {
                writes: 2,
                retried_writes: 3,
                key_changes: 1,
                body_changes: 1,
            }
        );
        assert_eq!(r.changes(), 2);
        assert_eq!(RetryKeys::of(&log[..3]).changes(), 0);
    }

    #[test]
    fn two_job_starts_into_one_group_are_two_writes_not_a_key_change() {
        let start = |seq, key: &str| RequestLogEntry {
            kind: RequestKind::IngestStart,
            ..entry(seq, Some("start-g1"), key, "b")
        };
        let k = RetryKeys::of(&[start(1, "k1"), start(2, "k2")]);
        assert_eq!((k.retried_writes, k.key_changes), (0, 0));
        // A create sent again under another key still counts.
        let k = RetryKeys::of(&[
            entry(1, Some("c"), "k1", "b"),
            entry(2, Some("c"), "k2", "b"),
        ]);
        assert_eq!(k.key_changes, 1);
    }
}
