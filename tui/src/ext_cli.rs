//! `symphony ext list | info ID | enable ID | disable ID`: the extension commands of
//! the command line, on top of `symphony_extensions::config` and
//! `symphony_tui::extensions`.

use clap::Subcommand;
use symphony_extensions::config::{self, ConfigError, ExtensionsConfig};
use symphony_tui::extensions::{discover_all, list_text, settings_path};

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
    let result = ExtensionsConfig::load(&path).and_then(|settings| match cmd {
        ExtCommand::List => {
            print!("{}", list_text(&found, &settings));
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
