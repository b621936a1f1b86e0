//! Account records in the database: written from reports (idempotent, a later update wins),
//! read back for the metrics' windows.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::metric_days::{self, Changes, Kind};
use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::account::{
    Cancellation, CancelledBy, Channel, Claim, ClaimKind, ClaimStatus, Feedback, FeedbackSource,
    Order, Refund, Shipment,
};
use crate::reports::Record;

/// What writing one record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// New, or it changed what was stored.
    Stored,
    /// Already there as it is (or older than what is there).
    Unchanged,
}

fn opt(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_secs)
}

fn changed(n: usize) -> Written {
    if n > 0 {
        Written::Stored
    } else {
        Written::Unchanged
    }
}

fn claim_kind(k: ClaimKind) -> &'static str {
    match k {
        ClaimKind::AToZ => "a-to-z",
        ClaimKind::Chargeback => "chargeback",
    }
}

fn claim_status(s: ClaimStatus) -> &'static str {
    match s {
        ClaimStatus::Open => "open",
        ClaimStatus::Granted => "granted",
        ClaimStatus::Denied => "denied",
        ClaimStatus::Withdrawn => "withdrawn",
    }
}

/// Writes one record inside `tx`. `Err(message)` for a record that cannot be stored (a
/// delivery of an order not imported yet).
/// What it changed that the metrics' per-day counts depend on goes into `changes`
/// (`metric_days::flush` before the transaction commits).
pub fn write_record(
    tx: &Transaction<'_>,
    record: &Record,
    changes: &mut Changes,
) -> Result<Written, WriteError> {
    let n = match record {
        Record::Order {
            order: o,
            last_updated_at,
        } => write_order(tx, o, *last_updated_at, changes)?,
        Record::Item {
            order_id,
            item_key,
            asin,
            sku,
            product_name,
            quantity,
        } => tx
            .prepare_cached(
                // The order comes first from the same report row, so the foreign key holds.
                "INSERT INTO order_items (order_id, item_key, asin, sku, product_name, quantity)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (order_id, item_key) DO UPDATE SET
                     asin = coalesce(excluded.asin, asin), sku = coalesce(excluded.sku, sku),
                     product_name = coalesce(excluded.product_name, product_name),
                     quantity = coalesce(excluded.quantity, quantity)
                 WHERE asin IS NOT coalesce(excluded.asin, asin)
                    OR sku IS NOT coalesce(excluded.sku, sku)
                    OR product_name IS NOT coalesce(excluded.product_name, product_name)
                    OR quantity IS NOT coalesce(excluded.quantity, quantity)",
            )?
            .execute(params![
                order_id,
                item_key,
                asin,
                sku,
                product_name,
                quantity
            ])?,
        Record::Shipment {
            shipment: s,
            ship_method,
        } => {
            let tracking = s.tracking.clone().unwrap_or_default();
            let before: Option<i64> = tx
                .prepare_cached(
                    "SELECT shipped_at FROM shipments WHERE order_id = ?1 AND tracking = ?2",
                )?
                .query_row(params![s.order_id, tracking], |r| r.get(0))
                .optional()?;
            let n = tx
                .prepare_cached(
                    "INSERT INTO shipments (order_id, tracking, shipped_at, carrier, ship_method, valid)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (order_id, tracking) DO UPDATE SET
                         shipped_at = excluded.shipped_at, carrier = excluded.carrier,
                         ship_method = excluded.ship_method, valid = excluded.valid
                     WHERE shipped_at IS NOT excluded.shipped_at OR carrier IS NOT excluded.carrier
                        OR ship_method IS NOT excluded.ship_method OR valid IS NOT excluded.valid",
                )?
                .execute(params![
                    s.order_id,
                    tracking,
                    to_secs(s.shipped_at),
                    s.carrier,
                    ship_method,
                    s.has_valid_tracking(),
                ])?;
            changes.linked();
            if n > 0 {
                if let Some(before) = before {
                    changes.day(Kind::Shipped, before);
                }
                changes.day(Kind::Shipped, to_secs(s.shipped_at));
            }
            // The order's ship confirmation is its first shipment.
            let confirmed = tx
                .prepare_cached(
                    "UPDATE orders SET shipped_at = ?2
                     WHERE order_id = ?1 AND (shipped_at IS NULL OR shipped_at > ?2)",
                )?
                .execute(params![s.order_id, to_secs(s.shipped_at)])?;
            if confirmed > 0 {
                changes.shipped.insert(s.order_id.clone());
            }
            n
        }
        Record::Feedback {
            feedback: f,
            comments,
            response,
            rater_email,
        } => {
            let key = match &f.order_id {
                Some(o) => o.clone(),
                None => format!(
                    "{}|{}|{}",
                    to_secs(f.rated_at),
                    rater_email.as_deref().unwrap_or(""),
                    comments.as_deref().unwrap_or("")
                ),
            };
            let before: Option<(i64, i64)> = tx
                .prepare_cached("SELECT rated_at, rating FROM feedback WHERE feedback_key = ?1")?
                .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let n = tx.prepare_cached(
                "INSERT INTO feedback (feedback_key, order_id, rated_at, rating, comments, response,
                     rater_email, all_ratings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (feedback_key) DO UPDATE SET
                     rated_at = excluded.rated_at, rating = excluded.rating,
                     comments = coalesce(excluded.comments, comments),
                     response = coalesce(excluded.response, response),
                     rater_email = coalesce(excluded.rater_email, rater_email),
                     all_ratings = max(all_ratings, excluded.all_ratings)
                 WHERE rated_at IS NOT excluded.rated_at OR rating IS NOT excluded.rating
                    OR comments IS NOT coalesce(excluded.comments, comments)
                    OR response IS NOT coalesce(excluded.response, response)
                    OR all_ratings < excluded.all_ratings",
            )?
            .execute(params![
                key,
                f.order_id,
                to_secs(f.rated_at),
                f.rating,
                comments,
                response,
                rater_email,
                f.source == FeedbackSource::AllRatings,
            ])?;
            changes.linked();
            if n > 0 {
                changes.day(Kind::Rated, to_secs(f.rated_at));
                if let Some((at, rating)) = before {
                    changes.day(Kind::Rated, at);
                    if rating <= 2 {
                        changes.defects.extend(f.order_id.clone());
                    }
                }
                if f.is_negative() {
                    changes.defects.extend(f.order_id.clone());
                }
            }
            n
        }
        Record::Claim(c) => {
            changes.defects.insert(c.order_id.clone());
            tx.prepare_cached(
                "INSERT INTO claims (order_id, kind, opened_at, status) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (order_id, kind, opened_at) DO UPDATE SET status = excluded.status
                 WHERE status IS NOT excluded.status",
            )?
            .execute(params![
                c.order_id,
                claim_kind(c.kind),
                to_secs(c.opened_at),
                claim_status(c.status)
            ])?
        }
        Record::Refund { refund, amount } => {
            changes.defects.insert(refund.order_id.clone());
            tx.prepare_cached(
                "INSERT INTO refunds (order_id, refunded_at, amount) VALUES (?1, ?2, ?3)
                 ON CONFLICT (order_id, refunded_at) DO UPDATE SET amount = excluded.amount
                 WHERE amount IS NOT excluded.amount",
            )?
            .execute(params![
                refund.order_id,
                to_secs(refund.refunded_at),
                amount
            ])?
        }
        Record::Cancellation(c) => {
            changes.defects.insert(c.order_id.clone());
            tx.prepare_cached(
                "INSERT INTO cancellations (order_id, cancelled_at, cancelled_by, reason)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (order_id) DO UPDATE SET cancelled_at = excluded.cancelled_at,
                     cancelled_by = excluded.cancelled_by, reason = excluded.reason
                 WHERE cancelled_at IS NOT excluded.cancelled_at
                    OR cancelled_by IS NOT excluded.cancelled_by OR reason IS NOT excluded.reason",
            )?
            .execute(params![
                c.order_id,
                to_secs(c.cancelled_at),
                match c.by {
                    CancelledBy::Seller => "seller",
                    CancelledBy::Buyer => "buyer",
                },
                c.reason
            ])?
        }
        Record::Delivery {
            order_id,
            delivered_at,
        } => {
            let known: Option<i64> = tx
                .prepare_cached("SELECT delivered_at FROM orders WHERE order_id = ?1")?
                .query_row([order_id], |r| r.get(0))
                .optional()?
                .map(|d: Option<i64>| d.unwrap_or(i64::MIN));
            match known {
                None => {
                    return Err(WriteError::Rejected(format!(
                        "order {order_id} is not imported yet: import the orders report first"
                    )));
                }
                Some(d) if d == to_secs(*delivered_at) => 0,
                Some(_) => tx
                    .prepare_cached("UPDATE orders SET delivered_at = ?2 WHERE order_id = ?1")?
                    .execute(params![order_id, to_secs(*delivered_at)])?,
            }
        }
        Record::AccountHealth {
            reported_at,
            ahr,
            status,
            source,
        } => tx
            .prepare_cached(
                "INSERT INTO account_health (reported_at, ahr, ahr_status, source)
                 SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (
                     SELECT 1 FROM account_health WHERE reported_at = ?1 AND source = ?4
                       AND ahr IS ?2 AND ahr_status IS ?3)",
            )?
            .execute(params![to_secs(*reported_at), ahr, status, source])?,
        Record::AmazonMetric {
            reported_at,
            metric,
            status,
            rate,
            target,
        } => tx
            .prepare_cached(
                "INSERT INTO amazon_metrics (reported_at, metric, status, rate, target)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (metric, reported_at) DO UPDATE SET status = excluded.status,
                     rate = excluded.rate, target = excluded.target
                 WHERE status IS NOT excluded.status OR rate IS NOT excluded.rate
                    OR target IS NOT excluded.target",
            )?
            .execute(params![to_secs(*reported_at), metric, status, rate, target])?,
    };
    Ok(changed(n))
}

