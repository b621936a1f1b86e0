//! Per-day counts behind the account metrics, kept current on import, so that the metrics of a
//! million orders read a few hundred small rows instead of the orders themselves.
//!
//! Each metric counts records by one date (purchase, latest ship, ship or feedback date). For
//! each of those dates a table holds, per UTC day and marketplace, the counts that do not depend
//! on `now`. A window (now − N days, now] is then: the days strictly inside it from the table,
//! plus its two partial days counted exactly, plus any day not recomputed yet (listed in
//! `metric_dirty`) counted exactly. The only `now`-dependent part, orders still unconfirmed
//! past their latest ship date, is counted live from a small partial index.
//!
//! Writers record what they changed in [`Changes`]; [`flush`] (in the same transaction) updates
//! what is held against each order (`order_defects`) and lists the days whose counts changed;
//! [`refresh`] recomputes those days. A day listed but not yet recomputed is never read from the
//! table, so the figures are exact at every commit, also after a crash between the two.

use std::collections::{BTreeSet, HashMap, HashSet};

use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, Transaction, named_params, params};

use super::ingest::insert_rows;

pub const DAY_SECS: i64 = 86_400;

/// The UTC day of a time in seconds (floored, as [`day_sql`] is).
pub fn day_of(secs: i64) -> i64 {
    secs.div_euclid(DAY_SECS)
}

/// SQL for the floored UTC day of an integer column (SQLite's `/` truncates toward zero).
fn day_sql(col: &str) -> String {
    format!("({col} / 86400 - ({col} % 86400 < 0))")
}

/// What is held against an order (bits of `order_defects.flags`).
pub mod flag {
    /// Negative feedback (1–2 stars).
    pub const NEGATIVE: i64 = 1;
    /// A claim that counts as a defect: any chargeback, an A-to-z claim not denied.
    pub const DEFECT_CLAIM: i64 = 2;
    pub const ANY_CLAIM: i64 = 4;
    pub const CANCELLED: i64 = 8;
    pub const SELLER_CANCELLED: i64 = 16;
    pub const REFUNDED: i64 = 32;
    /// The buyer wrote about the order.
    pub const CONTACTED: i64 = 64;
    /// What makes an order imperfect (POP), besides shipping late.
    pub const IMPERFECT: i64 = NEGATIVE | ANY_CLAIM | CANCELLED | REFUNDED | CONTACTED;
}

/// The date a set of counts is kept by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Orders by purchase date: ODR, PCR, refund rate, POP.
    Purchase,
    /// Seller-fulfilled, not cancelled orders by latest ship date: LSR.
    Due,
    /// Shipments by ship date: VTR.
    Shipped,
    /// Feedback by date: the feedback rating.
    Rated,
}

