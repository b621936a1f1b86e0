//! Backups with SQLite's online backup: a consistent copy taken while other terminals write
//! (one read transaction), written under a hidden name and renamed into place; and restoring
//! one, refused while any other process has the database open.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError, from_secs, to_secs};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BackupRecord {
    pub path: String,
    #[serde(serialize_with = "crate::text::time_fmt::serialize_rfc3339")]
    pub made_at: DateTime<Utc>,
    pub size: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        error: source,
    }
}

/// Copies every page of `from` into `to` in one step: one read transaction on `from`, so the
/// copy is the database as of one instant, whatever is written meanwhile.
fn copy_all(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    use rusqlite::backup::StepResult;
    let backup = rusqlite::backup::Backup::new(from, to)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        // -1: every page in this one step.
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // A writer holds the lock for a moment: try again (each try starts over).
            StepResult::Busy | StepResult::Locked | StepResult::More
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            _ => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database stayed busy for 30 s".into()),
                ));
            }
        }
    }
}

impl Store {
    /// Writes a consistent copy of the database to `target` (0600; never over an existing
    /// file) and records it. Returns its size.
    pub fn backup_to(&mut self, target: &Path, now: DateTime<Utc>) -> Result<u64, StoreError> {
        if target.exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists: a backup never replaces a file; choose another name",
                target.display()
            )));
        }
        let dir = match target.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.to_path_buf(),
            None => PathBuf::from("."),
        };
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(io(&dir))?;
        }
        let staged = tempfile::Builder::new()
            .prefix(".sellerdesk-backup-")
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(&dir)
            .map_err(io(&dir))?;
        {
            let mut out = Connection::open(staged.path())?;
            copy_all(self.conn(), &mut out)?;
            // The copy stands alone: one file, no -wal beside it.
            out.pragma_update(None, "journal_mode", "DELETE")?;
            let check: String = out.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(StoreError::Invalid(format!(
                    "the copy failed its check ({check}); nothing was written"
                )));
            }
        }
        staged.as_file().sync_all().map_err(io(target))?;
        let size = staged.as_file().metadata().map_err(io(target))?.len();
        staged
            .persist_noclobber(target)
            .map_err(|e| io(target)(e.error))?;
        let path = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
        self.write(|tx| {
            tx.execute(
                "INSERT INTO backups (path, made_at, size) VALUES (?1, ?2, ?3)",
                rusqlite::params![path.to_string_lossy(), to_secs(now), size as i64],
            )
        })?;
        // Also beside the database: a damaged database file cannot say where its backup is.
        // Only a hint for that day, so failing to write it fails nothing.
        if self.path() != Path::new(":memory:") {
            let _ = super::damage::remember_backup(self.path(), &path);
        }
        Ok(size)
    }

    /// The backups made of this database, newest first.
    pub fn backups(&self) -> Result<Vec<BackupRecord>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path, made_at, size FROM backups ORDER BY made_at DESC, id DESC")?;
        let rows = stmt.query_map([], |r| {
            Ok(BackupRecord {
                path: r.get(0)?,
                made_at: from_secs(r.get(1)?),
                size: r.get::<_, i64>(2)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Other processes with `db` (or its -wal/-shm) open, as `pid (name)`: Linux's /proc. Files
/// are compared by device and inode, so a process that opened the database through another
/// name (a hard link, a symlinked folder) is found too.
pub fn other_users(db: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let files: Vec<(u64, u64)> = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect();
    let me = std::process::id();
    let mut users = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return users;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        // metadata() follows /proc's link to the open file itself, whatever its name.
        if fds
            .flatten()
            .filter_map(|fd| std::fs::metadata(fd.path()).ok())
            .any(|m| files.contains(&(m.dev(), m.ino())))
        {
            let name = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
            users.push(format!("{pid} ({})", name.trim()));
        }
    }
    users
}

/// Replaces the database at `db` with the backup `from`, after checking it is a sellerdesk
/// database in good order, and keeping the current one beside it (`<db>.before-restore-<time>`).
/// Refused while another process has the database open. Returns where the old one went.
pub fn restore(db: &Path, from: &Path, now: DateTime<Utc>) -> Result<PathBuf, StoreError> {
    let users = other_users(db);
    if !users.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{} is open in another process ({}): close the app, `watch` and `send` there first",
            db.display(),
            users.join(", ")
        )));
    }
    // Checked read-only first: a bad backup never touches the live database.
    {
        let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| StoreError::Invalid(format!("{}: {e}", from.display())))?;
        let app_id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| StoreError::Invalid(format!("{}: {e}", from.display())))?;
        if app_id != super::APPLICATION_ID {
            return Err(StoreError::Foreign {
                path: from.to_path_buf(),
            });
        }
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = super::migrations::latest_version();
        if version > known {
            return Err(StoreError::TooNew {
                path: from.to_path_buf(),
                found: version,
                known,
            });
        }
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StoreError::Invalid(format!(
                "{} is damaged ({check}); nothing was restored",
                from.display()
            )));
        }
    }
    let kept = PathBuf::from(format!(
        "{}.before-restore-{}",
        db.display(),
        now.format("%Y%m%dT%H%M%SZ")
    ));
    // The current database, kept whole first; a damaged one cannot be copied page by page, so
    // its files are moved aside as they are and a new database takes its place.
    let (mut current, damaged) = match Store::open(db) {
        Ok(mut current) => {
            current.backup_to(&kept, now)?;
            (current, false)
        }
        Err(StoreError::Damaged { .. }) => {
            set_aside(db, &kept)?;
            (Store::open(db)?, true)
        }
        Err(e) => return Err(e),
    };
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    copy_all(&source, &mut current.conn)?;
    drop(current);
    // Opened again: an older backup is migrated to this version.
    let mut store = Store::open(db)?;
    if damaged {
        return Ok(kept);
    }
    store.write(|tx| {
        tx.execute(
            "INSERT INTO backups (path, made_at, size) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                kept.to_string_lossy(),
                to_secs(now),
                std::fs::metadata(&kept).map(|m| m.len()).unwrap_or(0) as i64
            ],
        )
    })?;
    Ok(kept)
}

/// Moves a damaged database's files (with its -wal, which belongs to it) to `kept`, never over
/// an existing file; its -shm is only shared memory and is removed.
fn set_aside(db: &Path, kept: &Path) -> Result<(), StoreError> {
    for suffix in ["", "-wal"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        let to = PathBuf::from(format!("{}{suffix}", kept.display()));
        if !from.exists() {
            continue;
        }
        if to.exists() {
            return Err(StoreError::Invalid(format!(
                "{} exists: nothing was restored",
                to.display()
            )));
        }
        std::fs::rename(&from, &to).map_err(io(&from))?;
    }
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    match std::fs::remove_file(&shm) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&shm)(e)),
        _ => Ok(()),
    }
}
