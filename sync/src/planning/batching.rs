//! Batch size: how many records go in one request, decided here and nowhere else.
//!
//! [`batch_size`] picks the records per request from the settings and the limits (mode, the
//! per-request complexity cap, the request timeout under the expected latency per mutation);
//! [`window_size`] how many creates are collected before they are sent; [`next_chunk`] how much
//! of a batch one body carries given the budget the pacer knows; [`split`] the cut after a
//! request was over the per-request cap; [`balanced_batch_sizes`] and [`group_chunk_sizes`] how a
//! window and a round of new groups are cut into requests.
//!
//! The coordinator collects up to `batch_size x concurrency` creates (a *window*) before sending, so
//! that the groups the window needs are created in one round (their requests in parallel) before
//! the window's batches go out together. A window of `n` records is always `ceil(n / batch_size)`
//! requests (so a run of N records costs `ceil(N / batch_size)` create requests), with the records
//! spread evenly over them: 60 records at batch 25 go as 20 + 20 + 20, not 25 + 25 + 10.
//!
//! The tests below pin every decision: `cargo mutants --in-place -p monday-sync -f
//! sync/src/planning/batching.rs --timeout 120 -C --lib` judged 57 mutants, 57 caught, 0
//! unviable, 0 timed out and none missed, so no equivalent mutant is left to name.

use crate::mapping::config::{Mode, SyncSettings, MAX_REQUEST_COMPLEXITY};

/// Records per request: 1 in single mode; an explicit `batch_size` within the caps of
/// [`max_per_request`]; unset, chosen from the run: with `records` (known or estimated) the
/// fewest requests the caps allow, the records spread evenly over them (50 records: one
/// request; 500 at a cap of 150: 4 x 125), else the cap itself.
pub fn batch_size(s: &SyncSettings, records: Option<usize>) -> usize {
    if s.mode == Mode::Single {
        return 1;
    }
    let max = max_per_request(s);
    match (s.batch_size, records) {
        (Some(b), _) => b.clamp(1, max),
        (None, Some(n)) if n > 0 => n.div_ceil(n.div_ceil(max)),
        (None, _) => max,
    }
}

/// The most records one request may carry: the per-request complexity cap, and the expected
/// latency (`expected_ms_per_mutation`) within half the request timeout.
pub(crate) fn max_per_request(s: &SyncSettings) -> usize {
    let by_complexity = (MAX_REQUEST_COMPLEXITY / s.mutation_complexity.max(1)).max(1) as usize;
    let by_latency =
        ((s.request_timeout_ms / 2) / s.expected_ms_per_mutation.max(1)).max(1) as usize;
    by_complexity.min(by_latency)
}

/// Creates collected before a window is sent: one batch per sender.
pub(crate) fn window_size(batch_size: usize, concurrency: usize) -> usize {
    batch_size * concurrency.max(1)
}

/// Batches of writes a run keeps cut and queued at once: the `write_concurrency` in flight plus
/// one ready to go the moment a write turn frees up (never more than `concurrency` senders).
/// More would not send any sooner (writes to a board go `write_concurrency` at a time); it would
/// only hold records between being read and being sent, marked pending, for longer.
pub(crate) fn write_lanes(s: &SyncSettings) -> usize {
    s.concurrency
        .min(s.write_concurrency.saturating_add(1))
        .max(1)
}

/// Batches are cut to fit the budget left only when fewer than this many fit in one window.
const SPLIT_BELOW_BATCHES_PER_WINDOW: u64 = 10;

/// The next body of a batch: `(cap, take)`, the batch's new per-body cap and the records the body
/// carries now. `cap` shrinks to what one budget window can ever afford (`limit / unit_cost`).
/// When one batch is a large share of the budget (over a tenth: e.g. 25 creates = 750k of a 1M
/// trial budget), holding it for the reset would leave most of each window unused, so the part
/// the budget affords now (`affordable` units) goes; with a large budget batches stay whole, and
/// a run costs exactly ceil(N / batch_size) create requests.
pub(crate) fn next_chunk(
    left: usize,
    cap: usize,
    unit_cost: u64,
    limit: Option<u64>,
    affordable: Option<u64>,
) -> (usize, usize) {
    let per = unit_cost.max(1);
    let cap = match limit {
        Some(limit) => cap.min((limit / per).max(1) as usize),
        None => cap,
    }
    .max(1);
    let batch_cost = cap as u64 * per;
    let small_budget =
        limit.is_some_and(|l| l < batch_cost.saturating_mul(SPLIT_BELOW_BATCHES_PER_WINDOW));
    let take = match affordable {
        Some(fit) if fit >= 1 && small_budget => cap.min(fit as usize),
        _ => cap,
    };
    (cap, take.clamp(1, left.max(1)))
}

