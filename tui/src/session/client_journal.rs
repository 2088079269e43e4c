//! The client's own journal of a file's edits while the editor is down.
//!
//! When the editor dies, the session holds the only complete record of what was
//! typed into a file since its base (its open or its last save): the edit log,
//! and the keys queued while the editor restarts or stays stopped. That record
//! is written to `<state dir>/client-journal/<name>-<hash of the path>.jsonl`
//! (one JSON header line naming the file and its text on disk, then one edit a
//! line, each appended with a single `write(2)`), and removed once a restarted
//! editor has confirmed the replay. A client killed meanwhile finds it at the
//! next start: the file is offered for recovery, and the edits are replayed
//! onto the file as it is on disk.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// Format version in the header.
const VERSION: u64 = 1;

/// Where the view's log starts, as the journal stores it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Start {
    /// Selections then, as `[line, col, line, col]`.
    pub selections: Vec<[usize; 4]>,
    /// The last `resize` and `scroll` edits sent before then.
    pub resize: Option<Value>,
    pub scroll: Option<Value>,
    /// The start is a save (not the open).
    pub saved: bool,
}

/// An open client journal, appended to while the editor is down.
#[derive(Debug)]
pub(super) struct ClientJournal {
    path: PathBuf,
    file: File,
}

/// A journal found at open: where its edits start, and the edits.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub start: Start,
    pub edits: Vec<Value>,
}

/// `$XDG_STATE_HOME/symphony/client-journal` (or `~/.local/state/...`).
pub(super) fn default_dir() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("client-journal"))
}

/// Writes the journal of `file_path` afresh: its start and `edits`, in order.
pub(super) fn write(
    dir: &Path,
    file_path: &Path,
    start: &Start,
    edits: impl IntoIterator<Item = Value>,
) -> io::Result<ClientJournal> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let path = journal_path(dir, file_path);
    let disk = std::fs::read(file_path).unwrap_or_default();
    let header = json!({
        "symphony_client_journal": VERSION,
        "path": file_path.to_string_lossy(),
        "len": disk.len(),
        "hash": format!("{:016x}", fnv1a(&disk)),
        "selections": start.selections,
        "resize": start.resize,
        "scroll": start.scroll,
        "saved": start.saved,
    });
    let mut bytes = header.to_string().into_bytes();
    bytes.push(b'\n');
    for e in edits {
        bytes.extend_from_slice(e.to_string().as_bytes());
        bytes.push(b'\n');
    }
    // Written whole under a temporary name, then renamed: a crash leaves the old
    // journal or the new one, never half of one.
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&bytes)?;
    }
    std::fs::rename(&tmp, &path)?;
    let file = OpenOptions::new().append(true).open(&path)?;
    Ok(ClientJournal { path, file })
}

impl ClientJournal {
    /// Appends one edit with a single `write(2)`: a SIGKILL after it loses nothing.
    pub fn append(&mut self, edit: &Value) -> io::Result<()> {
        let mut line = edit.to_string().into_bytes();
        line.push(b'\n');
        self.file.write_all(&line)
    }

    /// Removes the journal: the editor has every edit again.
    pub fn remove(self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!("client journal {}: {e}", self.path.display());
        }
    }
}

/// The journal of `file_path`, when there is one made on the text the file
/// holds now (else its edits would not fit: it is left alone and logged).
pub(super) fn read(dir: &Path, file_path: &Path) -> Option<Found> {
    let path = journal_path(dir, file_path);
    let bytes = std::fs::read(&path).ok()?;
    let mut lines = bytes.split(|&b| b == b'\n');
    let header: Value = serde_json::from_slice(lines.next()?).ok()?;
    if header["symphony_client_journal"] != json!(VERSION)
        || header["path"] != json!(file_path.to_string_lossy())
    {
        tracing::warn!(journal = %path.display(), "not a client journal of this file; ignored");
        return None;
    }
    let disk = std::fs::read(file_path).unwrap_or_default();
    if header["len"] != json!(disk.len())
        || header["hash"] != json!(format!("{:016x}", fnv1a(&disk)))
    {
        tracing::warn!(journal = %path.display(), "the file changed since its client journal was written; not offered");
        return None;
    }
    let selections = serde_json::from_value(header["selections"].clone()).unwrap_or_default();
    let opt = |v: &Value| (!v.is_null()).then(|| v.clone());
    let start = Start {
        selections,
        resize: opt(&header["resize"]),
        scroll: opt(&header["scroll"]),
        saved: header["saved"] == json!(true),
    };
    // A torn last line (a crash mid-append) is left out.
    let edits: Vec<Value> = lines
        .filter(|l| !l.is_empty())
        .map_while(|l| serde_json::from_slice(l).ok())
        .collect();
    if edits.is_empty() {
        return None;
    }
    Some(Found { start, edits })
}

/// Removes the journal of `file_path`, if any.
pub(super) fn remove(dir: &Path, file_path: &Path) {
    let path = journal_path(dir, file_path);
    if let Err(e) = std::fs::remove_file(&path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("client journal {}: {e}", path.display());
    }
}

/// `<dir>/<file name>-<hash of the path>.jsonl`.
fn journal_path(dir: &Path, file_path: &Path) -> PathBuf {
    let name: String = file_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let hash = fnv1a(file_path.as_os_str().as_encoded_bytes());
    dir.join(format!("{name}-{hash:016x}.jsonl"))
}

/// 64-bit FNV-1a: stable across versions (file names and headers depend on it).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_with_its_start_and_a_torn_tail_left_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("f.txt");
        std::fs::write(&file, "disk\n").expect("write");
        let start = Start {
            selections: vec![[0, 1, 0, 1]],
            resize: Some(json!({"method": "resize", "params": {"width": 80, "height": 20}})),
            scroll: None,
            saved: true,
        };
        let jdir = dir.path().join("cj");
        let mut j = write(
            &jdir,
            &file,
            &start,
            [json!({"method": "insert", "params": {"chars": "a"}})],
        )
        .expect("journal");
        j.append(&json!({"method": "insert", "params": {"chars": "b"}}))
            .expect("append");
        let mut raw = OpenOptions::new()
            .append(true)
            .open(journal_path(&jdir, &file))
            .expect("open");
        raw.write_all(b"{\"method\":\"ins").expect("torn");
        let found = read(&jdir, &file).expect("found");
        assert_eq!(found.start, start);
        assert_eq!(found.edits.len(), 2);
        assert_eq!(found.edits[1]["params"]["chars"], "b");
        // Made on another text: not offered, and not deleted either.
        std::fs::write(&file, "changed\n").expect("write");
        assert_eq!(read(&jdir, &file), None);
        assert!(journal_path(&jdir, &file).exists());
        j.remove();
        assert!(!journal_path(&jdir, &file).exists());
    }
}
