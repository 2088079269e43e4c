//! What the live-extension tests share: a host with short backoffs, a Conductor
//! started on a catalog, an "ask" workflow, waiting for a run's end and for a
//! condition.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use symphony_conductor::command::AiCommand;
use symphony_conductor::conductor::{Conductor, ConductorConfig, default_factory};
use symphony_conductor::events::{ConductorEvent, RunId, RunOutcome};
use symphony_conductor::extension_bridge::ExtensionCatalog;
use symphony_extensions::{Host, HostConfig};
use tokio::sync::mpsc::UnboundedReceiver;

/// The longest any step of these tests may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// Whether python3 runs here (the extensions are Python programs).
pub fn python_available() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// An extension host for workspace `ws` that restarts crashed extensions quickly.
pub fn host(ws: &Path) -> Host {
    let mut c = HostConfig::new(ws);
    c.request_timeout = Duration::from_secs(20);
    c.backoff = Duration::from_millis(20);
    c.max_backoff = Duration::from_millis(50);
    Host::new(c)
}

/// A Conductor started with `config` (TOML) and the instruments of `catalog`.
pub fn start(
    ws: &Path,
    catalog: &ExtensionCatalog,
    config: &str,
) -> (Conductor, UnboundedReceiver<ConductorEvent>) {
    let mut cfg: ConductorConfig = toml::from_str(config).unwrap();
    cfg.store_dir = ws.join("artifacts");
    let factory = catalog.install(&mut cfg, default_factory());
    Conductor::start_with(cfg, factory).unwrap()
}

/// A user workflow "ask": the prompt `template` sent to instrument `instrument`.
pub fn ask_workflow(instrument: &str, template: &str) -> String {
    format!(
        "[[workflows]]\nname = \"ask\"\nanswer = \"answer\"\n\
         [[workflows.nodes]]\nid = \"prompt\"\nkind = \"prompt\"\ntemplate = \"{template}\"\n\
         [[workflows.nodes]]\nid = \"answer\"\nkind = \"model\"\ninstrument = \"{instrument}\"\n\
         depends_on = [\"prompt\"]\n"
    )
}

/// Runs the "ask" workflow.
pub fn ask(instruction: Option<&str>) -> AiCommand {
    AiCommand::Workflow {
        name: "ask".into(),
        instruction: instruction.map(Into::into),
    }
}

/// How a run ended.
pub struct Finished {
    /// Its outcome.
    pub outcome: RunOutcome,
    /// The tokens it streamed.
    pub streamed: String,
    /// Its answer.
    pub answer: Option<String>,
}

/// Waits for the end of `run`.
pub async fn finish(events: &mut UnboundedReceiver<ConductorEvent>, run: RunId) -> Finished {
    let mut streamed = String::new();
    loop {
        let ev = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("the run ends in time")
            .expect("events");
        match ev {
            ConductorEvent::Token { run: r, text, .. } if r == run => streamed.push_str(&text),
            ConductorEvent::RunFinished {
                run: r,
                outcome,
                answer,
            } if r == run => {
                return Finished {
                    outcome,
                    streamed,
                    answer,
                };
            }
            _ => {}
        }
    }
}

/// Polls `check` until it holds (true) or [`WAIT`] passes (false).
pub async fn until(mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}
