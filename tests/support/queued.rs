//! A seller's home with one buyer inquiry and a reply to it queued in the outbox: what the
//! delivery tests (by SMTP, or through a sendmail command) start from.

use sellerdesk::store::test_support::sql;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::reply::{prepare, send};
use sellerdesk::store::Store;

pub const NOW: &str = "2026-11-22T12:00:00Z";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

pub const INQUIRY: &str = "From: \"Bob Wilson - Amazon Marketplace\" <t2bb@marketplace.amazon.com>\r\n\
To: support@example-shop.test\r\n\
Subject: Inquiry from Amazon customer Bob Wilson (Order: 111-4827163-0028371)\r\n\
Message-ID: <m1@amazon.test>\r\n\
Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\
\r\n\
Hello, my lamp arrived broken. Order 111-4827163-0028371.\r\n";

/// The config file (seller, then `extra` tables), the database and the thread.
pub struct Queued {
    pub config_path: PathBuf,
    pub config: Config,
    pub db: PathBuf,
    pub thread: i64,
}

/// In `dir`: a config of `extra` tables, the inquiry imported, a reply of `body` queued.
pub fn reply_queued(dir: &Path, extra: &str, body: &str) -> Queued {
    let config_path = dir.join("config.toml");
    std::fs::write(
        &config_path,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n{extra}"
        ),
    )
    .unwrap();
    let config = Config::load(&config_path, true).unwrap();
    let db = dir.join("inbox.db");
    let mut store = Store::open(&db).unwrap();
    import_raw(
        &mut store,
        &config,
        [RawMail {
            bytes: INQUIRY.as_bytes().to_vec(),
            delivered_at: None,
            source: "test".into(),
            cut: None,
        }],
        now(),
    )
    .unwrap();
    let thread: i64 = sql(&store)
        .query_row("SELECT id FROM threads", [], |r| r.get(0))
        .unwrap();
    let reply = prepare(&store, &config, thread, body, now()).unwrap();
    let sent = send(&mut store, &config, thread, &reply, now(), &[], None).unwrap();
    assert_eq!(
        sent.delivered, None,
        "SMTP and sendmail are the sender's job, not send()'s"
    );
    Queued {
        config_path,
        config,
        db,
        thread,
    }
}
