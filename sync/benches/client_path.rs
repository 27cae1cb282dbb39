//! The client's own CPU cost per record: transform + payload build + response parse, for a batch
//! of 25 order records (goal: < 5 µs per record).
//!
//! - `client_path/transform_build_parse/25`: one batch per iteration; `thrpt` is records/s.
//! - `client_path/per_record`: the same work, timed per record (`time` is µs per record).
//!
//! Nothing else is measured: records are built, the config loaded and the response body
//! serialised once, outside the timed loop. For repeatable instruction counts use the
//! `client_path_profile` example under `valgrind --tool=callgrind`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
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

fn bench(c: &mut Criterion) {
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
    // Every record must transform, or the bench would silently measure less work.
    assert!(recs.iter().all(|r| t.transform_pure(r).is_ok()));
    let batch = || {
        let prepared: Vec<_> = recs
            .iter()
            .map(|r| t.transform_pure(r).expect("transform"))
            .collect();
        let entries: Vec<Entry<'_>> = prepared
            .iter()
            .zip(&ops)
            .map(|(record, op)| Entry { record, op })
            .collect();
        let body = build_mutation("1234567890", &entries, true);
        let parsed = classify(&resp, &aliases);
        (body.len(), parsed)
    };
    let mut g = c.benchmark_group("client_path");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("transform_build_parse", N), |b| {
        b.iter(|| black_box(batch()))
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("per_record", |b| {
        b.iter_custom(|iters| {
            // Whole batches; the elapsed time is divided by the records they carried.
            let batches = iters.div_ceil(N as u64).max(1);
            let start = std::time::Instant::now();
            for _ in 0..batches {
                black_box(batch());
            }
            start
                .elapsed()
                .mul_f64(iters as f64 / (batches * N as u64) as f64)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
