//! Account metrics by Amazon's rules (docs/amazon-rules.md), on hand-built Amazon-format files
//! imported by the real binary, each figure computed by hand beside its assertion: ODR per
//! fulfilment channel, claim outcomes, removed feedback, cancelled orders, on-time delivery,
//! buyer-initiated messages, and import order that never changes a number.

use crate::support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const NOW: &str = "2026-11-22T12:00:00Z";

/// The test's seller, in UTC.
struct Home(support::home::Home);

impl Home {
    fn new() -> Home {
        Home(support::home::Home::new("UTC"))
    }

    fn sd(&self, now: &str) -> Command {
        self.0.sd(now)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        self.0.file(name, text)
    }

    fn dir(&self) -> &Path {
        self.0.dir.path()
    }

    fn import(&self, files: &[&Path]) {
        self.0.import_ok(NOW, files);
    }

    fn metrics_at(&self, now: &str) -> Value {
        self.0.metrics(now, &[])
    }

    fn metrics(&self) -> Value {
        self.metrics_at(NOW)
    }
}

fn nd(m: &Value, key: &str) -> (u64, u64) {
    let x = &m["metrics"][key];
    (
        x["numerator"].as_u64().unwrap(),
        x["denominator"].as_u64().unwrap(),
    )
}

fn part(m: &Value, key: &str, p: &str) -> (u64, u64) {
    let x = &m["metrics"][key]["parts"][p];
    (
        x["numerator"].as_u64().unwrap(),
        x["denominator"].as_u64().unwrap(),
    )
}

const HEADER: &str = "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tsku\tlatest-ship-date\n";

/// `n` orders of one channel, bought `days` days before NOW, IDs from `first`.
fn orders(first: u32, n: u32, channel: &str, days: u32) -> String {
    (first..first + n)
        .map(|i| {
            format!(
                "111-0000000-{i:07}\t{}T10:00:00Z\t2026-11-21T10:00:00Z\tShipped\t{channel}\tAmazon.com\tSKU\t\n",
                day_before(days)
            )
        })
        .collect()
}

/// `2026-MM-DD`, `days` days before 2026-11-22.
fn day_before(days: u32) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        - chrono::Duration::days(i64::from(days));
    d.format("%Y-%m-%d").to_string()
}

/// The issue's case: 40 seller-fulfilled orders with one negative feedback and 160 clean FBA
/// orders. Mixed, that is 1 of 200 = 0.5% "good"; Amazon shows 1 of 40 = 2.5% for
/// seller-fulfilled (G200285170), and 0 of 160 for FBA.
#[test]
fn each_fulfilment_channel_has_its_own_odr() {
    let home = Home::new();
    let tsv = home.file(
        "orders.tsv",
        &format!(
            "{HEADER}{}{}",
            orders(1, 40, "Merchant", 20),
            orders(100, 160, "Amazon", 20)
        ),
    );
    let fb = home.file(
        "feedback.csv",
        "order_id,date,rating,comments\n111-0000000-0000007,2026-11-10,1,Broken\n",
    );
    home.import(&[&tsv, &fb]);
    let m = home.metrics();
    assert_eq!(nd(&m, "odr"), (1, 40));
    assert_eq!(m["metrics"]["odr"]["rate"], 0.025);
    assert_eq!(m["metrics"]["odr"]["status"], "bad");
    assert_eq!(part(&m, "odr", "negative_feedback"), (1, 40));
    assert_eq!(part(&m, "odr", "a_to_z"), (0, 40));
    assert_eq!(nd(&m, "odr_fba"), (0, 160));
    assert_eq!(m["metrics"]["odr_fba"]["status"], "good");
    // The text table shows both.
    let out = home.sd(NOW).arg("metrics").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Order defects (seller)      2.50%          1/40"),
        "{text}"
    );
    assert!(
        text.contains("Order defects (FBA)         0.00%         0/160"),
        "{text}"
    );
    // 1 of 40 is off target: none of the 40, or 61 more clean orders (1 of 101 is 0.99%).
    assert!(
        text.contains("to recover: 1 fewer order with a defect, or 61 more orders without one"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(2));
}

