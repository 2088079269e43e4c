//! read_file (line ranges, long files paged) and list_files (a .gitignore-aware walk,
//! optionally filtered by a glob).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Access, Tool, ToolContext, ToolFuture, ToolOutput, str_arg, usize_arg};
use crate::instrument::ToolSpec;

/// Lines read_file returns at most per call.
pub const READ_PAGE_LINES: usize = 400;
/// Bytes read_file returns at most per call.
pub const READ_PAGE_BYTES: usize = 48 * 1024;
/// Paths list_files returns at most.
pub const LIST_LIMIT: usize = 1000;

/// Reads a workspace file (as the run sees it: with its proposed changes).
pub struct ReadFile;

impl Tool for ReadFile {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "read_file".into(),
            description: format!(
                "Read a text file of the workspace, with line numbers. Long files come in pages of {READ_PAGE_LINES} lines; pass start_line / end_line (1-based, inclusive) for a range."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "path relative to the workspace root"},
                    "start_line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1}
                },
                "required": ["path"]
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Read
    }

    fn summary(&self, args: &Value) -> String {
        let path = args.get("path").and_then(Value::as_str).unwrap_or("?");
        match (usize_arg(args, "start_line"), usize_arg(args, "end_line")) {
            (None, None) => path.to_string(),
            (s, e) => format!(
                "{path}:{}-{}",
                s.unwrap_or(1),
                e.map_or(String::new(), |e| e.to_string())
            ),
        }
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        Box::pin(async move {
            let path = match str_arg(&args, "path") {
                Ok(p) => p,
                Err(e) => return e,
            };
            let rel = match ctx.workspace.relative(path) {
                Ok(r) => r,
                Err(e) => return ToolOutput::error(e),
            };
            let text = match ctx.text_of(&rel) {
                Ok(t) => t,
                Err(e) => return ToolOutput::error(format!("cannot read {path}: {e}")),
            };
            read_page(
                &text,
                usize_arg(&args, "start_line"),
                usize_arg(&args, "end_line"),
            )
        })
    }
}

/// The numbered lines `start..=end` of `text`, cut to one page with a note that says
/// how to read on.
pub fn read_page(text: &str, start: Option<usize>, end: Option<usize>) -> ToolOutput {
    let lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    let start = start.unwrap_or(1).max(1);
    if total == 0 {
        return ToolOutput::ok("(empty file)");
    }
    if start > total {
        return ToolOutput::error(format!(
            "start_line {start} is past the end: the file has {total} lines"
        ));
    }
    let wanted_end = end.unwrap_or(total).clamp(start, total);
    let mut out = String::new();
    let mut last = start - 1;
    for (i, line) in lines[start - 1..wanted_end].iter().enumerate() {
        let n = start + i;
        if n - start >= READ_PAGE_LINES || out.len() + line.len() > READ_PAGE_BYTES {
            break;
        }
        let _ = writeln!(out, "{n:>6}\t{line}");
        last = n;
    }
    if last < wanted_end {
        let _ = write!(
            out,
            "(lines {start}-{last} of {total} shown; call read_file with start_line={} to read more)",
            last + 1
        );
    } else if start > 1 || wanted_end < total {
        let _ = write!(out, "(lines {start}-{last} of {total})");
    }
    ToolOutput::ok(out)
}

/// Lists workspace files, honouring .gitignore.
pub struct ListFiles;

