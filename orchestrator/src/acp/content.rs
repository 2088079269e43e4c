//! A prompt's @-mentions as ACP content: files as resource links (every agent takes
//! those), the selection, diagnostics and symbols as embedded resources when the agent
//! says it takes them (`promptCapabilities.embeddedContext`), else added to the text.

use std::path::{Path, PathBuf};

use agent_client_protocol_schema::v1::{
    ContentBlock, EmbeddedResource, EmbeddedResourceResource, ResourceLink, TextContent,
    TextResourceContents,
};

use crate::agent::Attachment;

/// Lines of a symbol's definition embedded from its first line.
pub const SYMBOL_LINES: usize = 40;

/// The prompt's blocks: the text (with the attachments written into it when the agent
/// takes no embedded context), then one block per attachment. Relative paths are taken
/// from `workspace`; `read` gives a file's text as the user sees it (for symbols).
pub fn prompt_blocks(
    text: &str,
    attachments: &[Attachment],
    embedded: bool,
    workspace: &Path,
    read: &dyn Fn(&Path) -> Option<String>,
) -> Vec<ContentBlock> {
    let mut text = text.to_owned();
    let mut rest = Vec::new();
    for a in attachments {
        match a {
            Attachment::File(p) => {
                let p = absolute(workspace, p);
                rest.push(ContentBlock::ResourceLink(ResourceLink::new(
                    file_name(&p),
                    file_uri(&p),
                )));
            }
            Attachment::Selection {
                path,
                first_line,
                text: sel,
            } => {
                let p = absolute(workspace, path);
                if embedded {
                    let last = first_line + sel.lines().count().max(1);
                    let uri = format!("{}#L{}-L{last}", file_uri(&p), first_line + 1);
                    rest.push(resource(sel, uri));
                } else {
                    text.push_str(&format!(
                        "\n\nSelection in {} from line {}:\n```\n{sel}\n```",
                        p.display(),
                        first_line + 1
                    ));
                }
            }
            Attachment::Diagnostics { path, text: d } => {
                if embedded {
                    let uri = match path {
                        Some(p) => format!(
                            "symphony://diagnostics{}",
                            encode(&absolute(workspace, p).to_string_lossy())
                        ),
                        None => "symphony://diagnostics".to_owned(),
                    };
                    rest.push(resource(d, uri));
                } else {
                    text.push_str(&format!("\n\nDiagnostics:\n{d}"));
                }
            }
            Attachment::Symbol { name, path, line } => {
                let p = absolute(workspace, path);
                let body = read(&p).map(|t| {
                    t.split_inclusive('\n')
                        .skip(*line)
                        .take(SYMBOL_LINES)
                        .collect::<String>()
                });
                match body {
                    Some(body) if embedded && !body.is_empty() => {
                        rest.push(resource(&body, format!("{}#L{}", file_uri(&p), line + 1)));
                        text.push_str(&format!("\n\n(@{name} is the embedded {})", file_name(&p)));
                    }
                    _ => text.push_str(&format!(
                        "\n\nSymbol {name} is defined in {} at line {}.",
                        p.display(),
                        line + 1
                    )),
                }
            }
        }
    }
    let mut blocks = vec![ContentBlock::Text(TextContent::new(text))];
    blocks.extend(rest);
    blocks
}

fn resource(text: &str, uri: String) -> ContentBlock {
    ContentBlock::Resource(EmbeddedResource::new(
        EmbeddedResourceResource::TextResourceContents(
            TextResourceContents::new(text, uri).mime_type("text/plain".to_owned()),
        ),
    ))
}

fn absolute(workspace: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        workspace.join(p)
    }
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `file://` URI of an absolute path (space, `%`, `#`, `?` and controls escaped).
pub fn file_uri(p: &Path) -> String {
    format!("file://{}", encode(&p.to_string_lossy()))
}

fn encode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' | '%' | '#' | '?' => format!("%{:02X}", c as u32),
            c if c.is_control() => format!("%{:02X}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atts() -> Vec<Attachment> {
        vec![
            Attachment::File("src/a b.rs".into()),
            Attachment::Selection {
                path: "/w/x.rs".into(),
                first_line: 2,
                text: "let a = 1;\nlet b = 2;\n".into(),
            },
            Attachment::Diagnostics {
                path: None,
                text: "x.rs:3:5: error: oops".into(),
            },
            Attachment::Symbol {
                name: "main".into(),
                path: "/w/x.rs".into(),
                line: 1,
            },
        ]
    }

    fn read(_: &Path) -> Option<String> {
        Some("// x\nfn main() {}\n".into())
    }

    #[test]
    fn with_embedded_context_the_attachments_are_resources() {
        let b = prompt_blocks("fix", &atts(), true, Path::new("/w"), &read);
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v[0]["type"], "text");
        assert_eq!(v[1]["type"], "resource_link");
        assert_eq!(v[1]["uri"], "file:///w/src/a%20b.rs");
        assert_eq!(v[1]["name"], "a b.rs");
        assert_eq!(v[2]["type"], "resource");
        assert_eq!(v[2]["resource"]["uri"], "file:///w/x.rs#L3-L4");
        assert_eq!(v[2]["resource"]["text"], "let a = 1;\nlet b = 2;\n");
        assert_eq!(v[3]["resource"]["uri"], "symphony://diagnostics");
        assert_eq!(v[4]["resource"]["uri"], "file:///w/x.rs#L2");
        assert_eq!(v[4]["resource"]["text"], "fn main() {}\n");
        assert!(!v[0]["text"].as_str().unwrap().contains("let a"));
    }

    #[test]
    fn without_embedded_context_the_attachments_are_written_into_the_text() {
        let b = prompt_blocks("fix", &atts(), false, Path::new("/w"), &read);
        assert_eq!(b.len(), 2);
        let ContentBlock::Text(t) = &b[0] else {
            panic!("{b:?}")
        };
        assert!(t.text.contains("Selection in /w/x.rs from line 3"));
        assert!(t.text.contains("Diagnostics:\nx.rs:3:5: error: oops"));
        assert!(
            t.text
                .contains("Symbol main is defined in /w/x.rs at line 2.")
        );
        assert!(matches!(&b[1], ContentBlock::ResourceLink(_)));
        assert_eq!(file_uri(Path::new("/w/é #1")), "file:///w/é%20%231");
    }
}
