//! Cheap identity of the text a journal's edits apply to.
//!
//! Hashing a 100 MB file on every open would make opening slow, so the base is
//! identified by its length plus a hash of the whole text when it is small, or of
//! sampled windows (start, end and 64 evenly spaced 4 KiB windows) when it is big.
//! The hash is independent of how the rope is cut into leaves.

use serde::{Deserialize, Serialize};
use xi_rope::Rope;

/// Texts up to this size are hashed whole.
const FULL_HASH_LIMIT: usize = 1 << 20;
/// Size of each sampled window.
const WINDOW: usize = 4096;
/// Number of evenly spaced windows (the first and the last included).
const WINDOWS: usize = 64;

/// Length and sampled hash of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseId {
    /// Length of the LF-normalized text in bytes.
    pub len: usize,
    /// Hash of the sampled bytes.
    pub sample: u64,
}

impl BaseId {
    /// Identifies `text`, reading at most about 260 KiB of it when it is big.
    pub fn of(text: &Rope) -> Self {
        let len = text.len();
        let mut h = WordHasher::new();
        h.write_u64(len as u64);
        if len <= FULL_HASH_LIMIT {
            hash_range(&mut h, text, 0, len);
        } else {
            let step = (len - WINDOW) / (WINDOWS - 1);
            for i in 0..WINDOWS {
                let start = i * step;
                hash_range(&mut h, text, start, start + WINDOW);
            }
        }
        BaseId {
            len,
            sample: h.finish(),
        }
    }
}

/// Feeds `text[start..end]`, widened to codepoint boundaries, into `h`.
fn hash_range(h: &mut WordHasher, text: &Rope, start: usize, end: usize) {
    let start = text.at_or_prev_codepoint_boundary(start).unwrap_or(0);
    let end = text
        .at_or_next_codepoint_boundary(end.min(text.len()))
        .unwrap_or(text.len());
    for chunk in text.iter_chunks(start..end) {
        h.write(chunk.as_bytes());
    }
}

/// FNV-1a over 8-byte words: fast, stable across Rust versions and processes.
struct WordHasher {
    state: u64,
    buf: [u8; 8],
    buf_len: usize,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl WordHasher {
    fn new() -> Self {
        WordHasher {
            state: FNV_OFFSET,
            buf: [0; 8],
            buf_len: 0,
        }
    }

    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(FNV_PRIME);
        self.state ^= self.state >> 29;
    }

    fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }

    fn write(&mut self, mut bytes: &[u8]) {
        if self.buf_len > 0 {
            let take = (8 - self.buf_len).min(bytes.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&bytes[..take]);
            self.buf_len += take;
            bytes = &bytes[take..];
            if self.buf_len < 8 {
                return;
            }
            let word = u64::from_le_bytes(self.buf);
            self.mix(word);
            self.buf_len = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.mix(u64::from_le_bytes(a));
        }
        let rest = words.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    fn finish(mut self) -> u64 {
        if self.buf_len > 0 {
            let mut a = [0u8; 8];
            a[..self.buf_len].copy_from_slice(&self.buf[..self.buf_len]);
            self.mix(u64::from_le_bytes(a) ^ ((self.buf_len as u64) << 59));
        }
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_whatever_the_leaf_layout() {
        let s = "line of text ✓\n".repeat(100_000);
        let a = Rope::from(&s);
        let mut b = Rope::from("");
        let lines: Vec<&str> = s.split_inclusive('\n').collect();
        for group in lines.chunks(333) {
            let at = b.len();
            b.edit(at..at, group.concat());
        }
        assert_eq!(String::from(&b), s);
        assert_eq!(BaseId::of(&a), BaseId::of(&b));
        let c = Rope::from(&s);
        assert_eq!(BaseId::of(&a), BaseId::of(&c));
    }

    #[test]
    fn small_changes_change_the_id() {
        let a = Rope::from("hello world\n");
        let b = Rope::from("hello World\n");
        assert_ne!(BaseId::of(&a), BaseId::of(&b));
        let big = "x".repeat(3 << 20);
        let mut changed = Rope::from(&big);
        changed.edit(0..1, "y");
        assert_ne!(BaseId::of(&Rope::from(&big)), BaseId::of(&changed));
    }
}
