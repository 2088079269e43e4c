//! Effects: what a feature's update hands back for the rest of the client to do. A
//! feature that owns its state changes only that state and returns effects (a message,
//! an overlay to open, a request to send, a step of its own to apply); [`run`] carries
//! them out on the [`State`]. Opening an overlay is an effect, not a push from the
//! feature. The language-intelligence replies are the first feature on this path
//! (`lsp::LspState::on_reply`); see docs/architecture.md, "Where a new feature goes".

use super::State;
use crate::lsp::LspAction;
use crate::overlays::Overlay;
use crate::session::Request;

/// One thing a feature asks the client to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A message on the status line.
    Say(String),
    /// An error on the status line.
    Error(String),
    /// An overlay on top of the others.
    OpenOverlay(Overlay),
    /// `request` about `view`, sent as request `id` (taken from
    /// [`RequestIds`]; the feature remembered what its answer is for).
    Request {
        /// The client's view handle.
        view: u64,
        /// The request id.
        id: u64,
        /// The request.
        request: Request,
    },
    /// A language-intelligence step (a jump), applied as the `lsp_*` commands are.
    Lsp(LspAction),
}

/// Hands out request ids (the client's one counter) to features that build
/// [`Effect::Request`]s without the whole [`State`].
#[derive(Debug)]
pub struct RequestIds<'a>(pub &'a mut u64);

impl RequestIds<'_> {
    /// The next unused id.
    pub fn take(&mut self) -> u64 {
        let id = *self.0;
        *self.0 += 1;
        id
    }
}

/// Carries out `effects` in order.
pub fn run(state: &mut State, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Say(text) => state.say(text),
            Effect::Error(text) => state.error(text),
            Effect::OpenOverlay(overlay) => state.overlays.push(overlay),
            Effect::Request { view, id, request } => state.send_request(view, id, request),
            Effect::Lsp(action) => crate::lsp::apply(state, action),
        }
    }
}
