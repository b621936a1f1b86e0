//! A database's first search index built apart: in a scratch file beside it, while an import
//! stores mail. SQLite lets one connection write a file at a time, so an index written into the
//! database itself waits for every batch the import writes, and the import for every step of
//! the index; written into its own file, the two run side by side on two cores.
//!
//! At the end the scratch index is installed: its tables copied into the database's (empty)
//! index in one transaction, with how far it reaches. It is dropped instead, and the messages
//! indexed the usual way, when the database's index is no longer empty (the app's catch-up
//! thread indexed meanwhile) or a purge ran meanwhile (the scratch index could hold words the
//! purge took out of the messages).

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::search_index::{self, INDEXED_COLUMNS};
use super::{Store, StoreError};

/// The index's tables that hold its entries (`fts5` keeps them beside the virtual table).
/// `_config`, its settings, stays the database's.
const SHADOW_TABLES: [&str; 3] = [
    "messages_fts_data",
    "messages_fts_idx",
    "messages_fts_docsize",
];

/// The scratch index's in-memory buffer: it fills over a whole import, so a large one is the
/// import's largest allocation. Measured on 100k relay-style messages (five alternated runs,
/// medians): 64 MiB 6.73 s and 200 MB peak RSS, 16 MiB 6.16 s and 182 MB, 8 MiB 6.15 s and
/// 176 MB.
const BUILD_HASHSIZE: i64 = 8 << 20;

/// Messages read at a time.
const READ_CHUNK: usize = 2_000;

/// The scratch index: its own connection (the database attached as `store`), written in one
/// transaction from start to install, so `fts5` keeps the words in memory and writes few
/// segments (a transaction per 8,000 messages took 30% longer); and a connection that reads
/// the messages as the import commits them.
pub struct IndexBuild {
    conn: Connection,
    read: Connection,
    path: PathBuf,
    /// The newest message id indexed.
    upto: i64,
    /// The database's purge count when the build started.
    purges: i64,
}

/// The scratch file for the database at `db`.
fn scratch_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-index-build");
    PathBuf::from(name)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    }
}

fn remove_scratch(path: &Path) -> Result<(), StoreError> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(path)(e)),
            _ => {}
        }
    }
    Ok(())
}

impl Store {
    /// The database's purges so far: a purge between a build's start and its install keeps the
    /// build out.
    fn purge_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM purges", [], |r| r.get(0))?)
    }
}

