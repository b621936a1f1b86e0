//! Account records in the database: written from reports (idempotent, a later update wins),
//! read back for the metrics' windows.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::metric_days::{self, Changes, Kind};
use super::{Store, StoreError, from_secs, to_secs};
use crate::domain::account::Record;
use crate::domain::account::{
    AmazonFigure, Cancellation, CancelledBy, Claim, ClaimKind, ClaimStatus, Feedback,
    FeedbackSource, FulfilmentChannel, Order, Refund, Shipment, Stamps, first_stamps, merge_order,
};

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
                // Two files naming an item differently keep the greater name: the same in
                // any import order.
                &format!(
                    "INSERT INTO order_items (order_id, item_key, asin, sku, product_name, quantity)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (order_id, item_key) DO UPDATE SET
                         asin = {a}, sku = {s}, product_name = {p}, quantity = {q}
                     WHERE asin IS NOT {a} OR sku IS NOT {s} OR product_name IS NOT {p}
                        OR quantity IS NOT {q}",
                    a = greatest("asin"),
                    s = greatest("sku"),
                    p = greatest("product_name"),
                    q = greatest("quantity"),
                ),
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
        } => write_shipment(tx, s, ship_method.as_deref(), changes)?,
        Record::Feedback {
            feedback: f,
            comments,
            response,
            rater_email,
        } => write_feedback(
            tx,
            f,
            [
                comments.as_deref(),
                response.as_deref(),
                rater_email.as_deref(),
            ],
            changes,
        )?,
        Record::Claim(c) => {
            let stored: Option<String> = tx
                .prepare_cached(
                    "SELECT status FROM claims WHERE order_id = ?1 AND kind = ?2 AND opened_at = ?3",
                )?
                .query_row(params![c.order_id, c.kind.key(), to_secs(c.opened_at)], |r| {
                    r.get(0)
                })
                .optional()?;
            // A decided outcome never returns to open; two outcomes merge the same in any
            // order (ClaimStatus::merge).
            let status = match stored.as_deref().and_then(ClaimStatus::parse) {
                Some(old) => old.merge(c.status),
                None => c.status,
            };
            if stored.as_deref() == Some(status.key()) {
                0
            } else {
                changes.defects.insert(c.order_id.clone());
                tx.prepare_cached(
                    "INSERT INTO claims (order_id, kind, opened_at, status) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (order_id, kind, opened_at) DO UPDATE SET status = excluded.status",
                )?
                .execute(params![
                    c.order_id,
                    c.kind.key(),
                    to_secs(c.opened_at),
                    status.key()
                ])?
            }
        }
        Record::Refund { refund, amount } => {
            let n = tx
                .prepare_cached(&format!(
                    "INSERT INTO refunds (order_id, refunded_at, amount) VALUES (?1, ?2, ?3)
                     ON CONFLICT (order_id, refunded_at) DO UPDATE SET amount = {a}
                     WHERE amount IS NOT {a}",
                    a = greatest("amount"),
                ))?
                .execute(params![
                    refund.order_id,
                    to_secs(refund.refunded_at),
                    amount
                ])?;
            if n > 0 {
                changes.defects.insert(refund.order_id.clone());
            }
            n
        }
        Record::Cancellation(c) => {
            // The earliest time; an initiator named beats none, the seller beats the buyer
            // (CancelledBy's order); the same in any import order.
            let by = "CASE WHEN excluded.cancelled_by = 'seller' OR cancelled_by = 'seller'
                          THEN 'seller'
                          WHEN excluded.cancelled_by = 'buyer' OR cancelled_by = 'buyer'
                          THEN 'buyer' ELSE 'unknown' END";
            let n = tx
                .prepare_cached(&format!(
                    "INSERT INTO cancellations (order_id, cancelled_at, cancelled_by, reason)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (order_id) DO UPDATE SET
                         cancelled_at = min(cancelled_at, excluded.cancelled_at),
                         cancelled_by = {by}, reason = {r}
                     WHERE cancelled_at IS NOT min(cancelled_at, excluded.cancelled_at)
                        OR cancelled_by IS NOT {by} OR reason IS NOT {r}",
                    r = greatest("reason"),
                ))?
                .execute(params![
                    c.order_id,
                    to_secs(c.cancelled_at),
                    c.by.key(),
                    c.reason
                ])?;
            if n > 0 {
                changes.defects.insert(c.order_id.clone());
            }
            n
        }
        Record::Delivery {
            order_id,
            delivered_at,
        } => {
            // Kept even before its order is imported: the order takes it when it comes.
            if !write_delivery(tx, order_id, *delivered_at)? {
                0
            } else {
                let promised: Option<Option<i64>> = tx
                    .prepare_cached(
                        "UPDATE orders SET delivered_at = ?2 WHERE order_id = ?1
                         RETURNING promised_delivery_at",
                    )?
                    .query_row(params![order_id, to_secs(*delivered_at)], |r| r.get(0))
                    .optional()?;
                if let Some(Some(p)) = promised {
                    changes.day(Kind::Promised, p);
                }
                1
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
        Record::AmazonMetric(f) => {
            let parts = f.parts.unwrap_or_default();
            let n = |v: Option<u64>| v.map(|v| v as i64);
            tx.prepare_cached(
                "INSERT INTO amazon_figures (reported_at, marketplace_id, metric, status, rate,
                     numerator, denominator, target, date_from, date_to, negative, claims,
                     chargebacks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (metric, marketplace_id, reported_at) DO UPDATE SET
                     status = excluded.status, rate = excluded.rate,
                     numerator = excluded.numerator, denominator = excluded.denominator,
                     target = excluded.target, date_from = excluded.date_from,
                     date_to = excluded.date_to, negative = excluded.negative,
                     claims = excluded.claims, chargebacks = excluded.chargebacks
                 WHERE status IS NOT excluded.status OR rate IS NOT excluded.rate
                    OR numerator IS NOT excluded.numerator
                    OR denominator IS NOT excluded.denominator OR target IS NOT excluded.target
                    OR date_from IS NOT excluded.date_from OR date_to IS NOT excluded.date_to
                    OR negative IS NOT excluded.negative OR claims IS NOT excluded.claims
                    OR chargebacks IS NOT excluded.chargebacks",
            )?
            .execute(params![
                to_secs(f.reported_at),
                f.marketplace_id,
                f.metric,
                f.status,
                f.rate,
                n(f.numerator),
                n(f.denominator),
                f.target,
                opt(f.from),
                opt(f.to),
                n(parts[0]),
                n(parts[1]),
                n(parts[2]),
            ])?
        }
    };
    Ok(changed(n))
}

