//! `--request-log PATH`: one NDJSON line per request attempt, the same against the simulator and
//! against monday.com, so users can collect latency data from production runs.
//!
//! Keys: `t_ms` (attempt start, milliseconds since the run started, tokio clock), `kind`
//! ([`RequestKind`] by its serde name: `board_read`, `create_groups`, `create`, `update`,
//! `reconcile`, and for the bulk import `ingest_start`, `upload`, `job_poll`,
//! `report_download`), `aliases` (root fields the
//! request carries: records or groups for writes, 1 for reads), `request_bytes`, `status` (`null`
//! on a transport error), `latency_ms`, `complexity` (the cost the response reported, or `null`),
//! `throttled` (the throttling code, or `null`), `attempt` (0 for the first attempt of a body).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use tokio::time::Instant;

use crate::error::SyncError;
use crate::observer::RequestKind;

/// One line of the log: the one definition of what the sync writes (readers: `monday-perf
/// calibrate`, which checks these names against the simulator's in a test).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LogLine {
    pub t_ms: f64,
    pub kind: RequestKind,
    pub aliases: usize,
    pub request_bytes: usize,
    pub status: Option<u16>,
    pub latency_ms: f64,
    pub complexity: Option<u64>,
    pub throttled: Option<String>,
    pub attempt: u32,
}

/// An open request log.
#[derive(Debug)]
pub(crate) struct RequestLog {
    path: PathBuf,
    start: Instant,
    out: Mutex<BufWriter<File>>,
}

/// What one attempt was, for [`RequestLog::write`].
#[derive(Debug, Clone)]
pub(crate) struct Attempt<'a> {
    pub kind: RequestKind,
    pub aliases: usize,
    pub request_bytes: usize,
    pub started: Instant,
    pub finished: Instant,
    pub status: Option<u16>,
    pub complexity: Option<u64>,
    pub throttled: Option<&'a str>,
    pub attempt: u32,
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl RequestLog {
    /// Create (truncate) the log at `path`; `start` is the run's start.
    pub(crate) fn create(path: &Path, start: Instant) -> Result<Self, SyncError> {
        let err = |e: std::io::Error| SyncError::Report {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let file = File::create(path).map_err(err)?;
        Ok(RequestLog {
            path: path.to_path_buf(),
            start,
            out: Mutex::new(BufWriter::new(file)),
        })
    }

    /// Append one attempt. A failed write is logged once per attempt at DEBUG and otherwise
    /// ignored: the log must never stop a sync.
    pub(crate) fn write(&self, a: &Attempt<'_>) {
        let line = LogLine {
            t_ms: ms(a.started.saturating_duration_since(self.start)),
            kind: a.kind,
            aliases: a.aliases,
            request_bytes: a.request_bytes,
            status: a.status,
            latency_ms: ms(a.finished.saturating_duration_since(a.started)),
            complexity: a.complexity,
            throttled: a.throttled.map(str::to_string),
            attempt: a.attempt,
        };
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let res = serde_json::to_writer(&mut *out, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        if let Err(e) = res {
            tracing::debug!(path = %self.path.display(), error = %e, "request log write failed");
        }
    }

    /// Flush what is buffered.
    pub(crate) fn flush(&self) -> Result<(), SyncError> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.flush().map_err(|e| SyncError::Report {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_line_names_its_kind_as_the_docs_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.ndjson");
        let start = Instant::now();
        let log = RequestLog::create(&path, start).unwrap();
        for kind in RequestKind::ALL {
            log.write(&Attempt {
                kind,
                aliases: 2,
                request_bytes: 10,
                started: start,
                finished: start + std::time::Duration::from_millis(5),
                status: Some(200),
                complexity: None,
                throttled: None,
                attempt: 0,
            });
        }
        log.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let kinds: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].to_string())
            .collect();
        let named: Vec<String> = RequestKind::ALL
            .iter()
            .map(|k| format!("\"{}\"", k.as_str()))
            .collect();
        assert_eq!(kinds, named);
        assert_eq!(
            kinds[..4],
            [
                "\"board_read\"",
                "\"create_groups\"",
                "\"create\"",
                "\"update\""
            ]
        );
    }
}
