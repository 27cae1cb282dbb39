//! The client_path bench's workload as a plain loop, for `valgrind --tool=callgrind` (repeatable
//! instruction counts): transform + payload build + response parse for ITER batches of 25 records.
//!
//! cargo build --release -p monday-sync --example client_path_profile
//! valgrind --tool=callgrind target/release/examples/client_path_profile 200

use monday_sync::config::SyncConfig;
use monday_sync::input::SourceRecord;
use monday_sync::payload::{alias, build_mutation, classify, Entry, Op};
use monday_sync::transform::Transformer;
use monday_sync::transport::ApiResponse;
use serde_json::json;

fn record(i: usize) -> SourceRecord {
    let v = json!({"order_id": format!("ORD-{i:06}"), "customer":"Acme Apparel","po_number":"PO-88231",
        "style":"ST-1042 Crew Neck Tee","colour":"Navy","sizes":"S,M,L","quantity":120,"unit_price":"4.75",
        "status":"In Production","order_date":"2026-03-14","ship_date":"2026-04-02",
        "contact_email":"buyer@acme.example","contact_phone":"+14155550100","contact_country":"US",
        "tracking_url":"https://track.example/1Z999","rush":true,"production_start":"2026-03-15",
        "production_end":"2026-03-30","notes":"multi-line\ntext"});
    SourceRecord {
        line: i as u64 + 1,
        fields: v.as_object().cloned().unwrap_or_default(),
    }
}

fn main() {
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let cfg = SyncConfig::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/configs/order_list.toml"
    ))
    .expect("config");
    let t = Transformer::new(&cfg);
    const N: usize = 25;
    let recs: Vec<SourceRecord> = (0..N).map(record).collect();
    let ops: Vec<Op> = (0..N)
        .map(|_| Op::Create {
            group_id: Some("group_1".into()),
        })
        .collect();
    let aliases: Vec<String> = (0..N).map(|i| alias(&ops[i], i)).collect();
    let mut data = serde_json::Map::new();
    for (i, a) in aliases.iter().enumerate() {
        data.insert(a.clone(), json!({ "id": (1000 + i).to_string() }));
    }
    data.insert("complexity".into(), json!({"before": 10_000_000, "after": 9_250_000, "query": 750_000, "reset_in_x_seconds": 42}));
    let resp = ApiResponse {
        status: 200,
        headers: vec![(
            "ratelimit".into(),
            "\"complexityMinute\";r=9250000;t=42".into(),
        )],
        body: bytes::Bytes::from(serde_json::to_vec(&json!({ "data": data })).unwrap_or_default()),
    };
    let mut total = 0usize;
    for _ in 0..iters {
        let prepared: Vec<_> = recs
            .iter()
            .filter_map(|r| t.transform_pure(r).ok())
            .collect();
        let entries: Vec<Entry<'_>> = prepared
            .iter()
            .zip(&ops)
            .map(|(record, op)| Entry { record, op })
            .collect();
        let body = build_mutation("1234567890", &entries, true);
        let parsed = classify(&resp, &aliases);
        total += body.len()
            + matches!(parsed.0, monday_sync::payload::ResponseClass::Aliases(_)) as usize;
    }
    println!("{iters} batches of {N}: {total}");
}
