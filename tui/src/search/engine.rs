//! The search itself, on the standard library and the `regex`, `memchr` and `ignore`
//! crates only: a regular expression over every file under a folder, with the
//! `.gitignore` / `.ignore` rules and hidden files skipped as ripgrep does, on the `ignore`
//! crate's parallel walker. Each file is read whole and searched as bytes; binary files (a
//! NUL in the first 8 KiB) are skipped; one hit per matching line. Hits are handed to a
//! sink file by file as they are found, and a cancel flag stops the walk at the next file.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use regex::bytes::{Regex, RegexBuilder};

/// The most hits one search reports.
pub const MAX_HITS: usize = 20_000;

/// Files larger than this are skipped (bytes).
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// The longest line text a hit keeps (bytes; longer lines are cut at a char boundary).
const MAX_LINE_TEXT: usize = 300;

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The file, relative to the searched folder.
    pub path: PathBuf,
    /// 0-based line.
    pub line: usize,
    /// Byte column of the match in the line.
    pub col: usize,
    /// The line's text (without its line break; cut when very long).
    pub text: String,
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Files searched.
    pub files: usize,
    /// Hits found (at most [`MAX_HITS`]).
    pub hits: usize,
    /// It stopped at [`MAX_HITS`].
    pub truncated: bool,
    /// It was cancelled.
    pub cancelled: bool,
}

/// The regex for what the user typed: smart case (case-insensitive unless the query
/// has an upper-case letter); a query that is not a valid regex is searched literally.
/// `None` for an empty query.
pub fn query_regex(query: &str) -> Option<(Regex, bool)> {
    if query.is_empty() {
        return None;
    }
    let insensitive = !query.chars().any(char::is_uppercase);
    let build = |pattern: &str| {
        RegexBuilder::new(pattern)
            .case_insensitive(insensitive)
            .multi_line(true)
            .build()
    };
    match build(query) {
        Ok(re) => Some((re, false)),
        Err(_) => build(&regex::escape(query)).ok().map(|re| (re, true)),
    }
}

/// Searches every file under `root` for `re`, calling `sink` with each file's hits
/// (from several threads); stops early when `cancel` is set.
pub fn search(
    root: &Path,
    re: &Regex,
    cancel: &AtomicBool,
    sink: &(dyn Fn(Vec<Hit>) + Sync),
) -> Summary {
    let files = AtomicUsize::new(0);
    let hits = AtomicUsize::new(0);
    let full = AtomicBool::new(false);
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .threads(
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
        )
        .build_parallel();
    walker.run(|| {
        let (files, hits, full) = (&files, &hits, &full);
        Box::new(move |entry| {
            use ignore::WalkState;
            if cancel.load(Ordering::Relaxed) || full.load(Ordering::Relaxed) {
                return WalkState::Quit;
            }
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            if entry.metadata().is_ok_and(|m| m.len() > MAX_FILE_SIZE) {
                return WalkState::Continue;
            }
            let Ok(bytes) = std::fs::read(entry.path()) else {
                return WalkState::Continue;
            };
            files.fetch_add(1, Ordering::Relaxed);
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_path_buf();
            let found = search_bytes(&rel, &bytes, re, cancel);
            if found.is_empty() {
                return WalkState::Continue;
            }
            let before = hits.fetch_add(found.len(), Ordering::Relaxed);
            let room = MAX_HITS.saturating_sub(before);
            let mut found = found;
            if found.len() >= room {
                found.truncate(room);
                full.store(true, Ordering::Relaxed);
            }
            if !found.is_empty() {
                sink(found);
            }
            WalkState::Continue
        })
    });
    let total = hits.load(Ordering::Relaxed);
    Summary {
        files: files.load(Ordering::Relaxed),
        hits: total.min(MAX_HITS),
        truncated: full.load(Ordering::Relaxed),
        cancelled: cancel.load(Ordering::Relaxed),
    }
}

/// The hits of `re` in one file's bytes (none for a binary file).
pub fn search_bytes(path: &Path, bytes: &[u8], re: &Regex, cancel: &AtomicBool) -> Vec<Hit> {
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut line = 0;
    let mut counted_to = 0;
    let mut from = 0;
    while from <= bytes.len() {
        let Some(m) = re.find_at(bytes, from) else {
            break;
        };
        let start = m.start();
        let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        line += memchr::memchr_iter(b'\n', &bytes[counted_to..line_start]).count();
        counted_to = line_start;
        let mut text_end = line_end.min(line_start + MAX_LINE_TEXT);
        let raw = &bytes[line_start..line_end];
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        text_end = text_end.min(line_start + raw.len());
        let text = String::from_utf8_lossy(&bytes[line_start..text_end]).into_owned();
        out.push(Hit {
            path: path.to_path_buf(),
            line,
            col: start - line_start,
            text,
        });
        // one hit per line: go on after this line
        from = line_end + 1;
        if out.len() % 1024 == 0 && cancel.load(Ordering::Relaxed) {
            break;
        }
        if out.len() >= MAX_HITS {
            break;
        }
    }
    out
}

