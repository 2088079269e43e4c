//! Workspace trust in the client, on a TestBackend with the real extension runtime: a
//! workspace's own extension is inert and the trust prompt is up; typed letters and a
//! bare Enter do not answer it; an arrow and Enter trust the workspace (saved in the
//! trust file), then the extension still asks before its first run although it asks
//! for no permission; the palette's "Workspace: revoke trust" takes it out again and
//! "Workspace: trust" brings it back (its grant remembered).

mod common;

use std::path::Path;

use common::{press, screen, state_with, typed};
use crossterm::event::{KeyCode, KeyModifiers};
use symphony_extensions::discovery::discover;
use symphony_extensions::trust::{Decision, TrustStore};
use symphony_tui::action::Action;
use symphony_tui::app::update;
use symphony_tui::motif::start_with;

fn write_ext(ws: &Path) {
    let dir = ws.join(".symphony/extensions/x");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.py"), "raise SystemExit(0)\n").unwrap();
    std::fs::write(
        dir.join("extension.toml"),
        "id = \"x\"\nname = \"Repo tool\"\nversion = \"0.1.0\"\ntype = \"operator\"\n\
         command = \"python3\"\nargs = [\"${ext_dir}/main.py\"]\n",
    )
    .unwrap();
}

#[tokio::test]
async fn a_workspace_extension_waits_for_a_deliberate_trust_then_asks_and_revoking_removes_it() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    write_ext(ws.path());
    let found = discover(&[ws.path().join(".symphony/extensions")]);
    let settings = home.path().join("config/extensions.toml");
    let trust_file = home.path().join("data/symphony/trust/workspaces.toml");

    let (mut state, _) = state_with(None, 90, 24);
    state.cwd = ws.path().to_path_buf();
    state.motifs.trust_file = Some(trust_file.clone());
    let _rx = start_with(&mut state, found.extensions, settings);
    let catalog = state.motifs.catalog().unwrap().clone();

    // Inert, and asked about.
    assert!(state.motifs.trust.is_some());
    let text = screen(&state);
    assert!(
        text.contains("Do you trust the authors of this folder?"),
        "{text}"
    );
    assert!(text.contains("Repo tool (x)"), "{text}");
    assert!(!catalog.contains("x"));
    assert!(
        state.motifs.prompt.is_none(),
        "no permission prompt before trust"
    );

    // Typing does not answer it.
    typed(&mut state, "yes y n");
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(state.motifs.trust.is_some(), "typing answered the prompt");
    assert!(!trust_file.exists());
    assert!(!catalog.contains("x"));

    // An arrow and Enter: trusted, saved; it asks before its first run.
    press(&mut state, KeyCode::Left, KeyModifiers::NONE);
    press(&mut state, KeyCode::Enter, KeyModifiers::NONE);
    assert!(state.motifs.trust.is_none());
    assert!(TrustStore::load(&trust_file).unwrap().is_trusted(ws.path()));
    let text = screen(&state);
    assert!(text.contains("\"Repo tool\" (x) asks to:"), "{text}");
    assert!(text.contains("run its program"), "{text}");
    assert!(!catalog.contains("x"), "not before its prompt is answered");
    press(&mut state, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(catalog.contains("x"));

    // Revoked from the palette: it leaves; trusted again: back, without asking.
    update(&mut state, Action::WorkspaceRevokeTrust);
    assert_eq!(
        TrustStore::load(&trust_file).unwrap().decision(ws.path()),
        Some(Decision::Denied)
    );
    assert!(!catalog.contains("x"));
    assert!(screen(&state).contains("Workspace trust revoked"));
    update(&mut state, Action::WorkspaceTrust);
    assert!(catalog.contains("x"));
    assert!(state.motifs.prompt.is_none());
}

#[tokio::test]
async fn a_distrusted_workspace_is_not_asked_about_and_says_how_to_trust() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    write_ext(ws.path());
    let trust_file = home.path().join("trust.toml");
    TrustStore::load(&trust_file)
        .unwrap()
        .decide(ws.path(), Decision::Denied)
        .unwrap();
    let found = discover(&[ws.path().join(".symphony/extensions")]);
    let (mut state, _) = state_with(None, 120, 24);
    state.cwd = ws.path().to_path_buf();
    state.motifs.trust_file = Some(trust_file);
    let _rx = start_with(
        &mut state,
        found.extensions,
        home.path().join("extensions.toml"),
    );
    assert!(state.motifs.trust.is_none());
    assert!(state.motifs.prompt.is_none());
    assert!(!state.motifs.catalog().unwrap().contains("x"));
    let text = screen(&state);
    assert!(text.contains("Workspace not trusted"), "{text}");
    assert!(text.contains("symphony trust"), "{text}");
}

#[tokio::test]
async fn a_workspace_motif_does_not_open_before_the_workspace_is_trusted() {
    let ws = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let dir = ws.path().join(".symphony/extensions/pane");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("extension.toml"),
        "id = \"pane\"\nname = \"Pane\"\nversion = \"0.1.0\"\ntype = \"motif\"\n\
         command = \"python3\"\nargs = [\"-c\", \"raise SystemExit(0)\"]\n",
    )
    .unwrap();
    let trust_file = home.path().join("trust.toml");
    TrustStore::load(&trust_file)
        .unwrap()
        .decide(ws.path(), Decision::Denied)
        .unwrap();
    let found = discover(&[ws.path().join(".symphony/extensions")]);
    let (mut state, _) = state_with(None, 140, 24);
    state.cwd = ws.path().to_path_buf();
    state.motifs.trust_file = Some(trust_file);
    let _rx = start_with(
        &mut state,
        found.extensions,
        home.path().join("extensions.toml"),
    );
    let panes = state.windows.panes.len();
    update(&mut state, Action::ExtOpenMotifs);
    assert_eq!(state.windows.panes.len(), panes, "a pane opened");
    assert!(state.motifs.prompt.is_none(), "asked for permissions");
    let text = screen(&state);
    assert!(text.contains("Workspace not trusted"), "{text}");
}
