//! ask_user: a question shown in the AI pane; the answer is the tool's result.

use serde_json::{Value, json};

use super::{Access, Tool, ToolContext, ToolFuture, ToolOutput, str_arg};
use crate::instrument::ToolSpec;

/// Asks the person a question.
pub struct AskUser;

impl Tool for AskUser {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "ask_user".into(),
            description:
                "Ask the user a question when the task is ambiguous; returns their answer.".into(),
            parameters: json!({
                "type": "object",
                "properties": {"question": {"type": "string"}},
                "required": ["question"]
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Ask
    }

    fn summary(&self, args: &Value) -> String {
        args.get("question")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        Box::pin(async move {
            let question = match str_arg(&args, "question") {
                Ok(q) => q.to_string(),
                Err(e) => return e,
            };
            tokio::select! {
                _ = ctx.cancel.cancelled() => ToolOutput::error("cancelled"),
                answer = ctx.ui.ask_user(question) => match answer {
                    Some(a) => ToolOutput::ok(a),
                    None => ToolOutput::error("the user did not answer"),
                },
            }
        })
    }
}
