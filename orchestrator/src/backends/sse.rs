//! An incremental Server-Sent Events parser: bytes in (split anywhere), events out.
//!
//! Follows the WHATWG event-stream rules the model servers rely on: lines end with
//! CRLF, LF or CR; `event:` names the event, `data:` lines accumulate (joined with
//! `\n`), lines starting with `:` are comments, a blank line dispatches the event.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, or `"message"` when none was given.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Feeds bytes, yields complete events.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_cr: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes`, appending every event they complete to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        let mut rest = bytes;
        if self.after_cr {
            match rest.first() {
                // An empty chunk says nothing about the `\n` that may follow the `\r`.
                None => return,
                Some(b'\n') => rest = &rest[1..],
                Some(_) => {}
            }
            self.after_cr = false;
        }
        while let Some(pos) = rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.line.extend_from_slice(&rest[..pos]);
            let terminator = rest[pos];
            rest = &rest[pos + 1..];
            if terminator == b'\r' {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, out);
        }
        self.line.extend_from_slice(rest);
    }

    /// The stream ended: dispatches an event whose data lines were complete but whose
    /// closing blank line never came (lenient; a half line is dropped).
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        self.line.clear();
        self.after_cr = false;
        self.dispatch(out);
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(i) => {
                let v = &text[i + 1..];
                (&text[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&text[..], ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {} // id, retry and unknown fields do not matter here
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if !self.has_data {
            return;
        }
        self.has_data = false;
        out.push(SseEvent {
            event: event.unwrap_or_else(|| "message".to_string()),
            data: std::mem::take(&mut self.data),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out);
        }
        p.finish(&mut out);
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn openai_style_stream() {
        let s = b"data: {\"a\":1}\n\ndata: [DONE]\n\n";
        assert_eq!(
            parse_all(&[s]),
            vec![ev("message", "{\"a\":1}"), ev("message", "[DONE]")]
        );
    }

    #[test]
    fn named_events_comments_crlf_and_multiline_data() {
        let s =
            b": keep-alive\r\nevent: ping\r\ndata: {}\r\n\r\nevent:delta\rdata:one\rdata:  two\r\r";
        assert_eq!(
            parse_all(&[s]),
            vec![ev("ping", "{}"), ev("delta", "one\n two")]
        );
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_does_not_leak_its_name() {
        let s = b"event: lonely\n\ndata: x\n\n";
        assert_eq!(parse_all(&[s]), vec![ev("message", "x")]);
    }

    #[test]
    fn half_line_at_the_end_is_dropped_but_complete_data_is_kept() {
        assert_eq!(parse_all(&[b"data: a\ndata: b"]), vec![ev("message", "a")]);
    }

    #[test]
    fn utf8_split_inside_a_character() {
        let s = "data: héllo ✓\n\n".as_bytes();
        let (a, b) = s.split_at(8); // inside 'é'
        assert_eq!(parse_all(&[a, b]), vec![ev("message", "héllo ✓")]);
    }

    #[test]
    fn crlf_split_around_an_empty_chunk_is_one_line_end() {
        let s = b"data: a\r\ndata: b\r\n\r\n";
        let (a, b) = s.split_at(8); // between the first `\r` and its `\n`
        assert_eq!(parse_all(&[a, b"", b"", b]), vec![ev("message", "a\nb")]);
    }

    fn arb_event() -> impl Strategy<Value = (Option<String>, Vec<String>)> {
        (
            proptest::option::of("[a-z_]{1,12}"),
            proptest::collection::vec("[ -~é✓]{0,20}", 1..4),
        )
    }

    fn render(events: &[(Option<String>, Vec<String>)], eol: &str) -> Vec<u8> {
        let mut s = String::new();
        for (name, lines) in events {
            s.push_str(": comment");
            s.push_str(eol);
            if let Some(n) = name {
                s.push_str(&format!("event: {n}{eol}"));
            }
            for l in lines {
                s.push_str(&format!("data: {l}{eol}"));
            }
            s.push_str(eol);
        }
        s.into_bytes()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_split_gives_the_same_events(
            events in proptest::collection::vec(arb_event(), 1..6),
            eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let bytes = render(&events, eol);
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut start = 0;
            for p in points {
                chunks.push(&bytes[start..p]);
                start = p;
            }
            chunks.push(&bytes[start..]);
            let expected: Vec<SseEvent> = events
                .iter()
                .map(|(n, lines)| SseEvent {
                    event: n.clone().unwrap_or_else(|| "message".into()),
                    data: lines.join("\n"),
                })
                .collect();
            prop_assert_eq!(parse_all(&chunks), expected);
        }
    }
}
