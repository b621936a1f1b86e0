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
use rusqlite::{Connection, OptionalExtension, Transaction, named_params, params};

use super::bulk::insert_rows;

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
    /// Negative feedback (1–2 stars) not removed.
    pub const NEGATIVE: i64 = 1;
    /// An A-to-z claim of an outcome that counts (domain::account::Claim::is_defect).
    pub const ATOZ_DEFECT: i64 = 2;
    pub const ANY_CLAIM: i64 = 4;
    /// A cancellation record, or a report calling the order cancelled.
    pub const CANCELLED: i64 = 8;
    /// Cancelled by the seller, or by nobody named.
    pub const SELLER_CANCELLED: i64 = 16;
    pub const REFUNDED: i64 = 32;
    /// The buyer started a thread about the order.
    pub const CONTACTED: i64 = 64;
    /// A service chargeback (whatever its outcome).
    pub const CHARGEBACK_DEFECT: i64 = 128;
    /// Negative feedback that was removed: it counted until its removal.
    pub const NEGATIVE_REMOVED: i64 = 256;
    /// An ODR defect.
    pub const ODR: i64 = NEGATIVE | ATOZ_DEFECT | CHARGEBACK_DEFECT;
    /// What makes an order imperfect (POP), besides shipping late.
    pub const IMPERFECT: i64 = NEGATIVE | ANY_CLAIM | CANCELLED | REFUNDED | CONTACTED;
}

/// A-to-z claim outcomes that are ODR defects, as SQL (domain::account::Claim::is_defect).
const DEFECT_OUTCOMES: &str = "('open', 'granted', 'refunded', 'withdrawn_after_decision')";