/// SQL for an upsert's merged value of `col`: the value either side has, the greater when both
/// do (a merge that gives the same result in any order).
fn greatest(col: &str) -> String {
    format!(
        "CASE WHEN {col} IS NULL THEN excluded.{col} WHEN excluded.{col} IS NULL THEN {col}
              ELSE max({col}, excluded.{col}) END"
    )
}

/// One shipment per order and tracking number: the earliest ship date, the carrier and method
/// either file names (the greater when both do); validity follows the merged carrier.
fn write_shipment(
    tx: &Transaction<'_>,
    s: &Shipment,
    ship_method: Option<&str>,
    changes: &mut Changes,
) -> rusqlite::Result<usize> {
    let tracking = s.tracking.clone().unwrap_or_default();
    let before: Option<(i64, Option<String>, Option<String>)> = tx
        .prepare_cached(
            "SELECT shipped_at, carrier, ship_method FROM shipments
             WHERE order_id = ?1 AND tracking = ?2",
        )?
        .query_row(params![s.order_id, tracking], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let max_text = |a: Option<String>, b: Option<&str>| -> Option<String> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b.to_string())),
            (a, b) => a.or(b.map(str::to_string)),
        }
    };
    let merged = match &before {
        None => (
            to_secs(s.shipped_at),
            s.carrier.clone(),
            ship_method.map(str::to_string),
        ),
        Some((at, carrier, method)) => (
            (*at).min(to_secs(s.shipped_at)),
            max_text(carrier.clone(), s.carrier.as_deref()),
            max_text(method.clone(), ship_method),
        ),
    };
    changes.linked();
    if before.as_ref() == Some(&merged) {
        return Ok(0);
    }
    let valid = Shipment {
        carrier: merged.1.clone(),
        ..s.clone()
    }
    .has_valid_tracking();
    let n = tx
        .prepare_cached(
            "INSERT INTO shipments (order_id, tracking, shipped_at, carrier, ship_method, valid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (order_id, tracking) DO UPDATE SET
                 shipped_at = excluded.shipped_at, carrier = excluded.carrier,
                 ship_method = excluded.ship_method, valid = excluded.valid",
        )?
        .execute(params![
            s.order_id, tracking, merged.0, merged.1, merged.2, valid
        ])?;
    if let Some((at, _, _)) = before {
        changes.day(Kind::Shipped, at);
    }
    changes.day(Kind::Shipped, merged.0);
    // The order's ship confirmation is its first shipment.
    let confirmed = tx
        .prepare_cached(
            "UPDATE orders SET shipped_at = ?2
             WHERE order_id = ?1 AND (shipped_at IS NULL OR shipped_at > ?2)",
        )?
        .execute(params![s.order_id, merged.0])?;
    if confirmed > 0 {
        changes.shipped.insert(s.order_id.clone());
    }
    Ok(n)
}

