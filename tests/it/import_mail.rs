//! Importer behaviour on real files: one case per oddity a seller's mailbox has.

use sellerdesk::store::test_support::sql;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use indicatif::ProgressBar;
use rusqlite::OptionalExtension;
use sellerdesk::config::Config;
use sellerdesk::domain::message::flags;
use sellerdesk::import::{ImportReport, import_paths};
use sellerdesk::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail")
        .join(name)
}

fn config() -> Config {
    Config {
        seller_name: "Example Shop".into(),
        seller_addresses: vec!["support@example-shop.test".into()],
        ..Config::default()
    }
}

struct Db {
    _dir: tempfile::TempDir,
    store: Store,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    Db { _dir: dir, store }
}

fn import(db: &mut Db, names: &[&str]) -> ImportReport {
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    import_paths(
        &mut db.store,
        &config(),
        &paths,
        now(),
        &ProgressBar::hidden(),
    )
    .unwrap()
}

#[derive(Debug)]
struct Msg {
    thread_id: i64,
    direction: String,
    role: String,
    subject: String,
    body: String,
    sent_at: i64,
    flags: u32,
    order_id: Option<String>,
}

fn message(db: &Db, key: &str) -> Msg {
    sql(&db.store)
        .query_row(
            "SELECT thread_id, direction, role, subject, body, sent_at, flags, order_id
             FROM messages WHERE message_key = ?1",
            [key],
            |r| {
                Ok(Msg {
                    thread_id: r.get(0)?,
                    direction: r.get(1)?,
                    role: r.get(2)?,
                    subject: r.get(3)?,
                    body: r.get(4)?,
                    sent_at: r.get(5)?,
                    flags: r.get(6)?,
                    order_id: r.get(7)?,
                })
            },
        )
        .unwrap_or_else(|e| panic!("message {key}: {e}"))
}

