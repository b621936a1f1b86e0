//! Checkpoints during a bulk import, on a thread of their own.
//!
//! In WAL mode every committed page is written twice: appended to the WAL, then copied into
//! the database by a checkpoint. Copying on the writer's thread stalls the writer (measured: a
//! quarter of its time), so a helper with its own connection copies while the writer goes on.
//! But SQLite only rewinds the WAL to its start when a write transaction begins with the WAL
//! fully copied; with the helper always one commit behind that never happens, and a 100k
//! import grew a 320 MB WAL into fresh file pages (on this machine's VM a second of kernel time
//! more than writing the same pages again). So before each transaction the writer asks
//! [`before_write`](Checkpoints::before_write): when the helper has caught up the WAL starts
//! over for free, and when it holds too many commits the writer waits for the copy first.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

#[derive(Default)]
struct State {
    /// Commits announced so far.
    committed: u64,
    /// Commits that a finished checkpoint attempt started after.
    copied: u64,
    /// Commits since the WAL last started over (as far as the writer knows: a reader in
    /// another process can hold it back, which only means a longer WAL).
    in_wal: u64,
    closed: bool,
}

impl State {
    fn caught_up(&self) -> bool {
        self.copied >= self.committed
    }
}

/// The writer's side of the helper: announce commits, wait for the copy to catch up.
#[derive(Clone, Default)]
pub struct Checkpoints {
    /// `None` without a helper (an in-memory database): both calls do nothing.
    shared: Option<Arc<(Mutex<State>, Condvar)>>,
}

impl Checkpoints {
    /// A commit happened: the helper copies it soon.
    pub fn committed(&self) {
        if let Some(shared) = &self.shared {
            let (lock, wake) = &**shared;
            if let Ok(mut s) = lock.lock() {
                s.committed += 1;
                s.in_wal += 1;
                wake.notify_all();
            }
        }
    }

