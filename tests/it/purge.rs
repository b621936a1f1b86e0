//! `purge-pii` through the real binary: a planted buyer name, in the sender, subject, body, a
//! reply, its outbox file, a draft, a note and the search index, appears 0 times afterwards in
//! the database, its WAL and a backup made after; backups made before are listed; the metrics
//! and the recent thread are untouched.

use sellerdesk::store::test_support::sql;
use std::path::Path;

use crate::support::bin;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::reply::{prepare, send};
use sellerdesk::store::Store;

const NAME: &str = "Quillon Vexdrake";

fn then() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, 12, 0, 0).unwrap()
}

fn mail(id: &str, alias: &str, name: &str, at: DateTime<Utc>, text: &str) -> RawMail {
    RawMail {
        bytes: format!(
            "From: \"{name} - Amazon Marketplace\" <{alias}@marketplace.amazon.com>\r\n\
             To: support@example-shop.test\r\n\
             Subject: Inquiry from Amazon customer {name}\r\n\
             Message-ID: <{id}@amazon.test>\r\nDate: {}\r\n\r\n{text}\r\n",
            at.to_rfc2822()
        )
        .into_bytes(),
        delivered_at: None,
        source: "test".into(),
        cut: None,
    }
}

/// Occurrences of the name, its words, in any case, in these bytes.
fn found(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    ["quillon", "vexdrake"]
        .iter()
        .map(|w| text.matches(w).count())
        .sum()
}

fn file_hits(path: &Path) -> usize {
    std::fs::read(path).map(|b| found(&b)).unwrap_or(0)
}

