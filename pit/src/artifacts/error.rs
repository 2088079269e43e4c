//! Errors of the Artifact Store and its `Result` alias.

use std::path::PathBuf;

use super::id::ArtifactId;

/// Everything that can go wrong in the Artifact Store.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// File system error on a path.
    #[error("I/O on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Reading the caller's source stream failed.
    #[error("reading the artifact source: {0}")]
    Source(#[source] std::io::Error),
    /// The stored bytes do not hash to the artifact's id (or have the wrong size): the object
    /// is corrupt and its content is not returned.
    #[error("artifact {id} is corrupt: {reason}")]
    Corrupted {
        /// The artifact.
        id: ArtifactId,
        /// What did not match.
        reason: String,
    },
    /// No live artifact with this id.
    #[error("no artifact {0}")]
    NotFound(ArtifactId),
    /// The artifact is not in the trash.
    #[error("artifact {0} is not in the trash")]
    NotInTrash(ArtifactId),
    /// A string is not a valid artifact id (64 hex digits).
    #[error("invalid artifact id `{0}`")]
    BadId(String),
    /// No named artifact, or no such version of it.
    #[error("no version {version:?} of named artifact `{name}`")]
    NoSuchVersion {
        /// The name.
        name: String,
        /// The version asked for (`None` = latest).
        version: Option<u32>,
    },
    /// A diff was asked of content that is not UTF-8 text.
    #[error("artifact {0} is not UTF-8 text")]
    NotText(ArtifactId),
    /// A metadata or name file cannot be decoded.
    #[error("bad metadata at {path}: {reason}")]
    BadMetadata {
        /// The file.
        path: PathBuf,
        /// The decoding error.
        reason: String,
    },
    /// The search index failed (it can be rebuilt with `rebuild_index`).
    #[error("search index: {0}")]
    Index(String),
}

impl ArtifactError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ArtifactError {
        let path = path.into();
        move |source| ArtifactError::Io { path, source }
    }
}

impl From<tantivy::TantivyError> for ArtifactError {
    fn from(e: tantivy::TantivyError) -> Self {
        ArtifactError::Index(e.to_string())
    }
}

/// Result alias of the Artifact Store.
pub type Result<T> = std::result::Result<T, ArtifactError>;
