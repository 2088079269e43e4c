//! `symphony search PATTERN DIR`: the project search on the command line, as ripgrep
//! prints it (`path:line:column:text`), .gitignore honoured; exit 0 with hits, 1 without.

use std::process::Command;

#[test]
fn symphony_search_prints_every_matching_line_outside_ignored_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).expect("mkdir");
    std::fs::write(root.join(".gitignore"), "build/\n").expect("write");
    std::fs::create_dir_all(root.join("build")).expect("mkdir");
    std::fs::write(root.join("a.py"), "x = 1\ndef area(r):\n    pass\n").expect("write");
    std::fs::write(root.join("build/b.py"), "def area(r): pass\n").expect("write");
    let run = |pattern: &str| {
        Command::new(env!("CARGO_BIN_EXE_symphony"))
            .args(["search", pattern])
            .arg(root)
            .output()
            .expect("run symphony search")
    };
    let out = run(r"def \w+\(");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        format!("{}:2:1:def area(r):\n", root.join("a.py").display())
    );
    let out = run("nothing like this");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}
