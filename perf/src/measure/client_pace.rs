//! A foreign client's pace in figures the machine's load cannot move (`run --client-cmd`).
//!
//! A client scenario runs on the real clock at a time scale (0.25: a wall second is four
//! simulated ones), so everything the client does between requests, down to the Python
//! interpreter starting, counts four-fold in its API time. On a shared 2-core machine with
//! builds beside it that time varies several-fold (20 A/A gate runs at load average ~12 gave
//! `examples/clients/batched.py` 122-288 ms/record against a baseline of 68). So the gate judges
//! a client on what the server decided and on the CPU the client burned, and reports its
//! wall-clock figures only:
//!
//! - **API busy time per record** (`api_busy_ms_per_record`): the simulated time during which at
//!   least one of the client's requests was being answered (the union of each logged request's
//!   `[arrival, arrival + latency]`), over the records. Every latency is drawn by the
//!   simulator's seeded latency model in request order, so a client that sends the same requests
//!   gets the same figure however loaded the machine is; a client that falls back to one call
//!   per record, makes an extra round trip per batch or splits its batches smaller pays the
//!   API's time for each request and moves it.
//! - **Records per request** (`records_per_request`): items created over requests.
//! - **The client's CPU time** (`client_cmd_cpu_ms_per_record`): user + system CPU of the
//!   client's processes (the shell and everything it waited for), from `getrusage(2)`'s
//!   `RUSAGE_CHILDREN` before and after the client, over the records. CPU time counts the work
//!   the client did, not the time it waited for a core, so it grows when the client does more
//!   work per record (a quadratic scan, a per-record re-encode), not when the machine is busy.
//! - **The client's time between requests** (`client_ms_per_record`, simulated): the API time
//!   less the busy time. Reported (it is what the verdict names as the client's own time), not
//!   gated: it is mostly the interpreter's wall time, which the load sets.
//!
//! What none of them sees: a client that sleeps between requests. Idle wall time cannot be told
//! apart from a core it waited for without a reference measured beside it; `per_record_ms`
//! (reported) shows it.

use mock_monday::RequestLogEntry;
use serde::{Deserialize, Serialize};

use crate::measure::latency::round3;

/// The load-independent figures of one foreign client run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientPace {
    /// Simulated milliseconds with at least one of the client's requests being answered.
    pub api_busy_ms: f64,
    /// `api_busy_ms / records`.
    pub api_busy_ms_per_record: f64,
    /// Items created per request (0 when no request was made).
    pub records_per_request: f64,
    /// Simulated milliseconds between requests per record (`api_time_ms - api_busy_ms`, over
    /// the records). Load-dependent: reported, not gated.
    pub client_ms_per_record: f64,
    /// User + system CPU milliseconds of the client's processes (None where `getrusage` failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu_ms: Option<f64>,
    /// `client_cpu_ms / records`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cpu_ms_per_record: Option<f64>,
}

impl ClientPace {
    /// Folds in a later run of the same client: the lower CPU time of the two (the other
    /// figures are the simulator's seeded draws, the same in both).
    pub fn keep_lower_cpu(&mut self, other: &ClientPace) {
        fn lower(a: Option<f64>, b: Option<f64>) -> Option<f64> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        self.client_cpu_ms = lower(self.client_cpu_ms, other.client_cpu_ms);
        self.client_cpu_ms_per_record = lower(
            self.client_cpu_ms_per_record,
            other.client_cpu_ms_per_record,
        );
    }

    /// The figures of a run's request log, its API time and the client's CPU time.
    pub fn of(
        entries: &[RequestLogEntry],
        records: u64,
        api_time_ms: f64,
        client_cpu_ms: Option<f64>,
    ) -> Self {
        let per = |v: f64| round3(v / records.max(1) as f64);
        let busy = busy_ms(entries.iter().map(|e| (e.t_ms, e.latency_ms)));
        let created: u64 = entries.iter().map(|e| e.items_created).sum();
        let records_per_request = if entries.is_empty() {
            0.0
        } else {
            round3(created as f64 / entries.len() as f64)
        };
        Self {
            api_busy_ms: round3(busy),
            api_busy_ms_per_record: per(busy),
            records_per_request,
            client_ms_per_record: per((api_time_ms - busy).max(0.0)),
            client_cpu_ms: client_cpu_ms.map(round3),
            client_cpu_ms_per_record: client_cpu_ms.map(per),
        }
    }
}

