//! Configuration: upstream's default keys, the `general` / `syntax` / per-view override domains.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::edit_ops::EditSettings;

/// A flat table of settings, as on the wire.
pub type Table = Map<String, Value>;

/// The defaults xi-core reports in `config_changed` (same keys and values).
pub fn defaults() -> Table {
    static DEFAULTS: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(build_defaults).clone()
}

fn default_table() -> &'static Table {
    static DEFAULTS: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(build_defaults)
}

fn build_defaults() -> Table {
    let v = json!({
        "auto_indent": true,
        "autodetect_whitespace": true,
        "font_face": "InconsolataGo",
        "font_size": 14,
        "line_ending": "\n",
        "plugin_search_path": [],
        "save_with_newline": true,
        "scroll_past_end": false,
        "surrounding_pairs": [["\"","\""],["'","'"],["{","}"],["[","]"]],
        "tab_size": 4,
        "translate_tabs_to_spaces": true,
        "use_tab_stops": true,
        "word_wrap": false,
        "wrap_width": 0
    });
    match v {
        Value::Object(m) => m,
        _ => Table::new(),
    }
}

/// Symphony's own keys (the typing helpers), read by the edit operations but not
/// reported in `config_changed` / `get_config` unless set, so the wire stays upstream's.
fn symphony_defaults() -> &'static Table {
    static T: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        match json!({
            "auto_close_pairs": [["(",")"],["[","]"],["{","}"],["\"","\""],["'","'"]],
            "indent_after": ["{","[","("],
            "line_comments": ["//"],
            "smart_indent": true
        }) {
            Value::Object(m) => m,
            _ => Table::new(),
        }
    })
}

/// Symphony's defaults for one language (between the defaults and the user's layers):
/// Python opens a block with `:`; in Rust and the Lisps `'` is not a quote to close.
fn language_defaults(language: &str) -> Option<&'static Table> {
    static LANGS: std::sync::OnceLock<HashMap<&'static str, Table>> = std::sync::OnceLock::new();
    LANGS
        .get_or_init(|| {
            let no_single_quote = json!({
                "auto_close_pairs": [["(",")"],["[","]"],["{","}"],["\"","\""]]
            });
            let mut m = HashMap::new();
            for (lang, v) in [
                (
                    "Python",
                    json!({"indent_after": ["{","[","(",":"], "line_comments": ["#"]}),
                ),
                ("Ruby", json!({"line_comments": ["#"]})),
                ("YAML", json!({"line_comments": ["#"]})),
                ("TOML", json!({"line_comments": ["#"]})),
                ("Rust", no_single_quote.clone()),
                ("Lisp", no_single_quote.clone()),
                ("Clojure", no_single_quote),
            ] {
                if let Value::Object(t) = v {
                    m.insert(lang, t);
                }
            }
            m
        })
        .get(language)
}

/// Where a `modify_user_config` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    /// Every buffer.
    General,
    /// Buffers of one language.
    Syntax(String),
    /// The buffer of one view.
    UserOverride(String),
}

/// The configuration layers.
#[derive(Debug, Clone, Default)]
pub struct ConfigStore {
    general: Table,
    syntax: HashMap<String, Table>,
    /// What a buffer's file says (its line ending), above the general and syntax layers
    /// and below the user's overrides.
    detected: HashMap<u64, Table>,
    overrides: HashMap<u64, Table>,
}

fn merge(into: &mut Table, from: &Table) {
    for (k, v) in from {
        if v.is_null() {
            into.remove(k);
        } else {
            into.insert(k.clone(), v.clone());
        }
    }
}

impl ConfigStore {
    /// The effective table for a buffer of `language`, as reported on the wire: upstream's
    /// defaults with the user's layers (Symphony's own keys only where set).
    pub fn effective(&self, buffer: u64, language: &str) -> Table {
        let mut t = defaults();
        merge(&mut t, &self.general);
        if let Some(s) = self.syntax.get(language) {
            merge(&mut t, s);
        }
        if let Some(d) = self.detected.get(&buffer) {
            merge(&mut t, d);
        }
        if let Some(o) = self.overrides.get(&buffer) {
            merge(&mut t, o);
        }
        t
    }

