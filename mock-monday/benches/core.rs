//! Benchmarks of the simulator core and of the HTTP face next to a bare wiremock server.
//!
//! - `core/handle_25_alias_create_item`: `Simulator::handle` on a 25-alias `create_item`
//!   mutation with variables (instant profile; the store is reset every 200 requests, untimed).
//! - `http/bare_wiremock_fixed_body` vs `http/mock_monday_face`: the same sequential reqwest
//!   POST loop against a plain wiremock `MockServer` answering a fixed body and against
//!   `MockMonday` (instant profile) executing the request. Goal: the face costs <= 3x the bare
//!   server per request.
//!
//! Run: `cargo bench -p mock-monday --bench core -- --quick`

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use mock_monday::config::{LatencyProfile, LimitSettings, SimConfig};
use mock_monday::{CoreRequest, MockMonday, Simulator};
use serde_json::json;
use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};

const ALIASES: usize = 25;
const RESET_EVERY: u64 = 200;

fn request_body() -> String {
    let mut q = String::from("mutation ($board: ID!, $group: String, $cv: JSON) {");
    for i in 0..ALIASES {
        q.push_str(&format!(
            " a{i}: create_item(board_id: $board, group_id: $group, item_name: \"PO-{i} · Tee\", \
             column_values: $cv, create_labels_if_missing: true) {{ id }}"
        ));
    }
    q.push('}');
    let cv = json!({
        "text_order_key": "ORD-000001", "text_customer": "Acme Apparel",
        "numbers_qty": "120", "status": {"label": "In Production"},
        "dropdown_sizes": {"labels": ["S", "M", "L"]}, "date_order": {"date": "2026-03-14"},
        "email_contact": {"email": "buyer@acme.example", "text": "buyer@acme.example"},
        "checkbox_rush": {"checked": "true"},
    })
    .to_string();
    json!({ "query": q, "variables": { "board": "1234567890", "group": "topics", "cv": cv } })
        .to_string()
}

fn config() -> SimConfig {
    SimConfig {
        profile: LatencyProfile::Instant,
        limits: LimitSettings {
            personal_budget: u64::MAX,
            minute_requests_pro: u32::MAX,
            ip_requests: u32::MAX,
            ..LimitSettings::default()
        },
        ..SimConfig::default()
    }
}

fn core(c: &mut Criterion) {
    let sim = Simulator::new(config()).expect("simulator");
    let body = Bytes::from(request_body());
    let req = CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            ("authorization".into(), "bench".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body,
        client_ip: None,
    };
    let check = sim.handle(req.clone());
    assert_eq!(
        check.status,
        200,
        "{}",
        String::from_utf8_lossy(&check.body)
    );
    sim.reset();
    c.bench_function("core/handle_25_alias_create_item", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                if i % RESET_EVERY == 0 {
                    sim.reset();
                }
                let start = Instant::now();
                let r = sim.handle(req.clone());
                total += start.elapsed();
                criterion::black_box(r);
            }
            total
        })
    });
}

fn http(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let body = request_body();
    let (bare, face) = rt.block_on(async {
        let bare = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        let fixed = json!({ "data": { "a0": { "id": "1" } }, "extensions": { "request_id": "x" } });
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(fixed))
            .mount(&bare)
            .await;
        let face = MockMonday::new()
            .config(config())
            .start()
            .await
            .expect("face");
        (bare, face)
    });
    let client = reqwest::Client::new();
    let bare_url = format!("{}/v2", bare.uri());
    let face_url = face.uri();
    let sim = face.simulator();
    let mut group = c.benchmark_group("http");
    for (name, url) in [
        ("bare_wiremock_fixed_body", bare_url),
        ("mock_monday_face", face_url),
    ] {
        let (client, body, sim) = (client.clone(), body.clone(), sim.clone());
        let rt = &rt;
        group.bench_function(name, move |b| {
            b.to_async(rt).iter_custom(|iters| {
                let (client, body, url, sim) =
                    (client.clone(), body.clone(), url.clone(), sim.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for i in 0..iters {
                        if i % RESET_EVERY == 0 {
                            sim.reset();
                        }
                        let start = Instant::now();
                        let r = client
                            .post(&url)
                            .header("authorization", "bench")
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .expect("sent");
                        assert_eq!(r.status(), 200);
                        let bytes = r.bytes().await.expect("body");
                        total += start.elapsed();
                        criterion::black_box(bytes);
                    }
                    total
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, core, http);
criterion_main!(benches);
