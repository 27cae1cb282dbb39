//! The request pipeline: every stage in the order it decides. Each stage is a function in the
//! module named in the comment above it (the numbers are those of [`Simulator`]'s `# Pipeline`
//! list); the first stage that answers (breaks) ends the request.

use std::ops::ControlFlow::{Break, Continue};

use super::answer::{Answer, Stage};
use super::state::{Ctx, State};
use super::{CoreRequest, Simulator};

impl Simulator {
    /// One request, arrival to answer (the envelope, stage 17, is `answer::finish`'s). A
    /// request refused before admission holds no concurrency slot; an admitted one holds it,
    /// with the boards it wrote, until its answer completes.
    pub(super) fn pipeline(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Answer {
        if let Break(refused) = self.admit(st, ctx, req) {
            return refused;
        }
        let (answer, written) = match self.serve(st, ctx, req) {
            Continue(served) => served,
            Break(answer) => (answer, Vec::new()),
        };
        st.in_flight.add(ctx.now, ctx.now + answer.delay, written);
        answer
    }

    /// Stages 1-8: may the request be served at all?
    fn admit(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Stage {
        // 1. route: POST /v2 goes on; the schema, 404 and 400 answer
        self.route(st, ctx, req)?;
        // 2-4. access: 401, InvalidVersionException, 413
        self.authenticate(st, ctx, req)?;
        self.resolve_version(st, ctx, req)?;
        self.check_body_size(st, ctx, req)?;
        // 5-8. admission: the rate limits (429)
        self.limit_ip(st, ctx, req)?;
        self.storm(st, ctx)?;
        self.limit_minute(st, ctx)?;
        self.limit_daily(st, ctx)?;
        self.limit_concurrency(st, ctx)
    }

    /// Stages 9-16 for an admitted request: its answer and the boards it wrote.
    fn serve(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        req: &CoreRequest,
    ) -> Stage<(Answer, Vec<String>)> {
        // 9. replay: a kept answer, or 409 while the first is in flight
        let key = self.replay_idempotent(st, ctx, req)?;
        // 10-11. parse: 400, QUERY_TOO_DEEP, GraphQL validation errors
        let body = self.parse(st, ctx, req)?;
        self.guard_depth(st, &body)?;
        let op = self.prepare(st, ctx, &body)?;
        // 12-13. complexity: the per-request cap, the budget (429)
        self.cap_complexity(st, ctx, &op)?;
        let charge = self.check_budget(st, ctx, &op)?;
        // 14. locks, then inject: 423 board lock; the lock fault, 5xx, reset
        self.lock_boards(st, ctx, &op.written_boards)?;
        let fault = self.inject_faults(st, ctx, &op.written_boards)?;
        // 15-16. execute: the store, the charge, the latency of the real answer
        let outcome = self.execute(st, ctx, &op, charge);
        let real = self.answer_executed(st, ctx, outcome, fault);
        // 16. inject: the client may get a 504, or commit_then_fail's 500 or reset, instead
        let sent = self.fail_in_transit(st, ctx, fault, real.delay);
        // 9. replay: the real answer is kept for the key either way
        self.keep_for_replay(st, ctx, key, &real);
        Continue((sent.unwrap_or(real), op.written_boards))
    }
}
