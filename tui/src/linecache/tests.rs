//! Tests of the line cache: every core->client `update` of the three observed
//! xi-core transcripts replayed, and random op sequences against a naive model.

use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::HashMap;

fn update(v: Value) -> Update {
    serde_json::from_value(v).expect("a valid update")
}

/// Every `update` the core sent in a transcript, in order: (view id, update).
fn core_updates(transcript: &str) -> Vec<(String, Update)> {
    transcript
        .lines()
        .filter_map(|l| l.strip_prefix("<< "))
        .map(|l| serde_json::from_str::<Value>(l).expect("json line"))
        .filter(|v| v["method"] == "update")
        .map(|v| {
            let params = &v["params"];
            (
                params["view_id"].as_str().expect("view id").to_owned(),
                update(params["update"].clone()),
            )
        })
        .collect()
}

fn texts(cache: &LineCache) -> Vec<Option<String>> {
    (0..cache.len())
        .map(|i| cache.get(i).map(|l| l.text.clone()))
        .collect()
}

/// Each selection's caret (its end) is drawn as a cursor on its line when
/// that line is known.
fn assert_carets_match_selections(cache: &LineCache, step: usize) {
    for sel in cache.selections() {
        if let Some(line) = cache.get(sel[2]) {
            assert!(
                line.cursors.contains(&sel[3]),
                "step {step}: caret {sel:?} missing from line {line:?}"
            );
        }
    }
}

fn replay(transcript: &str, mut check: impl FnMut(usize, &LineCache)) -> usize {
    let mut caches: HashMap<String, LineCache> = HashMap::new();
    let updates = core_updates(transcript);
    for (step, (view, u)) in updates.iter().enumerate() {
        let cache = caches.entry(view.clone()).or_default();
        cache.apply(u);
        assert_carets_match_selections(cache, step);
        check(step, cache);
    }
    updates.len()
}

fn known(lines: &[&str]) -> Vec<Option<String>> {
    lines.iter().map(|l| Some((*l).to_owned())).collect()
}

#[test]
fn transcript_session_leaves_exactly_the_edited_text() {
    let start = known(&["hello world", "second line", ""]);
    let joined = known(&["ABC", "hello world", "second line", ""]);
    let expected: Vec<Vec<Option<String>>> = vec![
        start.clone(),
        start,
        known(&["Ahello world", "second line", ""]),
        known(&["ABChello world", "second line", ""]),
        joined.clone(),
        joined.clone(),
        joined.clone(),
        known(&["ABC", "hello world", "second line!", ""]),
        joined.clone(),
        joined.clone(),
        joined.clone(),
        joined.clone(),
        joined,
        known(&["ABC", "hello world", "second line", "tail"]),
        known(&["ABC", "hello world", "second line", "tail"]),
    ];
    let mut cache_at_end = None;
    let n = replay(include_str!("testdata/transcript.txt"), |step, cache| {
        assert_eq!(texts(cache), expected[step], "after update #{step}");
        if step == 10 {
            // move_right_and_modify_selection: "B" is selected (style 0).
            let line = cache.get(0).expect("line 0 known");
            assert_eq!(
                line.styles,
                vec![StyleSpan {
                    start: 1,
                    end: 2,
                    style_id: 0
                }]
            );
            assert_eq!(cache.selections(), &[[0, 1, 0, 2]]);
            assert!(!cache.pristine());
        }
        if step == 4 {
            assert_eq!(cache.get(1).map(|l| l.cursors.clone()), Some(vec![0]));
            assert_eq!(cache.get(0).map(|l| l.cursors.clone()), Some(vec![]));
        }
        cache_at_end = Some(cache.clone());
    });
    assert_eq!(n, expected.len());
    let cache = cache_at_end.expect("some update");
    assert!(cache.pristine(), "saved at the end");
    assert_eq!(cache.get(3).map(|l| l.cursors.clone()), Some(vec![4]));
    let lns: Vec<_> = (0..4).map(|i| cache.get(i).and_then(|l| l.ln)).collect();
    assert_eq!(lns, vec![Some(1), Some(2), Some(3), Some(4)]);
}

