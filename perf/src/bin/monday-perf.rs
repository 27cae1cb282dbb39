//! `monday-perf`: replay workloads through monday-sync and the mock-monday simulator; gate CI on
//! the results, sweep batch size × concurrency, and write HTML latency reports.
//!
//! Exit codes: 0 success (gate: pass), 1 regression or failed run, 2 usage error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use monday_perf::judge::baseline::{resolve_workspace_path, Baseline, DEFAULT_BASELINE};
use monday_perf::judge::gate::{record_baseline, run_gate};
use monday_perf::judge::verdict::Verdict;
use monday_perf::measure::log_counts::counting_layer;
use monday_perf::replay::client_cmd::{self, Progress};
use monday_perf::replay::repeats::run_repeated;
use monday_perf::replay::run::{Bounds, RunOptions};
use monday_perf::report::gate_outputs::{append_github_step_summary, summary_markdown};
use monday_perf::report::outputs::{default_out_dir, write_gate_outputs, write_run_outputs};
use monday_perf::tune::sweep::{parse_list, run_sweep};
use monday_perf::workload::generate::{GenerateSpec, RecordGenerator};
use monday_perf::workload::scenario::{
    ClientCmdSettings, Clock, Scenario, DEFAULT_RECORDS, DEFAULT_SEED,
};
use monday_perf::PerfError;
use monday_sync::config::Mode;