/// Where a kind's counts come from: `SELECT <counts> FROM <from> WHERE <filter>`, by `date`,
/// per `marketplace`.
struct Source {
    table: &'static str,
    /// The dated table and its alias.
    base: &'static str,
    from: &'static str,
    date: &'static str,
    marketplace: &'static str,
    filter: &'static str,
    /// (column in the table, SQL computing it over the source rows).
    counts: &'static [(&'static str, &'static str)],
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Purchase, Kind::Due, Kind::Shipped, Kind::Rated];

    fn name(self) -> &'static str {
        match self {
            Kind::Purchase => "purchase",
            Kind::Due => "due",
            Kind::Shipped => "shipped",
            Kind::Rated => "rated",
        }
    }

    fn source(self) -> Source {
        match self {
            Kind::Purchase => Source {
                table: "metric_days_purchase",
                base: "orders o",
                from: "orders o INDEXED BY orders_by_purchase_covering
                       LEFT JOIN order_defects d ON d.order_id = o.order_id",
                date: "o.purchased_at",
                marketplace: "coalesce(o.marketplace, '')",
                filter: "1",
                counts: &[
                    ("orders", "count(*)"),
                    (
                        "merchant",
                        "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant')",
                    ),
                    ("odr_defects", "count(*) FILTER (WHERE d.flags & 3 <> 0)"),
                    ("refunded", "count(*) FILTER (WHERE d.flags & 32 <> 0)"),
                    (
                        "seller_cancels",
                        "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant'
                             AND d.flags & 16 <> 0
                             AND (o.shipped_at IS NULL OR d.seller_cancelled_at <= o.shipped_at))",
                    ),
                    (
                        "imperfect",
                        // flag::IMPERFECT = 109
                        "count(*) FILTER (WHERE coalesce(d.flags & 109, 0) <> 0
                             OR (o.fulfillment_channel = 'merchant' AND o.latest_ship_at IS NOT NULL
                                 AND coalesce(o.shipped_at > o.latest_ship_at, 0)))",
                    ),
                ],
            },
            Kind::Due => Source {
                table: "metric_days_due",
                base: "orders o",
                from: "orders o INDEXED BY orders_by_latest_ship
                       LEFT JOIN order_defects d ON d.order_id = o.order_id",
                date: "o.latest_ship_at",
                marketplace: "coalesce(o.marketplace, '')",
                filter: "o.fulfillment_channel = 'merchant' AND coalesce(d.flags & 8, 0) = 0",
                counts: &[
                    ("due", "count(*)"),
                    (
                        "late",
                        "count(*) FILTER (WHERE coalesce(o.shipped_at > o.latest_ship_at, 0))",
                    ),
                ],
            },
            Kind::Shipped => Source {
                table: "metric_days_shipped",
                base: "shipments s",
                from: "shipments s INDEXED BY shipments_by_date
                       LEFT JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = s.order_id",
                date: "s.shipped_at",
                marketplace: "coalesce(o.marketplace, '')",
                // Amazon ships its own orders.
                filter: "o.fulfillment_channel IS NOT 'amazon'",
                counts: &[("shipments", "count(*)"), ("valid", "coalesce(sum(s.valid), 0)")],
            },
            Kind::Rated => Source {
                table: "metric_days_rated",
                base: "feedback f",
                from: "feedback f INDEXED BY feedback_by_date
                       LEFT JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = f.order_id",
                date: "f.rated_at",
                marketplace: "coalesce(o.marketplace, '')",
                filter: "1",
                counts: &[
                    ("ratings", "count(*)"),
                    ("positive", "count(*) FILTER (WHERE f.rating >= 4)"),
                    ("all_ratings", "coalesce(sum(f.all_ratings), 0)"),
                ],
            },
        }
    }

    fn width(self) -> usize {
        self.source().counts.len()
    }
}

/// The exact counts of `kind` over records dated in `(:lo, :hi]`, of marketplace `:m` (all when
/// NULL).
fn exact_sql(kind: Kind) -> String {
    let s = kind.source();
    let counts: Vec<&str> = s.counts.iter().map(|c| c.1).collect();
    format!(
        "SELECT {} FROM {} WHERE {date} > :lo AND {date} <= :hi AND {}
           AND (:m IS NULL OR {} = :m)",
        counts.join(", "),
        s.from,
        s.filter,
        s.marketplace,
        date = s.date,
    )
}

/// The stored counts of `kind` of the days strictly between `:from` and `:to`, leaving out the
/// days not recomputed yet.
fn summed_sql(kind: Kind) -> String {
    let s = kind.source();
    let sums: Vec<String> = s
        .counts
        .iter()
        .map(|c| format!("coalesce(sum({}), 0)", c.0))
        .collect();
    format!(
        "SELECT {} FROM {} WHERE day > :from AND day < :to AND (:m IS NULL OR marketplace = :m)
           AND day NOT IN (SELECT day FROM metric_dirty WHERE kind = '{}')",
        sums.join(", "),
        s.table,
        kind.name()
    )
}

