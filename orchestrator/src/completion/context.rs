//! The context a completion request carries: the text before the cursor (prefix lines
//! and the cursor's line up to the cursor), the text after it, and chunks of recently
//! edited files; cut to the configured line counts and to a byte budget.

use serde::Serialize;

use super::config::CompletionConfig;

/// A chunk of another (recently edited) file, sent as extra context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ExtraChunk {
    /// The file's name as shown to the model.
    pub filename: String,
    /// Its lines, joined with `\n`.
    pub text: String,
}

/// What is sent around the cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FimContext {
    /// The lines before the cursor's line, each ending in `\n`.
    pub prefix: String,
    /// The cursor's line up to the cursor.
    pub middle: String,
    /// The cursor's line after the cursor, then `\n` and the following lines.
    pub suffix: String,
    /// Chunks of other files, most recent first.
    pub extra: Vec<ExtraChunk>,
    /// Leading whitespace columns of the cursor's line (llama.cpp's `n_indent`).
    pub indent: usize,
}

/// Bytes of a request body that are not context (field names, numbers, samplers).
pub const BODY_OVERHEAD: usize = 640;

impl FimContext {
    /// The context around (`line`, byte `col`) of a document whose lines `line_at`
    /// gives (without their `\n`), cut to `config`'s line counts and byte budget.
    pub fn around(
        line_at: impl Fn(usize) -> Option<String>,
        line: usize,
        col: usize,
        extra: Vec<ExtraChunk>,
        config: &CompletionConfig,
    ) -> Self {
        let current = line_at(line).unwrap_or_default();
        let mut col = col.min(current.len());
        while !current.is_char_boundary(col) {
            col -= 1;
        }
        let mut prefix = String::new();
        for l in line.saturating_sub(config.prefix_lines)..line {
            prefix.push_str(&line_at(l).unwrap_or_default());
            prefix.push('\n');
        }
        let mut suffix = current[col..].to_string();
        for l in line + 1..=line + config.suffix_lines {
            let Some(text) = line_at(l) else { break };
            suffix.push('\n');
            suffix.push_str(&text);
        }
        let indent = current
            .chars()
            .take_while(|c| c.is_whitespace())
            .map(|c| if c == '\t' { 4 } else { 1 })
            .sum();
        let mut ctx = FimContext {
            prefix,
            middle: current[..col].to_string(),
            suffix,
            extra: extra.into_iter().take(config.extra_chunks).collect(),
            indent,
        };
        ctx.fit(config.max_request_bytes.saturating_sub(BODY_OVERHEAD));
        ctx
    }

    /// Bytes the context takes in a JSON body (escaped).
    pub fn json_len(&self) -> usize {
        let extra: usize = self
            .extra
            .iter()
            .map(|c| escaped(&c.filename) + escaped(&c.text) + 24)
            .sum();
        escaped(&self.prefix) + escaped(&self.middle) + escaped(&self.suffix) + extra
    }

    /// Drops context until it fits `budget` bytes: the oldest extra chunks first, then
    /// prefix lines from the top and suffix lines from the bottom (the prefix kept up
    /// to twice as long as the suffix), then the start of the cursor's line.
    pub fn fit(&mut self, budget: usize) {
        while self.json_len() > budget {
            if self.extra.pop().is_some() {
                continue;
            }
            // The prefix is worth twice the suffix: it goes first only while it is
            // more than twice as long.
            let suffix_first = self.suffix.len() * 2 > self.prefix.len();
            if !self.prefix.is_empty() && !suffix_first {
                match self.prefix.find('\n') {
                    Some(i) => self.prefix.drain(..=i),
                    None => self.prefix.drain(..),
                };
                continue;
            }
            if !self.suffix.is_empty() {
                match self.suffix.rfind('\n') {
                    Some(i) => self.suffix.truncate(i),
                    None => self.suffix.clear(),
                }
                continue;
            }
            if self.middle.is_empty() {
                return;
            }
            let mut cut = self.middle.len() / 2;
            while !self.middle.is_char_boundary(cut) {
                cut += 1;
            }
            self.middle.drain(..cut.max(1).min(self.middle.len()));
        }
    }

    /// Everything before the cursor.
    pub fn before(&self) -> String {
        format!("{}{}", self.prefix, self.middle)
    }
}

fn escaped(s: &str) -> usize {
    serde_json::to_string(s).map_or(s.len() * 6, |j| j.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("line {i}")).collect()
    }

    #[test]
    fn the_cursor_splits_its_line_and_line_counts_are_kept() {
        let d = doc(100);
        let config = CompletionConfig {
            prefix_lines: 2,
            suffix_lines: 1,
            ..Default::default()
        };
        let ctx = FimContext::around(|i| d.get(i).cloned(), 50, 4, Vec::new(), &config);
        assert_eq!(ctx.prefix, "line 48\nline 49\n");
        assert_eq!(ctx.middle, "line");
        assert_eq!(ctx.suffix, " 50\nline 51");
    }

    #[test]
    fn a_small_budget_drops_extra_then_far_lines_first() {
        let d = doc(100);
        let extra = vec![ExtraChunk {
            filename: "b.rs".into(),
            text: "x".repeat(400),
        }];
        let config = CompletionConfig {
            max_request_bytes: BODY_OVERHEAD + 60,
            ..Default::default()
        };
        let ctx = FimContext::around(|i| d.get(i).cloned(), 50, 7, extra, &config);
        assert!(ctx.extra.is_empty());
        assert!(ctx.json_len() <= 60, "{ctx:?}");
        assert!(ctx.prefix.ends_with("line 49\n"), "{ctx:?}");
        assert_eq!(ctx.middle, "line 50");
    }

    #[test]
    fn a_cursor_inside_a_wide_character_moves_to_its_start() {
        let ctx = FimContext::around(
            |i| (i == 0).then(|| "a漢b".to_string()),
            0,
            2,
            Vec::new(),
            &CompletionConfig::default(),
        );
        assert_eq!(ctx.middle, "a");
        assert_eq!(ctx.suffix, "漢b");
    }
}