#[derive(Parser)]
#[command(
    name = "monday-perf",
    version,
    about = "Replay harness, CI regression gate, batch-size sweep and HTML latency reports for monday-sync",
    long_about = "Replays synthetic or recorded order-list workloads through the real monday-sync engine \
against the mock-monday simulator. The default virtual clock replays a 15-minute API run in well under a \
second, deterministically (same seed, same numbers). Reports land in reports/<name>/.\n\n\
Examples:\n  monday-perf run --records 5000\n  monday-perf gate\n  \
monday-perf sweep --batch-sizes 1,5,10,25,50,100 --concurrency 1,2,4,8,16\n  \
monday-perf generate --records 100000 --seed 7 --out orders.ndjson"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write synthetic order-list records as NDJSON.
    Generate {
        /// Number of records (50 to 1,000,000 is the intended range).
        #[arg(long, default_value_t = DEFAULT_RECORDS)]
        records: u64,
        /// Seed of every random choice (same seed, same bytes).
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run one scenario and write results.json, .hgrm/.hlog files and report.html.
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        #[command(flatten)]
        overrides: RunOverrides,
        /// Output folder (default reports/<name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run without limits. By default a run is stopped (exit 1, with what the sync was
        /// doing) past 20x its ceiling's API time (at least 10 min), 10 requests per record
        /// plus 1000, or 20 ms of wall clock per record (at least 2 min; plus the API time on
        /// the real clock).
        #[arg(long)]
        no_limits: bool,
        /// Do not replay the records with `mode = "batch"` for comparison. By default a run that
        /// may take jobs (mode auto or ingest, virtual clock) is replayed once more with every
        /// record on the batch path, and both API times and their ratio are printed ("vs --mode
        /// batch, same records") and kept in results.json (`vs_batch_run`).
        #[arg(long)]
        no_batch_comparison: bool,
    },
    /// Run a grid of batch sizes × concurrency (virtual clock) and recommend a setting.
    Sweep {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Batch sizes, comma-separated.
        #[arg(long, default_value = "1,5,10,25,50,100")]
        batch_sizes: String,
        /// Concurrency levels, comma-separated.
        #[arg(long, default_value = "1,2,4,8,16")]
        concurrency: String,
        /// Write requests in flight per board (`[sync] write_concurrency`), comma-separated.
        /// Default: 1,2,4 when the sync has that setting; not explored when it does not.
        #[arg(long)]
        write_concurrency: Option<String>,
        /// Write paths (`[sync] mode`: auto, batch, ingest), comma-separated; default: not
        /// explored (the config's mode).
        #[arg(long)]
        modes: Option<String>,
        /// Rows per job (`[sync] rows_per_job`) for the modes that start jobs, comma-separated;
        /// default: not explored.
        #[arg(long)]
        rows_per_job: Option<String>,
        /// Output folder (default reports/sweep/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the baseline's scenarios and compare; exit 0 pass, 1 regression, 2 usage error.
    Gate {
        /// Baseline file (default perf/baselines/ci.json, found from the workspace root too).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Output folder for gate.json, summary.md, junit.xml, report.html (default reports/gate/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Fit a latency profile to a request log (monday-sync --request-log, or mock-monday's
    /// GET /__admin/requests) and print how well it fits; with job polls in the log, also the
    /// bulk import's processing rate and start delay.
    Calibrate {
        /// The NDJSON request log (`monday-sync run --request-log`, or the simulator's
        /// `/__admin/requests`). Repeat it to fit one profile to several runs' logs: runs of
        /// different sizes are what separate the per-alias cost from the base latency.
        #[arg(long, required = true)]
        from: Vec<PathBuf>,
        /// Where to write the profile TOML (accepted by --profile); default: print it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Rewrite the baseline's expected figures from today's code.
    Baseline {
        /// Baseline file to read scenarios from (default perf/baselines/ci.json).
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// Where to write the new baseline (default: overwrite the input).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Options shared by `run` and `sweep`. None of them has a default of its own: a flag left out
/// keeps the value of `Scenario::default()`, the one source of defaults (the help text names it).
#[derive(Args)]
struct ScenarioArgs {
    /// Generated records (ignored with --input) [default: 500].
    #[arg(long)]
    records: Option<u64>,
    /// Replay this NDJSON/CSV/JSON file instead of generated records.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Seed of the generator and the simulator [default: 20260101].
    #[arg(long)]
    seed: Option<u64>,
    /// Latency profile: instant, realistic or a TOML file [default: realistic].
    #[arg(long)]
    profile: Option<String>,
    /// Plan: basic, standard, pro, enterprise [default: pro].
    #[arg(long)]
    plan: Option<String>,
    /// Token kind: personal, app, trial (trial/free = 1M budget) [default: personal].
    #[arg(long)]
    token_kind: Option<String>,
    /// Sync mode override: auto, batch, single or ingest.
    #[arg(long)]
    mode: Option<Mode>,
    /// Faults, mock-monday syntax, e.g. 5xx=0.05,reset=0.02,commit_then_fail=0.01,slow=0.01.
    #[arg(long)]
    faults: Option<String>,
    /// Board write locks: off, strict (the simulator's default) or a probability per overlap.
    #[arg(long)]
    board_lock: Option<String>,
    /// virtual (in-process, paused clock), real (HTTP to a wiremock mock-monday) or cpu (client
    /// CPU per record against prepared instant responses) [default: virtual].
    #[arg(long)]
    clock: Option<String>,
    /// CPU clock: replays measured (the figure is their minimum) [default: 5].
    #[arg(long)]
    cpu_repetitions: Option<u32>,
    /// Real clock: multiply simulated latencies by this [default: 1].
    #[arg(long)]
    time_scale: Option<f64>,
    /// Sync config (default: the embedded sync/configs/order_list.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run name (report folder) [default: run; sweep: sweep].
    #[arg(long)]
    name: Option<String>,
    /// Rows a second a bulk-import job processes: replaces the latency profile's
    /// job_rows_per_second for the simulator AND the ceiling model (put in the rate your own
    /// account shows) [default: the profile's; realistic: 250].
    #[arg(long, value_name = "ROWS_PER_S")]
    processing_rate: Option<f64>,
}

/// `run` only: one batch size and concurrency (a sweep takes lists, `--batch-sizes` and
/// `--concurrency`, instead).
#[derive(Args, Default)]
struct RunOverrides {
    /// Batch size override.
    #[arg(long)]
    batch_size: Option<u32>,
    /// Concurrency override.
    #[arg(long)]
    concurrency: Option<u32>,
    /// Run this foreign client (through `sh -c`) against `mock-monday serve` instead of
    /// monday-sync; it gets MONDAY_API_URL, MONDAY_API_TOKEN, MONDAY_API_VERSION,
    /// MONDAY_BOARD_ID, MONDAY_PERF_INPUT, MONDAY_PERF_RECORDS and MONDAY_TIME_SCALE.
    #[arg(long)]
    client_cmd: Option<String>,
    /// With --client-cmd: the board column holding each record's key [default: text_order_key].
    #[arg(long, requires = "client_cmd")]
    key_column: Option<String>,
    /// With --client-cmd: kill the client after this many wall seconds [default: 600].
    #[arg(long, requires = "client_cmd")]
    timeout: Option<u64>,
    /// With --client-cmd: the durations the server reports (Retry-After, retry_in_seconds,
    /// reset_in_x_seconds, RateLimit t=): `wall` seconds (the default: a client that honours
    /// Retry-After waits the right real time on a scaled clock) or `simulated` seconds
    /// (monday.com's own behaviour; the client must scale waits by MONDAY_TIME_SCALE itself).
    #[arg(long, requires = "client_cmd")]
    report_durations: Option<mock_monday::ReportDurations>,
    /// Run over this many consecutive seeds (odd) and report the run with the median
    /// per-record time; failures, duplicates and losses count from every run. For small runs,
    /// whose figures hang on a few latency draws [default: 1].
    #[arg(long, conflicts_with = "client_cmd")]
    repeats: Option<u32>,
}

impl ScenarioArgs {
    /// The scenario these flags describe: `Scenario::default()` (the one source of defaults) with
    /// each given flag applied, then validated.
    fn scenario(&self, overrides: &RunOverrides) -> Result<Scenario, PerfError> {
        let mut s = Scenario::default();
        given(&mut s.name, &self.name);
        given(&mut s.records, &self.records);
        s.input.clone_from(&self.input);
        given(&mut s.seed, &self.seed);
        given(&mut s.profile, &self.profile);
        given(&mut s.plan, &self.plan);
        given(&mut s.token_kind, &self.token_kind);
        s.faults.clone_from(&self.faults);
        s.board_lock.clone_from(&self.board_lock);
        if let Some(clock) = &self.clock {
            s.clock = clock.parse::<Clock>()?;
        }
        // A foreign client always runs over HTTP on the real (optionally scaled) clock.
        if overrides.client_cmd.is_some() {
            s.clock = Clock::Real;
        }
        given(&mut s.time_scale, &self.time_scale);
        s.config.clone_from(&self.config);
        s.sync.mode = self.mode;
        s.sync.batch_size = overrides.batch_size;
        s.sync.concurrency = overrides.concurrency;
        given(&mut s.cpu_repetitions, &self.cpu_repetitions);
        s.processing_rate = self.processing_rate;
        given(&mut s.repeats, &overrides.repeats);
        s.client_cmd = overrides.client_cmd.as_ref().map(|command| {
            let mut c = ClientCmdSettings {
                command: command.clone(),
                ..ClientCmdSettings::default()
            };
            given(&mut c.key_column, &overrides.key_column);
            given(&mut c.timeout_secs, &overrides.timeout);
            c.report_durations = overrides.report_durations;
            c
        });
        s.validate()?;
        Ok(s)
    }

    /// `sweep`'s base scenario: the same flags, no run overrides (every cell sets its own batch
    /// size and concurrency), named `sweep` unless `--name` says otherwise.
    fn sweep_scenario(&self) -> Result<Scenario, PerfError> {
        let mut scenario = self.scenario(&RunOverrides::default())?;
        if self.name.is_none() {
            scenario.name = "sweep".into();
        }
        if scenario.clock != Clock::Virtual {
            return Err(PerfError::Usage(
                "sweep runs on the virtual clock only".into(),
            ));
        }
        Ok(scenario)
    }
}

/// Sets `slot` to the flag's value when the flag was given; keeps the default otherwise.
fn given<T: Clone>(slot: &mut T, flag: &Option<T>) {
    if let Some(v) = flag {
        slot.clone_from(v);
    }
}

/// An error with the exit code it maps to.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        let usage = error
            .chain()
            .any(|e| matches!(e.downcast_ref::<PerfError>(), Some(PerfError::Usage(_))));
        Failure {
            code: if usage { 2 } else { 1 },
            error,
        }
    }
}

/// The process-global subscriber: log lines on stderr (`RUST_LOG`, default
/// `warn,monday_perf=info`) and, beside them with a filter of its own, the layer that counts the
/// sync's events by level for the gate's log metrics.
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,monday_perf=info"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                // Log lines are written around the sync's progress bar (real-clock runs).
                .with_writer(monday_sync::progress::StderrThroughBar)
                .with_filter(filter),
        )
        .with(counting_layer())
        .init();
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("monday-perf: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

fn dispatch(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Generate { records, seed, out } => generate(records, seed, out.as_deref()),
        Command::Run {
            scenario,
            overrides,
            out,
            no_limits,
            no_batch_comparison,
        } => run(&scenario, &overrides, out, (no_limits, no_batch_comparison)),
        Command::Sweep {
            scenario,
            batch_sizes,
            concurrency,
            write_concurrency,
            modes,
            rows_per_job,
            out,
        } => sweep(
            &scenario,
            (&batch_sizes, &concurrency, write_concurrency.as_deref()),
            (modes.as_deref(), rows_per_job.as_deref()),
            out,
        ),
        Command::Gate { baseline, out } => gate(baseline, out),
        Command::Baseline { baseline, out } => rebaseline(baseline, out),
        Command::Calibrate { from, out } => calibrate(&from, out.as_deref()),
    }
}

fn generate(records: u64, seed: u64, out: Option<&Path>) -> Result<u8, Failure> {
    let generator =
        RecordGenerator::new(GenerateSpec { records, seed }).map_err(anyhow::Error::from)?;
    let written = match out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("create {}", path.display()))?;
            generator.write_ndjson(file).map_err(anyhow::Error::from)?
        }
        None => generator
            .write_ndjson(std::io::stdout().lock())
            .map_err(anyhow::Error::from)?,
    };
    tracing::info!(written, seed, "records generated");
    Ok(0)
}

