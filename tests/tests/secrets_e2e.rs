//! End to end: the real `symphony` started with API keys in its environment (a
//! well-known one and one a config names as `api_key_env`) starts `symphony-editor`
//! without them: the editor's /proc/PID/environ holds neither key, while the client's
//! own environment still has them (it needs them to call the model). And everything
//! kept under the state and data directories is private (0700 / 0600).

use std::ffi::OsString;

use anyhow::Result;
use symphony_tests::{Sandbox, Terminal, binaries};

const OPENAI: &str = "sk-e2e-openai-key-0123456789abcdef";
const CONFIGURED: &str = "sk-e2e-configured-key-0123456789";

fn environ(pid: u32) -> Result<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ"))?;
    Ok(String::from_utf8_lossy(&raw).replace('\0', "\n"))
}

#[test]
fn the_editor_process_inherits_no_api_key() -> Result<()> {
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let config = sandbox.state().join("../config/symphony");
    std::fs::create_dir_all(&config)?;
    std::fs::write(
        config.join("config.toml"),
        "[[instruments]]\nname = \"m\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9\"\nmodel = \"x\"\napi_key_env = \"SYMPHONY_E2E_MODEL_KEY\"\n",
    )?;
    let file = sandbox.file("a.txt", "hello\n")?;
    let mut env = sandbox.env(&bins);
    env.push(("OPENAI_API_KEY".into(), OsString::from(OPENAI)));
    env.push(("SYMPHONY_E2E_MODEL_KEY".into(), OsString::from(CONFIGURED)));
    let term = Terminal::start(
        &bins.symphony,
        &[file.as_os_str()],
        &env,
        &sandbox.work(),
        100,
        30,
    )?;
    term.wait_text("hello")?;
    let editor = term.wait_editor(None)?;
    let client = environ(term.pid()?)?;
    assert!(
        client.contains(OPENAI) && client.contains(CONFIGURED),
        "the test set no keys"
    );
    let theirs = environ(editor)?;
    assert!(theirs.contains("XDG_STATE_HOME="), "{theirs}");
    assert!(!theirs.contains(OPENAI), "the editor has OPENAI_API_KEY");
    assert!(
        !theirs.contains(CONFIGURED),
        "the editor has the configured key"
    );

    // Item 5: after some typing (a crash journal) everything the client and the editor
    // keep under the state and data directories is private.
    term.type_text("typed")?;
    term.wait_text("typedhello")?;
    let state = sandbox.state().join("symphony");
    let data = sandbox.state().join("../data/symphony");
    let deadline = std::time::Instant::now() + symphony_tests::WAIT;
    let journal = loop {
        let mut files = Vec::new();
        walk(&state, &mut files);
        if let Some(j) = files
            .iter()
            .find(|p| !p.to_string_lossy().ends_with(".log"))
        {
            break j.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no journal in {files:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut checked = Vec::new();
    for root in [&state, &data] {
        check_private(root, &mut checked);
    }
    assert!(
        checked.iter().any(|p| p == &journal) && checked.len() > 4,
        "{checked:?}"
    );
    term.keys(&["C-q"])?;
    Ok(())
}

fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn check_private(dir: &std::path::Path, checked: &mut Vec<std::path::PathBuf>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return;
    };
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o700,
        "{}",
        dir.display()
    );
    checked.push(dir.to_owned());
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue; // removed meanwhile
        };
        if m.is_dir() {
            check_private(&p, checked);
        } else if m.is_file() {
            assert_eq!(m.permissions().mode() & 0o777, 0o600, "{}", p.display());
            checked.push(p);
        }
    }
}
