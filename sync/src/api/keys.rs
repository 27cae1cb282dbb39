//! Idempotency keys: a run's identity and the `Idempotency-Key` of each logical request
//! (<https://developer.monday.com/api-reference/docs/idempotency>).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fasthash::Hasher128;

/// A fresh run id: derived from `seed` plus what makes this run unique (wall-clock start time in
/// nanoseconds, process id, and a per-process counter).
pub(crate) fn fresh_run_id(seed: u64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Hasher128::new(seed);
    h.write(&nanos.to_le_bytes())
        .write_u64(u64::from(std::process::id()))
        .write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", (h.finish() >> 64) as u64)
}

/// The `Idempotency-Key` of one logical request of a run: unique per (run, scope, sequence, round,
/// body), and the same for every retry of that request (the caller keeps it across retries).
/// `scope` separates request families (`"batch"`, `"groups"`), `seq` is the batch number and
/// `round` the sub-request within the batch (each new body built for the batch gets a new round).
pub(crate) fn request_key(
    run_id: &str,
    seed: u64,
    scope: &str,
    seq: u64,
    round: u64,
    body: &[u8],
) -> String {
    let mut h = Hasher128::new(seed);
    h.write(run_id.as_bytes())
        .write(scope.as_bytes())
        .write_u64(seq)
        .write_u64(round)
        .write(body);
    format!("ms-{:032x}", h.finish())
}