fn run(
    args: &ScenarioArgs,
    overrides: &RunOverrides,
    out: Option<PathBuf>,
    (no_limits, no_batch_comparison): (bool, bool),
) -> Result<u8, Failure> {
    let scenario = args.scenario(overrides).map_err(anyhow::Error::from)?;
    if scenario.client_cmd.is_some() {
        return run_client(&scenario, out);
    }
    let options = RunOptions {
        progress: std::io::stderr().is_terminal(),
        limits: if no_limits {
            Bounds::Off
        } else {
            Bounds::FromCeiling
        },
        ..RunOptions::default()
    };
    let mut artifacts = run_repeated(&scenario, &options).map_err(anyhow::Error::from)?;
    if !no_batch_comparison {
        artifacts.results.vs_batch_run =
            monday_perf::replay::vs_batch::compare(&scenario, &artifacts.results, &options)
                .map_err(anyhow::Error::from)?;
    }
    let dir = out.unwrap_or_else(|| default_out_dir(&scenario.name));
    write_run_outputs(&artifacts, &dir, None).map_err(anyhow::Error::from)?;
    print!("{}", artifacts.results.table());
    print!("{}", Verdict::of(&artifacts.results).text());
    println!("report: {}", dir.join("report.html").display());
    let r = artifacts.results.correctness();
    Ok(
        if r.failed_records > 0 || r.duplicates > 0 || r.lost_records > 0 {
            1
        } else {
            0
        },
    )
}

