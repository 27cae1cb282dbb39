//! How many more items the board can take: monday.com caps a board at 10,000 items and refuses
//! more with `ItemsLimitationException`. The engine reads the board's `items_count` up front and
//! admits creates only while they fit; the first `ItemsLimitationException` marks the board full.
//! Records that cannot be placed fail with [`crate::mapping::transform::FailureCause::BoardFull`].

/// Items one monday.com board holds (docs/monday-api.md §1.7 (error table), `ItemsLimitationException`).
pub(crate) const BOARD_ITEM_CAP: u64 = 10_000;

/// The board's room for new items, as far as this run knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Capacity {
    cap: u64,
    /// Items on the board: the count read up front plus what this run created since.
    on_board: Option<u64>,
    /// Creates sent and not answered yet (counted as placed until they are).
    in_flight: u64,
    /// The API said the board is full.
    full: bool,
}

impl Capacity {
    /// `on_board`: the board's item count when the run started, if known.
    pub(crate) fn new(cap: u64, on_board: Option<u64>) -> Self {
        Capacity {
            cap,
            on_board,
            in_flight: 0,
            full: false,
        }
    }

    /// Room left now (None = unknown: no count was read and the API has not refused).
    pub(crate) fn room(&self) -> Option<u64> {
        if self.full {
            return Some(0);
        }
        self.on_board
            .map(|n| self.cap.saturating_sub(n + self.in_flight))
    }

    /// Whether `wanted` creates fit without waiting for answers.
    pub(crate) fn fits(&self, wanted: usize) -> bool {
        self.room().is_none_or(|r| r >= wanted as u64)
    }

    /// Of `wanted` creates, how many may be sent now; those are counted in flight.
    pub(crate) fn admit(&mut self, wanted: usize) -> usize {
        let n = match self.room() {
            Some(r) => (wanted as u64).min(r) as usize,
            None => wanted,
        };
        self.in_flight += n as u64;
        n
    }

    /// Admit as many of `items` as fit now (counted in flight, in order); returns the rest.
    pub(crate) fn admit_items<T>(&mut self, items: &mut Vec<T>) -> Vec<T> {
        let n = self.admit(items.len());
        items.split_off(n)
    }

    /// A batch of `sent` admitted creates was answered; `created` of them are on the board.
    pub(crate) fn settle(&mut self, sent: usize, created: usize) {
        self.in_flight = self.in_flight.saturating_sub(sent as u64);
        if let Some(n) = &mut self.on_board {
            *n += created as u64;
        }
    }

    /// A create job was answered: `sent` admitted creates, `created` of them on the board,
    /// `refused`: the API said the board is full. Returns whether this answer is what filled
    /// the board (its room was not known to be zero before).
    pub(crate) fn answered(&mut self, sent: usize, created: usize, refused: bool) -> bool {
        self.settle(sent, created);
        if refused && !self.is_full() {
            self.mark_full();
            return true;
        }
        false
    }

    /// The API refused a create with `ItemsLimitationException`.
    pub(crate) fn mark_full(&mut self) {
        self.full = true;
    }

    /// Whether the board can take nothing more.
    pub(crate) fn is_full(&self) -> bool {
        self.room() == Some(0)
    }

    /// The reason given to records that were not sent because the board is full.
    pub(crate) fn reason(&self) -> String {
        format!(
            "not sent: the board is full (it holds at most {} items; ItemsLimitationException); free space on the board or sync into another board, then rerun",
            self.cap
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_what_fits_and_counts_in_flight() {
        let mut c = Capacity::new(100, Some(90));
        assert!(c.fits(10) && !c.fits(11));
        assert_eq!(c.admit(6), 6);
        assert_eq!(c.room(), Some(4));
        assert_eq!(c.admit(25), 4);
        assert!(c.is_full());
        // One create of the first batch was rejected for another reason: room again.
        c.settle(6, 5);
        assert_eq!(c.room(), Some(1));
        c.settle(4, 4);
        assert_eq!(c.room(), Some(1));
        assert_eq!(c.admit(3), 1);
    }

    #[test]
    fn admit_items_keeps_the_first_that_fit_and_returns_the_rest() {
        let mut c = Capacity::new(10, Some(7));
        let mut items = vec![1, 2, 3, 4, 5];
        assert_eq!(c.admit_items(&mut items), [4, 5]);
        assert_eq!(items, [1, 2, 3]);
        assert!(c.is_full());
        let mut more = vec![6];
        assert_eq!(c.admit_items(&mut more), [6]);
        assert!(more.is_empty());
    }

    #[test]
    fn a_refusal_fills_the_board_once() {
        let mut c = Capacity::new(BOARD_ITEM_CAP, None);
        assert_eq!(c.admit(10), 10);
        assert!(!c.answered(5, 5, false));
        assert_eq!(c.room(), None);
        assert!(c.answered(5, 2, true));
        assert!(c.is_full());
        // Known full already: a later refusal is not news.
        assert!(!c.answered(0, 0, true));
        // Counted full (no refusal needed): a refusal is not news either.
        let mut counted = Capacity::new(10, Some(10));
        assert!(!counted.answered(0, 0, true));
    }

    #[test]
    fn unknown_count_admits_until_the_api_refuses() {
        let mut c = Capacity::new(BOARD_ITEM_CAP, None);
        assert_eq!(c.admit(500), 500);
        assert!(c.fits(1_000_000));
        c.mark_full();
        assert_eq!(c.admit(5), 0);
        assert!(c.is_full());
        assert!(c.reason().contains("10000"));
    }
}
