//! Pool Manager behaviour: slots and queueing, lifecycle, health and fallback, LRU
//! under a memory budget, prewarming statistics, idle cooling and the snapshot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use proptest::prelude::*;
use symphony_pit::pool::*;

fn hot_pool(entries: &[InstrumentConfig], config: PoolConfig) -> Pool {
    let pool = Pool::new(config);
    for c in entries {
        pool.add(c.clone()).unwrap();
        pool.warm(&c.name, TransitionReason::UserRequest).unwrap();
        pool.mark_hot(&c.name).unwrap();
    }
    pool
}

const LONG: Duration = Duration::from_secs(10);

#[tokio::test]
async fn guards_release_on_drop() {
    let pool = hot_pool(
        &[InstrumentConfig::new("m").slots(2)],
        PoolConfig::default(),
    );
    let e = pool.entry("m").unwrap();
    let a = e.acquire(Priority::Normal, LONG).await.unwrap();
    let b = e.try_acquire().unwrap();
    assert_eq!(e.slots_used(), 2);
    assert!(matches!(e.try_acquire(), Err(PoolError::Busy { .. })));
    drop(a);
    assert_eq!(e.slots_used(), 1);
    drop(b);
    assert_eq!(e.slots_used(), 0);
    let _c = e.try_acquire().unwrap();
}

#[tokio::test]
async fn waiters_are_served_in_priority_order_then_arrival() {
    let pool = hot_pool(
        &[InstrumentConfig::new("m").slots(1)],
        PoolConfig::default(),
    );
    let e = pool.entry("m").unwrap();
    let held = e.try_acquire().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let arrivals = [
        (Priority::Low, "low-1"),
        (Priority::Background, "bg"),
        (Priority::Critical, "crit"),
        (Priority::Low, "low-2"),
        (Priority::High, "high"),
    ];
    for (i, (p, label)) in arrivals.into_iter().enumerate() {
        let (task_entry, order) = (e.clone(), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            let g = task_entry.acquire(p, LONG).await.unwrap();
            order.lock().push(label);
            drop(g);
        }));
        // Make sure each one is queued before the next arrives.
        while e.queue_len() < i + 1 {
            tokio::task::yield_now().await;
        }
    }
    assert_eq!(e.queue_len(), 5);
    drop(held);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock(), ["crit", "high", "low-1", "low-2", "bg"]);
    assert_eq!(e.slots_used(), 0);
    assert_eq!(e.queue_len(), 0);
}

#[tokio::test]
async fn a_waiter_times_out_and_leaves_the_queue() {
    let pool = hot_pool(
        &[InstrumentConfig::new("m").slots(1)],
        PoolConfig::default(),
    );
    let e = pool.entry("m").unwrap();
    let held = e.try_acquire().unwrap();
    let err = e
        .acquire(Priority::Critical, Duration::from_millis(30))
        .await
        .unwrap_err();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err}");
    assert_eq!(e.queue_len(), 0);
    drop(held);
    assert_eq!(e.slots_used(), 0, "no slot leaked to the timed-out waiter");
    let _again = e.try_acquire().unwrap();
}

#[tokio::test]
async fn a_cancelled_wait_leaves_the_queue() {
    let pool = hot_pool(
        &[InstrumentConfig::new("m").slots(1)],
        PoolConfig::default(),
    );
    let e = pool.entry("m").unwrap();
    let held = e.try_acquire().unwrap();
    tokio::select! {
        _ = e.acquire(Priority::High, LONG) => panic!("no slot was free"),
        _ = tokio::time::sleep(Duration::from_millis(20)) => {}
    }
    assert_eq!(e.queue_len(), 0);
    drop(held);
    assert_eq!(e.slots_used(), 0);
}

#[tokio::test]
async fn pool_acquire_warms_a_cold_entry() {
    let pool = Pool::new(PoolConfig::default());
    pool.add(InstrumentConfig::new("m")).unwrap();
    let (entry, _guard) = pool.acquire("m", Priority::Normal, LONG).await.unwrap();
    assert_eq!(entry.state(), State::Warming);
    assert_eq!(entry.slots_used(), 1);
}