fn sd(config: &Path, db: &Path, now: &str, args: &[&str]) -> std::process::Output {
    bin::on(config.parent().unwrap(), Some(config), db, now)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_planted_name_is_gone_from_database_wal_index_outbox_and_later_backups() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let config_path = dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        format!(
            "[seller]\nname = \"Example Shop\"\naddresses = [\"support@example-shop.test\"]\n\
             [store]\noutbox = \"{}\"\n",
            outbox.display()
        ),
    )
    .unwrap();
    let config = Config::load(&config_path, true).unwrap();
    let db = dir.path().join("shop.db");
    let mut store = Store::open(&db).unwrap();
    import_raw(
        &mut store,
        &config,
        [mail(
            "old-1",
            "qv0x1m2k3z4q5w6",
            NAME,
            then(),
            &format!("Hello, this is {NAME}. The parcel never came."),
        )],
        then(),
    )
    .unwrap();
    let recent_at = then() + Duration::days(59);
    import_raw(
        &mut store,
        &config,
        [mail(
            "new-1",
            "ab9x8m7k6z5q4w3",
            "Ada Byron",
            recent_at,
            "Is the kettle 230 V?",
        )],
        recent_at,
    )
    .unwrap();
    let old: i64 = 1;
    let r = prepare(
        &store,
        &config,
        old,
        &format!("Hello {NAME},\n\na new parcel left today.\n"),
        then() + Duration::hours(2),
    )
    .unwrap();
    send(
        &mut store,
        &config,
        old,
        &r,
        then() + Duration::hours(2),
        &[],
        None,
    )
    .unwrap();
    store
        .add_note(old, &format!("{NAME} called twice"), then())
        .unwrap();
    store
        .save_draft(old, &format!("Dear {NAME}, one more thing"), then())
        .unwrap();
    // The account records that name or quote a buyer: Amazon's Feedback report (the rater's
    // address, comments and the seller's response) and a cancellation's reason. A recent
    // rating keeps its text.
    let feedback = dir.path().join("feedback.txt");
    std::fs::write(
        &feedback,
        format!(
            "Date\tRating\tComments\tResponse\tOrder ID\tRater Email\n\
             9/5/26\t1\tLate again, {NAME}\tSorry {NAME}\t111-4827163-0028371\tquillon.vexdrake@example.com\n\
             10/30/26\t2\tRecent: still boxed\t\t111-4827163-0028372\tada@example.com\n"
        ),
    )
    .unwrap();
    let cancellations = dir.path().join("cancellations.csv");
    std::fs::write(
        &cancellations,
        format!("order_id,cancelled,by,reason\n111-4827163-0028373,2026-09-02,buyer,{NAME} changed mind\n"),
    )
    .unwrap();
    // The orders the ratings and the cancellation are about, and more: what the metrics count.
    let orders = dir.path().join("orders.txt");
    let mut rows = String::from(
        "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tsku\tquantity\n",
    );
    for (order, day, status) in [
        ("111-4827163-0028371", "2026-09-03", "Shipped"),
        ("111-4827163-0028372", "2026-10-20", "Shipped"),
        ("111-4827163-0028373", "2026-09-01", "Cancelled"),
        ("111-4827163-0028374", "2026-10-05", "Shipped"),
        ("111-4827163-0028375", "2026-10-12", "Shipped"),
        ("111-4827163-0028376", "2026-10-18", "Shipped"),
    ] {
        rows.push_str(&format!(
            "{order}\t{day}T10:00:00Z\t{day}T12:00:00Z\t{status}\tMerchant\tAmazon.com\tLAMP-1\t1\n"
        ));
    }
    std::fs::write(&orders, rows).unwrap();
    let r = sellerdesk::import::import_paths(
        &mut store,
        &config,
        &[orders, feedback, cancellations],
        then(),
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!((r.imported, r.failed), (15, 0), "{r:?}");
    store.index_all_messages().unwrap();
    assert_eq!(
        store
            .search_threads(
                sellerdesk::store::inbox::Filter::All,
                None,
                "vexdrake",
                then(),
                10
            )
            .unwrap()
            .len(),
        1
    );
    drop(store);
    let now = "2026-11-01T12:00:00Z";
    let before_backup = dir.path().join("before.db");
    assert!(
        sd(
            &config_path,
            &db,
            now,
            &["backup", before_backup.to_str().unwrap()]
        )
        .status
        .success()
    );
    assert!(file_hits(&db) + file_hits(&before_backup) > 0, "planted");
    // What an import stopped mid-way leaves: its search index, half built, beside the database.
    let left_build = dir.path().join("shop.db-index-build");
    std::fs::write(&left_build, "quillon vexdrake").unwrap();
    let metrics_before = sd(&config_path, &db, now, &["metrics", "--json"]).stdout;
    // Figures that count what the purge touches: the old rating (a defect on an order in the
    // ODR's window), the old thread's late response.
    let m: serde_json::Value = serde_json::from_slice(&metrics_before).unwrap();
    let figure = |k: &str| {
        (
            m["metrics"][k]["numerator"].clone(),
            m["metrics"][k]["denominator"].clone(),
        )
    };
    assert_eq!(figure("odr"), (2.into(), 5.into()), "{m}");
    assert_eq!(figure("pop"), (3.into(), 6.into()), "{m}");
    assert_eq!(figure("late_response_90"), (1.into(), 2.into()), "{m}");

    let out = sd(&config_path, &db, now, &["purge-pii", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["threads"], 1, "only the old thread: {report}");
    assert_eq!(report["feedback"], 1, "only the old rating: {report}");
    assert_eq!(report["records"], 1, "the cancellation's reason: {report}");
    assert_eq!(report["outbox_files"], 1, "{report}");
    assert_eq!(
        report["backups_before"][0]["path"],
        before_backup.display().to_string()
    );

    let wal = dir.path().join("shop.db-wal");
    let after_backup = dir.path().join("after.db");
    assert!(
        sd(
            &config_path,
            &db,
            now,
            &["backup", after_backup.to_str().unwrap()]
        )
        .status
        .success()
    );
    let outbox_hits: usize = std::fs::read_dir(&outbox)
        .map(|d| d.flatten().map(|e| file_hits(&e.path())).sum())
        .unwrap_or(0);
    let hits = (
        file_hits(&db),
        file_hits(&wal),
        file_hits(&after_backup),
        outbox_hits,
        file_hits(&left_build),
    );
    println!(
        "planted name after the purge (database, WAL, later backup, outbox, a half-built index): {hits:?}; the earlier backup still {}",
        file_hits(&before_backup)
    );
    assert_eq!(hits, (0, 0, 0, 0, 0));
    assert!(!left_build.exists());

    // The metrics are what they were; the recent thread is whole; search finds nothing.
    assert_eq!(
        String::from_utf8_lossy(&sd(&config_path, &db, now, &["metrics", "--json"]).stdout),
        String::from_utf8_lossy(&metrics_before)
    );
    let store = Store::open(&db).unwrap();
    assert!(
        store
            .search_threads(
                sellerdesk::store::inbox::Filter::All,
                None,
                "vexdrake",
                then(),
                10
            )
            .unwrap()
            .is_empty()
    );
    let kept: (i64, Option<String>, Option<String>) = sql(&store)
        .query_row(
            "SELECT rating, comments, rater_email FROM feedback WHERE order_id = '111-4827163-0028372'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        kept,
        (
            2,
            Some("Recent: still boxed".into()),
            Some("ada@example.com".into())
        )
    );
    let old_rating: (i64, Option<String>) = sql(&store)
        .query_row(
            "SELECT rating, rater_email FROM feedback WHERE order_id = '111-4827163-0028371'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(old_rating, (1, None), "the rating stays for the metrics");
    let recent = store.thread_detail(2).unwrap().unwrap();
    assert!(recent.messages[0].body.contains("230 V"));
    let purged = store.thread_detail(old).unwrap().unwrap();
    assert_eq!(
        purged.messages.len(),
        2,
        "the messages stay, as dates and roles"
    );
    assert!(
        !store
            .purge_due(
                chrono::DateTime::parse_from_rfc3339(now).unwrap().to_utc(),
                30
            )
            .unwrap()
    );
    // `check` no longer asks for a purge.
    let check =
        String::from_utf8_lossy(&sd(&config_path, &db, now, &["check"]).stdout).into_owned();
    assert!(check.contains("none past its 30 days"), "{check}");
}
