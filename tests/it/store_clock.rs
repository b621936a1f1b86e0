//! The stored clock stays equal to the domain's clock as messages and marks change, and the
//! urgency queries answer from the index.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::domain::clock::{ClockState, Thresholds};
use sellerdesk::domain::response::late_response_rate;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::store::Store;
use sellerdesk::store::marks::MarkKind;
use sellerdesk::store::test_support::sql;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

fn config() -> Config {
    Config {
        seller_addresses: vec!["me@shop.test".into()],
        ..Config::default()
    }
}

/// One message: `from_buyer` or from the seller, `hours` after t0, on `order`.
fn mail(id: &str, buyer: &str, from_buyer: bool, hours: i64, order: &str) -> RawMail {
    let alias = format!("{buyer}@marketplace.amazon.com");
    let (from, to) = if from_buyer {
        (alias.clone(), "me@shop.test".to_string())
    } else {
        ("me@shop.test".to_string(), alias.clone())
    };
    let date = (t0() + Duration::hours(hours)).to_rfc2822();
    RawMail {
        bytes: format!(
            "From: {from}\r\nTo: {to}\r\nSubject: Order {order}\r\nDate: {date}\r\nMessage-ID: <{id}@x>\r\n\r\nHello about {order}\r\n"
        )
        .into_bytes(),
        delivered_at: None,
        source: id.into(),
        cut: None,
    }
}

fn store_with(mails: Vec<RawMail>, now: DateTime<Utc>) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    import_raw(&mut store, &config(), mails, now).unwrap();
    store
}

fn thread_of(store: &Store, id: &str) -> i64 {
    store
        .thread_of_message(&format!("{id}@x"))
        .unwrap()
        .expect("stored")
}

#[test]
fn no_response_needed_stops_the_clock_and_undo_restarts_it() {
    let now = t0() + Duration::hours(30);
    let mut store = store_with(vec![mail("a", "bob", true, 0, "111-0000001-0000001")], now);
    let id = thread_of(&store, "a");
    let th = Thresholds::default();
    assert_eq!(store.clock_counts(now, &th).unwrap().overdue, 1);

    store.mark(id, MarkKind::NoResponseNeeded, now).unwrap();
    assert_eq!(store.clock_counts(now, &th).unwrap().needs_reply, 0);
    let buyer = store.buyer_messages_since(now, 7).unwrap();
    assert_eq!(
        late_response_rate(&buyer, now, 7).counted,
        0,
        "marked messages leave the metric"
    );

    assert_eq!(
        store.undo_last_mark(id, now).unwrap(),
        Some(MarkKind::NoResponseNeeded)
    );
    let summary = store.thread_row(id).unwrap().unwrap();
    assert_eq!(summary.clock().unwrap().start, t0());
    assert_eq!(store.undo_last_mark(id, now).unwrap(), None);

    let timeline: Vec<String> = store
        .thread_detail(id)
        .unwrap()
        .unwrap()
        .timeline
        .iter()
        .filter(|e| e.kind.contains("marked"))
        .map(|e| format!("{}:{}", e.kind, e.detail))
        .collect();
    assert_eq!(
        timeline,
        vec!["marked:no_response_needed", "unmarked:no_response_needed"]
    );
}

#[test]
fn opening_a_clock_on_other_mail_starts_it_at_the_mark() {
    let now = t0() + Duration::hours(5);
    let notice = RawMail {
        bytes: b"From: news@amazon.com\r\nTo: me@shop.test\r\nSubject: Notice\r\nDate: Sun, 1 Nov 2026 01:00:00 +0000\r\nMessage-ID: <n@x>\r\n\r\nHi\r\n".to_vec(),
        delivered_at: None,
        source: "n".into(),
        cut: None,
    };
    let mut store = store_with(vec![notice], now);
    let id = thread_of(&store, "n");
    assert!(store.thread_row(id).unwrap().unwrap().clock().is_none());
    store.mark(id, MarkKind::ClockOpened, now).unwrap();
    assert_eq!(
        store
            .thread_row(id)
            .unwrap()
            .unwrap()
            .clock()
            .unwrap()
            .start,
        now
    );
}

#[test]
fn new_buyer_message_after_a_reply_starts_a_new_clock() {
    let now = t0() + Duration::hours(49);
    let store = store_with(
        vec![
            mail("a", "bob", true, 0, "111-0000001-0000001"),
            mail("b", "bob", false, 2, "111-0000001-0000001"),
            mail("c", "bob", true, 30, "111-0000001-0000001"),
        ],
        now,
    );
    let id = thread_of(&store, "a");
    assert_eq!(thread_of(&store, "c"), id, "alias + order ID thread them");
    let clock = store.thread_row(id).unwrap().unwrap().clock().unwrap();
    assert_eq!(clock.start, t0() + Duration::hours(30));
    assert_eq!(
        clock.state(now, &Thresholds::default()),
        ClockState::DueSoon
    );
}

#[test]
fn urgent_threads_come_oldest_clock_first_and_respect_the_limit() {
    let now = t0() + Duration::hours(60);
    let store = store_with(
        vec![
            mail("late", "a", true, 30, "111-0000001-0000001"),
            mail("oldest", "b", true, 5, "111-0000002-0000002"),
            mail("soon", "c", true, 40, "111-0000003-0000003"),
            mail("fresh", "d", true, 55, "111-0000004-0000004"),
            mail("done", "e", true, 1, "111-0000005-0000005"),
            mail("reply", "e", false, 3, "111-0000005-0000005"),
        ],
        now,
    );
    let th = Thresholds::default();
    let subjects: Vec<String> = store
        .urgent_threads(now, &th, None)
        .unwrap()
        .into_iter()
        .map(|t| t.order_id.unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec![
            "111-0000002-0000002",
            "111-0000001-0000001",
            "111-0000003-0000003"
        ]
    );
    assert_eq!(store.urgent_threads(now, &th, Some(1)).unwrap().len(), 1);
    let c = store.clock_counts(now, &th).unwrap();
    assert_eq!(
        (c.needs_reply, c.due_soon, c.overdue, c.critical),
        (4, 1, 2, 1)
    );
}

#[test]
fn late_response_rate_from_the_store() {
    let now = t0() + Duration::hours(100);
    let store = store_with(
        vec![
            mail("q1", "a", true, 0, "111-0000001-0000001"),
            mail("r1", "a", false, 2, "111-0000001-0000001"), // on time
            mail("q2", "b", true, 10, "111-0000002-0000002"),
            mail("r2", "b", false, 40, "111-0000002-0000002"), // 30 h: late
            mail("q3", "c", true, 50, "111-0000003-0000003"),  // unanswered past 24 h
            mail("q4", "d", true, 90, "111-0000004-0000004"),  // inside its 24 h
        ],
        now,
    );
    let r = late_response_rate(&store.buyer_messages_since(now, 7).unwrap(), now, 7);
    assert_eq!((r.counted, r.over_24h, r.no_response_yet), (3, 1, 1));
    assert_eq!(r.average_response, Some(Duration::hours(16)));
}

#[test]
fn urgency_queries_use_the_clock_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.db")).unwrap();
    let plan: Vec<String> = sql(&store)
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM threads WHERE clock_start IS NOT NULL AND clock_start <= 5
             ORDER BY clock_start, id LIMIT 50",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join(" | ");
    assert!(plan.contains("threads_by_clock"), "{plan}");
    assert!(!plan.contains("SCAN threads "), "{plan}");
}