#[tokio::test]
async fn waiters_are_told_when_the_entry_fails() {
    let pool = Arc::new(hot_pool(
        &[InstrumentConfig::new("m").slots(1)],
        PoolConfig::default(),
    ));
    let e = pool.entry("m").unwrap();
    let held = e.try_acquire().unwrap();
    let waiter = {
        let e = e.clone();
        tokio::spawn(async move { e.acquire(Priority::Normal, LONG).await })
    };
    while e.queue_len() == 0 {
        tokio::task::yield_now().await;
    }
    pool.fail("m", "backend crashed").unwrap();
    let err = waiter.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            PoolError::NotAccepting {
                state: State::Failed,
                ..
            }
        ),
        "{err}"
    );
    drop(held);
    assert_eq!(e.slots_used(), 0);
    assert_eq!(
        pool.snapshot().entries[0].last_error.as_deref(),
        Some("backend crashed")
    );
}

#[test]
fn invalid_transitions_are_rejected() {
    let pool = Pool::new(PoolConfig::default());
    pool.add(InstrumentConfig::new("m")).unwrap();
    let invalid = |r: Result<Transition>, from, to| match r {
        Err(PoolError::InvalidTransition { from: f, to: t, .. }) => assert_eq!((f, t), (from, to)),
        other => panic!("expected {from} -> {to} to be refused, got {other:?}"),
    };
    invalid(pool.mark_hot("m"), State::Cold, State::Hot);
    invalid(
        pool.cool("m", TransitionReason::UserRequest),
        State::Cold,
        State::Cooling,
    );
    invalid(pool.recover("m"), State::Cold, State::Cold);
    pool.warm("m", TransitionReason::UserRequest).unwrap();
    invalid(
        pool.warm("m", TransitionReason::UserRequest),
        State::Warming,
        State::Warming,
    );
    invalid(pool.mark_cold("m"), State::Warming, State::Cold);
    pool.mark_hot("m").unwrap();
    invalid(
        pool.transition("m", State::Warming, TransitionReason::UserRequest),
        State::Hot,
        State::Warming,
    );
    pool.fail("m", "oom").unwrap();
    invalid(pool.mark_hot("m"), State::Failed, State::Hot);
    invalid(
        pool.warm("m", TransitionReason::UserRequest),
        State::Failed,
        State::Warming,
    );
    assert_eq!(pool.entry("m").unwrap().state(), State::Failed);
    assert!(matches!(
        pool.mark_hot("nope"),
        Err(PoolError::UnknownInstrument { .. })
    ));
}

#[test]
fn the_full_cycle_is_recorded_with_reasons_and_listeners_hear_it() {
    let pool = Pool::new(PoolConfig::default());
    let mut rx = pool.subscribe();
    pool.add(InstrumentConfig {
        history_len: 4,
        ..InstrumentConfig::new("m")
    })
    .unwrap();
    pool.warm("m", TransitionReason::Prewarm).unwrap();
    pool.mark_hot("m").unwrap();
    pool.cool("m", TransitionReason::IdleTimeout).unwrap();
    pool.mark_cold("m").unwrap();
    pool.fail("m", "disk full").unwrap();
    pool.recover("m").unwrap();
    let e = pool.entry("m").unwrap();
    let h = e.history();
    assert_eq!(h.len(), 4, "history is bounded");
    let moves: Vec<_> = h.iter().map(|t| (t.from, t.to, t.reason)).collect();
    assert_eq!(
        moves,
        [
            (State::Hot, State::Cooling, TransitionReason::IdleTimeout),
            (State::Cooling, State::Cold, TransitionReason::UserRequest),
            (State::Cold, State::Failed, TransitionReason::HealthFailure),
            (State::Failed, State::Cold, TransitionReason::Recovery),
        ]
    );
    assert_eq!(e.last_error(), None, "recovery clears the error");
    let mut heard = Vec::new();
    while let Ok(PoolEvent::Transition { transition, .. }) = rx.try_recv() {
        heard.push(transition.to);
    }
    assert_eq!(
        heard,
        [
            State::Warming,
            State::Hot,
            State::Cooling,
            State::Cold,
            State::Failed,
            State::Cold
        ]
    );
}

#[test]
fn cooling_is_refused_while_a_slot_is_held() {
    let pool = hot_pool(&[InstrumentConfig::new("m")], PoolConfig::default());
    let g = pool.entry("m").unwrap().try_acquire().unwrap();
    assert!(matches!(
        pool.cool("m", TransitionReason::UserRequest),
        Err(PoolError::InUse { used: 1, .. })
    ));
    drop(g);
    pool.cool("m", TransitionReason::UserRequest).unwrap();
    assert!(matches!(
        pool.entry("m").unwrap().try_acquire(),
        Err(PoolError::NotAccepting { .. })
    ));
}

fn unhealthy_after_three() -> HealthThresholds {
    HealthThresholds {
        min_samples: 3,
        ..HealthThresholds::default()
    }
}

