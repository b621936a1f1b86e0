//! `watch` is idle when no mail arrives: it reads a message once, when it is delivered, never
//! again — not after its own reads, not when a mail client moves it from `new/` to `cur/` or
//! changes its flags, not at the safety-net rescan (run every 200 ms here, through the
//! library). File opens are counted with inotify.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, EventKind};
use notify::{RecursiveMode, Watcher};

const NOW: &str = "2026-11-22T12:00:00Z";

fn message(i: usize) -> String {
    format!(
        "From: \"Buyer {i} - Amazon Marketplace\" <b{i}@marketplace.amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: Inquiry from Amazon customer Buyer {i} (Order: 111-0000000-{i:07})\r\n\
         Message-ID: <watch-{i}@amazon.test>\r\n\
         Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
         Where is my parcel? Order 111-0000000-{i:07}.\r\n"
    )
}

/// A Maildir of `n` messages, half read (`cur/`, `:2,S`), half new.
fn maildir(root: &Path, n: usize) -> PathBuf {
    let dir = root.join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for i in 0..n {
        let path = if i % 2 == 0 {
            dir.join(format!("cur/{i}.1700000000.host:2,S"))
        } else {
            dir.join(format!("new/{i}.1700000000.host"))
        };
        std::fs::write(path, message(i)).unwrap();
    }
    dir
}

/// Delivered as a mail server does: written into `tmp/`, renamed into `new/`.
fn deliver(dir: &Path, i: usize) -> PathBuf {
    let name = format!("{i}.1700000100.host");
    std::fs::write(dir.join("tmp").join(&name), message(i)).unwrap();
    let to = dir.join("new").join(&name);
    std::fs::rename(dir.join("tmp").join(&name), &to).unwrap();
    to
}

/// Every file opened in the Maildir's `new/` and `cur/` from now on.
struct Opens {
    _watcher: notify::RecommendedWatcher,
    events: Receiver<notify::Result<notify::Event>>,
}

impl Opens {
    fn watch(dir: &Path) -> Opens {
        let (tx, events) = channel();
        let mut watcher = notify::recommended_watcher(tx).unwrap();
        for sub in ["new", "cur"] {
            watcher
                .watch(&dir.join(sub), RecursiveMode::NonRecursive)
                .unwrap();
        }
        Opens {
            _watcher: watcher,
            events,
        }
    }

    /// The message files opened during `period` (listing `new/` or `cur/` opens the folder,
    /// which reads no message).
    fn during(&self, period: Duration) -> Vec<PathBuf> {
        let end = Instant::now() + period;
        let mut opened = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            if let Ok(Ok(e)) = self.events.recv_timeout(left)
                && matches!(e.kind, EventKind::Access(AccessKind::Open(_)))
            {
                opened.extend(e.paths.into_iter().filter(|p| !p.is_dir()));
            }
        }
        opened
    }
}

struct Watch {
    child: Child,
    out: std::io::BufReader<std::process::ChildStdout>,
    db: PathBuf,
}

impl Watch {
    fn start(home: &Path, dir: &Path) -> Watch {
        let config = home.join("sellerdesk.toml");
        std::fs::write(
            &config,
            format!(
                "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n\
                 [[mailbox]]\npath = \"{}\"\n",
                dir.display()
            ),
        )
        .unwrap();
        let db = home.join("inbox.db");
        let mut child = crate::support::bin::on(home, Some(&config), &db, NOW)
            .arg("watch")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        Watch { child, out, db }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        line
    }

