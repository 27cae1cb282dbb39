//! `monday-sync`: sync order-list records into a monday.com board (see `monday-sync --help`).
//!
//! Exit codes: 0 all records synced, 1 some records failed (each named in the report), 2 bad config
//! or input, 3 fatal API condition (auth, board missing, retries exhausted).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use monday_sync::board::{bulk_import_unavailable, check_mapping, fetch_board};
use monday_sync::config::{Mode, SyncConfig};
use monday_sync::engine::{run, RunParams};
use monday_sync::http::HttpTransport;
use monday_sync::input::InputSource;
use monday_sync::state::StateSpec;
use monday_sync::SyncError;

/// Batch sync of order-list records into a monday.com board: batched, paced, exactly-once.
#[derive(Parser, Debug)]
#[command(name = "monday-sync", version, about, long_about = None,
    after_help = "Exit codes: 0 all records synced, 1 some records failed (see failures.csv), \
2 bad config or input, 3 fatal API condition (auth, board missing, retries exhausted).\n\
The API token is read from the environment variable named by api.token_env (default MONDAY_API_TOKEN).\n\
Logging: RUST_LOG (default info).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Sync records from an input file into the board.
    Run(RunArgs),
    /// Read the board's columns and report mapped columns that are missing or of the wrong type.
    Check {
        #[arg(long)]
        config: PathBuf,
        /// Override api.url.
        #[arg(long)]
        api_url: Option<String>,
    },
}

/// `monday-sync run`'s arguments.
#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Sync configuration (TOML), e.g. sync/configs/order_list.toml.
    #[arg(long)]
    config: PathBuf,
    /// Records: .ndjson/.jsonl, .csv (header row) or .json (array of objects).
    #[arg(long)]
    input: PathBuf,
    /// Override api.url (e.g. a mock-monday server's http://127.0.0.1:PORT/v2).
    #[arg(long)]
    api_url: Option<String>,
    /// State store (SQLite) mapping source keys to items; reruns skip unchanged records.
    #[arg(long, default_value = ".monday-sync/state.db")]
    state: PathBuf,
    /// Where to write summary.json, summary.txt, customers.csv/.md and failures.csv.
    #[arg(long, default_value = "reports/monday-sync")]
    report_dir: PathBuf,
    /// Override sync.mode: auto (the default: each group as batches or as bulk import jobs,
    /// whichever the plan finds faster), batch, single (for comparison only) or ingest.
    #[arg(long)]
    mode: Option<Mode>,
    /// Override sync.batch_size (default: chosen from the run).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Write one NDJSON line per request attempt to this file (t_ms, kind, aliases,
    /// request_bytes, status, latency_ms, complexity, throttled, attempt).
    #[arg(long)]
    request_log: Option<PathBuf>,
    /// Override sync.concurrency.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Transform and plan batches without sending anything; prints the plan.
    #[arg(long)]
    dry_run: bool,
    /// Override sync.run_id: reproduce a run's Idempotency-Keys (with the same seed). Default:
    /// a fresh id per run, so a rerun is never answered with an earlier run's cached response.
    #[arg(long)]
    run_id: Option<String>,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Log lines are written around the progress bar, never through it.
        .with_writer(monday_sync::progress::StderrThroughBar)
        .init();
}

fn token(cfg: &SyncConfig) -> Result<String, SyncError> {
    match std::env::var(&cfg.api.token_env) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        _ => Err(SyncError::MissingToken {
            var: cfg.api.token_env.clone(),
            origin: cfg.origin.clone(),
        }),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match rt.block_on(real_main(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e
                .downcast_ref::<SyncError>()
                .map(|s| s.exit_code())
                .unwrap_or(3);
            eprintln!("error: {e:#}");
            ExitCode::from(code as u8)
        }
    }
}

async fn real_main(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Run(args) => run_command(args).await,
        Command::Check { config, api_url } => check_command(&config, api_url).await,
    }
}

impl RunArgs {
    /// The config file with this command line's overrides, validated again.
    fn sync_config(&self) -> Result<SyncConfig, SyncError> {
        let mut cfg = SyncConfig::load(&self.config)?;
        if let Some(u) = &self.api_url {
            cfg.api.url.clone_from(u);
        }
        if let Some(m) = self.mode {
            cfg.sync.mode = m;
        }
        if let Some(b) = self.batch_size {
            cfg.sync.batch_size = Some(b);
        }
        if let Some(c) = self.concurrency {
            cfg.sync.concurrency = c;
        }
        if let Some(r) = &self.run_id {
            cfg.sync.run_id = Some(r.clone());
        }
        cfg.validate(&self.config.display().to_string())?;
        Ok(cfg)
    }
}

