//! The bulk import (`ingest_items`, `backfill_items`, the CSV upload, `fetch_job_status`) driven
//! through the core on tokio's paused clock: one test per documented rule and per choice of the
//! README's behaviour table.

#[allow(dead_code)]
use crate::pipeline_support;

use std::time::Duration;

use bytes::Bytes;
use mock_monday::config::SimConfig;
use mock_monday::jobs::{BoardJobs, BudgetScope, BulkSettings, JobTiming};
use mock_monday::{CoreRequest, CoreResponse, FaultConfig, Simulator};
use pipeline_support::{body, code, gql, header, instant, post, sim, BOARD};
use serde_json::Value;

const V: &str = "2026-07";

fn bulk_config(bulk: BulkSettings) -> SimConfig {
    SimConfig {
        bulk,
        request_log_capacity: 1_000,
        ..instant()
    }
}

fn ask(s: &Simulator, query: &str) -> Value {
    body(&s.handle(post(gql(query), &[("api-version", V)])))
}

fn ingest_with(s: &Simulator, args: &str) -> (CoreResponse, Value) {
    let r = s.handle(post(
        gql(&format!(
            "mutation {{ ingest_items(board_id: {BOARD}, group_id: \"topics\"{args}) {{ job_id upload_url }} }}"
        )),
        &[("api-version", V)],
    ));
    let v = body(&r);
    (r, v)
}

/// Starts an ingest job; returns (job id, upload url).
fn start(s: &Simulator, args: &str) -> (String, String) {
    let (_, v) = ingest_with(s, args);
    let job = &v["data"]["ingest_items"];
    assert!(job["job_id"].is_string(), "started: {v}");
    (
        job["job_id"].as_str().unwrap().to_string(),
        job["upload_url"].as_str().unwrap().to_string(),
    )
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest[rest.find('/').unwrap_or(rest.len())..].to_string()
}

fn put(s: &Simulator, url: &str, csv: &str, headers: &[(&str, &str)]) -> CoreResponse {
    s.handle(CoreRequest {
        method: "PUT".into(),
        path: path_of(url),
        headers: std::iter::once(("content-type".to_string(), "text/csv".to_string()))
            .chain(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect(),
        body: Bytes::from(csv.to_string()),
        client_ip: None,
    })
}

fn get(s: &Simulator, url: &str) -> CoreResponse {
    s.handle(CoreRequest {
        method: "GET".into(),
        path: path_of(url),
        headers: Vec::new(),
        body: Bytes::new(),
        client_ip: None,
    })
}

const STATUS: &str = "... on ItemsJobStatus { status counts { submitted invalid skipped created updated failed } progress_percentage failure_reason failure_message fully_imported report_created report_url }";

fn poll(s: &Simulator, job: &str) -> Value {
    let v = ask(
        s,
        &format!("{{ fetch_job_status(job_id: \"{job}\") {{ {STATUS} }} }}"),
    );
    v["data"]["fetch_job_status"].clone()
}

/// Start, upload, and (instant profile) the job has ended by the first poll.
fn run(s: &Simulator, args: &str, csv: &str) -> (String, Value) {
    let (job, url) = start(s, args);
    assert_eq!(put(s, &url, csv, &[]).status, 200);
    let status = poll(s, &job);
    (job, status)
}

fn items(s: &Simulator) -> Vec<Value> {
    s.board_items(BOARD).unwrap()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn item_named<'a>(items: &'a [Value], name: &str) -> Vec<&'a Value> {
    items.iter().filter(|i| i["name"] == name).collect()
}

