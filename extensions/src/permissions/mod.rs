//! Permissions: what an extension declares ([`Permissions`]), what the user allowed
//! ([`Grant`], persisted with the extension's settings, see [`crate::config`]) and the
//! compiled [`Checker`] every host-side request goes through (cached fast path).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::RwLock;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// The permissions an extension declares in its manifest. The same shape is used for
/// the [`Grant`]: the subset the user allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// File globs it may read (relative to the workspace root, or absolute).
    #[serde(default)]
    pub read: Vec<String>,
    /// File globs it may write.
    #[serde(default)]
    pub write: Vec<String>,
    /// Network hosts it may reach (`example.com`, or `*.example.com`).
    #[serde(default)]
    pub network: Vec<String>,
    /// Whether it may spawn processes through the host.
    #[serde(default)]
    pub spawn: bool,
    /// Whether it may read editor buffers.
    #[serde(default)]
    pub buffer_read: bool,
    /// Whether it may edit editor buffers.
    #[serde(default)]
    pub buffer_write: bool,
    /// Whether it may use the clipboard.
    #[serde(default)]
    pub clipboard: bool,
    /// Whether it may show notifications.
    #[serde(default)]
    pub notifications: bool,
    /// Environment variables it may read, by name (`OPENAI_API_KEY`): an extension
    /// starts with a cleaned environment (see [`crate::host`]) plus these.
    #[serde(default)]
    pub env: Vec<String>,
}

/// What the user allowed an extension to do.
pub type Grant = Permissions;

impl Permissions {
    /// Nothing allowed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Checks every glob compiles.
    pub fn validate(&self) -> Result<(), String> {
        for g in self.read.iter().chain(&self.write) {
            Glob::new(g).map_err(|e| format!("bad file glob {g:?}: {e}"))?;
        }
        for h in &self.network {
            if h.is_empty() || h.contains('/') {
                return Err(format!("bad network host {h:?}"));
            }
        }
        for v in &self.env {
            let ok = !v.is_empty()
                && !v.starts_with(|c: char| c.is_ascii_digit())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(format!("bad environment variable name {v:?}"));
            }
        }
        Ok(())
    }

    /// Whether nothing is asked for (no prompt needed).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// What is asked (or granted), one permission a line, in words (`read files:
    /// **/*.md`, `read editor buffers`); empty when nothing is.
    pub fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.read.is_empty() {
            out.push(format!("read files: {}", self.read.join(", ")));
        }
        if !self.write.is_empty() {
            out.push(format!("write files: {}", self.write.join(", ")));
        }
        if !self.network.is_empty() {
            out.push(format!("connect to: {}", self.network.join(", ")));
        }
        let flags = [
            (self.spawn, "run programs"),
            (self.buffer_read, "read editor buffers"),
            (self.buffer_write, "edit editor buffers"),
            (self.clipboard, "use the clipboard"),
            (self.notifications, "show notifications"),
        ];
        out.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, s)| s.to_string()),
        );
        if !self.env.is_empty() {
            out.push(format!(
                "read environment variables: {}",
                self.env.join(", ")
            ));
        }
        out
    }

    /// The part of `self` (a grant) that `declared` actually asks for: a grant never
    /// exceeds the manifest.
    pub fn restricted_to(&self, declared: &Permissions) -> Grant {
        let keep = |mine: &[String], theirs: &[String]| {
            mine.iter()
                .filter(|g| theirs.contains(g))
                .cloned()
                .collect()
        };
        Permissions {
            read: keep(&self.read, &declared.read),
            write: keep(&self.write, &declared.write),
            network: keep(&self.network, &declared.network),
            spawn: self.spawn && declared.spawn,
            buffer_read: self.buffer_read && declared.buffer_read,
            buffer_write: self.buffer_write && declared.buffer_write,
            clipboard: self.clipboard && declared.clipboard,
            notifications: self.notifications && declared.notifications,
            env: keep(&self.env, &declared.env),
        }
    }
}