fn run_client(scenario: &Scenario, out: Option<PathBuf>) -> Result<u8, Failure> {
    let dir = out.unwrap_or_else(|| default_out_dir(&scenario.name));
    let run = client_cmd::run(scenario, &dir, Progress::auto()).map_err(anyhow::Error::from)?;
    monday_perf::report::outputs::write_client_outputs(&run, &dir).map_err(anyhow::Error::from)?;
    print!("{}", run.artifacts.results.table());
    println!("{:<30} {}", "locked (423)", run.server.locked);
    println!("{:<30} {}", "records missing", run.server.records_missing);
    println!("{:<30} {:?}", "client exit code", run.client.exit_code);
    print!("{}", Verdict::of(&run.artifacts.results).text());
    println!("report: {}", dir.join("report.html").display());
    if run.client.failed() {
        eprintln!(
            "monday-perf: the client failed (exit {:?}{}); its last lines:",
            run.client.exit_code,
            if run.client.timed_out {
                ", killed at the time limit"
            } else {
                ""
            }
        );
        for line in &run.client.last_lines {
            eprintln!("  {line}");
        }
        return Ok(1);
    }
    let r = &run.artifacts.results;
    Ok(if r.duplicates > 0 || r.lost_records > 0 {
        1
    } else {
        0
    })
}

