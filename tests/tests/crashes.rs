//! Crash safety over real HTTP: `monday-sync run` is killed with SIGKILL at seeded random points
//! while it writes to a `mock-monday serve` process, then rerun with the same state store until it
//! exits 0. The board must end with exactly one item per record, also when the state store's last
//! write was torn.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use e2e_tests::{
    assert_exactly_once, example_config_path, gen_records, order_key, sync_command, write_ndjson,
    Serve,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// 300 records x 30,000 = 9M complexity: under one 10M window, so no budget wait (whose retry hint
// is in simulated seconds and would not be scaled).
const RECORDS: usize = 300;
const TOKEN: &str = "crash-test-token";

struct Fixture {
    _dir: tempfile::TempDir,
    input: PathBuf,
    state: PathBuf,
    reports: PathBuf,
}

fn fixture(seed: u64) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_ndjson(
        dir.path(),
        "orders.ndjson",
        &gen_records(RECORDS, seed, 0.3),
    );
    Fixture {
        input,
        state: dir.path().join("state.sqlite"),
        reports: dir.path().join("reports"),
        _dir: dir,
    }
}

fn args<'a>(f: &'a Fixture, url: &'a str, config: &'a str) -> Vec<String> {
    vec![
        "run".into(),
        "--config".into(),
        config.into(),
        "--input".into(),
        f.input.display().to_string(),
        "--state".into(),
        f.state.display().to_string(),
        "--api-url".into(),
        url.into(),
        "--report-dir".into(),
        f.reports.display().to_string(),
        "--batch-size".into(),
        "10".into(),
        "--concurrency".into(),
        "2".into(),
    ]
}

/// Starts the sync and SIGKILLs it after `after`. Returns true when the kill landed (the process
/// was still running), false when it had already exited (its exit code is then checked to be 0).
async fn run_and_kill(f: &Fixture, url: &str, after: Duration) -> bool {
    let config = example_config_path().display().to_string();
    let a = args(f, url, &config);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut child = sync_command(&a, Some(TOKEN)).spawn().expect("spawn sync");
    match tokio::time::timeout(after, child.wait()).await {
        Ok(status) => {
            let status = status.expect("wait");
            assert!(
                status.code() == Some(0),
                "sync exited with {status:?} before the kill"
            );
            false
        }
        Err(_) => {
            child.start_kill().expect("SIGKILL");
            let status = child.wait().await.expect("wait killed");
            assert_eq!(status.code(), None, "killed by a signal");
            true
        }
    }
}

/// Reruns until exit 0 (at most 4 runs, 120 s each); returns how many runs it took.
async fn rerun_until_done(f: &Fixture, url: &str) -> usize {
    let config = example_config_path().display().to_string();
    let a = args(f, url, &config);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    for attempt in 1..=4 {
        let out = e2e_tests::run_sync(&a, Some(TOKEN), Duration::from_secs(120)).await;
        assert!(
            !out.stderr.contains("panicked"),
            "sync panicked on rerun: {}",
            out.stderr
        );
        match out.code {
            Some(0) => return attempt,
            Some(3) => continue, // a fatal API condition may clear on the next run
            other => panic!(
                "rerun {attempt} exited {other:?}\nstdout: {}\nstderr: {}",
                out.stdout, out.stderr
            ),
        }
    }
    panic!("the sync did not finish after 4 reruns");
}

async fn check_board(serve: &Serve) -> usize {
    let items = serve.board_items().await;
    let expected: Vec<String> = (0..RECORDS).map(order_key).collect();
    assert_exactly_once(&items, &expected);
    items.len()
}

/// How long one uninterrupted run takes (for placing kill points inside the run).
async fn calibrate(serve: &Serve) -> Duration {
    serve.reset().await;
    let f = fixture(1);
    let start = Instant::now();
    let runs = rerun_until_done(&f, &serve.url).await;
    assert_eq!(runs, 1, "a clean run finishes first time");
    let took = start.elapsed();
    check_board(serve).await;
    took
}

fn server_args() -> Vec<&'static str> {
    // realistic latency, scaled so a 300-record run takes about a second of wall time
    vec![
        "--profile",
        "realistic",
        "--time-scale",
        "0.1",
        "--seed",
        "9",
    ]
}

