//! `backup`, `restore` and `check` through the real binary: a backup taken while another
//! connection writes is one consistent instant, a restore gives back exactly that, a restore
//! is refused while the database is in use, and `check` tells healthy from unsafe from damaged.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::bin;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// `sellerdesk --db DB ARGS`, at home in the database's folder.
fn sd(db: &Path, args: &[&str]) -> std::process::Output {
    bin::on(db.parent().unwrap(), None, db, bin::NOW)
        .args(args)
        .output()
        .unwrap()
}

/// A private folder with a database holding one thread.
fn shop() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let db = dir.path().join("shop.db");
    let mut store = Store::open(&db).unwrap();
    import_raw(
        &mut store,
        &Config::default(),
        [RawMail {
            bytes: b"From: \"Bob - Amazon Marketplace\" <t2bb@marketplace.amazon.com>\r\n\
                     Subject: Where is my order 111-4827163-0028371?\r\n\
                     Message-ID: <m1@amazon.test>\r\nDate: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
                     Hello?\r\n"
                .to_vec(),
            delivered_at: None,
            source: "test".into(),
            cut: None,
        }],
        now(),
    )
    .unwrap();
    (dir, db)
}

/// Every row of every table but the backup log, in a stable order: the contents compared.
fn contents(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE 'messages_fts%' AND name <> 'backups' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut cells = Vec::new();
                for i in 0..n {
                    cells.push(format!("{:?}", r.get_ref(i)?));
                }
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.extend(rows);
    }
    out
}

fn notes(db: &Path) -> Vec<usize> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut n: Vec<usize> = conn
        .prepare("SELECT detail FROM events WHERE kind = 'noted'")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| d.unwrap().trim_start_matches("note ").parse().unwrap())
        .collect();
    n.sort();
    n
}

#[test]
fn a_backup_taken_among_concurrent_writes_is_one_instant_and_restores_exactly() {
    let (dir, db) = shop();
    // Notes are written until the backup is done, and a few after: it lands among them.
    let backed_up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, backed_up) = (db.clone(), std::sync::Arc::clone(&backed_up));
        std::thread::spawn(move || {
            let mut store = Store::open(&db).unwrap();
            let mut after = 0;
            let mut i = 0;
            while after < 20 && i < 1000 {
                store
                    .add_note(1, &format!("note {i}"), now() + Duration::seconds(i))
                    .unwrap();
                i += 1;
                if backed_up.load(std::sync::atomic::Ordering::SeqCst) {
                    after += 1;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            i as usize
        })
    };
    // Taken once the notes are being written.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while notes(&db).len() < 50 {
        assert!(std::time::Instant::now() < deadline, "no notes written");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let backup = dir.path().join("backups/shop-now.db");
    let out = sd(&db, &["backup", backup.to_str().unwrap(), "--json"]);
    backed_up.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = writer.join().unwrap();

    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        !Path::new(&format!("{}-wal", backup.display())).exists(),
        "one file"
    );
    let taken = notes(&backup);
    // One instant: the first k notes, none missing in between.
    assert_eq!(taken, (0..taken.len()).collect::<Vec<_>>());
    assert!(
        (50..written).contains(&taken.len()),
        "taken while the writes went on: {} of {written}",
        taken.len()
    );
    println!(
        "backup taken after {} of {written} concurrent writes: consistent",
        taken.len()
    );
    assert_eq!(notes(&db).len(), written);

    let before_restore = contents(&backup);
    let out = sd(&db, &["restore", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(contents(&db), before_restore, "identical contents");
    // The database as it was before is kept, whole.
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(".before-restore-"))
        .expect("the replaced database kept");
    assert_eq!(notes(&kept).len(), written);
    // Both are listed for `check` and a later purge.
    let listed: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM backups", [], |r| r.get(0))
        .unwrap();
    assert!(listed >= 1);
}

#[test]
fn restore_is_refused_while_the_database_is_open_and_for_a_bad_file() {
    let (dir, db) = shop();
    let backup = dir.path().join("b.db");
    assert!(
        sd(&db, &["backup", backup.to_str().unwrap()])
            .status
            .success()
    );
    let before = contents(&db);

    let open_here = Store::open(&db).unwrap();
    let out = sd(&db, &["restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is open in another process"), "{err}");
    assert!(
        err.contains(&std::process::id().to_string()),
        "names it: {err}"
    );
    drop(open_here);

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"not a database at all, just text").unwrap();
    let out = sd(&db, &["restore", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(contents(&db), before, "nothing touched");

    // A backup never replaces a file.
    let out = sd(&db, &["backup", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never replaces a file"));
}

#[test]
fn check_says_healthy_unsafe_or_damaged() {
    let (dir, db) = shop();
    let check = |db: &Path| {
        let out = sd(db, &["check", "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let code = out.status.code().unwrap();
        println!("check: exit {code}, {json}");
        (code, json)
    };
    let (code, json) = check(&db);
    assert_eq!(
        (code, &json["status"]),
        (1, &serde_json::json!("warning")),
        "{json}"
    );
    assert!(json.to_string().contains("no backup made yet"), "{json}");
    assert!(
        sd(&db, &["backup", dir.path().join("b.db").to_str().unwrap()])
            .status
            .success()
    );
    let (code, json) = check(&db);
    assert_eq!(code, 0, "{json}");

    // Readable by others: a warning (before the app makes it private again).
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, json) = check(&db);
    assert_eq!(code, 1, "{json}");
    assert!(json.to_string().contains("is 644"), "{json}");

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, json) = check(&db);
    assert_eq!(code, 0, "{json}");

    // Taken out of WAL mode by another program: a warning, though opening sets WAL again.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    drop(conn);
    let (code, json) = check(&db);
    assert_eq!(code, 1, "{json}");
    assert!(json.to_string().contains("was not in WAL mode"), "{json}");
    let (code, json) = check(&db);
    assert_eq!(code, 0, "WAL again after the first check: {json}");

    // A row pointing at nothing, written behind sellerdesk's back: damaged.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO events (thread_id, at, kind, detail) VALUES (999, 0, 'noted', 'orphan');",
    )
    .unwrap();
    drop(conn);
    let (code, json) = check(&db);
    assert_eq!(
        (code, &json["status"]),
        (2, &serde_json::json!("damaged")),
        "{json}"
    );
    // An old backup is a warning of its own.
    let (dir2, db2) = shop();
    assert!(
        sd(
            &db2,
            &["backup", dir2.path().join("b.db").to_str().unwrap()]
        )
        .status
        .success()
    );
    let out = bin::on(dir2.path(), None, &db2, "2026-12-05T12:00:00Z")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("13 days old"));
}

/// Makes the database many pages long (two thousand notes) and folds its WAL in, so that
/// damage to the file is damage to the data.
fn grow(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO events (thread_id, at, kind, detail)
         SELECT (SELECT min(id) FROM threads), i, 'noted', 'note ' || i || hex(randomblob(60))
         FROM n;",
    )
    .unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
}

