//! `config.toml`: the settings (theme, tab size, soft wrap, prefix key, key
//! overrides), where the file lives, how it is parsed (errors name the line)
//! and the complete commented default that `--print-default-config` prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::action::Action;
use crate::keymap::{KeyCombo, Keymap, defaults};

/// Everything the user can set.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Theme name, as the editor process lists them.
    pub theme: String,
    /// Columns per tab stop when drawing tabs.
    pub tab_size: usize,
    /// Wrap long lines at the pane's width instead of scrolling sideways.
    pub soft_wrap: bool,
    /// Show the line-number gutter.
    pub line_numbers: bool,
    /// Use the mouse (click, drag, wheel, border drag).
    pub mouse: bool,
    /// Draw a typed character (or a backspace) at once, before the editor
    /// process answers; its answer then replaces the guess.
    pub local_echo: bool,
    /// The keymap, overrides applied.
    pub keymap: Keymap,
    /// The Conductor's `[[instruments]]`, `[[workflows]]` and `default_instrument`.
    pub conductor: symphony_conductor::conductor::ConductorConfig,
    /// `[lsp] auto_complete_ms`: the pause after typing part of an identifier before the
    /// completion popup opens by itself (0: only on the trigger characters and Ctrl-Space).
    pub auto_complete_ms: u64,
    /// `[completion]`: inline completion (ghost text) from a model.
    pub completion: symphony_conductor::completion::CompletionConfig,
    /// `[[agents]]`: external agents over the Agent Client Protocol.
    pub agents: Vec<symphony_conductor::acp::AgentConfig>,
    /// `[[mcp_servers]]`: MCP servers whose tools the agent may call (also passed on to
    /// the `[[agents]]` that accept them).
    pub mcp_servers: Vec<symphony_conductor::mcp::McpServerConfig>,
    /// `[agent]`: Symphony's own agent (turns, budget, permissions per tool).
    pub agent: symphony_conductor::agent::run::AgentSettings,
}

/// The completion popup's default pause (`[lsp] auto_complete_ms`).
pub const DEFAULT_AUTO_COMPLETE_MS: u64 = 250;

impl Default for Config {
    fn default() -> Self {
        Config {
            theme: DEFAULT_THEME.into(),
            tab_size: 4,
            soft_wrap: false,
            line_numbers: true,
            mouse: true,
            local_echo: true,
            keymap: Keymap::default_keymap(),
            conductor: Default::default(),
            auto_complete_ms: DEFAULT_AUTO_COMPLETE_MS,
            completion: Default::default(),
            agents: Vec::new(),
            mcp_servers: Vec::new(),
            agent: Default::default(),
        }
    }
}

/// The theme used when none is configured.
pub const DEFAULT_THEME: &str = "base16-eighties.dark";

