//! Committing with the model's commit message, on a real git repository in
//! a tempdir with a staged change and the real `git`: the "commit message"
//! run's answer (a scripted ConductorEvent stands in for the model) is kept,
//! `ctrl-b G` asks first, `y` queues `git commit -F`, which the test runs as
//! the loop does (off the UI thread there), and the new commit's hash or
//! git's error shows on the message line.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_conductor::events::{ConductorEvent, RunId, RunOutcome};
use symphony_tui::action::Action;
use symphony_tui::app::{State, Task, update};
use symphony_tui::conductor::Canned;
use symphony_tui::overlays::Overlay;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repository with one commit and a staged change to it.
fn repo_with_a_staged_change() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    git(d, &["config", "user.email", "test@example.com"]);
    git(d, &["config", "user.name", "Test"]);
    git(d, &["config", "commit.gpgsign", "false"]);
    std::fs::write(
        d.join("lib.rs"),
        "fn add(a: i32, b: i32) -> i32 { a + b }\n",
    )
    .expect("write");
    git(d, &["add", "lib.rs"]);
    git(d, &["commit", "-q", "-m", "first"]);
    std::fs::write(
        d.join("lib.rs"),
        "fn add(a: i32, b: i32) -> Option<i32> { a.checked_add(b) }\n",
    )
    .expect("write");
    git(d, &["add", "lib.rs"]);
    dir
}

/// A state in `dir` whose "commit message" run answered `message`.
fn with_commit_message(dir: &Path, message: &str) -> State {
    let (mut state, _rec) = conductor_state(Canned::default(), 100, 16);
    state.cwd = dir.to_path_buf();
    update(
        &mut state,
        Action::Ai(symphony_conductor::command::CommandKind::CommitMessage),
    );
    let v = serde_json::json!({"text": "fn add() {}\n", "path": dir.join("lib.rs"),
        "language": "Rust", "revision": 3});
    symphony_tui::conductor::commands::on_snapshot(&mut state, 1, Ok(v));
    ev(
        &mut state,
        ConductorEvent::RunFinished {
            run: RunId(1),
            outcome: RunOutcome::Succeeded,
            answer: Some(message.into()),
        },
    );
    state
}

/// Runs the queued commits as the loop does and applies their results.
fn run_commits(state: &mut State) -> usize {
    let mut n = 0;
    for task in std::mem::take(&mut state.tasks) {
        if let Task::GitCommit { dir, message } = task {
            let result = symphony_tui::conductor::git_commit::commit(&dir, &message);
            update(state, Action::AiCommitDone(result));
            n += 1;
        }
    }
    n
}

fn ctrl_b(state: &mut State, c: char) {
    press(state, KeyCode::Char('b'), KeyModifiers::CONTROL);
    press(state, KeyCode::Char(c), KeyModifiers::NONE);
}

#[test]
fn the_models_commit_message_commits_the_staged_changes_after_a_yes() {
    let repo = repo_with_a_staged_change();
    let message = "Use checked_add in add\n\nOverflow returns None instead of wrapping.";
    let mut state = with_commit_message(repo.path(), message);
    let said = state.message.clone().expect("a message").text;
    assert!(
        said.contains("commit message ready") && said.contains("ctrl-b G"),
        "{said}"
    );
    ctrl_b(&mut state, 'G');
    let Some(Overlay::Confirm(c)) = state.overlays.last() else {
        panic!("a commit asks first: {:?}", state.overlays);
    };
    assert!(
        c.question.contains("Use checked_add in add"),
        "{}",
        c.question
    );
    assert!(
        screen(&state).contains("Commit the staged changes"),
        "{}",
        screen(&state)
    );
    assert!(state.tasks.is_empty(), "nothing runs before the answer");
    typed(&mut state, "y");
    assert!(state.overlays.is_empty());
    assert_eq!(run_commits(&mut state), 1);
    let head = git(repo.path(), &["rev-parse", "--short", "HEAD"]);
    let said = state.message.clone().expect("a message");
    assert!(!said.error, "{}", said.text);
    assert!(
        said.text.contains(&format!("Committed {}", head.trim())),
        "{} (HEAD {head})",
        said.text
    );
    assert_eq!(
        git(repo.path(), &["log", "-1", "--format=%B"]).trim(),
        message
    );
    assert!(git(repo.path(), &["diff", "--staged"]).is_empty());
}

#[test]
fn answering_no_commits_nothing() {
    let repo = repo_with_a_staged_change();
    let mut state = with_commit_message(repo.path(), "Use checked_add");
    ctrl_b(&mut state, 'G');
    typed(&mut state, "n");
    assert!(state.overlays.is_empty());
    assert_eq!(run_commits(&mut state), 0);
    assert_eq!(git(repo.path(), &["log", "--format=%s"]).trim(), "first");
}

#[test]
fn gits_error_shows_on_the_message_line() {
    let repo = repo_with_a_staged_change();
    git(repo.path(), &["commit", "-q", "-m", "already committed"]);
    let mut state = with_commit_message(repo.path(), "Use checked_add");
    ctrl_b(&mut state, 'G');
    typed(&mut state, "y");
    assert_eq!(run_commits(&mut state), 1);
    let said = state.message.clone().expect("a message");
    assert!(said.error, "{}", said.text);
    assert!(
        said.text.starts_with("git commit failed:") && said.text.contains("nothing"),
        "git's own words: {}",
        said.text
    );
}

#[test]
fn the_commit_key_without_a_message_says_how_to_get_one() {
    let (mut state, _rec) = conductor_state(Canned::default(), 100, 16);
    ctrl_b(&mut state, 'G');
    assert!(state.overlays.is_empty());
    let said = state.message.clone().expect("a message").text;
    assert!(
        said.contains("No commit message yet") && said.contains("ctrl-b M"),
        "{said}"
    );
}
