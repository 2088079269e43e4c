//! A small cancellation token on tokio primitives (cancel once, observe many times).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A cloneable cancellation flag that can be awaited.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use symphony_pit::dag::CancelToken;
/// let t = CancelToken::new();
/// let t2 = t.clone();
/// let waiter = tokio::spawn(async move { t2.cancelled().await; 1 });
/// t.cancel();
/// assert_eq!(waiter.await.unwrap(), 1);
/// assert!(t.is_cancelled());
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicBool,
    notify: Notify,
}

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels; every waiter wakes up. Idempotent.
    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::Release);
        self.inner.notify.notify_waiters();
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::Acquire)
    }

    /// Resolves when cancelled (at once if already).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}
