//! The Artifact Store: content-addressed (BLAKE3) objects in sharded directories, written
//! crash-safely, verified on every read, deduplicated, described by metadata, named with
//! version histories, searchable through tantivy, scored by quality signals, and removable
//! through a restorable trash.
//!
//! ```
//! use symphony_pit::artifacts::*;
//! let dir = tempfile::tempdir().unwrap();
//! let store = ArtifactStore::open(dir.path()).unwrap();
//! let new = NewArtifact::new("response", "text/plain").workflow("explain").instrument("local-llm");
//! let put = store.put(&b"lifetimes tie references to scopes"[..], new).unwrap();
//! store.record_signal(&put.id, Signal::Accepted).unwrap();
//! let meta = store.metadata(&put.id).unwrap();
//! assert!(meta.quality > QualitySignals::default().score());
//! let mut out = Vec::new();
//! store.open_reader(&put.id).unwrap().copy_to(&mut out).unwrap();
//! assert_eq!(out, b"lifetimes tie references to scopes");
//! ```
//!
//! For the Stale Manager: [`ArtifactStore::list`], [`ArtifactStore::trash`],
//! [`ArtifactStore::restore`], [`ArtifactStore::list_trash`], [`ArtifactStore::purge_trash`].

mod error;
mod id;
mod index;
mod meta;
mod names;
mod object;
pub mod private;
mod quality;
mod store;
mod trash;

pub use error::{ArtifactError, Result};
pub use id::ArtifactId;
pub use index::{SearchHit, SearchQuery};
pub use meta::{Metadata, NewArtifact, Producer};
pub use names::NamedVersion;
pub use object::VerifyingReader;
pub use quality::{QualitySignals, Signal};
pub use store::{ArtifactStore, PutOutcome, StoreStats};
pub use trash::PurgeStats;
