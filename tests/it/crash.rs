//! Killed without warning: `kill -9` on the importer at random points, and on a migration,
//! 20 rounds each. What is stored stays whole — integrity and foreign keys hold, every message
//! is whole (thread, raw bytes) — and importing again completes it: nothing lost, nothing
//! twice. A migration is all or nothing: the old version or the new one, never between.

use sellerdesk::store::test_support::sql;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::bin;
use chrono::{TimeZone, Utc};
use sellerdesk::testing::synth::{SynthOptions, write_mbox};

const ROUNDS: usize = 20;

/// Deterministic "random" delays (xorshift), so a failing round can be replayed.
struct Delays(u64);

impl Delays {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn sd(config: &Path, db: &Path, args: &[&str]) -> Command {
    let mut c = bin::on(config.parent().unwrap(), Some(config), db, bin::NOW);
    c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// Runs it and kills it with SIGKILL after `ms` (if it is still running); `true` if killed.
fn kill_after(mut c: Command, ms: u64) -> bool {
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    true
}

/// Whether another process holds the setup lock on `db` (an advisory `flock` on the database
/// file, held while a migration runs: see `SetupLock`).
fn setup_locked(db: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(db) else {
        return false;
    };
    // SAFETY: flock on a descriptor owned here; released at once when taken.
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if taken {
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
    }
    !taken
}

/// Runs `c` on `db` and kills it `ms` after it took the setup lock, if it still holds it then:
/// a kill that lands mid-migration, by the lock's evidence. How long it held the lock when it
/// ran to its end.
enum Migration {
    KilledMidway,
    Finished { held: Duration },
}

fn kill_mid_migration(mut c: Command, db: &Path, ms: u64) -> Migration {
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let locked_at = loop {
        if setup_locked(db) {
            break Instant::now();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "it ended without migrating"
        );
        assert!(Instant::now() < deadline, "it never took the setup lock");
        std::thread::sleep(Duration::from_micros(200));
    };
    let kill_at = locked_at + Duration::from_millis(ms);
    while Instant::now() < kill_at && setup_locked(db) {
        std::thread::sleep(Duration::from_micros(200));
    }
    if setup_locked(db) {
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        return Migration::KilledMidway;
    }
    let held = locked_at.elapsed();
    child.wait().unwrap();
    Migration::Finished { held }
}

fn whole(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let schema: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    if schema == 0 {
        // Killed before its first migration committed: an empty database, nothing half made.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 0);
        return 0;
    }
    let orphans: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(orphans, 0, "foreign-key check");
    let half: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages m
             WHERE NOT EXISTS (SELECT 1 FROM message_raw r WHERE r.message_id = m.id)
                OR NOT EXISTS (SELECT 1 FROM threads t WHERE t.id = m.thread_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(half, 0, "half-imported messages");
    conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_import_killed_twenty_times_then_run_again_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[seller]\naddresses = [\"support@example-shop.test\"]\n",
    )
    .unwrap();
    let mbox = dir.path().join("10k.mbox");
    let opts = SynthOptions::new(
        10_000,
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    );
    write_mbox(&opts, &mbox).unwrap();
    // A clean import first: its duration spreads the kills over a whole import.
    let clean = dir.path().join("clean.db");
    let started = Instant::now();
    assert!(
        sd(&config, &clean, &["import", mbox.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    let mut clean_ms = started.elapsed().as_millis() as u64;
    let expected = whole(&clean);

    let mut delays = Delays(0x9e37_79b9_7f4a_7c15);
    let mut killed = 0;
    let mut counts = Vec::new();
    let mut dbs = Vec::new();
    let mut round = 0;
    // ROUNDS at least, and on until half of them were killed mid-import: the clean import may
    // have run slow on a busy machine, and then the window shrinks.
    while round < ROUNDS || (killed < ROUNDS / 2 && round < 4 * ROUNDS) {
        round += 1;
        // Each round a fresh import, killed anywhere in its run: reading, mid-batch, during
        // the commit, in the search index pass after it.
        let db = dir.path().join(format!("round-{round}.db"));
        let at = 20 + delays.next_ms(clean_ms);
        if kill_after(sd(&config, &db, &["import", mbox.to_str().unwrap()]), at) {
            killed += 1;
        } else {
            clean_ms = (clean_ms * 4 / 5).max(5);
        }
        let stored = whole(&db);
        // Whole batches only: all or nothing of the batch the kill interrupted.
        let batch = sellerdesk::import::BATCH_SIZE as i64;
        assert!(
            stored % batch == 0 || stored == expected,
            "round {round}: {stored}"
        );
        counts.push(stored);
        dbs.push(db);
    }
    assert!(
        killed >= ROUNDS / 2,
        "rounds must really be killed mid-import"
    );
    // Run again, every killed import completes: nothing lost, nothing twice.
    let mut last = serde_json::Value::Null;
    for db in &dbs {
        let out = sd(&config, db, &["import", "--json", mbox.to_str().unwrap()])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        assert!(out.status.success());
        last = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(whole(db), expected, "{last}");
    }
    println!(
        "{killed} of {ROUNDS} imports of 10k messages killed at random (stored after each: {counts:?}); each run again: {expected} messages, as a clean import"
    );
    let db = dbs.last().unwrap().clone();
    let total = whole(&db);
    let _ = last;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let keys: i64 = conn
        .query_row(
            "SELECT count(DISTINCT message_key) FROM messages",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, total);
    // Every thread's stored clock is what its messages say.
    drop(conn);
    let mut store = sellerdesk::store::Store::open(&db).unwrap();
    assert_eq!(store.stale_clocks().unwrap(), Vec::<i64>::new());
}

#[test]
fn a_migration_killed_twenty_times_leaves_the_old_version_or_the_new() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/db/v1.sqlite");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let latest = sellerdesk::store::migrations::latest_version();
    // How long a migration holds the setup lock (the quickest of three: a first run pays for
    // cold caches): the kills fall anywhere in it.
    let mut held_ms = u64::MAX;
    for probe_round in 0..3 {
        let probe = dir.path().join(format!("probe-{probe_round}.db"));
        std::fs::copy(fixture, &probe).unwrap();
        match kill_mid_migration(sd(&config, &probe, &["status"]), &probe, 60_000) {
            Migration::Finished { held } => held_ms = held_ms.min(held.as_millis() as u64),
            Migration::KilledMidway => unreachable!("a minute is enough"),
        }
    }
    let mut delays = Delays(0x2545_f491_4f6c_dd1d);
    let mut seen = std::collections::BTreeMap::new();
    let mut killed = 0;
    let mut round = 0;
    // ROUNDS at least, and on until half of them were killed mid-way: on a busy machine a
    // migration can end before its kill, and then the window shrinks.
    while round < ROUNDS || (killed < ROUNDS / 2 && round < 4 * ROUNDS) {
        round += 1;
        let db = dir.path().join(format!("round-{round}.db"));
        std::fs::copy(fixture, &db).unwrap();
        let delay = delays.next_ms(held_ms.max(1));
        match kill_mid_migration(sd(&config, &db, &["status"]), &db, delay) {
            Migration::KilledMidway => killed += 1,
            Migration::Finished { .. } => held_ms = (held_ms * 4 / 5).max(2),
        }
        let conn = rusqlite::Connection::open(&db).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        assert!(
            version == 1 || version == latest,
            "round {round}: version {version}"
        );
        *seen.entry(version).or_insert(0) += 1;
        drop(conn);
        // And it migrates fine afterwards, rows kept.
        let store = sellerdesk::store::Store::open(&db).unwrap();
        let messages: i64 = sql(&store)
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert!(messages > 0);
    }
    println!(
        "versions found after {killed} of {round} migrations killed while migrating (setup lock held {held_ms} ms at most; v1 → v{latest}): {seen:?}"
    );
    assert!(
        killed >= ROUNDS / 2,
        "{killed} of {round} runs were killed mid-migration"
    );
}
