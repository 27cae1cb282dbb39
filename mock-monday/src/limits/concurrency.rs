//! Requests in flight on the simulated clock (concurrency limit and the board-lock fault).

use std::time::Duration;

/// One accepted request that has not completed yet.
#[derive(Debug, Clone)]
struct Entry {
    completes_at: Duration,
    boards_written: Vec<String>,
}

/// Requests whose `arrival + delay` lies after "now".
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    entries: Vec<Entry>,
    peak: usize,
}

impl InFlight {
    /// Drops requests completed by `now` and returns how many are still in flight.
    pub fn count(&mut self, now: Duration) -> usize {
        self.entries.retain(|e| e.completes_at > now);
        self.entries.len()
    }

    /// Admits a request at `now` when fewer than `limit` are in flight; otherwise returns when the
    /// earliest in-flight request completes (the retry hint).
    pub fn admit(&mut self, now: Duration, limit: usize) -> Result<(), Duration> {
        if self.count(now) >= limit {
            return Err(self.next_completion().unwrap_or(now));
        }
        Ok(())
    }

    /// Whether a request still in flight at `now` writes any of `boards`.
    pub fn writes_any(&mut self, now: Duration, boards: &[String]) -> bool {
        self.count(now);
        !boards.is_empty()
            && self
                .entries
                .iter()
                .any(|e| e.boards_written.iter().any(|b| boards.contains(b)))
    }

    /// When the last in-flight request writing any of `boards` completes (None: no such
    /// request; the board lock is free).
    pub fn write_held_until(&mut self, now: Duration, boards: &[String]) -> Option<Duration> {
        self.count(now);
        self.entries
            .iter()
            .filter(|e| e.boards_written.iter().any(|b| boards.contains(b)))
            .map(|e| e.completes_at)
            .max()
    }

    /// Records an accepted request completing at `completes_at` (ignored if already complete).
    pub fn add(&mut self, now: Duration, completes_at: Duration, boards_written: Vec<String>) {
        self.count(now);
        if completes_at > now {
            self.entries.push(Entry {
                completes_at,
                boards_written,
            });
            self.peak = self.peak.max(self.entries.len());
        }
    }

    /// When the earliest in-flight request completes.
    pub fn next_completion(&self) -> Option<Duration> {
        self.entries.iter().map(|e| e.completes_at).min()
    }

    /// The most requests ever in flight at once.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_until_completion_and_tracks_boards() {
        let ms = Duration::from_millis;
        let mut f = InFlight::default();
        f.add(ms(0), ms(100), vec!["1".into()]);
        f.add(ms(10), ms(50), vec![]);
        assert_eq!(f.count(ms(20)), 2);
        assert!(f.writes_any(ms(20), &["1".into()]));
        assert!(!f.writes_any(ms(20), &["2".into()]));
        assert_eq!(f.count(ms(50)), 1);
        assert_eq!(f.count(ms(100)), 0);
        assert!(!f.writes_any(ms(100), &["1".into()]));
        assert_eq!(f.peak(), 2);
    }

    #[test]
    fn admits_below_the_limit_and_names_the_next_completion() {
        let ms = Duration::from_millis;
        let mut f = InFlight::default();
        f.add(ms(0), ms(100), vec![]);
        f.add(ms(0), ms(60), vec![]);
        assert_eq!(f.admit(ms(10), 2), Err(ms(60)));
        assert_eq!(f.admit(ms(10), 3), Ok(()));
        assert_eq!(f.admit(ms(60), 2), Ok(()));
    }
}
