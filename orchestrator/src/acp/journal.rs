//! Which ACP session each run of an external agent spoke in, kept on disk so that
//! after a restart an unfinished run can be loaded again (`session/load`) or shown as
//! interrupted: one small JSON file per run under `<state dir>/acp/<agent>/`, written
//! atomically (temporary file, then rename).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::events::RunId;

/// One run as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run.
    pub run: u64,
    /// The agent's session id.
    pub session: String,
    /// The run's title (the prompt's first line).
    pub title: String,
    /// Whether the run ended (its turn finished, failed or was cancelled).
    pub finished: bool,
}

/// The run records of one agent.
#[derive(Debug, Clone)]
pub struct RunJournal {
    dir: PathBuf,
}

impl RunJournal {
    /// The records of agent `agent` under `state_dir`.
    pub fn new(state_dir: &Path, agent: &str) -> RunJournal {
        let safe: String = agent
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        RunJournal {
            dir: state_dir.join("acp").join(safe),
        }
    }

    fn path(&self, run: RunId) -> PathBuf {
        self.dir.join(format!("{}.json", run.0))
    }

    /// Writes `record` (logged, not fatal, when the disk refuses).
    pub fn save(&self, record: &RunRecord) {
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let path = self.path(RunId(record.run));
            let tmp = path.with_extension("json.tmp");
            let text = serde_json::to_string(record).map_err(std::io::Error::other)?;
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(dir = %self.dir.display(), run = record.run, "ACP: run journal not written: {e}");
        }
    }

    /// The record of `run`, if there is a readable one.
    pub fn load(&self, run: RunId) -> Option<RunRecord> {
        let text = std::fs::read_to_string(self.path(run)).ok()?;
        match serde_json::from_str(&text) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(run = run.0, "ACP: run journal unreadable: {e}");
                None
            }
        }
    }

    /// Marks `run` finished.
    pub fn finish(&self, run: RunId) {
        if let Some(mut r) = self.load(run) {
            r.finished = true;
            self.save(&r);
        }
    }

    /// Every readable record, by run id.
    pub fn all(&self) -> Vec<RunRecord> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<RunRecord> = dir
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let id = name.to_str()?.strip_suffix(".json")?.parse().ok()?;
                self.load(RunId(id))
            })
            .collect();
        out.sort_by_key(|r| r.run);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_and_are_marked_finished() {
        let dir = tempfile::tempdir().unwrap();
        let j = RunJournal::new(dir.path(), "my agent");
        assert!(j.all().is_empty());
        for run in [5, 3] {
            j.save(&RunRecord {
                run,
                session: format!("s{run}"),
                title: "t".into(),
                finished: false,
            });
        }
        j.finish(RunId(3));
        let again = RunJournal::new(dir.path(), "my agent");
        let all = again.all();
        assert_eq!(all.iter().map(|r| r.run).collect::<Vec<_>>(), [3, 5]);
        assert!(all[0].finished && !all[1].finished);
        assert_eq!(again.load(RunId(5)).unwrap().session, "s5");
        assert!(dir.path().join("acp/my_agent/5.json").exists());
    }
}
