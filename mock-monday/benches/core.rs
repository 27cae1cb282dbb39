//! Benchmarks of the simulator core and of the HTTP face next to a bare wiremock server.
//!
//! - `core/*`: `Simulator::handle` in-process (instant profile; the store is reset every 200
//!   requests, untimed):
//!   - `handle_25_alias_create_item`: 25 aliased `create_item` sharing one `$cv` variable;
//!   - `handle_25_alias_sync_shape`: 25 aliases with their own `$n{i}`/`$g{i}`/`$v{i}` and
//!     distinct values plus `complexity { ... }`, the shape `monday-sync` sends;
//!   - `handle_complexity_query`: `query { complexity { after } }`.
//! - `http/<request>/bare_wiremock` vs `http/<request>/mock_monday_face`: the same sequential
//!   reqwest POST loop against a plain wiremock `MockServer` answering a fixed body (the bytes the
//!   face answers to that request, captured once) and against `MockMonday` (instant profile)
//!   executing the request, for `complexity_query`, `create_item_1_alias` and
//!   `create_item_25_alias`. Goal: the face costs <= 3x the bare server per request.
//!
//! Run: `cargo bench -p mock-monday --bench core -- --quick`

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use mock_monday::config::{LatencyProfile, LimitSettings, SimConfig};
use mock_monday::{CoreRequest, MockMonday, Simulator};
use serde_json::json;
use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};

const RESET_EVERY: u64 = 200;

/// `aliases` x `create_item` sharing one `$cv` variable (the request).
fn create_items_body(aliases: usize) -> String {
    let mut q = String::from("mutation ($board: ID!, $group: String, $cv: JSON) {");
    for i in 0..aliases {
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

/// What `monday-sync` sends: per-alias variables with distinct values, plus `complexity`.
fn sync_shape_body(aliases: usize) -> String {
    let mut decls = String::from("$b: ID!");
    let mut fields = String::new();
    let mut vars = serde_json::Map::new();
    vars.insert("b".into(), json!("1234567890"));
    for i in 0..aliases {
        decls.push_str(&format!(", $n{i}: String!, $v{i}: JSON, $g{i}: String"));
        fields.push_str(&format!(
            " c{i}: create_item(board_id: $b, item_name: $n{i}, group_id: $g{i}, \
             column_values: $v{i}, create_labels_if_missing: true) {{ id }}"
        ));
        vars.insert(format!("n{i}"), json!(format!("PO-{i:05} · Tee")));
        vars.insert(format!("g{i}"), json!("topics"));
        let status = if i % 2 == 0 { "In Production" } else { "Done" };
        let cv = json!({
            "text_order_key": format!("ORD-{i:06}"), "text_customer": format!("Customer {}", i % 7),
            "numbers_qty": format!("{}", 10 + i), "status": {"label": status},
            "dropdown_sizes": {"labels": ["S", "M", "L"]},
            "date_order": {"date": format!("2026-03-{:02}", 1 + i % 28)},
            "email_contact": {"email": format!("buyer{i}@acme.example"), "text": "Buyer"},
            "checkbox_rush": {"checked": "true"},
        });
        vars.insert(format!("v{i}"), json!(cv.to_string()));
    }
    fields.push_str(" complexity { before after query reset_in_x_seconds }");
    json!({ "query": format!("mutation ({decls}) {{{fields} }}"), "variables": vars }).to_string()
}

fn complexity_body() -> String {
    json!({ "query": "query { complexity { after } }" }).to_string()
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

fn core_request(body: String) -> CoreRequest {
    CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            ("authorization".into(), "bench".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Bytes::from(body),
        client_ip: None,
    }
}

fn core(c: &mut Criterion) {
    let sim = Simulator::new(config()).expect("simulator");
    let mut group = c.benchmark_group("core");
    for (name, body) in [
        ("handle_25_alias_create_item", create_items_body(25)),
        ("handle_25_alias_sync_shape", sync_shape_body(25)),
        ("handle_complexity_query", complexity_body()),
    ] {
        let req = core_request(body);
        let check = sim.handle(req.clone());
        assert_eq!(
            check.status,
            200,
            "{}",
            String::from_utf8_lossy(&check.body)
        );
        sim.reset();
        group.bench_function(name, |b| {
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
    group.finish();
}

fn http(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let face = rt.block_on(async {
        MockMonday::new()
            .config(config())
            .start()
            .await
            .expect("face")
    });
    let sim = face.simulator();
    let client = reqwest::Client::new();
    let mut bare_servers = Vec::new();
    for (request, body) in [
        ("complexity_query", complexity_body()),
        ("create_item_1_alias", create_items_body(1)),
        ("create_item_25_alias", create_items_body(25)),
    ] {
        // The bare server answers the bytes the face answers, so both move the same payload.
        sim.reset();
        let answer = sim.handle(core_request(body.clone()));
        assert_eq!(answer.status, 200);
        sim.reset();
        let bare = rt.block_on(async {
            let bare = MockServer::builder()
                .disable_request_recording()
                .start()
                .await;
            Mock::given(any())
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_raw(answer.body.to_vec(), "application/json; charset=utf-8"),
                )
                .mount(&bare)
                .await;
            bare
        });
        let mut group = c.benchmark_group(format!("http/{request}"));
        for (name, url) in [
            ("bare_wiremock", format!("{}/v2", bare.uri())),
            ("mock_monday_face", face.uri()),
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
                            // Both loops reset (untimed), so they do the same work.
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
        bare_servers.push(bare);
    }
}

criterion_group!(benches, core, http);
criterion_main!(benches);
