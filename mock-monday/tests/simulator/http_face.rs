//! The wiremock face: `MockMonday` over HTTP with reqwest.

use crate::http_support;

use http_support::get_json;
use mock_monday::{FaultConfig, LatencyProfile, MockMonday};
use serde_json::{json, Value};

const CREATE: &str =
    "mutation { a: create_item(board_id: 1234567890, item_name: \"From HTTP\") { id name } }";

async fn post(client: &reqwest::Client, url: &str, token: &str, query: &str) -> reqwest::Response {
    client
        .post(url)
        .header("Authorization", token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn wiremock_face_serves_the_core_and_admin_endpoints() {
    let server = MockMonday::new()
        .profile(LatencyProfile::Instant)
        .seed(7)
        .token("tok")
        .start()
        .await
        .expect("server starts");
    let url = server.uri();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v2"),
        "{url}"
    );
    let client = reqwest::Client::new();

    let r = post(&client, &url, "tok", CREATE).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("api-version").is_some());
    assert!(r.headers().get("ratelimit").is_some());
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["data"]["a"]["name"], "From HTTP");
    assert!(b["extensions"]["request_id"].is_string());

    let r = post(&client, &url, "wrong", CREATE).await;
    assert_eq!(r.status(), 401);

    let stats = server.stats();
    assert_eq!(stats.requests_total, 2);
    assert_eq!(stats.items_created_total, 1);
    let items = server.board_items("1234567890").expect("board exists");
    assert_eq!(items["items"].as_array().map(Vec::len), Some(1));

    let base = server.base_uri();
    let refused = client
        .get(format!("{base}/__admin/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "admin endpoints need the token too");
    let health = get_json(&client, &format!("{base}/__admin/health"), "tok").await;
    assert_eq!(health["status"], "ok");
    let stats = get_json(&client, &format!("{base}/__admin/stats"), "tok").await;
    assert_eq!(stats["requests_total"], 2);
    assert_eq!(stats["responses_by_status"]["401"], 1);
    let items = get_json(
        &client,
        &format!("{base}/__admin/boards/1234567890/items"),
        "tok",
    )
    .await;
    assert_eq!(items["items"].as_array().map(Vec::len), Some(1));
    let missing = client
        .get(format!("{base}/__admin/boards/42/items"))
        .header("Authorization", "tok")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let reset = client
        .post(format!("{base}/__admin/reset"))
        .header("Authorization", "tok")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(server.stats().requests_total, 0);
    assert!(
        server.received_requests().await.is_none(),
        "recording is off by default"
    );
}

#[tokio::test]
async fn wiremock_face_maps_reset_to_an_empty_502() {
    let server = MockMonday::new()
        .profile(LatencyProfile::Instant)
        .faults(FaultConfig::parse("reset=1").unwrap())
        .record_requests(true)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let r = post(&client, &server.uri(), "any", CREATE).await;
    assert_eq!(r.status(), 502);
    assert_eq!(
        r.headers()
            .get("x-mock-monday-fault")
            .map(|v| v.to_str().unwrap()),
        Some("reset")
    );
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(server.stats().resets_total, 1);
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
}
