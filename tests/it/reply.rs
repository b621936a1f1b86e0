//! Replying end to end below the screen: placeholders filled from the thread, blocked while
//! any is left, the `.eml` in the outbox, the outbound message recorded and the clock stopped.

use chrono::{DateTime, TimeZone, Utc};
use sellerdesk::config::Config;
use sellerdesk::demo::{build, demo_config};
use sellerdesk::domain::clock::Thresholds;
use sellerdesk::domain::template::fill;
use sellerdesk::import::{RawMail, import_raw};
use sellerdesk::reply::{SendError, prepare, send};
use sellerdesk::store::Store;
use sellerdesk::store::test_support::sql;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn demo(dir: &std::path::Path) -> (Store, Config) {
    let (store, _) = build(&dir.join("demo.db"), now()).unwrap();
    let config = Config {
        outbox: Some(dir.join("outbox")),
        ..demo_config()
    };
    (store, config)
}

#[test]
fn a_reply_from_a_template_is_written_recorded_and_stops_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, config) = demo(dir.path());
    let th = Thresholds::default();
    let before = store.clock_counts(now(), &th).unwrap();
    let thread: i64 = sql(&store)
        .query_row(
            "SELECT id FROM threads WHERE order_id = '111-4827163-0028371' AND buyer_alias IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();

    let facts = store.reply_facts(thread).unwrap().unwrap();
    assert_eq!(
        facts.context.order_id.as_deref(),
        Some("111-4827163-0028371")
    );
    assert_eq!(
        facts.context.product.as_deref(),
        Some("Brass desk lamp with linen shade")
    );
    // The order's promised date and its shipment's carrier and tracking come from the order
    // side (the demo promises six days after purchase and ships with UPS).
    let bought = facts.context.purchase_date.unwrap();
    assert_eq!(
        facts.context.delivery_date,
        Some(bought + chrono::Duration::days(6))
    );
    assert_eq!(facts.context.carrier.as_deref(), Some("UPS"));
    assert!(
        facts
            .context
            .tracking_number
            .as_deref()
            .is_some_and(|t| t.starts_with("1Z")),
        "{:?}",
        facts.context.tracking_number
    );
    assert_eq!(
        facts.context.ship_date,
        Some(bought + chrono::Duration::hours(20))
    );
    // The item's SKU, once the order report gives one.
    assert_eq!(facts.context.sku, None);
    sql(&store)
        .execute(
            "UPDATE order_items SET sku = 'LAMP-1' WHERE order_id = '111-4827163-0028371'",
            [],
        )
        .unwrap();
    let with_sku = store.reply_facts(thread).unwrap().unwrap();
    assert_eq!(with_sku.context.sku.as_deref(), Some("LAMP-1"));
    let template = store
        .templates()
        .unwrap()
        .into_iter()
        .find(|t| t.template.name == "Damaged in transit")
        .unwrap()
        .template;
    let mut ctx = facts.context.clone();
    ctx.seller_name = Some(config.seller_name.clone());
    let body = fill(&template.body, &ctx, now(), config.timezone);
    assert!(body.starts_with("Hello Bob,"), "{body}");
    assert!(body.contains("Brass desk lamp with linen shade from order 111-4827163-0028371"));

    // Without [commitments] the promised dates are the seller's to give: sending is refused,
    // nothing is written.
    match prepare(&store, &config, thread, &body, now()) {
        Err(SendError::Unfilled(left)) => {
            assert_eq!(left, vec!["{{replacement_arrival}}", "{{refund_date}}"])
        }
        other => panic!("{other:?}"),
    }
    assert!(!dir.path().join("outbox").exists());

    let body = body
        .replace("{{replacement_arrival}}", "Friday 27 November")
        .replace("{{refund_date}}", "tomorrow");
    store.save_draft(thread, &body, now()).unwrap();
    let reply = prepare(&store, &config, thread, &body, now()).unwrap();
    assert_eq!(reply.to_addr, facts.to_addr.clone().unwrap());
    assert_eq!(reply.from_addr, "support@example-shop.test");
    assert!(reply.subject.starts_with("Re: "), "{}", reply.subject);
    let sent = send(&mut store, &config, thread, &reply, now(), &[], None).unwrap();

    // The file: whole, private, a standard message threaded to the buyer's last one.
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files, vec![sent.path().unwrap()]);
    let bytes = std::fs::read(sent.path().unwrap()).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(parsed.message_id(), Some(sent.message_id.as_str()));
    assert_eq!(parsed.in_reply_to().as_text(), facts.in_reply_to.as_deref());
    assert!(parsed.body_text(0).unwrap().contains("Friday 27 November"));

    // The thread: the reply recorded, the clock stopped, the draft gone.
    let after = store.clock_counts(now(), &th).unwrap();
    assert_eq!(after.critical, before.critical - 1);
    assert_eq!(after.needs_reply, before.needs_reply - 1);
    let detail = store.thread_detail(thread).unwrap().unwrap();
    let last = detail.messages.last().unwrap();
    assert_eq!(
        (last.direction.as_str(), last.role.as_str()),
        ("out", "seller")
    );
    assert_eq!(detail.row.clock_start, None);
    assert_eq!(store.draft(thread).unwrap(), None);

    // Importing the outbox (or the Sent folder that later holds it) adds nothing.
    let report = import_raw(
        &mut store,
        &config,
        [RawMail {
            bytes,
            delivered_at: None,
            source: "again".into(),
            cut: None,
        }],
        now(),
    )
    .unwrap();
    assert_eq!((report.imported, report.duplicates), (0, 1));
}