/// A config file that could not be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: line {line}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    theme: Option<String>,
    tab_size: Option<Spanned<i64>>,
    soft_wrap: Option<bool>,
    line_numbers: Option<bool>,
    mouse: Option<bool>,
    local_echo: Option<bool>,
    prefix: Option<Spanned<String>>,
    /// `"key" = "action"` while editing, and `[keys.<context>]` tables.
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    prefix_keys: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    instruments: Vec<symphony_conductor::instrument::InstrumentConfig>,
    #[serde(default)]
    workflows: Vec<symphony_conductor::conductor::WorkflowConfig>,
    default_instrument: Option<String>,
    #[serde(default)]
    agents: Vec<symphony_conductor::acp::AgentConfig>,
    #[serde(default)]
    mcp_servers: Vec<symphony_conductor::mcp::McpServerConfig>,
    /// `[agent]`: Symphony's own agent.
    #[serde(default)]
    agent: symphony_conductor::agent::run::AgentSettings,
    /// `[lsp]`: `auto_complete_ms` is the client's; `path` and the `[lsp.<language>]`
    /// tables are the editor process's.
    #[serde(default)]
    lsp: Option<Spanned<toml::Table>>,
    /// `[editing]`: auto-closing pairs and indentation, read by the editor process.
    #[serde(default, rename = "editing")]
    _editing: Option<toml::Value>,
    /// `[completion]`: inline completion (ghost text).
    #[serde(default)]
    completion: Option<symphony_conductor::completion::CompletionConfig>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Config {
    /// Parses config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let err = |offset: usize, message: String| ConfigError {
            path: path.to_owned(),
            line: line_of(text, offset),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            err(offset, e.message().trim().to_owned())
        })?;
        let mut config = Config::default();
        if let Some(theme) = raw.theme {
            config.theme = theme;
        }
        if let Some(tab) = raw.tab_size {
            let v = *tab.get_ref();
            if !(1..=16).contains(&v) {
                return Err(err(
                    tab.span().start,
                    format!("tab_size must be 1 to 16, not {v}"),
                ));
            }
            config.tab_size = v as usize;
        }
        if let Some(v) = raw.soft_wrap {
            config.soft_wrap = v;
        }
        if let Some(v) = raw.line_numbers {
            config.line_numbers = v;
        }
        if let Some(v) = raw.mouse {
            config.mouse = v;
        }
        if let Some(v) = raw.local_echo {
            config.local_echo = v;
        }
        if let Some(prefix) = raw.prefix {
            let key = KeyCombo::parse(prefix.get_ref())
                .map_err(|m| err(prefix.span().start, format!("prefix: {m}")))?;
            config.keymap.set_prefix(key);
        }
        for (key, value) in &raw.keys {
            match value.get_ref() {
                toml::Value::String(action) => config
                    .keymap
                    .bind(false, key.get_ref(), action)
                    .map_err(|e| {
                        err(key.span().start, format!("key `{}`: {}", e.key, e.message))
                    })?,
                toml::Value::Table(table) => {
                    let context = key.get_ref();
                    for (k, action) in table {
                        let at = offset_in_table(text, key.span().start, k);
                        let Some(action) = action.as_str() else {
                            return Err(err(
                                at,
                                format!("[keys.{context}] `{k}`: the action must be a string"),
                            ));
                        };
                        config.keymap.bind_in(context, k, action).map_err(|e| {
                            err(
                                at,
                                format!("[keys.{context}] key `{}`: {}", e.key, e.message),
                            )
                        })?;
                    }
                }
                other => {
                    return Err(err(
                        key.span().start,
                        format!(
                            "[keys] `{}`: expected an action name or a [keys.<context>] table, not {}",
                            key.get_ref(),
                            other.type_str()
                        ),
                    ));
                }
            }
        }
        for (key, action) in &raw.prefix_keys {
            config
                .keymap
                .bind(true, key.get_ref(), action.get_ref())
                .map_err(|e| err(key.span().start, format!("key `{}`: {}", e.key, e.message)))?;
        }
        if let Some(completion) = raw.completion {
            config.completion = completion;
        }
        if let Some(lsp) = &raw.lsp {
            match lsp.get_ref().get("auto_complete_ms") {
                None => {}
                Some(toml::Value::Integer(ms)) if (0..=10_000).contains(ms) => {
                    config.auto_complete_ms = *ms as u64;
                }
                Some(other) => {
                    return Err(err(
                        lsp.span().start,
                        format!(
                            "[lsp] auto_complete_ms must be 0 to 10000 milliseconds, not {other}"
                        ),
                    ));
                }
            }
        }
        config.conductor.instruments = raw.instruments;
        config.conductor.workflows = raw.workflows;
        config.conductor.default_instrument = raw.default_instrument;
        config.agents = raw.agents;
        let mut entries = text.match_indices("[[mcp_servers]]").map(|(at, _)| at);
        for server in &raw.mcp_servers {
            let at = entries.next().unwrap_or(0);
            server.transport().map_err(|m| err(at, m))?;
        }
        for agent in &mut config.agents {
            agent.mcp_servers = raw.mcp_servers.clone();
        }
        config.mcp_servers = raw.mcp_servers;
        config.agent = raw.agent;
        Ok(config)
    }

    /// Reads the config file if it exists. A missing file is the defaults; a
    /// bad one is the defaults plus the error to show the user.
    pub fn load(path: &Path) -> (Config, Option<ConfigError>) {
        match std::fs::read_to_string(path) {
            Ok(text) => match Config::parse(&text, &path.display().to_string()) {
                Ok(c) => (c, None),
                Err(e) => (Config::default(), Some(e)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Config::default(), None),
            Err(e) => (
                Config::default(),
                Some(ConfigError {
                    path: path.display().to_string(),
                    line: 0,
                    message: e.to_string(),
                }),
            ),
        }
    }
}

