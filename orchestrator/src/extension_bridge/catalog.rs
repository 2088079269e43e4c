//! [`ExtensionCatalog`]: the instruments and operators extensions provide, for the
//! pool (registered like built-in backends) and for workflows (operator node kinds).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use symphony_extensions::{ExtensionHandle, ExtensionType, Manager, StartOutcome};

use super::{ExtensionInstrument, OperatorError, OperatorOutput, OperatorRunner};
use crate::conductor::{ConductorConfig, InstrumentFactory};
use crate::instrument::{Instrument, InstrumentConfig, InstrumentError, InstrumentKind};

/// Prefix of operator node kinds in workflows.
const NODE_PREFIX: &str = "ext:";

/// Splits an operator node kind: `ext:word-count/count` -> (`word-count`,
/// `Some("count")`), `ext:word-count` -> (`word-count`, `None`); anything else `None`.
pub fn parse_node_kind(kind: &str) -> Option<(&str, Option<&str>)> {
    let rest = kind.strip_prefix(NODE_PREFIX)?;
    let (id, method) = match rest.split_once('/') {
        Some((id, m)) => (id, Some(m).filter(|m| !m.is_empty())),
        None => (rest, None),
    };
    (!id.is_empty()).then_some((id, method))
}

/// Runs a workflow's extension node (the node kind `kind`, `ext:<id>[/<method>]`)
/// with its inputs as (node id, text) pairs: the output text as a JSON string, or why
/// it failed (also when no catalog was given to the Conductor).
pub async fn run_workflow_node(
    catalog: Option<&ExtensionCatalog>,
    kind: &str,
    inputs: &[(String, String)],
) -> std::result::Result<Value, String> {
    let Some(catalog) = catalog else {
        return Err(format!("{kind}: extensions are not available"));
    };
    catalog
        .run_node_text(kind, inputs, None)
        .await
        .map(Value::String)
}

/// The extension instruments and operators of a session.
#[derive(Debug, Clone, Default)]
pub struct ExtensionCatalog {
    instruments: BTreeMap<String, Arc<ExtensionInstrument>>,
    operators: BTreeMap<String, OperatorRunner>,
    needs_grant: Vec<String>,
}

/// Two catalogs are equal when they hold the same extensions (so a catalog can sit in
/// a configuration that is compared).
impl PartialEq for ExtensionCatalog {
    fn eq(&self, other: &Self) -> bool {
        self.instruments.keys().eq(other.instruments.keys())
            && self.operators.keys().eq(other.operators.keys())
            && self.needs_grant == other.needs_grant
    }
}

