//! What must not leak: files of buyers' data readable by others (under `umask 000` every file
//! sellerdesk writes is still 0600 and every folder 0700), and the SMTP password (never in the
//! database, its WAL, or anything printed).

use crate::support;

use sellerdesk::store::test_support::sql;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::reply::{prepare, send};
use sellerdesk::store::Store;

const MAIL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mail");

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// The real binary under `umask 000`.
fn loose(config: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = support::bin::sellerdesk_loose_umask(config.parent().unwrap());
    c.arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .args(["--now", "2026-11-22T12:00:00Z"])
        .args(args);
    c
}

fn run(mut c: Command) -> Output {
    let out = c.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every file under `root` is 0600 and every folder 0700; how many of each were looked at.
fn all_private(root: &Path) -> (usize, usize) {
    let (mut files, mut dirs) = (0, 0);
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        let m = mode(entry.path());
        if entry.file_type().is_dir() {
            assert_eq!(m, 0o700, "{}", entry.path().display());
            dirs += 1;
        } else {
            assert_eq!(m, 0o600, "{}", entry.path().display());
            files += 1;
        }
    }
    (files, dirs)
}

#[test]
fn under_umask_000_everything_written_is_private() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data/sellerdesk");
    let db = data.join("shop.db");
    let maildir = home.path().join("Mail");
    std::fs::create_dir(&maildir).unwrap();
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir(maildir.join(sub)).unwrap();
    }
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n\
             [store]\noutbox = \"{data}/outbox\"\n[delivery]\nsent_maildir = \"{data}/Sent\"\n\
             [[mailbox]]\npath = \"{maildir}\"\n",
            data = data.display(),
            maildir = maildir.display()
        ),
    )
    .unwrap();
    // The database, new, in folders that do not exist yet.
    run(loose(
        &config,
        &db,
        &[
            "import",
            &format!("{MAIL}/attachment.eml"),
            &format!("{MAIL}/buyer_inquiry.eml"),
        ],
    ));
    // -wal and -shm exist while a process holds the database: `watch` does.
    let mut watch = loose(&config, &db, &["watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !(wal.exists() && shm.exists()) {
        assert!(std::time::Instant::now() < deadline, "no -wal/-shm");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!((mode(&db), mode(&wal), mode(&shm)), (0o600, 0o600, 0o600));

    // A reply queued for the sender (here: sendmail, so send() leaves it queued)...
    {
        let config = Config {
            seller_addresses: vec!["support@example-shop.test".into()],
            delivery: sellerdesk::config::delivery::Delivery {
                transport: sellerdesk::config::delivery::Transport::Sendmail(
                    sellerdesk::config::delivery::Sendmail {
                        command: vec!["false".into()],
                    },
                ),
                sent_maildir: None,
            },
            ..Config::default()
        };
        let mut store = Store::open(&db).unwrap();
        let thread: i64 = sql(&store)
            .query_row(
                "SELECT id FROM threads WHERE subject LIKE '%Sofia%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let r = prepare(
            &store,
            &config,
            thread,
            "Hola Sofía, le enviamos otra.",
            now(),
        )
        .unwrap();
        send(&mut store, &config, thread, &r, now(), &[], None).unwrap();
    }
    // ...delivered by `send` into the outbox folder, with a copy in the Sent Maildir.
    let out = run(loose(&config, &db, &["send", "--json"]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["sent"], 1, "{json}");
    // A backup, a template export and saved attachments, each into a new folder.
    run(loose(
        &config,
        &db,
        &["backup", &format!("{}/backups/b.db", data.display())],
    ));
    run(loose(
        &config,
        &db,
        &[
            "templates",
            "export",
            &format!("{}/templates", data.display()),
        ],
    ));
    let sofia: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT id FROM threads WHERE subject LIKE '%Sofia%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    run(loose(
        &config,
        &db,
        &[
            "attachments",
            &sofia.to_string(),
            "--save",
            &format!("{}/files", data.display()),
        ],
    ));
    let _ = Command::new("kill").arg(watch.id().to_string()).status();
    watch.wait().unwrap();

    for sub in ["outbox", "Sent/cur", "backups", "templates", "files"] {
        assert!(
            std::fs::read_dir(data.join(sub)).unwrap().count() > 0,
            "{sub} holds something"
        );
    }
    let (files, dirs) = all_private(&data);
    println!("under umask 000: {files} files 0600, {dirs} folders 0700, none readable by others");
    assert!(files >= 8 && dirs >= 8, "{files} files, {dirs} folders");
}

#[test]
fn the_smtp_password_never_lands_in_the_database_or_the_output() {
    const SECRET: &str = "Planted-Secret-7f3a9c";
    let server = support::smtp::SmtpServer::start_tls();
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("shop.db");
    let config_path = home.path().join("config.toml");
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/cert.pem");
    std::fs::write(
        &config_path,
        format!(
            "[seller]\naddresses = [\"support@example-shop.test\"]\n[delivery.smtp]\n\
             host = \"localhost\"\nport = {}\nusername = \"support@example-shop.test\"\n\
             password_env = \"SHOP_PW\"\nca_file = \"{tls}\"\ntimeout_secs = 5\n",
            server.port
        ),
    )
    .unwrap();
    let config = Config::load(&config_path, true).unwrap();
    let mut store = Store::open(&db).unwrap();
    import_raw(
        &mut store,
        &config,
        [RawMail {
            bytes: std::fs::read(format!("{MAIL}/buyer_inquiry.eml")).unwrap(),
            delivered_at: None,
            source: "test".into(),
            cut: None,
        }],
        now(),
    )
    .unwrap();
    for body in ["First try.", "Second try."] {
        let r = prepare(&store, &config, 1, body, now()).unwrap();
        send(&mut store, &config, 1, &r, now(), &[], None).unwrap();
    }
    let mut printed = Vec::new();
    // Refused (the password is wrong), then accepted; text and JSON, with backtraces on.
    for (password, args) in [
        (SECRET, vec!["send"]),
        // Retried at once (the failure set its next try a minute on).
        (
            "s3cret",
            vec!["send", "--json", "--retry", "1", "--retry", "2"],
        ),
        ("s3cret", vec!["outbox", "--json"]),
        ("s3cret", vec!["check"]),
    ] {
        let out = support::bin::on(home.path(), Some(&config_path), &db, support::bin::NOW)
            .args(&args)
            .env("SHOP_PW", password)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        printed.extend(out.stdout);
        printed.extend(out.stderr);
    }
    assert_eq!(server.received().len(), 2, "the right password sent both");
    let text = String::from_utf8_lossy(&printed);
    assert!(text.contains("refused the login"), "{text}");
    // A bad config that names the password key: the error shows where, not what.
    std::fs::write(
        &config_path,
        format!("[delivery.smtp]\nhost = \"h\"\nusername = \"u\"\npassword = \"{SECRET}\"\n"),
    )
    .unwrap();
    let out = support::bin::sellerdesk(home.path())
        .arg("--config")
        .arg(&config_path)
        .args(["--db", db.to_str().unwrap(), "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    printed.extend(out.stdout);
    printed.extend(out.stderr);
    drop(store);
    let mut stored = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", db.display())) {
        stored.extend(wal);
    }
    let count = |hay: &[u8]| {
        hay.windows(SECRET.len())
            .filter(|w| *w == SECRET.as_bytes())
            .count()
    };
    println!(
        "planted password: {} times in the database and WAL, {} times in {} bytes of output",
        count(&stored),
        count(&printed),
        printed.len()
    );
    assert_eq!(count(&stored), 0);
    assert_eq!(count(&printed), 0);
}
