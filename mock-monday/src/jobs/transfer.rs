//! The upload and report URLs, shaped like the S3 pre-signed URLs they stand for, and their
//! answers: `PUT {base}/__upload/{job_id}?X-Amz-...` (raw CSV body, no `Authorization` needed,
//! 200 with an `ETag`) and `GET {base}/__reports/{job_id}?X-Amz-...` (the report CSV). Both are
//! refused like S3 refuses: 403 `AccessDenied` "Request has expired" after 10 minutes of
//! simulated time, 403 `HeadersNotSigned` when `x-amz-checksum-crc32` comes as a header (the
//! docs' troubleshooting), 403 `SignatureDoesNotMatch` for an unknown job, a wrong signature or
//! another method.

use std::time::Duration;

use bytes::Bytes;

use super::{BulkSettings, Job};
use crate::request_log::body_hash;

/// Path prefix of upload URLs.
pub const UPLOAD_PREFIX: &str = "/__upload/";
/// Path prefix of report URLs.
pub const REPORT_PREFIX: &str = "/__reports/";

/// The `upload_url` of a job started at `now`.
pub fn upload_url(
    base: &str,
    job_id: &str,
    signature: &str,
    now: Duration,
    s: &BulkSettings,
) -> String {
    format!(
        "{}{UPLOAD_PREFIX}{job_id}.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}",
        base.trim_end_matches('/'),
        now.as_millis(),
        s.url_lifetime_secs
    )
}

/// The `report_url` of an ended job (minted once, when the job ended; not re-signed later).
pub fn report_url(base: &str, job: &Job, s: &BulkSettings) -> String {
    format!(
        "{}{REPORT_PREFIX}{}.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
        base.trim_end_matches('/'),
        job.id,
        job.ended_at.unwrap_or_default().as_millis(),
        s.url_lifetime_secs,
        job.signature
    )
}

/// An answer of the upload or report host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
    pub headers: Vec<(String, String)>,
}

/// An S3-style XML error.
pub fn s3_error(code: &str, message: &str, extra: &str) -> HostAnswer {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}<RequestId>mock-monday</RequestId></Error>"
    );
    HostAnswer {
        status: 403,
        content_type: "application/xml",
        body: Bytes::from(body),
        headers: Vec::new(),
    }
}

/// The job id and the signature a URL path and query carry.
pub fn parse(path_and_query: &str, prefix: &str) -> Option<(String, String)> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let file = path.strip_prefix(prefix)?;
    let id = file.strip_suffix(".csv").unwrap_or(file).to_string();
    let signature = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-Signature="))
        .unwrap_or("")
        .to_string();
    Some((id, signature))
}

/// A request to the upload or report host, as far as its refusal is concerned.
#[derive(Debug, Clone, Copy)]
pub struct HostRequest<'a> {
    pub method: &'a str,
    /// The method the URL is signed for (`PUT` upload, `GET` report).
    pub signed_method: &'a str,
    pub signature: &'a str,
    /// `x-amz-checksum-crc32` came as a header.
    pub checksum_header: bool,
    /// When the URL was issued.
    pub issued_at: Duration,
}

/// Why a request to the upload or report host is refused, before the job is touched.
pub fn refusal(
    req: HostRequest<'_>,
    job: Option<&Job>,
    now: Duration,
    s: &BulkSettings,
) -> Option<HostAnswer> {
    let HostRequest {
        method,
        signed_method,
        signature,
        checksum_header,
        issued_at,
    } = req;
    let signed = job.is_some_and(|j| j.signature == signature);
    if !method.eq_ignore_ascii_case(signed_method) || !signed {
        return Some(s3_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            "",
        ));
    }
    if checksum_header {
        return Some(s3_error(
            "AccessDenied",
            "There were headers present in the request which were not signed",
            "<HeadersNotSigned>x-amz-checksum-crc32</HeadersNotSigned>",
        ));
    }
    if now > issued_at + s.url_lifetime() {
        return Some(s3_error("AccessDenied", "Request has expired", ""));
    }
    None
}

/// 200 with the `ETag` of the body (S3's answer to a successful PUT).
pub fn stored(body: &[u8]) -> HostAnswer {
    HostAnswer {
        status: 200,
        content_type: "text/plain",
        body: Bytes::new(),
        headers: vec![("etag".to_string(), format!("\"{}\"", body_hash(body)))],
    }
}

/// The report CSV: `line,column,value,reason`, one line per invalid or failed row.
pub fn report_csv(job: &Job) -> HostAnswer {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["line", "column", "value", "reason"]);
    for l in &job.report {
        let _ = w.write_record([l.line.to_string().as_str(), &l.column, &l.value, &l.reason]);
    }
    HostAnswer {
        status: 200,
        content_type: "text/csv",
        body: Bytes::from(w.into_inner().unwrap_or_default()),
        headers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_back_to_job_and_signature() {
        let s = BulkSettings::default();
        let url = upload_url("http://h:1/", "abc", "sig", Duration::ZERO, &s);
        assert!(url.starts_with("http://h:1/__upload/abc.csv?"));
        let path = url.strip_prefix("http://h:1").unwrap();
        assert_eq!(
            parse(path, UPLOAD_PREFIX),
            Some(("abc".into(), "sig".into()))
        );
        assert_eq!(parse("/v2", UPLOAD_PREFIX), None);
    }

    #[test]
    fn s3_errors_say_their_code() {
        let e = s3_error("AccessDenied", "Request has expired", "");
        assert_eq!(e.status, 403);
        let text = String::from_utf8(e.body.to_vec()).unwrap();
        assert!(text.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"));
    }
}
