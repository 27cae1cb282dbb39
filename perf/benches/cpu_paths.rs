//! CPU paths of a sync, without any waiting: record generation + NDJSON encoding, and a full
//! in-process replay on the instant profile (transform, payload build, response parse and the
//! simulator core's `handle()`, all on the engine's real path). Read the `time` line per benchmark:
//! divide by the record count for CPU time per record.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use monday_perf::generate::{ndjson_bytes, GenerateSpec};
use monday_perf::run::{run_scenario, RunOptions};
use monday_perf::scenario::Scenario;

fn generate(c: &mut Criterion) {
    let mut g = c.benchmark_group("generate");
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
    g.sample_size(10);
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

criterion_group!(benches, generate, replay);
criterion_main!(benches);
