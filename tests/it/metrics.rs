//! Account metrics end to end: the fixture reports in `tests/fixtures/reports/` imported by the
//! real binary, then `metrics --json` checked against values computed by hand (written next
//! to each assertion). `now` is 2026-11-22T03:00:00Z and the seller's zone Los Angeles, so a
//! date-only feedback of 2026-10-23 (07:00Z) falls inside the 30 days that start at
//! 2026-10-23T03:00Z, and order ...9, bought exactly 60 days before now, falls outside.

use crate::support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const NOW: &str = "2026-11-22T03:00:00Z";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name)
}

/// Every fixture report, in the order a seller would import them.
const REPORTS: &[&str] = &[
    "all_orders.tsv",
    "orders_api.json",
    "shipping.tsv",
    "feedback_report.tsv",
    "feedback.csv",
    "claims.csv",
    "refunds.csv",
    "cancellations.csv",
    "deliveries.csv",
    "ahr.csv",
    "account_health.json",
];

/// The fixtures' seller, in Los Angeles.
struct Home {
    home: support::home::Home,
}

impl Home {
    fn new() -> Home {
        Home {
            home: support::home::Home::new("America/Los_Angeles"),
        }
    }

    fn dir(&self) -> &Path {
        self.home.dir.path()
    }

    fn sd(&self) -> Command {
        self.home.sd(NOW)
    }

    fn import_all(&self) -> Value {
        self.import(&[REPORTS, &["buyer_o10.eml"]].concat())
    }

    fn import(&self, fixtures: &[&str]) -> Value {
        let paths: Vec<PathBuf> = fixtures.iter().map(|f| fixture(f)).collect();
        let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        self.home.import_ok(NOW, &paths)
    }

    fn metrics(&self, extra: &[&str]) -> Value {
        self.home.metrics(NOW, extra)
    }
}

/// `(numerator, denominator, status, headroom)` of one metric.
fn parts(m: &Value, key: &str) -> (u64, u64, String, Value) {
    let x = &m["metrics"][key];
    (
        x["numerator"].as_u64().unwrap(),
        x["denominator"].as_u64().unwrap(),
        x["status"].as_str().unwrap().to_string(),
        x["headroom"].clone(),
    )
}

fn is(n: u64, d: u64, status: &str, headroom: Value) -> (u64, u64, String, Value) {
    (n, d, status.to_string(), headroom)
}

