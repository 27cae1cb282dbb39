//! Logging stays quiet and never shows the token, seen by a process-global subscriber.
//!
//! tracing caches each callsite's interest process-wide, so a thread-local subscriber
//! (`set_default`) in a test binary whose other tests run in parallel misses events: the capture
//! this test once had saw 89 lines beside its neighbours and 47,314 alone, with a WARN per empty
//! field in place. This binary holds this one test and installs the capture as the global
//! subscriber, so it sees every event of every thread whatever else runs.

use std::sync::{Arc, OnceLock};

use e2e_tests::{
    brief, num, orders, record_key, run_engine, sim_config, LogCapture, SimTransport, BOARD_ID,
    SECRET_TOKEN,
};
use mock_monday::Simulator;

/// The capture behind the process-global subscriber (installed once, TRACE and above).
fn global_capture() -> LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = LogCapture::default();
            tracing::subscriber::set_global_default(capture.subscriber(tracing::Level::TRACE))
                .expect("no other global subscriber in this test binary");
            capture
        })
        .clone()
}

/// The example config as a user gets it: the sync's code defaults for mode and batch size.
fn example_config() -> monday_sync::config::SyncConfig {
    monday_sync::config::SyncConfig::load(e2e_tests::example_config_path()).expect("example config")
}

/// 5,000 records with many empty fields: no WARN line, INFO lines bounded by batches, and the
/// token nowhere in any captured line (every level, every crate).
#[tokio::test(start_paused = true)]
async fn logging_is_quiet_and_never_shows_the_token() {
    let n = 5_000;
    let capture = global_capture();
    let sim = Arc::new(
        Simulator::new(sim_config("realistic", "pro", "personal", 5, "")).expect("simulator"),
    );
    let transport = SimTransport::new(sim.clone());
    let config = example_config();
    let batch = monday_sync::batching::batch_size(&config.sync, Some(n));
    let summary = run_engine(transport.clone(), config, orders(n, 5, 0.6)).await;
    assert_eq!(num(&summary, "failed") as usize, 0, "{}", brief(&summary));
    assert_eq!(
        e2e_tests::items_array(&sim.board_items(BOARD_ID).expect("board exists")).len(),
        n
    );

    let text = capture.text();
    assert!(!text.is_empty(), "the capture saw no events at all");
    assert!(
        !text.contains(SECRET_TOKEN),
        "the token appears in the logs: {}",
        text.lines()
            .find(|l| l.contains(SECRET_TOKEN))
            .unwrap_or_default()
    );
    let warns = capture.lines_at("WARN", None);
    assert!(
        warns.is_empty(),
        "{} WARN lines in a healthy run, first: {:?}",
        warns.len(),
        warns.first()
    );
    let batches = n.div_ceil(batch);
    let infos = capture.lines_at("INFO", Some("monday_sync"));
    assert!(
        infos.len() <= 2 * batches + 50 && infos.len() < n / 10,
        "{} INFO lines for {n} records in {batches} batches; first: {:?}",
        infos.len(),
        infos.iter().take(3).collect::<Vec<_>>()
    );
    // No per-record INFO line: no record key appears at INFO.
    let keyed = infos
        .iter()
        .filter(|l| l.contains(&record_key(1)) || l.contains(&record_key(n as u64)))
        .count();
    assert_eq!(keyed, 0, "INFO lines name individual records");
}