/// Recomputes the stored counts of `kind` for the days `first..=last`.
fn recompute(tx: &Transaction<'_>, kind: Kind, first: i64, last: i64) -> rusqlite::Result<()> {
    let s = kind.source();
    tx.prepare_cached(&format!(
        "DELETE FROM {} WHERE day >= ?1 AND day <= ?2",
        s.table
    ))?
    .execute(params![first, last])?;
    let columns: Vec<&str> = s.counts.iter().map(|c| c.0).collect();
    let counts: Vec<&str> = s.counts.iter().map(|c| c.1).collect();
    // Day by day: grouping a day's rows by marketplace sorts a few thousand rows, grouping a
    // year's by day and marketplace sorted a million (measured: twice as slow).
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO {table} (day, marketplace, {columns})
         SELECT :day, {mp} AS mp, {counts} FROM {from}
         WHERE {date} > :lo AND {date} <= :hi AND {filter}
         GROUP BY mp",
        table = s.table,
        columns = columns.join(", "),
        mp = s.marketplace,
        counts = counts.join(", "),
        from = s.from,
        date = s.date,
        filter = s.filter,
    ))?;
    for day in first..=last {
        insert.execute(named_params! {
            ":day": day,
            ":lo": day * DAY_SECS - 1,
            ":hi": (day + 1) * DAY_SECS - 1,
        })?;
    }
    Ok(())
}

/// What a write transaction changed that the per-day counts depend on.
#[derive(Debug, Default)]
pub struct Changes {
    /// Orders whose claims, refunds, cancellations, negative feedback or buyer messages may
    /// have changed: what is held against them is recomputed.
    pub defects: HashSet<String>,
    /// Orders a buyer wrote about (a thread with the buyer and the order): only ever gains the
    /// flag, no look-ups needed.
    pub contacted: HashSet<String>,
    /// Orders written: the days of their shipments and feedback are recounted (those counts
    /// depend on the order's channel and marketplace).
    pub orders: HashSet<String>,
    /// Orders whose ship date may have changed: their purchase and latest ship days are
    /// recounted.
    pub shipped: HashSet<String>,
    pub days: HashSet<(Kind, i64)>,
    /// Whether any shipment or feedback could depend on an order written now: `None` until
    /// asked (an orders report imported before anything else skips the look-ups).
    linked: Option<bool>,
    last_day: Option<(Kind, i64)>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.defects.is_empty()
            && self.contacted.is_empty()
            && self.orders.is_empty()
            && self.shipped.is_empty()
            && self.days.is_empty()
    }

    pub fn day(&mut self, kind: Kind, secs: i64) {
        let day = (kind, day_of(secs));
        // Reports come sorted by date: most records fall on the day of the one before.
        if self.last_day != Some(day) {
            self.days.insert(day);
            self.last_day = Some(day);
        }
    }

    /// An order was written (new, or changed): the shipments and feedback stored for it are
    /// recounted, their counts depend on its channel and marketplace. Only those stored
    /// before: one written later is counted with the order as it is then.
    pub fn order_written(&mut self, tx: &Transaction<'_>, order_id: &str) -> rusqlite::Result<()> {
        let linked = match self.linked {
            Some(linked) => linked,
            None => {
                let linked = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM shipments) OR EXISTS (SELECT 1 FROM feedback)",
                    [],
                    |r| r.get(0),
                )?;
                self.linked = Some(linked);
                linked
            }
        };
        if linked {
            self.orders.insert(order_id.to_string());
        }
        Ok(())
    }

    /// A shipment or a feedback was written: orders written after it must recount it.
    pub fn linked(&mut self) {
        self.linked = Some(true);
    }
}

/// Fills `temp.metric_orders` with `ids`.
fn stage_orders<'a>(
    tx: &Transaction<'_>,
    ids: impl Iterator<Item = &'a String>,
) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS metric_orders (order_id TEXT PRIMARY KEY) WITHOUT ROWID;
         DELETE FROM temp.metric_orders;",
    )?;
    let ids: Vec<&String> = ids.collect();
    insert_rows(
        tx,
        "OR IGNORE temp.metric_orders (order_id)",
        1,
        &ids,
        |id, out| {
            out.push(ToSqlOutput::from(id.as_str()));
            Ok(())
        },
    )
}

/// Lists the purchase and latest ship days of the orders in `temp.metric_orders`.
fn mark_order_days(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO metric_dirty (kind, day)
             SELECT 'purchase', {p} FROM temp.metric_orders t
             JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = t.order_id;
         INSERT OR IGNORE INTO metric_dirty (kind, day)
             SELECT 'due', {s} FROM temp.metric_orders t
             JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = t.order_id
             WHERE o.latest_ship_at IS NOT NULL;",
        p = day_sql("o.purchased_at"),
        s = day_sql("o.latest_ship_at"),
    ))
}

