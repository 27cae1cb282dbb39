//! The progress in words: durations, countdowns, what a wait is, and a [`Frame`]'s line.

use std::time::Duration;

use super::{Doing, Frame};
use crate::observer::WaitReason;

/// `1h 02m 03s`, `4m 05s`, `45s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s:02}s"),
        (h, m, s) => format!("{h}h {m:02}m {s:02}s"),
    }
}

/// Whole seconds left, rounded up (a countdown shows 1 s until it is over).
fn countdown(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// What a wait is, in words, with its countdown.
pub(crate) fn describe_wait(reason: WaitReason, left: Duration) -> String {
    let n = countdown(left);
    match reason {
        WaitReason::Budget => format!("waiting {n}s for the complexity budget to reset"),
        WaitReason::RateLimited => format!("rate limited (429): retrying in {n}s"),
        WaitReason::Locked => format!("board locked: retrying in {n}s"),
        WaitReason::Retry => format!("retrying after an error in {n}s"),
    }
}

impl Frame {
    /// Bar position and length: records, or bytes for inputs too large to pre-scan.
    pub(crate) fn position(&self) -> (u64, Option<u64>) {
        match self.bytes {
            Some((read, total)) => (read, Some(total)),
            None => (self.done + self.failed, self.total),
        }
    }

    /// What the sync is doing, in words.
    pub(crate) fn doing_text(&self) -> String {
        match self.doing {
            Doing::Preparing => "preparing records".into(),
            Doing::Sending {
                in_flight,
                also_waiting,
            } => {
                let s = if in_flight == 1 { "" } else { "s" };
                let mut t = format!("sending ({in_flight} request{s} in flight)");
                if let Some((r, left)) = also_waiting {
                    t.push_str("; ");
                    t.push_str(&describe_wait(r, left));
                }
                t
            }
            Doing::Waiting { reason, left } => describe_wait(reason, left),
            Doing::Done => "done".into(),
        }
    }

    /// The status line: counts, rate, ETA, elapsed, what the sync is doing.
    pub(crate) fn text(&self) -> String {
        let mut t = match (self.total, self.bytes) {
            (Some(total), None) => format!("{}/{} records", self.done, total),
            (total, Some((read, size))) => format!(
                "{} records{} ({:.1} of {:.1} MB read)",
                self.done,
                total.map(|t| format!(" of ~{t}")).unwrap_or_default(),
                read as f64 / 1e6,
                size as f64 / 1e6
            ),
            (None, None) => format!("{} records", self.done),
        };
        if self.failed > 0 {
            t.push_str(&format!(", {} failed", self.failed));
        }
        // One unit throughout: a run's rate changes by orders of magnitude between a burst and a
        // budget wait, and a unit that flips with it reads as a jump.
        t.push_str(&format!("  {:.0}/min", self.per_minute));
        match self.eta {
            Some(eta) => t.push_str(&format!("  ETA {}", fmt_duration(eta))),
            None => t.push_str("  ETA --"),
        }
        t.push_str(&format!("  elapsed {}", fmt_duration(self.elapsed)));
        t.push_str("  ");
        t.push_str(&self.doing_text());
        if let Some(job) = &self.job {
            t.push_str("  | ");
            t.push_str(&job.text());
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(secs(45)), "45s");
        assert_eq!(fmt_duration(secs(358)), "5m 58s");
        assert_eq!(fmt_duration(secs(3723)), "1h 02m 03s");
        assert_eq!(countdown(Duration::from_millis(44_001)), 45);
        assert_eq!(countdown(secs(44)), 44);
    }
}
