//! The journal file format: a JSON header line, then (when the header says
//! `base_text`) the base text as one JSON string line, then one JSON line per record.

use serde::{Deserialize, Serialize};
use xi_rope::Rope;

use super::{BaseId, JournalEdit};

/// Format version written in the header.
pub(crate) const VERSION: u32 = 1;

/// First line of a journal file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// Always [`VERSION`]; marks the file as a Symphony journal.
    pub symphony_journal: u32,
    /// Canonical path of the edited file.
    pub path: String,
    /// The text the edits apply to.
    pub base: BaseId,
    /// Whether the next line holds the base text itself (journals of small files), so
    /// the edits replay exactly even when the file changed on disk since.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base_text: bool,
    /// The process that wrote it (for the curious; ownership is the file's lock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// One `record()` call: a list of `(start, end, text)` edits.
#[derive(Serialize)]
struct RecordOut<'a> {
    e: Vec<(usize, usize, &'a str)>,
}

#[derive(Deserialize)]
struct RecordIn {
    e: Vec<(usize, usize, String)>,
}

/// The header as a full line.
pub(crate) fn header_line(header: &Header) -> serde_json::Result<Vec<u8>> {
    let mut out = serde_json::to_vec(header)?;
    out.push(b'\n');
    Ok(out)
}

/// Appends one record line for `edits` to `out`.
pub(crate) fn push_record(out: &mut Vec<u8>, edits: &[JournalEdit]) -> serde_json::Result<()> {
    let rec = RecordOut {
        e: edits
            .iter()
            .map(|e| (e.start, e.end, e.text.as_str()))
            .collect(),
    };
    serde_json::to_writer(&mut *out, &rec)?;
    out.push(b'\n');
    Ok(())
}

/// Appends `text` as one JSON string line to `out`.
pub(crate) fn push_text(out: &mut Vec<u8>, text: &Rope) -> serde_json::Result<()> {
    out.reserve(text.len() + 3);
    serde_json::to_writer(&mut *out, &String::from(text))?;
    out.push(b'\n');
    Ok(())
}

/// What a journal file holds, read tolerantly.
pub(crate) struct Parsed {
    pub header: Header,
    /// The base text, when the journal holds it.
    pub base_text: Option<String>,
    /// Records in order; a torn or corrupt tail is left out.
    pub records: Vec<Vec<JournalEdit>>,
}

/// Parses a journal file; `None` when it has no readable header.
pub(crate) fn parse(bytes: &[u8]) -> Option<Parsed> {
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let first = lines.next()?;
    let header: Header = serde_json::from_slice(first.strip_suffix(b"\n")?).ok()?;
    if header.symphony_journal != VERSION {
        return None;
    }
    let base_text = if header.base_text {
        let line = lines.next()?.strip_suffix(b"\n")?;
        Some(serde_json::from_slice::<String>(line).ok()?)
    } else {
        None
    };
    let mut records = Vec::new();
    for line in lines {
        // A line without its newline was cut short by a crash mid-write.
        let Some(body) = line.strip_suffix(b"\n") else {
            tracing::debug!("ignoring a torn last journal record");
            break;
        };
        match serde_json::from_slice::<RecordIn>(body) {
            Ok(rec) => records.push(
                rec.e
                    .into_iter()
                    .map(|(start, end, text)| JournalEdit { start, end, text })
                    .collect(),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "stopping at a corrupt journal record");
                break;
            }
        }
    }
    Some(Parsed {
        header,
        base_text,
        records,
    })
}

/// Applies the records to `text`; returns how many edits applied. Stops at the
/// first edit that does not fit the text (out of range or inside a character).
pub(crate) fn replay(text: &mut Rope, records: &[Vec<JournalEdit>]) -> usize {
    let mut applied = 0;
    for edit in records.iter().flatten() {
        let fits = edit.start <= edit.end
            && edit.end <= text.len()
            && text.is_codepoint_boundary(edit.start)
            && text.is_codepoint_boundary(edit.end);
        if !fits {
            tracing::warn!(
                start = edit.start,
                end = edit.end,
                len = text.len(),
                "journal edit does not fit; stopping replay"
            );
            break;
        }
        text.edit(edit.start..edit.end, edit.text.as_str());
        applied += 1;
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, text: &str) -> JournalEdit {
        JournalEdit {
            start,
            end,
            text: text.to_owned(),
        }
    }

    fn header() -> Header {
        Header {
            symphony_journal: VERSION,
            path: "/x".into(),
            base: BaseId { len: 0, sample: 1 },
            base_text: false,
            pid: None,
        }
    }

    #[test]
    fn round_trip_and_torn_tail() {
        let mut bytes = header_line(&header()).unwrap();
        push_record(&mut bytes, &[edit(0, 0, "a\"\n✓")]).unwrap();
        push_record(&mut bytes, &[edit(1, 1, "b"), edit(0, 1, "")]).unwrap();
        let whole = parse(&bytes).unwrap();
        assert_eq!(whole.header, header());
        assert_eq!(whole.records.len(), 2);
        assert_eq!(whole.records[0][0].text, "a\"\n✓");
        // Every possible torn tail keeps the complete records before it.
        let first_len = header_line(&header()).unwrap().len();
        for cut in first_len..bytes.len() {
            let p = parse(&bytes[..cut]).unwrap();
            assert!(p.records.len() <= 2);
        }
    }

    #[test]
    fn replay_applies_in_order_and_stops_at_nonsense() {
        let mut text = Rope::from("hello");
        let n = replay(
            &mut text,
            &[
                vec![edit(5, 5, " world"), edit(0, 1, "H")],
                vec![edit(99, 100, "x"), edit(0, 0, "never")],
            ],
        );
        assert_eq!(n, 2);
        assert_eq!(String::from(text), "Hello world");
    }
}
