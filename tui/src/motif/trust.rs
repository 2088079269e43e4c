//! Workspace trust in the client: a workspace's own extensions
//! (`.symphony/extensions`) stay inert until the user trusts the workspace. At start
//! (and when a rescan finds some), a workspace never decided about gets the trust
//! prompt ([`crate::grant::trust`]); one the user distrusted gets a status message
//! saying how to trust it. The palette's "Workspace: trust" / "Workspace: revoke
//! trust" and `symphony trust [--revoke] [DIR]` change the decision; the watcher
//! notices the trust file changing and the running client follows.

use std::path::{Path, PathBuf};

use symphony_extensions::trust::{self, Decision, TrustStore};
use symphony_extensions::{ExtensionType, Manager};

use crate::app::State;
use crate::grant::trust::{TrustAnswer, TrustPrompt};

/// How the user trusts a workspace, for messages.
pub const HOW_TO_TRUST: &str =
    "trust it with `symphony trust` or the palette's \"Workspace: trust\"";

/// The trust file: `chosen`, else the standard one.
pub fn file(chosen: &Option<PathBuf>) -> Option<PathBuf> {
    chosen.clone().or_else(trust::default_path)
}

/// What the trust file (`chosen`, else the standard one) says about `workspace`
/// (`None`: never decided). An unreadable or unsafe trust file trusts nothing: its
/// error is returned.
pub fn decision_in(chosen: &Option<PathBuf>, workspace: &Path) -> Result<Option<Decision>, String> {
    match file(chosen) {
        None => Ok(None),
        Some(p) => TrustStore::load(&p)
            .map(|s| s.decision(workspace))
            .map_err(|e| e.to_string()),
    }
}

/// [`decision_in`] the standard trust file.
pub fn decision(workspace: &Path) -> Result<Option<Decision>, String> {
    decision_in(&None, workspace)
}

/// Saves `decision` for `workspace` in the trust file (`chosen`, else the standard
/// one).
pub fn save(chosen: &Option<PathBuf>, workspace: &Path, decision: Decision) -> Result<(), String> {
    let path = file(chosen).ok_or("cannot locate the data folder (set HOME or XDG_DATA_HOME)")?;
    let mut store = TrustStore::load(&path).map_err(|e| e.to_string())?;
    store.decide(workspace, decision).map_err(|e| e.to_string())
}

/// The enabled workspace extensions of `manager` as (id, name).
pub fn workspace_extensions(manager: &Manager) -> Vec<(String, String)> {
    manager
        .workspace_extensions()
        .map(|m| (m.id.clone(), m.name.clone()))
        .collect()
}