/// Columns of a purchase-day window, in the order of `Kind::Purchase`'s counts.
pub mod purchase {
    pub const ORDERS: usize = 0;
    pub const MERCHANT: usize = 1;
    /// ODR, negative feedback, A-to-z, chargebacks: seller-fulfilled from here, Amazon's 4
    /// columns later.
    pub const ODR_MFN: usize = 2;
    pub const ODR_AFN: usize = 6;
    pub const REFUNDED: usize = 10;
    pub const SELLER_CANCELS: usize = 11;
    pub const IMPERFECT: usize = 12;
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
    /// Seller-fulfilled orders delivered, by promised delivery date: on-time delivery.
    Promised,
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
    pub const ALL: [Kind; 5] = [
        Kind::Purchase,
        Kind::Due,
        Kind::Shipped,
        Kind::Rated,
        Kind::Promised,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Purchase => "purchase",
            Kind::Due => "due",
            Kind::Shipped => "shipped",
            Kind::Rated => "rated",
            Kind::Promised => "promised",
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
                    ("merchant", "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant')"),
                    // flag::ODR = 131, NEGATIVE = 1, ATOZ_DEFECT = 2, CHARGEBACK_DEFECT = 128
                    ("odr_mfn", "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant' AND d.flags & 131 <> 0)"),
                    ("negative_mfn", "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant' AND d.flags & 1 <> 0)"),
                    ("atoz_mfn", "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant' AND d.flags & 2 <> 0)"),
                    ("chargeback_mfn", "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant' AND d.flags & 128 <> 0)"),
                    ("odr_afn", "count(*) FILTER (WHERE o.fulfillment_channel = 'amazon' AND d.flags & 131 <> 0)"),
                    ("negative_afn", "count(*) FILTER (WHERE o.fulfillment_channel = 'amazon' AND d.flags & 1 <> 0)"),
                    ("atoz_afn", "count(*) FILTER (WHERE o.fulfillment_channel = 'amazon' AND d.flags & 2 <> 0)"),
                    ("chargeback_afn", "count(*) FILTER (WHERE o.fulfillment_channel = 'amazon' AND d.flags & 128 <> 0)"),
                    ("refunded", "count(*) FILTER (WHERE d.flags & 32 <> 0)"),
                    (
                        "seller_cancels",
                        // A cancellation of unknown time (a report's `Cancelled` alone) counts
                        // as before shipping.
                        "count(*) FILTER (WHERE o.fulfillment_channel = 'merchant'
                             AND d.flags & 16 <> 0
                             AND (o.shipped_at IS NULL
                                  OR coalesce(d.seller_cancelled_at <= o.shipped_at, 1)))",
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
                // Removed feedback no longer counts; until its removal it is added back live.
                filter: "f.removed_at IS NULL",
                counts: &[
                    ("ratings", "count(*)"),
                    ("positive", "count(*) FILTER (WHERE f.rating >= 4)"),
                    ("all_ratings", "coalesce(sum(f.all_ratings), 0)"),
                ],
            },
            Kind::Promised => Source {
                table: "metric_days_promised",
                base: "orders o",
                from: "orders o INDEXED BY orders_by_promised
                       LEFT JOIN order_defects d ON d.order_id = o.order_id",
                date: "o.promised_delivery_at",
                marketplace: "coalesce(o.marketplace, '')",
                filter: "o.fulfillment_channel = 'merchant' AND o.delivered_at IS NOT NULL
                         AND coalesce(d.flags & 8, 0) = 0",
                counts: &[
                    ("counted", "count(*)"),
                    (
                        "on_time",
                        "count(*) FILTER (WHERE o.delivered_at <= o.promised_delivery_at)",
                    ),
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
    /// Orders whose threads changed who wrote first (a thread gained its buyer or order, or a
    /// message older than its first): the buyer-initiated bit is recomputed.
    pub contacted: HashSet<String>,
    /// Threads that took a message of the seller's: their order's buyer-initiated bit is
    /// recomputed (a seller's message imported after the buyer's answer may be the first).
    pub threads: HashSet<i64>,
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
            && self.threads.is_empty()
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

/// Whether the order `t.order_id` has a thread the buyer started (its first message is the
/// buyer's): a buyer-initiated message, which makes an order imperfect. A thread the seller
/// started (a proactive message) does not, even after the buyer answers.
const BUYER_STARTED: &str = "EXISTS (SELECT 1 FROM threads h INDEXED BY threads_by_order
     WHERE h.order_id = t.order_id AND h.buyer_alias IS NOT NULL
       AND (SELECT m.role FROM messages m INDEXED BY messages_by_thread
            WHERE m.thread_id = h.id ORDER BY m.sent_at, m.id LIMIT 1) = 'buyer')";

/// Whether a report calls the order `t.order_id` cancelled.
const CANCELLED_STATUS: &str = "EXISTS (SELECT 1 FROM orders o WHERE o.order_id = t.order_id
     AND lower(o.status) IN ('cancelled', 'canceled'))";

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

/// Lists the purchase, latest ship and promised delivery days of the orders in
/// `temp.metric_orders`.
fn mark_order_days(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO metric_dirty (kind, day)
             SELECT 'purchase', {p} FROM temp.metric_orders t
             JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = t.order_id;
         INSERT OR IGNORE INTO metric_dirty (kind, day)
             SELECT 'due', {s} FROM temp.metric_orders t
             JOIN orders o INDEXED BY orders_by_id_covering ON o.order_id = t.order_id
             WHERE o.latest_ship_at IS NOT NULL;
         INSERT OR IGNORE INTO metric_dirty (kind, day)
             SELECT 'promised', {d} FROM temp.metric_orders t
             JOIN orders o ON o.order_id = t.order_id
             WHERE o.promised_delivery_at IS NOT NULL;",
        p = day_sql("o.purchased_at"),
        s = day_sql("o.latest_ship_at"),
        d = day_sql("o.promised_delivery_at"),
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
        tx.execute_batch(&format!(
            "DELETE FROM order_defects WHERE order_id IN (SELECT order_id FROM temp.metric_orders);
             INSERT INTO order_defects (order_id, flags, seller_cancelled_at)
             SELECT order_id, flags, seller_cancelled_at FROM (
                 SELECT t.order_id,
                     EXISTS (SELECT 1 FROM feedback f INDEXED BY feedback_by_order
                             WHERE f.order_id = t.order_id AND f.rating <= 2
                               AND f.removed_at IS NULL) * 1
                   | EXISTS (SELECT 1 FROM claims c WHERE c.order_id = t.order_id
                             AND c.kind = 'a-to-z' AND c.status IN {outcomes}) * 2
                   | EXISTS (SELECT 1 FROM claims c WHERE c.order_id = t.order_id) * 4
                   | (EXISTS (SELECT 1 FROM cancellations x WHERE x.order_id = t.order_id)
                      OR {cancelled}) * 8
                   | (EXISTS (SELECT 1 FROM cancellations x WHERE x.order_id = t.order_id
                              AND x.cancelled_by <> 'buyer')
                      OR (NOT EXISTS (SELECT 1 FROM cancellations x WHERE x.order_id = t.order_id)
                          AND {cancelled})) * 16
                   | EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = t.order_id) * 32
                   | {buyer_started} * 64
                   | EXISTS (SELECT 1 FROM claims c WHERE c.order_id = t.order_id
                             AND c.kind = 'chargeback') * 128
                   | EXISTS (SELECT 1 FROM feedback f INDEXED BY feedback_by_order
                             WHERE f.order_id = t.order_id AND f.rating <= 2
                               AND f.removed_at IS NOT NULL) * 256
                     AS flags,
                     (SELECT x.cancelled_at FROM cancellations x WHERE x.order_id = t.order_id
                             AND x.cancelled_by <> 'buyer') AS seller_cancelled_at
                 FROM temp.metric_orders t)
             WHERE flags <> 0;",
            outcomes = DEFECT_OUTCOMES,
            cancelled = CANCELLED_STATUS,
            buyer_started = BUYER_STARTED,
        ))?;
        mark_order_days(tx)?;
    }
    if !changes.threads.is_empty() {
        let mut order_of = tx.prepare_cached(
            "SELECT order_id FROM threads WHERE id = ?1 AND order_id IS NOT NULL",
        )?;
        for id in std::mem::take(&mut changes.threads) {
            if let Some(order) = order_of
                .query_row([id], |r| r.get::<_, String>(0))
                .optional()?
            {
                changes.contacted.insert(order);
            }
        }
    }
    let contacted: Vec<&String> = changes
        .contacted
        .iter()
        .filter(|id| !changes.defects.contains(*id))
        .collect();
    if !contacted.is_empty() {
        // Only the buyer-initiated bit can have changed: a thread gained its buyer or order,
        // or a message older than its first.
        stage_orders(tx, contacted.into_iter())?;
        tx.execute_batch(&format!(
            "INSERT INTO order_defects (order_id, flags)
                 SELECT order_id, 64 FROM temp.metric_orders t WHERE {b}
                 ON CONFLICT (order_id) DO UPDATE SET flags = flags | 64;
             UPDATE order_defects SET flags = flags & ~64
                 WHERE order_id IN (SELECT t.order_id FROM temp.metric_orders t WHERE NOT {b});
             DELETE FROM order_defects WHERE flags = 0
                 AND order_id IN (SELECT order_id FROM temp.metric_orders);",
            b = BUYER_STARTED,
        ))?;
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

impl super::Store {
    /// Recounts the per-day metric counts of the days imports changed.
    pub fn refresh_metric_days(&mut self) -> Result<(), super::StoreError> {
        Ok(self.write(refresh)?)
    }

    /// Recounts every day from the records (after rows were written around the store).
    pub fn rebuild_metric_days(&mut self) -> Result<(), super::StoreError> {
        Ok(self.write(rebuild)?)
    }
}

/// Recomputes everything: what is held against every order, and every day's counts.
pub fn rebuild(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut changes = Changes::default();
    let mut ids = tx.prepare(
        "SELECT order_id FROM feedback WHERE order_id IS NOT NULL AND rating <= 2
         UNION SELECT order_id FROM claims UNION SELECT order_id FROM cancellations
         UNION SELECT order_id FROM orders WHERE lower(status) IN ('cancelled', 'canceled')
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

    /// Both channels' Order Defect Rate counts over orders bought in `(lo, hi]`, at `hi`.
    pub fn odr(
        &mut self,
        lo: i64,
        hi: i64,
    ) -> rusqlite::Result<[crate::store::account_sql::OdrCounts; 2]> {
        use crate::store::account_sql::{OdrCounts, u};
        let p = self.window(Kind::Purchase, Some(lo), hi)?;
        let back = self.negative_removed_later(hi, lo)?;
        let of = |first: usize, orders: i64, back: (i64, i64)| OdrCounts {
            defects: u(p[first] + back.1),
            negative: u(p[first + 1] + back.0),
            a_to_z: u(p[first + 2]),
            chargebacks: u(p[first + 3]),
            orders: u(orders),
        };
        Ok([
            of(purchase::ODR_MFN, p[purchase::MERCHANT], back[0]),
            of(
                purchase::ODR_AFN,
                p[purchase::ORDERS] - p[purchase::MERCHANT],
                back[1],
            ),
        ])
    }

    /// Orders bought in `(since, now]` whose negative feedback was removed after `now`, and
    /// no other still counts: per channel (seller, Amazon), `(orders, those with no other ODR
    /// defect)`. Their negative feedback still counted at `now`.
    fn negative_removed_later(&self, now: i64, since: i64) -> rusqlite::Result<[(i64, i64); 2]> {
        self.conn
            .prepare_cached(
                "SELECT count(*) FILTER (WHERE o.fulfillment_channel = 'merchant'),
                        count(*) FILTER (WHERE o.fulfillment_channel = 'merchant'
                                         AND coalesce(d.flags & 130, 0) = 0),
                        count(*) FILTER (WHERE o.fulfillment_channel = 'amazon'),
                        count(*) FILTER (WHERE o.fulfillment_channel = 'amazon'
                                         AND coalesce(d.flags & 130, 0) = 0)
                 FROM orders o LEFT JOIN order_defects d ON d.order_id = o.order_id
                 WHERE o.order_id IN (SELECT f.order_id FROM feedback f INDEXED BY feedback_removed
                                      WHERE f.removed_at > :now AND f.rating <= 2)
                   AND coalesce(d.flags & 1, 0) = 0
                   AND o.purchased_at > :since AND o.purchased_at <= :now
                   AND (:m IS NULL OR o.marketplace = :m)",
            )?
            .query_row(
                named_params! {":now": now, ":since": since, ":m": self.marketplace},
                |r| Ok([(r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)]),
            )
    }

    /// Orders bought in `(since, now]` that are imperfect at `now` only through a negative
    /// feedback removed after `now` (POP).
    pub fn negative_removed_later_otherwise_perfect(
        &self,
        now: i64,
        since: i64,
    ) -> rusqlite::Result<i64> {
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM orders o LEFT JOIN order_defects d ON d.order_id = o.order_id
                 WHERE o.order_id IN (SELECT f.order_id FROM feedback f INDEXED BY feedback_removed
                                      WHERE f.removed_at > :now AND f.rating <= 2)
                   AND coalesce(d.flags & 109, 0) = 0
                   AND NOT (o.fulfillment_channel = 'merchant' AND o.latest_ship_at IS NOT NULL
                            AND (coalesce(o.shipped_at > o.latest_ship_at, 0)
                                 OR (o.shipped_at IS NULL AND o.latest_ship_at < :now)))
                   AND o.purchased_at > :since AND o.purchased_at <= :now
                   AND (:m IS NULL OR o.marketplace = :m)",
            )?
            .query_row(
                named_params! {":now": now, ":since": since, ":m": self.marketplace},
                |r| r.get(0),
            )
    }

    /// Feedback rated in `(since, now]` (`since` none: ever) and removed after `now`: it still
    /// counted then. `[ratings, positive, all_ratings]`, as `Kind::Rated` counts.
    pub fn feedback_removed_later(
        &self,
        now: i64,
        since: Option<i64>,
    ) -> rusqlite::Result<[i64; 3]> {
        self.conn
            .prepare_cached(
                "SELECT count(*), count(*) FILTER (WHERE f.rating >= 4),
                        coalesce(sum(f.all_ratings), 0)
                 FROM feedback f INDEXED BY feedback_removed
                 LEFT JOIN orders o ON o.order_id = f.order_id
                 WHERE f.removed_at > :now AND f.rated_at <= :now
                   AND (:since IS NULL OR f.rated_at > :since)
                   AND (:m IS NULL OR coalesce(o.marketplace, '') = :m)",
            )?
            .query_row(
                named_params! {":now": now, ":since": since, ":m": self.marketplace},
                |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]),
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
        assert_eq!(flag::ODR, 131);
        assert_eq!(
            [
                flag::NEGATIVE,
                flag::ATOZ_DEFECT,
                flag::CHARGEBACK_DEFECT,
                flag::NEGATIVE_REMOVED
            ],
            [1, 2, 128, 256]
        );
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