/// `monday-sync run`: config, input check, token, the run, then the summary and the exit code.
async fn run_command(args: RunArgs) -> anyhow::Result<u8> {
    let cfg = args.sync_config()?;
    // Before the token and any request: a missing file, a directory or a first record
    // that does not parse is exit 2, named with the path and the reason.
    let input = InputSource::Path(args.input);
    input.precheck()?;
    let token = if args.dry_run {
        String::new()
    } else {
        token(&cfg)?
    };
    let transport = Arc::new(HttpTransport::new(&cfg.api.url)?);
    let summary = run(RunParams {
        config: cfg,
        input,
        transport,
        token,
        state: StateSpec::Path(args.state),
        report_dir: Some(args.report_dir.clone()),
        dry_run: args.dry_run,
        progress: true,
        observer: None,
        request_log: args.request_log,
    })
    .await?;
    if args.dry_run {
        println!("dry run: nothing was sent");
        println!(
            "plan: {}",
            serde_json::to_string_pretty(&summary.config["plan"]).context("plan")?
        );
    }
    print!("{}", summary.table());
    if let Some(note) = summary.pace_note() {
        println!("\n{note}\n");
    }
    println!("reports written to {}", args.report_dir.display());
    Ok(run_exit_code(summary.unresolved, summary.failed))
}

/// 3 when records were left unresolved (a fatal condition), 1 when some failed, else 0.
fn run_exit_code(unresolved: u64, failed: u64) -> u8 {
    if unresolved > 0 {
        3
    } else if failed > 0 {
        1
    } else {
        0
    }
}

/// `monday-sync check`: the board against the mapping; 0 when it fits, 2 when it does not.
async fn check_command(config: &Path, api_url: Option<String>) -> anyhow::Result<u8> {
    let mut cfg = SyncConfig::load(config).map_err(SyncError::from)?;
    if let Some(u) = api_url {
        cfg.api.url = u;
    }
    let token = token(&cfg)?;
    let transport = Arc::new(HttpTransport::new(&cfg.api.url)?);
    let board = fetch_board(&cfg, transport, token).await?;
    let problems = check_mapping(&cfg, &board);
    println!(
        "board {} \"{}\": {} columns, {} groups",
        board.id,
        board.name,
        board.columns.len(),
        board.group_ids.len()
    );
    match bulk_import_unavailable(&cfg, &board) {
        None => println!(
            "bulk import: available (the key column `{}` can be a match column)",
            cfg.board.key_column
        ),
        Some(why) => println!("bulk import: not available: {why}; auto mode batches"),
    }
    if problems.is_empty() {
        println!(
            "ok: all {} mapped columns exist with the right type",
            cfg.columns.len() + 1
        );
        return Ok(0);
    }
    for p in &problems {
        let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        println!("{}{line} ({}): {}", config.display(), p.key, p.message);
    }
    Ok(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> RunArgs {
        let config = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/order_list.toml");
        let mut argv = vec![
            "monday-sync",
            "run",
            "--config",
            config,
            "--input",
            "x.ndjson",
        ];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Run(a) => a,
            Command::Check { .. } => unreachable!("a run command line"),
        }
    }

    #[test]
    fn command_line_overrides_reach_the_config_and_are_validated() {
        let plain = args(&[]).sync_config().unwrap();
        let cfg = args(&[
            "--mode",
            "ingest",
            "--batch-size",
            "7",
            "--concurrency",
            "3",
            "--run-id",
            "r1",
            "--api-url",
            "http://127.0.0.1:9/v2",
        ])
        .sync_config()
        .unwrap();
        assert_eq!(
            (cfg.sync.mode, cfg.sync.batch_size, cfg.sync.concurrency),
            (Mode::Ingest, Some(7), 3)
        );
        assert_eq!(cfg.sync.run_id.as_deref(), Some("r1"));
        assert_eq!(cfg.api.url, "http://127.0.0.1:9/v2");
        assert_eq!(cfg.board, plain.board);
        let e = args(&["--concurrency", "0"]).sync_config().unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("sync.concurrency"), "{e}");
    }

    #[test]
    fn exit_codes_put_unresolved_before_failed() {
        assert_eq!(run_exit_code(0, 0), 0);
        assert_eq!(run_exit_code(0, 2), 1);
        assert_eq!(run_exit_code(1, 2), 3);
    }
}
