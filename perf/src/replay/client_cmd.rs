//! `monday-perf run --client-cmd CMD`: measure a foreign sync client, in any language, unchanged.
//!
//! The harness starts the simulator's standalone HTTP face (`mock_monday::server`, the code behind
//! `mock-monday serve`) in this process on a free loopback port, with a fresh token and the request
//! log on; writes the records as NDJSON; runs `sh -c CMD` with
//! `MONDAY_API_URL`, `MONDAY_API_TOKEN`, `MONDAY_API_VERSION`, `MONDAY_BOARD_ID`,
//! `MONDAY_PERF_INPUT`, `MONDAY_PERF_RECORDS`, `MONDAY_TIME_SCALE` and `MONDAY_REPORTED_DURATIONS`
//! set; streams its output with a
//! `[client]` prefix; kills it (its whole process group) after the time limit; and measures
//! everything from the server side:
//!
//! - request latency: every logged request's simulated `latency_ms`;
//! - record latency: for every item a request created, the time from the client's start to that
//!   request's response (records are all ready when the client starts);
//! - API time: client start to the last response, simulated time; `per_record_ms` = API time /
//!   records;
//! - requests, throttled (429s), locked (423s), retries (a request whose `Idempotency-Key`, or
//!   whose body, the server has seen before);
//! - items on the board, duplicates and missing records by the key column;
//! - efficiency against perf's ceiling model (records only: a foreign client is not asked to
//!   create groups);
//! - what the machine's load cannot move ([`crate::measure::client_pace`]): the API's busy time per
//!   record (the simulator's seeded latency draws), records per request and the client's own
//!   CPU time. The gate judges client scenarios on these; the figures above that count the
//!   client's wall time (per-record time, record latency, efficiency) are reported.
//!
//! The client's exit status is recorded: a non-zero exit (or a kill at the time limit) is a
//! failed run, reported with the client's last output lines.
//!
//! The server reports durations (`Retry-After`, `retry_in_seconds`, ...) in wall seconds by
//! default ([`DEFAULT_REPORT_DURATIONS`]; `--report-durations simulated` for monday.com's own
//! behaviour): on a scaled clock a stock client that honours `Retry-After` then waits the right
//! real time without knowing the scale. `MONDAY_REPORTED_DURATIONS` says which.

use std::collections::{HashSet, VecDeque};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mock_monday::server::Server;
use mock_monday::{ReportDurations, RequestLogEntry, Simulator};
use monday_sync::config::Mode;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::error::{PerfError, Result};
use crate::measure::client_pace::ClientPace;
use crate::measure::latency::round3;
use crate::measure::observer::Measurements;
use crate::model::yardstick;
use crate::replay::results::{Measured, RunResults, WallClock};
use crate::replay::run::{
    ceiling_inputs, check_board, parse_config, sim_config, workload, RunArtifacts, RunOptions,
};
use crate::workload::generate::{ndjson_bytes, GenerateSpec};
use crate::workload::scenario::{ClientCmdSettings, Scenario};

/// Durations the server reports to a foreign client unless the scenario says otherwise: wall
/// seconds, so that a client that honours `Retry-After` and knows nothing of the time scale
/// waits what the scaled clock needs (monday.com itself reports real seconds).
pub const DEFAULT_REPORT_DURATIONS: ReportDurations = ReportDurations::Wall;

/// Entries the simulator's request log keeps during a client run (oldest dropped beyond).
const LOG_CAPACITY: usize = 200_000;
/// Output lines of the client kept for the failure report.
const LAST_LINES: usize = 20;

/// How the client process ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientOutcome {
    pub command: String,
    /// Exit code; None when killed by a signal or at the time limit.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// The client's last output lines (stdout and stderr interleaved).
    pub last_lines: Vec<String>,
    /// Wall time the client ran, milliseconds.
    pub wall_ms: f64,
}

impl ClientOutcome {
    /// Whether the run failed (non-zero exit, killed, timed out).
    pub fn failed(&self) -> bool {
        self.timed_out || self.exit_code != Some(0)
    }
}

