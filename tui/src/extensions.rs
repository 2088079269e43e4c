//! Extensions seen from the client: where they are searched, where their settings
//! live, and the texts of `symphony ext list` and the palette's "Extensions: list".

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use symphony_extensions::Origin;
use symphony_extensions::config::{self, ExtensionsConfig, ListEntry};
use symphony_extensions::discovery::{Discovery, discover, standard_dirs};

/// `$XDG_CONFIG_HOME/symphony/extensions.toml` (or `~/.config/symphony/extensions.toml`).
pub fn settings_path() -> Option<PathBuf> {
    crate::config::config_path().map(|p| p.with_file_name("extensions.toml"))
}

/// The built-in extensions folder: `extensions/` next to the `symphony` program.
pub fn builtin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("extensions")))
        .unwrap_or_else(|| PathBuf::from("/nonexistent/symphony/extensions"))
}

/// Discovers extensions in the standard folders, `workspace` being the workspace
/// (its `.symphony/extensions` is searched last and wins).
pub fn discover_all(workspace: Option<&Path>) -> Discovery {
    discover(&standard_dirs(&builtin_dir(), workspace))
}

/// Where a row's extension came from, in words: `shipped`, `user`, `workspace
/// (trusted)` or `workspace (untrusted)`.
pub fn origin_text(row: &ListEntry, workspace_trusted: bool) -> &'static str {
    match (row.origin, workspace_trusted) {
        (Origin::Shipped, _) => "shipped",
        (Origin::User, _) => "user",
        (Origin::Workspace, true) => "workspace (trusted)",
        (Origin::Workspace, false) => "workspace (untrusted)",
    }
}

/// Whether a row's extension may run, in words: `granted`, `not granted (asks
/// first)`, `changed since granted (asks again)`, or `inert (workspace not trusted)`.
pub fn grant_text(row: &ListEntry, workspace_trusted: bool) -> &'static str {
    if row.origin == Origin::Workspace && !workspace_trusted {
        "inert (workspace not trusted)"
    } else if row.granted {
        "granted"
    } else if row.stale_grant {
        "changed since granted (asks again)"
    } else {
        "not granted (asks first)"
    }
}

/// The text `symphony ext list` prints: one tab-separated row per extension (id,
/// version, type, enabled/disabled, origin, grant, folder), then the problems;
/// `workspace_trusted` tells whether the workspace's own extensions may run.
pub fn list_text(
    found: &Discovery,
    settings: &ExtensionsConfig,
    workspace_trusted: bool,
) -> String {
    let mut s = String::new();
    if found.extensions.is_empty() {
        s.push_str("no extensions found\n");
    }
    for (row, m) in config::list(&found.extensions, settings)
        .iter()
        .zip(&found.extensions)
    {
        let state = if row.enabled { "enabled" } else { "disabled" };
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.id,
            row.version,
            row.kind,
            state,
            origin_text(row, workspace_trusted),
            grant_text(row, workspace_trusted),
            m.dir.display()
        );
    }
    if !found.problems.is_empty() {
        let _ = writeln!(s, "problems:");
        for p in &found.problems {
            let _ = writeln!(s, "  {p}");
        }
    }
    s
}

/// Whether `workspace` is trusted (an unreadable or unsafe trust file trusts
/// nothing).
pub fn workspace_trusted(workspace: &Path) -> bool {
    matches!(
        crate::motif::trust::decision(workspace),
        Ok(Some(symphony_extensions::trust::Decision::Trusted))
    )
}

/// One line for the palette's "Extensions: list", e.g.
/// `Extensions: word-count 0.1.0 operator, hello 1.0.0 operator (disabled); 1 problem`.
/// An unreadable settings file is counted as a problem (everything shown enabled).
pub fn summary(workspace: &Path) -> String {
    let found = discover_all(Some(workspace));
    let mut problems = found.problems.len();
    let settings = match settings_path().map(|p| ExtensionsConfig::load(&p)) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            tracing::warn!("{e}");
            problems += 1;
            ExtensionsConfig::default()
        }
        None => ExtensionsConfig::default(),
    };
    let trusted = workspace_trusted(workspace);
    let rows: Vec<String> = config::list(&found.extensions, &settings)
        .into_iter()
        .map(|r| {
            let off = if r.enabled { "" } else { " (disabled)" };
            let inert = if r.origin == Origin::Workspace && !trusted {
                " (workspace, not trusted)"
            } else {
                ""
            };
            format!("{} {} {}{off}{inert}", r.id, r.version, r.kind)
        })
        .collect();
    let mut s = if rows.is_empty() {
        "Extensions: none found".to_string()
    } else {
        format!("Extensions: {}", rows.join(", "))
    };
    if problems > 0 {
        let plural = if problems == 1 { "" } else { "s" };
        let _ = write!(s, "; {problems} problem{plural} (see `symphony ext list`)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::keymap::Keymap;
    use crate::overlays::Palette;

    #[test]
    fn palette_offers_extensions_list_and_it_names_workspace_extensions() {
        let palette = Palette::new(&Keymap::default_keymap());
        let entry = palette
            .entries
            .iter()
            .find(|e| e.action == Action::ExtensionsList)
            .expect("palette entry");
        assert_eq!(entry.description, "Extensions: list");

        let ws = tempfile::tempdir().unwrap();
        let dir = ws.path().join(".symphony/extensions/hello");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("extension.toml"),
            "id = \"hello\"\nname = \"Hello\"\nversion = \"1.2.3\"\ntype = \"operator\"\n\
             description = \"Says hello\"\ncommand = \"true\"\n",
        )
        .unwrap();
        let broken = ws.path().join(".symphony/extensions/broken");
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("extension.toml"), "id = 3\n").unwrap();
        let text = summary(ws.path());
        assert!(text.starts_with("Extensions: "), "{text}");
        assert!(text.contains("hello 1.2.3 operator"), "{text}");
        assert!(text.contains("problem"), "{text}");
    }
}
