//! Tests of the journal through its public API, on real files in a temp dir.

use std::fs;

use xi_rope::Rope;

use super::*;

fn ins(at: usize, text: &str) -> JournalEdit {
    JournalEdit {
        start: at,
        end: at,
        text: text.to_owned(),
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: JournalDir,
    file: std::path::PathBuf,
}

fn setup(content: &str) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    fs::write(&file, content).unwrap();
    let dir = JournalDir::new(tmp.path().join("state/symphony/journal"));
    Setup {
        _tmp: tmp,
        dir,
        file,
    }
}

/// Records `edits` and returns the text after them (applied to `text`).
fn rec(j: &mut BufferJournal, text: &mut Rope, edits: &[JournalEdit]) {
    for e in edits {
        text.edit(e.start..e.end, e.text.as_str());
    }
    j.record(edits, text).unwrap();
}

fn journals(s: &Setup) -> usize {
    fs::read_dir(s.dir.path()).map_or(0, |d| d.count())
}

#[test]
fn recorded_edits_are_recovered_onto_the_same_base() {
    let s = setup("hello\n");
    let base = Rope::from("hello\n");
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    assert!(
        j.journal_path().is_none(),
        "nothing is written before the first edit"
    );
    rec(&mut j, &mut now, &[ins(5, ",")]);
    rec(
        &mut j,
        &mut now,
        &[
            ins(6, " world"),
            JournalEdit {
                start: 0,
                end: 1,
                text: "H".into(),
            },
        ],
    );
    assert!(
        s.dir.recover(&s.file, &base).unwrap().is_none(),
        "a live instance's journal is not offered"
    );
    drop(j); // as if the process died: the lock goes with it
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text.clone()), "Hello, world\n");
    assert_eq!(r.edits, 3);
    assert!(!r.changed_on_disk && r.exact);
}

#[test]
fn a_journal_made_on_another_version_is_offered_with_the_typed_text() {
    let s = setup("abc\n");
    let base = Rope::from("abc\n");
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    rec(&mut j, &mut now, &[ins(3, "d")]);
    drop(j);
    // Another program appended a line meanwhile.
    let changed = Rope::from("abc\nappended\n");
    let r = s.dir.recover(&s.file, &changed).unwrap().unwrap();
    assert!(r.changed_on_disk, "the offer says the file changed");
    assert!(
        r.exact,
        "small files keep their base: the typed text comes back"
    );
    assert_eq!(String::from(r.text.clone()), "abcd\n");
    // Claimed while offered: nobody else sees it.
    assert!(s.dir.recover(&s.file, &changed).unwrap().is_none());
    drop(r);
    // Never deleted without asking: offered again next time.
    assert!(s.dir.recover(&s.file, &changed).unwrap().is_some());
}

#[test]
fn a_journal_holding_nothing_unsaved_is_not_offered() {
    let s = setup("abc");
    let base = Rope::from("abc");
    assert!(s.dir.recover(&s.file, &base).unwrap().is_none());
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    rec(&mut j, &mut now, &[ins(3, "d")]);
    // An edit and its undo leave the text as on disk: nothing to offer.
    rec(
        &mut j,
        &mut now,
        &[JournalEdit {
            start: 3,
            end: 4,
            text: String::new(),
        }],
    );
    drop(j);
    assert!(s.dir.recover(&s.file, &base).unwrap().is_none());
    assert_eq!(journals(&s), 0, "and it is tidied away");
}

#[test]
fn a_torn_last_record_is_ignored() {
    let s = setup("");
    let base = Rope::from("");
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    rec(&mut j, &mut now, &[ins(0, "a")]);
    rec(&mut j, &mut now, &[ins(1, "b")]);
    let path = j.journal_path().unwrap().to_path_buf();
    drop(j);
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"e":[[2,2,"c"#);
    fs::write(&path, bytes).unwrap();
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text.clone()), "ab");
}

