//! "Undo this run": for each file a run changed, the text to restore — the file as
//! it is now (buffer or disk) with the run's hunks turned back into what was there
//! before the run. Hunks the user edited since (their lines overlap an edit of the
//! user's, or the user inserted lines right at them) are not overwritten: they stay as they are and are listed as
//! conflicts for the user to decide. Hunks are the proposal module's line hunks.

use std::collections::HashMap;
use std::path::PathBuf;

use super::changes::{ChangeSet, FileChange};
use crate::command::EditorContext;
use crate::proposal::{Hunk, apply_hunks, from_replacement};

/// One hunk of the run that the user edited since: left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoConflict {
    /// Its first line in the restored text (1-based).
    pub line: usize,
    /// What the run had put there.
    pub run_text: String,
    /// What was there before the run.
    pub before_text: String,
}

/// How to undo one file's part of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoFile {
    /// The file (absolute).
    pub path: PathBuf,
    /// Its text before the run (`None`: the run created it).
    pub before: Option<String>,
    /// The text the run proposed.
    pub after: String,
    /// Its text now (buffer or disk; `None`: it does not exist).
    pub current: Option<String>,
    /// The text to write; `None`: the file should not exist (the run created it and it
    /// is unchanged since, or it is gone already). Equal to `current` where everything
    /// conflicts.
    pub restored: Option<String>,
    /// The run's hunks the user edited since, kept as they are.
    pub conflicts: Vec<UndoConflict>,
}

/// The hunks turning `from` into `to`, in `from`'s offsets.
fn hunks(from: &str, to: &str) -> Vec<Hunk> {
    let ctx = EditorContext {
        file_text: from.to_owned(),
        ..Default::default()
    };
    from_replacement(&ctx, 0, from.len(), to).hunks
}

/// Whether two hunks (in the same text's offsets) overlap; an insertion (empty range)
/// meets a hunk it touches.
fn meet(a: &Hunk, b: &Hunk) -> bool {
    if a.start == a.end || b.start == b.end {
        a.start <= b.end && b.start <= a.end
    } else {
        a.start < b.end && b.start < a.end
    }
}

/// How to undo `change` (paths relative to `root`) given the file's text now; `None`
/// when there is nothing to undo (the file reads as before the run).
pub fn plan(
    root: &std::path::Path,
    change: &FileChange,
    current: Option<&str>,
) -> Option<UndoFile> {
    let path = root.join(&change.path);
    let file = |restored: Option<String>, conflicts| UndoFile {
        path: path.clone(),
        before: change.before.clone(),
        after: change.after.clone(),
        current: current.map(str::to_owned),
        restored,
        conflicts,
    };
    if current == change.before.as_deref() {
        return None;
    }
    let Some(current) = current else {
        // The file is gone since: nothing to merge into; restoring it is the user's call.
        let conflict = UndoConflict {
            line: 1,
            run_text: change.after.clone(),
            before_text: change.before.clone().unwrap_or_default(),
        };
        return Some(file(None, vec![conflict]));
    };
    let Some(before) = change.before.as_deref() else {
        // A file the run created: deleted when untouched since, else kept.
        if current == change.after {
            return Some(file(None, Vec::new()));
        }
        let conflict = UndoConflict {
            line: 1,
            run_text: change.after.clone(),
            before_text: String::new(),
        };
        return Some(file(Some(current.to_owned()), vec![conflict]));
    };
    let revert = hunks(&change.after, before);
    let user = hunks(&change.after, current);
    let mut take: Vec<Hunk> = user.clone();
    let mut conflicting = Vec::new();
    for r in revert {
        if user.iter().any(|u| meet(u, &r)) {
            conflicting.push(r);
        } else {
            take.push(r);
        }
    }
    take.sort_by_key(|h| (h.start, h.end));
    let restored = apply_hunks(&change.after, &take, |_| true);
    // Where each conflict lands in the restored text: its offset moved by the taken
    // hunks before it.
    let conflicts = conflicting
        .into_iter()
        .map(|r| {
            let shift: isize = take
                .iter()
                .filter(|h| h.end <= r.start)
                .map(|h| h.new_text.len() as isize - (h.end - h.start) as isize)
                .sum();
            let at = (r.start as isize + shift).clamp(0, restored.len() as isize) as usize;
            let at = (0..=at)
                .rev()
                .find(|i| restored.is_char_boundary(*i))
                .unwrap_or(0);
            UndoConflict {
                line: restored[..at].matches('\n').count() + 1,
                run_text: r.old_text,
                before_text: r.new_text,
            }
        })
        .collect();
    Some(file(Some(restored), conflicts))
}

/// For each file the conversation had proposed when a run started: its text then
/// (buffer, else disk) and its proposed text then.
pub type Prior = HashMap<PathBuf, (Option<String>, String)>;

/// What one run changed: each file whose proposed text moved during it, with its text
/// before the run (`prior`: the text at the run's start of files already proposed by
/// the conversation; the change set's own `before` for the others).
pub fn run_changes(prior: &Prior, end: &ChangeSet) -> Vec<FileChange> {
    end.files()
        .filter_map(|c| {
            let before = match prior.get(&c.path) {
                Some((_, proposed)) if *proposed == c.after => return None,
                Some((text, _)) => text.clone(),
                None => c.before.clone(),
            };
            (before.as_deref() != Some(c.after.as_str())).then(|| FileChange {
                path: c.path.clone(),
                before,
                after: c.after.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn change(before: Option<&str>, after: &str) -> FileChange {
        FileChange {
            path: "a.rs".into(),
            before: before.map(str::to_owned),
            after: after.to_owned(),
        }
    }

    #[test]
    fn undo_restores_the_text_before_the_run_even_after_save() {
        let c = change(
            Some("fn old() {}\nfn main() { old() }\n"),
            "fn new() {}\nfn main() { new() }\n",
        );
        let p = plan(Path::new("/w"), &c, Some(&c.after)).unwrap();
        assert_eq!(p.path, Path::new("/w/a.rs"));
        assert_eq!(p.restored.as_deref(), c.before.as_deref());
        assert!(p.conflicts.is_empty());
        // Nothing to undo when the run's change was never accepted.
        assert_eq!(plan(Path::new("/w"), &c, c.before.as_deref()), None);
    }

    #[test]
    fn lines_the_user_edited_since_are_conflicts_and_the_rest_is_restored() {
        let before = "a\nb\nc\nd\ne\nf\ng\n";
        let after = "a\nB\nc\nd\ne\nF\ng\n";
        // The user changed the run's F line, and added a line far from the run's B.
        let current = "a\nB\nc\nd\ne\nF!\ng\nh\n";
        let p = plan(Path::new("/w"), &change(Some(before), after), Some(current)).unwrap();
        assert_eq!(p.restored.as_deref(), Some("a\nb\nc\nd\ne\nF!\ng\nh\n"));
        assert_eq!(
            p.conflicts,
            [UndoConflict {
                line: 6,
                run_text: "F\n".into(),
                before_text: "f\n".into(),
            }]
        );
    }

    #[test]
    fn a_file_the_run_created_is_deleted_unless_the_user_edited_it() {
        let c = change(None, "new\n");
        let p = plan(Path::new("/w"), &c, Some("new\n")).unwrap();
        assert_eq!(p.restored, None);
        assert!(p.conflicts.is_empty());
        let p = plan(Path::new("/w"), &c, Some("new\nmine\n")).unwrap();
        assert_eq!(p.restored.as_deref(), Some("new\nmine\n"));
        assert_eq!(p.conflicts.len(), 1);
        assert_eq!(plan(Path::new("/w"), &c, None), None);
    }
}