/// Brings `order_defects` up to date with `changes` and lists every day whose counts changed.
/// Runs inside the writing transaction, before it commits.
pub fn flush(tx: &Transaction<'_>, changes: &mut Changes) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if !changes.defects.is_empty() {
        stage_orders(tx, changes.defects.iter())?;
        tx.execute_batch(
            "DELETE FROM order_defects WHERE order_id IN (SELECT order_id FROM temp.metric_orders);
             INSERT INTO order_defects (order_id, flags, seller_cancelled_at)
             SELECT order_id, flags, seller_cancelled_at FROM (
                 SELECT t.order_id,
                     EXISTS (SELECT 1 FROM feedback f INDEXED BY feedback_by_order
                             WHERE f.order_id = t.order_id AND f.rating <= 2) * 1
                   | EXISTS (SELECT 1 FROM claims c WHERE c.order_id = t.order_id
                             AND (c.kind = 'chargeback' OR c.status <> 'denied')) * 2
                   | EXISTS (SELECT 1 FROM claims c WHERE c.order_id = t.order_id) * 4
                   | EXISTS (SELECT 1 FROM cancellations x WHERE x.order_id = t.order_id) * 8
                   | EXISTS (SELECT 1 FROM cancellations x WHERE x.order_id = t.order_id
                             AND x.cancelled_by = 'seller') * 16
                   | EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = t.order_id) * 32
                   | EXISTS (SELECT 1 FROM threads h INDEXED BY threads_by_order
                             WHERE h.order_id = t.order_id AND h.buyer_alias IS NOT NULL) * 64
                     AS flags,
                     (SELECT x.cancelled_at FROM cancellations x WHERE x.order_id = t.order_id
                             AND x.cancelled_by = 'seller') AS seller_cancelled_at
                 FROM temp.metric_orders t)
             WHERE flags <> 0;",
        )?;
        mark_order_days(tx)?;
    }
    let contacted: Vec<&String> = changes
        .contacted
        .iter()
        .filter(|id| !changes.defects.contains(*id))
        .collect();
    if !contacted.is_empty() {
        stage_orders(tx, contacted.into_iter())?;
        tx.execute_batch(
            "INSERT INTO order_defects (order_id, flags)
                 SELECT order_id, 64 FROM temp.metric_orders WHERE 1
                 ON CONFLICT (order_id) DO UPDATE SET flags = flags | 64;",
        )?;
        mark_order_days(tx)?;
    }
    if !changes.shipped.is_empty() {
        stage_orders(tx, changes.shipped.iter())?;
        mark_order_days(tx)?;
    }
    if !changes.orders.is_empty() {
        stage_orders(tx, changes.orders.iter())?;
        tx.execute_batch(&format!(
            "INSERT OR IGNORE INTO metric_dirty (kind, day)
                 SELECT 'shipped', {s} FROM temp.metric_orders t
                 JOIN shipments s ON s.order_id = t.order_id;
             INSERT OR IGNORE INTO metric_dirty (kind, day)
                 SELECT 'rated', {f} FROM temp.metric_orders t
                 JOIN feedback f INDEXED BY feedback_by_order ON f.order_id = t.order_id;",
            s = day_sql("s.shipped_at"),
            f = day_sql("f.rated_at"),
        ))?;
    }
    let days: Vec<&(Kind, i64)> = changes.days.iter().collect();
    insert_rows(
        tx,
        "OR IGNORE metric_dirty (kind, day)",
        2,
        &days,
        |(kind, day), out| {
            out.push(ToSqlOutput::from(kind.name()));
            out.push(ToSqlOutput::from(*day));
            Ok(())
        },
    )?;
    *changes = Changes::default();
    Ok(())
}

