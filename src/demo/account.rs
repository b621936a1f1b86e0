//! The demo's order side: 120 days of orders, shipments, feedback, claims, refunds and
//! cancellations, dated relative to `now` and chosen so the panel shows a realistic mix: most
//! metrics on target, Perfect Order Percentage at risk (the demo's buyers wrote about their
//! orders), the demo threads' own orders with their products and dates.

use chrono::{DateTime, Duration, Utc};

use crate::domain::account::{
    Cancellation, CancelledBy, Claim, ClaimKind, ClaimStatus, Feedback, FeedbackSource,
    FulfilmentChannel, Order, Refund, Shipment,
};
use crate::reports::Record;

const DAYS: i64 = 120;
const PER_DAY: i64 = 18;

/// A demo thread's order: its ID, marketplace, product, ASIN and how long ago it was bought.
pub struct ThreadOrder<'a> {
    pub order_id: &'a str,
    pub marketplace: &'a str,
    pub product: Option<&'a str>,
    pub asin: Option<&'a str>,
    pub bought: Duration,
}

fn tracking(i: i64, valid: bool) -> (Option<String>, Option<String>) {
    if valid {
        (
            Some("UPS".into()),
            Some(format!("1Z999AA1{:010}", 1_000_000_000 + i)),
        )
    } else {
        (Some("Hermes".into()), Some("pending".into()))
    }
}

fn merchant_order(
    order_id: String,
    marketplace: &str,
    bought: DateTime<Utc>,
    now: DateTime<Utc>,
    late: bool,
) -> (Order, Option<DateTime<Utc>>) {
    let due = bought + Duration::days(2);
    let shipped = if late {
        Some(due + Duration::hours(5))
    } else {
        Some(bought + Duration::hours(20))
    }
    .filter(|s| *s <= now);
    (
        Order {
            order_id,
            marketplace: Some(marketplace.to_string()),
            purchased_at: bought,
            channel: FulfilmentChannel::Merchant,
            status: Some(
                if shipped.is_some() {
                    "Shipped"
                } else {
                    "Unshipped"
                }
                .into(),
            ),
            latest_ship_at: Some(due),
            shipped_at: None,
            delivered_at: None,
            promised_delivery_at: Some(bought + Duration::days(6)),
        },
        shipped,
    )
}

/// Every record of the demo's order side.
pub fn records(now: DateTime<Utc>, threads: &[ThreadOrder<'_>]) -> Vec<Record> {
    let mut out = Vec::new();
    let push_order = |out: &mut Vec<Record>,
                      order: Order,
                      shipped: Option<DateTime<Utc>>,
                      i: i64,
                      valid: bool| {
        let id = order.order_id.clone();
        let promised = order.promised_delivery_at;
        out.push(Record::Order {
            order,
            last_updated_at: None,
        });
        // Carriers deliver three days after shipping; one parcel in 53 takes a week.
        if let (Some(at), Some(_)) = (shipped, promised) {
            let delivered = at + Duration::days(if i % 53 == 7 { 7 } else { 3 });
            if delivered <= now {
                out.push(Record::Delivery {
                    order_id: id.clone(),
                    delivered_at: delivered,
                });
            }
        }
        if let Some(at) = shipped {
            let (carrier, tracking) = tracking(i, valid);
            out.push(Record::Shipment {
                shipment: Shipment {
                    order_id: id,
                    shipped_at: at,
                    carrier,
                    tracking,
                },
                ship_method: Some("Ground".into()),
            });
        }
    };
    // The demo threads' orders: bought a few days before the buyer wrote.
    for (k, t) in threads.iter().enumerate() {
        let bought = now - t.bought;
        let (order, shipped) =
            merchant_order(t.order_id.to_string(), t.marketplace, bought, now, false);
        push_order(&mut out, order, shipped, 90_000 + k as i64, true);
        out.push(Record::Item {
            order_id: t.order_id.to_string(),
            item_key: "1".into(),
            asin: t.asin.map(str::to_string),
            sku: None,
            product_name: t.product.map(str::to_string),
            quantity: Some(1),
        });
    }
    let id = |i: i64| format!("111-{:07}-{:07}", 6_000_000 + i, (i * 7_919) % 10_000_000);
    for i in 0..DAYS * PER_DAY {
        let bought = now - Duration::minutes(i * 24 * 60 / PER_DAY + 37);
        let order_id = id(i);
        if i % 5 < 2 {
            out.push(Record::Order {
                order: Order {
                    order_id: order_id.clone(),
                    marketplace: Some("amazon.com".into()),
                    purchased_at: bought,
                    channel: FulfilmentChannel::Amazon,
                    status: Some("Shipped".into()),
                    latest_ship_at: None,
                    shipped_at: None,
                    delivered_at: None,
                    promised_delivery_at: None,
                },
                last_updated_at: None,
            });
        } else {
            // Three late shipments in 30 days, one of them in the last 10; two shipments
            // with a tracking code that is not one.
            let late = matches!(i, 97 | 302 | 483);
            let valid = !matches!(i, 203 | 413);
            let (order, shipped) =
                merchant_order(order_id.clone(), "amazon.com", bought, now, late);
            push_order(&mut out, order, shipped, i, valid);
        }
        // One buyer in fourteen leaves feedback a few days after buying.
        if i % 14 == 3 {
            let rating = match i {
                311 => 1,
                731 => 3,
                _ => 5,
            };
            out.push(Record::Feedback {
                feedback: Feedback {
                    order_id: Some(order_id.clone()),
                    rated_at: (bought + Duration::days(4)).min(now),
                    rating,
                    source: FeedbackSource::AllRatings,
                    removed_at: None,
                },
                comments: Some(
                    match rating {
                        1 => "Arrived scratched, disappointed",
                        3 => "OK, took a while",
                        _ => "Great, as described",
                    }
                    .into(),
                ),
                response: None,
                rater_email: None,
            });
        }
        if matches!(i, 120 | 500 | 700 | 1100 | 1300 | 1500) {
            out.push(Record::Refund {
                refund: Refund {
                    order_id: order_id.clone(),
                    refunded_at: (bought + Duration::days(6)).min(now),
                },
                amount: None,
            });
        }
        if i == 44 {
            out.push(Record::Cancellation(Cancellation {
                order_id: order_id.clone(),
                cancelled_at: bought + Duration::hours(1),
                by: CancelledBy::Buyer,
                reason: Some("Ordered by mistake".into()),
            }));
        }
        if i == 640 {
            out.push(Record::Claim(Claim {
                order_id: order_id.clone(),
                kind: ClaimKind::Chargeback,
                opened_at: bought + Duration::days(9),
                status: ClaimStatus::Open,
            }));
        }
    }
    // Bob's lamp: Amazon already sent an A-to-z claim notice.
    if let Some(bob) = threads.iter().find(|t| t.order_id == "111-4827163-0028371") {
        out.push(Record::Claim(Claim {
            order_id: bob.order_id.to_string(),
            kind: ClaimKind::AToZ,
            opened_at: now - Duration::hours(5),
            status: ClaimStatus::Open,
        }));
    }
    out.push(Record::AccountHealth {
        reported_at: now - Duration::days(1),
        ahr: Some(236),
        status: Some("GOOD".into()),
        source: "seller",
    });
    out
}
