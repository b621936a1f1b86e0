//! A damaged database file: how to recognize one, and what to tell the seller about it.
//!
//! SQLite reports a torn or overwritten file as "database disk image is malformed" (or "file is
//! not a database"), which alone names neither the file nor a way out. Every message built here
//! names the file and the newest backup the database recorded, when it can still be read.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};

/// SQLite's own words mean the file's pages are damaged, not that a query was wrong.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

/// SQLite's reason without its error-code prefix ("database disk image is malformed").
pub fn words(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqliteFailure(code, None) => code.to_string(),
        other => other.to_string(),
    }
}

/// Is any error in this chain SQLite reporting a damaged file?
pub fn in_chain(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(sql) = e.downcast_ref::<rusqlite::Error>()
            && is_damage(sql)
        {
            return true;
        }
        if let Some(super::StoreError::Sqlite(sql)) = e.downcast_ref::<super::StoreError>()
            && is_damage(sql)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// The file beside the database that names its newest backup: `<db>.last-backup`.
pub fn last_backup_file(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.last-backup", db.display()))
}

/// Notes `backup` as the newest backup of `db`, beside it (0600, one line).
pub fn remember_backup(db: &Path, backup: &Path) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(last_backup_file(db))?;
    writeln!(file, "{}", backup.display())
}

/// The newest backup of a damaged database that still exists: from the database's own
/// record when that part can be read (read-only: a damaged file is never written to), else
/// from the note beside it.
pub fn newest_backup(db: &Path) -> Option<String> {
    let recorded = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|conn| {
        conn.query_row(
            "SELECT path FROM backups ORDER BY made_at DESC, id DESC LIMIT 1",
            [],
            |r| r.get::<_, String>(0),
        )
    })
    .ok();
    let noted = || {
        std::fs::read_to_string(last_backup_file(db))
            .ok()
            .and_then(|text| text.lines().next().map(str::to_string))
    };
    recorded
        .or_else(noted)
        .filter(|path| !path.is_empty() && Path::new(path).is_file())
}

/// What to do about a damaged database: restore the newest backup, by name when known.
pub fn advice(db: &Path) -> String {
    match newest_backup(db) {
        Some(backup) => format!(
            "restore the newest backup: sellerdesk --db {} restore {}",
            db.display(),
            backup
        ),
        None => format!(
            "restore your newest backup: sellerdesk --db {} restore BACKUP-FILE (the one \
             `sellerdesk backup` made; none is recorded that can still be read)",
            db.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_file_is_damage_and_a_busy_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "PRAGMA page_size=1024; CREATE TABLE t(x); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<2000) \
                 INSERT INTO t SELECT hex(randomblob(100)) FROM n;",
            )
            .unwrap();
        }
        let len = std::fs::metadata(&path).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        let conn = Connection::open(&path).unwrap();
        let e = conn
            .query_row("SELECT count(*) FROM t WHERE x LIKE '%Z%'", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_err();
        assert!(is_damage(&e), "{e}");
        assert!(!is_damage(&rusqlite::Error::QueryReturnedNoRows));
        let wrapped = anyhow::Error::from(e).context("reading threads");
        assert!(in_chain(wrapped.as_ref()));
        assert!(newest_backup(&path).is_none());
        assert!(advice(&path).contains("BACKUP-FILE"), "{}", advice(&path));
        // The note beside it names the backup once it exists.
        let backup = dir.path().join("monday.db");
        remember_backup(&path, &backup).unwrap();
        assert!(
            newest_backup(&path).is_none(),
            "a backup that is gone is not advice"
        );
        std::fs::write(&backup, b"x").unwrap();
        assert_eq!(newest_backup(&path).as_deref(), backup.to_str());
        assert!(advice(&path).ends_with("monday.db"), "{}", advice(&path));
    }
}
