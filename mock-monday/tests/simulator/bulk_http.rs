//! The bulk import over real HTTP with a plain client (reqwest): against the spawned
//! `mock-monday serve` process and against the wiremock face. Start a job, PUT the CSV to the
//! absolute `upload_url` without the API token, poll `fetch_job_status`, read the items back.

use crate::http_support;

use http_support::serve;
use mock_monday::config::LatencyProfile;
use mock_monday::MockMonday;
use serde_json::{json, Value};

const CSV: &str = "name,text_order_key,numbers_qty,status\n\
                   Bulk 1,B-1,3,Shipped\n\
                   Bulk 2,B-2,,\n\
                   \"Bulk, 3\",B-3,7,No Such Label\n";

async fn graphql(client: &reqwest::Client, api: &str, token: &str, query: &str) -> Value {
    let r = client
        .post(api)
        .header("Authorization", token)
        .header("API-Version", "2026-07")
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("graphql request");
    assert_eq!(r.status(), 200);
    r.json().await.expect("JSON body")
}

/// Start, upload, poll, read back; `api` is `http://HOST:PORT/v2`.
async fn workflow(api: &str, token: &str) {
    let client = reqwest::Client::new();
    let root = api.trim_end_matches("/v2");
    let started = graphql(
        &client,
        api,
        token,
        "mutation { ingest_items(board_id: \"1234567890\", group_id: \"topics\", on_match: {match_column_id: \"text_order_key\", behaviour: UPSERT}) { job_id upload_url } }",
    )
    .await;
    let job = started["data"]["ingest_items"]["job_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"))
        .to_string();
    let upload_url = started["data"]["ingest_items"]["upload_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        upload_url.starts_with(&format!("{root}/__upload/")),
        "absolute URL of this server: {upload_url}"
    );
    // The upload carries no API token (the pre-signed URL is the credential).
    let put = client
        .put(&upload_url)
        .header("Content-Type", "text/csv")
        .body(CSV)
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status(), 200);
    assert!(put.headers().contains_key("etag"));
    let status = loop {
        let v = graphql(
            &client,
            api,
            token,
            &format!("{{ fetch_job_status(job_id: \"{job}\") {{ ... on ItemsJobStatus {{ status counts {{ submitted invalid created updated failed }} report_created report_url }} }} }}"),
        )
        .await;
        let s = v["data"]["fetch_job_status"].clone();
        if matches!(
            s["status"].as_str(),
            Some("COMPLETED" | "FAILED" | "REJECTED")
        ) {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(status["status"], "COMPLETED", "{status}");
    assert_eq!(
        status["counts"],
        json!({"submitted": 3, "invalid": 1, "created": 2, "updated": 0, "failed": 0})
    );
    let report = client
        .get(status["report_url"].as_str().unwrap())
        .send()
        .await
        .expect("report");
    assert_eq!(report.status(), 200);
    let text = report.text().await.unwrap();
    assert!(text.contains("4,status,No Such Label,"), "{text}");
    // Read back like any client.
    let read = graphql(
        &client,
        api,
        token,
        "{ boards(ids: 1234567890) { items_page(limit: 10) { items { name column_values(ids: [\"numbers_qty\"]) { text } } } } }",
    )
    .await;
    let items = read["data"]["boards"][0]["items_page"]["items"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bulk 1", "Bulk 2"]);
    assert_eq!(items[0]["column_values"][0]["text"], "3");
    // The admin view: the job, and the upload logged without an Authorization header.
    let admin = |path: &str| {
        client
            .get(format!("{root}{path}"))
            .header("Authorization", token)
            .send()
    };
    let jobs: Value = admin("/__admin/jobs").await.unwrap().json().await.unwrap();
    assert_eq!(jobs[0]["job_id"], job.as_str());
    assert_eq!(jobs[0]["status"]["status"], "COMPLETED");
    let stats: Value = admin("/__admin/stats").await.unwrap().json().await.unwrap();
    assert_eq!(stats["jobs_by_state"]["COMPLETED"], 1);
    assert_eq!(stats["rows_by_outcome"]["created"], 2);
    assert_eq!(stats["rows_by_outcome"]["invalid"], 1);
    let log = admin("/__admin/requests")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let upload: Value = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["kind"] == "upload")
        .expect("the upload is logged");
    assert_eq!(upload["authorization_present"], false);
    assert_eq!(upload["status"], 200);
}

#[tokio::test]
async fn the_bulk_import_works_over_http_against_mock_monday_serve() {
    let s = serve(&["--profile", "instant", "--token", "tok"]);
    workflow(&s.url, "tok").await;
}

#[tokio::test]
async fn the_bulk_import_works_over_http_against_the_wiremock_face() {
    let server = MockMonday::new()
        .profile(LatencyProfile::Instant)
        .request_log(1_000)
        .start()
        .await
        .expect("wiremock face starts");
    workflow(&server.uri(), "any-token").await;
}

#[tokio::test]
async fn serve_takes_job_timing_from_a_profile_file_and_bulk_settings_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        "base_median_ms = 0.0\nbase_p99_ms = 0.0\nbase_cap_ms = 0.0\nper_mutation_field_ms = 0.0\nspike_probability = 0.0\nrefused_min_ms = 0.0\nrefused_max_ms = 0.0\njob_start_delay_ms = 3600000.0\n",
    )
    .unwrap();
    let bulk = dir.path().join("bulk.toml");
    std::fs::write(&bulk, "job_starts_per_hour = 1\n").unwrap();
    let s = serve(&[
        "--profile",
        profile.to_str().unwrap(),
        "--bulk",
        bulk.to_str().unwrap(),
    ]);
    let client = reqwest::Client::new();
    let q = "mutation { ingest_items(board_id: 1234567890, group_id: \"topics\") { job_id upload_url } }";
    let v = graphql(&client, &s.url, "t", q).await;
    let url = v["data"]["ingest_items"]["upload_url"].as_str().unwrap();
    let job = v["data"]["ingest_items"]["job_id"].as_str().unwrap();
    let put = client.put(url).body("name\na\n").send().await.unwrap();
    assert_eq!(put.status(), 200);
    let st = graphql(
        &client,
        &s.url,
        "t",
        &format!(
            "{{ fetch_job_status(job_id: \"{job}\") {{ ... on ItemsJobStatus {{ status }} }} }}"
        ),
    )
    .await;
    assert_eq!(
        st["data"]["fetch_job_status"]["status"], "PROCESSING",
        "an hour's start delay from the profile file"
    );
    let second = client
        .post(&s.url)
        .header("Authorization", "t")
        .json(&json!({ "query": q }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.status(),
        429,
        "one start per hour from the bulk file"
    );
}
