//! Which language server serves which language: the `[lsp.<language>]` tables of
//! `$XDG_CONFIG_HOME/symphony/config.toml`, the built-in defaults, and how a buffer's
//! language and workspace root are found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// How to run and talk to one language's server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// The program (looked up on `PATH` unless it contains a `/`).
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Files or folders whose presence marks the workspace root (searched upwards from the
    /// file; the file's folder when none is found).
    pub root_markers: Vec<String>,
    /// Sent as `initializationOptions`.
    pub initialization_options: Option<Value>,
    /// Sent with `workspace/didChangeConfiguration` and answered to `workspace/configuration`.
    pub settings: Option<Value>,
    /// File extensions (without the dot) of this language, added to the built-in ones.
    pub file_extensions: Vec<String>,
    /// The LSP `languageId` sent in `didOpen` (default: the table's name).
    pub language_id: Option<String>,
    /// Format the document through the server before each save.
    pub format_on_save: bool,
    /// Start the server only for files under a root marker (rust-analyzer is of no use
    /// outside a Cargo workspace).
    pub require_root_marker: bool,
    /// Set to false to never start this server.
    pub enabled: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            command: String::new(),
            args: Vec::new(),
            root_markers: vec![".git".into()],
            initialization_options: None,
            settings: None,
            file_extensions: Vec::new(),
            language_id: None,
            format_on_save: false,
            require_root_marker: false,
            enabled: true,
        }
    }
}

impl ServerConfig {
    fn new(command: &str, args: &[&str], markers: &[&str], exts: &[&str]) -> Self {
        ServerConfig {
            command: command.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            root_markers: markers.iter().map(|s| s.to_string()).collect(),
            file_extensions: exts.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// A display name for the server: its command's file name.
    pub fn server_name(&self) -> String {
        Path::new(&self.command)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.command.clone())
    }
}

/// The servers by language name (`python`, `c`, `cpp`, `rust`, `typescript`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct LspConfig {
    /// Language name -> server.
    pub languages: BTreeMap<String, ServerConfig>,
    /// `[lsp] path`: folders searched for server commands before `PATH` (a virtual
    /// environment's `bin`, say; `~/` is the home folder).
    pub search_path: Vec<PathBuf>,
}

#[derive(Deserialize, Default)]
struct FileConfig {
    #[serde(default)]
    lsp: BTreeMap<String, toml::Value>,
}

impl Default for LspConfig {
    fn default() -> Self {
        let mut languages = BTreeMap::new();
        let py_markers = [
            "pyproject.toml",
            "setup.py",
            "setup.cfg",
            "requirements.txt",
            ".git",
        ];
        languages.insert(
            "python".into(),
            ServerConfig::new("pylsp", &[], &py_markers, &["py", "pyi"]),
        );
        let c_markers = [
            "compile_commands.json",
            "compile_flags.txt",
            ".clangd",
            ".git",
        ];
        languages.insert(
            "c".into(),
            ServerConfig::new("clangd", &[], &c_markers, &["c", "h"]),
        );
        languages.insert(
            "cpp".into(),
            ServerConfig::new(
                "clangd",
                &[],
                &c_markers,
                &["cc", "cpp", "cxx", "c++", "hpp", "hh", "hxx"],
            ),
        );
        languages.insert(
            "rust".into(),
            ServerConfig {
                require_root_marker: true,
                ..ServerConfig::new(
                    "rust-analyzer",
                    &[],
                    &["Cargo.toml", "rust-project.json"],
                    &["rs"],
                )
            },
        );
        let ts_markers = ["tsconfig.json", "jsconfig.json", "package.json", ".git"];
        let ts = |exts: &[&str]| {
            ServerConfig::new(
                "typescript-language-server",
                &["--stdio"],
                &ts_markers,
                exts,
            )
        };
        languages.insert("typescript".into(), ts(&["ts", "mts", "cts"]));
        languages.insert("typescriptreact".into(), ts(&["tsx"]));
        languages.insert("javascript".into(), ts(&["js", "mjs", "cjs"]));
        languages.insert("javascriptreact".into(), ts(&["jsx"]));
        languages.insert(
            "go".into(),
            ServerConfig::new("gopls", &[], &["go.work", "go.mod", ".git"], &["go"]),
        );
        LspConfig {
            languages,
            search_path: Vec::new(),
        }
    }
}

