//! Performance regressions that broke the original sync must never come back.
//!
//! Every test runs the real sync engine over the in-process simulator on a paused tokio clock and
//! asserts counts and simulated (virtual) time only, never wall-clock time.

use std::sync::Arc;

use e2e_tests::{
    brief, num, orders, run_engine, sim_config, sync_config, ReqKind, SimTransport, BOARD_ID,
};
use mock_monday::Simulator;
use monday_sync::transport::{ApiRequest, ApiResponse, Transport, TransportError};
use serde_json::Value;

fn simulator(profile: &str, seed: u64) -> Arc<Simulator> {
    let config = sim_config(profile, "pro", "personal", seed, "");
    Arc::new(Simulator::new(config).expect("simulator"))
}

fn board_count(sim: &Simulator) -> usize {
    e2e_tests::items_array(&sim.board_items(BOARD_ID).expect("board exists")).len()
}

/// The example's batch size (unset: chosen from the run) and concurrency.
fn example_settings() -> (Option<usize>, usize) {
    let base = monday_sync::config::SyncConfig::load(e2e_tests::example_config_path())
        .expect("example config");
    (base.sync.batch_size, base.sync.concurrency)
}

/// The example config in `mode` at `concurrency`, with the example's batch size.
fn example_config(
    mode: &str,
    batch: Option<usize>,
    concurrency: usize,
) -> monday_sync::config::SyncConfig {
    let mut config = sync_config(mode, 1, concurrency);
    config.sync.batch_size = batch;
    config
}

/// Batch mode sends ceil(N / batch) create requests, single mode N (203 records: 9 vs 203).
#[tokio::test(start_paused = true)]
async fn batch_mode_sends_ceil_n_over_batch_creates_single_mode_n() {
    let n: usize = 203;
    for (mode, batch, expected) in [("batch", 25usize, n.div_ceil(25)), ("single", 25, n)] {
        let sim = simulator("realistic", 11);
        let transport = SimTransport::new(sim.clone());
        let summary = run_engine(
            transport.clone(),
            sync_config(mode, batch, 4),
            orders(n, 11, 0.3),
        )
        .await;
        let logical = transport.logical(ReqKind::CreateItem);
        let attempts = transport.count(ReqKind::CreateItem);
        assert_eq!(
            logical, expected,
            "{mode}: {logical} create requests for {n} records (batch {batch})"
        );
        assert_eq!(
            attempts, logical,
            "{mode}: a healthy run under budget needs no retries"
        );
        let max_fields = transport
            .attempts()
            .iter()
            .map(|a| a.create_fields)
            .max()
            .unwrap_or(0);
        let cap = if mode == "single" { 1 } else { batch };
        assert!(
            max_fields <= cap,
            "{mode}: {max_fields} create_item per request > {cap}"
        );
        assert_eq!(
            num(&summary, "created") as usize,
            n,
            "{mode}: {}",
            brief(&summary)
        );
        assert_eq!(
            num(&summary, "failed") as usize,
            0,
            "{mode}: {}",
            brief(&summary)
        );
        assert_eq!(board_count(&sim), n, "{mode}: items on the board");
    }
}

/// Batch per-record time is at least 10x lower than single mode at 500 records on the realistic
/// latency profile.
///
/// Two things are held fixed so the comparison measures the request pattern: the complexity budget
/// is lifted (with the default 10M/min both modes spend the same 15M points and both end up bound
/// by the same budget ceiling, about 120 ms per record), and single mode runs as the original sync
/// did, one record per request, one request at a time. A second check at equal concurrency guards
/// the mode itself: the realistic model's best possible gain there is 25 x 275 ms / 875 ms = 7.9x.
#[tokio::test(start_paused = true)]
async fn batch_per_record_time_at_least_10x_lower_than_single_at_500() {
    let n = 500;
    let (batch, concurrency) = example_settings();
    let mut per_record = Vec::new();
    for (mode, conc) in [
        ("batch", concurrency),
        ("single", 1),
        ("single", concurrency),
    ] {
        let mut config = sim_config("realistic", "pro", "personal", 500, "");
        config.limits.personal_budget = 1_000_000_000;
        let sim = Arc::new(Simulator::new(config).expect("simulator"));
        let transport = SimTransport::new(sim.clone());
        let summary = run_engine(
            transport,
            example_config(mode, batch, conc),
            orders(n, 500, 0.3),
        )
        .await;
        assert_eq!(
            num(&summary, "failed") as usize,
            0,
            "{mode}: {}",
            brief(&summary)
        );
        assert_eq!(board_count(&sim), n);
        per_record.push(num(&summary, "per_record_ms"));
    }
    let (batch_ms, single_seq_ms, single_conc_ms) = (per_record[0], per_record[1], per_record[2]);
    println!(
        "batch {batch_ms:.2} ms/record; single sequential {single_seq_ms:.2}; single x{concurrency} {single_conc_ms:.2}"
    );
    assert!(batch_ms > 0.0, "virtual time must advance: {batch_ms}");
    assert!(
        single_seq_ms >= 10.0 * batch_ms,
        "batch {batch_ms:.2} ms/record vs single (one at a time) {single_seq_ms:.2}: less than 10x"
    );
    assert!(
        single_conc_ms >= 5.0 * batch_ms,
        "batch {batch_ms:.2} ms/record vs single at concurrency {concurrency} {single_conc_ms:.2}: less than 5x"
    );
}

