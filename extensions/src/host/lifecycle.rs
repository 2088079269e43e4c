//! The extension lifecycle state machine; invalid transitions are rejected.

use serde::Serialize;

/// Where an extension is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Its manifest was found.
    Discovered,
    /// Accepted by the host, no process yet.
    Loaded,
    /// Its process is starting (initialize + activate in flight), or restarting.
    Activating,
    /// Running and answering.
    Active,
    /// Being asked to stop.
    Deactivating,
    /// Stopped; can be activated again.
    Inactive,
    /// Gone from the host.
    Unloaded,
    /// Gave up (too many crashes, ...); the reason is kept.
    Failed,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid lifecycle transition {from:?} -> {to:?}")]
pub struct InvalidTransition {
    /// The current state.
    pub from: State,
    /// The state asked for.
    pub to: State,
}

impl State {
    /// Whether `self -> to` is allowed.
    pub fn can_go_to(self, to: State) -> bool {
        use State::*;
        matches!(
            (self, to),
            (Discovered, Loaded)
                | (Discovered, Unloaded)
                | (Loaded, Activating)
                | (Loaded, Unloaded)
                | (Activating, Active)
                // A crash while starting: try again.
                | (Activating, Activating)
                // A crash or a hang while running: restart.
                | (Active, Activating)
                | (Activating, Deactivating)
                | (Active, Deactivating)
                | (Deactivating, Inactive)
                | (Inactive, Activating)
                | (Inactive, Unloaded)
                | (Failed, Activating)
                | (Failed, Unloaded)
                | (Loaded | Activating | Active | Deactivating, Failed)
        )
    }

    /// `Ok(to)` if allowed, else the error.
    pub fn transition(self, to: State) -> Result<State, InvalidTransition> {
        if self.can_go_to(to) {
            Ok(to)
        } else {
            Err(InvalidTransition { from: self, to })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::State::*;

    #[test]
    fn the_happy_path_is_allowed_and_shortcuts_are_not() {
        let path = [
            Discovered,
            Loaded,
            Activating,
            Active,
            Deactivating,
            Inactive,
            Unloaded,
        ];
        for w in path.windows(2) {
            assert!(w[0].transition(w[1]).is_ok(), "{:?} -> {:?}", w[0], w[1]);
        }
        assert!(Discovered.transition(Active).is_err());
        assert!(Unloaded.transition(Activating).is_err());
        assert!(Inactive.transition(Active).is_err());
        assert!(Failed.transition(Active).is_err());
    }
}