/// G200285170's claim outcomes: pending, granted, refunded after filing and withdrawn after a
/// decision count; denied, withdrawn before a decision and Buy Shipping protected do not. A
/// service chargeback counts whatever its outcome (the order received one); a fraud
/// chargeback does not.
#[test]
fn claims_count_exactly_as_amazon_counts_them() {
    let home = Home::new();
    let tsv = home.file(
        "orders.tsv",
        &format!("{HEADER}{}", orders(1, 12, "Merchant", 10)),
    );
    let claims = home.file(
        "claims.csv",
        "order_id,kind,opened,status\n\
         111-0000000-0000001,a-to-z,2026-11-15,open\n\
         111-0000000-0000002,a-to-z,2026-11-15,granted\n\
         111-0000000-0000003,a-to-z,2026-11-15,refunded\n\
         111-0000000-0000004,a-to-z,2026-11-15,withdrawn_after_decision\n\
         111-0000000-0000005,a-to-z,2026-11-15,denied\n\
         111-0000000-0000006,a-to-z,2026-11-15,withdrawn\n\
         111-0000000-0000007,a-to-z,2026-11-15,buy_shipping_protected\n\
         111-0000000-0000008,chargeback,2026-11-15,denied\n\
         111-0000000-0000009,chargeback,2026-11-15,open\n\
         111-0000000-0000010,fraud-chargeback,2026-11-15,granted\n",
    );
    home.import(&[&tsv, &claims]);
    let m = home.metrics();
    // Defects: 1, 2, 3, 4 (A-to-z) and 8, 9 (chargebacks) = 6 of 12.
    assert_eq!(nd(&m, "odr"), (6, 12));
    assert_eq!(part(&m, "odr", "a_to_z"), (4, 12));
    assert_eq!(part(&m, "odr", "chargebacks"), (2, 12));
    // A later file saying "open" for a decided claim changes nothing.
    let reopened = home.file(
        "claims2.csv",
        "order_id,kind,opened,status\n111-0000000-0000005,a-to-z,2026-11-15,open\n",
    );
    home.import(&[&reopened]);
    assert_eq!(nd(&home.metrics(), "odr"), (6, 12));
}