/// One feedback per order (or per rater, date and comment): the newest rating (the higher on
/// the same date), texts either file gives, every-rating source if any says so, and a removal
/// that sticks (the earliest removal date) until `feedback restore`.
fn write_feedback(
    tx: &Transaction<'_>,
    f: &Feedback,
    [comments, response, rater_email]: [Option<&str>; 3],
    changes: &mut Changes,
) -> rusqlite::Result<usize> {
    let key = match &f.order_id {
        Some(o) => o.clone(),
        None => format!(
            "{}|{}|{}",
            to_secs(f.rated_at),
            rater_email.unwrap_or(""),
            comments.unwrap_or("")
        ),
    };
    let before: Option<(i64, i64, Option<i64>)> = tx
        .prepare_cached(
            "SELECT rated_at, rating, removed_at FROM feedback WHERE feedback_key = ?1",
        )?
        .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let keep_old = "(excluded.rated_at, excluded.rating) <= (rated_at, rating)";
    let n = tx
        .prepare_cached(&format!(
            "INSERT INTO feedback (feedback_key, order_id, rated_at, rating, comments, response,
                 rater_email, all_ratings, removed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (feedback_key) DO UPDATE SET
                 rated_at = CASE WHEN {keep_old} THEN rated_at ELSE excluded.rated_at END,
                 rating = CASE WHEN {keep_old} THEN rating ELSE excluded.rating END,
                 comments = {c}, response = {r}, rater_email = {e},
                 all_ratings = max(all_ratings, excluded.all_ratings),
                 removed_at = {removed}
             WHERE NOT {keep_old} OR comments IS NOT {c} OR response IS NOT {r}
                OR rater_email IS NOT {e} OR all_ratings < excluded.all_ratings
                OR removed_at IS NOT {removed}",
            c = greatest("comments"),
            r = greatest("response"),
            e = greatest("rater_email"),
            removed = "CASE WHEN removed_at IS NULL THEN excluded.removed_at
                            WHEN excluded.removed_at IS NULL THEN removed_at
                            ELSE min(removed_at, excluded.removed_at) END",
        ))?
        .execute(params![
            key,
            f.order_id,
            to_secs(f.rated_at),
            f.rating,
            comments,
            response,
            rater_email,
            f.source == FeedbackSource::AllRatings,
            opt(f.removed_at),
        ])?;
    changes.linked();
    if n > 0 {
        changes.day(Kind::Rated, to_secs(f.rated_at));
        if let Some((at, _, _)) = before {
            changes.day(Kind::Rated, at);
        }
        // The rating or its removal may have changed what is held against the order.
        changes.defects.extend(f.order_id.clone());
    }
    Ok(n)
}