/// `$XDG_CONFIG_HOME/symphony/config.toml` (or `~/.config/...`).
pub fn config_path() -> Option<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join("symphony").join("config.toml"))
}

/// `$XDG_STATE_HOME/symphony` (or `~/.local/state/symphony`).
pub fn state_dir() -> Option<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state").map(|d| d.join("symphony"))
}

fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() && Path::new(&v).is_absolute() => Some(PathBuf::from(v)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)),
    }
}

/// The complete commented default config (what `--print-default-config` prints).
pub fn default_config_text() -> String {
    let mut s = String::new();
    s.push_str(
        "# Symphony configuration: $XDG_CONFIG_HOME/symphony/config.toml\n\
         # Every setting below is the default; delete what you do not change.\n\
         # A mistake in this file is reported with its line number and the\n\
         # defaults are used instead.\n\n",
    );
    let _ = writeln!(
        s,
        "# Colour theme, one of the names the editor process offers."
    );
    let _ = writeln!(s, "theme = \"{DEFAULT_THEME}\"\n");
    s.push_str("# Columns per tab stop when drawing tabs (1 to 16).\ntab_size = 4\n\n");
    s.push_str("# Wrap long lines at the pane's width instead of scrolling sideways.\nsoft_wrap = false\n\n");
    s.push_str("# Show line numbers.\nline_numbers = true\n\n");
    s.push_str("# Click to place the cursor, drag to select, wheel to scroll, drag borders to resize.\nmouse = true\n\n");
    s.push_str("# Draw typed characters at once, before the editor process answers.\nlocal_echo = true\n\n");
    s.push_str(
        "# The key that starts a pane/window command (tmux style).\nprefix = \"ctrl-b\"\n\n",
    );
    s.push_str(
        "# Keys while editing: \"key\" = \"action\". Keys are written like ctrl-s,\n\
         # alt-up, ctrl-shift-left, shift-tab, pageup, f3, space, or one character.\n\
         # Bind an action to \"none\" to free a key. Every action is listed, with\n\
         # its description, in the command palette (ctrl-p).\n[keys]\n",
    );
    write_table(&mut s, defaults::NORMAL);
    s.push_str("\n# Keys after the prefix key.\n[prefix_keys]\n");
    write_table(&mut s, defaults::PREFIX);
    s.push_str(
        "\n# ---- Keys inside panes, overlays and boxes ----\n\
         # One table per context, [keys.<context>]: \"key\" = \"action\" with the\n\
         # context's own action names (\"none\" frees a key). Characters typed into\n\
         # a text field are inserted; its editing keys are in [keys.input]. In a\n\
         # pane, Ctrl/Alt chords the context does not bind do what [keys] says.\n",
    );
    write_context_tables(&mut s);
    s.push_str(EDITING_DEFAULTS);
    s.push_str(LSP_DEFAULTS);
    s.push_str(CONDUCTOR_DEFAULTS);
    s.push_str(COMPLETION_DEFAULTS);
    s.push_str(symphony_conductor::acp::AGENT_PRESETS);
    s.push_str(symphony_conductor::mcp::MCP_SERVER_EXAMPLES);
    s
}

/// `[completion]`, commented out (off until an instrument is named).
const COMPLETION_DEFAULTS: &str = r#"
# ---- Inline completion (ghost text) ----
# After a pause in typing, the named instrument suggests what comes next; it is
# drawn dim after the cursor. Tab accepts it all (and indents when nothing is
# shown), alt-w the next word, alt-l the next line, alt-n shows the next
# alternative, Esc hides it; alt-i turns it on and off.
# [completion]
# enabled = true
# instrument = "local"         # one of the [[instruments]] names
# format = "infill"            # infill (llama.cpp), openai, openai-template, ollama,
#                              # lsp (the language server's inline completion)
# template = "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
# debounce_ms = 150
# max_lines = 8
# prefix_lines = 64
# suffix_lines = 16
# extra_chunks = 4
# extra_chunk_lines = 32
# max_request_bytes = 16384
# n_predict = 64
# t_max_prompt_ms = 500
# t_max_predict_ms = 1000
# alternatives = 1
# timeout_secs = 10
# [completion.languages]
# markdown = false
"#;