    fn messages(&self) -> i64 {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

#[test]
fn watch_reads_each_message_once_and_is_idle_after() {
    let home = tempfile::tempdir().unwrap();
    let dir = maildir(home.path(), 40);
    let mut watch = Watch::start(home.path(), &dir);
    let caught_up = watch.line();
    assert!(caught_up.contains("caught up: imported 40"), "{caught_up}");
    let opens = Opens::watch(&dir);

    // Idle: its own catch-up reads are no reason to read again.
    let idle = opens.during(Duration::from_secs(3));
    assert!(idle.is_empty(), "re-read while idle: {idle:?}");

    // A delivery: that message is read, nothing else.
    let new = deliver(&dir, 100);
    let read = opens.during(Duration::from_secs(2));
    assert!(read.contains(&new), "{read:?}");
    assert!(read.iter().all(|p| p == &new), "read others too: {read:?}");
    let line = watch.line();
    assert!(
        line.contains("imported 1") && line.contains("failed 0"),
        "{line}"
    );
    assert_eq!(watch.messages(), 41);

    // A mail client reads it: moved to cur/ with a flag, then flagged replied. Not new mail.
    let seen = dir.join("cur/100.1700000100.host:2,S");
    std::fs::rename(&new, &seen).unwrap();
    std::fs::rename(&seen, dir.join("cur/100.1700000100.host:2,RS")).unwrap();
    std::fs::rename(
        dir.join("new/1.1700000000.host"),
        dir.join("cur/1.1700000000.host:2,S"),
    )
    .unwrap();
    let read = opens.during(Duration::from_secs(2));
    assert!(read.is_empty(), "a moved message was read again: {read:?}");
    assert_eq!(watch.messages(), 41);
}

#[test]
fn a_message_moved_by_a_client_before_it_is_read_is_imported_not_failed() {
    let home = tempfile::tempdir().unwrap();
    let dir = maildir(home.path(), 0);
    let mut watch = Watch::start(home.path(), &dir);
    assert!(watch.line().contains("caught up: imported 0"));
    // A burst, each message moved to cur/ by a client right after its delivery: the import
    // runs after the burst settles, so every event names a file that is gone from new/.
    for i in 0..200 {
        let new = deliver(&dir, i);
        let name = new.file_name().unwrap().to_str().unwrap().to_string();
        std::fs::rename(&new, dir.join("cur").join(format!("{name}:2,S"))).unwrap();
    }
    let start = Instant::now();
    let (mut imported, mut failed) = (0, 0);
    while imported < 200 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "imported {imported}"
        );
        let line = watch.line();
        let count = |key: &str| -> u64 {
            line.split(" · ")
                .find_map(|part| part.strip_prefix(key))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        imported += count("imported ");
        failed += count("failed ");
    }
    assert_eq!((imported, failed), (200, 0));
    assert_eq!(watch.messages(), 200);
}

#[test]
fn the_safety_net_rescan_lists_the_folders_and_reads_nothing_it_has_seen() {
    use sellerdesk::import::intake::Intake;
    let home = tempfile::tempdir().unwrap();
    let dir = maildir(home.path(), 30);
    let config_path = home.path().join("sellerdesk.toml");
    std::fs::write(
        &config_path,
        format!(
            "[seller]\naddresses = [\"support@example-shop.test\"]\n[[mailbox]]\npath = \"{}\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let config = sellerdesk::config::Config::load(&config_path, true).unwrap();
    let db = home.path().join("inbox.db");
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let intake = Intake::spawn_with(&db, &config, move || now, Duration::from_millis(200)).unwrap();
    let first = intake
        .arrivals
        .recv_timeout(Duration::from_secs(20))
        .unwrap();
    assert!(first.catch_up);
    assert_eq!(first.report.unwrap().imported, 30);
    let opens = Opens::watch(&dir);
    // About ten rescans.
    let read = opens.during(Duration::from_secs(2));
    assert!(read.is_empty(), "a rescan read again: {read:?}");
    assert!(intake.arrivals.try_recv().is_err(), "nothing new to report");
    // A delivery is still read, once.
    let new = deliver(&dir, 500);
    let arrival = intake
        .arrivals
        .recv_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!(arrival.report.unwrap().imported, 1);
    let read = opens.during(Duration::from_secs(1));
    assert!(read.iter().all(|p| p == &new), "{read:?}");
    assert!(intake.arrivals.try_recv().is_err());
}

#[test]
fn a_link_dropped_into_new_that_leads_out_of_the_maildir_is_skipped_not_read() {
    let home = tempfile::tempdir().unwrap();
    let dir = maildir(home.path(), 0);
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.eml");
    std::fs::write(
        &secret,
        message(7).replace("Where is my parcel?", "SECRET-OUTSIDE-THE-MAILDIR"),
    )
    .unwrap();
    let mut watch = Watch::start(home.path(), &dir);
    assert!(watch.line().contains("caught up: imported 0"));
    std::os::unix::fs::symlink(&secret, dir.join("new/7.1700000100.host")).unwrap();
    // A real delivery after it, so there is a line to wait for either way.
    deliver(&dir, 8);
    let start = Instant::now();
    let mut lines = String::new();
    while !lines.contains("imported 1") {
        assert!(start.elapsed() < Duration::from_secs(20), "{lines}");
        lines.push_str(&watch.line());
    }
    assert_eq!(watch.messages(), 1, "only the delivery: {lines}");
    // Nowhere in the database's files.
    for suffix in ["", "-wal"] {
        let bytes = std::fs::read(format!("{}{suffix}", watch.db.display())).unwrap_or_default();
        let found = bytes
            .windows(b"SECRET-OUTSIDE".len())
            .any(|w| w == b"SECRET-OUTSIDE");
        assert!(!found, "the linked file was stored ({suffix})");
    }
}
