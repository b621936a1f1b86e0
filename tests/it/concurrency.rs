//! Several processes on one database, as a small team on one host runs sellerdesk: two writer
//! processes hammer the same threads at once (notes, marks and undos, drafts, imports that
//! overlap, the same outbox) and nothing is lost, nothing is delivered twice, and no "database
//! is locked" reaches anyone.
//!
//! The writers are this test binary run again (`child_writer`, ignored in normal runs).

use crate::support;

use sellerdesk::store::test_support::sql;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::config::delivery::{Sendmail, Transport};
use sellerdesk::delivery::Sender;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::reply::{prepare, send};
use sellerdesk::store::Store;
use sellerdesk::store::marks::MarkKind;

const ROUNDS: usize = 400;
const THREADS: usize = 40;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn config(outbox: &Path) -> Config {
    Config {
        seller_name: "Example Shop".into(),
        seller_addresses: vec!["support@example-shop.test".into()],
        outbox: Some(outbox.to_path_buf()),
        ..Config::default()
    }
}

/// SMTP to the test's server on loopback.
fn smtp(port: u16) -> Transport {
    Transport::Smtp(sellerdesk::config::delivery::Smtp {
        host: "127.0.0.1".into(),
        port,
        security: sellerdesk::config::delivery::Security::None,
        username: None,
        password: None,
        timeout: std::time::Duration::from_secs(10),
        ca_file: None,
    })
}

fn inquiry(n: usize, key: &str) -> RawMail {
    let order = format!("111-{:07}-{:07}", 4_000_000 + n, 28_371 + n);
    RawMail {
        bytes: format!(
            "From: \"Buyer {n} - Amazon Marketplace\" <buyer{n}@marketplace.amazon.com>\r\n\
             To: support@example-shop.test\r\n\
             Subject: Inquiry from Amazon customer Buyer {n} (Order: {order})\r\n\
             Message-ID: <{key}@amazon.test>\r\n\
             Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n\
             Where is order {order}?\r\n"
        )
        .into_bytes(),
        delivered_at: None,
        source: "test".into(),
        cut: None,
    }
}

