//! An instrument extension granted while the client runs, end to end: the real
//! extension runtime, the real Conductor and the pool pane on a TestBackend. The
//! permission prompt is answered with `y` and the extension appears in the open pool
//! pane at once, Cold and with no process (it is not `on_startup`); `w` in the pane
//! starts its process (Hot), `u` stops it (Cold, the process gone). A second session
//! with the grant remembered lists it at start, still without starting it. One
//! installed by hand while the client runs is found by a rescan (what the folder
//! watcher triggers), asks for its permissions and joins; disabled, it leaves.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{screen, state_with};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use symphony_conductor::conductor::Conductor;
use symphony_conductor::events::ConductorEvent;
use symphony_extensions::Manifest;
use symphony_tui::action::Action;
use symphony_tui::app::input::event_to_actions;
use symphony_tui::app::{State, update};
use symphony_tui::conductor::{install, on_conductor_event};
use symphony_tui::motif::{
    MotifEvent, conductor_setup, discover_in, fingerprint, on_event, read_rescan, rescan_from,
    start_with,
};
use tokio::sync::mpsc::UnboundedReceiver;

const WAIT: Duration = Duration::from_secs(30);

fn python_available() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn press(state: &mut State, c: char) {
    let ev = Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    for a in event_to_actions(state, ev) {
        update(state, a);
    }
}

/// An instrument extension running the cli-model example (`cat` answers), asking
/// to run programs; `tag` marks its command line.
fn model_extension(dir: &Path, id: &str, tag: &str) -> Manifest {
    let main = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../extensions/examples/cli-model/main.py")
        .canonicalize()
        .unwrap();
    let folder = dir.join(id);
    std::fs::create_dir_all(&folder).unwrap();
    let toml = format!(
        "id = \"{id}\"\nname = \"Echo\"\nversion = \"0.1.0\"\ntype = \"instrument\"\n\
         command = \"python3\"\nargs = [\"{}\", \"{tag}\"]\ncapabilities = [\"invoke\"]\n\
         [permissions]\nspawn = true\n",
        main.display()
    );
    std::fs::write(folder.join("extension.toml"), toml).unwrap();
    Manifest::load(&folder.join("extension.toml")).unwrap()
}

/// Live (not zombie) child processes of this test whose command line contains `needle`.
fn processes(needle: &str) -> usize {
    let me = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let rest: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            rest.first().is_some_and(|s| *s != "Z")
                && rest.get(1) == Some(&me.as_str())
                && String::from_utf8_lossy(&cmdline).contains(needle)
        })
        .count()
}

/// The client with its extension runtime and a real Conductor (artifacts under `ws`).
fn client(
    ws: &Path,
    settings: PathBuf,
    manifests: Vec<Manifest>,
) -> (State, UnboundedReceiver<ConductorEvent>) {
    let (mut state, _) = state_with(None, 90, 24);
    state.cwd = ws.to_path_buf();
    let _motif_rx = start_with(&mut state, manifests, settings);
    let (mut config, factory) = conductor_setup(&state);
    config.store_dir = ws.join("artifacts");
    let (conductor, rx) = Conductor::start_with(config, factory).unwrap();
    install(&mut state, Box::new(conductor));
    (state, rx)
}

/// Applies the Conductor's events until the screen shows `text`.
async fn until_screen(state: &mut State, rx: &mut UnboundedReceiver<ConductorEvent>, text: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !screen(state).contains(text) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never showed {text:?}:\n{}",
            screen(state)
        );
        if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            on_conductor_event(state, ev);
        }
    }
}

