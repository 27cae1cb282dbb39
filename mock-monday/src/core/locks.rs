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
            return Continue(());
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
