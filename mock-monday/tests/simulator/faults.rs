//! Each injected fault kind: what the client sees, whether the mutation was applied, and the
//! counters.

use std::time::Duration;

use mock_monday::config::SimConfig;
use mock_monday::{BoardLock, Delivery, DispatchOutcome, FaultConfig};

// Shared helpers for the pipeline tests (one copy for every test file).
#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

fn with_faults(spec: &str) -> mock_monday::Simulator {
    sim(SimConfig {
        faults: FaultConfig::parse(spec).expect("spec parses"),
        profile: fixed_latency(1_000.0),
        // Each fault on its own: the board write lock (default strict) would refuse the
        // overlapping writes these tests send before any fault is drawn.
        board_lock: BoardLock::Off,
        ..instant()
    })
}

fn fault_count(sim: &mock_monday::Simulator, kind: &str) -> u64 {
    sim.stats().faults_by_kind.get(kind).copied().unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_not_applied() {
    let sim = with_faults("5xx=1");
    for _ in 0..10 {
        let r = sim.handle(post(create_items(1, "x"), &[]));
        assert!([500, 502, 503].contains(&r.status), "{}", r.status);
        assert!(body(&r)["extensions"]["request_id"].is_string());
    }
    assert_eq!(items_on_board(&sim), 0);
    assert_eq!(fault_count(&sim, "5xx"), 10);
    assert_eq!(sim.stats().faults_injected_total, 10);
    assert_eq!(sim.stats().complexity_used_total, 0);
}

#[tokio::test(start_paused = true)]
async fn resets_drop_the_connection_without_applying() {
    let sim = with_faults("reset=1");
    let out = sim
        .dispatch(post(create_items(1, "x"), &[]), Duration::from_secs(30))
        .await;
    assert!(matches!(out, DispatchOutcome::Reset));
    assert_eq!(items_on_board(&sim), 0);
    let s = sim.stats();
    assert_eq!(s.resets_total, 1);
    assert_eq!(fault_count(&sim, "reset"), 1);
    assert!(s.responses_by_status.is_empty());
}

#[tokio::test(start_paused = true)]
async fn slow_responses_outlive_the_client_but_are_applied() {
    let sim = with_faults("slow=1");
    let r = sim.handle(post(create_items(1, "x"), &[]));
    assert_eq!(r.status, 200);
    assert!(r.delay >= Duration::from_secs(120));
    let out = sim
        .dispatch(post(create_items(1, "y"), &[]), Duration::from_secs(30))
        .await;
    assert!(matches!(out, DispatchOutcome::TimedOut));
    assert_eq!(items_on_board(&sim), 2);
    assert_eq!(fault_count(&sim, "slow"), 2);
}

#[tokio::test(start_paused = true)]
async fn commit_then_fail_applies_and_the_retry_replays_the_success() {
    let sim = with_faults("commit_then_fail=1");
    let key = [("idempotency-key", "k-1")];
    let failed = sim.handle(post(create_items(3, "c"), &key));
    let client_failed = failed.delivery == Delivery::Reset || failed.status == 500;
    assert!(client_failed, "client sees an error");
    assert_eq!(items_on_board(&sim), 3, "yet the mutation was applied");
    tokio::time::advance(Duration::from_secs(2)).await;
    let retry = sim.handle(post(create_items(3, "c"), &key));
    assert_eq!(retry.status, 200);
    assert_eq!(header(&retry, "idempotency-replayed"), Some("true"));
    assert!(body(&retry)["data"]["a2"]["id"].is_string());
    assert_eq!(items_on_board(&sim), 3, "no duplicate");
    assert_eq!(fault_count(&sim, "commit_then_fail"), 1);
}

#[tokio::test(start_paused = true)]
async fn commit_then_fail_every_fails_each_nth_write_after_committing_and_logs_its_identity() {
    let sim = sim(SimConfig {
        faults: FaultConfig::parse("commit_then_fail_every=2").expect("spec parses"),
        profile: fixed_latency(1_000.0),
        board_lock: BoardLock::Off,
        request_log_capacity: 100,
        ..instant()
    });
    // Reads are not writes: never failed, never counted.
    let read = sim.handle(post(gql("{ boards(ids: 1234567890) { id } }"), &[]));
    assert_eq!(read.status, 200);
    let mut client_saw_ok = Vec::new();
    for (i, name) in ["a", "b", "c", "d"].into_iter().enumerate() {
        let key = format!("k-{i}");
        let r = sim.handle(post(
            create_items(1, name),
            &[("idempotency-key", key.as_str())],
        ));
        client_saw_ok.push(r.status == 200 && r.delivery != Delivery::Reset);
        tokio::time::advance(Duration::from_secs(2)).await;
    }
    assert_eq!(client_saw_ok, [true, false, true, false], "every 2nd write");
    assert_eq!(items_on_board(&sim), 4, "each one committed");
    assert_eq!(fault_count(&sim, "commit_then_fail"), 2);
    // The same write sent again under a fresh key executes again: the log tells it by its
    // identity, not its key.
    let again = sim.handle(post(create_items(1, "b"), &[("idempotency-key", "fresh")]));
    assert_eq!(again.status, 200);
    let log = sim.request_log(0);
    let writes: Vec<_> = log.iter().filter(|e| e.write_identity.is_some()).collect();
    assert_eq!(writes.len(), 5);
    assert_eq!(log[0].write_identity, None, "the read");
    assert_eq!(writes[1].write_identity, writes[4].write_identity);
    assert_ne!(writes[1].idempotency_key, writes[4].idempotency_key);
    assert_ne!(writes[0].write_identity, writes[1].write_identity);
}

#[tokio::test(start_paused = true)]
async fn lock_423_on_concurrent_writes_to_one_board() {
    let sim = with_faults("lock=1");
    let first = sim.handle(post(create_items(1, "a"), &[]));
    assert_eq!(first.status, 200);
    let second = sim.handle(post(create_items(1, "b"), &[]));
    assert_eq!(second.status, 423);
    let b = body(&second);
    assert_eq!(
        b["errors"][0]["message"],
        "Resource is currently locked, please try again later"
    );
    // A read is never locked; after the first write completes, writes succeed again.
    assert_eq!(
        sim.handle(post(gql("{ boards(ids: 1234567890) { id } }"), &[]))
            .status,
        200
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(sim.handle(post(create_items(1, "c"), &[])).status, 200);
    assert_eq!(items_on_board(&sim), 2);
    assert_eq!(fault_count(&sim, "lock"), 1);
}

#[tokio::test(start_paused = true)]
async fn mixed_faults_are_all_counted() {
    let sim = with_faults("5xx=0.2,reset=0.2,slow=0.1,commit_then_fail=0.1");
    for i in 0..200 {
        sim.handle(post(create_items(1, &format!("m{i}")), &[]));
        tokio::time::advance(Duration::from_secs(2)).await;
    }
    let s = sim.stats();
    let by_kind: u64 = s.faults_by_kind.values().sum();
    assert_eq!(by_kind, s.faults_injected_total);
    for kind in ["5xx", "reset", "slow", "commit_then_fail"] {
        assert!(fault_count(&sim, kind) > 0, "{kind} never injected");
    }
    let delivered: u64 = s.responses_by_status.values().sum();
    assert_eq!(delivered + s.resets_total, s.requests_total);
}

#[tokio::test(start_paused = true)]
async fn storm_refuses_everything_like_the_minute_limit_until_it_ends() {
    let sim = sim(SimConfig {
        faults: FaultConfig::parse("storm=1,storm_secs=10").expect("spec parses"),
        ..instant()
    });
    // The first request starts the storm and is refused with the whole storm left.
    let first = sim.handle(post(create_items(1, "s"), &[]));
    assert_eq!(first.status, 429);
    assert_eq!(header(&first, "retry-after"), Some("10"));
    let b = body(&first);
    assert_eq!(code(&b), Some("RATE_LIMIT_EXCEEDED"));
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 10);
    assert!(b["extensions"]["request_id"].is_string());
    assert!(header(&first, "ratelimit")
        .unwrap()
        .contains("\"minuteRate\";r=0;t=10"));
    // Reads are refused too, with the time left in the storm.
    tokio::time::advance(Duration::from_millis(6_500)).await;
    let read = sim.handle(post(gql("query { complexity { after } }"), &[]));
    assert_eq!(read.status, 429);
    assert_eq!(header(&read, "retry-after"), Some("4"));
    assert_eq!(
        body(&read)["errors"][0]["extensions"]["retry_in_seconds"],
        4
    );
    // Nothing was applied and nothing charged; all three are throttled storm faults.
    assert_eq!(items_on_board(&sim), 0);
    let s = sim.stats();
    assert_eq!(s.throttled_total, 2);
    assert_eq!(s.throttled_by_kind.get("storm"), Some(&2));
    assert_eq!(fault_count(&sim, "storm"), 2);
    assert_eq!(s.faults_injected_total, 2);
    assert_eq!(s.storms_started_total, 1);
    assert_eq!(s.complexity_used_total, 0);
    assert_eq!(s.responses_by_status.get("429"), Some(&2));
}

#[tokio::test(start_paused = true)]
async fn storm_ends_after_storm_secs_and_follows_its_seed() {
    // Storms of 5 s starting with p = 0.05: a client polling once a second sees refusals in
    // runs, each run at most 5 long, and the same seed gives the same runs.
    let run = |seed: u64| async move {
        let sim = sim(SimConfig {
            faults: FaultConfig::parse("storm=0.05,storm_secs=5").expect("spec parses"),
            seed,
            ..instant()
        });
        let mut statuses = Vec::new();
        for i in 0..400 {
            statuses.push(
                sim.handle(post(create_items(1, &format!("t{i}")), &[]))
                    .status,
            );
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        (statuses, sim.stats(), items_on_board(&sim))
    };
    let (a, stats, items) = run(7).await;
    let (b, _, _) = run(7).await;
    assert_eq!(a, b, "same seed, same storms");
    let (c, _, _) = run(8).await;
    assert_ne!(a, c, "another seed, other storms");
    let refused = a.iter().filter(|s| **s == 429).count();
    assert!(stats.storms_started_total >= 3, "{stats:?}");
    assert_eq!(refused as u64, stats.faults_by_kind["storm"]);
    assert_eq!(refused as u64, stats.throttled_by_kind["storm"]);
    assert_eq!(items, 400 - refused);
    // Every run of 429s is one storm (exactly 5 polls) or storms back to back.
    let mut runs = Vec::new();
    let mut len = 0;
    for s in a.iter().chain(std::iter::once(&200)) {
        if *s == 429 {
            len += 1;
        } else if len > 0 {
            runs.push(len);
            len = 0;
        }
    }
    assert!(
        runs.iter()
            .all(|r| r % 5 == 0 || *r == *runs.last().unwrap()),
        "{runs:?}"
    );
    assert_eq!(runs.iter().sum::<usize>(), refused);
}

#[tokio::test(start_paused = true)]
async fn enabling_storms_does_not_shift_other_fault_draws() {
    // Storms draw from their own stream: the requests a storm lets through see the very 5xx
    // draws a storm-free run sees, in order.
    let statuses = |spec: &'static str| async move {
        let sim = with_faults(spec);
        let mut out = Vec::new();
        for i in 0..200 {
            out.push(
                sim.handle(post(create_items(1, &format!("d{i}")), &[]))
                    .status,
            );
            tokio::time::advance(Duration::from_secs(2)).await;
        }
        out
    };
    let without = statuses("5xx=0.3").await;
    let with = statuses("5xx=0.3,storm=0.05,storm_secs=6").await;
    let through: Vec<u16> = with.iter().copied().filter(|s| *s != 429).collect();
    assert!(through.len() < with.len(), "some storm happened");
    assert_eq!(through[..], without[..through.len()]);
    assert!(without.iter().all(|s| *s != 429));
}
