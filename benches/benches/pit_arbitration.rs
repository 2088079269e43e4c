//! Arbitration Engine benches: decisions per second (target over 1,000,000) for each
//! strategy over 1,000 pending requests, and buffer-region settlement.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use symphony_pit::arbitration::{
    ArbiterConfig, ArbiterState, Priority, RegionClaim, Request, Resource, Strategy, decide_into,
    settle_regions,
};

fn pending(n: u64) -> Vec<Request> {
    (0..n)
        .map(|i| {
            let p = Priority::from_rank(((i * 7) % 5) as u8);
            Request::new(i, format!("req-{}", i % 16), p, 1 + i % 3, (i * 13) % 500)
        })
        .collect()
}

fn decisions(c: &mut Criterion) {
    let reqs = pending(1_000);
    let state = ArbiterState {
        served: (0..16).map(|i| (format!("req-{i}"), i * 3)).collect(),
        last_served: Some("req-3".into()),
    };
    let mut group = c.benchmark_group("pit_arbitration");
    group.throughput(Throughput::Elements(reqs.len() as u64));
    for strategy in [
        Strategy::Priority,
        Strategy::Fifo,
        Strategy::RoundRobin,
        Strategy::WeightedFairShare,
    ] {
        let config = ArbiterConfig::new(
            Resource::InstrumentSlot {
                instrument: "m".into(),
            },
            64,
        )
        .strategy(strategy)
        .weight("req-1", 4);
        let mut out = Vec::with_capacity(reqs.len());
        group.bench_function(format!("decide_1000_{strategy:?}"), |b| {
            b.iter(|| {
                out.clear();
                decide_into(&config, &state, 600, 64, black_box(&reqs), &mut out);
                black_box(out.len())
            })
        });
    }
    let claims: Vec<RegionClaim> = reqs
        .iter()
        .map(|r| RegionClaim {
            request: r.clone(),
            buffer: format!("buf-{}", r.id % 8),
            range: (r.id * 37) % 10_000..(r.id * 37) % 10_000 + 40,
        })
        .collect();
    let config = ArbiterConfig::new(Resource::BufferRegion { buffer: "b".into() }, 1);
    group.bench_function("settle_1000_regions", |b| {
        b.iter(|| {
            settle_regions(&config, &ArbiterState::default(), 600, black_box(&claims))
                .map(|d| d.len())
        })
    });
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
