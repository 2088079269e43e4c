//! An incremental newline-delimited JSON splitter: bytes in (split anywhere), complete
//! lines out. Blank lines are skipped and a trailing `\r` is removed.

/// Feeds bytes, yields complete non-blank lines.
#[derive(Debug, Default)]
pub struct NdjsonParser {
    line: Vec<u8>,
}

impl NdjsonParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes`, appending every line they complete to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<String>) {
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            self.line.extend_from_slice(&rest[..pos]);
            rest = &rest[pos + 1..];
            let line = std::mem::take(&mut self.line);
            push_line(&line, out);
        }
        self.line.extend_from_slice(rest);
    }

    /// The stream ended: returns the unterminated last line, if any (it may be a whole
    /// JSON value from a server that omits the final newline, or half of one).
    pub fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.line);
        let mut out = Vec::new();
        push_line(&line, &mut out);
        out.pop()
    }
}

fn push_line(line: &[u8], out: &mut Vec<String>) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    out.push(String::from_utf8_lossy(line).into_owned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_crlf_blank_and_tail() {
        let mut p = NdjsonParser::new();
        let mut out = Vec::new();
        p.feed(b"{\"a\":1}\r\n\n{\"b\"", &mut out);
        p.feed(b":2}\n{\"c\":3}", &mut out);
        assert_eq!(out, vec!["{\"a\":1}", "{\"b\":2}"]);
        assert_eq!(p.finish().as_deref(), Some("{\"c\":3}"));
        assert_eq!(p.finish(), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_split_gives_the_same_lines(
            values in proptest::collection::vec("[ -~é✓]{1,30}", 1..8),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let values: Vec<String> = values
                .into_iter()
                .map(|v| serde_json::json!({ "content": v }).to_string())
                .collect();
            let eol = if crlf { "\r\n" } else { "\n" };
            let bytes = values.iter().map(|v| format!("{v}{eol}")).collect::<String>().into_bytes();
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut p = NdjsonParser::new();
            let mut out = Vec::new();
            let mut start = 0;
            for cut in points {
                p.feed(&bytes[start..cut], &mut out);
                start = cut;
            }
            p.feed(&bytes[start..], &mut out);
            prop_assert_eq!(p.finish(), None);
            prop_assert_eq!(out, values);
        }
    }
}
