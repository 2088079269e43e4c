//! Committing with the model's commit message: the answer of a "commit
//! message" run is kept; a key asks to commit the staged changes with it
//! (y/n), and `git commit -F <file>` runs in the workspace off the UI
//! thread; its result (the new commit's hash, or git's error) comes back to
//! the message line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use symphony_conductor::events::{RunId, RunOutcome};

use crate::action::Action;
use crate::app::{State, Task};

/// The first key bound to `action`, for messages.
fn key_of(state: &State, action: &Action) -> Option<String> {
    state.config.keymap.keys_for(action).into_iter().next()
}

/// A run ended: when it was a commit-message run that answered, keep its
/// message and say how to commit with it.
pub fn on_finished(state: &mut State, run: RunId, outcome: &RunOutcome, answer: Option<&str>) {
    if !state.conductor.commit_runs.remove(&run) {
        return;
    }
    let (RunOutcome::Succeeded, Some(answer)) = (outcome, answer) else {
        return;
    };
    let message = unfenced(answer);
    if message.is_empty() {
        return;
    }
    state.conductor.commit_message = Some(message.to_owned());
    let how = key_of(state, &Action::AiCommit)
        .map(|k| format!(": {k} commits the staged changes with it"))
        .unwrap_or_else(|| ": the palette's \"AI: commit\" commits with it".to_owned());
    state.say(format!("Run #{}: commit message ready{how}", run.0));
}

/// The message without a code fence a model may have put around it.
fn unfenced(answer: &str) -> &str {
    let t = answer.trim();
    match t.strip_prefix("```").and_then(|r| r.strip_suffix("```")) {
        // The opening fence's line may name a language (```text).
        Some(inner) => inner
            .split_once('\n')
            .map_or(inner, |(_, body)| body)
            .trim(),
        None => t,
    }
}

/// The first line of a message, shortened for a question.
fn summary(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    let mut s: String = line.chars().take(60).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}

/// The commit key: asks before committing (a commit is not undone by a key).
pub fn ask(state: &mut State) -> Option<String> {
    let Some(message) = &state.conductor.commit_message else {
        let how = key_of(
            state,
            &Action::Ai(symphony_conductor::command::CommandKind::CommitMessage),
        )
        .map(|k| format!(" ({k} writes one from the staged changes)"))
        .unwrap_or_default();
        state.say(format!("No commit message yet{how}"));
        return None;
    };
    Some(format!(
        "Commit the staged changes as \"{}\"? (y/n)",
        summary(message)
    ))
}

/// The user said yes: the commit runs off the UI thread.
pub fn start(state: &mut State) {
    let Some(message) = state.conductor.commit_message.clone() else {
        return;
    };
    state.tasks.push(Task::GitCommit {
        dir: state.cwd.clone(),
        message,
    });
    state.say("Committing…");
}

/// The commit's result arrived.
pub fn done(state: &mut State, result: Result<String, String>) {
    match result {
        Ok(hash) => {
            let summary = state
                .conductor
                .commit_message
                .take()
                .map(|m| summary(&m))
                .unwrap_or_default();
            state.say(format!("Committed {hash}: {summary}"));
        }
        Err(e) => state.error(format!("git commit failed: {e}")),
    }
}

/// A file for the message, unique to this process and call.
fn message_file(message: &str) -> Result<PathBuf, String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "symphony-commit-{}-{}.txt",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot write the message to {}: {e}", path.display()))?;
    f.write_all(message.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| format!("cannot write the message to {}: {e}", path.display()))?;
    Ok(path)
}

/// What git printed, for the message line: its error lines, else its output.
fn git_said(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let text = if err.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout)
    } else {
        err
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        format!("git exited with {}", out.status)
    } else {
        lines.join(" · ")
    }
}

/// Runs `git commit -F <file>` in `dir` (blocking: the loop calls it on a
/// blocking thread); the new commit's short hash, or what git said.
pub fn commit(dir: &Path, message: &str) -> Result<String, String> {
    let file = message_file(message)?;
    let out = Command::new("git")
        .arg("commit")
        .arg("-F")
        .arg(&file)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output();
    if let Err(e) = std::fs::remove_file(&file) {
        tracing::warn!(file = %file.display(), "commit message file not removed: {e}");
    }
    let out = out.map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(git_said(&out));
    }
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("committed, but cannot run git rev-parse: {e}"))?;
    let hash = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    if !head.status.success() || hash.is_empty() {
        return Err(format!("committed, but {}", git_said(&head)));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fenced_commit_message_is_committed_without_its_fence() {
        assert_eq!(
            unfenced("```text\nFix add\n\nBody.\n```\n"),
            "Fix add\n\nBody."
        );
        assert_eq!(unfenced("```\nFix add\n```"), "Fix add");
        assert_eq!(unfenced("  Fix add\n"), "Fix add");
    }

    #[test]
    fn the_question_shows_the_summary_line_shortened() {
        assert_eq!(summary("Fix add\n\nBody."), "Fix add");
        assert_eq!(summary(&"x".repeat(80)).chars().count(), 61);
    }
}
