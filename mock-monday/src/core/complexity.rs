//! Stages 12-13 and the charge in 15, complexity: the per-request cap (HTTP 200 error), the
//! token's budget (429 `COMPLEXITY_BUDGET_EXHAUSTED`, shape by version; the budget itself lives
//! in [`crate::limits::Budgets`]) and, once executed, the charge less the refund for failed
//! mutations ([`crate::graphql::cost`]).

use std::ops::ControlFlow::{Break, Continue};

use super::answer::Stage;
use super::state::{Ctx, State};
use super::Simulator;
use crate::envelope::{self, BudgetExhausted};
use crate::graphql::cost::failed_mutation_refund;
use crate::graphql::{ComplexitySnapshot, ExecOutcome, PreparedOperation};
use crate::limits::Throttle;

/// What an admitted request will be charged, and what its `complexity` field reports.
pub(super) struct Charge {
    pub(super) points: u64,
    pub(super) snapshot: ComplexitySnapshot,
}

impl Simulator {
    /// Stage 12: an operation costing more than `limits.max_complexity_per_request`.
    pub(super) fn cap_complexity(
        &self,
        st: &mut State,
        ctx: &Ctx,
        op: &PreparedOperation,
    ) -> Stage {
        let cost = op.estimated_complexity;
        let max = self.config.limits.max_complexity_per_request;
        if cost <= max {
            return Continue(());
        }
        let body = envelope::request_too_complex(ctx.style, cost, max);
        Break(self.refused(st, 200, body))
    }

    /// Stage 13: the budget of the bucket the request draws from; a refused request costs
    /// nothing, a request asking only for meta fields is never refused.
    pub(super) fn check_budget(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        op: &PreparedOperation,
    ) -> Stage<Charge> {
        let now = ctx.now;
        let cost = op.estimated_complexity;
        let check = st.budgets.bucket(ctx.write).check(now, cost);
        if !check.admits(op.only_meta_fields) {
            let retry = self.reported_secs_until(now, check.retry_at);
            let body = envelope::budget_exhausted(
                ctx.style,
                BudgetExhausted {
                    cost,
                    left: check.remaining,
                    limit: check.limit,
                    retry_in: retry,
                },
            );
            return Break(self.throttled(st, ctx, Throttle::Complexity, retry, body));
        }
        let points = check.charge_for(cost);
        Continue(Charge {
            points,
            snapshot: ComplexitySnapshot {
                before: check.remaining,
                after: check.remaining - points,
                query: cost,
                reset_in_x_seconds: self.reported_secs_until(now, check.reset_at),
            },
        })
    }

    /// Stage 15, after execution: charges the budget (less the refund for failed mutations)
    /// and the daily limit, and counts what the request did.
    pub(super) fn charge(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        op: &PreparedOperation,
        charge: Charge,
        outcome: &ExecOutcome,
    ) {
        let now = ctx.now;
        let refund = failed_mutation_refund(
            ctx.version,
            outcome.failed_mutation_fields,
            &self.config.costs,
        );
        let charged = charge.points.saturating_sub(refund);
        st.budgets.bucket(ctx.write).charge(now, charged);
        st.stats.complexity_used_total += charged;
        ctx.facts.complexity = charged;
        ctx.facts.items_created = outcome.items_created;
        st.stats.items_created_total += outcome.items_created;
        st.stats.mutation_fields_total += u64::from(outcome.mutation_fields_executed);
        if let Some(d) = st.daily.as_mut() {
            d.charge_executed(now, op.only_meta_fields);
        }
    }
}