async fn until_processes(needle: &str, n: usize) -> usize {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = processes(needle);
        if now == n || tokio::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_instrument_granted_mid_session_appears_in_the_pool_pane_and_its_keys_drive_it() {
    if !python_available() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let ws = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let settings = config_dir.path().join("extensions.toml");
    let tag = "--tag=tui-granted";
    let m = model_extension(ws.path(), "echo-model", tag);
    let (mut state, mut rx) = client(ws.path(), settings.clone(), vec![m.clone()]);

    // The prompt is up; behind it the pool pane knows no instrument.
    assert!(screen(&state).contains("\"Echo\" (echo-model) asks to:"));
    assert!(screen(&state).contains("• run programs"));
    update(&mut state, Action::OpenPoolPane);
    assert!(!screen(&state).contains("echo-model (extension"));

    // `y`: it joins the running pool without a restart, Cold, not started.
    press(&mut state, 'y');
    assert!(state.motifs.prompt.is_none());
    let text = screen(&state);
    assert!(text.contains("echo-model (extension Echo) Cold"), "{text}");
    assert_eq!(processes(tag), 0, "not started before it is needed");

    // `w` starts its process: Hot.
    press(&mut state, 'w');
    until_screen(&mut state, &mut rx, "echo-model (extension Echo) Hot").await;
    assert_eq!(until_processes(tag, 1).await, 1);
    // Its process is what is loaded: its memory, in the CPU's.
    until_screen(&mut state, &mut rx, "100% CPU  configured").await;
    let text = screen(&state);
    let row = text
        .lines()
        .find(|l| l.contains("● Echo"))
        .unwrap_or_default();
    assert!(row.contains(" MB "), "{text}");

    // `u` stops it: Cold, the process gone.
    press(&mut state, 'u');
    until_screen(&mut state, &mut rx, "echo-model (extension Echo) Cold").await;
    assert_eq!(until_processes(tag, 0).await, 0, "unload stops the process");
    drop(state);

    // The next session lists it at start (granted), still not started.
    let (state, _rx) = client(ws.path(), settings, vec![m]);
    assert!(state.motifs.prompt.is_none());
    let mut state = state;
    update(&mut state, Action::OpenPoolPane);
    assert!(screen(&state).contains("echo-model (extension Echo) Cold"));
    assert_eq!(processes(tag), 0);
}

#[tokio::test]
async fn an_instrument_installed_while_the_client_runs_is_offered_then_leaves_when_disabled() {
    let ws = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let settings = config_dir.path().join("extensions.toml");
    let folder = ws.path().join(".symphony/extensions");
    let (mut state, _rx) = client(ws.path(), settings.clone(), Vec::new());
    // The workspace is trusted: its own extensions may run (each still asks first).
    let trust_file = config_dir.path().join("trust/workspaces.toml");
    symphony_extensions::trust::TrustStore::load(&trust_file)
        .unwrap()
        .decide(ws.path(), symphony_extensions::trust::Decision::Trusted)
        .unwrap();
    state.motifs.trust_file = Some(trust_file);
    assert!(discover_in(&mut state, vec![folder.clone()]));
    update(&mut state, Action::OpenPoolPane);
    let before = fingerprint(std::slice::from_ref(&folder), &settings);

    // Installed by hand while the client runs: the watcher sees it, the rescan asks.
    let m = model_extension(&folder, "late-model", "--tag=tui-installed");
    assert_ne!(
        fingerprint(std::slice::from_ref(&folder), &settings),
        before
    );
    on_event(&mut state, MotifEvent::Rescan);
    assert!(screen(&state).contains("\"Echo\" (late-model) asks to:"));
    press(&mut state, 'y');
    let text = screen(&state);
    assert!(text.contains("late-model (extension Echo) Cold"), "{text}");
    assert!(text.contains("late-model ready"), "{text}");

    // Disabled with `symphony ext disable` in another terminal: it leaves the pool.
    let before = fingerprint(std::slice::from_ref(&folder), &settings);
    symphony_extensions::config::disable(&settings, &[m], "late-model").unwrap();
    assert_ne!(
        fingerprint(std::slice::from_ref(&folder), &settings),
        before
    );
    on_event(&mut state, MotifEvent::Rescan);
    let text = screen(&state);
    assert!(!text.contains("late-model (extension"), "{text}");
    assert!(text.contains("late-model left the AI pool"), "{text}");
}

#[tokio::test]
async fn a_rescan_read_off_the_loop_thread_applies_what_it_read_without_reading_again() {
    let ws = tempfile::tempdir().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let settings = config_dir.path().join("extensions.toml");
    let folder = ws.path().join(".symphony/extensions");
    let (mut state, _rx) = client(ws.path(), settings.clone(), Vec::new());
    let trust_file = config_dir.path().join("trust/workspaces.toml");
    symphony_extensions::trust::TrustStore::load(&trust_file)
        .unwrap()
        .decide(ws.path(), symphony_extensions::trust::Decision::Trusted)
        .unwrap();
    state.motifs.trust_file = Some(trust_file);
    assert!(discover_in(&mut state, vec![folder.clone()]));
    model_extension(&folder, "read-model", "--tag=tui-read-off-loop");
    // What the folder watcher does: the folders, settings and trust file are read on
    // a blocking thread; the loop gets the answer as an event.
    let from = rescan_from(&state).expect("extensions are on");
    let read = tokio::task::spawn_blocking(move || read_rescan(&from))
        .await
        .unwrap();
    // Gone from the disk before the answer is applied: applying it reads nothing
    // again, so the extension found is still offered.
    std::fs::remove_dir_all(&folder).unwrap();
    on_event(&mut state, MotifEvent::Rescanned(Box::new(read)));
    let text = screen(&state);
    assert!(text.contains("\"Echo\" (read-model) asks to:"), "{text}");
}
