//! The tools an agent's model may call: the [`Tool`] trait (name, JSON schema, run),
//! the [`ToolRegistry`] the loop offers to the model, the [`ToolContext`] a call runs
//! with, and the built-in tools. MCP tools implement the same trait and register next
//! to the built-ins.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value;
use tokio::sync::mpsc;

use super::changes::ChangeSet;
use super::run::AgentUi;
use crate::instrument::{CancellationToken, ToolSpec};

pub mod ask;
pub mod command;
pub mod edit;
pub mod files;
pub mod grep;

/// What a tool does, for its default permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Reads the workspace (read_file, grep...).
    Read,
    /// Proposes file changes (never writes them).
    Edit,
    /// Runs programs.
    Run,
    /// Talks to the user.
    Ask,
}

/// What a tool call gives back to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// The text the model reads.
    pub content: String,
    /// Whether the call failed (the model reads `content` as the error).
    pub is_error: bool,
}

impl ToolOutput {
    /// A result.
    pub fn ok(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: false,
        }
    }

    /// An error the model can act on.
    pub fn error(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: true,
        }
    }
}

/// A boxed tool-call future.
pub type ToolFuture = Pin<Box<dyn Future<Output = ToolOutput> + Send + 'static>>;

/// A tool the model may call.
pub trait Tool: Send + Sync {
    /// Its name, description and argument schema, as offered to the model.
    fn spec(&self) -> ToolSpec;
    /// What kind of thing it does (for the default permission).
    fn access(&self) -> Access;
    /// A one-line summary of a call's arguments: the exact command or path, shown in
    /// the DAG node and in the permission prompt, and matched by remembered grants.
    fn summary(&self, args: &Value) -> String;
    /// Runs a call. Bad arguments are an error output, never a panic.
    fn run(&self, args: Value, ctx: ToolContext) -> ToolFuture;
}

/// The workspace a run works in. Every path a tool takes is resolved against its root;
/// paths that leave it are refused. Files open in the editor are read from their
/// buffers (unsaved changes included) when the client supplies them.
#[derive(Clone)]
pub struct Workspace {
    root: PathBuf,
    buffers: Option<crate::acp::fs::BufferText>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("root", &self.root)
            .field("buffers", &self.buffers.is_some())
            .finish()
    }
}

