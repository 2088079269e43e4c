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
            other => {
                if let Some(t) = attachment_text(&other) {
                    text.push_str(&t);
                }
            }
        }
    }
    text
}

/// The text an attachment other than a file adds to the prompt (a file's is its text,
/// read by the host: ours inlines it, an ACP agent gets a resource link).
pub fn attachment_text(a: &Attachment) -> Option<String> {
    Some(match a {
        Attachment::File(_) => return None,
        Attachment::Selection {
            path,
            first_line,
            text,
        } => format!(
            "\n\nSelection in {} from line {}:\n```\n{text}\n```",
            path.display(),
            first_line + 1
        ),
        Attachment::Diagnostics { text, .. } => format!("\n\nDiagnostics:\n{text}"),
        Attachment::Symbol { name, path, line } => format!(
            "\n\nSymbol {name} is defined in {} at line {}.",
            path.display(),
            line + 1
        ),
    })
}

/// How much of an attached file goes into the prompt at most (read_file pages the rest).
const ATTACHMENT_LIMIT: usize = 32 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn attachments_follow_the_task_and_an_open_file_is_read_from_its_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.rs"), "on disk\n").unwrap();
        let open = root.join("a.rs");
        let buffers: BufferText =
            Arc::new(move |p: &Path| (p == open).then(|| "unsaved\n".to_owned()));
        let prompt = AgentPrompt {
            text: "fix @a.rs".into(),
            attachments: vec![
                Attachment::File("a.rs".into()),
                Attachment::File("gone.rs".into()),
                Attachment::Symbol {
                    name: "main".into(),
                    path: "b.rs".into(),
                    line: 4,
                },
            ],
        };
        let text = prompt_text(prompt, root, &buffers);
        assert!(
            text.starts_with("fix @a.rs\n\nFile a.rs:\n```\nunsaved\n"),
            "{text}"
        );
        assert!(
            text.contains("File gone.rs was attached but cannot be read"),
            "{text}"
        );
        assert!(
            text.ends_with("Symbol main is defined in b.rs at line 5."),
            "{text}"
        );
    }
}
