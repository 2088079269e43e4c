//! Instruments joining and leaving the running pool: an extension granted,
//! enabled or installed mid-session is added, one disabled, uninstalled or dead for
//! good is removed (a later call says why), and the pool follows the session's
//! [`ExtensionCatalog`].

use std::sync::Arc;

use symphony_pit::pool::{self, State};

use super::{Instruments, Slot, thresholds};
use crate::events::ConductorEvent;
use crate::extension_bridge::{CatalogChange, ExtensionCatalog};
use crate::instrument::{Instrument, InstrumentConfig, InstrumentKind};

/// The pool entry of an instrument extension that joined while the Conductor runs.
fn extension_entry(i: &dyn Instrument) -> InstrumentConfig {
    crate::extension_bridge::pool_entry(i.name(), i.model())
}

impl Instruments {
    /// Adds an instrument while the Conductor runs (an extension granted or enabled
    /// mid-session): `max_concurrency` of `config` slots. An instrument already there
    /// with this name is replaced.
    pub fn add(&self, config: &InstrumentConfig, instrument: Arc<dyn Instrument>) {
        let name = config.name.clone();
        let slots_n = config.max_concurrency.clamp(1, 1024) as u32;
        match self.pool.entry(&name) {
            // Back after leaving: the entry it had is used again.
            Ok(e) => {
                if e.state() == State::Failed {
                    let _ = self.pool.recover(&name);
                }
            }
            Err(_) => {
                let entry = pool::InstrumentConfig::new(name.clone())
                    .slots(slots_n)
                    .thresholds(thresholds());
                if let Err(e) = self.pool.add(entry) {
                    tracing::warn!(instrument = %name, error = %e, "could not add to the pool");
                    return;
                }
            }
        }
        self.gone.lock().remove(&name);
        self.resident.lock().remove(&name);
        self.slots.write().insert(
            name.clone(),
            Slot {
                kind: config.kind,
                model: config.model.clone(),
                instrument: Some(instrument),
            },
        );
        {
            let mut names = self.names.write();
            if !names.contains(&name) {
                names.push(name.clone());
            }
        }
        tracing::info!(instrument = %name, "instrument joined the pool");
        self.refresh();
    }

    /// Takes `name` out of the pool pane; later calls fail with `reason`. A call
    /// running on it ends as the instrument makes it end.
    pub fn remove(&self, name: &str, reason: &str) {
        let had = self.slots.write().remove(name).is_some();
        self.names.write().retain(|n| n != name);
        self.resident.lock().remove(name);
        if had {
            self.gone.lock().insert(name.to_owned(), reason.to_owned());
            if let Ok(e) = self.pool.entry(name)
                && e.state() != State::Failed
            {
                let _ = self.pool.fail(name, reason);
            }
            tracing::info!(instrument = name, reason, "instrument left the pool");
            if let Some(tx) = self.notices.lock().as_ref() {
                let _ = tx.send(ConductorEvent::Notice(format!(
                    "instrument `{name}` left the pool: {reason}"
                )));
            }
        }
        self.report();
    }

    /// Follows `catalog`: its instruments that joined or left since the Conductor's
    /// configuration was made are added or removed now, and every later change as
    /// it happens.
    pub fn follow(self: &Arc<Self>, catalog: &ExtensionCatalog) {
        let weak = Arc::downgrade(self);
        catalog.listen(move |change| {
            let Some(me) = weak.upgrade() else {
                return false;
            };
            match change {
                CatalogChange::Added(i) => me.add(&extension_entry(i.as_ref()), i.clone()),
                CatalogChange::Removed { name, reason } => me.remove(name, reason),
            }
            true
        });
        let present = catalog.instruments();
        for i in &present {
            let known = self
                .slots
                .read()
                .get(i.name())
                .is_some_and(|s| s.instrument.is_some());
            if !known {
                self.add(&extension_entry(i.as_ref()), i.clone());
            }
        }
        let left: Vec<String> = self
            .slots
            .read()
            .iter()
            .filter(|(n, s)| {
                s.kind == InstrumentKind::Extension && !present.iter().any(|i| i.name() == *n)
            })
            .map(|(n, _)| n.clone())
            .collect();
        for name in left {
            self.remove(&name, &format!("the extension {name} is not available"));
        }
    }

    /// The plan of a built-in command over the instruments there are now (the
    /// first is the default), for a Conductor that started with none; the notice
    /// saying how to configure one while there is still none.
    pub fn plan_builtin(
        &self,
        command: &crate::command::AiCommand,
    ) -> Result<Arc<crate::workflow::Plan>, String> {
        let names = self.names.read().clone();
        if names.is_empty() {
            return Err(super::super::HOW_TO_CONFIGURE.to_owned());
        }
        let wf = crate::workflow::builtin::builtin(command)
            .ok_or_else(|| "unknown command".to_owned())?;
        wf.plan(&names, names.first().map(String::as_str))
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }
}
