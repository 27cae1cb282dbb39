//! How a window of ready records is cut into requests.
//!
//! The coordinator collects up to `batch_size x concurrency` creates (a *window*) before sending, so
//! that the groups the window needs are created in one round (their requests in parallel) before
//! the window's batches go out together. A window of `n` records is always `ceil(n / batch_size)`
//! requests (so a run of N records costs `ceil(N / batch_size)` create requests), with the records
//! spread evenly over them: 60 records at batch 25 go as 20 + 20 + 20, not 25 + 25 + 10.

/// Sizes of the batches for `n` ready records: `ceil(n / batch_size)` batches, as equal as possible
/// (larger ones first), each at most `batch_size`.
pub fn balanced_batch_sizes(n: usize, batch_size: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let k = n.div_ceil(batch_size.max(1));
    let (base, extra) = (n / k, n % k);
    (0..k).map(|i| base + usize::from(i < extra)).collect()
}

/// The cut for groups to create: up to `per_request` titles share one request; more are spread
/// over up to `concurrency` requests (larger ones once every slot is used).
pub fn group_chunk_sizes(n: usize, per_request: usize, concurrency: usize) -> Vec<usize> {
    let cap = per_request.max(1).max(n.div_ceil(concurrency.max(1)));
    balanced_batch_sizes(n, cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        assert_eq!(group_chunk_sizes(1, 5, 4), vec![1]);
        assert_eq!(group_chunk_sizes(4, 5, 4), vec![4]);
        assert_eq!(group_chunk_sizes(40, 5, 4), vec![10; 4]);
        assert_eq!(group_chunk_sizes(17, 5, 4), vec![5, 4, 4, 4]);
    }

    proptest! {
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
