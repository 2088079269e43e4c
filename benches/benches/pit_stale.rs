//! Stale Manager bench: planning retention over 100,000 artifacts (target under
//! 100 ms) with the default policy, a size budget and live references.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use symphony_pit::stale::{Action, Holder, LiveRefs, Policy, RetentionSubject, Rule};

fn subjects(n: u64) -> Vec<RetentionSubject> {
    (0..n)
        .map(|i| {
            let mut s =
                RetentionSubject::new(format!("{i:064x}"), "completion", 1_000 + i % 5_000, i * 60);
            if i % 3 != 0 {
                s.quality = Some((i % 100) as f64 / 100.0);
            }
            if i % 50 == 0 {
                s.tags.push("keep".into());
            }
            if i % 97 == 0 {
                s.pinned = true;
            }
            s
        })
        .collect()
}

fn plan(c: &mut Criterion) {
    let n = 100_000u64;
    let subjects = subjects(n);
    let mut refs = LiveRefs::new();
    for i in (0..n).step_by(100) {
        refs.add(
            format!("{i:064x}"),
            Holder::Workflow(format!("run-{}", i % 7)),
        );
    }
    let now = n * 60 + 1;
    let policy = Policy::new(vec![
        Rule::KeepReferenced,
        Rule::KeepPinned,
        Rule::KeepTagged {
            tags: vec!["keep".into()],
        },
        Rule::MinQuality {
            min: 0.1,
            action: Action::Delete,
        },
        Rule::MaxAge {
            max_age_secs: 60 * 80_000,
            action: Action::Archive,
        },
        Rule::MaxTotalSize {
            max_bytes: 100_000_000,
            action: Action::Delete,
        },
    ]);
    let mut group = c.benchmark_group("pit_stale");
    group.throughput(Throughput::Elements(n));
    group.sample_size(10);
    group.bench_function("plan_100k_artifacts", |b| {
        b.iter(|| {
            black_box(policy.plan(black_box(&subjects), &refs, now))
                .actions
                .len()
        })
    });
    group.bench_function("evaluate_100k_artifacts", |b| {
        b.iter(|| {
            subjects
                .iter()
                .filter(|s| policy.evaluate(s, &refs, now).action != Action::Keep)
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, plan);
criterion_main!(benches);
