//! Symphony's `symphony.lsp.*` additions: what the editor process's language-server clients
//! report to the terminal client (diagnostics, completions, hover, locations, edits) and what
//! the client asks of them. Documented in `docs/protocol.md`.
