//! Compares the agent's grep tool with `rg` on the same generated tree and pattern.
//! Ignored by default (it writes many files); run with
//! `SYMPHONY_GREP_FILES=20000 cargo test -p symphony-conductor --release --test agent_grep_vs_rg -- --ignored --nocapture`.
//! The figures are printed, not asserted.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use symphony_conductor::agent::tools::grep::search;

#[test]
#[ignore = "writes a large tree; a measurement, run by hand"]
fn grep_tool_against_rg_on_a_large_tree() {
    let files: usize = std::env::var("SYMPHONY_GREP_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..files {
        let sub = dir.path().join(format!("d{}/e{}", i % 100, i % 7));
        std::fs::create_dir_all(&sub).unwrap();
        let body = format!(
            "fn f{i}() {{\n    let x = {i};\n    helper_{}(x);\n}}\n// some filler text for the scan {i}\n",
            i % 1000
        );
        std::fs::write(sub.join(format!("f{i}.rs")), body).unwrap();
    }
    let regex = regex::Regex::new(r"helper_42\(").unwrap();
    let mut ours = Vec::new();
    let mut found = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = search(
            dir.path(),
            Path::new(""),
            &regex,
            None,
            &HashMap::new(),
            200,
        )
        .unwrap();
        ours.push(t.elapsed());
        found = r.total;
    }
    let mut theirs = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let out = std::process::Command::new("rg")
            .args(["-c", r"helper_42\("])
            .current_dir(dir.path())
            .output();
        match out {
            Ok(_) => theirs.push(t.elapsed()),
            Err(e) => {
                println!("rg not available: {e}");
                return;
            }
        }
    }
    ours.sort();
    theirs.sort();
    println!(
        "{files} files, {found} matches: grep tool median {:?}, rg median {:?}, ratio {:.2}",
        ours[1],
        theirs[1],
        ours[1].as_secs_f64() / theirs[1].as_secs_f64()
    );
}
