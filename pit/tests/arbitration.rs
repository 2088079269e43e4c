//! Arbitration Engine behaviour: determinism, strategies, ageing against starvation,
//! buffer-region conflicts and fairness figures.

use proptest::prelude::*;
use symphony_pit::arbitration::{
    self as arb, Arbiter, ArbiterConfig, ArbiterState, ArbitrationError, DenyReason, Outcome,
    Priority, RegionClaim, Request, Resource, Tick, decide, gini, overlaps, settle_regions,
};

fn slot(capacity: u64) -> ArbiterConfig {
    ArbiterConfig::new(
        Resource::InstrumentSlot {
            instrument: "local".into(),
        },
        capacity,
    )
}

fn priority() -> impl Strategy<Value = Priority> {
    (0u8..5).prop_map(Priority::from_rank)
}

fn strategy() -> impl Strategy<Value = arb::Strategy> {
    prop_oneof![
        Just(arb::Strategy::Priority),
        Just(arb::Strategy::RoundRobin),
        Just(arb::Strategy::WeightedFairShare),
        Just(arb::Strategy::Fifo),
    ]
}

fn requests() -> impl Strategy<Value = Vec<Request>> {
    prop::collection::vec((0u8..4, priority(), 0u64..6, 0u64..50), 0..40).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (who, p, cost, arrival))| {
                Request::new(i as u64, format!("r{who}"), p, cost, arrival)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_decision_is_the_same_for_the_same_input(
        reqs in requests(),
        strat in strategy(),
        available in 0u64..10,
        now in 50u64..100,
        rotate in 0usize..40,
        served in prop::collection::vec(0u64..20, 4),
    ) {
        let config = slot(5).strategy(strat).weight("r1", 3);
        let state = ArbiterState {
            served: served.iter().enumerate().map(|(i, s)| (format!("r{i}"), *s)).collect(),
            last_served: Some("r1".into()),
        };
        let first = decide(&config, &state, now, available, &reqs);
        let again = decide(&config, &state, now, available, &reqs);
        prop_assert_eq!(&first, &again);
        // Input order does not matter either.
        let mut shuffled = reqs.clone();
        if !shuffled.is_empty() {
            let k = rotate % shuffled.len();
            shuffled.rotate_left(k);
            shuffled.reverse();
        }
        prop_assert_eq!(&first, &decide(&config, &state, now, available, &shuffled));
        // Every request gets exactly one decision, and grants fit what was free.
        prop_assert_eq!(first.len(), reqs.len());
        let granted: u64 = first.iter().filter(|d| d.is_granted())
            .map(|d| reqs.iter().find(|r| r.id == d.id).map(|r| r.cost).unwrap_or(0)).sum();
        prop_assert!(granted <= available);
    }

    #[test]
    fn region_settlement_is_deterministic_and_grants_never_overlap(
        reqs in requests(),
        ranges in prop::collection::vec((0u64..100, 0u64..20, 0u8..2), 40),
        strat in strategy(),
    ) {
        let claims: Vec<RegionClaim> = reqs.iter().zip(&ranges).map(|(r, (start, len, buf))| RegionClaim {
            request: r.clone(),
            buffer: format!("b{buf}"),
            range: *start..start + len,
        }).collect();
        let config = slot(1).strategy(strat);
        let d = settle_regions(&config, &ArbiterState::default(), 60, &claims).unwrap();
        let mut reversed = claims.clone();
        reversed.reverse();
        prop_assert_eq!(&d, &settle_regions(&config, &ArbiterState::default(), 60, &reversed).unwrap());
        let won: Vec<&RegionClaim> = d.iter().filter(|d| d.is_granted())
            .filter_map(|d| claims.iter().find(|c| c.request.id == d.id)).collect();
        for (i, a) in won.iter().enumerate() {
            for b in &won[i + 1..] {
                prop_assert!(a.buffer != b.buffer || !overlaps(&a.range, &b.range));
            }
        }
    }
}