/// Feedback Amazon removed stops counting from its removal: the CSV's `removed` column,
/// `feedback remove` and `feedback restore`.
#[test]
fn removed_feedback_stops_counting_from_its_removal() {
    let home = Home::new();
    let tsv = home.file(
        "orders.tsv",
        &format!("{HEADER}{}", orders(1, 10, "Merchant", 15)),
    );
    let fb = home.file(
        "feedback.csv",
        "order_id,date,rating,comments,removed\n\
         111-0000000-0000001,2026-11-10,1,Awful,2026-11-18\n\
         111-0000000-0000002,2026-11-10,2,Slow,\n\
         111-0000000-0000003,2026-11-10,5,Great,\n",
    );
    home.import(&[&tsv, &fb]);
    let m = home.metrics();
    // 1's feedback was removed on 11-18: only 2 counts now. Rating: 3 (5★) and 2 (2★).
    assert_eq!(nd(&m, "odr"), (1, 10));
    assert_eq!(nd(&m, "feedback_30"), (1, 2));
    // Before the removal both counted.
    let before = home.metrics_at("2026-11-17T12:00:00Z");
    assert_eq!(nd(&before, "odr"), (2, 10));
    assert_eq!(nd(&before, "feedback_30"), (1, 3));
    // Amazon removes 2's too, on 11-20.
    let out = home
        .sd(NOW)
        .args([
            "feedback",
            "remove",
            "111-0000000-0000002",
            "--at",
            "2026-11-20",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(nd(&home.metrics(), "odr"), (0, 10));
    assert_eq!(nd(&home.metrics_at("2026-11-19T12:00:00Z"), "odr"), (1, 10));
    // A mistake: restored, it counts again.
    let out = home
        .sd(NOW)
        .args(["feedback", "restore", "111-0000000-0000002"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(nd(&home.metrics(), "odr"), (1, 10));
    // An order without feedback is an error naming it.
    let out = home
        .sd(NOW)
        .args(["feedback", "remove", "111-0000000-0000009"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("111-0000000-0000009"));
}

/// An order a report calls Cancelled never counts as a late shipment; a cancellation nobody
/// is named for counts as the seller's in PCR, one the buyer asked for does not.
#[test]
fn cancelled_orders_are_not_late_and_count_for_pcr_by_who_cancelled() {
    let home = Home::new();
    let tsv = home.file(
        "orders.tsv",
        "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tsku\tlatest-ship-date\n\
         111-0000000-0000001\t2026-11-18T10:00:00Z\t2026-11-19T10:00:00Z\tCancelled\tMerchant\tAmazon.com\tA\t2026-11-19T10:00:00Z\n\
         111-0000000-0000002\t2026-11-18T10:00:00Z\t2026-11-19T10:00:00Z\tCancelled\tMerchant\tAmazon.com\tA\t2026-11-19T10:00:00Z\n\
         111-0000000-0000003\t2026-11-18T10:00:00Z\t2026-11-19T10:00:00Z\tUnshipped\tMerchant\tAmazon.com\tA\t2026-11-19T10:00:00Z\n\
         111-0000000-0000004\t2026-11-18T10:00:00Z\t2026-11-19T10:00:00Z\tShipped\tMerchant\tAmazon.com\tA\t2026-11-19T10:00:00Z\n",
    );
    let cancels = home.file(
        "cancellations.csv",
        "order_id,cancelled,by,reason\n111-0000000-0000002,2026-11-18T12:00:00Z,buyer,Mistake\n",
    );
    home.import(&[&tsv, &cancels]);
    let m = home.metrics();
    // Due on 11-19: 3 (never confirmed: late) and 4 (no confirmation either: late); 1 and 2
    // were cancelled.
    assert_eq!(nd(&m, "lsr_10"), (2, 2));
    // PCR: 1 (cancelled, nobody named: the seller's) of 4; 2 was the buyer's request.
    assert_eq!(nd(&m, "pcr"), (1, 4));
}

/// On-time delivery: seller-fulfilled orders delivered by the promised date (the Orders API's
/// LatestDeliveryDate), over the 14 days of promised dates that end 7 days before now; orders
/// without both dates are not counted.
#[test]
fn on_time_delivery_compares_delivery_with_the_promise() {
    let home = Home::new();
    let order = |i: u32, promised: &str, channel: &str| {
        format!(
            r#"{{"AmazonOrderId": "111-0000000-{i:07}", "PurchaseDate": "2026-11-01T10:00:00Z",
                "LastUpdateDate": "2026-11-02T10:00:00Z", "OrderStatus": "Shipped",
                "FulfillmentChannel": "{channel}", "SalesChannel": "Amazon.com",
                "LatestShipDate": "2026-11-03T10:00:00Z", "LatestDeliveryDate": "{promised}"}}"#
        )
    };
    let json = home.file(
        "orders.json",
        &format!(
            r#"{{"payload": {{"Orders": [{}]}}}}"#,
            [
                order(1, "2026-11-10T23:59:59Z", "MFN"),
                order(2, "2026-11-10T23:59:59Z", "MFN"),
                order(3, "2026-11-12T23:59:59Z", "MFN"),
                order(4, "2026-11-12T23:59:59Z", "MFN"),
                // Promised 11-20: inside the last 7 days, not counted yet.
                order(5, "2026-11-20T23:59:59Z", "MFN"),
                // Amazon ships its own orders.
                order(6, "2026-11-10T23:59:59Z", "AFN"),
                // No delivery date known: not counted.
                order(7, "2026-11-10T23:59:59Z", "MFN"),
            ]
            .join(",")
        ),
    );
    let deliveries = home.file(
        "deliveries.csv",
        "order_id,delivered\n\
         111-0000000-0000001,2026-11-09T15:00:00Z\n\
         111-0000000-0000002,2026-11-11T09:00:00Z\n\
         111-0000000-0000003,2026-11-12T20:00:00Z\n\
         111-0000000-0000004,2026-11-12T08:00:00Z\n\
         111-0000000-0000005,2026-11-21T08:00:00Z\n\
         111-0000000-0000006,2026-11-12T08:00:00Z\n",
    );
    // Deliveries first: they wait for their orders.
    home.import(&[&deliveries]);
    home.import(&[&json]);
    let m = home.metrics();
    // Promised in (11-01T12:00, 11-15T12:00]: 1, 2, 3, 4 counted; 2 arrived a day late.
    assert_eq!(nd(&m, "otdr"), (3, 4));
    assert_eq!(m["metrics"]["otdr"]["window_days"], 14);
    assert_eq!(m["metrics"]["otdr"]["status"], "bad");
    // The promised date is not a delivery date: nothing was delivered by the JSON alone.
    let conn = rusqlite::Connection::open(home.dir().join("x.db")).unwrap();
    let delivered: Option<i64> = conn
        .query_row(
            "SELECT delivered_at FROM orders WHERE order_id = '111-0000000-0000007'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(delivered, None);
}

/// The issue's case: an All Orders report imported before an Orders API JSON of the same
/// orders with the same last-updated date kept the report's empty latest ship date, and LSR
/// had no data; field by field, both orders of import give the same records.
#[test]
fn an_orders_report_and_the_orders_api_merge_in_either_order() {
    let tsv_text = "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tsku\n\
                    111-0000000-0000001\t2026-11-15T10:00:00Z\t2026-11-16T10:00:00Z\tShipped\tMerchant\tAmazon.com\tA\n";
    let json_text = r#"{"payload": {"Orders": [{"AmazonOrderId": "111-0000000-0000001",
        "PurchaseDate": "2026-11-15T10:00:00Z", "LastUpdateDate": "2026-11-16T10:00:00Z",
        "OrderStatus": "Shipped", "FulfillmentChannel": "MFN", "SalesChannel": "Amazon.com",
        "LatestShipDate": "2026-11-17T10:00:00Z"}]}}"#;
    let mut results = Vec::new();
    for tsv_first in [true, false] {
        let home = Home::new();
        let tsv = home.file("orders.tsv", tsv_text);
        let json = home.file("orders.json", json_text);
        if tsv_first {
            home.import(&[&tsv]);
            home.import(&[&json]);
        } else {
            home.import(&[&json]);
            home.import(&[&tsv]);
        }
        let m = home.metrics();
        // Due 11-17, never confirmed: late.
        assert_eq!(nd(&m, "lsr_10"), (1, 1), "tsv first: {tsv_first}");
        results.push(m);
    }
    assert_eq!(results[0], results[1]);
}

