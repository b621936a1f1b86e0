//! The search index built while an import stores mail. A thread with its own connection
//! indexes each batch the writer has committed while the writer collects the next one from the
//! parsers, so the index costs the import little more than the CPU it takes on the other core.
//! SQLite lets one connection write at a time: the two take turns through [`Alongside::turn`]
//! instead of sleeping in SQLite's busy handler.

use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::store::checkpointer::Checkpoints;
use crate::store::index_build::IndexBuild;
use crate::store::search_index::INDEX_CHUNK;
use crate::store::{Store, StoreError};

#[derive(Default)]
struct Signal {
    /// Commits the indexer has not looked at yet.
    waiting: bool,
    /// The import stored its last batch: index the rest and stop.
    done: bool,
}

/// What the writer and the indexer share.
#[derive(Default)]
pub struct Alongside {
    turn: Mutex<()>,
    signal: Mutex<Signal>,
    wake: Condvar,
}

impl Alongside {
    /// Held for each write transaction, by either side.
    pub fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The writer committed a batch.
    pub fn committed(&self) {
        self.tell(|s| s.waiting = true);
    }

    /// The writer stored everything (or stopped): the indexer finishes and returns.
    pub fn finish(&self) {
        self.tell(|s| s.done = true);
    }

    fn tell(&self, f: impl FnOnce(&mut Signal)) {
        let mut s = self.signal.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
        self.wake.notify_all();
    }

    /// Waits for a commit or the end; true at the end.
    fn next(&self) -> bool {
        let mut s = self.signal.lock().unwrap_or_else(|e| e.into_inner());
        while !s.waiting && !s.done {
            s = self.wake.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.waiting = false;
        s.done
    }

    /// The indexer: indexes what the writer committed, turn by turn, until the import ends and
    /// everything is indexed; how many messages it indexed.
    pub fn index(&self, db: &Path, checkpoints: &Checkpoints) -> Result<usize, StoreError> {
        let mut store = Store::open(db)?;
        if let Some(build) = IndexBuild::start(&store)?
            && let Some(n) = self.index_apart(build)?
        {
            return Ok(n);
        }
        // The usual way: into the database, turn by turn with the writer (after a scratch
        // index was dropped, from where the database's index is).
        let mut total = 0;
        loop {
            let last = self.next();
            loop {
                let n = {
                    let _turn = self.turn();
                    store.index_messages(INDEX_CHUNK)?
                };
                if n > 0 {
                    checkpoints.committed();
                }
                total += n;
                if n < INDEX_CHUNK {
                    break;
                }
            }
            if last {
                return Ok(total);
            }
        }
    }

    /// The indexer for a database whose index is empty: into a scratch file, never waiting for
    /// the writer, installed at the end; `None` when it could not be installed.
    fn index_apart(&self, mut build: IndexBuild) -> Result<Option<usize>, StoreError> {
        let mut total = 0;
        loop {
            let last = self.next();
            loop {
                let n = build.index_more(INDEX_CHUNK)?;
                total += n;
                if n < INDEX_CHUNK {
                    break;
                }
            }
            if last {
                let _turn = self.turn();
                return Ok(build.install()?.then_some(total));
            }
        }
    }
}