impl IndexBuild {
    /// Starts a scratch index for `store`'s database when its index is empty (a first import,
    /// or after the index was dropped to be rebuilt); `None` otherwise, or for an in-memory
    /// database. A scratch file an interrupted import left is removed either way.
    pub fn start(store: &Store) -> Result<Option<IndexBuild>, StoreError> {
        let db = store.path().to_path_buf();
        if db == Path::new(":memory:") {
            return Ok(None);
        }
        // Whatever a stopped import left goes. A build still running in another import keeps
        // its open file, and its install is refused if this one installs first.
        let path = scratch_path(&db);
        remove_scratch(&path)?;
        if store.indexed_upto()? != 0 {
            return Ok(None);
        }
        let purges = store.purge_count()?;
        let definition: Option<String> = store
            .conn()
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages_fts'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(definition) = definition else {
            return Ok(None);
        };
        let built = (|| -> Result<IndexBuild, StoreError> {
            // Private from the start: it holds the buyers' words (as the database does).
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(io(&path))?;
            let conn = Connection::open(&path)?;
            // Disposable: a crash loses the build, never the database, which is untouched
            // until the install.
            conn.pragma_update(None, "journal_mode", "OFF")?;
            conn.pragma_update(None, "synchronous", "OFF")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            search_index::register(&conn)?;
            conn.execute("ATTACH DATABASE ?1 AS store", [db.to_string_lossy()])?;
            // The same index as the database's: its definition and its settings (but a
            // smaller buffer).
            conn.execute_batch(&definition)?;
            let settings: Vec<(String, rusqlite::types::Value)> = conn
                .prepare("SELECT k, v FROM store.messages_fts_config WHERE k <> 'version'")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (key, value) in settings {
                conn.execute(
                    "INSERT INTO main.messages_fts (messages_fts, rank) VALUES (?1, ?2)",
                    params![key, value],
                )?;
            }
            conn.execute(
                "INSERT INTO main.messages_fts (messages_fts, rank) VALUES ('hashsize', ?1)",
                [BUILD_HASHSIZE],
            )?;
            conn.execute_batch("BEGIN")?;
            let read = Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            read.busy_timeout(std::time::Duration::from_secs(5))?;
            search_index::register(&read)?;
            Ok(IndexBuild {
                conn,
                read,
                path: path.clone(),
                upto: 0,
                purges,
            })
        })();
        if built.is_err() {
            let _ = remove_scratch(&path);
        }
        built.map(Some)
    }

    /// Indexes up to `limit` messages the database holds beyond what is indexed; how many.
    /// They are read a few thousand at a time and the read ends before they are indexed: a
    /// reader left on an old snapshot would keep the import's checkpoints from catching up.
    pub fn index_more(&mut self, limit: usize) -> Result<usize, StoreError> {
        let mut n = 0;
        while n < limit {
            let rows = self.read_messages(READ_CHUNK.min(limit - n))?;
            let Some(&(last, ..)) = rows.last() else {
                break;
            };
            let mut insert = self.conn.prepare_cached(
                "INSERT INTO main.messages_fts (rowid, subject, body, from_name)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, subject, body, from_name) in &rows {
                insert.execute(params![id, subject, body, from_name])?;
            }
            self.upto = last;
            n += rows.len();
        }
        Ok(n)
    }

    /// The next `limit` messages' text as the index takes it.
    fn read_messages(
        &self,
        limit: usize,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let mut read = self.read.prepare_cached(&format!(
            "SELECT {INDEXED_COLUMNS} FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = read.query_map(params![self.upto, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Copies the scratch index into the database's, when its index is still empty and no
    /// purge ran since the start; whether it did. The scratch file goes either way.
    pub fn install(mut self) -> Result<bool, StoreError> {
        self.conn.execute_batch("COMMIT")?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (indexed_upto, purges): (i64, i64) = tx.query_row(
            "SELECT (SELECT indexed_upto FROM store.search_state WHERE id = 1),
                    (SELECT count(*) FROM store.purges)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if indexed_upto != 0 || purges != self.purges {
            return Ok(false);
        }
        for table in SHADOW_TABLES {
            tx.execute_batch(&format!(
                "DELETE FROM store.{table};
                 INSERT INTO store.{table} SELECT * FROM main.{table};"
            ))?;
        }
        tx.execute(
            "UPDATE store.search_state SET indexed_upto = ?1 WHERE id = 1",
            [self.upto],
        )?;
        tx.commit()?;
        Ok(true)
    }
}

impl Drop for IndexBuild {
    fn drop(&mut self) {
        // Best effort: a file left behind is replaced by the next build.
        let _ = remove_scratch(&self.path);
    }
}

/// Removes a scratch index an interrupted import left beside the database at `db` (it holds
/// words of the messages it indexed: a purge takes it away).
pub fn remove_leftover(db: &Path) -> Result<(), StoreError> {
    remove_scratch(&scratch_path(db))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::inbox::Filter;
    use chrono::{DateTime, TimeZone, Utc};

    const QUERIES: [&str; 7] = [
        "bob wilson",
        "4827163",
        "crushed den",
        "KAFFEEMUHLE",
        "緩衝材",
        "damaged",
        "order:111-4827163",
    ];

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    /// The demo database, and what each of `QUERIES` finds in it.
    fn demo(dir: &Path) -> (Store, Vec<Vec<i64>>) {
        let (store, _) = crate::demo::build(&dir.join("d.db"), now()).unwrap();
        let found = found(&store);
        assert!(found.iter().all(|ids| !ids.is_empty()), "{found:?}");
        (store, found)
    }

    fn found(store: &Store) -> Vec<Vec<i64>> {
        QUERIES
            .iter()
            .map(|q| {
                let rows = store.search_threads(Filter::All, None, q, now(), 50);
                rows.unwrap().iter().map(|r| r.id).collect()
            })
            .collect()
    }

    /// The index dropped and created again empty, with its settings, as a migration does.
    fn empty_index(store: &Store) {
        let c = store.conn();
        let sql: String = c
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        c.execute_batch(&format!(
            "DROP TABLE messages_fts; {sql};
             INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 1048576);
             UPDATE search_state SET indexed_upto = 0;"
        ))
        .unwrap();
    }

    fn settings(store: &Store) -> Vec<(String, i64)> {
        let mut stmt = store
            .conn()
            .prepare("SELECT k, v FROM messages_fts_config ORDER BY k")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Builds the whole index apart, a few messages at a time.
    fn build(store: &Store) -> IndexBuild {
        let mut build = IndexBuild::start(store).unwrap().expect("an empty index");
        while build.index_more(7).unwrap() > 0 {}
        build
    }

    #[test]
    fn an_index_built_apart_finds_what_the_usual_one_does_and_its_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, before) = demo(dir.path());
        assert!(
            IndexBuild::start(&store).unwrap().is_none(),
            "only an empty index is built apart"
        );
        empty_index(&store);
        let settings_before = settings(&store);
        let build = build(&store);
        let scratch = scratch_path(store.path());
        assert!(scratch.exists());
        assert!(build.install().unwrap());
        assert!(!scratch.exists());
        assert_eq!(found(&store), before);
        assert_eq!(settings(&store), settings_before);
        let newest: i64 = store
            .conn()
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(store.indexed_upto().unwrap(), newest);
        assert_eq!(store.index_all_messages().unwrap(), 0, "nothing left");
        store
            .conn()
            .execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 0)",
                [],
            )
            .unwrap();
    }

    #[test]
    fn an_index_that_moved_on_or_a_purge_keeps_the_build_out() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, before) = demo(dir.path());
        // The app's catch-up thread indexed some meanwhile: the rest the usual way.
        empty_index(&store);
        let apart = build(&store);
        store.index_messages(5).unwrap();
        assert!(!apart.install().unwrap());
        assert!(!scratch_path(store.path()).exists());
        store.index_all_messages().unwrap();
        assert_eq!(found(&store), before);
        // A purge ran meanwhile: the build may hold words it took out.
        empty_index(&store);
        let apart = build(&store);
        store.purge_pii(now(), 100_000, None).unwrap();
        assert!(!apart.install().unwrap());
        assert_eq!(store.indexed_upto().unwrap(), 0);
    }

    #[test]
    fn a_scratch_file_left_behind_is_replaced_or_purged() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = demo(dir.path());
        let scratch = scratch_path(store.path());
        // Left while the index is not empty: the next import's indexer removes it.
        std::fs::write(&scratch, "words of a buyer").unwrap();
        assert!(IndexBuild::start(&store).unwrap().is_none());
        assert!(!scratch.exists());
        std::fs::write(&scratch, "not a database, words of a buyer").unwrap();
        empty_index(&store);
        let apart = IndexBuild::start(&store).unwrap().unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&scratch).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "private like the database");
        drop(apart);
        assert!(!scratch.exists(), "dropped with the build");
        std::fs::write(&scratch, "words of a buyer").unwrap();
        remove_leftover(store.path()).unwrap();
        assert!(!scratch.exists());
    }
}
