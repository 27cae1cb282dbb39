//! How a stage answers ([`Answer`]; a [`Stage`] that breaks ends the request) and how the answer
//! becomes a [`CoreResponse`] (stage 17): the envelope with the request id, `API-Version` and
//! the rate-limit headers.

use std::ops::ControlFlow;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::state::{Ctx, State};
use super::{CoreResponse, Delivery, Simulator};
use crate::envelope;
use crate::limits::Throttle;

/// What a stage returns: `Continue` with what the next stages need, or `Break` with the answer
/// that ends the request.
pub(super) type Stage<T = ()> = ControlFlow<Answer, T>;

/// The content type of every JSON answer, a replayed one included.
pub(super) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The outcome of one pipeline stage that answers the request.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) extra_headers: Vec<(String, String)>,
    pub(super) delay: Duration,
    pub(super) delivery: Delivery,
    /// Not JSON (504 gateway timeout page, schema, replay): sent as is.
    pub(super) raw: Option<(&'static str, Bytes)>,
}

impl Answer {
    /// A JSON body (the envelope adds `extensions.request_id`).
    pub(super) fn json(status: u16, body: Value, delay: Duration) -> Self {
        Self {
            status,
            body,
            extra_headers: Vec::new(),
            delay,
            delivery: Delivery::Respond,
            raw: None,
        }
    }

    /// A body sent as is with its content type.
    pub(super) fn raw(
        status: u16,
        content_type: &'static str,
        body: Bytes,
        delay: Duration,
    ) -> Self {
        let mut a = Self::json(status, Value::Null, delay);
        a.raw = Some((content_type, body));
        a
    }

    /// No response: the connection drops after `delay`.
    pub(super) fn reset(delay: Duration) -> Self {
        let mut a = Self::json(0, Value::Null, delay);
        a.delivery = Delivery::Reset;
        a
    }

    /// The answer with one more header.
    pub(super) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.to_string(), value.into()));
        self
    }
}

impl Simulator {
    /// Whole seconds to report for a wait of `simulated` (`Retry-After`, `retry_in_seconds`,
    /// `reset_in_x_seconds`, `RateLimit` `t=`): simulated or wall seconds as
    /// `SimConfig::report_durations` says ([`crate::config::ReportDurations::whole_secs`]).
    /// Every duration an answer reports goes through here.
    pub(super) fn reported_secs(&self, simulated: Duration) -> u64 {
        self.config
            .report_durations
            .whole_secs(simulated, self.config.time_scale)
    }

    /// [`Self::reported_secs`] of the wait from `now` until `deadline` (at least 1).
    pub(super) fn reported_secs_until(&self, now: Duration, deadline: Duration) -> u64 {
        self.reported_secs(deadline.saturating_sub(now))
    }

    /// A refusal: `body` after the short delay of a refused request.
    pub(super) fn refused(&self, st: &mut State, status: u16, body: Value) -> Answer {
        let delay = self.latency.refused_delay(&mut st.rng_latency);
        Answer::json(status, body, delay)
    }

    /// A 429 from the rate limiter `kind`: counted as throttled, logged with its code, charged
    /// 0.1 daily call, with `Retry-After: retry_in`.
    pub(super) fn throttled(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        kind: Throttle,
        retry_in: u64,
        body: Value,
    ) -> Answer {
        count_throttle(st, ctx, kind);
        if let Some(d) = st.daily.as_mut() {
            d.charge_throttled(ctx.now);
        }
        self.refused(st, 429, body)
            .header("retry-after", retry_in.to_string())
    }

    /// Stage 17, the envelope: request id, version and rate-limit headers.
    pub(super) fn finish(&self, st: &mut State, ctx: &Ctx, answer: Answer) -> CoreResponse {
        let mut headers = Vec::with_capacity(6 + answer.extra_headers.len());
        let body = match answer.raw {
            Some((content_type, raw)) => {
                headers.push(("content-type".to_string(), content_type.to_string()));
                raw
            }
            None if answer.delivery == Delivery::Reset => Bytes::new(),
            None => {
                let mut body = answer.body;
                envelope::with_request_id(&mut body, &ctx.request_id);
                headers.push(("content-type".to_string(), JSON_CONTENT_TYPE.to_string()));
                Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
            }
        };
        headers.push(("api-version".to_string(), ctx.version.to_string()));
        headers.push(("x-request-id".to_string(), ctx.request_id.clone()));
        let (policy, state) = self.rate_limit_headers(st, ctx);
        headers.push(("ratelimit-policy".to_string(), policy));
        headers.push(("ratelimit".to_string(), state));
        headers.extend(answer.extra_headers);
        CoreResponse {
            status: answer.status,
            headers,
            body,
            delay: answer.delay,
            delivery: answer.delivery,
        }
    }

    /// `RateLimit-Policy` and `RateLimit`: minute rate (zero during a storm), concurrency and
    /// the complexity bucket the request draws from.
    fn rate_limit_headers(&self, st: &mut State, ctx: &Ctx) -> (String, String) {
        let limits = &self.config.limits;
        let now = ctx.now;
        let minute_q = st.minute.limit();
        let conc_q = limits.concurrency(self.config.plan);
        let bucket = st.budgets.bucket(ctx.write);
        let window = limits.complexity_window_secs;
        let policy = format!(
            "\"minuteRate\";q={minute_q};w=60, \"concurrency\";q={conc_q};qu=\"concurrent-requests\", \"complexityMinute\";q={};w={window};qu=\"content-bytes\"",
            bucket.limit()
        );
        let c_left = bucket.remaining(now);
        // Whole simulated seconds left, rounded down (then reported as configured).
        let c_reset = self.reported_secs(Duration::from_secs(bucket.reset_in(now).as_secs()));
        let m_left = st.minute.remaining(now);
        let storm = st.storms.raging(now);
        let minute = if let Some(until) = storm {
            format!(
                "\"minuteRate\";r=0;t={}",
                self.reported_secs_until(now, until)
            )
        } else if m_left == 0 {
            let t = st.minute.next_free(now).map_or_else(
                || self.reported_secs(Duration::from_secs(1)),
                |at| self.reported_secs_until(now, at),
            );
            format!("\"minuteRate\";r=0;t={t}")
        } else {
            format!("\"minuteRate\";r={m_left}")
        };
        let conc_left = (conc_q as usize).saturating_sub(st.in_flight.count(now));
        let state = format!(
            "{minute}, \"concurrency\";r={conc_left}, \"complexityMinute\";r={c_left};t={c_reset}"
        );
        (policy, state)
    }
}

/// A 429 from `kind`, in the statistics and the request log (its code).
pub(super) fn count_throttle(st: &mut State, ctx: &mut Ctx, kind: Throttle) {
    ctx.facts.throttled = Some(kind.code());
    st.stats.count_throttle(kind);
}