#[test]
fn saved_starts_over_on_the_new_base_and_discard_removes() {
    let s = setup("one");
    let mut now = Rope::from("one");
    let mut j = s.dir.open(&s.file, &now).unwrap();
    rec(&mut j, &mut now, &[ins(3, " two")]);
    fs::write(&s.file, "one two").unwrap();
    j.saved(&Rope::from("one two")).unwrap();
    assert_eq!(journals(&s), 0);
    rec(&mut j, &mut now, &[ins(7, " three")]);
    let path = j.journal_path().unwrap().to_path_buf();
    assert!(path.exists());
    j.discard().unwrap();
    assert!(!path.exists());
    assert!(
        s.dir
            .recover(&s.file, &Rope::from("one two"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn two_instances_on_one_file_keep_their_own_journals() {
    let s = setup("base\n");
    let base = Rope::from("base\n");
    let (mut ta, mut tb) = (base.clone(), base.clone());
    let mut a = s.dir.open(&s.file, &base).unwrap();
    let mut b = s.dir.open(&s.file, &base).unwrap();
    rec(&mut a, &mut ta, &[ins(0, "A")]);
    rec(&mut b, &mut tb, &[ins(0, "B")]);
    assert_ne!(a.journal_path(), b.journal_path());
    // A saves: B's journal stays, and B keeps journaling.
    fs::write(&s.file, "Abase\n").unwrap();
    a.saved(&ta).unwrap();
    let bp = b.journal_path().unwrap().to_path_buf();
    assert!(
        bp.exists(),
        "a save in one instance never removes another's journal"
    );
    rec(&mut b, &mut tb, &[ins(1, "b")]);
    assert_eq!(b.journal_path(), Some(bp.as_path()));
    rec(&mut a, &mut ta, &[ins(5, "!")]);
    // Both die.
    drop(a);
    drop(b);
    let on_disk = Rope::from("Abase\n");
    let all = s.dir.recover_all(&s.file, &on_disk).unwrap();
    let mut texts: Vec<(String, bool)> = all
        .iter()
        .map(|o| (String::from(o.text.clone()), o.changed_on_disk))
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        vec![("Abase!\n".into(), false), ("Bbbase\n".into(), true)]
    );
}

#[test]
fn a_refused_journal_goes_to_the_trash_with_its_text() {
    let s = setup("x\n");
    let base = Rope::from("x\n");
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    rec(&mut j, &mut now, &[ins(0, "typed ")]);
    let original = j.journal_path().unwrap().to_path_buf();
    drop(j);
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    let to = s.dir.trash(r).unwrap();
    assert!(to.starts_with(s.dir.trash_path()));
    assert!(!original.exists());
    assert!(fs::read_to_string(&to).unwrap().contains("typed "));
    assert_eq!(
        crate::files::trash::original_path(&to).unwrap(),
        original,
        "the trash remembers where it was (move it back to offer it again)"
    );
    assert!(s.dir.recover(&s.file, &base).unwrap().is_none());
    fs::rename(&to, &original).unwrap();
    assert!(s.dir.recover(&s.file, &base).unwrap().is_some());
}

#[test]
fn an_adopted_journal_keeps_the_later_edits() {
    let s = setup("a\n");
    let base = Rope::from("a\n");
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    rec(&mut j, &mut now, &[ins(1, "b")]);
    drop(j);
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert!(!r.detached);
    let mut now = r.text.clone();
    let mut adopted = s.dir.adopt(r);
    rec(&mut adopted, &mut now, &[ins(2, "c")]);
    drop(adopted);
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text.clone()), "abc\n");
    assert!(r.detached, "offered as the text of a buffer of its own");
    assert_eq!(journals(&s), 1);
    // Adopted again: still one journal, still detached.
    let mut now = r.text.clone();
    let mut again = s.dir.adopt(r);
    rec(&mut again, &mut now, &[ins(3, "d")]);
    drop(again);
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text.clone()), "abcd\n");
    assert!(r.detached);
    assert_eq!(journals(&s), 1);
}

#[test]
fn a_failing_journal_says_why_and_catches_up_when_it_works_again() {
    let s = setup("t\n");
    let base = Rope::from("t\n");
    // The journal folder is a file: nothing can be written.
    fs::create_dir_all(s.dir.path().parent().unwrap()).unwrap();
    fs::write(s.dir.path(), "in the way").unwrap();
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    now.edit(0..0, "1");
    assert!(j.record(&[ins(0, "1")], &now).is_err());
    assert!(j.failure().is_some(), "the failure is remembered");
    now.edit(1..1, "2");
    assert!(j.record(&[ins(1, "2")], &now).is_err());
    fs::remove_file(s.dir.path()).unwrap();
    // Works again: within a few retries (one a second) the whole text is written.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut n = 0;
    while j.failure().is_some() {
        assert!(std::time::Instant::now() < deadline, "never recovered");
        std::thread::sleep(std::time::Duration::from_millis(100));
        n += 1;
        let at = now.len() - 2;
        now.edit(at..at, "x");
        let _ = j.record(&[ins(at, "x")], &now);
    }
    assert!(n >= 1);
    drop(j);
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text.clone()), String::from(now));
}

#[test]
fn journal_files_are_private_and_named_per_file() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup("x");
    let other = s.file.with_file_name("other.txt");
    let (mut ta, mut tb) = (Rope::from("x"), Rope::from(""));
    let mut a = s.dir.open(&s.file, &ta.clone()).unwrap();
    let mut b = s.dir.open(&other, &tb.clone()).unwrap();
    rec(&mut a, &mut ta, &[ins(0, "a")]);
    rec(&mut b, &mut tb, &[ins(0, "b")]);
    assert_ne!(a.journal_path(), b.journal_path());
    let mode = fs::metadata(a.journal_path().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    drop(b);
    assert_eq!(
        String::from(
            s.dir
                .recover(&other, &Rope::from(""))
                .unwrap()
                .unwrap()
                .text
        ),
        "b"
    );
    assert!(s.dir.recover(&s.file, &Rope::from("x")).unwrap().is_none());
}

#[test]
fn a_journal_from_before_instances_is_still_offered() {
    let s = setup("old\n");
    let base = Rope::from("old\n");
    let mut now = base.clone();
    let mut j = s.dir.open(&s.file, &base).unwrap();
    rec(&mut j, &mut now, &[ins(0, "new ")]);
    let path = j.journal_path().unwrap().to_path_buf();
    drop(j);
    // `<name>-<hash>.jsonl`, as the journal was named before.
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let stem = name.split('.').take(2).collect::<Vec<_>>().join(".");
    let old = path.with_file_name(format!("{stem}.jsonl"));
    fs::rename(&path, &old).unwrap();
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text.clone()), "new old\n");
}

#[test]
fn from_env_uses_xdg_state_home() {
    // Only reads the variable (no set_var: tests run in parallel).
    let dir = JournalDir::from_env();
    assert!(dir.path().ends_with("symphony/journal"));
    if let Some(state) =
        std::env::var_os("XDG_STATE_HOME").filter(|s| std::path::Path::new(s).is_absolute())
    {
        assert!(dir.path().starts_with(state));
    }
}
