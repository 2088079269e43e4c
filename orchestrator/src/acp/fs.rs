//! The agent's `fs/read_text_file` and `fs/write_text_file`: paths confined to the
//! workspace, reads from what the user sees (the agent's own proposed text, else the
//! editor's buffer with its unsaved changes, else the disk), writes turned into
//! [`Proposal`]s for review instead of touching the disk.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::command::EditorContext;
use crate::proposal::{Proposal, from_replacement};

/// The text of an open editor buffer for a file (unsaved changes included), `None`
/// when the file is not open. The client supplies it.
pub type BufferText = Arc<dyn Fn(&Path) -> Option<String> + Send + Sync>;

/// Why a file request was refused (sent back to the agent as the error message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsRefusal {
    /// The path is relative (ACP requires absolute paths).
    #[error("{0}: the path must be absolute")]
    Relative(PathBuf),
    /// The path leads outside the workspace.
    #[error("{0}: outside the workspace; Symphony only lets an agent read and write inside it")]
    Outside(PathBuf),
    /// Reading failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The workspace's files as the agent sees them.
#[derive(Clone)]
pub struct Files {
    root: PathBuf,
    buffers: BufferText,
    /// What the agent wrote per file (pending review), so its next read sees it.
    proposed: Arc<Mutex<HashMap<PathBuf, String>>>,
}

impl Files {
    /// Files under `root` (canonicalised when it exists), open buffers read through
    /// `buffers`.
    pub fn new(root: &Path, buffers: BufferText) -> Files {
        Files {
            root: std::fs::canonicalize(root).unwrap_or_else(|_| normalize(root)),
            buffers,
            proposed: Arc::default(),
        }
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` if it is absolute and inside the workspace (symlinks of existing parents
    /// resolved, `..` folded), else why not.
    pub fn confine(&self, path: &Path) -> Result<PathBuf, FsRefusal> {
        if !path.is_absolute() {
            return Err(FsRefusal::Relative(path.to_owned()));
        }
        let resolved = resolve(&normalize(path));
        if resolved.starts_with(&self.root) {
            Ok(resolved)
        } else {
            Err(FsRefusal::Outside(path.to_owned()))
        }
    }

    /// `fs/read_text_file`: lines `line` (1-based) .. `line + limit` of the file.
    pub fn read(
        &self,
        path: &Path,
        line: Option<u32>,
        limit: Option<u32>,
    ) -> Result<String, FsRefusal> {
        let path = self.confine(path)?;
        let text = self.current_text(&path).map_err(|e| FsRefusal::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(slice_lines(&text, line, limit))
    }

    /// What the user currently sees for `path` (confined already).
    pub fn current_text(&self, path: &Path) -> std::io::Result<String> {
        if let Some(t) = self.proposed.lock().get(path) {
            return Ok(t.clone());
        }
        if let Some(t) = (self.buffers)(path) {
            return Ok(t);
        }
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "not a UTF-8 text file")
        })
    }

    /// `fs/write_text_file`: the proposal that turns the current text into `content`
    /// (a new file's proposal has one hunk holding all of it). Nothing is written.
    pub fn propose_write(&self, path: &Path, content: &str) -> Result<Proposal, FsRefusal> {
        let path = self.confine(path)?;
        let old = match self.buffer_or_disk(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(FsRefusal::Io {
                    path,
                    message: e.to_string(),
                });
            }
        };
        let ctx = EditorContext {
            path: Some(path.clone()),
            file_text: old.clone(),
            cwd: self.root.clone(),
            ..Default::default()
        };
        let proposal = from_replacement(&ctx, 0, old.len(), content);
        self.proposed.lock().insert(path, content.to_owned());
        Ok(proposal)
    }

    /// Forgets the agent's pending text of `path` (its proposal was decided).
    pub fn settle(&self, path: &Path) {
        self.proposed.lock().remove(path);
    }

    fn buffer_or_disk(&self, path: &Path) -> std::io::Result<String> {
        match (self.buffers)(path) {
            Some(t) => Ok(t),
            None => {
                let bytes = std::fs::read(path)?;
                String::from_utf8(bytes).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "not a UTF-8 text file")
                })
            }
        }
    }
}

/// `.` and `..` folded without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The longest existing ancestor canonicalised (symlinks resolved), the rest appended.
fn resolve(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(&existing) {
            let mut out = c;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (
            existing.file_name().map(|n| n.to_owned()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

fn slice_lines(text: &str, line: Option<u32>, limit: Option<u32>) -> String {
    if line.is_none() && limit.is_none() {
        return text.to_owned();
    }
    let skip = line.map_or(0, |l| l.saturating_sub(1) as usize);
    let take = limit.map_or(usize::MAX, |l| l as usize);
    text.split_inclusive('\n').skip(skip).take(take).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(root: &Path) -> Files {
        let open = root.join("open.txt");
        Files::new(
            root,
            Arc::new(move |p: &Path| (p == open).then(|| "unsaved\n".to_owned())),
        )
    }

    #[test]
    fn reads_prefer_the_open_buffer_and_stay_inside_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join("open.txt"), "on disk\n").unwrap();
        std::fs::write(root.join("a.txt"), "1\n2\n3\n").unwrap();
        let f = files(&root);
        assert_eq!(
            f.read(&root.join("open.txt"), None, None).unwrap(),
            "unsaved\n"
        );
        assert_eq!(
            f.read(&root.join("a.txt"), Some(2), Some(1)).unwrap(),
            "2\n"
        );
        let outside = root.join("../../etc/passwd");
        assert!(matches!(
            f.read(&outside, None, None),
            Err(FsRefusal::Outside(_))
        ));
        assert!(matches!(
            f.read(Path::new("a.txt"), None, None),
            Err(FsRefusal::Relative(_))
        ));
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        assert!(matches!(
            f.read(&root.join("link/passwd"), None, None),
            Err(FsRefusal::Outside(_))
        ));
    }

    #[test]
    fn a_write_is_a_proposal_and_the_disk_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let a = root.join("a.txt");
        std::fs::write(&a, "one\ntwo\nthree\n").unwrap();
        let f = files(&root);
        let p = f.propose_write(&a, "one\nTWO\nthree\n").unwrap();
        assert_eq!(p.hunks.len(), 1);
        assert_eq!(p.hunks[0].new_text, "TWO\n");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "one\ntwo\nthree\n");
        // The agent reads back what it wrote.
        assert_eq!(f.read(&a, None, None).unwrap(), "one\nTWO\nthree\n");
        f.settle(&a);
        assert_eq!(f.read(&a, None, None).unwrap(), "one\ntwo\nthree\n");
        let new = f.propose_write(&root.join("sub/new.txt"), "hi\n").unwrap();
        assert_eq!(new.hunks[0].new_text, "hi\n");
        assert!(f.propose_write(Path::new("/tmp/x"), "x").is_err());
    }
}
