//! Object files: the sharded layout on disk, streaming crash-safe writes (temp file, fsync,
//! rename, fsync of the directory) and the verifying reader.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::error::{ArtifactError, Result};
use super::id::ArtifactId;

const CHUNK: usize = 64 * 1024;

/// Paths inside a store root.
#[derive(Debug)]
pub(crate) struct Layout {
    /// Shard directories known to exist: `[objects 00..ff, trash 00..ff]`.
    shards: Vec<std::sync::atomic::AtomicBool>,
    pub root: PathBuf,
    pub objects: PathBuf,
    pub trash: PathBuf,
    pub tmp: PathBuf,
    pub names: PathBuf,
    pub index: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Self {
        Self {
            shards: (0..512)
                .map(|_| std::sync::atomic::AtomicBool::new(false))
                .collect(),
            root: root.to_owned(),
            objects: root.join("objects"),
            trash: root.join("trash"),
            tmp: root.join("tmp"),
            names: root.join("names"),
            index: root.join("index"),
        }
    }

    /// Creates the top directories; shard directories are created on first use.
    pub fn create(&self) -> Result<()> {
        super::private::create_dir_all(&self.root).map_err(ArtifactError::io(&self.root))?;
        for d in [&self.objects, &self.trash, &self.tmp, &self.names] {
            super::private::create_dir_all(d).map_err(ArtifactError::io(d))?;
        }
        Ok(())
    }

    /// Makes sure the shard directory of `id` exists (under objects, or trash if `trash`),
    /// durably: a new shard directory is fsynced into its parent.
    pub fn ensure_shard(&self, id: &ArtifactId, trash: bool) -> Result<()> {
        let slot = &self.shards[id.0[0] as usize + if trash { 256 } else { 0 }];
        if slot.load(Ordering::Acquire) {
            return Ok(());
        }
        let base = if trash { &self.trash } else { &self.objects };
        let dir = base.join(format!("{:02x}", id.0[0]));
        match super::private::create_dir(&dir) {
            Ok(()) => fsync_parent(&dir)?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(ArtifactError::Io {
                    path: dir,
                    source: e,
                });
            }
        }
        slot.store(true, Ordering::Release);
        Ok(())
    }

    pub fn object(&self, id: &ArtifactId) -> PathBuf {
        let (s, r) = id.shard();
        self.objects.join(s).join(r)
    }

    pub fn meta(&self, id: &ArtifactId) -> PathBuf {
        let (s, r) = id.shard();
        self.objects.join(s).join(format!("{r}.json"))
    }

    pub fn trash_object(&self, id: &ArtifactId) -> PathBuf {
        let (s, r) = id.shard();
        self.trash.join(s).join(r)
    }

    pub fn trash_meta(&self, id: &ArtifactId) -> PathBuf {
        let (s, r) = id.shard();
        self.trash.join(s).join(format!("{r}.json"))
    }

    /// A fresh temp file path (same file system as the objects, so rename is atomic).
    pub fn temp(&self) -> PathBuf {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        self.tmp.join(format!("{}-{n}.tmp", std::process::id()))
    }
}

/// A fully written, fsynced temp file and what was learned while writing it.
pub(crate) struct Staged {
    pub tmp: PathBuf,
    pub id: ArtifactId,
    pub size: u64,
    /// The first bytes (up to the limit asked), for indexing text.
    pub head: Vec<u8>,
}

