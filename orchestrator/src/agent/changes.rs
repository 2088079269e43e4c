//! The change set of an agent run: for each file a tool wanted to change, its text
//! before the run and the text the run proposes. Tools read the proposed text, so a
//! second edit of the same file builds on the first. Nothing here touches disk: the
//! user reviews each file's hunks and accepts them through the editor process.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One file's proposed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// The file, relative to the workspace root.
    pub path: PathBuf,
    /// Its text before the run (`None`: the run creates it).
    pub before: Option<String>,
    /// The text the run proposes.
    pub after: String,
}

impl FileChange {
    /// Lines added and removed (a line diff of before and after).
    pub fn counts(&self) -> (usize, usize) {
        let before = self.before.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(before, self.after.as_str());
        let (mut added, mut removed) = (0, 0);
        for change in diff.iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Insert => added += 1,
                similar::ChangeTag::Delete => removed += 1,
                similar::ChangeTag::Equal => {}
            }
        }
        (added, removed)
    }
}

/// Every file the run proposes to change, by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSet {
    files: BTreeMap<PathBuf, FileChange>,
}

impl ChangeSet {
    /// The proposed text of `path`, when the run changed it.
    pub fn proposed(&self, path: &std::path::Path) -> Option<&str> {
        self.files.get(path).map(|c| c.after.as_str())
    }

    /// Records that `path` (whose text before the run was `before`) should read `after`.
    /// The first recorded `before` is kept: it is the state to restore on undo.
    pub fn propose(&mut self, path: PathBuf, before: Option<String>, after: String) {
        self.files
            .entry(path.clone())
            .and_modify(|c| c.after = after.clone())
            .or_insert(FileChange {
                path,
                before,
                after,
            });
    }

    /// The changes, by path; files whose proposed text equals the original are left out.
    pub fn files(&self) -> impl Iterator<Item = &FileChange> {
        self.files
            .values()
            .filter(|c| c.before.as_deref() != Some(c.after.as_str()))
    }

    /// Whether the run changed nothing.
    pub fn is_empty(&self) -> bool {
        self.files().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_edit_keeps_the_original_text_and_counts_lines() {
        let mut set = ChangeSet::default();
        set.propose("a.rs".into(), Some("a\nb\n".into()), "a\nB\n".into());
        set.propose("a.rs".into(), Some("a\nB\n".into()), "a\nB\nc\n".into());
        let change = set.files().next().unwrap();
        assert_eq!(change.before.as_deref(), Some("a\nb\n"));
        assert_eq!(change.counts(), (2, 1));
        set.propose("b.rs".into(), Some("x\n".into()), "x\n".into());
        assert_eq!(set.files().count(), 1);
    }
}
