//! A prompt as the model reads it: the task the user typed, then each @-mentioned
//! attachment (an attached file's text from its open buffer or the disk, a selection,
//! diagnostics, a symbol's place).

use std::path::Path;

use super::host::{AgentPrompt, Attachment};
use crate::acp::fs::BufferText;

/// The task text with the attachments the user @-mentioned, as the model reads them.
pub fn prompt_text(prompt: AgentPrompt, workspace: &Path, buffers: &BufferText) -> String {
    let mut text = prompt.text;
    for a in prompt.attachments {
        match a {
            Attachment::File(p) => {
                let abs = if p.is_absolute() {
                    p.clone()
                } else {
                    workspace.join(&p)
                };
                let shown = abs
                    .strip_prefix(workspace)
                    .unwrap_or(&abs)
                    .display()
                    .to_string();
                match buffers(&abs)
                    .map(Ok)
                    .unwrap_or_else(|| std::fs::read_to_string(&abs))
                {
                    Ok(body) => text.push_str(&format!(
                        "\n\nFile {shown}:\n```\n{}\n```",
                        super::tools::command::cut_middle(&body, ATTACHMENT_LIMIT)
                    )),
                    Err(e) => text.push_str(&format!(
                        "\n\nFile {shown} was attached but cannot be read ({e}); use read_file."
                    )),
                }
            }
            Attachment::Selection {
                path,
                first_line,
                text: sel,
            } => text.push_str(&format!(
                "\n\nSelection in {} from line {}:\n```\n{sel}\n```",
                path.display(),
                first_line + 1
            )),
            Attachment::Diagnostics { text: d, .. } => {
                text.push_str(&format!("\n\nDiagnostics:\n{d}"))
            }
            Attachment::Symbol { name, path, line } => text.push_str(&format!(
                "\n\nSymbol {name} is defined in {} at line {}.",
                path.display(),
                line + 1
            )),
        }
    }
    text
}

/// How much of an attached file goes into the prompt at most (read_file pages the rest).
const ATTACHMENT_LIMIT: usize = 32 * 1024;