#[test]
fn sending_needs_a_sender_address_and_a_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let (store, config) = demo(dir.path());
    let thread = store
        .urgent_threads(now(), &Thresholds::default(), Some(1))
        .unwrap()[0]
        .id;
    let no_sender = Config {
        seller_addresses: vec![],
        ..config.clone()
    };
    assert!(matches!(
        prepare(&store, &no_sender, thread, "Hello", now()),
        Err(SendError::NoSender)
    ));
    assert!(matches!(
        prepare(&store, &config, thread, "  \n", now()),
        Err(SendError::Empty)
    ));
    assert!(matches!(
        prepare(&store, &config, 999_999, "Hello", now()),
        Err(SendError::NoThread(_))
    ));
}

/// A reply against Amazon's rules is refused until the seller confirms each kind of error; the
/// override is recorded on the thread's timeline with the reply.
#[test]
fn rule_errors_block_until_overridden_and_the_override_is_recorded() {
    use sellerdesk::domain::compliance::Kind;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, config) = demo(dir.path());
    let thread = store
        .urgent_threads(now(), &Thresholds::default(), Some(1))
        .unwrap()[0]
        .id;
    let body = "Hello, a new one ships today. Use coupon SAVE10 on https://shop.example next time.";
    let reply = prepare(&store, &config, thread, body, now()).unwrap();
    let kinds: Vec<Kind> = sellerdesk::reply::rule_errors(&reply, None, now())
        .iter()
        .map(|f| f.kind)
        .collect();
    assert_eq!(kinds, vec![Kind::Marketing, Kind::Link]);
    match send(
        &mut store,
        &config,
        thread,
        &reply,
        now(),
        &[Kind::Marketing],
        None,
    ) {
        Err(SendError::Rules(what)) => {
            assert!(what.contains("link “https://shop.example”"), "{what}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!dir.path().join("outbox").exists());
    send(&mut store, &config, thread, &reply, now(), &kinds, None).unwrap();
    let detail = store.thread_detail(thread).unwrap().unwrap();
    let over = detail
        .timeline
        .iter()
        .find(|e| e.kind == "override")
        .expect("the override is on the timeline");
    assert!(
        over.detail.starts_with("sent despite: marketing “coupon”"),
        "{}",
        over.detail
    );
}

/// Writing first: the order ID must be in the message, the order completed within 30 days,
/// and only one review request per order, whatever the confirmation.
#[test]
fn writing_first_follows_the_proactive_rules() {
    use sellerdesk::domain::compliance::Reason;
    use sellerdesk::reply::{prepare_message, proactive_start};
    let dir = tempfile::tempdir().unwrap();
    let (mut store, config) = demo(dir.path());
    // Bob Wilson's order: bought 4 days before he wrote, in the demo's orders.
    let thread: i64 = sql(&store)
        .query_row(
            "SELECT id FROM threads WHERE buyer_name = 'Bob Wilson'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (subject, facts) = proactive_start(&store, thread, Reason::ReviewRequest).unwrap();
    assert_eq!(subject, "Your order 111-4827163-0028371");
    assert_eq!(facts.review_requests_before, 0);
    let ask = |store: &sellerdesk::store::Store, body: &str| {
        prepare_message(
            store,
            &config,
            thread,
            body,
            now(),
            Some(Reason::ReviewRequest),
        )
        .unwrap()
    };

    // Without the order ID: refused, no override possible.
    let no_id = ask(
        &store,
        "Hello Bob, if you have a moment, please leave a review.",
    );
    assert!(no_id.in_reply_to.is_none());
    match send(
        &mut store,
        &config,
        thread,
        &no_id,
        now(),
        &[],
        Some(Reason::ReviewRequest),
    ) {
        Err(SendError::Refused(why)) => assert!(why.contains("17-digit order ID"), "{why}"),
        other => panic!("{other:?}"),
    }
    let body =
        "Hello Bob, about order 111-4827163-0028371: if you have a moment, please leave a review.";
    let first = ask(&store, body);
    send(
        &mut store,
        &config,
        thread,
        &first,
        now(),
        &[],
        Some(Reason::ReviewRequest),
    )
    .unwrap();
    let (_, facts) = proactive_start(&store, thread, Reason::ReviewRequest).unwrap();
    assert_eq!(facts.review_requests_before, 1);
    // A second review request for the order is refused, even confirmed.
    let all = [sellerdesk::domain::compliance::Kind::RepeatedReviewRequest];
    let second = ask(&store, body);
    match send(
        &mut store,
        &config,
        thread,
        &second,
        now(),
        &all,
        Some(Reason::ReviewRequest),
    ) {
        Err(SendError::Refused(why)) => assert!(why.contains("one review request"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Another reason is fine; 31 days after the order it is not.
    let info = "Hello Bob, about order 111-4827163-0028371: which colour would you like?";
    let r = prepare_message(
        &store,
        &config,
        thread,
        info,
        now(),
        Some(Reason::OrderInformation),
    )
    .unwrap();
    send(
        &mut store,
        &config,
        thread,
        &r,
        now(),
        &[],
        Some(Reason::OrderInformation),
    )
    .unwrap();
    let late = now() + chrono::Duration::days(40);
    let r = prepare_message(
        &store,
        &config,
        thread,
        info,
        late,
        Some(Reason::OrderInformation),
    )
    .unwrap();
    match send(
        &mut store,
        &config,
        thread,
        &r,
        late,
        &[],
        Some(Reason::OrderInformation),
    ) {
        Err(SendError::Refused(why)) => assert!(why.contains("30 days"), "{why}"),
        other => panic!("{other:?}"),
    }
    let timeline = store.thread_detail(thread).unwrap().unwrap().timeline;
    assert_eq!(
        timeline.iter().filter(|e| e.kind == "wrote first").count(),
        2
    );
}

#[test]
fn a_reply_carries_its_attached_files_checked_for_size_before_queueing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, config) = demo(dir.path());
    let thread: i64 = sql(&store)
        .query_row(
            "SELECT id FROM threads WHERE order_id = '111-4827163-0028371' AND buyer_alias IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let label = dir.path().join("return-label.pdf");
    std::fs::write(&label, b"%PDF-1.4 prepaid return label").unwrap();
    store.attach(thread, &label, now()).unwrap();
    let body = "Hello Bob,\n\nthe return label is attached.\n";

    // A file that grew past 10 MB after it was attached stops the reply; nothing is queued.
    let video = dir.path().join("unboxing.mp4");
    std::fs::write(&video, b"small at first").unwrap();
    store.attach(thread, &video, now()).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&video)
        .unwrap()
        .set_len(sellerdesk::reply::attachments::MAX_BYTES + 1)
        .unwrap();
    let e = prepare(&store, &config, thread, body, now()).unwrap_err();
    assert!(matches!(e, SendError::Attachment(_)), "{e}");
    assert!(e.to_string().contains("limited to 10 MB"), "{e}");
    assert_eq!(store.detach_last(thread).unwrap(), Some(video));

    let reply = prepare(&store, &config, thread, body, now()).unwrap();
    assert_eq!(reply.attachments.len(), 1);
    let sent = send(&mut store, &config, thread, &reply, now(), &[], None).unwrap();
    let bytes = std::fs::read(sent.path().unwrap()).unwrap();
    let files = sellerdesk::reply::attachments::inbound(&bytes);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename.as_deref(), Some("return-label.pdf"));
    assert_eq!(files[0].content_type.as_deref(), Some("application/pdf"));
    assert_eq!(files[0].bytes, b"%PDF-1.4 prepaid return label");
    // Recorded with the reply, and gone from the (now sent) draft.
    let listed: String = sql(&store)
        .query_row(
            "SELECT a.filename FROM attachments a JOIN messages m ON m.id = a.message_id
             WHERE m.direction = 'out' AND m.thread_id = ?1",
            [thread],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(listed, "return-label.pdf");
    assert!(store.draft_attachments(thread).unwrap().is_empty());
}

/// RFC 5322 §3.6.4: a reply's References are its parent's References (or its one In-Reply-To),
/// then the parent's Message-ID; and every message says MIME-Version.
#[test]
fn a_reply_carries_the_parents_reference_chain_and_mime_version() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        seller_addresses: vec!["support@example-shop.test".into()],
        outbox: Some(dir.path().join("outbox")),
        ..Config::default()
    };
    let mut store = Store::open(&dir.path().join("x.db")).unwrap();
    let mail = |id: &str, extra: &str, hour: u32| RawMail {
        bytes: format!(
            "From: Bob <t2bb@marketplace.amazon.com>\r\nTo: support@example-shop.test\r\n\
             Subject: Lamp (Order: 111-4827163-0028371)\r\nMessage-ID: <{id}>\r\n{extra}\
             Date: Sun, 22 Nov 2026 {hour:02}:00:00 +0000\r\n\r\nHello\r\n"
        )
        .into_bytes(),
        delivered_at: None,
        source: "test".into(),
        cut: None,
    };
    // The buyer's client kept a chain that began before this database did.
    import_raw(
        &mut store,
        &config,
        [
            mail("first@buyer.test", "", 6),
            mail(
                "third@buyer.test",
                "In-Reply-To: <second@shop.test>\r\nReferences: <zero@buyer.test>\r\n \
                 <first@buyer.test> <second@shop.test>\r\n",
                8,
            ),
        ],
        now(),
    )
    .unwrap();
    let thread: i64 = sql(&store)
        .query_row("SELECT thread_id FROM messages LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let reply = prepare(&store, &config, thread, "Hello Bob", now()).unwrap();
    assert_eq!(reply.in_reply_to.as_deref(), Some("third@buyer.test"));
    assert_eq!(
        reply.references,
        [
            "zero@buyer.test",
            "first@buyer.test",
            "second@shop.test",
            "third@buyer.test"
        ]
    );
    let sent = send(&mut store, &config, thread, &reply, now(), &[], None).unwrap();
    let raw: Vec<u8> = sql(&store)
        .query_row(
            "SELECT raw FROM message_raw r JOIN outbox o ON o.message_id = r.message_id
             WHERE o.id = ?1",
            [sent.outbox_id],
            |r| r.get(0),
        )
        .unwrap();
    let head = String::from_utf8_lossy(&raw);
    let head = head.split("\r\n\r\n").next().unwrap();
    assert!(head.contains("MIME-Version: 1.0"), "{head}");
    assert!(
        head.contains(
            "References: <zero@buyer.test> <first@buyer.test> <second@shop.test>\r\n <third@buyer.test>"
        ) || head.contains(
            "References: <zero@buyer.test> <first@buyer.test> <second@shop.test> <third@buyer.test>"
        ),
        "{head}"
    );
}
