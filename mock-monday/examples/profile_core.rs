//! Runs `Simulator::handle` on the bench's 25-alias `create_item` request N times (default 200),
//! for profiling under callgrind: `valgrind --tool=callgrind target/release/examples/profile_core 200`.
//! Prints a hash of all response bodies and headers so that before/after runs can be compared.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use bytes::Bytes;
use mock_monday::config::{LatencyProfile, LimitSettings, SimConfig};
use mock_monday::{CoreRequest, Simulator};
use serde_json::json;

fn request_body(aliases: usize) -> String {
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

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let aliases: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(25);
    let sim = Simulator::new(SimConfig {
        profile: LatencyProfile::Instant,
        seed: 7,
        limits: LimitSettings {
            personal_budget: u64::MAX,
            minute_requests_pro: u32::MAX,
            ip_requests: u32::MAX,
            ..LimitSettings::default()
        },
        ..SimConfig::default()
    })
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let req = CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            ("authorization".into(), "bench".into()),
            ("content-type".into(), "application/json".into()),
        ],
        body: Bytes::from(request_body(aliases)),
        client_ip: None,
    };
    let mut h = DefaultHasher::new();
    for i in 0..n {
        if i > 0 && i % 200 == 0 {
            sim.reset();
        }
        let r = sim.handle(req.clone());
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.body.hash(&mut h);
        r.headers.hash(&mut h);
        r.delay.hash(&mut h);
        if i == 0 {
            println!("{}", String::from_utf8_lossy(&r.body[..r.body.len().min(300)]));
        }
    }
    println!("requests={n} hash={:016x}", h.finish());
}
