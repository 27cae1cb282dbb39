//! Client CPU per record: how much CPU time the sync's own path (read, transform, payload build,
//! response parse, state writes) spends per record, with nothing else in the measurement.
//!
//! A recording run against the in-process simulator (instant profile, limits lifted so nothing is
//! throttled) keeps every response by request body. The measured runs then replay the same
//! workload against a [`PreparedTransport`] that answers each request instantly from those
//! responses, on a paused tokio clock, and the process CPU time (`CLOCK_PROCESS_CPUTIME_ID`, not
//! wall time) of each run is divided by the records. The figure is the minimum over several
//! repetitions: interference from other processes only ever adds time, so the minimum is the
//! most repeatable estimate on a shared machine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError, UrlRequest};

/// CPU time used by this process so far (all threads).
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID is supported on every
    // platform the harness runs on (Linux, macOS). On failure the value stays zero.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Responses recorded by request body.
#[derive(Debug, Default, Clone)]
pub struct Recording {
    responses: HashMap<bytes::Bytes, ApiResponse>,
    /// Uploads and report downloads by URL and body (job ids come from the seeded simulator, so
    /// a replay asks for the same URLs).
    url_responses: HashMap<(String, bytes::Bytes), ApiResponse>,
}

impl Recording {
    /// Distinct request bodies recorded.
    pub fn len(&self) -> usize {
        self.responses.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.responses.is_empty()
    }
}

/// Passes requests to `inner` and keeps the first response to each distinct body.
pub struct RecordingTransport {
    inner: Arc<dyn Transport>,
    recording: Mutex<Recording>,
}

impl RecordingTransport {
    pub fn new(inner: Arc<dyn Transport>) -> Self {
        Self {
            inner,
            recording: Mutex::new(Recording::default()),
        }
    }

    /// What was recorded so far.
    pub fn recording(&self) -> Recording {
        match self.recording.lock() {
            Ok(r) => r.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

#[async_trait]
impl Transport for RecordingTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        let body = request.body.clone();
        let resp = self.inner.send(request).await?;
        if let Ok(mut r) = self.recording.lock() {
            r.responses.entry(body).or_insert_with(|| resp.clone());
        }
        Ok(resp)
    }

    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        let key = (request.url.clone(), request.body.clone());
        let resp = self.inner.send_url(request).await?;
        if let Ok(mut r) = self.recording.lock() {
            r.url_responses.entry(key).or_insert_with(|| resp.clone());
        }
        Ok(resp)
    }
}

/// Answers every request instantly from a [`Recording`]; a body it has never seen is answered
/// 500 and counted as a miss (a miss means the replay diverged from the recording).
pub struct PreparedTransport {
    recording: Recording,
    misses: std::sync::atomic::AtomicU64,
}

