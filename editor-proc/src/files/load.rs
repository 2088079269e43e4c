//! Streaming load: chunks of bytes -> validated UTF-8 -> LF-normalized rope leaves.
//!
//! The file is read in [`READ_CHUNK`]-sized pieces; a multi-byte character or a
//! `\r\n` pair cut by a chunk boundary is carried over to the next piece. Text is
//! cut into rope leaves the way xi-rope's own builder does (preferring a split
//! after a newline) and pushed with `TreeBuilder::push_leaves`, so the file is
//! never held twice in memory.

use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use memchr::{memchr, memchr2, memrchr};
use xi_rope::Rope;
use xi_rope::rope::RopeInfo;
use xi_rope::tree::TreeBuilder;

use super::format::{BOM, LineEndings, TextFormat};
use super::{FileError, Fingerprint, LineEnding, LoadedFile, Result};

/// How many bytes are read from the file at a time.
pub const READ_CHUNK: usize = 1 << 20;

/// A NUL byte within this many leading bytes marks a file as binary.
const BINARY_PROBE: u64 = 8 * 1024;

/// Smallest leaf xi-rope accepts inside a tree (mirrors `xi_rope::rope::MIN_LEAF`).
const MIN_LEAF: usize = 511;
/// Largest leaf xi-rope builds (mirrors `xi_rope::rope::MAX_LEAF`).
const MAX_LEAF: usize = 1024;
/// Normalized text is gathered up to this size before being cut into leaves.
const PENDING_FLUSH: usize = 64 * 1024;

/// Loads the file at `path` into an LF-normalized rope.
///
/// Returns `Ok(None)` when there is no such file (the editor opens an empty buffer
/// that a save creates). Binary files (a NUL byte in the first 8 KiB) and invalid
/// UTF-8 are refused with [`FileError::Binary`] / [`FileError::InvalidUtf8`].
/// Anything but a regular file (a directory, FIFO, socket or device) is refused with
/// [`FileError::NotAFile`] before it is opened, so nothing can block on it; the file
/// is opened non-blocking as a guard against it being swapped in between.
pub fn load(path: &Path) -> Result<Option<LoadedFile>> {
    load_reporting(path, &mut || {})
}

/// [`load`], calling `chunk_read` after every chunk read (to show progress).
pub(super) fn load_reporting(
    path: &Path,
    chunk_read: &mut dyn FnMut(),
) -> Result<Option<LoadedFile>> {
    let io_err = |source: io::Error| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let not_a_file = |meta: &std::fs::Metadata| FileError::NotAFile {
        path: path.to_path_buf(),
        kind: file_kind(meta),
    };
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(not_a_file(&meta)),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(e)),
    }
    let mut file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(e)),
    };
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    let fingerprint = Fingerprint::from_metadata(&meta);
    let mut decoder = Decoder::new();
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        };
        chunk_read();
        hasher.update(&buf[..n]);
        decoder
            .push(&buf[..n])
            .map_err(|e| e.into_file_error(path))?;
    }
    drop(buf);
    let (text, format) = decoder.finish().map_err(|e| e.into_file_error(path))?;
    tracing::debug!(
        path = %path.display(),
        len = text.len(),
        ending = ?format.endings.dominant,
        mixed = format.endings.is_mixed(),
        bom = format.bom,
        "loaded file"
    );
    Ok(Some(LoadedFile {
        text,
        line_ending: format.endings.dominant,
        format,
        fingerprint,
        hash: *hasher.finalize().as_bytes(),
    }))
}

/// What a path that is not a regular file is, in words.
pub(super) fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

/// Why a byte stream is not editable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// A NUL byte near the start.
    Binary,
    /// Invalid UTF-8 at this byte offset.
    InvalidUtf8(u64),
}

impl DecodeError {
    fn into_file_error(self, path: &Path) -> FileError {
        match self {
            DecodeError::Binary => FileError::Binary {
                path: path.to_path_buf(),
            },
            DecodeError::InvalidUtf8(offset) => FileError::InvalidUtf8 {
                path: path.to_path_buf(),
                offset,
            },
        }
    }
}

