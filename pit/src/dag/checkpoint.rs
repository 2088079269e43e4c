//! Checkpoints: finished nodes and their outputs, written in batches as segment files
//! (temp file, fsync, rename, fsync dir), read back by `resume`.
//!
//! Layout of a checkpoint directory: `header.json` (format version and a fingerprint of the
//! workflow's node ids) and `seg-00000001.jsonl`, `seg-00000002.jsonl`, … each holding one
//! JSON record per finished node. A segment is visible only once complete, so a crash at
//! any instant leaves a readable checkpoint.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::{DagError, Result};
use super::executor::Value;
use super::state::NodeState;
use super::workflow::Workflow;

/// Where and how often a run writes its checkpoint.
///
/// ```
/// use std::time::Duration;
/// use symphony_pit::dag::CheckpointPolicy;
/// let p = CheckpointPolicy::new("/tmp/run-1").batch(64).max_delay(Duration::from_millis(200));
/// assert_eq!(p.every_nodes, 64);
/// ```
#[derive(Debug, Clone)]
pub struct CheckpointPolicy {
    /// Checkpoint directory (created if missing).
    pub dir: PathBuf,
    /// Write a segment once this many nodes finished since the last one (1 = every node).
    pub every_nodes: usize,
    /// Also write when the oldest unwritten node finished this long ago (checked as nodes
    /// finish).
    pub max_delay: Duration,
}

impl CheckpointPolicy {
    /// Writes after every finished node.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            every_nodes: 1,
            max_delay: Duration::ZERO,
        }
    }

    /// Writes once `n` nodes have finished.
    pub fn batch(mut self, n: usize) -> Self {
        self.every_nodes = n.max(1);
        self
    }

    /// Writes at the latest `d` after a node finished (when the next node finishes).
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    nodes: usize,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Record {
    id: String,
    state: NodeState,
    outputs: Vec<Value>,
}

/// A node restored from a checkpoint.
pub(crate) struct Restored {
    pub idx: u32,
    pub state: NodeState,
    pub outputs: Vec<Arc<Value>>,
}

/// Writes segments for one run.
pub(crate) struct Checkpointer {
    policy: CheckpointPolicy,
    pending: Vec<u32>,
    oldest: Option<Instant>,
    next_seg: u64,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DagError + '_ {
    move |source| DagError::CheckpointIo {
        path: path.to_owned(),
        source,
    }
}

fn fingerprint(wf: &Workflow) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&(wf.len() as u64).to_le_bytes());
    for n in wf.nodes() {
        h.update(n.id.as_bytes());
        h.update(&[0]);
    }
    h.finalize().to_hex().to_string()
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of the directory.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = crate::artifacts::private::create_file(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut segs = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(segs),
        Err(e) => return Err(io_err(dir)(e)),
    };
    for entry in rd {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name
            .strip_prefix("seg-")
            .and_then(|r| r.strip_suffix(".jsonl"))
            && let Ok(n) = n.parse::<u64>()
        {
            segs.push((n, entry.path()));
        }
    }
    segs.sort_unstable();
    Ok(segs)
}

impl Checkpointer {
    /// Starts a fresh checkpoint: clears `dir` of old segments and writes the header.
    pub fn fresh(policy: CheckpointPolicy, wf: &Workflow) -> Result<Self> {
        let dir = policy.dir.clone();
        crate::artifacts::private::create_dir_all(&dir).map_err(io_err(&dir))?;
        for (_, p) in segments(&dir)? {
            fs::remove_file(&p).map_err(io_err(&p))?;
        }
        let header = Header {
            version: 1,
            nodes: wf.len(),
            fingerprint: fingerprint(wf),
        };
        let path = dir.join("header.json");
        let bytes = serde_json::to_vec(&header).map_err(|e| DagError::CheckpointCorrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        atomic_write(&path, &bytes).map_err(io_err(&path))?;
        Ok(Self {
            policy,
            pending: Vec::new(),
            oldest: None,
            next_seg: 1,
        })
    }

    /// Opens an existing checkpoint of `wf` and returns the nodes it holds.
    pub fn resume(policy: CheckpointPolicy, wf: &Workflow) -> Result<(Self, Vec<Restored>)> {
        let dir = policy.dir.clone();
        let path = dir.join("header.json");
        let raw = fs::read(&path).map_err(io_err(&path))?;
        let header: Header =
            serde_json::from_slice(&raw).map_err(|e| DagError::CheckpointCorrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if header.nodes != wf.len() || header.fingerprint != fingerprint(wf) {
            return Err(DagError::CheckpointMismatch(dir));
        }
        let mut restored = Vec::new();
        let mut next_seg = 1;
        for (n, p) in segments(&dir)? {
            next_seg = n + 1;
            let text = fs::read_to_string(&p).map_err(io_err(&p))?;
            for line in text.lines().filter(|l| !l.is_empty()) {
                let rec: Record =
                    serde_json::from_str(line).map_err(|e| DagError::CheckpointCorrupt {
                        path: p.clone(),
                        reason: e.to_string(),
                    })?;
                let Some(idx) = wf.position(&rec.id) else {
                    return Err(DagError::CheckpointMismatch(dir));
                };
                restored.push(Restored {
                    idx,
                    state: rec.state,
                    outputs: rec.outputs.into_iter().map(Arc::new).collect(),
                });
            }
        }
        Ok((
            Self {
                policy,
                pending: Vec::new(),
                oldest: None,
                next_seg,
            },
            restored,
        ))
    }

    /// Notes that node `idx` finished; true when a segment is due.
    pub fn note(&mut self, idx: u32) -> bool {
        self.pending.push(idx);
        let now_due = self.pending.len() >= self.policy.every_nodes;
        let oldest = *self.oldest.get_or_insert_with(Instant::now);
        now_due || (!self.policy.max_delay.is_zero() && oldest.elapsed() >= self.policy.max_delay)
    }

    /// Writes the pending nodes as one segment.
    pub fn flush(
        &mut self,
        wf: &Workflow,
        state_of: &dyn Fn(usize) -> NodeState,
        outputs: &[Vec<Arc<Value>>],
    ) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(self.pending.len() * 64);
        for &i in &self.pending {
            let i = i as usize;
            let rec = RecordRef {
                id: &wf.nodes()[i].id,
                state: state_of(i),
                outputs: &outputs[i],
            };
            serde_json::to_writer(&mut buf, &rec).map_err(|e| DagError::CheckpointCorrupt {
                path: self.policy.dir.clone(),
                reason: e.to_string(),
            })?;
            buf.push(b'\n');
        }
        let path = self
            .policy
            .dir
            .join(format!("seg-{:08}.jsonl", self.next_seg));
        atomic_write(&path, &buf).map_err(io_err(&path))?;
        tracing::trace!(
            segment = self.next_seg,
            nodes = self.pending.len(),
            "checkpoint written"
        );
        self.next_seg += 1;
        self.pending.clear();
        self.oldest = None;
        Ok(())
    }
}

#[derive(Serialize)]
struct RecordRef<'a> {
    id: &'a str,
    state: NodeState,
    outputs: &'a [Arc<Value>],
}
