//! End to end (the real `symphony` program, no terminal needed): the shipped example
//! extensions are discoverable and installable. `ext list` with nothing installed says
//! where the examples are; `ext install --examples` lists them; installing one (or a
//! folder) copies it into `$XDG_DATA_HOME/symphony/extensions/<id>`, where `ext list`
//! shows it as a user extension that still asks before its first run; `ext info`
//! prints aligned `key: value` lines, no Rust debug text; installing again is refused
//! without `--force`, and `--force` keeps the old copy aside.

use std::path::Path;
use std::process::Output;

use anyhow::Result;
use symphony_tests::{Binaries, Sandbox, binaries};

/// Runs `symphony args` (not in a terminal) in the sandbox's work folder.
fn symphony(sandbox: &Sandbox, bins: &Binaries, args: &[&str]) -> Result<Output> {
    Ok(std::process::Command::new(&bins.symphony)
        .args(args)
        .current_dir(sandbox.work())
        .env_clear()
        .envs(sandbox.env(bins))
        .output()?)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The sandbox's user extensions folder (`$XDG_DATA_HOME/symphony/extensions`).
fn user_dir(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox
        .state()
        .parent()
        .map(|p| p.join("data/symphony/extensions"))
        .unwrap_or_default()
}

/// The value of `key: value` in `text`, trimmed.
fn value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

#[test]
fn shipped_example_installs_as_a_user_extension_and_info_is_readable() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;

    let empty = symphony(&sandbox, &bins, &["ext", "list"])?;
    assert!(empty.status.success(), "{}", stderr(&empty));
    let text = stdout(&empty);
    assert!(text.contains("no extensions installed"), "{text}");
    assert!(text.contains("word-count"), "{text}");
    assert!(text.contains("symphony ext install --examples"), "{text}");

    let listed = symphony(&sandbox, &bins, &["ext", "install", "--examples"])?;
    assert!(listed.status.success(), "{}", stderr(&listed));
    let text = stdout(&listed);
    for id in ["word-count", "git-status", "cli-model", "line-stats"] {
        assert!(text.contains(id), "{id} missing from:\n{text}");
    }

    let done = symphony(
        &sandbox,
        &bins,
        &["ext", "install", "--example", "word-count"],
    )?;
    assert!(done.status.success(), "{}", stderr(&done));
    let text = stdout(&done);
    let dest = user_dir(&sandbox).join("word-count");
    assert!(text.contains(&dest.display().to_string()), "{text}");
    assert!(text.contains("asks for permission"), "{text}");
    assert!(dest.join("extension.toml").is_file());
    assert!(dest.join("main.py").is_file());
    assert!(
        dest.join("symphony_ext.py").is_file(),
        "the SDK comes along"
    );

    let list = stdout(&symphony(&sandbox, &bins, &["ext", "list"])?);
    let row = list
        .lines()
        .find(|l| l.starts_with("word-count\t"))
        .unwrap_or_default();
    let cols: Vec<&str> = row.split('\t').collect();
    assert_eq!(cols.get(4), Some(&"user"), "{list}");
    assert_eq!(cols.get(5), Some(&"not granted (asks first)"), "{list}");
    assert!(!list.contains("no extensions installed"), "{list}");

    let info = symphony(&sandbox, &bins, &["ext", "info", "word-count"])?;
    assert!(info.status.success(), "{}", stderr(&info));
    let info = stdout(&info);
    assert_eq!(value(&info, "name"), Some("Word count"), "{info}");
    assert_eq!(value(&info, "id"), Some("word-count"), "{info}");
    assert_eq!(value(&info, "version"), Some("0.1.0"), "{info}");
    assert_eq!(value(&info, "type"), Some("operator"), "{info}");
    assert_eq!(value(&info, "origin"), Some("user (installed)"), "{info}");
    assert_eq!(
        value(&info, "folder"),
        Some(dest.display().to_string().as_str()),
        "{info}"
    );
    assert!(
        value(&info, "command")
            .is_some_and(|c| c.starts_with("python3 ") && c.ends_with("main.py")),
        "{info}"
    );
    assert_eq!(
        value(&info, "activation"),
        Some("on command word-count.count"),
        "{info}"
    );
    assert!(
        value(&info, "permissions asked").is_some_and(|p| p.starts_with("read files: ")),
        "{info}"
    );
    assert!(
        info.lines().any(|l| l.trim() == "read editor buffers"),
        "{info}"
    );
    assert_eq!(
        value(&info, "permissions granted"),
        Some("not yet (asks before its first run)"),
        "{info}"
    );
    assert!(
        value(&info, "identity").is_some_and(|i| i.starts_with("blake3 ")),
        "{info}"
    );
    // Values line up in one column; no Debug output anywhere.
    let column = |l: &str| {
        l.find(": ")
            .map(|i| i + 2 + l[i + 2..].len() - l[i + 2..].trim_start().len())
    };
    let columns: std::collections::BTreeSet<_> = info.lines().filter_map(column).collect();
    assert_eq!(columns.len(), 1, "values not aligned:\n{info}");
    for debug in ["{", "}", "Some(", "None", "[\""] {
        assert!(!info.contains(debug), "debug text {debug:?} in:\n{info}");
    }

    // Again: refused, the installed copy untouched.
    std::fs::write(dest.join("notes.txt"), "mine")?;
    let again = symphony(
        &sandbox,
        &bins,
        &["ext", "install", "--example", "word-count"],
    )?;
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert!(dest.join("notes.txt").is_file());

    // --force replaces it and says where the old copy went.
    let forced = symphony(
        &sandbox,
        &bins,
        &["ext", "install", "--example", "word-count", "--force"],
    )?;
    assert!(forced.status.success(), "{}", stderr(&forced));
    let text = stdout(&forced);
    let aside = text
        .lines()
        .find_map(|l| l.strip_prefix("the copy it replaces was moved to "))
        .map(Path::new);
    assert!(
        aside.is_some_and(|a| a.join("notes.txt").is_file()),
        "{text}"
    );
    assert!(!dest.join("notes.txt").exists());
    Ok(())
}

#[test]
fn installing_a_folder_validates_it_and_refuses_a_second_copy() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let src = sandbox.work().join("mine/hello");
    std::fs::create_dir_all(&src)?;
    std::fs::write(
        src.join("extension.toml"),
        "id = \"hello\"\nname = \"Hello\"\nversion = \"1.2.3\"\ntype = \"operator\"\n\
         command = \"true\"\n",
    )?;
    let bad = sandbox.work().join("mine/bad");
    std::fs::create_dir_all(&bad)?;
    std::fs::write(bad.join("extension.toml"), "id = 3\n")?;

    let refused = symphony(&sandbox, &bins, &["ext", "install", "mine/bad"])?;
    assert!(!refused.status.success());
    assert!(!user_dir(&sandbox).join("bad").exists());

    let done = symphony(&sandbox, &bins, &["ext", "install", "mine/hello"])?;
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("installed hello 1.2.3 (operator) into "),
        "{}",
        stdout(&done)
    );
    let list = stdout(&symphony(&sandbox, &bins, &["ext", "list"])?);
    assert!(
        list.lines()
            .any(|l| l.starts_with("hello\t1.2.3\toperator\tenabled\tuser\t")),
        "{list}"
    );
    let again = symphony(&sandbox, &bins, &["ext", "install", "mine/hello"])?;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already installed"),
        "{}",
        stderr(&again)
    );
    Ok(())
}