#[tokio::test]
async fn unhealthy_entries_are_skipped_for_their_fallback() {
    let pool = hot_pool(
        &[
            InstrumentConfig::new("local")
                .fallback("remote")
                .thresholds(unhealthy_after_three()),
            InstrumentConfig::new("remote").thresholds(unhealthy_after_three()),
        ],
        PoolConfig::default(),
    );
    let mut rx = pool.subscribe();
    assert_eq!(pool.pick("local").unwrap().name(), "local");
    let ok = CallSample::ok(
        Duration::from_millis(100),
        Some(Duration::from_millis(20)),
        50,
    );
    let bad = CallSample::failed(Duration::from_millis(5));
    assert_eq!(
        pool.record_call("local", ok).unwrap(),
        HealthStatus::Healthy
    );
    for _ in 0..7 {
        pool.record_call("local", ok).unwrap();
    }
    pool.record_call("local", bad).unwrap();
    assert_eq!(
        pool.record_call("local", bad).unwrap(),
        HealthStatus::Degraded,
        "2 of 10 failed"
    );
    assert_eq!(
        pool.pick("local").unwrap().name(),
        "local",
        "degraded is still used"
    );
    for _ in 0..6 {
        pool.record_call("local", bad).unwrap();
    }
    assert_eq!(
        pool.entry("local").unwrap().health_status(),
        HealthStatus::Unhealthy
    );
    assert_eq!(pool.pick("local").unwrap().name(), "remote");
    let (entry, _g) = pool.acquire("local", Priority::High, LONG).await.unwrap();
    assert_eq!(entry.name(), "remote");

    let mut health_events = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let PoolEvent::Health { to, .. } = ev {
            health_events.push(to);
        }
    }
    assert_eq!(
        health_events,
        [HealthStatus::Degraded, HealthStatus::Unhealthy]
    );

    let figures = pool.entry("local").unwrap().health();
    assert_eq!(figures.samples, 16);
    assert_eq!(figures.error_rate, 0.5);
    assert_eq!(figures.ttft_p50, Some(Duration::from_millis(20)));

    pool.fail("remote", "quota exhausted").unwrap();
    match pool.pick("local") {
        Err(PoolError::NoHealthyInstrument { tried, .. }) => assert_eq!(tried, ["local", "remote"]),
        other => panic!("expected no healthy instrument, got {other:?}"),
    }
    pool.recover("remote").unwrap();
    assert_eq!(pool.pick("local").unwrap().name(), "remote");
}

#[test]
fn a_fallback_cycle_ends() {
    let pool = Pool::new(PoolConfig::default());
    pool.add(InstrumentConfig::new("a").fallback("b")).unwrap();
    pool.add(InstrumentConfig::new("b").fallback("a")).unwrap();
    pool.fail("a", "x").unwrap();
    pool.fail("b", "y").unwrap();
    assert!(matches!(
        pool.pick("a"),
        Err(PoolError::NoHealthyInstrument { .. })
    ));
}

const GIB: u64 = 1 << 30;