/// Recomputes every day listed as changed, and clears the list.
pub fn refresh(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let dirty = dirty_days(tx)?;
    for kind in Kind::ALL {
        let Some(days) = dirty.get(&kind) else {
            continue;
        };
        // Runs of consecutive days, one statement each.
        let mut days = days.iter().copied();
        let Some(mut first) = days.next() else {
            continue;
        };
        let mut last = first;
        for d in days {
            if d != last + 1 {
                recompute(tx, kind, first, last)?;
                first = d;
            }
            last = d;
        }
        recompute(tx, kind, first, last)?;
    }
    tx.execute("DELETE FROM metric_dirty", [])?;
    Ok(())
}

/// Recomputes everything: what is held against every order, and every day's counts.
pub fn rebuild(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut changes = Changes::default();
    let mut ids = tx.prepare(
        "SELECT order_id FROM feedback WHERE order_id IS NOT NULL AND rating <= 2
         UNION SELECT order_id FROM claims UNION SELECT order_id FROM cancellations
         UNION SELECT order_id FROM refunds
         UNION SELECT order_id FROM threads WHERE order_id IS NOT NULL AND buyer_alias IS NOT NULL",
    )?;
    changes.defects = ids
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    drop(ids);
    tx.execute("DELETE FROM order_defects", [])?;
    flush(tx, &mut changes)?;
    for kind in Kind::ALL {
        let s = kind.source();
        tx.execute(&format!("DELETE FROM {}", s.table), [])?;
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO metric_dirty (kind, day)
                 SELECT DISTINCT '{}', {} FROM {} WHERE {} IS NOT NULL",
                kind.name(),
                day_sql(s.date),
                s.base,
                s.date
            ),
            [],
        )?;
    }
    refresh(tx)
}

/// The days listed as changed and not recomputed yet, per kind.
fn dirty_days(conn: &Connection) -> rusqlite::Result<HashMap<Kind, BTreeSet<i64>>> {
    let mut out: HashMap<Kind, BTreeSet<i64>> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT kind, day FROM metric_dirty")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.name() == name) {
            out.entry(kind).or_default().insert(r.get(1)?);
        }
    }
    Ok(out)
}

/// Reads window counts for one `now` and marketplace.
pub struct Reader<'c> {
    conn: &'c Connection,
    marketplace: Option<&'c str>,
    dirty: HashMap<Kind, BTreeSet<i64>>,
    /// Exact counts already read, by kind and range.
    exact: HashMap<(Kind, i64, i64), Vec<i64>>,
}

impl<'c> Reader<'c> {
    pub fn new(conn: &'c Connection, marketplace: Option<&'c str>) -> rusqlite::Result<Self> {
        Ok(Reader {
            conn,
            marketplace,
            dirty: dirty_days(conn)?,
            exact: HashMap::new(),
        })
    }

    fn exact(&mut self, kind: Kind, lo: i64, hi: i64) -> rusqlite::Result<&[i64]> {
        if !self.exact.contains_key(&(kind, lo, hi)) {
            let width = kind.width();
            let values = self.conn.prepare_cached(&exact_sql(kind))?.query_row(
                named_params! {":lo": lo, ":hi": hi, ":m": self.marketplace},
                |r| {
                    (0..width)
                        .map(|i| r.get(i))
                        .collect::<rusqlite::Result<_>>()
                },
            )?;
            self.exact.insert((kind, lo, hi), values);
        }
        Ok(&self.exact[&(kind, lo, hi)])
    }

