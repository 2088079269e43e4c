//! `[[mcp_servers]]` passed on to external agents: the ACP schema's `McpServer` values
//! `session/new` carries, for the transports the agent said it supports in
//! `initialize` (stdio always: ACP requires every agent to support it; HTTP only when
//! `mcpCapabilities.http` is set).

use std::path::{Path, PathBuf};

use super::config::{McpServerConfig, Transport};
use crate::acp::schema::{EnvVariable, McpCapabilities, McpServer, McpServerHttp, McpServerStdio};

/// The enabled, well-formed entries of `configs` the agent with `capabilities` accepts.
pub fn acp_servers(configs: &[McpServerConfig], capabilities: &McpCapabilities) -> Vec<McpServer> {
    configs
        .iter()
        .filter(|c| c.enabled)
        .filter_map(|c| match c.transport() {
            Ok(Transport::Stdio { command, args }) => {
                let env = c
                    .env
                    .iter()
                    .map(|(k, v)| EnvVariable::new(k.clone(), v.clone()))
                    .collect();
                Some(McpServer::Stdio(
                    McpServerStdio::new(c.name.clone(), absolute_command(command))
                        .args(args.to_vec())
                        .env(env),
                ))
            }
            Ok(Transport::Http { url }) if capabilities.http => Some(McpServer::Http(
                McpServerHttp::new(c.name.clone(), url.to_owned()),
            )),
            Ok(Transport::Http { .. }) => {
                tracing::info!(server = %c.name, "ACP agent does not take HTTP MCP servers; not passed on");
                None
            }
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        })
        .collect()
}

/// `command` as an absolute path (ACP asks for one): found on PATH, else as given.
fn absolute_command(command: &str) -> PathBuf {
    let path = Path::new(command);
    if path.is_absolute() || command.contains('/') {
        return std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(command))
        .find(|p| is_executable(p))
        .unwrap_or_else(|| path.to_path_buf())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdio_servers_are_always_passed_on_http_ones_only_to_agents_that_take_them() {
        let mut stdio = McpServerConfig::stdio("time", "sh", &["-c", "x"]);
        stdio.env.insert("TZ".into(), "UTC".into());
        let http = McpServerConfig::http("remote", "http://127.0.0.1:9/mcp");
        let mut off = McpServerConfig::stdio("off", "sh", &[]);
        off.enabled = false;
        let configs = [stdio, http, off];
        let plain = acp_servers(&configs, &McpCapabilities::default());
        assert_eq!(plain.len(), 1);
        let McpServer::Stdio(s) = &plain[0] else {
            panic!("{plain:?}")
        };
        assert_eq!(s.name, "time");
        assert!(s.command.is_absolute(), "{:?}", s.command);
        assert_eq!(s.args, ["-c", "x"]);
        assert_eq!(s.env, [EnvVariable::new("TZ", "UTC")]);
        let with_http = acp_servers(&configs, &McpCapabilities::new().http(true));
        assert_eq!(with_http.len(), 2);
        assert!(matches!(&with_http[1], McpServer::Http(h) if h.url == "http://127.0.0.1:9/mcp"));
        // On the wire, as session/new carries them.
        let wire = serde_json::to_value(&with_http).unwrap();
        assert_eq!(wire[1]["type"], "http");
        assert_eq!(wire[0]["env"][0]["name"], "TZ");
    }
}
