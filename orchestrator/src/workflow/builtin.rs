//! The built-in AI commands as workflows: context -> prompt -> model [-> extract -> diff].

use super::config::{DiffTarget, GIT_DIFF_STAGED, NodeConfig, NodeKind, WorkflowConfig};
use crate::command::AiCommand;

const SYSTEM: &str = "You are a precise coding assistant inside the Symphony editor. \
The user works on {{path}} ({{language}}).";

const CHAT_SYSTEM: &str = "You are a precise coding assistant inside the Symphony editor. \
The user works on {{path}} ({{language}}); its current text:\n```\n{{file}}\n```";

const CODE_ONLY: &str =
    "Answer with the complete code in a single fenced code block and nothing else.";

/// The name of a command, used in artifact tags (`command:<name>`) and titles.
pub fn command_name(command: &AiCommand) -> &str {
    match command {
        AiCommand::Workflow { name, .. } => name,
        other => other.kind().name(),
    }
}

/// The title of a run ("refactor: extract a helper").
pub fn title(command: &AiCommand) -> String {
    match command {
        AiCommand::Refactor { instruction } => format!("refactor: {instruction}"),
        AiCommand::Chat { message, .. } => {
            let first: String = message.chars().take(60).collect();
            format!("chat: {first}")
        }
        AiCommand::Workflow {
            name,
            instruction: Some(i),
        } => format!("{name}: {i}"),
        other => command_name(other).replace('_', " "),
    }
}

/// The `{{instruction}}` of a command.
pub fn instruction(command: &AiCommand) -> Option<&str> {
    match command {
        AiCommand::Refactor { instruction } => Some(instruction),
        AiCommand::Chat { message, .. } => Some(message),
        AiCommand::Workflow { instruction, .. } => instruction.as_deref(),
        _ => None,
    }
}

fn ask(template: &str) -> NodeConfig {
    NodeConfig::new("prompt", NodeKind::Prompt)
        .after(&["context"])
        .template(Some(SYSTEM), template)
}

fn answer_flow(name: &str, context: NodeConfig, prompt: NodeConfig) -> WorkflowConfig {
    WorkflowConfig {
        name: name.to_owned(),
        description: None,
        answer: Some("model".into()),
        nodes: vec![
            context,
            prompt,
            NodeConfig::new("model", NodeKind::Model).after(&["prompt"]),
        ],
    }
}

fn edit_flow(name: &str, template: &str, target: DiffTarget) -> WorkflowConfig {
    WorkflowConfig {
        name: name.to_owned(),
        description: None,
        answer: None,
        nodes: vec![
            NodeConfig::new("context", NodeKind::Context),
            ask(template),
            NodeConfig::new("model", NodeKind::Model).after(&["prompt"]),
            NodeConfig::new("extract", NodeKind::Extract).after(&["model"]),
            NodeConfig::new("diff", NodeKind::Diff)
                .after(&["extract"])
                .target(target),
        ],
    }
}

/// The workflow of a built-in command (`None` for a user workflow).
pub fn builtin(command: &AiCommand) -> Option<WorkflowConfig> {
    let name = command_name(command);
    let ctx = || NodeConfig::new("context", NodeKind::Context);
    Some(match command {
        AiCommand::Explain => answer_flow(
            name,
            ctx(),
            ask(
                "Explain what this {{language}} code does, briefly and concretely:\n\n\
                 ```\n{{selection}}\n```",
            ),
        ),
        AiCommand::Refactor { .. } => edit_flow(
            name,
            &format!(
                "Refactor this {{{{language}}}} code as follows: {{{{instruction}}}}\n\
                 {CODE_ONLY}\n\n```\n{{{{selection}}}}\n```"
            ),
            DiffTarget::Selection,
        ),
        AiCommand::WriteTests => edit_flow(
            name,
            "Write unit tests for this {{language}} code. Answer with the tests only, in a \
             single fenced code block that also has the imports the tests need: it goes \
             after the code, or into the project's own test file when it keeps one.\n\n\
             ```\n{{selection}}\n```",
            DiffTarget::AfterSelection,
        ),
        AiCommand::FixDiagnostics => edit_flow(
            name,
            &format!(
                "Fix these diagnostics:\n{{{{diagnostics}}}}\n\n{CODE_ONLY} Give the whole \
                 corrected file.\n\n```\n{{{{file}}}}\n```"
            ),
            DiffTarget::File,
        ),
        AiCommand::DocComments => edit_flow(
            name,
            &format!(
                "Add documentation comments to this {{{{language}}}} code, changing nothing \
                 else. {CODE_ONLY}\n\n```\n{{{{selection}}}}\n```"
            ),
            DiffTarget::Selection,
        ),
        AiCommand::CommitMessage => answer_flow(
            name,
            ctx().command(GIT_DIFF_STAGED),
            ask(
                "Write a git commit message for these staged changes: a summary line under \
                 72 characters, a blank line, then a short body. Answer with the message \
                 only.\n\n```diff\n{{diff}}\n```",
            ),
        ),
        AiCommand::Chat { .. } => answer_flow(
            name,
            ctx(),
            NodeConfig::new("prompt", NodeKind::Prompt)
                .after(&["context"])
                .template(Some(CHAT_SYSTEM), "{{instruction}}"),
        ),
        AiCommand::Workflow { .. } => return None,
    })
}
