//! Local echo against a simulated core: keys drawn ahead, updates arriving
//! late, in order; the cache always ends exactly as the updates alone make it.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::super::LineCache;
use symphony_protocol::xi::Update;

/// A core with one caret: applies edits, answers each with an `update`.
struct Core {
    lines: Vec<String>,
    caret: (usize, usize),
    /// Inserts this instead of what was typed (a core that disagrees).
    replace_with: Option<String>,
}

impl Core {
    fn new() -> Self {
        Core {
            lines: vec!["fn main() {".into(), "    let x = 1;".into(), "}".into()],
            caret: (1, 8),
            replace_with: None,
        }
    }

    /// Style spans: one per run of letters (style 2), as relative triples.
    fn styles(text: &str) -> Vec<i64> {
        let mut out = Vec::new();
        let mut prev_end = 0i64;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_alphabetic() {
                let s = i;
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                out.extend([s as i64 - prev_end, (i - s) as i64, 2]);
                prev_end = i as i64;
            } else {
                i += 1;
            }
        }
        out
    }

    fn full(&self) -> Update {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, t)| self.wire(i, t))
            .collect();
        self.update(json!([{ "op": "ins", "n": lines.len(), "lines": lines }]))
    }

    fn wire(&self, i: usize, text: &str) -> Value {
        let mut l =
            json!({ "text": format!("{text}\n"), "ln": i + 1, "styles": Core::styles(text) });
        if i == self.caret.0 {
            l["cursor"] = json!([self.caret.1]);
        }
        l
    }

    fn update(&self, ops: Value) -> Update {
        let (l, c) = self.caret;
        serde_json::from_value(json!({
            "ops": ops,
            "pristine": false,
            "annotations": [{ "type": "selection", "n": 1, "ranges": [[l, c, l, c]], "payloads": null }],
        }))
        .expect("update")
    }

    /// The update after the caret's line changed.
    fn line_changed(&self) -> Update {
        let l = self.caret.0;
        let after = self.lines.len() - l - 1;
        self.update(json!([
            { "op": "copy", "n": l, "ln": 1 },
            { "op": "ins", "n": 1, "lines": [self.wire(l, &self.lines[l])] },
            { "op": "skip", "n": 1 },
            { "op": "copy", "n": after, "ln": l + 2 },
        ]))
    }

    fn apply(&mut self, key: &Key) -> Update {
        let (l, c) = self.caret;
        match key {
            Key::Char(ch) => {
                let s = self.replace_with.clone().unwrap_or_else(|| ch.to_string());
                self.lines[l].insert_str(c, &s);
                self.caret.1 += s.len();
            }
            Key::Backspace => {
                if c > 0 {
                    self.lines[l].remove(c - 1);
                    self.caret.1 -= 1;
                }
            }
        }
        self.line_changed()
    }
}

#[derive(Debug, Clone)]
enum Key {
    Char(char),
    Backspace,
}

#[derive(Debug, Clone)]
enum Step {
    /// The user presses a key (drawn ahead when the cache allows).
    Press(Key),
    /// The core answers the oldest key not answered yet.
    Answer,
    /// The core restyles without an edit (an update the keys are not in).
    Restyle,
}

fn texts(cache: &LineCache) -> Vec<Option<String>> {
    (0..cache.len())
        .map(|i| cache.get(i).map(|l| l.text.clone()))
        .collect()
}