/// Every order of five files (All Orders, Orders API, shipping confirmation, feedback, claims),
/// imported in all 120 orders, and twice, gives byte-identical `metrics --json`.
#[test]
fn import_order_never_changes_a_number() {
    let files: [(&str, &str); 5] = [
        (
            "orders.tsv",
            "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tsku\tlatest-ship-date\tdelivery-date\n\
             111-0000000-0000001\t2026-11-15T10:00:00Z\t2026-11-16T10:00:00Z\tShipped\tMerchant\tAmazon.com\tA\t\t2026-11-19T10:00:00Z\n\
             111-0000000-0000002\t2026-11-14T10:00:00Z\t2026-11-18T10:00:00Z\tCancelled\tMerchant\tAmazon.com\tA\t2026-11-16T10:00:00Z\t\n\
             111-0000000-0000003\t2026-11-13T10:00:00Z\t2026-11-13T11:00:00Z\tPending\tMerchant\tAmazon.com\tA\t2026-11-15T10:00:00Z\t\n\
             111-0000000-0000004\t2026-11-10T10:00:00Z\t2026-11-11T10:00:00Z\tShipped\tAmazon\tAmazon.com\tB\t\t\n",
        ),
        (
            "orders.json",
            r#"{"payload": {"Orders": [
              {"AmazonOrderId": "111-0000000-0000001", "PurchaseDate": "2026-11-15T10:00:00Z",
               "LastUpdateDate": "2026-11-16T10:00:00Z", "OrderStatus": "Shipped",
               "FulfillmentChannel": "MFN", "SalesChannel": "Amazon.com",
               "LatestShipDate": "2026-11-17T10:00:00Z", "LatestDeliveryDate": "2026-11-20T10:00:00Z"},
              {"AmazonOrderId": "111-0000000-0000002", "PurchaseDate": "2026-11-14T10:00:00Z",
               "LastUpdateDate": "2026-11-15T10:00:00Z", "OrderStatus": "Unshipped",
               "FulfillmentChannel": "MFN", "SalesChannel": "Amazon.com",
               "LatestShipDate": "2026-11-16T10:00:00Z"},
              {"AmazonOrderId": "111-0000000-0000003", "PurchaseDate": "2026-11-13T10:00:00Z",
               "LastUpdateDate": "2026-11-14T10:00:00Z", "OrderStatus": "Unshipped",
               "FulfillmentChannel": "MFN", "SalesChannel": "Amazon.com"}
            ]}}"#,
        ),
        (
            "shipping.tsv",
            "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\n\
             111-0000000-0000001\t1\t1\t2026-11-18T09:00:00Z\tUPS\tUPS\t1Z999AA10123456784\tGround\n\
             111-0000000-0000003\t1\t1\t2026-11-14T09:00:00Z\tUPS\t\t1Z999AA10123456785\tGround\n\
             111-0000000-0000003\t1\t1\t2026-11-14T08:00:00Z\tUPS\tUPS\t1Z999AA10123456785\t\n",
        ),
        (
            "feedback.csv",
            "order_id,date,rating,comments,removed\n\
             111-0000000-0000001,2026-11-19,2,Late,\n\
             111-0000000-0000004,2026-11-12,1,Broken,2026-11-20\n\
             111-0000000-0000003,2026-11-16,5,Fine,\n",
        ),
        (
            "claims.csv",
            "order_id,kind,opened,status\n\
             111-0000000-0000004,a-to-z,2026-11-13,granted\n\
             111-0000000-0000001,chargeback,2026-11-19,open\n\
             111-0000000-0000001,chargeback,2026-11-19,denied\n",
        ),
    ];
    let mut first: Option<(Vec<u8>, Vec<u8>)> = None;
    let mut perm: Vec<usize> = (0..files.len()).collect();
    // Every permutation (Heap's algorithm), the first also imported twice.
    let mut c = vec![0usize; files.len()];
    let mut i = 0;
    let run = |perm: &[usize], twice: bool| {
        let home = Home::new();
        let paths: Vec<PathBuf> = perm
            .iter()
            .map(|&k| home.file(files[k].0, files[k].1))
            .collect();
        for p in &paths {
            home.import(&[p]);
        }
        if twice {
            for p in paths.iter().rev() {
                home.import(&[p]);
            }
        }
        let json = home
            .sd(NOW)
            .args(["metrics", "--json"])
            .output()
            .unwrap()
            .stdout;
        let rows = {
            let conn = rusqlite::Connection::open(home.dir().join("x.db")).unwrap();
            let dump: Vec<String> = [
                "SELECT * FROM orders ORDER BY order_id",
                "SELECT * FROM shipments ORDER BY order_id, tracking",
                "SELECT * FROM feedback ORDER BY feedback_key",
                "SELECT * FROM claims ORDER BY order_id, kind",
                "SELECT * FROM deliveries ORDER BY order_id",
            ]
            .iter()
            .flat_map(|q| {
                let mut st = conn.prepare(q).unwrap();
                let n = st.column_count();
                st.query_map([], |r| {
                    Ok((0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
            })
            .collect();
            dump.join("\n").into_bytes()
        };
        (json, rows)
    };
    let check =
        |got: (Vec<u8>, Vec<u8>), first: &mut Option<(Vec<u8>, Vec<u8>)>, perm: &[usize]| {
            match first {
                None => *first = Some(got),
                Some(f) => {
                    assert_eq!(
                        String::from_utf8_lossy(&f.0),
                        String::from_utf8_lossy(&got.0),
                        "metrics differ for import order {perm:?}"
                    );
                    assert_eq!(
                        String::from_utf8_lossy(&f.1),
                        String::from_utf8_lossy(&got.1),
                        "records differ for import order {perm:?}"
                    );
                }
            }
        };
    check(run(&perm, true), &mut first, &perm);
    check(run(&perm, false), &mut first, &perm);
    while i < perm.len() {
        if c[i] < i {
            if i % 2 == 0 {
                perm.swap(0, i);
            } else {
                perm.swap(c[i], i);
            }
            check(run(&perm, false), &mut first, &perm);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    // And the figures are the hand-computed ones. Seller-fulfilled 1, 2, 3: 1 has a 2-star
    // feedback and a chargeback (one defect). FBA 4: its 1-star was removed on 11-20, its
    // granted A-to-z claim still counts.
    let m: Value = serde_json::from_slice(&first.unwrap().0).unwrap();
    assert_eq!(nd(&m, "odr"), (1, 3));
    assert_eq!(nd(&m, "odr_fba"), (1, 1));
    assert_eq!(part(&m, "odr_fba", "negative_feedback"), (0, 1));
    // LSR: 1 due 11-17 (the JSON's date) shipped 11-18: late; 2 cancelled; 3 due 11-15 shipped
    // 11-14 08:00 (the earliest confirmation): on time.
    assert_eq!(nd(&m, "lsr_10"), (1, 2));
}

/// A bounce read before the reply it returns (`import INBOX Sent`: the inbox comes first)
/// still takes that reply back and reopens the thread's clock, as it does the other way round.
#[test]
fn a_bounce_imported_before_its_reply_reopens_the_clock() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail");
    let bounce = "From: Amazon Seller Notification <donotreply@amazon.com>\r\n\
         To: support@example-shop.test\r\n\
         Subject: Message Delivery Failure\r\n\
         Message-ID: <bounce-1@amazon.test>\r\n\
         Date: Sat, 21 Nov 2026 09:00:00 +0000\r\n\r\n\
         We're sorry. Your message to t2bbx9k3mqz1w8r@marketplace.amazon.com could not be delivered.\r\n\r\n\
         Reason:\r\n\
         This message was not sent as it did not meet the Buyer-Seller Messaging guidelines.\r\n\r\n\
         ----- Original message -----\r\nMessage-ID: <reply-1@example-shop.test>\r\n";
    let mut states = Vec::new();
    for inbox_first in [true, false] {
        let home = Home::new();
        let maildir = |name: &str| {
            let d = home.dir().join(name);
            for sub in ["new", "cur", "tmp"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
            d
        };
        let inbox = maildir("INBOX");
        let sent = maildir("Sent");
        std::fs::copy(
            fixtures.join("buyer_inquiry.eml"),
            inbox.join("cur/1795600000.buyer.host:2,S"),
        )
        .unwrap();
        std::fs::write(inbox.join("cur/1795700000.bounce.host:2,S"), bounce).unwrap();
        std::fs::copy(
            fixtures.join("seller_reply.eml"),
            sent.join("cur/1795650000.reply.host:2,S"),
        )
        .unwrap();
        let dirs = if inbox_first {
            [&inbox, &sent]
        } else {
            [&sent, &inbox]
        };
        let out = home
            .sd(NOW)
            .args(["import", "--json"])
            .args(dirs)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let status = home.sd(NOW).args(["status", "--json"]).output().unwrap();
        let json: Value = serde_json::from_slice(&status.stdout).unwrap();
        // The reply never reached Bob: his message of 11-20 10:00 is 50 h without an answer.
        assert_eq!(
            json["counts"]["critical"], 1,
            "inbox first: {inbox_first}: {json}"
        );
        let conn = rusqlite::Connection::open(home.dir().join("x.db")).unwrap();
        let waiting: i64 = conn
            .query_row("SELECT count(*) FROM pending_bounces", [], |r| r.get(0))
            .unwrap();
        assert_eq!(waiting, 0, "the bounce found its reply");
        states.push(json["counts"].clone());
    }
    assert_eq!(states[0], states[1]);
}

/// POP's buyer-initiated message is a thread the buyer started about the order: a message the
/// seller sent first (proactive) does not make the order imperfect, even once the buyer answers,
/// whichever of the two is imported first.
#[test]
fn only_a_thread_the_buyer_started_makes_an_order_imperfect() {
    let seller_first = "From: Example Shop <support@example-shop.test>\r\n\
        To: \"Ann Lee\" <a1proactive@marketplace.amazon.com>\r\n\
        Subject: Your order 111-0000000-0000001: delivery appointment\r\n\
        Date: Thu, 19 Nov 2026 10:00:00 +0000\r\n\
        Message-ID: <proactive-1@example-shop.test>\r\n\r\n\
        Hello Ann, about order 111-0000000-0000001: when may the carrier deliver?\r\n";
    let buyer_answer = "From: \"Ann Lee - Amazon Marketplace\" <a1proactive@marketplace.amazon.com>\r\n\
        To: support@example-shop.test\r\n\
        Subject: RE: Your order 111-0000000-0000001: delivery appointment\r\n\
        Date: Thu, 19 Nov 2026 12:00:00 +0000\r\n\
        Message-ID: <answer-1@marketplace.amazon.com>\r\n\
        In-Reply-To: <proactive-1@example-shop.test>\r\n\
        References: <proactive-1@example-shop.test>\r\n\r\n\
        Any weekday after 5 pm. Order ID: 111-0000000-0000001\r\n";
    let buyer_first = "From: \"Cy Dow - Amazon Marketplace\" <c2asks@marketplace.amazon.com>\r\n\
        To: support@example-shop.test\r\n\
        Subject: Inquiry from Amazon customer Cy Dow (Order: 111-0000000-0000002)\r\n\
        Date: Thu, 19 Nov 2026 11:00:00 +0000\r\n\
        Message-ID: <ask-2@marketplace.amazon.com>\r\n\r\n\
        Where is my parcel? Order ID: 111-0000000-0000002\r\n";
    let mut seen = Vec::new();
    for seller_message_first in [true, false] {
        let home = Home::new();
        let tsv = home.file(
            "orders.tsv",
            &format!("{HEADER}{}", orders(1, 3, "Amazon", 10)),
        );
        let sent = home.file("sent.eml", seller_first);
        let answer = home.file("answer.eml", buyer_answer);
        let ask = home.file("ask.eml", buyer_first);
        home.import(&[&tsv, &ask]);
        if seller_message_first {
            home.import(&[&sent]);
            home.import(&[&answer]);
        } else {
            home.import(&[&answer]);
            home.import(&[&sent]);
        }
        let m = home.metrics();
        // Orders 1, 2, 3; only 2's buyer started a thread: 2 of 3 perfect.
        assert_eq!(
            nd(&m, "pop"),
            (2, 3),
            "seller first: {seller_message_first}"
        );
        seen.push(m);
    }
    assert_eq!(seen[0], seen[1]);
}

/// Every command that prints JSON exits with the same code as its text: a script that switches
/// to `--json` sees the same verdict.
#[test]
fn exit_codes_agree_with_and_without_json() {
    let home = Home::new();
    let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports");
    let mail = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail");
    home.import(&[
        &reports.join("all_orders.tsv"),
        &reports.join("claims.csv"),
        &reports.join("account_health.json"),
        &mail.join("buyer_inquiry.eml"),
    ]);
    let draft = home.file(
        "draft.txt",
        "Leave a 5-star review and get a free gift! www.shop.example\n",
    );
    let clean = home.file("clean.txt", "Hello Bob, a replacement ships today.\n");
    let cases: Vec<Vec<String>> = vec![
        vec!["metrics".into()],
        vec!["status".into()],
        vec!["check".into()],
        vec!["report".into()],
        vec!["outbox".into()],
        vec!["check-draft".into(), draft.display().to_string()],
        vec!["check-draft".into(), clean.display().to_string()],
    ];
    for args in cases {
        let text = home.sd(NOW).args(&args).output().unwrap();
        let json = home.sd(NOW).args(&args).arg("--json").output().unwrap();
        assert_eq!(
            text.status.code(),
            json.status.code(),
            "{args:?}: {}",
            String::from_utf8_lossy(&json.stderr)
        );
        assert!(
            serde_json::from_slice::<Value>(&json.stdout).is_ok(),
            "{args:?} prints JSON"
        );
    }
    // The metrics are off target here: both say so.
    let m = home.sd(NOW).args(["metrics", "--json"]).output().unwrap();
    assert_eq!(m.status.code(), Some(2));
}