/// Server-side figures beyond the common `RunResults` keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerFigures {
    /// Requests refused with 423 (board write lock).
    pub locked: u64,
    /// Records whose key is not on the board.
    pub records_missing: u64,
    /// Request-log entries dropped (the figures then cover the newest entries only).
    pub log_dropped: u64,
}

/// A foreign client's run.
#[derive(Debug, Clone)]
pub struct ClientRun {
    pub artifacts: RunArtifacts,
    pub client: ClientOutcome,
    pub server: ServerFigures,
    /// The simulator's request log of the run, NDJSON (`requests.ndjson`; what
    /// `monday-perf calibrate --from` reads).
    pub request_log: Vec<u8>,
}

/// How the run reports progress while the client runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// One line rewritten every second (a terminal).
    Terminal,
    /// A line every ten seconds (logs, CI).
    Lines,
    /// Nothing.
    Quiet,
}

impl Progress {
    /// Terminal when stderr is one, else periodic lines.
    pub fn auto() -> Self {
        if std::io::stderr().is_terminal() {
            Self::Terminal
        } else {
            Self::Lines
        }
    }
}

/// Figures computed from the request log.
#[derive(Debug, Clone)]
pub struct LogFigures {
    pub measurements: Measurements,
    pub locked: u64,
    /// Client start to the last response, simulated milliseconds.
    pub api_time_ms: f64,
}

/// Reads the request log of a client run that started at `t0_ms` (simulated).
pub fn measure_log(entries: &[RequestLogEntry], t0_ms: f64) -> LogFigures {
    let ms = |v: f64| Duration::try_from_secs_f64(v.max(0.0) / 1000.0).unwrap_or(Duration::ZERO);
    let mut m = Measurements::empty();
    let mut seen: HashSet<String> = HashSet::new();
    let mut locked = 0;
    for e in entries {
        let start = ms(e.t_ms - t0_ms);
        let latency = ms(e.latency_ms);
        let end = start + latency;
        let throttled = e.throttled.is_some();
        m.requests.record(latency);
        m.request_intervals.record(start, latency);
        m.timeline.request(start, end, throttled, None);
        m.request_count += 1;
        m.throttled += u64::from(throttled);
        locked += u64::from(e.locked);
        let key_seen = e
            .idempotency_key
            .as_ref()
            .is_some_and(|k| !seen.insert(format!("k:{k}")));
        let body_seen = !seen.insert(format!("b:{}", e.body_hash));
        m.retries += u64::from(key_seen || body_seen);
        for _ in 0..e.items_created {
            m.records.record(end);
            m.timeline.record_confirmed(end);
        }
        m.last_event = m.last_event.max(end);
    }
    let api_time_ms = round3(m.last_event.as_secs_f64() * 1000.0);
    LogFigures {
        measurements: m,
        locked,
        api_time_ms,
    }
}

/// A token nobody else knows for this run (not a simulation choice, so not from the seed).
fn fresh_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("perf-{:016x}", h.finish())
}

/// Keeps the last lines of the client's output.
type LastLines = Arc<Mutex<VecDeque<String>>>;

fn stream_lines<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    reader: R,
    prefix: &'static str,
    last: LastLines,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(reader).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("{prefix} {line}");
            let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
            if l.len() == LAST_LINES {
                l.pop_front();
            }
            l.push_back(line);
        }
    })
}

