//! End to end: a repository that brings its own extension (`.symphony/extensions/x`,
//! `on_startup = true`, no permissions, a script that leaves a marker file and dumps
//! its environment when it runs). Opening `symphony` there must not run it before the
//! user trusts the workspace (typing cannot answer the trust prompt); once trusted it
//! still asks before its first run, then runs with a cleaned environment (no
//! `OPENAI_API_KEY` from the client's). A workspace extension reusing the id of an
//! installed, granted one asks again. `symphony ext list` names each one's origin.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use symphony_tests::{Binaries, Sandbox, Terminal, WAIT, binaries};

const SECRET: &str = "sk-e2e-secret-that-must-not-leak";

fn python_available() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes extension `id` in `dir`: when started it appends `tag` to `marker`, writes
/// its environment's variable names (and values) to `env_dump`, then serves the
/// extension protocol (the Python SDK of the examples).
fn write_extension(dir: &Path, id: &str, tag: &str, marker: &Path, env_dump: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../extensions/examples")
        .canonicalize()?;
    std::fs::write(
        dir.join("main.py"),
        format!(
            "import os, sys\n\
             with open({marker:?}, 'a') as f:\n    f.write({tag:?} + '\\n')\n\
             with open({env_dump:?}, 'w') as f:\n    \
             for k in sorted(os.environ):\n        f.write(k + '=' + os.environ[k] + '\\n')\n\
             sys.path.insert(0, {examples:?})\n\
             from symphony_ext import Extension\n\
             ext = Extension({id:?})\n\
             ext.run()\n",
            marker = marker.display().to_string(),
            env_dump = env_dump.display().to_string(),
            examples = examples.display().to_string(),
        ),
    )?;
    std::fs::write(
        dir.join("extension.toml"),
        format!(
            "id = \"{id}\"\nname = \"Marker {tag}\"\nversion = \"0.1.0\"\ntype = \"operator\"\n\
             command = \"python3\"\nargs = [\"${{ext_dir}}/main.py\"]\n\
             [activation]\non_startup = true\n"
        ),
    )?;
    Ok(())
}

/// The sandbox's environment plus an API key a hostile extension would want.
fn env_with_secret(sandbox: &Sandbox, bins: &Binaries) -> Vec<(String, OsString)> {
    let mut env = sandbox.env(bins);
    env.push(("OPENAI_API_KEY".into(), SECRET.into()));
    env
}

fn start_in(sandbox: &Sandbox, bins: &Binaries, dir: &Path) -> Result<Terminal> {
    Terminal::start(
        &bins.symphony,
        &[] as &[&OsStr],
        &env_with_secret(sandbox, bins),
        dir,
        100,
        30,
    )
}