/// The `[editing]` table (read by the editor process) with its defaults.
const EDITING_DEFAULTS: &str = r#"
# ---- Editing (read by the editor process when it starts) ----
# The values below are the defaults, commented out: a value set here applies to
# every language and replaces that language's own default (Python's `:`), so
# set only what you change, here or per language.
[editing]
# Typing an opener adds its closer (not right before a word; a quote not right
# after a word), typing the closer steps over it, backspace in an empty pair
# deletes both. auto_close_pairs = [] turns this off.
# auto_close_pairs = [["(", ")"], ["[", "]"], ["{", "}"], ["\"", "\""], ["'", "'"]]
# Enter after a line ending in one of indent_after indents one level more
# (between `{` and `}` the closer goes on a line of its own); a closer typed on
# a blank line goes back to its opener's indentation.
# smart_indent = true
# indent_after = ["{", "[", "("]

# Settings for one language, named as the status line shows it. Built in:
# [editing.Python]
# indent_after = ["{", "[", "(", ":"]
# [editing.Rust]
# auto_close_pairs = [["(", ")"], ["[", "]"], ["{", "}"], ["\"", "\""]]
"#;

/// `[lsp]` and the built-in `[lsp.<language>]` servers (read by the editor process, except
/// `auto_complete_ms`), with their defaults; a test checks them against the editor's.
const LSP_DEFAULTS: &str = r#"
# ---- Language servers ----
[lsp]
# The pause (ms) after typing part of a name before the completion popup opens
# by itself (0: only on the server's trigger characters and Ctrl-Space).
auto_complete_ms = 250
# Folders searched for server commands before PATH (a virtual environment's
# bin, say): path = ["~/.venvs/tools/bin"]
path = []

# The built-in servers. Set any field to change it; enabled = false turns one
# off; a new [lsp.NAME] table with file_extensions adds a language. Also:
# initialization_options = {...}, settings = {...}, language_id = "...".
[lsp.python]
command = "pylsp"
args = []
root_markers = ["pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", ".git"]
file_extensions = ["py", "pyi"]
format_on_save = false

[lsp.c]
command = "clangd"
args = []
root_markers = ["compile_commands.json", "compile_flags.txt", ".clangd", ".git"]
file_extensions = ["c", "h"]

[lsp.cpp]
command = "clangd"
args = []
root_markers = ["compile_commands.json", "compile_flags.txt", ".clangd", ".git"]
file_extensions = ["cc", "cpp", "cxx", "c++", "hpp", "hh", "hxx"]

[lsp.rust]
command = "rust-analyzer"
args = []
root_markers = ["Cargo.toml", "rust-project.json"]
file_extensions = ["rs"]
require_root_marker = true

[lsp.typescript]
command = "typescript-language-server"
args = ["--stdio"]
root_markers = ["tsconfig.json", "jsconfig.json", "package.json", ".git"]
file_extensions = ["ts", "mts", "cts"]

[lsp.typescriptreact]
command = "typescript-language-server"
args = ["--stdio"]
root_markers = ["tsconfig.json", "jsconfig.json", "package.json", ".git"]
file_extensions = ["tsx"]

[lsp.javascript]
command = "typescript-language-server"
args = ["--stdio"]
root_markers = ["tsconfig.json", "jsconfig.json", "package.json", ".git"]
file_extensions = ["js", "mjs", "cjs"]

[lsp.javascriptreact]
command = "typescript-language-server"
args = ["--stdio"]
root_markers = ["tsconfig.json", "jsconfig.json", "package.json", ".git"]
file_extensions = ["jsx"]

[lsp.go]
command = "gopls"
args = []
root_markers = ["go.work", "go.mod", ".git"]
file_extensions = ["go"]
"#;

