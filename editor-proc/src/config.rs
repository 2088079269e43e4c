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
    /// The effective table for a buffer of `language`.
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
    EditSettings {
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
}