/// Inserts a new order, or updates a stored one when the record is newer and says something
/// new; the days it leaves and the days it joins are recounted.
fn write_order(
    tx: &Transaction<'_>,
    o: &Order,
    last_updated_at: Option<DateTime<Utc>>,
    changes: &mut Changes,
) -> rusqlite::Result<usize> {
    let values = params![
        o.order_id,
        o.marketplace,
        to_secs(o.purchased_at),
        opt(last_updated_at),
        o.status,
        o.channel.as_str(),
        opt(o.latest_ship_at),
        opt(o.shipped_at),
        opt(o.delivered_at),
    ];
    let inserted = tx
        .prepare_cached(
            "INSERT INTO orders (order_id, marketplace, purchased_at, last_updated_at, status,
                 fulfillment_channel, latest_ship_at, shipped_at, delivered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                 coalesce(?8, (SELECT min(shipped_at) FROM shipments WHERE order_id = ?1)), ?9)
             ON CONFLICT (order_id) DO NOTHING",
        )?
        .execute(values)?;
    let mut latest_ship = o.latest_ship_at.map(to_secs);
    let n = if inserted > 0 {
        inserted
    } else {
        let (purchased, due): (i64, Option<i64>) = tx
            .prepare_cached("SELECT purchased_at, latest_ship_at FROM orders WHERE order_id = ?1")?
            .query_row([&o.order_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let n = tx
            .prepare_cached(
                "UPDATE orders SET
                     marketplace = coalesce(?2, marketplace),
                     purchased_at = ?3,
                     last_updated_at = ?4,
                     status = coalesce(?5, status),
                     fulfillment_channel = ?6,
                     latest_ship_at = coalesce(?7, latest_ship_at),
                     shipped_at = coalesce(shipped_at, ?8,
                         (SELECT min(shipped_at) FROM shipments WHERE order_id = ?1)),
                     delivered_at = coalesce(?9, delivered_at)
                 WHERE order_id = ?1
                   AND (?4 > last_updated_at OR last_updated_at IS NULL OR ?4 IS NULL)
                   AND (marketplace IS NOT coalesce(?2, marketplace)
                        OR purchased_at IS NOT ?3
                        OR last_updated_at IS NOT ?4
                        OR status IS NOT coalesce(?5, status)
                        OR fulfillment_channel IS NOT ?6
                        OR latest_ship_at IS NOT coalesce(?7, latest_ship_at)
                        OR shipped_at IS NOT coalesce(shipped_at, ?8,
                            (SELECT min(shipped_at) FROM shipments WHERE order_id = ?1))
                        OR delivered_at IS NOT coalesce(?9, delivered_at))",
            )?
            .execute(values)?;
        if n > 0 {
            changes.day(Kind::Purchase, purchased);
            if let Some(d) = due {
                changes.day(Kind::Due, d);
            }
            latest_ship = latest_ship.or(due);
        }
        n
    };
    if n > 0 {
        changes.day(Kind::Purchase, to_secs(o.purchased_at));
        if let Some(d) = latest_ship {
            changes.day(Kind::Due, d);
        }
        changes.order_written(tx, &o.order_id)?;
    }
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Rejected(String),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The records the metrics need at `now`, optionally of one marketplace.
#[derive(Clone, Debug, Default)]
pub struct AccountRecords {
    pub orders: Vec<Order>,
    pub feedback: Vec<Feedback>,
    pub claims: Vec<Claim>,
    pub refunds: Vec<Refund>,
    pub cancellations: Vec<Cancellation>,
    pub shipments: Vec<Shipment>,
    pub buyer_contacted: HashSet<String>,
}

/// What the account health figures are: the seller's latest number and Amazon's statuses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AmazonSays {
    pub ahr: Option<i64>,
    pub ahr_status: Option<String>,
    /// Metric name (`odr`, `lsr_10`, `pcr`, `vtr`) → Amazon's status and rate.
    pub metrics: Vec<(String, Option<String>, Option<f64>)>,
}

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    let channel: String = r.get(3)?;
    Ok(Order {
        order_id: r.get(0)?,
        marketplace: r.get(1)?,
        purchased_at: from_secs(r.get(2)?),
        channel: Channel::parse(&channel).unwrap_or(Channel::Merchant),
        status: r.get(4)?,
        latest_ship_at: r.get::<_, Option<i64>>(5)?.map(from_secs),
        shipped_at: r.get::<_, Option<i64>>(6)?.map(from_secs),
        delivered_at: r.get::<_, Option<i64>>(7)?.map(from_secs),
    })
}

