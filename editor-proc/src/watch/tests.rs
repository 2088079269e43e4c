//! Watcher tests on real files: external writes, our own saves, rename-over, removal.

use std::fs;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::timeout;
use xi_rope::Rope;

use super::*;
use crate::files::{self, LineEnding};

/// Generous: only a guard against hanging, never a timing assertion.
const WAIT: Duration = Duration::from_secs(10);

async fn next(rx: &mut UnboundedReceiver<WatchEvent>) -> WatchEvent {
    timeout(WAIT, rx.recv())
        .await
        .expect("no watch event arrived")
        .expect("channel closed")
}

fn setup() -> (
    tempfile::TempDir,
    FileWatcher,
    UnboundedReceiver<WatchEvent>,
) {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = unbounded_channel();
    (dir, FileWatcher::new(tx).unwrap(), rx)
}

#[tokio::test]
async fn an_external_write_is_reported() {
    let (dir, mut w, mut rx) = setup();
    let p = dir.path().join("a.txt");
    fs::write(&p, "one").unwrap();
    w.watch(&p).unwrap();
    fs::write(&p, "two, longer").unwrap();
    assert_eq!(
        next(&mut rx).await,
        WatchEvent {
            path: p.clone(),
            kind: WatchEventKind::Changed
        }
    );
    fs::remove_file(&p).unwrap();
    assert_eq!(
        next(&mut rx).await,
        WatchEvent {
            path: p.clone(),
            kind: WatchEventKind::Removed
        }
    );
    fs::write(&p, "back").unwrap();
    assert_eq!(next(&mut rx).await.kind, WatchEventKind::Changed);
}

#[tokio::test]
async fn our_own_save_is_not_reported() {
    let (dir, mut w, mut rx) = setup();
    let ours = dir.path().join("ours.txt");
    let theirs = dir.path().join("theirs.txt");
    fs::write(&ours, "v1").unwrap();
    fs::write(&theirs, "v1").unwrap();
    w.watch(&ours).unwrap();
    w.watch(&theirs).unwrap();
    let fp = files::save(&ours, &Rope::from("v2 saved by us"), LineEnding::Lf).unwrap();
    w.note_own_write(&ours, &fp);
    // Let the events of our save pass the debounce, then change the other file:
    // the first event must be about the other file.
    tokio::time::sleep(DEBOUNCE * 4).await;
    fs::write(&theirs, "v2 by someone else").unwrap();
    let ev = next(&mut rx).await;
    assert_eq!(ev.path, theirs, "our own save came back as a change");
}

#[tokio::test]
async fn a_rename_over_like_vim_is_reported_and_unwatch_stops_events() {
    let (dir, mut w, mut rx) = setup();
    let p = dir.path().join("b.txt");
    fs::write(&p, "original").unwrap();
    w.watch(&p).unwrap();
    let tmp = dir.path().join("b.txt.swp");
    fs::write(&tmp, "replaced by rename").unwrap();
    fs::rename(&tmp, &p).unwrap();
    assert_eq!(
        next(&mut rx).await,
        WatchEvent {
            path: p.clone(),
            kind: WatchEventKind::Changed
        }
    );

    let other = dir.path().join("c.txt");
    w.watch(&other).unwrap(); // not there yet: its creation counts as a change
    w.unwatch(&p);
    fs::write(&p, "not watched any more").unwrap();
    fs::write(&other, "created").unwrap();
    assert_eq!(
        next(&mut rx).await,
        WatchEvent {
            path: other,
            kind: WatchEventKind::Changed
        }
    );
}
