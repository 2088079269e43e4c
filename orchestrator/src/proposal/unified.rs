//! A unified diff (`--- a/x`, `+++ b/x`, `@@ -l,n +l,n @@` sections) turned into a proposal:
//! each section is located in the buffer by its context and removed lines, near the line
//! its header names, with fuzz (trailing whitespace ignored, then up to two context lines
//! dropped at each end, as `patch` does), then split into line-granular hunks.

use super::diff::line_hunks;
use super::{Hunk, Proposal, ProposalError, Result};
use crate::command::EditorContext;

/// Most context lines dropped at each end of a section when it does not match as given.
const MAX_FUZZ: usize = 2;

/// One `@@` section of the diff.
#[derive(Debug, Default)]
struct Section {
    /// 1-based old start line from the header.
    old_start: usize,
    /// Old (context and removed) lines the header announced and not seen yet.
    old_left: usize,
    /// New (context and added) lines the header announced and not seen yet.
    new_left: usize,
    /// The section's lines without line breaks, tagged `' '` (context), `'-'` or `'+'`.
    lines: Vec<(char, String)>,
    /// Leading context lines (before the first change).
    lead: usize,
    /// Trailing context lines (after the last change).
    trail: usize,
    /// The old side's last line has no line break (`\ No newline at end of file`).
    old_no_eol: bool,
    /// The new side's last line has no line break.
    new_no_eol: bool,
}

/// A proposal from a unified diff of the buffer `ctx.file_text` (file headers are ignored:
/// the diff is taken to be about this buffer). Sections are located by their context and
/// removed lines, searched outward from the header's line, with fuzz; each section becomes
/// the line-granular hunks of its change.
///
/// ```
/// use symphony_conductor::command::EditorContext;
/// use symphony_conductor::proposal::{apply_hunks, from_unified_diff};
/// let ctx = EditorContext { file_text: "one\ntwo\nthree\nfour\n".into(), ..Default::default() };
/// let diff = "--- a/f\n+++ b/f\n@@ -2,2 +2,2 @@\n two\n-three\n+THREE\n";
/// let p = from_unified_diff(&ctx, diff).unwrap();
/// assert_eq!(apply_hunks(&ctx.file_text, &p.hunks, |_| true), "one\ntwo\nTHREE\nfour\n");
/// ```
pub fn from_unified_diff(ctx: &EditorContext, diff_text: &str) -> Result<Proposal> {
    let sections = parse(diff_text)?;
    let text = ctx.file_text.as_str();
    let lines = Lines::new(text);
    let mut located: Vec<(usize, usize, usize, String)> = Vec::new(); // (section, start, end, new)
    let mut shift: isize = 0;
    for (i, s) in sections.iter().enumerate() {
        let (start, end, new_text, found) =
            locate(&lines, text, s, shift).ok_or(ProposalError::NoMatch {
                hunk: i,
                line: s.old_start,
            })?;
        shift = found as isize - s.expected_line() as isize;
        located.push((i, start, end, new_text));
    }
    located.sort_by_key(|l| (l.1, l.2));
    for pair in located.windows(2) {
        if pair[1].1 < pair[0].2 {
            return Err(ProposalError::Overlapping {
                first: pair[0].0.min(pair[1].0),
                second: pair[0].0.max(pair[1].0),
            });
        }
    }
    let mut hunks: Vec<Hunk> = Vec::new();
    for (_, start, end, new_text) in located {
        for mut h in line_hunks(text, start, end, &new_text) {
            h.index = hunks.len();
            hunks.push(h);
        }
    }
    Ok(Proposal {
        id: uuid::Uuid::new_v4().to_string(),
        buffer: ctx.buffer.clone(),
        path: ctx.path.clone(),
        base_revision: ctx.revision,
        hunks,
    })
}

