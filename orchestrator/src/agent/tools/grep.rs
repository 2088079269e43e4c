//! grep: a regex search over the workspace's files in parallel, .gitignore honoured,
//! binary files skipped, results capped and counted. Files the run changed are
//! searched in their proposed text.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};

use super::{Access, Tool, ToolContext, ToolFuture, ToolOutput, str_arg};
use crate::instrument::ToolSpec;

/// Matching lines grep returns at most.
pub const GREP_LIMIT: usize = 200;
/// Characters of a matching line shown at most.
const LINE_LIMIT: usize = 300;

/// The grep tool.
pub struct Grep;

/// What a search found.
#[derive(Debug, Default)]
pub struct GrepResult {
    /// `(path, line number, line)`, sorted, at most the limit.
    pub hits: Vec<(PathBuf, usize, String)>,
    /// Every matching line, shown or not.
    pub total: usize,
    /// Files with a match.
    pub files: usize,
}

/// Searches `root` (or `sub` inside it) for `regex`, honouring .gitignore; `proposed`
/// texts replace what is on disk. Keeps at most `limit` hits and counts the rest.
pub fn search(
    root: &Path,
    sub: &Path,
    regex: &regex::Regex,
    glob: Option<&str>,
    proposed: &HashMap<PathBuf, String>,
    limit: usize,
) -> Result<GrepResult, String> {
    let (builder, matcher) = super::files::walker(root, sub, glob)?;
    let hits = Arc::new(Mutex::new(Vec::new()));
    let total = Arc::new(AtomicUsize::new(0));
    let files = Arc::new(AtomicUsize::new(0));
    builder.build_parallel().run(|| {
        let hits = hits.clone();
        let total = total.clone();
        let files = files.clone();
        let regex = regex.clone();
        let matcher = matcher.clone();
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ignore::WalkState::Continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                return ignore::WalkState::Continue;
            };
            if matcher.as_ref().is_some_and(|m| !m.is_match(rel)) {
                return ignore::WalkState::Continue;
            }
            let owned;
            let text: &str = match proposed.get(rel) {
                Some(t) => t,
                None => {
                    let Ok(bytes) = std::fs::read(entry.path()) else {
                        return ignore::WalkState::Continue;
                    };
                    if bytes[..bytes.len().min(8192)].contains(&0) {
                        return ignore::WalkState::Continue;
                    }
                    owned = String::from_utf8_lossy(&bytes).into_owned();
                    &owned
                }
            };
            if !regex.is_match(text) {
                return ignore::WalkState::Continue;
            }
            let mut local = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if regex.is_match(line) {
                    local.push((rel.to_path_buf(), i + 1, cut(line)));
                }
            }
            if !local.is_empty() {
                files.fetch_add(1, Ordering::Relaxed);
                total.fetch_add(local.len(), Ordering::Relaxed);
                let mut hits = hits.lock();
                let room = limit.saturating_mul(4).saturating_sub(hits.len());
                hits.extend(local.into_iter().take(room));
            }
            ignore::WalkState::Continue
        })
    });
    let mut hits = std::mem::take(&mut *hits.lock());
    hits.sort();
    hits.truncate(limit);
    Ok(GrepResult {
        hits,
        total: total.load(Ordering::Relaxed),
        files: files.load(Ordering::Relaxed),
    })
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(LINE_LIMIT) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

impl Tool for Grep {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "grep".into(),
            description: format!(
                "Search the workspace's files for a regular expression (Rust regex syntax), .gitignore honoured. Returns `path:line: text`, at most {GREP_LIMIT} lines, with the total count."
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string"},
                    "path": {"type": "string", "description": "directory or file to search (default: the root)"},
                    "glob": {"type": "string", "description": "only files matching this glob, e.g. `*.rs`"},
                    "case_insensitive": {"type": "boolean"}
                },
                "required": ["pattern"]
            }),
        }
    }

    fn access(&self) -> Access {
        Access::Read
    }

    fn summary(&self, args: &Value) -> String {
        let pattern = args.get("pattern").and_then(Value::as_str).unwrap_or("?");
        match args.get("path").and_then(Value::as_str) {
            Some(p) => format!("{pattern} in {p}"),
            None => pattern.to_string(),
        }
    }

    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture {
        Box::pin(async move {
            let pattern = match str_arg(&args, "pattern") {
                Ok(p) => p,
                Err(e) => return e,
            };
            let insensitive = args
                .get("case_insensitive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let regex = match regex::RegexBuilder::new(pattern)
                .case_insensitive(insensitive)
                .build()
            {
                Ok(r) => r,
                Err(e) => return ToolOutput::error(format!("bad regular expression: {e}")),
            };
            let sub = match ctx
                .workspace
                .relative(args.get("path").and_then(Value::as_str).unwrap_or("."))
            {
                Ok(s) => s,
                Err(e) => return ToolOutput::error(e),
            };
            let glob = args.get("glob").and_then(Value::as_str).map(str::to_string);
            let proposed: HashMap<PathBuf, String> = ctx
                .changes
                .lock()
                .files()
                .map(|c| (c.path.clone(), c.after.clone()))
                .collect();
            let root = ctx.workspace.root().to_path_buf();
            let found = tokio::task::spawn_blocking(move || {
                search(&root, &sub, &regex, glob.as_deref(), &proposed, GREP_LIMIT)
            })
            .await;
            let found = match found {
                Ok(Ok(f)) => f,
                Ok(Err(e)) => return ToolOutput::error(e),
                Err(e) => return ToolOutput::error(format!("grep failed: {e}")),
            };
            if found.total == 0 {
                return ToolOutput::ok(format!("no match for {pattern}"));
            }
            let mut out = String::new();
            for (path, line, text) in &found.hits {
                let _ = writeln!(out, "{}:{line}: {text}", path.display());
            }
            let _ = write!(
                out,
                "({} matching lines in {} files",
                found.total, found.files
            );
            if found.total > found.hits.len() {
                let _ = write!(out, "; {} shown, narrow the search", found.hits.len());
            }
            out.push(')');
            ToolOutput::ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::context;
    use super::*;

    #[tokio::test]
    async fn grep_finds_lines_honours_gitignore_and_counts_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "ignored.rs\n").unwrap();
        std::fs::write(dir.path().join("a.rs"), "fn old_name() {}\nold_name();\n").unwrap();
        std::fs::write(dir.path().join("ignored.rs"), "old_name\n").unwrap();
        let many: String = (0..500).map(|_| "old_name\n").collect();
        std::fs::write(dir.path().join("many.txt"), many).unwrap();
        std::fs::write(dir.path().join("bin"), b"old_name\0\0").unwrap();
        let ctx = context(dir.path());
        let out = Grep
            .run(json!({"pattern": "old_na.e", "glob": "*.rs"}), ctx.clone())
            .await;
        assert_eq!(
            out.content,
            "a.rs:1: fn old_name() {}\na.rs:2: old_name();\n(2 matching lines in 1 files)"
        );
        let all = Grep.run(json!({"pattern": "old_name"}), ctx.clone()).await;
        assert!(
            all.content
                .ends_with("(502 matching lines in 2 files; 200 shown, narrow the search)"),
            "{}",
            all.content
        );
        let bad = Grep.run(json!({"pattern": "("}), ctx).await;
        assert!(bad.is_error && bad.content.contains("bad regular expression"));
    }
}
