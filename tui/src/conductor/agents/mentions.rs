//! @-mentions in the agent prompt: the tokens the user typed (`@path`, `@selection`,
//! `@diagnostics`, `@diagnostics:workspace`), their completion (Tab on a word that
//! starts with `@`: fuzzy over the workspace's files as the file picker lists them,
//! .gitignore honoured) and the labels listed above the prompt.

use std::path::{Path, PathBuf};

use crate::overlays::pickers::fuzzy_filter;

/// The mentions that are not files.
pub const SPECIAL: &[&str] = &["selection", "diagnostics", "diagnostics:workspace"];

/// How many completions the line above the prompt shows.
pub const SHOWN: usize = 5;

/// One @-mention as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    /// `@path/to/file` (relative to the workspace, or absolute).
    File(PathBuf),
    /// `@selection`.
    Selection,
    /// `@diagnostics` (the current file) or `@diagnostics:workspace`.
    Diagnostics {
        /// Of every open file rather than the current one.
        workspace: bool,
    },
}

/// The mentions in `text`, in order, each once; `@word` that names no file of the
/// workspace under `root` (and is no special mention) is left as text.
pub fn parse(text: &str, root: &Path) -> Vec<Mention> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let Some(name) = word.strip_prefix('@') else {
            continue;
        };
        let name = name.trim_end_matches([',', '.', ';', ':', ')', '?', '!']);
        let m = match name {
            "" => continue,
            "selection" => Mention::Selection,
            "diagnostics" => Mention::Diagnostics { workspace: false },
            "diagnostics:workspace" => Mention::Diagnostics { workspace: true },
            path => {
                let p = Path::new(path);
                let full = if p.is_absolute() {
                    p.to_owned()
                } else {
                    root.join(p)
                };
                if !full.is_file() {
                    continue;
                }
                Mention::File(full)
            }
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

/// The `@` word the cursor (a byte offset) is in or right after: its start and text
/// (without the `@`).
pub fn word_at(text: &str, cursor: usize) -> Option<(usize, &str)> {
    let cursor = cursor.min(text.len());
    let before = text.get(..cursor)?;
    let start = before.rfind(char::is_whitespace).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let end = text[cursor..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| cursor + i);
    let word = &text[start..end];
    word.strip_prefix('@').map(|w| (start, w))
}

/// Completions of the partial mention `partial`: the special mentions that start with
/// it, then the workspace files that match it (fuzzy), best first.
pub fn complete(partial: &str, files: &[String]) -> Vec<String> {
    let mut out: Vec<String> = SPECIAL
        .iter()
        .filter(|s| s.starts_with(partial) && **s != partial)
        .map(|s| (*s).to_owned())
        .collect();
    for i in fuzzy_filter(partial, files, true).into_iter().take(50) {
        out.push(files[i].clone());
    }
    out
}

/// Replaces the mention word at `start` in `text` with `@choice ` and returns the new
/// text and cursor.
pub fn replace_word(text: &str, start: usize, choice: &str) -> (String, usize) {
    let end = text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| start + i);
    let inserted = format!("@{choice} ");
    let rest = text[end..].trim_start();
    let out = format!("{}{inserted}{rest}", &text[..start]);
    (out, start + inserted.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_files_of_the_workspace_or_the_special_words() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "fn a() {}\n").unwrap();
        let got = parse(
            "rename a in @src/a.rs, see @selection and @diagnostics:workspace; mail me@home @nope.rs",
            dir.path(),
        );
        assert_eq!(
            got,
            vec![
                Mention::File(dir.path().join("src/a.rs")),
                Mention::Selection,
                Mention::Diagnostics { workspace: true },
            ]
        );
    }

    #[test]
    fn the_word_at_the_cursor_completes_to_files_and_special_mentions() {
        let text = "fix @sel then";
        let (start, word) = word_at(text, 8).unwrap();
        assert_eq!((start, word), (4, "sel"));
        assert_eq!(word_at("fix it", 3), None);
        let files = vec!["src/selector.rs".to_owned(), "README.md".to_owned()];
        let got = complete(word, &files);
        assert_eq!(got[0], "selection");
        assert!(got.contains(&"src/selector.rs".to_owned()));
        assert!(!got.contains(&"README.md".to_owned()));
        let (new, cursor) = replace_word(text, start, "selection");
        assert_eq!(new, "fix @selection then");
        assert_eq!(&new[..cursor], "fix @selection ");
    }
}
