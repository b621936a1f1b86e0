//! The account metrics' numerators and denominators for one `now`: from the per-day counts of
//! `metric_days` (a few hundred small rows, whatever the number of orders) and, for the late
//! response rate, an aggregate over the buyer-message index. Each count means exactly what the
//! pure functions of `domain::metrics` count (tests compare the two).

use chrono::{DateTime, Duration, Utc};
use rusqlite::named_params;

use super::metric_days::{Kind, Reader, purchase};
use super::{Store, StoreError, to_secs};

/// One fulfilment channel's Order Defect Rate: orders with a defect, and with each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OdrCounts {
    pub defects: u64,
    pub negative: u64,
    pub a_to_z: u64,
    pub chargebacks: u64,
    pub orders: u64,
}

/// `(numerator, denominator)` of each metric, and the late response parts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Seller-fulfilled, then Amazon-fulfilled.
    pub odr: [OdrCounts; 2],
    pub otdr: (u64, u64),
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

pub(crate) fn u(v: i64) -> u64 {
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
    /// `(numerator, denominator, ODR parts)` of one metric (`odr`, `odr_fba`, `pcr`,
    /// `lsr_10`, `lsr_30`, `vtr`, `otdr`) over records dated in `(lo, hi]` (each by the date
    /// its metric goes by), as it stood at `hi`: ours beside Amazon's figure over Amazon's
    /// range.
    pub fn counts_between(
        &self,
        metric: &str,
        marketplace: Option<&str>,
        lo: DateTime<Utc>,
        hi: DateTime<Utc>,
    ) -> Result<(u64, u64, Option<[u64; 3]>), StoreError> {
        let mut days = Reader::new(self.conn(), marketplace)?;
        let (lo, hi) = (to_secs(lo), to_secs(hi));
        if metric == "odr" || metric == "odr_fba" {
            let o = days.odr(lo, hi)?[usize::from(metric == "odr_fba")];
            return Ok((
                o.defects,
                o.orders,
                Some([o.negative, o.a_to_z, o.chargebacks]),
            ));
        }
        let (n, d) = match metric {
            "pcr" => {
                let p = days.window(Kind::Purchase, Some(lo), hi)?;
                (u(p[purchase::SELLER_CANCELS]), u(p[purchase::MERCHANT]))
            }
            "lsr_10" | "lsr_30" => {
                let d = days.window(Kind::Due, Some(lo), hi)?;
                let (_, late) = days.late_unshipped_by_due(hi, lo, lo)?;
                (u(d[1] + late), u(d[0]))
            }
            "vtr" => {
                let s = days.window(Kind::Shipped, Some(lo), hi)?;
                (u(s[1]), u(s[0]))
            }
            "otdr" => {
                let o = days.window(Kind::Promised, Some(lo), hi)?;
                (u(o[1]), u(o[0]))
            }
            _ => (0, 0),
        };
        Ok((n, d, None))
    }

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
        let mut days = Reader::new(conn, marketplace)?;

        // By purchase date: [orders, merchant, odr, negative, a-to-z, chargeback (seller
        // fulfilled), the same four (Amazon), refunded, seller_cancels, imperfect].
        let p90 = days.window(Kind::Purchase, Some(day(90)), n)?;
        let p30 = days.window(Kind::Purchase, Some(day(30)), n)?;
        let p7 = days.window(Kind::Purchase, Some(day(7)), n)?;
        c.odr = days.odr(day(60), n)?;
        c.pcr = (u(p7[purchase::SELLER_CANCELS]), u(p7[purchase::MERCHANT]));
        c.refunds = (u(p30[purchase::REFUNDED]), u(p30[purchase::ORDERS]));
        let late_now = days.late_unshipped_otherwise_perfect(n, day(90))?;
        let removed_later = days.negative_removed_later_otherwise_perfect(n, day(90))?;
        c.pop = (
            u(p90[purchase::ORDERS] - p90[purchase::IMPERFECT] - late_now - removed_later),
            u(p90[purchase::ORDERS]),
        );

        // By latest ship date: [due, late]; the unconfirmed ones late at `now` added.
        let d10 = days.window(Kind::Due, Some(day(10)), n)?;
        let d30 = days.window(Kind::Due, Some(day(30)), n)?;
        let (late10, late30) = days.late_unshipped_by_due(n, day(10), day(30))?;
        c.lsr_10 = (u(d10[1] + late10), u(d10[0]));
        c.lsr_30 = (u(d30[1] + late30), u(d30[0]));

        // By promised delivery date: [counted, on time].
        let span = crate::domain::metrics::otdr_span(now);
        let o = days.window(Kind::Promised, Some(to_secs(span.lo)), to_secs(span.hi))?;
        c.otdr = (u(o[1]), u(o[0]));

        // By ship date: [shipments, valid].
        let s30 = days.window(Kind::Shipped, Some(day(30)), n)?;
        c.vtr = (u(s30[1]), u(s30[0]));

        // By feedback date: [ratings, positive, all_ratings]. Without a source of every
        // rating there is no telling the share of positives.
        for (i, since) in [Some(day(30)), Some(day(90)), Some(day(365)), None]
            .into_iter()
            .enumerate()
        {
            let mut f = days.window(Kind::Rated, since, n)?;
            // Removed feedback counts until its removal.
            let back = days.feedback_removed_later(n, since)?;
            for (x, b) in f.iter_mut().zip(back) {
                *x += b;
            }
            c.feedback[i] = if f[2] > 0 {
                (u(f[1]), u(f[0]), true)
            } else {
                (0, 0, false)
            };
        }

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
                     WHERE role = 'buyer' AND sent_at > :d90 AND sent_at <= :now
                       AND (:m IS NULL OR EXISTS (SELECT 1 FROM threads t
                            WHERE t.id = messages.thread_id AND t.marketplace = :m)))
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
                named_params! {":d7": day(7), ":d30": day(30), ":d90": day(90), ":now": n,
                ":m": marketplace},
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
