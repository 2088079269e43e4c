//! Artifact Store behaviour: exact round trips, verification, deduplication, streaming,
//! metadata, names and diffs, search with filters, index rebuild, quality and trash.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use symphony_pit::artifacts::*;

fn object_path(root: &Path, id: &ArtifactId) -> PathBuf {
    let hex = id.to_hex();
    root.join("objects").join(&hex[..2]).join(&hex[2..])
}

fn text(kind: &str) -> NewArtifact {
    NewArtifact::new(kind, "text/plain")
}

#[test]
fn the_store_returns_exactly_the_bytes_that_were_put() {
    // One store for every case: what matters is each put/get pair, and earlier cases in the
    // same store make it more realistic (dedup, shards already present).
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    let strategy = proptest::collection::vec(any::<u8>(), 0..100_000);
    runner
        .run(&strategy, |data| {
            let put = store
                .put(
                    &data[..],
                    NewArtifact::new("blob", "application/octet-stream"),
                )
                .unwrap();
            prop_assert_eq!(put.id, ArtifactId::of(&data));
            prop_assert_eq!(put.size, data.len() as u64);
            prop_assert_eq!(store.get_bytes(&put.id).unwrap(), data.clone());
            let mut streamed = Vec::new();
            store
                .open_reader(&put.id)
                .unwrap()
                .read_to_end(&mut streamed)
                .unwrap();
            prop_assert_eq!(streamed, data);
            Ok(())
        })
        .unwrap();
}

#[test]
fn async_put_streams_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let put = rt
        .block_on(store.put_async(
            &data[..],
            NewArtifact::new("blob", "application/octet-stream"),
        ))
        .unwrap();
    assert_eq!(store.get_bytes(&put.id).unwrap(), data);
}

/// Produces `len` pseudo-random bytes without holding them.
struct Generated {
    left: u64,
    state: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for b in &mut buf[..n] {
            self.state = self
                .state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.state >> 56) as u8;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Hashes what is written to it.
struct HashWriter(blake3::Hasher, u64);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_artifact_streams_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let len = 24 * 1024 * 1024;
    let put = store
        .put(
            Generated {
                left: len,
                state: 7,
            },
            NewArtifact::new("blob", "application/octet-stream"),
        )
        .unwrap();
    assert_eq!(put.size, len);
    let mut sink = HashWriter(blake3::Hasher::new(), 0);
    assert_eq!(
        store
            .open_reader(&put.id)
            .unwrap()
            .copy_to(&mut sink)
            .unwrap(),
        len
    );
    assert_eq!(ArtifactId::from(sink.0.finalize()), put.id);
}

#[test]
fn a_corrupted_object_is_reported_and_never_returned() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let id = store.put_bytes(b"precious bytes", text("note")).unwrap().id;
    let path = object_path(dir.path(), &id);

    // Same size, one byte flipped.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        store.get_bytes(&id),
        Err(ArtifactError::Corrupted { .. })
    ));
    assert!(matches!(
        store.verify(&id),
        Err(ArtifactError::Corrupted { .. })
    ));
    let mut out = Vec::new();
    let err = store
        .open_reader(&id)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap_err();
    assert!(matches!(
        VerifyingReader::corruption(&err),
        Some(ArtifactError::Corrupted { .. })
    ));

    // Truncated.
    std::fs::write(&path, b"precious").unwrap();
    assert!(matches!(
        store.get_bytes(&id),
        Err(ArtifactError::Corrupted { .. })
    ));

    // Missing.
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        store.get_bytes(&id),
        Err(ArtifactError::Corrupted { .. })
    ));
}

#[test]
fn duplicates_are_stored_once_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let data = vec![7u8; 10_000];
    let first = store.put_bytes(&data, text("a").tag("x")).unwrap();
    let second = store.put_bytes(&data, text("a").tag("y")).unwrap();
    let third = store.put_bytes(&data, text("a")).unwrap();
    assert!(!first.deduplicated && second.deduplicated && third.deduplicated);
    assert_eq!(first.id, third.id);
    let stats = store.stats();
    assert_eq!(
        (
            stats.artifacts,
            stats.dedup_hits,
            stats.bytes_saved,
            stats.bytes_stored
        ),
        (1, 2, 20_000, 10_000)
    );
    assert_eq!(store.metadata(&first.id).unwrap().tags, ["x", "y"]);
    let shard = object_path(dir.path(), &first.id)
        .parent()
        .unwrap()
        .to_owned();
    let objects = std::fs::read_dir(shard)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_none())
        .count();
    assert_eq!(objects, 1);
    // Counters survive a reopen.
    drop(store);
    assert_eq!(
        ArtifactStore::open(dir.path()).unwrap().stats().bytes_saved,
        20_000
    );
}