/// The stored order with the dates its fields were stated at, if it is stored.
fn stored_order(
    tx: &Transaction<'_>,
    order_id: &str,
) -> rusqlite::Result<Option<(Order, Stamps, Option<i64>)>> {
    tx.prepare_cached(
        "SELECT order_id, marketplace, purchased_at, fulfillment_channel, status,
                latest_ship_at, shipped_at, delivered_at, promised_delivery_at,
                marketplace_as_of, purchased_as_of, status_as_of, channel_as_of,
                latest_ship_as_of, promised_as_of, last_updated_at
         FROM orders WHERE order_id = ?1",
    )?
    .query_row([order_id], |r| {
        let at = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
            Ok(r.get::<_, Option<i64>>(i)?.map(from_secs))
        };
        Ok((
            order_row(r)?,
            Stamps {
                marketplace: at(9)?,
                purchased_at: at(10)?,
                status: at(11)?,
                channel: at(12)?,
                latest_ship_at: at(13)?,
                promised_delivery_at: at(14)?,
            },
            r.get(15)?,
        ))
    })
    .optional()
}

/// Merges one record of an order into what is stored (domain::account::merge_order: field by
/// field, a newer statement wins, a missing value never erases one), so the same files give the
/// same orders in any import order. The days the order leaves and joins are recounted.
fn write_order(
    tx: &Transaction<'_>,
    o: &Order,
    last_updated_at: Option<DateTime<Utc>>,
    changes: &mut Changes,
) -> rusqlite::Result<usize> {
    // A delivery date the record carries is kept with the others (deliveries CSV).
    if let Some(d) = o.delivered_at {
        write_delivery(tx, &o.order_id, d)?;
    }
    let before = stored_order(tx, &o.order_id)?;
    let (mut merged, mut stamps, last) = match &before {
        Some((stored, stamps, last)) => (stored.clone(), *stamps, *last),
        None => {
            let mut first = o.clone();
            first.shipped_at = None;
            first.delivered_at = None;
            (first, first_stamps(last_updated_at, o), None)
        }
    };
    merge_order(&mut merged, &mut stamps, o, last_updated_at);
    // Confirmed by its first shipment, delivered on the latest delivery date any file gives.
    let shipped: Option<i64> = tx
        .prepare_cached("SELECT min(shipped_at) FROM shipments WHERE order_id = ?1")?
        .query_row([&o.order_id], |r| r.get(0))?;
    let delivered: Option<i64> = tx
        .prepare_cached("SELECT delivered_at FROM deliveries WHERE order_id = ?1")?
        .query_row([&o.order_id], |r| r.get(0))
        .optional()?;
    merged.shipped_at = match (merged.shipped_at, shipped.map(from_secs)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    merged.delivered_at = merged.delivered_at.max(delivered.map(from_secs));
    let last_updated = match (last, opt(last_updated_at)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some((stored, old_stamps, old_last)) = &before
        && *stored == merged
        && *old_stamps == stamps
        && *old_last == last_updated
    {
        return Ok(0);
    }
    let n = tx
        .prepare_cached(
            "INSERT INTO orders (order_id, marketplace, purchased_at, last_updated_at, status,
                 fulfillment_channel, latest_ship_at, shipped_at, delivered_at,
                 promised_delivery_at, marketplace_as_of, purchased_as_of, status_as_of,
                 channel_as_of, latest_ship_as_of, promised_as_of)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (order_id) DO UPDATE SET
                 marketplace = excluded.marketplace, purchased_at = excluded.purchased_at,
                 last_updated_at = excluded.last_updated_at, status = excluded.status,
                 fulfillment_channel = excluded.fulfillment_channel,
                 latest_ship_at = excluded.latest_ship_at, shipped_at = excluded.shipped_at,
                 delivered_at = excluded.delivered_at,
                 promised_delivery_at = excluded.promised_delivery_at,
                 marketplace_as_of = excluded.marketplace_as_of,
                 purchased_as_of = excluded.purchased_as_of,
                 status_as_of = excluded.status_as_of, channel_as_of = excluded.channel_as_of,
                 latest_ship_as_of = excluded.latest_ship_as_of,
                 promised_as_of = excluded.promised_as_of",
        )?
        .execute(params![
            merged.order_id,
            merged.marketplace,
            to_secs(merged.purchased_at),
            last_updated,
            merged.status,
            merged.channel.as_str(),
            opt(merged.latest_ship_at),
            opt(merged.shipped_at),
            opt(merged.delivered_at),
            opt(merged.promised_delivery_at),
            opt(stamps.marketplace),
            opt(stamps.purchased_at),
            opt(stamps.status),
            opt(stamps.channel),
            opt(stamps.latest_ship_at),
            opt(stamps.promised_delivery_at),
        ])?;
    for order in before.iter().map(|b| &b.0).chain([&merged]) {
        changes.day(Kind::Purchase, to_secs(order.purchased_at));
        if let Some(d) = order.latest_ship_at {
            changes.day(Kind::Due, to_secs(d));
        }
        if let Some(d) = order.promised_delivery_at {
            changes.day(Kind::Promised, to_secs(d));
        }
    }
    // Whether a report calls it cancelled is held against the order.
    let was_cancelled = before.as_ref().is_some_and(|b| b.0.is_cancelled());
    if was_cancelled != merged.is_cancelled() {
        changes.defects.insert(merged.order_id.clone());
    }
    changes.order_written(tx, &o.order_id)?;
    Ok(n)
}

/// Keeps the latest delivery date any file gives for an order, stored or not yet; a stored
/// order takes it. `true` when it changed.
fn write_delivery(
    tx: &Transaction<'_>,
    order_id: &str,
    at: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let n = tx
        .prepare_cached(
            "INSERT INTO deliveries (order_id, delivered_at) VALUES (?1, ?2)
             ON CONFLICT (order_id) DO UPDATE SET delivered_at = excluded.delivered_at
             WHERE excluded.delivered_at > delivered_at",
        )?
        .execute(params![order_id, to_secs(at)])?;
    Ok(n > 0)
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

/// An order's feedback: `(rating, rated_at, removed_at)`.
pub type StoredFeedback = (u8, DateTime<Utc>, Option<DateTime<Utc>>);

/// What the account health figures are: the seller's latest number and Amazon's statuses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AmazonSays {
    pub ahr: Option<i64>,
    pub ahr_status: Option<String>,
    /// Amazon's figures of its latest report, per marketplace and metric.
    pub figures: Vec<AmazonFigure>,
}

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    let channel: String = r.get(3)?;
    Ok(Order {
        order_id: r.get(0)?,
        marketplace: r.get(1)?,
        purchased_at: from_secs(r.get(2)?),
        channel: FulfilmentChannel::parse(&channel).unwrap_or(FulfilmentChannel::Merchant),
        status: r.get(4)?,
        latest_ship_at: r.get::<_, Option<i64>>(5)?.map(from_secs),
        shipped_at: r.get::<_, Option<i64>>(6)?.map(from_secs),
        delivered_at: r.get::<_, Option<i64>>(7)?.map(from_secs),
        promised_delivery_at: r.get::<_, Option<i64>>(8)?.map(from_secs),
    })
}

