//! Text operators of workflows: the first fenced code block of a reply, the text of a
//! node's value, and the unified diff stored for a proposal.

use similar::TextDiff;

use crate::proposal::{Proposal, apply_hunks};

/// The first fenced code block of `reply` (without its fences), or the whole reply when it
/// has none. An unterminated block runs to the end.
///
/// ```
/// use symphony_conductor::workflow::text::extract_code_block;
/// let reply = "Here you go:\n```rust\nfn a() {}\n```\nand more";
/// assert_eq!(extract_code_block(reply), "fn a() {}\n");
/// assert_eq!(extract_code_block("no fences"), "no fences");
/// ```
pub fn extract_code_block(reply: &str) -> String {
    let mut lines = reply.split_inclusive('\n');
    let mut fence: Option<&str> = None;
    for line in lines.by_ref() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            break;
        }
    }
    let Some(fence) = fence else {
        return reply.to_owned();
    };
    let mut out = String::new();
    for line in lines {
        if line.trim_start().starts_with(fence) {
            break;
        }
        out.push_str(line);
    }
    out
}

/// The text a value stands for: a string itself, chat messages their contents, anything
/// else as pretty JSON.
pub fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(items)
            if items
                .iter()
                .all(|m| m.get("content").is_some_and(|c| c.is_string())) =>
        {
            items
                .iter()
                .filter_map(|m| m.get("content").and_then(|c| c.as_str()))
                .collect::<Vec<_>>()
                .join("\n\n")
        }
        other => serde_json::to_string_pretty(&sorted_keys(other)).unwrap_or_default(),
    }
}

/// `v` with every object's keys in sorted order, so its text is the same however the
/// map was built (serde_json keeps insertion order when a dependency turns on its
/// `preserve_order` feature, as the ACP schema crate does).
pub fn sorted_keys(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            serde_json::Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted_keys(&m[k])))
                    .collect(),
            )
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(sorted_keys).collect())
        }
        other => other.clone(),
    }
}

/// The unified diff of a proposal against its base text (for the `diff` artifact).
pub fn proposal_diff(base: &str, proposal: &Proposal, label: &str) -> String {
    let new = apply_hunks(base, &proposal.hunks, |_| true);
    TextDiff::from_lines(base, &new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string()
}
