//! The runner's record of each run on disk, beside the conversation journals: which
//! conversation journal a run belongs to, its task, the first node it added, and how
//! it ended (`None` while it runs — after a crash, that is an interrupted run that
//! [`AgentRunner::resume`](super::AgentRunner) continues). One small JSON file per run
//! (`run-<id>.json`, replaced atomically), so the run ids of earlier sessions are known
//! and a new session numbers on after them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::accounting::RunTotals;
use super::changes::FileChange;
use crate::events::RunId;

/// One run, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run.
    pub run: u64,
    /// Its title (the task's first line).
    pub title: String,
    /// The conversation journal it appends to.
    pub conversation: PathBuf,
    /// The first node (in the conversation's numbering) the run added.
    pub first_node: usize,
    /// How it ended (the message the AI pane showed); `None` while it runs.
    pub outcome: Option<String>,
    /// What it used (turns, calls, tokens, cost), when it ended.
    #[serde(default)]
    pub totals: RunTotals,
    /// The files it changed: each one's text before the run and what it proposed
    /// (for "undo this run"), when it ended.
    #[serde(default)]
    pub changes: Vec<FileChange>,
}

impl RunRecord {
    /// Its file in `dir`.
    pub fn path(dir: &Path, run: RunId) -> PathBuf {
        dir.join(format!("run-{}.json", run.0))
    }

    /// Writes it (a temporary file renamed over the old one).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        let path = Self::path(dir, RunId(self.run));
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)
    }

    /// Reads `run`'s record from `dir`.
    pub fn load(dir: &Path, run: RunId) -> std::io::Result<RunRecord> {
        let text = std::fs::read_to_string(Self::path(dir, run))?;
        serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("run {}: {e}", run.0),
            )
        })
    }

    /// Every readable record in `dir`, oldest run first.
    pub fn all(dir: &Path) -> Vec<RunRecord> {
        let mut out: Vec<RunRecord> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| run_of(&e.file_name().to_string_lossy()))
            .filter_map(|run| match Self::load(dir, RunId(run)) {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::warn!(error = %e, "skipping an unreadable agent run record");
                    None
                }
            })
            .collect();
        out.sort_by_key(|r| r.run);
        out
    }
}

/// The run number of a record's file name.
fn run_of(name: &str) -> Option<u64> {
    name.strip_prefix("run-")?
        .strip_suffix(".json")?
        .parse()
        .ok()
}

/// The first run id after the records in `dir` (at least `first`).
pub fn next_run_id(dir: &Path, first: u64) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| run_of(&e.file_name().to_string_lossy()))
        .max()
        .map_or(first, |l| (l + 1).max(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_number_the_next_run_after_them() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_run_id(dir.path(), 100), 100);
        let r = RunRecord {
            run: 105,
            title: "rename".into(),
            conversation: dir.path().join("conversation-105.jsonl"),
            first_node: 3,
            outcome: None,
            totals: RunTotals::default(),
            changes: vec![FileChange {
                path: "a.rs".into(),
                before: Some("a\n".into()),
                after: "b\n".into(),
            }],
        };
        r.save(dir.path()).unwrap();
        std::fs::write(dir.path().join("run-7.json"), "{torn").unwrap();
        assert_eq!(RunRecord::load(dir.path(), RunId(105)).unwrap(), r);
        assert_eq!(RunRecord::all(dir.path()), [r]);
        assert_eq!(next_run_id(dir.path(), 100), 106);
    }
}
