//! `symphony ext list | info ID | enable ID | disable ID | install PATH`: the extension commands of
//! the command line, on top of `symphony_extensions::config` and
//! `symphony_tui::extensions`; and `symphony trust [--revoke] [DIR]`, the workspace
//! trust (`symphony_extensions::trust`).

use clap::Subcommand;
use std::path::{Path, PathBuf};
use symphony_extensions::config::{self, ConfigError, ExtensionsConfig};

use symphony_extensions::Origin;
use symphony_extensions::discovery::{Installed, install as install_folder, user_dir};
use symphony_extensions::trust::{Decision, TrustStore, canonical, default_path};
use symphony_tui::ext_examples::{self, install_example};
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
    /// Copy an extension folder into your extensions
    /// ($XDG_DATA_HOME/symphony/extensions/ID); --examples lists the examples shipped
    /// with Symphony, --example ID installs one.
    Install {
        /// The extension's folder (the one holding extension.toml).
        #[arg(required_unless_present_any = ["examples", "example"])]
        path: Option<PathBuf>,
        /// Replace an installed extension with the same id (the old copy is moved
        /// aside, not deleted).
        #[arg(long)]
        force: bool,
        /// List the examples shipped with Symphony.
        #[arg(long, conflicts_with_all = ["path", "example", "force"])]
        examples: bool,
        /// Install the shipped example with this id.
        #[arg(long, value_name = "ID", conflicts_with = "path")]
        example: Option<String>,
    },
}

/// Runs `cmd`, printing to stdout; returns the process exit code (0 ok, 1 unknown id
/// or unreadable settings).
pub fn run(cmd: &ExtCommand) -> u8 {
    if let ExtCommand::Install {
        path,
        force,
        examples,
        example,
    } = cmd
    {
        return install(path.as_deref(), *force, *examples, example.as_deref());
    }
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
            if !found.extensions.iter().any(|m| m.origin == Origin::User) {
                print!("{}", examples_hint());
            }
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
        ExtCommand::Install { .. } => Ok(()),
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

/// What `symphony ext list` adds when no extension is installed: where the shipped
/// examples are and how to install one.
fn examples_hint() -> String {
    let ids: Vec<String> = ext_examples::manifests()
        .into_iter()
        .map(|m| m.id)
        .collect();
    let mut s = format!(
        "no extensions installed; the shipped examples ({}) are built into symphony",
        ids.join(", ")
    );
    if let Some(dir) = ext_examples::source_dir() {
        s.push_str(&format!(" (sources in {})", dir.display()));
    }
    s.push_str(
        ":\n  `symphony ext install --examples` lists them, \
         `symphony ext install --example ID` installs one\n",
    );
    s
}

/// `symphony ext install`: lists the shipped examples (`examples`), installs one
/// (`example`) or the folder `path`; prints what it did. Exit code 0 ok, 1 refused or
/// failed (the reason on stderr).
fn install(path: Option<&Path>, force: bool, examples: bool, example: Option<&str>) -> u8 {
    let Some(dest) = user_dir() else {
        eprintln!("symphony: cannot locate the data folder (set HOME or XDG_DATA_HOME)");
        return 1;
    };
    if examples {
        print!("{}", examples_text(&dest));
        return 0;
    }
    let result = match (example, path) {
        (Some(id), _) => install_example(id, &dest, force).map_err(|e| e.to_string()),
        (None, Some(p)) => install_folder(p, &dest, force).map_err(|e| e.to_string()),
        (None, None) => Err("give an extension folder, or --example ID".to_string()),
    };
    match result {
        Ok(done) => {
            print!("{}", installed_text(&done));
            0
        }
        Err(e) => {
            eprintln!("symphony: {e}");
            1
        }
    }
}

/// The shipped examples, one aligned line each (id, version, type, description,
/// installed or not), then how to install one.
fn examples_text(dest: &Path) -> String {
    let examples = ext_examples::manifests();
    let width = examples.iter().map(|m| m.id.len()).max().unwrap_or(0);
    let mut s = String::from("examples shipped with symphony:\n");
    for m in &examples {
        let installed = if dest.join(&m.id).is_dir() {
            " [installed]"
        } else {
            ""
        };
        s.push_str(&format!(
            "  {:<width$}  {} {:<10} {}{installed}\n",
            m.id,
            m.version,
            m.kind.to_string(),
            m.description
        ));
    }
    if let Some(dir) = ext_examples::source_dir() {
        s.push_str(&format!("sources: {}\n", dir.display()));
    }
    s.push_str(&format!(
        "install one with `symphony ext install --example ID` (into {})\n",
        dest.display()
    ));
    s
}

/// What `symphony ext install` prints after installing.
fn installed_text(done: &Installed) -> String {
    let m = &done.manifest;
    let mut s = format!(
        "installed {} {} ({}) into {}\n",
        m.id,
        m.version,
        m.kind,
        m.dir.display()
    );
    if let Some(old) = &done.replaced {
        s.push_str(&format!(
            "the copy it replaces was moved to {}\n",
            old.display()
        ));
    }
    let asked = m.permissions.words();
    if asked.is_empty() {
        s.push_str("it is a user extension; it asks before its first run\n");
    } else {
        s.push_str(&format!(
            "it is a user extension; before its first run it asks for permission to: {}\n",
            asked.join("; ")
        ));
    }
    s.push_str(&format!("see `symphony ext info {}`\n", m.id));
    s
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
        .filter(|m| m.origin == Origin::Workspace)
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