fn sweep(
    args: &ScenarioArgs,
    (batch_sizes, concurrency, write_concurrency): (&str, &str, Option<&str>),
    (modes, rows_per_job): (Option<&str>, Option<&str>),
    out: Option<PathBuf>,
) -> Result<u8, Failure> {
    let scenario = args.sweep_scenario().map_err(anyhow::Error::from)?;
    let mut paths = monday_perf::tune::sweep::PathGrid::default();
    if let Some(list) = modes {
        for m in list.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            let mode: Mode = m
                .parse()
                .map_err(|e| anyhow::Error::from(PerfError::Usage(format!("--modes: {e}"))))?;
            if !paths.modes.contains(&mode) {
                paths.modes.push(mode);
            }
        }
    }
    if let Some(list) = rows_per_job {
        paths.rows_per_job = parse_list(list, "--rows-per-job").map_err(anyhow::Error::from)?;
    }
    let b = parse_list(batch_sizes, "--batch-sizes").map_err(anyhow::Error::from)?;
    let c = parse_list(concurrency, "--concurrency").map_err(anyhow::Error::from)?;
    let w = match write_concurrency {
        Some(list) => parse_list(list, "--write-concurrency").map_err(anyhow::Error::from)?,
        None => vec![1, 2, 4],
    };
    let report = run_sweep(&scenario, &b, &c, &w, &paths, |cell| {
        let write = cell
            .write_concurrency
            .map(|w| format!(" writes {w:>2}"))
            .unwrap_or_default();
        let path = match (&cell.mode, cell.rows_per_job) {
            (Some(m), Some(r)) => format!("{m} rows/job {r} "),
            (Some(m), None) => format!("{m} "),
            _ => String::new(),
        };
        eprintln!(
            "{path}batch {:>4} concurrency {:>3}{write}: {:>9.3} ms/record, efficiency {:.3}, {} requests, {} records by jobs",
            cell.batch_size, cell.concurrency, cell.per_record_ms, cell.efficiency, cell.requests, cell.job_rows
        );
    })
    .map_err(anyhow::Error::from)?;
    let dir = out.unwrap_or_else(|| default_out_dir("sweep"));
    report.write(&dir).map_err(anyhow::Error::from)?;
    print!("{}", report.table());
    if let Some(x) = &report.crossover {
        println!("{}", x.line(scenario.records));
    }
    match &report.recommendation {
        Some(r) => println!(
            "recommendation: {}batch_size = {}, concurrency = {}{} ({:.3} ms/record; {})",
            match (&r.mode, r.rows_per_job) {
                (Some(m), Some(j)) => format!("mode = {m}, rows_per_job = {j}, "),
                (Some(m), None) => format!("mode = {m}, "),
                _ => String::new(),
            },
            r.batch_size,
            r.concurrency,
            r.write_concurrency
                .map(|w| format!(", write_concurrency = {w}"))
                .unwrap_or_default(),
            r.per_record_ms,
            r.reason
        ),
        None => println!("no recommendation: every setting had failed records"),
    }
    println!("report: {}", dir.join("sweep.html").display());
    Ok(0)
}

fn load_baseline(path: Option<PathBuf>) -> Result<(Baseline, PathBuf), Failure> {
    let path = resolve_workspace_path(&path.unwrap_or_else(|| PathBuf::from(DEFAULT_BASELINE)));
    let baseline = Baseline::load(&path).map_err(|e| Failure {
        code: 2,
        error: anyhow::Error::from(e),
    })?;
    Ok((baseline, path))
}