#[test]
fn metadata_is_kept_beside_the_object_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let parent = {
        let store = ArtifactStore::open(dir.path()).unwrap();
        let parent = store.put_bytes(b"the prompt", text("prompt")).unwrap().id;
        let new = text("response")
            .workflow("explain")
            .node("answer")
            .instrument("local")
            .prompt_hash("abc")
            .parent(parent)
            .tag("rust")
            .pinned(true)
            .created_ms(1_000);
        let id = store.put_bytes(b"the answer", new).unwrap().id;
        assert_eq!(
            store.record_signal(&id, Signal::Accepted).unwrap(),
            store.metadata(&id).unwrap().quality
        );
        parent
    };
    let store = ArtifactStore::open(dir.path()).unwrap();
    let m = store
        .list()
        .into_iter()
        .find(|m| m.kind == "response")
        .unwrap();
    assert_eq!(m.producer.workflow.as_deref(), Some("explain"));
    assert_eq!(m.producer.node.as_deref(), Some("answer"));
    assert_eq!(m.producer.instrument.as_deref(), Some("local"));
    assert_eq!(m.prompt_hash.as_deref(), Some("abc"));
    assert_eq!(m.parents, [parent]);
    assert_eq!(
        (m.size, m.created_ms, m.pinned, m.signals.accepted),
        (10, 1_000, true, 1)
    );
    assert!(std::fs::metadata(object_path(dir.path(), &m.id).with_extension("json")).is_ok());
}

#[test]
fn quality_follows_signals() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let good = store.put_bytes(b"good", text("r")).unwrap().id;
    let bad = store.put_bytes(b"bad", text("r")).unwrap().id;
    for s in [
        Signal::Accepted,
        Signal::TestsPassed,
        Signal::Reused,
        Signal::Reused,
    ] {
        store.record_signal(&good, s).unwrap();
    }
    for s in [Signal::Rejected, Signal::TestsFailed] {
        store.record_signal(&bad, s).unwrap();
    }
    let (g, b) = (
        store.metadata(&good).unwrap().quality,
        store.metadata(&bad).unwrap().quality,
    );
    let neutral = QualitySignals::default().score();
    assert!(g > neutral && neutral > b, "{g} {neutral} {b}");
}

#[test]
fn named_versions_are_immutable_and_diffable() {
    let dir = tempfile::tempdir().unwrap();
    let store = ArtifactStore::open(dir.path()).unwrap();
    let v1 = store
        .put_bytes(b"fn a() {}\nfn b() {}\n", text("code"))
        .unwrap()
        .id;
    let v2 = store
        .put_bytes(b"fn a() {}\nfn c() {}\n", text("code"))
        .unwrap()
        .id;
    assert_eq!(store.add_version("lib.rs", v1).unwrap(), 1);
    assert_eq!(store.add_version("lib.rs", v2).unwrap(), 2);
    assert_eq!(store.resolve("lib.rs", None).unwrap(), v2);
    assert_eq!(store.resolve("lib.rs", Some(1)).unwrap(), v1);
    assert!(store.resolve("lib.rs", Some(3)).is_err());
    let versions = store.versions("lib.rs").unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.id))
            .collect::<Vec<_>>(),
        [(1, v1), (2, v2)]
    );
    let diff = store.diff_versions("lib.rs", 1, 2).unwrap();
    assert!(
        diff.contains("--- lib.rs@v1") && diff.contains("+++ lib.rs@v2"),
        "{diff}"
    );
    assert!(
        diff.contains("-fn b() {}") && diff.contains("+fn c() {}") && diff.contains(" fn a() {}"),
        "{diff}"
    );
    let bin = store
        .put_bytes(
            &[0xff, 0xfe, 0x00],
            NewArtifact::new("blob", "application/octet-stream"),
        )
        .unwrap()
        .id;
    assert!(matches!(
        store.diff_text(&v1, &bin, "a", "b"),
        Err(ArtifactError::NotText(_))
    ));
}