fn ids(exts: &[(String, String)]) -> String {
    exts.iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The status message for a workspace whose extensions stay inert.
pub fn untrusted_message(exts: &[(String, String)]) -> String {
    format!(
        "Workspace not trusted: its extensions ({}) are listed but do not run; {HOW_TO_TRUST}",
        ids(exts)
    )
}

/// Reads the trust of the state's workspace into `manager` (at start, before
/// anything is activated); what the user should be shown is returned.
pub fn read_into(state: &mut State, manager: &mut Manager) -> Shown {
    let exts = workspace_extensions(manager);
    if exts.is_empty() {
        return Shown::Nothing;
    }
    let d = match decision_in(&state.motifs.trust_file, &state.cwd) {
        Ok(d) => d,
        Err(e) => {
            state.error(format!("workspace trust: {e}"));
            Some(Decision::Denied)
        }
    };
    manager.set_workspace_trusted(d == Some(Decision::Trusted));
    match d {
        Some(Decision::Trusted) => Shown::Nothing,
        Some(Decision::Denied) => Shown::Message(untrusted_message(&exts)),
        None => Shown::Prompt(TrustPrompt::new(trust::canonical(&state.cwd), exts)),
    }
}

/// What [`read_into`] asks the client to show.
#[derive(Debug)]
pub enum Shown {
    /// Nothing (trusted, or nothing would run).
    Nothing,
    /// The workspace is distrusted: this status message.
    Message(String),
    /// Never decided: the prompt.
    Prompt(TrustPrompt),
}

/// Shows what [`read_into`] asked for (the prompt only once a session).
pub fn show(state: &mut State, shown: Shown) {
    match shown {
        Shown::Nothing => {}
        Shown::Message(m) => state.say(m),
        Shown::Prompt(p) => {
            if !state.motifs.trust_asked {
                state.motifs.trust_asked = true;
                state.motifs.trust = Some(p);
            }
        }
    }
}

/// A key while the trust prompt is up.
pub fn key(state: &mut State, key: crate::keymap::context::TrustAction) {
    let Some(prompt) = &mut state.motifs.trust else {
        return;
    };
    let Some(answer) = prompt.handle(key) else {
        return;
    };
    let exts = prompt.extensions.clone();
    state.motifs.trust = None;
    match answer {
        TrustAnswer::Trust => decide(state, Decision::Trusted),
        TrustAnswer::DontTrust => decide(state, Decision::Denied),
        TrustAnswer::Later => state.say(untrusted_message(&exts)),
    }
}

/// The user decided (prompt or palette): saved, then applied to the running client.
pub fn decide(state: &mut State, decision: Decision) {
    if let Err(e) = save(&state.motifs.trust_file, &state.cwd, decision) {
        state.error(format!("could not save the workspace trust: {e}"));
    }
    state.motifs.trust = None;
    apply(state, decision == Decision::Trusted, true);
}

/// Applies a trust decision to the running client: trusted, the workspace's
/// extensions join (each asking for its permissions once); untrusted, the running
/// ones stop. `tell` says so in the status line.
pub fn apply(state: &mut State, trusted: bool, tell: bool) {
    let Some(manager) = super::runtime::manager(state) else {
        if tell {
            state.say("Extensions are not running");
        }
        return;
    };
    let (exts, stopped) = {
        let mut m = manager.lock();
        m.set_workspace_trusted(trusted);
        let exts = workspace_extensions(&m);
        // Motifs are the client's: stop those of the workspace now (the catalog
        // stops instruments and operators when it syncs).
        let motifs: Vec<String> = m
            .workspace_extensions()
            .filter(|x| x.kind == ExtensionType::Motif)
            .map(|x| x.id.clone())
            .collect();
        let stopped: Vec<_> = if trusted {
            Vec::new()
        } else {
            motifs.iter().filter_map(|id| m.take(id)).collect()
        };
        (exts, stopped)
    };
    for h in stopped {
        super::runtime::forget_client(state, &h.manifest().id);
        tokio::spawn(async move {
            h.unload(std::time::Duration::from_secs(2)).await;
        });
    }
    super::runtime::after_trust_change(state);
    if !tell {
        return;
    }
    if trusted {
        if exts.is_empty() {
            state.say("Workspace trusted");
        } else {
            state.say(format!(
                "Workspace trusted: its extensions ({}) may run; each asks once before its first run",
                ids(&exts)
            ));
        }
    } else {
        state.say(format!(
            "Workspace trust revoked: its extensions ({}) do not run",
            ids(&exts)
        ));
    }
}

/// After a rescan: follows a trust file changed elsewhere (`symphony trust`), and
/// asks about a workspace that now has extensions and was never decided about.
/// `decision` is what [`decision_in`] read (off the loop's thread); an error trusts
/// nothing.
pub fn follow(state: &mut State, decision: Result<Option<Decision>, String>) {
    let Some(manager) = super::runtime::manager(state) else {
        return;
    };
    let (exts, was) = {
        let m = manager.lock();
        (workspace_extensions(&m), m.workspace_trusted())
    };
    if exts.is_empty() {
        return;
    }
    let d = decision.unwrap_or(Some(Decision::Denied));
    let now = d == Some(Decision::Trusted);
    if now != was {
        state.motifs.trust = None;
        apply(state, now, true);
    } else if d.is_none() {
        show(
            state,
            Shown::Prompt(TrustPrompt::new(trust::canonical(&state.cwd), exts)),
        );
    }
}