    /// One effective setting, without building the whole table.
    pub fn get(&self, buffer: u64, language: &str, key: &str) -> Option<&Value> {
        let layers = [
            self.overrides.get(&buffer),
            self.detected.get(&buffer),
            self.syntax.get(language),
            Some(&self.general),
            language_defaults(language),
            Some(symphony_defaults()),
        ];
        for t in layers.into_iter().flatten() {
            if let Some(v) = t.get(key) {
                return (!v.is_null()).then_some(v);
            }
        }
        default_table().get(key)
    }

    /// The settings edit operations need, for a buffer of `language`.
    pub fn edit_settings(&self, buffer: u64, language: &str) -> EditSettings {
        settings_from(|k| self.get(buffer, language, k))
    }

    /// Records changes to a domain (`buffer` resolves a user_override view).
    pub fn modify(&mut self, domain: &Domain, buffer: Option<u64>, changes: &Table) {
        let table = match domain {
            Domain::General => &mut self.general,
            Domain::Syntax(lang) => self.syntax.entry(lang.clone()).or_default(),
            Domain::UserOverride(_) => match buffer {
                Some(b) => self.overrides.entry(b).or_default(),
                None => return,
            },
        };
        for (k, v) in changes {
            table.insert(k.clone(), v.clone());
        }
    }

