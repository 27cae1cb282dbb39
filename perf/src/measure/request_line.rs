//! One line of a request log as the harness reads it, whichever side wrote it: monday-sync's
//! client-side `--request-log` (its `LogLine`) or the simulator's server log
//! (`mock_monday::RequestLogEntry`, `GET /__admin/requests`), and the reference job client's log
//! ([`crate::replay::bulk_client`], which writes this type). `calibrate` and the job-rate fit read it.
//!
//! The kind is the simulator's typed [`RequestKind`] (its serde names are the sync's): a line
//! whose kind neither side knows is a parse error naming the line, never a silent "other", and
//! the tests below check that every kind the sync writes reads back as the same kind.

use mock_monday::RequestKind;
use serde::{Deserialize, Serialize};

/// A bulk-import job's row counts as `fetch_job_status` reports them (the fields the fit uses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct JobCounts {
    #[serde(default)]
    pub submitted: f64,
    #[serde(default)]
    pub invalid: f64,
}

/// One request-log line. Missing optional keys take their defaults; `latency_ms` is required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// Attempt start (client logs) or arrival (server log), milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RequestKind>,
    #[serde(default)]
    pub aliases: u32,
    #[serde(default)]
    pub status: Option<u16>,
    pub latency_ms: f64,
    /// The throttling code (a string), or null / false.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub throttled: serde_json::Value,
    #[serde(default, skip_serializing_if = "is_false")]
    pub locked: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub replay: bool,
    /// Bulk-import lines of the reference job client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_percentage: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_counts: Option<JobCounts>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl LoggedRequest {
    /// The kind (`Other` when the line names none).
    pub fn kind(&self) -> RequestKind {
        self.kind.unwrap_or(RequestKind::Other)
    }

    /// A write the latency model charges per alias for.
    pub fn is_mutation(&self) -> bool {
        matches!(
            self.kind(),
            RequestKind::Create | RequestKind::Update | RequestKind::CreateGroups
        )
    }

    pub fn throttled(&self) -> bool {
        !matches!(
            self.throttled,
            serde_json::Value::Null | serde_json::Value::Bool(false)
        )
    }

    /// Refused before it was executed (rate limit, lock, conflict, auth, bad request).
    pub fn refused(&self) -> bool {
        self.throttled() || self.locked || matches!(self.status, Some(400 | 401 | 409 | 423 | 429))
    }

    /// Answered 200 after being executed (not refused, not a replay).
    pub fn executed(&self) -> bool {
        self.status == Some(200) && !self.refused() && !self.replay
    }

    /// Aliases the model charges `per_mutation_field_ms` for.
    pub fn mutation_aliases(&self) -> u32 {
        if self.is_mutation() {
            self.aliases
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monday_sync::engine::RequestKind as SyncKind;

    #[test]
    fn every_kind_the_sync_writes_reads_back_as_the_same_kind() {
        let expected = [
            RequestKind::BoardRead,
            RequestKind::CreateGroups,
            RequestKind::Create,
            RequestKind::Update,
            RequestKind::Reconcile,
            RequestKind::IngestStart,
            RequestKind::Upload,
            RequestKind::JobPoll,
            RequestKind::ReportDownload,
        ];
        for (sync, read) in SyncKind::ALL.into_iter().zip(expected) {
            let line = serde_json::json!({"kind": sync, "latency_ms": 1.0}).to_string();
            let parsed: LoggedRequest = serde_json::from_str(&line).unwrap();
            assert_eq!(parsed.kind(), read, "{line}");
            assert_eq!(read.name(), sync.as_str());
        }
        assert_eq!(SyncKind::ALL.len(), expected.len());
    }

    #[test]
    fn a_simulator_entry_reads_as_a_line() {
        let entry = mock_monday::RequestLogEntry {
            seq: 0,
            t_ms: 12.5,
            kind: RequestKind::Create,
            aliases: 25,
            request_bytes: 100,
            status: Some(429),
            latency_ms: 40.0,
            complexity: 0,
            items_created: 0,
            throttled: Some("COMPLEXITY_BUDGET_EXHAUSTED".into()),
            locked: false,
            root_fields: vec!["create_item".into()],
            boards: vec![],
            idempotency_key: None,
            replay: false,
            body_hash: String::new(),
            write_identity: None,
        };
        let line: LoggedRequest =
            serde_json::from_str(&serde_json::to_string(&entry).unwrap()).unwrap();
        assert_eq!(
            (line.kind(), line.aliases, line.t_ms, line.status),
            (RequestKind::Create, 25, Some(12.5), Some(429))
        );
        assert!(line.throttled() && line.refused() && !line.executed());
        assert_eq!(line.mutation_aliases(), 25);
    }

    #[test]
    fn an_unknown_kind_is_an_error_not_other() {
        assert!(
            serde_json::from_str::<LoggedRequest>(r#"{"kind":"creat","latency_ms":1}"#).is_err()
        );
        let none: LoggedRequest = serde_json::from_str(r#"{"latency_ms":1}"#).unwrap();
        assert_eq!(none.kind(), RequestKind::Other);
    }
}
