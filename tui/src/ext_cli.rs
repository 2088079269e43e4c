//! `symphony ext list | info ID | enable ID | disable ID`: the extension commands of
//! the command line, on top of `symphony_extensions::config` and
//! `symphony_tui::extensions`; and `symphony trust [--revoke] [DIR]`, the workspace
//! trust (`symphony_extensions::trust`).

use clap::Subcommand;
use std::path::PathBuf;
use symphony_extensions::config::{self, ConfigError, ExtensionsConfig};

use symphony_extensions::trust::{Decision, TrustStore, canonical, default_path};
use symphony_tui::extensions::{discover_all, list_text, settings_path, workspace_trusted};

/// One `symphony ext` action.
#[derive(Debug, Subcommand)]
pub enum ExtCommand {
    /// Every discovered extension (id, version, type, enabled, folder) and the broken
    /// manifests with their reasons.
    List,
    /// A manifest's fields and permissions (asked and granted).
    Info {
        /// The extension's id.
        id: String,
    },
    /// Allow the extension to be activated (saved in the settings file).
    Enable {
        /// The extension's id.
        id: String,
    },
    /// Stop the extension from being activated (saved in the settings file).
    Disable {
        /// The extension's id.
        id: String,
    },
}

/// Runs `cmd`, printing to stdout; returns the process exit code (0 ok, 1 unknown id
/// or unreadable settings).
pub fn run(cmd: &ExtCommand) -> u8 {
    let workspace = std::env::current_dir().ok();
    let found = discover_all(workspace.as_deref());
    let Some(path) = settings_path() else {
        eprintln!("symphony: cannot locate the config folder (set HOME or XDG_CONFIG_HOME)");
        return 1;
    };
    let result = ExtensionsConfig::load(&path).and_then(|mut settings| match cmd {
        ExtCommand::List => {
            // Older grants shown as they will be bound (the file is not written here).
            settings.migrate_unbound(&found.extensions);
            let trusted = workspace.as_deref().is_some_and(workspace_trusted);
            print!("{}", list_text(&found, &settings, trusted));
            Ok(())
        }
        ExtCommand::Info { id } => {
            print!("{}", config::info(&found.extensions, &settings, id)?);
            Ok(())
        }
        ExtCommand::Enable { id } => {
            config::enable(&path, &found.extensions, id)?;
            println!("{id}: enabled");
            Ok(())
        }
        ExtCommand::Disable { id } => {
            config::disable(&path, &found.extensions, id)?;
            println!("{id}: disabled");
            Ok(())
        }
    });
    match result {
        Ok(()) => 0,
        Err(ConfigError::Unknown(id)) => {
            eprintln!("symphony: no extension with id {id:?} (see `symphony ext list`)");
            1
        }
        Err(e) => {
            eprintln!("symphony: {e}");
            1
        }
    }
}

/// `symphony trust [--revoke] [DIR]`: trusts the workspace `dir` (default: the
/// current folder), or revokes its trust; prints what that means and returns the exit
/// code (0 ok, 1 the trust file could not be read or written).
pub fn trust(dir: Option<PathBuf>, revoke: bool) -> u8 {
    let dir = match dir.map_or_else(std::env::current_dir, Ok) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("symphony: cannot read the current folder: {e}");
            return 1;
        }
    };
    if !dir.is_dir() {
        eprintln!("symphony: {} is not a folder", dir.display());
        return 1;
    }
    let Some(path) = default_path() else {
        eprintln!("symphony: cannot locate the data folder (set HOME or XDG_DATA_HOME)");
        return 1;
    };
    let decision = if revoke {
        Decision::Denied
    } else {
        Decision::Trusted
    };
    let saved = TrustStore::load(&path).and_then(|mut store| store.decide(&dir, decision));
    if let Err(e) = saved {
        eprintln!("symphony: {e}");
        return 1;
    }
    let found = discover_all(Some(&dir));
    let ours: Vec<&str> = found
        .extensions
        .iter()
        .filter(|m| m.origin == symphony_extensions::Origin::Workspace)
        .map(|m| m.id.as_str())
        .collect();
    let what = if ours.is_empty() {
        "it has no extensions now".to_string()
    } else {
        format!("its extensions: {}", ours.join(", "))
    };
    let shown = canonical(&dir);
    if revoke {
        println!(
            "{}: not trusted; {what} stay inert (`symphony trust` trusts it again)",
            shown.display()
        );
    } else {
        println!(
            "{}: trusted; {what} may run, each asking once before its first run",
            shown.display()
        );
    }
    0
}
