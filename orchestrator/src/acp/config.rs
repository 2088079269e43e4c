//! `[[agents]]` in config.toml: an external agent spoken to over the Agent Client
//! Protocol (its command, arguments, extra environment, default mode and model).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One `[[agents]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// The name shown in the AI pane's agent picker ("opencode").
    pub name: String,
    /// The program to start (looked up on PATH).
    pub command: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Variables added to the agent's cleaned environment (API keys, say). The agent
    /// gets only PATH, HOME, LANG, TERM, USER, `LC_*`, `XDG_*` of Symphony's own
    /// environment plus these.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The session mode to switch to after `session/new` (an id the agent offers).
    #[serde(default)]
    pub default_mode: Option<String>,
    /// The model to select after `session/new` (an id the agent offers).
    #[serde(default)]
    pub default_model: Option<String>,
    /// The `[[mcp_servers]]` passed on in `session/new` (those the agent accepts); not
    /// part of the `[[agents]]` entry: the client fills it from the config's servers.
    #[serde(skip)]
    pub mcp_servers: Vec<crate::mcp::McpServerConfig>,
}

/// The commented `[[agents]]` presets `--print-default-config` shows.
pub const AGENT_PRESETS: &str = r#"
# ---- External agents (Agent Client Protocol) ----
# Each [[agents]] entry is a coding agent Symphony starts in the workspace and
# speaks ACP to over its stdio; pick it in the AI pane instead of "Symphony".
# The agent gets a cleaned environment (PATH, HOME, LANG, TERM, USER, LC_*,
# XDG_*) plus `env`. default_mode / default_model name one of the agent's own
# session modes / models. Uncomment the ones you have installed.
#
# [[agents]]
# name = "opencode"            # npm i -g opencode-ai
# command = "opencode"
# args = ["acp"]
#
# [[agents]]
# name = "gemini"              # npm i -g @google/gemini-cli (older: --experimental-acp)
# command = "gemini"
# args = ["--acp"]
#
# [[agents]]
# name = "claude"              # Claude Code through Zed's adapter
# command = "npx"
# args = ["-y", "@zed-industries/claude-agent-acp"]
# env = { ANTHROPIC_API_KEY = "..." }
#
# [[agents]]
# name = "codex"               # Codex through Zed's adapter
# command = "npx"
# args = ["-y", "@zed-industries/codex-acp"]
# env = { OPENAI_API_KEY = "..." }
#
# [[agents]]
# name = "goose"
# command = "goose"
# args = ["acp"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        agents: Vec<AgentConfig>,
    }

    #[test]
    fn every_preset_parses_once_uncommented() {
        let text: String = AGENT_PRESETS
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let file: File = match toml::from_str(&text) {
            Ok(f) => f,
            Err(e) => panic!("presets do not parse: {e}\n{text}"),
        };
        let names: Vec<&str> = file.agents.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["opencode", "gemini", "claude", "codex", "goose"]);
        assert_eq!(file.agents[0].args, ["acp"]);
        assert_eq!(
            file.agents[2]
                .env
                .get("ANTHROPIC_API_KEY")
                .map(String::as_str),
            Some("...")
        );
    }
}
