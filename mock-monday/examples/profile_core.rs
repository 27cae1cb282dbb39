//! Runs `Simulator::handle` N times (default 200) on a 25-alias `create_item` request, for
//! profiling under callgrind:
//! `valgrind --tool=callgrind target/release/examples/profile_core N [ALIASES] [shared|sync|meta]`
//! (`shared`: the bench's one-`$cv` request; `sync`: per-alias variables as monday-sync sends;
//! `meta`: `query { complexity { after } }`).
//! Prints a hash of all response bodies and headers so that before/after runs can be compared.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use bytes::Bytes;
use mock_monday::config::{LatencyProfile, LimitSettings, SimConfig};
use mock_monday::{CoreRequest, Simulator};
use serde_json::json;

/// The bench request: `aliases` x `create_item` sharing one `$cv` variable.
fn shared_body(aliases: usize) -> String {
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

/// What `monday-sync` sends: one `$n{i}`/`$g{i}`/`$v{i}` per alias, distinct values, plus
/// `complexity`.
fn sync_body(aliases: usize) -> String {
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
            "dropdown_sizes": {"labels": ["S", "M", "L"]}, "date_order": {"date": format!("2026-03-{:02}", 1 + i % 28)},
            "email_contact": {"email": format!("buyer{i}@acme.example"), "text": "Buyer"},
            "checkbox_rush": {"checked": "true"},
        });
        vars.insert(format!("v{i}"), json!(cv.to_string()));
    }
    fields.push_str(" complexity { before after query reset_in_x_seconds }");
    json!({ "query": format!("mutation ({decls}) {{{fields} }}"), "variables": vars }).to_string()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let aliases: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(25);
    let shape = args.next().unwrap_or_else(|| "shared".to_string());
    // A paused runtime freezes the simulator clock: runs are byte-for-byte repeatable.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let _guard = rt.enter();
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
        body: Bytes::from(match shape.as_str() {
            "sync" => sync_body(aliases),
            "meta" => json!({ "query": "query { complexity { after } }" }).to_string(),
            _ => shared_body(aliases),
        }),
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
            println!(
                "{}",
                String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
            );
        }
    }
    println!("requests={n} hash={:016x}", h.finish());
}