impl Store {
    /// Marks the feedback on `order_id` removed at `at` (Amazon removed it, or the buyer did):
    /// it stops counting from then on. `None` undoes a removal marked by mistake. The number of
    /// feedback records changed (0: none on that order).
    pub fn set_feedback_removed(
        &mut self,
        order_id: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            let mut changes = Changes::default();
            let days: Vec<i64> = tx
                .prepare("SELECT rated_at FROM feedback WHERE order_id = ?1")?
                .query_map([order_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let n = tx.execute(
                "UPDATE feedback SET removed_at = ?2 WHERE order_id = ?1",
                params![order_id, opt(at)],
            )?;
            for d in days {
                changes.day(Kind::Rated, d);
            }
            changes.defects.insert(order_id.to_string());
            metric_days::flush(tx, &mut changes)?;
            metric_days::refresh(tx)?;
            Ok(n)
        })
    }

    /// The feedback on an order, if any.
    pub fn feedback_of(&self, order_id: &str) -> Result<Option<StoredFeedback>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT rating, rated_at, removed_at FROM feedback WHERE order_id = ?1
                 ORDER BY rated_at DESC LIMIT 1",
                [order_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        from_secs(r.get(1)?),
                        r.get::<_, Option<i64>>(2)?.map(from_secs),
                    ))
                },
            )
            .optional()?)
    }

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
        let since_promised = to_secs(crate::domain::metrics::otdr_span(now).lo);
        let orders: Vec<Order> = conn
            .prepare_cached(
                "SELECT order_id, marketplace, purchased_at, fulfillment_channel, status,
                        latest_ship_at, shipped_at, delivered_at, promised_delivery_at
                 FROM orders
                 WHERE (purchased_at > ?1 OR latest_ship_at > ?2 OR promised_delivery_at > ?4)
                   AND (?3 IS NULL OR marketplace = ?3)",
            )?
            .query_map(
                params![since_purchase, since_ship, marketplace, since_promised],
                order_row,
            )?
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
                    kind: ClaimKind::parse(&kind).unwrap_or(ClaimKind::AToZ),
                    opened_at: from_secs(r.get(2)?),
                    status: ClaimStatus::parse(&status).unwrap_or(ClaimStatus::Open),
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
                    by: match by.as_str() {
                        "buyer" => CancelledBy::Buyer,
                        "seller" => CancelledBy::Seller,
                        _ => CancelledBy::Unknown,
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
                "SELECT f.order_id, f.rated_at, f.rating, f.all_ratings, f.removed_at FROM feedback f
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
                    removed_at: r.get::<_, Option<i64>>(4)?.map(from_secs),
                })
            })?
            .collect::<Result<_, _>>()?;
        // A thread the buyer started: its first message is the buyer's.
        let mut contacted = conn.prepare_cached(
            "SELECT 1 FROM threads h WHERE h.order_id = ?1 AND h.buyer_alias IS NOT NULL
               AND (SELECT m.role FROM messages m WHERE m.thread_id = h.id
                    ORDER BY m.sent_at, m.id LIMIT 1) = 'buyer'
             LIMIT 1",
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
        let figures = conn
            .prepare(
                "SELECT reported_at, marketplace_id, metric, status, rate, numerator, denominator,
                        target, date_from, date_to, negative, claims, chargebacks
                 FROM amazon_figures f
                 WHERE reported_at = (SELECT max(reported_at) FROM amazon_figures
                                      WHERE metric = f.metric AND marketplace_id = f.marketplace_id)
                 ORDER BY marketplace_id, metric",
            )?
            .query_map([], |r| {
                let at = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
                    Ok(r.get::<_, Option<i64>>(i)?.map(from_secs))
                };
                let n = |i: usize| -> rusqlite::Result<Option<u64>> {
                    Ok(r.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
                };
                let parts = [n(10)?, n(11)?, n(12)?];
                Ok(AmazonFigure {
                    reported_at: from_secs(r.get(0)?),
                    marketplace_id: r.get(1)?,
                    metric: r.get(2)?,
                    status: r.get(3)?,
                    rate: r.get(4)?,
                    numerator: n(5)?,
                    denominator: n(6)?,
                    target: r.get(7)?,
                    from: at(8)?,
                    to: at(9)?,
                    parts: parts.iter().any(Option::is_some).then_some(parts),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(AmazonSays {
            ahr,
            ahr_status,
            figures,
        })
    }
}