fn gate(baseline: Option<PathBuf>, out: Option<PathBuf>) -> Result<u8, Failure> {
    let (baseline, path) = load_baseline(baseline)?;
    let options = RunOptions::default();
    let (report, runs) =
        run_gate(&baseline, &path.display().to_string(), &options).map_err(anyhow::Error::from)?;
    let dir = out.unwrap_or_else(|| default_out_dir("gate"));
    write_gate_outputs(&report, &runs, &dir).map_err(anyhow::Error::from)?;
    append_github_step_summary(&report).map_err(anyhow::Error::from)?;
    print!("{}", summary_markdown(&report));
    println!("\nreports: {}", dir.display());
    Ok(if report.passed { 0 } else { 1 })
}

fn calibrate(from: &[PathBuf], out: Option<&Path>) -> Result<u8, Failure> {
    let mut logs = Vec::with_capacity(from.len());
    for path in from {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("read {}", path.display()))
            .map_err(|error| Failure { code: 2, error })?;
        logs.push((path.display().to_string(), text));
    }
    let logs: Vec<(&str, &str)> = logs.iter().map(|(o, t)| (o.as_str(), t.as_str())).collect();
    let fit = monday_perf::tune::calibrate::fit_logs(&logs).map_err(anyhow::Error::from)?;
    let toml = fit.to_toml().map_err(anyhow::Error::from)?;
    println!(
        "{} requests ({} executed, {} refused, {} spikes) from {}",
        fit.requests, fit.executed, fit.refused, fit.spikes, fit.origin
    );
    print!("{}", fit.quality_table());
    match &fit.jobs {
        Some(j) => println!(
            "jobs: {} rows/s processing, {} ms from upload to the first row ({} of {} jobs had two polls while processing; {} polls)",
            j.rows_per_second, j.start_delay_ms, j.jobs_fitted, j.jobs_seen, j.polls_used
        ),
        None => println!(
            "jobs: no processing rate (no job with two job_poll lines while PROCESSING in the log)"
        ),
    }
    match out {
        Some(path) => {
            std::fs::write(path, &toml).with_context(|| format!("write {}", path.display()))?;
            println!(
                "profile written: {} (use it with --profile {})",
                path.display(),
                path.display()
            );
        }
        None => print!("\n{toml}"),
    }
    Ok(0)
}