    /// Applies the `[editing]` table of `config.toml`'s text: its keys to every buffer
    /// (the `general` layer), its sub-tables (`[editing.Python]`, named as the language
    /// names the status line shows) to buffers of that language. Returns what was wrong
    /// with the file, if anything; good parts are applied either way.
    pub fn apply_user_file(&mut self, text: &str) -> Result<(), String> {
        let file: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let Some(editing) = file.get("editing") else {
            return Ok(());
        };
        let toml::Value::Table(editing) = editing else {
            return Err("[editing] must be a table".into());
        };
        let mut general = Table::new();
        let mut problems = Vec::new();
        for (k, v) in editing {
            match (v, serde_json::to_value(v)) {
                (toml::Value::Table(lang), _) => {
                    let mut t = Table::new();
                    for (lk, lv) in lang {
                        if let Ok(j) = serde_json::to_value(lv) {
                            t.insert(lk.clone(), j);
                        }
                    }
                    self.modify(&Domain::Syntax(k.clone()), None, &t);
                }
                (_, Ok(j)) => {
                    general.insert(k.clone(), j);
                }
                (_, Err(e)) => problems.push(format!("[editing] {k}: {e}")),
            }
        }
        self.modify(&Domain::General, None, &general);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// Forgets a closed buffer's overrides.
    pub fn forget(&mut self, buffer: u64) {
        self.overrides.remove(&buffer);
        self.detected.remove(&buffer);
    }

    /// Sets what buffer `buffer`'s file says about `key` (e.g. its `line_ending`).
    pub fn set_detected(&mut self, buffer: u64, key: &str, value: Value) {
        self.detected
            .entry(buffer)
            .or_default()
            .insert(key.to_string(), value);
    }
}

/// Keys whose value differs between two tables (with the new values).
pub fn diff(old: &Table, new: &Table) -> Table {
    let mut out = Table::new();
    for (k, v) in new {
        if old.get(k) != Some(v) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The settings edit operations need.
pub fn edit_settings(t: &Table) -> EditSettings {
    settings_from(|k| t.get(k))
}

fn settings_from<'a>(get: impl Fn(&str) -> Option<&'a Value>) -> EditSettings {
    let b = |k: &str, d: bool| get(k).and_then(Value::as_bool).unwrap_or(d);
    let pairs = get("surrounding_pairs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((
                        p.first()?.as_str()?.to_string(),
                        p.get(1)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let one_char = |v: &Value| {
        let s = v.as_str()?;
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    };
    let auto_close_pairs = get("auto_close_pairs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((one_char(p.first()?)?, one_char(p.get(1)?)?))
                })
                .collect()
        })
        .unwrap_or_default();
    let indent_after = get("indent_after")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(one_char).collect())
        .unwrap_or_default();
    let line_comments = get("line_comments")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    EditSettings {
        auto_close_pairs,
        line_comments,
        smart_indent: b("smart_indent", true),
        indent_after,
        tab_size: get("tab_size")
            .and_then(Value::as_u64)
            .map(|n| n.clamp(1, 32) as usize)
            .unwrap_or(4),
        translate_tabs_to_spaces: b("translate_tabs_to_spaces", true),
        use_tab_stops: b("use_tab_stops", true),
        auto_indent: b("auto_indent", true),
        surrounding_pairs: pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let mut c = ConfigStore::default();
        let mut ch = Table::new();
        ch.insert("tab_size".into(), json!(2));
        c.modify(&Domain::General, None, &ch);
        ch.insert("tab_size".into(), json!(8));
        c.modify(&Domain::Syntax("Rust".into()), None, &ch);
        assert_eq!(c.effective(1, "Plain Text")["tab_size"], json!(2));
        assert_eq!(c.effective(1, "Rust")["tab_size"], json!(8));
        ch.insert("tab_size".into(), json!(3));
        c.modify(&Domain::UserOverride("view-id-1".into()), Some(1), &ch);
        assert_eq!(c.effective(1, "Rust")["tab_size"], json!(3));
        let d = diff(&c.effective(2, "Rust"), &c.effective(1, "Rust"));
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn python_indents_after_a_colon_and_rust_does_not_close_single_quotes() {
        let c = ConfigStore::default();
        assert!(c.edit_settings(1, "Python").indent_after.contains(&':'));
        assert!(!c.edit_settings(1, "Rust").indent_after.contains(&':'));
        let rust = c.edit_settings(1, "Rust").auto_close_pairs;
        assert!(rust.contains(&('(', ')')) && !rust.contains(&('\'', '\'')));
        assert!(
            c.edit_settings(1, "Plain Text")
                .auto_close_pairs
                .contains(&('\'', '\''))
        );
        // reported on the wire only when set (config_changed stays upstream's)
        assert!(!c.effective(1, "Python").contains_key("indent_after"));
    }

    #[test]
    fn the_editing_table_of_config_toml_sets_general_and_language_layers() {
        let mut c = ConfigStore::default();
        let text = "theme = \"x\"\n[editing]\nsmart_indent = false\n\
                    [editing.Rust]\nauto_close_pairs = [[\"(\", \")\"]]\n";
        assert_eq!(c.apply_user_file(text), Ok(()));
        assert!(!c.edit_settings(1, "Python").smart_indent);
        assert_eq!(
            c.edit_settings(1, "Rust").auto_close_pairs,
            vec![('(', ')')]
        );
        assert_eq!(c.edit_settings(1, "Python").auto_close_pairs.len(), 5);
        assert!(c.apply_user_file("[editing\n").is_err());
        assert_eq!(
            ConfigStore::default().apply_user_file("theme = \"x\""),
            Ok(())
        );
    }

    #[test]
    fn user_layers_override_language_defaults() {
        let mut c = ConfigStore::default();
        let mut ch = Table::new();
        ch.insert("auto_close_pairs".into(), json!([]));
        ch.insert("smart_indent".into(), json!(false));
        c.modify(&Domain::General, None, &ch);
        let s = c.edit_settings(1, "Rust");
        assert!(s.auto_close_pairs.is_empty() && !s.smart_indent);
        assert!(c.effective(1, "Rust")["auto_close_pairs"] == json!([]));
    }
}
