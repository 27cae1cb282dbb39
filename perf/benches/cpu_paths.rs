//! CPU paths of a sync, without any waiting. Every benchmark reports `thrpt` in records per second
//! (`Throughput::Elements(records)`); divide the `time` line by the record count for CPU time per
//! record.
//!
//! - `cpu_paths/transform/1000`: `Transformer::transform_pure` over 1,000 generated order records
//!   (seed 1: skewed customers, 20-40% empty fields, non-ASCII, labels not yet on the board);
//! - `cpu_paths/payload_build/1000`: `payload::build_mutation` for those records in batches of 25;
//! - `cpu_paths/response_parse/1000`: `payload::classify` of the simulator's real answers to those
//!   batches (25 aliases + `complexity` each);
//! - `cpu_paths/simulator_handle/1000`: `Simulator::handle` on those 40 batch bodies (instant
//!   profile, a fresh simulator per iteration, built outside the measurement);
//! - `generate/1000_records`: the workload generator (records + NDJSON encoding);
//! - `replay_instant/{100,1000}`: a full in-process run on the instant profile (all of the above on
//!   the engine's real path, plus the engine's own bookkeeping and the board check).
//!
//! Kept short on purpose (small samples, 2 s measurements): `cargo bench -p monday-perf --bench
//! cpu_paths` takes about a minute.

use std::time::Duration;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use mock_monday::{CoreRequest, LatencyProfile, SimConfig, Simulator};
use monday_perf::replay::run::{run_scenario, RunOptions};
use monday_perf::workload::generate::{ndjson_bytes, GenerateSpec};
use monday_perf::workload::scenario::Scenario;
use monday_sync::config::SyncConfig;
use monday_sync::input::SourceRecord;
use monday_sync::payload::{alias, build_mutation, classify, Entry, Op};
use monday_sync::transform::{PreparedRecord, Transformer};
use monday_sync::transport::ApiResponse;
use serde_json::Value;

const RECORDS: usize = 1_000;
const BATCH: usize = 25;
const BOARD: &str = "1234567890";

/// Everything the CPU-path benchmarks feed on, built once.
struct Fixture {
    transformer: Transformer,
    records: Vec<SourceRecord>,
    prepared: Vec<PreparedRecord>,
    ops: Vec<Op>,
    aliases: Vec<String>,
    bodies: Vec<Bytes>,
    responses: Vec<ApiResponse>,
}

fn sim_config() -> SimConfig {
    let mut config = SimConfig {
        profile: LatencyProfile::Instant,
        seed: 1,
        ..SimConfig::default()
    };
    // 40 batches of 25 creates cost 30M points: lift the budget so none is throttled.
    config.limits.personal_budget = 1_000_000_000_000;
    config
}

fn request(body: Bytes) -> CoreRequest {
    CoreRequest {
        method: "POST".into(),
        path: "/v2".into(),
        headers: vec![
            ("authorization".into(), "bench-token".into()),
            ("content-type".into(), "application/json".into()),
            ("api-version".into(), "2026-10".into()),
        ],
        body,
        client_ip: None,
    }
}

fn fixture() -> Fixture {
    let (toml, origin) = Scenario::default().config_toml().expect("embedded config");
    let cfg = SyncConfig::from_toml_str(&toml, &origin).expect("config parses");
    let transformer = Transformer::new(&cfg);
    let ndjson = ndjson_bytes(GenerateSpec {
        records: RECORDS as u64,
        seed: 1,
    })
    .expect("generate");
    let records: Vec<SourceRecord> = ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
        .filter_map(|(i, line)| match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(fields)) => Some(SourceRecord {
                line: i as u64 + 1,
                fields,
            }),
            _ => None,
        })
        .collect();
    let prepared: Vec<PreparedRecord> = records
        .iter()
        .filter_map(|r| transformer.transform_pure(r).ok())
        .collect();
    let ops: Vec<Op> = (0..BATCH)
        .map(|_| Op::Create {
            group_id: Some("topics".into()),
        })
        .collect();
    let aliases: Vec<String> = ops.iter().enumerate().map(|(i, op)| alias(op, i)).collect();
    let bodies: Vec<Bytes> = prepared
        .chunks(BATCH)
        .map(|chunk| Bytes::from(build_mutation(BOARD, &entries(chunk, &ops), true)))
        .collect();
    let sim = Simulator::new(sim_config()).expect("simulator");
    let responses: Vec<ApiResponse> = bodies
        .iter()
        .map(|body| {
            let r = sim.handle(request(body.clone()));
            ApiResponse {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }
        })
        .collect();
    assert!(
        responses.iter().all(|r| r.status == 200),
        "the simulator accepts every batch"
    );
    Fixture {
        transformer,
        records,
        prepared,
        ops,
        aliases,
        bodies,
        responses,
    }
}

fn entries<'a>(chunk: &'a [PreparedRecord], ops: &'a [Op]) -> Vec<Entry<'a>> {
    chunk
        .iter()
        .zip(ops)
        .map(|(record, op)| Entry { record, op })
        .collect()
}

fn cpu_paths(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("cpu_paths");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    g.throughput(Throughput::Elements(f.records.len() as u64));
    g.bench_function(BenchmarkId::new("transform", f.records.len()), |b| {
        b.iter(|| {
            f.records
                .iter()
                .filter_map(|r| f.transformer.transform_pure(r).ok())
                .count()
        })
    });

    g.throughput(Throughput::Elements(f.prepared.len() as u64));
    g.bench_function(BenchmarkId::new("payload_build", f.prepared.len()), |b| {
        b.iter(|| {
            f.prepared
                .chunks(BATCH)
                .map(|chunk| build_mutation(BOARD, &entries(chunk, &f.ops), true).len())
                .sum::<usize>()
        })
    });

    g.bench_function(BenchmarkId::new("response_parse", f.prepared.len()), |b| {
        b.iter(|| {
            for (resp, chunk) in f.responses.iter().zip(f.prepared.chunks(BATCH)) {
                std::hint::black_box(classify(resp, &f.aliases[..chunk.len()]));
            }
        })
    });

    g.bench_function(
        BenchmarkId::new("simulator_handle", f.prepared.len()),
        |b| {
            b.iter_batched(
                || Simulator::new(sim_config()).expect("simulator"),
                |sim| {
                    f.bodies
                        .iter()
                        .map(|body| sim.handle(request(body.clone())).body.len())
                        .sum::<usize>()
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

fn generate(c: &mut Criterion) {
    let mut g = c.benchmark_group("generate");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("1000_records", |b| {
        b.iter(|| {
            ndjson_bytes(GenerateSpec {
                records: 1_000,
                seed: 1,
            })
        })
    });
    g.finish();
}

fn replay(c: &mut Criterion) {
    let mut g = c.benchmark_group("replay_instant");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for records in [100u64, 1_000] {
        let s = Scenario {
            name: "bench".into(),
            records,
            profile: "instant".into(),
            ..Scenario::default()
        };
        g.throughput(Throughput::Elements(records));
        g.bench_with_input(BenchmarkId::from_parameter(records), &s, |b, s| {
            b.iter(|| run_scenario(s, &RunOptions::default()))
        });
    }
    g.finish();
}

criterion_group!(benches, cpu_paths, generate, replay);
criterion_main!(benches);
