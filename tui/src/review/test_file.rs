//! "Write tests" into the language's test location: where the project keeps its
//! tests apart (a `tests/` or `test/` folder, `__tests__`, `test_*.py` beside a
//! Python module, Go's `_test.go`), the tests the model wrote are reviewed as a
//! proposal in the test file's own buffer. A file that does not exist yet is
//! opened as an empty buffer and written only when its proposal is accepted;
//! rejecting it closes the buffer and leaves the disk alone.

use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_conductor::events::RunId;
use symphony_conductor::proposal::{Hunk, HunkState, Proposal};
use symphony_protocol::xi::review::Snapshot;

use crate::app::State;
use crate::conductor::EditorRequest;
use crate::panes::{EditorPane, PaneKind, SplitDir};

/// A test file opened for a run's tests, waiting for its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTests {
    /// The run that wrote the tests.
    pub run: RunId,
    /// The tests' text.
    pub text: String,
}

/// Where the tests of `source` go in the project at `root`: `None` when the
/// project keeps no tests apart (they are then proposed after the code, in the
/// file itself).
pub fn test_location(root: &Path, source: &Path) -> Option<PathBuf> {
    let dir = source.parent()?;
    let stem = source.file_stem()?.to_str()?;
    let ext = source.extension().and_then(|e| e.to_str()).unwrap_or("");
    // The folders from the file's up to the project root, nearest first.
    let mut up: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| d.starts_with(root))
        .collect();
    if up.is_empty() {
        up.push(dir);
    }
    let folder = |names: &[&str]| -> Option<PathBuf> {
        up.iter()
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .find(|p| p.is_dir())
    };
    match ext {
        "py" => {
            if stem.starts_with("test_") || stem.ends_with("_test") {
                return None;
            }
            let name = format!("test_{stem}.py");
            let beside = std::fs::read_dir(dir).ok()?.flatten().any(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with("test_") && n.ends_with(".py")
            });
            if beside {
                return Some(dir.join(name));
            }
            folder(&["tests", "test"]).map(|d| d.join(name))
        }
        "rs" => {
            // Integration tests sit in `tests/` beside the crate's Cargo.toml.
            let krate = up.iter().find(|d| d.join("Cargo.toml").is_file())?;
            let tests = krate.join("tests");
            if !tests.is_dir() || dir.starts_with(&tests) {
                return None;
            }
            Some(tests.join(format!("{stem}.rs")))
        }
        "go" => {
            if stem.ends_with("_test") {
                return None;
            }
            Some(dir.join(format!("{stem}_test.go")))
        }
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" => {
            if stem.ends_with(".test") || stem.ends_with(".spec") {
                return None;
            }
            let name = format!("{stem}.test.{ext}");
            folder(&["__tests__", "tests", "test"]).map(|d| d.join(name))
        }
        "" => None,
        _ => {
            if stem.starts_with("test_") {
                return None;
            }
            folder(&["tests", "test"]).map(|d| d.join(format!("test_{stem}.{ext}")))
        }
    }
}

/// A proposal of a "write tests" run arrived: when the project keeps its tests
/// apart, the tests go to the test file (opened beside the code, reviewed there)
/// and `None` is returned; otherwise the proposal is handed back unchanged.
pub fn redirect(state: &mut State, run: RunId, proposal: Proposal) -> Option<Proposal> {
    if !state.conductor.test_runs.remove(&run) {
        return Some(proposal);
    }
    let source = state
        .conductor
        .run_views
        .get(&run)
        .and_then(|v| state.views.get(v))
        .and_then(|d| d.path.clone())
        .or_else(|| proposal.path.clone());
    let Some(target) = source.and_then(|s| test_location(&state.cwd, &s)) else {
        return Some(proposal);
    };
    let text: String = proposal.hunks.iter().map(|h| h.new_text.as_str()).collect();
    let text = text.trim_start_matches('\n').to_owned();
    if text.trim().is_empty() {
        return Some(proposal);
    }
    let exists = target.exists();
    let view = match open_view_of(state, &target) {
        Some(v) => v,
        None => {
            let v = crate::app::views::open_view(state, Some(target.clone()));
            if !exists {
                state.conductor.new_files.insert(v);
            }
            v
        }
    };
    show_beside(state, view);
    state
        .conductor
        .pending_tests
        .insert(view, PendingTests { run, text });
    let id = state.request(view, crate::session::Request::Snapshot);
    state
        .conductor
        .requests
        .insert(id, EditorRequest::TestFileSnapshot);
    let shown = target
        .strip_prefix(&state.cwd)
        .unwrap_or(&target)
        .display()
        .to_string();
    state.say(if exists {
        format!("The tests go at the end of {shown}: review them there")
    } else {
        format!("The tests go in a new file, {shown}: it is created when you accept them")
    });
    None
}