/// Runs `symphony args` (not in a terminal) in `dir` with the sandbox's environment.
fn symphony_cli(sandbox: &Sandbox, bins: &Binaries, dir: &Path, args: &[&str]) -> Result<String> {
    let out = std::process::Command::new(&bins.symphony)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env_with_secret(sandbox, bins))
        .output()?;
    if !out.status.success() {
        bail!(
            "symphony {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Polls until `path` exists; fails after [`WAIT`].
fn wait_exists(path: &Path) -> Result<()> {
    let deadline = Instant::now() + WAIT;
    while !path.exists() {
        if Instant::now() > deadline {
            bail!("{} never appeared", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn quit(term: &Terminal) -> Result<()> {
    term.keys(&["C-q"])?;
    term.wait_exit()
}

struct Files {
    marker: PathBuf,
    env_dump: PathBuf,
}

fn files(sandbox: &Sandbox) -> Files {
    let out = sandbox.state().join("ext-out");
    Files {
        marker: out.join("marker"),
        env_dump: out.join("env"),
    }
}

#[test]
fn a_workspace_extension_runs_only_after_trust_and_its_prompt_and_without_the_api_key() -> Result<()>
{
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let f = files(&sandbox);
    std::fs::create_dir_all(f.marker.parent().unwrap_or(Path::new("/")))?;
    let ws = sandbox.work();
    write_extension(
        &ws.join(".symphony/extensions/x"),
        "x",
        "workspace",
        &f.marker,
        &f.env_dump,
    )?;

    // Opened there: the trust prompt, and the extension has not run.
    let term = start_in(&sandbox, &bins, &ws)?;
    term.wait_text("Do you trust the authors of this folder?")?;
    assert!(term.screen()?.contains("Marker workspace (x)"));
    assert!(!f.marker.exists(), "ran before the workspace was trusted");
    // Typing cannot answer it: letters and a bare Enter do nothing; Esc closes it
    // undecided, and the status line says the extension is inert and how to trust.
    term.type_text("yes y")?;
    term.keys(&["Enter", "Escape"])?;
    let screen = term.wait_text("Workspace not trusted")?;
    // The notice sits above the status line and may wrap inside the command's name.
    let joined = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains("symphony trust"), "{screen}");
    assert!(!screen.contains("Do you trust"), "{screen}");
    assert!(!f.marker.exists(), "typing trusted the workspace");
    // `ext list` marks it as the workspace's, untrusted and inert.
    let list = symphony_cli(&sandbox, &bins, &ws, &["ext", "list"])?;
    let row = list
        .lines()
        .find(|l| l.starts_with("x\t"))
        .unwrap_or_default();
    assert!(row.contains("workspace (untrusted)"), "{list}");
    assert!(row.contains("inert"), "{list}");
    quit(&term)?;
    assert!(!f.marker.exists(), "ran without trust");

    // Next time: asked again (never decided); trusted with an arrow and Enter. It
    // still asks before its first run although it asks for no permission.
    let term = start_in(&sandbox, &bins, &ws)?;
    term.wait_text("Do you trust the authors of this folder?")?;
    term.keys(&["Left", "Enter"])?;
    let screen = term.wait_text("asks to:")?;
    assert!(screen.contains("run its program"), "{screen}");
    assert!(!f.marker.exists(), "ran before its prompt was answered");
    term.keys(&["y"])?;
    wait_exists(&f.marker)?;
    wait_exists(&f.env_dump)?;
    // Its environment: the basics, not the client's API key.
    let deadline = Instant::now() + WAIT;
    let env = loop {
        let env = std::fs::read_to_string(&f.env_dump)?;
        if env.contains("SYMPHONY_EXTENSION_ID=") || Instant::now() > deadline {
            break env;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(env.lines().any(|l| l.starts_with("PATH=")), "{env}");
    assert!(env.lines().any(|l| l.starts_with("HOME=")), "{env}");
    assert!(!env.contains("OPENAI_API_KEY"), "the key leaked:\n{env}");
    assert!(!env.contains(SECRET), "the key leaked:\n{env}");
    quit(&term)?;

    // `ext list`: trusted and granted.
    let list = symphony_cli(&sandbox, &bins, &ws, &["ext", "list"])?;
    let row = list
        .lines()
        .find(|l| l.starts_with("x\t"))
        .unwrap_or_default();
    assert!(row.contains("workspace (trusted)"), "{list}");
    assert!(row.contains("\tgranted\t"), "{list}");
    Ok(())
}

#[test]
fn a_workspace_extension_reusing_a_granted_id_asks_again() -> Result<()> {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return Ok(());
    }
    let bins = binaries()?;
    let sandbox = Sandbox::new()?;
    let f = files(&sandbox);
    std::fs::create_dir_all(f.marker.parent().unwrap_or(Path::new("/")))?;
    // An installed extension `x`, granted in a folder of no workspace of its own.
    let data = sandbox
        .state()
        .parent()
        .unwrap_or(Path::new("/"))
        .join("data");
    write_extension(
        &data.join("symphony/extensions/x"),
        "x",
        "user",
        &f.marker,
        &f.env_dump,
    )?;
    let elsewhere = sandbox.work().join("elsewhere");
    std::fs::create_dir_all(&elsewhere)?;
    let term = start_in(&sandbox, &bins, &elsewhere)?;
    term.wait_text("asks to:")?;
    term.keys(&["y"])?;
    wait_exists(&f.marker)?;
    quit(&term)?;
    let list = symphony_cli(&sandbox, &bins, &elsewhere, &["ext", "list"])?;
    let row = list
        .lines()
        .find(|l| l.starts_with("x\t"))
        .unwrap_or_default();
    assert!(
        row.contains("\tuser\t") && row.contains("\tgranted\t"),
        "{list}"
    );

    // A repository brings its own `x`; trusted with `symphony trust`.
    let ws = sandbox.work().join("repo");
    write_extension(
        &ws.join(".symphony/extensions/x"),
        "x",
        "shadow",
        &f.marker,
        &f.env_dump,
    )?;
    let said = symphony_cli(&sandbox, &bins, &ws, &["trust"])?;
    assert!(said.contains("trusted"), "{said}");
    let list = symphony_cli(&sandbox, &bins, &ws, &["ext", "list"])?;
    let row = list
        .lines()
        .find(|l| l.starts_with("x\t"))
        .unwrap_or_default();
    assert!(row.contains("workspace (trusted)"), "{list}");
    assert!(row.contains("changed since granted (asks again)"), "{list}");

    // Opened there: no trust prompt (trusted), but the installed one's grant does not
    // apply to the shadowing one: it asks, and has not run.
    let term = start_in(&sandbox, &bins, &ws)?;
    let screen = term.wait_text("asks to:")?;
    assert!(screen.contains("Marker shadow"), "{screen}");
    assert!(screen.contains("Asked again"), "{screen}");
    assert!(!screen.contains("Do you trust"), "{screen}");
    let ran = std::fs::read_to_string(&f.marker)?;
    assert!(
        !ran.contains("shadow"),
        "the shadowing extension ran: {ran}"
    );
    term.keys(&["n"])?;
    term.wait_text("permissions refused")?;
    quit(&term)?;

    // Revoked: inert again.
    symphony_cli(&sandbox, &bins, &ws, &["trust", "--revoke"])?;
    let list = symphony_cli(&sandbox, &bins, &ws, &["ext", "list"])?;
    let row = list
        .lines()
        .find(|l| l.starts_with("x\t"))
        .unwrap_or_default();
    assert!(row.contains("workspace (untrusted)"), "{list}");
    Ok(())
}