impl PreparedTransport {
    pub fn new(recording: Recording) -> Self {
        Self {
            recording,
            misses: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Requests that had no prepared response.
    pub fn misses(&self) -> u64 {
        self.misses.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[async_trait]
impl Transport for PreparedTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        match self.recording.responses.get(&request.body) {
            Some(resp) => Ok(resp.clone()),
            None => {
                self.misses
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(ApiResponse {
                    status: 500,
                    headers: Vec::new(),
                    body: bytes::Bytes::from_static(br#"{"error_message":"no prepared response"}"#),
                })
            }
        }
    }

    async fn send_url(&self, request: UrlRequest) -> Result<ApiResponse, TransportError> {
        let key = (request.url, request.body);
        match self.recording.url_responses.get(&key) {
            Some(resp) => Ok(resp.clone()),
            None => {
                self.misses
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(ApiResponse {
                    status: 500,
                    headers: Vec::new(),
                    body: bytes::Bytes::new(),
                })
            }
        }
    }
}

/// The CPU measurement of one scenario.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClientCpu {
    /// Minimum over the repetitions, microseconds of CPU per record.
    pub us_per_record: f64,
    /// Every repetition, microseconds per record, in order.
    pub repetitions_us_per_record: Vec<f64>,
    /// Requests of the replays that had no prepared response (0 in a valid measurement).
    pub misses: u64,
}

impl ClientCpu {
    /// Folds in a later measurement of the same workload: the minimum over every repetition of
    /// both (interference only ever adds CPU time, so more repetitions only sharpen the minimum).
    pub fn keep_lower(&mut self, other: &ClientCpu) {
        self.us_per_record = self.us_per_record.min(other.us_per_record);
        self.repetitions_us_per_record
            .extend_from_slice(&other.repetitions_us_per_record);
        self.misses = self.misses.max(other.misses);
    }
}

/// Client CPU per record at two sizes at least ten times apart (`cpu_growth_records`): a
/// record should cost the same whatever the number of records before it, so `ratio` stays near
/// 1 (below, where fixed costs spread over more records); work that grows with the records seen
/// (a scan of everything so far, per record) makes the larger size cost more per record.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CpuGrowth {
    pub small_records: u64,
    pub large_records: u64,
    /// Minimum over the repetitions at each size, microseconds per record.
    pub small_us_per_record: f64,
    pub large_us_per_record: f64,
    /// `large_us_per_record / small_us_per_record` (3 decimals).
    pub ratio: f64,
    /// The larger size's repetitions, microseconds per record.
    pub large_repetitions_us_per_record: Vec<f64>,
}

impl CpuGrowth {
    /// The growth between two measurements.
    pub fn between(small: (u64, &ClientCpu), large: (u64, &ClientCpu)) -> Self {
        Self {
            small_records: small.0,
            large_records: large.0,
            small_us_per_record: small.1.us_per_record,
            large_us_per_record: large.1.us_per_record,
            ratio: round3(large.1.us_per_record / small.1.us_per_record.max(1e-9)),
            large_repetitions_us_per_record: large.1.repetitions_us_per_record.clone(),
        }
    }
}

impl CpuGrowth {
    /// Folds in a later measurement: each size keeps its minimum over both, and the ratio is
    /// taken again between those minimums.
    pub fn keep_lower(&mut self, other: &CpuGrowth) {
        self.small_us_per_record = self.small_us_per_record.min(other.small_us_per_record);
        self.large_us_per_record = self.large_us_per_record.min(other.large_us_per_record);
        self.ratio = round3(self.large_us_per_record / self.small_us_per_record.max(1e-9));
        self.large_repetitions_us_per_record
            .extend_from_slice(&other.large_repetitions_us_per_record);
    }
}

/// Rounds to 3 decimals.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_advances_with_work() {
        let a = process_cpu_time();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(process_cpu_time() > a);
    }

    #[test]
    fn a_later_measurement_keeps_the_lower_figures() {
        let mut a = ClientCpu {
            us_per_record: 20.0,
            repetitions_us_per_record: vec![22.0, 20.0],
            misses: 0,
        };
        a.keep_lower(&ClientCpu {
            us_per_record: 11.0,
            repetitions_us_per_record: vec![11.0, 12.0],
            misses: 1,
        });
        assert_eq!(a.us_per_record, 11.0);
        assert_eq!(a.repetitions_us_per_record, vec![22.0, 20.0, 11.0, 12.0]);
        assert_eq!(a.misses, 1);
        let mut higher = a.clone();
        higher.keep_lower(&ClientCpu {
            us_per_record: 30.0,
            repetitions_us_per_record: vec![30.0],
            misses: 0,
        });
        assert_eq!(higher.us_per_record, 11.0);

        let small = ClientCpu {
            us_per_record: 10.0,
            ..Default::default()
        };
        let large = ClientCpu {
            us_per_record: 30.0,
            repetitions_us_per_record: vec![30.0],
            misses: 0,
        };
        let mut g = CpuGrowth::between((800, &small), (8000, &large));
        assert_eq!(g.ratio, 3.0);
        let later_large = ClientCpu {
            us_per_record: 12.0,
            repetitions_us_per_record: vec![12.0],
            misses: 0,
        };
        let later_small = ClientCpu {
            us_per_record: 8.0,
            ..Default::default()
        };
        g.keep_lower(&CpuGrowth::between(
            (800, &later_small),
            (8000, &later_large),
        ));
        assert_eq!((g.small_us_per_record, g.large_us_per_record), (8.0, 12.0));
        assert_eq!(g.ratio, 1.5);
        assert_eq!(g.large_repetitions_us_per_record, vec![30.0, 12.0]);
    }

    #[tokio::test]
    async fn prepared_answers_what_was_recorded_and_counts_misses() {
        struct Echo;
        #[async_trait]
        impl Transport for Echo {
            async fn send(&self, r: ApiRequest) -> Result<ApiResponse, TransportError> {
                Ok(ApiResponse {
                    status: 200,
                    headers: vec![],
                    body: r.body,
                })
            }
        }
        let req = |b: &'static str| ApiRequest {
            body: bytes::Bytes::from_static(b.as_bytes()),
            token: "t".into(),
            api_version: "v".into(),
            idempotency_key: None,
            timeout: Duration::from_secs(1),
        };
        let rec = RecordingTransport::new(Arc::new(Echo));
        rec.send(req("a")).await.unwrap();
        let prepared = PreparedTransport::new(rec.recording());
        assert_eq!(&prepared.send(req("a")).await.unwrap().body[..], b"a");
        assert_eq!(prepared.send(req("b")).await.unwrap().status, 500);
        assert_eq!(prepared.misses(), 1);
    }
}
