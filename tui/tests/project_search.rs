//! The project search picker as a user sees it, on real files: the query typed into the
//! picker, the search run as the loop runs it (off the UI thread, its hits streamed back
//! as actions), the hits and the preview on screen, Enter opening the file at the match.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_tui::action::Action;
use symphony_tui::app::{PortCall, State, Task, update};
use symphony_tui::overlays::Overlay;

/// Runs the searches and preview reads the state asked for, as the loop does, and
/// applies their answers.
fn run_searches(state: &mut State) {
    run_tasks(state);
    // the hits ask for the first hit's preview
    run_tasks(state);
}

fn run_tasks(state: &mut State) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for task in std::mem::take(&mut state.tasks) {
        match task {
            Task::ProjectSearch(job) => symphony_tui::search::run_job(&job, &tx),
            Task::ProjectSearchPreview(job) => {
                let _ = tx.send(Action::ProjectSearchPreview(job.read()));
            }
            _ => {}
        }
    }
    drop(tx);
    let mut answers = Vec::new();
    while let Ok(a) = rx.try_recv() {
        answers.push(a);
    }
    // the hits arrive in the order the threads found them: sort for a stable screen
    for a in answers {
        let a = match a {
            Action::ProjectSearchHits(g, mut hits) => {
                hits.sort_by(|x, y| (&x.path, x.line).cmp(&(&y.path, y.line)));
                Action::ProjectSearchHits(g, hits)
            }
            other => other,
        };
        update(state, a);
    }
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).expect("mkdir");
    std::fs::write(root.join(".gitignore"), "build/\n").expect("write");
    std::fs::create_dir_all(root.join("pkg")).expect("mkdir");
    std::fs::create_dir_all(root.join("build")).expect("mkdir");
    std::fs::write(
        root.join("pkg/shapes.py"),
        "import math\n\n\ndef area(r):\n    return math.pi * r * r\n\n\ndef perimeter(r):\n    return 2 * math.pi * r\n",
    )
    .expect("write");
    std::fs::write(root.join("build/shapes.py"), "def area(r): pass\n").expect("write");
    dir
}

#[test]
fn project_search_streams_hits_with_a_preview_and_enter_opens_the_match() {
    let dir = project();
    let (mut state, calls) = state_with(Some("notes.txt"), 80, 24);
    state.cwd = dir.path().to_path_buf();
    press(&mut state, KeyCode::Char('/'), KeyModifiers::ALT);
    assert!(matches!(
        state.overlays.last(),
        Some(Overlay::ProjectSearch(_))
    ));
    typed(&mut state, "def \\w+");
    // one search per keystroke was asked for; each new one cancelled the one before
    let jobs: Vec<_> = state
        .tasks
        .iter()
        .filter_map(|t| match t {
            Task::ProjectSearch(j) => Some(j.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(jobs.len(), "def \\w+".len());
    assert!(
        jobs[..jobs.len() - 1]
            .iter()
            .all(|j| j.cancel.load(std::sync::atomic::Ordering::Relaxed))
    );
    state.tasks.retain(|t| !matches!(t, Task::ProjectSearch(j) if j.cancel.load(std::sync::atomic::Ordering::Relaxed)));
    run_searches(&mut state);
    let shown = screen(&state);
    assert!(shown.contains("pkg/shapes.py:4: def area(r):"), "{shown}");
    assert!(!shown.contains("build/"), "ignored by .gitignore: {shown}");
    insta::assert_snapshot!(shown);
    // The second hit, then Enter: the file opens at the match.
    press(&mut state, KeyCode::Down, KeyModifiers::NONE);
    take(&calls);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(state.overlays.is_empty());
    let sent = take(&calls);
    assert!(
        sent.iter().any(
            |c| matches!(c, PortCall::Open { path: Some(p), .. } if p.ends_with("pkg/shapes.py"))
        ),
        "{sent:?}"
    );
}