/// `symphony search PATTERN DIR`: prints each hit as `path:line:column:text` (1-based
/// line and column) on stdout; exit status 0 with hits, 1 without, 2 for a bad folder.
pub fn print_search(pattern: &str, dir: &Path) -> u8 {
    use std::io::Write;
    if !dir.is_dir() {
        eprintln!("symphony search: {} is not a folder", dir.display());
        return 2;
    }
    let Some((re, _)) = query_regex(pattern) else {
        eprintln!("symphony search: give a pattern");
        return 2;
    };
    let out = std::sync::Mutex::new(std::io::BufWriter::with_capacity(
        1 << 16,
        std::io::stdout(),
    ));
    let sink = |hits: Vec<Hit>| {
        let mut text = String::new();
        for h in hits {
            use std::fmt::Write as _;
            let _ = writeln!(
                text,
                "{}:{}:{}:{}",
                dir.join(&h.path).display(),
                h.line + 1,
                h.col + 1,
                h.text
            );
        }
        if let Ok(mut o) = out.lock() {
            let _ = o.write_all(text.as_bytes());
        }
    };
    let summary = search(dir, &re, &AtomicBool::new(false), &sink);
    if let Ok(mut o) = out.lock() {
        let _ = o.flush();
    }
    if summary.truncated {
        eprintln!("symphony search: stopped after {MAX_HITS} matches");
    }
    u8::from(summary.hits == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn run(root: &Path, query: &str) -> (Vec<Hit>, Summary) {
        let (re, _) = query_regex(query).unwrap();
        let got = Mutex::new(Vec::new());
        let sink = |h: Vec<Hit>| got.lock().unwrap().extend(h);
        let summary = search(root, &re, &AtomicBool::new(false), &sink);
        let mut hits = got.into_inner().unwrap();
        hits.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        (hits, summary)
    }

    #[test]
    fn finds_lines_under_the_folder_honouring_gitignore_and_skipping_binaries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join(".git")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(
            root.join("src/a.rs"),
            "fn main() {\n    let total = 1;\n}\nTOTAL\n",
        )
        .unwrap();
        std::fs::write(root.join("target/junk.rs"), "let total = 2;\n").unwrap();
        std::fs::write(root.join("bin.dat"), b"total\0\x01").unwrap();
        std::fs::write(root.join(".hidden"), "total\n").unwrap();
        let (hits, summary) = run(root, "total");
        assert_eq!(
            hits,
            vec![
                Hit {
                    path: "src/a.rs".into(),
                    line: 1,
                    col: 8,
                    text: "    let total = 1;".into()
                },
                Hit {
                    path: "src/a.rs".into(),
                    line: 3,
                    col: 0,
                    text: "TOTAL".into()
                },
            ]
        );
        assert_eq!(summary.hits, 2);
        assert!(!summary.truncated && !summary.cancelled);
        // an upper-case letter makes it case-sensitive; a regex works
        let (hits, _) = run(root, "TOTAL");
        assert_eq!(hits.len(), 1);
        let (hits, _) = run(root, r"let \w+ = \d");
        assert_eq!(hits[0].line, 1);
    }

    #[test]
    fn an_invalid_regex_is_searched_literally() {
        let (re, literal) = query_regex("f(").unwrap();
        assert!(literal);
        let hits = search_bytes(Path::new("x"), b"a\nf(x)\n", &re, &AtomicBool::new(false));
        assert_eq!((hits[0].line, hits[0].col), (1, 0));
        assert!(query_regex("").is_none());
    }

    #[test]
    fn one_hit_per_line_with_crlf_and_no_trailing_newline() {
        let (re, _) = query_regex("a").unwrap();
        let hits = search_bytes(
            Path::new("x"),
            b"aaa\r\nb\r\nxa",
            &re,
            &AtomicBool::new(false),
        );
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].text, "aaa");
        assert_eq!(
            (hits[1].line, hits[1].col, hits[1].text.as_str()),
            (2, 1, "xa")
        );
    }

    #[test]
    fn a_cancelled_search_stops() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..50 {
            std::fs::write(dir.path().join(format!("f{i}.txt")), "needle\n").unwrap();
        }
        let (re, _) = query_regex("needle").unwrap();
        let cancel = AtomicBool::new(true);
        let summary = search(dir.path(), &re, &cancel, &|_| {});
        assert!(summary.cancelled);
        assert_eq!(summary.hits, 0);
    }
}
