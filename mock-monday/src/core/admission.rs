//! Stages 5-8, the rate limits in the order monday.com applies them: the IP limit, a 429 storm
//! (the `storm` fault), the minute limit, the daily limit and the concurrency limit. Each
//! limiter in [`crate::limits`] (or [`crate::faults::Storms`]) decides; a refusal here is a 429
//! with `Retry-After` (see `Simulator::throttled`) and holds no concurrency slot.

use std::ops::ControlFlow::{Break, Continue};

use super::answer::Stage;
use super::state::{Ctx, State};
use super::{CoreRequest, Simulator};
use crate::envelope::{self, RequestError};
use crate::faults::FaultKind;
use crate::limits::Throttle;

/// Key of in-process callers in the IP limiter.
const LOCAL_IP: &str = "local";

impl Simulator {
    /// Stage 5: requests per caller address per `limits.ip_window_secs`.
    pub(super) fn limit_ip(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Stage {
        let ip = req.client_ip.as_deref().unwrap_or(LOCAL_IP);
        let Err(at) = st.ip.try_acquire(ctx.now, ip) else {
            return Continue(());
        };
        let retry = self.reported_secs_until(ctx.now, at);
        let e =
            RequestError::new(429, Throttle::Ip.code(), "IP rate limit exceeded").retry_in(retry);
        let body = envelope::request_error(ctx.style, &e);
        Break(self.throttled(st, ctx, Throttle::Ip, retry, body))
    }

    /// Stage 6: while a 429 storm rages (or this request starts one), every request is refused
    /// in the shape of the minute limit.
    pub(super) fn storm(&self, st: &mut State, ctx: &mut Ctx) -> Stage {
        let Some(storm) = st.storms.at(ctx.now, &self.config.faults) else {
            return Continue(());
        };
        if storm.started {
            st.stats.storms_started_total += 1;
        }
        let retry = self.reported_secs_until(ctx.now, storm.until);
        st.stats.count_fault(FaultKind::Storm);
        let body = envelope::minute_limit(ctx.style, retry);
        Break(self.throttled(st, ctx, Throttle::Storm, retry, body))
    }

    /// Stage 6: requests per minute (by plan).
    pub(super) fn limit_minute(&self, st: &mut State, ctx: &mut Ctx) -> Stage {
        let Err(at) = st.minute.try_acquire(ctx.now) else {
            return Continue(());
        };
        let retry = self.reported_secs_until(ctx.now, at);
        let body = envelope::minute_limit(ctx.style, retry);
        Break(self.throttled(st, ctx, Throttle::Minute, retry, body))
    }

    /// Stage 7: calls per day (by plan, when on; resets at midnight UTC).
    pub(super) fn limit_daily(&self, st: &mut State, ctx: &mut Ctx) -> Stage {
        let Some(Err(at)) = st.daily.as_mut().map(|d| d.allowed(ctx.now)) else {
            return Continue(());
        };
        let retry = self.reported_secs_until(ctx.now, at);
        let e =
            RequestError::new(429, Throttle::Daily.code(), "Daily limit exceeded").retry_in(retry);
        let body = envelope::request_error(ctx.style, &e);
        Break(self.throttled(st, ctx, Throttle::Daily, retry, body))
    }

    /// Stage 8: requests in flight (arrival + delay after now), by plan.
    pub(super) fn limit_concurrency(&self, st: &mut State, ctx: &mut Ctx) -> Stage {
        let limit = self.config.limits.concurrency(self.config.plan) as usize;
        let Err(at) = st.in_flight.admit(ctx.now, limit) else {
            return Continue(());
        };
        let retry = self.reported_secs_until(ctx.now, at);
        let e = RequestError::new(
            429,
            Throttle::Concurrency.code(),
            "Concurrency limit exceeded",
        )
        .retry_in(retry);
        let body = envelope::request_error(ctx.style, &e);
        Break(self.throttled(st, ctx, Throttle::Concurrency, retry, body))
    }
}
