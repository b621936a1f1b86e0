//! What the inbox and the thread view read: one page of rows at a time, from indexes.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::casework::CategoryView;
use super::{Store, StoreError, from_secs, lossy, to_secs};
use crate::domain::category::Category;
use crate::domain::clock::{Clock, RESPONSE_WINDOW};

/// The inbox filters, in the order `f` cycles through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Filter {
    /// Threads whose clock runs, most urgent first.
    #[default]
    NeedsReply,
    /// Threads past their 24 h, most overdue first.
    Overdue,
    /// Running clocks first (most urgent first), then the rest, newest first.
    All,
    /// Threads with no running clock, newest first.
    Done,
    /// Threads snoozed (hidden from the other lists), the first to wake first.
    Snoozed,
}

impl Filter {
    pub const ALL: [Filter; 5] = [
        Filter::NeedsReply,
        Filter::Overdue,
        Filter::All,
        Filter::Done,
        Filter::Snoozed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Filter::NeedsReply => "needs reply",
            Filter::Overdue => "overdue",
            Filter::All => "all",
            Filter::Done => "done",
            Filter::Snoozed => "snoozed",
        }
    }

    pub fn next(self) -> Filter {
        let i = Filter::ALL.iter().position(|f| *f == self).unwrap_or(0);
        Filter::ALL[(i + 1) % Filter::ALL.len()]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxRow {
    pub id: i64,
    pub subject: String,
    pub buyer_name: Option<String>,
    pub buyer_alias: Option<String>,
    pub order_id: Option<String>,
    pub category: Option<String>,
    pub message_count: i64,
    pub unread: bool,
    pub clock_start: Option<DateTime<Utc>>,
    pub last_message_at: DateTime<Utc>,
}

impl InboxRow {
    /// The thread's running clock, if any.
    pub fn clock(&self) -> Option<Clock> {
        self.clock_start.map(|start| Clock { start })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub id: i64,
    pub direction: String,
    pub role: String,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub body: String,
    pub flags: u32,
    pub attachments: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderView {
    pub purchased_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub latest_ship_at: Option<DateTime<Utc>>,
    pub product: Option<String>,
    /// Seller-fulfilled: the seller's own shipping counts.
    pub merchant: bool,
    /// What counts against the account: negative feedback, claims, chargebacks, refunds,
    /// cancellations, e.g. "A-to-z claim (open)".
    pub defects: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadDetail {
    pub row: InboxRow,
    pub category: Option<CategoryView>,
    /// Open escalations and reminders, due first.
    pub follow_ups: Vec<super::follow_ups::FollowUp>,
    /// Hidden from the lists until then (a time already past hides nothing).
    pub snoozed_until: Option<DateTime<Utc>>,
    pub marketplace: Option<String>,
    pub asins: Vec<String>,
    pub order: Option<OrderView>,
    pub messages: Vec<MessageView>,
    pub timeline: Vec<TimelineEntry>,
    /// Delivery of the replies sent from here, oldest first.
    pub outbox: Vec<super::outbox::Entry>,
}

/// The most of one message's text a thread reads to show. New imports keep at most
/// `MAX_BODY_BYTES`; a database written before that may hold more.
const SHOWN_BODY_CHARS: i64 = crate::import::parse::MAX_BODY_BYTES as i64;

pub(super) const ROW_COLUMNS: &str = "id, subject, buyer_name, buyer_alias, order_id, category,
    message_count, unread, clock_start, last_message_at";

pub(super) fn inbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxRow> {
    Ok(InboxRow {
        id: r.get(0)?,
        subject: lossy::text(r, 1)?,
        buyer_name: lossy::opt_text(r, 2)?,
        buyer_alias: lossy::opt_text(r, 3)?,
        order_id: lossy::opt_text(r, 4)?,
        category: r.get(5)?,
        message_count: r.get(6)?,
        unread: r.get(7)?,
        clock_start: r.get::<_, Option<i64>>(8)?.map(from_secs),
        last_message_at: from_secs(r.get(9)?),
    })
}

impl Store {
    /// Threads in `filter`, of complaint kind `kind` when given. Snoozed threads are only in
    /// `Filter::Snoozed`.
    pub fn inbox_count(
        &self,
        filter: Filter,
        kind: Option<Category>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let overdue_edge = to_secs(now - RESPONSE_WINDOW);
        let kind = kind.map(Category::key);
        let n = to_secs(now);
        // Counted from indexes; the snoozed ones (few) are counted apart and taken away.
        let count = |condition: &str, param: i64, snoozed: bool| -> Result<u64, StoreError> {
            let from = if snoozed {
                "snoozes s JOIN threads t ON t.id = s.thread_id WHERE s.until > ?3 AND"
            } else {
                "threads t WHERE ?3 = ?3 AND"
            };
            let sql = format!(
                "SELECT count(*) FROM {from} {} {condition} AND ?1 = ?1",
                if kind.is_some() {
                    "t.category = ?2 AND"
                } else {
                    "?2 IS NULL AND"
                }
            );
            let n: i64 = self
                .conn()
                .prepare_cached(&sql)?
                .query_row(params![param, kind, n], |r| r.get(0))?;
            Ok(n as u64)
        };
        let visible = |condition: &str, param: i64| -> Result<u64, StoreError> {
            Ok(count(condition, param, false)?.saturating_sub(count(condition, param, true)?))
        };
        match filter {
            Filter::NeedsReply => visible("t.clock_start IS NOT NULL", 0),
            Filter::Overdue => visible(
                "t.clock_start IS NOT NULL AND t.clock_start <= ?1",
                overdue_edge,
            ),
            Filter::All => visible("1", 0),
            // No index holds the NULLs: all threads minus the running ones, both from indexes.
            Filter::Done => {
                let all = visible("1", 0)?;
                let running = visible("t.clock_start IS NOT NULL", 0)?;
                Ok(all.saturating_sub(running))
            }
            Filter::Snoozed => count("1", 0, true),
        }
    }

    /// Rows `offset..offset + limit` of the filtered inbox, in its order.
    ///
    /// OFFSET walks the index from its start, so a window in the far half of a list is read from
    /// the list's other end in reverse: the last page of 370k threads costs what the first does.
    pub fn inbox_page(
        &self,
        filter: Filter,
        kind: Option<Category>,
        now: DateTime<Utc>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<InboxRow>, StoreError> {
        let overdue_edge = to_secs(now - RESPONSE_WINDOW);
        let at = (to_secs(now), kind);
        let running = |offset: u64, limit: u64, edge: Option<i64>, len: u64| {
            self.sublist(
                "clock_start IS NOT NULL AND clock_start <= ?3",
                ("clock_start, id", "clock_start DESC, id DESC"),
                (edge.unwrap_or(i64::MAX), at),
                (offset, limit, len),
            )
        };
        let stopped = |offset: u64, limit: u64, len: u64| {
            self.sublist(
                "clock_start IS NULL AND ?3 = ?3",
                ("last_message_at DESC, id DESC", "last_message_at, id"),
                (0, at),
                (offset, limit, len),
            )
        };
        match filter {
            Filter::NeedsReply => {
                let len = self.inbox_count(Filter::NeedsReply, kind, now)?;
                running(offset, limit, None, len)
            }
            Filter::Overdue => {
                let len = self.inbox_count(Filter::Overdue, kind, now)?;
                running(offset, limit, Some(overdue_edge), len)
            }
            Filter::Done => {
                let len = self.inbox_count(Filter::Done, kind, now)?;
                stopped(offset, limit, len)
            }
            Filter::All => {
                let open = self.inbox_count(Filter::NeedsReply, kind, now)?;
                let done = self.inbox_count(Filter::Done, kind, now)?;
                let mut rows = if offset < open {
                    running(offset, limit, None, open)?
                } else {
                    Vec::new()
                };
                let missing = limit.saturating_sub(rows.len() as u64);
                if missing > 0 {
                    rows.extend(stopped(offset.saturating_sub(open), missing, done)?);
                }
                Ok(rows)
            }
            Filter::Snoozed => {
                // Few rows: one query, the first to wake first.
                let columns: Vec<String> = ROW_COLUMNS
                    .split(',')
                    .map(|c| format!("t.{}", c.trim()))
                    .collect();
                let sql = format!(
                    "SELECT {} FROM snoozes s JOIN threads t ON t.id = s.thread_id
                     WHERE s.until > ?1 AND (?2 IS NULL OR t.category = ?2)
                     ORDER BY s.until, t.id LIMIT ?3 OFFSET ?4",
                    columns.join(", ")
                );
                let rows = self
                    .conn()
                    .prepare_cached(&sql)?
                    .query_map(
                        params![
                            to_secs(now),
                            kind.map(Category::key),
                            limit.min(i64::MAX as u64) as i64,
                            offset.min(i64::MAX as u64) as i64
                        ],
                        inbox_row,
                    )?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            }
        }
    }

    /// Rows `offset..offset + limit` of a list of `len` rows matching `filter` (with `?3` the
    /// first of `params`), not snoozed at `params.1.0`, of kind `params.1.1` when given, in
    /// `order` (`.0` forward, `.1` its reverse).
    fn sublist(
        &self,
        filter: &str,
        order: (&str, &str),
        (param, (now, kind)): (i64, (i64, Option<Category>)),
        (offset, limit, len): (u64, u64, u64),
    ) -> Result<Vec<InboxRow>, StoreError> {
        let end = offset.saturating_add(limit).min(len);
        if offset >= end {
            return Ok(Vec::new());
        }
        let from_end = len - end;
        let reverse = from_end < offset;
        let (order, skip) = if reverse {
            (order.1, from_end)
        } else {
            (order.0, offset)
        };
        let of_kind = if kind.is_some() {
            "category = ?4"
        } else {
            "?4 IS NULL"
        };
        // `id` is in every index: the snooze check needs no table row, even for skipped rows.
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM threads WHERE {of_kind} AND {filter}
               AND id NOT IN (SELECT thread_id FROM snoozes WHERE until > ?5)
             ORDER BY {order} LIMIT ?1 OFFSET ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                (end - offset) as i64,
                skip as i64,
                param,
                kind.map(Category::key),
                now
            ],
            inbox_row,
        )?;
        let mut rows: Vec<InboxRow> = rows.collect::<Result<_, _>>()?;
        if reverse {
            rows.reverse();
        }
        Ok(rows)
    }

    /// One thread's inbox row.
    pub fn thread_row(&self, id: i64) -> Result<Option<InboxRow>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM threads WHERE id = ?1"))?
            .query_row([id], inbox_row)
            .optional()?)
    }

    pub fn thread_detail(&self, id: i64) -> Result<Option<ThreadDetail>, StoreError> {
        let conn = self.conn();
        let head: Option<(InboxRow, Option<String>)> = conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS}, marketplace FROM threads WHERE id = ?1"),
                [id],
                |r| Ok((inbox_row(r)?, lossy::opt_text(r, 10)?)),
            )
            .optional()?;
        let Some((row, marketplace)) = head else {
            return Ok(None);
        };
        let asins: Vec<String> = conn
            .prepare_cached("SELECT asin FROM thread_asins WHERE thread_id = ?1 ORDER BY asin")?
            .query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut messages: Vec<MessageView> = conn
            .prepare_cached(
                "SELECT id, direction, role, from_name, from_addr, subject, sent_at,
                        CASE WHEN octet_length(body) > ?2
                             THEN substr(body, 1, ?2) || char(10, 10)
                                  || '[sellerdesk: the rest of this text is not shown]'
                             ELSE body END,
                        flags
                 FROM messages WHERE thread_id = ?1 ORDER BY sent_at, id",
            )?
            .query_map(params![id, SHOWN_BODY_CHARS], |r| {
                Ok(MessageView {
                    id: r.get(0)?,
                    direction: r.get(1)?,
                    role: r.get(2)?,
                    from_name: lossy::opt_text(r, 3)?,
                    from_addr: lossy::opt_text(r, 4)?,
                    subject: lossy::text(r, 5)?,
                    sent_at: from_secs(r.get(6)?),
                    body: lossy::text(r, 7)?,
                    flags: r.get(8)?,
                    attachments: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        {
            let mut stmt = conn.prepare_cached(
                "SELECT filename, content_type, size FROM attachments WHERE message_id = ?1",
            )?;
            for m in &mut messages {
                m.attachments = stmt
                    .query_map([m.id], |r| {
                        let name = lossy::opt_text(r, 0)?;
                        let ctype = lossy::opt_text(r, 1)?;
                        let size: i64 = r.get(2)?;
                        Ok(format!(
                            "{} ({}, {} KB)",
                            name.unwrap_or_else(|| "unnamed".into()),
                            ctype.unwrap_or_else(|| "unknown type".into()),
                            (size + 1023) / 1024
                        ))
                    })?
                    .collect::<Result<_, _>>()?;
            }
        }
        let mut timeline: Vec<TimelineEntry> = messages
            .iter()
            .map(|m| TimelineEntry {
                at: m.sent_at,
                kind: match (m.direction.as_str(), m.role.as_str()) {
                    (_, "auto") => "auto-reply".into(),
                    ("out", _) => "replied".into(),
                    _ => "received".into(),
                },
                detail: String::new(),
            })
            .collect();
        timeline.extend(
            conn.prepare_cached(
                "SELECT at, kind, detail FROM events WHERE thread_id = ?1 ORDER BY at, id",
            )?
            .query_map([id], |r| {
                Ok(TimelineEntry {
                    at: from_secs(r.get(0)?),
                    kind: r.get(1)?,
                    detail: lossy::text(r, 2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?,
        );
        let category = self.thread_category(id)?;
        // The phrases' decision is not an event: it is shown when the first buyer message came.
        if let Some(c) = category.as_ref().filter(|c| !c.by_seller)
            && let Some(first) = messages.iter().find(|m| m.role == "buyer")
        {
            timeline.push(TimelineEntry {
                at: first.sent_at,
                kind: "categorized".into(),
                detail: match &c.reason {
                    Some(phrase) => format!("{} by rule: “{phrase}”", c.category.key()),
                    None => format!("{} by rule: no phrase matched", c.category.key()),
                },
            });
        }
        // Stable: at equal times, messages before the seller's events, events in order.
        timeline.sort_by_key(|e| e.at);
        let order = match &row.order_id {
            Some(order_id) => conn
                .query_row(
                    "SELECT o.purchased_at, o.shipped_at, o.latest_ship_at,
                            (SELECT product_name FROM order_items WHERE order_id = o.order_id LIMIT 1),
                            o.fulfillment_channel IS NOT 'amazon'
                     FROM orders o WHERE o.order_id = ?1",
                    [order_id],
                    |r| {
                        Ok(OrderView {
                            purchased_at: r.get::<_, Option<i64>>(0)?.map(from_secs),
                            shipped_at: r.get::<_, Option<i64>>(1)?.map(from_secs),
                            latest_ship_at: r.get::<_, Option<i64>>(2)?.map(from_secs),
                            product: lossy::opt_text(r, 3)?,
                            merchant: r.get(4)?,
                            defects: Vec::new(),
                        })
                    },
                )
                .optional()?
                .map(|mut o| {
                    o.defects = self.order_defects(order_id)?;
                    Ok::<_, StoreError>(o)
                })
                .transpose()?,
            None => None,
        };
        Ok(Some(ThreadDetail {
            row,
            category,
            follow_ups: self.open_follow_ups(id)?,
            snoozed_until: conn
                .prepare_cached("SELECT until FROM snoozes WHERE thread_id = ?1")?
                .query_row([id], |r| r.get::<_, i64>(0))
                .optional()?
                .map(from_secs),
            marketplace,
            asins,
            order,
            messages,
            timeline,
            outbox: self.outbox_of_thread(id)?,
        }))
    }

    /// What counts against the account on one order, oldest first.
    pub fn order_defects(&self, order_id: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut out: Vec<(i64, String)> = Vec::new();
        let mut stmt = conn.prepare_cached(
            "SELECT rated_at, rating FROM feedback WHERE order_id = ?1 AND rating <= 3",
        )?;
        for r in stmt.query_map([order_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (at, rating) = r?;
            let kind = if rating <= 2 { "negative" } else { "neutral" };
            out.push((at, format!("{kind} feedback ({rating}★)")));
        }
        let mut stmt =
            conn.prepare_cached("SELECT opened_at, kind, status FROM claims WHERE order_id = ?1")?;
        for r in stmt.query_map([order_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (at, kind, status) = r?;
            let kind = if kind == "chargeback" {
                "chargeback"
            } else {
                "A-to-z claim"
            };
            out.push((at, format!("{kind} ({status})")));
        }
        let mut stmt =
            conn.prepare_cached("SELECT refunded_at FROM refunds WHERE order_id = ?1")?;
        for r in stmt.query_map([order_id], |r| r.get::<_, i64>(0))? {
            out.push((r?, "refunded".into()));
        }
        let mut stmt = conn.prepare_cached(
            "SELECT cancelled_at, cancelled_by FROM cancellations WHERE order_id = ?1",
        )?;
        for r in stmt.query_map([order_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })? {
            let (at, by) = r?;
            out.push((at, format!("cancelled by the {by}")));
        }
        out.sort();
        Ok(out.into_iter().map(|(_, d)| d).collect())
    }

    /// Marks a thread read (opening it).
    pub fn mark_read(&mut self, id: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE threads SET unread = 0 WHERE id = ?1 AND unread",
                [id],
            )?;
            Ok(())
        })
    }
}

impl Store {
    /// The files that came with the thread's inbound messages, oldest message first, read
    /// back out of the stored raw bytes.
    pub fn thread_attachments(
        &self,
        thread_id: i64,
    ) -> Result<Vec<crate::reply::attachments::Inbound>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.raw FROM messages m JOIN message_raw r ON r.message_id = m.id
             WHERE m.thread_id = ?1 AND m.direction = 'in'
               AND EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)
             ORDER BY m.sent_at, m.id",
        )?;
        let raws = stmt.query_map([thread_id], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for raw in raws {
            out.extend(crate::reply::attachments::inbound(&raw?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_window_matches_the_whole_list_read_forwards_or_backwards() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::demo::build(&dir.path().join("d.db"), now).unwrap();
        let kinds = [None, Some(Category::Shipping), Some(Category::Other)];
        for (filter, kind) in Filter::ALL.into_iter().flat_map(|f| kinds.map(|k| (f, k))) {
            let total = store.inbox_count(filter, kind, now).unwrap();
            let whole = store.inbox_page(filter, kind, now, 0, 10_000).unwrap();
            assert_eq!(whole.len() as u64, total, "{filter:?} {kind:?}");
            if let Some(k) = kind {
                assert!(whole.iter().all(|r| r.category.as_deref() == Some(k.key())));
            }
            for limit in [1, 5, 7] {
                for offset in 0..=total + 1 {
                    let page = store.inbox_page(filter, kind, now, offset, limit).unwrap();
                    let from = (offset as usize).min(whole.len());
                    let to = ((offset + limit) as usize).min(whole.len());
                    assert_eq!(
                        page,
                        whole[from..to],
                        "{filter:?} {kind:?} {offset}+{limit}"
                    );
                }
            }
        }
        let count = |f, k| store.inbox_count(f, k, now).unwrap();
        for k in kinds {
            assert_eq!(
                count(Filter::Done, k),
                count(Filter::All, k) - count(Filter::NeedsReply, k)
            );
        }
        assert!(count(Filter::NeedsReply, Some(Category::Shipping)) >= 2);
        let by_kind: u64 = Category::ALL
            .into_iter()
            .map(|k| count(Filter::NeedsReply, Some(k)))
            .sum();
        assert_eq!(by_kind, count(Filter::NeedsReply, None));
    }
}