/// Streams `src` into a temp file while hashing; fsyncs it.
pub(crate) fn stage(layout: &Layout, mut src: impl Read, keep_head: usize) -> Result<Staged> {
    let tmp = layout.temp();
    let result = (|| {
        let mut f = super::private::create_file(&tmp).map_err(ArtifactError::io(&tmp))?;
        let mut hasher = blake3::Hasher::new();
        let mut head = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ArtifactError::Source(e)),
            };
            let chunk = &buf[..n];
            hasher.update(chunk);
            if head.len() < keep_head {
                let take = (keep_head - head.len()).min(n);
                head.extend_from_slice(&chunk[..take]);
            }
            f.write_all(chunk).map_err(ArtifactError::io(&tmp))?;
            size += n as u64;
        }
        f.sync_data().map_err(ArtifactError::io(&tmp))?;
        Ok(Staged {
            tmp: tmp.clone(),
            id: hasher.finalize().into(),
            size,
            head,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Async twin of [`stage`].
pub(crate) async fn stage_async(
    layout: &Layout,
    mut src: impl AsyncRead + Unpin,
    keep_head: usize,
) -> Result<Staged> {
    let tmp = layout.temp();
    let result = async {
        let mut f = tokio::fs::File::from_std(
            super::private::create_file(&tmp).map_err(ArtifactError::io(&tmp))?,
        );
        let mut hasher = blake3::Hasher::new();
        let mut head = Vec::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = src.read(&mut buf).await.map_err(ArtifactError::Source)?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            hasher.update(chunk);
            if head.len() < keep_head {
                let take = (keep_head - head.len()).min(n);
                head.extend_from_slice(&chunk[..take]);
            }
            f.write_all(chunk).await.map_err(ArtifactError::io(&tmp))?;
            size += n as u64;
        }
        f.flush().await.map_err(ArtifactError::io(&tmp))?;
        f.sync_data().await.map_err(ArtifactError::io(&tmp))?;
        Ok(Staged {
            tmp: tmp.clone(),
            id: hasher.finalize().into(),
            size,
            head,
        })
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

/// Writes `bytes` to a fsynced temp file and returns its path.
pub(crate) fn write_temp(layout: &Layout, bytes: &[u8]) -> Result<PathBuf> {
    let tmp = layout.temp();
    let mut f = super::private::create_file(&tmp).map_err(ArtifactError::io(&tmp))?;
    f.write_all(bytes).map_err(ArtifactError::io(&tmp))?;
    f.sync_data().map_err(ArtifactError::io(&tmp))?;
    Ok(tmp)
}

/// Atomically replaces `path` with `bytes` (temp, fsync, rename, fsync dir).
pub(crate) fn atomic_write(layout: &Layout, path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = write_temp(layout, bytes)?;
    fs::rename(&tmp, path).map_err(ArtifactError::io(path))?;
    fsync_parent(path)
}

/// Fsyncs the directory holding `path`, making a rename into it durable.
pub(crate) fn fsync_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(ArtifactError::io(dir))?;
    }
    Ok(())
}

/// Reads an object while hashing it; at the end the hash and size are checked.
///
/// If the object is corrupt, the read that reaches the end fails with an
/// [`io::ErrorKind::InvalidData`] error wrapping [`ArtifactError::Corrupted`] (see
/// [`VerifyingReader::corruption`]): a caller that streams must discard what it read when the
/// stream ends in an error. [`super::ArtifactStore::get_bytes`] and
/// [`VerifyingReader::copy_to`] do that for you.
#[derive(Debug)]
pub struct VerifyingReader {
    file: File,
    id: ArtifactId,
    hasher: blake3::Hasher,
    expected: u64,
    seen: u64,
    verified: bool,
}

impl VerifyingReader {
    pub(crate) fn open(path: &Path, id: ArtifactId, expected: u64) -> Result<Self> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ArtifactError::Corrupted {
                id,
                reason: "object file missing".into(),
            },
            _ => ArtifactError::Io {
                path: path.to_owned(),
                source: e,
            },
        })?;
        // The size is checked when the end is reached (no fstat on the hot path).
        Ok(Self {
            file,
            id,
            hasher: blake3::Hasher::new(),
            expected,
            seen: 0,
            verified: false,
        })
    }

    /// The artifact being read.
    pub fn id(&self) -> ArtifactId {
        self.id
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.expected
    }

    /// True for an empty artifact.
    pub fn is_empty(&self) -> bool {
        self.expected == 0
    }

    /// The typed error inside an I/O error returned by this reader, if it is a corruption.
    pub fn corruption(e: &io::Error) -> Option<&ArtifactError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ArtifactError>())
    }

    /// Copies the whole artifact to `out`; a corrupt object is reported as
    /// [`ArtifactError::Corrupted`] (what was written to `out` must then be discarded).
    pub fn copy_to(mut self, out: &mut impl Write) -> Result<u64> {
        let mut buf = vec![0u8; CHUNK];
        let mut total = 0;
        loop {
            let n = self.read(&mut buf).map_err(|e| self.map_err(e))?;
            if n == 0 {
                return Ok(total);
            }
            out.write_all(&buf[..n]).map_err(ArtifactError::Source)?;
            total += n as u64;
        }
    }

    pub(crate) fn read_all(mut self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.expected as usize);
        // `read_to_end` keeps reading until 0 and so always reaches verification.
        self.read_to_end(&mut out).map_err(|e| self.map_err(e))?;
        Ok(out)
    }

    fn map_err(&self, e: io::Error) -> ArtifactError {
        if let Some(ArtifactError::Corrupted { id, reason }) = Self::corruption(&e) {
            return ArtifactError::Corrupted {
                id: *id,
                reason: reason.clone(),
            };
        }
        ArtifactError::Io {
            path: PathBuf::from(self.id.to_hex()),
            source: e,
        }
    }

    fn corrupt(&self, reason: String) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            ArtifactError::Corrupted {
                id: self.id,
                reason,
            },
        )
    }
}

impl Read for VerifyingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.verified {
            return Ok(0);
        }
        let n = self.file.read(buf)?;
        if n == 0 {
            if self.seen != self.expected {
                return Err(self.corrupt(format!("size {}, expected {}", self.seen, self.expected)));
            }
            let got = ArtifactId::from(self.hasher.finalize());
            if got != self.id {
                return Err(self.corrupt(format!("content hashes to {got}")));
            }
            self.verified = true;
            return Ok(0);
        }
        self.seen += n as u64;
        if self.seen > self.expected {
            return Err(self.corrupt(format!("longer than {} bytes", self.expected)));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