/// Incremental bytes-to-rope decoder. Feed it chunks of any size with
/// [`Decoder::push`], then call [`Decoder::finish`].
pub(crate) struct Decoder {
    builder: TreeBuilder<RopeInfo>,
    /// Normalized text not yet cut into leaves.
    pending: String,
    /// The start of a multi-byte character cut by the end of the previous chunk.
    utf8_tail: Vec<u8>,
    /// The previous chunk ended with `\r` that was not emitted yet.
    cr_pending: bool,
    /// File offset of the next byte pushed.
    offset: u64,
    /// The ending of the first line of the file (set at its first `\n`).
    first_ending: Option<LineEnding>,
    /// How many lines ended with the first ending and with the other one.
    counts: [usize; 2],
    /// Offsets in the text of the `\n`s that ended with the other ending.
    others: Vec<usize>,
    /// Bytes of the text already cut into leaves (`pending` follows them).
    flushed: usize,
    /// The first bytes of the file while it is not known whether they are a BOM.
    head: Vec<u8>,
    /// `Some` once the file's start was checked for a byte order mark.
    bom: Option<bool>,
    /// Bytes of the file pushed so far (BOM included).
    raw: u64,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Decoder {
            builder: TreeBuilder::new(),
            pending: String::with_capacity(PENDING_FLUSH + READ_CHUNK.min(PENDING_FLUSH)),
            utf8_tail: Vec::with_capacity(4),
            cr_pending: false,
            offset: 0,
            first_ending: None,
            counts: [0, 0],
            others: Vec::new(),
            flushed: 0,
            head: Vec::new(),
            bom: None,
            raw: 0,
        }
    }

    /// Decodes one chunk of the file; a UTF-8 byte order mark at its start is taken
    /// off (and remembered), it is not text.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> std::result::Result<(), DecodeError> {
        // binary before anything else: a NUL says more than a bad UTF-8 sequence
        if self.raw < BINARY_PROBE {
            let probe = bytes.len().min((BINARY_PROBE - self.raw) as usize);
            if memchr(0, &bytes[..probe]).is_some() {
                return Err(DecodeError::Binary);
            }
        }
        self.raw += bytes.len() as u64;
        if self.bom.is_some() {
            return self.push_text(bytes);
        }
        let want = BOM.len() - self.head.len();
        let take = want.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        if self.head.len() < BOM.len() && BOM.starts_with(&self.head) {
            return Ok(());
        }
        self.decide_bom()?;
        self.push_text(&bytes[take..])
    }

    /// Ends the BOM check with the bytes seen so far.
    fn decide_bom(&mut self) -> std::result::Result<(), DecodeError> {
        let head = std::mem::take(&mut self.head);
        if head == BOM {
            self.bom = Some(true);
            self.offset = BOM.len() as u64;
            Ok(())
        } else {
            self.bom = Some(false);
            self.push_text(&head)
        }
    }

    /// Decodes one chunk of the file's text (after the BOM check).
    fn push_text(&mut self, mut bytes: &[u8]) -> std::result::Result<(), DecodeError> {
        let chunk_offset = self.offset;
        self.offset += bytes.len() as u64;
        let mut base = chunk_offset;

        // Complete a character cut by the previous chunk boundary.
        if !self.utf8_tail.is_empty() {
            let tail_offset = chunk_offset - self.utf8_tail.len() as u64;
            let want = utf8_len(self.utf8_tail[0]).saturating_sub(self.utf8_tail.len());
            let take = want.min(bytes.len());
            self.utf8_tail.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            base += take as u64;
            if take < want {
                return Ok(());
            }
            let mut ch = [0u8; 4];
            let n = self.utf8_tail.len();
            ch[..n].copy_from_slice(&self.utf8_tail);
            self.utf8_tail.clear();
            let s =
                std::str::from_utf8(&ch[..n]).map_err(|_| DecodeError::InvalidUtf8(tail_offset))?;
            self.emit(s);
        }

        let text = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let good = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(DecodeError::InvalidUtf8(base + good as u64));
                }
                // An incomplete character at the end: keep it for the next chunk.
                self.utf8_tail.extend_from_slice(&bytes[good..]);
                // `valid_up_to` guarantees this prefix is valid.
                std::str::from_utf8(&bytes[..good]).map_err(|_| DecodeError::InvalidUtf8(base))?
            }
        };
        self.emit(text);
        Ok(())
    }

    /// Ends the stream and builds the rope.
    pub(crate) fn finish(mut self) -> std::result::Result<(Rope, TextFormat), DecodeError> {
        if self.bom.is_none() {
            self.decide_bom()?;
        }
        if !self.utf8_tail.is_empty() {
            return Err(DecodeError::InvalidUtf8(
                self.offset - self.utf8_tail.len() as u64,
            ));
        }
        if self.cr_pending {
            self.cr_pending = false;
            self.pending.push('\r');
        }
        self.cut_leaves();
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.builder.push_str(&rest);
        }
        let text = self.builder.build();
        let first = self.first_ending.unwrap_or_default();
        let endings = if self.counts[1] > self.counts[0] {
            // most lines end the other way: it is dominant, the first lines are the odd ones
            let other = LineEndings::uniform(first).other();
            LineEndings::with_others(other, newlines_except(&text, &self.others))
        } else {
            LineEndings::with_others(first, self.others)
        };
        let format = TextFormat {
            endings,
            bom: self.bom == Some(true),
        };
        Ok((text, format))
    }

    /// Appends valid text, turning CRLF into LF (also across chunk boundaries) and
    /// noting the ending of every line.
    fn emit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        let bytes = s.as_bytes();
        let mut copied = 0;
        if self.cr_pending {
            self.cr_pending = false;
            if bytes[0] == b'\n' {
                self.pending.push('\n');
                self.newline(LineEnding::CrLf);
                copied = 1;
            } else {
                self.pending.push('\r');
            }
        }
        while let Some(k) = memchr2(b'\r', b'\n', &bytes[copied..]) {
            let at = copied + k;
            if bytes[at] == b'\n' {
                self.pending.push_str(&s[copied..=at]);
                self.newline(LineEnding::Lf);
                copied = at + 1;
                continue;
            }
            self.pending.push_str(&s[copied..at]);
            match bytes.get(at + 1) {
                // CRLF: the CR is dropped
                Some(b'\n') => {
                    self.pending.push('\n');
                    self.newline(LineEnding::CrLf);
                    copied = at + 2;
                }
                Some(_) => {
                    self.pending.push('\r');
                    copied = at + 1;
                }
                None => {
                    self.cr_pending = true;
                    copied = at + 1;
                }
            }
        }
        self.pending.push_str(&s[copied..]);
        if self.pending.len() >= PENDING_FLUSH {
            self.cut_leaves();
        }
    }

    /// Notes the ending of the `\n` just pushed.
    fn newline(&mut self, ending: LineEnding) {
        let first = *self.first_ending.get_or_insert(ending);
        if ending == first {
            self.counts[0] += 1;
        } else {
            self.counts[1] += 1;
            self.others.push(self.flushed + self.pending.len() - 1);
        }
    }

    /// Cuts all but the last (at most `MAX_LEAF` bytes) of `pending` into leaves.
    fn cut_leaves(&mut self) {
        if self.pending.len() <= MAX_LEAF {
            return;
        }
        let mut leaves = Vec::with_capacity(self.pending.len() / MIN_LEAF + 1);
        let mut rest: &str = &self.pending;
        while rest.len() > MAX_LEAF {
            let split = leaf_split(rest);
            leaves.push(rest[..split].to_owned());
            rest = &rest[split..];
        }
        let consumed = self.pending.len() - rest.len();
        self.flushed += consumed;
        self.builder.push_leaves(leaves);
        self.pending.drain(..consumed);
    }
}

