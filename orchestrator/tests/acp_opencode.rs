//! The ACP client against the real OpenCode (`opencode-ai` from the npm registry,
//! installed by this test into `~/.cache/symphony/opencode` when missing; the test is
//! skipped with the reason printed when it cannot be). Only the handshake: OpenCode
//! answers `initialize` and `session/new` offline; a turn would need a model.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use symphony_conductor::acp::{AcpAgent, AgentConfig};

fn opencode() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let prefix = Path::new(&home).join(".cache/symphony/opencode");
    let bin = prefix.join("node_modules/.bin/opencode");
    if bin.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "opencode-ai"])
        .current_dir(&prefix)
        .output()
        .map_err(|e| format!("npm: {e}"))?;
    if !out.status.success() || !bin.exists() {
        return Err(format!(
            "npm install opencode-ai failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(bin)
}

#[tokio::test]
async fn the_real_opencode_opens_a_session_in_the_workspace() {
    let bin = match opencode() {
        Ok(b) => b,
        Err(reason) => {
            println!("skipped: OpenCode is not available: {reason}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = AgentConfig {
        name: "opencode".into(),
        command: bin.display().to_string(),
        args: vec!["acp".into()],
        // Its own state in a scratch home, so the test leaves the user's alone.
        env: [
            ("HOME".to_owned(), home.path().display().to_string()),
            (
                "XDG_DATA_HOME".to_owned(),
                home.path().join("data").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".to_owned(),
                home.path().join("config").display().to_string(),
            ),
            (
                "XDG_STATE_HOME".to_owned(),
                home.path().join("state").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".to_owned(),
                home.path().join("cache").display().to_string(),
            ),
        ]
        .into(),
        default_mode: None,
        default_model: None,
        mcp_servers: Vec::new(),
    };
    let started = tokio::time::timeout(
        Duration::from_secs(120),
        AcpAgent::start(&config, dir.path(), Arc::new(|_: &Path| None)),
    )
    .await
    .expect("OpenCode's handshake hung");
    let (agent, _events) = match started {
        Ok(a) => a,
        Err(e) => panic!("OpenCode did not start: {e}"),
    };
    let info = agent.info().agent_info.as_ref().map(|i| i.name.clone());
    assert_eq!(info.as_deref(), Some("OpenCode"));
    assert!(!agent.session().session_id.0.is_empty());
    assert!(!agent.info().auth_methods.is_empty());
    agent.kill();
}
