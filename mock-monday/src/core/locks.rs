//! Stage 14, board write locks (`SimConfig::board_lock`, see [`crate::limits::board_lock`]): a
//! 423 with `Retry-After` when a write overlaps an executed write to the same board that is
//! still in flight.

use std::ops::ControlFlow::{Break, Continue};
use std::time::Duration;

use super::answer::Stage;
use super::state::{Ctx, State};
use super::Simulator;
use crate::envelope::{self, RequestError};
use crate::limits::board_lock::{LOCKED_CODE, LOCKED_MESSAGE};

impl Simulator {
    /// Refuses a write to `boards` while another write to one of them is in flight.
    pub(super) fn lock_boards(&self, st: &mut State, ctx: &mut Ctx, boards: &[String]) -> Stage {
        let Some(retry) = self.config.board_lock.refuses_write(
            ctx.now,
            boards,
            &mut st.in_flight,
            &mut st.rng_locks,
        ) else {
            return self.lock_for_jobs(st, ctx, boards);
        };
        // Whole simulated seconds, reported as `SimConfig::report_durations` says.
        let retry = self.reported_secs(Duration::from_secs(retry));
        st.stats.locked_total += 1;
        ctx.facts.locked = true;
        let e = RequestError::new(423, LOCKED_CODE, LOCKED_MESSAGE).retry_in(retry);
        Break(
            self.refused(st, 423, envelope::request_error(ctx.style, &e))
                .header("retry-after", retry.to_string()),
        )
    }
}

impl Simulator {
    /// While a bulk-import job processes rows of a board, other item writes to it get a 423
    /// with `Retry-After` until the job ends (`SimConfig::bulk.lock_board_during_job`; starting
    /// another job is not such a write: jobs wait for each other, see [`crate::jobs`]).
    fn lock_for_jobs(&self, st: &mut State, ctx: &mut Ctx, boards: &[String]) -> Stage {
        if !self.config.bulk.lock_board_during_job || boards.is_empty() || !st.jobs.has_work() {
            return Continue(());
        }
        let only_jobs = ctx
            .facts
            .root_fields
            .iter()
            .all(|f| crate::jobs::BULK_FIELDS.contains(&f.as_str()) || f == "complexity");
        if only_jobs {
            return Continue(());
        }
        let Some(ends) = boards.iter().filter_map(|b| st.jobs.processing_on(b)).max() else {
            return Continue(());
        };
        let retry = crate::clock::secs_until(ctx.now, ends).max(1);
        st.stats.locked_total += 1;
        ctx.facts.locked = true;
        let e = RequestError::new(423, LOCKED_CODE, LOCKED_MESSAGE).retry_in(retry);
        Break(
            self.refused(st, 423, envelope::request_error(ctx.style, &e))
                .header("retry-after", retry.to_string()),
        )
    }
}