/// The Conductor's settings, commented out (nothing is configured by default).
const CONDUCTOR_DEFAULTS: &str = "
# ---- AI (the Conductor) ----
# Model backends. With none configured, Symphony looks for a running Ollama
# on 127.0.0.1:11434 and for OPENAI_API_KEY / ANTHROPIC_API_KEY.
# kind: openai (any OpenAI-compatible server), ollama, anthropic, command.
# api_key_env is the NAME of the variable holding the key, never the key.
#
# [[instruments]]
# name = \"local\"
# kind = \"openai\"
# base_url = \"http://127.0.0.1:8080\"
# model = \"qwen2.5-coder\"
# api_key_env = \"OPENAI_API_KEY\"
# max_concurrency = 2
# connect_timeout_secs = 5
# idle_timeout_secs = 60
# max_retries = 3
#
# [[instruments]]
# name = \"cli\"
# kind = \"command\"
# command = [\"ollama\", \"run\", \"qwen2.5-coder\"]

# The instrument the built-in AI commands use (the first one when unset).
# default_instrument = \"local\"

# Your own workflows: in the command palette as \"Workflow: NAME\" and in the
# Ctrl-b W picker. Nodes run in dependency order (depends_on); kinds: context,
# prompt, model, extract, shell, diff, apply_diff, pick, extension. Templates
# use {{selection}}, {{file}}, {{language}}, {{path}}, {{instruction}},
# {{diagnostics}}, {{diff}} or a dependency's id. A complete one (remove the #):
#
# [[workflows]]
# name = \"explain like I'm new\"
# description = \"Explain the selection in plain words\"
# answer = \"model\"                   # the node whose text is the answer
#
# [[workflows.nodes]]
# id = \"context\"
# kind = \"context\"
#
# [[workflows.nodes]]
# id = \"prompt\"
# kind = \"prompt\"
# depends_on = [\"context\"]
# template = \"Explain this {{language}} code to a newcomer:\\n{{selection}}\"
#
# [[workflows.nodes]]
# id = \"model\"
# kind = \"model\"                     # the default instrument unless instrument = \"...\"
# depends_on = [\"prompt\"]
";

/// Where `key` is written in the table that starts at `start` (for the line
/// of an error; the table's own line when it cannot be found).
fn offset_in_table(text: &str, start: usize, key: &str) -> usize {
    let rest = text.get(start..).unwrap_or("");
    let mut at = 0;
    for line in rest.split_inclusive('\n') {
        let t = line.trim_start();
        let bare = t.starts_with(key) && t[key.len()..].trim_start().starts_with('=');
        let quoted = t.starts_with(&format!("\"{key}\"")) || t.starts_with(&format!("'{key}'"));
        if at > 0 && (bare || quoted) {
            return start + at;
        }
        if at > 0 && t.starts_with('[') {
            break;
        }
        at += line.len();
    }
    start
}

/// The `[keys.<context>]` tables with their defaults.
fn write_context_tables(s: &mut String) {
    for info in crate::keymap::context::contexts() {
        let table = defaults::CONTEXTS
            .iter()
            .find(|(c, _)| *c == info.name)
            .map_or(&[][..], |(_, t)| *t);
        let names: Vec<&str> = info.actions.iter().map(|(n, _)| *n).collect();
        let _ = writeln!(
            s,
            "\n# {}.\n# Actions: {}.\n[keys.{}]",
            info.description,
            names.join(", "),
            info.name
        );
        for (key, name) in table {
            let desc = info
                .actions
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, d)| *d);
            let _ = writeln!(s, "{} = \"{name}\"  # {desc}", toml_string(key));
        }
    }
}

fn write_table(s: &mut String, table: &[(&str, &str)]) {
    for (key, name) in table {
        let desc = crate::action::all_actions()
            .into_iter()
            .find(|i| i.name == *name)
            .map(|i| i.description)
            .unwrap_or("");
        let key = toml_string(key);
        let _ = writeln!(s, "{key} = \"{name}\"  # {desc}");
    }
}

fn toml_string(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        s.to_owned()
    } else {
        format!("'{s}'")
    }
}

/// Check used by `--print-default-config` tests: every action has a name.
pub fn unbound_actions(config: &Config) -> Vec<&'static str> {
    crate::action::all_actions()
        .into_iter()
        .filter(|i| i.action != Action::Prefix && config.keymap.keys_for(&i.action).is_empty())
        .map(|i| i.name)
        .collect()
}

#[cfg(test)]
mod tests;