#[test]
fn lru_evicts_the_least_recently_used_idle_entry_never_one_in_use() {
    let pool = hot_pool(
        &[
            InstrumentConfig::new("a").memory_bytes(4 * GIB),
            InstrumentConfig::new("b").memory_bytes(4 * GIB),
        ],
        PoolConfig {
            memory_budget: Some(10 * GIB),
            ..PoolConfig::default()
        },
    );
    pool.add(InstrumentConfig::new("c").memory_bytes(4 * GIB))
        .unwrap();
    pool.add(InstrumentConfig::new("d").memory_bytes(4 * GIB))
        .unwrap();
    let a = pool.entry("a").unwrap();
    let b = pool.entry("b").unwrap();
    // a is the least recently used but stays in use.
    let held_a = a.try_acquire().unwrap();
    drop(b.try_acquire().unwrap());
    pool.warm("c", TransitionReason::UserRequest).unwrap();
    assert_eq!(a.state(), State::Hot, "in use: never evicted");
    assert_eq!(b.state(), State::Cold);
    let evicted: Vec<_> = b.history().iter().rev().take(2).map(|t| t.reason).collect();
    assert_eq!(evicted, [TransitionReason::ResourcePressure; 2]);
    pool.mark_hot("c").unwrap();
    let held_c = pool.entry("c").unwrap().try_acquire().unwrap();
    match pool.warm("d", TransitionReason::UserRequest) {
        Err(PoolError::MemoryBudget { pinned, .. }) => assert_eq!(pinned, 8 * GIB),
        other => panic!("expected the budget to refuse, got {other:?}"),
    }
    assert_eq!(
        (a.state(), pool.entry("c").unwrap().state()),
        (State::Hot, State::Hot)
    );
    assert_eq!(pool.memory_in_use(), 8 * GIB);
    drop(held_a);
    pool.warm("d", TransitionReason::UserRequest).unwrap();
    assert_eq!(a.state(), State::Cold, "idle now, so evictable");
    drop(held_c);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn lru_never_evicts_an_entry_in_use(
        sizes in prop::collection::vec(1u64..5, 2..8),
        in_use in prop::collection::vec(any::<bool>(), 8),
        new_size in 1u64..5,
    ) {
        let configs: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(i, s)| InstrumentConfig::new(format!("m{i}")).memory_bytes(*s))
            .collect();
        let total: u64 = sizes.iter().sum();
        let pool = hot_pool(&configs, PoolConfig { memory_budget: Some(total + 1), ..PoolConfig::default() });
        pool.add(InstrumentConfig::new("new").memory_bytes(new_size)).unwrap();
        let mut guards = Vec::new();
        for (i, busy) in in_use.iter().take(sizes.len()).enumerate() {
            if *busy {
                guards.push((format!("m{i}"), pool.entry(&format!("m{i}")).unwrap().try_acquire().unwrap()));
            }
        }
        let result = pool.warm("new", TransitionReason::UserRequest);
        for (name, _) in &guards {
            prop_assert_eq!(pool.entry(name).unwrap().state(), State::Hot);
        }
        let busy: u64 = guards.iter().map(|(n, _)| pool.entry(n).unwrap().config().memory_bytes).sum();
        match result {
            Ok(_) => prop_assert!(pool.memory_in_use() <= total + 1),
            Err(PoolError::MemoryBudget { .. }) => prop_assert!(busy + new_size > total + 1),
            Err(e) => prop_assert!(false, "unexpected {}", e),
        }
    }
}

