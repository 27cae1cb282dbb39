//! Stage 9, `Idempotency-Key` (see [`crate::idempotency`]): a kept answer is replayed, a
//! duplicate of a request still in flight gets a 409, anything else goes on; once executed, the
//! real answer is kept for the key (even when the client gets a fault instead).

use std::ops::ControlFlow::{Break, Continue};

use super::answer::{Answer, Stage, JSON_CONTENT_TYPE};
use super::state::{Ctx, State};
use super::{header, CoreRequest, Simulator};
use crate::envelope::{self, RequestError};
use crate::idempotency::{self, Lookup, StoredResponse};

impl Simulator {
    /// Answers a replay or a conflict; otherwise goes on with the request's cache key (None
    /// without an `Idempotency-Key`).
    pub(super) fn replay_idempotent(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        req: &CoreRequest,
    ) -> Stage<Option<String>> {
        let Some(key) =
            idempotency::cache_key(header(req, "idempotency-key"), header(req, "authorization"))
        else {
            return Continue(None);
        };
        match st.idempotency.lookup(ctx.now, &key) {
            Lookup::Miss => Continue(Some(key)),
            Lookup::InFlight(at) => {
                st.stats.idempotency_conflicts_total += 1;
                let retry = self.reported_secs_until(ctx.now, at);
                let e = RequestError::new(
                    409,
                    "IDEMPOTENCY_CONFLICT",
                    "A request with this Idempotency-Key is still being processed",
                )
                .retry_in(retry);
                let a = self
                    .refused(st, 409, envelope::request_error(ctx.style, &e))
                    .header("retry-after", retry.to_string());
                Break(a)
            }
            Lookup::Replay(stored) => {
                st.stats.idempotent_replays_total += 1;
                ctx.facts.replay = true;
                let delay = self.latency.refused_delay(&mut st.rng_latency);
                let mut a = Answer::raw(stored.status, JSON_CONTENT_TYPE, stored.body, delay);
                a.extra_headers = idempotency::replay_headers(stored.headers);
                Break(a)
            }
        }
    }

    /// Keeps the executed request's real answer (a 200, as the envelope makes it) under `key`:
    /// in flight until the answer completes, replayable after.
    pub(super) fn keep_for_replay(
        &self,
        st: &mut State,
        ctx: &Ctx,
        key: Option<String>,
        real: &Answer,
    ) {
        let Some(key) = key else { return };
        let kept = self.finish(st, ctx, Answer::json(200, real.body.clone(), real.delay));
        st.idempotency.put(
            ctx.now,
            key,
            ctx.now + real.delay,
            StoredResponse {
                status: kept.status,
                headers: kept.headers,
                body: kept.body,
            },
        );
    }
}
