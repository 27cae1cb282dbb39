//! The job client: `ingest_items` (through the one send loop, [`ApiClient::call`]), the CSV
//! upload and the report download (pre-signed URLs, no token: [`ApiClient::send_url`]) and
//! `fetch_job_status` polls (docs/monday-bulk-import.md §1.1–§1.3, §4).

use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::api::client::{ApiClient, Call, CallEnd, CallState, Last};
use crate::api::payload::{query_body, ResponseClass};
use crate::error::SyncError;
use crate::observer::RequestKind;
use crate::transport::{UrlMethod, UrlRequest};

const START: &str = "mutation ($b: ID!, $g: ID!, $m: String!) { ingest_items(board_id: $b, group_id: $g, on_match: {match_column_id: $m, behaviour: UPSERT}) { job_id upload_url } }";
const POLL: &str = "query ($j: ID!) { fetch_job_status(job_id: $j) { ... on ItemsJobStatus { status counts { submitted invalid skipped created updated failed } progress_percentage failure_reason failure_message fully_imported report_created report_url } } }";

/// A started job: its id and where its CSV goes (valid 10 minutes, §1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Started {
    pub job_id: String,
    pub upload_url: String,
}

/// A job's state (§4.1). States this client does not know (2027-01 adds `QUEUED`,
/// `CANCELLED`) are [`JobState::Other`] and never final (CL-2027-01 advises so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobState {
    UploadPending,
    Processing,
    Completed,
    Failed,
    Rejected,
    Other(String),
}

impl JobState {
    fn parse(s: &str) -> Self {
        match s {
            "UPLOAD_PENDING" => JobState::UploadPending,
            "PROCESSING" => JobState::Processing,
            "COMPLETED" => JobState::Completed,
            "FAILED" => JobState::Failed,
            "REJECTED" => JobState::Rejected,
            other => JobState::Other(other.to_string()),
        }
    }

    /// `COMPLETED`, `FAILED` and `REJECTED` end a job (§1.3).
    pub(crate) fn is_final(&self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Rejected
        )
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            JobState::UploadPending => "UPLOAD_PENDING",
            JobState::Processing => "PROCESSING",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Rejected => "REJECTED",
            JobState::Other(s) => s,
        }
    }
}

/// `ItemsJobItemCounts` (§4.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Counts {
    pub submitted: u64,
    pub invalid: u64,
    pub skipped: u64,
    pub created: u64,
    pub updated: u64,
    pub failed: u64,
}

/// One `fetch_job_status` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Status {
    pub state: JobState,
    pub counts: Option<Counts>,
    pub progress: u64,
    pub failure_reason: Option<String>,
    pub report_created: bool,
    pub report_url: Option<String>,
}

/// Start a job for `group_id` matching on `match_column` with UPSERT (§1.1, §3). `seq`/`round`
/// name its `Idempotency-Key` (a retry of this start is replayed, never a second job).
pub(crate) async fn start(
    client: &ApiClient,
    group_id: &str,
    match_column: &str,
    seq: u64,
    round: u64,
) -> Result<Started, SyncError> {
    let mut vars = Map::new();
    vars.insert("b".into(), json!(client.board_id));
    vars.insert("g".into(), json!(group_id));
    vars.insert("m".into(), json!(match_column));
    let body = Bytes::from(query_body(START, vars));
    let call = Call {
        kind: RequestKind::IngestStart,
        key: Some(client.request_key("ingest", seq, round, &body)),
        body,
        aliases: &[],
        cost: crate::mapping::config::MUTATION_COMPLEXITY,
        records: 0,
    };
    let mut st = CallState::new(client.seed, 1 << 41 | seq << 8 | round);
    let kind = RequestKind::IngestStart;
    match client.call(&call, &mut st).await {
        CallEnd::Settled { response, .. } => {
            let v: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let job = v.pointer("/data/ingest_items");
            let text = |k: &str| job.and_then(|j| j.get(k)).and_then(Value::as_str);
            match (text("job_id"), text("upload_url")) {
                (Some(id), Some(url)) => Ok(Started {
                    job_id: id.to_string(),
                    upload_url: url.to_string(),
                }),
                _ => Err(SyncError::Rejected {
                    kind,
                    code: first_code(&v).unwrap_or_else(|| "NO_JOB".into()),
                    message: "ingest_items returned no job".into(),
                }),
            }
        }
        CallEnd::GiveUp { last, .. } | CallEnd::Fatal(last) => {
            Err(last.into_error(kind, &client.board_id, st.attempt))
        }
        CallEnd::Split => Err(Last::Response(ResponseClass::TooComplex).into_error(
            kind,
            &client.board_id,
            st.attempt,
        )),
    }
}

