//! Prompt templates: `{{name}}` placeholders filled from a variable map.

use std::collections::HashMap;

/// The names used in `text`, in order of appearance (`{{ name }}` allows spaces).
///
/// ```
/// use symphony_conductor::workflow::template::variables;
/// assert_eq!(variables("Explain {{selection}} in {{ language }}"), ["selection", "language"]);
/// ```
pub fn variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim();
        if !name.is_empty() {
            out.push(name);
        }
        rest = &after[close + 2..];
    }
    out
}

/// Fills every `{{name}}` of `text` from `vars`; unknown names become empty.
///
/// ```
/// use std::collections::HashMap;
/// use symphony_conductor::workflow::template::render;
/// let vars = HashMap::from([("language".to_string(), "Rust".to_string())]);
/// assert_eq!(render("Explain this {{language}} code{{missing}}.", &vars), "Explain this Rust code.");
/// ```
pub fn render(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        out.push_str(&rest[..open]);
        let name = after[..close].trim();
        match vars.get(name) {
            Some(v) => out.push_str(v),
            None => tracing::debug!(variable = name, "template variable without a value"),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}
