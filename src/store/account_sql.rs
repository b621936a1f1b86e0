//! The account metrics' numerators and denominators as aggregates over covering indexes: what
//! `sellerdesk metrics` reads on a million orders without loading them. Each count means
//! exactly what the pure functions of `domain::metrics` count (tests compare the two).

use chrono::{DateTime, Duration, Utc};
use rusqlite::named_params;

use super::{Store, StoreError, to_secs};

/// `(numerator, denominator)` of each metric, and the late response parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub odr: (u64, u64),
    pub pcr: (u64, u64),
    pub lsr_10: (u64, u64),
    pub lsr_30: (u64, u64),
    pub vtr: (u64, u64),
    /// 30, 90, 365 days and lifetime: (positive, all, any record from a source of every rating).
    pub feedback: [(u64, u64, bool); 4],
    pub refunds: (u64, u64),
    pub pop: (u64, u64),
    /// 7, 30 and 90 days: (late, counted, answered, seconds to answer in total).
    pub late_response: [(u64, u64, u64, i64); 3],
}

/// An order shipped late at `:now`, in SQL (domain::metrics::shipped_late). Never NULL: it is
/// also used as `NOT {LATE}`, where a NULL would drop the row.
const LATE: &str = "(o.fulfillment_channel IS 'merchant' AND o.latest_ship_at IS NOT NULL
    AND (coalesce(o.shipped_at > o.latest_ship_at, 0)
         OR (o.shipped_at IS NULL AND o.latest_ship_at < :now)))";

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

/// The first `N` columns of a row of counts.
fn integers<const N: usize>(r: &rusqlite::Row<'_>) -> rusqlite::Result<[i64; N]> {
    let mut a = [0i64; N];
    for (i, v) in a.iter_mut().enumerate() {
        *v = r.get(i)?;
    }
    Ok(a)
}

