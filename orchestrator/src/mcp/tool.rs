//! An MCP server's tool as an agent [`Tool`]: offered to the model as
//! `<server>__<tool>` with the server's description and its input schema as is, under
//! the same permission rules as the built-ins (default: ask), called through the
//! server's connection.

use std::sync::Arc;

use serde_json::Value;

use super::server::{McpServer, ServerTool};
use crate::agent::tools::{Access, Tool, ToolContext, ToolFuture};
use crate::instrument::ToolSpec;

/// Longest tool name the model backends accept (OpenAI: 64 of `[A-Za-z0-9_-]`).
const MAX_NAME: usize = 64;
/// Longest argument summary shown in a node or a permission prompt.
const MAX_SUMMARY: usize = 200;

/// One tool of one MCP server.
pub struct McpTool {
    server: Arc<McpServer>,
    tool: ServerTool,
    name: String,
}

impl McpTool {
    /// `tool` of `server`.
    pub fn new(server: Arc<McpServer>, tool: ServerTool) -> Self {
        let name = tool_name(&server.config().name, &tool.name);
        Self { server, tool, name }
    }

    /// The name the model calls it by.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `<server>__<tool>`, with characters the model backends refuse replaced by `_` and
/// cut to their length limit.
pub fn tool_name(server: &str, tool: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut name = format!("{}__{}", clean(server), clean(tool));
    name.truncate(MAX_NAME);
    name
}

impl Tool for McpTool {
    fn spec(&self) -> ToolSpec {
        let server = &self.server.config().name;
        let description = if self.tool.description.is_empty() {
            format!("Tool `{}` of the MCP server `{server}`.", self.tool.name)
        } else {
            format!("{} (MCP server `{server}`)", self.tool.description)
        };
        ToolSpec {
            name: self.name.clone(),
            description,
            parameters: self.tool.schema.clone(),
        }
    }

    fn access(&self) -> Access {
        // Another program acts on the call: asked like run_command unless configured.
        Access::Run
    }

    fn summary(&self, args: &Value) -> String {
        let mut text = match args {
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        };
        if text.len() > MAX_SUMMARY {
            let mut cut = MAX_SUMMARY;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        text
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        let server = self.server.clone();
        let tool = self.tool.name.clone();
        Box::pin(async move { server.call(&tool, args, ctx.cancel).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_are_server_then_tool_in_the_characters_models_accept() {
        assert_eq!(
            tool_name("time", "get_current_time"),
            "time__get_current_time"
        );
        assert_eq!(tool_name("my server", "a.b/c"), "my_server__a_b_c");
        assert_eq!(tool_name(&"s".repeat(40), &"t".repeat(40)).len(), 64);
    }
}
