//! Counters of everything the simulator did (`GET /__admin/stats`).

use std::collections::BTreeMap;

use serde::Serialize;

/// A snapshot of the simulator's counters (serde; field names are an interface, see docs/architecture.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Requests that reached the core (admin calls excluded).
    pub requests_total: u64,
    /// Delivered responses by HTTP status ("200" -> count); resets are not responses.
    pub responses_by_status: BTreeMap<String, u64>,
    /// Requests refused by a rate limiter (HTTP 429).
    pub throttled_total: u64,
    /// Throttled requests by limiter (`complexity`, `minute`, `concurrency`, `ip`, `daily`,
    /// `storm`).
    pub throttled_by_kind: BTreeMap<String, u64>,
    /// Writes refused with HTTP 423 by a board write lock (`SimConfig::board_lock`; the `lock`
    /// fault counts under `faults_by_kind` instead).
    pub locked_total: u64,
    /// Request-log entries dropped because the ring was full.
    pub request_log_dropped_total: u64,
    /// Items created (including subitems).
    pub items_created_total: u64,
    /// Items currently on all boards.
    pub items_current: u64,
    /// Complexity points charged.
    pub complexity_used_total: u64,
    /// Responses replayed from the idempotency cache.
    pub idempotent_replays_total: u64,
    /// 409 `IDEMPOTENCY_CONFLICT` answers.
    pub idempotency_conflicts_total: u64,
    /// Faults injected (all kinds).
    pub faults_injected_total: u64,
    /// Faults by kind (`5xx`, `reset`, `slow`, `commit_then_fail`, `lock`, `storm`; a storm
    /// counts every request it refused).
    pub faults_by_kind: BTreeMap<String, u64>,
    /// 429 storms started (the `storm` fault).
    pub storms_started_total: u64,
    /// Connections reset instead of answered.
    pub resets_total: u64,
    /// Requests that ended as HTTP 504 (over the gateway timeout).
    pub gateway_timeouts_total: u64,
    /// Root mutation fields executed.
    pub mutation_fields_total: u64,
    /// The most requests in flight at once (simulated).
    pub concurrent_peak: u64,
    /// Simulated seconds since the simulator started.
    pub simulated_seconds: f64,
    /// Bulk-import jobs by state (`UPLOAD_PENDING`, `PROCESSING`, `COMPLETED`, `FAILED`,
    /// `REJECTED`).
    pub jobs_by_state: BTreeMap<String, u64>,
    /// Bulk-import rows by outcome over all jobs (`submitted`, `invalid`, `skipped`, `created`,
    /// `updated`, `failed`).
    pub rows_by_outcome: BTreeMap<String, u64>,
    /// Requests by the request log's kind (`create`, `ingest_start`, `upload`, `job_poll`,
    /// `report_download`, ...), counted whether or not the request log is kept.
    pub requests_by_kind: BTreeMap<String, u64>,
}

impl Stats {
    /// Counts a delivered response.
    pub fn count_status(&mut self, status: u16) {
        *self
            .responses_by_status
            .entry(status.to_string())
            .or_default() += 1;
    }

    /// Counts a throttled request.
    pub fn count_throttle(&mut self, kind: crate::limits::Throttle) {
        self.throttled_total += 1;
        *self
            .throttled_by_kind
            .entry(kind.name().to_string())
            .or_default() += 1;
    }

    /// Counts an injected fault.
    pub fn count_fault(&mut self, kind: crate::faults::FaultKind) {
        self.faults_injected_total += 1;
        *self
            .faults_by_kind
            .entry(kind.name().to_string())
            .or_default() += 1;
    }
}