/// Kills the client's whole process group (the shell and whatever it started; the shell leads
/// the group, so its pid is the group's id).
///
/// Through `killpg(2)`, not the `kill` command: procps-ng 4.0's `kill -KILL -<pgid>` reads the
/// negative pid's digits as options (under strace, `-20581` became `kill(-2, SIGKILL)`), so it
/// can signal whole unrelated groups, or with `-1` every process the user may signal (as root,
/// the whole machine). Group ids 0 and 1 are refused for the same reason.
fn kill_group(pid: Option<u32>) {
    let Some(pgid) = pid.and_then(|p| libc::pid_t::try_from(p).ok()) else {
        return;
    };
    if pgid > 1 {
        // SAFETY: killpg only sends a signal; a group that is already gone gives ESRCH.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
}

/// Where the NDJSON input lives: the scenario's file, or generated records written to `dir`.
fn input_file(s: &Scenario, dir: &Path) -> Result<PathBuf> {
    match &s.input {
        Some(path) => Ok(path.clone()),
        None => {
            std::fs::create_dir_all(dir).map_err(|e| PerfError::io("create", dir, e))?;
            let path = dir.join("input.ndjson");
            let bytes = ndjson_bytes(GenerateSpec {
                records: s.records,
                seed: s.seed,
            })?;
            std::fs::write(&path, bytes).map_err(|e| PerfError::io("write", &path, e))?;
            Ok(path)
        }
    }
}

/// Runs the scenario's client command and measures it. `work_dir` receives the generated input.
pub fn run(s: &Scenario, work_dir: &Path, progress: Progress) -> Result<ClientRun> {
    s.validate()?;
    let Some(settings) = s.client_cmd.clone() else {
        return Err(PerfError::Usage(
            "the scenario names no client command".into(),
        ));
    };
    let wall_start = std::time::Instant::now();
    let started_at = chrono::Local::now().to_rfc3339();
    let token = fresh_token();
    let mut sim = sim_config(s)?;
    sim.token = Some(token.clone());
    sim.request_log_capacity = LOG_CAPACITY;
    let report_durations = settings
        .report_durations
        .unwrap_or(DEFAULT_REPORT_DURATIONS);
    sim.report_durations = report_durations;
    let (config_toml, origin) = s.config_toml()?;
    let mut config = parse_config(&config_toml, &origin)?;
    config.board.key_column = settings.key_column.clone();
    let work = workload(s, &config)?;
    let board = config.board;
    let input = input_file(s, work_dir)?;
    // The best any client could do writing serially, as monday.com advises.
    // The floor covers the bulk path too: a foreign client may use it (keeping every value
    // exact: the records a CSV row cannot carry go as batches).
    let ceiling = ceiling_inputs(&sim, work.records, 0, 1)
        .with_batch_only_records(work.batch_only)
        .ceiling_with(Some(&yardstick::bulk_inputs(&sim)));
    let time_scale = s.time_scale;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| PerfError::io("start", "tokio runtime", e))?;
    let records = work.records;
    let board_id = board.id.clone();
    let key_column = board.key_column.clone();
    let client_settings = settings.clone();
    let cpu_before = crate::measure::client_pace::children_cpu_ms();
    let (client, entries, request_log, t0_ms, board, stats) = runtime.block_on(async move {
        let simulator = Arc::new(Simulator::new(sim)?);
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let server = Server::bind(simulator.clone(), addr, false).await?;
        let url = server.url()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run_until(async {
            let _ = stop_rx.await;
        }));
        let settings = client_settings;
        tracing::info!(%url, command = %settings.command, records, "starting the client");
        let t0_ms = simulator.clock().now().as_secs_f64() * 1000.0;
        let client = run_client(
            &settings,
            &[
                ("MONDAY_API_URL", url.clone()),
                ("MONDAY_API_TOKEN", token),
                (
                    "MONDAY_API_VERSION",
                    mock_monday::version::CURRENT_VERSION.to_string(),
                ),
                ("MONDAY_BOARD_ID", board_id.clone()),
                ("MONDAY_PERF_INPUT", input.display().to_string()),
                ("MONDAY_PERF_RECORDS", records.to_string()),
                ("MONDAY_TIME_SCALE", time_scale.to_string()),
                ("MONDAY_REPORTED_DURATIONS", report_durations.to_string()),
            ],
            &simulator,
            (&board_id, &key_column, records),
            progress,
        )
        .await?;
        let entries = simulator.request_log(0);
        let request_log = simulator.request_log_ndjson(0);
        let board = simulator.board_column_texts(&board_id, &key_column);
        let stats = simulator.stats();
        let _ = stop_tx.send(());
        let _ = serving.await;
        Ok::<_, PerfError>((client, entries, request_log, t0_ms, board, stats))
    })?;
    // The client (the shell and what it waited for) has been reaped by now; nothing else in
    // this run starts a process.
    let client_cpu_ms = cpu_before
        .zip(crate::measure::client_pace::children_cpu_ms())
        .map(|(before, after)| (after - before).max(0.0));
    drop(runtime);

    let figures = measure_log(&entries, t0_ms);
    let board = check_board(board, &work.keys, &HashSet::new());
    let missing = board.2;
    let m = figures.measurements;
    let api_time_ms = figures.api_time_ms;
    let pace = ClientPace::of(&entries, records, api_time_ms, client_cpu_ms);
    let server = ServerFigures {
        locked: figures.locked,
        records_missing: missing,
        log_dropped: stats.request_log_dropped_total,
    };
    if server.log_dropped > 0 {
        tracing::warn!(
            dropped = server.log_dropped,
            "the request log overflowed: request figures cover the newest entries only"
        );
    }
    let stats_json = serde_json::to_value(&stats)
        .map_err(|e| PerfError::json("serialise simulator stats", e))?;
    let bulk_counts = crate::measure::bulk::BulkCounts::of(&stats_json, &[]);
    // A foreign client's mode is unknown: measured against batches only, and against the
    // best plan beside it.
    let against = yardstick::measure(&ceiling, Mode::Batch, api_time_ms);
    let results = RunResults {
        client_pace: Some(pace),
        bulk: bulk_counts
            .used_jobs()
            .then(|| crate::measure::bulk::BulkActivity {
                counts: bulk_counts,
                ..crate::measure::bulk::BulkActivity::default()
            }),
        retry_keys: Some(crate::measure::retry_keys::RetryKeys::of(&entries)),
        ..RunResults::new(Measured {
            scenario: s,
            records,
            failed_records: 0,
            synced_records: records.saturating_sub(missing),
            api_time_ms,
            measurements: &m,
            simulator_requests: stats.requests_total,
            simulator_stats: stats_json,
            locked: figures.locked,
            board,
            ceiling,
            against,
            sync_config_toml: format!(
                "# foreign client (no monday-sync config):\n# {}\n",
                settings.command
            ),
            sync_summary: serde_json::json!({ "client": &client, "server": &server }),
            wall_clock: WallClock {
                started_at,
                wall_ms: round3(wall_start.elapsed().as_secs_f64() * 1000.0),
                client_overhead_per_record_ms: None,
            },
        })
    };
    tracing::info!(
        scenario = %s.name,
        records,
        per_record_ms = results.per_record_ms,
        requests = results.requests,
        locked = server.locked,
        exit_code = ?client.exit_code,
        "client run finished"
    );
    Ok(ClientRun {
        artifacts: RunArtifacts {
            results,
            measurements: m,
        },
        client,
        server,
        request_log,
    })
}