/// Parses the `@@` sections of a unified diff.
fn parse(diff_text: &str) -> Result<Vec<Section>> {
    let mut sections: Vec<Section> = Vec::new();
    let mut cur: Option<Section> = None;
    let mut last_side = ' ';
    // whether the current section has seen a change yet
    let mut changed = false;
    for (n, raw) in diff_text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix("@@") {
            if let Some(s) = cur.take() {
                sections.push(s);
            }
            let (old_start, old_left, new_left) =
                parse_header(rest).ok_or_else(|| ProposalError::Malformed {
                    line: n + 1,
                    reason: format!("bad hunk header {line:?}"),
                })?;
            cur = Some(Section {
                old_start,
                old_left,
                new_left,
                ..Default::default()
            });
            changed = false;
            continue;
        }
        let Some(s) = cur.as_mut() else {
            // file headers, `diff --git`, `index`, prose before the first section
            continue;
        };
        if line.starts_with("--- ") || line.starts_with("+++ ") || line.starts_with("diff ") {
            sections.extend(cur.take());
            continue;
        }
        let complete = s.old_left == 0 && s.new_left == 0;
        let (tag, body) = match line.chars().next() {
            Some(c @ (' ' | '-' | '+' | '\\')) => (c, &line[1..]),
            // after all the lines the header announced: prose after the diff
            _ if complete => {
                sections.extend(cur.take());
                continue;
            }
            // an empty line inside a section: a context line whose space was trimmed
            None => (' ', ""),
            Some(_) => {
                return Err(ProposalError::Malformed {
                    line: n + 1,
                    reason: format!("expected ' ', '-', '+' or '\\\\' at the start of {line:?}"),
                });
            }
        };
        if tag == ' ' || tag == '-' {
            s.old_left = s.old_left.saturating_sub(1);
        }
        if tag == ' ' || tag == '+' {
            s.new_left = s.new_left.saturating_sub(1);
        }
        match tag {
            ' ' => {
                s.lines.push((' ', body.to_owned()));
                if changed {
                    s.trail += 1;
                } else {
                    s.lead += 1;
                }
            }
            '-' => {
                s.lines.push(('-', body.to_owned()));
                changed = true;
                s.trail = 0;
            }
            '+' => {
                s.lines.push(('+', body.to_owned()));
                changed = true;
                s.trail = 0;
            }
            _ => match last_side {
                '-' => s.old_no_eol = true,
                '+' => s.new_no_eol = true,
                _ => {
                    s.old_no_eol = true;
                    s.new_no_eol = true;
                }
            },
        }
        if tag != '\\' {
            last_side = tag;
        }
    }
    sections.extend(cur);
    if sections.is_empty() {
        return Err(ProposalError::NoHunks);
    }
    Ok(sections)
}

/// `(old start, old count, new count)` of `@@ -l,n +l,m @@` (the part after the first
/// `@@`); a missing count is 1.
fn parse_header(rest: &str) -> Option<(usize, usize, usize)> {
    let mut words = rest.split_whitespace();
    let range = |w: Option<&str>, sign: char| -> Option<(usize, usize)> {
        let w = w?.strip_prefix(sign)?;
        let mut parts = w.split(',');
        let start = parts.next()?.parse().ok()?;
        let count = parts.next().map_or(Some(1), |c| c.parse().ok())?;
        Some((start, count))
    };
    let (old_start, old_count) = range(words.next(), '-')?;
    let (_, new_count) = range(words.next(), '+')?;
    Some((old_start, old_count, new_count))
}

