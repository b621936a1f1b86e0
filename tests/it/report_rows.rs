//! Reports say what is wrong with them: every bad row is reported with its line (and field),
//! and nothing of it is stored; the good rows around it still are.

use sellerdesk::store::test_support::sql;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use indicatif::ProgressBar;
use sellerdesk::config::Config;
use sellerdesk::import::{ImportReport, import_paths};
use sellerdesk::store::Store;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// Imports one file holding `bytes`: the report, the messages of its problems, the store (in
/// its folder, kept while the store is).
fn import(name: &str, bytes: &[u8]) -> (ImportReport, Vec<String>, Shop) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let r = import_paths(
        &mut store,
        &Config::default(),
        &[path],
        now(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    let problems = r.problems.iter().map(|p| p.message.clone()).collect();
    (r, problems, Shop { store, _dir: dir })
}

struct Shop {
    store: Store,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Shop {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

fn orders(store: &Store) -> Vec<String> {
    sql(store)
        .prepare("SELECT order_id FROM orders ORDER BY order_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

const HEAD: &str = "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\tsku\tquantity\n";

#[test]
fn a_row_cut_short_in_the_middle_is_a_failed_row_with_its_line() {
    let text = format!(
        "{HEAD}111-0000001-0000001\t2026-11-01T10:00:00Z\t2026-11-02T10:00:00Z\tShipped\tMerchant\tAmazon.com\tA\t1\n\
         111-0000001-0000002\t2026-11-01T10:00:00Z\n\
         111-0000001-0000003\t2026-11-01T10:00:00Z\t2026-11-02T10:00:00Z\tShipped\tMerchant\tAmazon.com\tC\t1\n"
    );
    let (r, problems, store) = import("orders.txt", text.as_bytes());
    assert_eq!(r.failed, 1, "{problems:?}");
    assert!(
        problems[0].contains("line 3") && problems[0].contains("2 of the header's 8 columns"),
        "{problems:?}"
    );
    assert_eq!(
        orders(&store),
        ["111-0000001-0000001", "111-0000001-0000003"]
    );
}

#[test]
fn a_header_missing_a_column_names_the_report_and_the_column() {
    for (text, want) in [
        (
            "order_id,amount\n111-0000001-0000001,12.00\n",
            "looks like a refunds CSV but has no `refunded` column",
        ),
        (
            "amazon-order-id\tsku\tquantity\n111-0000001-0000001\tA\t1\n",
            "looks like an All Orders report but has no `purchase-date` column",
        ),
    ] {
        let (r, problems, _) = import("report.txt", text.as_bytes());
        assert_eq!(r.failed, 1);
        assert!(problems[0].contains(want), "{problems:?}");
        assert!(!problems[0].contains("e-mail"), "{problems:?}");
    }
}

#[test]
fn two_rows_for_one_order_at_one_moment_that_disagree_are_reported() {
    let text = format!(
        "{HEAD}111-0000001-0000001\t2026-11-01T10:00:00Z\t2026-11-02T10:00:00Z\tShipped\tMerchant\tAmazon.com\tA\t1\n\
         111-0000001-0000001\t2026-11-01T10:00:00Z\t2026-11-02T10:00:00Z\tShipped\tMerchant\tAmazon.com\tB\t2\n\
         111-0000001-0000001\t2026-11-01T10:00:00Z\t2026-11-02T10:00:00Z\tCancelled\tAmazon\tAmazon.com\tC\t1\n\
         111-0000001-0000002\t2026-11-01T10:00:00Z\t2026-11-02T10:00:00Z\tPending\tMerchant\tAmazon.com\tA\t1\n\
         111-0000001-0000002\t2026-11-01T10:00:00Z\t2026-11-03T10:00:00Z\tShipped\tMerchant\tAmazon.com\tA\t1\n"
    );
    let (r, problems, store) = import("orders.txt", text.as_bytes());
    assert_eq!(r.failed, 1, "only the conflict: {problems:?}");
    let p = &problems[0];
    assert!(p.contains("line 4"), "{p}");
    assert!(p.contains("conflicts with line 2"), "{p}");
    assert!(p.contains("status Shipped there, Cancelled here"), "{p}");
    assert!(p.contains("fulfilment"), "{p}");
    // A later version of an order is no conflict: the newest is kept.
    let status: String = sql(&store)
        .query_row(
            "SELECT status FROM orders WHERE order_id = '111-0000001-0000002'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "Shipped");
}

#[test]
fn quantities_amounts_and_dates_out_of_range_are_row_errors() {
    let text = format!(
        "{HEAD}111-0000001-0000001\t2026-11-01T10:00:00Z\t\tShipped\tMerchant\tAmazon.com\tA\t0\n\
         111-0000001-0000002\t2026-11-01T10:00:00Z\t\tShipped\tMerchant\tAmazon.com\tA\t-2\n\
         111-0000001-0000003\t2026-11-01T10:00:00Z\t\tCancelled\tMerchant\tAmazon.com\tA\t0\n\
         111-0000001-0000004\t1999-12-31T10:00:00Z\t\tShipped\tMerchant\tAmazon.com\tA\t1\n\
         111-0000001-0000005\t2026-11-01T10:00:00Z\t2101-01-01\tShipped\tMerchant\tAmazon.com\tA\t1\n"
    );
    let (r, problems, store) = import("orders.txt", text.as_bytes());
    assert_eq!(r.failed, 4, "{problems:?}");
    assert!(problems[0].contains("line 2, column `quantity`: `0` is not a quantity"));
    assert!(problems[1].contains("line 3, column `quantity`: `-2` is not a quantity"));
    assert!(
        problems[2].contains(
            "line 5, column `purchase-date`: `1999-12-31T10:00:00Z` is outside the years 2000-2100"
        ),
        "{problems:?}"
    );
    assert!(
        problems[3].contains("line 6, column `last-updated-date`"),
        "{problems:?}"
    );
    // A cancelled order's item has quantity 0 in Amazon's report: read.
    assert_eq!(orders(&store), ["111-0000001-0000003"]);

    let (r, problems, _) = import(
        "refunds.csv",
        b"order_id,refunded,amount\n111-0000001-0000001,2026-11-01,-12.50\n\
          111-0000001-0000002,2026-11-01,(3.00)\n111-0000001-0000003,2026-11-01,12.50\n\
          111-0000001-0000004,1970-01-01,1.00\n",
    );
    assert_eq!((r.imported, r.failed), (1, 3), "{problems:?}");
    assert!(problems[0].contains("line 2, column `amount`: `-12.50` is negative"));
    assert!(problems[1].contains("line 3, column `amount`: `(3.00)` is negative"));
    assert!(problems[2].contains("line 5, column `refunded`"));
}

#[test]
fn a_json_field_of_the_wrong_type_is_named() {
    let (r, problems, _) = import(
        "orders.json",
        br#"{"payload": {"Orders": [
  {"AmazonOrderId": 123, "PurchaseDate": "2026-11-01T10:00:00Z"},
  {"AmazonOrderId": "111-0000001-0000002", "PurchaseDate": ["2026-11-01"]},
  {"AmazonOrderId": "111-0000001-0000003", "PurchaseDate": "2026-11-01T10:00:00Z"}
]}}"#,
    );
    assert_eq!((r.imported, r.failed), (1, 2), "{problems:?}");
    assert!(
        problems[0]
            .contains("line 2, column `Orders[0].AmazonOrderId`: is a number, not text: 123"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("column `Orders[1].PurchaseDate`: is a list, not text"),
        "{problems:?}"
    );
}

#[test]
fn latin1_text_is_an_error_on_the_line_that_holds_it() {
    let (r, problems, store) = import(
        "cancellations.csv",
        b"order_id,cancelled,by,reason\n111-0000001-0000001,2026-11-01,buyer,changed mind\n\
          111-0000001-0000002,2026-11-01,seller,rupture de stock \xe9puis\xe9\n",
    );
    assert_eq!(r.failed, 1, "{problems:?}");
    assert!(
        problems[0].contains("line 3: byte 0xE9") && problems[0].contains("save the file as UTF-8"),
        "{problems:?}"
    );
    assert!(orders(&store).is_empty());
}

#[test]
fn a_report_past_a_sane_size_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.json");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(br#"{"payload": {"Orders": [{"AmazonOrderId": "111-0000001-0000001"}"#)
            .unwrap();
        // A gigabyte, sparse: nothing is written, and nothing must be read.
        f.set_len(1 << 30).unwrap();
    }
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let r = import_paths(
        &mut store,
        &Config::default(),
        &[path],
        now(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!((r.imported, r.failed), (0, 1), "{r:?}");
    assert_eq!(
        r.problems[0].message,
        "1024 MB: larger than any Orders API JSON sellerdesk reads (64 MB); split it or export \
         a shorter period — nothing read"
    );
}