impl Tool for ListFiles {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_files".into(),
            description: format!(
                "List the files of the workspace (or of a directory in it), .gitignore honoured, optionally only those matching a glob such as `**/*.rs`. At most {LIST_LIMIT} paths."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "directory relative to the workspace root (default: the root)"},
                    "glob": {"type": "string"}
                }
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Read
    }

    fn summary(&self, args: &Value) -> String {
        let path = args.get("path").and_then(Value::as_str).unwrap_or(".");
        match args.get("glob").and_then(Value::as_str) {
            Some(g) => format!("{path} {g}"),
            None => path.to_string(),
        }
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        Box::pin(async move {
            let dir = args.get("path").and_then(Value::as_str).unwrap_or(".");
            let rel = match ctx.workspace.relative(dir) {
                Ok(r) => r,
                Err(e) => return ToolOutput::error(e),
            };
            let glob = args.get("glob").and_then(Value::as_str).map(str::to_string);
            let root = ctx.workspace.root().to_path_buf();
            let walk = tokio::task::spawn_blocking(move || list(&root, &rel, glob.as_deref()));
            match walk.await {
                Ok(out) => out,
                Err(e) => ToolOutput::error(format!("list_files failed: {e}")),
            }
        })
    }
}

/// A .gitignore-aware walk of `sub` under `root` (hidden files included, `.git`
/// skipped), and the matcher of `glob` (against paths relative to the root) when given.
/// A glob filters; it never brings back an ignored file.
pub(crate) fn walker(
    root: &std::path::Path,
    sub: &std::path::Path,
    glob: Option<&str>,
) -> Result<(ignore::WalkBuilder, Option<globset::GlobMatcher>), String> {
    let mut builder = ignore::WalkBuilder::new(root.join(sub));
    builder.hidden(false).require_git(false);
    builder.filter_entry(|e| e.file_name() != ".git");
    let matcher = match glob {
        Some(g) => Some(
            globset::Glob::new(g)
                .map_err(|e| format!("bad glob {g}: {e}"))?
                .compile_matcher(),
        ),
        None => None,
    };
    Ok((builder, matcher))
}

fn list(root: &std::path::Path, rel: &std::path::Path, glob: Option<&str>) -> ToolOutput {
    let (builder, matcher) = match walker(root, rel, glob) {
        Ok(w) => w,
        Err(e) => return ToolOutput::error(e),
    };
    let mut paths = Vec::new();
    let mut count = 0usize;
    for entry in builder.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(p) = entry.path().strip_prefix(root) else {
            continue;
        };
        if matcher.as_ref().is_some_and(|m| !m.is_match(p)) {
            continue;
        }
        count += 1;
        if paths.len() < LIST_LIMIT {
            paths.push(p.display().to_string());
        }
    }
    paths.sort();
    let mut out = paths.join("\n");
    if count > paths.len() {
        let _ = write!(
            out,
            "\n({} of {count} files shown; narrow with path or glob)",
            paths.len()
        );
    } else if count == 0 {
        out = "(no files)".into();
    }
    ToolOutput::ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testing::context;
    use super::*;

    #[test]
    fn long_files_come_in_pages_with_a_note_on_reading_more() {
        let text: String = (1..=1000).map(|n| format!("line {n}\n")).collect();
        let page = read_page(&text, None, None);
        assert!(page.content.contains("   400\tline 400"));
        assert!(!page.content.contains("line 401"));
        assert!(page.content.contains("start_line=401"));
        let range = read_page(&text, Some(10), Some(12));
        assert!(range.content.starts_with("    10\tline 10\n"));
        assert!(range.content.ends_with("(lines 10-12 of 1000)"));
        assert!(read_page(&text, Some(2000), None).is_error);
    }

    #[tokio::test]
    async fn list_files_honours_gitignore_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "").unwrap();
        std::fs::write(dir.path().join("README.md"), "").unwrap();
        std::fs::write(dir.path().join("target/x.rs"), "").unwrap();
        let ctx = context(dir.path());
        let all = ListFiles.run(json!({}), ctx.clone()).await;
        assert!(all.content.contains("src/a.rs") && all.content.contains("README.md"));
        assert!(!all.content.contains("target"), "{}", all.content);
        let rs = ListFiles.run(json!({"glob": "**/*.rs"}), ctx.clone()).await;
        assert_eq!(rs.content, "src/a.rs");
        let out = ReadFile.run(json!({"path": "../etc"}), ctx).await;
        assert!(out.is_error);
    }
}
