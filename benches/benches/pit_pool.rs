//! Pool Manager benches: acquire + release of a free slot on a Hot entry (target
//! under 100 ns), the async fast path, and a queued hand-off from holder to waiter.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use symphony_pit::pool::{Entry, InstrumentConfig, Pool, PoolConfig, Priority, TransitionReason};

fn hot_entry(pool: &Pool, slots: u32) -> Entry {
    let entry = pool
        .add(InstrumentConfig::new("bench").slots(slots))
        .expect("add");
    pool.warm("bench", TransitionReason::UserRequest)
        .expect("warm");
    pool.mark_hot("bench").expect("hot");
    entry
}

fn acquire_release(c: &mut Criterion) {
    let pool = Pool::new(PoolConfig::default());
    let entry = hot_entry(&pool, 4);
    let mut group = c.benchmark_group("pit_pool");
    group.bench_function("try_acquire_release_hot", |b| {
        b.iter(|| drop(black_box(entry.try_acquire().expect("free slot"))))
    });
    let mut cx = Context::from_waker(Waker::noop());
    group.bench_function("acquire_async_fast_path_hot", |b| {
        b.iter(|| {
            let fut = pin!(entry.acquire(Priority::Normal, Duration::from_secs(1)));
            match fut.poll(&mut cx) {
                Poll::Ready(Ok(guard)) => drop(black_box(guard)),
                _ => unreachable!("a slot is free"),
            }
        })
    });
    group.finish();
}

fn queued_handoff(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _enter = rt.enter();
    let pool = Pool::new(PoolConfig::default());
    let entry = hot_entry(&pool, 1);
    let mut cx = Context::from_waker(Waker::noop());
    c.bench_function("pit_pool/queued_handoff", |b| {
        b.iter(|| {
            let held = entry.try_acquire().expect("free slot");
            let mut waiter = pin!(entry.acquire(Priority::High, Duration::from_secs(5)));
            assert!(waiter.as_mut().poll(&mut cx).is_pending());
            drop(held); // hands the slot straight to the waiter
            match waiter.poll(&mut cx) {
                Poll::Ready(Ok(guard)) => drop(black_box(guard)),
                _ => unreachable!("the slot was handed off"),
            }
        })
    });
}

criterion_group!(benches, acquire_release, queued_handoff);
criterion_main!(benches);
