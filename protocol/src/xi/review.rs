//! Symphony's `symphony.review.*` additions: buffer revisions, rebasing an edit proposal
//! onto the current text through the edits made since, and applying accepted hunks as one
//! undo group. Documented in `docs/protocol.md`.