/// One writer process: `SELLERDESK_CHILD` names it, `SELLERDESK_CHILD_DB` the database.
#[test]
#[ignore = "run by two_processes_lose_nothing_and_never_lock_each_other_out"]
fn child_writer() {
    let Ok(name) = std::env::var("SELLERDESK_CHILD") else {
        return;
    };
    let db = PathBuf::from(std::env::var("SELLERDESK_CHILD_DB").unwrap());
    let outbox = PathBuf::from(std::env::var("SELLERDESK_CHILD_OUTBOX").unwrap());
    let port: u16 = std::env::var("SELLERDESK_CHILD_SMTP_PORT")
        .unwrap()
        .parse()
        .unwrap();
    let mut config = config(&outbox);
    config.delivery.transport = smtp(port);
    let mut store = Store::open(&db).unwrap();
    let mut errors: Vec<String> = Vec::new();
    let mut record = |what: &str, r: Result<(), String>| {
        if let Err(e) = r {
            errors.push(format!("{what}: {e}"));
        }
    };
    let clock = now;
    let sender = Sender::new(&config, &clock);
    let mut delivered = 0u32;
    // Both start together, on the same outbox.
    let go = db.with_extension("go");
    while !go.exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let first = sender.deliver_due(&mut store, &|| false);
    record(
        "deliver",
        first
            .map(|s| delivered += s.sent)
            .map_err(|e| e.to_string()),
    );
    for i in 0..ROUNDS {
        let thread = (i % THREADS) as i64 + 1;
        let at = now() + Duration::seconds(i as i64);
        record(
            "note",
            store
                .add_note(thread, &format!("{name}-{i}"), at)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
        record(
            "mark",
            store
                .mark(thread, MarkKind::NoResponseNeeded, at)
                .map_err(|e| e.to_string()),
        );
        record(
            "undo",
            store
                .undo_last_mark(thread, at)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
        record(
            "draft",
            store
                .save_draft(thread, &format!("draft by {name} {i}"), at)
                .map_err(|e| e.to_string()),
        );
        record(
            "take",
            store
                .take_thread(thread, &format!("{name}:{i}"), &name, at)
                .map_err(|e| e.to_string()),
        );
        // The same follow-up mail arrives in both processes' mailboxes, and some of its own.
        let shared = inquiry(i % THREADS, &format!("follow-up-{i}"));
        let own = inquiry(i % THREADS, &format!("own-{name}-{i}"));
        record(
            "import",
            import_raw(&mut store, &config, [shared, own], at)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
        if i % 10 == 0 {
            let run = sender.deliver_due(&mut store, &|| false);
            record(
                "deliver",
                run.map(|s| delivered += s.sent).map_err(|e| e.to_string()),
            );
        }
    }
    match sender.deliver_due(&mut store, &|| false) {
        Ok(s) => delivered += s.sent,
        Err(e) => errors.push(format!("deliver: {e}")),
    }
    println!(
        "RESULT {}",
        serde_json::json!({ "errors": errors, "delivered": delivered })
    );
}

#[test]
fn two_processes_lose_nothing_and_never_lock_each_other_out() {
    let server = support::smtp::SmtpServer::start();
    server.set_mode(support::smtp::Mode::AcceptSlowly);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("team.db");
    let outbox = dir.path().join("outbox");
    // Replies queued for a transport the writers do not use: they deliver them by SMTP.
    let queueing = Config {
        delivery: sellerdesk::config::delivery::Delivery {
            transport: Transport::Sendmail(Sendmail {
                command: vec!["false".into()],
            }),
            sent_maildir: None,
        },
        ..config(&outbox)
    };
    {
        let mut store = Store::open(&db).unwrap();
        let mails: Vec<RawMail> = (0..THREADS)
            .map(|n| inquiry(n, &format!("first-{n}")))
            .collect();
        import_raw(&mut store, &queueing, mails, now()).unwrap();
        for thread in 1..=THREADS as i64 {
            let r = prepare(
                &store,
                &queueing,
                thread,
                "Hello,\n\nit left today.\n",
                now(),
            )
            .unwrap();
            send(&mut store, &queueing, thread, &r, now(), &[], None).unwrap();
        }
    }

    let start = std::time::Instant::now();
    let children: Vec<_> = ["anna", "ben"]
        .iter()
        .map(|name| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "concurrency::child_writer",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("SELLERDESK_CHILD", name)
                .env("SELLERDESK_CHILD_DB", &db)
                .env("SELLERDESK_CHILD_OUTBOX", &outbox)
                .env("SELLERDESK_CHILD_SMTP_PORT", server.port.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let both open the database, then start them at once.
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(db.with_extension("go"), "").unwrap();
    let mut delivered = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
            .unwrap_or_else(|| panic!("no result from a writer: {stdout}"));
        let result: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(result["errors"], serde_json::json!([]), "{result}");
        println!("writer: {result}");
        delivered += result["delivered"].as_u64().unwrap();
    }
    println!(
        "two writers × {ROUNDS} rounds of 6 writes each: {:.2} s, 0 errors",
        start.elapsed().as_secs_f64()
    );

    let store = Store::open(&db).unwrap();
    let count = |query: &str| -> i64 { sql(&store).query_row(query, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM events WHERE kind = 'noted'"),
        2 * ROUNDS as i64,
        "every note of both writers"
    );
    assert_eq!(count("SELECT count(*) FROM marks"), 2 * ROUNDS as i64);
    assert_eq!(
        count("SELECT count(*) FROM marks WHERE undone_at IS NULL"),
        0,
        "each undo found its own writer's mark or the other's, never none"
    );
    // Buyer messages: the first of each thread, the shared follow-ups once, each own one.
    assert_eq!(
        count("SELECT count(*) FROM messages WHERE direction = 'in'"),
        (THREADS + ROUNDS + 2 * ROUNDS) as i64
    );
    assert_eq!(
        count("SELECT count(*) FROM threads"),
        THREADS as i64,
        "no thread split"
    );
    // Every reply delivered exactly once, by one writer or the other.
    assert_eq!(delivered, THREADS as u64);
    assert_eq!(
        count("SELECT count(*) FROM outbox WHERE state = 'sent'"),
        THREADS as i64
    );
    let received = server.received();
    let mut ids: Vec<String> = received
        .iter()
        .map(|r| {
            mail_parser::MessageParser::default()
                .parse(&r.data)
                .and_then(|m| m.message_id().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (received.len(), ids.len()),
        (THREADS, THREADS),
        "the server got each reply once"
    );
    assert_eq!(
        count("SELECT count(*) FROM events WHERE kind = 'delivered'"),
        THREADS as i64
    );
    // The stored clocks are what the messages and marks say.
    let mut store = store;
    assert_eq!(
        store.stale_clocks().unwrap(),
        Vec::<i64>::new(),
        "stored clocks that were stale"
    );
    let check: String = sql(&store)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