#[test]
fn every_metric_matches_the_hand_computed_value() {
    let home = Home::new();
    let report = home.import_all();
    // 12 files; every record stored (an All Orders row is an order and an item).
    assert_eq!(report["files"], 12, "{report}");
    assert_eq!(report["failed"], 0, "{report}");
    let m = home.metrics(&[]);
    assert_eq!(m["now"], NOW);

    // ODR, 60 days (> 09-23T03:00Z), per fulfilment channel (G200285170); 9 is exactly 60
    // days old. Seller-fulfilled: 1, 2, 3, 4, 5, 8 = 6 orders; 8 received a chargeback (still
    // open: counted). FBA: 6, 7, 10, 11, 12 = 5 orders; 6 has negative feedback and a granted
    // A-to-z claim (one defect, in two parts); 7's claim was denied; 10's 3 stars are neutral.
    assert_eq!(parts(&m, "odr"), is(1, 6, "bad", 0.into()));
    assert!((m["metrics"]["odr"]["rate"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-12);
    assert_eq!(m["metrics"]["odr"]["window_days"], 60);
    assert_eq!(m["metrics"]["odr"]["target"], 0.01);
    let part = |k: &str, p: &str| {
        let x = &m["metrics"][k]["parts"][p];
        (
            x["numerator"].as_u64().unwrap(),
            x["denominator"].as_u64().unwrap(),
        )
    };
    assert_eq!(part("odr", "negative_feedback"), (0, 6));
    assert_eq!(part("odr", "a_to_z"), (0, 6));
    assert_eq!(part("odr", "chargebacks"), (1, 6));
    assert_eq!(parts(&m, "odr_fba"), is(1, 5, "bad", 0.into()));
    assert_eq!(part("odr_fba", "negative_feedback"), (1, 5));
    assert_eq!(part("odr_fba", "a_to_z"), (1, 5));
    assert_eq!(part("odr_fba", "chargebacks"), (0, 5));
    assert!(
        (m["metrics"]["odr_fba"]["parts"]["a_to_z"]["rate"]
            .as_f64()
            .unwrap()
            - 0.2)
            .abs()
            < 1e-12
    );
    // Amazon's figures beside ours over Amazon's own range (09-22 to 11-08, amazon.com):
    // seller-fulfilled 8 only (1 of 1, agrees); FBA 7, 9, 10 (9 is inside Amazon's range):
    // ours 1 (9's 2-star feedback), Amazon 2 with one claim: a claims file is missing.
    let amazon = |k: &str| m["metrics"][k]["amazon"].clone();
    assert_eq!(amazon("odr")["numerator"], 1);
    assert_eq!(amazon("odr")["denominator"], 1);
    assert_eq!(amazon("odr")["from"], "2026-09-22T00:00:00Z");
    assert_eq!(amazon("odr")["to"], "2026-11-08T00:00:00Z");
    assert_eq!(amazon("odr")["ours"]["numerator"], 1);
    assert_eq!(amazon("odr")["ours"]["denominator"], 1);
    assert_eq!(amazon("odr")["agrees"], true);
    assert_eq!(amazon("odr_fba")["numerator"], 2);
    assert_eq!(amazon("odr_fba")["ours"]["numerator"], 1);
    assert_eq!(amazon("odr_fba")["ours"]["denominator"], 3);
    assert_eq!(amazon("odr_fba")["agrees"], false);
    // Late shipments 11-11 to 11-21: due 2 (late) and 3 (never confirmed); 1 is due after.
    assert_eq!(amazon("lsr_10")["ours"]["numerator"], 2);
    assert_eq!(amazon("lsr_10")["ours"]["denominator"], 2);
    assert_eq!(amazon("pcr")["agrees"], true);
    assert_eq!(amazon("vtr")["agrees"], true);
    // No report figure for these: null, not missing.
    assert_eq!(amazon("lsr_30"), Value::Null);
    assert_eq!(amazon("feedback_30"), Value::Null);
    // No promised delivery dates in these files: on-time delivery has no data.
    assert_eq!(parts(&m, "otdr"), is(0, 0, "no_data", Value::Null));
    // PCR, 7 days: seller-fulfilled 1-5; 4 cancelled by the seller; 5 by the buyer (excluded).
    assert_eq!(parts(&m, "pcr"), is(1, 5, "bad", 0.into()));
    // LSR by latest ship date: 1 on time, 2 confirmed late, 3 never confirmed; 4 and 5 were
    // cancelled; 8 was due on 10-16, outside both windows.
    assert_eq!(parts(&m, "lsr_10"), is(2, 3, "bad", 0.into()));
    assert_eq!(parts(&m, "lsr_30"), is(2, 3, "bad", 0.into()));
    // VTR, 30 days: 1 (UPS, valid; its row repeated), 2 ("n/a"); 6 is Amazon's; 8 too old.
    assert_eq!(parts(&m, "vtr"), is(1, 2, "bad", 0.into()));
    // Feedback, 30 days: 6 (1★, Amazon's report), 1 (5★), 2 (4★, 10-23 in Los Angeles).
    assert_eq!(parts(&m, "feedback_30"), is(2, 3, "bad", 0.into()));
    // 90 days, 365, lifetime: also 9 (2★) and 10 (3★, neutral).
    assert_eq!(parts(&m, "feedback_90"), is(2, 5, "bad", 0.into()));
    assert_eq!(parts(&m, "feedback_365"), is(2, 5, "bad", 0.into()));
    assert_eq!(parts(&m, "feedback_lifetime"), is(2, 5, "bad", 0.into()));
    assert_eq!(
        m["metrics"]["feedback_lifetime"]["window_days"],
        Value::Null
    );
    // Refunds, 30 days: orders 1-7, 11, 12; 11 refunded. No target: shown, never "bad".
    assert_eq!(parts(&m, "refund_rate"), is(1, 9, "good", Value::Null));
    assert_eq!(m["metrics"]["refund_rate"]["target"], Value::Null);
    // POP, 90 days: all 12; perfect are 1 and 12 only (10: the buyer wrote; 9: negative
    // feedback; 7: an A-to-z claim, even denied; 2, 3 late; 4, 5 cancelled; 11 refunded).
    assert_eq!(parts(&m, "pop"), is(2, 12, "bad", 0.into()));
    // Late response: the one buyer message is 2 h old, not yet counted: no data, not 0%.
    assert_eq!(
        parts(&m, "late_response_7"),
        is(0, 0, "no_data", Value::Null)
    );
    assert_eq!(m["metrics"]["late_response_7"]["rate"], Value::Null);
    // AHR: the latest number the seller entered, and Amazon's status.
    assert_eq!(m["metrics"]["ahr"]["value"], 180);
    assert_eq!(m["metrics"]["ahr"]["status"], "at_risk");
    assert_eq!(m["metrics"]["ahr"]["amazon_status"], "AT_RISK");
}

/// A buyer message about an order makes it imperfect (POP), whether the mail comes before the
/// orders report or after it, in another import.
#[test]
fn a_buyer_message_counts_against_its_order_whichever_comes_first() {
    let reports_first = Home::new();
    reports_first.import(REPORTS);
    // Perfect: 1, 12 and 10 (its 3-star feedback is neutral).
    assert_eq!(
        parts(&reports_first.metrics(&[]), "pop"),
        is(3, 12, "bad", 0.into())
    );
    reports_first.import(&["buyer_o10.eml"]);
    assert_eq!(
        parts(&reports_first.metrics(&[]), "pop"),
        is(2, 12, "bad", 0.into())
    );

    let mail_first = Home::new();
    mail_first.import(&["buyer_o10.eml"]);
    mail_first.import(REPORTS);
    assert_eq!(
        parts(&mail_first.metrics(&[]), "pop"),
        is(2, 12, "bad", 0.into())
    );
}

#[test]
fn a_marketplace_filter_keeps_its_orders_only() {
    let home = Home::new();
    home.import_all();
    let m = home.metrics(&["--marketplace", "amazon.de"]);
    // Only order 12 (Amazon-fulfilled, amazon.de): one FBA order, no defect, and the very
    // next defect would be 100%; no seller-fulfilled order.
    assert_eq!(parts(&m, "odr_fba"), is(0, 1, "good", 0.into()));
    assert_eq!(parts(&m, "odr"), is(0, 0, "no_data", Value::Null));
    // Amazon's report is for amazon.com only.
    assert_eq!(m["metrics"]["odr"]["amazon"], Value::Null);
    assert_eq!(parts(&m, "pcr"), is(0, 0, "no_data", Value::Null));
    assert_eq!(parts(&m, "vtr"), is(0, 0, "no_data", Value::Null));
    assert_eq!(parts(&m, "feedback_30"), is(0, 0, "no_data", Value::Null));
    assert_eq!(parts(&m, "pop"), is(1, 1, "good", 0.into()));
}

#[test]
fn importing_again_changes_nothing_and_a_later_update_wins() {
    let home = Home::new();
    let first = home.import_all();
    let again = home.import_all();
    assert_eq!(again["imported"], 0, "{again}");
    assert_eq!(
        again["duplicates"].as_u64().unwrap(),
        first["imported"].as_u64().unwrap() + first["duplicates"].as_u64().unwrap(),
    );
    let conn = rusqlite::Connection::open(home.dir().join("x.db")).unwrap();
    // Order 3 appears three times; the row updated last (11-19) wins over an older one after it.
    let status: String = conn
        .query_row(
            "SELECT status FROM orders WHERE order_id = '111-0000000-0000003'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "Unshipped");
    let delivered: i64 = conn
        .query_row(
            "SELECT delivered_at FROM orders WHERE order_id = '111-0000000-0000001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // 2026-11-23 midnight in Los Angeles (PST, UTC-8).
    let expected = chrono::DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z").unwrap();
    assert_eq!(delivered, expected.timestamp());
}

#[test]
fn bad_rows_are_named_and_the_good_ones_imported() {
    let home = Home::new();
    let dir = home.dir();
    let bad = dir.join("claims.csv");
    std::fs::write(
        &bad,
        "order_id,kind,opened,status\n111-0000000-0000006,a-to-z,2026-11-13,granted\n111-0000000-0000007,refund,2026-11-05,open\n",
    )
    .unwrap();
    let cut = dir.join("orders.tsv");
    std::fs::write(
        &cut,
        "amazon-order-id\tpurchase-date\tfulfillment-channel\n111-0000000-0000001\t2026-11-20T10:00:00Z\tMerchant\n111-0000000-0000002\t2026-11-",
    )
    .unwrap();
    let out = home
        .sd()
        .args(["import", "--json"])
        .arg(&bad)
        .arg(&cut)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("claims.csv: claims CSV line 3, column `kind`: `refund` is not a-to-z, chargeback or fraud-chargeback"),
        "{stderr}"
    );
    assert!(
        stderr.contains("orders.tsv: All Orders report line 3: the file is truncated"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["imported"].as_u64(), report["failed"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_table_says_what_is_off_target_and_exits_like_status() {
    let home = Home::new();
    home.import_all();
    let out = home.sd().arg("metrics").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "something is off target");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Order defects (seller)"), "{text}");
    assert!(text.contains("Order defects (FBA)"), "{text}");
    assert!(text.contains("16.67%"), "{text}");
    assert!(
        text.contains("negative feedback 1/5 · A-to-z 1/5 · chargebacks 0/5"),
        "{text}"
    );
    assert!(
        text.contains("Amazon 100.00%, 1 of 1 (2026-09-22 – 2026-11-08) BAD · ours 1 of 1 ✓"),
        "{text}"
    );
    assert!(
        text.contains("ours 1 of 3 ✗ differs: Amazon counts 2 orders with a defect, your files 1: a claims file (A-to-z) may be missing"),
        "{text}"
    );
    assert!(text.contains("Amazon says AT_RISK"), "{text}");
    // --json exits the same way.
    let json = home.sd().args(["metrics", "--json"]).output().unwrap();
    assert_eq!(json.status.code(), Some(2));
    assert!(!text.contains('\x1b'), "no colour when piped");
}

#[test]
fn the_demo_shows_a_realistic_mix_with_one_order_metric_at_risk() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = sellerdesk::demo::build(&dir.path().join("d.db"), now).unwrap();
    let m = sellerdesk::metrics::compute(&store, now, None).unwrap();
    let order_side: Vec<(&str, sellerdesk::domain::metrics::Status)> = m
        .rows()
        .into_iter()
        .filter(|(k, _, _)| !k.starts_with("late_response"))
        .map(|(k, _, x)| (k, x.status))
        .collect();
    use sellerdesk::domain::metrics::Status;
    let at_risk: Vec<&str> = order_side
        .iter()
        .filter(|(_, s)| *s == Status::AtRisk)
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(at_risk, vec!["pop"], "{order_side:?}\n{m:#?}");
    assert!(
        order_side
            .iter()
            .all(|(_, s)| matches!(s, Status::Good | Status::AtRisk)),
        "{order_side:?}"
    );
    assert_eq!(m.ahr.value, Some(236));
}

/// The aggregate queries `metrics` runs count exactly what the pure functions count.
#[test]
fn the_fast_path_equals_the_pure_functions() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let dir = tempfile::tempdir().unwrap();
    let (demo, _) = sellerdesk::demo::build(&dir.path().join("d.db"), now).unwrap();
    let home = Home::new();
    home.import_all();
    let fixture = sellerdesk::store::Store::open(&home.dir().join("x.db")).unwrap();
    for (store, at) in [
        (&demo, now),
        (
            &fixture,
            chrono::DateTime::parse_from_rfc3339(NOW)
                .unwrap()
                .with_timezone(&chrono::Utc),
        ),
    ] {
        let midnight = at.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
        let times = [-40i64, -5, -1, 0, 2, 30]
            .map(|shift| at + chrono::Duration::days(shift) + chrono::Duration::minutes(shift * 7))
            .into_iter()
            // Windows that start and end exactly on day boundaries, and a second before.
            .chain([midnight, midnight - chrono::Duration::seconds(1)]);
        for t in times {
            for market in [None, Some("amazon.com"), Some("amazon.de")] {
                let pure = sellerdesk::metrics::compute(store, t, market).unwrap();
                let fast = sellerdesk::metrics::compute_fast(store, t, market).unwrap();
                for ((k, _, a), (_, _, b)) in pure.rows().into_iter().zip(fast.rows()) {
                    assert_eq!(a, b, "{k} at {t} in {market:?}");
                }
                assert_eq!(pure.ahr, fast.ahr);
            }
        }
    }
    // Late responses follow the marketplace filter too (by their thread's marketplace).
    let all = sellerdesk::metrics::compute_fast(&demo, now, None).unwrap();
    let de = sellerdesk::metrics::compute_fast(&demo, now, Some("amazon.de")).unwrap();
    assert!(de.late_response_90.denominator > 0);
    assert!(de.late_response_90.denominator < all.late_response_90.denominator);
}

mod random_records {
    //! The aggregate queries and the pure functions agree on random records too: orders on
    //! both channels and marketplaces around the window edges, shipped early, late or not at
    //! all, with feedback, claims, refunds and cancellations.

    use chrono::{DateTime, Duration, Utc};
    use proptest::prelude::*;
    use sellerdesk::domain::account::*;
    use sellerdesk::reports::Record;

    fn base() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[derive(Debug, Clone)]
    struct O {
        hours_ago: i64,
        merchant: bool,
        de: bool,
        ship: Option<i64>,
        fb: Option<(u8, bool, i64)>,
        claim: Option<(bool, u8)>,
        refund: bool,
        cancel: Option<bool>,
        /// A later version of the order: moved by hours, channel and marketplace swapped.
        update: Option<(i64, bool, bool)>,
        /// The shipment confirmed again with another date; the feedback changed its rating.
        reconfirm: Option<(i64, u8)>,
    }

    fn order() -> impl Strategy<Value = O> {
        (
            0i64..(120 * 24),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(-30i64..100),
            proptest::option::of((1u8..=5, any::<bool>(), 0i64..200)),
            proptest::option::of((any::<bool>(), 0u8..7)),
            any::<bool>(),
            proptest::option::of(any::<bool>()),
            proptest::option::of((-72i64..72, any::<bool>(), any::<bool>())),
            proptest::option::of((-72i64..72, 1u8..=5)),
        )
            .prop_map(
                |(hours_ago, merchant, de, ship, fb, claim, refund, cancel, update, reconfirm)| O {
                    hours_ago,
                    merchant,
                    de,
                    ship,
                    fb,
                    claim,
                    refund,
                    cancel,
                    update,
                    reconfirm,
                },
            )
    }

    fn shipment(i: usize, id: &str, h: i64, shipped_at: DateTime<Utc>) -> Record {
        Record::Shipment {
            shipment: Shipment {
                order_id: id.to_string(),
                shipped_at,
                carrier: Some("UPS".into()),
                tracking: Some(if h % 3 == 0 {
                    "bad".into()
                } else {
                    format!("1Z999AA1{:010}", i)
                }),
            },
            ship_method: None,
        }
    }

    fn feedback(id: &str, rating: u8, all: bool, rated_at: DateTime<Utc>) -> Record {
        Record::Feedback {
            feedback: Feedback {
                order_id: Some(id.to_string()),
                rated_at,
                rating,
                source: if all {
                    FeedbackSource::AllRatings
                } else {
                    FeedbackSource::AmazonReport
                },
                // Every third rating is removed a day later: it counts until then.
                removed_at: (rating % 3 == 1).then(|| rated_at + Duration::hours(26)),
            },
            comments: None,
            response: None,
            rater_email: None,
        }
    }

    fn records(orders: &[O]) -> Vec<Record> {
        let now = base();
        let mut out = Vec::new();
        for (i, o) in orders.iter().enumerate() {
            let id = format!("111-{:07}-{:07}", i, i * 7);
            let bought = now - Duration::hours(o.hours_ago) - Duration::minutes(i as i64 % 60);
            let due = bought + Duration::hours(48);
            out.push(Record::Order {
                order: Order {
                    order_id: id.clone(),
                    marketplace: Some(if o.de { "amazon.de" } else { "amazon.com" }.into()),
                    purchased_at: bought,
                    channel: if o.merchant {
                        FulfilmentChannel::Merchant
                    } else {
                        FulfilmentChannel::Amazon
                    },
                    // Some orders a report calls cancelled, with no cancellation record.
                    status: (i % 11 == 5).then(|| "Cancelled".to_string()),
                    latest_ship_at: o.merchant.then_some(due),
                    shipped_at: None,
                    delivered_at: None,
                    promised_delivery_at: o.merchant.then_some(bought + Duration::days(5)),
                },
                last_updated_at: Some(now - Duration::days(200)),
            });
            // Delivered a few days after shipping: on time or not, before or after the order.
            if let Some(h) = o.ship {
                out.push(Record::Delivery {
                    order_id: id.clone(),
                    delivered_at: bought + Duration::hours(70 + h * 2),
                });
            }
            if let Some((hours, swap_channel, swap_market)) = o.update {
                let merchant = o.merchant != swap_channel;
                let bought = bought + Duration::hours(hours);
                out.push(Record::Order {
                    order: Order {
                        order_id: id.clone(),
                        marketplace: Some(
                            if o.de != swap_market {
                                "amazon.de"
                            } else {
                                "amazon.com"
                            }
                            .into(),
                        ),
                        purchased_at: bought,
                        channel: if merchant {
                            FulfilmentChannel::Merchant
                        } else {
                            FulfilmentChannel::Amazon
                        },
                        status: None,
                        latest_ship_at: merchant.then_some(bought + Duration::hours(30)),
                        shipped_at: None,
                        delivered_at: None,
                        promised_delivery_at: merchant.then_some(bought + Duration::hours(100)),
                    },
                    last_updated_at: Some(now - Duration::days(100)),
                });
            }
            if let (Some(h), Some((again, _))) = (o.ship, o.reconfirm) {
                let at = due + Duration::hours(h + again) - Duration::hours(48);
                out.push(shipment(i, &id, h, at));
            }
            if let (Some((_, all, after)), Some((again, rating))) = (o.fb, o.reconfirm) {
                out.push(feedback(
                    &id,
                    rating,
                    all,
                    bought + Duration::hours(after + again),
                ));
            }
            if let Some(h) = o.ship {
                let at = due + Duration::hours(h) - Duration::hours(48);
                out.push(shipment(i, &id, h, at));
            }
            if let Some((rating, all, after)) = o.fb {
                out.push(feedback(&id, rating, all, bought + Duration::hours(after)));
            }
            if let Some((chargeback, status)) = o.claim {
                out.push(Record::Claim(Claim {
                    order_id: id.clone(),
                    kind: if chargeback {
                        if status % 2 == 0 {
                            ClaimKind::Chargeback
                        } else {
                            ClaimKind::FraudChargeback
                        }
                    } else {
                        ClaimKind::AToZ
                    },
                    opened_at: bought + Duration::hours(30),
                    status: ClaimStatus::ALL[status as usize],
                }));
                // A second file with another outcome for the same claim.
                if status > 3 {
                    out.push(Record::Claim(Claim {
                        order_id: id.clone(),
                        kind: if chargeback {
                            ClaimKind::Chargeback
                        } else {
                            ClaimKind::AToZ
                        },
                        opened_at: bought + Duration::hours(30),
                        status: ClaimStatus::ALL[(status as usize + 3) % 7],
                    }));
                }
            }
            if o.refund {
                out.push(Record::Refund {
                    refund: Refund {
                        order_id: id.clone(),
                        refunded_at: bought + Duration::hours(50),
                    },
                    amount: None,
                });
            }
            if let Some(by_seller) = o.cancel {
                out.push(Record::Cancellation(Cancellation {
                    order_id: id.clone(),
                    cancelled_at: bought + Duration::hours(if by_seller { 5 } else { 1 }),
                    by: if by_seller {
                        CancelledBy::Seller
                    } else if i % 3 == 0 {
                        CancelledBy::Unknown
                    } else {
                        CancelledBy::Buyer
                    },
                    reason: None,
                }));
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn aggregates_equal_the_pure_functions(
            orders in proptest::collection::vec(order(), 0..60),
            order_of_writes in any::<proptest::sample::Index>(),
            transactions in 1usize..5,
            shift_minutes in -(20 * 24 * 60)..(3 * 24 * 60i64),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut store = sellerdesk::store::Store::open(&dir.path().join("r.db")).unwrap();
            // Reports arrive in any order (feedback before its order, an update before the
            // first version), over several imports.
            let mut all = records(&orders);
            let mut rng = order_of_writes.index(usize::MAX / 2) as u64 | 1;
            for i in (1..all.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                all.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for part in all.chunks(all.len().div_ceil(transactions).max(1)) {
                for r in store.write_records(part).unwrap() {
                    r.unwrap();
                }
            }
            let t = base() + Duration::minutes(shift_minutes);
            // The same records in the opposite order, written twice, give the same metrics.
            let mut reversed = sellerdesk::store::Store::open(&dir.path().join("v.db")).unwrap();
            all.reverse();
            for _ in 0..2 {
                for r in reversed.write_records(&all).unwrap() {
                    r.unwrap();
                }
            }
            for market in [None, Some("amazon.de")] {
                let a = sellerdesk::metrics::compute_fast(&store, t, market).unwrap();
                let b = sellerdesk::metrics::compute_fast(&reversed, t, market).unwrap();
                prop_assert_eq!(a, b, "import order changed a metric in {:?}", market);
            }
            let compare = |store: &sellerdesk::store::Store, what: &str| -> Result<(), TestCaseError> {
                for market in [None, Some("amazon.de")] {
                    let pure = sellerdesk::metrics::compute(store, t, market).unwrap();
                    let fast = sellerdesk::metrics::compute_fast(store, t, market).unwrap();
                    for ((k, _, a), (_, _, b)) in pure.rows().into_iter().zip(fast.rows()) {
                        prop_assert_eq!(a, b, "{} at {} in {:?} ({})", k, t, market, what);
                    }
                }
                Ok(())
            };
            compare(&store, "recounted days")?;
            // Days changed but not recounted yet (a crash between the two) are never read from
            // the stored counts, even wrong ones.
            let raw = sellerdesk::store::test_support::sql(&store);
            for (kind, count) in [("purchase", "orders"), ("due", "due"),
                                  ("shipped", "shipments"), ("rated", "ratings"),
                                  ("promised", "counted")] {
                let table = format!("metric_days_{kind}");
                raw.execute(&format!("INSERT OR IGNORE INTO metric_dirty SELECT '{kind}', day FROM {table}"), []).unwrap();
                raw.execute(&format!("UPDATE {table} SET {count} = {count} + 1000"), []).unwrap();
            }
            compare(&store, "days not recounted")?;
        }
    }
}