fn text_of(item: &Value, col: &str) -> String {
    item["column_values"][col]["text"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn counts(status: &Value) -> [u64; 6] {
    let c = &status["counts"];
    [
        "submitted",
        "invalid",
        "skipped",
        "created",
        "updated",
        "failed",
    ]
    .map(|k| c[k].as_u64().unwrap_or(u64::MAX))
}

#[tokio::test(start_paused = true)]
async fn the_whole_workflow_creates_ordinary_items() {
    let s = sim(bulk_config(BulkSettings::default()));
    let csv = "name,text_order_key,status,numbers_qty,dropdown_sizes,date_order,email_contact\n\
               Order A,K-1,Shipped,3,\"S, M\",2026-03-01,Ann <ann@x.com>\n\
               Order B,K-2,,,,,\n";
    let (job, url) = start(&s, "");
    assert!(
        url.starts_with("http://mock-monday.invalid/__upload/"),
        "{url}"
    );
    assert_eq!(poll(&s, &job)["status"], "UPLOAD_PENDING");
    assert!(poll(&s, &job)["counts"].is_null());
    let up = put(&s, &url, csv, &[]);
    assert_eq!(up.status, 200);
    assert!(header(&up, "etag").is_some_and(|e| e.starts_with('"')));
    let st = poll(&s, &job);
    assert_eq!(st["status"], "COMPLETED", "{st}");
    assert_eq!(counts(&st), [2, 0, 0, 2, 0, 0]);
    assert_eq!(st["progress_percentage"], 100);
    assert_eq!(st["fully_imported"], true);
    assert_eq!(st["report_created"], false);
    assert!(st["failure_reason"].is_null() && st["report_url"].is_null());
    // Ordinary items: the admin endpoint and items_page_by_column_values see them.
    let all = items(&s);
    let a = item_named(&all, "Order A")[0];
    assert_eq!(text_of(a, "status"), "Shipped");
    assert_eq!(text_of(a, "dropdown_sizes"), "S, M");
    assert_eq!(text_of(a, "numbers_qty"), "3");
    assert_eq!(a["group_id"], "topics");
    let found = ask(
        &s,
        &format!("{{ items_page_by_column_values(board_id: {BOARD}, columns: [{{column_id: \"text_order_key\", column_values: [\"K-2\"]}}]) {{ items {{ id name }} }} }}"),
    );
    assert_eq!(
        found["data"]["items_page_by_column_values"]["items"][0]["name"],
        "Order B"
    );
    // Stats and the request log.
    let stats = s.stats();
    assert_eq!(stats.jobs_by_state.get("COMPLETED"), Some(&1));
    assert_eq!(stats.rows_by_outcome.get("created"), Some(&2));
    assert_eq!(stats.items_created_total, 2);
    let log = String::from_utf8(s.request_log_ndjson(0)).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ingest_start",
            "job_poll",
            "job_poll",
            "upload",
            "job_poll",
            "reconcile"
        ]
    );
    let upload = &lines[3];
    assert_eq!(upload["endpoint"], "upload");
    assert_eq!(upload["authorization_present"], false);
    assert_eq!(lines[0]["endpoint"], "graphql");
    assert!(lines[0].get("authorization_present").is_none());
    // The admin jobs list.
    let jobs = s.jobs_json();
    assert_eq!(jobs[0]["job_id"], job.as_str());
    assert_eq!(jobs[0]["status"]["status"], "COMPLETED");
    assert_eq!(jobs[0]["upload_authorization_present"], false);
}

#[tokio::test(start_paused = true)]
async fn an_upload_with_authorization_is_logged_as_such() {
    let s = sim(bulk_config(BulkSettings::default()));
    let (_, url) = start(&s, "");
    assert_eq!(
        put(&s, &url, "name\nx\n", &[("authorization", "secret")]).status,
        200
    );
    let log = String::from_utf8(s.request_log_ndjson(0)).unwrap();
    let upload: Value = serde_json::from_str(log.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        (
            upload["kind"].as_str(),
            upload["authorization_present"].as_bool()
        ),
        (Some("upload"), Some(true))
    );
}

#[tokio::test(start_paused = true)]
async fn jobs_run_on_the_simulated_clock() {
    let s = sim(bulk_config(BulkSettings {
        timing: Some(JobTiming::realistic()),
        ..BulkSettings::default()
    }));
    let mut csv = String::from("name\n");
    for i in 0..1_000 {
        csv.push_str(&format!("Row {i}\n"));
    }
    let (job, url) = start(&s, "");
    assert_eq!(put(&s, &url, &csv, &[]).status, 200);
    let st = poll(&s, &job);
    assert_eq!(
        (st["status"].as_str(), st["progress_percentage"].as_u64()),
        (Some("PROCESSING"), Some(0))
    );
    // 2 s start delay, then 250 rows per second: after 2 + 2 s half the rows are in.
    tokio::time::advance(Duration::from_secs(4)).await;
    let st = poll(&s, &job);
    assert_eq!(st["status"], "PROCESSING");
    assert_eq!(st["counts"]["created"], 500);
    assert_eq!(st["progress_percentage"], 50);
    assert_eq!(items(&s).len(), 500, "rows committed so far are visible");
    tokio::time::advance(Duration::from_secs(2)).await;
    let st = poll(&s, &job);
    assert_eq!(st["status"], "COMPLETED");
    assert_eq!(st["counts"]["created"], 1_000);
}

