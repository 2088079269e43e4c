//! Tool calling in the instrument contract: the tools offered to a model
//! ([`ToolSpec`]), the conversation of an agent run ([`AgentMessage`]: text, the model's
//! tool calls, their results), and one model turn that may end in tool calls
//! ([`ToolTurn`]). Each backend maps these onto its own wire format.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Completion, Result};

/// A tool offered to the model: its name, what it does, and a JSON schema of its
/// arguments (an object schema).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The name the model calls it by (`read_file`).
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON schema of the arguments object.
    pub parameters: Value,
}

/// One tool call the model made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id on the wire (the server's, or one made up when it sent none).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them (JSON text, possibly malformed).
    pub arguments: String,
}

impl ToolCall {
    /// The arguments as a JSON object, or a message the model can act on.
    /// Empty arguments are an empty object.
    pub fn parsed_arguments(&self) -> std::result::Result<Value, String> {
        let text = self.arguments.trim();
        if text.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            Ok(other) => Err(format!(
                "the arguments of {} must be a JSON object, not {other}",
                self.name
            )),
            Err(e) => Err(format!(
                "the arguments of {} are not valid JSON ({e}); send them again as one JSON object",
                self.name
            )),
        }
    }
}

/// The result of a tool call, as it goes back to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The [`ToolCall::id`] this answers.
    pub call_id: String,
    /// The tool's name (Ollama matches results by name).
    pub name: String,
    /// What the tool returned (or the error / refusal text).
    pub content: String,
    /// Whether this is an error or a refusal rather than a result.
    pub is_error: bool,
}

/// One message of an agent conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum AgentMessage {
    /// Instructions for the model.
    System {
        /// The text.
        content: String,
    },
    /// The person's task or follow-up.
    User {
        /// The text.
        content: String,
    },
    /// A model turn: its text and the tool calls it made.
    Assistant {
        /// The text (may be empty when it only called tools).
        content: String,
        /// The calls, in the order the model made them.
        #[serde(default)]
        tool_calls: Vec<ToolCall>,
    },
    /// The results of tool calls.
    Tool(ToolResult),
}

/// A request that offers tools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolRequest {
    /// The conversation, oldest first.
    pub messages: Vec<AgentMessage>,
    /// The tools offered.
    pub tools: Vec<ToolSpec>,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Overrides the instrument's configured model for this call.
    pub model: Option<String>,
}

/// A finished model turn: its text and usage, and the tool calls it ended with.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolTurn {
    /// Text, finish reason, usage and timing.
    pub completion: Completion,
    /// The calls the model made (empty when it answered in text only).
    pub tool_calls: Vec<ToolCall>,
}

/// A boxed tool-turn future.
pub type ToolTurnFuture = Pin<Box<dyn Future<Output = Result<ToolTurn>> + Send + 'static>>;

/// Assembles tool calls from the pieces a stream sends (by index: id, name, argument
/// fragments), in index order.
#[derive(Debug, Default, Clone)]
pub(crate) struct ToolCallAssembler {
    calls: Vec<(usize, ToolCall)>,
}

impl ToolCallAssembler {
    /// Adds what a delta carried for the call at `index`.
    pub(crate) fn apply(
        &mut self,
        index: usize,
        id: Option<&str>,
        name: Option<&str>,
        arguments: &str,
    ) {
        let pos = match self.calls.iter().position(|(i, _)| *i == index) {
            Some(p) => p,
            None => {
                self.calls.push((
                    index,
                    ToolCall {
                        id: String::new(),
                        name: String::new(),
                        arguments: String::new(),
                    },
                ));
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[pos].1;
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            call.id = id.to_string();
        }
        if let Some(name) = name.filter(|s| !s.is_empty()) {
            call.name.push_str(name);
        }
        call.arguments.push_str(arguments);
    }

    /// The name of the last call that started, for error messages.
    pub(crate) fn last_name(&self) -> Option<&str> {
        self.calls.last().map(|(_, c)| c.name.as_str())
    }

    /// The calls in index order; calls without an id get `call_<n>`.
    pub(crate) fn finish(mut self) -> Vec<ToolCall> {
        self.calls.sort_by_key(|(i, _)| *i);
        self.calls
            .into_iter()
            .enumerate()
            .map(|(n, (_, mut c))| {
                if c.id.is_empty() {
                    c.id = format!("call_{n}");
                }
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_assemble_by_index_in_order() {
        let mut a = ToolCallAssembler::default();
        a.apply(1, Some("b"), Some("grep"), "");
        a.apply(0, Some("a"), Some("read_file"), "{\"pa");
        a.apply(1, None, None, "{}");
        a.apply(0, None, None, "th\":\"x\"}");
        let calls = a.finish();
        assert_eq!(calls[0].name, "read_file");
        assert_eq!(calls[0].arguments, "{\"path\":\"x\"}");
        assert_eq!(calls[1].id, "b");
    }

    #[test]
    fn malformed_arguments_give_a_message_for_the_model() {
        let call = ToolCall {
            id: "1".into(),
            name: "grep".into(),
            arguments: "{\"pattern\": ".into(),
        };
        let err = call.parsed_arguments().unwrap_err();
        assert!(err.contains("not valid JSON"), "{err}");
        let empty = ToolCall {
            arguments: " ".into(),
            ..call
        };
        assert_eq!(empty.parsed_arguments().unwrap(), serde_json::json!({}));
    }
}