#[test]
fn predictor_counts_predictions_hits_and_cold_starts_avoided() {
    let pool = Pool::new(PoolConfig::default());
    for name in ["coder", "chat"] {
        pool.add(InstrumentConfig::new(name)).unwrap();
    }
    // Nothing learnt yet: a first call is a cold start.
    assert!(pool.prewarm_for("write-tests", 9).is_none());
    pool.record_use("write-tests", "coder", 9);
    pool.warm("coder", TransitionReason::UserRequest).unwrap();
    pool.mark_hot("coder").unwrap();
    pool.record_use("write-tests", "coder", 9);
    pool.record_use("explain", "chat", 9);
    pool.record_use("explain", "chat", 9);
    assert_eq!(
        pool.predictor_stats().cold_starts,
        3,
        "coder once, chat twice"
    );

    // coder is already hot: a hit, but no cold start avoided.
    assert_eq!(
        pool.prewarm_for("write-tests", 10).unwrap().instrument,
        "coder"
    );
    pool.record_use("write-tests", "coder", 10);
    // chat is cold: the prediction warms it ahead of the call.
    assert_eq!(pool.prewarm_for("explain", 10).unwrap().instrument, "chat");
    let chat = pool.entry("chat").unwrap();
    assert_eq!(chat.state(), State::Warming);
    assert_eq!(
        chat.history().last().map(|t| t.reason),
        Some(TransitionReason::Prewarm)
    );
    pool.record_use("explain", "chat", 10);
    // A wrong guess is a miss.
    pool.prewarm_for("explain", 10).unwrap();
    pool.record_use("explain", "coder", 10);

    let s = pool.predictor_stats();
    assert_eq!(
        (
            s.predictions,
            s.hits,
            s.misses,
            s.cold_starts_avoided,
            s.cold_starts
        ),
        (3, 2, 1, 1, 3)
    );
    assert!((s.hit_rate() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(pool.snapshot().predictor, s);
}

#[test]
fn idle_entries_cool_after_the_timeout_but_busy_ones_do_not() {
    let pool = hot_pool(
        &[InstrumentConfig::new("idle"), InstrumentConfig::new("busy")],
        PoolConfig::default(),
    );
    let g = pool.entry("busy").unwrap().try_acquire().unwrap();
    let t0 = Instant::now();
    let minute = Duration::from_secs(60);
    assert!(pool.sweep_idle(t0, minute).is_empty());
    assert!(
        pool.sweep_idle(t0 + Duration::from_secs(30), minute)
            .is_empty()
    );
    assert_eq!(
        pool.sweep_idle(t0 + Duration::from_secs(61), minute),
        ["idle"]
    );
    let idle = pool.entry("idle").unwrap();
    assert_eq!(idle.state(), State::Cooling);
    assert_eq!(
        idle.history().last().map(|t| t.reason),
        Some(TransitionReason::IdleTimeout)
    );
    assert_eq!(pool.entry("busy").unwrap().state(), State::Hot);
    drop(g);
    pool.mark_cold("idle").unwrap();
}

#[tokio::test]
async fn snapshot_shows_every_entry() {
    let pool = Arc::new(hot_pool(
        &[
            InstrumentConfig::new("b").slots(1).memory_bytes(7),
            InstrumentConfig::new("a").slots(3).fallback("b"),
        ],
        PoolConfig {
            memory_budget: Some(100),
            ..PoolConfig::default()
        },
    ));
    let b = pool.entry("b").unwrap();
    let held = b.try_acquire().unwrap();
    let waiter = {
        let b = b.clone();
        tokio::spawn(async move { b.acquire(Priority::Low, LONG).await.map(drop) })
    };
    while b.queue_len() == 0 {
        tokio::task::yield_now().await;
    }
    pool.record_call("a", CallSample::ok(Duration::from_millis(10), None, 5))
        .unwrap();
    let snap = pool.snapshot();
    let names: Vec<_> = snap.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let (a_s, b_s) = (&snap.entries[0], &snap.entries[1]);
    assert_eq!(
        (a_s.state, a_s.slots_used, a_s.slots_limit, a_s.queue_len),
        (State::Hot, 0, 3, 0)
    );
    assert_eq!((b_s.slots_used, b_s.slots_limit, b_s.queue_len), (1, 1, 1));
    assert_eq!(a_s.health.samples, 1);
    assert_eq!(a_s.fallback.as_deref(), Some("b"));
    assert_eq!(b_s.last_transition.as_ref().map(|t| t.to), Some(State::Hot));
    assert_eq!((snap.memory_in_use, snap.memory_budget), (7, Some(100)));
    let json = serde_json::to_string(&snap).unwrap();
    assert!(json.contains("\"state\":\"hot\""));
    drop(held);
    waiter.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_contending_never_exceed_the_limit_or_lose_a_slot() {
    let pool = hot_pool(
        &[InstrumentConfig::new("m").slots(3)],
        PoolConfig::default(),
    );
    let e = pool.entry("m").unwrap();
    let peak = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut tasks = Vec::new();
    for t in 0..24u32 {
        let (e, peak) = (e.clone(), Arc::clone(&peak));
        tasks.push(tokio::spawn(async move {
            for i in 0..50u32 {
                let p = Priority::from_rank(((t + i) % 5) as u8);
                let g = e.acquire(p, LONG).await.unwrap();
                peak.fetch_max(e.slots_used(), std::sync::atomic::Ordering::SeqCst);
                if i % 7 == 0 {
                    tokio::task::yield_now().await;
                }
                drop(g);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 3);
    assert_eq!((e.slots_used(), e.queue_len()), (0, 0));
    let _all: Vec<_> = (0..3).map(|_| e.try_acquire().unwrap()).collect();
}

fn state_strategy() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::Cold),
        Just(State::Warming),
        Just(State::Hot),
        Just(State::Cooling),
        Just(State::Failed),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn only_lifecycle_moves_are_accepted_and_each_is_recorded(
        moves in prop::collection::vec(state_strategy(), 1..30),
    ) {
        let pool = Pool::new(PoolConfig::default());
        pool.add(InstrumentConfig { history_len: 1000, ..InstrumentConfig::new("m") }).unwrap();
        let mut expected = State::Cold;
        let mut accepted = 0;
        for to in moves {
            let allowed = matches!(
                (expected, to),
                (State::Cold, State::Warming)
                    | (State::Warming, State::Hot)
                    | (State::Hot, State::Cooling)
                    | (State::Cooling, State::Cold)
                    | (State::Failed, State::Cold)
            ) || (to == State::Failed && expected != State::Failed);
            let result = pool.transition("m", to, TransitionReason::UserRequest);
            prop_assert_eq!(result.is_ok(), allowed, "{} -> {}", expected, to);
            if allowed {
                expected = to;
                accepted += 1;
            } else {
                let is_invalid = matches!(result, Err(PoolError::InvalidTransition { .. }));
                prop_assert!(is_invalid);
            }
            prop_assert_eq!(pool.entry("m").unwrap().state(), expected);
        }
        prop_assert_eq!(pool.entry("m").unwrap().history().len(), accepted);
    }
}