/// Runs the steps; returns (predicted cache, updates-only cache, core).
fn play(steps: &[Step], disagree: bool) -> (LineCache, LineCache) {
    let mut core = Core::new();
    if disagree {
        core.replace_with = Some("()".into());
    }
    let mut shown = LineCache::new();
    let mut exact = LineCache::new();
    let first = core.full();
    shown.apply(&first);
    exact.apply(&first);
    let mut sent: std::collections::VecDeque<Key> = Default::default();
    // What the user expects to see: the core's text plus unanswered keys.
    let mut typed = core.lines[1].clone();
    let mut caret = core.caret.1;
    for step in steps.iter().chain(std::iter::repeat_n(&Step::Answer, 64)) {
        match step {
            Step::Press(key) => {
                let (deleted, inserted) = match key {
                    Key::Char(c) => (0, c.to_string()),
                    Key::Backspace if caret > 0 => (1, String::new()),
                    Key::Backspace => (0, String::new()),
                };
                let predicted = (deleted > 0 || !inserted.is_empty())
                    && shown.predict_edit(1, caret, deleted, &inserted);
                if predicted {
                    typed.replace_range(caret - deleted..caret, &inserted);
                    caret = caret - deleted + inserted.len();
                    assert_eq!(shown.get(1).map(|l| l.text.clone()), Some(typed.clone()));
                    assert_eq!(shown.predicted_caret(), Some((1, caret)));
                }
                sent.push_back(key.clone());
            }
            Step::Answer => {
                let Some(key) = sent.pop_front() else {
                    continue;
                };
                let u = core.apply(&key);
                shown.apply(&u);
                exact.apply(&u);
            }
            Step::Restyle => {
                let u = core.line_changed();
                shown.apply(&u);
                exact.apply(&u);
            }
        }
        if shown.pending_predictions() == 0 {
            typed = shown.get(1).map(|l| l.text.clone()).unwrap_or_default();
            caret = core.caret.1.min(typed.len());
            if sent.is_empty() {
                assert_eq!(texts(&shown), texts(&exact));
                assert_eq!(shown.get(1), exact.get(1), "styles and cursors too");
            }
        }
    }
    (shown, exact)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => proptest::char::range('a', 'z').prop_map(|c| Step::Press(Key::Char(c))),
        1 => Just(Step::Press(Key::Char(' '))),
        1 => Just(Step::Press(Key::Backspace)),
        4 => Just(Step::Answer),
        1 => Just(Step::Restyle),
    ]
}

#[test]
fn a_key_drawn_ahead_then_its_update_equals_the_update_alone() {
    let keys = [Step::Press(Key::Char('a')), Step::Answer];
    let (shown, exact) = play(&keys, false);
    assert_eq!(shown.pending_predictions(), 0);
    assert_eq!(shown.get(1), exact.get(1));
    assert_eq!(
        shown.get(1).map(|l| l.text.as_str()),
        Some("    let ax = 1;")
    );
}

#[test]
fn keys_typed_ahead_of_several_updates_stay_drawn_in_order() {
    let mut steps: Vec<Step> = "abc".chars().map(|c| Step::Press(Key::Char(c))).collect();
    steps.push(Step::Answer);
    let (shown, _) = play(&steps, false);
    // All answered at the end; the check inside `play` ran at every step.
    assert_eq!(
        shown.get(1).map(|l| l.text.as_str()),
        Some("    let abcx = 1;")
    );
}

#[test]
fn a_core_that_disagrees_wins() {
    let steps = [
        Step::Press(Key::Char('(')),
        Step::Press(Key::Char('x')),
        Step::Answer,
    ];
    let (shown, exact) = play(&steps, true);
    assert_eq!(shown.get(1), exact.get(1));
    assert_eq!(shown.pending_predictions(), 0);
}

#[test]
fn no_guess_with_a_selection_or_away_from_the_caret() {
    let mut core = Core::new();
    let mut cache = LineCache::new();
    cache.apply(&core.full());
    assert!(!cache.predict_edit(0, 3, 0, "x"), "not the caret's line");
    assert!(!cache.predict_edit(1, 3, 0, "x"), "not the caret's column");
    core.caret = (1, 2);
    let mut u = core.full();
    u.annotations[0].ranges = vec![[1, 0, 1, 2]];
    cache.apply(&u);
    assert!(!cache.predict_edit(1, 2, 0, "x"), "a selection");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_typing_ends_as_the_updates_alone(
        steps in proptest::collection::vec(step(), 1..40),
        disagree in proptest::bool::weighted(0.2),
    ) {
        let (shown, exact) = play(&steps, disagree);
        prop_assert_eq!(shown.pending_predictions(), 0);
        prop_assert_eq!(texts(&shown), texts(&exact));
        for i in 0..exact.len() {
            prop_assert_eq!(shown.get(i), exact.get(i));
        }
        prop_assert_eq!(shown.selections(), exact.selections());
        prop_assert_eq!(shown.pristine(), exact.pristine());
    }
}
