//! The SQLite store: one file, WAL, foreign keys, ordered migrations that never reset data.
//!
//! Every write goes through [`Store::write`], a `BEGIN IMMEDIATE` transaction: several processes
//! may share the file, and a deferred transaction that later writes can fail with SQLITE_BUSY
//! without waiting for the busy timeout.

pub mod account;
pub mod account_sql;
pub mod backup;
mod bulk;
pub mod casework;
pub mod checkpointer;
pub mod clocks;
pub mod damage;
pub mod drafts;
pub mod follow_ups;
pub mod health;
pub mod inbox;
pub mod index_build;
pub mod ingest;
pub mod instance;
mod key_set;
pub mod lookup;
pub mod lossy;
pub mod marks;
pub mod metric_days;
pub mod migrations;
pub mod outbox;
pub mod purge;
pub mod recurring;
pub mod reply;
pub mod responses;
pub mod search;
pub mod search_index;
pub mod snooze;
pub mod takes;
pub mod templates;
#[doc(hidden)]
pub mod test_support;
pub mod text_scan;
pub mod thread;
pub mod urgency;

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

/// Written into the database header so a foreign SQLite file is never migrated by mistake.
pub const APPLICATION_ID: i32 = 0x5344_4b31; // "SDK1"

/// Page size of new databases.
pub const PAGE_SIZE: i64 = 16_384;

/// Why a migration failed, without the SQL it was running (kilobytes of schema are no help).
fn migration_cause(e: &rusqlite_migration::Error) -> String {
    match e {
        rusqlite_migration::Error::RusqliteError { err, .. } => err.to_string(),
        rusqlite_migration::Error::Hook(message) => message.clone(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
    }
}

impl StoreError {
    /// SQLite saying the file is malformed becomes [`StoreError::Damaged`], naming the file and
    /// the way back.
    pub fn or_damaged(self, path: &Path) -> StoreError {
        let sql = match &self {
            StoreError::Sqlite(e) => e,
            StoreError::Migration {
                error: rusqlite_migration::Error::RusqliteError { err, .. },
                ..
            } => err,
            _ => return self,
        };
        if !damage::is_damage(sql) {
            return self;
        }
        StoreError::Damaged {
            path: path.to_path_buf(),
            detail: damage::words(sql),
            advice: damage::advice(path),
        }
    }
}

/// The schema version, application ID and number of tables, read in one statement: one
/// snapshot, so that another process's migration committing between two reads cannot pair
/// "no application ID yet" with "tables" (and call our own database another program's).
fn schema_state(conn: &Connection) -> rusqlite::Result<(i64, i32, i64)> {
    conn.query_row(
        "SELECT (SELECT user_version FROM pragma_user_version),
                (SELECT application_id FROM pragma_application_id),
                (SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// Held while a database is set up and migrated, so that two processes opening one new (or
/// old) database at once take turns: the second finds it migrated. An advisory `flock` on the
/// database file itself, apart from SQLite's own `fcntl` locks; released when dropped.
struct SetupLock(std::fs::File);

impl SetupLock {
    fn take(path: &Path) -> Result<SetupLock> {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open(path).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
        // SAFETY: flock on a descriptor this struct owns; blocks until the other setup ends.
        loop {
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(SetupLock(file));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    error: e,
                });
            }
        }
    }
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: unlocking the descriptor we locked.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// What is at a database path, judged without opening it with SQLite (a FIFO would block, a
/// device or another program's file must not be changed).
#[derive(Debug, PartialEq, Eq)]
enum Existing {
    Nothing,
    /// A zero-byte regular file.
    Empty,
    /// A SQLite file that is sellerdesk's, or a SQLite file with no schema yet, as found.
    Ours(Found),
}

/// How the database file was before this process opened it (opening sets WAL mode again, so
/// only this says whether another program changed it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// The header's read and write versions say WAL (2, 2).
    pub wal: bool,
}

fn existing(path: &Path) -> Result<Existing> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let refuse = |what| {
        Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
            what,
        })
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                error: source,
            });
        }
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        return refuse("a folder");
    }
    if kind.is_fifo() {
        return refuse("a FIFO (named pipe)");
    }
    if kind.is_socket() {
        return refuse("a socket");
    }
    if kind.is_char_device() || kind.is_block_device() {
        return refuse("a device");
    }
    if !kind.is_file() {
        return refuse("not a regular file");
    }
    if meta.len() == 0 {
        return Ok(Existing::Empty);
    }
    let mut header = [0u8; 100];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map(|_| true)
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Ok(false),
            _ => Err(e),
        })
        .map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
    if !read || !header.starts_with(b"SQLite format 3\0") {
        return refuse("not a SQLite database");
    }
    // The header's application ID (offset 68) and schema cookie (offset 40): another program's
    // database has its own ID, or none and a schema.
    let app_id = i32::from_be_bytes(header[68..72].try_into().expect("4 bytes"));
    let schema_cookie = u32::from_be_bytes(header[40..44].try_into().expect("4 bytes"));
    if app_id == APPLICATION_ID || (app_id == 0 && schema_cookie == 0) {
        Ok(Existing::Ours(Found {
            wal: header[18] == 2 && header[19] == 2,
        }))
    } else {
        Err(StoreError::Foreign {
            path: path.to_path_buf(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path}: the database is at schema version {found}, newer than this sellerdesk knows ({known}); it was not touched — use a newer sellerdesk"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{path}: not a sellerdesk database (it holds other tables); it was not touched")]
    Foreign { path: PathBuf },
    #[error("{path}: {what}, not a sellerdesk database; it was not touched")]
    NotADatabase { path: PathBuf, what: &'static str },
    #[error(
        "{path}: no database here — check --db or [store] db (`sellerdesk import` creates one)"
    )]
    Missing { path: PathBuf },
    #[error("{path}: {what} is not in effect ({actual}); the database was opened but not used")]
    Setting {
        path: PathBuf,
        what: &'static str,
        actual: String,
    },
    #[error("{path}: the database is damaged ({detail}); {advice}")]
    Damaged {
        path: PathBuf,
        detail: String,
        advice: String,
    },
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    // Not a `source`: error chains would print it, SQL text and all.
    #[error("{path}: migration failed: {}", migration_cause(.error))]
    Migration {
        path: PathBuf,
        error: rusqlite_migration::Error,
    },
    #[error("a template named \"{0}\" already exists")]
    NameTaken(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// How the file was before it was opened; `None`: created here (or in memory).
    found: Option<Found>,
}