#[test]
fn priority_serves_the_most_urgent_first_and_denies_the_impossible() {
    let pending = vec![
        Request::new(1, "a", Priority::Low, 1, 0),
        Request::new(2, "b", Priority::Critical, 1, 3),
        Request::new(3, "c", Priority::High, 1, 1),
        Request::new(4, "d", Priority::High, 1, 2),
        Request::new(5, "e", Priority::Critical, 9, 0),
    ];
    let config = slot(3).ageing(0);
    let d = decide(&config, &ArbiterState::default(), 3, 2, &pending);
    let ids: Vec<u64> = d.iter().map(|d| d.id).collect();
    assert_eq!(ids, [5, 2, 3, 4, 1]);
    assert_eq!(
        d[0].outcome,
        Outcome::Denied {
            reason: DenyReason::ExceedsCapacity {
                cost: 9,
                capacity: 3
            }
        }
    );
    assert_eq!(d[1].outcome, Outcome::Granted);
    assert_eq!(d[2].outcome, Outcome::Granted);
    assert!(matches!(d[3].outcome, Outcome::Deferred { .. }));
    assert!(matches!(d[4].outcome, Outcome::Deferred { .. }));
    assert_eq!(d[4].rationale.position, 4);
    assert_eq!(d[4].rationale.waited, 3);
    let text = d[0].to_string();
    assert!(
        text.contains("denied") && text.contains("capacity is 3"),
        "{text}"
    );
}

#[test]
fn ageing_ends_starvation() {
    // One slot, a new High request every tick, and one Background request waiting.
    let run = |ageing: Tick| -> Option<Tick> {
        let mut a = Arbiter::new(slot(1).ageing(ageing));
        a.submit(Request::new(0, "indexer", Priority::Background, 1, 0))
            .unwrap();
        for now in 0..200u64 {
            a.submit(Request::new(now + 1, "chat", Priority::High, 1, now))
                .unwrap();
            let d = a.decide(now, 1);
            if d.iter().any(|d| d.id == 0 && d.is_granted()) {
                return Some(now);
            }
        }
        None
    };
    assert_eq!(
        run(0),
        None,
        "without ageing the background request starves"
    );
    let served_at = run(5).expect("with ageing it is served");
    assert!(served_at <= 40, "served at tick {served_at}");
}

#[test]
fn fifo_serves_by_arrival_whatever_the_priority() {
    let pending = vec![
        Request::new(1, "a", Priority::Critical, 1, 5),
        Request::new(2, "b", Priority::Background, 1, 1),
    ];
    let d = decide(
        &slot(1).strategy(arb::Strategy::Fifo),
        &ArbiterState::default(),
        5,
        1,
        &pending,
    );
    assert_eq!((d[0].id, d[0].outcome), (2, Outcome::Granted));
}

#[test]
fn round_robin_takes_turns_between_requesters() {
    let mut a = Arbiter::new(slot(1).strategy(arb::Strategy::RoundRobin));
    for i in 0..4 {
        a.submit(Request::new(i, "greedy", Priority::Critical, 1, 0))
            .unwrap();
    }
    a.submit(Request::new(10, "polite", Priority::Background, 1, 0))
        .unwrap();
    a.submit(Request::new(20, "quiet", Priority::Low, 1, 0))
        .unwrap();
    let mut served = Vec::new();
    for now in 0..6 {
        let d = a.decide(now, 1);
        served.extend(d.iter().filter(|d| d.is_granted()).map(|d| d.id));
    }
    assert_eq!(served, [0, 10, 20, 1, 2, 3]);
}

