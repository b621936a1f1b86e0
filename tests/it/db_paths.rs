//! What `--db` may point at: only the commands that bring data create a database; every other
//! command on a missing path (or an empty file) exits 3 naming it, creating nothing; and a path
//! that is not a sellerdesk database — a FIFO, a text file, another program's SQLite file — is
//! refused untouched (mode, contents, no `-wal` beside it).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-22T12:00:00Z";

fn sd(home: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = crate::support::bin::on(home, None, db, NOW);
    c.args(args).stdin(Stdio::null());
    c
}

/// Runs it, killing it if it takes longer than 20 s (a FIFO opened for reading would block).
fn run(home: &Path, db: &Path, args: &[&str]) -> Output {
    let mut child = sd(home, db, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{args:?} on {} blocked", db.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail/buyer_inquiry.eml")
}

/// Every command that only reads or acts on what is there, with the arguments it needs.
fn readers(home: &Path) -> Vec<Vec<String>> {
    let draft = home.join("draft.txt");
    std::fs::write(&draft, "Hello").unwrap();
    let draft = draft.display().to_string();
    let backup = home.join("backup.db").display().to_string();
    [
        vec!["status"],
        vec!["status", "--json"],
        vec![],
        vec!["check"],
        vec!["metrics"],
        vec!["report"],
        vec!["index"],
        vec!["send"],
        vec!["outbox"],
        vec!["reply", "1", "--body-file", &draft],
        vec!["attachments", "1"],
        vec!["backup", &backup],
        vec!["purge-pii"],
        vec!["templates", "list"],
        vec!["check-draft", &draft, "--thread", "1"],
        vec!["feedback", "restore", "111-4827163-0028371"],
    ]
    .into_iter()
    .map(|a| a.into_iter().map(str::to_string).collect())
    .collect()
}

#[test]
fn a_mistyped_path_is_an_error_not_a_new_empty_database() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("typo").join("inbox.db");
    for args in readers(home.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(home.path(), &db, &args);
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {said}");
        assert!(
            said.contains(&db.display().to_string()) && said.contains("no database here"),
            "{args:?}: {said}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("All clear"),
            "{args:?}"
        );
        assert!(
            !db.parent().unwrap().exists(),
            "{args:?} created the folder"
        );
    }
    // A zero-byte file is not a database either.
    std::fs::create_dir(db.parent().unwrap()).unwrap();
    std::fs::write(&db, "").unwrap();
    let out = run(home.path(), &db, &["status"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("an empty file"));
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);

    // The commands that bring data create it; then the others work.
    std::fs::remove_file(&db).unwrap();
    let out = run(home.path(), &db, &["import", fixture().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = run(home.path(), &db, &["status"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// Mode, bytes and neighbours of a file, to see it untouched.
fn snapshot(path: &Path) -> (u32, Vec<u8>, Vec<String>) {
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    // Reading a FIFO would block this test: only regular files' bytes.
    let bytes = if std::fs::metadata(path).unwrap().is_file() {
        std::fs::read(path).unwrap()
    } else {
        Vec::new()
    };
    let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (mode, bytes, names)
}

#[test]
fn a_fifo_a_text_file_or_another_programs_database_is_refused_untouched() {
    let home = tempfile::tempdir().unwrap();
    let place = |name: &str| {
        let dir = home.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        dir.join(name)
    };
    let fifo = place("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o644)).unwrap();

    let text = place("notes.txt");
    std::fs::write(&text, "my shopping list\n").unwrap();
    std::fs::set_permissions(&text, std::fs::Permissions::from_mode(0o644)).unwrap();

    let other = place("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE songs (title TEXT);")
            .unwrap();
    }
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();

    let other_app = place("app-id.sqlite");
    {
        let conn = rusqlite::Connection::open(&other_app).unwrap();
        conn.execute_batch("PRAGMA application_id = 42;").unwrap();
    }
    std::fs::set_permissions(&other_app, std::fs::Permissions::from_mode(0o644)).unwrap();

    for (path, why) in [
        (&fifo, "FIFO"),
        (&text, "not a SQLite database"),
        (&other, "not a sellerdesk database"),
        (&other_app, "not a sellerdesk database"),
    ] {
        let before = snapshot(path);
        for args in [
            &["status"][..],
            &["import", fixture().to_str().unwrap()][..],
        ] {
            let out = run(home.path(), path, args);
            let said = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(3),
                "{} {args:?}: {said}",
                path.display()
            );
            assert!(
                said.contains(why) && said.contains("not touched"),
                "{} {args:?}: {said}",
                path.display()
            );
            assert_eq!(snapshot(path), before, "{} {args:?}", path.display());
        }
    }
}

#[test]
fn processes_opening_one_new_or_old_database_at_once_take_turns_and_all_work() {
    let home = tempfile::tempdir().unwrap();
    let v1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db/v1.sqlite");
    for round in 0..10 {
        // A new database, three imports started together; and an old one migrated by three.
        let new = home.path().join(format!("new-{round}")).join("inbox.db");
        let old = home.path().join(format!("old-{round}.db"));
        std::fs::copy(&v1, &old).unwrap();
        let fixture = fixture();
        let mut children: Vec<(&str, std::process::Child)> = Vec::new();
        for _ in 0..3 {
            children.push((
                "import",
                sd(home.path(), &new, &["import", fixture.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            ));
            children.push((
                "status",
                sd(home.path(), &old, &["status"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            ));
        }
        for (what, child) in children {
            let out = child.wait_with_output().unwrap();
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.code().is_some_and(|c| c < 3),
                "round {round}, {what}: {:?} {said}",
                out.status
            );
            assert!(!said.contains("CREATE"), "no SQL in errors: {said}");
        }
        let conn = rusqlite::Connection::open(&new).unwrap();
        let messages: i64 = conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(messages, 1, "round {round}");
    }
}
