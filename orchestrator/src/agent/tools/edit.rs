//! edit_file (exact search / replace) and write_file (a whole file). Both add to the
//! run's change set, which the user reviews hunk by hunk: they never write to disk.

use std::path::Path;

use serde_json::{Value, json};

use super::{Access, Tool, ToolContext, ToolFuture, ToolOutput, str_arg};
use crate::instrument::ToolSpec;

/// Replaces one exact occurrence of a text in a file (a proposal).
pub struct EditFile;

/// Writes a whole file (a proposal).
pub struct WriteFile;

/// The file's text before the run (its open buffer, else the disk), `None` when it
/// does not exist.
fn disk_text(ctx: &ToolContext, rel: &Path) -> Result<Option<String>, ToolOutput> {
    match ctx.workspace.read_text(rel) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ToolOutput::error(format!(
            "cannot read {}: {e}",
            rel.display()
        ))),
    }
}

/// Records the proposal and says what it is.
fn propose(ctx: &ToolContext, rel: &Path, after: String) -> ToolOutput {
    let before = match disk_text(ctx, rel) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let mut changes = ctx.changes.lock();
    changes.propose(rel.to_path_buf(), before, after);
    let counts = changes
        .files()
        .find(|c| c.path == rel)
        .map_or((0, 0), |c| c.counts());
    ToolOutput::ok(format!(
        "proposed a change to {} (+{} -{} against the original); the user reviews it before it is written",
        rel.display(),
        counts.0,
        counts.1
    ))
}

/// The 1-based line numbers where `needle` starts in `text`.
fn match_lines(text: &str, needle: &str) -> Vec<usize> {
    text.match_indices(needle)
        .map(|(i, _)| text[..i].matches('\n').count() + 1)
        .collect()
}

/// `text` with its one occurrence of `search` replaced, or an error the model can act on.
pub fn replace_once(path: &str, text: &str, search: &str, replace: &str) -> Result<String, String> {
    if search.is_empty() {
        return Err("`search` is empty; give the exact text to replace".into());
    }
    let lines = match_lines(text, search);
    match lines.len() {
        1 => Ok(text.replacen(search, replace, 1)),
        0 => Err(format!(
            "the search text was not found in {path}; read_file it and copy the exact text, whitespace included"
        )),
        n => Err(format!(
            "the search text matches {n} times in {path} (at lines {}); include more surrounding lines so it matches exactly once",
            lines
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl Tool for EditFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "edit_file".into(),
            description: "Replace one exact occurrence of `search` in a file by `replace`. The search text must match exactly once (whitespace included). The change is proposed to the user, who reviews it.".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "search": {"type": "string"},
                    "replace": {"type": "string"}
                },
                "required": ["path", "search", "replace"]
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Edit
    }

    fn summary(&self, args: &Value) -> String {
        args.get("path")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        Box::pin(async move {
            let (path, search, replace) = match (
                str_arg(&args, "path"),
                str_arg(&args, "search"),
                str_arg(&args, "replace"),
            ) {
                (Ok(p), Ok(s), Ok(r)) => (p, s, r),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
            };
            let rel = match ctx.workspace.relative(path) {
                Ok(r) => r,
                Err(e) => return ToolOutput::error(e),
            };
            let text = match ctx.text_of(&rel) {
                Ok(t) => t,
                Err(e) => return ToolOutput::error(format!("cannot read {path}: {e}")),
            };
            match replace_once(path, &text, search, replace) {
                Ok(after) => propose(&ctx, &rel, after),
                Err(e) => ToolOutput::error(e),
            }
        })
    }
}

impl Tool for WriteFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write_file".into(),
            description: "Write a whole file (usually a new one). The change is proposed to the user, who reviews it.".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "content": {"type": "string"}
                },
                "required": ["path", "content"]
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Edit
    }

    fn summary(&self, args: &Value) -> String {
        args.get("path")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        Box::pin(async move {
            let (path, content) = match (str_arg(&args, "path"), str_arg(&args, "content")) {
                (Ok(p), Ok(c)) => (p, c),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            let rel = match ctx.workspace.relative(path) {
                Ok(r) => r,
                Err(e) => return ToolOutput::error(e),
            };
            if ctx.workspace.absolute(&rel).is_dir() {
                return ToolOutput::error(format!("{path} is a directory"));
            }
            propose(&ctx, &rel, content.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::context;
    use super::*;

    #[tokio::test]
    async fn edits_are_proposals_and_never_touch_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.rs"),
            "fn old() {}\nfn main() { old() }\n",
        )
        .unwrap();
        let ctx = context(dir.path());
        let out = EditFile
            .run(
                json!({"path": "a.rs", "search": "fn old()", "replace": "fn new()"}),
                ctx.clone(),
            )
            .await;
        assert!(!out.is_error, "{}", out.content);
        let second = EditFile
            .run(
                json!({"path": "a.rs", "search": "{ old() }", "replace": "{ new() }"}),
                ctx.clone(),
            )
            .await;
        assert!(second.content.contains("+2 -2"), "{}", second.content);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.rs")).unwrap(),
            "fn old() {}\nfn main() { old() }\n"
        );
        let changes = ctx.changes.lock().clone();
        let change = changes.files().next().unwrap();
        assert_eq!(change.after, "fn new() {}\nfn main() { new() }\n");
        drop(changes);
        let new = WriteFile
            .run(json!({"path": "docs/x.md", "content": "hi\n"}), ctx.clone())
            .await;
        assert!(!new.is_error);
        assert!(!dir.path().join("docs/x.md").exists());
        assert_eq!(ctx.changes.lock().files().count(), 2);
    }

    #[test]
    fn search_text_must_match_exactly_once() {
        let text = "a\nold\nb\nold\n";
        let twice = replace_once("f.rs", text, "old", "new").unwrap_err();
        assert!(
            twice.contains("matches 2 times") && twice.contains("lines 2, 4"),
            "{twice}"
        );
        let none = replace_once("f.rs", text, "gone", "new").unwrap_err();
        assert!(none.contains("not found in f.rs"), "{none}");
        assert_eq!(
            replace_once("f.rs", text, "a\nold", "x").unwrap(),
            "x\nb\nold\n"
        );
    }
}