fn first_code(v: &Value) -> Option<String> {
    v.pointer("/errors/0/extensions/code")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Why an upload did not take (the job then stays `UPLOAD_PENDING`; a new job is the remedy, §4.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UploadFailed {
    #[error("upload answered HTTP {0}")]
    Status(u16),
    #[error("upload did not complete: {0}")]
    Transport(String),
}

/// `PUT` the CSV to the pre-signed URL, raw bytes, `Content-Type: text/csv`, no token; 2xx is
/// success (the docs name 200 with an `ETag`, §1.2).
pub(crate) async fn upload(client: &ApiClient, url: &str, csv: Bytes) -> Result<(), UploadFailed> {
    let req = UrlRequest {
        method: UrlMethod::Put,
        url: url.to_string(),
        body: csv,
        timeout: client.timeout(),
    };
    match client.send_url(RequestKind::Upload, req).await {
        Ok(r) if (200..300).contains(&r.status) => Ok(()),
        Ok(r) => Err(UploadFailed::Status(r.status)),
        Err(e) => Err(UploadFailed::Transport(e.to_string())),
    }
}

/// One `fetch_job_status` (§1.3).
pub(crate) async fn poll(
    client: &ApiClient,
    job_id: &str,
    stream: u64,
) -> Result<Status, SyncError> {
    let mut vars = Map::new();
    vars.insert("j".into(), json!(job_id));
    let data = client
        .read(
            query_body(POLL, vars),
            RequestKind::JobPoll,
            1 << 42 | stream,
        )
        .await?;
    let s = data.get("fetch_job_status").cloned().unwrap_or(Value::Null);
    let counts = s.get("counts").filter(|c| c.is_object()).map(|c| {
        let n = |k: &str| c.get(k).and_then(Value::as_u64).unwrap_or(0);
        Counts {
            submitted: n("submitted"),
            invalid: n("invalid"),
            skipped: n("skipped"),
            created: n("created"),
            updated: n("updated"),
            failed: n("failed"),
        }
    });
    let text = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_string);
    Ok(Status {
        state: JobState::parse(&text("status").unwrap_or_default()),
        counts,
        progress: s
            .get("progress_percentage")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        failure_reason: text("failure_reason"),
        report_created: s.get("report_created").and_then(Value::as_bool) == Some(true),
        report_url: text("report_url"),
    })
}

/// One line of a job's report: `line,column,value,reason` (the file's line, header = 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportLine {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// Download and parse the report (as soon as `report_created` is true: its URL lives 10
/// minutes, §1.3, §4.4). `None` when it could not be read.
pub(crate) async fn report(client: &ApiClient, url: &str) -> Option<Vec<ReportLine>> {
    let req = UrlRequest {
        method: UrlMethod::Get,
        url: url.to_string(),
        body: Bytes::new(),
        timeout: client.timeout(),
    };
    let resp = client
        .send_url(RequestKind::ReportDownload, req)
        .await
        .ok()?;
    if !(200..300).contains(&resp.status) {
        tracing::warn!(status = resp.status, "job report could not be downloaded");
        return None;
    }
    Some(parse_report(&resp.body))
}

/// The lines of a report CSV (header `line,column,value,reason`); unreadable lines are skipped.
pub(crate) fn parse_report(body: &[u8]) -> Vec<ReportLine> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let idx = |h: &csv::StringRecord, n: &str| h.iter().position(|x| x.trim() == n);
    let Ok(h) = r.headers().cloned() else {
        return vec![];
    };
    let (Some(li), Some(ci), Some(ri)) = (idx(&h, "line"), idx(&h, "column"), idx(&h, "reason"))
    else {
        return vec![];
    };
    r.records()
        .filter_map(Result::ok)
        .filter_map(|rec| {
            Some(ReportLine {
                line: rec.get(li)?.trim().parse().ok()?,
                column: rec.get(ci).unwrap_or("").to_string(),
                reason: rec.get(ri).unwrap_or("").to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_parse() {
        let body = b"line,column,value,reason\n3,date4,2026-13-01,\"not a date, expected YYYY-MM-DD\"\n7,status,Nope,label does not exist\n";
        let got = parse_report(body);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].line, 3);
        assert_eq!(got[0].column, "date4");
        assert_eq!(got[0].reason, "not a date, expected YYYY-MM-DD");
        assert_eq!(got[1].line, 7);
    }

    #[test]
    fn unknown_states_are_not_final() {
        assert!(!JobState::parse("QUEUED").is_final());
        assert!(!JobState::parse("UPLOAD_PENDING").is_final());
        assert!(JobState::parse("REJECTED").is_final());
        assert_eq!(JobState::parse("QUEUED").as_str(), "QUEUED");
    }
}
