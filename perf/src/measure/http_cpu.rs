//! Client CPU over the real HTTP transport: what the sync costs per request and per record when
//! its requests go through reqwest and a loopback socket (connection reuse, client
//! construction, TLS set-up, body copies), which the in-process replays of [`crate::measure::client_cpu`]
//! never exercise.
//!
//! The simulator runs as a separate process, the built `mock-monday serve` binary (instant
//! profile, limits lifted so nothing is throttled), so this process's CPU time
//! (`CLOCK_PROCESS_CPUTIME_ID`) holds the client only: the engine, reqwest, hyper and the
//! runtime's threads. Each repetition resets the server (`POST /__admin/reset`: an empty board,
//! no idempotency cache) and runs the whole workload on a fresh runtime; the figures are the
//! minimum over the repetitions, for the reason `client_cpu` gives (interference only adds).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use monday_sync::engine::RunParams;
use monday_sync::transport::Transport;
use serde::{Deserialize, Serialize};

use crate::error::{PerfError, Result};
use crate::measure::client_cpu::{process_cpu_time, round3};

/// Environment variable naming the `mock-monday` binary (else it is looked for beside this one).
pub const MOCK_MONDAY_ENV: &str = "MONDAY_PERF_MOCK_MONDAY";

/// The HTTP measurement of one scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpCpu {
    /// Minimum over the repetitions: client CPU per request, microseconds.
    pub us_per_request: f64,
    /// Minimum over the repetitions: client CPU per record, microseconds.
    pub us_per_record: f64,
    /// Requests of one repetition (the engine's count).
    pub requests: u64,
    /// Every repetition, microseconds per record, in order.
    pub repetitions_us_per_record: Vec<f64>,
}

impl HttpCpu {
    /// Folds in a later measurement of the same workload: the minimums over both.
    pub fn keep_lower(&mut self, other: &HttpCpu) {
        self.us_per_request = self.us_per_request.min(other.us_per_request);
        self.us_per_record = self.us_per_record.min(other.us_per_record);
        self.repetitions_us_per_record
            .extend_from_slice(&other.repetitions_us_per_record);
    }
}

/// How the server is started.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub plan: String,
    pub token_kind: String,
    pub seed: u64,
    /// Limits written to a `--limits` file (lifted, so that nothing is throttled).
    pub limits: mock_monday::config::LimitSettings,
}

/// The `mock-monday` binary: [`MOCK_MONDAY_ENV`], else beside this executable (or one folder
/// up, for a test binary in `target/<profile>/deps`).
pub fn mock_monday_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(MOCK_MONDAY_ENV) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| PerfError::io("find", "this executable", e))?;
    let name = format!("mock-monday{}", std::env::consts::EXE_SUFFIX);
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            PerfError::Usage(format!(
                "cpu_over_http needs the mock-monday binary beside {} (build it with `cargo build \
                 -p mock-monday`, or name it in {MOCK_MONDAY_ENV})",
                exe.display()
            ))
        })
}

/// A running `mock-monday serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(binary: &Path, spec: &ServerSpec) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(|e| PerfError::io("create", "a temp folder", e))?;
        let limits = dir.path().join("limits.toml");
        let text = toml::to_string(&spec.limits)
            .map_err(|e| PerfError::Usage(format!("limits for mock-monday serve: {e}")))?;
        std::fs::write(&limits, text).map_err(|e| PerfError::io("write", &limits, e))?;
        let mut child = Command::new(binary)
            .args(["serve", "--addr", "127.0.0.1:0", "--profile", "instant"])
            .args(["--plan", &spec.plan, "--token-kind", &spec.token_kind])
            .args([
                "--seed",
                &spec.seed.to_string(),
                "--request-log-capacity",
                "0",
            ])
            .arg("--limits")
            .arg(&limits)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| PerfError::io("start", binary, e))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let url = line.trim().strip_prefix("mock-monday listening on ");
        let Some(addr) = url
            .and_then(|u| u.strip_prefix("http://"))
            .and_then(|u| u.split('/').next())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PerfError::Usage(format!(
                "{} serve did not say where it listens (got {line:?})",
                binary.display()
            )));
        };
        Ok(Self {
            addr: addr.to_string(),
            child,
            _dir: dir,
        })
    }

    fn api_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// `POST /__admin/reset`: an empty board and idempotency cache for the next repetition.
    fn reset(&self) -> Result<()> {
        let io = |e| PerfError::io("reset", "mock-monday serve", e);
        let mut s = TcpStream::connect(&self.addr).map_err(io)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io)?;
        write!(
            s,
            "POST /__admin/reset HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .map_err(io)?;
        let mut answer = String::new();
        s.read_to_string(&mut answer).map_err(io)?;
        if !answer.starts_with("HTTP/1.1 200") {
            return Err(PerfError::Usage(format!(
                "mock-monday serve refused the reset: {}",
                answer.lines().next().unwrap_or("")
            )));
        }
        Ok(())
    }
}

/// Runs the workload `repetitions` times against a fresh `mock-monday serve` over HTTP and
/// measures this process's CPU time of each run. `params` builds one run's parameters around
/// the transport; a run that fails records fails the measurement.
pub fn measure(
    spec: &ServerSpec,
    records: u64,
    repetitions: u32,
    params: impl Fn(Arc<dyn Transport>) -> RunParams,
) -> Result<HttpCpu> {
    let binary = mock_monday_binary()?;
    let server = Server::start(&binary, spec)?;
    let mut per_record = Vec::new();
    let mut per_request = Vec::new();
    let mut requests = 0;
    for _ in 0..repetitions.max(1) {
        server.reset()?;
        let transport: Arc<dyn Transport> = Arc::new(
            monday_sync::http::HttpTransport::new(&server.api_url()).map_err(PerfError::Sync)?,
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PerfError::io("start", "tokio runtime", e))?;
        let p = params(transport);
        let before = process_cpu_time();
        let outcome = rt.block_on(monday_sync::engine::run(p));
        let cpu = process_cpu_time().saturating_sub(before);
        drop(rt);
        let summary = outcome.map_err(PerfError::Sync)?;
        if summary.failed > 0 {
            return Err(PerfError::Usage(format!(
                "the HTTP CPU measurement failed {} of {records} records",
                summary.failed
            )));
        }
        requests = summary.requests;
        let us = cpu.as_secs_f64() * 1e6;
        per_record.push(round3(us / records.max(1) as f64));
        per_request.push(round3(us / summary.requests.max(1) as f64));
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    Ok(HttpCpu {
        us_per_request: min(&per_request),
        us_per_record: min(&per_record),
        requests,
        repetitions_us_per_record: per_record,
    })
}