/// Starts `sh -c CMD`, streams its output, shows progress and enforces the time limit.
async fn run_client(
    settings: &ClientCmdSettings,
    env: &[(&str, String)],
    simulator: &Simulator,
    (board_id, key_column, records): (&str, &str, u64),
    progress: Progress,
) -> Result<ClientOutcome> {
    let started = std::time::Instant::now();
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&settings.command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| PerfError::io("start", "sh -c (client command)", e))?;
    let pid = child.id();
    let last: LastLines = Arc::new(Mutex::new(VecDeque::new()));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(stream_lines(out, "[client]", last.clone()));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(stream_lines(err, "[client:err]", last.clone()));
    }
    let deadline = tokio::time::sleep(Duration::from_secs(settings.timeout_secs));
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ticks = 0u64;
    let (status, timed_out) = loop {
        tokio::select! {
            status = child.wait() => break (status.ok(), false),
            _ = &mut deadline => {
                kill_group(pid);
                let _ = child.kill().await;
                break (None, true);
            }
            _ = tick.tick() => {
                ticks += 1;
                show_progress(simulator, board_id, key_column, records, progress, ticks);
            }
        }
    };
    if progress == Progress::Terminal {
        eprintln!();
    }
    // Output still buffered in the pipes; a grandchild holding them open must not hang the run.
    for r in readers {
        let _ = tokio::time::timeout(Duration::from_secs(2), r).await;
    }
    let last_lines: Vec<String> = last
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect();
    let outcome = ClientOutcome {
        command: settings.command.clone(),
        exit_code: status.and_then(|s| s.code()),
        timed_out,
        last_lines,
        wall_ms: round3(started.elapsed().as_secs_f64() * 1000.0),
    };
    if timed_out {
        tracing::warn!(
            secs = settings.timeout_secs,
            "the client ran out of time and was killed"
        );
    }
    Ok(outcome)
}

