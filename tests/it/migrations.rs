//! Every schema version ever released has a fixture database in `tests/fixtures/db/vN.sqlite`
//! (written by `write_fixture_for_the_current_schema` when its migration was added). Each must
//! migrate to the current schema with every row kept.

use sellerdesk::store::test_support::sql;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use rusqlite::Connection;
use sellerdesk::store::Store;
use sellerdesk::store::migrations::latest_version;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db")
}

fn row_counts(conn: &Connection) -> Vec<(String, i64)> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

#[test]
fn there_is_a_fixture_for_every_schema_version() {
    for v in 1..=latest_version() {
        let f = fixtures().join(format!("v{v}.sqlite"));
        assert!(
            f.exists(),
            "missing {}: run `cargo test --test migrations -- --ignored`",
            f.display()
        );
    }
}

#[test]
fn every_fixture_migrates_with_all_rows_kept() {
    for v in 1..=latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        std::fs::copy(fixtures().join(format!("v{v}.sqlite")), &path).unwrap();
        let before = {
            let c = Connection::open(&path).unwrap();
            let version: i64 = c
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(version, v, "fixture v{v} is at schema {version}");
            row_counts(&c)
        };
        assert!(
            before.iter().any(|(t, n)| t == "messages" && *n > 0),
            "fixture v{v} has data"
        );
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), latest_version());
        let after = row_counts(&sql(&store));
        for (table, n) in &before {
            // The search index is rebuilt from the messages (`an_existing_search_index_…`).
            if table.starts_with("messages_fts") {
                continue;
            }
            // Tables a migration replaced, their rows carried over.
            let now_named = match table.as_str() {
                "amazon_metrics" => "amazon_figures",
                t => t,
            };
            let kept = after.iter().find(|(t, _)| t == now_named).map(|(_, n)| *n);
            // Later migrations may add rows (the default templates), never drop any.
            assert!(kept >= Some(*n), "v{v}: table {table} lost rows");
        }
        let ok: String = sql(&store)
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let fk_problems: i64 = sql(&store)
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(fk_problems, 0);
        // The per-day metric counts were built from the records the old version held.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        for market in [None, Some("amazon.de")] {
            let pure = sellerdesk::metrics::compute(&store, now, market).unwrap();
            let fast = sellerdesk::metrics::compute_fast(&store, now, market).unwrap();
            assert_eq!(pure, fast, "v{v} {market:?}");
        }
        let pending: i64 = sql(&store)
            .query_row("SELECT count(*) FROM metric_dirty", [], |r| r.get(0))
            .unwrap();
        assert_eq!(pending, 0, "v{v}: every day recounted");
        // Each kind's thread count, kept from here on by triggers, starts from the threads.
        let (kept, counted) =
            sellerdesk::store::test_support::thread_counts_kept_and_counted(&store);
        assert_eq!(kept, counted, "v{v}: thread counts");
    }
}

