//! The person as Symphony's agent loop sees them while [`AgentRunner`](super::AgentRunner)
//! runs it: each permission ask or `ask_user` question goes to the running run's task,
//! which shows it as a node and waits for the client's `choose` or `answer`; with no
//! run listening, permissions are refused and questions dismissed.

use std::future::Future;
use std::pin::Pin;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::permissions::{Decision, PermissionRequest};
use super::run::AgentUi;

/// A question the loop is waiting on, sent to the run's task.
pub(crate) enum Ask {
    /// A permission for a call.
    Permission(PermissionRequest, oneshot::Sender<Decision>),
    /// The model's `ask_user`.
    Question(String, oneshot::Sender<Option<String>>),
}

/// The person as the loop sees them: asks go to the run's task, which shows them as
/// nodes and waits for `choose` / `answer`.
#[derive(Default)]
pub(crate) struct RunUi {
    /// Where the running run's task hears the questions (`None`: no run).
    pub(crate) current: Mutex<Option<mpsc::UnboundedSender<Ask>>>,
}

impl AgentUi for RunUi {
    fn ask_user(&self, question: String) -> Pin<Box<dyn Future<Output = Option<String>> + Send>> {
        let (tx, rx) = oneshot::channel();
        let sent = self
            .current
            .lock()
            .as_ref()
            .is_some_and(|c| c.send(Ask::Question(question, tx)).is_ok());
        Box::pin(async move {
            if !sent {
                return None;
            }
            rx.await.ok().flatten()
        })
    }

    fn ask_permission(
        &self,
        request: PermissionRequest,
    ) -> Pin<Box<dyn Future<Output = Decision> + Send>> {
        let (tx, rx) = oneshot::channel();
        let sent = self
            .current
            .lock()
            .as_ref()
            .is_some_and(|c| c.send(Ask::Permission(request, tx)).is_ok());
        Box::pin(async move {
            if !sent {
                return Decision::Deny;
            }
            rx.await.unwrap_or(Decision::Deny)
        })
    }
}