/// Seconds since the epoch, the store's time representation.
pub fn to_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub fn from_secs(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Process-wide SQLite settings, applied before the first connection: memory statistics take
/// a global mutex on every allocation, and nothing here reads them.
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called before any connection exists (SQLite is not yet initialized); a
        // MISUSE answer, if it already was, leaves the default in place.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            );
        }
    });
}

impl Store {
    /// The default database path: the platform data folder.
    pub fn default_path() -> Option<PathBuf> {
        crate::config::project_dirs().map(|d| d.data_dir().join("sellerdesk.db"))
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Opens the database at `path`, creating it (and its folder) when nothing is there: for
    /// the commands that bring data (import, watch, the app, restore).
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_as(path, true)
    }

    /// Opens the database at `path`, which must exist: a mistyped path is an error, never a new
    /// empty database that reports "all clear".
    pub fn open_existing(path: &Path) -> Result<Store> {
        Store::open_as(path, false)
    }

    fn open_as(path: &Path, create: bool) -> Result<Store> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            error: source,
        };
        let found = match existing(path)? {
            Existing::Ours(found) => Some(found),
            Existing::Nothing if create => None,
            Existing::Nothing => {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
            Existing::Empty if create => None,
            Existing::Empty => {
                return Err(StoreError::NotADatabase {
                    path: path.to_path_buf(),
                    what: "an empty file",
                });
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io)?;
        }
        // Created 0600 before SQLite sees it: SQLite gives -wal and -shm the database's mode.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let meta = std::fs::metadata(path).map_err(io)?;
                if meta.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                        .map_err(io)?;
                }
            }
            Err(e) => return Err(io(e)),
        }
        configure_sqlite();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut store = Store::setup(conn, path.to_path_buf()).map_err(|e| e.or_damaged(path))?;
        store.found = found;
        Ok(store)
    }

    /// How the file was before this process opened it; `None`: it was created here.
    pub fn found(&self) -> Option<Found> {
        self.found
    }

    /// A private in-memory database (tests, the benchmark's scratch work).
    pub fn open_in_memory() -> Result<Store> {
        configure_sqlite();
        Store::setup(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(5))?;
        search_index::register(&conn)?;
        // Read-only checks first: a database we must refuse is never written to.
        let (version, app_id, foreign_tables) = schema_state(&conn)?;
        let known = migrations::latest_version();
        if version > known {
            return Err(StoreError::TooNew {
                path,
                found: version,
                known,
            });
        }
        if (app_id != 0 && app_id != APPLICATION_ID) || (app_id == 0 && foreign_tables > 0) {
            return Err(StoreError::Foreign { path });
        }
        // Up to date: nothing to change, nothing to wait for. Otherwise one process at a time
        // sets up and migrates; what the others read before is read again under the lock.
        let _setup = if version < known && path != Path::new(":memory:") {
            Some(SetupLock::take(&path)?)
        } else {
            None
        };
        let (version, _, foreign_tables) = schema_state(&conn)?;
        if version == 0 && foreign_tables == 0 {
            // Only a new, empty database can take a page size; a WAL database keeps its own.
            // 16 KiB: mail rows are a few KiB each; measured 30% faster imports than 4 KiB.
            conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        }
        if path != Path::new(":memory:") {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Setting {
                    path,
                    what: "journal_mode=WAL",
                    actual: mode,
                });
            }
        }
        conn.pragma_update(None, "foreign_keys", true)?;
        // WAL with NORMAL survives process crashes; only an OS crash can lose the last commit.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let fk: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
        if !fk {
            return Err(StoreError::Setting {
                path,
                what: "foreign_keys=ON",
                actual: "off".into(),
            });
        }
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrations()
            .to_latest(&mut conn)
            .map_err(|error| StoreError::Migration {
                path: path.clone(),
                error,
            })?;
        Ok(Store {
            conn,
            path,
            found: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read access; reads in WAL never block writers.
    /// Stops whatever this connection is running, from another thread: its statement fails
    /// and its transaction rolls back (the app's index catch-up gives way to a key).
    pub fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Changes whenever another connection (another terminal, `watch`, `send`, this app's own
    /// worker threads) commits: the cue to reload what is shown.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when `f` succeeds.
    pub(crate) fn write<T, E>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Starts a write transaction owned by the caller (bulk import).
    pub(crate) fn begin(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Runs `f` with settings for a bulk import, restored afterwards: a larger page cache keeps
    /// the growing indexes in memory (16 MiB: as fast as 32 MiB on 100k messages, with 15 MiB
    /// less peak memory), and checkpoints move to a helper thread
    /// ([`checkpointer`]); `f` announces its commits to it and, before writing, lets it catch up
    /// when the WAL holds enough (`Checkpoints::before_write`).
    pub fn with_bulk_mode<T, E: From<rusqlite::Error> + Send>(
        &mut self,
        f: impl FnOnce(&mut Store, &checkpointer::Checkpoints) -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn.pragma_update(None, "cache_size", -16_384)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let path = self.path.clone();
        let result = checkpointer::with_helper(&path, |checkpoints| f(self, checkpoints));
        // Whatever `f` did with them, foreign keys are checked per row again from here on.
        self.conn.pragma_update(None, "foreign_keys", true)?;
        // Best effort: these only tune speed, never correctness.
        let _ = self.conn.pragma_update(None, "cache_size", -2_000);
        let _ = self.conn.pragma_update(None, "wal_autocheckpoint", 1_000);
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        result?
    }

    /// Per-row foreign key checks on or off, between transactions of a bulk import whose
    /// batches check their references themselves ([`ingest::Batch`]); `with_bulk_mode` turns
    /// them back on.
    pub fn set_foreign_keys_per_row(&self, on: bool) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "foreign_keys", on)
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_error_says_its_reason_once() {
        let e = anyhow::Error::from(StoreError::Io {
            path: PathBuf::from("/x/inbox.db"),
            error: std::io::Error::from_raw_os_error(libc::EACCES),
        });
        assert_eq!(
            format!("{e:#}"),
            "/x/inbox.db: Permission denied (os error 13)"
        );
        let e = anyhow::Error::from(crate::reply::outbox::OutboxError::Io {
            path: PathBuf::from("/x/outbox"),
            error: std::io::Error::from_raw_os_error(libc::EACCES),
        });
        assert_eq!(
            format!("{e:#}"),
            "/x/outbox: Permission denied (os error 13)"
        );
    }

    #[test]
    fn a_failed_migration_says_why_without_its_sql() {
        let e = StoreError::Migration {
            path: PathBuf::from("/x/inbox.db"),
            error: rusqlite_migration::Error::RusqliteError {
                query: "CREATE TABLE threads (id INTEGER PRIMARY KEY)".into(),
                err: rusqlite::Error::InvalidQuery,
            },
        };
        let shown = format!("{:#}", anyhow::Error::from(e));
        assert!(
            shown.starts_with("/x/inbox.db: migration failed: "),
            "{shown}"
        );
        assert!(!shown.contains("CREATE"), "{shown}");
    }

    #[test]
    fn new_database_is_private_wal_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/inbox.db");
        let store = Store::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        let jm: String = store
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(jm, "wal");
        let fk: bool = store
            .conn()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk);
        assert_eq!(
            store.schema_version().unwrap(),
            migrations::latest_version()
        );
    }

    #[test]
    fn reopening_keeps_data_and_tightens_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        {
            let mut s = Store::open(&path).unwrap();
            s.write(|tx| {
                tx.execute(
                    "INSERT INTO threads (subject, created_at, last_message_at) VALUES ('kept', 0, 0)",
                    [],
                )
            })
            .unwrap();
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = Store::open(&path).unwrap();
        let n: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM threads", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn newer_database_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer than this sellerdesk"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!dir.path().join("future.db-wal").exists());
    }

    #[test]
    fn foreign_sqlite_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute("CREATE TABLE recipes (x)", [])
            .unwrap();
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::Foreign { .. })
        ));
    }
}