fn thread_field(db: &Db, id: i64, column: &str) -> Option<String> {
    sql(&db.store)
        .query_row(
            &format!("SELECT {column} FROM threads WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

fn clock_start(db: &Db, id: i64) -> Option<i64> {
    sql(&db.store)
        .query_row("SELECT clock_start FROM threads WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp()
}

#[test]
fn amazon_buyer_message_is_parsed_and_starts_a_clock() {
    let mut db = db();
    let r = import(&mut db, &["buyer_inquiry.eml"]);
    assert_eq!((r.files, r.imported, r.flagged, r.failed), (1, 1, 0, 0));
    let m = message(&db, "buyer-1@marketplace.amazon.com");
    assert_eq!((m.direction.as_str(), m.role.as_str()), ("in", "buyer"));
    assert_eq!(m.order_id.as_deref(), Some("111-4827163-0028371"));
    assert!(m.body.contains("The lamp arrived broken."));
    assert_eq!(
        thread_field(&db, m.thread_id, "buyer_name").as_deref(),
        Some("Bob Wilson")
    );
    assert_eq!(
        thread_field(&db, m.thread_id, "buyer_alias").as_deref(),
        Some("t2bbx9k3mqz1w8r@marketplace.amazon.com")
    );
    assert_eq!(
        thread_field(&db, m.thread_id, "marketplace").as_deref(),
        Some("amazon.com")
    );
    let asin: Option<String> = sql(&db.store)
        .query_row(
            "SELECT asin FROM thread_asins WHERE thread_id = ?1",
            [m.thread_id],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(asin.as_deref(), Some("B0FIXT0001"));
    assert_eq!(clock_start(&db, m.thread_id), Some(ts(2026, 11, 20, 10, 0)));
}

#[test]
fn raw_bytes_are_kept_exactly() {
    let mut db = db();
    import(&mut db, &["shift_jis.eml"]);
    let raw: Vec<u8> = sql(&db.store)
        .query_row(
            "SELECT raw FROM message_raw JOIN messages ON messages.id = message_raw.message_id
             WHERE message_key = 'sjis-1@marketplace.amazon.co.jp'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, std::fs::read(fixture("shift_jis.eml")).unwrap());
}

#[test]
fn seller_reply_in_the_mailbox_stops_the_clock_and_auto_reply_does_not() {
    let mut db = db();
    import(&mut db, &["buyer_inquiry.eml", "auto_reply.eml"]);
    let buyer = message(&db, "buyer-1@marketplace.amazon.com");
    let auto = message(&db, "auto-1@example-shop.test");
    assert_eq!(
        (auto.direction.as_str(), auto.role.as_str()),
        ("out", "auto")
    );
    assert_eq!(auto.thread_id, buyer.thread_id);
    assert!(
        clock_start(&db, buyer.thread_id).is_some(),
        "an auto-reply never stops the clock"
    );

    import(&mut db, &["seller_reply.eml"]);
    let reply = message(&db, "reply-1@example-shop.test");
    assert_eq!(
        (reply.direction.as_str(), reply.role.as_str()),
        ("out", "seller")
    );
    assert_eq!(reply.thread_id, buyer.thread_id);
    assert_eq!(clock_start(&db, buyer.thread_id), None);
    let (resolved_at, how): (Option<i64>, Option<String>) = sql(&db.store)
        .query_row(
            "SELECT resolved_at, resolution FROM messages WHERE message_key = 'buyer-1@marketplace.amazon.com'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(resolved_at, Some(ts(2026, 11, 20, 15, 30)));
    assert_eq!(how.as_deref(), Some("replied"));
}

#[test]
fn reply_imported_before_its_parent_still_threads() {
    let mut db = db();
    import(&mut db, &["seller_reply.eml"]);
    import(&mut db, &["buyer_inquiry.eml"]);
    let reply = message(&db, "reply-1@example-shop.test");
    let buyer = message(&db, "buyer-1@marketplace.amazon.com");
    assert_eq!(reply.thread_id, buyer.thread_id);
    assert_eq!(
        clock_start(&db, buyer.thread_id),
        None,
        "the reply already answered it"
    );
}

#[test]
fn amazon_notices_are_imported_without_a_clock() {
    let mut db = db();
    import(&mut db, &["amazon_notice.eml"]);
    let m = message(&db, "notice-1@amazon.com");
    assert_eq!((m.direction.as_str(), m.role.as_str()), ("in", "other"));
    assert_eq!(clock_start(&db, m.thread_id), None);
}

#[test]
fn charsets_and_encoded_words_are_decoded() {
    let mut db = db();
    let r = import(
        &mut db,
        &[
            "shift_jis.eml",
            "iso_2022_jp.eml",
            "gb2312.eml",
            "latin1.eml",
        ],
    );
    assert_eq!((r.imported, r.flagged), (4, 0));

    let sjis = message(&db, "sjis-1@marketplace.amazon.co.jp");
    assert_eq!(sjis.subject, "注文について");
    assert!(sjis.body.contains("商品が届きません。"), "{}", sjis.body);
    assert_eq!(sjis.order_id.as_deref(), Some("503-8810342-2297461"));
    assert_eq!(
        thread_field(&db, sjis.thread_id, "buyer_name").as_deref(),
        Some("山田 太郎")
    );
    assert_eq!(
        thread_field(&db, sjis.thread_id, "marketplace").as_deref(),
        Some("amazon.co.jp")
    );

    let jis = message(&db, "jis-1@marketplace.amazon.co.jp");
    assert_eq!(jis.subject, "湯呑みが割れていました");
    assert!(jis.body.contains("交換をお願いします。"));

    let gb = message(&db, "gb-1@marketplace.amazon.com");
    assert_eq!(gb.subject, "发货时间");
    assert!(gb.body.contains("请问什么时候发货"), "{}", gb.body);

    let latin = message(&db, "latin-1@marketplace.amazon.de");
    assert!(latin.subject.contains("Jürgen Müller"));
    assert!(latin.body.contains("Kaffeemühle") && latin.body.contains("Größe"));
    assert_eq!(
        thread_field(&db, latin.thread_id, "buyer_name").as_deref(),
        Some("Jürgen Müller")
    );
    assert_eq!(latin.order_id.as_deref(), Some("302-1234567-7654321"));
}

#[test]
fn html_only_mail_becomes_readable_text() {
    let mut db = db();
    import(&mut db, &["html_only.eml"]);
    let m = message(&db, "html-1@marketplace.amazon.com");
    assert!(m.body.contains("Is the blue one in stock?"), "{}", m.body);
    assert!(
        !m.body.contains("<b>") && !m.body.contains("alert(1)"),
        "{}",
        m.body
    );
    assert_ne!(m.flags & flags::HTML_ONLY, 0);
}

#[test]
fn message_without_id_is_keyed_by_its_hash_and_not_duplicated() {
    let mut db = db();
    let first = import(&mut db, &["no_message_id.eml"]);
    let again = import(&mut db, &["no_message_id.eml"]);
    assert_eq!(
        (first.imported, again.imported, again.duplicates),
        (1, 0, 1)
    );
    let key: String = sql(&db.store)
        .query_row("SELECT message_key FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(key.starts_with("sha256:") && key.len() == 7 + 64, "{key}");
}

#[test]
fn missing_or_absurd_date_falls_back_to_delivery_time_with_a_flag() {
    // Copies with a known delivery time (the file's mtime): a checkout's mtime is whenever it
    // was made, which may be after the test's fixed `now`.
    let dir = tempfile::tempdir().unwrap();
    let delivered = Utc.with_ymd_and_hms(2026, 11, 21, 8, 30, 0).unwrap();
    let copies: Vec<PathBuf> = ["missing_date.eml", "absurd_date.eml"]
        .iter()
        .map(|name| {
            let copy = dir.path().join(name);
            std::fs::copy(fixture(name), &copy).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&copy)
                .unwrap()
                .set_modified(delivered.into())
                .unwrap();
            copy
        })
        .collect();
    let mut db = db();
    let r = import_paths(
        &mut db.store,
        &config(),
        &copies,
        now(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!(r.flagged, 2);
    for key in [
        "nodate-1@marketplace.amazon.com",
        "absurd-1@marketplace.amazon.com",
    ] {
        let m = message(&db, key);
        assert_ne!(m.flags & flags::DATE_FALLBACK, 0, "{key}");
        assert_eq!(m.sent_at, delivered.timestamp(), "{key}");
    }
}

#[test]
fn mail_that_does_not_parse_is_stored_raw_and_flagged_whatever_its_name() {
    // A header block that is nothing a message needs, then binary junk.
    let mut bytes = b"X-Scanned: \x01\x02\x03\r\n\r\n".to_vec();
    bytes.extend(std::fs::read(fixture("garbage.eml")).unwrap());
    for name in ["a.eml", "b.txt"] {
        let mut db = db();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let r = import_paths(
            &mut db.store,
            &config(),
            &[path],
            now(),
            &ProgressBar::hidden(),
        )
        .unwrap();
        assert_eq!((r.imported, r.flagged, r.failed), (1, 1, 0), "{name}");
        let (flags_, raw): (u32, Vec<u8>) = sql(&db.store)
            .query_row(
                "SELECT flags, raw FROM messages JOIN message_raw ON message_raw.message_id = messages.id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_ne!(flags_ & flags::UNPARSEABLE, 0);
        assert_eq!(raw, bytes);
    }
}

#[test]
fn the_same_bytes_are_the_same_thing_under_any_name() {
    let garbage = std::fs::read(fixture("garbage.eml")).unwrap();
    let mail = std::fs::read(fixture("buyer_inquiry.eml")).unwrap();
    for (bytes, named, in_folder) in [
        // Named: mail is imported, anything else is refused; in a folder, it is skipped.
        (&mail, (1, 0), (1, 0)),
        (&garbage, (0, 1), (0, 0)),
    ] {
        let mut results = Vec::new();
        for name in ["a.eml", "b.txt", "c"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            for (paths, want) in [
                (vec![path.clone()], named),
                (vec![dir.path().to_path_buf()], in_folder),
            ] {
                let mut db = db();
                let r = import_paths(
                    &mut db.store,
                    &config(),
                    &paths,
                    now(),
                    &ProgressBar::hidden(),
                )
                .unwrap();
                results.push(((r.imported, r.failed), want, name));
            }
        }
        for (got, want, name) in results {
            assert_eq!(got, want, "{name}");
        }
    }
}

#[test]
fn unknown_charset_is_flagged_and_raw_kept() {
    let mut db = db();
    let r = import(&mut db, &["unknown_charset.eml"]);
    assert_eq!(r.flagged, 1);
    let m = message(&db, "charset-1@marketplace.amazon.com");
    assert_ne!(m.flags & flags::CHARSET_UNKNOWN, 0, "{:?}", m);
}

#[test]
fn attachments_are_listed() {
    let mut db = db();
    import(&mut db, &["attachment.eml"]);
    let (name, ctype, size): (String, String, i64) = sql(&db.store)
        .query_row(
            "SELECT filename, content_type, size FROM attachments",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (name.as_str(), ctype.as_str(), size),
        ("foto.jpg", "image/jpeg", 106)
    );
    let m = message(&db, "att-1@marketplace.amazon.es");
    assert!(m.body.contains("La sartén llegó rayada."));
    assert!(!m.body.contains("/9j/"), "the attachment is not body text");
}

#[test]
fn mbox_with_from_lines_in_bodies() {
    let mut db = db();
    let r = import(&mut db, &["mbox/mixed.mbox"]);
    assert_eq!((r.files, r.imported, r.flagged), (1, 3, 1), "{r:?}");
    let first = message(&db, "mbox-1@marketplace.amazon.com");
    assert!(
        first.body.contains("From now on please use DHL."),
        "{}",
        first.body
    );
    assert!(
        first.body.contains("\nFrom the team at my office"),
        "mboxrd unescaped: {}",
        first.body
    );
    let reply = message(&db, "mbox-2@example-shop.test");
    assert_eq!(reply.thread_id, first.thread_id);
    assert_ne!(
        reply.flags & flags::DATE_FALLBACK,
        0,
        "no Date: the From_ line's time"
    );
    assert_eq!(reply.sent_at, ts(2026, 11, 21, 9, 0));
    let second = message(&db, "mbox-3@marketplace.amazon.com");
    assert_ne!(
        second.thread_id, first.thread_id,
        "another subject, no order: a new thread"
    );
}

#[test]
fn maildir_is_read_without_tmp_and_index_files() {
    let mut db = db();
    let r = import(&mut db, &["maildir"]);
    assert_eq!(
        (r.files, r.imported, r.failed, r.skipped),
        (2, 2, 0, 1),
        "{r:?}"
    );
    let asked = message(&db, "md-1@marketplace.amazon.co.uk");
    assert_eq!(
        asked.sent_at,
        ts(2026, 11, 21, 9, 0),
        "delivery time from the file name"
    );
    let answered = message(&db, "md-2@example-shop.test");
    assert_eq!(
        answered.thread_id, asked.thread_id,
        "alias + order ID, no headers linking them"
    );
    assert_eq!(clock_start(&db, asked.thread_id), None);
}

#[test]
fn reimporting_everything_adds_nothing() {
    let mut db = db();
    let first = import(&mut db, &[""]);
    assert!(first.imported >= 20, "{first:?}");
    let count = |db: &Db| -> (i64, i64) {
        sql(&db.store)
            .query_row(
                "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM threads)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let before = count(&db);
    let again = import(&mut db, &[""]);
    assert_eq!(again.imported, 0);
    assert_eq!(again.duplicates, first.imported);
    assert_eq!(count(&db), before);
}

#[test]
fn sources_are_never_modified() {
    let mut db = db();
    let snapshot = || -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
        walkdir::WalkDir::new(fixture(""))
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let p = e.path().to_path_buf();
                let m = std::fs::metadata(&p).unwrap().modified().unwrap();
                (p.clone(), std::fs::read(&p).unwrap(), m)
            })
            .collect()
    };
    let before = snapshot();
    import(&mut db, &[""]);
    assert_eq!(snapshot(), before);
}

#[test]
fn missing_and_foreign_paths_are_reported_not_fatal() {
    let mut db = db();
    let r = import(
        &mut db,
        &["does-not-exist.eml", "generate.py", "buyer_inquiry.eml"],
    );
    assert_eq!((r.imported, r.failed), (1, 2), "{r:?}");
    assert_eq!(r.problems.len(), 2);
    assert!(r.problems[1].message.contains("not recognized as e-mail"));
}

fn raw(text: &str) -> sellerdesk::import::RawMail {
    sellerdesk::import::RawMail {
        bytes: text.replace('\n', "\r\n").into_bytes(),
        delivered_at: None,
        source: "test".into(),
        cut: None,
    }
}

/// A stored thread that learns its order from a reply is found by that order by the next
/// message of the same batch — whether the batch read the store up front (as imports do), for
/// only some of its mail, or asks it message by message.
#[test]
fn a_thread_that_learns_its_order_mid_batch_is_found_by_it() {
    let first = raw(
        "From: Ana <ana@marketplace.amazon.de>\nTo: support@example-shop.test\nSubject: Frage\nMessage-ID: <m1@x>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\nHallo, eine Frage.\n",
    );
    let reply_with_order = raw(
        "From: Ana <ana@marketplace.amazon.de>\nTo: support@example-shop.test\nSubject: Re: Frage\nMessage-ID: <m2@x>\nIn-Reply-To: <m1@x>\nDate: Fri, 20 Nov 2026 10:00:00 +0000\n\nEs geht um Bestellung 302-1234567-1234567.\n",
    );
    let same_order = raw(
        "From: Ana <ana@marketplace.amazon.de>\nTo: support@example-shop.test\nSubject: Noch etwas\nMessage-ID: <m3@x>\nDate: Fri, 20 Nov 2026 11:00:00 +0000\n\nNoch zu 302-1234567-1234567: bitte schnell.\n",
    );
    let threads = |prefetched: usize| {
        let mut db = db();
        let config = config();
        sellerdesk::import::import_raw(&mut db.store, &config, [first.clone()], now()).unwrap();
        let mut memo = sellerdesk::store::ingest::Memo::default();
        // The first message again last: a duplicate, prefetched or not.
        let mails: Vec<_> = [reply_with_order.clone(), same_order.clone(), first.clone()]
            .into_iter()
            .map(|r| Box::new(sellerdesk::import::parse_mail(r, &config, now())))
            .collect();
        let mut batch = db.store.batch(&mut memo, now()).unwrap();
        batch
            .prefetch(mails.iter().take(prefetched).map(|m| &**m))
            .unwrap();
        let added: Vec<_> = mails.into_iter().map(|m| batch.add(m).unwrap()).collect();
        assert_eq!(
            added[2],
            sellerdesk::store::ingest::Added::Duplicate,
            "{prefetched}"
        );
        batch.commit().unwrap();
        ["m1@x", "m2@x", "m3@x"].map(|k| message(&db, k).thread_id)
    };
    let [a, b, c] = threads(3);
    assert_eq!((a, b, c), (a, a, a), "prefetched");
    assert_eq!(threads(2), [a, a, a], "the duplicate not prefetched");
    assert_eq!(threads(1), [a, a, a], "the last message not prefetched");
    assert_eq!(threads(0), [a, a, a], "asked message by message");
}

/// With SQLite's per-row checks off (as bulk imports run), a batch still refuses to store mail
/// on a thread that does not exist, and bulk mode always turns the checks back on.
#[test]
fn a_batch_checks_its_threads_exist_when_sqlite_does_not() {
    let mut db = db();
    let config = config();
    let mail = Box::new(sellerdesk::import::parse_mail(
        raw(
            "From: Ana <ana@marketplace.amazon.de>\nTo: support@example-shop.test\nSubject: Frage\nMessage-ID: <orphan@x>\nDate: Fri, 20 Nov 2026 09:00:00 +0000\n\nHallo.\n",
        ),
        &config,
        now(),
    ));
    let result = db
        .store
        .with_bulk_mode(|store, _| -> Result<(), sellerdesk::store::StoreError> {
            store.set_foreign_keys_per_row(false)?;
            let mut memo = sellerdesk::store::ingest::Memo::default();
            let mut batch = store.batch(&mut memo, now())?;
            batch.add_to_thread(mail, 4242)?;
            Ok(batch.commit()?)
        });
    let err = result.unwrap_err().to_string();
    assert!(err.contains("FOREIGN KEY constraint failed"), "{err}");
    let stored: i64 = sql(&db.store)
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 0);
    let on = sellerdesk::store::test_support::foreign_keys(&db.store);
    assert!(on, "bulk mode left foreign keys off");
}

#[test]
fn a_message_larger_than_kept_is_cut_flagged_and_says_where_the_whole_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.eml");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(
            b"From: \"Huge - Amazon Marketplace\" <h0x1m2k3z4q5w6@marketplace.amazon.com>\r\n\
              To: support@example-shop.test\r\nSubject: Long story\r\n\
              Message-ID: <huge@amazon.test>\r\nDate: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\n",
        )
        .unwrap();
        let line = [b'x'; 78];
        for _ in 0..(60 << 20) / 80 {
            f.write_all(&line).unwrap();
            f.write_all(b"\r\n").unwrap();
        }
    }
    let whole = std::fs::metadata(&path).unwrap().len();
    let mut db = db();
    let r = import_paths(
        &mut db.store,
        &config(),
        &[path],
        now(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!((r.imported, r.flagged, r.failed), (1, 1, 0), "{r:?}");
    let (flags_, body, raw_len): (u32, String, i64) = sql(&db.store)
        .query_row(
            "SELECT flags, body, length(raw) FROM messages JOIN message_raw ON message_id = id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_ne!(flags_ & flags::TRUNCATED, 0);
    assert_eq!(raw_len as u64, sellerdesk::import::parse::MAX_MESSAGE_BYTES);
    assert!(body.len() < sellerdesk::import::parse::MAX_BODY_BYTES + 1000);
    assert!(
        body.ends_with(&format!(
            "the message is {:.1} MB; its first 50.0 MB were read; the whole message stays in {}]",
            whole as f64 / (1 << 20) as f64,
            dir.path().join("huge.eml").display()
        )),
        "{}",
        &body[body.len() - 300..]
    );
}

#[test]
fn a_message_without_message_id_is_one_message_with_crlf_or_lf() {
    let lf = "From: \"Nob - Amazon Marketplace\" <nob9x1m0q2k8z7v@marketplace.amazon.com>\n\
              To: support@example-shop.test\nSubject: Where is it\n\
              Date: Sun, 22 Nov 2026 08:00:00 +0000\n\nStill waiting.\n";
    let crlf = lf.replace('\n', "\r\n");
    let cr = lf.replace('\n', "\r");
    let dir = tempfile::tempdir().unwrap();
    let mut db = db();
    let mut counts = Vec::new();
    for (name, text) in [
        ("lf.eml", lf),
        ("crlf.eml", crlf.as_str()),
        ("cr.txt", cr.as_str()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let r = import_paths(
            &mut db.store,
            &config(),
            &[path],
            now(),
            &ProgressBar::hidden(),
        )
        .unwrap();
        counts.push((r.imported, r.duplicates));
    }
    assert_eq!(counts, [(1, 0), (0, 1), (0, 1)]);
}

/// A database keyed the old way (the raw bytes as they were) is rekeyed by the migration, so
/// the same message with the other line ends is not stored again.
#[test]
fn the_migration_rekeys_stored_messages_so_a_reimport_does_not_duplicate() {
    let crlf = "From: \"Nob - Amazon Marketplace\" <nob9x1m0q2k8z7v@marketplace.amazon.com>\r\n\
                To: support@example-shop.test\r\nSubject: Where is it\r\n\
                Date: Sun, 22 Nov 2026 08:00:00 +0000\r\n\r\nStill waiting.\r\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let mut store = Store::open(&path).unwrap();
    let eml = dir.path().join("crlf.eml");
    std::fs::write(&eml, crlf).unwrap();
    import_paths(&mut store, &config(), &[eml], now(), &ProgressBar::hidden()).unwrap();
    // As version 15 stored it: the SHA-256 of the bytes as they came.
    use sha2::Digest;
    let old_key = format!("sha256:{:x}", sha2::Sha256::digest(crlf.as_bytes()));
    sql(&store)
        .execute_batch(&format!(
            "UPDATE messages SET message_key = '{old_key}'; PRAGMA user_version = 15;"
        ))
        .unwrap();
    drop(store);
    let mut store = Store::open(&path).unwrap();
    let key: String = sql(&store)
        .query_row("SELECT message_key FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_ne!(key, old_key, "rekeyed");
    let lf = dir.path().join("lf.eml");
    std::fs::write(&lf, crlf.replace("\r\n", "\n")).unwrap();
    let r = import_paths(&mut store, &config(), &[lf], now(), &ProgressBar::hidden()).unwrap();
    assert_eq!((r.imported, r.duplicates), (0, 1));
}