/// Something an extension asks the host to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Read a file.
    ReadFile(&'a Path),
    /// Write a file.
    WriteFile(&'a Path),
    /// Connect to a host.
    Network(&'a str),
    /// Spawn a process.
    Spawn,
    /// Read a buffer.
    BufferRead,
    /// Edit a buffer.
    BufferWrite,
    /// Use the clipboard.
    Clipboard,
    /// Show a notification.
    Notify,
}

impl std::fmt::Display for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::ReadFile(p) => write!(f, "read file {}", p.display()),
            Request::WriteFile(p) => write!(f, "write file {}", p.display()),
            Request::Network(h) => write!(f, "connect to {h}"),
            Request::Spawn => f.write_str("spawn a process"),
            Request::BufferRead => f.write_str("read a buffer"),
            Request::BufferWrite => f.write_str("edit a buffer"),
            Request::Clipboard => f.write_str("use the clipboard"),
            Request::Notify => f.write_str("show a notification"),
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("permission denied: {what} was not granted")]
pub struct Denied {
    /// The request, in words.
    pub what: String,
}

/// Entries kept per cache before it is cleared.
const CACHE_LIMIT: usize = 4096;

/// A compiled [`Grant`] for one workspace: answers [`Checker::check`] with glob results
/// cached per path, so a repeated check is a hash lookup.
#[derive(Debug)]
pub struct Checker {
    grant: Grant,
    root: PathBuf,
    read: GlobSet,
    write: GlobSet,
    read_cache: RwLock<PathCache>,
    write_cache: RwLock<PathCache>,
}

impl Checker {
    /// Compiles `grant` for the workspace at `root`; bad globs are skipped (and logged).
    pub fn new(grant: Grant, root: impl Into<PathBuf>) -> Self {
        let read = compile(&grant.read);
        let write = compile(&grant.write);
        Checker {
            grant,
            root: root.into(),
            read,
            write,
            read_cache: RwLock::new(PathCache::default()),
            write_cache: RwLock::new(PathCache::default()),
        }
    }

    /// The grant it checks against.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// Allows or refuses `request`.
    pub fn check(&self, request: &Request<'_>) -> Result<(), Denied> {
        let ok = match *request {
            Request::ReadFile(p) => self.path_allowed(p, &self.read, &self.read_cache),
            Request::WriteFile(p) => self.path_allowed(p, &self.write, &self.write_cache),
            Request::Network(host) => self.grant.network.iter().any(|h| host_matches(h, host)),
            Request::Spawn => self.grant.spawn,
            Request::BufferRead => self.grant.buffer_read,
            Request::BufferWrite => self.grant.buffer_write,
            Request::Clipboard => self.grant.clipboard,
            Request::Notify => self.grant.notifications,
        };
        if ok {
            Ok(())
        } else {
            Err(Denied {
                what: request.to_string(),
            })
        }
    }

    fn path_allowed(&self, path: &Path, globs: &GlobSet, cache: &RwLock<PathCache>) -> bool {
        let key = path.as_os_str().as_encoded_bytes();
        if let Ok(c) = cache.read()
            && let Some(&hit) = c.get(key)
        {
            return hit;
        }
        let ok = self.match_path(path, globs);
        if let Ok(mut c) = cache.write() {
            if c.len() >= CACHE_LIMIT {
                c.clear();
            }
            c.insert(key.into(), ok);
        }
        ok
    }

    fn match_path(&self, path: &Path, globs: &GlobSet) -> bool {
        // `..` could climb out of what a glob meant: refuse outright.
        if path.components().any(|c| matches!(c, Component::ParentDir)) {
            return false;
        }
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        };
        match abs.strip_prefix(&self.root) {
            Ok(rel) => globs.is_match(rel) || globs.is_match(&abs),
            Err(_) => globs.is_match(&abs),
        }
    }
}

/// Cache of glob answers keyed by the path's bytes (hashing a `Path` walks its
/// components, which is slower than the glob cache is meant to be).
type PathCache = HashMap<Box<[u8]>, bool, BuildHasherDefault<FxHasher>>;

/// The Fx hash (as in rustc): fast for short keys, not DoS resistant (the keys are
/// paths an extension asks about, and the cache is bounded).
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn compile(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        match GlobBuilder::new(g).literal_separator(true).build() {
            Ok(glob) => {
                b.add(glob);
            }
            Err(e) => tracing::warn!(glob = %g, error = %e, "skipping bad permission glob"),
        }
    }
    b.build().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "permission globs failed to compile; nothing allowed");
        GlobSet::empty()
    })
}

fn host_matches(pattern: &str, host: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix("*.") {
        host.len() > suffix.len() + 1
            && host.ends_with(suffix)
            && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
    } else {
        pattern.eq_ignore_ascii_case(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_relative_to_the_workspace_and_parent_dirs_refused() {
        let g = Permissions {
            read: vec!["src/**/*.rs".into()],
            ..Permissions::none()
        };
        let c = Checker::new(g, "/ws");
        assert!(c.check(&Request::ReadFile(Path::new("src/a/b.rs"))).is_ok());
        assert!(
            c.check(&Request::ReadFile(Path::new("/ws/src/main.rs")))
                .is_ok()
        );
        assert!(
            c.check(&Request::ReadFile(Path::new("src/../../etc/passwd.rs")))
                .is_err()
        );
        assert!(
            c.check(&Request::ReadFile(Path::new("/etc/passwd")))
                .is_err()
        );
        assert!(
            c.check(&Request::WriteFile(Path::new("src/main.rs")))
                .is_err()
        );
        // Cached answer is the same.
        assert!(c.check(&Request::ReadFile(Path::new("src/a/b.rs"))).is_ok());
    }

    #[test]
    fn network_hosts_match_exactly_or_by_subdomain() {
        assert!(host_matches("*.example.com", "api.example.com"));
        assert!(!host_matches("*.example.com", "evilexample.com"));
        assert!(host_matches("example.com", "EXAMPLE.com"));
    }

    #[test]
    fn a_grant_never_exceeds_the_manifest() {
        let declared = Permissions {
            read: vec!["*.md".into()],
            buffer_read: true,
            ..Permissions::none()
        };
        let asked = Permissions {
            read: vec!["*.md".into(), "**".into()],
            buffer_read: true,
            spawn: true,
            ..Permissions::none()
        };
        let g = asked.restricted_to(&declared);
        assert_eq!(g, declared);
    }
}