fn show_progress(
    sim: &Simulator,
    board_id: &str,
    key_column: &str,
    records: u64,
    progress: Progress,
    ticks: u64,
) {
    if progress == Progress::Quiet || (progress == Progress::Lines && !ticks.is_multiple_of(10)) {
        return;
    }
    let items = sim
        .board_column_texts(board_id, key_column)
        .map_or(0, |t| t.len());
    let st = sim.stats();
    let line = format!(
        "[monday-perf] {items}/{records} items on board, {} requests, {} x 429, {} x 423, {:.1} s simulated",
        st.requests_total, st.throttled_total, st.locked_total, st.simulated_seconds
    );
    if progress == Progress::Terminal {
        eprint!("\r{line}   ");
    } else {
        eprintln!("{line}");
    }
}

/// The first program a client scenario `requires` that is not on `PATH` (the gate skips such a
/// scenario instead of failing on a machine without, say, Python).
pub fn missing_requirement(s: &Scenario) -> Option<String> {
    let mut needs = s.client_cmd.as_ref()?.requires.iter();
    let path = std::env::var_os("PATH").unwrap_or_default();
    needs
        .find(|program| {
            !std::env::split_paths(&path).any(|dir| dir.join(program.as_str()).is_file())
        })
        .cloned()
}

/// Runs a scenario whichever way it names: a foreign client (`client_cmd`) or monday-sync. For
/// the gate: a client that fails (non-zero exit, timeout) is an error naming its last lines.
pub fn run_any(s: &Scenario, options: &RunOptions) -> Result<RunArtifacts> {
    if s.client_cmd.is_none() {
        return crate::replay::repeats::run_repeated(s, options);
    }
    let dir = std::env::temp_dir().join(format!("monday-perf-client-{}", std::process::id()));
    let run = run(s, &dir, Progress::Quiet)?;
    let _ = std::fs::remove_dir_all(&dir);
    if run.client.failed() {
        return Err(PerfError::ClientFailed {
            command: run.client.command.clone(),
            exit_code: run.client.exit_code,
            timed_out: run.client.timed_out,
            last_lines: run.client.last_lines.join("\n"),
        });
    }
    Ok(run.artifacts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_monday::RequestKind;

    fn entry(
        t_ms: f64,
        latency_ms: f64,
        created: u64,
        key: Option<&str>,
        hash: &str,
    ) -> RequestLogEntry {
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
            idempotency_key: key.map(str::to_string),
            replay: false,
            body_hash: hash.into(),
            write_identity: None,
        }
    }

    #[test]
    fn the_log_gives_requests_records_retries_and_api_time() {
        let mut throttled = entry(1_300.0, 40.0, 0, Some("b"), "h2");
        throttled.throttled = Some("RATE_LIMIT_EXCEEDED".into());
        let mut locked = entry(1_400.0, 30.0, 0, None, "h3");
        locked.locked = true;
        locked.status = Some(423);
        let entries = vec![
            entry(1_000.0, 250.0, 2, Some("a"), "h1"),
            throttled,
            locked,
            entry(2_000.0, 500.0, 3, Some("b"), "h2"), // same key again: a retry
            entry(3_000.0, 100.0, 1, None, "h3"),      // same body again: a retry
        ];
        let f = measure_log(&entries, 1_000.0);
        let m = &f.measurements;
        assert_eq!(
            (m.request_count, m.throttled, m.retries, f.locked),
            (5, 1, 2, 1)
        );
        assert_eq!(m.records.len(), 6);
        assert_eq!(f.api_time_ms, 2_100.0);
        // The two records of the first request completed 250 ms after the client started.
        assert!((m.records.summary().min - 250.0).abs() < 1.0);
    }
}