/// The buffer's lines as byte ranges.
struct Lines<'a> {
    text: &'a str,
    /// `(start, end without the line break, end with it)` of each line.
    spans: Vec<(usize, usize, usize)>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut spans = Vec::new();
        let mut at = 0;
        for l in text.split_inclusive('\n') {
            let body = l.strip_suffix('\n').unwrap_or(l);
            let body = body.strip_suffix('\r').unwrap_or(body);
            spans.push((at, at + body.len(), at + l.len()));
            at += l.len();
        }
        Lines { text, spans }
    }

    fn body(&self, i: usize) -> &str {
        let (s, e, _) = self.spans[i];
        &self.text[s..e]
    }

    fn start_of(&self, i: usize) -> usize {
        self.spans.get(i).map_or(self.text.len(), |s| s.0)
    }

    /// Whether `block` matches the lines from `at`.
    fn matches(&self, at: usize, block: &[String], loose: bool) -> bool {
        at + block.len() <= self.spans.len()
            && block.iter().enumerate().all(|(k, b)| {
                let l = self.body(at + k);
                if loose {
                    l.trim_end() == b.trim_end()
                } else {
                    l == b
                }
            })
    }

    /// The line nearest `want` where `block` matches.
    fn find(&self, block: &[String], want: usize, loose: bool) -> Option<usize> {
        let n = self.spans.len();
        if block.is_empty() {
            return Some(want.min(n));
        }
        let last = n.checked_sub(block.len())?;
        let want = want.min(last);
        (0..=last.max(want)).find_map(|d| {
            let below = want + d;
            if below <= last && self.matches(below, block, loose) {
                return Some(below);
            }
            let above = want.checked_sub(d)?;
            self.matches(above, block, loose).then_some(above)
        })
    }
}

impl Section {
    /// The 0-based buffer line the header says the section's old lines start at (`-l,0`
    /// names the line after which lines are inserted, so that is the line before `l`).
    fn expected_line(&self) -> usize {
        if self.lines.iter().any(|(t, _)| *t != '+') {
            self.old_start.saturating_sub(1)
        } else {
            self.old_start
        }
    }
}

/// Where section `s` applies: `(start, end, replacement, line)` in bytes of `text`, `line`
/// being where its untrimmed old lines would start (to shift the next sections).
fn locate(
    lines: &Lines,
    text: &str,
    s: &Section,
    shift: isize,
) -> Option<(usize, usize, String, usize)> {
    let want = (s.expected_line() as isize + shift).max(0) as usize;
    for fuzz in 0..=MAX_FUZZ {
        let (lead, trail) = (fuzz.min(s.lead), fuzz.min(s.trail));
        if fuzz > 0 && lead < fuzz && trail < fuzz {
            break;
        }
        // leading and trailing context lines dropped by the fuzz
        let body = &s.lines[lead..s.lines.len() - trail];
        let old: Vec<String> = body
            .iter()
            .filter(|(t, _)| *t != '+')
            .map(|(_, l)| l.clone())
            .collect();
        for loose in [false, true] {
            let Some(at) = lines.find(&old, want + lead, loose) else {
                continue;
            };
            let start = lines.start_of(at);
            let end = if old.is_empty() {
                start
            } else {
                lines.spans[at + old.len() - 1].2
            };
            // context lines keep the buffer's own text; the replacement keeps its line
            // breaks, and its open last line unless the diff adds (or removes) the newline
            let eol = if text[..end].ends_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            let open_end = end == text.len() && end > start && !text.ends_with('\n');
            let adds_newline = trail == 0 && s.old_no_eol && !s.new_no_eol;
            let drops_newline = trail == 0 && s.new_no_eol;
            let mut new_text = String::new();
            let mut old_line = at;
            let mut any_new = false;
            for (tag, l) in body {
                match tag {
                    ' ' => {
                        new_text.push_str(lines.body(old_line));
                        old_line += 1;
                    }
                    '-' => {
                        old_line += 1;
                        continue;
                    }
                    _ => new_text.push_str(l),
                }
                new_text.push_str(eol);
                any_new = true;
            }
            if any_new && ((open_end && !adds_newline) || drops_newline) {
                new_text.truncate(new_text.len() - eol.len());
            }
            return Some((start, end, new_text, at.saturating_sub(lead)));
        }
    }
    None
}
