//! Proves that taking and releasing a free slot on a Hot entry allocates nothing, with
//! a counting global allocator (its own test binary, so no other test interferes).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use symphony_pit::pool::{InstrumentConfig, Pool, PoolConfig, Priority, TransitionReason};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: forwards to the system allocator; only counts (thread-locally) on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn acquiring_a_free_slot_on_a_hot_entry_allocates_nothing() {
    let pool = Pool::new(PoolConfig::default());
    let entry = pool.add(InstrumentConfig::new("m").slots(4)).unwrap();
    pool.warm("m", TransitionReason::UserRequest).unwrap();
    pool.mark_hot("m").unwrap();
    // Warm up anything lazily initialised.
    drop(entry.try_acquire().unwrap());
    // The counter does see allocations.
    let before = allocations();
    drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
    assert_eq!(allocations() - before, 1);

    let before = allocations();
    for _ in 0..1000 {
        let a = entry.try_acquire().unwrap();
        let b = entry.try_acquire().unwrap();
        drop(a);
        drop(b);
    }
    assert_eq!(allocations() - before, 0, "try_acquire + drop allocated");

    // The async path takes the same fast path: poll it once, it is ready at once.
    let mut cx = Context::from_waker(Waker::noop());
    let before = allocations();
    for _ in 0..1000 {
        let fut = pin!(entry.acquire(Priority::Normal, Duration::from_secs(1)));
        match fut.poll(&mut cx) {
            Poll::Ready(Ok(guard)) => drop(guard),
            other => panic!("expected a free slot at once, got {other:?}"),
        }
    }
    assert_eq!(
        allocations() - before,
        0,
        "acquire().await + drop allocated"
    );
}
