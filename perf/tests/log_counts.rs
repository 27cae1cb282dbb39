//! The counting layer as the process-global subscriber (this test binary holds one test, so
//! nothing else emits events while it counts).

use monday_perf::measure::log_counts::{install_counting_only, installed, snapshot};

#[test]
fn counts_sync_events_at_info_and_above_from_every_thread() {
    assert!(
        install_counting_only(),
        "no other global subscriber in this binary"
    );
    assert!(installed());
    let before = snapshot();
    tracing::warn!(target: "monday_sync::transform", "counted");
    tracing::info!(target: "monday_sync::engine", "counted");
    tracing::error!(target: "monday_sync", "counted");
    tracing::debug!(target: "monday_sync::engine", "below INFO: not counted");
    tracing::warn!(target: "mock_monday::core", "not the sync: not counted");
    // Another thread: a thread-local subscriber would miss this one.
    std::thread::spawn(|| tracing::warn!(target: "monday_sync::sender", "counted"))
        .join()
        .expect("thread");
    let d = snapshot().since(&before);
    assert_eq!((d.error, d.warn, d.info), (1.0, 2.0, 1.0));
}