fn rebaseline(baseline: Option<PathBuf>, out: Option<PathBuf>) -> Result<u8, Failure> {
    let (baseline, path) = load_baseline(baseline)?;
    let updated =
        record_baseline(&baseline, &RunOptions::default()).map_err(anyhow::Error::from)?;
    let target = out.unwrap_or(path);
    updated.save(&target).map_err(anyhow::Error::from)?;
    for s in &updated.scenarios {
        if let Some(e) = &s.expected {
            println!(
                "{:<24} {:>10.3} ms/record  p99 {:>10.3} ms  {:>6} requests  {:>5} throttled  efficiency {:.4}",
                s.scenario.name, e.per_record_ms, e.record_p99_ms, e.requests, e.throttled, e.efficiency
            );
        }
    }
    println!("baseline written: {}", target.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        // Catches, among others, two options of one subcommand sharing a name (`sweep` once had
        // `--concurrency` both as the run override and as the grid list).
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Command {
        Cli::try_parse_from(std::iter::once("monday-perf").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
    }

    #[test]
    fn run_and_sweep_take_every_left_out_value_from_scenario_default() {
        let Command::Run {
            scenario,
            overrides,
            ..
        } = parse(&["run"])
        else {
            panic!("not a run");
        };
        assert_eq!(scenario.scenario(&overrides).unwrap(), Scenario::default());
        // The README's sweep commands (the grid once ran with repeats = 0 and failed at once).
        for args in [
            &["sweep"][..],
            &["sweep", "--records", "500"],
            &[
                "sweep",
                "--batch-sizes",
                "1,5,10,25,50,100",
                "--concurrency",
                "1,2,4,8,16",
            ],
        ] {
            let Command::Sweep { scenario, .. } = parse(args) else {
                panic!("not a sweep");
            };
            let base = scenario.sweep_scenario().unwrap();
            let records = if args.contains(&"--records") {
                500
            } else {
                DEFAULT_RECORDS
            };
            assert_eq!(
                base,
                Scenario {
                    name: "sweep".into(),
                    records,
                    ..Scenario::default()
                },
                "{args:?}"
            );
        }
        let Command::Run {
            scenario,
            overrides,
            ..
        } = parse(&["run", "--client-cmd", "true"])
        else {
            panic!("not a run");
        };
        let s = scenario.scenario(&overrides).unwrap();
        assert_eq!(
            s.client_cmd,
            Some(ClientCmdSettings {
                command: "true".into(),
                ..ClientCmdSettings::default()
            })
        );
        assert_eq!(s.clock, Clock::Real);
    }

    #[test]
    fn processing_rate_reaches_run_and_sweep() {
        let Command::Run {
            scenario,
            overrides,
            ..
        } = parse(&["run", "--processing-rate", "25"])
        else {
            panic!("not a run");
        };
        assert_eq!(
            scenario.scenario(&overrides).unwrap().processing_rate,
            Some(25.0)
        );
        let Command::Sweep { scenario, .. } = parse(&["sweep", "--processing-rate", "2500"]) else {
            panic!("not a sweep");
        };
        assert_eq!(
            scenario.sweep_scenario().unwrap().processing_rate,
            Some(2_500.0)
        );
        let Command::Run {
            scenario,
            overrides,
            ..
        } = parse(&["run", "--processing-rate", "0"])
        else {
            panic!("not a run");
        };
        assert!(
            scenario.scenario(&overrides).is_err(),
            "a rate of 0 is refused"
        );
        let help = Cli::command()
            .find_subcommand_mut("sweep")
            .expect("sweep")
            .render_long_help()
            .to_string();
        assert!(help.contains("--processing-rate <ROWS_PER_S>"), "{help}");
    }

    #[test]
    fn help_names_the_defaults_scenario_default_gives() {
        let d = Scenario::default();
        let c = ClientCmdSettings::default();
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("run")
            .expect("run")
            .render_long_help()
            .to_string();
        for (flag, value) in [
            ("--records", d.records.to_string()),
            ("--seed", d.seed.to_string()),
            ("--profile", d.profile.clone()),
            ("--plan", d.plan.clone()),
            ("--token-kind", d.token_kind.clone()),
            ("--cpu-repetitions", d.cpu_repetitions.to_string()),
            ("--time-scale", d.time_scale.to_string()),
            ("--name", d.name.clone()),
            ("--repeats", d.repeats.to_string()),
            ("--key-column", c.key_column.clone()),
            ("--timeout", c.timeout_secs.to_string()),
        ] {
            let (_, after) = help
                .split_once(&format!("{flag} <"))
                .unwrap_or_else(|| panic!("{flag} missing from help:\n{help}"));
            let text = after.split("\n  -").next().unwrap_or_default();
            assert!(
                text.contains(&format!("[default: {value}")),
                "{flag}'s help does not name the default {value}: {text}"
            );
        }
    }

    #[test]
    fn sweep_takes_lists_and_run_takes_single_values() {
        let cli = Cli::try_parse_from([
            "monday-perf",
            "sweep",
            "--records",
            "500",
            "--batch-sizes",
            "1,5,10,25,50,100",
            "--concurrency",
            "1,2,4,8,16",
        ])
        .expect("sweep parses");
        let Command::Sweep {
            batch_sizes,
            concurrency,
            ..
        } = cli.command
        else {
            panic!("not a sweep");
        };
        assert_eq!(
            (batch_sizes.as_str(), concurrency.as_str()),
            ("1,5,10,25,50,100", "1,2,4,8,16")
        );
        let cli = Cli::try_parse_from([
            "monday-perf",
            "run",
            "--batch-size",
            "10",
            "--concurrency",
            "4",
        ])
        .expect("run parses");
        let Command::Run {
            scenario,
            overrides,
            ..
        } = cli.command
        else {
            panic!("not a run");
        };
        let s = scenario.scenario(&overrides).expect("valid scenario");
        assert_eq!((s.sync.batch_size, s.sync.concurrency), (Some(10), Some(4)));
    }
}