/// The length of the union of `[start, start + length]` intervals (milliseconds): overlapping
/// requests count once, so a concurrent client is not charged twice for one stretch of time.
pub fn busy_ms(intervals: impl Iterator<Item = (f64, f64)>) -> f64 {
    let mut spans: Vec<(f64, f64)> = intervals
        .filter(|(s, len)| s.is_finite() && len.is_finite() && *len > 0.0)
        .map(|(s, len)| (s, s + len))
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for (start, end) in spans {
        match current {
            Some((s, e)) if start <= e => current = Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                current = Some((start, end));
            }
            None => current = Some((start, end)),
        }
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

/// User + system CPU milliseconds of this process's terminated and waited-for children so far
/// (`getrusage(RUSAGE_CHILDREN)`); None when the call fails. The difference across one client
/// run is that client's CPU: the gate runs one scenario at a time.
pub fn children_cpu_ms() -> Option<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage into the pointer it is given and reads nothing else.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: zero-initialised and filled in by a successful getrusage.
    let usage = unsafe { usage.assume_init() };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    Some(ms(usage.ru_utime) + ms(usage.ru_stime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_monday::RequestKind;

    fn entry(t_ms: f64, latency_ms: f64, created: u64) -> RequestLogEntry {
        RequestLogEntry {
            seq: 0,
            t_ms,
            kind: RequestKind::Create,
            aliases: created as u32,
            request_bytes: 100,
            status: Some(200),
            latency_ms,
            complexity: 30_000 * created,
            items_created: created,
            throttled: None,
            locked: false,
            root_fields: vec![],
            boards: vec![],
            idempotency_key: None,
            replay: false,
            body_hash: format!("h{t_ms}"),
            write_identity: None,
        }
    }

    #[test]
    fn serial_requests_are_busy_for_the_sum_of_their_latencies_wherever_they_start() {
        // The same three latencies, once with the client quick between requests and once slow:
        // the busy time does not move, the client's time does.
        let quick = [
            entry(0.0, 200.0, 0),
            entry(210.0, 800.0, 25),
            entry(1_020.0, 300.0, 15),
        ];
        let slow = [
            entry(0.0, 200.0, 0),
            entry(5_000.0, 800.0, 25),
            entry(9_000.0, 300.0, 15),
        ];
        let a = ClientPace::of(&quick, 40, 1_320.0, Some(80.0));
        let b = ClientPace::of(&slow, 40, 9_300.0, Some(80.0));
        assert_eq!(a.api_busy_ms, 1_300.0);
        assert_eq!(b.api_busy_ms, 1_300.0);
        assert_eq!(a.api_busy_ms_per_record, 32.5);
        assert_eq!(a.records_per_request, 13.333);
        assert_eq!(a.client_ms_per_record, 0.5);
        assert_eq!(b.client_ms_per_record, 200.0);
        assert_eq!(a.client_cpu_ms_per_record, Some(2.0));
    }

    #[test]
    fn one_call_per_record_costs_the_api_a_round_trip_per_record() {
        let batched: Vec<_> = (0..2)
            .map(|i| entry(f64::from(i) * 1_000.0, 500.0, 20))
            .collect();
        let single: Vec<_> = (0..40)
            .map(|i| entry(f64::from(i) * 1_000.0, 250.0, 1))
            .collect();
        let b = ClientPace::of(&batched, 40, 1_500.0, None);
        let s = ClientPace::of(&single, 40, 39_250.0, None);
        assert_eq!(b.api_busy_ms_per_record, 25.0);
        assert_eq!(s.api_busy_ms_per_record, 250.0);
        assert_eq!((b.records_per_request, s.records_per_request), (20.0, 1.0));
        assert_eq!(s.client_cpu_ms, None);
    }

    #[test]
    fn overlapping_requests_count_once() {
        // [0, 100] and [50, 150] overlap: 150; [200, 210] apart: 10; a zero-length refusal and a
        // NaN add nothing.
        let spans = [
            (50.0, 100.0),
            (0.0, 100.0),
            (200.0, 10.0),
            (300.0, 0.0),
            (f64::NAN, 5.0),
        ];
        assert_eq!(busy_ms(spans.into_iter()), 160.0);
        // One interval inside another.
        assert_eq!(busy_ms([(0.0, 100.0), (10.0, 20.0)].into_iter()), 100.0);
        assert_eq!(busy_ms(std::iter::empty()), 0.0);
    }

    #[test]
    fn a_child_that_burns_cpu_shows_in_the_children_cpu_time() {
        let before = children_cpu_ms().expect("getrusage works on Linux");
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
            .status()
            .expect("sh runs");
        assert!(status.success());
        let after = children_cpu_ms().expect("getrusage works on Linux");
        assert!(after - before > 10.0, "{before} -> {after}");
    }
}
