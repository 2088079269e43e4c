//! [`HostServices`]: what the host does for an extension's requests once the
//! permission check has passed.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use serde_json::{Value, json};

/// The answer to a host request, computed later (e.g. by the client's main loop).
pub type ServiceFuture = Pin<Box<dyn Future<Output = Result<Value, String>> + Send + 'static>>;

/// Serves `host.*` requests (already permission-checked). Errors are messages sent back
/// to the extension.
pub trait HostServices: Send + Sync + 'static {
    /// Handles `method` with `params` for extension `ext_id`.
    fn call(&self, ext_id: &str, method: &str, params: &Value) -> Result<Value, String>;

    /// Like [`HostServices::call`], answered asynchronously: a service that needs
    /// another task (the editor session, the client's state) returns a future here.
    /// The default answers at once with [`HostServices::call`]. The host calls this
    /// one.
    fn call_async(&self, ext_id: &str, method: &str, params: Value) -> ServiceFuture {
        let answer = self.call(ext_id, method, &params);
        Box::pin(std::future::ready(answer))
    }
}

/// Files relative to the workspace, notifications to the log, `host.ping`; buffers,
/// clipboard, spawning and network are not available (the editor's host provides them).
#[derive(Debug, Clone)]
pub struct DefaultServices {
    root: PathBuf,
}

impl DefaultServices {
    /// Services for the workspace at `root`.
    pub fn new(root: PathBuf) -> Self {
        DefaultServices { root }
    }

    /// The path asked for, refused when symlinks lead it out of the workspace (the
    /// permission check before is lexical).
    fn path(&self, params: &Value) -> Result<PathBuf, String> {
        let p = params
            .get("path")
            .and_then(Value::as_str)
            .ok_or("missing `path`")?;
        let full = self.root.join(Path::new(p));
        let root = self.root.canonicalize().map_err(|e| e.to_string())?;
        // For a file that does not exist yet, check the folder it goes in.
        let real = full
            .canonicalize()
            .or_else(|_| {
                let parent = full.parent().ok_or("no parent folder")?;
                let name = full.file_name().ok_or("no file name")?;
                parent
                    .canonicalize()
                    .map(|d| d.join(name))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| format!("{p}: {e}"))?;
        if Path::new(p).is_relative() && !real.starts_with(&root) {
            return Err(format!("{p} leads outside the workspace"));
        }
        Ok(real)
    }
}

impl HostServices for DefaultServices {
    fn call(&self, ext_id: &str, method: &str, params: &Value) -> Result<Value, String> {
        match method {
            "host.ping" => Ok(json!("pong")),
            "host.read_file" => {
                let p = self.path(params)?;
                std::fs::read_to_string(&p)
                    .map(Value::String)
                    .map_err(|e| format!("{}: {e}", p.display()))
            }
            "host.write_file" => {
                let p = self.path(params)?;
                let text = params.get("text").and_then(Value::as_str).unwrap_or("");
                std::fs::write(&p, text)
                    .map(|()| json!({"written": text.len()}))
                    .map_err(|e| format!("{}: {e}", p.display()))
            }
            "host.notify" => {
                let msg = params.get("message").and_then(Value::as_str).unwrap_or("");
                tracing::info!(ext = %ext_id, message = %msg, "extension notification");
                Ok(Value::Null)
            }
            other => Err(format!("{other} is not available in this host")),
        }
    }
}