impl Store {
    /// With `late_response` false the late response parts stay zero (no messages read).
    pub fn metric_counts(
        &self,
        now: DateTime<Utc>,
        marketplace: Option<&str>,
        late_response: bool,
    ) -> Result<Counts, StoreError> {
        let conn = self.conn();
        let day = |d: i64| to_secs(now - Duration::days(d));
        let n = to_secs(now);
        let mut c = Counts::default();

        // Orders by purchase date: one pass over 90 days of the covering index.
        let (n90, n60, n30, m7, late90): (i64, i64, i64, i64, i64) = conn
            .prepare_cached(&format!(
                "SELECT count(*),
                        count(*) FILTER (WHERE o.purchased_at > :p60),
                        count(*) FILTER (WHERE o.purchased_at > :p30),
                        count(*) FILTER (WHERE o.purchased_at > :p7
                                          AND o.fulfillment_channel = 'merchant'),
                        count(*) FILTER (WHERE {LATE})
                 FROM orders o INDEXED BY orders_by_purchase_covering
                 WHERE o.purchased_at > :p90 AND o.purchased_at <= :now
                   AND (:m IS NULL OR o.marketplace = :m)"
            ))?
            .query_row(
                named_params! {":p90": day(90), ":p60": day(60), ":p30": day(30), ":p7": day(7),
                ":now": n, ":m": marketplace},
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;

        // The few orders with something against them, driven from the small tables.
        // `count(*)` of a query over orders bought after `:since`.
        let count = |sql: &str, since: i64| -> Result<i64, StoreError> {
            Ok(conn.prepare_cached(sql)?.query_row(
                named_params! {":since": since, ":now": n, ":m": marketplace},
                |r| r.get(0),
            )?)
        };
        let odr_defects = count(
            "SELECT count(*) FROM (
                     SELECT order_id FROM feedback INDEXED BY feedback_negative
                         WHERE rating <= 2 AND order_id IS NOT NULL
                     UNION SELECT order_id FROM claims WHERE kind = 'chargeback' OR status <> 'denied'
                 ) d CROSS JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = d.order_id
                 WHERE o.purchased_at > :since AND o.purchased_at <= :now
                   AND (:m IS NULL OR o.marketplace = :m)",
            day(60),
        )?;
        c.odr = (u(odr_defects), u(n60));

        let seller_cancels = count(
            "SELECT count(*) FROM cancellations x
             CROSS JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = x.order_id
             WHERE x.cancelled_by = 'seller' AND o.fulfillment_channel = 'merchant'
               AND o.purchased_at > :since AND o.purchased_at <= :now
               AND (o.shipped_at IS NULL OR x.cancelled_at <= o.shipped_at)
               AND (:m IS NULL OR o.marketplace = :m)",
            day(7),
        )?;
        c.pcr = (u(seller_cancels), u(m7));

        // Late shipments by latest ship date; cancelled orders taken out afterwards.
        let lsr_sql = |from: &str| {
            format!(
                "SELECT count(*) FILTER (WHERE o.latest_ship_at > :s10),
                        count(*) FILTER (WHERE o.latest_ship_at > :s10 AND {LATE}),
                        count(*), count(*) FILTER (WHERE {LATE})
                 {from}
                 WHERE o.fulfillment_channel = 'merchant'
                   AND o.latest_ship_at > :s30 AND o.latest_ship_at <= :now
                   AND (:m IS NULL OR o.marketplace = :m)"
            )
        };
        let lsr = |sql: &str| -> Result<[i64; 4], StoreError> {
            Ok(conn.prepare_cached(sql)?.query_row(
                named_params! {":s10": day(10), ":s30": day(30), ":now": n, ":m": marketplace},
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]),
            )?)
        };
        let all = lsr(&lsr_sql("FROM orders o INDEXED BY orders_by_latest_ship"))?;
        let cancelled = lsr(&lsr_sql(
            "FROM cancellations x CROSS JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = x.order_id",
        ))?;
        c.lsr_10 = (u(all[1] - cancelled[1]), u(all[0] - cancelled[0]));
        c.lsr_30 = (u(all[3] - cancelled[3]), u(all[2] - cancelled[2]));

        let (shipments, valid): (i64, Option<i64>) = conn
            .prepare_cached(
                "SELECT count(*), sum(s.valid) FROM shipments s INDEXED BY shipments_by_date
                 WHERE s.shipped_at > :s30 AND s.shipped_at <= :now
                   AND NOT EXISTS (SELECT 1 FROM orders o INDEXED BY orders_by_id_covering
                                   WHERE o.order_id = s.order_id AND o.fulfillment_channel = 'amazon')
                   AND (:m IS NULL OR EXISTS (SELECT 1 FROM orders o INDEXED BY orders_by_id_covering
                        WHERE o.order_id = s.order_id AND o.marketplace = :m))",
            )?
            .query_row(
                named_params! {":s30": day(30), ":now": n, ":m": marketplace},
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
        c.vtr = (u(valid.unwrap_or(0)), u(shipments));

        let fb: [i64; 12] = conn
            .prepare_cached(
                "SELECT count(*) FILTER (WHERE f.rated_at > :f30),
                        count(*) FILTER (WHERE f.rated_at > :f30 AND f.rating >= 4),
                        coalesce(max(f.all_ratings) FILTER (WHERE f.rated_at > :f30), 0),
                        count(*) FILTER (WHERE f.rated_at > :f90),
                        count(*) FILTER (WHERE f.rated_at > :f90 AND f.rating >= 4),
                        coalesce(max(f.all_ratings) FILTER (WHERE f.rated_at > :f90), 0),
                        count(*) FILTER (WHERE f.rated_at > :f365),
                        count(*) FILTER (WHERE f.rated_at > :f365 AND f.rating >= 4),
                        coalesce(max(f.all_ratings) FILTER (WHERE f.rated_at > :f365), 0),
                        count(*), count(*) FILTER (WHERE f.rating >= 4),
                        coalesce(max(f.all_ratings), 0)
                 FROM feedback f INDEXED BY feedback_by_date
                 WHERE f.rated_at <= :now
                   AND (:m IS NULL OR EXISTS (SELECT 1 FROM orders o INDEXED BY orders_by_id_covering
                        WHERE o.order_id = f.order_id AND o.marketplace = :m))",
            )?
            .query_row(
                named_params! {":f30": day(30), ":f90": day(90), ":f365": day(365), ":now": n,
                ":m": marketplace},
                integers,
            )?;
        for w in 0..4 {
            let (all, pos, any_all) = (fb[w * 3], fb[w * 3 + 1], fb[w * 3 + 2]);
            c.feedback[w] = if any_all > 0 {
                (u(pos), u(all), true)
            } else {
                (0, 0, false)
            };
        }

        let refunded = count(
            "SELECT count(*) FROM (SELECT DISTINCT order_id FROM refunds) r
             CROSS JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = r.order_id
             WHERE o.purchased_at > :since AND o.purchased_at <= :now
               AND (:m IS NULL OR o.marketplace = :m)",
            day(30),
        )?;
        c.refunds = (u(refunded), u(n30));

        // Imperfect orders that did not already count as late.
        let imperfect = count(
            &format!(
                "SELECT count(*) FROM (
                     SELECT order_id FROM feedback INDEXED BY feedback_negative
                         WHERE rating <= 2 AND order_id IS NOT NULL
                     UNION SELECT order_id FROM claims
                     UNION SELECT order_id FROM cancellations
                     UNION SELECT order_id FROM refunds
                     UNION SELECT order_id FROM threads INDEXED BY threads_by_order
                           WHERE order_id IS NOT NULL AND buyer_alias IS NOT NULL
                 ) d CROSS JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = d.order_id
                 WHERE o.purchased_at > :since AND o.purchased_at <= :now
                   AND (:m IS NULL OR o.marketplace = :m) AND NOT {LATE}"
            ),
            day(90),
        )?;
        c.pop = (u(n90 - late90 - imperfect), u(n90));

        if !late_response {
            return Ok(c);
        }
        // Late responses: buyer messages of 90 days, from their covering index.
        let late: [i64; 12] = conn
            .prepare_cached(
                "WITH m AS (
                     SELECT sent_at,
                            CASE WHEN resolution = 'replied' AND resolved_at <= :now THEN 'r'
                                 WHEN resolution = 'no_response_needed' AND resolved_at <= :now THEN 'x'
                                 WHEN :now - sent_at >= 86400 THEN 'n'
                                 ELSE 'p' END AS o,
                            resolved_at - sent_at AS took
                     FROM messages INDEXED BY buyer_messages_by_time
                     WHERE role = 'buyer' AND sent_at > :d90 AND sent_at <= :now)
                 SELECT count(*) FILTER (WHERE sent_at > :d7 AND (o = 'n' OR (o = 'r' AND took > 86400))),
                        count(*) FILTER (WHERE sent_at > :d7 AND o IN ('r', 'n')),
                        count(*) FILTER (WHERE sent_at > :d7 AND o = 'r'),
                        coalesce(sum(took) FILTER (WHERE sent_at > :d7 AND o = 'r'), 0),
                        count(*) FILTER (WHERE sent_at > :d30 AND (o = 'n' OR (o = 'r' AND took > 86400))),
                        count(*) FILTER (WHERE sent_at > :d30 AND o IN ('r', 'n')),
                        count(*) FILTER (WHERE sent_at > :d30 AND o = 'r'),
                        coalesce(sum(took) FILTER (WHERE sent_at > :d30 AND o = 'r'), 0),
                        count(*) FILTER (WHERE o = 'n' OR (o = 'r' AND took > 86400)),
                        count(*) FILTER (WHERE o IN ('r', 'n')),
                        count(*) FILTER (WHERE o = 'r'),
                        coalesce(sum(took) FILTER (WHERE o = 'r'), 0)
                 FROM m",
            )?
            .query_row(
                named_params! {":d7": day(7), ":d30": day(30), ":d90": day(90), ":now": n},
                integers,
            )?;
        for w in 0..3 {
            c.late_response[w] = (
                u(late[w * 4]),
                u(late[w * 4 + 1]),
                u(late[w * 4 + 2]),
                late[w * 4 + 3],
            );
        }
        Ok(c)
    }
}