impl ExtensionCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts every enabled instrument and operator extension of `manager` and
    /// catalogs those that started; returns the catalog and a notice for each that
    /// did not (disabled, waiting for the permission prompt, a dependency missing).
    pub fn start_all(manager: &mut Manager) -> (Self, Vec<String>) {
        let ids: Vec<String> = manager
            .manifests()
            .iter()
            .filter(|m| matches!(m.kind, ExtensionType::Instrument | ExtensionType::Operator))
            .map(|m| m.id.clone())
            .collect();
        let mut cat = Self::new();
        let mut notices = Vec::new();
        for id in ids {
            match manager.start(&id) {
                StartOutcome::Started(h) | StartOutcome::AlreadyRunning(h) => cat.add(h),
                StartOutcome::NeedsGrant { .. } => {
                    notices.push(format!("extension {id} waits for its permission prompt"));
                    cat.needs_grant.push(id);
                }
                StartOutcome::Disabled => {}
                StartOutcome::Unknown => notices.push(format!("extension {id} is unknown")),
                StartOutcome::DependencyNotStarted { dependency } => notices.push(format!(
                    "extension {id} not started: its dependency {dependency} did not start"
                )),
            }
        }
        (cat, notices)
    }

    /// The extensions [`ExtensionCatalog::start_all`] could not start because the
    /// user has not answered their permission prompt yet.
    pub fn needs_grant(&self) -> &[String] {
        &self.needs_grant
    }

    /// Adds a started extension by its type (motifs are not the Conductor's).
    pub fn add(&mut self, handle: ExtensionHandle) {
        let id = handle.id().to_string();
        match handle.manifest().kind {
            ExtensionType::Instrument => {
                self.instruments
                    .insert(id, Arc::new(ExtensionInstrument::new(handle)));
            }
            ExtensionType::Operator => {
                self.operators.insert(id, OperatorRunner::new(handle));
            }
            ExtensionType::Motif => {}
        }
    }

    /// The instruments, for the pool (by name).
    pub fn instruments(&self) -> Vec<Arc<dyn Instrument>> {
        self.instruments
            .values()
            .map(|i| i.clone() as Arc<dyn Instrument>)
            .collect()
    }

    /// The instrument called `name`.
    pub fn instrument(&self, name: &str) -> Option<Arc<dyn Instrument>> {
        self.instruments
            .get(name)
            .map(|i| i.clone() as Arc<dyn Instrument>)
    }

    /// Pool entries for the instruments: kind `extension`, one call at a time
    /// (extensions usually serve one request at once).
    pub fn instrument_configs(&self) -> Vec<InstrumentConfig> {
        self.instruments
            .values()
            .map(|i| InstrumentConfig {
                name: i.name().to_string(),
                kind: InstrumentKind::Extension,
                base_url: None,
                model: i.model().to_string(),
                api_key_env: None,
                command: Vec::new(),
                max_concurrency: 1,
                connect_timeout_secs: 5,
                idle_timeout_secs: 600,
                max_retries: 0,
                extra: BTreeMap::new(),
            })
            .collect()
    }

    /// Registers the instruments in the pool like built-in backends: appends their
    /// entries to `config.instruments` (skipping names the user configured already)
    /// and returns a factory building them, `fallback` building the rest; the
    /// operators become available to `extension` nodes of workflows
    /// (`config.extensions`). Start the Conductor with both:
    /// `Conductor::start_with(config, factory)`.
    pub fn install(
        &self,
        config: &mut ConductorConfig,
        fallback: InstrumentFactory,
    ) -> InstrumentFactory {
        config.extensions = Some(Arc::new(self.clone()));
        for entry in self.instrument_configs() {
            if !config.instruments.iter().any(|i| i.name == entry.name) {
                config.instruments.push(entry);
            }
        }
        let mine = self.instruments.clone();
        Arc::new(move |c: &InstrumentConfig| {
            if c.kind == InstrumentKind::Extension {
                return match mine.get(&c.name) {
                    Some(i) => Ok(i.clone() as Arc<dyn Instrument>),
                    None => Err(InstrumentError::Config(format!(
                        "no running instrument extension named {:?} (not installed, disabled or not granted)",
                        c.name
                    ))),
                };
            }
            fallback(c)
        })
    }

    /// The operator extension `id`.
    pub fn operator(&self, id: &str) -> Option<&OperatorRunner> {
        self.operators.get(id)
    }

    /// Every operator node kind offered (`ext:<id>/<method>`).
    pub fn node_kinds(&self) -> Vec<String> {
        self.operators
            .values()
            .flat_map(|op| {
                op.capabilities()
                    .iter()
                    .map(|c| format!("{NODE_PREFIX}{}/{c}", op.id()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Whether `kind` names an operator node (whether or not it is available).
    pub fn is_operator_kind(kind: &str) -> bool {
        parse_node_kind(kind).is_some()
    }

    /// [`ExtensionCatalog::run_node`] for a workflow executor: inputs as (node id,
    /// text) pairs, the output's text or the error in words.
    pub async fn run_node_text(
        &self,
        kind: &str,
        inputs: &[(String, String)],
        params: Option<&Value>,
    ) -> std::result::Result<String, String> {
        let inputs: BTreeMap<String, String> = inputs.iter().cloned().collect();
        let none = Value::Null;
        self.run_node(kind, &inputs, params.unwrap_or(&none))
            .await
            .map(|o| o.text)
            .map_err(|e| e.to_string())
    }

    /// Runs a node of kind `kind` (`ext:<id>[/<method>]`) with its inputs and params.
    pub async fn run_node(
        &self,
        kind: &str,
        inputs: &BTreeMap<String, String>,
        params: &Value,
    ) -> super::Result<OperatorOutput> {
        let (id, method) =
            parse_node_kind(kind).ok_or_else(|| OperatorError::Unavailable(kind.to_string()))?;
        let op = self
            .operator(id)
            .ok_or_else(|| OperatorError::Unavailable(id.to_string()))?;
        op.run(method, inputs, params).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_kinds_name_the_extension_and_maybe_a_method() {
        assert_eq!(
            parse_node_kind("ext:word-count/count"),
            Some(("word-count", Some("count")))
        );
        assert_eq!(
            parse_node_kind("ext:word-count"),
            Some(("word-count", None))
        );
        assert_eq!(parse_node_kind("ext:a.b/"), Some(("a.b", None)));
        assert_eq!(parse_node_kind("ext:"), None);
        assert_eq!(parse_node_kind("model"), None);
    }
}
