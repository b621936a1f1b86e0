//! The search index brought up to date while the app runs (mail imported with
//! `--defer-index`, by another process, or an index rebuilt by a migration), on a thread of its
//! own at the lowest priority, in small steps: the screen never waits for it, and the write
//! lock is never held long enough to hold up a reply being sent.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::store::Store;

/// Messages per step: a few tens of milliseconds of work on the index's own core.
pub const STEP: usize = 2_000;

/// How often a caught-up index looks for mail another process stored.
const IDLE_LOOK: Duration = Duration::from_secs(5);

pub struct IndexCatchUp {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl IndexCatchUp {
    /// The thread on its own connection to `db`; `None` when it cannot be started (searches
    /// then read the messages not indexed yet themselves, as they always can).
    pub fn spawn(db: &Path) -> Option<IndexCatchUp> {
        let mut store = Store::open(db).ok()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("sellerdesk-index".into())
            .spawn(move || {
                lowest_priority();
                while !stopping.load(Ordering::Relaxed) {
                    // A busy database (a large import elsewhere) only means a later step.
                    let n = store.index_messages(STEP).unwrap_or(0);
                    if n < STEP {
                        std::thread::park_timeout(IDLE_LOOK);
                    }
                }
            })
            .ok()?;
        Some(IndexCatchUp {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for IndexCatchUp {
    /// Waits for the step in hand (at most one), so the app exits with its connection closed.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The scheduler gives the index thread only what the screen leaves.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread; a failure leaves its priority as it was.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
    }
}