/// A view already open on `path`.
fn open_view_of(state: &State, path: &Path) -> Option<u64> {
    state
        .views
        .iter()
        .find(|(_, d)| d.path.as_deref() == Some(path))
        .map(|(v, _)| *v)
}

/// Shows `view` in a pane beside the focused editor (or focuses the pane
/// already showing it).
fn show_beside(state: &mut State, view: u64) {
    if state.windows.views().any(|(_, v)| v == view) {
        crate::app::views::focus_view(state, view);
        return;
    }
    state.hidden.retain(|v| *v != view);
    state.windows.split(
        SplitDir::Horizontal,
        PaneKind::Editor(EditorPane {
            view,
            ..Default::default()
        }),
    );
}

/// The editor answered the test file's snapshot: its tests become a proposal
/// appended to its text.
pub fn on_snapshot(state: &mut State, view: u64, result: Result<Value, String>) {
    let Some(pending) = state.conductor.pending_tests.remove(&view) else {
        return;
    };
    let snapshot = result.and_then(|v| {
        serde_json::from_value::<Snapshot>(v).map_err(|e| format!("unreadable snapshot: {e}"))
    });
    let s = match snapshot {
        Ok(s) => s,
        Err(e) => {
            state.error(format!("The test file cannot be reviewed: {e}"));
            return;
        }
    };
    let end = s.text.len();
    let sep = if s.text.is_empty() || s.text.ends_with("\n\n") {
        ""
    } else if s.text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    let mut new_text = format!("{sep}{}", pending.text);
    if !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    let proposal = Proposal {
        id: format!("tests-{}-{view}", pending.run.0),
        buffer: Some(view.to_string()),
        path: s.path.as_ref().map(PathBuf::from),
        base_revision: Some(s.revision),
        hunks: vec![Hunk {
            index: 0,
            start: end,
            end,
            old_text: String::new(),
            new_text,
            state: HunkState::Pending,
        }],
    };
    super::review_in(state, pending.run, view, proposal);
}

/// A review ended in `view` with `accepted` hunks taken: a new test file is
/// written now (or, nothing taken, closed without touching the disk).
pub fn on_review_done(state: &mut State, view: u64, accepted: usize) {
    if !state.conductor.new_files.remove(&view) {
        return;
    }
    let Some(path) = state.views.get(&view).and_then(|d| d.path.clone()) else {
        return;
    };
    if accepted > 0 {
        state.editor.save(view, path);
        return;
    }
    let pane = state
        .windows
        .views()
        .find(|(_, v)| *v == view)
        .map(|(id, _)| id);
    if let Some(id) = pane {
        state.windows.focus_pane(id);
        state.windows.close_focused();
    }
    state.editor.close(view);
    state.views.remove(&view);
    state.hidden.retain(|v| *v != view);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) -> PathBuf {
        let p = root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("dir");
        }
        std::fs::write(&p, "").expect("write");
        p
    }

    #[test]
    fn python_tests_go_beside_the_module_or_into_the_tests_folder() {
        let ws = tempfile::tempdir().expect("temp dir");
        let root = ws.path();
        let m = touch(root, "pkg/stats.py");
        assert_eq!(test_location(root, &m), None, "no test folder: in the file");
        std::fs::create_dir_all(root.join("tests")).expect("dir");
        assert_eq!(
            test_location(root, &m),
            Some(root.join("tests/test_stats.py"))
        );
        touch(root, "pkg/test_other.py");
        assert_eq!(
            test_location(root, &m),
            Some(root.join("pkg/test_stats.py"))
        );
        let t = root.join("pkg/test_other.py");
        assert_eq!(test_location(root, &t), None, "a test file keeps its tests");
    }

    #[test]
    fn rust_tests_go_into_the_crates_tests_folder() {
        let ws = tempfile::tempdir().expect("temp dir");
        let root = ws.path();
        touch(root, "Cargo.toml");
        let lib = touch(root, "src/parse.rs");
        assert_eq!(test_location(root, &lib), None);
        std::fs::create_dir_all(root.join("tests")).expect("dir");
        assert_eq!(test_location(root, &lib), Some(root.join("tests/parse.rs")));
    }

    #[test]
    fn javascript_prefers_dunder_tests_and_go_tests_sit_beside() {
        let ws = tempfile::tempdir().expect("temp dir");
        let root = ws.path();
        let js = touch(root, "src/sum.js");
        std::fs::create_dir_all(root.join("src/__tests__")).expect("dir");
        assert_eq!(
            test_location(root, &js),
            Some(root.join("src/__tests__/sum.test.js"))
        );
        let go = touch(root, "calc.go");
        assert_eq!(test_location(root, &go), Some(root.join("calc_test.go")));
    }
}