/// The per-body cap after a body of `len` records was over the per-request complexity cap.
pub(crate) fn split(len: usize) -> usize {
    (len / 2).max(1)
}

/// Sizes of the batches for `n` ready records: `ceil(n / batch_size)` batches, as equal as possible
/// (larger ones first), each at most `batch_size`.
pub(crate) fn balanced_batch_sizes(n: usize, batch_size: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let k = n.div_ceil(batch_size.max(1));
    let (base, extra) = (n / k, n % k);
    (0..k).map(|i| base + usize::from(i < extra)).collect()
}

/// The cut for groups to create: up to `per_request` titles share one request; more are spread
/// over up to `lanes` requests (the write requests that may be in flight at once: with serial
/// writes, one request), each at most `max` titles (the per-request complexity cap).
pub(crate) fn group_chunk_sizes(
    n: usize,
    per_request: usize,
    lanes: usize,
    max: usize,
) -> Vec<usize> {
    let cap = per_request
        .max(1)
        .max(n.div_ceil(lanes.max(1)))
        .min(max.max(1));
    balanced_batch_sizes(n, cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn batch_caps() {
        let mut s = SyncSettings {
            batch_size: Some(1000),
            ..Default::default()
        };
        assert_eq!(batch_size(&s, Some(50)), 150); // 30 s / 200 ms
        s.expected_ms_per_mutation = 1;
        assert_eq!(batch_size(&s, None), 166); // 5M / 30k
        s.batch_size = Some(25);
        assert_eq!(batch_size(&s, Some(50)), 25); // explicit: honoured
        s.mode = Mode::Single;
        assert_eq!(batch_size(&s, Some(50)), 1);
    }

    #[test]
    fn unset_batch_size_is_chosen_from_the_run() {
        let s = SyncSettings::default();
        assert_eq!(s.batch_size, None);
        assert_eq!(max_per_request(&s), 150);
        // Small runs are one request.
        assert_eq!(batch_size(&s, Some(1)), 1);
        assert_eq!(batch_size(&s, Some(50)), 50);
        assert_eq!(batch_size(&s, Some(150)), 150);
        // Larger runs: the fewest requests, evenly filled.
        assert_eq!(batch_size(&s, Some(151)), 76);
        assert_eq!(batch_size(&s, Some(500)), 125);
        assert_eq!(batch_size(&s, Some(5_000)), 148);
        // Unknown size: the cap.
        assert_eq!(batch_size(&s, None), 150);
        // A short timeout or a slow API lowers the cap.
        let slow = SyncSettings {
            request_timeout_ms: 10_000,
            ..SyncSettings::default()
        };
        assert_eq!(batch_size(&slow, Some(50)), 25);
    }

    #[test]
    fn chunks_fit_a_small_budget_and_stay_whole_under_a_large_one() {
        // Budget unknown: the whole batch.
        assert_eq!(next_chunk(25, 25, 30_000, None, None), (25, 25));
        // 10M budget: 25 x 30k = 750k is small, batches stay whole even when 5 fit.
        assert_eq!(
            next_chunk(25, 25, 30_000, Some(10_000_000), Some(5)),
            (25, 25)
        );
        // 1M trial budget: 25 creates are 75% of it; send the 10 that fit now.
        assert_eq!(
            next_chunk(25, 25, 30_000, Some(1_000_000), Some(10)),
            (25, 10)
        );
        // A budget below one batch caps the batch for good.
        assert_eq!(next_chunk(40, 40, 30_000, Some(600_000), None), (20, 20));
        // Never more than what is left, never zero.
        assert_eq!(next_chunk(3, 25, 30_000, None, None), (25, 3));
        assert_eq!(next_chunk(5, 25, 30_000, Some(1_000_000), Some(0)), (25, 5));
        assert_eq!(split(25), 12);
        assert_eq!(split(1), 1);
    }

    /// The edges of `next_chunk` and `batch_size`, one row each: (left, cap, unit cost, limit,
    /// affordable) -> (cap, take).
    #[test]
    fn the_edges_of_a_chunk() {
        type Row = (
            &'static str,
            (usize, usize, u64, Option<u64>, Option<u64>),
            (usize, usize),
        );
        let rows: [Row; 7] = [
            (
                "a budget of exactly ten batches is large: whole",
                (25, 25, 30_000, Some(7_500_000), Some(1)),
                (25, 25),
            ),
            (
                "one unit under ten batches is small: what fits goes",
                (25, 25, 30_000, Some(7_499_999), Some(1)),
                (25, 1),
            ),
            (
                "small, one unit affordable: one record",
                (25, 25, 30_000, Some(1_000_000), Some(1)),
                (25, 1),
            ),
            (
                "small, more affordable than the cap: the cap",
                (25, 25, 30_000, Some(1_000_000), Some(40)),
                (25, 25),
            ),
            (
                "a budget below one unit still sends one",
                (5, 25, 30_000, Some(10_000), Some(0)),
                (1, 1),
            ),
            (
                "a free unit counts as cost 1",
                (25, 25, 0, Some(100), Some(7)),
                (25, 7),
            ),
            (
                "nothing left: at least one",
                (0, 25, 30_000, None, None),
                (25, 1),
            ),
        ];
        for (what, (left, cap, unit, limit, fit), want) in rows {
            assert_eq!(next_chunk(left, cap, unit, limit, fit), want, "{what}");
        }
        // A run of zero records (known) gets the cap, as an unknown one does.
        let s = SyncSettings::default();
        assert_eq!(batch_size(&s, Some(0)), max_per_request(&s));
        // Caps from settings of zero: one record per request at least, never a division by zero.
        let zero = SyncSettings {
            mutation_complexity: 0,
            expected_ms_per_mutation: 0,
            request_timeout_ms: 0,
            ..SyncSettings::default()
        };
        assert_eq!(max_per_request(&zero), 1);
        let huge = SyncSettings {
            mutation_complexity: MAX_REQUEST_COMPLEXITY + 1,
            ..SyncSettings::default()
        };
        assert_eq!(max_per_request(&huge), 1);
        assert_eq!(window_size(25, 4), 100);
        assert_eq!(window_size(25, 0), 25);
    }

    #[test]
    fn one_batch_waits_behind_each_write_in_flight() {
        let mut s = SyncSettings::default();
        assert_eq!((s.concurrency, s.write_concurrency), (4, 1));
        assert_eq!(write_lanes(&s), 2);
        s.write_concurrency = 4;
        assert_eq!(write_lanes(&s), 4);
        s.concurrency = 1;
        assert_eq!(write_lanes(&s), 1);
    }

    #[test]
    fn full_windows_are_full_batches() {
        assert_eq!(balanced_batch_sizes(100, 25), vec![25; 4]);
        assert_eq!(balanced_batch_sizes(200, 25), vec![25; 8]);
    }

    #[test]
    fn short_windows_are_evened_out() {
        assert_eq!(balanced_batch_sizes(60, 25), vec![20, 20, 20]);
        assert_eq!(balanced_batch_sizes(3, 25), vec![3]);
        assert_eq!(balanced_batch_sizes(0, 25), Vec::<usize>::new());
        assert_eq!(balanced_batch_sizes(7, 1), vec![1; 7]);
    }

    #[test]
    fn groups_are_created_in_few_requests() {
        assert_eq!(group_chunk_sizes(1, 5, 4, 166), vec![1]);
        assert_eq!(group_chunk_sizes(4, 5, 4, 166), vec![4]);
        assert_eq!(group_chunk_sizes(40, 5, 4, 166), vec![10; 4]);
        assert_eq!(group_chunk_sizes(17, 5, 4, 166), vec![5, 4, 4, 4]);
        // Serial writes: one request, within the per-request cap.
        assert_eq!(group_chunk_sizes(17, 5, 1, 166), vec![17]);
        assert_eq!(group_chunk_sizes(200, 5, 1, 166), vec![100, 100]);
    }

    proptest! {
        #[test]
        fn chosen_batches_are_the_fewest_requests_within_the_caps(
            n in 1usize..20_000, timeout in 1_000u64..120_000, ms in 1u64..500,
        ) {
            let s = SyncSettings { request_timeout_ms: timeout, expected_ms_per_mutation: ms, ..SyncSettings::default() };
            let max = max_per_request(&s);
            let b = batch_size(&s, Some(n));
            prop_assert!(b >= 1 && b <= max);
            prop_assert!(b as u64 * s.mutation_complexity <= MAX_REQUEST_COMPLEXITY);
            prop_assert_eq!(n.div_ceil(b), n.div_ceil(max));
        }

        #[test]
        fn every_record_in_exactly_one_batch_within_the_cap(
            n in 0usize..2_000, batch in 1usize..200,
        ) {
            let sizes = balanced_batch_sizes(n, batch);
            prop_assert_eq!(sizes.iter().sum::<usize>(), n);
            prop_assert!(sizes.iter().all(|&s| s >= 1 && s <= batch));
            prop_assert_eq!(sizes.len(), n.div_ceil(batch));
            if let (Some(max), Some(min)) = (sizes.iter().max(), sizes.iter().min()) {
                prop_assert!(max - min <= 1);
            }
        }
    }
}
