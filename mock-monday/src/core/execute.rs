//! Stages 15-16, execution: the operation runs against the store, the complexity is charged,
//! and the latency model says how long the real answer takes (the `slow` fault stretches it).

use std::time::Duration;

use super::answer::{count_throttle, Answer};
use super::complexity::Charge;
use super::state::{Ctx, State};
use super::Simulator;
use crate::envelope;
use crate::faults::FaultKind;
use crate::graphql::{ExecContext, ExecOutcome, PreparedOperation};
use crate::jobs::BudgetScope;
use crate::limits::Throttle;

impl Simulator {
    /// Stage 15: runs `op` against the store and charges it.
    pub(super) fn execute(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        op: &PreparedOperation,
        charge: Charge,
    ) -> ExecOutcome {
        let exec = ExecContext {
            now: ctx.now,
            api_version: ctx.version,
            complexity: charge.snapshot,
            items_limit_per_board: self.config.limits.items_limit_per_board,
            user_id: ctx.user_id,
            bulk: Some(self.bulk().clone()),
        };
        let outcome = self
            .engine
            .execute_with_jobs(op, &mut st.store, Some(&mut st.jobs), &exec);
        self.charge(st, ctx, op, charge, &outcome);
        if outcome.items_created > 0 && self.config.bulk.budget_scope == BudgetScope::Shared {
            st.jobs.budget.spend(ctx.now, outcome.items_created);
        }
        outcome
    }

    /// Stage 16: the real answer (HTTP 200, data and errors) after the latency model's delay
    /// for what was written and read; at least `slow_secs` under the `slow` fault.
    pub(super) fn answer_executed(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        outcome: ExecOutcome,
        fault: Option<FaultKind>,
    ) -> Answer {
        let mut delay: Duration = self.latency.request_delay(
            &mut st.rng_latency,
            outcome.mutation_fields_executed,
            outcome.items_read,
        );
        if fault == Some(FaultKind::Slow) {
            delay = delay.max(self.config.faults.slow_delay());
        }
        let status = outcome.http_status.unwrap_or(200);
        let retry_ms = (status == 429).then(|| {
            outcome
                .errors
                .iter()
                .filter_map(|e| e["extensions"]["retryAfterMs"].as_u64())
                .max()
                .unwrap_or(1_000)
        });
        let body = envelope::executed(ctx.style, outcome.data, outcome.errors);
        let answer = Answer::json(status, body, delay);
        match retry_ms {
            Some(ms) => {
                // The job-start limit (100 per hour): counted like the other 429s.
                count_throttle(st, ctx, Throttle::JobStarts);
                answer.header("retry-after", ms.div_ceil(1_000).to_string())
            }
            None => answer,
        }
    }
}