impl Workspace {
    /// The workspace rooted at `root` (made absolute and canonical when it exists).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Self {
            root,
            buffers: None,
        }
    }

    /// Reads open files through `buffers` (the editor's text, unsaved changes
    /// included) instead of the disk.
    pub fn with_buffers(mut self, buffers: crate::acp::fs::BufferText) -> Self {
        self.buffers = Some(buffers);
        self
    }

    /// The text of a file (relative to the root) as the user sees it: its open buffer,
    /// else the disk.
    pub fn read_text(&self, rel: &Path) -> std::io::Result<String> {
        let abs = self.absolute(rel);
        if let Some(text) = self.buffers.as_ref().and_then(|b| b(&abs)) {
            return Ok(text);
        }
        std::fs::read_to_string(abs)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` (relative to the root, or absolute inside it) as a path relative to the
    /// root, or a message saying why it is refused.
    pub fn relative(&self, path: &str) -> Result<PathBuf, String> {
        let given = Path::new(path.trim());
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.root.join(given)
        };
        // Lexical normalisation first (the file may not exist yet)...
        let mut normal = PathBuf::new();
        for part in joined.components() {
            match part {
                Component::ParentDir => {
                    if !normal.pop() {
                        return Err(outside(path));
                    }
                }
                Component::CurDir => {}
                other => normal.push(other.as_os_str()),
            }
        }
        // ...then symlinks of the longest existing ancestor.
        let mut existing = normal.as_path();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                _ => break,
            }
        }
        let mut real = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
        for name in rest.iter().rev() {
            real.push(name);
        }
        match real.strip_prefix(&self.root) {
            Ok(rel) => Ok(rel.to_path_buf()),
            Err(_) => Err(outside(path)),
        }
    }

    /// The absolute path of a path relative to the root.
    pub fn absolute(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }
}

fn outside(path: &str) -> String {
    format!("refused: {path} is outside the workspace; use a path inside it")
}

/// What a tool call runs with.
#[derive(Clone)]
pub struct ToolContext {
    /// The workspace.
    pub workspace: Arc<Workspace>,
    /// The run's proposed changes (edits add to it; reads see it).
    pub changes: Arc<Mutex<ChangeSet>>,
    /// Cancelled when the run is cancelled: tools stop, commands are killed.
    pub cancel: CancellationToken,
    /// Where a tool streams its output while it runs (run_command), into its node.
    pub output: Option<mpsc::Sender<String>>,
    /// The person, for ask_user.
    pub ui: Arc<dyn AgentUi>,
    /// Environment variables passed to commands (everything else is withheld).
    pub command_env: Arc<Vec<String>>,
}

impl ToolContext {
    /// The text of a workspace file as the run sees it: its proposed text when the run
    /// changed it, else its open buffer, else what is on disk.
    pub fn text_of(&self, rel: &Path) -> std::io::Result<String> {
        if let Some(text) = self.changes.lock().proposed(rel) {
            return Ok(text.to_string());
        }
        self.workspace.read_text(rel)
    }
}

/// The tools offered to the model, by name.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl ToolRegistry {
    /// The built-in tools: read_file, list_files, grep, edit_file, write_file,
    /// run_command and ask_user.
    pub fn builtin() -> Self {
        let mut r = Self::default();
        r.register(Arc::new(files::ReadFile));
        r.register(Arc::new(files::ListFiles));
        r.register(Arc::new(grep::Grep));
        r.register(Arc::new(edit::EditFile));
        r.register(Arc::new(edit::WriteFile));
        r.register(Arc::new(command::RunCommand::default()));
        r.register(Arc::new(ask::AskUser));
        r
    }

    /// Adds (or replaces) a tool under its spec's name.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        self.tools.insert(tool.spec().name, tool);
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.get(name)
    }

    /// The specs offered to the model.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.values().map(|t| t.spec()).collect()
    }
}

/// A string argument, or an error output naming it.
pub(crate) fn str_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, ToolOutput> {
    args.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| ToolOutput::error(format!("missing string argument `{name}`")))
}

/// An optional non-negative integer argument.
pub(crate) fn usize_arg(args: &Value, name: &str) -> Option<usize> {
    args.get(name).and_then(Value::as_u64).map(|n| n as usize)
}

#[cfg(test)]
pub(crate) mod testing {
    //! A context over a temporary workspace, for the tool tests.
    use super::*;

    /// A UI that answers every question with `answer` and grants nothing.
    pub(crate) struct FixedUi(pub(crate) Option<String>);

    impl AgentUi for FixedUi {
        fn ask_user(
            &self,
            _question: String,
        ) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> {
            let a = self.0.clone();
            Box::pin(async move { a })
        }
        fn ask_permission(
            &self,
            _request: super::super::permissions::PermissionRequest,
        ) -> Pin<Box<dyn Future<Output = super::super::permissions::Decision> + Send>> {
            Box::pin(async { super::super::permissions::Decision::Deny })
        }
    }

    pub(crate) fn context(root: &Path) -> ToolContext {
        ToolContext {
            workspace: Arc::new(Workspace::new(root)),
            changes: Arc::default(),
            cancel: CancellationToken::new(),
            output: None,
            ui: Arc::new(FixedUi(Some("yes".into()))),
            command_env: Arc::new(vec!["PATH".into()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_workspace_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        let ws = Workspace::new(dir.path());
        assert_eq!(ws.relative("src/../a.rs").unwrap(), PathBuf::from("a.rs"));
        assert_eq!(
            ws.relative("src/new/b.rs").unwrap(),
            PathBuf::from("src/new/b.rs")
        );
        assert!(
            ws.relative("../x")
                .unwrap_err()
                .contains("outside the workspace")
        );
        assert!(ws.relative("/etc/passwd").is_err());
        let abs = ws.root().join("src/c.rs");
        assert_eq!(
            ws.relative(abs.to_str().unwrap()).unwrap(),
            PathBuf::from("src/c.rs")
        );
        std::os::unix::fs::symlink("/etc", dir.path().join("link")).unwrap();
        assert!(ws.relative("link/passwd").is_err());
    }
}
