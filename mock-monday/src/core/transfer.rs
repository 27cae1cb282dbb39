//! Stage 1 for the bulk import's non-GraphQL paths: the CSV upload (`PUT /__upload/{job}`,
//! what a job's `upload_url` points at) and the report download (`GET /__reports/{job}`). They
//! are served by the core, so `mock-monday serve`, the wiremock face and in-process callers
//! answer them alike; the S3-style rules live in [`crate::jobs::transfer`].

use std::time::Duration;

use super::answer::Answer;
use super::state::{Ctx, State};
use super::{header, CoreRequest, Simulator};
use crate::faults::FaultKind;
use crate::jobs::transfer::{self, HostAnswer, HostRequest, REPORT_PREFIX, UPLOAD_PREFIX};
use crate::request_log::RequestKind;

fn host(a: HostAnswer, delay: Duration) -> Answer {
    let mut answer = Answer::raw(a.status, a.content_type, a.body, delay);
    answer.extra_headers = a.headers;
    answer
}

impl Simulator {
    /// How long the upload and report hosts take: the profile's shortest answer (a network
    /// round trip), without a random draw so that uploads never shift the latency stream.
    fn transfer_delay(&self) -> Duration {
        let ms = self.latency.settings().refused_min_ms;
        Duration::try_from_secs_f64(ms / 1_000.0).unwrap_or_default()
    }

    /// `PUT {upload_url}`: stores the CSV (200 + `ETag`) or refuses like S3 (403).
    pub(super) fn upload(&self, st: &mut State, ctx: &mut Ctx, req: &CoreRequest) -> Answer {
        let authorization = header(req, "authorization").is_some_and(|a| !a.trim().is_empty());
        ctx.facts.kind = Some(RequestKind::Upload);
        ctx.facts.endpoint = Some("upload");
        ctx.facts.authorization_present = Some(authorization);
        let bulk = self.bulk().clone();
        let delay = self.transfer_delay();
        let (id, signature) = transfer::parse(&req.path, UPLOAD_PREFIX).unwrap_or_default();
        let job = st.jobs.get(&id);
        if let Some(j) = job {
            ctx.facts.boards = vec![j.board_id.clone()];
        }
        let issued = job.map(|j| j.created_at).unwrap_or_default();
        let checksum = header(req, "x-amz-checksum-crc32").is_some();
        let host_req = HostRequest {
            method: &req.method,
            signed_method: "PUT",
            signature: &signature,
            checksum_header: checksum,
            issued_at: issued,
        };
        if let Some(refused) = transfer::refusal(host_req, job, ctx.now, &bulk.env.settings) {
            return host(refused, delay);
        }
        if st.jobs.draw(bulk.env.faults.upload_cut) {
            st.stats.count_fault(FaultKind::UploadCut);
            return Answer::reset(delay);
        }
        st.jobs
            .accept_upload(&id, req.body.clone(), authorization, &bulk.env, ctx.now);
        host(transfer::stored(&req.body), delay)
    }

    /// `GET {report_url}`: the report CSV, or 403 once the URL expired.
    pub(super) fn report_download(
        &self,
        st: &mut State,
        ctx: &mut Ctx,
        req: &CoreRequest,
    ) -> Answer {
        ctx.facts.kind = Some(RequestKind::ReportDownload);
        ctx.facts.endpoint = Some("report_download");
        let bulk = self.bulk().clone();
        let delay = self.transfer_delay();
        let (id, signature) = transfer::parse(&req.path, REPORT_PREFIX).unwrap_or_default();
        let job = st.jobs.get(&id).filter(|j| j.report_created());
        let issued = job.and_then(|j| j.ended_at).unwrap_or_default();
        let host_req = HostRequest {
            method: &req.method,
            signed_method: "GET",
            signature: &signature,
            checksum_header: false,
            issued_at: issued,
        };
        if let Some(refused) = transfer::refusal(host_req, job, ctx.now, &bulk.env.settings) {
            return host(refused, delay);
        }
        match job {
            Some(j) => host(transfer::report_csv(j), delay),
            None => host(
                transfer::s3_error("NoSuchKey", "The specified key does not exist.", ""),
                delay,
            ),
        }
    }
}