/// Where xi-rope would split `s` (longer than `MAX_LEAF`) into a leaf: after the
/// last newline in `[MIN_LEAF, MAX_LEAF]`, else at the last character boundary
/// before `MAX_LEAF`.
fn leaf_split(s: &str) -> usize {
    let mut split = MAX_LEAF.min(s.len() - MIN_LEAF);
    match memrchr(b'\n', &s.as_bytes()[MIN_LEAF - 1..split]) {
        Some(pos) => MIN_LEAF + pos,
        None => {
            while !s.is_char_boundary(split) {
                split -= 1;
            }
            split
        }
    }
}

/// Offsets of the `\n`s of `text` that are not in `except` (sorted).
fn newlines_except(text: &Rope, except: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut skip = except.iter().peekable();
    let mut base = 0;
    for chunk in text.iter_chunks(..) {
        for i in memchr::memchr_iter(b'\n', chunk.as_bytes()) {
            let o = base + i;
            while skip.next_if(|&&s| s < o).is_some() {}
            if skip.next_if_eq(&&o).is_none() {
                out.push(o);
            }
        }
        base += chunk.len();
    }
    out
}

/// Length of the UTF-8 sequence a lead byte starts (1 for anything else).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_in(
        bytes: &[u8],
        chunk: usize,
    ) -> std::result::Result<(String, LineEnding), DecodeError> {
        let mut d = Decoder::new();
        for c in bytes.chunks(chunk.max(1)) {
            d.push(c)?;
        }
        d.finish()
            .map(|(r, f)| (String::from(r), f.endings.dominant))
    }

    #[test]
    fn crlf_is_normalized_and_detected_across_chunk_boundaries() {
        let src = b"one\r\ntwo\r\nthree\r\n";
        for chunk in 1..src.len() + 1 {
            let (text, le) = decode_in(src, chunk).unwrap();
            assert_eq!(text, "one\ntwo\nthree\n", "chunk {chunk}");
            assert_eq!(le, LineEnding::CrLf);
        }
    }

    #[test]
    fn lone_cr_is_kept_and_first_ending_wins() {
        let (text, le) = decode_in(b"a\rb\nc\r\nd\r", 2).unwrap();
        assert_eq!(text, "a\rb\nc\nd\r");
        assert_eq!(le, LineEnding::Lf);
    }

    #[test]
    fn multibyte_characters_split_by_chunks_survive() {
        let src = "héllo wörld — ✓ 𝄞 end\n".repeat(50);
        for chunk in [1, 2, 3, 5, 7, 64] {
            let (text, _) = decode_in(src.as_bytes(), chunk).unwrap();
            assert_eq!(text, src);
        }
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        let mut bytes = b"hello ".to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(b" world");
        for chunk in [1, 3, 100] {
            assert_eq!(decode_in(&bytes, chunk), Err(DecodeError::InvalidUtf8(6)));
        }
        // A character cut short by the end of the file.
        let truncated = &"abc✓".as_bytes()[..5];
        assert_eq!(decode_in(truncated, 2), Err(DecodeError::InvalidUtf8(3)));
        // A bad continuation byte after a lead byte split across chunks.
        assert_eq!(
            decode_in(b"ab\xE2\x28\xA1", 3),
            Err(DecodeError::InvalidUtf8(2))
        );
    }

    #[test]
    fn nul_in_the_first_8k_is_binary_but_later_is_text() {
        assert_eq!(decode_in(b"ab\0cd", 2), Err(DecodeError::Binary));
        let mut late = vec![b'a'; 9000];
        late.push(0);
        assert!(decode_in(&late, 4096).is_ok());
    }

    #[test]
    fn large_text_builds_a_valid_rope() {
        let line = "fn main() { println!(\"hello\"); }\r\n";
        let src = line.repeat(20_000);
        let mut d = Decoder::new();
        for c in src.as_bytes().chunks(4093) {
            d.push(c).unwrap();
        }
        let (mut rope, format) = d.finish().unwrap();
        let le = format.endings.dominant;
        assert_eq!(le, LineEnding::CrLf);
        let expected = src.replace("\r\n", "\n");
        assert_eq!(String::from(&rope), expected);
        // The tree is well formed: line metrics and edits behave.
        assert_eq!(rope.measure::<xi_rope::LinesMetric>(), 20_000);
        assert_eq!(rope.offset_of_line(12_345), 12_345 * (line.len() - 1));
        assert_eq!(rope.line_of_offset(expected.len() / 2), 10_000);
        rope.edit(5..5, "X");
        assert_eq!(rope.len(), expected.len() + 1);
        assert!(String::from(&rope).starts_with("fn maXin"));
    }

    fn decode_format(bytes: &[u8], chunk: usize) -> (String, TextFormat) {
        let mut d = Decoder::new();
        for c in bytes.chunks(chunk.max(1)) {
            d.push(c).unwrap();
        }
        let (r, f) = d.finish().unwrap();
        (String::from(r), f)
    }

    #[test]
    fn mixed_endings_are_remembered_line_by_line() {
        for chunk in 1..12 {
            let (text, f) = decode_format(b"a\r\nb\nc\r\n", chunk);
            assert_eq!(text, "a\nb\nc\n");
            assert_eq!(f.endings.dominant, LineEnding::CrLf, "chunk {chunk}");
            assert_eq!(f.endings.others(), &[3], "chunk {chunk}");
            let (_, f) = decode_format(b"a\nb\r\nc\n", chunk);
            assert_eq!(f.endings.dominant, LineEnding::Lf);
            assert_eq!(f.endings.others(), &[3]);
            // the majority wins even when the first line ends the other way
            let (_, f) = decode_format(b"a\nb\r\nc\r\nd\r\n", chunk);
            assert_eq!(f.endings.dominant, LineEnding::CrLf);
            assert_eq!(f.endings.others(), &[1]);
        }
    }

    #[test]
    fn a_bom_is_taken_off_the_text_and_remembered() {
        for chunk in 1..6 {
            let (text, f) = decode_format(b"\xEF\xBB\xBFhi\n", chunk);
            assert_eq!(text, "hi\n");
            assert!(f.bom);
            let (text, f) = decode_format(b"\xEF\xBB\xBF", chunk);
            assert_eq!(text, "");
            assert!(f.bom);
            let (text, f) = decode_format(b"ab", chunk);
            assert_eq!(text, "ab");
            assert!(!f.bom);
            // only at the very start is it a BOM
            let (text, f) = decode_format("x\u{FEFF}".as_bytes(), chunk);
            assert_eq!(text, "x\u{FEFF}");
            assert!(!f.bom);
        }
        assert_eq!(
            decode_in(b"\xEF\xBB\xBFab\xFF", 2),
            Err(DecodeError::InvalidUtf8(5))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_text_round_trips_in_any_chunking(s in "(\\PC|\r|\n|\r\n){0,600}", chunk in 1usize..200) {
            let (text, _) = decode_in(s.as_bytes(), chunk).unwrap();
            prop_assert_eq!(text, s.replace("\r\n", "\n"));
        }
    }
}
