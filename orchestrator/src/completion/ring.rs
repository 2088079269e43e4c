//! The ring of extra context chunks (llama.vim's `ring_chunks`): pieces of recently
//! edited or opened files, sent with each `/infill` request as `input_extra`. A new
//! chunk replaces any kept one that is mostly the same lines; the oldest goes first
//! when the ring is full; the ring never holds more than a configured number of bytes.

use std::collections::VecDeque;

use super::config::CompletionConfig;
use super::context::ExtraChunk;

/// Chunks whose lines are at least this similar (0..=1) count as the same.
pub const SAME_CHUNK: f64 = 0.9;

/// Recently seen chunks, the newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkRing {
    chunks: VecDeque<ExtraChunk>,
}

impl ChunkRing {
    /// Keeps the lines of `lines_at` around `line` (`extra_chunk_lines` of them, the
    /// line near the middle) of file `filename` as the newest chunk. Blank chunks are
    /// not kept; the ring keeps at most `extra_chunks` chunks and `max_request_bytes / 2`
    /// bytes of text.
    pub fn pick(
        &mut self,
        filename: &str,
        lines_at: impl Fn(usize) -> Option<String>,
        line: usize,
        config: &CompletionConfig,
    ) {
        let n = config.extra_chunk_lines.max(1);
        let first = line.saturating_sub(n / 2);
        let mut lines = Vec::with_capacity(n);
        for l in first..first + n {
            match lines_at(l) {
                Some(text) => lines.push(text),
                None => break,
            }
        }
        if lines.iter().all(|l| l.trim().is_empty()) {
            return;
        }
        let mut text = lines.join("\n");
        text.push('\n');
        self.push(
            ExtraChunk {
                filename: filename.to_string(),
                text,
            },
            config,
        );
    }

    /// Keeps `chunk` as the newest, dropping kept ones like it and what exceeds the
    /// bounds.
    pub fn push(&mut self, chunk: ExtraChunk, config: &CompletionConfig) {
        self.chunks
            .retain(|c| similarity(&c.text, &chunk.text) < SAME_CHUNK);
        self.chunks.push_front(chunk);
        self.chunks.truncate(config.extra_chunks);
        let budget = config.max_request_bytes / 2;
        while self.bytes() > budget && self.chunks.pop_back().is_some() {}
    }

    /// The chunks to send with a request in `filename`: the newest first, none of
    /// that file (its text around the cursor is sent as prefix and suffix).
    pub fn for_request(&self, filename: &str) -> Vec<ExtraChunk> {
        self.chunks
            .iter()
            .filter(|c| c.filename != filename)
            .cloned()
            .collect()
    }

    /// Bytes of text kept.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.text.len()).sum()
    }

    /// How many chunks are kept.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// How alike two chunks are: twice the lines they share over all their lines (llama.vim's
/// `chunk_sim`), 1.0 for the same text.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let total = la.len() + lb.len();
    if total == 0 {
        return 1.0;
    }
    let common = la.iter().filter(|l| lb.contains(l)).count();
    2.0 * common as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(chunks: usize, lines: usize) -> CompletionConfig {
        CompletionConfig {
            extra_chunks: chunks,
            extra_chunk_lines: lines,
            ..Default::default()
        }
    }

    fn file(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix} line {i}")).collect()
    }

    #[test]
    fn a_chunk_is_the_lines_around_the_cursor_and_the_same_place_is_kept_once() {
        let a = file("a", 100);
        let c = config(4, 4);
        let mut ring = ChunkRing::default();
        ring.pick("a.rs", |i| a.get(i).cloned(), 50, &c);
        ring.pick("a.rs", |i| a.get(i).cloned(), 50, &c);
        assert_eq!(ring.len(), 1);
        assert_eq!(
            ring.for_request("b.rs")[0].text,
            "a line 48\na line 49\na line 50\na line 51\n"
        );
        // Another place of the same file is another chunk.
        ring.pick("a.rs", |i| a.get(i).cloned(), 10, &c);
        assert_eq!(ring.len(), 2);
        assert!(
            ring.for_request("a.rs").is_empty(),
            "not of the file itself"
        );
    }

    #[test]
    fn the_ring_keeps_the_newest_within_its_count_and_bytes() {
        let c = config(2, 2);
        let mut ring = ChunkRing::default();
        for name in ["a", "b", "c"] {
            let f = file(name, 10);
            ring.pick(&format!("{name}.rs"), |i| f.get(i).cloned(), 0, &c);
        }
        let names: Vec<String> = ring
            .for_request("x.rs")
            .into_iter()
            .map(|c| c.filename)
            .collect();
        assert_eq!(names, vec!["c.rs".to_string(), "b.rs".to_string()]);
        let small = CompletionConfig {
            max_request_bytes: 40,
            ..config(4, 2)
        };
        let mut ring = ChunkRing::default();
        for name in ["a", "b"] {
            let f = file(name, 10);
            ring.pick(&format!("{name}.rs"), |i| f.get(i).cloned(), 0, &small);
        }
        assert!(ring.bytes() <= 20, "{ring:?}");
        assert_eq!(ring.for_request("x.rs")[0].filename, "b.rs");
    }

    #[test]
    fn blank_places_are_not_kept_and_similarity_counts_shared_lines() {
        let blank = vec![String::new(); 5];
        let mut ring = ChunkRing::default();
        ring.pick("a.rs", |i| blank.get(i).cloned(), 2, &config(4, 4));
        assert!(ring.is_empty());
        assert_eq!(similarity("a\nb\n", "a\nb\n"), 1.0);
        assert_eq!(similarity("a\nb\n", "a\nc\n"), 0.5);
    }
}
