//! The artifacts pane reads the store off the UI loop's thread: a search and a preview
//! are asked of the Conductor, the pane says "Searching…"/"Loading…" until its answer
//! event arrives, and an answer to anything but the newest ask is dropped. The
//! recording Conductor queues its answers; each test delivers them when it likes.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_conductor::events::ArtifactHit;
use symphony_tui::action::Action;
use symphony_tui::app::State;
use symphony_tui::conductor::{Canned, ConductorCall, RecordingConductor};
use symphony_tui::panes::PaneKind;

fn hit(id: &str, title: &str) -> ArtifactHit {
    ArtifactHit {
        id: id.into(),
        kind: "diff".into(),
        title: title.into(),
        snippet: format!("{title} snippet"),
        tags: Vec::new(),
        pinned: false,
        run: None,
    }
}

fn texts() -> Vec<(String, String)> {
    vec![
        ("a1".into(), "first artifact text\n".into()),
        ("a2".into(), "second artifact text\n".into()),
        ("b1".into(), "newer search text\n".into()),
    ]
}

fn state() -> (State, RecordingConductor) {
    let (mut state, rec) = conductor_state(
        Canned {
            hits: vec![hit("a1", "older one"), hit("a2", "older two")],
            texts: texts(),
            ..Default::default()
        },
        80,
        18,
    );
    update(&mut state, Action::OpenArtifactsPane);
    (state, rec)
}

fn update(state: &mut State, a: Action) {
    symphony_tui::app::update(state, a);
}

fn set_hits(rec: &RecordingConductor, hits: Vec<ArtifactHit>) {
    rec.canned.lock().expect("canned").hits = hits;
}

fn results(state: &State) -> Vec<String> {
    match state.windows.focused() {
        Some(PaneKind::Artifacts(p)) => p.results.iter().map(|h| h.id.clone()).collect(),
        _ => panic!("the artifacts pane is focused"),
    }
}

fn preview(state: &State) -> Option<String> {
    match state.windows.focused() {
        Some(PaneKind::Artifacts(p)) => p.preview.clone(),
        _ => panic!("the artifacts pane is focused"),
    }
}

#[test]
fn artifacts_pane_says_searching_then_loading_until_the_conductor_answers() {
    let (mut state, rec) = state();
    typed(&mut state, "older");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    // The key returned without the answer: the pane waits for it.
    assert_eq!(calls(&rec), vec![ConductorCall::Search("older".into())]);
    assert!(screen(&state).contains("Searching…"), "{}", screen(&state));
    assert!(results(&state).is_empty());
    // The hits arrive; the first one's preview is asked for.
    for e in rec.take_answers() {
        ev(&mut state, e);
    }
    assert_eq!(results(&state), ["a1", "a2"]);
    assert!(screen(&state).contains("Loading…"), "{}", screen(&state));
    answered(&mut state, &rec);
    assert_eq!(preview(&state).as_deref(), Some("first artifact text\n"));
    let s = screen(&state);
    assert!(
        s.contains("first artifact text") && !s.contains("Loading…"),
        "{s}"
    );
}

#[test]
fn an_older_searchs_answer_arriving_after_a_newer_one_is_dropped() {
    let (mut state, rec) = state();
    typed(&mut state, "older");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    // A second search before the first is answered (the store changed meanwhile).
    set_hits(&rec, vec![hit("b1", "newer")]);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let mut answers = rec.take_answers();
    assert_eq!(answers.len(), 2, "{answers:?}");
    // The newer answer first, then the older one late: the newer wins.
    answers.reverse();
    for e in answers {
        ev(&mut state, e);
    }
    assert_eq!(results(&state), ["b1"]);
    answered(&mut state, &rec);
    assert_eq!(preview(&state).as_deref(), Some("newer search text\n"));
}

#[test]
fn an_older_searchs_answer_arriving_first_is_dropped_and_the_pane_keeps_waiting() {
    let (mut state, rec) = state();
    typed(&mut state, "older");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    set_hits(&rec, vec![hit("b1", "newer")]);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    let mut answers = rec.take_answers().into_iter();
    let older = answers.next().expect("the older answer");
    ev(&mut state, older);
    assert!(results(&state).is_empty(), "{:?}", results(&state));
    assert!(screen(&state).contains("Searching…"), "{}", screen(&state));
    for e in answers {
        ev(&mut state, e);
    }
    assert_eq!(results(&state), ["b1"]);
}

#[test]
fn a_preview_of_a_hit_no_longer_selected_is_dropped() {
    let (mut state, rec) = state();
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    answered(&mut state, &rec);
    assert_eq!(preview(&state).as_deref(), Some("first artifact text\n"));
    // Down then Up before either preview arrives: the second ask (a1) wins.
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    press(&mut state, KeyCode::Up, KeyModifiers::NONE);
    assert_eq!(preview(&state), None);
    let mut answers = rec.take_answers();
    assert_eq!(answers.len(), 2, "{answers:?}");
    answers.reverse();
    for e in answers {
        ev(&mut state, e);
    }
    assert_eq!(preview(&state).as_deref(), Some("first artifact text\n"));
}

#[test]
fn opening_an_artifact_waits_for_its_text_and_says_when_there_is_none() {
    let (mut state, rec) = state();
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    answered(&mut state, &rec);
    rec.canned.lock().expect("canned").texts.clear();
    typed(&mut state, "o");
    // Still the artifacts pane until the Conductor answers.
    assert!(matches!(
        state.windows.focused(),
        Some(PaneKind::Artifacts(_))
    ));
    answered(&mut state, &rec);
    assert!(
        state
            .message
            .as_ref()
            .is_some_and(|m| m.text == "No text for older one"),
        "{:?}",
        state.message
    );
}
