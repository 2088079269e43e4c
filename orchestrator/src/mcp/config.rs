//! `[[mcp_servers]]` in config.toml: an MCP (Model Context Protocol) server whose tools
//! the agent may call: a program spoken to over its stdio (`command`, `args`, `env`) or a
//! Streamable HTTP endpoint (`url`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a call to an MCP tool may take when `timeout_secs` is not set.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// One `[[mcp_servers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerConfig {
    /// The name its tools are offered under (`time` gives `time__get_current_time`).
    pub name: String,
    /// The program to start for a stdio server (looked up on PATH).
    #[serde(default)]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Variables added to the server's cleaned environment (PATH, HOME, LANG, TERM,
    /// USER, `LC_*`, `XDG_*` of Symphony's own environment, plus these).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The endpoint of a Streamable HTTP server (instead of `command`).
    #[serde(default)]
    pub url: Option<String>,
    /// `false` keeps the entry without starting it.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// Seconds a tool call may take (default 120).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

fn enabled_default() -> bool {
    true
}

/// How a server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// A child process on stdio.
    Stdio {
        /// The program.
        command: &'a str,
        /// Its arguments.
        args: &'a [String],
    },
    /// Streamable HTTP.
    Http {
        /// The endpoint.
        url: &'a str,
    },
}

impl McpServerConfig {
    /// A stdio server.
    pub fn stdio(name: impl Into<String>, command: impl Into<String>, args: &[&str]) -> Self {
        Self {
            name: name.into(),
            command: Some(command.into()),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: BTreeMap::new(),
            url: None,
            enabled: true,
            timeout_secs: None,
        }
    }

    /// A Streamable HTTP server.
    pub fn http(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            url: Some(url.into()),
            enabled: true,
            timeout_secs: None,
        }
    }

    /// How it is reached, or why the entry is unusable (neither or both of `command`
    /// and `url`, an empty name).
    pub fn transport(&self) -> Result<Transport<'_>, String> {
        if self.name.trim().is_empty() {
            return Err("[[mcp_servers]]: `name` is empty; give the server a name".into());
        }
        match (&self.command, &self.url) {
            (Some(command), None) if !command.trim().is_empty() => Ok(Transport::Stdio {
                command,
                args: &self.args,
            }),
            (None, Some(url)) if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Transport::Http { url })
            }
            (None, Some(url)) => Err(format!(
                "[[mcp_servers]] `{}`: url `{url}` is not an http:// or https:// address",
                self.name
            )),
            (Some(_), Some(_)) => Err(format!(
                "[[mcp_servers]] `{}`: set either `command` (stdio) or `url` (Streamable HTTP), not both",
                self.name
            )),
            _ => Err(format!(
                "[[mcp_servers]] `{}`: set `command` (a stdio server) or `url` (a Streamable HTTP server)",
                self.name
            )),
        }
    }

    /// How long one tool call may take.
    pub fn call_timeout(&self) -> Duration {
        self.timeout_secs
            .map(|s| Duration::from_secs(s.max(1)))
            .unwrap_or(DEFAULT_CALL_TIMEOUT)
    }

    /// A one-line description of where it is: `stdio: cmd args` or `http: url`.
    pub fn describe(&self) -> String {
        match self.transport() {
            Ok(Transport::Stdio { command, args: [] }) => {
                format!("stdio: {command}")
            }
            Ok(Transport::Stdio { command, args }) => {
                format!("stdio: {command} {}", args.join(" "))
            }
            Ok(Transport::Http { url }) => format!("http: {url}"),
            Err(_) => "misconfigured".into(),
        }
    }
}

/// The commented `[[mcp_servers]]` example `--print-default-config` shows.
pub const MCP_SERVER_EXAMPLES: &str = r#"
# ---- MCP servers (tools for the agent) ----
# Each [[mcp_servers]] entry is a Model Context Protocol server whose tools
# Symphony's agent may call, next to the built-in ones, named
# "<server>__<tool>" (set their permission in [agent.permissions]; default:
# ask). A stdio server is started in the workspace with a cleaned environment
# (PATH, HOME, LANG, TERM, USER, LC_*, XDG_*) plus `env`, and stopped with
# Symphony; `url` names a Streamable HTTP server instead. They are also passed
# on to external ACP agents that accept them. enabled = false keeps an entry
# without starting it; timeout_secs bounds one call (default 120).
#
# [[mcp_servers]]
# name = "time"                # pip install mcp-server-time
# command = "mcp-server-time"
# args = ["--local-timezone", "Europe/Paris"]
#
# [[mcp_servers]]
# name = "everything"          # the protocol's test server, over npx
# command = "npx"
# args = ["-y", "@modelcontextprotocol/server-everything"]
# env = { SOME_TOKEN = "..." }
# enabled = false
#
# [[mcp_servers]]
# name = "remote"
# url = "http://127.0.0.1:3001/mcp"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_either_a_command_or_a_url() {
        let stdio: McpServerConfig =
            toml::from_str("name = \"time\"\ncommand = \"mcp-server-time\"\nargs = [\"-v\"]")
                .unwrap();
        assert!(stdio.enabled);
        assert_eq!(
            stdio.transport().unwrap(),
            Transport::Stdio {
                command: "mcp-server-time",
                args: &["-v".to_string()]
            }
        );
        assert_eq!(stdio.describe(), "stdio: mcp-server-time -v");
        let http: McpServerConfig =
            toml::from_str("name = \"r\"\nurl = \"http://127.0.0.1:1/mcp\"\nenabled = false")
                .unwrap();
        assert!(!http.enabled);
        assert_eq!(
            http.transport().unwrap(),
            Transport::Http {
                url: "http://127.0.0.1:1/mcp"
            }
        );
        let neither: McpServerConfig = toml::from_str("name = \"n\"").unwrap();
        assert!(neither.transport().unwrap_err().contains("set `command`"));
        let both = McpServerConfig {
            url: Some("http://x".into()),
            ..stdio.clone()
        };
        assert!(both.transport().unwrap_err().contains("not both"));
        let bad_url = McpServerConfig::http("b", "ftp://x");
        assert!(bad_url.transport().unwrap_err().contains("not an http"));
        assert!(toml::from_str::<McpServerConfig>("name = \"x\"\ncmd = \"y\"").is_err());
    }

    #[test]
    fn the_examples_parse_once_uncommented() {
        let text: String = MCP_SERVER_EXAMPLES
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.starts_with("[[")
                    || l.split_once(" = ").is_some_and(|(key, _)| {
                        key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
            })
            .map(|l| format!("{l}\n"))
            .collect();
        #[derive(Deserialize)]
        struct File {
            mcp_servers: Vec<McpServerConfig>,
        }
        let file: File = toml::from_str(&text).unwrap();
        assert_eq!(file.mcp_servers.len(), 3);
        assert!(file.mcp_servers.iter().all(|s| s.transport().is_ok()));
    }
}