impl LspConfig {
    /// `$XDG_CONFIG_HOME/symphony/config.toml` (or `~/.config/symphony/config.toml`).
    pub fn default_path() -> Option<PathBuf> {
        let dir = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(dir.join("symphony").join("config.toml"))
    }

    /// The defaults with the user's file applied (a missing file means the defaults; a bad
    /// table is logged and skipped).
    pub fn load() -> Self {
        match Self::default_path().map(|p| std::fs::read_to_string(&p).map(|s| (p, s))) {
            Some(Ok((path, text))) => Self::from_toml(&text).unwrap_or_else(|e| {
                tracing::warn!("lsp: ignoring {}: {e}", path.display());
                Self::default()
            }),
            _ => Self::default(),
        }
    }

    /// The defaults with the `[lsp.<language>]` tables of a config file's text applied:
    /// fields given replace the default's, new languages are added.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        let file: FileConfig = toml::from_str(text)?;
        let mut cfg = Self::default();
        for (lang, table) in file.lsp {
            // `[lsp]`'s own keys: `path` here, the client's (`auto_complete_ms`) skipped
            if !table.is_table() {
                if lang == "path" {
                    cfg.search_path = search_path(&table);
                }
                continue;
            }
            let merged = match (cfg.languages.get(&lang), table) {
                (Some(base), toml::Value::Table(t)) => merge(base, t),
                (None, t) => t.try_into::<ServerConfig>(),
                (Some(_), other) => other.try_into::<ServerConfig>(),
            };
            match merged {
                Ok(sc) => {
                    cfg.languages.insert(lang, sc);
                }
                Err(e) => tracing::warn!("lsp: ignoring [lsp.{lang}]: {e}"),
            }
        }
        Ok(cfg)
    }

    /// The language (a key of [`Self::languages`]) of a file, from its extension, else
    /// from the highlighter's language name (`"Python"`, `"C++"`...).
    pub fn language_of(&self, path: Option<&Path>, syntax_name: &str) -> Option<String> {
        if let Some(ext) = path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
            let ext = ext.to_ascii_lowercase();
            if let Some((lang, _)) = self
                .languages
                .iter()
                .find(|(_, c)| c.file_extensions.contains(&ext))
            {
                return Some(lang.clone());
            }
        }
        let by_syntax = match syntax_name {
            "Python" => "python",
            "C" => "c",
            "C++" => "cpp",
            "Rust" => "rust",
            "Go" => "go",
            "JavaScript" => "javascript",
            "TypeScript" => "typescript",
            _ => return None,
        };
        self.languages
            .contains_key(by_syntax)
            .then(|| by_syntax.to_string())
    }
}

/// The default's fields overridden by those in `t`.
fn merge(base: &ServerConfig, t: toml::Table) -> Result<ServerConfig, toml::de::Error> {
    let mut full = toml::Table::try_from(base).unwrap_or_default();
    // `null`-valued options are absent from the serialized base: fine
    for (k, v) in t {
        full.insert(k, v);
    }
    toml::Value::Table(full).try_into()
}

impl serde::Serialize for ServerConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("command", &self.command)?;
        m.serialize_entry("args", &self.args)?;
        m.serialize_entry("root_markers", &self.root_markers)?;
        if let Some(v) = &self.initialization_options {
            m.serialize_entry("initialization_options", v)?;
        }
        if let Some(v) = &self.settings {
            m.serialize_entry("settings", v)?;
        }
        m.serialize_entry("file_extensions", &self.file_extensions)?;
        if let Some(v) = &self.language_id {
            m.serialize_entry("language_id", v)?;
        }
        m.serialize_entry("format_on_save", &self.format_on_save)?;
        m.serialize_entry("require_root_marker", &self.require_root_marker)?;
        m.serialize_entry("enabled", &self.enabled)?;
        m.end()
    }
}

/// The workspace root of `file`: the nearest ancestor folder holding one of `markers`,
/// else the file's own folder.
pub fn find_root(file: &Path, markers: &[String]) -> PathBuf {
    find_marked_root(file, markers)
        .unwrap_or_else(|| file.parent().unwrap_or(Path::new("/")).to_path_buf())
}

