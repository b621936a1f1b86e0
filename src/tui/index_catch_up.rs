//! The search index brought up to date while the app runs (mail imported with
//! `--defer-index`, by another process, or an index rebuilt by a migration), on a thread of its
//! own: in small steps, at a lower priority, and only while no key has been pressed for a
//! moment. A step holds SQLite's write lock, so a key that writes (opening a thread marks it
//! read) would wait for it: a key interrupts the step in hand (its transaction rolls back and
//! is done again later), and no step starts until the keys are still.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::store::Store;

/// Messages per step: about 20 ms of work.
pub const STEP: usize = 500;

/// No step starts until the keys have been still this long.
const QUIET: Duration = Duration::from_millis(300);

/// How often a caught-up index looks for mail another process stored.
const IDLE_LOOK: Duration = Duration::from_secs(5);

pub struct IndexCatchUp {
    stop: Arc<AtomicBool>,
    interrupt: rusqlite::InterruptHandle,
    /// Milliseconds after `started` of the last key.
    last_key: Arc<AtomicU64>,
    started: Instant,
    thread: Option<JoinHandle<()>>,
}

impl IndexCatchUp {
    /// The thread on its own connection to `db`; `None` when it cannot be started (searches
    /// then read the messages not indexed yet themselves, as they always can).
    pub fn spawn(db: &Path) -> Option<IndexCatchUp> {
        let mut store = Store::open(db).ok()?;
        let interrupt = store.interrupt_handle();
        let stop = Arc::new(AtomicBool::new(false));
        let last_key = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let (stopping, keys) = (Arc::clone(&stop), Arc::clone(&last_key));
        let thread = std::thread::Builder::new()
            .name("sellerdesk-index".into())
            .spawn(move || {
                lower_priority();
                while !stopping.load(Ordering::Relaxed) {
                    let since_key = Duration::from_millis(
                        (started.elapsed().as_millis() as u64)
                            .saturating_sub(keys.load(Ordering::Relaxed)),
                    );
                    if since_key < QUIET {
                        std::thread::park_timeout(QUIET - since_key);
                        continue;
                    }
                    match store.index_messages(STEP) {
                        Ok(n) if n < STEP => std::thread::park_timeout(IDLE_LOOK),
                        Ok(_) => {}
                        // Interrupted by a key, or the database busy (a large import
                        // elsewhere): a later step.
                        Err(_) => std::thread::park_timeout(QUIET),
                    }
                }
            })
            .ok()?;
        Some(IndexCatchUp {
            stop,
            interrupt,
            last_key,
            started,
            thread: Some(thread),
        })
    }

    /// A key was pressed: the step in hand gives way, and no step starts for a moment.
    pub fn key_pressed(&self) {
        self.last_key
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.interrupt.interrupt();
    }
}

impl Drop for IndexCatchUp {
    /// Stops the step in hand and waits for the thread, so the app exits with its connection
    /// closed and no step half done.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.interrupt.interrupt();
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The screen and the response rates come first when the cores are busy. Not the lowest
/// priority: a starved step would hold the write lock for seconds.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread; a failure leaves its priority as it was.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::sql;
    use chrono::{TimeZone, Utc};

    #[test]
    fn an_index_left_behind_catches_up_after_keys_interrupt_it() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let (store, _) = crate::demo::build(&path, now).unwrap();
        sql(&store)
            .execute_batch(
                "INSERT INTO messages_fts (messages_fts) VALUES ('delete-all');
                 UPDATE search_state SET indexed_upto = 0;",
            )
            .unwrap();
        let newest: i64 = sql(&store)
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .unwrap();
        let catch_up = IndexCatchUp::spawn(&path).unwrap();
        for _ in 0..10 {
            catch_up.key_pressed();
            std::thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while store.indexed_upto().unwrap() < newest {
            assert!(Instant::now() < deadline, "caught up");
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(catch_up);
        let found = store
            .search_threads(
                crate::store::inbox::Filter::All,
                None,
                "kaffeemühle",
                now,
                50,
            )
            .unwrap();
        assert_eq!(found.len(), 2);
        let indexed: i64 = sql(&store)
            .query_row(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'kaffeemühle'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(indexed >= 2, "found through the index");
    }
}