#[test]
fn a_torn_or_zeroed_database_is_reported_damaged_with_its_newest_backup_and_restores() {
    for damage in ["truncated", "zeroed"] {
        let (dir, db) = shop();
        grow(&db);
        let backup = dir.path().join("monday.db");
        assert!(
            sd(&db, &["backup", backup.to_str().unwrap()])
                .status
                .success()
        );
        rusqlite::Connection::open(&db)
            .unwrap()
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
        let len = std::fs::metadata(&db).unwrap().len();
        {
            use std::io::{Seek, Write};
            let mut file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
            if damage == "truncated" {
                file.set_len(len / 2).unwrap();
            } else {
                // The second half of the pages, as a disk that lost them would give back.
                file.seek(std::io::SeekFrom::Start(len / 2)).unwrap();
                file.write_all(&vec![0u8; (len - len / 2) as usize])
                    .unwrap();
            }
        }
        let damaged_bytes = std::fs::read(&db).unwrap();

        let out = sd(&db, &["check"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{damage}: {text}");
        assert!(text.contains("DAMAGED integrity"), "{damage}: {text}");
        assert!(
            text.contains(db.to_str().unwrap()),
            "names the file: {text}"
        );
        assert!(
            text.contains(&format!("restore {}", backup.display())),
            "{damage}: names the newest backup and the command: {text}"
        );
        let out = sd(&db, &["check", "--json"]);
        assert_eq!(out.status.code(), Some(2));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], "damaged", "{json}");
        assert!(
            json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["check"] == "restore" && f["level"] == "damaged"),
            "{json}"
        );

        if damage == "truncated" {
            // Any other command names the file and the way back, not SQLite's words alone.
            let out = sd(&db, &["status"]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{err}");
            assert!(
                err.contains(&format!("{}: the database is damaged", db.display())),
                "{err}"
            );
            assert!(err.contains("restore"), "{err}");
        }

        let out = sd(&db, &["restore", backup.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{damage}: a damaged database can be restored over: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(contents(&db), contents(&backup), "{damage}");
        let kept: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(&"Z".to_string()))
            .filter(|p| p.to_string_lossy().contains(".before-restore-"))
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(
            std::fs::read(&kept[0]).unwrap(),
            damaged_bytes,
            "the damaged file is kept as it was"
        );
        let out = sd(&db, &["check"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("ok      integrity"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn stored_text_that_is_not_utf8_is_shown_lossily_and_check_names_its_row() {
    let (_dir, db) = shop();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let id: i64 = conn
        .query_row("SELECT min(id) FROM threads", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        // Overdue too, so that `status` lists it.
        "UPDATE threads SET subject = CAST(x'576865726520FF3F' AS TEXT),
                clock_start = clock_start - 2 * 86400 WHERE id = ?1",
        [id],
    )
    .unwrap();
    drop(conn);
    let out = sd(&db, &["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Where \u{FFFD}?"), "{text}");
    let out = sd(&db, &["status", "--json"]);
    assert!(out.status.success() || out.status.code() == Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Where \u{FFFD}?"));

    let out = sd(&db, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("threads id={id} subject")),
        "names the row: {text}"
    );
    assert!(text.contains("WARNING text"), "{text}");
}

#[test]
fn restore_is_refused_while_another_process_holds_the_database_through_a_hard_link() {
    let (dir, db) = shop();
    let backup = dir.path().join("b.db");
    assert!(
        sd(&db, &["backup", backup.to_str().unwrap()])
            .status
            .success()
    );
    let link = dir.path().join("other-name.db");
    std::fs::hard_link(&db, &link).unwrap();
    let before = contents(&db);
    // Another process with the file open under the other name.
    let mut holder = Command::new("sleep")
        .arg("60")
        .stdin(std::fs::File::open(&link).unwrap())
        .spawn()
        .unwrap();
    let out = sd(&db, &["restore", backup.to_str().unwrap()]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("is open in another process"), "{err}");
    assert!(err.contains(&holder.id().to_string()), "names it: {err}");
    assert_eq!(contents(&db), before, "nothing touched");
}