/// With the default Pro budget at 500 records both modes spend 15M complexity points; batching
/// must still not be slower, and batch mode sends 25x fewer requests.
#[tokio::test(start_paused = true)]
async fn batch_beats_single_under_the_default_budget_at_500() {
    let n = 500;
    let (batch, concurrency) = example_settings();
    let mut results = Vec::new();
    for mode in ["batch", "single"] {
        let sim = simulator("realistic", 501);
        let transport = SimTransport::new(sim.clone());
        let summary = run_engine(
            transport.clone(),
            example_config(mode, batch, concurrency),
            orders(n, 501, 0.3),
        )
        .await;
        assert_eq!(
            num(&summary, "failed") as usize,
            0,
            "{mode}: {}",
            brief(&summary)
        );
        assert_eq!(board_count(&sim), n);
        results.push((
            num(&summary, "per_record_ms"),
            transport.logical(ReqKind::CreateItem),
        ));
    }
    let ((batch_ms, batch_creates), (single_ms, single_creates)) = (results[0], results[1]);
    println!("default budget: batch {batch_ms:.2} ms/record ({batch_creates} creates), single {single_ms:.2} ({single_creates})");
    assert!(
        batch_ms < single_ms,
        "batch {batch_ms:.2} vs single {single_ms:.2}"
    );
    let chosen = monday_sync::batching::batch_size(
        &example_config("batch", batch, concurrency).sync,
        Some(n),
    );
    // 15M points over a 10M budget: the batch that meets the end of the first window is cut to
    // what the budget affords, one extra request.
    assert!(
        batch_creates <= n.div_ceil(chosen) + 1,
        "{batch_creates} create requests at batch size {chosen}"
    );
    assert_eq!(single_creates, n);
}

/// Adds a fixed (virtual) delay to every request before passing it on: a slow network.
struct SlowTransport {
    inner: Arc<SimTransport>,
    delay: std::time::Duration,
}

#[async_trait::async_trait]
impl Transport for SlowTransport {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, TransportError> {
        tokio::time::sleep(self.delay).await;
        self.inner.send(request).await
    }

    /// Pre-signed URL requests (the bulk import) pass through untouched.
    async fn send_url(
        &self,
        request: monday_sync::transport::UrlRequest,
    ) -> Result<ApiResponse, TransportError> {
        self.inner.send_url(request).await
    }
}

async fn phases_of(delay_ms: u64) -> Value {
    let sim = simulator("instant", 77);
    let inner = SimTransport::new(sim.clone());
    let transport = Arc::new(SlowTransport {
        inner,
        delay: std::time::Duration::from_millis(delay_ms),
    });
    let (batch, concurrency) = example_settings();
    let summary = e2e_tests::run_engine_with(
        transport,
        example_config("batch", batch, concurrency),
        orders(200, 77, 0.3),
        None,
    )
    .await
    .expect("sync run");
    assert_eq!(num(&summary, "failed") as usize, 0, "{}", brief(&summary));
    summary
}

/// Time is attributed to the phase that spent it: a slower transport adds to `send_ms` and to
/// nothing else (the run's extra time is all in `send_ms`; read, transform and state are as fast
/// as before).
#[tokio::test(start_paused = true)]
async fn a_slow_transport_shows_up_in_send_ms() {
    let fast = phases_of(0).await;
    let slow = phases_of(400).await;
    let extra_wall = num(&slow, "wall_ms") - num(&fast, "wall_ms");
    let phase = |s: &Value, p: &str| num(&s["phases"], p);
    let extra_send = phase(&slow, "send_ms") - phase(&fast, "send_ms");
    assert!(
        extra_wall >= 400.0,
        "400 ms per request must slow the run: {extra_wall} ms"
    );
    assert!(
        (extra_send - extra_wall).abs() <= 0.01 * extra_wall,
        "the extra {extra_wall:.1} ms landed outside send_ms (send grew by {extra_send:.1} ms): \
         fast {} slow {}",
        fast["phases"],
        slow["phases"]
    );
    for p in ["read_ms", "transform_ms", "state_ms", "wait_ms"] {
        assert!(
            (phase(&slow, p) - phase(&fast, p)).abs() < 1.0,
            "{p} moved with the transport's latency: fast {} slow {}",
            fast["phases"],
            slow["phases"]
        );
    }
}