/// The nearest ancestor folder of `file` holding one of `markers`.
pub fn find_marked_root(file: &Path, markers: &[String]) -> Option<PathBuf> {
    let dir = file.parent()?;
    dir.ancestors()
        .find(|anc| markers.iter().any(|m| anc.join(m).exists()))
        .map(Path::to_path_buf)
}

/// The folders of `[lsp] path` (a list of strings, or one string), `~/` expanded.
fn search_path(v: &toml::Value) -> Vec<PathBuf> {
    let items: Vec<&str> = match v {
        toml::Value::String(s) => vec![s.as_str()],
        toml::Value::Array(a) => a.iter().filter_map(toml::Value::as_str).collect(),
        _ => {
            tracing::warn!("lsp: [lsp] path must be a list of folders");
            Vec::new()
        }
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    items
        .into_iter()
        .filter_map(|s| match (s.strip_prefix("~/"), &home) {
            (Some(rest), Some(h)) => Some(h.join(rest)),
            (Some(_), None) => None,
            (None, _) => Some(PathBuf::from(s)),
        })
        .collect()
}

/// The full path of `command`: itself when it contains a `/`, else the first match in
/// `search_path`, then on `PATH`.
pub fn find_program(command: &str, search_path: &[PathBuf]) -> Option<PathBuf> {
    if command.is_empty() {
        return None;
    }
    if command.contains('/') {
        let p = PathBuf::from(command);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    search_path
        .iter()
        .cloned()
        .chain(std::env::split_paths(&path))
        .map(|d| d.join(command))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tables_override_fields_and_add_languages() {
        let cfg = LspConfig::from_toml(
            r#"
            [lsp.python]
            command = "/opt/pylsp"
            settings = { pylsp = { plugins = { pycodestyle = { enabled = false } } } }
            [lsp.zig]
            command = "zls"
            file_extensions = ["zig"]
            "#,
        )
        .expect("parses");
        let py = &cfg.languages["python"];
        assert_eq!(py.command, "/opt/pylsp");
        assert!(py.root_markers.contains(&"pyproject.toml".to_string()));
        assert!(py.settings.is_some());
        assert_eq!(
            cfg.language_of(Some(Path::new("/a/b.zig")), "Plain Text"),
            Some("zig".into())
        );
        assert_eq!(
            cfg.language_of(Some(Path::new("/a/b.py")), "Plain Text"),
            Some("python".into())
        );
        assert_eq!(cfg.language_of(None, "C++"), Some("cpp".into()));
        assert_eq!(
            cfg.language_of(Some(Path::new("/a/b.txt")), "Plain Text"),
            None
        );
        assert_eq!(cfg.languages["typescript"].args, vec!["--stdio"]);
    }

    #[test]
    fn servers_are_found_in_the_lsp_search_path_before_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("venv/bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        let exe = bin.join("my-test-lsp");
        std::fs::write(&exe, "#!/bin/sh\n").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let text = format!(
            "[lsp]\npath = [{:?}]\nauto_complete_ms = 200\n[lsp.python]\ncommand = \"my-test-lsp\"\n",
            bin.display().to_string()
        );
        let cfg = LspConfig::from_toml(&text).expect("parses");
        assert_eq!(cfg.search_path, vec![bin.clone()]);
        assert_eq!(cfg.languages["python"].command, "my-test-lsp");
        assert_eq!(find_program("my-test-lsp", &cfg.search_path), Some(exe));
        assert_eq!(find_program("my-test-lsp", &[]), None);
        let home = LspConfig::from_toml("[lsp]\npath = \"~/.venvs/x/bin\"\n").expect("parses");
        if let Some(h) = std::env::var_os("HOME") {
            assert_eq!(
                home.search_path,
                vec![PathBuf::from(h).join(".venvs/x/bin")]
            );
        }
    }

    #[test]
    fn root_is_the_nearest_folder_with_a_marker() {
        let dir = tempfile::tempdir().expect("tempdir");
        let proj = dir.path().join("proj");
        std::fs::create_dir_all(proj.join("src/deep")).expect("mkdir");
        std::fs::write(proj.join("pyproject.toml"), "").expect("write");
        let f = proj.join("src/deep/m.py");
        assert_eq!(find_root(&f, &["pyproject.toml".into()]), proj);
        assert_eq!(
            find_root(&f, &["nothing-here".into()]),
            proj.join("src/deep")
        );
    }
}