#[test]
fn large_transcript_keeps_gaps_and_only_sent_lines() {
    let mut inserted_x = false;
    let mut steps = 0;
    replay(
        include_str!("testdata/transcript-large.txt"),
        |step, cache| {
            steps = step + 1;
            assert_eq!(cache.len(), 3001, "after update #{step}");
            if cache.get(2500).is_some_and(|l| l.text.starts_with('X')) {
                inserted_x = true;
            }
            for i in 0..cache.len() {
                if let Some(line) = cache.get(i) {
                    let want = match i {
                        3000 => String::new(),
                        2500 if inserted_x => "Xline 2501".to_owned(),
                        _ => format!("line {}", i + 1),
                    };
                    assert_eq!(line.text, want, "update #{step}, line {i}");
                    assert_eq!(line.ln, Some(i + 1), "update #{step}, line {i}");
                }
            }
            // The cache holds what the core sent and never more.
            assert!(
                cache.valid_lines() <= 60,
                "update #{step}: {}",
                cache.valid_lines()
            );
        },
    );
    assert_eq!(steps, 9);
}

#[test]
fn large_transcript_gapped_cache_has_valid_runs_between_gaps() {
    let updates = core_updates(include_str!("testdata/transcript-large.txt"));
    let mut cache = LineCache::new();
    // Up to and including move_to_beginning_of_document (ins 22, invalidate 78,
    // skip 100, copy 10, invalidate ...).
    for (_, u) in &updates[..9] {
        cache.apply(u);
    }
    let valid: Vec<usize> = (0..cache.len())
        .filter(|&i| cache.get(i).is_some())
        .collect();
    let want: Vec<usize> = (0..22).chain(100..110).collect();
    assert_eq!(valid, want);
    assert_eq!(cache.run_count(), 4);
    assert_eq!(cache.missing(0..30), vec![22..30]);
    assert_eq!(cache.missing(95..120), vec![95..100, 110..120]);
    assert_eq!(cache.get(105).map(|l| l.text.as_str()), Some("line 106"));
    assert_eq!(cache.get(2500), None);
}

#[test]
fn syntect_transcript_styles_become_absolute_spans() {
    let body = ["fn main() {", "    let x = 42; // answer", "}"];
    let with_last = |last: &str| {
        let mut v = known(&body);
        v.push(Some(last.to_owned()));
        v
    };
    let n = replay(
        include_str!("testdata/transcript-syntect.txt"),
        |step, cache| {
            let want = if (5..=7).contains(&step) {
                with_last("// end")
            } else {
                with_last("")
            };
            assert_eq!(texts(cache), want, "after update #{step}");
            if step == 2 {
                let spans: Vec<(usize, usize, u64)> = cache
                    .get(0)
                    .expect("line 0")
                    .styles
                    .iter()
                    .map(|s| (s.start, s.end, s.style_id))
                    .collect();
                // The span over the trailing newline (11..12) is clamped away.
                assert_eq!(
                    spans,
                    vec![
                        (0, 2, 8),
                        (2, 3, 9),
                        (3, 7, 10),
                        (7, 9, 11),
                        (9, 10, 9),
                        (10, 11, 11)
                    ]
                );
            }
            if step == 7 {
                let line = cache.get(3).expect("line 3");
                assert_eq!(
                    line.styles,
                    vec![StyleSpan {
                        start: 0,
                        end: 6,
                        style_id: 14
                    }]
                );
            }
        },
    );
    assert!(n >= 15);
}