/// Writes the fixture for the current schema version from the demo inbox. Run once when a
/// migration is added, then commit the file: `cargo test --test migrations -- --ignored`.
#[test]
#[ignore]
fn write_fixture_for_the_current_schema() {
    let target = fixtures().join(format!("v{}.sqlite", latest_version()));
    if target.exists() {
        eprintln!(
            "{} exists; fixtures of released versions never change",
            target.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.db");
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let (mut store, _) = sellerdesk::demo::build(&path, now).unwrap();
    sql(&store)
        .execute_batch(
            "INSERT OR IGNORE INTO orders (order_id, marketplace, purchased_at, status, fulfillment_channel)
                 VALUES ('111-4827163-0028371', 'amazon.com', 1795000000, 'Shipped', 'merchant');
             INSERT OR IGNORE INTO order_items (order_id, item_key, asin, sku, product_name, quantity)
                 VALUES ('111-4827163-0028371', '1', 'B0FIXT0001', 'LAMP-1', 'Brass desk lamp', 1);
             INSERT OR IGNORE INTO templates (name, category, language, body, created_at, updated_at)
                 VALUES ('Damaged item', 'shipping', 'en', 'Hello {{buyer_name}}', 1795000000, 1795000000);
             INSERT OR IGNORE INTO drafts (thread_id, body, updated_at) VALUES (1, 'Draft text', 1795000000);
             INSERT OR IGNORE INTO events (thread_id, at, kind, detail) VALUES (1, 1795000000, 'noted', 'x');
             INSERT OR IGNORE INTO shipments (order_id, tracking, shipped_at, carrier, ship_method, valid)
                 VALUES ('111-4827163-0028371', '1Z999AA10123456784', 1795000000, 'UPS', 'Ground', 1);
             INSERT OR IGNORE INTO feedback (feedback_key, order_id, rated_at, rating, all_ratings)
                 VALUES ('111-4827163-0028371', '111-4827163-0028371', 1795000000, 2, 0);
             INSERT OR IGNORE INTO claims (order_id, kind, opened_at, status)
                 VALUES ('111-4827163-0028371', 'a-to-z', 1795000000, 'open');
             INSERT OR IGNORE INTO refunds (order_id, refunded_at, amount) VALUES ('111-4827163-0028371', 1795000000, '9.99');
             INSERT OR IGNORE INTO cancellations (order_id, cancelled_at, cancelled_by) VALUES ('111-4827163-0028371', 1795000000, 'buyer');
             INSERT OR IGNORE INTO account_health (reported_at, ahr, source) VALUES (1795000000, 230, 'seller');
             INSERT OR IGNORE INTO amazon_figures (reported_at, marketplace_id, metric, status, rate,
                     numerator, denominator, target, date_from, date_to, negative, claims, chargebacks)
                 VALUES (1795000000, 'ATVPDKIKX0DER', 'odr', 'GOOD', 0.0, 0, 120, 0.01,
                         1789000000, 1794000000, 0, 0, 0);
             INSERT OR IGNORE INTO deliveries (order_id, delivered_at)
                 VALUES ('111-4827163-0028371', 1795300000);
             UPDATE feedback SET removed_at = 1795100000 WHERE feedback_key = '111-4827163-0028371';
             INSERT INTO follow_ups (thread_id, kind, channel, case_id, created_at, due_at)
                 VALUES (1, 'escalation', 'seller_support', '1234567', 1795000000, 1795172800);
             INSERT OR IGNORE INTO snoozes (thread_id, until, created_at) VALUES (2, 1795014400, 1795000000);
             INSERT OR IGNORE INTO proactive_messages (message_key, order_id, reason, sent_at)
                 SELECT message_key, '111-4827163-0028371', 'review_request', 1795000000
                 FROM messages WHERE direction = 'out' LIMIT 1;
             INSERT OR IGNORE INTO outbox (message_id, thread_id, state, attempts, next_attempt_at,
                                           last_error, transport, queued_at, updated_at)
                 SELECT id, thread_id, 'failed', 2, 1795000600, 'transient error (451): try later',
                        'smtp', 1795000000, 1795000000
                 FROM messages WHERE direction = 'out' LIMIT 1;
             INSERT OR IGNORE INTO takes (thread_id, instance, agent, since, seen_at)
                 VALUES (1, 'fixture-host:1', 'Anna', 1795000000, 1795000000);
             INSERT OR IGNORE INTO draft_attachments (thread_id, path, added_at)
                 VALUES (1, '/home/anna/invoice.pdf', 1795000000);
             INSERT INTO backups (path, made_at, size)
                 VALUES ('/home/anna/backups/shop-2026-11-20.db', 1795000000, 123456);
             INSERT INTO purges (at, cutoff, threads, messages)
                 VALUES (1795000000, 1792408000, 3, 7);",
        )
        .unwrap();
    // Rows written behind the store's back: the per-day metric counts are rebuilt.
    store.rebuild_metric_days().unwrap();
    // One file, no WAL beside it: changed on a connection of its own once the store is closed.
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute_batch(
            "PRAGMA wal_checkpoint(TRUNCATE);
             PRAGMA journal_mode = DELETE;",
        )
        .unwrap();
    std::fs::copy(&path, &target).unwrap();
    eprintln!("wrote {}", target.display());
}

/// An existing database gains a template for every complaint kind in every shipped language
/// (schema 17), so the picker's first entry fits every thread there too.
#[test]
fn an_existing_database_gains_every_kind_in_every_language() {
    for v in [1, 16] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        std::fs::copy(fixtures().join(format!("v{v}.sqlite")), &path).unwrap();
        let store = Store::open(&path).unwrap();
        let rows = store.templates().unwrap();
        for kind in sellerdesk::domain::category::Category::ALL {
            for lang in ["en", "de", "fr", "es", "it", "ja"] {
                assert!(
                    rows.iter()
                        .any(|r| r.template.category.as_deref() == Some(kind.key())
                            && r.template.language == lang),
                    "v{v}: no {} template in {lang}",
                    kind.key()
                );
            }
        }
    }
}

/// Schema 18: a shipped template never edited takes the current shipped text (no old one
/// promising `{{delivery_date}}` as a future date survives); one the seller edited keeps every
/// word.
#[test]
fn an_existing_search_index_is_rebuilt_and_searches_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(fixtures().join("v18.sqlite"), &path).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let search = |store: &Store, q: &str| {
        store
            .search_threads(sellerdesk::store::inbox::Filter::All, None, q, now, 50)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let words = [
        "kaffeemühle",
        "4827163",
        "緩衝材",
        "bob wilson",
        "dented crus",
    ];
    let before: Vec<Vec<i64>> = {
        let old = Connection::open(&path).unwrap();
        let upto: i64 = old
            .query_row("SELECT indexed_upto FROM search_state", [], |r| r.get(0))
            .unwrap();
        assert!(upto > 0, "the fixture's index is built");
        drop(old);
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.indexed_upto().unwrap(), 0, "to be rebuilt");
        // Not indexed yet: found by reading the messages.
        let meanwhile: Vec<Vec<i64>> = words.iter().map(|w| search(&store, w)).collect();
        let n = store.index_all_messages().unwrap();
        assert!(n > 0);
        let newest: i64 = sql(&store)
            .query_row("SELECT max(id) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(store.indexed_upto().unwrap(), newest);
        meanwhile
    };
    let store = Store::open(&path).unwrap();
    for (w, found) in words.iter().zip(&before) {
        assert!(!found.is_empty(), "{w} found before the rebuild");
        assert_eq!(&search(&store, w), found, "{w} after the rebuild");
    }
}

#[test]
fn unedited_shipped_templates_are_brought_up_to_date_and_edited_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    std::fs::copy(fixtures().join("v16.sqlite"), &path).unwrap();
    let edited = "Hello {{buyer_name}}, your parcel arrives by {{delivery_date}}. My own words.";
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE templates SET body = ?1 WHERE name = 'Late or lost delivery'",
            [edited],
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    let shipped = sellerdesk::reply::templates::defaults().unwrap();
    let stored = store.templates().unwrap();
    let body = |name: &str| {
        stored
            .iter()
            .find(|r| r.template.name == name)
            .map(|r| r.template.body.clone())
            .unwrap()
    };
    let current = |name: &str| {
        shipped
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.body.clone())
            .unwrap()
    };
    for name in [
        "Damaged in transit",
        "Service apology",
        "Beschädigt angekommen (DE)",
    ] {
        assert_eq!(body(name), current(name), "{name}");
    }
    assert_eq!(
        body("Late or lost delivery"),
        edited,
        "the seller's own text"
    );
    // No shipped template left promising the order's date as a future one.
    for r in &stored {
        let t = &r.template;
        if t.body.contains("{{delivery_date}}") && r.template.name != "Late or lost delivery" {
            assert_eq!(
                Some(&t.body),
                shipped.iter().find(|s| s.name == t.name).map(|s| &s.body)
            );
        }
    }
}
