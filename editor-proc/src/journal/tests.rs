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

#[test]
fn recorded_edits_are_recovered_onto_the_same_base() {
    let s = setup("hello\n");
    let base = Rope::from("hello\n");
    let mut j = s.dir.open(&s.file, &base).unwrap();
    assert!(
        !j.journal_path().exists(),
        "nothing is written before the first edit"
    );
    j.record(&[ins(5, ",")]).unwrap();
    j.record(&[
        ins(6, " world"),
        JournalEdit {
            start: 0,
            end: 1,
            text: "H".into(),
        },
    ])
    .unwrap();
    drop(j); // as if the process died
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text), "Hello, world\n");
    assert_eq!(r.edits, 3);
}

#[test]
fn nothing_is_offered_for_another_base_or_an_empty_journal() {
    let s = setup("abc");
    let base = Rope::from("abc");
    assert!(s.dir.recover(&s.file, &base).unwrap().is_none());
    let mut j = s.dir.open(&s.file, &base).unwrap();
    j.record(&[ins(3, "d")]).unwrap();
    assert!(
        s.dir
            .recover(&s.file, &Rope::from("abX"))
            .unwrap()
            .is_none()
    );
    assert!(s.dir.recover(&s.file, &base).unwrap().is_some());
    // An edit and its undo leave the text as on disk: nothing to offer.
    j.record(&[JournalEdit {
        start: 3,
        end: 4,
        text: String::new(),
    }])
    .unwrap();
    assert!(s.dir.recover(&s.file, &base).unwrap().is_none());
}

#[test]
fn a_torn_last_record_is_ignored() {
    let s = setup("");
    let base = Rope::from("");
    let mut j = s.dir.open(&s.file, &base).unwrap();
    j.record(&[ins(0, "a")]).unwrap();
    j.record(&[ins(1, "b")]).unwrap();
    let path = j.journal_path().to_path_buf();
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"e":[[2,2,"c"#);
    fs::write(&path, bytes).unwrap();
    let r = s.dir.recover(&s.file, &base).unwrap().unwrap();
    assert_eq!(String::from(r.text), "ab");
}

#[test]
fn saved_starts_over_on_the_new_base_and_discard_removes() {
    let s = setup("one");
    let mut j = s.dir.open(&s.file, &Rope::from("one")).unwrap();
    j.record(&[ins(3, " two")]).unwrap();
    fs::write(&s.file, "one two").unwrap();
    j.saved(&Rope::from("one two")).unwrap();
    assert!(
        s.dir
            .recover(&s.file, &Rope::from("one two"))
            .unwrap()
            .is_none()
    );
    j.record(&[ins(7, " three")]).unwrap();
    let r = s
        .dir
        .recover(&s.file, &Rope::from("one two"))
        .unwrap()
        .unwrap();
    assert_eq!(String::from(r.text), "one two three");
    assert_eq!(r.edits, 1);
    let path = j.journal_path().to_path_buf();
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
fn journal_files_are_private_and_named_per_file() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup("x");
    let other = s.file.with_file_name("other.txt");
    let mut a = s.dir.open(&s.file, &Rope::from("x")).unwrap();
    let mut b = s.dir.open(&other, &Rope::from("")).unwrap();
    a.record(&[ins(0, "a")]).unwrap();
    b.record(&[ins(0, "b")]).unwrap();
    assert_ne!(a.journal_path(), b.journal_path());
    let mode = fs::metadata(a.journal_path()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
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
    s.dir.remove(&other).unwrap();
    assert!(s.dir.recover(&other, &Rope::from("")).unwrap().is_none());
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