#[test]
fn negative_relative_starts_overlap_previous_spans() {
    let spans = absolute_spans(&[2, 4, 8, -3, 2, 0], "abcdefgh");
    assert_eq!(
        spans,
        vec![
            StyleSpan {
                start: 2,
                end: 6,
                style_id: 8
            },
            StyleSpan {
                start: 3,
                end: 5,
                style_id: 0
            }
        ]
    );
    // Multi-byte text: spans never split a character.
    let spans = absolute_spans(&[0, 1, 3], "é");
    assert_eq!(spans, vec![]);
}

#[test]
fn a_hundred_megabyte_file_costs_only_the_sent_lines() {
    let mut cache = LineCache::new();
    let lines: Vec<Value> = (0..50)
        .map(|i| json!({"text": format!("line {i}\n"), "ln": i + 1}))
        .collect();
    cache.apply(&update(json!({"ops":[
        {"op":"ins","n":50,"lines":lines},
        {"op":"invalidate","n":2_000_000},
        {"op":"invalidate","n":1_000_000}],"pristine":true})));
    assert_eq!(cache.len(), 3_000_050);
    assert_eq!(cache.valid_lines(), 50);
    assert_eq!(cache.run_count(), 2);
    // A typed character far down: copy most, replace one line, copy the rest.
    cache.apply(&update(json!({"ops":[
        {"op":"copy","n":2_500_000,"ln":1},
        {"op":"ins","n":1,"lines":[{"text":"typed\n","cursor":[5]}]},
        {"op":"skip","n":1},
        {"op":"copy","n":500_049,"ln":2_500_002}],"pristine":false})));
    assert_eq!(cache.len(), 3_000_050);
    assert_eq!(cache.valid_lines(), 51);
    assert_eq!(cache.run_count(), 4);
    assert_eq!(cache.get(2_500_000).map(|l| l.text.as_str()), Some("typed"));
    assert_eq!(cache.get(2_499_999), None);
    assert_eq!(cache.get(49).map(|l| l.text.as_str()), Some("line 49"));
    assert!(!cache.pristine());
    cache.clear();
    assert_eq!(cache.len(), 0);
}

#[test]
fn crlf_lines_lose_their_line_ending() {
    let mut cache = LineCache::new();
    cache.apply(&update(json!({"ops":[{"op":"ins","n":2,"lines":[
        {"text":"a\r\n"},{"text":"b"}]}],"pristine":true})));
    assert_eq!(texts(&cache), known(&["a", "b"]));
}

// ---- property test: random op sequences against a naive Vec<Option<_>> model ----

#[derive(Debug, Clone)]
enum GenOp {
    Copy(usize, Option<usize>),
    Skip(usize),
    Invalidate(usize),
    Ins(Vec<GenLine>),
    Update(usize, Option<usize>, Vec<GenLine>),
}

#[derive(Debug, Clone)]
struct GenLine {
    text: String,
    cursor: Option<Vec<usize>>,
    styles: Option<Vec<i64>>,
    ln: Option<usize>,
}

impl GenLine {
    fn wire(&self, with_text: bool) -> Value {
        let mut v = json!({});
        if with_text {
            v["text"] = json!(format!("{}\n", self.text));
        }
        if let Some(c) = &self.cursor {
            v["cursor"] = json!(c);
        }
        if let Some(s) = &self.styles {
            v["styles"] = json!(s);
        }
        if let Some(ln) = self.ln {
            v["ln"] = json!(ln);
        }
        v
    }
}

fn gen_line() -> impl Strategy<Value = GenLine> {
    (
        "[a-cé]{0,6}",
        proptest::option::of(proptest::collection::vec(0usize..8, 1..3)),
        proptest::option::of(proptest::collection::vec(-3i64..6, 0..7)),
        proptest::option::of(1usize..100),
    )
        .prop_map(|(text, cursor, styles, ln)| GenLine {
            text,
            cursor,
            styles,
            ln,
        })
}