fn search_fixture(root: &Path) -> (ArtifactStore, Vec<ArtifactId>) {
    let store = ArtifactStore::open(root).unwrap();
    let docs = [
        (
            "response",
            vec!["rust"],
            1_000,
            "The borrow checker rejects two mutable references.",
        ),
        (
            "response",
            vec!["python"],
            2_000,
            "Python lists are mutable sequences.",
        ),
        (
            "prompt",
            vec!["rust"],
            3_000,
            "Explain the borrow checker to me.",
        ),
        (
            "response",
            vec!["rust", "accepted"],
            4_000,
            "Lifetimes let the borrow checker reason about references.",
        ),
    ];
    let ids = docs
        .iter()
        .map(|(kind, tags, t, body)| {
            let mut n = text(kind).created_ms(*t);
            for tag in tags {
                n = n.tag(*tag);
            }
            store.put_bytes(body.as_bytes(), n).unwrap().id
        })
        .collect();
    (store, ids)
}

#[test]
fn search_finds_by_text_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = search_fixture(dir.path());
    let found = |q: SearchQuery| {
        let mut v: Vec<ArtifactId> = store
            .search(&q)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<ArtifactId>| {
        v.sort();
        v
    };
    assert_eq!(
        found(SearchQuery::text("borrow")),
        sorted(vec![ids[0], ids[2], ids[3]])
    );
    assert_eq!(
        found(SearchQuery::text("borrow").kind("response")),
        sorted(vec![ids[0], ids[3]])
    );
    assert_eq!(
        found(SearchQuery::text("borrow").tag("accepted")),
        vec![ids[3]]
    );
    assert_eq!(
        found(SearchQuery::text("mutable").tag("rust")),
        vec![ids[0]]
    );
    assert_eq!(
        found(SearchQuery::text("borrow").since_ms(2_000).until_ms(4_000)),
        vec![ids[2]]
    );
    assert_eq!(found(SearchQuery::text("").kind("prompt")), vec![ids[2]]);
    assert!(found(SearchQuery::text("javascript")).is_empty());

    let hits = store.search(&SearchQuery::text("lifetimes")).unwrap();
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert!(h.score > 0.0);
    assert!(h.snippet.contains("Lifetimes"), "{}", h.snippet);
    assert_eq!(&h.snippet[h.highlights[0].clone()], "Lifetimes");
}

#[test]
fn the_index_is_rebuilt_when_missing_or_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let ids = {
        let (_store, ids) = search_fixture(dir.path());
        ids
    };
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    {
        let store = ArtifactStore::open(dir.path()).unwrap();
        assert_eq!(
            store.search(&SearchQuery::text("lifetimes")).unwrap()[0].id,
            ids[3]
        );
    }
    std::fs::write(dir.path().join("index").join("meta.json"), b"{ not json").unwrap();
    {
        let store = ArtifactStore::open(dir.path()).unwrap();
        assert_eq!(
            store.search(&SearchQuery::text("python")).unwrap()[0].id,
            ids[1]
        );
        store.rebuild_index().unwrap();
        assert_eq!(
            store.search(&SearchQuery::text("python")).unwrap()[0].id,
            ids[1]
        );
    }
}

#[test]
fn trash_hides_restore_brings_back_purge_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = search_fixture(dir.path());
    store.trash(&ids[1]).unwrap();
    assert!(
        store
            .search(&SearchQuery::text("python"))
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.get_bytes(&ids[1]),
        Err(ArtifactError::NotFound(_))
    ));
    assert_eq!(store.list().len(), 3);
    assert_eq!(
        store
            .list_trash()
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        [ids[1]]
    );
    let m = store.restore(&ids[1]).unwrap();
    assert_eq!(m.kind, "response");
    assert_eq!(
        store.search(&SearchQuery::text("python")).unwrap()[0].id,
        ids[1]
    );
    store.trash(&ids[1]).unwrap();
    store.trash(&ids[0]).unwrap();
    let purged = store.purge_trash().unwrap();
    assert_eq!(purged.artifacts, 2);
    assert!(matches!(
        store.restore(&ids[1]),
        Err(ArtifactError::NotInTrash(_))
    ));
    assert!(store.list_trash().unwrap().is_empty());
    drop(store);
    let store = ArtifactStore::open(dir.path()).unwrap();
    assert_eq!(store.list().len(), 2);
}