    /// The counts of `kind` over records dated in `(lo, hi]`; `lo` `None` for everything up
    /// to `hi`.
    pub fn window(&mut self, kind: Kind, lo: Option<i64>, hi: i64) -> rusqlite::Result<Vec<i64>> {
        let last = day_of(hi);
        let first = lo.map(day_of);
        let mut total = vec![0i64; kind.width()];
        let add = |total: &mut Vec<i64>, v: &[i64]| {
            for (t, x) in total.iter_mut().zip(v) {
                *t += x;
            }
        };
        if let (Some(lo), Some(first)) = (lo, first)
            && first == last
        {
            let v = self.exact(kind, lo, hi)?.to_vec();
            add(&mut total, &v);
            return Ok(total);
        }
        // The day of `hi`, up to `hi`.
        let v = self.exact(kind, last * DAY_SECS - 1, hi)?.to_vec();
        add(&mut total, &v);
        // The day of `lo`, after `lo`.
        if let (Some(lo), Some(first)) = (lo, first) {
            let v = self.exact(kind, lo, (first + 1) * DAY_SECS - 1)?.to_vec();
            add(&mut total, &v);
        }
        // Whole days in between: stored, or counted exactly when not recomputed yet.
        let from = first.unwrap_or(i64::MIN);
        let width = kind.width();
        let stored: Vec<i64> = self.conn.prepare_cached(&summed_sql(kind))?.query_row(
            named_params! {":from": from, ":to": last, ":m": self.marketplace},
            |r| {
                (0..width)
                    .map(|i| r.get(i))
                    .collect::<rusqlite::Result<_>>()
            },
        )?;
        add(&mut total, &stored);
        let pending: Vec<i64> = self
            .dirty
            .get(&kind)
            .map(|days| days.range(from.saturating_add(1)..last).copied().collect())
            .unwrap_or_default();
        for d in pending {
            let v = self
                .exact(kind, d * DAY_SECS - 1, (d + 1) * DAY_SECS - 1)?
                .to_vec();
            add(&mut total, &v);
        }
        Ok(total)
    }

    /// Seller-fulfilled orders still unconfirmed with their latest ship date before `now`
    /// (late at `now`), not cancelled: (due after `since_10`, due after `since_30`), both due
    /// before `now`.
    pub fn late_unshipped_by_due(
        &self,
        now: i64,
        since_10: i64,
        since_30: i64,
    ) -> rusqlite::Result<(i64, i64)> {
        self.conn
            .prepare_cached(
                "SELECT count(*) FILTER (WHERE o.latest_ship_at > :s10), count(*)
                 FROM orders o INDEXED BY orders_unshipped
                 LEFT JOIN order_defects d ON d.order_id = o.order_id
                 WHERE o.fulfillment_channel = 'merchant' AND o.shipped_at IS NULL
                   AND o.latest_ship_at > :s30 AND o.latest_ship_at < :now
                   AND coalesce(d.flags & 8, 0) = 0
                   AND (:m IS NULL OR o.marketplace = :m)",
            )?
            .query_row(
                named_params! {":s10": since_10, ":s30": since_30, ":now": now,
                ":m": self.marketplace},
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
    }

    /// Orders bought in `(since, now]`, late at `now` only because still unconfirmed past
    /// their latest ship date, with nothing else against them (POP).
    pub fn late_unshipped_otherwise_perfect(&self, now: i64, since: i64) -> rusqlite::Result<i64> {
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM orders o INDEXED BY orders_unshipped
                 LEFT JOIN order_defects d ON d.order_id = o.order_id
                 WHERE o.fulfillment_channel = 'merchant' AND o.shipped_at IS NULL
                   AND o.latest_ship_at IS NOT NULL AND o.latest_ship_at < :now
                   AND o.purchased_at > :since AND o.purchased_at <= :now
                   AND coalesce(d.flags & 109, 0) = 0
                   AND (:m IS NULL OR o.marketplace = :m)",
            )?
            .query_row(
                named_params! {":since": since, ":now": now, ":m": self.marketplace},
                |r| r.get(0),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_floored_like_sql() {
        let conn = Connection::open_in_memory().unwrap();
        for secs in [-86_401i64, -86_400, -1, 0, 1, 86_399, 86_400, 1_790_000_000] {
            let sql: i64 = conn
                .query_row(&format!("SELECT {}", day_sql("?1")), [secs], |r| r.get(0))
                .unwrap();
            assert_eq!(sql, day_of(secs), "{secs}");
        }
    }

    #[test]
    fn flags_match_the_sql_literals() {
        assert_eq!(flag::IMPERFECT, 109);
        assert_eq!(flag::NEGATIVE | flag::DEFECT_CLAIM, 3);
        assert_eq!(
            [
                flag::CANCELLED,
                flag::SELLER_CANCELLED,
                flag::REFUNDED,
                flag::CONTACTED
            ],
            [8, 16, 32, 64]
        );
    }
}