impl Store {
    /// Writes report records in one transaction; each record's outcome, in order.
    pub fn write_records(
        &mut self,
        records: &[Record],
    ) -> Result<Vec<Result<Written, String>>, StoreError> {
        self.write(|tx| {
            let mut changes = Changes::default();
            let mut out = Vec::with_capacity(records.len());
            for r in records {
                out.push(match write_record(tx, r, &mut changes) {
                    Ok(w) => Ok(w),
                    Err(WriteError::Rejected(m)) => Err(m),
                    Err(WriteError::Sqlite(e)) => return Err(StoreError::from(e)),
                });
            }
            metric_days::flush(tx, &mut changes)?;
            metric_days::refresh(tx)?;
            Ok(out)
        })
    }

    /// The orders of the metrics' windows (90 days by purchase, 30 by latest ship date), their
    /// claims, refunds, cancellations and contacts, the shipments of 30 days and all feedback.
    pub fn account_records(
        &self,
        now: DateTime<Utc>,
        marketplace: Option<&str>,
    ) -> Result<AccountRecords, StoreError> {
        let conn = self.conn();
        let since_purchase = to_secs(now - Duration::days(90));
        let since_ship = to_secs(now - Duration::days(30));
        let orders: Vec<Order> = conn
            .prepare_cached(
                "SELECT order_id, marketplace, purchased_at, fulfillment_channel, status,
                        latest_ship_at, shipped_at, delivered_at
                 FROM orders
                 WHERE (purchased_at > ?1 OR latest_ship_at > ?2)
                   AND (?3 IS NULL OR marketplace = ?3)",
            )?
            .query_map(params![since_purchase, since_ship, marketplace], order_row)?
            .collect::<Result<_, _>>()?;
        let mut out = AccountRecords {
            orders,
            ..AccountRecords::default()
        };
        let ids: HashSet<String> = out.orders.iter().map(|o| o.order_id.clone()).collect();
        let of_order = |id: &str| ids.contains(id);

        out.claims = conn
            .prepare_cached("SELECT order_id, kind, opened_at, status FROM claims")?
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                let status: String = r.get(3)?;
                Ok(Claim {
                    order_id: r.get(0)?,
                    kind: if kind == "chargeback" {
                        ClaimKind::Chargeback
                    } else {
                        ClaimKind::AToZ
                    },
                    opened_at: from_secs(r.get(2)?),
                    status: match status.as_str() {
                        "granted" => ClaimStatus::Granted,
                        "denied" => ClaimStatus::Denied,
                        "withdrawn" => ClaimStatus::Withdrawn,
                        _ => ClaimStatus::Open,
                    },
                })
            })?
            .filter(|c| c.as_ref().map_or(true, |c| of_order(&c.order_id)))
            .collect::<Result<_, _>>()?;
        out.refunds = conn
            .prepare_cached("SELECT order_id, refunded_at FROM refunds")?
            .query_map([], |r| {
                Ok(Refund {
                    order_id: r.get(0)?,
                    refunded_at: from_secs(r.get(1)?),
                })
            })?
            .filter(|x| x.as_ref().map_or(true, |x| of_order(&x.order_id)))
            .collect::<Result<_, _>>()?;
        out.cancellations = conn
            .prepare_cached(
                "SELECT order_id, cancelled_at, cancelled_by, reason FROM cancellations",
            )?
            .query_map([], |r| {
                let by: String = r.get(2)?;
                Ok(Cancellation {
                    order_id: r.get(0)?,
                    cancelled_at: from_secs(r.get(1)?),
                    by: if by == "buyer" {
                        CancelledBy::Buyer
                    } else {
                        CancelledBy::Seller
                    },
                    reason: r.get(3)?,
                })
            })?
            .filter(|x| x.as_ref().map_or(true, |x| of_order(&x.order_id)))
            .collect::<Result<_, _>>()?;
        // Shipments carry no marketplace: with a filter, only those of its orders.
        out.shipments = conn
            .prepare_cached(
                "SELECT s.order_id, s.shipped_at, s.carrier, nullif(s.tracking, '')
                 FROM shipments s
                 WHERE s.shipped_at > ?1
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM orders o
                        WHERE o.order_id = s.order_id AND o.marketplace = ?2))",
            )?
            .query_map(params![since_ship, marketplace], |r| {
                Ok(Shipment {
                    order_id: r.get(0)?,
                    shipped_at: from_secs(r.get(1)?),
                    carrier: r.get(2)?,
                    tracking: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        out.feedback = conn
            .prepare_cached(
                "SELECT f.order_id, f.rated_at, f.rating, f.all_ratings FROM feedback f
                 WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM orders o
                       WHERE o.order_id = f.order_id AND o.marketplace = ?1)",
            )?
            .query_map(params![marketplace], |r| {
                let all: bool = r.get(3)?;
                Ok(Feedback {
                    order_id: r.get(0)?,
                    rated_at: from_secs(r.get(1)?),
                    rating: r.get(2)?,
                    source: if all {
                        FeedbackSource::AllRatings
                    } else {
                        FeedbackSource::AmazonReport
                    },
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut contacted = conn.prepare_cached(
            "SELECT 1 FROM threads WHERE order_id = ?1 AND buyer_alias IS NOT NULL LIMIT 1",
        )?;
        for o in &out.orders {
            if contacted.exists([&o.order_id])? {
                out.buyer_contacted.insert(o.order_id.clone());
            }
        }
        Ok(out)
    }

    /// The seller's latest AHR and Amazon's latest statuses.
    pub fn amazon_says(&self) -> Result<AmazonSays, StoreError> {
        let conn = self.conn();
        let ahr: Option<i64> = conn
            .query_row(
                "SELECT ahr FROM account_health WHERE ahr IS NOT NULL
                 ORDER BY reported_at DESC, id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let ahr_status: Option<String> = conn
            .query_row(
                "SELECT ahr_status FROM account_health WHERE ahr_status IS NOT NULL
                 ORDER BY reported_at DESC, id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let metrics = conn
            .prepare(
                "SELECT metric, status, rate FROM amazon_metrics m
                 WHERE reported_at = (SELECT max(reported_at) FROM amazon_metrics WHERE metric = m.metric)
                 ORDER BY metric",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(AmazonSays {
            ahr,
            ahr_status,
            metrics,
        })
    }
}