/// Five seeded kill points (each followed by a second kill on the rerun at another point), then
/// reruns until exit 0: exactly one item per record every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_then_rerun_gives_exactly_one_item_per_record() {
    let serve = Serve::start(&server_args()).await;
    let run_time = calibrate(&serve).await;
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED);
    let mut landed = 0;
    let points = 5;
    for point in 0..points {
        serve.reset().await;
        let f = fixture(100 + point);
        for _kill in 0..2 {
            let frac: f64 = rng.gen_range(0.15..0.85);
            let after = run_time.mul_f64(frac);
            if run_and_kill(&f, &serve.url, after).await {
                landed += 1;
            }
        }
        rerun_until_done(&f, &serve.url).await;
        check_board(&serve).await;
    }
    println!(
        "crashes: {landed} SIGKILLs landed mid-run over {points} seeded points (run time {run_time:?}); board exact every time"
    );
    assert!(
        landed >= points as usize,
        "only {landed} kills landed mid-run: the kill points miss the run"
    );
}

/// Files of the state store (the SQLite file and its WAL / journal, or a directory's files).
fn state_files(state: &Path) -> Vec<PathBuf> {
    if state.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(state)
            .expect("read state dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        return v;
    }
    let mut v = vec![state.to_path_buf()];
    for suffix in ["-wal", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", state.display()));
        if p.exists() {
            v.push(p);
        }
    }
    v.into_iter().filter(|p| p.exists()).collect()
}

fn truncate_tail(path: &Path, by: u64) {
    let len = std::fs::metadata(path).expect("metadata").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for truncate");
    file.set_len(len.saturating_sub(by)).expect("truncate");
}

fn corrupt_last_page(path: &Path, page: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let len = std::fs::metadata(path).expect("metadata").len();
    if len == 0 {
        return;
    }
    let start = len.saturating_sub(page);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open for corrupt");
    file.seek(SeekFrom::Start(start)).expect("seek");
    let garbage: Vec<u8> = (0..(len - start)).map(|i| (i * 131 % 251) as u8).collect();
    file.write_all(&garbage).expect("write garbage");
}

/// After a SIGKILL the last write of the state store is torn (the tail of its WAL, or of the file
/// when no WAL is left, is cut off mid-frame): the rerun reconciles against the board instead of
/// duplicating, and the board ends exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_last_state_write_is_recovered_without_duplicates() {
    let serve = Serve::start(&server_args()).await;
    let run_time = calibrate(&serve).await;
    let mut rng = ChaCha8Rng::seed_from_u64(0x7047);
    let mut landed = 0;
    for point in 0..3u64 {
        serve.reset().await;
        let f = fixture(200 + point);
        let after = run_time.mul_f64(rng.gen_range(0.3..0.7));
        if run_and_kill(&f, &serve.url, after).await {
            landed += 1;
        }
        let files = state_files(&f.state);
        assert!(!files.is_empty(), "no state store at {}", f.state.display());
        let wal = files
            .iter()
            .find(|p| p.display().to_string().ends_with("-wal"));
        match wal {
            // Cut into the last WAL frame (frames are 24 bytes + one page).
            Some(wal) if std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0) > 100 => {
                truncate_tail(wal, rng.gen_range(1..2000))
            }
            _ => truncate_tail(files.last().expect("a state file"), rng.gen_range(1..2000)),
        }
        rerun_until_done(&f, &serve.url).await;
        check_board(&serve).await;
    }
    println!("torn state: {landed} kills landed, board exact after each torn write");
    assert!(landed >= 2, "only {landed} kills landed mid-run");
}

/// The state store's last page is garbage (a torn page write): the sync recovers (rebuilds from
/// the board) rather than duplicating or giving up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_last_state_page_is_recovered_without_duplicates() {
    let serve = Serve::start(&server_args()).await;
    let run_time = calibrate(&serve).await;
    serve.reset().await;
    let f = fixture(300);
    let landed = run_and_kill(&f, &serve.url, run_time.mul_f64(0.5)).await;
    assert!(landed, "the kill missed the run");
    // Flush the WAL into the main file first by corrupting what a checkpoint would read: the
    // last page of every state file.
    for file in state_files(&f.state) {
        corrupt_last_page(&file, 4096);
    }
    rerun_until_done(&f, &serve.url).await;
    check_board(&serve).await;
}
