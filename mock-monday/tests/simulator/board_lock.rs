//! Board write locks (HTTP 423) and the request log that records them, in-process on a paused
//! clock: which writes are refused, what the client is told, and that nothing refused executes.

use std::time::Duration;

use mock_monday::config::SimConfig;
use mock_monday::{BoardLock, RequestKind};

#[allow(dead_code)]
use crate::pipeline_support as h;
use h::*;

/// Every executed request takes 1 s; the request log keeps 100 entries.
fn locked_sim(lock: BoardLock) -> mock_monday::Simulator {
    sim(SimConfig {
        profile: fixed_latency(1_000.0),
        board_lock: lock,
        request_log_capacity: 100,
        ..instant()
    })
}

#[tokio::test(start_paused = true)]
async fn strict_refuses_a_write_overlapping_an_in_flight_write() {
    let sim = locked_sim(BoardLock::Strict);
    let first = sim.handle(post(create_items(2, "a"), &[]));
    assert_eq!(first.status, 200);
    tokio::time::advance(Duration::from_millis(300)).await;
    let second = sim.handle(post(create_items(2, "b"), &[("idempotency-key", "k2")]));
    assert_eq!(second.status, 423);
    let b = body(&second);
    assert_eq!(
        b["errors"][0]["message"],
        "Resource is currently locked, please try again later"
    );
    assert_eq!(code(&b), Some("RESOURCE_LOCKED"));
    // 700 ms left on the holder: Retry-After rounds up to 1 s.
    assert_eq!(header(&second, "retry-after"), Some("1"));
    assert_eq!(b["errors"][0]["extensions"]["retry_in_seconds"], 1);
    assert_eq!(
        items_on_board(&sim),
        2,
        "the refused write executed nothing"
    );
    // Reads are never locked.
    let read = sim.handle(post(gql("{ boards(ids: 1234567890) { id } }"), &[]));
    assert_eq!(read.status, 200);
    // Once the holder completes, the same request (same key) goes through.
    tokio::time::advance(Duration::from_millis(700)).await;
    let retry = sim.handle(post(create_items(2, "b"), &[("idempotency-key", "k2")]));
    assert_eq!(retry.status, 200);
    assert_eq!(items_on_board(&sim), 4);
    let s = sim.stats();
    assert_eq!(s.locked_total, 1);
    assert_eq!(s.faults_injected_total, 0, "a lock is not a fault");

    let log = sim.request_log(0);
    assert_eq!(log.len(), 4);
    assert!(!log[0].locked && log[1].locked && !log[3].locked);
    assert_eq!(log[1].status, Some(423));
    assert_eq!(log[1].complexity, 0);
    assert_eq!(log[1].idempotency_key.as_deref(), Some("k2"));
    assert_eq!(log[1].body_hash, log[3].body_hash, "the same body again");
    assert_eq!((log[0].kind, log[0].aliases), (RequestKind::Create, 2));
    assert_eq!(log[0].root_fields[0], "complexity");
    assert_eq!(log[0].boards, ["1234567890"]);
    assert_eq!((log[0].items_created, log[3].items_created), (2, 2));
    assert_eq!(log[2].kind, RequestKind::BoardRead);
    let charged: u64 = log.iter().map(|e| e.complexity).sum();
    assert_eq!(charged, s.complexity_used_total);
    // 30,000 per create_item plus the few points of the `complexity` field.
    let writes = log[0].complexity + log[3].complexity;
    assert!((4 * 30_000..4 * 30_000 + 100).contains(&writes), "{writes}");
    assert_eq!((log[1].t_ms, log[0].latency_ms), (300.0, 1_000.0));
}

#[tokio::test(start_paused = true)]
async fn a_refused_write_holds_no_lock_and_off_lets_overlaps_through() {
    let sim = locked_sim(BoardLock::Strict);
    sim.handle(post(create_items(1, "a"), &[]));
    tokio::time::advance(Duration::from_millis(900)).await;
    assert_eq!(sim.handle(post(create_items(1, "b"), &[])).status, 423);
    // The refusal took no simulated time and holds nothing: at 1 s the board is free.
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(sim.handle(post(create_items(1, "c"), &[])).status, 200);

    let off = locked_sim(BoardLock::Off);
    for i in 0..3 {
        let r = off.handle(post(create_items(1, &format!("o{i}")), &[]));
        assert_eq!(r.status, 200);
    }
    assert_eq!(items_on_board(&off), 3);
    assert_eq!(off.stats().locked_total, 0);
}

#[tokio::test(start_paused = true)]
async fn a_probability_refuses_some_overlaps_deterministically() {
    let run = || {
        let sim = locked_sim(BoardLock::Probability(0.5));
        sim.handle(post(create_items(1, "holder"), &[]));
        let statuses: Vec<u16> = (0..200)
            .map(|i| {
                sim.handle(post(create_items(1, &format!("p{i}")), &[]))
                    .status
            })
            .collect();
        (statuses, sim.stats().locked_total)
    };
    let (statuses, locked) = run();
    assert!((70..130).contains(&locked), "{locked} of 200 refused");
    assert_eq!(
        statuses.iter().filter(|s| **s == 423).count() as u64,
        locked
    );
    assert_eq!(run().0, statuses, "same seed, same refusals");
}

#[tokio::test(start_paused = true)]
async fn the_request_log_tails_and_resets() {
    let sim = locked_sim(BoardLock::Strict);
    for i in 0..5 {
        sim.handle(post(create_items(1, &format!("t{i}")), &[]));
        tokio::time::advance(Duration::from_secs(2)).await;
    }
    let tail: Vec<u64> = sim.request_log(3).iter().map(|e| e.seq).collect();
    assert_eq!(tail, [3, 4]);
    let text = String::from_utf8(sim.request_log_ndjson(0)).unwrap();
    assert_eq!(text.lines().count(), 5);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "t_ms",
            "kind",
            "aliases",
            "request_bytes",
            "status",
            "latency_ms",
            "complexity",
            "throttled",
            "locked",
            "root_fields",
            "boards",
            "idempotency_key",
            "replay",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }
    sim.reset();
    assert!(sim.request_log(0).is_empty());
    // Off by default in the library.
    let quiet = sim_default_log();
    quiet.handle(post(create_items(1, "q"), &[]));
    assert!(quiet.request_log(0).is_empty());
}

fn sim_default_log() -> mock_monday::Simulator {
    sim(instant())
}