fn gen_op() -> impl Strategy<Value = GenOp> {
    let ln = proptest::option::of(1usize..100);
    prop_oneof![
        (0usize..6, ln.clone()).prop_map(|(n, ln)| GenOp::Copy(n, ln)),
        (0usize..6).prop_map(GenOp::Skip),
        (0usize..6).prop_map(GenOp::Invalidate),
        proptest::collection::vec(gen_line(), 0..4).prop_map(GenOp::Ins),
        (0usize..5, ln, proptest::collection::vec(gen_line(), 0..5))
            .prop_map(|(n, ln, lines)| GenOp::Update(n, ln, lines)),
    ]
}

fn wire_op(op: &GenOp) -> Value {
    match op {
        GenOp::Copy(n, ln) => json!({"op":"copy","n":n,"ln":ln}),
        GenOp::Skip(n) => json!({"op":"skip","n":n}),
        GenOp::Invalidate(n) => json!({"op":"invalidate","n":n}),
        GenOp::Ins(lines) => {
            let l: Vec<Value> = lines.iter().map(|l| l.wire(true)).collect();
            json!({"op":"ins","n":lines.len(),"lines":l})
        }
        GenOp::Update(n, ln, lines) => {
            let l: Vec<Value> = lines.iter().map(|l| l.wire(false)).collect();
            json!({"op":"update","n":n,"ln":ln,"lines":l})
        }
    }
}

fn naive_apply(model: &mut Vec<Option<CachedLine>>, ops: &[GenOp]) {
    let mut old = std::mem::take(model).into_iter();
    for op in ops {
        match op {
            GenOp::Copy(n, ln) => {
                for i in 0..*n {
                    if let Some(line) = old.next() {
                        model.push(line.map(|mut l| {
                            if let Some(ln) = ln {
                                l.ln = Some(ln + i);
                            }
                            l
                        }));
                    }
                }
            }
            GenOp::Skip(n) => {
                for _ in 0..*n {
                    old.next();
                }
            }
            GenOp::Invalidate(n) => model.extend(std::iter::repeat_n(None, *n)),
            GenOp::Ins(lines) => {
                for g in lines {
                    model.push(Some(CachedLine {
                        styles: absolute_spans(g.styles.as_deref().unwrap_or(&[]), &g.text),
                        text: g.text.clone(),
                        cursors: g.cursor.clone().unwrap_or_default(),
                        ln: g.ln,
                    }));
                }
            }
            GenOp::Update(n, ln, lines) => {
                for i in 0..*n {
                    let Some(line) = old.next() else { break };
                    model.push(line.map(|mut l| {
                        if let Some(g) = lines.get(i) {
                            l.cursors = g.cursor.clone().unwrap_or_default();
                            if let Some(s) = &g.styles {
                                l.styles = absolute_spans(s, &l.text);
                            }
                            if g.ln.is_some() {
                                l.ln = g.ln;
                            }
                        }
                        if let Some(ln) = ln {
                            l.ln = Some(ln + i);
                        }
                        l
                    }));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_updates_match_a_naive_model(
        updates in proptest::collection::vec(proptest::collection::vec(gen_op(), 0..10), 1..8)
    ) {
        let mut cache = LineCache::new();
        let mut model: Vec<Option<CachedLine>> = Vec::new();
        for ops in &updates {
            let wire: Vec<Value> = ops.iter().map(wire_op).collect();
            cache.apply(&update(json!({"ops": wire, "pristine": false})));
            naive_apply(&mut model, ops);
            prop_assert_eq!(cache.len(), model.len());
            for (i, want) in model.iter().enumerate() {
                prop_assert_eq!(cache.get(i), want.as_ref(), "line {}", i);
            }
            prop_assert_eq!(cache.get(model.len()), None);
            // Runs are merged: never two neighbours of the same kind, never empty.
            for pair in cache.runs.windows(2) {
                let same = matches!((&pair[0], &pair[1]), (Run::Invalid(_), Run::Invalid(_)) | (Run::Valid(_), Run::Valid(_)));
                prop_assert!(!same);
            }
            prop_assert!(cache.runs.iter().all(|r| r.len() > 0));
        }
    }
}