#[tokio::test(start_paused = true)]
async fn the_fields_exist_from_2026_07_only() {
    let s = sim(bulk_config(BulkSettings::default()));
    let q = format!(
        "mutation {{ ingest_items(board_id: {BOARD}, group_id: \"topics\") {{ job_id }} }}"
    );
    let old = body(&s.handle(post(gql(&q), &[("api-version", "2026-04")])));
    assert_eq!(code(&old), Some("undefinedField"));
    assert_eq!(
        old["errors"][0]["message"],
        "Field 'ingest_items' doesn't exist on type 'Mutation'"
    );
    let old = body(&s.handle(post(
        gql("{ fetch_job_status(job_id: \"x\") { __typename } }"),
        &[("api-version", "2026-04")],
    )));
    assert_eq!(code(&old), Some("undefinedField"));
    let new = body(&s.handle(post(gql(&q), &[("api-version", "2026-07")])));
    assert!(new["data"]["ingest_items"]["job_id"].is_string(), "{new}");
    let current = body(&s.handle(post(gql(&q), &[])));
    assert!(
        current["data"]["ingest_items"]["job_id"].is_string(),
        "{current}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_job_is_an_error_not_a_status_of_nulls() {
    let s = sim(bulk_config(BulkSettings::default()));
    let v = ask(
        &s,
        &format!("{{ fetch_job_status(job_id: \"nope\") {{ {STATUS} }} }}"),
    );
    assert_eq!(code(&v), Some("ResourceNotFoundException"));
    assert!(v["data"].is_null(), "{v}");
}

#[tokio::test(start_paused = true)]
async fn the_upload_url_behaves_like_a_presigned_s3_url() {
    let s = sim(bulk_config(BulkSettings::default()));
    let (job, url) = start(&s, "");
    let checksum = put(
        &s,
        &url,
        "name\nx\n",
        &[("x-amz-checksum-crc32", "AAAAAA==")],
    );
    assert_eq!(checksum.status, 403);
    assert!(String::from_utf8_lossy(&checksum.body).contains("HeadersNotSigned"));
    let forged = put(
        &s,
        &url.replace("X-Amz-Signature=", "X-Amz-Signature=0"),
        "name\nx\n",
        &[],
    );
    assert_eq!(forged.status, 403);
    assert!(String::from_utf8_lossy(&forged.body).contains("SignatureDoesNotMatch"));
    assert_eq!(get(&s, &url).status, 403, "only PUT is signed");
    assert_eq!(poll(&s, &job)["status"], "UPLOAD_PENDING");
    tokio::time::advance(Duration::from_secs(601)).await;
    let late = put(&s, &url, "name\nx\n", &[]);
    assert_eq!(late.status, 403);
    assert!(String::from_utf8_lossy(&late.body).contains("Request has expired"));
    assert_eq!(
        poll(&s, &job)["status"],
        "UPLOAD_PENDING",
        "an expired job waits forever (choice)"
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_upload_is_accepted_but_changes_nothing() {
    let s = sim(bulk_config(BulkSettings {
        timing: Some(JobTiming::realistic()),
        ..BulkSettings::default()
    }));
    let (job, url) = start(&s, "");
    assert_eq!(put(&s, &url, "name\nfirst\n", &[]).status, 200);
    assert_eq!(put(&s, &url, "name\nsecond\nthird\n", &[]).status, 200);
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(counts(&poll(&s, &job))[0], 1);
    assert_eq!(items(&s)[0]["name"], "first");
}

#[tokio::test(start_paused = true)]
async fn file_level_errors_reject_the_whole_job() {
    let s = sim(bulk_config(BulkSettings {
        ingest_max_rows: 2,
        max_file_bytes: 64,
        ..BulkSettings::default()
    }));
    for (csv, reason) in [
        ("Name\nx\n", "INVALID_UPLOAD"),
        ("name,Status\nx,Done\n", "INVALID_UPLOAD"),
        ("name;status\nx;Done\n", "INVALID_UPLOAD"),
        ("name\na\nb\nc\n", "INVALID_UPLOAD"),
        ("name\n\"a\n", "INVALID_UPLOAD"),
        (&format!("name\n{}\n", "x".repeat(80)), "FILE_TOO_LARGE"),
    ] {
        let (_, st) = run(&s, "", csv);
        assert_eq!(st["status"], "REJECTED", "{csv:?}: {st}");
        assert_eq!(st["failure_reason"], reason, "{csv:?}");
        assert!(st["failure_message"].is_string());
        assert_eq!(st["progress_percentage"], 100, "pinned at 100 (choice)");
        assert_eq!(st["fully_imported"], false);
    }
    assert!(items(&s).is_empty());
    let non_utf8 = {
        let (job, url) = start(&s, "");
        let mut r = put(&s, &url, "", &[]);
        assert_eq!(r.status, 200);
        r.body = Bytes::new();
        job
    };
    // (An empty file is not a header.)
    assert_eq!(poll(&s, &non_utf8)["failure_reason"], "INVALID_UPLOAD");
}

#[tokio::test(start_paused = true)]
async fn row_errors_are_invalid_and_listed_in_the_report() {
    let s = sim(bulk_config(BulkSettings::default()));
    let csv =
        "name,status,date_order\nok,Shipped,2026-01-02\nbad label,Nope,\nbad date,,02/01/2026\n";
    let (_, st) = run(&s, "", csv);
    assert_eq!(st["status"], "COMPLETED");
    assert_eq!(counts(&st), [3, 2, 0, 1, 0, 0]);
    assert_eq!(
        st["fully_imported"], true,
        "invalid rows do not make it false"
    );
    assert_eq!(st["report_created"], true);
    let url = st["report_url"].as_str().unwrap().to_string();
    let report = get(&s, &url);
    assert_eq!(report.status, 200);
    let text = String::from_utf8(report.body.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "line,column,value,reason");
    assert!(lines[1].starts_with("3,status,Nope,"), "{text}");
    assert!(lines[2].starts_with("4,date_order,02/01/2026,"), "{text}");
    let log = String::from_utf8(s.request_log_ndjson(0)).unwrap();
    assert!(log
        .lines()
        .last()
        .unwrap()
        .contains("\"kind\":\"report_download\""));
    tokio::time::advance(Duration::from_secs(601)).await;
    assert_eq!(
        poll(&s, &job_of(&s))["report_url"].as_str(),
        Some(url.as_str()),
        "not re-signed (choice)"
    );
    let expired = get(&s, &url);
    assert_eq!(expired.status, 403);
    assert!(String::from_utf8_lossy(&expired.body).contains("Request has expired"));
}

fn job_of(s: &Simulator) -> String {
    s.jobs_json()[0]["job_id"].as_str().unwrap().to_string()
}

#[tokio::test(start_paused = true)]
async fn labels_are_never_created_by_a_job() {
    let s = sim(bulk_config(BulkSettings::default()));
    let before = ask(
        &s,
        &format!("{{ boards(ids: {BOARD}) {{ columns(ids: [\"status\"]) {{ settings_str }} }} }}"),
    );
    let (_, st) = run(&s, "", "name,status,dropdown_sizes\na,Brand New,\nb,,XXL\n");
    assert_eq!(counts(&st)[1], 2);
    let after = ask(
        &s,
        &format!("{{ boards(ids: {BOARD}) {{ columns(ids: [\"status\"]) {{ settings_str }} }} }}"),
    );
    assert_eq!(before["data"], after["data"]);
}

#[tokio::test(start_paused = true)]
async fn the_hourly_budget_rejects_the_whole_job_and_gives_back_unused_rows() {
    let s = sim(bulk_config(BulkSettings {
        items_per_hour: 5,
        ..BulkSettings::default()
    }));
    let (_, st) = run(&s, "", "name\na\nb\nc\nd\ne\nf\n");
    assert_eq!(st["status"], "REJECTED");
    assert_eq!(st["failure_reason"], "ACCOUNT_CAPACITY_EXCEEDED");
    assert!(items(&s).is_empty(), "no partial import");
    // 4 valid rows (1 invalid is not reserved): fits; then the 4 are spent.
    let (_, st) = run(&s, "", "name,status\na,\nb,\nc,\nd,\ne,Nope\n");
    assert_eq!(st["status"], "COMPLETED");
    let (_, st) = run(&s, "", "name\nx\ny\n");
    assert_eq!(st["failure_reason"], "ACCOUNT_CAPACITY_EXCEEDED", "1 left");
    // SKIP-matched rows are reserved, then given back.
    let (_, st) = run(
        &s,
        ", on_match: {match_column_id: \"name\", behaviour: SKIP}",
        "name\na\n",
    );
    assert_eq!(counts(&st)[2], 1, "skipped");
    let (_, st) = run(&s, "", "name\nz\n");
    assert_eq!(
        st["status"], "COMPLETED",
        "the skipped row's capacity came back"
    );
    // The budget rolls: an hour later everything is free again.
    tokio::time::advance(Duration::from_secs(3_600)).await;
    let (_, st) = run(&s, "", "name\n1\n2\n3\n4\n5\n");
    assert_eq!(st["status"], "COMPLETED");
}

#[tokio::test(start_paused = true)]
async fn backfill_does_not_spend_the_hourly_budget() {
    let s = sim(bulk_config(BulkSettings {
        items_per_hour: 1,
        ..BulkSettings::default()
    }));
    let v = ask(&s, &format!("mutation {{ backfill_items(board_id: {BOARD}, group_id: \"topics\") {{ job_id upload_url }} }}"));
    let url = v["data"]["backfill_items"]["upload_url"].as_str().unwrap();
    let job = v["data"]["backfill_items"]["job_id"].as_str().unwrap();
    assert_eq!(put(&s, url, "name\na\nb\nc\n", &[]).status, 200);
    let st = poll(&s, job);
    assert_eq!(
        (st["status"].as_str(), counts(&st)[3]),
        (Some("COMPLETED"), 3)
    );
}

#[tokio::test(start_paused = true)]
async fn backfill_is_for_admins_only() {
    let s = sim(bulk_config(BulkSettings {
        admin_tokens: Some(vec!["boss".into()]),
        ..BulkSettings::default()
    }));
    let q = gql(&format!(
        "mutation {{ backfill_items(board_id: {BOARD}, group_id: \"topics\") {{ job_id }} }}"
    ));
    let clerk = body(&s.handle(post(q.clone(), &[("api-version", V)])));
    assert_eq!(
        clerk["errors"][0]["message"],
        "Only admin users can perform this operation."
    );
    assert!(clerk["data"]["backfill_items"].is_null());
    let boss = body(&s.handle(post(q, &[("api-version", V), ("authorization", "boss")])));
    assert!(
        boss["data"]["backfill_items"]["job_id"].is_string(),
        "{boss}"
    );
}

#[tokio::test(start_paused = true)]
async fn row_caps_differ_for_ingest_and_backfill() {
    let s = sim(bulk_config(BulkSettings {
        ingest_max_rows: 2,
        backfill_max_rows: 3,
        ..BulkSettings::default()
    }));
    let csv = "name\na\nb\nc\n";
    assert_eq!(run(&s, "", csv).1["failure_reason"], "INVALID_UPLOAD");
    let v = ask(&s, &format!("mutation {{ backfill_items(board_id: {BOARD}, group_id: \"topics\") {{ job_id upload_url }} }}"));
    put(
        &s,
        v["data"]["backfill_items"]["upload_url"].as_str().unwrap(),
        csv,
        &[],
    );
    let st = poll(&s, v["data"]["backfill_items"]["job_id"].as_str().unwrap());
    assert_eq!(st["status"], "COMPLETED");
}

#[tokio::test(start_paused = true)]
async fn only_successful_starts_count_and_the_101st_gets_429() {
    let s = sim(bulk_config(BulkSettings {
        job_starts_per_hour: 2,
        ..BulkSettings::default()
    }));
    let (_, bad) = ingest_with(&s, "");
    assert!(bad["data"]["ingest_items"]["job_id"].is_string());
    let bad_board = body(&s.handle(post(
        gql("mutation { ingest_items(board_id: 1, group_id: \"topics\") { job_id } }"),
        &[("api-version", V)],
    )));
    assert_eq!(code(&bad_board), Some("InvalidBoardIdException"));
    let (r, ok) = ingest_with(&s, "");
    assert_eq!(r.status, 200);
    assert!(
        ok["data"]["ingest_items"]["job_id"].is_string(),
        "a failed start did not count"
    );
    tokio::time::advance(Duration::from_secs(60)).await;
    let (r, refused) = ingest_with(&s, "");
    assert_eq!(r.status, 429);
    assert_eq!(code(&refused), Some("RATE_LIMIT_EXCEEDED"));
    assert_eq!(
        refused["errors"][0]["extensions"]["retryAfterMs"],
        (3_600 - 60) * 1_000
    );
    assert_eq!(header(&r, "retry-after"), Some("3540"));
    assert!(refused["data"]["ingest_items"].is_null());
    assert_eq!(s.stats().throttled_by_kind.get("job_starts"), Some(&1));
}

#[tokio::test(start_paused = true)]
async fn a_full_board_rejects_the_job() {
    let mut config = bulk_config(BulkSettings::default());
    config.limits.items_limit_per_board = 3;
    let s = sim(config);
    let (_, st) = run(&s, "", "name\na\nb\nc\nd\n");
    assert_eq!(st["failure_reason"], "BOARD_CAPACITY_EXCEEDED");
    assert!(items(&s).is_empty());
    let (_, st) = run(&s, "", "name\na\nb\nc\n");
    assert_eq!(st["status"], "COMPLETED");
}

#[tokio::test(start_paused = true)]
async fn start_arguments_are_checked_synchronously() {
    let s = sim(bulk_config(BulkSettings::default()));
    let (_, v) = ingest_with(&s, "");
    assert!(v["errors"].is_null());
    let group = body(&s.handle(post(
        gql(&format!(
            "mutation {{ ingest_items(board_id: {BOARD}, group_id: \"nope\") {{ job_id }} }}"
        )),
        &[("api-version", V)],
    )));
    assert_eq!(code(&group), Some("InvalidGroupIdException"));
    let (_, col) = ingest_with(
        &s,
        ", on_match: {match_column_id: \"nope\", behaviour: UPSERT}",
    );
    assert_eq!(code(&col), Some("InvalidColumnIdException"));
    let (_, kind) = ingest_with(
        &s,
        ", on_match: {match_column_id: \"dropdown_sizes\", behaviour: UPSERT}",
    );
    assert_eq!(
        code(&kind),
        Some("InvalidArgumentException"),
        "dropdown is no match type"
    );
    let (_, ok) = ingest_with(
        &s,
        ", on_match: {match_column_id: \"email_contact\", behaviour: UPSERT}",
    );
    assert!(ok["data"]["ingest_items"]["job_id"].is_string());
}

#[tokio::test(start_paused = true)]
async fn upsert_matches_board_wide_last_row_wins_newest_item_updated() {
    let s = sim(bulk_config(BulkSettings::default()));
    // Two existing items share K-1 (the newer in another group); one has K-2.
    let (_, st) = run(
        &s,
        "",
        "name,text_order_key,text_customer,numbers_qty\nold,K-1,Ann,1\nkeep,K-2,Bob,2\n",
    );
    assert_eq!(counts(&st)[3], 2);
    let other_group = body(&s.handle(post(
        gql(&format!("mutation {{ create_item(board_id: {BOARD}, group_id: \"group_done\", item_name: \"newer\", column_values: \"{{\\\"text_order_key\\\": \\\"K-1\\\", \\\"text_customer\\\": \\\"Cy\\\"}}\") {{ id }} }}")),
        &[],
    )));
    assert!(
        other_group["data"]["create_item"]["id"].is_string(),
        "{other_group}"
    );
    let (_, st) = run(
        &s,
        ", on_match: {match_column_id: \"text_order_key\", behaviour: UPSERT}",
        "name,text_order_key,text_customer,numbers_qty\n\
         first,K-1,Dee,5\n\
         ,K-1,,7\n\
         renamed,K-2,<NULL>,\n\
         fresh,K-3,Eve,9\n",
    );
    assert_eq!(st["status"], "COMPLETED", "{st}");
    // 4 rows: the first K-1 row is superseded (skipped, choice), 2 updated, 1 created.
    assert_eq!(counts(&st), [4, 0, 1, 1, 2, 0]);
    let all = items(&s);
    let newer = item_named(&all, "newer")[0];
    assert_eq!(
        text_of(newer, "numbers_qty"),
        "7",
        "last row wins, newest match updated"
    );
    assert_eq!(text_of(newer, "text_customer"), "Cy", "empty cell keeps");
    assert_eq!(
        newer["group_id"], "group_done",
        "matched item stays in its group"
    );
    let old = item_named(&all, "old")[0];
    assert_eq!(text_of(old, "numbers_qty"), "1", "older match untouched");
    let renamed = item_named(&all, "renamed")[0];
    assert_eq!(text_of(renamed, "text_customer"), "", "<NULL> clears");
    assert_eq!(text_of(renamed, "numbers_qty"), "2");
    assert_eq!(item_named(&all, "fresh")[0]["group_id"], "topics");
    assert_eq!(all.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn skip_leaves_matches_alone_and_empty_match_values_create() {
    let s = sim(bulk_config(BulkSettings::default()));
    run(&s, "", "name,email_contact\nann,ann@x.com\n");
    let (_, st) = run(
        &s,
        ", on_match: {match_column_id: \"email_contact\", behaviour: SKIP}",
        "name,email_contact\nANN AGAIN,Ann <ann@x.com>\nnobody,\nbea,bea@x.com\n",
    );
    assert_eq!(counts(&st), [3, 0, 1, 2, 0, 0]);
    let all = items(&s);
    assert!(item_named(&all, "ANN AGAIN").is_empty());
    assert_eq!(item_named(&all, "nobody").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn null_on_a_new_item_leaves_the_column_blank() {
    let s = sim(bulk_config(BulkSettings::default()));
    let (_, st) = run(&s, "", "name,text_customer\nnew,<NULL>\n");
    assert_eq!(counts(&st)[3], 1);
    assert_eq!(text_of(&items(&s)[0], "text_customer"), "");
}

#[tokio::test(start_paused = true)]
async fn jobs_on_one_board_run_one_after_another_by_default() {
    let timing = JobTiming {
        job_start_delay_ms: 0.0,
        job_rows_per_second: 1.0,
    };
    for (board_jobs, second_done_at) in [(BoardJobs::Serial, 4), (BoardJobs::Parallel, 2)] {
        let s = sim(bulk_config(BulkSettings {
            timing: Some(timing),
            board_jobs,
            ..BulkSettings::default()
        }));
        let (a, ua) = start(&s, "");
        let (b, ub) = start(&s, "");
        put(&s, &ua, "name\na1\na2\n", &[]);
        put(&s, &ub, "name\nb1\nb2\n", &[]);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(poll(&s, &a)["status"], "COMPLETED");
        let st = poll(&s, &b);
        if board_jobs == BoardJobs::Serial {
            assert_eq!(
                (st["status"].as_str(), st["progress_percentage"].as_u64()),
                (Some("PROCESSING"), Some(0))
            );
        }
        tokio::time::advance(Duration::from_secs(second_done_at - 2)).await;
        assert_eq!(poll(&s, &b)["status"], "COMPLETED", "{board_jobs:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn item_writes_to_a_board_wait_for_its_running_job() {
    let timing = JobTiming {
        job_start_delay_ms: 0.0,
        job_rows_per_second: 1.0,
    };
    let create =
        format!("mutation {{ create_item(board_id: {BOARD}, item_name: \"single\") {{ id }} }}");
    for lock in [true, false] {
        let s = sim(bulk_config(BulkSettings {
            timing: Some(timing),
            lock_board_during_job: lock,
            ..BulkSettings::default()
        }));
        let (_, url) = start(&s, "");
        put(&s, &url, "name\na\nb\nc\n", &[]);
        let r = s.handle(post(gql(&create), &[]));
        if lock {
            assert_eq!(r.status, 423);
            assert_eq!(header(&r, "retry-after"), Some("3"));
            // Reads and job polls go on; after the job the write goes through.
            assert_eq!(
                s.handle(post(
                    gql(&format!("{{ boards(ids: {BOARD}) {{ id }} }}")),
                    &[]
                ))
                .status,
                200
            );
            tokio::time::advance(Duration::from_secs(3)).await;
            assert_eq!(s.handle(post(gql(&create), &[])).status, 200);
        } else {
            assert_eq!(r.status, 200);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_shared_budget_counts_single_item_creates() {
    let create = format!("mutation {{ a: create_item(board_id: {BOARD}, item_name: \"x\") {{ id }} b: create_item(board_id: {BOARD}, item_name: \"y\") {{ id }} }}");
    for (scope, expected) in [
        (BudgetScope::IngestOnly, "COMPLETED"),
        (BudgetScope::Shared, "REJECTED"),
    ] {
        let s = sim(bulk_config(BulkSettings {
            items_per_hour: 3,
            budget_scope: scope,
            ..BulkSettings::default()
        }));
        assert_eq!(s.handle(post(gql(&create), &[])).status, 200);
        let (_, st) = run(&s, "", "name\na\nb\n");
        assert_eq!(st["status"], expected, "{scope:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_cut_upload_leaves_the_job_pending() {
    let s = sim(SimConfig {
        faults: FaultConfig {
            upload_cut: 1.0,
            ..FaultConfig::default()
        },
        ..bulk_config(BulkSettings::default())
    });
    let (job, url) = start(&s, "");
    let r = put(&s, &url, "name\na\n", &[]);
    assert_eq!(r.delivery, mock_monday::Delivery::Reset);
    assert_eq!(poll(&s, &job)["status"], "UPLOAD_PENDING");
    assert_eq!(s.stats().faults_by_kind.get("upload_cut"), Some(&1));
}

#[tokio::test(start_paused = true)]
async fn an_internal_error_fails_the_job_after_part_of_its_rows() {
    let s = sim(SimConfig {
        faults: FaultConfig {
            job_internal_error: 1.0,
            ..FaultConfig::default()
        },
        ..bulk_config(BulkSettings::default())
    });
    let mut csv = String::from("name\n");
    for i in 0..50 {
        csv.push_str(&format!("r{i}\n"));
    }
    let (_, st) = run(&s, "", &csv);
    assert_eq!(st["status"], "FAILED");
    assert_eq!(st["failure_reason"], "INTERNAL_ERROR");
    assert!(
        st["failure_message"].is_null(),
        "documented: null for INTERNAL_ERROR"
    );
    let [submitted, _, _, created, _, failed] = counts(&st);
    assert_eq!(submitted, 50);
    assert!(failed > 0 && created + failed == 50, "{st}");
    assert_eq!(items(&s).len() as u64, created, "the committed rows stay");
    assert_eq!(st["fully_imported"], false);
}

#[tokio::test(start_paused = true)]
async fn the_start_costs_like_any_mutation_and_the_poll_like_a_small_read() {
    let s = sim(bulk_config(BulkSettings::default()));
    let v = ask(
        &s,
        &format!("mutation {{ complexity {{ query }} ingest_items(board_id: {BOARD}, group_id: \"topics\") {{ job_id upload_url }} }}"),
    );
    assert_eq!(v["data"]["complexity"]["query"], 30_000 + 2);
    let job = v["data"]["ingest_items"]["job_id"].as_str().unwrap();
    let v = ask(
        &s,
        &format!("{{ complexity {{ query }} fetch_job_status(job_id: \"{job}\") {{ ... on ItemsJobStatus {{ status progress_percentage }} }} }}"),
    );
    assert_eq!(v["data"]["complexity"]["query"], 10 + 2);
}

#[tokio::test(start_paused = true)]
async fn labels_added_by_the_column_mutations_are_valid_in_a_job_and_in_create_item() {
    let s = sim(bulk_config(BulkSettings::default()));
    let rev = |col: &str| {
        ask(
            &s,
            &format!("{{ boards(ids: {BOARD}) {{ columns(ids: [\"{col}\"]) {{ revision }} }} }}"),
        )["data"]["boards"][0]["columns"][0]["revision"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(rev("status"), "1");
    let (_, st) = run(&s, "", "name,status\na,Backordered\n");
    assert_eq!(counts(&st)[1], 1, "not a label yet");
    let upd = ask(
        &s,
        &format!("mutation {{ update_status_column(board_id: {BOARD}, id: \"status\", revision: \"1\", settings: {{labels: [{{label: \"Backordered\", color: stuck_red, index: 7}}]}}) {{ id revision settings }} }}"),
    );
    assert_eq!(
        upd["data"]["update_status_column"]["revision"], "2",
        "{upd}"
    );
    assert_eq!(
        upd["data"]["update_status_column"]["settings"]["labels"]["7"],
        "Backordered"
    );
    assert_eq!(
        upd["data"]["update_status_column"]["settings"]["labels_colors"]["7"]["color"],
        "stuck_red"
    );
    // A stale revision is refused and changes nothing.
    let stale = ask(
        &s,
        &format!("mutation {{ update_status_column(board_id: {BOARD}, id: \"status\", revision: \"1\", settings: {{labels: [{{label: \"Lost\", color: done_green, index: 8}}]}}) {{ id }} }}"),
    );
    assert_eq!(code(&stale), Some("InvalidArgumentException"));
    assert!(stale["data"]["update_status_column"].is_null());
    assert_eq!(rev("status"), "2");
    let (_, st) = run(&s, "", "name,status\nb,Backordered\nc,Lost\n");
    assert_eq!(counts(&st)[..4], [2, 1, 0, 1]);
    let created = ask(
        &s,
        &format!("mutation {{ create_item(board_id: {BOARD}, item_name: \"d\", column_values: \"{{\\\"status\\\": {{\\\"label\\\": \\\"Backordered\\\"}}}}\") {{ id }} }}"),
    );
    assert!(
        created["data"]["create_item"]["id"].is_string(),
        "{created}"
    );
    // Dropdowns: a label without an id gets the next one.
    let dd = ask(
        &s,
        &format!("mutation {{ update_dropdown_column(board_id: {BOARD}, id: \"dropdown_sizes\", revision: \"1\", settings: {{labels: [{{label: \"XXL\"}}]}}) {{ revision settings }} }}"),
    );
    assert_eq!(
        dd["data"]["update_dropdown_column"]["revision"], "2",
        "{dd}"
    );
    assert!(dd["data"]["update_dropdown_column"]["settings"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["name"] == "XXL" && l["id"] == 6));
    let (_, st) = run(&s, "", "name,dropdown_sizes\ne,\"XXL, S\"\n");
    assert_eq!(counts(&st)[3], 1);
    // The wrong mutation for the column type is refused.
    let wrong = ask(
        &s,
        &format!("mutation {{ update_dropdown_column(board_id: {BOARD}, id: \"status\", revision: \"2\", settings: {{labels: [{{label: \"X\"}}]}}) {{ id }} }}"),
    );
    assert_eq!(code(&wrong), Some("InvalidArgumentException"));
    // Each label update is its own request kind.
    assert_eq!(s.stats().requests_by_kind.get("labels").copied(), Some(4));
    // A status column holds at most MAX_STATUS_LABELS labels: one update past it is refused
    // whole, and create_labels_if_missing cannot pass it either.
    let have = ask(
        &s,
        &format!("{{ boards(ids: {BOARD}) {{ columns(ids: [\"status\"]) {{ settings }} }} }}"),
    )["data"]["boards"][0]["columns"][0]["settings"]["labels"]
        .as_object()
        .unwrap()
        .len();
    let fill: Vec<String> = (0..mock_monday::columns::MAX_STATUS_LABELS - have)
        .map(|i| format!("{{label: \"L{i}\", color: done_green, index: {}}}", 20 + i))
        .collect();
    let full = ask(
        &s,
        &format!("mutation {{ update_status_column(board_id: {BOARD}, id: \"status\", revision: \"2\", settings: {{labels: [{}]}}) {{ revision }} }}", fill.join(", ")),
    );
    assert_eq!(
        full["data"]["update_status_column"]["revision"], "3",
        "{full}"
    );
    let over = ask(
        &s,
        &format!("mutation {{ update_status_column(board_id: {BOARD}, id: \"status\", revision: \"3\", settings: {{labels: [{{label: \"One Too Many\", color: done_green, index: 99}}]}}) {{ id }} }}"),
    );
    assert_eq!(code(&over), Some("InvalidArgumentException"), "{over}");
    assert_eq!(rev("status"), "3", "nothing changed");
    let created = ask(
        &s,
        &format!("mutation {{ create_item(board_id: {BOARD}, item_name: \"f\", create_labels_if_missing: true, column_values: \"{{\\\"status\\\": {{\\\"label\\\": \\\"One Too Many\\\"}}}}\") {{ id }} }}"),
    );
    assert_eq!(code(&created), Some("ColumnValueException"), "{created}");
}

#[tokio::test(start_paused = true)]
async fn admin_jobs_show_when_processing_started() {
    let s = sim(bulk_config(BulkSettings {
        timing: Some(JobTiming {
            job_start_delay_ms: 1_500.0,
            job_rows_per_second: 2.0,
        }),
        ..BulkSettings::default()
    }));
    let (job, url) = start(&s, "");
    assert_eq!(put(&s, &url, "name\nA\nB\n", &[]).status, 200);
    let uploaded = s.jobs_json()[0]["uploaded_at_ms"].as_u64().unwrap();
    assert!(s.jobs_json()[0]["processing_started_at_ms"].is_null());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(poll(&s, &job)["status"], "COMPLETED");
    let j = &s.jobs_json()[0];
    assert_eq!(
        j["processing_started_at_ms"].as_u64(),
        Some(uploaded + 1_500)
    );
    assert_eq!(j["ended_at_ms"].as_u64(), Some(uploaded + 2_500));
}

#[tokio::test(start_paused = true)]
async fn stats_count_requests_by_kind_without_the_request_log() {
    let s = sim(SimConfig {
        request_log_capacity: 0,
        ..bulk_config(BulkSettings::default())
    });
    let (job, url) = start(&s, "");
    assert_eq!(put(&s, &url, "name\nA\n", &[]).status, 200);
    poll(&s, &job);
    poll(&s, &job);
    let by_kind = s.stats().requests_by_kind;
    let n = |k: &str| by_kind.get(k).copied().unwrap_or(0);
    assert_eq!(
        (n("ingest_start"), n("upload"), n("job_poll")),
        (1, 1, 2),
        "{by_kind:?}"
    );
    assert_eq!(by_kind.values().sum::<u64>(), s.stats().requests_total);
}
