//! Stages 14 and 16, injected faults ([`crate::faults`] decides whether one fires). Before
//! execution: the `lock` fault's 423, then the request's exclusive draw, where `5xx` and `reset`
//! answer at once (nothing executed) while `slow` and `commit_then_fail` go on. After execution:
//! what the client gets instead of the real answer, a 504 past the gateway timeout or
//! `commit_then_fail`'s 500 or reset.

use std::ops::ControlFlow::{Break, Continue};
use std::time::Duration;

use bytes::Bytes;

use super::answer::{Answer, Stage};
use super::state::{Ctx, State};
use super::Simulator;
use crate::envelope::{self, RequestError};
use crate::faults::{self, FailureAfterCommit, FaultKind};
use crate::limits::board_lock::{LOCKED_CODE, LOCKED_MESSAGE};

const GATEWAY_TIMEOUT_PAGE: &str = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";

impl Simulator {
    /// Stage 14: the faults that answer before execution; goes on with the request's fault
    /// (`slow`, `commit_then_fail` or none).
    pub(super) fn inject_faults(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        boards: &[String],
    ) -> Stage<Option<FaultKind>> {
        let faults = &self.config.faults;
        let now = ctx.now;
        if !boards.is_empty()
            && faults.lock_fires(&mut st.rng_faults, || st.in_flight.writes_any(now, boards))
        {
            st.stats.count_fault(FaultKind::Lock);
            ctx.facts.locked = true;
            let e = RequestError::new(423, LOCKED_CODE, LOCKED_MESSAGE);
            return Break(
                self.refused(st, 423, envelope::request_error(ctx.style, &e))
                    .header(
                        "retry-after",
                        self.reported_secs(Duration::from_secs(1)).to_string(),
                    ),
            );
        }
        let mut fault = faults.draw(&mut st.rng_faults);
        if fault.is_none() && !boards.is_empty() && faults.commit_then_fail_every > 0 {
            st.writes_undrawn += 1;
            if faults.commit_then_fail_due(st.writes_undrawn) {
                fault = Some(FaultKind::CommitThenFail);
            }
        }
        if let Some(kind) = fault {
            st.stats.count_fault(kind);
        }
        match fault {
            Some(FaultKind::ServerError) => {
                let status = faults::draw_server_error_status(&mut st.rng_faults);
                let e = RequestError::new(status, "INTERNAL_SERVER_ERROR", "Internal server error");
                let delay = self.latency.request_delay(&mut st.rng_latency, 0, 0);
                Break(Answer::json(
                    status,
                    envelope::request_error(ctx.style, &e),
                    delay,
                ))
            }
            Some(FaultKind::Reset) => {
                let delay = self.latency.request_delay(&mut st.rng_latency, 0, 0);
                Break(Answer::reset(delay))
            }
            _ => Continue(fault),
        }
    }

    /// Stage 16: what the client gets instead of the executed request's real answer (which
    /// takes `delay`), if anything: a 504 when the answer outlasts the gateway timeout (unless
    /// the `slow` fault asked for the delay), else `commit_then_fail`'s 500 or reset (drawn only
    /// then).
    pub(super) fn fail_in_transit(
        &self,
        st: &mut State,
        ctx: &Ctx,
        fault: Option<FaultKind>,
        delay: Duration,
    ) -> Option<Answer> {
        if fault != Some(FaultKind::Slow) && delay > self.latency.gateway_timeout() {
            st.stats.gateway_timeouts_total += 1;
            return Some(Answer::raw(
                504,
                "text/html",
                Bytes::from_static(GATEWAY_TIMEOUT_PAGE.as_bytes()),
                self.latency.gateway_timeout(),
            ));
        }
        if fault != Some(FaultKind::CommitThenFail) {
            return None;
        }
        Some(match FailureAfterCommit::draw(&mut st.rng_faults) {
            FailureAfterCommit::ServerError => {
                let e = RequestError::new(500, "INTERNAL_SERVER_ERROR", "Internal server error");
                Answer::json(500, envelope::request_error(ctx.style, &e), delay)
            }
            FailureAfterCommit::Reset => Answer::reset(delay),
        })
    }
}
