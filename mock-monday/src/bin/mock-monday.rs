//! `mock-monday`: run the monday.com API simulator as a standalone HTTP server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use mock_monday::config::{
    LatencyProfile, LimitSettings, Plan, ReportDurations, SimConfig, TokenKind,
};
use mock_monday::faults::FaultConfig;
use mock_monday::jobs::{BulkSettings, JobTiming};
use mock_monday::server::Server;
use mock_monday::store::Fixture;
use mock_monday::{BoardLock, Simulator};
use std::io::Write;

/// A faithful, deterministic simulator of the monday.com GraphQL API.
#[derive(Debug, Parser)]
#[command(name = "mock-monday", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the simulated API on HTTP; prints `mock-monday listening on http://HOST:PORT/v2`
    /// once it accepts connections. Admin endpoints: GET /__admin/health, GET /__admin/stats,
    /// GET /__admin/boards/{board_id}/items, GET /__admin/requests?since=N, GET /__admin/jobs,
    /// POST /__admin/reset. The bulk import's upload URLs (`PUT /__upload/...`) and report URLs
    /// (`GET /__reports/...`) are served on the same address.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Latency profile: `instant`, `realistic`, or a TOML file (see profiles/realistic.toml).
    #[arg(long, default_value = "realistic")]
    profile: String,
    /// Account plan: basic, standard, pro, enterprise (minute, concurrency, daily limits).
    #[arg(long, default_value = "pro")]
    plan: Plan,
    /// Token kind: personal (10M/min), app (5M read + 5M write), trial (1M).
    #[arg(long, default_value = "personal")]
    token_kind: TokenKind,
    /// Seed of every random choice (latency, faults, request ids).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Wall seconds per simulated second (0.01: a 60 s budget window passes in 0.6 s).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Durations the server reports (Retry-After, retry_in_seconds, reset_in_x_seconds, the
    /// RateLimit header's t=): `simulated` seconds (monday.com's behaviour at time scale 1) or
    /// `wall` seconds (scaled by --time-scale, rounded up, at least 1), so that a client that
    /// knows nothing of the scale waits the right real time.
    #[arg(long, default_value = "simulated")]
    report_durations: ReportDurations,
    /// Only accept requests whose Authorization header is this token.
    #[arg(long, env = "MOCK_MONDAY_TOKEN")]
    token: Option<String>,
    /// Fixture TOML file defining the boards (default: the Order List board 1234567890).
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// A full published SDL to validate against (e.g. from
    /// https://api.monday.com/v2/get_schema?format=sdl&version=2026-10).
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Faults, e.g. `5xx=0.05,reset=0.02,slow=0.01,commit_then_fail=0.01,lock=0.01,storm=0.002`
    /// (per-request probabilities). `slow_secs=120` sets the slow delay; `storm=P` starts a 429
    /// storm with probability P per request, refusing every request for `storm_secs` (default 10)
    /// simulated seconds like the minute-rate limit (Retry-After = time left in the storm).
    #[arg(long, default_value = "")]
    faults: String,
    /// Board write locks: `off`, `strict` (every write overlapping an in-flight write to the
    /// same board gets HTTP 423 with Retry-After) or a probability per overlap, e.g. `0.5`.
    #[arg(long, default_value = "strict")]
    board_lock: BoardLock,
    /// Entries the request log keeps (GET /__admin/requests, NDJSON; oldest dropped first);
    /// 0 turns it off.
    #[arg(long, default_value_t = 100_000)]
    request_log_capacity: usize,
    /// TOML file overriding limit settings (keys of LimitSettings, e.g. `personal_budget = 1000000`).
    #[arg(long)]
    limits: Option<PathBuf>,
    /// TOML file overriding the bulk import's settings (keys of BulkSettings, e.g.
    /// `budget_scope = "shared"`, `board_jobs = "parallel"`, `lock_board_during_job = false`,
    /// `admin_tokens = ["t1"]`, `items_per_hour = 19000`).
    #[arg(long)]
    bulk: Option<PathBuf>,
    /// Simulated date and time the clock starts at (RFC 3339, e.g. 2026-03-14T09:00:00Z):
    /// timestamps and the daily limit's midnight UTC follow it.
    #[arg(long)]
    start_time: Option<String>,
}

fn read(path: &PathBuf, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {what} {}", path.display()))
}

fn config(args: &ServeArgs) -> Result<SimConfig> {
    let mut bulk = match &args.bulk {
        Some(path) => toml::from_str::<BulkSettings>(&read(path, "bulk settings")?)
            .with_context(|| format!("bulk settings file {}", path.display()))?,
        None => BulkSettings::default(),
    };
    let profile = match args.profile.parse::<LatencyProfile>() {
        Ok(p) => p,
        Err(_) => {
            let path = PathBuf::from(&args.profile);
            let text = read(&path, "latency profile")?;
            if bulk.timing.is_none() {
                bulk.timing = JobTiming::from_profile_toml(&text)
                    .map_err(|e| anyhow::anyhow!("latency profile {}: {e}", args.profile))?;
            }
            LatencyProfile::from_toml_str(&text, &args.profile)?
        }
    };
    let fixture = match &args.fixture {
        Some(path) => Fixture::from_toml_str(&read(path, "fixture")?, &path.display().to_string())?,
        None => Fixture::default_order_list(),
    };
    let limits = match &args.limits {
        Some(path) => toml::from_str::<LimitSettings>(&read(path, "limits")?)
            .with_context(|| format!("limits file {}", path.display()))?,
        None => LimitSettings::default(),
    };
    let schema_sdl = args
        .schema
        .as_ref()
        .map(|p| read(p, "schema"))
        .transpose()?;
    Ok(SimConfig {
        profile,
        plan: args.plan,
        token_kind: args.token_kind,
        seed: args.seed,
        time_scale: args.time_scale,
        token: args.token.clone(),
        fixture,
        faults: FaultConfig::parse(&args.faults).context("--faults")?,
        limits,
        schema_sdl,
        start_time: args.start_time.clone(),
        board_lock: args.board_lock,
        request_log_capacity: args.request_log_capacity,
        report_durations: args.report_durations,
        bulk,
        ..SimConfig::default()
    })
}

async fn serve(args: ServeArgs) -> Result<()> {
    let config = config(&args)?;
    let sim = Arc::new(Simulator::new(config).context("starting the simulator")?);
    let server = Server::bind(sim, args.addr, args.allow_remote).await?;
    let url = server.url()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "mock-monday listening on {url}")?;
        out.flush()?;
    }
    tracing::info!(%url, "serving");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    server.run_until(shutdown).await?;
    Ok(())
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
    }
}