/// The fewest milliseconds per record any client could achieve (monday-perf's ceiling model) for
/// `records` records in `groups` new groups on the realistic profile, Pro plan, personal token,
/// with writes one at a time on the board (monday.com's advice, the sync's default).
fn ceiling_per_record_ms(records: usize, groups: usize) -> f64 {
    use mock_monday::config::{LimitSettings, Plan};
    use monday_perf::model::ceiling::{CeilingInputs, LatencyModel};
    use std::time::Duration;
    let limits = LimitSettings::default();
    let latency = mock_monday::latency::LatencySettings::realistic();
    let ms = |v: f64| Duration::from_secs_f64(v / 1000.0);
    CeilingInputs {
        records: records as u64,
        groups: groups as u64,
        mutation_cost: mock_monday::graphql::CostSettings::default().mutation,
        read_cost: 0,
        read_round_trips: 1,
        budget_per_window: limits.personal_budget,
        window: Duration::from_secs(limits.complexity_window_secs),
        max_complexity_per_request: limits.max_complexity_per_request,
        max_concurrency: u64::from(limits.concurrency(Plan::Pro)),
        // Serial writes (the sync's default): one write request in flight on the board.
        write_concurrency: 1,
        requests_per_minute: u64::from(limits.minute_requests(Plan::Pro)),
        latency: LatencyModel {
            base: ms(latency.base_median_ms),
            per_mutation: ms(latency.per_mutation_field_ms),
        },
        batch_only_records: 0,
    }
    .ceiling()
    .ceiling_per_record_ms
}

/// Distinct non-empty customers of the records: the groups the sync creates (one per customer).
fn customers(records: &[serde_json::Map<String, Value>]) -> usize {
    records
        .iter()
        .filter_map(|r| r.get("customer").and_then(Value::as_str))
        .filter(|c| !c.is_empty())
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

/// 50, 500 and 5,000 records stay under their per-record targets: 40 ms at 50 records; at 500
/// and 5,000 records the complexity budget sets the ceiling and the sync stays within 5% of it.
#[tokio::test(start_paused = true)]
async fn scale_50_500_5000_stays_within_targets() {
    let (batch, concurrency) = example_settings();
    for n in [50usize, 500, 5_000] {
        let sim = simulator("realistic", 42);
        let transport = SimTransport::new(sim.clone());
        let records = orders(n, 42, 0.3);
        let groups = customers(&records);
        let summary = run_engine(
            transport.clone(),
            example_config("batch", batch, concurrency),
            records,
        )
        .await;
        assert_eq!(
            num(&summary, "failed") as usize,
            0,
            "{n}: {}",
            brief(&summary)
        );
        assert_eq!(board_count(&sim), n, "{n}: items on the board");
        let per_record = num(&summary, "per_record_ms");
        let ceiling = ceiling_per_record_ms(n, groups);
        println!("scale {n}: {per_record:.2} ms/record (budget ceiling {ceiling:.2})");
        if n == 50 {
            // Three round trips (board read, groups, one create request): latency-bound; at least
            // 0.9 of the serial ceiling.
            assert!(
                per_record > 0.0 && per_record <= ceiling / 0.9,
                "50 records: {per_record:.2} ms/record vs serial ceiling {ceiling:.2}"
            );
        } else {
            // 5,000 records: within 5% of the ceiling (the gate's target); 500 records: within 10%
            // (two budget windows, so the fixed latency of the last window weighs more).
            let slack = if n == 5_000 { 1.05 } else { 1.10 };
            assert!(
                per_record <= ceiling * slack,
                "{n} records: {per_record:.2} ms/record vs ceiling {ceiling:.2} (allowed x{slack})"
            );
            let throttled = transport.by_status().get(&Some(429)).copied().unwrap_or(0);
            let attempts = transport.attempts().len();
            assert!(
                throttled * 100 <= attempts,
                "{n} records: {throttled} of {attempts} requests throttled (>= 1%)"
            );
        }
    }
}