#[test]
fn weighted_fair_share_serves_in_proportion_to_weight() {
    let mut a = Arbiter::new(
        slot(1)
            .strategy(arb::Strategy::WeightedFairShare)
            .weight("heavy", 3)
            .ageing(0),
    );
    let mut id = 0;
    for _ in 0..40 {
        for who in ["heavy", "light"] {
            a.submit(Request::new(id, who, Priority::Normal, 1, 0))
                .unwrap();
            id += 1;
        }
    }
    for now in 0..40 {
        a.decide(now, 1);
    }
    let heavy = a.state().served.get("heavy").copied().unwrap_or(0);
    let light = a.state().served.get("light").copied().unwrap_or(0);
    assert_eq!(heavy + light, 40);
    assert_eq!((heavy, light), (30, 10));
}

#[test]
fn overlapping_edit_proposals_are_settled_by_priority() {
    let claim = |id, who: &str, p, start, end| RegionClaim {
        request: Request::new(id, who, p, 1, 0),
        buffer: "lib.rs".into(),
        range: start..end,
    };
    let claims = vec![
        claim(1, "refactor", Priority::Normal, 0, 50),
        claim(2, "fix-diagnostic", Priority::High, 40, 45),
        claim(3, "docs", Priority::Low, 50, 60),
    ];
    let d = settle_regions(&slot(1), &ArbiterState::default(), 0, &claims).unwrap();
    let by_id = |id| d.iter().find(|d| d.id == id).map(|d| d.outcome);
    assert_eq!(by_id(2), Some(Outcome::Granted));
    assert_eq!(
        by_id(1),
        Some(Outcome::Denied {
            reason: DenyReason::Overlaps {
                with: 2,
                start: 40,
                end: 45
            }
        })
    );
    assert_eq!(
        by_id(3),
        Some(Outcome::Granted),
        "touching is not overlapping"
    );
    let bad = vec![RegionClaim {
        request: Request::new(9, "x", Priority::Low, 1, 0),
        buffer: "b".into(),
        range: std::ops::Range { start: 5, end: 3 },
    }];
    assert!(matches!(
        settle_regions(&slot(1), &ArbiterState::default(), 0, &bad),
        Err(ArbitrationError::InvalidRegion { .. })
    ));
}

#[test]
fn gini_of_equal_service_is_zero_and_of_monopoly_is_high() {
    assert_eq!(gini(&[7, 7, 7]), 0.0);
    let mut a = Arbiter::new(slot(1).strategy(arb::Strategy::RoundRobin));
    let mut id = 0;
    for now in 0..30u64 {
        for who in ["a", "b", "c"] {
            a.submit(Request::new(id, who, Priority::Normal, 1, now))
                .unwrap();
            id += 1;
        }
        a.decide(now, 3);
    }
    let report = a.fairness(29);
    assert_eq!(report.gini, 0.0);
    assert_eq!(report.requesters.len(), 3);
    assert!(
        report
            .requesters
            .iter()
            .all(|r| r.service == 30 && r.max_wait == 0)
    );

    let mut a = Arbiter::new(slot(1).ageing(0));
    for now in 0..10u64 {
        a.submit(Request::new(100 + now, "vip", Priority::Critical, 1, now))
            .unwrap();
        a.submit(Request::new(
            200 + now,
            "peon",
            Priority::Background,
            1,
            now,
        ))
        .unwrap();
        a.decide(now, 1);
    }
    let report = a.fairness(9);
    assert_eq!(report.gini, 0.5, "one of two requesters got everything");
    let peon = report
        .requesters
        .iter()
        .find(|r| r.requester == "peon")
        .unwrap();
    assert_eq!(peon.grants, 0);
}

#[test]
fn duplicate_ids_are_refused_and_cancel_withdraws() {
    let mut a = Arbiter::new(slot(1));
    a.submit(Request::new(1, "a", Priority::Normal, 1, 0))
        .unwrap();
    assert_eq!(
        a.submit(Request::new(1, "b", Priority::Normal, 1, 0)),
        Err(ArbitrationError::DuplicateRequest { id: 1 })
    );
    assert!(a.cancel(1));
    assert_eq!(a.pending_len(), 0);
    assert!(a.decide(0, 1).is_empty());
}