    /// Called before a write transaction begins. If the helper has copied every commit, the
    /// transaction starts the WAL over; if not and the WAL holds `max_commits` already, waits
    /// for the copy so that it does. Otherwise returns at once and the WAL grows by one more.
    /// A reader holding an old snapshot (another terminal) can keep a copy from completing:
    /// that only means no rewind this time.
    pub fn before_write(&self, max_commits: u64) {
        let Some(shared) = &self.shared else { return };
        let Ok(mut s) = shared.0.lock() else { return };
        if !s.caught_up() && s.in_wal < max_commits {
            return;
        }
        while !s.caught_up() && !s.closed {
            s = match shared.1.wait(s) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
        s.in_wal = 0;
    }

    fn close(&self) {
        if let Some(shared) = &self.shared {
            let (lock, wake) = &**shared;
            if let Ok(mut s) = lock.lock() {
                s.closed = true;
                wake.notify_all();
            }
        }
    }
}

/// Runs `f` with a checkpoint helper on the database at `path` (none for `:memory:`).
pub fn with_helper<T>(path: &Path, f: impl FnOnce(&Checkpoints) -> T) -> rusqlite::Result<T> {
    if path == Path::new(":memory:") {
        return Ok(f(&Checkpoints::default()));
    }
    let helper = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    helper.busy_timeout(Duration::from_secs(5))?;
    let checkpoints = Checkpoints {
        shared: Some(Arc::new((Mutex::new(State::default()), Condvar::new()))),
    };
    Ok(std::thread::scope(|scope| {
        let theirs = checkpoints.clone();
        let spawned = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn_scoped(scope, move || copy_until_closed(&helper, &theirs));
        // No thread to spare: the WAL is copied once at the end instead.
        let checkpoints = match spawned {
            Ok(_) => checkpoints,
            Err(_) => Checkpoints::default(),
        };
        let value = f(&checkpoints);
        checkpoints.close();
        value
    }))
}

fn copy_until_closed(helper: &Connection, checkpoints: &Checkpoints) {
    let Some(shared) = &checkpoints.shared else {
        return;
    };
    let (lock, wake) = &**shared;
    loop {
        // Every commit announced while the last copy ran is covered by the next one.
        let target = {
            let Ok(mut s) = lock.lock() else { return };
            while s.copied >= s.committed && !s.closed {
                s = match wake.wait(s) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if s.closed {
                return;
            }
            s.committed
        };
        // PASSIVE never blocks the writer; a busy answer just means later.
        let _ = helper.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        let Ok(mut s) = lock.lock() else { return };
        s.copied = s.copied.max(target);
        wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames in the WAL and frames copied, after a checkpoint of the caller's own.
    fn wal_frames(conn: &Connection) -> (i64, i64) {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })
        .unwrap()
    }

    /// A helper's state without its thread: the test copies.
    fn detached() -> Checkpoints {
        Checkpoints {
            shared: Some(Arc::new((Mutex::new(State::default()), Condvar::new()))),
        }
    }

    fn copy_all(checkpoints: &Checkpoints) {
        let (lock, wake) = &**checkpoints.shared.as_ref().unwrap();
        let mut s = lock.lock().unwrap();
        s.copied = s.committed;
        wake.notify_all();
    }

    fn in_wal(checkpoints: &Checkpoints) -> u64 {
        checkpoints
            .shared
            .as_ref()
            .unwrap()
            .0
            .lock()
            .unwrap()
            .in_wal
    }

    #[test]
    fn the_writer_waits_only_once_the_wal_holds_enough_commits() {
        let checkpoints = detached();
        checkpoints.committed();
        // One commit not yet copied: no wait (this would block forever otherwise).
        checkpoints.before_write(2);
        assert_eq!(in_wal(&checkpoints), 1);
        checkpoints.committed();
        let copied = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                copied.store(true, std::sync::atomic::Ordering::SeqCst);
                copy_all(&checkpoints);
            });
            // Two: waits for the copy, and the WAL starts over.
            checkpoints.before_write(2);
            assert!(copied.load(std::sync::atomic::Ordering::SeqCst));
        });
        assert_eq!(in_wal(&checkpoints), 0);
    }

    #[test]
    fn a_helper_that_caught_up_starts_the_count_over() {
        let checkpoints = detached();
        checkpoints.committed();
        copy_all(&checkpoints);
        checkpoints.before_write(2);
        assert_eq!(in_wal(&checkpoints), 0);
        checkpoints.committed();
        checkpoints.before_write(2);
        assert_eq!(in_wal(&checkpoints), 1);
    }

    #[test]
    fn after_settling_the_wal_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut store = crate::store::Store::open(&path).unwrap();
        store
            .with_bulk_mode(|store, checkpoints| -> rusqlite::Result<()> {
                for _ in 0..6 {
                    let tx = store.begin()?;
                    tx.execute_batch("CREATE TABLE IF NOT EXISTS t (x BLOB)")?;
                    for _ in 0..200 {
                        tx.execute("INSERT INTO t VALUES (zeroblob(4000))", [])?;
                    }
                    tx.commit()?;
                    checkpoints.committed();
                    checkpoints.before_write(0);
                }
                Ok(())
            })
            .unwrap();
        // A round is ~52 frames of 16 KB, the schema written on opening ~75 more. Rewound
        // before each round, the WAL never holds more than the first round and the schema
        // (2.1 MB); the next transaction begun before the copy finished, it would hold them
        // all (6.3 MB).
        let wal = std::fs::metadata(path.with_extension("db-wal"))
            .unwrap()
            .len();
        assert!(wal < 3_000_000, "WAL grew to {wal} bytes");
    }

    #[test]
    fn without_settling_the_helper_still_copies_everything_by_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = crate::store::Store::open(&path).unwrap();
        store
            .conn()
            .execute_batch("CREATE TABLE t (x BLOB)")
            .unwrap();
        drop(store);
        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        with_helper(&path, |checkpoints| {
            for _ in 0..5 {
                writer
                    .execute("INSERT INTO t VALUES (zeroblob(100000))", [])
                    .unwrap();
                checkpoints.committed();
            }
            checkpoints.before_write(0);
        })
        .unwrap();
        let (log, copied) = wal_frames(&writer);
        assert_eq!(log, copied);
    }
}
