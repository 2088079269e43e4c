//! Host services from the client: a real extension process reads the focused
//! buffer, uses the clipboard and notifies through the client's state; a buffer edit
//! it was not granted gets an error reply, and one it was granted reaches the editor.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{feed, plain_lines, state_with, take};
use serde_json::{Value, json};
use symphony_extensions::{ExtensionHandle, Host, HostConfig, Manifest, Permissions};
use symphony_protocol::xi::EditNotification;
use symphony_tui::app::{PortCall, State};
use symphony_tui::motif::services::{ClientServices, HostCall, answer};
use tokio::sync::mpsc::UnboundedReceiver;

const START: Duration = Duration::from_secs(20);

/// An extension whose `call {method, params}` makes that host request and returns
/// the answer (or the host's error, as its own error reply).
const SCRIPT: &str = r#"
import sys
sys.path.insert(0, sys.argv[1])
from symphony_ext import Extension
ext = Extension("buffer-tool")

@ext.method("call")
def call(params):
    return ext.call_host(params["method"], params.get("params") or {})

ext.run()
"#;

fn manifest(dir: &Path) -> Manifest {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extensions/examples");
    let script = dir.join("main.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let toml = format!(
        "id = \"buffer-tool\"\nname = \"Buffer tool\"\nversion = \"0.1.0\"\ntype = \"operator\"\n\
         command = \"python3\"\nargs = [{:?}, {:?}]\n\
         [permissions]\nbuffer_read = true\nbuffer_write = true\nclipboard = true\nnotifications = true\n",
        script.display().to_string(),
        examples.display().to_string(),
    );
    let path = dir.join("extension.toml");
    std::fs::write(&path, toml).unwrap();
    Manifest::load(&path).unwrap()
}

/// Asks the extension to make a host request, answering the client's part from
/// `state` meanwhile (as the client's loop does).
async fn via(
    ext: &ExtensionHandle,
    state: &mut State,
    calls: &mut UnboundedReceiver<HostCall>,
    method: &str,
    params: Value,
) -> Result<Value, String> {
    let ext = ext.clone();
    let req = json!({"method": method, "params": params});
    let mut task = tokio::spawn(async move { ext.request("call", req).await });
    loop {
        tokio::select! {
            Some(call) = calls.recv() => answer(state, call),
            res = &mut task => return res.unwrap().map_err(|e| e.to_string()),
        }
    }
}

fn python() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn extensions_use_buffers_clipboard_and_notifications_within_their_grant() {
    if !python() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path());
    let (mut state, port) = state_with(Some("notes.txt"), 40, 8);
    feed(&mut state, 1, plain_lines(&["hello\n", "world\n", ""]));
    let (services, mut calls) = ClientServices::new(PathBuf::from(dir.path()));
    let host = Host::with_services(HostConfig::new(dir.path()), Arc::new(services));

    // Granted everything but editing buffers.
    let grant = Permissions {
        buffer_write: false,
        ..m.permissions.clone()
    };
    let ext = host.start(m.clone(), grant);
    ext.wait_active(START).await.unwrap();
    take(&port);

    let read = via(&ext, &mut state, &mut calls, "host.read_buffer", json!({}))
        .await
        .unwrap();
    assert_eq!(read["text"], "hello\nworld\n");
    assert_eq!(read["buffer"], 1);
    assert_eq!(read["complete"], true);
    let by_path = via(
        &ext,
        &mut state,
        &mut calls,
        "host.read_buffer",
        json!({"buffer": "notes.txt"}),
    )
    .await
    .unwrap();
    assert_eq!(by_path["text"], read["text"]);

    via(
        &ext,
        &mut state,
        &mut calls,
        "host.clipboard_set",
        json!({"text": "copied"}),
    )
    .await
    .unwrap();
    assert_eq!(state.clipboard.as_deref(), Some("copied"));
    let got = via(
        &ext,
        &mut state,
        &mut calls,
        "host.clipboard_get",
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(got, "copied");

    via(
        &ext,
        &mut state,
        &mut calls,
        "host.notify",
        json!({"message": "indexed 2 lines"}),
    )
    .await
    .unwrap();
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("buffer-tool: indexed 2 lines")
    );

    // Not granted: an error reply, counted, and the editor never sees the edit.
    let err = via(
        &ext,
        &mut state,
        &mut calls,
        "host.edit_buffer",
        json!({"text": "X"}),
    )
    .await
    .unwrap_err();
    assert!(err.contains("permission_denied"), "{err}");
    assert!(err.contains("edit a buffer"), "{err}");
    assert_eq!(ext.stats().denied, 1);
    assert!(take(&port).is_empty());

    // Granted: the edit reaches the editor through the client's port.
    let writer = host.start(m.clone(), m.permissions.clone());
    writer.wait_active(START).await.unwrap();
    let ok = via(
        &writer,
        &mut state,
        &mut calls,
        "host.edit_buffer",
        json!({"text": "X"}),
    )
    .await
    .unwrap();
    assert_eq!(ok["buffer"], 1);
    assert_eq!(
        take(&port),
        [PortCall::Edit(
            1,
            EditNotification::Insert { chars: "X".into() }
        )]
    );
    // A buffer that does not exist is an error reply too, not a crash.
    let err = via(
        &writer,
        &mut state,
        &mut calls,
        "host.edit_buffer",
        json!({"buffer": 99, "text": "X"}),
    )
    .await
    .unwrap_err();
    assert!(err.contains("no buffer 99"), "{err}");
}
