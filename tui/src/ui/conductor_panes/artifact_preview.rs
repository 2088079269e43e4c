//! How the artifacts pane previews an artifact, by its kind: a conversation
//! as speaker-labelled turns, a diff with `+`/`-` colouring, prompts,
//! responses and logs as text; anything else as (pretty-printed) text.

use ratatui::style::{Color, Modifier, Style};
use serde_json::Value;

use super::wrap;

/// The preview rows of an artifact of `kind` with this `text`, each at most
/// `width` columns, with its style.
pub(super) fn rows(kind: &str, text: &str, width: usize) -> Vec<(String, Style)> {
    match kind {
        "conversation" => conversation(text, width).unwrap_or_else(|| fallback(text, width)),
        "diff" => diff(text, width),
        "prompt" | "response" | "log" => plain(text, width, Style::default()),
        _ => fallback(text, width),
    }
}

fn plain(text: &str, width: usize, style: Style) -> Vec<(String, Style)> {
    wrap(text, width).into_iter().map(|r| (r, style)).collect()
}

/// Unknown kinds: JSON pretty-printed (so one long line becomes readable),
/// anything else as it is.
fn fallback(text: &str, width: usize) -> Vec<(String, Style)> {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => {
            let v = symphony_conductor::workflow::text::sorted_keys(&v);
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_owned());
            plain(&pretty, width, Style::default())
        }
        _ => plain(text, width, Style::default()),
    }
}

/// A stored conversation (`{"title", "messages": [{"role", "content"}]}`):
/// the title, then each turn under its speaker's name. `None` when the text
/// is not one.
fn conversation(text: &str, width: usize) -> Option<Vec<(String, Style)>> {
    let v: Value = serde_json::from_str(text).ok()?;
    let messages = v.get("messages")?.as_array()?;
    let mut out = Vec::new();
    if let Some(title) = v.get("title").and_then(Value::as_str)
        && !title.is_empty()
    {
        out.extend(plain(
            title,
            width,
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        ));
    }
    for m in messages {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("?");
        let content = m.get("content").and_then(Value::as_str).unwrap_or("");
        let (name, colour) = match role {
            "user" => ("You", Color::Cyan),
            "assistant" => ("Model", Color::Green),
            "system" => ("System", Color::DarkGray),
            other => (other, Color::Yellow),
        };
        if !out.is_empty() {
            out.push((String::new(), Style::default()));
        }
        out.push((
            format!("{name}:"),
            Style::default().fg(colour).add_modifier(Modifier::BOLD),
        ));
        let body = if role == "system" {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        };
        for r in wrap(content.trim_end(), width.saturating_sub(2)) {
            out.push((format!("  {r}"), body));
        }
    }
    Some(out)
}

/// A unified diff, coloured: additions green, removals red, hunk headers cyan,
/// file headers bold.
fn diff(text: &str, width: usize) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    for line in text.trim_end_matches('\n').split('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::default().add_modifier(Modifier::BOLD)
        } else if line.starts_with('+') {
            Style::default().fg(Color::Green)
        } else if line.starts_with('-') {
            Style::default().fg(Color::Red)
        } else if line.starts_with("@@") {
            Style::default().fg(Color::Cyan)
        } else {
            Style::default()
        };
        out.extend(plain(line, width, style));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_is_shown_as_turns_not_json() {
        let json = r#"{"id":"c1","title":"Why","messages":[
            {"role":"user","content":"why?"},{"role":"assistant","content":"because"}]}"#;
        let r: Vec<String> = rows("conversation", json, 40)
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(
            r,
            vec!["Why", "", "You:", "  why?", "", "Model:", "  because"]
        );
    }

    #[test]
    fn diff_lines_are_coloured_by_their_sign() {
        let r = rows("diff", "@@ -1 +1 @@\n-a\n+b\n c\n", 40);
        let fg: Vec<Option<Color>> = r.iter().map(|r| r.1.fg).collect();
        assert_eq!(
            fg,
            vec![
                Some(Color::Cyan),
                Some(Color::Red),
                Some(Color::Green),
                None
            ]
        );
    }

    #[test]
    fn unknown_json_is_pretty_printed_and_broken_conversations_fall_back() {
        let r = rows("thing", r#"{"a":1}"#, 40);
        assert_eq!(r.len(), 3, "{r:?}");
        let r = rows("conversation", "not json", 40);
        assert_eq!(r[0].0, "not json");
    }
}
