//! Crash safety over real HTTP: `monday-sync run` is killed with SIGKILL at seeded points of its
//! progress (after the k-th item the simulator created, k drawn from a seeded RNG) while it writes
//! to a `mock-monday serve` process, then rerun with the same state store until it exits 0. Every
//! kill is checked to have hit between the run's first and last write, and the board must end with
//! exactly one item per record, also when the state store's last write was torn. The same
//! fixture also runs the sync with its default settings against the server's board write lock:
//! no 423, because writes to a board go one at a time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e_tests::{
    assert_exactly_once, example_config_path, orders, record_key, sync_command, write_ndjson, Serve,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

// (270 records + at most 30 customer groups) x 30,000 = 9M complexity, plus the reruns' reads:
// under one 10M window, so no budget wait (whose retry hint is in simulated seconds and would not
// be scaled). 300 records with monday-perf's 30 customers came to 10.0-10.1M and waited a window
// out at every kill point: 190 s instead of 11 s.
const RECORDS: usize = 270;
const TOKEN: &str = "crash-test-token";

struct Fixture {
    _dir: tempfile::TempDir,
    input: PathBuf,
    state: PathBuf,
    reports: PathBuf,
}

fn fixture(seed: u64) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_ndjson(dir.path(), "orders.ndjson", &orders(RECORDS, seed, 0.3));
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

/// Starts the sync and SIGKILLs it as soon as the simulator has created `k` more items, `k` a
/// seeded share of the items still missing from the board ([`kill_point`]). Returns the items this
/// run created before the kill landed, and asserts that the kill hit between the run's first and
/// last write: at least `k` items created, not all that were missing.
async fn run_and_kill_at_seeded_point(f: &Fixture, serve: &Serve, rng: &mut ChaCha8Rng) -> u64 {
    let missing = (RECORDS - serve.board_items().await.len()) as u64;
    let k = kill_point(rng, missing);
    let config = example_config_path().display().to_string();
    let a = args(f, &serve.url, &config);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let created = || async {
        serve.stats().await["items_created_total"]
            .as_u64()
            .unwrap_or(0)
    };
    let start = created().await;
    let mut child = sync_command(&a, Some(TOKEN)).spawn().expect("spawn sync");
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "the sync exited ({status:?}) before item {k}: {} created",
                created().await - start
            );
        }
        if created().await - start >= k {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("wait killed");
    assert_eq!(status.code(), None, "killed by a signal");
    let at_kill = created().await - start;
    assert!(
        at_kill >= k && at_kill < missing,
        "the kill after item {k} did not land between the first and the last write: \
         {at_kill} of the {missing} missing items created"
    );
    at_kill
}

/// A seeded kill point: after the k-th item, k between 5% and 90% of the items still missing.
fn kill_point(rng: &mut ChaCha8Rng, items_left: u64) -> u64 {
    let lo = (items_left / 20).max(1);
    let hi = (items_left * 9 / 10).max(lo + 1);
    rng.gen_range(lo..hi)
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
    let expected: Vec<String> = (1..=RECORDS as u64).map(record_key).collect();
    assert_exactly_once(&items, &expected);
    items.len()
}

fn server_args() -> Vec<&'static str> {
    // realistic latency, scaled so a run of RECORDS takes about a second of wall time
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
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED);
    let mut kills = Vec::new();
    for point in 0..5u64 {
        serve.reset().await;
        let f = fixture(100 + point);
        // A first kill, then a second one during the rerun, each after a seeded item count.
        let first = run_and_kill_at_seeded_point(&f, &serve, &mut rng).await;
        let second = run_and_kill_at_seeded_point(&f, &serve, &mut rng).await;
        kills.push((first, second));
        rerun_until_done(&f, &serve.url).await;
        check_board(&serve).await;
    }
    println!("crashes: kills after (first, second-run) items {kills:?}; board exact every time");
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
    let mut rng = ChaCha8Rng::seed_from_u64(0x7047);
    let mut kills = Vec::new();
    for point in 0..3u64 {
        serve.reset().await;
        let f = fixture(200 + point);
        kills.push(run_and_kill_at_seeded_point(&f, &serve, &mut rng).await);
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
    println!("torn state: kills after {kills:?} items, board exact after each torn write");
}

/// The state store's last page is garbage (a torn page write): the sync recovers (rebuilds from
/// the board) rather than duplicating or giving up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_last_state_page_is_recovered_without_duplicates() {
    let serve = Serve::start(&server_args()).await;
    serve.reset().await;
    let f = fixture(300);
    run_and_kill_at_seeded_point(&f, &serve, &mut ChaCha8Rng::seed_from_u64(0xC0DE)).await;
    // Flush the WAL into the main file first by corrupting what a checkpoint would read: the
    // last page of every state file.
    for file in state_files(&f.state) {
        corrupt_last_page(&file, 4096);
    }
    rerun_until_done(&f, &serve.url).await;
    check_board(&serve).await;
}

/// The sync as a user gets it (no batch size, concurrency or write concurrency given) against
/// `mock-monday serve` with board write locks on (the realistic profile's default): every record
/// lands once, nothing fails, and the server never had to refuse an overlapping write (423),
/// because the sync writes to a board one request at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_settings_never_meet_the_board_write_lock() {
    let serve = Serve::start(&server_args()).await;
    let f = fixture(7);
    let config = example_config_path().display().to_string();
    let a: Vec<String> = vec![
        "run".into(),
        "--config".into(),
        config,
        "--input".into(),
        f.input.display().to_string(),
        "--state".into(),
        f.state.display().to_string(),
        "--api-url".into(),
        serve.url.clone(),
        "--report-dir".into(),
        f.reports.display().to_string(),
    ];
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = e2e_tests::run_sync(&a, Some(TOKEN), Duration::from_secs(120)).await;
    assert_eq!(
        out.code,
        Some(0),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    assert_eq!(check_board(&serve).await, RECORDS);
    let stats = serve.stats().await;
    assert_eq!(stats["locked_total"], 0, "{stats}");
    assert_eq!(stats["items_created_total"], RECORDS as u64, "{stats}");
}
